/*
 * SetHandler gsprov-admin: the device admin API and the PIN claim, as
 * JSON over HTTP under a <Location>.  httpd glue only: routing, bodies,
 * status codes, log lines (GSPROV07xx); everything done to the tenant's
 * data goes through the store's API (gsprov_store.h: reads, and changes
 * in a transaction with their audit entry), the rules are lib/admin
 * (gsprov_record.c, gsprov_precond.c, gsprov_activation.c).
 *
 * Every function that answers the request returns DONE; a step that may
 * answer returns OK to go on, or DONE when it has answered.
 *
 * Access control is httpd's own: whatever Require the <Location> says.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "apr_strings.h"

#include "mod_gsprov.h"
#include "gsprov_request.h"
#include "gsprov_error.h"
#include "gsprov_json.h"
#include "gsprov_record.h"
#include "gsprov_precond.h"
#include "gsprov_audit.h"
#include "gsprov_actor.h"
#include "gsprov_activation.h"
#include "gsprov_guard.h"
#include "gsprov_seen.h"

APLOG_USE_MODULE(gsprov);

/* one request */
typedef struct {
    request_rec *r;
    gsprov_dir_conf *conf;
    gsprov_store_t *store;
    gsprov_actor_t who;         /* for the audit trail */
    apr_table_t *args;          /* query parameters */
} adm_t;

/* ---- responses ------------------------------------------------------- */

static int send_json(adm_t *a, int status, json_t *j)
{
    request_rec *r = a->r;
    const char *s = apr_pstrcat(r->pool, gsprov_json_dump(r->pool, j), "\n",
                                NULL);
    size_t n = strlen(s);

    r->status = status;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (status == HTTP_NO_CONTENT)
        return DONE;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, (apr_off_t)n);
    ap_rwrite(s, (int)n, r);
    return DONE;
}

/* An error answer: {"error": msg[, "field": field]} and one log line with
 * a stable id, logno being GSPROV_LOGNO(nnnn) (never a secret: messages
 * name fields, not values). */
static int fail(adm_t *a, int status, const char *logno, int level,
                const char *field, const char *msg)
{
    json_t *j = gsprov_json_pool(a->r->pool, json_object());

    json_object_set_new(j, "error", json_string(msg));
    if (field && *field)
        json_object_set_new(j, "field", json_string(field));
    ap_log_rerror(APLOG_MARK, level, 0, a->r, "%s%s %s: %d %s%s%s", logno,
                  a->r->method, a->r->uri, status, msg,
                  field && *field ? " (field " : "",
                  field && *field ? apr_pstrcat(a->r->pool, field, ")", NULL)
                                  : "");
    return send_json(a, status, j);
}

/* A 500 whose cause is logged but not answered: causes name files and
 * paths on the server, so the body only says what failed and which log
 * line (logno) tells why. */
static int internal(adm_t *a, const char *logno, const char *what,
                    const char *detail)
{
    json_t *j = gsprov_json_pool(a->r->pool, json_object());

    json_object_set_new(j, "error", json_string(apr_psprintf(
        a->r->pool, "%s (the server's error log says why: %.10s)", what,
        logno)));
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, a->r, "%s%s %s: 500 %s: %s",
                  logno, a->r->method, a->r->uri, what,
                  detail ? detail : "unknown error");
    return send_json(a, HTTP_INTERNAL_SERVER_ERROR, j);
}

/* The location has no store the admin API can work with (500). */
static int unfit(adm_t *a, const char *why)
{
    return fail(a, HTTP_INTERNAL_SERVER_ERROR, GSPROV_LOGNO(0701), APLOG_ERR,
                NULL, why);
}

/* Request-level problems (400/404/405/410/413/415): info. */
static int bad_request(adm_t *a, int status, const char *field,
                       const char *msg)
{
    return fail(a, status, GSPROV_LOGNO(0706), APLOG_INFO, field, msg);
}

static int not_allowed(adm_t *a, const char *allow)
{
    apr_table_setn(a->r->headers_out, "Allow", allow);
    return bad_request(a, HTTP_METHOD_NOT_ALLOWED, NULL,
                       apr_psprintf(a->r->pool, "method %s not allowed here "
                                    "(allowed: %s)", a->r->method, allow));
}

/* The database cannot answer: 503 with Retry-After, nothing changed. */
static int unavailable(adm_t *a, const char *err)
{
    json_t *j = gsprov_json_pool(a->r->pool, json_object());
    int status = gsprov_dbd_unavailable(a->r, GSPROV_LOGNO(1004), err);

    json_object_set_new(j, "error", json_string("the database cannot "
                                                "answer; try again later"));
    return send_json(a, status, j);
}

/* The store could not be written (lock, write, sync): 500. */
static int io_error(adm_t *a, apr_status_t rv, const char *err)
{
    if (rv == GSPROV_EUNAVAIL)
        return unavailable(a, err);
    return internal(a, GSPROV_LOGNO(0704), "the store could not be written",
                    err);
}

