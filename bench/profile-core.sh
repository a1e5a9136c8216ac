#!/usr/bin/env bash
# Where does a /prov request spend its time? (companion of run-core.sh)
#
# 1. callgrind on a single-process httpd (-X), instructions counted only
#    inside gsprov_handler (--toggle-collect), over N device requests
#    after a warm-up: top functions by inclusive cost under the handler.
# 2. callgrind on the whole process: instructions per request for /prov
#    vs. /static (N requests each, one keep-alive connection).
# 3. perf (if usable): flat profile by DSO and by symbol of the real
#    multi-process httpd while wrk drives /prov.
#
# Usage: bench/profile-core.sh    (about 60 s; run make first)
# Env:   MODULE_FROM=tree|<commit> (see common.sh), N=300, TOP=25 (requests per callgrind phase), PERF=1, OUT=bench/out
#        CACHE=1: /prov with GsProvCache memcached (a memcached started here),
#        every profiled file stored first, so the profile is of cache hits
# Output: $OUT/prof/*.txt, summary on stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

N=${N:-300}
PERF=${PERF:-1}
command -v valgrind >/dev/null || die "valgrind not found"
mkdir -p "$OUT"
select_module
echo "module: $MODULE ($MODULE_DESC)"

PROF=$OUT/prof
mkdir -p "$OUT" "$PROF"
rm -f "$PROF"/callgrind.* "$PROF"/*.txt
[ -d "$OUT/store/devices" ] || gen_store "$OUT/store"
ls "$OUT/store/devices" | sed 's/\.xml$//' > "$OUT/macs.txt"
mkdir -p "$OUT/docroot/static"
CONF=$OUT/httpd-prof.conf
# httpd -X under valgrind runs as the invoking user; as root, as www-data
# (so that callgrind_control/vgdb, run as the same user, can reach it).
AS=("${AS_USER[@]}")
mkdir -p "$PROF/run" "$PROF/logs"
if [ "$(id -u)" = 0 ]; then
    chmod -R a+rX "$OUT"
    chown -R www-data: "$PROF"
fi

TOP=${TOP:-25}

# top_funcs ANNOTATE_OUT TOTAL COUNT: one line per function (callgrind lists
# some functions twice, with and without a file name: keep the larger),
# the frames above the handler left out; static functions of stripped
# libraries show as 0x... (library).
top_funcs() {
    awk -v t="$2" -v max="$3" -v n="$N" '
        /file:function$/ {body = 1; next}
        !body || $1 !~ /^[0-9,]+$/ {next}
        {
            ir = $1; gsub(",", "", ir)
            line = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", line)
            obj = ""
            if (match(line, / \[[^]]*\]$/)) {
                obj = substr(line, RSTART + 2, RLENGTH - 3); line = substr(line, 1, RSTART - 1)
                sub(/.*\//, "", obj); sub(/\.so.*/, "", obj)
            }
            fn = line; sub(/.*:/, "", fn)
            if (fn ~ /^(clone|start_thread|ap_invoke_handler|ap_process_async_request|ap_run_handler|ap_run_process_connection)$/) next
            if (fn ~ /^0x/ && (obj == "mod_mpm_event" || obj == "apache2" || obj == "libapr-1") && ir + 0 >= t * 0.999) next
            if (line == "PROGRAM TOTALS" || seen[fn]++) next
            if (fn ~ /^0x/) fn = "(static fn " fn ")"
            printf "%10d %6.1f%%  %s%s\n", ir / n, 100 * ir / t, fn, obj == "" ? "" : "  [" obj "]"
            if (++k >= max) exit
        }' "$1"
}

# curl config fetching $N files of one side over one connection
fetch_cfg() {   # fetch_cfg SIDE START COUNT
    awk -v s="$1" -v a="$2" -v n="$3" -v b="$BASE" \
        'NR > a && NR <= a + n {printf "url = \"%s/%s/cfg%s.xml\"\noutput = \"/dev/null\"\n", b, s, $1}' \
        "$OUT/macs.txt"
}
fetch() {   # fetch SIDE START COUNT: all must be 200
    local codes
    codes=$(curl -s -K <(fetch_cfg "$@") -w '%{http_code}\n' | sort | uniq -c | tr -s ' ')
    [ "$codes" = " $3 200" ] || die "$1: status counts $codes"
}

# start_vg OUTFILE [valgrind options]: httpd -X under callgrind; VPID
start_vg() {
    local outf=$1; shift
    PORT=$(free_port); BASE=http://127.0.0.1:$PORT
    RUN_DIR=$PROF/run LOG_DIR=$PROF/logs write_conf "$CONF" "$PORT" 4 4
    if [ -n "${MCPORT:-}" ]; then
        # values are sealed (AES-256-GCM), as a production farm's are
        [ -s "$PROF/cache.secret" ] || openssl rand -hex 32 > "$PROF/cache.secret"
        printf 'GsProvCache memcached "--SERVER=127.0.0.1:%s"\nGsProvCacheSecret %s\n' \
            "$MCPORT" "$PROF/cache.secret" >> "$CONF"
    fi
    : > "$PROF/valgrind.log"
    httpd_start -X -t 60 -o "$PROF/valgrind.log" "$CONF" \
        "${AS[@]}" valgrind --tool=callgrind --callgrind-out-file="$outf" "$@" \
        || die "httpd -X under valgrind did not start (see $PROF/valgrind.log)"
    read -r VPID < <(httpd_pids "$CONF")
}
# callgrind writes its profile at exit: as long as that takes
stop_vg() { httpd_stop -t 600 "$CONF"; }

