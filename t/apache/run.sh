#!/bin/bash
# Run the Apache::Test suite (t/*.t) against a built mod_gsprov in a real httpd.
#
#   t/apache/run.sh MODULE_SO_PATH [-verbose] [t/apache/NN-name.t ...]
#
# MODULE_SO_PATH  the module to test, e.g. .libs/mod_gsprov.so
# NN-name.t       optional: run only these test files (t/apache/NN-name.t)
# -option         passed on to Apache::Test (t/TEST.PL), e.g. -verbose
#
# Environment:
#   GSPROV_PRELOAD  for sanitizer builds: the runtime to LD_PRELOAD into httpd
#                   (e.g. $(gcc -print-file-name=libasan.so)); ASAN_OPTIONS gets
#                   detect_leaks=0 (httpd's pools are freed at exit, by design).
#   GSPROV_TEST_USER  unprivileged user to run as when invoked as root
#                   (default: nobody); Apache::Test refuses to run as root.
#   GSPROV_TEST_STORE file (default), pgsql or sqlite3: the store of vhost
#                   tenant_admin (the admin API and claim tests, 94-97):
#                   with pgsql a private PostgreSQL (t/system/pg.sh) in
#                   t/var/pg, with sqlite3 a database file in t/var; the
#                   schema made by `gsprov db init` and the fixture stores'
#                   records imported with `gsprov import` (GSPROV_CLI: the
#                   gsprov tool, default ./gsprov of this tree); vhost
#                   tenant_list (t/93-device-list.t) likewise, its records
#                   imported by the test (GSPROV_TEST_CLI,
#                   GSPROV_TEST_DBD_PARAMS).
#
# How it works: the suite (TEST.PL, conf/, lib/, *.t) and the fixture stores
# (t/fixtures/stores/<tenant> -> stores/<tenant>, t/fixtures/fwroot ->
# fwroot) are
# copied into the scratch dir t/var/suite/t, which Apache::Test uses as its
# t/ directory. Everything the run writes (generated httpd.conf, logs/,
# stores edited by the tests) stays under t/var/, so the work tree is never
# dirtied and each run starts clean.
# Logs of the last run: t/var/suite/t/logs/.
#
# Exit status: 0 when every test passed, non-zero otherwise.
set -euo pipefail

