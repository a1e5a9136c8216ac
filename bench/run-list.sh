#!/usr/bin/env bash
# Listing pages of the admin API with the directory store:
#   GET /admin/devices?limit=100[&after=<mac>]
# at the first page, the middle and the last page of NDEV devices, REQS
# requests each (one at a time, after one untimed request), p50 and p99
# of curl's total time; then what a change to devices/ costs: one record
# renamed in, the next page timed (CHANGES times, median and max).
#
#   bash bench/run-list.sh                  NDEV=100000
#   NDEV=1000000 bash bench/run-list.sh     (generating takes ~2 minutes;
#                                            KEEP=1 keeps the store)
#   MODULE=/path/to/mod_gsprov.so ...       another build, e.g. an older
#                                           commit's (MODULE_FROM=<rev>)
# Env: REQS=50, CHANGES=5, OUT=bench/out.  One httpd child (the index is
# per process: each child reads devices/ for its own first listing).
set -euo pipefail
. "$(dirname "$0")/common.sh"

NDEV=${NDEV:-100000}
REQS=${REQS:-50}
CHANGES=${CHANGES:-5}
bench_setup curl
STORE=$OUT/list-store-$NDEV
CONF=$OUT/httpd-list.conf
PORT=$(free_port)

echo "== listing pages, directory store, $NDEV devices, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "module:  $MODULE ($MODULE_DESC)"
if [ "$(ls -f "$STORE/devices" 2>/dev/null | grep -c '\.xml$')" != "$NDEV" ]; then
    t0=$SECONDS
    gen_store "$STORE"
    echo "store:   generated in $((SECONDS - t0)) s"
fi
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$STORE"' EXIT
chmod -R a+rwX "$STORE"

mkdir -p "$OUT/run" "$OUT/logs"
so=$MODULE httpd_conf_head -P "$OUT/run/httpd-list.pid" "$CONF" "$PORT" "$OUT/logs/error_log-list" authz_host
cat >> "$CONF" <<EOF
StartServers 1
ServerLimit 1
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
KeepAlive On
GsProvRoot "$STORE"
<Location /admin>
    SetHandler gsprov-admin
    Require ip 127.0.0.1
</Location>
EOF
bench_httpd_start "$CONF" "$PORT"
sleep 2.5   # a directory changed in the last 2 s is read again each page

mac() { printf '000b82%06x' "$1"; }     # gen_devices' i-th MAC
page() {    # page QUERY -> "<status> <seconds> <devices> <first mac>"
    curl -s -o "$OUT/list-page.json" -w '%{http_code} %{time_total}' "$BASE/admin/devices?limit=100$1"
    printf ' %s %s\n' "$(grep -o '"mac"' "$OUT/list-page.json" | wc -l)" \
        "$(sed -n 's/^[^"]*"devices": *\[ *{ *"mac": *"\([0-9a-f]*\)".*/\1/p' "$OUT/list-page.json" | head -1)"
}
pct() {     # pct P values... -> the P-th percentile (nearest rank), in ms
    local p=$1; shift
    printf '%s\n' "$@" | sort -g | awk -v p="$p" '{a[NR] = $1} END {i = int((p * NR + 99) / 100); if (i < 1) i = 1; printf "%.1f", a[i] * 1000}'
}

printf '%-8s %-16s %8s %8s %8s  %s\n' page after p50_ms p99_ms first_ms check
for pos in first middle last; do
    case $pos in
        first) q=""; want=$(mac 1) ;;
        middle) q="&after=$(mac $((NDEV / 2)))"; want=$(mac $((NDEV / 2 + 1))) ;;
        last) q="&after=$(mac $((NDEV - 50)))"; want=$(mac $((NDEV - 49))) ;;
    esac
    r=$(page "$q"); first_s=$(cut -d' ' -f2 <<<"$r")
    times=()
    for _ in $(seq "$REQS"); do
        r=$(page "$q")
        [ "$(cut -d' ' -f1 <<<"$r")" = 200 ] || die "status $(cut -d' ' -f1 <<<"$r") for $q"
        times+=("$(cut -d' ' -f2 <<<"$r")")
    done
    n=$(cut -d' ' -f3 <<<"$r"); got=$(cut -d' ' -f4 <<<"$r")
    expect=$([ $pos = last ] && echo 50 || echo 100)
    ok=$([ "$n" = "$expect" ] && [ "$got" = "$want" ] && echo "ok ($n devices from $got)" || echo "WRONG ($n devices from $got, want $expect from $want)")
    printf '%-8s %-16s %8s %8s %8.1f  %s\n' "$pos" "${q#&after=}" "$(pct 50 "${times[@]}")" \
        "$(pct 99 "${times[@]}")" "$(awk -v s="$first_s" 'BEGIN {print s * 1000}')" "$ok"
done

# what a change costs: a record renamed into devices/ (as the admin API
# writes), then the middle page
q="&after=$(mac $((NDEV / 2)))"
times=()
for i in $(seq "$CHANGES"); do
    sleep 2.5       # the directory still for a while: the index is kept
    page "$q" >/dev/null
    cp "$STORE/devices/$(mac 1).xml" "$STORE/devices/.new.tmp"
    mv "$STORE/devices/.new.tmp" "$STORE/devices/$(mac $((NDEV + i))).xml"
    r=$(page "$q")
    times+=("$(cut -d' ' -f2 <<<"$r")")
done
echo "after a change to devices/ (a record renamed in), the next page: median $(pct 50 "${times[@]}") ms, max $(pct 100 "${times[@]}") ms over $CHANGES changes"
rm -f "$STORE"/devices/"$(mac $((NDEV + 1)))".xml
for i in $(seq 2 "$CHANGES"); do rm -f "$STORE/devices/$(mac $((NDEV + i))).xml"; done
echo "rss:     $(httpd_rss "$OUT/run/httpd-list.pid" | awk '{printf "%d MiB over %d httpd processes", $1 / 1024, $2}')"
echo "errors:  $(grep -cE '\[[a-z_]+:(warn|error|crit|alert|emerg)\]' "$OUT/logs/error_log-list" || true) warn+ lines in the error log"
httpd_stop "$CONF"
