#!/bin/bash
# The memcached cache  against a real memcached shared by two
# httpd nodes ("farm"), both serving the same store directory:
# hit after miss, invalidation by editing a device record and a template
# (seen through the other node), tenant namespacing, a forged or garbage
# value, values sealed (read back raw: no file in them) and the
# configuration refused without GsProvCacheSecret, memcached killed under
# load and stopped with SIGSTOP, and the gsprov-status page (text and
# JSON).
#
# An encrypted file carries a fresh random salt each time it is rendered,
# so "the same bytes again" proves they came from the cache, and
# "different bytes" proves a render.
#
#   t/system/cache.sh MODULE_SO      (about 30 s; runs as root or not)
#   GSPROV_PRELOAD=<libasan.so> t/system/cache.sh build-asan/mod_gsprov.so
#                             the same against the ASan/UBSan build
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
top=$(cd "$(dirname "$0")/../.." && pwd)
# (httpd: the harness's, with GSPROV_PRELOAD for the ASan build)
. "$(dirname "$0")/harness.sh" cache
cd "$tmp" || exit 1

# ten consecutive free ports (memcached, three nodes, config tests)
base=$(free_port 10)
mport=$base; pa=$((base + 1)); pb=$((base + 2)); pc=$((base + 3))

# ---------------------------------------------------------------- store
PW=cache-test-pw
mkdir -p store/devices store/models store/groups store-b/devices store-b/models logs empty
cat > store/defaults.xml <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1"><config version="1">
  <P64>UTC</P64><P237>${server}/prov</P237>
</config></gs_provision>
X
cat > store/models/gxp2170.xml <<'X'
<gs_provision version="1"><config version="1"><P8>1</P8></config></gs_provision>
X
cat > store/groups/sales.xml <<'X'
<gs_provision version="1"><config version="1"><P4000>sales-v1</P4000></config></gs_provision>
X
dev() {   # dev DIR MAC EXT [PASSWORD]
    { echo "<device><model>gxp2170</model><group>sales</group>"
      [ -n "${4:-}" ] && echo "<password>$4</password>"
      echo "<var name=\"ext\">$3</var><config version=\"1\"><P35>\${ext}</P35></config></device>"
    } > "$1/devices/$2.xml"
}
dev store 000b82000001 1001 "$PW"
dev store 000b82000002 1002
for i in $(seq 3 40); do dev store "$(printf '000b82%06d' "$i")" "$((1000 + i))" "$PW"; done
# tenant b: the same MAC, other content
cp store/defaults.xml store/models/gxp2170.xml store-b/ 2>/dev/null
cp store/models/gxp2170.xml store-b/models/
mkdir -p store-b/groups; cp store/groups/sales.xml store-b/groups/
dev store-b 000b82000001 9001 "$PW"
chmod -R a+rwX "$tmp"

# ---------------------------------------------------------------- memcached
start_memcached() {
    memcached_start -o "-U 0 -m 16 -t 2" "$tmp/memcached.pid" "$mport" || exit 1
}
mc() {      # mc "COMMAND" -> memcached's answer (text protocol)
    { exec 3<>"/dev/tcp/127.0.0.1/$mport"
      printf '%s\r\nquit\r\n' "$1" >&3; timeout 2 cat <&3; exec 3<&-; } 2>/dev/null
}
mc_keys() {   # the keys memcached holds (metadump must be sent alone)
    { exec 3<>"/dev/tcp/127.0.0.1/$mport"
      printf 'lru_crawler metadump all\r\n' >&3; timeout 2 sed -u '/^END/q' <&3
      exec 3<&-; } 2>/dev/null | sed -n 's/^key=\([^ ]*\).*/\1/p' | sed 's/%3A/:/g' | sort
}

