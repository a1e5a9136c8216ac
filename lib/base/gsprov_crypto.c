#include <string.h>
#include <apr_strings.h>
#include <apr_escape.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include "gsprov_crypto.h"
#include "gsprov_error.h"

#define SALT_LEN 8
#define HDR_LEN (sizeof(GSPROV_SALTED_MAGIC) - 1 + SALT_LEN)

/* OpenSSL 3 looks legacy algorithm objects (EVP_aes_256_cbc(), EVP_md5())
 * up in its provider tables on every use; fetched once here instead.
 * Written only by gsprov_crypto_preload() (post_config, or a tool's
 * main()) before any thread runs, read-only afterwards. */
static EVP_CIPHER *fetched_cipher;
static EVP_CIPHER *fetched_gcm;
static EVP_MD *fetched_md[2];
static EVP_MAC *fetched_hmac;

void gsprov_crypto_preload(void)
{
    if (!fetched_cipher)
        fetched_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    if (!fetched_gcm)
        fetched_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!fetched_md[GSPROV_MD_MD5])
        fetched_md[GSPROV_MD_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
    if (!fetched_md[GSPROV_MD_SHA256])
        fetched_md[GSPROV_MD_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!fetched_hmac)
        fetched_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

void gsprov_crypto_unload(void)
{
    int i;
    EVP_CIPHER_free(fetched_cipher);
    fetched_cipher = NULL;
    EVP_CIPHER_free(fetched_gcm);
    fetched_gcm = NULL;
    EVP_MAC_free(fetched_hmac);
    fetched_hmac = NULL;
    for (i = 0; i < 2; i++) {
        EVP_MD_free(fetched_md[i]);
        fetched_md[i] = NULL;
    }
}

static const EVP_CIPHER *aes_256_cbc(void)
{
    return fetched_cipher ? fetched_cipher : EVP_aes_256_cbc();
}

static const EVP_MD *digest(gsprov_md_e md)
{
    int i = md == GSPROV_MD_SHA256 ? GSPROV_MD_SHA256 : GSPROV_MD_MD5;
    if (fetched_md[i])
        return fetched_md[i];
    return i == GSPROV_MD_SHA256 ? EVP_sha256() : EVP_md5();
}

static apr_status_t free_ctx(void *ctx)
{
    EVP_CIPHER_CTX_free(ctx);
    return APR_SUCCESS;
}

int gsprov_crypto_md_parse(const char *name)
{
    if (!strcasecmp(name, "md5"))
        return GSPROV_MD_MD5;
    if (!strcasecmp(name, "sha256"))
        return GSPROV_MD_SHA256;
    return -1;
}

const char *gsprov_crypto_md_name(gsprov_md_e md)
{
    return md == GSPROV_MD_SHA256 ? "sha256" : "md5";
}

/* Set up ctx for the given direction with key/IV derived from pw+salt. */
static apr_status_t cipher_init(apr_pool_t *p, EVP_CIPHER_CTX **pctx,
                                const char *pw, gsprov_md_e md,
                                const unsigned char *salt, int enc)
{
    unsigned char key[EVP_MAX_KEY_LENGTH], iv[EVP_MAX_IV_LENGTH];
    const EVP_CIPHER *cipher = aes_256_cbc();
    EVP_CIPHER_CTX *ctx;
    int ok;

    if (EVP_BytesToKey(cipher, digest(md), salt, (const unsigned char *)pw, (int)strlen(pw), 1,
                       key, iv) <= 0)
        return GSPROV_ECRYPTO;
    if (!(ctx = EVP_CIPHER_CTX_new())) {
        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(iv, sizeof(iv));
        return GSPROV_ECRYPTO;
    }
    apr_pool_cleanup_register(p, ctx, free_ctx, apr_pool_cleanup_null);
    ok = EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, enc);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(iv, sizeof(iv));
    *pctx = ctx;
    return ok == 1 ? APR_SUCCESS : GSPROV_ECRYPTO;
}

static apr_status_t cipher_run(EVP_CIPHER_CTX *ctx, const unsigned char *in,
                               apr_size_t inlen, unsigned char *out,
                               apr_size_t *outlen)
{
    int n1 = 0, n2 = 0;
    if (inlen > (apr_size_t)(INT_MAX - 32))
        return GSPROV_ECRYPTO;
    if (EVP_CipherUpdate(ctx, out, &n1, in, (int)inlen) != 1
        || EVP_CipherFinal_ex(ctx, out + n1, &n2) != 1)
        return GSPROV_ECRYPTO;
    *outlen = (apr_size_t)n1 + (apr_size_t)n2;
    return APR_SUCCESS;
}

apr_status_t gsprov_crypto_encrypt(apr_pool_t *p, const char *password,
                            gsprov_md_e md, const void *in, apr_size_t inlen,
                            unsigned char **out, apr_size_t *outlen)
{
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf;
    apr_size_t n;
    apr_status_t rv;

    buf = apr_palloc(p, HDR_LEN + inlen + 16);
    memcpy(buf, GSPROV_SALTED_MAGIC, HDR_LEN - SALT_LEN);
    if (RAND_bytes(buf + HDR_LEN - SALT_LEN, SALT_LEN) != 1)
        return GSPROV_ECRYPTO;
    if ((rv = cipher_init(p, &ctx, password, md, buf + HDR_LEN - SALT_LEN, 1)))
        return rv;
    if ((rv = cipher_run(ctx, in, inlen, buf + HDR_LEN, &n)))
        return rv;
    *out = buf;
    *outlen = HDR_LEN + n;
    return APR_SUCCESS;
}

