# The status page for monitoring systems: ?prometheus (and Accept:
# text/plain; version=0.0.4) checked by promtool and line by line, ?auto
# parsed line by line, the counters moving by exactly the requests made,
# the histogram cumulative, and a per-vhost page showing its own tenant
# only. Tenants tenant_m1 and tenant_m2 are this file's alone.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp ();
use Time::HiRes ();
use GsProvTest;

error_log_mark();

my $PROM_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
my $PROM_ACCEPT = 'application/openmetrics-text;version=1.0.0,'
    . 'application/openmetrics-text;version=0.0.1;q=0.75,'
    . 'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';   # what Prometheus sends

# (the suite runs from t/var/suite/t: the tree is four levels up)
my ($version) = slurp("$FindBin::Bin/../../../../lib/base/gsprov_version.h")
    =~ /^#define GSPROV_VERSION "([^"]+)"/m;
ok($version, "the version in gsprov_version.h ($version)");

# A GET (http_req joins a chunked body: the server page is long).
sub get {
    my ($vhost, $path, @h) = @_;
    return http_req(vhost => $vhost, path => $path, headers => \@h);
}

# The samples of an exposition page: "name{labels}" -> value, and the
# families (# TYPE) in order.
sub parse_prom {
    my ($body) = @_;
    my (%v, %type, @bad);
    for my $l (split /\n/, $body) {
        if ($l =~ /^# TYPE (\S+) (\S+)$/) { $type{$1} = $2; next }
        next if $l =~ /^# HELP \S+ ./;
        if ($l =~ /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/) {
            push @bad, "duplicate $1" if exists $v{$1};
            $v{$1} = $2;
            next;
        }
        push @bad, $l;
    }
    return (\%v, \%type, \@bad);
}

sub prom { my ($vhost, $path) = @_; return (parse_prom(get($vhost, $path || '/gsprov-status?prometheus')->{body}))[0] }

# promtool on the page: exit 0 and nothing said (no lint problems)
sub promtool_ok {
    my ($body, $name) = @_;
    my $tmp = File::Temp->new;
    print {$tmp} $body;
    close $tmp;
    my $out = `promtool check metrics < $tmp 2>&1`;
    my $rc = $? >> 8;
    is($rc, 0, "$name: promtool check metrics exits 0")
        or diag($out eq '' && $rc == 127
                ? 'promtool missing: bash tools/install-deps.sh' : $out);
    is($out, '', "$name: promtool reports nothing");
}

# The counter sample for tenant t (its label), or the histogram's.
sub req_key { sprintf 'mod_gsprov_requests_total{tenant="%s",kind="%s",result="%s"}', @_ }
sub t_key   { sprintf 'mod_gsprov_%s{tenant="%s"}', @_ }

# Wait until the page at vhost shows sample k at least want (requests are
# counted when they are logged, just after the answer was sent).
sub wait_for {
    my ($vhost, $k, $want) = @_;
    for (1 .. 100) {
        my $v = prom($vhost);
        return $v if defined $v->{$k} && $v->{$k} >= $want;
        select undef, undef, undef, 0.05;
    }
    return prom($vhost);
}

# ---------------------------------------------------------------------------
# the page, its headers, its families

my $r = get(tenant_m1 => '/gsprov-status?prometheus');
is($r->{code}, 200, '?prometheus: 200');
is($r->{header}->('Content-Type'), $PROM_TYPE, '?prometheus: the 0.0.4 content type');
is($r->{header}->('Cache-Control'), 'no-store', '?prometheus: no-store');
my ($v0, $types, $bad) = parse_prom($r->{body});
is_deeply($bad, [], '?prometheus: every line a comment or a sample, no duplicates');
promtool_ok($r->{body}, 'vhost page');

# the tenant label of each vhost, from its own page
my ($m1) = map { /tenant="([^"]+)"/ ? $1 : () } grep { /^mod_gsprov_cache_hits_total/ } keys %$v0;
ok(defined $m1, 'tenant_m1 has a tenant label');
my $v2 = prom('tenant_m2');
my ($m2) = map { /tenant="([^"]+)"/ ? $1 : () } grep { /^mod_gsprov_cache_hits_total/ } keys %$v2;
ok(defined $m2 && $m2 ne $m1, 'tenant_m2 has a tenant label of its own');
like($m1, qr/:\d+$/, 'the tenant label is name:port');

