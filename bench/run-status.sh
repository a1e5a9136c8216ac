#!/usr/bin/env bash
# Provisioning status benchmark (GsProvDeviceStatus): a reboot storm of
# NDEV distinct devices (default 100,000), each asking for its binary file
# then its XML file once (once.lua), with the status recorded (/prov) and
# not recorded (/provoff: GsProvDeviceStatus off), alternating passes in
# the same httpd over the same directory store.  Reports:
#   - requests/s per pass and the median ratio on/off (target >= 0.95)
#   - httpd RSS (all processes) before the first pass and after each
#   - after the first recorded storm: the time until every device's status
#     is on disk (status/<mac>.json, what GET /devices/<mac> reads), and a
#     sample of devices checked through GET /devices/<mac>
#   - the status counters (recorded, dropped, written, failed)
#
# Usage: bench/run-status.sh       (about 10 min at 100,000 devices on 2
#                                   loaded cores; NDEV=20000 for ~2 min)
# Env:   NDEV=100000 ROUNDS=2 THREADS=2 CONNS=32 PIN=0 MODULE_FROM=tree
#        FLUSH=10 (GsProvDeviceStatusFlush) BUFFER=10000
#        HOLD_SETTLE=1: hold the settler's lock while a storm lasts (a
#        diagnostic: the storm without the status files' writes)
#        (GsProvDeviceStatusBuffer) SAMPLE=200 OUT=bench/out
# Only loopback traffic. Scratch files go to bench/out (gitignored).
set -euo pipefail
NDEV=${NDEV:-100000}
. "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
FLUSH=${FLUSH:-10}
BUFFER=${BUFFER:-10000}
SAMPLE=${SAMPLE:-200}
RECORD_ONLY=${RECORD_ONLY:-0}
HOLD_SETTLE=${HOLD_SETTLE:-0}
if [ "$RECORD_ONLY" = 1 ]; then FLUSH=3600; BUFFER=$((NDEV * 2 + 1000)); fi
TARGET=0.95

bench_setup wrk curl
CONF=$OUT/httpd-status.conf
PIDFILE=$OUT/run/httpd.pid

echo "== mod_gsprov provisioning status benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by wrk AND httpd"
echo "module:  $MODULE ($MODULE_DESC)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load0 at start$(awk -v l="${load0%% *}" 'BEGIN {if (l > 1.0) print "  WARNING: machine busy with other work, numbers will be noisy"}')"

g0=$(date +%s)
gen_store "$OUT/store"
mkdir -p "$OUT/store/status" "$OUT/store/.gsprov-locks" "$OUT/docroot"
ls "$OUT/store/devices" | sed 's/\.xml$//' > "$OUT/storm-macs.txt"
echo "store:   $(wc -l < "$OUT/storm-macs.txt") device records (directory store) written in $(( $(date +%s) - g0 )) s"

PORT=$(free_port)
write_conf "$CONF" "$PORT"
cat >> "$CONF" <<EOF
GsProvDeviceStatusFlush $FLUSH
GsProvDeviceStatusBuffer $BUFFER
<Location /provoff>
    SetHandler gsprov
    GsProvDeviceStatus off
</Location>
<Location /admin>
    SetHandler gsprov-admin
    Require all granted
</Location>
<Location /st>
    SetHandler gsprov-status
    Require all granted
</Location>
EOF
rm -f "$OUT/logs/error_log"
if [ "$(id -u)" = 0 ]; then
    chmod -R a+rX "$OUT"
    chown -R "$user" "$OUT/store/status" "$OUT/store/.gsprov-locks"
fi
bench_httpd_start "$CONF" "$PORT"
echo "httpd:   127.0.0.1:$PORT, mpm_event $(( (MAX_WORKERS + THREADS_PER_CHILD - 1) / THREADS_PER_CHILD )) children x $THREADS_PER_CHILD threads, KeepAlive, no access log;"
echo "         GsProvDeviceStatusFlush $FLUSH, GsProvDeviceStatusBuffer $BUFFER; /provoff: GsProvDeviceStatus off"
echo "wrk:     -t$THREADS -c$CONNS, once.lua: every device once per pass (cfg<mac>, then cfg<mac>.xml)"

