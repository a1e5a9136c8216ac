#!/bin/bash
# Writes never lose or corrupt data (admin API): a burst of
# parallel PUTs to many records from several clients, httpd (every
# process) killed with SIGKILL in the middle of it; then every record must
# be complete and equal to its old version or to one of the versions sent,
# leftover temporary files must be ignored (store, lint, listing) and the
# old ones removed at the restart, and a
# restarted httpd must serve every device and accept writes again (no lock
# left held).  Starts its own httpd (mpm_event, two children) on a random
# loopback port.
#
#   t/system/admin-crash.sh MODULE_SO [GSPROV_CLI]     (about 10 s)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
src=$(cd "$(dirname "$0")/../.." && pwd)
cli=$(readlink -f "${2:-$src/gsprov}")
. "$(dirname "$0")/harness.sh" admin-crash
cd "$tmp" || exit 1
[ -x "$cli" ] || { echo "gsprov CLI not found: $cli"; exit 1; }

NMAC=40; WORKERS=8; BURST=2
cp -r "$src/t/fixtures/stores/admin" store
rm -f store/devices/*
mkdir -p logs
port=$(free_port)
httpd_conf_head "$tmp/httpd.conf" "$port" "$tmp/logs/error_log"
cat >> httpd.conf <<CONF
StartServers 2
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 1
MaxSpareThreads 32
GsProvRoot $tmp/store
GsProvVar sip_server sip.example
GsProvVar ivr_user provisioning
GsProvVar ivr_number *98
<Location /prov>
    SetHandler gsprov
    Require all granted
</Location>
<Location /admin>
    SetHandler gsprov-admin
    GsProvAuditLog $tmp/logs/audit.log
    Require all granted
</Location>
CONF
chmod -R a+rX "$tmp"
[ "$(id -u)" = 0 ] && chown -R "$user" store logs
start_httpd() { httpd_start -u "http://127.0.0.1:$port/prov/cfg.xml" "$tmp/httpd.conf" || exit 1; }
mac_of() { printf '000b82ee%04d' "$1"; }
put() {     # put MAC VALUE -> http status
    curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data-binary "{\"model\":\"gxp2170\",\"vars\":{\"ext\":\"$2\"}}" \
        "http://127.0.0.1:$port/admin/devices/$1"
}
expected() {    # the exact bytes of a record with ext VALUE
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <model>gxp2170</model>\n  <var name="ext">%s</var>\n</device>\n' "$1"
}

start_httpd
bad=0
for i in $(seq 1 $NMAC); do
    [ "$(put "$(mac_of "$i")" v0)" = 201 ] || bad=$((bad + 1))
done
check "$NMAC records created before the burst" 0 "$bad"

# the burst: every worker loops over all records; each value is logged
# (per record) before it is sent, so "a version that was sent" is known
mkdir sent
worker() {
    local w=$1 n=0 i m v
    while :; do
        for i in $(seq 1 $NMAC); do
            m=$(mac_of "$i"); n=$((n + 1)); v="w$w-$n"
            echo "$v" >> "sent/$m.$w"
            put "$m" "$v" > /dev/null
        done
    done
}
wpids=()
for w in $(seq 1 $WORKERS); do worker "$w" & wpids+=($!); done
sleep "$BURST"
victims=$(httpd_pids "$tmp/httpd.conf" | tr '\n' ' ')
# shellcheck disable=SC2086
kill -KILL $victims 2>/dev/null
for p in "${wpids[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
sleep 0.3
alive=0
for p in $victims; do   # (a zombie nobody has reaped yet is dead too)
    st=$(ps -o stat= -p "$p" 2>/dev/null)
    [ -n "$st" ] && [ "${st#Z}" = "$st" ] && alive=$((alive + 1))
done
check "every httpd process was killed (SIGKILL)" 0 "$alive"
nsent=$(cat sent/* 2>/dev/null | wc -l)
echo "# $nsent PUTs sent before the kill"
[ "$nsent" -gt $((NMAC * 2)) ]; check "the burst wrote every record several times" 0 $?

# every record: present, complete, the old version or one that was sent
missing=0; torn=0; foreign=0; changed=0
for i in $(seq 1 $NMAC); do
    m=$(mac_of "$i"); f=store/devices/$m.xml
    [ -f "$f" ] || { missing=$((missing + 1)); continue; }
    v=$(sed -n 's|^  <var name="ext">\(.*\)</var>$|\1|p' "$f")
    if [ -z "$v" ] || ! cmp -s "$f" <(expected "$v"); then
        torn=$((torn + 1)); echo "# torn: $f"; continue
    fi
    [ "$v" = v0 ] && continue
    changed=$((changed + 1))
    grep -qxF -- "$v" sent/"$m".* 2>/dev/null || { foreign=$((foreign + 1)); echo "# $f: '$v' was never sent"; }
done
check "no record lost" 0 "$missing"
check "no record torn (each is byte for byte a complete version)" 0 "$torn"
check "every record is its old version or one that was sent" 0 "$foreign"
[ "$changed" -gt 0 ]; check "records were changed by the burst ($changed of $NMAC)" 0 $?

# leftovers of writes in flight, plus one planted for sure
: > "store/devices/.$(mac_of 1).xml.tmp.99999.99999"
printf '<?xml version="1.0"?>\n<dev' > "store/devices/.$(mac_of 2).xml.tmp.99998.99998"
ntmp=$(find store/devices -name '.*.tmp.*' | wc -l)
echo "# $ntmp temporary files in devices/ (2 planted)"
"$cli" lint --root store --var sip_server=s --var ivr_user=u --var ivr_number=n > lint.out 2>&1
check "gsprov lint: the store is clean, temp files ignored" 0 $?
check "lint counted exactly the records" "gsprov lint: $NMAC device records, 0 problems" "$(tail -1 lint.out)"

# restart: every device served, listing exact, writes work again; the
# leftovers old enough to be a dead writer's are removed, younger ones
# (maybe another node's write in flight) are left
touch -d '10 minutes ago' "store/devices/.$(mac_of 1).xml.tmp.99999.99999"
httpd_stop "$tmp/httpd.conf"    # (all killed: forgets the stale pid file)
start_httpd
check "the restart removed the temporary file older than five minutes" 1 \
    "$([ -e "store/devices/.$(mac_of 1).xml.tmp.99999.99999" ] && echo 0 || echo 1)"
check "and left the younger ones ($((ntmp - 1)))" "$((ntmp - 1))" "$(find store/devices -name '.*.tmp.*' | wc -l)"
bad=0
for i in $(seq 1 $NMAC); do
    c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/prov/cfg$(mac_of "$i").xml")
    [ "$c" = 200 ] || bad=$((bad + 1))
done
check "after the restart every device gets its file" 0 "$bad"
n=$(curl -s "http://127.0.0.1:$port/admin/devices?limit=1000" | grep -o '"mac":' | wc -l)
check "the listing holds exactly the records" "$NMAC" "$n"
bad=0
for i in $(seq 1 $NMAC); do
    [ "$(put "$(mac_of "$i")" after)" = 200 ] || bad=$((bad + 1))
done
check "every record writable again (no lock left held)" 0 "$bad"
cmp -s "store/devices/$(mac_of 7).xml" <(expected after); check "last write on disk" 0 $?
# audit lines never interleave: every line is one JSON object
badl=$(grep -vc '^{"time":"[^"]*",.*}$' logs/audit.log)
check "every audit line is whole" 0 "$badl"
httpd_stop "$tmp/httpd.conf"
grep -E '\[(gsprov|core):(error|crit|alert|emerg)\]|AH00052|Sanitizer' logs/error_log | grep -v 'AH00052' | head -5 > errs
check "no gsprov error in the error_log" "" "$(cat errs)"

harness_done
