#!/bin/bash
# Secure provisioning : client certificates bound to the MAC,
# per-device credentials, isolation of tenants, no secrets in the logs,
# and the fail2ban filter.  Real mod_ssl, CAs, certificates and a CRL made
# here with the openssl command line, curl as the device.
#
# Tenants a.test and b.test (and c.test, whose allowed network is not
# ours) are conf/gsprov-secure-vhost.conf as shipped, with its @...@
# placeholders replaced; lab.test is a vhost of this test with one
# location per variant (SAN, Digest, htpasswd file, hashes, Require ip).
# All of them are name-based vhosts on one loopback port (SNI).
#
#   t/system/security.sh MODULE_SO      (about 10 s; runs as root or not)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/harness.sh" security

cd "$tmp" || exit 1

# ---------------------------------------------------------------- certificates
# srvca signs the server's certificate (all names); each tenant has its own
# device CA run with `openssl ca` (for -startdate/-enddate, -revoke, -gencrl)
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gsprov test server CA" \
    -keyout srvca.key -out srvca.crt
q openssl req -newkey rsa:2048 -nodes -subj "/CN=a.test" -keyout server.key -out server.csr \
    -addext "subjectAltName=DNS:a.test,DNS:b.test,DNS:c.test,DNS:lab.test"
q openssl x509 -req -in server.csr -CA srvca.crt -CAkey srvca.key -CAcreateserial -days 2 \
    -copy_extensions copy -out server.crt

mkca() {    # mkca DIR "CN": a CA with an openssl ca database in DIR
    mkdir -p "$1/newcerts"
    : > "$1/index.txt"; echo 1000 > "$1/serial"; echo 1000 > "$1/crlnumber"
    cat > "$1/ca.cnf" <<CNF
[ ca ]
default_ca = dev_ca
[ dev_ca ]
dir              = $tmp/$1
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
certificate      = \$dir/ca.crt
private_key      = \$dir/ca.key
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
default_md       = sha256
default_days     = 2
default_crl_days = 2
unique_subject   = no
copy_extensions  = copy
policy           = dev_policy
x509_extensions  = dev_cert
[ dev_policy ]
commonName       = supplied
organizationName = optional
organizationalUnitName = optional
[ dev_cert ]
basicConstraints = CA:FALSE
keyUsage         = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
CNF
    q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
        -keyout "$1/ca.key" -out "$1/ca.crt"
}
device() {  # device CADIR NAME SUBJECT [openssl ca options...]
    local ca=$1 name=$2 subj=$3; shift 3
    local ext=()
    [ "${SAN:-}" ] && ext=(-addext "subjectAltName=$SAN")
    q openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$name.key" -out "$name.csr" \
        "${ext[@]}"
    q openssl ca -batch -notext -config "$ca/ca.cnf" -in "$name.csr" -out "$name.crt" "$@"
}
mkca ca-a "tenant A device CA"
mkca ca-b "tenant B device CA"
mkca ca-rogue "rogue CA"
device ca-a a-dev "/CN=000b82123456/O=tenant A"           # the device, bare MAC
device ca-a a-dev57 "/CN=00:0B:82:12:34:57/O=tenant A"    # another device, separators
SAN="DNS:phone7.a.test,DNS:00-0b-82-12-34-56" \
device ca-a a-san "/CN=lab-phone-7/O=tenant A"            # the MAC only in the SAN
device ca-a a-ou "/CN=lab-phone-8/OU=000B82123456/O=tenant A"  # the MAC in the OU
device ca-a a-expired "/CN=000b82123456/O=tenant A" \
    -startdate 20200101000000Z -enddate 20200102000000Z
device ca-a a-revoked "/CN=000b82123456/O=tenant A"
q openssl ca -config ca-a/ca.cnf -revoke a-revoked.crt
device ca-b b-dev "/CN=000b82123456/O=tenant B"           # tenant B's device, same MAC
device ca-rogue rogue "/CN=000b82123456/O=rogue"          # right MAC, unknown CA
for t in a b; do
    mkdir -p "certs-$t"
    cp server.crt server.key "certs-$t/"
    cp "ca-$t/ca.crt" "certs-$t/device-ca.crt"
    q openssl ca -config "ca-$t/ca.cnf" -gencrl -out "certs-$t/device-ca.crl"
done

# ---------------------------------------------------------------- secrets
# every one of these must stay out of every log
S_A56=a56-Plain-Secret-7f3k          # device 000b82123456 (tenant A), plaintext
S_A57=a57-Plain-Secret-q8Lm          # device 000b82123457
S_BCRYPT=bcrypt-Secret-W2xv          # hashed in the records
S_APR1=apr1-Secret-Zr5t
S_SHA=sha1-Secret-Mn3c
S_OLD=rot-Old-Secret-Pq7u            # rotation, one username
S_NEW=rot-New-Secret-Hd4e
S_DOLD=dig-Old-Secret-Ve9s           # Digest rotation, two usernames
S_DNEW=dig-New-Secret-Ka6y
S_XML=xml-Password-Tg1b              # <password>: the file is encrypted
S_SIP_A=sipA-Account-Pass-Jw0n       # SIP passwords inside the files
S_SIP_B=sipB-Account-Pass-Ux2i
S_SIP_ENC=sipEnc-Account-Pass-Rb8o
S_B56=b56-Plain-Secret-Ly5p          # tenant B's device 000b82123456
S_FILE=file-Pass-Co4w                # htpasswd file users
S_INTRUDER=intruder-Pass-Gz6h
WRONG=wrong-Guess-Nf3a               # the attacker's guesses
secrets="$S_A56 $S_A57 $S_BCRYPT $S_APR1 $S_SHA $S_OLD $S_NEW $S_DOLD $S_DNEW $S_XML \
$S_SIP_A $S_SIP_B $S_SIP_ENC $S_B56 $S_FILE $S_INTRUDER $WRONG"
hash() { htpasswd "-nb$1" x "$2" | head -1 | cut -d: -f2-; }

