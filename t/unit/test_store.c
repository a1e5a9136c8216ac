#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <stddef.h>
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/openat2.h>
#include "unit.h"
#include "gsprov_store.h"
#include "gsprov_fsio.h"
#include "gsprov_json.h"
#include "gsprov_crypto.h"
#include "gsprov_defaults.h"

typedef struct {
    int n201, n202, other;
    int last_level;
    char last[1024];
} logrec_t;

static void log_fn(void *baton, const char *file, int line,
                   gsprov_log_level_e level, const char *msg)
{
    logrec_t *r = baton;
    if (strncmp(msg, "GSPROV0201: ", 12) == 0)
        r->n201++;
    else if (strncmp(msg, "GSPROV0202: ", 12) == 0)
        r->n202++;
    else
        r->other++;
    r->last_level = (int)level;
    apr_cpystrn(r->last, msg, sizeof(r->last));
}

static const char DEFAULTS[] =
    "<gs_provision>\n<config>\n<P1>default</P1>\n<P2>${x}</P2>\n</config>\n"
    "</gs_provision>\n";
static const char MODEL[] =
    "<gs_provision>\n<config>\n<P1>model</P1>\n</config>\n</gs_provision>\n";
static const char GROUP[] =
    "<gs_provision>\n<config>\n<P3>group</P3>\n</config>\n</gs_provision>\n";
static const char DEVICE[] =
    "<device>\n<model>gxp2170</model>\n<group>sales</group>\n</device>\n";

static const char *make_store(void)
{
    const char *d = unit_tmpdir();
    unit_write(d, "defaults.xml", DEFAULTS, -1);
    unit_write(d, "models/gxp2170.xml", MODEL, -1);
    unit_write(d, "groups/sales.xml", GROUP, -1);
    unit_write(d, "devices/000b82abcdef.xml", DEVICE, -1);
    /* ignored: hidden files, editor leftovers, other suffixes */
    unit_write(d, "models/.gxp2170.xml.swp", "junk", -1);
    unit_write(d, "models/gxp2170.xml~", "junk", -1);
    unit_write(d, "models/.hidden.xml", "junk", -1);
    unit_write(d, "models/README", "junk", -1);
    unit_write(d, "groups/x.bak", "junk", -1);
    return d;
}

static gsprov_store_t *open_ok(const char *dir, logrec_t *rec)
{
    gsprov_logger_t log = { log_fn, rec, GSPROV_LOG_DEBUG, NULL };
    gsprov_store_t *s = NULL;
    char *err = NULL;
    apr_status_t rv = gsprov_store_file_open(pool, dir, &log, &s, &err);
    ck_assert_msg(rv == APR_SUCCESS, "open: %s", err ? err : "?");
    return s;
}

static const char *open_err(const char *dir, apr_status_t want)
{
    gsprov_store_t *s = NULL;
    char *err = NULL;
    ck_assert_status(gsprov_store_file_open(pool, dir, NULL, &s, &err), want);
    ck_assert_ptr_nonnull(err);
    return err;
}

static const char *value_of(const gsprov_layer_t *l, const char *name)
{
    int i;
    for (i = 0; i < l->params->nelts; i++) {
        const gsprov_param_t *p = &APR_ARRAY_IDX(l->params, i, gsprov_param_t);
        if (!strcmp(p->name, name))
            return p->value;
    }
    return NULL;
}

static const gsprov_layer_t *model(const gsprov_templates_t *t, const char *m)
{
    const gsprov_layer_t *l = apr_hash_get(t->models, m, APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(l);
    return l;
}

START_TEST(store_open)
{
    logrec_t rec = { 0 };
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, &rec);
    const gsprov_templates_t *t =
        gsprov_store_templates(s, pool, apr_time_from_sec(3600));
    const char *want_version;

    ck_assert_str_eq(s->label, d);
    ck_assert_uint_eq(apr_hash_count(t->models), 1);
    ck_assert_uint_eq(apr_hash_count(t->groups), 1);
    ck_assert_int_eq(t->defaults->version, 1);
    ck_assert_str_eq(t->defaults->label,
                     apr_pstrcat(pool, d, "/defaults.xml", NULL));
    ck_assert_str_eq(value_of(t->defaults, "P1"), "default");
    ck_assert_str_eq(value_of(model(t, "gxp2170"), "P1"), "model");
    ck_assert_str_eq(value_of(apr_hash_get(t->groups, "sales",
                                           APR_HASH_KEY_STRING), "P3"),
                     "group");
    /* defaults, and defaults < each model, merged with the snapshot */
    ck_assert_ptr_nonnull(t->base);
    ck_assert_str_eq(gsprov_merge_get(t->base, "P1")->value, "default");
    ck_assert_uint_eq(apr_hash_count(t->chains), 1);
    ck_assert_str_eq(gsprov_merge_get(apr_hash_get(t->chains, "gxp2170",
                                                   APR_HASH_KEY_STRING),
                                      "P1")->value, "model");
    ck_assert_str_eq(gsprov_merge_get(apr_hash_get(t->chains, "gxp2170",
                                                   APR_HASH_KEY_STRING),
                                      "P2")->value, "${x}");
    /* the version is content-based: sha256 of "rel:sha256\n" in name order */
    want_version = apr_pstrcat(pool,
        "defaults.xml:", gsprov_crypto_sha256_hex(pool, DEFAULTS, sizeof(DEFAULTS) - 1),
        "\ngroups/sales.xml:", gsprov_crypto_sha256_hex(pool, GROUP, sizeof(GROUP) - 1),
        "\nmodels/gxp2170.xml:", gsprov_crypto_sha256_hex(pool, MODEL,
                                                   sizeof(MODEL) - 1),
        "\n", NULL);
    ck_assert_str_eq(t->version,
                     gsprov_crypto_sha256_hex(pool, want_version,
                                       strlen(want_version)));
    ck_assert_uint_eq(strlen(t->stamp), 64);
    ck_assert_int_eq(rec.n201 + rec.n202 + rec.other, 0);
}
END_TEST

