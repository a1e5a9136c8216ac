#!/usr/bin/env bash
# Farm benchmark: two httpd nodes, one PostgreSQL (GsProvStore dbd), one
# memcached, all on this machine.
#
# Part 1, import: NDEV (100,000) devices of the bench store exported from
#   a directory store and imported into PostgreSQL (time), then imported
#   again (must be a no-op: every record unchanged).
# Part 2, ratios in one run, wrk rotating over all MACs, one wrk per node
#   at once (the requests split across both nodes), alternating:
#     hit     /prov on the cached vhost (memcached + near cache, records
#             read from PostgreSQL on every request)
#     static  /static, the same bytes as plain files, on the same httpds
#     miss    /prov on a vhost with GsProvCache none (every request read
#             from PostgreSQL and rendered)
#   Target: hit/static >= 0.6; miss/static reported.
# Part 3, reboot storm: the NDEV devices each ask for cfg<mac> then
#   cfg<mac>.xml once, half through each node, memcached emptied first
#   (cold) and again (warm): errors (must be 0), p99, httpd and PostgreSQL
#   resident memory
#   (PostgreSQL: proportional, PSS).
# Part 4, scale (database "scale", one node): uncached renders with 1,000
#   devices in the database, then with BIG (1,000,000) devices (generated
#   with SQL), rotating over a random sample of SAMPLE (100,000) of them:
#   target >= 0.9 of the 1,000-device rate; listing pages
#   (GET /admin/devices?limit=100) at the first, middle and last position,
#   with and without ?group=, p50/p99 over a single connection: target
#   p99 < 50 ms.
#
# Usage: bench/run-farm.sh     (about 15 minutes; make first)
# Env:   NDEV=100000 BIG=1000000 SAMPLE=100000 ROUNDS=3 DURATION=8s
#        WARMUP=2s CONNS=32 (split over the two nodes) STORM=1 SCALE=1
#        NEAR=16M (GsProvCacheNear of the nodes; 512M holds every file)
#        PIN=0 MODULE_FROM=tree|HEAD OUT=bench/out
# Only loopback traffic. Scratch files go to bench/out (gitignored).
set -euo pipefail
NDEV=${NDEV:-100000}
. "$(dirname "$0")/common.sh"

BIG=${BIG:-1000000}
SAMPLE=${SAMPLE:-100000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-32}
THREADS=1
STORM=${STORM:-1}
SCALE=${SCALE:-1}
NEAR=${NEAR:-16M}
TARGET=0.6
THREADS_PER_CHILD=25
MAX_WORKERS=50
PIN=${PIN:-0}
TENANT=bench.test
VARS=(--var sip_server=sip.bench.example --var prov_host=prov.bench.example)

bench_setup wrk curl memcached
CLI=$REPO/gsprov
[ -x "$CLI" ] || die "$CLI missing: run make"
PG=$REPO/t/system/pg.sh

t0=$(date +%s)
echo "== mod_gsprov farm benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by wrk, two httpds, PostgreSQL and memcached"
echo "         kernel $(uname -r), $("$APACHE" -v | awk -F': ' '/version/ {print $2}'), $(/usr/lib/postgresql/15/bin/postgres -V), $(memcached -V), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
echo "module:  $MODULE ($MODULE_DESC)"
for ((i = 0; i < ${SETTLE:-60}; i++)); do
    awk '{exit !($1 < 1.0)}' /proc/loadavg && break; sleep 1
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load0 at start"

PGPORT=$(free_port 8)
MPORT=$((PGPORT + 1)); PA=$((PGPORT + 2)); PB=$((PGPORT + 3))
PA2=$((PGPORT + 4)); PB2=$((PGPORT + 5)); PS=$((PGPORT + 6))

# ---------------------------------------------------------------- database
rm -rf "$OUT/pg"; mkdir -p "$OUT/pg" "$OUT/run"
openssl rand -hex 32 > "$OUT/cache-secret"   # seals the values both nodes cache
# a database host sized for its working set: the million-device table
# (about 800 MB with its indexes) fits in shared_buffers
pg_start "$OUT/pg" "$PGPORT" shared_buffers=1GB max_connections=300 \
    || die "PostgreSQL did not start"
