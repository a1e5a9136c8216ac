/*
 * Cache backends by name: `GsProvCache <name> ["<options>"]` looks the
 * name up here, the provider checks the options at config time and
 * creates the backend in each child.
 */
#include <string.h>
#include <apr_strings.h>
#include "gsprov_cache.h"
#include "gsprov_crypto.h"

/* GsProvCache none: no cache (the default) */
static const char *none_check(apr_pool_t *p, const char *opts)
{
    return opts ? "takes no options" : NULL;
}

static apr_status_t none_create(apr_pool_t *p, const gsprov_cache_opts_t *o,
                                gsprov_cache_t **out, char **err)
{
    *out = NULL;
    return APR_SUCCESS;
}

static const gsprov_cache_provider_t none_provider = {
    "none", "none", none_check, none_create, 0
};

static const gsprov_cache_provider_t *const providers[] = {
    &none_provider,
    &gsprov_cache_memcached_provider
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

const gsprov_cache_provider_t *gsprov_cache_provider_find(const char *name)
{
    size_t i;

    for (i = 0; name && i < NPROVIDERS; i++)
        if (strcasecmp(name, providers[i]->name) == 0)
            return providers[i];
    return NULL;
}

const char *gsprov_cache_provider_list(apr_pool_t *p)
{
    const char *list = "";
    size_t i;

    /* "'a' and 'b'", "'a', 'b' and 'c'" */
    for (i = 0; i < NPROVIDERS; i++)
        list = apr_psprintf(p, "%s%s'%s'", list, i == 0 ? ""
                            : i == NPROVIDERS - 1 ? " and " : ", ",
                            providers[i]->usage);
    return list;
}

void gsprov_cache_provider_open(apr_pool_t *p, apr_hash_t *made,
                                const gsprov_cache_opts_t *o,
                                const gsprov_logger_t *log,
                                gsprov_cache_t **cache,
                                gsprov_cache_t **near)
{
    const gsprov_cache_provider_t *pv = o->provider ? o->provider
                                                    : &none_provider;
    const char *id, *near_id;
    char *err = NULL;

    *cache = *near = NULL;
    /* shared when everything about the backend is alike */
    id = apr_psprintf(p, "%s\n%s\n%u\n%u\n%u\n%" APR_SIZE_T_FMT "\n%s",
                      pv->name, o->config ? o->config : "", o->timeout_ms,
                      o->retry_seconds, o->ttl, o->near_bytes, o->secret
                      ? gsprov_crypto_sha256_hex(p, o->secret, o->secret_len)
                      : "-");
    near_id = apr_pstrcat(p, id, "\nnear", NULL);
    if ((*cache = apr_hash_get(made, id, APR_HASH_KEY_STRING))) {
        *near = apr_hash_get(made, near_id, APR_HASH_KEY_STRING);
        return;
    }
    if (pv->create(p, o, cache, &err) != APR_SUCCESS) {
        /* fail open: this vhost serves without a cache */
        gsprov_log(log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR, GSPROV_LOGNO(0503)
                   "GsProvCache %s: %s; serving without the cache", pv->name,
                   err ? err : "unknown error");
        *cache = NULL;
        return;
    }
    if (!*cache)
        return;
    apr_hash_set(made, id, APR_HASH_KEY_STRING, *cache);
    /* tenants sharing a cluster may share the near cache: keys are
     * namespaced by tenant */
    if (o->near_bytes && gsprov_cache_near_create(p, o->near_bytes, near,
                                                  &err) != APR_SUCCESS) {
        gsprov_log(log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR, GSPROV_LOGNO(0505)
                   "GsProvCacheNear: %s; serving without it",
                   err ? err : "unknown error");
        *near = NULL;
    }
    if (*near)
        apr_hash_set(made, near_id, APR_HASH_KEY_STRING, *near);
}