# ---------------------------------------------------------------- stores
mkdir -p store-a/devices store-b/devices fw-a/1.0 fw-a/2.0 fw-b/1.0 logs
cat > store-a/defaults.xml <<'XML'
<gs_provision version="1"><var name="firmware">1.0</var>
<config version="1"><P212>2</P212><P47>${sip_server}</P47><P2>generic A</P2></config></gs_provision>
XML
cat > store-b/defaults.xml <<'XML'
<gs_provision version="1"><var name="firmware">1.0</var>
<config version="1"><P212>2</P212><P47>${sip_server}</P47><P2>generic B</P2></config></gs_provision>
XML
record() {  # record STORE MAC CREDENTIAL-ELEMENTS [EXTRA]
    cat > "$1/devices/$2.xml" <<XML
<device>$3${4:-}
<config version="1"><P3>device $2 of $1</P3><P34>sip-$2</P34></config></device>
XML
}
record store-a 000b82123456 "<username>gs-123456</username><secret>$S_A56</secret>" \
    "<var name=\"firmware\">2.0</var>"
sed -i "s|<P34>sip-000b82123456</P34>|<P34>$S_SIP_A</P34>|" store-a/devices/000b82123456.xml
record store-a 000b82123457 "<username>gs-123457</username><secret>$S_A57</secret>"
record store-a 000b82aa0001 "<username>gs-bcrypt</username><secret>$(hash B "$S_BCRYPT")</secret>"
record store-a 000b82aa0002 "<username>gs-apr1</username><secret>$(hash m "$S_APR1")</secret>"
record store-a 000b82aa0003 "<username>gs-sha</username><secret>$(hash s "$S_SHA")</secret>"
record store-a 000b82aa0004 "<username>gs-rot</username><secret>$S_OLD</secret><secret>$S_NEW</secret>"
record store-a 000b82aa0005 \
    "<username>gs-dig1</username><username>gs-dig2</username><secret>$S_DOLD</secret><secret>$S_DNEW</secret>"
record store-a 000b82aa0006 "<username>gs-enc</username><secret>$S_A56</secret>" \
    "<password>$S_XML</password>"
sed -i "s|<P34>sip-000b82aa0006</P34>|<P34>$S_SIP_ENC</P34>|" store-a/devices/000b82aa0006.xml
# a device whose username is its MAC, for cfg.xml (the username names the device)
record store-a 000b82aa0007 "<username>000b82aa0007</username><secret>$S_A57</secret>"
# a record that exists but cannot be read (a directory, whoever runs this)
mkdir store-a/devices/000b82aa0009.xml
record store-b 000b82123456 "<username>gs-123456</username><secret>$S_B56</secret>"
record store-b 000b82aa0007 "<username>000b82aa0007</username><secret>$S_B56</secret>"
sed -i "s|<P34>sip-000b82123456</P34>|<P34>$S_SIP_B</P34>|" store-b/devices/000b82123456.xml
echo "A firmware 1.0" > fw-a/1.0/fw.bin
echo "A firmware 2.0" > fw-a/2.0/fw.bin
echo "B firmware 1.0" > fw-b/1.0/fw.bin
q htpasswd -cbB devices.htpasswd gs-123456 "$S_FILE"
q htpasswd -bB devices.htpasswd intruder "$S_INTRUDER"

# ---------------------------------------------------------------- httpd
port=$(free_port 2)
tenant() {  # tenant NAME STORE FWROOT CERTDIR ALLOW -> the example, filled in
    sed -e "s|@NAME@|$1|g; s|@PORT@|$port|g; s|@ROOT@|$tmp/$2|g; s|@FWROOT@|$tmp/$3|g" \
        -e "s|@CERTDIR@|$tmp/$4|g; s|@LOGDIR@|$tmp/logs|g; s|@ALLOW@|$5|g" \
        "$src/conf/gsprov-secure-vhost.conf" > "$1.conf"
}
tenant a.test store-a fw-a certs-a 127.0.0.1
tenant b.test store-b fw-b certs-b "127.0.0.0/8 ::1"
tenant c.test store-a fw-a certs-a 10.0.0.0/8
grep -q @ a.test.conf && { echo "setup failed: placeholder left in the example"; exit 1; }
write_conf() {  # write_conf LOGLEVEL
    httpd_conf_head -l "$1" -p https "$tmp/httpd.conf" "$port" "$tmp/logs/error_log" \
        authz_host authz_user authn_core authn_file auth_basic auth_digest ssl
    cat >> httpd.conf <<CONF
DocumentRoot $tmp/empty
SSLSessionCache none
LogFormat "%h %u \"%r\" %>s mac=%{gsprov-mac}n file=%{gsprov-file}n result=%{gsprov-result}n cert=%{SSL_CLIENT_S_DN_CN}x" lab
CustomLog $tmp/logs/access_log lab
Include $tmp/a.test.conf
Include $tmp/b.test.conf
Include $tmp/c.test.conf
<VirtualHost *:$port>
    ServerName lab.test
    SSLEngine on
    SSLCertificateFile $tmp/server.crt
    SSLCertificateKeyFile $tmp/server.key
    SSLCACertificateFile $tmp/certs-a/device-ca.crt
    SSLCARevocationFile $tmp/certs-a/device-ca.crl
    SSLCARevocationCheck chain
    SSLVerifyClient optional
    SSLVerifyDepth 2
    GsProvRoot $tmp/store-a
    GsProvFirmwareRoot $tmp/fw-a
    GsProvVar sip_server sip.lab.test
    <Location /san>
        SetHandler gsprov
        GsProvClientCertMAC SAN:DNS
        Require gsprov-client-cert
    </Location>
    <Location /ou>
        SetHandler gsprov
        GsProvClientCertMAC DN:OU
        Require gsprov-client-cert
    </Location>
    <Location /cn>
        SetHandler gsprov
        Require gsprov-client-cert
    </Location>
    <Location /basic>
        SetHandler gsprov
        AuthType Basic
        AuthName "lab basic"
        AuthBasicProvider gsprov
        Require valid-user
    </Location>
    <Location /basic-device>
        SetHandler gsprov
        AuthType Basic
        AuthName "lab basic"
        AuthBasicProvider gsprov
        Require gsprov-device
    </Location>
    <Location /digest>
        SetHandler gsprov
        AuthType Digest
        AuthName "lab digest"
        AuthDigestProvider gsprov
        Require valid-user
    </Location>
    <Location /file>
        SetHandler gsprov
        AuthType Basic
        AuthName "lab file"
        AuthBasicProvider file
        AuthUserFile $tmp/devices.htpasswd
        Require gsprov-device
    </Location>
    <Location /ipall>
        SetHandler gsprov
        <RequireAll>
            Require gsprov-client-cert
            Require ip 127.0.0.1
        </RequireAll>
    </Location>
    <Location /ipdeny>
        SetHandler gsprov
        <RequireAll>
            Require gsprov-client-cert
            Require ip 10.0.0.0/8
        </RequireAll>
    </Location>
    <Location /fwcert>
        SetHandler gsprov-firmware
        Require gsprov-client-cert
    </Location>
</VirtualHost>
CONF
}
mkdir -p empty
chmod -R a+rX "$tmp"
# what httpd itself writes into a store, the provisioning status and its
# locks, belongs to its user; the records and templates stay read-only
for s in store-a store-b; do
    mkdir -p "$s/status" "$s/.gsprov-locks"
    [ "$(id -u)" = 0 ] && chown nobody:"$(id -gn nobody)" "$s/status" "$s/.gsprov-locks"
