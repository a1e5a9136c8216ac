/*
 * SetHandler gsprov-admin: the device admin API and the PIN claim, as
 * JSON over HTTP under a <Location>.  httpd glue only: routing, bodies,
 * status codes, log lines (GSPROV07xx) and the audit entry; the records,
 * locks, atomic writes and activations are lib/ (gsprov_record.c,
 * gsprov_devices.c, gsprov_fsio.c, gsprov_activation.c, gsprov_audit.c).
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
#include "gsprov_error.h"
#include "gsprov_json.h"
#include "gsprov_record.h"
#include "gsprov_devices.h"
#include "gsprov_precond.h"
#include "gsprov_crypto.h"
#include "gsprov_audit.h"
#include "gsprov_actor.h"
#include "gsprov_activation.h"

APLOG_USE_MODULE(gsprov);

/* one request */
typedef struct {
    request_rec *r;
    gsprov_dir_conf *conf;
    const char *root;           /* the store directory */
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
        return OK;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, (apr_off_t)n);
    ap_rwrite(s, (int)n, r);
    return OK;
}

/* An error answer: {"error": msg[, "field": field]} and one log line with
 * a stable id (never a secret: messages name fields, not values). */
static int fail(adm_t *a, int status, int msgid, int level, const char *field,
                const char *msg)
{
    json_t *j = gsprov_json_pool(a->r->pool, json_object());

    json_object_set_new(j, "error", json_string(msg));
    if (field && *field)
        json_object_set_new(j, "field", json_string(field));
    ap_log_rerror(APLOG_MARK, level, 0, a->r, "GSPROV%04d: %s %s: %d %s%s%s",
                  msgid, a->r->method, a->r->uri, status, msg,
                  field && *field ? " (field " : "",
                  field && *field ? apr_pstrcat(a->r->pool, field, ")", NULL)
                                  : "");
    return send_json(a, status, j);
}

/* Request-level problems (400/404/405/413/415): info, GSPROV0706. */
static int bad_request(adm_t *a, int status, const char *field,
                       const char *msg)
{
    return fail(a, status, 706, APLOG_INFO, field, msg);
}

static int not_allowed(adm_t *a, const char *allow)
{
    apr_table_setn(a->r->headers_out, "Allow", allow);
    return bad_request(a, HTTP_METHOD_NOT_ALLOWED, NULL,
                       apr_psprintf(a->r->pool, "method %s not allowed here "
                                    "(allowed: %s)", a->r->method, allow));
}

/* lib/ I/O failure: 500, error, GSPROV0704. */
static int io_error(adm_t *a, const char *err)
{
    return fail(a, HTTP_INTERNAL_SERVER_ERROR, 704, APLOG_ERR, NULL,
                err ? err : "store write failed");
}

/* A record the templates reject: 422 naming the problem (GSPROV0705). */
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

static const char *etag_of(apr_pool_t *p, const char *bytes, apr_size_t len)
{
    return gsprov_precond_etag(p, gsprov_crypto_sha256_hex(p, bytes, len));
}

/* The JSON body of a write: 415 unless application/json, 413 over
 * GSPROV_ADMIN_MAX_BODY, 400 unless it parses.  Returns OK with *out, or
 * the answer already sent (as a non-OK marker: DONE). */
