#!/usr/bin/env bash
# Bounded load test on loopback: gunicorn (2 workers) over the large bench
# database, wrk for DURATION seconds per page, printing throughput, p95 and errors;
# then the scale-out run on PostgreSQL (bench/load_scaleout.py: two instances behind
# bench/balancer.py, two job workers, one instance and one worker killed), unless
# LOAD_SCALEOUT=0. LOAD_DATABASE_URL names its database (the name must contain "bench").
# Usage: bench/load.sh [DURATION]   (make load)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-60}
PORT=${LOAD_PORT:-8765}
PY=.venv/bin/python
command -v wrk >/dev/null || bash scripts/sysdeps.sh wrk
DB=$(cd bench && ../$PY -c "from seed import large_database; print(large_database())")
COPY=$(mktemp -d)/load.sqlite3
cp "$DB" "$COPY"
export DATABASE_URL="sqlite:///$COPY" DEBUG=0 ALLOWED_HOSTS=127.0.0.1
# A session for a bureau clerk of Changjiang, made directly (no login form in the measured path).
read -r SESSION < <($PY - <<'PYEOF'
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from applications.models import Program
from kedaitong.models import User
user, _ = User.objects.get_or_create(username="load-clerk", defaults={"role": "bureau_staff", "program": Program.objects.get(code="changjiang")})
s = SessionStore()
s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"; s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(s.session_key)
PYEOF
)
.venv/bin/gunicorn kedaitong.wsgi --workers 2 --bind "127.0.0.1:$PORT" --log-level warning &
GUNICORN=$!
# `|| true`: under `set -e` a failing command in the EXIT trap (the server already stopped below) made every run exit 1.
trap 'kill $GUNICORN 2>/dev/null || true; rm -rf "$(dirname "$COPY")"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz/" && break; sleep 0.2; done
LUA=$(mktemp)
cat > "$LUA" <<'LUAEOF'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %.1f req/s, p95 %.1f ms, errors %d of %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(95) / 1000, errors, summary.requests))
end
LUAEOF
echo "| page | throughput, p95, errors (wrk -t2 -c8 -d${DURATION}s, gunicorn 2 workers) |"
echo "| --- | --- |"
for page in ${LOAD_PAGES:-/review/queue/ /publicity/}; do
  result=$(wrk -t2 -c8 -d"${DURATION}s" -s "$LUA" -H "Cookie: sessionid=$SESSION" "http://127.0.0.1:$PORT$page" | grep RESULT | sed 's/RESULT //')
  echo "| $page | $result |"
done
kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null || true
if [ "${LOAD_SCALEOUT:-1}" != "0" ]; then
  echo
  $PY bench/load_scaleout.py --seconds "$DURATION"
fi
