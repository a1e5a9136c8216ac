/* Request helpers shared by the httpd-side files (see gsprov_request.h). */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "ap_expr.h"
#include "apr_strings.h"

#include "gsprov_request.h"

const char *gsprov_request_segment(const request_rec *r)
{
    const char *seg = strrchr(r->uri, '/');
    return seg ? seg + 1 : r->uri;
}

const char *gsprov_request_handler(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *h;

    if (!d || !d->expr_handler)
        return NULL;
    h = ap_expr_str_exec(r, d->expr_handler, &err);
    return err ? NULL : h;
}

int gsprov_request_fw_split(request_rec *r, char mac[GSPROV_MAC_LEN + 1],
                            const char **name)
{
    const char *rest = r->uri, *slash, *loc;

    mac[0] = '\0';
    loc = ((core_dir_config *)ap_get_core_module_config(r->per_dir_config))->d;
    if (loc && strncmp(rest, loc, strlen(loc)) == 0)
        rest += strlen(loc);
    while (*rest == '/')
        rest++;
    slash = strchr(rest, '/');
    *name = slash ? slash + 1 : rest;
    if (!slash || (!strchr(*name, '/')
                   && gsprov_mac_parse(rest, (size_t)(slash - rest), mac)))
        return 1;
    /* a later section (<Location />, <If>) may have replaced core's path
     * with one that is not our location: then read from the end,
     * .../<mac>/<file>; under our own location, deeper paths stay bad */
    mac[0] = '\0';
    if (loc && strcmp(loc, "/") != 0
        && strncmp(r->uri, loc, strlen(loc)) == 0)
        return 0;
    *name = strrchr(r->uri, '/') + 1;
    for (slash = *name - 1; slash > r->uri && slash[-1] != '/'; slash--)
        ;
    if (!gsprov_mac_parse(slash, (size_t)(*name - 1 - slash), mac))
        mac[0] = '\0';     /* .../<file>: no MAC segment */
    return 1;
}

int gsprov_request_mac(request_rec *r, char mac[GSPROV_MAC_LEN + 1])
{
    const char *h = gsprov_request_handler(r), *seg;
    gsprov_name_t name;

    mac[0] = '\0';
    if (h && strcmp(h, GSPROV_FW_HANDLER) == 0)
        return gsprov_request_fw_split(r, mac, &seg) && mac[0];
    /* whatever set the handler (SetHandler, AddHandler, a rewrite), a
     * per-device name is about its MAC: never let access control treat
     * such a request as one for a generic file */
    seg = gsprov_request_segment(r);
    if (gsprov_name_resolve(seg, strlen(seg), &name) && name.mac[0]) {
        memcpy(mac, name.mac, sizeof(name.mac));
        return 1;
    }
    return 0;
}

gsprov_store_t *gsprov_request_store(request_rec *r, int memo)
{
    gsprov_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                 &gsprov_module);
    const char *key;
    gsprov_store_t *s = NULL;

    if (!conf->store)
        return NULL;
    if (!memo)
        return gsprov_conf_store_kind(conf) == GSPROV_STORE_DBD
               ? gsprov_dbd_store(r, conf) : conf->store;
    /* one per request and location config (an internal redirect shares
     * the pool, maybe not the config) */
    key = apr_psprintf(r->pool, "gsprov-store-%pp", (void *)conf);
    apr_pool_userdata_get((void **)&s, key, r->pool);
    if (!s) {
        s = gsprov_store_memo(r->pool, gsprov_request_store(r, 0));
        apr_pool_userdata_setn(s, key, apr_pool_cleanup_null, r->pool);
    }
    return s;
}

int gsprov_request_args(request_rec *r, apr_table_t **args)
{
    /* '+' decodes to a space: only %00 decodes to a NUL */
    if (r->args && ap_strcasestr(r->args, "%00"))
        return 0;
    ap_args_to_table(r, args);
    return 1;
}

int gsprov_request_only_get(request_rec *r)
{
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number == M_GET)
        return OK;
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
    return HTTP_METHOD_NOT_ALLOWED;
}

void gsprov_request_settings(const gsprov_dir_conf *conf,
                             const gsprov_ua_t *ua, gsprov_settings_t *set)
{
    memset(set, 0, sizeof(*set));
    set->tenant_vars = conf->vars;
    set->key_digest = gsprov_conf_key_digest(conf);
    set->binary = (gsprov_binary_e)gsprov_conf_binary(conf);
    set->bootstrap_extra = conf->bootstrap_extra;
    set->ua = ua;
}

int gsprov_request_ua(request_rec *r, const gsprov_ua_t **ua)
{
    struct ua_memo { gsprov_ua_t ua; int is_gs; } *m = NULL;

    apr_pool_userdata_get((void **)&m, "gsprov-ua", r->pool);
    if (!m) {
        m = apr_palloc(r->pool, sizeof(*m));
        m->is_gs = gsprov_useragent_parse(apr_table_get(r->headers_in,
                                                        "User-Agent"),
                                          &m->ua);
        apr_pool_userdata_setn(m, "gsprov-ua", NULL, r->pool);
    }
    *ua = &m->ua;
    return m->is_gs;
}