static int read_json(adm_t *a, json_t **out)
{
    request_rec *r = a->r;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t n = 0;
    char *buf;
    char *err = NULL;
    int rc;

    if (!ct || strncasecmp(ct, "application/json", 16)
        || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        bad_request(a, HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                    "Content-Type must be application/json");
        return DONE;
    }
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        bad_request(a, rc, NULL, "cannot read the request body");
        return DONE;
    }
    if (r->remaining > GSPROV_ADMIN_MAX_BODY) {
        bad_request(a, HTTP_REQUEST_ENTITY_TOO_LARGE, NULL, apr_psprintf(
                    r->pool, "request body over %d bytes",
                    GSPROV_ADMIN_MAX_BODY));
        return DONE;
    }
    buf = apr_palloc(r->pool, GSPROV_ADMIN_MAX_BODY + 1);
    if (ap_should_client_block(r)) {
        long got;
        while ((got = ap_get_client_block(r, buf + n,
                                          GSPROV_ADMIN_MAX_BODY + 1 - n)) > 0) {
            n += (apr_size_t)got;
            if (n > GSPROV_ADMIN_MAX_BODY) {
                bad_request(a, HTTP_REQUEST_ENTITY_TOO_LARGE, NULL,
                            apr_psprintf(r->pool, "request body over %d "
                                         "bytes", GSPROV_ADMIN_MAX_BODY));
                return DONE;
            }
        }
        if (got < 0) {
            bad_request(a, HTTP_BAD_REQUEST, NULL,
                        "cannot read the request body");
            return DONE;
        }
    }
    if (gsprov_json_parse(r->pool, buf, n, out, &err) != APR_SUCCESS) {
        bad_request(a, HTTP_BAD_REQUEST, NULL, err);
        return DONE;
    }
    return OK;
}

/* The audit log of a change, opened before the change is made: without
 * one (or if it cannot be opened) the change is refused. */
static int open_audit(adm_t *a, gsprov_audit_t **au)
{
    char *err = NULL;

    if (!a->conf->audit_log || !*a->conf->audit_log)
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, 702, APLOG_ERR, NULL,
                    "writes need GsProvAuditLog for this location; refused");
    if (gsprov_audit_open(a->r->pool, a->conf->audit_log, au, &err))
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, 702, APLOG_ERR, NULL, err);
    return OK;
}

static void audit(adm_t *a, gsprov_audit_t *au, const char *action,
                  const char *mac, const char *number, const char *result,
                  json_t *changes)
{
    request_rec *r = a->r;
    gsprov_actor_t who = { r->user, r->useragent_ip, r->method };
    json_t *e = gsprov_actor_entry(r->pool, &who, a->root, action, mac,
                                   number, result, changes);
    char *err = NULL;

    /* the change is made: a failed append is logged, not undone */
    if (gsprov_audit_write(r->pool, au, e, &err))
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, GSPROV_LOGNO(0703)
                      "%s (change to %s%s not audited)", err,
                      mac ? mac : "activation ", mac ? "" : number);
}

static void settings(adm_t *a, gsprov_settings_t *set)
{
    memset(set, 0, sizeof(*set));
    set->tenant_vars = a->conf->vars;
    set->key_digest = gsprov_conf_key_digest(a->conf);
    set->binary = (gsprov_binary_e)gsprov_conf_binary(a->conf);
    set->bootstrap_extra = a->conf->bootstrap_extra;
    set->plain = 1;
}

static const gsprov_templates_t *templates(adm_t *a)
{
    return gsprov_store_templates(a->conf->store, a->r->pool,
                                  gsprov_conf_reload(a->conf));
}

/* ?secrets=1: only where GsProvAdminSecrets is on.  -1: refused (sent). */
static int want_secrets(adm_t *a)
{
    const char *s = apr_table_get(a->args, "secrets");
    if (!s || !strcmp(s, "0"))
        return 0;
    if (!gsprov_conf_admin_secrets(a->conf)) {
        fail(a, HTTP_FORBIDDEN, 712, APLOG_INFO, "secrets",
             "secrets are not available here (GsProvAdminSecrets off)");
        return -1;
    }
    return 1;
}

/* The record on disk, parsed: OK, or the answer sent. */
static int load_record(adm_t *a, const char *mac, char **bytes,
                       apr_size_t *len, gsprov_device_t **dev, int *found)
{
    char *err = NULL;
    apr_status_t rv = gsprov_devices_read(a->r->pool, a->root, mac, bytes,
                                          len, &err);
    *found = rv == APR_SUCCESS;
    *dev = NULL;
    if (rv == GSPROV_ENOTFOUND)
        return OK;
    if (rv == APR_SUCCESS)
        rv = gsprov_xml_parse_device(a->r->pool, mac, *bytes, *len,
                                 apr_pstrcat(a->r->pool, "devices/", mac,
                                             ".xml", NULL), dev, &err);
    if (rv != APR_SUCCESS)
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, 711, APLOG_ERR, NULL,
                    apr_psprintf(a->r->pool, "record unreadable: %s",
                                 err ? err : "unknown error"));
    return OK;
}

