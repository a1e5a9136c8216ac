/*
 * The `openssl enc -aes-256-cbc -k PW` container devices decrypt
 * (what `openssl enc -aes-256-cbc` writes): "Salted__" + 8-byte salt + AES-256-CBC/PKCS#7, key and
 * IV from EVP_BytesToKey with one iteration of MD5 (or SHA-256).
 */
#ifndef GSPROV_CRYPTO_H
#define GSPROV_CRYPTO_H

#include <sys/uio.h>
#include <apr_pools.h>

typedef enum { GSPROV_MD_MD5 = 0, GSPROV_MD_SHA256 = 1 } gsprov_md_e;

#define GSPROV_SALTED_MAGIC "Salted__"

/* Fetch the cipher and digests once.  Optional (everything works without
 * it, slower); call it before threads start. */
void gsprov_crypto_preload(void);
/* Free them (the module does so when httpd unloads it at a restart). */
void gsprov_crypto_unload(void);

/* Encrypt in[0..inlen) with a fresh random salt; output allocated in p. */
apr_status_t gsprov_crypto_encrypt(apr_pool_t *p, const char *password,
                            gsprov_md_e md, const void *in, apr_size_t inlen,
                            unsigned char **out, apr_size_t *outlen);

/* Decrypt such a container (wrong password: GSPROV_ECRYPTO). */
apr_status_t gsprov_crypto_decrypt(apr_pool_t *p, const char *password,
                            gsprov_md_e md, const void *in, apr_size_t inlen,
                            unsigned char **out, apr_size_t *outlen);

/* "md5"/"sha256" <-> enum; returns -1 for an unknown name. */
int gsprov_crypto_md_parse(const char *name);
const char *gsprov_crypto_md_name(gsprov_md_e md);

/* Lowercase hex SHA-256 of data (for versions and cache keys). */
const char *gsprov_crypto_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len);

/* Raw SHA-256 over several pieces, as if concatenated. */
#define GSPROV_SHA256_LEN 32
apr_status_t gsprov_crypto_sha256_parts(const struct iovec *parts, int n,
                                 unsigned char out[GSPROV_SHA256_LEN]);
/* HMAC-SHA256 with key over several pieces. */
apr_status_t gsprov_crypto_hmac_sha256_parts(const void *key, apr_size_t klen,
                                      const struct iovec *parts, int n,
                                      unsigned char out[GSPROV_SHA256_LEN]);

/* HKDF-SHA256 (RFC 5869, no salt): len bytes of key material for the
 * purpose info, from secret. */
apr_status_t gsprov_crypto_hkdf_sha256(const void *secret, apr_size_t slen,
                                       const char *info, unsigned char *out,
                                       apr_size_t len);

/* AES-256-GCM: in[0..len) encrypted into out (len bytes) with the tag;
 * aad (n pieces, as if concatenated) authenticated, not encrypted.  A
 * key and IV pair must never be used twice. */
#define GSPROV_GCM_KEY_LEN 32
#define GSPROV_GCM_IV_LEN  12
#define GSPROV_GCM_TAG_LEN 16
apr_status_t gsprov_crypto_gcm_seal(const unsigned char *key,
                                    const unsigned char *iv,
                                    const struct iovec *aad, int n,
                                    const void *in, apr_size_t len,
                                    unsigned char *out, unsigned char *tag);
/* The reverse: GSPROV_ECRYPTO unless in, aad and tag are what
 * gsprov_crypto_gcm_seal made with this key and IV (out is then not to
 * be used). */
apr_status_t gsprov_crypto_gcm_open(const unsigned char *key,
                                    const unsigned char *iv,
                                    const struct iovec *aad, int n,
                                    const void *in, apr_size_t len,
                                    const unsigned char *tag,
                                    unsigned char *out);

#endif
