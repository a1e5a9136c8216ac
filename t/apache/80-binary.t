# The legacy binary file cfg<mac> / cfg<mac>.bin : decoded by the
# independent Perl reader in lib/GsProvTest.pm (length field, word-sum
# checksum, MAC bytes, separator, P-value pairs, gnkey last); GsProvBinary
# full / bootstrap [P..] / off per location, the default (bootstrap), P1359
# from the device password (whatever a layer says), v2 -> 404, headers,
# notes, and config errors.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest qw(:DEFAULT gs_bin_decode pairs_str);

error_log_mark();

# GET, check the response is a well-formed binary file for $mac; returns
# the decoded file (or undef).
sub get_bin {
    my (%a) = @_;
    my $name = $a{name};
    my $r = http_req(vhost => $a{vhost} || 'tenant_bin', path => $a{path},
                     headers => $a{headers} || []);
    is($r->{code}, 200, "$name: 200") or return;
    is($r->{header}->('Content-Type'), 'application/octet-stream', "$name: Content-Type");
    is($r->{header}->('Content-Length'), length $r->{body}, "$name: Content-Length");
    ok(!defined $r->{header}->('Transfer-Encoding'), "$name: not chunked");
    is($r->{header}->('Cache-Control'), 'no-store', "$name: Cache-Control no-store");
    isnt(substr($r->{body}, 0, 8), 'Salted__', "$name: not encrypted");
    my ($f, $why) = gs_bin_decode($r->{body});
    ok($f, "$name: decodes (length, checksum, separator, gnkey last)")
        or return diag($why);
    is($f->{mac}, $a{mac}, "$name: MAC bytes");
    my $n = note_for($r);
    is($n && $n->{mac},    $a{mac},      "$name: note gsprov-mac");
    is($n && $n->{file},   'device-bin', "$name: note gsprov-file");
    is($n && $n->{result}, 'ok',         "$name: note gsprov-result");
    $f->{res} = $r;
    return $f;
}

sub not_found {
    my (%a) = @_;
    my $name = $a{name};
    my $mark = error_log_pos();
    my $r = http_req(vhost => $a{vhost} || 'tenant_bin', path => $a{path});
    is($r->{code}, 404, "$name: 404");
    unlike($r->{body}, qr/gnkey|P\d+=/, "$name: no provisioning data");
    my $n = note_for($r);
    is($n && $n->{result}, 'not-found', "$name: note gsprov-result not-found");
    is($n && $n->{file}, 'device-bin', "$name: note gsprov-file device-bin")
        if $a{bin};
    if ($a{debug}) {
        my @l = grep { /GSPROV0003/ && /\Q$a{debug}\E/ } error_log_since($mark);
        ok(@l, "$name: debug GSPROV0003 says '$a{debug}'")
            or diag(join "\n", error_log_since($mark));
    }
    return $r;
}

my $ZURICH = "Z\xc3\xbcrich";
my $SECRET = 's3cret&sp ace';    # GsProvVar prov_secret (P1361)

# ---------------------------------------------------------------------------
# full (vhost-wide GsProvBinary full, inherited by /prov)

my $f = get_bin(name => 'full cfg000b82b10001', path => '/prov/cfg000b82b10001',
                mac => '000b82b10001');
my @full = (
    [ P237  => 'prov.example.com/gs' ],
    [ P212  => '2' ],
    [ P1360 => 'provuser' ],
    [ P1361 => $SECRET ],
    [ P2    => 'admin-gxp' ],          # model overrides defaults in place
    [ P47   => 'sip.bin.example' ],
    [ P30   => 'A&B = 50% +1 ~x' ],
    [ P1362 => 'gxp2170' ],
    [ P3    => "Alice 501 $ZURICH" ],
    [ P1359 => 'Bin pw&1' ],           # the record's <password>, appended
);
is(pairs_str($f->{pairs}), pairs_str(\@full),
   'full: every merged P-value in merge order, variables expanded, P1359 last') if $f;
