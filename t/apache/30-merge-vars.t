# Merge order, variables and escapes, XML escaping and UTF-8, and the request
# errors of a device chain (undefined variable, missing model/group, broken
# device record): 500 plus exactly one [error] line naming what is wrong.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;
use GsProvFixtures;

error_log_mark();

sub body_is {
    my ($path, $key, $name) = @_;
    my $r = http_req(path => $path);
    is($r->{code}, 200, "$name: 200");
    is($r->{body}, expected($key), "$name: exact body");
    return $r;
}

# defaults < model < groups in order < device; later wins in place, order of
# first appearance (see GsProvFixtures for the layer-by-layer expectations)
body_is('/prov/cfg000b82123456.xml', 'a_alice',  'merge defaults<model<sales<floor2<device');
body_is('/prov/cfg000b82123457.xml', 'a_123457', 'merge with groups floor2, sales (order matters)');

# device <var> beats GsProvVar (sip_server) and the built-in ${model}
body_is('/prov/cfg000b82000002.xml', 'a_000002', 'device variables win');

# GsProvVar beats the built-in ${group} (tenant B sets GsProvVar group)
{
    my $r = http_req(vhost => 'tenant_b', path => '/prov/cfg000b82c0ffee.xml');
    is($r->{code}, 200, 'tenant B device: 200');
    like($r->{body}, qr{<item name="x\.group">b-tenant-group</item>},
         'GsProvVar group beats the built-in ${group}');
    like($r->{body}, qr{<item name="x\.mac">000b82c0ffee</item>}, 'built-in ${mac}');
}

# $${ escape, UTF-8 preserved, XML escaping of substituted and literal values,
# CDATA, apostrophes untouched
body_is('/prov/cfg000b82000003.xml', 'a_000003', 'escapes, UTF-8, $${');

# a variable used by a group template, defined by the device
body_is('/prov/cfg000b82000011.xml', 'a_000011', 'group template uses a device variable');

# ${model} is defined for model files; ${mac} is not (and not needed there)
like(http_req(path => '/prov/cfggxp2170.xml')->{body}, qr{<P1362>gxp2170</P1362>},
     'model file: ${model} resolved');

# --- errors: 500, no file, one [error] line with the expected id and details
sub fails {
    my (%a) = @_;
    my $name = $a{name};
    my $mark = error_log_pos();
    my $r = http_req(vhost => $a{vhost} || 'tenant_a', path => $a{path});
    is($r->{code}, 500, "$name: 500");
    unlike($r->{body}, qr/gs_provision|<P\d|\$\{/, "$name: no (partial) file in the body");
    my $n = note_for($r);
    is($n && $n->{result}, 'error', "$name: note gsprov-result error");
    my @lines = grep { /\[[^:\]]+:error\]/ && /\Q$a{id}\E/ } error_log_since($mark);
    is(scalar @lines, 1, "$name: exactly one [error] $a{id} line");
    for my $want (@{ $a{mentions} || [] }) {
        ok(@lines && index($lines[0], $want) >= 0, "$name: log line names '$want'")
            or diag("log line: " . ($lines[0] || '(none)'));
    }
    for my $re (@{ $a{matches} || [] }) {
        like($lines[0] || '', $re, "$name: log line matches $re");
    }
    # the id belongs to the request: no other warn+ lines for it
    error_log_check(mark => $mark, expected_ids => [$a{id}],
                    name => "$name: no other [warn]+ lines");
}

fails(name => 'undefined variable in the device record', path => '/prov/cfg000b82000004.xml',
      id => 'GSPROV0102',
      mentions => ['000b82000004', 'nobody_defined_this', 'devices/000b82000004.xml']);
fails(name => 'undefined variable in a group template', path => '/prov/cfg000b82000010.xml',
      id => 'GSPROV0102',
      mentions => ['000b82000010', 'ext', 'groups/needsext.xml']);
fails(name => 'device references a missing model', path => '/prov/cfg000b82000005.xml',
      id => 'GSPROV0104', mentions => ['000b82000005', 'gxp9999']);
fails(name => 'device references a missing group', path => '/prov/cfg000b82000006.xml',
      id => 'GSPROV0104', mentions => ['000b82000006', 'nosuchgroup']);
fails(name => 'broken device record', path => '/prov/cfg000b82000007.xml',
      id => 'GSPROV0101', mentions => ['devices/000b82000007.xml:3']);

# undefined ${mac} in a model/generic file would be the same error; the
# fixtures avoid it, so these are served (checked in 10-requests.t).

# The errors are per request: good devices are still served.
body_is('/prov/cfg000b82123456.xml', 'a_alice', 'Alice still served after the errors');

error_log_check(expected_ids => [qw(GSPROV0101 GSPROV0102 GSPROV0104)]);
done_testing();
