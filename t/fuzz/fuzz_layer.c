/* gsprov_xml_parse_layer on arbitrary bytes.  When a layer is accepted it is
 * merged and rendered with every referenced variable defined (values full
 * of markup characters), and the output must be well-formed XML that reads
 * back to exactly the expanded values. */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "fuzz.h"
#include "gsprov_layer.h"
#include "gsprov_merge.h"
#include "gsprov_render.h"
#include "gsprov_vars.h"
#include "gsprov_error.h"

#define LABEL "fuzz.xml"

/* Define every ${name} used in s (nothing is defined from "$${"). */
static void define_refs(apr_pool_t *p, apr_hash_t *h, const char *s)
{
    while ((s = strchr(s, '$')) != NULL) {
        if (s[1] == '$' && s[2] == '{')
            s += 3;
        else if (s[1] == '{') {
            const char *e = strchr(s + 2, '}');
            FUZZ_CHECK(e != NULL);      /* syntax was checked at load */
            apr_hash_set(h, apr_pstrmemdup(p, s + 2, (apr_size_t)(e - s - 2)),
                         APR_HASH_KEY_STRING,
                         apr_psprintf(p, "<&\"'>\r\n\xc3\xa9${%.*s}$",
                                      (int)(e - s - 2), s + 2));
            s = e + 1;
        }
        else
            s++;
    }
}

static const char *key(apr_pool_t *p, const char *name, const char *part)
{
    return part ? apr_pstrcat(p, name, "\x1f", part, NULL) : name;
}

static void check_output(apr_pool_t *p, const char *body, apr_size_t len,
                         int version, const char *mac, apr_hash_t *want)
{
    xmlDocPtr doc = xmlReadMemory(body, (int)len, "out.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR
                                  | XML_PARSE_NOWARNING);
    xmlNodePtr root, c, item, part;
    unsigned seen = 0;

    FUZZ_CHECK(doc != NULL);
    root = xmlDocGetRootElement(doc);
    FUZZ_CHECK(root && !xmlStrcmp(root->name, (const xmlChar *)"gs_provision"));
    for (c = root->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
        ;
    if (mac) {
        xmlChar *text;
        FUZZ_CHECK(c && !xmlStrcmp(c->name, (const xmlChar *)"mac"));
        text = xmlNodeGetContent(c);
        FUZZ_CHECK(!strcmp((const char *)text, mac));
        xmlFree(text);
        for (c = c->next; c && c->type != XML_ELEMENT_NODE; c = c->next)
            ;
    }
    FUZZ_CHECK(c && !xmlStrcmp(c->name, (const xmlChar *)"config"));
    {
        xmlChar *ver = xmlGetProp(c, (const xmlChar *)"version");
        FUZZ_CHECK(ver && atoi((const char *)ver) == version);
        xmlFree(ver);
    }
    for (item = c->children; item; item = item->next) {
        xmlChar *name, *text;
        const char *w;
        int has_parts = 0;

        if (item->type != XML_ELEMENT_NODE)
            continue;
        if (version == 1) {
            text = xmlNodeGetContent(item);
            w = apr_hash_get(want, (const char *)item->name,
                             APR_HASH_KEY_STRING);
            FUZZ_CHECK(w && strcmp(w, (const char *)text) == 0);
            xmlFree(text);
            seen++;
            continue;
        }
        FUZZ_CHECK(!xmlStrcmp(item->name, (const xmlChar *)"item"));
        name = xmlGetProp(item, (const xmlChar *)"name");
        FUZZ_CHECK(name != NULL);
        for (part = item->children; part; part = part->next) {
            xmlChar *pn;
            if (part->type != XML_ELEMENT_NODE)
                continue;
            has_parts = 1;
            pn = xmlGetProp(part, (const xmlChar *)"name");
            FUZZ_CHECK(pn != NULL);
            text = xmlNodeGetContent(part);
            w = apr_hash_get(want, key(p, (const char *)name,
                                       (const char *)pn), APR_HASH_KEY_STRING);
            FUZZ_CHECK(w && strcmp(w, (const char *)text) == 0);
            xmlFree(text);
            xmlFree(pn);
            seen++;
        }
        if (!has_parts) {
            text = xmlNodeGetContent(item);
            w = apr_hash_get(want, (const char *)name, APR_HASH_KEY_STRING);
            FUZZ_CHECK(w && strcmp(w, (const char *)text) == 0);
            xmlFree(text);
            seen++;
        }
        xmlFree(name);
    }
    xmlFreeDoc(doc);
    /* an item whose parts are all empty renders as <item><part/></item>,
     * one without parts as a plain item: every key is seen exactly once */
    FUZZ_CHECK(seen == apr_hash_count(want));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    gsprov_layer_t *l = NULL;
    const gsprov_layer_t *ls[1];
    gsprov_merged_t *m;
    gsprov_vars_t v = { NULL, NULL, NULL, NULL };
    apr_hash_t *want;
    char *err = NULL, *body;
    const char *mac;
    apr_size_t len;
    apr_status_t rv;
    int i;

    apr_pool_create(&p, fuzz_root());
    rv = gsprov_xml_parse_layer(p, (const char *)data, size, LABEL, &l, &err);
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(rv == GSPROV_EPARSE);
        FUZZ_CHECK(err && strncmp(err, LABEL ":", sizeof(LABEL)) == 0);
        goto done;
    }
    FUZZ_CHECK(l->version == 1 || l->version == 2);
    v.device = v.tenant = NULL;
    v.builtin = apr_hash_make(p);
    for (i = 0; i < l->params->nelts; i++) {
        const gsprov_param_t *q = &APR_ARRAY_IDX(l->params, i, gsprov_param_t);
        FUZZ_CHECK(l->version == 1 ? gsprov_layer_pname_valid(q->name)
                                   : gsprov_layer_ident_valid(q->name));
        FUZZ_CHECK(!q->part || (l->version == 2 && gsprov_layer_ident_valid(q->part)));
        FUZZ_CHECK(q->has_vars == (strchr(q->value, '$') != NULL));
        FUZZ_CHECK(gsprov_vars_syntax_ok(q->value));
        FUZZ_CHECK(q->line > 0 && !strcmp(q->src, LABEL));
        define_refs(p, v.builtin, q->value);
    }
    ls[0] = l;
    FUZZ_CHECK(gsprov_merge(p, ls, 1, &m, &err) == APR_SUCCESS);
    FUZZ_CHECK(m->version == l->version);
    want = apr_hash_make(p);
    for (i = 0; i < m->params->nelts; i++) {
        const gsprov_param_t *q = APR_ARRAY_IDX(m->params, i,
                                                const gsprov_param_t *);
        const char *val;
        FUZZ_CHECK(gsprov_render_value(p, q, &v, &val, &err) == APR_SUCCESS);
        apr_hash_set(want, key(p, q->name, q->part), APR_HASH_KEY_STRING, val);
    }
    mac = i % 2 ? "000b82abcdef" : NULL;
    rv = gsprov_render_xml(p, m, mac, &v, &body, &len, &err);
    FUZZ_CHECK(rv == APR_SUCCESS);
    FUZZ_CHECK(strlen(body) == len);
    check_output(p, body, len, m->version, mac, want);
done:
    apr_pool_destroy(p);
    return 0;
}
