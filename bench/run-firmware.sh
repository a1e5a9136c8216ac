#!/usr/bin/env bash
# Firmware benchmark of mod_gsprov (issue 6, section Tests and benchmark).
#
# One httpd on 127.0.0.1 serves the same 16 MiB random image two ways:
#   /fw/<mac>/gxp2170fw.bin   SetHandler gsprov-firmware: identify the device
#                             by the MAC segment, read its record, layer the
#                             `firmware` variable (a group pins 1.0.2.0; the
#                             defaults say 1.0.1.0), resolve
#                             GsProvFirmwareRoot/1.0.2.0/gxp2170fw.bin and hand
#                             it to httpd's core
#   /static/gxp2170fw.bin     the core file handler, the same file (a hard
#                             link to it: the same inode and page cache pages)
# wrk (-t2 -c8 by default) rotates over the devices' paths on the handler
# side; the sides alternate A B A B ... after a warm-up. The script checks
# every path's bytes (SHA-256) and headers first, then prints requests/s and
# MB/s per side, the ratio of the medians (target >= 0.95) and the errors
# (must be 0).
#
# Usage: bench/run-firmware.sh [--record]     (about 70 s; needs make done first)
#   --record   append the command and the numbers to bench/RESULTS.md
# Env:   ROUNDS=3 DURATION=8s WARMUP=2s THREADS=2 CONNS=8 NDEV=8 SIZE_MB=16
#        SENDFILE=on|off (EnableSendfile, both sides; default on)
#        PIN=1 (httpd on CPU 0, wrk on CPU 1), MODULE_FROM=tree|HEAD,
#        THREADS_PER_CHILD=25 MAX_WORKERS=100, OUT=bench/out/firmware
# Only loopback traffic. Scratch files go to bench/out/firmware (gitignored).
set -euo pipefail
OUT=${OUT:-$(cd "$(dirname "$0")" && pwd)/out/firmware}
NDEV_FW=${NDEV:-8}
. "$(dirname "$0")/common.sh"


RECORD=0
for a in "$@"; do
    case $a in
        --record) RECORD=1 ;;
        *) echo "usage: $0 [--record]" >&2; exit 2 ;;
    esac
done

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-8}
SIZE_MB=${SIZE_MB:-16}
SENDFILE=${SENDFILE:-on}
TARGET=0.95
PIN=${PIN:-0}

bench_setup wrk curl sha256sum ss
grep -q gsprov-firmware "$MODULE" || die "$MODULE has no gsprov-firmware handler (issue 6 not built)"

CONF=$OUT/httpd-firmware.conf
PIDFILE=$OUT/run/httpd.pid
# a 16 MiB answer may take longer than wrk's default timeout (2 s)
WRK_OPTS=(--timeout 30s)

# ------------------------------------------------------------------ 1 ---
t0=$(date +%s)
started_utc=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "== mod_gsprov firmware benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by wrk AND httpd ($([ "$PIN" = 1 ] && echo "PIN=1: httpd pinned to CPU 0, wrk to CPU 1" || echo "no pinning"))"
echo "         kernel $(uname -r), $("$APACHE" -v | awk -F': ' '/version/ {print $2}'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
echo "module:  $MODULE ($MODULE_DESC)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load0 at start$(awk -v l="${load0%% *}" 'BEGIN {if (l > 1.0) print "  WARNING: machine busy with other work, numbers will be noisy"}')"

# store: defaults offer 1.0.1.0, group "pinned" offers 1.0.2.0; NDEV devices
# in that group (the benchmarked path) and one device outside it (checked)
S=$OUT/store
rm -rf "$S" "$OUT/fwroot" "$OUT/docroot"
mkdir -p "$S/models" "$S/groups" "$S/devices" "$OUT/fwroot/1.0.1.0" "$OUT/fwroot/1.0.2.0" "$OUT/docroot/static"
cat > "$S/defaults.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <var name="firmware">1.0.1.0</var>
  <config version="1">
    <P192>${prov_host}/fw/${mac}</P192>
    <P212>2</P212>
    <P238>1</P238>
    <P193>10080</P193>
  </config>
</gs_provision>
EOF
cat > "$S/models/gxp2170.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <config version="1">
    <P2>bench-admin</P2>
  </config>
</gs_provision>
EOF
cat > "$S/groups/pinned.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <var name="firmware">1.0.2.0</var>
  <config version="1">
    <P194>1</P194>
  </config>
</gs_provision>
EOF
: > "$OUT/paths.txt"
for ((i = 1; i <= NDEV_FW; i++)); do
    printf -v mac '000b82f%05x' "$i"
    cat > "$S/devices/$mac.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<device>
  <model>gxp2170</model>
  <group>pinned</group>
  <var name="ext">$((1000 + i))</var>
</device>
EOF
    echo "/fw/$mac/gxp2170fw.bin" >> "$OUT/paths.txt"
done
cat > "$S/devices/000b82f0ffff.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<device>
  <model>gxp2170</model>
</device>
EOF
echo "/static/gxp2170fw.bin" > "$OUT/static.txt"

