# Shared helpers for the bench/ scripts (sourced, not run).
#
#   gen_store DIR          1,000-device store (encryption on for every device)
#   write_conf CONF PORT   httpd config serving /prov (gsprov) and /static
#   bench_httpd_start CONF PORT   config test, start (pinned per $PIN), $BASE
#   run_wrk BASE SCRIPT DURATION ARGS...   one wrk run: its RESULT line
#   field NAME RESULT, errors_of RESULT, median N...
#   httpd_rss PIDFILE      sum of VmRSS (kB) over the httpd parent + children
#
# Starting, waiting for and stopping httpd and memcached, free ports and
# the one exit trap: t/system/harness.sh, as for the system tests.
# Everything lives under $OUT (bench/out by default, gitignored).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=${OUT:-$BENCH_DIR/out}
MODULE_ENV=${MODULE:-}
MODULE=${MODULE:-$REPO/.libs/mod_gsprov.so}
APACHE_MODDIR=${MODDIR:-${APACHE_MODDIR:-/usr/lib/apache2/modules}}
NDEV=${NDEV:-1000}
. "$REPO/t/system/harness.sh" bench
# as root, httpd's children run as www-data (Debian's own apache2 user)
harness_user www-data

# MPM settings (printed by run-core.sh).
THREADS_PER_CHILD=${THREADS_PER_CHILD:-25}
MAX_WORKERS=${MAX_WORKERS:-100}

die() { echo "bench: $*" >&2; exit 1; }

# MODULE_FROM=tree (default): the working tree's build, $REPO/.libs (run make).
# MODULE_FROM=HEAD (or any commit): build that commit in $OUT/src (leaves the
# working tree alone; measures exactly one commit).
select_module() {
    local rev=${MODULE_FROM:-tree}
    if [ -n "$MODULE_ENV" ]; then
        [ -f "$MODULE" ] || die "MODULE=$MODULE missing"
        MODULE_DESC="given as MODULE=, .so built $(date -u -r "$MODULE" '+%H:%M:%S UTC')"
    elif [ "$rev" != tree ]; then
        rev=$(git -C "$REPO" rev-parse --short "$rev^{commit}") || die "MODULE_FROM: no commit $MODULE_FROM"
        rm -rf "$OUT/src"; mkdir -p "$OUT/src"
        git -C "$REPO" archive "$rev" | tar -x -C "$OUT/src"
        # the Makefile includes t/unit/unit.mk (t/unit.mk before the move
        # into folders); if the commit lacks it, the module does not need it
        for mk in t/unit.mk t/unit/unit.mk; do
            grep -q "^include $mk" "$OUT/src/Makefile" && [ ! -f "$OUT/src/$mk" ] \
                && { mkdir -p "$(dirname "$OUT/src/$mk")"; : > "$OUT/src/$mk"; }
        done
        # only the module target: never `all` or `install` (no system changes)
        make -C "$OUT/src" .libs/mod_gsprov.so >"$OUT/src-build.log" 2>&1 \
            || { tail -20 "$OUT/src-build.log" >&2; die "building $rev failed"; }
        MODULE=$OUT/src/.libs/mod_gsprov.so
        MODULE_DESC="git $rev ($MODULE_FROM), built in $OUT/src"
    else
        [ -f "$MODULE" ] || die "$MODULE missing: run make in $REPO first"
        MODULE_DESC="working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- lib src mod_gsprov.c mod_gsprov.h 2>/dev/null || echo ' + uncommitted changes'), .so built $(date -u -r "$MODULE" '+%H:%M:%S UTC')"
    fi
}

# ---------------------------------------------------------------- store ---

# "Pnnn=value" lines on stdin -> v1 <config> body lines.
p_lines() {
    local kv
    while IFS= read -r kv; do
        [ -z "$kv" ] && continue
        printf '    <%s>%s</%s>\n' "${kv%%=*}" "${kv#*=}" "${kv%%=*}"
    done
}

gs_file() {   # gs_file FILE < "Pnnn=value" lines
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n'
        printf '<gs_provision version="1">\n  <config version="1">\n'
        p_lines
        printf '  </config>\n</gs_provision>\n'
    } > "$1"
}

MODELS=(gxp2170 grp2614 ht802)
GRPS=(sales support engineering operations lobby)

