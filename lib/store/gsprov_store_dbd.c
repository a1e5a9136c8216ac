/*
 * The database store (see gsprov_store_dbd.h): gsprov_store_ops_t over
 * apr_dbd, one SQL text per statement for PostgreSQL and SQLite 3.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_atomic.h>
#include <libxml/xmlstring.h>
#include "gsprov_store_dbd.h"
#include "gsprov_json.h"
#include "gsprov_mac.h"
#include "gsprov_defaults.h"
#include "gsprov_seen.h"

/* ---- statements ------------------------------------------------------- */

enum {
    S_SCHEMA, S_REC_GET, S_REC_VERSION, S_LIST, S_LIST_GROUP,
    S_REC_TOUCH, S_REC_HOLD, S_REC_PUT, S_REC_DEL, S_REC_UNHOLD,
    S_GRP_DEL, S_GRP_ADD,
    S_ACT_GET, S_ACT_TOUCH, S_ACT_HOLD, S_ACT_PUT, S_ACT_DEL, S_ACT_UNHOLD,
    S_AUDIT, S_ST_GET, S_ST_FETCH, S_ST_COUNT,
    S_VAR_DEL, S_VAR_ADD, S_ACT_LIST, S_ALL_PAGE, S_ST_SYNC,
    S_ST_DEL, S_FETCH_DEL,
    S_COUNT
};

/* Rows with version '' (pin_hash '') are holds: never seen by reads. */
static const gsprov_dbd_stmt_t stmts[S_COUNT] = {
    [S_SCHEMA] = { "gsprov_schema",
        "SELECT version FROM gsprov_schema" },
    [S_REC_GET] = { "gsprov_rec_get",
        "SELECT version, record FROM gsprov_devices"
        " WHERE tenant = %s AND mac = %s AND version <> ''" },
    [S_REC_VERSION] = { "gsprov_rec_version",
        "SELECT version FROM gsprov_devices"
        " WHERE tenant = %s AND mac = %s AND version <> ''" },
    [S_LIST] = { "gsprov_list",
        "SELECT mac, record FROM gsprov_devices"
        " WHERE tenant = %s AND mac > %s AND version <> ''"
        " ORDER BY mac LIMIT %d" },
    /* the page of the group index first, then its records by key: a
     * plain join may walk the records from the tenant's first MAC */
    [S_LIST_GROUP] = { "gsprov_list_group",
        "SELECT d.mac, d.record FROM (SELECT mac FROM gsprov_device_groups"
        " WHERE tenant = %s AND grp = %s AND mac > %s ORDER BY mac LIMIT %d) g"
        " JOIN gsprov_devices d ON d.tenant = %s AND d.mac = g.mac"
        " WHERE d.version <> '' ORDER BY g.mac" },
    /* a row lock that changes nothing (SELECT ... FOR UPDATE is not
     * SQLite's; an UPDATE locks the row in both) */
    [S_REC_TOUCH] = { "gsprov_rec_touch",
        "UPDATE gsprov_devices SET version = version"
        " WHERE tenant = %s AND mac = %s" },
    [S_REC_HOLD] = { "gsprov_rec_hold",
        "INSERT INTO gsprov_devices"
        " (tenant, mac, version, model, record, changed)"
        " VALUES (%s, %s, '', '', '', 0) ON CONFLICT DO NOTHING" },
    [S_REC_PUT] = { "gsprov_rec_put",
        "UPDATE gsprov_devices SET version = %s, model = %s, record = %s,"
        " changed = %lld WHERE tenant = %s AND mac = %s" },
    [S_REC_DEL] = { "gsprov_rec_del",
        "DELETE FROM gsprov_devices WHERE tenant = %s AND mac = %s" },
    [S_REC_UNHOLD] = { "gsprov_rec_unhold",
        "DELETE FROM gsprov_devices"
        " WHERE tenant = %s AND mac = %s AND version = ''" },
    [S_GRP_DEL] = { "gsprov_grp_del",
        "DELETE FROM gsprov_device_groups WHERE tenant = %s AND mac = %s" },
    [S_GRP_ADD] = { "gsprov_grp_add",
        "INSERT INTO gsprov_device_groups (tenant, grp, mac)"
        " VALUES (%s, %s, %s)" },
    [S_ACT_GET] = { "gsprov_act_get",
        "SELECT pin_hash, created, expires, failures, claimed_by, profile"
        " FROM gsprov_activations"
        " WHERE tenant = %s AND number = %s AND pin_hash <> ''" },
    [S_ACT_TOUCH] = { "gsprov_act_touch",
        "UPDATE gsprov_activations SET failures = failures"
        " WHERE tenant = %s AND number = %s" },
    [S_ACT_HOLD] = { "gsprov_act_hold",
        "INSERT INTO gsprov_activations (tenant, number, pin_hash, created,"
        " expires, failures, claimed_by, profile)"
        " VALUES (%s, %s, '', 0, 0, 0, '', '') ON CONFLICT DO NOTHING" },
    [S_ACT_PUT] = { "gsprov_act_put",
        "UPDATE gsprov_activations SET pin_hash = %s, created = %lld,"
        " expires = %lld, failures = %d, claimed_by = %s, profile = %s"
        " WHERE tenant = %s AND number = %s" },
    [S_ACT_DEL] = { "gsprov_act_del",
        "DELETE FROM gsprov_activations WHERE tenant = %s AND number = %s" },
    [S_ACT_UNHOLD] = { "gsprov_act_unhold",
        "DELETE FROM gsprov_activations"
        " WHERE tenant = %s AND number = %s AND pin_hash = ''" },
    [S_AUDIT] = { "gsprov_audit",
        "INSERT INTO gsprov_audit (tenant, at, mac, entry)"
        " VALUES (%s, %lld, %s, %s)" },
    [S_ST_GET] = { "gsprov_st_get",
        "SELECT at, client, ua_model, ua_hardware, ua_firmware, kind, file,"
        " result, served_version FROM gsprov_device_status"
        " WHERE tenant = %s AND mac = %s" },
    [S_ST_FETCH] = { "gsprov_st_fetch",
        "SELECT kind, at, client, file, result, version"
        " FROM gsprov_device_fetch WHERE tenant = %s AND mac = %s" },
    [S_ST_COUNT] = { "gsprov_st_count",
        "SELECT COUNT(*) FROM gsprov_device_status"
        " WHERE tenant = %s AND at >= %lld" },
    /* a record's variables, for GET /devices?var.<name>=: the value by
     * its hash (hex SHA-256), so any length fits an index */
    [S_VAR_DEL] = { "gsprov_var_del",
        "DELETE FROM gsprov_device_vars WHERE tenant = %s AND mac = %s" },
    [S_VAR_ADD] = { "gsprov_var_add",
        "INSERT INTO gsprov_device_vars (tenant, name, vhash, mac)"
        " VALUES (%s, %s, %s, %s)" },
    [S_ACT_LIST] = { "gsprov_act_list",
        "SELECT pin_hash, created, expires, failures, claimed_by, profile,"
        " number FROM gsprov_activations"
        " WHERE tenant = %s AND number > %s AND pin_hash <> ''"
        " ORDER BY number LIMIT %d" },
    /* every tenant's records by key (gsprov db init: the variables of
     * records written before schema version 2) */
    [S_ALL_PAGE] = { "gsprov_all_page",
        "SELECT tenant, mac, record FROM gsprov_devices"
        " WHERE (tenant > %s OR (tenant = %s AND mac > %s)) AND version <> ''"
        " ORDER BY tenant, mac LIMIT %d" },
    /* a record written: whether its device was served this version
     * (schema version 3; false for a served_version of '', none yet) */
    [S_ST_SYNC] = { "gsprov_st_sync",
        "UPDATE gsprov_device_status SET in_sync = (served_version = %s)"
        " WHERE tenant = %s AND mac = %s" },
    /* a deleted record's status goes with it: a record made again for
     * the MAC starts as never seen */
    [S_ST_DEL] = { "gsprov_st_del",
        "DELETE FROM gsprov_device_status WHERE tenant = %s AND mac = %s" },
    [S_FETCH_DEL] = { "gsprov_fetch_del",
        "DELETE FROM gsprov_device_fetch WHERE tenant = %s AND mac = %s" },
};

const gsprov_dbd_stmt_t *gsprov_store_dbd_statements(int *n)
{
    *n = S_COUNT;
    return stmts;
}

/* ---- running statements ------------------------------------------------ */

typedef struct {
    gsprov_dbd_opts_t o;
} dbd_t;

/* A statement's context: pool, connection, and the transaction's state. */
typedef struct {
    const dbd_t *d;
    apr_pool_t *p;
    gsprov_dbd_conn_t c;
    int in_txn;             /* BEGIN has run */
    int work;               /* statements run since */
} run_t;

/* A failure this fast is a dead connection or a lost prepared statement,
 * not a timeout: worth one retry. */
#define FAST_FAILURE apr_time_from_msec(250)

#define COUNT(ptr) do { if (ptr) apr_atomic_inc64(ptr); } while (0)