/* ---- /devices/<mac> -------------------------------------------------- */

static int device_get(adm_t *a, const char *mac)
{
    gsprov_device_t *dev;
    char *bytes;
    apr_size_t len;
    int found, secrets, rc;

    if ((secrets = want_secrets(a)) < 0)
        return OK;
    if ((rc = load_record(a, mac, &bytes, &len, &dev, &found)) != OK
        || a->r->status != HTTP_OK)
        return rc;
    if (!found)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           a->r->pool, "no record for device %s", mac));
    apr_table_setn(a->r->headers_out, "ETag",
                   etag_of(a->r->pool, bytes, len));
    return send_json(a, HTTP_OK, gsprov_record_to_json(a->r->pool, dev,
                                                       secrets));
}

static int device_put(adm_t *a, const char *mac)
{
    request_rec *r = a->r;
    gsprov_precond_t pc;
    gsprov_settings_t set;
    gsprov_audit_t *au;
    gsprov_lock_t *lock;
    gsprov_device_t *dev, *olddev;
    json_t *body, *changes, *oldj = NULL;
    const char *field = NULL, *etag = NULL;
    char *xml, *old, *err = NULL;
    apr_size_t len, oldlen;
    apr_status_t rv;
    int found, rc;

    if ((rc = read_json(a, &body)) != OK)
        return OK;
    if ((rv = gsprov_record_from_json(r->pool, mac, body, &xml, &len, &field,
                                      &err)))
        return invalid(a, rv, field, err);
    settings(a, &set);
    if ((rv = gsprov_record_check(r->pool, templates(a), &set, mac, xml, len,
                                  &dev, &err)))
        return invalid(a, rv, NULL, err);
    if ((rc = open_audit(a, &au)) != OK || r->status != HTTP_OK)
        return rc;

    /* one writer per record, across threads and processes */
    if ((rv = gsprov_devices_lock(r->pool, a->root, mac, &lock, &err)))
        return io_error(a, err);
    if ((rc = load_record(a, mac, &old, &oldlen, &olddev, &found)) != OK
        || r->status != HTTP_OK)
        return rc;
    if (found) {
        etag = etag_of(r->pool, old, oldlen);
        oldj = gsprov_record_to_json(r->pool, olddev, 1);
    }
    pc.if_match = apr_table_get(r->headers_in, "If-Match");
    pc.if_none_match = apr_table_get(r->headers_in, "If-None-Match");
    if (!gsprov_precond_ok(&pc, etag)) {
        gsprov_fsio_unlock(lock);
        if (etag)
            apr_table_setn(r->headers_out, "ETag", etag);
        return fail(a, HTTP_PRECONDITION_FAILED, 710, APLOG_INFO, NULL,
                    apr_psprintf(r->pool, "precondition failed: device %s "
                                 "%s", mac, etag ? "has another version"
                                                 : "has no record"));
    }
    if ((rv = gsprov_devices_write(r->pool, a->root, mac, xml, len, &err)))
        return io_error(a, err);
    gsprov_fsio_unlock(lock);

    changes = gsprov_record_changes(r->pool, oldj,
                                    gsprov_record_to_json(r->pool, dev, 1));
    audit(a, au, "device-put", mac, NULL, found ? "replaced" : "created",
          changes);
    apr_table_setn(r->headers_out, "ETag",
                   etag_of(r->pool, xml, len));
    if (!found)
        apr_table_setn(r->headers_out, "Location", r->uri);
    return send_json(a, found ? HTTP_OK : HTTP_CREATED,
                     gsprov_record_to_json(r->pool, dev, 0));
}

