# Hostile and malformed request names. None may be served (never 200); names
# that reach mod_gsprov must be refused as bad names (gsprov-result bad-name)
# without touching the store; some never get past httpd's own URL checks.
# Since prefix/postfix names , "cfg<mac>" with junk around
# it made of [A-Za-z0-9._~-] is a per-device name with a prefix or postfix:
# those are 404 not-found (the device's P234/P235 are not that junk).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;

error_log_mark();

my $MAC = '000b82123456';    # an existing device in tenant A

# [ path under /prov/ (sent as is, already %-encoded), expected status,
#   expected gsprov-result note: 'bad-name', 'not-found', 'bad-name|not-found'
#   (either is acceptable, see comment), or 'httpd' (httpd itself refuses the
#   URL; mod_gsprov never runs, so no note) ]
my @cases = (
    # MAC length / alphabet
    [ "cfg000B8212345.xml",          404, 'bad-name' ],   # 11 digits, upper case: neither MAC nor model
    [ "cfg000B821234567.xml",        404, 'not-found' ],  # 13 digits, upper case: MAC + postfix "7"
    [ "cfg00:0b:82:12:34:56.xml",    404, 'bad-name' ],   # separators
    [ "cfg00-0b-82-12-34-56.xml",    404, 'bad-name' ],
    [ "cfg000b82.123456.xml",        404, 'bad-name' ],   # dot in the stem
    [ "cfg00_0b82123456.xml",        404, 'bad-name' ],
    [ "cfg000b82%20123456.xml",      404, 'bad-name' ],   # space
    [ "cfg%20$MAC.xml",              404, 'bad-name' ],
    [ "cfg$MAC.xml%20",              404, 'bad-name' ],
    [ "cfg%0a$MAC.xml",              404, 'bad-name' ],   # newline (log injection)
    [ "cfg$MAC%0d%0a.xml",           404, 'bad-name' ],
    [ "cfg%09$MAC.xml",              404, 'bad-name' ],   # tab
    [ "cfg%ff%fe.xml",               404, 'bad-name' ],   # not UTF-8
    [ "cfg%c3%a9.xml",               404, 'bad-name' ],   # UTF-8 letter
    [ "cfg*.xml",                    404, 'bad-name' ],
    [ "cfg~root.xml",                404, 'bad-name' ],
    # case of the fixed parts
    [ "CFG$MAC.xml",                 404, 'bad-name' ],
    [ "Cfg$MAC.xml",                 404, 'bad-name' ],
    [ "cfg$MAC.XML",                 404, 'not-found' ],  # binary with postfix ".XML"
    [ "cfg$MAC.Xml",                 404, 'not-found' ],
    [ "cfgGXP2170.xml",              404, 'bad-name' ],   # model names are lower case only
    [ "cfgGxp2170.xml",              404, 'bad-name' ],
    # prefix / suffix junk
    [ "xcfg$MAC.xml",                404, 'not-found' ],  # prefix "x"
    [ "cfg-$MAC.xml",                404, 'bad-name' ],
    [ "cfg$MAC.xml.bak",             404, 'not-found' ],  # postfix ".bak" after .xml
    [ "cfg$MAC.xmlx",                404, 'not-found' ],  # postfix "x" after .xml
    [ "cfg$MAC.xml~",                404, 'not-found' ],
    [ "cfg$MAC.xml.",                404, 'not-found' ],
    [ "cfg$MAC..xml",                404, 'not-found' ],  # postfix "." before .xml
    [ "cfg$MAC.xml;jsessionid=1",    404, 'bad-name' ],
    [ "cfg$MAC.xml/",                404, 'bad-name' ],   # last segment empty
    [ "cfg$MAC.xml/x",               404, 'bad-name' ],
    [ "cfggxp2170.xml.gz",           404, 'bad-name' ],
    # (cfg<mac> and cfg<mac>.bin are served see 80-binary.t)
    # degenerate stems
    [ "cfg..xml",                    404, 'bad-name' ],
    [ "cfg...xml",                   404, 'bad-name' ],
    [ "cfg%2e%2e.xml",               404, 'bad-name' ],   # decodes to cfg...xml
    [ "cfg.xml.xml",                 404, 'bad-name' ],
    [ "cfg",                         404, 'bad-name' ],
    [ ".xml",                        404, 'bad-name' ],
    [ "",                            404, 'bad-name' ],   # /prov/
    # traversal attempts that reach the module (no encoded slash)
    [ "cfg..%5c..%5cdevices%5c$MAC.xml", 404, 'bad-name' ],   # backslashes
    [ "..%2e",                       404, 'bad-name' ],
    # length limits
    [ "cfg" . ('a' x 33) . ".xml",   404, 'not-found' ],  # not a model (> 32): MAC aaaaaaaaaaaa + postfix, unknown device
    [ "cfg" . ('g' x 33) . ".xml",   404, 'bad-name' ],   # model name > 32, no MAC in it
    [ "cfg" . ('0' x 58) . ".xml",   404, 'bad-name' ],   # 65 characters in all
    [ "cfg" . ('0' x 250) . ".xml",  404, 'bad-name' ],   # 257 characters: longer than NAME_MAX
    [ "cfg" . ('0' x 5000) . ".xml", 404, 'bad-name' ],   # long, but within httpd's request line limit
    # httpd refuses these before any handler runs
    [ "cfg%2e%2e%2fdevices%2f$MAC.xml", 404, 'httpd' ],   # encoded slash (AllowEncodedSlashes Off)
    [ "..%2fdevices%2f$MAC.xml",     404, 'httpd' ],
    [ "..%2f..%2f..%2fetc%2fpasswd", 404, 'httpd' ],
    [ "cfg%00$MAC.xml",              404, 'httpd' ],      # NUL
    [ "cfg$MAC.xml%00",              404, 'httpd' ],
    [ "cfg" . ('0' x 9000) . ".xml", 414, 'httpd' ],      # > LimitRequestLine
);

