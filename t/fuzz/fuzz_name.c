/* gsprov_name_resolve: anything accepted must be one of the shapes below,
 * and the result must describe the input exactly. */
#include <string.h>
#include <apr_lib.h>
#include "fuzz.h"
#include "gsprov_name.h"

static int affix_char(char c)
{
    return apr_isalnum(c) || c == '.' || c == '_' || c == '-' || c == '~';
}

/* tail == a + b (lengths given) */
static int cat_is(const char *tail, size_t tl, const char *a, size_t al,
                  const char *b, size_t bl)
{
    return tl == al + bl && memcmp(tail, a, al) == 0
           && memcmp(tail + al, b, bl) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    gsprov_name_t n;
    size_t i, stem, pl, tl;
    const char *tail;
    int k;

    if (!gsprov_name_resolve(s, size, &n)) {
        FUZZ_CHECK(n.kind == GSPROV_KIND_NONE);
        FUZZ_CHECK(n.nreadings == 0);
        return 0;
    }
    FUZZ_CHECK(size >= 7);
    FUZZ_CHECK(size <= GSPROV_MAX_NAME_LEN);
    FUZZ_CHECK(memchr(s, '\0', size) == NULL);
    FUZZ_CHECK(memchr(s, '/', size) == NULL);
    FUZZ_CHECK(n.any_affix == 0);
    switch (n.kind) {
    case GSPROV_KIND_GENERIC_XML:
        FUZZ_CHECK(size == 7 && memcmp(s, "cfg.xml", 7) == 0);
        FUZZ_CHECK(n.mac[0] == '\0' && n.model[0] == '\0');
        break;
    case GSPROV_KIND_MODEL_XML:
        FUZZ_CHECK(memcmp(s, "cfg", 3) == 0);
        FUZZ_CHECK(memcmp(s + size - 4, ".xml", 4) == 0);
        stem = size - 7;
        FUZZ_CHECK(stem >= 1 && stem <= GSPROV_MAX_MODEL_LEN);
        FUZZ_CHECK(strlen(n.model) == stem);
        FUZZ_CHECK(memcmp(n.model, s + 3, stem) == 0);
        for (i = 0; i < stem; i++)
            FUZZ_CHECK(apr_islower(n.model[i]) || apr_isdigit(n.model[i]));
        /* a MAC-shaped stem never resolves to a model */
        {
            char mac[GSPROV_MAC_LEN + 1];
            FUZZ_CHECK(!gsprov_mac_parse(s + 3, stem, mac));
        }
        FUZZ_CHECK(n.mac[0] == '\0');
        break;
    case GSPROV_KIND_DEVICE_XML:
    case GSPROV_KIND_DEVICE_BIN:
        /* <prefix>cfg<mac><tail> */
        pl = strlen(n.prefix);
        FUZZ_CHECK(pl + 3 + GSPROV_MAC_LEN <= size);
        FUZZ_CHECK(memcmp(s, n.prefix, pl) == 0);
        for (i = 0; i < pl; i++)
            FUZZ_CHECK(affix_char(n.prefix[i]));
        FUZZ_CHECK(memcmp(s + pl, "cfg", 3) == 0);
        FUZZ_CHECK(strlen(n.mac) == GSPROV_MAC_LEN);
        for (i = 0; i < GSPROV_MAC_LEN; i++) {
            FUZZ_CHECK(apr_isxdigit(n.mac[i]) && !apr_isupper(n.mac[i]));
            FUZZ_CHECK(apr_tolower(s[pl + 3 + i]) == n.mac[i]);
        }
        FUZZ_CHECK(n.model[0] == '\0');
        tail = s + pl + 3 + GSPROV_MAC_LEN;
        tl = size - pl - 3 - GSPROV_MAC_LEN;
        FUZZ_CHECK(n.nreadings >= 1
                   && n.nreadings <= GSPROV_NAME_MAX_READINGS);
        FUZZ_CHECK(n.kind == n.reading[0].kind);
        for (k = 0; k < n.nreadings; k++) {
            const char *p = n.reading[k].postfix;
            size_t ql = strlen(p);
            for (i = 0; i < ql; i++)
                FUZZ_CHECK(affix_char(p[i]));
            if (n.reading[k].kind == GSPROV_KIND_DEVICE_XML)
                FUZZ_CHECK(cat_is(tail, tl, ".xml", 4, p, ql)
                           || cat_is(tail, tl, p, ql, ".xml", 4));
            else {
                FUZZ_CHECK(n.reading[k].kind == GSPROV_KIND_DEVICE_BIN);
                FUZZ_CHECK(cat_is(tail, tl, "", 0, p, ql)
                           || cat_is(tail, tl, ".bin", 4, p, ql));
            }
        }
        break;
    default:
        FUZZ_CHECK(!"unknown kind");
    }
    FUZZ_CHECK(strcmp(gsprov_name_kind(n.kind), "none") != 0);
    return 0;
}
