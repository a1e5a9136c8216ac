/*
 * The provisioning status's bounded buffer (see gsprov_seenbuf.h).
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_thread_mutex.h>
#include "gsprov_seenbuf.h"
#include "gsprov_mac.h"

/* One entry, its strings inline and cut to what the request can carry
 * (an IPv6 address, gsprov_ua_t's fields, a firmware name, a hex SHA-256;
 * all within gsprov_device_status / gsprov_device_fetch's columns): a
 * newer observation of the same device and kind overwrites it in place,
 * so memory stays at bound entries (about 450 bytes each with the hash)
 * whatever the request rate. */
typedef struct {
    char mac[GSPROV_MAC_LEN + 1];
    char kind[GSPROV_MAX_SEEN_KIND_LEN + 1];
    char client[46 + 1];
    char ua_model[32 + 1];
    char ua_hardware[23 + 1];
    char ua_firmware[39 + 1];
    char file[128 + 1];
    char version[64 + 1];
    apr_int64_t at;
    int result;
} entry_t;

typedef struct {
    apr_pool_t *pool;           /* the entries */
    apr_hash_t *by_key;         /* "<mac>/<kind>" -> entry_t * */
    int n;
} gen_t;

struct gsprov_seenbuf {
    apr_thread_mutex_t *lock;
    gen_t gen[2];
    int fill;                   /* the generation requests add to */
    int bound;
};

static void gen_reset(gen_t *g)
{
    apr_pool_clear(g->pool);
    g->by_key = apr_hash_make(g->pool);
    g->n = 0;
}

gsprov_seenbuf_t *gsprov_seenbuf_create(apr_pool_t *p, int bound)
{
#if APR_HAS_THREADS
    gsprov_seenbuf_t *b = apr_pcalloc(p, sizeof(*b));
    int i;

    if (apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_DEFAULT, p))
        return NULL;
    for (i = 0; i < 2; i++) {
        if (apr_pool_create(&b->gen[i].pool, p))
            return NULL;
        gen_reset(&b->gen[i]);
    }
    b->bound = bound < 1 ? 1 : bound;
    return b;
#else
    return NULL;
#endif
}

#define COPY(field) apr_cpystrn(e->field, seen->field ? seen->field : "", \
                                sizeof(e->field))

static void fill_entry(entry_t *e, const gsprov_seen_t *seen)
{
    COPY(client);
    COPY(ua_model);
    COPY(ua_hardware);
    COPY(ua_firmware);
    COPY(file);
    COPY(version);
    e->at = seen->at;
    e->result = seen->result;
}

int gsprov_seenbuf_add(gsprov_seenbuf_t *b, const gsprov_seen_t *seen,
                       int *waiting)
{
    gen_t *g;
    entry_t *e;
    char key[GSPROV_MAC_LEN + 1 + GSPROV_MAX_SEEN_KIND_LEN + 1];
    int kept = 1;

    apr_snprintf(key, sizeof(key), "%.12s/%.16s", seen->mac, seen->kind);
    apr_thread_mutex_lock(b->lock);
    g = &b->gen[b->fill];
    e = apr_hash_get(g->by_key, key, APR_HASH_KEY_STRING);
    if (e) {
        /* the same device and kind again: only its latest counts */
        if (seen->at >= e->at)
            fill_entry(e, seen);
        kept = 2;
    }
    else if (g->n >= b->bound) {
        kept = 0;
    }
    else {
        e = apr_palloc(g->pool, sizeof(*e));
        apr_cpystrn(e->mac, seen->mac, sizeof(e->mac));
        apr_cpystrn(e->kind, seen->kind, sizeof(e->kind));
        fill_entry(e, seen);
        apr_hash_set(g->by_key, apr_pstrdup(g->pool, key),
                     APR_HASH_KEY_STRING, e);
        g->n++;
    }
    *waiting = g->n;
    apr_thread_mutex_unlock(b->lock);
    return kept;
}

static int by_time(const void *x, const void *y)
{
    const gsprov_seen_t *a = x, *c = y;
    return a->at < c->at ? -1 : a->at > c->at ? 1 : strcmp(a->mac, c->mac);
}

apr_array_header_t *gsprov_seenbuf_take(gsprov_seenbuf_t *b, apr_pool_t *p)
{
    apr_array_header_t *out;
    apr_hash_index_t *hi;
    gen_t *g;

    /* what the previous take returned is no longer used, and no request
     * adds to it (only take, on the flusher's thread, moves fill): it is
     * emptied before the lock, so requests never wait for that */
    gen_reset(&b->gen[!b->fill]);
    apr_thread_mutex_lock(b->lock);
    g = &b->gen[b->fill];
    b->fill = !b->fill;
    apr_thread_mutex_unlock(b->lock);

    /* g is ours alone now: no request adds to it */
    out = apr_array_make(p, g->n ? g->n : 1, sizeof(gsprov_seen_t));
    for (hi = apr_hash_first(p, g->by_key); hi; hi = apr_hash_next(hi)) {
        const entry_t *e = apr_hash_this_val(hi);
        gsprov_seen_t *o = apr_array_push(out);
        o->mac = e->mac;
        o->kind = e->kind;
        o->client = e->client;
        o->ua_model = e->ua_model;
        o->ua_hardware = e->ua_hardware;
        o->ua_firmware = e->ua_firmware;
        o->file = e->file;
        o->version = e->version;
        o->at = e->at;
        o->result = e->result;
    }
    qsort(out->elts, (size_t)out->nelts, sizeof(gsprov_seen_t), by_time);
    return out;
}

int gsprov_seenbuf_waiting(gsprov_seenbuf_t *b)
{
    int n;

    apr_thread_mutex_lock(b->lock);
    n = b->gen[b->fill].n;
    apr_thread_mutex_unlock(b->lock);
    return n;
}
