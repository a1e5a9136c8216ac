#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_escape.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include "gsprov_cache.h"
#include "gsprov_crypto.h"
#include "gsprov_error.h"

/* Bump when the key material or the value layout changes: old entries
 * then simply stop matching. */
#define KEY_SCHEMA   "gsprov-cache-2"
#define KEY_PREFIX   "gsprov1:"
#define SEALED_MAGIC "GSPRVS3"          /* 7 bytes + NUL */
#define PLAIN_MAGIC  "GSPRVP3"
#define MAGIC_LEN    8

/* The key material, hashed piece by piece (no string is built): every
 * field is its 4-byte length and its bytes, so no two different inputs
 * hash alike. */
typedef struct {
    struct iovec *v;
    apr_uint32_t *lens;
    int n, max;
} material_t;

static void field(material_t *m, const char *s, apr_size_t len)
{
    if (m->n + 2 > m->max)
        return;                 /* sized by the caller: never */
    m->lens[m->n / 2] = (apr_uint32_t)len;
    m->v[m->n].iov_base = &m->lens[m->n / 2];
    m->v[m->n].iov_len = sizeof(apr_uint32_t);
    m->v[m->n + 1].iov_base = (void *)s;
    m->v[m->n + 1].iov_len = len;
    m->n += 2;
}
#define FIELD(m, s) field((m), (s), strlen(s))

typedef struct { const char *k, *v; } var_t;

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const var_t *)a)->k, ((const var_t *)b)->k);
}

/* The key of a request whose device record (if it names one) has
 * content version dev ("" for none). */
static const char *cache_key(apr_pool_t *p, const gsprov_templates_t *t,
                             const gsprov_name_t *name,
                             const gsprov_settings_t *set,
                             const char *tenant, const char *request_name,
                             const char *dev)
{
    static const char *const binary_names[] = { "off", "bootstrap", "full" };
    unsigned int nvars = set->tenant_vars ? apr_hash_count(set->tenant_vars)
                                          : 0;
    int nextra = set->bootstrap_extra ? set->bootstrap_extra->nelts : 0;
    unsigned char md[GSPROV_SHA256_LEN];
    material_t m;
    var_t *vars = NULL;
    int i;

    m.max = 2 * (12 + nextra + 2 * (int)nvars);
    m.v = apr_palloc(p, sizeof(*m.v) * (apr_size_t)m.max);
    m.lens = apr_palloc(p, sizeof(*m.lens) * (apr_size_t)(m.max / 2));
    m.n = 0;
    FIELD(&m, KEY_SCHEMA);
    FIELD(&m, tenant ? tenant : "");
    FIELD(&m, request_name);
    FIELD(&m, t->version);
    FIELD(&m, dev);
    /* a record without <model> takes the User-Agent's */
    FIELD(&m, set->ua ? set->ua->model : "");
    FIELD(&m, gsprov_crypto_md_name(set->key_digest));
    FIELD(&m, (unsigned)set->binary < 3 ? binary_names[set->binary] : "?");
    FIELD(&m, set->plain ? "plain" : "encrypt");
    for (i = 0; i < nextra; i++)
        FIELD(&m, APR_ARRAY_IDX(set->bootstrap_extra, i, const char *));
    FIELD(&m, "vars");
    if (nvars) {
        apr_hash_index_t *hi;
        unsigned int k = 0;
        vars = apr_palloc(p, sizeof(*vars) * nvars);
        for (hi = apr_hash_first(p, set->tenant_vars); hi && k < nvars;
             hi = apr_hash_next(hi), k++)
            apr_hash_this(hi, (const void **)&vars[k].k, NULL,
                          (void **)&vars[k].v);
        qsort(vars, k, sizeof(*vars), cmp_var);
        for (i = 0; i < (int)k; i++) {
            FIELD(&m, vars[i].k);
            FIELD(&m, vars[i].v);
        }
    }
    if (gsprov_crypto_sha256_parts(m.v, m.n, md) != APR_SUCCESS)
        return NULL;
    return apr_pstrcat(p, KEY_PREFIX, apr_pescape_hex(p, md, sizeof(md), 0),
                       NULL);
}

