#!/usr/bin/env bash
# Listing benchmark: GET /devices?limit=100 pages with filters, one page
# over and over on a single connection, p50/p99 per page.
#
# Part 1, database store (PostgreSQL): BIG (1,000,000) devices made by SQL
#   (pg_gen_devices in common.sh, gen_devices' shape), and the provisioning
#   status of every other one made by SQL as the flusher writes it (last
#   request spread over a day, firmware 1.0.11.6 or 1.0.11.7 (one in ten),
#   one seen device in 100 served an older version, in_sync set as for
#   schema version 3); then each filter's
#   first, middle (after the 500,000th MAC) and last page (after the
#   999,990th): wrk, one connection, DURATION.  Target: p99 < 50 ms.
# Part 2, directory store: NDIR (100,000) devices (gen_store), no status
#   (so never_seen walks every device's status too); each filter's first
#   page ROUNDS_DIR times with curl (p99 of so few samples is their
#   maximum): how large a directory store can be for the listing.
#
# Usage: bench/run-filters.sh     (about 10 minutes; make first)
# Env:   BIG=1000000 NDIR=100000 DURATION=5s ROUNDS_DIR=10 SQL=1 DIR=1
#        MODULE_FROM=tree|HEAD OUT=bench/out
# Only loopback traffic. Scratch files go to bench/out (gitignored).
set -euo pipefail
NDEV=${NDIR:-100000}
. "$(dirname "$0")/common.sh"

BIG=${BIG:-1000000}
DURATION=${DURATION:-5s}
ROUNDS_DIR=${ROUNDS_DIR:-10}
RUN_SQL=${SQL:-1}
RUN_DIR_STORE=${DIR:-1}
TENANT=list.test
THREADS_PER_CHILD=25
MAX_WORKERS=50

bench_setup wrk curl
CLI=$REPO/gsprov
[ -x "$CLI" ] || die "$CLI missing: run make"

t0=$(date +%s)
echo "== mod_gsprov listing benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by wrk, httpd and PostgreSQL"
echo "         kernel $(uname -r), $("$APACHE" -v | awk -F': ' '/version/ {print $2}'), $(/usr/lib/postgresql/15/bin/postgres -V)"
echo "module:  $MODULE ($MODULE_DESC)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at start"

ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }
worst=0
bad=0

# page LABEL POSITION PATH: one connection to $BASE, DURATION, one line
page() {
    local label=$1 pos=$2 path=$3 body items nxt res p99
    body=$(curl -s "$BASE$path")
    items=$(grep -o '"mac":' <<<"$body" | wc -l || true)
    nxt=$(sed -n 's/.*"next":\([^}]*\)}.*/\1/p' <<<"$body")
    echo "$path" > "$OUT/page.txt"
    res=$(THREADS=1 CONNS=1 run_wrk "$BASE" rotate.lua "$DURATION" "$OUT/page.txt")
    bad=$((bad + $(errors_of "$res")))
    p99=$(field p99_us "$res"); [ "$p99" -gt "$worst" ] && worst=$p99
    printf '%-40s %-6s %8s %9s %9s %6s %s\n' "$label" "$pos" "$(field rps "$res")" \
        "$(ms "$(field p50_us "$res")")" "$(ms "$p99")" "$items" "${nxt:-?}"
}

