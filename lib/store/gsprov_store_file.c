/*
 * The directory store (GsProvRoot):
 *   devices/<mac>.xml            records (redirect records too)
 *   activations/<number>.json    pending activations: {"number", "pin",
 *                                "created", "expires", "failures",
 *                                "claimed_by", "profile"}
 *   status/<mac>.json, status/log/
 *                                the provisioning status (gsprov_status_dir.c)
 *   .gsprov-locks/device-<mac>.lock, activation-<number>.lock,
 *                                status-log.lock, status-settle.lock,
 *                                store.lock
 *   defaults.xml, models/, groups/, redirect.map: the templates, through
 *                                the loader of gsprov_templates_dir.c
 * A transaction flock(2)s lock files (gsprov_fsio.c); each write is atomic
 * and durable when it returns; the audit entries are kept until commit,
 * which appends them to the log (one write() each), then drops the locks.
 * Every file is read, listed and written through gsprov_fsio.c, beneath
 * the root: a link out of it is refused (GSPROV_EOUTSIDE); only the
 * names of devices/ are read with readdir itself (a record is then read
 * beneath the root like any file).
 *
 * Listing pages come from a sorted index of the MACs in devices/, kept
 * per process and read again only when the directory has changed (its
 * mtime, ctime, inode or size), so a page costs the same wherever it is.
 * Walks over every record (lint, export) visit them in inode order, and
 * have the kernel read GSPROV_WALK_PREFETCH records ahead: the directory's
 * own order is a hash, random on disk, and one record read at a time
 * waits for the disk every time once the store no longer fits in the
 * page cache.
 *
 * Every transaction also holds .gsprov-locks/store.lock, shared, from its
 * first lock on (so always before a record's or an activation's); a
 * deferred transaction holds it exclusively instead of a lock per record,
 * which excludes every other writer of the store without a descriptor per
 * record (an import of 100,000 records would exceed the open-file limit).
 *
 * A deferred transaction (a bulk import: every record or none) stages its
 * writes instead: each put is written and fsynced beside its record
 * (.<mac>.xml.tmp.*, which the store never reads), and commit renames them
 * all into place, fsyncs the directory once and then appends the audit
 * entries.  A failure while staging, or a rollback, removes the staged
 * files: nothing changed.  A crash while staging leaves only temp files;
 * a crash (or a failed rename) while the renames run leaves the records
 * before it new and the rest old, each whole, and no audit entry of the
 * transaction (commit reports how many were moved).
 */
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <apr_strings.h>
#include <apr_file_info.h>
#include <apr_thread_mutex.h>
#include <apr_atomic.h>
#include "gsprov_store.h"
#include "gsprov_templates_dir.h"
#include "gsprov_mac.h"
#include "gsprov_json.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"
#include "gsprov_fsio.h"
#include "gsprov_status_dir.h"
#include "gsprov_activation.h"

/* The folders of the root (GsProvRoot) the store reads and writes. */
#define DEVICES     "devices"
#define ACTIVATIONS "activations"

/* The MACs of devices/ in order, as the directory was at `dir`. */
typedef struct {
    apr_pool_t *pool;           /* owns it; gone with the last reference */
    volatile apr_uint32_t refs;
    unsigned char *macs;        /* n MACs of 6 bytes, ascending (the order
                                 * of their lowercase hex names) */
    apr_size_t n;
    apr_finfo_t dir;            /* devices/ when it was read */
    int racy;                   /* the directory changed within a clock
                                 * tick of that: used once, not kept */
} mac_index_t;

typedef struct {
    const char *root;
    const char *devices;        /* <root>/devices: listed with readdir */
    gsprov_templates_dir_t *tpl;
    apr_thread_mutex_t *index_lock;     /* guards index */
    apr_thread_mutex_t *index_build;    /* one thread reads devices/ */
    mac_index_t *index;         /* NULL until the first listing */
} file_store_t;

typedef struct {
    gsprov_audit_t *log;
    apr_hash_t *locks;          /* lock name -> gsprov_lock_t * */
    apr_array_header_t *entries;    /* json_t *, appended at commit */
    int ended;
    int deferred;
    gsprov_lock_t *store_lock;      /* shared, or exclusive when deferred */
    gsprov_dir_t *dir;              /* devices/, when deferred */
    apr_array_header_t *staged;     /* staged_t, moved into place at commit */
    int applied;                    /* staged entries already moved */
} file_txn_t;