gen_defaults() {
    # 80 tenant-wide values: provisioning, time, network, account 1 SIP and
    # media, security, UI, syslog.
    gs_file "$1" <<'EOF'
P237=${prov_host}/prov
P212=2
P192=${prov_host}/prov
P6767=2
P145=0
P232=
P233=
P234=
P235=
P238=0
P193=10080
P285=1
P8459=4
P286=0
P8458=1
P8463=1
P22030=1
P20713=0
P240=0
P1359=
P30=pool.ntp.org
P8333=time.bench.example
P64=CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00
P144=0
P143=1
P102=2
P122=1
P8=0
P92=192
P93=0
P94=2
P95=53
P38=46
P1558=0
P51=0
P87=0
P1684=1
P22122=1
P1415=0
P47=${sip_server}
P48=
P2312=
P130=1
P52=0
P31=1
P32=60
P40=5060
P39=5004
P78=0
P29=0
P90=0
P191=1
P57=0
P58=8
P59=9
P60=18
P61=2
P62=98
P46=123
P37=2
P79=101
P73=1
P74=0
P183=0
P2305=0
P2=bench-admin-secret
P196=bench-user-secret
P1650=0
P276=1
P28=0
P1362=en
P334=100
P8356=0
P1329=0
P207=syslog.bench.example
P208=4
P1387=0
P88=1
P1310=1
P1339=0
EOF
}

gen_model() {   # gen_model FILE MODEL IDX
    local f=$1 model=$2 k=$3 i
    {
        # 10 overrides of defaults that differ per family
        echo "P194=$((k % 2 + 1))"
        echo "P8375=0"
        echo "P32=$((60 + 30 * k))"
        echo "P122=$((k % 2))"
        echo "P334=$((80 + 10 * k))"
        echo "P57=$((k == 2 ? 0 : 9))"
        echo "P58=$((k == 2 ? 8 : 0))"
        echo "P40=$((5060 + k))"
        echo "P39=$((5004 + 100 * k))"
        echo "P1362=en"
        # account 2 (P4xx) and account 3 (P5xx) skeleton
        echo "P401=1"
        echo "P402=${model}-acct2"
        echo "P403=\${sip_server}"
        echo "P410=0"
        echo "P411=60"
        echo "P501=0"
        echo "P502=${model}-acct3"
        echo "P503=\${sip_server}"
        echo "P510=0"
        echo "P511=60"
        # 10 multi-purpose keys: mode / account / description
        for i in 0 1 2 3 4 5 6 7 8 9; do
            echo "P$((323 + i))=$(( i < 4 ? 0 : 1 ))"
            echo "P$((1363 + i))=0"
        done
    } | gs_file "$f"
}

gen_group() {   # gen_group FILE GROUP IDX
    local f=$1 g=$2 k=$3 i
    {
        echo "P104=$((k + 1))"
        echo "P1362=$( [ "$k" = 4 ] && echo de || echo en )"
        echo "P33=*9$k"
        echo "P207=syslog-${g}.bench.example"
        echo "P208=$((k % 3 + 3))"
        # BLF keys of the group (MPK 5..10 values): the group's hunt lines
        for i in 0 1 2 3 4 5 6 7 8 9; do
            echo "P$((301 + i))=$((8000 + 100 * k + i))"
        done
    } | gs_file "$f"
}

# Devices: model/group round robin, 3 vars, a password, 10 overrides.
# One awk process writes them all (100,000 records in seconds).
gen_devices() {
    awk -v n="$NDEV" -v dir="$1" -v models="${MODELS[*]}" -v grps="${GRPS[*]}" '
    BEGIN {
        nm = split(models, M, " "); ng = split(grps, G, " ")
        for (i = 1; i <= n; i++) {
            mac = sprintf("000b82%06x", i); ext = 1000 + i
            model = M[i % nm + 1]; group = G[i % ng + 1]
            f = dir "/" mac ".xml"
            printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device>\n" > f
            printf "  <model>%s</model>\n  <group>%s</group>\n", model, group > f
            printf "  <password>xmlpw-%s-%d</password>\n", substr(mac, 7), (i * 7919) % 100000 > f
            printf "  <var name=\"ext\">%d</var>\n", ext > f
            printf "  <var name=\"display_name\">User %d</var>\n", ext > f
            printf "  <var name=\"sip_password\">sip-%s-%d</var>\n", mac, (i * 104729) % 1000000 > f
            printf "  <config version=\"1\">\n" > f
            printf "    <P270>${ext}</P270>\n    <P35>${ext}</P35>\n    <P36>${ext}</P36>\n" > f
            printf "    <P34>${sip_password}</P34>\n    <P3>${display_name}</P3>\n" > f
            printf "    <P1347>Ext ${ext} (${model}, ${group})</P1347>\n" > f
            printf "    <P20>${mac}</P20>\n    <P33>*97</P33>\n" > f
            printf "    <P104>%d</P104>\n    <P8467>%d</P8467>\n", i % 4 + 1, i % 2 > f
            printf "  </config>\n</device>\n" > f
            close(f)
        }
    }'
}

gen_store() {
    local s=$1 k
    rm -rf "$s"
    mkdir -p "$s/models" "$s/groups" "$s/devices"
    gen_defaults "$s/defaults.xml"
    for k in 0 1 2; do gen_model "$s/models/${MODELS[k]}.xml" "${MODELS[k]}" "$k"; done
    for k in 0 1 2 3 4; do gen_group "$s/groups/${GRPS[k]}.xml" "${GRPS[k]}" "$k"; done
    gen_devices "$s/devices"
}

