/* The parameters a device record owns (P1359-P1361), through the whole
 * pipeline, with a template of the shape vendor-derived templates have
 * (t/fixtures/stores/vendor: 420 P-values, among them an empty P1359 and
 * empty P1360/P1361; see t/fixtures/make-vendor-template.pl). */
#include "unit.h"
#include "gsprov_provision.h"
#include "gsprov_guard.h"
#include "gsprov_crypto.h"

#define VENDOR "t/fixtures/stores/vendor"
/* where make-vendor-template.pl puts the provisioning block */
#define LINE_P1359 219
#define LINE_P1360 223
#define LINE_P1361 227
#define TEMPLATE_PVALUES 420

static gsprov_store_t *store;
static const gsprov_templates_t *tpl;
static gsprov_settings_t set;

static void open_store(const char *root)
{
    char *err = NULL;
    ck_assert_msg(gsprov_store_file_open(pool, root, NULL, &store, &err)
                  == APR_SUCCESS, "%s", err);
    tpl = gsprov_store_templates(store, pool, apr_time_from_sec(3600));
    memset(&set, 0, sizeof(set));
    set.key_digest = GSPROV_MD_MD5;
    set.binary = GSPROV_BINARY_BOOTSTRAP;
    set.plain = 1;
}

static void setup_vendor(void)
{
    open_store(VENDOR);
}

/* The file for name, which must be served. */
static gsprov_output_t render(const char *fname)
{
    gsprov_name_t *n = apr_palloc(pool, sizeof(*n));
    gsprov_output_t out;
    char *err = NULL;

    ck_assert_msg(gsprov_name_resolve(fname, strlen(fname), n), "%s", fname);
    ck_assert_msg(gsprov_provision(pool, store, tpl, n, &set, &out, &err)
                  == APR_SUCCESS, "%s: %s", fname, err ? err : "?");
    return out;
}

static const char *xml(const char *fname)
{
    gsprov_output_t out = render(fname);
    ck_assert_int_eq(out.encrypted, 0);
    return apr_pstrmemdup(pool, out.body, out.len);
}

/* How often needle occurs in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (; (hay = strstr(hay, needle)); hay += strlen(needle))
        n++;
    return n;
}

/* "name=value\n" lines of a binary file (decoded by lib/). */
static const char *bin(const char *fname)
{
    gsprov_output_t out = render(fname);
    apr_array_header_t *pv;
    char mac[13], *err = NULL;
    const char *s = "";
    int i;

    ck_assert_str_eq(out.content_type, GSPROV_CT_BINARY);
    ck_assert_msg(gsprov_binary_decode(pool, (const unsigned char *)out.body,
                                       out.len, mac, &pv, &err)
                  == APR_SUCCESS, "%s", err);
    for (i = 0; i < pv->nelts; i++) {
        const gsprov_pvalue_t *v = &APR_ARRAY_IDX(pv, i, gsprov_pvalue_t);
        s = apr_pstrcat(pool, s, v->name, "=", v->value, "\n", NULL);
    }
    return s;
}

/* The issue as reported: a record <password>, an empty P1359 in the
 * template.  The XML keeps the template's order and size, with P1359 the
 * record's password in its place. */
START_TEST(guard_password_xml)
{
    const char *x = xml("cfg000b82f00001.xml");

    ck_assert_int_eq(count(x, "<P1359>"), 1);
    ck_assert_int_eq(count(x, "<P1359>xml-pw-1</P1359>"), 1);
    ck_assert_int_eq(count(x, "</P"), TEMPLATE_PVALUES + 1);   /* + P64 */
    ck_assert_msg(strstr(x, "    <P237>prov.example.com/gs</P237>\n"
                         "    <P1359>xml-pw-1</P1359>\n"
                         "    <P1360></P1360>\n"
                         "    <P1361></P1361>\n"
                         "    <P232></P232>\n") != NULL, "%s", x);
}
END_TEST

