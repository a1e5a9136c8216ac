# mod_gsprov: Apache httpd 2.4 module for Grandstream provisioning.
#
#   make            build mod_gsprov.so (apxs) and the gsprov tool
#   make install    install the module, gsprov, the man pages, the
#                   templates and (unless edited) the conf files;
#                   DESTDIR=/staging and PREFIX=/usr work as usual
#   make uninstall  remove what make install put there (an edited
#                   gsprov.conf stays)
#   make test       unit tests, fuzz replay, Apache::Test suite, and the
#                   same again under AddressSanitizer/UBSan
#   make deps       apt-get what building and testing need (root)
#   make demo       start the demo provisioning server on 127.0.0.1:8080
#
# Variables are recursive (=) so that `make deps` works before apxs exists.
# CFLAGS, CPPFLAGS and LDFLAGS from the environment (dpkg-buildflags:
# hardening) are added to every compile and link.

APXS      ?= apxs
CC        ?= gcc
PKGS       = libxml-2.0 openssl libmemcached jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) apr-1)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
APR_LIBS   = $(shell pkg-config --libs apr-1 apr-util-1)
WARN       = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
# the one place the version is written: lib/base/gsprov_version.h
VERSION    = $(shell sed -n 's/^\#define GSPROV_VERSION "\(.*\)"/\1/p' lib/base/gsprov_version.h)
# lib/ is plain C by concern (base, parse, serve, store, cache, admin) with no
# httpd headers; src/ is the httpd layer around it; mod_gsprov.c holds the
# module struct and hooks.  Headers are included by name: -I per folder.
LIB_DIRS   = $(sort $(wildcard lib/*/))
LIB_INC    = $(patsubst %/,-I%,$(LIB_DIRS))
LIB_SRC    = $(sort $(wildcard lib/*/*.c))
LIB_HDR    = $(wildcard lib/*/*.h)
MOD_SRC    = mod_gsprov.c $(sort $(wildcard src/*.c))
MOD_HDR    = mod_gsprov.h $(wildcard src/*.h)
# the CLI: tools/gsprov.c (main, the subcommands) and its helpers
CLI_SRC    = tools/gsprov.c $(filter-out tools/gsprov.c,$(sort $(wildcard tools/gsprov_*.c)))
CLI_HDR    = $(wildcard tools/gsprov_*.h)

# Objects for unit tests, fuzzers and the CLI (plain gcc, no httpd).
BUILD     ?= build
OPT       ?= -O2 -g
SAN        =
CFLAGS_LIB = -std=gnu11 $(OPT) $(CFLAGS) $(CPPFLAGS) $(WARN) -fPIC $(SAN) \
             $(LIB_INC) $(PKG_CFLAGS)
LIB_OBJ    = $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))

# Where make install puts things.  The module and its conf files go where
# this system's httpd looks for them (apxs), the rest under PREFIX.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/gsprov
MODDIR    ?= $(shell $(APXS) -q LIBEXECDIR)
APACHE_CONFDIR ?= $(shell $(APXS) -q SYSCONFDIR)
MODCONFDIR = $(APACHE_CONFDIR)/mods-available

all: mod_gsprov.so gsprov

# apxs names the module after the first source file: keep mod_gsprov.c first.
.libs/mod_gsprov.so: $(MOD_SRC) $(MOD_HDR) $(LIB_SRC) $(LIB_HDR)
	$(APXS) -c -n gsprov -o mod_gsprov.la \
	    -Wc,-std=gnu11 \
	    $(foreach w,$(CFLAGS) $(CPPFLAGS) $(WARN),-Wc,$(w)) \
	    $(foreach w,$(LDFLAGS),-Wl,$(w)) \
	    -I. -Isrc $(LIB_INC) $(PKG_CFLAGS) \
	    $(MOD_SRC) $(LIB_SRC) $(PKG_LIBS)

mod_gsprov.so: .libs/mod_gsprov.so
	cp .libs/mod_gsprov.so $@

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c $< -o $@

$(BUILD)/libgsprov.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

# The database schema (sql/<engine>/NNN-*.sql) as C, for `gsprov db init`
# and the unit tests; the module only checks the version.
SQL_FILES  = $(sort $(wildcard sql/*/*.sql))
$(BUILD)/gsprov_sql.c: $(SQL_FILES) tools/sql2c.sh
	@mkdir -p $(dir $@)
	bash tools/sql2c.sh sql > $@.tmp && mv $@.tmp $@
$(BUILD)/gsprov_sql.o: $(BUILD)/gsprov_sql.c $(LIB_HDR)
	$(CC) $(CFLAGS_LIB) -c $< -o $@

# The command-line tool, linked from the same lib/ as the module.
gsprov: $(CLI_SRC) $(CLI_HDR) $(BUILD)/libgsprov.a $(BUILD)/gsprov_sql.o $(LIB_HDR)
	$(CC) $(CFLAGS_LIB) -Itools $(CLI_SRC) $(BUILD)/gsprov_sql.o \
	    $(BUILD)/libgsprov.a $(LDFLAGS) $(APR_LIBS) $(PKG_LIBS) -o $@

