# Configurations that must make "apache2 -t" fail, with a message naming the
# directive or the file and line. Each runs a small standalone config (MPM +
# mod_gsprov) from a temp dir; a good config is checked first so a failure
# can be attributed to the one thing each case breaks.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

my $H = qq{<?xml version="1.0" encoding="UTF-8"?>\n};
my $GOOD_LAYER = $H . qq{<gs_provision version="1">\n  <config version="1">\n    <P2>x</P2>\n  </config>\n</gs_provision>\n};
my %GOOD_STORE = (
    'store/defaults.xml'       => $GOOD_LAYER,
    'store/models/gxp2170.xml' => $GOOD_LAYER,
    'store/groups/sales.xml'   => $GOOD_LAYER,
    # device records are read per request: a broken one does not stop httpd
    'store/devices/000b82000007.xml' => $H . "<device>\n  <model>gxp2170</mode>\n</device>\n",
);

sub vhost {
    my ($inner) = @_;
    return <<"EOF";
<VirtualHost 127.0.0.1:1>
    $inner
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
EOF
}

# good configs: exit 0, "Syntax OK"
for my $c (
    [ 'good store, every directive', vhost(join "\n    ",
        'GsProvRoot @DIR@/store', 'GsProvVar sip_server sip.example',
        'GsProvVar company "A&B Ltd"', 'GsProvKeyDerivation sha256',
        'GsProvReloadInterval 0'), {} ],
    [ 'GsProvKeyDerivation md5, interval 30', vhost(join "\n    ",
        'GsProvRoot @DIR@/store', 'GsProvKeyDerivation md5', 'GsProvReloadInterval 30'), {} ],
    [ 'store without defaults.xml', vhost('GsProvRoot @DIR@/store'),
      { 'store/defaults.xml' => undef } ],
    [ 'directives in server config and <Location>', <<'EOF', {} ],
GsProvRoot @DIR@/store
GsProvVar a b
<Location /p2>
    SetHandler gsprov
    GsProvRoot @DIR@/store
    GsProvVar a c
    GsProvKeyDerivation sha256
</Location>
EOF
) {
    my ($name, $conf, $files) = @$c;
    my %f = (%GOOD_STORE, %$files);
    delete $f{$_} for grep { !defined $f{$_} } keys %f;
    my ($rc, $out) = httpd_configtest($conf, files => \%f);
    is($rc, 0, "$name: apache2 -t succeeds") or diag($out);
    like($out, qr/Syntax OK/, "$name: Syntax OK");
}