static int device_delete(adm_t *a, const char *mac)
{
    request_rec *r = a->r;
    gsprov_precond_t pc;
    gsprov_audit_t *au;
    gsprov_lock_t *lock;
    gsprov_device_t *olddev;
    char *old, *err = NULL;
    apr_size_t oldlen;
    apr_status_t rv;
    int found, rc;

    if ((rc = open_audit(a, &au)) != OK || r->status != HTTP_OK)
        return rc;
    if ((rv = gsprov_devices_lock(r->pool, a->root, mac, &lock, &err)))
        return io_error(a, err);
    rv = gsprov_devices_read(r->pool, a->root, mac, &old, &oldlen, &err);
    found = rv == APR_SUCCESS;
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
        return io_error(a, err);
    pc.if_match = apr_table_get(r->headers_in, "If-Match");
    pc.if_none_match = apr_table_get(r->headers_in, "If-None-Match");
    /* RFC 9110 13.2.2: If-Match is evaluated first, so If-Match on a
     * missing record is 412, not 404 */
    if (!gsprov_precond_ok(&pc, found ? etag_of(r->pool, old, oldlen) : NULL)
        && (found || pc.if_match))
        return fail(a, HTTP_PRECONDITION_FAILED, 710, APLOG_INFO, NULL,
                    apr_psprintf(r->pool, "precondition failed: device %s "
                                 "%s", mac, found ? "has another version"
                                                  : "has no record"));
    if (!found)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           r->pool, "no record for device %s", mac));
    if ((rv = gsprov_devices_remove(r->pool, a->root, mac, &err))
        && rv != GSPROV_ENOTFOUND)
        return io_error(a, err);
    gsprov_fsio_unlock(lock);
    /* what was removed, for the audit (an unparsable record: no fields) */
    if (gsprov_xml_parse_device(r->pool, mac, old, oldlen, "old", &olddev, &err))
        olddev = NULL;
    audit(a, au, "device-delete", mac, NULL, "deleted",
          olddev ? gsprov_record_changes(r->pool, gsprov_record_to_json(
                                         r->pool, olddev, 1), NULL) : NULL);
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
    rv = gsprov_provision(r->pool, a->conf->store, templates(a), &name, &set,
                          &out, &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, err ? err : apr_psprintf(
                           r->pool, "no record for device %s", mac));
    if (rv != APR_SUCCESS)
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, 711, APLOG_ERR, NULL,
                    err ? err : "rendering failed");
    ap_set_content_type(r, out.content_type);
    ap_set_content_length(r, (apr_off_t)out.len);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rwrite(out.body, (int)out.len, r);
    return OK;
}

/* ---- GET /devices ---------------------------------------------------- */

static int device_list(adm_t *a)
{
    request_rec *r = a->r;
    const char *group = apr_table_get(a->args, "group");
    const char *after = apr_table_get(a->args, "after");
    const char *lim = apr_table_get(a->args, "limit");
    char amac[GSPROV_MAC_LEN + 1];
    apr_array_header_t *macs;
    json_t *res, *list;
    apr_pool_t *iter;
    long limit = GSPROV_ADMIN_LIST_DEFAULT;
    char *err = NULL, *end;
    int i, n = 0, more = 0;

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
    if (gsprov_devices_macs(r->pool, a->root, after ? amac : NULL, &macs,
                            &err))
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, 711, APLOG_ERR, NULL, err);

    res = gsprov_json_pool(r->pool, json_object());
    list = json_array();
    json_object_set_new(res, "devices", list);
    apr_pool_create(&iter, r->pool);
    for (i = 0; i < macs->nelts; i++) {
        const char *mac = APR_ARRAY_IDX(macs, i, const char *);
        gsprov_device_t *d = NULL;
        json_t *e;
        char *bytes;
        apr_size_t len;
        int g, in = !group;

        if (n == limit) {
            more = 1;
            break;
        }
        apr_pool_clear(iter);
        err = NULL;
        if (gsprov_devices_read(iter, a->root, mac, &bytes, &len, &err)
            || gsprov_xml_parse_device(iter, mac, bytes, len, "record", &d, &err))
            d = NULL;
        for (g = 0; d && group && g < d->groups->nelts; g++)
            in |= !strcmp(APR_ARRAY_IDX(d->groups, g, const char *), group);
        if (!in)
            continue;
        e = json_object();
        json_object_set_new(e, "mac", json_string(mac));
        if (d) {
            json_t *ga = json_array();
            if (d->model)
                json_object_set_new(e, "model", json_string(d->model));
            for (g = 0; g < d->groups->nelts; g++)
                json_array_append_new(ga, json_string(
                    APR_ARRAY_IDX(d->groups, g, const char *)));
            json_object_set_new(e, "groups", ga);
        }
        else    /* removed since the listing, or unreadable */
            json_object_set_new(e, "error", json_string(
                err ? err : "record vanished"));
        json_array_append_new(list, e);
        n++;
    }
    apr_pool_destroy(iter);
    json_object_set_new(res, "next", more && n
        ? json_string(json_string_value(json_object_get(
              json_array_get(list, (size_t)n - 1), "mac")))
        : json_null());
    return send_json(a, HTTP_OK, res);
}

