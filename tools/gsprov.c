/*
 * gsprov: the command-line side of mod_gsprov, linked from the same lib/.
 *
 *   gsprov render --root DIR MAC [options]   the bytes the module would serve
 *   gsprov encrypt|decrypt --password PW [--md md5|sha256]   stdin -> stdout
 *   gsprov encode --mac MAC                  P-value text or XML -> binary
 *   gsprov decode                            binary -> P-value text
 *   gsprov lint --root DIR [--var N=V]...    check a whole store
 *   gsprov db init | import | export          the database store
 *                                            (tools/gsprov_db.c)
 *   render and lint take --driver D --params P --tenant T: the records
 *   from a database, the templates from --root
 *
 * Each subcommand parses its options with getopt_long in a function of
 * its own (parse_<command>); the options several share (the store and
 * the tenant's variables, passwords) are gsprov_cliopt.c's.
 *
 * Exit codes: 0 success; 1 the operation failed or lint found problems;
 * 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <libxml/parser.h>

#include "gsprov_provision.h"
#include "gsprov_binary.h"
#include "gsprov_crypto.h"
#include "gsprov_defaults.h"
#include "gsprov_error.h"
#include "gsprov_layer.h"
#include "gsprov_guard.h"
#include "gsprov_xml.h"
#include "gsprov_version.h"
#include "gsprov_cliopt.h"
#include "gsprov_progress.h"
#include "gsprov_cli.h"

#define EXIT_USAGE GSPROV_EXIT_USAGE

typedef struct {
    const char *name;
    int (*run)(apr_pool_t *p, int argc, char **argv);
    const char *usage;
} command_t;

/* lib/'s messages begin with their GSPROVnnnn id */
static void log_stderr(void *baton, const char *file, int line,
                       gsprov_log_level_e level, const char *msg)
{
    fprintf(stderr, "gsprov: %s\n", msg);
}

static int fail(const char *what, const char *err)
{
    fprintf(stderr, "gsprov: %s%s%s\n", what, err ? ": " : "", err ? err : "");
    return EXIT_FAILURE;
}

