/*
 * gsprov's database subcommands and the migration path between stores:
 *
 *   gsprov db init --driver pgsql|sqlite3 --params "<apr_dbd params>"
 *   gsprov export (--root DIR | --driver D --params P --tenant T)
 *                 [--format raw|csv|jsonl] [-o FILE | FILE]
 *   gsprov import --root DIR [--driver D --params P --tenant T]
 *                 [--format raw|csv|jsonl] [--audit-log FILE] [--var N=V]...
 *                 [--dry-run] [FILE]
 *
 * --format csv|jsonl: the admin API's bulk formats (gsprov_bulkio.c).
 * The raw format (the default) is for moving a store:
 * export writes one JSON object per line, {"mac": ..., "record": ...},
 * the record's bytes unchanged (so its version, the ETag, survives a
 * migration); import reads them back, checks each record like `gsprov
 * lint` (against the templates of --root), and writes what differs in
 * transactions of the target store, audited per device.  A record whose
 * version is already stored is left alone: importing a file twice
 * changes nothing the second time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include "gsprov_cli.h"
#include "gsprov_record.h"
#include "gsprov_actor.h"
#include "gsprov_json.h"
#include "gsprov_layer.h"
#include "gsprov_defaults.h"

#define EXIT_USAGE 2

static int usage(const char *text, const char *fmt, const char *arg)
{
    fprintf(stderr, "gsprov: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: %s\n", text);
    return EXIT_USAGE;
}

static int failed(const char *cmd, const char *what, const char *err)
{
    fprintf(stderr, "gsprov %s: %s%s%s\n", cmd, what, err ? ": " : "",
            err ? err : "");
    return EXIT_FAILURE;
}

static void log_stderr(void *baton, const char *file, int line,
                       gsprov_log_level_e level, const char *msg)
{
    fprintf(stderr, "gsprov: %s\n", msg);
}

/* ---- where the records are ---------------------------------------------- */

int gsprov_cli_db_option(gsprov_cli_db_t *db, int opt, const char *arg)
{
    switch (opt) {
    case 'D': db->driver = arg; return 1;
    case 'P': db->params = arg; return 1;
    case 'T': db->tenant = arg; return 1;
    default:  return 0;
    }
}

const char *gsprov_cli_db_check(const gsprov_cli_db_t *db)
{
    if (!db->driver && !db->params && !db->tenant)
        return NULL;
    if (!db->driver || !db->params || !db->tenant)
        return "--driver, --params and --tenant go together";
    return NULL;
}

apr_status_t gsprov_cli_records(apr_pool_t *p, const gsprov_cli_db_t *db,
                                gsprov_store_t *tpl,
                                const gsprov_logger_t *log,
                                gsprov_store_t **out, char **err)
{
    gsprov_dbd_source_t *src;
    gsprov_dbd_opts_t o;
    apr_status_t rv;
    int version;

    if (!db->driver) {
        *out = tpl;
        return APR_SUCCESS;
    }
    if ((rv = gsprov_store_dbd_connect(p, db->driver, db->params, &src, err))
        || (rv = gsprov_store_dbd_schema(p, src, &version, err)))
        return rv;
    if ((*err = (char *)gsprov_store_dbd_schema_check(p, version)))
        return GSPROV_ECORRUPT;
    memset(&o, 0, sizeof(o));
    o.tenant = db->tenant;
    o.templates = tpl;
    o.source = src;
    if (log)
        o.log = *log;
    *out = gsprov_store_dbd_open(p, &o);
    return APR_SUCCESS;
}

/* ---- db init -------------------------------------------------------------- */

const char gsprov_cli_db_usage[] =
    "gsprov db init --driver pgsql|sqlite3 --params \"<apr_dbd params>\"\n"
    "  Creates the database store's tables (schema version "
    APR_STRINGIFY(GSPROV_DBD_SCHEMA_VERSION) "), or upgrades an\n"
    "  older schema; on a current one it does nothing.  --params as in\n"
    "  DBDParams, e.g. \"host=db1 dbname=gsprov user=gsprov\" or a file\n"
    "  name for sqlite3.";

