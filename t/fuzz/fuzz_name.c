/* gsprov_name_resolve: anything accepted must be one of the three shapes,
 * and the result must describe the input exactly. */
#include <string.h>
#include <apr_lib.h>
#include "fuzz.h"
#include "gsprov_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    gsprov_name_t n;
    size_t i, stem;

    if (!gsprov_name_resolve(s, size, &n)) {
        FUZZ_CHECK(n.kind == GSPROV_KIND_NONE);
        return 0;
    }
    FUZZ_CHECK(size >= 7 && size <= GSPROV_MAX_NAME_LEN);
    FUZZ_CHECK(memcmp(s, "cfg", 3) == 0);
    FUZZ_CHECK(memcmp(s + size - 4, ".xml", 4) == 0);
    FUZZ_CHECK(memchr(s, '\0', size) == NULL);
    FUZZ_CHECK(memchr(s, '/', size) == NULL);
    stem = size - 7;
    switch (n.kind) {
    case GSPROV_KIND_GENERIC_XML:
        FUZZ_CHECK(stem == 0);
        FUZZ_CHECK(n.mac[0] == '\0' && n.model[0] == '\0');
        break;
    case GSPROV_KIND_DEVICE_XML:
        FUZZ_CHECK(stem == GSPROV_MAC_LEN);
        FUZZ_CHECK(strlen(n.mac) == GSPROV_MAC_LEN);
        for (i = 0; i < GSPROV_MAC_LEN; i++) {
            FUZZ_CHECK(apr_isxdigit(n.mac[i]) && !apr_isupper(n.mac[i]));
            FUZZ_CHECK(apr_tolower(s[3 + i]) == n.mac[i]);
        }
        FUZZ_CHECK(n.model[0] == '\0');
        break;
    case GSPROV_KIND_MODEL_XML:
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
    default:
        FUZZ_CHECK(!"unknown kind");
    }
    FUZZ_CHECK(strcmp(gsprov_kind_name(n.kind), "none") != 0);
    return 0;
}
