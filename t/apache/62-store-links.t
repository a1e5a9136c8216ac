# Links out of a tenant's store (tenant_links_a, tenant_links_b; both re-read
# their templates on every request): a device record, a model template, a
# group and redirect.map of one tenant linked to the other's are refused
# (404 for the device, GSPROV0007 naming the record, GSPROV0308 for its
# firmware, the last good
# templates kept with GSPROV0201), never served; links inside the store keep
# working; the admin API answers 500 naming the file (a record or an
# activation) and never touches the target.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use GsProvTest;
use GsProvAdmin;

error_log_mark();

my $A = store_dir('linka');
my $B = store_dir('linkb');
my $MA = '000b82a10001';
my $MB = '000b82b10001';

sub get_a { http_req(vhost => 'tenant_links_a', path => "/prov/$_[0]") }
sub get_b { http_req(vhost => 'tenant_links_b', path => "/prov/$_[0]") }
sub admin { http_req(vhost => 'tenant_links_a', method => $_[0], path => "/admin/$_[1]") }
sub relink {    # relink(TARGET, LINK): LINK becomes a symbolic link to TARGET
    my ($target, $link) = @_;
    unlink $link;
    symlink $target, $link or die "symlink $link: $!";
}
sub lines_since { my ($mark, $re) = @_; grep { /$re/ } error_log_since($mark) }
sub no_b_secret {   # none of tenant B's secrets in a response
    my ($r, $what) = @_;
    unlike($r->{body}, qr/b-sip-secret|b-group-secret|b-model|b-sales|evil\.example/,
           "$what: nothing of tenant B in the answer");
}

my $devfile_a = gs_xml(mac => $MA, params => [[P2 => 'a-defaults'], [P1362 => 'a-model'],
                                               [P4000 => 'a-sales'], [P3 => 'a-dev-1']]);

# --- the starting point: each tenant its own ---------------------------
is(get_a("cfg$MA.xml")->{body}, $devfile_a, 'tenant A: its device file');
like(get_b("cfg$MB.xml")->{body}, qr{<P34>b-sip-secret-7</P34>}, 'tenant B: its device file');

