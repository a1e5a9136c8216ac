/*
 * The query strings of the admin API's listings (gsprov_list.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include "gsprov_list.h"
#include "gsprov_mac.h"
#include "gsprov_name.h"
#include "gsprov_layer.h"
#include "gsprov_record.h"
#include "gsprov_activation.h"
#include "gsprov_defaults.h"
#include "gsprov_error.h"

/* A refusal naming the parameter. */
static apr_status_t bad(apr_pool_t *p, const char **param, char **err,
                        const char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    *err = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    *param = apr_pstrdup(p, name);
    return GSPROV_EINVAL;
}

static apr_status_t limit_arg(apr_pool_t *p, const char *v, int *limit,
                              const char **param, char **err)
{
    char *end;
    long n;

    *limit = GSPROV_ADMIN_LIST_DEFAULT;
    if (!v)
        return APR_SUCCESS;
    n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > GSPROV_ADMIN_LIST_MAX)
        return bad(p, param, err, "limit", "limit must be a number from 1 "
                   "to %d", GSPROV_ADMIN_LIST_MAX);
    *limit = (int)n;
    return APR_SUCCESS;
}

/* Each parameter once: a second value would be either ignored or
 * guessed at. */
static apr_status_t once(apr_pool_t *p, apr_hash_t *seen, const char *key,
                         const char **param, char **err)
{
    if (apr_hash_get(seen, key, APR_HASH_KEY_STRING))
        return bad(p, param, err, key, "%s given more than once", key);
    apr_hash_set(seen, key, APR_HASH_KEY_STRING, key);
    return APR_SUCCESS;
}

static apr_status_t fields_arg(apr_pool_t *p, const char *v,
                               unsigned *fields, const char **param,
                               char **err)
{
    static const struct { const char *name; unsigned bit; } known[] = {
        { "mac", 0 }, { "model", GSPROV_LIST_MODEL },
        { "groups", GSPROV_LIST_GROUPS }, { "vars", GSPROV_LIST_VARS },
        { "status", GSPROV_LIST_STATUS }, { "in_sync", GSPROV_LIST_IN_SYNC },
    };
    char *copy = apr_pstrdup(p, v), *last, *f;
    size_t i;

    *fields = 0;
    for (f = apr_strtok(copy, ",", &last); f; f = apr_strtok(NULL, ",", &last)) {
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (!strcmp(f, known[i].name))
                break;
        if (i == sizeof(known) / sizeof(known[0]))
            return bad(p, param, err, "fields", "fields: unknown field '%s' "
                       "(known: mac, model, groups, vars, status, in_sync)", f);
        *fields |= known[i].bit;
    }
    return APR_SUCCESS;
}

/* A time: seconds since the epoch, or RFC 3339 in UTC
 * (2026-12-03T14:00:00Z), what a person types and a script computes. */
static apr_status_t time_arg(apr_pool_t *p, const char *key, const char *v,
                             apr_int64_t *out, const char **param, char **err)
{
    apr_time_exp_t tm;
    apr_time_t t;
    char *end;
    int n = 0;

    if (*v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 12) {
        *out = apr_strtoi64(v, &end, 10);
        if (*out > 0)
            return APR_SUCCESS;
    }
    memset(&tm, 0, sizeof(tm));
    if (strlen(v) == 20
        && sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6
        && n == 20 && tm.tm_year >= 1970 && tm.tm_mon >= 1 && tm.tm_mon <= 12
        && tm.tm_mday >= 1 && tm.tm_mday <= 31 && tm.tm_hour <= 23
        && tm.tm_min <= 59 && tm.tm_sec <= 60) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        if (apr_time_exp_gmt_get(&t, &tm) == APR_SUCCESS && t > 0) {
            *out = apr_time_sec(t);
            return APR_SUCCESS;
        }
    }
    return bad(p, param, err, key, "%s must be a time: seconds since the "
               "epoch, or YYYY-MM-DDTHH:MM:SSZ", key);
}

/* true|false (1|0) as 1|-1 (0: not given); never_seen alone (no value)
 * is true */
static apr_status_t bool_arg(apr_pool_t *p, const char *key, const char *v,
                             int empty_true, int *out, const char **param,
                             char **err)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || (empty_true && !*v))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = -1;
    else
        return bad(p, param, err, key, "%s must be true or false", key);
    return APR_SUCCESS;
}

/* The status filters: APR_SUCCESS, GSPROV_EINVAL (refused), or
 * APR_NOTFOUND (not one of them). */
static apr_status_t status_arg(apr_pool_t *p, const char *k, const char *v,
                               gsprov_list_query_t *q, const char **param,
                               char **err)
{
    if (!strcmp(k, "seen_after"))
        return time_arg(p, k, v, &q->seen_after, param, err);
    if (!strcmp(k, "seen_before"))
        return time_arg(p, k, v, &q->seen_before, param, err);
    if (!strcmp(k, "in_sync"))
        return bool_arg(p, k, v, 0, &q->in_sync, param, err);
    if (!strcmp(k, "never_seen"))
        return bool_arg(p, k, v, 1, &q->never_seen, param, err);
    if (!strcmp(k, "firmware")) {
        if (!*v || strlen(v) > GSPROV_MAX_LIST_FIRMWARE_LEN)
            return bad(p, param, err, k, "firmware must be a firmware "
                       "version (1 to %d characters)",
                       GSPROV_MAX_LIST_FIRMWARE_LEN);
        q->firmware = v;
        return APR_SUCCESS;
    }
    return APR_NOTFOUND;
}

