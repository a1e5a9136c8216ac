/* The listings' query strings (lib/admin/gsprov_list.c) and their filters
 * in both stores: the directory store's walk, and the database store's
 * one statement per page over SQLite (the same SQL as PostgreSQL), with
 * status rows as the flusher writes them and the variables of records
 * written before schema version 2 filled in by `gsprov db init`. */
#include "unit.h"
#include <apr_dbd.h>
#include "gsprov_list.h"
#include "gsprov_store_dbd.h"

/* args from "k=v&k=v" (no decoding: the tests use none) */
static apr_table_t *args_of(const char *qs)
{
    apr_table_t *t = apr_table_make(pool, 4);
    char *copy = apr_pstrdup(pool, qs), *last, *kv;

    for (kv = apr_strtok(copy, "&", &last); kv;
         kv = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq++ = '\0';
        apr_table_addn(t, kv, eq ? eq : "");
    }
    return t;
}

/* parse qs; the status, and on a refusal the parameter named */
static apr_status_t parse(const char *qs, int secrets, gsprov_list_query_t *q,
                          unsigned *fields, const char **param)
{
    char *err = NULL;
    apr_status_t rv;

    *param = NULL;
    rv = gsprov_list_devices_args(pool, args_of(qs), secrets, q, fields,
                                  param, &err);
    if (rv)
        ck_assert_msg(err && *param && strstr(err, *param), "message '%s' "
                      "does not name '%s'", err, *param);
    return rv;
}

START_TEST(devices_args_defaults_and_filters)
{
    gsprov_list_query_t q;
    const gsprov_list_var_t *v;
    const char *param;
    unsigned f;

    ck_assert_status(parse("", 0, &q, &f, &param), APR_SUCCESS);
    ck_assert_int_eq(q.limit, GSPROV_ADMIN_LIST_DEFAULT);
    ck_assert_ptr_null(q.after);
    ck_assert_ptr_null(q.model);
    ck_assert_int_eq(q.vars->nelts, 0);
    ck_assert_int_eq(q.in_sync, 0);
    ck_assert_int_eq(q.never_seen, 0);
    ck_assert_int_eq(q.want_status, 0);
    ck_assert_uint_eq(f, GSPROV_LIST_MODEL | GSPROV_LIST_GROUPS);
    ck_assert_int_eq(gsprov_store_list_filtered(&q), 0);
    ck_assert_int_eq(gsprov_store_list_status(&q), 0);

    ck_assert_status(parse("limit=7&after=000B82AA0001&model=gxp2170&"
                           "group=sales&var.ext=2001&var.city=Zurich&"
                           "fields=mac,vars,in_sync", 0, &q, &f, &param),
                     APR_SUCCESS);
    ck_assert_int_eq(q.limit, 7);
    ck_assert_str_eq(q.after, "000b82aa0001");
    ck_assert_str_eq(q.model, "gxp2170");
    ck_assert_str_eq(q.group, "sales");
    ck_assert_int_eq(q.vars->nelts, 2);
    v = &APR_ARRAY_IDX(q.vars, 0, gsprov_list_var_t);
    ck_assert_str_eq(v->name, "ext");
    ck_assert_str_eq(v->value, "2001");
    v = &APR_ARRAY_IDX(q.vars, 1, gsprov_list_var_t);
    ck_assert_str_eq(v->name, "city");
    ck_assert_uint_eq(f, GSPROV_LIST_VARS | GSPROV_LIST_IN_SYNC);
    ck_assert_int_eq(q.want_status, 1);
    ck_assert_int_eq(gsprov_store_list_filtered(&q), 1);

    ck_assert_status(parse("seen_after=1700000000&seen_before=2026-12-03T14:"
                           "00:00Z&firmware=1.0.11.6&in_sync=false", 0, &q,
                           &f, &param), APR_SUCCESS);
    ck_assert_int_eq(q.seen_after, 1700000000);
    ck_assert_int_eq(q.seen_before, 1796306400);
    ck_assert_str_eq(q.firmware, "1.0.11.6");
    ck_assert_int_eq(q.in_sync, -1);
    ck_assert_int_eq(q.want_status, 0);
    ck_assert_int_eq(gsprov_store_list_status(&q), 1);
    ck_assert_status(parse("in_sync=1", 0, &q, &f, &param), APR_SUCCESS);
    ck_assert_int_eq(q.in_sync, 1);
    ck_assert_status(parse("never_seen", 0, &q, &f, &param), APR_SUCCESS);
    ck_assert_int_eq(q.never_seen, 1);
    ck_assert_status(parse("never_seen=false", 0, &q, &f, &param),
                     APR_SUCCESS);
    ck_assert_int_eq(q.never_seen, -1);
    /* a secret variable with GsProvAdminSecrets on */
    ck_assert_status(parse("var.sip_password=x", 1, &q, &f, &param),
                     APR_SUCCESS);
    ck_assert_status(parse("fields=", 0, &q, &f, &param), APR_SUCCESS);
    ck_assert_uint_eq(f, 0);
    ck_assert_status(parse("secrets=1", 0, &q, &f, &param), APR_SUCCESS);
}
END_TEST

