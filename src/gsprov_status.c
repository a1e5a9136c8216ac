/*
 * Counters per tenant (one slot per vhost) in shared memory, counted when
 * a request to one of our handlers is logged, and `SetHandler
 * gsprov-status`, which shows them as text or JSON (like mod_status).
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_main.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "mod_gsprov.h"
#include "gsprov_request.h"
#include "gsprov_name.h"
#include "gsprov_metrics.h"

APLOG_USE_MODULE(gsprov);

/* When the current slots were created (each configuration cycle starts
 * them at zero).  Written in post_config only. */
static apr_time_t counting_since;

gsprov_stats_t *gsprov_stats_of(request_rec *r)
{
    gsprov_srv_conf *sc = ap_get_module_config(r->server->module_config,
                                               &gsprov_module);
    return sc ? sc->stats : NULL;
}

void gsprov_note_error(request_rec *r, const char *msgid, const char *text)
{
    gsprov_stats_t *st = gsprov_stats_of(r);
    if (st)
        gsprov_stats_error(st, gsprov_log_msgid(msgid), text);
}

static const char *tenant_name(apr_pool_t *p, server_rec *s)
{
    const char *n = s->server_hostname ? s->server_hostname : "(unnamed)";
    /* a <VirtualHost *:443> has its port in its address, not in s->port */
    apr_port_t port = s->port ? s->port : s->addrs ? s->addrs->host_port : 0;
    return port ? apr_psprintf(p, "%s:%u", n, (unsigned)port) : n;
}

/* One slot per server_rec, in memory shared with the children (mapped
 * before they fork).  Without shared memory, each child counts alone. */
static int stats_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    apr_shm_t *shm = NULL;
    gsprov_stats_t *slots;
    apr_size_t size;
    apr_status_t rv;
    server_rec *v;
    int n = 0;

    for (v = s; v; v = v->next)
        n++;
    size = sizeof(gsprov_stats_t) * (apr_size_t)n;
    rv = apr_shm_create(&shm, size, NULL, pconf);
    if (rv == APR_SUCCESS) {
        slots = apr_shm_baseaddr_get(shm);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, GSPROV_LOGNO(0504)
                     "no anonymous shared memory for the status counters; "
                     "each child counts its own requests");
        slots = apr_palloc(pconf, size);
    }
    for (v = s, n = 0; v; v = v->next, n++) {
        gsprov_srv_conf *sc = ap_get_module_config(v->module_config,
                                                   &gsprov_module);
        sc->stats = &slots[n];
        gsprov_stats_init(sc->stats, tenant_name(ptemp, v));
    }
    counting_since = apr_time_now();
    return OK;
}

/* Count every request our handlers were given, whatever answered it
 * (the handler, or access control before it). */
static int stats_log_transaction(request_rec *r)
{
    const char *h = apr_table_get(r->notes, "gsprov-handler");
    const char *file;
    gsprov_stats_t *st;
    gsprov_stat_kind_e kind;

    /* device requests only: not the status page, not the admin API */
    if (!h || (strcmp(h, GSPROV_HANDLER) != 0
               && strcmp(h, GSPROV_FW_HANDLER) != 0)
        || !(st = gsprov_stats_of(r)))
        return DECLINED;
    file = apr_table_get(r->notes, "gsprov-file");
    if (file) {
        kind = gsprov_stats_kind(file);
    }
    else if (strcmp(h, GSPROV_FW_HANDLER) == 0) {
        kind = GSPROV_SK_FIRMWARE;
    }
    else {
        /* refused before the handler ran: what was asked for? */
        const char *seg = gsprov_request_segment(r);
        gsprov_name_t name;
        kind = gsprov_name_resolve(seg, strlen(seg), &name)
               ? gsprov_stats_kind(gsprov_name_kind(name.kind))
               : GSPROV_SK_OTHER;
    }
    gsprov_stats_request(st, kind, r->status);
    return DECLINED;
}

