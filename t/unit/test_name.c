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
    { N("cfg000b82abcdef.XML") },
    { N("cfgGXP2170.xml") },           /* models are lowercase */
    { N("cfgGxp2170.xml") },
    { N("cfggxp2170.xml.xml") },       /* dot in the stem */
    { N("cfg.gxp2170.xml") },
    { N("cfg..xml") },
    { N("cfg000b82abcdef.bin") },
    { N("cfg000b82abcdef") },
    { N("cfg000b82abcdef.xml~") },
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
    { N("cfg000B82ABCDEF0.xml") },     /* 13 hex, uppercase: neither */
    { N("cfg000B82ABCDE.xml") },       /* 11 hex, uppercase: neither */
    { N("cfg0123456789abcdefghijklmnopqrstuvw.xml") },   /* 33 chars */
    { N("cfgaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.xml") },
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
    ck_assert_str_eq(gsprov_kind_name(GSPROV_KIND_DEVICE_XML), "device-xml");
    ck_assert_str_eq(gsprov_kind_name(GSPROV_KIND_MODEL_XML), "model-xml");
    ck_assert_str_eq(gsprov_kind_name(GSPROV_KIND_GENERIC_XML), "generic-xml");
    ck_assert_str_eq(gsprov_kind_name(GSPROV_KIND_NONE), "none");
}
END_TEST

START_TEST(name_validators)
{
    ck_assert_int_eq(gsprov_model_name_valid("gxp2170", 7), 1);
    ck_assert_int_eq(gsprov_model_name_valid("", 0), 0);
    ck_assert_int_eq(gsprov_model_name_valid("GXP2170", 7), 0);
    ck_assert_int_eq(gsprov_model_name_valid("gxp_2170", 8), 0);
    ck_assert_int_eq(gsprov_model_name_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32), 1);
    ck_assert_int_eq(gsprov_model_name_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33), 0);
    ck_assert_int_eq(gsprov_group_name_valid("Sales_floor-2", 13), 1);
    ck_assert_int_eq(gsprov_group_name_valid("", 0), 0);
    ck_assert_int_eq(gsprov_group_name_valid("a.b", 3), 0);
    ck_assert_int_eq(gsprov_group_name_valid("a/b", 3), 0);
    ck_assert_int_eq(gsprov_group_name_valid("a b", 3), 0);
    ck_assert_int_eq(gsprov_group_name_valid(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64),
        1);
    ck_assert_int_eq(gsprov_group_name_valid(
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
    tcase_add_test(tc, name_null_and_overlong);
    tcase_add_test(tc, name_kind_names);
    tcase_add_test(tc, name_validators);
    suite_add_tcase(s, tc);
    return s;
}
