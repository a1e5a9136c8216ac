# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# (sourced: its variables and optional arguments are for the caller)
# The shell harness of the system suites (t/system/*.sh) and the
# benchmarks (bench/common.sh): sourced, never run.
#
#   . "$(dirname "$0")/harness.sh" SUITE
#
# makes a scratch dir $tmp (removed on exit; GSPROV_KEEP=1 keeps it),
# sets $user/$group (who httpd's children run as: nobody when root) and
# installs the one EXIT trap that stops every httpd and memcached started
# through this file, and only those.  Then:
#
#   check DESC EXPECTED ACTUAL      ok when ACTUAL is EXPECTED
#   check_in DESC "A B ..." ACTUAL  ok when ACTUAL is one of the words
#   check_true DESC COMMAND...      ok when COMMAND succeeds
#   check_todo DESC EXPECTED ACTUAL like check; a failure is a known gap
#   ok DESC / nok DESC [DIAG...]    count one check by hand
#   harness_done                    "SUITE: N passed, M failed" (the line
#                                   tools/run-tests.sh counts), its status
#   q COMMAND...                    a setup step, quiet; exit 1 if it fails
#   free_port [N]                   the first of N free consecutive ports
#   httpd_conf_head [-l LEVEL] [-p PROTO] [-P PIDFILE] CONF PORT ERRORLOG [MODULE...]
#                                   writes the head of CONF: a private
#                                   httpd on 127.0.0.1:PORT loading $so
#   httpd ARGS...                   apache2 (GSPROV_PRELOAD: the sanitizer
#                                   runtime preloaded), for -t and the like
#   httpd_start [-X] [-t S] [-u URL] [-c CURL-ARG]... [-o FILE] CONF [PREFIX...]
#                                   starts it (-X: one process in the
#                                   background, e.g. under PREFIX=valgrind)
#                                   and waits until it answers at URL
#   httpd_stop [-t S] [CONF]        stops it (no CONF: every one started)
#   httpd_pids CONF                 its parent and children
#   memcached_start [-o "OPTIONS"] PIDFILE PORT [PREFIX...]
#                                   memcached on 127.0.0.1:PORT, waited for
#   memcached_stop [PIDFILE]        (no PIDFILE: every one started)
#   pg_start DIR PORT [SETTING=VALUE...]
#                                   a private PostgreSQL in DIR (t/system/
#                                   pg.sh: initdb as nobody, database and
#                                   role gsprov), waited for
#   pg_stop [DIR]                   (no DIR: every one started)
#   pg DIR PORT ARGS...             t/system/pg.sh psql (-Atq for scripts)
#
# Knobs: APACHE (/usr/sbin/apache2), APACHE_MODDIR
# (/usr/lib/apache2/modules), GSPROV_PRELOAD, GSPROV_KEEP, TMPDIR.

SUITE=${1:?harness.sh: the suite name}
APACHE=${APACHE:-/usr/sbin/apache2}
APACHE_MODDIR=${APACHE_MODDIR:-/usr/lib/apache2/modules}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gsprov-$SUITE.XXXXXX") || exit 1
# what was started, one line each, tab-separated: a file rather than
# variables, so that a server started in a subshell is still stopped
_H_REG=$tmp/.harness-started
: > "$_H_REG"

# ---------------------------------------------------------------- checks
pass=0; fail=0; _h_n=0
ok() {
    _h_n=$((_h_n + 1)); pass=$((pass + 1)); echo "ok $_h_n - $1"
}
nok() {     # nok DESC [DIAG...]: each DIAG line printed as a comment
    local d=$1 l; shift
    _h_n=$((_h_n + 1)); fail=$((fail + 1)); echo "not ok $_h_n - $d"
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected '$2', got '$3'"; fi
}
check_in() {
    if [[ " $2 " == *" $3 "* ]]; then ok "$1"; else nok "$1" "expected one of '$2', got '$3'"; fi
}
check_true() {
    local d=$1; shift
    if "$@"; then ok "$d"; else nok "$d"; fi
}
check_todo() {  # a known, reported gap: a failure is shown, not counted
    if [ "$2" = "$3" ]; then ok "$1"
    else _h_n=$((_h_n + 1)); echo "not ok $_h_n - $1 # TODO known gap"; echo "#   expected '$2', got '$3'"; fi
}
harness_done() {    # a suite that checked nothing has failed too
    echo "$SUITE: $pass passed, $fail failed"
    [ "$fail" = 0 ] && [ $((pass + fail)) -gt 0 ]
}
q() { "$@" >/dev/null 2>&1 || { echo "setup failed: $*"; exit 1; }; }

