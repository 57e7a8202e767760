#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests and prints its URL.
# Usage: scripts/start-postgres.sh [dir] [port] [wal dir]   (defaults: /tmp/berth-pg, 54329, inside dir)
set -euo pipefail
dir=${1:-/tmp/berth-pg}
port=${2:-54329}
waldir=${3:-}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2; exit 1; }
url="postgres://berth@127.0.0.1:${port}/berth"
if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  rm -rf "$dir"; mkdir -p "$dir"; chown postgres:postgres "$dir"
  if [ -n "$waldir" ]; then rm -rf "$waldir"; mkdir -p "$waldir"; chown postgres:postgres "$waldir"; fi
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" ${waldir:+--waldir "$waldir"} -U postgres -A trust >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" -w start >/dev/null
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "create role berth login superuser" >/dev/null
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "create database berth owner berth" >/dev/null
fi
echo "$url"
