# Changes on disk while the server runs (tenant_reload, GsProvReloadInterval 1):
# device records are read per request; templates are re-read within the
# interval; a broken template keeps the last good version serving and logs
# [error] GSPROV0201 once per broken version.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Time::HiRes ();
use GsProvTest;

error_log_mark();

my $WAIT = 2.2;    # > GsProvReloadInterval 1 (plus mtime granularity slack)
my $H = qq{<?xml version="1.0" encoding="UTF-8"?>\n};

sub get { http_req(vhost => 'tenant_reload', path => "/prov/$_[0]") }
sub layer { my ($params) = @_;
    return $H . qq{<gs_provision version="1">\n  <config version="1">\n}
         . join('', map { "    <$_->[0]>$_->[1]</$_->[0]>\n" } @$params)
         . qq{  </config>\n</gs_provision>\n};
}
sub generic { gs_xml(params => [[P2 => $_[0]]]) }
sub device {
    my ($p2, $p1362, $p3) = @_;
    gs_xml(mac => '000b82ee0001', params => [[P2 => $p2], [P1362 => $p1362], [P3 => $p3]]);
}
sub count_0201 { scalar grep { /\[[^:\]]+:error\]/ && /GSPROV0201/ } error_log_since($_[0]) }

my $defaults = store_file(reload => 'defaults.xml');
my $model    = store_file(reload => 'models/gxp2170.xml');
my $devfile  = store_file(reload => 'devices/000b82ee0001.xml');

# --- starting point
is(get('cfg.xml')->{body}, generic('r-v1'), 'initial generic file');
is(get('cfg000b82ee0001.xml')->{body}, device('r-v1', 'gxp2170-m1', 'dev-v1'), 'initial device file');

# --- device records: read per request, no interval
write_file($devfile, $H . "<device>\n  <model>gxp2170</model>\n  <config version=\"1\"><P3>dev-v2</P3></config>\n</device>\n");
is(get('cfg000b82ee0001.xml')->{body}, device('r-v1', 'gxp2170-m1', 'dev-v2'),
   'changed device record served on the next request');
write_file_inplace($devfile, $H . "<device>\n  <model>gxp2170</model>\n  <config version=\"1\"><P3>dev-v3</P3></config>\n</device>\n");
is(get('cfg000b82ee0001.xml')->{body}, device('r-v1', 'gxp2170-m1', 'dev-v3'),
   'device record edited in place: served on the next request');
my $devsave = slurp($devfile);
unlink $devfile or die;
is(get('cfg000b82ee0001.xml')->{code}, 404, 'removed device record: 404 on the next request');
write_file($devfile, $devsave);
is(get('cfg000b82ee0001.xml')->{code}, 200, 'restored device record: 200 on the next request');
my $newdev = store_file(reload => 'devices/000b82ee0002.xml');
write_file($newdev, $H . "<device>\n</device>\n");
is(get('cfg000b82ee0002.xml')->{body}, gs_xml(mac => '000b82ee0002', params => [[P2 => 'r-v1']]),
   'new device record served on the next request');

# --- template replaced atomically (rename)
write_file($defaults, layer([[P2 => 'r-v2']]));
Time::HiRes::sleep($WAIT);
is(get('cfg.xml')->{body}, generic('r-v2'), 'replaced defaults.xml served after the interval');
is(get('cfg000b82ee0001.xml')->{body}, device('r-v2', 'gxp2170-m1', 'dev-v3'),
   '... and used in device files');

# --- template edited in place (same inode, e.g. by an editor)
write_file_inplace($defaults, layer([[P2 => 'r-v3-in-place']]));
Time::HiRes::sleep($WAIT);
is(get('cfg.xml')->{body}, generic('r-v3-in-place'), 'defaults.xml edited in place: served after the interval');

# --- model template
write_file($model, layer([[P1362 => '${model}-m2']]));
Time::HiRes::sleep($WAIT);
is(get('cfggxp2170.xml')->{body}, gs_xml(params => [[P2 => 'r-v3-in-place'], [P1362 => 'gxp2170-m2']]),
   'changed model template served after the interval');