# ---------------------------------------------------------------- who, where
harness_user() {    # harness_user [NAME]: httpd's User when run as root
    if [ "$(id -u)" = 0 ]; then
        user=${1:-nobody}; group=$(id -gn "$user")
        AS_USER=(setpriv --reuid="$user" --regid="$group" --clear-groups --)
    else
        user=$(id -un); group=$(id -gn); AS_USER=()
    fi
}
harness_user

# ports below Linux's ephemeral range (32768-), where curl's own are
free_port() {
    local n=${1:-1} used base p busy
    used=" $({ ss -Htan 2>/dev/null || true; } | awk '{sub(/.*:/, "", $4); print $4}' | sort -u | tr '\n' ' ') "
    for _ in $(seq 100); do
        base=$((20000 + RANDOM % 12000)); busy=0
        for ((p = base; p < base + n; p++)); do
            [[ $used == *" $p "* ]] && { busy=1; break; }
        done
        [ "$busy" = 0 ] && break
    done
    echo "$base"
}

# ---------------------------------------------------------------- httpd
_H_ENV=()
[ -n "${GSPROV_PRELOAD:-}" ] && _H_ENV=(env LD_PRELOAD="$GSPROV_PRELOAD"
    ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1)
# the preload reaches httpd only, not curl or openssl
httpd() { "${_H_ENV[@]}" "$APACHE" "$@"; }

# The head every private server shares: Debian's modules, mpm_event, the
# pid file (default CONF with .pid) and runtime files next to each
# other, the error log, the unprivileged user; the caller appends the rest.
httpd_conf_head() {
    local level=warn proto="" pidfile="" o OPTIND=1 m
    while getopts l:p:P: o; do
        case $o in l) level=$OPTARG ;; p) proto=" $OPTARG" ;; P) pidfile=$OPTARG ;; *) return 2 ;; esac
    done
    shift $((OPTIND - 1))
    local conf=$1 port=$2 errlog=$3; shift 3
    pidfile=${pidfile:-${conf%.conf}.pid}
    mkdir -p "$(dirname "$pidfile")" "$(dirname "$errlog")"
    {
        echo "ServerRoot /etc/apache2"
        echo "ServerName 127.0.0.1"
        echo "Listen 127.0.0.1:$port$proto"
        echo "PidFile \"$pidfile\""
        echo "DefaultRuntimeDir \"$(dirname "$pidfile")\""
        echo "ErrorLog \"$errlog\""
        echo "LogLevel $level"
        echo "User $user"
        echo "Group $group"
        for m in mpm_event authz_core "$@"; do
            echo "LoadModule ${m}_module $APACHE_MODDIR/mod_$m.so"
        done
        echo "LoadModule gsprov_module ${so:?harness: \$so, the module under test}"
    } > "$conf"
}

_h_directive() {    # _h_directive NAME CONF: its first top-level value
    sed -n "/^$1 /{s/^$1 *\"\{0,1\}\([^\"]*\)\"\{0,1\} *\$/\1/p;q}" "$2"
}
_h_alive() {        # a zombie is dead
    local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}
_h_ours() {         # _h_ours PID WORD: PID's command line has WORD
    local c; c=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
    [[ $c == *"$2"* ]]
}
_h_children() { { ps -o pid= --ppid "$1" 2>/dev/null || true; } | tr -d ' '; }
_h_forget() {       # _h_forget LINE: off the list of what was started
    grep -vxF -- "$1" "$_H_REG" > "$_H_REG.new" || true
    mv -f "$_H_REG.new" "$_H_REG"
}

