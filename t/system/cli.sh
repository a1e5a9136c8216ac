#!/usr/bin/env bash
# CLI tests for the gsprov tool .
#
#   bash t/system/cli.sh [PATH/TO/gsprov]         (default ./gsprov)
#
# Builds nothing: it needs gsprov (make gsprov) and, for the server checks,
# the module at .libs/mod_gsprov.so (make), or GSPROV_MODULE=/path/to.so.
# Other knobs: APACHE (default /usr/sbin/apache2), APACHE_MODDIR
# (/usr/lib/apache2/modules), GSPROV_SPEC (the spec, for its binary example).
# Needs openssl, curl, perl, xxd, cmp.  Prints TAP-style "ok N - ..." lines
# and a last line "cli: P passed, F failed"; exits 1 if any check failed.
# Works as root (httpd then runs as nobody) and as an unprivileged user.
set -u
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
GSPROV=${1:-./gsprov}
case $GSPROV in /*) ;; *) GSPROV=$(pwd)/$GSPROV ;; esac
MODULE=${GSPROV_MODULE:-$REPO/.libs/mod_gsprov.so}
so=$MODULE
SPEC=${GSPROV_SPEC:-$REPO/../shared/spec/grandstream-provisioning.md}

# ok, nok, the count, $tmp, stopping httpd on exit: the harness's
. "$HERE/harness.sh" cli
note() { echo "# $*"; }

[ -x "$GSPROV" ] || { nok "$GSPROV is not an executable (run make gsprov)"; harness_done; exit 1; }
for tool in openssl curl perl xxd cmp; do
    command -v "$tool" >/dev/null || { nok "$tool is not installed"; harness_done; exit 1; }
done

TMP=$tmp
chmod 755 "$TMP"      # httpd's child (nobody, when root runs this) reads the store

# ---------------------------------------------------------------- helpers --

# run CMD...: stdout to $TMP/out, stderr to $TMP/err, exit code in RC
# (stdin is whatever the caller redirects).
run() { "$@" >"$TMP/out" 2>"$TMP/err"; RC=$?; }
diag() { echo "exit $RC; stderr: $(head -c 600 "$TMP/err")"; }

# expect RC STDERR_ERE DESC CMD...: exit code RC, stderr matching the ERE
# (if not empty), and for a failure nothing at all on stdout.
expect() {
    local want=$1 re=$2 desc=$3; shift 3
    run "$@"
    if [ "$RC" != "$want" ]; then
        nok "$desc" "expected exit $want" "$(diag)"
    elif [ -n "$re" ] && ! grep -Eq -- "$re" "$TMP/err"; then
        nok "$desc" "stderr does not match /$re/" "$(diag)"
    elif [ "$want" != 0 ] && [ -s "$TMP/out" ]; then
        nok "$desc" "stdout is not empty on failure: $(head -c 200 "$TMP/out" | xxd | head -3)"
    else
        ok "$desc"
    fi
}

# same_file A B DESC
same_file() {
    if cmp -s "$1" "$2"; then ok "$3"
    else nok "$3" "$(cmp "$1" "$2" 2>&1)" "sizes $(wc -c <"$1") vs $(wc -c <"$2")"; fi
}

# The independent reader/writer of the binary format ,
# written from the spec, sharing nothing with lib/gsprov_binary.c.
#   gsbin.pl read FILE [--tool]  -> "# mac=<mac>" + "P<n>=<value>" lines, exit 1 + reason
#   gsbin.pl info FILE   -> "words=N bytes=B sum=S mac=M items=K gnkey_last=1 pad=P"
#   gsbin.pl write MAC BODYFILE [--words N] [--pad4] [--bad-sum] [--len16]
#                        [--tool RRRR] -> binary on stdout
# --tool writes and reads files the way Grandstream's own generator
# (GS_CFG_GEN) does, as far as its output is publicly described: bytes 6-7
# FF 01, 8-9 random (RRRR), 10-11 a checksum of the body (its algorithm is
# not public: here the word sum of the body, which no reader checks)
# instead of the MAC, '+' for a space; --len16 writes the length in 16
# bits (bytes 2-3), as GS_CFG_GEN and older encoders do, and read --tool
# accepts that (the two differ only from 128 KiB up).
cat >"$TMP/gsbin.pl" <<'PERL'
use strict; use warnings;
binmode STDOUT; binmode STDERR;
my $mode = shift // die "mode\n";
sub slurp { my $f = shift; open my $h, '<:raw', $f or die "$f: $!\n"; local $/; my $d = <$h>; $d //= ''; return $d }
sub wordsum { my $d = shift; my $s = 0; $s += $_ for unpack('n*', $d); return $s & 0xFFFF }
sub bad { print STDERR "gsbin: $_[0]\n"; exit 1 }
if ($mode eq 'write') {
    my ($mac, $bodyf, @o) = @ARGV;
    my %o; while (@o) { my $k = shift @o; $o{$k} = ($k eq '--words' || $k eq '--tool') ? shift @o : 1 }
    my $body = slurp($bodyf);
    $body .= "\0" if length($body) % 2;
    $body .= "\0\0" if $o{'--pad4'} && length($body) % 4;
    my $words = defined $o{'--words'} ? $o{'--words'} : 8 + length($body) / 2;
    my $id = pack('H12', $mac);
    $id = "\xff\x01" . pack('H4', $o{'--tool'}) . pack('n', wordsum($body)) if $o{'--tool'};
    my $len = $o{'--len16'} ? pack('n n', 0, $words & 0xFFFF) : pack('N', $words);
    my $f = $len . pack('n', 0) . $id . "\r\n\r\n" . $body;
    my $c = (0x10000 - wordsum($f)) & 0xFFFF;
    $c ^= 1 if $o{'--bad-sum'};
    substr($f, 4, 2) = pack('n', $c);
    print $f; exit 0;
}
my $d = slurp(shift);
my $tool = @ARGV && $ARGV[0] eq '--tool';
my $size = length $d;
bad("$size bytes: shorter than the 16-byte header") if $size < 16;
bad("$size bytes: odd length") if $size % 2;
my ($words, $sum) = (unpack('N', $d), wordsum($d));
$words = unpack('n', substr($d, 2, 2)) + (($size / 2) & ~0xFFFF)
    if $tool && unpack('n', $d) == 0 && $words * 2 != $size;
bad("length field $words words, but the file is " . $size / 2 . " words") if $words * 2 != $size;
bad(sprintf("16-bit word sum is 0x%04x, not 0", $sum)) if $sum != 0;
my $mac = unpack('H12', substr($d, 6, 6));
$mac = 'none (GS_CFG_GEN header ' . unpack('H*', substr($d, 8, 4)) . ')'
    if $tool && substr($d, 6, 2) eq "\xff\x01";
bad("bytes 12-15 are not 0D 0A 0D 0A") if substr($d, 12, 4) ne "\r\n\r\n";
my $body = substr($d, 16);
my ($pad) = $body =~ /(\0*)\z/; $body =~ s/\0+\z//;
bad("NUL inside the body") if $body =~ /\0/;
bad("more than 3 NUL bytes of padding") if length($pad) > 3;
my @items = split /&/, $body, -1;
bad("body does not end with &gnkey=0b82 (or is only it)") if !@items || $items[-1] ne 'gnkey=0b82';
pop @items;
my @out;
for my $it (@items) {
    my ($n, $v) = $it =~ /\A(P[0-9]+)=(.*)\z/s or bad("item '$it' is not P<n>=<value>");
    bad("value of $n has characters outside [A-Za-z0-9._%-]: '$v'") if $v =~ ($tool ? qr/[^A-Za-z0-9._%+-]/ : qr/[^A-Za-z0-9._%-]/);
    bad("value of $n has a bad %-escape") if $v =~ /%(?![0-9A-Fa-f]{2})/;
    $v =~ tr/+/ / if $tool;
    $v =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    push @out, "$n=$v";
}
if ($mode eq 'info') {
    printf "words=%d bytes=%d sum=%d mac=%s items=%d pad=%d\n", $words, $size, $sum, $mac, scalar @out, length $pad;
} else {
    print "# mac=$mac\n", map { "$_\n" } @out;
}
PERL
gsread() { perl "$TMP/gsbin.pl" read "$@"; }
gsinfo() { perl "$TMP/gsbin.pl" info "$@"; }
gswrite() { perl "$TMP/gsbin.pl" write "$@"; }

# P-values of a rendered v1 XML file as P<n>=<value> lines (entities undone)
xml_pvalues() {
    perl -0777 -ne 'binmode STDOUT; while (/<(P\d+)(?:\/>|>(.*?)<\/\1>)/sg) { my ($n, $v) = ($1, $2 // "");
        $v =~ s/&lt;/</g; $v =~ s/&gt;/>/g; $v =~ s/&quot;/"/g; $v =~ s/&apos;/\x27/g; $v =~ s/&#(\d+);/chr $1/ge; $v =~ s/&amp;/&/g;
        print "$n=$v\n" }' "$1"
}

# the value of P-name $2 in a P<n>=<value> listing $1 ("<unset>" if absent)
pval() { perl -ne 'BEGIN { $f = 0 } if (/^\Q'"$2"'\E=(.*)$/) { print $1; $f = 1; exit } END { print "<unset>" unless $f }' "$1"; }

IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1
note "gsprov: $GSPROV; running as $(id -un) (uid $(id -u))"

# ======================================================== usage and help ==

for c in render encrypt decrypt encode decode lint; do
    run "$GSPROV" "$c" --help </dev/null
    if [ "$RC" = 0 ] && grep -q "^usage: gsprov .*$c" "$TMP/out" && [ ! -s "$TMP/err" ]; then
        ok "$c --help: exit 0, usage on stdout"
    else
        nok "$c --help: exit 0, usage on stdout" "$(diag)" "stdout: $(head -c 300 "$TMP/out")"
    fi
done
run "$GSPROV" --help
if [ "$RC" = 0 ] && grep -q '^usage: gsprov COMMAND' "$TMP/out" && grep -q 'exit codes' "$TMP/out"; then
    ok "gsprov --help: exit 0, lists commands and exit codes"
else nok "gsprov --help: exit 0, lists commands and exit codes" "$(diag)"; fi
expect 2 '^usage: gsprov COMMAND' "no command: exit 2, usage on stderr" "$GSPROV"
expect 2 "unknown command 'frobnicate'" "unknown command: exit 2, named on stderr" "$GSPROV" frobnicate
expect 2 "--root and MAC are required" "render without --root: exit 2" "$GSPROV" render 000b82123456
expect 2 "--root and MAC are required" "render without a MAC: exit 2" "$GSPROV" render --root "$TMP"
expect 2 "'000b8212345' is not a MAC" "render with an 11-digit MAC: exit 2" "$GSPROV" render --root "$TMP" 000b8212345
expect 2 "unknown format 'json'" "render --format json: exit 2" "$GSPROV" render --root "$TMP" 000b82123456 --format json
expect 2 "unknown option '--frob'" "render --frob: exit 2" "$GSPROV" render --root "$TMP" 000b82123456 --frob x
expect 2 "--var" "render --var without '=': exit 2" "$GSPROV" render --root "$TMP" 000b82123456 --var novalue
expect 2 "--password is required" "encrypt without --password: exit 2" "$GSPROV" encrypt </dev/null
expect 2 "--password is required" "decrypt without --password: exit 2" "$GSPROV" decrypt </dev/null
expect 2 "unknown digest 'sha1'" "encrypt --md sha1: exit 2" "$GSPROV" encrypt --password x --md sha1 </dev/null
expect 2 "--mac MAC" "encode without --mac: exit 2" "$GSPROV" encode </dev/null
expect 2 "--mac MAC" "encode --mac 00:0b:82:12:34:56 (not 12 hex digits): exit 2" "$GSPROV" encode --mac 00:0b:82:12:34:56 </dev/null
expect 2 "unexpected 'extra'" "decode with an argument: exit 2" "$GSPROV" decode extra </dev/null
expect 2 "--root is required" "lint without --root: exit 2" "$GSPROV" lint

# ===================================================== encrypt / decrypt ==

mkdir "$TMP/crypt"
C=$TMP/crypt
printf '<?xml version="1.0"?>\n<gs_provision version="1"><config version="1"><P2>x</P2></config></gs_provision>\n' >"$C/text"
printf 'a\0b\0\0\0c\n\0' >"$C/nul"
: >"$C/empty"
printf '0123456789abcdef' >"$C/block16"          # exactly one block: a whole padding block follows
head -c 1048576 /dev/urandom >"$C/random1m"
PW='s3cr3t pass/word'

for md in md5 sha256; do
    for f in text nul empty block16 random1m; do
        "$GSPROV" encrypt --password "$PW" --md "$md" <"$C/$f" >"$C/$f.gs.$md" 2>"$TMP/err"; RC=$?
        openssl enc -d -aes-256-cbc -md "$md" -k "$PW" -in "$C/$f.gs.$md" -out "$C/$f.back" 2>>"$TMP/err"
        if [ "$RC" = 0 ] && cmp -s "$C/$f" "$C/$f.back"; then
            ok "encrypt --md $md | openssl enc -d -md $md: $f comes back byte for byte"
        else nok "encrypt --md $md | openssl enc -d -md $md: $f comes back byte for byte" "$(diag)"; fi
        openssl enc -e -aes-256-cbc -md "$md" -k "$PW" -in "$C/$f" -out "$C/$f.ossl.$md" 2>/dev/null
        "$GSPROV" decrypt --password "$PW" --md "$md" <"$C/$f.ossl.$md" >"$C/$f.back" 2>"$TMP/err"; RC=$?
        if [ "$RC" = 0 ] && cmp -s "$C/$f" "$C/$f.back"; then
            ok "openssl enc -e -md $md | decrypt --md $md: $f comes back byte for byte"
        else nok "openssl enc -e -md $md | decrypt --md $md: $f comes back byte for byte" "$(diag)"; fi
    done
done

# the container: Salted__, 8 bytes of salt, PKCS#7-padded ciphertext
n=$(wc -c <"$C/text.gs.md5"); want=$(( 16 + ($(wc -c <"$C/text") / 16 + 1) * 16 ))
if [ "$(head -c 8 "$C/text.gs.md5")" = Salted__ ] && [ "$n" = "$want" ]; then
    ok "encrypt output is Salted__ + salt + padded ciphertext ($n bytes)"
else nok "encrypt output is Salted__ + salt + padded ciphertext" "size $n, want $want; head $(head -c 16 "$C/text.gs.md5" | xxd -p)"; fi
"$GSPROV" encrypt --password "$PW" <"$C/text" >"$C/default.enc" 2>/dev/null
if openssl enc -d -aes-256-cbc -md md5 -k "$PW" -in "$C/default.enc" 2>/dev/null | cmp -s - "$C/text"; then
    ok "encrypt without --md is md5 (openssl enc -d -md md5 reads it)"
else nok "encrypt without --md is md5 (openssl enc -d -md md5 reads it)"; fi
"$GSPROV" encrypt --password "$PW" <"$C/text" >"$C/again.enc" 2>/dev/null
if ! cmp -s "$C/default.enc" "$C/again.enc"; then ok "two encryptions of the same input differ (random salt)"
else nok "two encryptions of the same input differ (random salt)"; fi

# wrong password / wrong digest: make a ciphertext openssl itself rejects
# under the wrong key (a wrong key gives valid padding about 1 time in 256)
wrong_ct() {   # wrong_ct MD WRONGPW WRONGMD OUT
    local i
    for i in $(seq 20); do
        openssl enc -e -aes-256-cbc -md "$1" -k "$PW" -in "$C/text" -out "$4" 2>/dev/null
        openssl enc -d -aes-256-cbc -md "$3" -k "$2" -in "$4" >/dev/null 2>&1 || return 0
    done
    return 1
}
wrong_ct md5 'not the password' md5 "$C/wrongpw.enc"
expect 1 "decryption failed" "decrypt with the wrong password: exit 1, no output" \
    "$GSPROV" decrypt --password 'not the password' <"$C/wrongpw.enc"
wrong_ct md5 "$PW" sha256 "$C/wrongmd.enc"
expect 1 "decryption failed" "decrypt an md5-keyed file with --md sha256: exit 1" \
    "$GSPROV" decrypt --password "$PW" --md sha256 <"$C/wrongmd.enc"
head -c 200 /dev/urandom >"$C/garbage"; printf 'X' | dd of="$C/garbage" bs=1 count=1 conv=notrunc 2>/dev/null
expect 1 "decryption failed" "decrypt random garbage: exit 1" "$GSPROV" decrypt --password "$PW" <"$C/garbage"
expect 1 "decryption failed" "decrypt an empty input: exit 1" "$GSPROV" decrypt --password "$PW" <"$C/empty"
head -c 16 "$C/text.gs.md5" >"$C/hdronly"
expect 1 "decryption failed" "decrypt Salted__+salt with no ciphertext: exit 1" "$GSPROV" decrypt --password "$PW" <"$C/hdronly"
head -c $(( $(wc -c <"$C/text.gs.md5") - 1 )) "$C/text.gs.md5" >"$C/trunc"
expect 1 "decryption failed" "decrypt a ciphertext one byte short: exit 1" "$GSPROV" decrypt --password "$PW" <"$C/trunc"
expect 1 "decryption failed" "decrypt plaintext XML: exit 1" "$GSPROV" decrypt --password "$PW" <"$C/text"

# ======================================================= encode / decode ==

mkdir "$TMP/bin"
B=$TMP/bin
MAC=000b82123456

# The spec's worked example (section 15), from the spec's own hex dump.
SPEC_HEX_EMBEDDED=0000001b79f8000b821234560d0a0d0a503237313d3126503237303d4163636f756e742532306e616d6526676e6b65793d3062383200
if [ -r "$SPEC" ]; then
    SPEC_HEX=$(perl -ne 'if (/Worked example/) { $in = 1; next } next unless $in;
        if (/^\s*```\s*$/) { exit if ++$fence == 2; next }
        if ($fence == 1 && /^\s*[0-9a-f]{8}: ((?:[0-9a-f]{2,4} )*[0-9a-f]{2,4})/) { ($h = $1) =~ s/ //g; print $h }' "$SPEC")
    if [ "$SPEC_HEX" = "$SPEC_HEX_EMBEDDED" ]; then ok "spec section 15 hex dump read (54 bytes, N=0x1b, C=0x79f8)"
    else nok "spec section 15 hex dump read (54 bytes, N=0x1b, C=0x79f8)" "read from $SPEC: '$SPEC_HEX'"; fi
else
    note "spec not found at $SPEC (set GSPROV_SPEC): using the embedded copy of its hex dump"
    SPEC_HEX=$SPEC_HEX_EMBEDDED
fi
printf 'P271=1\nP270=Account name\n' | "$GSPROV" encode --mac "$MAC" >"$B/spec.bin" 2>"$TMP/err"; RC=$?
got=$(xxd -p "$B/spec.bin" | tr -d '\n')
if [ "$RC" = 0 ] && [ "$got" = "$SPEC_HEX" ]; then ok "encode: the spec's worked example, byte for byte"
else nok "encode: the spec's worked example, byte for byte" "$(diag)" "got  $got" "want $SPEC_HEX"; fi
printf 'P271=1\r\n# a comment\r\n\r\nP270=Account name\r\n' | "$GSPROV" encode --mac 000B82123456 >"$B/crlf.bin" 2>/dev/null
same_file "$B/spec.bin" "$B/crlf.bin" "encode: CRLF lines, comments, blank lines and an uppercase MAC give the same bytes"
cat >"$B/spec.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- the spec's example as a gs_provision file -->
<gs_provision version="1">
  <mac>ffffffffffff</mac>
  <config version="1">
    <P271>1</P271>
    <P270>Account name</P270>
  </config>
</gs_provision>
EOF
"$GSPROV" encode --mac "$MAC" <"$B/spec.xml" >"$B/specxml.bin" 2>"$TMP/err"
same_file "$B/spec.bin" "$B/specxml.bin" "encode from a gs_provision XML file: the same bytes (its <mac> ignored)"
{ printf '\357\273\277'; cat "$B/spec.xml"; } >"$B/spec-bom.xml"
"$GSPROV" encode --mac "$MAC" <"$B/spec-bom.xml" >"$B/specbom.bin" 2>"$TMP/err"
same_file "$B/spec.bin" "$B/specbom.bin" "encode from an XML file with a UTF-8 byte order mark: the same bytes"
printf '%s' 'P271=1&P270=Account%20name&gnkey=0b82' >"$B/spec.body"
gswrite "$MAC" "$B/spec.body" --pad4 >"$B/spec4.bin"
if [ "$(xxd -p "$B/spec4.bin" | tr -d '\n' | cut -c1-12)" = 0000001c79f7 ] && [ "$(wc -c <"$B/spec4.bin")" = 56 ]; then
    ok "independent writer: the spec's x4-padding variant is 56 bytes, N=0x1c, C=0x79f7"
else nok "independent writer: the spec's x4-padding variant is 56 bytes, N=0x1c, C=0x79f7" "$(xxd -p "$B/spec4.bin")"; fi
run "$GSPROV" decode <"$B/spec4.bin"
if [ "$RC" = 0 ] && [ "$(cat "$TMP/out")" = "$(printf '# mac=%s\nP271=1\nP270=Account name' "$MAC")" ]; then
    ok "decode reads the x4-padded variant (PERL/WAZO encoders)"
else nok "decode reads the x4-padded variant (PERL/WAZO encoders)" "$(diag)" "$(cat "$TMP/out")"; fi
gsread "$B/spec.bin" >"$B/spec.ind" 2>"$TMP/err"
if [ "$(cat "$B/spec.ind")" = "$(printf '# mac=%s\nP271=1\nP270=Account name' "$MAC")" ]; then
    ok "independent reader decodes the spec example"
else nok "independent reader decodes the spec example" "$(cat "$TMP/err" "$B/spec.ind")"; fi

# round trip of awkward values, odd and even body lengths
cat >"$B/special.txt" <<'EOF'
P3=a&b=c
P4=100% + more+
P5=  two  spaces  and trailing
P6=Zürich ☎ 日本語 ñ
P7=x&gnkey=0b82
P8=%20literal%zz%
P9=
P10=<xml> "quote" 'apos' #hash ;semi /slash ?q=1 \back
P11=~tilde*star!bang(paren)[br]{cb}|pipe^caret`tick$dollar,comma:colon@at
P12=	tab	inside
P20000=long 0123456789012345678901234567890123456789012345678901234567890123456789
EOF
for variant in special special-odd; do
    if [ $variant = special-odd ]; then { cat "$B/special.txt"; echo 'P13=xy'; } >"$B/$variant.txt"; fi
    "$GSPROV" encode --mac 000b82ABCDEF <"$B/$variant.txt" >"$B/$variant.bin" 2>"$TMP/err"; RC=$?
    { echo "# mac=000b82abcdef"; cat "$B/$variant.txt"; } >"$B/$variant.want"
    "$GSPROV" decode <"$B/$variant.bin" >"$B/$variant.dec" 2>>"$TMP/err"
    if [ "$RC" = 0 ] && cmp -s "$B/$variant.want" "$B/$variant.dec"; then
        ok "decode(encode(x)) == x: $variant ($(wc -c <"$B/$variant.bin") bytes; &, =, %, +, spaces, UTF-8)"
    else nok "decode(encode(x)) == x: $variant" "$(diag)" "$(diff "$B/$variant.want" "$B/$variant.dec" | head -10)"; fi
    gsread "$B/$variant.bin" >"$B/$variant.ind" 2>"$TMP/err"
    if cmp -s "$B/$variant.want" "$B/$variant.ind"; then
        ok "independent reader: $variant has length = size/2, word sum 0, MAC bytes, only [A-Za-z0-9._%-] in values, gnkey last"
    else nok "independent reader: $variant" "$(cat "$TMP/err")" "$(diff "$B/$variant.want" "$B/$variant.ind" | head -10)"; fi
done
pads="$(gsinfo "$B/special.bin" | sed 's/.*pad=//') $(gsinfo "$B/special-odd.bin" | sed 's/.*pad=//')"
if [ "$pads" = "0 1" ] || [ "$pads" = "1 0" ]; then
    ok "the two round-trip files cover both padding cases (NUL pad bytes: $pads)"
else nok "the two round-trip files cover both padding cases" "pad bytes: $pads"; fi
if grep -aq 'P5=%20%20two%20%20spaces' "$B/special.bin" && ! grep -aq 'two+' "$B/special.bin" && grep -aq 'P4=100%25%20%2B%20more%2B' "$B/special.bin"; then
    ok "encode: space is %20 (never +), '+' and '%' are escaped"
else nok "encode: space is %20 (never +), '+' and '%' are escaped" "$(tr '&' '\n' <"$B/special.bin" | grep -a '^P[45]=')"; fi
# a value with a line break (possible in XML) cannot be written as
# P-value text: decode refuses it instead of printing a broken line
printf '<gs_provision><config version="1"><P3>two\nlines</P3></config></gs_provision>' \
    | "$GSPROV" encode --mac 000b82123456 >"$B/newline.bin" 2>/dev/null
expect 1 "P3 holds a line break" "decode refuses a value with a line break" \
    "$GSPROV" decode <"$B/newline.bin"
# a decoder fed by the independent writer
printf '%s' 'P3=Alice%20%26%20Bob&P4=caf%C3%A9&P5=&gnkey=0b82' >"$B/ind.body"
gswrite 000b82c0ffee "$B/ind.body" >"$B/ind.bin"
run "$GSPROV" decode <"$B/ind.bin"
if [ "$RC" = 0 ] && [ "$(cat "$TMP/out")" = "$(printf '# mac=000b82c0ffee\nP3=Alice & Bob\nP4=café\nP5=')" ]; then
    ok "decode reads a file from the independent writer"
else nok "decode reads a file from the independent writer" "$(diag)" "$(cat "$TMP/out")"; fi
expect 1 "<stdin>:2: expected P<number>=<value>" "encode: a line that is not P<n>=<value>: exit 1 with its line" \
    "$GSPROV" encode --mac "$MAC" < <(printf 'P1=x\nhello world\n')
expect 1 "config version 2" "encode: a v2 gs_provision file: exit 1" "$GSPROV" encode --mac "$MAC" \
    < <(printf '<gs_provision version="1"><config version="2"><item name="a.b">x</item></config></gs_provision>\n')
expect 1 "not a valid gs_provision" "encode: malformed XML: exit 1" "$GSPROV" encode --mac "$MAC" \
    < <(printf '<gs_provision version="1"><config version="1"><P3>x</P4></config></gs_provision>\n')

# Files as Grandstream's own generator (GS_CFG_GEN) writes them: no MAC in
# the header (FF 01, random, body checksum), a 16-bit length, '+' for a
# space.  gsprov decode says so and agrees with the independent reader.
printf '%s' 'P271=1&P270=Account+name&P3=a%2Bb+c&P4=++&P5=Z%C3%BCrich&gnkey=0b82' >"$B/tool.body"
gswrite - "$B/tool.body" --tool 5ac3 --len16 >"$B/tool.bin"
run "$GSPROV" decode <"$B/tool.bin"
gsread "$B/tool.bin" --tool >"$B/tool.ind" 2>"$TMP/err2"
printf 'P271=1\nP270=Account name\nP3=a+b c\nP4=  \nP5=Zürich\n' >"$B/tool.want"
if [ "$RC" = 0 ] && [ "$(grep -v '^#' "$TMP/out")" = "$(cat "$B/tool.want")" ] \
   && [ "$(grep -v '^#' "$B/tool.ind")" = "$(cat "$B/tool.want")" ]; then
    ok "decode of a GS_CFG_GEN-style file: '+' is a space, %2B a '+'; the independent reader agrees"
else nok "decode of a GS_CFG_GEN-style file" "$(diag)" "$(cat "$TMP/out")" "reader: $(cat "$TMP/err2" "$B/tool.ind")"; fi
bsum=$(xxd -p -s 10 -l 2 "$B/tool.bin")
if [ "$(head -1 "$TMP/out")" = "# no MAC: written by Grandstream's GS_CFG_GEN (bytes 6-11: ff01, random 5ac3, body checksum $bsum)" ] \
   && ! grep -q 'mac=ff01' "$TMP/out" && grep -q '^# mac=none (GS_CFG_GEN header 5ac3' "$B/tool.ind"; then
    ok "decode of a GS_CFG_GEN-style file says it has no MAC (never ff01... as one)"
else nok "decode of a GS_CFG_GEN-style file: its header" "$(head -1 "$TMP/out")" "$(head -1 "$B/tool.ind")"; fi
grep -v '^#' "$TMP/out" | "$GSPROV" encode --mac "$MAC" | "$GSPROV" decode >"$B/tool.back" 2>"$TMP/err"
if [ "$(grep -v '^#' "$B/tool.back")" = "$(cat "$B/tool.want")" ] && grep -q "^# mac=$MAC" "$B/tool.back"; then
    ok "decode | encode | decode of the GS_CFG_GEN-style file keeps every value (spaces as %20, '+' as %2B)"
else nok "decode | encode | decode of the GS_CFG_GEN-style file" "$(cat "$TMP/err" "$B/tool.back")"; fi
# the 16-bit length beyond 128 KiB (wrapped), with a MAC
perl -e 'print "P3=", "x" x 140000, "&P4=a+b&gnkey=0b82"' >"$B/big.body"
gswrite "$MAC" "$B/big.body" --len16 >"$B/big16.bin"
run "$GSPROV" decode <"$B/big16.bin"
gsread "$B/big16.bin" --tool >"$B/big16.ind" 2>"$TMP/err2"
if [ "$RC" = 0 ] && [ "$(xxd -p -l 4 "$B/big16.bin")" = "$(printf '0000%04x' $(( ($(wc -c <"$B/big16.bin") / 2) & 0xFFFF )))" ] \
   && grep -qx "# mac=$MAC" "$TMP/out" && grep -qx '# length field read as 16 bits (bytes 2-3), as GS_CFG_GEN and older encoders write it' "$TMP/out" \
   && [ "$(pval "$TMP/out" P3 | wc -c)" = 140000 ] && [ "$(pval "$TMP/out" P4)" = 'a b' ] \
   && cmp -s <(grep -v '^#' "$TMP/out") <(grep -v '^#' "$B/big16.ind"); then
    ok "decode of a $(wc -c <"$B/big16.bin")-byte file with a wrapped 16-bit length: read, and said so; the independent reader agrees"
else nok "decode of a file with a wrapped 16-bit length" "$(diag)" "$(head -3 "$TMP/out" | cut -c1-100)" "$(cat "$TMP/err2")"; fi
gswrite "$MAC" "$B/big.body" >"$B/big32.bin"
run "$GSPROV" decode <"$B/big32.bin"
if [ "$RC" = 0 ] && ! grep -q 'length field' "$TMP/out" && [ "$(pval "$TMP/out" P4)" = 'a b' ]; then ok "the same file with a 32-bit length: no remark"
else nok "the same file with a 32-bit length" "$(diag)"; fi
# GS_CFG_GEN's encrypted variant: a 64-byte header, then AES (here: bytes
# that look like it; no public description says how to decrypt them)
perl -e 'binmode STDOUT; srand 15; print map { chr int rand 256 } 1 .. 64 + 96' >"$B/toolenc.body"
printf '\0' | dd of="$B/toolenc.body" bs=1 seek=7 count=1 conv=notrunc 2>/dev/null
gswrite - "$B/toolenc.body" --tool 0102 --len16 >"$B/toolenc.bin"
expect 1 "encrypted by Grandstream's configuration tool \(GS_CFG_GEN\), not supported" \
    "decode of a GS_CFG_GEN-encrypted file: exit 1, says so" "$GSPROV" decode <"$B/toolenc.bin"
if ! grep -q 'NUL' "$TMP/err"; then ok "... and not that there is a NUL byte inside the body"
else nok "... and not that there is a NUL byte inside the body" "$(cat "$TMP/err")"; fi
gswrite "$MAC" "$B/toolenc.body" >"$B/macenc.bin"
expect 1 "NUL byte inside the body" "the same body behind a MAC: a corrupt file (NUL inside the body)" \
    "$GSPROV" decode <"$B/macenc.bin"

# corrupt files: each must be refused with a reason
cp "$B/spec.bin" "$B/flip.bin"
printf 'Q' | dd of="$B/flip.bin" bs=1 seek=20 count=1 conv=notrunc 2>/dev/null   # the '=' of P271=1
expect 1 "checksum" "decode: one byte flipped in the body: exit 1, checksum named" "$GSPROV" decode <"$B/flip.bin"
cp "$B/spec.bin" "$B/flipsum.bin"
printf '\x00' | dd of="$B/flipsum.bin" bs=1 seek=5 count=1 conv=notrunc 2>/dev/null
expect 1 "checksum" "decode: checksum byte changed: exit 1" "$GSPROV" decode <"$B/flipsum.bin"
head -c 52 "$B/spec.bin" >"$B/trunc2.bin"
expect 1 "length field says 27 words, file has 26" "decode: file truncated by 2 bytes: exit 1, length named" "$GSPROV" decode <"$B/trunc2.bin"
head -c 53 "$B/spec.bin" >"$B/trunc1.bin"
expect 1 "53 bytes" "decode: file truncated by 1 byte (odd): exit 1" "$GSPROV" decode <"$B/trunc1.bin"
head -c 10 "$B/spec.bin" >"$B/short.bin"
expect 1 "too short" "decode: 10 bytes (shorter than the header): exit 1" "$GSPROV" decode <"$B/short.bin"
expect 1 "too short" "decode: empty input: exit 1" "$GSPROV" decode </dev/null
gswrite "$MAC" "$B/spec.body" --words 26 >"$B/badlen.bin"     # checksum right, length wrong
gsinfo "$B/badlen.bin" >/dev/null 2>&1 && nok "independent reader refuses a wrong length field" || ok "independent reader refuses a wrong length field"
expect 1 "length field says 26 words" "decode: wrong length field (checksum consistent): exit 1" "$GSPROV" decode <"$B/badlen.bin"
gswrite "$MAC" "$B/spec.body" --words 28 >"$B/badlen2.bin"
expect 1 "length field says 28 words" "decode: length field one word too long: exit 1" "$GSPROV" decode <"$B/badlen2.bin"
printf '%s' 'P271=1&P270=Account%20name' >"$B/nognkey.body"
gswrite "$MAC" "$B/nognkey.body" >"$B/nognkey.bin"
expect 1 "gnkey" "decode: no gnkey (valid length and checksum): exit 1, gnkey named" "$GSPROV" decode <"$B/nognkey.bin"
printf '%s' 'P271=1&gnkey=0b82&P270=x' >"$B/gnmid.body"
gswrite "$MAC" "$B/gnmid.body" >"$B/gnmid.bin"
expect 1 "gnkey" "decode: gnkey not last: exit 1" "$GSPROV" decode <"$B/gnmid.bin"
printf '%s' 'P271=1&gnkey=0b83' >"$B/gnwrong.body"
gswrite "$MAC" "$B/gnwrong.body" >"$B/gnwrong.bin"
expect 1 "" "decode: gnkey=0b83 instead of 0b82: exit 1" "$GSPROV" decode <"$B/gnwrong.bin"
printf '%s' 'X271=1&gnkey=0b82' >"$B/notp.body"
gswrite "$MAC" "$B/notp.body" >"$B/notp.bin"
expect 1 "not a P-value name" "decode: item that is not a P-value: exit 1" "$GSPROV" decode <"$B/notp.bin"
perl -e 'binmode STDOUT; open my $h, "<:raw", $ARGV[0]; local $/; my $d = <$h>; substr($d, 12, 4) = "\n\n\n\n";
  my $s = 0; substr($d, 4, 2) = "\0\0"; $s += $_ for unpack("n*", $d); substr($d, 4, 2) = pack("n", (0x10000 - ($s & 0xFFFF)) & 0xFFFF); print $d' "$B/spec.bin" >"$B/nosep.bin"
expect 1 "CR LF CR LF" "decode: no 0D 0A 0D 0A after the MAC: exit 1" "$GSPROV" decode <"$B/nosep.bin"
gsinfo "$B/spec.bin" >"$B/spec.info"
if grep -qx 'words=27 bytes=54 sum=0 mac=000b82123456 items=2 pad=1' "$B/spec.info"; then ok "independent reader: spec file has words=27 bytes=54 sum=0"
else nok "independent reader: spec file has words=27 bytes=54 sum=0" "$(cat "$B/spec.info")"; fi

# ================================================================ render ==

S=$TMP/store
mkdir -p "$S/models" "$S/groups" "$S/devices"
cat >"$S/defaults.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <config version="1">
    <P2>admin-default</P2>
    <P47>${sip_server}</P47>
    <P237>prov.example.com/prov</P237>
    <P212>2</P212>
    <P64>UTC</P64>
  </config>
</gs_provision>
EOF
cat >"$S/models/gxp2170.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <config version="1">
    <P2>admin-model</P2>
    <P1362>${model}</P1362>
    <P64>EST5EDT</P64>
  </config>
</gs_provision>
EOF
cat >"$S/groups/sales.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <config version="1">
    <P64>PST8PDT</P64>
    <P4000>${group}</P4000>
    <P1360>provuser</P1360>
    <P1361>prov pass&amp;1</P1361>
  </config>
</gs_provision>
EOF
cat >"$S/groups/floor2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <config version="1">
    <P4001>Floor 2 &amp; co &lt;east&gt; Zürich</P4001>
  </config>
</gs_provision>
EOF
cat >"$S/devices/000b82123456.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<device>
  <model>gxp2170</model>
  <group>sales</group>
  <group>floor2</group>
  <var name="ext">1001</var>
  <config version="1">
    <P3>Alice ${ext}</P3>
    <P35>${mac}</P35>
  </config>
</device>
EOF
cat >"$S/devices/000b82abcdef.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<device>
  <model>gxp2170</model>
  <group>sales</group>
  <password>dev pw&amp;42</password>
  <var name="ext">1002</var>
  <config version="1">
    <P3>Bob ${ext}</P3>
    <P234>pre-</P234>
    <P235>_v1</P235>
  </config>
</device>
EOF
cat >"$S/devices/000b82aaaa01.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<device>
  <config version="1">
    <P3>No model</P3>
  </config>
</device>
EOF
cat >"$S/devices/000b82aaaa02.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<device>
  <model>gxp2170</model>
  <config version="1">
    <P3>${floor_name}</P3>
  </config>
</device>
EOF
VARS=(--var sip_server=sip.example.com:5060)

cat >"$TMP/alice.want" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <mac>000b82123456</mac>
  <config version="1">
    <P2>admin-model</P2>
    <P47>sip.example.com:5060</P47>
    <P237>prov.example.com/prov</P237>
    <P212>2</P212>
    <P64>PST8PDT</P64>
    <P1362>gxp2170</P1362>
    <P4000>sales</P4000>
    <P1360>provuser</P1360>
    <P1361>prov pass&amp;1</P1361>
    <P4001>Floor 2 &amp; co &lt;east&gt; Zürich</P4001>
    <P3>Alice 1001</P3>
    <P35>000b82123456</P35>
  </config>
</gs_provision>
EOF
run "$GSPROV" render --root "$S" 000b82123456 "${VARS[@]}" --plain
if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$TMP/alice.want"; then
    ok "render --plain: exact merged XML (order, overrides, variables, escaping, UTF-8)"
else nok "render --plain: exact merged XML" "$(diag)" "$(diff "$TMP/alice.want" "$TMP/out")"; fi
cp "$TMP/out" "$TMP/alice.plain"
run "$GSPROV" render --root "$S" 000B82123456 "${VARS[@]}"
if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$TMP/alice.want"; then
    ok "render without --plain of a device without <password>: the same plain XML (uppercase MAC accepted)"
else nok "render of a device without <password>: plain XML" "$(diag)"; fi

run "$GSPROV" render --root "$S" 000b82abcdef "${VARS[@]}" --plain
cp "$TMP/out" "$TMP/bob.plain"
if [ "$RC" = 0 ] && grep -q '<P3>Bob 1002</P3>' "$TMP/bob.plain" && ! grep -q 'dev pw' "$TMP/bob.plain"; then
    ok "render --plain of the encrypted device: XML, without its password"
else nok "render --plain of the encrypted device" "$(diag)"; fi
run "$GSPROV" render --root "$S" 000b82abcdef "${VARS[@]}"
cp "$TMP/out" "$TMP/bob.enc"
if [ "$RC" = 0 ] && [ "$(head -c 8 "$TMP/bob.enc")" = Salted__ ] && \
   openssl enc -d -aes-256-cbc -md md5 -k 'dev pw&42' -in "$TMP/bob.enc" 2>/dev/null | cmp -s - "$TMP/bob.plain"; then
    ok "render (device with <password>): openssl enc -d -md md5 gives exactly the --plain bytes"
else nok "render (device with <password>): openssl enc -d -md md5 gives exactly the --plain bytes" "$(diag)"; fi
run "$GSPROV" render --root "$S" 000b82abcdef "${VARS[@]}" --md sha256
if [ "$RC" = 0 ] && openssl enc -d -aes-256-cbc -md sha256 -k 'dev pw&42' -in "$TMP/out" 2>/dev/null | cmp -s - "$TMP/bob.plain"; then
    ok "render --md sha256: openssl enc -d -md sha256 gives the --plain bytes"
else nok "render --md sha256: openssl enc -d -md sha256 gives the --plain bytes" "$(diag)"; fi
if "$GSPROV" decrypt --password 'dev pw&42' <"$TMP/bob.enc" 2>/dev/null | cmp -s - "$TMP/bob.plain"; then
    ok "render | gsprov decrypt gives the --plain bytes"
else nok "render | gsprov decrypt gives the --plain bytes"; fi

# binary: bootstrap (default) and full
run "$GSPROV" render --root "$S" 000b82abcdef "${VARS[@]}" --format binary
cp "$TMP/out" "$TMP/bob.bin"
gsread "$TMP/bob.bin" >"$TMP/bob.bin.ind" 2>"$TMP/err2"
cat >"$TMP/bob.boot.want" <<'EOF'
# mac=000b82abcdef
P237=prov.example.com/prov
P212=2
P1360=provuser
P1361=prov pass&1
P234=pre-
P235=_v1
P1359=dev pw&42
EOF
if [ "$RC" = 0 ] && cmp -s "$TMP/bob.bin.ind" "$TMP/bob.boot.want"; then
    ok "render --format binary (bootstrap), independent reader: P237 P212 P1360 P1361 P234 P235 and P1359 = the device password, nothing else"
else nok "render --format binary (bootstrap): the bootstrap set" "$(diag)" "$(cat "$TMP/err2")" "$(diff "$TMP/bob.boot.want" "$TMP/bob.bin.ind")"; fi
if "$GSPROV" decode <"$TMP/bob.bin" 2>/dev/null | cmp -s - "$TMP/bob.boot.want"; then ok "gsprov decode agrees with the independent reader (bootstrap file)"
else nok "gsprov decode agrees with the independent reader (bootstrap file)"; fi
run "$GSPROV" render --root "$S" 000b82123456 "${VARS[@]}" --format binary
gsread "$TMP/out" >"$TMP/alice.bin.ind" 2>"$TMP/err2"
if [ "$RC" = 0 ] && [ "$(cat "$TMP/alice.bin.ind")" = "$(printf '# mac=000b82123456\nP237=prov.example.com/prov\nP212=2\nP1360=provuser\nP1361=prov pass&1')" ]; then
    ok "render --format binary of a device without password: bootstrap set, no P1359"
else nok "render --format binary of a device without password: bootstrap set, no P1359" "$(diag)" "$(cat "$TMP/err2" "$TMP/alice.bin.ind")"; fi
run "$GSPROV" render --root "$S" 000b82123456 "${VARS[@]}" --format binary --bootstrap-param P64 --bootstrap-param P3
gsread "$TMP/out" >"$TMP/x.ind" 2>/dev/null
if [ "$(pval "$TMP/x.ind" P64)|$(pval "$TMP/x.ind" P3)|$(pval "$TMP/x.ind" P2)" = "PST8PDT|Alice 1001|<unset>" ]; then
    ok "render --bootstrap-param P64 --bootstrap-param P3 adds exactly those"
else nok "render --bootstrap-param adds exactly those" "$(cat "$TMP/x.ind")"; fi
for dev in 000b82123456 000b82abcdef; do
    run "$GSPROV" render --root "$S" $dev "${VARS[@]}" --format binary --binary full
    gsread "$TMP/out" >"$TMP/full.ind" 2>"$TMP/err2"
    cp "$TMP/$([ $dev = 000b82123456 ] && echo alice || echo bob).plain" "$TMP/full.xml"
    { echo "# mac=$dev"; xml_pvalues "$TMP/full.xml"; [ $dev = 000b82abcdef ] && echo 'P1359=dev pw&42'; } >"$TMP/full.want"
    if [ "$RC" = 0 ] && cmp -s "$TMP/full.ind" "$TMP/full.want"; then
        ok "render --binary full ($dev), independent reader: every P-value of the XML, same order and values$([ $dev = 000b82abcdef ] && echo ', plus P1359')"
    else nok "render --binary full ($dev): every P-value" "$(diag)" "$(cat "$TMP/err2")" "$(diff "$TMP/full.want" "$TMP/full.ind")"; fi
done
run "$GSPROV" render --root "$S" 000b82123456 --var sip_server='sip.other.example' --var unused=1 --plain
if [ "$RC" = 0 ] && grep -q '<P47>sip.other.example</P47>' "$TMP/out"; then ok "render --var fills the tenant variable"
else nok "render --var fills the tenant variable" "$(diag)"; fi
expect 1 'undefined variable \$\{sip_server\}' "render without the tenant variable: exit 1 naming sip_server" \
    "$GSPROV" render --root "$S" 000b82123456 --plain
expect 1 'devices/000b82aaaa02\.xml:5: undefined variable \$\{floor_name\}' "render: undefined device-level variable: exit 1 naming file:line and variable" \
    "$GSPROV" render --root "$S" 000b82aaaa02 "${VARS[@]}" --plain
run "$GSPROV" render --root "$S" 000b82aaaa01 "${VARS[@]}" --plain
if [ "$RC" = 0 ] && ! grep -q P1362 "$TMP/out" && grep -q '<P2>admin-default</P2>' "$TMP/out"; then
    ok "render of a record without <model> and no User-Agent: defaults only"
else nok "render of a record without <model> and no User-Agent: defaults only" "$(diag)"; fi
run "$GSPROV" render --root "$S" 000b82aaaa01 "${VARS[@]}" --plain \
    --user-agent 'Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456'
if [ "$RC" = 0 ] && grep -q '<P1362>gxp2170</P1362>' "$TMP/out" && grep -q '<P2>admin-model</P2>' "$TMP/out"; then
    ok "render --user-agent supplies the model of a record without <model>"
else nok "render --user-agent supplies the model of a record without <model>" "$(diag)" "$(cat "$TMP/out")"; fi
run "$GSPROV" render --root "$S" 000b82123456 "${VARS[@]}" --plain \
    --user-agent 'Grandstream Model HW HT802 SW 1.0.3.5 DevId 000b82123456'
if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$TMP/alice.want"; then ok "render --user-agent does not override a record's own <model>"
else nok "render --user-agent does not override a record's own <model>" "$(diag)"; fi
# the User-Agent's model picks a template only when it names a device:
# the Wave softphone does not, the legacy HT-503 form does (dash dropped)
U=$TMP/uastore
cp -r "$S" "$U"
printf '<gs_provision version="1"><config version="1"><P4300>from wave.xml</P4300></config></gs_provision>\n' >"$U/models/wave.xml"
printf '<gs_provision version="1"><config version="1"><P4300>from ht503.xml</P4300></config></gs_provision>\n' >"$U/models/ht503.xml"
run "$GSPROV" render --root "$U" 000b82aaaa01 "${VARS[@]}" --plain --user-agent 'Grandstream Wave 1.2.14'
if [ "$RC" = 0 ] && ! grep -q 'P4300' "$TMP/out" && grep -q '<P2>admin-default</P2>' "$TMP/out"; then
    ok "render --user-agent 'Grandstream Wave 1.2.14': no model, even with a models/wave.xml"
else nok "render --user-agent Wave: no model" "$(diag)" "$(cat "$TMP/out")"; fi
run "$GSPROV" render --root "$U" 000b82aaaa01 "${VARS[@]}" --plain --user-agent 'Grandstream HT-503  V1.1B 1.0.10.9  chip V2.2'
if [ "$RC" = 0 ] && grep -q '<P4300>from ht503.xml</P4300>' "$TMP/out"; then
    ok "render --user-agent 'Grandstream HT-503  V1.1B 1.0.10.9  chip V2.2': models/ht503.xml applies"
else nok "render --user-agent HT-503: models/ht503.xml" "$(diag)" "$(cat "$TMP/out")"; fi
expect 1 "no file for 000b82ffffff" "render of an unknown MAC: exit 1" "$GSPROV" render --root "$S" 000b82ffffff "${VARS[@]}"
expect 1 "cannot open the store" "render --root of a missing directory: exit 1" "$GSPROV" render --root "$TMP/nonexistent" 000b82123456

# ================================================= what the server served ==

server_checks() {
    local port code CONF=$TMP/httpd/httpd.conf
    [ -x "$APACHE" ] || { nok "httpd: $APACHE not found (set APACHE=)"; return; }
    [ -f "$MODULE" ] || { nok "httpd: module $MODULE not found (run make, or set GSPROV_MODULE=)"; return; }
    port=$(free_port)
    httpd_conf_head "$CONF" "$port" "$TMP/httpd/error.log"
    cat >>"$CONF" <<EOF
StartServers 1
ServerLimit 1
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
GsProvRoot "$S"
GsProvVar sip_server sip.example.com:5060
<Location /prov>
    SetHandler gsprov
</Location>
EOF
    if ! httpd_start -u "http://127.0.0.1:$port/prov/cfg.xml" "$CONF"; then
        nok "httpd starts with mod_gsprov on 127.0.0.1:$port" "(why: the lines above)"
        return
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/prov/cfg.xml" 2>/dev/null)
    if [ "$code" = 200 ]; then ok "httpd starts with mod_gsprov on 127.0.0.1:$port (as $user:$group)"
    else nok "httpd starts with mod_gsprov on 127.0.0.1:$port" "cfg.xml: $code" "$(tail -20 "$TMP/httpd/error.log" 2>/dev/null)"; return; fi

    local H=$TMP/httpd base="http://127.0.0.1:$port/prov" name
    # fetch NAME FILE: sets CODE and CTYPE
    fetch() { read -r CODE CTYPE < <(curl -s -o "$2" -w '%{http_code} %{content_type}\n' "$base/$1"); }

    for name in cfg000b82123456 cfg000b82123456.bin; do
        fetch "$name" "$H/$name"
        if [ "$CODE" = 200 ] && [ "$CTYPE" = application/octet-stream ]; then ok "GET $name: 200 application/octet-stream"
        else nok "GET $name: 200 application/octet-stream" "got $CODE $CTYPE"; fi
        "$GSPROV" decode <"$H/$name" >"$H/$name.dec" 2>"$TMP/err"; RC=$?
        gsread "$H/$name" >"$H/$name.ind" 2>"$TMP/err2"
        if [ "$RC" = 0 ] && cmp -s "$H/$name.dec" "$TMP/alice.bin.ind" && cmp -s "$H/$name.ind" "$TMP/alice.bin.ind"; then
            ok "served $name: gsprov decode and the independent reader both give the bootstrap set"
        else nok "served $name: decoded by gsprov decode and the independent reader" "$(diag)" "$(cat "$TMP/err2")" "$(diff "$TMP/alice.bin.ind" "$H/$name.ind")"; fi
    done
    "$GSPROV" render --root "$S" 000b82123456 "${VARS[@]}" --format binary >"$H/render.bin" 2>/dev/null
    same_file "$H/render.bin" "$H/cfg000b82123456" "served cfg000b82123456 is byte-identical to gsprov render --format binary"

    # the encrypted device carries its config prefix/postfix (pre-, _v1)
    fetch pre-cfg000b82abcdef.bin_v1 "$H/bob.bin"
    "$GSPROV" decode <"$H/bob.bin" >"$H/bob.dec" 2>"$TMP/err"; RC=$?
    gsread "$H/bob.bin" >"$H/bob.ind" 2>"$TMP/err2"
    if [ "$CODE" = 200 ] && [ "$RC" = 0 ] && cmp -s "$H/bob.dec" "$TMP/bob.boot.want" && cmp -s "$H/bob.ind" "$TMP/bob.boot.want"; then
        ok "served pre-cfg000b82abcdef.bin_v1: both decoders give P1359 = the device password and P234/P235"
    else nok "served pre-cfg000b82abcdef.bin_v1: bootstrap set" "HTTP $CODE" "$(diag)" "$(cat "$TMP/err2")" "$(diff "$TMP/bob.boot.want" "$H/bob.ind")"; fi
    fetch cfg000b82abcdef "$H/bob.noaffix"
    if [ "$CODE" = 404 ]; then ok "GET cfg000b82abcdef without the device's prefix/postfix: 404"
    else nok "GET cfg000b82abcdef without the device's prefix/postfix: 404" "got $CODE"; fi
    fetch pre-cfg000b82abcdef_v1.xml "$H/bob.xml"
    "$GSPROV" decrypt --password 'dev pw&42' <"$H/bob.xml" >"$H/bob.xml.dec" 2>"$TMP/err"; RC=$?
    if [ "$CODE" = 200 ] && [ "$CTYPE" = application/octet-stream ] && [ "$RC" = 0 ] && cmp -s "$H/bob.xml.dec" "$TMP/bob.plain"; then
        ok "served pre-cfg000b82abcdef_v1.xml (encrypted): gsprov decrypt gives exactly render --plain"
    else nok "served pre-cfg000b82abcdef_v1.xml: gsprov decrypt gives render --plain" "HTTP $CODE $CTYPE" "$(diag)"; fi
    if openssl enc -d -aes-256-cbc -md md5 -k 'dev pw&42' -in "$H/bob.xml" 2>/dev/null | cmp -s - "$TMP/bob.plain"; then
        ok "served encrypted XML: openssl enc -d -md md5 agrees"
    else nok "served encrypted XML: openssl enc -d -md md5 agrees"; fi
    fetch cfg000b82123456.xml "$H/alice.xml"
    if [ "$CODE" = 200 ] && cmp -s "$H/alice.xml" "$TMP/alice.want"; then ok "served cfg000b82123456.xml (no password) equals render --plain"
    else nok "served cfg000b82123456.xml equals render --plain" "HTTP $CODE" "$(diff "$TMP/alice.want" "$H/alice.xml" | head)"; fi

    if httpd_stop "$CONF"; then ok "httpd stops"; else nok "httpd stops"; fi
    if grep -E '\[(error|crit|alert|emerg)\]|\[[a-z_]+:(error|crit|alert|emerg)\]' "$H/error.log" >"$TMP/errlines"; then
        nok "httpd error log has no error lines" "$(head -5 "$TMP/errlines")"
    else ok "httpd error log has no error lines"; fi
}
server_checks

# ================================================================== lint ==

expect 0 "gsprov lint: 4 device records, 0 problems" "lint of a clean store (with --var): exit 0" \
    "$GSPROV" lint --root "$S" "${VARS[@]}" --var floor_name=x
run "$GSPROV" lint --root "$S"
if [ "$RC" = 1 ] && [ "$(wc -l <"$TMP/out")" = 4 ] && [ "$(grep -c 'undefined variable ${sip_server}' "$TMP/out")" = 4 ]; then
    ok "lint without the tenant variable: exit 1, one line per device naming sip_server"
else nok "lint without the tenant variable: one line per device" "$(diag)" "$(cat "$TMP/out")"; fi
run "$GSPROV" lint --root "$TMP/nonexistent"
if [ "$RC" = 1 ] && grep -q "$TMP/nonexistent" "$TMP/out" "$TMP/err"; then ok "lint --root of a missing directory: exit 1 naming it"
else nok "lint --root of a missing directory: exit 1 naming it" "$(diag)" "stdout: $(cat "$TMP/out")"; fi

L=$TMP/lint
cp -r "$S" "$L"
cat >"$L/groups/v2grp.xml" <<'EOF'
<gs_provision version="1">
  <config version="2">
    <item name="phone.timezone">UTC</item>
  </config>
</gs_provision>
EOF
cat >"$L/models/broken.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <config version="1">
    <P2>oops</P3>
  </config>
</gs_provision>
EOF
cp "$L/models/gxp2170.xml" "$L/models/GXP.xml"
printf '<device>\n  <group>nosuchgroup</group>\n</device>\n' >"$L/devices/000b82000001.xml"
printf '<device>\n  <model>gxp9999</model>\n</device>\n' >"$L/devices/000b82000002.xml"
printf '<device>\n  <config version="1">\n    <P2>x</P2>\n    <P3>${nosuchvar}</P3>\n  </config>\n</device>\n' >"$L/devices/000b82000003.xml"
printf '<device>\n  <group>v2grp</group>\n</device>\n' >"$L/devices/000b82000004.xml"
printf '<device>\n  <model>gxp2170</model>\n  <group>sales</mode>\n</device>\n' >"$L/devices/000b82000006.xml"
cp "$L/devices/000b82123456.xml" "$L/devices/ABC.xml"
cp "$L/devices/000b82123456.xml" "$L/devices/000B82123456.xml"
cp "$L/devices/000b82123456.xml" "$L/devices/000b82123456.xml.bak"
want_lines=(
    'devices/000b82000001\.xml: .*group .nosuchgroup.'
    'devices/000b82000002\.xml: .*model .gxp9999.'
    'devices/000b82000003\.xml:4: undefined variable \$\{nosuchvar\}'
    'devices/000b82000004\.xml: .*mixed.*defaults\.xml.*version 1.*groups/v2grp\.xml.*version 2'
    'devices/000b82000006\.xml:3: '
    'devices/ABC\.xml: bad device file name'
    'devices/000B82123456\.xml: bad device file name'
    'devices/000b82123456\.xml\.bak: bad device file name'
    'models/broken\.xml:4: '
    'models/GXP\.xml: invalid model file name'
)
want_desc=("unknown group" "unknown model" "undefined variable (file:line)" "mixed v1/v2 (both files named)"
    "broken device XML (file:line)" "bad device file name ABC.xml" "bad device file name 000B82123456.xml (uppercase)"
    "bad device file name 000b82123456.xml.bak" "broken template XML (file:line)" "bad model file name GXP.xml")
if [ $IS_ROOT = 1 ]; then
    note "skip: lint of unreadable files (chmod 000): running as root, which reads them anyway"
else
    cp "$L/devices/000b82123456.xml" "$L/devices/000b82000005.xml"; chmod 000 "$L/devices/000b82000005.xml"
    cp "$L/groups/floor2.xml" "$L/groups/locked.xml"; chmod 000 "$L/groups/locked.xml"
    want_lines+=('devices/000b82000005\.xml: .*(cannot open|Permission denied)' 'groups/locked\.xml: .*(cannot open|Permission denied)')
    want_desc+=("unreadable device record" "unreadable template")
fi
run "$GSPROV" lint --root "$L" "${VARS[@]}" --var floor_name=x
cp "$TMP/out" "$TMP/lint.out"; LINT_RC=$RC
if [ "$LINT_RC" = 1 ] && [ "$(wc -l <"$TMP/lint.out")" = ${#want_lines[@]} ]; then
    ok "lint of a store with ${#want_lines[@]} problems: exit 1, ${#want_lines[@]} lines"
else nok "lint of a store with ${#want_lines[@]} problems: exit 1, ${#want_lines[@]} lines" "$(diag)" "$(cat "$TMP/lint.out")"; fi
if grep -q "${#want_lines[@]} problems" "$TMP/err"; then ok "lint summary on stderr counts ${#want_lines[@]} problems"
else nok "lint summary on stderr counts ${#want_lines[@]} problems" "$(cat "$TMP/err")"; fi
for i in "${!want_lines[@]}"; do
    if [ "$(grep -Ec -- "^$L/${want_lines[$i]}" "$TMP/lint.out")" = 1 ]; then ok "lint reports ${want_desc[$i]} once, naming the file"
    else nok "lint reports ${want_desc[$i]} once, naming the file" "want /^$L/${want_lines[$i]}/ in:" "$(cat "$TMP/lint.out")"; fi
done
if ! grep -Eq '000b82123456\.xml:|000b82123456\.xml: |000b82abcdef|000b82aaaa0' "$TMP/lint.out"; then
    ok "lint reports nothing for the good devices beside the broken ones"
else nok "lint reports nothing for the good devices" "$(cat "$TMP/lint.out")"; fi

# ====================================== vendor templates: P1359-P1361 ==
# t/fixtures/stores/vendor: a model template of the shape vendor-derived
# templates have (t/fixtures/make-vendor-template.pl: an empty P1359 and
# empty P1360/P1361 among 420 P-values), devices with a <password> and/or
# HTTP credentials.
V=$REPO/t/fixtures/stores/vendor
run "$GSPROV" lint --root "$V"
grep ': warning: ' "$TMP/err" >"$TMP/vwarn"
if [ "$RC" = 0 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/vwarn")" = 6 ] \
   && grep -q "^$V/models/ht802.xml:219: warning: P1359 (the XML config file password) is set here to an empty value: devices whose record has a <password> get that password instead" "$TMP/vwarn" \
   && grep -q "^$V/models/ht802.xml:223: warning: P1360 .* to an empty value" "$TMP/vwarn" \
   && grep -q "^$V/models/ht802.xml:227: warning: P1361 .* to an empty value" "$TMP/vwarn" \
   && grep -q "^$V/groups/http-login.xml:5: warning: P1360 " "$TMP/vwarn" \
   && grep -q "^$V/groups/http-login.xml:6: warning: P1361 " "$TMP/vwarn" \
   && grep -q "^$V/devices/000b82f00005.xml:8: warning: P1359 " "$TMP/vwarn" \
   && grep -q 'gsprov lint: 5 device records, 0 problems, 6 warnings' "$TMP/err"; then
    ok "lint of vendor templates: exit 0, stdout empty, one warning per layer that sets P1359/P1360/P1361, naming file and line"
else nok "lint of vendor templates: six warnings naming file and line" "$(diag)" "$(cat "$TMP/out" "$TMP/err")"; fi
if ! grep -Eq 'xml-pw|other-pw|http-secret|dev-f0000' "$TMP/err"; then ok "lint warnings carry no value"
else nok "lint warnings carry no value" "$(cat "$TMP/err")"; fi
run "$GSPROV" lint --root "$S" "${VARS[@]}" --var floor_name=x
if [ "$RC" = 0 ] && [ ! -s "$TMP/out" ] && [ "$(grep -c ': warning: ' "$TMP/err")" = 2 ] \
   && grep -q "^$S/groups/sales.xml:6: warning: P1360 " "$TMP/err" && grep -q "^$S/groups/sales.xml:7: warning: P1361 " "$TMP/err"; then
    ok "lint of the clean store: its group's P1360/P1361 warned about on stderr, still exit 0"
else nok "lint of the clean store: P1360/P1361 warnings" "$(diag)" "$(cat "$TMP/err")"; fi

# what the vendor store serves, read by the independent reader and openssl
run "$GSPROV" render --root "$V" 000b82f00001 --format binary
gsread "$TMP/out" >"$TMP/v1.ind" 2>"$TMP/err2"
printf '# mac=000b82f00001\nP212=2\nP237=prov.example.com/gs\nP1359=xml-pw-1\nP1360=\nP1361=\nP234=\nP235=\n' >"$TMP/v1.want"
if [ "$RC" = 0 ] && cmp -s "$TMP/v1.ind" "$TMP/v1.want"; then
    ok "vendor template, record <password>: the bootstrap binary's P1359 is that password (independent reader)"
else nok "vendor template, record <password>: bootstrap binary" "$(diag)" "$(cat "$TMP/err2")" "$(diff "$TMP/v1.want" "$TMP/v1.ind")"; fi
run "$GSPROV" render --root "$V" 000b82f00001
openssl enc -d -aes-256-cbc -md md5 -k xml-pw-1 -in "$TMP/out" >"$TMP/v1.xml" 2>/dev/null
xml_pvalues "$TMP/v1.xml" >"$TMP/v1.pv"
if [ "$RC" = 0 ] && [ "$(grep -c . "$TMP/v1.pv")" = 421 ] \
   && [ "$(grep -c '^P1359=' "$TMP/v1.pv")" = 1 ] && [ "$(pval "$TMP/v1.pv" P1359)" = xml-pw-1 ]; then
    ok "vendor template, record <password>: the XML decrypts (openssl enc -d) and its one P1359 is the password, among 421 P-values"
else nok "vendor template, record <password>: the XML's P1359" "$(diag)" "$(grep -c . "$TMP/v1.pv") P-values, P1359: $(grep '^P1359=' "$TMP/v1.pv")"; fi
run "$GSPROV" render --root "$V" 000b82f00002 --format binary --binary full
gsread "$TMP/out" >"$TMP/v2.ind" 2>"$TMP/err2"
if [ "$RC" = 0 ] && [ "$(grep -c '^P' "$TMP/v2.ind")" = 419 ] && ! grep -q '^P136[01]=' "$TMP/v2.ind" \
   && [ "$(pval "$TMP/v2.ind" P1359)" = xml-pw-2 ]; then
    ok "vendor template, record credentials: the full binary leaves out the empty P1360/P1361 (419 P-values)"
else nok "vendor template, record credentials: full binary" "$(diag)" "$(cat "$TMP/err2")"; fi

# the two refusals vendor templates run into, with what to change
H=$TMP/hints
mkdir -p "$H/models"
cat >"$H/models/grp2614.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8" ?>
<gs_provision version="1">
  <config version="1">
    <!-- Grandstream's parameter list
      <!-- a nested opener, as the vendor's own template header has -->
    <P2>admin</P2>
  </config>
</gs_provision>
EOF
cat >"$H/models/dp750.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8" ?>
<gs_provision version="1">
  <config version="1">
    <P2>admin</P2>

    Stray words between two parameters

    <!-- a comment -->
    <P3>x</P3>
  </config>
</gs_provision>
EOF
run "$GSPROV" lint --root "$H"
if [ "$RC" = 1 ] && [ "$(wc -l <"$TMP/out")" = 2 ] \
   && grep -q "^$H/models/grp2614.xml:5: XML error: .*; hint: a comment may not hold \"--\", so not a nested \"<!--\" either.*remove the inner \"<!--\"" "$TMP/out" \
   && grep -q "^$H/models/dp750.xml:6: unexpected text in <config>; hint: text outside any parameter element is not allowed: delete it or turn it into a comment" "$TMP/out"; then
    ok "lint refuses a nested <!-- and stray text in <config>, each with file:line and what to change"
else nok "lint of a nested <!-- and stray text: file:line and a hint" "$(diag)" "$(cat "$TMP/out")"; fi
# ================================= options, tenant variables, passwords ==
# getopt_long everywhere: every unknown option is called one, --opt=value
# works, the tenant's variables come from a GsProvVar file or the vhost's
# Apache configuration, passwords stay off the command line, and a long
# lint shows progress on a terminal only.

for c in render encrypt decrypt encode decode lint; do
    expect 2 "^gsprov $c: unknown option '--bogus'\$" "$c --bogus: exit 2, 'unknown option'" \
        "$GSPROV" "$c" --bogus </dev/null
done
expect 2 "unknown option '--quiet'" "lint --root DIR --quiet: 'unknown option', not 'unexpected'" \
    "$GSPROV" lint --root "$S" --quiet
expect 2 "unknown option '--bogus'" "render --root DIR MAC --bogus (last): 'unknown option', not 'needs a value'" \
    "$GSPROV" render --root "$S" 000b82123456 --bogus
expect 2 "unknown option '--bogus=1'" "render --bogus=1: 'unknown option'" \
    "$GSPROV" render --root "$S" 000b82123456 --bogus=1
expect 2 "unknown option '-x'" "render -x: 'unknown option'" "$GSPROV" render --root "$S" 000b82123456 -x
expect 2 "option '--root' needs a value" "render MAC --root (no value): names the option" \
    "$GSPROV" render 000b82123456 --root
expect 2 "unexpected '000b82c0ffee'" "render with two MACs: exit 2" \
    "$GSPROV" render --root "$S" 000b82123456 000b82c0ffee

run "$GSPROV" render --root "$S" 000b82123456 "${VARS[@]}" --plain
cp "$TMP/out" "$TMP/render-sep"
run "$GSPROV" render --plain --root="$S" --var=sip_server=sip.example.com:5060 000b82123456
if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$TMP/render-sep"; then ok "render --root=DIR --var=N=V (and the MAC last): the same bytes"
else nok "render --root=DIR --var=N=V: the same bytes" "$(diag)"; fi
printf 'secret text\n' > "$TMP/plain.txt"
run "$GSPROV" encrypt --password=pw1 --md=sha256 < "$TMP/plain.txt"
check "encrypt --password=PW --md=sha256: openssl decrypts it" "secret text" \
    "$(openssl enc -d -aes-256-cbc -md sha256 -k pw1 < "$TMP/out" 2>/dev/null)"

run "$GSPROV" --help
check "gsprov --help: the encrypt|decrypt block once" 1 "$(grep -c '^gsprov encrypt|decrypt' "$TMP/out")"
for c in render encode decode lint; do
    check "gsprov --help: the $c block once" 1 "$(grep -c "^gsprov $c" "$TMP/out")"
done
version=$(sed -n 's/^#define GSPROV_VERSION "\(.*\)"/\1/p' "$REPO/lib/base/gsprov_version.h")
expect 0 "" "gsprov --version: exit 0" "$GSPROV" --version
check "gsprov --version prints the version of gsprov_version.h" "gsprov $version" "$(cat "$TMP/out")"

# --- --vars-file: GsProvVar lines
printf '# the tenant'"'"'s variables\nGsProvVar sip_server sip.example.com:5060\n\n  GsProvVar floor_name "Floor \\"2\\""\n' > "$TMP/vars.conf"
expect 0 "gsprov lint: 4 device records, 0 problems" "lint --vars-file: clean" \
    "$GSPROV" lint --root "$S" --vars-file "$TMP/vars.conf"
run "$GSPROV" render --root "$S" 000b82123456 --plain --vars-file "$TMP/vars.conf"
if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$TMP/render-sep"; then ok "render --vars-file: the bytes of --var"
else nok "render --vars-file: the bytes of --var" "$(diag)"; fi
run "$GSPROV" render --root "$S" 000b82123456 --plain --vars-file "$TMP/vars.conf" --var sip_server=override.example
check "--var after --vars-file wins" 1 "$(grep -c '<P47>override.example</P47>' "$TMP/out")"
printf 'GsProvVar a b\nGsProvRoot /x\n' > "$TMP/badvars.conf"
expect 1 "badvars.conf:2: not a GsProvVar line" "--vars-file with another directive: exit 1, file:line" \
    "$GSPROV" lint --root "$S" --vars-file "$TMP/badvars.conf"
printf '<VirtualHost *:80>\nGsProvVar a b\n</VirtualHost>\n' > "$TMP/badvars2.conf"
expect 1 "badvars2.conf:1: not a GsProvVar line" "--vars-file with a section: exit 1, file:line" \
    "$GSPROV" lint --root "$S" --vars-file "$TMP/badvars2.conf"
expect 1 "nonexistent.conf" "--vars-file of a missing file: exit 1 naming it" \
    "$GSPROV" lint --root "$S" --vars-file "$TMP/nonexistent.conf"

# --- --config/--vhost: the vhost's Apache configuration
mkdir -p "$TMP/apache/sites"
cat > "$TMP/apache/sites/a.conf" <<CONF
# another tenant first: not ours
<VirtualHost *:443>
    ServerName a.example
    GsProvRoot $TMP/nonexistent-a
    GsProvVar sip_server wrong.example
</VirtualHost>
CONF
cat > "$TMP/apache/main.conf" <<CONF
ServerRoot $TMP/apache
GsProvVar floor_name "from the main server"
Include sites/*.conf
<IfModule gsprov_module>
<VirtualHost *:443>
    ServerName b.example:443
    ServerAlias prov.b.example *.b.example
    GsProvRoot $S
    GsProvVar sip_server \\
        "wrong, the location's wins"
    <Location /admin>
        SetHandler gsprov-admin
        GsProvVar floor_name admin-only
    </Location>
    <Location /prov>
        SetHandler gsprov
        GsProvVar sip_server 'sip.example.com:5060'
    </Location>
</VirtualHost>
</IfModule>
CONF
run "$GSPROV" lint --config "$TMP/apache/main.conf" --vhost b.example
if [ "$RC" = 0 ] && grep -q "4 device records, 0 problems" "$TMP/err"; then ok "lint --config --vhost: GsProvRoot and the variables of the vhost's gsprov location"
else nok "lint --config --vhost: clean" "$(diag)" "$(cat "$TMP/out")"; fi
run "$GSPROV" render --config "$TMP/apache/main.conf" --vhost x.b.example --plain 000b82123456
if [ "$RC" = 0 ] && grep -q '<P47>sip.example.com:5060</P47>' "$TMP/out"; then ok "render --config --vhost (a ServerAlias wildcard): the location's GsProvVar wins"
else nok "render --config --vhost: the location's GsProvVar" "$(diag)" "$(head -c 300 "$TMP/out")"; fi
run "$GSPROV" render --config "$TMP/apache/main.conf" --vhost b.example --plain 000b82aaaa02
check "... the main server's GsProvVar applies (the admin location's does not)" 1 \
    "$(grep -c 'from the main server' "$TMP/out")"
expect 1 "no <VirtualHost> with ServerName or ServerAlias c.example" "--vhost that is not there: exit 1" \
    "$GSPROV" lint --config "$TMP/apache/main.conf" --vhost c.example
run "$GSPROV" lint --config "$TMP/apache/main.conf" --vhost a.example
check "--vhost a.example (in an Include'd file): its GsProvRoot, exit 1" "1 1" \
    "$RC $(cat "$TMP/out" "$TMP/err" | grep -c "$TMP/nonexistent-a")"
expect 2 "--config and --vhost go together" "--config without --vhost: exit 2" \
    "$GSPROV" lint --config "$TMP/apache/main.conf"

# --- lint says when it was given no variables
run "$GSPROV" lint --root "$S"
check "lint without any variable: says none were given and how to give them" 1 \
    "$(grep -c 'no tenant variables were given: pass the vhost.s GsProvVar lines with --config FILE --vhost NAME, --vars-file FILE' "$TMP/err")"
run "$GSPROV" lint --root "$S" --var floor_name=x
check "... not when some were given" 0 "$(grep -c 'no tenant variables were given' "$TMP/err")"

# --- passwords off the command line
printf 'file-pw\nsecond line ignored\n' > "$TMP/pw"
run "$GSPROV" encrypt --password-file "$TMP/pw" < "$TMP/plain.txt"
check "encrypt --password-file: the file's first line is the password" "secret text" \
    "$(openssl enc -d -aes-256-cbc -md md5 -k file-pw < "$TMP/out" 2>/dev/null)"
run "$GSPROV" encrypt --password "file:$TMP/pw" < "$TMP/plain.txt"
check "encrypt --password file:PATH: the same" "secret text" \
    "$(openssl enc -d -aes-256-cbc -md md5 -k file-pw < "$TMP/out" 2>/dev/null)"
run env GSPROV_TEST_PW=env-pw "$GSPROV" encrypt --password env:GSPROV_TEST_PW < "$TMP/plain.txt"
check "encrypt --password env:NAME: the variable's value" "secret text" \
    "$(openssl enc -d -aes-256-cbc -md md5 -k env-pw < "$TMP/out" 2>/dev/null)"
openssl enc -aes-256-cbc -md md5 -k env-pw -in "$TMP/plain.txt" -out "$TMP/enc.bin" 2>/dev/null
run env GSPROV_TEST_PW=env-pw "$GSPROV" decrypt --password=env:GSPROV_TEST_PW < "$TMP/enc.bin"
check "decrypt --password=env:NAME: openssl's file" "secret text" "$(cat "$TMP/out")"
run "$GSPROV" encrypt --password pass:env:x < "$TMP/plain.txt"
check "encrypt --password pass:PW: PW itself (here 'env:x')" "secret text" \
    "$(openssl enc -d -aes-256-cbc -md md5 -k env:x < "$TMP/out" 2>/dev/null)"
expect 1 "the environment has no GSPROV_NO_SUCH_VAR" "--password env:UNSET: exit 1" \
    env -u GSPROV_NO_SUCH_VAR "$GSPROV" encrypt --password env:GSPROV_NO_SUCH_VAR < "$TMP/plain.txt"
expect 2 "not both" "--password and --password-file: exit 2" \
    "$GSPROV" encrypt --password x --password-file "$TMP/pw" < "$TMP/plain.txt"
run "$GSPROV" encrypt --help
check "encrypt --help says a --password on the command line shows in ps" 1 "$(grep -c 'see in ps' "$TMP/out")"

# --- the progress line: on a terminal only
if command -v script >/dev/null; then
    GSPROV_PROGRESS_AFTER=0 script -qec "'$GSPROV' lint --root '$S' --vars-file '$TMP/vars.conf'" /dev/null > "$TMP/tty.out" 2>&1
    check "lint on a terminal: a progress line on stderr" 1 \
        "$(grep -c $'\rgsprov lint: device records: [0-9]' "$TMP/tty.out")"
    check "... cleared before the summary" 1 "$(grep -c $'\r\e\[Kgsprov lint: 4 device records, 0 problems' "$TMP/tty.out")"
    GSPROV_PROGRESS_AFTER=0 script -qec "'$GSPROV' lint --no-progress --root '$S' --vars-file '$TMP/vars.conf'" /dev/null > "$TMP/tty.out" 2>&1
    check "lint --no-progress on a terminal: none" 0 "$(grep -c 'device records: ' "$TMP/tty.out")"
else
    nok "script(1) (bsdutils) is needed for the terminal check"
fi
GSPROV_PROGRESS_AFTER=0 run "$GSPROV" lint --root "$S" --vars-file "$TMP/vars.conf"
check "lint with stderr not a terminal: no progress line" 0 "$(grep -c 'device records: ' "$TMP/err")"

# links out of the store: reported naming the link, never read; links
# inside the store are fine
K=$TMP/lintlinks
cp -r "$S" "$K"
ln -s "$S/devices/000b82123456.xml" "$K/devices/000b82000007.xml"
ln -s "../../store/groups/floor2.xml" "$K/groups/linked.xml"
ln -s "000b82123456.xml" "$K/devices/000b82000008.xml"
run "$GSPROV" lint --root "$K" "${VARS[@]}" --var floor_name=x
if [ "$RC" = 1 ] && [ "$(wc -l <"$TMP/out")" = 2 ] \
   && [ "$(grep -c "^$K/devices/000b82000007\.xml: leads outside the store $K (a link out of GsProvRoot), refused$" "$TMP/out")" = 1 ] \
   && [ "$(grep -c "^$K/groups/linked\.xml: leads outside the store $K (a link out of GsProvRoot), refused$" "$TMP/out")" = 1 ]; then
    ok "lint of a store with a record and a group linked out of it: exit 1, both reported naming the link"
else nok "lint of a store with links out of it: both reported naming the link" "$(diag)" "$(cat "$TMP/out")"; fi
if ! grep -q "000b82000008\|$S/" "$TMP/out"; then ok "lint: a link inside the store is fine; the targets outside are never named"
else nok "lint: a link inside the store is fine; the targets outside are never named" "$(cat "$TMP/out")"; fi

# ============================================================== redirect ==
R=$TMP/redirect
mkdir -p "$R/devices"
cat >"$R/devices/000b82d00001.xml" <<'XML'
<device>
  <password>local pw</password>
  <redirect>
    <config>prov.b.example:8443/p</config>
    <firmware>fw.b.example/f</firmware>
    <protocol>http</protocol>
    <password>t&amp;pw</password>
  </redirect>
</device>
XML
printf '# bulk\n000b82e00001 map.example/p protocol=tftp\n000b82d00001 shadowed.example/p\n' >"$R/redirect.map"
want_xml='<?xml version="1.0" encoding="UTF-8"?>
<gs_provision version="1">
  <mac>000b82d00001</mac>
  <config version="1">
    <P237>prov.b.example:8443/p</P237>
    <P212>1</P212>
    <P192>fw.b.example/f</P192>
    <P1359>t&amp;pw</P1359>
  </config>
</gs_provision>'
run "$GSPROV" render --root "$R" 000b82d00001 --plain
if [ "$RC" = 0 ] && [ "$(cat "$TMP/out")" = "$want_xml" ]; then ok "render of a redirect record: the redirect XML, byte for byte"
else nok "render of a redirect record: the redirect XML" "$(diag)" "$(cat "$TMP/out")"; fi
run "$GSPROV" render --root "$R" 000b82d00001
cp "$TMP/out" "$TMP/redir.enc"
if [ "$RC" = 0 ] && [ "$(openssl enc -d -aes-256-cbc -md md5 -k 'local pw' -in "$TMP/redir.enc" 2>/dev/null)" = "$want_xml" ]; then
    ok "render of a redirect record with a local <password>: encrypted with it (openssl enc -d)"
else nok "render of a redirect record with a local <password>: encrypted with it" "$(diag)"; fi
run "$GSPROV" render --root "$R" 000b82d00001 --format binary
cp "$TMP/out" "$TMP/redir.bin"
# independent check: length field, word sum 0, MAC bytes, exact body
if [ "$RC" = 0 ] && perl -e '
    local $/; open my $f, "<:raw", $ARGV[0] or die; my $d = <$f>;
    my $s = 0; $s += $_ for unpack "n*", $d;
    exit 1 unless unpack("N", $d) * 2 == length $d && $s % 65536 == 0;
    exit 1 unless unpack("H12", substr $d, 6, 6) eq "000b82d00001";
    (my $b = substr $d, 16) =~ s/\0\z//;
    exit($b eq "P237=prov.b.example%3A8443%2Fp&P212=1&P192=fw.b.example%2Ff&P1359=t%26pw&gnkey=0b82" ? 0 : 1);
' "$TMP/redir.bin"; then ok "render --format binary of a redirect record: checksum, MAC, exact body (no local password)"
else nok "render --format binary of a redirect record" "$(diag)" "$(xxd "$TMP/redir.bin" | head -8)"; fi
run "$GSPROV" render --root "$R" 000b82e00001 --format binary
if [ "$RC" = 0 ] && "$GSPROV" decode <"$TMP/out" | grep -qx 'P212=0' \
   && "$GSPROV" decode <"$TMP/out" | grep -qx 'P237=map.example/p'; then ok "render of a map-only MAC: its redirect.map line"
else nok "render of a map-only MAC: its redirect.map line" "$(diag)"; fi
expect 1 "no file for 000b82e00009" "render of a MAC neither in a record nor in the map: exit 1" \
    "$GSPROV" render --root "$R" 000b82e00009
expect 0 "gsprov lint: 1 device records, 0 problems" "lint of a clean redirect store: exit 0" \
    "$GSPROV" lint --root "$R"
printf 'nope a/p\n000b82e00002 https://x/p\n000b82e00003 ok.example/p\n' >"$R/redirect.map"
printf '<device>\n<model>gxp2170</model>\n<redirect><config>h/p</config></redirect>\n</device>\n' >"$R/devices/000b82d00002.xml"
run "$GSPROV" lint --root "$R"
if [ "$RC" = 1 ] && [ "$(wc -l <"$TMP/out")" = 3 ] \
   && grep -q "^$R/redirect.map:1: 'nope' is not a MAC" "$TMP/out" \
   && grep -q "^$R/redirect.map:2: config path must not carry a scheme" "$TMP/out" \
   && grep -q "^$R/devices/000b82d00002.xml:3: a record with <redirect> cannot also have <model>" "$TMP/out"; then
    ok "lint of a broken map and redirect record: one line per problem, naming file and line"
else nok "lint of a broken map and redirect record: one line per problem" "$(diag)" "$(cat "$TMP/out")"; fi


# ---------------------------------------------------------------- database --
# The database store through the CLI (SQLite; PostgreSQL: t/system/farm.sh):
# schema, export/import round trip byte for byte, checks with line numbers,
# a second import changes nothing, lint and render of the database's records.
D=$TMP/dbstore
mkdir -p "$D/models" "$D/groups" "$D/devices"
printf '<gs_provision version="1"><config version="1"><P35>${ext}</P35></config></gs_provision>\n' >"$D/defaults.xml"
printf '<gs_provision version="1"><config version="1"><P8>1</P8></config></gs_provision>\n' >"$D/models/gxp2170.xml"
for i in 1 2 3; do
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <model>gxp2170</model>\n  <var name="ext">10%s</var>\n</device>\n' "$i" \
        >"$D/devices/000b82c0000$i.xml"
done
DB=(--driver sqlite3 --params "$TMP/db.sqlite" --tenant t1.example)
expect 0 "" "db init on an empty database: exit 0" "$GSPROV" db init --driver sqlite3 --params "$TMP/db.sqlite"
if grep -qx "gsprov db init: schema version 3 created" "$TMP/out"; then ok "db init says it created version 3"
else nok "db init says it created version 3" "$(cat "$TMP/out")"; fi
run "$GSPROV" db init --driver sqlite3 --params "$TMP/db.sqlite"
if [ "$RC" = 0 ] && grep -qx "gsprov db init: schema version 3 is current, nothing to do" "$TMP/out"; then
    ok "a second db init is a no-op"; else nok "a second db init is a no-op" "$(diag)"; fi
expect 2 "--driver and --params are required" "db init without --params: usage error" \
    "$GSPROV" db init --driver sqlite3
expect 1 "no gsprov schema" "lint against a database without the schema: exit 1" \
    "$GSPROV" lint --root "$D" --driver sqlite3 --params "$TMP/none.sqlite" --tenant t1.example
run "$GSPROV" export --root "$D"
cp "$TMP/out" "$TMP/export.jsonl"
if [ "$RC" = 0 ] && [ "$(wc -l <"$TMP/export.jsonl")" = 3 ] \
   && grep -q '^gsprov export: 3 records, 0 problems$' "$TMP/err"; then ok "export of a directory store: one JSON line per record"
else nok "export of a directory store" "$(diag)"; fi
expect 0 "3 lines, 3 created, 0 replaced, 0 unchanged, 0 rejected \(dry run" "import --dry-run counts, writes nothing" \
    "$GSPROV" import --root "$D" "${DB[@]}" --dry-run "$TMP/export.jsonl"
expect 0 "3 lines, 3 created, 0 replaced, 0 unchanged, 0 rejected$" "import into the database" \
    "$GSPROV" import --root "$D" "${DB[@]}" "$TMP/export.jsonl"
expect 0 "3 lines, 0 created, 0 replaced, 3 unchanged, 0 rejected$" "the same import again changes nothing" \
    "$GSPROV" import --root "$D" "${DB[@]}" "$TMP/export.jsonl"
run "$GSPROV" export "${DB[@]}"
if [ "$RC" = 0 ] && cmp -s <(sort "$TMP/out") <(sort "$TMP/export.jsonl"); then ok "export of the database: the same lines, byte for byte (in MAC order)"
else nok "export of the database: the same lines" "$(diag)"; fi
expect 0 "gsprov lint: 3 device records, 0 problems" "lint of the database's records" \
    "$GSPROV" lint --root "$D" "${DB[@]}"
run "$GSPROV" render --root "$D" "${DB[@]}" 000b82c00002 --plain
if [ "$RC" = 0 ] && grep -q '<P35>102</P35>' "$TMP/out"; then ok "render of a database record"
else nok "render of a database record" "$(diag)"; fi
{ grep '"000b82c00002"' "$TMP/export.jsonl" | sed 's/>102</>202</'
  echo '{"mac":"000b82c00009","record":"<device><model>nosuch</model></device>"}'
  echo 'not json'
  echo '{"mac":"zz","record":"<device/>"}'; } >"$TMP/mixed.jsonl"
expect 1 "line 2: 000b82c00009: .*model 'nosuch' has no models/nosuch.xml" "import of a bad record: its line and MAC, exit 1" \
    "$GSPROV" import --root "$D" "${DB[@]}" "$TMP/mixed.jsonl"
if grep -q "line 3: malformed JSON" "$TMP/err" && grep -q "line 4: zz: not a MAC" "$TMP/err" \
   && grep -q "4 lines, 0 created, 1 replaced, 0 unchanged, 3 rejected$" "$TMP/err"; then
    ok "... every problem with its line number; the good line still replaced"
else nok "... every problem with its line number" "$(diag)"; fi
run "$GSPROV" render --root "$D" "${DB[@]}" 000b82c00002 --plain
if grep -q '<P35>202</P35>' "$TMP/out"; then ok "... and served from the database"; else nok "... and served from the database" "$(diag)"; fi
expect 2 "a directory store is changed only with --audit-log FILE" "import into a directory store without --audit-log: usage error" \
    "$GSPROV" import --root "$D" "$TMP/export.jsonl"
expect 2 "--driver, --params and --tenant go together" "--driver without --tenant: usage error" \
    "$GSPROV" export --driver sqlite3 --params "$TMP/db.sqlite"

# ------------------------------------------------------------ bulk formats --
# gsprov export|import --format csv|jsonl (the admin API's bulk formats):
# 10,000 devices exported from a directory store, imported into empty
# stores (directory and SQLite, from each format), and every device file
# httpd serves from the five compared with cmp; problems by line number,
# a dry run that changes nothing, all or nothing.
elapsed() { echo "$1 $2" | awk '{ printf "%.1f", $2 - $1 }'; }
# bulk_fetch PORT LOC: every device file of the round trip from
# http://127.0.0.1:PORT/LOC into $B/got/LOC, the status codes into
# $B/codes-LOC, and all of them in MAC order (each behind its name) into
# $B/all-LOC
bulk_fetch() {
    local port=$1 loc=$2 i mac
    mkdir -p "$B/got/$loc"
    perl -e 'my ($port, $loc, $dir, $n) = @ARGV;
             printf qq{url = "http://127.0.0.1:%s/%s/cfg%s.xml"\noutput = "%s/%s"\n},
                 $port, $loc, $_, $dir, $_ for map { sprintf "000b82f%05x", $_ } 0 .. $n - 1' \
        "$port" "$loc" "$B/got/$loc" "$N" >"$B/curl-$loc.cfg"
    curl -s -K "$B/curl-$loc.cfg" -w '%{http_code}\n' >"$B/codes-$loc" 2>/dev/null
    # encrypted files differ by their salt: compared decrypted
    for ((i = 7; i < N; i += 1000)); do
        mac=$(printf '000b82f%05x' "$i")
        openssl enc -d -aes-256-cbc -md md5 -k "pw-$i" -in "$B/got/$loc/$mac" -out "$B/got/$loc/$mac.plain" 2>/dev/null \
            && mv "$B/got/$loc/$mac.plain" "$B/got/$loc/$mac"
    done
    perl -e 'my ($dir, $n) = @ARGV; local $/;
             for my $m (map { sprintf "000b82f%05x", $_ } 0 .. $n - 1) {
                 print "== $m\n";
                 open my $fh, "<", "$dir/$m" or do { print "missing\n"; next };
                 print <$fh>;
             }' "$B/got/$loc" "$N" >"$B/all-$loc"
}
# bulk_same LOC: LOC's device files are the source's, byte for byte
bulk_same() {
    if [ "$(grep -c '^200$' "$B/codes-$1")" = "$N" ] && cmp -s "$B/all-src" "$B/all-$1"; then
        ok "bulk: every device file served from /$1 is byte-identical to the source's ($N files, cmp)"
    else nok "bulk: every device file served from /$1 is byte-identical" "$(grep -c '^200$' "$B/codes-$1") of $N are 200" "$(cmp "$B/all-src" "$B/all-$1" 2>&1 | head -2)"; fi
}
# The same round trip through a private PostgreSQL (t/system/pg.sh):
# import from both formats, export again, every device file served.
bulk_pgsql() {
    local pgdir=$B/pg pgport port params f loc CONF=$B/httpd-pg.conf
    pgport=$(free_port)
    if ! pg_start "$pgdir" "$pgport" fsync=off >"$B/pg-start.log" 2>&1; then
        nok "bulk: a private PostgreSQL starts (t/system/pg.sh)" "$(tail -5 "$B/pg-start.log")"; return
    fi
    params=$(bash "$HERE/pg.sh" params "$pgdir" "$pgport")
    q "$GSPROV" db init --driver pgsql --params "$params"
    for f in csv jsonl; do
        t0=$(date +%s.%N)
        run "$GSPROV" import --root "$B/src" --driver pgsql --params "$params" --tenant "$f.test" "${AUD[@]}" --format "$f" "$B/export.$f"
        t1=$(date +%s.%N)
        note "bulk: import of $N records from $f into PostgreSQL: $(elapsed "$t0" "$t1") s"
        if [ "$RC" = 0 ] && grep -q "^gsprov import: $N records, $N created, 0 replaced, 0 unchanged$" "$TMP/err"; then
            ok "import --format $f of $N records into an empty PostgreSQL store"
        else nok "import --format $f into PostgreSQL" "$(diag)"; fi
        run "$GSPROV" export --driver pgsql --params "$params" --tenant "$f.test" --format "$f"
        if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$B/export.$f"; then ok "... exported again from PostgreSQL: the same $f, byte for byte"
        else nok "... exported again from PostgreSQL: the same $f" "$(diag)"; fi
    done
    port=$(free_port)
    httpd_conf_head "$CONF" "$port" "$B/error-pg.log" dbd
    {
        echo "StartServers 1"
        echo "ServerLimit 1"
        echo "ThreadsPerChild 4"
        echo "MaxRequestWorkers 4"
        echo "MinSpareThreads 1"
        echo "MaxSpareThreads 4"
        echo "DBDriver pgsql"
        echo "DBDParams \"$params\""
        echo "GsProvRoot \"$B/src\""
        echo "GsProvVar sip_server sip.bulk.example"
        echo "GsProvVar note -"
        echo "GsProvVar ext 0"
        echo "LogLevel warn dbd:crit"
        for loc in pcsv pjsonl; do
            echo "<Location /$loc>"
            echo "    SetHandler gsprov"
            echo "    GsProvStore dbd ${loc#p}.test"
            echo "</Location>"
        done
    } >>"$CONF"
    if ! httpd_start -u "http://127.0.0.1:$port/pcsv/cfg.xml" "$CONF"; then
        nok "bulk: httpd on PostgreSQL starts for the round trip" "(why: the lines above)"; return
    fi
    for loc in pcsv pjsonl; do
        bulk_fetch "$port" "$loc"
        bulk_same "$loc"
    done
    httpd_stop "$CONF" >/dev/null 2>&1
    pg_stop "$pgdir"
}
B=$TMP/bulk N=10000
bulk_tests() {
    local f st t0 t1 i
    mkdir -p "$B/src/models" "$B/src/groups" "$B/src/devices"
    printf '<gs_provision version="1"><config version="1"><P47>${sip_server}</P47><P35>${ext}</P35></config></gs_provision>\n' >"$B/src/defaults.xml"
    printf '<gs_provision version="1"><config version="1"><P8>1</P8></config></gs_provision>\n' >"$B/src/models/gxp2170.xml"
    printf '<gs_provision version="1"><config version="1"><P8>2</P8></config></gs_provision>\n' >"$B/src/models/gxp1625.xml"
    printf '<gs_provision version="1"><config version="1"><P64>UTC</P64></config></gs_provision>\n' >"$B/src/groups/sales.xml"
    printf '<gs_provision version="1"><config version="1"><P3>Support ${ext}</P3><P64>CET</P64></config></gs_provision>\n' >"$B/src/groups/support.xml"
    # records written by hand (not as the API writes them): groups in
    # either order, quotes, commas, a line break and UTF-8 in values, an
    # empty value, a password on one in a thousand
    perl -e '
        my ($dir, $n) = @ARGV;
        for my $i (0 .. $n - 1) {
            my $mac = sprintf "000b82f%05x", $i;
            open my $fh, ">", "$dir/$mac.xml" or die $!;
            my @g = $i % 3 == 0 ? ("sales", "support") : $i % 3 == 1 ? ("support", "sales") : ("sales");
            print {$fh} "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device>\n",
                "<model>", ($i % 2 ? "gxp2170" : "gxp1625"), "</model>\n",
                (map { "<group>$_</group>\n" } @g),
                ($i % 1000 == 7 ? "<password>pw-$i</password>\n" : ""),
                "<var name=\"ext\">", 1000 + $i, "</var>\n",
                ($i % 5 == 0 ? "<var name=\"note\">line one,\nline \"two\" caf\xc3\xa9</var>\n" : ""),
                "<config version=\"1\"><P3>Desk $i, &quot;\${ext}&quot; \${note}</P3><P270>\${ext}</P270>",
                ($i % 4 == 0 ? "<P33></P33>" : ""), "</config>\n</device>\n";
        }' "$B/src/devices" "$N"
    # ${note} must be defined for every device: a tenant default
    AUD=(--var sip_server=sip.bulk.example --var note=-)
    q "$GSPROV" db init --driver sqlite3 --params "$B/db.sqlite"
    for f in csv jsonl; do
        t0=$(date +%s.%N)
        run "$GSPROV" export --root "$B/src" --format "$f" "$B/export.$f"
        t1=$(date +%s.%N)
        note "bulk: export of $N records as $f: $(elapsed "$t0" "$t1") s"
        if [ "$RC" = 0 ] && grep -q "^gsprov export: $N records, 0 problems$" "$TMP/err"; then ok "export --format $f of $N records"
        else nok "export --format $f of $N records" "$(diag)"; fi
        mkdir -p "$B/d$f/devices"
        cp -r "$B/src/defaults.xml" "$B/src/models" "$B/src/groups" "$B/d$f/"
        t0=$(date +%s.%N)
        run "$GSPROV" import --root "$B/d$f" --audit-log "$B/audit-d$f.log" "${AUD[@]}" --format "$f" "$B/export.$f"
        t1=$(date +%s.%N)
        note "bulk: import of $N records from $f into a directory store: $(elapsed "$t0" "$t1") s"
        if [ "$RC" = 0 ] && grep -q "^gsprov import: $N records, $N created, 0 replaced, 0 unchanged$" "$TMP/err" \
           && [ "$(ls "$B/d$f/devices" | wc -l)" = "$N" ] && [ "$(wc -l <"$B/audit-d$f.log")" = "$N" ]; then
            ok "import --format $f of $N records into an empty directory store: all created, $N audit lines"
        else nok "import --format $f into a directory store" "$(diag)"; fi
        t0=$(date +%s.%N)
        run "$GSPROV" import --root "$B/src" --driver sqlite3 --params "$B/db.sqlite" --tenant "$f.test" "${AUD[@]}" --format "$f" <"$B/export.$f"
        t1=$(date +%s.%N)
        note "bulk: import of $N records from $f into SQLite: $(elapsed "$t0" "$t1") s"
        if [ "$RC" = 0 ] && grep -q "^gsprov import: $N records, $N created, 0 replaced, 0 unchanged$" "$TMP/err"; then
            ok "import --format $f of $N records into an empty SQLite store (from stdin)"
        else nok "import --format $f into SQLite" "$(diag)"; fi
        run "$GSPROV" export --driver sqlite3 --params "$B/db.sqlite" --tenant "$f.test" --format "$f"
        if [ "$RC" = 0 ] && cmp -s "$TMP/out" "$B/export.$f"; then ok "... exported again from SQLite: the same $f, byte for byte"
        else nok "... exported again from SQLite: the same $f" "$(diag)"; fi
        run "$GSPROV" import --root "$B/d$f" --audit-log "$B/audit-d$f.log" "${AUD[@]}" --format "$f" "$B/export.$f"
        if [ "$RC" = 0 ] && grep -q "^gsprov import: $N records, 0 created, 0 replaced, $N unchanged$" "$TMP/err" \
           && [ "$(wc -l <"$B/audit-d$f.log")" = "$N" ]; then ok "... the same import again changes and audits nothing"
        else nok "... the same import again changes nothing" "$(diag)"; fi
    done
    q chmod -R a+rX "$B"
    q chmod a+rw "$B" "$B/db.sqlite"

    # every device file, served by httpd from the five stores
    local CONF=$B/httpd.conf port loc mac
    port=$(free_port)
    httpd_conf_head "$CONF" "$port" "$B/error.log" dbd
    {
        echo "StartServers 1"
        echo "ServerLimit 1"
        echo "ThreadsPerChild 4"
        echo "MaxRequestWorkers 4"
        echo "MinSpareThreads 1"
        echo "MaxSpareThreads 4"
        echo "DBDriver sqlite3"
        echo "DBDParams \"$B/db.sqlite\""
        echo "GsProvVar sip_server sip.bulk.example"
        echo "GsProvVar note -"
        echo "GsProvVar ext 0"
        # two tenants' statements in one server: mod_dbd warns of the labels
        echo "LogLevel warn dbd:crit"
        for loc in src dcsv djsonl scsv sjsonl; do
            echo "<Location /$loc>"
            echo "    SetHandler gsprov"
            case $loc in
                d*) echo "    GsProvRoot \"$B/$loc\"" ;;
                s*) echo "    GsProvRoot \"$B/src\"" ;;
            esac
            case $loc in scsv) echo "    GsProvStore dbd csv.test" ;; sjsonl) echo "    GsProvStore dbd jsonl.test" ;; esac
            echo "</Location>"
        done
    } >>"$CONF"
    if ! httpd_start -u "http://127.0.0.1:$port/src/cfg.xml" "$CONF"; then
        nok "bulk: httpd starts for the round trip" "(why: the lines above)"; return
    fi
    t0=$(date +%s.%N)
    for loc in src dcsv djsonl scsv sjsonl; do
        bulk_fetch "$port" "$loc"
    done
    t1=$(date +%s.%N)
    note "bulk: $((5 * N)) device files fetched and collected: $(elapsed "$t0" "$t1") s"
    check "bulk: all $N device files of the source store are 200" "$N" "$(grep -c '^200$' "$B/codes-src")"
    if grep -q '<P3>Desk 10, &quot;1010&quot; line one,$' "$B/got/src/000b82f0000a" \
       && grep -q '<P270>1010</P270>' "$B/got/src/000b82f0000a" \
       && grep -q '<P3>Desk 11, &quot;1011&quot; -</P3>' "$B/got/src/000b82f0000b" \
       && grep -q '<P3>Desk 7, &quot;1007&quot; -</P3>' "$B/got/src/000b82f00007"; then
        ok "bulk: ... what the records say, the encrypted ones decrypted"
    else nok "bulk: ... what the records say" "$(head -c 600 "$B/got/src/000b82f0000a")"; fi
    for loc in dcsv djsonl scsv sjsonl; do
        bulk_same "$loc"
    done
    httpd_stop "$CONF" >/dev/null 2>&1
    bulk_pgsql

    # problems by line number; nothing written
    mkdir -p "$B/e/devices"
    cp -r "$B/src/defaults.xml" "$B/src/models" "$B/src/groups" "$B/e/"
    # 1,000 records, the 500th with an unknown model
    head -1000 "$B/export.jsonl" | sed '500s/"model":"gxp[0-9]*"/"model":"gxp9999"/' >"$B/bad.jsonl"
    expect 1 "^gsprov import: line 500: 000b82f001f3: .*gxp9999" "import --format jsonl: one bad line among 1,000: its line and MAC, exit 1" \
        "$GSPROV" import --root "$B/e" --audit-log "$B/audit-e.log" "${AUD[@]}" --format jsonl "$B/bad.jsonl"
    if grep -q "^gsprov import: 1000 records, 1 problem: nothing written$" "$TMP/err" \
       && [ -z "$(ls -A "$B/e/devices")" ] && [ ! -s "$B/audit-e.log" ]; then ok "... nothing written, nothing audited, no staged file (all or nothing)"
    else nok "... nothing written, nothing audited" "$(diag)" "$(ls -A "$B/e/devices" | head -3)"; fi
    run "$GSPROV" import --driver sqlite3 --params "$B/db.sqlite" --tenant bad.test --root "$B/src" "${AUD[@]}" --format jsonl "$B/bad.jsonl"
    st=$("$GSPROV" export --driver sqlite3 --params "$B/db.sqlite" --tenant bad.test --format jsonl 2>/dev/null | wc -l)
    if [ "$RC" = 1 ] && [ "$st" = 0 ]; then ok "... the same into SQLite: exit 1, no record"
    else nok "... the same into SQLite: nothing written" "$(diag)" "records: $st"; fi
    { printf 'mac,model,vars.ext,P3\r\n'
      printf '000b82f00001,gxp2170,1,"a ""quoted"" cell"\r\n'
      printf 'zz,gxp2170,2,x\r\n'
      printf '000b82f00001,gxp2170,3,x\r\n'
      printf '000b82f00003,gxp2170,"multi\nline",x\r\n'
      printf '000b82f00004,gxp2170,4,"a"b\r\n'
      printf '000b82f00005,gxp2170\r\n'
      printf '000b82f00006,gxp2170,,x\r\n'; } >"$B/many.csv"
    expect 1 "" "import --format csv with five kinds of problems: exit 1" \
        "$GSPROV" import --root "$B/e" --audit-log "$B/audit-e.log" "${AUD[@]}" --format csv "$B/many.csv"
    if grep -q "^gsprov import: line 3: mac: mac must be 12 hex digits$" "$TMP/err" \
       && grep -q "^gsprov import: line 4: 000b82f00001: mac: mac 000b82f00001 is also on line 2$" "$TMP/err" \
       && grep -q "^gsprov import: line 7: text after a quoted cell" "$TMP/err" \
       && grep -q "^gsprov import: line 8: 2 cells, the header has 4$" "$TMP/err" \
       && grep -q "^gsprov import: line 9: 000b82f00006: .*undefined variable \${ext}" "$TMP/err" \
       && [ "$(grep -c '^gsprov import: line' "$TMP/err")" = 5 ] \
       && grep -q "^gsprov import: 7 records, 5 problems: nothing written$" "$TMP/err"; then
        ok "... every problem with its line number (a quoted line break counts), none other"
    else nok "... every problem with its line number" "$(cat "$TMP/err")"; fi
    printf '{"mac":"000b82f00001","model":"gxp2170","vars":{"ext":"1"}}\n\n{"mac":"000b82f00002","model":"gxp2170","vars":{"ext":2}}\n[1]\n' >"$B/bad2.jsonl"
    expect 1 "^gsprov import: line 3: 000b82f00002: vars.ext: vars.ext must be a string$" "import --format jsonl: problems by line (a blank line counts)" \
        "$GSPROV" import --root "$B/e" --audit-log "$B/audit-e.log" "${AUD[@]}" --format jsonl "$B/bad2.jsonl"
    if grep -q "^gsprov import: line 4: not a JSON object$" "$TMP/err"; then ok "... and the next"; else nok "... and the next" "$(diag)"; fi

    # dry run
    expect 0 "^gsprov import: $N records, $N created, 0 replaced, 0 unchanged \(dry run: nothing written\)$" "import --dry-run --format csv: counts" \
        "$GSPROV" import --root "$B/e" "${AUD[@]}" --format csv --dry-run "$B/export.csv"
    if [ -z "$(ls -A "$B/e/devices")" ] && [ ! -s "$B/audit-e.log" ]; then ok "... and changes nothing"
    else nok "... and changes nothing" "$(ls -A "$B/e/devices" | head -3)"; fi
    expect 0 "^gsprov import: $N records, 0 created, 0 replaced, $N unchanged \(dry run" "import --dry-run into the store that has them: all unchanged" \
        "$GSPROV" import --root "$B/djsonl" "${AUD[@]}" --format jsonl --dry-run "$B/export.jsonl"
    expect 2 "--format is raw, csv or jsonl" "import --format xml: usage error" \
        "$GSPROV" import --root "$B/e" --format xml "$B/export.csv"
    expect 2 "--format is raw, csv or jsonl" "export --format xml: usage error" \
        "$GSPROV" export --root "$B/e" --format xml
}
bulk_tests

harness_done
