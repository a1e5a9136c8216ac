#include "unit.h"
#include "gsprov_provision.h"

static const char *dir;
static gsprov_store_t *store;
static const gsprov_templates_t *tpl;
static gsprov_settings_t set;

static void setup_store(void)
{
    char *err = NULL;
    dir = unit_tmpdir();
    unit_write(dir, "defaults.xml",
               "<gs_provision version=\"1\">\n<config version=\"1\">\n"
               "<P1>default</P1>\n"
               "<P47>${sip}</P47>\n"
               "<P30>${company}</P30>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "models/gxp2170.xml",
               "<gs_provision>\n<config>\n"
               "<P2>model-admin</P2>\n"
               "<P100>${model}</P100>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "models/grp2614.xml",
               "<gs_provision>\n<config version=\"2\">\n"
               "<item name=\"a\">b</item>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "groups/sales.xml",
               "<gs_provision>\n<config>\n"
               "<P1>sales</P1>\n"
               "<P3>group ${group}</P3>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "groups/floor2.xml",
               "<gs_provision>\n<config>\n<P3>floor2</P3>\n<P4>f2</P4>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "groups/v2.xml",
               "<gs_provision>\n<config version=\"2\">\n"
               "<item name=\"x\">y</item>\n</config>\n</gs_provision>\n", -1);
    unit_write(dir, "devices/000b82000001.xml",
               "<device>\n<model>gxp2170</model>\n<group>sales</group>\n"
               "<group>floor2</group>\n"
               "<var name=\"ext\">1001</var>\n"
               "<var name=\"sip\">device-sip</var>\n"
               "<config>\n<P5>${ext}@${mac}</P5>\n<P1>dev</P1>\n</config>\n"
               "</device>\n", -1);
    unit_write(dir, "devices/000b82000002.xml",
               "<device>\n<model>gxp2170</model>\n<group>sales</group>\n"
               "<password>s3cret</password>\n"
               "<var name=\"ext\">1002</var>\n"
               "<config>\n<P5>${ext}@${mac}</P5>\n</config>\n"
               "</device>\n", -1);
    unit_write(dir, "devices/000b82000003.xml",
               "<device>\n<config>\n\n<P6>${nope}</P6>\n</config>\n"
               "</device>\n", -1);
    unit_write(dir, "devices/000b82000004.xml",
               "<device>\n<group>sales</group>\n<group>nogroup</group>\n"
               "</device>\n", -1);
    unit_write(dir, "devices/000b82000005.xml",
               "<device>\n<model>gxp9999</model>\n</device>\n", -1);
    unit_write(dir, "devices/000b82000006.xml",
               "<device>\n<group>v2</group>\n</device>\n", -1);
    unit_write(dir, "devices/000b82000007.xml", "<device>\n<bad/>\n</device>",
               -1);
    ck_assert_msg(gsprov_store_file_open(pool, dir, NULL, &store, &err)
                  == APR_SUCCESS, "%s", err);
    tpl = gsprov_store_templates(store, pool, apr_time_from_sec(3600));
    set.tenant_vars = unit_hash("sip", "sip.tenant", "company", "A&B <co>",
                                NULL);
    set.key_digest = GSPROV_MD_MD5;
}

