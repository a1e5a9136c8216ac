#!/usr/bin/env bash
# Uncached rendering with the directory store at 1,000,000 devices against
# 1,000: one httpd (mpm_event 4 x 25 threads, no cache, no access log),
# two ports, the core benchmark's records (gen_store), every file
# encrypted.  wrk (rotate.lua) asks each device's cfg<mac>.xml in a
# shuffled order (a reboot storm is not in MAC order), alternating small
# and big rounds after a warm-up of each.  Per round: requests/s, p50/p99,
# and what httpd read from the disk per request (/proc/PID/io read_bytes,
# summed over its processes): the part of the big store the page cache
# does not hold.
#
#   bash bench/run-scale.sh           (about 3 minutes once the stores
#                                      exist; generating 1M takes ~1 min)
# Env: BIG=1000000 SMALL=1000 ROUNDS=3 DURATION=10s WARMUP=10s THREADS=1
#      CONNS=32 KEEP=1 (keep the stores in $OUT/list-store-N, shared with
#      run-list.sh), MODULE=... (another build).
set -euo pipefail
. "$(dirname "$0")/common.sh"

BIG=${BIG:-1000000}
SMALL=${SMALL:-1000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
# One wrk thread: wrk runs each thread's init() (rotate.lua formats every
# request of the list: seconds for a million) in its main thread before
# the next thread starts, and starts its clock after the last one, so with
# 2 threads the first one's requests during the second's init() counted
# against 10 s: 40,000 "requests/s" where httpd spent 30 s of CPU (2 cores).
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
bench_setup wrk curl
CONF=$OUT/httpd-scale.conf
PIDFILE=$OUT/run/httpd-scale.pid

echo "== uncached rendering, $SMALL vs $BIG devices, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s), $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "module:  $MODULE ($MODULE_DESC)"
for n in "$SMALL" "$BIG"; do
    s=$OUT/list-store-$n
    if [ "$(ls -f "$s/devices" 2>/dev/null | grep -c '\.xml$')" != "$n" ]; then
        t0=$SECONDS; NDEV=$n gen_store "$s"
        echo "store:   $n devices generated in $((SECONDS - t0)) s"
    fi
    chmod -R a+rX "$s"
    ls -f "$s/devices" | sed -n 's/\.xml$//p' | shuf --random-source=<(yes) > "$OUT/scale-macs-$n.txt"
    echo "store:   $n devices, $(du -sm "$s" | cut -f1) MB on disk"
done
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$OUT/list-store-$BIG" "$OUT/list-store-$SMALL"' EXIT

PORT=$(free_port 2)
PORT2=$((PORT + 1))
RUN_DIR=$OUT/run LOG_DIR=$OUT/logs write_conf "$CONF" "$PORT"
sed -i "s|^PidFile .*|PidFile \"$PIDFILE\"|; s|^GsProvRoot .*|GsProvRoot \"$OUT/list-store-$SMALL\"|" "$CONF"
cat >> "$CONF" <<EOF
Listen 127.0.0.1:$PORT2
<VirtualHost *:$PORT2>
    GsProvRoot "$OUT/list-store-$BIG"
    GsProvVar sip_server sip.bench.example
    GsProvVar prov_host prov.bench.example
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
EOF
mkdir -p "$OUT/docroot"
bench_httpd_start "$CONF" "$PORT"
base_small=$BASE; base_big=http://127.0.0.1:$PORT2
for n in "$SMALL" "$BIG"; do
    b=$([ "$n" = "$SMALL" ] && echo "$base_small" || echo "$base_big")
    m=$(head -1 "$OUT/scale-macs-$n.txt")
    code=$(curl -s -o /dev/null -w '%{http_code}' "$b/prov/cfg$m.xml")
    [ "$code" = 200 ] || die "$n: cfg$m.xml answered $code"
done

io_read() {     # bytes httpd's processes read from the disk so far
    local p; for p in $(cat "$PIDFILE") $(ps -o pid= --ppid "$(cat "$PIDFILE")"); do
        awk '/^read_bytes:/ {print $2}' "/proc/$p/io" 2>/dev/null || true
    done | awk '{s += $1} END {print s + 0}'
}
round() {   # round LABEL N -> one output line
    local label=$1 n=$2 b r io0 io1 req
    b=$([ "$n" = "$SMALL" ] && echo "$base_small" || echo "$base_big")
    io0=$(io_read)
    r=$(run_wrk "$b" rotate.lua "$DURATION" /prov "$OUT/scale-macs-$n.txt")
    io1=$(io_read)
    req=$(field requests "$r")
    printf '%-6s %-9s %12s %10s %8s %8s %12s %7s\n' "$label" "$n" "$(field rps "$r")" "$req" \
        "$(awk -v u="$(field p50_us "$r")" 'BEGIN {printf "%.2f", u / 1000}')" \
        "$(awk -v u="$(field p99_us "$r")" 'BEGIN {printf "%.2f", u / 1000}')" \
        "$(awk -v a="$io0" -v b="$io1" -v n="$req" 'BEGIN {printf "%.0f", n ? (b - a) / n : 0}')" "$(errors_of "$r")"
    echo "$n $(field rps "$r")" >> "$OUT/scale-rates.txt"
}
: > "$OUT/scale-rates.txt"
printf '%-6s %-9s %12s %10s %8s %8s %12s %7s\n' round devices requests/s requests p50_ms p99_ms disk_B/req errors
round warm "$SMALL" >/dev/null; sed -i '$d' "$OUT/scale-rates.txt"
DURATION=$WARMUP round warm "$BIG"; sed -i '$d' "$OUT/scale-rates.txt"
for k in $(seq "$ROUNDS"); do
    round "$k" "$SMALL"
    round "$k" "$BIG"
done
small=$(median $(awk -v n="$SMALL" '$1 == n {print $2}' "$OUT/scale-rates.txt"))
big=$(median $(awk -v n="$BIG" '$1 == n {print $2}' "$OUT/scale-rates.txt"))
echo "median:  $SMALL devices $small req/s, $BIG devices $big req/s"
echo "RATIO $BIG/$SMALL = $(awk -v a="$big" -v b="$small" 'BEGIN {printf "%.3f", a / b}')"
echo "page cache: $(awk '/^Cached:/ {printf "%d MiB", $2 / 1024}' /proc/meminfo) cached now; errors in the error log: $(grep -cE '\[[a-z_]+:(warn|error|crit|alert|emerg)\]' "$OUT/logs/error_log" || true)"
httpd_stop "$CONF"
