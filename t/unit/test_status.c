/* The provisioning status in lib/: the bounded buffer (bound, merge of a
 * repeat, drops, the two generations), the shared rules (served, by
 * device, the API's JSON with in_sync), and status_put/get/count of both
 * stores (the directory store's files, the database store over SQLite,
 * including `gsprov db init` upgrading a version 1 database). */
#include <stdarg.h>
#include "unit.h"
#include <apr_dbd.h>
#include "gsprov_seenbuf.h"
#include "gsprov_seen.h"
#include "gsprov_store_dbd.h"
#include "gsprov_json.h"
#include "gsprov_fsio.h"
#include "gsprov_error.h"

#define M1 "000b82000001"
#define M2 "000b82000002"
#define M9 "000b82000009"       /* no record */

static apr_array_header_t *batch(int n, ...)
{
    apr_array_header_t *a = apr_array_make(pool, n, sizeof(gsprov_seen_t));
    va_list ap;
    int i;

    va_start(ap, n);
    for (i = 0; i < n; i++)
        *(gsprov_seen_t *)apr_array_push(a) = va_arg(ap, gsprov_seen_t);
    va_end(ap);
    return a;
}

START_TEST(buffer_bound_and_merge)
{
    gsprov_seenbuf_t *b = gsprov_seenbuf_create(pool, 3);
    gsprov_seen_t s;
    apr_array_header_t *got;
    int w = -1;
    char longfile[400];

    ck_assert_ptr_nonnull(b);
    s = unit_seen(M1, "xml", 100, 200, "v1");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 1);
    ck_assert_int_eq(w, 1);
    /* the same device and kind: merged, the newer wins, an older loses */
    s = unit_seen(M1, "xml", 105, 401, "");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 2);
    s = unit_seen(M1, "xml", 101, 500, "");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 2);
    ck_assert_int_eq(w, 1);
    s = unit_seen(M1, "bin", 102, 200, "v1");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 1);
    memset(longfile, 'a', sizeof(longfile) - 1);
    longfile[sizeof(longfile) - 1] = '\0';
    s = unit_seen(M2, "firmware", 103, 404, "");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 1);
    ck_assert_int_eq(w, 3);
    /* full: a new entry is dropped, a repeat still merges */
    s = unit_seen(M9, "xml", 104, 200, "");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 0);
    ck_assert_int_eq(w, 3);
    s = unit_seen(M2, "firmware", 106, 200, "");
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 2);

    got = gsprov_seenbuf_take(b, pool);
    ck_assert_int_eq(got->nelts, 3);
    ck_assert_int_eq(gsprov_seenbuf_waiting(b), 0);
    /* oldest first */
    ck_assert_str_eq(APR_ARRAY_IDX(got, 0, gsprov_seen_t).kind, "bin");
    ck_assert_int_eq(APR_ARRAY_IDX(got, 1, gsprov_seen_t).result, 401);
    ck_assert_int_eq(APR_ARRAY_IDX(got, 1, gsprov_seen_t).at, 105);
    ck_assert_str_eq(APR_ARRAY_IDX(got, 1, gsprov_seen_t).version, "");
    ck_assert_str_eq(APR_ARRAY_IDX(got, 1, gsprov_seen_t).client,
                     "192.0.2.7");
    ck_assert_str_eq(APR_ARRAY_IDX(got, 2, gsprov_seen_t).mac, M2);
    ck_assert_int_eq(APR_ARRAY_IDX(got, 2, gsprov_seen_t).result, 200);
    ck_assert_int_eq(APR_ARRAY_IDX(got, 2, gsprov_seen_t).at, 106);
    /* room again; what was taken stays readable until the next take */
    s = unit_seen(M9, "xml", 107, 200, "");
    s.file = longfile;
    ck_assert_int_eq(gsprov_seenbuf_add(b, &s, &w), 1);
    ck_assert_int_eq(w, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(got, 0, gsprov_seen_t).mac, M1);
    got = gsprov_seenbuf_take(b, pool);
    ck_assert_int_eq(got->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(got, 0, gsprov_seen_t).mac, M9);
    /* the 399-byte name was cut to a firmware name's limit */
    ck_assert_uint_eq(strlen(APR_ARRAY_IDX(got, 0, gsprov_seen_t).file),
                      128);
    ck_assert_int_eq(gsprov_seenbuf_take(b, pool)->nelts, 0);
}
END_TEST

