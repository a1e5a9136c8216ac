/* lib/gsprov_redirect.c and the <redirect> element of device records. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem */
#endif
#include <time.h>
#include "unit.h"
#include "gsprov_redirect.h"
#include "gsprov_provision.h"
#include "gsprov_device.h"
#include "gsprov_binary.h"
#include "gsprov_store.h"

#define MAC "000b82abcdef"

/* ---- values ---------------------------------------------------------- */

static const char *const good_paths[] = {
    "prov.example.com", "prov.example.com/gs", "prov.example.com:8443/a/b",
    "10.0.0.1/p", "[2001:db8::1]:443/x", "[::1]", "a-b.c/p_~.-!$&'()*+,;=:@x",
    "host/%2Fenc", "h:65535/", "h:1",
};
static const char *const bad_paths[] = {
    "", "https://prov.example.com/gs", "http://x", "/path-only", ".host/p",
    "-host/p", "host:0/p", "host:65536/p", "host:/p", "host:123456/p",
    "host name/p", "host/p q", "host/p?x=1", "host/p#f", "host/%zz",
    "host/%2", "[2001:db8::1/x", "[]/x", "host/\x01", "host/\xc3\xbc",
    "ho\"st/p", "host\\/p", "host/p\"",
};

START_TEST(redirect_paths_good)
{
    const char *why = gsprov_redirect_path_check(good_paths[_i]);
    ck_assert_msg(why == NULL, "'%s' rejected: %s", good_paths[_i], why);
}
END_TEST

START_TEST(redirect_paths_bad)
{
    ck_assert_msg(gsprov_redirect_path_check(bad_paths[_i]) != NULL,
                  "'%s' accepted", bad_paths[_i]);
}
END_TEST

START_TEST(redirect_path_length)
{
    char buf[GSPROV_MAX_REDIRECT_PATH_LEN + 2];
    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    ck_assert_ptr_nonnull(gsprov_redirect_path_check(buf));     /* 256 */
    buf[sizeof(buf) - 2] = '\0';
    ck_assert_ptr_null(gsprov_redirect_path_check(buf));        /* 255 */
}
END_TEST

START_TEST(redirect_protocols)
{
    ck_assert_int_eq(gsprov_redirect_protocol_parse("tftp"), 0);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("HTTP"), 1);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("https"), 2);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("ftp"), 3);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("ftps"), 4);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("0"), 0);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("4"), 4);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("5"), -1);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("22"), -1);
    ck_assert_int_eq(gsprov_redirect_protocol_parse(""), -1);
    ck_assert_int_eq(gsprov_redirect_protocol_parse("https "), -1);
}
END_TEST

START_TEST(redirect_values)
{
    char buf[GSPROV_MAX_REDIRECT_VALUE_LEN + 2];
    ck_assert_ptr_null(gsprov_redirect_value_check("pw with spaces & <x>"));
    ck_assert_ptr_null(gsprov_redirect_value_check("Z\xc3\xbcrich"));
    ck_assert_ptr_nonnull(gsprov_redirect_value_check(""));
    ck_assert_ptr_nonnull(gsprov_redirect_value_check("a\tb"));
    ck_assert_ptr_nonnull(gsprov_redirect_value_check("a\nb"));
    ck_assert_ptr_nonnull(gsprov_redirect_value_check("a\x7f"));
    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    ck_assert_ptr_nonnull(gsprov_redirect_value_check(buf));
    buf[sizeof(buf) - 2] = '\0';
    ck_assert_ptr_null(gsprov_redirect_value_check(buf));
}
END_TEST

/* ---- records --------------------------------------------------------- */

static apr_status_t parse(const char *xml, gsprov_device_t **d, char **err)
{
    *d = NULL;
    *err = NULL;
    return gsprov_xml_parse_device(pool, MAC, xml, strlen(xml), "d.xml", d, err);
}