static int is_sqlite(const gsprov_dbd_conn_t *c)
{
    return !strcmp(apr_dbd_name(c->driver), "sqlite3");
}

/* The database's message on one line. */
static char *db_error(apr_pool_t *p, const gsprov_dbd_conn_t *c, int rc,
                      const char *what)
{
    const char *m = c->handle ? apr_dbd_error(c->driver, c->handle, rc) : NULL;
    char *s = apr_psprintf(p, "database (%s): %s: %s",
                           c->driver ? apr_dbd_name(c->driver) : "?", what,
                           m && *m ? m : "unknown error"), *q;
    apr_size_t n;

    for (q = s; *q; q++)
        if (*q == '\n' || *q == '\t' || *q == '\r')
            *q = ' ';
    for (n = strlen(s); n && s[n - 1] == ' '; n--)
        s[n - 1] = '\0';
    return s;
}

static apr_status_t acquire(run_t *r, char **err)
{
    memset(&r->c, 0, sizeof(r->c));
    return r->d->o.source->acquire(r->d->o.source, r->p, &r->c, err);
}

static apr_dbd_prepared_t *prepared(run_t *r, const gsprov_dbd_stmt_t *stmt)
{
    apr_dbd_prepared_t *st = r->c.prepared && stmt->label
        ? apr_hash_get(r->c.prepared, stmt->label, APR_HASH_KEY_STRING)
        : NULL;

    /* not prepared with the connection (or made for one query, like a
     * listing's filters): an unnamed statement, parsed per use (apr_dbd's
     * pgsql driver runs it with PQexecParams) */
    if (!st && apr_dbd_prepare(r->c.driver, r->p, r->c.handle, stmt->sql,
                               NULL, &st))
        return NULL;
    return st;
}

/* After a fast failure: reconnect if the connection is dead, and prepare
 * the statements again (a PostgreSQL reconnect loses them all, and a
 * transaction goes on with others; one that still exists fails
 * harmlessly, outside a transaction).  0 if it is worth retrying: not if
 * a statement took a timeout's time to prepare (a locked table), so that
 * a request never waits for more than one timeout. */
static int heal(run_t *r)
{
    int i;

    apr_dbd_check_conn(r->c.driver, r->p, r->c.handle);
    if (is_sqlite(&r->c))
        return 0;
    for (i = 0; i < S_COUNT; i++) {
        apr_dbd_prepared_t *st = NULL;
        apr_time_t start = apr_time_now();
        apr_dbd_prepare(r->c.driver, r->p, r->c.handle, stmts[i].sql,
                        stmts[i].label, &st);
        if (apr_time_now() - start > FAST_FAILURE)
            return -1;
    }
    return 0;
}

static int plain(run_t *r, const char *sql, char **err)
{
    int n = 0, rc;

    COUNT(r->d->o.queries);
    if ((rc = apr_dbd_query(r->c.driver, r->c.handle, &n, sql))) {
        COUNT(r->d->o.errors);
        if (err)
            *err = db_error(r->p, &r->c, rc, sql);
    }
    return rc;
}

static apr_status_t begin_sql(run_t *r, char **err)
{
    int attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        apr_time_t start = apr_time_now();
        /* SQLite: the write lock now, not at the first write, so that two
         * writers never deadlock upgrading their read locks */
        if (!plain(r, is_sqlite(&r->c) ? "BEGIN IMMEDIATE" : "BEGIN", err)) {
            r->in_txn = 1;
            r->work = 0;
            return APR_SUCCESS;
        }
        if (apr_time_now() - start > FAST_FAILURE)
            break;
        heal(r);
    }
    return GSPROV_EUNAVAIL;
}

/* Run a statement with args: a SELECT (*res) or a change (*nrows). */
static apr_status_t run_stmt(run_t *r, const gsprov_dbd_stmt_t *stmt,
                             const char **args, int nargs,
                             apr_dbd_results_t **res, int *nrows, char **err)
{
    int attempt, rc = 0, n = 0;

    for (attempt = 0; attempt < 2; attempt++) {
        apr_time_t start = apr_time_now();
        apr_dbd_prepared_t *st = prepared(r, stmt);

        COUNT(r->d->o.queries);
        if (!st)
            rc = -1;
        else if (res) {
            *res = NULL;
            rc = apr_dbd_pselect(r->c.driver, r->p, r->c.handle, res, st, 1,
                                 nargs, args);
        }
        else
            rc = apr_dbd_pquery(r->c.driver, r->p, r->c.handle, &n, st,
                                nargs, args);
        if (rc == 0) {
            if (nrows)
                *nrows = n;
            r->work++;
            return APR_SUCCESS;
        }
        COUNT(r->d->o.errors);
        *err = db_error(r->p, &r->c, rc, stmt->label ? stmt->label
                                                     : "gsprov_list_filtered");
        /* retried only where nothing can have been written yet */
        if (attempt || (r->in_txn && r->work)
            || apr_time_now() - start > FAST_FAILURE)
            break;
        if (r->in_txn)
            plain(r, "ROLLBACK", NULL);
        if (heal(r) || (r->in_txn && begin_sql(r, err)))
            break;
    }
    return GSPROV_EUNAVAIL;
}

static apr_status_t exec(run_t *r, int id, const char **args, int nargs,
                         apr_dbd_results_t **res, int *nrows, char **err)
{
    return run_stmt(r, &stmts[id], args, nargs, res, nrows, err);
}

/* The next row; *row starts NULL and carries the position (pgsql counts
 * from the previous row). */
static int next_row(run_t *r, apr_dbd_results_t *res, apr_dbd_row_t **row)
{
    return apr_dbd_get_row(r->c.driver, r->p, res, row, -1) == 0;
}

static const char *col(run_t *r, apr_dbd_row_t *row, int n)
{
    const char *v = apr_dbd_get_entry(r->c.driver, row, n);
    return v ? v : "";
}

/* A read outside any transaction: a connection for p. */
static apr_status_t reader(gsprov_store_t *s, apr_pool_t *p, run_t *r,
                           char **err)
{
    memset(r, 0, sizeof(*r));
    r->d = s->impl;
    r->p = p;
    return acquire(r, err);
}

static const char *tenant(const run_t *r)
{
    return r->d->o.tenant;
}

/* ---- reads ------------------------------------------------------------ */

static const gsprov_templates_t *db_templates(gsprov_store_t *s,
                                              apr_pool_t *p,
                                              apr_interval_time_t interval)
{
    return gsprov_store_templates(((dbd_t *)s->impl)->o.templates, p,
                                  interval);
}

/* A record row's bytes as a blob: the version is computed from them, so
 * what is served and what keys the cache can never disagree. */
static apr_status_t to_blob(apr_pool_t *p, const char *mac, const char *data,
                            gsprov_blob_t *out, char **err)
{
    out->data = data;
    out->len = strlen(data);
    out->label = apr_pstrcat(p, "record ", mac, NULL);
    if (!(out->version = gsprov_store_version(p, data, out->len))) {
        *err = apr_psprintf(p, "%s: cannot hash (OpenSSL)", out->label);
        return GSPROV_ECRYPTO;
    }
    return APR_SUCCESS;
}

static apr_status_t get_record(run_t *r, const char *mac, gsprov_blob_t *out,
                               char **err)
{
    const char *args[2] = { tenant(r), mac };
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    if ((rv = exec(r, S_REC_GET, args, 2, &res, NULL, err)))
        return rv;
    if (!next_row(r, res, &row))
        return GSPROV_ENOTFOUND;
    return to_blob(r->p, mac, apr_pstrdup(r->p, col(r, row, 1)), out, err);
}

static apr_status_t db_record_get(gsprov_store_t *s, apr_pool_t *p,
                                  const char *mac, gsprov_blob_t *out,
                                  char **err)
{
    run_t r;
    apr_status_t rv;

    if ((rv = reader(s, p, &r, err)))
        return rv;
    return get_record(&r, mac, out, err);
}

/* Statement id, whose arguments are the tenant and mac, on a reader's
 * connection r. */
static apr_status_t select_mac(gsprov_store_t *s, apr_pool_t *p, run_t *r,
                               int id, const char *mac,
                               apr_dbd_results_t **res, char **err)
{
    const char *args[2];
    apr_status_t rv;

    if ((rv = reader(s, p, r, err)))
        return rv;
    args[0] = tenant(r);
    args[1] = mac;
    return exec(r, id, args, 2, res, NULL, err);
}

static apr_status_t db_record_version(gsprov_store_t *s, apr_pool_t *p,
                                      const char *mac, const char **version,
                                      char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    run_t r;
    apr_status_t rv;

    *version = NULL;
    if ((rv = select_mac(s, p, &r, S_REC_VERSION, mac, &res, err)))
        return rv;
    if (!next_row(&r, res, &row))
        return GSPROV_ENOTFOUND;
    *version = apr_pstrdup(p, col(&r, row, 0));
    return APR_SUCCESS;
}

/* One page in MAC order (limit + 1 rows asked for, to know if more follow):
 * fn(baton, mac, record) per row, or a stop. */