MCPORT=""
if [ "${CACHE:-0}" = 1 ]; then
    command -v memcached >/dev/null || die "memcached not found"
    MCPORT=$(free_port)
    memcached_start -o "-m 256" "$PROF/run/memcached.pid" "$MCPORT" || die "memcached did not start"
    echo "CACHE=1: /prov served from memcached 127.0.0.1:$MCPORT (hits)"
fi

# -------------------------------------------------------------------- 1 --
echo "== callgrind, inclusive cost under gsprov_handler, $N requests"
start_vg "$PROF/callgrind.handler" --toggle-collect=gsprov_handler
fetch prov 500 50                  # warm-up (not in the dump: zeroed)
[ -z "$MCPORT" ] || fetch prov 0 "$N"   # CACHE=1: store what is profiled
timeout 30 "${AS[@]}" callgrind_control -z "$VPID" >/dev/null
fetch prov 0 "$N"
stop_vg
callgrind_annotate --inclusive=yes --threshold=100 "$PROF/callgrind.handler" \
    > "$PROF/handler-inclusive.txt" 2>/dev/null
callgrind_annotate --threshold=100 "$PROF/callgrind.handler" \
    > "$PROF/handler-self.txt" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$PROF/handler-inclusive.txt")
echo "handler: $total Ir over $N requests = $((total / N)) Ir per request"
echo "-- top $TOP by inclusive cost under gsprov_handler (Ir per request, % of handler):"
top_funcs "$PROF/handler-inclusive.txt" "$total" "$TOP" | tee "$PROF/handler-top-inclusive.txt"
echo "-- top $TOP by self cost:"
top_funcs "$PROF/handler-self.txt" "$total" "$TOP" | tee "$PROF/handler-top-self.txt"

# -------------------------------------------------------------------- 2 --
echo "== callgrind, whole process: Ir per request, /prov vs /static"
start_vg "$PROF/callgrind.whole"
fetch prov 500 50; fetch static 500 50
[ -z "$MCPORT" ] || fetch prov 0 "$N"
timeout 30 "${AS[@]}" callgrind_control -z "$VPID" >/dev/null
fetch prov 0 "$N"
timeout 30 "${AS[@]}" callgrind_control -d prov "$VPID" >/dev/null
timeout 30 "${AS[@]}" callgrind_control -z "$VPID" >/dev/null
fetch static 0 "$N"
timeout 30 "${AS[@]}" callgrind_control -d static "$VPID" >/dev/null
stop_vg
for side in prov static; do
    f=$(ls "$PROF"/callgrind.whole.* | xargs grep -l "^desc: Trigger: .*$side" || true)
    callgrind_annotate --inclusive=yes --threshold=100 "$f" > "$PROF/whole-$side.txt" 2>/dev/null
    ir=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$PROF/whole-$side.txt")
    echo "$side: $((ir / N)) Ir per request (all threads, incl. curl-facing I/O)"
done

# -------------------------------------------------------------------- 3 --
if [ "$PERF" = 1 ] && command -v perf >/dev/null && command -v wrk >/dev/null \
   && perf stat -e task-clock true >/dev/null 2>&1; then
    echo "== perf, multi-process httpd under wrk -t2 -c32 -d8s on /prov"
    PORT=$(free_port); BASE=http://127.0.0.1:$PORT
    write_conf "$OUT/httpd-perf.conf" "$PORT"
    httpd_start -t 10 "$OUT/httpd-perf.conf" || die "httpd did not start"
    pids=$(httpd_pids "$OUT/httpd-perf.conf" | paste -sd,)
    wrk -t2 -c32 -d2s -s "$BENCH_DIR/rotate.lua" "$BASE" -- /prov "$OUT/macs.txt" >/dev/null
    perf record -q -F 2000 -o "$PROF/perf.data" -p "$pids" -- sleep 8 2>/dev/null &
    ppid_rec=$!
    wrk -t2 -c32 -d8s -s "$BENCH_DIR/rotate.lua" "$BASE" -- /prov "$OUT/macs.txt" | grep '^RESULT'
    wait "$ppid_rec" || true
    httpd_stop "$OUT/httpd-perf.conf"
    perf report -i "$PROF/perf.data" --stdio --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$' \
        > "$PROF/perf-dso.txt" || true
    perf report -i "$PROF/perf.data" --stdio --sort dso,sym 2>/dev/null | grep -v '^#' | grep -v '^$' \
        > "$PROF/perf-sym.txt" || true
    echo "-- httpd CPU by DSO:"; head -12 "$PROF/perf-dso.txt"
    echo "-- httpd CPU by symbol:"; head -25 "$PROF/perf-sym.txt"
fi
echo "files in $PROF"
