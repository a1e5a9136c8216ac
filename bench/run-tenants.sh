#!/usr/bin/env bash
# Memory per tenant: proportional set size (PSS, /proc/PID/smaps_rollup:
# each page shared by k processes counts 1/k in each) of every httpd
# child, with 1, 100 and 1,000 tenant vhosts (TENANTS="1 100 1000").
#
# Each tenant is a name-based vhost with its own directory store (the
# core benchmark's templates: defaults with 80 P-values, 3 models, 5
# groups; DEV=10 devices) and its own GsProvVar lines.  mpm_event with
# CHILDREN=2 children of 8 threads, no cache.  PSS is taken after the
# start, then after TRAFFIC=3 passes over every device of every tenant
# (cfg<mac>.xml, 8 in parallel, so both children serve every tenant).
# The per-tenant cost is the slope between the smallest and the largest
# count.  Prints one line per count; the numbers go to bench/RESULTS.md by
# hand, with the command.
#
#   bash bench/run-tenants.sh               (about 2 minutes)
#   MODULE=/path/to/mod_gsprov.so ...       another build (MODULE_FROM=rev)
set -euo pipefail
. "$(dirname "$0")/common.sh"

TENANTS=${TENANTS:-1 100 1000}
DEV=${DEV:-10}
CHILDREN=${CHILDREN:-2}
TRAFFIC=${TRAFFIC:-3}
bench_setup curl
BASE_STORE=$OUT/tenant-template
CONF=$OUT/httpd-tenants.conf
PIDFILE=$OUT/run/httpd-tenants.pid
PORT=$(free_port)

echo "== memory per tenant, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg); $("$APACHE" -v | awk -F': ' '/version/ {print $2}')"
echo "module:  $MODULE ($MODULE_DESC)"
NDEV=$DEV gen_store "$BASE_STORE"

pss() {     # pss PID -> kB
    awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}
rss() { awk '/^Rss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
children() { ps -o pid= --ppid "$(cat "$PIDFILE")" | tr -d ' '; }
measure() { # measure -> "parent_pss child_pss_avg child_rss_avg" (kB)
    local p c n=0 sp=0 sr=0
    p=$(cat "$PIDFILE")
    for c in $(children); do sp=$((sp + $(pss "$c"))); sr=$((sr + $(rss "$c"))); n=$((n + 1)); done
    echo "$(pss "$p") $((sp / n)) $((sr / n))"
}

printf '%-8s %-8s %12s %14s %14s   (kB)\n' tenants when parent_pss child_pss child_rss
declare -A idle_pss busy_pss
for n in $TENANTS; do
    rm -rf "$OUT/tenants"
    mkdir -p "$OUT/tenants" "$OUT/run" "$OUT/logs"
    so=$MODULE httpd_conf_head -P "$PIDFILE" "$CONF" "$PORT" "$OUT/logs/error_log-tenants"
    cat >> "$CONF" <<EOF
StartServers $CHILDREN
ServerLimit $CHILDREN
ThreadsPerChild 8
MaxRequestWorkers $((8 * CHILDREN))
MinSpareThreads 1
MaxSpareThreads $((8 * CHILDREN))
KeepAlive Off
EOF
    : > "$OUT/tenants.curl"
    for ((i = 1; i <= n; i++)); do
        cp -r "$BASE_STORE" "$OUT/tenants/t$i"
        # a value of its own in each tenant's defaults, as tenants have
        sed -i "s|<P30>pool.ntp.org</P30>|<P30>ntp.t$i.example</P30>|" "$OUT/tenants/t$i/defaults.xml"
        cat >> "$CONF" <<EOF
<VirtualHost *:$PORT>
    ServerName t$i.test
    GsProvRoot "$OUT/tenants/t$i"
    GsProvVar sip_server sip.t$i.example
    GsProvVar prov_host prov.t$i.example
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
EOF
        for ((d = 1; d <= DEV; d++)); do
            printf 'url = "http://t%d.test:%d/prov/cfg000b82%06x.xml"\noutput = "/dev/null"\n' "$i" "$PORT" "$d" >> "$OUT/tenants.curl"
        done
        echo "resolve = t$i.test:$PORT:127.0.0.1" >> "$OUT/tenants.curl"
    done
    chmod -R a+rX "$OUT/tenants"
    httpd -t -f "$CONF" >/dev/null 2>&1 || { httpd -t -f "$CONF"; die "config test failed"; }
    t0=$SECONDS
    httpd_start -t 120 "$CONF" || die "httpd did not start"
    started=$((SECONDS - t0))
    sleep 2
    read -r pp cp cr <<<"$(measure)"
    idle_pss[$n]=$cp
    printf '%-8s %-8s %12s %14s %14s\n' "$n" "start" "$pp" "$cp" "$cr"
    codes=""
    for ((k = 0; k < TRAFFIC; k++)); do
        codes+=$(curl -s --no-progress-meter --parallel --parallel-max 8 -w '%{http_code}\n' -K "$OUT/tenants.curl" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
    done
    sleep 1
    read -r pp cp cr <<<"$(measure)"
    busy_pss[$n]=$cp
    printf '%-8s %-8s %12s %14s %14s   (httpd up in %ss; answers: %s)\n' "$n" "traffic" "$pp" "$cp" "$cr" "$started" "$codes"
    # where a child's memory is: its mappings with the most private
    # (copied or its own) pages
    c=$(children | head -1)
    awk '/^[0-9a-f]+-[0-9a-f]+ / {m = $6 == "" ? "[anon]" : $6}
         /^Private_Dirty:/ {pd[m] += $2} /^Shared_Dirty:/ {sd[m] += $2} /^Shared_Clean:/ {sc[m] += $2}
         END {for (k in pd) if (pd[k] + sd[k] >= 1024) printf "         child %s: private dirty %d kB, shared %d kB  %s\n", "'"$c"'", pd[k], sd[k] + sc[k], k}' \
        "/proc/$c/smaps" | sort -t' ' -k6 -nr | head -5
    httpd_stop "$CONF"
done
first=${TENANTS%% *}; last=${TENANTS##* }
if [ "$first" != "$last" ]; then
    echo "per tenant, per child (PSS slope from $first to $last tenants): start $(( (idle_pss[$last] - idle_pss[$first]) / (last - first) )) kB, after traffic $(( (busy_pss[$last] - busy_pss[$first]) / (last - first) )) kB"
fi
