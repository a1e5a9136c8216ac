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

# GsProvStore: dbd needs mod_dbd and a DBDriver in the vhost; the schema is
# checked at startup, not at apache2 -t (t/system/farm.sh starts servers)
my $DBD = "LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so\n";
sub vhost {
    return "<VirtualHost 127.0.0.1:1>\n    GsProvRoot \@DIR\@/store\n    "
         . join("\n    ", @_) . "\n</VirtualHost>\n";
}
($rc, $out) = httpd_configtest(vhost('GsProvStore dbd'), files => \%STORE);
isnt($rc, 0, 'GsProvStore dbd without mod_dbd fails apache2 -t');
like($out, qr/GsProvStore dbd: mod_dbd is not loaded \(LoadModule dbd_module/, '... naming mod_dbd') or diag($out);
($rc, $out) = httpd_configtest($DBD . vhost('GsProvStore dbd'), files => \%STORE);
isnt($rc, 0, 'GsProvStore dbd in a vhost without DBDriver fails apache2 -t');
like($out, qr/GSPROV1014: GsProvStore dbd for \S+ \(.*httpd\.conf:\d+\) needs DBDriver and DBDParams/, '... naming the vhost') or diag($out);
($rc, $out) = httpd_configtest($DBD . vhost('DBDriver sqlite3', 'DBDParams @DIR@/db.sqlite', 'GsProvStore dbd tenant-x.example'), files => \%STORE);
is($rc, 0, 'GsProvStore dbd with DBDriver and DBDParams: Syntax OK') or diag($out);
($rc, $out) = httpd_configtest($DBD . "DBDriver sqlite3\nDBDParams \@DIR\@/db.sqlite\n" . vhost('GsProvStore dbd'), files => \%STORE);
is($rc, 0, '... DBDriver of the main server applies to the vhost') or diag($out);
for my $c (
    ['GsProvStore bogus', qr/GsProvStore: unknown 'bogus', supported values are 'file' and 'dbd'/],
    ['GsProvStore file tenant-x', qr/GsProvStore file: takes no tenant/],
    ['GsProvStore dbd ' . ('t' x 256), qr/GsProvStore dbd: the tenant must be 1 to 255 characters/],
) {
    my ($line, $re) = @$c;
    ($rc, $out) = httpd_configtest($DBD . vhost('DBDriver sqlite3', 'DBDParams @DIR@/db.sqlite', $line), files => \%STORE);
    isnt($rc, 0, "'" . substr($line, 0, 40) . "' fails apache2 -t");
    like($out, $re, '... naming the directive and the problem') or diag($out);
}
($rc, $out) = httpd_configtest(vhost('GsProvStore file'), files => \%STORE);
is($rc, 0, 'GsProvStore file (no mod_dbd needed): Syntax OK') or diag($out);

# the main server has no GsProvRoot
my $r = http_req(vhost => 'default', path => '/gsprov-admin-noroot/devices');
is($r->{code}, 500, 'gsprov-admin without a store: 500');
like($r->{body}, qr/"error":"SetHandler gsprov-admin needs GsProvRoot/, '... JSON error says why');
my @l = grep { /GSPROV0701/ } error_log_since();
is(scalar @l, 1, 'GSPROV0701 logged once');

error_log_check(expected_ids => ['GSPROV0701']);
done_testing();
