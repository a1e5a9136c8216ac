# Firmware : SetHandler gsprov-firmware, GsProvFirmwareRoot
# <version>/<file>, the version from the layered `firmware` variable
# (defaults < model < groups in order < device record, GsProvVar as the
# fallback), identification by MAC path segment / User-Agent DevId / none,
# GsProvFirmwareUnknown, P232/P233 prefix and postfix, static-file serving
# (compared header by header with the same image served by httpd's core:
# Range, If-None-Match, If-Modified-Since, HEAD), hostile names, symlinks,
# the notes, ${firmware} in config values, and config-time checks.
# The staged rollout is t/92-firmware-rollout.t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Path ();
use IO::Socket::INET ();
use GsProvTest;
use GsProvFw;

error_log_mark();

# ---------------------------------------------------------------------------
# symlinks (made here: git keeps symlinks, but absolute targets must point
# into this run's scratch dir)

my $root = fw_root();
my $out  = t_dir() . '/fw-outside';        # next to fwroot, outside it
my $evil = t_dir() . '/fwroot-evil';       # shares fwroot's name as a prefix
File::Path::make_path($out, $evil);
for my $d ($out, $evil) {
    open my $fh, '>:raw', "$d/gxp2170fw.bin" or die;
    print {$fh} "GSFW-SECRET outside the firmware root ($d)\n" . ("\xff" x 100);
    close $fh;
    open $fh, '>:raw', "$d/secret.bin" or die;
    print {$fh} "GSFW-SECRET $d/secret.bin\n";
    close $fh;
}
my %LINKS = (
    '1.0.1.1/link-in.bin'       => '../1.0.2.1/gxp2170fw.bin',      # relative, inside
    '1.0.1.1/link-abs-in.bin'   => "$root/1.0.3.1/gxp2170fw.bin",   # absolute, inside
    '1.0.1.1/link-out.bin'      => "$out/secret.bin",               # absolute, outside
    '1.0.1.1/link-out-rel.bin'  => '../../fw-outside/secret.bin',   # relative, outside
    '1.0.1.1/link-evil.bin'     => "$evil/secret.bin",              # "fwroot-evil" is not "fwroot"
    '1.0.1.1/link-etc.bin'      => '/etc/passwd',
    '1.0.1.1/link-dangling.bin' => '../1.0.2.1/no-such-file.bin',
    '1.0.1.1/link-dir.bin'      => '../1.0.2.1',                    # a directory
    'stable'                    => '1.0.2.1',                       # a version dir, inside
    'outside'                   => $out,                            # a version dir, outside
);
for my $l (sort keys %LINKS) {
    unlink "$root/$l";
    symlink $LINKS{$l}, "$root/$l" or die "symlink $root/$l: $!";
}

# ---------------------------------------------------------------------------
# pinning at each layer (identified by the MAC path segment)

my $GXP = 'gxp2170fw.bin';
my @pins = (
    [ '000b82f00001', '1.0.1.1', 'defaults only' ],
    [ '000b82f00002', '1.0.2.1', 'the model overrides defaults' ],
    [ '000b82f00003', '1.0.3.1', 'a group overrides the model' ],
    [ '000b82f00004', '1.0.3.2', 'the later of two groups wins (pin-a, pin-b)' ],
    [ '000b82f00005', '1.0.3.1', 'the later of two groups wins (pin-b, pin-a)' ],
    [ '000b82f00006', '1.0.4.1', 'the device record beats every layer' ],
    [ '000b82f00007', '1.0.1.1', 'a model without the variable: defaults', 'ht802fw.bin' ],
    [ '000b82f00008', '1.0.7.2', 'model-wide rollout at 100%', 'grp2614fw.bin' ],
    [ '000b82f00009', '1.0.7.1', 'the record sets the percentage to 0', 'grp2614fw.bin' ],
    [ '000b82f0000b', '1.0.5.1', 'firmware.next without a percentage: no rollout' ],
    [ '000b82f0000c', '1.0.5.1', 'a later group sets the percentage to 0' ],
    [ '000b82f0000d', '1.0.5.2', 'the record sets the percentage to 100' ],
);
for my $p (@pins) {
    my ($mac, $v, $why, $file) = @$p;
    $file ||= $GXP;
    my $r = fw_req(path => "/fw/$mac/$file");
    fw_served("$why: /fw/$mac/$file", $r, $v, $file, mac => $mac, how => 'path');
}
# GsProvVar firmware when no layer sets it (store fw2, /gsvar)
fw_served('GsProvVar fallback: /gsvar/000b82f20001/' . $GXP,
          fw_req(path => "/gsvar/000b82f20001/$GXP"), '1.0.9.9', $GXP,
          mac => '000b82f20001', how => 'path');