/* Served encrypted, with the password the file itself hands over. */
START_TEST(guard_password_encrypted)
{
    gsprov_output_t out;
    unsigned char *dec;
    apr_size_t dlen;
    const char *plain = xml("cfg000b82f00001.xml");

    set.plain = 0;
    out = render("cfg000b82f00001.xml");
    ck_assert_int_eq(out.encrypted, 1);
    ck_assert_status(gsprov_crypto_decrypt(pool, "xml-pw-1", GSPROV_MD_MD5,
                                           out.body, out.len, &dec, &dlen),
                     APR_SUCCESS);
    ck_assert_bytes(dec, dlen, plain);
}
END_TEST

START_TEST(guard_password_binary)
{
    ck_assert_str_eq(bin("cfg000b82f00001"),
                     "P212=2\nP237=prov.example.com/gs\nP1359=xml-pw-1\n"
                     "P1360=\nP1361=\nP234=\nP235=\n");
    set.binary = GSPROV_BINARY_FULL;
    {
        const char *b = bin("cfg000b82f00001.bin");
        ck_assert_int_eq(count(b, "P1359="), 1);
        ck_assert_int_eq(count(b, "\nP1359=xml-pw-1\n"), 1);
        ck_assert_int_eq(count(b, "\n"), TEMPLATE_PVALUES + 1);
    }
}
END_TEST

/* A record with HTTP credentials: the template's empty P1360/P1361 would
 * clear them on the device; they are left out of both files. */
START_TEST(guard_credentials)
{
    const char *x = xml("cfg000b82f00002.xml");

    ck_assert_int_eq(count(x, "<P1360>"), 0);
    ck_assert_int_eq(count(x, "<P1361>"), 0);
    ck_assert_int_eq(count(x, "<P1359>xml-pw-2</P1359>"), 1);
    ck_assert_int_eq(count(x, "</P"), TEMPLATE_PVALUES + 1 - 2);
    ck_assert_msg(strstr(x, "    <P1359>xml-pw-2</P1359>\n"
                         "    <P232></P232>\n") != NULL, "%s", x);
    ck_assert_str_eq(bin("cfg000b82f00002"),
                     "P212=2\nP237=prov.example.com/gs\nP1359=xml-pw-2\n"
                     "P234=\nP235=\n");
}
END_TEST

/* Neither password nor credentials: the record owns nothing, the
 * template is served as it is (lint warns about it). */
START_TEST(guard_nothing_owned)
{
    const char *x = xml("cfg000b82f00003.xml");

    ck_assert_msg(strstr(x, "    <P1359></P1359>\n    <P1360></P1360>\n"
                         "    <P1361></P1361>\n") != NULL, "%s", x);
    ck_assert_str_eq(bin("cfg000b82f00003"),
                     "P212=2\nP237=prov.example.com/gs\nP1359=\nP1360=\n"
                     "P1361=\nP234=\nP235=\n");
}
END_TEST

/* A group pushes the login from record variables: the user name is
 * served, the password variable is empty and so is left out. */
START_TEST(guard_group_login)
{
    const char *x = xml("cfg000b82f00004.xml");

    ck_assert_int_eq(count(x, "<P1360>dev-f00004</P1360>"), 1);
    ck_assert_int_eq(count(x, "<P1360>"), 1);
    ck_assert_int_eq(count(x, "<P1361>"), 0);
    ck_assert_str_eq(bin("cfg000b82f00004"),
                     "P212=2\nP237=prov.example.com/gs\nP1359=\n"
                     "P1360=dev-f00004\nP234=\nP235=\n");
}
END_TEST

/* The record's own <config> sets P1359 as well: its <password> wins,
 * taken literally (no ${} expansion) and escaped like any value. */
START_TEST(guard_record_config)
{
    const char *x = xml("cfg000b82f00005.xml");

    ck_assert_int_eq(count(x, "<P1359>"), 1);
    ck_assert_int_eq(count(x, "<P1359>p&amp;w ${x} &lt;5&gt;</P1359>"), 1);
    ck_assert_int_eq(count(x, "other-pw"), 0);
    ck_assert_str_eq(bin("cfg000b82f00005"),
                     "P212=2\nP237=prov.example.com/gs\nP1359=p&w ${x} <5>\n"
                     "P1360=\nP1361=\nP234=\nP235=\n");
}
END_TEST

