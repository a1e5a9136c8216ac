package GsProvTest;

# Shared helpers for the mod_gsprov Apache::Test suite.
#
#   http_req(...)           raw HTTP/1.1 request over a socket; exact bytes back
#   note_for($res)          the gsprov-* request notes logged for a request
#   error_log_mark()        remember where the error_log ends now
#   error_log_check(...)    one test assertion: no unexpected [warn]+ lines since
#                           the mark (lines carrying an expected GSPROV id are ok)
#   error_log_pos()         the current end of the error_log (a local mark)
#   error_log_since($mark)  the error_log lines written since $mark
#   gs_xml(...)             the exact body the module must render
#   openssl_decrypt(...)    decrypt with the openssl command line
#   gs_bin_decode($bytes)   an independent reader of the legacy binary file
#   pairs_str(\@pairs)      [name, value] pairs as "name=value" lines
#   httpd_configtest(...)   run "apache2 -t" on a small standalone config
#
# Requests are written by hand (IO::Socket) rather than through LWP so that
# hostile paths reach the server byte for byte and the response is seen
# exactly as sent (status line, every header, body bytes, chunking).

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET ();
use File::Temp ();
use File::Spec ();
use Time::HiRes ();
use Apache::Test ();
use Apache::TestRequest ();
use Test::More ();

# on request (use GsProvTest qw(:DEFAULT gs_bin_decode pairs_str))
our @EXPORT_OK = qw(gs_bin_decode pairs_str);
our @EXPORT = qw(
    http_req note_for
    error_log_mark error_log_pos error_log_check error_log_since error_log_path
    t_dir logs_dir store_dir store_file write_file write_file_inplace slurp
    gs_xml openssl_decrypt encrypted_length
    httpd_bin httpd_configtest
    all_passwords
);

my $REQ_SEQ = 0;
my $MARK;

sub t_dir    { Apache::Test::vars('t_dir') }
sub logs_dir { Apache::Test::vars('t_logs') }
sub error_log_path { File::Spec->catfile(logs_dir(), 'error_log') }
sub notes_log_path { File::Spec->catfile(logs_dir(), 'gsprov_log') }

# The copied test stores (t/fixtures/stores/<tenant> -> <suite t dir>/stores/<tenant>).
sub store_dir  { File::Spec->catdir(t_dir(), 'stores', $_[0]) }
sub store_file { File::Spec->catfile(store_dir($_[0]), split m{/}, $_[1]) }

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "open $path: $!";
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# Replace a file atomically (write a temp file next to it, rename over it),
# the way deployment tools do; the reader never sees a half-written file.
sub write_file {
    my ($path, $content) = @_;
    my $tmp = "$path.tmp.$$";
    open my $fh, '>:raw', $tmp or die "open $tmp: $!";
    print {$fh} $content or die "write $tmp: $!";
    close $fh or die "close $tmp: $!";
    rename $tmp, $path or die "rename $tmp -> $path: $!";
}

# Rewrite a file in place (same inode), the way many editors do.
sub write_file_inplace {
    my ($path, $content) = @_;
    open my $fh, '+<:raw', $path or die "open $path: $!";
    truncate $fh, 0 or die "truncate $path: $!";
    seek $fh, 0, 0;
    print {$fh} $content or die "write $path: $!";
    close $fh or die "close $path: $!";
}

sub port_for {
    my ($vhost) = @_;
    return Apache::Test::vars('port') if !defined $vhost || $vhost eq 'default';
    my $port = Apache::Test::vars("${vhost}_port");
    die "no port for vhost '$vhost' (is it in t/apache/conf/extra.conf.in?)" unless $port;
    return $port;
}

