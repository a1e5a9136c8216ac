/*
 * Directives of mod_gsprov.  Most are valid in server config,
 * <VirtualHost>, <Directory> and <Location> and have one merge rule in
 * gsprov_merge_dir_conf; the GsProvCache* ones configure a vhost's cache
 * connection and merge in gsprov_merge_srv_conf.  Every default is in
 * lib/base/gsprov_defaults.h.
 * Values are checked here, so `apachectl -t` names the directive.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include <limits.h>
#include <stdlib.h>

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
    c->binary = GSPROV_UNSET;
    c->bootstrap_extra = NULL;
    c->ua_policy = GSPROV_UNSET;
    c->fw_root = NULL;
    c->fw_unknown = GSPROV_UNSET;
    c->cert_mac_var = NULL;
    c->status_scope = GSPROV_UNSET;
    c->audit_log = NULL;
    c->activation_ttl = GSPROV_UNSET;
    c->claim_max_failures = GSPROV_UNSET;
    c->admin_secrets = GSPROV_UNSET;
    c->store_kind = GSPROV_UNSET;
    c->db_tenant = NULL;
    c->device_status = GSPROV_UNSET;
    return c;
}

/* Merge rules, one line per field (after mod_ssl's cfgMerge): the nearer
 * section's value unless it left the field unset. */
#define cfgMerge(f, unset)  c->f = add->f == (unset) ? base->f : add->f
#define cfgMergeInt(f)      cfgMerge(f, GSPROV_UNSET)
#define cfgMergePtr(f)      cfgMerge(f, NULL)

void *gsprov_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    gsprov_dir_conf *base = basev, *add = addv;
    gsprov_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    cfgMergePtr(store);
    /* variables merge by name */
    c->vars = !add->vars ? base->vars : !base->vars ? add->vars
              : apr_hash_overlay(p, add->vars, base->vars);
    cfgMergeInt(key_digest);
    cfgMergeInt(reload_seconds);
    cfgMergeInt(binary);
    /* the P list belongs to the GsProvBinary line that set the mode */
    c->bootstrap_extra = add->binary != GSPROV_UNSET ? add->bootstrap_extra
                                                     : base->bootstrap_extra;
    cfgMergeInt(ua_policy);
    cfgMergePtr(fw_root);
    cfgMergeInt(fw_unknown);
    cfgMergePtr(cert_mac_var);
    cfgMergeInt(status_scope);
    cfgMergePtr(audit_log);
    cfgMergeInt(activation_ttl);
    cfgMergeInt(claim_max_failures);
    cfgMergeInt(admin_secrets);
    cfgMergeInt(store_kind);
    /* the tenant goes with the GsProvStore line that chose the store */
    c->db_tenant = add->store_kind != GSPROV_UNSET ? add->db_tenant
                                                   : base->db_tenant;
    cfgMergeInt(device_status);
    return c;
}

void *gsprov_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    gsprov_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    c->cache_provider = NULL;
    c->cache_config = NULL;
    c->cache_timeout_ms = GSPROV_UNSET;
    c->cache_ttl = GSPROV_UNSET;
    c->cache_retry = GSPROV_UNSET;
    c->cache_near = GSPROV_UNSET;
    c->cache_secret = NULL;
    c->cache_secret_len = 0;
    c->status_flush = GSPROV_UNSET;
    c->status_buffer = GSPROV_UNSET;
    c->stats = NULL;
    c->cache = NULL;
    c->near = NULL;
    c->db_verified = 0;
    return c;
}

void *gsprov_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    gsprov_srv_conf *base = basev, *add = addv;
    gsprov_srv_conf *c = apr_pcalloc(p, sizeof(*c));

    cfgMergePtr(cache_provider);
    /* the options go with the GsProvCache line that named the backend */
    c->cache_config = add->cache_provider ? add->cache_config
                                          : base->cache_config;
    cfgMergeInt(cache_timeout_ms);
    cfgMergeInt(cache_ttl);
    cfgMergeInt(cache_retry);
    cfgMergeInt(cache_near);
    cfgMergePtr(cache_secret);
    /* the length goes with the secret that set it */
    c->cache_secret_len = add->cache_secret ? add->cache_secret_len
                                            : base->cache_secret_len;
    cfgMergeInt(status_flush);
    cfgMergeInt(status_buffer);
    /* runtime state is per vhost, set up after the configuration */
    c->stats = NULL;
    c->cache = NULL;
    c->near = NULL;
    c->db_verified = 0;
    return c;
}

