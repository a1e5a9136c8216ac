/*
 * The near cache: a fixed-size, per-process ring of recently served files
 * in front of memcached.  A warm node answers its hot devices without a
 * network round trip; its memory is allocated once and never grows,
 * whatever the number of devices.
 *
 * Values are appended to the ring; an index of fixed slots (one per key
 * hash, the newest wins) points at them.  An entry is valid while the
 * ring has not wrapped over it.  Keys are the versioned cache keys, so an
 * entry is never stale, only evicted.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_thread_mutex.h>
#include "gsprov_cache.h"
#include "gsprov_error.h"

#define KEY_MAX 80              /* "gsprov1:" + 64 hex digits fit */

typedef struct {
    char key[KEY_MAX];
    apr_uint64_t pos;           /* where the value starts (bytes ever written) */
    apr_uint32_t len;
} slot_t;

typedef struct {
    apr_thread_mutex_t *lock;
    unsigned char *ring;
    apr_size_t cap;
    apr_uint64_t head;          /* bytes ever written */
    slot_t *slots;
    apr_size_t nslots;
} near_t;

static slot_t *slot_of(near_t *l, const char *key, apr_size_t klen)
{
    apr_ssize_t n = (apr_ssize_t)klen;
    return &l->slots[apr_hashfunc_default(key, &n) % l->nslots];
}

static void ring_copy_out(near_t *l, apr_uint64_t pos, char *dst,
                          apr_size_t len)
{
    apr_size_t off = (apr_size_t)(pos % l->cap), first = l->cap - off;
    if (first >= len) {
        memcpy(dst, l->ring + off, len);
    }
    else {
        memcpy(dst, l->ring + off, first);
        memcpy(dst + first, l->ring, len - first);
    }
}

static void ring_copy_in(near_t *l, const char *src, apr_size_t len)
{
    apr_size_t off = (apr_size_t)(l->head % l->cap), first = l->cap - off;
    if (first >= len) {
        memcpy(l->ring + off, src, len);
    }
    else {
        memcpy(l->ring + off, src, first);
        memcpy(l->ring, src + first, len - first);
    }
    l->head += len;
}

static gsprov_cache_result_e near_get(gsprov_cache_t *c, apr_pool_t *p,
                                       const char *key, char **val,
                                       apr_size_t *len, const char **why)
{
    near_t *l = c->impl;
    apr_size_t klen = strlen(key);
    gsprov_cache_result_e res = GSPROV_CACHE_MISS;
    slot_t *s;

    if (klen >= KEY_MAX)
        return GSPROV_CACHE_MISS;
    s = slot_of(l, key, klen);
    apr_thread_mutex_lock(l->lock);
    /* the entry is whole while nothing was written over its first byte */
    if (s->len && strcmp(s->key, key) == 0 && l->head - s->pos <= l->cap) {
        *val = apr_palloc(p, s->len);
        *len = s->len;
        ring_copy_out(l, s->pos, *val, s->len);
        res = GSPROV_CACHE_HIT;
    }
    apr_thread_mutex_unlock(l->lock);
    return res;
}

static apr_status_t near_set(gsprov_cache_t *c, apr_pool_t *p,
                              const char *key, const char *val,
                              apr_size_t len, apr_uint32_t ttl,
                              const char **why)
{
    near_t *l = c->impl;
    apr_size_t klen = strlen(key);
    slot_t *s;

    /* a value that would flush an eighth of the ring is not worth it */
    if (klen >= KEY_MAX || len == 0 || len > l->cap / 8)
        return APR_SUCCESS;
    s = slot_of(l, key, klen);
    apr_thread_mutex_lock(l->lock);
    memcpy(s->key, key, klen + 1);
    s->pos = l->head;
    s->len = (apr_uint32_t)len;
    ring_copy_in(l, val, len);
    apr_thread_mutex_unlock(l->lock);
    return APR_SUCCESS;
}

static const gsprov_cache_ops_t near_ops = { "near", near_get,
                                              near_set };

apr_status_t gsprov_cache_near_create(apr_pool_t *p, apr_size_t bytes,
                                       gsprov_cache_t **out, char **err)
{
    near_t *l = apr_pcalloc(p, sizeof(*l));
    gsprov_cache_t *c;
    apr_status_t rv;

    if (bytes < GSPROV_MIN_CACHE_NEAR) {
        *err = apr_psprintf(p, "a near cache needs at least %d bytes",
                            GSPROV_MIN_CACHE_NEAR);
        return GSPROV_EPARSE;
    }
    if ((rv = apr_thread_mutex_create(&l->lock, APR_THREAD_MUTEX_DEFAULT, p))
        != APR_SUCCESS) {
        *err = "cannot create the near cache's mutex";
        return rv;
    }
    l->cap = bytes;
    /* allocated once; the pages are only touched as the ring fills */
    l->ring = apr_palloc(p, bytes);
    /* about one slot per 2 KiB of ring: files are 1-5 KiB */
    l->nslots = bytes / 2048;
    l->slots = apr_pcalloc(p, l->nslots * sizeof(slot_t));
    c = apr_pcalloc(p, sizeof(*c));
    c->ops = &near_ops;
    c->impl = l;
    *out = c;
    return APR_SUCCESS;
}