# ================================================================ part 1 ===
if [ "$RUN_SQL" = 1 ]; then
    echo
    echo "-- part 1: database store (PostgreSQL), $BIG devices made by SQL"
    PGPORT=$(free_port 2); PS=$((PGPORT + 1))
    rm -rf "$OUT/pg"; mkdir -p "$OUT/pg" "$OUT/run" "$OUT/logs"
    pg_start "$OUT/pg" "$PGPORT" shared_buffers=1GB max_connections=100 \
        || die "PostgreSQL did not start"
    PARAMS="host=$OUT/pg/sock port=$PGPORT user=gsprov dbname=gsprov connect_timeout=2"
    chmod a+rx "$OUT" "$OUT/pg"
    sql() { pg "$OUT/pg" "$PGPORT" -Atq --no-psqlrc -c "$1"; }
    sql "CREATE EXTENSION pg_prewarm" >/dev/null
    "$CLI" db init --driver pgsql --params "$PARAMS" >/dev/null
    g0=$(date +%s)
    pg_gen_devices sql $TENANT 1 "$BIG"
    # the status of every other device, as the flusher writes it
    now=$(date +%s)
    sql "INSERT INTO gsprov_device_status (tenant, mac, at, client, ua_model, ua_hardware,
             ua_firmware, kind, file, result, served_version, in_sync)
         SELECT '$TENANT', d.mac, $now - (i * 37) % 86400, '192.0.2.' || (i % 250 + 1),
                'GXP2170', 'V2.2A', CASE WHEN i % 10 = 0 THEN '1.0.11.7' ELSE '1.0.11.6' END,
                'xml', 'cfg' || d.mac || '.xml', 200,
                CASE WHEN i % 200 = 0 THEN 'old' ELSE d.version END, i % 200 <> 0
         FROM generate_series(2, $BIG, 2) AS i
         JOIN gsprov_devices d ON d.tenant = '$TENANT' AND d.mac = '000b82' || lpad(to_hex(i), 6, '0');
         ANALYZE"
    for t in gsprov_devices gsprov_device_groups gsprov_device_vars gsprov_device_status; do
        sql "VACUUM ANALYZE $t" >/dev/null
        sql "SELECT pg_prewarm('$t'), pg_prewarm('${t}_pkey')" >/dev/null
    done
    for i in gsprov_devices_model gsprov_device_vars_mac gsprov_device_status_at gsprov_device_status_fw \
             gsprov_device_status_out; do
        sql "SELECT pg_prewarm('$i')" >/dev/null
    done
    sql "CHECKPOINT" >/dev/null
    echo "rows:    $(sql "SELECT count(*) FROM gsprov_devices") records, $(sql "SELECT count(*) FROM gsprov_device_vars") variables, $(sql "SELECT count(*) FROM gsprov_device_status") status rows, made by SQL in $(( $(date +%s) - g0 )) s, database $(sql "SELECT pg_size_pretty(pg_database_size('gsprov'))")"

    NDEV=1 gen_store "$OUT/store"
    conf=$OUT/httpd-list.conf
    write_conf "$conf" "$PS"
    cat >> "$conf" <<EOF
# (bench/run-filters.sh) records and status from PostgreSQL
LoadModule dbd_module $APACHE_MODDIR/mod_dbd.so
LogLevel warn dbd:crit
DBDriver pgsql
DBDParams "$PARAMS"
DBDMin 1
DBDKeep 4
DBDMax $THREADS_PER_CHILD
# a listing page is a short indexed query: PostgreSQL's JIT, which its
# cost estimate of a filtered page's plan (the whole walk, not the page)
# can set off, would cost more than the query (README "Listing devices")
DBDInitSQL "SET jit = off"
GsProvStore dbd $TENANT
GsProvDeviceStatus off
<Location /admin>
    SetHandler gsprov-admin
    Require all granted
