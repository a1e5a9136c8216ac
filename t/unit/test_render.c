#include <libxml/parser.h>
#include <libxml/tree.h>
#include "unit.h"
#include "gsprov_render.h"

static gsprov_merged_t *merged(const char *config)
{
    gsprov_layer_t *l = NULL;
    const gsprov_layer_t *ls[1];
    gsprov_merged_t *m = NULL;
    char *err = NULL;
    const char *xml = apr_pstrcat(pool, "<gs_provision>\n", config,
                                  "</gs_provision>", NULL);

    ck_assert_msg(gsprov_xml_parse_layer(pool, xml, strlen(xml), "r.xml", &l,
                                     &err) == APR_SUCCESS, "%s", err);
    ls[0] = l;
    ck_assert_status(gsprov_merge(pool, ls, 1, &m, &err), APR_SUCCESS);
    return m;
}

static gsprov_vars_t vars(void)
{
    gsprov_vars_t v = { NULL, NULL, NULL, NULL };
    v.device = unit_hash("ext", "1001", "amp", "a&b<c>\"d\"", NULL);
    v.tenant = unit_hash("sip", "sip.example", "loop", "${ext}", NULL);
    v.builtin = unit_hash("mac", "000b82abcdef", NULL);
    return v;
}

static char *render(const gsprov_merged_t *m, const char *mac, apr_size_t *len)
{
    gsprov_vars_t v = vars();
    char *body = NULL, *err = NULL;
    ck_assert_msg(gsprov_render_xml(pool, m, mac, &v, &body, len, &err)
                  == APR_SUCCESS, "render: %s", err ? err : "?");
    ck_assert_uint_eq(strlen(body), *len);
    return body;
}

