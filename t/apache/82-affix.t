# Config file prefix and postfix (P234/P235): every placement of
# <prefix>cfg<mac>[.xml|.bin]<postfix> and <prefix>cfg<mac><postfix>.xml is
# served when prefix and postfix are the device's merged P234/P235 (or the
# v2 aliases), and 404 otherwise (with the reason in GSPROV0003, debug).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

# Minimal independent check of a binary file: length field, word sum,
# MAC bytes, gnkey last (t/80-binary.t has the full decoder).
sub bin_mac {
    my ($d) = @_;
    return undef if length($d) < 26 || length($d) % 2;
    return undef unless unpack('N', $d) * 2 == length $d;
    my $s = 0;
    $s += $_ for unpack 'n*', $d;
    return undef if $s % 65536;
    (my $body = substr $d, 16) =~ s/\0\z//;
    return undef unless $body =~ /(?:\A|&)gnkey=0b82\z/;
    return unpack 'H12', substr $d, 6, 6;
}

my %xml_body;    # mac -> body of the first XML answer, to compare placements

# ok_name(vhost, path, mac, kind => 'xml'|'bin', label)
sub served {
    my ($vhost, $name, $mac, $kind, $why) = @_;
    my $label = "$name ($why)";
    my $r = http_req(vhost => $vhost, path => "/prov/$name");
    is($r->{code}, 200, "$label: 200") or return;
    my $n = note_for($r);
    is($n && $n->{mac}, $mac, "$label: note gsprov-mac");
    is($n && $n->{file}, "device-$kind", "$label: served as device-$kind");
    is($n && $n->{result}, 'ok', "$label: note gsprov-result ok");
    if ($kind eq 'xml') {
        like($r->{header}->('Content-Type'), qr{^application/xml}, "$label: XML Content-Type");
        like($r->{body}, qr{<mac>\Q$mac\E</mac>}, "$label: the device's file");
        $xml_body{$mac} //= $r->{body};
        is($r->{body}, $xml_body{$mac}, "$label: same body as the other XML names");
    }
    else {
        is($r->{header}->('Content-Type'), 'application/octet-stream', "$label: binary Content-Type");
        is(bin_mac($r->{body}), $mac, "$label: a valid binary file for the MAC");
    }
    return $r;
}

sub refused {
    my ($vhost, $name, $mac, $why) = @_;
    my $label = "$name ($why)";
    my $mark = error_log_pos();
    my $r = http_req(vhost => $vhost, path => "/prov/$name");
    is($r->{code}, 404, "$label: 404");
    unlike($r->{body}, qr/gs_provision|gnkey|Salted__/, "$label: no provisioning data");
    my $n = note_for($r);
    is($n && $n->{result}, 'not-found', "$label: note gsprov-result not-found");
    is($n && $n->{mac}, $mac, "$label: note gsprov-mac");
    ok(scalar(grep { /GSPROV0003/ && /\Q$mac\E/ && /prefix\/postfix/ } error_log_since($mark)),
       "$label: GSPROV0003 names the prefix/postfix mismatch")
        or diag(join "\n", error_log_since($mark));
}

my $B = 'tenant_bin';

# --- prefix and postfix: gs_ / _cfg001 (the vendor guide's example) -------------
my $m = '000b82b10003';
served($B, "gs_cfg${m}_cfg001",      $m, 'bin', 'prefix, postfix after the MAC');
served($B, "gs_cfg$m.bin_cfg001",    $m, 'bin', 'prefix, postfix after .bin');
served($B, "gs_cfg$m.xml_cfg001",    $m, 'xml', 'prefix, postfix after .xml');
served($B, "gs_cfg${m}_cfg001.xml",  $m, 'xml', 'prefix, postfix before .xml');
served($B, "gs_cfg\U$m\E_cfg001.xml", $m, 'xml', 'uppercase MAC');
{
    my $r = http_req(vhost => $B, path => "/prov/gs_cfg${m}_cfg001.xml");
    like($r->{body}, qr{<P234>gs_</P234>}, 'the XML carries P234');
    like($r->{body}, qr{<P235>_cfg001</P235>}, 'the XML carries P235');
}
refused($B, "cfg$m.xml",               $m, 'neither prefix nor postfix');
refused($B, "cfg$m",                   $m, 'binary, neither');
refused($B, "cfg$m.bin",               $m, '.bin, neither');
refused($B, "gs_cfg$m.xml",            $m, 'prefix only');
refused($B, "gs_cfg$m",                $m, 'binary, prefix only');
refused($B, "cfg${m}_cfg001.xml",      $m, 'postfix only');
refused($B, "cfg$m.xml_cfg001",        $m, 'postfix after .xml only');
refused($B, "gs_cfg${m}_cfg002.xml",   $m, 'another config version');
refused($B, "gs_cfg$m.xml_cfg002",     $m, 'another version after .xml');
refused($B, "gs_cfg${m}_cfg002",       $m, 'binary, another version');
refused($B, "xx_cfg${m}_cfg001.xml",   $m, 'another prefix');
refused($B, "GS_cfg${m}_cfg001.xml",   $m, 'prefix case matters');
refused($B, "gs_cfg${m}_CFG001.xml",   $m, 'postfix case matters');
refused($B, "gs_cfg${m}_cfg001.bin",   $m, 'postfix before .bin is not a placement');
refused($B, "gs_gs_cfg${m}_cfg001.xml", $m, 'prefix twice');
refused($B, "gs_cfg${m}_cfg001_cfg001.xml", $m, 'postfix twice');

