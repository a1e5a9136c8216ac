#include <string.h>
#include <apr_strings.h>
#include <libxml/entities.h>
#include <libxml/xmlmemory.h>
#include "gsprov_render.h"
#include "gsprov_error.h"

apr_status_t gsprov_render_value(apr_pool_t *p, const gsprov_param_t *prm,
                                 const gsprov_vars_t *vars, const char **out,
                                 char **err)
{
    const char *missing = NULL;
    apr_status_t rv;

    if (!prm->has_vars) {
        *out = prm->value;
        return APR_SUCCESS;
    }
    rv = gsprov_vars_expand(p, prm->value, vars, out, &missing);
    if (rv == GSPROV_EUNDEFVAR)
        *err = apr_psprintf(p, "%s:%d: undefined variable ${%s} in %s%s%s",
                            prm->src, prm->line, missing, prm->name,
                            prm->part ? "/" : "", prm->part ? prm->part : "");
    else if (rv != APR_SUCCESS)
        *err = apr_psprintf(p, "%s:%d: malformed ${...} in %s", prm->src,
                            prm->line, prm->name);
    return rv;
}

/* libxml2 does the escaping; values without special characters (nearly
 * all of them) skip the call and its malloc. */
static const char *escape(apr_pool_t *p, const char *s)
{
    xmlChar *e;
    const char *r;
    if (!strpbrk(s, "&<>\"\r"))
        return s;
    e = xmlEncodeSpecialChars(NULL, (const xmlChar *)s);
    if (!e)
        return NULL;
    r = apr_pstrdup(p, (const char *)e);
    xmlFree(e);
    return r;
}

apr_status_t gsprov_render_prepare(apr_pool_t *p, gsprov_param_t *prm,
                                   int version, char **err)
{
    if (version == 2) {
        prm->open = apr_pstrcat(p, "    <item name=\"", prm->name, "\">", NULL);
        prm->close = "</item>\n";
    }
    else {
        prm->open = apr_pstrcat(p, "    <", prm->name, ">", NULL);
        prm->close = apr_pstrcat(p, "</", prm->name, ">\n", NULL);
    }
    prm->open_len = strlen(prm->open);
    prm->close_len = strlen(prm->close);
    if (!prm->has_vars) {
        const char *val = escape(p, prm->value);
        if (!val) {
            *err = apr_psprintf(p, "%s:%d: out of memory", prm->src,
                                prm->line);
            return APR_ENOMEM;
        }
        prm->xml = apr_pstrcat(p, prm->open, val, prm->close, NULL);
        prm->xml_len = strlen(prm->xml);
    }
    return APR_SUCCESS;
}

/* The output is assembled as a list of pieces, then copied once into a
 * buffer of the exact size (a request renders ~150 parameters, so this
 * path is kept free of per-piece allocation). */
typedef struct {
    struct iovec *v;
    int n;
    apr_size_t total;
} pieces_t;

static APR_INLINE void put(pieces_t *o, const char *s, apr_size_t len)
{
    o->v[o->n].iov_base = (void *)s;
    o->v[o->n].iov_len = len;
    o->n++;
    o->total += len;
}

#define PUTL(o, lit) put(o, lit, sizeof(lit) - 1)
#define PUTS(o, str) do { const char *s_ = (str); put(o, s_, strlen(s_)); } \
                     while (0)

static apr_status_t put_value(apr_pool_t *p, pieces_t *o,
                              const gsprov_param_t *prm,
                              const gsprov_vars_t *vars, char **err)
{
    const char *val;
    apr_status_t rv = gsprov_render_value(p, prm, vars, &val, err);
    if (rv != APR_SUCCESS)
        return rv;
    if (!(val = escape(p, val)))
        return APR_ENOMEM;
    PUTS(o, val);
    return APR_SUCCESS;
}

apr_status_t gsprov_render_xml(apr_pool_t *p, const gsprov_merged_t *m,
                               const char *mac, const gsprov_vars_t *vars,
                               char **body, apr_size_t *len, char **err)
{
    pieces_t o;
    apr_hash_t *done_items = NULL;
    apr_status_t rv;
    char *buf, *d;
    int i;

    /* at most 8 pieces per parameter (v2 parts: 5, plus 3 per item) */
    o.v = apr_palloc(p, sizeof(struct iovec) * (size_t)(m->params->nelts * 8
                                                        + 8));
    o.n = 0;
    o.total = 0;

    PUTL(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<gs_provision version=\"1\">\n");
    if (mac) {
        PUTL(&o, "  <mac>");
        PUTS(&o, mac);
        PUTL(&o, "</mac>\n");
    }
    if (m->version == 2)
        PUTL(&o, "  <config version=\"2\">\n");
    else
        PUTL(&o, "  <config version=\"1\">\n");

    for (i = 0; i < m->params->nelts; i++) {
        const gsprov_param_t *prm =
            APR_ARRAY_IDX(m->params, i, const gsprov_param_t *);

        if (prm->part) {
            /* A compound v2 item: emit all its parts together, once. */
            int j;
            if (!done_items)
                done_items = apr_hash_make(p);
            if (apr_hash_get(done_items, prm->name, APR_HASH_KEY_STRING))
                continue;
            apr_hash_set(done_items, prm->name, APR_HASH_KEY_STRING, "");
            PUTL(&o, "    <item name=\"");
            PUTS(&o, prm->name);
            PUTL(&o, "\">\n");
            for (j = i; j < m->params->nelts; j++) {
                const gsprov_param_t *q =
                    APR_ARRAY_IDX(m->params, j, const gsprov_param_t *);
                if (!q->part || strcmp(q->name, prm->name) != 0)
                    continue;
                PUTL(&o, "      <part name=\"");
                PUTS(&o, q->part);
                PUTL(&o, "\">");
                if ((rv = put_value(p, &o, q, vars, err)))
                    return rv;
                PUTL(&o, "</part>\n");
            }
            PUTL(&o, "    </item>\n");
        }
        else if (prm->xml) {
            put(&o, prm->xml, prm->xml_len);
        }
        else if (prm->open) {
            put(&o, prm->open, prm->open_len);
            if ((rv = put_value(p, &o, prm, vars, err)))
                return rv;
            put(&o, prm->close, prm->close_len);
        }
        else if (m->version == 2) {     /* not pre-rendered (device layer) */
            PUTL(&o, "    <item name=\"");
            PUTS(&o, prm->name);
            PUTL(&o, "\">");
            if ((rv = put_value(p, &o, prm, vars, err)))
                return rv;
            PUTL(&o, "</item>\n");
        }
        else {
            apr_size_t nl = strlen(prm->name);
            PUTL(&o, "    <");
            put(&o, prm->name, nl);
            PUTL(&o, ">");
            if ((rv = put_value(p, &o, prm, vars, err)))
                return rv;
            PUTL(&o, "</");
            put(&o, prm->name, nl);
            PUTL(&o, ">\n");
        }
    }
    PUTL(&o, "  </config>\n</gs_provision>\n");

    d = buf = apr_palloc(p, o.total + 1);
    for (i = 0; i < o.n; i++) {
        memcpy(d, o.v[i].iov_base, o.v[i].iov_len);
        d += o.v[i].iov_len;
    }
    *d = '\0';
    *body = buf;
    *len = o.total;
    return APR_SUCCESS;
}