/* What the store holds cannot be read: 500; a store without this kind
 * of read is unfit. */
static int unreadable(adm_t *a, apr_status_t rv, const char *msg)
{
    if (rv == APR_ENOTIMPL)
        return unfit(a, msg);
    if (rv == GSPROV_EUNAVAIL)
        return unavailable(a, msg);
    return internal(a, GSPROV_LOGNO(0711), "what the store holds could not "
                    "be read", msg);
}

/* The state does not allow the change (409). */
static int conflict(adm_t *a, const char *field, const char *msg)
{
    return fail(a, HTTP_CONFLICT, GSPROV_LOGNO(0713), APLOG_INFO, field, msg);
}

/* A record the templates reject: 422 naming the problem. */
static int invalid(adm_t *a, apr_status_t rv, const char *field,
                   const char *err)
{
    const char *what;
    switch (rv) {
    case GSPROV_EREF:      what = "unknown model or group"; break;
    case GSPROV_EUNDEFVAR: what = "undefined variable"; break;
    case GSPROV_EMIXED:    what = "config versions 1 and 2 mixed"; break;
    case GSPROV_EPARSE:    what = "invalid record"; break;
    case GSPROV_ETOOBIG:   what = "record too large"; break;
    default:               what = "invalid record"; break;
    }
    json_t *j = gsprov_json_pool(a->r->pool, json_object());
    json_object_set_new(j, "error", json_string(what));
    json_object_set_new(j, "detail", json_string(err ? err : what));
    if (field && *field)
        json_object_set_new(j, "field", json_string(field));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, a->r, GSPROV_LOGNO(0705)
                  "%s %s: 422 %s: %s", a->r->method, a->r->uri, what,
                  err ? err : "");
    return send_json(a, HTTP_UNPROCESSABLE_ENTITY, j);
}

/* ---- requests -------------------------------------------------------- */

/* The JSON body of a write: 415 unless application/json, 413 over
 * GSPROV_ADMIN_MAX_BODY, 400 unless it parses.  OK with *out, or DONE. */
static int read_json(adm_t *a, json_t **out)
{
    request_rec *r = a->r;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t n = 0;
    char *buf;
    char *err = NULL;
    int rc;

    if (!ct || strncasecmp(ct, "application/json", 16)
        || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return bad_request(a, HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                           "Content-Type must be application/json");
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return bad_request(a, rc, NULL, "cannot read the request body");
    if (r->remaining > GSPROV_ADMIN_MAX_BODY)
        return bad_request(a, HTTP_REQUEST_ENTITY_TOO_LARGE, NULL,
                           apr_psprintf(r->pool, "request body over %d bytes",
                                        GSPROV_ADMIN_MAX_BODY));
    buf = apr_palloc(r->pool, GSPROV_ADMIN_MAX_BODY + 1);
    if (ap_should_client_block(r)) {
        long got;
        while ((got = ap_get_client_block(r, buf + n,
                                          GSPROV_ADMIN_MAX_BODY + 1 - n)) > 0) {
            n += (apr_size_t)got;
            if (n > GSPROV_ADMIN_MAX_BODY)
                return bad_request(a, HTTP_REQUEST_ENTITY_TOO_LARGE, NULL,
                                   apr_psprintf(r->pool, "request body over "
                                                "%d bytes",
                                                GSPROV_ADMIN_MAX_BODY));
        }
        if (got < 0)
            return bad_request(a, HTTP_BAD_REQUEST, NULL,
                               "cannot read the request body");
    }
    if (gsprov_json_parse(r->pool, buf, n, out, &err) != APR_SUCCESS)
        return bad_request(a, HTTP_BAD_REQUEST, NULL, err);
    return OK;
}

/* A change's transaction, with the audit log it goes to (opened by the
 * parent at startup): OK with *txn, or DONE.  Without a log a store that
 * keeps no trail of its own refuses, rather than change unaudited. */
static int begin(adm_t *a, gsprov_txn_t **txn)
{
    gsprov_audit_t *au = gsprov_auditlog_get(a->conf->audit_log);
    char *err = NULL;
    apr_status_t rv;

    /* "GsProvAuditLog none": this location changes nothing, whatever the
     * store (a database store keeps its trail in its own table, and
     * copies it to the file when one is named) */
    if (a->conf->audit_log == gsprov_auditlog_none())
        rv = GSPROV_EAUDIT;
    else
        rv = gsprov_store_begin(a->store, a->r->pool, au, txn, &err);
    switch (rv) {
    case APR_SUCCESS:
        return OK;
    case APR_ENOTIMPL:
        return unfit(a, apr_psprintf(a->r->pool, "SetHandler gsprov-admin: "
                                     "the store of this location takes no "
                                     "changes (%s)", err));
    case GSPROV_EAUDIT:
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, GSPROV_LOGNO(0702),
                    APLOG_ERR, NULL, "writes need GsProvAuditLog for this "
                    "location; refused");
    default:
        return io_error(a, rv, err);
    }
}

