/*
 * The store: everything the module, the admin API and the CLI read or
 * write of a tenant's data goes through this interface (the model is
 * mod_md's md_store_t: load, save, remove, iterate and lock in one
 * vtable), so a second backend is one more file, not a rewrite.
 *
 * What a store holds:
 *   templates     defaults, models, groups and the redirect map: loaded
 *                 and validated as a whole into an immutable, reference-
 *                 counted snapshot (gsprov_templates.h); read-only here
 *   records       device records by MAC (the XML record format, also for
 *                 redirect records), each with a content version
 *   activations   pending PIN activations by number (lib/admin)
 *   audit trail   one entry per change, written with the change
 *   status        what each device last fetched (GsProvDeviceStatus):
 *                 best-effort, written in batches by the status flusher,
 *                 outside transactions
 *
 * Reads are plain calls.  Changes go through a transaction:
 *   gsprov_store_begin(store, p, log, &txn)
 *   gsprov_store_record_lock(txn, mac, &cur)   the current record, locked
 *                                              until the transaction ends
 *   gsprov_store_record_put/_delete(txn, ...)  only what txn has locked
 *   gsprov_store_audit(txn, entry)             the change's audit entry
 *   gsprov_store_commit(txn) | gsprov_store_rollback(txn)
 * Locks are taken in the order the caller asks for them; callers that
 * lock both take an activation before a record (the claim does).  A
 * transaction abandoned with its pool is rolled back.
 *
 * What "takes effect" means differs per backend, and the callers are
 * written to be safe with either:
 *   directory store  (gsprov_store_file.c) each write is atomic and
 *                    durable when it returns (temp file, fsync, rename,
 *                    directory fsync), or, in a deferred transaction,
 *                    all of them at commit; locks are flock(2)ed lock
 *                    files;
 *                    commit appends the audit lines (one write() each,
 *                    O_APPEND) and drops the locks; rollback only drops
 *                    the locks
 *   database store   (gsprov_store_dbd.c) one SQL transaction: writes
 *                    and audit rows commit together or not at all; a
 *                    database that cannot answer is GSPROV_EUNAVAIL
 */
#ifndef GSPROV_STORE_H
#define GSPROV_STORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "gsprov_templates.h"
#include "gsprov_device.h"
#include "gsprov_audit.h"
#include "gsprov_log.h"
#include "gsprov_error.h"
#include "gsprov_kinds.h"

typedef struct gsprov_store gsprov_store_t;
typedef struct gsprov_txn gsprov_txn_t;

/* Bytes as a store holds them, with their content version. */
typedef struct {
    const char *data;           /* NUL-terminated (not counted in len) */
    apr_size_t len;
    const char *version;        /* hex SHA-256 of the bytes: the same on
                                 * every node and in every backend */
    const char *label;          /* names it in messages, e.g. the file
                                 * "<root>/devices/<mac>.xml" */
} gsprov_blob_t;

/* A pending PIN activation (lib/admin/gsprov_activation.h has the rules). */
typedef struct {
    const char *number;         /* digits */
    const char *pin_hash;       /* "pbkdf2-sha256$<iter>$<salt>$<hash>" */
    apr_int64_t created;        /* seconds since the epoch */
    apr_int64_t expires;
    int failures;               /* wrong PINs so far */
    const char *claimed_by;     /* the MAC once a claim has begun, or NULL */
    const char *profile;        /* a record as JSON (PUT /devices), no mac */
    const char *label;          /* names it in messages */
} gsprov_activation_t;

/* One observed device request (the provisioning status).  Strings are
 * never NULL ('' when unknown). */
typedef struct {
    const char *mac;            /* lowercase hex, 12 digits */
    const char *kind;           /* GSPROV_SEEN_* (gsprov_kinds.h) */
    const char *client;         /* client address */
    const char *ua_model;       /* from the User-Agent */
    const char *ua_hardware;
    const char *ua_firmware;
    const char *file;           /* the requested file name */
    const char *version;        /* the record version in the file served
                                 * (kinds xml and bin with result 200), else
                                 * '' */
    apr_int64_t at;             /* seconds since the epoch */
    int result;                 /* the HTTP status answered */
} gsprov_seen_t;

