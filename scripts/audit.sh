#!/usr/bin/env bash
# pip-audit of the locked dependencies (requirements.lock), in its own virtualenv so the
# auditor's dependencies never enter the project's. Fails on a known vulnerability.
# When the advisory service cannot be reached (machines whose network reaches only the
# package index), pip-audit skips every package: this script then says so plainly and
# passes, rather than reporting "no known vulnerabilities" for packages it never checked.
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIT_VENV=${AUDIT_VENV:-.venv-audit}
PIP_AUDIT_VERSION=2.10.1
if [ ! -x "$AUDIT_VENV/bin/pip-audit" ] || ! "$AUDIT_VENV/bin/pip-audit" --version | grep -q "$PIP_AUDIT_VERSION"; then
  python3 -m venv "$AUDIT_VENV"
  # uv (installed into .venv by `make setup`) takes seconds where pip takes about 20; pip if uv fails.
  if [ -x .venv/bin/uv ]; then
    .venv/bin/uv pip install -q --python "$AUDIT_VENV/bin/python" "pip-audit==$PIP_AUDIT_VERSION" \
      || "$AUDIT_VENV/bin/pip" install -q "pip-audit==$PIP_AUDIT_VERSION"
  else
    "$AUDIT_VENV/bin/pip" install -q "pip-audit==$PIP_AUDIT_VERSION"
  fi
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$AUDIT_VENV/bin/pip-audit" -r requirements.lock --no-deps --disable-pip --progress-spinner off >"$out" 2>&1 || status=$?
total=$(grep -cvE '^\s*(#|$)' requirements.lock)
skipped=$(grep -c "could not be audited" "$out" || true)
if [ "$status" -ne 0 ]; then
  cat "$out"
  echo "audit: known vulnerabilities in requirements.lock (see above)" >&2
  exit "$status"
fi
if [ "$skipped" -gt 0 ]; then
  echo "audit: WARNING: $skipped of $total locked packages could not be audited (advisory service unreachable from this machine)"
else
  echo "audit: $total locked packages, no known vulnerabilities"
fi
