#include "unit.h"
#include "gsprov_name.h"

#define N(lit) lit, sizeof(lit) - 1

static const struct {
    const char *s; size_t len; gsprov_kind_e kind; const char *mac;
    const char *model;
} good[] = {
    { N("cfg.xml"), GSPROV_KIND_GENERIC_XML, "", "" },
    { N("cfg000b82abcdef.xml"), GSPROV_KIND_DEVICE_XML, "000b82abcdef", "" },
    { N("cfg000B82ABCDEF.xml"), GSPROV_KIND_DEVICE_XML, "000b82abcdef", "" },
    { N("cfgC074aD273A10.xml"), GSPROV_KIND_DEVICE_XML, "c074ad273a10", "" },
    /* 12 hex digits are a MAC even though they also fit the model rule */
    { N("cfgabcdefabcdef.xml"), GSPROV_KIND_DEVICE_XML, "abcdefabcdef", "" },
    { N("cfg000000000000.xml"), GSPROV_KIND_DEVICE_XML, "000000000000", "" },
    { N("cfggxp2170.xml"), GSPROV_KIND_MODEL_XML, "", "gxp2170" },
    { N("cfgx.xml"), GSPROV_KIND_MODEL_XML, "", "x" },
    { N("cfg1.xml"), GSPROV_KIND_MODEL_XML, "", "1" },
    { N("cfght802.xml"), GSPROV_KIND_MODEL_XML, "", "ht802" },
    { N("cfg0123456789abcdefghijklmnopqrstuv.xml"), GSPROV_KIND_MODEL_XML,
      "", "0123456789abcdefghijklmnopqrstuv" },        /* 32 chars */
    /* 11 and 13 lowercase hex digits are not a MAC but fit the model rule */
    { N("cfg000b82abcde.xml"), GSPROV_KIND_MODEL_XML, "", "000b82abcde" },
    { N("cfg000b82abcdef0.xml"), GSPROV_KIND_MODEL_XML, "", "000b82abcdef0" },
    /* a postfix right after a lowercase MAC without a separator makes the
     * stem a model name ([a-z0-9]{1,32} that is not 12 hex digits) */
    { N("cfg000b82123456001.xml"), GSPROV_KIND_MODEL_XML, "",
      "000b82123456001" },
    { N("cfg000b82123456cfg.xml"), GSPROV_KIND_MODEL_XML, "",
      "000b82123456cfg" },
    /* likewise a prefix that starts with "cfg" and no postfix */
    { N("cfgcfg000b82123456.xml"), GSPROV_KIND_MODEL_XML, "",
      "cfg000b82123456" },
    /* len bounds the name: trailing bytes are not looked at */
    { "cfg.xml/../../etc/passwd", 7, GSPROV_KIND_GENERIC_XML, "", "" },
};

START_TEST(name_good)
{
    gsprov_name_t n;
    memset(&n, 0x55, sizeof(n));
    ck_assert_msg(gsprov_name_resolve(good[_i].s, good[_i].len, &n) == 1,
                  "rejected %.*s", (int)good[_i].len, good[_i].s);
    ck_assert_int_eq(n.kind, good[_i].kind);
    ck_assert_str_eq(n.mac, good[_i].mac);
    ck_assert_str_eq(n.model, good[_i].model);
}
END_TEST