START_TEST(rules)
{
    gsprov_seen_t a = unit_seen(M1, "xml", 10, 200, "v1");
    gsprov_seen_t b = unit_seen(M1, "model", 20, 200, "");
    gsprov_seen_t c = unit_seen(M2, "bin", 15, 401, "");
    gsprov_seen_t d = unit_seen(M1, "redirect", 5, 200, "v0");
    apr_array_header_t *devs;
    gsprov_seen_dev_t *d1;
    gsprov_devstatus_t st;
    const char *j;

    ck_assert(gsprov_seen_serves(&a));
    ck_assert(!gsprov_seen_serves(&b));
    ck_assert(!gsprov_seen_serves(&c));
    ck_assert(gsprov_seen_serves(&d));
    devs = gsprov_seen_by_device(pool, batch(4, a, b, c, d));
    ck_assert_int_eq(devs->nelts, 2);
    d1 = &APR_ARRAY_IDX(devs, 0, gsprov_seen_dev_t);
    ck_assert_str_eq(d1->mac, M1);
    ck_assert_int_eq(d1->each->nelts, 3);
    ck_assert_str_eq(d1->last->kind, "model");
    ck_assert_str_eq(d1->served->version, "v1");
    ck_assert_ptr_null(APR_ARRAY_IDX(devs, 1, gsprov_seen_dev_t).served);
    ck_assert_int_eq(gsprov_seen_kind_index("firmware"), 4);
    ck_assert_int_eq(gsprov_seen_kind_index("nope"), -1);

    st.last = b;
    st.served_version = "v1";
    st.fetch = batch(1, a);
    j = gsprov_json_dump(pool, gsprov_seen_json(pool, &st, "v1"));
    ck_assert_msg(strstr(j, "\"in_sync\": true") || strstr(j, "\"in_sync\":true"), "%s", j);
    ck_assert_msg(strstr(j, "\"firmware\": \"1.0.11.23\"")
                  || strstr(j, "\"firmware\":\"1.0.11.23\""), "%s", j);
    j = gsprov_json_dump(pool, gsprov_seen_json(pool, &st, "v2"));
    ck_assert_msg(strstr(j, "\"in_sync\": false") || strstr(j, "\"in_sync\":false"), "%s", j);
    st.served_version = "";
    j = gsprov_json_dump(pool, gsprov_seen_json(pool, &st, ""));
    ck_assert_msg(strstr(j, "\"in_sync\": false") || strstr(j, "\"in_sync\":false"), "%s", j);
}
END_TEST

/* status_put and, where the store has the step (the directory store's
 * log), status_settle: what the settler thread does after each flush. */
static apr_status_t put_settled(gsprov_store_t *s, apr_pool_t *p,
                                const apr_array_header_t *b, char **err)
{
    apr_status_t rv = gsprov_store_status_put(s, p, b, err);
    int more = 0;

    if (rv == APR_SUCCESS)
        rv = gsprov_store_status_settle(s, p, NULL, NULL, &more, err);
    ck_assert_int_eq(more, 0);
    return rv;
}