START_TEST(devices_args_refused)
{
    static const struct { const char *qs, *param; } bad[] = {
        { "modle=gxp2170", "modle" },
        { "Model=gxp2170", "Model" },
        { "model=a&model=b", "model" },
        { "var.ext=1&var.ext=2", "var.ext" },
        { "limit=0", "limit" }, { "limit=1001", "limit" },
        { "limit=", "limit" }, { "limit=5x", "limit" },
        { "after=xyz", "after" },
        { "group=a/b", "group" }, { "model=../x", "model" },
        { "var.=1", "var." }, { "var.a b=1", "var.a b" },
        { "var.sip_password=x", "var.sip_password" },
        { "seen_after=yesterday", "seen_after" },
        { "seen_before=2026-13-01T00:00:00Z", "seen_before" },
        { "seen_before=2026-12-01T00:00:00", "seen_before" },
        { "seen_after=-5", "seen_after" }, { "seen_after=", "seen_after" },
        { "in_sync=maybe", "in_sync" }, { "in_sync=", "in_sync" },
        { "never_seen=2", "never_seen" },
        { "never_seen&in_sync=false", "never_seen" },
        { "never_seen=1&firmware=1.0", "never_seen" },
        { "firmware=", "firmware" },
        { "fields=mac,password", "fields" },
        { "", NULL },
    };
    gsprov_list_query_t q;
    const char *param;
    unsigned f;
    int i;

    for (i = 0; bad[i].param; i++) {
        ck_assert_msg(parse(bad[i].qs, 0, &q, &f, &param) == GSPROV_EINVAL,
                      "%s: accepted", bad[i].qs);
        ck_assert_msg(!strcmp(param, bad[i].param), "%s: names '%s', not "
                      "'%s'", bad[i].qs, param, bad[i].param);
    }
}
END_TEST

