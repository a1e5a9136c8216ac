# Whole-run log checks, after every other test file: no device password in
# any log, no crash or sanitizer report anywhere in the error_log, and every
# request that reached mod_gsprov logged a known gsprov-result.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

my @pw = all_passwords();
cmp_ok(scalar @pw, '>=', 2, 'fixture passwords found: ' . scalar @pw);

my @files = grep { -f } glob(logs_dir() . '/*');
ok(scalar(grep { m{/error_log$} } @files), 'error_log present');
ok(scalar(grep { m{/gsprov_log$} } @files), 'gsprov_log present');
my @hits;
for my $f (@files) {
    next if $f =~ /\.pid$/;
    my $c = slurp($f);
    for my $p (@pw) {
        # the password, and its XML-escaped spelling from the device record
        (my $x = $p) =~ s/&/&amp;/g;
        push @hits, "$f contains '$p'" if index($c, $p) >= 0 || index($c, $x) >= 0;
    }
}
ok(!@hits, 'no device password in any log (' . scalar(@files) . ' files)') or diag(join "\n", @hits);

my @fatal = grep { /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|exit signal|AH00052/ }
            error_log_since(0);
ok(!@fatal, 'no crashed child or sanitizer report in the whole error_log') or diag(join "\n", @fatal[0 .. ($#fatal < 20 ? $#fatal : 19)]);

my (%results, @badnote);
open my $fh, '<', logs_dir() . '/gsprov_log' or die;
while (my $l = <$fh>) {
    my @f = split / /, $l;
    next unless @f >= 5;
    my $res = $f[4];
    $results{$res}++;
    push @badnote, $l if $res ne '-' && $res !~ /^(?:ok|not-found|bad-name|forbidden|error)$/;
    push @badnote, $l if $f[3] ne '-' && $f[3] !~ /^(?:device-xml|device-bin|model-xml|generic-xml)$/;
    push @badnote, $l if $f[2] ne '-' && $f[2] !~ /^[0-9a-f]{12}$/;
}
ok(!@badnote, 'all logged gsprov notes have valid values') or diag(join '', @badnote);
ok($results{$_}, "some requests logged gsprov-result $_") for qw(ok not-found bad-name error);
# forbidden (GsProvUserAgent) only when t/84-useragent.t ran in this run
ok($results{forbidden}, 'some requests logged gsprov-result forbidden')
    if grep { /\bGSPROV0005\b/ } error_log_since(0);

# gsprov_ua_log (id status model fw file result): models are template names
my @badua;
if (open my $ua, '<', logs_dir() . '/gsprov_ua_log') {
    while (my $l = <$ua>) {
        my @f = split / /, $l;
        next unless @f == 6;
        push @badua, $l if $f[2] ne '-' && $f[2] !~ /^[a-z0-9]{1,32}$/;
    }
}
ok(!@badua, 'all logged gsprov-model notes are model names') or diag(join '', @badua);

error_log_check(expected_ids => []);
done_testing();
