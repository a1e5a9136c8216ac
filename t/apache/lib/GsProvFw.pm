package GsProvFw;

# Helpers for the firmware tests (t/90-firmware.t, t/92-firmware-rollout.t).
#
#   fw_root() / fw_path($v, $f)   the copied firmware store (t/fixtures/fwroot)
#   fw_bytes($v, $f)              a fixture image's exact bytes
#   fw_req(...)                   http_req on the tenant_fw vhost
#   fw_note($res)                 the firmware notes of one request
#   fw_notes_all()                every line of gsprov_fw_log, by X-Test-Id
#   fw_bucket($mac, $next)        the rollout bucket, computed independently
#   fw_takes_next($mac, $next, $percent)
#   fw_served($label, $res, $version, $file, %notes)   assertions for a 200
#   fw_refused($label, $res, $result, %a)              assertions for a 404
#
# tenant_fw logs to gsprov_fw_log (t/apache/conf/extra.conf.in), fields:
#   id status mac file result fw-version fw-file id-how method uri

use strict;
use warnings;

use Exporter 'import';
use File::Spec ();
use Time::HiRes ();
use Digest::SHA qw(sha256);
use Test::More ();
use GsProvTest;

our @EXPORT = qw(
    fw_root fw_path fw_bytes fw_req fw_note fw_notes_all
    fw_bucket fw_takes_next fw_served fw_refused fw_first_line
);

sub fw_root  { File::Spec->catdir(t_dir(), 'fwroot') }
sub fw_path  { File::Spec->catfile(fw_root(), $_[0], split m{/}, $_[1]) }
sub fw_bytes { slurp(fw_path(@_)) }

# the fixture images start with "GSFW-FAKE version=V file=F\n": a readable
# name for a body in failure messages
sub fw_first_line {
    my ($b) = @_;
    return 'undef' unless defined $b;
    return '(empty body)' if $b eq '';
    my ($l) = $b =~ /\A([^\n]{0,80})/;
    $l = '' unless defined $l;
    $l =~ s/[^\x20-\x7e]/?/g;
    return "'$l' (" . length($b) . ' bytes)';
}

sub fw_req {
    my (%a) = @_;
    return http_req(vhost => 'tenant_fw', %a);
}

my $LOG = sub { File::Spec->catfile(logs_dir(), 'gsprov_fw_log') };
my @FIELDS = qw(id status mac file result version fwfile how method uri);

sub _parse {
    my ($l) = @_;
    chomp $l;
    my @f = split / /, $l;
    return undef unless @f >= 8;
    my %n;
    @n{@FIELDS} = @f;
    for (values %n) { $_ = undef if defined $_ && $_ eq '-' }
    return \%n;
}

