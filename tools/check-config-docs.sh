#!/bin/bash
# Every directive is documented (conf/gsprov.conf and README.md), and every
# field of the directory config has its create default and merge rule.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
dirs=$(grep -o 'AP_INIT_[A-Z0-9_]*("[A-Za-z]*"' gsprov_config.c | sed 's/.*("//; s/"//')
[ -n "$dirs" ] || { echo "check-config-docs: no directives found"; exit 1; }
for d in $dirs; do
    grep -q "^# $d " conf/gsprov.conf || { echo "FAIL: $d not described in conf/gsprov.conf"; fail=1; }
    grep -q "^#### $d\$" README.md || { echo "FAIL: $d has no section in README.md"; fail=1; }
done
fields=$(sed -n '/^typedef struct {/,/} gsprov_dir_conf;/p' mod_gsprov.h \
         | sed 's|/\*.*||; /gsprov_dir_conf;/d' | grep -o '[a-z_]*;' | tr -d ';')
create=$(sed -n '/^void \*gsprov_create_dir_conf/,/^}/p' gsprov_config.c)
merge=$(sed -n '/^void \*gsprov_merge_dir_conf/,/^}/p' gsprov_config.c)
for f in $fields; do
    grep -q "c->$f = " <<<"$create" || { echo "FAIL: field $f has no default in gsprov_create_dir_conf"; fail=1; }
    grep -q "c->$f = " <<<"$merge" || { echo "FAIL: field $f has no merge rule in gsprov_merge_dir_conf"; fail=1; }
done
n=$(wc -w <<<"$dirs"); m=$(wc -w <<<"$fields")
if [ $fail = 0 ]; then
    echo "check-config-docs: $n directives documented, $m config fields with default and merge rule"
fi
exit $fail
