/* User-Agent parsing , table-driven.
 *
 * The Grandstream strings below are real User-Agents, copied from where
 * they were found (sources cited per row):
 *   [SPEC]   the project's reference notes on User-Agents
 *   [WAZO]   wazo-platform/wazo-provd-plugins,
 *            plugins/wazo-grandstream/common/common.py, comments above
 *            BaseGrandstreamHTTPDeviceInfoExtractor._UA_REGEX_LIST
 *   [WAZOGW] wazo-provd-plugins, an older wazo-grandstream common.py (the
 *            GrandstreamHTTPDeviceInfoExtractor of the GXW4200 plugin
 *            generation), comments above _UA_REGEX_LIST
 *   [FPBX]   fusionpbx/fusionpbx, app/provision/index.php, comment above
 *            the "Grandstream" MAC-from-User-Agent branch
 *   [UAJS]   a User-Agent classifier's test table (public code corpus,
 *            file id 20589694164): ua "Grandstream GXP1400 1.0.4.13" and
 *            "Grandstream Model HW GXP1400 SW 1.0.4.13 DevId 000b823704f7"
 *   [PBOOK]  a Laravel PhonebookController (public code corpus, file id
 *            55175237295), "UA examples" comment: GRP2616 and GRP2601W
 *            (the latter with a colon-separated DevId)
 *   [ORYK]   a FreePBX provisioning module's test suite (public code
 *            corpus, file id 70102838171), "the vendor a User-Agent names"
 *   [TWOC]   a PHP FoundPhones class comment (public code corpus, file id
 *            70486092886): GHP621W
 *   [GST]    brucemwalker/gs_tools, plugnplay/fake_grp2612.py: the SIP PnP
 *            SUBSCRIBE a real GRP2612W sent
 *   [SIPOPT] a SIP OPTIONS scanner's source, the device's reply quoted in a
 *            comment (public code corpus, file id 182709469): HT-503
 *   [GOSIP]  a Go SIP test client that sends a softphone's User-Agent
 *            (public code corpus, file id 41513240964): Wave 1.2.14
 *   [ASTDB]  an Asterisk realtime sippeers dump, useragent column (public
 *            code corpus, file id 5301227998): Wave 1.0.2.20
 *   [RSUA]   a SIP fingerprinting tool's tests, a captured 200 OK (public
 *            code corpus, file id 68803322599): HT802 1.0.29.8
 *   [PYSIP]  a Python SIP INVITE test, headers from a device (public code
 *            corpus, file id 52752996911): HT801 1.0.0.85
 *   [JSSIP]  a JavaScript SIP parser's fixture, a captured INVITE (public
 *            code corpus, file id 68332087526): HT801 1.0.3.2
 *   [UALIST] a User-Agent parser's list of examples seen in the field
 *            (public code corpus, file ids 58514745647, 58704486974):
 *            HT802 1.0.17.5
 *   [GVM]    Greenbone/OpenVAS SIP detection scripts, banner comments
 *            (public code corpus, file ids 7098538394, 14333811162):
 *            GXP1400 1.0.5.15, GXP1450 1.0.3.30
 *   [TRACE]  a SIP trace of a REGISTER in a test (public code corpus, file
 *            id 35901959700): GXP2200 1.0.3.27
 *   [REPORT] an interop report listing User-Agents from device logs; this
 *            one has no public source beyond it: HT801 with a bare MAC
 */
#include "unit.h"
#include "gsprov_useragent.h"

typedef struct {
    const char *ua;
    int is_gs;
    const char *model, *hwrev, *fw, *mac;
} ua_case_t;

