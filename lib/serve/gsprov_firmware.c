#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_file_info.h>
#include <openssl/evp.h>
#include "gsprov_firmware.h"
#include "gsprov_vars.h"
#include "gsprov_error.h"

int gsprov_firmware_name_valid(const char *s, size_t len)
{
    size_t i;
    if (len < 1 || len > 128 || s[0] == '.')
        return 0;
    for (i = 0; i < len; i++)
        if (!(apr_isalnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'
              || s[i] == '~'))
            return 0;
    return 1;
}

static int version_valid(const char *v)
{
    size_t i, n = strlen(v);
    if (n < 1 || n > 64 || v[0] == '.')
        return 0;
    for (i = 0; i < n; i++)
        if (!(apr_isalnum(v[i]) || v[i] == '.' || v[i] == '_' || v[i] == '-'))
            return 0;
    return 1;
}

double gsprov_firmware_bucket(const char *mac, const char *version)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char buf[256];
    unsigned long v;
    int len = apr_snprintf(buf, sizeof(buf), "%s:%s", mac, version);

    if (EVP_Digest(buf, (size_t)len, md, &n, EVP_sha256(), NULL) != 1)
        return 100.0;   /* never in a rollout */
    v = (unsigned long)md[0] << 24 | (unsigned long)md[1] << 16
        | (unsigned long)md[2] << 8 | md[3];
    return (double)(v % 10000) / 100.0;
}

/* A variable's value, expanded; NULL if undefined. */
static apr_status_t var(apr_pool_t *p, const gsprov_context_t *ctx,
                        const char *name, const char **out, char **err)
{
    const char *raw = gsprov_vars_get(&ctx->vars, name, strlen(name));
    const char *missing = NULL;
    apr_status_t rv;

    *out = NULL;
    if (!raw)
        return APR_SUCCESS;
    rv = gsprov_vars_expand(p, raw, &ctx->vars, out, &missing);
    if (rv == GSPROV_EUNDEFVAR)
        *err = apr_psprintf(p, "variable %s: undefined variable ${%s}", name,
                            missing);
    else if (rv != APR_SUCCESS)
        *err = apr_psprintf(p, "variable %s: malformed ${...}", name);
    return rv;
}

apr_status_t gsprov_firmware_apply_rollout(apr_pool_t *p, gsprov_context_t *ctx,
                                     char **err)
{
    const char *next, *pct;
    apr_hash_t *over;
    apr_status_t rv;
    double want;
    char *end;

    if (!ctx->dev)
        return APR_SUCCESS;     /* unknown devices never take part */
    if ((rv = var(p, ctx, "firmware.next", &next, err))
        || (rv = var(p, ctx, "firmware.next.percent", &pct, err)))
        return rv;
    if (!next || !pct)
        return APR_SUCCESS;
    want = strtod(pct, &end);
    if (*end || end == pct || !(want >= 0 && want <= 100)) {   /* NaN too */
        *err = apr_psprintf(p, "%s: firmware.next.percent '%s' is not a "
                            "number from 0 to 100", ctx->dev->label, pct);
        return GSPROV_EPARSE;
    }
    if (gsprov_firmware_bucket(ctx->dev->mac, next) >= want)
        return APR_SUCCESS;
    /* the offered version beats every level, the device's own included */
    over = apr_hash_make(p);
    apr_hash_set(over, "firmware", APR_HASH_KEY_STRING, next);
    ctx->vars.device = ctx->vars.device
                       ? apr_hash_overlay(p, over, ctx->vars.device) : over;
    ctx->fw_rollout = 1;
    return APR_SUCCESS;
}

apr_status_t gsprov_firmware_resolve(apr_pool_t *p, const gsprov_context_t *ctx,
                               const char *root, const char *name,
                               gsprov_fw_t *out, char **err)
{
    const char *who = ctx->dev ? ctx->dev->mac : "unknown device";
    const char *ver, *pre, *post;
    char rfile[PATH_MAX];
    apr_finfo_t fi;
    apr_size_t nl = strlen(name), pl, ql;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    /* the context already applied a rollout to the variable firmware */
    if ((rv = var(p, ctx, "firmware", &ver, err)))
        return rv;
    out->rollout = ctx->fw_rollout;
    if (!ver) {
        *err = apr_psprintf(p, "%s: no firmware variable", who);
        return GSPROV_ENOTFOUND;
    }
    out->version = ver;
    if (!version_valid(ver)) {
        *err = apr_psprintf(p, "%s: firmware version '%s' is not a valid "
                            "directory name", who, ver);
        return GSPROV_ENOTFOUND;
    }

    /* <P232>file<P233>: the device's own prefix and postfix */
    if ((rv = gsprov_context_value(p, ctx, "P232", &pre, err))
        || (rv = gsprov_context_value(p, ctx, "P233", &post, err)))
        return rv;
    pl = strlen(pre);
    ql = strlen(post);
    if ((pl || ql) && nl > pl + ql && strncmp(name, pre, pl) == 0
        && strcmp(name + nl - ql, post) == 0)
        name = apr_pstrmemdup(p, name + pl, nl - pl - ql);
    if (!gsprov_firmware_name_valid(name, strlen(name))) {
        *err = apr_psprintf(p, "%s: '%s' is not a firmware file name", who,
                            name);
        return GSPROV_ENOTFOUND;
    }
    out->file = name;
    out->path = apr_pstrcat(p, root, "/", ver, "/", name, NULL);

    /* the file must exist, be a regular file, and (after symlinks) lie
     * inside the firmware root */
    if (apr_stat(&fi, out->path, APR_FINFO_TYPE, p) != APR_SUCCESS
        || fi.filetype != APR_REG) {
        *err = apr_psprintf(p, "%s: no file %s/%s", who, ver, name);
        return GSPROV_ENOTFOUND;
    }
    if (!realpath(out->path, rfile) || strncmp(rfile, root, strlen(root))
        || rfile[strlen(root)] != '/') {
        *err = apr_psprintf(p, "%s: %s/%s resolves outside the firmware "
                            "root", who, ver, name);
        return GSPROV_ENOTFOUND;
    }
    out->path = apr_pstrdup(p, rfile);
    return APR_SUCCESS;
}
