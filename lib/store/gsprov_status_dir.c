/*
 * The provisioning status of a directory store (see gsprov_status_dir.h).
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include "gsprov_status_dir.h"
#include "gsprov_seen.h"
#include "gsprov_fsio.h"
#include "gsprov_json.h"
#include "gsprov_mac.h"

/* a status file is small: the device's fields and six kinds */
#define MAX_STATUS_BYTES (16 * 1024)

static const char *status_dir(apr_pool_t *p, const char *root)
{
    return apr_pstrcat(p, root, "/status", NULL);
}

static const char *str_of(apr_pool_t *p, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? apr_pstrdup(p, json_string_value(v)) : "";
}

static apr_int64_t int_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (apr_int64_t)json_integer_value(v) : 0;
}

/* The device's file parsed: APR_SUCCESS, APR_ENOENT, or an error. */
static apr_status_t read_status(apr_pool_t *p, const char *root,
                                const char *mac, json_t **doc, char **err)
{
    const char *path = apr_pstrcat(p, status_dir(p, root), "/", mac, ".json",
                                   NULL);
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, path, MAX_STATUS_BYTES, &buf, &len, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (gsprov_json_parse(p, buf, len, doc, err) || !json_is_object(*doc)) {
        *err = apr_psprintf(p, "%s: not a status file", path);
        return GSPROV_ECORRUPT;
    }
    return APR_SUCCESS;
}

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, json_string(v ? v : ""));
}