/* The status of one device. */
typedef struct {
    gsprov_seen_t last;         /* its latest request of any kind */
    const char *served_version; /* the record version of the last config
                                 * file (xml, bin) served with 200; '' if
                                 * none yet */
    apr_array_header_t *fetch;  /* gsprov_seen_t: the latest per kind, in
                                 * GSPROV_SEEN_KINDS order */
} gsprov_devstatus_t;

/* var.<name>=<value> of a listing: records whose <var name> is value. */
typedef struct {
    const char *name;
    const char *value;
} gsprov_list_var_t;

/* One page of records in MAC order (keyset paging), filtered: a record is
 * listed when it passes every filter given (lib/admin/gsprov_list.c reads
 * them from a query string). */
typedef struct {
    const char *after;          /* only MACs after this one; NULL: from the
                                 * start */
    int limit;                  /* at most this many items (>= 1) */
    const char *group;          /* only devices in this group; NULL: all */
    const char *model;          /* only records of this model; NULL: all */
    const apr_array_header_t *vars; /* of gsprov_list_var_t, all must hold;
                                     * NULL or empty: none */
    /* on the provisioning status (a device never seen passes none of
     * these but never_seen = 1) */
    apr_int64_t seen_after;     /* last request at or after (seconds since
                                 * the epoch); 0: any */
    apr_int64_t seen_before;    /* last request before; 0: any */
    const char *firmware;       /* the User-Agent's firmware; NULL: any */
    int in_sync;                /* 1: served the record's current version,
                                 * -1: seen but not served it, 0: any */
    int never_seen;             /* 1: only devices never seen, -1: only
                                 * devices seen, 0: any */
    int want_status;            /* fill gsprov_listed_t.status */
} gsprov_list_query_t;

typedef struct {
    const char *mac;
    gsprov_device_t *dev;       /* parsed; NULL if it vanished or cannot be
                                 * read (err says why) */
    const char *version;        /* the record's content version */
    const gsprov_devstatus_t *status;   /* with q->want_status: NULL if
                                         * never seen; fetch is NULL */
    const char *err;            /* goes to API clients: a parse error
                                 * names the record "record", not its
                                 * path */
} gsprov_listed_t;

/* Called by record_iterate for every entry of the store, in no particular
 * order.  rv is APR_SUCCESS with rec set, GSPROV_EBADNAME for an entry
 * that is not a record (a stray file: err names it, mac is NULL), or a
 * read error (err says why, naming the record first).  Records removed
 * during the walk are skipped.  The pool is cleared after each call.
 * Non-zero stops the iteration. */
typedef int gsprov_record_fn(void *baton, apr_pool_t *p, const char *mac,
                             const gsprov_blob_t *rec, apr_status_t rv,
                             const char *err);

