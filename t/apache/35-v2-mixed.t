# config version="2" stores, and chains that mix v1 and v2 layers (500 and
# one [error] GSPROV0103 line, never a silently rendered file).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;
use GsProvFixtures;

error_log_mark();

for my $c (
    [ '/prov/cfg000b82c0ffee.xml', 'b_c0ffee',  'v2 device' ],
    [ '/prov/cfg000b82bb0001.xml', 'b_bb0001',  'v2 device, defaults only' ],
    [ '/prov/cfght802.xml',        'b_ht802',   'v2 model' ],
    [ '/prov/cfg.xml',             'b_generic', 'v2 generic' ],
) {
    my ($path, $key, $name) = @$c;
    my $r = http_req(vhost => 'tenant_b', path => $path);
    is($r->{code}, 200, "$name: 200");
    is($r->{body}, expected($key), "$name: exact body");
    is($r->{header}->('Content-Type'), 'application/xml; charset=utf-8', "$name: Content-Type");
}

for my $c (
    [ 'tenant_a', '/prov/cfg000b82000008.xml', '000b82000008', 'v1 defaults + v2 group' ],
    [ 'tenant_a', '/prov/cfg000b82000009.xml', '000b82000009', 'v1 defaults + v2 device overrides' ],
    [ 'tenant_b', '/prov/cfg000b82d00d00.xml', '000b82d00d00', 'v2 defaults + v1 device overrides' ],
) {
    my ($vhost, $path, $mac, $name) = @$c;
    my $mark = error_log_pos();
    my $r = http_req(vhost => $vhost, path => $path);
    is($r->{code}, 500, "$name: 500");
    unlike($r->{body}, qr/gs_provision|<P\d|<item/, "$name: nothing rendered");
    my $n = note_for($r);
    is($n && $n->{result}, 'error', "$name: note gsprov-result error");
    my @l = grep { /\[[^:\]]+:error\]/ && /GSPROV0103/ } error_log_since($mark);
    is(scalar @l, 1, "$name: one [error] GSPROV0103 line");
    like($l[0] || '', qr/\Q$mac\E/, "$name: the line names the device");
}

error_log_check(expected_ids => ['GSPROV0103']);
done_testing();
