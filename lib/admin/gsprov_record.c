#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlstring.h>
#include "gsprov_record.h"
#include "gsprov_json.h"
#include "gsprov_error.h"
#include "gsprov_name.h"
#include "gsprov_layer.h"

/* P-values that carry passwords (the admin password P2, P196, the XML
 * password P1359, the HTTP secret P1361, the account passwords of accounts
 * 1-6, ...): masked like <password> and <secret>. */
static const char *const secret_pvalues[] = {
    "P2", "P196", "P34", "P404", "P504", "P604", "P1704", "P1804",
    "P1359", "P1361", "P6769"
};

int gsprov_record_name_is_secret(const char *name)
{
    static const char *const words[] = { "pass", "secret", "pwd", "token" };
    size_t i;

    for (i = 0; i < sizeof(secret_pvalues) / sizeof(secret_pvalues[0]); i++)
        if (!strcmp(name, secret_pvalues[i]))
            return 1;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        const char *s;
        size_t n = strlen(words[i]);
        for (s = name; *s; s++)
            if (!strncasecmp(s, words[i], n))
                return 1;
    }
    return 0;
}

/* ---- JSON -> XML ----------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char **field;
    char **err;
} ctx_t;

static apr_status_t bad(ctx_t *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static apr_status_t bad(ctx_t *c, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *c->field = field;
    *c->err = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    return GSPROV_EINVAL;
}

/* Text that survives an XML round trip unchanged: no control characters
 * except tab and newline (jansson already guarantees UTF-8 and no NUL). */
static int text_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
            return 0;
    return 1;
}

static apr_status_t get_string(ctx_t *c, const json_t *v, const char *field,
                               int nonempty, const char **out)
{
    if (!json_is_string(v))
        return bad(c, field, "%s must be a string", field);
    *out = json_string_value(v);
    if (nonempty && !**out)
        return bad(c, field, "%s must not be empty", field);
    if (!text_ok(*out))
        return bad(c, field, "%s holds a control character", field);
    if (strchr(*out, '$') && !gsprov_vars_syntax_ok(*out))
        return bad(c, field, "%s has a malformed ${...}", field);
    return APR_SUCCESS;
}

static apr_status_t writer_release(void *data)
{
    xmlFreeTextWriter(data);
    return APR_SUCCESS;
}

static apr_status_t buffer_release(void *data)
{
    xmlBufferFree(data);
    return APR_SUCCESS;
}

#define W(call) do { if ((call) < 0) goto write_failed; } while (0)
#define X(s) ((const xmlChar *)(s))

static apr_status_t write_strings(ctx_t *c, xmlTextWriterPtr w,
                                  const json_t *arr, const char *key,
                                  const char *elem, int max)
{
    size_t i;
    json_t *v;

    if (!arr)
        return APR_SUCCESS;
    if (!json_is_array(arr))
        return bad(c, key, "%s must be an array of strings", key);
    if (max && json_array_size(arr) > (size_t)max)
        return bad(c, key, "%s holds at most %d entries", key, max);
    json_array_foreach(arr, i, v) {
        const char *f = apr_psprintf(c->p, "%s[%lu]", key, (unsigned long)i);
        const char *s;
        apr_status_t rv = get_string(c, v, f, 1, &s);
        if (rv)
            return rv;
        if (!strcmp(elem, "group") && !gsprov_name_group_valid(s, strlen(s)))
            return bad(c, f, "%s: invalid group name '%s' ([A-Za-z0-9_-], "
                       "1-%d characters)", f, s, GSPROV_MAX_GROUP_LEN);
        if (xmlTextWriterWriteElement(w, X(elem), X(s)) < 0)
            return bad(c, f, "%s: cannot be written", f);
    }
    return APR_SUCCESS;
}

