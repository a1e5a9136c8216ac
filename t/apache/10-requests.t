# Every request kind: per-device, per-model and generic file, exact bodies,
# headers, request notes, unknown devices and models, HEAD.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use GsProvTest;
use GsProvFixtures;
use IO::Socket::INET ();

error_log_mark();

my $XML = 'application/xml; charset=utf-8';

# A successful plain response: status, exact body, headers, notes.
sub served_ok {
    my (%a) = @_;
    my $name = $a{name};
    my $r = http_req(vhost => $a{vhost} || 'tenant_a', path => $a{path});
    is($r->{code}, 200, "$name: 200");
    is($r->{body}, $a{body}, "$name: exact body");
    is($r->{header}->('Content-Type'), $XML, "$name: Content-Type");
    is($r->{header}->('Content-Length'), length $r->{body}, "$name: Content-Length matches the body");
    ok(!defined $r->{header}->('Transfer-Encoding'), "$name: not chunked");
    is($r->{header}->('Cache-Control'), 'no-store', "$name: Cache-Control: no-store");
    my $n = note_for($r);
    ok($n, "$name: notes logged") or return $r;
    is($n->{mac},    $a{mac},  "$name: note gsprov-mac");
    is($n->{file},   $a{file}, "$name: note gsprov-file");
    is($n->{result}, 'ok',     "$name: note gsprov-result");
    return $r;
}

# --- tenant A, per-device files
served_ok(name => 'device Alice', path => '/prov/cfg000b82123456.xml',
          body => expected('a_alice'), mac => '000b82123456', file => 'device-xml');
served_ok(name => 'device Alice, upper-case MAC', path => '/prov/cfg000B82123456.xml',
          body => expected('a_alice'), mac => '000b82123456', file => 'device-xml');
served_ok(name => 'device with groups reversed', path => '/prov/cfg000b82123457.xml',
          body => expected('a_123457'), mac => '000b82123457', file => 'device-xml');
served_ok(name => 'empty device record', path => '/prov/cfg000b82000001.xml',
          body => expected('a_000001'), mac => '000b82000001', file => 'device-xml');
served_ok(name => 'large device file (~26 KB)', path => '/prov/cfg000b82b16b16.xml',
          body => expected('a_big'), mac => '000b82b16b16', file => 'device-xml');
served_ok(name => 'device, query string ignored', path => '/prov/cfg000b82123456.xml?mac=zz&x=../1',
          body => expected('a_alice'), mac => '000b82123456', file => 'device-xml');

# --- tenant A, per-model and generic files
served_ok(name => 'model gxp2170', path => '/prov/cfggxp2170.xml',
          body => expected('a_gxp2170'), mac => undef, file => 'model-xml');
served_ok(name => 'model ht802', path => '/prov/cfght802.xml',
          body => expected('a_ht802'), mac => undef, file => 'model-xml');
served_ok(name => 'generic cfg.xml', path => '/prov/cfg.xml',
          body => expected('a_generic'), mac => undef, file => 'generic-xml');

# --- tenant B (v2 store) and store C (<Location>-level GsProvRoot)
served_ok(name => 'tenant B device', vhost => 'tenant_b', path => '/prov/cfg000b82c0ffee.xml',
          body => expected('b_c0ffee'), mac => '000b82c0ffee', file => 'device-xml');
served_ok(name => 'tenant B model', vhost => 'tenant_b', path => '/prov/cfght802.xml',
          body => expected('b_ht802'), mac => undef, file => 'model-xml');
served_ok(name => 'tenant B generic', vhost => 'tenant_b', path => '/prov/cfg.xml',
          body => expected('b_generic'), mac => undef, file => 'generic-xml');
served_ok(name => 'store C device (no defaults.xml)', path => '/storec/cfg000b82ca0001.xml',
          body => expected('c_ca0001'), mac => '000b82ca0001', file => 'device-xml');
served_ok(name => 'store C model (no defaults.xml)', path => '/storec/cfght802.xml',
          body => expected('c_ht802'), mac => undef, file => 'model-xml');

# --- unknown devices and models: 404, nothing leaked
sub not_found {
    my (%a) = @_;
    my $name = $a{name};
    my $r = http_req(vhost => $a{vhost} || 'tenant_a', path => $a{path});
    is($r->{code}, 404, "$name: 404");
    unlike($r->{body}, qr/gs_provision|<P\d/, "$name: no provisioning data in the body");
    my $n = note_for($r);
    ok($n, "$name: notes logged") or return;
    is($n->{mac},    $a{mac},  "$name: note gsprov-mac");
    is($n->{file},   $a{file}, "$name: note gsprov-file");
    is($n->{result}, 'not-found', "$name: note gsprov-result");
}
not_found(name => 'unknown device', path => '/prov/cfg0123456789ab.xml',
          mac => '0123456789ab', file => 'device-xml');
