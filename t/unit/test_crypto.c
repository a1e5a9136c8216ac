#include <stdio.h>
#include <apr_escape.h>
#include "unit.h"
#include "gsprov_crypto.h"

static const char plain[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<gs_provision version=\"1\">\n  <config version=\"1\">\n"
    "    <P2>admin &amp; \xc3\xa9</P2>\n  </config>\n</gs_provision>\n";

START_TEST(crypto_roundtrip)
{
    /* every length around the block size, both digests */
    gsprov_md_e md = _i ? GSPROV_MD_SHA256 : GSPROV_MD_MD5;
    unsigned char buf[80];
    apr_size_t n;

    for (n = 0; n < sizeof(buf); n++)
        buf[n] = (unsigned char)(n * 37 + 1);
    for (n = 0; n <= sizeof(buf); n++) {
        unsigned char *enc = NULL, *dec = NULL;
        apr_size_t elen = 0, dlen = 0;
        ck_assert_status(gsprov_crypto_encrypt(pool, "pw", md, buf, n, &enc, &elen),
                         APR_SUCCESS);
        /* "Salted__" + salt + PKCS#7-padded ciphertext */
        ck_assert_uint_eq(elen, 16 + (n / 16 + 1) * 16);
        ck_assert_mem_eq(enc, "Salted__", 8);
        ck_assert_status(gsprov_crypto_decrypt(pool, "pw", md, enc, elen, &dec,
                                        &dlen), APR_SUCCESS);
        ck_assert_uint_eq(dlen, n);
        if (n)
            ck_assert_mem_eq(dec, buf, n);
        ck_assert_int_eq(dec[n], 0);    /* NUL-terminated */
    }
}
END_TEST

START_TEST(crypto_salt_is_random)
{
    unsigned char *a, *b;
    apr_size_t al, bl;
    ck_assert_status(gsprov_crypto_encrypt(pool, "pw", GSPROV_MD_MD5, plain,
                                    sizeof(plain) - 1, &a, &al), APR_SUCCESS);
    ck_assert_status(gsprov_crypto_encrypt(pool, "pw", GSPROV_MD_MD5, plain,
                                    sizeof(plain) - 1, &b, &bl), APR_SUCCESS);
    ck_assert_uint_eq(al, bl);
    ck_assert_msg(memcmp(a + 8, b + 8, 8) != 0, "same salt twice");
    ck_assert_msg(memcmp(a + 16, b + 16, al - 16) != 0, "same ciphertext");
}
END_TEST

START_TEST(crypto_wrong_password)
{
    unsigned char *enc, *dec = NULL;
    apr_size_t elen, dlen;
    int fails = 0, i;

    /* a wrong key passes the PKCS#7 check by chance about 1 in 256: try a
     * few passwords, nearly all must fail and none may give the plaintext */
    ck_assert_status(gsprov_crypto_encrypt(pool, "right", GSPROV_MD_MD5, plain,
                                    sizeof(plain) - 1, &enc, &elen),
                     APR_SUCCESS);
    for (i = 0; i < 16; i++) {
        const char *pw = apr_psprintf(pool, "wrong%d", i);
        apr_status_t rv = gsprov_crypto_decrypt(pool, pw, GSPROV_MD_MD5, enc, elen,
                                         &dec, &dlen);
        if (rv == GSPROV_ECRYPTO)
            fails++;
        else
            ck_assert_msg(dlen != sizeof(plain) - 1
                          || memcmp(dec, plain, dlen) != 0,
                          "wrong password decrypted");
    }
    ck_assert_int_ge(fails, 14);
    /* right password, wrong digest */
    ck_assert_status(gsprov_crypto_decrypt(pool, "right", GSPROV_MD_MD5, enc, elen,
                                    &dec, &dlen), APR_SUCCESS);
    ck_assert_int_ne(gsprov_crypto_decrypt(pool, "right", GSPROV_MD_SHA256, enc, elen,
                                    &dec, &dlen) == APR_SUCCESS
                     && dlen == sizeof(plain) - 1
                     && memcmp(dec, plain, dlen) == 0, 1);
}
END_TEST

START_TEST(crypto_bad_container)
{
    unsigned char *enc, *dec;
    apr_size_t elen, dlen;
    unsigned char *copy;

    ck_assert_status(gsprov_crypto_encrypt(pool, "pw", GSPROV_MD_MD5, plain,
                                    sizeof(plain) - 1, &enc, &elen),
                     APR_SUCCESS);
    copy = apr_pmemdup(pool, enc, elen);
    copy[0] = 'X';   /* magic */
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, copy, elen,
                                    &dec, &dlen), GSPROV_ECRYPTO);
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, enc, elen - 1,
                                    &dec, &dlen), GSPROV_ECRYPTO);
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, enc, 16,
                                    &dec, &dlen), GSPROV_ECRYPTO);
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, enc, 0,
                                    &dec, &dlen), GSPROV_ECRYPTO);
    ck_assert_status(gsprov_crypto_decrypt(pool, "pw", GSPROV_MD_MD5, "Salted__", 8,
                                    &dec, &dlen), GSPROV_ECRYPTO);
}
END_TEST