/* A change took effect but its audit entry could not be written: logged,
 * not undone. */
static void unaudited(adm_t *a, const char *err, const char *mac,
                      const char *number)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, a->r, GSPROV_LOGNO(0703)
                  "%s (change to %s%s not audited)", err,
                  mac ? mac : "activation ", mac ? "" : number);
}

/* Commit a change to mac's record: OK, or DONE. */
static int commit(adm_t *a, gsprov_txn_t *txn, const char *mac)
{
    char *err = NULL;
    apr_status_t rv = gsprov_store_commit(txn, &err);

    if (rv == GSPROV_EAUDIT)
        unaudited(a, err, mac, NULL);
    else if (rv != APR_SUCCESS)
        return io_error(a, rv, err);
    return OK;
}

/* what the module would serve, never encrypted (validation, rendered) */
static void settings(adm_t *a, gsprov_settings_t *set)
{
    gsprov_request_settings(a->conf, NULL, set);
    set->plain = 1;
}

static const gsprov_templates_t *templates(adm_t *a)
{
    return gsprov_store_templates(a->store, a->r->pool,
                                  gsprov_conf_reload(a->conf));
}

/* Layers of a valid record's chain that set what the record owns
 * (P1359-P1361): "warnings" in the answer, not a refusal, since what is
 * served agrees with the record anyway.  The record's own config is named
 * by its JSON field, templates by file and line. */
static void add_warnings(adm_t *a, json_t *res, const gsprov_templates_t *t,
                         const gsprov_device_t *dev)
{
    apr_pool_t *p = a->r->pool;
    apr_array_header_t *w = apr_array_make(p, 4,
                                           sizeof(gsprov_guard_warning_t));
    json_t *arr;
    int i;

    gsprov_guard_chain(p, t, dev, w);
    if (!w->nelts)
        return;
    arr = json_array();
    for (i = 0; i < w->nelts; i++) {
        const gsprov_guard_warning_t *g =
            &APR_ARRAY_IDX(w, i, gsprov_guard_warning_t);
        json_array_append_new(arr, json_string(
            strcmp(g->src, dev->label)
            ? apr_psprintf(p, "%s:%d: %s", g->src, g->line, g->msg)
            : apr_psprintf(p, "config.%s: %s", g->name, g->msg)));
    }
    json_object_set_new(res, "warnings", arr);
}

/* ?secrets=1: only where GsProvAdminSecrets is on.  OK with *secrets, or
 * DONE (refused). */
static int want_secrets(adm_t *a, int *secrets)
{
    const char *s = apr_table_get(a->args, "secrets");

    *secrets = s && strcmp(s, "0");
    if (*secrets && !gsprov_conf_admin_secrets(a->conf))
        return fail(a, HTTP_FORBIDDEN, GSPROV_LOGNO(0712), APLOG_INFO,
                    "secrets", "secrets are not available here "
                    "(GsProvAdminSecrets off)");
    return OK;
}

/* A record's bytes, parsed (the label is for API clients: no path).
 * OK with *dev, or DONE. */
static int parse_record(adm_t *a, const char *mac, const gsprov_blob_t *b,
                        gsprov_device_t **dev)
{
    char *err = NULL;

    if (gsprov_xml_parse_device(a->r->pool, mac, b->data, b->len,
                                apr_pstrcat(a->r->pool, "devices/", mac,
                                            ".xml", NULL), dev, &err))
        return unreadable(a, GSPROV_EPARSE, apr_psprintf(
                          a->r->pool, "record unreadable: %s",
                          err ? err : "unknown error"));
    return OK;
}

/* ---- /devices/<mac> -------------------------------------------------- */

/* rec with its "status" (gsprov_seen.h; null: never seen).  Best-effort
 * like the recording: a status that cannot be read is left out (logged),
 * the record is still answered. */
static json_t *with_status(adm_t *a, json_t *rec, const char *mac,
                           const char *version)
{
    gsprov_devstatus_t *st = NULL;
    char *err = NULL;
    apr_status_t rv;

    rv = gsprov_store_status_get(a->store, a->r->pool, mac, &st, &err);
    if (rv == APR_SUCCESS)
        json_object_set_new(rec, "status", st ? json_incref(gsprov_seen_json(
                            a->r->pool, st, version)) : json_null());
    else if (rv != APR_ENOTIMPL)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, a->r, GSPROV_LOGNO(1105)
                      "device %s: its provisioning status cannot be read: "
                      "%s", mac, err ? err : "unknown error");
    return rec;
}

