#include <apr_lib.h>
#include "gsprov_mac.h"

int gsprov_mac_parse(const char *s, size_t len, char out[GSPROV_MAC_LEN + 1])
{
    char tmp[GSPROV_MAC_LEN + 1];
    size_t i;

    if (!s || len != GSPROV_MAC_LEN)
        return 0;
    for (i = 0; i < GSPROV_MAC_LEN; i++) {
        if (!apr_isxdigit(s[i]))
            return 0;
        tmp[i] = (char)apr_tolower(s[i]);
    }
    tmp[GSPROV_MAC_LEN] = '\0';
    for (i = 0; i <= GSPROV_MAC_LEN; i++)
        out[i] = tmp[i];
    return 1;
}

int gsprov_mac_parse_sep(const char *s, size_t len,
                         char out[GSPROV_MAC_LEN + 1])
{
    char buf[GSPROV_MAC_LEN];
    size_t i, n = 0;

    for (i = 0; s && i < len; i++) {
        if (s[i] == ':' || s[i] == '-' || s[i] == '.' || s[i] == ' ')
            continue;
        if (n == GSPROV_MAC_LEN)
            return 0;
        buf[n++] = s[i];
    }
    return s && gsprov_mac_parse(buf, n, out);
}

static int hexval(char c)
{
    return apr_isdigit(c) ? c - '0' : apr_tolower(c) - 'a' + 10;
}

void gsprov_mac_to_bytes(const char *mac, unsigned char out[6])
{
    int i;
    for (i = 0; i < 6; i++)
        out[i] = (unsigned char)(hexval(mac[2 * i]) << 4 | hexval(mac[2 * i + 1]));
}
