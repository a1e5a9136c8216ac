/*
 * GsProvStore dbd: the database store (lib/store/gsprov_store_dbd.c) on
 * mod_dbd's connections.
 *
 *   config time   GsProvStore dbd needs mod_dbd's optional functions;
 *                 our statements are registered with ap_dbd_prepare, so
 *                 mod_dbd prepares them on every connection it opens
 *   check_config  every vhost using the store has a DBDriver (fails
 *                 apachectl -t, naming the vhost)
 *   post_config   the schema version is checked on a connection of our
 *                 own (mod_dbd hands out connections only after
 *                 child_init): an unknown version refuses to start; a
 *                 database that cannot be reached only warns, and each
 *                 child checks the version on its first connection
 *   requests      a store per request over ap_dbd_acquire(r); a database
 *                 that cannot answer is 503 with Retry-After, logged at
 *                 most once per GSPROV_DBD_LOG_INTERVAL per tenant and
 *                 counted on the status page
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

#include "mod_gsprov.h"
#include "gsprov_store_dbd.h"

APLOG_USE_MODULE(gsprov);

/* The servers where GsProvStore dbd appears (pconf userdata). */
#define SERVERS_KEY "gsprov-dbd-servers"

static apr_array_header_t *dbd_servers(apr_pool_t *pconf)
{
    apr_array_header_t *a = NULL;
    apr_pool_userdata_get((void **)&a, SERVERS_KEY, pconf);
    return a;
}

const char *gsprov_dbd_configure(cmd_parms *cmd)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    const gsprov_dbd_stmt_t *st;
    apr_array_header_t *servers;
    int i, n;

    if (!prepare || !APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire))
        return "GsProvStore dbd: mod_dbd is not loaded (LoadModule "
               "dbd_module modules/mod_dbd.so, or a2enmod dbd)";
    st = gsprov_store_dbd_statements(&n);
    for (i = 0; i < n; i++)
        prepare(cmd->server, st[i].sql, st[i].label);
    if (!(servers = dbd_servers(cmd->pool))) {
        servers = apr_array_make(cmd->pool, 4, sizeof(server_rec *));
        apr_pool_userdata_set(servers, SERVERS_KEY, apr_pool_cleanup_null,
                              cmd->pool);
    }
    APR_ARRAY_PUSH(servers, server_rec *) = cmd->server;
    return NULL;
}

/* mod_dbd's configuration of s: its server config begins with the
 * dbd_cfg_t that mod_dbd.h publishes for its post_connect hook. */
static const dbd_cfg_t *dbd_cfg_of(server_rec *s)
{
    module *m = ap_find_linked_module("mod_dbd.c");
    void **svr = m ? ap_get_module_config(s->module_config, m) : NULL;
    return svr ? *(const dbd_cfg_t **)svr : NULL;
}

static int has_driver(server_rec *s)
{
    const dbd_cfg_t *c = dbd_cfg_of(s);
    /* unset, mod_dbd names it "[DBDriver unset]" */
    return c && c->name && c->name[0] && c->name[0] != '[';
}

/* Each server a GsProvStore dbd line applies to (a main-server line:
 * every vhost) with its tenant's name, for fn; non-zero stops. */
static int each_server(apr_pool_t *pconf, server_rec *main_s,
                       int (*fn)(server_rec *s, apr_pool_t *p, void *baton),
                       apr_pool_t *p, void *baton)
{
    apr_array_header_t *a = dbd_servers(pconf);
    server_rec *v;
    int i, rc;

    for (i = 0; a && i < a->nelts; i++) {
        server_rec *s = APR_ARRAY_IDX(a, i, server_rec *);
        if (s != main_s) {
            if ((rc = fn(s, p, baton)))
                return rc;
            continue;
        }
        for (v = main_s; v; v = v->next)
            if ((rc = fn(v, p, baton)))
                return rc;
    }
    return 0;
}

static int need_driver(server_rec *s, apr_pool_t *p, void *baton)
{
    if (has_driver(s))
        return 0;
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                 GSPROV_LOGNO(1014) "GsProvStore dbd for %s (%s:%d) needs "
                 "DBDriver and DBDParams in that virtual host (or the main "
                 "server)", s->server_hostname ? s->server_hostname : "?",
                 s->defn_name ? s->defn_name : "?", s->defn_line_number);
    return HTTP_INTERNAL_SERVER_ERROR;
}