const char *gsprov_cache_key(apr_pool_t *p, gsprov_store_t *store,
                             const gsprov_templates_t *t,
                             const gsprov_name_t *name,
                             const gsprov_settings_t *set,
                             const char *tenant, const char *request_name)
{
    gsprov_blob_t rec;
    char *err = NULL;

    if (name->mac[0]
        && gsprov_store_record_get(store, p, name->mac, &rec, &err))
        return NULL;   /* no record (404) or unreadable (500): not cached */
    return cache_key(p, t, name, set, tenant, request_name,
                     name->mac[0] ? rec.version : "");
}

/* ---- values -----------------------------------------------------------
 *
 * What a value says (the "inner" layout, also what the near cache keeps:
 * it never leaves the process):
 *   kind encrypted modellen redirectlen model redirect body
 * What memcached holds, bound to its key:
 *   sealed (GsProvCacheSecret FILE)
 *     "GSPRVS3\0" salt[16] tag[16] AES-256-GCM(inner)
 *     under the key HMAC-SHA256(value key, salt) with a zero IV, the
 *     additional data being magic, salt and the cache key: whoever can
 *     read memcached sees no file (no P1359 of a bootstrap binary, no
 *     XML), whoever can write it cannot make one, and a value copied
 *     under another key does not open.  A key per value (from its random
 *     salt) is used once, so no IV can repeat however many values a
 *     farm's secret seals (a random 96-bit IV under one key would be good
 *     for 2^32 values only).
 *   plain (GsProvCacheSecret none)
 *     "GSPRVP3\0" SHA-256(cache key, inner)[32] inner
 *     which catches garbage and values copied from another key, not a
 *     forgery.
 */
#define INNER_FIXED  4
#define SALT_LEN     16
#define SEALED_HDR   (MAGIC_LEN + SALT_LEN + GSPROV_GCM_TAG_LEN)
#define PLAIN_HDR    (MAGIC_LEN + GSPROV_SHA256_LEN)
#define VALUE_INFO   "mod_gsprov cache value keys v1"

apr_status_t gsprov_cache_set_secret(gsprov_cache_t *c,
                                     const unsigned char *secret,
                                     apr_size_t len)
{
    apr_status_t rv = gsprov_crypto_hkdf_sha256(secret, len, VALUE_INFO,
                                                c->value_key,
                                                sizeof(c->value_key));
    c->sealed = rv == APR_SUCCESS;
    return rv;
}

/* The inner layout of o: NULL if it cannot be (never: both strings are
 * bounded). */
static unsigned char *inner_pack(apr_pool_t *p, const gsprov_output_t *o,
                                 apr_size_t *len)
{
    apr_size_t mlen = o->model ? strlen(o->model) : 0;
    apr_size_t rlen = o->redirect ? strlen(o->redirect) : 0;
    unsigned char *v;

    if (mlen > 255 || rlen > 255)
        return NULL;
    *len = INNER_FIXED + mlen + rlen + o->len;
    v = apr_palloc(p, *len);
    v[0] = (unsigned char)o->kind;
    v[1] = (unsigned char)!!o->encrypted;
    v[2] = (unsigned char)mlen;
    v[3] = (unsigned char)rlen;
    if (mlen)                   /* (memcpy from NULL is undefined) */
        memcpy(v + INNER_FIXED, o->model, mlen);
    if (rlen)
        memcpy(v + INNER_FIXED + mlen, o->redirect, rlen);
    memcpy(v + INNER_FIXED + mlen + rlen, o->body, o->len);
    return v;
}