static const ua_case_t real[] = {
    /* current format */
    { "Grandstream Model HW GXP2200 V2.2A SW 1.0.1.33 DevId 000b82462d97",
      1, "gxp2200", "V2.2A", "1.0.1.33", "000b82462d97" },     /* SPEC, WAZO */
    { "Grandstream Model HW GRP2614 SW 1.0.5.15 DevId c074ad0b63ee",
      1, "grp2614", "", "1.0.5.15", "c074ad0b63ee" },           /* SPEC, WAZO */
    { "Grandstream Model HW HT801 V1.1A SW 1.0.17.5 DevId c074ad273a10",
      1, "ht801", "V1.1A", "1.0.17.5", "c074ad273a10" },        /* SPEC, WAZO */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872",
      1, "gxp2135", "", "1.0.7.97", "000b828aa872" },           /* SPEC, FPBX */
    /* the double space after the model */
    { "Grandstream Model HW GXV3350  V1.3A SW 1.0.1.8 DevId c074ad150b88",
      1, "gxv3350", "V1.3A", "1.0.1.8", "c074ad150b88" },       /* SPEC, WAZO */
    { "Grandstream Model HW GXP1405 SW 1.0.4.23 DevId 000b8240d55c",
      1, "gxp1405", "", "1.0.4.23", "000b8240d55c" },           /* WAZO */
    { "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859",
      1, "gxp1628", "", "1.0.4.138", "c074ad2bd859" },          /* WAZO */
    { "Grandstream Model HW GXV3240 V1.6B SW 1.0.1.27 DevId 000b82632815",
      1, "gxv3240", "V1.6B", "1.0.1.27", "000b82632815" },      /* WAZO */
    { "Grandstream Model HW GXP1400 SW 1.0.4.13 DevId 000b823704f7",
      1, "gxp1400", "", "1.0.4.13", "000b823704f7" },           /* UAJS */
    { "Grandstream Model HW GRP2616 SW 1.0.13.59 DevId ec74d7800474",
      1, "grp2616", "", "1.0.13.59", "ec74d7800474" },          /* PBOOK */
    /* a DevId with colons (upper case): the same MAC */
    { "Grandstream Model HW GRP2601W SW 1.0.7.32 DevId EC:74:D7:89:1A:76",
      1, "grp2601w", "", "1.0.7.32", "ec74d7891a76" },          /* PBOOK */
    { "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId c074ad123456",
      1, "gxp2170", "", "1.0.11.3", "c074ad123456" },           /* ORYK */
    { "Grandstream Model HW GHP621W SW 1.0.1.37 DevId 000b82c12345",
      1, "ghp621w", "", "1.0.1.37", "000b82c12345" },           /* TWOC */
    /* legacy formats */
    { "Grandstream GXP2000 (gxp2000e.bin:1.2.5.3/boot55e.bin:1.1.6.9) "
      "DevId 000b822726c8",
      1, "gxp2000", "", "1.2.5.3", "000b822726c8" },            /* SPEC, WAZO */
    { "Grandstream GXP2020 (gxp2020e.bin:1.1.6.46/boot55e.bin:1.1.6.6)",
      1, "gxp2020", "", "1.1.6.46", "" },                       /* SPEC */
    { "Grandstream BT110 1.0.8.33",
      1, "bt110", "", "1.0.8.33", "" },                         /* SPEC */
    { "Grandstream GXP1400 1.0.4.13",
      1, "gxp1400", "", "1.0.4.13", "" },                       /* UAJS */
    { "Grandstream GXP1400 1.0.5.15",
      1, "gxp1400", "", "1.0.5.15", "" },                       /* GVM */
    { "Grandstream GXP1450 1.0.3.30",
      1, "gxp1450", "", "1.0.3.30", "" },                       /* GVM */
    { "Grandstream GXP2200 1.0.3.27",
      1, "gxp2200", "", "1.0.3.27", "" },                       /* TRACE */
    { "Grandstream GRP2612W 1.0.5.67",
      1, "grp2612w", "", "1.0.5.67", "" },                      /* GST */
    { "Grandstream HT802 1.0.29.8",
      1, "ht802", "", "1.0.29.8", "" },                         /* RSUA */
    { "Grandstream HT802 1.0.17.5",
      1, "ht802", "", "1.0.17.5", "" },                         /* UALIST */
    { "Grandstream HT801 1.0.0.85",
      1, "ht801", "", "1.0.0.85", "" },                         /* PYSIP */
    { "Grandstream HT801 1.0.3.2",
      1, "ht801", "", "1.0.3.2", "" },                          /* JSSIP */
    /* a MAC without DevId, after the firmware */
    { "Grandstream HT801 1.0.49.2 c074adca6f20",
      1, "ht801", "", "1.0.49.2", "c074adca6f20" },             /* REPORT */
    /* a dash in the model, two spaces, a hardware revision before the
     * firmware and more after it */
    { "Grandstream HT-503  V1.1B 1.0.10.9  chip V2.2",
      1, "ht503", "V1.1B", "1.0.10.9", "" },                    /* SIPOPT */
    /* the Wave softphone: Grandstream, but no device model */
    { "Grandstream Wave 1.2.14",
      1, "", "", "1.2.14", "" },                                /* GOSIP */
    { "Grandstream Wave 1.0.2.20",
      1, "", "", "1.0.2.20", "" },                              /* ASTDB */
    /* GXW42xx gateways put the DevId in parentheses (two MACs on the
     * 48-port model: the first is the device's). */
    { "Grandstream GXW4248 (DevId c074ad18429a / c074ad18429b)",
      1, "gxw4248", "", "", "c074ad18429a" },                   /* WAZOGW */
    { "Grandstream GXW4216 (DevId c074ad1e8bc6)",
      1, "gxw4216", "", "", "c074ad1e8bc6" },                   /* WAZOGW */
    /* an Android GXV's browser: not a provisioning User-Agent */
    { "Mozilla/5.0 (Linux; Android 7.0; GXV3380) AppleWebKit/537.36 "
      "Grandstream", 0, "", "", "", "" },                       /* ORYK */
};