fw_served('the record beats GsProvVar: /gsvar/000b82f20002/' . $GXP,
          fw_req(path => "/gsvar/000b82f20002/$GXP"), '1.0.1.1', $GXP,
          mac => '000b82f20002', how => 'path');
fw_served('GsProvVar fallback, unknown device: /gsvar/' . $GXP,
          fw_req(path => "/gsvar/$GXP"), '1.0.9.9', $GXP, mac => undef, how => 'none');
# no firmware variable anywhere (/novar): nothing to offer
fw_refused('no firmware variable, unknown device: /novar/' . $GXP,
           fw_req(path => "/novar/$GXP"), 'not-found');
fw_refused('no firmware variable, known device: /novar/000b82f20001/' . $GXP,
           fw_req(path => "/novar/000b82f20001/$GXP"), 'not-found');
fw_served('the record has one: /novar/000b82f20002/' . $GXP,
          fw_req(path => "/novar/000b82f20002/$GXP"), '1.0.1.1', $GXP,
          mac => '000b82f20002', how => 'path');

# the MAC segment in any case; the note is lower case
fw_served('upper-case MAC segment', fw_req(path => "/fw/000B82F00003/$GXP"),
          '1.0.3.1', $GXP, mac => '000b82f00003', how => 'path');
fw_served('mixed-case MAC segment', fw_req(path => "/fw/000b82F00004/$GXP"),
          '1.0.3.2', $GXP, mac => '000b82f00004', how => 'path');
# no fallback to another version: 1.0.2.1 has no ht802fw.bin (1.0.1.1 has)
fw_refused('a file the offered version lacks', fw_req(path => '/fw/000b82f00002/ht802fw.bin'),
           'not-found', mac => '000b82f00002');

# ---------------------------------------------------------------------------
# identification: path > User-Agent DevId (with a record) > none

sub ua { my ($model, $mac) = @_;
         "Grandstream Model HW $model SW 1.0.11.3" . (defined $mac ? " DevId $mac" : '') }

fw_served('UA DevId with a record', fw_req(path => "/fw/$GXP",
          headers => [ 'User-Agent' => ua('GXP2170', '000b82f00003') ]),
          '1.0.3.1', $GXP, mac => '000b82f00003', how => 'ua');
fw_served('UA DevId with a record (device pin)', fw_req(path => "/fw/$GXP",
          headers => [ 'User-Agent' => ua('GXP2170', '000b82f00006') ]),
          '1.0.4.1', $GXP, mac => '000b82f00006', how => 'ua');
fw_served('the MAC segment beats the UA DevId', fw_req(path => "/fw/000b82f00002/$GXP",
          headers => [ 'User-Agent' => ua('GXP2170', '000b82f00006') ]),
          '1.0.2.1', $GXP, mac => '000b82f00002', how => 'path');
fw_served('no User-Agent: unknown, defaults', fw_req(path => "/fw/$GXP"),
          '1.0.1.1', $GXP, mac => undef, how => 'none');
fw_served('UA DevId without a record: unknown, defaults < UA model',
          fw_req(path => "/fw/$GXP", headers => [ 'User-Agent' => ua('GXP2170', '000b82ffff01') ]),
          '1.0.2.1', $GXP, mac => undef, how => 'none');
fw_served('Grandstream UA without DevId: unknown, defaults < UA model',
          fw_req(path => "/fw/$GXP", headers => [ 'User-Agent' => ua('GXP2170') ]),
          '1.0.2.1', $GXP, mac => undef, how => 'none');
fw_served('UA of a model the store lacks: defaults',
          fw_req(path => "/fw/$GXP", headers => [ 'User-Agent' => ua('GXP9999', '000b82ffff02') ]),
          '1.0.1.1', $GXP, mac => undef, how => 'none');
fw_served('not a Grandstream UA (DevId of a known device): unknown',
          fw_req(path => "/fw/$GXP", headers => [ 'User-Agent' => 'curl/8.0 DevId 000b82f00003' ]),
          '1.0.1.1', $GXP, mac => undef, how => 'none');
# unknown devices never take part in a rollout (grp2614: next at 100%)
fw_served('unknown GRP2614: the model firmware, not firmware.next',
          fw_req(path => '/fw/grp2614fw.bin', headers => [ 'User-Agent' => ua('GRP2614', '000b82ffff03') ]),
          '1.0.7.1', 'grp2614fw.bin', mac => undef, how => 'none');
fw_served('known GRP2614 by UA: firmware.next',
          fw_req(path => '/fw/grp2614fw.bin', headers => [ 'User-Agent' => ua('GRP2614', '000b82f00008') ]),
          '1.0.7.2', 'grp2614fw.bin', mac => '000b82f00008', how => 'ua');

