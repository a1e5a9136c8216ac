# The redirect service: a tenant whose store holds <redirect> records and a
# redirect.map answers cfg<mac>[.bin] and cfg<mac>.xml with a minimal file
# (P237, P212, P192, P1359-P1361) that sends the device to its owner.
# Binary files are decoded by an independent Perl reader, XML files parsed
# by xmllint (XPath) and compared byte for byte; encrypted files are
# decrypted with the openssl command line. Also: unknown MACs, record over
# map, prefix/postfix, GsProvBinary off, User-Agent match, Basic auth with
# the record's local credentials, map reload, broken records and maps.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp ();
use Time::HiRes ();
use Apache::Test qw(-withtestmore);
use GsProvTest qw(:DEFAULT gs_bin_decode pairs_str);

error_log_mark();
my $V = 'tenant_redirect';

# ---------------------------------------------------------------------------
# independent readers

# binary file: gs_bin_decode in lib/GsProvTest.pm

# XML file through xmllint: (mac, [[name, decoded value], ...]) or () if it
# does not parse as a gs_provision file
sub xpath {
    my ($file, $expr) = @_;
    open my $ph, '-|', 'xmllint', '--nonet', '--xpath', $expr, $file or die "xmllint: $!";
    local $/;
    my $out = <$ph>;
    close $ph;
    return undef if $? != 0 || !defined $out;
    $out =~ s/\n\z//;      # xmllint ends its output with a newline
    return $out;
}
sub gs_xml_parse {
    my ($body) = @_;
    my $dir = File::Temp::tempdir(CLEANUP => 1, DIR => t_dir());
    open my $fh, '>:raw', "$dir/x.xml" or die;
    print {$fh} $body;
    close $fh;
    return () unless system('xmllint', '--nonet', '--noout', "$dir/x.xml") == 0;
    return () unless (xpath("$dir/x.xml", 'string(/gs_provision/config/@version)') // '') eq '1';
    my $n = xpath("$dir/x.xml", 'count(/gs_provision/config/*)');
    my @p;
    for my $i (1 .. $n) {
        push @p, [ xpath("$dir/x.xml", "name(/gs_provision/config/*[$i])"),
                   xpath("$dir/x.xml", "string(/gs_provision/config/*[$i])") ];
    }
    return (xpath("$dir/x.xml", 'string(/gs_provision/mac)'), \@p);
}


# the vhost's own notes log: id status mac file result redirect
sub rnote {
    my ($r) = @_;
    my $deadline = Time::HiRes::time() + 5;
    my $log = logs_dir() . '/gsprov_redirect_log';
    while (1) {
        if (open my $fh, '<', $log) {
            while (my $l = <$fh>) {
                chomp $l;
                my @f = split / /, $l;
                next unless @f == 6 && $f[0] eq $r->{id};
                my %n;
                @n{qw(status mac file result redirect)} =
                    map { $_ eq '-' ? undef : $_ } @f[1 .. 5];
                return \%n;
            }
        }
        return undef if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

sub common_headers {
    my ($r, $name, $ct) = @_;
    is($r->{header}->('Content-Type'), $ct, "$name: Content-Type");
    is($r->{header}->('Content-Length'), length $r->{body}, "$name: Content-Length");
    ok(!defined $r->{header}->('Transfer-Encoding'), "$name: not chunked");
    is($r->{header}->('Cache-Control'), 'no-store', "$name: Cache-Control no-store");
}

# GET a redirect binary file; returns its P-value pairs (or undef)
sub redirect_bin {
    my (%a) = @_;
    my $name = $a{name};
    my $r = http_req(vhost => $V, path => $a{path}, headers => $a{headers} || []);
    is($r->{code}, 200, "$name: 200") or return;
    common_headers($r, $name, 'application/octet-stream');
    my ($f, $why) = gs_bin_decode($r->{body});
    ok($f, "$name: decodes (length, checksum, separator, gnkey last)") or return diag($why);
    is($f->{mac}, $a{mac}, "$name: MAC bytes");
    my $n = rnote($r);
    is($n && $n->{file}, 'device-bin', "$name: note gsprov-file device-bin");
    is($n && $n->{result}, 'ok', "$name: note gsprov-result ok");
    is($n && $n->{redirect}, $a{to}, "$name: note gsprov-redirect") if $a{to};
    return wantarray ? ($f->{pairs}, $r) : $f->{pairs};
}

# GET a redirect XML file in clear; returns its parsed P-values (or undef)
sub redirect_xml {
    my (%a) = @_;
    my $name = $a{name};
    my $r = http_req(vhost => $V, path => $a{path});
    is($r->{code}, 200, "$name: 200") or return;
    common_headers($r, $name, 'application/xml; charset=utf-8');
    my ($mac, $p) = gs_xml_parse($r->{body});
    ok($p, "$name: parses as a gs_provision config version 1") or return diag($r->{body});
    is($mac, $a{mac}, "$name: <mac> header");
    is($r->{body}, gs_xml(mac => $a{mac}, params => $a{exact}), "$name: exact bytes")
        if $a{exact};
    my $n = rnote($r);
    is($n && $n->{file}, 'device-xml', "$name: note gsprov-file device-xml");
    is($n && $n->{mac}, $a{mac}, "$name: note gsprov-mac");
    is($n && $n->{redirect}, $a{to}, "$name: note gsprov-redirect") if $a{to};
    return $p;
}

sub not_found {
    my (%a) = @_;
    my $name = $a{name};
    my $mark = error_log_pos();
    my $r = http_req(vhost => $V, path => $a{path});
    is($r->{code}, 404, "$name: 404");
    unlike($r->{body}, qr/gnkey|P237|Salted__/, "$name: no provisioning data");
    my $n = rnote($r);
    is($n && $n->{result}, 'not-found', "$name: note gsprov-result not-found");
    ok(!($n && $n->{redirect}), "$name: no gsprov-redirect note");
    if ($a{debug}) {
        ok(scalar(grep { /GSPROV0003/ && /\Q$a{debug}\E/ } error_log_since($mark)),
           "$name: GSPROV0003 says '$a{debug}'") or diag(join "\n", error_log_since($mark));
    }
}

my $ZU = "Z\xc3\xbcrich";

# ---------------------------------------------------------------------------
# a record with every field: both formats carry the same P-values

my @d1 = (
    [ P237  => 'prov.tenant-b.example:8443/prov/b' ],
    [ P212  => '2' ],
    [ P192  => 'fw.tenant-b.example/fw' ],
    [ P1359 => "Redir pw&1 $ZU" ],
    [ P1360 => 'dev-d00001' ],
    [ P1361 => 's<cr>et "q" 100%' ],
);
my $to1 = 'prov.tenant-b.example:8443/prov/b';
for my $path ('/prov/cfg000b82d00001', '/prov/cfg000b82d00001.bin', '/prov/cfg000B82D00001',
              '/full/cfg000b82d00001') {
    my $p = redirect_bin(name => "record, all fields: $path", path => $path,
                         mac => '000b82d00001', to => $to1);
    is(pairs_str($p || []), pairs_str(\@d1), "$path: P237 P212 P192 P1359 P1360 P1361");
}
{
    my (undef, $r) = redirect_bin(name => 'record, exact bytes', path => '/prov/cfg000b82d00001',
                                  mac => '000b82d00001');
    is(substr($r->{body}, 16),
       'P237=prov.tenant-b.example%3A8443%2Fprov%2Fb&P212=2&P192=fw.tenant-b.example%2Ffw'
       . '&P1359=Redir%20pw%261%20Z%C3%BCrich&P1360=dev-d00001'
       . '&P1361=s%3Ccr%3Eet%20%22q%22%20100%25&gnkey=0b82' . "\0",
       'record: exact binary body (percent-encoded, NUL-padded)') if $r;
}
{
    my $p = redirect_xml(name => 'record, all fields: cfg<mac>.xml', path => '/prov/cfg000b82d00001.xml',
                         mac => '000b82d00001', to => $to1, exact => [
        [ P237  => 'prov.tenant-b.example:8443/prov/b' ],
        [ P212  => '2' ],
        [ P192  => 'fw.tenant-b.example/fw' ],
        [ P1359 => "Redir pw&amp;1 $ZU" ],
        [ P1360 => 'dev-d00001' ],
        [ P1361 => 's&lt;cr&gt;et &quot;q&quot; 100%' ],
    ]);
    is(pairs_str($p || []), pairs_str(\@d1), 'XML carries the same P-values as the binary');
}

# HEAD: headers, no body
{
    my $r = http_req(vhost => $V, path => '/prov/cfg000b82d00001.xml', method => 'HEAD');
    is($r->{code}, 200, 'HEAD redirect XML: 200');
    is($r->{body}, '', 'HEAD redirect XML: no body');
}

# the minimal record: P237 and the default protocol (HTTPS), nothing else
is(pairs_str(redirect_bin(name => 'minimal record', path => '/prov/cfg000b82d00002',
                          mac => '000b82d00002', to => '10.1.2.3/p') || []),
   pairs_str([ [ P237 => '10.1.2.3/p' ], [ P212 => '2' ] ]),
   'minimal record: P237 and P212=2 (https by default) only');
redirect_xml(name => 'minimal record XML', path => '/prov/cfg000b82d00002.xml',
             mac => '000b82d00002', exact => [ [ P237 => '10.1.2.3/p' ], [ P212 => '2' ] ]);

# ---------------------------------------------------------------------------
# a local <password>: the XML is encrypted with it, never sent as P1359

{
    my $r = http_req(vhost => $V, path => '/prov/cfg000b82d00003.xml');
    is($r->{code}, 200, 'local password: XML 200');
    common_headers($r, 'local password XML', 'application/octet-stream');
    is(substr($r->{body}, 0, 8), 'Salted__', 'local password: XML is encrypted');
    my ($rc, $pt) = openssl_decrypt($r->{body}, 'Local pw d3', 'md5');
    is($rc, 0, 'local password: decrypts with openssl enc -d -md md5 and the local password');
    my ($mac, $p) = gs_xml_parse($pt);
    is($mac, '000b82d00003', 'local password: decrypted <mac>');
    is(pairs_str($p || []), pairs_str([ [ P237 => 'prov.tenant-c.example/c' ], [ P212 => '1' ],
                                        [ P1359 => 'Target pw d3' ] ]),
       "local password: decrypted P-values, P1359 is the target's password");
    my ($rc2) = openssl_decrypt($r->{body}, 'Target pw d3', 'md5');
    isnt($rc2, 0, "local password: the target's password does not decrypt it");
}
{
    my ($p, $r) = redirect_bin(name => 'local password binary', path => '/prov/cfg000b82d00003',
                               mac => '000b82d00003');
    is(pairs_str($p || []), pairs_str([ [ P237 => 'prov.tenant-c.example/c' ], [ P212 => '1' ],
                                        [ P1359 => 'Target pw d3' ] ]),
       "local password: the binary's P1359 is the target's");
    unlike($r ? $r->{body} : '', qr/Local/, 'local password: never in the binary file');
}

# the record's own credentials are this server's, the <redirect> ones the target's
is(pairs_str(redirect_bin(name => 'target credentials', path => '/prov/cfg000b82d00007',
                          mac => '000b82d00007') || []),
   pairs_str([ [ P237 => 'prov.tenant-b.example/prov' ], [ P212 => '2' ],
               [ P1360 => 'target-d7' ], [ P1361 => 'target-secret-d7' ] ]),
   "P1360/P1361 are the target's credentials, not the record's own");

SKIP: {
    my $r = http_req(vhost => $V, path => '/auth/cfg000b82d00007');
    skip 'mod_auth_basic not loaded', 5 if $r->{code} == 404 || $r->{code} == 500;
    is($r->{code}, 401, 'Basic auth: no credentials, 401');
    require MIME::Base64;
    my $b = sub { [ Authorization => 'Basic ' . MIME::Base64::encode_base64($_[0], '') ] };
    $r = http_req(vhost => $V, path => '/auth/cfg000b82d00007', headers => $b->('local-d7:local-secret-d7'));
    is($r->{code}, 200, "Basic auth: the record's local credentials open its redirect file");
    my ($f) = gs_bin_decode($r->{body});
    is($f && $f->{mac}, '000b82d00007', 'Basic auth: the redirect binary');
    $r = http_req(vhost => $V, path => '/auth/cfg000b82d00007', headers => $b->('target-d7:target-secret-d7'));
    is($r->{code}, 401, "Basic auth: the target's credentials are not accepted here");
    # a map-only device has no record, so no credentials: never served
    $r = http_req(vhost => $V, path => '/auth/cfg000b82e00001', headers => $b->('000b82e00001:x'));
    is($r->{code}, 401, 'Basic auth: a map-only device cannot authenticate');
}

# ---------------------------------------------------------------------------
# the map

is(pairs_str(redirect_bin(name => 'map line with firmware', path => '/prov/cfg000b82e00001.bin',
                          mac => '000b82e00001', to => 'prov.tenant-b.example/prov') || []),
   pairs_str([ [ P237 => 'prov.tenant-b.example/prov' ], [ P212 => '2' ],
               [ P192 => 'fw.tenant-b.example/fw' ] ]),
   'map: config and firmware path, https by default');
redirect_xml(name => 'map line with firmware XML', path => '/prov/cfg000b82e00001.xml',
             mac => '000b82e00001', exact => [ [ P237 => 'prov.tenant-b.example/prov' ],
             [ P212 => '2' ], [ P192 => 'fw.tenant-b.example/fw' ] ]);
is(pairs_str(redirect_bin(name => 'map line, upper case, tabs, protocol=http', path => '/prov/cfg000b82e00002',
                          mac => '000b82e00002') || []),
   pairs_str([ [ P237 => 'prov.tenant-c.example:8080/c' ], [ P212 => '1' ] ]),
   'map: protocol=http is P212=1');
is(pairs_str(redirect_xml(name => 'map line, IPv6, tftp', path => '/prov/cfg000b82e00004.xml',
                          mac => '000b82e00004') || []),
   pairs_str([ [ P237 => '[2001:db8::1]:8443/v6' ], [ P212 => '0' ] ]),
   'map: [IPv6]:port host, protocol=tftp is P212=0');

# a record wins over the map: an ordinary record is served as itself ...
{
    my $r = http_req(vhost => $V, path => '/prov/cfg000b82d00004.xml');
    is($r->{code}, 200, 'record over map (ordinary record): 200');
    is($r->{body}, gs_xml(mac => '000b82d00004', params => [ [ P3 => 'Local d4' ] ]),
       'record over map: the ordinary file, not the redirect');
    my $n = rnote($r);
    ok($n && !$n->{redirect}, 'record over map: no gsprov-redirect note');
}
# ... and a redirect record sends the device where the record says
is(pairs_str(redirect_bin(name => 'redirect record over map', path => '/prov/cfg000b82d00005',
                          mac => '000b82d00005', to => 'record.example/d5') || []),
   pairs_str([ [ P237 => 'record.example/d5' ], [ P212 => '1' ] ]),
   "redirect record over map: the record's target");

# ---------------------------------------------------------------------------
# what is 404

not_found(name => 'unknown MAC, XML', path => '/prov/cfg000b82ffff01.xml', debug => '');
not_found(name => 'unknown MAC, binary', path => '/prov/cfg000b82ffff01');
not_found(name => 'unknown MAC, .bin', path => '/prov/cfg000b82ffff01.bin');
not_found(name => 'GsProvBinary off', path => '/binoff/cfg000b82d00001',
          debug => 'binary files are off');
not_found(name => 'GsProvBinary off, map', path => '/binoff/cfg000b82e00001.bin',
          debug => 'binary files are off');
{
    my $r = http_req(vhost => $V, path => '/binoff/cfg000b82d00001.xml');
    is($r->{code}, 200, 'GsProvBinary off: the redirect XML is still served');
}
# a redirect sets no P234/P235: names with a prefix or postfix are not the device's
not_found(name => 'prefix', path => '/prov/gs_cfg000b82d00001.xml', debug => 'prefix/postfix');
not_found(name => 'postfix', path => '/prov/cfg000b82d00001_cfg001.xml', debug => 'prefix/postfix');
not_found(name => 'postfix, map, binary', path => '/prov/cfg000b82e00001.bin_x', debug => 'prefix/postfix');
# a redirect-only store has no model templates; cfg.xml is the empty defaults
not_found(name => 'model file', path => '/prov/cfggxp2170.xml');
{
    my $r = http_req(vhost => $V, path => '/prov/cfg.xml');
    is($r->{code}, 200, 'cfg.xml on a redirect-only store: 200');
    is($r->{body}, gs_xml(params => []), 'cfg.xml: an empty config (no defaults.xml)');
}

# User-Agent match: only the device itself gets its redirect
{
    my $ua = 'Grandstream Model HW GXP2170 SW 1.0.11.3 DevId ';
    my $r = http_req(vhost => $V, path => '/uamatch/cfg000b82e00001',
                     headers => [ 'User-Agent' => $ua . '000b82e00002' ]);
    is($r->{code}, 403, 'GsProvUserAgent match: another DevId gets 403');
    unlike($r->{body}, qr/gnkey/, '... and no file');
    redirect_bin(name => 'GsProvUserAgent match, own DevId', path => '/uamatch/cfg000b82e00001',
                 mac => '000b82e00001', headers => [ 'User-Agent' => $ua . '000b82e00001' ]);
}

# a broken redirect record: 500, GSPROV0801 naming file:line, no secret logged
{
    my $mark = error_log_pos();
    for my $path ('/prov/cfg000b82d00006', '/prov/cfg000b82d00006.xml') {
        my $r = http_req(vhost => $V, path => $path);
        is($r->{code}, 500, "broken redirect record $path: 500");
        unlike($r->{body}, qr/gnkey|P237|Salted__/, '... no file');
        my $n = rnote($r);
        is($n && $n->{result}, 'error', '... note gsprov-result error');
    }
    my @l = grep { /GSPROV0801/ } error_log_since($mark);
    is(scalar @l, 2, 'broken redirect record: one GSPROV0801 line per request');
    like($l[0] // '', qr{devices/000b82d00006\.xml:3: <redirect><config> must not carry a scheme},
         'GSPROV0801 names the file, line, element and problem');
    ok(!grep({ /Broken pw d6/ } error_log_since($mark)), 'the record password is not logged');
}

# ---------------------------------------------------------------------------
# the map is reloaded like templates (GsProvReloadInterval 0 here)

my $map = store_file('redirect', 'redirect.map');
my $orig = slurp($map);
not_found(name => 'not yet mapped', path => '/prov/cfg000b82e0000a');
write_file($map, $orig . "000b82e0000a new.example/a protocol=https\n");
is(pairs_str(redirect_bin(name => 'added map line', path => '/prov/cfg000b82e0000a',
                          mac => '000b82e0000a', to => 'new.example/a') || []),
   pairs_str([ [ P237 => 'new.example/a' ], [ P212 => '2' ] ]),
   'a line added to the map is served on the next request');
{
    my $mark = error_log_pos();
    write_file($map, $orig . "000b82e0000a new.example/a\n000b82e0000b http://bad.example/b\n");
    my $p = redirect_bin(name => 'broken map change: last good map', path => '/prov/cfg000b82e0000a',
                         mac => '000b82e0000a');
    ok($p, 'a broken map change keeps the last good map');
    not_found(name => 'broken map change: its new lines are not served', path => '/prov/cfg000b82e0000b');
    my @l = grep { /GSPROV0802/ } error_log_since($mark);
    is(scalar @l, 1, 'the broken map is logged once (GSPROV0802)') or diag(join "\n", error_log_since($mark));
    like($l[0] // '', qr{redirect\.map:\d+: config path must not carry a scheme},
         'GSPROV0802 names redirect.map, the line and the problem');
}
write_file($map, $orig);
not_found(name => 'line removed again', path => '/prov/cfg000b82e0000a');
redirect_bin(name => 'map restored', path => '/prov/cfg000b82e00001', mac => '000b82e00001');

# ---------------------------------------------------------------------------
# apachectl -t: a broken map names file and line

sub conftest_vhost {
    return <<"EOF";
<VirtualHost 127.0.0.1:1>
    GsProvRoot \@DIR\@/store
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
EOF
}
{
    my ($rc, $out) = httpd_configtest(conftest_vhost(), files => {
        'store/redirect.map' => "# ok\n000b82aa0001 a.example/p\n\n000b82aa0002 b.example/p protocol=ftps\n" });
    is($rc, 0, 'a valid map: apache2 -t succeeds') or diag($out);
}
my @bad = (
    [ "000b82aa0001 a.example/p\nnot-a-mac a.example/p\n", qr{redirect\.map:2: 'not-a-mac' is not a MAC} ],
    [ "000b82aa0001\n", qr{redirect\.map:1: 000b82aa0001: no config path} ],
    [ "000b82aa0001 a.example/p\n000B82AA0001 b.example/p\n", qr{redirect\.map:2: 000b82aa0001 is already redirected on line 1} ],
    [ "000b82aa0001 https://a.example/p\n", qr{redirect\.map:1: config path must not carry a scheme} ],
    [ "000b82aa0001 a.example/p protocol=gopher\n", qr{redirect\.map:1: protocol 'gopher' is not} ],
    [ "000b82aa0001 a.example/p color=red\n", qr{redirect\.map:1: unknown option 'color='} ],
    [ "000b82aa0001 a.example/p b.example/f c.example/x\n", qr{redirect\.map:1: more than two paths} ],
    [ "000b82aa0001 a.example:99999/p\n", qr{redirect\.map:1: config path has a port} ],
    [ "000b82aa0001 a.example/p fw.example/a b\n", qr{redirect\.map:1: firmware path|too many fields|more than two paths} ],
    [ "000b82aa0001 a.example/p?x=1\n", qr{redirect\.map:1: config path has a character not allowed} ],
);
for my $b (@bad) {
    my ($map_text, $want) = @$b;
    (my $label = $map_text) =~ s/\n/\\n/g;
    my ($rc, $out) = httpd_configtest(conftest_vhost(), files => { 'store/redirect.map' => $map_text });
    isnt($rc, 0, "bad map '$label': apache2 -t fails");
    like($out, $want, "bad map '$label': message names file, line and problem");
    unlike($out, qr/AddressSanitizer|runtime error:|Segmentation fault/, "bad map '$label': no crash");
}

# GSPROV0801 (broken record) and GSPROV0802 (broken map change) above, and
# the refusals: wrong Basic credentials (GSPROV0401, with mod_auth_basic's
# AH01618), another DevId (GSPROV0006)
error_log_check(expected_ids => [qw(GSPROV0801 GSPROV0802 GSPROV0401 AH01618 GSPROV0006)]);
done_testing();
