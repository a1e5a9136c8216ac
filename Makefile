# mod_gsprov: Apache httpd 2.4 module for Grandstream provisioning.
#
#   make            build mod_gsprov.so (apxs) and the gsprov tool
#   make install    install the module with apxs, conf into /etc/apache2
#   make test       unit tests, fuzz replay, Apache::Test suite, and the
#                   same again under AddressSanitizer/UBSan
#   make deps       apt-get what building and testing need (root)
#   make demo       start the demo provisioning server on 127.0.0.1:8080
#
# Variables are recursive (=) so that `make deps` works before apxs exists.

APXS      ?= apxs
CC        ?= gcc
PKGS       = libxml-2.0 openssl libmemcached jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) apr-1)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
APR_LIBS   = $(shell pkg-config --libs apr-1 apr-util-1)
WARN       = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
# lib/ is plain C by concern (base, parse, serve, store, cache, admin) with no
# httpd headers; src/ is the httpd layer around it; mod_gsprov.c holds the
# module struct and hooks.  Headers are included by name: -I per folder.
LIB_DIRS   = $(sort $(wildcard lib/*/))
LIB_INC    = $(patsubst %/,-I%,$(LIB_DIRS))
LIB_SRC    = $(sort $(wildcard lib/*/*.c))
LIB_HDR    = $(wildcard lib/*/*.h)
MOD_SRC    = mod_gsprov.c $(sort $(wildcard src/*.c))
MOD_HDR    = mod_gsprov.h $(wildcard src/*.h)

# Objects for unit tests, fuzzers and the CLI (plain gcc, no httpd).
BUILD     ?= build
OPT       ?= -O2 -g
SAN        =
CFLAGS_LIB = -std=gnu11 $(OPT) $(WARN) -fPIC $(SAN) $(LIB_INC) $(PKG_CFLAGS)
LIB_OBJ    = $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))

BINDIR    ?= /usr/local/bin

all: mod_gsprov.so gsprov

# apxs names the module after the first source file: keep mod_gsprov.c first.
.libs/mod_gsprov.so: $(MOD_SRC) $(MOD_HDR) $(LIB_SRC) $(LIB_HDR)
	$(APXS) -c -n gsprov -o mod_gsprov.la \
	    -Wc,-std=gnu11 \
	    $(foreach w,$(WARN),-Wc,$(w)) -I. -Isrc $(LIB_INC) $(PKG_CFLAGS) \
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
CLI_SRC    = tools/gsprov.c tools/gsprov_db.c
gsprov: $(CLI_SRC) tools/gsprov_cli.h $(BUILD)/libgsprov.a $(BUILD)/gsprov_sql.o $(LIB_HDR)
	$(CC) $(CFLAGS_LIB) -Itools $(CLI_SRC) $(BUILD)/gsprov_sql.o \
	    $(BUILD)/libgsprov.a $(APR_LIBS) $(PKG_LIBS) -o $@

# The same module built with ASan/UBSan by plain gcc (not libtool, which
# drops sanitizer link flags); httpd runs it with libasan preloaded.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
build-asan/mod_gsprov.so: $(MOD_SRC) $(MOD_HDR) $(LIB_SRC) $(LIB_HDR)
	@mkdir -p build-asan
	$(CC) -std=gnu11 -O1 -g $(WARN) $(ASAN_FLAGS) -shared -fPIC \
	    $(shell $(APXS) -q CFLAGS) -I$(shell $(APXS) -q INCLUDEDIR) \
	    -I. -Isrc $(LIB_INC) $(PKG_CFLAGS) $(MOD_SRC) $(LIB_SRC) $(PKG_LIBS) -o $@

install: mod_gsprov.so gsprov
	$(APXS) -i -n gsprov .libs/mod_gsprov.so
	install -m 755 gsprov $(BINDIR)/gsprov
	install -m 644 conf/gsprov.load /etc/apache2/mods-available/gsprov.load
	install -m 644 conf/gsprov.conf /etc/apache2/mods-available/gsprov.conf

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

.PHONY: all install deps demo test clean