START_TEST(store_open_empty_dir)
{
    logrec_t rec = { 0 };
    gsprov_store_t *s = open_ok(unit_tmpdir(), &rec);
    const gsprov_templates_t *t = gsprov_store_templates(s, pool, 0);
    ck_assert_str_eq(t->defaults->label, "defaults.xml");
    ck_assert_int_eq(t->defaults->version, 0);
    ck_assert_uint_eq(apr_hash_count(t->models), 0);
    ck_assert_uint_eq(apr_hash_count(t->groups), 0);
    /* sha256 of nothing */
    ck_assert_str_eq(t->version, "e3b0c44298fc1c149afbf4c8996fb924"
                     "27ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(store_open_missing)
{
    const char *d = apr_pstrcat(pool, unit_tmpdir(), "/nonexistent", NULL);
    const char *err = open_err(d, GSPROV_EIO);
    ck_assert_msg(strncmp(err, apr_pstrcat(pool, d, ": ", NULL),
                          strlen(d) + 2) == 0, "%s", err);
    unit_write(unit_tmpdir(), "file", "x", -1);
    d = apr_pstrcat(pool, unit_tmpdir(), "/file", NULL);
    ck_assert_str_eq(open_err(d, GSPROV_EIO),
                     apr_pstrcat(pool, d, ": not a directory", NULL));
}
END_TEST

START_TEST(store_open_broken_template)
{
    const char *d = make_store();
    unit_write(d, "groups/sales.xml", "<gs_provision>\n<config>\n\n"
               "<P1>ok</P1>\n<foo/>\n</config></gs_provision>", -1);
    ck_assert_str_eq(open_err(d, GSPROV_EPARSE),
                     apr_pstrcat(pool, d, "/groups/sales.xml:5: unexpected "
                                 "element <foo> in config version 1 "
                                 "(expected P<number>)", NULL));
    unit_write(d, "groups/sales.xml", GROUP, -1);
    unit_write(d, "defaults.xml", "<gs_provision>\n<config>\n<P1>x</P2>", -1);
    {
        const char *err = open_err(d, GSPROV_EPARSE);
        const char *want = apr_pstrcat(pool, d, "/defaults.xml:3: XML error: ",
                                       NULL);
        ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    }
}
END_TEST

START_TEST(store_open_bad_file_names)
{
    const char *d = make_store();
    unit_write(d, "models/GXP2170.xml", MODEL, -1);
    ck_assert_str_eq(open_err(d, GSPROV_EPARSE),
                     apr_pstrcat(pool, d, "/models/GXP2170.xml: invalid model "
                                 "file name (lowercase [a-z0-9], 1-32 "
                                 "characters, then .xml)", NULL));
    remove(apr_pstrcat(pool, d, "/models/GXP2170.xml", NULL));
    unit_write(d, "groups/a.b.xml", GROUP, -1);
    ck_assert_str_eq(open_err(d, GSPROV_EPARSE),
                     apr_pstrcat(pool, d, "/groups/a.b.xml: invalid group "
                                 "file name ([A-Za-z0-9_-], 1-64 characters, "
                                 "then .xml)", NULL));
    remove(apr_pstrcat(pool, d, "/groups/a.b.xml", NULL));
    open_ok(d, NULL);
}
END_TEST

START_TEST(store_open_template_too_big)
{
    const char *d = make_store();
    apr_size_t n = GSPROV_MAX_TEMPLATE_BYTES + 1;
    char *big = apr_palloc(pool, n);
    const char *err;
    memset(big, ' ', n);
    unit_write(d, "models/big.xml", big, (long)n);
    err = open_err(d, GSPROV_ETOOBIG);
    ck_assert_str_eq(err, apr_psprintf(pool, "%s/models/big.xml: %lu bytes, "
                                       "over the limit of %lu", d,
                                       (unsigned long)n,
                                       (unsigned long)(n - 1)));
}
END_TEST

/* Reload: a change is picked up, a broken change keeps the old snapshot
 * and is logged once, a fix is picked up again. */
START_TEST(store_reload)
{
    logrec_t rec = { 0 };
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, &rec);
    apr_pool_t *p1, *p2, *p3;
    const gsprov_templates_t *t1, *t2, *t3;
    const char *v1;
    int i;

    apr_pool_create(&p1, pool);
    t1 = gsprov_store_templates(s, p1, 0);
    ck_assert_int_eq(rec.n202, 0);          /* nothing changed yet */
    v1 = apr_pstrdup(pool, t1->version);
    ck_assert_str_eq(value_of(model(t1, "gxp2170"), "P1"), "model");

    /* not looked at within the interval */
    unit_write(d, "models/gxp2170.xml", "<gs_provision><config><P1>model-2"
               "</P1></config></gs_provision>", -1);
    apr_pool_create(&p2, pool);
    t2 = gsprov_store_templates(s, p2, apr_time_from_sec(3600));
    ck_assert_ptr_eq(t2, t1);
    apr_pool_destroy(p2);

    /* interval 0: checked now */
    apr_pool_create(&p2, pool);
    t2 = gsprov_store_templates(s, p2, 0);
    ck_assert_ptr_ne(t2, t1);
    ck_assert_str_eq(value_of(model(t2, "gxp2170"), "P1"), "model-2");
    ck_assert_str_ne(t2->version, v1);
    ck_assert_int_eq(rec.n202, 1);
    ck_assert_int_eq(rec.n201, 0);
    ck_assert_int_eq(rec.last_level, GSPROV_LOG_INFO);
    /* the old snapshot stays usable while p1 holds it */
    ck_assert_str_eq(value_of(model(t1, "gxp2170"), "P1"), "model");
    ck_assert_str_eq(t1->version, v1);
    apr_pool_destroy(p1);

    /* a broken edit: old snapshot kept, logged once over several checks */
    unit_write(d, "models/gxp2170.xml", "<gs_provision><config>\n"
               "<P1>broken</P1>\n<nope/></config></gs_provision>", -1);
    for (i = 0; i < 4; i++) {
        apr_pool_create(&p3, pool);
        t3 = gsprov_store_templates(s, p3, 0);
        ck_assert_ptr_eq(t3, t2);
        ck_assert_str_eq(value_of(model(t3, "gxp2170"), "P1"), "model-2");
        apr_pool_destroy(p3);
    }
    ck_assert_int_eq(rec.n201, 1);
    ck_assert_int_eq(rec.n202, 1);
    ck_assert_int_eq(rec.last_level, GSPROV_LOG_ERROR);
    ck_assert_msg(strstr(rec.last, apr_pstrcat(pool, d, "/models/gxp2170.xml"
                                               ":3: unexpected element <nope>",
                                               NULL)) != NULL, "%s", rec.last);
    ck_assert_msg(strstr(rec.last, apr_psprintf(pool, "still serving version "
                                                "%.12s", t2->version)) != NULL,
                  "%s", rec.last);

    /* another broken state is logged again, once */
    unit_write(d, "groups/sales.xml", "<gs_provision><config><P1>x</P1>"
               "</config></gs_provision", -1);
    for (i = 0; i < 3; i++) {
        apr_pool_create(&p3, pool);
        ck_assert_ptr_eq(gsprov_store_templates(s, p3, 0), t2);
        apr_pool_destroy(p3);
    }
    ck_assert_int_eq(rec.n201, 2);
    ck_assert_msg(strstr(rec.last, "/groups/sales.xml:1: XML error: ") != NULL,
                  "%s", rec.last);
    unit_write(d, "groups/sales.xml", GROUP, -1);

    /* fixed: picked up */
    unit_write(d, "models/gxp2170.xml", "<gs_provision><config><P1>model-three"
               "</P1></config></gs_provision>", -1);
    apr_pool_create(&p3, pool);
    t3 = gsprov_store_templates(s, p3, 0);
    ck_assert_str_eq(value_of(model(t3, "gxp2170"), "P1"), "model-three");
    ck_assert_int_eq(rec.n202, 2);
    ck_assert_int_eq(rec.n201, 2);
    apr_pool_destroy(p3);
    apr_pool_destroy(p2);

    /* a new model file appears */
    unit_write(d, "models/ht802.xml", MODEL, -1);
    apr_pool_create(&p3, pool);
    t3 = gsprov_store_templates(s, p3, 0);
    ck_assert_uint_eq(apr_hash_count(t3->models), 2);
    ck_assert_int_eq(rec.n202, 3);
    apr_pool_destroy(p3);
    ck_assert_int_eq(rec.other, 0);
}
END_TEST

/* A file with an invalid name added to an otherwise unchanged store is a
 * rejected change too: it must be logged (once), since the next start
 * (gsprov_store_file_open) refuses the store. */
START_TEST(store_reload_bad_name)
{
    logrec_t rec = { 0 };
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, &rec);
    apr_pool_t *p1;
    int i;

    unit_write(d, "groups/Bad.Name.xml", GROUP, -1);
    for (i = 0; i < 3; i++) {
        apr_pool_create(&p1, pool);
        ck_assert_str_eq(value_of(model(gsprov_store_templates(s, p1, 0),
                                        "gxp2170"), "P1"), "model");
        apr_pool_destroy(p1);
    }
    ck_assert_int_eq(rec.n202, 0);
    ck_assert_int_eq(rec.n201, 1);
    ck_assert_msg(strstr(rec.last, apr_pstrcat(pool, d, "/groups/Bad.Name.xml:"
                                               " invalid group file name",
                                               NULL)) != NULL, "%s", rec.last);
    open_err(d, GSPROV_EPARSE);
}
END_TEST

