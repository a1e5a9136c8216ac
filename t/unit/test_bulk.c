/* lib/admin bulk import/export: the CSV and JSON-lines codec byte for
 * byte, line numbers of every problem, the import's all-or-nothing over
 * the directory store's deferred transaction, and the export's order. */
#include <stdlib.h>
#include <unistd.h>
#include <apr_file_info.h>
#include "unit.h"
#include "gsprov_json.h"
#include "gsprov_bulk.h"
#include "gsprov_import.h"
#include "gsprov_export.h"
#include "gsprov_store.h"
#include "gsprov_fsio.h"

static apr_array_header_t *read_str(gsprov_bulk_format_e f, const char *s)
{
    return gsprov_bulk_read(pool, f, s, strlen(s));
}

static const gsprov_bulk_item_t *item(const apr_array_header_t *a, int i)
{
    ck_assert_int_lt(i, a->nelts);
    return &APR_ARRAY_IDX(a, i, gsprov_bulk_item_t);
}

static const char *dump(const json_t *j)
{
    return gsprov_json_dump(pool, j);
}

START_TEST(csv_reads_rfc4180)
{
    /* a BOM, CRLF and LF, quotes, a quoted line break, "" vs. empty */
    apr_array_header_t *a = read_str(GSPROV_BULK_CSV,
        "\xEF\xBB\xBFmac,model,groups,password,usernames.1,secrets.2,"
        "secrets.1,vars.ext,P3,config.P4,redacted\r\n"
        "000B82123456,gxp2170, a  b ,\"p,w\",u1,s2,s1,\"\",\"x \"\"y\"\"\","
        "\"line1\nline2\",\r\n"
        "\n"
        "000b82123457,,,,,,,7,,,password vars.pw\n");
    const gsprov_bulk_item_t *it;

    ck_assert_int_eq(a->nelts, 2);
    it = item(a, 0);
    ck_assert_msg(!it->err, "%s", it->err);
    ck_assert_int_eq(it->line, 2);
    ck_assert_str_eq(it->mac, "000b82123456");
    ck_assert_str_eq(dump(it->rec),
        "{\"mac\":\"000B82123456\",\"model\":\"gxp2170\",\"groups\":"
        "[\"a\",\"b\"],\"password\":\"p,w\",\"vars\":{\"ext\":\"\"},"
        "\"config\":{\"P3\":\"x \\\"y\\\"\",\"P4\":\"line1\\nline2\"},"
        "\"usernames\":[\"u1\"],\"secrets\":[\"s1\",\"s2\"]}");
    it = item(a, 1);
    ck_assert_int_eq(it->line, 5);     /* the quoted break and the blank */
    ck_assert_str_eq(dump(it->rec),
        "{\"mac\":\"000b82123457\",\"vars\":{\"ext\":\"7\"},\"redacted\":"
        "[\"password\",\"vars.pw\"],\"config\":{}}");
}
END_TEST

START_TEST(csv_problems_by_line)
{
    apr_array_header_t *a = read_str(GSPROV_BULK_CSV,
        "mac,vars.x\n"
        "000b82000001,\"open\n"
        "still open\n"
        "000b82000002,x\n");

    ck_assert_int_eq(a->nelts, 1);      /* the quote never closes */
    ck_assert_int_eq(item(a, 0)->line, 2);
    ck_assert_str_eq(item(a, 0)->err, "a quoted cell is not closed");

    a = read_str(GSPROV_BULK_CSV,
        "mac,config_version,config.item/part,vars.x\n"
        "000b82000002,3,,\n"
        "zz,,,\n"
        "000b82000003,,,a\"b\n"
        "000b82000004,,\n"
        "000b82000005,,\"q\"x,\n"
        ",,,\n"
        "000b82000006,2,\xff,\n"
        "000b82000007,2,v,w\n");
    ck_assert_int_eq(a->nelts, 8);
    ck_assert_str_eq(item(a, 0)->field, "config_version");
    ck_assert_str_eq(item(a, 1)->field, "mac");
    ck_assert_ptr_nonnull(strstr(item(a, 2)->err, "quote inside an unquoted"));
    ck_assert_str_eq(item(a, 3)->err, "3 cells, the header has 4");
    ck_assert_ptr_nonnull(strstr(item(a, 4)->err, "text after a quoted cell"));
    ck_assert_str_eq(item(a, 5)->err, "no mac");
    ck_assert_ptr_nonnull(strstr(item(a, 6)->err, "not UTF-8"));
    ck_assert_int_eq(item(a, 7)->line, 9);
    ck_assert_ptr_null(item(a, 7)->err);
    ck_assert_str_eq(dump(item(a, 7)->rec),
        "{\"mac\":\"000b82000007\",\"config_version\":2,\"config\":{\"item\":"
        "{\"part\":\"v\"}},\"vars\":{\"x\":\"w\"}}");

    /* header problems stop the file at line 1 */
    a = read_str(GSPROV_BULK_CSV, "mac,bogus\n000b82000001,1\n");
    ck_assert_int_eq(a->nelts, 1);
    ck_assert_int_eq(item(a, 0)->line, 1);
    ck_assert_ptr_nonnull(strstr(item(a, 0)->err, "unknown column \"bogus\""));
    a = read_str(GSPROV_BULK_CSV, "mac,P3,config.P3,P3\n");
    ck_assert_str_eq(item(a, 0)->err, "column \"P3\" twice");
    a = read_str(GSPROV_BULK_CSV, "mac,secrets.9\n");
    ck_assert_ptr_nonnull(strstr(item(a, 0)->err, "the number must be 1"));
    a = read_str(GSPROV_BULK_CSV, "");
    ck_assert_ptr_nonnull(strstr(item(a, 0)->err, "no header row"));
}
END_TEST

