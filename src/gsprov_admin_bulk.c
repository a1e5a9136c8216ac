/*
 * The admin API in bulk (log ids GSPROV13xx):
 *   POST /devices:import[?dry_run=1]   text/csv or application/x-ndjson:
 *        every record checked like a PUT body; all written (one
 *        transaction, audited per device) or none: 422 with every problem
 *        and its line number
 *   GET /devices:export?format=jsonl|csv[&secrets=1]   every record, in
 *        MAC order, streamed
 * The formats and the rules are lib/admin (gsprov_bulk.c, gsprov_import.c,
 * gsprov_export.c); this is the httpd glue.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "gsprov_admin.h"
#include "gsprov_json.h"
#include "gsprov_import.h"
#include "gsprov_export.h"

APLOG_USE_MODULE(gsprov);

/* The format of an import body by its media type: 1, or 0. */
static int body_format(const char *ct, gsprov_bulk_format_e *fmt)
{
    static const struct { const char *type; gsprov_bulk_format_e f; } t[] = {
        { "text/csv", GSPROV_BULK_CSV },
        { "application/x-ndjson", GSPROV_BULK_JSONL },
        { "application/jsonl", GSPROV_BULK_JSONL },
        { "application/json-lines", GSPROV_BULK_JSONL },
    };
    size_t i, n;

    for (i = 0; ct && i < sizeof(t) / sizeof(t[0]); i++) {
        n = strlen(t[i].type);
        if (!strncasecmp(ct, t[i].type, n)
            && (!ct[n] || ct[n] == ';' || ct[n] == ' ')) {
            *fmt = t[i].f;
            return 1;
        }
    }
    return 0;
}

static int flag(gsprov_adm_t *a, const char *name)
{
    const char *v = apr_table_get(a->args, name);
    return v && strcmp(v, "0") && strcasecmp(v, "false");
}

static json_t *counts(apr_pool_t *p, const gsprov_import_t *im, int dry_run)
{
    json_t *j = gsprov_json_pool(p, json_object());

    json_object_set_new(j, "dry_run", json_boolean(dry_run));
    json_object_set_new(j, "records", json_integer(im->records));
    json_object_set_new(j, "created", json_integer(im->created));
    json_object_set_new(j, "replaced", json_integer(im->replaced));
    json_object_set_new(j, "unchanged", json_integer(im->unchanged));
    return j;
}

/* 422: every problem, nothing changed. */
static int problems(gsprov_adm_t *a, const gsprov_import_t *im)
{
    request_rec *r = a->r;
    json_t *j = counts(r->pool, im, flag(a, "dry_run"));
    json_t *list = json_array();
    int i, n = im->problems->nelts;

    for (i = 0; i < n; i++) {
        const gsprov_import_problem_t *pr =
            &APR_ARRAY_IDX(im->problems, i, gsprov_import_problem_t);
        json_t *e = json_object();
        json_object_set_new(e, "line", json_integer(pr->line));
        if (pr->mac)
            json_object_set_new(e, "mac", json_string(pr->mac));
        if (pr->field)
            json_object_set_new(e, "field", json_string(pr->field));
        json_object_set_new(e, "error", json_string(pr->error));
        json_array_append_new(list, e);
    }
    json_object_set_new(j, "error", json_string(apr_psprintf(
        r->pool, "%d problem%s: nothing was imported", n, n == 1 ? "" : "s")));
    json_object_set_new(j, "problems", list);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(1301)
                  "%s %s: 422 %d problem%s in %ld records, the first on line "
                  "%ld: nothing imported", r->method, r->uri, n,
                  n == 1 ? "" : "s", im->records,
                  APR_ARRAY_IDX(im->problems, 0,
                                gsprov_import_problem_t).line);
    return gsprov_admin_send_json(a, HTTP_UNPROCESSABLE_ENTITY, j);
}

