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
for d in $dirs; do
    grep -q "^# $d " conf/gsprov.conf || { echo "FAIL: $d not described in conf/gsprov.conf"; fail=1; }
    grep -q "^#### $d\$" README.md || { echo "FAIL: $d has no section in README.md"; fail=1; }
done
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
n=$(wc -w <<<"$dirs")
if [ $fail = 0 ]; then
    echo "check-config-docs: $n directives documented, $m config fields with default and merge rule"
fi
exit $fail
