/*
 * mod_gsprov: Grandstream provisioning from Apache httpd.
 *
 * This file is glue only: module struct, hooks and the request handler.
 * Everything it serves is produced by lib/ (gsprov_provision()).
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_ssl.h"
#include "ap_mpm.h"
#include "apr_strings.h"

#include <libxml/parser.h>
#include "mod_gsprov.h"
#include "gsprov_request.h"
#include "gsprov_provision.h"
#include "gsprov_error.h"
#include "gsprov_firmware.h"
#include "gsprov_defaults.h"
#include "gsprov_version.h"

#define GSPROV_FILENAME_PREFIX "gsprov:"

/* libxml2 must be initialised once from the main thread before any
 * thread parses; OpenSSL's algorithms are fetched once, not per request. */
static apr_status_t crypto_unload(void *data)
{
    gsprov_crypto_unload();
    return APR_SUCCESS;
}

static int gsprov_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    xmlInitParser();
    gsprov_crypto_preload();
    /* httpd unloads the module with pconf at every restart */
    apr_pool_cleanup_register(pconf, NULL, crypto_unload,
                              apr_pool_cleanup_null);
    return OK;
}

/* Which version serves, at startup and after every restart, as httpd
 * says its own ("configured -- resuming normal operations"); not in the
 * first pass at startup, which only reads the configuration. */
static int gsprov_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, GSPROV_LOGNO(0901)
                     "%s configured", GSPROV_VERSION_STRING);
    return OK;
}

/* Which of our handlers the request is for (a constant), or NULL. */
static const char *our_handler(request_rec *r)
{
    static const char *const ours[] = { GSPROV_HANDLER, GSPROV_FW_HANDLER,
                                        GSPROV_STATUS_HANDLER,
                                        GSPROV_ADMIN_HANDLER };
    const char *h = gsprov_request_handler(r);
    size_t i;

    for (i = 0; h && i < sizeof(ours) / sizeof(ours[0]); i++)
        if (strcmp(h, ours[i]) == 0)
            return ours[i];
    return NULL;
}

/* Our files are virtual: claim the URI before core joins it to the
 * DocumentRoot (an overlong name would fail there with 403), and skip the
 * directory walk, so no request name, hostile or not, is ever stat()ed.
 * httpd 2.4 has already merged the <Location> config at this point. */
static int gsprov_translate_name(request_rec *r)
{
    const char *h = our_handler(r);

    if (!h)
        return DECLINED;
    /* for the status counters, whoever answers the request */
    apr_table_setn(r->notes, "gsprov-handler", h);
    r->filename = apr_pstrcat(r->pool, GSPROV_FILENAME_PREFIX, r->uri, NULL);
    return OK;
}

/* httpd resets the per-dir config to the server defaults before
 * map_to_storage, so the <Location> SetHandler is not visible here: go by
 * the filename translate_name gave our requests. */
static int gsprov_map_to_storage(request_rec *r)
{
    return r->filename && strncmp(r->filename, GSPROV_FILENAME_PREFIX,
                                  sizeof(GSPROV_FILENAME_PREFIX) - 1) == 0
           ? OK : DECLINED;
}

static void set_notes(request_rec *r, const gsprov_name_t *name,
                      const char *result)
{
    if (name && name->mac[0])
        apr_table_setn(r->notes, "gsprov-mac", apr_pstrdup(r->pool,
                                                          name->mac));
    if (name && name->kind != GSPROV_KIND_NONE)
        apr_table_setn(r->notes, "gsprov-file", gsprov_name_kind(name->kind));
    apr_table_setn(r->notes, "gsprov-result", result);
}

/* The stable ids of lib/ errors (the numbers in README.md): one per
 * handler, so that a line says which one failed.  The last row is for
 * any other error; a NULL firmware id is the last row's too. */
static const struct {
    apr_status_t rv;
    const char *device;         /* SetHandler gsprov */
    const char *firmware;       /* SetHandler gsprov-firmware */
} error_ids[] = {
    { GSPROV_EUNDEFVAR, GSPROV_LOGNO(0102), GSPROV_LOGNO(0304) },
    { GSPROV_EMIXED,    GSPROV_LOGNO(0103), GSPROV_LOGNO(0305) },
    { GSPROV_EREF,      GSPROV_LOGNO(0104), GSPROV_LOGNO(0306) },
    { GSPROV_ECRYPTO,   GSPROV_LOGNO(0105), NULL },
    { GSPROV_EREDIRECT, GSPROV_LOGNO(0801), GSPROV_LOGNO(0307) },
    { GSPROV_EOUTSIDE,  GSPROV_LOGNO(0007), GSPROV_LOGNO(0308) },
    { APR_SUCCESS,      GSPROV_LOGNO(0101), GSPROV_LOGNO(0303) }
};

