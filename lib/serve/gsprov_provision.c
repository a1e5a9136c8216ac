#include <string.h>
#include <apr_strings.h>
#include "gsprov_provision.h"
#include "gsprov_merge.h"
#include "gsprov_render.h"
#include "gsprov_binary.h"
#include "gsprov_error.h"
#include "gsprov_firmware.h"
#include "gsprov_redirect.h"

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

/* The expanded value of a merged parameter, "" when it is not set. */
static apr_status_t merged_value(apr_pool_t *p, const gsprov_merged_t *m,
                                 const char *name, const gsprov_vars_t *vars,
                                 const char **out, char **err)
{
    const gsprov_param_t *prm = gsprov_merge_get(m, name);
    if (!prm) {
        *out = "";
        return APR_SUCCESS;
    }
    return gsprov_render_value(p, prm, vars, out, err);
}

/* Keep the reading of the request name whose prefix and postfix are the
 * device's own (P234/P235, or their v2 aliases); none: 404. */
static apr_status_t pick_reading(apr_pool_t *p, const gsprov_name_t *name,
                                 const gsprov_merged_t *m,
                                 const gsprov_vars_t *vars,
                                 gsprov_kind_e *kind, char **err)
{
    const char *pre, *post;
    apr_status_t rv;
    int i;

    if (name->any_affix) {
        *kind = name->reading[0].kind;
        return APR_SUCCESS;
    }
    if ((rv = merged_value(p, m, m->version == 2
                           ? "provisioning.config.filePrefix" : "P234",
                           vars, &pre, err))
        || (rv = merged_value(p, m, m->version == 2
                              ? "provisioning.config.filePostfix" : "P235",
                              vars, &post, err)))
        return rv;
    if (strcmp(pre, name->prefix) == 0) {
        for (i = 0; i < name->nreadings; i++) {
            if (strcmp(post, name->reading[i].postfix) == 0) {
                *kind = name->reading[i].kind;
                return APR_SUCCESS;
            }
        }
    }
    *err = apr_psprintf(p, "device %s: the name's prefix/postfix are not the "
                        "device's (P234/P235)", name->mac);
    return GSPROV_ENOTFOUND;
}

static int in_list(const char *name, const char *const *list, int n,
                   const apr_array_header_t *extra)
{
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    for (i = 0; extra && i < extra->nelts; i++)
        if (strcmp(name, APR_ARRAY_IDX(extra, i, const char *)) == 0)
            return 1;
    return 0;
}

static apr_status_t render_binary(apr_pool_t *p, const gsprov_merged_t *m,
                                  const gsprov_device_t *dev,
                                  const gsprov_vars_t *vars,
                                  const gsprov_settings_t *set,
                                  gsprov_output_t *out, char **err)
{
    static const char *const boot[] = GSPROV_BOOTSTRAP_PARAMS;
    const int nboot = (int)(sizeof(boot) / sizeof(boot[0]));
    apr_array_header_t *pv;
    unsigned char *bin;
    apr_size_t len;
    apr_status_t rv;
    int i, have_1359 = 0;

    if (set->binary == GSPROV_BINARY_OFF) {
        *err = apr_psprintf(p, "device %s: binary files are off "
                            "(GsProvBinary)", dev->mac);
        return GSPROV_ENOTFOUND;
    }
    if (m->version != 1) {
        *err = apr_psprintf(p, "device %s: config version 2 has no P-values "
                            "for a binary file", dev->mac);
        return GSPROV_ENOTFOUND;
    }
    pv = apr_array_make(p, m->params->nelts + 1, sizeof(gsprov_pvalue_t));
    for (i = 0; i < m->params->nelts; i++) {
        const gsprov_param_t *prm =
            APR_ARRAY_IDX(m->params, i, const gsprov_param_t *);
        gsprov_pvalue_t *v;
        if (set->binary == GSPROV_BINARY_BOOTSTRAP
            && !in_list(prm->name, boot, nboot, set->bootstrap_extra))
            continue;
        v = apr_array_push(pv);
        v->name = prm->name;
        if ((rv = gsprov_render_value(p, prm, vars, &v->value, err)))
            return rv;
        have_1359 |= strcmp(prm->name, "P1359") == 0;
    }
    /* Hand the device the password its XML file is encrypted with
     * (unless a layer sets P1359 itself): the point of a binary first. */
    if (dev->password && !have_1359) {
        gsprov_pvalue_t *v = apr_array_push(pv);
        v->name = "P1359";
        v->value = dev->password;
    }
    if ((rv = gsprov_binary_encode(p, dev->mac, pv, &bin, &len))) {
        *err = apr_psprintf(p, "device %s: binary encoding failed", dev->mac);
        return rv;
    }
    out->body = (const char *)bin;
    out->len = len;
    out->content_type = GSPROV_CT_BINARY;
    return APR_SUCCESS;
}

