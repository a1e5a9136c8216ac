/*
 * Checks of the whole configuration, in check_config: at every start and
 * restart and at `apachectl -t`.  They catch what each directive alone
 * cannot see and what would otherwise pass the test and fail every
 * request at runtime:
 *  - a section whose SetHandler names one of our handlers where no
 *    GsProvRoot (and, for firmware, GsProvFirmwareRoot) applies;
 *  - a tenant whose generic files (cfg.xml, cfg<model>.xml) do not render
 *    with its variables: typically a GsProvVar removed that defaults.xml
 *    or a model still uses.
 *
 * SetHandler keeps its handler as an expression, opaque to modules, but
 * the expression remembers the file and line of its directive: the parsed
 * configuration tree says which SetHandler lines name our handlers, and
 * each server's sections are matched to them by that file and line.
 * Sections the check cannot see (<If>, .htaccess, a RewriteRule's H=)
 * still answer 500 and log why at runtime.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "util_cfgtree.h"
#include "apr_strings.h"

#include "mod_gsprov.h"
#include "gsprov_request.h"
#include "gsprov_error.h"

APLOG_USE_MODULE(gsprov);

typedef struct {
    apr_pool_t *p;
    server_rec *s;
    apr_hash_t *ours;       /* "file:line" of a SetHandler -> our handler */
    apr_hash_t *reported;   /* what was said once */
    apr_hash_t *rendered;   /* tenants (store, variables) already rendered */
    int errors;
} check_t;

static const char *const handlers[] = {
    GSPROV_HANDLER, GSPROV_FW_HANDLER, GSPROV_STATUS_HANDLER,
    GSPROV_ADMIN_HANDLER
};

/* The SetHandler lines of the tree that name one of our handlers. */
static void find_sethandlers(check_t *c, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (d->first_child)
            find_sethandlers(c, d->first_child);
        if (!strcasecmp(d->directive, "SetHandler") && d->args) {
            const char *args = d->args;
            char *h = ap_getword_conf(c->p, &args);
            size_t i;

            ap_str_tolower(h);
            for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
                if (!strcmp(h, handlers[i]))
                    apr_hash_set(c->ours, apr_psprintf(c->p, "%s:%d",
                                 d->filename, d->line_num),
                                 APR_HASH_KEY_STRING, handlers[i]);
        }
    }
}

/* Our handler set by this config vector's own SetHandler, or NULL; *at is
 * the directive's file:line. */
static const char *our_handler(check_t *c, ap_conf_vector_t *v,
                               const char **at)
{
    core_dir_config *cd = ap_get_core_module_config(v);

    if (!cd || !cd->expr_handler || !cd->expr_handler->filename)
        return NULL;
    *at = apr_psprintf(c->p, "%s:%u", cd->expr_handler->filename,
                       cd->expr_handler->line_number);
    return apr_hash_get(c->ours, *at, APR_HASH_KEY_STRING);
}

static const char *server_label(apr_pool_t *p, server_rec *s)
{
    if (!s->is_virtual)
        return "the main server";
    return apr_psprintf(p, "the virtual host %s:%u (%s:%u)",
                        s->server_hostname ? s->server_hostname : "(unnamed)",
                        (unsigned)(s->port ? s->port : s->addrs
                                   ? s->addrs->host_port : 0),
                        s->defn_name ? s->defn_name : "?",
                        s->defn_line_number);
}

static void report(check_t *c, const char *key, const char *logno,
                   const char *msg)
{
    if (apr_hash_get(c->reported, key, APR_HASH_KEY_STRING))
        return;
    apr_hash_set(c->reported, key, APR_HASH_KEY_STRING, "");
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, c->s, "%s%s",
                 logno, msg);
    c->errors++;
}

/* "name=value\n" of every variable, sorted: a tenant's identity with its
 * store, whichever vhost or location spelled it. */