int gsprov_cli_db(apr_pool_t *p, int argc, char **argv)
{
    static const struct option opts[] = {
        GSPROV_CLI_DB_OPTIONS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    gsprov_cli_db_t db = { NULL, NULL, "-" };
    gsprov_dbd_source_t *src;
    char *err = NULL;
    int c, from, to;

    if (argc < 2 || strcmp(argv[1], "init"))
        return usage(gsprov_cli_db_usage, "%s", "db: the subcommand is init");
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts,
                            NULL)) != -1) {
        if (c == 'h') {
            printf("usage: %s\n", gsprov_cli_db_usage);
            return EXIT_SUCCESS;
        }
        if (!gsprov_cli_db_option(&db, c, optarg) || c == 'T')
            return usage(gsprov_cli_db_usage, "%s", "unknown option");
    }
    if (optind < argc - 1)
        return usage(gsprov_cli_db_usage, "unexpected '%s'",
                     argv[optind + 1]);
    if (!db.driver || !db.params)
        return usage(gsprov_cli_db_usage, "%s",
                     "--driver and --params are required");
    if (gsprov_store_dbd_connect(p, db.driver, db.params, &src, &err))
        return failed("db init", "cannot open the database", err);
    if (gsprov_store_dbd_init(p, src, gsprov_sql_migrations,
                              gsprov_sql_nmigrations, &from, &to, &err))
        return failed("db init", "failed", err);
    if (from == to)
        printf("gsprov db init: schema version %d is current, nothing "
               "to do\n", to);
    else if (!from)
        printf("gsprov db init: schema version %d created\n", to);
    else
        printf("gsprov db init: schema upgraded from version %d to %d\n",
               from, to);
    return EXIT_SUCCESS;
}

/* ---- export ----------------------------------------------------------------- */

const char gsprov_cli_export_usage[] =
    "gsprov export (--root DIR | --driver D --params P --tenant T)\n"
    "              [--format raw|csv|jsonl] [--output FILE | FILE]\n"
    "  Writes every device record to FILE or standard output, for gsprov\n"
    "  import.  raw (the default): one JSON line {\"mac\", \"record\"} per\n"
    "  record, its bytes unchanged; jsonl: the admin API's record JSON, one\n"
    "  per line, in MAC order; csv: a header row (mac, model, groups,\n"
    "  password, vars.NAME, P-values, ...) and a row per record.  Secrets\n"
    "  are included.";

typedef struct {
    FILE *out;
    long records, problems;
} export_t;

static int export_one(void *baton, apr_pool_t *p, const char *mac,
                      const gsprov_blob_t *rec, apr_status_t rv,
                      const char *err)
{
    export_t *x = baton;
    json_t *line;
    char *s;

    if (rv != APR_SUCCESS) {
        fprintf(stderr, "gsprov export: %s\n", err ? err : "unreadable");
        x->problems++;
        return 0;
    }
    line = json_pack("{s:s, s:s%}", "mac", mac, "record", rec->data,
                     (size_t)rec->len);
    s = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    if (!s) {
        fprintf(stderr, "gsprov export: %s: not UTF-8 text, left out\n",
                rec->label);
        x->problems++;
        return 0;
    }
    fputs(s, x->out);
    fputc('\n', x->out);
    free(s);
    x->records++;
    return ferror(x->out) ? 1 : 0;
}

int gsprov_cli_export(apr_pool_t *p, int argc, char **argv)
{
    static const struct option opts[] = {
        GSPROV_CLI_DB_OPTIONS,
        { "root", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    gsprov_cli_db_t db = { NULL, NULL, NULL };
    gsprov_logger_t log = { log_stderr, NULL, GSPROV_LOG_WARN, NULL };
    const char *root = NULL, *output = NULL, *bad;
    gsprov_store_t *store = NULL;
    export_t x = { stdout, 0, 0 };
    gsprov_bulk_format_e fmt = GSPROV_BULK_JSONL;
    char *err = NULL;
    int c, raw = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL))
           != -1) {
        if (c == 'r')
            root = optarg;
        else if (c == 'o')
            output = optarg;
        else if (c == 'f') {
            if (!(raw = !strcmp(optarg, "raw"))
                && !gsprov_bulk_format_parse(optarg, &fmt))
                return usage(gsprov_cli_export_usage, "%s",
                             "--format is raw, csv or jsonl");
        }
        else if (c == 'h') {
            printf("usage: %s\n", gsprov_cli_export_usage);
            return EXIT_SUCCESS;
        }
        else if (!gsprov_cli_db_option(&db, c, optarg))
            return usage(gsprov_cli_export_usage, "%s", "unknown option");
    }
    if (optind < argc && !output && strcmp(argv[optind], "-"))
        output = argv[optind++];
    else if (optind < argc && !strcmp(argv[optind], "-"))
        optind++;
    if (optind < argc)
        return usage(gsprov_cli_export_usage, "unexpected '%s'", argv[optind]);
    if ((bad = gsprov_cli_db_check(&db)))
        return usage(gsprov_cli_export_usage, "%s", bad);
    if (!root == !db.driver)
        return usage(gsprov_cli_export_usage, "%s",
                     "either --root or --driver/--params/--tenant");
    if (root && gsprov_store_file_open(p, root, &log, &store, &err))
        return failed("export", "cannot open the store", err);
    if (gsprov_cli_records(p, &db, store, &log, &store, &err))
        return failed("export", "cannot open the database", err);
    if (output && !(x.out = fopen(output, "w")))
        return failed("export", output, "cannot be written");
    if (!raw)
        gsprov_cli_bulk_export(p, store, fmt, x.out, &x.records, &x.problems);
    else if (gsprov_store_record_iterate(store, p, export_one, &x, &err)) {
        fprintf(stderr, "gsprov export: %s\n", err ? err : "stopped");
        x.problems++;
    }
    if ((output && fclose(x.out)) || (!output && fflush(stdout)))
        return failed("export", "writing failed", NULL);
    fprintf(stderr, "gsprov export: %ld records, %ld problem%s\n",
            x.records, x.problems, x.problems == 1 ? "" : "s");
    return x.problems ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- import ------------------------------------------------------------- */

