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

#define PUSH(str) do { \
        struct iovec *v_ = apr_array_push(iov); \
        v_->iov_base = (void *)(str); v_->iov_len = strlen(str); \
    } while (0)

apr_status_t gsprov_render_xml(apr_pool_t *p, const gsprov_merged_t *m,
                               const char *mac, const gsprov_vars_t *vars,
                               char **body, apr_size_t *len, char **err)
{
    apr_array_header_t *iov = apr_array_make(p, m->params->nelts * 5 + 8,
                                             sizeof(struct iovec));
    apr_hash_t *done_items = NULL;
    int i;

    PUSH("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<gs_provision version=\"1\">\n");
    if (mac) {
        PUSH("  <mac>");
        PUSH(mac);
        PUSH("</mac>\n");
    }
    PUSH(m->version == 2 ? "  <config version=\"2\">\n"
                         : "  <config version=\"1\">\n");

    for (i = 0; i < m->params->nelts; i++) {
        const gsprov_param_t *prm =
            APR_ARRAY_IDX(m->params, i, const gsprov_param_t *);
        const char *val;
        apr_status_t rv;

        if (prm->part) {
            /* A compound v2 item: emit all its parts together, once. */
            int j;
            if (!done_items)
                done_items = apr_hash_make(p);
            if (apr_hash_get(done_items, prm->name, APR_HASH_KEY_STRING))
                continue;
            apr_hash_set(done_items, prm->name, APR_HASH_KEY_STRING, "");
            PUSH("    <item name=\"");
            PUSH(prm->name);
            PUSH("\">\n");
            for (j = i; j < m->params->nelts; j++) {
                const gsprov_param_t *q =
                    APR_ARRAY_IDX(m->params, j, const gsprov_param_t *);
                if (!q->part || strcmp(q->name, prm->name) != 0)
                    continue;
                if ((rv = gsprov_render_value(p, q, vars, &val, err)))
                    return rv;
                PUSH("      <part name=\"");
                PUSH(q->part);
                PUSH("\">");
                if (!(val = escape(p, val)))
                    return APR_ENOMEM;
                PUSH(val);
                PUSH("</part>\n");
            }
            PUSH("    </item>\n");
            continue;
        }
        if ((rv = gsprov_render_value(p, prm, vars, &val, err)))
            return rv;
        if (!(val = escape(p, val)))
            return APR_ENOMEM;
        if (m->version == 2) {
            PUSH("    <item name=\"");
            PUSH(prm->name);
            PUSH("\">");
            PUSH(val);
            PUSH("</item>\n");
        }
        else {
            PUSH("    <");
            PUSH(prm->name);
            PUSH(">");
            PUSH(val);
            PUSH("</");
            PUSH(prm->name);
            PUSH(">\n");
        }
    }
    PUSH("  </config>\n</gs_provision>\n");
    *body = apr_pstrcatv(p, (const struct iovec *)iov->elts,
                         (apr_size_t)iov->nelts, len);
    return APR_SUCCESS;
}
