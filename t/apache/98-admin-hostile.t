# What the admin API reads from the store or the query string is input:
# activation files with a hostile PBKDF2 iteration count (answered within a
# second), negative or absurd counters, corrupt JSON are a server-side
# problem (500, GSPROV0711) on both GET and claim, never "invalid input"
# (422); a decoded NUL in a query argument makes it invalid (400).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Time::HiRes ();
use JSON::PP ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();
admin_setup();

my $PIN = '55667788';
my %profile = (groups => ['sip-account'], model => 'gxp2170',
               vars => { ext => '4101', sip_password => 'hostile-sip-secret-3' });
my $claim = sub { api(POST => '/ivr/claim', user => undef, body => { @_ }) };
my $file = sub { admin_store_file("activations/$_[0].json") };

# Replace one member of an activation file, as anyone who can write the
# store could.
sub set_member {
    my ($number, $key, $json) = @_;
    my $doc = JSON::PP::decode_json(slurp($file->($number)));
    $doc->{$key} = JSON::PP->new->allow_nonref->decode($json);
    write_file($file->($number), JSON::PP::encode_json($doc));
}

my @hostile = (
    [ 'an iteration count of 2^31 - 1', pin => undef ],
    [ 'an iteration count above 1000000', pin => '"pbkdf2-sha256$1000001$c2FsdA==$aGFzaA=="' ],
    [ 'negative failures', failures => '-1000000' ],
    [ 'failures past the largest limit', failures => '101' ],
    [ 'failures as a string', failures => '"0"' ],
    [ 'an expiry past what GsProvActivationTTL allows', expires => '9000000000000' ],
    [ 'corrupt JSON', undef, undef ],
);
my $n = 5557000;
for my $c (@hostile) {
    my ($what, $key, $json) = @$c;
    my $number = $n++;
    my $r = api(POST => '/admin/activations', body => { number => "$number", pin => $PIN, %profile });
    is($r->{code}, 201, "$what: activation $number created") or diag($r->{body});
    if (!defined $key) {
        write_file($file->($number), '{"number":"' . $number . '","pin":');
    }
    else {
        if (!defined $json) {   # the module's own hash, its count made huge
            my $doc = JSON::PP::decode_json(slurp($file->($number)));
            ($json = JSON::PP::encode_json([$doc->{pin}])) =~ s/^\[|\]$//g;
            $json =~ s/\$100000\$/\$2147483647\$/ or die "no count in $json";
        }
        set_member($number, $key, $json);
    }
    my $mark = error_log_pos();
    $r = api(GET => "/admin/activations/$number");
    is($r->{code}, 500, "$what: GET 500");
    # the answer points to the error log, which names the file (a 500
    # shows no path)
    like($r->{json}{error} // '', qr{GSPROV0711}, "$what: GET points to the log entry");
    unlike($r->{json}{error} // '', qr{activations/}, "$what: ... and shows no path");
    my $t0 = Time::HiRes::time();
    $r = $claim->(mac => '000b82dd0001', number => "$number", pin => $PIN);
    my $took = Time::HiRes::time() - $t0;
    is($r->{code}, 500, "$what: claim 500, not 422");
    cmp_ok($took, '<', 1.0, sprintf('%s: claim answered within a second (%.3f s)', $what, $took));
    ok(!-e admin_store_file('devices/000b82dd0001.xml'), "$what: no record made");
    my @l = grep { /GSPROV0711/ } error_log_since($mark);
    is(scalar @l, 2, "$what: GSPROV0711 on both paths");
    like($l[0] // '', qr{activations/$number\.json}, "$what: ... naming the file (GET)");
    like($l[1] // '', qr{activations/$number\.json}, "$what: ... naming the file (claim)");
    unlike(join("\n", @l), qr/pbkdf2|\Q$PIN\E/, "$what: ... never the hash or the PIN");
    $r = api(DELETE => "/admin/activations/$number");
    is($r->{code}, 204, "$what: a corrupt activation can be deleted");
}

# --- a decoded NUL in a query argument ------------------------------------
my $MAC = '000b82aa0001';
my $r = api(GET => "/admin/devices/$MAC/rendered?file=cfg$MAC.xml");
is($r->{code}, 200, 'rendered?file=cfg<mac>.xml: 200');
for my $q ("file=cfg$MAC.xml%00junk", "file=cfg$MAC.xml%00", 'file=%00', "file=cfg$MAC.xml&x=%00") {
    $r = api(GET => "/admin/devices/$MAC/rendered?$q");
    is($r->{code}, 400, "rendered?$q: 400");
    unlike($r->{body}, qr/<gs_provision/, "rendered?$q: no file");
}
$r = api(GET => "/admin/devices/$MAC?secrets=1%00");
is($r->{code}, 400, 'GET ?secrets=1%00: 400');

error_log_check(expected_ids => ['GSPROV0706', 'GSPROV0711']);
done_testing();
