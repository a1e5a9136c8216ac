/*
 * The directory store (GsProvRoot):
 *   devices/<mac>.xml            records (redirect records too)
 *   activations/<number>.json    pending activations: {"number", "pin",
 *                                "created", "expires", "failures",
 *                                "claimed_by", "profile"}
 *   status/<mac>.json            the provisioning status (gsprov_status_dir.c)
 *   .gsprov-locks/device-<mac>.lock, activation-<number>.lock,
 *                                status-<mac>.lock
 *   defaults.xml, models/, groups/, redirect.map: the templates, through
 *                                the loader of gsprov_templates_dir.c
 * A transaction flock(2)s lock files (gsprov_fsio.c); each write is atomic
 * and durable when it returns; the audit entries are kept until commit,
 * which appends them to the log (one write() each), then drops the locks.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_info.h>
#include "gsprov_store.h"
#include "gsprov_templates_dir.h"
#include "gsprov_mac.h"
#include "gsprov_json.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"
#include "gsprov_fsio.h"
#include "gsprov_status_dir.h"

typedef struct {
    const char *root;
    const char *devices;        /* <root>/devices */
    const char *activations;    /* <root>/activations */
    gsprov_templates_dir_t *tpl;
} file_store_t;

typedef struct {
    gsprov_audit_t *log;
    apr_hash_t *locks;          /* lock name -> gsprov_lock_t * */
    apr_array_header_t *entries;    /* json_t *, appended at commit */
    int ended;
} file_txn_t;

static const gsprov_templates_t *fs_templates(gsprov_store_t *s, apr_pool_t *p,
                                              apr_interval_time_t interval)
{
    return gsprov_templates_dir_get(((file_store_t *)s->impl)->tpl, p, interval);
}

/* ---- records ---------------------------------------------------------- */

/* Exactly the names the store serves: <12 lowercase hex>.xml; hidden and
 * temporary files (.<mac>.xml.tmp.*) never match. */
static int record_name(const char *name, char mac[GSPROV_MAC_LEN + 1])
{
    return strlen(name) == GSPROV_MAC_LEN + 4
           && !strcmp(name + GSPROV_MAC_LEN, ".xml")
           && gsprov_mac_parse(name, GSPROV_MAC_LEN, mac)
           && !memcmp(mac, name, GSPROV_MAC_LEN);
}

/* devices/<mac>.xml: GSPROV_ENOTFOUND if there is none */
static apr_status_t read_record(apr_pool_t *p, const file_store_t *fs,
                                const char *mac, gsprov_blob_t *out,
                                char **err)
{
    const char *path = apr_pstrcat(p, fs->devices, "/", mac, ".xml", NULL);
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, path, GSPROV_MAX_DEVICE_BYTES, &buf, &len,
                               err);
    if (rv != APR_SUCCESS)
        return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
    out->data = buf;
    out->len = len;
    out->label = path;
    /* content-based: the same on every node of a farm */
    if (!(out->version = gsprov_store_version(p, buf, len))) {
        *err = apr_psprintf(p, "%s: cannot hash (OpenSSL)", path);
        return GSPROV_ECRYPTO;
    }
    return APR_SUCCESS;
}

static apr_status_t fs_record_get(gsprov_store_t *s, apr_pool_t *p,
                                  const char *mac, gsprov_blob_t *out,
                                  char **err)
{
    return read_record(p, s->impl, mac, out, err);
}

static apr_status_t fs_record_version(gsprov_store_t *s, apr_pool_t *p,
                                      const char *mac, const char **version,
                                      char **err)
{
    gsprov_blob_t b;
    apr_status_t rv = read_record(p, s->impl, mac, &b, err);

    *version = rv ? NULL : b.version;
    return rv;
}

static int cmp_mac(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The MACs of devices/ in order, those after `after` (all when NULL). */
static apr_status_t list_macs(apr_pool_t *p, const file_store_t *fs,
                              const char *after, apr_array_header_t **out,
                              char **err)
{
    apr_array_header_t *a = apr_array_make(p, 64, sizeof(const char *));
    apr_finfo_t fi;
    apr_dir_t *dir;
    apr_status_t rv;

    rv = apr_dir_open(&dir, fs->devices, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        *out = a;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: cannot open directory: %pm", fs->devices,
                            &rv);
        return GSPROV_EIO;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS) {
        char mac[GSPROV_MAC_LEN + 1];
        if (!record_name(fi.name, mac) || (after && strcmp(mac, after) <= 0))
            continue;
        APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(p, mac);
    }
    apr_dir_close(dir);
    qsort(a->elts, (size_t)a->nelts, sizeof(const char *), cmp_mac);
    *out = a;
    return APR_SUCCESS;
}