# http_req(vhost => 'tenant_a', method => 'GET', path => '/prov/cfg.xml',
#          headers => [Name => value, ...], body => '...')
# Returns a hashref: code, reason, status_line, headers (lc name => [values]),
# header($name) (values joined with ", "), body (raw bytes), raw, id.
# Every request carries a unique X-Test-Id header, logged by the CustomLog in
# extra.conf.in next to the gsprov-* notes (see note_for).
sub http_req {
    my (%a) = @_;
    my $method = $a{method} || 'GET';
    my $path   = defined $a{path} ? $a{path} : die 'http_req: path required';
    my $port   = port_for(exists $a{vhost} ? $a{vhost} : 'tenant_a');
    my $id     = sprintf 'req-%d-%d', $$, ++$REQ_SEQ;

    my $req = "$method $path HTTP/1.1\r\n"
            . "Host: localhost:$port\r\n"
            . "X-Test-Id: $id\r\n"
            . "Connection: close\r\n";
    my @h = @{ $a{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    if (defined $a{body}) {
        $req .= 'Content-Length: ' . length($a{body}) . "\r\n";
    }
    $req .= "\r\n";
    $req .= $a{body} if defined $a{body};

    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => $port,
        Proto    => 'tcp',
        Timeout  => 10,
    ) or die "connect 127.0.0.1:$port: $!";
    binmode $sock;
    print {$sock} $req;

    my $raw = '';
    {
        local $SIG{ALRM} = sub { die "timeout reading response to $method $path\n" };
        alarm 20;
        while (1) {
            my $n = sysread $sock, my $buf, 65536;
            die "read: $!" unless defined $n;
            last if $n == 0;
            $raw .= $buf;
        }
        alarm 0;
    }
    close $sock;

    my %res = (raw => $raw, id => $id, method => $method, path => $path);
    my $sep = index $raw, "\r\n\r\n";
    die "no complete response head for $method $path: [$raw]" if $sep < 0;
    my $head = substr $raw, 0, $sep;
    $res{body} = substr $raw, $sep + 4;
    my ($status, @lines) = split /\r\n/, $head;
    $res{status_line} = $status;
    ($res{code}, $res{reason}) = $status =~ m{^HTTP/1\.[01] (\d{3})\s*(.*)$}
        or die "bad status line '$status'";
    my %hdr;
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:]+):\s*(.*)$/ or die "bad header line '$l'";
        push @{ $hdr{lc $k} }, $v;
    }
    $res{headers} = \%hdr;
    $res{header}  = sub {
        my $v = $hdr{lc $_[0]};
        return $v ? join(', ', @$v) : undef;
    };
    # a streamed answer (the admin export): the body without the chunk
    # framing ($res{raw} keeps it)
    if (($res{header}->('Transfer-Encoding') // '') =~ /\bchunked\b/i) {
        my ($b, $pos, $out) = ($res{body}, 0, '');
        while ((my $e = index $b, "\r\n", $pos) >= 0) {
            my ($hex) = substr($b, $pos, $e - $pos) =~ /^([0-9a-fA-F]+)/
                or die "bad chunk size in the answer to $method $path";
            my $n = hex $hex;
            last if !$n;
            $out .= substr $b, $e + 2, $n;
            $pos = $e + 2 + $n + 2;
        }
        $res{body} = $out;
    }
    return \%res;
}

# The gsprov-* request notes for a request, from the CustomLog line tagged with
# its X-Test-Id. "-" (mod_log_config's unset marker) comes back as undef.
# Waits up to 5 s: the access log is written after the response is sent.
sub note_for {
    my ($res) = @_;
    my $id = ref $res ? $res->{id} : $res;
    my $deadline = Time::HiRes::time() + 5;
    while (1) {
        if (open my $fh, '<', notes_log_path()) {
            while (my $l = <$fh>) {
                chomp $l;
                my @f = split / /, $l;
                next unless @f >= 5 && $f[0] eq $id;
                my %n;
                @n{qw(id status mac file result)} = @f[0 .. 4];
                for (values %n) { $_ = undef if $_ eq '-' }
                return \%n;
            }
        }
        return undef if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

# ---------------------------------------------------------------------------
# error_log scanning

# Lines at these levels fail the run unless a test file expects them.
my $BAD_LEVEL = qr/^\[[^\]]*\] \[([^:\]]*):(warn|error|crit|alert|emerg)\]/;

# Lines that always fail, at any level: sanitizer reports (ASan/UBSan write to
# httpd's stderr, i.e. the error_log) and children dying on a signal (httpd
# reports that at [core:notice], below the level filter).
my $ALWAYS_BAD = qr/AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|
                    ThreadSanitizer|MemorySanitizer|runtime\ error:|
                    exit\ signal|AH00052|Segmentation\ fault|double\ free|
                    free\(\):|malloc\(\):|stack\ smashing/x;

# Harmless lines not caused by mod_gsprov. Each entry says why it is here.
my @WHITELIST = (
    # Apache::Test sets ServerName, DefaultRuntimeDir and the run script
    # exports APACHE_RUN_DIR & co., so httpd starts cleanly; but mod_ssl warns
    # at startup when the machine's libssl3 is older than the one apache2 was
    # built against (tools/install-deps.sh upgrades it; a warning about the
    # machine, not about us)
    qr/\[ssl:warn\] .* AH01882: /,
);

# Remember the end of the error_log as the start of this test file's lines.
sub error_log_mark {
    $MARK = error_log_pos();
    return $MARK;
}