# --- a device record linked to the other tenant's -----------------------
my @cases = (
    [ 'absolute link', $A, '000b82a1ff01', "$B/devices/$MB.xml",        \&get_a ],
    [ 'relative link', $A, '000b82a1ff02', "../../linkb/devices/$MB.xml", \&get_a ],
    [ 'link to a file outside every store', $A, '000b82a1ff03', '/etc/passwd', \&get_a ],
    [ 'tenant B to tenant A', $B, '000b82b1ff01', "$A/devices/$MA.xml", \&get_b ],
);
for my $c (@cases) {
    my ($what, $store, $mac, $target, $get) = @$c;
    relink($target, "$store/devices/$mac.xml");
    my $mark = error_log_pos();
    for my $f ("cfg$mac.xml", "cfg$mac") {
        my $r = $get->($f);
        is($r->{code}, 404, "$what: $f is 404");
        unlike($r->{body}, qr/a-dev-1|b-sip-secret|root:/, "$what: $f: nothing of the target");
    }
    my @l = lines_since($mark, qr/GSPROV0007/);
    is(scalar @l, 2, "$what: GSPROV0007 logged per request");
    like($l[0], qr{\[gsprov:error\].*device $mac: \Q$store\E/devices/$mac\.xml: leads outside the store},
         "$what: ... naming the record");
    unlike($l[0], qr{\Q$target\E}, "$what: ... not the target");
}
like(get_b("cfg$MB.xml")->{body}, qr{<P34>b-sip-secret-7</P34>}, 'tenant B still serves its own record');
{
    my $mark = error_log_pos();
    my $r = http_req(vhost => 'tenant_links_a', path => '/fw/000b82a1ff01/gxp2170fw.bin');
    is($r->{code}, 404, 'firmware for a device whose record is a link out: 404');
    my @l = lines_since($mark, qr/GSPROV0308/);
    is(scalar @l, 1, '... GSPROV0308 logged');
    like($l[0] // '', qr{devices/000b82a1ff01\.xml: leads outside the store}, '... naming the record');
}

# --- links inside the store keep working ---------------------------------
relink("$MA.xml", "$A/devices/000b82a1aa01.xml");
relink("$A/devices/$MA.xml", "$A/devices/000b82a1aa02.xml");
for my $mac (qw(000b82a1aa01 000b82a1aa02)) {
    (my $want = $devfile_a) =~ s/$MA/$mac/;
    is(get_a("cfg$mac.xml")->{body}, $want, "a link inside the store ($mac): served");
}

# --- the admin API -------------------------------------------------------
{
    my $mark = error_log_pos();
    my $r = admin(GET => 'devices/000b82a1ff01');
    is($r->{code}, 500, 'admin GET of a link out of the store: 500');
    like($r->{body}, qr{GSPROV0711}, '... pointing to the log entry, no path (a 500 shows none)');
    is(scalar lines_since($mark, qr{GSPROV0711: .*devices/000b82a1ff01\.xml: leads outside the store}), 1,
       '... which names the file');
    no_b_secret($r, 'admin GET');
    $r = admin(GET => 'devices/000b82a1ff01/rendered');
    is($r->{code}, 500, 'admin rendered of it: 500');
    no_b_secret($r, 'admin rendered');
    $r = admin(GET => 'devices');
    is($r->{code}, 200, 'admin list: 200');
    no_b_secret($r, 'admin list');
    my ($e) = grep { $_->{mac} eq '000b82a1ff01' } @{ JSON::PP::decode_json($r->{body})->{devices} };
    like($e->{error} // '', qr{leads outside the store}, '... the link listed as unreadable');
    # a record that cannot be read is not deleted through the API (as for
    # any unreadable record): the operator removes the link
    $mark = error_log_pos();
    $r = admin(DELETE => 'devices/000b82a1ff01');
    is($r->{code}, 500, 'admin DELETE of the link: 500, the record cannot be read');
    like($r->{body}, qr{GSPROV0704}, '... pointing to the log entry, no path');
    is(scalar lines_since($mark, qr{GSPROV0704: .*devices/000b82a1ff01\.xml: leads outside the store}), 1,
       '... which names the file');
    ok(-f "$B/devices/$MB.xml", "... tenant B's record is untouched");
    is(get_b("cfg$MB.xml")->{code}, 200, "... and tenant B still serves it");
}
# an activation linked to the other tenant's: corrupt (500), never read
{
    # a valid activation file, made through the admin tenant's API
    admin_setup();
    my $r = api(POST => '/admin/activations',
                body => { number => '4242', pin => '11223344', groups => ['sip-account'],
                          model => 'gxp2170', vars => { ext => '4242', sip_password => 'b-sip-secret-9' } });
    is($r->{code}, 201, 'an activation file made') or diag($r->{body});
    my $json = slurp(admin_store_file('activations/4242.json'));
    is(api(DELETE => '/admin/activations/4242')->{code}, 204, '... and taken out of the admin tenant');
    mkdir "$_/activations" for $A, $B;
    write_file("$_/activations/4242.json", $json) for $A, $B;
    # the control: tenant A's own copy is read
    $r = admin(GET => 'activations/4242');
    is($r->{code}, 200, "tenant A's own activation file: 200") or diag($r->{body});
    relink("$B/activations/4242.json", "$A/activations/4242.json");
    my $mark = error_log_pos();
    $r = admin(GET => 'activations/4242');
    is($r->{code}, 500, 'admin GET of an activation linked out of the store: 500');
    like($r->{body}, qr{GSPROV0711}, '... pointing to the log entry, no path');
    unlike($r->{body}, qr{activations/}, '... not even the relative one');
    is(scalar lines_since($mark, qr{GSPROV0711: .*activations/4242\.json}), 1, '... the log names the file');
    unlike($r->{body}, qr{linkb}, '... not the target');
    no_b_secret($r, 'admin GET activation');
    unlink "$A/activations/4242.json", "$B/activations/4242.json";
}
unlink map { "$A/devices/$_.xml" } qw(000b82a1ff01 000b82a1ff02 000b82a1ff03 000b82a1aa01 000b82a1aa02);
unlink "$B/devices/000b82b1ff01.xml";

# --- templates: a model, a group, redirect.map -----------------------------
my @tpl = (
    [ 'model template', 'models/gxp2170.xml', "$B/models/gxp2170.xml" ],
    [ 'group template', 'groups/sales.xml', '../../linkb/groups/b-only.xml' ],
    [ 'redirect.map', 'redirect.map', "$B/redirect.map" ],
    [ 'models folder', 'models', "$B/models" ],
);
for my $c (@tpl) {
    my ($what, $rel, $target) = @$c;
    my $path = "$A/$rel";
    my $save = "$A/$rel.saved";
    if (-e $path) { rename $path, $save or die "rename $path: $!" }
    relink($target, $path);
    my $mark = error_log_pos();
    for my $i (1, 2) {
        my $r = get_a("cfg$MA.xml");
        is($r->{body}, $devfile_a, "$what linked to tenant B's: still tenant A's last good templates ($i)");
        no_b_secret($r, "$what ($i)");
    }
    my @l = lines_since($mark, qr/GSPROV0201/);
    is(scalar @l, 1, "$what: GSPROV0201 logged once");
    like($l[0] // '', qr{\Q$A/$rel\E: leads outside the store}, "$what: ... naming the file");
    unlink $path;
    if (-e $save) { rename $save, $path or die "rename $save: $!" }
    is(get_a("cfg$MA.xml")->{body}, $devfile_a, "$what restored: served");
}

# --- a group shared inside the store, through a link ----------------------
mkdir "$A/shared";
{
    open my $fh, '>', "$A/shared/common.xml" or die;
    print {$fh} qq{<?xml version="1.0" encoding="UTF-8"?>\n<gs_provision version="1">\n}
              . qq{  <config version="1">\n    <P4001>a-common</P4001>\n  </config>\n</gs_provision>\n};
    close $fh;
}
relink('../shared/common.xml', "$A/groups/common.xml");
{
    open my $fh, '>', "$A/devices/000b82a10002.xml" or die;
    print {$fh} qq{<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <group>common</group>\n</device>\n};
    close $fh;
}
like(get_a('cfg000b82a10002.xml')->{body}, qr{<P4001>a-common</P4001>},
     'a group linked inside the store: loaded and served');

error_log_check(expected_ids => ['GSPROV0007', 'GSPROV0201', 'GSPROV0308', 'GSPROV0704', 'GSPROV0711', 'GSPROV0714']);
done_testing();