static int in_group(const gsprov_device_t *d, const char *group)
{
    int i;
    for (i = 0; i < d->groups->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(d->groups, i, const char *), group))
            return 1;
    return 0;
}

/* A record read and parsed into p for a listing: NULL with *err if it
 * vanished or cannot be read. */
static gsprov_device_t *list_parse(apr_pool_t *p, const file_store_t *fs,
                                   const char *mac, char **err)
{
    gsprov_device_t *d = NULL;
    gsprov_blob_t b;

    *err = NULL;
    if (read_record(p, fs, mac, &b, err)
        || gsprov_xml_parse_device(p, mac, b.data, b.len, "record", &d, err))
        return NULL;
    return d;
}

static apr_status_t fs_record_list(gsprov_store_t *s, apr_pool_t *p,
                                   const gsprov_list_query_t *q,
                                   apr_array_header_t **items, int *more,
                                   char **err)
{
    file_store_t *fs = s->impl;
    apr_array_header_t *macs, *a;
    apr_pool_t *iter;
    apr_status_t rv;
    int i;

    if ((rv = list_macs(p, fs, q->after, &macs, err)))
        return rv;
    a = apr_array_make(p, q->limit, sizeof(gsprov_listed_t));
    *more = 0;
    apr_pool_create(&iter, p);
    for (i = 0; i < macs->nelts; i++) {
        const char *mac = APR_ARRAY_IDX(macs, i, const char *);
        gsprov_listed_t *e;
        gsprov_device_t *d;
        char *why;

        if (a->nelts == q->limit) {
            *more = 1;
            break;
        }
        if (q->group) {
            /* most records may be out of the group: parsed in a scratch
             * pool, and again in p only when they are in */
            apr_pool_clear(iter);
            d = list_parse(iter, fs, mac, &why);
            if (!d || !in_group(d, q->group))
                continue;
        }
        d = list_parse(p, fs, mac, &why);
        e = apr_array_push(a);
        e->mac = mac;
        e->dev = d;
        e->err = d ? NULL : why ? why : "record vanished";
    }
    apr_pool_destroy(iter);
    *items = a;
    return APR_SUCCESS;
}

static apr_status_t fs_record_iterate(gsprov_store_t *s, apr_pool_t *p,
                                      gsprov_record_fn *fn, void *baton,
                                      char **err)
{
    file_store_t *fs = s->impl;
    apr_pool_t *iter;
    apr_finfo_t fi;
    apr_dir_t *dir;
    apr_status_t rv;
    int stop = 0;

    rv = apr_dir_open(&dir, fs->devices, p);
    if (APR_STATUS_IS_ENOENT(rv))
        return APR_SUCCESS;
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: cannot open: %pm", fs->devices, &rv);
        return GSPROV_EIO;
    }
    apr_pool_create(&iter, p);
    while (!stop && apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS) {
        char mac[GSPROV_MAC_LEN + 1];
        gsprov_blob_t b;
        char *why = NULL;

        if (fi.name[0] == '.')          /* hidden and temporary files */
            continue;
        apr_pool_clear(iter);
        if (!record_name(fi.name, mac)) {
            stop = fn(baton, iter, NULL, NULL, GSPROV_EBADNAME, apr_psprintf(
                      iter, "%s/%s: bad device file name (expected 12 "
                      "lowercase hex digits, then .xml)", fs->devices,
                      fi.name));
            continue;
        }
        rv = read_record(iter, fs, mac, &b, &why);
        if (rv == GSPROV_ENOTFOUND)     /* removed since readdir */
            continue;
        stop = fn(baton, iter, apr_pstrdup(iter, mac), rv ? NULL : &b, rv,
                  why);
    }
    apr_dir_close(dir);
    apr_pool_destroy(iter);
    return stop;
}

/* ---- activations ------------------------------------------------------ */

static apr_int64_t int_or_0(const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);
    return json_is_integer(v) ? (apr_int64_t)json_integer_value(v) : 0;
}

/* activations/<number>.json: GSPROV_ENOTFOUND if there is none,
 * GSPROV_ECORRUPT if it is too large or not an activation, GSPROV_EIO if
 * it cannot be read (permissions, not a regular file, a disk error): an
 * activation that exists must never be taken for a replaceable one. */
