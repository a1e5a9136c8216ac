#include <string.h>
#include <apr_strings.h>
#include "gsprov_merge.h"
#include "gsprov_error.h"

static int same_key(const gsprov_param_t *prm, const char *name,
                    const char *part)
{
    return strcmp(prm->name, name) == 0
           && (prm->part ? part && strcmp(prm->part, part) == 0 : !part);
}

/* The slot of (name, part) in a table of mask + 1 slots over m->params:
 * the one holding it, or the empty one where it goes (a table is never
 * more than 2/3 full). */
static apr_uint32_t *slot_in(const gsprov_merged_t *m, apr_uint32_t *slots,
                             apr_uint32_t mask, apr_uint32_t h,
                             const char *name, const char *part)
{
    apr_uint32_t i = h & mask;

    while (slots[i]) {
        const gsprov_param_t *q = APR_ARRAY_IDX(m->params, slots[i] - 1,
                                                const gsprov_param_t *);
        if (q->hash == h && same_key(q, name, part))
            break;
        i = (i + 1) & mask;
    }
    return &slots[i];
}

/* A table for n keys: its slots, *mask set. */
static apr_uint32_t *table(apr_pool_t *p, int n, apr_uint32_t *mask)
{
    apr_uint32_t cap = 8;

    while (cap < (apr_uint32_t)n + (apr_uint32_t)n / 2)
        cap *= 2;
    *mask = cap - 1;
    return apr_pcalloc(p, cap * sizeof(apr_uint32_t));
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
    if (total)
        m->slots = table(p, total, &m->mask);
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
            apr_uint32_t *at = slot_in(m, m->slots, m->mask, prm->hash,
                                       prm->name, prm->part);
            if (*at)
                APR_ARRAY_IDX(m->params, *at - 1, const gsprov_param_t *) = prm;
            else {
                APR_ARRAY_PUSH(m->params, const gsprov_param_t *) = prm;
                *at = (apr_uint32_t)m->params->nelts;
            }
        }
    }
    *out = m;
    return APR_SUCCESS;
}

/* index+1 of (name, part) in m->params, 0 if it is not there */
static apr_size_t lookup(const gsprov_merged_t *m, apr_uint32_t h,
                         const char *name, const char *part)
{
    apr_size_t at = m->slots ? *slot_in(m, m->slots, m->mask, h, name, part)
                             : 0;
    if (!at && m->xslots)
        at = *slot_in(m, m->xslots, m->xmask, h, name, part);
    return at;
}

apr_status_t gsprov_merge_overlay(apr_pool_t *p, const gsprov_merged_t *base,
                                  const gsprov_layer_t *const *layers, int n,
                                  gsprov_merged_t **out, char **err)
{
    gsprov_merged_t *m = apr_pmemdup(p, base, sizeof(*m));
    int i, j, more = 0;

    for (i = 0; i < n; i++)
        more += layers[i] && layers[i]->version ? layers[i]->params->nelts : 0;
    m->xslots = more ? table(p, more, &m->xmask) : NULL;
    for (i = 0; i < n; i++) {
        const gsprov_layer_t *layer = layers[i];

        if (layer && layer->vars)
            m->vars = apr_hash_overlay(p, layer->vars, m->vars);
        if (!layer || !layer->version)
            continue;
        if (m->version_src && layer->version != m->version) {
            *err = apr_psprintf(p, "mixed config versions: %s is version %d, "
                                "%s is version %d", m->version_src,
                                m->version, layer->label, layer->version);
            return GSPROV_EMIXED;
        }
        if (!m->version_src) {
            m->version = layer->version;
            m->version_src = layer->label;
        }
        if (m->params == base->params)  /* copied once, when first needed */
            m->params = apr_array_copy(p, base->params);
        for (j = 0; j < layer->params->nelts; j++) {
            const gsprov_param_t *prm =
                &APR_ARRAY_IDX(layer->params, j, gsprov_param_t);
            apr_uint32_t h = prm->hash;
            apr_size_t at = lookup(m, h, prm->name, prm->part);
            if (at)
                APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *) = prm;
            else {
                APR_ARRAY_PUSH(m->params, const gsprov_param_t *) = prm;
                *slot_in(m, m->xslots, m->xmask, h, prm->name, prm->part) =
                    (apr_uint32_t)m->params->nelts;
            }
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
    /* one table for what is left: the overlay table is folded in */
    m->slots = base->params->nelts ? table(p, base->params->nelts, &m->mask)
                                   : NULL;
    m->xslots = NULL;
    m->xmask = 0;
    for (i = 0; i < base->params->nelts; i++) {
        const gsprov_param_t *prm =
            APR_ARRAY_IDX(base->params, i, const gsprov_param_t *);
        for (j = 0; j < n && (prm->part || strcmp(prm->name, names[j])); j++)
            ;
        if (j < n)
            continue;
        APR_ARRAY_PUSH(m->params, const gsprov_param_t *) = prm;
        *slot_in(m, m->slots, m->mask, prm->hash, prm->name, prm->part) =
            (apr_uint32_t)m->params->nelts;
    }
    return m;
}

gsprov_merged_t *gsprov_merge_replace(apr_pool_t *p,
                                      const gsprov_merged_t *base,
                                      const gsprov_param_t *prm)
{
    apr_uint32_t h = gsprov_layer_key_hash(prm->name, NULL);
    apr_size_t at = lookup(base, h, prm->name, NULL);
    gsprov_param_t *c;
    gsprov_merged_t *m;

    if (!at || prm->part)
        return NULL;
    /* the index finds it by its key's hash, whatever the caller set */
    c = apr_pmemdup(p, prm, sizeof(*c));
    c->hash = h;
    m = apr_pmemdup(p, base, sizeof(*m));
    m->params = apr_array_copy(p, base->params);
    APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *) = c;
    return m;
}

const gsprov_param_t *gsprov_merge_get(const gsprov_merged_t *m,
                                        const char *name)
{
    apr_size_t at = lookup(m, gsprov_layer_key_hash(name, NULL), name,
                           NULL);
    return at ? APR_ARRAY_IDX(m->params, at - 1, const gsprov_param_t *)
              : NULL;
}
