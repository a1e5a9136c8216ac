/*
 * PINs at rest: PBKDF2-HMAC-SHA256 (OpenSSL) with a random salt, compared
 * in constant time.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_base64.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include "gsprov_pin.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

#define PIN_SCHEME "pbkdf2-sha256"
#define PIN_HASH_BYTES 32

static const char *b64(apr_pool_t *p, const unsigned char *d, int n)
{
    char *out = apr_palloc(p, (apr_size_t)apr_base64_encode_len(n));
    apr_base64_encode(out, (const char *)d, n);
    return out;
}

static int derive(const char *pin, const unsigned char *salt, int saltlen,
                  int iterations, unsigned char out[PIN_HASH_BYTES])
{
    return PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, saltlen,
                             iterations, EVP_sha256(), PIN_HASH_BYTES, out);
}

apr_status_t gsprov_pin_hash(apr_pool_t *p, const char *pin, int iterations,
                             const char **out)
{
    unsigned char salt[GSPROV_PIN_SALT_BYTES], h[PIN_HASH_BYTES];

    if (RAND_bytes(salt, sizeof(salt)) != 1
        || !derive(pin, salt, sizeof(salt), iterations, h))
        return GSPROV_ECRYPTO;
    *out = apr_psprintf(p, PIN_SCHEME "$%d$%s$%s", iterations,
                        b64(p, salt, sizeof(salt)), b64(p, h, sizeof(h)));
    OPENSSL_cleanse(h, sizeof(h));
    return APR_SUCCESS;
}

typedef struct {
    int iterations;
    unsigned char *salt, *hash;
    int saltlen, hashlen;
} parsed_t;

/* A stored hash in the module's scheme, with an iteration count in the
 * accepted range: 1 with *out set, else 0.  Checked before any work, so
 * a hostile count costs nothing. */
static int parse(apr_pool_t *p, const char *stored, parsed_t *out)
{
    char *copy = apr_pstrdup(p, stored), *last = NULL, *scheme, *it = NULL;
    char *s64 = NULL, *h64 = NULL, *end;
    apr_int64_t n;

    /* apr_strtok leaves `last` unset once it returns NULL: stop there */
    if (!(scheme = apr_strtok(copy, "$", &last))
        || !(it = apr_strtok(NULL, "$", &last))
        || !(s64 = apr_strtok(NULL, "$", &last))
        || !(h64 = apr_strtok(NULL, "$", &last))
        || apr_strtok(NULL, "$", &last)
        || strcmp(scheme, PIN_SCHEME))
        return 0;
    n = apr_strtoi64(it, &end, 10);
    if (*end || end == it || n < GSPROV_PIN_PBKDF2_MIN_ITERATIONS
        || n > GSPROV_PIN_PBKDF2_MAX_ITERATIONS)
        return 0;
    out->iterations = (int)n;
    out->salt = apr_palloc(p, (apr_size_t)apr_base64_decode_len(s64));
    out->saltlen = apr_base64_decode_binary(out->salt, s64);
    out->hash = apr_palloc(p, (apr_size_t)apr_base64_decode_len(h64));
    out->hashlen = apr_base64_decode_binary(out->hash, h64);
    return out->saltlen >= 1 && out->hashlen >= 1;
}

int gsprov_pin_hash_valid(apr_pool_t *p, const char *stored)
{
    parsed_t h;
    return parse(p, stored, &h);
}

int gsprov_pin_verify(apr_pool_t *p, const char *pin, const char *stored)
{
    unsigned char h[PIN_HASH_BYTES];
    parsed_t want;
    int ok;

    if (!parse(p, stored, &want) || want.hashlen != PIN_HASH_BYTES
        || !derive(pin, want.salt, want.saltlen, want.iterations, h))
        return 0;
    ok = CRYPTO_memcmp(h, want.hash, PIN_HASH_BYTES) == 0;
    OPENSSL_cleanse(h, sizeof(h));
    return ok;
}
