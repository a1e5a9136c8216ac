#include <string.h>
#include <apr_lib.h>
#include "gsprov_name.h"

int gsprov_model_name_valid(const char *s, size_t len)
{
    size_t i;
    if (len < 1 || len > GSPROV_MAX_MODEL_LEN)
        return 0;
    for (i = 0; i < len; i++)
        if (!(apr_islower(s[i]) || apr_isdigit(s[i])))
            return 0;
    return 1;
}

int gsprov_group_name_valid(const char *s, size_t len)
{
    size_t i;
    if (len < 1 || len > GSPROV_MAX_GROUP_LEN)
        return 0;
    for (i = 0; i < len; i++)
        if (!(apr_isalnum(s[i]) || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int gsprov_name_resolve(const char *name, size_t len, gsprov_name_t *out)
{
    static const char prefix[] = "cfg", suffix[] = ".xml";
    const size_t plen = sizeof(prefix) - 1, slen = sizeof(suffix) - 1;
    const char *stem;
    size_t stemlen;

    memset(out, 0, sizeof(*out));
    if (!name || len > GSPROV_MAX_NAME_LEN || len < plen + slen
        || memchr(name, '\0', len))
        return 0;
    if (memcmp(name, prefix, plen) != 0
        || memcmp(name + len - slen, suffix, slen) != 0)
        return 0;
    stem = name + plen;
    stemlen = len - plen - slen;

    if (stemlen == 0) {
        out->kind = GSPROV_KIND_GENERIC_XML;
        return 1;
    }
    /* A 12-hex-digit stem is always a MAC, never a model. */
    if (gsprov_mac_parse(stem, stemlen, out->mac)) {
        out->kind = GSPROV_KIND_DEVICE_XML;
        return 1;
    }
    if (gsprov_model_name_valid(stem, stemlen)) {
        memcpy(out->model, stem, stemlen);
        out->model[stemlen] = '\0';
        out->kind = GSPROV_KIND_MODEL_XML;
        return 1;
    }
    return 0;
}

const char *gsprov_kind_name(gsprov_kind_e kind)
{
    switch (kind) {
    case GSPROV_KIND_DEVICE_XML:  return "device-xml";
    case GSPROV_KIND_MODEL_XML:   return "model-xml";
    case GSPROV_KIND_GENERIC_XML: return "generic-xml";
    default:                      return "none";
    }
}
