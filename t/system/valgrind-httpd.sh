#!/bin/bash
# The request path under valgrind: a single-process httpd (-X) with the
# module serves a mix of requests (device XML encrypted and plain, binary,
# model, generic, unknown device, bad name, firmware, admin API reads and
# writes, the status page) through the memcached cache and a small near
# cache that wraps around, once 100 rounds and
# once 300 rounds.  Checks: no memory errors, and the bytes valgrind finds
# lost at exit do not grow with the number of requests (what is lost at
# exit is OpenSSL's own process-wide state, the same for any count).
#
#   t/system/valgrind-httpd.sh MODULE_SO     (about 40 s; runs as root or not)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/harness.sh" valgrind

port=$(free_port 2)
mport=$((port + 1))
mkdir -p "$tmp/fw/1.0"
head -c 4096 /dev/urandom > "$tmp/fw/1.0/gxp2170fw.bin"
cp -r "$top/templates/demo-store" "$tmp/store"
openssl rand -hex 32 > "$tmp/cache.secret"
chmod -R a+rX "$tmp"
httpd_conf_head "$tmp/httpd.conf" "$port" "$tmp/error_log"
cat >> "$tmp/httpd.conf" <<CONF
DocumentRoot $tmp
GsProvRoot $tmp/store
GsProvVar sip_server sip.example
GsProvVar prov_host 127.0.0.1/prov
GsProvVar admin_password admin-pw
GsProvVar firmware 1.0
GsProvReloadInterval 0
GsProvFirmwareRoot $tmp/fw
# through the cache: misses, memcached hits and near hits
GsProvCache memcached "--SERVER=127.0.0.1:$mport"
GsProvCacheNear 64K
GsProvCacheSecret $tmp/cache.secret
<Location /status>
    SetHandler gsprov-status
</Location>
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
memcached_start -o "-m 16" "$tmp/mc.pid" "$mport" || exit 1

run() {   # $1 = rounds; prints the definitely+indirectly lost bytes
    local rounds=$1 log=$tmp/vg.$1 i u
    httpd_start -X -t 60 -u "http://127.0.0.1:$port/prov/cfg.xml" "$tmp/httpd.conf" \
        valgrind --leak-check=full --errors-for-leak-kinds=none \
        --suppressions="$top/t/system/valgrind.supp" --log-file="$log" || exit 1
    for i in $(seq "$rounds"); do
        for u in prov/cfg000b82123456.xml prov/cfgc074ad273a10.xml \
                 prov/cfg000b82123456 prov/cfggxp2170.xml prov/cfg.xml \
                 prov/cfg000b82ffffff.xml prov/cfgBAD..xml \
                 fw/gxp2170fw.bin fw/000b82ffffff/gxp2170fw.bin \
                 status status?json status?prometheus status?auto; do
            curl -s -o /dev/null "http://127.0.0.1:$port/$u"
        done
        for u in admin/devices/000b82123456 admin/devices \
                 admin/devices/000b82123456/rendered admin/devices/zz; do
            curl -s -o /dev/null "http://127.0.0.1:$port/$u"
        done
        curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
            --data-binary "{\"model\":\"gxp2170\",\"vars\":{\"ext\":\"$rounds-$i\"}}" \
            "http://127.0.0.1:$port/admin/devices/000b82eeeeee"
        # a new record every round: a new key, a miss, a store; the near
        # cache is written over every ~20 rounds
        curl -s -o /dev/null "http://127.0.0.1:$port/prov/cfg000b82eeeeee.xml"
    done
    curl -s -o "$tmp/status.$rounds" "http://127.0.0.1:$port/status?json"
    # the leak summary is written at exit: wait for it as long as it takes
    httpd_stop -t 600 "$tmp/httpd.conf"
    errs=$(grep -Eo 'ERROR SUMMARY: [0-9]+' "$log" | awk '{print $3}')
    lost=$(awk '/definitely lost:|indirectly lost:/ {gsub(",", "", $4); s += $4} END {print s + 0}' "$log")
    echo "$errs $lost"
}

read -r e1 l1 < <(run 100)
read -r e2 l2 < <(run 300)
echo "# 100 rounds: $e1 errors, $l1 bytes lost at exit; 300 rounds: $e2 errors, $l2 bytes lost"
[ "$e1" = 0 ] && ok "no memory errors over 1900 requests" || nok "memory errors over 1900 requests (see valgrind log)"
[ "$e2" = 0 ] && ok "no memory errors over 5700 requests" || nok "memory errors over 5700 requests"
[ -n "$l1" ] && [ "$l1" = "$l2" ] && ok "lost bytes do not grow with requests ($l1 = $l2)" \
    || nok "lost bytes grow with requests: $l1 after 1900, $l2 after 5700"
cache=$(perl -MJSON::PP -e 'local $/; my $c = decode_json(<STDIN>)->{tenants}[0]{cache};
    print "$c->{hits} $c->{near_hits} $c->{misses} $c->{errors}"' < "$tmp/status.300")
read -r hits near misses cerrs <<<"$cache"
[ "${hits:-0}" -gt "${near:-0}" ] && [ "${near:-0}" -gt 0 ] && [ "${misses:-0}" -ge 300 ] && [ "$cerrs" = 0 ] \
    && ok "the cache was used: $hits hits ($near near), $misses misses, 0 errors" \
    || nok "the cache was not used as expected: hits/near/misses/errors = $cache"
# (but the startup notice naming the version, GSPROV0901, by design)
grep '\[gsprov:' "$tmp/error_log" | grep -vq '\[gsprov:notice\] .*GSPROV0901: mod_gsprov/[^ ]* configured$' \
    && nok "gsprov wrote to the error log" || ok "nothing logged at warn or above"
harness_done
