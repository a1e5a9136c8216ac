#!/bin/bash
# Every directive is documented (conf/gsprov.conf and README.md), every
# field of the directory config has its create default and merge rule, and
# every log message id is logged at one place and listed in README.md
# (tools/check-log-ids.pl).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
dirs=$(grep -o 'AP_INIT_[A-Z0-9_]*("[A-Za-z]*"' src/gsprov_config.c | sed 's/.*("//; s/"//')
[ -n "$dirs" ] || { echo "check-config-docs: no directives found"; exit 1; }

# Every directive of the command table is described once in README.md's
# "Directive reference" and once in conf/gsprov.conf, and the two agree:
# README's "- Syntax:" is the conf entry's first line, both state the same
# Default, and both state the Context the command table gives it.
readme_section() {   # the lines of README's "#### $1" section, up to the next heading
    awk -v h="#### $1" '/^```/ { fence = !fence }
                        !fence && $0 == h { on = 1; next }
                        on && !fence && /^#+ / { exit }
                        on' README.md
}
conf_entry() {       # conf/gsprov.conf's "# $1 ..." entry, up to the blank line
    awk -v h="# $1 " 'index($0, h) == 1 { on = 1 }
                      on && /^$/ { exit }
                      on' conf/gsprov.conf
}
table_context() {    # the Context the command table gives directive $1
    local entry
    entry=$(awk -v d="(\"$1\"," 'index($0, d) { on = 1; print; next }
                                   on && (/AP_INIT_/ || /\{ *NULL/) { exit }
                                   on' src/gsprov_config.c)
    case $entry in
        *ACCESS_CONF*) echo "server config, virtual host, directory, location" ;;
        *RSRC_CONF*)   echo "server config, virtual host" ;;
    esac
}
check_directives() {
    local d sec entry want syn def ctx csyn cdef cctx
    for d in $dirs; do
        case $(grep -c "^#### $d\$" README.md) in
            1) ;;
            0) echo "FAIL: $d has no section in README.md"; fail=1; continue ;;
            *) echo "FAIL: $d has more than one section in README.md"; fail=1; continue ;;
        esac
        case $(grep -c "^# $d " conf/gsprov.conf) in
            1) ;;
            0) echo "FAIL: $d not described in conf/gsprov.conf"; fail=1; continue ;;
            *) echo "FAIL: $d described more than once in conf/gsprov.conf"; fail=1; continue ;;
        esac
        sec=$(readme_section "$d")
        entry=$(conf_entry "$d")
        want=$(table_context "$d")
        syn=$(sed -n 's/^- Syntax: `\(.*\)`$/\1/p' <<<"$sec")
        def=$(sed -n 's/^- Default: //p' <<<"$sec" | tr -d '`')
        ctx=$(sed -n 's/^- Context: //p' <<<"$sec")
        csyn=$(head -1 <<<"$entry" | sed 's/^# //')
        cdef=$(sed -n 's/^#   Default: //p' <<<"$entry")
        cctx=$(sed -n 's/^#   Context: //p' <<<"$entry")
        [ -n "$syn" ] && [ -n "$def" ] && [ -n "$ctx" ] \
            || { echo "FAIL: README.md's $d section lacks a '- Syntax:', '- Default:' or '- Context:' line"; fail=1; continue; }
        [ -n "$cdef" ] && [ -n "$cctx" ] \
            || { echo "FAIL: conf/gsprov.conf's $d entry lacks a 'Default:' or 'Context:' line"; fail=1; continue; }
        case $syn in "$d "*) ;; *) echo "FAIL: README.md's $d syntax does not start with $d: '$syn'"; fail=1 ;; esac
        [ "$syn" = "$csyn" ] || { echo "FAIL: $d syntax: README.md '$syn', conf/gsprov.conf '$csyn'"; fail=1; }
        [ "$def" = "$cdef" ] || { echo "FAIL: $d default: README.md '$def', conf/gsprov.conf '$cdef'"; fail=1; }
        [ -n "$want" ] || { echo "FAIL: $d: no RSRC_CONF/ACCESS_CONF found in its command table entry"; fail=1; continue; }
        [ "$ctx" = "$want" ] || { echo "FAIL: $d context: README.md '$ctx', command table '$want'"; fail=1; }
        [ "$cctx" = "$want" ] || { echo "FAIL: $d context: conf/gsprov.conf '$cctx', command table '$want'"; fail=1; }
        grep -q "^#$d " conf/gsprov.conf || { echo "FAIL: conf/gsprov.conf has no commented-out example line '#$d ...'"; fail=1; }
    done
}
# The user documentation cites nothing an outside reader cannot open: not
# the developers' spec ("spec §7", "spec section 15"), issues ("issue 4",
# "issue \"Secure provisioning\""), nor paths on their machines.
check_doc_refs() {
    local hits
    hits=$(grep -rnIE '[Ss]pec(ification)?( ?§| section| [0-9])|§|[Ii]ssue ?(#|[0-9]|")|/work/|grandstream-provisioning\.md' \
               README.md conf templates || true)
    [ -z "$hits" ] || { echo "FAIL: internal references in the user documentation:"; echo "$hits"; fail=1; }
}
check_directives
check_doc_refs
# every field of a config struct has its create default and merge rule
m=0
check_struct() {   # struct-name create-function merge-function
    local fields create merge f
    fields=$(awk -v end="} $1;" '/^typedef struct \{/ { buf = ""; on = 1; next }
                                 on && index($0, end) == 1 { print buf; on = 0 }
                                 on { buf = buf "\n" $0 }' mod_gsprov.h \
             | grep -v '^[[:space:]]*\*' | sed 's|/\*.*||' | grep -o '[a-z_]*;' | tr -d ';')
    [ -n "$fields" ] || { echo "FAIL: struct $1 not found in mod_gsprov.h"; fail=1; }
    create=$(sed -n "/^void \*$2/,/^}/p" src/gsprov_config.c)
    merge=$(sed -n "/^void \*$3/,/^}/p" src/gsprov_config.c)
    for f in $fields; do
        m=$((m + 1))
        grep -q "c->$f = " <<<"$create" || { echo "FAIL: field $f has no default in $2"; fail=1; }
        # a rule: "c->f = ..." or a line of the cfgMerge macros
        grep -qE "c->$f = |cfgMerge[A-Za-z]*\($f[,)]" <<<"$merge" || { echo "FAIL: field $f has no merge rule in $3"; fail=1; }
    done
}
check_struct gsprov_dir_conf gsprov_create_dir_conf gsprov_merge_dir_conf
check_struct gsprov_srv_conf gsprov_create_srv_conf gsprov_merge_srv_conf
perl tools/check-log-ids.pl || fail=1
# one version: debian/changelog's newest entry is gsprov_version.h's
check_version() {
    local v d
    v=$(sed -n 's/^#define GSPROV_VERSION "\(.*\)"/\1/p' lib/base/gsprov_version.h)
    d=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
    [ -n "$v" ] || { echo "FAIL: no GSPROV_VERSION in lib/base/gsprov_version.h"; fail=1; return; }
    [ "$v" = "$d" ] || { echo "FAIL: version $v (lib/base/gsprov_version.h) but debian/changelog's newest entry is '$d'"; fail=1; }
}
check_version
n=$(wc -w <<<"$dirs")
if [ $fail = 0 ]; then
    echo "check-config-docs: $n directives documented, $m config fields with default and merge rule, version $(sed -n 's/^#define GSPROV_VERSION "\(.*\)"/\1/p' lib/base/gsprov_version.h) in debian/changelog"
fi
exit $fail
