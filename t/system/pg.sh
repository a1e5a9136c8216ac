#!/bin/bash
# A private PostgreSQL 15 for the tests and benchmarks: initialised into a
# directory of its own, run by an unprivileged user (nobody when root),
# listening on 127.0.0.1:PORT and a socket in that directory; never the
# system's cluster.
#
#   t/system/pg.sh start DIR PORT [SETTING=VALUE...]
#                         initdb (first time), start, database "gsprov"
#                         owned by role "gsprov"; extra server settings
#                         e.g. fsync=off
#   t/system/pg.sh stop DIR [MODE]     pg_ctl stop -m MODE (default fast)
#   t/system/pg.sh kill DIR            SIGKILL the server (crash tests)
#   t/system/pg.sh params DIR PORT     the DBDParams / --params string
#   t/system/pg.sh psql DIR PORT [psql args...]
#                         psql as gsprov on database gsprov (-At for
#                         scripts), e.g. -c "SELECT ..."
#   t/system/pg.sh running DIR         exit 0 if it runs
#
# The server logs to DIR/log; pg_stat_statements is loaded (statement
# counts for the tests).  PGBIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?usage: pg.sh start|stop|kill|params|psql|running DIR ...}
dir=${2:?pg.sh: DIR}
shift 2

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

case $cmd in
start)
    port=${1:?pg.sh start DIR PORT}; shift
    mkdir -p "$dir/sock"
    [ "$(id -u)" = 0 ] && chown -R nobody "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U gsprov -E UTF8 \
            --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    chmod 700 "$dir/data"      # (a chmod -R of a parent must not stop it)
    opts="-k $dir/sock -p $port -h 127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c max_connections=200"
    for s in "$@"; do opts="$opts -c $s"; done
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -o "$opts" -w -t 60 \
        start >/dev/null || { tail -20 "$dir/log" >&2; exit 1; }
    if ! as_pg "$PGBIN/psql" -h "$dir/sock" -p "$port" -U gsprov -d postgres \
            -Atc "SELECT 1 FROM pg_database WHERE datname = 'gsprov'" | grep -q 1; then
        as_pg "$PGBIN/createdb" -h "$dir/sock" -p "$port" -U gsprov gsprov
        as_pg "$PGBIN/psql" -h "$dir/sock" -p "$port" -U gsprov -d gsprov -q \
            -c "CREATE EXTENSION pg_stat_statements" >/dev/null
    fi
    ;;
stop)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m "${1:-fast}" -w -t 60 stop \
        >/dev/null 2>&1 || true
    ;;
kill)
    pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    ;;
params)
    port=${1:?pg.sh params DIR PORT}
    echo "host=127.0.0.1 port=$port user=gsprov dbname=gsprov connect_timeout=2"
    ;;
psql)
    port=${1:?pg.sh psql DIR PORT}; shift
    as_pg "$PGBIN/psql" -h "$dir/sock" -p "$port" -U gsprov -d gsprov \
        -v ON_ERROR_STOP=1 "$@"
    ;;
running)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
    ;;
*)
    echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
