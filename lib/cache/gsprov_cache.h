/*
 * The cache of rendered files: a small backend vtable (memcached today,
 * anything with get/set tomorrow) and the provisioning call wrapped in it.
 *
 * Never stale: the key is a SHA-256 over everything the bytes depend on
 * (tenant, requested name, template set version, device record version,
 * tenant variables, encryption and binary settings, the User-Agent's
 * model), so an edit anywhere yields a new key and no purge is needed.
 * Fail open: a backend error or a value that does not check out is a
 * miss; the file is rendered and served all the same.
 */
#ifndef GSPROV_CACHE_H
#define GSPROV_CACHE_H

#include <apr_pools.h>
#include <apr_hash.h>
#include "gsprov_provision.h"
#include "gsprov_stats.h"
#include "gsprov_log.h"
#include "gsprov_crypto.h"

typedef enum {
    GSPROV_CACHE_HIT = 0,
    GSPROV_CACHE_MISS,
    GSPROV_CACHE_ERROR      /* backend down, slow, or protocol error */
} gsprov_cache_result_e;

typedef struct gsprov_cache gsprov_cache_t;

typedef struct {
    const char *name;
    /* On a hit, *val and *len are allocated from p.  On an error, *why says
     * what failed (never a key or a value). */
    gsprov_cache_result_e (*get)(gsprov_cache_t *c, apr_pool_t *p,
                                 const char *key, char **val,
                                 apr_size_t *len, const char **why);
    apr_status_t (*set)(gsprov_cache_t *c, apr_pool_t *p, const char *key,
                        const char *val, apr_size_t len,
                        apr_uint32_t ttl_seconds, const char **why);
} gsprov_cache_ops_t;

struct gsprov_cache {
    const gsprov_cache_ops_t *ops;
    void *impl;
    apr_uint32_t ttl;           /* seconds an entry may live; 0: forever */
    /* GsProvCacheSecret (gsprov_cache_set_secret): values are sealed,
     * AES-256-GCM under keys derived from it; else (GsProvCacheSecret
     * none) plain, bound to their key by a SHA-256 that catches garbage,
     * not a forgery */
    int sealed;
    unsigned char value_key[GSPROV_GCM_KEY_LEN];
};

/* Seal c's values with keys derived from secret (HKDF-SHA256). */
apr_status_t gsprov_cache_set_secret(gsprov_cache_t *c,
                                     const unsigned char *secret,
                                     apr_size_t len);

typedef struct gsprov_cache_provider gsprov_cache_provider_t;

/* Options of a cache backend (GsProvCache*). */
typedef struct {
    const char *config;         /* the backend's option string, or NULL */
    apr_uint32_t timeout_ms;    /* connect and poll timeout */
    apr_uint32_t retry_seconds; /* a failed server is retried after this */
    apr_uint32_t max_conns;     /* pool size: the child's threads */
    apr_uint32_t ttl;           /* entry lifetime, seconds */
    const unsigned char *secret;    /* GsProvCacheSecret, or NULL */
    apr_size_t secret_len;
    const gsprov_cache_provider_t *provider;  /* GsProvCache; NULL: none */
    apr_size_t near_bytes;      /* near cache in front (0: none) */
} gsprov_cache_opts_t;

/* A cache backend by the name GsProvCache gives it (the shape of httpd's
 * ap_socache_provider_t): the directive checks its options, child_init
 * creates it. */
struct gsprov_cache_provider {
    const char *name;
    const char *usage;          /* for the list of names */
    /* Config time, without connecting: NULL if opts (NULL: none given)
     * suit the backend, else what is wrong, from p, worded to follow
     * "GsProvCache <name> ". */
    const char *(*check)(apr_pool_t *p, const char *opts);
    /* The backend for o (*out NULL: no cache), living as long as p.
     * After fork (child_init): a connection must not cross processes. */
    apr_status_t (*create)(apr_pool_t *p, const gsprov_cache_opts_t *o,
                           gsprov_cache_t **out, char **err);
    /* Values leave the process (other hosts can read and write them):
     * GsProvCacheSecret is required, or "none" to accept the risk. */
    int shared;
};

/* gsprov_cache_provider.c: the providers by name. */