static void set_int(json_t *o, const char *key, apr_int64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* Merge one device's observations into its file, under its lock. */
static apr_status_t put_device(apr_pool_t *p, const char *root,
                               const gsprov_seen_dev_t *d, char **err)
{
    const char *dir = status_dir(p, root), *name, *out;
    gsprov_lock_t *lock;
    json_t *doc = NULL, *fetch;
    apr_finfo_t fi;
    apr_status_t rv;
    int i;

    /* only devices the store has a record of: a scan of made-up MACs
     * leaves nothing behind */
    if (apr_stat(&fi, apr_pstrcat(p, root, "/devices/", d->mac, ".xml",
                                  NULL), APR_FINFO_TYPE, p) != APR_SUCCESS)
        return APR_SUCCESS;
    if ((rv = gsprov_fsio_lock(p, root, apr_pstrcat(p, "status-", d->mac,
                                                    NULL), &lock, err)))
        return rv;
    rv = read_status(p, root, d->mac, &doc, err);
    if (rv != APR_SUCCESS) {
        /* missing, or unreadable: status is best-effort, start anew */
        doc = gsprov_json_pool(p, json_object());
        set_str(doc, "mac", d->mac);
    }
    if (!json_is_object(fetch = json_object_get(doc, "fetch"))) {
        fetch = json_object();
        json_object_set_new(doc, "fetch", fetch);
    }
    for (i = 0; i < d->each->nelts; i++) {
        const gsprov_seen_t *s = APR_ARRAY_IDX(d->each, i,
                                               const gsprov_seen_t *);
        json_t *k = json_object_get(fetch, s->kind);

        if (json_is_object(k) && int_of(k, "at") > s->at)
            continue;           /* another node wrote a newer one */
        k = json_object();
        set_int(k, "at", s->at);
        set_str(k, "client", s->client);
        set_str(k, "file", s->file);
        set_int(k, "result", s->result);
        set_str(k, "version", s->version);
        json_object_set_new(fetch, s->kind, k);
    }
    if (!json_object_get(doc, "at") || int_of(doc, "at") <= d->last->at) {
        const gsprov_seen_t *s = d->last;
        set_int(doc, "at", s->at);
        set_str(doc, "client", s->client);
        set_str(doc, "ua_model", s->ua_model);
        set_str(doc, "ua_hardware", s->ua_hardware);
        set_str(doc, "ua_firmware", s->ua_firmware);
        set_str(doc, "kind", s->kind);
        set_str(doc, "file", s->file);
        set_int(doc, "result", s->result);
    }
    if (!json_object_get(doc, "served_version"))
        set_str(doc, "served_version", "");
    if (d->served && int_of(doc, "served_at") <= d->served->at) {
        set_str(doc, "served_version", d->served->version);
        set_int(doc, "served_at", d->served->at);
    }
    name = apr_pstrcat(p, d->mac, ".json", NULL);
    out = gsprov_json_dump(p, doc);
    if ((rv = gsprov_fsio_write_replace(p, dir, name, out, strlen(out), err)))
        return rv;
    /* the mtime says when it was last seen (status_count) */
    apr_file_mtime_set(apr_pstrcat(p, dir, "/", name, NULL),
                       apr_time_from_sec(int_of(doc, "at")), p);
    gsprov_fsio_unlock(lock);
    return APR_SUCCESS;
}

apr_status_t gsprov_status_dir_put(apr_pool_t *p, const char *root,
                                   const apr_array_header_t *batch,
                                   char **err)
{
    apr_array_header_t *devs = gsprov_seen_by_device(p, batch);
    apr_pool_t *dp;
    apr_status_t rv = APR_SUCCESS, first = APR_SUCCESS;
    int i;

    apr_pool_create(&dp, p);
    for (i = 0; i < devs->nelts; i++) {
        char *e = NULL;
        apr_pool_clear(dp);
        /* one device that cannot be written does not stop the others */
        if ((rv = put_device(dp, root, &APR_ARRAY_IDX(devs, i,
                                                      gsprov_seen_dev_t),
                             &e)) && first == APR_SUCCESS) {
            first = rv;
            *err = apr_pstrdup(p, e ? e : "unknown error");
        }
    }
    apr_pool_destroy(dp);
    return first;
}

static void seen_from(apr_pool_t *p, const json_t *o, const char *mac,
                      const char *kind, gsprov_seen_t *s)
{
    memset(s, 0, sizeof(*s));
    s->mac = mac;
    s->kind = kind ? kind : str_of(p, o, "kind");
    s->at = int_of(o, "at");
    s->client = str_of(p, o, "client");
    s->ua_model = str_of(p, o, "ua_model");
    s->ua_hardware = str_of(p, o, "ua_hardware");
    s->ua_firmware = str_of(p, o, "ua_firmware");
    s->file = str_of(p, o, "file");
    s->version = str_of(p, o, "version");
    s->result = (int)int_of(o, "result");
}

apr_status_t gsprov_status_dir_get(apr_pool_t *p, const char *root,
                                   const char *mac, gsprov_devstatus_t **out,
                                   char **err)
{
    static const char *const kinds[] = GSPROV_SEEN_KINDS;
    gsprov_devstatus_t *st;
    const json_t *fetch;
    json_t *doc;
    apr_status_t rv;
    int i;

    *out = NULL;
    rv = read_status(p, root, mac, &doc, err);
    if (rv == APR_ENOENT)
        return APR_SUCCESS;
    if (rv != APR_SUCCESS)
        return rv;
    st = apr_pcalloc(p, sizeof(*st));
    seen_from(p, doc, apr_pstrdup(p, mac), NULL, &st->last);
    st->served_version = str_of(p, doc, "served_version");
    st->fetch = apr_array_make(p, GSPROV_SEEN_NKINDS, sizeof(gsprov_seen_t));
    fetch = json_object_get(doc, "fetch");
    for (i = 0; i < GSPROV_SEEN_NKINDS; i++) {
        const json_t *k = json_object_get(fetch, kinds[i]);
        if (json_is_object(k))
            seen_from(p, k, st->last.mac, kinds[i],
                      apr_array_push(st->fetch));
    }
    *out = st;
    return APR_SUCCESS;
}

apr_status_t gsprov_status_dir_count(apr_pool_t *p, const char *root,
                                     apr_int64_t since, apr_int64_t *n,
                                     char **err)
{
    const char *dir = status_dir(p, root);
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_time_t from = apr_time_from_sec(since);

    *n = 0;
    rv = apr_dir_open(&d, dir, p);
    if (APR_STATUS_IS_ENOENT(rv))
        return APR_SUCCESS;
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: cannot list: %pm", dir, &rv);
        return GSPROV_EIO;
    }
    while ((rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_MTIME
                              | APR_FINFO_TYPE, d)) == APR_SUCCESS
           || rv == APR_INCOMPLETE) {
        /* <12 hex>.json: not temporary files */
        if ((fi.valid & (APR_FINFO_MTIME | APR_FINFO_TYPE))
            == (APR_FINFO_MTIME | APR_FINFO_TYPE) && fi.filetype == APR_REG && strlen(fi.name) == GSPROV_MAC_LEN + 5
            && !strcmp(fi.name + GSPROV_MAC_LEN, ".json")
            && fi.name[0] != '.' && fi.mtime >= from)
            (*n)++;
    }
    apr_dir_close(d);
    return APR_SUCCESS;
}
