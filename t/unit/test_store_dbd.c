/* The database store over SQLite 3 (the same code and SQL as PostgreSQL,
 * which t/system/farm.sh and the pgsql Apache::Test stage cover): the
 * schema and its version, records with their versions and groups,
 * listing pages, holds of missing rows, transactions with their audit
 * rows, activations and a claim, tenants, and a database that is gone. */
#include "unit.h"
#include <apr_dbd.h>
#include "gsprov_store_dbd.h"
#include "gsprov_activation.h"
#include "gsprov_seen.h"

static const char *dir;
static gsprov_store_t *tpl_store, *st;
static gsprov_dbd_source_t *src;

static const char REC1[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<device>\n  <model>gxp2170</model>\n  <group>sales</group>\n"
    "  <group>sales</group>\n  <var name=\"ext\">1001</var>\n</device>\n";
static const char REC2[] = "<device><model>gxp2170</model>"
    "<var name=\"ext\">caf\xc3\xa9</var></device>";

static gsprov_store_t *open_tenant(const char *tenant)
{
    gsprov_dbd_opts_t o;
    memset(&o, 0, sizeof(o));
    o.tenant = tenant;
    o.templates = tpl_store;
    o.source = src;
    return gsprov_store_dbd_open(pool, &o);
}

static void setup(void)
{
    char *err = NULL;
    int from = -1, to = -1;

    dir = unit_tmpdir();
    unit_write(dir, "defaults.xml", "<gs_provision><config><P1>d</P1>"
               "</config></gs_provision>", -1);
    unit_write(dir, "models/gxp2170.xml", "<gs_provision><config>"
               "<P3>gxp</P3></config></gs_provision>", -1);
    unit_write(dir, "groups/sales.xml", "<gs_provision><config>"
               "<P4>s</P4></config></gs_provision>", -1);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &tpl_store, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_msg(gsprov_store_dbd_connect(pool, "sqlite3",
                  apr_pstrcat(pool, dir, "/db.sqlite", NULL), &src, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_msg(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                  gsprov_sql_nmigrations, &from, &to, &err) == APR_SUCCESS,
                  "%s", err);
    ck_assert_int_eq(from, 0);
    ck_assert_int_eq(to, GSPROV_DBD_SCHEMA_VERSION);
    st = open_tenant("t1.example");
}

/* A number from the database (a count). */
static long scalar(const char *sql)
{
    gsprov_dbd_conn_t c;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    char *err = NULL;
    long v = -1;

    ck_assert_status(src->acquire(src, pool, &c, &err), APR_SUCCESS);
    ck_assert_int_eq(apr_dbd_select(c.driver, pool, c.handle, &res, sql, 1),
                     0);
    if (apr_dbd_get_row(c.driver, pool, res, &row, -1) == 0)
        v = atol(apr_dbd_get_entry(c.driver, row, 0));
    return v;
}

static void put(gsprov_store_t *s, const char *mac, const char *data)
{
    gsprov_txn_t *txn;
    gsprov_blob_t cur;
    json_t *e = json_pack("{s:s, s:s}", "action", "device-put", "mac", mac);
    char *err = NULL;
    apr_status_t rv;

    ck_assert_msg(gsprov_store_begin(s, pool, NULL, &txn, &err)
                  == APR_SUCCESS, "%s", err);
    rv = gsprov_store_record_lock(txn, mac, &cur, &err);
    ck_assert_msg(rv == APR_SUCCESS || rv == GSPROV_ENOTFOUND, "%s", err);
    ck_assert_msg(gsprov_store_record_put(txn, mac, data, strlen(data), &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_status(gsprov_store_audit(txn, e, &err), APR_SUCCESS);
    json_decref(e);
    ck_assert_msg(gsprov_store_commit(txn, &err) == APR_SUCCESS, "%s", err);
}

START_TEST(schema_versions)
{
    int from = -1, to = -1, v = -1;
    char *err = NULL;

    /* a second init on a current schema does nothing */
    ck_assert_status(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                     gsprov_sql_nmigrations, &from, &to, &err), APR_SUCCESS);
    ck_assert_int_eq(from, GSPROV_DBD_SCHEMA_VERSION);
    ck_assert_int_eq(to, GSPROV_DBD_SCHEMA_VERSION);
    ck_assert_status(gsprov_store_dbd_schema(pool, src, &v, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(v, GSPROV_DBD_SCHEMA_VERSION);
    ck_assert_ptr_null(gsprov_store_dbd_schema_check(pool, v));
    ck_assert_ptr_nonnull(strstr(gsprov_store_dbd_schema_check(pool, 0),
                                 "gsprov db init"));
    ck_assert_ptr_nonnull(strstr(gsprov_store_dbd_schema_check(pool, 99),
                                 "version 99, newer than this module knows"));
    /* a database newer than the tool: refused */
    ck_assert_int_eq(scalar("UPDATE gsprov_schema SET version = 99"), -1);
    ck_assert_status(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                     gsprov_sql_nmigrations, &from, &to, &err),
                     GSPROV_ECORRUPT);
    ck_assert_int_eq(from, 99);
}
END_TEST

START_TEST(records)
{
    gsprov_blob_t b;
    gsprov_device_t *d;
    const char *v;
    char *err = NULL;

    ck_assert_status(gsprov_store_record_get(st, pool, "000b82000001", &b,
                                             &err), GSPROV_ENOTFOUND);
    put(st, "000b82000001", REC1);
    ck_assert_status(gsprov_store_record_get(st, pool, "000b82000001", &b,
                                             &err), APR_SUCCESS);
    ck_assert_bytes(b.data, b.len, REC1);
    ck_assert_str_eq(b.version, gsprov_store_version(pool, REC1,
                                                     strlen(REC1)));
    ck_assert_status(gsprov_store_record_version(st, pool, "000b82000001",
                                                 &v, &err), APR_SUCCESS);
    ck_assert_str_eq(v, b.version);
    /* the columns the listing needs; a group named twice counts once */
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_devices WHERE "
                            "model = 'gxp2170'"), 1);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_device_groups"), 1);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_audit WHERE mac = "
                            "'000b82000001' AND entry LIKE '{\"time\":%'"), 1);
    /* replaced: UTF-8 survives byte for byte, groups follow */
    put(st, "000b82000001", REC2);
    ck_assert_status(gsprov_store_device(st, pool, "000b82000001", &d, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(d->version, gsprov_store_version(pool, REC2,
                                                      strlen(REC2)));
    ck_assert_int_eq(d->groups->nelts, 0);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_device_groups"), 0);
    /* the same MAC of another tenant is another record */
    ck_assert_status(gsprov_store_record_get(open_tenant("t2.example"), pool,
                     "000b82000001", &b, &err), GSPROV_ENOTFOUND);
}
END_TEST

START_TEST(not_utf8_refused)
{
    gsprov_txn_t *txn;
    gsprov_blob_t cur;
    char *err = NULL;
    const char bad[] = "<device><var name=\"x\">\xe9</var></device>";

    ck_assert_status(gsprov_store_begin(st, pool, NULL, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000009", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000009", bad,
                                             strlen(bad), &err),
                     GSPROV_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "UTF-8"));
    /* committed without a write: the hold is given back */
    ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_devices"), 0);
}
END_TEST

START_TEST(rollback_and_abandon)
{
    gsprov_txn_t *txn;
    gsprov_blob_t cur;
    apr_pool_t *sub;
    char *err = NULL;

    put(st, "000b82000001", REC1);
    ck_assert_status(gsprov_store_begin(st, pool, NULL, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_record_delete(txn, "000b82000001", &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_delete(txn, "000b82000001", &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000002", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000002", REC2,
                                             strlen(REC2), &err), APR_SUCCESS);
    gsprov_store_rollback(txn);
    gsprov_store_rollback(txn);     /* twice: harmless */
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_devices"), 1);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_audit"), 1);
    /* writes need the lock */
    ck_assert_status(gsprov_store_begin(st, pool, NULL, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000003", REC2,
                                             strlen(REC2), &err), APR_EINVAL);
    gsprov_store_rollback(txn);
    /* abandoned with its pool: rolled back, the next writer gets in */
    apr_pool_create(&sub, pool);
    ck_assert_status(gsprov_store_begin(st, sub, NULL, &txn, &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000004", &cur,
                                              &err), GSPROV_ENOTFOUND);
    apr_pool_destroy(sub);
    put(st, "000b82000005", REC2);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_devices"), 2);
}
END_TEST

START_TEST(listing)
{
    gsprov_list_query_t q;
    apr_array_header_t *items;
    char *err = NULL;
    int more, i;
    char mac[13];

    for (i = 1; i <= 7; i++) {
        apr_snprintf(mac, sizeof(mac), "000b8200000%d", i);
        put(st, mac, i % 2 ? REC1 : REC2);
    }
    put(open_tenant("t2.example"), "000b82000000", REC1);
    memset(&q, 0, sizeof(q));
    q.limit = 3;
    ck_assert_status(gsprov_store_record_list(st, pool, &q, &items, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(items->nelts, 3);
    ck_assert_int_eq(more, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(items, 0, gsprov_listed_t).mac,
                     "000b82000001");
    ck_assert_str_eq(APR_ARRAY_IDX(items, 0, gsprov_listed_t).dev->model,
                     "gxp2170");
    q.after = "000b82000006";
    ck_assert_status(gsprov_store_record_list(st, pool, &q, &items, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(items->nelts, 1);
    ck_assert_int_eq(more, 0);
    /* the group filter pages through the group only */
    q.after = NULL;
    q.group = "sales";
    ck_assert_status(gsprov_store_record_list(st, pool, &q, &items, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(items->nelts, 3);
    ck_assert_int_eq(more, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(items, 2, gsprov_listed_t).mac,
                     "000b82000005");
    q.after = "000b82000005";
    ck_assert_status(gsprov_store_record_list(st, pool, &q, &items, &more,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(items->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(items, 0, gsprov_listed_t).mac,
                     "000b82000007");
    ck_assert_int_eq(more, 0);
}
END_TEST

/* The status row's in_sync (schema version 3), which GET
 * /devices?in_sync=false finds by its index: set by the status flusher
 * where a config was served, kept where none was, set again by every
 * record write; a version 2 database upgraded gets it from its rows. */
static void status_put1(gsprov_seen_t s)
{
    apr_array_header_t *b = apr_array_make(pool, 1, sizeof(gsprov_seen_t));
    char *err = NULL;

    *(gsprov_seen_t *)apr_array_push(b) = s;
    ck_assert_msg(gsprov_store_status_put(st, pool, b, &err) == APR_SUCCESS,
                  "%s", err);
}

/* The MACs of every page of in_sync (1 or -1), space-separated. */
static const char *sync_list(int in_sync)
{
    gsprov_list_query_t q;
    apr_array_header_t *items;
    const char *all = "";
    char *err = NULL;
    int more = 1, i;

    gsprov_store_list_init(&q, 1);
    q.in_sync = in_sync;
    while (more) {
        ck_assert_msg(gsprov_store_record_list(st, pool, &q, &items, &more,
                      &err) == APR_SUCCESS, "%s", err);
        for (i = 0; i < items->nelts; i++) {
            q.after = APR_ARRAY_IDX(items, i, gsprov_listed_t).mac;
            all = apr_pstrcat(pool, all, *all ? " " : "", q.after, NULL);
        }
    }
    return all;
}

static long flag(const char *mac)
{
    return scalar(apr_psprintf(pool, "SELECT in_sync FROM "
                  "gsprov_device_status WHERE tenant = 't1.example' AND "
                  "mac = '%s'", mac));
}

#define A "000b82000001"
#define B "000b82000002"
#define C "000b82000003"

START_TEST(in_sync_flag)
{
    const char *v1 = gsprov_store_version(pool, REC1, strlen(REC1));
    const char *v2 = gsprov_store_version(pool, REC2, strlen(REC2));
    int from = -1, to = -1;
    char *err = NULL;

    put(st, A, REC1);
    put(st, B, REC2);
    put(st, C, REC1);
    put(open_tenant("t2.example"), A, REC2);
    /* A served its version, B an older one, C seen but served nothing */
    status_put1(unit_seen(A, "xml", 100, 200, v1));
    status_put1(unit_seen(B, "xml", 100, 200, "old"));
    status_put1(unit_seen(C, "model", 100, 200, ""));
    ck_assert_int_eq(flag(A), 1);
    ck_assert_int_eq(flag(B), 0);
    ck_assert_int_eq(flag(C), 0);
    ck_assert_str_eq(sync_list(-1), B " " C);
    ck_assert_str_eq(sync_list(1), A);
    /* a request that serves no config keeps the flag */
    status_put1(unit_seen(A, "model", 110, 200, ""));
    ck_assert_int_eq(flag(A), 1);
    /* a record written: its status row follows, in its transaction */
    put(st, A, REC2);
    ck_assert_int_eq(flag(A), 0);
    ck_assert_str_eq(sync_list(-1), A " " B " " C);
    ck_assert_str_eq(sync_list(1), "");
    /* ... until the device fetches the new version */
    status_put1(unit_seen(A, "xml", 120, 200, v2));
    ck_assert_int_eq(flag(A), 1);
    status_put1(unit_seen(B, "xml", 120, 200, v2));
    ck_assert_int_eq(flag(B), 1);
    ck_assert_str_eq(sync_list(-1), C);
    /* the same bytes written again: still in sync; others: not */
    put(st, B, REC2);
    ck_assert_int_eq(flag(B), 1);
    put(st, B, REC1);
    ck_assert_int_eq(flag(B), 0);
    /* an older observation flushed late replaces nothing */
    status_put1(unit_seen(B, "xml", 50, 200, v1));
    ck_assert_int_eq(flag(B), 0);
    ck_assert_str_eq(sync_list(-1), B " " C);
    /* another tenant's row is its own */
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_device_status "
                            "WHERE tenant = 't2.example'"), 0);

    /* a version 2 database (no in_sync), upgraded: the flag from its rows */
    scalar("DROP INDEX gsprov_device_status_out");
    scalar("ALTER TABLE gsprov_device_status DROP COLUMN in_sync");
    scalar("UPDATE gsprov_schema SET version = 2");
    scalar(apr_psprintf(pool, "UPDATE gsprov_device_status SET "
                        "served_version = '%s' WHERE mac = '%s'", v1, B));
    ck_assert_str_eq(gsprov_store_dbd_schema_check(pool, 2),
                     "the database's gsprov schema is version 2, this module "
                     "needs version 3: upgrade it with gsprov db init "
                     "--driver DRIVER --params PARAMS");
    ck_assert_msg(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                  gsprov_sql_nmigrations, &from, &to, &err) == APR_SUCCESS,
                  "%s", err);
    ck_assert_int_eq(from, 2);
    ck_assert_int_eq(to, 3);
    ck_assert_int_eq(scalar("SELECT version FROM gsprov_schema"), 3);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM sqlite_master WHERE "
                            "name = 'gsprov_device_status_out'"), 1);
    ck_assert_int_eq(flag(A), 1);
    ck_assert_int_eq(flag(B), 1);
    ck_assert_int_eq(flag(C), 0);
    ck_assert_str_eq(sync_list(-1), C);
    ck_assert_str_eq(sync_list(1), A " " B);
}
END_TEST
#undef A
#undef B
#undef C

static int count_fn(void *baton, apr_pool_t *p, const char *mac,
                    const gsprov_blob_t *rec, apr_status_t rv,
                    const char *err)
{
    int *n = baton;
    ck_assert_status(rv, APR_SUCCESS);
    ck_assert_str_eq(rec->version, gsprov_store_version(p, rec->data,
                                                        rec->len));
    (*n)++;
    return 0;
}

START_TEST(iterate_pages)
{
    char *err = NULL;
    char mac[13];
    int i, n = 0;

    /* more than one page of the walk */
    for (i = 0; i < 1203; i++) {
        apr_snprintf(mac, sizeof(mac), "000b82%06x", i);
        put(st, mac, REC2);
    }
    ck_assert_status(gsprov_store_record_iterate(st, pool, count_fn, &n,
                                                 &err), APR_SUCCESS);
    ck_assert_int_eq(n, 1203);
}
END_TEST

START_TEST(activations_and_claim)
{
    gsprov_actor_t who = { "admin", "127.0.0.1", "POST" };
    gsprov_activation_t *a;
    gsprov_settings_t set;
    gsprov_claim_t res;
    gsprov_txn_t *txn;
    json_t *profile = json_pack("{s:s}", "model", "gxp2170");
    char *err = NULL;
    int i;

    ck_assert_status(gsprov_store_begin(st, pool, NULL, &txn, &err),
                     APR_SUCCESS);
    ck_assert_msg(gsprov_activation_create(txn, &who, "5551", "1234", profile,
                  3600, &a, &err) == APR_SUCCESS, "%s", err);
    ck_assert_status(gsprov_store_activation_get(st, pool, "5551", &a, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(a->failures, 0);
    ck_assert_ptr_null(a->claimed_by);
    memset(&set, 0, sizeof(set));
    set.plain = 1;
    for (i = 1; i <= 2; i++) {
        ck_assert_status(gsprov_store_begin(st, pool, NULL, &txn, &err),
                         APR_SUCCESS);
        ck_assert_status(gsprov_activation_claim(txn, &who,
                         gsprov_store_templates(st, pool, 0), &set, "5551",
                         "9999", "000b820000aa", 3, &res, &err),
                         GSPROV_EBADPIN);
        ck_assert_int_eq(res.failures, i);
    }
    ck_assert_status(gsprov_store_begin(st, pool, NULL, &txn, &err),
                     APR_SUCCESS);
    ck_assert_msg(gsprov_activation_claim(txn, &who,
                  gsprov_store_templates(st, pool, 0), &set, "5551", "1234",
                  "000b820000aa", 3, &res, &err) == APR_SUCCESS, "%s", err);
    ck_assert_status(gsprov_store_activation_get(st, pool, "5551", &a, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_devices WHERE mac "
                            "= '000b820000aa'"), 1);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_audit WHERE entry "
                            "LIKE '%\"action\":\"claim\"%'"), 3);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM gsprov_activations"), 0);
    json_decref(profile);
}
END_TEST

static apr_status_t no_database(const gsprov_dbd_source_t *s, apr_pool_t *p,
                                gsprov_dbd_conn_t *out, char **err)
{
    *err = "no connection";
    return GSPROV_EUNAVAIL;
}

START_TEST(database_gone)
{
    gsprov_dbd_source_t gone = { no_database, NULL };
    gsprov_dbd_opts_t o;
    gsprov_store_t *s;
    gsprov_txn_t *txn;
    gsprov_blob_t b;
    char *err = NULL;

    memset(&o, 0, sizeof(o));
    o.tenant = "t1.example";
    o.templates = tpl_store;
    o.source = &gone;
    s = gsprov_store_dbd_open(pool, &o);
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82000001", &b,
                                             &err), GSPROV_EUNAVAIL);
    ck_assert_status(gsprov_store_begin(s, pool, NULL, &txn, &err),
                     GSPROV_EUNAVAIL);
    /* a driver that is not there, a file that cannot be opened */
    ck_assert_status(gsprov_store_dbd_connect(pool, "nosuchdriver", "", &src,
                                              &err), GSPROV_EUNAVAIL);
    ck_assert_status(gsprov_store_dbd_connect(pool, "sqlite3",
                     "/nonexistent/dir/db", &src, &err), GSPROV_EUNAVAIL);
}
END_TEST

START_TEST(counters)
{
    gsprov_dbd_opts_t o;
    apr_uint64_t q = 0, e = 0;
    gsprov_blob_t b;
    char *err = NULL;

    memset(&o, 0, sizeof(o));
    o.tenant = "t1.example";
    o.templates = tpl_store;
    o.source = src;
    o.queries = &q;
    o.errors = &e;
    /* a device request's read: one statement */
    ck_assert_status(gsprov_store_record_get(gsprov_store_dbd_open(pool, &o),
                     pool, "000b82000001", &b, &err), GSPROV_ENOTFOUND);
    ck_assert_uint_eq(q, 1);
    ck_assert_uint_eq(e, 0);
}
END_TEST

Suite *store_dbd_suite(void)
{
    Suite *s = suite_create("store_dbd");
    TCase *tc = unit_tcase("store_dbd");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, schema_versions);
    tcase_add_test(tc, records);
    tcase_add_test(tc, not_utf8_refused);
    tcase_add_test(tc, rollback_and_abandon);
    tcase_add_test(tc, listing);
    tcase_add_test(tc, in_sync_flag);
    tcase_add_test(tc, iterate_pages);
    tcase_add_test(tc, activations_and_claim);
    tcase_add_test(tc, database_gone);
    tcase_add_test(tc, counters);
    suite_add_tcase(s, tc);
    return s;
}
