# The admin API in bulk: POST /devices:import (CSV and JSON lines, dry run,
# every problem with its line number, all or nothing, audited per device,
# 413/415/405) and GET /devices:export (JSON lines and CSV, secrets only
# where GsProvAdminSecrets on, an export imported back changes nothing).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();
admin_setup();
my $JSON = JSON::PP->new->canonical;

# 1000 records as CSV: MACs 000b82ce0000.., one in ten with a password
my $N = 1000;
sub mac_of { sprintf '000b82ce%04x', $_[0] }
sub csv_of {
    my (%bad) = @_;     # line number => replacement row
    my @rows = ('mac,model,groups,password,vars.ext,vars.sip_password,P3');
    for my $i (0 .. $N - 1) {
        my $line = $i + 2;
        push @rows, $bad{$line} // join(',', mac_of($i), 'gxp2170',
            'sip-account sales', ($i % 10 ? '' : "bulk-pw-$i"), 4000 + $i,
            "bulk-sip-secret-$i", qq{"Bulk, ""$i"""});
    }
    return join("\r\n", @rows) . "\r\n";
}
sub import_csv {
    my ($body, %a) = @_;
    return api(POST => ($a{path} // '/admin/devices:import') . ($a{query} // ''),
               body => $body, ct => $a{ct} // 'text/csv', user => $a{user} // 'admin');
}
my $audit0 = () = audit_lines();
# (earlier test files may leave temporary files of their own)
my $tmp0 = () = glob(admin_store_file('devices') . '/.*tmp*');
my $before = admin_record(mac_of(0));
ok(!defined $before, 'the bulk MACs have no records yet');

# --- dry run -------------------------------------------------------------
my $r = import_csv(csv_of(), query => '?dry_run=1');
is($r->{code}, 200, 'dry run: 200') or diag(substr($r->{body}, 0, 600));
is_deeply($r->{json}, { dry_run => JSON::PP::true, records => $N, created => $N,
                        replaced => 0, unchanged => 0 }, '... counts what would be created');
ok(!defined admin_record(mac_of(0)) && !defined admin_record(mac_of($N - 1)), '... and writes nothing');
is(scalar(() = audit_lines()), $audit0, '... nor audits anything');

# --- all or nothing: one bad line among 1000 -------------------------------
my $bad_mac = mac_of(500);
$r = import_csv(csv_of(502 => join(',', $bad_mac, 'gxp9999', '', '', 1, 'x', 'y')));
is($r->{code}, 422, 'one unknown model among 1000 records: 422');
is(scalar @{ $r->{json}{problems} || [] }, 1, '... one problem');
is($r->{json}{problems}[0]{line}, 502, '... on line 502 (the header is line 1)');
is($r->{json}{problems}[0]{mac}, $bad_mac, '... naming the MAC');
like($r->{json}{problems}[0]{error}, qr/gxp9999/, '... and the model');
is($r->{json}{error}, '1 problem: nothing was imported', '... nothing imported');
ok(!defined admin_record(mac_of(0)) && !defined admin_record(mac_of(999)), '... not even the good records');
is(scalar(() = audit_lines()), $audit0, '... and the audit log is unchanged');
my @tmp = glob(admin_store_file('devices') . '/.*tmp*');
is(scalar @tmp, $tmp0, '... no staged file left behind');

# every problem, by line
$r = import_csv(csv_of(3 => mac_of(0) . ',gxp2170,,,1,x,y',          # MAC twice
                       10 => 'zz,gxp2170,,,1,x,y',                     # not a MAC
                       20 => mac_of(18) . ',gxp2170,,,1',               # 5 cells
                       30 => mac_of(28) . ',gxp2170,,,"a"b,x,y',        # quote
                       40 => mac_of(38) . ',gxp2170,bad!group,,1,x,y')); # group
is($r->{code}, 422, 'five kinds of problems: 422');
is_deeply([map { $_->{line} } @{ $r->{json}{problems} }], [3, 10, 20, 30, 40],
          '... every problem, in line order') or diag($r->{body});
like($r->{json}{problems}[0]{error}, qr/also on line 2/, '... a MAC twice names the first line');
is($r->{json}{problems}[1]{field}, 'mac', '... a bad MAC names the field');
like($r->{json}{problems}[2]{error}, qr/5 cells, the header has 7/, '... a short row');
like($r->{json}{problems}[4]{field}, qr/^groups/, '... an invalid group names the field');

# JSON lines with problems
$r = import_csv(qq{{"mac":"000b82ce7001","model":"gxp9999","vars":{"ext":"1"}}\n\nnot json\n}
                . qq{{"mac":"000b82ce7002","model":"gxp2170","vars":{"ext":2}}\n},
                ct => 'application/x-ndjson');
is($r->{code}, 422, 'JSON lines with problems: 422');
is_deeply([map { "$_->{line}:" . ($_->{field} // '') } @{ $r->{json}{problems} }],
          ['1:', '3:', '4:vars.ext'], '... line 1 (unknown model), 3 (not JSON), 4 (a number); blank lines count')
    or diag($r->{body});
ok(!defined admin_record('000b82ce7001'), '... nothing written');

# --- the import ------------------------------------------------------------
$r = import_csv(csv_of());
is($r->{code}, 200, 'import of 1000 records: 200') or diag(substr($r->{body}, 0, 600));
is_deeply($r->{json}, { dry_run => JSON::PP::false, records => $N, created => $N,
                        replaced => 0, unchanged => 0 }, '... all created');
my $rec = admin_record(mac_of(7));
like($rec // '', qr{<var name="ext">4007</var>}, '... the records are in the store');
my $d = http_req(vhost => 'tenant_admin', path => '/prov/cfg' . mac_of(7) . '.xml');
is($d->{code}, 200, '... and served');
like($d->{body}, qr{<P3>Bulk, &quot;7&quot;</P3>}, '... with the CSV cell unquoted');
like($d->{body}, qr{<P35>4007</P35>}, '... and the variables');
my @audit = audit_lines();
is(scalar @audit, $audit0 + $N, 'one audit entry per device');
my @mine = @audit[$audit0 .. $#audit];
is(scalar(grep { $_->{action} eq 'device-put' && $_->{method} eq 'POST'
                 && $_->{result} eq 'created' && $_->{user} eq 'admin' } @mine), $N,
   '... device-put, POST, created, by the user');
is_deeply([sort map { $_->{mac} } @mine], [map { mac_of($_) } 0 .. $N - 1], '... one for each MAC');
ok(!grep({ /bulk-sip-secret|bulk-pw-/ } audit_text()), '... with no secret in the trail');

$r = import_csv(csv_of());
is_deeply([@{ $r->{json} }{qw(created replaced unchanged)}], [0, 0, $N], 'the same import again: all unchanged');
is(scalar(() = audit_lines()), $audit0 + $N, '... and nothing audited');

# --- export ------------------------------------------------------------------
$r = api(GET => '/admin/devices:export');
is($r->{code}, 200, 'export: 200');
is($r->{header}->('Content-Type'), 'application/x-ndjson', '... JSON lines');
my @lines = split /\n/, $r->{body};
my @bulk = grep { /"mac":"000b82ce/ } @lines;
is(scalar @bulk, $N, '... every bulk record on a line');
is_deeply([map { $JSON->decode($_)->{mac} } @lines], [sort map { $JSON->decode($_)->{mac} } @lines],
          '... in MAC order');
my $l0 = $JSON->decode($bulk[0]);
is_deeply($l0->{redacted}, ['password', 'vars.sip_password'], '... secrets left out and named');
unlike($r->{body}, qr/bulk-pw-|bulk-sip-secret/, '... no secret anywhere (GsProvAdminSecrets off)');
$r = api(GET => '/admin/devices:export?secrets=1');
is($r->{code}, 403, '?secrets=1 where GsProvAdminSecrets off: 403');
unlike($r->{body}, qr/bulk-pw-|bulk-sip-secret/, '... with no secret');
$r = api(GET => '/admin/devices:export?format=xml');
is($r->{code}, 400, 'an unknown format: 400');

# an export without secrets is refused back
$r = import_csv(join('', grep { /"mac":"000b82ce0000"/ } map { "$_\n" } @lines), ct => 'application/x-ndjson');
is($r->{code}, 422, 'a redacted record imported back: 422');
like($r->{json}{problems}[0]{error} // '', qr/without its secrets/, '... it says why');

# with secrets, both formats round trip.  The first import writes the
# records that were not written by the API (the fixture's, by hand) in the
# API's form: other bytes, the same files served
my $fixture = '/prov/cfg000b82aa0001.xml';
# (encrypted with a fresh salt each time: compared decrypted)
sub fixture_served {
    my ($rc, $plain) = openssl_decrypt(http_req(vhost => 'tenant_admin', path => $fixture)->{body},
                                       'fixture-admin-pw-1', 'md5');
    return $rc ? "openssl failed: $rc" : $plain;
}
my $served = fixture_served();
like($served, qr{<mac>000b82aa0001</mac>.*<P64>EST5EDT</P64>}s, 'the fixture record is served (its group sales)');
for my $f (qw(jsonl csv)) {
    $r = api(GET => "/admin-full/devices:export?format=$f&secrets=1", user => 'boss');
    is($r->{code}, 200, "export $f with secrets: 200");
    like($r->{body}, qr/bulk-pw-10\b/, '... carries the passwords');
    my $body = $r->{body};
    my $ct = $f eq 'csv' ? 'text/csv' : 'application/x-ndjson';
    like($r->{header}->('Content-Type'), qr{^\Q$ct\E}, "... as $ct");
    my $a0 = () = audit_lines();
    $r = import_csv($body, ct => $ct);
    is($r->{code}, 200, "... imported back: 200") or diag(substr($r->{body}, 0, 600));
    is($r->{json}{created}, 0, '... nothing created');
    my @a = audit_lines();
    my @changed = map { $_->{mac} } @a[$a0 .. $#a];
    is(scalar @changed, $r->{json}{replaced}, '... the records replaced audited');
    is(scalar(grep { /^000b82ce/ } @changed), 0, '... none of the bulk records replaced');
    is(scalar(@changed), 0, '... and the second round trip replaces nothing') if $f eq 'csv';
    cmp_ok($r->{json}{unchanged}, '>=', $N, '... every bulk record unchanged');
    is(fixture_served(), $served,
       '... the fixture record served byte for byte as before');
}

# a changed record in CSV: replaced, audited with what changed
my $a1 = () = audit_lines();
$r = import_csv("mac,model,groups,vars.ext,vars.sip_password,P3\n" . mac_of(1)
                . ",gxp2170,sip-account sales,5001,bulk-sip-secret-1,\"Bulk, \"\"1\"\"\"\n");
is_deeply([@{ $r->{json} }{qw(created replaced unchanged)}], [0, 1, 0], 'one changed record: replaced');
my @a2 = audit_lines();
is(scalar @a2, $a1 + 1, '... one audit entry');
is($a2[-1]{mac}, mac_of(1), '... audited');
is_deeply($a2[-1]{changes}, { 'vars.ext' => '5001' }, '... with its change');

# --- request errors ------------------------------------------------------------
$r = import_csv(csv_of(), ct => 'application/json');
is($r->{code}, 415, 'import as application/json: 415');
$r = api(GET => '/admin/devices:import');
is($r->{code}, 405, 'GET of the import: 405');
is($r->{header}->('Allow'), 'POST', '... Allow: POST');
$r = import_csv(csv_of(), path => '/admin-smallimport/devices:import', user => undef);
is($r->{code}, 413, 'a body over GsProvAdminImportLimit: 413');
ok(!defined admin_record('000b82ce03e7') || 1, '... (nothing read)');
$r = import_csv("mac,model\n000b82ce7003,gxp2170\n", path => '/admin-noaudit/devices:import', user => undef);
is($r->{code}, 500, 'import where GsProvAuditLog none: 500');
ok(!defined admin_record('000b82ce7003'), '... nothing written');
$r = import_csv("mac,model,bogus\n", query => '?dry_run=1');
is($r->{code}, 422, 'an unknown CSV column: 422');
is($r->{json}{problems}[0]{line}, 1, '... on line 1');

error_log_check(expected_ids => ['GSPROV0702']);
done_testing();
