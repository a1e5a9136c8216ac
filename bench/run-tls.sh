#!/usr/bin/env bash
# TLS new-connection benchmark of mod_gsprov: a reboot storm over HTTPS
# with client certificates, one new connection per device request.
#
# One httpd (A) on loopback with mod_ssl; every device presents its own
# certificate (CN = its MAC, RSA-2048, from a CA made here) and /prov has
# "Require gsprov-client-cert" (the file of that very MAC only). Side by
# side in the same run, alternating, each row measured on
#   gsprov  /prov/cfg<mac>.xml (rendered, encrypted; no render cache)
#   static  /static/cfg<mac>.xml, the same bytes as a file, same vhost
# Rows (each for TLS 1.3 and TLS 1.2):
#   a) full handshakes, one request per connection (openssl s_time -new):
#        rsa    RSA-2048 server key only
#        ecdsa  ECDSA P-256 + RSA-2048 (mod_ssl picks ECDSA for clients
#               that offer it; old clients still get RSA)
#   b) resumed connections (openssl s_time -reuse), on the ecdsa setup:
#        tickets   SSLSessionTickets on, SSLSessionTicketKeyFile
#        shmcb     SSLSessionTickets off: SSLSessionCache shmcb (per node)
#        memcache  the same on httpd B, identical but for
#                  SSLSessionCache memcache: (mod_socache_memcache, a
#                  memcached started here: what a farm shares). The
#                  session cache is per server, not per vhost, hence B;
#                  both run throughout.
#   c) keep-alive, a device's binary + XML (bench/tls-pairs.py), ecdsa:
#        ka        both requests on one connection
#        two       two connections, two full handshakes
#        resume    two connections, the second resumed (ticket)
# Every request is checked in the access log (status 200, protocol, and
# whether the session was resumed) and the request counts must agree.
# Reported: requests/s (pairs/s for c), httpd CPU ms per request, and
# gsprov/static ratios; the medians over ROUNDS.
#
# Usage: bench/run-tls.sh     (about 10 minutes; needs make done first)
# Env:   ROUNDS=3, DURATION=4 (s per measurement), CLIENTS=4 (parallel
#        clients, one device each), PIN=1 (httpd on CPU 0, clients on 1),
#        ROW_LIST="rsa ecdsa ..." (a subset of the rows), SETTLE=30 (s to
#        wait for a load below 1), MODULE_FROM=tree|HEAD, OUT=bench/out
# Only loopback traffic. Scratch files go to bench/out (gitignored).
set -euo pipefail
. "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-4}
CLIENTS=${CLIENTS:-4}
PIN=${PIN:-0}
bench_setup openssl curl memcached python3
# the interpreter itself, not pyenv's shim (a shell script per start)
PY=$(pyenv which python3 2>/dev/null || command -v python3)

T=$OUT/tls
mkdir -p "$T"
t0=$(date +%s)
echo "== mod_gsprov TLS new-connection benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s) ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by the clients, httpd and memcached ($([ "$PIN" = 1 ] && echo "PIN=1: httpd+memcached on CPU 0, clients on CPU 1" || echo "no pinning"))"
echo "         $("$APACHE" -v | awk -F': ' '/version/ {print $2}'), $(openssl version), $(python3 --version), $(memcached -V)"
echo "module:  $MODULE ($MODULE_DESC)"
for ((i = 0; i < ${SETTLE:-30}; i++)); do
    awk '{exit !($1 < 1.0)}' /proc/loadavg && break; sleep 1
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load0 at start"

# ------------------------------------------------------------ certificates
# as t/system/fw-cert.sh: a CA, the server's keys, one certificate per device
sslq() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
sslq req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gsprov bench CA" \
    -keyout "$T/ca.key" -out "$T/ca.crt"
server_cert() {     # server_cert NAME KEYGEN-ARGS...
    local n=$1; shift
    sslq req -newkey "$@" -nodes -subj "/CN=127.0.0.1" -keyout "$T/$n.key" -out "$T/$n.csr"
    sslq x509 -req -in "$T/$n.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
        -days 2 -out "$T/$n.crt"
}
server_cert srv-rsa rsa:2048
server_cert srv-ecdsa ec -pkeyopt ec_paramgen_curve:P-256
# the ticket key shared by every node of a farm: 48 random bytes
openssl rand -out "$T/ticket.key" 48