# pg_gen_devices SQLFN TENANT FROM TO: records FROM..TO of gen_devices'
# shape (MAC 000b82<hex i>, the same bytes) made by SQL in PostgreSQL, not
# through the API or an import: gsprov_devices, gsprov_device_groups and
# the variables' index of schema version 2 (gsprov_device_vars: name and
# hex SHA-256 of the value), then ANALYZE.  SQLFN runs one SQL text.
pg_gen_devices() {
    local sqlfn=$1 tenant=$2 from=$3 to=$4
    "$sqlfn" "INSERT INTO gsprov_devices (tenant, mac, version, model, record, changed)
          SELECT '$tenant', mac, encode(sha256(convert_to(rec, 'UTF8')), 'hex'), model, rec, 0 FROM (
            SELECT mac, model, format(E'<?xml version=\"1.0\" encoding=\"UTF-8\"?>\\n<device>\\n  <model>%s</model>\\n  <group>%s</group>\\n  <password>xmlpw-%s</password>\\n  <var name=\"ext\">%s</var>\\n  <var name=\"display_name\">User %s</var>\\n  <var name=\"sip_password\">sip-%s</var>\\n  <config version=\"1\">\\n    <P270>\${ext}</P270>\\n    <P35>\${ext}</P35>\\n    <P34>\${sip_password}</P34>\\n    <P3>\${display_name}</P3>\\n    <P104>%s</P104>\\n  </config>\\n</device>\\n',
                model, grp, substr(mac, 7), 1000 + i, 1000 + i, mac, i % 4 + 1) AS rec, grp FROM (
              SELECT i, '000b82' || lpad(to_hex(i), 6, '0') AS mac,
                     (ARRAY['gxp2170','grp2614','ht802'])[i % 3 + 1] AS model,
                     (ARRAY['sales','support','engineering','operations','lobby'])[i % 5 + 1] AS grp
              FROM generate_series($from, $to) AS i) a) b;
          INSERT INTO gsprov_device_groups (tenant, grp, mac)
          SELECT '$tenant', (ARRAY['sales','support','engineering','operations','lobby'])[i % 5 + 1],
                 '000b82' || lpad(to_hex(i), 6, '0') FROM generate_series($from, $to) AS i;
          INSERT INTO gsprov_device_vars (tenant, name, vhash, mac)
          SELECT '$tenant', v.name, encode(sha256(convert_to(v.value, 'UTF8')), 'hex'),
                 '000b82' || lpad(to_hex(i), 6, '0')
          FROM generate_series($from, $to) AS i,
               LATERAL (VALUES ('ext', (1000 + i)::text), ('display_name', 'User ' || (1000 + i)),
                               ('sip_password', 'sip-000b82' || lpad(to_hex(i), 6, '0'))) AS v(name, value);
          ANALYZE"
}

# Print "defaults=N models=N.. groups=N.. device=N" parameter counts.
store_counts() {
    local s=$1
    printf 'defaults %d, models %s, groups %s, device overrides %d' \
        "$(grep -c '<P[0-9]' "$s/defaults.xml")" \
        "$(for m in "${MODELS[@]}"; do grep -c '<P[0-9]' "$s/models/$m.xml"; done | paste -sd/)" \
        "$(for g in "${GRPS[@]}"; do grep -c '<P[0-9]' "$s/groups/$g.xml"; done | paste -sd/)" \
        "$(grep -c '<P[0-9]' "$s/devices/000b82000001.xml")"
}

# --------------------------------------------------------------- httpd ---

# write_conf CONF PORT [THREADS_PER_CHILD] [MAX_WORKERS]
write_conf() {
    local conf=$1 port=$2 tpc=${3:-$THREADS_PER_CHILD} mrw=${4:-$MAX_WORKERS}
    local servers=$(( (mrw + tpc - 1) / tpc ))
    local run=${RUN_DIR:-$OUT/run} logs=${LOG_DIR:-$OUT/logs}
    # Debian's stock apache2.conf denies <Directory />; ROOT_DENY=0 omits it
    local root_deny="<Directory />
    AllowOverride None
    Require all denied
</Directory>"
    [ "${ROOT_DENY:-1}" = 0 ] && root_deny="# ROOT_DENY=0: no <Directory /> Require all denied"
    so=$MODULE httpd_conf_head -P "$run/httpd.pid" "$conf" "$port" "$logs/error_log"
    cat >> "$conf" <<EOF
# (above: t/system/harness.sh; below: bench/common.sh write_conf)

# fixed pool: all processes/threads up front, nothing spawned mid-run
ServerLimit $servers
StartServers $servers
ThreadLimit $tpc
ThreadsPerChild $tpc
MaxRequestWorkers $mrw
MinSpareThreads $tpc
MaxSpareThreads $mrw
MaxConnectionsPerChild 0

KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
# no access log on either side (no CustomLog)

$root_deny

DocumentRoot "$OUT/docroot"
<Directory "$OUT/docroot">
    AllowOverride None
    Require all granted
</Directory>

GsProvRoot "$OUT/store"
GsProvVar sip_server sip.bench.example
GsProvVar prov_host prov.bench.example
<Location /prov>
    SetHandler gsprov
</Location>
EOF
}

