# Vendor-derived templates: a model template with the shape of FusionPBX's
# ht802/gxp17xx templates (stores/vendor/models/ht802.xml, made by
# t/fixtures/make-vendor-template.pl: 420 P-values, an empty <P1359></P1359>
# and empty P1360/P1361 among them). What is served must agree with the
# device record: with a <password>, P1359 is that password in the binary
# file (read by the independent reader in lib/GsProvTest.pm) and in the
# XML file (decrypted with the openssl command line); with HTTP
# credentials, a layer's empty P1360/P1361 is not served.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest qw(:DEFAULT gs_bin_decode pairs_str);

error_log_mark();

# The template's P-values in order, as the pairs a file carries.
my @TEMPLATE;
{
    my $t = slurp(store_file('vendor', 'models/ht802.xml'));
    push @TEMPLATE, [ $1, $2 ] while $t =~ m{<(P\d+)>([^<]*)</\1>}g;
}
is(scalar @TEMPLATE, 420, 'the template has 420 P-values');
is(scalar(grep { $_->[0] =~ /\AP136[01]\z|\AP1359\z/ && $_->[1] eq '' } @TEMPLATE), 3,
   '... among them an empty P1359, P1360 and P1361');

# the template's pairs with P1359-P1361 replaced (defined) or left out (undef)
sub template_with {
    my (%set) = @_;
    return [ map { !exists $set{ $_->[0] } ? $_
                   : defined $set{ $_->[0] } ? [ $_->[0], $set{ $_->[0] } ] : () } @TEMPLATE ];
}
my @BOOT = qw(P237 P212 P1359 P1360 P1361 P234 P235);
sub bootstrap_of {
    my ($pairs) = @_;
    my %b = map { $_ => 1 } @BOOT;
    return [ grep { $b{ $_->[0] } } @$pairs ];
}

# the binary file of $mac at $loc, decoded independently
sub bin_pairs {
    my ($loc, $mac) = @_;
    my $r = http_req(vhost => 'tenant_vendor', path => "/$loc/cfg$mac");
    is($r->{code}, 200, "$loc/cfg$mac: 200");
    is($r->{header}->('Content-Type'), 'application/octet-stream', "$loc/cfg$mac: octet-stream");
    my ($f, $why) = gs_bin_decode($r->{body});
    ok($f, "$loc/cfg$mac: a well-formed binary file") or diag($why);
    is($f && $f->{mac}, $mac, "$loc/cfg$mac: its MAC");
    return $f ? $f->{pairs} : [];
}

# the XML file of $mac, decrypted with $pw (or plain): its P-value pairs
# (entities undone) and the plaintext
sub xml_pairs {
    my ($mac, $pw) = @_;
    my $r = http_req(vhost => 'tenant_vendor', path => "/prov/cfg$mac.xml");
    is($r->{code}, 200, "cfg$mac.xml: 200");
    my $pt = $r->{body};
    if (defined $pw) {
        is(substr($r->{body}, 0, 8), 'Salted__', "cfg$mac.xml: encrypted");
        my $rc;
        ($rc, $pt) = openssl_decrypt($r->{body}, $pw, 'md5');
        is($rc, 0, "cfg$mac.xml: openssl enc -d -md md5 with the record's password");
    }
    my @p;
    while ($pt =~ m{<(P\d+)>(.*?)</\1>}g) {
        my ($k, $v) = ($1, $2);
        $v =~ s/&lt;/</g; $v =~ s/&gt;/>/g; $v =~ s/&quot;/"/g; $v =~ s/&apos;/'/g; $v =~ s/&amp;/&/g;
        push @p, [ $k, $v ];
    }
    return (\@p, $pt);
}

my @P64 = ([ P64 => 'UTC' ]);    # defaults.xml, ahead of the model

