/*
 * The template loader (see gsprov_templates_dir.h): scan, stamp, load,
 * reload once per interval keeping the last good snapshot, and share
 * what one process loaded with the other processes of a server
 * (gsprov_tplshare.h), so that no child serves an older set than another
 * one has loaded.  Folders are listed and files read through
 * gsprov_fsio.c, beneath the root: a template (or a folder of them) that
 * is a link out of the root is refused, and the load with it.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_thread_mutex.h>
#include <apr_atomic.h>
#include "gsprov_templates_dir.h"
#include "gsprov_tplshare.h"
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
    apr_thread_mutex_t *mutex;     /* guards current and gen */
    gsprov_templates_t *volatile current;
    /* the set loaded when the configuration was read, in httpd's parent:
     * it lives as long as d, so requests served from it take no reference
     * and write nothing to the pages the children share with the parent
     * (a write would copy them into every child, for every tenant) */
    gsprov_templates_t *seed;
    volatile apr_uint32_t gen;     /* the slot generation current is */
    /* one thread of a process changes current at a time; the others wait
     * for it rather than serve an older set meanwhile */
    apr_thread_mutex_t *swap;
    apr_uint32_t failed_gen;       /* a newer set this process could not
                                    * load: logged once, not retried */
    gsprov_tplshare_slot_t *slot;  /* this process's own until shared */
    const char *snapdir;           /* NULL: not shared */
    const char *tag;               /* names its snapshot files there */
};