START_TEST(store_device)
{
    logrec_t rec = { 0 };
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, &rec);
    gsprov_device_t *dev = NULL;
    char *err = NULL, *big;
    apr_size_t n = GSPROV_MAX_DEVICE_BYTES + 1;

    ck_assert_status(gsprov_store_device(s, pool, "000b82abcdef", &dev, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(dev->model, "gxp2170");
    ck_assert_str_eq(dev->mac, "000b82abcdef");
    ck_assert_str_eq(dev->label,
                     apr_pstrcat(pool, d, "/devices/000b82abcdef.xml", NULL));
    ck_assert_str_eq(dev->version,
                     gsprov_crypto_sha256_hex(pool, DEVICE, sizeof(DEVICE) - 1));

    dev = NULL;
    ck_assert_status(gsprov_store_device(s, pool, "000b82000000", &dev, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_ptr_null(dev);

    /* exactly at the limit is fine (well-formed, whitespace padding) */
    big = apr_palloc(pool, n);
    memset(big, ' ', n);
    memcpy(big, "<device/>", 9);
    unit_write(d, "devices/000b82000001.xml", big, (long)(n - 1));
    ck_assert_status(gsprov_store_device(s, pool, "000b82000001", &dev, &err),
                     APR_SUCCESS);
    unit_write(d, "devices/000b82000001.xml", big, (long)n);
    ck_assert_status(gsprov_store_device(s, pool, "000b82000001", &dev, &err),
                     GSPROV_ETOOBIG);
    ck_assert_str_eq(err, apr_psprintf(pool, "%s/devices/000b82000001.xml: "
                                       "%lu bytes, over the limit of %lu", d,
                                       (unsigned long)n,
                                       (unsigned long)(n - 1)));

    unit_write(d, "devices/000b82000002.xml", "<device>\n<model>x</model>\n"
               "<grup>a</grup>\n</device>", -1);
    ck_assert_status(gsprov_store_device(s, pool, "000b82000002", &dev, &err),
                     GSPROV_EPARSE);
    ck_assert_str_eq(err, apr_pstrcat(pool, d, "/devices/000b82000002.xml:3: "
                                      "unexpected element <grup> in <device>",
                                      NULL));
}
END_TEST

START_TEST(store_read_file)
{
    const char *d = unit_tmpdir();
    char *buf = NULL, *err = NULL;
    apr_size_t len = 99;

    unit_write(d, "empty", "", 0);
    ck_assert_status(gsprov_fsio_read_file(pool, d, "empty", 10, &buf, &len,
                                           &err), APR_SUCCESS);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(buf, "");
    unit_write(d, "ten", "0123456789", -1);
    ck_assert_status(gsprov_fsio_read_file(pool, d, "ten", 10, &buf, &len,
                                           &err), APR_SUCCESS);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(buf, "0123456789");
    ck_assert_status(gsprov_fsio_read_file(pool, d, "ten", 9, &buf, &len,
                                           &err), GSPROV_ETOOBIG);
    ck_assert_status(gsprov_fsio_read_file(pool, d, "nope", 10, &buf, &len,
                                           &err), APR_ENOENT);
    ck_assert_status(gsprov_fsio_read_file(pool, d, "ten/x", 10, &buf, &len,
                                           &err), APR_ENOENT);
    ck_assert_status(gsprov_fsio_read_file(pool, d, "", 10, &buf, &len, &err),
                     GSPROV_EIO);
    ck_assert_str_eq(err, apr_pstrcat(pool, d, ": not a regular file", NULL));
}
END_TEST

/* ---- every op of the directory store ---------------------------------- */

static const char *rec_xml(apr_pool_t *p, const char *group)
{
    return group ? apr_psprintf(p, "<device>\n<group>%s</group>\n</device>\n",
                                group)
                 : "<device/>\n";
}

/* A store with records 000b820000<01..n>, the odd ones in group "odd". */
static gsprov_store_t *records_store(int n, const char **dir)
{
    const char *d = make_store();
    int i;
    for (i = 1; i <= n; i++)
        unit_write(d, apr_psprintf(pool, "devices/000b820000%02d.xml", i),
                   rec_xml(pool, i % 2 ? "odd" : "even"), -1);
    if (dir)
        *dir = d;
    return open_ok(d, NULL);
}

static gsprov_audit_t *audit_log(const char *path)
{
    gsprov_audit_t *a = NULL;
    char *err = NULL;
    ck_assert_msg(gsprov_audit_open(pool, path, &a, &err) == APR_SUCCESS,
                  "%s", err ? err : "?");
    return a;
}

static gsprov_txn_t *begin_ok(gsprov_store_t *s, gsprov_audit_t *log)
{
    gsprov_txn_t *txn = NULL;
    char *err = NULL;
    ck_assert_msg(gsprov_store_begin(s, pool, log, &txn, &err)
                  == APR_SUCCESS, "begin: %s", err ? err : "?");
    return txn;
}

static json_t *entry(const char *action)
{
    json_t *e = gsprov_json_pool(pool, json_object());
    json_object_set_new(e, "action", json_string(action));
    return e;
}

START_TEST(store_record_get_and_version)
{
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, NULL);
    const char *want = gsprov_crypto_sha256_hex(pool, DEVICE,
                                                sizeof(DEVICE) - 1);
    const char *v = NULL;
    gsprov_blob_t b;
    char *err = NULL;

    ck_assert_status(gsprov_store_record_get(s, pool, "000b82abcdef", &b,
                                             &err), APR_SUCCESS);
    ck_assert_bytes(b.data, b.len, DEVICE);
    ck_assert_int_eq(b.data[b.len], '\0');
    ck_assert_str_eq(b.version, want);
    ck_assert_str_eq(b.label, apr_pstrcat(pool, d,
                                          "/devices/000b82abcdef.xml", NULL));
    ck_assert_status(gsprov_store_record_version(s, pool, "000b82abcdef", &v,
                                                 &err), APR_SUCCESS);
    ck_assert_str_eq(v, want);
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82000000", &b,
                                             &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_version(s, pool, "000b82000000", &v,
                                                 &err), GSPROV_ENOTFOUND);
}
END_TEST

static const char *listed_macs(apr_array_header_t *a)
{
    const char *s = "";
    int i;
    for (i = 0; i < a->nelts; i++)
        s = apr_pstrcat(pool, s, i ? " " : "",
                        APR_ARRAY_IDX(a, i, gsprov_listed_t).mac, NULL);
    return s;
}

START_TEST(store_record_list_paging_and_group)
{
    const char *d;
    gsprov_store_t *s = records_store(5, &d);
    gsprov_list_query_t q = { .after = NULL, .limit = 2 };
    apr_array_header_t *a = NULL;
    gsprov_listed_t *e;
    char *err = NULL;
    int more = -1;

    /* not records: skipped */
    unit_write(d, "devices/.000b82000009.xml.tmp.1.2", "<x", -1);
    unit_write(d, "devices/000B82000008.xml", "<device/>", -1);
    unit_write(d, "devices/000b82000007.xml~", "<device/>", -1);
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(listed_macs(a), "000b82000001 000b82000002");
    ck_assert_int_eq(more, 1);
    e = &APR_ARRAY_IDX(a, 1, gsprov_listed_t);
    ck_assert_ptr_nonnull(e->dev);
    ck_assert_ptr_null(e->err);
    ck_assert_str_eq(APR_ARRAY_IDX(e->dev->groups, 0, const char *), "even");
    q.after = "000b82000002";
    q.limit = 10;
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(listed_macs(a),
                     "000b82000003 000b82000004 000b82000005 000b82abcdef");
    ck_assert_int_eq(more, 0);

    /* group: only its members; "more" when any record follows */
    q.after = NULL;
    q.limit = 2;
    q.group = "odd";
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(listed_macs(a), "000b82000001 000b82000003");
    ck_assert_int_eq(more, 1);
    q.after = "000b82000003";
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(listed_macs(a), "000b82000005");
    ck_assert_int_eq(more, 0);
    q.group = "sales";
    q.after = NULL;
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(listed_macs(a), "000b82abcdef");

    /* an unreadable record is listed with why (no group asked for) */
    unit_write(d, "devices/000b82000002.xml", "<device><nope/></device>", -1);
    q.group = NULL;
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    e = &APR_ARRAY_IDX(a, 1, gsprov_listed_t);
    ck_assert_str_eq(e->mac, "000b82000002");
    ck_assert_ptr_null(e->dev);
    ck_assert_str_eq(e->err, "record:1: unexpected element <nope> in "
                     "<device>");

    /* no devices/ at all: an empty page */
    unit_write(d, "empty/defaults.xml", DEFAULTS, -1);
    s = open_ok(apr_pstrcat(pool, d, "/empty", NULL), NULL);
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 0);
    ck_assert_int_eq(more, 0);
}
END_TEST