static const char *vars_key(apr_pool_t *p, apr_hash_t *vars)
{
    apr_array_header_t *a = apr_array_make(p, 16, sizeof(const char *));
    apr_hash_index_t *hi;
    int i, j;

    for (hi = vars ? apr_hash_first(p, vars) : NULL; hi;
         hi = apr_hash_next(hi))
        APR_ARRAY_PUSH(a, const char *) = apr_pstrcat(
            p, (const char *)apr_hash_this_key(hi), "=",
            (const char *)apr_hash_this_val(hi), "\n", NULL);
    for (i = 1; i < a->nelts; i++)          /* few: insertion sort */
        for (j = i; j > 0 && strcmp(APR_ARRAY_IDX(a, j - 1, const char *),
                                    APR_ARRAY_IDX(a, j, const char *)) > 0;
             j--) {
            const char *t = APR_ARRAY_IDX(a, j, const char *);
            APR_ARRAY_IDX(a, j, const char *) =
                APR_ARRAY_IDX(a, j - 1, const char *);
            APR_ARRAY_IDX(a, j - 1, const char *) = t;
        }
    return apr_array_pstrcat(p, a, 0);
}

/* One generic file, rendered as a device that is not in the store would
 * get it: with the tenant's variables only. */
static void render_one(check_t *c, const gsprov_dir_conf *conf,
                       const gsprov_templates_t *t, const char *file,
                       const char *where)
{
    gsprov_settings_t set;
    gsprov_output_t out;
    gsprov_name_t name;
    char *err = NULL;
    apr_status_t rv;

    if (!gsprov_name_resolve(file, strlen(file), &name)
        || (name.kind != GSPROV_KIND_GENERIC_XML
            && name.kind != GSPROV_KIND_MODEL_XML))
        return;     /* a model named like a MAC: not served as a model */
    gsprov_request_settings(conf, NULL, &set);
    set.plain = 1;
    rv = gsprov_provision(c->p, conf->store, t, &name, &set, &out, &err);
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
        /* a broken defaults.xml breaks every model too: said once */
        report(c, apr_pstrcat(c->p, "render:", where, "\n", err, NULL),
               GSPROV_LOGNO(0904), apr_psprintf(
               c->p, "%s of %s does not render, so every request for it "
               "would answer 500: %s%s", file, where,
               err ? err : "unknown error", rv == GSPROV_EUNDEFVAR
               ? " (set it with GsProvVar, or define it in the template "
                 "with <var>)" : ""));
}

/* cfg.xml and every cfg<model>.xml of the tenant conf serves. */
static void render_tenant(check_t *c, const gsprov_dir_conf *conf,
                          const char *where)
{
    const char *key = apr_psprintf(c->p, "%pp\n%d\n%s", (void *)conf->store,
                                   (int)gsprov_conf_binary(conf),
                                   vars_key(c->p, conf->vars));
    const gsprov_templates_t *t;
    apr_hash_index_t *hi;

    if (apr_hash_get(c->rendered, key, APR_HASH_KEY_STRING))
        return;
    apr_hash_set(c->rendered, key, APR_HASH_KEY_STRING, "");
    t = gsprov_store_templates(conf->store, c->p, gsprov_conf_reload(conf));
    render_one(c, conf, t, "cfg.xml", where);
    for (hi = apr_hash_first(c->p, t->models); hi; hi = apr_hash_next(hi))
        render_one(c, conf, t, apr_pstrcat(c->p, "cfg",
                   (const char *)apr_hash_this_key(hi), ".xml", NULL),
                   where);
}

/* A section (or a server's own level) with our handler h, set at the
 * SetHandler line `at`, with conf the settings that apply there. */
static void check_section(check_t *c, server_rec *s, const char *section,
                          const char *h, const char *at,
                          const gsprov_dir_conf *conf)
{
    const char *where = apr_psprintf(c->p, "%s%s%s", section ? section : "",
                                     section ? " of " : "",
                                     server_label(c->p, s));
    const char *need = NULL;

    if (!strcmp(h, GSPROV_STATUS_HANDLER))
        return;
    if (!conf->store)
        need = "GsProvRoot";
    else if (!strcmp(h, GSPROV_FW_HANDLER) && !conf->fw_root)
        need = "GsProvFirmwareRoot";
    if (need) {
        report(c, apr_pstrcat(c->p, "need:", at, NULL), GSPROV_LOGNO(0903),
               apr_psprintf(c->p, "SetHandler %s at %s (%s): no %s applies "
                            "there, so every request would answer 500; set "
                            "%s in the virtual host or the section", h, at,
                            where, need, need));
        return;
    }
    if (!strcmp(h, GSPROV_HANDLER))
        render_tenant(c, conf, where);
}

