#!/usr/bin/env bash
# Point-in-time recovery drill for PostgreSQL (docs/operations.md), on a PRIVATE throw-away cluster:
# its own folder and port, never the server the portal or other people use.
#
#   sudo bash scripts/pitr_drill.sh        # as root (it runs PostgreSQL as the postgres user)
#
# 1. A new cluster with continuous archiving (every WAL segment copied to an archive folder).
# 2. The portal's schema and demo data in it, then a base backup (pg_basebackup).
# 3. Work after the base backup (a loan repaid), the recovery target time noted, then a disaster:
#    every loan's principal set to 0 by mistake.
# 4. The cluster stopped, its data folder replaced by the base backup, WAL replayed from the archive
#    up to the target time, promoted.
# 5. Checks: the work after the base backup is there, the disaster is not, and the audit chain verifies.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PITR_PORT:-5499}
BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
T=$(mktemp -d /tmp/kedaitong-pitr.XXXXXX)
chown postgres: "$T"
as_pg() { runuser -u postgres -- "$@"; }
psql_pg() { as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -Atq "$@"; }
cleanup() {
    as_pg "$BIN/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT

echo "== 1. private cluster on port $PORT in $T, archiving WAL to $T/wal"
as_pg mkdir "$T/wal"
as_pg "$BIN/initdb" -D "$T/data" -A trust -U postgres >/dev/null
cat >>"$T/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$T'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $T/wal/%f && cp %p $T/wal/%f'
archive_timeout = 60
EOF
as_pg "$BIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w start >/dev/null
psql_pg -c "CREATE ROLE kedaitong LOGIN PASSWORD 'kedaitong'" -c "CREATE DATABASE kd OWNER kedaitong"
export DATABASE_URL="postgres://kedaitong:kedaitong@127.0.0.1:$PORT/kd" MEDIA_ROOT="$T/media"

echo "== 2. the portal's schema and demo data, then a base backup"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py load_demo >/dev/null
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$T/base" -X stream -c fast

echo "== 3. work after the base backup, the target time, then the disaster"
.venv/bin/python manage.py shell -v0 -c "
import datetime as dt
from decimal import Decimal
from loans.models import Loan, Repayment
loan = Loan.objects.order_by('id').first()
Repayment.objects.create(loan=loan, repaid_on=dt.date(2026, 11, 30), principal=Decimal('12345.67'))
"
principal_before=$(psql_pg -d kd -c "SELECT SUM(principal) FROM loans_loan")
repaid_before=$(psql_pg -d kd -c "SELECT SUM(principal) FROM loans_repayment")
sleep 1
TARGET=$(psql_pg -d kd -c "SELECT now()")
sleep 1
psql_pg -d kd -c "UPDATE loans_loan SET principal = 0.01"   # the mistake
psql_pg -d kd -c "SELECT pg_switch_wal()" >/dev/null        # close the segment so it is archived
sleep 2
echo "   target time $TARGET; after the mistake the principal total is $(psql_pg -d kd -c 'SELECT SUM(principal) FROM loans_loan')"

echo "== 4. stop, put the base backup in place, replay the archive up to the target time"
as_pg "$BIN/pg_ctl" -D "$T/data" -w stop >/dev/null
as_pg mv "$T/data" "$T/data.broken"
as_pg cp -a "$T/base" "$T/data"
as_pg cp "$T/data.broken/postgresql.conf" "$T/data/postgresql.conf"
cat >>"$T/data/postgresql.conf" <<EOF
restore_command = 'cp $T/wal/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
EOF
as_pg touch "$T/data/recovery.signal"
as_pg "$BIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w -t 120 start >/dev/null
for _ in $(seq 60); do
    [ "$(psql_pg -c 'SELECT pg_is_in_recovery()')" = "f" ] && break
    sleep 1
done

echo "== 5. checks"
principal_after=$(psql_pg -d kd -c "SELECT SUM(principal) FROM loans_loan")
repaid_after=$(psql_pg -d kd -c "SELECT SUM(principal) FROM loans_repayment")
echo "   principal total: before the mistake $principal_before, recovered $principal_after"
echo "   repayments total: before the mistake $repaid_before, recovered $repaid_after"
test "$principal_after" = "$principal_before"
test "$repaid_after" = "$repaid_before"
grep -q "recovery stopping before commit" "$T/server.log"
.venv/bin/python manage.py audit_verify
echo "PITR drill passed: recovered to $TARGET"
