/*
 * The XML reader for our two formats, gs_provision layers and device
 * records, driven by libxml2's SAX2 interface: no document tree is built,
 * because a device record is parsed on every request (a tree costs about
 * 2.5 times as much; see bench/RESULTS.md).
 *
 * Both formats share the <config version="1|2"> grammar, at depth 2:
 *   <gs_provision> <mac/>? <config> <P271>v</P271> | <item name="a.b">v
 *                  | <item name="x"><part name="y">v</part></item>
 *   <device> <model/> <group/>* <password/> <var name=""/>* <config/>?
 *   <device> <redirect> <config/> <firmware/>? <protocol/>? <password/>?
 *            <username/>? <secret/>? </redirect> <password/>? ...
 * No network, no DTD (a DOCTYPE is refused), no entity expansion.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include "gsprov_xml.h"
#include "gsprov_name.h"
#include "gsprov_vars.h"
#include "gsprov_error.h"
#include "gsprov_redirect.h"
#include "gsprov_render.h"

#define MAX_DEPTH 4     /* root / config / P or item / part */

typedef enum { ROOT_LAYER, ROOT_DEVICE } root_e;

typedef struct {
    apr_pool_t *p;
    const char *label;
    xmlParserCtxtPtr ctxt;
    root_e root;
    int depth;
    const char *names[MAX_DEPTH + 1];   /* open elements, [1] = root */
    int skip;                  /* depth of an element whose content we ignore */
    /* what we are in */
    gsprov_layer_t *layer;     /* the layer or the device's <config> */
    gsprov_device_t *dev;
    int have_config;
    /* the element whose text is collected */
    int capture;               /* depth, 0 = none */
    char *text;
    apr_size_t tlen, tcap;
    int text_line;             /* where its first non-blank byte is */
    const char *attr;          /* its name="" attribute (var/item/part) */
    int line;
    const char *item;          /* v2: the open <item>'s name */
    int item_line, item_parts;
    gsprov_redirect_t *rd;     /* the record's <redirect>, once opened */
    int in_redirect;           /* inside it: errors are GSPROV_EREDIRECT */
    /* the first problem, which stops the parser */
    apr_status_t rv;
    char *err;
} sax_t;

static int cur_line(sax_t *s)
{
    return s->ctxt ? xmlSAX2GetLineNumber(s->ctxt) : 0;
}

/* the line of the collected text's first non-blank byte */
static int text_line(sax_t *s)
{
    return s->text_line ? s->text_line : cur_line(s);
}