static gsprov_dir_conf *dconf_of(ap_conf_vector_t *v)
{
    return ap_get_module_config(v, &gsprov_module);
}

/* base with a section's settings over it (a section without any of our
 * directives has none) */
static gsprov_dir_conf *merged(apr_pool_t *p, gsprov_dir_conf *base,
                               ap_conf_vector_t *v)
{
    gsprov_dir_conf *add = dconf_of(v);
    return add ? gsprov_merge_dir_conf(p, base, add) : base;
}

/* Does the non-regex section path `sec` apply to the path `p`? */
static int path_covers(const char *sec, const char *p)
{
    size_t n = strlen(sec);
    return !strncmp(sec, p, n) && (p[n] == '\0' || p[n] == '/'
                                   || (n && sec[n - 1] == '/'));
}

/* The <Location> sections of s: the settings of one are the server's,
 * then those of every plain section whose path covers its own (in
 * order, as httpd's location walk merges them), itself included. */
static void check_locations(check_t *c, server_rec *s,
                            const apr_array_header_t *secs)
{
    ap_conf_vector_t **v = (ap_conf_vector_t **)secs->elts;
    int i, j;

    for (i = 0; i < secs->nelts; i++) {
        core_dir_config *cd = ap_get_core_module_config(v[i]);
        const char *at, *h = our_handler(c, v[i], &at);
        gsprov_dir_conf *conf;

        if (!h)
            continue;
        conf = dconf_of(s->lookup_defaults);
        for (j = 0; j < secs->nelts; j++) {
            core_dir_config *cj = ap_get_core_module_config(v[j]);
            if (j == i || (!cd->r && !cj->r && cj->d && cd->d
                           && path_covers(cj->d, cd->d)))
                conf = merged(c->p, conf, v[j]);
        }
        check_section(c, s, apr_psprintf(c->p, "<Location%s %s>",
                                         cd->r ? "Match" : "",
                                         cd->d ? cd->d : "?"), h, at, conf);
    }
}

/* <Directory> sections: the server's settings and the section's own. */
static void check_directories(check_t *c, server_rec *s,
                              const apr_array_header_t *secs)
{
    ap_conf_vector_t **v = (ap_conf_vector_t **)secs->elts;
    int i;

    for (i = 0; i < secs->nelts; i++) {
        core_dir_config *cd = ap_get_core_module_config(v[i]);
        const char *at, *h = our_handler(c, v[i], &at);

        if (h)
            check_section(c, s, apr_psprintf(c->p, "<Directory %s>",
                                             cd->d ? cd->d : "?"), h, at,
                          merged(c->p, dconf_of(s->lookup_defaults), v[i]));
    }
}

static int check_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    check_t c;
    server_rec *v;

    memset(&c, 0, sizeof(c));
    c.p = ptemp;
    c.s = s;
    c.ours = apr_hash_make(ptemp);
    c.reported = apr_hash_make(ptemp);
    c.rendered = apr_hash_make(ptemp);
    find_sethandlers(&c, ap_conftree);
    for (v = s; v; v = v->next) {
        core_server_config *cs = ap_get_core_module_config(v->module_config);
        const char *at, *h = our_handler(&c, v->lookup_defaults, &at);

        if (h)
            check_section(&c, v, NULL, h, at, dconf_of(v->lookup_defaults));
        check_locations(&c, v, cs->sec_url);
        check_directories(&c, v, cs->sec_dir);
    }
    return c.errors ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

void gsprov_register_check(apr_pool_t *p)
{
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
}
