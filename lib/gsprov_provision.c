#include <string.h>
#include <apr_strings.h>
#include "gsprov_provision.h"
#include "gsprov_merge.h"
#include "gsprov_render.h"
#include "gsprov_error.h"

/* The layer chain of a device: defaults < model < groups < device. */
static apr_status_t device_chain(apr_pool_t *p, const gsprov_templates_t *t,
                                 const gsprov_device_t *d,
                                 const gsprov_layer_t ***chain, int *n,
                                 char **err)
{
    const gsprov_layer_t **c = apr_pcalloc(p, sizeof(*c)
                                           * (size_t)(d->groups->nelts + 3));
    int i, k = 0;

    c[k++] = t->defaults;
    if (d->model) {
        if (!(c[k++] = apr_hash_get(t->models, d->model, APR_HASH_KEY_STRING))) {
            *err = apr_psprintf(p, "%s: model '%s' has no models/%s.xml",
                                d->label, d->model, d->model);
            return GSPROV_EREF;
        }
    }
    for (i = 0; i < d->groups->nelts; i++) {
        const char *g = APR_ARRAY_IDX(d->groups, i, const char *);
        if (!(c[k++] = apr_hash_get(t->groups, g, APR_HASH_KEY_STRING))) {
            *err = apr_psprintf(p, "%s: group '%s' has no groups/%s.xml",
                                d->label, g, g);
            return GSPROV_EREF;
        }
    }
    c[k++] = d->config;
    *chain = c;
    *n = k;
    return APR_SUCCESS;
}

apr_status_t gsprov_provision(apr_pool_t *p, gsprov_store_t *store,
                              const gsprov_templates_t *t,
                              const gsprov_name_t *name,
                              const gsprov_settings_t *set,
                              gsprov_output_t *out, char **err)
{
    const gsprov_layer_t **chain = NULL;
    const gsprov_layer_t *two[2];
    gsprov_device_t *dev = NULL;
    gsprov_merged_t *m;
    gsprov_vars_t vars;
    char *body;
    apr_size_t len;
    int n = 0;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    memset(&vars, 0, sizeof(vars));
    vars.tenant = set->tenant_vars;
    vars.builtin = apr_hash_make(p);

    switch (name->kind) {
    case GSPROV_KIND_DEVICE_XML:
        if ((rv = gsprov_store_device(store, p, name->mac, &dev, err)))
            return rv;
        if ((rv = device_chain(p, t, dev, &chain, &n, err)))
            return rv;
        vars.device = dev->vars;
        apr_hash_set(vars.builtin, "mac", 3, dev->mac);
        if (dev->model)
            apr_hash_set(vars.builtin, "model", 5, dev->model);
        if (dev->groups->nelts)
            apr_hash_set(vars.builtin, "group", 5,
                         APR_ARRAY_IDX(dev->groups, 0, const char *));
        out->model = dev->model;
        break;
    case GSPROV_KIND_MODEL_XML:
        two[0] = t->defaults;
        if (!(two[1] = apr_hash_get(t->models, name->model,
                                    APR_HASH_KEY_STRING)))
            return GSPROV_ENOTFOUND;
        chain = two;
        n = 2;
        apr_hash_set(vars.builtin, "model", 5, name->model);
        out->model = apr_pstrdup(p, name->model);
        break;
    case GSPROV_KIND_GENERIC_XML:
        two[0] = t->defaults;
        chain = two;
        n = 1;
        break;
    default:
        return GSPROV_EBADNAME;
    }

    if ((rv = gsprov_merge(p, chain, n, &m, err)))
        return rv;
    if ((rv = gsprov_render_xml(p, m, dev ? dev->mac : NULL, &vars, &body,
                                &len, err)))
        return rv;

    if (dev && dev->password) {
        unsigned char *enc;
        apr_size_t elen;
        if ((rv = gsprov_encrypt(p, dev->password, set->key_digest, body, len,
                                 &enc, &elen))) {
            *err = apr_psprintf(p, "%s: encryption failed", dev->label);
            return rv;
        }
        /* the plaintext never outlives the request pool, but wipe it */
        memset(body, 0, len);
        out->body = (const char *)enc;
        out->len = elen;
        out->encrypted = 1;
        out->content_type = GSPROV_CT_ENCRYPTED;
    }
    else {
        out->body = body;
        out->len = len;
        out->content_type = GSPROV_CT_XML;
    }
    return APR_SUCCESS;
}