# The notes of one request (waits up to 5 s for the log line).
sub fw_note {
    my ($res) = @_;
    my $id = ref $res ? $res->{id} : $res;
    my $deadline = Time::HiRes::time() + 5;
    while (1) {
        if (open my $fh, '<', $LOG->()) {
            while (my $l = <$fh>) {
                next unless index($l, "$id ") == 0;
                my $n = _parse($l);
                return $n if $n && $n->{id} eq $id;
            }
        }
        return undef if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

# All notes, keyed by X-Test-Id (for checks over thousands of requests).
sub fw_notes_all {
    my %all;
    open my $fh, '<', $LOG->() or return \%all;
    while (my $l = <$fh>) {
        my $n = _parse($l) or next;
        $all{$n->{id}} = $n if defined $n->{id};
    }
    return \%all;
}

# bucket = (first 4 bytes of SHA-256("<mac>:<next>"), big-endian, mod 10000)
# / 100, returned in hundredths (an integer 0..9999) to keep floats out.
sub fw_bucket {
    my ($mac, $next) = @_;
    return unpack('N', substr(sha256("$mac:$next"), 0, 4)) % 10000;
}

sub fw_takes_next {
    my ($mac, $next, $percent) = @_;
    # percent may be "37.5": compare in hundredths
    my $p100 = sprintf '%.0f', $percent * 100;
    return fw_bucket($mac, $next) < $p100 ? 1 : 0;
}

# A 200 carrying exactly fwroot/$version/$file, with the firmware notes.
# %n: mac => ..., how => 'path'|'ua'|'none' (mac undef for unknown devices)
sub fw_served {
    my ($label, $r, $version, $file, %n) = @_;
    my $want = fw_bytes($version, $file);
    my $ok = Test::More::is($r->{code}, 200, "$label: 200");
    if (!$ok) {
        Test::More::diag("body: " . fw_first_line($r->{body}));
        return 0;
    }
    Test::More::ok($r->{body} eq $want,
                   "$label: exactly the bytes of $version/$file")
        or Test::More::diag("got " . fw_first_line($r->{body})
                            . ", want " . fw_first_line($want));
    Test::More::is($r->{header}->('Content-Type'), 'application/octet-stream',
                   "$label: Content-Type");
    Test::More::is($r->{header}->('Content-Length'), length $want,
                   "$label: Content-Length");
    Test::More::ok(!defined $r->{header}->('Transfer-Encoding'), "$label: not chunked");
    Test::More::ok(defined $r->{header}->('ETag'), "$label: ETag");
    Test::More::ok(defined $r->{header}->('Last-Modified'), "$label: Last-Modified");
    my $note = fw_note($r);
    Test::More::is($note && $note->{result}, 'ok', "$label: note gsprov-result ok");
    Test::More::is($note && $note->{file}, 'firmware', "$label: note gsprov-file firmware");
    Test::More::is($note && $note->{version}, $version, "$label: note gsprov-fw-version $version");
    (my $basic = $file) =~ s{.*/}{};
    Test::More::is($note && $note->{fwfile}, $basic, "$label: note gsprov-fw-file $basic");
    if (exists $n{how}) {
        Test::More::is($note && $note->{how}, $n{how}, "$label: note gsprov-id $n{how}");
    }
    if (exists $n{mac}) {
        Test::More::is($note && $note->{mac}, $n{mac},
                       "$label: note gsprov-mac " . (defined $n{mac} ? $n{mac} : 'unset'));
    }
    return 1;
}

# A refusal: 404 (or $a{code}), no fixture image in the body, the note.
# $result: 'not-found' | 'bad-name' | 'error' | 'httpd' (httpd refused the
# URL itself: the module never ran, no note) | undef (don't check)
sub fw_refused {
    my ($label, $r, $result, %a) = @_;
    my $code = $a{code} || 404;
    Test::More::is($r->{code}, $code, "$label: $code")
        or Test::More::diag("body: " . fw_first_line($r->{body}));
    Test::More::unlike($r->{body}, qr/GSFW-FAKE|GSFW-SECRET/, "$label: no image bytes");
    return unless defined $result;
    my $note = fw_note($r);
    if ($result eq 'httpd') {
        Test::More::ok(!$note || !defined $note->{result},
                       "$label: refused by httpd, module not involved");
        return;
    }
    my $got = $note && $note->{result};
    Test::More::ok(defined $got && $got =~ /^(?:$result)$/, "$label: note gsprov-result $result")
        or Test::More::diag('got gsprov-result ' . (defined $got ? $got : 'none'));
    if ($note && defined $got && $got ne 'bad-name') {
        Test::More::is($note->{file}, 'firmware', "$label: note gsprov-file firmware");
    }
    if (exists $a{mac}) {
        Test::More::is($note && $note->{mac}, $a{mac},
                       "$label: note gsprov-mac " . (defined $a{mac} ? $a{mac} : 'unset'));
    }
    if (exists $a{how}) {
        Test::More::is($note && $note->{how}, $a{how}, "$label: note gsprov-id $a{how}");
    }
    return $note;
}

1;