/* The version of the template set v's requests are served from (the
 * newest good one of this server: asking for it brings this child up to
 * it), or NULL if the vhost names no store. */
static const char *templates_of(request_rec *r, server_rec *v)
{
    gsprov_dir_conf *c = ap_get_module_config(v->lookup_defaults,
                                              &gsprov_module);
    return c && c->store ? gsprov_store_templates(c->store, r->pool,
                                                  gsprov_conf_reload(c))
                               ->version : NULL;
}

/* The forms of the status page. */
typedef enum { PAGE_TEXT, PAGE_JSON, PAGE_PROMETHEUS, PAGE_AUTO } page_e;

/* The form asked for: `?<form>` or `?format=<form>`; without either, the
 * exposition format if Accept names it (as Prometheus' scraper does), else
 * text. */
static page_e page_form(request_rec *r)
{
    static const struct { const char *name; page_e form; } forms[] = {
        { "json", PAGE_JSON }, { "prometheus", PAGE_PROMETHEUS },
        { "auto", PAGE_AUTO },
    };
    const char *q = r->args;
    apr_size_t i;

    if (q && strncmp(q, "format=", 7) == 0)
        q += 7;
    for (i = 0; q && i < sizeof(forms) / sizeof(forms[0]); i++)
        if (strcmp(q, forms[i].name) == 0)
            return forms[i].form;
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    return gsprov_metrics_accepts(r->pool, apr_table_get(r->headers_in,
                                                         "Accept"))
           ? PAGE_PROMETHEUS : PAGE_TEXT;
}

/* The vhosts whose counters the page at r shows (GsProvStatusScope). */
static apr_array_header_t *shown(request_rec *r)
{
    gsprov_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                 &gsprov_module);
    apr_array_header_t *vs = apr_array_make(r->pool, 8, sizeof(server_rec *));
    server_rec *v;

    if (gsprov_conf_status_scope(conf) != GSPROV_STATUS_SERVER) {
        if (gsprov_stats_of(r))
            APR_ARRAY_PUSH(vs, server_rec *) = r->server;
        return vs;
    }
    /* every vhost of this configuration: the chain from the main server,
     * which r->server is one of */
    for (v = ap_server_conf; v; v = v->next) {
        gsprov_srv_conf *sc = ap_get_module_config(v->module_config,
                                                   &gsprov_module);
        if (sc->stats)
            APR_ARRAY_PUSH(vs, server_rec *) = v;
    }
    return vs;
}

/* Count the devices of v's tenant seen in the last hour and day, into
 * its slot; a count that fails leaves them not known, and says why. */
static void seen_count(request_rec *r, server_rec *v,
                       const gsprov_dir_conf *conf, gsprov_stats_t *st)
{
    apr_int64_t now = apr_time_sec(apr_time_now()), hour = -1, day = -1;
    gsprov_store_t *store;
    char *err = NULL;
    apr_status_t rv;
    apr_pool_t *p;

    /* a pool of its own: a database connection goes back at once */
    apr_pool_create(&p, r->pool);
    store = gsprov_conf_store_kind(conf) == GSPROV_STORE_DBD
            ? gsprov_dbd_store_thread(p, v, conf->store,
                                      gsprov_dbd_tenant(v, conf))
            : conf->store;
    rv = gsprov_store_status_count(store, p, now - 3600, &hour, &err);
    if (rv == APR_SUCCESS)
        rv = gsprov_store_status_count(store, p, now - 86400, &day, &err);
    if (rv != APR_SUCCESS) {
        gsprov_logger_t log;
        hour = day = -1;
        gsprov_logger_for(v, &log);
        gsprov_stats_complain(st, &log, GSPROV_LOG_MARK, GSPROV_LOG_WARN,
                              GSPROV_THROTTLE_SEEN_FAILED,
                              apr_time_from_sec(GSPROV_SEEN_LOG_INTERVAL),
                              GSPROV_LOGNO(1401), v->server_hostname,
                              apr_psprintf(p, "the status page cannot count "
                                           "the devices seen: %s",
                                           err ? err : "unknown error"),
                              "failed counts");
    }
    gsprov_stats_seen_set(st, hour, day);
    apr_pool_destroy(p);
}