# _h_stop SECONDS PID WORD: SIGTERM, and SIGKILL for it and its children
# when it has not ended after SECONDS; 1 if it had to be killed
_h_stop() {
    local secs=$1 pid=$2 word=$3 kids end k rc=0
    if ! _h_ours "$pid" "$word"; then
        wait "$pid" 2>/dev/null || true     # a -X server that has ended
        return 0
    fi
    kids=$(_h_children "$pid")
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    end=$((SECONDS + secs))
    while _h_alive "$pid" && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
    if _h_alive "$pid"; then
        rc=1
        echo "# $word: pid $pid did not end within ${secs}s of SIGTERM: SIGKILL" >&2
        for k in "$pid" $kids; do _h_ours "$k" "$word" && { kill -KILL "$k" 2>/dev/null || true; }; done
        for _ in $(seq 50); do _h_alive "$pid" || break; sleep 0.1; done
    fi
    wait "$pid" 2>/dev/null || true     # reaps a -X server started by this shell
    return $rc
}

_h_httpd_pid() {    # _h_httpd_pid PIDFILE JOBPID: the server's pid
    if [ -n "$2" ]; then echo "$2"; else cat "$1" 2>/dev/null || true; fi
}

httpd_start() {
    local fg=0 secs=30 url="" out="" o OPTIND=1
    local -a curl_args=()
    while getopts Xt:u:c:o: o; do
        case $o in
            X) fg=1 ;; t) secs=$OPTARG ;; u) url=$OPTARG ;; c) curl_args+=("$OPTARG") ;;
            o) out=$OPTARG ;; *) return 2 ;;
        esac
    done
    shift $((OPTIND - 1))
    local conf=$1; shift
    local pidfile errlog port job="" end
    pidfile=$(_h_directive PidFile "$conf"); errlog=$(_h_directive ErrorLog "$conf")
    port=$(sed -n '/^Listen /{s/^Listen \([^ ]*:\)\{0,1\}\([0-9]*\).*/\2/p;q}' "$conf")
    if [ -z "$url" ]; then
        url=http://127.0.0.1:$port/
        grep -q '^ *SSLEngine on' "$conf" && url=https://127.0.0.1:$port/
    fi
    out=${out:-$(dirname "$pidfile")/start.err}
    local cmd=("$@" "${_H_ENV[@]}" "$APACHE")
    _h_forget "$(printf 'httpd\t%s\t%s\t' "$conf" "$pidfile")"
    if [ "$fg" = 1 ]; then
        "${cmd[@]}" -X -f "$conf" >>"$out" 2>&1 &
        job=$!
        printf 'httpd\t%s\t%s\t%s\n' "$conf" "$pidfile" "$job" >> "$_H_REG"
    else
        printf 'httpd\t%s\t%s\t\n' "$conf" "$pidfile" >> "$_H_REG"
        if ! "${cmd[@]}" -f "$conf" -k start >>"$out" 2>&1; then
            _h_start_failed "httpd -k start failed" "$conf" "$out" "$errlog"
            return 1
        fi
    fi
    end=$((SECONDS + secs))
    while [ "$SECONDS" -lt "$end" ]; do
        curl -sk -o /dev/null -m 10 "${curl_args[@]}" "$url" && return 0
        if [ -n "$job" ] && ! _h_alive "$job"; then
            _h_start_failed "httpd -X exited" "$conf" "$out" "$errlog"
            return 1
        fi
        sleep 0.1
    done
    _h_start_failed "httpd did not answer at $url within ${secs}s" "$conf" "$out" "$errlog"
    return 1
}
_h_start_failed() {  # WHY CONF OUTPUT ERRORLOG
    {
        echo "# $1 ($2)"
        [ -s "$3" ] && { echo "# its output ($3):"; tail -20 "$3" | sed 's/^/#   /'; }
        echo "# last lines of $4:"
        { tail -20 "$4" 2>/dev/null || true; } | sed 's/^/#   /'
    } >&2
}