NDEV=$CLIENTS gen_store "$OUT/store"
mapfile -t MACS < <(ls "$OUT/store/devices" | sed 's/\.xml$//')
for mac in "${MACS[@]}"; do
    sslq req -newkey rsa:2048 -nodes -subj "/CN=$mac/O=gsprov bench" \
        -keyout "$T/$mac.key" -out "$T/$mac.csr"
    sslq x509 -req -in "$T/$mac.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
        -CAcreateserial -days 2 -out "$T/$mac.crt"
done
echo "certs:   CA RSA-2048; server RSA-2048 and ECDSA P-256; $CLIENTS device certificates (RSA-2048, CN = MAC)"

# -------------------------------------------------------------------- httpd
MPORT=$(free_port 6)
PORT=$((MPORT + 1)); P_RSA=$((MPORT + 2)); P_ECDSA=$((MPORT + 3)); P_CACHE=$((MPORT + 4))
PORT_B=$((MPORT + 5))
rm -rf "$OUT/run/tls-a" "$OUT/run/tls-b" "$OUT/logs/tls-a" "$OUT/logs/tls-b"
mkdir -p "$OUT/run"
memcached_start -o "-t 1 -m 64" "$OUT/run/memcached-tls.pid" "$MPORT" "${HTTPD_PIN[@]}" \
    || die "memcached did not start"

# tls_vhost PORT NAME TICKETS KEYS...: one HTTPS vhost per setup. This
# block is what README's "TLS at reboot-storm scale" shows.
tls_vhost() {
    local port=$1 name=$2 tickets=$3 k; shift 3
    echo
    echo "Listen 127.0.0.1:$port https"
    echo "<VirtualHost 127.0.0.1:$port>"
    echo "    # $name"
    echo "    ServerName 127.0.0.1"
    echo "    SSLEngine on"
    echo "    SSLProtocol -all +TLSv1.2 +TLSv1.3"
    for k in "$@"; do
        echo "    SSLCertificateFile    $T/$k.crt"
        echo "    SSLCertificateKeyFile $T/$k.key"
    done
    echo "    SSLCACertificateFile  $T/ca.crt"
    echo "    SSLVerifyClient optional"
    echo "    SSLVerifyDepth  1"
    if [ "$tickets" = on ]; then
        echo "    SSLSessionTickets on"
        echo "    SSLSessionTicketKeyFile $T/ticket.key"
    else
        echo "    SSLSessionTickets off"
    fi
    echo "    <Location /prov>"
    echo "        Require gsprov-client-cert"
    echo "    </Location>"
    echo "</VirtualHost>"
}
# tls_conf CONF PORT SESSIONCACHE VHOST-LINES...
tls_conf() {
    local conf=$1 port=$2 cache=$3
    write_conf "$conf" "$port"
    cat >> "$conf" <<EOF

# (below: bench/run-tls.sh)
LoadModule ssl_module $APACHE_MODDIR/mod_ssl.so
LoadModule socache_shmcb_module $APACHE_MODDIR/mod_socache_shmcb.so
LoadModule socache_memcache_module $APACHE_MODDIR/mod_socache_memcache.so
SSLSessionCache $cache
SSLSessionCacheTimeout 300
# one line per request: what each measurement checks
LogFormat "%{msec}t %{local}p %U %>s %{SSL_PROTOCOL}x %{SSL_SESSION_RESUMED}x %{SSL_CLIENT_S_DN_CN}x" tls
CustomLog "$(dirname "$(_h_directive PidFile "$conf")")/access_log" tls
EOF
}
ECDSA_DESC="ecdsa: ECDSA P-256 first, RSA-2048 for old clients; tickets"
CONF_A=$OUT/httpd-tls-a.conf
CONF_B=$OUT/httpd-tls-b.conf
RUN_DIR=$OUT/run/tls-a LOG_DIR=$OUT/logs/tls-a tls_conf "$CONF_A" "$PORT" \
    "shmcb:$OUT/run/tls-a/ssl_scache(512000)"
{
    tls_vhost "$P_RSA" "rsa: RSA-2048 only" on srv-rsa
    tls_vhost "$P_ECDSA" "$ECDSA_DESC" on srv-ecdsa srv-rsa
    tls_vhost "$P_CACHE" "cache: ECDSA + RSA, no tickets: the session cache" off srv-ecdsa srv-rsa
} >> "$CONF_A"
RUN_DIR=$OUT/run/tls-b LOG_DIR=$OUT/logs/tls-b tls_conf "$CONF_B" "$PORT_B" \
    "memcache:127.0.0.1:$MPORT"