# httpd_rss PIDFILE -> "<sum kB> <nproc>"
httpd_rss() {
    local ppid pid sum=0 n=0 kb
    ppid=$(cat "$1" 2>/dev/null) || { echo "0 0"; return; }
    for pid in "$ppid" $(ps -o pid= --ppid "$ppid"); do
        kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        [ -n "$kb" ] && { sum=$((sum + kb)); n=$((n + 1)); }
    done
    echo "$sum $n"
}

# httpd_cpu PIDFILE -> utime+stime in clock ticks over parent + children
httpd_cpu() {
    local ppid pid
    ppid=$(cat "$1" 2>/dev/null) || { echo 0; return; }
    # field 2 (comm) has no spaces for apache2: fields 14, 15 are utime,
    # stime; ps pads short pids with spaces, and children may vanish
    for pid in "$ppid" $(ps -o pid= --ppid "$ppid"); do
        cat "/proc/$pid/stat" 2>/dev/null || true
    done | awk '{s += $14 + $15} END {print s + 0}'
}

# bench_setup TOOL...: the tools must exist; pinning per $PIN (httpd on
# CPU 0, wrk on CPU 1); $OUT made; the module selected
bench_setup() {
    local t
    for t in "$@" "$APACHE"; do
        command -v "$t" >/dev/null || die "$t not found"
    done
    HTTPD_PIN=(); WRK_PIN=()
    if [ "${PIN:-0}" = 1 ]; then HTTPD_PIN=(taskset -c 0); WRK_PIN=(taskset -c 1); fi
    mkdir -p "$OUT"
    select_module
}

# bench_httpd_start CONF PORT: config test first (its errors shown), then
# httpd, pinned per $PIN; BASE is its URL
bench_httpd_start() {
    local ctest
    ctest=$(httpd -f "$1" -t 2>&1) || { echo "$ctest" >&2; die "config test failed: $1"; }
    httpd_start -t 10 "$1" "${HTTPD_PIN[@]}" \
        || die "httpd did not come up on 127.0.0.1:$2 (see $OUT/logs/error_log)"
    BASE=http://127.0.0.1:$2
}

# run_wrk BASE SCRIPT DURATION ARGS...: one wrk run (pinned per $PIN, with
# $WRK_OPTS) -> its RESULT line; the log is left in $OUT/wrk-*.log
WRK_OPTS=()
run_wrk() {
    local base=$1 script=$2 d=$3 log; shift 3
    log=$OUT/wrk-$(date +%s%N).log
    "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$d" "${WRK_OPTS[@]}" --latency -s "$BENCH_DIR/$script" \
        "$base" -- "$@" > "$log" 2>&1 || { cat "$log" >&2; die "wrk failed"; }
    grep '^RESULT ' "$log" || { cat "$log" >&2; die "no RESULT from wrk"; }
}
# storm_pass PATH [SECONDS]: one reboot storm through once.lua (every
# device of $OUT/storm-macs.txt once, at $BASE/PATH, wrk -t$THREADS
# -c$CONNS); wrk runs until every thread has had its answers, then is
# stopped with SIGINT (so its duration is the storm's, +0.1 s at most),
# SECONDS at the longest (600).  Prints wrk's RESULT line.
storm_pass() {
    local d=$OUT/storm-done log=$OUT/wrk-storm-$(date +%s%N).log pid i max=${2:-600}
    rm -rf "$d"; mkdir -p "$d"; [ "$(id -u)" = 0 ] && chmod a+rwx "$d"
    "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${max}s" --latency -s "$BENCH_DIR/once.lua" \
        "$BASE" -- "$1" "$OUT/storm-macs.txt" "$THREADS" "$d" > "$log" 2>&1 &
    pid=$!
    for ((i = 0; i < max * 10; i++)); do
        [ "$(ls "$d" | wc -l)" -ge "$THREADS" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" || true
    grep '^RESULT ' "$log" || { cat "$log" >&2; die "no RESULT from wrk"; }
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# non-2xx/3xx responses + socket errors of a RESULT line
errors_of() { echo $(( $(field status_err "$1") + $(field connect "$1") + $(field read "$1") + $(field write "$1") + $(field timeout "$1") )); }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
