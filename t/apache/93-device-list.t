# GET /devices filters and paging over 10,000 records (vhost tenant_list),
# each result checked against the set computed here from the generated
# records; fields=; unknown or malformed filters are 400 naming them; the
# status filters after real device requests (flushed every second), and
# in_sync after an edit and after imports; GET
# /activations.  The records are written into the directory store, or
# imported with `gsprov import` into the database (GSPROV_TEST_STORE=
# pgsql|sqlite3), so the same assertions run against both stores.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use Time::HiRes ();
use GsProvTest;

error_log_mark();
my $N = 10_000;
my $STORE = $ENV{GSPROV_TEST_STORE} // 'file';
my $JSON = JSON::PP->new->canonical;
my @MODELS = qw(gxp2170 ht802 grp2614);

# --- the records: MACs scattered (not in the order made) ------------------
my (%dev, %xml);
for my $i (1 .. $N) {
    my $mac = sprintf '0004%08x', ($i * 2654435761) % 4294967296;
    my %d = (model => $MODELS[$i % 3],
             groups => [ ($i % 4 ? () : 'sales'), ($i % 5 ? () : 'support') ],
             vars => { ext => "" . (1000 + $i), floor => "" . ($i % 7), sip_password => "pw-$i" });
    $dev{$mac} = \%d;
    $xml{$mac} = join '', qq{<?xml version="1.0" encoding="UTF-8"?>\n<device>\n},
        "  <model>$d{model}</model>\n", (map { "  <group>$_</group>\n" } @{ $d{groups} }),
        (map { qq{  <var name="$_">$d{vars}{$_}</var>\n} } sort keys %{ $d{vars} }),
        "</device>\n";
}
my @ALL = sort keys %dev;
is(scalar(@ALL), $N, "$N distinct MACs");
if ($STORE eq 'file') {
    write_file(store_file(list => "devices/$_.xml"), $xml{$_}) for @ALL;
}
else {
    my $f = File::Spec->catfile(t_dir(), 'list.jsonl');
    open my $fh, '>', $f or die "$f: $!";
    print {$fh} $JSON->encode({ mac => $_, record => $xml{$_} }), "\n" for @ALL;
    close $fh;
    my $out = qx{"$ENV{GSPROV_TEST_CLI}" import --root "@{[store_dir('list')]}" --driver $STORE --params "$ENV{GSPROV_TEST_DBD_PARAMS}" --tenant list.test "$f" 2>&1};
    is($?, 0, "gsprov import into $STORE") or diag($out);
    like($out, qr/\b$N lines, $N created, 0 replaced, 0 unchanged, 0 rejected\b/, "... all $N records created") or diag($out);
}

