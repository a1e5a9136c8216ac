# Device admin API, writing side: PUT (create/replace) validated like files
# on disk (422 naming the problem), ETag preconditions (412), DELETE, the
# audit log (who, what, secrets masked), listing with paging and groups,
# and parallel writers to one record.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Digest::SHA ();
use POSIX ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();
admin_setup();

my $M1 = '000b82bb0001';
my $path = "/admin/devices/$M1";
my $audit0 = () = audit_lines();

my %rec = (model => 'gxp2170', groups => ['sip-account', 'sales'],
           password => 'put-pw-secret-1', usernames => ['dev1'],
           secrets => ['put-http-secret-1'],
           vars => { ext => '3001', sip_password => 'put-sip-secret-1' },
           config => { P3 => 'Alice ${ext}', P33 => '*97' });

# --- create -------------------------------------------------------------
my $r = api(PUT => $path, body => \%rec);
is($r->{code}, 201, 'PUT new record: 201') or diag($r->{body});
is($r->{header}->('Location'), $path, 'Location of the new record');
my $bytes = admin_record($M1);
ok(defined $bytes, 'devices/<mac>.xml written');
is($r->{header}->('ETag'), '"' . Digest::SHA::sha256_hex($bytes) . '"', 'ETag of the bytes written');
like($bytes, qr{^<\?xml version="1.0" encoding="UTF-8"\?>\n<device>\n  <model>gxp2170</model>\n  <group>sip-account</group>\n  <group>sales</group>\n  <password>put-pw-secret-1</password>}, 'record XML as the store reads it');
like($bytes, qr{<P3>Alice \$\{ext\}</P3>}, 'config written with the variable unexpanded');
is_deeply($r->{json}{redacted}, ['password', 'secrets', 'vars.sip_password'], 'answer leaves secrets out');
ok(!grep({ /-secret-1/ } $r->{body}), 'no secret in the answer');
my @files = glob(admin_store_file('devices') . '/.*tmp*');
is(scalar @files, 0, 'no temporary file left behind');

# the device gets it at once
my $d = http_req(vhost => 'tenant_admin', path => "/prov/cfg$M1.xml");
is($d->{code}, 200, 'device file served after PUT');
my ($rc, $plain) = openssl_decrypt($d->{body}, 'put-pw-secret-1', 'md5');
is($rc, 0, 'encrypted with the new password');
like($plain, qr{<P3>Alice 3001</P3>}, 'device file has the new values');
like($plain, qr{<P34>put-sip-secret-1</P34>}, 'SIP password from the record var');

# GET round trip with secrets
$r = api(GET => "/admin-full/devices/$M1?secrets=1", user => 'boss');
ok(exists $r->{json}{status}, 'GET ?secrets=1 carries "status" too');
delete $r->{json}{status};     # (not part of the record: 98-device-status.t)
is_deeply($r->{json}, { mac => $M1, %rec, config_version => 1 }, 'GET ?secrets=1 returns what was PUT') or diag($r->{body});
my $etag = $r->{header}->('ETag');

# --- replace and preconditions ------------------------------------------
my %rec2 = (%rec, config => { P3 => 'Bob ${ext}' });
$r = api(PUT => $path, body => \%rec2, headers => ['If-Match' => '"0000"']);
is($r->{code}, 412, 'If-Match with a stale ETag: 412');
is($r->{header}->('ETag'), $etag, '... answer carries the current ETag');
is(admin_record($M1), $bytes, '... and the record is unchanged');
$r = api(PUT => $path, body => \%rec2, headers => ['If-None-Match' => '*']);
is($r->{code}, 412, 'If-None-Match: * on an existing record: 412');
$r = api(PUT => $path, body => \%rec2, headers => ['If-Match' => $etag]);
is($r->{code}, 200, 'If-Match with the current ETag: 200 (replaced)') or diag($r->{body});
isnt($r->{header}->('ETag'), $etag, '... new ETag');
like(admin_record($M1), qr{<P3>Bob \$\{ext\}</P3>}, '... new bytes on disk');
$etag = $r->{header}->('ETag');
$r = api(PUT => '/admin/devices/000b82bb0099', body => { model => 'gxp2170' }, headers => ['If-Match' => '*']);
is($r->{code}, 412, 'If-Match: * on a missing record: 412');
ok(!defined admin_record('000b82bb0099'), '... nothing created');