static int dbd_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    return each_server(pconf, s, need_driver, ptemp, NULL) ? !OK : OK;
}

/* The schema on a connection of our own, once per database. */
static int check_schema(server_rec *s, apr_pool_t *p, void *baton)
{
    apr_hash_t *seen = baton;
    const dbd_cfg_t *c = dbd_cfg_of(s);
    gsprov_srv_conf *sc = ap_get_module_config(s->module_config,
                                               &gsprov_module);
    const char *key, *ok, *bad;
    gsprov_dbd_source_t *src;
    apr_pool_t *cp;
    char *err = NULL;
    int version;

    if (!has_driver(s))     /* (check_config said so already) */
        return 0;
    key = apr_pstrcat(p, c->name, "\n", c->params ? c->params : "", NULL);
    if (!(ok = apr_hash_get(seen, key, APR_HASH_KEY_STRING))) {
        /* the connection is closed before the children fork */
        apr_pool_create(&cp, p);
        if (gsprov_store_dbd_connect(cp, c->name, c->params, &src, &err)
            || gsprov_store_dbd_schema(cp, src, &version, &err)) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, s,
                         GSPROV_LOGNO(1011) "GsProvStore dbd for %s: the "
                         "database cannot be reached now (%s); starting "
                         "anyway: requests answer 503 until it can, and "
                         "each child checks the schema version first",
                         s->server_hostname, err ? err : "unknown error");
            ok = "unreachable";
        }
        else if ((bad = gsprov_store_dbd_schema_check(p, version))) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                         GSPROV_LOGNO(1010) "GsProvStore dbd for %s: %s%s%s",
                         s->server_hostname, bad, err ? "; " : "",
                         err ? err : "");
            apr_pool_destroy(cp);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        else
            ok = "verified";
        apr_pool_destroy(cp);
        apr_hash_set(seen, key, APR_HASH_KEY_STRING, ok);
    }
    if (!strcmp(ok, "verified"))
        apr_atomic_set32(&sc->db_verified, 1);
    return 0;
}

static int dbd_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    /* not at the configuration check of a restart's first pass */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    return each_server(pconf, s, check_schema, ptemp, apr_hash_make(ptemp))
           ? !OK : OK;
}

/* ---- requests ---------------------------------------------------------- */

typedef struct {
    request_rec *r;
    gsprov_srv_conf *sc;
} req_src_t;

static apr_status_t given_conn(const gsprov_dbd_source_t *src,
                               apr_pool_t *p, gsprov_dbd_conn_t *out,
                               char **err)
{
    *out = *(const gsprov_dbd_conn_t *)src->baton;
    return APR_SUCCESS;
}

/* The request's connection (mod_dbd gives it back at the request's end);
 * the child's first one checks the schema version. */
static apr_status_t req_acquire(const gsprov_dbd_source_t *src,
                                apr_pool_t *p, gsprov_dbd_conn_t *out,
                                char **err)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    const req_src_t *rs = src->baton;
    gsprov_dbd_source_t once = { given_conn, out };
    ap_dbd_t *db;
    const char *bad;
    int version;

    if (!acquire || !(db = acquire(rs->r))) {
        *err = "no database connection (mod_dbd could not open one; its "
               "error lines say why)";
        return GSPROV_EUNAVAIL;
    }
    out->driver = db->driver;
    out->handle = db->handle;
    out->prepared = db->prepared;
    if (apr_atomic_read32(&rs->sc->db_verified))
        return APR_SUCCESS;
    if (gsprov_store_dbd_schema(p, &once, &version, err))
        return GSPROV_EUNAVAIL;
    if ((bad = gsprov_store_dbd_schema_check(p, version))) {
        *err = apr_pstrcat(p, bad, *err ? "; " : "", *err ? *err : "", NULL);
        return GSPROV_EUNAVAIL;
    }
    apr_atomic_set32(&rs->sc->db_verified, 1);
    return APR_SUCCESS;
}

static gsprov_store_t *open_store(apr_pool_t *p, server_rec *s,
                                  gsprov_srv_conf *sc,
                                  gsprov_store_t *templates,
                                  const char *tenant,
                                  const gsprov_dbd_source_t *src)
{
    gsprov_dbd_opts_t o;

    memset(&o, 0, sizeof(o));
    o.tenant = tenant;
    o.templates = templates;
    o.source = src;
    gsprov_logger_for(s, &o.log);
    if (sc->stats) {
        o.queries = &sc->stats->db_queries;
        o.errors = &sc->stats->db_errors;
    }
    return gsprov_store_dbd_open(p, &o);
}