# an unknown MAC segment is 404, whatever the User-Agent says
# (the notes still say which MAC was asked for, and how it was named)
fw_refused('unknown MAC segment', fw_req(path => "/fw/000b82ffffff/$GXP"),
           'not-found', mac => '000b82ffffff', how => 'path');
fw_refused('unknown MAC segment, UA DevId of a known device',
           fw_req(path => "/fw/000b82ffffff/$GXP",
                  headers => [ 'User-Agent' => ua('GXP2170', '000b82f00003') ]), 'not-found');
fw_refused('unknown MAC segment, upper case', fw_req(path => "/fw/000B82FFFFFF/$GXP"), 'not-found');

# GsProvFirmwareUnknown deny (/unknown-deny)
fw_refused('deny: no User-Agent', fw_req(path => "/unknown-deny/$GXP"), 'not-found', how => 'none');
fw_refused('deny: UA DevId without a record',
           fw_req(path => "/unknown-deny/$GXP", headers => [ 'User-Agent' => ua('GXP2170', '000b82ffff01') ]),
           'not-found');
fw_served('deny: a known MAC segment is served', fw_req(path => "/unknown-deny/000b82f00003/$GXP"),
          '1.0.3.1', $GXP, mac => '000b82f00003', how => 'path');
fw_served('deny: a known UA DevId is served',
          fw_req(path => "/unknown-deny/$GXP", headers => [ 'User-Agent' => ua('GXP2170', '000b82f00004') ]),
          '1.0.3.2', $GXP, mac => '000b82f00004', how => 'ua');
# ... and /fw next to it still serves unknown devices (no leak between locations)
fw_served('default: still served in /fw', fw_req(path => "/fw/$GXP"),
          '1.0.1.1', $GXP, how => 'none');

# ---------------------------------------------------------------------------
# prefix (P232) and postfix (P233)

my $HT = 'ht802fw.bin';
my $A1 = '000b82fa0001';    # P232 gs_, P233 _${firmware} = _1.0.43.11
fw_served('prefix and postfix stripped', fw_req(path => "/fw/$A1/gs_${HT}_1.0.43.11"),
          '1.0.43.11', $HT, mac => $A1, how => 'path');
fw_served('plain name', fw_req(path => "/fw/$A1/$HT"), '1.0.43.11', $HT, mac => $A1);
fw_served('prefix and postfix, by UA', fw_req(path => "/fw/gs_${HT}_1.0.43.11",
          headers => [ 'User-Agent' => ua('HT802', $A1) ]), '1.0.43.11', $HT, mac => $A1, how => 'ua');
# a mismatch is a plain name (these files exist under their full names)
fw_served('prefix only: a plain name', fw_req(path => "/fw/$A1/gs_$HT"),
          '1.0.43.11', "gs_$HT", mac => $A1);
fw_served('postfix only: a plain name', fw_req(path => "/fw/$A1/${HT}_1.0.43.11"),
          '1.0.43.11', "${HT}_1.0.43.11", mac => $A1);
fw_served('prefix + postfix and nothing between: a plain name',
          fw_req(path => "/fw/$A1/gs__1.0.43.11"), '1.0.43.11', 'gs__1.0.43.11', mac => $A1);
fw_served('prefix and postfix overlapping: a plain name',
          fw_req(path => "/fw/$A1/gs_1.0.43.11"), '1.0.43.11', 'gs_1.0.43.11', mac => $A1);
fw_refused('another postfix: a plain name that does not exist',
           fw_req(path => "/fw/$A1/gs_${HT}_1.0.43.10"), 'not-found', mac => $A1);
fw_refused('the model prefix (overridden by the group): no such file',
           fw_req(path => "/fw/$A1/ht_$HT"), 'not-found', mac => $A1);
fw_refused('prefix case matters', fw_req(path => "/fw/$A1/GS_${HT}_1.0.43.11"), 'not-found', mac => $A1);
my $A2 = '000b82fa0002';    # P232 gs_, P233 empty
fw_served('prefix-only device: prefix stripped', fw_req(path => "/fw/$A2/gs_$HT"),
          '1.0.43.11', $HT, mac => $A2);
fw_served('prefix-only device: the rest is the name', fw_req(path => "/fw/$A2/gs_${HT}_1.0.43.11"),
          '1.0.43.11', "${HT}_1.0.43.11", mac => $A2);
my $A3 = '000b82fa0003';    # the record pins 1.0.9.9: postfix _1.0.9.9
fw_served('postfix from the device-level ${firmware}', fw_req(path => "/fw/$A3/gs_${HT}_1.0.9.9"),
          '1.0.9.9', $HT, mac => $A3);
fw_refused('the group-level postfix is not this device\'s', fw_req(path => "/fw/$A3/gs_${HT}_1.0.43.11"),
           'not-found', mac => $A3);
