/* Shared helpers for the libcheck unit tests of lib/. */
#ifndef GSPROV_UNIT_H
#define GSPROV_UNIT_H

#include <stdio.h>
#include <check.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <apr_strings.h>
#include "gsprov_error.h"
#include "gsprov_store.h"

/* A fresh pool per test (checked fixture, see unit_tcase()). */
extern apr_pool_t *pool;

/* A TCase with the per-test pool fixture and a generous timeout. */
TCase *unit_tcase(const char *name);

/* A temporary directory (mkdtemp) removed in the fixture teardown. */
const char *unit_tmpdir(void);
/* Write len bytes (len < 0: strlen) to dir/rel, creating parent dirs. */
void unit_write(const char *dir, const char *rel, const char *data, long len);
/* Read a whole file (NUL-terminated) into pool. */
char *unit_read(const char *path, apr_size_t *len);
/* Run a shell command, capture stdout into pool; returns the exit status. */
int unit_run(const char *cmd, char **out, apr_size_t *outlen);

/* One observed device request (the provisioning status), in pool: from
 * 192.0.2.7, a GXP2170 V2.2A on 1.0.11.23, for cfg<mac>.xml. */
gsprov_seen_t unit_seen(const char *mac, const char *kind, apr_int64_t at,
                        int result, const char *version);

/* apr_hash_t from a NULL-terminated list of name, value pairs. */
apr_hash_t *unit_hash(const char *name, ...);

#define ck_assert_status(got, want) do {                                   \
        apr_status_t g_ = (got), w_ = (want);                              \
        ck_assert_msg(g_ == w_, "status %d, expected %d (%s)", (int)g_,    \
                      (int)w_, #want);                                     \
    } while (0)

/* Byte-exact comparison with a readable message. */
#define ck_assert_bytes(got, glen, want) do {                              \
        const char *w__ = (want);                                          \
        apr_size_t wl__ = strlen(w__), gl__ = (glen);                      \
        ck_assert_msg(gl__ == wl__ && memcmp((got), w__, wl__) == 0,       \
                      "got %lu bytes:\n%.*s\nexpected %lu bytes:\n%s",     \
                      (unsigned long)gl__, (int)gl__, (const char *)(got), \
                      (unsigned long)wl__, w__);                           \
    } while (0)

Suite *mac_suite(void);
Suite *bulk_suite(void);
Suite *name_suite(void);
Suite *layer_suite(void);
Suite *device_suite(void);
Suite *merge_suite(void);
Suite *vars_suite(void);
Suite *render_suite(void);
Suite *crypto_suite(void);
Suite *store_suite(void);
Suite *store_dbd_suite(void);
Suite *status_suite(void);
Suite *provision_suite(void);
Suite *binary_suite(void);
Suite *useragent_suite(void);
Suite *firmware_suite(void);
Suite *auth_suite(void);
Suite *cache_suite(void);
Suite *redirect_suite(void);
Suite *admin_suite(void);
Suite *list_suite(void);
Suite *defaults_suite(void);
Suite *log_suite(void);
Suite *cache_provider_suite(void);
Suite *guard_suite(void);
Suite *tplshare_suite(void);
Suite *metrics_suite(void);

#endif