# --- postfix only: _002 ----------------------------------------------------
$m = '000b82b10004';
served($B, "cfg${m}_002.xml",  $m, 'xml', 'postfix before .xml');
served($B, "cfg$m.xml_002",    $m, 'xml', 'postfix after .xml');
served($B, "cfg${m}_002",      $m, 'bin', 'postfix after the MAC');
served($B, "cfg$m.bin_002",    $m, 'bin', 'postfix after .bin');
refused($B, "cfg$m.xml",       $m, 'no postfix');
refused($B, "cfg$m",           $m, 'binary, no postfix');
refused($B, "cfg$m.bin",       $m, '.bin, no postfix');
refused($B, "x_cfg${m}_002.xml", $m, 'a prefix the device does not have');
refused($B, "cfg${m}_001.xml", $m, 'older postfix');

# --- prefix only: acme- ----------------------------------------------------
$m = '000b82b10005';
served($B, "acme-cfg$m.xml",   $m, 'xml', 'prefix, .xml');
served($B, "acme-cfg$m",       $m, 'bin', 'prefix, binary');
served($B, "acme-cfg$m.bin",   $m, 'bin', 'prefix, .bin');
refused($B, "cfg$m.xml",       $m, 'no prefix');
refused($B, "cfg$m",           $m, 'binary, no prefix');
refused($B, "acme-cfg${m}_1.xml", $m, 'a postfix the device does not have');
refused($B, "acme_cfg$m.xml",  $m, 'almost the prefix');

# --- postfix from a variable (.v${cfgver} = .v7) and from a group ----------
$m = '000b82b10006';
served($B, "cfg$m.xml.v7",     $m, 'xml', 'variable postfix after .xml');
served($B, "cfg$m.v7.xml",     $m, 'xml', 'variable postfix before .xml');
served($B, "cfg$m.v7",         $m, 'bin', 'variable postfix, binary');
served($B, "cfg$m.bin.v7",     $m, 'bin', 'variable postfix after .bin');
refused($B, "cfg$m.xml.v6",    $m, 'another value');
refused($B, "cfg$m.xml",       $m, 'no postfix');
$m = '000b82b10008';
served($B, "cfg${m}_s1.xml",   $m, 'xml', 'postfix set by a group');
refused($B, "cfg$m.xml",       $m, 'group postfix missing');

# --- a device without P234/P235 -------------------------------------------
$m = '000b82b10007';
served($B, "cfg$m.xml",        $m, 'xml', 'no affixes');
served($B, "cfg$m",            $m, 'bin', 'no affixes, binary');
served($B, "cfg$m.bin",        $m, 'bin', 'no affixes, .bin');
refused($B, "gs_cfg$m.xml",    $m, 'prefix on a device without P234');
refused($B, "gs_cfg$m",        $m, 'binary prefix on a device without P234');
refused($B, "cfg${m}_001.xml", $m, 'postfix on a device without P235');
refused($B, "cfg$m.xml_001",   $m, 'postfix after .xml on a device without P235');
refused($B, "cfg$m.bin_001",   $m, 'postfix after .bin on a device without P235');
refused($B, "cfg$m.XML",       $m, 'upper-case .XML is a postfix, not the extension');

# an unknown device with affixes: 404 as well (not in the store)
{
    my $r = http_req(vhost => $B, path => '/prov/gs_cfg000b82ffffff_cfg001.xml');
    is($r->{code}, 404, 'unknown device with affixes: 404');
    my $n = note_for($r);
    is($n && $n->{result}, 'not-found', '... not-found');
}

# --- v2: provisioning.config.filePrefix / filePostfix (tenant B) ----------
$m = '000b82bb0002';
served('tenant_b', "v2p_cfg${m}_v2.xml", $m, 'xml', 'v2 aliases, before .xml');
served('tenant_b', "v2p_cfg$m.xml_v2",   $m, 'xml', 'v2 aliases, after .xml');
refused('tenant_b', "cfg$m.xml",         $m, 'v2 device, no affixes');
refused('tenant_b', "v2p_cfg$m.xml",     $m, 'v2 device, prefix only');
{
    # the name is the device's, but a v2 chain has no binary file
    my $r = http_req(vhost => 'tenant_b', path => "/prov/v2p_cfg${m}_v2");
    is($r->{code}, 404, 'v2 device, binary with its affixes: 404');
    my $n = note_for($r);
    is($n && $n->{file}, 'device-bin', '... device-bin');
}
# a v2 device without the aliases keeps the plain names (see 35-v2-mixed.t)
served('tenant_b', 'cfg000b82bb0001.xml', '000b82bb0001', 'xml', 'v2 device without aliases');

error_log_check(expected_ids => []);
done_testing();
