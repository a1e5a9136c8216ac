/*
 * Views of a store (gsprov_store.h): one record already read, and a
 * store whose records are read at most once per pool.
 */
#include <string.h>
#include <apr_strings.h>
#include "gsprov_store.h"

/* ---- one record -------------------------------------------------------- */

typedef struct {
    const char *mac;
    gsprov_blob_t rec;
    int found;
    const gsprov_templates_t *t;
} one_t;

static const gsprov_templates_t *one_templates(gsprov_store_t *s,
                                               apr_pool_t *p,
                                               apr_interval_time_t i)
{
    return ((one_t *)s->impl)->t;
}

static apr_status_t one_record_get(gsprov_store_t *s, apr_pool_t *p,
                                   const char *mac, gsprov_blob_t *out,
                                   char **err)
{
    one_t *o = s->impl;

    if (!o->found || strcmp(mac, o->mac))
        return GSPROV_ENOTFOUND;
    *out = o->rec;
    return APR_SUCCESS;
}

static apr_status_t one_record_version(gsprov_store_t *s, apr_pool_t *p,
                                       const char *mac, const char **version,
                                       char **err)
{
    gsprov_blob_t b;
    apr_status_t rv = one_record_get(s, p, mac, &b, err);

    *version = rv ? NULL : b.version;
    return rv;
}

static const gsprov_store_ops_t one_ops = {
    .name = "one record",
    .templates = one_templates,
    .record_get = one_record_get,
    .record_version = one_record_version,
};

gsprov_store_t *gsprov_store_one(apr_pool_t *p, const gsprov_templates_t *t,
                                 const char *mac, const gsprov_blob_t *rec,
                                 const char *label)
{
    gsprov_store_t *s = apr_pcalloc(p, sizeof(*s));
    one_t *o = apr_pcalloc(p, sizeof(*o));

    o->mac = apr_pstrdup(p, mac);
    o->t = t;
    if (rec) {
        o->rec = *rec;
        o->found = 1;
    }
    s->ops = &one_ops;
    s->label = label;
    s->impl = o;
    return s;
}

/* ---- read once per pool ------------------------------------------------ */

typedef struct {
    gsprov_store_t *base;
    apr_pool_t *pool;
    apr_hash_t *seen;           /* mac -> read_t */
} memo_t;

typedef struct {
    apr_status_t rv;
    gsprov_blob_t rec;
    const char *err;
} read_t;

static const gsprov_templates_t *memo_templates(gsprov_store_t *s,
                                                apr_pool_t *p,
                                                apr_interval_time_t i)
{
    return gsprov_store_templates(((memo_t *)s->impl)->base, p, i);
}

static apr_status_t memo_record_get(gsprov_store_t *s, apr_pool_t *p,
                                    const char *mac, gsprov_blob_t *out,
                                    char **err)
{
    memo_t *m = s->impl;
    read_t *r = apr_hash_get(m->seen, mac, APR_HASH_KEY_STRING);

    if (!r) {
        char *why = NULL;
        r = apr_pcalloc(m->pool, sizeof(*r));
        r->rv = gsprov_store_record_get(m->base, m->pool, mac, &r->rec, &why);
        r->err = why;
        apr_hash_set(m->seen, apr_pstrdup(m->pool, mac), APR_HASH_KEY_STRING,
                     r);
    }
    if (r->rv == APR_SUCCESS)
        *out = r->rec;
    else if (err)
        *err = (char *)r->err;
    return r->rv;
}

static apr_status_t memo_record_version(gsprov_store_t *s, apr_pool_t *p,
                                        const char *mac,
                                        const char **version, char **err)
{
    gsprov_blob_t b;
    apr_status_t rv = memo_record_get(s, p, mac, &b, err);

    *version = rv ? NULL : b.version;
    return rv;
}

/* The rest goes to the base store (a transaction is the base's). */
#define BASE(s) (((memo_t *)(s)->impl)->base)

static apr_status_t memo_record_list(gsprov_store_t *s, apr_pool_t *p,
                                     const gsprov_list_query_t *q,
                                     apr_array_header_t **items, int *more,
                                     char **err)
{
    return gsprov_store_record_list(BASE(s), p, q, items, more, err);
}

static apr_status_t memo_record_iterate(gsprov_store_t *s, apr_pool_t *p,
                                        gsprov_record_fn *fn, void *baton,
                                        char **err)
{
    return gsprov_store_record_iterate(BASE(s), p, fn, baton, err);
}

static apr_status_t memo_activation_get(gsprov_store_t *s, apr_pool_t *p,
                                        const char *number,
                                        gsprov_activation_t **out,
                                        char **err)
{
    return gsprov_store_activation_get(BASE(s), p, number, out, err);
}

static apr_status_t memo_activation_list(gsprov_store_t *s, apr_pool_t *p,
                                         const char *after, int limit,
                                         apr_array_header_t **items,
                                         int *more, char **err)
{
    return gsprov_store_activation_list(BASE(s), p, after, limit, items,
                                        more, err);
}

static const gsprov_store_ops_t memo_ops = {
    .name = "read once",
    .templates = memo_templates,
    .record_get = memo_record_get,
    .record_version = memo_record_version,
    .record_list = memo_record_list,
    .record_iterate = memo_record_iterate,
    .activation_get = memo_activation_get,
    .activation_list = memo_activation_list,
};

gsprov_store_t *gsprov_store_memo(apr_pool_t *p, gsprov_store_t *base)
{
    gsprov_store_t *s = apr_pcalloc(p, sizeof(*s));
    memo_t *m = apr_pcalloc(p, sizeof(*m));

    m->base = base;
    m->pool = p;
    m->seen = apr_hash_make(p);
    s->ops = &memo_ops;
    s->label = base->label;
    s->log = base->log;
    s->impl = m;
    return s;
}