static void fail(sax_t *s, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(sax_t *s, int line, const char *fmt, ...)
{
    va_list ap;
    if (s->rv != APR_SUCCESS)
        return;
    va_start(ap, fmt);
    s->err = apr_psprintf(s->p, "%s:%d: %s", s->label, line,
                          apr_pvsprintf(s->p, fmt, ap));
    va_end(ap);
    s->rv = s->in_redirect ? GSPROV_EREDIRECT : GSPROV_EPARSE;
    xmlStopParser(s->ctxt);
}

/* The raw value of attribute name (SAX2 gives [start, end) slices).  Our
 * attributes are identifiers, so entity-encoded values simply fail their
 * validation later. */
static const char *attr(sax_t *s, int n, const xmlChar **a, const char *name)
{
    int i;
    for (i = 0; i < n; i++, a += 5)
        if (!a[2] && strcmp((const char *)a[0], name) == 0)
            return apr_pstrmemdup(s->p, (const char *)a[3],
                                  (apr_size_t)(a[4] - a[3]));
    return NULL;
}

static int all_space(const char *t, apr_size_t n)
{
    apr_size_t i;
    for (i = 0; i < n; i++)
        if (!apr_isspace(t[i]))
            return 0;
    return 1;
}

static void start_capture(sax_t *s, const char *name_attr)
{
    s->capture = s->depth;
    s->tlen = 0;
    s->attr = name_attr;
    s->line = cur_line(s);
}

static const char *captured(sax_t *s)
{
    return apr_pstrmemdup(s->p, s->text ? s->text : "", s->tlen);
}

/* <config version=""> at depth 2 */
static void open_config(sax_t *s, int na, const xmlChar **a)
{
    const char *ver = attr(s, na, a, "version");
    if (s->have_config++) {
        fail(s, cur_line(s), "more than one <config> element");
        return;
    }
    if (!ver || strcmp(ver, "1") == 0)
        s->layer->version = 1;
    else if (strcmp(ver, "2") == 0)
        s->layer->version = 2;
    else
        fail(s, cur_line(s), "<config version=\"%s\">: supported versions "
             "are 1 and 2", ver);
}

/* a child of <config> (depth 3) or of a v2 <item> (depth 4) */
static void open_param(sax_t *s, const char *name, int na, const xmlChar **a)
{
    const char *n;

    if (s->depth == 3 && s->layer->version == 1) {
        if (!gsprov_layer_pname_valid(name))
            fail(s, cur_line(s), "unexpected element <%s> in config version "
                 "1 (expected P<number>)", name);
        else
            start_capture(s, NULL);
        return;
    }
    if (s->depth == 3) {
        if (strcmp(name, "item") != 0) {
            fail(s, cur_line(s), "unexpected element <%s> in config version "
                 "2 (expected <item>)", name);
            return;
        }
        n = attr(s, na, a, "name");
        if (!n || !gsprov_layer_ident_valid(n)) {
            fail(s, cur_line(s), "<item> needs a name attribute of "
                 "[A-Za-z0-9_.-] characters");
            return;
        }
        s->item = n;
        s->item_line = cur_line(s);
        s->item_parts = 0;
        start_capture(s, n);
        return;
    }
    /* depth 4: a <part> of a v2 item, or an element inside a P-value */
    if (s->layer->version == 1 || !s->item) {
        fail(s, cur_line(s), "unexpected element <%s> inside <%s>", name,
             s->names[3]);
        return;
    }
    n = strcmp(name, "part") == 0 ? attr(s, na, a, "name") : NULL;
    if (!n || !gsprov_layer_ident_valid(n)) {
        fail(s, cur_line(s), "item '%s' may only hold <part name=\"...\"> "
             "elements", s->item);
        return;
    }
    /* the item's own text (before and between parts) must be blank */
    if (s->tlen && !all_space(s->text, s->tlen)) {
        fail(s, cur_line(s), "item '%s' mixes text and <part> elements",
             s->item);
        return;
    }
    s->item_parts++;
    start_capture(s, n);
}

static void open_device_field(sax_t *s, const char *name, int na,
                              const xmlChar **a)
{
    if (!strcmp(name, "model") || !strcmp(name, "group")
        || !strcmp(name, "password") || !strcmp(name, "username")
        || !strcmp(name, "secret"))
        start_capture(s, NULL);
    else if (!strcmp(name, "var")) {
        const char *n = attr(s, na, a, "name");
        if (!n || !gsprov_layer_ident_valid(n))
            fail(s, cur_line(s), "<var> needs a name attribute of "
                 "[A-Za-z0-9_.-] characters");
        else
            start_capture(s, n);
    }
    else if (!strcmp(name, "redirect")) {
        s->in_redirect = 1;
        if (s->rd) {
            fail(s, cur_line(s), "more than one <redirect>");
            return;
        }
        s->rd = apr_pcalloc(s->p, sizeof(*s->rd));
        s->rd->protocol = GSPROV_DEFAULT_REDIRECT_PROTOCOL;
        s->rd->line = cur_line(s);
        s->rd->src = apr_psprintf(s->p, "%s:%d", s->label, s->rd->line);
    }
    else   /* never echo content: it could be a secret */
        fail(s, cur_line(s), "unexpected element <%s> in <device>", name);
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
                     const xmlChar *uri, int nns, const xmlChar **ns, int na,
                     int ndef, const xmlChar **attrs)
{
    sax_t *s = ctx;
    const char *name = (const char *)local;

    if (s->rv != APR_SUCCESS)
        return;
    s->depth++;
    if (s->skip)
        return;
    if (s->depth > MAX_DEPTH
        || (s->capture && !(s->capture == 3 && s->item))) {
        /* nothing of ours nests below a captured value (except parts) */
        fail(s, cur_line(s), "unexpected element <%s> inside <%s>", name,
             s->names[s->depth - 1 > MAX_DEPTH ? MAX_DEPTH : s->depth - 1]);
        return;
    }
    s->names[s->depth] = apr_pstrdup(s->p, name);

    if (s->depth == 1) {
        const char *want = s->root == ROOT_LAYER ? "gs_provision" : "device";
        if (strcmp(name, want) != 0)
            fail(s, cur_line(s), "root element is <%s>, expected <%s>",
                 name, want);
        return;
    }
    if (s->tlen && !all_space(s->text, s->tlen) && !s->capture) {
        fail(s, text_line(s), "unexpected text in <%s>",
             s->names[s->depth - 1]);
        return;
    }
    if (!s->capture)
        s->tlen = 0;
    if (s->depth == 2) {
        if (!strcmp(name, "config"))
            open_config(s, na, attrs);
        else if (s->root == ROOT_DEVICE)
            open_device_field(s, name, na, attrs);
        else if (!strcmp(name, "mac"))
            s->skip = s->depth;   /* vendor per-MAC templates: ours wins */
        else if (!strcmp(name, "var")) {
            const char *n = attr(s, na, attrs, "name");
            if (!n || !gsprov_layer_ident_valid(n))
                fail(s, cur_line(s), "<var> needs a name attribute of "
                     "[A-Za-z0-9_.-] characters");
            else
                start_capture(s, n);
        }
        else
            fail(s, cur_line(s), "unexpected element <%s> in <gs_provision>",
                 name);
        return;
    }
    if (s->in_redirect && s->depth == 3) {
        static const char *const fields[] = { "config", "firmware",
            "protocol", "password", "username", "secret" };
        size_t i;
        for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (!strcmp(name, fields[i])) {
                start_capture(s, NULL);
                return;
            }
        fail(s, cur_line(s), "unexpected element <%s> in <redirect> "
             "(expected config, firmware, protocol, password, username, "
             "secret)", name);
        return;
    }
    /* depth 3 and 4 exist only under <config> */
    if (strcmp(s->names[2], "config") != 0) {
        fail(s, cur_line(s), "unexpected element <%s> inside <%s>", name,
             s->names[2]);
        return;
    }
    open_param(s, name, na, attrs);
}

/* Append a parameter; a template's (not a v2 part) is pre-rendered here,
 * once at load, so that serving it mostly copies text. */
static void add(sax_t *s, const char *name, const char *part, int line,
                const char *value)
{
    gsprov_layer_t *l = s->layer;
    gsprov_param_t *prm;
    char *err = NULL;

    if (gsprov_layer_add(s->p, l, name, part, value, line, &err)) {
        fail(s, line, "%s", err);
        return;
    }
    if (part || !l->prerender)
        return;
    prm = &APR_ARRAY_IDX(l->params, l->params->nelts - 1, gsprov_param_t);
    if (gsprov_render_prepare(s->p, prm, l->version, &err))
        fail(s, line, "%s", err);
}

static void close_device_field(sax_t *s, const char *name, const char *text)
{
    gsprov_device_t *d = s->dev;
    if (!strcmp(name, "model")) {
        if (d->model)
            fail(s, s->line, "more than one <model>");
        else if (!gsprov_name_model_valid(text, strlen(text)))
            fail(s, s->line, "invalid model name '%s' (lowercase [a-z0-9], "
                 "1-32 characters)", text);
        else
            d->model = text;
    }
    else if (!strcmp(name, "group")) {
        if (!gsprov_name_group_valid(text, strlen(text)))
            fail(s, s->line, "invalid group name '%s' ([A-Za-z0-9_-], 1-64 "
                 "characters)", text);
        else
            APR_ARRAY_PUSH(d->groups, const char *) = text;
    }
    else if (!strcmp(name, "password")) {
        if (d->password || !*text)
            fail(s, s->line, "<password> must be given once and not be "
                 "empty");
        else
            d->password = text;
    }
    else if (!strcmp(name, "username")) {
        if (d->nusernames == GSPROV_MAX_CREDENTIALS || !*text)
            fail(s, s->line, "at most %d non-empty <username> elements",
                 GSPROV_MAX_CREDENTIALS);
        else
            d->usernames[d->nusernames++] = text;
    }
    else if (!strcmp(name, "secret")) {
        if (d->nsecrets == GSPROV_MAX_CREDENTIALS || !*text)
            fail(s, s->line, "at most %d non-empty <secret> elements "
                 "(current and next)", GSPROV_MAX_CREDENTIALS);
        else
            d->secrets[d->nsecrets++] = text;
    }
    else   /* var */
        apr_hash_set(d->vars, s->attr, APR_HASH_KEY_STRING, text);
}

/* a field of <redirect>: one each, validated; values are never echoed */
static void close_redirect_field(sax_t *s, const char *name, const char *text)
{
    gsprov_redirect_t *rd = s->rd;
    const char **slot = !strcmp(name, "config") ? &rd->config
        : !strcmp(name, "firmware") ? &rd->firmware
        : !strcmp(name, "password") ? &rd->password
        : !strcmp(name, "username") ? &rd->username
        : !strcmp(name, "secret") ? &rd->secret : NULL;
    const char *why;

    if (!slot) {                                   /* protocol */
        if ((rd->protocol = gsprov_redirect_protocol_parse(text)) < 0)
            fail(s, s->line, "<redirect><protocol> must be tftp, http, "
                 "https, ftp, ftps or 0-4 (P212)");
        return;
    }
    if (*slot) {
        fail(s, s->line, "more than one <%s> in <redirect>", name);
        return;
    }
    why = slot == &rd->config || slot == &rd->firmware
          ? gsprov_redirect_path_check(text) : gsprov_redirect_value_check(text);
    if (why)
        fail(s, s->line, "<redirect><%s> %s", name, why);
    else
        *slot = text;
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
                   const xmlChar *uri)
{
    sax_t *s = ctx;
    const char *name = (const char *)local;

    if (s->rv != APR_SUCCESS)
        return;
    if (s->skip) {
        if (s->depth-- == s->skip)
            s->skip = 0;
        return;
    }
    if (s->capture == s->depth) {
        const char *text = captured(s);
        s->capture = 0;
        if (s->depth == 2 && s->root == ROOT_LAYER) {    /* template <var> */
            if (strchr(text, '$') && !gsprov_vars_syntax_ok(text))
                fail(s, s->line, "malformed ${...} in <var name=\"%s\">",
                     s->attr);
            else {
                if (!s->layer->vars)
                    s->layer->vars = apr_hash_make(s->p);
                apr_hash_set(s->layer->vars, s->attr, APR_HASH_KEY_STRING,
                             text);
            }
        }
        else if (s->depth == 2)
            close_device_field(s, name, text);
        else if (s->in_redirect)
            close_redirect_field(s, name, text);
        else if (s->depth == 3 && s->layer->version == 1)
            add(s, apr_pstrdup(s->p, name), NULL, s->line, text);
        else if (s->depth == 3) {              /* v2 item */
            if (!s->item_parts)
                add(s, s->item, NULL, s->item_line, text);
            else if (!all_space(text, strlen(text)))
                fail(s, cur_line(s), "item '%s' mixes text and <part> "
                     "elements", s->item);
            s->item = NULL;
        }
        else {                                 /* v2 part */
            add(s, s->item, s->attr, s->line, text);
            s->capture = 3;                    /* back to the item's text */
            s->tlen = 0;
            s->attr = s->item;
        }
    }
    else if (s->tlen && !all_space(s->text, s->tlen)) {
        fail(s, text_line(s), "unexpected text in <%s>", name);
    }
    if (s->capture != 3 || s->depth != 4)
        s->tlen = 0;
    if (s->depth == 2 && s->in_redirect)
        s->in_redirect = 0;
    s->depth--;
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    sax_t *s = ctx;
    if (s->rv != APR_SUCCESS || s->skip || len <= 0)
        return;
    if (!s->tlen)
        s->text_line = 0;
    if (!s->text_line) {
        /* the parser is at the chunk's end: count back its line breaks,
         * so that stray text is reported where it is, not at the next
         * tag (which may be lines further down) */
        int i, line = cur_line(s);
        for (i = 0; i < len && apr_isspace(ch[i]); i++)
            ;
        if (i < len) {
            for (; i < len; i++)
                line -= ch[i] == '\n';
            s->text_line = line;
        }
    }
    if (s->tlen + (apr_size_t)len + 1 > s->tcap) {
        apr_size_t cap = (s->tcap ? s->tcap * 2 : 256) + (apr_size_t)len;
        char *t = apr_palloc(s->p, cap);
        if (s->tlen)
            memcpy(t, s->text, s->tlen);
        s->text = t;
        s->tcap = cap;
    }
    memcpy(s->text + s->tlen, ch, (size_t)len);
    s->tlen += (apr_size_t)len;
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
                       const xmlChar *sys)
{
    sax_t *s = ctx;
    fail(s, cur_line(s), "DOCTYPE declarations are not allowed");
}

static xmlEntityPtr on_entity(void *ctx, const xmlChar *name)
{
    sax_t *s = ctx;
    /* predefined entities (&amp; ...) never get here */
    fail(s, cur_line(s), "entity references are not allowed (&%s;)",
         (const char *)name);
    return NULL;
}

/* libxml2's message, made safe to log: its first line only (a second
 * line may quote the document's bytes, e.g. "Bytes: 0xE9 0x73 ..."), and
 * any 0xNN byte in it masked: the document may hold a secret. */
static char *safe_message(char *m)
{
    char *c, *nl = strchr(m, '\n');
    size_t n;
    if (nl)
        *nl = '\0';
    for (c = m; (c = strstr(c, "0x")) != NULL; ) {
        c += 2;
        while (apr_isxdigit(*c))
            *c++ = '.';
    }
    n = strlen(m);
    while (n > 0 && apr_isspace(m[n - 1]))
        m[--n] = '\0';
    return m;
}

static apr_status_t run(sax_t *s, const char *buf, apr_size_t len)
{
    xmlSAXHandler sax;

    if (len > (apr_size_t)INT_MAX) {
        s->err = apr_psprintf(s->p, "%s: file too large", s->label);
        return GSPROV_EPARSE;
    }
    memset(&sax, 0, sizeof(sax));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.cdataBlock = on_text;
    sax.internalSubset = on_doctype;
    sax.getEntity = on_entity;

    s->ctxt = xmlCreatePushParserCtxt(&sax, s, NULL, 0, s->label);
    if (!s->ctxt) {
        s->err = apr_psprintf(s->p, "%s: out of memory", s->label);
        return GSPROV_EPARSE;
    }
    /* NOERROR/NOWARNING: libxml2 prints nothing; the error is taken from
     * the context instead (thread-safe) */
    xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR
                      | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    xmlParseChunk(s->ctxt, buf, (int)len, 1);
    if (s->rv == APR_SUCCESS && !s->ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(s->ctxt);
        s->err = apr_psprintf(s->p, "%s:%d: XML error: %s", s->label,
                              e ? e->line : 0,
                              e && e->message
                                  ? safe_message(apr_pstrdup(s->p, e->message))
                                  : "not well-formed");
        s->rv = GSPROV_EPARSE;
    }
    else if (s->rv == APR_SUCCESS && s->depth != 0) {
        s->err = apr_psprintf(s->p, "%s:%d: XML error: unexpected end of "
                              "document", s->label, cur_line(s));
        s->rv = GSPROV_EPARSE;
    }
    else if (s->rv == APR_SUCCESS && !s->names[1]) {
        s->err = apr_psprintf(s->p, "%s:1: no root element", s->label);
        s->rv = GSPROV_EPARSE;
    }
    xmlFreeParserCtxt(s->ctxt);
    s->ctxt = NULL;
    return s->rv;
}

apr_status_t gsprov_xml_parse_layer(apr_pool_t *p, const char *buf,
                                apr_size_t len, const char *label,
                                gsprov_layer_t **out, char **err)
{
    sax_t s;

    memset(&s, 0, sizeof(s));
    s.p = p;
    s.label = label;
    s.root = ROOT_LAYER;
    s.layer = gsprov_layer_empty(p, label);
    s.layer->prerender = 1;     /* templates are parsed once, served often */
    if (run(&s, buf, len) != APR_SUCCESS) {
        *err = s.err;
        return s.rv;
    }
    if (!s.have_config) {
        *err = apr_psprintf(p, "%s:1: no <config> element", label);
        return GSPROV_EPARSE;
    }
    *out = s.layer;
    return APR_SUCCESS;
}

apr_status_t gsprov_xml_parse_device(apr_pool_t *p, const char *mac,
                                 const char *buf, apr_size_t len,
                                 const char *label, gsprov_device_t **out,
                                 char **err)
{
    gsprov_device_t *d = apr_pcalloc(p, sizeof(*d));
    sax_t s;

    apr_cpystrn(d->mac, mac, sizeof(d->mac));
    d->label = label;
    d->groups = apr_array_make(p, 4, sizeof(const char *));
    d->vars = apr_hash_make(p);
    d->config = gsprov_layer_empty(p, label);
    d->bytes = buf;
    d->nbytes = len;

    memset(&s, 0, sizeof(s));
    s.p = p;
    s.label = label;
    s.root = ROOT_DEVICE;
    s.dev = d;
    s.layer = d->config;
    if (run(&s, buf, len) != APR_SUCCESS) {
        *err = s.err;
        return s.rv;
    }
    if (s.rd) {
        /* a redirect record is that and nothing else: the device's
         * templates and settings belong to the target tenant */
        const char *extra = d->model ? "<model>" : d->groups->nelts
            ? "<group>" : apr_hash_count(d->vars) ? "<var>" : s.have_config
            ? "<config>" : NULL;
        if (!s.rd->config)
            *err = apr_psprintf(p, "%s: <redirect> needs a <config> server "
                                "path (P237)", s.rd->src);
        else if (extra)
            *err = apr_psprintf(p, "%s: a record with <redirect> cannot "
                                "also have %s (it is served by the target)",
                                s.rd->src, extra);
        else {
            d->redirect = s.rd;
            *out = d;
            return APR_SUCCESS;
        }
        return GSPROV_EREDIRECT;
    }
    *out = d;
    return APR_SUCCESS;
}

const char *gsprov_xml_hint(const char *err)
{
    /* libxml2's wordings, old and new, of the same rule */
    static const char *const comment[] = {
        "Double hyphen within comment", "Comment must not contain '--'",
    };
    size_t i;

    if (!err)
        return NULL;
    if (strstr(err, ": XML error: "))
        for (i = 0; i < sizeof(comment) / sizeof(comment[0]); i++)
            if (strstr(err, comment[i]))
                return "a comment may not hold \"--\", so not a nested "
                       "\"<!--\" either (Grandstream's own template headers "
                       "nest them): remove the inner \"<!--\" or write "
                       "\"- -\"";
    if (strstr(err, ": unexpected text in <"))
        return "text outside any parameter element is not allowed: delete "
               "it or turn it into a comment";
    return NULL;
}
