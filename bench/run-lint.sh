#!/usr/bin/env bash
# Times `gsprov lint` over a generated store of 100,000 device records
# (issue 3: "100,000 device records linted in well under a minute").
#
#   bash bench/run-lint.sh [--record] [--runs N] [--keep]
#
#   GSPROV=./gsprov   the tool (make gsprov); NDEV=100000 device records
#   --record          append the command and numbers to bench/RESULTS.md
#   --runs N          time N lint runs over the same store (default 3)
#   --keep            leave the store in bench/out/lint-store
#
# The store: 5 models, 10 groups, defaults with 40 P-values; every device
# has a model, 1-3 groups, 8-12 <var>s and 8-12 overrides that use them,
# and a quarter of them a <password>.  Linting renders each device's XML
# and (v1) its binary file.  Page cache is warm (the store was just
# written), which is the normal case for a lint right after an edit.
# Not a test: it prints numbers, it asserts only that lint found 0 problems.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=${OUT:-$BENCH_DIR/out}
GSPROV=${GSPROV:-$REPO/gsprov}
NDEV=${NDEV:-100000}
RUNS=3; RECORD=0; KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --record) RECORD=1 ;;
        --runs) RUNS=$2; shift ;;
        --keep) KEEP=1 ;;
        *) echo "usage: $0 [--record] [--runs N] [--keep]" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$GSPROV" ] || { echo "run-lint: $GSPROV missing (make gsprov)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run-lint: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

STORE=$OUT/lint-store
mkdir -p "$OUT"
rm -rf "$STORE"
[ $KEEP = 1 ] || trap 'rm -rf "$STORE"' EXIT

gen_start=$SECONDS
perl - "$STORE" "$NDEV" <<'PERL'
use strict; use warnings;
my ($root, $ndev) = @ARGV;
mkdir $_ or die "$_: $!" for $root, "$root/models", "$root/groups", "$root/devices";
srand(42);
sub layer {
    my ($file, @kv) = @_;
    open my $h, '>', $file or die "$file: $!";
    print $h qq{<?xml version="1.0" encoding="UTF-8"?>\n<gs_provision version="1">\n  <config version="1">\n};
    while (my ($k, $v) = splice @kv, 0, 2) { print $h "    <$k>$v</$k>\n" }
    print $h "  </config>\n</gs_provision>\n";
    close $h;
}
layer("$root/defaults.xml",
    P237 => '${prov_host}/prov', P212 => 2, P192 => '${prov_host}/fw', P6767 => 2,
    P145 => 0, P238 => 0, P193 => 10080, P285 => 1, P8459 => 4, P286 => 0,
    P8458 => 1, P8463 => 1, P22030 => 1, P240 => 0, P30 => 'pool.ntp.org',
    P64 => 'CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00', P144 => 0, P143 => 1,
    P102 => 2, P122 => 1, P8 => 0, P47 => '${sip_server}', P130 => 1, P52 => 0,
    P31 => 1, P32 => 60, P40 => 5060, P39 => 5004, P78 => 0, P29 => 0, P57 => 0,
    P58 => 8, P59 => 9, P60 => 18, P61 => 2, P62 => 98, P46 => 123, P37 => 2,
    P79 => 101, P2 => 'admin-default');