# ht802 model: P232 ht_
fw_served('model prefix (known device)', fw_req(path => "/fw/000b82f00007/ht_$HT"),
          '1.0.1.1', $HT, mac => '000b82f00007');
fw_served('model prefix, unknown device with the model\'s UA',
          fw_req(path => "/fw/ht_$HT", headers => [ 'User-Agent' => ua('HT802', '000b82ffff04') ]),
          '1.0.1.1', $HT, mac => undef, how => 'none');
fw_refused('unknown device without a UA: no model prefix, no such file',
           fw_req(path => "/fw/ht_$HT"), 'not-found');

# ---------------------------------------------------------------------------
# served like a static file: compared with the same image from httpd's core

my $M2 = '000b82f00002';
my $FW = "/fw/$M2/$GXP";
my $ST = "/static-fw/1.0.2.1/$GXP";
my $IMG = fw_bytes('1.0.2.1', $GXP);
my $SIZE = length $IMG;

my $base = fw_req(path => $FW);
my $sbase = fw_req(path => $ST);
is($sbase->{code}, 200, 'static copy: 200');
my $ETAG = $base->{header}->('ETag');
my $LM = $base->{header}->('Last-Modified');
for my $h (qw(ETag Last-Modified Content-Length Accept-Ranges)) {
    is($base->{header}->($h), $sbase->{header}->($h), "handler and core: same $h");
}
ok($sbase->{body} eq $base->{body}, 'handler and core: same body');

# multipart/byteranges -> [ [ "first-last/size", bytes ], ... ]
sub byteranges {
    my ($r) = @_;
    my ($b) = ($r->{header}->('Content-Type') || '') =~ /boundary=("?)([^";]+)\1/ ? ($2) : ();
    return undef unless defined $b;
    my @parts;
    for my $part (split /\r\n--\Q$b\E(?:--)?\r?\n?/, "\r\n" . $r->{body}) {
        next unless $part =~ /\A(.*?)\r\n\r\n(.*)\z/s;
        my ($hd, $data) = ($1, $2);
        my ($cr) = $hd =~ /^Content-Range:\s*bytes\s+(\S+)/mi or next;
        push @parts, [ $cr, $data ];
    }
    return \@parts;
}

my $OLD = 'Mon, 01 Jan 1990 00:00:00 GMT';
# [ label, headers, method, expected code, expected body (undef: don't care) ]
my @cond = (
    [ 'Range bytes=0-99',     [ Range => 'bytes=0-99' ],       'GET', 206, substr($IMG, 0, 100) ],
    [ 'Range bytes=100-',     [ Range => 'bytes=100-' ],       'GET', 206, substr($IMG, 100) ],
    [ 'Range bytes=-37',      [ Range => 'bytes=-37' ],        'GET', 206, substr($IMG, -37) ],
    [ 'Range bytes=1000-1999', [ Range => 'bytes=1000-1999' ], 'GET', 206, substr($IMG, 1000, 1000) ],
    [ 'Range past the end',   [ Range => "bytes=$SIZE-" ],     'GET', 416, undef ],
    [ 'two ranges',           [ Range => 'bytes=0-9,20-29' ],  'GET', 206, undef ],
    [ 'If-None-Match the ETag',  [ 'If-None-Match' => $ETAG ], 'GET', 304, '' ],
    [ 'If-None-Match *',         [ 'If-None-Match' => '*' ],   'GET', 304, '' ],
    [ 'If-None-Match another',   [ 'If-None-Match' => '"x-0"' ], 'GET', 200, $IMG ],
    [ 'If-Modified-Since Last-Modified', [ 'If-Modified-Since' => $LM ], 'GET', 304, '' ],
    [ 'If-Modified-Since 1990', [ 'If-Modified-Since' => $OLD ], 'GET', 200, $IMG ],
    [ 'If-Range the ETag + Range', [ 'If-Range' => $ETAG, Range => 'bytes=5-9' ], 'GET', 206, substr($IMG, 5, 5) ],
    [ 'If-Range another + Range',  [ 'If-Range' => '"x-0"', Range => 'bytes=5-9' ], 'GET', 200, $IMG ],
    [ 'If-Match another',     [ 'If-Match' => '"x-0"' ],       'GET', 412, undef ],
    [ 'HEAD',                 [],                              'HEAD', 200, '' ],
    [ 'HEAD If-None-Match',   [ 'If-None-Match' => $ETAG ],    'HEAD', 304, '' ],
    [ 'HEAD Range',           [ Range => 'bytes=0-99' ],       'HEAD', 206, '' ],
);
for my $c (@cond) {
    my ($label, $hdr, $method, $code, $body) = @$c;
    my $r = fw_req(path => $FW, method => $method, headers => $hdr);
    my $s = fw_req(path => $ST, method => $method, headers => $hdr);
    is($r->{code}, $code, "$label: $code") or diag('body ' . fw_first_line($r->{body}));
    is($r->{code}, $s->{code}, "$label: same status as the static file");
    ok($r->{body} eq $body, "$label: body") or diag('got ' . fw_first_line($r->{body}))
        if defined $body;
    for my $h (qw(Content-Range Content-Length ETag Last-Modified)) {
        is($r->{header}->($h), $s->{header}->($h), "$label: same $h as the static file");
    }
    ok(!defined $r->{header}->('Transfer-Encoding'), "$label: not chunked");
    if ($code == 206 && $method eq 'GET' && !defined $body) {
        my $parts = byteranges($r);
        is_deeply($parts, [ [ "0-9/$SIZE", substr($IMG, 0, 10) ], [ "20-29/$SIZE", substr($IMG, 20, 10) ] ],
                  "$label: multipart/byteranges with the right bytes");
    }
    if ($method eq 'HEAD' && $code == 200) {
        is($r->{header}->('Content-Length'), $SIZE, "$label: Content-Length of the image");
        is($r->{header}->('Content-Type'), 'application/octet-stream', "$label: Content-Type");
        my $n = fw_note($r);
        is($n && $n->{result}, 'ok', "$label: note ok");
        is($n && $n->{version}, '1.0.2.1', "$label: note version");
    }
}

