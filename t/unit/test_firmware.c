/* Firmware: rollout buckets, layered version variables, prefix/postfix,
 * files and links under the firmware root. */
#include <stdlib.h>
#include <unistd.h>
#include <limits.h>
#include <openssl/evp.h>
#include "unit.h"
#include "gsprov_firmware.h"
#include "gsprov_rollout.h"

static gsprov_store_t *store;
static const gsprov_templates_t *tmpl;
static const char *fwroot;

static void setup_store(void)
{
    const char *d = unit_tmpdir();
    gsprov_logger_t log = { NULL, NULL, GSPROV_LOG_DEBUG, NULL };
    char *err = NULL;
    char real[PATH_MAX];

    unit_write(d, "store/defaults.xml",
               "<gs_provision><var name=\"firmware\">1.0</var>"
               "<config version=\"1\"><P1>x</P1></config></gs_provision>", -1);
    unit_write(d, "store/models/gxp2170.xml",
               "<gs_provision><var name=\"firmware\">1.1</var>"
               "<config version=\"1\"/></gs_provision>", -1);
    unit_write(d, "store/groups/early.xml",
               "<gs_provision><var name=\"firmware\">1.2</var>"
               "<config version=\"1\"><P232>gs_</P232><P233>_${firmware}"
               "</P233></config></gs_provision>", -1);
    unit_write(d, "store/groups/late.xml",
               "<gs_provision><var name=\"firmware\">1.3</var>"
               "<config version=\"1\"/></gs_provision>", -1);
    unit_write(d, "store/groups/canary.xml",
               "<gs_provision><var name=\"firmware.next\">2.0</var>"
               "<var name=\"firmware.next.percent\">50</var>"
               "<config version=\"1\"/></gs_provision>", -1);
    unit_write(d, "store/groups/all-next.xml",
               "<gs_provision><var name=\"firmware.next\">2.0</var>"
               "<var name=\"firmware.next.percent\">100</var>"
               "<config version=\"1\"><P233>_${firmware}</P233></config>"
               "</gs_provision>", -1);
    unit_write(d, "store/devices/000b82000005.xml",
               "<device><group>all-next</group>"
               "<var name=\"firmware\">1.1</var></device>", -1);
    unit_write(d, "store/devices/000b82000001.xml",
               "<device><model>gxp2170</model></device>", -1);
    unit_write(d, "store/devices/000b82000002.xml",
               "<device><model>gxp2170</model><group>early</group>"
               "<group>late</group></device>", -1);
    unit_write(d, "store/devices/000b82000003.xml",
               "<device><model>gxp2170</model><group>early</group>"
               "<var name=\"firmware\">9.9</var></device>", -1);
    unit_write(d, "store/devices/000b82000004.xml",
               "<device><group>early</group></device>", -1);
    unit_write(d, "fw/1.0/f.bin", "one-zero", -1);
    unit_write(d, "fw/1.1/f.bin", "one-one", -1);
    unit_write(d, "fw/1.2/f.bin", "one-two", -1);
    unit_write(d, "fw/1.3/f.bin", "one-three", -1);
    unit_write(d, "fw/2.0/f.bin", "two", -1);
    unit_write(d, "secret", "outside", -1);
    ck_assert_int_eq(symlink("../../secret", apr_pstrcat(pool, d,
                                                         "/fw/1.0/out.bin",
                                                         NULL)), 0);
    ck_assert_int_eq(symlink("f.bin", apr_pstrcat(pool, d, "/fw/1.0/in.bin",
                                                  NULL)), 0);
    ck_assert_status(gsprov_store_file_open(pool, apr_pstrcat(pool, d,
                                                              "/store", NULL),
                                            &log, &store, &err), APR_SUCCESS);
    tmpl = gsprov_store_templates(store, pool, apr_time_from_sec(3600));
    ck_assert_ptr_nonnull(realpath(apr_pstrcat(pool, d, "/fw", NULL), real));
    fwroot = apr_pstrdup(pool, real);
}