typedef struct {
    const char *rel;               /* "models/gxp2170.xml" */
    const char *path;              /* full path */
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

/* Read the files scan found into scratch, as (rel, bytes) pairs.  With
 * report set (lint), a file that cannot be read is reported and left
 * out; without it, it fails the load. */
static apr_status_t read_files(apr_pool_t *scratch, const char *root,
                               const apr_array_header_t *ents,
                               apr_array_header_t **out, char **err,
                               const gsprov_report_t *report)
{
    apr_array_header_t *files = apr_array_make(scratch, ents->nelts + 1,
                                               sizeof(gsprov_tplshare_file_t));
    int i;

    for (i = 0; i < ents->nelts; i++) {
        const entry_t *e = &APR_ARRAY_IDX(ents, i, entry_t);
        gsprov_tplshare_file_t *f;
        char *buf;
        apr_size_t len;
        apr_status_t rv;

        rv = gsprov_fsio_read_file(scratch, root, e->rel, e->is_map
                                   ? GSPROV_MAX_REDIRECT_MAP_BYTES
                                   : GSPROV_MAX_TEMPLATE_BYTES, &buf, &len,
                                   err);
        if (rv == APR_ENOENT) {     /* removed between scan and read */
            *err = apr_psprintf(scratch, "%s: vanished while loading",
                                e->path);
            rv = GSPROV_EIO;
        }
        if (rv != APR_SUCCESS && report) {
            report->fn(report->baton, *err ? *err : e->path);
            continue;
        }
        if (rv != APR_SUCCESS)
            return rv;
        f = apr_array_push(files);
        f->rel = e->rel;
        f->data = buf;
        f->len = len;
    }
    *out = files;
    return APR_SUCCESS;
}

/* What a template file is, by its name under the root (as scan names
 * them): 'd'efaults, redirect 'r'ap, 'm'odel or 'g'roup (*name set); 0
 * for a name scan never gives. */
static int classify(apr_pool_t *p, const char *rel, const char **name)
{
    size_t n = strlen(rel);

    *name = NULL;
    if (!strcmp(rel, "defaults.xml"))
        return 'd';
    if (!strcmp(rel, GSPROV_REDIRECT_MAP_FILE))
        return 'r';
    if (n < 12 || strcmp(rel + n - 4, ".xml"))
        return 0;
    *name = apr_pstrmemdup(p, rel + 7, n - 11);
    if (!strncmp(rel, "models/", 7) && gsprov_name_model_valid(*name, n - 11))
        return 'm';
    if (!strncmp(rel, "groups/", 7) && gsprov_name_group_valid(*name, n - 11))
        return 'g';
    return 0;
}

/* defaults, and defaults < each model, merged once (gsprov_templates.h);
 * a model that mixes versions with defaults is left out: requests for it
 * merge it themselves and fail, naming both files. */
static void merge_chains(gsprov_templates_t *t)
{
    const gsprov_layer_t *two[2];
    apr_hash_index_t *hi;
    gsprov_merged_t *m;
    char *err = NULL;

    two[0] = t->defaults;
    if (gsprov_merge(t->pool, two, 1, &m, &err) == APR_SUCCESS)
        t->base = m;
    for (hi = apr_hash_first(NULL, t->models); hi; hi = apr_hash_next(hi)) {
        two[1] = apr_hash_this_val(hi);
        if (gsprov_merge(t->pool, two, 2, &m, &err) == APR_SUCCESS)
            apr_hash_set(t->chains, apr_hash_this_key(hi), APR_HASH_KEY_STRING,
                         m);
    }
}

/* Parse a set of template files into a snapshot in its own pool; nothing
 * is kept on error.  With report set (lint), every problem is reported
 * and the snapshot holds whatever was valid; without it the first
 * problem fails the build. */
static apr_status_t build(const char *root, apr_pool_t *scratch,
                          const apr_array_header_t *files, const char *stamp,
                          gsprov_templates_t **out, char **err,
                          const gsprov_report_t *report)
{
    apr_array_header_t *sums;
    const char *s;
    apr_pool_t *tp;
    gsprov_templates_t *t;
    apr_status_t rv;
    int i;

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
    t->chains = apr_hash_make(tp);
    sums = apr_array_make(scratch, files->nelts + 1, sizeof(const char *));

    for (i = 0; i < files->nelts; i++) {
        const gsprov_tplshare_file_t *f =
            &APR_ARRAY_IDX(files, i, gsprov_tplshare_file_t);
        const char *path = apr_pstrcat(tp, root, "/", f->rel, NULL), *name;
        int kind = classify(tp, f->rel, &name);
        gsprov_layer_t *layer = NULL;

        if (!kind) {
            *err = apr_psprintf(tp, "%s: not a template file name", path);
            rv = GSPROV_ECORRUPT;
        }
        else if (kind == 'r')
            rv = gsprov_redirect_map_parse(tp, f->data, f->len, path, report,
                                           &t->redirects, err);
        else
            rv = gsprov_xml_parse_layer(tp, f->data, f->len, path, &layer,
                                        err);
        if (rv != APR_SUCCESS && report) {
            report->fn(report->baton, *err ? *err : path);
            continue;
        }
        if (rv != APR_SUCCESS) {
            if (*err)
                *err = apr_pstrdup(scratch, *err);
            apr_pool_destroy(tp);
            return rv;
        }
        if (kind == 'd')
            t->defaults = layer;
        else if (kind != 'r')   /* the map set t->redirects */
            apr_hash_set(kind == 'm' ? t->models : t->groups, name,
                         APR_HASH_KEY_STRING, layer);
        /* versions are content-based, so every node of a farm agrees */
        APR_ARRAY_PUSH(sums, const char *) =
            apr_pstrcat(scratch, f->rel, ":",
                        gsprov_crypto_sha256_hex(scratch, f->data, f->len),
                        "\n", NULL);
    }
    s = apr_array_pstrcat(scratch, sums, 0);
    t->version = apr_pstrdup(tp, gsprov_crypto_sha256_hex(scratch, s,
                                                          strlen(s)));
    merge_chains(t);
    t->refs = 1;
    *out = t;
    return APR_SUCCESS;
}

/* The files as they are now, into a snapshot (scan, read, build); the
 * bytes stay in scratch (*files, if asked for). */
static apr_status_t load(const char *root, apr_pool_t *scratch,
                         gsprov_templates_t **out,
                         apr_array_header_t **files_out, char **err,
                         const gsprov_report_t *report)
{
    apr_array_header_t *ents, *files;
    const char *stamp;
    apr_status_t rv;

    if ((rv = scan(scratch, root, &ents, &stamp, err, report))
        || (rv = read_files(scratch, root, ents, &files, err, report))
        || (rv = build(root, scratch, files, stamp, out, err, report)))
        return rv;
    if (files_out)
        *files_out = files;
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
    if (d->seed) {
        release(d->seed);
        d->seed = NULL;
    }
    return APR_SUCCESS;
}

/* The first snapshot: current, and the seed (a reference each). */
static void seed(gsprov_templates_dir_t *d, gsprov_templates_t *t)
{
    t->refs = 2;
    d->current = d->seed = t;
}

/* Serve t, the slot's generation gen, from now on (under d->swap). */
static void swap_in(gsprov_templates_dir_t *d, gsprov_templates_t *t,
                    apr_uint32_t gen)
{
    gsprov_templates_t *old;

    apr_thread_mutex_lock(d->mutex);
    old = d->current;
    d->current = t;
    apr_atomic_set32(&d->gen, gen);
    apr_thread_mutex_unlock(d->mutex);
    release(old);
}

/* Another process loaded a newer set: take the bytes it validated (its
 * snapshot file), not the files as they are now, which may have been
 * broken since.  Runs under d->swap. */
static void adopt(gsprov_templates_dir_t *d, apr_pool_t *p)
{
    gsprov_tplshare_state_t st;
    int tries;

    for (tries = 0; tries < 3; tries++) {
        apr_array_header_t *files;
        gsprov_templates_t *t = NULL;
        const char *stamp;
        apr_pool_t *scratch;
        char *err = NULL;
        apr_status_t rv = APR_ENOENT;

        if (!gsprov_tplshare_read(d->slot, &st) || st.gen <= d->gen
            || st.gen == d->failed_gen
            || apr_pool_create(&scratch, p) != APR_SUCCESS)
            return;
        if (d->snapdir
            && (rv = gsprov_tplshare_load(scratch, d->snapdir, d->tag,
                                          st.version, &stamp, &files,
                                          &err)) == APR_SUCCESS
            && (rv = build(d->root, scratch, files, stamp, &t, &err, NULL))
               == APR_SUCCESS
            && strcmp(t->version, st.version)) {
            err = apr_psprintf(scratch, "its snapshot holds version %.12s",
                               t->version);
            rv = GSPROV_ECORRUPT;
        }
        if (rv == APR_SUCCESS) {
            swap_in(d, t, st.gen);
            gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_DEBUG,
                       GSPROV_LOGNO(0206) "templates of %s: version %.12s, "
                       "loaded by another process", d->root, st.version);
            apr_pool_destroy(scratch);
            return;
        }
        if (t)
            release(t);
        t = NULL;
        if (APR_STATUS_IS_ENOENT(rv) && d->snapdir
            && gsprov_tplshare_gen(d->slot) != st.gen) {
            apr_pool_destroy(scratch);  /* replaced by a newer one */
            continue;
        }
        /* no snapshot: the files, if they still are that version */
        {
            char *ferr = NULL;
            if (load(d->root, scratch, &t, NULL, &ferr, NULL) == APR_SUCCESS
                && !strcmp(t->version, st.version)) {
                swap_in(d, t, st.gen);
                apr_pool_destroy(scratch);
                return;
            }
        }
        if (t)
            release(t);
        gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
                   GSPROV_LOGNO(0204) "templates of %s: cannot load version "
                   "%.12s, which another process loaded (%s), and the files "
                   "are not that version now; still serving version %.12s",
                   d->root, st.version, err ? err : "no snapshot",
                   d->current->version);
        d->failed_gen = st.gen;
        apr_pool_destroy(scratch);
        return;
    }
}