/* Only the record's own <config> sets P1359 (no template does): the
 * parameter the device layer adds is replaced like a template's. */
START_TEST(guard_record_config_only)
{
    const char *dir = unit_tmpdir(), *x;

    unit_write(dir, "defaults.xml",
               "<gs_provision>\n<config>\n<P2>a</P2>\n</config>\n"
               "</gs_provision>\n", -1);
    unit_write(dir, "devices/000b82000001.xml",
               "<device><password>rec-pw</password><config><P3>c</P3>"
               "<P1359>cfg-pw</P1359><P4>d</P4></config></device>\n", -1);
    open_store(dir);
    x = xml("cfg000b82000001.xml");
    ck_assert_bytes(x, strlen(x),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <mac>000b82000001</mac>\n"
        "  <config version=\"1\">\n"
        "    <P2>a</P2>\n"
        "    <P3>c</P3>\n"
        "    <P1359>rec-pw</P1359>\n"
        "    <P4>d</P4>\n"
        "  </config>\n"
        "</gs_provision>\n");
    set.binary = GSPROV_BINARY_FULL;
    ck_assert_str_eq(bin("cfg000b82000001"),
                     "P2=a\nP3=c\nP1359=rec-pw\nP4=d\n");
}
END_TEST

/* The template chain is merged once and shared between devices: one
 * device's password must not leak into the next device's file. */
START_TEST(guard_shared_chain)
{
    int i;
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(count(xml("cfg000b82f00001.xml"),
                               "<P1359>xml-pw-1</P1359>"), 1);
        ck_assert_int_eq(count(xml("cfg000b82f00003.xml"),
                               "<P1359></P1359>"), 1);
        ck_assert_int_eq(count(xml("cfg000b82f00002.xml"), "<P1360>"), 0);
        ck_assert_int_eq(count(xml("cfg000b82f00003.xml"), "<P1360>"), 1);
        /* the model's own file knows no device: the template's word */
        ck_assert_int_eq(count(xml("cfght802.xml"), "<P1359></P1359>"), 1);
    }
}
END_TEST

/* Config version 2 names the same settings by alias. */
START_TEST(guard_v2_aliases)
{
    const char *dir = unit_tmpdir(), *x;

    unit_write(dir, "models/grp2614.xml",
               "<gs_provision version=\"1\">\n<config version=\"2\">\n"
               "<item name=\"provisioning.config.serverPath\">p.example/gs"
               "</item>\n"
               "<item name=\"provisioning.config.filePassword\"></item>\n"
               "<item name=\"provisioning.config.username\"></item>\n"
               "<item name=\"provisioning.config.password\"></item>\n"
               "<item name=\"phone.timezone\">UTC</item>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "devices/c074ad000001.xml",
               "<device><model>grp2614</model><password>v2-pw</password>"
               "<username>u</username><secret>s</secret></device>\n", -1);
    unit_write(dir, "devices/c074ad000002.xml",
               "<device><model>grp2614</model></device>\n", -1);
    open_store(dir);
    x = xml("cfgc074ad000001.xml");
    ck_assert_bytes(x, strlen(x),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <mac>c074ad000001</mac>\n"
        "  <config version=\"2\">\n"
        "    <item name=\"provisioning.config.serverPath\">p.example/gs"
        "</item>\n"
        "    <item name=\"provisioning.config.filePassword\">v2-pw</item>\n"
        "    <item name=\"phone.timezone\">UTC</item>\n"
        "  </config>\n"
        "</gs_provision>\n");
    x = xml("cfgc074ad000002.xml");
    ck_assert_int_eq(count(x, "\"provisioning.config.filePassword\"></item>"),
                     1);
    ck_assert_int_eq(count(x, "\"provisioning.config.password\"></item>"), 1);
}
END_TEST

/* A value that does not expand is not dropped: the renderer reports it,
 * with its file and line, as for any other parameter. */
