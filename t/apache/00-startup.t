# The server started with mod_gsprov loaded and every tenant configured, and
# wrote no warning or error while starting.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

# Everything since the start of the error_log: startup lines included.
error_log_mark();
my $startup_mark = 0;

my $r = http_req(vhost => 'tenant_a', path => '/prov/cfg.xml');
is($r->{code}, 200, 'tenant A answers cfg.xml');
$r = http_req(vhost => 'tenant_b', path => '/prov/cfg.xml');
is($r->{code}, 200, 'tenant B answers cfg.xml');
$r = http_req(vhost => 'tenant_reload', path => '/prov/cfg.xml');
is($r->{code}, 200, 'reload tenant answers cfg.xml');

# The main server has no gsprov location: a provisioning name there is an
# ordinary missing file, not something mod_gsprov answers.
$r = http_req(vhost => 'default', path => '/cfg.xml');
is($r->{code}, 404, 'main server: /cfg.xml is not handled by mod_gsprov');
my $n = note_for($r);
ok($n && !defined $n->{result}, 'main server: no gsprov-result note');

my @startup = grep { /\] \[[^:\]]+:(?:notice|info)\] .*resuming normal operations/ } error_log_since($startup_mark);
ok(@startup >= 1, 'error_log shows the server started');

error_log_check(mark => $startup_mark, expected_ids => [],
                name => 'error_log from server start: no unexpected [warn]+ lines');
done_testing();