static const ua_case_t other[] = {
    /* browsers, tools, other vendors */
    { "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
      "Firefox/128.0", 0, "", "", "", "" },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
      "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", 0, "", "", "", "" },
    { "curl/8.4.0", 0, "", "", "", "" },
    { "Wget/1.21.4", 0, "", "", "", "" },
    { "Yealink SIP-T46S 66.86.0.15", 0, "", "", "", "" },
    { "FileTransport PolycomVVX-VVX_411-UA/5.9.5.0614", 0, "", "", "", "" },
    /* near misses */
    { "", 0, "", "", "", "" },
    { "   ", 0, "", "", "", "" },
    { "Grandstream", 0, "", "", "", "" },
    { "Grandstream ", 0, "", "", "", "" },
    { "Grandstreamer x", 0, "", "", "", "" },
    { "grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872",
      0, "", "", "", "" },
    { "GRANDSTREAM GXP2135 1.0.7.97", 0, "", "", "", "" },
    { "xGrandstream GXP2135 1.0.7.97", 0, "", "", "", "" },
    { "Not Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872",
      0, "", "", "", "" },
    /* Grandstream, but with unusable parts */
    { "Grandstream Model HW GXP-2135 SW 1.0.7.97 DevId 000b828aa872",
      1, "", "", "1.0.7.97", "000b828aa872" },     /* '-' in the model */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa87",
      1, "gxp2135", "", "1.0.7.97", "" },          /* 11 hex digits */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId zzzzzzzzzzzz",
      1, "gxp2135", "", "1.0.7.97", "" },
    { "Grandstream Model HW GXP2135 SW 1.0.7.97", 1, "gxp2135", "",
      "1.0.7.97", "" },                            /* no DevId */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId", 1, "gxp2135", "",
      "1.0.7.97", "" },                            /* DevId without value */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000B828AA872",
      1, "gxp2135", "", "1.0.7.97", "000b828aa872" },   /* normalized */
    { "Grandstream\tModel  HW\tGXP2135   SW 1.0.7.97  DevId  000b828aa872",
      1, "gxp2135", "", "1.0.7.97", "000b828aa872" },   /* any whitespace */
    { "Grandstream GXP2135 notaversion", 1, "gxp2135", "", "", "" },
    { "Grandstream GXP2020 (gxp2020e.bin)", 1, "gxp2020", "", "", "" },
    { "Grandstream "
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1.0", 1, "", "", "1.0", "" },
                                                   /* model of 33 chars */
    { "Grandstream "
      "AAAAAAAAAAAAAAAA-AAAAAAAAAAAAAAAA 1.0", 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "", "1.0", "" },                             /* 32 once the dash is out */
    /* separators in a DevId: colons or dashes, any case; not a MAC
     * otherwise */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 00-0b-82-8a-a8-72",
      1, "gxp2135", "", "1.0.7.97", "000b828aa872" },
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 00:0b:82:8a:a8",
      1, "gxp2135", "", "1.0.7.97", "" },          /* five bytes */
    { "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 00:0b:82:8a:a8:72:01",
      1, "gxp2135", "", "1.0.7.97", "" },          /* seven bytes */
    /* the legacy form's bare MAC comes only right after the firmware */
    { "Grandstream HT801 c074adca6f20 1.0.49.2", 1, "ht801", "", "", "" },
    { "Grandstream HT801 1.0.49.2 chip c074adca6f20", 1, "ht801", "",
      "1.0.49.2", "" },
    { "Grandstream HT801 1.0.49.2 c074adca6f2", 1, "ht801", "", "1.0.49.2",
      "" },                                        /* 11 hex digits */
    /* a hardware revision is one only before a firmware version */
    { "Grandstream HT503 V1.1B", 1, "ht503", "", "", "" },
    { "Grandstream HT503 V1.1B chip", 1, "ht503", "", "", "" },
    /* the dash is dropped in the legacy form only */
    { "Grandstream HT-503", 1, "ht503", "", "", "" },
    { "Grandstream -", 0, "", "", "", "" },
    /* Wave in any case; alone it says nothing usable */
    { "Grandstream WAVE 1.2.14", 1, "", "", "1.2.14", "" },
    { "Grandstream Wave", 0, "", "", "", "" },
};

