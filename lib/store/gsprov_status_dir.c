/*
 * The provisioning status of a directory store (see gsprov_status_dir.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include "gsprov_status_dir.h"
#include "gsprov_seen.h"
#include "gsprov_fsio.h"
#include "gsprov_json.h"
#include "gsprov_mac.h"
#include "gsprov_error.h"

/* a status file is small: the device's fields and six kinds */
#define MAX_STATUS_BYTES (16 * 1024)

/* The log (see gsprov_status_dir.h): flushers append to the open file,
 * the settler seals it (renames it to log-<time>-<pid>.jsonl) and reads
 * what is sealed. */
#define STATUS_LOG_DIR   "status/log"
#define STATUS_LOG_OPEN  "open.jsonl"
#define STATUS_LOG_LOCK  "status-log"
#define STATUS_SETTLE_LOCK "status-settle"
/* observations the settler holds in memory at once */
#define SETTLE_CHUNK     10000
/* a line longer than this is not one of ours: skipped */
#define MAX_LOG_LINE     8192

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

    rv = gsprov_fsio_read_file(p, root, apr_pstrcat(p, "status/", mac,
                                                    ".json", NULL),
                               MAX_STATUS_BYTES, &buf, &len, err);
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

/* Merge one device's observations into its file (the settler alone
 * writes status files: it holds the lock "status-settle"). */