static const struct { const char *s; size_t len; } bad[] = {
    { N("") },
    { N("cfg") },
    { N(".xml") },
    { N("cfgxml") },
    { N("cfg.xm") },
    { N("CFG.xml") },
    { N("cfg.XML") },
    { N("Cfg000b82abcdef.xml") },
    { N("cfgGXP2170.xml") },           /* models are lowercase */
    { N("cfgGxp2170.xml") },
    { N("cfggxp2170.xml.xml") },       /* dot in the stem */
    { N("cfg.gxp2170.xml") },
    { N("cfg..xml") },
    { N("cfg/.xml") },
    { N("cfg../x.xml") },
    { N("cfg/etc/passwd.xml") },
    { N("../cfg.xml") },
    { N("/cfg.xml") },
    { N("cfg%2f.xml") },               /* never URL-decoded here */
    { N("cfg%2e%2e.xml") },
    { N("cfg\\x.xml") },
    { N("cfg\0.xml") },                /* NUL inside */
    { N("cfg.xml\0") },
    { N("cfg000b82\0bcdef.xml") },
    { N("cfg gxp.xml") },
    { N(" cfg.xml") },
    { N("cfg.xml ") },
    { N("cfg\tx.xml") },
    { N("cfg-.xml") },
    { N("cfg_x.xml") },
    { N("cfggxp-2170.xml") },
    { N("cfg00:0b:82:ab:cd:ef.xml") },
    { N("cfg000B82ABCDE.xml") },       /* 11 hex, uppercase: neither */
    { N("cfgaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.xml") },
    { N("cfg\xc3\xa9.xml") },          /* UTF-8 letter */
    { N("cfg\xff.xml") },
    { N("xcfg.xml") },
    { N("cfg.xmlx") },
};

START_TEST(name_bad)
{
    gsprov_name_t n;
    memset(&n, 0x55, sizeof(n));
    ck_assert_msg(gsprov_name_resolve(bad[_i].s, bad[_i].len, &n) == 0,
                  "accepted bad name #%d '%.*s'", _i, (int)bad[_i].len,
                  bad[_i].s);
    ck_assert_int_eq(n.kind, GSPROV_KIND_NONE);
}
END_TEST

/* Prefix and postfix (P234/P235): every reading of a per-device
 * name, in the resolver's order, as "kind:postfix" joined by spaces. */
