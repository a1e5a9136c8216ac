#!/usr/bin/perl
# Log message ids (GSPROVnnnn) have one form and one home:
#  - every id is a GSPROV_LOGNO(nnnn) literal, at exactly one place in the
#    code (httpd's rule: a message logged from two places gets two ids);
#  - no log call builds an id from a number ("GSPROV%04d") or spells one
#    out ("GSPROV0501: ..."), and the old GSPROV_MSG_* constants are gone;
#  - README.md's log-message table lists every id of the code exactly
#    once, no other, sorted by id.
# One FAIL line per violation; exit 1 if there is any.
use strict;
use warnings;
use FindBin;

chdir "$FindBin::Bin/.." or die "check-log-ids: $!\n";
my @files = grep { -f } ('mod_gsprov.c', 'mod_gsprov.h', glob('src/*.[ch]'),
                         glob('lib/*/*.[ch]'), glob('tools/*.c'));
my (%where, @fail);

# comments become blanks (newlines kept, so line numbers hold); strings stay
sub strip_comments {
    my ($text) = @_;
    $text =~ s{("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(/\*.*?\*/|//[^\n]*)}
              {defined $1 ? $1 : ($2 =~ tr/\n//cdr)}gse;
    return $text;
}

sub line_of { my ($text, $pos) = @_; return 1 + (substr($text, 0, $pos) =~ tr/\n//) }

for my $f (@files) {
    open my $fh, '<', $f or die "check-log-ids: $f: $!\n";
    my $code = strip_comments(do { local $/; <$fh> });
    close $fh;
    while ($code =~ /\bGSPROV_LOGNO\(([^)]*)\)/g) {
        my ($arg, $line) = ($1, line_of($code, $-[0]));
        next if $arg eq 'n' && substr($code, 0, $-[0]) =~ /#\s*define\s*\z/;
        if ($arg !~ /^\d{4}$/) {
            push @fail, "$f:$line: GSPROV_LOGNO($arg): the id must be four digits";
            next;
        }
        push @{ $where{$arg} }, "$f:$line";
    }
    while ($code =~ /\bGSPROV_MSG_\w+/g) {
        push @fail, "$f:" . line_of($code, $-[0]) . ": $&: write the id as a GSPROV_LOGNO(nnnn) literal where it is logged";
    }
    # a log call's arguments, up to the end of its statement
    while ($code =~ /\b(ap_log_\w+|gsprov_log|fprintf|apr_file_printf)\s*\(([^;]*)/g) {
        my ($call, $args, $pos) = ($1, $2, $-[0]);
        if ($args =~ /"GSPROV(%|\d)/) {
            push @fail, "$f:" . line_of($code, $pos) . ": $call writes a message id "
                . ($1 eq '%' ? 'from a number ("GSPROV%...")' : 'spelled out')
                . ": use a GSPROV_LOGNO(nnnn) literal";
        }
    }
}

for my $id (sort keys %where) {
    my @at = @{ $where{$id} };
    push @fail, "GSPROV$id is used at " . scalar(@at) . " places (@at): give each message its own id"
        if @at > 1;
}

# the README table: rows "| GSPROVnnnn | level | meaning |"
open my $rd, '<', 'README.md' or die "check-log-ids: README.md: $!\n";
my (@rows, %listed, $first, $last);
while (my $l = <$rd>) {
    next unless $l =~ /^\|\s*GSPROV(\d{4})\s*\|/;
    push @fail, "README.md:$.: the log-message table is interrupted before this row (keep it one table)"
        if defined $last && $last != $. - 1;
    $first //= $.;
    $last = $.;
    push @rows, [$1, $.];
}
close $rd;
push @fail, "README.md: no log-message table (rows '| GSPROVnnnn | level | meaning |')" unless @rows;
for my $i (0 .. $#rows) {
    my ($id, $line) = @{ $rows[$i] };
    push @fail, "README.md:$line: GSPROV$id is listed again (first at line $listed{$id})"
        if $listed{$id};
    $listed{$id} //= $line;
    push @fail, "README.md:$line: GSPROV$id is out of order (after GSPROV$rows[$i - 1][0]): sort the table by id"
        if $i > 0 && $id lt $rows[$i - 1][0];
    push @fail, "README.md:$line: GSPROV$id is in the table but no code logs it"
        unless $where{$id};
}
for my $id (sort keys %where) {
    push @fail, "GSPROV$id ($where{$id}[0]) is not in README.md's log-message table"
        unless $listed{$id};
}

print "FAIL: $_\n" for @fail;
exit 1 if @fail;
printf "check-log-ids: %d message ids, each logged at one place and listed once in README.md\n",
    scalar keys %where;
exit 0;