/* ---- activations and claims ------------------------------------------ */

/* The number and PIN of a body, checked: OK, or the answer sent. */
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
    gsprov_audit_t *au;
    const char *number, *pin, *field = NULL;
    json_t *body, *profile, *doc, *res;
    char *xml, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int rc;

    if ((rc = read_json(a, &body)) != OK)
        return OK;
    if (!json_is_object(body))
        return invalid(a, GSPROV_EINVAL, "", "the body must be a JSON object");
    if (get_digits(a, body, "number", 0, &number) != OK
        || r->status != HTTP_OK
        || get_digits(a, body, "pin", 1, &pin) != OK
        || r->status != HTTP_OK)
        return OK;
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
    if ((rv = gsprov_record_check(r->pool, templates(a), &set, PROFILE_MAC,
                                  xml, len, NULL, &err)))
        return invalid(a, rv, NULL, err);
    if ((rc = open_audit(a, &au)) != OK || r->status != HTTP_OK)
        return rc;
    rv = gsprov_activation_create(r->pool, a->root, number, pin, profile,
                                  gsprov_conf_activation_ttl(a->conf), &doc,
                                  &err);
    if (rv == GSPROV_ECONFLICT)
        return fail(a, HTTP_CONFLICT, 710, APLOG_INFO, "number", err);
    if (rv != APR_SUCCESS)
        return io_error(a, err);
    {
        json_t *ch = gsprov_record_changes(r->pool, NULL, profile);
        json_object_set_new(ch, "pin", json_string("***"));
        audit(a, au, "activation-create", NULL, number, "created", ch);
    }
    res = gsprov_json_pool(r->pool, json_object());
    json_object_set_new(res, "number", json_string(number));
    json_object_set(res, "created", json_object_get(doc, "created"));
    json_object_set(res, "expires", json_object_get(doc, "expires"));
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, r->uri, "/", number, NULL));
    return send_json(a, HTTP_CREATED, res);
}