static int want_help(int argc, const char *const *argv)
{
    int i;
    for (i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static apr_status_t read_all(apr_pool_t *p, apr_file_t *f, char **buf,
                             apr_size_t *len)
{
    apr_size_t cap = 65536, n = 0;
    char *b = apr_palloc(p, cap + 1);
    for (;;) {
        apr_size_t chunk = cap - n;
        apr_status_t rv = apr_file_read(f, b + n, &chunk);
        n += chunk;
        if (APR_STATUS_IS_EOF(rv) || (rv == APR_SUCCESS && chunk == 0))
            break;
        if (rv != APR_SUCCESS)
            return rv;
        if (n == cap) {
            char *nb;
            if (cap > 64 * 1024 * 1024)
                return GSPROV_ETOOBIG;
            nb = apr_palloc(p, cap * 2 + 1);
            memcpy(nb, b, n);
            b = nb;
            cap *= 2;
        }
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return APR_SUCCESS;
}

static apr_status_t read_stdin(apr_pool_t *p, char **buf, apr_size_t *len)
{
    apr_file_t *in;
    apr_status_t rv = apr_file_open_stdin(&in, p);
    return rv ? rv : read_all(p, in, buf, len);
}

static int write_stdout(apr_pool_t *p, const void *buf, apr_size_t len)
{
    apr_file_t *out;
    apr_size_t done = 0;
    if (apr_file_open_stdout(&out, p) != APR_SUCCESS
        || apr_file_write_full(out, buf, len, &done) != APR_SUCCESS
        || done != len)
        return fail("writing to standard output failed", NULL);
    return EXIT_SUCCESS;
}

/* ---- render ---------------------------------------------------------- */

static const char render_usage[] =
    "gsprov render (--root DIR | --config FILE --vhost NAME) MAC\n"
    "       [--var NAME=VALUE]... [--vars-file FILE] [--format xml|binary]\n"
    "       [--user-agent UA] [--plain] [--md md5|sha256]\n"
    "       [--binary full|bootstrap] [--bootstrap-param PNNN]...\n"
    "       [--driver D --params P --tenant T]\n"
    "  Prints exactly the bytes mod_gsprov serves for cfg<MAC>.xml (or the\n"
    "  binary cfg<MAC>), encrypted when the device has a password unless\n"
    "  --plain; for a redirected device (<redirect> record or redirect.map)\n"
    "  its redirect file.  The tenant's variables: --config/--vhost reads\n"
    "  GsProvRoot and GsProvVar from the vhost's Apache configuration,\n"
    "  --vars-file a file of GsProvVar lines, --var one variable (the\n"
    "  later wins).  --driver D --params P --tenant T: the record from\n"
    "  that database (GsProvStore dbd), the templates from --root.";

typedef struct {
    gsprov_cliopt_t o;
    const char *mac, *ua;
    gsprov_settings_t set;
    gsprov_name_t name;
    gsprov_cli_db_t db;
} render_args_t;

static int parse_render(apr_pool_t *p, int argc, char **argv,
                        render_args_t *a)
{
    enum { O_FORMAT = 1, O_UA, O_PLAIN, O_MD, O_BINARY, O_BOOTSTRAP };
    static const struct option own[] = {
        { "format",          required_argument, NULL, O_FORMAT },
        { "user-agent",      required_argument, NULL, O_UA },
        { "plain",           no_argument,       NULL, O_PLAIN },
        { "md",              required_argument, NULL, O_MD },
        { "binary",          required_argument, NULL, O_BINARY },
        { "bootstrap-param", required_argument, NULL, O_BOOTSTRAP },
        GSPROV_CLI_DB_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    gsprov_cliopt_t *o = &a->o;
    const char *e;
    int c, rc, md;

    memset(a, 0, sizeof(*a));
    gsprov_cliopt_init(o, p, "render", render_usage, GSPROV_CLIOPT_STORE);
    a->set.key_digest = GSPROV_DEFAULT_KEY_DIGEST;
    a->set.binary = GSPROV_BINARY_BOOTSTRAP;
    a->set.bootstrap_extra = apr_array_make(p, 4, sizeof(const char *));
    a->name.kind = GSPROV_KIND_DEVICE_XML;
    while ((c = gsprov_cliopt_next(o, argc, argv, own)) != -1) {
        switch (c) {
        case O_FORMAT:
            if (!strcmp(optarg, "xml"))
                a->name.kind = GSPROV_KIND_DEVICE_XML;
            else if (!strcmp(optarg, "binary"))
                a->name.kind = GSPROV_KIND_DEVICE_BIN;
            else
                return gsprov_cliopt_usage_error(o, "unknown format '%s'",
                                                 optarg);
            break;
        case O_UA:
            a->ua = optarg;
            break;
        case O_PLAIN:
            a->set.plain = 1;
            break;
        case O_MD:
            if ((md = gsprov_crypto_md_parse(optarg)) < 0)
                return gsprov_cliopt_usage_error(o, "unknown digest '%s'",
                                                 optarg);
            a->set.key_digest = (gsprov_md_e)md;
            break;
        case O_BINARY:
            if (!strcmp(optarg, "full"))
                a->set.binary = GSPROV_BINARY_FULL;
            else if (!strcmp(optarg, "bootstrap"))
                a->set.binary = GSPROV_BINARY_BOOTSTRAP;
            else
                return gsprov_cliopt_usage_error(o, "unknown --binary '%s'",
                                                 optarg);
            break;
        case O_BOOTSTRAP:
            if (!gsprov_layer_pname_valid(optarg))
                return gsprov_cliopt_usage_error(o, "'%s' is not a P-value",
                                                 optarg);
            APR_ARRAY_PUSH(a->set.bootstrap_extra, const char *) = optarg;
            break;
        default:
            if (gsprov_cli_db_option(&a->db, c, optarg))
                break;
            if ((rc = gsprov_cliopt_shared(o, c)))
                return rc;
        }
    }
    if (optind < argc)
        a->mac = argv[optind++];
    if (optind < argc)
        return gsprov_cliopt_usage_error(o, "unexpected '%s'", argv[optind]);
    if ((!o->root && !o->config) || !a->mac)
        return gsprov_cliopt_usage_error(o, "%s", "--root and MAC are "
                                         "required");
    if (!gsprov_mac_parse(a->mac, strlen(a->mac), a->name.mac))
        return gsprov_cliopt_usage_error(o, "'%s' is not a MAC (12 hex "
                                         "digits)", a->mac);
    if ((e = gsprov_cli_db_check(&a->db)))
        return gsprov_cliopt_usage_error(o, "%s", e);
    if ((rc = gsprov_cliopt_finish(o)))
        return rc;
    a->set.tenant_vars = o->vars;
    return 0;
}

static int cmd_render(apr_pool_t *p, int argc, char **argv)
{
    render_args_t a;
    gsprov_ua_t ua;
    gsprov_output_t out;
    gsprov_store_t *store;
    gsprov_logger_t log = { log_stderr, NULL, GSPROV_LOG_DEBUG, NULL };
    const gsprov_templates_t *t;
    char *err = NULL;
    apr_status_t rv;
    int rc;

    if ((rc = parse_render(p, argc, argv, &a)))
        return rc;
    a.name.nreadings = 1;
    a.name.reading[0].kind = a.name.kind;
    a.name.any_affix = 1;   /* render the device's file whatever its P234/5 */
    if (a.ua && gsprov_useragent_parse(a.ua, &ua))
        a.set.ua = &ua;

    if ((rv = gsprov_store_file_open(p, a.o.root, &log, &store, &err)))
        return fail("cannot open the store", err);
    if ((rv = gsprov_cli_records(p, &a.db, store, &log, &store, &err)))
        return fail("cannot open the database", err);
    t = gsprov_store_templates(store, p, apr_time_from_sec(86400));
    rv = gsprov_provision(p, store, t, &a.name, &a.set, &out, &err);
    if (rv == GSPROV_ENOTFOUND)
        return fail(apr_psprintf(p, "no file for %s", a.name.mac), err);
    if (rv != APR_SUCCESS)
        return fail("render failed", err);
    return write_stdout(p, out.body, out.len);
}

/* ---- encrypt / decrypt ----------------------------------------------- */

static const char crypt_usage[] =
    "gsprov encrypt|decrypt (--password PW | --password-file FILE)\n"
    "       [--md md5|sha256]\n"
    "  Standard input to standard output, interoperable with\n"
    "  openssl enc -aes-256-cbc -md md5 -k PW (with -d to decrypt).\n"
    "  PW takes openssl's -pass forms: env:NAME (an environment variable),\n"
    "  file:PATH (the first line of a file), pass:PW; anything else is the\n"
    "  password itself, which other users can see in ps: prefer the others.";

typedef struct {
    gsprov_cliopt_t o;
    gsprov_md_e md;
} crypt_args_t;

static int parse_crypt(apr_pool_t *p, int argc, char **argv, int enc,
                       crypt_args_t *a)
{
    enum { O_MD = 1 };
    static const struct option own[] = {
        { "md", required_argument, NULL, O_MD },
        { NULL, 0, NULL, 0 }
    };
    gsprov_cliopt_t *o = &a->o;
    int c, rc, m;

    gsprov_cliopt_init(o, p, enc ? "encrypt" : "decrypt", crypt_usage,
                       GSPROV_CLIOPT_PASSWORD);
    a->md = GSPROV_DEFAULT_KEY_DIGEST;
    while ((c = gsprov_cliopt_next(o, argc, argv, own)) != -1) {
        switch (c) {
        case O_MD:
            if ((m = gsprov_crypto_md_parse(optarg)) < 0)
                return gsprov_cliopt_usage_error(o, "unknown digest '%s'",
                                                 optarg);
            a->md = (gsprov_md_e)m;
            break;
        default:
            if ((rc = gsprov_cliopt_shared(o, c)))
                return rc;
        }
    }
    if (optind < argc)
        return gsprov_cliopt_usage_error(o, "unexpected '%s'", argv[optind]);
    if (!o->password_spec && !o->password_file)
        return gsprov_cliopt_usage_error(o, "%s", "--password is required "
                                         "(or --password-file)");
    return gsprov_cliopt_finish(o);
}

static int run_crypt(apr_pool_t *p, int argc, char **argv, int enc)
{
    crypt_args_t a;
    unsigned char *out;
    apr_size_t len, olen;
    char *in;
    int rc;

    if ((rc = parse_crypt(p, argc, argv, enc, &a)))
        return rc;
    if (read_stdin(p, &in, &len) != APR_SUCCESS)
        return fail("cannot read standard input", NULL);
    if ((enc ? gsprov_crypto_encrypt(p, a.o.password, a.md, in, len, &out,
                                     &olen)
             : gsprov_crypto_decrypt(p, a.o.password, a.md, in, len, &out,
                                     &olen)))
        return fail(enc ? "encryption failed"
                        : "decryption failed (wrong password or digest, or "
                          "not an openssl enc file)", NULL);
    return write_stdout(p, out, olen);
}

static int cmd_encrypt(apr_pool_t *p, int argc, char **argv)
{
    return run_crypt(p, argc, argv, 1);
}

static int cmd_decrypt(apr_pool_t *p, int argc, char **argv)
{
    return run_crypt(p, argc, argv, 0);
}

/* ---- encode / decode ------------------------------------------------- */

static const char encode_usage[] =
    "gsprov encode --mac MAC\n"
    "  Reads P-value text (one P<n>=<value> per line; '#' starts a comment\n"
    "  line) or a gs_provision XML file (config version 1) on standard\n"
    "  input, writes the binary cfg<MAC> file to standard output.";

/* No options but its own, and no arguments: 0, or the exit code. */
static int parse_plain(gsprov_cliopt_t *o, int argc, char **argv,
                       const struct option *own, const char **mac)
{
    int c;

    while ((c = gsprov_cliopt_next(o, argc, argv, own)) != -1) {
        if (c == 'm' && mac)
            *mac = optarg;
        else
            return gsprov_cliopt_shared(o, c);
    }
    if (optind < argc)
        return gsprov_cliopt_usage_error(o, "unexpected '%s'", argv[optind]);
    return 0;
}

static int parse_encode(apr_pool_t *p, int argc, char **argv,
                        char mac[GSPROV_MAC_LEN + 1])
{
    static const struct option own[] = {
        { "mac", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 }
    };
    gsprov_cliopt_t o;
    const char *macarg = NULL;
    int rc;

    gsprov_cliopt_init(&o, p, "encode", encode_usage, 0);
    if ((rc = parse_plain(&o, argc, argv, own, &macarg)))
        return rc;
    if (!macarg || !gsprov_mac_parse(macarg, strlen(macarg), mac))
        return gsprov_cliopt_usage_error(&o, "%s", "--mac MAC (12 hex "
                                         "digits) is required");
    return 0;
}

static int cmd_encode(apr_pool_t *p, int argc, char **argv)
{
    char mac[GSPROV_MAC_LEN + 1];
    apr_array_header_t *pv = apr_array_make(p, 64, sizeof(gsprov_pvalue_t));
    unsigned char *bin;
    apr_size_t len, blen;
    char *in, *err = NULL, *s;
    int i;

    if ((i = parse_encode(p, argc, argv, mac)))
        return i;
    if (read_stdin(p, &in, &len) != APR_SUCCESS)
        return fail("cannot read standard input", NULL);
    if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {  /* UTF-8 BOM */
        in += 3;
        len -= 3;
    }

    for (s = in; apr_isspace(*s); s++)
        ;
    if (*s == '<') {
        gsprov_layer_t *layer;
        if (gsprov_xml_parse_layer(p, in, len, "<stdin>", &layer, &err))
            return fail("not a valid gs_provision file", err);
        if (layer->version != 1)
            return fail("config version 2 has no P-values for a binary "
                        "file", NULL);
        for (i = 0; i < layer->params->nelts; i++) {
            const gsprov_param_t *prm =
                &APR_ARRAY_IDX(layer->params, i, gsprov_param_t);
            gsprov_pvalue_t *v = apr_array_push(pv);
            v->name = prm->name;
            v->value = prm->value;
        }
    }
    else {
        char *line, *state = NULL;
        int lineno = 0;
        if (memchr(in, '\0', len))
            return fail("input holds a NUL byte", NULL);
        for (line = in; line; line = state) {
            char *nl = strchr(line, '\n'), *eq;
            gsprov_pvalue_t *v;
            state = nl ? nl + 1 : NULL;
            if (nl)
                *nl = '\0';
            lineno++;
            if (nl > line && nl[-1] == '\r')
                nl[-1] = '\0';
            if (!*line || *line == '#')
                continue;
            eq = strchr(line, '=');
            if (eq)
                *eq = '\0';
            if (!eq || !gsprov_layer_pname_valid(line))
                return fail(apr_psprintf(p, "<stdin>:%d: expected "
                                         "P<number>=<value>", lineno), NULL);
            v = apr_array_push(pv);
            v->name = line;
            v->value = eq + 1;
        }
    }
    if (gsprov_binary_encode(p, mac, pv, &bin, &blen))
        return fail("encoding failed", NULL);
    return write_stdout(p, bin, blen);
}

static const char decode_usage[] =
    "gsprov decode\n"
    "  Reads a binary cfg<MAC> file on standard input, verifies its length,\n"
    "  checksum and gnkey, and prints '# mac=<MAC>' and one P<n>=<value>\n"
    "  line per parameter (what gsprov encode reads back).  Also reads what\n"
    "  Grandstream's GS_CFG_GEN writes: a header without MAC (said in the\n"
    "  first line), a 16-bit length, '+' for a space; its encrypted files\n"
    "  are recognised but not decoded.";

static int cmd_decode(apr_pool_t *p, int argc, char **argv)
{
    static const struct option own[] = { { NULL, 0, NULL, 0 } };
    gsprov_cliopt_t o;
    gsprov_binary_file_t f;
    apr_array_header_t *pv;
    char *in, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    int i;

    gsprov_cliopt_init(&o, p, "decode", decode_usage, 0);
    if ((i = parse_plain(&o, argc, argv, own, NULL)))
        return i;
    if (read_stdin(p, &in, &len) != APR_SUCCESS)
        return fail("cannot read standard input", NULL);
    rv = gsprov_binary_read(p, (const unsigned char *)in, len, &f, &err);
    if (rv == APR_ENOTIMPL)
        return fail("encrypted by Grandstream's configuration tool "
                    "(GS_CFG_GEN), not supported", err);
    if (rv != APR_SUCCESS)
        return fail("not a valid binary config file", err);
    pv = f.pvalues;
    /* P-value text has one parameter per line: a value holding a line
     * break cannot be written back faithfully */
    for (i = 0; i < pv->nelts; i++) {
        const gsprov_pvalue_t *v = &APR_ARRAY_IDX(pv, i, gsprov_pvalue_t);
        if (strpbrk(v->value, "\r\n"))
            return fail(apr_psprintf(p, "%s holds a line break, which P-value "
                                     "text cannot carry", v->name), NULL);
    }
    if (f.layout == GSPROV_BINARY_LAYOUT_TOOL)
        printf("# no MAC: written by Grandstream's GS_CFG_GEN (bytes 6-11: "
               "ff01, random %04x, body checksum %04x)\n", f.random,
               f.body_sum);
    else
        printf("# mac=%s\n", f.mac);
    if (f.length16)
        printf("# length field read as 16 bits (bytes 2-3), as GS_CFG_GEN "
               "and older encoders write it\n");
    for (i = 0; i < pv->nelts; i++) {
        const gsprov_pvalue_t *v = &APR_ARRAY_IDX(pv, i, gsprov_pvalue_t);
        printf("%s=%s\n", v->name, v->value);
    }
    return fflush(stdout) == 0 ? EXIT_SUCCESS
                               : fail("writing to standard output failed",
                                      NULL);
}

/* ---- lint ------------------------------------------------------------ */

static const char lint_usage[] =
    "gsprov lint (--root DIR | --config FILE --vhost NAME)\n"
    "       [--var NAME=VALUE]... [--vars-file FILE] [--no-progress]\n"
    "       [--driver D --params P --tenant T]\n"
    "  Loads every template, the redirect map and every device record and\n"
    "  renders every device with the tenant's variables (as for render:\n"
    "  --config/--vhost, --vars-file, --var); with --driver the records\n"
    "  are that database's.  Prints each problem as\n"
    "  'file:line: message' (with '; hint: ...' for the common\n"
    "  vendor-template mistakes). Exit 1 if any.  Warns on stderr\n"
    "  ('file:line: warning: ...') about layers that set P1359-P1361,\n"
    "  which device records own; warnings alone exit 0.  On a terminal,\n"
    "  a progress line shows on stderr after a few seconds (not with\n"
    "  --no-progress).";

typedef struct {
    int problems, warnings;
    int undefined;              /* of them, undefined variables */
    long devices;
    gsprov_store_t *store;
    const gsprov_templates_t *t;
    const gsprov_settings_t *set;
    gsprov_progress_t progress;
} lint_t;

static void lint_report(void *baton, const char *msg)
{
    lint_t *lint = baton;
    const char *hint = gsprov_xml_hint(msg);

    lint->problems++;
    if (strstr(msg, "undefined variable ${"))
        lint->undefined++;
    if (lint->progress.shown)      /* the problem, not over the progress */
        gsprov_progress_done(&lint->progress);
    printf("%s%s%s\n", msg, hint ? "; hint: " : "", hint ? hint : "");
}

/* Layer parameters the device records own (P1359-P1361): not problems,
 * since what is served agrees with the records, but worth a look; on
 * stderr, so that stdout stays one line per problem. */
static void lint_warn(lint_t *lint, const apr_array_header_t *w)
{
    int i;
    for (i = 0; i < w->nelts; i++) {
        const gsprov_guard_warning_t *g =
            &APR_ARRAY_IDX(w, i, gsprov_guard_warning_t);
        if (lint->progress.shown)
            gsprov_progress_done(&lint->progress);
        fprintf(stderr, "%s:%d: warning: %s\n", g->src, g->line, g->msg);
        lint->warnings++;
    }
}

/* One entry of the store: a stray file, or a record rendered the way the
 * module serves it (and, for v1 chains, encoded as a binary file), from
 * the bytes the walk has read: each record is read once. */
static int lint_record(void *baton, apr_pool_t *p, const char *mac,
                       const gsprov_blob_t *rec, apr_status_t rv,
                       const char *why)
{
    lint_t *lint = baton;
    gsprov_store_t *one;
    gsprov_name_t name;
    gsprov_output_t out;
    char *err = NULL;

    if (rv != GSPROV_EBADNAME)
        lint->devices++;
    gsprov_progress_update(&lint->progress, "gsprov lint: device records",
                           lint->devices);
    if (rv != APR_SUCCESS) {            /* says which file */
        lint_report(lint, why);
        return 0;
    }
    memset(&name, 0, sizeof(name));
    apr_cpystrn(name.mac, mac, sizeof(name.mac));
    name.kind = GSPROV_KIND_DEVICE_XML;
    name.nreadings = 1;
    name.reading[0].kind = GSPROV_KIND_DEVICE_XML;
    name.any_affix = 1;
    /* rendered from the bytes the walk read, not read again */
    one = gsprov_store_one(p, lint->t, mac, rec, rec->label);
    rv = gsprov_provision(p, one, lint->t, &name, lint->set, &out, &err);
    if (out.device) {
        apr_array_header_t *w = apr_array_make(p, 4,
                                               sizeof(gsprov_guard_warning_t));
        gsprov_guard_layer(p, out.device->config, w);
        lint_warn(lint, w);
    }
    if (rv == APR_SUCCESS) {
        name.kind = name.reading[0].kind = GSPROV_KIND_DEVICE_BIN;
        rv = gsprov_provision(p, one, lint->t, &name, lint->set, &out, &err);
        if (rv == GSPROV_ENOTFOUND)   /* v2: no binary, by design */
            rv = APR_SUCCESS;
    }
    if (rv != APR_SUCCESS)
        /* name the device even when the problem sits in a template */
        lint_report(lint, err && !strncmp(err, rec->label,
                                          strlen(rec->label))
                    ? err : apr_psprintf(p, "%s: %s", rec->label,
                                         err ? err : "failed"));
    return 0;
}

static int parse_lint(apr_pool_t *p, int argc, char **argv,
                      gsprov_cliopt_t *o, gsprov_cli_db_t *db, int *progress)
{
    enum { O_NO_PROGRESS = 1 };
    static const struct option own[] = {
        { "no-progress", no_argument, NULL, O_NO_PROGRESS },
        GSPROV_CLI_DB_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *e;
    int c, rc;

    gsprov_cliopt_init(o, p, "lint", lint_usage, GSPROV_CLIOPT_STORE);
    *progress = 1;
    while ((c = gsprov_cliopt_next(o, argc, argv, own)) != -1) {
        if (c == O_NO_PROGRESS)
            *progress = 0;
        else if (gsprov_cli_db_option(db, c, optarg))
            ;
        else if ((rc = gsprov_cliopt_shared(o, c)))
            return rc;
    }
    if (optind < argc)
        return gsprov_cliopt_usage_error(o, "unexpected '%s'", argv[optind]);
    if (!o->root && !o->config)
        return gsprov_cliopt_usage_error(o, "%s", "--root is required (or "
                                         "--config FILE --vhost NAME)");
    if ((e = gsprov_cli_db_check(db)))
        return gsprov_cliopt_usage_error(o, "%s", e);
    return gsprov_cliopt_finish(o);
}

static int cmd_lint(apr_pool_t *p, int argc, char **argv)
{
    gsprov_cliopt_t o;
    lint_t lint;
    gsprov_report_t report = { lint_report, &lint };
    gsprov_logger_t log = { log_stderr, NULL, GSPROV_LOG_WARN, NULL };
    gsprov_cli_db_t db = { NULL, NULL, NULL };
    gsprov_settings_t set;
    char *err = NULL;
    int rc, progress;

    memset(&lint, 0, sizeof(lint));
    if ((rc = parse_lint(p, argc, argv, &o, &db, &progress)))
        return rc;
    memset(&set, 0, sizeof(set));
    set.tenant_vars = o.vars;
    set.plain = 1;
    set.binary = GSPROV_BINARY_FULL;
    gsprov_progress_init(&lint.progress, stderr, progress);

    if (gsprov_store_file_lint(p, o.root, &report, &lint.store)
        != APR_SUCCESS)
        return EXIT_FAILURE;
    lint.t = gsprov_store_templates(lint.store, p, 0);
    if (gsprov_cli_records(p, &db, lint.store, &log, &lint.store, &err))
        return fail("cannot open the database", err);
    lint.set = &set;
    {
        apr_array_header_t *w = apr_array_make(p, 4,
                                               sizeof(gsprov_guard_warning_t));
        gsprov_guard_templates(p, lint.t, w);
        lint_warn(&lint, w);
    }
    if (gsprov_store_record_iterate(lint.store, p, lint_record, &lint, &err))
        lint_report(&lint, err);
    gsprov_progress_done(&lint.progress);
    fprintf(stderr, "gsprov lint: %ld device records, %d problem%s%s\n",
            lint.devices, lint.problems, lint.problems == 1 ? "" : "s",
            lint.warnings ? apr_psprintf(p, ", %d warning%s", lint.warnings,
                                         lint.warnings == 1 ? "" : "s")
                          : "");
    /* the server has the tenant's GsProvVar lines; lint only what it is
     * given: say so rather than blame every device */
    if (lint.undefined && !o.have_vars)
        fprintf(stderr, "gsprov lint: %d of them are undefined variables, "
                "and no tenant variables were given: pass the vhost's "
                "GsProvVar lines with --config FILE --vhost NAME, "
                "--vars-file FILE or --var NAME=VALUE\n", lint.undefined);
    return lint.problems ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- main ------------------------------------------------------------ */

static const command_t commands[] = {
    { "render",  cmd_render,  render_usage },
    { "encrypt", cmd_encrypt, crypt_usage },
    { "decrypt", cmd_decrypt, crypt_usage },
    { "encode",  cmd_encode,  encode_usage },
    { "decode",  cmd_decode,  decode_usage },
    { "lint",    cmd_lint,    lint_usage },
    { "db",      gsprov_cli_db,     gsprov_cli_db_usage },
    { "import",  gsprov_cli_import, gsprov_cli_import_usage },
    { "export",  gsprov_cli_export, gsprov_cli_export_usage },
};

static void usage_all(FILE *f)
{
    size_t i;
    fprintf(f, "usage: gsprov COMMAND [options]   (gsprov COMMAND --help)\n"
               "       gsprov --version\n"
               "exit codes: 0 success, 1 failure or lint problems, "
               "2 usage error\n\n");
    /* encrypt and decrypt share one block: each is printed once */
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (i == 0 || commands[i].usage != commands[i - 1].usage)
            fprintf(f, "%s\n\n", commands[i].usage);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    char **av;
    size_t i;
    int rc = EXIT_USAGE;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("gsprov %s\n", GSPROV_VERSION);
        return EXIT_SUCCESS;
    }
    apr_app_initialize(&argc, &argv, NULL);
    xmlInitParser();
    gsprov_crypto_preload();
    apr_pool_create(&p, NULL);
    /* getopt_long reorders the array (not the strings): a copy of it */
    av = apr_pcalloc(p, ((apr_size_t)argc + 1) * sizeof(*av));
    for (i = 0; i < (size_t)argc; i++)
        av[i] = (char *)argv[i];
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            if (want_help(argc - 1, argv + 1)) {
                printf("usage: %s\n", commands[i].usage);
                rc = EXIT_SUCCESS;
            }
            else
                rc = commands[i].run(p, argc - 1, av + 1);
            break;
        }
    }
    if (i == sizeof(commands) / sizeof(commands[0])) {
        fprintf(stderr, "gsprov: unknown command '%s'\n", argv[1]);
        usage_all(stderr);
    }
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}