/* out from an inner layout (body pointing into v): 0 if it is not one. */
static int inner_unpack(apr_pool_t *p, const unsigned char *v,
                        apr_size_t len, gsprov_output_t *out)
{
    apr_size_t mlen, rlen, hlen;
    int kind;

    if (len < INNER_FIXED)
        return 0;
    kind = v[0];
    mlen = v[2];
    rlen = v[3];
    hlen = INNER_FIXED + mlen + rlen;
    if (len < hlen || v[1] > 1
        || (kind != GSPROV_KIND_DEVICE_XML && kind != GSPROV_KIND_DEVICE_BIN
            && kind != GSPROV_KIND_MODEL_XML
            && kind != GSPROV_KIND_GENERIC_XML))
        return 0;
    memset(out, 0, sizeof(*out));
    out->kind = (gsprov_kind_e)kind;
    out->encrypted = v[1];
    out->model = mlen ? apr_pstrmemdup(p, (const char *)v + INNER_FIXED, mlen)
                      : NULL;
    out->redirect = rlen ? apr_pstrmemdup(p, (const char *)v + INNER_FIXED
                                          + mlen, rlen) : NULL;
    out->body = (const char *)v + hlen;
    out->len = len - hlen;
    out->content_type = kind == GSPROV_KIND_DEVICE_BIN ? GSPROV_CT_BINARY
                        : out->encrypted ? GSPROV_CT_ENCRYPTED
                        : GSPROV_CT_XML;
    return 1;
}

/* A sealed value's own AES key, from its salt. */
static int value_key(const gsprov_cache_t *c, const unsigned char *salt,
                     unsigned char k[GSPROV_SHA256_LEN])
{
    struct iovec v;
    v.iov_base = (void *)salt;
    v.iov_len = SALT_LEN;
    return gsprov_crypto_hmac_sha256_parts(c->value_key,
                                           sizeof(c->value_key), &v, 1, k)
           == APR_SUCCESS;
}

/* The plain layout's check: SHA-256 over the cache key and inner. */
static int plain_digest(const char *key, const unsigned char *inner,
                        apr_size_t len, unsigned char md[GSPROV_SHA256_LEN])
{
    struct iovec v[2];
    v[0].iov_base = (void *)key;
    v[0].iov_len = strlen(key);
    v[1].iov_base = (void *)inner;
    v[1].iov_len = len;
    return gsprov_crypto_sha256_parts(v, 2, md) == APR_SUCCESS;
}

/* The value memcached gets for an inner layout (*len 0: none). */
static void wrap(apr_pool_t *p, const gsprov_cache_t *c, const char *key,
                 const unsigned char *inner, apr_size_t ilen, char **val,
                 apr_size_t *len)
{
    static const unsigned char zero_iv[GSPROV_GCM_IV_LEN];
    unsigned char k[GSPROV_SHA256_LEN], *v;
    struct iovec aad[2];
    int ok;

    *len = 0;
    *val = "";
    if (c && c->sealed) {
        v = apr_palloc(p, SEALED_HDR + ilen);
        memcpy(v, SEALED_MAGIC, MAGIC_LEN);
        aad[0].iov_base = v;
        aad[0].iov_len = MAGIC_LEN + SALT_LEN;
        aad[1].iov_base = (void *)key;
        aad[1].iov_len = strlen(key);
        ok = RAND_bytes(v + MAGIC_LEN, SALT_LEN) == 1
             && value_key(c, v + MAGIC_LEN, k)
             && gsprov_crypto_gcm_seal(k, zero_iv, aad, 2, inner, ilen,
                                       v + SEALED_HDR,
                                       v + MAGIC_LEN + SALT_LEN)
                == APR_SUCCESS;
        OPENSSL_cleanse(k, sizeof(k));
        if (!ok)
            return;
        *len = SEALED_HDR + ilen;
    }
    else {
        v = apr_palloc(p, PLAIN_HDR + ilen);
        memcpy(v, PLAIN_MAGIC, MAGIC_LEN);
        memcpy(v + PLAIN_HDR, inner, ilen);
        if (!plain_digest(key, inner, ilen, v + MAGIC_LEN))
            return;
        *len = PLAIN_HDR + ilen;
    }
    *val = (char *)v;
}

/* The inner layout of a value memcached gave for key: NULL unless it was
 * wrapped for key by a cache with the same secret (or none, both). */