/* Look at the files: a valid change becomes the newest set of every
 * process (snapshot file first, then the slot); a broken one is logged,
 * once per server.  Runs in the holder of the slot's lease only. */
static void check(gsprov_templates_dir_t *d, apr_pool_t *p)
{
    gsprov_tplshare_state_t st;
    char prev[GSPROV_TPLSHARE_HEX];
    apr_array_header_t *ents, *files = NULL;
    const char *stamp = NULL;
    gsprov_templates_t *t = NULL;
    apr_pool_t *scratch;
    char *err = NULL;
    apr_status_t rv;

    if (!gsprov_tplshare_read(d->slot, &st)
        || apr_pool_create(&scratch, p) != APR_SUCCESS)
        return;
    rv = scan(scratch, d->root, &ents, &stamp, &err, NULL);
    /* a state already loaded or rejected, by any process, is not loaded
     * (or logged) again */
    if (stamp && (strcmp(stamp, st.stamp) == 0
                  || strcmp(stamp, st.failed) == 0))
        goto leave;
    if (rv == APR_SUCCESS
        && (rv = read_files(scratch, d->root, ents, &files, &err, NULL)) == APR_SUCCESS)
        rv = build(d->root, scratch, files, stamp, &t, &err, NULL);
    if (rv != APR_SUCCESS) {
        /* a store that cannot even be listed has no stamp: "-" stands
         * for that state, so it too is logged once */
        if (stamp || strcmp(st.failed, "-") != 0)
            gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
                       "%stemplates of %s not reloaded, still serving "
                       "version %.12s: %s", rv == GSPROV_EREDIRECT
                       ? GSPROV_LOGNO(0802) : GSPROV_LOGNO(0201), d->root,
                       st.version, err ? err : "unknown error");
        apr_cpystrn(st.failed, stamp ? stamp : "-", sizeof(st.failed));
        gsprov_tplshare_write(d->slot, &st);
        goto leave;
    }
    apr_cpystrn(st.stamp, stamp, sizeof(st.stamp));
    st.failed[0] = '\0';
    if (strcmp(t->version, st.version) == 0) {
        /* the same bytes (touched, or a broken edit undone) */
        release(t);
        gsprov_tplshare_write(d->slot, &st);
        goto leave;
    }
    /* the bytes first, so that whoever sees the new generation finds
     * them; without them the others fall back to the files */
    if (d->snapdir && (rv = gsprov_tplshare_save(scratch, d->snapdir, d->tag,
                                                t->version, stamp, files,
                                                &err)))
        gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
                   GSPROV_LOGNO(0205) "templates of %s: version %.12s not "
                   "shared with the other processes, which load the files "
                   "themselves: %s", d->root, t->version,
                   err ? err : "unknown error");
    apr_cpystrn(prev, st.version, sizeof(prev));
    apr_thread_mutex_lock(d->swap);
    st.gen++;
    apr_cpystrn(st.version, t->version, sizeof(st.version));
    gsprov_tplshare_write(d->slot, &st);
    swap_in(d, t, st.gen);
    apr_thread_mutex_unlock(d->swap);
    if (d->snapdir)
        gsprov_tplshare_remove(scratch, d->snapdir, d->tag, prev);
    gsprov_log(&d->log, GSPROV_LOG_MARK, GSPROV_LOG_INFO,
               GSPROV_LOGNO(0202) "templates of %s reloaded, version %.12s",
               d->root, st.version);