apr_status_t gsprov_record_from_json(apr_pool_t *p, const char *mac,
                                     const json_t *j, char **xml,
                                     apr_size_t *len, const char **field,
                                     char **err)
{
    static const char *const known[] = { "mac", "model", "groups",
        "password", "usernames", "secrets", "vars", "config_version",
        "config" };
    ctx_t c = { p, field, err };
    xmlTextWriterPtr w;
    xmlBufferPtr buf;
    const char *key, *s;
    json_t *v, *cfg;
    apr_status_t rv;
    int version = 1;
    size_t i;

    *field = NULL;
    if (!json_is_object(j))
        return bad(&c, "", "the record must be a JSON object");
    json_object_foreach((json_t *)j, key, v) {
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (!strcmp(key, known[i]))
                break;
        if (i < sizeof(known) / sizeof(known[0]))
            continue;
        /* what GET adds and a client may send back: not the record's */
        if (!strcmp(key, "status"))
            continue;
        if (!strcmp(key, "redacted"))
            return bad(&c, "redacted", "this record was read without its "
                       "secrets; read it with ?secrets=1 to write it back");
        return bad(&c, apr_pstrdup(p, key), "unknown field \"%s\"", key);
    }
    if ((v = json_object_get(j, "mac"))) {
        char m[GSPROV_MAC_LEN + 1];
        if (!json_is_string(v)
            || !gsprov_mac_parse(json_string_value(v),
                                 strlen(json_string_value(v)), m))
            return bad(&c, "mac", "mac must be 12 hex digits");
        if (strcmp(m, mac))
            return bad(&c, "mac", "mac %s is not the MAC of the URL (%s)",
                       m, mac);
    }
    if ((v = json_object_get(j, "config_version"))) {
        if (!json_is_integer(v) || (json_integer_value(v) != 1
                                    && json_integer_value(v) != 2))
            return bad(&c, "config_version", "config_version must be 1 or 2");
        version = (int)json_integer_value(v);
    }

    buf = xmlBufferCreate();
    if (!buf)
        return bad(&c, "", "out of memory");
    apr_pool_cleanup_register(p, buf, buffer_release, apr_pool_cleanup_null);
    w = xmlNewTextWriterMemory(buf, 0);
    if (!w)
        return bad(&c, "", "out of memory");
    apr_pool_cleanup_register(p, w, writer_release, apr_pool_cleanup_null);
    W(xmlTextWriterSetIndent(w, 1));
    W(xmlTextWriterSetIndentString(w, X("  ")));
    W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    W(xmlTextWriterStartElement(w, X("device")));

    if ((v = json_object_get(j, "model"))) {
        if ((rv = get_string(&c, v, "model", 1, &s)))
            return rv;
        if (!gsprov_name_model_valid(s, strlen(s)))
            return bad(&c, "model", "invalid model name '%s' (lowercase "
                       "[a-z0-9], 1-%d characters)", s, GSPROV_MAX_MODEL_LEN);
        W(xmlTextWriterWriteElement(w, X("model"), X(s)));
    }
    if ((rv = write_strings(&c, w, json_object_get(j, "groups"), "groups",
                            "group", 0)))
        return rv;
    if ((v = json_object_get(j, "password"))) {
        if ((rv = get_string(&c, v, "password", 1, &s)))
            return rv;
        W(xmlTextWriterWriteElement(w, X("password"), X(s)));
    }
    if ((rv = write_strings(&c, w, json_object_get(j, "usernames"),
                            "usernames", "username", GSPROV_MAX_CREDENTIALS))
        || (rv = write_strings(&c, w, json_object_get(j, "secrets"),
                               "secrets", "secret", GSPROV_MAX_CREDENTIALS)))
        return rv;
    if ((v = json_object_get(j, "vars"))) {
        json_t *val;
        if (!json_is_object(v))
            return bad(&c, "vars", "vars must be an object of strings");
        json_object_foreach(v, key, val) {
            const char *f = apr_pstrcat(p, "vars.", key, NULL);
            if (!gsprov_layer_ident_valid(key))
                return bad(&c, f, "invalid variable name '%s' "
                           "([A-Za-z0-9_.-], 1-%d characters)", key,
                           GSPROV_MAX_VAR_NAME_LEN);
            if ((rv = get_string(&c, val, f, 0, &s)))
                return rv;
            W(xmlTextWriterStartElement(w, X("var")));
            W(xmlTextWriterWriteAttribute(w, X("name"), X(key)));
            W(xmlTextWriterWriteString(w, X(s)));
            W(xmlTextWriterEndElement(w));
        }
    }
    if ((cfg = json_object_get(j, "config"))) {
        json_t *val;
        if (!json_is_object(cfg))
            return bad(&c, "config", "config must be an object");
        W(xmlTextWriterStartElement(w, X("config")));
        W(xmlTextWriterWriteAttribute(w, X("version"),
                                      X(version == 1 ? "1" : "2")));
        json_object_foreach(cfg, key, val) {
            const char *f = apr_pstrcat(p, "config.", key, NULL);
            if (version == 1 ? !gsprov_layer_pname_valid(key)
                             : !gsprov_layer_ident_valid(key))
                return bad(&c, f, version == 1
                           ? "'%s' is not a P-value name (P and 1-5 digits; "
                             "set config_version 2 for alias names)"
                           : "invalid item name '%s' ([A-Za-z0-9_.-])", key);
            if (version == 1 || !json_is_object(val)) {
                if ((rv = get_string(&c, val, f, 0, &s)))
                    return rv;
                if (version == 1)
                    W(xmlTextWriterWriteElement(w, X(key), X(s)));
                else {
                    W(xmlTextWriterStartElement(w, X("item")));
                    W(xmlTextWriterWriteAttribute(w, X("name"), X(key)));
                    W(xmlTextWriterWriteString(w, X(s)));
                    W(xmlTextWriterEndElement(w));
                }
            }
            else {      /* v2 compound item: {"part": "value", ...} */
                const char *pk;
                json_t *pv;
                W(xmlTextWriterStartElement(w, X("item")));
                W(xmlTextWriterWriteAttribute(w, X("name"), X(key)));
                json_object_foreach(val, pk, pv) {
                    const char *pf = apr_pstrcat(p, f, ".", pk, NULL);
                    if (!gsprov_layer_ident_valid(pk))
                        return bad(&c, pf, "invalid part name '%s'", pk);
                    if ((rv = get_string(&c, pv, pf, 0, &s)))
                        return rv;
                    W(xmlTextWriterStartElement(w, X("part")));
                    W(xmlTextWriterWriteAttribute(w, X("name"), X(pk)));
                    W(xmlTextWriterWriteString(w, X(s)));
                    W(xmlTextWriterEndElement(w));
                }
                W(xmlTextWriterEndElement(w));
            }
        }
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndDocument(w));
    W(xmlTextWriterFlush(w));
    *len = (apr_size_t)xmlBufferLength(buf);
    *xml = apr_pstrmemdup(p, (const char *)xmlBufferContent(buf), *len);
    if (*len > GSPROV_MAX_DEVICE_BYTES)
        return bad(&c, "", "the record is %lu bytes, over the limit of %d",
                   (unsigned long)*len, GSPROV_MAX_DEVICE_BYTES);
    return APR_SUCCESS;

write_failed:
    return bad(&c, "", "the record could not be written as XML");
}