void gsprov_conf_cache(const gsprov_srv_conf *c, apr_uint32_t threads,
                       gsprov_cache_opts_t *o)
{
    o->provider = c->cache_provider;        /* NULL: none, the default */
    o->config = c->cache_config;
    o->timeout_ms = (apr_uint32_t)(c->cache_timeout_ms != GSPROV_UNSET
                                   ? c->cache_timeout_ms
                                   : GSPROV_DEFAULT_CACHE_TIMEOUT_MS);
    o->ttl = (apr_uint32_t)(c->cache_ttl != GSPROV_UNSET
                            ? c->cache_ttl : GSPROV_DEFAULT_CACHE_TTL);
    o->retry_seconds = (apr_uint32_t)(c->cache_retry != GSPROV_UNSET
                                      ? c->cache_retry
                                      : GSPROV_DEFAULT_CACHE_RETRY);
    o->max_conns = threads ? threads : 1;
    o->secret = c->cache_secret;
    o->secret_len = c->cache_secret_len;
    o->near_bytes = (apr_size_t)(c->cache_near != GSPROV_UNSET
                                 ? c->cache_near : GSPROV_DEFAULT_CACHE_NEAR);
}

gsprov_status_scope_e gsprov_conf_status_scope(const gsprov_dir_conf *c)
{
    return c->status_scope != GSPROV_UNSET
           ? (gsprov_status_scope_e)c->status_scope
           : GSPROV_DEFAULT_STATUS_SCOPE;
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

int gsprov_conf_binary(const gsprov_dir_conf *c)
{
    return c->binary != GSPROV_UNSET ? c->binary : GSPROV_DEFAULT_BINARY;
}

gsprov_ua_policy_e gsprov_conf_ua_policy(const gsprov_dir_conf *c)
{
    return c->ua_policy != GSPROV_UNSET ? (gsprov_ua_policy_e)c->ua_policy
                                        : GSPROV_DEFAULT_UA_POLICY;
}

gsprov_fw_unknown_e gsprov_conf_fw_unknown(const gsprov_dir_conf *c)
{
    return c->fw_unknown != GSPROV_UNSET ? (gsprov_fw_unknown_e)c->fw_unknown
                                         : GSPROV_DEFAULT_FW_UNKNOWN;
}

long gsprov_conf_activation_ttl(const gsprov_dir_conf *c)
{
    return c->activation_ttl != GSPROV_UNSET ? c->activation_ttl
                                             : GSPROV_DEFAULT_ACTIVATION_TTL;
}

int gsprov_conf_claim_max_failures(const gsprov_dir_conf *c)
{
    return c->claim_max_failures != GSPROV_UNSET
           ? c->claim_max_failures : GSPROV_DEFAULT_CLAIM_MAX_FAILURES;
}

int gsprov_conf_device_status(const gsprov_dir_conf *c)
{
    return c->device_status != GSPROV_UNSET ? c->device_status
                                            : GSPROV_DEFAULT_DEVICE_STATUS;
}

apr_interval_time_t gsprov_conf_status_flush(const gsprov_srv_conf *c)
{
    return apr_time_from_sec(c->status_flush != GSPROV_UNSET
                             ? c->status_flush
                             : GSPROV_DEFAULT_DEVICE_STATUS_FLUSH);
}

int gsprov_conf_status_buffer(const gsprov_srv_conf *c)
{
    return c->status_buffer != GSPROV_UNSET ? c->status_buffer
                                            : GSPROV_DEFAULT_DEVICE_STATUS_BUFFER;
}

int gsprov_conf_admin_secrets(const gsprov_dir_conf *c)
{
    return c->admin_secrets != GSPROV_UNSET ? c->admin_secrets
                                            : GSPROV_DEFAULT_ADMIN_SECRETS;
}

gsprov_store_kind_e gsprov_conf_store_kind(const gsprov_dir_conf *c)
{
    return c->store_kind != GSPROV_UNSET ? (gsprov_store_kind_e)c->store_kind
                                         : GSPROV_DEFAULT_STORE;
}

/* GsProvStore file | dbd [TENANT]: the records' backend (the templates
 * stay GsProvRoot's files) */
static const char *cmd_GsProvStore(cmd_parms *cmd, void *dconf,
                                   const char *kind, const char *tenant)
{
    gsprov_dir_conf *c = dconf;
    const char *err;

    if (!strcasecmp(kind, "file")) {
        if (tenant)
            return "GsProvStore file: takes no tenant (the directory is the "
                   "tenant's)";
        c->store_kind = GSPROV_STORE_FILE;
        c->db_tenant = NULL;
        return NULL;
    }
    if (strcasecmp(kind, "dbd"))
        return apr_psprintf(cmd->pool, "GsProvStore: unknown '%s', supported "
                            "values are 'file' and 'dbd'", kind);
    if (tenant && (!*tenant || strlen(tenant) > GSPROV_MAX_TENANT_LEN))
        return apr_psprintf(cmd->pool, "GsProvStore dbd: the tenant must be "
                            "1 to %d characters", GSPROV_MAX_TENANT_LEN);
    if ((err = gsprov_dbd_configure(cmd)))
        return err;
    c->store_kind = GSPROV_STORE_DBD;
    c->db_tenant = tenant ? apr_pstrdup(cmd->pool, tenant) : "";
    return NULL;
}

/* One store per root directory and configuration cycle, shared by every
 * vhost and location naming it, so templates are loaded once. */
static const char *cmd_GsProvRoot(cmd_parms *cmd, void *dconf, const char *arg)
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
        gsprov_logger_for(cmd->server, &log);
        if (gsprov_store_file_open(cmd->pool, root, &log, &s, &err)
            != APR_SUCCESS)
            return apr_psprintf(cmd->pool, "GsProvRoot: %s", err);
        apr_hash_set(stores, root, APR_HASH_KEY_STRING, s);
    }
    c->store = s;
    return NULL;
}

