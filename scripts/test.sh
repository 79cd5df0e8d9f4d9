#!/usr/bin/env bash
# Runs the test suite for `make test` (everything) and `make test-fast` (no browser).
#
# 1. The non-browser tests spread over the cores with pytest-xdist (PYTEST_WORKERS,
#    default `auto`); pytest-django gives each worker its own database
#    (var/test.sqlite3_gw0, ... on SQLite; test_<name>_gw0, ... on PostgreSQL).
# 2. The browser tests (marker e2e) run afterwards in a pytest process of their own,
#    with --tb=native: pytest's own traceback formatting parses source files, which
#    CPython 3.11 can crash with "SystemError: AST constructor recursion depth
#    mismatch" while the live server's and Playwright's threads run (docs/decisions.md).
#    A failing browser test is then reported, never turned into an INTERNALERROR.
# Extra arguments go to both pytest runs (e.g. a path or -k). A half that selects no
# test is not a failure as long as the other half ran some; the exit status is the
# first failing half's.
# Usage: scripts/test.sh all|fast [pytest args ...]
set -u
cd "$(dirname "$0")/.."
mode=${1:?usage: scripts/test.sh all|fast [pytest args]}
shift
PY=${PY:-.venv/bin/python}
workers=${PYTEST_WORKERS:-auto}

xdist=(-n "$workers")
[ "$workers" = 0 ] && xdist=()

"$PY" -m pytest -m "not e2e" "${xdist[@]}" "$@"
fast=$?
if [ "$mode" = fast ]; then
  exit $fast
fi
"$PY" -m pytest -m e2e --tb=native "$@"
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