# the exact encoding, byte for byte (%XX uppercase, space %20, ~ and + encoded)
is($f->{body},
   'P237=prov.example.com%2Fgs&P212=2&P1360=provuser&P1361=s3cret%26sp%20ace'
   . '&P2=admin-gxp&P47=sip.bin.example&P30=A%26B%20%3D%2050%25%20%2B1%20%7Ex'
   . '&P1362=gxp2170&P3=Alice%20501%20Z%C3%BCrich&P1359=Bin%20pw%261&gnkey=0b82',
   'full: exact body') if $f;

# cfg<mac>.bin is the same file; so is an uppercase MAC; HEAD has no body
my $fb = get_bin(name => 'full cfg000b82b10001.bin', path => '/prov/cfg000b82b10001.bin',
                 mac => '000b82b10001');
ok($f && $fb && $fb->{res}{body} eq $f->{res}{body}, '.bin: same bytes as cfg<mac>');
my $fu = get_bin(name => 'full cfg000B82B10001', path => '/prov/cfg000B82B10001',
                 mac => '000b82b10001');
ok($f && $fu && $fu->{res}{body} eq $f->{res}{body}, 'uppercase MAC: same bytes');
{
    my $r = http_req(vhost => 'tenant_bin', path => '/prov/cfg000b82b10001', method => 'HEAD');
    is($r->{code}, 200, 'HEAD cfg<mac>: 200');
    is($r->{body}, '', 'HEAD cfg<mac>: no body');
    is($r->{header}->('Content-Type'), 'application/octet-stream', 'HEAD cfg<mac>: Content-Type');
}

