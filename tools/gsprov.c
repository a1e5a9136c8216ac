/*
 * gsprov: the command-line side of mod_gsprov, linked from the same lib/.
 *
 *   gsprov render --root DIR MAC [options]   the bytes the module would serve
 *   gsprov encrypt|decrypt --password PW [--md md5|sha256]   stdin -> stdout
 *   gsprov encode --mac MAC                  P-value text or XML -> binary
 *   gsprov decode                            binary -> P-value text
 *   gsprov lint --root DIR [--var N=V]...    check a whole store
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

#define EXIT_USAGE 2

typedef struct {
    const char *name;
    int (*run)(apr_pool_t *p, int argc, const char *const *argv);
    const char *usage;
} command_t;

/* lib/'s messages begin with their GSPROVnnnn id */
static void log_stderr(void *baton, const char *file, int line,
                       gsprov_log_level_e level, const char *msg)
{
    fprintf(stderr, "gsprov: %s\n", msg);
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "gsprov: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: %s\n", usage);
    return EXIT_USAGE;
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

/* --var NAME=VALUE into h; returns NULL or an error message. */
static const char *add_var(apr_pool_t *p, apr_hash_t *h, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *name;
    if (!eq)
        return "--var needs NAME=VALUE";
    name = apr_pstrmemdup(p, arg, (apr_size_t)(eq - arg));
    if (!gsprov_layer_ident_valid(name))
        return "--var: invalid variable name";
    apr_hash_set(h, name, APR_HASH_KEY_STRING, eq + 1);
    return NULL;
}

/* ---- render ---------------------------------------------------------- */

static const char render_usage[] =
    "gsprov render --root DIR MAC [--format xml|binary] [--user-agent UA]\n"
    "       [--var NAME=VALUE]... [--plain] [--md md5|sha256]\n"
    "       [--binary full|bootstrap] [--bootstrap-param PNNN]...\n"
    "  Prints exactly the bytes mod_gsprov serves for cfg<MAC>.xml (or the\n"
    "  binary cfg<MAC>), encrypted when the device has a password unless\n"
    "  --plain; for a redirected device (<redirect> record or redirect.map)\n"
    "  its redirect file. --var stands in for the tenant's GsProvVar lines.";

static int cmd_render(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *root = NULL, *mac = NULL, *ua_str = NULL, *e;
    gsprov_settings_t set;
    gsprov_name_t name;
    gsprov_ua_t ua;
    gsprov_output_t out;
    gsprov_store_t *store;
    gsprov_logger_t log = { log_stderr, NULL, GSPROV_LOG_DEBUG, NULL };
    const gsprov_templates_t *t;
    char *err = NULL;
    apr_status_t rv;
    int i, md;

    memset(&set, 0, sizeof(set));
    memset(&name, 0, sizeof(name));
    set.tenant_vars = apr_hash_make(p);
    set.key_digest = GSPROV_DEFAULT_KEY_DIGEST;
    set.binary = GSPROV_BINARY_BOOTSTRAP;
    set.bootstrap_extra = apr_array_make(p, 4, sizeof(const char *));
    name.kind = GSPROV_KIND_DEVICE_XML;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--plain")) {
            set.plain = 1;
            continue;
        }
        if (a[0] != '-') {
            if (mac)
                return usage_error(render_usage, "unexpected '%s'", a);
            mac = a;
            continue;
        }
        if (!v)
            return usage_error(render_usage, "%s needs a value", a);
        i++;
        if (!strcmp(a, "--root"))
            root = v;
        else if (!strcmp(a, "--user-agent"))
            ua_str = v;
        else if (!strcmp(a, "--var")) {
            if ((e = add_var(p, set.tenant_vars, v)))
                return usage_error(render_usage, "%s", e);
        }
        else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "xml"))
                name.kind = GSPROV_KIND_DEVICE_XML;
            else if (!strcmp(v, "binary"))
                name.kind = GSPROV_KIND_DEVICE_BIN;
            else
                return usage_error(render_usage, "unknown format '%s'", v);
        }
        else if (!strcmp(a, "--md")) {
            if ((md = gsprov_crypto_md_parse(v)) < 0)
                return usage_error(render_usage, "unknown digest '%s'", v);
            set.key_digest = (gsprov_md_e)md;
        }
        else if (!strcmp(a, "--binary")) {
            if (!strcmp(v, "full"))
                set.binary = GSPROV_BINARY_FULL;
            else if (!strcmp(v, "bootstrap"))
                set.binary = GSPROV_BINARY_BOOTSTRAP;
            else
                return usage_error(render_usage, "unknown --binary '%s'", v);
        }
        else if (!strcmp(a, "--bootstrap-param")) {
            if (!gsprov_layer_pname_valid(v))
                return usage_error(render_usage, "'%s' is not a P-value", v);
            APR_ARRAY_PUSH(set.bootstrap_extra, const char *) = v;
        }
        else
            return usage_error(render_usage, "unknown option '%s'", a);
    }
    if (!root || !mac)
        return usage_error(render_usage, "%s", "--root and MAC are required");
    if (!gsprov_mac_parse(mac, strlen(mac), name.mac))
        return usage_error(render_usage, "'%s' is not a MAC (12 hex digits)",
                           mac);
    name.nreadings = 1;
    name.reading[0].kind = name.kind;
    name.any_affix = 1;   /* render the device's file whatever its P234/5 */
    if (ua_str && gsprov_useragent_parse(ua_str, &ua))
        set.ua = &ua;

    if ((rv = gsprov_store_file_open(p, root, &log, &store, &err)))
        return fail("cannot open the store", err);
    t = gsprov_store_templates(store, p, apr_time_from_sec(86400));
    rv = gsprov_provision(p, store, t, &name, &set, &out, &err);
    if (rv == GSPROV_ENOTFOUND)
        return fail(apr_psprintf(p, "no file for %s", name.mac), err);
    if (rv != APR_SUCCESS)
        return fail("render failed", err);
    return write_stdout(p, out.body, out.len);
}