static int activation_get(adm_t *a, const char *number)
{
    request_rec *r = a->r;
    gsprov_settings_t set;
    gsprov_device_t *dev;
    const char *field;
    json_t *doc, *res, *v;
    char *xml, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int secrets;

    if ((secrets = want_secrets(a)) < 0)
        return OK;
    rv = gsprov_activation_read(r->pool, a->root, number, &doc, &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           r->pool, "no pending activation for number %s",
                           number));
    if (rv != APR_SUCCESS)
        return fail(a, HTTP_INTERNAL_SERVER_ERROR, 711, APLOG_ERR, NULL, err);
    res = gsprov_json_pool(r->pool, json_object());
    json_object_set_new(res, "number", json_string(number));
    json_object_set(res, "created", json_object_get(doc, "created"));
    json_object_set(res, "expires", json_object_get(doc, "expires"));
    v = json_object_get(doc, "failures");
    json_object_set(res, "failures", v);
    json_object_set_new(res, "locked", json_boolean(
        json_integer_value(v) >= gsprov_conf_claim_max_failures(a->conf)));
    json_object_set_new(res, "expired", json_boolean(
        json_integer_value(json_object_get(doc, "expires"))
        <= (json_int_t)apr_time_sec(apr_time_now())));
    json_object_set(res, "claimed_by", json_object_get(doc, "claimed_by"));
    /* the profile as a record, with secrets redacted the same way */
    settings(a, &set);
    if (!gsprov_record_from_json(r->pool, PROFILE_MAC, json_object_get(
                                 doc, "profile"), &xml, &len, &field, &err)
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
    request_rec *r = a->r;
    gsprov_audit_t *au;
    char *err = NULL;
    apr_status_t rv;
    int rc;

    if ((rc = open_audit(a, &au)) != OK || r->status != HTTP_OK)
        return rc;
    rv = gsprov_activation_remove(r->pool, a->root, number, &err);
    if (rv == GSPROV_ENOTFOUND)
        return bad_request(a, HTTP_NOT_FOUND, NULL, apr_psprintf(
                           r->pool, "no pending activation for number %s",
                           number));
    if (rv != APR_SUCCESS)
        return io_error(a, err);
    audit(a, au, "activation-delete", NULL, number, "deleted", NULL);
    return send_json(a, HTTP_NO_CONTENT, NULL);
}

static int claim(adm_t *a)
{
    request_rec *r = a->r;
    gsprov_settings_t set;
    gsprov_audit_t *au;
    gsprov_claim_t res;
    const char *number, *pin;
    char mac[GSPROV_MAC_LEN + 1];
    json_t *body, *v, *out;
    char *err = NULL;
    apr_status_t rv;
    int rc, max = gsprov_conf_claim_max_failures(a->conf);

    if ((rc = read_json(a, &body)) != OK)
        return OK;
    if (!json_is_object(body))
        return invalid(a, GSPROV_EINVAL, "", "the body must be a JSON object");
    v = json_object_get(body, "mac");
    if (!json_is_string(v) || !gsprov_mac_parse(json_string_value(v),
                                                strlen(json_string_value(v)),
                                                mac))
        return invalid(a, GSPROV_EINVAL, "mac", "mac must be 12 hex digits");
    if (get_digits(a, body, "number", 0, &number) != OK
        || r->status != HTTP_OK
        || get_digits(a, body, "pin", 1, &pin) != OK
        || r->status != HTTP_OK)
        return OK;
    if ((rc = open_audit(a, &au)) != OK || r->status != HTTP_OK)
        return rc;
    settings(a, &set);
    rv = gsprov_activation_claim(r->pool, a->root, templates(a), &set,
                                 number, pin, mac, max, &res, &err);
    switch (rv) {
    case APR_SUCCESS:
        break;
    case GSPROV_ENOTFOUND:
        return bad_request(a, HTTP_NOT_FOUND, "number", err);
    case GSPROV_EEXPIRED:
        return bad_request(a, HTTP_GONE, "number", err);
    case GSPROV_EBADPIN:
    case GSPROV_ELOCKED:
        if (res.counted)
            audit(a, au, "claim", mac, number, rv == GSPROV_ELOCKED
                  ? "wrong-pin-locked" : "wrong-pin", NULL);
        out = gsprov_json_pool(r->pool, json_object());
        json_object_set_new(out, "error", json_string(
            rv == GSPROV_ELOCKED ? "activation locked" : "wrong PIN"));
        json_object_set_new(out, "failures", json_integer(res.failures));
        json_object_set_new(out, "max_failures", json_integer(max));
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "GSPROV%04d: claim "
                      "by %s: %s", rv == GSPROV_ELOCKED ? 708 : 707, mac,
                      err);
        return send_json(a, rv == GSPROV_ELOCKED ? HTTP_LOCKED
                                                 : HTTP_FORBIDDEN, out);
    case GSPROV_ECONFLICT:
        return fail(a, HTTP_CONFLICT, 710, APLOG_INFO, "mac", err);
    case GSPROV_EINVAL:
    case GSPROV_EREF:
    case GSPROV_EUNDEFVAR:
    case GSPROV_EMIXED:
    case GSPROV_EPARSE:
        return invalid(a, rv, res.field, err);
    default:
        return io_error(a, err);
    }
    {
        json_t *ch = gsprov_record_changes(r->pool, NULL, res.profile);
        audit(a, au, "claim", mac, number, "created", ch);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(0709)
                  "device %s claimed activation %s", mac, number);
    out = gsprov_json_pool(r->pool, json_object());
    json_object_set_new(out, "mac", json_string(mac));
    json_object_set_new(out, "number", json_string(number));
    apr_table_setn(r->headers_out, "ETag",
                   etag_of(r->pool, res.xml, res.len));
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

