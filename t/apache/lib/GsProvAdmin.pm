package GsProvAdmin;

# Helpers for the admin API tests (t/94..97): JSON requests with Basic auth
# against vhost tenant_admin, the htpasswd file, the audit log.
#
#   admin_setup()                 htpasswd with users "admin" and "boss"
#   api(METHOD, PATH, body => $perl_or_string, user => 'admin', headers => [...])
#                                 -> http_req result plus {json} (decoded)
#   audit_lines()                 the audit log, decoded, one hash per line
#   admin_store_file($rel)        a file of the admin store

use strict;
use warnings;
use Exporter 'import';
use JSON::PP ();
use MIME::Base64 ();
use File::Spec ();
use GsProvTest;

our @EXPORT = qw(admin_setup api audit_lines admin_store_file json_enc
                 %PW record_xml);

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

sub audit_lines {
    my $f = File::Spec->catfile(logs_dir(), 'gsprov_audit.log');
    return () unless -e $f;
    open my $fh, '<', $f or die;
    my @l;
    while (my $l = <$fh>) {
        chomp $l;
        push @l, $JSON->decode($l);
    }
    return @l;
}

sub admin_store_file { store_file(admin => $_[0]) }

1;