# on this host: its Unix socket (a farm's nodes reach it over TCP)
PARAMS="host=$OUT/pg/sock port=$PGPORT user=gsprov dbname=gsprov connect_timeout=2"
chmod a+rx "$OUT" "$OUT/pg"
sql() { pg "$OUT/pg" "$PGPORT" -Atq --no-psqlrc -c "$1"; }
pg "$OUT/pg" "$PGPORT" -q -c "CREATE DATABASE scale" >/dev/null
for db in gsprov scale; do
    pg "$OUT/pg" "$PGPORT" -q -d "$db" -c "CREATE EXTENSION pg_prewarm" >/dev/null
done
"$CLI" db init --driver pgsql --params "$PARAMS" >/dev/null
"$CLI" db init --driver pgsql --params "${PARAMS/dbname=gsprov/dbname=scale}" >/dev/null
pg_pss() {      # PostgreSQL's memory (MiB): proportional set size summed
                # over its processes (RSS would count shared_buffers in each)
    local p; p=$(head -1 "$OUT/pg/data/postmaster.pid")
    for pid in "$p" $(ps -o pid= --ppid "$p"); do
        awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null
    done | awk '{s += $1} END {print int(s / 1024)}'
}
echo "postgres: $OUT/pg/sock (port $PGPORT), shared_buffers 1GB, fsync and synchronous_commit on"
# after a bulk load: statistics, the dirty pages written, autovacuum done,
# the table and its index in shared_buffers (not measured while it runs)
settle_db() {   # settle_db DATABASE TABLE...
    local db=$1 t; shift
    for t in "$@"; do
        pg "$OUT/pg" "$PGPORT" -Atq --no-psqlrc -d "$db" -c "VACUUM ANALYZE $t" \
            -c "SELECT pg_prewarm('$t'), pg_prewarm('${t}_pkey')" >/dev/null
    done
    pg "$OUT/pg" "$PGPORT" -Atq --no-psqlrc -d "$db" -c "CHECKPOINT" >/dev/null
}

# ================================================================ part 1 ===
echo
echo "-- part 1: import of $NDEV records from a directory store"
g0=$(date +%s)
gen_store "$OUT/store"
ls "$OUT/store/devices" | sed 's/\.xml$//' > "$OUT/macs.txt"
echo "store:   $(wc -l < "$OUT/macs.txt") records written in $(( $(date +%s) - g0 )) s ($(store_counts "$OUT/store"))"
s=$(date +%s.%N)
"$CLI" export --root "$OUT/store" > "$OUT/farm.jsonl" 2>"$OUT/export.log"
echo "export:  $(tail -1 "$OUT/export.log"), $(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
for pass in first second; do
    s=$(date +%s.%N)
    "$CLI" import --root "$OUT/store" --driver pgsql --params "$PARAMS" --tenant $TENANT \
        "${VARS[@]}" "$OUT/farm.jsonl" 2>"$OUT/import.log" || { tail "$OUT/import.log"; die "import failed"; }
    printf 'import:  %-6s %s, %s s\n' "$pass" "$(tail -1 "$OUT/import.log" | sed 's/^gsprov import: //')" \
        "$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')"
done
settle_db gsprov gsprov_devices gsprov_device_groups
echo "rows:    $(sql "SELECT count(*) FROM gsprov_devices WHERE tenant = '$TENANT'") records, $(sql "SELECT count(*) FROM gsprov_audit WHERE tenant = '$TENANT'") audit rows, database $(sql "SELECT pg_size_pretty(pg_database_size('gsprov'))")"

# ================================================================ nodes ====
memcached_start -o "-t 1 -m 2048 -c 4096" "$OUT/run/memcached.pid" "$MPORT" "${HTTPD_PIN[@]}" \
    || die "memcached did not start"