/* ---- record -> JSON -------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *gsprov_record_bytes_to_json(apr_pool_t *p, const char *mac,
                                    const char *data, apr_size_t len)
{
    gsprov_device_t *d;
    char *err = NULL;

    if (gsprov_xml_parse_device(p, mac, data, len, "record", &d, &err))
        return NULL;
    return gsprov_record_to_json(p, d, 1);
}

json_t *gsprov_record_to_json(apr_pool_t *p, const gsprov_device_t *d,
                              int secrets)
{
    json_t *o = gsprov_json_pool(p, json_object());
    json_t *redacted = json_array(), *a, *vars, *cfg;
    apr_array_header_t *names;
    apr_hash_index_t *hi;
    int i;

    json_object_set_new(o, "mac", json_string(d->mac));
    if (d->model)
        json_object_set_new(o, "model", json_string(d->model));
    a = json_array();
    for (i = 0; i < d->groups->nelts; i++)
        json_array_append_new(a, json_string(APR_ARRAY_IDX(d->groups, i,
                                                           const char *)));
    json_object_set_new(o, "groups", a);
    if (d->password && secrets)
        json_object_set_new(o, "password", json_string(d->password));
    else if (d->password)
        json_array_append_new(redacted, json_string("password"));
    if (d->nusernames) {
        a = json_array();
        for (i = 0; i < d->nusernames; i++)
            json_array_append_new(a, json_string(d->usernames[i]));
        json_object_set_new(o, "usernames", a);
    }
    if (d->nsecrets && secrets) {
        a = json_array();
        for (i = 0; i < d->nsecrets; i++)
            json_array_append_new(a, json_string(d->secrets[i]));
        json_object_set_new(o, "secrets", a);
    }
    else if (d->nsecrets)
        json_array_append_new(redacted, json_string("secrets"));

    /* vars come from a hash: sorted, so the output is stable */
    names = apr_array_make(p, 8, sizeof(const char *));
    for (hi = apr_hash_first(p, d->vars); hi; hi = apr_hash_next(hi))
        APR_ARRAY_PUSH(names, const char *) = apr_hash_this_key(hi);
    qsort(names->elts, (size_t)names->nelts, sizeof(const char *), cmp_str);
    vars = json_object();
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        if (!secrets && gsprov_record_name_is_secret(n))
            json_array_append_new(redacted,
                                  json_string(apr_pstrcat(p, "vars.", n,
                                                          NULL)));
        else
            json_object_set_new(vars, n, json_string(
                apr_hash_get(d->vars, n, APR_HASH_KEY_STRING)));
    }
    json_object_set_new(o, "vars", vars);

    json_object_set_new(o, "config_version",
                        json_integer(d->config->version == 2 ? 2 : 1));
    cfg = json_object();
    for (i = 0; i < d->config->params->nelts; i++) {
        const gsprov_param_t *prm = &APR_ARRAY_IDX(d->config->params, i,
                                                   gsprov_param_t);
        if (!secrets && gsprov_record_name_is_secret(prm->name)) {
            const char *f = apr_pstrcat(p, "config.", prm->name, NULL);
            size_t k, n = json_array_size(redacted);
            for (k = 0; k < n; k++)
                if (!strcmp(json_string_value(json_array_get(redacted, k)),
                            f))
                    break;
            if (k == n)
                json_array_append_new(redacted, json_string(f));
            continue;
        }
        if (prm->part) {
            json_t *item = json_object_get(cfg, prm->name);
            if (!json_is_object(item)) {
                item = json_object();
                json_object_set_new(cfg, prm->name, item);
            }
            json_object_set_new(item, prm->part, json_string(prm->value));
        }
        else
            json_object_set_new(cfg, prm->name, json_string(prm->value));
    }
    json_object_set_new(o, "config", cfg);
    if (json_array_size(redacted))
        json_object_set_new(o, "redacted", redacted);
    else
        json_decref(redacted);
    return o;
}