static apr_status_t page(run_t *r, const char *group, const char *after,
                         int limit, apr_dbd_results_t **res, char **err)
{
    const char *lim = apr_itoa(r->p, limit);

    if (group) {
        const char *args[5] = { tenant(r), group, after ? after : "", lim,
                                tenant(r) };
        return exec(r, S_LIST_GROUP, args, 5, res, NULL, err);
    }
    else {
        const char *args[3] = { tenant(r), after ? after : "", lim };
        return exec(r, S_LIST, args, 3, res, NULL, err);
    }
}

/* The status columns a filtered page selects after mac, record, version
 * (a LEFT JOIN: NULL for a device never seen). */
#define STATUS_COLS ", s.mac, s.at, s.client, s.ua_model, s.ua_hardware," \
    " s.ua_firmware, s.kind, s.file, s.result, s.served_version"
#define STATUS_COL0 3

/* A page with the listing's filters: one statement, made for the query,
 * every filter a condition on an index (README "Listing filters"): the
 * records' (tenant, mac) and (tenant, model, mac), the group and variable
 * tables by (tenant, name[, value], mac), the status by (tenant, mac),
 * (tenant, at), (tenant, ua_firmware, mac).  Values are arguments, never
 * SQL text. */
static apr_status_t filtered_page(run_t *r, const gsprov_list_query_t *q,
                                  apr_dbd_results_t **res, char **err)
{
    apr_pool_t *p = r->p;
    apr_array_header_t *args = apr_array_make(p, 12, sizeof(const char *));
    int status = gsprov_store_list_status(q), i;
    gsprov_dbd_stmt_t st = { NULL, NULL };
    const char *sql;

#define ARG(v) (APR_ARRAY_PUSH(args, const char *) = (v))
    /* in_sync=true compares two tables' columns for equality, which
     * PostgreSQL estimates as matching almost nothing and answers with a
     * hash join of both tables whole; a lateral lookup it cannot flatten
     * (OFFSET 0) keeps the walk in MAC order, one status row by key per
     * record, stopping at the page's end (SQLite walks that way anyway,
     * and has no LATERAL; for <> the estimate is fine) */
    const char *join = !status ? ""
        : q->in_sync > 0 && !is_sqlite(&r->c)
        ? " LEFT JOIN LATERAL (SELECT * FROM gsprov_device_status s"
          " WHERE s.tenant = d.tenant AND s.mac = d.mac AND s.mac > %s"
          " OFFSET 0) s ON true"
        : " LEFT JOIN gsprov_device_status s"
          " ON s.tenant = d.tenant AND s.mac = d.mac AND s.mac > %s";
    /* every table's MACs start after the page's first: the planner does
     * not carry d.mac > after over to them, and an index in MAC order of
     * another table (group, firmware, ...) would be read from its
     * first entry on every page */
    const char *after = q->after ? q->after : "";
    /* in_sync=false: the few status rows out of sync first, by their own
     * index in MAC order (schema version 3, a partial index), then their
     * records by key; a walk of the records would compare the status of
     * every one until a page of out-of-sync ones is found */
    const int out_of_sync = q->in_sync < 0;

    if (out_of_sync) {
        sql = apr_pstrcat(p, "SELECT d.mac, d.record, d.version",
                          STATUS_COLS, " FROM gsprov_device_status s"
                          " JOIN gsprov_devices d"
                          " ON d.tenant = s.tenant AND d.mac = s.mac"
                          " WHERE s.tenant = %s AND s.mac > %s"
                          " AND NOT s.in_sync"
                          " AND d.tenant = %s AND d.mac > %s"
                          " AND d.version <> ''", NULL);
        ARG(tenant(r));
        ARG(after);
    }
    else {
        sql = apr_pstrcat(p, "SELECT d.mac, d.record, d.version",
                          status ? STATUS_COLS : "", " FROM gsprov_devices d",
                          join,
                          " WHERE d.tenant = %s AND d.mac > %s"
                          " AND d.version <> ''", NULL);
        if (status)
            ARG(after);
    }
    ARG(tenant(r));
    ARG(after);
    if (q->model) {
        sql = apr_pstrcat(p, sql, " AND d.model = %s", NULL);
        ARG(q->model);
    }
    if (q->group) {
        sql = apr_pstrcat(p, sql, " AND EXISTS (SELECT 1 FROM"
                          " gsprov_device_groups g WHERE g.tenant = d.tenant"
                          " AND g.grp = %s AND g.mac = d.mac AND g.mac > %s)",
                          NULL);
        ARG(q->group);
        ARG(after);
    }
    for (i = 0; q->vars && i < q->vars->nelts; i++) {
        const gsprov_list_var_t *v = &APR_ARRAY_IDX(q->vars, i,
                                                    gsprov_list_var_t);
        const char *h = gsprov_store_version(p, v->value, strlen(v->value));
        if (!h) {
            *err = apr_pstrdup(p, "cannot hash (OpenSSL)");
            return GSPROV_ECRYPTO;
        }
        sql = apr_pstrcat(p, sql, " AND EXISTS (SELECT 1 FROM"
                          " gsprov_device_vars v WHERE v.tenant = d.tenant"
                          " AND v.name = %s AND v.vhash = %s"
                          " AND v.mac = d.mac AND v.mac > %s)", NULL);
        ARG(v->name);
        ARG(h);
        ARG(after);
    }
    if (q->never_seen)
        sql = apr_pstrcat(p, sql, q->never_seen > 0 ? " AND s.mac IS NULL"
                                                : " AND s.mac IS NOT NULL",
                          NULL);
    if (q->seen_after) {
        sql = apr_pstrcat(p, sql, " AND s.at >= %lld", NULL);
        ARG(apr_psprintf(p, "%" APR_INT64_T_FMT, q->seen_after));
    }
    if (q->seen_before) {
        sql = apr_pstrcat(p, sql, " AND s.at < %lld", NULL);
        ARG(apr_psprintf(p, "%" APR_INT64_T_FMT, q->seen_before));
    }
    if (q->firmware) {
        sql = apr_pstrcat(p, sql, " AND s.ua_firmware = %s", NULL);
        ARG(q->firmware);
    }
    /* (NULL for a device never seen: neither; out of sync, the flag is
     * checked against the versions, as in_sync=true is) */
    if (q->in_sync)
        sql = apr_pstrcat(p, sql, q->in_sync > 0
                          ? " AND s.served_version = d.version"
                          : " AND s.served_version <> d.version", NULL);
    st.sql = apr_pstrcat(p, sql, out_of_sync ? " ORDER BY s.mac LIMIT %d"
                                             : " ORDER BY d.mac LIMIT %d",
                         NULL);
    ARG(apr_itoa(p, q->limit + 1));
#undef ARG
    return run_stmt(r, &st, (const char **)args->elts, args->nelts, res,
                    NULL, err);
}

/* The status of a filtered page's row (NULL: never seen). */
static const gsprov_devstatus_t *row_status(run_t *r, apr_dbd_row_t *row,
                                            const char *mac)
{
    apr_pool_t *p = r->p;
    gsprov_devstatus_t *st;
    int c = STATUS_COL0;

    if (!*col(r, row, c))
        return NULL;
    st = apr_pcalloc(p, sizeof(*st));
    st->last.mac = mac;
    st->last.at = apr_atoi64(col(r, row, c + 1));
    st->last.client = apr_pstrdup(p, col(r, row, c + 2));
    st->last.ua_model = apr_pstrdup(p, col(r, row, c + 3));
    st->last.ua_hardware = apr_pstrdup(p, col(r, row, c + 4));
    st->last.ua_firmware = apr_pstrdup(p, col(r, row, c + 5));
    st->last.kind = apr_pstrdup(p, col(r, row, c + 6));
    st->last.file = apr_pstrdup(p, col(r, row, c + 7));
    st->last.result = atoi(col(r, row, c + 8));
    st->last.version = "";
    st->served_version = apr_pstrdup(p, col(r, row, c + 9));
    return st;
}

static apr_status_t db_record_list(gsprov_store_t *s, apr_pool_t *p,
                                   const gsprov_list_query_t *q,
                                   apr_array_header_t **items, int *more,
                                   char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *a;
    run_t r;
    apr_status_t rv;
    /* the statements prepared at startup where they do: all, or a group */
    int fixed = !q->model && !(q->vars && q->vars->nelts)
                && !gsprov_store_list_status(q);

    *more = 0;
    if ((rv = reader(s, p, &r, err))
        || (rv = fixed ? page(&r, q->group, q->after, q->limit + 1, &res, err)
                       : filtered_page(&r, q, &res, err)))
        return rv;
    a = apr_array_make(p, q->limit, sizeof(gsprov_listed_t));
    while (next_row(&r, res, &row)) {
        gsprov_listed_t *e;
        const char *data;
        char *why = NULL;

        if (a->nelts == q->limit) {
            *more = 1;
            continue;       /* (the driver's rows are read to the end) */
        }
        e = apr_array_push(a);
        memset(e, 0, sizeof(*e));
        e->mac = apr_pstrdup(p, col(&r, row, 0));
        data = apr_pstrdup(p, col(&r, row, 1));
        e->version = gsprov_store_version(p, data, strlen(data));
        if (!fixed && gsprov_store_list_status(q))
            e->status = row_status(&r, row, e->mac);
        if (gsprov_xml_parse_device(p, e->mac, data, strlen(data), "record",
                                    &e->dev, &why))
            e->dev = NULL;
        e->err = e->dev ? NULL : why ? why : "record unreadable";
    }
    *items = a;
    return APR_SUCCESS;
}