static const char *error_id(apr_status_t rv, int firmware)
{
    const size_t last = sizeof(error_ids) / sizeof(error_ids[0]) - 1;
    size_t i;

    for (i = 0; i < last && error_ids[i].rv != rv; i++)
        ;
    if (!firmware)
        return error_ids[i].device;
    return error_ids[i].firmware ? error_ids[i].firmware
                                 : error_ids[last].firmware;
}

/* A 500's one error line, kept as the tenant's last error too. */
static void log_failure(request_rec *r, const char *msgid, const char *text)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s%s", msgid, text);
    gsprov_note_error(r, msgid, text);
}

/* Map a lib/ failure to a status code and one log line with a stable id. */
static int fail(request_rec *r, const gsprov_name_t *name, apr_status_t rv,
                const char *err)
{
    const char *what = err ? err : "unknown error";
    /* who the file is for: "device <mac>", "cfggxp2170.xml" or "cfg.xml" */
    const char *mac = name->mac[0]
        ? apr_pstrcat(r->pool, "device ", name->mac, NULL)
        : name->kind == GSPROV_KIND_MODEL_XML
        ? apr_pstrcat(r->pool, "cfg", name->model, ".xml", NULL) : "cfg.xml";

    if (rv == GSPROV_EUNAVAIL) {
        set_notes(r, name, "unavailable");
        return gsprov_dbd_unavailable(r, GSPROV_LOGNO(1002), err);
    }
    if (rv == GSPROV_ENOTFOUND) {
        set_notes(r, name, "not-found");
        /* lib/'s reasons already name the device */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, GSPROV_LOGNO(0003)
                      "%s", err ? err : apr_pstrcat(r->pool, mac,
                                                    ": not in the store",
                                                    NULL));
        return HTTP_NOT_FOUND;
    }
    log_failure(r, error_id(rv, 0), apr_pstrcat(r->pool, mac, ": ", what,
                                                NULL));
    /* a record that is a link out of the store is not this tenant's: as
     * for none, 404 (the operator has the error line) */
    if (rv == GSPROV_EOUTSIDE) {
        set_notes(r, name, "not-found");
        return HTTP_NOT_FOUND;
    }
    set_notes(r, name, "error");
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* GsProvUserAgent: returns OK or HTTP_FORBIDDEN (logged). */
static int check_user_agent(request_rec *r, gsprov_ua_policy_e policy,
                            const gsprov_name_t *name, int is_gs,
                            const gsprov_ua_t *ua)
{
    if (policy == GSPROV_UA_OFF)
        return OK;
    if (!is_gs) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(0005)
                      "GsProvUserAgent %s: not a Grandstream User-Agent "
                      "(%s), refused", policy == GSPROV_UA_MATCH
                      ? "match" : "required",
                      apr_table_get(r->headers_in, "User-Agent"));
        return HTTP_FORBIDDEN;
    }
    if (policy == GSPROV_UA_MATCH && name->mac[0]
        && strcmp(ua->mac, name->mac) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, GSPROV_LOGNO(0006)
                      "GsProvUserAgent match: DevId '%s' asked for the file "
                      "of %s, refused", ua->mac[0] ? ua->mac : "(none)",
                      name->mac);
        return HTTP_FORBIDDEN;
    }
    return OK;
}