static const char *cmd_GsProvVar(cmd_parms *cmd, void *dconf,
                                 const char *name, const char *value)
{
    gsprov_dir_conf *c = dconf;

    if (!gsprov_layer_ident_valid(name))
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

static const char *cmd_GsProvKeyDerivation(cmd_parms *cmd, void *dconf,
                                           const char *arg)
{
    gsprov_dir_conf *c = dconf;
    int md = gsprov_crypto_md_parse(arg);
    if (md < 0)
        return apr_psprintf(cmd->pool, "GsProvKeyDerivation: unknown '%s', "
                            "supported values are 'md5' and 'sha256'", arg);
    c->key_digest = md;
    return NULL;
}

/* Directives that take a number in a range: cmd->info is a range_t
 * naming the int field of the directory or the server config. */
typedef struct {
    int srv;                    /* in gsprov_srv_conf, else gsprov_dir_conf */
    apr_size_t offset;
    int min, max;
    const char *what;           /* for the error: "a number", ... */
} range_t;

static const char *cmd_range(cmd_parms *cmd, void *dconf, const char *arg)
{
    const range_t *rg = cmd->info;
    char *conf = rg->srv ? ap_get_module_config(cmd->server->module_config,
                                                &gsprov_module) : dconf;
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);

    if (!*arg || *end || n < rg->min || n > rg->max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not %s from %d to %d",
                            cmd->cmd->name, arg, rg->what, rg->min, rg->max);
    *(int *)(conf + rg->offset) = (int)n;
    return NULL;
}

static const range_t reload_range = {
    0, APR_OFFSETOF(gsprov_dir_conf, reload_seconds), 0,
    GSPROV_MAX_RELOAD_SECONDS, "a number of seconds" };
static const range_t cache_timeout_range = {
    1, APR_OFFSETOF(gsprov_srv_conf, cache_timeout_ms), 1,
    GSPROV_MAX_CACHE_TIMEOUT_MS, "a number" };
static const range_t cache_ttl_range = {
    1, APR_OFFSETOF(gsprov_srv_conf, cache_ttl), 1, GSPROV_MAX_CACHE_TTL,
    "a number" };
static const range_t cache_retry_range = {
    1, APR_OFFSETOF(gsprov_srv_conf, cache_retry), 1, GSPROV_MAX_CACHE_RETRY,
    "a number" };