/* ---- encrypt / decrypt ----------------------------------------------- */

static const char crypt_usage[] =
    "gsprov encrypt|decrypt --password PW [--md md5|sha256]\n"
    "  Standard input to standard output, interoperable with\n"
    "  openssl enc -aes-256-cbc -md md5 -k PW (with -d to decrypt).";

static int run_crypt(apr_pool_t *p, int argc, const char *const *argv,
                     int enc)
{
    const char *pw = NULL;
    gsprov_md_e md = GSPROV_DEFAULT_KEY_DIGEST;
    unsigned char *out;
    apr_size_t len, olen;
    char *in;
    int i, m;

    for (i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage_error(crypt_usage, "%s needs a value", argv[i]);
        if (!strcmp(argv[i], "--password"))
            pw = argv[++i];
        else if (!strcmp(argv[i], "--md")) {
            if ((m = gsprov_crypto_md_parse(argv[++i])) < 0)
                return usage_error(crypt_usage, "unknown digest '%s'",
                                   argv[i]);
            md = (gsprov_md_e)m;
        }
        else
            return usage_error(crypt_usage, "unknown option '%s'", argv[i]);
    }
    if (!pw || !*pw)
        return usage_error(crypt_usage, "%s", "--password is required");
    if (read_stdin(p, &in, &len) != APR_SUCCESS)
        return fail("cannot read standard input", NULL);
    if ((enc ? gsprov_crypto_encrypt(p, pw, md, in, len, &out, &olen)
             : gsprov_crypto_decrypt(p, pw, md, in, len, &out, &olen)))
        return fail(enc ? "encryption failed"
                        : "decryption failed (wrong password or digest, or "
                          "not an openssl enc file)", NULL);
    return write_stdout(p, out, olen);
}

static int cmd_encrypt(apr_pool_t *p, int argc, const char *const *argv)
{
    return run_crypt(p, argc, argv, 1);
}

static int cmd_decrypt(apr_pool_t *p, int argc, const char *const *argv)
{
    return run_crypt(p, argc, argv, 0);
}

/* ---- encode / decode ------------------------------------------------- */

static const char encode_usage[] =
    "gsprov encode --mac MAC\n"
    "  Reads P-value text (one P<n>=<value> per line; '#' starts a comment\n"
    "  line) or a gs_provision XML file (config version 1) on standard\n"
    "  input, writes the binary cfg<MAC> file to standard output.";

static int cmd_encode(apr_pool_t *p, int argc, const char *const *argv)
{
    char mac[GSPROV_MAC_LEN + 1];
    const char *macarg = NULL;
    apr_array_header_t *pv = apr_array_make(p, 64, sizeof(gsprov_pvalue_t));
    unsigned char *bin;
    apr_size_t len, blen;
    char *in, *err = NULL, *s;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mac") && i + 1 < argc)
            macarg = argv[++i];
        else
            return usage_error(encode_usage, "unexpected '%s'", argv[i]);
    }
    if (!macarg || !gsprov_mac_parse(macarg, strlen(macarg), mac))
        return usage_error(encode_usage, "%s", "--mac MAC (12 hex digits) "
                           "is required");
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
    "  line per parameter (what gsprov encode reads back).";

