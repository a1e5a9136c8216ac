#include <string.h>
#include <strings.h>
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

/* "V1.1B", "V2.2A": a hardware revision */
static int looks_like_hwrev(const tok_t *t)
{
    return t->n >= 2 && t->n < 24 && t->s[0] == 'V' && apr_isdigit(t->s[1]);
}

/* drop_dash: the legacy form writes some models with a dash ("HT-503"),
 * which the model's file name (cfght503.xml) does not have. */
static void set_model(gsprov_ua_t *out, const char *s, size_t n,
                      int drop_dash)
{
    char m[GSPROV_MAX_MODEL_LEN + 1];
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (drop_dash && s[i] == '-')
            continue;
        if (k == GSPROV_MAX_MODEL_LEN)
            return;
        m[k++] = (char)apr_tolower(s[i]);
    }
    m[k] = '\0';
    if (gsprov_name_model_valid(m, k))
        memcpy(out->model, m, k + 1);
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

/* Legacy forms, after "Grandstream <MODEL>":
 *   (<file>:<fw>/<file>:<ver>)        GXP20xx
 *   [<HWREV>] <fw> [<mac>] [...]      "HT-503  V1.1B 1.0.10.9  chip V2.2",
 *                                     "HT801 1.0.49.2 c074adca6f20" */
static void legacy(gsprov_ua_t *out, const tok_t *t, int n)
{
    int i = 2;

    if (i < n && t[i].s[0] == '(') {
        legacy_images(out, t[i].s, t[i].n);
        return;
    }
    if (i + 1 < n && looks_like_hwrev(&t[i])
        && looks_like_version(t[i + 1].s, t[i + 1].n)) {
        copy(out->hwrev, sizeof(out->hwrev), t[i].s, t[i].n);
        i++;
    }
    if (i < n && looks_like_version(t[i].s, t[i].n)) {
        copy(out->fw, sizeof(out->fw), t[i].s, t[i].n);
        if (++i < n)
            gsprov_mac_parse_sep(t[i].s, t[i].n, out->mac);
    }
}

/* Grandstream software that is no device model: its name must not pick
 * a cfg<model>.xml or a model template. */
static int softphone(const tok_t *t)
{
    return t->n == 4 && strncasecmp(t->s, "Wave", 4) == 0;
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
        set_model(out, t[3].s, t[3].n, 0);
        for (i = 4; i < n && !tok_is(&t[i], "SW"); i++)
            if (!out->hwrev[0])
                copy(out->hwrev, sizeof(out->hwrev), t[i].s, t[i].n);
        if (i + 1 < n)
            copy(out->fw, sizeof(out->fw), t[i + 1].s, t[i + 1].n);
    }
    else {
        if (!softphone(&t[1]))
            set_model(out, t[1].s, t[1].n, 1);
        legacy(out, t, n);
    }
    /* "DevId <mac>" (with or without colons), and the GXW42xx gateways'
     * "(DevId <mac>)" or "(DevId <mac> / <mac>)" */
    for (i = 1; i + 1 < n; i++)
        if (tok_is(&t[i], "DevId") || tok_is(&t[i], "(DevId")) {
            size_t len = t[i + 1].n;
            if (len && t[i + 1].s[len - 1] == ')')
                len--;
            gsprov_mac_parse_sep(t[i + 1].s, len, out->mac);
        }
    return out->model[0] || out->fw[0];
}
