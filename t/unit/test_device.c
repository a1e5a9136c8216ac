#include "unit.h"
#include "gsprov_device.h"

#define MAC "000b82abcdef"

static gsprov_device_t *dev_ok(const char *xml)
{
    gsprov_device_t *d = NULL;
    char *err = NULL;
    apr_status_t rv = gsprov_xml_parse_device(pool, MAC, xml, strlen(xml),
                                          "devices/" MAC ".xml", &d, &err);
    ck_assert_msg(rv == APR_SUCCESS, "device parse failed: %s",
                  err ? err : "?");
    return d;
}

static const char *dev_err(const char *xml)
{
    gsprov_device_t *d = NULL;
    char *err = NULL;
    apr_status_t rv = gsprov_xml_parse_device(pool, MAC, xml, strlen(xml), "d.xml",
                                          &d, &err);
    ck_assert_status(rv, GSPROV_EPARSE);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(err);
    return err;
}

START_TEST(device_full)
{
    static const char xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<device>\n"
        "  <model>gxp2170</model>\n"
        "  <group>sales</group>\n"
        "  <group>floor-2</group>\n"
        "  <group>A_b</group>\n"
        "  <password>s3cr&amp;t</password>\n"
        "  <var name=\"ext\">1001</var>\n"
        "  <var name=\"display_name\">J\xc3\xb6rg &lt;x&gt;</var>\n"
        "  <var name=\"empty\"></var>\n"
        "  <!-- overrides -->\n"
        "  <config version=\"1\">\n"
        "    <P33>*97</P33>\n"                 /* line 13 */
        "    <P270>${display_name}</P270>\n"
        "  </config>\n"
        "</device>\n";
    gsprov_device_t *d = dev_ok(xml);
    const gsprov_param_t *prm;

    ck_assert_str_eq(d->mac, MAC);
    ck_assert_str_eq(d->label, "devices/" MAC ".xml");
    ck_assert_str_eq(d->model, "gxp2170");
    ck_assert_int_eq(d->groups->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(d->groups, 0, const char *), "sales");
    ck_assert_str_eq(APR_ARRAY_IDX(d->groups, 1, const char *), "floor-2");
    ck_assert_str_eq(APR_ARRAY_IDX(d->groups, 2, const char *), "A_b");
    ck_assert_str_eq(d->password, "s3cr&t");
    ck_assert_uint_eq(apr_hash_count(d->vars), 3);
    ck_assert_str_eq(apr_hash_get(d->vars, "ext", APR_HASH_KEY_STRING), "1001");
    ck_assert_str_eq(apr_hash_get(d->vars, "display_name",
                                  APR_HASH_KEY_STRING), "J\xc3\xb6rg <x>");
    ck_assert_str_eq(apr_hash_get(d->vars, "empty", APR_HASH_KEY_STRING), "");
    ck_assert_int_eq(d->config->version, 1);
    ck_assert_str_eq(d->config->label, "devices/" MAC ".xml");
    ck_assert_int_eq(d->config->params->nelts, 2);
    prm = &APR_ARRAY_IDX(d->config->params, 0, gsprov_param_t);
    ck_assert_str_eq(prm->name, "P33");
    ck_assert_str_eq(prm->value, "*97");
    ck_assert_int_eq(prm->line, 13);
    ck_assert_str_eq(prm->src, "devices/" MAC ".xml");
    prm = &APR_ARRAY_IDX(d->config->params, 1, gsprov_param_t);
    ck_assert_str_eq(prm->value, "${display_name}");
    ck_assert_int_eq(prm->has_vars, 1);
    /* the record's bytes are kept: the store's version is their SHA-256 */
    ck_assert_bytes(d->bytes, d->nbytes, xml);
}
END_TEST

START_TEST(device_minimal)
{
    gsprov_device_t *d = dev_ok("<device/>");
    ck_assert_str_eq(d->mac, MAC);
    ck_assert_ptr_null(d->model);
    ck_assert_ptr_null(d->password);
    ck_assert_int_eq(d->groups->nelts, 0);
    ck_assert_uint_eq(apr_hash_count(d->vars), 0);
    ck_assert_ptr_nonnull(d->config);
    ck_assert_int_eq(d->config->version, 0);     /* empty: no version */
    ck_assert_int_eq(d->config->params->nelts, 0);
    ck_assert_bytes(d->bytes, d->nbytes, "<device/>");
}
END_TEST

START_TEST(device_var_redefined_last_wins)
{
    gsprov_device_t *d = dev_ok("<device><var name=\"a\">1</var>"
                                "<var name=\"a\">2</var></device>");
    ck_assert_str_eq(apr_hash_get(d->vars, "a", APR_HASH_KEY_STRING), "2");
}
END_TEST

