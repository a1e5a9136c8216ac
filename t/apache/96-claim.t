# PIN self-provisioning: activations (POST/GET/DELETE /activations), the
# IVR's claim (POST /claim), wrong PINs counted and the lockout, expiry,
# conflicts, two claims racing for one PIN, and the whole two-phase flow
# as a device sees it: generic cfg.xml -> claim -> its own file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use POSIX ();
use Time::HiRes ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();
admin_setup();
my $audit0 = () = audit_lines();

my $PIN = '918273645';
my %profile = (groups => ['sip-account'], model => 'gxp2170',
               vars => { ext => '4001', sip_password => 'claim-sip-secret-9' });
my $act = sub { api(POST => '/admin/activations', body => { @_ }) };
my $claim = sub { api(POST => '/ivr/claim', user => undef, body => { @_ }) };

# --- creating activations: validation ----------------------------------
my $r = $act->(pin => $PIN, %profile);
is($r->{code}, 422, 'activation without number: 422');
is($r->{json}{field}, 'number', '... naming number');
$r = $act->(number => '55-12', pin => $PIN);
is($r->{code}, 422, 'number with a dash: 422');
$r = $act->(number => '5551001', pin => '12');
is($r->{code}, 422, 'PIN of 2 digits: 422');
is($r->{json}{field}, 'pin', '... naming pin');
$r = $act->(number => '5551001', pin => 'abcd');
is($r->{code}, 422, 'PIN with letters: 422');
$r = $act->(number => '5551001', pin => $PIN, groups => ['nosuchgroup']);
is($r->{code}, 422, 'profile with an unknown group: 422');
like($r->{json}{detail}, qr/nosuchgroup/, '... naming it');
$r = $act->(number => '5551001', pin => $PIN, groups => ['sip-account']);
is($r->{code}, 422, 'profile without the variables its group needs: 422');
is($r->{json}{error}, 'undefined variable', '... undefined variable');
$r = $act->(number => '5551001', pin => $PIN, mac => '000b82cc0001');
is($r->{code}, 422, 'profile with a MAC: 422');
$r = api(POST => '/admin/activations', body => {number => '5551001', pin => $PIN}, user => undef);
is($r->{code}, 401, 'activations need the admin credentials');
ok(!defined admin_activation('5551001'), 'nothing stored so far');

# --- create, read ------------------------------------------------------
$r = $act->(number => '5551001', pin => $PIN, %profile);
is($r->{code}, 201, 'activation created: 201') or diag($r->{body});
is($r->{header}->('Location'), '/admin/activations/5551001', 'Location');
is($r->{json}{number}, '5551001', 'number in the answer');
cmp_ok($r->{json}{expires} - $r->{json}{created}, '==', 604800, 'expires after the default TTL (7 days)');
my $stored = admin_activation('5551001');
unlike($stored, qr/$PIN/, 'the PIN is not stored in clear');
like($stored, qr/"pin":"pbkdf2-sha256\$100000\$[A-Za-z0-9+\/=]+\$[A-Za-z0-9+\/=]+"/, 'only its PBKDF2 hash');
$r = $act->(number => '5551001', pin => '1111', %profile);
is($r->{code}, 409, 'second activation for a live number: 409');
$r = api(GET => '/admin/activations/5551001');
is($r->{code}, 200, 'GET activation: 200');
is($r->{json}{failures}, 0, 'no failures yet');
ok(!$r->{json}{locked}, 'not locked');
ok(!exists $r->{json}{pin}, 'no PIN hash in the answer');
is_deeply($r->{json}{profile}{redacted}, ['vars.sip_password'], 'profile secrets redacted');
is($r->{json}{profile}{vars}{ext}, '4001', 'profile values shown');
$r = api(GET => '/admin/activations/5559999');
is($r->{code}, 404, 'GET unknown activation: 404');

