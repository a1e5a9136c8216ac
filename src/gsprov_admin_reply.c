/*
 * The admin API's answers and common steps (gsprov_admin.h): JSON
 * answers and errors with their log lines, the request body, a change's
 * transaction, the settings and templates a record is checked against.
 * Shared by gsprov_admin.c and gsprov_admin_bulk.c.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "gsprov_admin.h"
#include "gsprov_request.h"
#include "gsprov_error.h"
#include "gsprov_json.h"
#include "gsprov_audit.h"

APLOG_USE_MODULE(gsprov);

int gsprov_admin_send_json(gsprov_adm_t *a, int status, json_t *j)
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
int gsprov_admin_fail(gsprov_adm_t *a, int status, const char *logno,
                      int level, const char *field, const char *msg)
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
    return gsprov_admin_send_json(a, status, j);
}

/* A 500 whose cause is logged but not answered: causes name files and
 * paths on the server, so the body only says what failed and which log
 * line (logno) tells why. */
int gsprov_admin_internal(gsprov_adm_t *a, const char *logno,
                          const char *what, const char *detail)
{
    json_t *j = gsprov_json_pool(a->r->pool, json_object());

    json_object_set_new(j, "error", json_string(apr_psprintf(
        a->r->pool, "%s (the server's error log says why: %.10s)", what,
        logno)));
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, a->r, "%s%s %s: 500 %s: %s",
                  logno, a->r->method, a->r->uri, what,
                  detail ? detail : "unknown error");
    return gsprov_admin_send_json(a, HTTP_INTERNAL_SERVER_ERROR, j);
}

/* The location has no store the admin API can work with (500). */
int gsprov_admin_unfit(gsprov_adm_t *a, const char *why)
{
    return gsprov_admin_fail(a, HTTP_INTERNAL_SERVER_ERROR,
                             GSPROV_LOGNO(0701), APLOG_ERR, NULL, why);
}

/* Request-level problems (400/404/405/410/413/415): info. */
int gsprov_admin_bad_request(gsprov_adm_t *a, int status, const char *field,
                             const char *msg)
{
    return gsprov_admin_fail(a, status, GSPROV_LOGNO(0706), APLOG_INFO, field,
                             msg);
}

/* The database cannot answer: 503 with Retry-After, nothing changed. */
int gsprov_admin_unavailable(gsprov_adm_t *a, const char *err)
{
    json_t *j = gsprov_json_pool(a->r->pool, json_object());
    int status = gsprov_dbd_unavailable(a->r, GSPROV_LOGNO(1004), err);

    json_object_set_new(j, "error", json_string("the database cannot "
                                                "answer; try again later"));
    return gsprov_admin_send_json(a, status, j);
}

/* The store could not be written (lock, write, sync): 500. */
int gsprov_admin_io_error(gsprov_adm_t *a, apr_status_t rv, const char *err)
{
    if (rv == GSPROV_EUNAVAIL)
        return gsprov_admin_unavailable(a, err);
    return gsprov_admin_internal(a, GSPROV_LOGNO(0704),
                                 "the store could not be written", err);
}

/* What the store holds cannot be read: 500; a store without this kind
 * of read is unfit. */
int gsprov_admin_unreadable(gsprov_adm_t *a, apr_status_t rv, const char *msg)
{
    if (rv == APR_ENOTIMPL)
        return gsprov_admin_unfit(a, msg);
    if (rv == GSPROV_EUNAVAIL)
        return gsprov_admin_unavailable(a, msg);
    return gsprov_admin_internal(a, GSPROV_LOGNO(0711), "what the store "
                                 "holds could not be read", msg);
}

/* The request body, at most max bytes: 413 beyond (before reading when
 * Content-Length says so).  OK with *buf (NUL-terminated) and *len, or
 * DONE. */
int gsprov_admin_read_body(gsprov_adm_t *a, apr_size_t max, char **out,
                           apr_size_t *len)
{
    request_rec *r = a->r;
    const char *over = apr_psprintf(r->pool, "request body over %"
                                    APR_SIZE_T_FMT " bytes", max);
    const char *unread = "cannot read the request body";
    apr_size_t n = 0, cap = max < 65536 ? max + 1 : 65536;
    char *buf;
    int rc;

    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return gsprov_admin_bad_request(a, rc, NULL, unread);
    if (r->remaining > (apr_off_t)max)
        return gsprov_admin_bad_request(a, HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        NULL, over);
    if (r->remaining > 0)
        cap = (apr_size_t)r->remaining + 1;
    buf = apr_palloc(r->pool, cap);
    if (ap_should_client_block(r)) {
        long got;
        /* grows by doubling up to max + 1 (a chunked body has no length) */
        while ((got = ap_get_client_block(r, buf + n, cap - n)) > 0) {
            n += (apr_size_t)got;
            if (n > max)
                return gsprov_admin_bad_request(
                    a, HTTP_REQUEST_ENTITY_TOO_LARGE, NULL, over);
            if (n == cap) {
                char *nb;
                cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                nb = apr_palloc(r->pool, cap);
                memcpy(nb, buf, n);
                buf = nb;
            }
        }
        if (got < 0)
            return gsprov_admin_bad_request(a, HTTP_BAD_REQUEST, NULL,
                                            unread);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return OK;
}

/* A change's transaction, with the audit log it goes to (opened by the
 * parent at startup): OK with *txn, or DONE.  Without a log a store that
 * keeps no trail of its own refuses, rather than change unaudited. */
int gsprov_admin_begin(gsprov_adm_t *a, gsprov_txn_t **txn)
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
        return gsprov_admin_unfit(a, apr_psprintf(
            a->r->pool, "SetHandler gsprov-admin: the store of this location "
            "takes no changes (%s)", err));
    case GSPROV_EAUDIT:
        return gsprov_admin_fail(a, HTTP_INTERNAL_SERVER_ERROR,
                                 GSPROV_LOGNO(0702), APLOG_ERR, NULL,
                                 "writes need GsProvAuditLog for this "
                                 "location; refused");
    default:
        return gsprov_admin_io_error(a, rv, err);
    }
}

/* what the module would serve, never encrypted (validation, rendered) */
void gsprov_admin_settings(gsprov_adm_t *a, gsprov_settings_t *set)
{
    gsprov_request_settings(a->conf, NULL, set);
    set->plain = 1;
}

const gsprov_templates_t *gsprov_admin_templates(gsprov_adm_t *a)
{
    return gsprov_store_templates(a->store, a->r->pool,
                                  gsprov_conf_reload(a->conf));
}

/* ?secrets=1: only where GsProvAdminSecrets is on.  OK with *secrets, or
 * DONE (refused). */
int gsprov_admin_want_secrets(gsprov_adm_t *a, int *secrets)
{
    const char *s = apr_table_get(a->args, "secrets");

    *secrets = s && strcmp(s, "0");
    if (*secrets && !gsprov_conf_admin_secrets(a->conf))
        return gsprov_admin_fail(a, HTTP_FORBIDDEN, GSPROV_LOGNO(0712),
                                 APLOG_INFO, "secrets", "secrets are not "
                                 "available here (GsProvAdminSecrets off)");
    return OK;
}