/* The provider called name (any case), or NULL. */
const gsprov_cache_provider_t *gsprov_cache_provider_find(const char *name);

/* The providers' usages for a message: "'none' and 'memcached ...'". */
const char *gsprov_cache_provider_list(apr_pool_t *p);

/* The backend and near cache for o, shared with earlier calls for alike
 * options through `made` (one hash per child): vhosts with the same
 * settings share one connection pool.  A failure is logged and leaves
 * that cache NULL: the vhost serves without it. */
void gsprov_cache_provider_open(apr_pool_t *p, apr_hash_t *made,
                                const gsprov_cache_opts_t *o,
                                const gsprov_logger_t *log,
                                gsprov_cache_t **cache,
                                gsprov_cache_t **near);

/* gsprov_cache_memcached.c */
extern const gsprov_cache_provider_t gsprov_cache_memcached_provider;

/* Check a libmemcached option string without connecting (config time).
 * NULL if fine, else a message naming the problem, from p. */
const char *gsprov_cache_memcached_check(apr_pool_t *p, const char *config);

/* A memcached backend with its own connection pool, living as long as p.
 * Create it after fork (child_init): a pool must not cross processes. */
apr_status_t gsprov_cache_memcached_create(apr_pool_t *p,
                                     const gsprov_cache_opts_t *o,
                                     gsprov_cache_t **out, char **err);

/* A near cache: a ring of `bytes` in this process, in front of the
 * shared cache (its values were checked when they came in). */
apr_status_t gsprov_cache_near_create(apr_pool_t *p, apr_size_t bytes,
                                       gsprov_cache_t **out, char **err);

/* What gsprov_cache_serve() needs besides the provisioning inputs. */
typedef struct {
    gsprov_cache_t *cache;      /* the shared cache; NULL: no cache */
    gsprov_cache_t *near;       /* this process's near cache, or NULL */
    const char *tenant;         /* key namespace: the vhost's name */
    const char *request_name;   /* the file name as asked for */
    gsprov_stats_t *stats;      /* counters; may be NULL */
    const gsprov_logger_t *log; /* for the throttled backend messages */
    apr_interval_time_t log_interval;  /* at most one message per this */
} gsprov_serve_ctx_t;

/* How a request was answered, for the caller's notes. */
typedef enum {
    GSPROV_SERVED_RENDERED = 0, /* no cache, or nothing to cache */
    GSPROV_SERVED_HIT,          /* from the shared cache */
    GSPROV_SERVED_NEAR_HIT,     /* from this process's near cache */
    GSPROV_SERVED_MISS,         /* rendered and stored */
    GSPROV_SERVED_CACHE_ERROR   /* rendered; the cache failed (fail open) */
} gsprov_served_e;

/* gsprov_provision() behind the cache.  Returns what gsprov_provision
 * returns; *served says whether the bytes came from the cache. */
apr_status_t gsprov_cache_serve(apr_pool_t *p, gsprov_store_t *store,
                          const gsprov_templates_t *t,
                          const gsprov_name_t *name,
                          const gsprov_settings_t *set,
                          const gsprov_serve_ctx_t *sc,
                          gsprov_output_t *out, gsprov_served_e *served,
                          char **err);

/* The pieces, exposed for tests. */

/* The cache key of a request ("gsprov1:" + 64 hex digits), or NULL when
 * the file must not be cached (its device has no record: 404). */
const char *gsprov_cache_key(apr_pool_t *p, gsprov_store_t *store,
                             const gsprov_templates_t *t,
                             const gsprov_name_t *name,
                             const gsprov_settings_t *set,
                             const char *tenant, const char *request_name);

/* A shared cache value: sealed for key with c's secret (AES-256-GCM),
 * or plain with a digest binding it to key when c has none (or is NULL);
 * *len 0 if it could not be made.  unpack returns 0 (and leaves out
 * alone) for anything that was not packed for key with that secret. */
void gsprov_cache_pack(apr_pool_t *p, const gsprov_cache_t *c,
                       const char *key, const gsprov_output_t *o, char **val,
                       apr_size_t *len);
int gsprov_cache_unpack(apr_pool_t *p, const gsprov_cache_t *c,
                        const char *key, const char *val, apr_size_t len,
                        gsprov_output_t *out);

#endif
