/*
 * The memcached cache backend, through libmemcached: its own connection
 * pool (a memcached_st must not be used by two threads at once), ketama
 * distribution, millisecond timeouts and dead-server retry.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_strings.h>
#include <libmemcached/memcached.h>
#include <libmemcachedutil-1.0/pool.h>
#include "gsprov_cache.h"
#include "gsprov_error.h"

typedef struct {
    memcached_pool_st *pool;
    memcached_st *master;
    struct timespec wait;       /* how long to wait for a free connection */
} mc_t;

/* What is wrong with one option, for an administrator: libmemcached's
 * parser message starts with its instance's address and ends with its
 * own source file and line, and names a token class, not the option. */
static const char *mc_bad_option(apr_pool_t *p, const char *opt)
{
    char buf[512] = "";
    const char *eq = strchr(opt, '=');
    const char *name = eq ? apr_pstrmemdup(p, opt, (apr_size_t)(eq - opt))
                          : opt;

    if (libmemcached_check_configuration(opt, strlen(opt), buf, sizeof(buf))
        == MEMCACHED_SUCCESS)
        return NULL;
    if (strstr(buf, "UNKNOWN_OPTION") || opt[0] != '-')
        return apr_psprintf(p, "'%s' is not a libmemcached option", name);
    if (strstr(buf, "expecting NUMBER"))
        return apr_psprintf(p, "'%s': %s takes a number", opt, name);
    if (strstr(buf, "IPADDRESS or HOSTNAME") || !strcmp(name, "--SERVER"))
        return apr_psprintf(p, "'%s': not a host[:port] libmemcached "
                            "accepts", opt);
    return apr_psprintf(p, "'%s': libmemcached does not accept this value",
                        opt);
}

const char *gsprov_cache_memcached_check(apr_pool_t *p, const char *config)
{
    char buf[512] = "";
    memcached_st *m;
    uint32_t n;

    if (libmemcached_check_configuration(config, strlen(config), buf,
                                         sizeof(buf)) != MEMCACHED_SUCCESS) {
        /* the option at fault: the first that fails on its own */
        char *copy = apr_pstrdup(p, config), *opt, *state;
        const char *why;
        for (opt = apr_strtok(copy, " \t", &state); opt;
             opt = apr_strtok(NULL, " \t", &state))
            if ((why = mc_bad_option(p, opt)))
                return why;
        return "invalid option string (each option is --NAME or "
               "--NAME=value, separated by spaces)";
    }
    if (!(m = memcached(config, strlen(config))))
        return "libmemcached could not use the option string";
    n = memcached_server_count(m);
    memcached_free(m);
    return n ? NULL : "no --SERVER=host:port in the option string";
}

static apr_status_t mc_release(void *data)
{
    mc_t *mc = data;
    if (mc->pool)
        memcached_pool_destroy(mc->pool);
    if (mc->master)
        memcached_free(mc->master);
    return APR_SUCCESS;
}

/* a message for the log: libmemcached's, which names the server */
static const char *describe(memcached_st *m, memcached_return_t rc)
{
    const char *s = m ? memcached_last_error_message(m) : NULL;
    /* it starts with the instance's address: "(0x55...) " */
    if (s && s[0] == '(' && s[1] == '0' && s[2] == 'x' && strchr(s, ' '))
        s = strchr(s, ' ') + 1;
    return s && *s ? s : memcached_strerror(m, rc);
}

static gsprov_cache_result_e mc_get(gsprov_cache_t *c, apr_pool_t *p,
                                    const char *key, char **val,
                                    apr_size_t *len, const char **why)
{
    mc_t *mc = c->impl;
    memcached_return_t rc;
    memcached_st *m = memcached_pool_fetch(mc->pool, &mc->wait, &rc);
    gsprov_cache_result_e res;
    uint32_t flags = 0;
    size_t vlen = 0;
    char *v;

    if (!m) {
        *why = apr_psprintf(p, "no free memcached connection (%s)",
                            memcached_strerror(NULL, rc));
        return GSPROV_CACHE_ERROR;
    }
    v = memcached_get(m, key, strlen(key), &vlen, &flags, &rc);
    if (rc == MEMCACHED_SUCCESS) {
        /* an empty value comes back as NULL: a hit all the same, which
         * the caller rejects and replaces */
        *val = v ? apr_pmemdup(p, v, vlen) : "";
        *len = v ? vlen : 0;
        res = GSPROV_CACHE_HIT;
    }
    else if (rc == MEMCACHED_NOTFOUND) {
        res = GSPROV_CACHE_MISS;
    }
    else {
        *why = apr_pstrdup(p, describe(m, rc));
        res = GSPROV_CACHE_ERROR;
    }
    free(v);                    /* libmemcached's results are malloc'd */
    memcached_pool_release(mc->pool, m);
    return res;
}