#define ITERATE_PAGE 500

static apr_status_t db_record_iterate(gsprov_store_t *s, apr_pool_t *p,
                                      gsprov_record_fn *fn, void *baton,
                                      char **err)
{
    apr_pool_t *pg, *iter;
    const char *after = "";
    run_t r;
    apr_status_t rv;
    int stop = 0, got;

    if ((rv = reader(s, p, &r, err)))
        return rv;
    apr_pool_create(&pg, p);
    apr_pool_create(&iter, p);
    do {
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;

        apr_pool_clear(pg);
        r.p = pg;
        if ((rv = page(&r, NULL, after, ITERATE_PAGE, &res, err))) {
            *err = apr_pstrdup(p, *err);
            break;
        }
        for (got = 0; next_row(&r, res, &row); got++) {
            const char *mac = col(&r, row, 0);
            gsprov_blob_t b;
            char *why = NULL;
            apr_status_t brv;

            after = mac;
            if (stop)
                continue;
            apr_pool_clear(iter);
            brv = to_blob(iter, mac, col(&r, row, 1), &b, &why);
            stop = fn(baton, iter, apr_pstrdup(iter, mac),
                      brv ? NULL : &b, brv, why);
        }
        after = apr_pstrdup(p, after);
    } while (!rv && !stop && got == ITERATE_PAGE);
    apr_pool_destroy(iter);
    apr_pool_destroy(pg);
    return rv ? rv : stop;
}

/* An activation row: GSPROV_ECORRUPT if its profile is not an object. */
static apr_status_t to_activation(run_t *r, const char *number,
                                  apr_dbd_row_t *row,
                                  gsprov_activation_t **out, char **err)
{
    gsprov_activation_t *a = apr_pcalloc(r->p, sizeof(*a));
    json_t *profile;

    a->number = apr_pstrdup(r->p, number);
    a->pin_hash = apr_pstrdup(r->p, col(r, row, 0));
    a->created = apr_atoi64(col(r, row, 1));
    a->expires = apr_atoi64(col(r, row, 2));
    a->failures = atoi(col(r, row, 3));
    a->claimed_by = *col(r, row, 4) ? apr_pstrdup(r->p, col(r, row, 4))
                                    : NULL;
    a->profile = apr_pstrdup(r->p, col(r, row, 5));
    a->label = apr_pstrcat(r->p, "activation ", number, NULL);
    if (gsprov_json_parse(r->p, a->profile, strlen(a->profile), &profile,
                          err) != APR_SUCCESS || !json_is_object(profile)) {
        *err = apr_psprintf(r->p, "%s: not a valid activation", a->label);
        return GSPROV_ECORRUPT;
    }
    *out = a;
    return APR_SUCCESS;
}

static apr_status_t get_activation(run_t *r, const char *number,
                                   gsprov_activation_t **out, char **err)
{
    const char *args[2] = { tenant(r), number };
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    if ((rv = exec(r, S_ACT_GET, args, 2, &res, NULL, err)))
        return rv;
    if (!next_row(r, res, &row))
        return GSPROV_ENOTFOUND;
    return to_activation(r, number, row, out, err);
}

static apr_status_t db_activation_get(gsprov_store_t *s, apr_pool_t *p,
                                      const char *number,
                                      gsprov_activation_t **out, char **err)
{
    run_t r;
    apr_status_t rv;

    if ((rv = reader(s, p, &r, err)))
        return rv;
    return get_activation(&r, number, out, err);
}

static apr_status_t db_activation_list(gsprov_store_t *s, apr_pool_t *p,
                                       const char *after, int limit,
                                       apr_array_header_t **items, int *more,
                                       char **err)
{
    const char *args[3];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *a;
    run_t r;
    apr_status_t rv;

    *more = 0;
    if ((rv = reader(s, p, &r, err)))
        return rv;
    args[0] = tenant(&r);
    args[1] = after ? after : "";
    args[2] = apr_itoa(p, limit + 1);
    if ((rv = exec(&r, S_ACT_LIST, args, 3, &res, NULL, err)))
        return rv;
    a = apr_array_make(p, limit, sizeof(gsprov_activation_t));
    while (next_row(&r, res, &row)) {
        gsprov_activation_t *act;
        char *why = NULL;

        if (a->nelts == limit) {
            *more = 1;
            continue;       /* (the driver's rows are read to the end) */
        }
        /* one that is not a valid activation is left out */
        if (to_activation(&r, col(&r, row, 6), row, &act, &why)
            == APR_SUCCESS)
            APR_ARRAY_PUSH(a, gsprov_activation_t) = *act;
    }
    *items = a;
    return APR_SUCCESS;
}

/* ---- transactions ----------------------------------------------------- */

/* What the transaction holds, by "d<mac>" / "a<number>". */
typedef enum { HELD_NEW = 1, HELD_OLD, HELD_WRITTEN, HELD_GONE } held_e;

typedef struct {
    run_t r;
    gsprov_audit_t *log;            /* a copy of the trail, or NULL */
    apr_hash_t *held;
    apr_hash_t *written;            /* mac -> the version it was given */
    apr_array_header_t *lines;      /* audit lines, for the copy */
    int ended;
} dbd_txn_t;

static void end_txn(dbd_txn_t *t, const char *sql)
{
    if (!t->ended && t->r.in_txn)
        plain(&t->r, sql, NULL);
    t->ended = 1;
}

/* A transaction abandoned with its pool is rolled back (before the pool
 * gives its connection back: this cleanup was registered later). */
static apr_status_t txn_cleanup(void *data)
{
    end_txn(data, "ROLLBACK");
    return APR_SUCCESS;
}

static apr_status_t db_begin(gsprov_store_t *s, apr_pool_t *p,
                             gsprov_audit_t *log, gsprov_txn_t **out,
                             char **err)
{
    gsprov_txn_t *txn = apr_pcalloc(p, sizeof(*txn));
    dbd_txn_t *t = apr_pcalloc(p, sizeof(*t));
    apr_status_t rv;

    t->r.d = s->impl;
    t->r.p = p;
    t->log = log;
    t->held = apr_hash_make(p);
    t->written = apr_hash_make(p);
    t->lines = apr_array_make(p, 2, sizeof(const char *));
    if ((rv = acquire(&t->r, err)) || (rv = begin_sql(&t->r, err)))
        return rv;
    apr_pool_cleanup_register(p, t, txn_cleanup, apr_pool_cleanup_null);
    txn->store = s;
    txn->pool = p;
    txn->impl = t;
    *out = txn;
    return APR_SUCCESS;
}

static apr_status_t ended(dbd_txn_t *t, char **err)
{
    *err = apr_pstrdup(t->r.p, "the transaction has ended");
    return APR_EINVAL;
}

static held_e *held(dbd_txn_t *t, char kind, const char *key)
{
    return apr_hash_get(t->held, apr_pstrcat(t->r.p, kind == 'd' ? "d" : "a",
                                             key, NULL), APR_HASH_KEY_STRING);
}

static void hold(dbd_txn_t *t, char kind, const char *key, held_e state)
{
    held_e *h = held(t, kind, key);

    if (!h) {
        h = apr_palloc(t->r.p, sizeof(*h));
        apr_hash_set(t->held, apr_pstrcat(t->r.p, kind == 'd' ? "d" : "a",
                                          key, NULL), APR_HASH_KEY_STRING, h);
    }
    *h = state;
}

/* Lock the row of key (touch), or hold its place when there is none: a
 * creator racing us waits on the unique key until we end, then finds the
 * row.  *fresh: the row is our hold. */
static apr_status_t lock_row(dbd_txn_t *t, int touch, int hold_id,
                             const char *key, int *fresh, char **err)
{
    const char *args[2] = { t->r.d->o.tenant, key };
    apr_status_t rv;
    int n, tries;

    for (tries = 0; tries < 3; tries++) {
        if ((rv = exec(&t->r, touch, args, 2, NULL, &n, err)))
            return rv;
        if (n > 0) {
            *fresh = 0;
            return APR_SUCCESS;
        }
        if ((rv = exec(&t->r, hold_id, args, 2, NULL, &n, err)))
            return rv;
        if (n > 0) {
            *fresh = 1;
            return APR_SUCCESS;
        }
        /* created and committed by another meanwhile: lock that */
    }
    *err = apr_psprintf(t->r.p, "%s: cannot lock (it keeps changing)", key);
    return GSPROV_EUNAVAIL;
}