# --- a <password>: the issue as reported ------------------------------------
{
    my $want = template_with(P1359 => 'xml-pw-1');
    is(pairs_str(bin_pairs('prov', '000b82f00001')), pairs_str(bootstrap_of($want)),
       'bootstrap binary: P1359 is the record password in its template place; P1360/P1361 as the template says');
    is(pairs_str(bin_pairs('full', '000b82f00001')), pairs_str([ @P64, @$want ]),
       'full binary: all 421 P-values, P1359 the record password, once');
    my ($x, $pt) = xml_pairs('000b82f00001', 'xml-pw-1');
    is(pairs_str($x), pairs_str([ @P64, @$want ]),
       'XML: all 421 P-values in template order, P1359 the password it is encrypted with');
    is(scalar(() = $pt =~ /<P1359>/g), 1, 'XML: one P1359 element');
    unlike($pt, qr{<P1359></P1359>}, 'XML: no empty P1359');
}

# --- a <password> and HTTP credentials --------------------------------------
{
    my $want = template_with(P1359 => 'xml-pw-2', P1360 => undef, P1361 => undef);
    is(pairs_str(bin_pairs('prov', '000b82f00002')), pairs_str(bootstrap_of($want)),
       'credentials, bootstrap binary: no P1360/P1361 (the empty template values would clear the login)');
    is(pairs_str(bin_pairs('full', '000b82f00002')), pairs_str([ @P64, @$want ]),
       'credentials, full binary: 419 P-values, without P1360/P1361');
    my ($x, $pt) = xml_pairs('000b82f00002', 'xml-pw-2');
    is(pairs_str($x), pairs_str([ @P64, @$want ]), 'credentials, XML: without P1360/P1361');
    unlike($pt, qr{<P136[01]>}, 'credentials, XML: no P1360 or P1361 element at all');
}

# --- nothing in the record: the template's word -----------------------------
{
    my ($x, $pt) = xml_pairs('000b82f00003', undef);
    is(pairs_str($x), pairs_str([ @P64, @TEMPLATE ]), 'no password, no credentials: the template as it is (plain XML)');
    like($pt, qr{<P1359></P1359>\n    <P1360></P1360>\n    <P1361></P1361>\n}, '... its empty P1359-P1361 included');
    is(pairs_str(bin_pairs('prov', '000b82f00003')), pairs_str(bootstrap_of(\@TEMPLATE)),
       '... and in the bootstrap binary');
}

# --- credentials pushed by a group from record variables --------------------
{
    my $want = template_with(P1360 => 'dev-f00004', P1361 => undef);
    my ($x) = xml_pairs('000b82f00004', undef);
    is(pairs_str($x), pairs_str([ @P64, @$want ]),
       'group login: P1360 from the record var is served, the P1361 var is empty and left out');
    is(pairs_str(bin_pairs('prov', '000b82f00004')), pairs_str(bootstrap_of($want)),
       '... the same in the bootstrap binary');
}

# --- the record's own <config> sets P1359 too -------------------------------
{
    my $pw = 'p&w ${x} <5>';
    my $want = template_with(P1359 => $pw);
    my ($x, $pt) = xml_pairs('000b82f00005', $pw);
    is(pairs_str($x), pairs_str([ @P64, @$want ]),
       "record config P1359: the record's <password> wins, literally (no \${} expansion)");
    like($pt, qr{<P1359>p&amp;w \$\{x\} &lt;5&gt;</P1359>}, '... XML-escaped');
    unlike($pt, qr/other-pw/, "... the config's value is nowhere");
    is(pairs_str(bin_pairs('prov', '000b82f00005')), pairs_str(bootstrap_of($want)),
       '... and the binary carries it percent-encoded and decoded back exactly');
}

# --- the model's own file knows no device -----------------------------------
{
    my $r = http_req(vhost => 'tenant_vendor', path => '/prov/cfght802.xml');
    is($r->{code}, 200, 'cfght802.xml: 200');
    like($r->{body}, qr{<P1359></P1359>}, "cfght802.xml: the template's P1359, as written");
    unlike($r->{body}, qr/xml-pw/, 'cfght802.xml: no device password in it');
}

error_log_check();
done_testing();