# keep-alive: Content-Length, never chunked (http_req asks Connection: close,
# where httpd would not chunk anyway)
sub keepalive_get {
    my ($path) = @_;
    my $port = Apache::Test::vars('tenant_fw_port');
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or die "connect: $!";
    binmode $s;
    print {$s} "GET $path HTTP/1.1\r\nHost: localhost:$port\r\nX-Test-Id: keepalive-$$\r\n\r\n";
    my $buf = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 20;
    while (index($buf, "\r\n\r\n") < 0) {
        my $n = sysread $s, $buf, 65536, length $buf;
        last unless $n;
    }
    my $sep = index $buf, "\r\n\r\n";
    my $head = substr $buf, 0, $sep;
    my $body = substr $buf, $sep + 4;
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    my $te = $head =~ /^Transfer-Encoding:/mi;
    while (defined $len && length $body < $len) {
        my $n = sysread $s, $body, 65536, length $body;
        last unless $n;
    }
    alarm 0;
    close $s;
    return ($head, $body, $len, $te);
}
{
    my ($head, $body, $len, $te) = keepalive_get($FW);
    like($head, qr{^HTTP/1\.1 200}, 'keep-alive GET: 200');
    is($len, $SIZE, 'keep-alive GET: Content-Length');
    ok(!$te, 'keep-alive GET: not chunked');
    ok($body eq $IMG, 'keep-alive GET: the image');
}

# ---------------------------------------------------------------------------
# allowed and hostile names

my $M1 = '000b82f00001';    # 1.0.1.1
fw_served('every allowed character', fw_req(path => "/fw/$M1/A-z_0.9~x.bin"),
          '1.0.1.1', 'A-z_0.9~x.bin', mac => $M1);
my $N128 = ('f' x 124) . '.bin';
fw_served('a 128-character name', fw_req(path => "/fw/$M1/$N128"), '1.0.1.1', $N128, mac => $M1);

