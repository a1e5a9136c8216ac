# Staged firmware rollout : a device gets firmware.next when
#   bucket(mac) = (first 4 bytes of SHA-256("<mac>:<firmware.next>"),
#                  big-endian, mod 10000) / 100  <  firmware.next.percent.
# 2,000 device records in group "rollout" (25%, next 1.0.5.2) and 400 in
# "rollout-dec" (37.5%, next 1.0.5.3) are written into the store; every
# MAC's answer is checked against the bucket computed here, over three
# passes: by MAC path segment, by User-Agent DevId, and by upper-case MAC
# segment after a server restart. Plus the proportion (25% +- 2.5%) and the
# bucket boundaries (24.99 -> next, 25.00 -> not).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Digest::SHA qw(sha256);
use File::Spec ();
use Time::HiRes ();
use GsProvTest;
use GsProvFw;

error_log_mark();

my $GXP = 'gxp2170fw.bin';
my %IMG = map { $_ => fw_bytes($_, $GXP) } qw(1.0.5.1 1.0.5.2 1.0.5.3);
my %BY_BYTES = reverse %IMG;

# --- independent check of the bucket formula on a hand-computed example ---
{
    my $h = Digest::SHA::sha256_hex('000b82123456:1.0.5.2');
    my $n = hex(substr $h, 0, 8);
    is(fw_bucket('000b82123456', '1.0.5.2'), $n % 10000, "bucket helper: first 4 bytes big-endian ($h)");
}

# --- MACs: deterministic, spread over the whole space, two OUIs -----------
my (@macs, %seen);
for (my $i = 0; @macs < 2000; $i++) {
    my $oui = $i % 2 ? 'c074ad' : '000b82';
    my $m = $oui . substr(Digest::SHA::sha256_hex("rollout-$i"), 0, 6);
    next if $seen{$m}++ || $m =~ /^000b82f/;    # keep clear of 90-firmware.t's records
    push @macs, $m;
}
# boundary MACs: bucket 24.99 (2499) takes next at 25%, 25.00 (2500) does not
my %boundary;
for (my $i = 0; keys(%boundary) < 2; $i++) {
    my $m = sprintf 'c074ae%06x', $i;
    my $b = fw_bucket($m, '1.0.5.2');
    $boundary{$b} //= $m if $b == 2499 || $b == 2500;
    die 'no boundary MAC found' if $i > 0xffffff;
}
splice @macs, 0, 2, $boundary{2499}, $boundary{2500};
is(scalar(keys %{ { map { $_ => 1 } @macs } }), 2000, '2,000 distinct MACs');

my (@dec, %seen2);
for (my $i = 0; @dec < 400; $i++) {
    my $m = 'c074af' . substr(Digest::SHA::sha256_hex("rollout-dec-$i"), 0, 6);
    push @dec, $m unless $seen2{$m}++;
}
my %bdec;
for (my $i = 0; keys(%bdec) < 2; $i++) {
    my $m = sprintf 'c074b0%06x', $i;
    my $b = fw_bucket($m, '1.0.5.3');
    $bdec{$b} //= $m if $b == 3749 || $b == 3750;
}
splice @dec, 0, 2, $bdec{3749}, $bdec{3750};

# --- expected answers, computed here ------------------------------------
my (%want, %NEXT);
$NEXT{$_} = '1.0.5.2' for @macs;
$NEXT{$_} = '1.0.5.3' for @dec;
$want{$_} = fw_takes_next($_, '1.0.5.2', 25)   ? '1.0.5.2' : '1.0.5.1' for @macs;
$want{$_} = fw_takes_next($_, '1.0.5.3', 37.5) ? '1.0.5.3' : '1.0.5.1' for @dec;
is($want{ $boundary{2499} }, '1.0.5.2', 'bucket 24.99 < 25: next (computed)');
is($want{ $boundary{2500} }, '1.0.5.1', 'bucket 25.00 = 25: not next (computed)');
my $nnext = grep { $want{$_} eq '1.0.5.2' } @macs;
diag(sprintf 'computed: %d of %d MACs (%.2f%%) take 1.0.5.2', $nnext, scalar @macs, 100 * $nnext / @macs);
# (the fixture MACs are fixed, so this only guards the fixture itself)
cmp_ok(abs($nnext / @macs * 100 - 25), '<=', 2.5, 'computed share within 25% +- 2.5%');