/* A vhost as the monitoring forms show it: its counters, the version of
 * the templates of its GsProvRoot (the vhost's, not a <Location>'s), and
 * the devices its store has seen.  Those are counted at most once every
 * GSPROV_SEEN_INTERVAL seconds per tenant for the whole server, however
 * many scrapers and children ask (the directory store lists its status
 * directory to count, the database store runs one query per gauge); in
 * between, the last counts are shown. */
static void tenant_of(request_rec *r, server_rec *v,
                      gsprov_metrics_tenant_t *t)
{
    gsprov_srv_conf *sc = ap_get_module_config(v->module_config,
                                               &gsprov_module);
    gsprov_dir_conf *conf = ap_get_module_config(v->lookup_defaults,
                                                 &gsprov_module);
    const gsprov_templates_t *tp;

    t->stats = sc->stats;
    t->templates_version = NULL;
    t->seen_hour = t->seen_day = -1;
    if (conf && conf->store
        && (tp = gsprov_store_templates(conf->store, r->pool,
                                        gsprov_conf_reload(conf))))
        t->templates_version = tp->version;
    /* without a store, or not recording: not known, so not shown */
    if (!conf || !conf->store || !gsprov_conf_device_status(conf))
        return;
    if (gsprov_stats_seen_due(t->stats,
                              apr_time_from_sec(GSPROV_SEEN_INTERVAL)))
        seen_count(r, v, conf, t->stats);
    gsprov_stats_seen_get(t->stats, &t->seen_hour, &t->seen_day);
}

static int status_handler(request_rec *r)
{
    static const char *const types[] = {
        "text/plain; charset=utf-8", "application/json",
        "text/plain; version=0.0.4; charset=utf-8",
        "text/plain; charset=utf-8"
    };
    apr_array_header_t *vs;
    page_e form;
    int status, i;

    if (!r->handler || strcmp(r->handler, GSPROV_STATUS_HANDLER) != 0)
        return DECLINED;
    if ((status = gsprov_request_only_get(r)) != OK)
        return status;
    form = page_form(r);
    ap_set_content_type(r, types[form]);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only)
        return OK;
    vs = shown(r);
    if (form == PAGE_TEXT || form == PAGE_JSON) {
        gsprov_stats_t **slots = apr_palloc(r->pool, sizeof(*slots)
                                            * (vs->nelts + 1));
        const char **versions = apr_palloc(r->pool, sizeof(*versions)
                                           * (vs->nelts + 1));
        for (i = 0; i < vs->nelts; i++) {
            server_rec *v = APR_ARRAY_IDX(vs, i, server_rec *);
            slots[i] = ((gsprov_srv_conf *)ap_get_module_config(
                v->module_config, &gsprov_module))->stats;
            versions[i] = templates_of(r, v);
        }
        ap_rputs((form == PAGE_JSON ? gsprov_stats_json : gsprov_stats_text)
                 (r->pool, slots, versions, vs->nelts, counting_since), r);
    }
    else {
        gsprov_metrics_tenant_t *t = apr_palloc(r->pool, sizeof(*t)
                                                * (vs->nelts + 1));
        gsprov_metrics_clock_t clock;
        clock.since = counting_since;
        clock.now = apr_time_now();
        for (i = 0; i < vs->nelts; i++)
            tenant_of(r, APR_ARRAY_IDX(vs, i, server_rec *), &t[i]);
        ap_rputs((form == PAGE_AUTO ? gsprov_metrics_auto
                                    : gsprov_metrics_prometheus)
                 (r->pool, t, vs->nelts, &clock), r);
    }
    return OK;
}

void gsprov_register_status(apr_pool_t *p)
{
    ap_hook_post_config(stats_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(stats_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
