# Only GET and HEAD are served; everything else is 405 with an Allow header.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

for my $case (
    [ POST   => '/prov/cfg000b82123456.xml', 'mac=000b82123456' ],
    [ POST   => '/prov/cfg.xml',             '' ],
    [ PUT    => '/prov/cfg000b82123456.xml', "<device/>\n" ],
    [ PUT    => '/prov/cfggxp2170.xml',      "<gs_provision/>\n" ],
    [ DELETE => '/prov/cfg000b82123456.xml', undef ],
    [ PATCH  => '/prov/cfg000b82123456.xml', 'x' ],
    [ POST   => '/prov/cfg000b82abcdef.xml', 'x' ],     # encrypted device
) {
    my ($m, $path, $body) = @$case;
    my $name = "$m $path";
    my $r = http_req(method => $m, path => $path, body => $body);
    is($r->{code}, 405, "$name: 405");
    my $allow = $r->{header}->('Allow');
    ok(defined $allow, "$name: has an Allow header") or next;
    my %allow = map { uc($_) => 1 } split /\s*,\s*/, $allow;
    ok($allow{GET}, "$name: Allow lists GET ($allow)");
    ok(!$allow{$_}, "$name: Allow does not list $_") for qw(POST PUT DELETE PATCH);
    unlike($r->{body}, qr/gs_provision|Salted__/, "$name: no provisioning data in the body");
}

# The store is untouched by the PUT/DELETE attempts.
my $r = http_req(path => '/prov/cfg000b82123456.xml');
is($r->{code}, 200, 'device still served after PUT/DELETE attempts');
like($r->{body}, qr{<P3>Alice 1001</P3>}, '... with its own data');

# OPTIONS: the contract says any method other than GET/HEAD gets 405. httpd
# modules commonly let core answer OPTIONS (200 + Allow, no body) instead;
# both are accepted here as long as nothing is served and GET is allowed.
$r = http_req(method => 'OPTIONS', path => '/prov/cfg000b82123456.xml');
ok($r->{code} == 405 || $r->{code} == 200, "OPTIONS: 405 or 200 (got $r->{code})");
like($r->{header}->('Allow') || '', qr/\bGET\b/, 'OPTIONS: Allow lists GET');
unlike($r->{body}, qr/gs_provision/, 'OPTIONS: no provisioning data');

error_log_check(expected_ids => []);
done_testing();