const char gsprov_cli_import_usage[] =
    "gsprov import --root DIR [--driver D --params P --tenant T]\n"
    "              [--format raw|csv|jsonl] [--audit-log FILE]\n"
    "              [--var NAME=VALUE]... [--dry-run] [FILE]\n"
    "  Reads the JSON lines of gsprov export (FILE or standard input),\n"
    "  checks each record like gsprov lint against the templates of\n"
    "  --root (with the tenant's --var lines), and writes the records whose\n"
    "  version differs into the database (--driver ...) or else into the\n"
    "  directory store of --root (which needs --audit-log, its\n"
    "  GsProvAuditLog).  Each change is audited (action device-put, method\n"
    "  IMPORT).  --dry-run: check and count, change nothing.  Every\n"
    "  problem is reported with its line number; exit 1 if there was one.\n"
    "  --format csv|jsonl (what gsprov export --format writes, the admin\n"
    "  API's bulk formats): the same checks, but all records are written\n"
    "  in one transaction or none (nothing if any line has a problem).\n"
    "  A progress line shows on a terminal for long runs.";

/* Records per transaction: the database commits in batches; the
 * directory store holds a lock file per record of a transaction. */
#define IMPORT_BATCH_DBD  500
#define IMPORT_BATCH_FILE 1

typedef struct {
    apr_pool_t *p;
    gsprov_store_t *store;
    const gsprov_templates_t *t;
    gsprov_settings_t set;
    gsprov_audit_t *audit;
    gsprov_actor_t who;
    int dry_run, batch;
    gsprov_txn_t *txn;
    apr_pool_t *txn_pool;
    int in_txn;
    long lines, created, replaced, unchanged, rejected;
    long pending_created, pending_replaced;
} import_t;

static void reject(import_t *im, long line, const char *mac, const char *why)
{
    fprintf(stderr, "gsprov import: line %ld%s%s: %s\n", line,
            mac ? ": " : "", mac ? mac : "", why);
    im->rejected++;
}

static apr_status_t flush(import_t *im, char **err)
{
    apr_status_t rv = APR_SUCCESS;

    if (!im->in_txn)
        return APR_SUCCESS;
    im->in_txn = 0;
    rv = gsprov_store_commit(im->txn, err);
    if (rv == APR_SUCCESS || rv == GSPROV_EAUDIT) {
        im->created += im->pending_created;
        im->replaced += im->pending_replaced;
    }
    im->pending_created = im->pending_replaced = 0;
    apr_pool_clear(im->txn_pool);
    return rv;
}