static apr_status_t read_activation(apr_pool_t *p, const file_store_t *fs,
                                    const char *number,
                                    gsprov_activation_t **out, char **err)
{
    const char *path = apr_pstrcat(p, fs->activations, "/", number, ".json",
                                   NULL);
    const json_t *pin, *profile, *claimed;
    gsprov_activation_t *a;
    json_t *doc;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, path, GSPROV_MAX_ACTIVATION_BYTES, &buf,
                               &len, err);
    if (rv == APR_ENOENT)
        return GSPROV_ENOTFOUND;
    if (rv == GSPROV_ETOOBIG)
        return GSPROV_ECORRUPT;
    if (rv != APR_SUCCESS)
        return rv;
    if (gsprov_json_parse(p, buf, len, &doc, err) != APR_SUCCESS
        || !json_is_object(doc)
        || !json_is_string(pin = json_object_get(doc, "pin"))
        || !json_is_object(profile = json_object_get(doc, "profile"))) {
        *err = apr_psprintf(p, "%s: not a valid activation file", path);
        return GSPROV_ECORRUPT;
    }
    a = apr_pcalloc(p, sizeof(*a));
    a->number = apr_pstrdup(p, number);
    a->pin_hash = apr_pstrdup(p, json_string_value(pin));
    a->created = int_or_0(doc, "created");
    a->expires = int_or_0(doc, "expires");     /* not a number: expired */
    a->failures = (int)int_or_0(doc, "failures");
    claimed = json_object_get(doc, "claimed_by");
    a->claimed_by = json_is_string(claimed)
                    ? apr_pstrdup(p, json_string_value(claimed)) : NULL;
    a->profile = gsprov_json_dump(p, profile);
    a->label = path;
    *out = a;
    return APR_SUCCESS;
}

static apr_status_t fs_activation_get(gsprov_store_t *s, apr_pool_t *p,
                                      const char *number,
                                      gsprov_activation_t **out, char **err)
{
    return read_activation(p, s->impl, number, out, err);
}

/* In the member order activations have always been written in. */
static apr_status_t write_activation(apr_pool_t *p, const file_store_t *fs,
                                     const gsprov_activation_t *a,
                                     char **err)
{
    json_t *d = gsprov_json_pool(p, json_object()), *profile;
    const char *s;

    if (gsprov_json_parse(p, a->profile, strlen(a->profile), &profile, err)
        != APR_SUCCESS || !json_is_object(profile)) {
        *err = apr_psprintf(p, "activation %s: the profile is not a JSON "
                            "object", a->number);
        return GSPROV_EINVAL;
    }
    json_object_set_new(d, "number", json_string(a->number));
    json_object_set_new(d, "pin", json_string(a->pin_hash));
    json_object_set_new(d, "created", json_integer(a->created));
    json_object_set_new(d, "expires", json_integer(a->expires));
    json_object_set_new(d, "failures", json_integer(a->failures));
    json_object_set_new(d, "claimed_by", a->claimed_by
                        ? json_string(a->claimed_by) : json_null());
    json_object_set(d, "profile", profile);
    s = gsprov_json_dump(p, d);
    return gsprov_fsio_write_atomic(p, fs->activations,
                                    apr_pstrcat(p, a->number, ".json", NULL),
                                    s, strlen(s), err);
}

/* ---- transactions ----------------------------------------------------- */

static apr_status_t fs_begin(gsprov_store_t *s, apr_pool_t *p,
                             gsprov_audit_t *log, gsprov_txn_t **out,
                             char **err)
{
    gsprov_txn_t *txn;
    file_txn_t *t;

    /* the trail is a file beside the store: no file, no changes */
    if (!log) {
        *err = apr_psprintf(p, "%s: no audit log: the directory store makes "
                            "no unaudited changes", s->label);
        return GSPROV_EAUDIT;
    }
    txn = apr_pcalloc(p, sizeof(*txn));
    t = apr_pcalloc(p, sizeof(*t));
    t->log = log;
    t->locks = apr_hash_make(p);
    t->entries = apr_array_make(p, 2, sizeof(json_t *));
    txn->store = s;
    txn->pool = p;
    txn->impl = t;
    *out = txn;
    return APR_SUCCESS;
}

static apr_status_t ended(gsprov_txn_t *txn, char **err)
{
    *err = apr_pstrdup(txn->pool, "the transaction has ended");
    return APR_EINVAL;
}

/* Take a lock for the transaction, once: a second flock of our own lock
 * file (another descriptor) would wait for ourselves. */
