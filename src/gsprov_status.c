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

static int status_handler(request_rec *r)
{
    gsprov_dir_conf *conf;
    apr_array_header_t *slots, *versions;
    gsprov_stats_t *own;
    int json, status;

    if (!r->handler || strcmp(r->handler, GSPROV_STATUS_HANDLER) != 0)
        return DECLINED;
    if ((status = gsprov_request_only_get(r)) != OK)
        return status;
    conf = ap_get_module_config(r->per_dir_config, &gsprov_module);
    slots = apr_array_make(r->pool, 8, sizeof(gsprov_stats_t *));
    versions = apr_array_make(r->pool, 8, sizeof(const char *));
    if (gsprov_conf_status_scope(conf) == GSPROV_STATUS_SERVER) {
        server_rec *v;
        /* every vhost of this configuration: the chain from the main
         * server, which r->server is one of */
        for (v = ap_server_conf; v; v = v->next) {
            gsprov_srv_conf *sc = ap_get_module_config(v->module_config,
                                                       &gsprov_module);
            if (sc->stats) {
                *(gsprov_stats_t **)apr_array_push(slots) = sc->stats;
                *(const char **)apr_array_push(versions) =
                    templates_of(r, v);
            }
        }
    }
    else if ((own = gsprov_stats_of(r))) {
        *(gsprov_stats_t **)apr_array_push(slots) = own;
        *(const char **)apr_array_push(versions) = templates_of(r,
                                                                r->server);
    }
    json = r->args && (strcmp(r->args, "json") == 0
                       || strcmp(r->args, "format=json") == 0);
    ap_set_content_type(r, json ? "application/json"
                                : "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only)
        return OK;
    ap_rputs((json ? gsprov_stats_json : gsprov_stats_text)(r->pool,
             (gsprov_stats_t *const *)slots->elts,
             (const char *const *)versions->elts, slots->nelts,
             counting_since), r);
    return OK;
}

void gsprov_register_status(apr_pool_t *p)
{
    ap_hook_post_config(stats_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(stats_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