</Location>
EOF
    [ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT/store" && mkdir -p "$OUT/docroot"
    bench_httpd_start "$conf" "$PS"
    mid=$(sql "SELECT mac FROM gsprov_devices ORDER BY mac OFFSET $((BIG / 2)) LIMIT 1")
    last=$(sql "SELECT mac FROM gsprov_devices ORDER BY mac OFFSET $((BIG - 10)) LIMIT 1")
    recent=$((now - 8640))      # the last tenth of the day
    one=$(( 1000 + BIG / 3 - BIG / 3 % 3 + 2 ))   # the ext of one ht802
    printf '%-40s %-6s %8s %9s %9s %6s %s\n' filter page "req/s" p50_ms p99_ms items next
    for f in "" "model=ht802" "group=sales" "model=ht802&group=sales" "var.ext=$one" \
             "var.display_name=User%20$one&model=ht802" "firmware=1.0.11.7" "seen_after=$recent" \
             "seen_before=$recent&firmware=1.0.11.7" "in_sync=false" "in_sync=true" "never_seen" \
             "never_seen=false&model=grp2614" "fields=mac,status,in_sync"; do
        for pos in first middle last; do
            q="limit=100${f:+&$f}"
            case $pos in middle) q="$q&after=$mid" ;; last) q="$q&after=$last" ;; esac
            page "${f:-(none)}" "$pos" "/admin/devices?$q"
        done
    done
    # the plan of in_sync=false's middle page (the module's statement,
    # filtered_page in lib/store/gsprov_store_dbd.c, with its arguments)
    echo "plan of in_sync=false, middle page:"
    sql "SET jit = off; EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON)
         SELECT d.mac, d.record, d.version, s.mac, s.at, s.client, s.ua_model, s.ua_hardware,
                s.ua_firmware, s.kind, s.file, s.result, s.served_version
         FROM gsprov_device_status s JOIN gsprov_devices d ON d.tenant = s.tenant AND d.mac = s.mac
         WHERE s.tenant = '$TENANT' AND s.mac > '$mid' AND NOT s.in_sync
           AND d.tenant = '$TENANT' AND d.mac > '$mid' AND d.version <> ''
           AND s.served_version <> d.version ORDER BY s.mac LIMIT 101" | sed 's/^/    /'
    echo "RATIO listing p99 worst at $BIG = $(ms "$worst") ms (target < 50 ms: $([ "$worst" -lt 50000 ] && echo MET || echo "NOT MET"))"
    httpd_stop "$conf"
fi

# ================================================================ part 2 ===
if [ "$RUN_DIR_STORE" = 1 ]; then
    echo
    echo "-- part 2: directory store, $NDEV devices"
    g0=$(date +%s)
    gen_store "$OUT/store"
    echo "store:   $(ls "$OUT/store/devices" | wc -l) records written in $(( $(date +%s) - g0 )) s"
    PD=$(free_port 1)
    conf=$OUT/httpd-list-dir.conf
    write_conf "$conf" "$PD"
    cat >> "$conf" <<EOF
# (bench/run-filters.sh) the directory store
GsProvDeviceStatus off
<Location /admin>
    SetHandler gsprov-admin
    Require all granted
</Location>
EOF
    mkdir -p "$OUT/docroot"
    [ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT/store"
    bench_httpd_start "$conf" "$PD"
    curl -s "$BASE/admin/devices?limit=1" >/dev/null     # the page cache warm
    one=$(( 1000 + NDEV / 3 ))
    printf '%-34s %7s %9s %9s %6s\n' filter rounds p50_ms p99_ms items
    dworst=0
    for f in "" "model=ht802" "group=sales" "var.ext=$one" "never_seen" "in_sync=false"; do
        ts=()
        for ((r = 1; r <= ROUNDS_DIR; r++)); do
            ts+=("$(curl -s -o "$OUT/dir-page.json" -w '%{time_total}' "$BASE/admin/devices?limit=100${f:+&$f}")")
        done
        items=$(grep -o '"mac":' "$OUT/dir-page.json" | wc -l || true)
        p50=$(median "${ts[@]}")
        p99=$(printf '%s\n' "${ts[@]}" | sort -g | tail -1)
        awk -v a="$p99" -v b="$dworst" 'BEGIN {exit !(a > b)}' && dworst=$p99
        printf '%-34s %7s %9s %9s %6s\n' "${f:-(none)}" "$ROUNDS_DIR" \
            "$(awk -v s="$p50" 'BEGIN {printf "%.1f", s * 1000}')" \
            "$(awk -v s="$p99" 'BEGIN {printf "%.1f", s * 1000}')" "$items"
    done
    echo "RESULT directory store at $NDEV: slowest page $(awk -v s="$dworst" 'BEGIN {printf "%.0f", s * 1000}') ms"
    httpd_stop "$conf"
fi
echo "errors:  $bad non-2xx or socket errors (must be 0)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "elapsed: $(( $(date +%s) - t0 )) s"
[ "$bad" = 0 ]
