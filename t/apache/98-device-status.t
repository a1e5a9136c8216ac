# The provisioning status (GsProvDeviceStatus): every device request of
# every kind is recorded with its result, written to the store by each
# child's flusher (GsProvDeviceStatusFlush 1 in this vhost) and shown by
# GET /devices/<mac> as "status" with in_sync.  Also runs against the
# database store (GSPROV_TEST_STORE=pgsql|sqlite3, t/apache/run.sh).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Digest::SHA ();
use Time::HiRes ();
use JSON::PP ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();
admin_setup();

my ($A, $B, $C, $D, $E, $R, $U, $G) = map { sprintf '000b82ee%04d', $_ } 1 .. 8;
my $UA = sub { "Grandstream Model HW GXP2170 V2.2A SW $_[1] DevId $_[0]" };
my $dev = sub {
    my ($path, %h) = @_;
    # firmware: the same store through a vhost of its own (conf/extra.conf.in)
    return http_req(vhost => $path =~ m{^/fw/} ? 'tenant_admin_fw' : 'tenant_admin',
                    path => $path, headers => [ %h ]);
};
my $put = sub {
    my ($mac, %rec) = @_;
    my $r = api(PUT => "/admin/devices/$mac", body => { model => 'gxp2170', groups => ['sales'], %rec });
    die "PUT $mac: $r->{code} $r->{body}" unless $r->{code} =~ /^20[01]$/;
    (my $etag = $r->{header}->('ETag')) =~ s/"//g;
    return $etag;
};
# a record written behind the API's back (redirect records have no JSON
# form; a broken one cannot be PUT)
my $raw_record = sub {
    my ($mac, $xml) = @_;
    if (!GsProvAdmin::db()) {
        write_file(admin_store_file("devices/$mac.xml"), $xml);
        return;
    }
    my $v = Digest::SHA::sha256_hex($xml);
    die 'quote in record' if $xml =~ /'/;
    GsProvAdmin::sql("DELETE FROM gsprov_devices WHERE tenant = 'admin.test' AND mac = '$mac'");
    GsProvAdmin::sql("INSERT INTO gsprov_devices (tenant, mac, version, model, record, changed)"
        . " VALUES ('admin.test', '$mac', '$v', '', '$xml', 0)");
};
# GET /devices/<mac> until cond(status) holds (the flusher writes every
# second here); the last answer either way
my $status_when = sub {
    my ($mac, $cond) = @_;
    my $r;
    for (1 .. 60) {
        $r = api(GET => "/admin/devices/$mac");
        return $r if $r->{code} == 200 && $r->{json}
                     && eval { $cond->($r->{json}{status}) };
        Time::HiRes::sleep(0.25);
    }
    return $r;
};

# --- every kind, 200 ------------------------------------------------------
my $v1 = $put->($A, usernames => ['dev-a'], secrets => ['http-secret-a'], vars => { ext => '5001' });
my $t0 = time;
my %h = ('User-Agent' => $UA->($A, '1.0.11.23'));
is($dev->("/prov/cfg$A.xml", %h)->{code}, 200, 'xml: 200');
is($dev->("/prov/cfg$A", %h)->{code}, 200, 'bin: 200');
is($dev->('/prov/cfggxp2170.xml', %h)->{code}, 200, 'model: 200');
is($dev->('/prov/cfg.xml', %h)->{code}, 200, 'generic: 200');
is($dev->("/fw/$A/gxp2170fw.bin", %h)->{code}, 200, 'firmware: 200');

my $r = $status_when->($A, sub { keys %{ $_[0]{fetch} } == 5 });
my $st = $r->{json}{status};
is(ref $st, 'HASH', 'status recorded for a device that fetched') or diag($r->{body});
$st ||= { fetch => {} };
is_deeply([ sort keys %{ $st->{fetch} } ], [qw(bin firmware generic model xml)],
          'one entry per file kind fetched');
my %file = (xml => "cfg$A.xml", bin => "cfg$A", model => 'cfggxp2170.xml',
            generic => 'cfg.xml', firmware => 'gxp2170fw.bin');
