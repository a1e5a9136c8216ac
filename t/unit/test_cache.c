/* The cache layer with an in-memory backend whose failures the tests
 * choose: hit/miss/error paths, fail open, value checks, key inputs,
 * counters and the once-per-interval message. */
#include "unit.h"
#include "gsprov_cache.h"
#include "gsprov_crypto.h"

static const char *dir;
static gsprov_store_t *store;
static const gsprov_templates_t *tpl;
static gsprov_settings_t set;

/* the fake backend: an apr_hash, and what to do next */
typedef struct {
    apr_hash_t *h;
    int fail_get, fail_set;     /* answer errors */
    int gets, sets;
} fake_t;

static gsprov_cache_result_e fake_get(gsprov_cache_t *c, apr_pool_t *p,
                                      const char *key, char **val,
                                      apr_size_t *len, const char **why)
{
    fake_t *f = c->impl;
    const struct iovec *v;
    f->gets++;
    if (f->fail_get) {
        *why = "injected failure";
        return GSPROV_CACHE_ERROR;
    }
    if (!(v = apr_hash_get(f->h, key, APR_HASH_KEY_STRING)))
        return GSPROV_CACHE_MISS;
    *val = apr_pmemdup(p, v->iov_base, v->iov_len);
    *len = v->iov_len;
    return GSPROV_CACHE_HIT;
}

static apr_status_t fake_set(gsprov_cache_t *c, apr_pool_t *p,
                             const char *key, const char *val,
                             apr_size_t len, apr_uint32_t ttl,
                             const char **why)
{
    fake_t *f = c->impl;
    struct iovec *v = apr_palloc(pool, sizeof(*v));
    f->sets++;
    if (f->fail_set) {
        *why = "injected failure";
        return GSPROV_EIO;
    }
    v->iov_base = apr_pmemdup(pool, val, len);
    v->iov_len = len;
    apr_hash_set(f->h, apr_pstrdup(pool, key), APR_HASH_KEY_STRING, v);
    return APR_SUCCESS;
}

static const gsprov_cache_ops_t fake_ops = { "fake", fake_get, fake_set };
static fake_t fake;
static gsprov_cache_t cache;
static gsprov_stats_t stats;
static int logged[1000];

static void count_log(void *baton, const char *file, int line,
                      gsprov_log_level_e level, const char *msg)
{
    int msgid = gsprov_log_msgid(msg);
    if (msgid > 0 && msgid < 1000)
        logged[msgid]++;
}
static const gsprov_logger_t logger = { count_log, NULL, GSPROV_LOG_DEBUG,
                                        NULL };

static void setup(void)
{
    char *err = NULL;
    dir = unit_tmpdir();
    unit_write(dir, "defaults.xml", "<gs_provision><config><P1>d</P1>"
               "<P2>${x}</P2></config></gs_provision>", -1);
    unit_write(dir, "models/gxp2170.xml", "<gs_provision><config>"
               "<P3>gxp</P3></config></gs_provision>", -1);
    unit_write(dir, "models/ht802.xml", "<gs_provision><config>"
               "<P3>ht</P3></config></gs_provision>", -1);
    unit_write(dir, "devices/000b82000001.xml", "<device><password>pw"
               "</password><config><P4>one</P4></config></device>", -1);
    unit_write(dir, "devices/000b82000002.xml", "<device><config><P4>two"
               "</P4></config></device>", -1);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &store, &err)
                  == APR_SUCCESS, "%s", err);
    tpl = gsprov_store_templates(store, pool, apr_time_from_sec(3600));
    memset(&set, 0, sizeof(set));
    set.tenant_vars = unit_hash("x", "1", NULL);
    set.key_digest = GSPROV_MD_MD5;
    set.binary = GSPROV_BINARY_BOOTSTRAP;
    memset(&fake, 0, sizeof(fake));
    fake.h = apr_hash_make(pool);
    cache.ops = &fake_ops;
    cache.impl = &fake;
    cache.ttl = 60;
    gsprov_stats_init(&stats, "t.test");
    memset(logged, 0, sizeof(logged));
}

static gsprov_name_t *nm(const char *fname)
{
    gsprov_name_t *n = apr_palloc(pool, sizeof(*n));
    ck_assert(gsprov_name_resolve(fname, strlen(fname), n));
    return n;
}

static apr_status_t serve(const char *fname, gsprov_output_t *out,
                          gsprov_served_e *served)
{
    gsprov_serve_ctx_t sc;
    char *err = NULL;
    memset(&sc, 0, sizeof(sc));
    sc.cache = &cache;
    sc.tenant = "t.test";
    sc.request_name = fname;
    sc.stats = &stats;
    sc.log = &logger;
    sc.log_interval = apr_time_from_sec(60);
    return gsprov_cache_serve(pool, store, tpl, nm(fname), &set, &sc, out, served,
                        &err);
}

