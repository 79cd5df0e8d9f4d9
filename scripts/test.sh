#!/usr/bin/env bash
# Runs the test suite for `make test` (everything) and `make test-fast` (no browser).
#
# The tests spread over the cores with pytest-xdist; pytest-django gives each worker its own database
# (var/test.sqlite3_gw0, ... on SQLite; test_<name>_gw0, ... on PostgreSQL).
# - fast: every test but the browser tests (marker e2e), PYTEST_WORKERS workers (default `auto`, one a core).
# - all: the browser tests in the same run (tests/e2e), one worker more than there are cores by default: a
#   browser test's worker mostly waits for its Chromium and its live server, and the spare worker runs other
#   tests meanwhile. A worker stops its browser before it runs a test of another kind (tests/e2e/browsers.py).
# On the Python versions whose parser can crash with "SystemError: AST constructor recursion depth mismatch"
# while other threads run (CPython 3.11.0-3.11.7, 3.12.0-3.12.1: the live server's and Playwright's threads,
# a job's heartbeat), failures are reported with --tb=native, which parses no source: a failing test is
# reported, never turned into an INTERNALERROR (docs/decisions.md).
# Extra arguments go to pytest (e.g. a path or -k).
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

if [ "$mode" = all ] && [ -z "${PYTEST_WORKERS:-}" ]; then
  workers=$(( $("$PY" -c 'import os; print(len(os.sched_getaffinity(0)))') + 1 ))
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
if [ "$mode" = fast ]; then
  # With no arguments only the non-browser folders are collected (the browser tests all live in tests/e2e).
  own_half=(--ignore=tests/e2e)
  [ $# -gt 0 ] && own_half=()
  exec "$PY" -m pytest -m "not e2e" "${own_half[@]}" "${xdist[@]}" "${native[@]}" --durations=20 --durations-min=3 "$@"
fi
exec "$PY" -m pytest "${xdist[@]}" "${native[@]}" --durations=25 --durations-min=3 "$@"
