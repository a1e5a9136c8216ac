#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "gsprov_layer.h"
#include "gsprov_vars.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

int gsprov_layer_pname_valid(const char *s)
{
    size_t i, n = strlen(s);
    if (n < 2 || n > 1 + GSPROV_MAX_PNUM_DIGITS || s[0] != 'P')
        return 0;
    for (i = 1; i < n; i++)
        if (!apr_isdigit(s[i]))
            return 0;
    return 1;
}

int gsprov_layer_ident_valid(const char *s)
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

/* FNV-1a over the name, then "\x1f" and the part */
apr_uint32_t gsprov_layer_key_hash(const char *name, const char *part)
{
    apr_uint32_t h = 2166136261u;
    const unsigned char *c;

    for (c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 16777619u;
    if (part) {
        h = (h ^ 0x1f) * 16777619u;
        for (c = (const unsigned char *)part; *c; c++)
            h = (h ^ *c) * 16777619u;
    }
    return h;
}

apr_status_t gsprov_layer_add(apr_pool_t *p, gsprov_layer_t *layer,
                              const char *name, const char *part,
                              const char *value, int line, char **err)
{
    gsprov_param_t *prm;

    /* Catch ${ syntax errors when the file is loaded, not per request. */
    if (strchr(value, '$') && !gsprov_vars_syntax_ok(value)) {
        *err = apr_psprintf(p, "malformed ${...} in value of %s%s%s", name,
                            part ? "/" : "", part ? part : "");
        return GSPROV_EPARSE;
    }
    prm = apr_array_push(layer->params);
    prm->name = name;
    prm->part = part;
    prm->value = value;
    prm->src = layer->label;
    prm->hash = gsprov_layer_key_hash(name, part);
    prm->line = line;
    prm->has_vars = strchr(value, '$') != NULL;
    prm->xml = prm->open = prm->close = NULL;
    return APR_SUCCESS;
}
