package GsProvFixtures;

# The exact bodies mod_gsprov must render for the committed fixture stores
# (t/fixtures/stores/) under the configuration in t/apache/conf/extra.conf.in. Values are
# written exactly as they must appear on the wire (already XML-escaped).
#
# No "use utf8": this file is UTF-8 and the strings stay byte strings, to be
# compared with the raw response bytes.

use strict;
use warnings;
use Exporter 'import';
use GsProvTest qw(gs_xml);

our @EXPORT = qw(expected);

# tenant A (GsProvVar sip_server sip.a.example, company "A&B <Phones> Ltd")
my @A_DEFAULTS = (
    [P2   => 'admin-a'],
    [P47  => 'sip.a.example'],
    [P271 => '1'],
    [P30  => 'A&amp;B &lt;Phones&gt; Ltd'],
    [P33  => 'price $5 and 50% off'],
);

sub _a_with {    # tenant A defaults with some values replaced in place, plus additions
    my ($replace, @add) = @_;
    my @p = map { [ $_->[0], exists $replace->{ $_->[0] } ? $replace->{ $_->[0] } : $_->[1] ] } @A_DEFAULTS;
    return [ @p, @add ];
}

my %E;

# --- tenant A, /prov
$E{a_generic} = gs_xml(params => [@A_DEFAULTS]);
$E{a_gxp2170} = gs_xml(params => _a_with({ P2 => 'admin-model' },
    [P1362 => 'gxp2170'], [P64 => 'EST5EDT']));
$E{a_ht802} = gs_xml(params => _a_with({ P2 => 'admin-ata' },
    [P1362 => 'ht802'], [P4200 => 'ata-only']));

# Alice: defaults < gxp2170 < sales < floor2 < device
$E{a_alice} = gs_xml(mac => '000b82123456', params => _a_with({ P2 => 'admin-alice' },
    [P1362 => 'gxp2170'],
    [P64   => 'CET'],                   # model EST5EDT < sales PST8PDT < floor2 CET
    [P4000 => 'sales'],                 # ${group}: first group
    [P4001 => '000b82123456'],          # ${mac}
    [P4002 => 'floor2-desk-1001'],      # group value replaced by the device, in place
    [P3    => 'Alice 1001'],            # device var
));

# groups floor2 then sales: sales wins P64; P4002 (floor2) appears before P4000
$E{a_123457} = gs_xml(mac => '000b82123457', params => _a_with({ P2 => 'admin-model' },
    [P1362 => 'gxp2170'],
    [P64   => 'PST8PDT'],
    [P4002 => 'floor2'],
    [P4000 => 'floor2'],
    [P4001 => '000b82123457'],
));

$E{a_000001} = gs_xml(mac => '000b82000001', params => [@A_DEFAULTS]);

# device var sip_server beats GsProvVar; device var model beats built-in
$E{a_000002} = gs_xml(mac => '000b82000002', params => _a_with(
    { P2 => 'admin-model', P47 => 'sip.device.example' },
    [P1362 => 'devmodel'], [P64 => 'EST5EDT']));

$E{a_000003} = gs_xml(mac => '000b82000003', params => [@A_DEFAULTS,
    [P3 => "Z\xc3\xbcrich \xe2\x80\x93 \xe6\x9d\xb1\xe4\xba\xac O'Brien &amp; &lt;Co&gt;"],
    [P4 => 'literal ${ext} and 7'],
    [P5 => 'a &lt;b&gt; &amp; c'],
    [P6 => 'x&lt;y&amp;z'],
]);

$E{a_000011} = gs_xml(mac => '000b82000011', params => [@A_DEFAULTS, [P4003 => 'ext 4711']]);

$E{a_bob} = gs_xml(mac => '000b82abcdef', params => _a_with({ P2 => 'admin-model' },
    [P1362 => 'gxp2170'], [P64 => 'EST5EDT'], [P3 => 'Bob 1002']));
$E{a_carol} = gs_xml(mac => '000b82abcdee', params => [@A_DEFAULTS, [P3 => 'Carol']]);

$E{a_c0ffee} = gs_xml(mac => '000b82c0ffee', params => _a_with({ P2 => 'admin-ata' },
    [P1362 => 'ht802'], [P4200 => 'ata-only'], [P3 => 'Tenant A 3001']));

$E{a_big} = gs_xml(mac => '000b82b16b16', params => [@A_DEFAULTS,
    map { [ 'P' . (5000 + $_) => "value $_ for 9000 &amp; padding-padding" ] } 0 .. 399]);

# --- tenant B (v2; GsProvVar sip_server sip.b.example, group b-tenant-group)
$E{b_generic} = gs_xml(version => 2, params => [
    ['phone.admin.password' => 'admin-b'],
    ['account.1.sip.server' => 'sip.b.example'],
]);
$E{b_ht802} = gs_xml(version => 2, params => [
    ['phone.admin.password' => 'admin-b-ata'],
    ['account.1.sip.server' => 'sip.b.example'],
    ['device.model'         => 'ht802'],
]);
$E{b_c0ffee} = gs_xml(version => 2, mac => '000b82c0ffee', params => [
    ['phone.admin.password' => 'admin-b-ata'],
    ['account.1.sip.server' => 'sip.b.example'],
    ['device.model'         => 'ht802'],
    ['x.group'              => 'b-tenant-group'],
    ['x.mac'                => '000b82c0ffee'],
    ['account.1.name'       => 'Tenant B 2001'],
]);
$E{b_bb0001} = gs_xml(version => 2, mac => '000b82bb0001', params => [
    ['phone.admin.password' => 'admin-b'],
    ['account.1.sip.server' => 'sip.b.example'],
]);

# --- store C under tenant A's <Location /storec> (GsProvVar sip_server sip.c.example)
$E{c_ht802}  = gs_xml(params => [[P2 => 'admin-c'], [P1362 => 'ht802']]);
$E{c_ca0001} = gs_xml(mac => '000b82ca0001',
    params => [[P2 => 'admin-c'], [P1362 => 'ht802'], [P3 => 'C sip.c.example']]);

sub expected {
    my ($k) = @_;
    die "no expected body '$k'" unless exists $E{$k};
    return $E{$k};
}

1;