/* One record, checked: counted, written (in the batch), or rejected. */
static apr_status_t import_one(import_t *im, long line, const char *mac,
                               const char *data, apr_size_t len, char **err)
{
    apr_pool_t *p = im->txn_pool;
    const char *version = gsprov_store_version(p, data, len);
    json_t *before, *after;
    gsprov_blob_t cur;
    apr_status_t rv;

    memset(&cur, 0, sizeof(cur));
    if (im->dry_run) {
        rv = gsprov_store_record_get(im->store, p, mac, &cur, err);
        if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
            return rv;
        if (rv == GSPROV_ENOTFOUND)
            im->created++;
        else if (!strcmp(cur.version, version))
            im->unchanged++;
        else
            im->replaced++;
        apr_pool_clear(p);
        return APR_SUCCESS;
    }
    if (!im->in_txn) {
        if ((rv = gsprov_store_begin(im->store, p, im->audit, &im->txn, err)))
            return rv;
        im->in_txn = 1;
    }
    rv = gsprov_store_record_lock(im->txn, mac, &cur, err);
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
        return rv;
    if (rv == APR_SUCCESS && !strcmp(cur.version, version)) {
        im->unchanged++;
        return APR_SUCCESS;
    }
    if ((rv = gsprov_store_record_put(im->txn, mac, data, len, err)))
        return rv;
    before = cur.data ? gsprov_record_bytes_to_json(p, mac, cur.data, cur.len)
                      : NULL;
    after = gsprov_record_bytes_to_json(p, mac, data, len);
    if ((rv = gsprov_actor_audit(im->txn, &im->who, "device-put", mac, NULL,
                                 cur.data ? "replaced" : "created",
                                 gsprov_record_changes(p, before, after),
                                 err)))
        return rv;
    if (cur.data)
        im->pending_replaced++;
    else
        im->pending_created++;
    (void)line;
    return APR_SUCCESS;
}

/* A line: {"mac": "...", "record": "..."}, the record checked like lint. */
static apr_status_t import_line(import_t *im, apr_pool_t *lp, long line,
                                const char *text, apr_size_t n, char **err)
{
    char mac[GSPROV_MAC_LEN + 1];
    const json_t *m, *r;
    json_t *doc;
    char *why = NULL;
    apr_status_t rv;

    if (gsprov_json_parse(lp, text, n, &doc, &why) || !json_is_object(doc)
        || !json_is_string(m = json_object_get(doc, "mac"))
        || !json_is_string(r = json_object_get(doc, "record"))) {
        reject(im, line, NULL, why ? why : "not {\"mac\": ..., \"record\": "
               "...}");
        return APR_SUCCESS;
    }
    if (!gsprov_mac_parse(json_string_value(m), json_string_length(m), mac)) {
        reject(im, line, json_string_value(m), "not a MAC (12 hex digits)");
        return APR_SUCCESS;
    }
    if (json_string_length(r) > GSPROV_MAX_DEVICE_BYTES) {
        reject(im, line, mac, "record over the size limit");
        return APR_SUCCESS;
    }
    if ((rv = gsprov_record_check(lp, im->t, &im->set, mac,
                                  json_string_value(r), json_string_length(r),
                                  NULL, &why))) {
        reject(im, line, mac, why ? why : "invalid record");
        return APR_SUCCESS;
    }
    /* the bytes go into the batch's pool: the line's is cleared */
    rv = import_one(im, line, mac, apr_pstrmemdup(im->txn_pool,
                    json_string_value(r), json_string_length(r)),
                    json_string_length(r), err);
    if (rv == GSPROV_EINVAL) {      /* the store's own refusal */
        reject(im, line, mac, *err);
        return APR_SUCCESS;
    }
    return rv;
}

static int import_run(import_t *im, FILE *in)
{
    apr_pool_t *lp;
    char *buf = NULL, *err = NULL;
    size_t cap = 0;
    ssize_t n;
    apr_status_t rv = APR_SUCCESS;
    int batch = 0;

    apr_pool_create(&lp, im->p);
    apr_pool_create(&im->txn_pool, im->p);
    while ((n = getline(&buf, &cap, in)) > 0) {
        im->lines++;
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        if (!n)
            continue;
        apr_pool_clear(lp);
        if ((rv = import_line(im, lp, im->lines, buf, (apr_size_t)n, &err)))
            break;
        if (im->in_txn && ++batch >= im->batch) {
            batch = 0;
            if ((rv = flush(im, &err)) && rv != GSPROV_EAUDIT)
                break;
        }
    }
    free(buf);
    if (rv == APR_SUCCESS || rv == GSPROV_EAUDIT)
        rv = flush(im, &err);
    else if (im->in_txn) {
        gsprov_store_rollback(im->txn);
        im->in_txn = 0;
    }
    if (rv == GSPROV_EAUDIT)
        fprintf(stderr, "gsprov import: %s (written, not audited)\n", err);
    else if (rv)
        fprintf(stderr, "gsprov import: line %ld: %s (this line's batch of "
                "up to %d records was not written)\n", im->lines,
                err ? err : "store error", im->batch);
    fprintf(stderr, "gsprov import: %ld lines, %ld created, %ld replaced, "
            "%ld unchanged, %ld rejected%s\n", im->lines, im->created,
            im->replaced, im->unchanged, im->rejected,
            im->dry_run ? " (dry run: nothing written)" : "");
    return rv || im->rejected ? EXIT_FAILURE : EXIT_SUCCESS;
}

