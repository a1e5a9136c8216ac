# Devices with a <password> get `openssl enc -aes-256-cbc -md md5 -k PW`
# output; GsProvKeyDerivation sha256 switches the digest. Decrypted with the
# openssl command line and compared with the exact plaintext.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;
use GsProvFixtures;

error_log_mark();

my %dev = (
    bob   => { mac => '000b82abcdef', pw => 'Pw-Bob-3f9a&x!',  plain => expected('a_bob') },
    carol => { mac => '000b82abcdee', pw => 'carol-secret-77', plain => expected('a_carol') },
);

sub encrypted_ok {
    my (%a) = @_;
    my $d = $dev{ $a{dev} };
    my $name = "$a{dev} via $a{loc} ($a{md})";
    my $r = http_req(path => "$a{loc}/cfg$a{macform}.xml");
    is($r->{code}, 200, "$name: 200");
    is(substr($r->{body}, 0, 8), 'Salted__', "$name: body starts with Salted__");
    is(length $r->{body}, encrypted_length(length $d->{plain}),
       "$name: length is 16 + padded plaintext");
    is($r->{header}->('Content-Type'), 'application/octet-stream', "$name: Content-Type");
    is($r->{header}->('Content-Length'), length $r->{body}, "$name: Content-Length");
    ok(!defined $r->{header}->('Transfer-Encoding'), "$name: not chunked");
    is($r->{header}->('Cache-Control'), 'no-store', "$name: Cache-Control");
    unlike($r->{raw}, qr/\Q$d->{pw}\E/, "$name: password not in the response");
    my ($rc, $pt) = openssl_decrypt($r->{body}, $d->{pw}, $a{md});
    is($rc, 0, "$name: openssl enc -d -md $a{md} succeeds");
    is($pt, $d->{plain}, "$name: decrypts to the exact file");
    my $n = note_for($r);
    is($n && $n->{mac},    $d->{mac},    "$name: note gsprov-mac");
    is($n && $n->{file},   'device-xml', "$name: note gsprov-file");
    is($n && $n->{result}, 'ok',         "$name: note gsprov-result");
    return $r;
}

my $b1 = encrypted_ok(dev => 'bob',   loc => '/prov', md => 'md5', macform => '000b82abcdef');
my $b2 = encrypted_ok(dev => 'bob',   loc => '/prov', md => 'md5', macform => '000B82ABCDEF');
encrypted_ok(dev => 'bob',   loc => '/prov', md => 'md5', macform => '000b82AbCdEf');
encrypted_ok(dev => 'carol', loc => '/prov', md => 'md5', macform => '000b82abcdee');

isnt($b1->{body}, $b2->{body}, 'two fetches: different ciphertext (random salt)');
isnt(substr($b1->{body}, 8, 8), substr($b2->{body}, 8, 8), 'two fetches: different salt');

{
    my ($rc, $pt) = openssl_decrypt($b1->{body}, 'wrong-password', 'md5');
    isnt($pt, $dev{bob}{plain}, 'wrong password does not decrypt');
    ($rc, $pt) = openssl_decrypt($b1->{body}, $dev{bob}{pw}, 'sha256');
    isnt($pt, $dev{bob}{plain}, 'md5 output does not decrypt with -md sha256');
}

# GsProvKeyDerivation sha256 (in <Location /sha256>, same store)
my $s = encrypted_ok(dev => 'bob',   loc => '/sha256', md => 'sha256', macform => '000b82abcdef');
encrypted_ok(dev => 'carol', loc => '/sha256', md => 'sha256', macform => '000b82abcdee');
{
    my ($rc, $pt) = openssl_decrypt($s->{body}, $dev{bob}{pw}, 'md5');
    isnt($pt, $dev{bob}{plain}, 'sha256 output does not decrypt with -md md5');
}

# Devices without a password are plain in the sha256 location too.
{
    my $r = http_req(path => '/sha256/cfg000b82123456.xml');
    is($r->{code}, 200, 'plain device under /sha256: 200');
    is($r->{body}, expected('a_alice'), 'plain device under /sha256: plain XML');
    is($r->{header}->('Content-Type'), 'application/xml; charset=utf-8', '... Content-Type');
}

# HEAD: same headers (Content-Length of the encrypted body), no body
{
    my $h = http_req(path => '/prov/cfg000b82abcdef.xml', method => 'HEAD');
    is($h->{code}, 200, 'HEAD encrypted: 200');
    is($h->{body}, '', 'HEAD encrypted: no body');
    is($h->{header}->('Content-Length'), length $b1->{body}, 'HEAD encrypted: Content-Length as GET');
    is($h->{header}->('Content-Type'), 'application/octet-stream', 'HEAD encrypted: Content-Type');
    is($h->{header}->('Cache-Control'), 'no-store', 'HEAD encrypted: Cache-Control');
}

# model and generic files never carry a device password
{
    my $r = http_req(path => '/prov/cfggxp2170.xml');
    is($r->{body}, expected('a_gxp2170'), 'model file stays plain');
}

# No password in any log (also checked over all tests in 99-logs.t).
{
    my @logs = glob(logs_dir() . '/*');
    my @hits;
    for my $f (@logs) {
        next unless -f $f;
        my $c = slurp($f);
        for my $pw (map { $_->{pw} } values %dev) {
            push @hits, "$f: $pw" if index($c, $pw) >= 0;
        }
    }
    ok(!@hits, 'no password in any log') or diag(join "\n", @hits);
}

error_log_check(expected_ids => []);
done_testing();