# --- broken template: last good version keeps serving, one GSPROV0201 per broken version
my $mark = error_log_pos();
write_file($defaults, $H . qq{<gs_provision version="1">\n  <config version="1">\n    <P2>broken-1</P3>\n  </config>\n</gs_provision>\n});
Time::HiRes::sleep($WAIT);
{
    my $r = get('cfg.xml');
    is($r->{code}, 200, 'broken defaults.xml: still 200');
    is($r->{body}, generic('r-v3-in-place'), 'broken defaults.xml: last good version served');
    is(get('cfg000b82ee0001.xml')->{body}, device('r-v3-in-place', 'gxp2170-m2', 'dev-v3'),
       'broken defaults.xml: device files use the last good version');
}
is(count_0201($mark), 1, 'broken defaults.xml: one [error] GSPROV0201 line');
my ($l) = grep { /GSPROV0201/ } error_log_since($mark);
like($l || '', qr{defaults\.xml}, 'GSPROV0201 line names the file');
Time::HiRes::sleep($WAIT);
is(get('cfg.xml')->{body}, generic('r-v3-in-place'), 'same broken version, later: last good still served');
is(count_0201($mark), 1, 'same broken version, later: not logged again');

# a different broken version is logged again
write_file($defaults, $H . qq{<gs_provision version="1">\n  <config version="1">\n    <P2>broken-2, longer</P2>\n});
Time::HiRes::sleep($WAIT);
is(get('cfg.xml')->{body}, generic('r-v3-in-place'), 'second broken version: last good still served');
is(count_0201($mark), 2, 'second broken version: logged once more');

# a well-formed file that is not a gs_provision layer is broken too
write_file($defaults, $H . qq{<device>\n  <model>gxp2170</model>\n</device>\n});
Time::HiRes::sleep($WAIT);
is(get('cfg.xml')->{body}, generic('r-v3-in-place'), 'non-layer XML: last good still served');
is(count_0201($mark), 3, 'non-layer XML: logged');

# fixed: served, no further GSPROV0201
write_file($defaults, layer([[P2 => 'r-v4']]));
Time::HiRes::sleep($WAIT);
is(get('cfg.xml')->{body}, generic('r-v4'), 'fixed defaults.xml served after the interval');
is(count_0201($mark), 3, 'fixed: nothing more logged');

# broken model template
$mark = error_log_pos();
write_file($model, $H . qq{<gs_provision version="1"><config version="1"><P1362>x</config></gs_provision>\n});
Time::HiRes::sleep($WAIT);
is(get('cfggxp2170.xml')->{body}, gs_xml(params => [[P2 => 'r-v4'], [P1362 => 'gxp2170-m2']]),
   'broken model template: last good model served');
is(count_0201($mark), 1, 'broken model template: one GSPROV0201');
($l) = grep { /GSPROV0201/ } error_log_since($mark);
like($l || '', qr{models/gxp2170\.xml}, 'GSPROV0201 line names the model file');

# fix the model again (a snapshot is only swapped in when every file is valid)
write_file($model, layer([[P1362 => '${model}-m3']]));
Time::HiRes::sleep($WAIT);
is(get('cfggxp2170.xml')->{body}, gs_xml(params => [[P2 => 'r-v4'], [P1362 => 'gxp2170-m3']]),
   'fixed model template served after the interval');

# A new model template appearing in the store is picked up as well
# (interpretation: "a template changed on disk" includes a new file).
my $newmodel = store_file(reload => 'models/grp2614.xml');
is(get('cfggrp2614.xml')->{code}, 404, 'model not in the store yet: 404');
write_file($newmodel, layer([[P1362 => 'new-${model}']]));
Time::HiRes::sleep($WAIT);
is(get('cfggrp2614.xml')->{body}, gs_xml(params => [[P2 => 'r-v4'], [P1362 => 'new-grp2614']]),
   'new model template served after the interval');

error_log_check(expected_ids => ['GSPROV0201']);
done_testing();