leave:
    apr_pool_destroy(scratch);
}

const gsprov_templates_t *gsprov_templates_dir_get(gsprov_templates_dir_t *d,
                                                   apr_pool_t *p,
                                                   apr_interval_time_t
                                                   interval)
{
    gsprov_templates_t *t;

    if (!d->lint) {
        /* first what another process has loaded, then the files */
        if (gsprov_tplshare_gen(d->slot) > apr_atomic_read32(&d->gen)) {
            apr_thread_mutex_lock(d->swap);
            adopt(d, p);
            apr_thread_mutex_unlock(d->swap);
        }
        if (gsprov_tplshare_claim(d->slot, apr_time_now(), interval)) {
            check(d, p);
            gsprov_tplshare_release(d->slot);
        }
    }
    /* a stale read is the seed, or a set whose reference is taken under
     * the mutex: either way alive */
    if ((t = d->current) == d->seed)
        return t;
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
                                      p))
        || (rv = apr_thread_mutex_create(&d->swap, APR_THREAD_MUTEX_DEFAULT,
                                         p))) {
        *err = apr_psprintf(p, "%s: cannot create mutex: %pm", root, &rv);
        return rv;
    }
    *out = d;
    return APR_SUCCESS;
}

/* The dirs opened with pool p, for gsprov_templates_dir_list(). */
#define DIRS_KEY "gsprov_templates_dir_list"

