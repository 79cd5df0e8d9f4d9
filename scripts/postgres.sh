#!/usr/bin/env bash
# Makes a local PostgreSQL available for tests: installs Debian's server when
# absent (as root), starts the cluster, and creates the role and database
# `kedaitong` (password `kedaitong`, loopback only). Prints the DATABASE_URL.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: PostgreSQL is not installed; run: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 || { echo "postgres.sh: PostgreSQL did not start" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='kedaitong'\"" | grep -q 1; then
  as_postgres "psql -qc \"CREATE ROLE kedaitong LOGIN CREATEDB PASSWORD 'kedaitong'\""
fi
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='kedaitong'\"" | grep -q 1; then
  as_postgres "createdb -O kedaitong kedaitong"
fi
echo "postgres://kedaitong:kedaitong@127.0.0.1:5432/kedaitong"
