/*
 * The directory store: devices/<mac>.xml under the root, and the
 * templates (defaults.xml, models/, groups/, redirect.map) through the
 * loader of gsprov_templates.c.
 */
#include <apr_strings.h>
#include <apr_file_info.h>
#include "gsprov_store.h"
#include "gsprov_crypto.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"
#include "gsprov_fsio.h"

typedef struct {
    const char *root;
    gsprov_templates_dir_t *tpl;
} file_store_t;

static const gsprov_templates_t *fs_templates(gsprov_store_t *s, apr_pool_t *p,
                                              apr_interval_time_t interval)
{
    return gsprov_templates_get(((file_store_t *)s->impl)->tpl, p, interval);
}

/* devices/<mac>.xml as bytes: GSPROV_ENOTFOUND if there is none */
static apr_status_t read_record(apr_pool_t *p, const char *root,
                                const char *mac, const char **path,
                                char **buf, apr_size_t *len, char **err)
{
    apr_status_t rv;

    *path = apr_pstrcat(p, root, "/devices/", mac, ".xml", NULL);
    rv = gsprov_fsio_read_file(p, *path, GSPROV_MAX_DEVICE_BYTES, buf, len, err);
    return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
}

apr_status_t gsprov_store_file_device(apr_pool_t *p, const char *root,
                                      const char *mac, gsprov_device_t **out,
                                      char **err)
{
    const char *path;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = read_record(p, root, mac, &path, &buf, &len, err)))
        return rv;
    return gsprov_xml_parse_device(p, mac, buf, len, path, out, err);
}

static apr_status_t fs_device(gsprov_store_t *s, apr_pool_t *p,
                              const char *mac, gsprov_device_t **out,
                              char **err)
{
    return gsprov_store_file_device(p, ((file_store_t *)s->impl)->root, mac,
                                    out, err);
}

static apr_status_t fs_device_version(gsprov_store_t *s, apr_pool_t *p,
                                      const char *mac, const char **version,
                                      char **err)
{
    const char *path;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = read_record(p, ((file_store_t *)s->impl)->root, mac, &path,
                          &buf, &len, err)))
        return rv;
    /* the same digest as gsprov_device_version() of the parsed record */
    *version = gsprov_crypto_sha256_hex(p, buf, len);
    return *version ? APR_SUCCESS : GSPROV_ECRYPTO;
}

static const gsprov_store_ops_t lint_ops = { "file-lint", fs_templates,
                                             fs_device, fs_device_version };

apr_status_t gsprov_store_file_lint(apr_pool_t *p, const char *root,
                                    const gsprov_report_t *report,
                                    gsprov_store_t **out)
{
    gsprov_store_t *s = apr_pcalloc(p, sizeof(*s));
    file_store_t *fs = apr_pcalloc(p, sizeof(*fs));
    apr_finfo_t fi;
    apr_status_t rv;

    /* a mistyped --root must not lint as a clean, empty store */
    if ((rv = apr_stat(&fi, root, APR_FINFO_TYPE, p)) != APR_SUCCESS
        || fi.filetype != APR_DIR) {
        report->fn(report->baton, rv != APR_SUCCESS
                   ? apr_psprintf(p, "%s: cannot open the store: %pm", root, &rv)
                   : apr_psprintf(p, "%s: not a directory", root));
        return rv != APR_SUCCESS ? rv : GSPROV_EIO;
    }
    s->ops = &lint_ops;
    s->name = fs->root = apr_pstrdup(p, root);
    s->impl = fs;
    if ((rv = gsprov_templates_open_lint(p, root, report, &fs->tpl)))
        return rv;
    *out = s;
    return APR_SUCCESS;
}

static const gsprov_store_ops_t file_ops = { "file", fs_templates, fs_device,
                                             fs_device_version };

apr_status_t gsprov_store_file_open(apr_pool_t *p, const char *root,
                                    const gsprov_logger_t *log,
                                    gsprov_store_t **out, char **err)
{
    gsprov_store_t *s;
    file_store_t *fs;
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_stat(&fi, root, APR_FINFO_TYPE, p);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: %pm", root, &rv);
        return GSPROV_EIO;
    }
    if (fi.filetype != APR_DIR) {
        *err = apr_psprintf(p, "%s: not a directory", root);
        return GSPROV_EIO;
    }
    s = apr_pcalloc(p, sizeof(*s));
    fs = apr_pcalloc(p, sizeof(*fs));
    s->ops = &file_ops;
    s->name = fs->root = apr_pstrdup(p, root);
    s->impl = fs;
    if (log)
        s->log = *log;
    if ((rv = gsprov_templates_open(p, root, log, &fs->tpl, err)))
        return rv;
    *out = s;
    return APR_SUCCESS;
}