# --- phase 1: the device is unknown, gets the generic file -------------
my $MAC = '000b82cc0001';
is(http_req(vhost => 'tenant_admin', path => "/prov/cfg$MAC.xml")->{code}, 404, 'before the claim: no per-device file');
my $g = http_req(vhost => 'tenant_admin', path => '/prov/cfg.xml');
is($g->{code}, 200, 'generic cfg.xml served');
like($g->{body}, qr{<P35>provisioning</P35>.*<P71>\*98</P71>}s, 'generic file: provisioning account, auto-dials the IVR');

# --- wrong PINs, lockout -----------------------------------------------
$r = $claim->(mac => $MAC, number => '5551001', pin => '0000');
is($r->{code}, 403, 'wrong PIN: 403');
is_deeply([@{ $r->{json} }{qw(error failures max_failures)}], ['wrong PIN', 1, 3], '... failures counted (1 of 3)');
ok(!defined admin_record($MAC), '... no record');
$r = $claim->(mac => $MAC, number => '5551001', pin => '00000');
is($r->{json}{failures}, 2, 'second wrong PIN: 2 of 3');
is(api(GET => '/admin/activations/5551001')->{json}{failures}, 2, 'the count is stored');
$r = $claim->(mac => $MAC, number => '5551001', pin => '000000');
is($r->{code}, 423, 'third wrong PIN: 423 Locked');
$r = $claim->(mac => $MAC, number => '5551001', pin => $PIN);
is($r->{code}, 423, 'the right PIN after the lockout: still 423');
is($r->{json}{failures}, 3, '... and not counted further');
ok(api(GET => '/admin/activations/5551001')->{json}{locked}, 'GET shows locked');
ok(!defined admin_record($MAC), 'no record was made');

# unlock = delete and re-create
is(api(DELETE => '/admin/activations/5551001')->{code}, 204, 'DELETE activation: 204');
is(api(DELETE => '/admin/activations/5551001')->{code}, 404, 'DELETE again: 404');
is($act->(number => '5551001', pin => $PIN, %profile)->{code}, 201, 're-created');

# --- claim input errors --------------------------------------------------
$r = $claim->(mac => 'zz', number => '5551001', pin => $PIN);
is($r->{code}, 422, 'claim with a bad MAC: 422');
is($r->{json}{field}, 'mac', '... naming mac');
$r = $claim->(mac => $MAC, number => '5550000', pin => $PIN);
is($r->{code}, 404, 'claim of an unknown number: 404');
$r = api(POST => '/ivr/claim', user => undef, body => "mac=$MAC", ct => 'application/x-www-form-urlencoded');
is($r->{code}, 415, 'claim as a form: 415');

# --- phase 2: the claim ------------------------------------------------
$r = $claim->(mac => uc $MAC, number => '5551001', pin => $PIN);
is($r->{code}, 201, 'claim with the right PIN: 201') or diag($r->{body});
is_deeply($r->{json}, { mac => $MAC, number => '5551001' }, 'answer names MAC and number');
ok(defined admin_record($MAC), 'device record created');
ok(!defined admin_activation('5551001'), 'activation consumed');
my $dev = http_req(vhost => 'tenant_admin', path => "/prov/cfg$MAC.xml");
is($dev->{code}, 200, 'the device now gets its own file');
is($dev->{body}, gs_xml(mac => $MAC, params => [
    [P271 => 1], [P47 => 'sip.admin.example'], [P3 => 'Ext 4001'],
    [P35 => '4001'], [P71 => ''], [P64 => 'UTC'], [P1362 => 'gxp2170'],
    [P34 => 'claim-sip-secret-9']]), '... with its account, the IVR auto-dial gone');
$r = $claim->(mac => $MAC, number => '5551001', pin => $PIN);
is($r->{code}, 404, 'the same claim again: 404 (consumed)');
$r = api(GET => "/admin/devices/$MAC");
is_deeply($r->{json}{groups}, ['sip-account'], 'record readable through the API');

# a MAC that already has a record: 409, the activation stays
is($act->(number => '5551002', pin => $PIN, %profile)->{code}, 201, 'another activation');
$r = $claim->(mac => $MAC, number => '5551002', pin => $PIN);
is($r->{code}, 409, 'claim for a MAC with a record: 409');
is(api(GET => '/admin/activations/5551002')->{code}, 200, '... the activation stays');
is(api(GET => '/admin/activations/5551002')->{json}{failures}, 0, '... not counted as a failure');