stat_of() { curl -s "$BASE/st" | sed -n "s/^$1: //p"; }
nstatus() { find "$OUT/store/status" -name '*.json' | wc -l; }
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
# until the flushers have written what was recorded (written + failed =
# recorded) and the settler has emptied the log, at most 300 s
settle() {
    local i r w f d
    for ((i = 0; i < 3000; i++)); do
        r=$(stat_of DeviceStatusRecorded); w=$(stat_of DeviceStatusWritten)
        f=$(stat_of DeviceStatusFailed); d=$(stat_of DeviceStatusDropped)
        [ "$((w + f))" -ge "$r" ] && break
        sleep 0.1
    done
    # ... and the settler has merged the log into the devices' files
    for ((; i < 3000; i++)); do
        [ -z "$(ls -A "$OUT/store/status/log" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}

read -r rss0 np0 < <(httpd_rss "$PIDFILE")
printf '%-5s %-7s %10s %12s %9s %9s %7s %10s %s\n' pass status requests "requests/s" p50_ms p99_ms errors rss_MiB "after the storm"
printf '%-5s %-7s %10s %12s %9s %9s %7s %10s\n' start - - - - - - "$((rss0 / 1024))"
declare -a ON OFF
bad=0; visible="-"; nvis=0
for ((r = 1; r <= ROUNDS; r++)); do
    for side in off on; do
        path=/prov; [ "$side" = off ] && path=/provoff
        holder=""
        if [ "$HOLD_SETTLE" = 1 ] && [ "$side" = on ]; then
            # diagnostic: no settling while the storm lasts
            lk=$OUT/store/.gsprov-locks/status-settle.lock
            : >> "$lk"; [ "$(id -u)" = 0 ] && chown "$user" "$lk"
            flock "$lk" sleep 100000 & holder=$!
        fi
        res=$(storm_pass "$path" 900)
        tend=$(date +%s.%N)
        # (flock's sleep holds the lock too)
        [ -n "$holder" ] && { pkill -P "$holder" 2>/dev/null; kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true; }
        e=$(errors_of "$res"); bad=$((bad + e))
        note=""
        if [ "$side" = on ] && [ "$visible" = - ] && [ "$RECORD_ONLY" != 1 ]; then
            # every recorded request written: what GET /devices/<mac> reads
            settle || echo "WARNING: the status did not settle within 300 s"
            visible=$(awk -v a="$(date +%s.%N)" -v b="$tend" 'BEGIN {printf "%.1f", a - b}')
            nvis=$(nstatus)
            note="$nvis of $NDEV statuses on disk, all written ${visible} s after the storm"
        fi
        [ "$side" = on ] && [ "$RECORD_ONLY" != 1 ] && { settle || echo "WARNING: the status did not settle within 300 s"; }
        read -r rss np < <(httpd_rss "$PIDFILE")
        printf '%-5s %-7s %10s %12s %9s %9s %7s %10s %s\n' "$r" "$side" "$(field requests "$res")" "$(field rps "$res")" \
            "$(ms "$(field p50_us "$res")")" "$(ms "$(field p99_us "$res")")" "$e" "$((rss / 1024))" "$note"
        if [ "$side" = on ]; then ON+=("$(field rps "$res")"); else OFF+=("$(field rps "$res")"); fi
    done
done

# a sample through the API: each device's status is its own storm request
miss=0
sample=$(awk -v n="$SAMPLE" -v t="$NDEV" 'NR % int(t / n > 0 ? t / n : 1) == 0' "$OUT/storm-macs.txt"; tail -1 "$OUT/storm-macs.txt")
[ "$RECORD_ONLY" = 1 ] && sample=""
for mac in $sample; do
    curl -s "$BASE/admin/devices/$mac" | grep -q "\"file\":\"cfg$mac.xml\",\"result\":200" || miss=$((miss + 1))
done
mon=$(median "${ON[@]}"); moff=$(median "${OFF[@]}")
ratio=$(awk -v a="$mon" -v b="$moff" 'BEGIN {printf "%.3f", a / b}')
# each round's on against the off just before it (the machine drifts over
# a run: pairs see the same conditions)
declare -a PAIRS
for ((r = 0; r < ${#ON[@]}; r++)); do
    PAIRS+=("$(awk -v a="${ON[$r]}" -v b="${OFF[$r]}" 'BEGIN {printf "%.3f", a / b}')")
done
echo "pairs:   on/off per round: ${PAIRS[*]}; median $(median "${PAIRS[@]}")"
echo "median:  status on $mon req/s, off $moff req/s: ratio $ratio (target >= $TARGET)"
echo "visible: $nvis of $NDEV devices' status on disk, flushed and settled ${visible} s after the first recorded storm ended (GsProvDeviceStatusFlush $FLUSH)"
echo "api:     $((SAMPLE + 1)) sampled devices through GET /devices/<mac>: $miss without their storm request (only devices whose every request was dropped may lack it)"
echo "status:  recorded $(stat_of DeviceStatusRecorded), dropped $(stat_of DeviceStatusDropped), written $(stat_of DeviceStatusWritten), failed $(stat_of DeviceStatusFailed)"
echo "rss:     httpd $((rss0 / 1024)) MiB before, $((rss / 1024)) MiB after $((ROUNDS * 2)) storms of $NDEV devices ($np processes)"
echo "errors:  $bad (must be 0); error_log warn+ lines: $(grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] ' "$OUT/logs/error_log" 2>/dev/null || true)"
httpd_stop "$CONF"
[ "$bad" = 0 ] || exit 1
awk -v r="$ratio" -v t="$TARGET" 'BEGIN {exit !(r >= t)}' || { echo "below target"; exit 1; }