START_TEST(redirect_record_full)
{
    gsprov_device_t *d;
    char *err;
    ck_assert_status(parse(
        "<device>\n"
        "  <password>local</password>\n"
        "  <username>u</username><secret>s</secret>\n"
        "  <redirect>\n"
        "    <config>prov.b.example/p</config>\n"
        "    <firmware>fw.b.example/f</firmware>\n"
        "    <protocol>http</protocol>\n"
        "    <password>t&amp;pw</password>\n"
        "    <username>tu</username>\n"
        "    <secret>ts</secret>\n"
        "  </redirect>\n"
        "</device>\n", &d, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(d->redirect);
    ck_assert_str_eq(d->redirect->config, "prov.b.example/p");
    ck_assert_str_eq(d->redirect->firmware, "fw.b.example/f");
    ck_assert_int_eq(d->redirect->protocol, 1);
    ck_assert_str_eq(d->redirect->password, "t&pw");
    ck_assert_str_eq(d->redirect->username, "tu");
    ck_assert_str_eq(d->redirect->secret, "ts");
    ck_assert_str_eq(d->redirect->src, "d.xml:4");
    /* the record's own fields stay this server's */
    ck_assert_str_eq(d->password, "local");
    ck_assert_int_eq(d->nusernames, 1);
    ck_assert_str_eq(d->usernames[0], "u");
    ck_assert_str_eq(d->secrets[0], "s");
}
END_TEST

START_TEST(redirect_record_minimal)
{
    gsprov_device_t *d;
    char *err;
    ck_assert_status(parse("<device><redirect><config>h/p</config>"
                           "</redirect></device>", &d, &err), APR_SUCCESS);
    ck_assert_str_eq(d->redirect->config, "h/p");
    ck_assert_ptr_null(d->redirect->firmware);
    ck_assert_int_eq(d->redirect->protocol, GSPROV_DEFAULT_REDIRECT_PROTOCOL);
    ck_assert_ptr_null(d->redirect->password);
    /* an ordinary record has none */
    ck_assert_status(parse("<device><model>gxp2170</model></device>", &d,
                           &err), APR_SUCCESS);
    ck_assert_ptr_null(d->redirect);
}
END_TEST

static const struct {
    const char *xml, *want;
} rec_errs[] = {
    { "<device><redirect></redirect></device>",
      "d.xml:1: <redirect> needs a <config>" },
    { "<device><redirect><config>h/p</config></redirect>"
      "<redirect><config>h/p</config></redirect></device>",
      "more than one <redirect>" },
    { "<device><redirect><config>h/p</config><config>h/q</config>"
      "</redirect></device>", "more than one <config> in <redirect>" },
    { "<device>\n<redirect>\n<config>https://h/p</config></redirect></device>",
      "d.xml:3: <redirect><config> must not carry a scheme" },
    { "<device><redirect><config>h/p</config><firmware>h p</firmware>"
      "</redirect></device>", "<redirect><firmware> has a character" },
    { "<device><redirect><config>h/p</config><protocol>gopher</protocol>"
      "</redirect></device>", "<redirect><protocol> must be" },
    { "<device><redirect><config>h/p</config><password></password>"
      "</redirect></device>", "<redirect><password> is empty" },
    { "<device><redirect><config>h/p</config><secret>a&#10;b</secret>"
      "</redirect></device>", "<redirect><secret> holds a control" },
    { "<device><redirect><config>h/p</config><model>x</model>"
      "</redirect></device>", "unexpected element <model> in <redirect>" },
    { "<device><redirect><config>h/p<b/></config></redirect></device>",
      "unexpected element <b>" },
    { "<device><redirect>text<config>h/p</config></redirect></device>",
      "unexpected text" },
    { "<device><model>gxp2170</model><redirect><config>h/p</config>"
      "</redirect></device>", "cannot also have <model>" },
    { "<device><redirect><config>h/p</config></redirect><group>g</group>"
      "</device>", "cannot also have <group>" },
    { "<device><redirect><config>h/p</config></redirect>"
      "<var name=\"a\">b</var></device>", "cannot also have <var>" },
    { "<device><redirect><config>h/p</config></redirect>"
      "<config version=\"1\"/></device>", "cannot also have <config>" },
};

START_TEST(redirect_record_errors)
{
    gsprov_device_t *d;
    char *err;
    apr_status_t rv = parse(rec_errs[_i].xml, &d, &err);
    ck_assert_status(rv, GSPROV_EREDIRECT);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, rec_errs[_i].want) != NULL,
                  "error '%s' lacks '%s'", err, rec_errs[_i].want);
}
END_TEST

START_TEST(redirect_record_error_hides_secret)
{
    gsprov_device_t *d;
    char *err;
    ck_assert_status(parse("<device><redirect><config>h/p</config>"
                           "<password>hunter2\x01</password></redirect>"
                           "</device>", &d, &err), GSPROV_EPARSE);
    ck_assert_ptr_null(strstr(err, "hunter"));
    ck_assert_status(parse("<device><redirect><config>h/p</config>"
                           "<secret>hunter2&#1;</secret><secret>x</secret>"
                           "</redirect></device>", &d, &err), GSPROV_EPARSE);
    ck_assert_ptr_null(strstr(err, "hunter"));
    ck_assert_status(parse("<device><redirect><config>h/p</config>"
                           "<secret>hunter2</secret><secret>hunter3</secret>"
                           "</redirect></device>", &d, &err),
                     GSPROV_EREDIRECT);
    ck_assert_ptr_null(strstr(err, "hunter"));
}
END_TEST