typedef struct {
    const char *name;           /* "file", "dbd", ... */

    /* ---- reads ---- */
    /* Current templates, checked for changes at most every interval; the
     * snapshot stays valid until pool p is cleared. */
    const gsprov_templates_t *(*templates)(gsprov_store_t *s, apr_pool_t *p,
                                           apr_interval_time_t interval);
    /* One record: GSPROV_ENOTFOUND if there is none. */
    apr_status_t (*record_get)(gsprov_store_t *s, apr_pool_t *p,
                               const char *mac, gsprov_blob_t *out,
                               char **err);
    /* Its version only (for cache keys): GSPROV_ENOTFOUND if none. */
    apr_status_t (*record_version)(gsprov_store_t *s, apr_pool_t *p,
                                   const char *mac, const char **version,
                                   char **err);
    /* A page of records that pass q's filters (array of
     * gsprov_listed_t); *more is set when records may follow the last one
     * (the directory store: any record; the database store: one that
     * passes the filters). */
    apr_status_t (*record_list)(gsprov_store_t *s, apr_pool_t *p,
                                const gsprov_list_query_t *q,
                                apr_array_header_t **items, int *more,
                                char **err);
    /* Every record, for lint and export.  Returns what fn returned when it
     * stopped the walk (as an apr_status_t), else APR_SUCCESS. */
    apr_status_t (*record_iterate)(gsprov_store_t *s, apr_pool_t *p,
                                   gsprov_record_fn *fn, void *baton,
                                   char **err);
    /* One activation: GSPROV_ENOTFOUND if none; GSPROV_ECORRUPT if what is
     * stored is not a valid activation. */
    apr_status_t (*activation_get)(gsprov_store_t *s, apr_pool_t *p,
                                   const char *number,
                                   gsprov_activation_t **out, char **err);
    /* A page of activations in number order (strcmp: numbers are digit
     * strings), those after `after` (NULL: from the start), at most limit
     * (array of gsprov_activation_t); *more is set when others follow.
     * Activations that cannot be read are left out. */
    apr_status_t (*activation_list)(gsprov_store_t *s, apr_pool_t *p,
                                    const char *after, int limit,
                                    apr_array_header_t **items, int *more,
                                    char **err);

    /* ---- the provisioning status (best-effort, no transaction) ---- */
    /* Record a batch of observed requests (gsprov_seen_t, oldest first; a
     * MAC may appear more than once): a device's status and its kind's
     * entry are replaced by a newer observation, never by an older one
     * (two nodes flush in any order).  Observations of a MAC the store
     * has no record of are skipped: a scan of made-up MACs leaves nothing
     * behind. */
    apr_status_t (*status_put)(gsprov_store_t *s, apr_pool_t *p,
                               const apr_array_header_t *batch, char **err);
    /* One device's status: APR_SUCCESS with *out, or *out NULL if it was
     * never seen. */
    apr_status_t (*status_get)(gsprov_store_t *s, apr_pool_t *p,
                               const char *mac, gsprov_devstatus_t **out,
                               char **err);
    /* Make what status_put wrote visible to status_get and status_count,
     * where that is a separate step (the directory store's log,
     * gsprov_status_dir.h; NULL where status_put does it all): stop(baton)
     * ends it early; *more = 1 if there is more to do. */
    apr_status_t (*status_settle)(gsprov_store_t *s, apr_pool_t *p,
                                  int (*stop)(void *), void *baton,
                                  int *more, char **err);
    /* How many devices were seen at or after since (seconds since the
     * epoch). */
    apr_status_t (*status_count)(gsprov_store_t *s, apr_pool_t *p,
                                 apr_int64_t since, apr_int64_t *n,
                                 char **err);

    /* ---- changes ---- */
    /* log: the audit log the change's entries go to (GsProvAuditLog); the
     * directory store refuses to begin without one (GSPROV_EAUDIT: nothing
     * was done), a database store keeps the trail in its own table. */
    apr_status_t (*begin)(gsprov_store_t *s, apr_pool_t *p,
                          gsprov_audit_t *log, gsprov_txn_t **txn,
                          char **err);
    /* Lock mac's record for the transaction and read it: APR_SUCCESS with
     * *cur set, GSPROV_ENOTFOUND (locked all the same: nobody else can
     * create it meanwhile), or GSPROV_ECORRUPT (there is one, but it
     * cannot be read: err says why; locked too).  Any other status: the
     * lock could not be taken. */
    apr_status_t (*record_lock)(gsprov_txn_t *txn, const char *mac,
                                gsprov_blob_t *cur, char **err);
    /* Create or replace / remove a record this transaction has locked. */
    apr_status_t (*record_put)(gsprov_txn_t *txn, const char *mac,
                               const char *data, apr_size_t len, char **err);
    apr_status_t (*record_delete)(gsprov_txn_t *txn, const char *mac,
                                  char **err);
    /* Lock an activation for the transaction and read it: APR_SUCCESS,
     * GSPROV_ENOTFOUND or GSPROV_ECORRUPT (what is stored is not a valid
     * activation: it may be replaced), locked in these three cases; any
     * other status (e.g. GSPROV_EIO: it exists but cannot be read) is an
     * error, and the transaction is to be rolled back. */
    apr_status_t (*activation_lock)(gsprov_txn_t *txn, const char *number,
                                    gsprov_activation_t **cur, char **err);
    apr_status_t (*activation_put)(gsprov_txn_t *txn,
                                   const gsprov_activation_t *a, char **err);
    apr_status_t (*activation_delete)(gsprov_txn_t *txn, const char *number,
                                      char **err);
    /* Optional: this transaction's record writes are to take effect
     * together, at commit (a bulk import).  The directory store then
     * writes each put aside (fsynced) and moves them all into place at
     * commit; a database transaction is like that anyway and need not
     * have the op.  Call it before the first put. */
    apr_status_t (*defer)(gsprov_txn_t *txn, char **err);
    /* The audit entry (a JSON object; "time" is added) of this change. */
    apr_status_t (*audit)(gsprov_txn_t *txn, json_t *entry, char **err);
    /* Ends the transaction (so does rollback, which may be called again
     * harmlessly; a commit after the end is APR_EINVAL).  GSPROV_EAUDIT: the change took effect but its audit
     * entry could not be written (directory store; the caller logs it);
     * any other error: nothing took effect that had not already (see
     * above). */
    apr_status_t (*commit)(gsprov_txn_t *txn, char **err);
    void (*rollback)(gsprov_txn_t *txn);
} gsprov_store_ops_t;