static int gsprov_handler(request_rec *r)
{
    gsprov_dir_conf *conf;
    const gsprov_templates_t *t;
    gsprov_settings_t set;
    gsprov_output_t out;
    gsprov_name_t name;
    const gsprov_ua_t *ua;
    gsprov_serve_ctx_t sc;
    gsprov_srv_conf *srv;
    gsprov_served_e served;
    gsprov_logger_t log;
    gsprov_store_t *store;
    const char *seg;
    char *err = NULL;
    apr_bucket_brigade *bb;
    apr_status_t rv;
    int is_gs, status;
    static const char *const served_note[] = { "none", "hit", "near-hit",
                                               "miss", "error" };

    if (!r->handler || strcmp(r->handler, GSPROV_HANDLER) != 0)
        return DECLINED;

    if ((status = gsprov_request_only_get(r)) != OK)
        return status;

    conf = ap_get_module_config(r->per_dir_config, &gsprov_module);
    if (!conf->store) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, GSPROV_LOGNO(0002)
                      "SetHandler gsprov without GsProvRoot for %s; set "
                      "GsProvRoot in this vhost or location", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    seg = gsprov_request_segment(r);
    if (!gsprov_name_resolve(seg, strlen(seg), &name)) {
        set_notes(r, NULL, "bad-name");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(0001)
                      "not a provisioning file name: %s", seg);
        return HTTP_NOT_FOUND;
    }

    is_gs = gsprov_request_ua(r, &ua);
    if (is_gs && ua->fw[0])
        apr_table_setn(r->notes, "gsprov-fw", ua->fw);
    status = check_user_agent(r, gsprov_conf_ua_policy(conf), &name, is_gs,
                              ua);
    if (status != OK) {
        set_notes(r, &name, "forbidden");
        return status;
    }

    store = gsprov_request_store(r, 1);
    t = gsprov_store_templates(store, r->pool, gsprov_conf_reload(conf));
    gsprov_request_settings(conf, is_gs ? ua : NULL, &set);

    srv = ap_get_module_config(r->server->module_config, &gsprov_module);
    gsprov_logger_for(r->server, &log);
    memset(&sc, 0, sizeof(sc));
    sc.cache = srv->cache;
    sc.near = srv->near;
    /* the key namespace: every node of a farm names the tenant alike */
    sc.tenant = r->server->server_hostname;
    sc.request_name = seg;
    sc.stats = srv->stats;
    sc.log = &log;
    sc.log_interval = apr_time_from_sec(GSPROV_CACHE_LOG_INTERVAL);
    rv = gsprov_cache_serve(r->pool, store, t, &name, &set, &sc, &out,
                      &served, &err);
    apr_table_setn(r->notes, "gsprov-cache", served_note[served]);
    if (out.model)
        apr_table_setn(r->notes, "gsprov-model", out.model);
    if (rv != APR_SUCCESS)
        return fail(r, &name, rv, err);

    name.kind = out.kind;
    set_notes(r, &name, "ok");
    if (out.redirect) {
        apr_table_setn(r->notes, "gsprov-redirect", out.redirect);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, GSPROV_LOGNO(0803)
                      "device %s: redirected to %s", name.mac, out.redirect);
    }
    ap_set_content_type(r, out.content_type);
    ap_set_content_length(r, (apr_off_t)out.len);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    /* devices expect a plain body with Content-Length: no mod_deflate;
     * and no byte ranges: an encrypted body differs on every request */
    apr_table_setn(r->subprocess_env, "no-gzip", "1");
    apr_table_unset(r->headers_in, "Range");
    apr_table_setn(r->headers_out, "Accept-Ranges", "none");

    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(out.body, out.len,
                            r->pool, r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(
                                r->connection->bucket_alloc));
    rv = ap_pass_brigade(r->output_filters, bb);
    if (rv != APR_SUCCESS && !r->connection->aborted)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, GSPROV_LOGNO(0004)
                      "sending the response failed");
    return OK;
}

/* ---- firmware ---------------------------------------------------------
 *
 * Resolved in fixups: the file is then handed to httpd's core (r->filename,
 * r->finfo), which serves it like any static file: sendfile, Range, ETag,
 * Last-Modified, conditional requests, HEAD.  The handler only answers
 * what could not be resolved.
 */

/* what the firmware fixup decided, for the handler */
typedef struct {
    int status;         /* OK: core serves r->filename; else the answer */
} fw_req_t;


/* a request the firmware tree has no file for: 404, why at debug */
static int fw_fail(request_rec *r, fw_req_t *fr, int status,
                   const char *result, const char *why)
{
    apr_table_setn(r->notes, "gsprov-result", result);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, GSPROV_LOGNO(0301)
                  "firmware %s: %s", r->uri, why);
    fr->status = status;
    return OK;
}

/* a lib/ error: 500 (404 for a record that is a link out of the store;
 * 503 when the database cannot answer), logged with the id of its cause */
static int fw_error(request_rec *r, fw_req_t *fr, apr_status_t rv,
                    const char *err)
{
    int outside = rv == GSPROV_EOUTSIDE;

    if (rv == GSPROV_EUNAVAIL) {
        apr_table_setn(r->notes, "gsprov-result", "unavailable");
        fr->status = gsprov_dbd_unavailable(r, GSPROV_LOGNO(1003), err);
        return OK;
    }
    apr_table_setn(r->notes, "gsprov-result", outside ? "not-found"
                                                      : "error");
    log_failure(r, error_id(rv, 1), apr_pstrcat(r->pool, "firmware ",
                r->uri, ": ", err ? err : "unknown error", NULL));
    fr->status = outside ? HTTP_NOT_FOUND : HTTP_INTERNAL_SERVER_ERROR;
    return OK;
}

