#!/usr/bin/env bash
# `make run` (the demo) and `make dev` (RUN_DEBUG=1: Django's debug pages, and the autoreloader) serve
# the portal with one background worker (manage.py run_jobs). One Ctrl-C stops both: the script waits on
# the server, and its INT/TERM trap ends the script, whose EXIT trap sends SIGTERM to the server and the
# worker and, after 10 s, SIGKILL to whatever is left. The server does not rely on its own Ctrl-C
# handling: once, inside a full parallel suite on two cores, runserver outlived two Ctrl-Cs
# (docs/decisions.md, "make run stops on one Ctrl-C").
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
  RELOAD=""
else
  export DEBUG=false
  RELOAD="--noreload"
  "$PY" manage.py collectstatic --noinput -v 0
fi
# RUN_WORKER_ARGS: extra arguments for the worker (the tests pass --no-schedule).
"$PY" manage.py run_jobs --reload ${RUN_WORKER_ARGS:-} &
worker=$!
announcer=""
server=""
stop_background() {
  trap - INT TERM
  [ -n "$announcer" ] && kill -TERM "$announcer" 2>/dev/null
  local left="$worker"
  [ -n "$server" ] && left="$left $server"
  kill -TERM $left 2>/dev/null
  alive() {
    local pid
    for pid in $left; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
  }
  for _ in $(seq 1 50); do
    alive || break
    sleep 0.2
  done
  if alive; then
    echo "Stopping the server and worker took over 10 s: killing what is left." >&2
    kill -KILL $left 2>/dev/null
    # runserver's autoreloader (make dev) runs the server in a child of its own.
    pkill -KILL -P "$server" 2>/dev/null
  fi
  wait 2>/dev/null
}
trap stop_background EXIT
trap 'exit 130' INT TERM
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
# In the background so that the trap runs at once on Ctrl-C (bash runs traps only between commands);
# a background command of a script ignores SIGINT, so the server is stopped by the trap's SIGTERM.
"$PY" manage.py runserver $RELOAD "$ADDRESS" &
server=$!
wait "$server"
