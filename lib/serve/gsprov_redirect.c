/*
 * Redirects: validation of their values, the bulk map, and the file a
 * redirected device gets (see gsprov_redirect.h).
 */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "gsprov_redirect.h"
#include "gsprov_render.h"
#include "gsprov_binary.h"
#include "gsprov_crypto.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

static const char *const protocols[] = { "tftp", "http", "https", "ftp",
                                         "ftps" };
#define STR_(x) #x
#define STR(x) STR_(x)
#define NPROTOCOLS ((int)(sizeof(protocols) / sizeof(protocols[0])))

int gsprov_redirect_protocol_parse(const char *s)
{
    int i;
    if (s[0] >= '0' && s[0] < '0' + NPROTOCOLS && !s[1])
        return s[0] - '0';
    for (i = 0; i < NPROTOCOLS; i++)
        if (!strcasecmp(s, protocols[i]))
            return i;
    return -1;
}

/* RFC 3986 pchar plus '/', without '%' (checked apart) */
static int path_char(char c)
{
    return apr_isalnum(c) || (c && strchr("-._~!$&'()*+,;=:@/", c));
}

const char *gsprov_redirect_path_check(const char *s)
{
    const char *c = s, *start;
    size_t len = strlen(s);

    if (!len)
        return "is empty";
    if (len > GSPROV_MAX_REDIRECT_PATH_LEN)
        return "is longer than " STR(GSPROV_MAX_REDIRECT_PATH_LEN) " bytes";
    if (strstr(s, "://"))
        return "must not carry a scheme (write host[:port]/path; the "
               "protocol is P212)";
    /* host: a name or an IPv4 address, or [IPv6] */
    if (*c == '[') {
        for (start = ++c; apr_isxdigit(*c) || *c == ':' || *c == '.'; c++)
            ;
        if (c == start || *c != ']')
            return "has a malformed [IPv6] host";
        c++;
    }
    else {
        for (start = c; apr_isalnum(*c) || *c == '.' || *c == '-'; c++)
            ;
        if (c == start || !apr_isalnum(*start))
            return "does not start with a host name (host[:port][/path])";
    }
    if (*c == ':') {
        long port = 0;
        for (start = ++c; apr_isdigit(*c) && c - start < 5; c++)
            port = port * 10 + (*c - '0');
        if (c == start || port < 1 || port > 65535 || apr_isdigit(*c))
            return "has a port that is not 1-65535";
    }
    if (*c && *c != '/')
        return "has a character not allowed in a host name";
    for (; *c; c++) {
        if (*c == '%') {
            if (!apr_isxdigit(c[1]) || !apr_isxdigit(c[2]))
                return "has a '%' that is not a %XX escape";
            c += 2;
        }
        else if (!path_char(*c))
            return "has a character not allowed in a path (no spaces, "
                   "control characters, '?', '#', quotes or non-ASCII)";
    }
    return NULL;
}

const char *gsprov_redirect_value_check(const char *s)
{
    const char *c;
    if (!*s)
        return "is empty";
    if (strlen(s) > GSPROV_MAX_REDIRECT_VALUE_LEN)
        return "is longer than " STR(GSPROV_MAX_REDIRECT_VALUE_LEN) " bytes";
    for (c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return "holds a control character";
    return NULL;
}

/* ---- the bulk map ----------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char *label;
    const gsprov_report_t *report;
    char *err;          /* the first problem */
    int problems;
} map_ctx_t;