static int gsprov_fw_fixups(request_rec *r)
{
    gsprov_dir_conf *conf;
    fw_req_t *fr;
    const gsprov_templates_t *t;
    gsprov_store_t *store;
    gsprov_settings_t set;
    gsprov_context_t ctx;
    gsprov_fw_t fw;
    const gsprov_ua_t *ua;
    char macbuf[GSPROV_MAC_LEN + 1];
    const char *name, *mac = NULL, *id = "none", *model = NULL;
    char *err = NULL;
    apr_status_t rv;

    if (!r->handler || strcmp(r->handler, GSPROV_FW_HANDLER) != 0)
        return DECLINED;
    conf = ap_get_module_config(r->per_dir_config, &gsprov_module);
    fr = apr_pcalloc(r->pool, sizeof(*fr));
    ap_set_module_config(r->request_config, &gsprov_module, fr);
    apr_table_setn(r->notes, "gsprov-file", "firmware");
    if (!conf->store || !conf->fw_root) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, GSPROV_LOGNO(0302)
                      "SetHandler gsprov-firmware needs GsProvRoot and "
                      "GsProvFirmwareRoot for %s", r->uri);
        fr->status = HTTP_INTERNAL_SERVER_ERROR;
        return OK;
    }

    if (!gsprov_request_fw_split(r, macbuf, &name))
        return fw_fail(r, fr, HTTP_NOT_FOUND, "bad-name",
                       "not <location>/[<mac>/]<file>");
    if (macbuf[0]) {
        mac = macbuf;
        id = "path";
    }
    if (!gsprov_firmware_name_valid(name, strlen(name)))
        return fw_fail(r, fr, HTTP_NOT_FOUND, "bad-name",
                       "not a firmware file name");

    gsprov_request_settings(conf, NULL, &set);
    if (gsprov_request_ua(r, &ua))
        set.ua = ua;
    store = gsprov_request_store(r, 1);
    t = gsprov_store_templates(store, r->pool, gsprov_conf_reload(conf));

    if (!mac && (mac = gsprov_cert_mac(r, macbuf)))
        id = "cert";
    if (mac) {
        rv = gsprov_context(r->pool, store, t, mac, NULL, &set, &ctx,
                            &err);
        if (rv == GSPROV_ENOTFOUND && strcmp(id, "cert") == 0) {
            mac = NULL;     /* a certificate of a device we don't know: */
            set.ua = NULL;  /* its User-Agent must not name another one */
        }
        else if (rv == GSPROV_ENOTFOUND) {
            apr_table_setn(r->notes, "gsprov-id", id);
            apr_table_setn(r->notes, "gsprov-mac", apr_pstrdup(r->pool, mac));
            return fw_fail(r, fr, HTTP_NOT_FOUND, "not-found",
                           apr_psprintf(r->pool, "no record for %s", mac));
        }
        else if (rv != APR_SUCCESS)
            return fw_error(r, fr, rv, err);
    }
    if (!mac && set.ua && set.ua->mac[0]) {
        rv = gsprov_context(r->pool, store, t, set.ua->mac, NULL, &set,
                            &ctx, &err);
        if (rv == APR_SUCCESS) {
            mac = set.ua->mac;
            id = "ua";
        }
        else if (rv != GSPROV_ENOTFOUND)
            return fw_error(r, fr, rv, err);
    }
    if (!mac) {
        id = "none";
        apr_table_setn(r->notes, "gsprov-id", id);
        if (gsprov_conf_fw_unknown(conf) == GSPROV_FW_UNKNOWN_DENY)
            return fw_fail(r, fr, HTTP_NOT_FOUND, "not-found",
                           "device not identified (GsProvFirmwareUnknown "
                           "deny)");
        if (set.ua && set.ua->model[0]
            && apr_hash_get(t->models, set.ua->model, APR_HASH_KEY_STRING))
            model = set.ua->model;
        if ((rv = gsprov_context(r->pool, store, t, NULL, model, &set,
                                 &ctx, &err)))
            return fw_error(r, fr, rv, err);
    }
    apr_table_setn(r->notes, "gsprov-id", id);
    if (mac)
        apr_table_setn(r->notes, "gsprov-mac", apr_pstrdup(r->pool, mac));

    rv = gsprov_firmware_resolve(r->pool, &ctx, conf->fw_root, name, &fw, &err);
    if (fw.version)
        apr_table_setn(r->notes, "gsprov-fw-version", fw.version);
    if (rv == GSPROV_ENOTFOUND)
        return fw_fail(r, fr, HTTP_NOT_FOUND, "not-found", err);
    if (rv != APR_SUCCESS)
        return fw_error(r, fr, rv, err);

    apr_table_setn(r->notes, "gsprov-fw-file", fw.file);
    if (apr_stat(&r->finfo, fw.path, APR_FINFO_MIN, r->pool) != APR_SUCCESS)
        return fw_fail(r, fr, HTTP_NOT_FOUND, "not-found", "vanished");
    r->filename = apr_pstrdup(r->pool, fw.path);
    r->path_info = NULL;
    ap_set_content_type(r, "application/octet-stream");
    apr_table_setn(r->notes, "gsprov-result", "ok");
    fr->status = OK;
    return OK;
}

