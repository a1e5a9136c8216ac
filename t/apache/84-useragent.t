# GsProvUserAgent off|required|match, the model taken from the User-Agent
# for a device record without <model>, and the gsprov-model / gsprov-fw
# request notes (logged to gsprov_ua_log by t/apache/conf/extra.conf.in).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;
use File::Spec ();
use Time::HiRes ();

error_log_mark();

my $B = 'tenant_bin';

# The gsprov_ua_log line of a request: id status model fw file result
# ("-" comes back as undef).
sub ua_note {
    my ($res) = @_;
    my $path = File::Spec->catfile(logs_dir(), 'gsprov_ua_log');
    my $deadline = Time::HiRes::time() + 5;
    while (1) {
        if (open my $fh, '<', $path) {
            while (my $l = <$fh>) {
                chomp $l;
                my @f = split / /, $l;
                next unless @f == 6 && $f[0] eq $res->{id};
                my %n;
                @n{qw(id status model fw file result)} = @f;
                for (values %n) { $_ = undef if $_ eq '-' }
                return \%n;
            }
        }
        return {} if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

sub req {
    my ($path, $ua, %a) = @_;
    return http_req(vhost => $a{vhost} || $B, path => $path,
                    headers => [ defined $ua ? ('User-Agent' => $ua) : () ]);
}

sub gs_ua {
    my ($model, $fw, $mac) = @_;
    return "Grandstream Model HW $model SW $fw" . (defined $mac ? " DevId $mac" : '');
}

sub expect {
    my ($path, $ua, $code, $result, $label, %a) = @_;
    my $mark = error_log_pos();
    my $r = req($path, $ua, %a);
    is($r->{code}, $code, "$label: $code");
    my $n = note_for($r);
    is($n && $n->{result}, $result, "$label: gsprov-result $result");
    if ($code == 403) {
        unlike($r->{body}, qr/gs_provision|gnkey|Salted__/, "$label: no provisioning data");
        if ($a{log}) {
            ok(scalar(grep { /$a{log}/ } error_log_since($mark)), "$label: logged $a{log}")
                or diag(join "\n", error_log_since($mark));
        }
    }
    return $r;
}

my $DEV = '000b82b10007';    # no <model>, no password, no affixes
my $GS  = gs_ua('GXP2135', '1.0.7.97', $DEV);
my @NOT_GS = (
    [ undef,                      'no User-Agent' ],
    [ '',                         'empty User-Agent' ],
    [ 'curl/8.4.0',               'curl' ],
    [ 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox' ],
    [ 'Grandstream',              '"Grandstream" alone' ],
    [ 'Grandstreamer x',          '"Grandstreamer x"' ],
    [ 'Yealink SIP-T46S 66.86.0.15', 'another vendor' ],
);

# --- GsProvUserAgent off (default, and explicit) ------------------------
for my $loc ('/prov', '/uaoff') {
    expect("$loc/cfg$DEV.xml", 'curl/8.4.0', 200, 'ok', "$loc: curl");
    expect("$loc/cfg$DEV.xml", undef, 200, 'ok', "$loc: no User-Agent");
    expect("$loc/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97', '000b82000001'), 200, 'ok',
           "$loc: another DevId");
}

# --- required ------------------------------------------------------------
for my $c (@NOT_GS) {
    my ($ua, $what) = @$c;
    expect("/uareq/cfg$DEV.xml", $ua, 403, 'forbidden', "required, $what, device XML",
           log => 'GSPROV0005');
}
expect("/uareq/cfg$DEV",        'curl/8.4.0', 403, 'forbidden', 'required, curl, binary');
expect('/uareq/cfggxp2170.xml', 'curl/8.4.0', 403, 'forbidden', 'required, curl, model file');
expect('/uareq/cfg.xml',        'curl/8.4.0', 403, 'forbidden', 'required, curl, cfg.xml');
# the name is checked first: a bad name is 404 whatever the User-Agent
expect('/uareq/cfg..xml',       'curl/8.4.0', 404, 'bad-name', 'required, curl, bad name');
{
    # the refused User-Agent is logged escaped, on one line
    my $mark = error_log_pos();
    req("/uareq/cfg$DEV.xml", 'evil "quoted" agent');
    my @l = grep { /GSPROV0005/ } error_log_since($mark);
    # (httpd itself answers 400 to control characters in a header, so
    # only quotes can reach the log; they are written as they came)
    ok(@l == 1 && $l[0] =~ /\(evil "quoted" agent\), refused$/,
       'GSPROV0005 quotes the User-Agent escaped, on one line')
        or diag(join "\n", @l);
}
expect("/uareq/cfg$DEV.xml", $GS, 200, 'ok', 'required, Grandstream UA, device XML');
expect("/uareq/cfg$DEV",     $GS, 200, 'ok', 'required, Grandstream UA, binary');
expect("/uareq/cfg$DEV.bin", $GS, 200, 'ok', 'required, Grandstream UA, .bin');
expect('/uareq/cfggxp2170.xml', $GS, 200, 'ok', 'required, Grandstream UA, model file');
expect('/uareq/cfg.xml',     $GS, 200, 'ok', 'required, Grandstream UA, cfg.xml');
expect("/uareq/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97', '000b82000001'), 200, 'ok',
       'required, Grandstream UA with another DevId (not checked)');
expect("/uareq/cfg$DEV.xml", 'Grandstream BT110 1.0.8.33', 200, 'ok',
       'required, legacy UA without DevId');
expect("/uareq/cfg$DEV.xml", 'Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8',
       200, 'ok', 'required, legacy UA with images');
expect('/uareq/cfg000b82ffffff.xml', $GS, 404, 'not-found', 'required, Grandstream UA, unknown device');
# more forms devices send
expect("/uareq/cfg$DEV.xml", 'Grandstream HT-503  V1.1B 1.0.10.9  chip V2.2', 200, 'ok',
       'required, HT-503 (dash, hardware revision, trailing words)');
expect("/uareq/cfg$DEV.xml", 'Grandstream HT801 1.0.49.2 c074adca6f20', 200, 'ok',
       'required, legacy UA with a bare MAC');
expect("/uareq/cfg$DEV.xml", 'Grandstream Wave 1.2.14', 200, 'ok',
       'required, the Wave softphone (Grandstream, though no device)');

# --- match ---------------------------------------------------------------
expect("/uamatch/cfg$DEV.xml", $GS, 200, 'ok', 'match, right DevId, XML');
expect("/uamatch/cfg$DEV",     $GS, 200, 'ok', 'match, right DevId, binary');
expect("/uamatch/cfg\U$DEV\E.xml", $GS, 200, 'ok', 'match, uppercase MAC in the URL');
expect("/uamatch/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97', uc $DEV), 200, 'ok',
       'match, uppercase DevId');
expect("/uamatch/cfg$DEV.xml", "Grandstream Model HW HT801 V1.1A SW 1.0.17.5 DevId $DEV", 200, 'ok',
       'match, right DevId with a hardware revision');
expect("/uamatch/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97', '000b82b10001'), 403, 'forbidden',
       'match, wrong DevId, XML', log => 'GSPROV0006');
expect("/uamatch/cfg$DEV",     gs_ua('GXP2135', '1.0.7.97', '000b82b10001'), 403, 'forbidden',
       'match, wrong DevId, binary', log => 'GSPROV0006');
expect("/uamatch/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97'), 403, 'forbidden',
       'match, no DevId', log => qr/GSPROV0006.*\(none\)/);
expect("/uamatch/cfg$DEV.xml", 'Grandstream BT110 1.0.8.33', 403, 'forbidden',
       'match, legacy UA without DevId', log => 'GSPROV0006');
expect("/uamatch/cfg$DEV.xml", 'curl/8.4.0', 403, 'forbidden', 'match, curl',
       log => 'GSPROV0005');
# a DevId with colons (GRP2601W firmware writes it so), and the legacy
# form's bare MAC after the firmware
expect("/uamatch/cfg$DEV.xml", 'Grandstream Model HW GRP2601W SW 1.0.7.32 DevId 00:0B:82:B1:00:07',
       200, 'ok', 'match, DevId with colons');
expect("/uamatch/cfg$DEV", 'Grandstream Model HW GRP2601W SW 1.0.7.32 DevId 00:0B:82:B1:00:01',
       403, 'forbidden', 'match, DevId with colons, another MAC', log => qr/GSPROV0006.*000b82b10001/);
expect("/uamatch/cfg$DEV.xml", "Grandstream HT801 1.0.49.2 $DEV", 200, 'ok',
       'match, legacy UA with the bare MAC');
expect("/uamatch/cfg$DEV.xml", 'Grandstream HT801 1.0.49.2 c074adca6f20', 403, 'forbidden',
       'match, legacy UA with another bare MAC', log => qr/GSPROV0006.*c074adca6f20/);
# per-device only: the generic and model files need just a Grandstream UA
expect('/uamatch/cfg.xml', gs_ua('GXP2135', '1.0.7.97', '000b82b10001'), 200, 'ok',
       'match, generic cfg.xml, any DevId');
expect('/uamatch/cfg.xml', 'Grandstream BT110 1.0.8.33', 200, 'ok',
       'match, generic cfg.xml, no DevId');
expect('/uamatch/cfggxp2170.xml', gs_ua('GXP2135', '1.0.7.97', '000b82b10001'), 200, 'ok',
       'match, model file, another DevId');
expect('/uamatch/cfg.xml', 'curl/8.4.0', 403, 'forbidden', 'match, generic cfg.xml, curl');
# names with prefix and postfix carry the MAC as well
expect('/uamatch/gs_cfg000b82b10003_cfg001.xml', gs_ua('GXP2135', '1.0.7.97', '000b82b10003'),
       200, 'ok', 'match, prefixed name, right DevId');
expect('/uamatch/gs_cfg000b82b10003_cfg001', gs_ua('GXP2135', '1.0.7.97', '000b82b10004'),
       403, 'forbidden', 'match, prefixed binary name, wrong DevId');
# the MAC matches but the device is unknown: 404, not 403
expect('/uamatch/cfg000b82ffffff.xml', gs_ua('GXP2135', '1.0.7.97', '000b82ffffff'),
       404, 'not-found', 'match, unknown device with its own DevId');

# --- the model from the User-Agent, and the notes ------------------------
{
    my $ht = "Grandstream Model HW HT801 V1.1A SW 1.0.17.5 DevId c074ad273a10";
    my $r = req("/prov/cfg$DEV.xml", $ht);
    is($r->{code}, 200, 'no <model>, HT801 UA: 200');
    like($r->{body}, qr{<P1362>ht801</P1362>}, '... the ht801 template applies, ${model} = ht801');
    like($r->{body}, qr{<P4200>ata</P4200>}, '... with its parameters');
    my $n = ua_note($r);
    is($n->{model}, 'ht801',    '... note gsprov-model ht801');
    is($n->{fw},    '1.0.17.5', '... note gsprov-fw');
    is($n->{file},  'device-xml', '... gsprov_ua_log: file');
    is($n->{result}, 'ok',      '... gsprov_ua_log: result');

    # the binary file too (full in /prov)
    $r = req("/prov/cfg$DEV", $ht);
    is($r->{code}, 200, 'no <model>, HT801 UA, binary: 200');
    like($r->{body}, qr/(?:^|&)P1362=ht801&/, '... P1362=ht801 in the binary');
    $n = ua_note($r);
    is($n->{model}, 'ht801', '... note gsprov-model ht801');
    is($n->{file}, 'device-bin', '... device-bin');

    # upper-case model names in the UA are lowered to find the template
    $r = req("/prov/cfg$DEV.xml", gs_ua('GXP2170', '1.0.11.3', $DEV));
    like($r->{body}, qr{<P2>admin-gxp</P2>}, 'GXP2170 UA: the gxp2170 template applies');
    like($r->{body}, qr{<P1362>gxp2170</P1362>}, '... ${model} = gxp2170');
    is(ua_note($r)->{model}, 'gxp2170', '... note gsprov-model gxp2170');

    # a model the store has no template for: ignored (no 500)
    $r = req("/prov/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97', $DEV));
    is($r->{code}, 200, 'UA model without a template: 200');
    unlike($r->{body}, qr{<P1362>|<P4200>}, '... no model template');
    like($r->{body}, qr{<P2>admin-bin</P2>}, '... defaults only');
    $n = ua_note($r);
    ok(!defined $n->{model}, '... no gsprov-model note');
    is($n->{fw}, '1.0.7.97', '... gsprov-fw still logged');

    # no User-Agent: no model, no notes
    $r = req("/prov/cfg$DEV.xml", undef);
    unlike($r->{body}, qr{<P1362>}, 'no UA: no model template');
    $n = ua_note($r);
    ok(!defined $n->{model} && !defined $n->{fw}, 'no UA: no gsprov-model or gsprov-fw');

    # a browser that happens to mention a model is not a Grandstream UA
    $r = req("/prov/cfg$DEV.xml", 'Mozilla/5.0 (Linux; Android 7.0; GXV3380) AppleWebKit/537.36 Grandstream');
    unlike($r->{body}, qr{<P1362>}, 'Android browser UA: no model');
    ok(!defined ua_note($r)->{fw}, '... no gsprov-fw');

    # legacy UA with a bare MAC: its model picks the template too
    $r = req("/prov/cfg$DEV.xml", 'Grandstream HT801 1.0.49.2 c074adca6f20');
    like($r->{body}, qr{<P1362>ht801</P1362>}, 'legacy "HT801 1.0.49.2 <mac>" UA: the ht801 template applies');
    $n = ua_note($r);
    is($n->{model}, 'ht801', '... note gsprov-model ht801');
    is($n->{fw}, '1.0.49.2', '... note gsprov-fw 1.0.49.2');

    # the Wave softphone names no model
    $r = req("/prov/cfg$DEV.xml", 'Grandstream Wave 1.2.14');
    is($r->{code}, 200, 'Wave UA: 200');
    unlike($r->{body}, qr{<P1362>}, '... no model template');
    $n = ua_note($r);
    ok(!defined $n->{model}, '... no gsprov-model');
    is($n->{fw}, '1.2.14', '... gsprov-fw is its version');

    # legacy UA: firmware of the first image
    $r = req("/prov/cfg$DEV.xml", 'Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) DevId 000b822726c8');
    $n = ua_note($r);
    is($n->{fw}, '1.2.5.3', 'legacy UA: gsprov-fw is the program image version');
    ok(!defined $n->{model}, 'legacy UA: gxp2000 has no template here, no gsprov-model');

    # a record with <model> keeps it, whatever the UA says
    $r = req('/prov/cfg000b82b10001', $ht);
    is($r->{code}, 200, 'record with <model>, HT801 UA: 200');
    like($r->{body}, qr/(?:^|&)P1362=gxp2170&/, '... still gxp2170 (binary P1362)');
    unlike($r->{body}, qr/P4200/, '... no ht801 parameters');
    is(ua_note($r)->{model}, 'gxp2170', '... note gsprov-model gxp2170');

    # the model file names its model; cfg.xml has none
    $r = req('/prov/cfggxp2170.xml', $ht);
    is(ua_note($r)->{model}, 'gxp2170', 'cfggxp2170.xml: gsprov-model is the requested model');
    $r = req('/prov/cfg.xml', $ht);
    $n = ua_note($r);
    ok(!defined $n->{model}, 'cfg.xml: no gsprov-model');
    is($n->{fw}, '1.0.17.5', 'cfg.xml: gsprov-fw');

    # refused requests are logged with the firmware and result forbidden
    $r = req("/uamatch/cfg$DEV.xml", gs_ua('GXP2135', '1.0.7.97', '000b82b10001'));
    $n = ua_note($r);
    is($n->{status}, 403, 'forbidden: gsprov_ua_log status');
    is($n->{result}, 'forbidden', 'forbidden: gsprov_ua_log result');
    is($n->{fw}, '1.0.7.97', 'forbidden: gsprov-fw logged');
}

error_log_check(expected_ids => ['GSPROV0006']);
done_testing();
