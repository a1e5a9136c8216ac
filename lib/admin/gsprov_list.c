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
                       "(known: mac, model, groups, vars)", f);
        *fields |= known[i].bit;
    }
    return APR_SUCCESS;
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

    memset(q, 0, sizeof(*q));
    q->limit = GSPROV_ADMIN_LIST_DEFAULT;
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
        else if (strcmp(k, "secrets"))  /* (the caller checks secrets=) */
            return bad(p, param, err, k, "unknown parameter '%s' (known: "
                       "after, limit, fields, secrets, group, model, "
                       "var.<name>)", k);
    }
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