# The current end of the error_log (for checks around a single request;
# does not move the mark).
sub error_log_pos {
    my $size = -s error_log_path();
    return defined $size ? $size : 0;
}

sub error_log_since {
    my ($mark) = @_;
    $mark = $MARK unless defined $mark;
    $mark = 0 unless defined $mark;
    open my $fh, '<:raw', error_log_path() or return ();
    seek $fh, $mark, 0;
    local $/ = "\n";
    my @l = <$fh>;
    chomp @l;
    return @l;
}

sub _classify {
    my ($line, $expected) = @_;
    return 'fatal' if $line =~ $ALWAYS_BAD;
    # Sanitizer reports span many unformatted lines ("    #0 0x... in ...");
    # anything that is not an httpd-formatted line is stray stderr output.
    return 'stray' if $line =~ /\S/ && $line !~ /^\[/;
    return 'ok' unless $line =~ $BAD_LEVEL;
    for my $re (@WHITELIST) { return 'ok' if $line =~ $re }
    for my $id (@$expected) { return 'ok' if index($line, $id) >= 0 }
    return 'unexpected';
}

# error_log_check(expected_ids => ['GSPROV0102', ...], mark => $m, name => '...')
# One assertion. Expected ids only permit lines; tests that require a line to
# be present assert that separately with error_log_since().
sub error_log_check {
    my (%a) = @_;
    my @exp = @{ $a{expected_ids} || [] };
    my $mark = exists $a{mark} ? $a{mark} : $MARK;
    my @bad;
    for my $l (error_log_since($mark)) {
        my $c = _classify($l, \@exp);
        next if $c eq 'ok';
        $l = substr($l, 0, 400) . '...(' . length($l) . ' chars)' if length $l > 400;
        push @bad, "[$c] $l";
    }
    my $tb = Test::More->builder;
    my $ok = $tb->ok(!@bad, $a{name} || 'error_log has no unexpected [warn]/[error]/[crit]/[alert]/[emerg] lines'
                        . (@exp ? " (expected: @exp)" : ''));
    if (!$ok) {
        my @show = @bad > 40 ? (@bad[0 .. 39], '... ' . (@bad - 40) . ' more') : @bad;
        $tb->diag("unexpected error_log lines:\n" . join "\n", @show);
    }
    return $ok;
}

# ---------------------------------------------------------------------------
# expected output

# gs_xml(mac => '000b82123456' | undef, version => 1|2,
#        params => [ [name => 'escaped value'], ... ])
# Values are given exactly as they must appear in the body (already escaped),
# so the expectation never goes through the escaping code under test.
sub gs_xml {
    my (%a) = @_;
    my $v = $a{version} || 1;
    my $s = qq{<?xml version="1.0" encoding="UTF-8"?>\n<gs_provision version="1">\n};
    $s .= "  <mac>$a{mac}</mac>\n" if defined $a{mac};
    $s .= qq{  <config version="$v">\n};
    for my $p (@{ $a{params} }) {
        my ($n, $val) = @$p;
        $s .= $v == 2 ? qq{    <item name="$n">$val</item>\n}
                      : qq{    <$n>$val</$n>\n};
    }
    $s .= "  </config>\n</gs_provision>\n";
    return $s;
}

# Size of `openssl enc -aes-256-cbc -salt` output for a plaintext of $n bytes:
# "Salted__" + 8 bytes salt + PKCS#7-padded ciphertext.
sub encrypted_length {
    my ($n) = @_;
    return 16 + (int($n / 16) + 1) * 16;
}

# (rc, plaintext) from `openssl enc -d -aes-256-cbc -md $md -k $pw`.
sub openssl_decrypt {
    my ($cipher, $pw, $md) = @_;
    my $dir = File::Temp::tempdir(CLEANUP => 1, DIR => t_dir());
    my $in  = "$dir/in";
    my $out = "$dir/out";
    open my $fh, '>:raw', $in or die "open $in: $!";
    print {$fh} $cipher;
    close $fh;
    my $rc = _run_quiet('openssl', 'enc', '-d', '-aes-256-cbc', '-md', $md,
                        '-k', $pw, '-in', $in, '-out', $out);
    my $pt = -e $out ? slurp($out) : '';
    return ($rc, $pt);
}

# ---------------------------------------------------------------------------
# the legacy binary file, read independently of lib/gsprov_binary.c

# (hashref, undef) or (undef, what is wrong): length field, word-sum
# checksum, separator, NUL padding, gnkey last, strict percent-encoding.
sub gs_bin_decode {
    my ($d) = @_;
    my $l = length $d;
    return (undef, "odd length $l") if $l % 2;
    return (undef, "only $l bytes") if $l < 16;
    my $n = unpack 'N', $d;
    return (undef, "length field $n words, file $l bytes") unless $n * 2 == $l;
    my $s = 0;
    $s += $_ for unpack 'n*', $d;
    return (undef, sprintf 'word sum 0x%04x, not 0', $s % 65536) if $s % 65536;
    return (undef, 'no 0D0A0D0A after the MAC') unless substr($d, 12, 4) eq "\r\n\r\n";
    my $body = substr $d, 16;
    my $padded = $body =~ s/\0\z//;
    return (undef, 'NUL inside the body') if $body =~ /\0/;
    return (undef, 'padding on an even body') if $padded && length($body) % 2 == 0;
    my @items = split /&/, $body, -1;
    return (undef, 'gnkey=0b82 is not the last item')
        unless @items && $items[-1] eq 'gnkey=0b82';
    pop @items;
    my @pairs;
    for my $it (@items) {
        my ($k, $v) = $it =~ /\A(P[0-9]{1,5})=([A-Za-z0-9._%-]*)\z/
            or return (undef, "item '$it' is not P<n>=<percent-encoded value>");
        return (undef, "bad escape in '$it'") if $v =~ /%(?![0-9A-F]{2})/;
        $v =~ s/%([0-9A-F]{2})/chr hex $1/ge;
        push @pairs, [ $k, $v ];
    }
    return ({ mac => unpack('H12', substr $d, 6, 6), pairs => \@pairs,
              body => $body, words => $n }, undef);
}

sub pairs_str { join "\n", map { "$_->[0]=$_->[1]" } @{ $_[0] } }

sub _run_quiet {
    my @cmd = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $? >> 8;
}

# ---------------------------------------------------------------------------
# standalone config checks

# The httpd binary to run "-t" with: the run script points GSPROV_HTTPD at a
# wrapper that adds the sanitizer runtime (LD_PRELOAD) for ASan builds.
sub httpd_bin { $ENV{GSPROV_HTTPD} || '/usr/sbin/apache2' }

# httpd_configtest($body, files => { 'store/defaults.xml' => '...' })
# Writes a minimal standalone httpd config (MPM + mod_gsprov + $body) and the
# given files into a fresh temp dir, substitutes @DIR@ with that dir, runs
# "apache2 -t -f CONF" and returns (exit code, combined stdout+stderr, dir).
sub httpd_configtest {
    my ($body, %a) = @_;
    my $dir = File::Temp::tempdir('conftest-XXXXXX', CLEANUP => 1, DIR => t_dir());
    for my $rel (sort keys %{ $a{files} || {} }) {
        my $path = "$dir/$rel";
        (my $d = $path) =~ s{/[^/]+$}{};
        require File::Path;
        File::Path::make_path($d);
        open my $fh, '>:raw', $path or die "open $path: $!";
        print {$fh} $a{files}{$rel};
        close $fh;
    }
    for my $rel (@{ $a{dirs} || [] }) {
        require File::Path;
        File::Path::make_path("$dir/$rel");
    }
    my $modules = '/usr/lib/apache2/modules';
    my $conf = <<"EOF";
ServerRoot "$dir"
DefaultRuntimeDir "$dir"
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
ServerName localhost
Listen 127.0.0.1:1
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule gsprov_module \${GSPROV_MODULE}
$body
EOF
    $conf =~ s/\@DIR\@/$dir/g;
    open my $fh, '>', "$dir/httpd.conf" or die;
    print {$fh} $conf;
    close $fh;

    my $out = '';
    my $pid = open my $ph, '-|';
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec { httpd_bin() } httpd_bin(), '-t', '-f', "$dir/httpd.conf"
            or POSIX::_exit(127);
    }
    { local $/; $out = <$ph>; $out = '' unless defined $out }
    close $ph;
    my $rc = $? >> 8;
    my $errlog = -e "$dir/error_log" ? slurp("$dir/error_log") : '';
    return ($rc, $out . $errlog, $dir);
}

# Every password in the committed fixture stores (decoded from XML), plus
# the ones the tests write; none of them may ever show up in a log.
sub all_passwords {
    my @pw;
    for my $f (glob(File::Spec->catfile(t_dir(), 'stores', '*', 'devices', '*.xml'))) {
        my $x = slurp($f);
        while ($x =~ m{<password>(.*?)</password>}sg) {
            my $p = $1;
            $p =~ s/&lt;/</g; $p =~ s/&gt;/>/g; $p =~ s/&quot;/"/g;
            $p =~ s/&apos;/'/g; $p =~ s/&amp;/&/g;
            push @pw, $p;
        }
    }
    return @pw;
}

require POSIX;

1;