static apr_status_t prov(const char *fname, gsprov_output_t *out, char **err)
{
    /* out->model may point into the name: keep it alive with the pool */
    gsprov_name_t *n = apr_palloc(pool, sizeof(*n));
    ck_assert_msg(gsprov_name_resolve(fname, strlen(fname), n), "%s", fname);
    *err = NULL;
    return gsprov_provision(pool, store, tpl, n, &set, out, err);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
             "<gs_provision version=\"1\">\n"

START_TEST(prov_device)
{
    gsprov_output_t out;
    char *err;
    ck_assert_status(prov("cfg000B82000001.xml", &out, &err), APR_SUCCESS);
    ck_assert_int_eq(out.encrypted, 0);
    ck_assert_str_eq(out.content_type, GSPROV_CT_XML);
    ck_assert_str_eq(out.model, "gxp2170");
    ck_assert_bytes(out.body, out.len,
        HEAD
        "  <mac>000b82000001</mac>\n"
        "  <config version=\"1\">\n"
        "    <P1>dev</P1>\n"
        "    <P47>device-sip</P47>\n"
        "    <P30>A&amp;B &lt;co&gt;</P30>\n"
        "    <P2>model-admin</P2>\n"
        "    <P100>gxp2170</P100>\n"
        "    <P3>floor2</P3>\n"
        "    <P4>f2</P4>\n"
        "    <P5>1001@000b82000001</P5>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

static const char DEV2_PLAIN[] =
    HEAD
    "  <mac>000b82000002</mac>\n"
    "  <config version=\"1\">\n"
    "    <P1>sales</P1>\n"
    "    <P47>sip.tenant</P47>\n"
    "    <P30>A&amp;B &lt;co&gt;</P30>\n"
    "    <P2>model-admin</P2>\n"
    "    <P100>gxp2170</P100>\n"
    "    <P3>group sales</P3>\n"
    "    <P5>1002@000b82000002</P5>\n"
    "  </config>\n"
    "</gs_provision>\n";

START_TEST(prov_device_encrypted)
{
    gsprov_output_t out;
    unsigned char *dec;
    apr_size_t dlen;
    char *err;

    set.key_digest = _i ? GSPROV_MD_SHA256 : GSPROV_MD_MD5;
    ck_assert_status(prov("cfg000b82000002.xml", &out, &err), APR_SUCCESS);
    ck_assert_int_eq(out.encrypted, 1);
    ck_assert_str_eq(out.content_type, GSPROV_CT_ENCRYPTED);
    ck_assert_mem_eq(out.body, "Salted__", 8);
    ck_assert_uint_eq(out.len, 16 + ((sizeof(DEV2_PLAIN) - 1) / 16 + 1) * 16);
    ck_assert_status(gsprov_crypto_decrypt(pool, "s3cret", set.key_digest, out.body,
                                    out.len, &dec, &dlen), APR_SUCCESS);
    ck_assert_bytes(dec, dlen, DEV2_PLAIN);
}
END_TEST

START_TEST(prov_model)
{
    gsprov_output_t out;
    char *err;
    ck_assert_status(prov("cfggxp2170.xml", &out, &err), APR_SUCCESS);
    ck_assert_int_eq(out.encrypted, 0);
    ck_assert_str_eq(out.model, "gxp2170");
    ck_assert_bytes(out.body, out.len,
        HEAD
        "  <config version=\"1\">\n"
        "    <P1>default</P1>\n"
        "    <P47>sip.tenant</P47>\n"
        "    <P30>A&amp;B &lt;co&gt;</P30>\n"
        "    <P2>model-admin</P2>\n"
        "    <P100>gxp2170</P100>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

START_TEST(prov_generic)
{
    gsprov_output_t out;
    char *err;
    ck_assert_status(prov("cfg.xml", &out, &err), APR_SUCCESS);
    ck_assert_ptr_null(out.model);
    ck_assert_str_eq(out.content_type, GSPROV_CT_XML);
    ck_assert_bytes(out.body, out.len,
        HEAD
        "  <config version=\"1\">\n"
        "    <P1>default</P1>\n"
        "    <P47>sip.tenant</P47>\n"
        "    <P30>A&amp;B &lt;co&gt;</P30>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

START_TEST(prov_not_found)
{
    gsprov_output_t out;
    char *err;
    ck_assert_status(prov("cfg000b82ffffff.xml", &out, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(prov("cfggxp1.xml", &out, &err), GSPROV_ENOTFOUND);
}
END_TEST

START_TEST(prov_errors)
{
    gsprov_output_t out;
    char *err;

    ck_assert_status(prov("cfg000b82000003.xml", &out, &err),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(err, apr_pstrcat(pool, dir, "/devices/000b82000003.xml:4:"
                                      " undefined variable ${nope} in P6",
                                      NULL));
    ck_assert_status(prov("cfg000b82000004.xml", &out, &err), GSPROV_EREF);
    ck_assert_str_eq(err, apr_pstrcat(pool, dir, "/devices/000b82000004.xml: "
                                      "group 'nogroup' has no "
                                      "groups/nogroup.xml", NULL));
    ck_assert_status(prov("cfg000b82000005.xml", &out, &err), GSPROV_EREF);
    ck_assert_str_eq(err, apr_pstrcat(pool, dir, "/devices/000b82000005.xml: "
                                      "model 'gxp9999' has no "
                                      "models/gxp9999.xml", NULL));
    ck_assert_status(prov("cfg000b82000006.xml", &out, &err), GSPROV_EMIXED);
    ck_assert_str_eq(err, apr_pstrcat(pool, "mixed config versions: ", dir,
                                      "/defaults.xml is version 1, ", dir,
                                      "/groups/v2.xml is version 2", NULL));
    ck_assert_status(prov("cfggrp2614.xml", &out, &err), GSPROV_EMIXED);
    ck_assert_status(prov("cfg000b82000007.xml", &out, &err), GSPROV_EPARSE);
    ck_assert_str_eq(err, apr_pstrcat(pool, dir, "/devices/000b82000007.xml:2:"
                                      " unexpected element <bad> in <device>",
                                      NULL));
}
END_TEST

START_TEST(prov_undefined_tenant_var)
{
    gsprov_output_t out;
    char *err;
    set.tenant_vars = NULL;
    ck_assert_status(prov("cfg.xml", &out, &err), GSPROV_EUNDEFVAR);
    ck_assert_str_eq(err, apr_pstrcat(pool, dir, "/defaults.xml:4: undefined "
                                      "variable ${sip} in P47", NULL));
}
END_TEST

START_TEST(prov_bad_kind)
{
    gsprov_output_t out;
    gsprov_name_t n;
    char *err = NULL;
    memset(&n, 0, sizeof(n));
    ck_assert_status(gsprov_provision(pool, store, tpl, &n, &set, &out, &err),
                     GSPROV_EBADNAME);
}
END_TEST

Suite *provision_suite(void)
{
    Suite *s = suite_create("provision");
    TCase *tc = unit_tcase("provision");
    tcase_add_checked_fixture(tc, setup_store, NULL);
    tcase_add_test(tc, prov_device);
    tcase_add_loop_test(tc, prov_device_encrypted, 0, 2);
    tcase_add_test(tc, prov_model);
    tcase_add_test(tc, prov_generic);
    tcase_add_test(tc, prov_not_found);
    tcase_add_test(tc, prov_errors);
    tcase_add_test(tc, prov_undefined_tenant_var);
    tcase_add_test(tc, prov_bad_kind);
    suite_add_tcase(s, tc);
    return s;
}