# ---------------------------------------------------------------- httpd nodes
node_conf() {   # node_conf NAME PORT CACHE-LINE
    httpd_conf_head -P "$tmp/httpd-$1.pid" "$tmp/$1.conf" "$2" "$tmp/logs/error-$1.log"
    cat >> "$1.conf" <<CONF
StartServers 2
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
DocumentRoot $tmp/empty
LogFormat "%v %>s %U cache=%{gsprov-cache}n" node
CustomLog $tmp/logs/access-$1.log node
$3
GsProvCacheTimeout 200
GsProvCacheRetry 1
# the shared cache alone (near.test below has a near cache)
GsProvCacheNear 0
GsProvReloadInterval 0
<Location /status-all>
    SetHandler gsprov-status
    GsProvStatusScope server
</Location>
<VirtualHost *:$2>
    ServerName a.test
    GsProvRoot $tmp/store
    GsProvVar server a.test
    <Location /prov>
        SetHandler gsprov
    </Location>
    <Location /status>
        SetHandler gsprov-status
    </Location>
</VirtualHost>
<VirtualHost *:$2>
    ServerName b.test
    GsProvRoot $tmp/store-b
    GsProvVar server a.test
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
# the same store and variables as a.test, another tenant
<VirtualHost *:$2>
    ServerName c.test
    GsProvRoot $tmp/store
    GsProvVar server a.test
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
# a near cache in each child in front of memcached
<VirtualHost *:$2>
    ServerName near.test
    GsProvCacheNear 1M
    GsProvRoot $tmp/store
    GsProvVar server a.test
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
# no cache here
<VirtualHost *:$2>
    ServerName nocache.test
    GsProvCache none
    GsProvRoot $tmp/store
    GsProvVar server a.test
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
CONF
}
start_node() {  # start_node NAME
    httpd_start "$tmp/$1.conf" || exit 1
}
cache_line="GsProvCache memcached \"--SERVER=127.0.0.1:$mport --BINARY-PROTOCOL\""
# the farm's nodes share a secret that seals the cached values; node c
# has none (GsProvCacheSecret none: anyone writing to memcached)
openssl rand -hex 32 > secret
chmod a+r secret
node_conf a "$pa" "$cache_line
GsProvCacheSecret $tmp/secret"
node_conf b "$pb" "$cache_line
GsProvCacheSecret $tmp/secret"
node_conf c "$pc" "$cache_line
GsProvCacheSecret none"

# ---------------------------------------------------------------- config errors
conftest() {    # conftest LINE -> apachectl -t output
    sed "s|^GsProvCache memcached.*|$1|" a.conf > bad.conf
    sed -i "s|^Listen .*|Listen 127.0.0.1:$((base + 9))|" bad.conf
    httpd -t -f "$tmp/bad.conf" 2>&1
}
out=$(conftest 'GsProvCache memcached "--SERVR=1.2.3.4"')
check "a bad libmemcached option string fails apachectl -t, naming the directive" 1 \
    "$(grep -c 'GsProvCache memcached "--SERVR=1.2.3.4"' <<<"$out")"
out=$(conftest 'GsProvCache memcached "--BINARY-PROTOCOL"')
check "an option string without a server fails apachectl -t" 1 \
    "$(grep -c 'no --SERVER=host:port' <<<"$out")"
sed "s|^GsProvCacheNear 0|GsProvCacheNear 10|" a.conf > bad.conf
sed -i "s|^Listen .*|Listen 127.0.0.1:$((base + 9))|" bad.conf
out=$(httpd -t -f "$tmp/bad.conf" 2>&1)
check "GsProvCacheNear 10 (too small) fails apachectl -t" 1 \
    "$(grep -c "GsProvCacheNear: '10' is not 0 or a size from 64K to 4G" <<<"$out")"
head -c 10 secret > short
sed "s|^GsProvCacheSecret .*|GsProvCacheSecret $tmp/short|; s|^Listen .*|Listen 127.0.0.1:$((base + 9))|" a.conf > bad.conf
out=$(httpd -t -f "$tmp/bad.conf" 2>&1)
check "GsProvCacheSecret with a 10-byte file fails apachectl -t" 1 \
    "$(grep -c "GsProvCacheSecret: $tmp/short: 32 to 4096 bytes needed" <<<"$out")"
out=$(conftest 'GsProvCache redis "x"')
check "an unknown backend fails apachectl -t, listing the supported ones" 1 \
    "$(grep -c "GsProvCache: unknown 'redis', supported are 'none' and 'memcached" <<<"$out")"
sed "s|^GsProvCacheTimeout 200|GsProvCacheTimeout 0|" a.conf > bad.conf
sed -i "s|^Listen .*|Listen 127.0.0.1:$((base + 9))|" bad.conf
out=$(httpd -t -f "$tmp/bad.conf" 2>&1)
check "GsProvCacheTimeout 0 fails apachectl -t with the range" 1 \
    "$(grep -c "GsProvCacheTimeout: '0' is not a number from 1 to 10000" <<<"$out")"