static apr_status_t put_device(apr_pool_t *p, const char *root,
                               gsprov_dir_t *dir, const gsprov_seen_dev_t *d,
                               char **err)
{
    json_t *doc = NULL, *fetch;
    apr_finfo_t fi;
    apr_status_t rv;
    gsprov_rw_t *h;
    const char *out;
    char *buf, *e = NULL;
    apr_size_t len;
    int i;

    /* only devices the store has a record of: a scan of made-up MACs
     * leaves nothing behind, nor does a deleted record */
    if (apr_stat(&fi, apr_pstrcat(p, root, "/devices/", d->mac, ".xml",
                                  NULL), APR_FINFO_TYPE, p) != APR_SUCCESS)
        return APR_SUCCESS;
    if ((rv = gsprov_fsio_dir_rw_open(p, dir, apr_pstrcat(p, d->mac, ".json",
                                                          NULL),
                                      MAX_STATUS_BYTES, &h, &buf, &len, err)))
        return rv;
    if (!len || gsprov_json_parse(p, buf, len, &doc, &e)
        || !json_is_object(doc)) {
        /* new, or unreadable: status is best-effort, start anew */
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

        if (gsprov_seen_kind_index(s->kind) < 0)
            continue;           /* not from this version's log */
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
    out = gsprov_json_dump(p, doc);
    /* the mtime says when it was last seen (status_count) */
    if ((rv = gsprov_fsio_rw_commit(p, h, out, strlen(out),
                                    apr_time_from_sec(int_of(doc, "at")),
                                    &e)))
        *err = apr_psprintf(p, "%s/status/%s.json: %s", root, d->mac, e);
    return rv;
}

/* ---- the log: what flushers append, what the settler reads ------------ */

/* s as a JSON string: quotes, backslashes and control characters escaped,
 * bytes above 0x7f as \u00XX (a line is always valid JSON, whatever a
 * User-Agent held) */
static const char *json_str(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *c;
    char *out, *o;

    s = s ? s : "";
    for (c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c >= 0x7f || *c == '"' || *c == '\\')
            break;
    if (!*c)
        return apr_pstrcat(p, "\"", s, "\"", NULL);
    o = out = apr_palloc(p, strlen(s) * 6 + 3);
    *o++ = '"';
    for (c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\')
            *o++ = (char)*c;
        else if (*c == '"' || *c == '\\') {
            *o++ = '\\';
            *o++ = (char)*c;
        }
        else {
            memcpy(o, "\\u00", 4);
            o[4] = hex[*c >> 4];
            o[5] = hex[*c & 15];
            o += 6;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static const char *log_line(apr_pool_t *p, const gsprov_seen_t *s)
{
    return apr_psprintf(p, "{\"mac\":%s,\"kind\":%s,\"at\":%" APR_INT64_T_FMT
                        ",\"client\":%s,\"ua_model\":%s,\"ua_hardware\":%s,"
                        "\"ua_firmware\":%s,\"file\":%s,\"version\":%s,"
                        "\"result\":%d}\n", json_str(p, s->mac),
                        json_str(p, s->kind), s->at, json_str(p, s->client),
                        json_str(p, s->ua_model), json_str(p, s->ua_hardware),
                        json_str(p, s->ua_firmware), json_str(p, s->file),
                        json_str(p, s->version), s->result);
}

apr_status_t gsprov_status_dir_put(apr_pool_t *p, const char *root,
                                   const apr_array_header_t *batch,
                                   char **err)
{
    apr_array_header_t *lines;
    gsprov_dir_t *dir;
    gsprov_lock_t *lock;
    const char *data;
    apr_status_t rv;
    int i;

    if (!batch->nelts)
        return APR_SUCCESS;
    lines = apr_array_make(p, batch->nelts + 1, sizeof(const char *));
    /* a newline first: a batch never continues a line a killed writer
     * left unfinished */
    APR_ARRAY_PUSH(lines, const char *) = "\n";
    for (i = 0; i < batch->nelts; i++)
        APR_ARRAY_PUSH(lines, const char *)
            = log_line(p, &APR_ARRAY_IDX(batch, i, gsprov_seen_t));
    data = apr_array_pstrcat(p, lines, 0);
    if ((rv = gsprov_fsio_dir_open(p, root, STATUS_LOG_DIR, &dir, err)))
        return rv;
    /* one write under the log's lock: the settler's seal (a rename) never
     * cuts a batch in two */
    if ((rv = gsprov_fsio_lock(p, root, STATUS_LOG_LOCK, &lock, err)))
        return rv;
    rv = gsprov_fsio_dir_append(p, dir, STATUS_LOG_OPEN, data, strlen(data),
                                err);
    gsprov_fsio_unlock(lock);
    return rv;
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
    /* the settler writes a status file in place: a read that met it
     * half-written is torn, and right the next time */
    for (i = 0; (rv = read_status(p, root, mac, &doc, err)) == GSPROV_ECORRUPT
                && i < 3; i++)
        ;
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

/* ---- settling: the log into the devices' files ------------------------- */

/* One line of the log as an observation in p: 0 if it is not one (a
 * line a killed writer cut short). */
static int seen_of_line(apr_pool_t *p, const char *line, apr_size_t len,
                        gsprov_seen_t *s)
{
    char mac[GSPROV_MAC_LEN + 1];
    const char *m;
    json_t *o = json_loadb(line, len, 0, NULL);
    int ok = 0;

    /* (freed at once, not with p: a chunk's 20,000 parsed lines would
     * stay in the child's malloc arenas) */
    if (json_is_object(o)) {
        m = str_of(p, o, "mac");
        if (gsprov_mac_parse(m, strlen(m), mac) && !strcmp(m, mac)) {
            seen_from(p, o, m, NULL, s);
            ok = gsprov_seen_kind_index(s->kind) >= 0;
        }
    }
    json_decref(o);
    return ok;
}

/* The next line of f (without its newline) in buf: 1, or 0 at the end.
 * A line longer than buf is skipped whole; *bad counts those. */
static int next_line(apr_file_t *f, char *buf, apr_size_t size,
                     apr_size_t *len, int *bad)
{
    for (;;) {
        apr_size_t n;
        if (apr_file_gets(buf, (int)size, f) != APR_SUCCESS)
            return 0;
        n = strlen(buf);
        if (n && buf[n - 1] == '\n') {
            buf[--n] = '\0';
            *len = n;
            return 1;
        }
        if (n + 1 < size) {
            /* the last line, without its newline: a writer killed
             * mid-append (expected, not counted) */
            *len = n;
            return 2;
        }
        /* too long: drop it up to its end */
        (*bad)++;
        while (apr_file_gets(buf, (int)size, f) == APR_SUCCESS) {
            n = strlen(buf);
            if (n && buf[n - 1] == '\n')
                break;
        }
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Apply what one sealed file holds, SETTLE_CHUNK observations at a time
 * (one read-modify-write per device per chunk, whichever child logged
 * it; a chunk holds about 2 MB).  APR_EINTR if stop() said so (the file stays: applying it again
 * is harmless, a newer observation always wins). */
static apr_status_t settle_file(apr_pool_t *p, const char *root,
                                gsprov_dir_t *log, gsprov_dir_t *sdir,
                                const char *name, int (*stop)(void *),
                                void *baton, char **err)
{
    apr_pool_t *cp, *dp;
    apr_file_t *f;
    char *line = apr_palloc(p, MAX_LOG_LINE);
    apr_status_t rv, first = APR_SUCCESS;
    int eof = 0, bad = 0, i;

    if ((rv = gsprov_fsio_dir_read_open(p, log, name, &f, err)))
        return rv == APR_ENOENT ? APR_SUCCESS : rv;
    apr_pool_create(&cp, p);
    apr_pool_create(&dp, p);
    while (!eof) {
        apr_array_header_t *batch, *devs;
        apr_size_t len;

        apr_pool_clear(cp);
        batch = apr_array_make(cp, 1024, sizeof(gsprov_seen_t));
        while (batch->nelts < SETTLE_CHUNK) {
            int got = next_line(f, line, MAX_LOG_LINE, &len, &bad);
            if (!got) {
                eof = 1;
                break;
            }
            if (!len)
                continue;       /* each batch starts on a line of its own */
            if (!seen_of_line(cp, line, len, apr_array_push(batch))) {
                batch->nelts--;
                bad += got == 1;
            }
        }
        devs = gsprov_seen_by_device(cp, batch);
        for (i = 0; i < devs->nelts; i++) {
            char *e = NULL;
            if (stop && stop(baton)) {
                apr_pool_destroy(cp);
                apr_pool_destroy(dp);
                return APR_EINTR;
            }
            apr_pool_clear(dp);
            /* one device that cannot be written does not stop the others */
            if ((rv = put_device(dp, root, sdir, &APR_ARRAY_IDX(devs, i,
                                                          gsprov_seen_dev_t),
                                 &e)) && first == APR_SUCCESS) {
                first = rv;
                *err = apr_pstrdup(p, e ? e : "unknown error");
            }
        }
    }
    apr_pool_destroy(cp);
    apr_pool_destroy(dp);
    {
        char *e = NULL;         /* (a file that stays is read again) */
        gsprov_fsio_dir_remove(p, log, name, &e);
    }
    if (bad && first == APR_SUCCESS) {
        /* (a writer killed mid-append cuts its last line: expected) */
        *err = apr_psprintf(p, "%s/" STATUS_LOG_DIR "/%s: %d line(s) not "
                            "read (cut short or not a status line)", root,
                            name, bad);
        first = GSPROV_ECORRUPT;
    }
    return first;
}

apr_status_t gsprov_status_dir_settle(apr_pool_t *p, const char *root,
                                      int (*stop)(void *), void *baton,
                                      int *more, char **err)
{
    apr_array_header_t *names, *sealed;
    gsprov_lock_t *settle, *lock;
    gsprov_dir_t *log, *sdir;
    apr_status_t rv, first = APR_SUCCESS;
    int i;

    *more = 0;
    /* nothing logged, nothing to do: no lock file is made (a store whose
     * status is off, or that httpd may only read) */
    rv = gsprov_fsio_list(p, root, STATUS_LOG_DIR, &names, err);
    if (rv == APR_ENOENT || (rv == APR_SUCCESS && !names->nelts))
        return APR_SUCCESS;
    if (rv != APR_SUCCESS)
        return rv;
    rv = gsprov_fsio_trylock(p, root, STATUS_SETTLE_LOCK, &settle, err);
    if (rv == APR_EBUSY) {
        *more = 1;              /* another child is at it: later */
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS)
        return rv;
    if ((rv = gsprov_fsio_dir_open(p, root, STATUS_LOG_DIR, &log, err))
        || (rv = gsprov_fsio_dir_open(p, root, "status", &sdir, err)))
        goto done;

    /* seal what the flushers wrote so far; they start a new open file */
    if ((rv = gsprov_fsio_lock(p, root, STATUS_LOG_LOCK, &lock, err)))
        goto done;
    rv = gsprov_fsio_dir_rename(p, log, STATUS_LOG_OPEN,
                                apr_psprintf(p, "log-%020" APR_TIME_T_FMT
                                             "-%" APR_PID_T_FMT ".jsonl",
                                             apr_time_now(), getpid()),
                                err);
    gsprov_fsio_unlock(lock);
    if (rv != APR_SUCCESS && rv != APR_ENOENT)
        goto done;

    /* everything sealed, oldest first (also what a settler killed midway
     * left) */
    if ((rv = gsprov_fsio_list(p, root, STATUS_LOG_DIR, &names, err)))
        goto done;
    sealed = apr_array_make(p, names->nelts ? names->nelts : 1,
                            sizeof(const char *));
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        size_t l = strlen(n);
        if (!strncmp(n, "log-", 4) && l > 10 && !strcmp(n + l - 6, ".jsonl"))
            APR_ARRAY_PUSH(sealed, const char *) = n;
    }
    qsort(sealed->elts, (size_t)sealed->nelts, sizeof(const char *),
          by_name);
    rv = APR_SUCCESS;
    for (i = 0; i < sealed->nelts; i++) {
        char *e = NULL;
        apr_status_t frv = settle_file(p, root, log, sdir,
                                       APR_ARRAY_IDX(sealed, i, const char *),
                                       stop, baton, &e);
        if (frv == APR_EINTR) {
            *more = 1;
            break;
        }
        if (frv != APR_SUCCESS && first == APR_SUCCESS) {
            first = frv;
            *err = e ? e : apr_pstrdup(p, "unknown error");
        }
    }
    rv = first;
done:
    gsprov_fsio_unlock(settle);
    return rv;
}
