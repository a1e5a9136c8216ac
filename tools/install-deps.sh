#!/bin/bash
# Install what building, the demo and the tests need (Debian 12).
# Idempotent: does nothing when every package is already there.
set -euo pipefail

PKGS="build-essential pkg-config apache2 apache2-dev libapr1-dev
      libaprutil1-dev libxml2-dev libssl-dev libmemcached-dev memcached
      libapache2-mod-perl2 check curl wrk libxml2-utils openssl valgrind
      xxd procps apache2-utils perl libjansson-dev iproute2"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
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
# memcached services: the demo and the tests run their own instances.
rcd=/usr/sbin/policy-rc.d
if [ ! -e "$rcd" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$rcd"; chmod 755 "$rcd"
    trap 'rm -f "$rcd"' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
