#include <stdlib.h>
#include "unit.h"
#include "gsprov_store.h"
#include "gsprov_fsio.h"
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

    ck_assert_str_eq(s->name, d);
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
    ck_assert_str_eq(gsprov_device_version(pool, dev),
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
    ck_assert_status(gsprov_fsio_read_file(pool, apr_pstrcat(pool, d, "/empty",
                                                        NULL), 10, &buf, &len,
                                      &err), APR_SUCCESS);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(buf, "");
    unit_write(d, "ten", "0123456789", -1);
    ck_assert_status(gsprov_fsio_read_file(pool, apr_pstrcat(pool, d, "/ten", NULL),
                                      10, &buf, &len, &err), APR_SUCCESS);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(buf, "0123456789");
    ck_assert_status(gsprov_fsio_read_file(pool, apr_pstrcat(pool, d, "/ten", NULL),
                                      9, &buf, &len, &err), GSPROV_ETOOBIG);
    ck_assert_status(gsprov_fsio_read_file(pool, apr_pstrcat(pool, d, "/nope",
                                                        NULL), 10, &buf, &len,
                                      &err), APR_ENOENT);
    ck_assert_status(gsprov_fsio_read_file(pool, apr_pstrcat(pool, d, "/ten/x",
                                                        NULL), 10, &buf, &len,
                                      &err), APR_ENOENT);
    ck_assert_status(gsprov_fsio_read_file(pool, d, 10, &buf, &len, &err),
                     GSPROV_EIO);
    ck_assert_str_eq(err, apr_pstrcat(pool, d, ": not a regular file", NULL));
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
    suite_add_tcase(s, tc);
    return s;
}