/* What both stores must do with the same batches. */
static void store_behaviour(gsprov_store_t *s)
{
    gsprov_devstatus_t *st = NULL;
    apr_int64_t n = -1;
    char *err = NULL;
    gsprov_seen_t x1 = unit_seen(M1, "xml", 1000, 200, "v1");
    gsprov_seen_t b1 = unit_seen(M1, "bin", 1001, 200, "v1");
    gsprov_seen_t f1 = unit_seen(M1, "firmware", 1002, 404, "");
    gsprov_seen_t u = unit_seen(M9, "xml", 1003, 200, "v9");
    gsprov_seen_t x2 = unit_seen(M2, "xml", 2000, 401, "");
    gsprov_seen_t old = unit_seen(M1, "xml", 900, 500, "");
    gsprov_seen_t m1 = unit_seen(M1, "model", 3000, 200, "");

    ck_assert_msg(gsprov_store_status_get(s, pool, M1, &st, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_ptr_null(st);
    ck_assert_msg(put_settled(s, pool, batch(5, x1, b1, f1, u,
                  x2), &err) == APR_SUCCESS, "%s", err);
    ck_assert_msg(gsprov_store_status_get(s, pool, M1, &st, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(st->last.at, 1002);
    ck_assert_str_eq(st->last.kind, "firmware");
    ck_assert_int_eq(st->last.result, 404);
    ck_assert_str_eq(st->last.ua_firmware, "1.0.11.23");
    ck_assert_str_eq(st->last.ua_hardware, "V2.2A");
    ck_assert_str_eq(st->last.client, "192.0.2.7");
    ck_assert_str_eq(st->served_version, "v1");
    ck_assert_int_eq(st->fetch->nelts, 3);
    /* in GSPROV_SEEN_KINDS order: xml, bin, ..., firmware */
    ck_assert_str_eq(APR_ARRAY_IDX(st->fetch, 0, gsprov_seen_t).kind, "xml");
    ck_assert_str_eq(APR_ARRAY_IDX(st->fetch, 0, gsprov_seen_t).version,
                     "v1");
    ck_assert_str_eq(APR_ARRAY_IDX(st->fetch, 0, gsprov_seen_t).file,
                     "cfg" M1 ".xml");
    ck_assert_str_eq(APR_ARRAY_IDX(st->fetch, 2, gsprov_seen_t).kind,
                     "firmware");
    ck_assert_int_eq(APR_ARRAY_IDX(st->fetch, 2, gsprov_seen_t).result, 404);
    /* a MAC without a record leaves nothing */
    ck_assert_msg(gsprov_store_status_get(s, pool, M9, &st, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_ptr_null(st);
    ck_assert_msg(gsprov_store_status_get(s, pool, M2, &st, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_int_eq(st->last.result, 401);
    ck_assert_str_eq(st->served_version, "");

    /* an older observation (another node flushing late) changes nothing;
     * a newer one of another kind keeps served_version */
    ck_assert_msg(put_settled(s, pool, batch(1, old), &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_msg(put_settled(s, pool, batch(1, m1), &err)
                  == APR_SUCCESS, "%s", err);
    gsprov_store_status_get(s, pool, M1, &st, &err);
    ck_assert_int_eq(st->last.at, 3000);
    ck_assert_str_eq(st->last.kind, "model");
    ck_assert_str_eq(st->served_version, "v1");
    ck_assert_int_eq(APR_ARRAY_IDX(st->fetch, 0, gsprov_seen_t).result, 200);
    ck_assert_int_eq(APR_ARRAY_IDX(st->fetch, 0, gsprov_seen_t).at, 1000);
    ck_assert_int_eq(st->fetch->nelts, 4);

    /* seen since: M1 at 3000, M2 at 2000 */
    ck_assert_msg(gsprov_store_status_count(s, pool, 0, &n, &err)
                  == APR_SUCCESS, "%s", err);
    ck_assert_int_eq(n, 2);
    gsprov_store_status_count(s, pool, 2000, &n, &err);
    ck_assert_int_eq(n, 2);
    gsprov_store_status_count(s, pool, 2001, &n, &err);
    ck_assert_int_eq(n, 1);
    gsprov_store_status_count(s, pool, 3001, &n, &err);
    ck_assert_int_eq(n, 0);
    /* an empty batch is nothing to do */
    ck_assert_msg(put_settled(s, pool, batch(0), &err)
                  == APR_SUCCESS, "%s", err);
}

static const char *templates_dir(void)
{
    const char *dir = unit_tmpdir();
    unit_write(dir, "defaults.xml", "<gs_provision><config><P1>d</P1>"
               "</config></gs_provision>", -1);
    unit_write(dir, "models/gxp2170.xml", "<gs_provision><config>"
               "<P3>gxp</P3></config></gs_provision>", -1);
    return dir;
}

static const char REC[] = "<device><model>gxp2170</model></device>\n";

START_TEST(directory_store)
{
    const char *dir = templates_dir();
    gsprov_store_t *s;
    char *err = NULL;
    char *buf;
    apr_size_t len;

    unit_write(dir, "devices/" M1 ".xml", REC, -1);
    unit_write(dir, "devices/" M2 ".xml", REC, -1);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &s, &err)
                  == APR_SUCCESS, "%s", err);
    store_behaviour(s);
    /* the file is a JSON object; no status file for the unknown MAC */
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "cat %s/status/" M1 ".json",
                                           dir), &buf, &len), 0);
    ck_assert_ptr_nonnull(strstr(buf, "\"served_version\""));
    ck_assert_int_ne(unit_run(apr_psprintf(pool, "test -e %s/status/" M9
                                           ".json", dir), NULL, NULL), 0);
    /* a status file that is not JSON: read as an error (after the reads
     * again a torn one gets), replaced on the next write */
    unit_write(dir, "status/" M2 ".json", "{broken", -1);
    {
        gsprov_devstatus_t *st;
        gsprov_seen_t x = unit_seen(M2, "xml", 4000, 200, "v2");
        ck_assert_int_ne(gsprov_store_status_get(s, pool, M2, &st, &err),
                         APR_SUCCESS);
        ck_assert_msg(put_settled(s, pool, batch(1, x), &err)
                      == APR_SUCCESS, "%s", err);
        ck_assert_status(gsprov_store_status_get(s, pool, M2, &st, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(st->served_version, "v2");
    }
}
END_TEST

static gsprov_dbd_source_t *sqlite_source(const char *dir)
{
    gsprov_dbd_source_t *src;
    char *err = NULL;

    ck_assert_msg(gsprov_store_dbd_connect(pool, "sqlite3",
                  apr_pstrcat(pool, dir, "/db.sqlite", NULL), &src, &err)
                  == APR_SUCCESS, "%s", err);
    return src;
}

static void db_put_record(gsprov_store_t *s, const char *mac)
{
    gsprov_txn_t *txn;
    gsprov_blob_t cur;
    json_t *e = json_pack("{s:s}", "action", "device-put");
    char *err = NULL;

    ck_assert_status(gsprov_store_begin(s, pool, NULL, &txn, &err),
                     APR_SUCCESS);
    gsprov_store_record_lock(txn, mac, &cur, &err);
    ck_assert_status(gsprov_store_record_put(txn, mac, REC, strlen(REC), &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_audit(txn, e, &err), APR_SUCCESS);
    json_decref(e);
    ck_assert_msg(gsprov_store_commit(txn, &err) == APR_SUCCESS, "%s", err);
}

START_TEST(database_store)
{
    const char *dir = templates_dir();
    gsprov_store_t *tpl, *s, *other;
    gsprov_dbd_source_t *src = sqlite_source(dir);
    gsprov_dbd_opts_t o;
    gsprov_devstatus_t *st;
    char *err = NULL;
    int from = -1, to = -1, i, n1 = 0;

    /* a version 1 database, as before the status: upgraded to the
     * current version */
    for (i = 0; i < gsprov_sql_nmigrations; i++)
        if (gsprov_sql_migrations[i].version == 1)
            n1 = i + 1;
    ck_assert_int_gt(n1, 0);
    {
        gsprov_dbd_migration_t v1[8];
        int k = 0;
        for (i = 0; i < gsprov_sql_nmigrations && k < 8; i++)
            if (gsprov_sql_migrations[i].version == 1)
                v1[k++] = gsprov_sql_migrations[i];
        ck_assert_msg(gsprov_store_dbd_init(pool, src, v1, k, &from, &to,
                      &err) == APR_SUCCESS, "%s", err);
        ck_assert_int_eq(to, 1);
    }
    ck_assert_msg(gsprov_store_dbd_init(pool, src, gsprov_sql_migrations,
                  gsprov_sql_nmigrations, &from, &to, &err) == APR_SUCCESS,
                  "%s", err);
    ck_assert_int_eq(from, 1);
    ck_assert_int_eq(to, GSPROV_DBD_SCHEMA_VERSION);
    ck_assert_int_eq(GSPROV_DBD_SCHEMA_VERSION, 3);

    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &tpl, &err)
                  == APR_SUCCESS, "%s", err);
    memset(&o, 0, sizeof(o));
    o.tenant = "t1.example";
    o.templates = tpl;
    o.source = src;
    s = gsprov_store_dbd_open(pool, &o);
    o.tenant = "t2.example";
    other = gsprov_store_dbd_open(pool, &o);
    db_put_record(s, M1);
    db_put_record(s, M2);
    db_put_record(other, M1);
    store_behaviour(s);
    /* another tenant's rows are its own */
    ck_assert_status(gsprov_store_status_get(other, pool, M1, &st, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(st);
    /* a batch larger than one statement's rows (250) */
    {
        apr_array_header_t *big = apr_array_make(pool, 600,
                                                 sizeof(gsprov_seen_t));
        apr_int64_t n = 0;
        for (i = 0; i < 600; i++) {
            const char *mac = apr_psprintf(pool, "000b82a%05d", i);
            db_put_record(other, mac);
            *(gsprov_seen_t *)apr_array_push(big) = unit_seen(mac, "xml", 5000 + i,
                                                         200, "v");
        }
        ck_assert_msg(gsprov_store_status_put(other, pool, big, &err)
                      == APR_SUCCESS, "%s", err);
        ck_assert_status(gsprov_store_status_count(other, pool, 0, &n, &err),
                         APR_SUCCESS);
        ck_assert_int_eq(n, 600);
        ck_assert_status(gsprov_store_status_count(s, pool, 0, &n, &err),
                         APR_SUCCESS);
        ck_assert_int_eq(n, 2);
    }
    /* a quote in a client string is data, not SQL */
    {
        gsprov_seen_t q = unit_seen(M1, "generic", 9000, 200, "");
        q.ua_model = "it's";
        ck_assert_msg(gsprov_store_status_put(s, pool, batch(1, q), &err)
                      == APR_SUCCESS, "%s", err);
        gsprov_store_status_get(s, pool, M1, &st, &err);
        ck_assert_str_eq(st->last.ua_model, "it's");
    }
}
END_TEST

static int stop_now(void *baton)
{
    return ++*(int *)baton > 1;     /* after the first device */
}

/* The directory store's log: written at once, visible once settled, a
 * cut last line and odd bytes, a busy settler, a stop midway, a status
 * file that is a hard link. */
START_TEST(directory_log)
{
    const char *dir = templates_dir();
    gsprov_store_t *s;
    gsprov_devstatus_t *st;
    gsprov_lock_t *held;
    char *err = NULL, *buf;
    apr_size_t len;
    int more = -1, calls = 0;
    gsprov_seen_t x1 = unit_seen(M1, "xml", 1000, 200, "v1");
    gsprov_seen_t b2 = unit_seen(M2, "bin", 1001, 200, "v2");
    gsprov_seen_t odd = unit_seen(M1, "generic", 1100, 200, "");

    unit_write(dir, "devices/" M1 ".xml", REC, -1);
    unit_write(dir, "devices/" M2 ".xml", REC, -1);
    ck_assert_status(gsprov_store_file_open(pool, dir, NULL, &s, &err),
                     APR_SUCCESS);
    /* nothing logged: settling makes nothing (no lock file, no dir) */
    ck_assert_status(gsprov_store_status_settle(s, pool, NULL, NULL, &more,
                                                &err), APR_SUCCESS);
    ck_assert_int_eq(more, 0);
    ck_assert_int_ne(unit_run(apr_psprintf(pool, "test -e %s/status", dir),
                              NULL, NULL), 0);

    /* put appends lines; the device's file comes with settle */
    ck_assert_status(gsprov_store_status_put(s, pool, batch(2, x1, b2), &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_status_get(s, pool, M1, &st, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "grep -c '\"mac\":\"" M1
                                           "\"' %s/status/log/open.jsonl",
                                           dir), &buf, &len), 0);
    ck_assert_int_eq(atoi(buf), 1);

    /* another settler at work: nothing done now, more to do */
    ck_assert_status(gsprov_fsio_lock(pool, dir, "status-settle", &held,
                                      &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_status_settle(s, pool, NULL, NULL, &more,
                                                &err), APR_SUCCESS);
    ck_assert_int_eq(more, 1);
    gsprov_fsio_unlock(held);

    /* stopped after the first device: the sealed file stays, and the
     * next settle applies it (again) */
    ck_assert_status(gsprov_store_status_settle(s, pool, stop_now, &calls,
                                                &more, &err), APR_SUCCESS);
    ck_assert_int_eq(more, 1);
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "ls %s/status/log | grep -c "
                                           "'^log-.*\\.jsonl$'", dir),
                              &buf, &len), 0);
    ck_assert_int_eq(atoi(buf), 1);
    ck_assert_status(gsprov_store_status_settle(s, pool, NULL, NULL, &more,
                                                &err), APR_SUCCESS);
    ck_assert_int_eq(more, 0);
    ck_assert_int_ne(unit_run(apr_psprintf(pool, "ls %s/status/log | grep -q "
                                           "'^log-'", dir), NULL, NULL), 0);
    ck_assert_status(gsprov_store_status_get(s, pool, M1, &st, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(st->served_version, "v1");
    ck_assert_status(gsprov_store_status_get(s, pool, M2, &st, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(st->served_version, "v2");

    /* odd bytes in a User-Agent's fields survive the log as JSON; a line
     * a killed writer cut short is skipped and counted, and the next
     * batch starts on a line of its own (not lost with it) */
    odd.ua_model = "q\"b\\s\x01\xe9";
    ck_assert_status(gsprov_store_status_put(s, pool, batch(1, odd), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "printf '{\"mac\":\"" M2
                                           "\",\"ki' >> %s/status/log/"
                                           "open.jsonl", dir), NULL, NULL),
                     0);
    ck_assert_status(gsprov_store_status_put(s, pool, batch(1, unit_seen(M2, "xml",
                                             1200, 200, "v3")), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_status_settle(s, pool, NULL, NULL, &more,
                                                &err), GSPROV_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "1 line(s) not read"));
    ck_assert_status(gsprov_store_status_get(s, pool, M1, &st, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(st->last.ua_model, "q\"b\\s\x01\xc3\xa9");
    ck_assert_status(gsprov_store_status_get(s, pool, M2, &st, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(st->served_version, "v3");

    /* a line that is not ours in the middle: counted, the rest applied */
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "printf 'junk\\n' >> "
                                           "%s/status/log/open.jsonl", dir),
                              NULL, NULL), 0);
    ck_assert_status(gsprov_store_status_put(s, pool, batch(1, unit_seen(M1, "bin",
                                             1300, 200, "v4")), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_status_settle(s, pool, NULL, NULL, &more,
                                                &err), GSPROV_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "1 line(s) not read"));
    ck_assert_status(gsprov_store_status_get(s, pool, M1, &st, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(st->served_version, "v4");

    /* rewritten in place, shorter: padded with spaces, still one object */
    {
        gsprov_seen_t shorter = unit_seen(M1, "bin", 1400, 200, "v5");
        shorter.ua_model = "";
        shorter.ua_hardware = "";
        shorter.ua_firmware = "";
        shorter.client = "1";
        ck_assert_status(put_settled(s, pool, batch(1, shorter), &err),
                         APR_SUCCESS);
        ck_assert_status(gsprov_store_status_get(s, pool, M1, &st, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(st->served_version, "v5");
        ck_assert_str_eq(st->last.client, "1");
    }

    /* a status file that is a hard link (to a file elsewhere) is never
     * written through */
    unit_write(dir, "elsewhere.txt", "keep", -1);
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "rm -f %s/status/" M2
                                           ".json && ln %s/elsewhere.txt "
                                           "%s/status/" M2 ".json", dir, dir,
                                           dir), NULL, NULL), 0);
    ck_assert_status(gsprov_store_status_put(s, pool, batch(1, unit_seen(M2, "xml",
                                             1500, 200, "v6")), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(gsprov_store_status_settle(s, pool, NULL, NULL, &more,
                                                &err), GSPROV_EIO);
    ck_assert_ptr_nonnull(strstr(err, "hard link"));
    ck_assert_int_eq(unit_run(apr_psprintf(pool, "cat %s/elsewhere.txt", dir),
                              &buf, &len), 0);
    ck_assert_str_eq(buf, "keep");
    /* (the log was consumed all the same: one bad device does not keep
     * the others' observations waiting) */
    ck_assert_int_ne(unit_run(apr_psprintf(pool, "ls %s/status/log | grep -q "
                                           "'^log-'", dir), NULL, NULL), 0);
}
END_TEST

Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = unit_tcase("status");
    tcase_add_test(tc, buffer_bound_and_merge);
    tcase_add_test(tc, rules);
    tcase_add_test(tc, directory_store);
    tcase_add_test(tc, directory_log);
    tcase_add_test(tc, database_store);
    suite_add_tcase(s, tc);
    return s;
}