static int cmd_decode(apr_pool_t *p, int argc, const char *const *argv)
{
    apr_array_header_t *pv;
    char mac[GSPROV_MAC_LEN + 1];
    char *in, *err = NULL;
    apr_size_t len;
    int i;

    if (argc > 1)
        return usage_error(decode_usage, "unexpected '%s'", argv[1]);
    if (read_stdin(p, &in, &len) != APR_SUCCESS)
        return fail("cannot read standard input", NULL);
    if (gsprov_binary_decode(p, (const unsigned char *)in, len, mac, &pv,
                             &err))
        return fail("not a valid binary config file", err);
    /* P-value text has one parameter per line: a value holding a line
     * break cannot be written back faithfully */
    for (i = 0; i < pv->nelts; i++) {
        const gsprov_pvalue_t *v = &APR_ARRAY_IDX(pv, i, gsprov_pvalue_t);
        if (strpbrk(v->value, "\r\n"))
            return fail(apr_psprintf(p, "%s holds a line break, which P-value "
                                     "text cannot carry", v->name), NULL);
    }
    printf("# mac=%s\n", mac);
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
    "gsprov lint --root DIR [--var NAME=VALUE]...\n"
    "  Loads every template, the redirect map and every device record and\n"
    "  renders every device;\n"
    "  prints each problem as 'file:line: message'. Exit 1 if any.";

typedef struct {
    int problems;
    long devices;
    gsprov_store_t *store;
    const gsprov_templates_t *t;
    const gsprov_settings_t *set;
} lint_t;

static void lint_report(void *baton, const char *msg)
{
    ((lint_t *)baton)->problems++;
    printf("%s\n", msg);
}

/* One entry of the store: a stray file, or a record rendered the way the
 * module serves it (and, for v1 chains, encoded as a binary file), from
 * the bytes the walk has read: each record is read once. */
static int lint_record(void *baton, apr_pool_t *p, const char *mac,
                       const gsprov_blob_t *rec, apr_status_t rv,
                       const char *why)
{
    lint_t *lint = baton;
    gsprov_store_one_t one;
    gsprov_store_t *store;
    gsprov_name_t name;
    gsprov_output_t out;
    char *err = NULL;

    if (rv != GSPROV_EBADNAME)
        lint->devices++;
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
    store = gsprov_store_one(&one, lint->store->label, rec, lint->t);
    rv = gsprov_provision(p, store, lint->t, &name, lint->set, &out, &err);
    if (rv == APR_SUCCESS) {
        name.kind = name.reading[0].kind = GSPROV_KIND_DEVICE_BIN;
        rv = gsprov_provision(p, store, lint->t, &name, lint->set, &out,
                              &err);
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

static int cmd_lint(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *root = NULL, *e;
    lint_t lint;
    gsprov_report_t report = { lint_report, &lint };
    gsprov_settings_t set;
    char *err = NULL;
    int i;

    memset(&lint, 0, sizeof(lint));
    memset(&set, 0, sizeof(set));
    set.tenant_vars = apr_hash_make(p);
    set.plain = 1;
    set.binary = GSPROV_BINARY_FULL;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--root") && i + 1 < argc)
            root = argv[++i];
        else if (!strcmp(argv[i], "--var") && i + 1 < argc) {
            if ((e = add_var(p, set.tenant_vars, argv[++i])))
                return usage_error(lint_usage, "%s", e);
        }
        else
            return usage_error(lint_usage, "unexpected '%s'", argv[i]);
    }
    if (!root)
        return usage_error(lint_usage, "%s", "--root is required");

    if (gsprov_store_file_lint(p, root, &report, &lint.store) != APR_SUCCESS)
        return EXIT_FAILURE;
    lint.t = gsprov_store_templates(lint.store, p, 0);
    lint.set = &set;
    if (gsprov_store_record_iterate(lint.store, p, lint_record, &lint, &err))
        lint_report(&lint, err);
    fprintf(stderr, "gsprov lint: %ld device records, %d problem%s\n",
            lint.devices, lint.problems, lint.problems == 1 ? "" : "s");
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
};

static void usage_all(FILE *f)
{
    size_t i;
    fprintf(f, "usage: gsprov COMMAND [options]   (gsprov COMMAND --help)\n"
               "exit codes: 0 success, 1 failure or lint problems, "
               "2 usage error\n\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "%s\n\n", commands[i].usage);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    size_t i;
    int rc = EXIT_USAGE;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
    }
    apr_app_initialize(&argc, &argv, NULL);
    xmlInitParser();
    gsprov_crypto_preload();
    apr_pool_create(&p, NULL);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            if (want_help(argc - 1, argv + 1)) {
                printf("usage: %s\n", commands[i].usage);
                rc = EXIT_SUCCESS;
            }
            else
                rc = commands[i].run(p, argc - 1, argv + 1);
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