START_TEST(guard_undefined_variable)
{
    const char *dir = unit_tmpdir();
    gsprov_name_t n;
    gsprov_output_t out;
    char *err = NULL;

    unit_write(dir, "defaults.xml",
               "<gs_provision>\n<config>\n<P1361>${nope}</P1361>\n"
               "</config>\n</gs_provision>\n", -1);
    unit_write(dir, "devices/000b82000001.xml",
               "<device><username>u</username><secret>s</secret></device>\n",
               -1);
    open_store(dir);
    ck_assert(gsprov_name_resolve("cfg000b82000001.xml", 19, &n));
    ck_assert_status(gsprov_provision(pool, store, tpl, &n, &set, &out,
                                      &err), GSPROV_EUNDEFVAR);
    ck_assert_str_eq(err, apr_pstrcat(pool, dir, "/defaults.xml:3: undefined "
                                      "variable ${nope} in P1361", NULL));
}
END_TEST

/* What lint and the admin API warn about: every layer that sets one of
 * them, with its file and line, never its value. */
START_TEST(guard_warnings)
{
    apr_array_header_t *w = apr_array_make(pool, 8,
                                           sizeof(gsprov_guard_warning_t));
    const gsprov_device_t *dev;
    gsprov_output_t out;
    static const struct { const char *src; int line; const char *name; }
    want[] = {
        { VENDOR "/models/ht802.xml", LINE_P1359, "P1359" },
        { VENDOR "/models/ht802.xml", LINE_P1360, "P1360" },
        { VENDOR "/models/ht802.xml", LINE_P1361, "P1361" },
        { VENDOR "/groups/http-login.xml", 5, "P1360" },
        { VENDOR "/groups/http-login.xml", 6, "P1361" },
        { VENDOR "/devices/000b82f00005.xml", 8, "P1359" },
    };
    int i;

    gsprov_guard_templates(pool, tpl, w);
    ck_assert_int_eq(w->nelts, 5);
    out = render("cfg000b82f00005.xml");
    dev = out.device;
    gsprov_guard_layer(pool, dev->config, w);
    ck_assert_int_eq(w->nelts, 6);
    for (i = 0; i < w->nelts; i++) {
        const gsprov_guard_warning_t *g =
            &APR_ARRAY_IDX(w, i, gsprov_guard_warning_t);
        ck_assert_str_eq(g->src, want[i].src);
        ck_assert_int_eq(g->line, want[i].line);
        ck_assert_str_eq(g->name, want[i].name);
        ck_assert_msg(strncmp(g->msg, want[i].name, 5) == 0, "%s", g->msg);
        ck_assert(strstr(g->msg, "other-pw") == NULL);
        ck_assert_int_eq(strstr(g->msg, "to an empty value") != NULL,
                         i < 3);
    }

    /* one device's chain: defaults (nothing), its model, its config */
    apr_array_clear(w);
    gsprov_guard_chain(pool, tpl, dev, w);
    ck_assert_int_eq(w->nelts, 4);
    ck_assert_int_eq(APR_ARRAY_IDX(w, 3, gsprov_guard_warning_t).line, 8);
    /* ... and the group of another */
    apr_array_clear(w);
    gsprov_guard_chain(pool, tpl, render("cfg000b82f00004.xml").device, w);
    ck_assert_int_eq(w->nelts, 5);
    ck_assert_str_eq(APR_ARRAY_IDX(w, 4, gsprov_guard_warning_t).src,
                     VENDOR "/groups/http-login.xml");
}
END_TEST

Suite *guard_suite(void)
{
    Suite *s = suite_create("guard");
    TCase *tc = unit_tcase("guard");
    tcase_add_checked_fixture(tc, setup_vendor, NULL);
    tcase_add_test(tc, guard_password_xml);
    tcase_add_test(tc, guard_password_encrypted);
    tcase_add_test(tc, guard_password_binary);
    tcase_add_test(tc, guard_credentials);
    tcase_add_test(tc, guard_nothing_owned);
    tcase_add_test(tc, guard_group_login);
    tcase_add_test(tc, guard_record_config);
    tcase_add_test(tc, guard_record_config_only);
    tcase_add_test(tc, guard_shared_chain);
    tcase_add_test(tc, guard_v2_aliases);
    tcase_add_test(tc, guard_undefined_variable);
    tcase_add_test(tc, guard_warnings);
    suite_add_tcase(s, tc);
    return s;
}