tls_vhost "$((P_CACHE + 100))" "cache: ECDSA + RSA, no tickets: the session cache" off srv-ecdsa srv-rsa >> "$CONF_B"
P_MEMC=$((P_CACHE + 100))
rm -rf "$OUT/docroot"; mkdir -p "$OUT/docroot/static"
[ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT"
for c in "$CONF_A" "$CONF_B"; do
    ctest=$(httpd -f "$c" -t 2>&1) || { echo "$ctest" >&2; die "config test failed: $c"; }
done
httpd_start -t 15 -u "http://127.0.0.1:$PORT/" "$CONF_A" "${HTTPD_PIN[@]}" || die "httpd A did not come up"
httpd_start -t 15 -u "http://127.0.0.1:$PORT_B/" "$CONF_B" "${HTTPD_PIN[@]}" || die "httpd B did not come up"
PID_A=$OUT/run/tls-a/httpd.pid
PID_B=$OUT/run/tls-b/httpd.pid
LOG_A=$OUT/run/tls-a/access_log
LOG_B=$OUT/run/tls-b/access_log
echo "httpd:   A 127.0.0.1:$P_RSA (rsa) :$P_ECDSA (ecdsa, tickets) :$P_CACHE (no tickets, shmcb); B :$P_MEMC (no tickets, memcache: 127.0.0.1:$MPORT)"
echo "         mpm_event ThreadsPerChild $THREADS_PER_CHILD, MaxRequestWorkers $MAX_WORKERS, KeepAlive On, SSLVerifyClient optional + Require gsprov-client-cert"

# every device's files once through /prov, with its certificate: the
# static copies; a certificate of another MAC must be refused
for mac in "${MACS[@]}"; do
    for f in "cfg$mac" "cfg$mac.xml"; do
        code=$(curl -sk --cert "$T/$mac.crt" --key "$T/$mac.key" -o "$OUT/docroot/static/$f" \
            -w '%{http_code}' "https://127.0.0.1:$P_ECDSA/prov/$f") || code=fail
        [ "$code" = 200 ] || die "/prov/$f with its certificate: $code"
    done
done
[ "$(id -u)" = 0 ] && chmod -R a+rX "$OUT/docroot"
code=$(curl -sk --cert "$T/${MACS[1]}.crt" --key "$T/${MACS[1]}.key" -o /dev/null \
    -w '%{http_code}' "https://127.0.0.1:$P_ECDSA/prov/cfg${MACS[0]}.xml") || code=fail
[ "$code" = 403 ] || die "cfg${MACS[0]}.xml with ${MACS[1]}'s certificate: $code, not 403"
LEN_XML=$(stat -c %s "$OUT/docroot/static/cfg${MACS[0]}.xml")
LEN_BIN=$(stat -c %s "$OUT/docroot/static/cfg${MACS[0]}")   # (for the first device)
# which key each setup signs with, as an OpenSSL client sees it
sigtype() {     # sigtype PORT TLS
    openssl s_client -connect "127.0.0.1:$1" -"$2" -cert "$T/${MACS[0]}.crt" -key "$T/${MACS[0]}.key" \
        </dev/null 2>/dev/null | sed -n 's/^Peer signature type: //p'
}
s13=$(sigtype "$P_ECDSA" tls1_3); s12=$(sigtype "$P_ECDSA" tls1_2); sr=$(sigtype "$P_RSA" tls1_3)
[ "$s13" = ECDSA ] && [ "$s12" = ECDSA ] && [ "$sr" = RSA-PSS ] \
    || die "signature types: ecdsa vhost $s13/$s12, rsa vhost $sr"
echo "files:   cfg<mac>.xml $LEN_XML bytes (encrypted), cfg<mac> $LEN_BIN bytes; another MAC's certificate: 403"
echo "keys:    the ecdsa vhost signs with ECDSA (TLS 1.3 and 1.2), the rsa vhost with RSA-PSS"
echo "tools:   openssl s_time x $CLIENTS in parallel (rows a, b); bench/tls-pairs.py x $CLIENTS (row c); ${DURATION} s each, $ROUNDS rounds"

# README's "TLS at reboot-storm scale" shows the ecdsa vhost as run here,
# its paths under /etc/gsprov/tls and port 443: say so if it differs
readme_vhost=$(sed -n '/^### TLS at reboot-storm scale$/,/^## /p' "$REPO/README.md" \
    | sed -n '/^Listen 127.0.0.1:443 https$/,/^<\/VirtualHost>$/p')
[ "$readme_vhost" = "$(T=/etc/gsprov/tls tls_vhost 443 "$ECDSA_DESC" on srv-ecdsa srv-rsa | sed 1d)" ] \
    && echo "README:  its TLS snippet is this run's ecdsa vhost" \
    || echo "WARNING: README's TLS snippet is not this run's ecdsa vhost"

# ------------------------------------------------------------- measuring
# measure ROW TLS SIDE: one measurement -> "rate cpu_ms resumed% requests"
# (rate: requests/s for s_time rows, device pairs/s for keep-alive rows)
measure() {
    local row=$1 tls=$2 side=$3 port pidf log mode prefix n0 c0 c1 i mac total=0 lines pids=()
    local tdir=$OUT/tls-run
    prefix=/prov; [ "$side" = static ] && prefix=/static
    pidf=$PID_A; log=$LOG_A
    case $row in
        rsa) port=$P_RSA; mode=-new ;;
        ecdsa) port=$P_ECDSA; mode=-new ;;
        tickets) port=$P_ECDSA; mode=-reuse ;;
        shmcb) port=$P_CACHE; mode=-reuse ;;
        memcache) port=$P_MEMC; mode=-reuse; pidf=$PID_B; log=$LOG_B ;;
        ka|two) port=$P_ECDSA; mode=$row ;;
        resume) port=$P_ECDSA; mode=resume ;;
    esac
    rm -rf "$tdir"; mkdir -p "$tdir"
    n0=$(wc -l < "$log"); c0=$(httpd_cpu "$pidf")
    for ((i = 0; i < CLIENTS; i++)); do
        mac=${MACS[i]}
        case $mode in
            -new|-reuse)
                "${WRK_PIN[@]}" openssl s_time -connect "127.0.0.1:$port" "$mode" -tls${tls/./_} \
                    -cert "$T/$mac.crt" -key "$T/$mac.key" -time "$DURATION" \
                    -www "$prefix/cfg$mac.xml" > "$tdir/$i.out" 2>&1 & ;;
            *)
                "${WRK_PIN[@]}" "$PY" "$BENCH_DIR/tls-pairs.py" "$mode" "$port" "$prefix" "$mac" \
                    "$T/$mac.crt" "$T/$mac.key" "$tls" "$DURATION" \
                    "$(stat -c %s "$OUT/docroot/static/cfg$mac")" "$(stat -c %s "$OUT/docroot/static/cfg$mac.xml")" \
                    > "$tdir/$i.out" 2>&1 & ;;
        esac
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || { cat "$tdir"/*.out >&2; die "$row $tls $side: a client failed"; }; done
    c1=$(httpd_cpu "$pidf")
    case $mode in
        -new|-reuse) total=$(cat "$tdir"/*.out | sed -n 's/^\([0-9]*\) connections in [0-9.]*s;.*/\1/p' | awk '{s += $1} END {print s + 0}')
                     [ "$mode" = -reuse ] && total=$((total + CLIENTS)) ;;   # + the first, full one
        *) total=$(cat "$tdir"/*.out | sed -n 's/^pairs=\([0-9]*\) .*/\1/p' | awk '{s += $1} END {print s + 0}') ;;
    esac
    # the access log: every request of this measurement, 200, this port,
    # this protocol; the share of resumed sessions
    lines=$(tail -n +"$((n0 + 1))" "$log")
    local nreq want=$total bad res_n
    [ "$mode" = -new ] || [ "$mode" = -reuse ] || want=$((total * 2))
    nreq=$(grep -c . <<<"$lines" || true)
    bad=$(awk -v p="$port" -v v="TLSv$tls" '$2 != p || $4 != 200 || $5 != v || !index($3, $7)' <<<"$lines" | head -3)
    [ -z "$bad" ] || die "$row $tls $side: unexpected log lines: $bad"
    # s_time counts a connection only when its answer was read: a
    # connection cut at the end of the time may have been logged
    [ "$nreq" -ge "$want" ] && [ "$nreq" -le $((want + 2 * CLIENTS)) ] \
        || die "$row $tls $side: client counted $want requests, the access log has $nreq"
    res_n=$(awk '$6 == "Resumed"' <<<"$lines" | grep -c . || true)
    # the rate as httpd saw it: per client (certificate CN), from its
    # first to its last answer, summed (the clients start one after the
    # other on a loaded machine: their start-up is not part of it)
    local cpu_ms rate per=1
    [ "$mode" = -new ] || [ "$mode" = -reuse ] || per=2
    rate=$(awk -v per="$per" '!($7 in a) {a[$7] = $1} {b[$7] = $1; n[$7]++}
        END {for (c in n) if (b[c] > a[c]) r += (n[c] - 1) / per * 1000 / (b[c] - a[c]); printf "%.1f", r}' <<<"$lines")
    cpu_ms=$(awk -v c=$((c1 - c0)) -v n="$nreq" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", n ? c * 1000 / hz / n : 0}')
    echo "$rate $cpu_ms $(awk -v r="$res_n" -v n="$nreq" 'BEGIN {printf "%d", n ? 100 * r / n : 0}') $nreq"
}

read -ra ROWS <<<"${ROW_LIST:-rsa ecdsa tickets shmcb memcache ka two resume}"
declare -A RATE CPU RES
printf '%-5s %-9s %-4s %-7s %10s %8s %8s %8s\n' round row tls side rate cpu_ms resumed% requests
for ((r = 1; r <= ROUNDS; r++)); do
    for row in "${ROWS[@]}"; do
        for tls in 1.3 1.2; do
            # alternate which side goes first, so drift hits both alike
            sides=(gsprov static); [ $((r % 2)) = 0 ] && sides=(static gsprov)
            for side in "${sides[@]}"; do
                read -r rate cpu res nreq < <(measure "$row" "$tls" "$side")
                printf '%-5s %-9s %-4s %-7s %10s %8s %8s %8s\n' "$r" "$row" "$tls" "$side" "$rate" "$cpu" "$res" "$nreq"
                RATE[$row,$tls,$side]+="$rate "; CPU[$row,$tls,$side]+="$cpu "; RES[$row,$tls,$side]=$res
            done
        done
    done
done

# ------------------------------------------------------------- summary
echo
echo "medians over $ROUNDS rounds; rate = new-connection requests/s (rows ka/two/resume: device pairs/s,"
echo "binary + XML); cpu = httpd CPU ms per request; vs_rsa = gsprov rate / rsa gsprov rate, same TLS"
printf '%-9s %-4s %10s %10s %8s %9s %9s %8s %8s\n' row tls gsprov static g/s gs_cpu st_cpu resumed% vs_rsa
for row in "${ROWS[@]}"; do
    for tls in 1.3 1.2; do
        # shellcheck disable=SC2086
        g=$(median ${RATE[$row,$tls,gsprov]}); s=$(median ${RATE[$row,$tls,static]})
        # shellcheck disable=SC2086
        gc=$(median ${CPU[$row,$tls,gsprov]}); sc=$(median ${CPU[$row,$tls,static]})
        # shellcheck disable=SC2086
        base=$(median ${RATE[rsa,$tls,gsprov]:-0})
        vs=$(awk -v a="$g" -v b="$base" 'BEGIN {print b ? sprintf("%.2f", a / b) : "-"}')
        case $row in ka|two|resume) vs=- ;; esac   # pairs/s, not requests/s
        printf '%-9s %-4s %10s %10s %8s %9s %9s %8s %8s\n' "$row" "$tls" "$g" "$s" \
            "$(awk -v a="$g" -v b="$s" 'BEGIN {printf "%.2f", a / b}')" "$gc" "$sc" "${RES[$row,$tls,gsprov]}" "$vs"
    done
done
echo "memcached (session cache of B): $( { exec 3<>"/dev/tcp/127.0.0.1/$MPORT"; printf 'stats\r\nquit\r\n' >&3
    timeout 2 cat <&3; } 2>/dev/null | tr -d '\r' | awk '$2 ~ /^(get_hits|get_misses|cmd_set)$/ {printf "%s=%s ", $2, $3}')"
echo "error_log warn+ lines: A $(grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] ' "$OUT/logs/tls-a/error_log" 2>/dev/null || true), B $(grep -c ':\(warn\|error\|crit\|alert\|emerg\)\] ' "$OUT/logs/tls-b/error_log" 2>/dev/null || true)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at end (start $load0)"
echo "elapsed: $(( $(date +%s) - t0 )) s"