/* ---- the map --------------------------------------------------------- */

static apr_hash_t *map_ok(const char *text)
{
    apr_hash_t *h = NULL;
    char *err = NULL;
    apr_status_t rv = gsprov_redirect_map_parse(pool, text, strlen(text),
                                                "m.map", NULL, &h, &err);
    ck_assert_msg(rv == APR_SUCCESS, "map failed: %s", err ? err : "?");
    return h;
}

START_TEST(redirect_map_good)
{
    apr_hash_t *h = map_ok(
        "# comment\n"
        "\n"
        "   \t\n"
        "000b82000001 a.example/p\n"
        "000B82000002\tb.example:8080/q  fw.example/f protocol=http # c\r\n"
        "  000b82000003 protocol=tftp c.example\n"
        "000b82000005 e.example/y");          /* no final newline */
    const gsprov_redirect_t *r;

    ck_assert_uint_eq(apr_hash_count(h), 4);
    r = apr_hash_get(h, "000b82000001", 12);
    ck_assert_str_eq(r->config, "a.example/p");
    ck_assert_ptr_null(r->firmware);
    ck_assert_int_eq(r->protocol, GSPROV_DEFAULT_REDIRECT_PROTOCOL);
    ck_assert_str_eq(r->src, "m.map:4");
    r = apr_hash_get(h, "000b82000002", 12);
    ck_assert_str_eq(r->config, "b.example:8080/q");
    ck_assert_str_eq(r->firmware, "fw.example/f");
    ck_assert_int_eq(r->protocol, 1);
    r = apr_hash_get(h, "000b82000003", 12);
    ck_assert_str_eq(r->config, "c.example");
    ck_assert_int_eq(r->protocol, 0);
    ck_assert_str_eq(((const gsprov_redirect_t *)
                      apr_hash_get(h, "000b82000005", 12))->config,
                     "e.example/y");
    ck_assert_uint_eq(apr_hash_count(map_ok("")), 0);
}
END_TEST

static const struct {
    const char *text, *want;
} map_errs[] = {
    { "000b82000001 d.example/x#frag\n", "m.map:1: config path has a char" },
    { "x a.example/p\n", "m.map:1: 'x' is not a MAC" },
    { "000b8200000 a.example/p\n", "is not a MAC" },
    { "00:0b:82:00:00:01 a.example/p\n", "is not a MAC" },
    { "\n\n000b82000001\n", "m.map:3: 000b82000001: no config path" },
    { "000b82000001 a/p\n000b82000001 b/p\n",
      "m.map:2: 000b82000001 is already redirected on line 1" },
    { "000b82000001 a/p protocol=\n", "protocol '' is not" },
    { "000b82000001 a/p Protocol=http\n", "has a character not allowed" },
    { "000b82000001 a/p user=x\n", "unknown option 'user='" },
    { "000b82000001 a/p b/p c/p\n", "more than two paths" },
    { "000b82000001 a/p b/p c/p d/p\n", "too many fields" },
    { "000b82000001 a/p http://b/p\n", "firmware path must not carry" },
    { "000b82000001 a/p\n000b82000002 a\0/p\n", "m.map:2: NUL byte" },
};

START_TEST(redirect_map_errors)
{
    apr_hash_t *h = NULL;
    char *err = NULL;
    const char *t = map_errs[_i].text;
    /* the NUL case: the length runs to the last newline */
    apr_size_t len = strlen(t);
    if (strstr(map_errs[_i].want, "NUL"))
        len = strlen(t) + 1 + strlen(t + strlen(t) + 1);
    ck_assert_status(gsprov_redirect_map_parse(pool, t, len, "m.map", NULL,
                                               &h, &err), GSPROV_EREDIRECT);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, map_errs[_i].want) != NULL,
                  "error '%s' lacks '%s'", err, map_errs[_i].want);
}
END_TEST

typedef struct {
    int n;
    char *all;
} collect_t;

static void collect(void *baton, const char *msg)
{
    collect_t *c = baton;
    c->n++;
    c->all = apr_pstrcat(pool, c->all ? c->all : "", msg, "\n", NULL);
}