static int device_get(adm_t *a, const char *mac)
{
    request_rec *r = a->r;
    gsprov_device_t *dev;
    gsprov_blob_t b;
    char *err = NULL;
    apr_status_t rv;
    int secrets, rc;

    if ((rc = want_secrets(a, &secrets)) != OK)
        return rc;
    rv = gsprov_store_record_get(a->store, r->pool, mac, &b, &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           r->pool, "no record for device %s", mac));
    if (rv != APR_SUCCESS)
        return unreadable(a, rv, apr_psprintf(r->pool, "record unreadable: "
                                              "%s", err ? err
                                              : "unknown error"));
    if ((rc = parse_record(a, mac, &b, &dev)) != OK)
        return rc;
    apr_table_setn(r->headers_out, "ETag",
                   gsprov_precond_etag(r->pool, b.version));
    return send_json(a, HTTP_OK, with_status(a, gsprov_record_to_json(
                     r->pool, dev, secrets), mac, b.version));
}

/* Lock mac's record in txn and check the request's preconditions against
 * it (RFC 9110 13.1): OK with *cur and *etag (NULL: no record) and, when
 * old is given, the record parsed; or DONE (the caller rolls back).  For
 * a DELETE, a record that cannot be read is an I/O error, and a missing
 * one is 404 unless If-Match asked for one (13.2.2: If-Match first). */
static int lock_record(adm_t *a, gsprov_txn_t *txn, const char *mac,
                       int deleting, gsprov_blob_t *cur, const char **etag,
                       gsprov_device_t **old)
{
    request_rec *r = a->r;
    gsprov_precond_t pc;
    char *err = NULL;
    apr_status_t rv = gsprov_store_record_lock(txn, mac, cur, &err);
    int rc;

    *etag = NULL;
    if (rv == GSPROV_ECORRUPT && !deleting)
        return unreadable(a, rv, apr_psprintf(r->pool, "record unreadable: "
                                              "%s", err));
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
        return io_error(a, rv, err);
    if (rv == APR_SUCCESS) {
        *etag = gsprov_precond_etag(r->pool, cur->version);
        if (old && (rc = parse_record(a, mac, cur, old)) != OK)
            return rc;
    }
    pc.if_match = apr_table_get(r->headers_in, "If-Match");
    pc.if_none_match = apr_table_get(r->headers_in, "If-None-Match");
    if (!gsprov_precond_ok(&pc, *etag)
        && (!deleting || *etag || pc.if_match)) {
        if (*etag && !deleting)
            apr_table_setn(r->headers_out, "ETag", *etag);
        return fail(a, HTTP_PRECONDITION_FAILED, GSPROV_LOGNO(0710),
                    APLOG_INFO, NULL, apr_psprintf(
                    r->pool, "precondition failed: device %s %s", mac,
                    *etag ? "has another version" : "has no record"));
    }
    if (deleting && !*etag)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           r->pool, "no record for device %s", mac));
    return OK;
}

static int device_put(adm_t *a, const char *mac)
{
    request_rec *r = a->r;
    gsprov_settings_t set;
    gsprov_txn_t *txn;
    gsprov_device_t *dev, *olddev;
    gsprov_blob_t cur;
    json_t *body, *oldj = NULL, *res;
    const gsprov_templates_t *t;
    const char *field = NULL, *etag;
    char *xml, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int rc;

    if ((rc = read_json(a, &body)) != OK)
        return rc;
    if ((rv = gsprov_record_from_json(r->pool, mac, body, &xml, &len, &field,
                                      &err)))
        return invalid(a, rv, field, err);
    settings(a, &set);
    t = templates(a);
    if ((rv = gsprov_record_check(r->pool, t, &set, mac, xml, len, &dev,
                                  &err)))
        return invalid(a, rv, NULL, err);

    /* one writer per record, across threads and processes (a database
     * store: across nodes) */
    if ((rc = begin(a, &txn)) != OK)
        return rc;
    if ((rc = lock_record(a, txn, mac, 0, &cur, &etag, &olddev)) != OK) {
        gsprov_store_rollback(txn);
        return rc;
    }
    if (etag)
        oldj = gsprov_record_to_json(r->pool, olddev, 1);
    if ((rv = gsprov_store_record_put(txn, mac, xml, len, &err))
        || (rv = gsprov_actor_audit(txn, &a->who, "device-put", mac, NULL,
                                    etag ? "replaced" : "created",
                                    gsprov_record_changes(
                                        r->pool, oldj, gsprov_record_to_json(
                                            r->pool, dev, 1)), &err))) {
        gsprov_store_rollback(txn);
        return io_error(a, rv, err);
    }
    if ((rc = commit(a, txn, mac)) != OK)
        return rc;
    apr_table_setn(r->headers_out, "ETag", gsprov_precond_etag(
                   r->pool, gsprov_store_version(r->pool, xml, len)));
    if (!etag)
        apr_table_setn(r->headers_out, "Location", r->uri);
    res = gsprov_record_to_json(r->pool, dev, 0);
    add_warnings(a, res, t, dev);
    return send_json(a, etag ? HTTP_OK : HTTP_CREATED, res);
}

