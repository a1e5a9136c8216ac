#!/bin/bash
# The provisioning status (GsProvDeviceStatus) across the life of httpd,
# with the directory store: what a graceful restart writes (nothing is
# lost: the flush interval here is an hour, only the child's exit writes),
# what a kill -9 loses (at most the last interval: everything older is on
# disk), a buffer bounded at 16 entries (a stalled flusher, 100 more
# devices: exactly the excess dropped and counted, nothing grown), and a
# store that cannot be written (requests served, one log line, counted).
# Starts its own httpd (mpm_event, one child) with four vhosts on random
# loopback ports.
#
#   t/system/status.sh MODULE_SO [GSPROV_CLI]     (about 30 s)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/harness.sh" status
cd "$tmp" || exit 1

mac_of() { printf '000b82ee%04d' "$1"; }
record() {  # record STORE I: a device record, as a deployment would write it
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <model>gxp2170</model>\n  <var name="ext">%s</var>\n</device>\n' "$2" \
        > "$1/devices/$(mac_of "$2").xml"
}
for s in restart kill bound broken; do
    cp -r "$src/t/fixtures/stores/admin" "$s"
    rm -f "$s"/devices/*
done
for i in $(seq 1 120); do record bound "$i"; done
for i in $(seq 1 20); do record restart "$i"; record kill "$i"; done
record kill 21
record broken 1
: > broken/status          # a file where the directory belongs
mkdir -p logs
read -r p0 p1 p2 p3 p4 <<<"$(free_port 5 | awk '{print $1, $1+1, $1+2, $1+3, $1+4}')"
httpd_conf_head "$tmp/httpd.conf" "$p0" "$tmp/logs/error_log"
cat >> httpd.conf <<CONF
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
GracefulShutdownTimeout 30
GsProvRoot $tmp/restart
GsProvVar sip_server sip.example
GsProvVar ivr_user provisioning
GsProvVar ivr_number *98
<Location /prov>
    SetHandler gsprov
    Require all granted
</Location>
<Location /st>
    SetHandler gsprov-status
    Require all granted
</Location>
<Location /admin>
    SetHandler gsprov-admin
    Require all granted
</Location>
Listen 127.0.0.1:$p1
Listen 127.0.0.1:$p2
Listen 127.0.0.1:$p3
Listen 127.0.0.1:$p4
<VirtualHost 127.0.0.1:$p1>
    ServerName restart.test
    GsProvRoot $tmp/restart
    GsProvDeviceStatusFlush 3600
</VirtualHost>
<VirtualHost 127.0.0.1:$p2>
    ServerName kill.test
    GsProvRoot $tmp/kill
    GsProvDeviceStatusFlush 2
</VirtualHost>
<VirtualHost 127.0.0.1:$p3>
    ServerName bound.test
    GsProvRoot $tmp/bound
    GsProvDeviceStatusFlush 3600
    GsProvDeviceStatusBuffer 16
</VirtualHost>
<VirtualHost 127.0.0.1:$p4>
    ServerName broken.test
    GsProvRoot $tmp/broken
    GsProvDeviceStatusFlush 1
</VirtualHost>
CONF
chmod -R a+rX "$tmp"
[ "$(id -u)" = 0 ] && chown -R "$user" restart kill bound broken logs
start_httpd() { httpd_start -u "http://127.0.0.1:$p1/prov/cfg.xml" "$tmp/httpd.conf" || exit 1; }
fetch() {   # fetch PORT I -> http status of cfg<mac>.xml
    curl -s -o /dev/null -w '%{http_code}' -A "Grandstream Model HW GXP2170 SW 1.0.11.$2 DevId $(mac_of "$2")" \
        "http://127.0.0.1:$1/prov/cfg$(mac_of "$2").xml"
}
fetch_all() {   # fetch_all PORT FROM TO -> how many were not 200
    local bad=0 i
    for i in $(seq "$2" "$3"); do [ "$(fetch "$1" "$i")" = 200 ] || bad=$((bad + 1)); done
    echo "$bad"
}
nstatus() { find "$1/status" -name '*.json' 2>/dev/null | wc -l; }
wait_status() {     # wait_status STORE N [SECONDS]: until N status files
    local end=$((SECONDS + ${3:-15}))
    while [ "$(nstatus "$1")" -lt "$2" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
    nstatus "$1"
}
stat_of() { curl -s "http://127.0.0.1:$1/st" | sed -n "s/^$2: //p"; }

start_httpd

# ---- a graceful restart writes what was buffered ------------------------
check "20 devices served (restart.test)" 0 "$(fetch_all "$p1" 1 20)"
sleep 1
check "nothing written yet (GsProvDeviceStatusFlush 3600)" 0 "$(nstatus restart)"
check "20 requests recorded in memory" 20 "$(stat_of "$p1" DeviceStatusRecorded)"
old=$(httpd_pids "$tmp/httpd.conf" | tail -n +2 | tr '\n' ' ')
q httpd -f "$tmp/httpd.conf" -k graceful
check "after a graceful restart every device's status is on disk" 20 "$(wait_status restart 20)"
gone=0
for i in $(seq 1 50); do
    alive=0
    for p in $old; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && { gone=1; break; }
    sleep 0.2
done
check "the old child has exited" 1 "$gone"
mac=$(mac_of 7)
check_true "a status file holds the device's request" \
    grep -Eq "\"file\": ?\"cfg$mac.xml\"" "restart/status/$mac.json"
check_true "... its firmware from the User-Agent" \
    grep -Eq '"ua_firmware": ?"1.0.11.7"' "restart/status/$mac.json"
v=$(sha256sum < "restart/devices/$mac.xml" | cut -d' ' -f1)
check_true "... and the record version served" grep -Eq "\"served_version\": ?\"$v\"" "restart/status/$mac.json"
a=$(curl -s "http://127.0.0.1:$p1/admin/devices/$mac")
check_true "GET /devices/<mac> after the restart: in sync" grep -Eq '"in_sync": ?true' <<<"$a"
check_true "... with the request's file" grep -Eq "\"file\": ?\"cfg$mac.xml\"" <<<"$a"

# ---- kill -9 loses at most the last interval ------------------------------
check "10 devices served (kill.test)" 0 "$(fetch_all "$p2" 1 10)"
check "written within two intervals (GsProvDeviceStatusFlush 2)" 10 "$(wait_status kill 10 6)"
check "10 more devices served" 0 "$(fetch_all "$p2" 11 20)"
victims=$(httpd_pids "$tmp/httpd.conf" | tr '\n' ' ')
# shellcheck disable=SC2086
kill -KILL $victims 2>/dev/null
sleep 0.5
n=$(nstatus kill)
check "after kill -9: what was older than an interval survived" 1 "$(( n >= 10 ))"
echo "# $n of 20 status files after kill -9 ($((20 - n)) lost, all of the last interval)"
lost_old=0
for i in $(seq 1 10); do [ -f "kill/status/$(mac_of "$i").json" ] || lost_old=$((lost_old + 1)); done
check "none of the first 10 devices lost" 0 "$lost_old"
torn=0
for f in kill/status/*.json; do python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" 2>/dev/null || torn=$((torn + 1)); done
check "every status file is whole JSON" 0 "$torn"
httpd_stop "$tmp/httpd.conf"    # (all killed: forgets the stale pid file)
start_httpd
check "after the restart: 10 more requests" 0 "$(fetch_all "$p2" 11 20)"
check "... recorded again" 20 "$(wait_status kill 20 6)"

# ---- a bounded buffer: a stalled flusher, more devices than the bound -------
# the flusher takes the first half-full generation (8 of 16) and waits for
# the status log's lock, held here (it waits to append); 100 more devices meet a full buffer
mkdir -p bound/.gsprov-locks
[ "$(id -u)" = 0 ] && chown "$user" bound/.gsprov-locks
lock=bound/.gsprov-locks/status-log.lock
: > "$lock"; [ "$(id -u)" = 0 ] && chown "$user" "$lock"
flock "$lock" sleep 12 &
holder=$!
sleep 0.3
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$(httpd_pids "$tmp/httpd.conf" | sed -n 2p)/status")
check "8 devices served (bound.test)" 0 "$(fetch_all "$p3" 1 8)"
sleep 1.5     # the flusher takes them and blocks on the lock
check "100 more devices served while the flusher is stalled" 0 "$(fetch_all "$p3" 9 108)"
check "recorded: 8 taken + 16, the bound" 24 "$(stat_of "$p3" DeviceStatusRecorded)"
check "dropped and counted: the other 84" 84 "$(stat_of "$p3" DeviceStatusDropped)"
check "no request failed" 0 "$(stat_of "$p3" DeviceStatusFailed)"
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$(httpd_pids "$tmp/httpd.conf" | sed -n 2p)/status")
echo "# child RSS ${rss0} kB -> ${rss1} kB"
pkill -P "$holder" 2>/dev/null; kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null   # (flock's sleep holds the lock too)
check "once the lock is free: the 24 kept are written" 24 "$(wait_status bound 24 10)"
sleep 1.5
check "... and no more" 24 "$(nstatus bound)"
check "written counter" 24 "$(stat_of "$p3" DeviceStatusWritten)"

# ---- a storm: the status files wait for it to pass ------------------------
# more than 100 requests a second in the child: the flusher still writes
# the log every interval (2 s here), the settler leaves the devices' files
# alone until the storm is over (at most a minute)
m21=$(mac_of 21)
if command -v wrk >/dev/null; then
    wrk -t1 -c4 -d7s -H "User-Agent: Grandstream Model HW GXP2170 SW 1.0.11.21 DevId $m21" \
        "http://127.0.0.1:$p2/prov/cfg$m21.xml" > wrk-storm.out 2>&1 &
    wpid=$!
    sleep 5
    logged=$(cat kill/status/log/* 2>/dev/null | grep -c "\"mac\":\"$m21\"")
    check_true "during the storm: its requests flushed to the log" [ "$logged" -ge 1 ]
    check "... and not yet in the device's status file" 0 "$(nstatus kill | awk -v n=20 '{print $1 - n}')"
    wait "$wpid"
    grep -E 'Requests/sec' wrk-storm.out | sed 's/^/# wrk: /'
    check "after the storm: in the device's status file" 21 "$(wait_status kill 21 15)"
else
    echo "# wrk missing: the storm check is skipped"
    nok "wrk is needed for the storm check"
fi

# ---- a store that cannot be written ---------------------------------------
check "served although its status cannot be written" 200 "$(fetch "$p4" 1)"
sleep 2.5
check "served again" 200 "$(fetch "$p4" 1)"
sleep 2.5
check "both failed writes counted" 2 "$(stat_of "$p4" DeviceStatusFailed)"
check "logged once (GSPROV1101, at most once a minute)" 1 "$(grep -c 'GSPROV1101' logs/error_log)"
check_true "... naming the store and the error" grep -q "GSPROV1101: .*$tmp/broken.*status" logs/error_log
check "no other warning or error" 0 "$(grep -E '\[(gsprov:)?(warn|error|crit)' logs/error_log | grep -vc GSPROV1101)"

httpd_stop "$tmp/httpd.conf"
# (with GSPROV_PRELOAD: the flusher threads' exits at the graceful restart
# and the stop under ASan/UBSan)
check "no sanitizer report in the error log" 0 "$(grep -cE 'Sanitizer|runtime error' logs/error_log)"
harness_done
