# Device admin API, reading side and request errors (SetHandler
# gsprov-admin on vhost tenant_admin): Basic auth, GET of a record with and
# without secrets, ETag, listing with paging and group filter, the rendered
# file, tenant isolation, methods, bodies, content types.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Digest::SHA ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();
admin_setup();

my $MAC = '000b82aa0001';
my $rec = slurp(admin_store_file("devices/$MAC.xml"));    # the fixture
is(admin_record($MAC), $rec, 'the admin store holds the fixture record byte for byte');

# --- authentication: ordinary httpd auth in front of everything ---------
my $r = api(GET => "/admin/devices/$MAC", user => undef);
is($r->{code}, 401, 'no credentials: 401');
like($r->{header}->('WWW-Authenticate') // '', qr/^Basic realm="gsprov admin"/, 'Basic challenge');
$r = api(GET => "/admin/devices/$MAC", user => 'admin', password => 'wrong');
is($r->{code}, 401, 'wrong password: 401');
$r = api(GET => "/admin-denied/devices/$MAC", user => undef);
is($r->{code}, 403, 'Require ip of another host: 403');
$r = api(GET => "/admin-full/devices/$MAC", user => 'admin');
is($r->{code}, 401, '/admin-full is for user boss only');

# --- GET a record -------------------------------------------------------
$r = api(GET => "/admin/devices/$MAC");
is($r->{code}, 200, 'GET record: 200');
is($r->{header}->('Content-Type'), 'application/json', 'JSON content type');
is($r->{header}->('ETag'), '"' . Digest::SHA::sha256_hex($rec) . '"', 'ETag is the quoted SHA-256 of the record bytes');
is($r->{header}->('Cache-Control'), 'no-store', 'no-store');
# the provisioning status (t/apache/98-device-status.t) rides along:
# null or an object, never part of the record
ok(exists $r->{json}{status} && (!defined $r->{json}{status} || ref $r->{json}{status} eq 'HASH'), 'GET record carries "status" (null or an object)');
delete $r->{json}{status};
is_deeply($r->{json}, {
    mac => $MAC, model => 'gxp2170', groups => ['sales'],
    vars => { ext => '2001' }, config_version => 1, config => {},
    redacted => ['password'],
}, 'record without secrets; what was left out is named') or diag($r->{body});
unlike($r->{body}, qr/fixture-admin-pw-1/, 'the password is not in the body');

$r = api(GET => "/admin/devices/000B82AA0001");
is($r->{code}, 200, 'MAC in upper case is accepted');
is($r->{json}{mac}, $MAC, '... and normalized');

$r = api(GET => "/admin/devices/$MAC?secrets=1");
is($r->{code}, 403, '?secrets=1 where GsProvAdminSecrets is off: 403');
is($r->{json}{field}, 'secrets', '... naming the field');
$r = api(GET => "/admin-full/devices/$MAC?secrets=1", user => 'boss');
is($r->{code}, 200, '?secrets=1 on /admin-full as boss: 200');
is($r->{json}{password}, 'fixture-admin-pw-1', '... with the password');
ok(!exists $r->{json}{redacted}, '... and nothing redacted');

$r = api(GET => '/admin/devices/000b82aa9999');
is($r->{code}, 404, 'GET of a missing record: 404');
like($r->{json}{error}, qr/no record for device 000b82aa9999/, '... JSON error names the device');
$r = api(GET => '/admin/devices/nota-mac');
is($r->{code}, 404, 'GET with a bad MAC: 404');
$r = api(GET => "/admin/devices/$MAC/other");
is($r->{code}, 404, 'unknown sub-resource: 404');
$r = api(GET => '/admin/nothing');
is($r->{code}, 404, 'unknown resource: 404');
is(ref $r->{json}, 'HASH', '... with a JSON body');

# tenant isolation: /admin-a administers store a, which lacks this device
$r = api(GET => "/admin-a/devices/$MAC", user => undef);
is($r->{code}, 404, 'another location with another store does not see it');
$r = api(GET => '/admin-a/devices/000b82000002', user => undef);
is($r->{code}, 200, '... but sees its own records');
is($r->{json}{model}, 'gxp2170', '... from store a');

# --- rendered: what the device gets, plain ------------------------------
$r = api(GET => "/admin/devices/$MAC/rendered");
is($r->{code}, 200, 'rendered: 200');
is($r->{header}->('Content-Type'), 'application/xml; charset=utf-8', 'plain XML although the record has a password');
is($r->{body}, gs_xml(mac => $MAC, params => [
    [P271 => 1], [P47 => 'sip.admin.example'], [P3 => 'Provisioning'],
    [P35 => 'provisioning'], [P71 => '*98'], [P64 => 'EST5EDT'],
    [P1362 => 'gxp2170']]), 'rendered body: exactly the merged file');
$r = api(GET => "/admin/devices/$MAC/rendered?file=cfg$MAC");
is($r->{code}, 200, 'rendered binary file: 200');
is($r->{header}->('Content-Type'), 'application/octet-stream', '... octet-stream');
$r = api(GET => "/admin/devices/$MAC/rendered?file=cfg000b82aa0002.xml");
is($r->{code}, 400, 'rendered: a file of another device: 400');
is($r->{json}{field}, 'file', '... naming the field');
$r = api(GET => '/admin/devices/000b82aa9999/rendered');
is($r->{code}, 404, 'rendered: no record: 404');

# --- methods, bodies, content types -------------------------------------
$r = api(POST => "/admin/devices/$MAC", body => {});
is($r->{code}, 405, 'POST on a record: 405');
is($r->{header}->('Allow'), 'GET, HEAD, PUT, DELETE', '... Allow names the methods');
$r = api(PUT => '/admin/devices', body => {});
is($r->{code}, 405, 'PUT on the collection: 405');
is($r->{header}->('Allow'), 'GET, HEAD', '... Allow');
$r = api(GET => '/admin/claim');
is($r->{code}, 405, 'GET /claim: 405');
is($r->{header}->('Allow'), 'POST', '... Allow: POST');
$r = api(PUT => "/admin/devices/$MAC", body => '{"model":"gxp2170"}', ct => 'text/plain');
is($r->{code}, 415, 'PUT with text/plain: 415');
$r = api(PUT => "/admin/devices/$MAC", body => '{"model":"gxp2170"}', no_ct => 1);
is($r->{code}, 415, 'PUT without Content-Type: 415');
$r = api(PUT => "/admin/devices/$MAC", body => '{"model": ');
is($r->{code}, 400, 'malformed JSON: 400');
like($r->{json}{error}, qr/malformed JSON at line 1/, '... JSON error says where');
$r = api(PUT => "/admin/devices/$MAC", body => '{"model":"a","model":"b"}');
is($r->{code}, 400, 'duplicate keys: 400');
$r = api(PUT => "/admin/devices/$MAC", body => '{"vars":{"x":"' . ('y' x 70000) . '"}}');
is($r->{code}, 413, 'body over 64 KiB: 413');
is(admin_record($MAC), $rec, 'the record is unchanged by all of that');
$r = api(HEAD => "/admin/devices/$MAC");
is($r->{code}, 200, 'HEAD: 200');
is($r->{body}, '', '... no body');

# --- listing ------------------------------------------------------------
$r = api(GET => '/admin/devices');
is($r->{code}, 200, 'list: 200');
is_deeply($r->{json}, { devices => [ { mac => $MAC, model => 'gxp2170', groups => ['sales'] } ], next => undef },
          'list of one record') or diag($r->{body});
$r = api(GET => '/admin/devices?limit=0');
is($r->{code}, 400, 'limit=0: 400');
$r = api(GET => '/admin/devices?limit=1001');
is($r->{code}, 400, 'limit over 1000: 400');
$r = api(GET => '/admin/devices?after=xyz');
is($r->{code}, 400, 'after that is not a MAC: 400');

# httpd's own auth lines for the 401/403 cases above
error_log_check(expected_ids => ['AH01617', 'AH01630', 'AH01631']);
done_testing();
