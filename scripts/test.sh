#!/usr/bin/env bash
# Runs the test suite for `make test` (everything) and `make test-fast` (no browser).
#
# 1. The non-browser tests spread over the cores with pytest-xdist (PYTEST_WORKERS,
#    default `auto`); pytest-django gives each worker its own database
#    (var/test.sqlite3_gw0, ... on SQLite; test_<name>_gw0, ... on PostgreSQL).
# 2. The browser tests (marker e2e) run afterwards in pytest processes of their own,
#    with --tb=native: pytest's own traceback formatting parses source files, which
#    CPython 3.11.7 can crash with "SystemError: AST constructor recursion depth
#    mismatch" while the live server's and Playwright's threads run (docs/decisions.md).
#    A failing browser test is then reported, never turned into an INTERNALERROR. On the
#    Python versions with that bug the non-browser half gets --tb=native as well.
# Extra arguments go to both pytest runs (e.g. a path or -k). A half that selects no
# test is not a failure as long as the other half ran some; the exit status is the
# first failing half's.
# Usage: scripts/test.sh all|fast [pytest args ...]
set -u
cd "$(dirname "$0")/.."
# Byte-code caches are written, also when the script is run without make (the Makefile says why).
unset PYTHONDONTWRITEBYTECODE
mode=${1:?usage: scripts/test.sh all|fast [pytest args]}
shift
PY=${PY:-.venv/bin/python}
workers=${PYTEST_WORKERS:-auto}

# Under Debian's faketime (`faketime -f '@2026-12-03 20:00:00' make test-fast`): libfaketime
# reads an absolute FAKETIME in the zone of each process's TZ, and the xdist workers are
# started after Django has set TZ=Asia/Shanghai, so they would run eight hours earlier
# than asked. Pass the instant as seconds since the epoch instead, which no zone changes.
faketime_spec=${FAKETIME:-}
if [ "$faketime_spec" != "${faketime_spec#@}" ] && [ -z "${FAKETIME_FMT:-}" ]; then
  epoch=$(date -d "${faketime_spec#@}" +%s) || exit 2
  export FAKETIME="@$epoch" FAKETIME_FMT=%s
fi

xdist=(-n "$workers")
[ "$workers" = 0 ] && xdist=()

# CPython 3.11.0-3.11.7 and 3.12.0-3.12.1 (gh-106905) can raise that SystemError whenever
# another thread runs while pytest parses source for a traceback: a job's heartbeat
# thread does it in the non-browser suite too. Native tracebacks parse nothing.
native=()
if "$PY" -c 'import sys; v = sys.version_info[:3]; sys.exit(0 if (3, 11) <= v < (3, 11, 8) or (3, 12) <= v < (3, 12, 2) else 1)'; then
  native=(--tb=native)
fi

# --durations: the slowest tests are printed with every run, so a slow one is seen where it landed.
# With no arguments each half collects only its own folder: the browser tests all live in tests/e2e (their
# modules mark themselves e2e), and collecting the other ~3,000 tests only to deselect them cost each browser
# worker seconds of start-up.
own_half=(--ignore=tests/e2e)
[ $# -gt 0 ] && own_half=()
"$PY" -m pytest -m "not e2e" "${own_half[@]}" "${xdist[@]}" "${native[@]}" --durations=20 --durations-min=3 "$@"
fast=$?
if [ "$mode" = fast ]; then
  exit $fast
fi
# The browser tests spread over the cores too (E2E_WORKERS, default as PYTEST_WORKERS): each worker has
# its own live server, Chromium and database.
e2e_workers=${E2E_WORKERS:-$workers}
e2e_xdist=(-n "$e2e_workers")
[ "$e2e_workers" = 0 ] && e2e_xdist=()
e2e_only=(tests/e2e)
[ $# -gt 0 ] && e2e_only=()
"$PY" -m pytest -m e2e "${e2e_xdist[@]}" --tb=native --durations=10 --durations-min=3 "${e2e_only[@]}" "$@"
browser=$?

# 5 is pytest's "no tests collected".
if [ $fast -eq 5 ] && [ $browser -eq 5 ]; then
  exit 5
fi
for status in $fast $browser; do
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
    exit "$status"
  fi
done
exit 0
