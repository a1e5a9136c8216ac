/*
 * Directives of mod_gsprov.  Every directive is valid in server config,
 * <VirtualHost>, <Directory> and <Location>; each has one merge rule in
 * gsprov_merge_dir_conf and its default in lib/gsprov_defaults.h.
 * Values are checked here, so `apachectl -t` names the directive.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include <libxml/xmlstring.h>
#include "mod_gsprov.h"
#include "gsprov_defaults.h"
#include "gsprov_layer.h"

APLOG_USE_MODULE(gsprov);

void *gsprov_create_dir_conf(apr_pool_t *p, char *dir)
{
    gsprov_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->store = NULL;
    c->vars = NULL;
    c->key_digest = GSPROV_UNSET;
    c->reload_seconds = GSPROV_UNSET;
    return c;
}

void *gsprov_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    gsprov_dir_conf *base = basev, *add = addv;
    gsprov_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->store = add->store ? add->store : base->store;
    c->vars = !add->vars ? base->vars : !base->vars ? add->vars
              : apr_hash_overlay(p, add->vars, base->vars);
    c->key_digest = add->key_digest != GSPROV_UNSET ? add->key_digest
                                                    : base->key_digest;
    c->reload_seconds = add->reload_seconds != GSPROV_UNSET
                        ? add->reload_seconds : base->reload_seconds;
    return c;
}

gsprov_md_e gsprov_conf_key_digest(const gsprov_dir_conf *c)
{
    return c->key_digest != GSPROV_UNSET ? (gsprov_md_e)c->key_digest
                                         : GSPROV_DEFAULT_KEY_DIGEST;
}

apr_interval_time_t gsprov_conf_reload(const gsprov_dir_conf *c)
{
    return apr_time_from_sec(c->reload_seconds != GSPROV_UNSET
                             ? c->reload_seconds
                             : GSPROV_DEFAULT_RELOAD_SECONDS);
}

void gsprov_log_to_httpd(void *baton, gsprov_log_level_e level, int msgid,
                         const char *msg)
{
    /* APLOG_MARK here is this file; the message id says where it is from */
    ap_log_error(APLOG_MARK, (int)level, 0, (server_rec *)baton,
                 "GSPROV%04d: %s", msgid, msg);
}

/* One store per root directory and configuration cycle, shared by every
 * vhost and location naming it, so templates are loaded once. */
static const char *set_root(cmd_parms *cmd, void *dconf, const char *arg)
{
    gsprov_dir_conf *c = dconf;
    const char *root = ap_server_root_relative(cmd->pool, arg);
    apr_hash_t *stores = NULL;
    gsprov_store_t *s;
    gsprov_logger_t log;
    char *err = NULL;

    if (!root)
        return apr_psprintf(cmd->pool, "GsProvRoot: invalid path '%s'", arg);
    apr_pool_userdata_get((void **)&stores, "gsprov-stores", cmd->pool);
    if (!stores) {
        stores = apr_hash_make(cmd->pool);
        apr_pool_userdata_set(stores, "gsprov-stores", apr_pool_cleanup_null,
                              cmd->pool);
    }
    if (!(s = apr_hash_get(stores, root, APR_HASH_KEY_STRING))) {
        log.fn = gsprov_log_to_httpd;
        log.baton = cmd->server;
        if (gsprov_store_file_open(cmd->pool, root, &log, &s, &err)
            != APR_SUCCESS)
            return apr_psprintf(cmd->pool, "GsProvRoot: %s", err);
        apr_hash_set(stores, root, APR_HASH_KEY_STRING, s);
    }
    c->store = s;
    return NULL;
}

static const char *set_var(cmd_parms *cmd, void *dconf, const char *name,
                           const char *value)
{
    gsprov_dir_conf *c = dconf;

    if (!gsprov_ident_valid(name))
        return apr_psprintf(cmd->pool, "GsProvVar: invalid variable name "
                            "'%s' (use [A-Za-z0-9_.-], at most %d characters)",
                            name, GSPROV_MAX_VAR_NAME_LEN);
    /* values end up in XML: they must be UTF-8 without control chars */
    if (xmlCheckUTF8((const unsigned char *)value) == 0)
        return apr_psprintf(cmd->pool, "GsProvVar %s: value is not valid "
                            "UTF-8", name);
    {
        const char *v;
        for (v = value; *v; v++)
            if ((unsigned char)*v < 0x20 && *v != '\t')
                return apr_psprintf(cmd->pool, "GsProvVar %s: value holds a "
                                    "control character", name);
    }
    if (!c->vars)
        c->vars = apr_hash_make(cmd->pool);
    apr_hash_set(c->vars, name, APR_HASH_KEY_STRING, value);
    return NULL;
}

static const char *set_key_digest(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    gsprov_dir_conf *c = dconf;
    int md = gsprov_md_parse(arg);
    if (md < 0)
        return apr_psprintf(cmd->pool, "GsProvKeyDerivation: unknown '%s', "
                            "supported values are 'md5' and 'sha256'", arg);
    c->key_digest = md;
    return NULL;
}

static const char *set_reload(cmd_parms *cmd, void *dconf, const char *arg)
{
    gsprov_dir_conf *c = dconf;
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);

    if (!*arg || *end || n < 0 || n > GSPROV_MAX_RELOAD_SECONDS)
        return apr_psprintf(cmd->pool, "GsProvReloadInterval: '%s' is not a "
                            "number of seconds from 0 to %d", arg,
                            GSPROV_MAX_RELOAD_SECONDS);
    c->reload_seconds = (int)n;
    return NULL;
}

const command_rec gsprov_cmds[] = {
    AP_INIT_TAKE1("GsProvRoot", set_root, NULL, RSRC_CONF | ACCESS_CONF,
                  "Directory of the tenant's store (defaults.xml, models/, "
                  "groups/, devices/)"),
    AP_INIT_TAKE2("GsProvVar", set_var, NULL, RSRC_CONF | ACCESS_CONF,
                  "A tenant variable for ${name} in templates: NAME VALUE"),
    AP_INIT_TAKE1("GsProvKeyDerivation", set_key_digest, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Digest for the file encryption key: md5 (default) or "
                  "sha256"),
    AP_INIT_TAKE1("GsProvReloadInterval", set_reload, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Seconds between checks of the templates for changes "
                  "(default 5; 0 checks on every request)"),
    { NULL }
};