my @models = qw(gxp2170 grp2614 ht802 gxp1628 grp2601);
for my $m (@models) {
    layer("$root/models/$m.xml",
        P2 => "admin-$m", P1362 => '${model}', P8345 => 1, P1376 => 1,
        P1378 => 0, P1397 => 1, P1399 => 0, P2916 => 1, P2917 => 0, P2918 => 1,
        P8400 => 'Welcome to ${model}', P22 => 1, P23 => 0, P24 => 0, P25 => 1,
        P334 => 2, P335 => 0, P336 => 1, P337 => 0, P338 => 1);
}
my @groups = qw(sales support engineering operations lobby floor1 floor2 floor3 floor4 sip-account);
for my $g (@groups) {
    if ($g eq 'sip-account') {
        layer("$root/groups/$g.xml", P35 => '${ext}', P36 => '${ext}',
              P34 => '${sip_pw}', P3 => '${display_name}', P270 => '${ext} ${display_name}',
              P33 => '*97', P271 => 1, P1360 => 'prov', P1361 => '${prov_pw}');
    } else {
        layer("$root/groups/$g.xml", P4000 => '${group}', P4001 => "dept-$g",
              P1347 => 1, P8345 => 0, P64 => 'EST5EDT', P301 => '${ext}',
              P302 => '${room}', P303 => '${label}');
    }
}
my @first = qw(Alice Bob Carol Dave Eve Frank Grace Heidi Ivan Judy Mallory Oscar Peggy Trent Victor Zoë);
for my $i (0 .. $ndev - 1) {
    my $mac = sprintf '000b82%06x', $i;
    my $m = $models[$i % @models];
    my @g = ('sip-account', $groups[$i % 9]);
    push @g, $groups[($i / 9) % 9] if $i % 3 == 0 && $groups[($i / 9) % 9] ne $g[1];
    my $ext = 1000 + $i;
    my %var = (ext => $ext, sip_pw => sprintf('pw%08x', int rand 0xffffffff),
               prov_pw => sprintf('pp%06x', $i), display_name => $first[$i % @first] . " $ext",
               room => 'R' . int($i / 40), label => "Desk $ext", vm => "*98$ext",
               speed1 => 2000 + $i % 100);
    my $nv = 8 + $i % 5;
    $var{"extra$_"} = "v$_-$i" for 1 .. $nv - 8;
    my @ov = (P3 => '${display_name}', P33 => '${vm}', P1362 => '${model}-${ext}',
              P270 => '${label}', P301 => '${speed1}', P302 => '${room}',
              P30 => 'ntp${ext}.example', P64 => 'UTC', P8400 => 'Hi ${display_name} &amp; co');
    push @ov, "P" . (5000 + $_) => "\${extra$_}" for 1 .. $nv - 8;
    open my $h, '>', "$root/devices/$mac.xml" or die $!;
    print $h qq{<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <model>$m</model>\n};
    print $h "  <group>$_</group>\n" for @g;
    print $h "  <password>xml-$mac</password>\n" if $i % 4 == 0;
    print $h qq{  <var name="$_">$var{$_}</var>\n} for sort keys %var;
    print $h qq{  <config version="1">\n};
    while (my ($k, $v) = splice @ov, 0, 2) { print $h "    <$k>$v</$k>\n" }
    print $h "  </config>\n</device>\n";
    close $h;
}
PERL
gen_s=$((SECONDS - gen_start))
store_mb=$(du -sm "$STORE" | cut -f1)
echo "run-lint: generated $NDEV device records in $STORE (${store_mb} MB) in ${gen_s}s"

CMD=("$GSPROV" lint --root "$STORE" --var sip_server=sip.bench.example --var prov_host=prov.bench.example)
results=()
for r in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$OUT/lint-time.txt" "${CMD[@]}" >"$OUT/lint-stdout.txt" 2>"$OUT/lint-stderr.txt" || {
        echo "run-lint: lint failed (exit $?):" >&2; head -20 "$OUT/lint-stdout.txt" "$OUT/lint-stderr.txt" >&2; exit 1; }
    grep -q "gsprov lint: $NDEV device records, 0 problems" "$OUT/lint-stderr.txt" || {
        echo "run-lint: unexpected lint summary:" >&2; cat "$OUT/lint-stderr.txt" >&2; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$OUT/lint-time.txt")
    user=$(awk -F': ' '/User time/ { print $2 }' "$OUT/lint-time.txt")
    sys=$(awk -F': ' '/System time/ { print $2 }' "$OUT/lint-time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/lint-time.txt")
    rate=$(awk -v n="$NDEV" -v w="$wall" 'BEGIN { printf "%d", (w > 0 ? n / w : 0) }')
    line="run $r: wall ${wall}s (user ${user}s, sys ${sys}s), $rate devices/s, max RSS $((rss / 1024)) MiB"
    echo "run-lint: $line"
    results+=("$line")
done

if [ $RECORD = 1 ]; then
    cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
    rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    dirty=$(git -C "$REPO" diff --quiet HEAD -- lib tools 2>/dev/null || echo " (working tree: uncommitted lib/ or tools/ changes)")
    {
        echo
        echo "## gsprov lint at 100,000 devices"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), git $rev$dirty, $(nproc) CPUs ($cpu), gsprov built with \`make gsprov\` (-O2)."
        echo "Store: $NDEV device records generated by \`bench/run-lint.sh\` (5 models, 10 groups,"
        echo "defaults with 40 P-values; per device a model, 2-3 groups, 8-12 vars and 9-13 overrides"
        echo "using them, a password on every 4th; ${store_mb} MB), page cache warm. Lint loads the"
        echo "templates, then parses, merges and renders every device (XML, and the binary file for"
        echo "v1 chains); found 0 problems. Single-threaded."
        echo
        echo '```'
        echo "bash bench/run-lint.sh --record     # NDEV=$NDEV, $RUNS runs; each run is:"
        echo "/usr/bin/time -v gsprov lint --root bench/out/lint-store --var sip_server=sip.bench.example --var prov_host=prov.bench.example"
        printf '%s\n' "${results[@]}"
        echo '```'
        echo
        echo "Target: well under a minute."
    } >>"$BENCH_DIR/RESULTS.md"
    echo "run-lint: appended to bench/RESULTS.md"
fi