static apr_status_t txn_lock(gsprov_txn_t *txn, const char *name,
                             char **err)
{
    file_txn_t *t = txn->impl;
    gsprov_lock_t *l;
    apr_status_t rv;

    if (t->ended)
        return ended(txn, err);
    if (apr_hash_get(t->locks, name, APR_HASH_KEY_STRING))
        return APR_SUCCESS;
    if ((rv = gsprov_fsio_lock(txn->pool,
                               ((file_store_t *)txn->store->impl)->root, name,
                               &l, err)))
        return rv;
    apr_hash_set(t->locks, name, APR_HASH_KEY_STRING, l);
    return APR_SUCCESS;
}

/* Writes touch only what the transaction has locked. */
static apr_status_t txn_holds(gsprov_txn_t *txn, const char *name,
                              char **err)
{
    file_txn_t *t = txn->impl;

    if (t->ended)
        return ended(txn, err);
    if (!apr_hash_get(t->locks, name, APR_HASH_KEY_STRING)) {
        *err = apr_psprintf(txn->pool, "%s: not locked by this transaction",
                            name);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static const char *device_lock(apr_pool_t *p, const char *mac)
{
    return apr_pstrcat(p, "device-", mac, NULL);
}

static const char *activation_lock(apr_pool_t *p, const char *number)
{
    return apr_pstrcat(p, "activation-", number, NULL);
}

/* A read under the lock that fails: the record is there but unusable. */
static apr_status_t fs_record_lock(gsprov_txn_t *txn, const char *mac,
                                   gsprov_blob_t *cur, char **err)
{
    apr_status_t rv;

    if ((rv = txn_lock(txn, device_lock(txn->pool, mac), err)))
        return rv;
    rv = read_record(txn->pool, txn->store->impl, mac, cur, err);
    return rv == APR_SUCCESS || rv == GSPROV_ENOTFOUND ? rv : GSPROV_ECORRUPT;
}

static apr_status_t fs_record_put(gsprov_txn_t *txn, const char *mac,
                                  const char *data, apr_size_t len,
                                  char **err)
{
    file_store_t *fs = txn->store->impl;
    apr_status_t rv;

    if ((rv = txn_holds(txn, device_lock(txn->pool, mac), err)))
        return rv;
    return gsprov_fsio_write_atomic(txn->pool, fs->devices,
                                    apr_pstrcat(txn->pool, mac, ".xml", NULL),
                                    data, len, err);
}

/* Remove dir/name under the transaction's lock: GSPROV_ENOTFOUND if it
 * is not there. */
static apr_status_t remove_locked(gsprov_txn_t *txn, const char *lock,
                                  const char *dir, const char *name,
                                  char **err)
{
    apr_status_t rv;

    if ((rv = txn_holds(txn, lock, err)))
        return rv;
    rv = gsprov_fsio_remove_durable(txn->pool, dir, name, err);
    return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
}

static apr_status_t fs_record_delete(gsprov_txn_t *txn, const char *mac,
                                     char **err)
{
    return remove_locked(txn, device_lock(txn->pool, mac),
                         ((file_store_t *)txn->store->impl)->devices,
                         apr_pstrcat(txn->pool, mac, ".xml", NULL), err);
}

static apr_status_t fs_activation_lock(gsprov_txn_t *txn,
                                       const char *number,
                                       gsprov_activation_t **cur, char **err)
{
    apr_status_t rv;

    if ((rv = txn_lock(txn, activation_lock(txn->pool, number), err)))
        return rv;
    return read_activation(txn->pool, txn->store->impl, number, cur, err);
}

static apr_status_t fs_activation_put(gsprov_txn_t *txn,
                                      const gsprov_activation_t *a,
                                      char **err)
{
    apr_status_t rv;

    if ((rv = txn_holds(txn, activation_lock(txn->pool, a->number), err)))
        return rv;
    return write_activation(txn->pool, txn->store->impl, a, err);
}

static apr_status_t fs_activation_delete(gsprov_txn_t *txn,
                                         const char *number, char **err)
{
    return remove_locked(txn, activation_lock(txn->pool, number),
                         ((file_store_t *)txn->store->impl)->activations,
                         apr_pstrcat(txn->pool, number, ".json", NULL), err);
}

static apr_status_t fs_audit(gsprov_txn_t *txn, json_t *entry, char **err)
{
    file_txn_t *t = txn->impl;

    if (t->ended)
        return ended(txn, err);
    APR_ARRAY_PUSH(t->entries, json_t *) =
        gsprov_json_pool(txn->pool, json_incref(entry));
    return APR_SUCCESS;
}

static void end(file_txn_t *t)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, t->locks); hi; hi = apr_hash_next(hi))
        gsprov_fsio_unlock(apr_hash_this_val(hi));
    apr_hash_clear(t->locks);
    t->ended = 1;
}

