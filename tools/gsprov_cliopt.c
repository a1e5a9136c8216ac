/* Options the gsprov subcommands share (see gsprov_cliopt.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>

#include "gsprov_cliopt.h"
#include "gsprov_apconf.h"
#include "gsprov_layer.h"

static const struct option store_opts[] = {
    { "root",      required_argument, NULL, GSPROV_OPT_ROOT },
    { "var",       required_argument, NULL, GSPROV_OPT_VAR },
    { "vars-file", required_argument, NULL, GSPROV_OPT_VARS_FILE },
    { "config",    required_argument, NULL, GSPROV_OPT_CONFIG },
    { "vhost",     required_argument, NULL, GSPROV_OPT_VHOST },
};
static const struct option password_opts[] = {
    { "password",      required_argument, NULL, GSPROV_OPT_PASSWORD },
    { "password-file", required_argument, NULL, GSPROV_OPT_PASSWORD_FILE },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void gsprov_cliopt_init(gsprov_cliopt_t *o, apr_pool_t *p, const char *cmd,
                        const char *usage, int groups)
{
    memset(o, 0, sizeof(*o));
    o->p = p;
    o->cmd = cmd;
    o->usage = usage;
    o->groups = groups;
    o->vars = apr_hash_make(p);
    o->var_args = apr_array_make(p, 8, sizeof(const char *));
    /* a fresh scan (a process may parse more than once, e.g. tests) */
    optind = 0;
    opterr = 0;     /* our own messages: "unknown option" every time */
}

int gsprov_cliopt_usage_error(const gsprov_cliopt_t *o, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "gsprov %s: ", o->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", o->usage);
    return GSPROV_EXIT_USAGE;
}

static int fail(const gsprov_cliopt_t *o, const char *msg)
{
    fprintf(stderr, "gsprov %s: %s\n", o->cmd, msg);
    return EXIT_FAILURE;
}

static void append(struct option *lo, size_t *n, const struct option *add,
                   size_t count)
{
    memcpy(lo + *n, add, count * sizeof(*add));
    *n += count;
}

int gsprov_cliopt_next(gsprov_cliopt_t *o, int argc, char **argv,
                       const struct option *own)
{
    int c;

    if (!o->longopts) {
        size_t nown = 0, n = 0;
        while (own && own[nown].name)
            nown++;
        o->longopts = apr_pcalloc(o->p, (nown + COUNT(store_opts)
                                         + COUNT(password_opts) + 1)
                                        * sizeof(struct option));
        append(o->longopts, &n, own, nown);
        if (o->groups & GSPROV_CLIOPT_STORE)
            append(o->longopts, &n, store_opts, COUNT(store_opts));
        if (o->groups & GSPROV_CLIOPT_PASSWORD)
            append(o->longopts, &n, password_opts, COUNT(password_opts));
    }
    /* ':' first: a missing value is ':', not '?' */
    c = getopt_long(argc, argv, ":", o->longopts, NULL);
    if (c == '?' || c == ':') {
        /* a short option may share its word with others: name it alone */
        const char *opt = argv[optind - 1];
        if (strncmp(opt, "--", 2) && optopt > ' ' && optopt < 0x7f)
            opt = apr_psprintf(o->p, "-%c", optopt);
        if (c == '?')
            gsprov_cliopt_usage_error(o, "unknown option '%s'", opt);
        else
            gsprov_cliopt_usage_error(o, "option '%s' needs a value", opt);
        return GSPROV_OPT_ERROR;
    }
    return c;
}

/* --var NAME=VALUE */
static int add_var(gsprov_cliopt_t *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *name;

    if (!eq)
        return gsprov_cliopt_usage_error(o, "--var needs NAME=VALUE, not "
                                         "'%s'", arg);
    name = apr_pstrmemdup(o->p, arg, (apr_size_t)(eq - arg));
    if (!gsprov_layer_ident_valid(name))
        return gsprov_cliopt_usage_error(o, "--var: invalid variable name "
                                         "'%s'", name);
    APR_ARRAY_PUSH(o->var_args, const char *) = arg;
    return 0;
}

