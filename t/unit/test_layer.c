#include <time.h>
#include "unit.h"
#include "gsprov_xml.h"
#include "gsprov_layer.h"

static gsprov_layer_t *parse_ok(const char *xml)
{
    gsprov_layer_t *l = NULL;
    char *err = NULL;
    apr_status_t rv = gsprov_xml_parse_layer(pool, xml, strlen(xml), "t.xml", &l,
                                         &err);
    ck_assert_msg(rv == APR_SUCCESS, "parse failed: %s", err ? err : "?");
    ck_assert_ptr_nonnull(l);
    return l;
}

static const char *parse_err(const char *xml, apr_size_t len)
{
    gsprov_layer_t *l = NULL;
    char *err = NULL;
    apr_status_t rv = gsprov_xml_parse_layer(pool, xml, len, "t.xml", &l, &err);
    ck_assert_status(rv, GSPROV_EPARSE);
    ck_assert_ptr_null(l);
    ck_assert_ptr_nonnull(err);
    return err;
}
#define PERR(xml) parse_err((xml), strlen(xml))

static const gsprov_param_t *P(const gsprov_layer_t *l, int i)
{
    ck_assert_int_lt(i, l->params->nelts);
    return &APR_ARRAY_IDX(l->params, i, gsprov_param_t);
}

#define ck_param(prm, n, pt, v, ln) do {                                    \
        const gsprov_param_t *q_ = (prm);                                   \
        ck_assert_str_eq(q_->name, (n));                                    \
        if ((pt) == NULL) ck_assert_ptr_null(q_->part);                     \
        else ck_assert_str_eq(q_->part, (const char *)(pt));                \
        ck_assert_str_eq(q_->value, (v));                                   \
        ck_assert_int_eq(q_->line, (ln));                                   \
        ck_assert_str_eq(q_->src, "t.xml");                                 \
    } while (0)

START_TEST(layer_v1)
{
    gsprov_layer_t *l = parse_ok(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"      /* 1 */
        "<!-- comment -->\n"                                /* 2 */
        "<gs_provision version=\"1\">\n"                    /* 3 */
        "  <mac>000b82000001</mac>\n"                       /* 4 */
        "  <config version=\"1\">\n"                        /* 5 */
        "    <P271>1</P271>\n"                              /* 6 */
        "    <!-- P2 is the admin password -->\n"           /* 7 */
        "    <P2>a &amp; b &lt;c&gt; \xc3\xa9</P2>\n"       /* 8 */
        "    <P47>${sip_server}:5060</P47>\n"               /* 9 */
        "    <P48></P48>\n"                                 /* 10 */
        "    <P99999><![CDATA[x<y]]></P99999>\n"            /* 11 */
        "    <P33>price $5</P33>\n"                         /* 12 */
        "  </config>\n"
        "</gs_provision>\n");

    ck_assert_str_eq(l->label, "t.xml");
    ck_assert_int_eq(l->version, 1);
    ck_assert_int_eq(l->params->nelts, 6);
    ck_param(P(l, 0), "P271", NULL, "1", 6);
    ck_param(P(l, 1), "P2", NULL, "a & b <c> \xc3\xa9", 8);
    ck_param(P(l, 2), "P47", NULL, "${sip_server}:5060", 9);
    ck_param(P(l, 3), "P48", NULL, "", 10);
    ck_param(P(l, 4), "P99999", NULL, "x<y", 11);
    ck_param(P(l, 5), "P33", NULL, "price $5", 12);
    ck_assert_int_eq(P(l, 0)->has_vars, 0);
    ck_assert_int_eq(P(l, 2)->has_vars, 1);
    ck_assert_int_eq(P(l, 5)->has_vars, 1);
}
END_TEST

START_TEST(layer_v1_default_version)
{
    gsprov_layer_t *l = parse_ok("<gs_provision><config><P1>x</P1></config>"
                                 "</gs_provision>");
    ck_assert_int_eq(l->version, 1);
    ck_param(P(l, 0), "P1", NULL, "x", 1);
}
END_TEST