node_conf() {   # node_conf NAME PORT PORT2
    local conf=$OUT/httpd-$1.conf
    RUN_DIR=$OUT/run-$1 LOG_DIR=$OUT/logs-$1 write_conf "$conf" "$2"
    mkdir -p "$OUT/run-$1" "$OUT/logs-$1"
    cat >> "$conf" <<EOF

# (bench/run-farm.sh) records from PostgreSQL, rendered files in memcached
LoadModule dbd_module $APACHE_MODDIR/mod_dbd.so
LogLevel warn dbd:crit
DBDriver pgsql
DBDParams "$PARAMS"
DBDMin 1
DBDKeep 8
DBDMax $THREADS_PER_CHILD
GsProvStore dbd $TENANT
GsProvCache memcached "--SERVER=127.0.0.1:$MPORT"
GsProvCacheSecret $OUT/cache-secret
GsProvCacheNear $NEAR
<Location /status>
    SetHandler gsprov-status
</Location>
Listen 127.0.0.1:$3
<VirtualHost 127.0.0.1:$3>
    GsProvCache none
</VirtualHost>
EOF
    [ "$1" = a ] && cat >> "$conf" <<EOF
# part 4: another database, no cache, the admin API
Listen 127.0.0.1:$PS
<VirtualHost 127.0.0.1:$PS>
    DBDParams "${PARAMS/dbname=gsprov/dbname=scale}"
    GsProvCache none
    GsProvStore dbd scale.test
    <Location /admin>
        SetHandler gsprov-admin
        Require all granted
    </Location>
</VirtualHost>
EOF
    return 0
}
node_conf a "$PA" "$PA2"
node_conf b "$PB" "$PB2"
rm -rf "$OUT/docroot"; mkdir -p "$OUT/docroot/static"
[ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT/store" "$OUT/docroot" "$OUT"/run-? "$OUT"/logs-? && chmod a+rx "$OUT"
bench_httpd_start "$OUT/httpd-a.conf" "$PA"; BASE_A=$BASE
bench_httpd_start "$OUT/httpd-b.conf" "$PB"; BASE_B=$BASE
echo "nodes:   $BASE_A and $BASE_B (cached; no cache on :$PA2, :$PB2), each mpm_event $((MAX_WORKERS / THREADS_PER_CHILD)) x $THREADS_PER_CHILD threads, DBDMax $THREADS_PER_CHILD per child, near cache $NEAR per child"

# ================================================================ part 2 ===
echo
echo "-- part 2: hit / miss vs static, $NDEV devices, both nodes at once"
# every file once through node a (stored in memcached), kept as static
split -n l/4 "$OUT/macs.txt" "$OUT/macs.part."
for f in "$OUT"/macs.part.*; do
    ( while read -r mac; do
          printf 'url = "%s/prov/cfg%s.xml"\noutput = "%s/docroot/static/cfg%s.xml"\n' \
              "$BASE_A" "$mac" "$OUT" "$mac"
      done < "$f" > "$f.cfg"
      curl -s -K "$f.cfg" -w '%{http_code}\n' > "$f.codes" ) &
done
wait_parts() { local p; for p in $(jobs -p); do [ "$p" = "$(cat "$OUT/run/memcached.pid")" ] || wait "$p"; done; }
wait_parts
codes=$(cat "$OUT"/macs.part.*.codes | sort | uniq -c | tr -s ' ' | paste -sd,)
[ "$codes" = " $NDEV 200" ] || die "fetching the /prov files: status counts$codes"
[ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT/docroot"
mism=0
for mac in $(awk 'NR % 5000 == 1' "$OUT/macs.txt"); do
    curl -s "$BASE_B/prov/cfg$mac.xml" | cmp -s - "$OUT/docroot/static/cfg$mac.xml" || mism=$((mism + 1))
done
[ "$mism" = 0 ] || die "$mism sampled hits on node b differ from the bytes node a stored"
echo "files:   $NDEV rendered through node a and stored; node b's hits byte-identical (sample of $((NDEV / 5000)))"
shuf "$OUT/macs.txt" > "$OUT/macs-b.txt"

# both nodes at once: one wrk each, half the connections each -> summed
pair() {    # pair PATH-A-BASE PATH-B-BASE PREFIX DURATION -> "rps p50 p99 errors"
    local la lb ra rb
    CONNS=$((CONNS / 2)) run_wrk "$1" rotate.lua "$4" "$3" "$OUT/macs.txt" > "$OUT/pair.a" &
    CONNS=$((CONNS / 2)) run_wrk "$2" rotate.lua "$4" "$3" "$OUT/macs-b.txt" > "$OUT/pair.b" &
    wait_parts
    ra=$(cat "$OUT/pair.a"); rb=$(cat "$OUT/pair.b")
    echo "$(awk -v a="$(field rps "$ra")" -v b="$(field rps "$rb")" 'BEGIN {printf "%.1f", a + b}') \
$(( $(field p50_us "$ra") > $(field p50_us "$rb") ? $(field p50_us "$ra") : $(field p50_us "$rb") )) \
$(( $(field p99_us "$ra") > $(field p99_us "$rb") ? $(field p99_us "$ra") : $(field p99_us "$rb") )) \
$(( $(errors_of "$ra") + $(errors_of "$rb") ))"
}
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
pair "$BASE_A" "$BASE_B" /prov "$WARMUP" >/dev/null
pair "$BASE_A" "$BASE_B" /static "$WARMUP" >/dev/null
pair "http://127.0.0.1:$PA2" "http://127.0.0.1:$PB2" /prov "$WARMUP" >/dev/null
status_sum() {  # status_sum FIELD: over both nodes' status pages
    for b in "$BASE_A" "$BASE_B"; do curl -s "$b/status"; done | awk -v k="$1:" '$1 == k {s += $2} END {print s + 0}'
}
declare -a HIT STATIC MISS
bad=0
printf '%-6s %-7s %12s %9s %9s %7s\n' round side "requests/s" p50_ms p99_ms errors
for ((r = 1; r <= ROUNDS; r++)); do
    for side in hit static miss; do
        case $side in
            hit)    res=$(pair "$BASE_A" "$BASE_B" /prov "$DURATION") ;;
            static) res=$(pair "$BASE_A" "$BASE_B" /static "$DURATION") ;;
            miss)   res=$(pair "http://127.0.0.1:$PA2" "http://127.0.0.1:$PB2" /prov "$DURATION") ;;
        esac
        read -r rps p50 p99 e <<<"$res"
        bad=$((bad + e))
        printf '%-6s %-7s %12s %9s %9s %7s\n' "$r" "$side" "$rps" "$(ms "$p50")" "$(ms "$p99")" "$e"
        case $side in hit) HIT+=("$rps") ;; static) STATIC+=("$rps") ;; miss) MISS+=("$rps") ;; esac
    done
