#include <string.h>
#include <apr_strings.h>
#include "gsprov_provision.h"
#include "gsprov_render.h"
#include "gsprov_binary.h"
#include "gsprov_error.h"
#include "gsprov_redirect.h"

/* Keep the reading of the request name whose prefix and postfix are the
 * device's own (P234/P235, or their v2 aliases); none: 404. */
static apr_status_t pick_reading(apr_pool_t *p, const gsprov_name_t *name,
                                 const gsprov_context_t *ctx,
                                 gsprov_kind_e *kind, char **err)
{
    const char *pre, *post;
    apr_status_t rv;
    int i;

    if (name->any_affix) {
        *kind = name->reading[0].kind;
        return APR_SUCCESS;
    }
    if ((rv = gsprov_context_value(p, ctx, ctx->m->version == 2
                                   ? "provisioning.config.filePrefix"
                                   : "P234", &pre, err))
        || (rv = gsprov_context_value(p, ctx, ctx->m->version == 2
                                      ? "provisioning.config.filePostfix"
                                      : "P235", &post, err)))
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
    static const char *const boot[] = GSPROV_BINARY_BOOTSTRAP_PARAMS;
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
    if (dev && (rv = pick_reading(p, name, &ctx, &kind, err)))
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