static const char *key(const char *fname)
{
    return gsprov_cache_key(pool, store, tpl, nm(fname), &set, "t.test",
                            fname);
}

START_TEST(miss_then_hit)
{
    gsprov_output_t a, b;
    gsprov_served_e s;
    unsigned char *dec;
    apr_size_t dlen;

    ck_assert_status(serve("cfg000b82000001.xml", &a, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_int_eq(fake.sets, 1);
    ck_assert_status(serve("cfg000b82000001.xml", &b, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_int_eq(fake.sets, 1);
    /* the same ciphertext (a render would have a new salt) */
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.body, b.body, a.len);
    ck_assert_int_eq(b.encrypted, 1);
    ck_assert_str_eq(b.content_type, GSPROV_CT_ENCRYPTED);
    ck_assert_int_eq(b.kind, GSPROV_KIND_DEVICE_XML);
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, b.body, b.len,
                                    &dec, &dlen), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr((char *)dec, "<P4>one</P4>"));
    ck_assert_uint_eq(stats.cache_misses, 1);
    ck_assert_uint_eq(stats.cache_hits, 1);
    ck_assert_uint_eq(stats.cache_stores, 1);
    ck_assert_uint_eq(stats.renders, 1);
}
END_TEST

START_TEST(plain_and_binary_kinds)
{
    gsprov_output_t a, b;
    gsprov_served_e s;
    ck_assert_status(serve("cfg000b82000002.xml", &a, &s), APR_SUCCESS);
    ck_assert_status(serve("cfg000b82000002.xml", &b, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_str_eq(b.content_type, GSPROV_CT_XML);
    ck_assert_int_eq(b.encrypted, 0);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.body, b.body, a.len);
    ck_assert_status(serve("cfg000b82000002", &a, &s), APR_SUCCESS);
    ck_assert_status(serve("cfg000b82000002", &b, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_int_eq(b.kind, GSPROV_KIND_DEVICE_BIN);
    ck_assert_str_eq(b.content_type, GSPROV_CT_BINARY);
    ck_assert_mem_eq(a.body, b.body, a.len);
    /* the model the file was rendered for survives the cache */
    ck_assert_status(serve("cfggxp2170.xml", &a, &s), APR_SUCCESS);
    ck_assert_status(serve("cfggxp2170.xml", &b, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_str_eq(b.model, "gxp2170");
    ck_assert_int_eq(b.kind, GSPROV_KIND_MODEL_XML);
}
END_TEST

START_TEST(not_found_not_cached)
{
    gsprov_output_t a;
    gsprov_served_e s;
    ck_assert_status(serve("cfg000b82ffffff.xml", &a, &s), GSPROV_ENOTFOUND);
    ck_assert_int_eq(fake.gets, 0);
    ck_assert_int_eq(fake.sets, 0);
    ck_assert_ptr_null(key("cfg000b82ffffff.xml"));
}
END_TEST

START_TEST(get_error_fails_open_without_set)
{
    gsprov_output_t a;
    gsprov_served_e s;
    int i;
    fake.fail_get = 1;
    for (i = 0; i < 50; i++) {
        ck_assert_status(serve("cfg000b82000002.xml", &a, &s), APR_SUCCESS);
        ck_assert_int_eq(s, GSPROV_SERVED_CACHE_ERROR);
        ck_assert_ptr_nonnull(strstr(a.body, "<P4>two</P4>"));
    }
    /* a store after a failed get would wait on the same server again */
    ck_assert_int_eq(fake.sets, 0);
    ck_assert_uint_eq(stats.cache_errors, 50);
    /* one message, the rest counted */
    ck_assert_int_eq(logged[501], 1);
    ck_assert_uint_eq(stats.unlogged[GSPROV_THROTTLE_CACHE_FAILED], 49);
    ck_assert_uint_eq(stats.error_id, 501);
    ck_assert_ptr_nonnull(strstr(stats.error_text, "injected failure"));
}
END_TEST

START_TEST(set_error_fails_open)
{
    gsprov_output_t a;
    gsprov_served_e s;
    fake.fail_set = 1;
    ck_assert_status(serve("cfg000b82000002.xml", &a, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_CACHE_ERROR);
    ck_assert_uint_eq(stats.cache_store_errors, 1);
    ck_assert_int_eq(logged[501], 1);
}
END_TEST

/* garbage, a truncated value, a flipped byte, another key's value: all
 * rejected and rendered again, then replaced */
START_TEST(bad_values_rejected)
{
    const char *k1 = key("cfg000b82000001.xml"),
               *k2 = key("cfg000b82000002.xml");
    gsprov_output_t a, b;
    gsprov_served_e s;
    struct iovec *v = apr_palloc(pool, sizeof(*v)), *good;
    unsigned char *dec;
    apr_size_t dlen;
    char *copy;

    ck_assert_status(serve("cfg000b82000002.xml", &a, &s), APR_SUCCESS);
    good = apr_hash_get(fake.h, k2, APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(good);
    switch (_i) {
    case 0:
        v->iov_base = "garbage";
        v->iov_len = 7;
        break;
    case 1:     /* truncated */
        v->iov_base = good->iov_base;
        v->iov_len = good->iov_len - 1;
        break;
    case 2:     /* one body byte flipped */
        copy = apr_pmemdup(pool, good->iov_base, good->iov_len);
        copy[good->iov_len - 5] ^= 1;
        v->iov_base = copy;
        v->iov_len = good->iov_len;
        break;
    default:    /* another device's (valid) value under this key */
        *v = *good;
        break;
    }
    apr_hash_set(fake.h, k1, APR_HASH_KEY_STRING, v);
    ck_assert_status(serve("cfg000b82000001.xml", &b, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_uint_eq(stats.cache_rejected, 1);
    ck_assert_int_eq(logged[502], 1);
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, b.body, b.len,
                                    &dec, &dlen), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr((char *)dec, "<P4>one</P4>"));
    ck_assert_status(serve("cfg000b82000001.xml", &a, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
}
END_TEST

/* every input the bytes depend on changes the key; nothing else does */
START_TEST(key_inputs)
{
    const char *f = "cfg000b82000001.xml", *k = key(f), *k2;
    gsprov_ua_t ua;
    apr_array_header_t *extra = apr_array_make(pool, 1, sizeof(char *));
    char *err = NULL;

    ck_assert_int_eq(strlen(k), 8 + 64);
    ck_assert_str_eq(k, key(f));                    /* stable */
    ck_assert_str_ne(k, key("cfg000b82000002.xml"));
    ck_assert_str_ne(k, key("cfg000b82000001"));
    ck_assert_str_ne(k, gsprov_cache_key(pool, store, tpl, nm(f), &set,
                                         "other.test", f));
    set.tenant_vars = unit_hash("x", "2", NULL);
    ck_assert_str_ne(k, key(f));
    set.tenant_vars = unit_hash("x", "1", "y", "", NULL);
    ck_assert_str_ne(k, key(f));
    set.tenant_vars = unit_hash("x", "1", NULL);
    ck_assert_str_eq(k, key(f));
    set.key_digest = GSPROV_MD_SHA256;
    ck_assert_str_ne(k, key(f));
    set.key_digest = GSPROV_MD_MD5;
    set.plain = 1;
    ck_assert_str_ne(k, key(f));
    set.plain = 0;
    set.binary = GSPROV_BINARY_FULL;
    ck_assert_str_ne(k, key(f));
    set.binary = GSPROV_BINARY_BOOTSTRAP;
    *(const char **)apr_array_push(extra) = "P8";
    set.bootstrap_extra = extra;
    ck_assert_str_ne(k, key(f));
    set.bootstrap_extra = NULL;
    ck_assert(gsprov_useragent_parse("Grandstream Model HW HT802 SW 1.0.1.1 "
                              "DevId 000b82000001", &ua));
    set.ua = &ua;
    ck_assert_str_ne(k, key(f));
    set.ua = NULL;
    ck_assert_str_eq(k, key(f));

    /* the device record edited */
    unit_write(dir, "devices/000b82000001.xml", "<device><password>pw"
               "</password><config><P4>ONE</P4></config></device>", -1);
    k2 = key(f);
    ck_assert_str_ne(k, k2);
    /* a template edited: a new snapshot, a new version */
    unit_write(dir, "defaults.xml", "<gs_provision><config><P1>D</P1>"
               "<P2>${x}</P2></config></gs_provision>", -1);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &store, &err)
                  == APR_SUCCESS, "%s", err);
    tpl = gsprov_store_templates(store, pool, apr_time_from_sec(3600));
    ck_assert_str_ne(k2, key(f));
}
END_TEST

START_TEST(stats_counting)
{
    const char *text, *json;
    gsprov_stats_t *slots[1] = { &stats };
    const char *const versions[1] = { "ab12" };
    apr_uint64_t more = 7;

    gsprov_stats_request(&stats, GSPROV_SK_DEVICE_XML, 200);
    gsprov_stats_request(&stats, GSPROV_SK_DEVICE_XML, 304);
    gsprov_stats_request(&stats, GSPROV_SK_DEVICE_BIN, 404);
    gsprov_stats_request(&stats, GSPROV_SK_FIRMWARE, 403);
    gsprov_stats_request(&stats, GSPROV_SK_OTHER, 500);
    gsprov_stats_request(&stats, gsprov_stats_kind("nonsense"), 405);
    ck_assert_uint_eq(stats.requests[GSPROV_SK_DEVICE_XML][GSPROV_SR_OK], 2);
    ck_assert_uint_eq(stats.requests[GSPROV_SK_DEVICE_BIN]
                      [GSPROV_SR_NOT_FOUND], 1);
    ck_assert_uint_eq(stats.requests[GSPROV_SK_FIRMWARE][GSPROV_SR_DENIED], 1);
    ck_assert_uint_eq(stats.requests[GSPROV_SK_OTHER][GSPROV_SR_ERROR], 1);
    ck_assert_uint_eq(stats.requests[GSPROV_SK_OTHER][GSPROV_SR_OTHER], 1);
    gsprov_stats_render(&stats, 50);
    gsprov_stats_render(&stats, 700);
    gsprov_stats_render(&stats, 5000000);
    ck_assert_uint_eq(stats.render_hist[0], 1);
    ck_assert_uint_eq(stats.render_hist[3], 1);
    ck_assert_uint_eq(stats.render_hist[GSPROV_STATS_NBUCKETS - 1], 1);
    gsprov_stats_error(&stats, 105, "cfg.xml: broken <thing> \"q\"\n\x01");
    stats.db_queries = 12;
    stats.db_errors = 3;
    stats.db_unavailable = 2;
    text = gsprov_stats_text(pool, slots, versions, 1, apr_time_now());
    ck_assert_ptr_nonnull(strstr(text, "DatabaseQueries: 12\nDatabaseErrors: "
                                       "3\nDatabaseUnavailable: 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "Tenant: t.test\nTemplates: ab12\n"));
    ck_assert_ptr_nonnull(strstr(text, "Requests device-xml ok: 2\n"));
    ck_assert_msg(strstr(text, "RenderP50Usec: <=1000\n") != NULL, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "RenderP99Usec: >100000\n"));
    ck_assert_ptr_nonnull(strstr(text, "GSPROV0105: cfg.xml: broken"));
    json = gsprov_stats_json(pool, slots, versions, 1, apr_time_now());
    ck_assert_ptr_nonnull(strstr(json, "\"tenant\": \"t.test\""));
    ck_assert_ptr_nonnull(strstr(json, "\"templates\": \"ab12\""));
    /* a tenant without a store has no Templates line, null in JSON */
    text = gsprov_stats_text(pool, slots, NULL, 1, apr_time_now());
    ck_assert_ptr_null(strstr(text, "Templates:"));
    json = gsprov_stats_json(pool, slots, NULL, 1, apr_time_now());
    ck_assert_ptr_nonnull(strstr(json, "\"templates\": null"));
    ck_assert_ptr_nonnull(strstr(json, "\"message\": \"cfg.xml: broken "
                                       "<thing> \\\"q\\\"??\""));
    ck_assert_ptr_nonnull(strstr(json, "\"p50_usec\": 1000"));
    ck_assert_msg(strstr(json, "\"database\": {\n    \"queries\": 12,\n    "
                         "\"errors\": 3,\n    \"unavailable\": 2\n   }"), "%s",
                  json);
    /* throttle: the first caller logs, the next ones within the interval
     * are counted */
    ck_assert_int_eq(gsprov_stats_log_due(&stats, GSPROV_THROTTLE_CACHE_FAILED,
                                          apr_time_from_sec(60), &more), 1);
    ck_assert_uint_eq(more, 0);
    ck_assert_int_eq(gsprov_stats_log_due(&stats, GSPROV_THROTTLE_CACHE_FAILED,
                                          apr_time_from_sec(60), &more), 0);
    /* each message has its own clock */
    ck_assert_int_eq(gsprov_stats_log_due(&stats,
                                          GSPROV_THROTTLE_CACHE_REJECTED,
                                          apr_time_from_sec(60), &more), 1);
    /* interval over: logged again, reporting the one held back */
    ck_assert_int_eq(gsprov_stats_log_due(&stats, GSPROV_THROTTLE_CACHE_FAILED,
                                          0, &more), 1);
    ck_assert_uint_eq(more, 1);
}
END_TEST

/* what the handler needs besides the body survives the cache */
START_TEST(pack_roundtrip)
{
    gsprov_output_t o, u;
    char *val;
    apr_size_t len;

    memset(&o, 0, sizeof(o));
    o.body = "\0binary\0";
    o.len = 8;
    o.kind = GSPROV_KIND_DEVICE_BIN;
    o.model = "ht802";
    o.redirect = "prov.tenant-b.example/prov";
    gsprov_cache_pack(pool, NULL, "gsprov1:k", &o, &val, &len);
    ck_assert(gsprov_cache_unpack(pool, NULL, "gsprov1:k", val, len, &u));
    ck_assert_int_eq(u.kind, GSPROV_KIND_DEVICE_BIN);
    ck_assert_str_eq(u.model, "ht802");
    ck_assert_str_eq(u.redirect, "prov.tenant-b.example/prov");
    ck_assert_str_eq(u.content_type, GSPROV_CT_BINARY);
    ck_assert_uint_eq(u.len, 8);
    ck_assert_mem_eq(u.body, "\0binary\0", 8);
    /* the same value under another key does not unpack */
    ck_assert(!gsprov_cache_unpack(pool, NULL, "gsprov1:x", val, len, &u));
    /* with a secret: sealed; values packed without it, or with another
     * secret, are refused, and the other way round */
    {
        gsprov_cache_t c1, c2;
        char *v1;
        apr_size_t l1;
        memset(&c1, 0, sizeof(c1));
        memset(&c2, 0, sizeof(c2));
        ck_assert_int_eq(gsprov_cache_set_secret(&c1, (const unsigned char *)
                         "0123456789abcdef-one", 20), APR_SUCCESS);
        ck_assert_int_eq(gsprov_cache_set_secret(&c2, (const unsigned char *)
                         "0123456789abcdef-two", 20), APR_SUCCESS);
        gsprov_cache_pack(pool, &c1, "gsprov1:k", &o, &v1, &l1);
        ck_assert(gsprov_cache_unpack(pool, &c1, "gsprov1:k", v1, l1, &u));
        ck_assert_str_eq(u.redirect, "prov.tenant-b.example/prov");
        ck_assert(!gsprov_cache_unpack(pool, &c2, "gsprov1:k", v1, l1, &u));
        ck_assert(!gsprov_cache_unpack(pool, NULL, "gsprov1:k", v1, l1, &u));
        ck_assert(!gsprov_cache_unpack(pool, &c1, "gsprov1:k", val, len, &u));
    }
    /* nor with the redirect target changed */
    val[len - 9] ^= 1;
    ck_assert(!gsprov_cache_unpack(pool, NULL, "gsprov1:k", val, len, &u));
}
END_TEST

/* With a secret, what the shared cache holds is sealed: none of the
 * file, its model or its redirect target in it, another key's or a
 * tampered value does not open, and each packing of the same file
 * differs (a fresh salt). */
START_TEST(sealed_values)
{
    static const char body[] = "<gs_provision><P1359>xml-pw-7</P1359>";
    gsprov_output_t o, u;
    gsprov_cache_t c;
    char *v1, *v2, *copy;
    apr_size_t l1, l2, i;

    memset(&o, 0, sizeof(o));
    o.body = body;
    o.len = sizeof(body) - 1;
    o.kind = GSPROV_KIND_DEVICE_BIN;
    o.model = "ht802";
    o.redirect = "prov.tenant-b.example/prov";
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(gsprov_cache_set_secret(&c, (const unsigned char *)
                     "0123456789abcdef0123456789abcdef", 32), APR_SUCCESS);
    gsprov_cache_pack(pool, &c, "gsprov1:k", &o, &v1, &l1);
    gsprov_cache_pack(pool, &c, "gsprov1:k", &o, &v2, &l2);
    /* magic, salt, tag, then as many bytes as the inner layout */
    ck_assert_uint_eq(l1, 8 + 16 + 16 + 4 + 5 + 26 + o.len);
    ck_assert_uint_eq(l1, l2);
    ck_assert_mem_eq(v1, "GSPRVS3", 8);
    ck_assert(memcmp(v1 + 8, v2 + 8, l1 - 8) != 0);
    ck_assert_ptr_null(memmem(v1, l1, "P1359", 5));
    ck_assert_ptr_null(memmem(v1, l1, "xml-pw-7", 8));
    ck_assert_ptr_null(memmem(v1, l1, "<gs_provision", 13));
    ck_assert_ptr_null(memmem(v1, l1, "ht802", 5));
    ck_assert_ptr_null(memmem(v1, l1, "tenant-b", 8));
    ck_assert(gsprov_cache_unpack(pool, &c, "gsprov1:k", v1, l1, &u));
    ck_assert_uint_eq(u.len, o.len);
    ck_assert_mem_eq(u.body, body, o.len);
    ck_assert_str_eq(u.model, "ht802");
    ck_assert_str_eq(u.redirect, "prov.tenant-b.example/prov");
    ck_assert_int_eq(u.kind, GSPROV_KIND_DEVICE_BIN);
    ck_assert(gsprov_cache_unpack(pool, &c, "gsprov1:k", v2, l2, &u));
    /* copied under another key */
    ck_assert(!gsprov_cache_unpack(pool, &c, "gsprov1:x", v1, l1, &u));
    /* any byte changed, or one short */
    for (i = 0; i < l1; i++) {
        copy = apr_pmemdup(pool, v1, l1);
        copy[i] ^= 0x20;
        ck_assert_msg(!gsprov_cache_unpack(pool, &c, "gsprov1:k", copy, l1,
                                           &u), "byte %lu flipped",
                      (unsigned long)i);
    }
    ck_assert(!gsprov_cache_unpack(pool, &c, "gsprov1:k", v1, l1 - 1, &u));
    ck_assert(!gsprov_cache_unpack(pool, &c, "gsprov1:k", v1, 39, &u));
}
END_TEST

/* sc for file f: the fake shared cache, a fresh near cache of 1 MiB */
static void with_near(gsprov_serve_ctx_t *sc, const char *f)
{
    gsprov_cache_t *n;
    char *err = NULL;

    ck_assert_status(gsprov_cache_near_create(pool, 1024 * 1024, &n, &err),
                     APR_SUCCESS);
    memset(sc, 0, sizeof(*sc));
    sc->cache = &cache;
    sc->near = n;
    sc->tenant = "t.test";
    sc->request_name = f;
}

/* The serving path with a sealed cache: miss, hit, near hit, and what
 * the backend holds is no file. */
START_TEST(sealed_in_serve)
{
    const char *f = "cfg000b82000002", *k;
    gsprov_serve_ctx_t sc;
    gsprov_output_t a, b;
    gsprov_served_e s;
    const struct iovec *v;
    char *err = NULL;

    ck_assert_int_eq(gsprov_cache_set_secret(&cache, (const unsigned char *)
                     "0123456789abcdef0123456789abcdef", 32), APR_SUCCESS);
    ck_assert_status(serve(f, &a, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_ptr_nonnull(memmem(a.body, a.len, "gnkey=0b82", 10));
    k = key(f);
    v = apr_hash_get(fake.h, k, APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(v);
    ck_assert_mem_eq(v->iov_base, "GSPRVS3", 8);
    ck_assert_ptr_null(memmem(v->iov_base, v->iov_len, "gnkey", 5));
    ck_assert_status(serve(f, &b, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.body, b.body, a.len);
    ck_assert_int_eq(b.kind, GSPROV_KIND_DEVICE_BIN);
    /* a plain value (a node with GsProvCacheSecret none) is rejected */
    {
        char *pv;
        apr_size_t pl;
        struct iovec *pvv = apr_palloc(pool, sizeof(*pvv));
        gsprov_cache_pack(pool, NULL, k, &a, &pv, &pl);
        pvv->iov_base = pv;
        pvv->iov_len = pl;
        apr_hash_set(fake.h, k, APR_HASH_KEY_STRING, pvv);
        ck_assert_status(serve(f, &b, &s), APR_SUCCESS);
        ck_assert_int_eq(s, GSPROV_SERVED_MISS);
        ck_assert_uint_eq(stats.cache_rejected, 1);
    }
    /* the near cache in front gets the opened file */
    with_near(&sc, f);
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc,
                                        &a, &s, &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc,
                                        &b, &s, &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_NEAR_HIT);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.body, b.body, a.len);
    ck_assert_int_eq(b.kind, GSPROV_KIND_DEVICE_BIN);
}
END_TEST

/* the near cache: a ring that never grows; old entries go, new stay */
START_TEST(near_ring)
{
    gsprov_cache_t *n;
    char *err = NULL, *val, big[20000];
    const char *why = NULL;
    apr_size_t len;
    int i;

    ck_assert_status(gsprov_cache_near_create(pool, 64 * 1024, &n, &err),
                     APR_SUCCESS);
    ck_assert_int_ne(gsprov_cache_near_create(pool, 1000, &n, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_cache_near_create(pool, 64 * 1024, &n, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(n->ops->get(n, pool, "k0", &val, &len, &why),
                     GSPROV_CACHE_MISS);
    /* 100 values of 3000 bytes: 300 KB through a 64 KiB ring */
    for (i = 0; i < 100; i++) {
        char k[16], v[3000];
        memset(v, 'a' + i % 26, sizeof(v));
        snprintf(v, 16, "value %d", i);
        snprintf(k, sizeof(k), "k%d", i);
        ck_assert_status(n->ops->set(n, pool, k, v, sizeof(v), 0, &why),
                         APR_SUCCESS);
    }
    /* the newest are whole, byte for byte (including across the wrap);
     * one may have lost its index slot to a newer key (a miss, never
     * another key's bytes) */
    {
        int hits = 0;
        for (i = 99; i >= 85; i--) {
            char k[16], want[16];
            snprintf(k, sizeof(k), "k%d", i);
            snprintf(want, sizeof(want), "value %d", i);
            if (n->ops->get(n, pool, k, &val, &len, &why) != GSPROV_CACHE_HIT)
                continue;
            hits++;
            ck_assert_uint_eq(len, 3000);
            ck_assert_str_eq(val, want);
            ck_assert_int_eq(val[2999], 'a' + i % 26);
        }
        ck_assert_msg(hits >= 8, "only %d of the 15 newest found", hits);
    }
    /* the oldest were written over: a miss, never someone else's bytes */
    for (i = 0; i < 70; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        ck_assert_int_eq(n->ops->get(n, pool, k, &val, &len, &why),
                         GSPROV_CACHE_MISS);
    }
    /* more than an eighth of the ring is not kept */
    memset(big, 'x', sizeof(big));
    ck_assert_status(n->ops->set(n, pool, "big", big, sizeof(big), 0, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(n->ops->get(n, pool, "big", &val, &len, &why),
                     GSPROV_CACHE_MISS);
}
END_TEST

/* through gsprov_cache_serve: rendered, then from the near cache without a
 * round trip to the shared one */
START_TEST(near_in_serve)
{
    gsprov_serve_ctx_t sc;
    gsprov_output_t a, b;
    gsprov_served_e s;
    gsprov_cache_t *n;
    char *err = NULL;
    const char *f = "cfg000b82000001.xml";

    with_near(&sc, f);
    sc.stats = &stats;
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc, &a, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc, &b, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_NEAR_HIT);
    ck_assert_int_eq(fake.gets, 1);         /* the shared cache not asked */
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.body, b.body, a.len);
    ck_assert_int_eq(b.encrypted, 1);
    ck_assert_uint_eq(stats.cache_near_hits, 1);
    /* a record edit: a new key, so the near cache cannot answer */
    unit_write(dir, "devices/000b82000001.xml", "<device><password>pw"
               "</password><config><P4>new</P4></config></device>", -1);
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc, &b, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    /* what the shared cache answers is put in the near cache */
    sc.near = NULL;
    ck_assert_status(gsprov_cache_near_create(pool, 1024 * 1024, &n, &err),
                     APR_SUCCESS);
    sc.near = n;
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc, &a, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc, &a, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_NEAR_HIT);
}
END_TEST

/* The record replaced while a request is served: the store answers the
 * old bytes first, the new ones to any later read.  The request reads it
 * once, renders those bytes and stores them under the key of their own
 * version: never a value under a key that does not match its bytes. */
static int racy_reads;
static apr_status_t replaced_after_first_read(gsprov_store_t *st,
                                              apr_pool_t *p, const char *mac,
                                              gsprov_blob_t *out, char **err)
{
    static const char v1[] = "<device><config><P4>before</P4></config></device>";
    static const char v2[] = "<device><config><P4>after</P4></config></device>";
    const char *d = racy_reads++ ? v2 : v1;

    out->data = d;
    out->len = strlen(d);
    out->label = "racy";
    out->version = gsprov_store_version(p, d, out->len);
    return APR_SUCCESS;
}

START_TEST(record_replaced_between_reads)
{
    gsprov_store_ops_t ops = *store->ops;
    gsprov_store_t racy = *store;
    gsprov_serve_ctx_t sc;
    gsprov_output_t a, stored;
    gsprov_served_e s;
    const struct iovec *v;
    const char *k1;
    char *err = NULL;
    const char *f = "cfg000b82000002.xml";

    ops.record_get = replaced_after_first_read;
    ops.record_version = NULL;      /* the version comes with the bytes */
    racy.ops = &ops;
    racy_reads = 0;
    memset(&sc, 0, sizeof(sc));
    sc.cache = &cache;
    sc.tenant = "t.test";
    sc.request_name = f;
    ck_assert_status(gsprov_cache_serve(pool, &racy, tpl, nm(f), &set, &sc, &a, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(racy_reads, 1);            /* one read per request */
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_ptr_nonnull(strstr(a.body, "<P4>before</P4>"));
    ck_assert_int_eq(fake.sets, 1);
    /* stored under the key of the bytes rendered: the key of the first
     * read's version (reads counted from 0 again, so the key function
     * sees those bytes) */
    racy_reads = 0;
    k1 = gsprov_cache_key(pool, &racy, tpl, nm(f), &set, "t.test", f);
    ck_assert_ptr_nonnull(k1);
    v = apr_hash_get(fake.h, k1, APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(v);
    ck_assert(gsprov_cache_unpack(pool, &cache, k1, v->iov_base, v->iov_len,
                                  &stored));
    ck_assert_ptr_nonnull(strstr(stored.body, "<P4>before</P4>"));
    ck_assert_int_eq(apr_hash_count(fake.h), 1);
    /* the next request reads the new bytes: a new key, a miss, rendered */
    ck_assert_status(gsprov_cache_serve(pool, &racy, tpl, nm(f), &set, &sc, &a, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_ptr_nonnull(strstr(a.body, "<P4>after</P4>"));
    ck_assert_int_eq(fake.sets, 2);
    /* and the directory store's own record is stored as before */
    ck_assert_status(gsprov_cache_serve(pool, store, tpl, nm(f), &set, &sc, &a, &s,
                                  &err), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_int_eq(fake.sets, 3);
}
END_TEST

/* an empty value (memcached answers NULL for it) is rejected and replaced */
START_TEST(empty_value_replaced)
{
    const char *f = "cfg000b82000002.xml";
    struct iovec *v = apr_palloc(pool, sizeof(*v));
    gsprov_output_t a;
    gsprov_served_e s;

    v->iov_base = "";
    v->iov_len = 0;
    apr_hash_set(fake.h, key(f), APR_HASH_KEY_STRING, v);
    ck_assert_status(serve(f, &a, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_MISS);
    ck_assert_uint_eq(stats.cache_rejected, 1);
    ck_assert_status(serve(f, &a, &s), APR_SUCCESS);
    ck_assert_int_eq(s, GSPROV_SERVED_HIT);
}
END_TEST

START_TEST(memcached_option_check)
{
    ck_assert_ptr_null(gsprov_cache_memcached_check(pool, "--SERVER=127.0.0.1:1"));
    ck_assert_ptr_nonnull(gsprov_cache_memcached_check(pool, "--SERVR=x"));
    ck_assert_ptr_nonnull(gsprov_cache_memcached_check(pool, "--BINARY-PROTOCOL"));
    ck_assert_ptr_nonnull(gsprov_cache_memcached_check(pool, ""));
}
END_TEST

/* a memcached that is not there: an error, not a miss */
START_TEST(memcached_down_is_error)
{
    gsprov_cache_opts_t o = { "--SERVER=127.0.0.1:9", 100, 1, 2, 60, NULL,
                              0, NULL, 0 };
    gsprov_cache_t *c;
    const char *why = NULL;
    char *val, *err = NULL;
    apr_size_t len;

    ck_assert_status(gsprov_cache_memcached_create(pool, &o, &c, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(c->ops->get(c, pool, "k", &val, &len, &why),
                     GSPROV_CACHE_ERROR);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_ne(c->ops->set(c, pool, "k", "v", 1, 60, &why),
                     APR_SUCCESS);
}
END_TEST

Suite *cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = unit_tcase("cache");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, miss_then_hit);
    tcase_add_test(tc, plain_and_binary_kinds);
    tcase_add_test(tc, not_found_not_cached);
    tcase_add_test(tc, get_error_fails_open_without_set);
    tcase_add_test(tc, set_error_fails_open);
    tcase_add_loop_test(tc, bad_values_rejected, 0, 4);
    tcase_add_test(tc, key_inputs);
    tcase_add_test(tc, stats_counting);
    tcase_add_test(tc, pack_roundtrip);
    tcase_add_test(tc, record_replaced_between_reads);
    tcase_add_test(tc, empty_value_replaced);
    tcase_add_test(tc, sealed_values);
    tcase_add_test(tc, sealed_in_serve);
    tcase_add_test(tc, near_ring);
    tcase_add_test(tc, near_in_serve);
    tcase_add_test(tc, memcached_option_check);
    tcase_add_test(tc, memcached_down_is_error);
    suite_add_tcase(s, tc);
    return s;
}