START_TEST(layer_v2)
{
    gsprov_layer_t *l = parse_ok(
        "<?xml version=\"1.0\"?>\n"                                 /* 1 */
        "<gs_provision version=\"1\">\n"                            /* 2 */
        " <config version=\"2\">\n"                                 /* 3 */
        "  <item name=\"pbx.ip\">10.0.0.1</item>\n"                 /* 4 */
        "  <item name=\"account\">\n"                               /* 5 */
        "   <!-- parts -->\n"                                       /* 6 */
        "   <part name=\"1.sip.server\">${sip}</part>\n"            /* 7 */
        "   <part name=\"1.name\">Ext 1</part>\n"                   /* 8 */
        "  </item>\n"
        "  <item name=\"empty_one\"/>\n"                            /* 10 */
        "  <item name=\"A-b_c.d\">  spaced  </item>\n"              /* 11 */
        " </config>\n"
        "</gs_provision>");

    ck_assert_int_eq(l->version, 2);
    ck_assert_int_eq(l->params->nelts, 5);
    ck_param(P(l, 0), "pbx.ip", NULL, "10.0.0.1", 4);
    ck_param(P(l, 1), "account", "1.sip.server", "${sip}", 7);
    ck_param(P(l, 2), "account", "1.name", "Ext 1", 8);
    ck_param(P(l, 3), "empty_one", NULL, "", 10);
    ck_param(P(l, 4), "A-b_c.d", NULL, "  spaced  ", 11);
    ck_assert_int_eq(P(l, 1)->has_vars, 1);
    ck_assert_int_eq(P(l, 2)->has_vars, 0);
}
END_TEST

START_TEST(layer_empty_config)
{
    gsprov_layer_t *l = parse_ok("<gs_provision><config version=\"2\">"
                                 "</config></gs_provision>");
    ck_assert_int_eq(l->version, 2);
    ck_assert_int_eq(l->params->nelts, 0);
}
END_TEST

START_TEST(layer_empty_helper)
{
    gsprov_layer_t *l = gsprov_layer_empty(pool, "x");
    ck_assert_str_eq(l->label, "x");
    ck_assert_int_eq(l->version, 0);
    ck_assert_int_eq(l->params->nelts, 0);
}
END_TEST