# [ path, expected note: 'bad-name' | 'not-found' | 'httpd' | undef (any 404) ]
my @hostile = (
    [ "/fw/",                               'bad-name' ],   # empty name
    [ "/fw/$M1/",                           'bad-name' ],
    [ "/fw/.hidden",                        'bad-name' ],   # exists in 1.0.1.1
    [ "/fw/$M1/.hidden",                    'bad-name' ],
    [ "/fw/...",                            'bad-name' ],
    [ "/fw/..%2e",                          'bad-name' ],   # decodes to "..."
    [ "/fw/$M1/" . ('f' x 125) . '.bin',    'bad-name' ],   # 129 characters
    [ "/fw/" . ('a' x 3000),                'bad-name' ],
    [ "/fw/gxp2170fw%20.bin",               'bad-name' ],   # space
    [ "/fw/gxp2170fw.bin%0a",               'bad-name' ],   # newline
    [ "/fw/gxp2170fw.bin%0d%0aX-Evil:%201", 'bad-name' ],
    [ "/fw/gxp2170fw.bin%09",               'bad-name' ],   # tab
    [ "/fw/gxp2170fw.bin;x=1",              'bad-name' ],
    [ "/fw/gxp2170fw*.bin",                 'bad-name' ],
    [ "/fw/%c3%a9.bin",                     'bad-name' ],   # UTF-8 letter
    [ "/fw/%ff%fe.bin",                     'bad-name' ],   # not UTF-8
    [ "/fw/gxp2170fw.bin%2500",             'bad-name' ],   # a literal "%00"
    [ "/fw/..%5c1.0.2.1%5cgxp2170fw.bin",   'bad-name' ],   # backslashes
    [ "/fw/gxp2170fw.bin/",                 'bad-name' ],   # a segment after the file
    [ "/fw/1.0.2.1/gxp2170fw.bin",          'bad-name' ],   # a version is not a MAC
    [ "/fw/stable/gxp2170fw.bin",           'bad-name' ],
    [ "/fw/$M1/1.0.2.1/gxp2170fw.bin",      'bad-name' ],   # deeper
    [ "/fw/x/$M1/gxp2170fw.bin",            'bad-name' ],   # deeper, MAC second-last
    [ "/fw/000b82f0000/gxp2170fw.bin",      'bad-name' ],   # 11 hex digits
    [ "/fw/000b82f000011/gxp2170fw.bin",    'bad-name' ],   # 13
    [ "/fw/000b82g00001/gxp2170fw.bin",     'bad-name' ],   # not hex
    [ "/fw/00:0b:82:f0:00:01/gxp2170fw.bin", 'bad-name' ],
    [ "/fw/00-0b-82-f0-00-01/gxp2170fw.bin", 'bad-name' ],
    [ "/fw/cfg$M1/gxp2170fw.bin",           'bad-name' ],
    # names that pass the character check but are no file of the version
    [ "/fw/dir.bin",                        'not-found' ],  # a directory in 1.0.1.1
    [ "/fw/$M1/dir.bin",                    'not-found' ],
    [ "/fw/~root",                          'not-found' ],
    [ "/fw/-",                              'not-found' ],
    [ "/fw/sub",                            'not-found' ],  # unknown device: 1.0.1.1 has no sub
    [ "/fw/$M1/..",                         undef ],        # httpd: /fw/
    # httpd refuses these before any handler runs
    [ "/fw/..%2f1.0.2.1%2fgxp2170fw.bin",   'httpd' ],      # encoded slash
    [ "/fw/$M1%2fgxp2170fw.bin",            'httpd' ],
    [ "/fw/gxp2170fw.bin%00",               'httpd' ],      # NUL
    [ "/fw/%00",                            'httpd' ],
);
cmp_ok(scalar(grep { defined $_->[1] && $_->[1] eq 'bad-name' } @hostile), '>=', 15,
       'at least 15 hostile names the module refuses itself');
for my $c (@hostile) {
    my ($path, $note) = @$c;
    my $label = length $path > 60 ? substr($path, 0, 40) . '...(' . length($path) . ')' : $path;
    my $r = fw_req(path => $path);
    isnt($r->{code}, 200, "hostile $label: not 200");
    my $n = fw_refused("hostile $label", $r, $note);
    ok(!defined $n->{mac}, "hostile $label: no gsprov-mac note")
        if $n && defined $note && $note eq 'bad-name';
}
{
    my $r = fw_req(path => '/fw/.hidden', method => 'HEAD');
    is($r->{code}, 404, 'HEAD /fw/.hidden: 404');
    is($r->{body}, '', '... no body');
}

# ---------------------------------------------------------------------------
# symlinks: inside the root served, out of it 404

{
    my $r = fw_req(path => "/fw/$M1/link-in.bin");
    is($r->{code}, 200, 'symlink inside the root (relative): 200');
    ok($r->{body} eq fw_bytes('1.0.2.1', $GXP), '... the target\'s bytes')
        or diag(fw_first_line($r->{body}));
    my $n = fw_note($r);
    is($n && $n->{fwfile}, 'link-in.bin', '... note gsprov-fw-file is the requested name');
    $r = fw_req(path => "/fw/$M1/link-abs-in.bin");
    is($r->{code}, 200, 'symlink inside the root (absolute): 200');
    ok($r->{body} eq fw_bytes('1.0.3.1', $GXP), '... the target\'s bytes')
        or diag(fw_first_line($r->{body}));
}
for my $l (qw(link-out.bin link-out-rel.bin link-evil.bin link-etc.bin link-dangling.bin link-dir.bin)) {
    my $r = fw_req(path => "/fw/$M1/$l");
    fw_refused("symlink $l -> $LINKS{\"1.0.1.1/$l\"}", $r, 'not-found', mac => $M1);
    unlike($r->{body}, qr/root:|GSFW-SECRET/, "symlink $l: no bytes of the target");
}
fw_served('version dir symlinked inside the root', fw_req(path => "/fw/000b82fe0006/$GXP"),
          'stable', $GXP, mac => '000b82fe0006');
fw_refused('version dir symlinked out of the root', fw_req(path => "/fw/000b82fe0007/$GXP"),
           'not-found', mac => '000b82fe0007');

# ---------------------------------------------------------------------------
# bad versions (from the layers, not the request) and errors

