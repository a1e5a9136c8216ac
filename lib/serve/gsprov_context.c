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

/* What a file is rendered from: defaults < model (merged once per
 * snapshot), then the device's groups in order and its record's
 * overrides, laid over it here.  Nothing is merged or kept per child: a
 * tenant's templates cost the same in one child as in a hundred. */
static apr_status_t chain(apr_pool_t *p, const gsprov_templates_t *t,
                          const gsprov_device_t *d, const char *model,
                          gsprov_merged_t **out, char **err)
{
    const gsprov_layer_t **over = apr_palloc(p, sizeof(*over)
                                             * (size_t)(d ? d->groups->nelts
                                                        + 1 : 1));
    const gsprov_merged_t *base = t->base;
    apr_status_t rv;
    int i, n = 0;

    if (model) {
        const gsprov_layer_t *two[2];
        two[0] = t->defaults;
        if (!(two[1] = apr_hash_get(t->models, model, APR_HASH_KEY_STRING))) {
            if (!d)
                return GSPROV_ENOTFOUND;
            *err = apr_psprintf(p, "%s: model '%s' has no models/%s.xml",
                                d->label, model, model);
            return GSPROV_EREF;
        }
        if (!(base = apr_hash_get(t->chains, model, APR_HASH_KEY_STRING))) {
            gsprov_merged_t *m;     /* versions mixed: merged for the why */
            if ((rv = gsprov_merge(p, two, 2, &m, err)))
                return rv;
            base = m;
        }
    }
    for (i = 0; d && i < d->groups->nelts; i++) {
        const char *g = APR_ARRAY_IDX(d->groups, i, const char *);
        if (!(over[n++] = apr_hash_get(t->groups, g, APR_HASH_KEY_STRING))) {
            *err = apr_psprintf(p, "%s: group '%s' has no groups/%s.xml",
                                d->label, g, g);
            return GSPROV_EREF;
        }
    }
    if (d)
        over[n++] = d->config;
    return gsprov_merge_overlay(p, base, over, n, out, err);
}

apr_status_t gsprov_context(apr_pool_t *p, gsprov_store_t *store,
                            const gsprov_templates_t *t, const char *mac,
                            const char *model, const gsprov_settings_t *set,
                            gsprov_context_t *ctx, char **err)
{
    apr_status_t rv;

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
        if ((rv = chain(p, t, dev, model, &ctx->m, err)))
            return rv;
        ctx->vars.device = dev->vars;
        apr_hash_set(ctx->vars.builtin, "mac", 3, dev->mac);
        if (dev->groups->nelts)
            apr_hash_set(ctx->vars.builtin, "group", 5,
                         APR_ARRAY_IDX(dev->groups, 0, const char *));
    }
    else if ((rv = chain(p, t, NULL, model, &ctx->m, err)))
        return rv;
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
