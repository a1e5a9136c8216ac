#!/bin/bash
# The Debian package, end to end, on this system: dpkg-buildpackage from
# a copy of the tree (its outputs go to the copy's parent, a scratch dir),
# lintian, the file list, dpkg -i, a2enmod, a tenant on a loopback port of
# the system's own apache2 (its /etc/apache2 with a site of ours, its
# modules, started for the test only and stopped), a device file fetched
# and decrypted, an admin write audited to /var/log/gsprov, an edited
# gsprov.conf kept by a reinstall; then dpkg --purge, and /etc/apache2
# must be exactly as it was (a checksum listing of every file, directory
# and link before and after).  Also make install / uninstall of the same
# build into a DESTDIR.
#
#   t/system/package.sh            (as root; about 2 minutes)
#
# Not root: "package: skipped: not root".  Skipped too, saying why, when
# the package or a make install of gsprov is already on the system, or
# the distribution's apache2 is running: the test would change them.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "package: skipped: not root (the test installs the package on this system)"
    exit 0
fi
. "$(dirname "$0")/harness.sh" package
chmod 755 "$tmp"

skip() { echo "package: skipped: $*"; exit 0; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
for p in libapache2-mod-gsprov gsprov; do
    installed "$p" && skip "$p is installed on this system"
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'config-files' \
        && skip "$p has config files left on this system (dpkg --purge $p first)"
done
for f in /etc/apache2/mods-available/gsprov.load /etc/apache2/mods-available/gsprov.conf \
         /usr/lib/apache2/modules/mod_gsprov.so /etc/apache2/sites-available/gsprov-pkgtest.conf; do
    [ -e "$f" ] && skip "$f exists (a make install?): the package would take it over"
done
if [ -s /var/run/apache2/apache2.pid ] && kill -0 "$(cat /var/run/apache2/apache2.pid)" 2>/dev/null; then
    skip "the distribution's apache2 is running; the test reconfigures it"
fi
for t in dpkg-buildpackage dh_apache2 lintian a2enmod; do
    command -v "$t" >/dev/null || { nok "$t is installed (bash tools/install-deps.sh)"; harness_done; exit 1; }
done
version=$(sed -n 's/^#define GSPROV_VERSION "\(.*\)"/\1/p' "$src/lib/base/gsprov_version.h")

# ---------------------------------------------------------------- cleanup
# Whatever happens, the system is left as it was: our apache2 stopped,
# our site gone, the packages purged, policy-rc.d as it was.
sys_pid=$tmp/run/apache2.pid
rcd=/usr/sbin/policy-rc.d; made_rcd=0
site=/etc/apache2/sites-available/gsprov-pkgtest.conf
store=/var/lib/gsprov/pkgtest
pkg_cleanup() {
    local pid
    set +e
    pid=$(cat "$sys_pid" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    [ -L /etc/apache2/sites-enabled/gsprov-pkgtest.conf ] && a2dissite -q gsprov-pkgtest >/dev/null
    rm -f "$site"
    rm -rf "$store"
    for p in libapache2-mod-gsprov gsprov; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'not-installed' \
            || dpkg --purge "$p" >/dev/null 2>&1
    done
    [ "$made_rcd" = 1 ] && rm -f "$rcd"
}
trap 'pkg_cleanup; _h_exit' EXIT

snapshot() {    # every path of /etc/apache2: type, mode, owner, link target, content
    find /etc/apache2 -printf '%p %y %m %u:%g %l\n' | sort
    find /etc/apache2 -type f -print0 | sort -z | xargs -0 sha256sum
}
snapshot > "$tmp/etc-before"

# ---------------------------------------------------------------- build
# from a copy: dpkg-buildpackage writes to the parent of the tree
mkdir -p "$tmp/build/src"
if [ -e "$src/.git" ]; then     # what git knows, without build outputs
    (cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$tmp/build/src"
else
    (cd "$src" && tar --exclude=./build --exclude=./build-asan --exclude=./.libs --exclude=./t/var -cf - .) | tar -xf - -C "$tmp/build/src"
fi
b=$tmp/build
start=$SECONDS
(cd "$b/src" && dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; rc=$?
echo "# dpkg-buildpackage: exit $rc in $((SECONDS - start)) s"
if [ "$rc" != 0 ]; then
    nok "dpkg-buildpackage -us -uc -b" "$(tail -30 "$tmp/build.log")"; harness_done; exit 1
fi
ok "dpkg-buildpackage -us -uc -b builds"
grep -q 'make -s unit' "$tmp/build.log" && grep -Eq '^100%: Checks: [0-9]+' "$tmp/build.log" \
    && ok "the package build ran the unit tests (100%)" \
    || nok "the package build ran the unit tests" "$(grep -E 'Checks:|unit' "$tmp/build.log" | tail -5)"
check "the build left the work tree's parent alone (outputs in the copy's parent)" "" \
    "$(cd "$src/.." && ls -d ./*gsprov*_"$version"* 2>/dev/null)"
mod_deb=$b/libapache2-mod-gsprov_${version}_$(dpkg --print-architecture).deb
cli_deb=$b/gsprov_${version}_$(dpkg --print-architecture).deb
changes=$b/libapache2-mod-gsprov_${version}_$(dpkg --print-architecture).changes
check "libapache2-mod-gsprov_${version} and gsprov_${version} built" "1 1" \
    "$([ -f "$mod_deb" ] && echo 1) $([ -f "$cli_deb" ] && echo 1)"

echo "# dpkg -c $(basename "$mod_deb"):"; dpkg -c "$mod_deb" | sed 's/^/#   /'
echo "# dpkg -c $(basename "$cli_deb"):"; dpkg -c "$cli_deb" | sed 's/^/#   /'
files=$( { dpkg -c "$mod_deb"; dpkg -c "$cli_deb"; } | awk '{ print $6 }')
for f in ./usr/lib/apache2/modules/mod_gsprov.so ./etc/apache2/mods-available/gsprov.load \
         ./etc/apache2/mods-available/gsprov.conf ./usr/bin/gsprov ./usr/share/man/man1/gsprov.1.gz \
         ./usr/share/man/man8/mod_gsprov.8.gz ./usr/share/gsprov/templates/defaults.xml \
         ./usr/share/gsprov/templates/demo-store/devices/000b82123456.xml \
         ./var/lib/gsprov/ ./var/log/gsprov/ ./etc/logrotate.d/libapache2-mod-gsprov; do
    check "the packages hold $f" 1 "$(grep -cxF -- "$f" <<<"$files")"
done
check "gsprov.load loads the packaged module" 1 \
    "$(dpkg-deb --fsys-tarfile "$mod_deb" | tar -xOf - ./etc/apache2/mods-available/gsprov.load | grep -c '^LoadModule gsprov_module /usr/lib/apache2/modules/mod_gsprov.so$')"

# lintian: clean; what remains is overridden with a reason in debian/
lintian -I --pedantic "$changes" > "$tmp/lintian.out" 2>&1; rc=$?
grep -v '^running with root privileges' "$tmp/lintian.out" > "$tmp/lintian.tags"
echo "# lintian -I --pedantic $(basename "$changes"): exit $rc"; sed 's/^/#   /' "$tmp/lintian.tags"
check "lintian -I --pedantic: no tag (errors, warnings, info, pedantic)" "0 " "$rc $(cat "$tmp/lintian.tags")"

# ---------------------------------------------------------------- install
# no service may start: apt's and dpkg's way is policy-rc.d
if [ ! -e "$rcd" ]; then printf '#!/bin/sh\nexit 101\n' > "$rcd"; chmod 755 "$rcd"; made_rcd=1; fi
dpkg -i "$cli_deb" "$mod_deb" > "$tmp/dpkg-i.log" 2>&1 </dev/null; rc=$?
check "dpkg -i gsprov libapache2-mod-gsprov" 0 "$rc"
[ "$rc" = 0 ] || { sed 's/^/#   /' "$tmp/dpkg-i.log"; harness_done; exit 1; }
check "the install enabled the module (apache2-maintscript-helper)" 1 \
    "$([ -L /etc/apache2/mods-enabled/gsprov.load ] && echo 1)"
a2enmod gsprov > "$tmp/a2enmod.log" 2>&1; rc=$?
check "a2enmod gsprov: exit 0" 0 "$rc"
check "gsprov.conf and gsprov.load are conffiles" 2 \
    "$(dpkg-query -W -f='${Conffiles}\n' libapache2-mod-gsprov | grep -cE '^ /etc/apache2/mods-available/gsprov\.(conf|load) ')"
check "/var/lib/gsprov: www-data's, 750" "www-data:www-data 750" "$(stat -c '%U:%G %a' /var/lib/gsprov)"
check "/var/log/gsprov: root:adm, 750 (like /var/log/apache2)" "root:adm 750" "$(stat -c '%U:%G %a' /var/log/gsprov)"
check "/usr/bin/gsprov --version" "gsprov $version" "$(/usr/bin/gsprov --version)"
check "man gsprov(1) and mod_gsprov(8) are installed" "1 1" \
    "$([ -f /usr/share/man/man1/gsprov.1.gz ] && echo 1) $([ -f /usr/share/man/man8/mod_gsprov.8.gz ] && echo 1)"
check "no apache2 was started by the install" "" \
    "$(cat /var/run/apache2/apache2.pid 2>/dev/null | xargs -r ps -o pid= -p 2>/dev/null)"

# ---------------------------------------------------------------- a tenant
port=$(free_port)
cp -r /usr/share/gsprov/templates/demo-store "$store"
chown -R www-data:www-data "$store"
cat > "$site" <<CONF
# written by mod_gsprov's t/system/package.sh, removed by it
<VirtualHost 127.0.0.1:$port>
    ServerName pkgtest.gsprov.example
    GsProvRoot $store
    GsProvVar sip_server sip.demo.example
    GsProvVar prov_host 127.0.0.1:$port
    GsProvVar admin_password demo-admin-pw
    GsProvAuditLog /var/log/gsprov/pkgtest-audit.log
    <Location /prov>
        SetHandler gsprov
    </Location>
    <Location /admin>
        SetHandler gsprov-admin
        Require ip 127.0.0.1
    </Location>
</VirtualHost>
CONF
check "a2ensite gsprov-pkgtest" 0 "$(a2ensite -q gsprov-pkgtest >/dev/null 2>&1; echo $?)"
# the system's configuration, with our port instead of ports.conf (which
# stays untouched), and its runtime files in the scratch dir
mkdir -p "$tmp/run" "$tmp/lock" "$tmp/log"
sed "s|^Include ports.conf\$|Listen 127.0.0.1:$port|" /etc/apache2/apache2.conf > "$tmp/apache2.conf"
check "apache2.conf includes ports.conf (replaced by our Listen)" 1 "$(grep -c "^Listen 127.0.0.1:$port\$" "$tmp/apache2.conf")"
sysapache() {
    ( set +u; . /etc/apache2/envvars
      export APACHE_PID_FILE=$sys_pid APACHE_RUN_DIR=$tmp/run APACHE_LOCK_DIR=$tmp/lock APACHE_LOG_DIR=$tmp/log
      exec /usr/sbin/apache2 -d /etc/apache2 -f "$tmp/apache2.conf" "$@" )
}
out=$(sysapache -t 2>&1)
check "apachectl -t of the system configuration with the tenant" "Syntax OK" "$(tail -1 <<<"$out")"
sysapache -k start > "$tmp/start.out" 2>&1
code=000
for _ in $(seq 100); do
    code=$(curl -s -o "$tmp/cfg.enc" -w '%{http_code}' "http://127.0.0.1:$port/prov/cfg000b82123456.xml") && [ "$code" = 200 ] && break
    sleep 0.2
done
check "the system apache2 serves cfg000b82123456.xml on 127.0.0.1:$port" 200 "$code"
[ "$code" = 200 ] || { sed 's/^/#   /' "$tmp/start.out"; tail -20 "$tmp/log/error.log" 2>/dev/null | sed 's/^/#   /'; }
openssl enc -d -aes-256-cbc -md md5 -k demo-xml-password -in "$tmp/cfg.enc" -out "$tmp/cfg.xml" 2>/dev/null
check "... encrypted: openssl decrypts it with the device's password" 1 \
    "$(grep -c '<mac>000b82123456</mac>' "$tmp/cfg.xml")"
check "... into a well-formed gs_provision file" 0 "$(xmllint --noout "$tmp/cfg.xml" >/dev/null 2>&1; echo $?)"
check "... with the tenant's variables" 1 "$(grep -c "127.0.0.1:$port/prov" "$tmp/cfg.xml" | awk '{ print ($1 > 0) }')"
code=$(curl -s -o "$tmp/put.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data '{"model":"gxp2170","groups":["sip-account"],"vars":{"ext":"1003","sip_password":"x","display_name":"Pkg"}}' \
    "http://127.0.0.1:$port/admin/devices/000b82feed01")
check "an admin PUT (children as www-data, log dir root's): 201" 201 "$code"
check "... audited to /var/log/gsprov/pkgtest-audit.log" 1 \
    "$(grep -c '"mac":"000b82feed01"' /var/log/gsprov/pkgtest-audit.log 2>/dev/null)"
check "the error log says which version started (GSPROV0901)" 1 \
    "$(grep -c "GSPROV0901: mod_gsprov/$version configured" "$tmp/log/error.log" | awk '{ print ($1 > 0) }')"
pid=$(cat "$sys_pid" 2>/dev/null)
kill -TERM "$pid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "the system apache2 stops" "" "$(kill -0 "$pid" 2>/dev/null && echo running)"

# ---------------------------------------------------------------- upgrade
echo "# a local edit" >> /etc/apache2/mods-available/gsprov.conf
dpkg -i "$mod_deb" > "$tmp/dpkg-i2.log" 2>&1 </dev/null; rc=$?
check "dpkg -i again (an upgrade to the same version), no prompt" 0 "$rc"
check "... the edited gsprov.conf survives" 1 "$(grep -c '^# a local edit$' /etc/apache2/mods-available/gsprov.conf)"

# ---------------------------------------------------------------- purge
a2dissite -q gsprov-pkgtest >/dev/null 2>&1
rm -f "$site"
rm -rf "$store"
dpkg --purge libapache2-mod-gsprov gsprov > "$tmp/purge.log" 2>&1; rc=$?
check "dpkg --purge libapache2-mod-gsprov gsprov" 0 "$rc"
check "... both purged" "0 0" "$(installed libapache2-mod-gsprov && echo 1 || echo 0) $(installed gsprov && echo 1 || echo 0)"
snapshot > "$tmp/etc-after"
if diff -u "$tmp/etc-before" "$tmp/etc-after" > "$tmp/etc.diff"; then
    ok "/etc/apache2 is exactly as before (files, links, modes, owners, contents)"
else
    nok "/etc/apache2 is exactly as before" "$(head -30 "$tmp/etc.diff")"
fi
check "/var/log/gsprov, /var/lib/gsprov (empty) and the logrotate file are gone" "" \
    "$(ls -d /var/log/gsprov /var/lib/gsprov /etc/logrotate.d/libapache2-mod-gsprov 2>/dev/null)"

# ---------------------------------------------------------------- make install
# the same build installed from source into a DESTDIR
d=$tmp/dest
(cd "$b/src" && make install DESTDIR="$d" PREFIX=/usr) > "$tmp/install.log" 2>&1; rc=$?
check "make install DESTDIR=... PREFIX=/usr" 0 "$rc"
check "... without libtool's 'dlname not found'" 0 "$(grep -c 'dlname' "$tmp/install.log")"
for f in usr/lib/apache2/modules/mod_gsprov.so etc/apache2/mods-available/gsprov.load \
         etc/apache2/mods-available/gsprov.conf usr/bin/gsprov usr/share/man/man1/gsprov.1 \
         usr/share/man/man8/mod_gsprov.8 usr/share/gsprov/templates/defaults.xml; do
    check "... installs $f" 1 "$([ -f "$d/$f" ] && echo 1)"
done
echo "# edited" >> "$d/etc/apache2/mods-available/gsprov.conf"
(cd "$b/src" && make install DESTDIR="$d" PREFIX=/usr) > "$tmp/install2.log" 2>&1
check "make install again keeps an edited gsprov.conf" 1 "$(grep -c '^# edited$' "$d/etc/apache2/mods-available/gsprov.conf")"
check "... and puts the new one next to it (.dist), saying so" "1 1" \
    "$(cmp -s "$d/etc/apache2/mods-available/gsprov.conf.dist" "$src/conf/gsprov.conf" && echo 1) $(grep -c 'was edited: kept' "$tmp/install2.log")"
(cd "$b/src" && make uninstall DESTDIR="$d" PREFIX=/usr) > "$tmp/uninstall.log" 2>&1; rc=$?
check "make uninstall" 0 "$rc"
check "... removes the module, the tool, the man pages, the templates and the unedited gsprov.load" "" \
    "$(cd "$d" && ls -d usr/lib/apache2/modules/mod_gsprov.so usr/bin/gsprov usr/share/man/man1/gsprov.1 usr/share/gsprov etc/apache2/mods-available/gsprov.load 2>/dev/null)"
check "... keeps the edited gsprov.conf" 1 "$([ -f "$d/etc/apache2/mods-available/gsprov.conf" ] && echo 1)"

harness_done