START_TEST(render_v1)
{
    apr_size_t len;
    char *body = render(merged("<config>\n"
                               "<P271>1</P271>\n"
                               "<P47>${sip}:5060</P47>\n"
                               "<P48></P48>\n"
                               "<P3>Ext ${ext} $${lit} $5</P3>\n"
                               "<P4>${loop}</P4>\n"
                               "</config>\n"), NULL, &len);
    ck_assert_bytes(body, len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <config version=\"1\">\n"
        "    <P271>1</P271>\n"
        "    <P47>sip.example:5060</P47>\n"
        "    <P48></P48>\n"
        "    <P3>Ext 1001 ${lit} $5</P3>\n"
        "    <P4>${ext}</P4>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

START_TEST(render_v1_mac)
{
    apr_size_t len;
    char *body = render(merged("<config><P1>${mac}</P1></config>"),
                        "000b82abcdef", &len);
    ck_assert_bytes(body, len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <mac>000b82abcdef</mac>\n"
        "  <config version=\"1\">\n"
        "    <P1>000b82abcdef</P1>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

START_TEST(render_v2)
{
    apr_size_t len;
    char *body = render(merged(
        "<config version=\"2\">\n"
        "<item name=\"pbx.ip\">10.0.0.1</item>\n"
        "<item name=\"account\">\n"
        " <part name=\"1.sip.server\">${sip}</part>\n"
        " <part name=\"1.name\">Ext ${ext}</part>\n"
        "</item>\n"
        "<item name=\"x\">&lt;</item>\n"
        "</config>\n"), "c074ad273a10", &len);
    ck_assert_bytes(body, len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <mac>c074ad273a10</mac>\n"
        "  <config version=\"2\">\n"
        "    <item name=\"pbx.ip\">10.0.0.1</item>\n"
        "    <item name=\"account\">\n"
        "      <part name=\"1.sip.server\">sip.example</part>\n"
        "      <part name=\"1.name\">Ext 1001</part>\n"
        "    </item>\n"
        "    <item name=\"x\">&lt;</item>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

/* Parts of one item coming from different layers are emitted together,
 * at the item's first position. */
START_TEST(render_v2_parts_across_layers)
{
    gsprov_layer_t *a = NULL, *b = NULL;
    const gsprov_layer_t *ls[2];
    gsprov_merged_t *m = NULL;
    char *err = NULL;
    apr_size_t len;
    static const char xa[] = "<gs_provision><config version=\"2\">"
        "<item name=\"acct\"><part name=\"p1\">1</part></item>"
        "<item name=\"z\">z</item></config></gs_provision>";
    static const char xb[] = "<gs_provision><config version=\"2\">"
        "<item name=\"acct\"><part name=\"p2\">2</part>"
        "<part name=\"p1\">one</part></item></config></gs_provision>";
    char *body;

    ck_assert_status(gsprov_xml_parse_layer(pool, xa, sizeof(xa) - 1, "a", &a,
                                        &err), APR_SUCCESS);
    ck_assert_status(gsprov_xml_parse_layer(pool, xb, sizeof(xb) - 1, "b", &b,
                                        &err), APR_SUCCESS);
    ls[0] = a;
    ls[1] = b;
    ck_assert_status(gsprov_merge(pool, ls, 2, &m, &err), APR_SUCCESS);
    body = render(m, NULL, &len);
    ck_assert_bytes(body, len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <config version=\"2\">\n"
        "    <item name=\"acct\">\n"
        "      <part name=\"p1\">one</part>\n"
        "      <part name=\"p2\">2</part>\n"
        "    </item>\n"
        "    <item name=\"z\">z</item>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

START_TEST(render_empty)
{
    const gsprov_layer_t *ls[1];
    gsprov_merged_t *m = NULL;
    char *err = NULL, *body;
    apr_size_t len;

    ls[0] = gsprov_layer_empty(pool, "defaults.xml");
    ck_assert_status(gsprov_merge(pool, ls, 1, &m, &err), APR_SUCCESS);
    body = render(m, NULL, &len);
    ck_assert_bytes(body, len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <config version=\"1\">\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

START_TEST(render_escaping)
{
    apr_size_t len;
    char *body = render(merged(
        "<config>\n"
        "<P1>a &amp; b &lt;c&gt; \"q\" 's'</P1>\n"
        "<P2>${amp}</P2>\n"
        "<P3>gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x93\x9e</P3>\n"
        "<P4>]]&gt; &amp;amp;</P4>\n"
        "<P5>cr&#13;lf&#10;tab&#9;</P5>\n"
        "</config>\n"), NULL, &len);
    ck_assert_bytes(body, len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <config version=\"1\">\n"
        "    <P1>a &amp; b &lt;c&gt; &quot;q&quot; 's'</P1>\n"
        "    <P2>a&amp;b&lt;c&gt;&quot;d&quot;</P2>\n"
        "    <P3>gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x93\x9e</P3>\n"
        "    <P4>]]&gt; &amp;amp;</P4>\n"
        "    <P5>cr&#13;lf\ntab\t</P5>\n"
        "  </config>\n"
        "</gs_provision>\n");
}
END_TEST

/* The output parses with libxml2 and every value reads back unchanged. */
START_TEST(render_roundtrip)
{
    static const char *const vals[] = {
        "plain", "a & b", "<tag attr=\"v\">", "\"'\"", "]]>", "&amp;",
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "line1\nline2", "cr\rx",
        "  lead and trail  ", "", "${", "$", "tab\there",
    };
    apr_array_header_t *cfg = apr_array_make(pool, 16, sizeof(const char *));
    gsprov_vars_t v = { NULL, NULL, NULL, NULL };
    gsprov_merged_t *m;
    char *body, *err = NULL;
    apr_size_t len;
    xmlDocPtr doc;
    xmlNodePtr root, c, item;
    unsigned i, seen = 0;

    /* values come in through variables: no XML escaping on the way in */
    v.device = apr_hash_make(pool);
    v.tenant = v.builtin = NULL;
    APR_ARRAY_PUSH(cfg, const char *) = "<config version=\"2\">";
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        const char *n = apr_psprintf(pool, "v%u", i);
        apr_hash_set(v.device, n, APR_HASH_KEY_STRING, vals[i]);
        APR_ARRAY_PUSH(cfg, const char *) =
            apr_psprintf(pool, "<item name=\"i%u\">${%s}</item>"
                         "<item name=\"c%u\"><part name=\"p\">${%s}</part>"
                         "</item>", i, n, i, n);
    }
    APR_ARRAY_PUSH(cfg, const char *) = "</config>";
    m = merged(apr_array_pstrcat(pool, cfg, 0));
    ck_assert_status(gsprov_render_xml(pool, m, "000b82abcdef", &v, &body,
                                       &len, &err), APR_SUCCESS);

    doc = xmlReadMemory(body, (int)len, "out.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                        | XML_PARSE_NOWARNING);
    ck_assert_msg(doc != NULL, "rendered output is not XML:\n%s", body);
    root = xmlDocGetRootElement(doc);
    ck_assert_str_eq((const char *)root->name, "gs_provision");
    for (c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!xmlStrcmp(c->name, (const xmlChar *)"mac")) {
            xmlChar *t = xmlNodeGetContent(c);
            ck_assert_str_eq((const char *)t, "000b82abcdef");
            xmlFree(t);
            continue;
        }
        ck_assert_str_eq((const char *)c->name, "config");
        for (item = c->children; item; item = item->next) {
            xmlChar *name, *text;
            unsigned idx;
            xmlNodePtr src;
            if (item->type != XML_ELEMENT_NODE)
                continue;
            name = xmlGetProp(item, (const xmlChar *)"name");
            ck_assert_ptr_nonnull(name);
            idx = (unsigned)atoi((const char *)name + 1);
            src = item;
            if (name[0] == 'c') {
                for (src = item->children; src->type != XML_ELEMENT_NODE;
                     src = src->next)
                    ;
            }
            text = xmlNodeGetContent(src);
            ck_assert_msg(strcmp((const char *)text, vals[idx]) == 0,
                          "%s: got '%s', expected '%s'", (const char *)name,
                          (const char *)text, vals[idx]);
            xmlFree(text);
            xmlFree(name);
            seen++;
        }
    }
    xmlFreeDoc(doc);
    ck_assert_uint_eq(seen, 2 * sizeof(vals) / sizeof(vals[0]));
}
END_TEST

START_TEST(render_undefined)
{
    gsprov_vars_t v = vars();
    char *body = NULL, *err = NULL;
    apr_size_t len;
    gsprov_merged_t *m = merged("<config>\n<P1>x</P1>\n\n<P7>a ${nosuch}</P7>"
                                "</config>");
    ck_assert_status(gsprov_render_xml(pool, m, NULL, &v, &body, &len, &err),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(err, "r.xml:5: undefined variable ${nosuch} in P7");

    m = merged("<config version=\"2\">\n<item name=\"a\">\n"
               "<part name=\"b\">${nope}</part></item></config>");
    ck_assert_status(gsprov_render_xml(pool, m, NULL, &v, &body, &len, &err),
                     GSPROV_EUNDEFVAR);
    ck_assert_str_eq(err, "r.xml:4: undefined variable ${nope} in a/b");
}
END_TEST

START_TEST(render_value)
{
    gsprov_vars_t v = vars();
    gsprov_param_t prm;
    const char *out = NULL;
    char *err = NULL;

    memset(&prm, 0, sizeof(prm));
    prm.name = "P9";
    prm.value = "${ext}";
    prm.src = "x.xml";
    prm.line = 7;
    prm.has_vars = 0;      /* no '$' flagged: value used as is */
    ck_assert_status(gsprov_render_value(pool, &prm, &v, &out, &err),
                     APR_SUCCESS);
    ck_assert_ptr_eq(out, prm.value);
    prm.has_vars = 1;
    ck_assert_status(gsprov_render_value(pool, &prm, &v, &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out, "1001");
    prm.value = "${bad";
    ck_assert_status(gsprov_render_value(pool, &prm, &v, &out, &err),
                     GSPROV_EPARSE);
    ck_assert_str_eq(err, "x.xml:7: malformed ${...} in P9");
}
END_TEST

Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = unit_tcase("render");
    tcase_add_test(tc, render_v1);
    tcase_add_test(tc, render_v1_mac);
    tcase_add_test(tc, render_v2);
    tcase_add_test(tc, render_v2_parts_across_layers);
    tcase_add_test(tc, render_empty);
    tcase_add_test(tc, render_escaping);
    tcase_add_test(tc, render_roundtrip);
    tcase_add_test(tc, render_undefined);
    tcase_add_test(tc, render_value);
    suite_add_tcase(s, tc);
    return s;
}