IMG=$OUT/fwroot/1.0.2.0/gxp2170fw.bin
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom > "$IMG"
head -c $((1024 * 1024)) /dev/urandom > "$OUT/fwroot/1.0.1.0/gxp2170fw.bin"
# the static side serves the very same file (same inode, same cached pages)
ln "$IMG" "$OUT/docroot/static/gxp2170fw.bin" 2>/dev/null || cp -p "$IMG" "$OUT/docroot/static/gxp2170fw.bin"
img_sha=$(sha256sum < "$IMG" | cut -d' ' -f1)
img_size=$(stat -c %s "$IMG")
echo "image:   $SIZE_MB MiB from /dev/urandom ($img_size bytes, sha256 ${img_sha:0:16}...): fwroot/1.0.2.0/gxp2170fw.bin,"
echo "         hard-linked as docroot/static/gxp2170fw.bin; store: $NDEV_FW devices in group 'pinned' (firmware 1.0.2.0),"
echo "         defaults firmware 1.0.1.0 (a 1 MiB image), one device outside the group"


# ------------------------------------------------------------------ 2 ---
PORT=$(free_port)
write_conf "$CONF" "$PORT"
cat >> "$CONF" <<EOF

# firmware (run-firmware.sh)
EnableSendfile $SENDFILE
GsProvFirmwareRoot "$OUT/fwroot"
<Location /fw>
    SetHandler gsprov-firmware
</Location>
# no mod_mime here: the static side gets the same Content-Type by ForceType (core)
<Location /static>
    ForceType application/octet-stream