START_TEST(activations_args)
{
    const char *after, *param;
    char *err = NULL;
    int limit;

    ck_assert_status(gsprov_list_activations_args(pool, args_of(""), &after,
                     &limit, &param, &err), APR_SUCCESS);
    ck_assert_ptr_null(after);
    ck_assert_int_eq(limit, GSPROV_ADMIN_LIST_DEFAULT);
    ck_assert_status(gsprov_list_activations_args(pool, args_of(
                     "after=5551001&limit=2"), &after, &limit, &param, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(after, "5551001");
    ck_assert_int_eq(limit, 2);
    ck_assert_status(gsprov_list_activations_args(pool, args_of(
                     "after=55a"), &after, &limit, &param, &err),
                     GSPROV_EINVAL);
    ck_assert_str_eq(param, "after");
    ck_assert_status(gsprov_list_activations_args(pool, args_of(
                     "model=x"), &after, &limit, &param, &err),
                     GSPROV_EINVAL);
    ck_assert_str_eq(param, "model");
    ck_assert_ptr_nonnull(strstr(err, "unknown parameter"));
}
END_TEST

START_TEST(status_match)
{
    gsprov_list_query_t q;
    gsprov_devstatus_t st;

    memset(&st, 0, sizeof(st));
    st.last.at = 1000;
    st.last.ua_firmware = "1.0.1";
    st.served_version = "v1";
    gsprov_store_list_init(&q, 10);
    ck_assert(gsprov_store_list_status_match(&q, NULL, "v1"));
    ck_assert(gsprov_store_list_status_match(&q, &st, "v1"));
    q.in_sync = 1;
    ck_assert(gsprov_store_list_status_match(&q, &st, "v1"));
    ck_assert(!gsprov_store_list_status_match(&q, &st, "v2"));
    ck_assert(!gsprov_store_list_status_match(&q, NULL, "v1"));
    q.in_sync = -1;     /* never seen is neither in nor out of sync */
    ck_assert(!gsprov_store_list_status_match(&q, &st, "v1"));
    ck_assert(gsprov_store_list_status_match(&q, &st, "v2"));
    ck_assert(!gsprov_store_list_status_match(&q, NULL, "v2"));
    gsprov_store_list_init(&q, 10);
    q.seen_after = 1000;
    ck_assert(gsprov_store_list_status_match(&q, &st, "v1"));
    q.seen_after = 1001;
    ck_assert(!gsprov_store_list_status_match(&q, &st, "v1"));
    gsprov_store_list_init(&q, 10);
    q.seen_before = 1000;
    ck_assert(!gsprov_store_list_status_match(&q, &st, "v1"));
    q.seen_before = 1001;
    ck_assert(gsprov_store_list_status_match(&q, &st, "v1"));
    ck_assert(!gsprov_store_list_status_match(&q, NULL, "v1"));
    gsprov_store_list_init(&q, 10);
    q.firmware = "1.0.1";
    ck_assert(gsprov_store_list_status_match(&q, &st, "v1"));
    q.firmware = "1.0.10";
    ck_assert(!gsprov_store_list_status_match(&q, &st, "v1"));
    gsprov_store_list_init(&q, 10);
    q.never_seen = 1;
    ck_assert(gsprov_store_list_status_match(&q, NULL, "v1"));
    ck_assert(!gsprov_store_list_status_match(&q, &st, "v1"));
    q.never_seen = -1;
    ck_assert(!gsprov_store_list_status_match(&q, NULL, "v1"));
    ck_assert(gsprov_store_list_status_match(&q, &st, "v1"));
}
END_TEST

/* ---- the stores ---- */

static const char *rec(int i)
{
    /* models alternate, groups by three, ext unique, floor by five */
    return apr_psprintf(pool, "<device><model>%s</model>%s"
                        "<var name=\"ext\">%d</var>"
                        "<var name=\"floor\">%d</var></device>",
                        i % 2 ? "gxp2170" : "ht802",
                        i % 3 ? "" : "<group>sales</group>", 1000 + i, i % 5);
}

static const char *mac_of(int i)
{
    return apr_psprintf(pool, "000b8200%04x", i);
}

static void templates(const char *dir)
{
    unit_write(dir, "defaults.xml", "<gs_provision><config><P1>d</P1>"
               "</config></gs_provision>", -1);
    unit_write(dir, "models/gxp2170.xml", "<gs_provision><config><P2>m</P2></config></gs_provision>", -1);
    unit_write(dir, "models/ht802.xml", "<gs_provision><config><P2>h</P2></config></gs_provision>", -1);
    unit_write(dir, "groups/sales.xml", "<gs_provision><config><P5>s</P5></config></gs_provision>", -1);
}

/* every page of q (limit 4) joined: "mac mac ..." */
static const char *all_pages(gsprov_store_t *s, gsprov_list_query_t *q)
{
    const char *out = "", *last = NULL;
    apr_array_header_t *items;
    char *err = NULL;
    int more, i, pages = 0;

    q->limit = 4;
    q->after = NULL;
    do {
        ck_assert_msg(gsprov_store_record_list(s, pool, q, &items, &more,
                      &err) == APR_SUCCESS, "%s", err);
        for (i = 0; i < items->nelts; i++) {
            const gsprov_listed_t *e = &APR_ARRAY_IDX(items, i,
                                                      gsprov_listed_t);
            ck_assert_ptr_nonnull(e->dev);
            if (last)
                ck_assert_int_lt(strcmp(last, e->mac), 0);
            last = e->mac;
            out = apr_pstrcat(pool, out, *out ? " " : "", e->mac, NULL);
        }
        q->after = last;
        ck_assert_int_lt(++pages, 20);
    } while (more);
    return out;
}

/* what the filters of q must give over records 1..n, computed here */
static const char *expected(int n, const char *model, int group, int ext,
                            int floor)
{
    const char *out = "";
    int i;

    for (i = 1; i <= n; i++) {
        if ((model && strcmp(model, i % 2 ? "gxp2170" : "ht802"))
            || (group && i % 3) || (ext && ext != 1000 + i)
            || (floor >= 0 && floor != i % 5))
            continue;
        out = apr_pstrcat(pool, out, *out ? " " : "", mac_of(i), NULL);
    }
    return out;
}

static void check_record_filters(gsprov_store_t *s, int n)
{
    gsprov_list_query_t q;
    apr_array_header_t *vars = apr_array_make(pool, 2,
                                              sizeof(gsprov_list_var_t));
    gsprov_list_var_t *v;

    gsprov_store_list_init(&q, 4);
    ck_assert_str_eq(all_pages(s, &q), expected(n, NULL, 0, 0, -1));
    q.model = "ht802";
    ck_assert_str_eq(all_pages(s, &q), expected(n, "ht802", 0, 0, -1));
    q.group = "sales";
    ck_assert_str_eq(all_pages(s, &q), expected(n, "ht802", 1, 0, -1));
    gsprov_store_list_init(&q, 4);
    q.vars = vars;
    v = apr_array_push(vars);
    v->name = "floor";
    v->value = "3";
    ck_assert_str_eq(all_pages(s, &q), expected(n, NULL, 0, 0, 3));
    q.model = "gxp2170";
    ck_assert_str_eq(all_pages(s, &q), expected(n, "gxp2170", 0, 0, 3));
    v = apr_array_push(vars);
    v->name = "ext";
    v->value = "1013";
    ck_assert_str_eq(all_pages(s, &q), expected(n, "gxp2170", 0, 1013, 3));
    ck_assert_str_eq(all_pages(s, &q), mac_of(13));
    v->value = "1012";
    ck_assert_str_eq(all_pages(s, &q), "");
    /* a variable no record has */
    gsprov_store_list_init(&q, 4);
    q.vars = vars;
    apr_array_clear(vars);
    v = apr_array_push(vars);
    v->name = "nosuch";
    v->value = "";
    ck_assert_str_eq(all_pages(s, &q), "");
}

START_TEST(file_store_filters)
{
    const char *dir = unit_tmpdir();
    gsprov_store_t *s;
    char *err = NULL;
    int i;

    templates(dir);
    for (i = 1; i <= 30; i++)
        unit_write(dir, apr_psprintf(pool, "devices/%s.xml", mac_of(i)),
                   rec(i), -1);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &s, &err)
                  == APR_SUCCESS, "%s", err);
    check_record_filters(s, 30);
}
END_TEST

