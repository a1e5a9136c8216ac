#include <string.h>
#include <apr_lib.h>
#include "gsprov_name.h"

int gsprov_name_model_valid(const char *s, size_t len)
{
    size_t i;
    if (len < 1 || len > GSPROV_MAX_MODEL_LEN)
        return 0;
    for (i = 0; i < len; i++)
        if (!(apr_islower(s[i]) || apr_isdigit(s[i])))
            return 0;
    return 1;
}

int gsprov_name_group_valid(const char *s, size_t len)
{
    size_t i;
    if (len < 1 || len > GSPROV_MAX_GROUP_LEN)
        return 0;
    for (i = 0; i < len; i++)
        if (!(apr_isalnum(s[i]) || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

/* Prefixes and postfixes: what a device setting can sensibly hold in a
 * URL; anything else (%, spaces, quotes...) is refused outright. */
static int affix_valid(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (!(apr_isalnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'
              || s[i] == '~'))
            return 0;
    return 1;
}

static void add_reading(gsprov_name_t *out, gsprov_kind_e kind,
                        const char *postfix, size_t len)
{
    int i;
    for (i = 0; i < out->nreadings; i++)
        if (out->reading[i].kind == kind
            && strlen(out->reading[i].postfix) == len
            && memcmp(out->reading[i].postfix, postfix, len) == 0)
            return;
    if (out->nreadings == GSPROV_NAME_MAX_READINGS)
        return;
    out->reading[out->nreadings].kind = kind;
    memcpy(out->reading[out->nreadings].postfix, postfix, len);
    out->reading[out->nreadings].postfix[len] = '\0';
    out->nreadings++;
}

/* prefix "cfg" MAC tail: list the readings of tail (see the header). */
static int resolve_device(const char *name, size_t len, gsprov_name_t *out)
{
    size_t i, tl;
    const char *tail;

    for (i = 0; i + 3 + GSPROV_MAC_LEN <= len; i++) {
        if (memcmp(name + i, "cfg", 3) == 0
            && gsprov_mac_parse(name + i + 3, GSPROV_MAC_LEN, out->mac))
            break;
    }
    if (i + 3 + GSPROV_MAC_LEN > len || !affix_valid(name, i))
        return 0;
    memcpy(out->prefix, name, i);
    out->prefix[i] = '\0';
    tail = name + i + 3 + GSPROV_MAC_LEN;
    tl = len - i - 3 - GSPROV_MAC_LEN;
    if (!affix_valid(tail, tl))
        return 0;

    if (tl == 4 && memcmp(tail, ".xml", 4) == 0) {
        add_reading(out, GSPROV_KIND_DEVICE_XML, "", 0);
    }
    else {
        if (tl >= 4 && memcmp(tail, ".xml", 4) == 0)
            add_reading(out, GSPROV_KIND_DEVICE_XML, tail + 4, tl - 4);
        if (tl >= 4 && memcmp(tail, ".bin", 4) == 0)
            add_reading(out, GSPROV_KIND_DEVICE_BIN, tail + 4, tl - 4);
        if (tl > 4 && memcmp(tail + tl - 4, ".xml", 4) == 0)
            add_reading(out, GSPROV_KIND_DEVICE_XML, tail, tl - 4);
        add_reading(out, GSPROV_KIND_DEVICE_BIN, tail, tl);
    }
    out->kind = out->reading[0].kind;
    return 1;
}

int gsprov_name_resolve(const char *name, size_t len, gsprov_name_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!name || len > GSPROV_MAX_NAME_LEN || len < 3
        || memchr(name, '\0', len))
        return 0;

    /* The plain names first: cfg.xml, cfg<mac>.xml, cfg<model>.xml. */
    if (len >= 7 && memcmp(name, "cfg", 3) == 0
        && memcmp(name + len - 4, ".xml", 4) == 0) {
        const char *stem = name + 3;
        size_t stemlen = len - 7;
        if (stemlen == 0) {
            out->kind = GSPROV_KIND_GENERIC_XML;
            return 1;
        }
        /* a 12-hex-digit stem is a MAC; other [a-z0-9] stems are models
         * (so a postfix right after the MAC needs a separator: "_001") */
        char mac[GSPROV_MAC_LEN + 1];
        if (!gsprov_mac_parse(stem, stemlen, mac)
            && gsprov_name_model_valid(stem, stemlen)) {
            memcpy(out->model, stem, stemlen);
            out->model[stemlen] = '\0';
            out->kind = GSPROV_KIND_MODEL_XML;
            return 1;
        }
    }
    if (resolve_device(name, len, out))
        return 1;
    memset(out, 0, sizeof(*out));
    return 0;
}

const char *gsprov_name_kind(gsprov_kind_e kind)
{
    switch (kind) {
    case GSPROV_KIND_DEVICE_XML:  return "device-xml";
    case GSPROV_KIND_DEVICE_BIN:  return "device-bin";
    case GSPROV_KIND_MODEL_XML:   return "model-xml";
    case GSPROV_KIND_GENERIC_XML: return "generic-xml";
    default:                      return "none";
    }
}