done
mh=$(median "${HIT[@]}"); mst=$(median "${STATIC[@]}"); mm=$(median "${MISS[@]}")
rhit=$(awk -v a="$mh" -v b="$mst" 'BEGIN {printf "%.3f", a / b}')
rmiss=$(awk -v a="$mm" -v b="$mst" 'BEGIN {printf "%.3f", a / b}')
echo "median:  hit $mh req/s, static $mst req/s, miss (no cache) $mm req/s"
echo "cache:   $(status_sum CacheHits) hits ($(status_sum CacheNearHits) from near caches), $(status_sum CacheMisses) misses, since the nodes started; database: $(status_sum DatabaseQueries) statements, $(status_sum DatabaseErrors) errors"
echo "errors:  $bad non-2xx/socket errors (must be 0); error_log warn+ lines: $(cat "$OUT"/logs-[ab]/error_log | grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] ' || true)"
echo "RATIO hit/static = $rhit (target >= $TARGET: $(awk -v r="$rhit" -v t="$TARGET" 'BEGIN {print (r >= t) ? "MET" : "NOT MET"}'))"
echo "RATIO miss/static = $rmiss (reported)"

# ================================================================ part 3 ===
if [ "$STORM" = 1 ]; then
    echo
    echo "-- part 3: reboot storm, $NDEV devices x (cfg<mac>, cfg<mac>.xml), half through each node"
    split -n l/2 "$OUT/macs.txt" "$OUT/storm."
    storm_node() {  # storm_node BASE LIST -> RESULT line
        local d=$OUT/storm-done-${2##*.} log=$OUT/wrk-storm-$(date +%s%N).log pid i
        rm -rf "$d"; mkdir -p "$d"; [ "$(id -u)" = 0 ] && chmod a+rwx "$d"
        "${WRK_PIN[@]}" wrk -t1 -c$((CONNS / 2)) -d600s --latency -s "$BENCH_DIR/once.lua" \
            "$1" -- /prov "$2" 1 "$d" > "$log" 2>&1 &
        pid=$!
        for ((i = 0; i < 6000; i++)); do
            [ "$(ls "$d" | wc -l)" -ge 1 ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" || true
        grep '^RESULT ' "$log" || { cat "$log" >&2; die "no RESULT from wrk"; }
    }
    mc_flush() { { exec 3<>"/dev/tcp/127.0.0.1/$MPORT"; printf 'flush_all\r\nquit\r\n' >&3; timeout 2 cat <&3 >/dev/null; exec 3<&-; } 2>/dev/null || true; }
    rss_both() { echo $(( $(httpd_rss "$OUT/run-a/httpd.pid" | cut -d' ' -f1) + $(httpd_rss "$OUT/run-b/httpd.pid" | cut -d' ' -f1) )); }
    printf '%-5s %10s %12s %9s %9s %7s %14s %12s\n' pass requests "requests/s" p50_ms p99_ms errors "httpd_rss_MiB" "pg_pss_MiB"
    printf '%-5s %10s %12s %9s %9s %7s %14s %12s\n' start - - - - - "$(( $(rss_both) / 1024 ))" "$(pg_pss)"
    sbad=0
    for pass in cold warm; do
        [ "$pass" = cold ] && mc_flush
        s=$(date +%s.%N)
        storm_node "$BASE_A" "$OUT/storm.aa" > "$OUT/storm.ra" &
        storm_node "$BASE_B" "$OUT/storm.ab" > "$OUT/storm.rb" &
        wait_parts
        el=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
        ra=$(cat "$OUT/storm.ra"); rb=$(cat "$OUT/storm.rb")
        n=$(( $(field requests "$ra") + $(field requests "$rb") ))
        e=$(( $(errors_of "$ra") + $(errors_of "$rb") )); sbad=$((sbad + e))
        p50=$(( $(field p50_us "$ra") > $(field p50_us "$rb") ? $(field p50_us "$ra") : $(field p50_us "$rb") ))
        p99=$(( $(field p99_us "$ra") > $(field p99_us "$rb") ? $(field p99_us "$ra") : $(field p99_us "$rb") ))
        printf '%-5s %10s %12s %9s %9s %7s %14s %12s\n' "$pass" "$n" "$(awk -v n="$n" -v t="$el" 'BEGIN {printf "%.1f", n / t}')" \
            "$(ms "$p50")" "$(ms "$p99")" "$e" "$(( $(rss_both) / 1024 ))" "$(pg_pss)"
    done
    echo "errors:  $sbad (must be 0); the p50/p99 columns are the slower node's"
    bad=$((bad + sbad))
fi
httpd_stop "$OUT/httpd-b.conf"

# ================================================================ part 4 ===
if [ "$SCALE" = 1 ]; then
    echo
    echo "-- part 4: scale, one node, database 'scale': 1,000 then $BIG devices"
    ssql() { pg "$OUT/pg" "$PGPORT" -Atq --no-psqlrc -d scale -c "$1"; }
    # the bench store's records, made by SQL (the same shape as gen_devices)
    # the bench store's records, made by SQL (bench/common.sh)
    gen_rows() { pg_gen_devices ssql scale.test "$1" "$2"; }
    gen_rows 1 1000
    settle_db scale gsprov_devices gsprov_device_groups
    ssql "SELECT mac FROM gsprov_devices ORDER BY mac" > "$OUT/scale-1k.txt"
    SBASE=http://127.0.0.1:$PS
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$SBASE/prov/cfg$(head -1 "$OUT/scale-1k.txt").xml")" = 200 ] \
        || die "node a does not serve the scale database"
    CONNS_S=$CONNS
    render() {  # render LIST -> median rps over ROUNDS
        local r v=()
        CONNS=$CONNS_S run_wrk "$SBASE" rotate.lua "$WARMUP" /prov "$1" >/dev/null
        for ((r = 1; r <= ROUNDS; r++)); do
            res=$(CONNS=$CONNS_S run_wrk "$SBASE" rotate.lua "$DURATION" /prov "$1")
            bad=$((bad + $(errors_of "$res")))
            v+=("$(field rps "$res")")
        done
        median "${v[@]}"
    }
    r1k=$(render "$OUT/scale-1k.txt")
    echo "render:  1,000 devices in the database: $r1k req/s (median of $ROUNDS, uncached)"
    g0=$(date +%s)
    gen_rows 1001 "$BIG"
    settle_db scale gsprov_devices gsprov_device_groups
    echo "rows:    $(ssql "SELECT count(*) FROM gsprov_devices") records made by SQL in $(( $(date +%s) - g0 )) s, database $(ssql "SELECT pg_size_pretty(pg_database_size('scale'))")"
    ssql "SELECT mac FROM gsprov_devices ORDER BY random() LIMIT $SAMPLE" > "$OUT/scale-sample.txt"
    rbig=$(render "$OUT/scale-sample.txt")
    rsame=$(render "$OUT/scale-1k.txt")
    echo "render:  $BIG devices: $rbig req/s over a random sample of $SAMPLE, $rsame req/s over the first 1,000"
    echo "RATIO render at $BIG / at 1,000 = $(awk -v a="$rbig" -v b="$r1k" 'BEGIN {printf "%.3f", a / b}') (target >= 0.9: $(awk -v a="$rbig" -v b="$r1k" 'BEGIN {print (a / b >= 0.9) ? "MET" : "NOT MET"}'))"

    # listing pages: one connection, one page over and over
    mid=$(ssql "SELECT mac FROM gsprov_devices ORDER BY mac OFFSET $((BIG / 2)) LIMIT 1")
    last=$(ssql "SELECT mac FROM gsprov_devices ORDER BY mac OFFSET $((BIG - 50)) LIMIT 1")
    gmid=$(ssql "SELECT mac FROM gsprov_device_groups WHERE grp = 'sales' ORDER BY mac OFFSET $((BIG / 10)) LIMIT 1")
    glast=$(ssql "SELECT mac FROM gsprov_device_groups WHERE grp = 'sales' ORDER BY mac OFFSET $((BIG / 5 - 50)) LIMIT 1")
    printf '%-22s %8s %9s %9s %7s %s\n' page "req/s" p50_ms p99_ms items next
    worst=0
    for page in "first" "middle after=$mid" "last after=$last" "group first" "group middle after=$gmid" "group last after=$glast"; do
        q="limit=100"
        case $page in group*) q="$q&group=sales" ;; esac
        case $page in *after=*) q="$q&after=${page##*after=}" ;; esac
        echo "/admin/devices?$q" > "$OUT/page.txt"
        body=$(curl -s "$SBASE/admin/devices?$q")
        items=$(grep -o '"mac":' <<<"$body" | wc -l)
        nxt=$(sed -n 's/.*"next":\([^}]*\)}.*/\1/p' <<<"$body")
        res=$(THREADS=1 CONNS=1 run_wrk "$SBASE" rotate.lua 5s "$OUT/page.txt")
        bad=$((bad + $(errors_of "$res")))
        p99=$(field p99_us "$res"); [ "$p99" -gt "$worst" ] && worst=$p99
        printf '%-22s %8s %9s %9s %7s %s\n' "${page%% after=*}" "$(field rps "$res")" "$(ms "$(field p50_us "$res")")" \
            "$(ms "$p99")" "$items" "$nxt"
    done
    echo "RATIO listing p99 worst = $(ms "$worst") ms (target < 50 ms: $([ "$worst" -lt 50000 ] && echo MET || echo "NOT MET"))"
fi
httpd_stop "$OUT/httpd-a.conf"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at end (start $load0)"
echo "elapsed: $(( $(date +%s) - t0 )) s"
[ "$bad" = 0 ] || exit 2
