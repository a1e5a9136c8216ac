#!/bin/bash
# The request path under valgrind: a single-process httpd (-X) with the
# module serves a mix of requests (device XML encrypted and plain, binary,
# model, generic, unknown device, bad name, firmware, admin API reads and
# writes), once 100 rounds and
# once 300 rounds.  Checks: no memory errors, and the bytes valgrind finds
# lost at exit do not grow with the number of requests (what is lost at
# exit is OpenSSL's own process-wide state, the same for any count).
#
#   t/valgrind-httpd.sh MODULE_SO     (about 40 s; runs as root or not)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/gsprov-vg.XXXXXX)
trap 'pkill -f "$tmp/httpd.conf" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }

port=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$tmp/fw/1.0"
head -c 4096 /dev/urandom > "$tmp/fw/1.0/gxp2170fw.bin"
cp -r "$top/templates/demo-store" "$tmp/store"
user=$(id -un); group=$(id -gn)
[ "$(id -u)" = 0 ] && { user=nobody; group=nogroup; }
chmod -R a+rX "$tmp"
cat > "$tmp/httpd.conf" <<CONF
ServerRoot /etc/apache2
ServerName localhost
Listen 127.0.0.1:$port
PidFile $tmp/httpd.pid
ErrorLog $tmp/error_log
LogLevel warn
User $user
Group $group
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule gsprov_module $so
DocumentRoot $tmp
GsProvRoot $tmp/store
GsProvVar sip_server sip.example
GsProvVar prov_host 127.0.0.1/prov
GsProvVar admin_password admin-pw
GsProvVar firmware 1.0
GsProvReloadInterval 0
GsProvFirmwareRoot $tmp/fw
<Location /prov>
    SetHandler gsprov
</Location>
<Location /fw>
    SetHandler gsprov-firmware
</Location>
# the admin API: reads, a listing, the rendered file and a PUT per round
<Location /admin>
    SetHandler gsprov-admin
    GsProvAuditLog $tmp/audit.log
</Location>
CONF
[ "$(id -u)" = 0 ] && chown -R "$user" "$tmp/store" && chown "$user" "$tmp"

run() {   # $1 = rounds; prints the definitely+indirectly lost bytes
    local rounds=$1 log=$tmp/vg.$1 i u
    valgrind --leak-check=full --errors-for-leak-kinds=none \
        --log-file="$log" /usr/sbin/apache2 -X -f "$tmp/httpd.conf" &
    for i in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/prov/cfg.xml" && break
        sleep 0.2
    done
    for i in $(seq "$rounds"); do
        for u in prov/cfg000b82123456.xml prov/cfgc074ad273a10.xml \
                 prov/cfg000b82123456 prov/cfggxp2170.xml prov/cfg.xml \
                 prov/cfg000b82ffffff.xml prov/cfgBAD..xml \
                 fw/gxp2170fw.bin fw/000b82ffffff/gxp2170fw.bin; do
            curl -s -o /dev/null "http://127.0.0.1:$port/$u"
        done
        for u in admin/devices/000b82123456 admin/devices \
                 admin/devices/000b82123456/rendered admin/devices/zz; do
            curl -s -o /dev/null "http://127.0.0.1:$port/$u"
        done
        curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
            --data-binary "{\"model\":\"gxp2170\",\"vars\":{\"ext\":\"$i\"}}" \
            "http://127.0.0.1:$port/admin/devices/000b82eeeeee"
    done
    kill -TERM "$(cat "$tmp/httpd.pid")"
    wait
    errs=$(grep -Eo 'ERROR SUMMARY: [0-9]+' "$log" | awk '{print $3}')
    lost=$(awk '/definitely lost:|indirectly lost:/ {gsub(",", "", $4); s += $4} END {print s + 0}' "$log")
    echo "$errs $lost"
}

read -r e1 l1 < <(run 100)
read -r e2 l2 < <(run 300)
echo "# 100 rounds: $e1 errors, $l1 bytes lost at exit; 300 rounds: $e2 errors, $l2 bytes lost"
[ "$e1" = 0 ] && ok "no memory errors over 1400 requests" || nok "memory errors over 1400 requests (see valgrind log)"
[ "$e2" = 0 ] && ok "no memory errors over 4200 requests" || nok "memory errors over 4200 requests"
[ -n "$l1" ] && [ "$l1" = "$l2" ] && ok "lost bytes do not grow with requests ($l1 = $l2)" \
    || nok "lost bytes grow with requests: $l1 after 1400, $l2 after 4200"
grep -q '\[gsprov:' "$tmp/error_log" && nok "gsprov wrote to the error log" || ok "nothing logged at warn or above"
echo "valgrind: $pass passed, $fail failed"
[ "$fail" = 0 ]