/* Lock (once) and read: APR_SUCCESS, GSPROV_ENOTFOUND, or an error. */
static apr_status_t locked(dbd_txn_t *t, char kind, const char *key,
                           char **err)
{
    held_e *h;
    apr_status_t rv;
    int fresh;

    if (t->ended)
        return ended(t, err);
    if ((h = held(t, kind, key)))
        return *h == HELD_NEW || *h == HELD_GONE ? GSPROV_ENOTFOUND
                                                 : APR_SUCCESS;
    if ((rv = lock_row(t, kind == 'd' ? S_REC_TOUCH : S_ACT_TOUCH,
                       kind == 'd' ? S_REC_HOLD : S_ACT_HOLD, key, &fresh,
                       err)))
        return rv;
    hold(t, kind, key, fresh ? HELD_NEW : HELD_OLD);
    return fresh ? GSPROV_ENOTFOUND : APR_SUCCESS;
}

static apr_status_t db_record_lock(gsprov_txn_t *txn, const char *mac,
                                   gsprov_blob_t *cur, char **err)
{
    dbd_txn_t *t = txn->impl;
    apr_status_t rv = locked(t, 'd', mac, err);

    return rv == APR_SUCCESS ? get_record(&t->r, mac, cur, err) : rv;
}

/* Writes touch only what the transaction holds. */
static apr_status_t holds(dbd_txn_t *t, char kind, const char *key,
                          held_e **h, char **err)
{
    if (t->ended)
        return ended(t, err);
    if (!(*h = held(t, kind, key))) {
        *err = apr_psprintf(t->r.p, "%s: not locked by this transaction",
                            key);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static int has_group(const apr_array_header_t *a, int upto, const char *g)
{
    int i;
    for (i = 0; i < upto; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), g))
            return 1;
    return 0;
}

/* A record's variables as the listing finds them (S_VAR_ADD), the old
 * ones gone. */
static apr_status_t put_vars(run_t *r, const char *tenant_,
                             const char *mac, const gsprov_device_t *dev,
                             char **err)
{
    const char *del[2] = { tenant_, mac };
    apr_hash_index_t *hi;
    apr_status_t rv;

    if ((rv = exec(r, S_VAR_DEL, del, 2, NULL, NULL, err)))
        return rv;
    for (hi = apr_hash_first(r->p, dev->vars); hi; hi = apr_hash_next(hi)) {
        const char *value = apr_hash_this_val(hi);
        const char *va[4] = { tenant_, apr_hash_this_key(hi),
                              gsprov_store_version(r->p, value,
                                                   strlen(value)), mac };
        if (!va[2]) {
            *err = apr_psprintf(r->p, "record %s: cannot hash (OpenSSL)",
                                mac);
            return GSPROV_ECRYPTO;
        }
        if ((rv = exec(r, S_VAR_ADD, va, 4, NULL, NULL, err)))
            return rv;
    }
    return APR_SUCCESS;
}

static apr_status_t db_record_put(gsprov_txn_t *txn, const char *mac,
                                  const char *data, apr_size_t len,
                                  char **err)
{
    dbd_txn_t *t = txn->impl;
    apr_pool_t *p = txn->pool;
    const char *text = apr_pstrmemdup(p, data, len);
    const char *args[6], *del[2] = { t->r.d->o.tenant, mac };
    gsprov_device_t *dev;
    held_e *h;
    apr_status_t rv;
    int i;

    if ((rv = holds(t, 'd', mac, &h, err)))
        return rv;
    if (*h == HELD_GONE) {
        *err = apr_psprintf(p, "%s: removed earlier in this transaction", mac);
        return APR_EINVAL;
    }
    /* a TEXT column: the bytes must be UTF-8 (as the admin API writes
     * them) to come back byte for byte */
    if (strlen(text) != len || !xmlCheckUTF8((const xmlChar *)text)) {
        *err = apr_psprintf(p, "record %s: not UTF-8 text; the database "
                            "store keeps records as UTF-8", mac);
        return GSPROV_EINVAL;
    }
    if ((rv = gsprov_xml_parse_device(p, mac, text, len, "record", &dev,
                                      err)))
        return rv;
    args[0] = gsprov_store_version(p, text, len);
    args[1] = dev->model ? dev->model : "";
    args[2] = text;
    args[3] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                           (apr_int64_t)apr_time_sec(apr_time_now()));
    args[4] = t->r.d->o.tenant;
    args[5] = mac;
    if ((rv = exec(&t->r, S_REC_PUT, args, 6, NULL, NULL, err))
        || (rv = exec(&t->r, S_GRP_DEL, del, 2, NULL, NULL, err)))
        return rv;
    for (i = 0; i < dev->groups->nelts; i++) {
        const char *g = APR_ARRAY_IDX(dev->groups, i, const char *);
        const char *ga[3] = { t->r.d->o.tenant, g, mac };
        if (!has_group(dev->groups, i, g)
            && (rv = exec(&t->r, S_GRP_ADD, ga, 3, NULL, NULL, err)))
            return rv;
    }
    if ((rv = put_vars(&t->r, t->r.d->o.tenant, mac, dev, err)))
        return rv;
    apr_hash_set(t->written, apr_pstrdup(p, mac), APR_HASH_KEY_STRING,
                 args[0]);
    *h = HELD_WRITTEN;
    return APR_SUCCESS;
}

/* Remove a held row: GSPROV_ENOTFOUND if there is none. */
static apr_status_t remove_held(dbd_txn_t *t, char kind, const char *key,
                                int id, int also, char **err)
{
    const char *args[2] = { t->r.d->o.tenant, key };
    held_e *h;
    apr_status_t rv;

    if ((rv = holds(t, kind, key, &h, err)))
        return rv;
    if (*h == HELD_NEW || *h == HELD_GONE)
        return GSPROV_ENOTFOUND;
    if ((rv = exec(&t->r, id, args, 2, NULL, NULL, err))
        || (also >= 0 && (rv = exec(&t->r, also, args, 2, NULL, NULL, err))))
        return rv;
    *h = HELD_GONE;
    return APR_SUCCESS;
}

static apr_status_t db_record_delete(gsprov_txn_t *txn, const char *mac,
                                     char **err)
{
    dbd_txn_t *t = txn->impl;
    const char *args[2] = { t->r.d->o.tenant, mac };
    apr_status_t rv = remove_held(t, 'd', mac, S_REC_DEL, S_GRP_DEL, err);

    if (!rv)
        rv = exec(&t->r, S_VAR_DEL, args, 2, NULL, NULL, err);
    if (!rv)
        rv = exec(&t->r, S_ST_DEL, args, 2, NULL, NULL, err);
    return rv ? rv : exec(&t->r, S_FETCH_DEL, args, 2, NULL, NULL, err);
}

static apr_status_t db_activation_lock(gsprov_txn_t *txn,
                                       const char *number,
                                       gsprov_activation_t **cur, char **err)
{
    dbd_txn_t *t = txn->impl;
    apr_status_t rv = locked(t, 'a', number, err);

    return rv == APR_SUCCESS ? get_activation(&t->r, number, cur, err) : rv;
}

static apr_status_t db_activation_put(gsprov_txn_t *txn,
                                      const gsprov_activation_t *a,
                                      char **err)
{
    dbd_txn_t *t = txn->impl;
    apr_pool_t *p = txn->pool;
    const char *args[8];
    json_t *profile;
    held_e *h;
    apr_status_t rv;

    if ((rv = holds(t, 'a', a->number, &h, err)))
        return rv;
    if (*h == HELD_GONE) {
        *err = apr_psprintf(p, "activation %s: removed earlier in this "
                            "transaction", a->number);
        return APR_EINVAL;
    }
    if (gsprov_json_parse(p, a->profile, strlen(a->profile), &profile, err)
        != APR_SUCCESS || !json_is_object(profile)) {
        *err = apr_psprintf(p, "activation %s: the profile is not a JSON "
                            "object", a->number);
        return GSPROV_EINVAL;
    }
    args[0] = a->pin_hash;
    args[1] = apr_psprintf(p, "%" APR_INT64_T_FMT, a->created);
    args[2] = apr_psprintf(p, "%" APR_INT64_T_FMT, a->expires);
    args[3] = apr_itoa(p, a->failures);
    args[4] = a->claimed_by ? a->claimed_by : "";
    args[5] = a->profile;
    args[6] = t->r.d->o.tenant;
    args[7] = a->number;
    if ((rv = exec(&t->r, S_ACT_PUT, args, 8, NULL, NULL, err)))
        return rv;
    *h = HELD_WRITTEN;
    return APR_SUCCESS;
}

static apr_status_t db_activation_delete(gsprov_txn_t *txn,
                                         const char *number, char **err)
{
    return remove_held(txn->impl, 'a', number, S_ACT_DEL, -1, err);
}