static const range_t status_flush_range = {
    1, APR_OFFSETOF(gsprov_srv_conf, status_flush), 1,
    GSPROV_MAX_DEVICE_STATUS_FLUSH, "a number of seconds" };
static const range_t status_buffer_range = {
    1, APR_OFFSETOF(gsprov_srv_conf, status_buffer), 1,
    GSPROV_MAX_DEVICE_STATUS_BUFFER, "a number" };
static const range_t activation_ttl_range = {
    0, APR_OFFSETOF(gsprov_dir_conf, activation_ttl), 1,
    GSPROV_MAX_ACTIVATION_TTL, "a number" };
static const range_t claim_max_failures_range = {
    0, APR_OFFSETOF(gsprov_dir_conf, claim_max_failures), 1,
    GSPROV_MAX_CLAIM_MAX_FAILURES, "a number" };

static const char *cmd_GsProvBinary(cmd_parms *cmd, void *dconf, int argc,
                                    char *const argv[])
{
    gsprov_dir_conf *c = dconf;
    int i;

    if (argc < 1)
        return "GsProvBinary: expects full, bootstrap or off";
    if (!strcasecmp(argv[0], "full"))
        c->binary = GSPROV_BINARY_FULL;
    else if (!strcasecmp(argv[0], "bootstrap"))
        c->binary = GSPROV_BINARY_BOOTSTRAP;
    else if (!strcasecmp(argv[0], "off"))
        c->binary = GSPROV_BINARY_OFF;
    else
        return apr_psprintf(cmd->pool, "GsProvBinary: unknown '%s', "
                            "supported values are 'full', 'bootstrap' and "
                            "'off'", argv[0]);
    if (argc > 1 && c->binary != GSPROV_BINARY_BOOTSTRAP)
        return "GsProvBinary: extra P-values can only follow 'bootstrap'";
    c->bootstrap_extra = apr_array_make(cmd->pool, argc, sizeof(char *));
    for (i = 1; i < argc; i++) {
        if (!gsprov_layer_pname_valid(argv[i]))
            return apr_psprintf(cmd->pool, "GsProvBinary: '%s' is not a "
                                "P-value name (P followed by digits)",
                                argv[i]);
        APR_ARRAY_PUSH(c->bootstrap_extra, const char *) = argv[i];
    }
    return NULL;
}


/* Directives that take one keyword of a list: cmd->info is a
 * keyword_t naming the dir-config field and the keywords' values. */
typedef struct {
    apr_size_t offset;          /* int field in gsprov_dir_conf */
    const char *names[4];       /* NULL-terminated */
    int values[4];
} keyword_t;

static const char *cmd_keyword(cmd_parms *cmd, void *dconf, const char *arg)
{
    const keyword_t *k = cmd->info;
    const char *list = "";
    int i, n;

    for (i = 0; k->names[i]; i++)
        if (!strcasecmp(arg, k->names[i])) {
            *(int *)((char *)dconf + k->offset) = k->values[i];
            return NULL;
        }
    /* "'a' and 'b'", "'a', 'b' and 'c'" */
    for (n = i, i = 0; i < n; i++)
        list = apr_psprintf(cmd->pool, "%s%s'%s'", list,
                            i == 0 ? "" : i == n - 1 ? " and " : ", ",
                            k->names[i]);
    return apr_psprintf(cmd->pool, "%s: unknown '%s', supported values are "
                        "%s", cmd->directive->directive, arg, list);
}

static const keyword_t ua_policy_kw = {
    APR_OFFSETOF(gsprov_dir_conf, ua_policy),
    { "off", "required", "match", NULL },
    { GSPROV_UA_OFF, GSPROV_UA_REQUIRED, GSPROV_UA_MATCH, 0 } };
static const keyword_t fw_unknown_kw = {
    APR_OFFSETOF(gsprov_dir_conf, fw_unknown),
    { "default", "deny", NULL, NULL },
    { GSPROV_FW_UNKNOWN_DEFAULT, GSPROV_FW_UNKNOWN_DENY, 0, 0 } };
static const keyword_t status_scope_kw = {
    APR_OFFSETOF(gsprov_dir_conf, status_scope),
    { "vhost", "server", NULL, NULL },
    { GSPROV_STATUS_VHOST, GSPROV_STATUS_SERVER, 0, 0 } };