static int device_delete(adm_t *a, const char *mac)
{
    request_rec *r = a->r;
    gsprov_txn_t *txn;
    gsprov_device_t *olddev;
    gsprov_blob_t cur;
    const char *etag;
    char *err = NULL;
    apr_status_t rv;
    int rc;

    if ((rc = begin(a, &txn)) != OK)
        return rc;
    if ((rc = lock_record(a, txn, mac, 1, &cur, &etag, NULL)) != OK) {
        gsprov_store_rollback(txn);
        return rc;
    }
    /* what is removed, for the audit (an unparsable record: no fields) */
    if (gsprov_xml_parse_device(r->pool, mac, cur.data, cur.len, "old",
                                &olddev, &err))
        olddev = NULL;
    if (((rv = gsprov_store_record_delete(txn, mac, &err))
         && rv != GSPROV_ENOTFOUND)
        || (rv = gsprov_actor_audit(txn, &a->who, "device-delete", mac, NULL,
                                    "deleted", olddev
                                    ? gsprov_record_changes(
                                        r->pool, gsprov_record_to_json(
                                            r->pool, olddev, 1), NULL)
                                    : NULL, &err))) {
        gsprov_store_rollback(txn);
        return io_error(a, rv, err);
    }
    if ((rc = commit(a, txn, mac)) != OK)
        return rc;
    return send_json(a, HTTP_NO_CONTENT, NULL);
}

static int device_rendered(adm_t *a, const char *mac)
{
    request_rec *r = a->r;
    const char *file = apr_table_get(a->args, "file");
    gsprov_settings_t set;
    gsprov_output_t out;
    gsprov_name_t name;
    char *err = NULL;
    apr_status_t rv;

    if (!file)
        file = apr_pstrcat(r->pool, "cfg", mac, ".xml", NULL);
    if (!gsprov_name_resolve(file, strlen(file), &name)
        || strcmp(name.mac, mac))
        return bad_request(a, HTTP_BAD_REQUEST, "file", apr_psprintf(
                           r->pool, "file must be a file name of device %s "
                           "(cfg%s.xml, cfg%s, ...)", mac, mac, mac));
    settings(a, &set);
    name.any_affix = 1;     /* whatever prefix/postfix the device uses */
    rv = gsprov_provision(r->pool, a->store, templates(a), &name, &set, &out,
                          &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, err ? err : apr_psprintf(
                           r->pool, "no record for device %s", mac));
    if (rv == GSPROV_EUNAVAIL)
        return unavailable(a, err);
    if (rv != APR_SUCCESS)
        return internal(a, GSPROV_LOGNO(0714), "the file could not be "
                        "rendered", err);
    ap_set_content_type(r, out.content_type);
    ap_set_content_length(r, (apr_off_t)out.len);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rwrite(out.body, (int)out.len, r);
    return DONE;
}

/* ---- GET /devices ---------------------------------------------------- */

static int device_list(adm_t *a)
{
    request_rec *r = a->r;
    const char *group = apr_table_get(a->args, "group");
    const char *after = apr_table_get(a->args, "after");
    const char *lim = apr_table_get(a->args, "limit");
    char amac[GSPROV_MAC_LEN + 1];
    gsprov_list_query_t q;
    apr_array_header_t *items;
    json_t *res, *list;
    long limit = GSPROV_ADMIN_LIST_DEFAULT;
    char *err = NULL, *end;
    apr_status_t rv;
    int i, more;

    if (lim) {
        limit = strtol(lim, &end, 10);
        if (!*lim || *end || limit < 1 || limit > GSPROV_ADMIN_LIST_MAX)
            return bad_request(a, HTTP_BAD_REQUEST, "limit", apr_psprintf(
                               r->pool, "limit must be a number from 1 to %d",
                               GSPROV_ADMIN_LIST_MAX));
    }
    if (after && !gsprov_mac_parse(after, strlen(after), amac))
        return bad_request(a, HTTP_BAD_REQUEST, "after",
                           "after must be a MAC (12 hex digits)");
    if (group && !gsprov_name_group_valid(group, strlen(group)))
        return bad_request(a, HTTP_BAD_REQUEST, "group",
                           "group must be a group name ([A-Za-z0-9_-])");
    q.after = after ? amac : NULL;
    q.limit = (int)limit;
    q.group = group;
    if ((rv = gsprov_store_record_list(a->store, r->pool, &q, &items, &more,
                                       &err)))
        return unreadable(a, rv, err);

    res = gsprov_json_pool(r->pool, json_object());
    list = json_array();
    json_object_set_new(res, "devices", list);
    for (i = 0; i < items->nelts; i++) {
        const gsprov_listed_t *it = &APR_ARRAY_IDX(items, i, gsprov_listed_t);
        json_t *e = json_object();
        int g;

        json_object_set_new(e, "mac", json_string(it->mac));
        if (it->dev) {
            json_t *ga = json_array();
            if (it->dev->model)
                json_object_set_new(e, "model", json_string(it->dev->model));
            for (g = 0; g < it->dev->groups->nelts; g++)
                json_array_append_new(ga, json_string(
                    APR_ARRAY_IDX(it->dev->groups, g, const char *)));
            json_object_set_new(e, "groups", ga);
        }
        else    /* removed since the listing, or unreadable */
            json_object_set_new(e, "error", json_string(it->err));
        json_array_append_new(list, e);
    }
    json_object_set_new(res, "next", more && items->nelts
        ? json_string(APR_ARRAY_IDX(items, items->nelts - 1,
                                    gsprov_listed_t).mac)
        : json_null());
    return send_json(a, HTTP_OK, res);
}

