#!/usr/bin/env bash
# Runs the test suite for `make test` (everything) and `make test-fast` (no browser).
#
# `all`: one pytest session over every test, browser tests (marker e2e) included, spread over the cores with
# pytest-xdist (PYTEST_WORKERS, default `auto`); pytest-django gives each worker its own database
# (var/test.sqlite3_gw0, ... on SQLite; test_<name>_gw0, ... on PostgreSQL), and a worker that meets a browser
# test starts its own live server and Chromium. The slow tests of both kinds start first (tests/conftest.py),
# and the many short ones fill the cores behind them to the end: run as two sessions, the browser tests after
# the others, each session started, collected and copied its databases apart and ended with one core idle
# behind its last long test (docs/decisions.md).
# `fast`: the same without the browser tests (their folder is not even collected).
# On the CPython versions whose traceback formatting can crash with "SystemError: AST constructor recursion
# depth mismatch" while other threads run (the live server's, Playwright's, a job's heartbeat), the tracebacks
# are native (--tb=native): no source is parsed, and a failing test is reported, never an INTERNALERROR.
# Extra arguments go to pytest (e.g. a path or -k).
# Usage: scripts/test.sh all|fast [pytest args ...]
set -u
cd "$(dirname "$0")/.."
# Byte-code caches are written, also when the script is run without make (the Makefile says why).
unset PYTHONDONTWRITEBYTECODE
mode=${1:?usage: scripts/test.sh all|fast [pytest args]}
shift
case $mode in all | fast) ;; *) echo "usage: scripts/test.sh all|fast [pytest args]" >&2; exit 2 ;; esac
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

# A checkout without a migrated test database to copy (tests/dbtemplate.py: var/test-template-<key>.sqlite3)
# has one built beside the workers' start-up: migrating takes about 20 s of one core, which a worker would
# otherwise spend after its collection while the other waits for it. One pytest process migrates, the rest
# copy (the template's lock); a template of other migrations is replaced by the first worker, as before. Only for
# a whole run on workers: the builder's own test database is the one a run without workers would use.
builder=
database=${DATABASE_URL:-sqlite}
if [ $# -eq 0 ] && [ "$workers" != 0 ] && [ "$database" != "${database#sqlite}" ] \
  && ! compgen -G "var/test-template-*.sqlite3" > /dev/null; then
  mkdir -p var
  "$PY" -m pytest -p no:cacheprovider -q -n 0 \
    tests/kedaitong/test_dbtemplate.py::test_the_test_database_has_every_migration_applied \
    > var/test-template.log 2>&1 &
  builder=$!
fi

# --durations: the slowest tests are printed with every run, so a slow one is seen where it landed.
# `fast` with no arguments collects no browser test: they all live in tests/e2e (their modules mark themselves
# e2e), and collecting them only to deselect them cost each worker seconds of start-up.
select=()
if [ "$mode" = fast ]; then
  select=(-m "not e2e")
  [ $# -eq 0 ] && select+=(--ignore=tests/e2e)
fi
"$PY" -m pytest "${select[@]}" "${xdist[@]}" "${native[@]}" --durations=20 --durations-min=3 "$@"
status=$?
# The builder is long done (the workers waited for its template); it never outlives the run.
[ -n "$builder" ] && { kill "$builder" 2> /dev/null; wait "$builder" 2> /dev/null; }
exit $status
