package GsProvAdmin;

# Helpers for the admin API tests (t/94..97): JSON requests with Basic auth
# against vhost tenant_admin, the htpasswd file, the audit log.
#
#   admin_setup()                 htpasswd with users "admin" and "boss"
#   api(METHOD, PATH, body => $perl_or_string, user => 'admin', headers => [...])
#                                 -> http_req result plus {json} (decoded)
#   audit_lines()                 the audit trail, decoded, one hash per line
#   audit_text()                  the whole trail as text (secrets grep)
#   admin_store_file($rel)        a file of the admin store
#   admin_record($mac)            the bytes of a record of the admin store,
#                                 undef if it has none
#   admin_activation($number)     a pending activation as the directory
#                                 store writes it (JSON), undef if none
#
# The admin store is the fixture directory, or with GSPROV_TEST_STORE=
# pgsql|sqlite3 (t/apache/run.sh) a database holding the same records:
# then the records, activations and the trail are read from the database
# (GSPROV_TEST_SQL: a shell command that runs the SQL statement appended), and the
# trail's file is the local copy the database store also writes.

use strict;
use warnings;
use Exporter 'import';
use JSON::PP ();
use MIME::Base64 ();
use File::Spec ();
use GsProvTest;

our @EXPORT = qw(admin_setup api audit_lines audit_text admin_store_file
                 admin_record admin_activation json_enc %PW record_xml);

our %PW = (admin => 'adm-pass-1', boss => 'boss-pass-2');
my $JSON = JSON::PP->new->canonical->allow_nonref;

sub json_enc { $JSON->encode($_[0]) }

sub admin_setup {
    my $f = File::Spec->catfile(t_dir(), 'admin.htpasswd');
    return if -s $f;
    open my $fh, '>', "$f.tmp" or die "open $f: $!";
    for my $u (sort keys %PW) {
        # {SHA} is supported by mod_authn_file and needs no external tool
        require Digest::SHA;
        print {$fh} "$u:{SHA}" . MIME::Base64::encode_base64(Digest::SHA::sha1($PW{$u}), '') . "\n";
    }
    close $fh;
    rename "$f.tmp", $f or die "rename: $!";
}

sub api {
    my ($method, $path, %a) = @_;
    my @h = @{ $a{headers} || [] };
    my $user = exists $a{user} ? $a{user} : 'admin';
    if (defined $user) {
        push @h, Authorization => 'Basic '
            . MIME::Base64::encode_base64("$user:" . ($a{password} // $PW{$user} // 'x'), '');
    }
    my $body = $a{body};
    if (defined $body && ref $body) {
        $body = $JSON->encode($body);
    }
    if (defined $body && !$a{no_ct}) {
        push @h, 'Content-Type' => ($a{ct} || 'application/json');
    }
    my $r = http_req(vhost => 'tenant_admin', method => $method, path => $path,
                     headers => \@h, (defined $body ? (body => $body) : ()));
    my $ct = $r->{header}->('Content-Type') // '';
    if ($ct =~ m{^application/json} && length $r->{body}) {
        $r->{json} = eval { $JSON->decode($r->{body}) };
        $r->{json_error} = $@ if $@;
    }
    return $r;
}

sub db { ($ENV{GSPROV_TEST_STORE} // 'file') ne 'file' }

# One SQL statement's output, undef when it has no row; the last newline
# the client adds is taken off, the value's own bytes are kept.
sub sql {
    my ($q) = @_;
    # (a shell command prefix; the statement is its last argument)
    my @cmd = ('/bin/sh', '-c', ($ENV{GSPROV_TEST_SQL} // die 'GSPROV_TEST_SQL unset') . ' "$1"', 'sh', $q);
    open my $fh, '-|', @cmd or die "@cmd: $!";
    binmode $fh;
    local $/;
    my $out = <$fh>;
    close $fh or die "SQL failed ($?): $q";
    return undef if !defined $out || $out eq '';
    $out =~ s/\n\z//;
    return $out;
}

sub audit_file {
    my $f = File::Spec->catfile(logs_dir(), 'gsprov_audit.log');
    return -e $f ? slurp($f) : '';
}

sub audit_text {
    return audit_file() unless db();
    return join("\n", sql("SELECT entry FROM gsprov_audit WHERE tenant = "
                          . "'admin.test' ORDER BY id") // '', audit_file());
}

sub audit_lines {
    my $text = db() ? sql("SELECT entry FROM gsprov_audit WHERE tenant = "
                          . "'admin.test' ORDER BY id") // ''
                    : audit_file();
    return map { $JSON->decode($_) } grep { length } split /\n/, $text;
}

sub admin_store_file { store_file(admin => $_[0]) }

sub admin_record {
    my ($mac) = @_;
    die "not a MAC: $mac" unless $mac =~ /^[0-9a-f]{12}\z/;
    if (!db()) {
        my $f = admin_store_file("devices/$mac.xml");
        return -e $f ? slurp($f) : undef;
    }
    return sql("SELECT record FROM gsprov_devices WHERE tenant = 'admin.test'"
               . " AND mac = '$mac' AND version <> ''");
}

sub admin_activation {
    my ($n) = @_;
    die "not a number: $n" unless $n =~ /^[0-9]+\z/;
    if (!db()) {
        my $f = admin_store_file("activations/$n.json");
        return -e $f ? slurp($f) : undef;
    }
    my $where = "FROM gsprov_activations WHERE tenant = 'admin.test' AND "
              . "number = '$n' AND pin_hash <> ''";
    my $pin = sql("SELECT pin_hash $where");
    return undef unless defined $pin;
    return $JSON->encode({ number => $n, pin => $pin,
                           profile => $JSON->decode(sql("SELECT profile $where")) });
}

1;