static apr_status_t mc_set(gsprov_cache_t *c, apr_pool_t *p, const char *key,
                           const char *val, apr_size_t len,
                           apr_uint32_t ttl, const char **why)
{
    mc_t *mc = c->impl;
    memcached_return_t rc;
    memcached_st *m = memcached_pool_fetch(mc->pool, &mc->wait, &rc);

    if (!m) {
        *why = apr_psprintf(p, "no free memcached connection (%s)",
                            memcached_strerror(NULL, rc));
        return GSPROV_EIO;
    }
    rc = memcached_set(m, key, strlen(key), val, len, (time_t)ttl, 0);
    if (rc != MEMCACHED_SUCCESS)
        *why = apr_pstrdup(p, describe(m, rc));
    memcached_pool_release(mc->pool, m);
    return rc == MEMCACHED_SUCCESS ? APR_SUCCESS : GSPROV_EIO;
}

static const gsprov_cache_ops_t mc_ops = { "memcached", mc_get, mc_set };

/* GsProvCache memcached "<libmemcached option string>" */
static const char *mc_check_opts(apr_pool_t *p, const char *opts)
{
    const char *bad;

    if (!opts || !*opts)
        return "needs a libmemcached option string, e.g. "
               "\"--SERVER=10.0.0.5:11211 --SERVER=10.0.0.6:11211\"";
    bad = gsprov_cache_memcached_check(p, opts);
    return bad ? apr_psprintf(p, "\"%s\": %s", opts, bad) : NULL;
}

const gsprov_cache_provider_t gsprov_cache_memcached_provider = {
    "memcached", "memcached \"<options>\"", mc_check_opts,
    gsprov_cache_memcached_create, 1
};

apr_status_t gsprov_cache_memcached_create(apr_pool_t *p,
                                     const gsprov_cache_opts_t *o,
                                     gsprov_cache_t **out, char **err)
{
    mc_t *mc = apr_pcalloc(p, sizeof(*mc));
    gsprov_cache_t *c;
    memcached_st *m;
    const char *bad;

    if ((bad = gsprov_cache_memcached_check(p, o->config))) {
        *err = apr_pstrdup(p, bad);
        return GSPROV_EPARSE;
    }
    if (!(m = memcached(o->config, strlen(o->config)))) {
        *err = "libmemcached could not use the option string";
        return GSPROV_EPARSE;
    }
    mc->master = m;
    apr_pool_cleanup_register(p, mc, mc_release, apr_pool_cleanup_null);
    /* Non-blocking sockets, so that the timeouts apply to connect and to
     * every read and write: a hung server (SIGSTOP) costs one timeout.
     * A server that fails is taken out of the ketama ring and retried
     * after retry_seconds; its keys go to the others meanwhile. */
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
                           o->timeout_ms);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, o->timeout_ms);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                           (uint64_t)o->timeout_ms * 1000);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                           (uint64_t)o->timeout_ms * 1000);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                           MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 1);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 1);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT,
                           o->retry_seconds);
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_DEAD_TIMEOUT,
                           o->retry_seconds);
    /* connections are made on first use, one per thread at most */
    if (!(mc->pool = memcached_pool_create(m, 1, o->max_conns ? o->max_conns
                                                              : 1))) {
        *err = "memcached_pool_create failed";
        return GSPROV_EIO;
    }
    mc->wait.tv_sec = (time_t)(o->timeout_ms / 1000);
    mc->wait.tv_nsec = (long)(o->timeout_ms % 1000) * 1000000L;
    c = apr_pcalloc(p, sizeof(*c));
    c->ops = &mc_ops;
    c->impl = mc;
    c->ttl = o->ttl;
    if (o->secret && gsprov_cache_set_secret(c, o->secret, o->secret_len)) {
        /* never fall back to plain values: refuse the cache instead */
        *err = "cannot derive the value key from GsProvCacheSecret (OpenSSL)";
        return GSPROV_ECRYPTO;
    }
    *out = c;
    return APR_SUCCESS;
}
