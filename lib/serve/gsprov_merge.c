#include <string.h>
#include <apr_strings.h>
#include "gsprov_merge.h"
#include "gsprov_error.h"

/* v2 compound parts are keyed "item\x1fpart"; plain names key as is. */
static const char *param_key(apr_pool_t *p, const gsprov_param_t *prm)
{
    return prm->part ? apr_pstrcat(p, prm->name, "\x1f", prm->part, NULL)
                     : prm->name;
}

apr_status_t gsprov_merge(apr_pool_t *p, const gsprov_layer_t *const *layers,
                          int n, gsprov_merged_t **out, char **err)
{
    gsprov_merged_t *m = apr_pcalloc(p, sizeof(*m));
    const gsprov_layer_t *first = NULL;
    int i, total = 0;

    for (i = 0; i < n; i++) {
        const gsprov_layer_t *l = layers[i];
        if (!l || !l->version)
            continue;
        if (!first)
            first = l;
        else if (l->version != first->version) {
            *err = apr_psprintf(p, "mixed config versions: %s is version %d, "
                                "%s is version %d", first->label,
                                first->version, l->label, l->version);
            return GSPROV_EMIXED;
        }
        total += l->params->nelts;
    }
    m->version = first ? first->version : 1;
    m->version_src = first ? first->label : NULL;
    m->params = apr_array_make(p, total ? total : 1,
                               sizeof(const gsprov_param_t *));
    m->index = apr_hash_make(p);
    m->vars = apr_hash_make(p);

    for (i = 0; i < n; i++) {
        const gsprov_layer_t *l = layers[i];
        int j;
        if (l && l->vars)   /* variables layer like parameters */
            m->vars = apr_hash_overlay(p, l->vars, m->vars);
        if (!l || !l->version)
            continue;
        for (j = 0; j < l->params->nelts; j++) {
            const gsprov_param_t *prm =
                &APR_ARRAY_IDX(l->params, j, gsprov_param_t);
            const char *key = param_key(p, prm);
            /* index stored +1 so that 0 (NULL) means absent */
            apr_size_t at = (apr_size_t)apr_hash_get(m->index, key,
                                                     APR_HASH_KEY_STRING);
            if (at)
                APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *) = prm;
            else {
                APR_ARRAY_PUSH(m->params, const gsprov_param_t *) = prm;
                apr_hash_set(m->index, key, APR_HASH_KEY_STRING,
                             (void *)(apr_size_t)m->params->nelts);
            }
        }
    }
    *out = m;
    return APR_SUCCESS;
}

static apr_size_t lookup(const gsprov_merged_t *m, const char *key)
{
    apr_size_t at = (apr_size_t)apr_hash_get(m->index, key,
                                             APR_HASH_KEY_STRING);
    if (!at && m->extra)
        at = (apr_size_t)apr_hash_get(m->extra, key, APR_HASH_KEY_STRING);
    return at;
}

apr_status_t gsprov_merge_overlay(apr_pool_t *p, const gsprov_merged_t *base,
                                  const gsprov_layer_t *layer,
                                  gsprov_merged_t **out, char **err)
{
    gsprov_merged_t *m = apr_pmemdup(p, base, sizeof(*m));
    int j;

    if (!layer || !layer->version) {
        *out = m;
        return APR_SUCCESS;
    }
    if (base->version_src && layer->version != base->version) {
        *err = apr_psprintf(p, "mixed config versions: %s is version %d, "
                            "%s is version %d", base->version_src,
                            base->version, layer->label, layer->version);
        return GSPROV_EMIXED;
    }
    if (!base->version_src) {
        m->version = layer->version;
        m->version_src = layer->label;
    }
    m->params = apr_array_copy(p, base->params);
    m->extra = NULL;
    for (j = 0; j < layer->params->nelts; j++) {
        const gsprov_param_t *prm =
            &APR_ARRAY_IDX(layer->params, j, gsprov_param_t);
        const char *key = param_key(p, prm);
        apr_size_t at = lookup(m, key);
        if (at)
            APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *) = prm;
        else {
            APR_ARRAY_PUSH(m->params, const gsprov_param_t *) = prm;
            if (!m->extra)
                m->extra = apr_hash_make(p);
            apr_hash_set(m->extra, key, APR_HASH_KEY_STRING,
                         (void *)(apr_size_t)m->params->nelts);
        }
    }
    *out = m;
    return APR_SUCCESS;
}

gsprov_merged_t *gsprov_merge_without(apr_pool_t *p,
                                      const gsprov_merged_t *base,
                                      const char *const *names, int n)
{
    gsprov_merged_t *m = apr_pmemdup(p, base, sizeof(*m));
    int i, j;

    m->params = apr_array_make(p, base->params->nelts ? base->params->nelts
                                                       : 1,
                               sizeof(const gsprov_param_t *));
    m->index = apr_hash_make(p);
    m->extra = NULL;
    for (i = 0; i < base->params->nelts; i++) {
        const gsprov_param_t *prm =
            APR_ARRAY_IDX(base->params, i, const gsprov_param_t *);
        for (j = 0; j < n && (prm->part || strcmp(prm->name, names[j])); j++)
            ;
        if (j < n)
            continue;
        APR_ARRAY_PUSH(m->params, const gsprov_param_t *) = prm;
        apr_hash_set(m->index, param_key(p, prm), APR_HASH_KEY_STRING,
                     (void *)(apr_size_t)m->params->nelts);
    }
    return m;
}

gsprov_merged_t *gsprov_merge_replace(apr_pool_t *p,
                                      const gsprov_merged_t *base,
                                      const gsprov_param_t *prm)
{
    apr_size_t at = lookup(base, prm->name);
    gsprov_merged_t *m;

    if (!at)
        return NULL;
    m = apr_pmemdup(p, base, sizeof(*m));
    m->params = apr_array_copy(p, base->params);
    APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *) = prm;
    return m;
}

const gsprov_param_t *gsprov_merge_get(const gsprov_merged_t *m,
                                        const char *name)
{
    apr_size_t at = lookup(m, name);
    return at ? APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *)
              : NULL;
}
