#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "gsprov_layer.h"
#include "gsprov_vars.h"
#include "gsprov_render.h"
#include "gsprov_xml.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

#define IS(node, s) (xmlStrcmp((node)->name, (const xmlChar *)(s)) == 0)

int gsprov_pname_valid(const char *s)
{
    size_t i, n = strlen(s);
    if (n < 2 || n > 1 + GSPROV_MAX_PNUM_DIGITS || s[0] != 'P')
        return 0;
    for (i = 1; i < n; i++)
        if (!apr_isdigit(s[i]))
            return 0;
    return 1;
}

int gsprov_ident_valid(const char *s)
{
    size_t i, n = strlen(s);
    if (n < 1 || n > GSPROV_MAX_VAR_NAME_LEN)
        return 0;
    for (i = 0; i < n; i++)
        if (!(apr_isalnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return 0;
    return 1;
}

gsprov_layer_t *gsprov_layer_empty(apr_pool_t *p, const char *label)
{
    gsprov_layer_t *l = apr_pcalloc(p, sizeof(*l));
    l->label = label;
    l->params = apr_array_make(p, 0, sizeof(gsprov_param_t));
    return l;
}

static apr_status_t add_param(apr_pool_t *p, gsprov_layer_t *layer,
                              xmlNodePtr node, const char *name,
                              const char *part, char **err)
{
    gsprov_param_t *prm;
    const char *value = gsprov_xml_text(p, node, layer->label, err);

    if (!value)
        return GSPROV_EPARSE;
    /* Catch ${ syntax errors when the file is loaded, not per request. */
    if (strchr(value, '$') && !gsprov_vars_syntax_ok(value)) {
        *err = gsprov_xml_err(p, layer->label, node,
                              "malformed ${...} in value of %s%s%s", name,
                              part ? "/" : "", part ? part : "");
        return GSPROV_EPARSE;
    }
    prm = apr_array_push(layer->params);
    prm->name = name;
    prm->part = part;
    prm->value = value;
    prm->src = layer->label;
    prm->line = (int)xmlGetLineNo(node);
    prm->has_vars = strchr(value, '$') != NULL;
    prm->xml = prm->open = prm->close = NULL;
    if (!part)
        return gsprov_render_prepare(p, prm, layer->version, err);
    return APR_SUCCESS;
}

static apr_status_t parse_v2_item(apr_pool_t *p, gsprov_layer_t *layer,
                                  xmlNodePtr item, char **err)
{
    const char *name = gsprov_xml_attr(p, item, "name");
    xmlNodePtr c;
    int parts = 0;

    if (!name || !gsprov_ident_valid(name)) {
        *err = gsprov_xml_err(p, layer->label, item,
                              "<item> needs a name attribute of "
                              "[A-Za-z0-9_.-] characters");
        return GSPROV_EPARSE;
    }
    for (c = item->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            parts++;
    if (!parts)
        return add_param(p, layer, item, name, NULL, err);

    for (c = item->children; c; c = c->next) {
        const char *pname;
        apr_status_t rv;
        if (c->type != XML_ELEMENT_NODE) {
            if (gsprov_xml_ignorable(c))
                continue;
            *err = gsprov_xml_err(p, layer->label, c,
                                  "item '%s' mixes text and <part> elements",
                                  name);
            return GSPROV_EPARSE;
        }
        pname = IS(c, "part") ? gsprov_xml_attr(p, c, "name") : NULL;
        if (!pname || !gsprov_ident_valid(pname)) {
            *err = gsprov_xml_err(p, layer->label, c,
                                  "item '%s' may only hold <part name=\"...\">"
                                  " elements", name);
            return GSPROV_EPARSE;
        }
        if ((rv = add_param(p, layer, c, name, pname, err)) != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

apr_status_t gsprov_layer_from_config(apr_pool_t *p, xmlNodePtr config,
                                      const char *label, gsprov_layer_t *layer,
                                      char **err)
{
    const char *ver = gsprov_xml_attr(p, config, "version");
    xmlNodePtr c;
    apr_status_t rv;

    layer->label = label;
    if (!layer->params)
        layer->params = apr_array_make(p, 64, sizeof(gsprov_param_t));
    if (!ver || strcmp(ver, "1") == 0)
        layer->version = 1;
    else if (strcmp(ver, "2") == 0)
        layer->version = 2;
    else {
        *err = gsprov_xml_err(p, label, config,
                              "<config version=\"%s\">: supported versions "
                              "are 1 and 2", ver);
        return GSPROV_EPARSE;
    }

    for (c = config->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            if (gsprov_xml_ignorable(c))
                continue;
            *err = gsprov_xml_err(p, label, c, "unexpected text in <config>");
            return GSPROV_EPARSE;
        }
        if (layer->version == 1) {
            const char *name = (const char *)c->name;
            if (!gsprov_pname_valid(name)) {
                *err = gsprov_xml_err(p, label, c,
                                      "unexpected element <%s> in config "
                                      "version 1 (expected P<number>)", name);
                return GSPROV_EPARSE;
            }
            rv = add_param(p, layer, c, apr_pstrdup(p, name), NULL, err);
        }
        else if (IS(c, "item")) {
            rv = parse_v2_item(p, layer, c, err);
        }
        else {
            *err = gsprov_xml_err(p, label, c,
                                  "unexpected element <%s> in config version "
                                  "2 (expected <item>)", (const char *)c->name);
            return GSPROV_EPARSE;
        }
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

apr_status_t gsprov_layer_parse(apr_pool_t *p, const char *buf,
                                apr_size_t len, const char *label,
                                gsprov_layer_t **out, char **err)
{
    xmlDocPtr doc;
    xmlNodePtr root, c, config = NULL;
    gsprov_layer_t *layer;
    apr_status_t rv;

    if ((rv = gsprov_xml_parse(p, buf, len, label, &doc, err)) != APR_SUCCESS)
        return rv;
    root = xmlDocGetRootElement(doc);
    if (!IS(root, "gs_provision")) {
        *err = gsprov_xml_err(p, label, root,
                              "root element is <%s>, expected <gs_provision>",
                              (const char *)root->name);
        return GSPROV_EPARSE;
    }
    for (c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            if (gsprov_xml_ignorable(c))
                continue;
            *err = gsprov_xml_err(p, label, c,
                                  "unexpected text in <gs_provision>");
            return GSPROV_EPARSE;
        }
        if (IS(c, "mac"))
            continue;   /* vendor per-MAC templates carry one; we write our own */
        if (IS(c, "config") && !config) {
            config = c;
            continue;
        }
        *err = gsprov_xml_err(p, label, c, "%s <%s> in <gs_provision>",
                              IS(c, "config") ? "more than one"
                                              : "unexpected element",
                              (const char *)c->name);
        return GSPROV_EPARSE;
    }
    if (!config) {
        *err = gsprov_xml_err(p, label, root, "no <config> element");
        return GSPROV_EPARSE;
    }
    layer = gsprov_layer_empty(p, label);
    if ((rv = gsprov_layer_from_config(p, config, label, layer, err))
        != APR_SUCCESS)
        return rv;
    *out = layer;
    return APR_SUCCESS;
}
