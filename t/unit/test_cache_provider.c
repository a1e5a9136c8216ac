#include "unit.h"
#include "gsprov_cache.h"

static char logged[4][256];
static int nlogged;

static void keep(void *baton, const char *file, int line,
                 gsprov_log_level_e level, const char *msg)
{
    if (nlogged < 4)
        apr_cpystrn(logged[nlogged], msg, sizeof(logged[0]));
    nlogged++;
}
static const gsprov_logger_t logger = { keep, NULL, GSPROV_LOG_DEBUG, NULL };

static gsprov_cache_opts_t mc_opts(const char *config, apr_size_t near)
{
    gsprov_cache_opts_t o = { config, 100, 1, 2, 60, NULL, 0,
                              &gsprov_cache_memcached_provider, near };
    return o;
}

START_TEST(provider_by_name)
{
    ck_assert_ptr_eq(gsprov_cache_provider_find("memcached"),
                     &gsprov_cache_memcached_provider);
    ck_assert_ptr_eq(gsprov_cache_provider_find("MemCached"),
                     &gsprov_cache_memcached_provider);
    ck_assert_ptr_nonnull(gsprov_cache_provider_find("none"));
    ck_assert_str_eq(gsprov_cache_provider_find("NONE")->name, "none");
    ck_assert_ptr_null(gsprov_cache_provider_find("redis"));
    ck_assert_ptr_null(gsprov_cache_provider_find(""));
    ck_assert_ptr_null(gsprov_cache_provider_find(NULL));
    ck_assert_str_eq(gsprov_cache_provider_list(pool),
                     "'none' and 'memcached \"<options>\"'");
}
END_TEST

START_TEST(provider_checks_options)
{
    const gsprov_cache_provider_t *none = gsprov_cache_provider_find("none");
    const gsprov_cache_provider_t *mc = &gsprov_cache_memcached_provider;

    ck_assert_ptr_null(none->check(pool, NULL));
    ck_assert_str_eq(none->check(pool, "x"), "takes no options");
    ck_assert_ptr_null(mc->check(pool, "--SERVER=127.0.0.1:1"));
    ck_assert_str_eq(mc->check(pool, NULL), "needs a libmemcached option "
                     "string, e.g. \"--SERVER=10.0.0.5:11211 "
                     "--SERVER=10.0.0.6:11211\"");
    ck_assert_str_eq(mc->check(pool, ""), mc->check(pool, NULL));
    ck_assert_str_eq(mc->check(pool, "--BINARY-PROTOCOL"),
                     "\"--BINARY-PROTOCOL\": no --SERVER=host:port in the "
                     "option string");
}
END_TEST

/* alike options share the backend and the near cache; others do not */
START_TEST(provider_open_shares_alike)
{
    apr_hash_t *made = apr_hash_make(pool);
    gsprov_cache_opts_t a = mc_opts("--SERVER=127.0.0.1:9", 64 * 1024);
    gsprov_cache_opts_t b = a, c = a;
    gsprov_cache_t *ca, *na, *cb, *nb, *cc, *nc;

    c.ttl = 61;
    nlogged = 0;
    gsprov_cache_provider_open(pool, made, &a, &logger, &ca, &na);
    gsprov_cache_provider_open(pool, made, &b, &logger, &cb, &nb);
    gsprov_cache_provider_open(pool, made, &c, &logger, &cc, &nc);
    ck_assert_ptr_nonnull(ca);
    ck_assert_ptr_nonnull(na);
    ck_assert_ptr_eq(ca, cb);
    ck_assert_ptr_eq(na, nb);
    ck_assert_ptr_nonnull(cc);
    ck_assert_ptr_ne(ca, cc);
    ck_assert_ptr_ne(na, nc);
    ck_assert_uint_eq(cc->ttl, 61);
    ck_assert_int_eq(nlogged, 0);
    /* without a near size, no near cache */
    a.near_bytes = 0;
    gsprov_cache_provider_open(pool, made, &a, &logger, &ca, &na);
    ck_assert_ptr_nonnull(ca);
    ck_assert_ptr_null(na);
}
END_TEST

START_TEST(provider_open_none)
{
    apr_hash_t *made = apr_hash_make(pool);
    gsprov_cache_opts_t o = mc_opts(NULL, 64 * 1024);
    gsprov_cache_t *c = (gsprov_cache_t *)1, *n = (gsprov_cache_t *)1;

    o.provider = NULL;          /* unset: none */
    nlogged = 0;
    gsprov_cache_provider_open(pool, made, &o, &logger, &c, &n);
    ck_assert_ptr_null(c);
    ck_assert_ptr_null(n);
    o.provider = gsprov_cache_provider_find("none");
    gsprov_cache_provider_open(pool, made, &o, &logger, &c, &n);
    ck_assert_ptr_null(c);
    ck_assert_ptr_null(n);
    ck_assert_int_eq(nlogged, 0);
}
END_TEST

/* fail open: logged with its id, the vhost goes without */
START_TEST(provider_open_failures_logged)
{
    apr_hash_t *made = apr_hash_make(pool);
    gsprov_cache_opts_t bad = mc_opts("--SERVR=x", 64 * 1024);
    gsprov_cache_opts_t small = mc_opts("--SERVER=127.0.0.1:9", 1000);
    gsprov_cache_t *c, *n;

    nlogged = 0;
    gsprov_cache_provider_open(pool, made, &bad, &logger, &c, &n);
    ck_assert_ptr_null(c);
    ck_assert_ptr_null(n);
    ck_assert_int_eq(nlogged, 1);
    ck_assert_int_eq(strncmp(logged[0], "GSPROV0503: GsProvCache memcached: ",
                             35), 0);
    ck_assert_ptr_nonnull(strstr(logged[0], "; serving without the cache"));
    gsprov_cache_provider_open(pool, made, &small, &logger, &c, &n);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(n);
    ck_assert_int_eq(nlogged, 2);
    ck_assert_str_eq(logged[1], "GSPROV0505: GsProvCacheNear: a near cache "
                     "needs at least 65536 bytes; serving without it");
}
END_TEST

Suite *cache_provider_suite(void)
{
    Suite *s = suite_create("cache_provider");
    TCase *tc = unit_tcase("cache_provider");
    tcase_add_test(tc, provider_by_name);
    tcase_add_test(tc, provider_checks_options);
    tcase_add_test(tc, provider_open_shares_alike);
    tcase_add_test(tc, provider_open_none);
    tcase_add_test(tc, provider_open_failures_logged);
    suite_add_tcase(s, tc);
    return s;
}