fw_refused('version ../1.0.2.1',        fw_req(path => "/fw/000b82fe0002/$GXP"), 'not-found', mac => '000b82fe0002');
fw_refused('version .ver (exists)',     fw_req(path => "/fw/000b82fe0003/$GXP"), 'not-found', mac => '000b82fe0003');
fw_refused('version not in the store',  fw_req(path => "/fw/000b82fe0004/$GXP"), 'not-found', mac => '000b82fe0004');
fw_refused('version with a slash',      fw_req(path => "/fw/000b82fe0005/$GXP"), 'not-found', mac => '000b82fe0005');
fw_refused('firmware.next ../1.0.2.1',  fw_req(path => "/fw/000b82fe0008/$GXP"), 'not-found', mac => '000b82fe0008');
{
    my $mark = error_log_pos();
    my $r = fw_req(path => "/fw/000b82fe0001/$GXP");
    fw_refused('undefined variable in P233', $r, 'error', code => 500, mac => '000b82fe0001');
    my @l = grep { /\[[^\]]*:error\]/ && /GSPROV0304/ && /no_such_fw_var/ } error_log_since($mark);
    ok(@l, '... [error] GSPROV0304 naming the variable') or diag(join "\n", error_log_since($mark));
}
{
    # 404s say why at debug (LogLevel gsprov:debug in tenant_fw)
    my $mark = error_log_pos();
    fw_req(path => '/fw/000b82f00002/ht802fw.bin');
    fw_req(path => "/fw/000b82ffffff/$GXP");
    fw_req(path => "/fw/$M1/.hidden");
    my @l = grep { /GSPROV0301/ } error_log_since($mark);
    cmp_ok(scalar @l, '>=', 3, '404s: GSPROV0301 at debug') or diag(join "\n", error_log_since($mark));
    ok(!grep({ !/:debug\]/ } @l), '... at debug level') or diag(join "\n", @l);
}

# ---------------------------------------------------------------------------
# ${firmware} (and other layer variables) in config values: same precedence

