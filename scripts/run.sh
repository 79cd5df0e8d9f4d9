#!/usr/bin/env bash
# `make run` (the demo) and `make dev` (RUN_DEBUG=1: Django's debug pages) serve the portal with one
# background worker (manage.py run_jobs). The server runs in the foreground: one Ctrl-C stops it, this
# script then ends and its EXIT trap stops the worker (which the Ctrl-C usually stopped already).
#
# `make run` serves with DEBUG off, as the portal is served for real: an unknown address shows the portal's
# own 404 page, not Django's list of every URL; the static files are collected first and served by
# WhiteNoise. Once the server answers, the demo's logins are printed, with how to stop and reset.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ADDRESS=${RUN_ADDRESS:-127.0.0.1:8000}
if [ "${RUN_DEBUG:-0}" = 1 ]; then
  export DEBUG=true
else
  export DEBUG=false
  "$PY" manage.py collectstatic --noinput -v 0
fi
# RUN_WORKER_ARGS: extra arguments for the worker (the tests pass --no-schedule).
"$PY" manage.py run_jobs --reload ${RUN_WORKER_ARGS:-} &
worker=$!
announcer=""
stop_background() {
  [ -n "$announcer" ] && kill -TERM "$announcer" 2>/dev/null
  kill -TERM "$worker" 2>/dev/null
  wait "$worker" 2>/dev/null
}
trap stop_background EXIT
# Wait for the server to answer, then say how to use it (in the background: the server keeps the terminal).
(
  for _ in $(seq 1 120); do
    if "$PY" -c "import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen('http://$ADDRESS/', timeout=1)
except urllib.error.HTTPError:
    pass
except Exception:
    sys.exit(1)" 2>/dev/null; then
      echo
      echo "Kedaitong is ready: http://$ADDRESS/  (DEBUG ${DEBUG})"
      "$PY" manage.py load_demo --logins-only --address "http://$ADDRESS"
      echo
      echo "The server runs in the foreground of this terminal: Ctrl-C stops it and its background worker."
      echo "The database (db.sqlite3) and the uploaded files (var/media) persist between runs, and so do the"
      echo "demo data and whatever you change; 'make reset-demo' deletes them, the next 'make run' loads the demo again."
      exit 0
    fi
    sleep 0.5
  done
  echo "The server did not answer on http://$ADDRESS/ within a minute; see its output above." >&2
) &
announcer=$!
"$PY" manage.py runserver "$ADDRESS"