static void map_problem(map_ctx_t *m, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void map_problem(map_ctx_t *m, int line, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    va_start(ap, fmt);
    msg = apr_psprintf(m->p, "%s:%d: %s", m->label, line,
                       apr_pvsprintf(m->p, fmt, ap));
    va_end(ap);
    if (!m->problems++)
        m->err = msg;
    if (m->report)
        m->report->fn(m->report->baton, msg);
}

/* Split the NUL-terminated line into at most max whitespace-separated
 * tokens (in place); a token starting with '#' ends the line.  Returns
 * the count, or max + 1 if there are more. */
static int tokens(char *line, char **tok, int max)
{
    int n = 0;
    char *c = line;
    for (;;) {
        while (*c == ' ' || *c == '\t')
            c++;
        if (!*c || *c == '#')
            return n;
        if (n == max)
            return max + 1;
        tok[n++] = c;
        while (*c && *c != ' ' && *c != '\t')
            c++;
        if (*c)
            *c++ = '\0';
    }
}

/* One line: <mac> <config> [<firmware>] [protocol=...]. */
static void map_line(map_ctx_t *m, apr_hash_t *h, char *line, int lineno)
{
    char *tok[5], mac[GSPROV_MAC_LEN + 1];
    gsprov_redirect_t *rd, *prev;
    const char *why;
    int n = tokens(line, tok, 4), i, npos = 0;

    if (n == 0)
        return;
    if (n > 4) {
        map_problem(m, lineno, "too many fields (expected <mac> <config-path> "
                    "[<firmware-path>] [protocol=...])");
        return;
    }
    if (!gsprov_mac_parse(tok[0], strlen(tok[0]), mac)) {
        map_problem(m, lineno, "'%.40s' is not a MAC (12 hex digits)", tok[0]);
        return;
    }
    rd = apr_pcalloc(m->p, sizeof(*rd));
    rd->protocol = GSPROV_DEFAULT_REDIRECT_PROTOCOL;
    rd->line = lineno;
    for (i = 1; i < n; i++) {
        const char *eq = strchr(tok[i], '=');
        size_t k = strspn(tok[i], "abcdefghijklmnopqrstuvwxyz");
        if (eq && tok[i] + k == eq) {          /* an option: a host has no = */
            if (strncmp(tok[i], "protocol=", 9) != 0) {
                map_problem(m, lineno, "unknown option '%.*s' (known: "
                            "protocol=)", (int)(eq - tok[i] + 1), tok[i]);
                return;
            }
            if ((rd->protocol = gsprov_redirect_protocol_parse(eq + 1)) < 0) {
                map_problem(m, lineno, "protocol '%.16s' is not tftp, http, "
                            "https, ftp, ftps or 0-4", eq + 1);
                return;
            }
            continue;
        }
        if (npos == 2) {
            map_problem(m, lineno, "more than two paths (expected <mac> "
                        "<config-path> [<firmware-path>] [protocol=...])");
            return;
        }
        if ((why = gsprov_redirect_path_check(tok[i]))) {
            map_problem(m, lineno, "%s path %s", npos ? "firmware" : "config",
                        why);
            return;
        }
        if (npos++)
            rd->firmware = tok[i];
        else
            rd->config = tok[i];
    }
    if (!rd->config) {
        map_problem(m, lineno, "%s: no config path", mac);
        return;
    }
    if ((prev = apr_hash_get(h, mac, GSPROV_MAC_LEN))) {
        map_problem(m, lineno, "%s is already redirected on line %d", mac,
                    prev->line);
        return;
    }
    rd->src = apr_psprintf(m->p, "%s:%d", m->label, lineno);
    /* the normalized MAC is as long as the token: keep it in place */
    memcpy(tok[0], mac, sizeof(mac));
    apr_hash_set(h, tok[0], GSPROV_MAC_LEN, rd);
}

apr_status_t gsprov_redirect_map_parse(apr_pool_t *p, const char *buf,
                                       apr_size_t len, const char *label,
                                       const gsprov_report_t *report,
                                       apr_hash_t **out, char **err)
{
    map_ctx_t m = { p, label, report, NULL, 0 };
    apr_hash_t *h = apr_hash_make(p);
    /* one copy, cut into tokens in place: the entries point into it */
    char *copy = apr_pstrmemdup(p, buf, len), *line = copy, *end = copy + len;
    int lineno = 0;

    while (line < end && (!m.problems || report)) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *next = nl ? nl + 1 : end;
        lineno++;
        if (!nl)
            nl = end;
        if (nl > line && nl[-1] == '\r')
            nl--;
        *nl = '\0';
        if (memchr(line, '\0', (size_t)(nl - line)))
            map_problem(&m, lineno, "NUL byte in the line");
        else
            map_line(&m, h, line, lineno);
        line = next;
    }
    if (m.problems && !report) {
        *err = m.err;
        return GSPROV_EREDIRECT;
    }
    *out = h;
    return APR_SUCCESS;
}

/* ---- the file --------------------------------------------------------- */

static void pv(apr_array_header_t *a, const char *name, const char *value)
{
    gsprov_pvalue_t *v;
    if (!value)
        return;
    v = apr_array_push(a);
    v->name = name;
    v->value = value;
}

apr_status_t gsprov_redirect_render(apr_pool_t *p,
                                    const gsprov_redirect_t *rd,
                                    const char *mac, gsprov_kind_e kind,
                                    const char *local_password,
                                    const gsprov_settings_t *set,
                                    gsprov_output_t *out, char **err)
{
    apr_array_header_t *a = apr_array_make(p, 6, sizeof(gsprov_pvalue_t));
    gsprov_merged_t m;
    gsprov_vars_t vars;
    apr_status_t rv;
    char *body;
    apr_size_t len;
    int i;

    /* P237 and P212 first: the protocol and server the rest is for */
    pv(a, "P237", rd->config);
    pv(a, "P212", apr_itoa(p, rd->protocol));
    pv(a, "P192", rd->firmware);
    pv(a, "P1359", rd->password);
    pv(a, "P1360", rd->username);
    pv(a, "P1361", rd->secret);
    out->kind = kind;
    out->redirect = rd->config;
    out->encrypted = 0;

    if (kind == GSPROV_KIND_DEVICE_BIN) {
        unsigned char *bin;
        /* a redirect binary is a bootstrap file; off means off */
        if (set->binary == GSPROV_BINARY_OFF) {
            *err = apr_psprintf(p, "device %s: binary files are off "
                                "(GsProvBinary)", mac);
            return GSPROV_ENOTFOUND;
        }
        if ((rv = gsprov_binary_encode(p, mac, a, &bin, &len))) {
            *err = apr_psprintf(p, "device %s: binary encoding failed", mac);
            return rv;
        }
        out->body = (const char *)bin;
        out->len = len;
        out->content_type = GSPROV_CT_BINARY;
        return APR_SUCCESS;
    }

    /* the XML goes through the renderer like any file: literal values
     * (no ${...}), escaped by libxml2 */
    memset(&m, 0, sizeof(m));
    memset(&vars, 0, sizeof(vars));
    m.version = 1;
    m.version_src = rd->src;
    m.params = apr_array_make(p, a->nelts, sizeof(const gsprov_param_t *));
    for (i = 0; i < a->nelts; i++) {
        const gsprov_pvalue_t *v = &APR_ARRAY_IDX(a, i, gsprov_pvalue_t);
        gsprov_param_t *prm = apr_pcalloc(p, sizeof(*prm));
        prm->name = v->name;
        prm->value = v->value;
        prm->src = rd->src;
        APR_ARRAY_PUSH(m.params, const gsprov_param_t *) = prm;
    }
    if ((rv = gsprov_render_xml(p, &m, mac, &vars, &body, &len, err)))
        return rv;
    return gsprov_output_xml(p, body, len, local_password, set, rd->src, out,
                             err);
}
