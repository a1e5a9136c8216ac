# Admin API configuration: the new directives fail "apache2 -t" with a
# message naming them, good values pass, and a gsprov-admin location
# without a store answers 500 (GSPROV0701).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

my $LAYER = qq{<?xml version="1.0" encoding="UTF-8"?>\n<gs_provision version="1"><config version="1"><P2>x</P2></config></gs_provision>\n};
my %STORE = ('store/defaults.xml' => $LAYER);
sub conf {
    return "<VirtualHost 127.0.0.1:1>\n    GsProvRoot \@DIR\@/store\n    "
         . join("\n    ", @_)
         . "\n    <Location /admin>\n        SetHandler gsprov-admin\n    </Location>\n</VirtualHost>\n";
}

my ($rc, $out) = httpd_configtest(conf('GsProvAuditLog @DIR@/audit.log',
    'GsProvActivationTTL 60', 'GsProvClaimMaxFailures 1', 'GsProvAdminSecrets on'),
    files => \%STORE);
is($rc, 0, 'every admin directive with a good value: Syntax OK') or diag($out);
($rc, $out) = httpd_configtest(conf('GsProvAuditLog none', 'GsProvAdminSecrets off',
    'GsProvActivationTTL 31622400', 'GsProvClaimMaxFailures 100'), files => \%STORE);
is($rc, 0, 'GsProvAuditLog none, limits at their maximum: Syntax OK') or diag($out);

for my $c (
    ['GsProvAuditLog @DIR@/no/such/dir/audit.log', qr/GsProvAuditLog: directory of '.*\/no\/such\/dir\/audit\.log' does not exist/],
    ['GsProvActivationTTL 0', qr/GsProvActivationTTL: '0' is not a number from 1 to 31622400/],
    ['GsProvActivationTTL 7d', qr/GsProvActivationTTL: '7d' is not a number/],
    ['GsProvActivationTTL 31622401', qr/GsProvActivationTTL: '31622401' is not a number/],
    ['GsProvClaimMaxFailures 0', qr/GsProvClaimMaxFailures: '0' is not a number from 1 to 100/],
    ['GsProvClaimMaxFailures many', qr/GsProvClaimMaxFailures: 'many' is not a number/],
    ['GsProvAdminSecrets maybe', qr/GsProvAdminSecrets must be On or Off/],
) {
    my ($line, $re) = @$c;
    ($rc, $out) = httpd_configtest(conf($line), files => \%STORE);
    isnt($rc, 0, "'$line' fails apache2 -t");
    like($out, $re, "... naming the directive and the problem") or diag($out);
}

# the main server has no GsProvRoot
my $r = http_req(vhost => 'default', path => '/gsprov-admin-noroot/devices');
is($r->{code}, 500, 'gsprov-admin without a store: 500');
like($r->{body}, qr/"error":"SetHandler gsprov-admin needs GsProvRoot/, '... JSON error says why');
my @l = grep { /GSPROV0701/ } error_log_since();
is(scalar @l, 1, 'GSPROV0701 logged once');

error_log_check(expected_ids => ['GSPROV0701']);
done_testing();
