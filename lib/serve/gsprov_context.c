/*
 * The context of a request (see gsprov_context.h): a device's template
 * chain and record merged, its variables gathered, its rollout applied.
 */
#include <string.h>
#include <apr_strings.h>
#include "gsprov_context.h"
#include "gsprov_render.h"
#include "gsprov_rollout.h"
#include "gsprov_guard.h"
#include "gsprov_error.h"

/* The merged template chain of a device, defaults < model < groups in
 * order: the same for every device with that model and those groups, so
 * it is merged once per template snapshot and shared (read-only). */
static apr_status_t template_chain(apr_pool_t *p, const gsprov_templates_t *t,
                                   const gsprov_device_t *d, const char *model,
                                   const gsprov_merged_t **out, char **err)
{
    const gsprov_layer_t **c = apr_palloc(p, sizeof(*c)
                                          * (size_t)(d->groups->nelts + 2));
    struct iovec *kv = apr_palloc(p, sizeof(*kv)
                                  * (size_t)(2 * d->groups->nelts + 2));
    const char *key;
    gsprov_merged_t *m;
    apr_status_t rv;
    int i, k = 0;

    kv[0].iov_base = (void *)(model ? model : "");
    kv[0].iov_len = strlen(kv[0].iov_base);
    kv[1].iov_base = (void *)"\n";
    kv[1].iov_len = 1;
    for (i = 0; i < d->groups->nelts; i++) {
        kv[2 + 2 * i].iov_base = APR_ARRAY_IDX(d->groups, i, char *);
        kv[2 + 2 * i].iov_len = strlen(kv[2 + 2 * i].iov_base);
        kv[3 + 2 * i].iov_base = (void *)"\n";
        kv[3 + 2 * i].iov_len = 1;
    }
    key = apr_pstrcatv(p, kv, (apr_size_t)(2 * d->groups->nelts + 2), NULL);
    if (t->memo) {
        apr_thread_mutex_lock(t->memo_lock);
        *out = apr_hash_get(t->memo, key, APR_HASH_KEY_STRING);
        apr_thread_mutex_unlock(t->memo_lock);
        if (*out)
            return APR_SUCCESS;
    }

    c[k++] = t->defaults;
    if (model) {
        if (!(c[k++] = apr_hash_get(t->models, model, APR_HASH_KEY_STRING))) {
            *err = apr_psprintf(p, "%s: model '%s' has no models/%s.xml",
                                d->label, model, model);
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
    /* merged in the request pool first, so that a failing chain never
     * allocates from the shared snapshot */
    if ((rv = gsprov_merge(p, c, k, &m, err)))
        return rv;
    *out = m;
    if (t->memo) {
        apr_thread_mutex_lock(t->memo_lock);
        if (!apr_hash_get(t->memo, key, APR_HASH_KEY_STRING)
            && apr_hash_count(t->memo) < GSPROV_MAX_MERGE_MEMO
            && gsprov_merge(t->pool, c, k, &m, err) == APR_SUCCESS) {
            apr_hash_set(t->memo, apr_pstrdup(t->pool, key),
                         APR_HASH_KEY_STRING, m);
            *out = m;
        }
        apr_thread_mutex_unlock(t->memo_lock);
    }
    return APR_SUCCESS;
}

apr_status_t gsprov_context(apr_pool_t *p, gsprov_store_t *store,
                            const gsprov_templates_t *t, const char *mac,
                            const char *model, const gsprov_settings_t *set,
                            gsprov_context_t *ctx, char **err)
{
    const gsprov_layer_t *two[2];
    const gsprov_merged_t *base;
    apr_status_t rv;
    int n = 1;

    memset(ctx, 0, sizeof(*ctx));
    ctx->vars.tenant = set->tenant_vars;
    ctx->vars.builtin = apr_hash_make(p);

    if (mac) {
        gsprov_device_t *dev;
        if ((rv = gsprov_store_device(store, p, mac, &dev, err)))
            return rv;
        ctx->dev = dev;
        if (dev->redirect) {
            ctx->redirect = dev->redirect;
            *err = apr_psprintf(p, "device %s is redirected (%s): it has no "
                                "files of its own here", mac, dev->label);
            return GSPROV_ENOTFOUND;
        }
        model = dev->model;
        /* no <model> in the record: take the User-Agent's, if the store
         * has a template for it */
        if (!model && set->ua && set->ua->model[0]
            && apr_hash_get(t->models, set->ua->model, APR_HASH_KEY_STRING))
            model = apr_pstrdup(p, set->ua->model);
        if ((rv = template_chain(p, t, dev, model, &base, err))
            || (rv = gsprov_merge_overlay(p, base, dev->config, &ctx->m,
                                          err)))
            return rv;
        ctx->vars.device = dev->vars;
        apr_hash_set(ctx->vars.builtin, "mac", 3, dev->mac);
        if (dev->groups->nelts)
            apr_hash_set(ctx->vars.builtin, "group", 5,
                         APR_ARRAY_IDX(dev->groups, 0, const char *));
    }
    else {
        two[0] = t->defaults;
        if (model) {
            if (!(two[1] = apr_hash_get(t->models, model,
                                        APR_HASH_KEY_STRING)))
                return GSPROV_ENOTFOUND;
            n = 2;
        }
        if ((rv = gsprov_merge(p, two, n, &ctx->m, err)))
            return rv;
    }
    if (model) {
        ctx->model = apr_pstrdup(p, model);
        apr_hash_set(ctx->vars.builtin, "model", 5, ctx->model);
    }
    ctx->vars.layer = ctx->m->vars;
    /* what a device gets must agree with its record (P1359-P1361) */
    if (ctx->dev)
        gsprov_guard_apply(p, ctx->dev, &ctx->vars, &ctx->m);
    return gsprov_rollout_apply(p, ctx->dev, &ctx->vars, &ctx->fw_rollout,
                                err);
}

apr_status_t gsprov_context_value(apr_pool_t *p, const gsprov_context_t *ctx,
                                  const char *name, const char **out,
                                  char **err)
{
    const gsprov_param_t *prm = gsprov_merge_get(ctx->m, name);
    if (!prm) {
        *out = "";
        return APR_SUCCESS;
    }
    return gsprov_render_value(p, prm, &ctx->vars, out, err);
}