# --- device records ---------------------------------------------------------
my $dev = File::Spec->catdir(store_dir('fw'), 'devices');
for my $m (@macs) {
    write_file("$dev/$m.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device>\n"
        . "  <model>gxp2170</model>\n  <group>rollout</group>\n</device>\n");
}
for my $m (@dec) {
    write_file("$dev/$m.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device>\n"
        . "  <model>gxp2170</model>\n  <group>pin-a</group>\n  <group>rollout-dec</group>\n</device>\n");
}

# --- one pass over every MAC ---------------------------------------------------
# how: 'path' (/fw/<mac>/file), 'ua' (/fw/file + User-Agent DevId),
#      'PATH' (upper-case MAC segment)
sub run_pass {
    my ($how, $label) = @_;
    my (%got, %ids, @bad);
    for my $m (@macs, @dec) {
        my $r = $how eq 'ua'
            ? fw_req(path => "/fw/$GXP",
                     headers => [ 'User-Agent' => "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId $m" ])
            : fw_req(path => '/fw/' . ($how eq 'PATH' ? uc $m : $m) . "/$GXP");
        my $v = $r->{code} == 200 ? $BY_BYTES{ $r->{body} } : undef;
        $got{$m} = defined $v ? $v : "HTTP $r->{code} " . fw_first_line($r->{body});
        $ids{$m} = $r->{id};
        push @bad, "$m: got $got{$m}, want $want{$m} (bucket "
                   . sprintf('%.2f', fw_bucket($m, $NEXT{$m}) / 100) . " for $NEXT{$m})"
            if $got{$m} ne $want{$m};
    }
    is(scalar @bad, 0, "$label: every MAC gets exactly the computed version ("
       . (@macs + @dec) . ' devices)')
        or diag(join "\n", (@bad > 15 ? (@bad[0 .. 14], '... ' . (@bad - 15) . ' more') : @bad));
    # the notes of every request, read once
    my $notes = fw_notes_all();
    my @nbad;
    for my $m (@macs, @dec) {
        my $n = $notes->{ $ids{$m} };
        my $want_how = $how eq 'ua' ? 'ua' : 'path';
        push @nbad, "$m: " . ($n ? "mac=" . ($n->{mac} // '-') . " version=" . ($n->{version} // '-')
                                   . " id=" . ($n->{how} // '-') . " result=" . ($n->{result} // '-')
                                 : 'no log line')
            unless $n && ($n->{mac} // '') eq $m && ($n->{version} // '') eq $want{$m}
                   && ($n->{how} // '') eq $want_how && ($n->{result} // '') eq 'ok'
                   && ($n->{fwfile} // '') eq $GXP && ($n->{file} // '') eq 'firmware';
    }
    is(scalar @nbad, 0, "$label: notes gsprov-mac/-fw-version/-fw-file/-id/-result for every request")
        or diag(join "\n", (@nbad > 15 ? (@nbad[0 .. 14], '... ' . (@nbad - 15) . ' more') : @nbad));
    return \%got;
}

my $t0 = Time::HiRes::time();
my $p1 = run_pass('path', 'pass 1 (MAC path segment)');
my $n1 = grep { $p1->{$_} eq '1.0.5.2' } @macs;
my $share = 100 * $n1 / @macs;
cmp_ok(abs($share - 25), '<=', 2.5, sprintf('served share of 1.0.5.2: %.2f%% (25%% +- 2.5%%)', $share));
my $n3 = grep { $p1->{$_} eq '1.0.5.3' } @dec;
cmp_ok(abs(100 * $n3 / @dec - 37.5), '<=', 6,
       sprintf('37.5%% group: %.2f%% got 1.0.5.3 (400 devices, +- 6%%)', 100 * $n3 / @dec));
is($p1->{ $boundary{2499} }, '1.0.5.2', 'bucket 24.99: next');
is($p1->{ $boundary{2500} }, '1.0.5.1', 'bucket 25.00: not next');
is($p1->{ $bdec{3749} }, '1.0.5.3', 'bucket 37.49 at 37.5%: next');
is($p1->{ $bdec{3750} }, '1.0.5.1', 'bucket 37.50 at 37.5%: not next');
diag(sprintf 'pass 1: %d requests in %.1f s', @macs + @dec, Time::HiRes::time() - $t0);

my $p2 = run_pass('ua', 'pass 2 (User-Agent DevId)');
is(scalar(grep { $p1->{$_} ne $p2->{$_} } @macs, @dec), 0, 'pass 2: same answer as pass 1 for every MAC');

# --- restart the server, then once more --------------------------------------
{
    my $pidfile = File::Spec->catfile(logs_dir(), 'httpd.pid');
    my $pid = do { open my $fh, '<', $pidfile or die "$pidfile: $!"; local $/; <$fh> };
    chomp $pid;
    my $mark = error_log_pos();
    ok(kill('HUP', $pid), "restart: SIGHUP to httpd $pid");
    my $up = 0;
    for (1 .. 300) {
        Time::HiRes::sleep(0.1);
        next unless grep { /AH00489|resuming normal operations/ } error_log_since($mark);
        my $r = eval { fw_req(path => "/fw/$macs[0]/$GXP") };
        if ($r && $r->{code} == 200) { $up = 1; last }
    }
    ok($up, 'restart: the server is back (resuming normal operations)');
}
my $p3 = run_pass('PATH', 'pass 3 (after a restart, upper-case MAC segment)');
is(scalar(grep { $p1->{$_} ne $p3->{$_} } @macs, @dec), 0, 'pass 3: same answer as pass 1 for every MAC');

# --- the bucket depends on firmware.next: a new next version reshuffles ------
# (same group, next 1.0.5.3 instead of 1.0.5.2, for the first 200 MACs)
{
    my $g = File::Spec->catfile(store_dir('fw'), 'groups', 'rollout.xml');
    my $orig = slurp($g);
    (my $new = $orig) =~ s{<var name="firmware.next">1.0.5.2</var>}{<var name="firmware.next">1.0.5.3</var>}
        or die 'rollout.xml: no firmware.next';
    write_file($g, $new);
    # templates are reloaded within GsProvReloadInterval (default 5 s)
    my $deadline = Time::HiRes::time() + 15;
    my @sample = @macs[0 .. 199];
    my %w = map { $_ => (fw_takes_next($_, '1.0.5.3', 25) ? '1.0.5.3' : '1.0.5.1') } @sample;
    my @bad;
    while (1) {
        @bad = ();
        for my $m (@sample) {
            my $r = fw_req(path => "/fw/$m/$GXP");
            my $v = $r->{code} == 200 ? ($BY_BYTES{ $r->{body} } // '?') : "HTTP $r->{code}";
            push @bad, "$m: got $v, want $w{$m}" if $v ne $w{$m};
        }
        last if !@bad || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(1);
    }
    is(scalar @bad, 0, 'firmware.next changed to 1.0.5.3: every MAC re-bucketed on "<mac>:1.0.5.3"')
        or diag(join "\n", @bad[0 .. ($#bad < 14 ? $#bad : 14)]);
    my $moved = grep { fw_takes_next($_, '1.0.5.2', 25) != fw_takes_next($_, '1.0.5.3', 25) } @sample;
    cmp_ok($moved, '>', 0, "... ($moved of 200 MACs changed side: the bucket hashes the next version)");
    write_file($g, $orig);
}

error_log_check(expected_ids => []);
done_testing();
