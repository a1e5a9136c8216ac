# Parallel requests while the templates change underneath (tenant_stress,
# GsProvReloadInterval 0: every request checks the store). Every answer must
# be complete and exactly one of the versions written; broken versions in
# between keep the last good one serving. Under the ASan build this is the
# test that exercises snapshot swapping and reference counting.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Time::HiRes ();
use POSIX ();
use GsProvTest;

error_log_mark();

my $CLIENTS  = 6;
my $VERSIONS = 12;
my $STEP     = 0.25;      # seconds between rewrites
my $H = qq{<?xml version="1.0" encoding="UTF-8"?>\n};

my $defaults = store_file(stress => 'defaults.xml');
sub layer { $H . qq{<gs_provision version="1">\n  <config version="1">\n    <P2>$_[0]</P2>\n  </config>\n</gs_provision>\n} }

# every version that may legitimately be served
my (%generic, %device, %enc_len);
for my $v (0 .. $VERSIONS) {
    my $p2 = sprintf 's-%02d', $v;
    $generic{ gs_xml(params => [[P2 => $p2]]) } = $p2;
    $device{ gs_xml(mac => '000b82ff0001', params => [[P2 => $p2], [P1362 => 'gxp2170'], [P3 => 'plain']]) } = $p2;
    $enc_len{ encrypted_length(length gs_xml(mac => '000b82ff0002',
        params => [[P2 => $p2], [P1362 => 'gxp2170'], [P3 => 'secret']])) } = 1;
}

pipe my $rd, my $wr or die "pipe: $!";
my $deadline = Time::HiRes::time() + $VERSIONS * $STEP + 1;
my @pids;
for my $c (1 .. $CLIENTS) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        close $rd;
        my ($n, @bad) = (0);
        while (Time::HiRes::time() < $deadline) {
            my $k = $n++ % 4;
            my $r = eval {
                $k == 0 ? http_req(vhost => 'tenant_stress', path => '/prov/cfg.xml')
              : $k == 1 ? http_req(vhost => 'tenant_stress', path => '/prov/cfg000b82ff0001.xml')
              : $k == 2 ? http_req(vhost => 'tenant_stress', path => '/prov/cfg000b82ff0002.xml')
              :           http_req(vhost => 'tenant_stress', path => '/prov/cfg000b82ff0001.xml', method => 'HEAD')
            };
            if (!$r) { push @bad, "request failed: $@"; next }
            my $ok = $r->{code} == 200 && (
                  $k == 0 ? exists $generic{ $r->{body} }
                : $k == 1 ? exists $device{ $r->{body} }
                : $k == 2 ? substr($r->{body}, 0, 8) eq 'Salted__' && $enc_len{ length $r->{body} }
                          && $r->{header}->('Content-Length') == length $r->{body}
                :           $r->{body} eq '');
            push @bad, "kind $k: $r->{code} " . substr($r->{body}, 0, 200) unless $ok;
        }
        print {$wr} "client $c: $n requests, " . scalar(@bad) . " bad\n";
        print {$wr} "  $_\n" for @bad[0 .. ($#bad < 4 ? $#bad : 4)];
        close $wr;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
close $wr;

# rewrite the templates while the clients run: valid versions, with a broken
# file (XML error) after every third one
my $broken = 0;
for my $v (1 .. $VERSIONS) {
    Time::HiRes::sleep($STEP);
    write_file($defaults, layer(sprintf 's-%02d', $v));
    if ($v % 3 == 0) {
        Time::HiRes::sleep($STEP / 2);
        write_file($defaults, $H . "<gs_provision version=\"1\"><config version=\"1\"><P2>broken $v</P2>\n");
        $broken++;
    }
}
write_file($defaults, layer(sprintf 's-%02d', $VERSIONS));

my $report = do { local $/; <$rd> };
waitpid $_, 0 for @pids;
my @lines = split /\n/, $report;
my @summ = grep { /^client/ } @lines;
is(scalar @summ, $CLIENTS, 'every client reported');
my ($total, $bad) = (0, 0);
for (@summ) { /(\d+) requests, (\d+) bad/ and do { $total += $1; $bad += $2 } }
cmp_ok($total, '>', 100, "clients made $total requests");
is($bad, 0, 'every answer was complete and one of the written versions') or diag($report);

# finally the last version is served
Time::HiRes::sleep(0.2);
is(http_req(vhost => 'tenant_stress', path => '/prov/cfg.xml')->{body},
   gs_xml(params => [[P2 => sprintf 's-%02d', $VERSIONS]]), 'last version served at the end');

# the broken versions were reported (each at most once; possibly not at all
# when a valid version replaced it before any request looked)
my $n0201 = grep { /\[[^:\]]+:error\]/ && /GSPROV0201/ } error_log_since();
cmp_ok($n0201, '<=', $broken, "GSPROV0201 logged at most once per broken version ($n0201 of $broken)");

error_log_check(expected_ids => ['GSPROV0201']);
done_testing();