static void check_case(const ua_case_t *c, const char *label)
{
    gsprov_ua_t u;
    memset(&u, 0x55, sizeof(u));
    ck_assert_msg(gsprov_useragent_parse(c->ua, &u) == c->is_gs,
                  "%s '%s': is_gs != %d", label, c->ua, c->is_gs);
    ck_assert_msg(strcmp(u.model, c->model) == 0, "%s '%s': model '%s', "
                  "expected '%s'", label, c->ua, u.model, c->model);
    ck_assert_msg(strcmp(u.hwrev, c->hwrev) == 0, "%s '%s': hwrev '%s', "
                  "expected '%s'", label, c->ua, u.hwrev, c->hwrev);
    ck_assert_msg(strcmp(u.fw, c->fw) == 0, "%s '%s': fw '%s', expected "
                  "'%s'", label, c->ua, u.fw, c->fw);
    ck_assert_msg(strcmp(u.mac, c->mac) == 0, "%s '%s': mac '%s', expected "
                  "'%s'", label, c->ua, u.mac, c->mac);
}

START_TEST(ua_real)
{
    check_case(&real[_i], "real");
}
END_TEST

START_TEST(ua_other)
{
    check_case(&other[_i], "other");
}
END_TEST

START_TEST(ua_table_size)
{
    size_t i, n = 0;
    for (i = 0; i < sizeof(real) / sizeof(real[0]); i++)
        n += real[i].is_gs;
    ck_assert_uint_ge(n, 25);
}
END_TEST

START_TEST(ua_null)
{
    gsprov_ua_t u;
    memset(&u, 0x55, sizeof(u));
    ck_assert_int_eq(gsprov_useragent_parse(NULL, &u), 0);
    ck_assert_str_eq(u.model, "");
    ck_assert_str_eq(u.hwrev, "");
    ck_assert_str_eq(u.fw, "");
    ck_assert_str_eq(u.mac, "");
}
END_TEST

/* Overlong parts are cut to the field sizes, never overflow; a huge
 * User-Agent with many tokens is fine. */
START_TEST(ua_overlong)
{
    gsprov_ua_t u;
    char *big, *hw, *fw;
    size_t i;

    hw = apr_pstrcat(pool, "V", apr_pstrndup(pool,
        "2222222222222222222222222222222222222222222222222222222222", 50),
        NULL);
    fw = apr_pstrndup(pool,
        "1.0.1.11111111111111111111111111111111111111111111111111111111", 60);
    ck_assert_int_eq(gsprov_useragent_parse(apr_pstrcat(pool,
        "Grandstream Model HW GXP2135 ", hw, " SW ", fw,
        " DevId 000b828aa872", NULL), &u), 1);
    ck_assert_str_eq(u.model, "gxp2135");
    ck_assert_uint_eq(strlen(u.hwrev), sizeof(u.hwrev) - 1);
    ck_assert(strncmp(u.hwrev, hw, sizeof(u.hwrev) - 1) == 0);
    ck_assert_uint_eq(strlen(u.fw), sizeof(u.fw) - 1);
    ck_assert(strncmp(u.fw, fw, sizeof(u.fw) - 1) == 0);
    ck_assert_str_eq(u.mac, "000b828aa872");

    big = apr_palloc(pool, 100001);
    memcpy(big, "Grandstream Model HW GXP2135 SW 1.0.7.97", 40);
    for (i = 40; i < 100000; i++)
        big[i] = (i - 40) % 3 ? 'x' : ' ';
    big[100000] = '\0';
    ck_assert_int_eq(gsprov_useragent_parse(big, &u), 1);
    ck_assert_str_eq(u.model, "gxp2135");
    ck_assert_str_eq(u.fw, "1.0.7.97");
    ck_assert_str_eq(u.mac, "");
}
END_TEST

Suite *useragent_suite(void)
{
    Suite *s = suite_create("useragent");
    TCase *tc = unit_tcase("useragent");
    tcase_add_loop_test(tc, ua_real, 0, (int)(sizeof(real) / sizeof(real[0])));
    tcase_add_loop_test(tc, ua_other, 0,
                        (int)(sizeof(other) / sizeof(other[0])));
    tcase_add_test(tc, ua_table_size);
    tcase_add_test(tc, ua_null);
    tcase_add_test(tc, ua_overlong);
    suite_add_tcase(s, tc);
    return s;
}