static int gsprov_admin_handler(request_rec *r)
{
    adm_t a;
    const char *rest, *slash;
    char mac[GSPROV_MAC_LEN + 1];
    int m = r->method_number;

    if (!r->handler || strcmp(r->handler, GSPROV_ADMIN_HANDLER) != 0)
        return DECLINED;
    memset(&a, 0, sizeof(a));
    a.r = r;
    a.conf = ap_get_module_config(r->per_dir_config, &gsprov_module);
    r->status = HTTP_OK;
    ap_args_to_table(r, &a.args);
    if (!a.conf->store || strcmp(a.conf->store->ops->name, "file") != 0)
        return fail(&a, HTTP_INTERNAL_SERVER_ERROR, 701, APLOG_ERR, NULL,
                    "SetHandler gsprov-admin needs GsProvRoot (a directory "
                    "store) for this location");
    a.root = a.conf->store->label;
    if (m != M_PUT && m != M_POST && ap_discard_request_body(r) != OK)
        return OK;

    rest = below_location(r);
    if (!strcmp(rest, "devices")) {
        if (m != M_GET)
            return not_allowed(&a, "GET, HEAD");
        return device_list(&a);
    }
    if (!strncmp(rest, "devices/", 8)) {
        const char *seg = rest + 8;
        slash = strchr(seg, '/');
        if (!gsprov_mac_parse(seg, slash ? (size_t)(slash - seg)
                                         : strlen(seg), mac))
            return m == M_PUT
                ? invalid(&a, GSPROV_EINVAL, "mac", "not a MAC: the URL "
                          "must end in 12 hex digits")
                : bad_request(&a, HTTP_NOT_FOUND, "mac", "not a MAC");
        apr_table_setn(r->notes, "gsprov-mac", apr_pstrdup(r->pool, mac));
        if (slash && !strcmp(slash, "/rendered")) {
            if (m != M_GET)
                return not_allowed(&a, "GET, HEAD");
            return device_rendered(&a, mac);
        }
        if (slash)
            return bad_request(&a, HTTP_NOT_FOUND, NULL, "no such resource");
        switch (m) {
        case M_GET:    return device_get(&a, mac);
        case M_PUT:    return device_put(&a, mac);
        case M_DELETE: return device_delete(&a, mac);
        default:       return not_allowed(&a, "GET, HEAD, PUT, DELETE");
        }
    }
    if (!strcmp(rest, "activations")) {
        if (m != M_POST)
            return not_allowed(&a, "POST");
        return activation_create(&a);
    }
    if (!strncmp(rest, "activations/", 12)) {
        const char *number = rest + 12;
        if (!gsprov_activation_number_valid(number))
            return bad_request(&a, HTTP_NOT_FOUND, "number",
                               "not an activation number (digits)");
        switch (m) {
        case M_GET:    return activation_get(&a, number);
        case M_DELETE: return activation_delete(&a, number);
        default:       return not_allowed(&a, "GET, HEAD, DELETE");
        }
    }
    if (!strcmp(rest, "claim")) {
        if (m != M_POST)
            return not_allowed(&a, "POST");
        return claim(&a);
    }
    return bad_request(&a, HTTP_NOT_FOUND, NULL, "no such resource");
}

void gsprov_register_admin(apr_pool_t *p)
{
    ap_hook_handler(gsprov_admin_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