typedef struct {
    const char *name;           /* the file in devices/ it becomes */
    const char *tmp;            /* its staged content; NULL: a removal */
} staged_t;

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

/* devices/<mac>.xml: GSPROV_ENOTFOUND if there is none, GSPROV_EOUTSIDE
 * if it is a link out of the store */
static apr_status_t read_record(apr_pool_t *p, const file_store_t *fs,
                                const char *mac, gsprov_blob_t *out,
                                char **err)
{
    const char *rel = apr_pstrcat(p, DEVICES "/", mac, ".xml", NULL);
    const char *path = apr_pstrcat(p, fs->root, "/", rel, NULL);
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, fs->root, rel, GSPROV_MAX_DEVICE_BYTES,
                               &buf, &len, err);
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

/* Every name in devices/ but hidden ones, with its inode, to fn:
 * APR_ENOENT if there is no devices/. */
typedef struct {
    void (*fn)(void *baton, const char *name, apr_ino_t ino);
    void *baton;
} visible_t;

static void visible(void *baton, const char *name, apr_ino_t ino)
{
    const visible_t *v = baton;
    if (name[0] != '.')         /* hidden and temporary files */
        v->fn(v->baton, name, ino);
}

static apr_status_t scan_devices(apr_pool_t *p, const file_store_t *fs,
                                 void (*fn)(void *baton, const char *name,
                                            apr_ino_t ino),
                                 void *baton, char **err)
{
    visible_t v = { fn, baton };
    return gsprov_fsio_scan_dir(p, fs->root, DEVICES, visible, &v, err);
}

/* ---- the listing index ---- */

/* A directory whose last change is this close to when it was read may
 * change again within the same timestamp (coarse clocks, filesystems with
 * 1-2 s granularity): its index is not trusted for a second listing. */
#define RACY_WINDOW apr_time_from_sec(2)

static apr_status_t index_release(void *data)
{
    mac_index_t *x = data;
    if (apr_atomic_dec32(&x->refs) == 0)
        apr_pool_destroy(x->pool);
    return APR_SUCCESS;
}

static apr_status_t index_drop(void *data)
{
    file_store_t *fs = data;
    if (fs->index) {
        index_release(fs->index);
        fs->index = NULL;
    }
    return APR_SUCCESS;
}

/* A growing array in a pool (doubling: the old blocks stay there). */
typedef struct {
    apr_pool_t *pool;
    unsigned char *elts;
    apr_size_t size, n, cap;
} grow_t;

static void *grow_push(grow_t *g)
{
    if (g->n == g->cap) {
        unsigned char *more;
        g->cap = g->cap ? 2 * g->cap : 4096;
        more = apr_palloc(g->pool, g->size * g->cap);
        if (g->n)
            memcpy(more, g->elts, g->size * g->n);
        g->elts = more;
    }
    return g->elts + g->size * g->n++;
}

/* 12 hex digits (a valid MAC) as 6 bytes, and back (lowercase). */
static void mac_bytes(const char *mac, unsigned char out[6])
{
    int i;
#define NIBBLE(c) ((c) <= '9' ? (c) - '0' : ((c) | 0x20) - 'a' + 10)
    for (i = 0; i < 6; i++)
        out[i] = (unsigned char)(NIBBLE(mac[2 * i]) << 4
                                 | NIBBLE(mac[2 * i + 1]));
#undef NIBBLE
}