/* Error cases: exact message including file:line. */
static const struct { const char *xml; const char *err; } errs[] = {
    { "<gs_provision>\n <config>\n  <P1>x</P1>\n  <foo>y</foo>\n"
      " </config>\n</gs_provision>",
      "t.xml:4: unexpected element <foo> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision>\n<config>\n<P>x</P>\n</config></gs_provision>",
      "t.xml:3: unexpected element <P> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision>\n<config>\n\n<P123456>x</P123456>\n</config>"
      "</gs_provision>",
      "t.xml:4: unexpected element <P123456> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision><config>\n<p12>x</p12></config></gs_provision>",
      "t.xml:2: unexpected element <p12> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision><config>\n<P12a>x</P12a></config></gs_provision>",
      "t.xml:2: unexpected element <P12a> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision><config>\n<Px>x</Px></config></gs_provision>",
      "t.xml:2: unexpected element <Px> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision><config>\n<P-1>x</P-1></config></gs_provision>",
      "t.xml:2: unexpected element <P-1> in config version 1 "
      "(expected P<number>)" },
    { "<gs_provision><config version=\"2\">\n\n<P2>x</P2></config>"
      "</gs_provision>",
      "t.xml:3: unexpected element <P2> in config version 2 "
      "(expected <item>)" },
    { "<gs_provision>\n<config version=\"3\"/></gs_provision>",
      "t.xml:2: <config version=\"3\">: supported versions are 1 and 2" },
    { "<gs_provision>\n<config version=\"\"/></gs_provision>",
      "t.xml:2: <config version=\"\">: supported versions are 1 and 2" },
    { "<gs_provision><config>\n<P1>a<b/>c</P1></config></gs_provision>",
      "t.xml:2: unexpected element <b> inside <P1>" },
    { "<gs_provision><config>\ntext<P1>a</P1></config></gs_provision>",
      "t.xml:2: unexpected text in <config>" },
    { "<gs_provision>\n<config version=\"2\">\n<item>x</item>"
      "</config></gs_provision>",
      "t.xml:3: <item> needs a name attribute of [A-Za-z0-9_.-] characters" },
    { "<gs_provision>\n<config version=\"2\">\n<item name=\"a b\">x</item>"
      "</config></gs_provision>",
      "t.xml:3: <item> needs a name attribute of [A-Za-z0-9_.-] characters" },
    { "<gs_provision>\n<config version=\"2\">\n<item name=\"\">x</item>"
      "</config></gs_provision>",
      "t.xml:3: <item> needs a name attribute of [A-Za-z0-9_.-] characters" },
    { "<gs_provision><config version=\"2\">\n<item name=\"a\">\n"
      "<part>x</part></item></config></gs_provision>",
      "t.xml:3: item 'a' may only hold <part name=\"...\"> elements" },
    { "<gs_provision><config version=\"2\">\n<item name=\"a\">\n"
      "<part name=\"ok\">1</part>\n<value name=\"b\">x</value></item>"
      "</config></gs_provision>",
      "t.xml:4: item 'a' may only hold <part name=\"...\"> elements" },
    { "<gs_provision><config version=\"2\">\n<item name=\"a\">\n"
      "<part name=\"x/y\">x</part></item></config></gs_provision>",
      "t.xml:3: item 'a' may only hold <part name=\"...\"> elements" },
    { "<gs_provision><config version=\"2\">\n<item name=\"a\">\n"
      "<part name=\"p\">x</part>text</item></config></gs_provision>",
      "t.xml:3: item 'a' mixes text and <part> elements" },
    /* text between two parts (was missed: found in review) */
    { "<gs_provision><config version=\"2\">\n<item name=\"a\">\n"
      "<part name=\"p\">x</part>junk<part name=\"q\">y</part></item>"
      "</config></gs_provision>",
      "t.xml:3: item 'a' mixes text and <part> elements" },
    { "<gs_provision><config version=\"2\">\n<item name=\"a\">\n"
      "<part name=\"p\">x<b/></part></item></config></gs_provision>",
      "t.xml:3: unexpected element <b> inside <part>" },
    /* malformed ${ */
    { "<gs_provision><config>\n\n<P2>${</P2></config></gs_provision>",
      "t.xml:3: malformed ${...} in value of P2" },
    { "<gs_provision><config>\n<P2>a${}b</P2></config></gs_provision>",
      "t.xml:2: malformed ${...} in value of P2" },
    { "<gs_provision><config>\n<P2>${abc</P2></config></gs_provision>",
      "t.xml:2: malformed ${...} in value of P2" },
    { "<gs_provision><config>\n<P2>${a b}</P2></config></gs_provision>",
      "t.xml:2: malformed ${...} in value of P2" },
    { "<gs_provision><config>\n<P2>${a}${\xc3\xa9}</P2></config>"
      "</gs_provision>",
      "t.xml:2: malformed ${...} in value of P2" },
    { "<gs_provision><config>\n<P2>${$a}</P2></config></gs_provision>",
      "t.xml:2: malformed ${...} in value of P2" },
    { "<gs_provision><config version=\"2\">\n<item name=\"i\">\n"
      "<part name=\"p\">${x</part></item></config></gs_provision>",
      "t.xml:3: malformed ${...} in value of i/p" },
    { "<gs_provision><config version=\"2\">\n<item name=\"i\">${x</item>"
      "</config></gs_provision>",
      "t.xml:2: malformed ${...} in value of i" },
    /* document structure */
    { "<?xml version=\"1.0\"?>\n<config><P1>x</P1></config>",
      "t.xml:2: root element is <config>, expected <gs_provision>" },
    { "<gs_provision>\n</gs_provision>",
      "t.xml:1: no <config> element" },
    { "<gs_provision>\n<config/>\n<config/>\n</gs_provision>",
      "t.xml:3: more than one <config> element" },
    { "<gs_provision>\n<config/>\n<extra/>\n</gs_provision>",
      "t.xml:3: unexpected element <extra> in <gs_provision>" },
    { "<gs_provision>\nhello<config/></gs_provision>",
      "t.xml:2: unexpected text in <gs_provision>" },
};

START_TEST(layer_errors)
{
    const char *err = PERR(errs[_i].xml);
    ck_assert_str_eq(err, errs[_i].err);
}
END_TEST