static apr_status_t resolve(const char *mac, const char *name, gsprov_fw_t *fw,
                            char **err)
{
    gsprov_settings_t set;
    gsprov_context_t ctx;
    apr_status_t rv;

    memset(&set, 0, sizeof(set));
    set.tenant_vars = unit_hash("firmware", "0.9", NULL);
    rv = gsprov_context(pool, store, tmpl, mac, NULL, &set, &ctx, err);
    if (rv != APR_SUCCESS)
        return rv;
    return gsprov_firmware_resolve(pool, &ctx, fwroot, name, fw, err);
}

/* Layering: defaults < model < groups in order < device. */
START_TEST(fw_pinning)
{
    gsprov_fw_t fw;
    char *err = NULL;

    setup_store();
    ck_assert_status(resolve(NULL, "f.bin", &fw, &err), APR_SUCCESS);
    ck_assert_str_eq(fw.version, "1.0");                 /* defaults */
    ck_assert_status(resolve("000b82000001", "f.bin", &fw, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(fw.version, "1.1");                 /* model */
    ck_assert_status(resolve("000b82000002", "f.bin", &fw, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(fw.version, "1.3");                 /* later group */
    /* device: 9.9, which the firmware store does not have */
    ck_assert_status(resolve("000b82000003", "f.bin", &fw, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_str_eq(fw.version, "9.9");
    ck_assert_str_eq(err, "000b82000003: no file 9.9/f.bin");
}
END_TEST

START_TEST(fw_files)
{
    gsprov_fw_t fw;
    char *err = NULL;

    setup_store();
    ck_assert_status(resolve("000b82000003", "f.bin", &fw, &err),
                     GSPROV_ENOTFOUND);                  /* no 9.9/f.bin */
    ck_assert_status(resolve(NULL, "out.bin", &fw, &err), GSPROV_ENOTFOUND);
    ck_assert_msg(strstr(err, "outside the firmware root") != NULL, "%s", err);
    ck_assert_status(resolve(NULL, "in.bin", &fw, &err), APR_SUCCESS);
    ck_assert_str_eq(fw.path, apr_pstrcat(pool, fwroot, "/1.0/f.bin", NULL));
    ck_assert_status(resolve(NULL, "missing.bin", &fw, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(resolve(NULL, "..", &fw, &err), GSPROV_ENOTFOUND);
    ck_assert_status(resolve(NULL, ".hidden", &fw, &err), GSPROV_ENOTFOUND);
    ck_assert_int_eq(gsprov_firmware_name_valid("gxp2170fw.bin", 13), 1);
    ck_assert_int_eq(gsprov_firmware_name_valid("a/b", 3), 0);
    ck_assert_int_eq(gsprov_firmware_name_valid("a b", 3), 0);
    ck_assert_int_eq(gsprov_firmware_name_valid("", 0), 0);
}
END_TEST

/* <P232>file<P233> with the device's own values (P233 uses a variable). */
START_TEST(fw_affixes)
{
    gsprov_fw_t fw;
    char *err = NULL;

    setup_store();
    ck_assert_status(resolve("000b82000004", "gs_f.bin_1.2", &fw, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(fw.file, "f.bin");
    ck_assert_str_eq(fw.version, "1.2");
    ck_assert_status(resolve("000b82000004", "f.bin", &fw, &err),
                     APR_SUCCESS);                       /* plain name too */
    ck_assert_status(resolve("000b82000004", "gs_f.bin_9", &fw, &err),
                     GSPROV_ENOTFOUND);                  /* not stripped */
}
END_TEST

/* The bucket is the documented hash, so anyone can predict it. */
START_TEST(fw_bucket_formula)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    unsigned long v;
    const char *s = "000b82123456:1.0.12.1";

    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    v = (unsigned long)md[0] << 24 | (unsigned long)md[1] << 16
        | (unsigned long)md[2] << 8 | md[3];
    ck_assert_double_eq_tol(gsprov_rollout_bucket("000b82123456", "1.0.12.1"),
                            (double)(v % 10000) / 100.0, 1e-9);
}
END_TEST

/* 10,000 MACs: each target percentage is hit within +-2 points, and the
 * same MAC always lands in the same bucket. */
START_TEST(fw_bucket_spread)
{
    static const double pct[] = { 1, 10, 25, 50, 90 };
    int hits[5] = { 0 }, i, k;
    char mac[13];

    for (i = 0; i < 10000; i++) {
        double b;
        apr_snprintf(mac, sizeof(mac), "c074ad%06x", i * 7919 % 0xffffff);
        b = gsprov_rollout_bucket(mac, "1.0.12.1");
        ck_assert(b >= 0 && b < 100);
        ck_assert_double_eq(b, gsprov_rollout_bucket(mac, "1.0.12.1"));
        for (k = 0; k < 5; k++)
            hits[k] += b < pct[k];
    }
    for (k = 0; k < 5; k++)
        ck_assert_msg(abs(hits[k] - (int)(pct[k] * 100)) <= 200,
                      "%g%%: %d of 10000", pct[k], hits[k]);
}
END_TEST

START_TEST(fw_rollout)
{
    gsprov_fw_t fw;
    char *err = NULL, mac[13];
    int i, next = 0, all = 0;

    setup_store();
    for (i = 0; i < 400; i++) {
        apr_snprintf(mac, sizeof(mac), "000b82%06x", 0x100000 + i);
        unit_write(unit_tmpdir(), apr_pstrcat(pool, "store/devices/", mac,
                                              ".xml", NULL),
                   "<device><group>canary</group></device>", -1);
        ck_assert_status(resolve(mac, "f.bin", &fw, &err), APR_SUCCESS);
        ck_assert_int_eq(fw.rollout, gsprov_rollout_bucket(mac, "2.0") < 50);
        ck_assert_str_eq(fw.version, fw.rollout ? "2.0" : "1.0");
        next += fw.rollout;
        all++;
    }
    ck_assert_msg(next > all * 40 / 100 && next < all * 60 / 100, "%d of %d",
                  next, all);
}
END_TEST

/* A device in a rollout sees the offered version everywhere: in the
 * firmware handler and in ${firmware} of its config (e.g. its P233
 * postfix), even over its own pin. */
START_TEST(fw_rollout_config)
{
    gsprov_settings_t set;
    gsprov_context_t ctx;
    gsprov_fw_t fw;
    const char *post;
    char *err = NULL;

    setup_store();
    memset(&set, 0, sizeof(set));
    ck_assert_status(gsprov_context(pool, store, tmpl, "000b82000005", NULL,
                                    &set, &ctx, &err), APR_SUCCESS);
    ck_assert_int_eq(ctx.fw_rollout, 1);
    ck_assert_status(gsprov_context_value(pool, &ctx, "P233", &post, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(post, "_2.0");
    ck_assert_status(gsprov_firmware_resolve(pool, &ctx, fwroot, "f.bin_2.0", &fw,
                                       &err), APR_SUCCESS);
    ck_assert_str_eq(fw.version, "2.0");
    ck_assert_str_eq(fw.file, "f.bin");
}
END_TEST

/* "nan" is no percentage (every comparison with NaN is false) */
START_TEST(fw_rollout_nan)
{
    gsprov_settings_t set;
    gsprov_context_t ctx;
    char *err = NULL;

    setup_store();
    unit_write(unit_tmpdir(), "store/devices/000b82000009.xml",
               "<device><var name=\"firmware.next\">2.0</var>"
               "<var name=\"firmware.next.percent\">nan</var></device>", -1);
    memset(&set, 0, sizeof(set));
    ck_assert_status(gsprov_context(pool, store, tmpl, "000b82000009", NULL,
                                    &set, &ctx, &err), GSPROV_EPARSE);
    ck_assert_msg(strstr(err, "'nan' is not a number from 0 to 100") != NULL,
                  "%s", err);
}
END_TEST

/* The rollout on its own: a device and its variables, no store. */
START_TEST(fw_rollout_apply)
{
    gsprov_device_t dev;
    gsprov_vars_t vars;
    const char *mac = "000b82123456";
    double b = gsprov_rollout_bucket(mac, "2.0");
    char *err = NULL;
    int applied = 0;

    memset(&dev, 0, sizeof(dev));
    apr_cpystrn(dev.mac, mac, sizeof(dev.mac));
    dev.label = "devices/000b82123456.xml";
    memset(&vars, 0, sizeof(vars));
    vars.layer = unit_hash("firmware", "1.0", "firmware.next", "2.0",
                           "firmware.next.percent", "100", NULL);

    /* an unknown device never takes part */
    ck_assert_status(gsprov_rollout_apply(pool, NULL, &vars, &applied, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(applied, 0);
    ck_assert_ptr_null(vars.device);

    /* 100%: offered over the device's own pin; its other variables stay */
    vars.device = unit_hash("firmware", "1.1", "ext", "7", NULL);
    ck_assert_status(gsprov_rollout_apply(pool, &dev, &vars, &applied, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(applied, 1);
    ck_assert_str_eq(gsprov_vars_get(&vars, "firmware", 8), "2.0");
    ck_assert_str_eq(gsprov_vars_get(&vars, "ext", 3), "7");

    /* the boundary: a bucket equal to the percentage is out, above it in */
    applied = 0;
    vars.device = NULL;
    vars.layer = unit_hash("firmware", "1.0", "firmware.next", "2.0",
                           "firmware.next.percent",
                           apr_psprintf(pool, "%.2f", b), NULL);
    ck_assert_status(gsprov_rollout_apply(pool, &dev, &vars, &applied, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(applied, 0);
    ck_assert_str_eq(gsprov_vars_get(&vars, "firmware", 8), "1.0");
    apr_hash_set(vars.layer, "firmware.next.percent", APR_HASH_KEY_STRING,
                 apr_psprintf(pool, "%.2f", b + 0.01));
    ck_assert_status(gsprov_rollout_apply(pool, &dev, &vars, &applied, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(applied, 1);
    ck_assert_str_eq(gsprov_vars_get(&vars, "firmware", 8), "2.0");

    /* no percentage: no rollout; a bad one names the record */
    applied = 0;
    vars.device = NULL;
    vars.layer = unit_hash("firmware", "1.0", "firmware.next", "2.0", NULL);
    ck_assert_status(gsprov_rollout_apply(pool, &dev, &vars, &applied, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(applied, 0);
    ck_assert_ptr_null(vars.device);
    apr_hash_set(vars.layer, "firmware.next.percent", APR_HASH_KEY_STRING,
                 "101");
    ck_assert_status(gsprov_rollout_apply(pool, &dev, &vars, &applied, &err),
                     GSPROV_EPARSE);
    ck_assert_str_eq(err, "devices/000b82123456.xml: firmware.next.percent "
                     "'101' is not a number from 0 to 100");
    ck_assert_int_eq(applied, 0);
}
END_TEST

Suite *firmware_suite(void)
{
    Suite *s = suite_create("firmware");
    TCase *tc = unit_tcase("firmware");
    tcase_add_test(tc, fw_pinning);
    tcase_add_test(tc, fw_files);
    tcase_add_test(tc, fw_affixes);
    tcase_add_test(tc, fw_bucket_formula);
    tcase_add_test(tc, fw_bucket_spread);
    tcase_add_test(tc, fw_rollout);
    tcase_add_test(tc, fw_rollout_config);
    tcase_add_test(tc, fw_rollout_nan);
    tcase_add_test(tc, fw_rollout_apply);
    suite_add_tcase(s, tc);
    return s;
}