static apr_status_t fs_commit(gsprov_txn_t *txn, char **err)
{
    file_txn_t *t = txn->impl;
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (t->ended) {
        /* rolled back or committed already: nothing more takes effect */
        *err = apr_pstrdup(txn->pool, "commit of a transaction that has "
                           "ended");
        return APR_EINVAL;
    }
    /* under the locks, so the trail has a record's changes in order */
    for (i = 0; i < t->entries->nelts; i++) {
        char *why = NULL;
        if (gsprov_audit_write(txn->pool, t->log,
                               APR_ARRAY_IDX(t->entries, i, json_t *), &why)
            && rv == APR_SUCCESS) {
            *err = why;
            rv = GSPROV_EAUDIT;
        }
    }
    end(t);
    return rv;
}

static void fs_rollback(gsprov_txn_t *txn)
{
    file_txn_t *t = txn->impl;

    if (!t->ended)
        end(t);
}

/* ---- the provisioning status (gsprov_status_dir.c) ---------------------- */

static apr_status_t fs_status_put(gsprov_store_t *s, apr_pool_t *p,
                                  const apr_array_header_t *batch, char **err)
{
    return gsprov_status_dir_put(p, ((file_store_t *)s->impl)->root, batch,
                                 err);
}

static apr_status_t fs_status_get(gsprov_store_t *s, apr_pool_t *p,
                                  const char *mac, gsprov_devstatus_t **out,
                                  char **err)
{
    return gsprov_status_dir_get(p, ((file_store_t *)s->impl)->root, mac, out,
                                 err);
}

static apr_status_t fs_status_count(gsprov_store_t *s, apr_pool_t *p,
                                    apr_int64_t since, apr_int64_t *n,
                                    char **err)
{
    return gsprov_status_dir_count(p, ((file_store_t *)s->impl)->root, since,
                                   n, err);
}

/* ---- opening ---------------------------------------------------------- */

static const gsprov_store_ops_t file_ops = {
    .name = "file",
    .templates = fs_templates,
    .record_get = fs_record_get,
    .record_version = fs_record_version,
    .record_list = fs_record_list,
    .record_iterate = fs_record_iterate,
    .activation_get = fs_activation_get,
    .status_put = fs_status_put,
    .status_get = fs_status_get,
    .status_count = fs_status_count,
    .begin = fs_begin,
    .record_lock = fs_record_lock,
    .record_put = fs_record_put,
    .record_delete = fs_record_delete,
    .activation_lock = fs_activation_lock,
    .activation_put = fs_activation_put,
    .activation_delete = fs_activation_delete,
    .audit = fs_audit,
    .commit = fs_commit,
    .rollback = fs_rollback,
};

static gsprov_store_t *make(apr_pool_t *p, const char *root,
                            const gsprov_store_ops_t *ops)
{
    gsprov_store_t *s = apr_pcalloc(p, sizeof(*s));
    file_store_t *fs = apr_pcalloc(p, sizeof(*fs));

    fs->root = apr_pstrdup(p, root);
    fs->devices = apr_pstrcat(p, root, "/devices", NULL);
    fs->activations = apr_pstrcat(p, root, "/activations", NULL);
    s->ops = ops;
    s->label = fs->root;
    s->impl = fs;
    return s;
}

apr_status_t gsprov_store_file_lint(apr_pool_t *p, const char *root,
                                    const gsprov_report_t *report,
                                    gsprov_store_t **out)
{
    gsprov_store_ops_t *ops;
    gsprov_store_t *s;
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
    s = make(p, root, &file_ops);
    /* lint only reads: no begin, so no changes */
    ops = apr_pmemdup(p, &file_ops, sizeof(file_ops));
    ops->name = "file-lint";
    ops->begin = NULL;
    s->ops = ops;
    if ((rv = gsprov_templates_dir_open_lint(p, root, report,
                                         &((file_store_t *)s->impl)->tpl)))
        return rv;
    *out = s;
    return APR_SUCCESS;
}

apr_status_t gsprov_store_file_open(apr_pool_t *p, const char *root,
                                    const gsprov_logger_t *log,
                                    gsprov_store_t **out, char **err)
{
    gsprov_store_t *s;
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
    s = make(p, root, &file_ops);
    if (log)
        s->log = *log;
    if ((rv = gsprov_templates_dir_open(p, root, log,
                                    &((file_store_t *)s->impl)->tpl, err)))
        return rv;
    *out = s;
    return APR_SUCCESS;
}
