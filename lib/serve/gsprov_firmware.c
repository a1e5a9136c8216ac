#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_file_info.h>
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
    if ((rv = gsprov_vars_value(p, &ctx->vars, "firmware", &ver, err)))
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
