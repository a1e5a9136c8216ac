/* Per-device credentials: plaintext and htpasswd-hashed secrets, rotation
 * (two secrets for one user, or two user/secret pairs), Digest HA1. */
#include "unit.h"
#include "gsprov_auth.h"
#include "gsprov_crypto.h"
#include <apr_md5.h>

static gsprov_device_t *dev(const char *body)
{
    gsprov_device_t *d = NULL;
    char *err = NULL;
    const char *xml = apr_pstrcat(pool, "<device>", body, "</device>", NULL);
    ck_assert_status(gsprov_xml_parse_device(pool, "000b82123456", xml,
                                         strlen(xml), "d.xml", &d, &err),
                     APR_SUCCESS);
    return d;
}

START_TEST(auth_plain)
{
    gsprov_device_t *d = dev("<username>u1</username><secret>s3cr3t</secret>");
    ck_assert_int_eq(gsprov_auth_has_user(d, "u1"), 1);
    ck_assert_int_eq(gsprov_auth_has_user(d, "u2"), 0);
    ck_assert_int_eq(gsprov_auth_check(d, "u1", "s3cr3t"), 1);
    ck_assert_int_eq(gsprov_auth_check(d, "u1", "s3cr3"), 0);
    ck_assert_int_eq(gsprov_auth_check(d, "u1", "s3cr3tx"), 0);
    ck_assert_int_eq(gsprov_auth_check(d, "u2", "s3cr3t"), 0);
    ck_assert_int_eq(gsprov_auth_check(d, "u1", ""), 0);
}
END_TEST

/* one user, current and next secret: both accepted */
START_TEST(auth_rotation_secrets)
{
    gsprov_device_t *d = dev("<username>u1</username><secret>old</secret>"
                             "<secret>new</secret>");
    ck_assert_int_eq(gsprov_auth_check(d, "u1", "old"), 1);
    ck_assert_int_eq(gsprov_auth_check(d, "u1", "new"), 1);
    ck_assert_int_eq(gsprov_auth_check(d, "u1", "other"), 0);
}
END_TEST

/* two pairs: each secret only with its own user */
START_TEST(auth_rotation_pairs)
{
    gsprov_device_t *d = dev("<username>a</username><username>b</username>"
                             "<secret>pa</secret><secret>pb</secret>");
    ck_assert_int_eq(gsprov_auth_check(d, "a", "pa"), 1);
    ck_assert_int_eq(gsprov_auth_check(d, "b", "pb"), 1);
    ck_assert_int_eq(gsprov_auth_check(d, "a", "pb"), 0);
    ck_assert_int_eq(gsprov_auth_check(d, "b", "pa"), 0);
}
END_TEST

/* hashes made by apr (as htpasswd does) validate; {SHA} by hand */
START_TEST(auth_hashes)
{
    char md5[120];
    gsprov_device_t *d;

    ck_assert_status(apr_md5_encode("pw-1", "abcdefgh", md5, sizeof(md5)),
                     APR_SUCCESS);
    ck_assert_int_eq(gsprov_auth_is_hash(md5), 1);
    ck_assert_int_eq(gsprov_auth_is_hash("plain"), 0);
    d = dev(apr_pstrcat(pool, "<username>u</username><secret>", md5,
                        "</secret><secret>{SHA}8GC+oH7iGRueGhGlAruwm22kbMU="
                        "</secret>", NULL));
    ck_assert_int_eq(gsprov_auth_check(d, "u", "pw-1"), 1);
    /* {SHA} of "pw-2" (base64 of SHA-1), as htpasswd -s writes it */
    ck_assert_int_eq(gsprov_auth_check(d, "u", "pw-2"), 1);
    ck_assert_int_eq(gsprov_auth_check(d, "u", "pw-3"), 0);
    ck_assert_int_eq(gsprov_auth_check(d, "u", md5), 0);   /* not the hash */
}
END_TEST

START_TEST(auth_digest)
{
    gsprov_device_t *d = dev("<username>u</username><secret>$apr1$x$y</secret>"
                             "<secret>pw</secret>");
    /* MD5("u:prov:pw"), the plaintext one; the hash cannot serve Digest */
    char *want = NULL, *out;
    apr_size_t n;
    ck_assert_int_eq(unit_run("printf %s 'u:prov:pw' | openssl md5 -r | "
                              "cut -c1-32", &out, &n), 0);
    want = apr_pstrmemdup(pool, out, 32);
    ck_assert_str_eq(gsprov_auth_digest_ha1(pool, d, "u", "prov"), want);
    ck_assert_ptr_null(gsprov_auth_digest_ha1(pool, d, "x", "prov"));
    d = dev("<username>u</username><secret>{SHA}abc</secret>");
    ck_assert_ptr_null(gsprov_auth_digest_ha1(pool, d, "u", "prov"));
}
END_TEST

START_TEST(auth_record_limits)
{
    gsprov_device_t *d = NULL;
    char *err = NULL;
    static const char x[] = "<device><secret>a</secret><secret>b</secret>"
                            "<secret>c</secret></device>";
    ck_assert_status(gsprov_xml_parse_device(pool, "000b82123456", x,
                                         sizeof(x) - 1, "d.xml", &d, &err),
                     GSPROV_EPARSE);
    ck_assert_str_eq(err, "d.xml:1: at most 2 non-empty <secret> elements "
                     "(current and next)");
    ck_assert_msg(!strstr(err, ">c<"), "secret leaked into the message");
}
END_TEST

/* libxml2 quotes the bytes it cannot decode ("Bytes: 0xE9 0x73 ...");
 * none of a secret may reach the message (found in review) */
START_TEST(auth_parse_error_hides_bytes)
{
    gsprov_device_t *d = NULL;
    char *err = NULL;
    static const char x[] = "<device>\n<password>p\xe9ssw0rdSECRET</password>"
                            "\n</device>";
    ck_assert_status(gsprov_xml_parse_device(pool, "000b82123456", x,
                                         sizeof(x) - 1, "d.xml", &d, &err),
                     GSPROV_EPARSE);
    ck_assert_msg(strncmp(err, "d.xml:2: XML error: ", 20) == 0, "%s", err);
    ck_assert_msg(!strstr(err, "0xE9") && !strstr(err, "0x73")
                  && !strstr(err, "SECRET") && !strchr(err, '\n'),
                  "leaks: %s", err);
}
END_TEST

Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = unit_tcase("auth");
    tcase_add_test(tc, auth_plain);
    tcase_add_test(tc, auth_rotation_secrets);
    tcase_add_test(tc, auth_rotation_pairs);
    tcase_add_test(tc, auth_hashes);
    tcase_add_test(tc, auth_digest);
    tcase_add_test(tc, auth_record_limits);
    tcase_add_test(tc, auth_parse_error_hides_bytes);
    suite_add_tcase(s, tc);
    return s;
}