static const char *cmd_GsProvFirmwareRoot(cmd_parms *cmd, void *dconf,
                                          const char *arg)
{
    gsprov_dir_conf *c = dconf;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    char real[PATH_MAX];
    apr_finfo_t fi;

    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || fi.filetype != APR_DIR || !realpath(path, real))
        return apr_psprintf(cmd->pool, "GsProvFirmwareRoot: '%s' is not a "
                            "readable directory", arg);
    c->fw_root = apr_pstrdup(cmd->pool, real);
    return NULL;
}


/* GsProvCache <name> ["<options>"]: a provider of lib/cache by name
 * (none, memcached "<libmemcached option string>") */
static const char *cmd_GsProvCache(cmd_parms *cmd, void *dconf,
                                   const char *name, const char *opts)
{
    gsprov_srv_conf *c = ap_get_module_config(cmd->server->module_config,
                                              &gsprov_module);
    const gsprov_cache_provider_t *pv = gsprov_cache_provider_find(name);
    const char *bad;

    if (!pv)
        return apr_psprintf(cmd->pool, "GsProvCache: unknown '%s', supported "
                            "are %s", name,
                            gsprov_cache_provider_list(cmd->pool));
    if ((bad = pv->check(cmd->pool, opts)))
        return apr_psprintf(cmd->pool, "GsProvCache %s %s", pv->name, bad);
    c->cache_provider = pv;
    c->cache_config = opts ? apr_pstrdup(cmd->pool, opts) : NULL;
    return NULL;
}

/* GsProvCacheSecret FILE: read now, so a missing or short file fails
 * apachectl -t; its bytes (at least 32) key the values' HMAC */
static const char *cmd_GsProvCacheSecret(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    gsprov_srv_conf *c = ap_get_module_config(cmd->server->module_config,
                                              &gsprov_module);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *f;
    apr_finfo_t fi;
    unsigned char *buf;
    apr_size_t got = 0;
    apr_status_t rv;

    if (!path)
        return apr_psprintf(cmd->pool, "GsProvCacheSecret: invalid path "
                            "'%s'", arg);
    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, cmd->temp_pool))
        || (rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f)))
        return apr_psprintf(cmd->pool, "GsProvCacheSecret: %s: %pm", path,
                            &rv);
    if (fi.size < GSPROV_MIN_CACHE_SECRET || fi.size > GSPROV_MAX_CACHE_SECRET)
        return apr_psprintf(cmd->pool, "GsProvCacheSecret: %s: %d to %d "
                            "bytes needed (e.g. openssl rand -hex 32 > %s)",
                            path, GSPROV_MIN_CACHE_SECRET,
                            GSPROV_MAX_CACHE_SECRET, path);
    buf = apr_palloc(cmd->pool, (apr_size_t)fi.size);
    rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS || got != (apr_size_t)fi.size)
        return apr_psprintf(cmd->pool, "GsProvCacheSecret: %s: %pm", path,
                            &rv);
    c->cache_secret = buf;
    c->cache_secret_len = got;
    return NULL;
}

/* GsProvCacheNear 0 | BYTES[K|M|G] */
static const char *cmd_GsProvCacheNear(cmd_parms *cmd, void *dconf,
                                       const char *arg)
{
    gsprov_srv_conf *c = ap_get_module_config(cmd->server->module_config,
                                              &gsprov_module);
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (end != arg && v >= 0) {
        apr_int64_t mult = *end == 'K' || *end == 'k' ? 1024
                         : *end == 'M' || *end == 'm' ? 1024 * 1024
                         : *end == 'G' || *end == 'g' ? 1024 * 1024 * 1024
                         : 1;
        if (mult > 1)
            end++;
        /* (no overflow: anything above the maximum is refused below) */
        v = v > GSPROV_MAX_CACHE_NEAR / mult ? GSPROV_MAX_CACHE_NEAR + 1
                                             : v * mult;
    }
    if (end == arg || *end || v < 0
        || (v && (v < GSPROV_MIN_CACHE_NEAR || v > GSPROV_MAX_CACHE_NEAR)))
        return apr_psprintf(cmd->pool, "GsProvCacheNear: '%s' is not 0 or a "
                            "size from 64K to 4G (e.g. 16M)", arg);
    c->cache_near = v;
    return NULL;
}


