#include <string.h>
#include <apr_lib.h>
#include "gsprov_useragent.h"
#include "gsprov_name.h"

#define MAX_TOKENS 16

typedef struct { const char *s; size_t n; } tok_t;

static int tokenize(const char *s, tok_t *t, int max)
{
    int n = 0;
    while (*s && n < max) {
        while (apr_isspace(*s))
            s++;
        if (!*s)
            break;
        t[n].s = s;
        while (*s && !apr_isspace(*s))
            s++;
        t[n].n = (size_t)(s - t[n].s);
        n++;
    }
    return n;
}

static int tok_is(const tok_t *t, const char *w)
{
    return t->n == strlen(w) && strncmp(t->s, w, t->n) == 0;
}

static void copy(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int looks_like_version(const char *s, size_t n)
{
    size_t i, dots = 0;
    if (!n || !apr_isdigit(s[0]))
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '.')
            dots++;
        else if (!apr_isdigit(s[i]))
            return 0;
    }
    return dots >= 1;
}

static void set_model(gsprov_ua_t *out, const char *s, size_t n)
{
    char m[GSPROV_MAX_MODEL_LEN + 1];
    size_t i;
    if (n == 0 || n > GSPROV_MAX_MODEL_LEN)
        return;
    for (i = 0; i < n; i++)
        m[i] = (char)apr_tolower(s[i]);
    m[n] = '\0';
    if (gsprov_name_model_valid(m, n))
        memcpy(out->model, m, n + 1);
}

/* "(gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9)": the first image's version
 * is the program (firmware) version. */
static void legacy_images(gsprov_ua_t *out, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n), *end;
    if (!colon)
        return;
    colon++;
    for (end = colon; end < s + n && *end != '/' && *end != ')'; end++)
        ;
    if (looks_like_version(colon, (size_t)(end - colon)))
        copy(out->fw, sizeof(out->fw), colon, (size_t)(end - colon));
}

int gsprov_useragent_parse(const char *ua, gsprov_ua_t *out)
{
    tok_t t[MAX_TOKENS];
    int n, i;

    memset(out, 0, sizeof(*out));
    if (!ua)
        return 0;
    n = tokenize(ua, t, MAX_TOKENS);
    if (n < 2 || !tok_is(&t[0], "Grandstream"))
        return 0;

    if (n >= 4 && tok_is(&t[1], "Model") && tok_is(&t[2], "HW")) {
        set_model(out, t[3].s, t[3].n);
        for (i = 4; i < n && !tok_is(&t[i], "SW"); i++)
            if (!out->hwrev[0])
                copy(out->hwrev, sizeof(out->hwrev), t[i].s, t[i].n);
        if (i + 1 < n)
            copy(out->fw, sizeof(out->fw), t[i + 1].s, t[i + 1].n);
    }
    else {
        set_model(out, t[1].s, t[1].n);
        if (n >= 3) {
            if (t[2].s[0] == '(')
                legacy_images(out, t[2].s, t[2].n);
            else if (looks_like_version(t[2].s, t[2].n))
                copy(out->fw, sizeof(out->fw), t[2].s, t[2].n);
        }
    }
    /* "DevId <mac>", and the GXW42xx gateways' "(DevId <mac>)" or
     * "(DevId <mac> / <mac>)" */
    for (i = 1; i + 1 < n; i++)
        if (tok_is(&t[i], "DevId") || tok_is(&t[i], "(DevId")) {
            size_t len = t[i + 1].n;
            if (len && t[i + 1].s[len - 1] == ')')
                len--;
            gsprov_mac_parse(t[i + 1].s, len, out->mac);
        }
    return out->model[0] || out->fw[0];
}
