#!/bin/bash
# No dependency cycles, so that every file can be read, tested and changed
# from the bottom up:
#  - lib/: the include graph of modules (a .c and its .h are one module;
#    "gsprov_x.h" is resolved against every lib/*/ folder, as -I does);
#  - the httpd side (mod_gsprov.c, src/): the include graph, and the graph
#    of which file calls a function another file defines, since the shared
#    mod_gsprov.h declares everything and hides calls from the includes.
#    There mod_gsprov.h is a module of its own: it is the private header
#    of the whole httpd side (config types, what the hooks call), not an
#    interface of mod_gsprov.c, which nothing else calls.
# Exits 1 and prints each cycle (with the #include lines or calls that make
# it) if there is one.  It first checks itself on a tree with known cycles.
# Usage: tools/check-include-cycles.sh [ROOT]
set -euo pipefail
shopt -s nullglob
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)

script=$(cat <<'PERL'
use strict;

my (@lib, @mod, $in_mod);
for (@ARGV) { if ($_ eq '--') { $in_mod = 1 } elsif ($in_mod) { push @mod, $_ } else { push @lib, $_ } }
@ARGV = ();

my %own_module;     # headers that are a module of their own (httpd side)
sub module {
    my ($f) = @_;
    $f =~ s{.*/}{};
    return $f if $own_module{$f};
    $f =~ s{\.[ch]$}{};
    return $f;
}
sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!\n"; local $/; <$fh> }

# C text without comments, string and character literals (kept as empty
# quotes) and preprocessor lines, line breaks preserved for line numbers
sub code_of {
    my ($t) = @_;
    $t =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'}
           { my $m = $&; $m =~ /^["']/ ? '""' . ("\n" x ($m =~ tr/\n//)) : "\n" x ($m =~ tr/\n//) }gse;
    $t =~ s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg;
    return $t;
}

# edges: $g{from}{to} = "file:line: why" (the first seen)
sub include_edges {
    my ($g, $files) = @_;
    my %known = map { (my $b = $_) =~ s{.*/}{}; ($b => 1) } @$files;
    for my $f (@$files) {
        my $from = module($f);
        $g->{$from} //= {};
        my $n = 0;
        for my $line (split /\n/, slurp($f)) {
            $n++;
            next unless $line =~ /^\s*#\s*include\s*"([^"]+)"/;
            my $h = $1;
            (my $base = $h) =~ s{.*/}{};
            next unless $known{$base};
            my $to = module($base);
            next if $to eq $from;
            $g->{$from}{$to} //= "$f:$n: #include \"$h\"";
            $g->{$to} //= {};
        }
    }
}

# which .c defines which external function, and who calls (or takes the
# address of) it: a definition is a name and its parameter list followed
# by '{' at file level, without `static`
sub call_edges {
    my ($g, $files) = @_;
    my (%def, %code);
    for my $f (grep { /\.c$/ } @$files) {
        my $c = $code{$f} = code_of(slurp($f));
        my ($depth, $decl) = (0, '');
        for my $ch (split //, $c) {
            if ($ch eq '{') {
                if ($depth == 0 && $decl =~ /(\w+)\s*\((?:[^()]|\([^()]*\))*\)\s*$/s) {
                    my $name = $1;
                    $def{$name} = $f unless $decl =~ /\bstatic\b/;
                }
                $depth++;
            }
            elsif ($ch eq '}') { $depth--; $decl = '' if $depth == 0 }
            elsif ($depth == 0) { $ch eq ';' ? ($decl = '') : ($decl .= $ch) }
        }
    }
    for my $f (sort keys %code) {
        my $from = module($f);
        $g->{$from} //= {};
        my $n = 1;
        for my $line (split /\n/, $code{$f}) {
            while ($line =~ /\b([A-Za-z_]\w*)\b/g) {
                my $d = $def{$1};
                next unless $d && $d ne $f && module($d) ne $from;
                $g->{$from}{module($d)} //= "$f:$n: uses $1() of $d";
            }
            $n++;
        }
    }
}

# Tarjan's strongly connected components; a component of more than one
# module holds a cycle: print one through each
sub cycles {
    my ($what, $g) = @_;
    my ($index, @stack, %idx, %low, %on, @sccs) = (0);
    my $visit;
    $visit = sub {
        my ($v) = @_;
        $idx{$v} = $low{$v} = $index++;
        push @stack, $v; $on{$v} = 1;
        for my $w (sort keys %{ $g->{$v} }) {
            if (!defined $idx{$w}) { $visit->($w); $low{$v} = $low{$w} if $low{$w} < $low{$v} }
            elsif ($on{$w}) { $low{$v} = $idx{$w} if $idx{$w} < $low{$v} }
        }
        if ($low{$v} == $idx{$v}) {
            my @c;
            while (1) { my $w = pop @stack; $on{$w} = 0; push @c, $w; last if $w eq $v }
            push @sccs, [sort @c] if @c > 1;
        }
    };
    $idx{$_} // $visit->($_) for sort keys %$g;
    for my $scc (@sccs) {
        my %in = map { $_ => 1 } @$scc;
        # shortest way from the first module back to itself (BFS)
        my $start = $scc->[0];
        my %prev; my @q = ($start); my $end;
        BFS: while (@q) {
            my $v = shift @q;
            for my $w (sort keys %{ $g->{$v} }) {
                next unless $in{$w};
                if ($w eq $start) { $end = $v; last BFS }
                next if exists $prev{$w};
                $prev{$w} = $v; push @q, $w;
            }
        }
        my @path = ($end);
        unshift @path, $prev{$path[0]} while $path[0] ne $start;
        push @path, $start;
        print "CYCLE ($what): ", join(' -> ', @path), "\n";
        print "    $g->{$path[$_]}{$path[$_ + 1]}\n" for 0 .. $#path - 1;
        print "    (all of: @$scc)\n" if @$scc > @path - 1;
    }
    return scalar @sccs;
}

my (%lib, %mod_inc, %mod_call);
include_edges(\%lib, \@lib);
$own_module{'mod_gsprov.h'} = 1;
include_edges(\%mod_inc, \@mod);
call_edges(\%mod_call, \@mod);
my $bad = cycles('lib/ includes', \%lib) + cycles('httpd-side includes', \%mod_inc)
        + cycles('httpd-side calls', \%mod_call);
my $edges = 0; $edges += keys %{ $lib{$_} } for keys %lib;
if ($bad) { print "check-include-cycles: $bad cycle(s)\n"; exit 1 }
printf "check-include-cycles: %d lib/ modules, %d includes, %d httpd-side files: no cycle\n",
       scalar(keys %lib), $edges, scalar(grep { /\.c$/ } @mod);
PERL
)

check() {
    (cd "$1" && perl -w -e "$script" lib/*/*.[ch] -- mod_gsprov.[ch] src/*.[ch])
}

# one cycle of each kind (across lib/ folders; a call hidden from the
# includes; a name in a comment is no call), or this check cannot fail
self_test() {
    local t out rc=0
    t=$(mktemp -d)
    trap 'rm -rf "$t"' RETURN
    mkdir -p "$t/lib/a" "$t/lib/b" "$t/src"
    printf '#include "gsprov_y.h"\n' >"$t/lib/a/gsprov_x.h"
    printf '#include "gsprov_x.h"\n' >"$t/lib/a/gsprov_x.c"
    printf '#include <apr.h>\n' >"$t/lib/b/gsprov_y.h"
    printf '#include "gsprov_x.h"\n' >"$t/lib/b/gsprov_y.c"
    printf '#include "mod_gsprov.h"\nint gsprov_hook(void) { return gsprov_helper() + gsprov_k_fn(); }\nint gsprov_back(void)\n{\n    return 0;\n}\n' >"$t/mod_gsprov.c"
    printf 'int gsprov_helper(void);\nint gsprov_back(void);\n' >"$t/mod_gsprov.h"
    printf '#include "mod_gsprov.h"\n#include "gsprov_k.h"\nint gsprov_helper(void) { return gsprov_back(); }\n' >"$t/src/gsprov_h.c"
    printf '#include "mod_gsprov.h"\n#include "gsprov_h.h"\n/* not a call: gsprov_hook() */\nint gsprov_k_fn(void) { return puts("gsprov_back()"); }\n' >"$t/src/gsprov_k.c"
    : >"$t/src/gsprov_h.h"; : >"$t/src/gsprov_k.h"
    out=$(check "$t") || rc=$?
    local want
    for want in 'CYCLE (lib/ includes): gsprov_x -> gsprov_y -> gsprov_x' \
                'CYCLE (httpd-side includes): gsprov_h -> gsprov_k -> gsprov_h' \
                'CYCLE (httpd-side calls): gsprov_h -> mod_gsprov -> gsprov_h' \
                'check-include-cycles: 3 cycle(s)'; do
        grep -qxF "$want" <<<"$out" || {
            echo "check-include-cycles: self-test: no '$want' in:"
            echo "$out"
            return 1
        }
    done
    ! grep -q 'all of' <<<"$out" \
        || { echo "check-include-cycles: self-test: a comment or string counted as a call:"; echo "$out"; return 1; }
    [ "$rc" = 1 ] || { echo "check-include-cycles: self-test: exit $rc"; return 1; }
}

self_test
check "$root"