/* CN | SAN:DNS|Email|URI | DN:<attr>  ->  the mod_ssl variable */
static const char *cmd_GsProvClientCertMAC(cmd_parms *cmd, void *dconf,
                                           const char *arg)
{
    static const char *const san[] = { "DNS", "Email", "URI" };
    gsprov_dir_conf *c = dconf;
    size_t i;

    if (!strcasecmp(arg, "CN")) {
        c->cert_mac_var = "SSL_CLIENT_S_DN_CN";
        return NULL;
    }
    if (!strncasecmp(arg, "SAN:", 4)) {
        for (i = 0; i < sizeof(san) / sizeof(san[0]); i++)
            if (!strcasecmp(arg + 4, san[i])) {
                c->cert_mac_var = apr_pstrcat(cmd->pool, "SSL_CLIENT_SAN_",
                                              san[i], "_", NULL);
                return NULL;
            }
    }
    if (!strncasecmp(arg, "DN:", 3) && arg[3]) {
        const char *a;
        for (a = arg + 3; *a; a++)
            if (!apr_isalnum(*a))
                break;
        if (!*a) {
            c->cert_mac_var = apr_pstrcat(cmd->pool, "SSL_CLIENT_S_DN_",
                                          arg + 3, NULL);
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "GsProvClientCertMAC: unknown '%s', "
                        "supported are CN, SAN:DNS, SAN:Email, SAN:URI and "
                        "DN:<attribute> (e.g. DN:OU, DN:UID)", arg);
}

/* ---- admin API (gsprov_admin.c) ---- */

static const char *cmd_GsProvAuditLog(cmd_parms *cmd, void *dconf,
                                      const char *arg)
{
    gsprov_dir_conf *c = dconf;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    char *dir, *slash;
    apr_finfo_t fi;

    /* "none" overrides an inherited log: writes are refused here */
    if (!strcasecmp(arg, "none")) {
        c->audit_log = gsprov_auditlog_none();
        return NULL;
    }
    if (!path)
        return apr_psprintf(cmd->pool, "GsProvAuditLog: invalid path '%s'",
                            arg);
    /* the file is created on first use; its directory must exist now */
    dir = apr_pstrdup(cmd->pool, path);
    if ((slash = strrchr(dir, '/')) && slash != dir)
        *slash = '\0';
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || fi.filetype != APR_DIR)
        return apr_psprintf(cmd->pool, "GsProvAuditLog: directory of '%s' "
                            "does not exist", path);
    /* opened by the parent at startup (gsprov_auditlog.c) */
    c->audit_log = gsprov_auditlog_add(cmd->pool, path);
    return NULL;
}