apr_status_t gsprov_output_xml(apr_pool_t *p, char *body, apr_size_t len,
                               const char *password,
                               const gsprov_settings_t *set,
                               const char *label, gsprov_output_t *out,
                               char **err)
{
    unsigned char *enc;
    apr_size_t elen;
    apr_status_t rv;

    if (!password || set->plain) {
        out->body = body;
        out->len = len;
        out->content_type = GSPROV_CT_XML;
        return APR_SUCCESS;
    }
    if ((rv = gsprov_crypto_encrypt(p, password, set->key_digest, body, len, &enc,
                             &elen))) {
        *err = apr_psprintf(p, "%s: encryption failed", label);
        return rv;
    }
    /* the plaintext never outlives the request pool, but wipe it */
    memset(body, 0, len);
    out->body = (const char *)enc;
    out->len = elen;
    out->encrypted = 1;
    out->content_type = GSPROV_CT_ENCRYPTED;
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
    return gsprov_firmware_apply_rollout(p, ctx, err);
}

apr_status_t gsprov_context_value(apr_pool_t *p, const gsprov_context_t *ctx,
                                  const char *name, const char **out,
                                  char **err)
{
    return merged_value(p, ctx->m, name, &ctx->vars, out, err);
}

/* A device with no file of its own: its redirect record, else its line in
 * the store's redirect map, else 404.  Like any per-device file, the name
 * must carry the device's prefix and postfix: a redirect sets no
 * P234/P235, so only the plain names are served. */
static apr_status_t redirect(apr_pool_t *p, const gsprov_templates_t *t,
                             const gsprov_name_t *name,
                             const gsprov_context_t *ctx,
                             const gsprov_settings_t *set,
                             gsprov_output_t *out, char **err)
{
    const gsprov_redirect_t *rd = ctx->redirect;
    int i;

    if (!rd && t->redirects)
        rd = apr_hash_get(t->redirects, name->mac, GSPROV_MAC_LEN);
    if (!rd)
        return GSPROV_ENOTFOUND;    /* *err, if any, says why */
    for (i = 0; i < name->nreadings; i++)
        if (name->any_affix || (!name->prefix[0]
                                && !name->reading[i].postfix[0]))
            return gsprov_redirect_render(p, rd, name->mac,
                                          name->reading[i].kind,
                                          ctx->dev ? ctx->dev->password : NULL,
                                          set, out, err);
    *err = apr_psprintf(p, "device %s: the name's prefix/postfix are not the "
                        "device's (P234/P235; a redirect sets none)",
                        name->mac);
    return GSPROV_ENOTFOUND;
}

apr_status_t gsprov_provision(apr_pool_t *p, gsprov_store_t *store,
                              const gsprov_templates_t *t,
                              const gsprov_name_t *name,
                              const gsprov_settings_t *set,
                              gsprov_output_t *out, char **err)
{
    gsprov_context_t ctx;
    gsprov_kind_e kind = name->kind;
    gsprov_device_t *dev;
    char *body;
    apr_size_t len;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    switch (name->kind) {
    case GSPROV_KIND_DEVICE_XML:
    case GSPROV_KIND_DEVICE_BIN:
        rv = gsprov_context(p, store, t, name->mac, NULL, set, &ctx, err);
        break;
    case GSPROV_KIND_MODEL_XML:
        rv = gsprov_context(p, store, t, NULL, name->model, set, &ctx, err);
        break;
    case GSPROV_KIND_GENERIC_XML:
        rv = gsprov_context(p, store, t, NULL, NULL, set, &ctx, err);
        break;
    default:
        return GSPROV_EBADNAME;
    }
    if (rv == GSPROV_ENOTFOUND && name->mac[0]) {
        rv = redirect(p, t, name, &ctx, set, out, err);
        if (rv == APR_SUCCESS)
            out->device = ctx.dev;      /* NULL for a redirect.map line */
        return rv;
    }
    out->model = ctx.model;
    out->device = ctx.dev;
    if (rv != APR_SUCCESS)
        return rv;
    dev = ctx.dev;
    if (dev && (rv = pick_reading(p, name, ctx.m, &ctx.vars, &kind, err)))
        return rv;
    out->kind = kind;

    if (kind == GSPROV_KIND_DEVICE_BIN)
        return render_binary(p, ctx.m, dev, &ctx.vars, set, out, err);

    if ((rv = gsprov_render_xml(p, ctx.m, dev ? dev->mac : NULL, &ctx.vars,
                                &body, &len, err)))
        return rv;

    return gsprov_output_xml(p, body, len, dev ? dev->password : NULL, set,
                             dev ? dev->label : NULL, out, err);
}