gsprov_store_t *gsprov_dbd_store(request_rec *r, const gsprov_dir_conf *conf)
{
    gsprov_srv_conf *sc = ap_get_module_config(r->server->module_config,
                                               &gsprov_module);
    gsprov_dbd_source_t *src = apr_pcalloc(r->pool, sizeof(*src));
    req_src_t *rs = apr_pcalloc(r->pool, sizeof(*rs));

    rs->r = r;
    rs->sc = sc;
    src->acquire = req_acquire;
    src->baton = rs;
    return open_store(r->pool, r->server, sc, conf->store,
                      gsprov_dbd_tenant(r->server, conf), src);
}

/* ---- threads outside requests (the status flusher) --------------------- */

typedef struct {
    server_rec *s;
} thread_src_t;

typedef struct {
    server_rec *s;
    ap_dbd_t *db;
} held_t;

static apr_status_t thread_release(void *data)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_close) *close =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    held_t *h = data;

    if (close && h->db)
        close(h->s, h->db);
    return APR_SUCCESS;
}

/* A pooled connection of s's mod_dbd for p, given back when p is
 * cleared; the same one for every call with p. */
static apr_status_t thread_acquire(const gsprov_dbd_source_t *src,
                                   apr_pool_t *p, gsprov_dbd_conn_t *out,
                                   char **err)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_open) *open =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    const thread_src_t *ts = src->baton;
    held_t *h = NULL;

    apr_pool_userdata_get((void **)&h, "gsprov-dbd-held", p);
    if (!h) {
        ap_dbd_t *db = open ? open(p, ts->s) : NULL;
        if (!db) {
            *err = "no database connection (mod_dbd could not open one; its "
                   "error lines say why)";
            return GSPROV_EUNAVAIL;
        }
        h = apr_palloc(p, sizeof(*h));
        h->s = ts->s;
        h->db = db;
        apr_pool_userdata_setn(h, "gsprov-dbd-held", thread_release, p);
    }
    out->driver = h->db->driver;
    out->handle = h->db->handle;
    out->prepared = h->db->prepared;
    return APR_SUCCESS;
}

gsprov_store_t *gsprov_dbd_store_thread(apr_pool_t *p, server_rec *s,
                                        gsprov_store_t *templates,
                                        const char *tenant)
{
    gsprov_srv_conf *sc = ap_get_module_config(s->module_config,
                                               &gsprov_module);
    gsprov_dbd_source_t *src = apr_pcalloc(p, sizeof(*src));
    thread_src_t *ts = apr_pcalloc(p, sizeof(*ts));

    ts->s = s;
    src->acquire = thread_acquire;
    src->baton = ts;
    return open_store(p, s, sc, templates, tenant, src);
}

const char *gsprov_dbd_tenant(server_rec *s, const gsprov_dir_conf *conf)
{
    /* the same on every node: the vhost's name unless the line names it */
    return conf->db_tenant && *conf->db_tenant ? conf->db_tenant
           : s->server_hostname;
}

int gsprov_dbd_unavailable(request_rec *r, const char *msgid,
                           const char *err)
{
    gsprov_srv_conf *sc = ap_get_module_config(r->server->module_config,
                                               &gsprov_module);
    gsprov_logger_t log;

    if (sc->stats)
        apr_atomic_inc64(&sc->stats->db_unavailable);
    gsprov_logger_for(r->server, &log);
    gsprov_stats_complain(sc->stats, &log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
                          GSPROV_THROTTLE_DB_FAILED,
                          apr_time_from_sec(GSPROV_DBD_LOG_INTERVAL), msgid,
                          r->server->server_hostname, apr_psprintf(r->pool,
                          "%s %s: the database cannot answer, 503: %s",
                          r->method, r->uri, err ? err : "unknown error"),
                          "database failures");
    apr_table_setn(r->err_headers_out, "Retry-After",
                   APR_STRINGIFY(GSPROV_DBD_RETRY_AFTER));
    return HTTP_SERVICE_UNAVAILABLE;
}

void gsprov_register_dbd(apr_pool_t *p)
{
    static const char *const after_dbd[] = { "mod_dbd.c", NULL };
    ap_hook_check_config(dbd_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(dbd_post_config, after_dbd, NULL, APR_HOOK_MIDDLE);
}