const command_rec gsprov_cmds[] = {
    AP_INIT_TAKE1("GsProvRoot", cmd_GsProvRoot, NULL, RSRC_CONF | ACCESS_CONF,
                  "Directory of the tenant's store (defaults.xml, models/, "
                  "groups/, devices/)"),
    AP_INIT_TAKE12("GsProvStore", cmd_GsProvStore, NULL,
                   RSRC_CONF | ACCESS_CONF,
                   "Where the device records, activations and audit trail "
                   "are: file (default, GsProvRoot) or dbd [TENANT] (the "
                   "database of DBDriver/DBDParams, through mod_dbd)"),
    AP_INIT_TAKE2("GsProvVar", cmd_GsProvVar, NULL, RSRC_CONF | ACCESS_CONF,
                  "A tenant variable for ${name} in templates: NAME VALUE"),
    AP_INIT_TAKE1("GsProvKeyDerivation", cmd_GsProvKeyDerivation, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Digest for the file encryption key: md5 (default) or "
                  "sha256"),
    AP_INIT_TAKE1("GsProvReloadInterval", cmd_range, (void *)&reload_range,
                  RSRC_CONF | ACCESS_CONF,
                  "Seconds between checks of the templates for changes "
                  "(default 5; 0 checks on every request)"),
    AP_INIT_TAKE_ARGV("GsProvBinary", cmd_GsProvBinary, NULL,
                      RSRC_CONF | ACCESS_CONF,
                      "What cfg<mac> carries: full, bootstrap [P...] "
                      "(default) or off"),
    AP_INIT_TAKE1("GsProvUserAgent", cmd_keyword, (void *)&ua_policy_kw,
                  RSRC_CONF | ACCESS_CONF,
                  "User-Agent check: off (default), required (Grandstream "
                  "only) or match (and DevId = the requested MAC)"),
    AP_INIT_TAKE1("GsProvFirmwareRoot", cmd_GsProvFirmwareRoot, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Directory of firmware images, laid out <version>/<file>"),
    AP_INIT_TAKE1("GsProvFirmwareUnknown", cmd_keyword,
                  (void *)&fw_unknown_kw,
                  RSRC_CONF | ACCESS_CONF,
                  "Firmware for unidentified devices: default (the tenant's "
                  "firmware variable) or deny (404)"),
    AP_INIT_TAKE1("GsProvClientCertMAC", cmd_GsProvClientCertMAC, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Where a client certificate carries the device's MAC: CN "
                  "(default), SAN:DNS, SAN:Email, SAN:URI or DN:<attr>"),
    AP_INIT_TAKE12("GsProvCache", cmd_GsProvCache, NULL, RSRC_CONF,
                   "Cache of rendered files: none (default) or memcached "
                   "\"<libmemcached options>\""),
    AP_INIT_TAKE1("GsProvCacheTimeout", cmd_range,
                  (void *)&cache_timeout_range, RSRC_CONF,
                  "memcached connect and I/O timeout in milliseconds "
                  "(default 50)"),
    AP_INIT_TAKE1("GsProvCacheTTL", cmd_range, (void *)&cache_ttl_range,
                  RSRC_CONF,
                  "Seconds a cached file may live (default 86400)"),
    AP_INIT_TAKE1("GsProvCacheRetry", cmd_range, (void *)&cache_retry_range,
                  RSRC_CONF,
                  "Seconds before a failed memcached server is tried again "
                  "(default 5)"),
    AP_INIT_TAKE1("GsProvCacheNear", cmd_GsProvCacheNear, NULL, RSRC_CONF,
                  "Per-child near cache in front of memcached: a size such "
                  "as 16M (default) or 0 (off)"),
    AP_INIT_TAKE1("GsProvCacheSecret", cmd_GsProvCacheSecret, NULL, RSRC_CONF,
                  "File with a secret (32+ bytes) that authenticates cached "
                  "values (HMAC-SHA256), the same on every node"),
    AP_INIT_TAKE1("GsProvStatusScope", cmd_keyword, (void *)&status_scope_kw,
                  RSRC_CONF | ACCESS_CONF,
                  "What SetHandler gsprov-status shows: vhost (default, its "
                  "own tenant) or server (every tenant)"),
    AP_INIT_TAKE1("GsProvAuditLog", cmd_GsProvAuditLog, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "File the admin API appends one JSON line per change to; "
                  "writes are refused without it"),
    AP_INIT_TAKE1("GsProvActivationTTL", cmd_range,
                  (void *)&activation_ttl_range,
                  RSRC_CONF | ACCESS_CONF,
                  "Seconds a pending PIN activation can be claimed "
                  "(default 604800, 7 days)"),
    AP_INIT_TAKE1("GsProvClaimMaxFailures", cmd_range,
                  (void *)&claim_max_failures_range,
                  RSRC_CONF | ACCESS_CONF,
                  "Wrong PINs after which an activation locks (default 5)"),
    /* an int field, so GSPROV_UNSET (-1) stays apart from On and Off */
    AP_INIT_FLAG("GsProvAdminSecrets", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(gsprov_dir_conf, admin_secrets),
                 RSRC_CONF | ACCESS_CONF,
                 "Whether the admin API returns secrets for ?secrets=1 "
                 "(default off: 403)"),
    AP_INIT_FLAG("GsProvDeviceStatus", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(gsprov_dir_conf, device_status),
                 RSRC_CONF | ACCESS_CONF,
                 "Whether device requests are recorded as the devices' "
                 "provisioning status (default on)"),
    AP_INIT_TAKE1("GsProvDeviceStatusFlush", cmd_range,
                  (void *)&status_flush_range, RSRC_CONF,
                  "Seconds between writes of the recorded status to the "
                  "store (default 10)"),
    AP_INIT_TAKE1("GsProvDeviceStatusBuffer", cmd_range,
                  (void *)&status_buffer_range, RSRC_CONF,
                  "Devices' requests a child keeps per store between writes "
                  "(default 10000; more are dropped and counted)"),
    { NULL }
};