static apr_status_t db_audit(gsprov_txn_t *txn, json_t *entry, char **err)
{
    dbd_txn_t *t = txn->impl;
    apr_pool_t *p = txn->pool;
    const json_t *mac = json_object_get(entry, "mac");
    const char *line = gsprov_audit_line(p, entry);
    const char *args[4];
    apr_status_t rv;

    if (t->ended)
        return ended(t, err);
    args[0] = t->r.d->o.tenant;
    args[1] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                           (apr_int64_t)apr_time_sec(apr_time_now()));
    args[2] = json_is_string(mac) ? json_string_value(mac) : "";
    args[3] = line;
    if ((rv = exec(&t->r, S_AUDIT, args, 4, NULL, NULL, err)))
        return rv;
    APR_ARRAY_PUSH(t->lines, const char *) = line;
    return APR_SUCCESS;
}

static int by_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The status rows of the records written: in_sync for the version each
 * now has (S_ST_SYNC), at the end of the transaction and in MAC order,
 * as the status flusher locks them: the two never wait for each other
 * in a cycle (a bulk import writes records in its file's order). */
static apr_status_t sync_status(dbd_txn_t *t, apr_pool_t *p, char **err)
{
    apr_array_header_t *macs = apr_array_make(p, apr_hash_count(t->written),
                                              sizeof(const char *));
    apr_hash_index_t *hi;
    apr_status_t rv;
    int i;

    for (hi = apr_hash_first(p, t->written); hi; hi = apr_hash_next(hi)) {
        held_e *h = held(t, 'd', apr_hash_this_key(hi));
        if (h && *h == HELD_WRITTEN)    /* (not removed since) */
            APR_ARRAY_PUSH(macs, const char *) = apr_hash_this_key(hi);
    }
    qsort(macs->elts, (size_t)macs->nelts, sizeof(const char *), by_str);
    for (i = 0; i < macs->nelts; i++) {
        const char *mac = APR_ARRAY_IDX(macs, i, const char *);
        const char *args[3] = { apr_hash_get(t->written, mac,
                                             APR_HASH_KEY_STRING),
                                t->r.d->o.tenant, mac };
        if ((rv = exec(&t->r, S_ST_SYNC, args, 3, NULL, NULL, err)))
            return rv;
    }
    return APR_SUCCESS;
}

static apr_status_t db_commit(gsprov_txn_t *txn, char **err)
{
    dbd_txn_t *t = txn->impl;
    apr_hash_index_t *hi;
    apr_status_t rv;
    int i;

    if (t->ended)
        return APR_SUCCESS;
    /* holds that were not written give their place back */
    for (hi = apr_hash_first(txn->pool, t->held); hi; hi = apr_hash_next(hi)) {
        const char *key = apr_hash_this_key(hi);
        const char *args[2] = { t->r.d->o.tenant, key + 1 };
        if (*(held_e *)apr_hash_this_val(hi) == HELD_NEW
            && (rv = exec(&t->r, key[0] == 'd' ? S_REC_UNHOLD : S_ACT_UNHOLD,
                          args, 2, NULL, NULL, err))) {
            end_txn(t, "ROLLBACK");
            return rv;
        }
    }
    if ((rv = sync_status(t, txn->pool, err))) {
        end_txn(t, "ROLLBACK");
        return rv;
    }
    t->ended = 1;
    if (plain(&t->r, "COMMIT", err)) {
        plain(&t->r, "ROLLBACK", NULL);
        return GSPROV_EUNAVAIL;
    }
    /* the trail is in the database; the file is a local copy */
    for (i = 0; t->log && i < t->lines->nelts; i++) {
        char *why = NULL;
        if (gsprov_audit_append(txn->pool, t->log,
                                APR_ARRAY_IDX(t->lines, i, const char *),
                                &why))
            gsprov_log(&txn->store->log, GSPROV_LOG_MARK, GSPROV_LOG_WARN,
                       GSPROV_LOGNO(1013) "%s (the change is in the "
                       "database's audit trail)", why);
    }
    return APR_SUCCESS;
}

static void db_rollback(gsprov_txn_t *txn)
{
    end_txn(txn->impl, "ROLLBACK");
}

/* ---- the provisioning status ------------------------------------------- */

/* Rows per upsert statement: few round trips, statements of bounded
 * size. */
#define STATUS_CHUNK 250

/* 'v' as an SQL literal of the connection's engine */
static const char *lit(run_t *r, const char *v)
{
    return apr_pstrcat(r->p, "'", apr_dbd_escape(r->c.driver, r->p, v ? v
                       : "", r->c.handle), "'", NULL);
}

/* The upserts' shared shape: rows from VALUES, only for devices with a
 * record (a scan of made-up MACs writes nothing), never replacing a newer
 * row (two nodes flush in any order).  The VALUES columns are column1..
 * in both engines. */
#define UPSERT_HEAD(table, cols, ncols) \
    "INSERT INTO " table " (" cols ") SELECT * FROM (VALUES "
#define UPSERT_TAIL(table) \
    ") AS v WHERE EXISTS (SELECT 1 FROM gsprov_devices d WHERE" \
    " d.tenant = v.column1 AND d.mac = v.column2 AND d.version <> '')"

/* The status row also says whether served_version is the record's
 * current version (in_sync, schema version 3: the index of the devices
 * out of sync): computed from the record here where a config was served,
 * else kept (every record write sets it, S_ST_SYNC).  The record is
 * joined in WHERE, not ON: SQLite would read an ON before ON CONFLICT
 * as the join's. */
static const char status_head[] = "INSERT INTO gsprov_device_status"
    " (tenant, mac, at, client, ua_model, ua_hardware, ua_firmware, kind,"
    " file, result, served_version, in_sync)"
    " SELECT v.*, v.column11 = d.version FROM (VALUES ";
static const char status_tail[] = ") AS v, gsprov_devices d"
    " WHERE d.tenant = v.column1 AND d.mac = v.column2 AND d.version <> ''"
    " ON CONFLICT (tenant, mac) DO UPDATE SET at = excluded.at,"
    " client = excluded.client, ua_model = excluded.ua_model,"
    " ua_hardware = excluded.ua_hardware, ua_firmware = excluded.ua_firmware,"
    " kind = excluded.kind, file = excluded.file, result = excluded.result,"
    " served_version = CASE WHEN excluded.served_version <> ''"
    " THEN excluded.served_version"
    " ELSE gsprov_device_status.served_version END,"
    " in_sync = CASE WHEN excluded.served_version <> ''"
    " THEN excluded.in_sync ELSE gsprov_device_status.in_sync END"
    " WHERE gsprov_device_status.at <= excluded.at";
/* ... and once more in the flush's transaction, for the rows it wrote
 * (their locks held since the upsert), by a statement that sees every
 * record write committed meanwhile: the upsert compared with the records
 * as they were when it started, and a record write that committed while
 * it waited for a row's lock set in_sync from the served_version then
 * replaced.  Rows already right are not written again. */
static const char sync_head[] = "UPDATE gsprov_device_status"
    " SET in_sync = NOT in_sync WHERE tenant = %s AND mac IN (";
static const char sync_tail[] = ") AND in_sync <> COALESCE((SELECT"
    " d.version = gsprov_device_status.served_version FROM gsprov_devices d"
    " WHERE d.tenant = gsprov_device_status.tenant"
    " AND d.mac = gsprov_device_status.mac AND d.version <> ''), false)";
static const char fetch_head[] = UPSERT_HEAD("gsprov_device_fetch",
    "tenant, mac, kind, at, client, file, result, version", 8);
static const char fetch_tail[] = UPSERT_TAIL("gsprov_device_fetch")
    " ON CONFLICT (tenant, mac, kind) DO UPDATE SET at = excluded.at,"
    " client = excluded.client, file = excluded.file,"
    " result = excluded.result, version = excluded.version"
    " WHERE gsprov_device_fetch.at <= excluded.at";

static int by_mac(const void *x, const void *y)
{
    return strcmp(((const gsprov_seen_dev_t *)x)->mac,
                  ((const gsprov_seen_dev_t *)y)->mac);
}

static apr_status_t run_rows(run_t *r, const char *head,
                             apr_array_header_t *rows, const char *tail,
                             char **err)
{
    const char *sql;

    if (!rows->nelts)
        return APR_SUCCESS;
    sql = apr_pstrcat(r->p, head, apr_array_pstrcat(r->p, rows, ','), tail,
                      NULL);
    apr_array_clear(rows);
    return plain(r, sql, err) ? GSPROV_EUNAVAIL : APR_SUCCESS;
}

/* One chunk's statements in a transaction of its own: a flush holds no
 * lock for long. */
static apr_status_t run_chunk(run_t *r, apr_array_header_t *st_rows,
                              apr_array_header_t *macs,
                              apr_array_header_t *f_rows, char **err)
{
    apr_status_t rv;

    if ((rv = begin_sql(r, err)))
        return rv;
    if ((rv = run_rows(r, status_head, st_rows, status_tail, err))
        || (rv = run_rows(r, apr_psprintf(r->p, sync_head,
                                          lit(r, tenant(r))),
                          macs, sync_tail, err))
        || (rv = run_rows(r, fetch_head, f_rows, fetch_tail, err))
        || (plain(r, "COMMIT", err) && (rv = GSPROV_EUNAVAIL)))
        plain(r, "ROLLBACK", NULL);
    r->in_txn = 0;
    return rv;
}

/* One statement per STATUS_CHUNK devices for each table, in MAC order
 * (two nodes, and a record write's S_ST_SYNC at its commit, lock rows in
 * the same order), each chunk its own transaction. */
static apr_status_t db_status_put(gsprov_store_t *s, apr_pool_t *p,
                                  const apr_array_header_t *batch, char **err)
{
    apr_array_header_t *devs = gsprov_seen_by_device(p, batch);
    apr_array_header_t *st_rows, *f_rows, *macs;
    apr_status_t rv;
    run_t r;
    int i, j;

    if (!devs->nelts)
        return APR_SUCCESS;
    if ((rv = reader(s, p, &r, err)))
        return rv;
    qsort(devs->elts, (size_t)devs->nelts, sizeof(gsprov_seen_dev_t), by_mac);
    st_rows = apr_array_make(p, STATUS_CHUNK, sizeof(const char *));
    f_rows = apr_array_make(p, STATUS_CHUNK * 2, sizeof(const char *));
    macs = apr_array_make(p, STATUS_CHUNK, sizeof(const char *));
    for (i = 0; i < devs->nelts; i++) {
        const gsprov_seen_dev_t *d = &APR_ARRAY_IDX(devs, i,
                                                    gsprov_seen_dev_t);
        const gsprov_seen_t *l = d->last;
        const char *t = lit(&r, tenant(&r)), *m = lit(&r, d->mac);

        APR_ARRAY_PUSH(st_rows, const char *) = apr_psprintf(p,
            "(%s,%s,%" APR_INT64_T_FMT ",%s,%s,%s,%s,%s,%s,%d,%s)", t, m,
            l->at, lit(&r, l->client), lit(&r, l->ua_model),
            lit(&r, l->ua_hardware), lit(&r, l->ua_firmware),
            lit(&r, l->kind), lit(&r, l->file), l->result,
            lit(&r, d->served ? d->served->version : ""));
        APR_ARRAY_PUSH(macs, const char *) = m;
        for (j = 0; j < d->each->nelts; j++) {
            const gsprov_seen_t *e = APR_ARRAY_IDX(d->each, j,
                                                   const gsprov_seen_t *);
            APR_ARRAY_PUSH(f_rows, const char *) = apr_psprintf(p,
                "(%s,%s,%s,%" APR_INT64_T_FMT ",%s,%s,%d,%s)", t, m,
                lit(&r, e->kind), e->at, lit(&r, e->client),
                lit(&r, e->file), e->result, lit(&r, e->version));
        }
        if ((st_rows->nelts == STATUS_CHUNK || i == devs->nelts - 1)
            && (rv = run_chunk(&r, st_rows, macs, f_rows, err)))
            return rv;
    }
    return APR_SUCCESS;
}

static void seen_row(run_t *r, apr_dbd_row_t *row, int at, const char *mac,
                     gsprov_seen_t *s)
{
    memset(s, 0, sizeof(*s));
    s->mac = mac;
    s->at = apr_atoi64(col(r, row, at));
    s->client = apr_pstrdup(r->p, col(r, row, at + 1));
    s->ua_model = s->ua_hardware = s->ua_firmware = s->version = "";
}

static apr_status_t db_status_get(gsprov_store_t *s, apr_pool_t *p,
                                  const char *mac, gsprov_devstatus_t **out,
                                  char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    gsprov_devstatus_t *st;
    gsprov_seen_t by_kind[GSPROV_SEEN_NKINDS];
    int have[GSPROV_SEEN_NKINDS] = { 0 }, i;
    run_t r;
    apr_status_t rv;

    *out = NULL;
    if ((rv = select_mac(s, p, &r, S_ST_GET, mac, &res, err)))
        return rv;
    if (!next_row(&r, res, &row))
        return APR_SUCCESS;
    st = apr_pcalloc(p, sizeof(*st));
    seen_row(&r, row, 0, apr_pstrdup(p, mac), &st->last);
    st->last.ua_model = apr_pstrdup(p, col(&r, row, 2));
    st->last.ua_hardware = apr_pstrdup(p, col(&r, row, 3));
    st->last.ua_firmware = apr_pstrdup(p, col(&r, row, 4));
    st->last.kind = apr_pstrdup(p, col(&r, row, 5));
    st->last.file = apr_pstrdup(p, col(&r, row, 6));
    st->last.result = atoi(col(&r, row, 7));
    st->served_version = apr_pstrdup(p, col(&r, row, 8));
    while (next_row(&r, res, &row))
        ;                       /* (the driver's rows are read to the end) */
    row = NULL;
    if ((rv = select_mac(s, p, &r, S_ST_FETCH, mac, &res, err)))
        return rv;
    while (next_row(&r, res, &row)) {
        int k = gsprov_seen_kind_index(col(&r, row, 0));
        if (k < 0)
            continue;
        seen_row(&r, row, 1, st->last.mac, &by_kind[k]);
        by_kind[k].kind = apr_pstrdup(p, col(&r, row, 0));
        by_kind[k].file = apr_pstrdup(p, col(&r, row, 3));
        by_kind[k].result = atoi(col(&r, row, 4));
        by_kind[k].version = apr_pstrdup(p, col(&r, row, 5));
        have[k] = 1;
    }
    st->fetch = apr_array_make(p, GSPROV_SEEN_NKINDS, sizeof(gsprov_seen_t));
    for (i = 0; i < GSPROV_SEEN_NKINDS; i++)
        if (have[i])
            *(gsprov_seen_t *)apr_array_push(st->fetch) = by_kind[i];
    *out = st;
    return APR_SUCCESS;
}

static apr_status_t db_status_count(gsprov_store_t *s, apr_pool_t *p,
                                    apr_int64_t since, apr_int64_t *n,
                                    char **err)
{
    const char *args[2];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    run_t r;
    apr_status_t rv;

    *n = 0;
    if ((rv = reader(s, p, &r, err)))
        return rv;
    args[0] = tenant(&r);
    args[1] = apr_psprintf(p, "%" APR_INT64_T_FMT, since);
    if ((rv = exec(&r, S_ST_COUNT, args, 2, &res, NULL, err)))
        return rv;
    while (next_row(&r, res, &row))
        *n = apr_atoi64(col(&r, row, 0));
    return APR_SUCCESS;
}

/* ---- opening ---------------------------------------------------------- */

static const gsprov_store_ops_t dbd_ops = {
    .name = "dbd",
    .templates = db_templates,
    .record_get = db_record_get,
    .record_version = db_record_version,
    .record_list = db_record_list,
    .record_iterate = db_record_iterate,
    .activation_get = db_activation_get,
    .status_put = db_status_put,
    .status_get = db_status_get,
    .status_count = db_status_count,
    .activation_list = db_activation_list,
    .begin = db_begin,
    .record_lock = db_record_lock,
    .record_put = db_record_put,
    .record_delete = db_record_delete,
    .activation_lock = db_activation_lock,
    .activation_put = db_activation_put,
    .activation_delete = db_activation_delete,
    .audit = db_audit,
    .commit = db_commit,
    .rollback = db_rollback,
};

gsprov_store_t *gsprov_store_dbd_open(apr_pool_t *p,
                                      const gsprov_dbd_opts_t *o)
{
    gsprov_store_t *s = apr_pcalloc(p, sizeof(*s));
    dbd_t *d = apr_palloc(p, sizeof(*d));

    d->o = *o;
    s->ops = &dbd_ops;
    s->label = apr_pstrcat(p, "database tenant ", o->tenant, NULL);
    s->log = o->log;
    s->impl = d;
    return s;
}

/* ---- schema ------------------------------------------------------------ */

/* gsprov_schema's version through connection c; 0 if the table cannot be
 * read on a connection that works (no schema yet). */
static apr_status_t schema_on(run_t *r, int *version, char **err)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;

    *version = 0;
    if (exec(r, S_SCHEMA, NULL, 0, &res, NULL, err) == APR_SUCCESS) {
        if (next_row(r, res, &row))
            *version = atoi(col(r, row, 0));
        while (next_row(r, res, &row))
            ;
        return APR_SUCCESS;
    }
    if (apr_dbd_check_conn(r->c.driver, r->p, r->c.handle) != APR_SUCCESS)
        return GSPROV_EUNAVAIL;
    return APR_SUCCESS;     /* (*err says why it could not be read) */
}