/* The listing index is read again after any change to devices/, whoever
 * made it: right after a change (within the same clock tick, perhaps) and
 * once it has been still for a while (the index is then kept). */
START_TEST(store_record_list_index)
{
    const char *d, *dev;
    gsprov_store_t *s = records_store(3, &d);
    gsprov_list_query_t q = { .after = NULL, .limit = 100 };
    apr_array_header_t *a = NULL;
    char *err = NULL;
    int more = -1, round;

    dev = apr_pstrcat(pool, d, "/devices", NULL);
    for (round = 0; round < 2; round++) {
        if (round)
            usleep(2200 * 1000);    /* past the clock-tick margin */
        ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more,
                                                  &err), APR_SUCCESS);
        ck_assert_str_eq(listed_macs(a), "000b82000001 000b82000002 "
                         "000b82000003 000b82abcdef");
        /* a record added (renamed in, as the admin API does) */
        ck_assert_status(gsprov_fsio_write_atomic(pool, d, "devices",
                             "000b82000009.xml", "<device/>", 9, &err),
                         APR_SUCCESS);
        ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more,
                                                  &err), APR_SUCCESS);
        ck_assert_str_eq(listed_macs(a), "000b82000001 000b82000002 "
                         "000b82000003 000b82000009 000b82abcdef");
        /* and removed again, with another one */
        ck_assert_int_eq(unlink(apr_pstrcat(pool, dev, "/000b82000009.xml",
                                            NULL)), 0);
        ck_assert_int_eq(unlink(apr_pstrcat(pool, dev, "/000b82000002.xml",
                                            NULL)), 0);
        ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more,
                                                  &err), APR_SUCCESS);
        ck_assert_str_eq(listed_macs(a), "000b82000001 000b82000003 "
                         "000b82abcdef");
        /* paging from a MAC that is not there any more */
        q.after = "000b82000002";
        ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more,
                                                  &err), APR_SUCCESS);
        ck_assert_str_eq(listed_macs(a), "000b82000003 000b82abcdef");
        q.after = "000b82ABCDEF";
        ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more,
                                                  &err), APR_SUCCESS);
        ck_assert_int_eq(a->nelts, 0);
        ck_assert_int_eq(more, 0);
        q.after = NULL;
        unit_write(d, "devices/000b82000002.xml", rec_xml(pool, "even"), -1);
    }
    /* the directory gone: an empty page */
    ck_assert_int_eq(system(apr_pstrcat(pool, "rm -rf ", dev, NULL)), 0);
    ck_assert_status(gsprov_store_record_list(s, pool, &q, &a, &more, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 0);
}
END_TEST

typedef struct {
    const char *seen;       /* "mac:version-prefix" or "!name" per entry */
    int calls, stop_after;
    apr_ino_t last_ino;     /* records come in inode order */
    int out_of_order;
} walk_t;

static int walk_fn(void *baton, apr_pool_t *p, const char *mac,
                   const gsprov_blob_t *rec, apr_status_t rv,
                   const char *err)
{
    walk_t *w = baton;
    w->calls++;
    if (rv == GSPROV_EBADNAME) {
        ck_assert_ptr_null(mac);
        w->seen = apr_pstrcat(pool, w->seen, "[", err, "]", NULL);
    }
    else {
        ck_assert_status(rv, APR_SUCCESS);
        struct stat st;
        ck_assert_str_eq(rec->version, gsprov_crypto_sha256_hex(
                             p, rec->data, rec->len));
        w->seen = apr_pstrcat(pool, w->seen, "[", mac, "]", NULL);
        ck_assert_int_eq(stat(rec->label, &st), 0);
        w->out_of_order += st.st_ino < w->last_ino;
        w->last_ino = st.st_ino;
    }
    return w->calls == w->stop_after ? 42 : 0;
}

/* record_iterate's callback that also takes refused links: "[mac refused]" */
static int walk_refused(void *baton, apr_pool_t *p, const char *mac,
                        const gsprov_blob_t *rec, apr_status_t rv,
                        const char *err)
{
    walk_t *w = baton;
    if (rv != GSPROV_EOUTSIDE)
        return walk_fn(baton, p, mac, rec, rv, err);
    w->calls++;
    ck_assert_ptr_null(rec);
    ck_assert_ptr_nonnull(strstr(err, "leads outside the store"));
    w->seen = apr_pstrcat(pool, w->seen, "[", mac, " refused]", NULL);
    return 0;
}

START_TEST(store_record_iterate)
{
    const char *d;
    gsprov_store_t *s = records_store(2, &d);
    walk_t w = { "", 0, 0, 0, 0 };
    char *err = NULL;
    const char *stray = apr_pstrcat(pool, "[", d, "/devices/000B82000003.xml:"
                                    " bad device file name (expected 12 "
                                    "lowercase hex digits, then .xml)]",
                                    NULL);

    unit_write(d, "devices/000B82000003.xml", "<device/>", -1);
    unit_write(d, "devices/.000b82000004.xml.tmp.1.2", "<x", -1);
    ck_assert_status(gsprov_store_record_iterate(s, pool, walk_fn, &w, &err),
                     APR_SUCCESS);
    /* every entry once: the stray one reported (first), the records in
     * inode order, hidden files not at all */
    ck_assert_int_eq(w.calls, 4);
    ck_assert_int_eq(w.out_of_order, 0);
    ck_assert_msg(strncmp(w.seen, stray, strlen(stray)) == 0, "%s", w.seen);
    ck_assert_ptr_nonnull(strstr(w.seen, "[000b82000001]"));
    ck_assert_ptr_nonnull(strstr(w.seen, "[000b82000002]"));
    ck_assert_ptr_nonnull(strstr(w.seen, "[000b82abcdef]"));
    ck_assert_msg(strstr(w.seen, stray) != NULL, "%s", w.seen);
    /* stopped by the callback: its value */
    w.calls = 0;
    w.stop_after = 2;
    ck_assert_status(gsprov_store_record_iterate(s, pool, walk_fn, &w, &err),
                     42);
    ck_assert_int_eq(w.calls, 2);
}
END_TEST

