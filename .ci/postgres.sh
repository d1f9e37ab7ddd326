#!/usr/bin/env bash
# Start a throw-away PostgreSQL from Debian's package on 127.0.0.1 and print its URL.
# Usage: url=$(.ci/postgres.sh start /tmp/payproof-pg 54329); .ci/postgres.sh stop /tmp/payproof-pg
# initdb refuses to run as root: as root, the cluster belongs to the 'postgres' user.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:-/tmp/payproof-pg}; port=${3:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi; }
case "$cmd" in
start)
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb -D '$dir/data' -A trust -U postgres >/dev/null"
    as_pg "$bin/pg_ctl -D '$dir/data' -l '$dir/log' -o \"-k '$dir' -p $port -h 127.0.0.1\" -w start >/dev/null"
    as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -qc \"CREATE ROLE payproof LOGIN CREATEDB PASSWORD 'payproof'\""
    as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -qc 'CREATE DATABASE payproof OWNER payproof'"
    echo "postgresql://payproof:payproof@127.0.0.1:$port/payproof"
    ;;
stop)
    as_pg "$bin/pg_ctl -D '$dir/data' -m fast -w stop >/dev/null" || true
    ;;
esac
