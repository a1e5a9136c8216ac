/* Reading GsProvRoot and GsProvVar from httpd's configuration (see
 * gsprov_apconf.h). */
#include <ctype.h>
#include <fnmatch.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <apr_file_io.h>

#include "gsprov_apconf.h"
#include "gsprov_error.h"
#include "gsprov_layer.h"

/* Debian's ServerRoot, where Include paths are relative to unless the
 * configuration names another */
#define APCONF_SERVER_ROOT "/etc/apache2"
#define APCONF_MAX_DEPTH 16         /* of Include */

/* the settings of one level: the main server, a vhost, a location */
typedef struct {
    const char *root;
    apr_hash_t *vars;
} level_t;

typedef struct {
    apr_pool_t *p;
    const char *want;           /* the vhost's name; NULL for a vars file */
    const char *server_root;
    char *err;
    level_t top;                /* outside any <VirtualHost> */
    /* the <VirtualHost> being read */
    int in_vhost, vhost_named, depth;   /* depth of sections in it */
    level_t vh, sec;
    int sec_handler;            /* sec has SetHandler gsprov */
    level_t handler;            /* the vhost's first such section */
    int have_handler;
    /* the result */
    int found;
    level_t res_vh, res_handler;
    int res_have_handler;
} apconf_t;

static void level_init(apr_pool_t *p, level_t *l)
{
    l->root = NULL;
    l->vars = apr_hash_make(p);
}

/* One argument as ap_getword_conf splits it: a quoted word (with \" or
 * \\ inside), or up to the next blank.  NULL at the end of the line. */
static char *next_word(apr_pool_t *p, const char **line)
{
    const char *s = *line;
    char *w, *o;

    while (*s && isspace((unsigned char)*s))
        s++;
    if (!*s)
        return NULL;
    w = o = apr_palloc(p, strlen(s) + 1);
    if (*s == '"' || *s == '\'') {
        char q = *s++;
        while (*s && *s != q) {
            if (*s == '\\' && (s[1] == q || s[1] == '\\'))
                s++;
            *o++ = *s++;
        }
        if (*s)
            s++;
    }
    else
        while (*s && !isspace((unsigned char)*s))
            *o++ = *s++;
    *o = '\0';
    *line = s;
    return w;
}

static int fail(apconf_t *c, const char *file, int line, const char *what)
{
    c->err = apr_psprintf(c->p, "%s:%d: %s", file, line, what);
    return -1;
}

/* The level a directive at this point of the file sets, or NULL when it
 * is in a section outside any vhost (it does not apply to the vhost). */
static level_t *current(apconf_t *c)
{
    if (!c->want)
        return &c->top;
    if (!c->in_vhost)
        return c->depth ? NULL : &c->top;
    return c->depth ? &c->sec : &c->vh;
}

/* the host part of a ServerName or ServerAlias ([scheme://]host[:port]) */
static const char *host_of(apr_pool_t *p, const char *name)
{
    const char *s = strstr(name, "://");
    char *h = apr_pstrdup(p, s ? s + 3 : name), *colon;

    if (h[0] != '[' && (colon = strrchr(h, ':')))
        *colon = '\0';
    return h;
}

static int read_file(apconf_t *c, const char *path, int depth);

/* Include PATTERN: every file it names, in order (a directory: every
 * file in it), relative to ServerRoot. */