die() { echo "run-apache-tests: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: $0 MODULE_SO_PATH [-verbose] [t/NN-name.t ...]"
so_arg=$1; shift

tdir=$(cd "$(dirname "$0")" && pwd)
[ -f "$tdir/TEST.PL" ] || die "cannot find TEST.PL next to $0"
[ -r "$so_arg" ] || die "module not found or unreadable: $so_arg"
so=$(readlink -f "$so_arg")

httpd=/usr/sbin/apache2
apxs=/usr/bin/apxs
httpd_conf=/etc/apache2/apache2.conf
for f in "$httpd" "$apxs" "$httpd_conf"; do
    [ -e "$f" ] || die "$f missing (apt-get install apache2 apache2-dev)"
done
perl -MApache::TestRun -e1 2>/dev/null \
    || die "Apache::Test missing (apt-get install libapache2-mod-perl2)"

scratch=$(cd "$tdir/.." && pwd)/var
suite=$scratch/suite          # Apache::Test's top dir; its t/ is $suite/t
st=$suite/t

run_user=
if [ "$(id -u)" = 0 ]; then
    run_user=${GSPROV_TEST_USER:-nobody}
    id "$run_user" >/dev/null 2>&1 || die "user $run_user does not exist"
fi

# One run at a time per work tree (they share t/var and the ports).
mkdir -p "$scratch"
[ -e "$scratch/.lock" ] || : >"$scratch/.lock"
exec 9<"$scratch/.lock"
if ! flock -n 9; then
    echo "run-apache-tests: waiting for another run in this tree to finish"
    flock 9
fi

# A previous run that was interrupted may have left its httpd running; stop it
# (only that one: the pid from our own scratch dir, and only if it is an
# httpd started with our config).
pidfile=$st/logs/httpd.pid
if [ -f "$pidfile" ]; then
    oldpid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$oldpid" ] && [ -r "/proc/$oldpid/cmdline" ] \
       && tr '\0' ' ' <"/proc/$oldpid/cmdline" | grep -qF "$st/conf/httpd.conf"; then
        echo "run-apache-tests: stopping httpd $oldpid left by an earlier run"
        kill "$oldpid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$oldpid" 2>/dev/null || break; sleep 0.1; done
    fi
fi

# Fresh scratch copy of the suite and the stores.
rm -rf "$suite"
mkdir -p "$st/stores" "$scratch/run" "$scratch/bin"
cp -p "$tdir/TEST.PL" "$st/"
cp -rp "$tdir/conf" "$tdir/lib" "$st/"
cp -p "$tdir"/*.t "$st/"
cp -rp "$tdir/../fixtures/stores/." "$st/stores/"
# the firmware store (t/fixtures/fwroot/<version>/<file> -> fwroot) and the same
# images as plain static files (-> static-fw, same mtimes, so the same ETag and
# Last-Modified) for t/90-firmware.t to compare the firmware handler with
mkdir -p "$st/fwroot" "$st/static-fw"
cp -rp "$tdir/../fixtures/fwroot/." "$st/fwroot/"
cp -rp "$tdir/../fixtures/fwroot/." "$st/static-fw/"
# generated leftovers must not be copied in from a stray in-tree run
rm -f "$st/conf/httpd.conf" "$st/conf/extra.conf" "$st/conf/apache_test_config.pm"

# The admin tenant's store (conf/store-*.conf, included by extra.conf.in):
# the fixture directory, or the same records in a database.
store=${GSPROV_TEST_STORE:-file}
: >"$st/conf/store-admin.conf"
: >"$st/conf/store-admin-a.conf"
: >"$st/conf/store-list.conf"
mkdir -p "$st/stores/list/devices"
case $store in
file) ;;
pgsql|sqlite3)
    cli=$(readlink -f "${GSPROV_CLI:-$tdir/../../gsprov}")
    [ -x "$cli" ] || die "the gsprov tool is needed for $store: make gsprov"
    if [ "$store" = pgsql ]; then
        pgdir=$scratch/pg
        bash "$tdir/../system/pg.sh" stop "$pgdir" immediate 2>/dev/null || true
        rm -rf "$pgdir"; mkdir -p "$pgdir"
        pgport=$(comm -23 <(seq 24000 24999) <(ss -Htan | awk '{sub(/.*:/, "", $4); print $4}' | sort -u) | shuf -n 1)
        bash "$tdir/../system/pg.sh" start "$pgdir" "$pgport" fsync=off             synchronous_commit=off || die "PostgreSQL did not start"
        trap 'bash "$tdir/../system/pg.sh" stop "$pgdir" immediate' EXIT
        params=$(bash "$tdir/../system/pg.sh" params "$pgdir" "$pgport")
        export GSPROV_TEST_SQL="$tdir/../system/pg.sh psql $pgdir $pgport -Atq --no-psqlrc -c"
        init_sql=""
    else
        params=$scratch/admin.sqlite
        rm -f "$params"*
        export GSPROV_TEST_SQL="sqlite3 -cmd '.timeout 5000' $params"
        # no busy_timeout: apr_dbd's SQLite driver waits for a busy
        # database itself, unlocking its process-wide mutex meanwhile;
        # SQLite's own wait would hold that mutex, and the writer it
        # waits for could never commit
        init_sql=""
    fi
    "$cli" db init --driver "$store" --params "$params" >/dev/null
    # import STORE TENANT REJECTED VAR=VALUE...: the store's records into
    # the database; REJECTED of them are broken on purpose (fixtures of
    # the error tests), and lint rejects them
    import_store() {
        local s=$1 t=$2 want=$3 v out a=(); shift 3
        for v in "$@"; do a+=(--var "$v"); done
        out=$("$cli" export --root "$st/stores/$s" 2>/dev/null \
              | "$cli" import --root "$st/stores/$s" --driver "$store" \
                  --params "$params" --tenant "$t" "${a[@]}" 2>&1 | tail -1 || true)
        [[ $out == *", $want rejected" ]] || die "import of store $s: $out"
    }
    import_store admin admin.test 0 sip_server=sip.admin.example \
        ivr_user=provisioning 'ivr_number=*98'
    import_store a a.test 7 sip_server=sip.a.example \
        'company=A&B <Phones> Ltd'
    cat >"$st/conf/store-admin.conf" <<CONF
<IfModule !mod_dbd.c>
    LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
</IfModule>
DBDriver $store
DBDParams "$params"
$init_sql
GsProvStore dbd admin.test
CONF
    echo "GsProvStore dbd a.test" >"$st/conf/store-admin-a.conf"
    # the listing tenant (t/93-device-list.t imports its records itself,
    # with the tool and params exported below)
    cat >"$st/conf/store-list.conf" <<CONF
<IfModule !mod_dbd.c>
    LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
</IfModule>
DBDriver $store
DBDParams "$params"
GsProvStore dbd list.test
CONF
    cp "$cli" "$scratch/bin/gsprov"
    export GSPROV_TEST_CLI=$scratch/bin/gsprov GSPROV_TEST_DBD_PARAMS=$params
    ;;
*) die "GSPROV_TEST_STORE: file, pgsql or sqlite3, not '$store'" ;;
esac
export GSPROV_TEST_STORE=$store

# The module must be readable by the user httpd runs as.
if [ -n "$run_user" ] && ! runuser -u "$run_user" -- test -r "$so"; then
    cp "$so" "$scratch/bin/mod_gsprov.so"
    chmod 0644 "$scratch/bin/mod_gsprov.so"
    so=$scratch/bin/mod_gsprov.so
fi

# httpd wrapper: adds the sanitizer runtime for ASan builds. It is used both
# by Apache::Test (-httpd) and by the "apache2 -t" tests (GSPROV_HTTPD), and
# keeps LD_PRELOAD away from perl, curl and openssl.
wrapper=$scratch/bin/apache2
{
    echo '#!/bin/sh'
    if [ -n "${GSPROV_PRELOAD:-}" ]; then
        [ -r "$GSPROV_PRELOAD" ] || die "GSPROV_PRELOAD not readable: $GSPROV_PRELOAD"
        printf 'LD_PRELOAD=%q; export LD_PRELOAD\n' "$GSPROV_PRELOAD"
        printf 'ASAN_OPTIONS=%q; export ASAN_OPTIONS\n' \
            "${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
        printf 'UBSAN_OPTIONS=%q; export UBSAN_OPTIONS\n' \
            "${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1"
    fi
    # Apache::Test asks "apache2 -V -f apache2.conf -d <its t dir>" for build
    # info; Debian's apache2.conf cannot be parsed relative to that dir (it
    # Includes ports.conf), so answer -V from the stock configuration.
    printf 'if [ "$1" = -V ]; then exec %q -V; fi\n' "$httpd"
    printf 'exec %q "$@"\n' "$httpd"
} >"$wrapper"
chmod 0755 "$wrapper"

if [ -n "$run_user" ]; then
    chown -R "$run_user" "$scratch"
fi

# Debian's apache2.conf refers to these; Apache::Test reads that file for the
# modules to load and runs "apache2 -V" with it. Point them into the scratch
# dir so nothing touches /var/run/apache2 and no "not defined" noise appears.
export APACHE_RUN_USER=${run_user:-$(id -un)}
export APACHE_RUN_GROUP=$(id -gn "$APACHE_RUN_USER")
export APACHE_RUN_DIR=$scratch/run
export APACHE_PID_FILE=$scratch/run/apache2.pid
export APACHE_LOCK_DIR=$scratch/run
export APACHE_LOG_DIR=$scratch/run
export LANG=C
export GSPROV_MODULE=$so
export GSPROV_HTTPD=$wrapper
export APACHE_TEST_NO_STICKY_PREFERENCES=1

# selected test files, in the suite's own (sorted) order: 00-startup.t
# checks the error_log from the start and must run first
# (arguments starting with "-" are passed on to Apache::Test, e.g. -verbose)
tests=()
opts=()
files=()
for a in "$@"; do
    case $a in
        -*) opts+=("$a") ;;
        *)  files+=("$(basename "$a")") ;;
    esac
done
if [ ${#files[@]} -gt 0 ]; then
    while IFS= read -r a; do
        [ -f "$st/$a" ] || die "no such test file: $a"
        tests+=("t/$a")
    done < <(printf '%s\n' "${files[@]}" | sort -u)
fi

as_user() {
    if [ -n "$run_user" ]; then
        # runuser keeps the exported environment; HOME points into scratch
        runuser -u "$run_user" -- env HOME="$scratch" "$@"
    else
        "$@"
    fi
}

cd "$suite"
common=(-apxs "$apxs" -httpd "$wrapper" -httpd_conf "$httpd_conf")

echo "run-apache-tests: module $GSPROV_MODULE${GSPROV_PRELOAD:+ (LD_PRELOAD $GSPROV_PRELOAD)}, admin store: $store"
# (9<&-: httpd must not inherit the lock; a leftover server would hold it)
as_user perl t/TEST.PL -clean >/dev/null 9<&-
rc=0
as_user perl t/TEST.PL "${common[@]}" -port select \
    ${opts[@]+"${opts[@]}"} ${tests[@]+"${tests[@]}"} 9<&- || rc=$?

# Sanitizer reports and crashes after the last test file's own check (e.g. at
# shutdown) only show up here.
log=$st/logs/error_log
if [ -f "$log" ] && grep -nE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|exit signal|AH00052' "$log" >&2; then
    echo "run-apache-tests: FAIL: sanitizer report or crashed child in $log" >&2
    rc=1
fi

if [ "$rc" -ne 0 ]; then
    echo "run-apache-tests: FAILED (exit $rc); logs in $st/logs" >&2
    exit 1
fi
echo "run-apache-tests: all tests passed ($GSPROV_MODULE, admin store: $store)"