cmp_ok(scalar @cases, '>=', 25, 'at least 25 hostile names');

for my $c (@cases) {
    my ($name, $code, $note) = @$c;
    my $path = "/prov/$name";
    my $label = length $path > 60
        ? substr($path, 0, 30) . '...(' . length($path) . ' chars)' : $path;
    my $r = http_req(path => $path);
    isnt($r->{code}, 200, "$label: not 200");
    is($r->{code}, $code, "$label: $code");
    unlike($r->{body}, qr/gs_provision|<P\d|Salted__/, "$label: no provisioning data");
    if ($note eq 'httpd') {
        my $n = note_for($r);
        ok(!$n || !defined $n->{result}, "$label: refused by httpd, module not involved");
    }
    else {
        my $n = note_for($r);
        my $got = $n && $n->{result};
        ok(defined $got && $got =~ /^(?:$note)$/, "$label: gsprov-result $note")
            or diag('got gsprov-result ' . (defined $got ? $got : 'none'));
        ok(!defined $n->{mac}, "$label: no gsprov-mac note")
            if $note eq 'bad-name' && $n;
    }
}

# The location itself (no trailing slash) is not a file name either.
my $r = http_req(path => '/prov');
isnt($r->{code}, 200, '/prov: not 200');
is($r->{code}, 404, '/prov: 404');

# All of the above were GETs; HEAD gets the same answer.
$r = http_req(path => "/prov/CFG$MAC.xml", method => 'HEAD');
is($r->{code}, 404, "HEAD /prov/CFG$MAC.xml: 404");
is($r->{body}, '', '... no body');

# Nothing above may have disturbed normal service.
$r = http_req(path => "/prov/cfg$MAC.xml");
is($r->{code}, 200, 'the real device is still served');

error_log_check(expected_ids => []);
done_testing();
