/* The parameters a device record owns (see gsprov_guard.h). */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "gsprov_guard.h"
#include "gsprov_render.h"

enum { PW, USER, SECRET, NGUARDED };

/* index [PW] is P1359, [USER] P1360, [SECRET] P1361; v1 and v2 names */
static const char *const names[2][NGUARDED] = {
    { "P1359", "P1360", "P1361" },
    { "provisioning.config.filePassword", "provisioning.config.username",
      "provisioning.config.password" },
};

static const char *const what[NGUARDED] = {
    "the XML config file password",
    "the config server's HTTP user name",
    "the config server's HTTP password",
};

static int guarded(const gsprov_param_t *prm)
{
    int v, i;
    if (prm->part)
        return -1;
    for (v = 0; v < 2; v++)
        for (i = 0; i < NGUARDED; i++)
            if (!strcmp(prm->name, names[v][i]))
                return i;
    return -1;
}

/* The merged parameter named for slot i, if its value is exactly "" once
 * expanded (a value that fails to expand is the renderer's to report). */
static const char *empty_one(apr_pool_t *p, const gsprov_merged_t *m,
                             const gsprov_vars_t *vars, int i)
{
    const char *name = names[m->version == 2][i], *val;
    const gsprov_param_t *prm = gsprov_merge_get(m, name);
    char *err = NULL;

    if (!prm || prm->part
        || gsprov_render_value(p, prm, vars, &val, &err) != APR_SUCCESS)
        return NULL;
    return *val ? NULL : name;
}

void gsprov_guard_apply(apr_pool_t *p, const gsprov_device_t *dev,
                        const gsprov_vars_t *vars, gsprov_merged_t **mp)
{
    gsprov_merged_t *m = *mp;
    const char *drop[2];
    int n = 0;

    if (dev->password) {
        const char *name = names[m->version == 2][PW];
        const gsprov_param_t *cur = gsprov_merge_get(m, name);
        /* replaced in place, so the file keeps its order; the password
         * is a value, never a template: no ${} expansion */
        if (cur && !cur->part
            && (cur->has_vars || strcmp(cur->value, dev->password))) {
            gsprov_param_t *prm = apr_pcalloc(p, sizeof(*prm));
            prm->name = name;
            prm->hash = cur->hash;          /* the same key */
            prm->value = dev->password;
            prm->src = dev->label;
            m = gsprov_merge_replace(p, m, prm);
        }
    }
    if (dev->nusernames || dev->nsecrets) {
        const char *e;
        if ((e = empty_one(p, m, vars, USER)))
            drop[n++] = e;
        if ((e = empty_one(p, m, vars, SECRET)))
            drop[n++] = e;
        if (n)
            m = gsprov_merge_without(p, m, drop, n);
    }
    *mp = m;
}

void gsprov_guard_layer(apr_pool_t *p, const gsprov_layer_t *layer,
                        apr_array_header_t *warnings)
{
    int i, g;

    for (i = 0; layer && i < layer->params->nelts; i++) {
        const gsprov_param_t *prm = &APR_ARRAY_IDX(layer->params, i,
                                                   gsprov_param_t);
        gsprov_guard_warning_t *w;
        int empty;

        if ((g = guarded(prm)) < 0)
            continue;
        empty = !*prm->value;
        w = apr_array_push(warnings);
        w->src = prm->src;
        w->line = prm->line;
        w->name = prm->name;
        if (g == PW)
            w->msg = apr_psprintf(p, "%s (%s) is set here%s: devices whose "
                                  "record has a <password> get that "
                                  "password instead, others get %s; give "
                                  "XML passwords with <password> in the "
                                  "device records", prm->name, what[g],
                                  empty ? " to an empty value" : "",
                                  empty ? "the empty value" : "this value");
        else
            w->msg = apr_psprintf(p, "%s (%s) is set here%s: a device "
                                  "applies it and then logs in with it, so "
                                  "for devices whose record has "
                                  "<username>/<secret> it must match those "
                                  "(an empty value is not served to them)",
                                  prm->name, what[g],
                                  empty ? " to an empty value" : "");
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The layers of h (name -> layer) in name order. */
static void sorted(apr_pool_t *p, apr_hash_t *h, apr_array_header_t *warnings)
{
    apr_array_header_t *keys = apr_array_make(p, 16, sizeof(const char *));
    apr_hash_index_t *hi;
    int i;

    for (hi = apr_hash_first(p, h); hi; hi = apr_hash_next(hi))
        APR_ARRAY_PUSH(keys, const char *) = apr_hash_this_key(hi);
    qsort(keys->elts, (size_t)keys->nelts, sizeof(const char *), cmp_name);
    for (i = 0; i < keys->nelts; i++)
        gsprov_guard_layer(p, apr_hash_get(h, APR_ARRAY_IDX(keys, i,
                                                            const char *),
                                           APR_HASH_KEY_STRING), warnings);
}

void gsprov_guard_templates(apr_pool_t *p, const gsprov_templates_t *t,
                            apr_array_header_t *warnings)
{
    gsprov_guard_layer(p, t->defaults, warnings);
    sorted(p, t->models, warnings);
    sorted(p, t->groups, warnings);
}

void gsprov_guard_chain(apr_pool_t *p, const gsprov_templates_t *t,
                        const gsprov_device_t *dev,
                        apr_array_header_t *warnings)
{
    int i;

    gsprov_guard_layer(p, t->defaults, warnings);
    if (dev->model)
        gsprov_guard_layer(p, apr_hash_get(t->models, dev->model,
                                           APR_HASH_KEY_STRING), warnings);
    for (i = 0; i < dev->groups->nelts; i++)
        gsprov_guard_layer(p, apr_hash_get(t->groups,
                                           APR_ARRAY_IDX(dev->groups, i,
                                                         const char *),
                                           APR_HASH_KEY_STRING), warnings);
    gsprov_guard_layer(p, dev->config, warnings);
}