</Location>
EOF
rm -f "$OUT/logs/error_log"
[ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT"
bench_httpd_start "$CONF" "$PORT"
echo "httpd:   127.0.0.1:$PORT, mpm_event $(( (MAX_WORKERS + THREADS_PER_CHILD - 1) / THREADS_PER_CHILD )) x $THREADS_PER_CHILD threads, KeepAlive On, LogLevel warn, no access log,"
echo "         EnableSendfile $SENDFILE (both sides), <Directory /> Require all denied: $([ "${ROOT_DENY:-1}" = 0 ] && echo "omitted (ROOT_DENY=0)" || echo "yes, as in Debian's stock config")"

# ------------------------------------------------------------------ 3 ---
# every path: 200, the image's bytes, Content-Length, not chunked
check_path() {   # check_path PATH WANT_SHA
    local p=$1 want=$2 hdr got
    hdr=$(curl -s -D - -o "$OUT/body.bin" "$BASE$p") || die "curl $p failed"
    got=$(sha256sum < "$OUT/body.bin" | cut -d' ' -f1)
    grep -q '^HTTP/1.1 200' <<<"$hdr" || die "$p: $(head -1 <<<"$hdr")"
    [ "$got" = "$want" ] || die "$p: body sha256 $got, want $want"
    grep -qi "^Content-Length: $(stat -c %s "$OUT/body.bin")" <<<"$hdr" || die "$p: no or wrong Content-Length"
    ! grep -qi '^Transfer-Encoding' <<<"$hdr" || die "$p: chunked"
    grep -qi '^Content-Type: application/octet-stream' <<<"$hdr" || die "$p: Content-Type is not application/octet-stream"
    printf '%s' "$hdr"
}
while read -r p; do check_path "$p" "$img_sha" > /dev/null; done < "$OUT/paths.txt"
check_path /static/gxp2170fw.bin "$img_sha" > "$OUT/static-headers.txt"
check_path "$(head -1 "$OUT/paths.txt")" "$img_sha" > "$OUT/fw-headers.txt"
other_sha=$(sha256sum < "$OUT/fwroot/1.0.1.0/gxp2170fw.bin" | cut -d' ' -f1)
check_path /fw/000b82f0ffff/gxp2170fw.bin "$other_sha" > /dev/null
for h in ETag Last-Modified Content-Length; do
    a=$(grep -i "^$h:" "$OUT/fw-headers.txt" | tr -d '\r')
    b=$(grep -i "^$h:" "$OUT/static-headers.txt" | tr -d '\r')
    [ -n "$a" ] && [ "$a" = "$b" ] || die "$h differs: handler '$a', static '$b'"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-99' "$BASE$(head -1 "$OUT/paths.txt")")
[ "$code" = 206 ] || die "Range: $code, want 206"
echo "checked: $NDEV_FW handler paths + static: 200, identical bytes (sha256), Content-Length, not chunked;"
echo "         same ETag/Last-Modified/Content-Length as static; Range -> 206; the device outside the group gets 1.0.1.0"

# ------------------------------------------------------------------ 4 ---
read -r rss0 np0 < <(httpd_rss "$PIDFILE")
echo "rss:     before: $((rss0 / 1024)) MiB over $np0 httpd processes"
echo "wrk:     -t$THREADS -c$CONNS -d$DURATION per run, warm-up $WARMUP per side, $ROUNDS rounds A=firmware B=static"

rm -f "$OUT"/wrk-*.log
run_wrk "$BASE" rotate.lua "$WARMUP" "$OUT/paths.txt" >/dev/null
run_wrk "$BASE" rotate.lua "$WARMUP" "$OUT/static.txt" >/dev/null

declare -a FW ST FWMB STMB FWCPU STCPU
bad=0
HZ=$(getconf CLK_TCK)
TABLE=$OUT/table.txt
printf '%-6s %-9s %11s %9s %9s %9s %9s %13s %7s\n' round side "requests/s" "MB/s" requests p50_ms p99_ms "httpd_cpu_us" errors | tee "$TABLE"
for ((r = 1; r <= ROUNDS; r++)); do
    for side in firmware static; do
        list=$OUT/paths.txt; [ "$side" = static ] && list=$OUT/static.txt
        c0=$(httpd_cpu "$PIDFILE")
        res=$(run_wrk "$BASE" rotate.lua "$DURATION" "$list")
        c1=$(httpd_cpu "$PIDFILE")
        rps=$(field rps "$res")
        n=$(field requests "$res")
        mbs=$(awk -v b="$(field bytes "$res")" -v d="$(field duration_us "$res")" 'BEGIN {printf "%.1f", b / (d / 1e6) / 1e6}')
        cpu=$(awk -v d="$((c1 - c0))" -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.0f", n ? d / hz * 1e6 / n : 0}')
        errs=$(errors_of "$res")
        bad=$((bad + errs))
        printf '%-6s %-9s %11s %9s %9s %9.2f %9.2f %13s %7s\n' "$r" "$side" "$rps" "$mbs" "$n" \
            "$(awk -v u="$(field p50_us "$res")" 'BEGIN{print u/1000}')" \
            "$(awk -v u="$(field p99_us "$res")" 'BEGIN{print u/1000}')" "$cpu" "$errs" | tee -a "$TABLE"
        if [ "$side" = firmware ]; then FW+=("$rps"); FWMB+=("$mbs"); FWCPU+=("$cpu")
        else ST+=("$rps"); STMB+=("$mbs"); STCPU+=("$cpu"); fi
    done
done

mf=$(median "${FW[@]}"); ms=$(median "${ST[@]}")
mfb=$(median "${FWMB[@]}"); msb=$(median "${STMB[@]}")
mfc=$(median "${FWCPU[@]}"); msc=$(median "${STCPU[@]}")
ratio=$(awk -v a="$mf" -v b="$ms" 'BEGIN {printf "%.3f", a / b}')
read -r rss1 np1 < <(httpd_rss "$PIDFILE")
nerr=$(grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] ' "$OUT/logs/error_log" 2>/dev/null || true)
verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN {print (r >= t) ? "MET" : "NOT MET"}')
{
    echo "median:  firmware $mf req/s ($mfb MB/s), static $ms req/s ($msb MB/s)"
    echo "cpu:     httpd CPU (user+sys) per request, median: firmware $mfc us, static $msc us"
    echo "errors:  non-2xx/3xx responses + socket errors over all measured runs: $bad (must be 0); error_log warn+ lines: $nerr"
    echo "rss:     after: $((rss1 / 1024)) MiB over $np1 httpd processes (before: $((rss0 / 1024)) MiB)"
    echo "RATIO firmware/static = $ratio (target >= $TARGET: $verdict)"
} | tee "$OUT/summary.txt"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at end (start $load0)"
echo "elapsed: $(( $(date +%s) - t0 )) s"
httpd_stop "$CONF"

if [ "$RECORD" = 1 ]; then
    {
        echo
        echo "## Firmware: 16 MB image, handler vs static"
        echo
        echo "$started_utc, $MODULE_DESC; $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo | sed 's/ [0-9]*-Core Processor//'))$([ "$PIN" = 1 ] && echo ', PIN=1 (httpd CPU 0, wrk CPU 1)' || echo ', wrk and httpd sharing the cores')."
        echo "One httpd on 127.0.0.1 (mpm_event $(( (MAX_WORKERS + THREADS_PER_CHILD - 1) / THREADS_PER_CHILD )) x $THREADS_PER_CHILD threads, KeepAlive, no access log, EnableSendfile $SENDFILE,"
        echo "\`<Directory /> Require all denied\`) serves one $SIZE_MB MiB random image as"
        echo "\`/fw/<mac>/gxp2170fw.bin\` (\`SetHandler gsprov-firmware\`: device record read, \`firmware\` variable"
        echo "layered, a group pins 1.0.2.0, $NDEV_FW devices in rotation) and as \`/static/gxp2170fw.bin\` (a hard link to"
        echo "the same file, core handler). Every path is first checked: identical bytes (SHA-256), same"
        echo "ETag/Last-Modified/Content-Length as static, not chunked, Range -> 206."
        echo
        echo '```'
        echo "bash bench/run-firmware.sh --record    # wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds alternating, warm-up $WARMUP"
        cat "$TABLE"
        cat "$OUT/summary.txt"
        echo '```'
    } >> "$BENCH_DIR/RESULTS.md"
    echo "run-firmware: appended to bench/RESULTS.md"
fi
[ "$bad" = 0 ] || exit 2
exit 0