/* Not well-formed XML: the libxml2 message is prefixed with label:line. */
static const struct { const char *xml; const char *prefix; } xmlerrs[] = {
    { "<gs_provision>\n<config>\n<P1>x</P2>\n</config></gs_provision>",
      "t.xml:3: XML error: " },
    { "<gs_provision>\n<config>\n\n\n<P1>x", "t.xml:5: XML error: " },
    { "", "t.xml:1: XML error: " },
    { "not xml at all", "t.xml:1: XML error: " },
    { "<gs_provision><config>\n<P1>&foo;</P1></config></gs_provision>",
      "t.xml:2: entity references are not allowed" },
    { "<gs_provision><config>\n<P1>\xff\xfe</P1></config></gs_provision>",
      "t.xml:2: XML error: " },
    { "<gs_provision><config>\n<P1 a=\"1\" a=\"2\">x</P1></config>"
      "</gs_provision>", "t.xml:2: XML error: " },
};

START_TEST(layer_xml_errors)
{
    const char *err = PERR(xmlerrs[_i].xml);
    ck_assert_msg(strncmp(err, xmlerrs[_i].prefix,
                          strlen(xmlerrs[_i].prefix)) == 0,
                  "message '%s' does not start with '%s'", err,
                  xmlerrs[_i].prefix);
    ck_assert_uint_gt(strlen(err), strlen(xmlerrs[_i].prefix));
}
END_TEST

START_TEST(layer_nul_inside)
{
    static const char xml[] = "<gs_provision><config><P1>a\0b</P1></config>"
                              "</gs_provision>";
    const char *err = parse_err(xml, sizeof(xml) - 1);
    ck_assert_msg(strncmp(err, "t.xml:1: XML error: ", 20) == 0, "%s", err);
}
END_TEST

START_TEST(layer_doctype)
{
    const char *err = PERR("<?xml version=\"1.0\"?>\n"
                           "<!DOCTYPE gs_provision>\n"
                           "<gs_provision><config><P1>x</P1></config>"
                           "</gs_provision>");
    /* the message names the line of the DOCTYPE like every other error */
    ck_assert_str_eq(err, "t.xml:2: DOCTYPE declarations are not allowed");
}
END_TEST

START_TEST(layer_doctype_entity)
{
    /* an internal entity would be a way to smuggle values in */
    const char *err = PERR("<!DOCTYPE gs_provision [\n"
                           "<!ENTITY pw \"secret\">\n"
                           "]>\n"
                           "<gs_provision><config><P1>&pw;</P1></config>"
                           "</gs_provision>");
    ck_assert_str_eq(err, "t.xml:1: DOCTYPE declarations are not allowed");
}
END_TEST