/* Interop with the openssl CLI, the reference for what devices accept. */
static const char *tmpfile_with(const char *name, const void *data,
                                apr_size_t len)
{
    const char *dir = unit_tmpdir();
    unit_write(dir, name, data, (long)len);
    return apr_pstrcat(pool, dir, "/", name, NULL);
}

START_TEST(crypto_openssl_decrypts_ours)
{
    const char *mdname = _i ? "sha256" : "md5";
    gsprov_md_e md = _i ? GSPROV_MD_SHA256 : GSPROV_MD_MD5;
    unsigned char *enc;
    apr_size_t elen, olen;
    char *out;
    const char *f;
    int st;

    ck_assert_status(gsprov_crypto_encrypt(pool, "pa ss'\"$w0rd", md, plain,
                                    sizeof(plain) - 1, &enc, &elen),
                     APR_SUCCESS);
    f = tmpfile_with("enc.bin", enc, elen);
    st = unit_run(apr_psprintf(pool, "openssl enc -d -aes-256-cbc -md %s "
                               "-k 'pa ss'\\''\"$w0rd' -in '%s' 2>/dev/null",
                               mdname, f), &out, &olen);
    ck_assert_int_eq(st, 0);
    ck_assert_bytes(out, olen, plain);

    /* and the CLI refuses it with a wrong password */
    st = unit_run(apr_psprintf(pool, "openssl enc -d -aes-256-cbc -md %s "
                               "-k wrong -in '%s' 2>/dev/null", mdname, f),
                  &out, &olen);
    ck_assert_msg(st != 0 || olen != sizeof(plain) - 1
                  || memcmp(out, plain, olen) != 0, "wrong pw accepted");
}
END_TEST

START_TEST(crypto_we_decrypt_openssl)
{
    const char *mdname = _i ? "sha256" : "md5";
    gsprov_md_e md = _i ? GSPROV_MD_SHA256 : GSPROV_MD_MD5;
    const char *in = tmpfile_with("plain.xml", plain, sizeof(plain) - 1);
    const char *encf = apr_pstrcat(pool, unit_tmpdir(), "/cli.enc", NULL);
    unsigned char *dec;
    apr_size_t dlen, elen;
    char *enc;

    ck_assert_int_eq(unit_run(apr_psprintf(pool, "openssl enc -e -aes-256-cbc "
                                           "-md %s -k PW -in '%s' -out '%s' "
                                           "2>/dev/null", mdname, in, encf),
                              NULL, NULL), 0);
    enc = unit_read(encf, &elen);
    ck_assert_uint_eq(elen, 16 + ((sizeof(plain) - 1) / 16 + 1) * 16);
    ck_assert_status(gsprov_crypto_decrypt(pool, "PW", md, enc, elen, &dec, &dlen),
                     APR_SUCCESS);
    ck_assert_bytes(dec, dlen, plain);
    ck_assert_int_eq(gsprov_crypto_decrypt(pool, "pw", md, enc, elen, &dec, &dlen) ==
                     APR_SUCCESS && dlen == sizeof(plain) - 1
                     && memcmp(dec, plain, dlen) == 0, 0);
}
END_TEST

START_TEST(crypto_sha256)
{
    ck_assert_str_eq(gsprov_crypto_sha256_hex(pool, "abc", 3),
                     "ba7816bf8f01cfea414140de5dae2223"
                     "b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(gsprov_crypto_sha256_hex(pool, "", 0),
                     "e3b0c44298fc1c149afbf4c8996fb924"
                     "27ae41e4649b934ca495991b7852b855");
}
END_TEST

/* HKDF-SHA256: RFC 5869, test case 3 (no salt, no info). */
START_TEST(crypto_hkdf_rfc5869)
{
    unsigned char ikm[22], okm[42];
    const char *want = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
                       "4e5f3c738d2d9d201395faa4b61a96c8";

    memset(ikm, 0x0b, sizeof(ikm));
    ck_assert_int_eq(gsprov_crypto_hkdf_sha256(ikm, sizeof(ikm), "", okm,
                                               sizeof(okm)), APR_SUCCESS);
    ck_assert_str_eq(apr_pescape_hex(pool, okm, sizeof(okm), 0), want);
}
END_TEST