int gsprov_cliopt_shared(gsprov_cliopt_t *o, int opt)
{
    switch (opt) {
    case GSPROV_OPT_ERROR:
        return GSPROV_EXIT_USAGE;
    case GSPROV_OPT_ROOT:
        o->root = optarg;
        return 0;
    case GSPROV_OPT_VAR:
        o->have_vars = 1;
        return add_var(o, optarg);
    case GSPROV_OPT_VARS_FILE:
        o->have_vars = 1;
        o->vars_file = optarg;
        return 0;
    case GSPROV_OPT_CONFIG:
        o->have_vars = 1;
        o->config = optarg;
        return 0;
    case GSPROV_OPT_VHOST:
        o->vhost = optarg;
        return 0;
    case GSPROV_OPT_PASSWORD:
        o->password_spec = optarg;
        return 0;
    case GSPROV_OPT_PASSWORD_FILE:
        o->password_file = optarg;
        return 0;
    default:    /* in the table but not handled: a bug, said plainly */
        return gsprov_cliopt_usage_error(o, "option %d not handled", opt);
    }
}

/* The first line of a file, without its line end. */
static const char *first_line(apr_pool_t *p, const char *path,
                              const char **err)
{
    apr_file_t *f;
    apr_status_t rv;
    char buf[4096];
    size_t n;

    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p))) {
        *err = apr_psprintf(p, "%s: %pm", path, &rv);
        return NULL;
    }
    rv = apr_file_gets(buf, sizeof(buf), f);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        *err = apr_psprintf(p, "%s: %pm", path, &rv);
        return NULL;
    }
    if (rv != APR_SUCCESS)
        buf[0] = '\0';
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return apr_pstrdup(p, buf);
}

const char *gsprov_cliopt_password(apr_pool_t *p, const char *spec,
                                   const char **err)
{
    const char *pw = spec;

    if (!strncmp(spec, "pass:", 5))
        pw = spec + 5;
    else if (!strncmp(spec, "env:", 4)) {
        if (!(pw = getenv(spec + 4))) {
            *err = apr_psprintf(p, "--password env:%s: the environment "
                                "has no %s", spec + 4, spec + 4);
            return NULL;
        }
    }
    else if (!strncmp(spec, "file:", 5)
             && !(pw = first_line(p, spec + 5, err)))
        return NULL;
    if (!*pw) {
        *err = "the password is empty";
        return NULL;
    }
    return pw;
}

int gsprov_cliopt_finish(gsprov_cliopt_t *o)
{
    char *err = NULL;
    const char *e = NULL;
    int i;

    if (o->config || o->vhost) {
        const char *root = NULL;
        if (!o->config || !o->vhost)
            return gsprov_cliopt_usage_error(o, "--config and --vhost go "
                                             "together");
        if (gsprov_apconf_vhost(o->p, o->config, o->vhost, &root, o->vars,
                                &err))
            return fail(o, err);
        if (!o->root && !(o->root = root))
            return fail(o, apr_psprintf(o->p, "%s: no GsProvRoot applies "
                                        "to %s (give --root)", o->config,
                                        o->vhost));
    }
    if (o->vars_file
        && gsprov_apconf_vars_file(o->p, o->vars_file, o->vars, &err))
        return fail(o, err);
    for (i = 0; i < o->var_args->nelts; i++) {
        const char *a = APR_ARRAY_IDX(o->var_args, i, const char *);
        const char *eq = strchr(a, '=');
        apr_hash_set(o->vars, apr_pstrmemdup(o->p, a, (apr_size_t)(eq - a)),
                     APR_HASH_KEY_STRING, eq + 1);
    }
    if (o->password_spec && o->password_file)
        return gsprov_cliopt_usage_error(o, "--password or --password-file, "
                                         "not both");
    if (o->password_spec
        && !(o->password = gsprov_cliopt_password(o->p, o->password_spec,
                                                  &e)))
        return fail(o, e);
    if (o->password_file
        && !(o->password = gsprov_cliopt_password(
                 o->p, apr_pstrcat(o->p, "file:", o->password_file, NULL),
                 &e)))
        return fail(o, e);
    return 0;
}