# The man pages carry the version from gsprov_version.h.
MAN_SRC = man/gsprov.1 man/mod_gsprov.8
$(BUILD)/man/%: man/% lib/base/gsprov_version.h
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/g' $< > $@
man: $(patsubst man/%,$(BUILD)/man/%,$(MAN_SRC))

# The same module built with ASan/UBSan by plain gcc (not libtool, which
# drops sanitizer link flags); httpd runs it with libasan preloaded.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
build-asan/mod_gsprov.so: $(MOD_SRC) $(MOD_HDR) $(LIB_SRC) $(LIB_HDR)
	@mkdir -p build-asan
	$(CC) -std=gnu11 -O1 -g $(WARN) $(ASAN_FLAGS) -shared -fPIC \
	    $(shell $(APXS) -q CFLAGS) -I$(shell $(APXS) -q INCLUDEDIR) \
	    -I. -Isrc $(LIB_INC) $(PKG_CFLAGS) $(MOD_SRC) $(LIB_SRC) $(PKG_LIBS) -o $@

# install(1) writes a new file and renames nothing in place: the module
# file a running httpd has mapped is replaced, not overwritten.  The conf
# files are the administrator's once installed: an edited one is kept and
# the new version goes next to it as .dist.
install: install-module install-conf install-cli install-man install-data

install-module: mod_gsprov.so
	install -d $(DESTDIR)$(MODDIR)
	install -m 644 .libs/mod_gsprov.so $(DESTDIR)$(MODDIR)/mod_gsprov.so

install-conf:
	install -d $(DESTDIR)$(MODCONFDIR) $(BUILD)
	sed 's|/usr/lib/apache2/modules|$(MODDIR)|' conf/gsprov.load > $(BUILD)/gsprov.load
	@for f in $(BUILD)/gsprov.load conf/gsprov.conf; do \
	    t=$(DESTDIR)$(MODCONFDIR)/$${f##*/}; \
	    if [ ! -e $$t ]; then install -m 644 $$f $$t; \
	    elif cmp -s $$f $$t; then :; \
	    else install -m 644 $$f $$t.dist; \
	        echo "make install: $$t was edited: kept; the new version is $$t.dist"; fi; \
	done

install-cli: gsprov
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 gsprov $(DESTDIR)$(BINDIR)/gsprov

install-man: man
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(BUILD)/man/gsprov.1 $(DESTDIR)$(MANDIR)/man1/gsprov.1
	install -m 644 $(BUILD)/man/mod_gsprov.8 $(DESTDIR)$(MANDIR)/man8/mod_gsprov.8

# the starting templates and the demo store, and the example configs
install-data:
	install -d $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(DATADIR)/examples
	cp -R templates/. $(DESTDIR)$(DATADIR)/templates/
	install -m 644 conf/gsprov-secure-vhost.conf conf/fail2ban-gsprov.conf \
	    conf/fail2ban-gsprov-claim.conf $(DESTDIR)$(DATADIR)/examples/

# An edited gsprov.conf (and a .dist left next to it) is the
# administrator's: only an unedited one is removed.
uninstall:
	rm -f $(DESTDIR)$(MODDIR)/mod_gsprov.so $(DESTDIR)$(BINDIR)/gsprov \
	    $(DESTDIR)$(MANDIR)/man1/gsprov.1 $(DESTDIR)$(MANDIR)/man8/mod_gsprov.8
	rm -rf $(DESTDIR)$(DATADIR)
	@mkdir -p $(BUILD)
	@sed 's|/usr/lib/apache2/modules|$(MODDIR)|' conf/gsprov.load > $(BUILD)/gsprov.load
	@for f in $(BUILD)/gsprov.load conf/gsprov.conf; do \
	    t=$(DESTDIR)$(MODCONFDIR)/$${f##*/}; \
	    if [ ! -e $$t ]; then :; \
	    elif cmp -s $$f $$t; then rm -f $$t; \
	    else echo "make uninstall: $$t was edited: kept"; fi; \
	done
	@[ ! -e $(DESTDIR)$(APACHE_CONFDIR)/mods-enabled/gsprov.load ] || \
	    echo "make uninstall: gsprov is still enabled: a2dismod gsprov"

include t/unit/unit.mk

deps:
	bash tools/install-deps.sh

demo: all
	bash tools/demo.sh

test: all
	bash tools/run-tests.sh

clean:
	rm -rf .libs build build-asan *.la *.lo *.o *.slo mod_gsprov.so gsprov \
	    lib/*/*.lo lib/*/*.o lib/*/*.slo lib/*/.libs \
	    src/*.lo src/*.o src/*.slo src/.libs

.PHONY: all man install install-module install-conf install-cli install-man \
        install-data uninstall deps demo test clean