int gsprov_cli_import(apr_pool_t *p, int argc, char **argv)
{
    static const struct option opts[] = {
        GSPROV_CLI_DB_OPTIONS,
        { "root", required_argument, NULL, 'r' },
        { "audit-log", required_argument, NULL, 'a' },
        { "var", required_argument, NULL, 'v' },
        { "dry-run", no_argument, NULL, 'n' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    gsprov_cli_db_t db = { NULL, NULL, NULL };
    gsprov_logger_t log = { log_stderr, NULL, GSPROV_LOG_WARN, NULL };
    const char *root = NULL, *audit = NULL, *bad, *eq;
    gsprov_bulk_format_e fmt = GSPROV_BULK_JSONL;
    int raw = 1;
    gsprov_store_t *tpl;
    import_t im;
    FILE *in = stdin;
    char *err = NULL;
    int c, rc;

    memset(&im, 0, sizeof(im));
    im.p = p;
    im.set.tenant_vars = apr_hash_make(p);
    im.set.key_digest = GSPROV_DEFAULT_KEY_DIGEST;
    im.set.binary = GSPROV_BINARY_BOOTSTRAP;
    im.set.plain = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL))
           != -1) {
        switch (c) {
        case 'r': root = optarg; break;
        case 'a': audit = optarg; break;
        case 'n': im.dry_run = 1; break;
        case 'f':
            if (!(raw = !strcmp(optarg, "raw"))
                && !gsprov_bulk_format_parse(optarg, &fmt))
                return usage(gsprov_cli_import_usage, "%s",
                             "--format is raw, csv or jsonl");
            break;
        case 'v':
            if (!(eq = strchr(optarg, '='))
                || !gsprov_layer_ident_valid(apr_pstrmemdup(p, optarg,
                                             (apr_size_t)(eq - optarg))))
                return usage(gsprov_cli_import_usage, "%s",
                             "--var needs NAME=VALUE");
            apr_hash_set(im.set.tenant_vars, apr_pstrmemdup(p, optarg,
                         (apr_size_t)(eq - optarg)), APR_HASH_KEY_STRING,
                         eq + 1);
            break;
        case 'h':
            printf("usage: %s\n", gsprov_cli_import_usage);
            return EXIT_SUCCESS;
        default:
            if (!gsprov_cli_db_option(&db, c, optarg))
                return usage(gsprov_cli_import_usage, "%s", "unknown option");
        }
    }
    if (optind + 1 < argc)
        return usage(gsprov_cli_import_usage, "unexpected '%s'",
                     argv[optind + 1]);
    if ((bad = gsprov_cli_db_check(&db)))
        return usage(gsprov_cli_import_usage, "%s", bad);
    if (!root)
        return usage(gsprov_cli_import_usage, "%s",
                     "--root (the templates) is required");
    if (!db.driver && !audit && !im.dry_run)
        return usage(gsprov_cli_import_usage, "%s", "a directory store is "
                     "changed only with --audit-log FILE");
    if (gsprov_store_file_open(p, root, &log, &tpl, &err))
        return failed("import", "cannot open the store", err);
    im.t = gsprov_store_templates(tpl, p, apr_time_from_sec(86400));
    if (gsprov_cli_records(p, &db, tpl, &log, &im.store, &err))
        return failed("import", "cannot open the database", err);
    if (audit && gsprov_audit_open(p, audit, &im.audit, &err))
        return failed("import", "cannot open the audit log", err);
    im.batch = db.driver ? IMPORT_BATCH_DBD : IMPORT_BATCH_FILE;
    im.who.user = getenv("USER") ? getenv("USER") : NULL;
    im.who.client = "gsprov import";
    im.who.method = "IMPORT";
    if (optind < argc && strcmp(argv[optind], "-")
        && !(in = fopen(argv[optind], "r")))
        return failed("import", argv[optind], "cannot be read");
    if (raw)
        rc = import_run(&im, in);
    else {
        gsprov_cli_bulk_t b = { fmt, im.store, im.t, &im.set, im.audit,
                                &im.who, im.dry_run };
        rc = gsprov_cli_bulk_import(p, &b, in);
    }
    if (in != stdin)
        fclose(in);
    return rc;
}