not_found(name => 'unknown device, upper case', path => '/prov/cfg0123456789AB.xml',
          mac => '0123456789ab', file => 'device-xml');
not_found(name => 'unknown model', path => '/prov/cfggxp9999.xml',
          mac => undef, file => 'model-xml');
not_found(name => 'model name of 32 characters (valid, unknown)', path => '/prov/cfg' . ('a' x 32) . '.xml',
          mac => undef, file => 'model-xml');
not_found(name => '11 hex digits: a model name, not a MAC', path => '/prov/cfg000b8212345.xml',
          mac => undef, file => 'model-xml');
not_found(name => '12 characters, not all hex: a model name', path => '/prov/cfg000b8212345g.xml',
          mac => undef, file => 'model-xml');
not_found(name => 'model of another store (store C has no gxp2170)', path => '/storec/cfggxp2170.xml',
          mac => undef, file => 'model-xml');
not_found(name => 'tenant A device in store C', path => '/storec/cfg000b82123456.xml',
          mac => '000b82123456', file => 'device-xml');

# --- HEAD: same status and headers as GET, no body
for my $case (
    [ 'HEAD device',  'tenant_a', '/prov/cfg000b82123456.xml', 200 ],
    [ 'HEAD model',   'tenant_a', '/prov/cfggxp2170.xml',      200 ],
    [ 'HEAD generic', 'tenant_a', '/prov/cfg.xml',             200 ],
    [ 'HEAD v2 device', 'tenant_b', '/prov/cfg000b82c0ffee.xml', 200 ],
    [ 'HEAD unknown device', 'tenant_a', '/prov/cfg0123456789ab.xml', 404 ],
) {
    my ($name, $vhost, $path, $code) = @$case;
    my $g = http_req(vhost => $vhost, path => $path);
    my $h = http_req(vhost => $vhost, path => $path, method => 'HEAD');
    is($h->{code}, $code, "$name: $code");
    is($h->{body}, '', "$name: no body");
    next unless $code == 200;
    for my $hd (qw(Content-Type Content-Length Cache-Control)) {
        is($h->{header}->($hd), $g->{header}->($hd), "$name: $hd same as GET");
    }
    my $n = note_for($h);
    is($n && $n->{result}, 'ok', "$name: note gsprov-result ok");
}

# --- one persistent connection: HEAD, GET, GET (large), GET 404, GET.
# Responses are framed by Content-Length alone; a HEAD answer with a body or
# a wrong length would desynchronise the following responses.
{
    my $port = Apache::Test::vars('tenant_a_port');
    my @reqs = (
        [ HEAD => '/prov/cfg000b82123456.xml' ],
        [ GET  => '/prov/cfg000b82123456.xml' ],
        [ GET  => '/prov/cfg000b82b16b16.xml' ],
        [ GET  => '/prov/cfg0123456789ab.xml' ],
        [ GET  => '/prov/cfg.xml' ],
    );
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or die "connect: $!";
    binmode $sock;
    for my $i (0 .. $#reqs) {
        my $close = $i == $#reqs ? "Connection: close\r\n" : '';
        print {$sock} "$reqs[$i][0] $reqs[$i][1] HTTP/1.1\r\nHost: localhost\r\n$close\r\n";
    }
    my $raw = '';
    local $SIG{ALRM} = sub { die "timeout on the persistent connection\n" };
    alarm 20;
    while (sysread $sock, my $buf, 65536) { $raw .= $buf }
    alarm 0;
    my @want = (
        [ 200, '' ],
        [ 200, expected('a_alice') ],
        [ 200, expected('a_big') ],
        [ 404, undef ],
        [ 200, expected('a_generic') ],
    );
    for my $i (0 .. $#want) {
        my $name = "keep-alive #$i $reqs[$i][0] $reqs[$i][1]";
        my ($code, $head);
        if ($raw =~ m{\AHTTP/1\.1 (\d{3})[^\r]*\r\n(.*?)\r\n\r\n}s) {
            ($code, $head) = ($1, $2);
            substr($raw, 0, $+[0], '');
        }
        else { fail("$name: response head"); last }
        is($code, $want[$i][0], "$name: $want[$i][0]");
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        unlike($head, qr/^Transfer-Encoding/mi, "$name: not chunked") if $want[$i][0] == 200;
        my $blen = $reqs[$i][0] eq 'HEAD' ? 0 : $len;
        ok(defined $blen, "$name: Content-Length present") or last;
        my $body = substr $raw, 0, $blen, '';
        is($body, $want[$i][1], "$name: body") if defined $want[$i][1];
    }
    is($raw, '', 'keep-alive: nothing left over after the last response');
}

error_log_check(expected_ids => []);
done_testing();