for my $k (sort keys %file) {
    my $f = $st->{fetch}{$k} || {};
    is($f->{result}, 200, "$k: result 200");
    is($f->{file}, $file{$k}, "$k: the file asked for");
    is($f->{client}, '127.0.0.1', "$k: the client address");
    ok(($f->{at} // 0) >= $t0 - 1 && ($f->{at} // 0) <= time + 1, "$k: the time of the request");
}
is($st->{fetch}{xml}{version}, $v1, 'xml: the record version served');
is($st->{fetch}{bin}{version}, $v1, 'bin: the record version served');
ok(!exists $st->{fetch}{model}{version}, 'model: no record version (not the device file)');
is($st->{model}, 'gxp2170', 'the User-Agent model');
is($st->{hardware}, 'V2.2A', 'the User-Agent hardware');
is($st->{firmware}, '1.0.11.23', 'the User-Agent firmware');
is($st->{served_version}, $v1, 'served_version: the record served');
is($st->{in_sync}, JSON::PP::true(), 'in_sync after fetching the current record');
is($r->{header}->('ETag'), "\"$v1\"", 'served_version is the record ETag');

# --- out of sync after an edit, in sync after the next fetch ----------------
my $v2 = $put->($A, usernames => ['dev-a'], secrets => ['http-secret-a'], vars => { ext => '5002' });
isnt($v2, $v1, 'the edit changed the record version');
$r = api(GET => "/admin/devices/$A");
is($r->{json}{status}{in_sync}, JSON::PP::false(), 'in_sync false after an edit');
is($r->{json}{status}{served_version}, $v1, '... still the old version served');
%h = ('User-Agent' => $UA->($A, '1.0.11.30'));
is($dev->("/prov/cfg$A.xml", %h)->{code}, 200, 'the device fetches again');
$r = $status_when->($A, sub { $_[0]{in_sync} });
is($r->{json}{status}{in_sync}, JSON::PP::true(), 'in_sync again after the next fetch');
is($r->{json}{status}{served_version}, $v2, '... the new version served');
is($r->{json}{status}{firmware}, '1.0.11.30', '... and the firmware it reports now');
is($r->{json}{status}{fetch}{firmware}{result}, 200, 'the other kinds are kept');

# a binary fetch of the old version cannot happen now; a 200 of the model
# file does not change served_version
is($dev->('/prov/cfggxp2170.xml', %h)->{code}, 200, 'model file again');
$r = $status_when->($A, sub { $_[0]{kind} eq 'model' });
is($r->{json}{status}{kind}, 'model', 'the latest request is the model file');
is($r->{json}{status}{served_version}, $v2, 'served_version unchanged by it');

# --- other results for known devices ------------------------------------------
$put->($B, usernames => ['dev-b'], secrets => ['http-secret-b']);
is($dev->("/prov-auth/cfg$B.xml")->{code}, 401, 'no credentials: 401');
$r = $status_when->($B, sub { $_[0]{fetch}{xml} });
is($r->{json}{status}{result}, 401, '401 recorded');
is($r->{json}{status}{fetch}{xml}{result}, 401, '... as the xml kind');
is($r->{json}{status}{served_version}, '', '... nothing served');
is($r->{json}{status}{in_sync}, JSON::PP::false(), '... not in sync');

$put->($C);
is($dev->("/prov-ua/cfg$C.xml", 'User-Agent' => $UA->($A, '1.0.11.23'))->{code}, 403,
   'User-Agent of another device: 403');
$r = $status_when->($C, sub { $_[0]{fetch}{xml} });
is($r->{json}{status}{fetch}{xml}{result}, 403, '403 recorded');

$put->($D);
is($dev->("/fw/$D/nosuchfw.bin")->{code}, 404, 'firmware it has not: 404');
$r = $status_when->($D, sub { $_[0]{fetch}{firmware} });
is($r->{json}{status}{fetch}{firmware}{result}, 404, '404 recorded as the firmware kind');
is($r->{json}{status}{fetch}{firmware}{file}, 'nosuchfw.bin', '... with the file asked for');

$put->($E);
$raw_record->($E, "<device><model>gxp2170</model>\n");     # not XML any more
my $e = $dev->("/prov/cfg$E.xml");
is($e->{code}, 500, 'a record that cannot be rendered: 500');
# (the admin API cannot read that record either: the store's own status)
my $ok = 0;
for (1 .. 40) {
    if (GsProvAdmin::db()) {
        $ok = (GsProvAdmin::sql("SELECT result FROM gsprov_device_fetch WHERE tenant = 'admin.test' AND mac = '$E' AND kind = 'xml'") // '') eq '500';
    } else {
        my $f = admin_store_file("status/$E.json");
        $ok = -e $f && slurp($f) =~ /"result":\s*500/;
    }
    last if $ok;
    Time::HiRes::sleep(0.25);
}
ok($ok, '500 recorded');

$raw_record->($R, "<device><redirect><config>prov.other.example/prov</config></redirect></device>\n");
is($dev->("/prov/cfg$R.xml")->{code}, 200, 'a redirect record: 200');
$r = $status_when->($R, sub { $_[0]{fetch}{redirect} });
is($r->{json}{status}{kind}, 'redirect', 'recorded as the redirect kind');
is($r->{json}{status}{fetch}{redirect}{result}, 200, '... 200');
is($r->{json}{status}{in_sync}, JSON::PP::true(), '... in sync with its record');

# --- not recorded ---------------------------------------------------------------
is($dev->("/prov/cfg$U.xml")->{code}, 404, 'a MAC without a record: 404');
$put->($G);
is($dev->("/prov-off/cfg$G.xml")->{code}, 200, 'GsProvDeviceStatus off: served');
# a later device's status shows the flusher has run since
is($dev->("/prov/cfg$C.xml")->{code}, 200, 'C fetches its file');
$r = $status_when->($C, sub { $_[0]{fetch}{xml}{result} == 200 });
is($r->{json}{status}{fetch}{xml}{result}, 200, 'a later request replaces the 403');
$r = api(GET => "/admin/devices/$G");
ok(exists $r->{json}{status} && !defined $r->{json}{status}, 'GsProvDeviceStatus off: "status": null');
if (GsProvAdmin::db()) {
    is(GsProvAdmin::sql("SELECT COUNT(*) FROM gsprov_device_status WHERE mac = '$U'"), '0', 'no row for a MAC without a record');
    is(GsProvAdmin::sql("SELECT COUNT(*) FROM gsprov_device_fetch WHERE mac = '$U'"), '0', '... none per kind');
} else {
    ok(!-e admin_store_file("status/$U.json"), 'no status file for a MAC without a record');
    ok(-e admin_store_file("status/$A.json"), 'status/<mac>.json in the store');
}

# --- a status file that cannot be parsed (directory store) -------------------------
# GET of the device leaves the status out (logged), a status-filtered
# listing skips it instead of failing, and the next request repairs it
my @expected = ('GSPROV0102', 'GSPROV0101', 'GSPROV0006');
unless (GsProvAdmin::db()) {
    write_file(admin_store_file("status/$A.json"), "{\"mac\": \"$A\", not json");
    $r = api(GET => "/admin/devices/$A");
    is($r->{code}, 200, 'a corrupt status file: GET of the device answers');
    ok(!exists $r->{json}{status}, '... without a status');
    $r = api(GET => '/admin/devices?never_seen=false&limit=1000');
    is($r->{code}, 200, '... a status-filtered listing answers');
    my @macs = map { $_->{mac} } @{ $r->{json}{devices} || [] };
    ok(!grep({ $_ eq $A } @macs) && grep({ $_ eq $C } @macs), '... without that device, with the others seen');
    is($dev->("/prov/cfg$A.xml", %h)->{code}, 200, 'A fetches again');
    $r = $status_when->($A, sub { $_[0]{fetch}{xml}{result} == 200 });
    is($r->{json}{status}{fetch}{xml}{result}, 200, '... and its status is written anew');
    push @expected, 'GSPROV1105';
}

# --- a deleted record's status goes with it -------------------------------------
ok(defined api(GET => "/admin/devices/$C")->{json}{status}, 'C has a status');
is(api(DELETE => "/admin/devices/$C")->{code}, 204, 'C deleted');
ok(!-e admin_store_file("status/$C.json"), '... its status file too') unless GsProvAdmin::db();
$put->($C);
$r = api(GET => "/admin/devices/$C");
ok(exists $r->{json}{status} && !defined $r->{json}{status}, 'made again: never seen');

# --- the status page counts it -----------------------------------------------------
my $page = http_req(vhost => 'tenant_admin', path => '/gsprov-status');
my ($rec) = $page->{body} =~ /^DeviceStatusRecorded: (\d+)$/m;
my ($wr) = $page->{body} =~ /^DeviceStatusWritten: (\d+)$/m;
my ($fail) = $page->{body} =~ /^DeviceStatusFailed: (\d+)$/m;
my ($drop) = $page->{body} =~ /^DeviceStatusDropped: (\d+)$/m;
ok(($rec // 0) >= 10, "requests recorded: " . ($rec // 'none'));
ok(($wr // 0) >= 10, "entries written: " . ($wr // 'none'));
is($fail, 0, 'no write failed');
is($drop, 0, 'nothing dropped');

error_log_check(expected_ids => \@expected,
                name => 'no unexpected error_log lines');
done_testing();