# bad configs: non-zero exit, message names the directive or file:line
my @bad = (
    [ 'GsProvRoot: missing directory', vhost('GsProvRoot @DIR@/nonexistent'), {},
      [qr/GsProvRoot/, qr{nonexistent}] ],
    [ 'GsProvRoot: a file, not a directory', vhost('GsProvRoot @DIR@/store/defaults.xml'), {},
      [qr/GsProvRoot/] ],
    [ 'GsProvRoot: missing directory in <Location>', <<'EOF', {}, [qr/GsProvRoot/] ],
<Location /p>
    SetHandler gsprov
    GsProvRoot @DIR@/nonexistent
</Location>
EOF
    [ 'GsProvRoot: no argument', vhost('GsProvRoot'), {}, [qr/GsProvRoot/] ],
    [ 'broken defaults.xml (XML syntax)', vhost('GsProvRoot @DIR@/store'),
      { 'store/defaults.xml' => $H . qq{<gs_provision version="1">\n  <config version="1">\n    <P2>x</P3>\n  </config>\n</gs_provision>\n} },
      [qr{defaults\.xml:4\b}] ],
    [ 'broken model template', vhost('GsProvRoot @DIR@/store'),
      { 'store/models/gxp2170.xml' => $H . qq{<gs_provision version="1">\n<config version="1">\n<P2>x</P2>\n} },
      [qr{models/gxp2170\.xml}] ],
    [ 'broken group template', vhost('GsProvRoot @DIR@/store'),
      { 'store/groups/sales.xml' => $H . qq{<gs_provision version="1">\n<config version="1">\n<P2>x</P2>\n</config>\n</gs_provision>\n<extra/>\n} },
      [qr{groups/sales\.xml:7\b}] ],
    [ 'template that is not a gs_provision file', vhost('GsProvRoot @DIR@/store'),
      { 'store/defaults.xml' => $H . qq{<device>\n  <model>gxp2170</model>\n</device>\n} },
      [qr{defaults\.xml}] ],
    # what vendor templates commonly carry: refused, with file and line
    [ 'model template with a <!-- nested in a comment', vhost('GsProvRoot @DIR@/store'),
      { 'store/models/gxp2170.xml' => $H . qq{<gs_provision version="1">\n  <config version="1">\n    <!-- Grandstream header\n      <!-- nested -->\n    <P2>x</P2>\n  </config>\n</gs_provision>\n} },
      [qr{models/gxp2170\.xml:5: XML error: }] ],
    [ 'model template with stray text in <config>', vhost('GsProvRoot @DIR@/store'),
      { 'store/models/gxp2170.xml' => $H . qq{<gs_provision version="1">\n  <config version="1">\n    <P2>x</P2>\n\n    stray words\n\n    <P3>y</P3>\n  </config>\n</gs_provision>\n} },
      [qr{models/gxp2170\.xml:6: unexpected text in <config>}] ],
    [ 'GsProvKeyDerivation foo', vhost(join "\n    ", 'GsProvRoot @DIR@/store', 'GsProvKeyDerivation foo'), {},
      [qr/GsProvKeyDerivation/] ],
    [ 'GsProvKeyDerivation with no argument', vhost(join "\n    ", 'GsProvRoot @DIR@/store', 'GsProvKeyDerivation'), {},
      [qr/GsProvKeyDerivation/] ],
    [ 'GsProvVar with one argument', vhost(join "\n    ", 'GsProvRoot @DIR@/store', 'GsProvVar lonely'), {},
      [qr/GsProvVar/] ],
    [ 'GsProvVar with three arguments', vhost(join "\n    ", 'GsProvRoot @DIR@/store', 'GsProvVar a b c'), {},
      [qr/GsProvVar/] ],
    [ 'GsProvReloadInterval abc', vhost(join "\n    ", 'GsProvRoot @DIR@/store', 'GsProvReloadInterval abc'), {},
      [qr/GsProvReloadInterval/] ],
    [ 'GsProvReloadInterval -1', vhost(join "\n    ", 'GsProvRoot @DIR@/store', 'GsProvReloadInterval -1'), {},
      [qr/GsProvReloadInterval/] ],
);

for my $c (@bad) {
    my ($name, $conf, $files, $res) = @$c;
    my %f = (%GOOD_STORE, %$files);
    my ($rc, $out) = httpd_configtest($conf, files => \%f);
    isnt($rc, 0, "$name: apache2 -t fails");
    unlike($out, qr/Syntax OK/, "$name: no Syntax OK");
    like($out, $_, "$name: message matches $_") for @$res;
    unlike($out, qr/AddressSanitizer|runtime error:|Segmentation fault/, "$name: no crash");
}

# An unreadable store (only meaningful when not running as root).
SKIP: {
    skip 'running as root: permissions are not enforced', 3 if $> == 0;
    my ($rc, $out, $dir) = httpd_configtest(vhost('GsProvRoot @DIR@/locked'),
        files => { 'locked/defaults.xml' => $GOOD_LAYER });
    # the store was created readable; lock it and run again on the same files
    chmod 0000, "$dir/locked" or die "chmod: $!";
    my $pid = open my $ph, '-|';
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec { httpd_bin() } httpd_bin(), '-t', '-f', "$dir/httpd.conf" or POSIX::_exit(127);
    }
    my $o = do { local $/; <$ph> };
    close $ph;
    my $rc2 = $? >> 8;
    chmod 0755, "$dir/locked";
    is($rc, 0, 'readable store: -t succeeds (control)');
    isnt($rc2, 0, 'unreadable store: apache2 -t fails');
    like($o, qr/GsProvRoot|locked/, 'unreadable store: message names the directive or the dir');
}

error_log_check(expected_ids => []);
done_testing();
