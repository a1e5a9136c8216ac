#!/bin/bash
# Firmware identified by a client certificate : real mod_ssl, a CA
# and certificates made here with the openssl command line, curl as the
# device.  A verified certificate whose subject CN is a MAC (with or
# without separators, any case) names the device when the path has no MAC
# segment; a certificate of a device the tenant does not know, or no
# certificate, leaves the device unknown (the tenant's default version);
# a certificate from another CA is refused by mod_ssl.
#
#   t/system/fw-cert.sh MODULE_SO      (a few seconds; runs as root or not)
set -u
so=$(readlink -f "${1:-.libs/mod_gsprov.so}")
. "$(dirname "$0")/harness.sh" fw-cert

cd "$tmp" || exit 1
# a CA, the server's certificate, and device certificates
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gsprov test CA" \
    -keyout ca.key -out ca.crt
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
    -keyout other.key -out other.crt
q openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout srv.key -out srv.csr
q openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out srv.crt
client() {  # client NAME CN CA
    q openssl req -newkey rsa:2048 -nodes -subj "/CN=$2/O=gsprov test" \
        -keyout "$1.key" -out "$1.csr"
    q openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" \
        -CAcreateserial -days 2 -out "$1.crt"
}
client plain 000b82123456 ca          # a known device, bare MAC
client colons 00:0B:82:12:34:57 ca    # a known device, separators, upper case
client stranger 000b82999999 ca       # a MAC the tenant has no record of
client notmac device-01 ca            # a CN that is no MAC
client foreign 000b82123456 other     # right MAC, wrong CA

mkdir -p store/devices fw/1.0 fw/2.0 fw/3.0 logs
echo "default image" > fw/1.0/gxp2170fw.bin
echo "image 2.0"     > fw/2.0/gxp2170fw.bin
echo "image 3.0"     > fw/3.0/gxp2170fw.bin
cat > store/defaults.xml <<'XML'
<gs_provision version="1"><var name="firmware">1.0</var><config version="1"/></gs_provision>
XML
echo '<device><var name="firmware">2.0</var></device>' > store/devices/000b82123456.xml
echo '<device><var name="firmware">3.0</var></device>' > store/devices/000b82123457.xml
chmod -R a+rX "$tmp"
port=$(free_port)
httpd_conf_head "$tmp/httpd.conf" "$port" "$tmp/logs/error_log" ssl
cat >> httpd.conf <<CONF
DocumentRoot $tmp
LogFormat "%U %>s id=%{gsprov-id}n mac=%{gsprov-mac}n v=%{gsprov-fw-version}n" fw
CustomLog $tmp/logs/access_log fw
SSLSessionCache none
SSLEngine on
SSLCertificateFile $tmp/srv.crt
SSLCertificateKeyFile $tmp/srv.key
SSLCACertificateFile $tmp/ca.crt
SSLVerifyClient optional
SSLVerifyDepth 1
GsProvRoot $tmp/store
GsProvFirmwareRoot $tmp/fw
<Location /fw>
    SetHandler gsprov-firmware
</Location>
CONF
httpd_start "$tmp/httpd.conf" || exit 1

get() {   # get CERT_NAME|- PATH -> "status body"
    local args=(-s --cacert "$tmp/ca.crt")
    [ "$1" != - ] && args+=(--cert "$tmp/$1.crt" --key "$tmp/$1.key")
    local body code
    body=$(curl "${args[@]}" -o "$tmp/out" -w '%{http_code}' \
           "https://127.0.0.1:$port$2" 2>/dev/null) || body=fail
    code=$body
    [ "$code" = 200 ] && echo "200 $(cat "$tmp/out")" || echo "$code"
}

check "certificate CN 000b82123456 names the device: its version 2.0" \
    "200 image 2.0" "$(get plain /fw/gxp2170fw.bin)"
check "CN with separators and upper case (00:0B:82:12:34:57): version 3.0" \
    "200 image 3.0" "$(get colons /fw/gxp2170fw.bin)"
check "a MAC path segment beats the certificate" \
    "200 image 3.0" "$(get plain /fw/000b82123457/gxp2170fw.bin)"
check "certificate of a device the tenant does not know: default version" \
    "200 default image" "$(get stranger /fw/gxp2170fw.bin)"
check "certificate whose CN is no MAC: default version" \
    "200 default image" "$(get notmac /fw/gxp2170fw.bin)"
check "no certificate: default version" \
    "200 default image" "$(get - /fw/gxp2170fw.bin)"
r=$(get foreign /fw/gxp2170fw.bin)
[ "${r%% *}" != 200 ] && check "certificate from another CA is refused by mod_ssl" x x \
    || check "certificate from another CA is refused by mod_ssl" "refused" "$r"

# the notes say how each device was identified
log=$(cat "$tmp/logs/access_log")
check "note: identified by cert" 1 "$(grep -c '^/fw/gxp2170fw.bin 200 id=cert mac=000b82123456 v=2.0$' <<<"$log")"
check "note: separators normalized" 1 "$(grep -c 'id=cert mac=000b82123457 v=3.0$' <<<"$log")"
check "note: path segment" 1 "$(grep -c '^/fw/000b82123457/gxp2170fw.bin 200 id=path mac=000b82123457 v=3.0$' <<<"$log")"
check "note: unknown devices are id=none" 3 "$(grep -c 'id=none mac=- v=1.0$' <<<"$log")"
# (but the startup notice naming the version, GSPROV0901, by design)
check "no gsprov line in the error log" 0 \
    "$(grep '\[gsprov:' "$tmp/logs/error_log" | grep -vc '\[gsprov:notice\] .*GSPROV0901: mod_gsprov/[^ ]* configured$')"
check "... but the startup notice naming the version" 1 \
    "$(grep '\[gsprov:notice\] .*GSPROV0901: mod_gsprov/[^ ]* configured$' "$tmp/logs/error_log" | grep -c . | awk '{ print ($1 > 0) }')"
harness_done