apr_status_t gsprov_crypto_decrypt(apr_pool_t *p, const char *password,
                            gsprov_md_e md, const void *in, apr_size_t inlen,
                            unsigned char **out, apr_size_t *outlen)
{
    const unsigned char *src = in;
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf;
    apr_status_t rv;

    if (inlen < HDR_LEN + 16 || (inlen - HDR_LEN) % 16
        || memcmp(src, GSPROV_SALTED_MAGIC, HDR_LEN - SALT_LEN) != 0)
        return GSPROV_ECRYPTO;
    if ((rv = cipher_init(p, &ctx, password, md, src + HDR_LEN - SALT_LEN, 0)))
        return rv;
    buf = apr_palloc(p, inlen - HDR_LEN + 16 + 1);
    if ((rv = cipher_run(ctx, src + HDR_LEN, inlen - HDR_LEN, buf, outlen)))
        return rv;
    buf[*outlen] = '\0';
    *out = buf;
    return APR_SUCCESS;
}

const char *gsprov_crypto_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(data, len, md, &n, digest(GSPROV_MD_SHA256), NULL) != 1)
        return NULL;
    return apr_pescape_hex(p, md, n, 0);
}

apr_status_t gsprov_crypto_sha256_parts(const struct iovec *parts, int n,
                                 unsigned char out[GSPROV_SHA256_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    int i, ok;

    if (!ctx)
        return GSPROV_ECRYPTO;
    ok = EVP_DigestInit_ex(ctx, digest(GSPROV_MD_SHA256), NULL);
    for (i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, parts[i].iov_base, parts[i].iov_len);
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) && len == GSPROV_SHA256_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? APR_SUCCESS : GSPROV_ECRYPTO;
}

apr_status_t gsprov_crypto_hmac_sha256_parts(const void *key, apr_size_t klen,
                                      const struct iovec *parts, int n,
                                      unsigned char out[GSPROV_SHA256_LEN])
{
    EVP_MAC *mac = fetched_hmac ? fetched_hmac
                                : EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];
    size_t len = 0;
    int i, ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = ctx && EVP_MAC_init(ctx, key, klen, params);
    for (i = 0; ok && i < n; i++)
        ok = EVP_MAC_update(ctx, parts[i].iov_base, parts[i].iov_len);
    ok = ok && EVP_MAC_final(ctx, out, &len, GSPROV_SHA256_LEN)
         && len == GSPROV_SHA256_LEN;
    EVP_MAC_CTX_free(ctx);
    if (mac != fetched_hmac)
        EVP_MAC_free(mac);
    return ok ? APR_SUCCESS : GSPROV_ECRYPTO;
}

apr_status_t gsprov_crypto_hkdf_sha256(const void *secret, apr_size_t slen,
                                       const char *info, unsigned char *out,
                                       apr_size_t len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[4];
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  (void *)secret, slen);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  (void *)info, strlen(info));
    params[3] = OSSL_PARAM_construct_end();
    ok = ctx && EVP_KDF_derive(ctx, out, len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? APR_SUCCESS : GSPROV_ECRYPTO;
}

/* One AES-256-GCM pass (enc 1: seal, 0: open); the tag is written when
 * sealing, checked when opening. */
static apr_status_t gcm(int enc, const unsigned char *key,
                        const unsigned char *iv, const struct iovec *aad,
                        int n, const void *in, apr_size_t len,
                        unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx;
    int i, got = 0, fin = 0, ok;

    if (len > (apr_size_t)INT_MAX || !(ctx = EVP_CIPHER_CTX_new()))
        return GSPROV_ECRYPTO;
    /* the IV length is GCM's default, 96 bits */
    ok = EVP_CipherInit_ex(ctx, fetched_gcm ? fetched_gcm
                                            : EVP_aes_256_gcm(), NULL,
                           key, iv, enc) == 1;
    for (i = 0; ok && i < n; i++)
        ok = EVP_CipherUpdate(ctx, NULL, &got, aad[i].iov_base,
                              (int)aad[i].iov_len) == 1;
    ok = ok && EVP_CipherUpdate(ctx, out, &got, in, (int)len) == 1
         && (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                        GSPROV_GCM_TAG_LEN, tag) == 1)
         && EVP_CipherFinal_ex(ctx, out + got, &fin) == 1
         && (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                         GSPROV_GCM_TAG_LEN, tag) == 1);
    EVP_CIPHER_CTX_free(ctx);
    return ok && (apr_size_t)got + (apr_size_t)fin == len ? APR_SUCCESS
                                                          : GSPROV_ECRYPTO;
}

apr_status_t gsprov_crypto_gcm_seal(const unsigned char *key,
                                    const unsigned char *iv,
                                    const struct iovec *aad, int n,
                                    const void *in, apr_size_t len,
                                    unsigned char *out, unsigned char *tag)
{
    return gcm(1, key, iv, aad, n, in, len, out, tag);
}

apr_status_t gsprov_crypto_gcm_open(const unsigned char *key,
                                    const unsigned char *iv,
                                    const struct iovec *aad, int n,
                                    const void *in, apr_size_t len,
                                    const unsigned char *tag,
                                    unsigned char *out)
{
    unsigned char t[GSPROV_GCM_TAG_LEN];

    memcpy(t, tag, sizeof(t));
    return gcm(0, key, iv, aad, n, in, len, out, t);
}