/* ---- validation ------------------------------------------------------ */

apr_status_t gsprov_record_check(apr_pool_t *p, const gsprov_templates_t *t,
                                 const gsprov_settings_t *set,
                                 const char *mac, const char *xml,
                                 apr_size_t len, gsprov_device_t **out,
                                 char **err)
{
    const char *label = apr_pstrcat(p, "devices/", mac, ".xml", NULL);
    gsprov_settings_t s = *set;
    gsprov_device_t *dev;
    gsprov_store_t *store;
    gsprov_output_t o;
    gsprov_name_t name;
    gsprov_blob_t rec;
    apr_status_t rv;

    if ((rv = gsprov_xml_parse_device(p, mac, xml, len, label, &dev, err)))
        return rv;
    /* the candidate, in front of the real templates, so the unchanged
     * provisioning pipeline renders it */
    rec.data = xml;
    rec.len = len;
    rec.label = label;
    rec.version = gsprov_store_version(p, xml, len);
    store = gsprov_store_one(p, t, mac, &rec, "candidate");
    s.plain = 1;
    s.ua = NULL;
    memset(&name, 0, sizeof(name));
    apr_cpystrn(name.mac, mac, sizeof(name.mac));
    name.kind = name.reading[0].kind = GSPROV_KIND_DEVICE_XML;
    name.nreadings = 1;
    name.any_affix = 1;
    if ((rv = gsprov_provision(p, store, t, &name, &s, &o, err)))
        return rv;
    /* v1 chains must also encode as a binary file (as lint checks) */
    s.binary = GSPROV_BINARY_FULL;
    name.kind = name.reading[0].kind = GSPROV_KIND_DEVICE_BIN;
    rv = gsprov_provision(p, store, t, &name, &s, &o, err);
    if (rv == GSPROV_ENOTFOUND)     /* v2: no binary file, by design */
        rv = APR_SUCCESS;
    if (rv == APR_SUCCESS && out)
        *out = dev;
    return rv;
}

/* ---- audit: what changed --------------------------------------------- */

static void diff_add(json_t *out, const char *path, const json_t *v,
                     int secret)
{
    json_object_set_new(out, path, !v ? json_null()
                        : secret ? json_string("***") : json_deep_copy(v));
}

json_t *gsprov_record_changes(apr_pool_t *p, const json_t *a,
                              const json_t *b)
{
    static const char *const flat[] = { "model", "groups", "usernames",
                                        "config_version" };
    static const char *const hidden[] = { "password", "secrets" };
    static const char *const maps[] = { "vars", "config" };
    json_t *out = gsprov_json_pool(p, json_object());
    json_t *na = json_object(), *nb = json_object();
    size_t i;

    /* missing records compare like empty ones */
    if (!a)
        a = na;
    if (!b)
        b = nb;
    for (i = 0; i < sizeof(flat) / sizeof(flat[0]); i++) {
        json_t *x = json_object_get(a, flat[i]), *y = json_object_get(b,
                                                                   flat[i]);
        if (!json_equal(x, y) && (x || y))
            diff_add(out, flat[i], y, 0);
    }
    for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        json_t *x = json_object_get(a, hidden[i]), *y = json_object_get(b,
                                                                   hidden[i]);
        if (!json_equal(x, y) && (x || y))
            diff_add(out, hidden[i], y, 1);
    }
    for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        json_t *x = json_object_get(a, maps[i]), *y = json_object_get(b,
                                                                   maps[i]);
        const char *k;
        json_t *v;
        if (!json_is_object(x))
            x = na;
        if (!json_is_object(y))
            y = nb;
        json_object_foreach(y, k, v) {
            if (!json_equal(v, json_object_get(x, k)))
                diff_add(out, apr_pstrcat(p, maps[i], ".", k, NULL), v,
                         gsprov_record_name_is_secret(k));
        }
        json_object_foreach(x, k, v) {
            if (!json_object_get(y, k))
                diff_add(out, apr_pstrcat(p, maps[i], ".", k, NULL), NULL, 0);
        }
    }
    json_decref(na);
    json_decref(nb);
    return out;
}