static gsprov_dbd_source_t *src;

static long scalar(const char *sql)
{
    gsprov_dbd_conn_t c;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    char *err = NULL;
    long v = -1;
    int n;

    ck_assert_status(src->acquire(src, pool, &c, &err), APR_SUCCESS);
    if (strncmp(sql, "SELECT", 6)) {
        ck_assert_msg(apr_dbd_query(c.driver, c.handle, &n, sql) == 0, "%s",
                      sql);
        return n;
    }
    ck_assert_int_eq(apr_dbd_select(c.driver, pool, c.handle, &res, sql, 1),
                     0);
    if (apr_dbd_get_row(c.driver, pool, res, &row, -1) == 0)
        v = atol(apr_dbd_get_entry(c.driver, row, 0));
    return v;
}

static gsprov_store_t *db_store(const char *dir, int n)
{
    gsprov_store_t *tpl, *s;
    gsprov_dbd_opts_t o;
    char *err = NULL;
    int from, to, i;

    templates(dir);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &tpl, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_msg(gsprov_store_dbd_connect(pool, "sqlite3", apr_pstrcat(
                  pool, dir, "/db.sqlite", NULL), &src, &err) == APR_SUCCESS,
                  "%s", err);
    ck_assert_msg(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                  gsprov_sql_nmigrations, &from, &to, &err) == APR_SUCCESS,
                  "%s", err);
    memset(&o, 0, sizeof(o));
    o.tenant = "t1.example";
    o.templates = tpl;
    o.source = src;
    s = gsprov_store_dbd_open(pool, &o);
    for (i = 1; i <= n; i++) {
        gsprov_txn_t *txn;
        gsprov_blob_t cur;
        const char *r = rec(i);
        ck_assert_status(gsprov_store_begin(s, pool, NULL, &txn, &err),
                         APR_SUCCESS);
        ck_assert_status(gsprov_store_record_lock(txn, mac_of(i), &cur, &err),
                         GSPROV_ENOTFOUND);
        ck_assert_msg(gsprov_store_record_put(txn, mac_of(i), r, strlen(r),
                      &err) == APR_SUCCESS, "%s", err);
        ck_assert_msg(gsprov_store_commit(txn, &err) == APR_SUCCESS, "%s",
                      err);
    }
    return s;
}