START_TEST(store_begin_needs_a_log)
{
    gsprov_store_t *s = open_ok(make_store(), NULL), *lint;
    gsprov_report_t report = { NULL, NULL };
    gsprov_txn_t *txn = NULL;
    char *err = NULL;

    ck_assert_status(gsprov_store_begin(s, pool, NULL, &txn, &err),
                     GSPROV_EAUDIT);
    ck_assert_ptr_null(txn);
    ck_assert_ptr_nonnull(strstr(err, "no audit log"));
    /* the lint store only reads */
    ck_assert_status(gsprov_store_file_lint(pool, make_store(), &report,
                                            &lint), APR_SUCCESS);
    ck_assert_status(gsprov_store_begin(lint, pool, audit_log(apr_pstrcat(
                         pool, unit_tmpdir(), "/a.log", NULL)), &txn, &err),
                     APR_ENOTIMPL);
}
END_TEST

/* no temporary files left behind in dir */
static void no_temp_files(const char *dir)
{
    char *out = NULL;
    unit_run(apr_psprintf(pool, "ls -A %s | grep -c tmp", dir), &out, NULL);
    ck_assert_str_eq(out, "0\n");
}

START_TEST(store_put_delete_durable)
{
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, NULL);
    const char *logp = apr_pstrcat(pool, d, "/audit.log", NULL);
    const char *path = apr_pstrcat(pool, d, "/devices/000b82000001.xml", NULL);
    gsprov_txn_t *txn = begin_ok(s, audit_log(logp));
    gsprov_blob_t cur;
    char *err = NULL, *lines;
    struct stat st;
    mode_t mask = umask(0);

    umask(mask);

    ck_assert_status(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000001", "<device/>",
                                             9, &err), APR_SUCCESS);
    /* durable when it returns, before the commit: on disk, mode 0640 */
    ck_assert_str_eq(unit_read(path, NULL), "<device/>");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640 & ~mask);
    ck_assert_int_eq(access(apr_pstrcat(pool, d, "/.gsprov-locks/"
                                        "device-000b82000001.lock", NULL),
                            F_OK), 0);
    /* only what the transaction locked */
    ck_assert_status(gsprov_store_record_put(txn, "000b82000002", "<x/>", 4,
                                             &err), APR_EINVAL);
    ck_assert_status(gsprov_store_record_delete(txn, "000b82abcdef", &err),
                     APR_EINVAL);
    ck_assert_int_eq(access(apr_pstrcat(pool, d, "/devices/000b82000002.xml",
                                        NULL), F_OK), -1);
    ck_assert_status(gsprov_store_audit(txn, entry("put"), &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);
    /* ended: a second commit says so, a rollback is harmless */
    ck_assert_status(gsprov_store_commit(txn, &err), APR_EINVAL);
    gsprov_store_rollback(txn);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000001", "<x/>", 4,
                                             &err), APR_EINVAL);
    ck_assert_str_eq(unit_read(path, NULL), "<device/>");

    /* replace, then delete */
    txn = begin_ok(s, audit_log(logp));
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), APR_SUCCESS);
    ck_assert_bytes(cur.data, cur.len, "<device/>");
    ck_assert_status(gsprov_store_record_put(txn, "000b82000001",
                                             "<device></device>", 17, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(unit_read(path, NULL), "<device></device>");
    ck_assert_status(gsprov_store_record_delete(txn, "000b82000001", &err),
                     APR_SUCCESS);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_status(gsprov_store_record_delete(txn, "000b82000001", &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_audit(txn, entry("delete"), &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);
    no_temp_files(apr_pstrcat(pool, d, "/devices", NULL));
    lines = unit_read(logp, NULL);
    ck_assert_msg(!strncmp(lines, "{\"time\":\"", 9), "%s", lines);
    ck_assert_ptr_nonnull(strstr(lines, "\",\"action\":\"put\"}\n{\"time\":"));
    ck_assert_ptr_nonnull(strstr(lines, "\",\"action\":\"delete\"}\n"));
    ck_assert_ptr_null(strstr(strstr(lines, "delete"), "{"));

    /* a record that cannot be read is locked all the same */
    unit_write(d, "devices/000b82000003.xml", "", 0);
    chmod(apr_pstrcat(pool, d, "/devices/000b82000003.xml", NULL), 0);
    unit_write(d, "devices/000b82000004.xml", apr_psprintf(pool, "%*s",
               GSPROV_MAX_DEVICE_BYTES + 1, ""), -1);
    txn = begin_ok(s, audit_log(logp));
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000004", &cur,
                                              &err), GSPROV_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "over the limit"));
    ck_assert_status(gsprov_store_record_delete(txn, "000b82000004", &err),
                     APR_SUCCESS);
    if (geteuid() != 0)     /* root reads it anyway */
        ck_assert_status(gsprov_store_record_lock(txn, "000b82000003", &cur,
                                                  &err), GSPROV_ECORRUPT);
    gsprov_store_rollback(txn);
}
END_TEST

START_TEST(store_rollback_writes_no_audit)
{
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, NULL);
    const char *logp = apr_pstrcat(pool, unit_tmpdir(), "/audit.log", NULL);
    gsprov_txn_t *txn = begin_ok(s, audit_log(logp));
    gsprov_blob_t cur;
    char *err = NULL;

    ck_assert_status(gsprov_store_record_lock(txn, "000b82abcdef", &cur,
                                              &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_audit(txn, entry("x"), &err), APR_SUCCESS);
    gsprov_store_rollback(txn);
    ck_assert_str_eq(unit_read(logp, NULL), "");
    /* the lock is free again */
    txn = begin_ok(s, audit_log(logp));
    ck_assert_status(gsprov_store_record_lock(txn, "000b82abcdef", &cur,
                                              &err), APR_SUCCESS);
    gsprov_store_rollback(txn);
}
END_TEST

START_TEST(store_commit_audit_fails)
{
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, NULL);
    gsprov_txn_t *txn = begin_ok(s, audit_log("/dev/full"));
    gsprov_blob_t cur;
    char *err = NULL;

    ck_assert_status(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_put(txn, "000b82000001", "<device/>",
                                             9, &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_audit(txn, entry("x"), &err), APR_SUCCESS);
    err = NULL;
    ck_assert_status(gsprov_store_commit(txn, &err), GSPROV_EAUDIT);
    ck_assert_ptr_nonnull(strstr(err, "/dev/full: cannot append to the audit "
                                 "log"));
    /* the change took effect, the lock is dropped */
    ck_assert_str_eq(unit_read(apr_pstrcat(pool, d, "/devices/000b82000001"
                                           ".xml", NULL), NULL), "<device/>");
    txn = begin_ok(s, audit_log("/dev/full"));
    ck_assert_status(gsprov_store_record_lock(txn, "000b82000001", &cur,
                                              &err), APR_SUCCESS);
    gsprov_store_rollback(txn);
}
END_TEST

/* A second transaction (another process) waits for the first one's lock
 * and then reads what it wrote.  The child is forked before the lock is
 * taken: a child would share (and so keep) the parent's flock otherwise. */