static void mac_hex(const unsigned char b[6], char out[GSPROV_MAC_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    int i;
    for (i = 0; i < 6; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[GSPROV_MAC_LEN] = '\0';
}

static void add_mac(void *baton, const char *name, apr_ino_t ino)
{
    char mac[GSPROV_MAC_LEN + 1];

    if (record_name(name, mac))
        mac_bytes(mac, grow_push(baton));
}

static int cmp6(const void *a, const void *b)
{
    return memcmp(a, b, 6);
}

static int same_dir(const apr_finfo_t *a, const apr_finfo_t *b)
{
    return a->mtime == b->mtime && a->ctime == b->ctime
           && a->inode == b->inode && a->size == b->size;
}

/* Read devices/ into a new index (devices/ as stat()ed in *dir). */
static apr_status_t index_build(apr_pool_t *p, const file_store_t *fs,
                                const apr_finfo_t *dir, apr_time_t now,
                                mac_index_t **out, char **err)
{
    apr_pool_t *xp, *tp;
    mac_index_t *x;
    grow_t m = { NULL, NULL, 6, 0, 0 };
    apr_status_t rv;

    /* grown in a scratch pool, kept at its size */
    if ((rv = apr_pool_create(&tp, p)))
        return rv;
    m.pool = tp;
    rv = scan_devices(p, fs, add_mac, &m, err);
    if ((rv != APR_SUCCESS && rv != APR_ENOENT)
        || (rv = apr_pool_create_unmanaged_ex(&xp, NULL, NULL))) {
        apr_pool_destroy(tp);
        return rv;
    }
    if (m.n)
        qsort(m.elts, m.n, 6, cmp6);
    x = apr_pcalloc(xp, sizeof(*x));
    x->pool = xp;
    x->refs = 1;
    x->dir = *dir;
    x->n = m.n;
    /* an empty devices/ grew nothing: no bytes to copy */
    x->macs = m.n ? apr_pmemdup(xp, m.elts, 6 * m.n) : apr_pcalloc(xp, 1);
    apr_pool_destroy(tp);
    x->racy = now - (dir->mtime > dir->ctime ? dir->mtime : dir->ctime)
              < RACY_WINDOW;
    *out = x;
    return APR_SUCCESS;
}

/* The index as devices/ is now, referenced until p is cleared. */
static apr_status_t index_get(apr_pool_t *p, file_store_t *fs,
                              mac_index_t **out, char **err)
{
    const apr_int32_t want = APR_FINFO_MTIME | APR_FINFO_CTIME
                             | APR_FINFO_INODE | APR_FINFO_SIZE;
    apr_finfo_t dir;
    mac_index_t *x = NULL;
    apr_status_t rv;

    if (!fs->index_lock) {
        *err = apr_psprintf(p, "%s: no mutex for the listing", fs->devices);
        return APR_ENOMEM;
    }
    rv = apr_stat(&dir, fs->devices, want, p);
    if (APR_STATUS_IS_ENOENT(rv))
        memset(&dir, 0, sizeof(dir));   /* none: an empty index */
    else if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        *err = apr_psprintf(p, "%s: cannot stat: %pm", fs->devices, &rv);
        return GSPROV_EIO;
    }
    apr_thread_mutex_lock(fs->index_build);
    apr_thread_mutex_lock(fs->index_lock);
    x = fs->index;
    if (x && !x->racy && same_dir(&x->dir, &dir))
        apr_atomic_inc32(&x->refs);
    else
        x = NULL;
    apr_thread_mutex_unlock(fs->index_lock);
    if (!x) {
        /* one thread reads the directory; the others wait for it rather
         * than read it too */
        if ((rv = index_build(p, fs, &dir, apr_time_now(), &x, err))) {
            apr_thread_mutex_unlock(fs->index_build);
            return rv;
        }
        apr_thread_mutex_lock(fs->index_lock);
        if (fs->index)
            index_release(fs->index);
        fs->index = x;
        apr_atomic_inc32(&x->refs);
        apr_thread_mutex_unlock(fs->index_lock);
    }
    apr_thread_mutex_unlock(fs->index_build);
    apr_pool_cleanup_register(p, x, index_release, apr_pool_cleanup_null);
    *out = x;
    return APR_SUCCESS;
}

/* The first position in x after MAC `after` (0 when NULL). */
static apr_size_t index_after(const mac_index_t *x, const char *after)
{
    unsigned char key[6];
    apr_size_t lo = 0, hi = x->n;

    if (!after)
        return 0;
    mac_bytes(after, key);
    while (lo < hi) {
        apr_size_t mid = lo + (hi - lo) / 2;
        if (memcmp(x->macs + 6 * mid, key, 6) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* One record of a listing, read and parsed into p (e->dev NULL with
 * e->err if it vanished or cannot be read), with its status when q wants
 * or filters on it: 1 if it passes q's filters (an unreadable record
 * passes only an unfiltered listing), 0 if not, -1 if the status could
 * not be read (*rv, *err say why). */
static int list_one(gsprov_store_t *s, apr_pool_t *p,
                    const gsprov_list_query_t *q, const char *mac,
                    gsprov_listed_t *e, apr_status_t *rv, char **err)
{
    gsprov_devstatus_t *st = NULL;
    gsprov_blob_t b;
    char *why = NULL;

    memset(e, 0, sizeof(*e));
    e->mac = mac;
    if (read_record(p, s->impl, mac, &b, &why) == APR_SUCCESS) {
        e->version = b.version;
        if (gsprov_xml_parse_device(p, mac, b.data, b.len, "record", &e->dev,
                                    &why))
            e->dev = NULL;
    }
    e->err = e->dev ? NULL : why ? why : "record vanished";
    if (gsprov_store_list_status(q)) {
        /* a status file that cannot be parsed is no status (as GET of the
         * device shows it; the settler replaces it on the next request):
         * it must not make every page that reaches it fail */
        if ((*rv = gsprov_store_status_get(s, p, mac, &st, err))
            == GSPROV_ECORRUPT) {
            st = NULL;
            *rv = APR_SUCCESS;
        }
        else if (*rv)
            return -1;
        e->status = st;
    }
    if (!e->dev)
        return !gsprov_store_list_filtered(q) && !gsprov_store_list_status(q);
    return gsprov_store_list_match(q, e->dev)
           && gsprov_store_list_status_match(q, st, e->version);
}

static apr_status_t fs_record_list(gsprov_store_t *s, apr_pool_t *p,
                                   const gsprov_list_query_t *q,
                                   apr_array_header_t **items, int *more,
                                   char **err)
{
    file_store_t *fs = s->impl;
    mac_index_t *x = NULL;
    apr_array_header_t *a;
    apr_status_t rv;
    apr_size_t i;

    if ((rv = index_get(p, fs, &x, err)))
        return rv;
    a = apr_array_make(p, q->limit, sizeof(gsprov_listed_t));
    *more = 0;
    for (i = index_after(x, q->after); i < x->n; i++) {
        char mac[GSPROV_MAC_LEN + 1];
        gsprov_listed_t e;
        apr_pool_t *rp;
        int ok;

        if (a->nelts == q->limit) {
            *more = 1;
            break;
        }
        mac_hex(x->macs + 6 * i, mac);
        /* a pool per record: most may fail the filters, and only those
         * that pass are kept */
        apr_pool_create(&rp, p);
        ok = list_one(s, rp, q, apr_pstrdup(rp, mac), &e, &rv, err);
        if (ok < 0)
            return rv;
        if (ok)
            APR_ARRAY_PUSH(a, gsprov_listed_t) = e;
        else
            apr_pool_destroy(rp);
    }
    *items = a;
    return APR_SUCCESS;
}

/* ---- walking every record ---- */

typedef struct {
    apr_uint64_t ino;
    unsigned char mac[6];       /* 16 bytes a record: 16 MB at a million */
} walk_rec_t;

typedef struct {
    grow_t recs;                /* walk_rec_t */
    apr_array_header_t *strays; /* names that are not records */
} walk_t;

static void add_entry(void *baton, const char *name, apr_ino_t ino)
{
    walk_t *w = baton;
    walk_rec_t *r;
    char mac[GSPROV_MAC_LEN + 1];

    if (!record_name(name, mac)) {
        APR_ARRAY_PUSH(w->strays, const char *) =
            apr_pstrdup(w->recs.pool, name);
        return;
    }
    r = grow_push(&w->recs);
    r->ino = (apr_uint64_t)ino;
    mac_bytes(mac, r->mac);
}

static int cmp_ino(const void *a, const void *b)
{
    apr_uint64_t x = ((const walk_rec_t *)a)->ino,
                 y = ((const walk_rec_t *)b)->ino;
    return x < y ? -1 : x > y;
}

/* Have the r-th record of the walk read ahead. */
static void prefetch(const file_store_t *fs, const walk_t *w, apr_size_t r)
{
    char mac[GSPROV_MAC_LEN + 1], path[4096];

    mac_hex(((const walk_rec_t *)w->recs.elts)[r].mac, mac);
    if ((size_t)apr_snprintf(path, sizeof(path), "%s/%s.xml", fs->devices,
                             mac) < sizeof(path) - 1)
        gsprov_fsio_prefetch(path);
}

static apr_status_t fs_record_iterate(gsprov_store_t *s, apr_pool_t *p,
                                      gsprov_record_fn *fn, void *baton,
                                      char **err)
{
    file_store_t *fs = s->impl;
    apr_pool_t *wp, *iter;
    walk_t w;
    apr_status_t rv;
    apr_size_t r;
    int i, stop = 0;

    /* every name first, then the records in inode order: about the order
     * of the inodes and blocks on disk */
    if ((rv = apr_pool_create(&wp, p)))
        return rv;
    memset(&w, 0, sizeof(w));
    w.recs.pool = wp;
    w.recs.size = sizeof(walk_rec_t);
    w.strays = apr_array_make(wp, 4, sizeof(const char *));
    rv = scan_devices(p, fs, add_entry, &w, err);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(wp);
        return rv == APR_ENOENT ? APR_SUCCESS : rv;
    }
    if (w.recs.n)
        qsort(w.recs.elts, w.recs.n, sizeof(walk_rec_t), cmp_ino);
    apr_pool_create(&iter, wp);
    for (i = 0; !stop && i < w.strays->nelts; i++) {
        apr_pool_clear(iter);
        stop = fn(baton, iter, NULL, NULL, GSPROV_EBADNAME, apr_psprintf(
                  iter, "%s/%s: bad device file name (expected 12 "
                  "lowercase hex digits, then .xml)", fs->devices,
                  APR_ARRAY_IDX(w.strays, i, const char *)));
    }
    for (r = 0; r < GSPROV_WALK_PREFETCH && r < w.recs.n; r++)
        prefetch(fs, &w, r);
    for (r = 0; !stop && r < w.recs.n; r++) {
        char mac[GSPROV_MAC_LEN + 1];
        gsprov_blob_t b;
        char *why = NULL;

        if (r + GSPROV_WALK_PREFETCH < w.recs.n)
            prefetch(fs, &w, r + GSPROV_WALK_PREFETCH);
        mac_hex(((walk_rec_t *)w.recs.elts)[r].mac, mac);
        apr_pool_clear(iter);
        rv = read_record(iter, fs, mac, &b, &why);
        if (rv == GSPROV_ENOTFOUND)     /* removed since readdir */
            continue;
        stop = fn(baton, iter, apr_pstrdup(iter, mac), rv ? NULL : &b, rv,
                  why);
    }
    apr_pool_destroy(wp);
    return stop;
}

/* ---- activations ------------------------------------------------------ */

/* activations/<number>.json: GSPROV_ENOTFOUND if there is none,
 * GSPROV_ECORRUPT if it is too large or not a valid activation (by
 * gsprov_activation_valid: what is on disk is input, whoever wrote it),
 * GSPROV_EIO or GSPROV_EOUTSIDE if it cannot be read (permissions, not a
 * regular file, a link out of the store, a disk error): an activation
 * that exists must never be taken for a replaceable one. */
static apr_status_t read_activation(apr_pool_t *p, const file_store_t *fs,
                                    const char *number,
                                    gsprov_activation_t **out, char **err)
{
    const char *rel = apr_pstrcat(p, ACTIVATIONS "/", number, ".json", NULL);
    const char *path = apr_pstrcat(p, fs->root, "/", rel, NULL);
    const json_t *pin, *profile, *claimed, *created, *expires, *failures;
    gsprov_activation_t *a;
    json_t *doc;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, fs->root, rel, GSPROV_MAX_ACTIVATION_BYTES,
                               &buf, &len, err);
    if (rv == APR_ENOENT)
        return GSPROV_ENOTFOUND;
    if (rv == GSPROV_ETOOBIG)
        return GSPROV_ECORRUPT;
    if (rv != APR_SUCCESS)
        return rv;
    /* the module writes every member; a number that is not an integer (or
     * does not fit) is not one it wrote */
    if (gsprov_json_parse(p, buf, len, &doc, err) != APR_SUCCESS
        || !json_is_object(doc)
        || !json_is_string(pin = json_object_get(doc, "pin"))
        || !json_is_object(profile = json_object_get(doc, "profile"))
        || !json_is_integer(created = json_object_get(doc, "created"))
        || !json_is_integer(expires = json_object_get(doc, "expires"))
        || !json_is_integer(failures = json_object_get(doc, "failures"))
        || json_integer_value(failures) < 0
        || json_integer_value(failures) > INT_MAX
        || !(json_is_null(claimed = json_object_get(doc, "claimed_by"))
             || json_is_string(claimed))) {
        *err = apr_psprintf(p, "%s: not a valid activation file", path);
        return GSPROV_ECORRUPT;
    }
    a = apr_pcalloc(p, sizeof(*a));
    a->number = apr_pstrdup(p, number);
    a->pin_hash = apr_pstrdup(p, json_string_value(pin));
    a->created = (apr_int64_t)json_integer_value(created);
    a->expires = (apr_int64_t)json_integer_value(expires);
    a->failures = (int)json_integer_value(failures);
    a->claimed_by = json_is_string(claimed)
                    ? apr_pstrdup(p, json_string_value(claimed)) : NULL;
    a->profile = gsprov_json_dump(p, profile);
    a->label = path;
    if ((rv = gsprov_activation_valid(p, a, err)))
        return rv;
    *out = a;
    return APR_SUCCESS;
}

static apr_status_t fs_activation_get(gsprov_store_t *s, apr_pool_t *p,
                                      const char *number,
                                      gsprov_activation_t **out, char **err)
{
    return read_activation(p, s->impl, number, out, err);
}

/* activations/<number>.json: *k the number; digits only, so temporary
 * files (.<number>.json.tmp.*) never match */
static int number_key(const char *name)
{
    size_t n = strlen(name);

    if (n <= 5 || strcmp(name + n - 5, ".json"))
        return 0;
    n -= 5;
    return n <= GSPROV_MAX_NUMBER_LEN && strspn(name, "0123456789") == n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static apr_status_t fs_activation_list(gsprov_store_t *s, apr_pool_t *p,
                                       const char *after, int limit,
                                       apr_array_header_t **items, int *more,
                                       char **err)
{
    file_store_t *fs = s->impl;
    apr_array_header_t *names, *numbers, *a;
    apr_status_t rv;
    int i;

    rv = gsprov_fsio_list(p, fs->root, ACTIVATIONS, &names, err);
    if (rv == APR_ENOENT)
        names = apr_array_make(p, 1, sizeof(const char *));
    else if (rv != APR_SUCCESS)
        return rv;
    numbers = apr_array_make(p, names->nelts + 1, sizeof(const char *));
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const char *num;
        if (!number_key(name))
            continue;
        num = apr_pstrmemdup(p, name, strlen(name) - 5);
        if (!after || strcmp(num, after) > 0)
            APR_ARRAY_PUSH(numbers, const char *) = num;
    }
    qsort(numbers->elts, (size_t)numbers->nelts, sizeof(const char *),
          cmp_str);
    a = apr_array_make(p, limit, sizeof(gsprov_activation_t));
    *more = 0;
    for (i = 0; i < numbers->nelts; i++) {
        gsprov_activation_t *act;
        char *why = NULL;

        if (a->nelts == limit) {
            *more = 1;
            break;
        }
        /* removed since the listing, or not an activation: left out */
        if (read_activation(p, fs, APR_ARRAY_IDX(numbers, i, const char *),
                            &act, &why) == APR_SUCCESS)
            APR_ARRAY_PUSH(a, gsprov_activation_t) = *act;
    }
    *items = a;
    return APR_SUCCESS;
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
    return gsprov_fsio_write_atomic(p, fs->root, ACTIVATIONS,
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

#define STORE_LOCK "store"

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
    if (!t->store_lock
        && (rv = gsprov_fsio_lock_shared(txn->pool, ((file_store_t *)
                                         txn->store->impl)->root,
                                         STORE_LOCK, &t->store_lock, err)))
        return rv;
    if (t->deferred)        /* the store's exclusive lock covers it */
        l = NULL;
    else if ((rv = gsprov_fsio_lock(txn->pool,
                                    ((file_store_t *)txn->store->impl)->root,
                                    name, &l, err)))
        return rv;
    apr_hash_set(t->locks, name, APR_HASH_KEY_STRING, l ? (void *)l : t);
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

/* ---- deferred writes ---- */

/* Staged files not moved into place (rollback, or a pool cleared before
 * the end) are removed. */
static apr_status_t unstage(void *data)
{
    file_txn_t *t = data;
    int i;

    for (i = t->applied; i < t->staged->nelts; i++) {
        const staged_t *st = &APR_ARRAY_IDX(t->staged, i, staged_t);
        if (st->tmp)
            gsprov_fsio_unstage(t->dir, st->tmp);
    }
    t->applied = t->staged->nelts;
    return APR_SUCCESS;
}

static apr_status_t fs_defer(gsprov_txn_t *txn, char **err)
{
    file_txn_t *t = txn->impl;
    const char *root = ((file_store_t *)txn->store->impl)->root;
    apr_status_t rv;

    if (t->ended)
        return ended(txn, err);
    if (t->deferred)
        return APR_SUCCESS;
    if (t->store_lock) {
        *err = apr_pstrdup(txn->pool, "defer after a lock");
        return APR_EINVAL;
    }
    if ((rv = gsprov_fsio_lock(txn->pool, root, STORE_LOCK, &t->store_lock,
                               err)))
        return rv;
    /* opened before unstage is registered: cleanups run last first, so
     * the staged files go before the directory closes */
    if ((rv = gsprov_fsio_dir_open(txn->pool, root, DEVICES, &t->dir,
                                   err))) {
        gsprov_fsio_unlock(t->store_lock);
        t->store_lock = NULL;
        return rv;
    }
    t->deferred = 1;
    t->staged = apr_array_make(txn->pool, 64, sizeof(staged_t));
    apr_pool_cleanup_register(txn->pool, t, unstage, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* A record's new bytes (data) or its removal (NULL), staged. */
static apr_status_t stage(gsprov_txn_t *txn, const char *name,
                          const char *data, apr_size_t len, char **err)
{
    file_txn_t *t = txn->impl;
    staged_t *st;
    const char *tmp = NULL;
    apr_status_t rv;

    if (data && (rv = gsprov_fsio_stage(txn->pool, t->dir, name, data, len,
                                        &tmp, err)))
        return rv;
    st = &APR_ARRAY_PUSH(t->staged, staged_t);
    st->name = name;
    st->tmp = tmp;
    return APR_SUCCESS;
}

/* Move the staged files into place, in order, then sync the directory
 * once. */
static apr_status_t apply_staged(gsprov_txn_t *txn, char **err)
{
    file_txn_t *t = txn->impl;
    apr_status_t rv;

    while (t->applied < t->staged->nelts) {
        const staged_t *st = &APR_ARRAY_IDX(t->staged, t->applied, staged_t);
        rv = st->tmp ? gsprov_fsio_publish(txn->pool, t->dir, st->tmp,
                                           st->name, err)
                     : gsprov_fsio_dir_remove(txn->pool, t->dir, st->name,
                                              err);
        if (rv) {
            *err = apr_psprintf(txn->pool, "%s (%d of %d changes of the "
                                "transaction had taken effect; the rest did "
                                "not)", *err, t->applied, t->staged->nelts);
            t->applied++;       /* publish removed its own file */
            unstage(t);
            return rv;
        }
        t->applied++;
    }
    return t->staged->nelts ? gsprov_fsio_dir_sync(txn->pool, t->dir, err)
                            : APR_SUCCESS;
}

static apr_status_t fs_record_put(gsprov_txn_t *txn, const char *mac,
                                  const char *data, apr_size_t len,
                                  char **err)
{
    file_store_t *fs = txn->store->impl;
    apr_status_t rv;

    if ((rv = txn_holds(txn, device_lock(txn->pool, mac), err)))
        return rv;
    if (((file_txn_t *)txn->impl)->deferred)
        return stage(txn, apr_pstrcat(txn->pool, mac, ".xml", NULL), data,
                     len, err);
    return gsprov_fsio_write_atomic(txn->pool, fs->root, DEVICES,
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
    rv = gsprov_fsio_remove_durable(txn->pool,
                                    ((file_store_t *)txn->store->impl)->root,
                                    dir, name, err);
    return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
}

static apr_status_t fs_record_delete(gsprov_txn_t *txn, const char *mac,
                                     char **err)
{
    file_txn_t *t = txn->impl;
    apr_status_t rv;

    if (t->deferred) {
        if ((rv = txn_holds(txn, device_lock(txn->pool, mac), err)))
            return rv;
        return stage(txn, apr_pstrcat(txn->pool, mac, ".xml", NULL), NULL, 0,
                     err);
    }
    rv = remove_locked(txn, device_lock(txn->pool, mac), DEVICES,
                       apr_pstrcat(txn->pool, mac, ".xml", NULL), err);
    if (rv == APR_SUCCESS) {
        /* its provisioning status goes with it (best-effort: a record made
         * again for the MAC starts as never seen) */
        gsprov_dir_t *d;
        char *e = NULL;
        if (gsprov_fsio_dir_open(txn->pool, ((file_store_t *)
                                             txn->store->impl)->root,
                                 "status", &d, &e) == APR_SUCCESS)
            gsprov_fsio_dir_remove(txn->pool, d, apr_pstrcat(txn->pool, mac,
                                                             ".json", NULL),
                                   &e);
    }
    return rv;
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
    return remove_locked(txn, activation_lock(txn->pool, number), ACTIVATIONS,
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
        if (apr_hash_this_val(hi) != t)     /* t: under the store lock */
            gsprov_fsio_unlock(apr_hash_this_val(hi));
    apr_hash_clear(t->locks);
    gsprov_fsio_unlock(t->store_lock);
    t->store_lock = NULL;
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
    if (t->deferred && (rv = apply_staged(txn, err))) {
        end(t);
        return rv;
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

    if (!t->ended) {
        if (t->deferred)
            unstage(t);
        end(t);
    }
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

static apr_status_t fs_status_settle(gsprov_store_t *s, apr_pool_t *p,
                                     int (*stop)(void *), void *baton,
                                     int *more, char **err)
{
    return gsprov_status_dir_settle(p, ((file_store_t *)s->impl)->root, stop,
                                    baton, more, err);
}

static apr_status_t fs_status_count(gsprov_store_t *s, apr_pool_t *p,
                                    apr_int64_t since, apr_int64_t *n,
                                    char **err)
{
    return gsprov_status_dir_count(p, ((file_store_t *)s->impl)->root, since,
                                   n, err);
}

/* ---- opening ---------------------------------------------------------- */

/* Writers killed mid-write leave their temporary files; nobody reads
 * them, but nothing else would ever remove them.  At startup, those old
 * enough not to be a live writer's (another node of a farm). */
static void clean_temps(apr_pool_t *p, gsprov_store_t *s)
{
    static const char *const dirs[] = { DEVICES, ACTIVATIONS };
    const char *root = ((file_store_t *)s->impl)->root;
    apr_pool_t *scratch;
    unsigned i;
    int n;

    apr_pool_create(&scratch, p);
    /* a bulk import holds the store lock exclusively while its staged
     * files (named like these) wait for its commit, however long that
     * takes: then leave them to it */
    if (gsprov_fsio_lock_held(scratch, root, STORE_LOCK)) {
        apr_pool_destroy(scratch);
        return;
    }
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if ((n = gsprov_fsio_clean_temps(scratch, root, dirs[i],
                     apr_time_from_sec(GSPROV_STALE_TEMP_SECONDS))) > 0)
            gsprov_log(&s->log, GSPROV_LOG_MARK, GSPROV_LOG_INFO,
                       GSPROV_LOGNO(0203) "%s/%s: removed %d temporary "
                       "file(s) of interrupted writes", root, dirs[i], n);
    apr_pool_destroy(scratch);
}

static const gsprov_store_ops_t file_ops = {
    .name = "file",
    .templates = fs_templates,
    .record_get = fs_record_get,
    .record_version = fs_record_version,
    .record_list = fs_record_list,
    .record_iterate = fs_record_iterate,
    .activation_get = fs_activation_get,
    .activation_list = fs_activation_list,
    .status_put = fs_status_put,
    .status_get = fs_status_get,
    .status_settle = fs_status_settle,
    .status_count = fs_status_count,
    .begin = fs_begin,
    .record_lock = fs_record_lock,
    .defer = fs_defer,
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
    fs->devices = apr_pstrcat(p, fs->root, "/" DEVICES, NULL);
    s->ops = ops;
    s->label = fs->root;
    s->impl = fs;
    /* no index without its locks: listings then fail (APR_ENOMEM) */
    if (apr_thread_mutex_create(&fs->index_lock, APR_THREAD_MUTEX_DEFAULT, p)
        == APR_SUCCESS
        && apr_thread_mutex_create(&fs->index_build,
                                   APR_THREAD_MUTEX_DEFAULT, p)
           != APR_SUCCESS)
        fs->index_lock = NULL;
    apr_pool_cleanup_register(p, fs, index_drop, apr_pool_cleanup_null);
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
    clean_temps(p, s);
    *out = s;
    return APR_SUCCESS;
}
