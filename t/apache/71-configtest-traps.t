# Configurations that used to pass "apache2 -t" and then failed every
# request at runtime must now fail the test (and the start), naming what
# is wrong and where:
#  - a tenant whose cfg.xml or cfg<model>.xml uses a variable no GsProvVar
#    (nor template <var>) defines: the file, line and variable;
#  - SetHandler gsprov / gsprov-firmware / gsprov-admin where no
#    GsProvRoot (or GsProvFirmwareRoot) applies: the section and the
#    SetHandler line;
#  - a bad GsProvCache option string: the option, without libmemcached's
#    internals.
# Good configurations next to each bad one show the check does not
# reject what works.  The running suite's server also says which version
# it is (error log, status page).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

my $H = qq{<?xml version="1.0" encoding="UTF-8"?>\n};
sub layer { my ($v, @p) = @_;
    return $H . qq{<gs_provision version="1">\n} . ($v // '') . qq{  <config version="1">\n}
         . join('', map { "    $_\n" } @p) . qq{  </config>\n</gs_provision>\n};
}
# defaults.xml uses ${sip_server} on line 5, the model ${room} on line 6
my %STORE = (
    'store/defaults.xml'       => layer(undef, '<P2>x</P2>', '<P47>${sip_server}</P47>'),
    'store/models/gxp2170.xml' => layer(undef, '<P3>y</P3>', '<P4>z</P4>', '<P30>${room}</P30>'),
    'store/models/ht802.xml'   => layer(undef, '<P3>${model}</P3>'),
    'store/devices/000b82000001.xml' => $H . "<device><model>gxp2170</model><var name=\"x\">1</var></device>\n",
    'fw/1.0.0.1/gxp2170fw.bin' => 'fw',
);

sub vhost {
    my ($inner, $loc) = @_;
    $loc //= "<Location /prov>\n        SetHandler gsprov\n    </Location>";
    return "<VirtualHost 127.0.0.1:1>\n    ServerName tenant.example\n    $inner\n    $loc\n</VirtualHost>\n";
}
my $ROOT = 'GsProvRoot @DIR@/store';
my $VARS = "GsProvVar sip_server sip.example\n    GsProvVar room 101";

sub configtest {
    my ($conf, %files) = @_;
    my %f = (%STORE, %files);
    delete $f{$_} for grep { !defined $f{$_} } keys %f;
    return httpd_configtest($conf, files => \%f);
}

# ---- good: every variable defined where the tenant's files are served --
for my $c (
    [ 'GsProvVar lines for every variable', vhost("$ROOT\n    $VARS") ],
    [ 'a variable set in the <Location> of the handler',
      vhost("$ROOT\n    GsProvVar sip_server sip.example",
            "<Location /prov>\n        SetHandler gsprov\n        GsProvVar room 7\n    </Location>") ],
    [ 'a variable set by the template\'s own <var>', vhost("$ROOT\n    GsProvVar sip_server s"),
      'store/models/gxp2170.xml' => layer(qq{  <var name="room">lobby</var>\n}, '<P30>${room}</P30>') ],
    [ 'GsProvRoot in <Location />, SetHandler in <Location /prov>',
      "<Location />\n    $ROOT\n    $VARS\n</Location>\n<Location /prov>\n    SetHandler gsprov\n</Location>\n" ],
    [ 'gsprov-status needs no store', "<Location /status>\n    SetHandler gsprov-status\n</Location>\n" ],
    [ 'firmware with both roots', vhost("$ROOT\n    $VARS\n    GsProvFirmwareRoot \@DIR\@/fw",
      "<Location /fw>\n        SetHandler gsprov-firmware\n    </Location>") ],
    [ 'no handler at all: a store is not checked', "$ROOT\n" ],
) {
    my ($name, $conf, %files) = @$c;
    my ($rc, $out) = configtest($conf, %files);
    is($rc, 0, "$name: apache2 -t succeeds") or diag($out);
    like($out, qr/Syntax OK/, "$name: Syntax OK");
}

# ---- bad: each fails, naming what and where ------------------------------
my @bad = (
    [ 'GsProvVar sip_server removed (defaults.xml uses it)',
      vhost("$ROOT\n    GsProvVar room 101"), {},
      [ qr/GSPROV0904: cfg\.xml of <Location \/prov> of the virtual host tenant\.example:1 \(\S*httpd\.conf:\d+\) does not render/,
        qr{store/defaults\.xml:5: undefined variable \$\{sip_server\} in P47},
        qr/GsProvVar/ ] ],
    [ 'GsProvVar room removed (a model uses it)',
      vhost("$ROOT\n    GsProvVar sip_server sip.example"), {},
      [ qr/GSPROV0904: cfggxp2170\.xml of <Location \/prov>/,
        qr{store/models/gxp2170\.xml:6: undefined variable \$\{room\} in P30} ] ],
    [ 'a model using a device variable (served to everyone as cfg<model>.xml)',
      vhost("$ROOT\n    $VARS"),
      { 'store/models/ht802.xml' => layer(undef, '<P3>${ext}</P3>') },
      [ qr/cfght802\.xml of/, qr{models/ht802\.xml:4: undefined variable \$\{ext\}} ] ],
    [ 'SetHandler gsprov in the main server without GsProvRoot',
      "<Location /p>\n    SetHandler gsprov\n</Location>\n", {},
      [ qr/GSPROV0903: SetHandler gsprov at \S*httpd\.conf:\d+ \(<Location \/p> of the main server\): no GsProvRoot applies there/ ] ],
    [ 'SetHandler gsprov-admin in a vhost without GsProvRoot',
      vhost('ServerAlias x.example', "<Location /admin>\n        SetHandler gsprov-admin\n    </Location>"), {},
      [ qr/GSPROV0903: SetHandler gsprov-admin at \S*httpd\.conf:\d+ \(<Location \/admin> of the virtual host tenant\.example:1/ ] ],
    [ 'SetHandler gsprov-firmware without GsProvFirmwareRoot',
      vhost("$ROOT\n    $VARS", "<Location /fw>\n        SetHandler gsprov-firmware\n    </Location>"), {},
      [ qr/SetHandler gsprov-firmware at .*no GsProvFirmwareRoot applies there/ ] ],
    [ 'SetHandler gsprov at the vhost level without GsProvRoot',
      vhost('SetHandler gsprov', ''), {},
      [ qr/SetHandler gsprov at \S*httpd\.conf:\d+ \(the virtual host tenant\.example:1 \(/ ] ],
    [ 'SetHandler "gsprov" (quoted) in a <LocationMatch> without GsProvRoot',
      "<LocationMatch \"^/p[0-9]\">\n    SetHandler \"gsprov\"\n</LocationMatch>\n", {},
      [ qr/SetHandler gsprov at .*<LocationMatch \^\/p\[0-9\]>/ ] ],
    [ 'GsProvRoot in a sibling <Location> does not count',
      "<Location /a>\n    $ROOT\n</Location>\n<Location /b>\n    SetHandler gsprov\n</Location>\n", {},
      [ qr/<Location \/b> of the main server\): no GsProvRoot/ ] ],
    [ 'GsProvCache: an unknown option',
      'GsProvCache memcached "--SERVER=cache1.example:11211 --BOGUS-OPTION"', {},
      [ qr/GsProvCache memcached "--SERVER=cache1\.example:11211 --BOGUS-OPTION": '--BOGUS-OPTION' is not a libmemcached option$/m ] ],
    [ 'GsProvCache: a bad number',
      'GsProvCache memcached "--SERVER=cache1.example:11211 --CONNECT-TIMEOUT=soon"', {},
      [ qr/'--CONNECT-TIMEOUT=soon': --CONNECT-TIMEOUT takes a number$/m ] ],
    [ 'GsProvCache: a bad server',
      'GsProvCache memcached "--SERVER=cache1.example:port"', {},
      [ qr/'--SERVER=cache1\.example:port': not a host\[:port\] libmemcached accepts$/m ] ],
);
for my $c (@bad) {
    my ($name, $conf, $files, $res) = @$c;
    my ($rc, $out) = configtest($conf, %$files);
    isnt($rc, 0, "$name: apache2 -t fails");
    unlike($out, qr/Syntax OK/, "$name: no Syntax OK");
    like($out, $_, "$name: message matches $_") or diag($out) for @$res;
    unlike($out, qr/0x[0-9a-f]{6,}|context\.cc|\.cc:\d/, "$name: no library internals");
    unlike($out, qr/AddressSanitizer|runtime error:|Segmentation fault/, "$name: no crash");
}

# a broken defaults.xml breaks every model too: one line, not one per model
{
    my ($rc, $out) = configtest(vhost("$ROOT\n    GsProvVar room 1"));
    my @l = grep { /GSPROV0904/ } split /\n/, $out;
    is(scalar @l, 1, 'one undefined variable in defaults.xml: one GSPROV0904 line') or diag($out);
}

# ---- the running server: its version in the error log and status page ---
# (run.sh runs the suite from a copy in t/var/suite/t of the work tree)
my $hdr = slurp("$FindBin::Bin/../../../../lib/base/gsprov_version.h");
my ($version) = $hdr =~ /^#define GSPROV_VERSION "([^"]+)"/m;
ok($version, "the version in gsprov_version.h ($version)");
my @v = grep { /\[[^:\]]+:notice\] .*GSPROV0901: mod_gsprov\/\Q$version\E configured/ }
        error_log_since(0);
ok(@v >= 1, 'the error log says "GSPROV0901: mod_gsprov/<version> configured" at notice');

error_log_check(expected_ids => []);
done_testing();