my %want_type = (
    build_info => 'gauge', start_time_seconds => 'gauge', uptime_seconds => 'gauge',
    requests_total => 'counter', cache_hits_total => 'counter',
    cache_near_hits_total => 'counter', cache_misses_total => 'counter',
    cache_errors_total => 'counter', cache_rejected_total => 'counter',
    cache_stores_total => 'counter', cache_store_errors_total => 'counter',
    database_queries_total => 'counter', database_errors_total => 'counter',
    database_unavailable_total => 'counter', render_seconds => 'histogram',
    device_status_recorded_total => 'counter', device_status_dropped_total => 'counter',
    device_status_written_total => 'counter', device_status_failed_total => 'counter',
    templates_info => 'gauge',
    # tenant_m1 records the device status: the devices it has seen
    devices_seen_last_hour => 'gauge', devices_seen_last_day => 'gauge',
);
is_deeply({ map { ("mod_gsprov_$_" => $want_type{$_}) } keys %want_type }, $types,
          'the families and their types');
like($r->{body}, qr/^# HELP mod_gsprov_requests_total \S.*\n# TYPE mod_gsprov_requests_total counter$/m,
     'HELP before TYPE');
is($v0->{"mod_gsprov_build_info{version=\"$version\"}"}, 1, 'build_info carries the version');
my $now = time;
ok($v0->{mod_gsprov_start_time_seconds} <= $now && $v0->{mod_gsprov_start_time_seconds} > $now - 86400,
   'start_time_seconds: a time in the last day');
ok(abs($now - $v0->{mod_gsprov_start_time_seconds} - $v0->{mod_gsprov_uptime_seconds}) <= 2,
   'uptime_seconds: now minus start_time_seconds');
