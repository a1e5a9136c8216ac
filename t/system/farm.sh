#!/bin/bash
# A two-node farm on one PostgreSQL (GsProvStore dbd) and one memcached,
# each node with a near cache: what one node changes, the other serves on
# its next request; claims and wrong PINs are exact across nodes; a node
# killed during writes leaves every record whole; PostgreSQL stopped under
# load gives 503s with Retry-After (never a wrong body, a 500 or a hang),
# then 200s without an httpd restart, and a restart does not cost the
# requests on the pooled connections it killed; one database query per
# device request; tenants sharing the database (two vhosts, two
# locations) see only their own rows through every endpoint;
# a statement stuck behind a lock ends at statement_timeout with a 503;
# an unknown schema refuses to start, an unreachable database does not.
#
#   t/system/farm.sh MODULE_SO GSPROV_TOOL     (about 60 s; root or not)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
cli=$(readlink -f "${2:-gsprov}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh" farm
cd "$tmp" || exit 1

base=$(free_port 10)
pgport=$base; mport=$((base + 1)); pa=$((base + 2)); pb=$((base + 3))
po=$((base + 8))       # node a's other vhost: tenant other.test
pgdir=$tmp/pg
TENANT=farm.test
MAXFAIL=5

# ---------------------------------------------------------------- templates
# deployed to both nodes alike (one directory here)
mkdir -p store/models store/groups logs empty
# the nodes share the secret that seals the values they cache
openssl rand -hex 32 > cache-secret
cat > store/defaults.xml <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1"><var name="ext">0</var><config version="1">
  <P64>UTC</P64><P35>${ext}</P35>
</config></gs_provision>
X
cat > store/models/gxp2170.xml <<'X'
<gs_provision version="1"><config version="1"><P8>1</P8></config></gs_provision>
X
cat > store/groups/sales.xml <<'X'
<gs_provision version="1"><config version="1"><P4000>sales</P4000></config></gs_provision>
X
chmod -R a+rwX "$tmp"

# ---------------------------------------------------------------- database
q pg_start "$pgdir" "$pgport" fsync=off
params=$(bash "$here/pg.sh" params "$pgdir" "$pgport")
sql() { pg "$pgdir" "$pgport" -Atq --no-psqlrc -c "$1"; }
check "gsprov db init creates the schema" "gsprov db init: schema version 3 created" \
    "$("$cli" db init --driver pgsql --params "$params")"
check "a second init is a no-op" "gsprov db init: schema version 3 is current, nothing to do" \
    "$("$cli" db init --driver pgsql --params "$params")"
rec() {     # rec MAC EXT: a record as a JSON line of gsprov export
    printf '{"mac":"%s","record":"<device><model>gxp2170</model><group>sales</group><var name=\\"ext\\">%s</var></device>\\n"}\n' "$1" "$2"
}
{ for i in $(seq 1 40); do rec "$(printf '000b82f%05d' "$i")" "$((1000 + i))"; done; } > seed.jsonl
check "import of 40 records" "gsprov import: 40 lines, 40 created, 0 replaced, 0 unchanged, 0 rejected" \
    "$("$cli" import --root store --driver pgsql --params "$params" --tenant $TENANT seed.jsonl 2>&1)"
# a device with HTTP credentials, for access control on the same read
printf '{"mac":"000b82faaaaa","record":"<device><model>gxp2170</model><username>dev</username><secret>s3cret-farm</secret><var name=\\"ext\\">7</var></device>\\n"}\n' \
    | "$cli" import --root store --driver pgsql --params "$params" --tenant $TENANT >/dev/null 2>&1
# another tenant in the same database, with an overlapping MAC
rec 000b82f00001 9001 | "$cli" import --root store --driver pgsql --params "$params" \
    --tenant other.test >/dev/null 2>&1
check "the other tenant's rows are its own" "41 1" \
    "$(sql "SELECT count(*) FILTER (WHERE tenant = '$TENANT'), count(*) FILTER (WHERE tenant = 'other.test') FROM gsprov_devices" | tr '|' ' ')"

# wait for the jobs started since mark_jobs (memcached is a job of this
# shell too)
mark_jobs() { jobs_before=" $(jobs -p | tr '\n' ' ') "; }
wait_jobs() {
    local p
    for p in $(jobs -p); do [[ $jobs_before == *" $p "* ]] || wait "$p"; done
}

# ---------------------------------------------------------------- nodes
memcached_start -o "-U 0 -m 16 -t 2" "$tmp/memcached.pid" "$mport" || exit 1
node_conf() {   # node_conf NAME PORT
    httpd_conf_head -P "$tmp/httpd-$1.pid" "$tmp/$1.conf" "$2" "$tmp/logs/error-$1.log" \
        dbd auth_basic authn_core authz_user
    cat >> "$1.conf" <<CONF
StartServers 2
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
DocumentRoot $tmp/empty
# mod_dbd logs every failed connection attempt; mod_gsprov logs one line
# per interval per tenant (GSPROV1001-1004)
LogLevel warn dbd:crit
DBDriver pgsql
DBDParams "$params options='-c statement_timeout=1000'"
DBDMin 1
DBDKeep 4
DBDMax 8
GsProvRoot $tmp/store
# cfg.xml must render for a device without a record (GSPROV0904 at start);
# every record's own ext beats it
GsProvVar ext unassigned
GsProvStore dbd $TENANT
GsProvCache memcached "--SERVER=127.0.0.1:$mport"
GsProvCacheSecret $tmp/cache-secret
GsProvCacheNear 1M
GsProvReloadInterval 60
GsProvClaimMaxFailures $MAXFAIL
# the provisioning status: each node writes what it served every 2 s
GsProvDeviceStatusFlush 2
LogFormat "%>s %U db=%{gsprov-result}n cache=%{gsprov-cache}n" node
CustomLog $tmp/logs/access-$1.log node
<Location /prov>
    SetHandler gsprov
</Location>
<Location /auth>
    SetHandler gsprov
    AuthType Basic
    AuthName farm
    AuthBasicProvider gsprov
    Require gsprov-device
</Location>
<Location /admin>
    SetHandler gsprov-admin
    Require all granted
</Location>
<Location /status>
    SetHandler gsprov-status
</Location>
# the other tenant, same database
<Location /other>
    SetHandler gsprov
    GsProvStore dbd other.test
</Location>
<Location /admin-other>
    SetHandler gsprov-admin
    GsProvStore dbd other.test
    Require all granted
</Location>
CONF
    # a second vhost on the same database: its tenant is its ServerName
    [ "$1" = a ] && cat >> "$1.conf" <<CONF
Listen 127.0.0.1:$po
<VirtualHost 127.0.0.1:$po>
    ServerName other.test
    GsProvStore dbd
    <Location /prov>
        SetHandler gsprov
    </Location>
    <Location /admin>
        SetHandler gsprov-admin
        Require all granted
    </Location>
</VirtualHost>
CONF
    return 0
}
node_conf a "$pa"
node_conf b "$pb"

# the schema is checked at startup: unknown, missing -> no start
sql "UPDATE gsprov_schema SET version = 99"
out=$(httpd -f "$tmp/a.conf" -k start 2>&1); sleep 1
check "a schema version the module does not know: httpd does not start" 1 \
    "$(grep -c "GSPROV1010: GsProvStore dbd for .*schema is version 99, newer than this module knows (3)" <<<"$out$(cat logs/error-a.log 2>/dev/null)")"
check "... and does not run" "" "$(cat "$tmp/httpd-a.pid" 2>/dev/null)"
# an older one (before in_sync, 003-insync.sql): upgrade it first
sql "UPDATE gsprov_schema SET version = 2"
out=$(httpd -f "$tmp/a.conf" -k start 2>&1); sleep 1
check "an older schema version: httpd does not start, saying what to run" 1 \
    "$(grep -c "GSPROV1010: GsProvStore dbd for .*schema is version 2, this module needs version 3: upgrade it with gsprov db init" <<<"$out$(cat logs/error-a.log 2>/dev/null)")"
check "... and does not run" "" "$(cat "$tmp/httpd-a.pid" 2>/dev/null)"
sql "UPDATE gsprov_schema SET version = 3"
pg "$pgdir" "$pgport" -q -c "CREATE DATABASE bare" >/dev/null
sed "s|dbname=gsprov|dbname=bare|" a.conf > bare.conf
sed -i "s|:$pa\$|:$((base + 7))|; s|:$po\$|:$((base + 9))|; s|:$po>|:$((base + 9))>|; s|httpd-a.pid|httpd-bare.pid|; s|error-a.log|error-bare.log|" bare.conf
out=$(httpd -f "$tmp/bare.conf" -k start 2>&1); sleep 1
check "a database without the schema: httpd does not start, saying what to run" 1 \
    "$(grep -c "GSPROV1010: .*no gsprov schema (version 3 expected): create it with gsprov db init" <<<"$out$(cat logs/error-bare.log 2>/dev/null)")"

httpd_start "$tmp/a.conf" || exit 1
httpd_start "$tmp/b.conf" || exit 1

get() {     # get PORT PATH [OUTFILE] -> status code
    curl -s -m 15 -o "${3:-/dev/null}" -w '%{http_code}' "http://127.0.0.1:$1$2"
}
api() {     # api PORT METHOD PATH [JSON] -> status code, body in api.out
    curl -s -m 15 -o api.out -w '%{http_code}' -X "$2" ${4:+-H 'Content-Type: application/json' --data "$4"} \
        "http://127.0.0.1:$1$3"
}
p35() { sed -n 's|.*<P35>\([^<]*\)</P35>.*|\1|p' "$1"; }

# ---------------------------------------------------------------- never stale
M=000b82f00001
check "node a serves a record of the database" 200 "$(get "$pa" /prov/cfg$M.xml a.xml)"
check "... with its values" 1001 "$(p35 a.xml)"
get "$pb" /prov/cfg$M.xml b.xml >/dev/null
check "node b serves the same bytes" "" "$(cmp a.xml b.xml)"
stale=0
for i in $(seq 1 15); do
    # both nodes hold the current version in memcached and their near caches
    get "$pa" /prov/cfg$M.xml >/dev/null; get "$pb" /prov/cfg$M.xml >/dev/null
    from=$pa; to=$pb; [ $((i % 2)) = 0 ] && { from=$pb; to=$pa; }
    code=$(api "$from" PUT /admin/devices/$M "{\"model\":\"gxp2170\",\"groups\":[\"sales\"],\"vars\":{\"ext\":\"put-$i\"}}")
    [ "$code" = 200 ] || stale=$((stale + 1))
    get "$to" /prov/cfg$M.xml x.xml >/dev/null
    [ "$(p35 x.xml)" = "put-$i" ] || stale=$((stale + 1))
done
check "PUT on one node: the other serves it on its next request (15 rounds, caches warm)" 0 "$stale"
get "$pa" /prov/cfg000b82f00002.xml >/dev/null; get "$pa" /prov/cfg000b82f00002.xml >/dev/null
check "DELETE on node b" 204 "$(api "$pb" DELETE /admin/devices/000b82f00002)"
check "... node a answers 404 on its next request" 404 "$(get "$pa" /prov/cfg000b82f00002.xml)"
check "... and so does node b" 404 "$(get "$pb" /prov/cfg000b82f00002.xml)"
check "a PUT's ETag is the same on the other node" \
    "$(api "$pa" GET /admin/devices/$M >/dev/null; sed -n 's/x/x/p' /dev/null)$(curl -s -D - -o /dev/null "http://127.0.0.1:$pa/admin/devices/$M" | tr -d '\r' | sed -n 's/^ETag: //p')" \
    "$(curl -s -D - -o /dev/null "http://127.0.0.1:$pb/admin/devices/$M" | tr -d '\r' | sed -n 's/^ETag: //p')"

# ---------------------------------------------------------------- tenants
check "the other tenant's device file from its own row" 200 "$(get "$pa" /other/cfg$M.xml o.xml)"
check "... with its own values" 9001 "$(p35 o.xml)"
check "a MAC only farm.test has is 404 for the other tenant" 404 "$(get "$pb" /other/cfg000b82f00003.xml)"
check "the other tenant's listing has its own record only" '{"devices":[{"mac":"000b82f00001","model":"gxp2170","groups":["sales"]}],"next":null}' \
    "$(api "$pa" GET /admin-other/devices >/dev/null; cat api.out)"
check "a PUT through the other tenant's API" 201 "$(api "$pb" PUT /admin-other/devices/000b82f00003 '{"model":"gxp2170","vars":{"ext":"other"}}')"
check "... leaves farm.test's record alone" 1003 "$(get "$pa" /prov/cfg000b82f00003.xml f.xml >/dev/null; p35 f.xml)"
# the vhost other.test (GsProvStore dbd, no tenant named) is that tenant
check "vhost other.test: its ServerName is its tenant" 9001 "$(get "$po" /prov/cfg$M.xml v.xml >/dev/null; p35 v.xml)"
check "... farm.test's records are not there: GET" 404 "$(api "$po" GET /admin/devices/000b82f00004)"
check "... DELETE" 404 "$(api "$po" DELETE /admin/devices/000b82f00004)"
check "... device file" 404 "$(get "$po" /prov/cfg000b82f00004.xml)"
check "... and farm.test's record is still there" 200 "$(get "$pa" /prov/cfg000b82f00004.xml)"
check "an activation of farm.test" 201 "$(api "$pa" POST /admin/activations '{"number":"777009","pin":"4711","model":"gxp2170","vars":{"ext":"iso"}}')"
check "... is not one of other.test: GET" 404 "$(api "$po" GET /admin/activations/777009)"
check "... claim" 404 "$(api "$po" POST /admin/claim '{"mac":"000b82e99999","number":"777009","pin":"4711"}')"
check "... DELETE" 404 "$(api "$po" DELETE /admin/activations/777009)"
check "... still pending for farm.test, no failure counted" '"failures":0' \
    "$(api "$pb" GET /admin/activations/777009 >/dev/null; grep -o '"failures":0' api.out)"
check "... removed through farm.test" 204 "$(api "$pb" DELETE /admin/activations/777009)"

# ---------------------------------------------------------------- status across nodes
# a device served by node a: node b's API shows it after a flush interval
M=000b82f00030
t0=$(date +%s.%N)
code=$(curl -s -m 15 -o /dev/null -w '%{http_code}' -A "Grandstream Model HW GXP2170 SW 1.0.11.77 DevId $M" \
    "http://127.0.0.1:$pa/prov/cfg$M.xml")
check "node a serves device $M" 200 "$code"
seen=""
for i in $(seq 1 50); do
    api "$pb" GET /admin/devices/$M >/dev/null
    grep -q '"in_sync":true' api.out && { seen=$(date +%s.%N); break; }
    sleep 0.2
done
check "node b's GET /devices/<mac> shows node a's request, in sync" 1 "$([ -n "$seen" ] && echo 1)"
echo "# visible on node b after $(echo "${seen:-0} - $t0" | bc) s (GsProvDeviceStatusFlush 2)"
check_true "... within two flush intervals and the poll" test "$(echo "${seen:-99} - $t0 < 5" | bc)" = 1
check_true "... with the User-Agent's firmware" grep -q '"firmware":"1.0.11.77"' api.out
check_true "... and node a's answer for the xml kind" grep -q '"xml":{"at":[0-9]*,"client":"127.0.0.1","file":"cfg'$M'.xml","result":200' api.out
check "the row is the tenant's" "farm.test|200" \
    "$(sql "SELECT tenant, result FROM gsprov_device_fetch WHERE mac = '$M' AND kind = 'xml'")"
check "other.test (same database) sees no status of it" 0 \
    "$(sql "SELECT count(*) FROM gsprov_device_status WHERE tenant = 'other.test' AND mac = '$M'")"

# ---------------------------------------------------------------- one query per request
# (the executions of a prepared statement count under its PREPARE text;
# the status flushers' batched upserts run outside requests: counted
# apart below)
stmts() { sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' AND query NOT ILIKE '%gsprov_device_status%' AND query NOT ILIKE '%gsprov_device_fetch%'"; }
status_stmts() { sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query ILIKE 'INSERT INTO gsprov_device_%'"; }
for port in "$pa" "$pb"; do get "$port" /prov/cfg000b82f00004.xml >/dev/null; done
sql "SELECT pg_stat_statements_reset()" >/dev/null
window0=$SECONDS
before=$(stmts)
for i in $(seq 5 24); do
    get "$pa" "/prov/cfg$(printf '000b82f%05d' "$i").xml" >/dev/null     # miss, or hit
    get "$pb" "/prov/cfg$(printf '000b82f%05d' "$i").xml" >/dev/null     # near hit
done
for i in $(seq 1 10); do
    curl -s -o /dev/null -u dev:s3cret-farm "http://127.0.0.1:$pa/auth/cfg000b82faaaaa.xml"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -u dev:s3cret-farm "http://127.0.0.1:$pb/auth/cfg000b82faaaaa.xml")
check "a device with Basic auth and Require gsprov-device: 200" 200 "$code"
check "51 device requests (40 plain, 11 with authn and authz): 51 database statements" 51 \
    "$(( $(stmts) - before ))"
sleep 2.5     # every node's flusher has run since
# per child and flush at most 2 (one upsert per table per 250 devices):
# 4 children, one flush each 2 s
n=$(status_stmts); w=$((SECONDS - window0 + 1))
echo "# status upserts during those 51 requests and one interval after ($w s): $n"
check "... status written in batches: at most 2 statements per child and flush, whatever the requests" 1 \
    "$(( n >= 2 && n <= 2 * 4 * (w / 2 + 1) ))"

# ---------------------------------------------------------------- claims across nodes
code=$(api "$pa" POST /admin/activations '{"number":"777001","pin":"4711","model":"gxp2170","vars":{"ext":"claimed"}}')
check "an activation made on node a" 201 "$code"
burst() {   # burst N JSON: N claims at once, alternating nodes ("%d" in
            # JSON: the claim's number) -> "CODExCOUNT ..."
    local i port
    rm -f claim.*
    mark_jobs
    for i in $(seq 1 "$1"); do
        port=$pa; [ $((i % 2)) = 0 ] && port=$pb
        # shellcheck disable=SC2059
        ( curl -s -m 20 -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
            --data "$(printf "$2" "$i")" "http://127.0.0.1:$port/admin/claim" > "claim.$i" ) &
    done
    wait_jobs
    cat claim.* | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' '
}
codes=$(burst 16 '{"mac":"000b82e%05d","number":"777001","pin":"4711"}')
check "16 claims racing on both nodes: exactly one 201, the others 404" "201x1 404x15 " "$codes"
check "... one record made" 1 "$(sql "SELECT count(*) FROM gsprov_devices WHERE tenant = '$TENANT' AND mac LIKE '000b82e%'")"
check "... the activation is gone" 0 "$(sql "SELECT count(*) FROM gsprov_activations")"

code=$(api "$pb" POST /admin/activations '{"number":"777002","pin":"4711","model":"gxp2170","vars":{"ext":"x"}}')
check "an activation made on node b" 201 "$code"
codes=$(burst 14 '{"mac":"000b82d00001","number":"777002","pin":"1%03d"}')
check "14 wrong PINs in parallel over both nodes: $((MAXFAIL - 1)) counted 403s, then 423" \
    "403x$((MAXFAIL - 1)) 423x$((14 - MAXFAIL + 1)) " "$codes"
check "... locked after exactly GsProvClaimMaxFailures ($MAXFAIL) failures" "$MAXFAIL" \
    "$(sql "SELECT failures FROM gsprov_activations WHERE number = '777002'")"
check "... and the right PIN now: 423 on either node" "423 423" \
    "$(for port in "$pa" "$pb"; do api "$port" POST /admin/claim '{"mac":"000b82d00001","number":"777002","pin":"4711"}'; echo -n ' '; done | sed 's/ $//')"
check "the trail has every counted failure" "$MAXFAIL" \
    "$(sql "SELECT count(*) FROM gsprov_audit WHERE entry LIKE '%\"number\":\"777002\"%' AND entry LIKE '%wrong-pin%'")"

# ---------------------------------------------------------------- kill -9 during writes
mark_jobs
for i in $(seq 1 8); do
    (   n=0
        while [ $n -lt 200 ]; do
            n=$((n + 1))
            curl -s -m 5 -o /dev/null -X PUT -H 'Content-Type: application/json' \
                --data "{\"model\":\"gxp2170\",\"groups\":[\"sales\"],\"vars\":{\"ext\":\"w$i-$n\"}}" \
                "http://127.0.0.1:$pa/admin/devices/$(printf '000b82f%05d' $((30 + i)))" || break
        done ) &
done
sleep 1.5
for pid in $(httpd_pids "$tmp/a.conf"); do kill -KILL "$pid" 2>/dev/null; done
wait_jobs
rm -f "$tmp/httpd-a.pid"
check "no hold of a missing row is ever committed" 0 "$(sql "SELECT count(*) FROM gsprov_devices WHERE version = ''")"
check "every record of the burst is whole: its version is its bytes' SHA-256" 0 \
    "$(sql "SELECT count(*) FROM gsprov_devices WHERE version <> encode(sha256(convert_to(record, 'UTF8')), 'hex')")"
check "... and an old or a written version" 0 \
    "$(sql "SELECT count(*) FROM gsprov_devices WHERE tenant = '$TENANT' AND mac BETWEEN '000b82f00031' AND '000b82f00038' AND record !~ '<var name=\"ext\">(10[0-9][0-9]|w[1-8]-[0-9]+)</var>'")"
check "... groups follow their record" 0 \
    "$(sql "SELECT count(*) FROM gsprov_devices d WHERE tenant = '$TENANT' AND record LIKE '%<group>sales</group>%' AND NOT EXISTS (SELECT 1 FROM gsprov_device_groups g WHERE g.tenant = d.tenant AND g.mac = d.mac AND g.grp = 'sales')")"
check "... and every change committed has its audit row" 0 \
    "$(sql "SELECT count(*) FROM gsprov_devices d WHERE tenant = '$TENANT' AND mac BETWEEN '000b82f00031' AND '000b82f00038' AND record LIKE '%>w%' AND NOT EXISTS (SELECT 1 FROM gsprov_audit a WHERE a.tenant = d.tenant AND a.mac = d.mac)")"
httpd_start "$tmp/a.conf" || exit 1
check "node a restarted serves the written version" 200 "$(get "$pa" /prov/cfg000b82f00031.xml)"

# ---------------------------------------------------------------- database down under load
status_val() { curl -s "http://127.0.0.1:$1/status" | sed -n "s/^$2: //p"; }
load() {    # load SECONDS OUT: device requests on both nodes, one line each
    local end=$((SECONDS + $1)) i=0 port me=$2
    while [ $SECONDS -lt $end ]; do
        i=$((i + 1)); port=$pa; [ $((i % 2)) = 0 ] && port=$pb
        curl -s -m 10 -D "hdr.$me" -o "body.$me" -w '%{http_code} %{time_total}' \
            "http://127.0.0.1:$port/prov/cfg$(printf '000b82f%05d' $((4 + i % 20))).xml" >> "$2"
        echo " $(tr -d '\r' < "hdr.$me" | grep -c '^Retry-After: 5$') $(grep -c '<P35>10[0-9][0-9]</P35>' "body.$me")" >> "$2"
    done
}
rm -f load.*
mark_jobs
for w in 1 2 3 4; do load 22 load.$w & done
sleep 4
bash "$here/pg.sh" stop "$pgdir" fast
sleep 10
q bash "$here/pg.sh" start "$pgdir" "$pgport" fsync=off
wait_jobs
cat load.* > load.all
check "under load with PostgreSQL stopped for 10 s: only 200s and 503s" "" \
    "$(awk '$1 != 200 && $1 != 503 { print }' load.all | head -3)"
check "... some 503s" 1 "$(awk '$1 == 503 { n++ } END { print (n > 0) }' load.all)"
check "... every 503 with Retry-After" "" "$(awk '$1 == 503 && $3 != 1 { print }' load.all | head -3)"
check "... every 200 with the right body" "" "$(awk '$1 == 200 && $4 != 1 { print }' load.all | head -3)"
check "... no request took more than 5 s" "" "$(awk '$2 > 5 { print }' load.all | head -3)"
check "... and 200s again at the end, no httpd restart" "200 200 200 200" \
    "$(for f in load.1 load.2 load.3 load.4; do tail -1 $f | cut -d' ' -f1; done | tr '\n' ' ' | sed 's/ $//')"
for n in a b; do
    check "node $n logged the outage once (GSPROV1001-1004, one line per interval)" 1 \
        "$(grep -cE 'GSPROV100[1-4]' logs/error-$n.log)"
done
check "the status page counts the 503s" 1 "$(( $(status_val "$pa" DatabaseUnavailable) > 0 ))"
check "... and the failed statements" 1 "$(( $(status_val "$pa" DatabaseErrors) > 0 ))"
check "admin writes while the database is down: 503, nothing changed" "503 1" \
    "$(bash "$here/pg.sh" stop "$pgdir" fast
       c=$(api "$pa" PUT /admin/devices/000b82f00039 '{"model":"gxp2170","vars":{"ext":"down"}}')
       q bash "$here/pg.sh" start "$pgdir" "$pgport" fsync=off
       echo "$c $(sql "SELECT count(*) FROM gsprov_devices WHERE mac = '000b82f00039' AND record LIKE '%>1039<%'")")"

# ---------------------------------------------------------------- restart
# every pooled connection dies with the restart; requests must not
mark_jobs
for port in "$pa" "$pb"; do for i in 1 2 3 4; do get "$port" /prov/cfg000b82f00005.xml >/dev/null & done; done; wait_jobs
bash "$here/pg.sh" stop "$pgdir" fast
q bash "$here/pg.sh" start "$pgdir" "$pgport" fsync=off
# a write (several statements in one transaction) on a dead connection
check "right after a database restart, an admin write on each node: 200" "200 200" \
    "$(api "$pa" PUT /admin/devices/000b82f00040 '{"model":"gxp2170","vars":{"ext":"r1"}}') $(api "$pb" PUT /admin/devices/000b82f00040 '{"model":"gxp2170","vars":{"ext":"r2"}}')"
rm -f after.*
mark_jobs
for port in "$pa" "$pb"; do for i in 1 2 3 4 5 6; do
    ( echo "$(get "$port" "/prov/cfg$(printf '000b82f%05d' $((4 + i))).xml")" > "after.$port.$i" ) &
done; done; wait_jobs
check "right after a database restart, requests on the pooled connections: all 200" \
    "200x12" "$(cat after.* | sort | uniq -c | awk '{print $2 "x" $1}' | tr -d '\n')"

# ---------------------------------------------------------------- start without it
httpd_stop "$tmp/b.conf"
bash "$here/pg.sh" stop "$pgdir" fast
check "node b starts while the database is down" 0 "$(httpd_start "$tmp/b.conf" >/dev/null 2>&1; echo $?)"
check "... saying so (GSPROV1011)" 1 "$(grep -c 'GSPROV1011: GsProvStore dbd for .*cannot be reached now' logs/error-b.log)"
check "... and answers 503" 503 "$(get "$pb" /prov/cfg000b82f00007.xml)"
q bash "$here/pg.sh" start "$pgdir" "$pgport" fsync=off
check "the database up: 200, no restart (the child checks the schema first)" 200 \
    "$(get "$pb" /prov/cfg000b82f00007.xml)"

# ---------------------------------------------------------------- slow
# a statement that waits (here behind a lock) ends at the connection's
# statement_timeout (DBDParams options, 1 s): 503, not a hang, no retry
mark_jobs
( sql "BEGIN; LOCK TABLE gsprov_devices IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null ) &
sleep 0.5
read -r code took < <(curl -s -m 10 -D slow.hdr -o /dev/null -w '%{http_code} %{time_total}\n' \
    "http://127.0.0.1:$pa/prov/cfg000b82f00006.xml")
check "a device request stuck behind a lock: 503" 503 "$code"
check "... after statement_timeout, once (1 to 2.5 s, took $took s)" 1 \
    "$(awk -v t="$took" 'BEGIN {print (t >= 0.9 && t < 2.5)}')"
check "... with Retry-After" 1 "$(tr -d '\r' < slow.hdr | grep -c '^Retry-After: 5$')"
check "an admin write stuck behind it: 503, nothing changed" "503 0" \
    "$(c=$(api "$pb" PUT /admin/devices/000b82f00006 '{"model":"gxp2170","vars":{"ext":"slow"}}')
       wait_jobs
       echo "$c $(sql "SELECT count(*) FROM gsprov_devices WHERE mac = '000b82f00006' AND record LIKE '%>slow<%'")")"
check "the lock gone, 200 again" 200 "$(get "$pa" /prov/cfg000b82f00006.xml)"

harness_done