START_TEST(device_v2_config)
{
    gsprov_device_t *d = dev_ok("<device><config version=\"2\">"
                                "<item name=\"a\"><part name=\"b\">x</part>"
                                "</item></config></device>");
    ck_assert_int_eq(d->config->version, 2);
    ck_assert_int_eq(d->config->params->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(d->config->params, 0, gsprov_param_t).part,
                     "b");
}
END_TEST

static const struct { const char *xml; const char *err; } errs[] = {
    { "<device>\n<model>GXP2170</model></device>",
      "d.xml:2: invalid model name 'GXP2170' (lowercase [a-z0-9], "
      "1-32 characters)" },
    { "<device>\n<model></model></device>",
      "d.xml:2: invalid model name '' (lowercase [a-z0-9], 1-32 characters)" },
    { "<device>\n<model>../x</model></device>",
      "d.xml:2: invalid model name '../x' (lowercase [a-z0-9], "
      "1-32 characters)" },
    { "<device>\n<model>a</model>\n<model>b</model></device>",
      "d.xml:3: more than one <model>" },
    { "<device>\n\n<group>a b</group></device>",
      "d.xml:3: invalid group name 'a b' ([A-Za-z0-9_-], 1-64 characters)" },
    { "<device>\n<group>../etc</group></device>",
      "d.xml:2: invalid group name '../etc' ([A-Za-z0-9_-], 1-64 characters)" },
    { "<device>\n<group></group></device>",
      "d.xml:2: invalid group name '' ([A-Za-z0-9_-], 1-64 characters)" },
    { "<device>\n<password></password></device>",
      "d.xml:2: <password> must be given once and not be empty" },
    { "<device>\n<password>a</password>\n<password>b</password></device>",
      "d.xml:3: <password> must be given once and not be empty" },
    { "<device>\n<var>x</var></device>",
      "d.xml:2: <var> needs a name attribute of [A-Za-z0-9_.-] characters" },
    { "<device>\n<var name=\"a b\">x</var></device>",
      "d.xml:2: <var> needs a name attribute of [A-Za-z0-9_.-] characters" },
    /* the content of an unknown element is never echoed (may be secret) */
    { "<device>\n<model>a</model>\n<pasword>hunter2</pasword></device>",
      "d.xml:3: unexpected element <pasword> in <device>" },
    { "<device>\n<config/>\n<config/></device>",
      "d.xml:3: more than one <config> element" },
    { "<device>\n<config>\n<bad/></config></device>",
      "d.xml:3: unexpected element <bad> in config version 1 "
      "(expected P<number>)" },
    { "<device>\n<config version=\"9\"/></device>",
      "d.xml:2: <config version=\"9\">: supported versions are 1 and 2" },
    { "<?xml version=\"1.0\"?>\n<gs_provision/>",
      "d.xml:2: root element is <gs_provision>, expected <device>" },
    { "<device>\n<model>a<b/></model></device>",
      "d.xml:2: unexpected element <b> inside <model>" },
    { "<device>\ntext</device>", "d.xml:2: unexpected text in <device>" },
};

START_TEST(device_errors)
{
    ck_assert_str_eq(dev_err(errs[_i].xml), errs[_i].err);
}
END_TEST

START_TEST(device_not_xml)
{
    const char *err = dev_err("<device>\n<model>x</device>");
    ck_assert_msg(strncmp(err, "d.xml:2: XML error: ", 20) == 0, "%s", err);
    err = dev_err("<!DOCTYPE device [<!ENTITY e \"x\">]><device/>");
    ck_assert_msg(strstr(err, "DOCTYPE declarations are not allowed") != NULL,
                  "%s", err);
}
END_TEST

START_TEST(device_error_hides_secret)
{
    const char *err = dev_err("<device><password>hunter2</password>"
                              "<password>hunter3</password></device>");
    ck_assert_ptr_null(strstr(err, "hunter"));
}
END_TEST

Suite *device_suite(void)
{
    Suite *s = suite_create("device");
    TCase *tc = unit_tcase("device");
    tcase_add_test(tc, device_full);
    tcase_add_test(tc, device_minimal);
    tcase_add_test(tc, device_var_redefined_last_wins);
    tcase_add_test(tc, device_v2_config);
    tcase_add_loop_test(tc, device_errors, 0,
                        (int)(sizeof(errs) / sizeof(errs[0])));
    tcase_add_test(tc, device_not_xml);
    tcase_add_test(tc, device_error_hides_secret);
    suite_add_tcase(s, tc);
    return s;
}
