#include "unit.h"
#include "gsprov_mac.h"

START_TEST(mac_lower_and_upper)
{
    char out[GSPROV_MAC_LEN + 1];

    ck_assert_int_eq(gsprov_mac_parse("000b82abcdef", 12, out), 1);
    ck_assert_str_eq(out, "000b82abcdef");
    memset(out, 'x', sizeof(out));
    ck_assert_int_eq(gsprov_mac_parse("000B82ABCDEF", 12, out), 1);
    ck_assert_str_eq(out, "000b82abcdef");
    ck_assert_int_eq(gsprov_mac_parse("C074aD273A10", 12, out), 1);
    ck_assert_str_eq(out, "c074ad273a10");
    /* only the first len bytes count; no NUL terminator needed */
    ck_assert_int_eq(gsprov_mac_parse("0123456789abXYZ", 12, out), 1);
    ck_assert_str_eq(out, "0123456789ab");
}
END_TEST

static const struct { const char *s; size_t len; } bad_macs[] = {
    { "", 0 },
    { "000b82abcde", 11 },
    { "000b82abcdef0", 13 },
    { "000b82abcdeg", 12 },
    { "000b82abcdeG", 12 },
    { "00:0b:82:ab:cd:ef", 17 },
    { "00-0b-82-ab-cd-ef", 17 },
    { "00:0b:82:ab:", 12 },
    { "000b82-abcde", 12 },
    { "000b82 abcde", 12 },
    { " 000b82abcde", 12 },
    { "000b82abcde ", 12 },
    { "000b82\0abcde", 12 },
    { "000b82abcde\0", 12 },
    { "0x0b82abcdef", 12 },
    { "+00b82abcdef", 12 },
    { "000b82abcd\xc3\xa9", 12 },
};

START_TEST(mac_rejects)
{
    char out[GSPROV_MAC_LEN + 1];
    memcpy(out, "untouched!!!", 13);
    ck_assert_msg(gsprov_mac_parse(bad_macs[_i].s, bad_macs[_i].len, out) == 0,
                  "accepted bad MAC #%d", _i);
    ck_assert_str_eq(out, "untouched!!!");
}
END_TEST

START_TEST(mac_null)
{
    char out[GSPROV_MAC_LEN + 1];
    ck_assert_int_eq(gsprov_mac_parse(NULL, 12, out), 0);
}
END_TEST

/* With separators skipped (certificate fields, User-Agent DevIds). */
START_TEST(mac_separators)
{
    static const char *const good[] = {
        "EC:74:D7:89:1A:76", "ec-74-d7-89-1a-76", "ec74.d789.1a76",
        "ec 74 d7 89 1a 76", "ec74d7891a76", "ec:74d7891a76",
    };
    static const char *const bad[] = {
        "EC:74:D7:89:1A", "EC:74:D7:89:1A:76:00", "EC_74_D7_89_1A_76",
        "EC:74:D7:89:1A:7G", "", ":::::", "ec74d7891a76\n",
    };
    char out[GSPROV_MAC_LEN + 1];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        memset(out, 'x', sizeof(out));
        ck_assert_msg(gsprov_mac_parse_sep(good[i], strlen(good[i]), out),
                      "refused '%s'", good[i]);
        ck_assert_str_eq(out, "ec74d7891a76");
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(out, "untouched!!!", 13);
        ck_assert_msg(!gsprov_mac_parse_sep(bad[i], strlen(bad[i]), out),
                      "accepted '%s'", bad[i]);
        ck_assert_str_eq(out, "untouched!!!");
    }
    /* only len bytes count */
    ck_assert(gsprov_mac_parse_sep("EC:74:D7:89:1A:76)", 17, out));
    ck_assert(!gsprov_mac_parse_sep(NULL, 12, out));
}
END_TEST

START_TEST(mac_bytes)
{
    unsigned char b[6];
    static const unsigned char want[6] = { 0x00, 0x0b, 0x82, 0xab, 0xcd, 0xef };
    gsprov_mac_to_bytes("000b82abcdef", b);
    ck_assert_mem_eq(b, want, 6);
    gsprov_mac_to_bytes("ffffffffffff", b);
    ck_assert_mem_eq(b, "\xff\xff\xff\xff\xff\xff", 6);
}
END_TEST

Suite *mac_suite(void)
{
    Suite *s = suite_create("mac");
    TCase *tc = unit_tcase("mac");
    tcase_add_test(tc, mac_lower_and_upper);
    tcase_add_loop_test(tc, mac_rejects, 0,
                        (int)(sizeof(bad_macs) / sizeof(bad_macs[0])));
    tcase_add_test(tc, mac_null);
    tcase_add_test(tc, mac_bytes);
    tcase_add_test(tc, mac_separators);
    suite_add_tcase(s, tc);
    return s;
}