httpd_stop() {
    local secs=10 o OPTIND=1 rc=0 kind conf pidfile job pid
    while getopts t: o; do
        case $o in t) secs=$OPTARG ;; *) return 2 ;; esac
    done
    shift $((OPTIND - 1))
    while IFS=$'\t' read -r kind conf pidfile job; do
        [ "$kind" = httpd ] && { [ $# = 0 ] || [ "$conf" = "$1" ]; } || continue
        pid=$(_h_httpd_pid "$pidfile" "$job")
        [ -n "$pid" ] && { _h_stop "$secs" "$pid" "$conf" || rc=1; }
        rm -f "$pidfile"
        _h_forget "$(printf '%s\t%s\t%s\t%s' "$kind" "$conf" "$pidfile" "$job")"
    done < <(tac "$_H_REG")
    return $rc
}

httpd_pids() {      # httpd_pids CONF: the server's parent and children
    local kind conf pidfile job pid
    while IFS=$'\t' read -r kind conf pidfile job; do
        [ "$kind" = httpd ] && [ "$conf" = "$1" ] || continue
        pid=$(_h_httpd_pid "$pidfile" "$job")
        [ -n "$pid" ] && _h_ours "$pid" "$conf" && { echo "$pid"; _h_children "$pid"; }
    done < "$_H_REG"
    return 0
}

# ---------------------------------------------------------------- memcached
# In the foreground, in the background of this shell: its pid is known at
# once and PIDFILE is written here, not by memcached after it dropped root
# (for nobody, as every suite and benchmark ran it).  Its output goes to
# PIDFILE with .out for .pid.
memcached_start() {
    local opts="" o OPTIND=1 u=() job end
    while getopts o: o; do
        case $o in o) opts=$OPTARG ;; *) return 2 ;; esac
    done
    shift $((OPTIND - 1))
    local pidfile=$1 port=$2; shift 2
    local out=${pidfile%.pid}.out
    [ "$(id -u)" = 0 ] && u=(-u nobody)
    # shellcheck disable=SC2086
    "$@" memcached "${u[@]}" -l 127.0.0.1 -p "$port" $opts >>"$out" 2>&1 &
    job=$!
    echo "$job" > "$pidfile"
    printf 'memcached\t%s\t%s\n' "$pidfile" "$port" >> "$_H_REG"
    end=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$end" ] && _h_alive "$job"; do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    {
        echo "# memcached does not answer on 127.0.0.1:$port; its output ($out):"
        sed 's/^/#   /' "$out"
    } >&2
    return 1
}

memcached_stop() {
    local kind pidfile port pid
    while IFS=$'\t' read -r kind pidfile port; do
        [ "$kind" = memcached ] && { [ $# = 0 ] || [ "$pidfile" = "$1" ]; } || continue
        pid=$(cat "$pidfile" 2>/dev/null) || pid=""
        [ -n "$pid" ] && { _h_stop 5 "$pid" "-p $port " || true; }
        rm -f "$pidfile"
        _h_forget "$(printf '%s\t%s\t%s' "$kind" "$pidfile" "$port")"
    done < <(tac "$_H_REG")
    return 0
}

# ---------------------------------------------------------------- postgresql
_H_PG=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pg.sh
pg_start() {
    local dir=$1 port=$2; shift 2
    _h_forget "$(printf 'pg\t%s' "$dir")"
    printf 'pg\t%s\n' "$dir" >> "$_H_REG"
    bash "$_H_PG" start "$dir" "$port" "$@"
}
pg_stop() {
    local kind dir
    while IFS=$'\t' read -r kind dir _; do
        [ "$kind" = pg ] && { [ $# = 0 ] || [ "$dir" = "$1" ]; } || continue
        bash "$_H_PG" stop "$dir" fast
        _h_forget "$(printf '%s\t%s' "$kind" "$dir")"
    done < <(tac "$_H_REG")
    return 0
}
pg() { local dir=$1 port=$2; shift 2; bash "$_H_PG" psql "$dir" "$port" "$@"; }

# ---------------------------------------------------------------- exit
_h_exit() {
    set +e
    httpd_stop
    memcached_stop
    pg_stop
    if [ -n "${GSPROV_KEEP:-}" ]; then echo "# kept $tmp"
    else chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"; fi
}
trap _h_exit EXIT
trap 'exit 130' INT TERM