apr_status_t gsprov_templates_dir_open(apr_pool_t *p, const char *root,
                                       const gsprov_logger_t *log,
                                       gsprov_templates_dir_t **out, char **err)
{
    gsprov_templates_dir_t *d;
    gsprov_templates_t *t;
    apr_array_header_t *all = NULL;
    apr_pool_t *scratch;
    apr_status_t rv;

    if ((rv = dir_make(p, root, &d, err)))
        return rv;
    if (log)
        d->log = *log;
    apr_pool_create(&scratch, p);
    rv = load(d->root, scratch, &t, NULL, err, NULL);
    if (rv != APR_SUCCESS) {
        *err = apr_pstrdup(p, *err);
        apr_pool_destroy(scratch);
        return rv;
    }
    apr_pool_destroy(scratch);
    seed(d, t);
    apr_pool_cleanup_register(p, d, release_current, apr_pool_cleanup_null);
    /* a slot of its own, seeded with what was loaded, until shared */
    d->slot = apr_pcalloc(p, sizeof(*d->slot));
    d->gen = d->slot->st.gen = 1;
    apr_cpystrn(d->slot->st.version, d->current->version,
                sizeof(d->slot->st.version));
    apr_cpystrn(d->slot->st.stamp, d->current->stamp,
                sizeof(d->slot->st.stamp));
    d->slot->last_check = (apr_uint64_t)apr_time_now();
    apr_pool_userdata_get((void **)&all, DIRS_KEY, p);
    if (!all) {
        all = apr_array_make(p, 8, sizeof(gsprov_templates_dir_t *));
        apr_pool_userdata_setn(all, DIRS_KEY, NULL, p);
    }
    APR_ARRAY_PUSH(all, gsprov_templates_dir_t *) = d;
    *out = d;
    return APR_SUCCESS;
}

const apr_array_header_t *gsprov_templates_dir_list(apr_pool_t *p)
{
    void *all = NULL;

    apr_pool_userdata_get(&all, DIRS_KEY, p);
    return all;
}

void gsprov_templates_dir_share(gsprov_templates_dir_t *d,
                                gsprov_tplshare_slot_t *slot,
                                const char *snapdir, const char *tag)
{
    memcpy(slot, d->slot, sizeof(*slot));
    d->slot = slot;
    d->snapdir = snapdir;
    d->tag = tag;
}

apr_status_t gsprov_templates_dir_open_lint(apr_pool_t *p, const char *root,
                                            const gsprov_report_t *report,
                                            gsprov_templates_dir_t **out)
{
    gsprov_templates_dir_t *d;
    gsprov_templates_t *t = NULL;
    char *err = NULL;
    apr_status_t rv;

    if ((rv = dir_make(p, root, &d, &err)) == APR_SUCCESS) {
        d->lint = 1;
        rv = load(d->root, p, &t, NULL, &err, report);
    }
    if (rv != APR_SUCCESS) {
        report->fn(report->baton, err ? err : root);
        return rv;
    }
    seed(d, t);
    apr_pool_cleanup_register(p, d, release_current, apr_pool_cleanup_null);
    *out = d;
    return APR_SUCCESS;
}
