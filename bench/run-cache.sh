#!/usr/bin/env bash
# Cache benchmark of mod_gsprov (issue 5, section Benchmarks).
#
# Part 0, the values' CPU cost (bench/cache-value.c, working tree only):
# opening and packing a 3,040-byte value (a file of part 1) plain
# (GsProvCacheSecret none) and sealed (AES-256-GCM), in CPU time of one
# thread, so the crypto a memcached hit adds is measured apart from the
# machine's load.
#
# Part 1, ratios (1,000 devices, every file encrypted). One httpd serves,
# side by side in the same run, alternating hit, static, miss:
#   hit     /prov/cfg<mac>.xml on a vhost with GsProvCache memcached,
#           after every file was stored once
#   static  /static/cfg<mac>.xml, the same bytes as plain files (core)
#   miss    /prov/cfg<mac>.xml on a vhost with GsProvCache none (every
#           request rendered: the same as no cache)
# Target: hit/static >= 0.9; miss/static is reported.
#
# Part 2, reboot storm: STORM_NDEV (100,000) distinct devices, each asking
# for cfg<mac> then cfg<mac>.xml, once with a cold cache and once warm,
# with wrk (once.lua: every device exactly once per pass). Reports
# throughput, p50/p99 latency, errors (must be 0) and httpd's resident
# memory before and after each pass (must not grow with the number of
# devices: the cache is memcached's memory, not httpd's).
#
# Usage: bench/run-cache.sh       (about 4 minutes; needs make done first)
# Env:   STORM=0 (skip part 2), STORM_NDEV=100000, PIN=1, ROUNDS=3,
#        DURATION=8s, WARMUP=2s, THREADS=2, CONNS=32, MC_THREADS=1,
#        MC_MEMORY_MB=2048, MODULE_FROM=tree|HEAD|<commit>, OUT=bench/out,
#        SECRET=file (GsProvCacheSecret FILE: sealed values, the default)
#        | none (GsProvCacheSecret none: plain values) | omit (no line: for
#        a module from before the secret was required),
#        NEAR=SIZE (GsProvCacheNear SIZE; NEAR=0: every hit is a memcached
#        get, so every hit opens a sealed value)
# Only loopback traffic. Scratch files go to bench/out (gitignored).
set -euo pipefail
. "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
STORM=${STORM:-1}
STORM_NDEV=${STORM_NDEV:-100000}
SECRET=${SECRET:-file}
NEAR=${NEAR:-}
MC_THREADS=${MC_THREADS:-1}
MC_MEMORY_MB=${MC_MEMORY_MB:-2048}
TARGET=0.9
PIN=${PIN:-0}

bench_setup wrk curl openssl ss memcached

CONF=$OUT/httpd-cache.conf
PIDFILE=$OUT/run/httpd.pid
MCPID=$OUT/run/memcached.pid

start_memcached() {
    memcached_stop "$MCPID"
    mkdir -p "$OUT/run"
    # memcached shares the machine with wrk and httpd; pinned with httpd
    memcached_start -o "-t $MC_THREADS -m $MC_MEMORY_MB -c 4096" "$MCPID" "$MPORT" "${HTTPD_PIN[@]}" \
        || die "memcached did not start"
}
mc_stat() {     # mc_stat NAME -> memcached's stats value
    { exec 3<>"/dev/tcp/127.0.0.1/$MPORT"; printf 'stats\r\nquit\r\n' >&3
      timeout 2 cat <&3; exec 3<&-; } 2>/dev/null | tr -d '\r' | awk -v k="$1" '$2 == k {print $3}'
}
mc_rss() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$(cat "$MCPID")/status" 2>/dev/null || echo 0; }