my @head = ([ P212 => 1 ], [ P6767 => 1 ], [ P238 => 1 ]);
sub cfg_is {
    my ($path, $want, $label) = @_;
    my $r = fw_req(path => $path);
    is($r->{code}, 200, "$label: 200");
    is($r->{body}, $want, "$label: body");
    unlike($r->{body}, qr/<var|firmware\.next|\$\{/, "$label: no layer variable rendered");
}
cfg_is('/prov/cfg000b82f00001.xml', gs_xml(mac => '000b82f00001', params => [
    @head, [ P8000 => 'fw=1.0.1.1' ], [ P8001 => 'from-defaults' ],
    [ P192 => 'fw.example/fw/000b82f00001' ] ]), 'cfg000b82f00001.xml (defaults; layer var beats GsProvVar)');
cfg_is('/prov/cfg000b82f00002.xml', gs_xml(mac => '000b82f00002', params => [
    @head, [ P8000 => 'fw=1.0.2.1' ], [ P8001 => 'from-defaults' ], [ P2 => 'admin-gxp2170' ] ]),
    'cfg000b82f00002.xml (model)');
cfg_is('/prov/cfg000b82f00004.xml', gs_xml(mac => '000b82f00004', params => [
    @head, [ P8000 => 'fw=1.0.3.2' ], [ P8001 => 'from-pin-a' ], [ P2 => 'admin-gxp2170' ],
    [ P4000 => 'pin-b' ] ]), 'cfg000b82f00004.xml (later group)');
cfg_is('/prov/cfg000b82f00005.xml', gs_xml(mac => '000b82f00005', params => [
    @head, [ P8000 => 'fw=1.0.3.1' ], [ P8001 => 'from-pin-a' ], [ P2 => 'admin-gxp2170' ],
    [ P4000 => 'pin-a' ] ]), 'cfg000b82f00005.xml (later group)');
cfg_is('/prov/cfg000b82f00006.xml', gs_xml(mac => '000b82f00006', params => [
    @head, [ P8000 => 'fw=1.0.4.1' ], [ P8001 => 'from-device' ], [ P2 => 'admin-gxp2170' ],
    [ P4000 => 'pin-b' ], [ P192 => 'fw.example/fw/000b82f00006' ] ]),
    'cfg000b82f00006.xml (device var)');
cfg_is('/prov/cfg000b82fa0001.xml', gs_xml(mac => '000b82fa0001', params => [
    [ P212 => 1 ], [ P6767 => 1 ], [ P238 => 1 ], [ P8000 => 'fw=1.0.43.11' ], [ P8001 => 'from-defaults' ],
    [ P2 => 'admin-ht802' ], [ P232 => 'gs_' ], [ P233 => '_1.0.43.11' ] ]),
    'cfg000b82fa0001.xml (group var in P233)');
cfg_is('/prov/cfg000b82fa0003.xml', gs_xml(mac => '000b82fa0003', params => [
    [ P212 => 1 ], [ P6767 => 1 ], [ P238 => 1 ], [ P8000 => 'fw=1.0.9.9' ], [ P8001 => 'from-defaults' ],
    [ P2 => 'admin-ht802' ], [ P232 => 'gs_' ], [ P233 => '_1.0.9.9' ] ]),
    'cfg000b82fa0003.xml (device var in P233)');
cfg_is('/prov/cfg.xml', gs_xml(params => [ @head, [ P8000 => 'fw=1.0.1.1' ], [ P8001 => 'from-defaults' ] ]),
       'cfg.xml (defaults var)');
cfg_is('/prov/cfggxp2170.xml', gs_xml(params => [ @head, [ P8000 => 'fw=1.0.2.1' ],
       [ P8001 => 'from-defaults' ], [ P2 => 'admin-gxp2170' ] ]), 'cfggxp2170.xml (model var)');
cfg_is('/provvar/cfg000b82f20001.xml', gs_xml(mac => '000b82f20001', params => [
    [ P212 => 1 ], [ P8000 => 'fw=1.0.9.9' ] ]), 'fw2 cfg000b82f20001.xml (GsProvVar)');
cfg_is('/provvar/cfg000b82f20002.xml', gs_xml(mac => '000b82f20002', params => [
    [ P212 => 1 ], [ P8000 => 'fw=1.0.1.1' ] ]), 'fw2 cfg000b82f20002.xml (device var beats GsProvVar)');

# ---------------------------------------------------------------------------
# configuration checks (apache2 -t)

my %STORE = ('store/defaults.xml' => qq{<gs_provision version="1"><config version="1"><P2>x</P2></config></gs_provision>\n});
sub conftest {
    my ($server, $inner) = @_;
    return <<"EOF";
$server
<VirtualHost 127.0.0.1:1>
    GsProvRoot \@DIR\@/store
    <Location /fw>
        SetHandler gsprov-firmware
        $inner
    </Location>
</VirtualHost>
EOF
}
for my $good ([ 'GsProvFirmwareRoot @DIR@/fw', '' ],
              [ '', 'GsProvFirmwareRoot @DIR@/fw' ],
              [ '<Directory @DIR@/x>
    GsProvFirmwareRoot @DIR@/fw
</Directory>', 'GsProvFirmwareRoot @DIR@/fw' ],
              [ 'GsProvFirmwareRoot @DIR@/fw', 'GsProvFirmwareUnknown deny' ],
              [ 'GsProvFirmwareRoot @DIR@/fw
GsProvFirmwareUnknown default', 'GsProvFirmwareUnknown deny' ]) {
    my ($rc, $out) = httpd_configtest(conftest(@$good), files => \%STORE, dirs => [ 'fw/1.0.1.1', 'x' ]);
    (my $l = "@$good") =~ s/\s+/ /g;
    is($rc, 0, "'$l': apache2 -t succeeds") or diag($out);
}
for my $bad ([ 'GsProvFirmwareRoot @DIR@/no-such-dir', '', 'GsProvFirmwareRoot' ],
             [ '', 'GsProvFirmwareRoot @DIR@/no-such-dir', 'GsProvFirmwareRoot' ],
             [ 'GsProvFirmwareRoot @DIR@/store/defaults.xml', '', 'GsProvFirmwareRoot' ],
             [ 'GsProvFirmwareRoot', '', 'GsProvFirmwareRoot' ],
             [ 'GsProvFirmwareRoot @DIR@/fw @DIR@/fw', '', 'GsProvFirmwareRoot' ],
             [ 'GsProvFirmwareRoot @DIR@/fw', 'GsProvFirmwareUnknown maybe', 'GsProvFirmwareUnknown' ],
             [ 'GsProvFirmwareRoot @DIR@/fw', 'GsProvFirmwareUnknown', 'GsProvFirmwareUnknown' ]) {
    my ($server, $inner, $dir) = @$bad;
    my ($rc, $out) = httpd_configtest(conftest($server, $inner), files => \%STORE, dirs => [ 'fw' ]);
    (my $l = "$server $inner") =~ s/\s+/ /g;
    isnt($rc, 0, "'$l': apache2 -t fails");
    like($out, qr/\Q$dir\E/, "'$l': the message names $dir");
    unlike($out, qr/AddressSanitizer|runtime error:|Segmentation fault/, "'$l': no crash");
}

# nothing above disturbed normal service
fw_served('still serving', fw_req(path => "/fw/$M2/$GXP"), '1.0.2.1', $GXP, mac => $M2);

error_log_check(expected_ids => [qw(GSPROV0304)]);
done_testing();