apr_status_t gsprov_store_dbd_schema(apr_pool_t *p,
                                     const gsprov_dbd_source_t *src,
                                     int *version, char **err)
{
    dbd_t d;
    run_t r;
    apr_status_t rv;

    memset(&d, 0, sizeof(d));
    d.o.source = src;
    memset(&r, 0, sizeof(r));
    r.d = &d;
    r.p = p;
    *err = NULL;
    if ((rv = acquire(&r, err)))
        return rv;
    return schema_on(&r, version, err);
}

const char *gsprov_store_dbd_schema_check(apr_pool_t *p, int version)
{
    if (version == GSPROV_DBD_SCHEMA_VERSION)
        return NULL;
    if (version <= 0)
        return apr_psprintf(p, "the database has no gsprov schema (version "
                            "%d expected): create it with gsprov db init "
                            "--driver DRIVER --params PARAMS",
                            GSPROV_DBD_SCHEMA_VERSION);
    if (version < GSPROV_DBD_SCHEMA_VERSION)
        return apr_psprintf(p, "the database's gsprov schema is version %d, "
                            "this module needs version %d: upgrade it with "
                            "gsprov db init --driver DRIVER --params PARAMS",
                            version, GSPROV_DBD_SCHEMA_VERSION);
    return apr_psprintf(p, "the database's gsprov schema is version %d, "
                        "newer than this module knows (%d): upgrade "
                        "mod_gsprov", version, GSPROV_DBD_SCHEMA_VERSION);
}

