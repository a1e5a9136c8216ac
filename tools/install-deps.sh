#!/bin/bash
# Install what building, the demo and the tests need (Debian 12); the
# Debian package's build and its test need dpkg-dev, debhelper and
# lintian (dh_apache2 comes with apache2-dev); the metrics test needs
# promtool (package prometheus).
# Idempotent: does nothing when every package is already there.
set -euo pipefail

PKGS="build-essential pkg-config apache2 apache2-dev libapr1-dev
      libaprutil1-dev libxml2-dev libssl-dev libmemcached-dev memcached
      libapache2-mod-perl2 check curl wrk libxml2-utils openssl valgrind
      xxd procps apache2-utils perl libjansson-dev iproute2
      dpkg-dev debhelper fakeroot lintian bsdutils
      libaprutil1-dbd-pgsql libaprutil1-dbd-sqlite3 postgresql sqlite3
      prometheus"

# apache2's mod_ssl is built against the newest libssl3 of the release; an
# older libssl3 left on the machine makes mod_ssl warn at every start
# (AH01882 "compiled against a newer library").  These are brought up to
# the candidate version, not just installed.
CURRENT="libssl3 openssl"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done
for p in $CURRENT; do
    inst=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    if [ -n "$cand" ] && [ "$cand" != "(none)" ] && [ "$inst" != "$cand" ]; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing; run as root" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# policy-rc.d keeps apt from starting the distribution's own apache2 and
# memcached and postgresql services: the demo and the tests run their own
# instances.
rcd=/usr/sbin/policy-rc.d
if [ ! -e "$rcd" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$rcd"; chmod 755 "$rcd"
    trap 'rm -f "$rcd"' EXIT
fi
# shellcheck disable=SC2086
# (CURRENT again: after the update its candidate may be newer than above)
apt-get install -y -q --no-install-recommends $missing $CURRENT