static int gsprov_fw_handler(request_rec *r)
{
    fw_req_t *fr;
    int status;

    if (!r->handler || strcmp(r->handler, GSPROV_FW_HANDLER) != 0)
        return DECLINED;
    if ((status = gsprov_request_only_get(r)) != OK)
        return status;
    fr = ap_get_module_config(r->request_config, &gsprov_module);
    if (!fr)
        return HTTP_INTERNAL_SERVER_ERROR;
    /* resolved: httpd's core serves the file */
    return fr->status == OK ? DECLINED : fr->status;
}

/* The record of a device request is read before access control, so that
 * a database that cannot answer is 503 for every request (the authn
 * provider's only failure is 500); access control and the handler then
 * share this read (gsprov_request_store memoises it). */
static int gsprov_read_record(request_rec *r)
{
    const char *h = apr_table_get(r->notes, "gsprov-handler");
    char mac[GSPROV_MAC_LEN + 1];
    gsprov_store_t *store;
    gsprov_blob_t rec;
    char *err = NULL;

    if (!h || (strcmp(h, GSPROV_HANDLER) && strcmp(h, GSPROV_FW_HANDLER))
        || !gsprov_request_mac(r, mac)
        || !(store = gsprov_request_store(r, 1))
        || gsprov_store_record_get(store, r->pool, mac, &rec, &err)
           != GSPROV_EUNAVAIL)
        return DECLINED;
    apr_table_setn(r->notes, "gsprov-mac", apr_pstrdup(r->pool, mac));
    apr_table_setn(r->notes, "gsprov-result", "unavailable");
    return gsprov_dbd_unavailable(r, GSPROV_LOGNO(1001), err);
}

/* Also run by apachectl -t. */
static int gsprov_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    return gsprov_conf_check_cache(ptemp, s);
}

/* Cache backends are per child (a connection pool never crosses a
 * fork), sized for the child's threads; vhosts with alike settings share
 * one. */
static void gsprov_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_hash_t *made = apr_hash_make(pchild);
    int threads = 1;
    server_rec *v;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS
        || threads < 1)
        threads = 1;
    for (v = s; v; v = v->next) {
        gsprov_srv_conf *sc = ap_get_module_config(v->module_config,
                                                   &gsprov_module);
        gsprov_cache_opts_t o;
        gsprov_logger_t log;

        gsprov_conf_cache(sc, (apr_uint32_t)threads, &o);
        gsprov_logger_for(v, &log);
        gsprov_cache_provider_open(pchild, made, &o, &log, &sc->cache,
                                   &sc->near);
    }
}

static void gsprov_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(gsprov_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(gsprov_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(gsprov_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    gsprov_register_access(p);
    /* after mod_rewrite/mod_alias (redirects to HTTPS must still win),
     * before core's own translation (REALLY_LAST) */
    ap_hook_translate_name(gsprov_translate_name, NULL, NULL,
                           APR_HOOK_LAST);
    ap_hook_map_to_storage(gsprov_map_to_storage, NULL, NULL,
                           APR_HOOK_FIRST);
    /* before access control (authn/authz come after access_checker) */
    ap_hook_access_checker(gsprov_read_record, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(gsprov_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* after core_override_type, which applies SetHandler */
    ap_hook_fixups(gsprov_fw_fixups, NULL, NULL, APR_HOOK_LAST);
    ap_hook_handler(gsprov_fw_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(gsprov_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    gsprov_register_status(p);
    gsprov_register_admin(p);
    gsprov_register_auditlog(p);
    gsprov_register_check(p);
    gsprov_register_dbd(p);
    gsprov_register_converge(p);
    gsprov_register_devstatus(p);
}

AP_DECLARE_MODULE(gsprov) = {
    STANDARD20_MODULE_STUFF,
    gsprov_create_dir_conf,
    gsprov_merge_dir_conf,
    gsprov_create_srv_conf,
    gsprov_merge_srv_conf,
    gsprov_cmds,
    gsprov_register_hooks,
    AP_MODULE_FLAG_NONE
};