/* ---- activations and claims ------------------------------------------ */

/* The number and PIN of a body, checked: OK with *out, or DONE. */
static int get_digits(adm_t *a, json_t *body, const char *key, int pin,
                      const char **out)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_string(v) || !(pin ? gsprov_activation_pin_valid
                                    : gsprov_activation_number_valid)(
                                  json_string_value(v)))
        return invalid(a, GSPROV_EINVAL, key, pin
            ? apr_psprintf(a->r->pool, "%s must be a string of %d to %d "
                           "digits", key, GSPROV_MIN_PIN_LEN,
                           GSPROV_MAX_PIN_LEN)
            : apr_psprintf(a->r->pool, "%s must be a string of 1 to %d "
                           "digits", key, GSPROV_MAX_NUMBER_LEN));
    *out = json_string_value(v);
    return OK;
}

/* A placeholder MAC to check a profile against the templates with. */
#define PROFILE_MAC "000000000000"

static int activation_create(adm_t *a)
{
    request_rec *r = a->r;
    gsprov_settings_t set;
    gsprov_activation_t *act;
    gsprov_txn_t *txn;
    const gsprov_templates_t *t;
    gsprov_device_t *dev;
    const char *number, *pin, *field = NULL;
    json_t *body, *profile, *res;
    char *xml, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int rc;

    if ((rc = read_json(a, &body)) != OK)
        return rc;
    if (!json_is_object(body))
        return invalid(a, GSPROV_EINVAL, "", "the body must be a JSON object");
    if ((rc = get_digits(a, body, "number", 0, &number)) != OK
        || (rc = get_digits(a, body, "pin", 1, &pin)) != OK)
        return rc;
    if (json_object_get(body, "mac"))
        return invalid(a, GSPROV_EINVAL, "mac", "an activation has no MAC "
                       "until it is claimed");
    /* the profile: everything else, a record as PUT /devices takes it */
    profile = gsprov_json_pool(r->pool, json_deep_copy(body));
    json_object_del(profile, "number");
    json_object_del(profile, "pin");
    settings(a, &set);
    if ((rv = gsprov_record_from_json(r->pool, PROFILE_MAC, profile, &xml,
                                      &len, &field, &err)))
        return invalid(a, rv, field, err);
    t = templates(a);
    if ((rv = gsprov_record_check(r->pool, t, &set, PROFILE_MAC, xml, len,
                                  &dev, &err)))
        return invalid(a, rv, NULL, err);
    if ((rc = begin(a, &txn)) != OK)
        return rc;
    rv = gsprov_activation_create(txn, &a->who, number, pin, profile,
                                  gsprov_conf_activation_ttl(a->conf), &act,
                                  &err);
    if (rv == GSPROV_ECONFLICT)
        return conflict(a, "number", err);
    if (rv == GSPROV_EAUDIT)
        unaudited(a, err, NULL, number);
    else if (rv != APR_SUCCESS)
        return io_error(a, rv, err);
    res = gsprov_json_pool(r->pool, json_object());
    json_object_set_new(res, "number", json_string(number));
    json_object_set_new(res, "created", json_integer(act->created));
    json_object_set_new(res, "expires", json_integer(act->expires));
    add_warnings(a, res, t, dev);
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, r->uri, "/", number, NULL));
    return send_json(a, HTTP_CREATED, res);
}

