#!/usr/bin/env bash
# Production smoke check (CI): build and serve the portal as docs/deploy.md says, then request
# every GET page of the access matrix as every role and fail on any server error.
#
# 1. A fresh SQLite database and media folder in a temporary directory; production settings
#    (DJANGO_ENV=production, a freshly generated SECRET_KEY, ALLOWED_HOSTS, BEHIND_PROXY=1).
# 2. migrate (from the test suite's migrated template when there is one), load_demo, collectstatic
#    (the manifest storage, as production builds it).
# 3. gunicorn with 2 workers on a free loopback port; wait for /healthz/.
# 4. scripts/prod_smoke.py logs in as each role and requests every page (X-Forwarded-Proto:
#    https, as the TLS-terminating proxy sends it, so the SSL redirect and secure cookies work);
#    the few rows whose objects clash with others' are then requested each alone, in process,
#    on a copy of the database taken before load_demo (the demo's budgets would clash too).
# gunicorn's log is printed when a step fails. Usage: bash scripts/prod_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
work=$(mktemp -d)
gunicorn_pid=""
cleanup() {
  if [ -n "$gunicorn_pid" ]; then
    kill "$gunicorn_pid" 2>/dev/null || true
    wait "$gunicorn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "prod_smoke: $*" >&2
  if [ -f "$work/gunicorn.log" ]; then
    echo "--- gunicorn log (last 80 lines)" >&2
    tail -n 80 "$work/gunicorn.log" >&2
  fi
  exit 1
}

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DJANGO_ENV=production
export SECRET_KEY
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')
export ALLOWED_HOSTS=127.0.0.1,localhost
export BEHIND_PROXY=1
export DATABASE_URL="sqlite:///$work/db.sqlite3"
export MEDIA_ROOT="$work/media"
export STATIC_ROOT="$work/static"  # not the checkout's staticfiles/, which a test run may be reading
export JOBS_RUNNER=worker  # no job runs behind the check's back
unset DEBUG

echo "== prod_smoke: migrate, load_demo, collectstatic (DJANGO_ENV=production)"
# The test suite's migrated template (tests/dbtemplate.py, var/test-template-<key>.sqlite3), when a run of the
# same migrations left one, is copied first: migrate then only checks that nothing is left to apply (a fresh
# migrate renders ~12,000 historical models, ~20 s; the migrations themselves are run by every fresh test
# database and by `make run`'s test).
template=$(DJANGO_SETTINGS_MODULE=kedaitong.settings "$PY" -c 'import django; django.setup(); from tests.dbtemplate import template_path; print(template_path())' 2>/dev/null || true)
if [ -n "$template" ] && [ -f "$template" ]; then
  "$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
    "$template" "$work/db.sqlite3"
  echo "prod_smoke: database copied from the migrated template $(basename "$template")"
fi
"$PY" manage.py migrate --noinput >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "migrate failed"; }
"$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
  "$work/db.sqlite3" "$work/clean.sqlite3"  # migrated, no demo data yet: for the rows of step 4 that need it
"$PY" manage.py load_demo >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; fail "load_demo failed"; }
"$PY" manage.py collectstatic --noinput --clear >"$work/static.log" 2>&1 || { cat "$work/static.log"; fail "collectstatic failed"; }
tail -n 1 "$work/static.log"

echo "== prod_smoke: gunicorn on 127.0.0.1:$port"
.venv/bin/gunicorn kedaitong.wsgi --workers 2 --bind "127.0.0.1:$port" --timeout 120 --no-control-socket \
  --access-logfile - --error-logfile - >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!
healthy() {
  "$PY" -c 'import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
conn.request("GET", "/healthz/", headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
sys.exit(0 if conn.getresponse().status == 200 else 1)' "$port" 2>/dev/null
}
up=""
for _ in $(seq 1 120); do
  kill -0 "$gunicorn_pid" 2>/dev/null || fail "gunicorn exited"
  if healthy; then
    up=1
    break
  fi
  sleep 0.5
done
[ -n "$up" ] || fail "gunicorn did not answer /healthz/ within a minute"
kill -0 "$gunicorn_pid" 2>/dev/null || fail "gunicorn exited"

echo "== prod_smoke: every GET page of the access matrix as every role"
"$PY" scripts/prod_smoke.py --base "http://127.0.0.1:$port" --unbuilt-file "$work/unbuilt.txt" \
  || fail "pages answered with server errors"
if [ -s "$work/unbuilt.txt" ]; then
  echo "== prod_smoke: rows that need a database of their own, through the same WSGI application"
  DATABASE_URL="sqlite:///$work/clean.sqlite3" "$PY" scripts/prod_smoke.py --in-process "$work/unbuilt.txt" \
    || fail "pages answered with server errors"
fi
if grep -Eq '" 5[0-9]{2} ' "$work/gunicorn.log"; then
  fail "gunicorn logged server errors"
fi
echo "prod_smoke: passed"
