/* libxml2 glue: safe parsing into pool-owned documents, node helpers. */
#ifndef GSPROV_XML_H
#define GSPROV_XML_H

#include <apr_pools.h>
#include <libxml/tree.h>

/* Parse buf as XML.  No network, no DTD, no entity expansion; a DOCTYPE is
 * refused.  The document is freed with pool p.  On failure returns
 * GSPROV_EPARSE and *err = "label:line: message". */
apr_status_t gsprov_xml_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                              const char *label, xmlDocPtr *doc, char **err);

/* Text content of an element, copied into p.  Returns NULL (and sets *err)
 * if the element has element children. */
const char *gsprov_xml_text(apr_pool_t *p, xmlNodePtr node, const char *label,
                            char **err);

/* Attribute value copied into p, or NULL if absent. */
const char *gsprov_xml_attr(apr_pool_t *p, xmlNodePtr node, const char *name);

/* 1 if node is only whitespace text or a comment/PI (ignorable). */
int gsprov_xml_ignorable(xmlNodePtr node);

/* Format an error about node: "label:line: <fmt...>". */
char *gsprov_xml_err(apr_pool_t *p, const char *label, xmlNodePtr node,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