START_TEST(store_lock_excludes)
{
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, NULL);
    const char *logp = apr_pstrcat(pool, unit_tmpdir(), "/audit.log", NULL);
    gsprov_txn_t *txn;
    gsprov_activation_t *act;
    gsprov_blob_t cur;
    char *err = NULL, go;
    int st = -1, fds[2];
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        gsprov_txn_t *t2 = NULL;
        gsprov_blob_t c2;
        int rc = 10;
        close(fds[1]);
        if (read(fds[0], &go, 1) == 1
            && gsprov_store_begin(s, pool, audit_log(logp), &t2, &err) == 0
            && gsprov_store_record_lock(t2, "000b82abcdef", &c2, &err) == 0)
            rc = c2.len == 9 && !memcmp(c2.data, "<device/>", 9) ? 0 : 11;
        _exit(rc);
    }
    close(fds[0]);
    txn = begin_ok(s, audit_log(logp));
    ck_assert_status(gsprov_store_activation_lock(txn, "77", &act, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_record_lock(txn, "000b82abcdef", &cur,
                                              &err), APR_SUCCESS);
    /* locking again in the same transaction does not wait for itself */
    ck_assert_status(gsprov_store_record_lock(txn, "000b82abcdef", &cur,
                                              &err), APR_SUCCESS);
    ck_assert_int_eq(write(fds[1], "g", 1), 1);
    close(fds[1]);
    usleep(300 * 1000);
    ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);    /* still waiting */
    ck_assert_status(gsprov_store_record_put(txn, "000b82abcdef", "<device/>",
                                             9, &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(store_activation_round_trip)
{
    const char *d = make_store();
    gsprov_store_t *s = open_ok(d, NULL);
    const char *logp = apr_pstrcat(pool, unit_tmpdir(), "/audit.log", NULL);
    const char *path = apr_pstrcat(pool, d, "/activations/5551001.json", NULL);
    gsprov_activation_t a, *got = NULL;
    gsprov_txn_t *txn = begin_ok(s, audit_log(logp));
    char *err = NULL;

    memset(&a, 0, sizeof(a));
    a.number = "5551001";
    a.pin_hash = "pbkdf2-sha256$1000$c2FsdA==$aGFzaA==";
    a.created = 1700000000;
    a.expires = 1700604800;
    a.profile = "{\"groups\":[\"sales\"],\"vars\":{\"ext\":\"7\"}}";
    ck_assert_status(gsprov_store_activation_put(txn, &a, &err), APR_EINVAL);
    ck_assert_status(gsprov_store_activation_lock(txn, "5551001", &got, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(gsprov_store_activation_put(txn, &a, &err), APR_SUCCESS);
    /* byte for byte the format activations have always had */
    ck_assert_str_eq(unit_read(path, NULL),
        "{\"number\":\"5551001\",\"pin\":\"pbkdf2-sha256$1000$c2FsdA==$aGFzaA"
        "==\",\"created\":1700000000,\"expires\":1700604800,\"failures\":0,"
        "\"claimed_by\":null,\"profile\":{\"groups\":[\"sales\"],\"vars\":"
        "{\"ext\":\"7\"}}}");
    a.failures = 2;
    a.claimed_by = "000b82000001";
    ck_assert_status(gsprov_store_activation_put(txn, &a, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(unit_read(path, NULL), "\"failures\":2,"
                                 "\"claimed_by\":\"000b82000001\",\"profile"));
    ck_assert_status(gsprov_store_commit(txn, &err), APR_SUCCESS);

    ck_assert_status(gsprov_store_activation_get(s, pool, "5551001", &got,
                                                 &err), APR_SUCCESS);
    ck_assert_str_eq(got->number, "5551001");
    ck_assert_str_eq(got->pin_hash, a.pin_hash);
    ck_assert(got->created == 1700000000 && got->expires == 1700604800);
    ck_assert_int_eq(got->failures, 2);
    ck_assert_str_eq(got->claimed_by, "000b82000001");
    ck_assert_str_eq(got->profile, a.profile);
    ck_assert_str_eq(got->label, path);

    /* not an activation: corrupt, but locked and removable */
    unit_write(d, "activations/5551001.json", "{\"pin\":1}", -1);
    ck_assert_status(gsprov_store_activation_get(s, pool, "5551001", &got,
                                                 &err), GSPROV_ECORRUPT);
    ck_assert_str_eq(err, apr_pstrcat(pool, path, ": not a valid activation "
                                      "file", NULL));
    txn = begin_ok(s, audit_log(logp));
    ck_assert_status(gsprov_store_activation_lock(txn, "5551001", &got, &err),
                     GSPROV_ECORRUPT);
    ck_assert_status(gsprov_store_activation_delete(txn, "5551001", &err),
                     APR_SUCCESS);
    ck_assert_status(gsprov_store_activation_delete(txn, "5551001", &err),
                     GSPROV_ENOTFOUND);
    gsprov_store_rollback(txn);
    /* ended: a second rollback is harmless, a commit reports the end */
    gsprov_store_rollback(txn);
    ck_assert_status(gsprov_store_commit(txn, &err), APR_EINVAL);
    ck_assert_status(gsprov_store_activation_get(s, pool, "5551001", &got,
                                                 &err), GSPROV_ENOTFOUND);
    ck_assert_int_eq(access(apr_pstrcat(pool, d, "/.gsprov-locks/"
                                        "activation-5551001.lock", NULL),
                            F_OK), 0);
    no_temp_files(apr_pstrcat(pool, d, "/activations", NULL));
}
END_TEST

/* ---- links out of the store's root ------------------------------------ */

/* A store like make_store()'s in its own folder of the test's directory. */
static const char *store_in(const char *name)
{
    const char *d = apr_pstrcat(pool, unit_tmpdir(), "/", name, NULL);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    unit_write(d, "defaults.xml", DEFAULTS, -1);
    unit_write(d, "models/gxp2170.xml", MODEL, -1);
    unit_write(d, "groups/sales.xml", GROUP, -1);
    unit_write(d, "devices/000b82abcdef.xml", DEVICE, -1);
    return d;
}

/* dir/rel becomes a symbolic link to target */
static void link_to(const char *target, const char *dir, const char *rel)
{
    const char *path = apr_pstrcat(pool, dir, "/", rel, NULL);
    unit_run(apr_psprintf(pool, "rm -rf '%s'", path), NULL, NULL);
    ck_assert_msg(symlink(target, path) == 0, "symlink %s", path);
}

static const char *refused(const char *dir, const char *rel)
{
    return apr_pstrcat(pool, dir, "/", rel, ": leads outside the store ", dir,
                       " (a link out of GsProvRoot), refused", NULL);
}

/* Tenant A's record linked to tenant B's (absolute or relative): A never
 * gets B's bytes, and the message names A's file, not B's. */
START_TEST(store_links_out_of_root_refused)
{
    const char *a = store_in("a"), *b = store_in("b");
    const char *secret = "<device><password>b-secret</password></device>";
    const char *bdev = apr_pstrcat(pool, b, "/devices/000b82000001.xml", NULL);
    gsprov_store_t *s = open_ok(a, NULL);
    gsprov_blob_t blob;
    const char *version = NULL;
    walk_t w = { "", 0, 0, 0, 0 };
    char *err = NULL;

    unit_write(b, "devices/000b82000001.xml", secret, -1);
    link_to(bdev, a, "devices/000b82ff0001.xml");
    link_to("../../b/devices/000b82000001.xml", a, "devices/000b82ff0002.xml");
    link_to("/etc/passwd", a, "devices/000b82ff0003.xml");
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82ff0001", &blob,
                                             &err), GSPROV_EOUTSIDE);
    ck_assert_str_eq(err, refused(a, "devices/000b82ff0001.xml"));
    ck_assert_ptr_null(strstr(err, "/b/"));
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82ff0002", &blob,
                                             &err), GSPROV_EOUTSIDE);
    ck_assert_str_eq(err, refused(a, "devices/000b82ff0002.xml"));
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82ff0003", &blob,
                                             &err), GSPROV_EOUTSIDE);
    ck_assert_status(gsprov_store_record_version(s, pool, "000b82ff0001",
                                                 &version, &err),
                     GSPROV_EOUTSIDE);
    ck_assert_ptr_null(version);
    /* a walk (lint, export) reports them as unreadable, nothing more */
    w.seen = "";
    {
        apr_status_t rv = gsprov_store_record_iterate(s, pool, walk_refused,
                                                      &w, &err);
        ck_assert_status(rv, APR_SUCCESS);
    }
    ck_assert_int_eq(w.calls, 4);
    ck_assert_msg(strstr(w.seen, "[000b82ff0001 refused]")
                  && strstr(w.seen, "[000b82ff0002 refused]")
                  && strstr(w.seen, "[000b82ff0003 refused]")
                  && strstr(w.seen, "[000b82abcdef]")
                  && !strstr(w.seen, "b-secret"), "%s", w.seen);

    /* links that stay inside the root work, relative or absolute */
    link_to("000b82abcdef.xml", a, "devices/000b82000002.xml");
    link_to(apr_pstrcat(pool, a, "/devices/000b82abcdef.xml", NULL), a,
            "devices/000b82000003.xml");
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82000002", &blob,
                                             &err), APR_SUCCESS);
    ck_assert_str_eq(blob.data, DEVICE);
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82000003", &blob,
                                             &err), APR_SUCCESS);
    ck_assert_str_eq(blob.data, DEVICE);
    /* and a root that is itself a link (the operator's choice) */
    link_to(a, unit_tmpdir(), "a-link");
    s = open_ok(apr_pstrcat(pool, unit_tmpdir(), "/a-link", NULL), NULL);
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82000003", &blob,
                                             &err), APR_SUCCESS);
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82ff0001", &blob,
                                             &err), GSPROV_EOUTSIDE);

    /* devices/ itself a link to B's: not listed, not read */
    s = open_ok(a, NULL);
    link_to(apr_pstrcat(pool, b, "/devices", NULL), a, "devices");
    ck_assert_status(gsprov_store_record_get(s, pool, "000b82000001", &blob,
                                             &err), GSPROV_EOUTSIDE);
    {
        gsprov_list_query_t q = { .after = NULL, .limit = 10 };
        apr_array_header_t *items;
        int more;
        ck_assert_status(gsprov_store_record_list(s, pool, &q, &items, &more,
                                                  &err), GSPROV_EOUTSIDE);
        ck_assert_str_eq(err, refused(a, "devices"));
    }
    /* nor written through */
    {
        gsprov_txn_t *txn = begin_ok(s, audit_log(apr_pstrcat(
                                         pool, unit_tmpdir(), "/audit.log",
                                         NULL)));
        ck_assert_status(gsprov_store_record_lock(txn, "000b82000009", &blob,
                                                  &err), GSPROV_ECORRUPT);
        ck_assert_status(gsprov_store_record_put(txn, "000b82000009",
                                                 "<device/>", 9, &err),
                         GSPROV_EOUTSIDE);
        gsprov_store_rollback(txn);
        ck_assert_int_eq(access(apr_pstrcat(pool, b, "/devices/000b82000009"
                                            ".xml", NULL), F_OK), -1);
    }
}
END_TEST

