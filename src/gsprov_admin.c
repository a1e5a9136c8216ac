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
#include "gsprov_admin.h"
#include "gsprov_list.h"
#include "gsprov_seen.h"

APLOG_USE_MODULE(gsprov);

typedef gsprov_adm_t adm_t;

/* the answers and steps gsprov_admin_reply.c shares with the bulk
 * endpoints, by their short names */
#define send_json    gsprov_admin_send_json
#define fail         gsprov_admin_fail
#define internal     gsprov_admin_internal
#define unfit        gsprov_admin_unfit
#define unavailable  gsprov_admin_unavailable
#define bad_request  gsprov_admin_bad_request
#define io_error     gsprov_admin_io_error
#define unreadable   gsprov_admin_unreadable
#define read_body    gsprov_admin_read_body
#define begin        gsprov_admin_begin
#define settings     gsprov_admin_settings
#define templates    gsprov_admin_templates
#define want_secrets gsprov_admin_want_secrets

/* ---- responses ------------------------------------------------------- */

static int not_allowed(adm_t *a, const char *allow)
{
    apr_table_setn(a->r->headers_out, "Allow", allow);
    return bad_request(a, HTTP_METHOD_NOT_ALLOWED, NULL,
                       apr_psprintf(a->r->pool, "method %s not allowed here "
                                    "(allowed: %s)", a->r->method, allow));
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
    if ((rc = read_body(a, GSPROV_ADMIN_MAX_BODY, &buf, &n)) != OK)
        return rc;
    if (gsprov_json_parse(r->pool, buf, n, out, &err) != APR_SUCCESS)
        return bad_request(a, HTTP_BAD_REQUEST, NULL, err);
    return OK;
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

/* The query string with every occurrence of a key (ap_args_to_table keeps
 * the last only, and a listing refuses a repeated filter rather than pick
 * one): OK with *out, or DONE (400: a malformed %-escape). */
static int query_args(adm_t *a, apr_table_t **out)
{
    request_rec *r = a->r;
    char *copy = apr_pstrdup(r->pool, r->args ? r->args : ""), *last, *kv;

    *out = apr_table_make(r->pool, 8);
    for (kv = apr_strtok(copy, "&", &last); kv;
         kv = apr_strtok(NULL, "&", &last)) {
        char *v = strchr(kv, '='), *c;
        if (v)
            *v++ = '\0';
        for (c = kv; *c; c++)
            if (*c == '+')
                *c = ' ';
        for (c = v; c && *c; c++)
            if (*c == '+')
                *c = ' ';
        if (ap_unescape_url(kv) || (v && ap_unescape_url(v)))
            return bad_request(a, HTTP_BAD_REQUEST, NULL, "malformed query "
                               "string (a %-escape)");
        apr_table_addn(*out, kv, v ? v : "");
    }
    return OK;
}

/* One listed device, with the columns fields asks for. */
static json_t *listed_json(adm_t *a, const gsprov_listed_t *it,
                           unsigned fields, int secrets)
{
    json_t *e = json_object();
    int g;

    json_object_set_new(e, "mac", json_string(it->mac));
    if (!it->dev) {     /* removed since the listing, or unreadable */
        json_object_set_new(e, "error", json_string(it->err));
        return e;
    }
    if ((fields & GSPROV_LIST_MODEL) && it->dev->model)
        json_object_set_new(e, "model", json_string(it->dev->model));
    if (fields & GSPROV_LIST_GROUPS) {
        json_t *ga = json_array();
        for (g = 0; g < it->dev->groups->nelts; g++)
            json_array_append_new(ga, json_string(
                APR_ARRAY_IDX(it->dev->groups, g, const char *)));
        json_object_set_new(e, "groups", ga);
    }
    if (fields & GSPROV_LIST_VARS)  /* redacted as GET /devices/<mac> is */
        json_object_set(e, "vars", json_object_get(gsprov_record_to_json(
                        a->r->pool, it->dev, secrets), "vars"));
    if (fields & GSPROV_LIST_STATUS)
        json_object_set_new(e, "status", it->status
                            ? gsprov_list_status_json(&it->status->last)
                            : json_null());
    if (fields & GSPROV_LIST_IN_SYNC)   /* null: never seen */
        json_object_set_new(e, "in_sync", it->status ? json_boolean(
            !strcmp(it->status->served_version,
                    it->version ? it->version : "")) : json_null());
    return e;
}

static int device_list(adm_t *a)
{
    request_rec *r = a->r;
    gsprov_list_query_t q;
    apr_array_header_t *items;
    const char *param = NULL;
    json_t *res, *list;
    char *err = NULL;
    unsigned fields;
    apr_table_t *args;
    apr_status_t rv;
    int i, more, secrets, rc;

    if ((rc = want_secrets(a, &secrets)) != OK
        || (rc = query_args(a, &args)) != OK)
        return rc;
    if (gsprov_list_devices_args(r->pool, args,
                                 gsprov_conf_admin_secrets(a->conf), &q,
                                 &fields, &param, &err))
        return bad_request(a, HTTP_BAD_REQUEST, param, err);
    if ((rv = gsprov_store_record_list(a->store, r->pool, &q, &items, &more,
                                       &err)))
        return unreadable(a, rv, err);

    res = gsprov_json_pool(r->pool, json_object());
    list = json_array();
    json_object_set_new(res, "devices", list);
    for (i = 0; i < items->nelts; i++)
        json_array_append_new(list, listed_json(
            a, &APR_ARRAY_IDX(items, i, gsprov_listed_t), fields, secrets));
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

/* What the API shows of an activation: never the PIN or its hash. */
static json_t *activation_json(adm_t *a, const char *number,
                               const gsprov_activation_t *act)
{
    json_t *o = json_object();

    json_object_set_new(o, "number", json_string(number));
    json_object_set_new(o, "created", json_integer(act->created));
    json_object_set_new(o, "expires", json_integer(act->expires));
    json_object_set_new(o, "failures", json_integer(act->failures));
    json_object_set_new(o, "locked", json_boolean(
        act->failures >= gsprov_conf_claim_max_failures(a->conf)));
    json_object_set_new(o, "expired", json_boolean(
        gsprov_activation_expired(act)));
    json_object_set_new(o, "claimed_by", act->claimed_by
                        ? json_string(act->claimed_by) : json_null());
    return o;
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
    res = gsprov_json_pool(r->pool, activation_json(a, number, act));
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

/* GET /activations: the pending ones in number order, paged like the
 * devices; never a PIN or its hash, nor the profile (GET
 * /activations/<number> has it, redacted). */
static int activation_list(adm_t *a)
{
    request_rec *r = a->r;
    apr_array_header_t *items;
    const char *after, *param = NULL;
    json_t *res, *list;
    char *err = NULL;
    apr_table_t *args;
    apr_status_t rv;
    int i, limit, more, rc;

    if ((rc = query_args(a, &args)) != OK)
        return rc;
    if (gsprov_list_activations_args(r->pool, args, &after, &limit,
                                     &param, &err))
        return bad_request(a, HTTP_BAD_REQUEST, param, err);
    if ((rv = gsprov_store_activation_list(a->store, r->pool, after, limit,
                                           &items, &more, &err)))
        return unreadable(a, rv, err);
    res = gsprov_json_pool(r->pool, json_object());
    list = json_array();
    json_object_set_new(res, "activations", list);
    for (i = 0; i < items->nelts; i++) {
        const gsprov_activation_t *act =
            &APR_ARRAY_IDX(items, i, gsprov_activation_t);

        json_array_append_new(list, activation_json(a, act->number, act));
    }
    json_object_set_new(res, "next", more && items->nelts
        ? json_string(APR_ARRAY_IDX(items, items->nelts - 1,
                                    gsprov_activation_t).number)
        : json_null());
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
        return invalid(a, rv, res.field, err);
    case GSPROV_ECORRUPT:   /* the activation itself: not the client's */
        return unreadable(a, rv, err);
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
    if (!strcmp(rest, "devices:import")) {
        if (m != M_POST)
            return not_allowed(a, "POST");
        return gsprov_admin_bulk_import(a);
    }
    if (!strcmp(rest, "devices:export")) {
        if (m != M_GET)
            return not_allowed(a, "GET, HEAD");
        return gsprov_admin_bulk_export(a);
    }
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
        if (m == M_GET)
            return activation_list(a);
        if (m != M_POST)
            return not_allowed(a, "GET, HEAD, POST");
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
    if (!gsprov_request_args(r, &a.args)) {
        a.args = apr_table_make(r->pool, 1);
        rc = bad_request(&a, HTTP_BAD_REQUEST, NULL, "the query string "
                         "holds a NUL byte (%00)");
    }
    else
        rc = route(&a);
    return rc == DONE ? OK : rc;
}

void gsprov_register_admin(apr_pool_t *p)
{
    ap_hook_handler(gsprov_admin_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