static int activation_get(adm_t *a, const char *number)
{
    request_rec *r = a->r;
    gsprov_settings_t set;
    gsprov_activation_t *act;
    gsprov_device_t *dev;
    const char *field;
    json_t *res, *profile;
    char *xml, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int secrets, rc;

    if ((rc = want_secrets(a, &secrets)) != OK)
        return rc;
    rv = gsprov_store_activation_get(a->store, r->pool, number, &act, &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           r->pool, "no pending activation for number %s",
                           number));
    if (rv != APR_SUCCESS)
        return unreadable(a, rv, err);
    res = gsprov_json_pool(r->pool, json_object());
    json_object_set_new(res, "number", json_string(number));
    json_object_set_new(res, "created", json_integer(act->created));
    json_object_set_new(res, "expires", json_integer(act->expires));
    json_object_set_new(res, "failures", json_integer(act->failures));
    json_object_set_new(res, "locked", json_boolean(
        act->failures >= gsprov_conf_claim_max_failures(a->conf)));
    json_object_set_new(res, "expired", json_boolean(
        gsprov_activation_expired(act)));
    json_object_set_new(res, "claimed_by", act->claimed_by
                        ? json_string(act->claimed_by) : json_null());
    /* the profile as a record, with secrets redacted the same way */
    settings(a, &set);
    if (!gsprov_json_parse(r->pool, act->profile, strlen(act->profile),
                           &profile, &err)
        && !gsprov_record_from_json(r->pool, PROFILE_MAC, profile, &xml, &len,
                                    &field, &err)
        && !gsprov_xml_parse_device(r->pool, PROFILE_MAC, xml, len, "profile",
                                    &dev, &err)) {
        json_t *p = gsprov_record_to_json(r->pool, dev, secrets);
        json_object_del(p, "mac");
        json_object_set(res, "profile", p);
    }
    return send_json(a, HTTP_OK, res);
}

static int activation_delete(adm_t *a, const char *number)
{
    gsprov_txn_t *txn;
    char *err = NULL;
    apr_status_t rv;
    int rc;

    if ((rc = begin(a, &txn)) != OK)
        return rc;
    rv = gsprov_activation_remove(txn, &a->who, number, &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           a->r->pool, "no pending activation for number %s",
                           number));
    if (rv == GSPROV_EAUDIT)
        unaudited(a, err, NULL, number);
    else if (rv != APR_SUCCESS)
        return io_error(a, rv, err);
    return send_json(a, HTTP_NO_CONTENT, NULL);
}

/* A wrong PIN (counted) or a locked activation: 403 or 423. */
static int wrong_pin(adm_t *a, apr_status_t rv, const gsprov_claim_t *res,
                     const char *mac, const char *err)
{
    json_t *out = gsprov_json_pool(a->r->pool, json_object());
    int locked = rv == GSPROV_ELOCKED;

    json_object_set_new(out, "error", json_string(locked ? "activation locked"
                                                         : "wrong PIN"));
    json_object_set_new(out, "failures", json_integer(res->failures));
    json_object_set_new(out, "max_failures", json_integer(
                        gsprov_conf_claim_max_failures(a->conf)));
    if (locked)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, a->r, GSPROV_LOGNO(0708)
                      "claim by %s: %s", mac, err);
    else
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, a->r, GSPROV_LOGNO(0707)
                      "claim by %s: %s", mac, err);
    return send_json(a, locked ? HTTP_LOCKED : HTTP_FORBIDDEN, out);
}

static int claim(adm_t *a)
{
    request_rec *r = a->r;
    gsprov_settings_t set;
    gsprov_claim_t res;
    gsprov_txn_t *txn;
    const char *number, *pin;
    char mac[GSPROV_MAC_LEN + 1];
    json_t *body, *v, *out;
    char *err = NULL;
    apr_status_t rv;
    int rc;

    if ((rc = read_json(a, &body)) != OK)
        return rc;
    if (!json_is_object(body))
        return invalid(a, GSPROV_EINVAL, "", "the body must be a JSON object");
    v = json_object_get(body, "mac");
    if (!json_is_string(v) || !gsprov_mac_parse(json_string_value(v),
                                                strlen(json_string_value(v)),
                                                mac))
        return invalid(a, GSPROV_EINVAL, "mac", "mac must be 12 hex digits");
    if ((rc = get_digits(a, body, "number", 0, &number)) != OK
        || (rc = get_digits(a, body, "pin", 1, &pin)) != OK
        || (rc = begin(a, &txn)) != OK)
        return rc;
    settings(a, &set);
    rv = gsprov_activation_claim(txn, &a->who, templates(a), &set, number,
                                 pin, mac,
                                 gsprov_conf_claim_max_failures(a->conf),
                                 &res, &err);
    if (res.unaudited)
        unaudited(a, res.unaudited, mac, NULL);
    switch (rv) {
    case APR_SUCCESS:
        break;
    case GSPROV_ENOTFOUND:
        return bad_request(a, HTTP_NOT_FOUND, "number", err);
    case GSPROV_EEXPIRED:
        return bad_request(a, HTTP_GONE, "number", err);
    case GSPROV_EBADPIN:
    case GSPROV_ELOCKED:
        return wrong_pin(a, rv, &res, mac, err);
    case GSPROV_ECONFLICT:
        return conflict(a, "mac", err);
    case GSPROV_EINVAL:
    case GSPROV_EREF:
    case GSPROV_EUNDEFVAR:
    case GSPROV_EMIXED:
    case GSPROV_EPARSE:
    case GSPROV_ECORRUPT:   /* the activation itself */
        return invalid(a, rv, res.field, err);
    default:
        return io_error(a, rv, err);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(0709)
                  "device %s claimed activation %s", mac, number);
    out = gsprov_json_pool(r->pool, json_object());
    json_object_set_new(out, "mac", json_string(mac));
    json_object_set_new(out, "number", json_string(number));
    apr_table_setn(r->headers_out, "ETag",
                   gsprov_precond_etag(r->pool, res.version));
    return send_json(a, HTTP_CREATED, out);
}

