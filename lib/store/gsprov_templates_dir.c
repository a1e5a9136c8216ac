/*
 * The template loader (see gsprov_templates_dir.h): scan, stamp, load,
 * reload once per interval keeping the last good snapshot.  Folders are
 * listed and files read through gsprov_fsio.c, beneath the root: a
 * template (or a folder of them) that is a link out of the root is
 * refused, and the load with it.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_thread_mutex.h>
#include <apr_atomic.h>
#include "gsprov_templates_dir.h"
#include "gsprov_name.h"
#include "gsprov_crypto.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"
#include "gsprov_redirect.h"
#include "gsprov_fsio.h"

struct gsprov_templates_dir {
    const char *root;
    gsprov_logger_t log;
    int lint;                      /* never reloaded */
    apr_thread_mutex_t *mutex;     /* guards the four fields below */
    gsprov_templates_t *current;
    apr_time_t last_check;
    int checking;
    char failed_stamp[65];         /* stamp of the last rejected change */
};

typedef struct {
    const char *rel;               /* "models/gxp2170.xml" */
    const char *path;              /* full path */
    const char *name;              /* "gxp2170"; NULL for defaults */
    int is_model;
    int is_map;                    /* redirect.map */
    apr_finfo_t fi;
} entry_t;

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->rel, ((const entry_t *)b)->rel);
}

/* List the template files with their stat data, sorted, and derive the
 * change-detection stamp from names, sizes, mtimes and inodes. */
