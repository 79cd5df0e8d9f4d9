#!/usr/bin/env bash
# `make run`: the development server and one background worker (manage.py run_jobs) together.
# One Ctrl-C stops both: the server runs in the foreground and ends on it; this script then
# ends, and its EXIT trap stops the worker (which the Ctrl-C usually stopped already).
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ADDRESS=${RUN_ADDRESS:-127.0.0.1:8000}
"$PY" manage.py run_jobs --reload &
worker=$!
stop_worker() {
  kill -TERM "$worker" 2>/dev/null
  wait "$worker" 2>/dev/null
}
trap stop_worker EXIT
"$PY" manage.py runserver "$ADDRESS"