/* Templates, a group, a template folder and redirect.map linked to
 * another tenant's: the store does not open (apachectl -t fails), and a
 * reload keeps the last good templates (GSPROV0201). */
START_TEST(store_template_links_out_of_root_refused)
{
    const char *a = store_in("a"), *b = store_in("b");
    logrec_t rec = { 0 };
    gsprov_store_t *s;
    const gsprov_templates_t *t;
    const char *err;

    unit_write(b, "groups/b-only.xml", GROUP, -1);
    unit_write(b, GSPROV_REDIRECT_MAP_FILE, "000b82000001 other.example\n",
               -1);
    link_to(apr_pstrcat(pool, b, "/groups/b-only.xml", NULL), a,
            "groups/b-only.xml");
    err = open_err(a, GSPROV_EOUTSIDE);
    ck_assert_str_eq(err, refused(a, "groups/b-only.xml"));
    remove(apr_pstrcat(pool, a, "/groups/b-only.xml", NULL));
    link_to("../b/defaults.xml", a, "defaults.xml");
    ck_assert_str_eq(open_err(a, GSPROV_EOUTSIDE), refused(a, "defaults.xml"));
    remove(apr_pstrcat(pool, a, "/defaults.xml", NULL));
    unit_write(a, "defaults.xml", DEFAULTS, -1);
    link_to(apr_pstrcat(pool, b, "/" GSPROV_REDIRECT_MAP_FILE, NULL), a,
            GSPROV_REDIRECT_MAP_FILE);
    ck_assert_str_eq(open_err(a, GSPROV_EOUTSIDE),
                     refused(a, GSPROV_REDIRECT_MAP_FILE));
    remove(apr_pstrcat(pool, a, "/" GSPROV_REDIRECT_MAP_FILE, NULL));
    link_to(apr_pstrcat(pool, b, "/models", NULL), a, "models");
    ck_assert_str_eq(open_err(a, GSPROV_EOUTSIDE), refused(a, "models"));
    unit_run(apr_psprintf(pool, "rm %s/models", a), NULL, NULL);
    unit_write(a, "models/gxp2170.xml", MODEL, -1);

    /* a group shared inside the root keeps working */
    unit_write(a, "shared/common.xml", GROUP, -1);
    link_to("../shared/common.xml", a, "groups/common.xml");
    s = open_ok(a, &rec);
    t = gsprov_store_templates(s, pool, apr_time_from_sec(3600));
    ck_assert_ptr_nonnull(apr_hash_get(t->groups, "common",
                                       APR_HASH_KEY_STRING));
    /* at reload: refused, logged once, the last good set still served */
    link_to(apr_pstrcat(pool, b, "/groups/b-only.xml", NULL), a,
            "groups/b-only.xml");
    t = gsprov_store_templates(s, pool, 0);
    ck_assert_int_eq(rec.n201, 1);
    ck_assert_msg(strstr(rec.last, refused(a, "groups/b-only.xml")) != NULL,
                  "%s", rec.last);
    ck_assert_ptr_null(apr_hash_get(t->groups, "b-only",
                                    APR_HASH_KEY_STRING));
    ck_assert_ptr_nonnull(apr_hash_get(t->groups, "common",
                                       APR_HASH_KEY_STRING));
    t = gsprov_store_templates(s, pool, 0);
    ck_assert_int_eq(rec.n201, 1);
}
END_TEST

/* The same containment where the kernel has no openat2 (older kernels,
 * seccomp, valgrind): a child process refused openat2 by a seccomp filter
 * runs the reads and writes, the parent checks what they returned. */
static void refuse_openat2(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        _exit(99);
}