static const unsigned char *unwrap(apr_pool_t *p, const gsprov_cache_t *c,
                                   const char *key, const char *val,
                                   apr_size_t len, apr_size_t *ilen)
{
    static const unsigned char zero_iv[GSPROV_GCM_IV_LEN];
    const unsigned char *v = (const unsigned char *)val;
    unsigned char k[GSPROV_SHA256_LEN], md[GSPROV_SHA256_LEN], *inner;
    struct iovec aad[2];
    int ok;

    if (c && c->sealed) {
        if (len < SEALED_HDR || memcmp(v, SEALED_MAGIC, MAGIC_LEN) != 0)
            return NULL;
        *ilen = len - SEALED_HDR;
        inner = apr_palloc(p, *ilen + 1);
        aad[0].iov_base = (void *)v;
        aad[0].iov_len = MAGIC_LEN + SALT_LEN;
        aad[1].iov_base = (void *)key;
        aad[1].iov_len = strlen(key);
        ok = value_key(c, v + MAGIC_LEN, k)
             && gsprov_crypto_gcm_open(k, zero_iv, aad, 2, v + SEALED_HDR,
                                       *ilen, v + MAGIC_LEN + SALT_LEN,
                                       inner) == APR_SUCCESS;
        OPENSSL_cleanse(k, sizeof(k));
        return ok ? inner : NULL;
    }
    if (len < PLAIN_HDR || memcmp(v, PLAIN_MAGIC, MAGIC_LEN) != 0
        || !plain_digest(key, v + PLAIN_HDR, len - PLAIN_HDR, md)
        || memcmp(md, v + MAGIC_LEN, GSPROV_SHA256_LEN) != 0)
        return NULL;
    *ilen = len - PLAIN_HDR;
    return v + PLAIN_HDR;
}

void gsprov_cache_pack(apr_pool_t *p, const gsprov_cache_t *c,
                       const char *key, const gsprov_output_t *o, char **val,
                       apr_size_t *len)
{
    apr_size_t ilen;
    unsigned char *inner = inner_pack(p, o, &ilen);

    *len = 0;
    *val = "";
    if (inner)
        wrap(p, c, key, inner, ilen, val, len);
}

int gsprov_cache_unpack(apr_pool_t *p, const gsprov_cache_t *c,
                        const char *key, const char *val, apr_size_t len,
                        gsprov_output_t *out)
{
    apr_size_t ilen = 0;
    const unsigned char *inner = unwrap(p, c, key, val, len, &ilen);
    gsprov_output_t o;

    if (!inner || !inner_unpack(p, inner, ilen, &o))
        return 0;
    *out = o;
    return 1;
}

/* One message per interval per tenant for the whole server, not one per
 * request: a dead memcached in a reboot storm must not flood the log. */
static void complain(const gsprov_serve_ctx_t *sc, const char *file,
                     int line, const char *msgid, gsprov_throttle_e which,
                     const char *what)
{
    gsprov_stats_complain(sc->stats, sc->log, file, line, GSPROV_LOG_WARN,
                          which, sc->log_interval, msgid, sc->tenant, what,
                          "cache problems");
}

/* A failed get or set: one id for both, as they share one throttle (a
 * dead server fails either way). */
static void cache_failed(const gsprov_serve_ctx_t *sc, apr_pool_t *p,
                         int get, const char *why)
{
    complain(sc, GSPROV_LOG_MARK, GSPROV_LOGNO(0501),
             GSPROV_THROTTLE_CACHE_FAILED, apr_psprintf(p, get
             ? "cache get failed, serving without the cache: %s"
             : "cache set failed, served without the cache: %s",
             why ? why : "unknown error"));
}

#define BUMP(sc, f) do { if ((sc)->stats) \
    apr_atomic_inc64(&(sc)->stats->f); } while (0)