START_TEST(layer_doctype_external)
{
    const char *err = PERR("<!DOCTYPE gs_provision [\n"
                           "<!ENTITY x SYSTEM \"file:///etc/passwd\">\n"
                           "]>\n"
                           "<gs_provision><config><P1>&x;</P1></config>"
                           "</gs_provision>");
    ck_assert_ptr_null(strstr(err, "root:"));
}
END_TEST

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(layer_billion_laughs)
{
    static const char xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE gs_provision [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<gs_provision><config><P1>&lol9;&lol9;&lol9;</P1></config>"
        "</gs_provision>\n";
    double t0 = now_sec(), dt;
    const char *err = parse_err(xml, sizeof(xml) - 1);

    dt = now_sec() - t0;
    ck_assert_msg(dt < 1.0, "billion laughs took %.2f s", dt);
    ck_assert_msg(strncmp(err, "t.xml:", 6) == 0, "%s", err);
}
END_TEST

/* Stray text is reported on its own line, not at the next tag (vendor
 * templates have it between comment blocks, lines above the next
 * parameter). */
START_TEST(layer_stray_text_line)
{
    ck_assert_str_eq(PERR("<gs_provision>\n<config>\n<P1>a</P1>\n"
                          "  <!-- one\n  -->\n\n  stray words\n\n"
                          "  <!-- two -->\n  more\n<P2>b</P2>\n"
                          "</config></gs_provision>"),
                     "t.xml:7: unexpected text in <config>");
    ck_assert_str_eq(PERR("<gs_provision>\n<config>\n<P1>a</P1>\n\n"
                          "stray\n\n</config></gs_provision>"),
                     "t.xml:5: unexpected text in <config>");
    ck_assert_str_eq(PERR("<gs_provision>\n<config>\n<P1>a</P1>"
                          "<P2>b</P2>\n\n</config>\n  x\n"
                          "</gs_provision>"),
                     "t.xml:6: unexpected text in <gs_provision>");
}
END_TEST

/* What lint adds to the two refusals vendor templates commonly run into
 * (a "<!--" nested in a comment; stray text), and to nothing else. */
START_TEST(layer_hints)
{
    const char *err;

    err = PERR("<?xml version=\"1.0\"?>\n<gs_provision>\n<config>\n"
               "<!-- Grandstream's header\n<!-- nested\n-->\n<P1>a</P1>\n"
               "</config></gs_provision>");
    ck_assert_msg(strncmp(err, "t.xml:5: XML error: ", 20) == 0, "%s", err);
    ck_assert_ptr_nonnull(gsprov_xml_hint(err));
    ck_assert_ptr_nonnull(strstr(gsprov_xml_hint(err), "<!--"));
    err = PERR("<gs_provision><config>\n<!-- a -- b -->\n</config>"
               "</gs_provision>");
    ck_assert_ptr_nonnull(gsprov_xml_hint(err));
    err = PERR("<gs_provision><config>\n<P1>a</P1>\ntext\n</config>"
               "</gs_provision>");
    ck_assert_str_eq(err, "t.xml:3: unexpected text in <config>");
    ck_assert_ptr_nonnull(strstr(gsprov_xml_hint(err), "comment"));
    ck_assert_ptr_null(gsprov_xml_hint(PERR("<gs_provision>\n<config>\n"
                                            "<P1>x</P2>\n</config>"
                                            "</gs_provision>")));
    ck_assert_ptr_null(gsprov_xml_hint(PERR("<gs_provision><config>\n"
                                            "<P1>${</P1></config>"
                                            "</gs_provision>")));
    ck_assert_ptr_null(gsprov_xml_hint(NULL));
    /* the text of a value is never a reason for a hint */
    ck_assert_ptr_null(gsprov_xml_hint("t.xml:1: undefined variable ${x} "
                                       "in P1"));
}
END_TEST

START_TEST(layer_pname_ident)
{
    ck_assert_int_eq(gsprov_layer_pname_valid("P1"), 1);
    ck_assert_int_eq(gsprov_layer_pname_valid("P12345"), 1);
    ck_assert_int_eq(gsprov_layer_pname_valid("P123456"), 0);
    ck_assert_int_eq(gsprov_layer_pname_valid("P"), 0);
    ck_assert_int_eq(gsprov_layer_pname_valid(""), 0);
    ck_assert_int_eq(gsprov_layer_pname_valid("p1"), 0);
    ck_assert_int_eq(gsprov_layer_pname_valid("P1 "), 0);
    ck_assert_int_eq(gsprov_layer_ident_valid("a.b-c_D9"), 1);
    ck_assert_int_eq(gsprov_layer_ident_valid(""), 0);
    ck_assert_int_eq(gsprov_layer_ident_valid("a b"), 0);
    ck_assert_int_eq(gsprov_layer_ident_valid("a/b"), 0);
    ck_assert_int_eq(gsprov_layer_ident_valid("a}"), 0);
    {
        char n[130];
        memset(n, 'x', 128);
        n[128] = '\0';
        ck_assert_int_eq(gsprov_layer_ident_valid(n), 1);
        n[128] = 'x';
        n[129] = '\0';
        ck_assert_int_eq(gsprov_layer_ident_valid(n), 0);
    }
}
END_TEST

Suite *layer_suite(void)
{
    Suite *s = suite_create("layer");
    TCase *tc = unit_tcase("layer");
    tcase_add_test(tc, layer_v1);
    tcase_add_test(tc, layer_v1_default_version);
    tcase_add_test(tc, layer_v2);
    tcase_add_test(tc, layer_empty_config);
    tcase_add_test(tc, layer_empty_helper);
    tcase_add_loop_test(tc, layer_errors, 0,
                        (int)(sizeof(errs) / sizeof(errs[0])));
    tcase_add_loop_test(tc, layer_xml_errors, 0,
                        (int)(sizeof(xmlerrs) / sizeof(xmlerrs[0])));
    tcase_add_test(tc, layer_nul_inside);
    tcase_add_test(tc, layer_doctype);
    tcase_add_test(tc, layer_doctype_entity);
    tcase_add_test(tc, layer_doctype_external);
    tcase_add_test(tc, layer_billion_laughs);
    tcase_add_test(tc, layer_pname_ident);
    tcase_add_test(tc, layer_stray_text_line);
    tcase_add_test(tc, layer_hints);
    suite_add_tcase(s, tc);
    return s;
}
