#include <string.h>
#include <apr_strings.h>
#include "gsprov_device.h"
#include "gsprov_name.h"
#include "gsprov_xml.h"
#include "gsprov_crypto.h"
#include "gsprov_error.h"

#define IS(node, s) (xmlStrcmp((node)->name, (const xmlChar *)(s)) == 0)

apr_status_t gsprov_device_parse(apr_pool_t *p, const char *mac,
                                 const char *buf, apr_size_t len,
                                 const char *label, gsprov_device_t **out,
                                 char **err)
{
    gsprov_device_t *d;
    xmlDocPtr doc;
    xmlNodePtr root, c;
    apr_status_t rv;
    int have_config = 0;

    if ((rv = gsprov_xml_parse(p, buf, len, label, &doc, err)))
        return rv;
    root = xmlDocGetRootElement(doc);
    if (!IS(root, "device")) {
        *err = gsprov_xml_err(p, label, root, "root element is <%s>, "
                              "expected <device>", (const char *)root->name);
        return GSPROV_EPARSE;
    }
    d = apr_pcalloc(p, sizeof(*d));
    apr_cpystrn(d->mac, mac, sizeof(d->mac));
    d->label = label;
    d->groups = apr_array_make(p, 4, sizeof(const char *));
    d->vars = apr_hash_make(p);
    d->config = gsprov_layer_empty(p, label);

    for (c = root->children; c; c = c->next) {
        const char *text;
        if (c->type != XML_ELEMENT_NODE) {
            if (gsprov_xml_ignorable(c))
                continue;
            *err = gsprov_xml_err(p, label, c, "unexpected text in <device>");
            return GSPROV_EPARSE;
        }
        if (IS(c, "config")) {
            if (have_config++) {
                *err = gsprov_xml_err(p, label, c,
                                      "more than one <config> element");
                return GSPROV_EPARSE;
            }
            if ((rv = gsprov_layer_from_config(p, c, label, d->config, err)))
                return rv;
            continue;
        }
        if (!(text = gsprov_xml_text(p, c, label, err)))
            return GSPROV_EPARSE;
        if (IS(c, "model")) {
            if (d->model) {
                *err = gsprov_xml_err(p, label, c, "more than one <model>");
                return GSPROV_EPARSE;
            }
            if (!gsprov_model_name_valid(text, strlen(text))) {
                *err = gsprov_xml_err(p, label, c, "invalid model name '%s' "
                                      "(lowercase [a-z0-9], 1-32 characters)",
                                      text);
                return GSPROV_EPARSE;
            }
            d->model = text;
        }
        else if (IS(c, "group")) {
            if (!gsprov_group_name_valid(text, strlen(text))) {
                *err = gsprov_xml_err(p, label, c, "invalid group name '%s' "
                                      "([A-Za-z0-9_-], 1-64 characters)",
                                      text);
                return GSPROV_EPARSE;
            }
            APR_ARRAY_PUSH(d->groups, const char *) = text;
        }
        else if (IS(c, "password")) {
            if (d->password || !*text) {
                *err = gsprov_xml_err(p, label, c, "<password> must be given "
                                      "once and not be empty");
                return GSPROV_EPARSE;
            }
            d->password = text;
        }
        else if (IS(c, "var")) {
            const char *name = gsprov_xml_attr(p, c, "name");
            if (!name || !gsprov_ident_valid(name)) {
                *err = gsprov_xml_err(p, label, c, "<var> needs a name "
                                      "attribute of [A-Za-z0-9_.-] characters");
                return GSPROV_EPARSE;
            }
            apr_hash_set(d->vars, name, APR_HASH_KEY_STRING, text);
        }
        else {
            /* never echo the element's content: it could be a secret */
            *err = gsprov_xml_err(p, label, c, "unexpected element <%s> in "
                                  "<device>", (const char *)c->name);
            return GSPROV_EPARSE;
        }
    }
    d->bytes = buf;
    d->nbytes = len;
    *out = d;
    return APR_SUCCESS;
}

const char *gsprov_device_version(apr_pool_t *p, const gsprov_device_t *d)
{
    return gsprov_sha256_hex(p, d->bytes, d->nbytes);
}