/* var.<name>=<value> */
static apr_status_t var_arg(apr_pool_t *p, const char *key, const char *v,
                            int secrets_ok, apr_array_header_t *vars,
                            const char **param, char **err)
{
    gsprov_list_var_t *e;
    const char *name = key + 4;

    if (!gsprov_layer_ident_valid(name))
        return bad(p, param, err, key, "%s: invalid variable name "
                   "([A-Za-z0-9_.-], 1-%d characters)", key,
                   GSPROV_MAX_VAR_NAME_LEN);
    if (!secrets_ok && gsprov_record_name_is_secret(name))
        return bad(p, param, err, key, "%s: a secret variable; filtering "
                   "on it needs GsProvAdminSecrets on", key);
    e = apr_array_push(vars);
    e->name = name;
    e->value = v;
    return APR_SUCCESS;
}

apr_status_t gsprov_list_devices_args(apr_pool_t *p, const apr_table_t *args,
                                      int secrets_ok, gsprov_list_query_t *q,
                                      unsigned *fields, const char **param,
                                      char **err)
{
    const apr_array_header_t *a = apr_table_elts(args);
    const apr_table_entry_t *t = (const apr_table_entry_t *)a->elts;
    apr_array_header_t *vars = apr_array_make(p, 2, sizeof(gsprov_list_var_t));
    apr_hash_t *seen = apr_hash_make(p);
    char *mac;
    apr_status_t rv;
    int i;

    gsprov_store_list_init(q, GSPROV_ADMIN_LIST_DEFAULT);
    q->vars = vars;
    *fields = GSPROV_LIST_DEFAULT_FIELDS;
    for (i = 0; i < a->nelts; i++) {
        const char *k = t[i].key, *v = t[i].val ? t[i].val : "";

        if ((rv = once(p, seen, k, param, err)))
            return rv;
        if (!strcmp(k, "limit")) {
            if ((rv = limit_arg(p, v, &q->limit, param, err)))
                return rv;
        }
        else if (!strcmp(k, "after")) {
            mac = apr_palloc(p, GSPROV_MAC_LEN + 1);
            if (!gsprov_mac_parse(v, strlen(v), mac))
                return bad(p, param, err, k, "after must be a MAC (12 hex "
                           "digits)");
            q->after = mac;
        }
        else if (!strcmp(k, "group")) {
            if (!gsprov_name_group_valid(v, strlen(v)))
                return bad(p, param, err, k, "group must be a group name "
                           "([A-Za-z0-9_-])");
            q->group = v;
        }
        else if (!strcmp(k, "model")) {
            if (!gsprov_name_model_valid(v, strlen(v)))
                return bad(p, param, err, k, "model must be a model name "
                           "([A-Za-z0-9_-])");
            q->model = v;
        }
        else if (!strncmp(k, "var.", 4)) {
            if ((rv = var_arg(p, k, v, secrets_ok, vars, param, err)))
                return rv;
        }
        else if (!strcmp(k, "fields")) {
            if ((rv = fields_arg(p, v, fields, param, err)))
                return rv;
        }
        else if ((rv = status_arg(p, k, v, q, param, err))
                 != APR_NOTFOUND) {
            if (rv)
                return rv;
        }
        else if (strcmp(k, "secrets"))  /* (the caller checks secrets=) */
            return bad(p, param, err, k, "unknown parameter '%s' (known: "
                       "after, limit, fields, secrets, group, model, "
                       "var.<name>, seen_after, seen_before, firmware, "
                       "in_sync, never_seen)", k);
    }
    if (q->never_seen == 1 && (q->seen_after || q->seen_before
                               || q->firmware || q->in_sync))
        return bad(p, param, err, "never_seen", "never_seen lists devices "
                   "without a status; it cannot go with seen_after, "
                   "seen_before, firmware or in_sync");
    q->want_status = (*fields & (GSPROV_LIST_STATUS | GSPROV_LIST_IN_SYNC))
                     != 0;
    return APR_SUCCESS;
}

apr_status_t gsprov_list_activations_args(apr_pool_t *p,
                                          const apr_table_t *args,
                                          const char **after, int *limit,
                                          const char **param, char **err)
{
    const apr_array_header_t *a = apr_table_elts(args);
    const apr_table_entry_t *t = (const apr_table_entry_t *)a->elts;
    apr_hash_t *seen = apr_hash_make(p);
    apr_status_t rv;
    int i;

    *after = NULL;
    *limit = GSPROV_ADMIN_LIST_DEFAULT;
    for (i = 0; i < a->nelts; i++) {
        const char *k = t[i].key, *v = t[i].val ? t[i].val : "";

        if ((rv = once(p, seen, k, param, err)))
            return rv;
        if (!strcmp(k, "limit")) {
            if ((rv = limit_arg(p, v, limit, param, err)))
                return rv;
        }
        else if (!strcmp(k, "after")) {
            if (!gsprov_activation_number_valid(v))
                return bad(p, param, err, k, "after must be an activation "
                           "number (1 to %d digits)", GSPROV_MAX_NUMBER_LEN);
            *after = v;
        }
        else
            return bad(p, param, err, k, "unknown parameter '%s' (known: "
                       "after, limit)", k);
    }
    return APR_SUCCESS;
}

json_t *gsprov_list_status_json(const gsprov_seen_t *last)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
                     "at", (json_int_t)last->at, "client", last->client,
                     "model", last->ua_model, "hardware", last->ua_hardware,
                     "firmware", last->ua_firmware, "kind", last->kind,
                     "file", last->file, "result", last->result);
}