my @info = grep { /^mod_gsprov_templates_info\{/ } keys %$v0;
is(scalar @info, 1, 'one templates_info line on a vhost page');
like($info[0], qr/^mod_gsprov_templates_info\{tenant="\Q$m1\E",version="[0-9a-f]{64}"\}$/,
     'templates_info: tenant and SHA-256 version labels');
is($v0->{$info[0]}, 1, 'templates_info is 1');
my ($ver_m1) = $info[0] =~ /version="([0-9a-f]+)"/;
my ($ver_m2) = map { /version="([0-9a-f]+)"/ ? $1 : () } grep { /^mod_gsprov_templates_info/ } keys %$v2;
ok($ver_m2 && $ver_m1 ne $ver_m2, 'another store, another templates version');

# per vhost (GsProvStatusScope vhost): its tenant only
is_deeply([ grep { /tenant="/ && !/tenant="\Q$m1\E"/ } keys %$v0 ], [],
          'tenant_m1 page: no other tenant label');
is_deeply([ grep { /tenant="/ && !/tenant="\Q$m2\E"/ } keys %$v2 ], [],
          'tenant_m2 page: no other tenant label');
is_deeply([ grep { /devices_seen/ } keys %$v2 ], [],
          'tenant_m2 (GsProvDeviceStatus off): no devices-seen gauges');

# ---------------------------------------------------------------------------
# counting: exactly the requests made

my $ok_k   = req_key($m1, 'device-xml', 'ok');
my $nf_k   = req_key($m1, 'device-xml', 'not-found');
my $gen_k  = req_key($m1, 'generic-xml', 'ok');
my $cnt_k  = "mod_gsprov_render_seconds_count{tenant=\"$m1\"}";
my $b_ok_k = req_key($m2, 'device-xml', 'ok');
my $b_cnt  = "mod_gsprov_render_seconds_count{tenant=\"$m2\"}";
my $before = prom('tenant_m1');
my $before2 = prom('tenant_m2');

for (1 .. 4) {
    is(get(tenant_m1 => '/prov/cfg000b82bb0001.xml')->{code}, 200, "tenant_m1 device file $_: 200");
}
is(get(tenant_m1 => '/prov/cfg000b82c0ffee.xml')->{code}, 200, 'tenant_m1 another device: 200');
is(get(tenant_m1 => '/prov/cfg.xml')->{code}, 200, 'tenant_m1 generic file: 200');
for (1 .. 2) {
    is(get(tenant_m1 => '/prov/cfg000b82999999.xml')->{code}, 404, "tenant_m1 unknown device $_: 404");
}
for (1 .. 3) {
    is(get(tenant_m2 => '/prov/cfg000b82c0ffee.xml')->{code}, 200, "tenant_m2 device file $_: 200");
}

my $after = wait_for('tenant_m1', $nf_k, $before->{$nf_k} + 2);
$after = wait_for('tenant_m1', $ok_k, $before->{$ok_k} + 5);
$after = wait_for('tenant_m1', $gen_k, $before->{$gen_k} + 1);
is($after->{$ok_k} - $before->{$ok_k}, 5, 'device-xml ok: up by exactly 5');
is($after->{$nf_k} - $before->{$nf_k}, 2, 'device-xml not-found: up by exactly 2');
is($after->{$gen_k} - $before->{$gen_k}, 1, 'generic-xml ok: up by exactly 1');
is($after->{$cnt_k} - $before->{$cnt_k}, 6, 'render_seconds_count: up by the 6 files rendered');
is($after->{"mod_gsprov_cache_misses_total{tenant=\"$m1\"}"}, 0, 'no cache here: no misses');

# the histogram: cumulative, +Inf equals _count, _sum positive
{
    my @b = map { [ $_->[0], $after->{$_->[1]} ] }
            sort { $a->[0] <=> $b->[0] }
            map { /le="([^"]+)"/; [ $1 eq '+Inf' ? 9**9**9 : $1, $_ ] }
            grep { /^mod_gsprov_render_seconds_bucket\{tenant="\Q$m1\E",/ } keys %$after;
    is(scalar @b, 11, 'render_seconds: 10 bounds and +Inf');
    is($b[0][0], 0.0001, 'render_seconds: the first bound is 0.0001 s');
    is($b[-2][0], 0.1, 'render_seconds: the last bound is 0.1 s');
    my $mono = 1;
    $mono &&= $b[$_][1] >= $b[$_ - 1][1] for 1 .. $#b;
    ok($mono, 'render_seconds: buckets cumulative');
    is($b[-1][1], $after->{$cnt_k}, 'render_seconds: +Inf bucket equals _count');
    ok($after->{"mod_gsprov_render_seconds_sum{tenant=\"$m1\"}"} > 0, 'render_seconds_sum positive');
}

# the other tenant counted apart, and not in tenant_m1's numbers
my $after2 = wait_for('tenant_m2', $b_ok_k, $before2->{$b_ok_k} + 3);
is($after2->{$b_ok_k} - $before2->{$b_ok_k}, 3, 'tenant_m2 device-xml ok: up by exactly 3');
is($after2->{$b_cnt} - $before2->{$b_cnt}, 3, 'tenant_m2 render count: up by exactly 3');
is($after2->{req_key($m2, 'device-xml', 'not-found')}, $before2->{req_key($m2, 'device-xml', 'not-found')},
   "tenant_m2 not-found: tenant_m1's 404s are not in it");
is(prom('tenant_m1')->{$ok_k}, $after->{$ok_k}, "tenant_m1 ok: tenant_m2's requests are not in it");

# the server's page: both tenants, each with its own numbers
{
    my $all = get(tenant_m1 => '/status-all?prometheus');
    is($all->{code}, 200, 'server scope ?prometheus: 200');
    # kept for a look after a run (t/var/suite/t/logs/)
    write_file(File::Spec->catfile(logs_dir(), 'metrics-server.prom'), $all->{body});
    my ($va, undef, $bad_all) = parse_prom($all->{body});
    is_deeply($bad_all, [], 'server scope: every line a comment or a unique sample');
    promtool_ok($all->{body}, 'server page');
    is($va->{$ok_k}, $after->{$ok_k}, 'server scope: tenant_m1 as on its own page');
    is($va->{$b_ok_k}, $after2->{$b_ok_k}, 'server scope: tenant_m2 as on its own page');
    my %tenants = map { /tenant="([^"]*)"/ ? ($1 => 1) : () } keys %$va;
    ok(keys %tenants > 2, 'server scope: every vhost');
    is(scalar(grep { /^mod_gsprov_build_info/ } keys %$va), 1, 'server scope: build_info once');
}

# ---------------------------------------------------------------------------
# negotiation

{
    my $n = get(tenant_m1 => '/gsprov-status', Accept => 'text/plain; version=0.0.4');
    is($n->{header}->('Content-Type'), $PROM_TYPE, 'Accept text/plain; version=0.0.4: exposition format');
    like($n->{body}, qr/\A# HELP mod_gsprov_build_info /, 'Accept 0.0.4: the exposition body');
    like($n->{header}->('Vary') || '', qr/\bAccept\b/, 'negotiated: Vary: Accept');
    promtool_ok($n->{body}, 'negotiated page');

    $n = get(tenant_m1 => '/gsprov-status', Accept => $PROM_ACCEPT);
    is($n->{header}->('Content-Type'), $PROM_TYPE, "Prometheus' own Accept: exposition format");

    for my $acc ('text/plain', 'text/plain; version=0.0.5', 'application/json', '*/*',
                 'text/plain; version=0.0.4; q=0', 'application/openmetrics-text; version=1.0.0') {
        $n = get(tenant_m1 => '/gsprov-status', Accept => $acc);
        is($n->{header}->('Content-Type'), 'text/plain; charset=utf-8', "Accept $acc: the text page");
        like($n->{body}, qr/\AVersion: mod_gsprov\/\Q$version\E\n/, "Accept $acc: text body");
    }
    $n = get(tenant_m1 => '/gsprov-status');
    like($n->{body}, qr/\AVersion: mod_gsprov\//, 'no Accept: the text page');

    $n = get(tenant_m1 => '/gsprov-status?json', Accept => 'text/plain; version=0.0.4');
    is($n->{header}->('Content-Type'), 'application/json', '?json beats Accept');
    like($n->{body}, qr/\A\{/, '?json: JSON');
    ok(!defined $n->{header}->('Vary'), '?json: no Vary (nothing negotiated)');
    $n = get(tenant_m1 => '/gsprov-status?format=prometheus');
    is($n->{header}->('Content-Type'), $PROM_TYPE, '?format=prometheus');

    $n = http_req(vhost => 'tenant_m1', method => 'HEAD', path => '/gsprov-status?prometheus');
    is($n->{code}, 200, 'HEAD ?prometheus: 200');
    is($n->{header}->('Content-Type'), $PROM_TYPE, 'HEAD ?prometheus: its content type');
    is($n->{body}, '', 'HEAD: no body');
    is(http_req(vhost => 'tenant_m1', method => 'POST', path => '/gsprov-status?prometheus',
                body => 'x')->{code}, 405, 'POST ?prometheus: 405');
}

# ---------------------------------------------------------------------------
# devices seen: tenant_m1 flushes its device status every second, and the
# gauges are recounted at most every 10 s per tenant

{
    my $hk = "mod_gsprov_devices_seen_last_hour{tenant=\"$m1\"}";
    my $dk = "mod_gsprov_devices_seen_last_day{tenant=\"$m1\"}";
    my ($v, $before_last);
    for (1 .. 300) {    # a flush and a recount: 12 s at most, 30 s allowed
        $before_last = Time::HiRes::time();
        $v = prom('tenant_m1');
        last if ($v->{$hk} // -1) == 2;
        Time::HiRes::sleep(0.1);
    }
    is($v->{$hk}, 2, 'devices_seen_last_hour: the 2 devices served, not the unknown MAC');
    is($v->{$dk}, 2, 'devices_seen_last_day: the same 2');
    ok(-f store_file('metrics', 'status/000b82bb0001.json'), 'the status file the count is made from');

    # a third device: not counted before the interval is over
    is(get(tenant_m1 => '/prov/v2p_cfg000b82bb0002_v2.xml')->{code}, 200, 'a third device: 200');
    my $f = store_file('metrics', 'status/000b82bb0002.json');
    for (1 .. 100) { last if -f $f; Time::HiRes::sleep(0.1) }
    ok(-f $f, 'the third device flushed to the store');
    my $v3 = prom('tenant_m1');
    SKIP: {
        # the recount that showed 2 came after $before_last
        skip 'too slow here to be within the 10 s interval', 1
            if Time::HiRes::time() - $before_last >= 9;
        is($v3->{$hk}, 2, 'within 10 s of the recount: the last counts, not a new count');
    }
    for (1 .. 200) {
        last if ($v3->{$hk} // -1) == 3;
        Time::HiRes::sleep(0.1);
        $v3 = prom('tenant_m1');
    }
    is($v3->{$hk}, 3, 'after the interval: recounted, 3 devices');
    is($v3->{$dk}, 3, 'devices_seen_last_day: 3');
    my $va = prom('tenant_m1', '/status-all?prometheus');
    is($va->{$hk}, 3, 'the server page: the same count');
    is_deeply([ grep { /devices_seen/ && /tenant="\Q$m2\E"/ } keys %$va ], [],
              'the server page: none for tenant_m2, which records nothing');
}

# GsProvStore dbd (GSPROV_TEST_STORE=pgsql|sqlite3: tenant_admin's records
# in a database): its devices seen are counted by the database, with the
# vhost's own tenant, on the server page of another vhost
if (($ENV{GSPROV_TEST_STORE} || 'file') ne 'file') {
    my $port = Apache::Test::vars('tenant_admin_port');
    my $hk = "mod_gsprov_devices_seen_last_hour{tenant=\"localhost:$port\"}";
    my $qk = "mod_gsprov_database_queries_total{tenant=\"localhost:$port\"}";
    my $q0 = prom('tenant_m1', '/status-all?prometheus')->{$qk};
    is(get(tenant_admin => '/prov/cfg000b82aa0001.xml')->{code}, 200, 'dbd tenant: its device served');
    my $v;
    for (1 .. 300) {    # its flush (10 s) and a recount (10 s)
        $v = prom('tenant_m1', '/status-all?prometheus');
        last if ($v->{$hk} // 0) >= 1;
        Time::HiRes::sleep(0.1);
    }
    ok(($v->{$hk} // 0) >= 1, 'dbd tenant: devices_seen_last_hour counts its device')
        or diag("got " . ($v->{$hk} // 'nothing'));
    ok($v->{$qk} > $q0, 'dbd tenant: its database statements counted');
}

# ---------------------------------------------------------------------------
# ?auto

my @AUTO_KEYS = qw(Tenants StartTime UptimeSeconds Requests
    RequestsDeviceXml RequestsDeviceBin RequestsModelXml RequestsGenericXml
    RequestsFirmware RequestsOther
    AnsweredOk AnsweredNotFound AnsweredDenied AnsweredError AnsweredOther
    CacheHits CacheNearHits CacheMisses CacheErrors CacheRejected CacheStores
    CacheStoreErrors DatabaseQueries DatabaseErrors DatabaseUnavailable
    DeviceStatusRecorded DeviceStatusDropped DeviceStatusWritten
    DeviceStatusFailed
    Renders RenderUsecTotal RenderMeanUsec RenderP50Usec RenderP90Usec
    RenderP99Usec);
my @SEEN_KEYS = qw(DevicesSeenLastHour DevicesSeenLastDay);

sub auto {
    my ($vhost, $path) = @_;
    my $a = get($vhost, $path || '/gsprov-status?auto');
    my (@keys, %v, @bad);
    for my $l (split /\n/, $a->{body}, -1) {
        next if $l eq '';
        if ($l =~ /^([A-Za-z0-9]+): (-?\d+)$/) {
            push @bad, "duplicate $1" if exists $v{$1};
            push @keys, $1;
            $v{$1} = $2;
        }
        else {
            push @bad, $l;
        }
    }
    return ($a, \@keys, \%v, \@bad);
}

{
    my ($a, $keys, $av, $bad_a) = auto('tenant_m1');
    is($a->{code}, 200, '?auto: 200');
    is($a->{header}->('Content-Type'), 'text/plain; charset=utf-8', '?auto: text/plain');
    like($a->{body}, qr/\n\z/, '?auto: ends with a line feed');
    is_deeply($bad_a, [], '?auto: every line "Key: number"');
    is_deeply($keys, [ @AUTO_KEYS, @SEEN_KEYS ], '?auto: the documented keys, in order');
    is($av->{Tenants}, 1, '?auto: one tenant on a vhost page');
    my $p = prom('tenant_m1');
    is($av->{RequestsDeviceXml},
       (sum(map { $p->{req_key($m1, 'device-xml', $_)} } qw(ok not-found denied error other))),
       '?auto: RequestsDeviceXml is the exposition format\'s sum');
    is($av->{Renders}, $p->{$cnt_k}, '?auto: Renders equals render_seconds_count');
    is($av->{StartTime}, $p->{mod_gsprov_start_time_seconds}, '?auto: StartTime');
    is($av->{AnsweredNotFound}, $p->{$nf_k}, '?auto: AnsweredNotFound (only device-xml 404s here)');

    # one more request moves Requests and AnsweredOk by exactly one
    is(get(tenant_m1 => '/prov/cfg000b82bb0001.xml')->{code}, 200, 'one more device file: 200');
    wait_for('tenant_m1', $ok_k, $p->{$ok_k} + 1);
    my (undef, undef, $av2) = auto('tenant_m1');
    is($av2->{Requests} - $av->{Requests}, 1, '?auto: Requests up by exactly 1');
    is($av2->{AnsweredOk} - $av->{AnsweredOk}, 1, '?auto: AnsweredOk up by exactly 1');
    is($av2->{Renders} - $av->{Renders}, 1, '?auto: Renders up by exactly 1');

    my (undef, undef, $all) = auto('tenant_m1', '/status-all?auto');
    ok($all->{Tenants} > 2, '?auto, server scope: every vhost');
    ok($all->{Requests} >= $av2->{Requests}, '?auto, server scope: at least this tenant\'s requests');
    my (undef, $bkeys, $b) = auto('tenant_m2', '/gsprov-status?format=auto');
    is_deeply($bkeys, \@AUTO_KEYS, '?auto of tenant_m2: no devices seen (not recorded there)');
    is($b->{Requests}, sum(map { $_ =~ /^mod_gsprov_requests_total\{tenant="\Q$m2\E"/ ? $after2->{$_} : 0 } keys %$after2),
       '?format=auto of tenant_m2: its own requests only');
}

sub sum { my $s = 0; $s += $_ for @_; return $s }

# ---------------------------------------------------------------------------
# README's Monitoring section names every family and every ?auto key

{
    my $readme = slurp("$FindBin::Bin/../../../../README.md");
    my ($mon) = $readme =~ /^### Monitoring\n(.*?)^## /ms;
    ok($mon, 'README has a Monitoring section');
    my %doc = map { $_ => 1 } $mon =~ /^\| `(mod_gsprov_[a-z_]+)` \|/mg;
    my %fam = map { /^# TYPE (\S+)/ ? ($1 => 1) : () }
              split /\n/, get(tenant_m1 => '/status-all?prometheus')->{body};
    is_deeply([ sort grep { !$doc{$_} } keys %fam ], [], 'every family on the page is in README\'s table');
    my %autodoc = map { $_ => 1 } map { /`([A-Za-z0-9]+)`/g } $mon =~ /^\| (`[A-Z][^|]*) \|/mg;
    is_deeply([ grep { !$autodoc{$_} } @AUTO_KEYS, @SEEN_KEYS ], [], 'every ?auto key is in README\'s table');
}

error_log_check(expected_ids => []);
done_testing();