# the XML of the same device is still encrypted and carries the same values
# (cross-check of the binary's contents against the XML renderer)
{
    my $r = http_req(vhost => 'tenant_bin', path => '/prov/cfg000b82b10001.xml');
    is($r->{code}, 200, 'cfg000b82b10001.xml: 200');
    my ($rc, $pt) = openssl_decrypt($r->{body}, 'Bin pw&1', 'md5');
    is($rc, 0, 'cfg000b82b10001.xml: decrypts with the password sent as P1359');
    my @xml;
    while ($pt =~ m{<(P\d+)>(.*?)</\1>}g) {
        my ($k, $v) = ($1, $2);
        $v =~ s/&lt;/</g; $v =~ s/&gt;/>/g; $v =~ s/&quot;/"/g; $v =~ s/&apos;/'/g; $v =~ s/&amp;/&/g;
        push @xml, [ $k, $v ];
    }
    is(pairs_str(\@xml), pairs_str([ @full[0 .. $#full - 1] ]),
       'XML and full binary carry the same P-values in the same order');
}

# a layer that sets P1359 does not win over the record's <password>, which
# encrypts the XML: a device applying the layer's value could no longer
# open its file. One P1359, the record's, in the layer's place.
$f = get_bin(name => 'full cfg000b82b10002', path => '/prov/cfg000b82b10002',
             mac => '000b82b10002');
if ($f) {
    my @p1359 = grep { $_->[0] eq 'P1359' } @{ $f->{pairs} };
    is(scalar @p1359, 1, 'P1359 set by a layer: exactly one P1359');
    is($p1359[0][1], 'b10002-record-pw', 'P1359 set by a layer: the record password, not the layer value');
    unlike($f->{res}{body}, qr/layer-pw/, "the layer's P1359 is not in the file");
    is($f->{pairs}[-1][0], 'P1359', "... in the layer's place (the record's config, last)");
}
{
    my $r = http_req(vhost => 'tenant_bin', path => '/prov/cfg000b82b10002.xml');
    is($r->{code}, 200, 'cfg000b82b10002.xml: 200');
    my ($rc, $pt) = openssl_decrypt($r->{body}, 'b10002-record-pw', 'md5');
    is($rc, 0, 'cfg000b82b10002.xml: decrypts with the record password');
    my @p = $pt =~ m{<P1359>(.*?)</P1359>}g;
    is("@p", 'b10002-record-pw', '... and its P1359 is that password, once');
}

# a device without a password gets no P1359
$f = get_bin(name => 'full cfg000b82b10007', path => '/prov/cfg000b82b10007',
             mac => '000b82b10007');
ok($f && !grep({ $_->[0] eq 'P1359' } @{ $f->{pairs} }), 'no password, no P1359');

# ---------------------------------------------------------------------------
# bootstrap with extra P-values (/binboot: GsProvBinary bootstrap P3 P47)

$f = get_bin(name => 'bootstrap+P3,P47 cfg000b82b10001', path => '/binboot/cfg000b82b10001',
             mac => '000b82b10001');
is(pairs_str($f->{pairs}), pairs_str([
    [ P237  => 'prov.example.com/gs' ],
    [ P212  => '2' ],
    [ P1360 => 'provuser' ],
    [ P1361 => $SECRET ],
    [ P47   => 'sip.bin.example' ],
    [ P3    => "Alice 501 $ZURICH" ],
    [ P1359 => 'Bin pw&1' ],
]), 'bootstrap P3 P47: the bootstrap set plus P3 and P47, in merge order') if $f;

# P234/P235 are bootstrap parameters too (device with both set; its binary
# name must carry them: see t/82-affix.t)
$f = get_bin(name => 'bootstrap gs_cfg000b82b10003_cfg001',
             path => '/binbootplain/gs_cfg000b82b10003_cfg001', mac => '000b82b10003');
is(pairs_str($f->{pairs}), pairs_str([
    [ P237  => 'prov.example.com/gs' ],
    [ P212  => '2' ],
    [ P1360 => 'provuser' ],
    [ P1361 => $SECRET ],
    [ P234  => 'gs_' ],
    [ P235  => '_cfg001' ],
]), 'bootstrap: P234 and P235 included') if $f;

# plain bootstrap: the P list of /binboot does not leak into /binbootplain
$f = get_bin(name => 'bootstrap cfg000b82b10001.bin', path => '/binbootplain/cfg000b82b10001.bin',
             mac => '000b82b10001');
is(pairs_str($f->{pairs}), pairs_str([
    [ P237  => 'prov.example.com/gs' ],
    [ P212  => '2' ],
    [ P1360 => 'provuser' ],
    [ P1361 => $SECRET ],
    [ P1359 => 'Bin pw&1' ],
]), 'bootstrap: only the bootstrap set (P2, P3, P30, P47, P1362 left out)') if $f;

$f = get_bin(name => 'bootstrap cfg000b82b10002', path => '/binbootplain/cfg000b82b10002',
             mac => '000b82b10002');
is(pairs_str($f->{pairs}), pairs_str([
    [ P237  => 'prov.example.com/gs' ],
    [ P212  => '2' ],
    [ P1360 => 'provuser' ],
    [ P1361 => $SECRET ],
    [ P1359 => 'b10002-record-pw' ],
]), "bootstrap: P1359 set by a layer is the record's password, not doubled") if $f;

# default (no GsProvBinary): bootstrap. Tenant A's store sets none of the
# bootstrap parameters, so Bob's file is just his password, Alice's is empty.
$f = get_bin(name => 'default cfg000b82abcdef', vhost => 'tenant_a',
             path => '/prov/cfg000b82abcdef', mac => '000b82abcdef');
is($f && $f->{body}, 'P1359=Pw-Bob-3f9a%26x%21&gnkey=0b82',
   'default is bootstrap: only P1359 = the record password');
$f = get_bin(name => 'default cfg000b82123456.bin', vhost => 'tenant_a',
             path => '/prov/cfg000b82123456.bin', mac => '000b82123456');
is($f && $f->{body}, 'gnkey=0b82', 'default is bootstrap: nothing to say but gnkey');
is($f && length $f->{res}{body}, 26, '... 26 bytes');

# ---------------------------------------------------------------------------
# off, v2, unknown device, errors in the chain

not_found(name => 'off cfg000b82b10001', path => '/binoff/cfg000b82b10001',
          bin => 1, debug => 'binary files are off');
not_found(name => 'off cfg000b82b10001.bin', path => '/binoff/cfg000b82b10001.bin',
          bin => 1, debug => 'binary files are off');
{
    my $r = http_req(vhost => 'tenant_bin', path => '/binoff/cfg000b82b10007.xml');
    is($r->{code}, 200, 'off: the XML file is still served');
}
not_found(name => 'v2 device cfg000b82c0ffee (tenant B)', vhost => 'tenant_b',
          path => '/prov/cfg000b82c0ffee', bin => 1, debug => 'version 2');
not_found(name => 'v2 device cfg000b82bb0001.bin (tenant B)', vhost => 'tenant_b',
          path => '/prov/cfg000b82bb0001.bin', bin => 1);
not_found(name => 'unknown device', path => '/prov/cfg000b82ffffff', bin => 1);
{
    # an undefined variable is an error for a full binary file as for the XML
    my $r = http_req(vhost => 'tenant_bin', path => '/prov/cfg000b82b10009');
    is($r->{code}, 500, 'full, undefined variable: 500');
    unlike($r->{body}, qr/gnkey/, '... no file');
    my $n = note_for($r);
    is($n && $n->{result}, 'error', '... note gsprov-result error');
    # bootstrap renders only the parameters it sends: the broken P3 is not
    # one of them, so the bootstrap file is served (the XML stays a 500)
    $f = get_bin(name => 'bootstrap, undefined variable outside the set',
                 path => '/binbootplain/cfg000b82b10009', mac => '000b82b10009');
    ok($f && !grep({ $_->[0] eq 'P3' } @{ $f->{pairs} }), '... without P3');
    $r = http_req(vhost => 'tenant_bin', path => '/binbootplain/cfg000b82b10009.xml');
    is($r->{code}, 500, '... its XML file: 500');
    # a chain error (mixed v1/v2) is an error whatever is sent
    $r = http_req(vhost => 'tenant_a', path => '/prov/cfg000b82000008');
    is($r->{code}, 500, 'mixed v1/v2 chain, bootstrap binary: 500');
    $n = note_for($r);
    is($n && $n->{file}, 'device-bin', '... note gsprov-file device-bin');
}

# ---------------------------------------------------------------------------
# configuration errors

sub conftest_vhost {
    my ($line) = @_;
    return <<"EOF";
<VirtualHost 127.0.0.1:1>
    GsProvRoot \@DIR\@/store
    $line
    <Location /prov>
        SetHandler gsprov
    </Location>
</VirtualHost>
EOF
}
my %STORE = ('store/defaults.xml' => qq{<gs_provision version="1"><config version="1"><P2>x</P2></config></gs_provision>\n});
for my $good ('GsProvBinary full', 'GsProvBinary off', 'GsProvBinary bootstrap',
              'GsProvBinary bootstrap P8463 P22030', 'GsProvBinary BOOTSTRAP P3') {
    my ($rc, $out) = httpd_configtest(conftest_vhost($good), files => \%STORE);
    is($rc, 0, "'$good': apache2 -t succeeds") or diag($out);
}
for my $bad ('GsProvBinary', 'GsProvBinary sometimes', 'GsProvBinary full P3',
             'GsProvBinary off P3', 'GsProvBinary bootstrap X3', 'GsProvBinary bootstrap P',
             'GsProvBinary bootstrap P123456', 'GsProvBinary bootstrap p3') {
    my ($rc, $out) = httpd_configtest(conftest_vhost($bad), files => \%STORE);
    isnt($rc, 0, "'$bad': apache2 -t fails");
    like($out, qr/GsProvBinary/, "'$bad': message names GsProvBinary");
    unlike($out, qr/AddressSanitizer|runtime error:|Segmentation fault/, "'$bad': no crash");
}

# the undefined-variable and mixed-chain 500s above log GSPROV0102 / 0103
error_log_check(expected_ids => [qw(GSPROV0102 GSPROV0103)]);
done_testing();