sub get {
    my ($path, %a) = @_;
    my $r = http_req(vhost => 'tenant_list', method => $a{method} || 'GET', path => $path,
                     ($a{body} ? (body => $JSON->encode($a{body}),
                                  headers => ['Content-Type' => 'application/json']) : ()));
    $r->{json} = eval { $JSON->decode($r->{body}) } if ($r->{header}->('Content-Type') // '') =~ /json/;
    return $r;
}

# Every page of a listing: the devices in order, and whether each page was
# 200, strictly increasing after the one before, and linked by "next".
sub pages {
    my ($qs, $limit, $loc) = @_;
    my ($after, $ok, $pages, @got) = (undef, 1, 0);
    while (1) {
        my $q = join '&', "limit=$limit", ($qs ne '' ? $qs : ()), (defined $after ? "after=$after" : ());
        my $r = get(($loc // '/admin') . "/devices?$q");
        if ($r->{code} != 200 || !$r->{json}) {
            diag("$q: $r->{code} $r->{body}");
            return (undef, 0);
        }
        my @d = @{ $r->{json}{devices} };
        for my $e (@d) {
            $ok = 0, diag("$q: $e->{mac} out of order") if @got && $got[-1]{mac} ge $e->{mac};
            push @got, $e;
        }
        $ok = 0, diag("$q: more than $limit") if @d > $limit;
        $pages++;
        my $next = $r->{json}{next};
        last unless defined $next;
        $ok = 0, diag("$q: next $next is not the last MAC") if !@d || $next ne $d[-1]{mac};
        $after = $next;
        if ($pages > $N) { diag('no end'); return (undef, 0) }
    }
    return (\@got, $ok);
}

# the filter's devices against the expected subset (by a Perl predicate)
sub expect_set {
    my ($qs, $limit, $pred, $label) = @_;
    my ($got, $ok) = pages($qs, $limit);
    ok($ok, "$label: every page 200, MACs increasing, linked by next");
    my @want = grep { $pred->($dev{$_}, $_) } @ALL;
    is_deeply([ map { $_->{mac} } @{ $got || [] } ], \@want, "$label: exactly the " . scalar(@want) . " expected");
    return $got;
}

# --- record filters -------------------------------------------------------
my $all = expect_set('', 1000, sub { 1 }, 'no filter');
is_deeply($all->[0], { mac => $ALL[0], model => $dev{$ALL[0]}{model}, groups => $dev{$ALL[0]}{groups} },
          'default columns: mac, model, groups');
my $r = get('/admin/devices?limit=100');
is(scalar(@{ $r->{json}{devices} }), 100, 'limit=100: 100 devices');
is($r->{json}{next}, $ALL[99], '... next is the 100th MAC');
$r = get("/admin/devices?after=$ALL[-2]");
is_deeply([ map { $_->{mac} } @{ $r->{json}{devices} } ], [ $ALL[-1] ], 'after the last but one: the last');
is($r->{json}{next}, undef, '... and no next');

expect_set('model=ht802', 1000, sub { $_[0]{model} eq 'ht802' }, 'model=ht802');
expect_set('group=sales', 500, sub { grep { $_ eq 'sales' } @{ $_[0]{groups} } }, 'group=sales');
expect_set('group=support&model=gxp2170', 1000,
           sub { $_[0]{model} eq 'gxp2170' && grep { $_ eq 'support' } @{ $_[0]{groups} } },
           'group=support&model=gxp2170');
expect_set('var.floor=3', 1000, sub { $_[0]{vars}{floor} == 3 }, 'var.floor=3');
expect_set('var.floor=3&model=grp2614&group=sales', 1000,
           sub { $_[0]{vars}{floor} == 3 && $_[0]{model} eq 'grp2614' && grep { $_ eq 'sales' } @{ $_[0]{groups} } },
           'var.floor=3&model=grp2614&group=sales');
expect_set('var.ext=1234&var.floor=3', 10, sub { $_[0]{vars}{ext} == 1234 && $_[0]{vars}{floor} == 3 },
           'var.ext=1234&var.floor=3 (one device)');
expect_set('var.ext=1234&var.floor=2', 10, sub { $_[0]{vars}{ext} == 1234 && $_[0]{vars}{floor} == 2 },
           'var.ext=1234&var.floor=2 (none)');
expect_set('var.nosuch=1', 1000, sub { 0 }, 'a variable no record has');
expect_set('model=gxp1620', 1000, sub { 0 }, 'a model no record has');

# --- columns ----------------------------------------------------------------
$r = get("/admin/devices?limit=1&fields=mac");
is_deeply($r->{json}{devices}, [ { mac => $ALL[0] } ], 'fields=mac: the MAC only');
$r = get("/admin/devices?limit=1&fields=vars");
is_deeply($r->{json}{devices}, [ { mac => $ALL[0], vars => { ext => "$dev{$ALL[0]}{vars}{ext}",
          floor => "$dev{$ALL[0]}{vars}{floor}" } } ], 'fields=vars: the variables, secrets left out');
$r = get("/admin-secrets/devices?limit=1&fields=vars&secrets=1");
is($r->{json}{devices}[0]{vars}{sip_password}, $dev{$ALL[0]}{vars}{sip_password},
   'fields=vars&secrets=1 where GsProvAdminSecrets is on: the secret too');
$r = get("/admin/devices?limit=1&fields=vars&secrets=1");
is($r->{code}, 403, 'secrets=1 elsewhere: 403');

# --- refusals: 400 naming the parameter --------------------------------------
for my $t (['modle=ht802', 'modle'], ['Model=ht802', 'Model'], ['model=a&model=b', 'model'],
           ['var.sip_password=pw-1', 'var.sip_password'], ['var.a%20b=1', 'var.a b'],
           ['seen_after=yesterday', 'seen_after'], ['seen_before=2026-02-30', 'seen_before'],
           ['in_sync=maybe', 'in_sync'], ['never_seen=2', 'never_seen'],
           ['never_seen&in_sync=false', 'never_seen'], ['firmware=', 'firmware'],
           ['fields=mac,pin', 'fields'], ['limit=0', 'limit'], ['after=xyz', 'after'],
           ['group=a/b', 'group']) {
    $r = get("/admin/devices?$t->[0]");
    is($r->{code}, 400, "$t->[0]: 400");
    is($r->{json} && $r->{json}{field}, $t->[1], "... naming $t->[1]");
}
$r = get('/admin-secrets/devices?var.sip_password=pw-1&fields=mac');
is_deeply($r->{json}{devices}, [ { mac => (grep { $dev{$_}{vars}{ext} == 1001 } @ALL)[0] } ],
          'var.sip_password where GsProvAdminSecrets is on: the one device');

# --- GET /activations ---------------------------------------------------------
my @numbers = qw(5552001 5552003 55520 5552002 6);
for my $n (@numbers) {
    $r = get('/admin/activations', method => 'POST',
             body => { number => $n, pin => '482910', model => 'gxp2170', vars => { ext => "9$n" } });
    is($r->{code}, 201, "activation $n created") or diag($r->{body});
}
my ($after, $bodies, @acts) = (undef, '');
for (1 .. 10) {
    $r = get('/admin/activations?limit=2' . (defined $after ? "&after=$after" : ''));
    is($r->{code}, 200, 'GET /activations page: 200');
    $bodies .= $r->{body};
    push @acts, @{ $r->{json}{activations} };
    last unless defined($after = $r->{json}{next});
}
is_deeply([ map { $_->{number} } @acts ], [ sort @numbers ], 'every activation once, in number order, over pages of 2');
is_deeply([ sort keys %{ $acts[0] } ], [ qw(claimed_by created expired expires failures locked number) ],
          'an activation: number, times, failures, state; no PIN, hash or profile');
unlike($bodies, qr/pbkdf2|482910|"pin"/, 'no PIN or PIN hash in any page');
$r = get('/admin/activations?after=x');
is($r->{code}, 400, 'activations after=x: 400');
is($r->{json}{field}, 'after', '... naming after');
$r = get('/admin/activations?model=gxp2170');
is($r->{code}, 400, 'activations with a device filter: 400');
$r = get('/admin/activations', method => 'PUT', body => {});
is($r->{code}, 405, 'PUT /activations: 405');
is($r->{header}->('Allow'), 'GET, HEAD, POST', '... Allow');

# --- status filters, from real device requests ---------------------------------
expect_set('never_seen=false', 1000, sub { 0 }, 'before any request: nothing seen');
my @picked = @ALL[ map { $_ * 797 } 0 .. 11 ];
my %fw;
my $t0 = time;
for my $k (0 .. $#picked) {
    my $mac = $picked[$k];
    $fw{$mac} = $k < 6 ? '1.0.11.6' : '1.0.3.2';
    my $res = http_req(vhost => 'tenant_list', path => "/prov/cfg$mac.xml",
                       headers => ['User-Agent' => "Grandstream Model HW GXP2170 V2.2A SW $fw{$mac} DevId $mac"]);
    is($res->{code}, 200, "device $mac fetched its file");
}
my %picked = map { $_ => 1 } @picked;
# until the flusher has written them (every second)
my $seen;
for (1 .. 80) {
    ($seen) = pages('never_seen=false', 1000);
    last if $seen && @$seen == @picked;
    Time::HiRes::sleep(0.25);
}
is(scalar(@{ $seen || [] }), scalar(@picked), 'the requests are in the status after a flush');
expect_set('never_seen=false', 1000, sub { $picked{$_[1]} }, 'never_seen=false: the devices that asked');
expect_set('never_seen', 1000, sub { !$picked{$_[1]} }, 'never_seen: all the others');
expect_set('in_sync=true', 1000, sub { $picked{$_[1]} }, 'in_sync=true: all that asked');
expect_set('in_sync=false', 1000, sub { 0 }, 'in_sync=false: none yet');
expect_set('firmware=1.0.11.6', 1000, sub { ($fw{$_[1]} // '') eq '1.0.11.6' }, 'firmware=1.0.11.6');
expect_set('firmware=1.0.3.2&model=' . $dev{$picked[7]}{model}, 1000,
           sub { ($fw{$_[1]} // '') eq '1.0.3.2' && $_[0]{model} eq $dev{$picked[7]}{model} },
           'firmware and model');
expect_set("seen_after=" . ($t0 - 1), 1000, sub { $picked{$_[1]} }, 'seen_after before the requests');
expect_set("seen_before=" . ($t0 - 1), 1000, sub { 0 }, 'seen_before the requests: none');
expect_set("seen_after=" . ($t0 + 3600), 1000, sub { 0 }, 'seen_after an hour later: none');
$r = get("/admin/devices?limit=2&fields=mac,status,in_sync&after=" . ($ALL[797 * 3 - 1]));
my ($e0, $e1) = @{ $r->{json}{devices} };
is($e0->{mac}, $picked[3], 'fields=status,in_sync: a device that asked');
is($e0->{in_sync}, JSON::PP::true(), '... in sync');
is_deeply([ @{ $e0->{status} }{qw(kind file result firmware hardware)} ],
          [ 'xml', "cfg$picked[3].xml", 200, '1.0.11.6', 'V2.2A' ], '... its latest request');
cmp_ok($e0->{status}{at}, '>=', $t0, '... and when');
is_deeply($e1, { mac => $ALL[797 * 3 + 1], status => undef, in_sync => undef },
          '... one that never asked: status and in_sync null');

# an edit: out of sync at once (the record's version changed), in sync after
# the device fetched its file again
my $ed = $picked[4];
# (strings: the filters above compared them as numbers, which JSON::PP
# would now encode as numbers)
my %vars = map { $_ => '' . $dev{$ed}{vars}{$_} } keys %{ $dev{$ed}{vars} };
my %body = (%{ $dev{$ed} }, vars => { %vars, floor => '99' });
$r = get("/admin-secrets/devices/$ed", method => 'PUT', body => \%body);
is($r->{code}, 200, "device $ed edited") or diag($r->{body});
$dev{$ed}{vars}{floor} = 99;
expect_set('in_sync=false', 1000, sub { $_[1] eq $ed }, 'in_sync=false: exactly the edited device');
expect_set('in_sync=true', 1000, sub { $picked{$_[1]} && $_[1] ne $ed }, 'in_sync=true: the others that asked');
expect_set('var.floor=99', 1000, sub { $_[1] eq $ed }, 'the edit is found by its new variable');
is(http_req(vhost => 'tenant_list', path => "/prov/cfg$ed.xml")->{code}, 200, 'the edited device fetches again');
my $out;
for (1 .. 80) {
    ($out) = pages('in_sync=false', 1000);
    last if $out && !@$out;
    Time::HiRes::sleep(0.25);
}
is_deeply($out, [], 'in_sync=false: none after the next flush');

# an import changes records as an edit does: a bulk import (POST
# /devices:import) and, into a database, `gsprov import`; the database
# store keeps in_sync in the status row, which every record write sets
my @imp = @picked[5, 6];
my %changed = map { $_ => 1 } @imp;
my $nd = '';
for my $m (@imp) {
    $dev{$m}{vars}{floor} = 98;
    $nd .= $JSON->encode({ mac => $m, model => $dev{$m}{model}, groups => $dev{$m}{groups},
                           vars => { map { $_ => '' . $dev{$m}{vars}{$_} } keys %{ $dev{$m}{vars} } } }) . "\n";
}
$r = http_req(vhost => 'tenant_list', method => 'POST', path => '/admin-secrets/devices:import',
              body => $nd, headers => ['Content-Type' => 'application/x-ndjson']);
is($r->{code}, 200, 'bulk import of 2 changed records: 200') or diag($r->{body});
like($r->{body}, qr/"replaced":\s*2\b/, '... both replaced') or diag($r->{body});
if ($STORE ne 'file') {
    my $m = $picked[7];
    (my $x = $xml{$m}) =~ s{<var name="floor">\d+</var>}{<var name="floor">97</var>} or die;
    $dev{$m}{vars}{floor} = 97;
    $changed{$m} = 1;
    my $f = File::Spec->catfile(t_dir(), 'list-changed.jsonl');
    write_file($f, $JSON->encode({ mac => $m, record => $x }) . "\n");
    my $o = qx{"$ENV{GSPROV_TEST_CLI}" import --root "@{[store_dir('list')]}" --driver $STORE --params "$ENV{GSPROV_TEST_DBD_PARAMS}" --tenant list.test "$f" 2>&1};
    is($?, 0, "gsprov import of a changed record into $STORE") or diag($o);
    like($o, qr/\b1 lines, 0 created, 1 replaced\b/, '... replaced') or diag($o);
}
expect_set('in_sync=false', 1000, sub { $changed{$_[1]} }, 'in_sync=false: exactly the imported devices');
expect_set('in_sync=true', 1000, sub { $picked{$_[1]} && !$changed{$_[1]} }, 'in_sync=true: the others that asked');
expect_set('in_sync=false&model=' . $dev{$imp[0]}{model}, 1000,
           sub { $changed{$_[1]} && $_[0]{model} eq $dev{$imp[0]}{model} }, 'in_sync=false and model');
is(http_req(vhost => 'tenant_list', path => "/prov/cfg$_.xml")->{code}, 200, "imported device $_ fetches again")
    for sort keys %changed;
for (1 .. 80) {
    ($out) = pages('in_sync=false', 1000);
    last if $out && !@$out;
    Time::HiRes::sleep(0.25);
}
is_deeply($out, [], 'in_sync=false: none after the next flush');
expect_set('in_sync=true', 1000, sub { $picked{$_[1]} }, 'in_sync=true: all that asked again');

error_log_check();
done_testing();