struct gsprov_store {
    const gsprov_store_ops_t *ops;
    const char *label;          /* names the store in messages and in the
                                 * audit trail (directory: its root) */
    gsprov_logger_t log;
    void *impl;
};

struct gsprov_txn {
    gsprov_store_t *store;
    apr_pool_t *pool;
    void *impl;
};

/* ---- the directory store (gsprov_store_file.c) ---- */

/* Open a directory store and load its templates (errors name file:line).
 * The store lives as long as pool p. */
apr_status_t gsprov_store_file_open(apr_pool_t *p, const char *root,
                                    const gsprov_logger_t *log,
                                    gsprov_store_t **out, char **err);

/* A directory store for `gsprov lint`: every template problem is reported
 * through report, and the store serves whatever templates were valid
 * (never reloading).  Fails only if the directory cannot be listed. */
apr_status_t gsprov_store_file_lint(apr_pool_t *p, const char *root,
                                    const gsprov_report_t *report,
                                    gsprov_store_t **out);

/* ---- calls (gsprov_store.c): an op a backend lacks is APR_ENOTIMPL ----
 * (a backend either has begin and every change op, or none of them) */

const gsprov_templates_t *gsprov_store_templates(gsprov_store_t *s,
                                                 apr_pool_t *p,
                                                 apr_interval_time_t
                                                 interval);
apr_status_t gsprov_store_record_get(gsprov_store_t *s, apr_pool_t *p,
                                     const char *mac, gsprov_blob_t *out,
                                     char **err);
apr_status_t gsprov_store_record_version(gsprov_store_t *s, apr_pool_t *p,
                                         const char *mac,
                                         const char **version, char **err);
apr_status_t gsprov_store_record_list(gsprov_store_t *s, apr_pool_t *p,
                                      const gsprov_list_query_t *q,
                                      apr_array_header_t **items, int *more,
                                      char **err);
apr_status_t gsprov_store_record_iterate(gsprov_store_t *s, apr_pool_t *p,
                                         gsprov_record_fn *fn, void *baton,
                                         char **err);
apr_status_t gsprov_store_activation_get(gsprov_store_t *s, apr_pool_t *p,
                                         const char *number,
                                         gsprov_activation_t **out,
                                         char **err);
apr_status_t gsprov_store_activation_list(gsprov_store_t *s, apr_pool_t *p,
                                          const char *after, int limit,
                                          apr_array_header_t **items,
                                          int *more, char **err);
apr_status_t gsprov_store_status_put(gsprov_store_t *s, apr_pool_t *p,
                                     const apr_array_header_t *batch,
                                     char **err);