/* ---- routing --------------------------------------------------------- */

/* The path below the location, without leading slashes. */
static const char *below_location(request_rec *r)
{
    const char *rest = r->uri;
    const char *loc = ((core_dir_config *)ap_get_core_module_config(
                           r->per_dir_config))->d;
    size_t n = loc ? strlen(loc) : 0;

    /* the <Location> path, matched on a segment boundary */
    if (loc && n && strncmp(rest, loc, n) == 0
        && (rest[n] == '/' || rest[n] == '\0' || loc[n - 1] == '/'))
        rest += n;
    while (*rest == '/')
        rest++;
    return rest;
}

static int route(adm_t *a)
{
    request_rec *r = a->r;
    const char *rest, *slash;
    char mac[GSPROV_MAC_LEN + 1];
    int m = r->method_number;

    if (!a->store)
        return unfit(a, "SetHandler gsprov-admin needs GsProvRoot (the "
                     "templates, and the records unless GsProvStore dbd) for "
                     "this location");
    if (m != M_PUT && m != M_POST && ap_discard_request_body(r) != OK)
        return DONE;

    rest = below_location(r);
    if (!strcmp(rest, "devices")) {
        if (m != M_GET)
            return not_allowed(a, "GET, HEAD");
        return device_list(a);
    }
    if (!strncmp(rest, "devices/", 8)) {
        const char *seg = rest + 8;
        slash = strchr(seg, '/');
        if (!gsprov_mac_parse(seg, slash ? (size_t)(slash - seg)
                                         : strlen(seg), mac))
            return m == M_PUT
                ? invalid(a, GSPROV_EINVAL, "mac", "not a MAC: the URL "
                          "must end in 12 hex digits")
                : bad_request(a, HTTP_NOT_FOUND, "mac", "not a MAC");
        apr_table_setn(r->notes, "gsprov-mac", apr_pstrdup(r->pool, mac));
        if (slash && !strcmp(slash, "/rendered")) {
            if (m != M_GET)
                return not_allowed(a, "GET, HEAD");
            return device_rendered(a, mac);
        }
        if (slash)
            return bad_request(a, HTTP_NOT_FOUND, NULL, "no such resource");
        switch (m) {
        case M_GET:    return device_get(a, mac);
        case M_PUT:    return device_put(a, mac);
        case M_DELETE: return device_delete(a, mac);
        default:       return not_allowed(a, "GET, HEAD, PUT, DELETE");
        }
    }
    if (!strcmp(rest, "activations")) {
        if (m != M_POST)
            return not_allowed(a, "POST");
        return activation_create(a);
    }
    if (!strncmp(rest, "activations/", 12)) {
        const char *number = rest + 12;
        if (!gsprov_activation_number_valid(number))
            return bad_request(a, HTTP_NOT_FOUND, "number",
                               "not an activation number (digits)");
        switch (m) {
        case M_GET:    return activation_get(a, number);
        case M_DELETE: return activation_delete(a, number);
        default:       return not_allowed(a, "GET, HEAD, DELETE");
        }
    }
    if (!strcmp(rest, "claim")) {
        if (m != M_POST)
            return not_allowed(a, "POST");
        return claim(a);
    }
    return bad_request(a, HTTP_NOT_FOUND, NULL, "no such resource");
}

static int gsprov_admin_handler(request_rec *r)
{
    adm_t a;
    int rc;

    if (!r->handler || strcmp(r->handler, GSPROV_ADMIN_HANDLER) != 0)
        return DECLINED;
    memset(&a, 0, sizeof(a));
    a.r = r;
    a.conf = ap_get_module_config(r->per_dir_config, &gsprov_module);
    a.store = gsprov_request_store(r, 0);
    a.who.user = r->user;
    a.who.client = r->useragent_ip;
    a.who.method = r->method;
    r->status = HTTP_OK;
    ap_args_to_table(r, &a.args);
    rc = route(&a);
    return rc == DONE ? OK : rc;
}

void gsprov_register_admin(apr_pool_t *p)
{
    ap_hook_handler(gsprov_admin_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
