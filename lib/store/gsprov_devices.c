#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_info.h>
#include "gsprov_devices.h"
#include "gsprov_store.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

apr_status_t gsprov_devices_read(apr_pool_t *p, const char *root,
                                 const char *mac, char **bytes,
                                 apr_size_t *len, char **err)
{
    const char *path = apr_pstrcat(p, root, "/devices/", mac, ".xml", NULL);
    apr_status_t rv = gsprov_fsio_read_file(p, path, GSPROV_MAX_DEVICE_BYTES,
                                       bytes, len, err);
    return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
}

apr_status_t gsprov_devices_lock(apr_pool_t *p, const char *root,
                                 const char *mac, gsprov_lock_t **out,
                                 char **err)
{
    return gsprov_fsio_lock(p, root, apr_pstrcat(p, "device-", mac, NULL), out,
                       err);
}

apr_status_t gsprov_devices_write(apr_pool_t *p, const char *root,
                                  const char *mac, const char *bytes,
                                  apr_size_t len, char **err)
{
    return gsprov_fsio_write_atomic(p, apr_pstrcat(p, root, "/devices", NULL),
                               apr_pstrcat(p, mac, ".xml", NULL), bytes, len,
                               err);
}

apr_status_t gsprov_devices_remove(apr_pool_t *p, const char *root,
                                   const char *mac, char **err)
{
    apr_status_t rv = gsprov_fsio_remove_durable(p, apr_pstrcat(p, root,
                                                           "/devices", NULL),
                                            apr_pstrcat(p, mac, ".xml", NULL),
                                            err);
    return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
}

static int cmp_mac(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

apr_status_t gsprov_devices_macs(apr_pool_t *p, const char *root,
                                 const char *after, apr_array_header_t **out,
                                 char **err)
{
    const char *dpath = apr_pstrcat(p, root, "/devices", NULL);
    apr_array_header_t *a = apr_array_make(p, 64, sizeof(const char *));
    apr_finfo_t fi;
    apr_dir_t *dir;
    apr_status_t rv;

    rv = apr_dir_open(&dir, dpath, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        *out = a;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: cannot open directory: %pm", dpath, &rv);
        return GSPROV_EIO;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS) {
        char mac[GSPROV_MAC_LEN + 1];
        /* exactly the names the store serves: <12 lowercase hex>.xml;
         * hidden and temporary files (.<mac>.xml.tmp.*) never match */
        if (strlen(fi.name) != GSPROV_MAC_LEN + 4
            || strcmp(fi.name + GSPROV_MAC_LEN, ".xml")
            || !gsprov_mac_parse(fi.name, GSPROV_MAC_LEN, mac)
            || memcmp(mac, fi.name, GSPROV_MAC_LEN))
            continue;
        if (after && strcmp(mac, after) <= 0)
            continue;
        APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(p, mac);
    }
    apr_dir_close(dir);
    qsort(a->elts, (size_t)a->nelts, sizeof(const char *), cmp_mac);
    *out = a;
    return APR_SUCCESS;
}