/* ---- a connection of our own -------------------------------------------- */

typedef struct {
    gsprov_dbd_conn_t c;
} direct_t;

static apr_status_t direct_acquire(const gsprov_dbd_source_t *src,
                                   apr_pool_t *p, gsprov_dbd_conn_t *out,
                                   char **err)
{
    *out = ((direct_t *)src->baton)->c;
    return APR_SUCCESS;
}

static apr_status_t direct_close(void *data)
{
    direct_t *d = data;
    apr_dbd_close(d->c.driver, d->c.handle);
    return APR_SUCCESS;
}

apr_status_t gsprov_store_dbd_connect(apr_pool_t *p, const char *driver,
                                      const char *params,
                                      gsprov_dbd_source_t **out, char **err)
{
    direct_t *d = apr_pcalloc(p, sizeof(*d));
    gsprov_dbd_source_t *src = apr_pcalloc(p, sizeof(*src));
    const char *why = NULL;
    apr_status_t rv;
    int i, n;

    apr_dbd_init(p);
    if ((rv = apr_dbd_get_driver(p, driver, &d->c.driver))) {
        *err = apr_psprintf(p, "apr_dbd driver '%s' not available (%pm; "
                            "Debian: libaprutil1-dbd-%s)", driver, &rv,
                            driver);
        return GSPROV_EUNAVAIL;
    }
    if ((rv = apr_dbd_open_ex(d->c.driver, p, params, &d->c.handle, &why))
        || !d->c.handle) {
        *err = apr_psprintf(p, "cannot connect (%s): %s", driver,
                            why ? why : "unknown error");
        return GSPROV_EUNAVAIL;
    }
    apr_pool_cleanup_register(p, d, direct_close, apr_pool_cleanup_null);
    if (is_sqlite(&d->c))
        apr_dbd_query(d->c.driver, d->c.handle, &n,
                      "PRAGMA busy_timeout = " APR_STRINGIFY(
                          GSPROV_DBD_BUSY_TIMEOUT_MS));
    /* prepared once, with their labels (a database without the schema
     * fails them: they are then prepared per use) */
    d->c.prepared = apr_hash_make(p);
    for (i = 0; i < S_COUNT; i++) {
        apr_dbd_prepared_t *st = NULL;
        if (!apr_dbd_prepare(d->c.driver, p, d->c.handle, stmts[i].sql,
                             stmts[i].label, &st))
            apr_hash_set(d->c.prepared, stmts[i].label, APR_HASH_KEY_STRING,
                         st);
    }
    src->acquire = direct_acquire;
    src->baton = d;
    *out = src;
    return APR_SUCCESS;
}

/* ---- gsprov db init ----------------------------------------------------- */

/* Each statement of a migration (they end with ';' at a line's end). */
static apr_status_t run_script(run_t *r, const char *sql, char **err)
{
    char *copy = apr_pstrdup(r->p, sql), *s = copy, *e;

    while (*s) {
        while (*s && apr_isspace(*s))
            s++;
        if (!*s)
            break;
        if (!(e = strstr(s, ";\n")))
            e = s + strlen(s);
        else
            *e++ = '\0';
        if (plain(r, s, err))
            return GSPROV_EUNAVAIL;
        s = e;
    }
    return APR_SUCCESS;
}

/* Schema version 2 indexes the records' variables (gsprov_device_vars):
 * those of the records already there, every tenant's, in the upgrade's
 * transaction. */
#define VARS_VERSION 2

/* A row of S_ALL_PAGE, kept while the page's variables are written. */
typedef struct {
    const char *tenant, *mac, *record;
} all_row_t;

static apr_status_t backfill_vars(run_t *r, char **err)
{
    const char *tn = "", *after = "";
    apr_pool_t *outer = r->p, *pg, *one;
    apr_status_t rv = APR_SUCCESS;
    int got, i;

    apr_pool_create(&pg, outer);
    apr_pool_create(&one, outer);
    do {
        const char *args[4];
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;
        apr_array_header_t *rows;

        apr_pool_clear(pg);
        r->p = pg;
        args[0] = tn;
        args[1] = tn;
        args[2] = after;
        args[3] = apr_itoa(pg, ITERATE_PAGE);
        if ((rv = exec(r, S_ALL_PAGE, args, 4, &res, NULL, err)))
            break;
        /* the page is read whole before writing on the connection */
        rows = apr_array_make(pg, ITERATE_PAGE, sizeof(all_row_t));
        for (got = 0; next_row(r, res, &row); got++) {
            all_row_t *e = apr_array_push(rows);
            e->tenant = apr_pstrdup(pg, col(r, row, 0));
            e->mac = apr_pstrdup(pg, col(r, row, 1));
            e->record = apr_pstrdup(pg, col(r, row, 2));
        }
        for (i = 0; !rv && i < rows->nelts; i++) {
            const all_row_t *e = &APR_ARRAY_IDX(rows, i, all_row_t);
            gsprov_device_t *dev;
            char *why = NULL;

            apr_pool_clear(one);
            r->p = one;
            /* a record that does not parse has no variables to find */
            if (!gsprov_xml_parse_device(one, e->mac, e->record,
                                         strlen(e->record), "record", &dev,
                                         &why))
                rv = put_vars(r, e->tenant, e->mac, dev, err);
            r->p = pg;
        }
        if (rows->nelts) {
            const all_row_t *e = &APR_ARRAY_IDX(rows, rows->nelts - 1,
                                                all_row_t);
            tn = apr_pstrdup(outer, e->tenant);
            after = apr_pstrdup(outer, e->mac);
        }
    } while (!rv && got == ITERATE_PAGE);
    r->p = outer;
    if (rv && *err)     /* (from a pool about to go) */
        *err = apr_pstrdup(outer, *err);
    apr_pool_destroy(one);
    apr_pool_destroy(pg);
    return rv;
}

apr_status_t gsprov_store_dbd_init(apr_pool_t *p,
                                   const gsprov_dbd_source_t *src,
                                   const gsprov_dbd_migration_t *m, int n,
                                   int *from, int *to, char **err)
{
    const char *engine;
    char *why = NULL;
    dbd_t d;
    run_t r;
    apr_status_t rv;
    int i, last = 0;

    memset(&d, 0, sizeof(d));
    d.o.source = src;
    memset(&r, 0, sizeof(r));
    r.d = &d;
    r.p = p;
    if ((rv = acquire(&r, err)) || (rv = schema_on(&r, from, &why))) {
        if (!*err)
            *err = why;
        return rv;
    }
    engine = apr_dbd_name(r.c.driver);
    for (i = 0; i < n; i++)
        if (!strcmp(m[i].engine, engine) && m[i].version > last)
            last = m[i].version;
    *to = *from;
    if (!last) {
        *err = apr_psprintf(p, "no schema for the %s driver", engine);
        return APR_ENOTIMPL;
    }
    if (*from > last) {
        *err = apr_psprintf(p, "the database's gsprov schema is version %d, "
                            "newer than this tool knows (%d)", *from, last);
        return GSPROV_ECORRUPT;
    }
    if (*from == last)
        return APR_SUCCESS;
    /* SQLite's journal: readers never wait for the writer */
    if (is_sqlite(&r.c))
        plain(&r, "PRAGMA journal_mode = WAL", NULL);
    if ((rv = begin_sql(&r, err)))
        return rv;
    for (i = 0; i < n; i++) {
        if (strcmp(m[i].engine, engine) || m[i].version <= *from)
            continue;
        if ((rv = run_script(&r, m[i].sql, err))
            || plain(&r, apr_psprintf(p, "UPDATE gsprov_schema SET version "
                                      "= %d", m[i].version), err)) {
            plain(&r, "ROLLBACK", NULL);
            return GSPROV_EUNAVAIL;
        }
    }
    if (*from && *from < VARS_VERSION && last >= VARS_VERSION
        && (rv = backfill_vars(&r, err))) {
        plain(&r, "ROLLBACK", NULL);
        return rv;
    }
    if (plain(&r, "COMMIT", err)) {
        plain(&r, "ROLLBACK", NULL);
        return GSPROV_EUNAVAIL;
    }
    *to = last;
    return APR_SUCCESS;
}