START_TEST(jsonl_reads_lines)
{
    apr_array_header_t *a = read_str(GSPROV_BULK_JSONL,
        "{\"mac\":\"000B82000001\",\"model\":\"m\"}\r\n"
        "   \n"
        "{\"mac\":\"nope\"}\n"
        "[1]\n"
        "{\"mac\":\"000b82000002\",\"mac\":\"000b82000003\"}\n"
        "{\"mac\":\"000b82000004\"}");

    ck_assert_int_eq(a->nelts, 5);
    ck_assert_str_eq(item(a, 0)->mac, "000b82000001");
    ck_assert_int_eq(item(a, 1)->line, 3);
    ck_assert_str_eq(item(a, 1)->field, "mac");
    ck_assert_str_eq(item(a, 1)->mac, "");
    ck_assert_str_eq(item(a, 2)->err, "not a JSON object");
    ck_assert_int_eq(item(a, 3)->line, 5);
    ck_assert_ptr_nonnull(item(a, 3)->err);   /* duplicate key */
    ck_assert_int_eq(item(a, 4)->line, 6);
    ck_assert_ptr_null(item(a, 4)->err);
}
END_TEST

START_TEST(csv_writes_and_reads_back)
{
    json_t *r1 = gsprov_json_pool(pool, json_loads(
        "{\"mac\":\"000b82000001\",\"model\":\"gxp2170\",\"groups\":[\"a\",\"b\"],"
        "\"password\":\"p,\\\"w\",\"usernames\":[\"u\"],\"secrets\":[\"s\",\"t\"],"
        "\"vars\":{\"z\":\"\",\"a\":\"x\\ny\"},\"config_version\":1,"
        "\"config\":{\"P3\":\"c\",\"P2\":\"d\"}}", 0, NULL));
    json_t *r2 = gsprov_json_pool(pool, json_loads(
        "{\"mac\":\"000b82000002\",\"groups\":[],\"vars\":{},"
        "\"config_version\":2,\"config\":{\"P3\":\"v2\",\"item\":{\"p\":\"q\"}},"
        "\"redacted\":[\"password\"]}", 0, NULL));
    gsprov_bulk_csv_t *c = gsprov_bulk_csv_make(pool);
    const char *h, *row1, *row2, *all;
    apr_array_header_t *a;
    char *err = NULL;

    gsprov_bulk_csv_add(c, r1);
    gsprov_bulk_csv_add(c, r2);
    h = gsprov_bulk_csv_header(pool, c);
    ck_assert_str_eq(h, "mac,model,groups,password,usernames.1,secrets.1,"
                     "secrets.2,config_version,redacted,vars.a,vars.z,P3,P2,"
                     "config.P3,config.item/p\r\n");
    ck_assert_status(gsprov_bulk_csv_row(pool, c, r1, &row1, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(row1, "000b82000001,gxp2170,a b,\"p,\"\"w\",u,s,t,,,"
                     "\"x\ny\",\"\",c,d,,\r\n");
    ck_assert_status(gsprov_bulk_csv_row(pool, c, r2, &row2, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(row2, "000b82000002,,,,,,,2,password,,,,,v2,q\r\n");

    /* and back: the same records, as far as CSV has them */
    all = apr_pstrcat(pool, h, row1, row2, NULL);
    a = read_str(GSPROV_BULK_CSV, all);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(dump(item(a, 0)->rec),
        "{\"mac\":\"000b82000001\",\"model\":\"gxp2170\",\"groups\":[\"a\","
        "\"b\"],\"password\":\"p,\\\"w\",\"vars\":{\"a\":\"x\\ny\",\"z\":\"\"},"
        "\"config\":{\"P3\":\"c\",\"P2\":\"d\"},\"usernames\":[\"u\"],"
        "\"secrets\":[\"s\",\"t\"]}");
    ck_assert_str_eq(dump(item(a, 1)->rec),
        "{\"mac\":\"000b82000002\",\"config_version\":2,\"redacted\":"
        "[\"password\"],\"config\":{\"P3\":\"v2\",\"item\":{\"p\":\"q\"}}}");

    /* a record with a field that has no column (changed between passes) */
    json_object_set_new(r2, "model", json_string("m"));
    json_object_set_new(json_object_get(r2, "vars"), "new", json_string("1"));
    ck_assert_status(gsprov_bulk_csv_row(pool, c, r2, &row2, &err),
                     GSPROV_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "vars.new has no column"));

    /* an empty store still has a header */
    ck_assert_str_eq(gsprov_bulk_csv_header(pool, gsprov_bulk_csv_make(pool)),
                     "mac,model,groups\r\n");
    ck_assert_str_eq(gsprov_bulk_jsonl_line(pool, r1) + strlen(
                     gsprov_bulk_jsonl_line(pool, r1)) - 2, "}\n");
}
END_TEST

/* ---- the import over a directory store ---- */

static const char *bulk_store(void)
{
    const char *d = unit_tmpdir();
    unit_write(d, "defaults.xml", "<gs_provision><config version=\"1\">"
               "<P35>${ext}</P35></config></gs_provision>", -1);
    unit_write(d, "models/gxp2170.xml", "<gs_provision><config version=\"1\">"
               "<P8>1</P8></config></gs_provision>", -1);
    unit_write(d, "devices/000b82000002.xml", "<device><model>gxp2170</model>"
               "<var name=\"ext\">old</var></device>", -1);
    return d;
}

typedef struct {
    gsprov_store_t *s;
    const gsprov_templates_t *t;
    gsprov_settings_t set;
    gsprov_audit_t *log;
    const char *audit;
} bulk_env_t;

static void env_open(bulk_env_t *e, const char *d)
{
    char *err = NULL;
    memset(e, 0, sizeof(*e));
    ck_assert_status(gsprov_store_file_open(pool, d, NULL, &e->s, &err),
                     APR_SUCCESS);
    e->t = gsprov_store_templates(e->s, pool, 0);
    e->set.tenant_vars = apr_hash_make(pool);
    e->set.binary = GSPROV_BINARY_BOOTSTRAP;
    e->audit = apr_pstrcat(pool, d, "/audit.log", NULL);
    ck_assert_status(gsprov_audit_open(pool, e->audit, &e->log, &err),
                     APR_SUCCESS);
}

static const gsprov_actor_t WHO = { "admin", "192.0.2.7", "POST" };

/* Run an import of text: the number of problems; *rv the apply status. */
static int import_text(bulk_env_t *e, const char *text, int dry,
                       gsprov_import_t **out, apr_status_t *rv)
{
    gsprov_import_t *im = gsprov_import_make(pool, e->t, &e->set, &WHO);
    gsprov_txn_t *txn;
    char *err = NULL;
    int n = gsprov_import_check(im, read_str(GSPROV_BULK_JSONL, text));

    *rv = APR_SUCCESS;
    *out = im;
    if (n)
        return n;
    if (dry) {
        *rv = gsprov_import_count(im, e->s, &err);
        return 0;
    }
    ck_assert_status(gsprov_store_begin(e->s, pool, e->log, &txn, &err),
                     APR_SUCCESS);
    if ((*rv = gsprov_import_apply(im, txn, &err)))
        gsprov_store_rollback(txn);
    else
        *rv = gsprov_store_commit(txn, &err);
    return im->problems->nelts;
}

static const char *rec(const char *d, const char *mac)
{
    apr_finfo_t fi;
    const char *p = apr_pstrcat(pool, d, "/devices/", mac, ".xml", NULL);
    if (apr_stat(&fi, p, APR_FINFO_SIZE, pool) != APR_SUCCESS)
        return NULL;
    return unit_read(p, NULL);
}

static long lines_of(const char *path)
{
    apr_finfo_t fi;
    long n = 0;
    const char *s;
    if (apr_stat(&fi, path, APR_FINFO_SIZE, pool) != APR_SUCCESS)
        return 0;
    for (s = unit_read(path, NULL); *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(import_all_or_nothing)
{
    const char *d = bulk_store(), *old = rec(d, "000b82000002");
    const char *good =
        "{\"mac\":\"000b82000003\",\"model\":\"gxp2170\",\"vars\":{\"ext\":\"3\"}}\n"
        "{\"mac\":\"000b82000001\",\"model\":\"gxp2170\",\"vars\":{\"ext\":\"1\"}}\n"
        "{\"mac\":\"000b82000002\",\"model\":\"gxp2170\",\"vars\":{\"ext\":\"2\"}}\n";
    const gsprov_import_problem_t *pr;
    gsprov_import_t *im;
    bulk_env_t e;
    apr_status_t rv;

    env_open(&e, d);
    /* problems: nothing written, each by line */
    ck_assert_int_eq(import_text(&e, apr_pstrcat(pool, good,
        "{\"mac\":\"000b82000004\",\"model\":\"nosuch\",\"vars\":{\"ext\":\"4\"}}\n"
        "{\"mac\":\"000b82000001\"}\n"
        "{\"mac\":\"000b82000005\",\"vars\":{\"ext\":\"5\"},\"x\":1}\n"
        "{\"mac\":\"000b82000006\"}\n", NULL), 0, &im, &rv), 4);
    pr = &APR_ARRAY_IDX(im->problems, 0, gsprov_import_problem_t);
    ck_assert_int_eq(pr->line, 4);
    ck_assert_str_eq(pr->mac, "000b82000004");
    ck_assert_ptr_nonnull(strstr(pr->error, "nosuch"));
    pr = &APR_ARRAY_IDX(im->problems, 1, gsprov_import_problem_t);
    ck_assert_int_eq(pr->line, 5);
    ck_assert_str_eq(pr->error, "mac 000b82000001 is also on line 2");
    pr = &APR_ARRAY_IDX(im->problems, 2, gsprov_import_problem_t);
    ck_assert_str_eq(pr->field, "x");
    pr = &APR_ARRAY_IDX(im->problems, 3, gsprov_import_problem_t);
    ck_assert_int_eq(pr->line, 7);
    ck_assert_ptr_nonnull(strstr(pr->error, "undefined variable ${ext}"));
    ck_assert_ptr_null(rec(d, "000b82000001"));
    ck_assert_str_eq(rec(d, "000b82000002"), old);
    ck_assert_int_eq(lines_of(e.audit), 0);

    /* a dry run counts */
    ck_assert_int_eq(import_text(&e, good, 1, &im, &rv), 0);
    ck_assert_status(rv, APR_SUCCESS);
    ck_assert_int_eq(im->created, 2);
    ck_assert_int_eq(im->replaced, 1);
    ck_assert_ptr_null(rec(d, "000b82000001"));

    /* the import: all, audited per device in MAC order */
    ck_assert_int_eq(import_text(&e, good, 0, &im, &rv), 0);
    ck_assert_status(rv, APR_SUCCESS);
    ck_assert_int_eq(im->created, 2);
    ck_assert_int_eq(im->replaced, 1);
    ck_assert_ptr_nonnull(strstr(rec(d, "000b82000002"),
                                 "<var name=\"ext\">2</var>"));
    ck_assert_int_eq(lines_of(e.audit), 3);
    ck_assert_ptr_nonnull(strstr(unit_read(e.audit, NULL),
        "\"mac\":\"000b82000001\",\"result\":\"created\""));

    /* again: unchanged, nothing audited */
    ck_assert_int_eq(import_text(&e, good, 0, &im, &rv), 0);
    ck_assert_int_eq(im->unchanged, 3);
    ck_assert_int_eq(lines_of(e.audit), 3);
}
END_TEST

START_TEST(deferred_txn_stages_until_commit)
{
    const char *d = bulk_store(), *old = rec(d, "000b82000002");
    apr_array_header_t *names;
    gsprov_txn_t *txn, *other;
    gsprov_blob_t cur;
    apr_dir_t *dir;
    apr_finfo_t fi;
    bulk_env_t e;
    char *err = NULL;
    const char *nw = "<device><model>gxp2170</model></device>";

    env_open(&e, d);
    ck_assert_status(gsprov_store_begin(e.s, pool, e.log, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_defer(txn, &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000002", &cur,
                                              &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000002", nw,
                                             strlen(nw), &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000009", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000009", nw,
                                             strlen(nw), &err), APR_SUCCESS);
    /* staged: the store still serves the old record, none for the new */
    ck_assert_str_eq(rec(d, "000b82000002"), old);
    ck_assert_ptr_null(rec(d, "000b82000009"));
    /* a second defer is harmless (one after a plain lock is refused,
     * below) */
    ck_assert_status(gsprov_store_defer(txn, &err), APR_SUCCESS);
    /* rollback removes the staged files */
    gsprov_store_rollback(txn);
    names = apr_array_make(pool, 4, sizeof(const char *));
    ck_assert_int_eq(apr_dir_open(&dir, apr_pstrcat(pool, d, "/devices",
                                                    NULL), pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS)
        if (strcmp(fi.name, ".") && strcmp(fi.name, ".."))
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(pool, fi.name);
    apr_dir_close(dir);
    ck_assert_int_eq(names->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(names, 0, const char *),
                     "000b82000002.xml");

    /* committed: both in place; a later transaction can lock again */
    ck_assert_status(gsprov_store_begin(e.s, pool, e.log, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_defer(txn, &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000009", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000009", nw,
                                             strlen(nw), &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);
    ck_assert_str_eq(rec(d, "000b82000009"), nw);
    ck_assert_status(gsprov_store_begin(e.s, pool, e.log, &other, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(other, "000b82000009", &cur,
                                              &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_defer(other, &err), APR_EINVAL);
    gsprov_store_rollback(other);
}
END_TEST

static apr_status_t collect(void *baton, const char *s, apr_size_t n)
{
    *(const char **)baton = apr_pstrcat(pool, *(const char **)baton,
                                        apr_pstrmemdup(pool, s, n), NULL);
    return APR_SUCCESS;
}

START_TEST(export_in_mac_order_without_secrets)
{
    const char *d = bulk_store(), *out = "";
    gsprov_export_t x;
    bulk_env_t e;
    char *err = NULL;

    unit_write(d, "devices/000b82000001.xml", "<device><model>gxp2170</model>"
               "<password>pw1</password><var name=\"ext\">1</var></device>",
               -1);
    unit_write(d, "devices/000b82000003.xml", "<device><redirect><config>"
               "h/p</config></redirect></device>", -1);
    env_open(&e, d);
    memset(&x, 0, sizeof(x));
    x.format = GSPROV_BULK_JSONL;
    x.write = collect;
    x.baton = &out;
    ck_assert_status(gsprov_export_run(pool, e.s, &x, &err), APR_SUCCESS);
    ck_assert_str_eq(out,
        "{\"mac\":\"000b82000001\",\"model\":\"gxp2170\",\"groups\":[],\"vars\":"
        "{\"ext\":\"1\"},\"config_version\":1,\"config\":{},\"redacted\":"
        "[\"password\"]}\n"
        "{\"mac\":\"000b82000002\",\"model\":\"gxp2170\",\"groups\":[],\"vars\":"
        "{\"ext\":\"old\"},\"config_version\":1,\"config\":{}}\n");
    ck_assert_int_eq(x.records, 2);
    ck_assert_int_eq(x.skipped, 1);     /* the redirect record */
    out = "";
    x.format = GSPROV_BULK_CSV;
    x.secrets = 1;
    ck_assert_status(gsprov_export_run(pool, e.s, &x, &err), APR_SUCCESS);
    ck_assert_str_eq(out, "mac,model,groups,password,vars.ext\r\n"
                     "000b82000001,gxp2170,,pw1,1\r\n"
                     "000b82000002,gxp2170,,,old\r\n");
}
END_TEST

Suite *bulk_suite(void)
{
    Suite *s = suite_create("bulk");
    TCase *tc = unit_tcase("bulk");
    tcase_add_test(tc, csv_reads_rfc4180);
    tcase_add_test(tc, csv_problems_by_line);
    tcase_add_test(tc, jsonl_reads_lines);
    tcase_add_test(tc, csv_writes_and_reads_back);
    tcase_add_test(tc, import_all_or_nothing);
    tcase_add_test(tc, deferred_txn_stages_until_commit);
    tcase_add_test(tc, export_in_mac_order_without_secrets);
    suite_add_tcase(s, tc);
    return s;
}