static apr_status_t scan(apr_pool_t *p, const char *root,
                         apr_array_header_t **out, const char **stamp,
                         char **err, const gsprov_report_t *report)
{
    /* NB: *stamp is set whenever the directory could be listed, even when
     * a file name is invalid (GSPROV_EPARSE). */
    static const char *const dirs[] = { "models", "groups" };
    const apr_int32_t want = APR_FINFO_TYPE | APR_FINFO_SIZE
                             | APR_FINFO_MTIME | APR_FINFO_INODE;
    apr_array_header_t *ents = apr_array_make(p, 32, sizeof(entry_t));
    apr_array_header_t *sig = apr_array_make(p, 32, sizeof(const char *));
    apr_status_t rv;
    entry_t *e;
    unsigned i;
    int j, bad = 0;

    for (i = 0; i < 2; i++) {     /* defaults.xml, redirect.map */
        e = apr_array_push(ents);
        memset(e, 0, sizeof(*e));
        e->is_map = i == 1;
        e->rel = i ? GSPROV_REDIRECT_MAP_FILE : "defaults.xml";
        e->path = apr_pstrcat(p, root, "/", e->rel, NULL);
        rv = apr_stat(&e->fi, e->path, want, p);
        if (APR_STATUS_IS_ENOENT(rv))
            apr_array_pop(ents);
        else if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            *err = apr_psprintf(p, "%s: cannot stat: %pm", e->path, &rv);
            return GSPROV_EIO;
        }
    }

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        const char *dpath = apr_pstrcat(p, root, "/", dirs[i], NULL);
        apr_array_header_t *names;
        int k;

        rv = gsprov_fsio_list(p, root, dirs[i], &names, err);
        if (rv == APR_ENOENT)
            continue;
        if (rv != APR_SUCCESS)
            return rv;
        for (k = 0; k < names->nelts; k++) {
            const char *dname = APR_ARRAY_IDX(names, k, const char *);
            size_t n = strlen(dname);
            const char *stem;
            /* hidden files and editor leftovers (x.xml~, .x.swp) */
            if (dname[0] == '.' || n < 5 || strcmp(dname + n - 4, ".xml"))
                continue;
            stem = apr_pstrmemdup(p, dname, n - 4);
            if (i == 0 ? !gsprov_name_model_valid(stem, n - 4)
                       : !gsprov_name_group_valid(stem, n - 4)) {
                /* keep scanning: the stamp must still be computed, so a
                 * bad name is reported once, not at every check; it
                 * covers the bad name too, or adding one to an unchanged
                 * store would go unnoticed until the next restart */
                APR_ARRAY_PUSH(sig, const char *) =
                    apr_pstrcat(p, "!", dirs[i], "/", dname, "\n", NULL);
                if (report || !bad)
                    *err = apr_psprintf(p, "%s/%s: invalid %s file name (%s)",
                                    dpath, dname,
                                    i == 0 ? "model" : "group",
                                    i == 0 ? "lowercase [a-z0-9], 1-32 "
                                             "characters, then .xml"
                                           : "[A-Za-z0-9_-], 1-64 "
                                             "characters, then .xml");
                if (report)
                    report->fn(report->baton, *err);
                bad++;
                continue;
            }
            if (ents->nelts >= GSPROV_MAX_TEMPLATE_FILES) {
                *err = apr_psprintf(p, "%s: more than %d template files",
                                    root, GSPROV_MAX_TEMPLATE_FILES);
                return GSPROV_ETOOBIG;
            }
            e = apr_array_push(ents);
            memset(e, 0, sizeof(*e));
            e->rel = apr_pstrcat(p, dirs[i], "/", dname, NULL);
            e->path = apr_pstrcat(p, dpath, "/", dname, NULL);
            e->name = stem;
            e->is_model = i == 0;
            rv = apr_stat(&e->fi, e->path, want, p);
            if (APR_STATUS_IS_ENOENT(rv)) {     /* removed since readdir */
                apr_array_pop(ents);
                continue;
            }
            if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
                *err = apr_psprintf(p, "%s: cannot stat: %pm", e->path, &rv);
                return GSPROV_EIO;
            }
        }
    }

    qsort(ents->elts, (size_t)ents->nelts, sizeof(entry_t), entry_cmp);
    for (j = 0; j < ents->nelts; j++) {
        e = &APR_ARRAY_IDX(ents, j, entry_t);
        APR_ARRAY_PUSH(sig, const char *) =
            apr_psprintf(p, "%s\t%" APR_OFF_T_FMT "\t%" APR_TIME_T_FMT
                         "\t%lu\n", e->rel, e->fi.size, e->fi.mtime,
                         (unsigned long)e->fi.inode);
    }
    {
        const char *s = apr_array_pstrcat(p, sig, 0);
        *stamp = gsprov_crypto_sha256_hex(p, s, strlen(s));
    }
    *out = ents;
    return bad && !report ? GSPROV_EPARSE : APR_SUCCESS;
}

/* Load a complete snapshot into its own pool; nothing is kept on error. */
/* With report set (lint), every problem is reported and the snapshot
 * holds whatever was valid; without it the first problem fails the load. */
