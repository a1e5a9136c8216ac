/* Runs every suite of the lib/ unit tests; CK_NORMAL prints the summary. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <apr_general.h>
#include <libxml/parser.h>
#include "unit.h"

apr_pool_t *pool;
static apr_pool_t *root_pool;
static char *tmpdir;

static void pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, root_pool), APR_SUCCESS);
    tmpdir = NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void pool_teardown(void)
{
    if (tmpdir) {
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        tmpdir = NULL;
    }
    apr_pool_destroy(pool);
    pool = NULL;
}

TCase *unit_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_set_timeout(tc, 60);
    return tc;
}

const char *unit_tmpdir(void)
{
    if (!tmpdir) {
        const char *base = getenv("TMPDIR");
        tmpdir = apr_pstrcat(pool, base && *base ? base : "/tmp",
                             "/gsprov-unit-XXXXXX", NULL);
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    return tmpdir;
}

void unit_write(const char *dir, const char *rel, const char *data, long len)
{
    char *path = apr_pstrcat(pool, dir, "/", rel, NULL);
    char *slash;
    FILE *f;
    size_t n = len < 0 ? strlen(data) : (size_t)len;

    for (slash = strchr(path + strlen(dir) + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST,
                      "mkdir %s", path);
        *slash = '/';
    }
    f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

char *unit_read(const char *path, apr_size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *b;

    ck_assert_msg(f != NULL, "cannot read %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    b = apr_palloc(pool, (apr_size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    if (len)
        *len = (apr_size_t)n;
    return b;
}

int unit_run(const char *cmd, char **out, apr_size_t *outlen)
{
    FILE *f = popen(cmd, "r");
    char buf[4096];
    size_t n, cap = 4096, used = 0;
    char *b;
    int st;

    ck_assert_msg(f != NULL, "popen %s", cmd);
    b = malloc(cap);
    ck_assert_ptr_nonnull(b);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (used + n + 1 > cap) {
            cap = 2 * (used + n + 1);
            b = realloc(b, cap);
            ck_assert_ptr_nonnull(b);
        }
        memcpy(b + used, buf, n);
        used += n;
    }
    st = pclose(f);
    if (out) {
        *out = apr_pstrmemdup(pool, b, used);
        if (outlen)
            *outlen = used;
    }
    free(b);
    return st;
}

apr_hash_t *unit_hash(const char *name, ...)
{
    apr_hash_t *h = apr_hash_make(pool);
    va_list ap;
    const char *n = name;

    va_start(ap, name);
    while (n) {
        const char *v = va_arg(ap, const char *);
        apr_hash_set(h, n, APR_HASH_KEY_STRING, v);
        n = va_arg(ap, const char *);
    }
    va_end(ap);
    return h;
}

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    xmlInitParser();
    apr_pool_create(&root_pool, NULL);

    sr = srunner_create(mac_suite());
    srunner_add_suite(sr, name_suite());
    srunner_add_suite(sr, layer_suite());
    srunner_add_suite(sr, device_suite());
    srunner_add_suite(sr, merge_suite());
    srunner_add_suite(sr, vars_suite());
    srunner_add_suite(sr, render_suite());
    srunner_add_suite(sr, crypto_suite());
    srunner_add_suite(sr, store_suite());
    srunner_add_suite(sr, store_dbd_suite());
    srunner_add_suite(sr, status_suite());
    srunner_add_suite(sr, provision_suite());
    srunner_add_suite(sr, binary_suite());
    srunner_add_suite(sr, useragent_suite());
    srunner_add_suite(sr, firmware_suite());
    srunner_add_suite(sr, auth_suite());
    srunner_add_suite(sr, cache_suite());
    srunner_add_suite(sr, redirect_suite());
    srunner_add_suite(sr, admin_suite());
    srunner_add_suite(sr, bulk_suite());
    srunner_add_suite(sr, list_suite());
    srunner_add_suite(sr, defaults_suite());
    srunner_add_suite(sr, log_suite());
    srunner_add_suite(sr, cache_provider_suite());
    srunner_add_suite(sr, guard_suite());
    srunner_add_suite(sr, tplshare_suite());
    srunner_add_suite(sr, metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    apr_pool_destroy(root_pool);
    xmlCleanupParser();
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

gsprov_seen_t unit_seen(const char *mac, const char *kind, apr_int64_t at,
                        int result, const char *version)
{
    gsprov_seen_t s;

    memset(&s, 0, sizeof(s));
    s.mac = mac;
    s.kind = kind;
    s.at = at;
    s.result = result;
    s.version = version;
    s.client = "192.0.2.7";
    s.ua_model = "gxp2170";
    s.ua_hardware = "V2.2A";
    s.ua_firmware = "1.0.11.23";
    s.file = apr_pstrcat(pool, "cfg", mac, ".xml", NULL);
    return s;
}