START_TEST(store_links_without_openat2)
{
    const char *a = store_in("a"), *b = store_in("b");
    struct { const char *rel; apr_status_t want; } reads[] = {
        { "devices/000b82abcdef.xml", APR_SUCCESS },
        { "devices/000b82000002.xml", APR_SUCCESS },    /* link inside */
        { "devices/000b82000003.xml", APR_SUCCESS },    /* absolute, inside */
        { "devices/000b82ff0001.xml", GSPROV_EOUTSIDE },
        { "devices/000b82ff0002.xml", GSPROV_EOUTSIDE },
        { "devices/000b82999999.xml", APR_ENOENT },     /* missing */
        { "defaults.xml/x", APR_ENOENT },               /* not a folder */
        { "out/000b82000001.xml", GSPROV_EOUTSIDE },    /* folder out */
        { "out/000b82999999.xml", GSPROV_EOUTSIDE },    /* missing there */
        { "../b/defaults.xml", GSPROV_EOUTSIDE },
    };
    apr_status_t got[sizeof(reads) / sizeof(reads[0]) + 3];
    const size_t n = sizeof(reads) / sizeof(reads[0]);
    int fds[2], st;
    size_t i;
    pid_t pid;

    unit_write(b, "devices/000b82000001.xml", "<device/>", -1);
    link_to("000b82abcdef.xml", a, "devices/000b82000002.xml");
    link_to(apr_pstrcat(pool, a, "/devices/000b82abcdef.xml", NULL), a,
            "devices/000b82000003.xml");
    link_to(apr_pstrcat(pool, b, "/devices/000b82000001.xml", NULL), a,
            "devices/000b82ff0001.xml");
    link_to("../../b/devices/000b82000001.xml", a, "devices/000b82ff0002.xml");
    link_to(apr_pstrcat(pool, b, "/devices", NULL), a, "out");
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        apr_array_header_t *names;
        struct open_how how;
        char *buf, *err = NULL;
        apr_size_t len;

        close(fds[0]);
        refuse_openat2();
        memset(&how, 0, sizeof(how));
        got[n] = syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)) < 0
                 && errno == ENOSYS ? APR_SUCCESS : APR_EGENERAL;
        for (i = 0; i < n; i++)
            got[i] = gsprov_fsio_read_file(pool, a, reads[i].rel, 4096,
                                           &buf, &len, &err);
        got[n + 1] = gsprov_fsio_list(pool, a, "out", &names, &err);
        got[n + 2] = gsprov_fsio_write_atomic(pool, a, "out", "x.xml", "x", 1,
                                              &err);
        _exit(write(fds[1], got, sizeof(got)) == (ssize_t)sizeof(got)
              ? 0 : 98);
    }
    close(fds[1]);
    ck_assert_int_eq(read(fds[0], got, sizeof(got)), (ssize_t)sizeof(got));
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);
    ck_assert_msg(got[n] == APR_SUCCESS, "openat2 was not refused");
    for (i = 0; i < n; i++)
        ck_assert_msg(got[i] == reads[i].want, "%s: status %d, expected %d",
                      reads[i].rel, (int)got[i], (int)reads[i].want);
    ck_assert_status(got[n + 1], GSPROV_EOUTSIDE);
    ck_assert_status(got[n + 2], GSPROV_EOUTSIDE);
    ck_assert_int_eq(access(apr_pstrcat(pool, b, "/devices/x.xml", NULL),
                            F_OK), -1);
}
END_TEST

/* An activation linked to another tenant's: refused (500), never read,
 * and not taken for a replaceable one either. */
START_TEST(store_activation_link_refused)
{
    const char *a = store_in("a"), *b = store_in("b");
    gsprov_store_t *s = open_ok(a, NULL);
    gsprov_activation_t *got = NULL;
    char *err = NULL;

    unit_write(b, "activations/42.json", "{}", -1);
    unit_write(a, "activations/.keep", "", -1);
    link_to(apr_pstrcat(pool, b, "/activations/42.json", NULL), a,
            "activations/42.json");
    ck_assert_status(gsprov_store_activation_get(s, pool, "42", &got, &err),
                     GSPROV_EOUTSIDE);
    ck_assert_str_eq(err, refused(a, "activations/42.json"));
}
END_TEST

/* Temporary files of writers killed mid-write are removed when the store
 * opens, if they are old enough not to be a live writer's. */
START_TEST(store_open_removes_stale_temps)
{
    const char *d = make_store();
    logrec_t rec = { 0 };
    const char *old[] = { "devices/.000b82000001.xml.tmp.11.12",
                          "activations/.5551.json.tmp.11.12" };
    const char *keep[] = { "devices/.000b82000002.xml.tmp.13.14",
                           "devices/.notes", "devices/000b82abcdef.xml" };
    struct timespec ts[2];
    unsigned i;

    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - GSPROV_STALE_TEMP_SECONDS - 60;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    for (i = 0; i < 2; i++) {
        unit_write(d, old[i], "<x", -1);
        ck_assert_int_eq(utimensat(AT_FDCWD, apr_pstrcat(pool, d, "/", old[i],
                                                         NULL), ts, 0), 0);
    }
    unit_write(d, keep[0], "<x", -1);
    unit_write(d, keep[1], "x", -1);
    ck_assert_int_eq(utimensat(AT_FDCWD, apr_pstrcat(pool, d, "/", keep[1],
                                                     NULL), ts, 0), 0);
    open_ok(d, &rec);
    for (i = 0; i < 2; i++)
        ck_assert_msg(access(apr_pstrcat(pool, d, "/", old[i], NULL), F_OK)
                      != 0, "%s still there", old[i]);
    for (i = 0; i < 3; i++)
        ck_assert_msg(access(apr_pstrcat(pool, d, "/", keep[i], NULL), F_OK)
                      == 0, "%s removed", keep[i]);
    ck_assert_int_eq(rec.other, 2);
    ck_assert_str_eq(rec.last, apr_pstrcat(pool, "GSPROV0203: ", d,
                                           "/activations: removed 1 "
                                           "temporary file(s) of interrupted "
                                           "writes", NULL));
    ck_assert_int_eq(rec.last_level, GSPROV_LOG_INFO);
}
END_TEST

Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = unit_tcase("store");
    tcase_add_test(tc, store_open);
    tcase_add_test(tc, store_open_empty_dir);
    tcase_add_test(tc, store_open_missing);
    tcase_add_test(tc, store_open_broken_template);
    tcase_add_test(tc, store_open_bad_file_names);
    tcase_add_test(tc, store_open_template_too_big);
    tcase_add_test(tc, store_reload);
    tcase_add_test(tc, store_reload_bad_name);
    tcase_add_test(tc, store_device);
    tcase_add_test(tc, store_read_file);
    tcase_add_test(tc, store_record_get_and_version);
    tcase_add_test(tc, store_record_list_paging_and_group);
    tcase_add_test(tc, store_record_list_index);
    tcase_add_test(tc, store_record_iterate);
    tcase_add_test(tc, store_begin_needs_a_log);
    tcase_add_test(tc, store_put_delete_durable);
    tcase_add_test(tc, store_rollback_writes_no_audit);
    tcase_add_test(tc, store_commit_audit_fails);
    tcase_add_test(tc, store_lock_excludes);
    tcase_add_test(tc, store_activation_round_trip);
    tcase_add_test(tc, store_links_out_of_root_refused);
    tcase_add_test(tc, store_template_links_out_of_root_refused);
    tcase_add_test(tc, store_links_without_openat2);
    tcase_add_test(tc, store_activation_link_refused);
    tcase_add_test(tc, store_open_removes_stale_temps);
    suite_add_tcase(s, tc);
    return s;
}