int gsprov_admin_bulk_import(gsprov_adm_t *a)
{
    request_rec *r = a->r;
    gsprov_bulk_format_e fmt;
    gsprov_settings_t set;
    gsprov_import_t *im;
    gsprov_txn_t *txn;
    char *buf, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int rc, dry_run = flag(a, "dry_run");

    if (!body_format(apr_table_get(r->headers_in, "Content-Type"), &fmt))
        return gsprov_admin_bad_request(a, HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                                        "Content-Type must be text/csv or "
                                        "application/x-ndjson (JSON lines)");
    if ((rc = gsprov_admin_read_body(a, (apr_size_t)
                                     gsprov_conf_admin_import_limit(a->conf),
                                     &buf, &len)) != OK)
        return rc;
    gsprov_admin_settings(a, &set);
    im = gsprov_import_make(r->pool, gsprov_admin_templates(a), &set,
                            &a->who);
    if (gsprov_import_check(im, gsprov_bulk_read(r->pool, fmt, buf, len)))
        return problems(a, im);
    if (dry_run) {
        if ((rv = gsprov_import_count(im, a->store, &err)))
            return gsprov_admin_unreadable(a, rv, err);
        return gsprov_admin_send_json(a, HTTP_OK, counts(r->pool, im, 1));
    }

    if ((rc = gsprov_admin_begin(a, &txn)) != OK)
        return rc;
    if ((rv = gsprov_import_apply(im, txn, &err))) {
        gsprov_store_rollback(txn);
        if (rv == GSPROV_ECORRUPT)
            return problems(a, im);
        return gsprov_admin_io_error(a, rv, err);
    }
    rv = gsprov_store_commit(txn, &err);
    if (rv == GSPROV_EAUDIT)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, GSPROV_LOGNO(1302)
                      "%s (an import of %ld records took effect, not "
                      "audited)", err, im->created + im->replaced);
    else if (rv != APR_SUCCESS)
        return gsprov_admin_io_error(a, rv, err);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(1303)
                  "%s %s: imported %ld records: %ld created, %ld replaced, "
                  "%ld unchanged", r->method, r->uri, im->records,
                  im->created, im->replaced, im->unchanged);
    return gsprov_admin_send_json(a, HTTP_OK, counts(r->pool, im, 0));
}

/* ---- export ---- */

typedef struct {
    request_rec *r;
    int started;
} out_t;

static apr_status_t write_out(void *baton, const char *s, apr_size_t n)
{
    out_t *o = baton;

    o->started = 1;
    return ap_rwrite(s, (int)n, o->r) < 0 ? APR_ECONNABORTED : APR_SUCCESS;
}

static void skipped(void *baton, const char *mac, const char *why)
{
    out_t *o = baton;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, o->r, GSPROV_LOGNO(1304)
                  "%s %s: device %s left out of the export: %s",
                  o->r->method, o->r->uri, mac, why);
}

int gsprov_admin_bulk_export(gsprov_adm_t *a)
{
    request_rec *r = a->r;
    const char *f = apr_table_get(a->args, "format");
    gsprov_export_t x;
    out_t o = { r, 0 };
    char *err = NULL;
    apr_status_t rv;
    int rc;

    memset(&x, 0, sizeof(x));
    if (f && !gsprov_bulk_format_parse(f, &x.format))
        return gsprov_admin_bad_request(a, HTTP_BAD_REQUEST, "format",
                                        "format must be jsonl or csv");
    if (!f)
        x.format = GSPROV_BULK_JSONL;
    if ((rc = gsprov_admin_want_secrets(a, &x.secrets)) != OK)
        return rc;
    x.write = write_out;
    x.skip = skipped;
    x.baton = &o;
    r->status = HTTP_OK;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, x.format == GSPROV_BULK_CSV
                           ? "text/csv; charset=utf-8; header=present"
                           : "application/x-ndjson");
    rv = gsprov_export_run(r->pool, a->store, &x, &err);
    if (rv && !o.started)
        return gsprov_admin_unreadable(a, rv, err);
    if (rv) {
        /* the answer has begun: the client sees it cut short */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, GSPROV_LOGNO(1305)
                      "%s %s: export stopped after %ld records: %s",
                      r->method, r->uri, x.records,
                      err ? err : "the client went away");
        r->connection->keepalive = AP_CONN_CLOSE;
        r->connection->aborted = 1;
    }
    return DONE;
}
