#include <string.h>
#include <apr_strings.h>
#include <apr_md5.h>
#include <apr_escape.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "gsprov_auth.h"

int gsprov_auth_is_hash(const char *s)
{
    static const char *const prefixes[] = {
        "$apr1$", "$2y$", "$2a$", "$2b$", "{SHA}", "$5$", "$6$"
    };
    size_t i;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* The secrets that go with user: all of them for a single username,
 * else the one at the username's position. */
static int secret_range(const gsprov_device_t *d, const char *user,
                        int *from, int *to)
{
    int i;
    for (i = 0; i < d->nusernames; i++) {
        if (strcmp(d->usernames[i], user) != 0)
            continue;
        if (d->nusernames == 1) {
            *from = 0;
            *to = d->nsecrets;
        }
        else {
            *from = i;
            *to = i < d->nsecrets ? i + 1 : i;
        }
        return 1;
    }
    return 0;
}

int gsprov_auth_has_user(const gsprov_device_t *d, const char *user)
{
    int from, to;
    return user && secret_range(d, user, &from, &to);
}

/* Equal-length digests compared in constant time: neither the secret's
 * content nor its length shows in the timing. */
static int same_secret(const char *a, const char *b)
{
    unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
    unsigned int na = 0, nb = 0;
    if (EVP_Digest(a, strlen(a), da, &na, EVP_sha256(), NULL) != 1
        || EVP_Digest(b, strlen(b), db, &nb, EVP_sha256(), NULL) != 1
        || na != nb)
        return 0;
    return CRYPTO_memcmp(da, db, na) == 0;
}

int gsprov_auth_check(const gsprov_device_t *d, const char *user,
                      const char *password)
{
    int from, to, i, ok = 0;

    if (!secret_range(d, user, &from, &to))
        return 0;
    for (i = from; i < to; i++) {
        const char *s = d->secrets[i];
        if (gsprov_auth_is_hash(s))
            ok |= apr_password_validate(password, s) == APR_SUCCESS;
        else
            ok |= same_secret(s, password);
    }
    return ok;
}

const char *gsprov_auth_digest_ha1(apr_pool_t *p, const gsprov_device_t *d,
                                   const char *user, const char *realm)
{
    unsigned char md[APR_MD5_DIGESTSIZE];
    int from, to, i;

    if (!secret_range(d, user, &from, &to))
        return NULL;
    for (i = from; i < to; i++) {
        const char *s = d->secrets[i];
        const char *a1;
        if (gsprov_auth_is_hash(s))
            continue;
        a1 = apr_pstrcat(p, user, ":", realm, ":", s, NULL);
        if (apr_md5(md, a1, strlen(a1)) != APR_SUCCESS)
            return NULL;
        return apr_pescape_hex(p, md, sizeof(md), 0);
    }
    return NULL;
}