apr_status_t gsprov_cache_serve(apr_pool_t *p, gsprov_store_t *store,
                          const gsprov_templates_t *t,
                          const gsprov_name_t *name,
                          const gsprov_settings_t *set,
                          const gsprov_serve_ctx_t *sc,
                          gsprov_output_t *out, gsprov_served_e *served,
                          char **err)
{
    const char *key = NULL, *why = NULL;
    gsprov_blob_t rec;
    int get_failed = 0, have = 0;
    apr_time_t start;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    *served = GSPROV_SERVED_RENDERED;
    /* The record is read once, with its version: the key is made from the
     * version of the very bytes a miss renders (a one-record view), so a
     * value can never be stored under another version's key, and a
     * device request costs the store one read. */
    if (name->mac[0]) {
        rv = gsprov_store_record_get(store, p, name->mac, &rec, err);
        if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
            return rv;      /* unreadable (500) or unavailable (503) */
        have = rv == APR_SUCCESS;
        store = gsprov_store_one(p, t, name->mac, have ? &rec : NULL,
                                 store->label);
    }
    /* no record (404, or a redirect.map line): not cached */
    if (sc->cache && (!name->mac[0] || have))
        key = cache_key(p, t, name, set, sc->tenant, sc->request_name,
                        have ? rec.version : "");
    if (key) {
        char *val = NULL;
        apr_size_t len = 0;
        const unsigned char *inner;
        apr_size_t ilen = 0;
        /* the near cache holds inner layouts checked (or made) on their
         * way in: in this process's memory, neither sealed nor checked */
        if (sc->near
            && sc->near->ops->get(sc->near, p, key, &val, &len, &why)
               == GSPROV_CACHE_HIT
            && inner_unpack(p, (const unsigned char *)val, len, out)) {
            BUMP(sc, cache_hits);
            BUMP(sc, cache_near_hits);
            *served = GSPROV_SERVED_NEAR_HIT;
            return APR_SUCCESS;
        }
        switch (sc->cache->ops->get(sc->cache, p, key, &val, &len, &why)) {
        case GSPROV_CACHE_HIT:
            if ((inner = unwrap(p, sc->cache, key, val, len, &ilen))
                && inner_unpack(p, inner, ilen, out)) {
                BUMP(sc, cache_hits);
                if (sc->near)
                    sc->near->ops->set(sc->near, p, key,
                                       (const char *)inner, ilen, 0, &why);
                *served = GSPROV_SERVED_HIT;
                return APR_SUCCESS;
            }
            BUMP(sc, cache_rejected);
            complain(sc, GSPROV_LOG_MARK, GSPROV_LOGNO(0502),
                     GSPROV_THROTTLE_CACHE_REJECTED, apr_psprintf(p,
                     "%s: the cached value is not one stored for this key "
                     "(%" APR_SIZE_T_FMT " bytes), rendering it again",
                     sc->request_name, len));
            break;
        case GSPROV_CACHE_MISS:
            BUMP(sc, cache_misses);
            break;
        default:
            BUMP(sc, cache_errors);
            cache_failed(sc, p, 1, why);
            get_failed = 1;
            break;
        }
    }

    start = apr_time_now();
    rv = gsprov_provision(p, store, t, name, set, out, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (sc->stats)
        gsprov_stats_render(sc->stats, apr_time_now() - start);
    if (!key)
        return APR_SUCCESS;
    {
        char *val;
        apr_size_t len, ilen;
        unsigned char *inner = inner_pack(p, out, &ilen);

        if (!inner)                     /* could not be packed: not kept */
            return APR_SUCCESS;
        /* the near cache is local: fill it even when memcached fails */
        if (sc->near)
            sc->near->ops->set(sc->near, p, key, (const char *)inner, ilen,
                               0, &why);
        /* after a failed get, a store would wait for the same dead or
         * hung server again: one timeout per request at most */
        if (get_failed) {
            *served = GSPROV_SERVED_CACHE_ERROR;
            return APR_SUCCESS;
        }
        wrap(p, sc->cache, key, inner, ilen, &val, &len);
        if (!len)                       /* could not be sealed: not kept */
            return APR_SUCCESS;
        if (sc->cache->ops->set(sc->cache, p, key, val, len, sc->cache->ttl,
                                &why) == APR_SUCCESS) {
            BUMP(sc, cache_stores);
            *served = GSPROV_SERVED_MISS;
        }
        else {
            BUMP(sc, cache_store_errors);
            cache_failed(sc, p, 0, why);
            *served = GSPROV_SERVED_CACHE_ERROR;
        }
    }
    return APR_SUCCESS;
}