START_TEST(db_store_filters)
{
    const char *dir = unit_tmpdir();
    gsprov_store_t *s = db_store(dir, 30);
    gsprov_list_query_t q;
    apr_array_header_t *items;
    const gsprov_listed_t *e;
    char *err = NULL;
    int more, from, to;

    /* two variables per record, by hash */
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_device_vars"), 60);
    check_record_filters(s, 30);

    /* the status as the flusher writes it: 1 and 2 seen, 2 served an old
     * version (in_sync: 0) */
    scalar(apr_psprintf(pool, "INSERT INTO gsprov_device_status VALUES "
           "('t1.example', '%s', 1000, '192.0.2.1', 'GXP2170', 'V2.1A', "
           "'1.0.11.6', 'xml', 'cfg%s.xml', 200, '%s', 1)", mac_of(1), mac_of(1),
           gsprov_store_version(pool, rec(1), strlen(rec(1)))));
    scalar(apr_psprintf(pool, "INSERT INTO gsprov_device_status VALUES "
           "('t1.example', '%s', 2000, '192.0.2.2', 'HT802', 'V1.0', "
           "'1.0.3.2', 'xml', 'cfg%s.xml', 200, 'old', 0)", mac_of(2),
           mac_of(2)));
    scalar("INSERT INTO gsprov_device_status VALUES ('t2.example', "
           "'000b82000003', 2000, '', '', '', '', 'xml', '', 200, '', 0)");
    gsprov_store_list_init(&q, 4);
    q.in_sync = -1;
    ck_assert_str_eq(all_pages(s, &q), mac_of(2));
    q.in_sync = 1;
    ck_assert_str_eq(all_pages(s, &q), mac_of(1));
    gsprov_store_list_init(&q, 4);
    q.seen_after = 1500;
    ck_assert_str_eq(all_pages(s, &q), mac_of(2));
    gsprov_store_list_init(&q, 4);
    q.seen_before = 1500;
    ck_assert_str_eq(all_pages(s, &q), mac_of(1));
    gsprov_store_list_init(&q, 4);
    q.firmware = "1.0.3.2";
    ck_assert_str_eq(all_pages(s, &q), mac_of(2));
    gsprov_store_list_init(&q, 4);
    q.never_seen = -1;
    ck_assert_str_eq(all_pages(s, &q), apr_pstrcat(pool, mac_of(1), " ",
                                                   mac_of(2), NULL));
    q.never_seen = 1;
    q.model = "gxp2170";
    ck_assert_str_eq(all_pages(s, &q), expected(30, "gxp2170", 0, 0, -1)
                     + 13);     /* all odd ones but 1 */
    /* the status comes with the page when asked for */
    gsprov_store_list_init(&q, 2);
    q.want_status = 1;
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &items, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(items->nelts, 2);
    e = &APR_ARRAY_IDX(items, 0, gsprov_listed_t);
    ck_assert_ptr_nonnull(e->status);
    ck_assert_int_eq(e->status->last.at, 1000);
    ck_assert_str_eq(e->status->last.ua_firmware, "1.0.11.6");
    ck_assert_str_eq(e->status->last.client, "192.0.2.1");
    ck_assert_str_eq(e->status->served_version, e->version);
    e = &APR_ARRAY_IDX(items, 1, gsprov_listed_t);
    ck_assert_str_eq(e->status->served_version, "old");

    /* a record deleted takes its variables along */
    {
        gsprov_txn_t *txn;
        gsprov_blob_t cur;
        ck_assert_status(gsprov_store_begin(s, pool, NULL, &txn, &err),
                         APR_SUCCESS);
        ck_assert_status(gsprov_store_record_lock(txn, mac_of(30), &cur,
                                                  &err), APR_SUCCESS);
        ck_assert_status(gsprov_store_record_delete(txn, mac_of(30), &err),
                         APR_SUCCESS);
        ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);
    }
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_device_vars"), 58);

    /* a database of version 1 upgraded: the variables of its records */
    scalar("DELETE FROM gsprov_device_vars");
    scalar("UPDATE gsprov_schema SET version = 1");
    scalar("DROP TABLE gsprov_device_vars");
    scalar("DROP TABLE gsprov_device_status");
    scalar("DROP TABLE gsprov_device_fetch");
    scalar("DROP INDEX gsprov_devices_model");
    ck_assert_msg(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                  gsprov_sql_nmigrations, &from, &to, &err) == APR_SUCCESS,
                  "%s", err);
    ck_assert_int_eq(from, 1);
    ck_assert_int_eq(to, GSPROV_DBD_SCHEMA_VERSION);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_device_vars"), 58);
    check_record_filters(s, 29);
}
END_TEST

Suite *list_suite(void)
{
    Suite *s = suite_create("list");
    TCase *tc = unit_tcase("list");
    tcase_add_test(tc, devices_args_defaults_and_filters);
    tcase_add_test(tc, devices_args_refused);
    tcase_add_test(tc, activations_args);
    tcase_add_test(tc, status_match);
    tcase_add_test(tc, file_store_filters);
    tcase_add_test(tc, db_store_filters);
    suite_add_tcase(s, tc);
    return s;
}
