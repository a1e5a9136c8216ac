#!/bin/bash
# GsProvAuditLog where an administrator puts logs: a directory only root
# may write (Debian's /var/log/apache2 is root:adm 0750).  The parent
# opens the file at startup, as root, like a CustomLog, so the admin API's
# writes succeed although httpd's User could not open it; a graceful
# restart opens it again (logrotate moved the old one away); a path that
# cannot be opened stops the start, naming it; and a 500 of the admin API
# never shows a server path.  The configuration checks of apachectl -t
# are in t/apache/70-configtest.t and 71-configtest-traps.t.
#
#   t/system/configtest.sh MODULE_SO        (about 10 s; as root, httpd's
#                                            children run as nobody)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/harness.sh" configtest
cd "$tmp" || exit 1
chmod 755 "$tmp"

[ "$(id -u)" = 0 ] || echo "# not root: the log directory is ours, not root's (the privilege part is not shown)"

cp -r "$src/t/fixtures/stores/admin" store
rm -f store/devices/*
chown -R "$user:$group" store
# the log directory: root's, closed to everyone else, like /var/log/apache2
mkdir -m 0750 rootlogs
mkdir -p logs
port=$(free_port)
conf() {    # conf FILE AUDITLOG
    httpd_conf_head "$1" "$port" "$tmp/logs/error_log"
    cat >> "$1" <<CONF
GsProvRoot $tmp/store
GsProvVar sip_server sip.example
GsProvVar ivr_user provisioning
GsProvVar ivr_number *98
GsProvAuditLog $2
<Location /admin>
    SetHandler gsprov-admin
    Require all granted
</Location>
CONF
}
conf "$tmp/httpd.conf" "$tmp/rootlogs/audit.log"

put() {     # put MAC: the status code; the body in $tmp/body
    curl -s -o "$tmp/body" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data '{"model":"gxp2170","vars":{"ext":"1001"}}' \
        "http://127.0.0.1:$port/admin/devices/$1"
}
lines() { if [ -e "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# ---------------------------------------------------------------- at startup
if [ "$(id -u)" = 0 ]; then
    check "as root the run user ($user) cannot create a file in the log directory" 1 \
        "$("${AS_USER[@]}" sh -c ": > '$tmp/rootlogs/probe'" 2>/dev/null || echo 1)"
fi
httpd_start "$tmp/httpd.conf" || { nok "httpd starts"; harness_done; exit 1; }
ok "httpd starts with GsProvAuditLog in a directory only root can write"
check "the parent created the audit log at startup" 1 "$([ -f rootlogs/audit.log ] && echo 1)"
check "a device PUT is created (201), not refused for the log" 201 "$(put 000b82e00001)"
check "... and its audit line is in the log" 1 "$(grep -c '"mac":"000b82e00001"' rootlogs/audit.log)"
check "the log file is not readable by others (0640)" 640 "$(stat -c %a rootlogs/audit.log)"

# ---------------------------------------------------------------- logrotate
mv rootlogs/audit.log rootlogs/audit.log.1
check "while rotated, a write still goes to the open (moved) file" 201 "$(put 000b82e00002)"
check "... the moved file has both lines" 2 "$(lines rootlogs/audit.log.1)"
httpd -f "$tmp/httpd.conf" -k graceful
for _ in $(seq 100); do [ -f rootlogs/audit.log ] && break; sleep 0.1; done
check "a graceful restart creates the log anew" 1 "$([ -f rootlogs/audit.log ] && echo 1)"
code=000
for _ in $(seq 50); do code=$(put 000b82e00003); [ "$code" = 201 ] && break; sleep 0.2; done
check "after the restart a write is created (201)" 201 "$code"
check "... its line in the new file" 1 "$(grep -c '"mac":"000b82e00003"' rootlogs/audit.log)"
check "... and not in the rotated one" 2 "$(lines rootlogs/audit.log.1)"

# ---------------------------------------------------------------- 500 bodies
chmod 0555 store/devices
chown root store/devices 2>/dev/null || true
code=$(put 000b82e00004)
check "a store the run user cannot write: 500" 500 "$code"
check "... the body does not show the server's paths" 0 "$(grep -c "$tmp" "$tmp/body")"
check "... it names the log line that says why" 1 "$(grep -c 'GSPROV0704' "$tmp/body")"
check "... which is in the error log with the path" 1 \
    "$(grep 'GSPROV0704' logs/error_log | grep -q "$tmp/store" && echo 1)"
chmod 0755 store/devices
chown "$user" store/devices
httpd_stop

# ---------------------------------------------------------------- cannot open
mkdir rootlogs/isadir.log
conf "$tmp/bad.conf" "$tmp/rootlogs/isadir.log"
: > logs/error_log
# through the harness: a server that does start is stopped at exit
httpd_start -t 3 -o "$tmp/bad.out" "$tmp/bad.conf" 2>/dev/null; rc=$?
check "an audit log path that cannot be opened: httpd does not start" 1 "$([ "$rc" != 0 ] && echo 1)"
check "... the error log names it (GSPROV0902)" 1 \
    "$(grep -c "GSPROV0902: GsProvAuditLog: $tmp/rootlogs/isadir.log: cannot open the audit log" logs/error_log)"
check "... no httpd left running" "" "$(cat "$tmp/bad.pid" 2>/dev/null)"
[ -s "$tmp/bad.out" ] && sed 's/^/# its output: /' "$tmp/bad.out"

harness_done