static int include(apconf_t *c, const char *file, int line, const char *arg,
                   int optional, int depth)
{
    const char *pat = arg[0] == '/' ? arg
                      : apr_pstrcat(c->p, c->server_root, "/", arg, NULL);
    struct stat st;
    glob_t g;
    size_t i;
    int rc;

    if (depth >= APCONF_MAX_DEPTH)
        return fail(c, file, line, "Include nested too deeply");
    if (stat(pat, &st) == 0 && S_ISDIR(st.st_mode))
        pat = apr_pstrcat(c->p, pat, "/*", NULL);
    rc = glob(pat, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        if (optional || strpbrk(pat, "*?["))
            return 0;
        return fail(c, file, line, apr_psprintf(c->p, "Include %s: no such "
                                                "file", arg));
    }
    if (rc != 0)
        return fail(c, file, line, apr_psprintf(c->p, "Include %s: cannot "
                                                "read", arg));
    for (i = 0, rc = 0; i < g.gl_pathc && rc == 0; i++)
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = read_file(c, apr_pstrdup(c->p, g.gl_pathv[i]), depth + 1);
    globfree(&g);
    return rc;
}

/* A section opens (<Name args>) or closes (</Name>). */
static void section(apconf_t *c, const char *name, int closing)
{
    /* <IfModule>, <IfDefine>, ...: read as if true */
    if (!strncasecmp(name, "If", 2) || !strncasecmp(name, "Else", 4))
        return;
    if (!strcasecmp(name, "VirtualHost") && c->want) {
        if (!closing) {
            c->in_vhost = 1;
            c->vhost_named = c->have_handler = c->depth = 0;
            level_init(c->p, &c->vh);
            return;
        }
        if (c->in_vhost && c->vhost_named && !c->found) {
            c->found = 1;
            c->res_vh = c->vh;
            c->res_handler = c->handler;
            c->res_have_handler = c->have_handler;
        }
        c->in_vhost = 0;
        return;
    }
    if (!closing) {
        if (++c->depth == 1) {
            level_init(c->p, &c->sec);
            c->sec_handler = 0;
        }
        return;
    }
    if (c->depth > 0 && --c->depth == 0 && c->in_vhost && c->sec_handler
        && !c->have_handler) {
        c->handler = c->sec;
        c->have_handler = 1;
    }
}

static int directive(apconf_t *c, const char *file, int lineno,
                     const char *line, int depth)
{
    const char *rest = line;
    char *name = next_word(c->p, &rest), *a1, *a2;
    level_t *l;

    if (!name)
        return 0;
    if (!c->want && strcasecmp(name, "GsProvVar"))  /* a vars file */
        return fail(c, file, lineno, "not a GsProvVar line");
    if (name[0] == '<') {
        int closing = name[1] == '/';
        char *n = apr_pstrdup(c->p, name + 1 + closing), *gt;
        if ((gt = strchr(n, '>')))
            *gt = '\0';
        section(c, n, closing);
        return 0;
    }
    a1 = next_word(c->p, &rest);
    if (!c->want)
        ;               /* a vars file: GsProvVar only, checked above */
    else if (!strcasecmp(name, "ServerRoot") && a1)
        c->server_root = a1;
    else if ((!strcasecmp(name, "Include")
              || !strcasecmp(name, "IncludeOptional")) && a1)
        return include(c, file, lineno, a1,
                       !strcasecmp(name, "IncludeOptional"), depth);
    else if (c->in_vhost && c->depth == 0
             && (!strcasecmp(name, "ServerName")
                 || !strcasecmp(name, "ServerAlias"))) {
        for (; a1; a1 = next_word(c->p, &rest))
            if (!fnmatch(host_of(c->p, a1), c->want, FNM_CASEFOLD))
                c->vhost_named = 1;
        return 0;
    }
    else if (!strcasecmp(name, "SetHandler") && a1 && c->in_vhost
             && c->depth == 1 && !strcasecmp(a1, "gsprov"))
        c->sec_handler = 1;
    if (!(l = current(c)))
        return 0;
    if (!strcasecmp(name, "GsProvRoot")) {
        if (!a1)
            return fail(c, file, lineno, "GsProvRoot without a directory");
        l->root = a1[0] == '/' ? a1 : apr_pstrcat(c->p, c->server_root, "/",
                                                  a1, NULL);
    }
    else if (!strcasecmp(name, "GsProvVar")) {
        if (!a1 || !(a2 = next_word(c->p, &rest))
            || next_word(c->p, &rest))
            return fail(c, file, lineno, "GsProvVar takes a NAME and a "
                        "VALUE (quote a value with spaces)");
        if (!gsprov_layer_ident_valid(a1))
            return fail(c, file, lineno, apr_psprintf(
                        c->p, "GsProvVar: invalid variable name '%s'", a1));
        apr_hash_set(l->vars, a1, APR_HASH_KEY_STRING, a2);
    }
    return 0;
}