done
start_httpd() {
    httpd_start -u "https://lab.test:$port/" -c --resolve -c "lab.test:$port:127.0.0.1" \
        "$tmp/httpd.conf" || exit 1
}
write_conf "debug gsprov:trace8"
/usr/sbin/apache2 -t -f "$tmp/httpd.conf" >apachectl-t.out 2>&1
check "the example vhost passes apachectl -t (3 tenants + lab)" 0 "$?"
start_httpd
sed 's|GsProvClientCertMAC CN|GsProvClientCertMAC SAN:IP|' a.test.conf > bad.conf
sed "s|^Include $tmp/a.test.conf|Include $tmp/bad.conf|; s|^Listen .*|Listen 127.0.0.1:$((port + 1))|" httpd.conf > bad-httpd.conf
check "GsProvClientCertMAC SAN:IP fails apachectl -t, naming what is supported" 1 \
    "$(/usr/sbin/apache2 -t -f "$tmp/bad-httpd.conf" 2>&1 | grep -c "GsProvClientCertMAC: unknown 'SAN:IP', supported are CN, SAN:DNS")"

# get HOST CERT|- PATH [curl options...] -> "status" or "status body";
# "fail" when no HTTP answer came (TLS refused)
get() {
    local host=$1 cert=$2 path=$3; shift 3
    local args=(-s --cacert "$tmp/srvca.crt" --resolve "$host:$port:127.0.0.1")
    [ "$cert" != - ] && args+=(--cert "$tmp/$cert.crt" --key "$tmp/$cert.key")
    local code
    rm -f "$tmp/out"
    code=$(curl "${args[@]}" "$@" -o "$tmp/out" -w '%{http_code}' \
           "https://$host:$port$path" 2>/dev/null) || code=fail
    [ "$code" = 000 ] && code=fail
    if [ "$code" = 200 ]; then
        local re
        for re in 'device [0-9a-f]* of store-[ab]' 'generic [AB]' '[AB] firmware [0-9.]*' '^Salted__'; do
            grep -aqo "$re" "$tmp/out" && { echo "200 $(grep -ao "$re" "$tmp/out" | head -1)"; return; }
        done
        echo "200 ?"
    else echo "$code"; fi
}
status() { local r; r=$(get "$@"); echo "${r%% *}"; }
elog() { cat "$tmp"/logs/*error*; }
serial() { openssl x509 -noout -serial -in "$tmp/$1.crt" | cut -d= -f2; }
n401() { elog | grep -c '\[gsprov:error\] .*\] GSPROV0401: '; }

A56=/prov/cfg000b82123456.xml
# ---------------------------------------------------------------- client certificates
echo "# client certificates (tenant a.test: the example vhost)"
check "right MAC in CN + the device's password: its file" \
    "200 device 000b82123456 of store-a" "$(get a.test a-dev $A56 -u "gs-123456:$S_A56")"
check "right MAC in CN, no password: 401" 401 "$(status a.test a-dev $A56)"
check "another device's MAC (00:0B:82:12:34:57) in CN: 403" \
    403 "$(status a.test a-dev57 $A56 -u "gs-123456:$S_A56")"
check "  ... logged as GSPROV0404 with both MACs" 1 \
    "$(elog | grep -c 'GSPROV0404: .*certificate of 000b82123457 asked for the file of 000b82123456')"
check "no certificate: 403" 403 "$(status a.test - $A56 -u "gs-123456:$S_A56")"
check "  ... logged as GSPROV0403" 1 "$(elog | grep -c 'GSPROV0403')"
check_in "expired certificate: TLS refused or 403" "fail 403" \
    "$(status a.test a-expired $A56 -u "gs-123456:$S_A56")"
check "  ... because it expired (mod_ssl: error 10)" 1 \
    "$(elog | grep -c "Error (10): certificate has expired .*serial: $(serial a-expired)")"
check "certificate of an unknown CA (right MAC): TLS refused" fail \
    "$(status a.test rogue $A56 -u "gs-123456:$S_A56")"
check "  ... because of its issuer (mod_ssl: error 20)" 1 \
    "$(elog | grep -c 'Error (20): unable to get local issuer certificate .*issuer: CN=rogue CA')"
check_in "revoked certificate (CRL): TLS refused or 403" "fail 403" \
    "$(status a.test a-revoked $A56 -u "gs-123456:$S_A56")"
check "  ... because it is revoked (mod_ssl: error 23)" 1 \
    "$(elog | grep -c "Error (23): certificate revoked .*serial: $(serial a-revoked)")"
check "generic cfg.xml with a verified certificate (another device's) + credentials" \
    "200 generic A" "$(get a.test a-dev57 /prov/cfg.xml -u "000b82aa0007:$S_A57")"
check "generic cfg.xml without a certificate: 403" 403 \
    "$(status a.test - /prov/cfg.xml -u "000b82aa0007:$S_A57")"
check "lab /cn (certificate only): right MAC in CN" \
    "200 device 000b82123456 of store-a" "$(get lab.test a-dev /cn/cfg000b82123456.xml)"
check "lab /cn: MAC only in the SAN does not count for CN" 403 \
    "$(status lab.test a-san /cn/cfg000b82123456.xml)"
check "lab /san (GsProvClientCertMAC SAN:DNS): MAC in the 2nd DNS entry" \
    "200 device 000b82123456 of store-a" "$(get lab.test a-san /san/cfg000b82123456.xml)"
check "lab /ou (GsProvClientCertMAC DN:OU): MAC upper case in the OU" \
    "200 device 000b82123456 of store-a" "$(get lab.test a-ou /ou/cfg000b82123456.xml)"
check "lab /ou: a CN-only certificate: 403" 403 "$(status lab.test a-dev /ou/cfg000b82123456.xml)"
check "lab /san: another device's file: 403" 403 "$(status lab.test a-san /san/cfg000b82123457.xml)"
check "lab /san: CN-only certificate has no SAN MAC: 403" 403 \
    "$(status lab.test a-dev /san/cfg000b82123456.xml)"
check "binary bootstrap file over HTTPS with certificate + credentials" 200 \
    "$(status a.test a-dev /prov/cfg000b82123456 -u "gs-123456:$S_A56")"
check "firmware /fw/<mac>/<file> with the device's certificate: its version" \
    "200 A firmware 2.0" "$(get a.test a-dev /fw/000b82123456/fw.bin)"
check "firmware /fw/<mac>/<file> with another device's certificate: 403" 403 \
    "$(status a.test a-dev57 /fw/000b82123456/fw.bin)"
check "firmware /fw/<file>: the certificate names the device" \
    "200 A firmware 2.0" "$(get a.test a-dev /fw/fw.bin)"
check "firmware without a certificate: 403" 403 "$(status a.test - /fw/fw.bin)"
check "lab /fwcert (SAN cert, CN default): /fwcert/<mac>/ of the SAN MAC: 403" 403 \
    "$(status lab.test a-san /fwcert/000b82123456/fw.bin)"
check "RequireAll gsprov-client-cert + Require ip 127.0.0.1: 200" \
    "200 device 000b82123456 of store-a" "$(get lab.test a-dev /ipall/cfg000b82123456.xml)"
check "RequireAll gsprov-client-cert + Require ip 10.0.0.0/8: 403" 403 \
    "$(status lab.test a-dev /ipdeny/cfg000b82123456.xml)"
check "example with @ALLOW@ 10.0.0.0/8 (c.test): 403 even with cert + password" 403 \
    "$(status c.test a-dev $A56 -u "gs-123456:$S_A56")"

# ---------------------------------------------------------------- credentials
echo "# per-device credentials"
check "Basic, plaintext secret: 200" "200 device 000b82123456 of store-a" \
    "$(get lab.test - /basic/cfg000b82123456.xml -u "gs-123456:$S_A56")"
before=$(n401)
check "Basic, wrong password: 401" 401 \
    "$(status lab.test - /basic/cfg000b82123456.xml -u "gs-123456:$WRONG")"
line=$(elog | grep 'GSPROV0401' | tail -n +$((before + 1)))
check "  ... exactly one GSPROV0401 line" 1 "$(grep -c . <<<"$line")"
check "  ... with the client address, the MAC, the user and the reason" 1 \
    "$(grep -c '\[client 127\.0\.0\.1:[0-9]*\] GSPROV0401: authentication failed for device 000b82123456, user "gs-123456": wrong password$' <<<"$line")"
check "  ... without the password" 0 "$(grep -c -- "$WRONG" <<<"$line")"
before=$(n401)
check "Basic, user of another device: 401" 401 \
    "$(status lab.test - /basic/cfg000b82123456.xml -u "gs-123457:$S_A57")"
check "  ... one GSPROV0401 'not this device's user'" 1 \
    "$(elog | grep 'GSPROV0401' | tail -n +$((before + 1)) | grep -c "device 000b82123456, user \"gs-123457\": not this device's user")"
check "Basic, the device's user on another device's file: 401" 401 \
    "$(status lab.test - /basic/cfg000b82123457.xml -u "gs-123456:$S_A56")"
check "Basic, unknown device: 401" 401 \
    "$(status lab.test - /basic/cfg000b82ffffff.xml -u "gs-123456:$S_A56")"
# a store failure is the server's (500, logged), not an unknown user (401)
check "Basic, unreadable record: 500" 500 \
    "$(status lab.test - /basic/cfg000b82aa0009.xml -u "gs-aa0009:$WRONG")"
check "  ... logged as GSPROV0405 naming the record, not GSPROV0401" 1 \
    "$(elog | grep -c 'GSPROV0405: authentication of device 000b82aa0009, user "gs-aa0009": the record cannot be read: .*/devices/000b82aa0009\.xml: not a regular file$')"
check "Digest, unreadable record: 500" 500 \
    "$(status lab.test - /digest/cfg000b82aa0009.xml --digest -u "gs-aa0009:$WRONG")"
check "  ... logged as GSPROV0405 too" 2 "$(elog | grep -c 'GSPROV0405: authentication of device 000b82aa0009, user "gs-aa0009"')"
check "  ... and neither as an authentication failure (GSPROV0401)" 0 \
    "$(elog | grep -c 'GSPROV0401: .*device 000b82aa0009')"
check "Basic, bcrypt secret (\$2y\$)" "200 device 000b82aa0001 of store-a" \
    "$(get lab.test - /basic/cfg000b82aa0001.xml -u "gs-bcrypt:$S_BCRYPT")"
check "Basic, bcrypt secret, wrong password: 401" 401 \
    "$(status lab.test - /basic/cfg000b82aa0001.xml -u "gs-bcrypt:$WRONG")"
check "Basic, apr1 secret" "200 device 000b82aa0002 of store-a" \
    "$(get lab.test - /basic/cfg000b82aa0002.xml -u "gs-apr1:$S_APR1")"
check "Basic, {SHA} secret" "200 device 000b82aa0003 of store-a" \
    "$(get lab.test - /basic/cfg000b82aa0003.xml -u "gs-sha:$S_SHA")"
check "Basic, the hash itself as password: 401" 401 \
    "$(status lab.test - /basic/cfg000b82aa0003.xml -u "gs-sha:$(hash s "$S_SHA")")"
check "Basic cfg.xml, username is a MAC: that device's secret" "200 generic A" \
    "$(get lab.test - /basic/cfg.xml -u "000b82aa0007:$S_A57")"
check "Basic cfg.xml, username no MAC: 401" 401 \
    "$(status lab.test - /basic/cfg.xml -u "gs-123456:$S_A56")"
check "Digest, plaintext secret: 200" "200 device 000b82123456 of store-a" \
    "$(get lab.test - /digest/cfg000b82123456.xml --digest -u "gs-123456:$S_A56")"
before_dig=$(elog | grep -c 'password mismatch'); before=$(n401)
check "Digest, wrong password: 401" 401 \
    "$(status lab.test - /digest/cfg000b82123456.xml --digest -u "gs-123456:$WRONG")"
check "  ... logged (mod_auth_digest's password mismatch)" 1 \
    "$(( $(elog | grep -c 'password mismatch') - before_dig ))"
# mod_auth_digest compares Digest responses itself; its AH01794 line has
# the client and the device's file (fail2ban's stock apache-auth filter
# reads it, see conf/fail2ban-gsprov.conf); no GSPROV0401 is added
check "  ... mod_auth_digest's line names the client and the device's file" 1 \
    "$(elog | grep -cP '\[client 127\.0\.0\.1:\d+\] AH01794: user gs-123456: password mismatch: /digest/cfg000b82123456\.xml$')"
check "  ... and no GSPROV0401 for it" 0 "$(( $(n401) - before ))"
check "Digest, hashed secret cannot serve Digest: 401" 401 \
    "$(status lab.test - /digest/cfg000b82aa0001.xml --digest -u "gs-bcrypt:$S_BCRYPT")"
check "encrypted device (<password>): Basic 200, served encrypted" "200 Salted__" \
    "$(get lab.test - /basic/cfg000b82aa0006.xml -u "gs-enc:$S_A56")"
check "  ... decrypts with openssl enc -d and the XML password" 1 \
    "$(openssl enc -d -aes-256-cbc -md md5 -k "$S_XML" -in "$tmp/out" 2>/dev/null | grep -c "<P34>$S_SIP_ENC</P34>")"

echo "# rotation"
R=/basic/cfg000b82aa0004.xml
check "rotation: current secret works" "200 device 000b82aa0004 of store-a" \
    "$(get lab.test - $R -u "gs-rot:$S_OLD")"
check "rotation: next secret works" "200 device 000b82aa0004 of store-a" \
    "$(get lab.test - $R -u "gs-rot:$S_NEW")"
check "rotation: anything else: 401" 401 "$(status lab.test - $R -u "gs-rot:$WRONG")"
record store-a 000b82aa0004 "<username>gs-rot</username><secret>$S_NEW</secret>"
check "rotation done (old secret removed): old fails" 401 "$(status lab.test - $R -u "gs-rot:$S_OLD")"
check "rotation done: new works" "200 device 000b82aa0004 of store-a" \
    "$(get lab.test - $R -u "gs-rot:$S_NEW")"
D=/digest/cfg000b82aa0005.xml
check "Digest rotation: old username/secret" "200 device 000b82aa0005 of store-a" \
    "$(get lab.test - $D --digest -u "gs-dig1:$S_DOLD")"
check "Digest rotation: next username/secret" "200 device 000b82aa0005 of store-a" \
    "$(get lab.test - $D --digest -u "gs-dig2:$S_DNEW")"
check "Digest rotation: pairs do not cross (gs-dig1 + next secret): 401" 401 \
    "$(status lab.test - $D --digest -u "gs-dig1:$S_DNEW")"
record store-a 000b82aa0005 "<username>gs-dig2</username><secret>$S_DNEW</secret>"
check "Digest rotation done: old pair fails" 401 "$(status lab.test - $D --digest -u "gs-dig1:$S_DOLD")"
check "Digest rotation done: new pair works" "200 device 000b82aa0005 of store-a" \
    "$(get lab.test - $D --digest -u "gs-dig2:$S_DNEW")"
check "Basic on the Digest pairs: second username with its secret" "200 device 000b82aa0005 of store-a" \
    "$(get lab.test - /basic/cfg000b82aa0005.xml -u "gs-dig2:$S_DNEW")"

echo "# Require gsprov-device"
check "AuthBasicProvider file + Require gsprov-device: the device's user" \
    "200 device 000b82123456 of store-a" "$(get lab.test - $(sed 's|/prov|/file|' <<<$A56) -u "gs-123456:$S_FILE")"
check_in "  ... a valid file user who is not the device's: 401/403" "401 403" \
    "$(status lab.test - /file/cfg000b82123456.xml -u "intruder:$S_INTRUDER")"
check "  ... logged as GSPROV0402" 1 \
    "$(elog | grep -c 'GSPROV0402: .*user "intruder" is not the user of device 000b82123456')"
check_in "  ... the device's user on another device's file: 401/403" "401 403" \
    "$(status lab.test - /file/cfg000b82123457.xml -u "gs-123456:$S_FILE")"
check "  ... wrong file password: 401" 401 \
    "$(status lab.test - /file/cfg000b82123456.xml -u "gs-123456:$WRONG")"
check "  ... a valid file user, the device's record unreadable: 500" 500 \
    "$(status lab.test - /file/cfg000b82aa0009.xml -u "intruder:$S_INTRUDER")"
check "  ... logged as GSPROV0406 naming the record, not as a refusal (GSPROV0402)" "1 0" \
    "$(elog | grep -c 'GSPROV0406: Require gsprov-device of device 000b82aa0009, user "intruder": the record cannot be read: .*/devices/000b82aa0009\.xml: not a regular file$') $(elog | grep -c 'GSPROV0402: .*device 000b82aa0009')"
check "AuthBasicProvider gsprov + Require gsprov-device: 200" \
    "200 device 000b82123456 of store-a" "$(get lab.test - /basic-device/cfg000b82123456.xml -u "gs-123456:$S_A56")"
check "AuthBasicProvider gsprov + Require gsprov-device, cfg.xml, username a MAC (as authn): 200" \
    "200 generic A" "$(get lab.test - /basic-device/cfg.xml -u "000b82aa0007:$S_A57")"

# ---------------------------------------------------------------- isolation
echo "# tenant isolation (same port, SNI; both stores have 000b82123456)"
check "tenant A's device cert + password at a.test: A's file" "200 device 000b82123456 of store-a" \
    "$(get a.test a-dev $A56 -u "gs-123456:$S_A56")"
check "tenant B's device cert + password at b.test: B's file" "200 device 000b82123456 of store-b" \
    "$(get b.test b-dev $A56 -u "gs-123456:$S_B56")"
check "B's device cert at a.test: TLS refused (unknown CA)" fail \
    "$(status a.test b-dev $A56 -u "gs-123456:$S_B56")"
check "A's device cert at b.test: TLS refused (unknown CA)" fail \
    "$(status b.test a-dev $A56 -u "gs-123456:$S_A56")"
check "A's device cert with tenant B's password at a.test: 401" 401 \
    "$(status a.test a-dev $A56 -u "gs-123456:$S_B56")"
mix=""
for i in 1 2 3 4; do
    get a.test a-dev $A56 -u "gs-123456:$S_A56" >/dev/null
    grep -q "<P3>device 000b82123456 of store-a</P3>" out && grep -q "<P34>$S_SIP_A</P34>" out \
        && grep -q "<P47>sip.a.test</P47>" out && ! grep -q "store-b\|$S_SIP_B\|b\.test" out || mix="$mix A$i"
    get b.test b-dev $A56 -u "gs-123456:$S_B56" >/dev/null
    grep -q "<P3>device 000b82123456 of store-b</P3>" out && grep -q "<P34>$S_SIP_B</P34>" out \
        && grep -q "<P47>sip.b.test</P47>" out && ! grep -q "store-a\|$S_SIP_A\|a\.test" out || mix="$mix B$i"
done
check "A and B alternately, 4 times each: each gets its own bytes and variables" "" "$mix"
r=$(get b.test b-dev $A56 -u "gs-123456:$S_B56" -H "Host: a.test:$port")
check_in "SNI b.test with B's cert but Host a.test: refused (421), never A's file" "421 400 403" "$r"
r=$(get b.test b-dev /fw/000b82123456/fw.bin)
check "B's firmware for B's cert" "200 B firmware 1.0" "$r"
check "b.test's cfg.xml is B's" "200 generic B" \
    "$(get b.test b-dev /prov/cfg.xml -u "000b82aa0007:$S_B56")"
check "b.test's cfg.xml with tenant A's credentials for the same username: 401" 401 \
    "$(status b.test b-dev /prov/cfg.xml -u "000b82aa0007:$S_A57")"

# ---------------------------------------------------------------- log injection
echo "# log injection"
# a username with a newline and a forged prefix (Basic splits at the first
# ':', so the forgery has none); and one with a quote and a second [client]
inj=$(printf 'x\n[Fri Nov 27 00.00.00 2026] [gsprov.error] [pid 1] [client 6.6.6.6] GSPROV0401 forged\n:pw' | base64 -w0)
check "username with a newline: 401" 401 \
    "$(status lab.test - /basic/cfg000b82123456.xml -H "Authorization: Basic $inj")"
check "  ... logged escaped on one line" 1 "$(elog | grep -c 'GSPROV0401: .*user "x\\n\[Fri Nov 27 00.00.00 2026\] .*GSPROV0401 forged\\n": ')"
check "username with a quote and a [client] of its own: 401" 401 \
    "$(status lab.test - /basic/cfg000b82123456.xml -u 'y" [client 6.6.6.6:1] GSPROV0401 x:pw')"

httpd_stop "$tmp/httpd.conf"
logs_debug=$(cat "$tmp"/logs/*)

# every [error]/[warn] line is one the requests above asked for: refusals
# by the providers, authz_core, auth_basic/digest, mod_ssl's SNI check
expected='GSPROV040[1456]:|AH0163[01]:|AH0161[78]:|AH0179[04]:|AH02032:|AH01873:|AH01882:'
check "no unexpected [error]/[warn] line (crashes, GSPROV01xx, ...)" "" \
    "$(grep -a '\[[a-z_0-9]*:\(warn\|error\|crit\|alert\|emerg\)\]' <<<"$logs_debug" | grep -Ev "$expected" | head -3)"

# ---------------------------------------------------------------- fail2ban
echo "# fail2ban filter"
f2b=$src/conf/fail2ban-gsprov.conf
fre=$(sed -n 's/^failregex = //p' "$f2b")
check "the filter has one failregex" 1 "$(grep -c . <<<"$fre")"
# fail2ban cuts the timestamp out of the line ("[]" is left); <HOST> as
# fail2ban 0.9 spelled it for an address
pre=$(sed -e 's/<HOST>/(?:::f{4,6}:)?(?<host>[\\w\\-.^_]*\\w)/' \
          -e 's/<F-USER>/(?<user>/; s/<\/F-USER>/)/' <<<"$fre")
cut_date() { sed -E 's/^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:.]+ [0-9]{4}\]/[]/'; }
n=$(n401)
m=$(cat "$tmp"/logs/*error* | cut_date | grep -cP "$pre")
check "every GSPROV0401 line of this run matches the filter ($n lines)" "$n" "$m"
check "at least 8 GSPROV0401 lines were written" 1 "$([ "$n" -ge 8 ] && echo 1)"
hosts=$(cat "$tmp"/logs/*error* | cut_date | perl -ne "print \"\$+{host}\\n\" if /$pre/" | sort -u)
check "the filter extracts the client address 127.0.0.1 and no other" 127.0.0.1 "$hosts"
check "the forged line in a username does not start a log line" 0 \
    "$(grep -c '^\[Fri Nov 27 00.00.00 2026\]' <<<"$logs_debug")"
check "no other line matches the filter" 0 \
    "$(cat "$tmp"/logs/*error* | grep -v '\[gsprov:error\]' | cut_date | grep -cP "$pre")"
if command -v fail2ban-regex >/dev/null; then
    mkdir -p f2b
    cp "$f2b" f2b/gsprov.conf
    cat "$tmp"/logs/*error* > f2b/all.log
    out=$(fail2ban-regex f2b/all.log "$tmp/f2b/gsprov.conf" 2>&1)
    check "fail2ban-regex: matched lines = GSPROV0401 lines" "$n" \
        "$(sed -n 's/^Lines: [0-9]* lines, [0-9]* ignored, \([0-9]*\) matched.*/\1/p' <<<"$out")"
    check "fail2ban-regex -o ip: 127.0.0.1, $n times" "$n 127.0.0.1" \
        "$(fail2ban-regex -o ip f2b/all.log "$tmp/f2b/gsprov.conf" 2>&1 | sort | uniq -c | sed 's/^ *//')"
else
    echo "# fail2ban-regex not installed: checked with grep -P only"
fi

# ---------------------------------------------------------------- fail2ban: PIN claims
# conf/fail2ban-gsprov-claim.conf against the lines of real wrong-PIN
# claims: a server of its own (plain HTTP, an admin location) creates an
# activation and claims it with wrong PINs until it locks.  Its logs stay
# in claim/, away from the logs the other sections read (cut_date, user
# and group are the ones above).
echo "# fail2ban claim filter"
cl_dir=$tmp/claim
cl_port=$(free_port)
mkdir -p "$cl_dir/store/devices"
echo '<gs_provision version="1"><config version="1"><P2>claim</P2></config></gs_provision>' \
    > "$cl_dir/store/defaults.xml"
: > "$cl_dir/audit.log"
chmod 777 "$cl_dir/store" "$cl_dir/store/devices"; chmod 666 "$cl_dir/audit.log"; chmod a+rx "$cl_dir"
httpd_conf_head -l info "$cl_dir/httpd.conf" "$cl_port" "$cl_dir/error_log" authz_host
cat >> "$cl_dir/httpd.conf" <<CONF
DocumentRoot $cl_dir
GsProvRoot $cl_dir/store
GsProvAuditLog $cl_dir/audit.log
GsProvClaimMaxFailures 3
<Location /admin>
    SetHandler gsprov-admin
    Require ip 127.0.0.1
</Location>
CONF
cl_post() {  # cl_post PATH JSON -> the status code
    curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        --data "$2" "http://127.0.0.1:$cl_port/admin$1"
}
cl_pin=804172639051; cl_wrong=314159265358
cl_codes=""
if httpd_start -u "http://127.0.0.1:$cl_port/admin/devices" "$cl_dir/httpd.conf"; then
    cl_codes=$(cl_post /activations "{\"number\":\"5550101\",\"pin\":\"$cl_pin\"}")
    for _ in 1 2 3 4; do
        cl_codes="$cl_codes $(cl_post /claim "{\"mac\":\"000b82c1a1f0\",\"number\":\"5550101\",\"pin\":\"$cl_wrong\"}")"
    done
    httpd_stop "$cl_dir/httpd.conf"
fi
check "claim server: activation 201, wrong PINs 403 403, then locked 423 423" \
    "201 403 403 423 423" "$cl_codes"
cl_f2b=$src/conf/fail2ban-gsprov-claim.conf
cl_fre=$(sed -n 's/^failregex = //p' "$cl_f2b")
check "the claim filter has one failregex" 1 "$(grep -c . <<<"$cl_fre")"
cl_pre=$(sed -e 's/<HOST>/(?:::f{4,6}:)?(?<host>[\\w\\-.^_]*\\w)/' <<<"$cl_fre")
cl_n=$(grep -c 'GSPROV070[78]:' "$cl_dir/error_log")
check "4 wrong-PIN claims logged 2 GSPROV0707 and 2 GSPROV0708 lines" "2 2" \
    "$(grep -c 'GSPROV0707:' "$cl_dir/error_log") $(grep -c 'GSPROV0708:' "$cl_dir/error_log")"
check "every GSPROV0707/0708 line matches the claim filter ($cl_n lines)" "$cl_n" \
    "$(cut_date < "$cl_dir/error_log" | grep -cP "$cl_pre")"
check "the claim filter extracts the client address 127.0.0.1 and no other" 127.0.0.1 \
    "$(cut_date < "$cl_dir/error_log" | perl -ne "print \"\$+{host}\\n\" if /$cl_pre/" | sort -u)"
check "no other line of the claim server matches the claim filter" 0 \
    "$(grep -v 'GSPROV070[78]:' "$cl_dir/error_log" | cut_date | grep -cP "$cl_pre")"
check "no line of the TLS run matches the claim filter" 0 \
    "$(cat "$tmp"/logs/*error* | cut_date | grep -cP "$cl_pre")"
check "neither the PIN nor the wrong PIN is in the claim server's logs" 0 \
    "$(cat "$cl_dir/error_log" "$cl_dir/audit.log" | grep -cE "$cl_pin|$cl_wrong")"

# ---------------------------------------------------------------- secrets in logs
echo "# secrets in the logs (LogLevel debug, gsprov:trace8)"
check "the run wrote error, access and per-tenant logs" 1 \
    "$([ -s logs/error_log ] && [ -s logs/access_log ] && [ -s logs/a.test-error.log ] \
       && [ -s logs/a.test-access.log ] && [ -s logs/b.test-access.log ] && echo 1)"
check "access log carries the notes (mac=, result=, cert=)" 1 \
    "$(grep -c 'gs-123456 .*" 200 .*mac=000b82123456 file=device-xml result=ok .*cert=000b82123456 verify=SUCCESS' logs/a.test-access.log | sed 's/^[1-9][0-9]*$/1/')"
leaks=""
for s in $secrets; do
    grep -qF -- "$s" <<<"$logs_debug" && leaks="$leaks $s"
done
check "no password, secret, XML password or SIP password in any log" "" "$leaks"
b64leaks=""
while read -r cred; do
    b=$(printf %s "$cred" | base64 -w0)
    grep -qF -- "$b" <<<"$logs_debug" && b64leaks="$b64leaks $cred"
done <<EOF
gs-123456:$S_A56
gs-123456:$WRONG
gs-rot:$S_OLD
EOF
check "no Basic credentials (base64) in any log" "" "$b64leaks"

# the same requests once more at LogLevel trace8: plaintext secrets must
# not appear in our lines; httpd's own trace output (mod_ssl's I/O dumps
# at trace7 show request and response bytes) is reported, not judged
echo "# LogLevel trace8 (httpd's own trace output is reported, not judged)"
mkdir -p logs-debug && mv logs/* logs-debug/
write_conf trace8
start_httpd
get a.test a-dev $A56 -u "gs-123456:$S_A56" >/dev/null
status lab.test - /basic/cfg000b82123456.xml -u "gs-123456:$WRONG" >/dev/null
get lab.test - /basic/cfg000b82aa0006.xml -u "gs-enc:$S_A56" >/dev/null
get lab.test - /digest/cfg000b82123456.xml --digest -u "gs-123456:$S_A56" >/dev/null
status lab.test - /digest/cfg000b82123456.xml --digest -u "gs-123456:$WRONG" >/dev/null
get lab.test - /basic/cfg000b82aa0001.xml -u "gs-bcrypt:$S_BCRYPT" >/dev/null
httpd_stop "$tmp/httpd.conf"
trace=$(cat "$tmp"/logs/* | tr -d '\000')
check "trace8 run logged GSPROV0401" 1 "$(grep -c GSPROV0401 <<<"$trace" | sed 's/^[1-9][0-9]*$/1/')"
ours=$(grep '\[gsprov:' <<<"$trace")
leaks=""
for s in $secrets; do grep -qF -- "$s" <<<"$ours" && leaks="$leaks $s"; done
check "trace8: no secret in any [gsprov:*] line" "" "$leaks"
leaks=""
for s in $secrets; do
    grep -F -- "$s" <<<"$trace" | grep -qv '^\[[^]]*\] \[\(ssl\|core\|http\|http2\|authn_core\|auth_basic\|auth_digest\):trace' \
        && leaks="$leaks $s"
done
check "trace8: no plaintext secret outside httpd's own trace lines" "" "$leaks"
for s in $secrets; do
    n=$(grep -cF -- "$s" <<<"$trace")
    [ "$n" -gt 0 ] && echo "# note: trace8: '$s' appears in $n line(s) of httpd's own trace output ($(grep -F -- "$s" <<<"$trace" | grep -o '^\[[^]]*\] \[[a-z0-9_]*:trace[0-9]\]' | sed 's/.*\[//; s/\]//' | sort -u | tr '\n' ' '))"
done
n=0
for cred in "gs-123456:$S_A56" "gs-123456:$WRONG" "gs-enc:$S_A56" "gs-bcrypt:$S_BCRYPT"; do
    b=$(printf %s "$cred" | base64 -w0)
    n=$((n + $(grep -F -- "$b" <<<"$trace" | grep -vc '\[gsprov:')))
done
[ "$n" -gt 0 ] && echo "# note: trace8: Basic credentials (base64) appear in $n line(s) of httpd's own trace output ($(grep -F 'Authorization: Basic' <<<"$trace" | sed -E 's/.*\[([a-z0-9_]+:trace[0-9])\] \[pid [^]]*\] ([a-z_0-9]+\.c\([0-9]+\)).*/\1 \2/' | sort -u | tr '\n' ' '))"

harness_done
