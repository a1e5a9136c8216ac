#!/bin/bash
# `make test`: every stage, in order; the last line sums them up.
# Each stage's output goes to build/test-logs/<stage>.log and is shown on
# failure.  Stages: docs/config check, include-cycle check, unit tests,
# fuzz replay, the Apache::Test suite (and its admin files with the store in
# PostgreSQL and in SQLite), the gsprov CLI tests, the system
# suites (the Debian package built, installed and purged as root), the unit tests
# and the request path under valgrind, then unit tests + fuzz replay + the
# Apache::Test suite again with AddressSanitizer/UBSan builds.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=build/test-logs
mkdir -p "$logs"
passed=0; failed=0; failed_stages=""
asan_rt=$(gcc -print-file-name=libasan.so)

# count individual checks where a runner reports them, else 1 per stage
count() {
    awk '/Checks: [0-9]+/ { for (i = 1; i < NF; i++) if ($i == "Checks:") { v = $(i + 1); sub(",", "", v); s += v } }
         /^Files=[0-9]+, Tests=[0-9]+/ { match($0, /Tests=[0-9]+/); t = substr($0, RSTART + 6, RLENGTH - 6) }
         /^(cli|valgrind|fw-cert|security|cache|admin-crash|configtest|package|farm|converge|status): [0-9]+ passed/ { s += $2 }
         /inputs replayed/ { for (i = 2; i <= NF; i++) if ($i == "inputs") s += $(i - 1) }
         END { s += t; print (s > 0 ? s : 1) }' "$1"
}

stage() {
    local name=$1; shift
    local log=$logs/$name.log start=$SECONDS
    echo "== $name: $*"
    if "$@" >"$log" 2>&1; then
        local n; n=$(count "$log")
        passed=$((passed + n))
        echo "   ok ($n checks, $((SECONDS - start))s)"
        grep -E '^[0-9]+%: Checks|^All tests successful|^Files=|inputs replayed|^[a-z-]+: [0-9]+ passed' "$log" | sed 's/^/   /'
    else
        failed=$((failed + 1)); failed_stages="$failed_stages $name"
        echo "   FAILED ($((SECONDS - start))s); last lines of $log:"
        tail -40 "$log" | sed 's/^/   | /'
    fi
}

stage config-docs   bash tools/check-config-docs.sh
stage include-cycles bash tools/check-include-cycles.sh
stage unit          make -s unit
stage fuzz-replay   make -s fuzz-replay
stage apache-test   bash t/apache/run.sh "$(pwd)/.libs/mod_gsprov.so"
# the admin API and claim files again, the admin tenant in a database;
# the metrics file counts that tenant's devices seen in the database
dbd_files="93-device-list.t 93-metrics.t 94-admin.t 95-admin-writes.t 96-claim.t 97-admin-config.t 98-bulk.t 98-device-status.t"
# shellcheck disable=SC2086
stage apache-pgsql  env GSPROV_TEST_STORE=pgsql \
                        bash t/apache/run.sh "$(pwd)/.libs/mod_gsprov.so" $dbd_files
# shellcheck disable=SC2086
stage apache-sqlite3 env GSPROV_TEST_STORE=sqlite3 \
                        bash t/apache/run.sh "$(pwd)/.libs/mod_gsprov.so" $dbd_files
stage cli           bash t/system/cli.sh "$(pwd)/gsprov"
stage fw-cert       bash t/system/fw-cert.sh "$(pwd)/.libs/mod_gsprov.so"
stage security      bash t/system/security.sh "$(pwd)/.libs/mod_gsprov.so"
stage cache         bash t/system/cache.sh "$(pwd)/.libs/mod_gsprov.so"
stage farm          bash t/system/farm.sh "$(pwd)/.libs/mod_gsprov.so" "$(pwd)/gsprov"
stage status        bash t/system/status.sh "$(pwd)/.libs/mod_gsprov.so" "$(pwd)/gsprov"
stage admin-crash   bash t/system/admin-crash.sh "$(pwd)/.libs/mod_gsprov.so" "$(pwd)/gsprov"
stage configtest    bash t/system/configtest.sh "$(pwd)/.libs/mod_gsprov.so"
stage package       bash t/system/package.sh
stage converge      bash t/system/converge.sh "$(pwd)/.libs/mod_gsprov.so"
stage valgrind-unit make -s valgrind-unit
stage valgrind-httpd bash t/system/valgrind-httpd.sh "$(pwd)/.libs/mod_gsprov.so"
stage unit-asan     make -s unit-asan
stage asan-build    make -s build-asan/mod_gsprov.so
stage apache-asan   env GSPROV_PRELOAD="$asan_rt" \
                        bash t/apache/run.sh "$(pwd)/build-asan/mod_gsprov.so"
stage cache-asan    env GSPROV_PRELOAD="$asan_rt" \
                        bash t/system/cache.sh "$(pwd)/build-asan/mod_gsprov.so"
# shellcheck disable=SC2086
stage apache-asan-pgsql env GSPROV_PRELOAD="$asan_rt" GSPROV_TEST_STORE=pgsql \
                        bash t/apache/run.sh "$(pwd)/build-asan/mod_gsprov.so" $dbd_files
stage converge-asan env GSPROV_PRELOAD="$asan_rt" \
                        bash t/system/converge.sh "$(pwd)/build-asan/mod_gsprov.so"

echo
[ -z "$failed_stages" ] || echo "failed stages:$failed_stages"
echo "gsprov: $passed passed, $failed failed"
[ "$failed" = 0 ]