# --- expiry --------------------------------------------------------------
$r = api(POST => '/admin-shortttl/activations', user => undef,
         body => { number => '5551003', pin => $PIN, %profile });
is($r->{code}, 201, 'activation with a 1 s TTL');
Time::HiRes::sleep(2.2);
$r = api(POST => '/admin-shortttl/claim', user => undef, body => { mac => '000b82cc0003', number => '5551003', pin => $PIN });
is($r->{code}, 410, 'claim after expiry: 410 Gone');
ok(!defined admin_record('000b82cc0003'), '... no record');
is(api(GET => '/admin/activations/5551003')->{json}{expired}, JSON::PP::true(), 'GET shows expired');
is($act->(number => '5551003', pin => $PIN, %profile)->{code}, 201, 'an expired activation can be replaced');

# --- two claims race for one PIN: exactly one wins ---------------------
for my $round (1 .. 3) {
    my $num = "55520$round";
    is($act->(number => $num, pin => $PIN, %profile)->{code}, 201, "race $round: activation");
    my @macs = map { sprintf '000b82dd%02d%02d', $round, $_ } 1 .. 6;
    pipe my $rd, my $wr or die;
    my @kids;
    for my $m (@macs) {
        my $pid = fork // die;
        if (!$pid) {
            close $rd;
            my $c = eval { $claim->(mac => $m, number => $num, pin => $PIN)->{code} } // 'err';
            print {$wr} "$m $c\n";
            close $wr;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    close $wr;
    my %code = map { split / / } map { chomp; $_ } <$rd>;
    waitpid $_, 0 for @kids;
    my @won = grep { $code{$_} eq '201' } @macs;
    is(scalar @won, 1, "race $round: exactly one claim won") or diag(join ' ', %code);
    is(scalar(grep { $code{$_} eq '404' } @macs), 5, "race $round: the others 404");
    is_deeply([grep { defined admin_record($_) } @macs], \@won, "race $round: only the winner has a record");
}

# --- without an audit log, no claims -----------------------------------
$r = api(POST => '/admin-noaudit/claim', user => undef, body => { mac => '000b82cc0009', number => '5551002', pin => $PIN });
is($r->{code}, 500, 'claim where there is no audit log: 500');
is(api(GET => '/admin/activations/5551002')->{code}, 200, '... activation untouched');

# --- audit -------------------------------------------------------------
my @a = audit_lines();
@a = @a[$audit0 .. $#a];
my ($c) = grep { $_->{action} eq 'activation-create' && $_->{number} eq '5551001' } @a;
is($c->{changes}{pin}, '***', 'activation audit: PIN masked');
is($c->{changes}{'vars.sip_password'}, '***', '... secret var masked');
is($c->{user}, 'admin', '... who');
my @wrong = grep { $_->{action} eq 'claim' && $_->{result} =~ /^wrong-pin/ } @a;
is(scalar @wrong, 3, 'three wrong PINs audited');
my ($ok) = grep { $_->{action} eq 'claim' && $_->{result} eq 'created' && $_->{mac} eq $MAC } @a;
ok($ok, 'successful claim audited');
is($ok->{user}, undef, '... the IVR location has no user');
for my $f ('gsprov_audit.log', 'error_log') {
    my $log = $f eq 'error_log' ? slurp(logs_dir() . "/$f") : audit_text();
    ok(index($log, $PIN) < 0, "the PIN is not in $f");
    ok(index($log, 'claim-sip-secret-9') < 0, "the SIP password is not in $f");
}
my @l707 = grep { /GSPROV0707/ } error_log_since();
is(scalar @l707, 2, 'GSPROV0707 for each counted wrong PIN below the limit');
ok(scalar(grep { /GSPROV0708/ } error_log_since()), 'GSPROV0708 for the lockout');

error_log_check(expected_ids => ['GSPROV0707', 'GSPROV0708', 'GSPROV0702']);
done_testing();
