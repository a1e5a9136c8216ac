#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include "gsprov_xml.h"
#include "gsprov_error.h"

static apr_status_t free_doc(void *doc)
{
    xmlFreeDoc((xmlDocPtr)doc);
    return APR_SUCCESS;
}

static char *chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && apr_isspace(s[n - 1]))
        s[--n] = '\0';
    return s;
}

apr_status_t gsprov_xml_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                              const char *label, xmlDocPtr *doc, char **err)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr d;

    *doc = NULL;
    if (len > (apr_size_t)INT_MAX) {
        *err = apr_psprintf(p, "%s: file too large", label);
        return GSPROV_EPARSE;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        *err = apr_psprintf(p, "%s: out of memory", label);
        return GSPROV_EPARSE;
    }
    /* NOERROR/NOWARNING keep libxml2 from printing to stderr; the error
     * is taken from the context instead (thread-safe). */
    d = xmlCtxtReadMemory(ctxt, buf, (int)len, label, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR
                          | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!d || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        *err = apr_psprintf(p, "%s:%d: XML error: %s", label,
                            e ? e->line : 0,
                            e && e->message
                                ? chomp(apr_pstrdup(p, e->message))
                                : "not well-formed");
        if (d)
            xmlFreeDoc(d);
        xmlFreeParserCtxt(ctxt);
        return GSPROV_EPARSE;
    }
    xmlFreeParserCtxt(ctxt);
    apr_pool_cleanup_register(p, d, free_doc, apr_pool_cleanup_null);
    if (d->intSubset || d->extSubset) {
        /* libxml2 keeps no line number on the DTD node (xmlGetLineNo
         * gives -1): count the lines before the declaration instead */
        const char *at = memmem(buf, len, "<!DOCTYPE", 9), *q;
        long line = 1;
        for (q = buf; at && q < at; q++)
            line += *q == '\n';
        *err = apr_psprintf(p, "%s:%ld: DOCTYPE declarations are not allowed",
                            label, line);
        return GSPROV_EPARSE;
    }
    if (!xmlDocGetRootElement(d)) {
        *err = apr_psprintf(p, "%s:1: no root element", label);
        return GSPROV_EPARSE;
    }
    *doc = d;
    return APR_SUCCESS;
}

char *gsprov_xml_err(apr_pool_t *p, const char *label, xmlNodePtr node,
                     const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return apr_psprintf(p, "%s:%ld: %s", label,
                        node ? xmlGetLineNo(node) : 0L, msg);
}

int gsprov_xml_ignorable(xmlNodePtr n)
{
    if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
        return 1;
    if (n->type == XML_TEXT_NODE) {
        const xmlChar *c = n->content;
        while (c && *c) {
            if (!apr_isspace(*c))
                return 0;
            c++;
        }
        return 1;
    }
    return 0;
}

const char *gsprov_xml_text(apr_pool_t *p, xmlNodePtr node, const char *label,
                            char **err)
{
    xmlNodePtr c;
    apr_size_t total = 0, off = 0;
    char *out;

    for (c = node->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            total += c->content ? strlen((const char *)c->content) : 0;
        else if (c->type == XML_ENTITY_REF_NODE) {
            *err = gsprov_xml_err(p, label, node,
                                  "entity references are not allowed in <%s>",
                                  (const char *)node->name);
            return NULL;
        }
        else if (c->type == XML_ELEMENT_NODE) {
            *err = gsprov_xml_err(p, label, c,
                                  "unexpected element <%s> inside <%s>",
                                  (const char *)c->name,
                                  (const char *)node->name);
            return NULL;
        }
    }
    out = apr_palloc(p, total + 1);
    for (c = node->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            && c->content) {
            apr_size_t n = strlen((const char *)c->content);
            memcpy(out + off, c->content, n);
            off += n;
        }
    }
    out[off] = '\0';
    return out;
}

const char *gsprov_xml_attr(apr_pool_t *p, xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
    const char *r;
    if (!v)
        return NULL;
    r = apr_pstrdup(p, (const char *)v);
    xmlFree(v);
    return r;
}