static apr_status_t load(const char *root, apr_pool_t *scratch,
                         gsprov_templates_t **out, char **err,
                         const gsprov_report_t *report)
{
    apr_array_header_t *ents, *sums;
    const char *stamp, *s;
    apr_pool_t *tp;
    gsprov_templates_t *t;
    apr_status_t rv;
    int i;

    if ((rv = scan(scratch, root, &ents, &stamp, err, report)))
        return rv;
    if ((rv = apr_pool_create_unmanaged_ex(&tp, NULL, NULL))) {
        *err = apr_psprintf(scratch, "%s: out of memory", root);
        return rv;
    }
    t = apr_pcalloc(tp, sizeof(*t));
    t->pool = tp;
    t->models = apr_hash_make(tp);
    t->groups = apr_hash_make(tp);
    t->defaults = gsprov_layer_empty(tp, "defaults.xml");
    t->stamp = apr_pstrdup(tp, stamp);
    t->memo = apr_hash_make(tp);
    if (apr_thread_mutex_create(&t->memo_lock, APR_THREAD_MUTEX_DEFAULT, tp)
        != APR_SUCCESS)
        t->memo = NULL;   /* no memo: every request merges its chain */
    sums = apr_array_make(scratch, ents->nelts + 1, sizeof(const char *));

    for (i = 0; i < ents->nelts; i++) {
        entry_t *e = &APR_ARRAY_IDX(ents, i, entry_t);
        gsprov_layer_t *layer;
        char *buf;
        apr_size_t len;

        rv = gsprov_fsio_read_file(scratch, root, e->rel, e->is_map
                                   ? GSPROV_MAX_REDIRECT_MAP_BYTES
                                   : GSPROV_MAX_TEMPLATE_BYTES, &buf, &len,
                                   err);
        if (rv == APR_ENOENT) {     /* removed between scan and read */
            *err = apr_psprintf(scratch, "%s: vanished while loading", e->path);
            rv = GSPROV_EIO;
        }
        if (rv == APR_SUCCESS && e->is_map)
            rv = gsprov_redirect_map_parse(tp, buf, len,
                                           apr_pstrdup(tp, e->path), report,
                                           &t->redirects, err);
        else if (rv == APR_SUCCESS)
            rv = gsprov_xml_parse_layer(tp, buf, len, apr_pstrdup(tp, e->path),
                                    &layer, err);
        if (rv != APR_SUCCESS && report) {
            report->fn(report->baton, *err ? *err : e->path);
            continue;
        }
        if (rv != APR_SUCCESS) {
            if (*err)
                *err = apr_pstrdup(scratch, *err);
            apr_pool_destroy(tp);
            return rv;
        }
        if (e->is_map)
            ;   /* t->redirects is set */
        else if (!e->name)
            t->defaults = layer;
        else
            apr_hash_set(e->is_model ? t->models : t->groups,
                         apr_pstrdup(tp, e->name), APR_HASH_KEY_STRING, layer);
        /* versions are content-based, so every node of a farm agrees */
        APR_ARRAY_PUSH(sums, const char *) =
            apr_pstrcat(scratch, e->rel, ":",
                        gsprov_crypto_sha256_hex(scratch, buf, len), "\n", NULL);
    }
    s = apr_array_pstrcat(scratch, sums, 0);
    t->version = apr_pstrdup(tp, gsprov_crypto_sha256_hex(scratch, s, strlen(s)));
    t->refs = 1;
    *out = t;
    return APR_SUCCESS;
}

static apr_status_t release(void *data)
{
    gsprov_templates_t *t = data;
    if (apr_atomic_dec32(&t->refs) == 0)
        apr_pool_destroy(t->pool);
    return APR_SUCCESS;
}

static apr_status_t release_current(void *data)
{
    gsprov_templates_dir_t *d = data;
    if (d->current) {
        release(d->current);
        d->current = NULL;
    }
    return APR_SUCCESS;
}

/* Runs in at most one thread at a time (d->checking). */
static void check_for_change(gsprov_templates_dir_t *d, apr_pool_t *p)
{
    apr_pool_t *scratch;
    apr_array_header_t *ents;
    const char *stamp = NULL;
    gsprov_templates_t *t, *old;
    char *err = NULL;
    apr_status_t rv;

    if (apr_pool_create(&scratch, p) != APR_SUCCESS)
        return;
    rv = scan(scratch, d->root, &ents, &stamp, &err, NULL);
    /* d->current is only replaced here, so reading it unlocked is safe;
     * a state already rejected once is not loaded (or logged) again */
    if (stamp && (strcmp(stamp, d->current->stamp) == 0
                  || strcmp(stamp, d->failed_stamp) == 0))
        goto leave;
    if (rv == APR_SUCCESS)
        rv = load(d->root, scratch, &t, &err, NULL);
    if (rv != APR_SUCCESS) {
        /* a store that cannot even be listed has no stamp: "-" stands
         * for that state, so it too is logged once */
        if (stamp || strcmp(d->failed_stamp, "-") != 0)
            gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
                       "%stemplates of %s not reloaded, still serving "
                       "version %.12s: %s", rv == GSPROV_EREDIRECT
                       ? GSPROV_LOGNO(0802) : GSPROV_LOGNO(0201), d->root,
                       d->current->version, err ? err : "unknown error");
        apr_cpystrn(d->failed_stamp, stamp ? stamp : "-",
                    sizeof(d->failed_stamp));
        goto leave;
    }
    apr_thread_mutex_lock(d->mutex);
    old = d->current;
    d->current = t;
    d->failed_stamp[0] = '\0';
    apr_thread_mutex_unlock(d->mutex);
    release(old);
    gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_INFO,
               GSPROV_LOGNO(0202) "templates of %s reloaded, version %.12s",
               d->root, t->version);