check "the nodes' configuration passes apachectl -t" "Syntax OK" \
    "$(httpd -t -f "$tmp/a.conf" 2>&1 | tail -1)"
# secure by default: a shared cache without a secret is refused
sed "/^GsProvCacheSecret /d; s|^Listen .*|Listen 127.0.0.1:$((base + 9))|" a.conf > bad.conf
out=$(httpd -t -f "$tmp/bad.conf" 2>&1)
check "GsProvCache memcached without GsProvCacheSecret fails apachectl -t, saying why" "1 1" \
    "$(grep -c "GSPROV0506: GsProvCache memcached without GsProvCacheSecret in the server .*GsProvCacheSecret none to accept that" <<<"$out") $(grep -c 'AH00014: Configuration check failed' <<<"$out")"
sed "s|^GsProvCacheSecret .*|GsProvCacheSecret none|; s|^Listen .*|Listen 127.0.0.1:$((base + 9))|" a.conf > bad.conf
check "GsProvCacheSecret none (the risk accepted) passes apachectl -t" "Syntax OK" \
    "$(httpd -t -f "$tmp/bad.conf" 2>&1 | tail -1)"
# a vhost of its own cache needs a secret of its own too (or inherits one)
sed "/^GsProvCacheSecret /d; s|^Listen .*|Listen 127.0.0.1:$((base + 9))|; s|^    GsProvCache none|    GsProvCache memcached \"--SERVER=127.0.0.1:$mport\"|" a.conf > bad.conf
sed -i "s|^GsProvCache memcached.*|GsProvCache none|" bad.conf
out=$(httpd -t -f "$tmp/bad.conf" 2>&1)
check "a vhost's GsProvCache memcached without a secret fails apachectl -t, naming the vhost" 1 \
    "$(grep -c "GSPROV0506: .* in the virtual host nocache.test (" <<<"$out")"

start_memcached
start_node a
start_node b
start_node c

get() {     # get NODE-PORT HOST PATH OUTFILE -> status code
    curl -s -o "$4" -w '%{http_code}' -H "Host: $2" -A "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82000001" \
        "http://127.0.0.1:$1$3"
}
plain() {   # plain FILE -> the decrypted XML
    openssl enc -d -aes-256-cbc -md md5 -k "$PW" -in "$1" 2>/dev/null
}
last_cache() {   # last_cache NODE -> the cache note of its last request
    sleep 0.2; tail -1 "logs/access-$1.log" | sed 's/.*cache=//'
}
F=/prov/cfg000b82000001.xml

echo "# hit after miss, shared by two nodes"
check "node a: first request 200" 200 "$(get $pa a.test $F a1)"
check "node a: first request was a miss (rendered, stored)" miss "$(last_cache a)"
check "the file decrypts with openssl enc, to this device's XML" 1 "$(plain a1 | grep -c '<P35>1001</P35>')"
check "node a: second request 200" 200 "$(get $pa a.test $F a2)"
check "node a: second request was a hit" hit "$(last_cache a)"
check "the hit is the same bytes (a new render would have a new salt)" same \
    "$(cmp -s a1 a2 && echo same || echo differ)"
check "node b: first request 200" 200 "$(get $pb a.test $F b1)"
check "node b: a hit on what node a stored" hit "$(last_cache b)"
check "node b: the same bytes as node a" same "$(cmp -s a1 b1 && echo same || echo differ)"
check "no cache (GsProvCache none): two requests, two renders" differ \
    "$(get $pa nocache.test $F n1 >/dev/null; get $pa nocache.test $F n2 >/dev/null; cmp -s n1 n2 && echo same || echo differ)"
check "no cache: note says none" none "$(last_cache a)"
get $pa a.test /prov/cfg000b82000002.xml p1 >/dev/null
check "a plain (unencrypted) file: hit the second time, same XML" "hit 1" \
    "$(get $pa a.test /prov/cfg000b82000002.xml p2 >/dev/null; echo "$(last_cache a) $(cmp -s p1 p2 && grep -c '<P35>1002</P35>' p2)")"
check "a 404 (unknown device) is not cached" "404 none" \
    "$(get $pa a.test /prov/cfg000b82ffffff.xml x >/dev/null; echo "$(get $pa a.test /prov/cfg000b82ffffff.xml x) $(last_cache a)")"

echo "# invalidation: a device record edited (through the other node)"
sleep 1.1   # a new mtime second for the edited files
dev store 000b82000001 1777 "$PW"
check "node b after the edit: 200" 200 "$(get $pb a.test $F b2)"
check "node b after the edit: a miss, not the old bytes" miss "$(last_cache b)"
check "node b serves the edited record" 1 "$(plain b2 | grep -c '<P35>1777</P35>')"
check "node a after the edit: a hit on node b's new bytes" "hit same" \
    "$(get $pa a.test $F a3 >/dev/null; echo "$(last_cache a) $(cmp -s a3 b2 && echo same || echo differ)")"

echo "# invalidation: a template edited"
sed -i 's/sales-v1/sales-v2/' store/groups/sales.xml
check "node a after the template edit: a miss" miss "$(get $pa a.test $F a4 >/dev/null; last_cache a)"
check "node a serves the edited template" 1 "$(plain a4 | grep -c '<P4000>sales-v2</P4000>')"
check "node b after the template edit: a hit on the new bytes" "hit same" \
    "$(get $pb a.test $F b3 >/dev/null; echo "$(last_cache b) $(cmp -s a4 b3 && echo same || echo differ)")"
check "GsProvVar is part of the key: same store and variables, other tenant: a miss" miss \
    "$(get $pa c.test $F c1 >/dev/null; last_cache a)"

echo "# tenant namespacing"
get $pa b.test $F tb1 >/dev/null
get $pa b.test $F tb2 >/dev/null
check "tenant b: its own device (same MAC), from the cache the second time" "hit 1" \
    "$(echo "$(last_cache a) $(cmp -s tb1 tb2 && plain tb2 | grep -c '<P35>9001</P35>')")"
check "tenant a still gets its own bytes" 1 "$(get $pa a.test $F a5 >/dev/null; plain a5 | grep -c '<P35>1777</P35>')"
for _ in $(seq 20); do   # the LRU crawler may list fresh items late
    nkeys=$(mc_keys | grep -c '^gsprov1:'); [ "$nkeys" -ge 5 ] && break; sleep 0.3
done
check_true "memcached holds one key per tenant and file ($nkeys >= 5), all namespaced gsprov1:<sha256>" \
    test "$nkeys" -ge 5 -a "$(mc_keys | grep -vc '^gsprov1:[0-9a-f]\{64\}$')" = 0

echo "# a value that does not belong to its key"
mc_value() {      # mc_value KEY OUT: the value memcached holds under KEY, raw
    local size
    mc "get $1" > val.txt
    size=$(head -1 val.txt | awk '{print $4}' | tr -d '\r')
    [ -n "$size" ] || return 1
    tail -c +$(( $(head -1 val.txt | wc -c) + 1 )) val.txt | head -c "$size" > "$2"
}
# key_for HOST OUTFILE: the memcached key of $F for tenant HOST (node a):
# memcached emptied, the file requested (stored), then the one key there
# (values are sealed, so they cannot be matched with the file; the LRU
# crawler may list a fresh item late: retried)
key_for() {
    local try k
    mc flush_all > /dev/null
    get $pa "$1" $F "$2" > /dev/null
    for try in $(seq 20); do
        k=$(mc_keys | grep '^gsprov1:')
        if [ "$(grep -c . <<<"$k")" = 1 ] && mc_value "$k" "val-$k.bin"; then echo "$k"; return 0; fi
        sleep 0.3
    done
    return 1
}
mc_set_file() {   # mc_set_file KEY FILE
    { exec 3<>"/dev/tcp/127.0.0.1/$mport"
      printf 'set %s 0 0 %d\r\n' "$1" "$(stat -c %s "$2")" >&3; cat "$2" >&3
      printf '\r\nquit\r\n' >&3; timeout 2 cat <&3 >/dev/null; exec 3<&-; } 2>/dev/null
}
rejected() {      # tenant a.test's rejected-values counter on node a
    curl -s -H 'Host: a.test' "http://127.0.0.1:$pa/status?json" \
        | perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{tenants}[0]{cache}{rejected}'
}
key_a=$(key_for a.test before)
check "found tenant a's entry for $F in memcached" 1 "$([ -n "$key_a" ] && echo 1 || echo 0)"
# forge: garbage of the right shape under that key
printf 'GSPRVS3junk' > junk
mc_set_file "$key_a" junk
r0=$(rejected)
check "garbage in the cache: still 200" 200 "$(get $pa a.test $F g1)"
check "garbage in the cache: the right file, rendered again" "miss 1" \
    "$(echo "$(last_cache a) $(plain g1 | grep -c '<P35>1777</P35>')")"
check "garbage was counted as rejected" 1 "$(( $(rejected) - r0 ))"
check "and replaced: the next request is a hit" "hit same" \
    "$(get $pa a.test $F g2 >/dev/null; echo "$(last_cache a) $(cmp -s g1 g2 && echo same || echo differ)")"
check "GSPROV0502 logged for the rejected value" 1 "$(grep -c 'GSPROV0502' logs/error-a.log)"
# forge: tenant b's valid value (same MAC and name) copied under tenant a's key
key_b=$(key_for b.test tb3)
check "found tenant b's entry in memcached" 1 "$([ -n "$key_b" ] && [ "$key_b" != "$key_a" ] && echo 1 || echo 0)"
mc_set_file "$key_a" "val-$key_b.bin"
r0=$(rejected)
check "tenant b's value under tenant a's key: rejected, tenant a gets its own device" "1 0 1" \
    "$(get $pa a.test $F s1 >/dev/null; echo "$(plain s1 | grep -c '<P35>1777</P35>') $(cmp -s s1 tb3 && echo 1 || echo 0) $(( $(rejected) - r0 ))")"

echo "# the near cache (per child, in front of memcached)"
N=/prov/cfg000b82000003.xml
get $pa near.test $N n0 >/dev/null
check "near.test: first request a miss" miss "$(last_cache a)"
notes=""; same=1
for i in 1 2 3 4 5 6; do
    get $pa near.test $N "n$i" >/dev/null; notes="$notes $(last_cache a)"
    cmp -s n0 "n$i" || same=0
done
check_true "near.test: repeated requests are near-hits (from the child's ring) or hits:$notes" \
    bash -c "[[ '$notes' == *near-hit* ]] && ! [[ '$notes' =~ miss|error|none ]]"
check "near.test: every answer the same bytes" 1 "$same"
sleep 1.1
dev store 000b82000003 3333 "$PW"
check "near.test after the record edit: a miss, the new record (nothing stale in the ring)" "miss 1" \
    "$(get $pa near.test $N n7 >/dev/null; echo "$(last_cache a) $(plain n7 | grep -c '<P35>3333</P35>')")"
check "node b (no near cache) gets the new bytes from memcached" "hit same" \
    "$(get $pb near.test $N n8 >/dev/null; echo "$(last_cache b) $(cmp -s n7 n8 && echo same || echo differ)")"

echo "# values are authenticated (GsProvCacheSecret): a node without the secret cannot feed the farm"
S=/prov/cfg000b82000004.xml
get $pc a.test $S c1 >/dev/null
check "node c (no secret) renders and stores cfg000b82000004.xml" miss "$(last_cache c)"
check "node a (secret) rejects node c's value and renders its own" "miss 1" \
    "$(get $pa a.test $S a6 >/dev/null; echo "$(last_cache a) $(plain a6 | grep -c '<P35>1004</P35>')")"
check "node b (same secret) takes node a's value" "hit same" \
    "$(get $pb a.test $S b6 >/dev/null; echo "$(last_cache b) $(cmp -s a6 b6 && echo same || echo differ)")"
check "node c rejects the farm's authenticated value in turn" miss \
    "$(get $pc a.test $S c2 >/dev/null; last_cache c)"

echo "# status page"
get $pa a.test /status st.txt >/dev/null
check "status (text): 200 with this tenant" 1 "$(grep -c '^Tenant: a.test:' st.txt)"
check "status (text) of a vhost shows only its own tenant" 1 "$(grep -c '^Tenant:' st.txt)"
check_true "status (text): cache hits counted" grep -q '^CacheHits: [1-9]' st.txt
gsprov_version=$(sed -n 's/^#define GSPROV_VERSION "\(.*\)"/\1/p' "$top/lib/base/gsprov_version.h")
check "status (text): the module's version first" "Version: mod_gsprov/$gsprov_version" "$(head -1 st.txt)"
check "status (json): 200" 200 "$(get $pa a.test '/status?json' st.json)"
json() { perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $t = $j->{tenants}[0]; print eval "\$t->$ARGV[0]" // "undef"' "$1" < st.json; }
check "status (json): the tenant" a.test:$pa "$(json '{tenant}')"
check "status (json): the module's version" "$gsprov_version" \
    "$(perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{version} // "undef"' < st.json)"
check_true "status (json): device-xml ok requests counted" test "$(json '{requests}{"device-xml"}{ok}')" -ge 5
check "status (json): the 404 counted as device-xml not-found" 2 "$(json '{requests}{"device-xml"}{"not-found"}')"
check "status (json): rejected values counted (garbage, another tenant's, node c's)" 3 "$(json '{cache}{rejected}')"
check_true "status (json): renders counted with a histogram" test "$(json '{render}{count}')" -ge 4 -a "$(json '{render}{histogram}[0]{le_usec}')" = 100
check "status (json): a 'server' scope page lists every tenant" 6 \
    "$(get $pa 127.0.0.1 '/status-all?json' all.json >/dev/null; perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)->{tenants}}' < all.json)"
check "status: POST is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Host: a.test' "http://127.0.0.1:$pa/status")"

echo "# what memcached holds, read back raw: sealed, no file in it"
# device 1's bootstrap binary carries its XML password (P1359) in clear,
# device 2's XML is not encrypted: exactly what must not be readable
mc_dump() {       # every value memcached holds, raw, into dump.bin
    local k
    : > dump.bin
    for k in $(mc_keys | grep '^gsprov1:'); do
        mc_value "$k" v.bin && cat v.bin >> dump.bin
    done
}
mc_has() {        # mc_has SUBSTRING -> how many values hold it
    local k n=0
    for k in $(mc_keys | grep '^gsprov1:'); do
        mc_value "$k" v.bin && grep -aqF -- "$1" v.bin && n=$((n + 1))
    done
    echo "$n"
}
mc flush_all > /dev/null
check "node a: the bootstrap binary carries P1359 in clear (what a device gets)" "200 1" \
    "$(get $pa a.test /prov/cfg000b82000001 raw1.bin) $(grep -ac "P1359=$PW" raw1.bin)"
check "node a: the plain XML of device 2" "200 1" \
    "$(get $pa a.test /prov/cfg000b82000002.xml raw2.xml) $(grep -c '<P35>1002</P35>' raw2.xml)"
for _ in $(seq 20); do
    [ "$(mc_keys | grep -c '^gsprov1:')" -ge 2 ] && break; sleep 0.3
done
mc_dump
check_true "node a stored both, sealed (GSPRVS3)" test "$(mc_keys | grep -c '^gsprov1:')" -ge 2 \
    -a "$(grep -ac GSPRVS3 dump.bin)" -ge 1
check "memcached holds no P1359, no XML password, no XML, no P-value of them" "0 0 0 0 0" \
    "$(mc_has P1359) $(mc_has "$PW") $(mc_has '<gs_provision') $(mc_has 'P237') $(mc_has '1002')"
check "node a serves both from the cache (hit), the same bytes" "hit hit same" \
    "$(get $pa a.test /prov/cfg000b82000001 raw3.bin >/dev/null; echo "$(last_cache a) $(get $pa a.test /prov/cfg000b82000002.xml raw4.xml >/dev/null; last_cache a) $(cmp -s raw1.bin raw3.bin && cmp -s raw2.xml raw4.xml && echo same)")"
# the control: node c (GsProvCacheSecret none) stores them in the clear,
# so the check above can fail
mc flush_all > /dev/null
get $pc a.test /prov/cfg000b82000001 c3.bin >/dev/null
get $pc a.test /prov/cfg000b82000002.xml c4.xml >/dev/null
for _ in $(seq 20); do
    [ "$(mc_keys | grep -c '^gsprov1:')" -ge 2 ] && break; sleep 0.3
done
check "control: with GsProvCacheSecret none, memcached holds P1359 and the XML" "1 1" \
    "$(mc_has "P1359=$PW") $(mc_has '<P35>1002</P35>')"
mc flush_all > /dev/null
echo "# status page for Prometheus: the same cache counters, promtool-clean"
get $pa a.test '/status?json' st.json >/dev/null
check "status (prometheus): 200" 200 "$(get $pa a.test '/status?prometheus' st.prom)"
prom() { awk -v k="$1" '$1 == k { print $2 }' st.prom; }
promtool_out=$(promtool check metrics < st.prom 2>&1); promtool_rc=$?
check "status (prometheus): promtool check metrics, exit 0 and nothing said" "0 " "$promtool_rc $promtool_out"
for c in hits near_hits misses rejected stores store_errors errors; do
    check "status (prometheus): mod_gsprov_cache_${c}_total as on the JSON page" \
        "$(json "{cache}{$c}")" "$(prom "mod_gsprov_cache_${c}_total{tenant=\"a.test:$pa\"}")"
done
check "status (prometheus): render_seconds_count is the JSON render count" \
    "$(json '{render}{count}')" "$(prom "mod_gsprov_render_seconds_count{tenant=\"a.test:$pa\"}")"
check "status (prometheus): server scope, promtool-clean, every tenant once" "0 6" \
    "$(get $pa 127.0.0.1 '/status-all?prometheus' all.prom >/dev/null; promtool check metrics < all.prom >/dev/null 2>&1; echo "$? $(grep '^mod_gsprov_cache_hits_total{' all.prom | sort -u | wc -l)")"

echo "# memcached killed under load"
: > codes.txt
load() {   # load N HOST: N requests for 40 devices -> codes.txt
    local i
    for i in $(seq "$1"); do
        curl -s -o /dev/null -w '%{http_code}\n' -H "Host: $2" \
            "http://127.0.0.1:$pa/prov/cfg$(printf '000b82%06d' $(( i % 38 + 3 ))).xml"
    done >> codes.txt
}
load 150 a.test & l1=$!
load 150 a.test & l2=$!
sleep 0.5
memcached_stop "$tmp/memcached.pid"
wait $l1 $l2
check "300 requests while memcached was killed: all 200" "300" "$(grep -c '^200$' codes.txt)"
check "after the kill: requests still served" 200 "$(get $pa a.test $F k1)"
n0501=$(grep -c 'GSPROV0501' logs/error-a.log)
check "cache failures logged once per interval, not per request (GSPROV0501 lines)" 1 "$n0501"
get $pa a.test /status?json st.json >/dev/null
check_true "status: cache errors counted" test "$(json '{cache}{errors}')" -ge 1
check_true "status: the last error is the cache failure" test "$(json '{last_error}{id}')" = GSPROV0501
get $pa a.test '/status?prometheus' st.prom >/dev/null
check "status (prometheus): cache errors as on the JSON page" "$(json '{cache}{errors}')" \
    "$(prom "mod_gsprov_cache_errors_total{tenant=\"a.test:$pa\"}")"

echo "# memcached back: used again after GsProvCacheRetry"
start_memcached
sleep 1.2
# pooled connections still open to the old memcached fail once each (and
# are served without the cache); then every connection is back
again=""
for i in $(seq 30); do
    get $pa a.test $F r1 >/dev/null; c1=$(last_cache a)
    get $pa a.test $F r2 >/dev/null; c2=$(last_cache a)
    if [ "$c2" = hit ] && cmp -s r1 r2; then again="hit same after $i tries"; break; fi
    sleep 0.2
done
check "memcached restarted: hits again" "hit same" "${again% after*}"
echo "# ${again:-no hit}"

echo "# memcached stopped with SIGSTOP (hangs): latency bounded by GsProvCacheTimeout (200 ms)"
kill -STOP "$(cat memcached.pid)"
max=0; codes=""
for i in 1 2 3 4 5 6; do
    r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Host: a.test" "http://127.0.0.1:$pa/prov/cfg$(printf '000b82%06d' $((i + 10))).xml")
    codes="$codes${r%% *}"
    t=${r#* }
    max=$(awk -v a="$max" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
done
check "memcached hung: every request 200" "200200200200200200" "$codes"
echo "# slowest request with a hung memcached: ${max}s"
check_true "memcached hung: no request took longer than the timeout plus 0.8 s (${max}s)" \
    awk -v m="$max" 'BEGIN { exit !(m < 1.0) }'
kill -CONT "$(cat memcached.pid)"

echo "# no warnings or errors other than the cache's own"
check "node a error log: only GSPROV0501/0502 warnings" 0 \
    "$(grep -E '\[(error|warn|crit|alert|emerg)' logs/error-a.log | grep -vcE 'GSPROV050[12]')"
check "node b error log: clean" 0 "$(grep -cE '\[(error|warn|crit|alert|emerg)' logs/error-b.log)"
check "no child crashed" 0 "$(cat logs/error-*.log | grep -cE 'exit signal|AH00052')"
httpd_stop; memcached_stop
check "no sanitizer report" 0 "$(cat logs/error-*.log start.err 2>/dev/null | grep -cE 'AddressSanitizer|runtime error:|LeakSanitizer')"

harness_done
