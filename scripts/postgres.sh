#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests: Debian's PostgreSQL in a folder of its own, on loopback.
# Usage: postgres.sh start DIR PORT   (prints the SQLAlchemy URL of database "gradebook")
#        postgres.sh stop DIR
# Installs Debian's postgresql with apt-get when it is missing (as root; otherwise it says what to run).
set -euo pipefail
action=$1 dir=$2
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
bin=$(find_bin)
if [ -z "$bin" ]; then
  bash "$(dirname "$0")/install-debian-package.sh" /usr/lib/postgresql postgresql "the PostgreSQL gradebook tests" >&2
  bin=$(find_bin)
fi
# initdb and the server refuse to run as root: run them as the postgres user when we are root.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
  start)
    port=$3
    mkdir -p "$dir"
    # The server's own folder: in /tmp, where the postgres user can reach it (DIR may be private).
    server=$(mktemp -d /tmp/mllab-postgres-XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres "$server"
    echo "$server" >"$dir/server-folder"
    as_owner "$bin/initdb" -D "$server/data" -U mllab --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
    as_owner "$bin/pg_ctl" -D "$server/data" -l "$server/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $server -c fsync=off" start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U mllab gradebook
    echo "postgresql+psycopg://mllab@127.0.0.1:$port/gradebook"
    ;;
  stop)
    server=$(cat "$dir/server-folder")
    as_owner "$bin/pg_ctl" -D "$server/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$server"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
