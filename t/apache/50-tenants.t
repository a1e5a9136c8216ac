# Tenants (vhosts with their own GsProvRoot and GsProvVar) are isolated: the
# same MAC gets each tenant's own data, a device of one tenant is unknown to
# the other, and a <Location>-level GsProvRoot/GsProvVar is its own store.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;
use GsProvFixtures;

error_log_mark();

sub get { http_req(vhost => $_[0], path => $_[1]) }

# same MAC in both stores
{
    my $a = get(tenant_a => '/prov/cfg000b82c0ffee.xml');
    my $b = get(tenant_b => '/prov/cfg000b82c0ffee.xml');
    is($a->{code}, 200, 'shared MAC, tenant A: 200');
    is($b->{code}, 200, 'shared MAC, tenant B: 200');
    is($a->{body}, expected('a_c0ffee'), 'shared MAC, tenant A: its own file');
    is($b->{body}, expected('b_c0ffee'), 'shared MAC, tenant B: its own file');
    unlike($a->{body}, qr/sip\.b\.example|Tenant B/, 'tenant A body has nothing of tenant B');
    unlike($b->{body}, qr/sip\.a\.example|Tenant A/, 'tenant B body has nothing of tenant A');
}

# same model name in both stores
is(get(tenant_a => '/prov/cfght802.xml')->{body}, expected('a_ht802'), 'model ht802, tenant A');
is(get(tenant_b => '/prov/cfght802.xml')->{body}, expected('b_ht802'), 'model ht802, tenant B');
is(get(tenant_a => '/prov/cfg.xml')->{body}, expected('a_generic'), 'generic, tenant A');
is(get(tenant_b => '/prov/cfg.xml')->{body}, expected('b_generic'), 'generic, tenant B');

# devices and models of one tenant are unknown to the other
for my $c (
    [ tenant_b => '/prov/cfg000b82123456.xml', 'Alice (tenant A only) in tenant B' ],
    [ tenant_b => '/prov/cfg000b82abcdef.xml', 'Bob (tenant A only, encrypted) in tenant B' ],
    [ tenant_a => '/prov/cfg000b82bb0001.xml', 'tenant B only device in tenant A' ],
    [ tenant_b => '/prov/cfggxp2170.xml',      'tenant A only model in tenant B' ],
    [ tenant_reload => '/prov/cfg000b82123456.xml', 'Alice in the reload tenant' ],
) {
    my ($vhost, $path, $name) = @$c;
    my $r = get($vhost, $path);
    is($r->{code}, 404, "$name: 404");
    is(note_for($r)->{result}, 'not-found', "$name: note not-found");
}
is(get(tenant_b => '/prov/cfg000b82bb0001.xml')->{code}, 200, 'tenant B only device in tenant B: 200');

# <Location /storec> in tenant A's vhost: its own GsProvRoot and GsProvVar
is(get(tenant_a => '/storec/cfg000b82ca0001.xml')->{body}, expected('c_ca0001'),
   'store C device: its store, its sip_server');
is(get(tenant_a => '/storec/cfg000b82ca0001.xml')->{code}, 200, 'store C device: 200');
is(get(tenant_a => '/prov/cfg000b82ca0001.xml')->{code}, 404,
   'store C device is unknown under /prov of the same vhost');
is(get(tenant_b => '/storec/cfg000b82ca0001.xml')->{code}, 404,
   'tenant B has no /storec location');

error_log_check(expected_ids => []);
done_testing();