leave:
    apr_pool_destroy(scratch);
}

const gsprov_templates_t *gsprov_templates_dir_get(gsprov_templates_dir_t *d,
                                                   apr_pool_t *p,
                                                   apr_interval_time_t
                                                   interval)
{
    apr_time_t now = apr_time_now();
    gsprov_templates_t *t;
    int due = 0;

    apr_thread_mutex_lock(d->mutex);
    if (!d->lint && !d->checking && now - d->last_check >= interval) {
        d->checking = due = 1;
        d->last_check = now;
    }
    apr_thread_mutex_unlock(d->mutex);

    if (due) {
        check_for_change(d, p);
        apr_thread_mutex_lock(d->mutex);
        d->checking = 0;
        apr_thread_mutex_unlock(d->mutex);
    }

    apr_thread_mutex_lock(d->mutex);
    t = d->current;
    apr_atomic_inc32(&t->refs);
    apr_thread_mutex_unlock(d->mutex);
    apr_pool_cleanup_register(p, t, release, apr_pool_cleanup_null);
    return t;
}

static apr_status_t dir_make(apr_pool_t *p, const char *root,
                             gsprov_templates_dir_t **out, char **err)
{
    gsprov_templates_dir_t *d = apr_pcalloc(p, sizeof(*d));
    apr_status_t rv;

    d->root = apr_pstrdup(p, root);
    if ((rv = apr_thread_mutex_create(&d->mutex, APR_THREAD_MUTEX_DEFAULT,
                                      p))) {
        *err = apr_psprintf(p, "%s: cannot create mutex: %pm", root, &rv);
        return rv;
    }
    *out = d;
    return APR_SUCCESS;
}

apr_status_t gsprov_templates_dir_open(apr_pool_t *p, const char *root,
                                       const gsprov_logger_t *log,
                                       gsprov_templates_dir_t **out, char **err)
{
    gsprov_templates_dir_t *d;
    apr_pool_t *scratch;
    apr_status_t rv;

    if ((rv = dir_make(p, root, &d, err)))
        return rv;
    if (log)
        d->log = *log;
    apr_pool_create(&scratch, p);
    rv = load(d->root, scratch, &d->current, err, NULL);
    if (rv != APR_SUCCESS) {
        *err = apr_pstrdup(p, *err);
        apr_pool_destroy(scratch);
        return rv;
    }
    apr_pool_destroy(scratch);
    d->last_check = apr_time_now();
    apr_pool_cleanup_register(p, d, release_current, apr_pool_cleanup_null);
    *out = d;
    return APR_SUCCESS;
}

apr_status_t gsprov_templates_dir_open_lint(apr_pool_t *p, const char *root,
                                            const gsprov_report_t *report,
                                            gsprov_templates_dir_t **out)
{
    gsprov_templates_dir_t *d;
    char *err = NULL;
    apr_status_t rv;

    if ((rv = dir_make(p, root, &d, &err)) == APR_SUCCESS) {
        d->lint = 1;
        rv = load(d->root, p, &d->current, &err, report);
    }
    if (rv != APR_SUCCESS) {
        report->fn(report->baton, err ? err : root);
        return rv;
    }
    apr_pool_cleanup_register(p, d, release_current, apr_pool_cleanup_null);
    *out = d;
    return APR_SUCCESS;
}