/* AES-256-GCM: the GCM spec's test cases 13 and 14 (zero key and IV),
 * then additional data, and a wrong tag, key or AAD refused. */
START_TEST(crypto_gcm)
{
    static const unsigned char zero[32];
    unsigned char out[16], back[16], tag[16], k2[32];
    struct iovec aad[2];

    ck_assert_int_eq(gsprov_crypto_gcm_seal(zero, zero, NULL, 0, "", 0, out,
                                            tag), APR_SUCCESS);
    ck_assert_str_eq(apr_pescape_hex(pool, tag, 16, 0),
                     "530f8afbc74536b9a963b4f1c4cb738b");
    ck_assert_int_eq(gsprov_crypto_gcm_seal(zero, zero, NULL, 0, zero, 16,
                                            out, tag), APR_SUCCESS);
    ck_assert_str_eq(apr_pescape_hex(pool, out, 16, 0),
                     "cea7403d4d606b6e074ec5d3baf39d18");
    ck_assert_str_eq(apr_pescape_hex(pool, tag, 16, 0),
                     "d0d1c8a799996bf0265b98b5d48ab919");
    ck_assert_int_eq(gsprov_crypto_gcm_open(zero, zero, NULL, 0, out, 16, tag,
                                            back), APR_SUCCESS);
    ck_assert_mem_eq(back, zero, 16);

    aad[0].iov_base = "gsprov1:";
    aad[0].iov_len = 8;
    aad[1].iov_base = "key";
    aad[1].iov_len = 3;
    ck_assert_int_eq(gsprov_crypto_gcm_seal(zero, zero, aad, 2, "0123456789",
                                            10, out, tag), APR_SUCCESS);
    ck_assert_int_eq(gsprov_crypto_gcm_open(zero, zero, aad, 2, out, 10, tag,
                                            back), APR_SUCCESS);
    ck_assert_mem_eq(back, "0123456789", 10);
    aad[1].iov_base = "kex";
    ck_assert_int_eq(gsprov_crypto_gcm_open(zero, zero, aad, 2, out, 10, tag,
                                            back), GSPROV_ECRYPTO);
    aad[1].iov_base = "key";
    memset(k2, 0, sizeof(k2));
    k2[31] = 1;
    ck_assert_int_eq(gsprov_crypto_gcm_open(k2, zero, aad, 2, out, 10, tag,
                                            back), GSPROV_ECRYPTO);
    tag[15] ^= 1;
    ck_assert_int_eq(gsprov_crypto_gcm_open(zero, zero, aad, 2, out, 10, tag,
                                            back), GSPROV_ECRYPTO);
}
END_TEST

START_TEST(crypto_md_names)
{
    ck_assert_int_eq(gsprov_crypto_md_parse("md5"), GSPROV_MD_MD5);
    ck_assert_int_eq(gsprov_crypto_md_parse("MD5"), GSPROV_MD_MD5);
    ck_assert_int_eq(gsprov_crypto_md_parse("sha256"), GSPROV_MD_SHA256);
    ck_assert_int_eq(gsprov_crypto_md_parse("SHA256"), GSPROV_MD_SHA256);
    ck_assert_int_eq(gsprov_crypto_md_parse("sha1"), -1);
    ck_assert_int_eq(gsprov_crypto_md_parse(""), -1);
    ck_assert_str_eq(gsprov_crypto_md_name(GSPROV_MD_MD5), "md5");
    ck_assert_str_eq(gsprov_crypto_md_name(GSPROV_MD_SHA256), "sha256");
}
END_TEST

Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = unit_tcase("crypto");
    tcase_add_loop_test(tc, crypto_roundtrip, 0, 2);
    tcase_add_test(tc, crypto_salt_is_random);
    tcase_add_test(tc, crypto_wrong_password);
    tcase_add_test(tc, crypto_bad_container);
    tcase_add_loop_test(tc, crypto_openssl_decrypts_ours, 0, 2);
    tcase_add_loop_test(tc, crypto_we_decrypt_openssl, 0, 2);
    tcase_add_test(tc, crypto_sha256);
    tcase_add_test(tc, crypto_md_names);
    tcase_add_test(tc, crypto_hkdf_rfc5869);
    tcase_add_test(tc, crypto_gcm);
    suite_add_tcase(s, tc);
    return s;
}