START_TEST(redirect_map_lint_reports_all)
{
    collect_t c = { 0, NULL };
    gsprov_report_t rep = { collect, &c };
    static const char text[] = "bad1 a/p\n000b82000001 a/p\nbad2 a/p\n"
                               "000b82000002 https://x\n";
    apr_hash_t *h = NULL;
    char *err = NULL;
    ck_assert_status(gsprov_redirect_map_parse(pool, text, strlen(text),
                                               "m.map", &rep, &h, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(c.n, 3);
    ck_assert_ptr_nonnull(strstr(c.all, "m.map:1:"));
    ck_assert_ptr_nonnull(strstr(c.all, "m.map:3:"));
    ck_assert_ptr_nonnull(strstr(c.all, "m.map:4:"));
    ck_assert_uint_eq(apr_hash_count(h), 1);   /* the good line is kept */
}
END_TEST

/* 100k lines: one pass into a hash, well under a second */
START_TEST(redirect_map_large)
{
    const int n = 100000;
    char *buf = apr_palloc(pool, (apr_size_t)n * 64), *c = buf;
    apr_hash_t *h;
    clock_t t0;
    double secs;
    int i;
    for (i = 0; i < n; i++)
        c += sprintf(c, "000b82%06x prov%d.example/p fw.example/f\n", i,
                     i % 50);
    t0 = clock();
    h = NULL;
    {
        char *err = NULL;
        ck_assert_status(gsprov_redirect_map_parse(pool, buf,
                         (apr_size_t)(c - buf), "big.map", NULL, &h, &err),
                         APR_SUCCESS);
    }
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_uint_eq(apr_hash_count(h), (unsigned)n);
    ck_assert_str_eq(((const gsprov_redirect_t *)
                      apr_hash_get(h, "000b82001234", 12))->config,
                     "prov10.example/p");   /* 0x1234 = 4660, % 50 = 10 */
    fprintf(stderr, "redirect map: %d lines parsed in %.3f s\n", n, secs);
    /* generous: valgrind and sanitizer builds run this too */
    ck_assert_msg(secs < 20.0, "100k lines took %.1f s", secs);
}
END_TEST

/* ---- rendering ------------------------------------------------------- */

static gsprov_redirect_t full_rd = {
    "prov.b.example/p", "fw.b.example/f", 2, "pw&<x>", "user", "sec ret",
    "d.xml:3", 3
};

START_TEST(redirect_render_xml)
{
    gsprov_settings_t set;
    gsprov_output_t out;
    char *err = NULL;
    memset(&set, 0, sizeof(set));
    memset(&out, 0, sizeof(out));
    set.binary = GSPROV_BINARY_BOOTSTRAP;
    ck_assert_status(gsprov_redirect_render(pool, &full_rd, MAC,
                     GSPROV_KIND_DEVICE_XML, NULL, &set, &out, &err),
                     APR_SUCCESS);
    ck_assert_bytes(out.body, out.len,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gs_provision version=\"1\">\n"
        "  <mac>" MAC "</mac>\n"
        "  <config version=\"1\">\n"
        "    <P237>prov.b.example/p</P237>\n"
        "    <P212>2</P212>\n"
        "    <P192>fw.b.example/f</P192>\n"
        "    <P1359>pw&amp;&lt;x&gt;</P1359>\n"
        "    <P1360>user</P1360>\n"
        "    <P1361>sec ret</P1361>\n"
        "  </config>\n"
        "</gs_provision>\n");
    ck_assert_str_eq(out.content_type, GSPROV_CT_XML);
    ck_assert_int_eq(out.kind, GSPROV_KIND_DEVICE_XML);
    ck_assert_str_eq(out.redirect, "prov.b.example/p");
    ck_assert_int_eq(out.encrypted, 0);
}
END_TEST

START_TEST(redirect_render_encrypted)
{
    gsprov_settings_t set;
    gsprov_output_t out;
    char *err = NULL, *pt;
    apr_size_t ptlen;
    memset(&set, 0, sizeof(set));
    set.key_digest = GSPROV_MD_MD5;
    ck_assert_status(gsprov_redirect_render(pool, &full_rd, MAC,
                     GSPROV_KIND_DEVICE_XML, "local", &set, &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(out.encrypted, 1);
    ck_assert_str_eq(out.content_type, GSPROV_CT_ENCRYPTED);
    ck_assert_int_eq(memcmp(out.body, "Salted__", 8), 0);
    ck_assert_status(gsprov_crypto_decrypt(pool, "local", GSPROV_MD_MD5, out.body,
                                    out.len, (unsigned char **)&pt, &ptlen),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(apr_pstrmemdup(pool, pt, ptlen),
                                 "<P237>prov.b.example/p</P237>"));
    /* plain (CLI --plain, lint): never encrypted */
    set.plain = 1;
    ck_assert_status(gsprov_redirect_render(pool, &full_rd, MAC,
                     GSPROV_KIND_DEVICE_XML, "local", &set, &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(out.encrypted, 0);
}
END_TEST

START_TEST(redirect_render_binary)
{
    gsprov_settings_t set;
    gsprov_output_t out;
    apr_array_header_t *pv;
    char *err = NULL, mac[13];
    gsprov_redirect_t min = { "h/p", NULL, 0, NULL, NULL, NULL, "m:1", 1 };

    memset(&set, 0, sizeof(set));
    set.binary = GSPROV_BINARY_FULL;    /* a redirect is the same in any mode */
    ck_assert_status(gsprov_redirect_render(pool, &full_rd, MAC,
                     GSPROV_KIND_DEVICE_BIN, "local", &set, &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.content_type, GSPROV_CT_BINARY);
    ck_assert_status(gsprov_binary_decode(pool, (const unsigned char *)out.body,
                                          out.len, mac, &pv, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(mac, MAC);
    ck_assert_int_eq(pv->nelts, 6);
    ck_assert_str_eq(APR_ARRAY_IDX(pv, 0, gsprov_pvalue_t).name, "P237");
    ck_assert_str_eq(APR_ARRAY_IDX(pv, 1, gsprov_pvalue_t).value, "2");
    ck_assert_str_eq(APR_ARRAY_IDX(pv, 3, gsprov_pvalue_t).value, "pw&<x>");
    /* the local password is never in it */
    ck_assert_ptr_null(memmem(out.body, out.len, "local", 5));

    ck_assert_status(gsprov_redirect_render(pool, &min, MAC,
                     GSPROV_KIND_DEVICE_BIN, NULL, &set, &out, &err),
                     APR_SUCCESS);
    ck_assert_bytes(out.body + 16, out.len - 16, "P237=h%2Fp&P212=0&gnkey=0b82");

    set.binary = GSPROV_BINARY_OFF;
    ck_assert_status(gsprov_redirect_render(pool, &min, MAC,
                     GSPROV_KIND_DEVICE_BIN, NULL, &set, &out, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "off"));
}
END_TEST

/* ---- through the store and the pipeline ------------------------------ */

static apr_status_t provision(gsprov_store_t *s, const char *file,
                              gsprov_output_t *out, char **err)
{
    gsprov_name_t name;
    gsprov_settings_t set;
    memset(&set, 0, sizeof(set));
    set.binary = GSPROV_BINARY_BOOTSTRAP;
    set.plain = 1;
    ck_assert_int_eq(gsprov_name_resolve(file, strlen(file), &name), 1);
    *err = NULL;
    return gsprov_provision(pool, s, gsprov_store_templates(s, pool, 0),
                            &name, &set, out, err);
}

START_TEST(redirect_store_pipeline)
{
    const char *dir = unit_tmpdir();
    gsprov_store_t *s;
    gsprov_output_t out;
    gsprov_context_t ctx;
    gsprov_settings_t set;
    char *err = NULL;

    unit_write(dir, "defaults.xml", "<gs_provision><config version=\"1\">"
               "<P2>x</P2></config></gs_provision>", -1);
    unit_write(dir, "redirect.map", "000b82000001 map.example/1\n"
               "000b82000002 map.example/2\n000b82000003 map.example/3\n", -1);
    unit_write(dir, "devices/000b82000002.xml", "<device><redirect><config>"
               "rec.example/2</config></redirect></device>", -1);
    unit_write(dir, "devices/000b82000003.xml", "<device/>", -1);
    ck_assert_status(gsprov_store_file_open(pool, dir, NULL, &s, &err),
                     APR_SUCCESS);

    ck_assert_status(provision(s, "cfg000b82000001.xml", &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.redirect, "map.example/1");
    ck_assert_status(provision(s, "cfg000b82000002", &out, &err), APR_SUCCESS);
    ck_assert_str_eq(out.redirect, "rec.example/2");      /* record > map */
    ck_assert_int_eq(out.kind, GSPROV_KIND_DEVICE_BIN);
    ck_assert_status(provision(s, "cfg000b82000003.xml", &out, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(out.redirect);                     /* its own file */
    ck_assert_status(provision(s, "cfg000b82000009.xml", &out, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_status(provision(s, "gs_cfg000b82000001.xml", &out, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "prefix/postfix"));

    /* to the firmware handler (gsprov_context) a redirected device is
     * unknown */
    memset(&set, 0, sizeof(set));
    ck_assert_status(gsprov_context(pool, s, gsprov_store_templates(s, pool, 0),
                                    "000b82000002", NULL, &set, &ctx, &err),
                     GSPROV_ENOTFOUND);
    ck_assert_ptr_nonnull(ctx.redirect);
}
END_TEST

START_TEST(redirect_store_bad_map)
{
    const char *dir = unit_tmpdir();
    gsprov_store_t *s;
    char *err = NULL;
    unit_write(dir, "redirect.map", "000b82000001 ok.example\nnope\n", -1);
    ck_assert_status(gsprov_store_file_open(pool, dir, NULL, &s, &err),
                     GSPROV_EREDIRECT);
    ck_assert_ptr_nonnull(strstr(err, "/redirect.map:2: 'nope' is not a MAC"));
}
END_TEST

static char logged[1024];
static void log_capture(void *baton, const char *file, int line,
                        gsprov_log_level_e level, const char *msg)
{
    apr_cpystrn(logged, msg, sizeof(logged));
}

START_TEST(redirect_store_reload)
{
    const char *dir = unit_tmpdir();
    gsprov_logger_t log = { log_capture, NULL, GSPROV_LOG_DEBUG, NULL };
    gsprov_store_t *s;
    gsprov_output_t out;
    const gsprov_templates_t *t1, *t2;
    char *err = NULL;

    unit_write(dir, "redirect.map", "000b82000001 one.example\n", -1);
    ck_assert_status(gsprov_store_file_open(pool, dir, &log, &s, &err),
                     APR_SUCCESS);
    t1 = gsprov_store_templates(s, pool, 0);
    /* a different size, so the stamp changes even within one mtime tick */
    unit_write(dir, "redirect.map", "000b82000001 two.example/x\n", -1);
    t2 = gsprov_store_templates(s, pool, 0);
    ck_assert_str_ne(t1->version, t2->version);   /* the map is versioned */
    ck_assert_status(provision(s, "cfg000b82000001.xml", &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.redirect, "two.example/x");
    logged[0] = '\0';
    unit_write(dir, "redirect.map", "000b82000001 three.example/x\nbad\n", -1);
    ck_assert_status(provision(s, "cfg000b82000001.xml", &out, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.redirect, "two.example/x");   /* last good */
    ck_assert_int_eq(strncmp(logged, "GSPROV0802: ", 12), 0);
}
END_TEST

Suite *redirect_suite(void)
{
    Suite *s = suite_create("redirect");
    TCase *tc = unit_tcase("redirect");
    tcase_add_loop_test(tc, redirect_paths_good, 0,
                        (int)(sizeof(good_paths) / sizeof(good_paths[0])));
    tcase_add_loop_test(tc, redirect_paths_bad, 0,
                        (int)(sizeof(bad_paths) / sizeof(bad_paths[0])));
    tcase_add_test(tc, redirect_path_length);
    tcase_add_test(tc, redirect_protocols);
    tcase_add_test(tc, redirect_values);
    tcase_add_test(tc, redirect_record_full);
    tcase_add_test(tc, redirect_record_minimal);
    tcase_add_loop_test(tc, redirect_record_errors, 0,
                        (int)(sizeof(rec_errs) / sizeof(rec_errs[0])));
    tcase_add_test(tc, redirect_record_error_hides_secret);
    tcase_add_test(tc, redirect_map_good);
    tcase_add_loop_test(tc, redirect_map_errors, 0,
                        (int)(sizeof(map_errs) / sizeof(map_errs[0])));
    tcase_add_test(tc, redirect_map_lint_reports_all);
    tcase_add_test(tc, redirect_map_large);
    tcase_add_test(tc, redirect_render_xml);
    tcase_add_test(tc, redirect_render_encrypted);
    tcase_add_test(tc, redirect_render_binary);
    tcase_add_test(tc, redirect_store_pipeline);
    tcase_add_test(tc, redirect_store_bad_map);
    tcase_add_test(tc, redirect_store_reload);
    suite_add_tcase(s, tc);
    return s;
}