apr_status_t gsprov_store_status_get(gsprov_store_t *s, apr_pool_t *p,
                                     const char *mac,
                                     gsprov_devstatus_t **out, char **err);
apr_status_t gsprov_store_status_settle(gsprov_store_t *s, apr_pool_t *p,
                                        int (*stop)(void *), void *baton,
                                        int *more, char **err);
apr_status_t gsprov_store_status_count(gsprov_store_t *s, apr_pool_t *p,
                                       apr_int64_t since, apr_int64_t *n,
                                       char **err);
apr_status_t gsprov_store_begin(gsprov_store_t *s, apr_pool_t *p,
                                gsprov_audit_t *log, gsprov_txn_t **txn,
                                char **err);
apr_status_t gsprov_store_record_lock(gsprov_txn_t *txn, const char *mac,
                                      gsprov_blob_t *cur, char **err);
apr_status_t gsprov_store_record_put(gsprov_txn_t *txn, const char *mac,
                                     const char *data, apr_size_t len,
                                     char **err);
apr_status_t gsprov_store_record_delete(gsprov_txn_t *txn, const char *mac,
                                        char **err);
apr_status_t gsprov_store_activation_lock(gsprov_txn_t *txn,
                                          const char *number,
                                          gsprov_activation_t **cur,
                                          char **err);
apr_status_t gsprov_store_activation_put(gsprov_txn_t *txn,
                                         const gsprov_activation_t *a,
                                         char **err);
apr_status_t gsprov_store_activation_delete(gsprov_txn_t *txn,
                                            const char *number, char **err);
/* APR_SUCCESS where the backend has no defer op (see above). */
apr_status_t gsprov_store_defer(gsprov_txn_t *txn, char **err);
apr_status_t gsprov_store_audit(gsprov_txn_t *txn, json_t *entry,
                                char **err);
apr_status_t gsprov_store_commit(gsprov_txn_t *txn, char **err);
void gsprov_store_rollback(gsprov_txn_t *txn);

/* Whether a parsed record passes q's record filters (group, model,
 * vars): what a store that walks its records tests them with. */
int gsprov_store_list_match(const gsprov_list_query_t *q,
                            const gsprov_device_t *d);
/* Whether q has a record filter at all. */
int gsprov_store_list_filtered(const gsprov_list_query_t *q);
/* Whether q filters on the status, or wants it. */
int gsprov_store_list_status(const gsprov_list_query_t *q);
/* Whether a device's status (NULL: never seen) passes q's status
 * filters, its record being at version. */
int gsprov_store_list_status_match(const gsprov_list_query_t *q,
                                   const gsprov_devstatus_t *st,
                                   const char *version);
/* A query that filters nothing and lists at most limit (>= 1); so is
 * one of zeros but for limit. */
void gsprov_store_list_init(gsprov_list_query_t *q, int limit);

/* ---- views (gsprov_store_view.c) ---- */

/* A read-only store of one record already read (rec; NULL: mac has none)
 * under templates t: what the pipeline renders when the bytes it must
 * render are those it keyed the cache with.  Other MACs have no record. */
gsprov_store_t *gsprov_store_one(apr_pool_t *p, const gsprov_templates_t *t,
                                 const char *mac, const gsprov_blob_t *rec,
                                 const char *label);

/* base, with each record read at most once for the life of pool p (its
 * result, error or not, is kept): one request's access control and
 * handler share one read.  Reads only; changes are not offered. */
gsprov_store_t *gsprov_store_memo(apr_pool_t *p, gsprov_store_t *base);

/* The content version of a record's bytes, what a blob's version is:
 * hex SHA-256 (NULL if OpenSSL fails). */
const char *gsprov_store_version(apr_pool_t *p, const char *data,
                                 apr_size_t len);

/* A record read and parsed (record_get + gsprov_xml_parse_device,
 * labelled with the blob's label, (*out)->version its version):
 * GSPROV_ENOTFOUND if there is none. */
apr_status_t gsprov_store_device(gsprov_store_t *s, apr_pool_t *p,
                                 const char *mac, gsprov_device_t **out,
                                 char **err);

#endif
