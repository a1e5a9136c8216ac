#!/bin/bash
# Templates converge across the children of one httpd (StartServers 3,
# one thread each, keep-alive off, so that parallel requests spread over
# the children; the access log names the child that answered, %P):
#
#   a good edit, served by one child; then, within the interval, a broken
#   edit; 30 requests spread over every child all answer the good edit
#   (never the set before it), and the broken edit is logged once for the
#   server, not once per child; a fix is noticed by every child, even one
#   that served nothing in between; the status page shows the version
#   (the same hash computed here from the files); the snapshot directory
#   belongs to the children's user and is gone after the server stops;
#   a graceful restart starts from its own load of the files.
#
#   t/system/converge.sh MODULE_SO     (about 30 s)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
. "$(dirname "$0")/harness.sh" converge
cd "$tmp" || exit 1

port=$(free_port)
mkdir -p store/models store/groups store/devices run logs
layer() {   # layer FILE P2-VALUE: a valid template, written atomically
    printf '<gs_provision version="1"><config version="1"><P2>%s</P2><P30>ntp.example</P30></config></gs_provision>\n' "$2" > "$1.new"
    mv -f "$1.new" "$1"
}
broken() {  # broken FILE: not well-formed
    printf '<gs_provision version="1"><config version="1"><P2>broken</P3></config></gs_provision>\n' > "$1.new"
    mv -f "$1.new" "$1"
}
# the template set version as README defines it: SHA-256 over
# "<file>:<SHA-256 of its bytes>\n" for every file, in name order
tver() {
    (cd "$1" && for f in $(ls -d defaults.xml redirect.map models/*.xml groups/*.xml 2>/dev/null | LC_ALL=C sort); do
        printf '%s:%s\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done) | sha256sum | cut -d' ' -f1
}
layer store/defaults.xml v1
layer store/models/gxp2170.xml m1
chmod -R a+rwX "$tmp"

httpd_conf_head -l info -P "$tmp/run/httpd.pid" "$tmp/conf" "$port" "$tmp/logs/error.log"
# mpm_worker, not mpm_event: threads too, but a thread reads its
# connection's request itself (event hands a connection waiting for its
# request back to the listener), which is what spreads burst() below
sed -i 's|^LoadModule mpm_event_module .*|LoadModule mpm_worker_module '"$APACHE_MODDIR"'/mod_mpm_worker.so|' "$tmp/conf"
cat >> conf <<CONF
StartServers 3
ServerLimit 3
ThreadsPerChild 1
ThreadLimit 1
MaxRequestWorkers 3
MinSpareThreads 1
MaxSpareThreads 3
MaxConnectionsPerChild 0
KeepAlive Off
LogFormat "%{X-Req}i %P %>s" converge
CustomLog $tmp/logs/access.log converge
<VirtualHost *:$port>
    ServerName conv.test
    GsProvRoot $tmp/store
    GsProvReloadInterval 1
    <Location /prov>
        SetHandler gsprov
    </Location>
    # the same store, never checked from here: what it serves comes from
    # the other requests' checks, or from the configuration's own load
    <Location /still>
        SetHandler gsprov
        GsProvReloadInterval 86400
    </Location>
    <Location /status>
        SetHandler gsprov-status
    </Location>
</VirtualHost>
CONF
httpd_start "$tmp/conf" || exit 1
parent=$(cat run/httpd.pid)
mapfile -t kids < <(httpd_pids "$tmp/conf" | grep -vx "$parent")
check "httpd runs 3 children" 3 "${#kids[@]}"

n=0
# burst PATH COUNT: COUNT requests, three at a time, each holding its
# child's only thread for 0.3 s (the end of its header comes late): a
# child whose thread is busy accepts nothing, so every round of three
# reaches the three children.  Each answer in b.<id>; the ids in $ids
# (not run in a subshell: the ids go on from one burst to the next).
burst() {
    local path=$1 count=$2 i
    ids=()
    for ((i = 0; i < count; i++)); do
        n=$((n + 1)); ids+=("$n")
        ( exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
          printf 'GET %s HTTP/1.0\r\nHost: conv.test\r\nX-Req: %s\r\n' "$path" "$n" >&3
          sleep 0.3; printf '\r\n' >&3; cat <&3 > "b.$n" ) &
        [ $(((i + 1) % 3)) = 0 ] && wait
    done
    wait
}
pid_of() { awk -v id="$1" '$1 == id { print $2 }' logs/access.log; }
p2() { sed -n 's/.*<P2>\([^<]*\)<\/P2>.*/\1/p' "b.$1"; }
# spread PATH WANT: 30 requests over the children (more until each child
# has answered at least once, at most 90); r is "<answers>/<requests>
# <children>", answers counting the bodies with P2 = WANT
spread() {
    local path=$1 want=$2 all=() good=0 k id
    for k in 1 2 3; do
        burst "$path" 30
        all+=("${ids[@]}")
        sleep 0.3       # the access log is written after the response
        [ "$(for id in "${all[@]}"; do pid_of "$id"; done | sort -u | wc -l)" -ge 3 ] && break
    done
    for id in "${all[@]}"; do [ "$(p2 "$id")" = "$want" ] && good=$((good + 1)); done
    r="$good/${#all[@]} $(for id in "${all[@]}"; do pid_of "$id"; done | sort -u | wc -l)"
}
all_of() {  # all_of "GOOD/TOTAL CHILDREN": ok when GOOD = TOTAL, 3 children
    # or more (a graceful restart replaces them)
    local a=${1% *}; [ "${a%/*}" = "${a#*/}" ] && [ "${1#* }" -ge 3 ]
}
count_0201() { grep -c 'GSPROV0201' logs/error.log; }

spread /prov/cfg.xml v1
check_true "start: every child answers the configuration's load ($r)" all_of "$r"

# ---------------------------------------------------------------- the case
layer store/defaults.xml v2
good=$(tver store)
sleep 1.2                       # past the interval
burst /prov/cfg.xml 1
id=${ids[0]}
sleep 0.3
first=$(pid_of "$id")
check "the good edit, one request: served by child $first" v2 "$(p2 "$id")"
broken store/defaults.xml       # the others have served nothing since
sleep 1.2                       # past the interval again: the next
                                # request of each child checks the files
spread /prov/cfg.xml v2
check_true "broken edit: every answer over all 3 children is the good edit ($r)" all_of "$r"
check "the broken edit is logged once for the server, not per child" 1 "$(count_0201)"
check "... naming the file and the version still served" 1 \
    "$(grep 'GSPROV0201' logs/error.log | grep -c "still serving version ${good:0:12}: $tmp/store/defaults.xml:1: ")"
spread /still/cfg.xml v2
check_true "a location that never checks the files serves it too ($r)" all_of "$r"
check "children took the set one of them loaded (GSPROV0206, debug: none at info)" 0 \
    "$(grep -c 'GSPROV0206' logs/error.log)"

st=$(curl -s -H "Host: conv.test" "http://127.0.0.1:$port/status")
check "the status page shows the tenant's template version (computed here from the files)" \
    "Templates: $good" "$(grep '^Templates:' <<<"$st")"
check "... in JSON too" "\"$good\"" \
    "$(curl -s -H "Host: conv.test" "http://127.0.0.1:$port/status?json" | sed -n 's/.*"templates": \(.*\),*$/\1/p' | tr -d ',')"

snap=$(ls -d run/gsprov-templates.* 2>/dev/null | head -1)
check_true "the snapshot directory is under DefaultRuntimeDir" test -d "$snap"
check "... belongs to the children's user, mode 700" "$user 700" "$(stat -c '%U %a' "$snap" 2>/dev/null)"
check "... holds the good set's snapshot" 1 "$(ls "$snap" | grep -c "\.$good\$")"

# ---------------------------------------------------------------- a fix
# (the first request after the interval checks the files; requests that
# arrive while it does are answered with the set before, as README says:
# one request first, then every child)
layer store/defaults.xml v3
v3=$(tver store)
sleep 1.2
burst /prov/cfg.xml 1
id=${ids[0]}
check "fixed: the first request after the interval gets it" v3 "$(p2 "$id")"
spread /prov/cfg.xml v3
check_true "... and every child from then on, those idle meanwhile too ($r)" all_of "$r"
check "one GSPROV0202 for the fix (info), not one per child" 1 \
    "$(grep 'GSPROV0202' logs/error.log | grep -c "version ${v3:0:12}")"
check "the older snapshot is removed, the new one kept" "0 1" \
    "$(ls "$snap" | grep -c "\.$good\$") $(ls "$snap" | grep -c "\.$v3\$")"

# another broken edit: logged once more, still for the whole server
broken store/models/gxp2170.xml
sleep 1.2
burst /prov/cfggxp2170.xml 1
spread /prov/cfggxp2170.xml m1
check_true "a broken model: every child serves the last good model ($r)" all_of "$r"
check "... logged once more" 2 "$(count_0201)"

# ---------------------------------------------------------------- graceful
layer store/models/gxp2170.xml m4
layer store/defaults.xml v4
httpd -f "$tmp/conf" -k graceful
sleep 2
spread /still/cfg.xml v4
check_true "graceful restart: the configuration's new load is served, even where nothing checks ($r)" all_of "$r"
check "graceful restart: the old generation's snapshot directory is gone" 0 \
    "$(ls -d "$snap" 2>/dev/null | wc -l)"
check "... and the new generation has its own" 1 "$(ls -d run/gsprov-templates.* 2>/dev/null | wc -l)"

# (mpm_worker says when all three threads are busy: it is meant to be)
check "nothing at warn or above from mod_gsprov but the expected GSPROV0201 lines" 0 \
    "$(grep -E '\[gsprov:(warn|error|crit|alert|emerg)\]' logs/error.log | grep -vc 'GSPROV0201')"
httpd_stop "$tmp/conf"
check "after the server stopped, no snapshot directory is left" 0 \
    "$(ls -d run/gsprov-templates.* 2>/dev/null | wc -l)"
harness_done