static const struct {
    const char *s; size_t len; const char *mac, *prefix, *readings;
} affix[] = {
    /* the plain names */
    { N("cfg000b82123456"), "000b82123456", "", "bin:" },
    { N("cfg000B82123456"), "000b82123456", "", "bin:" },
    { N("cfg000b82123456.bin"), "000b82123456", "", "bin: bin:.bin" },
    { N("cfg000b82123456.xml"), "000b82123456", "", "xml:" },
    /* prefix only */
    { N("gs_cfg000b82000001"), "000b82000001", "gs_", "bin:" },
    { N("gs_cfg000b82123456.bin"), "000b82123456", "gs_", "bin: bin:.bin" },
    { N("gs_cfg000b82123456.xml"), "000b82123456", "gs_", "xml:" },
    { N("cfgcfg000b82123456"), "000b82123456", "cfg", "bin:" },
    { N("~a.b-c_Z9cfg000b82123456"), "000b82123456", "~a.b-c_Z9", "bin:" },
    /* the vendor guide's example: gs_cfg000b82000001_cfg001 */
    { N("gs_cfg000b82000001_cfg001"), "000b82000001", "gs_", "bin:_cfg001" },
    /* postfix after the MAC (binary), after .bin, after .xml, before .xml */
    { N("cfg000b82123456_001"), "000b82123456", "", "bin:_001" },
    { N("cfg000b82123456.bin_001"), "000b82123456", "",
      "bin:_001 bin:.bin_001" },
    { N("cfg000b82123456.xml_001"), "000b82123456", "",
      "xml:_001 bin:.xml_001" },
    { N("cfg000b82123456_001.xml"), "000b82123456", "",
      "xml:_001 bin:_001.xml" },
    { N("acme-cfg000b82123456_v2.xml"), "000b82123456", "acme-",
      "xml:_v2 bin:_v2.xml" },
    { N("p.cfg000b82123456.xml.1"), "000b82123456", "p.",
      "xml:.1 bin:.xml.1" },
    /* suffixes that look like extensions */
    { N("cfg000b82123456.xml.xml"), "000b82123456", "",
      "xml:.xml bin:.xml.xml" },
    { N("cfg000b82123456.bin.xml"), "000b82123456", "",
      "bin:.xml xml:.bin bin:.bin.xml" },
    { N("cfg000b82123456.xml.bin"), "000b82123456", "",
      "xml:.bin bin:.xml.bin" },
    { N("cfg000b82123456.bin.bin"), "000b82123456", "",
      "bin:.bin bin:.bin.bin" },
    { N("cfg000b82123456.XML"), "000b82123456", "", "bin:.XML" },
    { N("cfg000b82123456.xml~"), "000b82123456", "", "xml:~ bin:.xml~" },
    { N("cfg000b82123456.xml.bak"), "000b82123456", "",
      "xml:.bak bin:.xml.bak" },
    /* an uppercase MAC is never a model, so a bare postfix works there */
    { N("cfg000B82ABCDEF0.xml"), "000b82abcdef", "", "xml:0 bin:0.xml" },
    /* the first cfg + 12 hex digits is the MAC */
    { N("cfg0123456789abcdefghijklmnopqrstuvw.xml"), "0123456789ab", "",
      "xml:cdefghijklmnopqrstuvw bin:cdefghijklmnopqrstuvw.xml" },
    /* 64 bytes: the longest name */
    { N("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaacfg000b82123456.xml"),
      "000b82123456", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "xml:" },
    { N("cfg000b82123456.bin_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
      "000b82123456", "",
      "bin:_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
      "bin:.bin_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
};

static const char *readings_str(const gsprov_name_t *n)
{
    const char *s = "";
    int i;
    for (i = 0; i < n->nreadings; i++)
        s = apr_pstrcat(pool, s, i ? " " : "",
                        n->reading[i].kind == GSPROV_KIND_DEVICE_XML ? "xml:"
                        : n->reading[i].kind == GSPROV_KIND_DEVICE_BIN
                        ? "bin:" : "?:", n->reading[i].postfix, NULL);
    return s;
}

START_TEST(name_affix)
{
    gsprov_name_t n;
    memset(&n, 0x55, sizeof(n));
    ck_assert_msg(gsprov_name_resolve(affix[_i].s, affix[_i].len, &n) == 1,
                  "rejected %.*s", (int)affix[_i].len, affix[_i].s);
    ck_assert_str_eq(n.mac, affix[_i].mac);
    ck_assert_str_eq(n.model, "");
    ck_assert_str_eq(n.prefix, affix[_i].prefix);
    ck_assert_int_eq(n.any_affix, 0);
    ck_assert_msg(strcmp(readings_str(&n), affix[_i].readings) == 0,
                  "%s: readings '%s', expected '%s'", affix[_i].s,
                  readings_str(&n), affix[_i].readings);
    ck_assert_int_eq(n.kind, n.reading[0].kind);
}
END_TEST

/* Names with a MAC that are still refused: characters outside
 * [A-Za-z0-9._~-] around it, too long, no "cfg" + 12 hex digits. */
static const struct { const char *s; size_t len; } affix_bad[] = {
    { N("gs%cfg000b82123456") },
    { N("gs%5fcfg000b82123456") },
    { N("gs cfg000b82123456") },
    { N("g@cfg000b82123456") },
    { N("g+cfg000b82123456") },
    { N("\xc3\xa9" "cfg000b82123456") },
    { N("cfg000b82123456 .xml") },
    { N("cfg000b82123456.xml/x") },
    { N("cfg000b82123456/") },
    { N("cfg000b82123456?x=1") },
    { N("cfg000b82123456#") },
    { N("cfg000b82123456.xml;x") },
    { N("cfg000b82123456+1") },
    { N("cfg000b82123456%00") },
    { N("cfg000b82123456\\") },
    { N("cfg000b82123456:") },
    { N("cfg000b82123456\xc3\xa9") },
    { N("cfg000b82123456\0") },
    { N("cfg000b82123456\0.xml") },
    { N("cfg000b8212345") },           /* 11 hex digits */
    { N("cfg000b8212345g") },
    { N("cfg000b8212345_001") },
    { N("cfg00:0b:82:12:34:56") },
    { N("Cfg000b82123456") },
    { N("CFG000b82123456.bin") },
    { N("000b82123456.xml") },
    { N("000b82123456") },
    { N("cfg.bin") },
    { N("cfg") },
    /* 65 bytes */
    { N("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaacfg000b82123456.xml") },
    { N("cfg000b82123456.bin_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") },
};

START_TEST(name_affix_bad)
{
    gsprov_name_t n;
    memset(&n, 0x55, sizeof(n));
    ck_assert_msg(gsprov_name_resolve(affix_bad[_i].s, affix_bad[_i].len, &n)
                  == 0, "accepted bad name #%d '%.*s'", _i,
                  (int)affix_bad[_i].len, affix_bad[_i].s);
    ck_assert_int_eq(n.kind, GSPROV_KIND_NONE);
    ck_assert_int_eq(n.nreadings, 0);
}
END_TEST

START_TEST(name_null_and_overlong)
{
    gsprov_name_t n;
    char longname[GSPROV_MAX_NAME_LEN + 2];

    ck_assert_int_eq(gsprov_name_resolve(NULL, 7, &n), 0);
    /* a name of 65 bytes is refused before anything else is looked at */
    memset(longname, 'a', sizeof(longname));
    memcpy(longname, "cfg", 3);
    memcpy(longname + GSPROV_MAX_NAME_LEN + 1 - 4, ".xml", 4);
    ck_assert_int_eq(gsprov_name_resolve(longname, GSPROV_MAX_NAME_LEN + 1,
                                         &n), 0);
}
END_TEST

START_TEST(name_kind_names)
{
    ck_assert_str_eq(gsprov_name_kind(GSPROV_KIND_DEVICE_XML), "device-xml");
    ck_assert_str_eq(gsprov_name_kind(GSPROV_KIND_DEVICE_BIN), "device-bin");
    ck_assert_str_eq(gsprov_name_kind(GSPROV_KIND_MODEL_XML), "model-xml");
    ck_assert_str_eq(gsprov_name_kind(GSPROV_KIND_GENERIC_XML), "generic-xml");
    ck_assert_str_eq(gsprov_name_kind(GSPROV_KIND_NONE), "none");
}
END_TEST

START_TEST(name_validators)
{
    ck_assert_int_eq(gsprov_name_model_valid("gxp2170", 7), 1);
    ck_assert_int_eq(gsprov_name_model_valid("", 0), 0);
    ck_assert_int_eq(gsprov_name_model_valid("GXP2170", 7), 0);
    ck_assert_int_eq(gsprov_name_model_valid("gxp_2170", 8), 0);
    ck_assert_int_eq(gsprov_name_model_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32), 1);
    ck_assert_int_eq(gsprov_name_model_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33), 0);
    ck_assert_int_eq(gsprov_name_group_valid("Sales_floor-2", 13), 1);
    ck_assert_int_eq(gsprov_name_group_valid("", 0), 0);
    ck_assert_int_eq(gsprov_name_group_valid("a.b", 3), 0);
    ck_assert_int_eq(gsprov_name_group_valid("a/b", 3), 0);
    ck_assert_int_eq(gsprov_name_group_valid("a b", 3), 0);
    ck_assert_int_eq(gsprov_name_group_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64),
        1);
    ck_assert_int_eq(gsprov_name_group_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65),
        0);
}
END_TEST

Suite *name_suite(void)
{
    Suite *s = suite_create("name");
    TCase *tc = unit_tcase("name");
    tcase_add_loop_test(tc, name_good, 0, (int)(sizeof(good) / sizeof(good[0])));
    tcase_add_loop_test(tc, name_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_loop_test(tc, name_affix, 0,
                        (int)(sizeof(affix) / sizeof(affix[0])));
    tcase_add_loop_test(tc, name_affix_bad, 0,
                        (int)(sizeof(affix_bad) / sizeof(affix_bad[0])));
    tcase_add_test(tc, name_null_and_overlong);
    tcase_add_test(tc, name_kind_names);
    tcase_add_test(tc, name_validators);
    suite_add_tcase(s, tc);
    return s;
}