# --- validation: exactly like files on disk -----------------------------
my @bad = (
    [{ groups => ['nosuchgroup'] }, 'unknown model or group', qr/group 'nosuchgroup' has no groups\/nosuchgroup\.xml/, undef, 'unknown group'],
    [{ model => 'gxp9999' }, 'unknown model or group', qr/model 'gxp9999'/, undef, 'unknown model'],
    [{ config => { P3 => '${nobody_defined_this}' } }, 'undefined variable', qr/nobody_defined_this/, undef, 'undefined variable'],
    [{ groups => ['sip-account'] }, 'undefined variable', qr/sip_password|ext/, undef, 'group needs variables the record lacks'],
    [{ config => { P3 => '${broken' } }, 'invalid record', qr/malformed/, 'config.P3', 'malformed ${'],
    [{ config => { 'account.name' => 'x' } }, 'invalid record', qr/not a P-value name/, 'config.account.name', 'alias name in a v1 config'],
    [{ config_version => 2, config => { 'account.1.name' => 'x' } }, 'config versions 1 and 2 mixed', qr/mix|version/i, undef, 'v2 record over v1 templates'],
    [{ groups => ['bad group'] }, 'invalid record', qr/invalid group name/, 'groups[0]', 'bad group name'],
    [{ model => 'GXP' }, 'invalid record', qr/invalid model name/, 'model', 'bad model name'],
    [{ colour => 'red' }, 'invalid record', qr/unknown field "colour"/, 'colour', 'unknown field'],
    [{ mac => '000b82bb0002' }, 'invalid record', qr/not the MAC of the URL/, 'mac', 'mac of another device'],
    [{ vars => { ext => 5 } }, 'invalid record', qr/must be a string/, 'vars.ext', 'number instead of string'],
    [{ vars => { 'a b' => 'x' } }, 'invalid record', qr/invalid variable name/, 'vars.a b', 'bad variable name'],
    [{ usernames => ['a', 'b', 'c'] }, 'invalid record', qr/at most 2/, 'usernames', 'three usernames'],
    [{ password => '' }, 'invalid record', qr/must not be empty/, 'password', 'empty password'],
    [{ config => { P3 => "a\x01b" } }, 'invalid record', qr/control character/, 'config.P3', 'control character'],
    [{ model => 'gxp2170', redacted => ['password'] }, 'invalid record', qr/secrets=1/, 'redacted', 'record read without secrets written back'],
    [[1, 2], 'invalid record', qr/JSON object/, undef, 'not an object'],
);
my $before = admin_record($M1);
for my $b (@bad) {
    my ($body, $err, $detail, $field, $name) = @$b;
    $r = api(PUT => $path, body => $body);
    is($r->{code}, 422, "$name: 422");
    is($r->{json}{error}, $err, "$name: error") or diag($r->{body});
    like($r->{json}{detail} // '', $detail, "$name: detail names the problem");
    is($r->{json}{field}, $field, "$name: field") if defined $field;
}
is(admin_record($M1), $before, 'no rejected record reached the disk');
$r = api(PUT => '/admin/devices/000b82zz0001', body => { model => 'gxp2170' });
is($r->{code}, 422, 'PUT to a bad MAC: 422');
is($r->{json}{field}, 'mac', '... naming the mac');

# --- writes without an audit log are refused ---------------------------
$r = api(PUT => '/admin-noaudit/devices/000b82bb0003', user => undef, body => { model => 'gxp2170' });
is($r->{code}, 500, 'no GsProvAuditLog: 500');
like($r->{json}{error}, qr/GsProvAuditLog/, '... saying why');
ok(!defined admin_record('000b82bb0003'), '... nothing written');
$r = api(GET => "/admin-noaudit/devices/$M1", user => undef);
is($r->{code}, 200, '... reads still work there');

# --- listing: several records, paging, group filter ----------------------
for my $i (2 .. 6) {
    my $m = sprintf '000b82bb%04d', $i;
    $r = api(PUT => "/admin/devices/$m", body => { model => 'gxp2170', groups => [$i % 2 ? 'sales' : ()] });
    is($r->{code}, 201, "create $m") or diag($r->{body});
}
$r = api(GET => '/admin/devices?limit=3');
is_deeply([map { $_->{mac} } @{ $r->{json}{devices} }], ['000b82aa0001', $M1, '000b82bb0002'], 'page 1 in MAC order');
is($r->{json}{next}, '000b82bb0002', 'next names the last MAC of the page');
$r = api(GET => "/admin/devices?limit=3&after=$r->{json}{next}");
is_deeply([map { $_->{mac} } @{ $r->{json}{devices} }], ['000b82bb0003', '000b82bb0004', '000b82bb0005'], 'page 2');
$r = api(GET => "/admin/devices?limit=3&after=$r->{json}{next}");
is_deeply([map { $_->{mac} } @{ $r->{json}{devices} }], ['000b82bb0006'], 'page 3');
is($r->{json}{next}, undef, 'last page: next is null');
$r = api(GET => '/admin/devices?group=sales');
is_deeply([map { $_->{mac} } @{ $r->{json}{devices} }], ['000b82aa0001', $M1, '000b82bb0003', '000b82bb0005'], 'group filter');
# temp files and other names in devices/ are not records
write_file(admin_store_file('devices/.000b82bb0007.xml.tmp.1.1'), '<dev');
write_file(admin_store_file('devices/notes.txt'), 'x');
$r = api(GET => '/admin/devices?after=000b82bb0005');
is_deeply([map { $_->{mac} } @{ $r->{json}{devices} }], ['000b82bb0006'], 'temp and foreign files are not listed');

# --- delete -------------------------------------------------------------
$r = api(DELETE => '/admin/devices/000b82bb0006', headers => ['If-Match' => '"nope"']);
is($r->{code}, 412, 'DELETE with a stale If-Match: 412');
ok(defined admin_record('000b82bb0006'), '... still there');
$r = api(DELETE => '/admin/devices/000b82bb0006');
is($r->{code}, 204, 'DELETE: 204');
is($r->{body}, '', '... no body');
ok(!defined admin_record('000b82bb0006'), '... record gone');
is(http_req(vhost => 'tenant_admin', path => '/prov/cfg000b82bb0006.xml')->{code}, 404, '... device gets 404 now');
$r = api(DELETE => '/admin/devices/000b82bb0006');
is($r->{code}, 404, 'DELETE again: 404');
$r = api(DELETE => '/admin/devices/000b82bb0006', headers => ['If-Match' => '*']);
is($r->{code}, 412, 'DELETE with If-Match of a missing record: 412');

# --- the audit log --------------------------------------------------------
my @a = audit_lines();
@a = @a[$audit0 .. $#a];
my ($create) = grep { $_->{action} eq 'device-put' && $_->{mac} eq $M1 && $_->{result} eq 'created' } @a;
ok($create, 'audit line for the create');
is($create->{user}, 'admin', '... who');
is($create->{client}, '127.0.0.1', '... from where');
is($create->{method}, 'PUT', '... method');
like($create->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '... when');
is($create->{changes}{password}, '***', '... password masked');
is($create->{changes}{secrets}, '***', '... secrets masked');
is($create->{changes}{'vars.sip_password'}, '***', '... secret-looking var masked');
is($create->{changes}{'vars.ext'}, '3001', '... other values shown');
is_deeply($create->{changes}{groups}, ['sip-account', 'sales'], '... groups');
my ($repl) = grep { $_->{mac} eq $M1 && $_->{result} eq 'replaced' } @a;
is_deeply($repl->{changes}, { 'config.P3' => 'Bob ${ext}', 'config.P33' => undef }, 'replace: only what changed (P33 removed)');
my ($del) = grep { $_->{action} eq 'device-delete' } @a;
is($del->{mac}, '000b82bb0006', 'audit line for the delete');
is(scalar(grep { $_->{result} =~ /^(?:created|replaced|deleted)$/ } @a), 8, 'one line per change, none for refused writes');
my $alog = audit_text();
ok($alog !~ /put-(?:pw|http|sip)-secret-1/, 'no secret anywhere in the audit log');

# --- parallel writers to one record -------------------------------------
my $M2 = '000b82bb0010';
my $N = 8;
sub parallel {
    my ($code) = @_;
    my @kids;
    pipe my $rd, my $wr or die;
    for my $i (1 .. $N) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            my $res = eval { $code->($i) } // "error $@";
            print {$wr} "$i $res\n";
            close $wr;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    close $wr;
    my @out = <$rd>;
    waitpid $_, 0 for @kids;
    chomp @out;
    return map { (split / /, $_, 2)[1] } @out;
}
my @codes = parallel(sub {
    my $i = shift;
    api(PUT => "/admin/devices/$M2", body => { model => 'gxp2170', vars => { ext => "v$i" } })->{code};
});
is(scalar @codes, $N, "$N parallel PUTs answered");
is(scalar(grep { $_ eq '201' } @codes), 1, 'exactly one created the record') or diag("@codes");
is(scalar(grep { $_ eq '200' } @codes), $N - 1, 'the others replaced it');
my $final = admin_record($M2);
like($final, qr{^<\?xml version="1.0" encoding="UTF-8"\?>\n<device>\n  <model>gxp2170</model>\n  <var name="ext">v[1-$N]</var>\n</device>\n\z}, 'the record is one complete version');

# all writers with the same If-Match: exactly one wins, the rest get 412
$etag = api(GET => "/admin/devices/$M2")->{header}->('ETag');
@codes = parallel(sub {
    my $i = shift;
    api(PUT => "/admin/devices/$M2", headers => ['If-Match' => $etag],
        body => { model => 'gxp2170', vars => { ext => "w$i" } })->{code};
});
is(scalar(grep { $_ eq '200' } @codes), 1, 'same If-Match in parallel: exactly one 200') or diag("@codes");
is(scalar(grep { $_ eq '412' } @codes), $N - 1, '... the others 412');

# --- parameters the record owns, set by its config: warned, not refused ---
# (P1359-P1361: what the device gets agrees with the record anyway)
my $M3 = '000b82bb0020';
$r = api(PUT => "/admin/devices/$M3", body => {
    model => 'gxp2170', password => 'own-pw-3', usernames => ['dev3'], secrets => ['own-http-3'],
    config => { P1359 => 'cfg-pw-w3', P1361 => '', P3 => 'Own' } });
is($r->{code}, 201, 'record whose config sets P1359 and an empty P1361: 201, written') or diag($r->{body});
my @w = @{ $r->{json}{warnings} || [] };
is(scalar @w, 2, '... with two warnings');
like($w[0] // '', qr/^config\.P1359: P1359 \(the XML config file password\) is set here: devices whose record has a <password> get that password instead/,
     '... P1359, named by its JSON field');
like($w[1] // '', qr/^config\.P1361: P1361 .* to an empty value: .*\(an empty value is not served to them\)/,
     '... the empty P1361');
unlike($r->{body}, qr/cfg-pw-w3|own-pw-3|own-http-3/, '... and no value in the answer');
{
    my $d3 = http_req(vhost => 'tenant_admin', path => "/prov/cfg$M3.xml");
    my ($rc3, $plain3) = openssl_decrypt($d3->{body}, 'own-pw-3', 'md5');
    is($rc3, 0, '... its file decrypts with the record password');
    like($plain3, qr{<P1359>own-pw-3</P1359>}, '... whose P1359 is that password');
    unlike($plain3, qr{cfg-pw-w3|<P1361>}, "... never the config's P1359, no empty P1361");
}
$r = api(PUT => "/admin/devices/$M3", body => { model => 'gxp2170', password => 'own-pw-3' });
is($r->{code}, 200, 'the same record without them: 200');
ok(!exists $r->{json}{warnings}, '... and no "warnings"');
$r = api(POST => '/admin/activations', body => { number => '5559515', pin => '918273', model => 'gxp2170',
                                                 config => { P1360 => '' } });
is($r->{code}, 201, 'activation whose profile sets an empty P1360: 201') or diag($r->{body});
like(($r->{json}{warnings} || [])->[0] // '', qr/^config\.P1360: P1360 .* to an empty value/, '... with the warning');
is(api(DELETE => '/admin/activations/5559515')->{code}, 204, '... (removed again)');

error_log_check(expected_ids => ['GSPROV0702']);
done_testing();