static int read_file(apconf_t *c, const char *path, int depth)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t len;
    char *buf, *s, *line, *nl, *acc = NULL;
    int lineno = 0, first = 0, at;

    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, c->p))
        || (rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f))) {
        c->err = apr_psprintf(c->p, "%s: %pm", path, &rv);
        return -1;
    }
    len = (apr_size_t)fi.size;
    buf = apr_palloc(c->p, len + 1);
    rv = apr_file_read_full(f, buf, len, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        c->err = apr_psprintf(c->p, "%s: %pm", path, &rv);
        return -1;
    }
    buf[len] = '\0';
    /* logical lines: a backslash at the end joins the next line */
    for (s = buf; s; s = nl ? nl + 1 : NULL) {
        apr_size_t n;
        if ((nl = strchr(s, '\n')))
            *nl = '\0';
        else if (!*s)
            break;
        lineno++;
        n = strlen(s);
        if (n && s[n - 1] == '\r')
            s[--n] = '\0';
        if (n && s[n - 1] == '\\' && nl) {
            s[n - 1] = '\0';
            acc = acc ? apr_pstrcat(c->p, acc, s, NULL) : s;
            if (!first)
                first = lineno;
            continue;
        }
        line = acc ? apr_pstrcat(c->p, acc, s, NULL) : s;
        at = first ? first : lineno;
        acc = NULL;
        first = 0;
        while (isspace((unsigned char)*line))
            line++;
        if (!*line || *line == '#')
            continue;
        if (directive(c, path, at, line, depth))
            return -1;
    }
    return 0;
}

static void overlay(apr_pool_t *p, apr_hash_t *into, apr_hash_t *from)
{
    apr_hash_index_t *hi;
    for (hi = apr_hash_first(p, from); hi; hi = apr_hash_next(hi))
        apr_hash_set(into, apr_hash_this_key(hi), APR_HASH_KEY_STRING,
                     apr_hash_this_val(hi));
}

apr_status_t gsprov_apconf_vars_file(apr_pool_t *p, const char *path,
                                     apr_hash_t *vars, char **err)
{
    apconf_t c;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.server_root = APCONF_SERVER_ROOT;
    level_init(p, &c.top);
    if (read_file(&c, path, 0)) {
        *err = c.err;
        return GSPROV_EPARSE;
    }
    overlay(p, vars, c.top.vars);
    return APR_SUCCESS;
}

apr_status_t gsprov_apconf_vhost(apr_pool_t *p, const char *path,
                                 const char *vhost, const char **root,
                                 apr_hash_t *vars, char **err)
{
    apconf_t c;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.want = vhost;
    c.server_root = APCONF_SERVER_ROOT;
    level_init(p, &c.top);
    if (read_file(&c, path, 0)) {
        *err = c.err;
        return GSPROV_EPARSE;
    }
    if (!c.found) {
        *err = apr_psprintf(p, "%s: no <VirtualHost> with ServerName or "
                            "ServerAlias %s", path, vhost);
        return GSPROV_ENOTFOUND;
    }
    *root = c.res_have_handler && c.res_handler.root ? c.res_handler.root
          : c.res_vh.root ? c.res_vh.root : c.top.root;
    overlay(p, vars, c.top.vars);
    overlay(p, vars, c.res_vh.vars);
    if (c.res_have_handler)
        overlay(p, vars, c.res_handler.vars);
    return APR_SUCCESS;
}