t0=$(date +%s)
echo "== mod_gsprov cache benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by wrk, httpd AND memcached ($([ "$PIN" = 1 ] && echo "PIN=1: httpd+memcached on CPU 0, wrk on CPU 1" || echo "no pinning"))"
echo "         kernel $(uname -r), $("$APACHE" -v | awk -F': ' '/version/ {print $2}'), $(memcached -V), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
echo "module:  $MODULE ($MODULE_DESC)"
echo "values:  SECRET=$SECRET ($(case $SECRET in file) echo "GsProvCacheSecret FILE: sealed, AES-256-GCM (HMAC-SHA256 before the sealing)" ;;
    none) echo "GsProvCacheSecret none: plain, SHA-256 check" ;; *) echo "no GsProvCacheSecret line: the default of a module from before it was required" ;; esac)), near cache: ${NEAR:-default (16M)}"
# let the load of whatever ran before settle (SETTLE=0 to skip)
for ((i = 0; i < ${SETTLE:-60}; i++)); do
    awk '{exit !($1 < 1.0)}' /proc/loadavg && break; sleep 1
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load0 at start"

MPORT=$(free_port 3)
PORT=$(( MPORT + 1 ))
PORT2=$(( MPORT + 2 ))

start_httpd() {
    [ -s "$OUT/cache.secret" ] || openssl rand -hex 32 > "$OUT/cache.secret"
    write_conf "$CONF" "$PORT"
    cat >> "$CONF" <<EOF

# the main server (port $PORT): cached ($SECRET); port $PORT2: the same
# store, no cache
GsProvCache memcached "--SERVER=127.0.0.1:$MPORT"
$(case $SECRET in file) echo "GsProvCacheSecret $OUT/cache.secret" ;;
                  none) echo "GsProvCacheSecret none" ;; esac)
$([ -n "$NEAR" ] && echo "GsProvCacheNear $NEAR")
Listen 127.0.0.1:$PORT2
<VirtualHost 127.0.0.1:$PORT2>
    GsProvCache none
</VirtualHost>
EOF
    # the log of the previous part is kept as error_log.1
    [ -f "$OUT/logs/error_log" ] && mv -f "$OUT/logs/error_log" "$OUT/logs/error_log.1"
    [ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT"
    bench_httpd_start "$CONF" "$PORT"
}

ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }

# ================================================================ part 0 ===
if [ "${MODULE_FROM:-tree}" = tree ] && [ -z "$MODULE_ENV" ]; then
    echo
    echo "-- part 0: CPU cost of a cached value (bench/cache-value.c)"
    inc=$(for d in "$REPO"/lib/*/; do printf -- '-I%s ' "${d%/}"; done)
    # shellcheck disable=SC2086
    if make -s -C "$REPO" build/libgsprov.a >/dev/null \
       && cc -O2 -std=gnu11 $inc $(pkg-config --cflags apr-1 libxml-2.0 openssl jansson) \
             "$BENCH_DIR/cache-value.c" "$REPO/build/libgsprov.a" \
             $(pkg-config --libs apr-1 apr-util-1 libxml-2.0 openssl libmemcached jansson) \
             -o "$OUT/cache-value"; then
        "$OUT/cache-value" 3040 200000
    else
        echo "part 0 skipped: cache-value did not build"
    fi
fi

# ================================================================ part 1 ===
echo
echo "-- part 1: hit / miss vs static, $NDEV devices"
gen_store "$OUT/store"
ls "$OUT/store/devices" | sed 's/\.xml$//' > "$OUT/macs.txt"
rm -rf "$OUT/docroot"; mkdir -p "$OUT/docroot/static"
start_memcached
start_httpd
BASE2=http://127.0.0.1:$PORT2
echo "httpd:   $BASE (GsProvCache memcached) and $BASE2 (GsProvCache none), mpm_event ThreadsPerChild $THREADS_PER_CHILD, MaxRequestWorkers $MAX_WORKERS"
echo "memcached: 127.0.0.1:$MPORT, -t $MC_THREADS -m $MC_MEMORY_MB"

# every file rendered once through the cache (stored), and saved as static
: > "$OUT/fetch.cfg"
while read -r mac; do
    printf 'url = "%s/prov/cfg%s.xml"\noutput = "%s/docroot/static/cfg%s.xml"\n' \
        "$BASE" "$mac" "$OUT" "$mac" >> "$OUT/fetch.cfg"
done < "$OUT/macs.txt"
codes=$(curl -s -K "$OUT/fetch.cfg" -w '%{http_code}\n' | sort | uniq -c | tr -s ' ' | paste -sd,)
[ "$codes" = " $NDEV 200" ] || die "fetching the /prov files: status counts$codes"
[ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT/docroot"
stored=$(mc_stat curr_items)
[ "$stored" -ge "$NDEV" ] || die "memcached holds $stored items after $NDEV files"
# a hit is the very bytes stored (same salt): compare a sample
mism=0
for mac in $(awk 'NR % 50 == 1' "$OUT/macs.txt"); do
    curl -s "$BASE/prov/cfg$mac.xml" | cmp -s - "$OUT/docroot/static/cfg$mac.xml" || mism=$((mism + 1))
done
[ "$mism" = 0 ] || die "$mism sampled hits differ from the stored bytes"
mac1=$(head -1 "$OUT/macs.txt")
pw1=$(sed -n 's:.*<password>\(.*\)</password>.*:\1:p' "$OUT/store/devices/$mac1.xml")
openssl enc -d -aes-256-cbc -md md5 -k "$pw1" -in "$OUT/docroot/static/cfg$mac1.xml" 2>/dev/null \
    | grep -q "<mac>$mac1</mac>" || die "cfg$mac1.xml does not decrypt to its device's XML"
echo "files:   $NDEV stored in memcached ($stored items); sampled hits byte-identical to the stored files; cfg$mac1.xml decrypts with openssl enc"

run_wrk "$BASE" rotate.lua "$WARMUP" /prov "$OUT/macs.txt" >/dev/null
run_wrk "$BASE" rotate.lua "$WARMUP" /static "$OUT/macs.txt" >/dev/null
run_wrk "$BASE2" rotate.lua "$WARMUP" /prov "$OUT/macs.txt" >/dev/null
h0=$(mc_stat get_hits); m0=$(mc_stat get_misses)
declare -a HIT STATIC MISS
bad=0
printf '%-6s %-7s %12s %10s %9s %9s %7s\n' round side "requests/s" requests p50_ms p99_ms errors
for ((r = 1; r <= ROUNDS; r++)); do
    for side in hit static miss; do
        case $side in
            hit)    res=$(run_wrk "$BASE" rotate.lua "$DURATION" /prov "$OUT/macs.txt") ;;
            static) res=$(run_wrk "$BASE" rotate.lua "$DURATION" /static "$OUT/macs.txt") ;;
            miss)   res=$(run_wrk "$BASE2" rotate.lua "$DURATION" /prov "$OUT/macs.txt") ;;
        esac
        e=$(errors_of "$res"); bad=$((bad + e))
        printf '%-6s %-7s %12s %10s %9s %9s %7s\n' "$r" "$side" "$(field rps "$res")" "$(field requests "$res")" \
            "$(ms "$(field p50_us "$res")")" "$(ms "$(field p99_us "$res")")" "$e"
        case $side in hit) HIT+=("$(field rps "$res")") ;; static) STATIC+=("$(field rps "$res")") ;; miss) MISS+=("$(field rps "$res")") ;; esac
    done
done
h1=$(mc_stat get_hits); m1=$(mc_stat get_misses)
mh=$(median "${HIT[@]}"); mst=$(median "${STATIC[@]}"); mm=$(median "${MISS[@]}")
rhit=$(awk -v a="$mh" -v b="$mst" 'BEGIN {printf "%.3f", a / b}')
rmiss=$(awk -v a="$mm" -v b="$mst" 'BEGIN {printf "%.3f", a / b}')
nerr=$(grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] \|exit signal' "$OUT/logs/error_log" 2>/dev/null || true)
echo "median:  hit $mh req/s, static $mst req/s, miss (no cache) $mm req/s"
echo "memcached during the rounds: $((h1 - h0)) get hits, $((m1 - m0)) get misses (must be 0)"
echo "errors:  $bad non-2xx/socket errors (must be 0); error_log warn+ lines: $nerr"
echo "RATIO hit/static = $rhit (target >= $TARGET: $(awk -v r="$rhit" -v t="$TARGET" 'BEGIN {print (r >= t) ? "MET" : "NOT MET"}'))"
echo "RATIO miss/static = $rmiss (reported)"
httpd_stop "$CONF"
[ $((m1 - m0)) = 0 ] || echo "WARNING: memcached misses during the hit rounds"

# ================================================================ part 2 ===
if [ "$STORM" = 1 ]; then
    echo
    echo "-- part 2: reboot storm, $STORM_NDEV devices x (cfg<mac>, cfg<mac>.xml), cold then warm"
    g0=$(date +%s)
    NDEV=$STORM_NDEV gen_store "$OUT/store"
    ls "$OUT/store/devices" | sed 's/\.xml$//' > "$OUT/storm-macs.txt"
    echo "store:   $(wc -l < "$OUT/storm-macs.txt") device records written in $(( $(date +%s) - g0 )) s"
    start_memcached
    start_httpd
    read -r rss0 np0 < <(httpd_rss "$PIDFILE")
    printf '%-5s %10s %12s %9s %9s %7s %14s %14s %9s\n' pass requests "requests/s" p50_ms p99_ms errors "httpd_rss_MiB" "memcached_MiB" items
    printf '%-5s %10s %12s %9s %9s %7s %14s %14s %9s\n' start - - - - - "$((rss0 / 1024))" "$(mc_rss)" "$(mc_stat curr_items)"
    sbad=0
    for pass in cold warm; do
        res=$(storm_pass /prov)
        e=$(errors_of "$res"); sbad=$((sbad + e))
        read -r rss np < <(httpd_rss "$PIDFILE")
        printf '%-5s %10s %12s %9s %9s %7s %14s %14s %9s\n' "$pass" "$(field requests "$res")" "$(field rps "$res")" \
            "$(ms "$(field p50_us "$res")")" "$(ms "$(field p99_us "$res")")" "$e" "$((rss / 1024))" "$(mc_rss)" "$(mc_stat curr_items)"
    done
    # what the storm was served: one device's binary file decodes to its
    # bootstrap P-values, its XML decrypts to its own file
    m1=$(head -1 "$OUT/storm-macs.txt")
    curl -s -o "$OUT/one.bin" "$BASE/prov/cfg$m1"
    curl -s -o "$OUT/one.xml" "$BASE/prov/cfg$m1.xml"
    "$REPO/gsprov" decode < "$OUT/one.bin" 2>/dev/null | grep -q "^P237=" \
        || die "cfg$m1 does not decode to a binary file with P237"
    p1=$(sed -n 's:.*<password>\(.*\)</password>.*:\1:p' "$OUT/store/devices/$m1.xml")
    openssl enc -d -aes-256-cbc -md md5 -k "$p1" -in "$OUT/one.xml" 2>/dev/null | grep -q "<mac>$m1</mac>" \
        || die "cfg$m1.xml does not decrypt to its device's file"
    echo "check:   cfg$m1 decodes (gsprov decode) with P237; cfg$m1.xml decrypts to its own file"
    echo "memcached: $(mc_stat get_hits) get hits, $(mc_stat get_misses) get misses, $(mc_stat evictions) evictions"
    echo "errors:  $sbad (must be 0); error_log warn+ lines: $(grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] ' "$OUT/logs/error_log" 2>/dev/null || true)"
    echo "rss:     httpd $((rss0 / 1024)) MiB before, $((rss / 1024)) MiB after $STORM_NDEV distinct devices ($np processes)"
    bad=$((bad + sbad))
fi
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at end (start $load0)"
echo "elapsed: $(( $(date +%s) - t0 )) s"
[ "$bad" = 0 ] || exit 2
