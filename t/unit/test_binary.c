/* The legacy binary config file : encoder and decoder. */
#include <stdio.h>
#include "unit.h"
#include "gsprov_binary.h"

/* ---------------------------------------------------------------- helpers */

static apr_array_header_t *pv_make(const char *name, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(gsprov_pvalue_t));
    va_list ap;
    const char *n = name;

    va_start(ap, name);
    while (n) {
        gsprov_pvalue_t *pv = apr_array_push(a);
        pv->name = n;
        pv->value = va_arg(ap, const char *);
        n = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

static unsigned word_sum(const unsigned char *b, apr_size_t len)
{
    unsigned long s = 0;
    apr_size_t i;
    for (i = 0; i + 1 < len; i += 2)
        s += (unsigned long)(b[i] << 8 | b[i + 1]);
    return (unsigned)(s & 0xFFFF);
}

/* Rewrite the checksum field so that the word sum is 0 again (to build
 * files that are wrong in exactly one other respect). */
static void fix_checksum(unsigned char *b, apr_size_t len)
{
    unsigned s;
    b[4] = b[5] = 0;
    s = (0x10000u - word_sum(b, len)) & 0xFFFFu;
    b[4] = (unsigned char)(s >> 8);
    b[5] = (unsigned char)s;
}

/* A file with a given body (padded to even length), correct length field
 * and checksum, MAC 000b82123456. */
static unsigned char *file_with_body(const char *body, apr_size_t blen,
                                     apr_size_t *len)
{
    apr_size_t total = GSPROV_BINARY_HEADER_LEN + blen + (blen & 1);
    unsigned char *b = apr_pcalloc(pool, total);
    apr_size_t words = total / 2;
    static const unsigned char mac[6] = { 0x00, 0x0b, 0x82, 0x12, 0x34, 0x56 };

    b[0] = (unsigned char)(words >> 24);
    b[1] = (unsigned char)(words >> 16);
    b[2] = (unsigned char)(words >> 8);
    b[3] = (unsigned char)words;
    memcpy(b + 6, mac, 6);
    memcpy(b + 12, "\r\n\r\n", 4);
    memcpy(b + 16, body, blen);
    fix_checksum(b, total);
    *len = total;
    return b;
}

static char *hex(const unsigned char *b, apr_size_t len)
{
    char *s = apr_palloc(pool, 2 * len + 1);
    apr_size_t i;
    for (i = 0; i < len; i++)
        sprintf(s + 2 * i, "%02x", b[i]);
    s[2 * len] = '\0';
    return s;
}

/* The structural invariants every encoded file must satisfy. */
static void check_structure(const unsigned char *b, apr_size_t len,
                            const char *mac_hex)
{
    apr_uint32_t words = (apr_uint32_t)b[0] << 24 | (apr_uint32_t)b[1] << 16
                         | (apr_uint32_t)b[2] << 8 | b[3];
    apr_size_t blen = len - GSPROV_BINARY_HEADER_LEN;

    ck_assert_uint_eq(len % 2, 0);
    ck_assert_uint_eq((apr_size_t)words * 2, len);
    ck_assert_uint_eq(word_sum(b, len), 0);
    ck_assert_str_eq(hex(b + 6, 6), mac_hex);
    ck_assert(memcmp(b + 12, "\r\n\r\n", 4) == 0);
    /* at most one NUL of padding, and only to make the length even */
    if (b[len - 1] == '\0') {
        blen--;
        ck_assert_uint_eq(blen % 2, 1);
    }
    ck_assert_uint_ge(blen, 10);
    ck_assert(memcmp(b + GSPROV_BINARY_HEADER_LEN + blen - 10, "gnkey=0b82",
                     10) == 0);
    ck_assert_ptr_null(memchr(b + GSPROV_BINARY_HEADER_LEN, '\0', blen));
    if (blen > 10)
        ck_assert_int_eq(b[GSPROV_BINARY_HEADER_LEN + blen - 11], '&');
}

/* ------------------------------------------------------ the spec's vector */

/* Spec 15, worked example: byte for byte the hex dump there. */
START_TEST(binary_spec_vector)
{
    static const unsigned char want[54] = {
        0x00, 0x00, 0x00, 0x1b, 0x79, 0xf8, 0x00, 0x0b,
        0x82, 0x12, 0x34, 0x56, 0x0d, 0x0a, 0x0d, 0x0a,
        0x50, 0x32, 0x37, 0x31, 0x3d, 0x31, 0x26, 0x50,
        0x32, 0x37, 0x30, 0x3d, 0x41, 0x63, 0x63, 0x6f,
        0x75, 0x6e, 0x74, 0x25, 0x32, 0x30, 0x6e, 0x61,
        0x6d, 0x65, 0x26, 0x67, 0x6e, 0x6b, 0x65, 0x79,
        0x3d, 0x30, 0x62, 0x38, 0x32, 0x00,
    };
    unsigned char *out = NULL;
    apr_size_t len = 0;

    ck_assert_status(gsprov_binary_encode(pool, "000b82123456",
                     pv_make("P271", "1", "P270", "Account name", NULL),
                     &out, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 54);
    ck_assert_msg(memcmp(out, want, sizeof(want)) == 0,
                  "got      %s\nexpected %s", hex(out, len),
                  hex(want, sizeof(want)));
    check_structure(out, len, "000b82123456");
}
END_TEST

/* The spec's vector decodes back; so does its x4-padded variant (56 bytes,
 * N=0x1c, C=0x79f7), which [PERL] and [WAZO] write. */
START_TEST(binary_spec_vector_decode)
{
    static const char body[] = "P271=1&P270=Account%20name&gnkey=0b82";
    unsigned char *b;
    apr_size_t len;
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;
    int pad;

    for (pad = 0; pad < 2; pad++) {
        /* 37 bytes of body; + 1 NUL (even) or + 3 NULs (multiple of 4) */
        char padded[sizeof(body) + 2] = { 0 };   /* NULs past the body */
        memcpy(padded, body, sizeof(body) - 1);
        b = file_with_body(padded, sizeof(body) - 1 + (pad ? 2 : 0), &len);
        ck_assert_uint_eq(len, pad ? 56 : 54);
        if (pad) {
            ck_assert_int_eq(b[3], 0x1c);
            ck_assert_int_eq(b[4], 0x79);
            ck_assert_int_eq(b[5], 0xf7);
        }
        pv = NULL;
        err = NULL;
        ck_assert_status(gsprov_binary_decode(pool, b, len, mac, &pv, &err),
                         APR_SUCCESS);
        ck_assert_str_eq(mac, "000b82123456");
        ck_assert_int_eq(pv->nelts, 2);
        ck_assert_str_eq(APR_ARRAY_IDX(pv, 0, gsprov_pvalue_t).name, "P271");
        ck_assert_str_eq(APR_ARRAY_IDX(pv, 0, gsprov_pvalue_t).value, "1");
        ck_assert_str_eq(APR_ARRAY_IDX(pv, 1, gsprov_pvalue_t).name, "P270");
        ck_assert_str_eq(APR_ARRAY_IDX(pv, 1, gsprov_pvalue_t).value,
                         "Account name");
    }
}
END_TEST

/* ------------------------------------------------------------ encoding */

START_TEST(binary_value_encoding)
{
    /* everything outside [A-Za-z0-9._-] is %XX with uppercase hex; '+' and
     * '~' are encoded too, space is %20 */
    static const struct { const char *in, *out; } v[] = {
        { "AZaz09._-", "AZaz09._-" },
        { " ", "%20" },
        { "+", "%2B" },
        { "&", "%26" },
        { "=", "%3D" },
        { "%", "%25" },
        { "~", "%7E" },
        { "/:?#", "%2F%3A%3F%23" },
        { "\"'<>", "%22%27%3C%3E" },
        { "\t\r\n", "%09%0D%0A" },
        { "\x7f", "%7F" },
        { "Z\xc3\xbcrich", "Z%C3%BCrich" },            /* Zürich */
        { "\xe6\x9d\xb1\xe4\xba\xac", "%E6%9D%B1%E4%BA%AC" },   /* 東京 */
        { "a&b=c%d+e f", "a%26b%3Dc%25d%2Be%20f" },
        { "", "" },
    };
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        unsigned char *out;
        apr_size_t len, blen;
        const char *want = apr_pstrcat(pool, "P3=", v[i].out,
                                       "&gnkey=0b82", NULL);

        ck_assert_status(gsprov_binary_encode(pool, "c074ad273a10",
                         pv_make("P3", v[i].in, NULL), &out, &len),
                         APR_SUCCESS);
        check_structure(out, len, "c074ad273a10");
        blen = len - GSPROV_BINARY_HEADER_LEN;
        if (out[len - 1] == '\0')
            blen--;
        ck_assert_bytes(out + GSPROV_BINARY_HEADER_LEN, blen, want);
    }
}
END_TEST

START_TEST(binary_no_params)
{
    unsigned char *out;
    apr_size_t len;
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;

    ck_assert_status(gsprov_binary_encode(pool, "000b82000001",
                     pv_make(NULL), &out, &len), APR_SUCCESS);
    /* header + "gnkey=0b82" (10 bytes, even: no padding) */
    ck_assert_uint_eq(len, 26);
    check_structure(out, len, "000b82000001");
    ck_assert_bytes(out + 16, 10, "gnkey=0b82");
    ck_assert_status(gsprov_binary_decode(pool, out, len, mac, &pv, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(pv->nelts, 0);
}
END_TEST

/* Odd and even body lengths: "P3=" + n characters + "&gnkey=0b82" */
START_TEST(binary_padding)
{
    int n;
    for (n = 0; n < 8; n++) {
        char *val = apr_palloc(pool, (apr_size_t)n + 1);
        unsigned char *out;
        apr_size_t len, body = 3 + (apr_size_t)n + 11;

        memset(val, 'x', (size_t)n);
        val[n] = '\0';
        ck_assert_status(gsprov_binary_encode(pool, "000b82123456",
                         pv_make("P3", val, NULL), &out, &len), APR_SUCCESS);
        ck_assert_uint_eq(len, 16 + body + (body & 1));
        ck_assert_int_eq(out[len - 1] == '\0', (int)(body & 1));
        check_structure(out, len, "000b82123456");
    }
}
END_TEST

START_TEST(binary_bad_names_refused)
{
    static const char *const bad[] = {
        "P", "p3", "X3", "P3a", "", "P 3", "P-3", "3", "P3=", "P3&",
        "P123456",            /* 6 digits: more than P-values have */
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char *out = NULL;
        apr_size_t len = 0;
        ck_assert_msg(gsprov_binary_encode(pool, "000b82123456",
                      pv_make(bad[i], "v", NULL), &out, &len) == GSPROV_EPARSE,
                      "accepted P-value name '%s'", bad[i]);
    }
}
END_TEST

/* ----------------------------------------------------------- round trips */

static void round_trip(const char *mac, apr_array_header_t *in)
{
    unsigned char *out;
    apr_size_t len;
    apr_array_header_t *pv = NULL;
    char got_mac[13];
    char *err = NULL;
    int i;

    ck_assert_status(gsprov_binary_encode(pool, mac, in, &out, &len),
                     APR_SUCCESS);
    check_structure(out, len, mac);
    ck_assert_msg(gsprov_binary_decode(pool, out, len, got_mac, &pv, &err)
                  == APR_SUCCESS, "decode: %s", err ? err : "?");
    ck_assert_str_eq(got_mac, mac);
    ck_assert_int_eq(pv->nelts, in->nelts);
    for (i = 0; i < in->nelts; i++) {
        const gsprov_pvalue_t *a = &APR_ARRAY_IDX(in, i, gsprov_pvalue_t);
        const gsprov_pvalue_t *b = &APR_ARRAY_IDX(pv, i, gsprov_pvalue_t);
        ck_assert_str_eq(b->name, a->name);
        ck_assert_str_eq(b->value, a->value);
    }
}

START_TEST(binary_round_trips)
{
    round_trip("000b82123456", pv_make("P271", "1", "P270", "Account name",
                                       NULL));
    round_trip("000b82123456", pv_make("P271", "1", "P270", "Account nam",
                                       NULL));        /* even body */
    round_trip("c074ad0b63ee", pv_make("P3", "Z\xc3\xbcrich \xe2\x80\x93 "
                                       "\xe6\x9d\xb1\xe4\xba\xac", NULL));
    round_trip("ffffffffffff", pv_make("P2", "a&b", "P3", "x=y", "P4", "50%",
                                       "P5", "1+1", "P6", "", "P7", " ",
                                       "P8", "%20", "P9", "&gnkey=0b82",
                                       "P10", "%zz", "P11", "~/\\\"'<>",
                                       NULL));
    round_trip("000000000000", pv_make("P1", "", NULL));
    round_trip("000b82abcdef", pv_make("P99999", "x", "P0", "y", NULL));
}
END_TEST

/* Many parameters and long values: every byte value 1..255 in a value. */
START_TEST(binary_round_trip_large)
{
    apr_array_header_t *a = apr_array_make(pool, 600, sizeof(gsprov_pvalue_t));
    char all[256];
    int i;

    for (i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    for (i = 0; i < 500; i++) {
        gsprov_pvalue_t *pv = apr_array_push(a);
        pv->name = apr_psprintf(pool, "P%d", 1000 + i);
        pv->value = i % 2 ? all : apr_psprintf(pool, "value %d & more", i);
    }
    round_trip("000b82123456", a);
}
END_TEST

/* --------------------------------------------------------- corrupt input */

static void expect_corrupt(const unsigned char *b, apr_size_t len,
                           const char *what, const char *msg_part)
{
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;

    ck_assert_msg(gsprov_binary_decode(pool, b, len, mac, &pv, &err)
                  == GSPROV_EPARSE, "%s: accepted", what);
    ck_assert_msg(err != NULL && *err, "%s: no message", what);
    if (msg_part)
        ck_assert_msg(strstr(err, msg_part) != NULL,
                      "%s: message '%s' does not mention '%s'", what, err,
                      msg_part);
}

static unsigned char *spec_file(apr_size_t *len)
{
    unsigned char *out;
    ck_assert_status(gsprov_binary_encode(pool, "000b82123456",
                     pv_make("P271", "1", "P270", "Account name", NULL),
                     &out, len), APR_SUCCESS);
    return out;
}

START_TEST(binary_corrupt_flipped_byte)
{
    apr_size_t len, i;
    unsigned char *good = spec_file(&len);

    /* any single flipped bit anywhere but the length field breaks the
     * checksum (the length field is checked first) */
    for (i = 4; i < len; i++) {
        unsigned char *b = apr_pmemdup(pool, good, len);
        b[i] ^= 0x01;
        expect_corrupt(b, len, apr_psprintf(pool, "bit 0 of byte %lu",
                                            (unsigned long)i), "checksum");
    }
}
END_TEST

START_TEST(binary_corrupt_length)
{
    apr_size_t len;
    unsigned char *good = spec_file(&len);
    unsigned char *b;

    /* truncated by a word: length field no longer matches */
    expect_corrupt(good, len - 2, "truncated by 2", "length");
    /* odd size */
    expect_corrupt(good, len - 1, "truncated by 1", NULL);
    /* extra word appended */
    b = apr_pcalloc(pool, len + 2);
    memcpy(b, good, len);
    expect_corrupt(b, len + 2, "2 extra NULs", "length");
    /* header only, too short, empty */
    expect_corrupt(good, 16, "header only", NULL);
    expect_corrupt(good, 14, "14 bytes", NULL);
    expect_corrupt(good, 0, "empty", NULL);
    /* wrong length field with a correct checksum */
    b = apr_pmemdup(pool, good, len);
    b[3] = 0x1a;
    fix_checksum(b, len);
    expect_corrupt(b, len, "N = 26 words for 27", "length");
    b = apr_pmemdup(pool, good, len);
    b[0] = 0x01;            /* 16 Mi words + 27 */
    fix_checksum(b, len);
    expect_corrupt(b, len, "N with a high byte set", "length");
    /* [VI]'s reading of the length as the body length / 2 */
    b = apr_pmemdup(pool, good, len);
    b[3] = 0x13;
    fix_checksum(b, len);
    expect_corrupt(b, len, "N = body/2", "length");
}
END_TEST

START_TEST(binary_corrupt_separator)
{
    apr_size_t len;
    unsigned char *b = apr_pmemdup(pool, spec_file(&len), 54);
    b[15] = '\r';
    fix_checksum(b, len);
    expect_corrupt(b, len, "separator", "CR LF");
}
END_TEST

START_TEST(binary_corrupt_body)
{
    static const struct { const char *body, *what, *msg; } c[] = {
        { "P3=a", "no gnkey", "gnkey" },
        { "P3=a&gnkey=0b83", "other gnkey", NULL },
        { "gnkey=0b82&P3=a", "gnkey first", "last" },
        { "P3=a&gnkey=0b82&P4=b", "gnkey in the middle", "last" },
        { "gnkey=0b82&gnkey=0b82", "gnkey twice", "last" },
        { "X3=a&gnkey=0b82", "bad name X3", "X3" },
        { "P3a=1&gnkey=0b82", "bad name P3a", NULL },
        { "=1&gnkey=0b82", "empty name", NULL },
        { "P3&gnkey=0b82", "no '='", "=" },
        { "P3=%zz&gnkey=0b82", "bad percent-encoding", "P3" },
        { "P3=%2&gnkey=0b82", "truncated percent-encoding", "P3" },
        { "P3=a%00b&gnkey=0b82", "percent-encoded NUL", "P3" },
        { "", "empty body", "gnkey" },
    };
    size_t i;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        apr_size_t len;
        unsigned char *b = file_with_body(c[i].body, strlen(c[i].body), &len);
        expect_corrupt(b, len, c[i].what, c[i].msg);
    }
}
END_TEST

START_TEST(binary_corrupt_nul_in_body)
{
    static const char body[] = "P3=a\0b&gnkey=0b82";
    apr_size_t len;
    unsigned char *b = file_with_body(body, sizeof(body) - 1, &len);
    expect_corrupt(b, len, "NUL in the body", "NUL");
}
END_TEST

/* Lenient on what other encoders write: raw values ([SIPX]), lowercase
 * hex escapes, '+' for a space (Grandstream's own GS_CFG_GEN and
 * urlencode-based encoders; a '+' itself is %2B). */
START_TEST(binary_decode_other_encoders)
{
    static const char body[] = "P3=Alice Smith&P4=a%2fb&P5=1+1&gnkey=0b82";
    apr_size_t len;
    unsigned char *b = file_with_body(body, sizeof(body) - 1, &len);
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;

    ck_assert_status(gsprov_binary_decode(pool, b, len, mac, &pv, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(pv->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(pv, 0, gsprov_pvalue_t).value,
                     "Alice Smith");
    ck_assert_str_eq(APR_ARRAY_IDX(pv, 1, gsprov_pvalue_t).value, "a/b");
    ck_assert_str_eq(APR_ARRAY_IDX(pv, 2, gsprov_pvalue_t).value, "1 1");
}
END_TEST

/* '+' and %2B: a space and a plus, whichever encoder wrote them */
START_TEST(binary_decode_plus)
{
    static const char body[] = "P270=Account+name&P3=1%2B1+%3D+2&P4=+&P5=%2B"
                               "&P6=a++b&gnkey=0b82";
    static const char *const want[] = { "Account name", "1+1 = 2", " ", "+",
                                        "a  b" };
    apr_size_t len;
    unsigned char *b = file_with_body(body, sizeof(body) - 1, &len);
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;
    int i;

    ck_assert_status(gsprov_binary_decode(pool, b, len, mac, &pv, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(pv->nelts, 5);
    for (i = 0; i < 5; i++)
        ck_assert_str_eq(APR_ARRAY_IDX(pv, i, gsprov_pvalue_t).value, want[i]);
    /* what this module writes reads back the same either way */
    round_trip("000b82123456", pv_make("P3", "1+1 = 2", "P4", "+ +", NULL));
}
END_TEST

/* A file as Grandstream's GS_CFG_GEN writes it: the length as 16 bits
 * in bytes 2-3, and bytes 6-11 FF 01, two random bytes and a checksum
 * of the body instead of the MAC (the last is not checked: how the tool
 * computes it is not public, so this one is arbitrary). */
static unsigned char *tool_file(const char *body, apr_size_t blen,
                                apr_size_t *len)
{
    unsigned char *b = file_with_body(body, blen, len);
    apr_size_t words = *len / 2;
    b[0] = b[1] = 0;
    b[2] = (unsigned char)(words >> 8);
    b[3] = (unsigned char)words;
    memcpy(b + 6, "\xff\x01\x5a\xc3\x12\x34", 6);
    fix_checksum(b, *len);
    return b;
}

START_TEST(binary_tool_layout)
{
    static const char body[] = "P271=1&P270=Account+name&gnkey=0b82";
    apr_size_t len;
    unsigned char *b = tool_file(body, sizeof(body) - 1, &len);
    gsprov_binary_file_t f;
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;

    ck_assert_status(gsprov_binary_read(pool, b, len, &f, &err), APR_SUCCESS);
    ck_assert_int_eq(f.layout, GSPROV_BINARY_LAYOUT_TOOL);
    ck_assert_str_eq(f.mac, "");
    ck_assert_uint_eq(f.random, 0x5ac3);
    ck_assert_uint_eq(f.body_sum, 0x1234);
    ck_assert_int_eq(f.length16, 0);        /* < 128 KiB: the same field */
    ck_assert_int_eq(f.encrypted, 0);
    ck_assert_int_eq(f.pvalues->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(f.pvalues, 1, gsprov_pvalue_t).value,
                     "Account name");
    /* the MAC-only interface: no MAC */
    memset(mac, 'x', sizeof(mac));
    ck_assert_status(gsprov_binary_decode(pool, b, len, mac, &pv, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(mac, "");
    ck_assert_int_eq(pv->nelts, 2);
    /* ordinary files are the MAC layout */
    b = file_with_body(body, sizeof(body) - 1, &len);
    ck_assert_status(gsprov_binary_read(pool, b, len, &f, &err), APR_SUCCESS);
    ck_assert_int_eq(f.layout, GSPROV_BINARY_LAYOUT_MAC);
    ck_assert_str_eq(f.mac, "000b82123456");
}
END_TEST

/* The tool's encrypted variant: a 64-byte header, then AES, after the
 * same 16-byte file header.  Reported as such, never as a NUL in the
 * body; a MAC-layout file with such a body is just corrupt. */
START_TEST(binary_tool_encrypted)
{
    unsigned char body[64 + 48];
    apr_size_t len, i;
    unsigned char *b;
    gsprov_binary_file_t f;
    apr_array_header_t *pv = NULL;
    char mac[13];
    char *err = NULL;

    for (i = 0; i < sizeof(body); i++)
        body[i] = (unsigned char)(i * 37 + 11);
    body[5] = 0;
    b = tool_file((const char *)body, sizeof(body), &len);
    ck_assert_status(gsprov_binary_read(pool, b, len, &f, &err),
                     APR_ENOTIMPL);
    ck_assert_int_eq(f.encrypted, 1);
    ck_assert_int_eq(f.layout, GSPROV_BINARY_LAYOUT_TOOL);
    ck_assert_ptr_nonnull(strstr(err, "ciphertext"));
    ck_assert_ptr_null(strstr(err, "NUL"));
    /* without a NUL, a control byte gives it away just as well */
    body[5] = 1;
    b = tool_file((const char *)body, sizeof(body), &len);
    ck_assert_status(gsprov_binary_read(pool, b, len, &f, &err),
                     APR_ENOTIMPL);
    ck_assert_status(gsprov_binary_decode(pool, b, len, mac, &pv, &err),
                     GSPROV_EPARSE);
    /* the same body under a MAC: the old message */
    body[5] = 0;
    b = file_with_body((const char *)body, sizeof(body), &len);
    expect_corrupt(b, len, "binary body, MAC layout", "NUL");
}
END_TEST

/* 16 or 32 bits of length: the same below 128 KiB; above it a 16-bit
 * writer wraps, and bytes 0-1 stay zero. */
START_TEST(binary_length16)
{
    apr_size_t blen = 140000, len;
    char *body = apr_palloc(pool, blen);
    unsigned char *b;
    gsprov_binary_file_t f;
    char *err = NULL;

    memcpy(body, "P3=", 3);
    memset(body + 3, 'x', blen - 3 - 11);
    memcpy(body + blen - 11, "&gnkey=0b82", 11);
    b = file_with_body(body, blen, &len);
    ck_assert_uint_gt(len / 2, 0xFFFF);
    ck_assert_status(gsprov_binary_read(pool, b, len, &f, &err), APR_SUCCESS);
    ck_assert_int_eq(f.length16, 0);
    ck_assert_uint_eq(strlen(APR_ARRAY_IDX(f.pvalues, 0,
                                           gsprov_pvalue_t).value),
                      blen - 3 - 11);
    b[1] = 0;                       /* 32-bit 0x000111xx -> 16-bit 0x11xx */
    fix_checksum(b, len);
    ck_assert_status(gsprov_binary_read(pool, b, len, &f, &err), APR_SUCCESS);
    ck_assert_int_eq(f.length16, 1);
    b[1] = 2;                       /* neither */
    fix_checksum(b, len);
    expect_corrupt(b, len, "16 bits, high bytes not 0", "length");
    b[1] = 0;
    b[3] ^= 2;                      /* 16 bits off by one word */
    fix_checksum(b, len);
    expect_corrupt(b, len, "16 bits, wrong", "length");
}
END_TEST

/* ------------------------------------------------- an independent reader */

/* Perl, knowing nothing of the C code: checks the length field, the word
 * sum, the separator and gnkey, that only [A-Za-z0-9._%-] is unencoded,
 * prints the MAC and "name=<hex of the decoded value>" per line. */
static const char perl_reader[] =
    "perl -e 'local $/; open my $f, \"<:raw\", $ARGV[0] or die \"open\\n\"; "
    "my $d = <$f>; my $l = length $d; "
    "die \"odd\\n\" if $l % 2; "
    "die \"len\\n\" unless unpack(\"N\", $d) * 2 == $l; "
    "my $s = 0; $s += $_ for unpack(\"n*\", $d); "
    "die \"sum\\n\" if $s % 65536; "
    "die \"sep\\n\" unless substr($d, 12, 4) eq \"\\r\\n\\r\\n\"; "
    "print unpack(\"H12\", substr($d, 6, 6)), \"\\n\"; "
    "(my $b = substr($d, 16)) =~ s/\\0$//; "
    "die \"pad\\n\" if $b =~ /\\0/; "
    "my @p = split /&/, $b, -1; "
    "die \"gnkey\\n\" unless pop(@p) eq \"gnkey=0b82\"; "
    "for (@p) { my ($k, $v) = /^(P[0-9]+)=(.*)$/s or die \"item\\n\"; "
    "die \"raw\\n\" if $v =~ /[^A-Za-z0-9._%-]/; "
    "$v =~ s/%([0-9A-F]{2})/chr hex $1/ge; "
    "print \"$k=\", unpack(\"H*\", $v), \"\\n\" }' ";

START_TEST(binary_independent_reader)
{
    apr_array_header_t *in = pv_make("P271", "1", "P270", "Account name",
                                     "P3", "Z\xc3\xbcrich & \"=\" 50% +1",
                                     "P4", "", "P5", "odd", NULL);
    const char *dir = unit_tmpdir();
    const char *path = apr_pstrcat(pool, dir, "/cfg000b82123456", NULL);
    unsigned char *out;
    apr_size_t len;
    char *got = NULL;
    const char *want;
    int i;

    ck_assert_status(gsprov_binary_encode(pool, "000b82123456", in, &out,
                                          &len), APR_SUCCESS);
    unit_write(dir, "cfg000b82123456", (const char *)out, (long)len);
    want = "000b82123456\n";
    for (i = 0; i < in->nelts; i++) {
        const gsprov_pvalue_t *pv = &APR_ARRAY_IDX(in, i, gsprov_pvalue_t);
        want = apr_pstrcat(pool, want, pv->name, "=",
                           hex((const unsigned char *)pv->value,
                               strlen(pv->value)), "\n", NULL);
    }
    ck_assert_int_eq(unit_run(apr_pstrcat(pool, perl_reader, path, " 2>&1",
                                          NULL), &got, NULL), 0);
    ck_assert_str_eq(got, want);

    /* and the reader does notice a corrupt file */
    out[20] ^= 0x20;
    unit_write(dir, "bad", (const char *)out, (long)len);
    ck_assert_int_ne(unit_run(apr_pstrcat(pool, perl_reader, dir, "/bad",
                                          " 2>&1", NULL), &got, NULL), 0);
    ck_assert_str_eq(got, "sum\n");
}
END_TEST

Suite *binary_suite(void)
{
    Suite *s = suite_create("binary");
    TCase *tc = unit_tcase("binary");
    tcase_add_test(tc, binary_spec_vector);
    tcase_add_test(tc, binary_spec_vector_decode);
    tcase_add_test(tc, binary_value_encoding);
    tcase_add_test(tc, binary_no_params);
    tcase_add_test(tc, binary_padding);
    tcase_add_test(tc, binary_bad_names_refused);
    tcase_add_test(tc, binary_round_trips);
    tcase_add_test(tc, binary_round_trip_large);
    tcase_add_test(tc, binary_corrupt_flipped_byte);
    tcase_add_test(tc, binary_corrupt_length);
    tcase_add_test(tc, binary_corrupt_separator);
    tcase_add_test(tc, binary_corrupt_body);
    tcase_add_test(tc, binary_corrupt_nul_in_body);
    tcase_add_test(tc, binary_decode_other_encoders);
    tcase_add_test(tc, binary_decode_plus);
    tcase_add_test(tc, binary_tool_layout);
    tcase_add_test(tc, binary_tool_encrypted);
    tcase_add_test(tc, binary_length16);
    tcase_add_test(tc, binary_independent_reader);
    suite_add_tcase(s, tc);
    return s;
}
