#include <string.h>
#include <apr_strings.h>
#include <apr_md5.h>
#include <apr_escape.h>
#include <openssl/crypto.h>
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

int gsprov_auth_check(const gsprov_device_t *d, const char *user,
                      const char *password)
{
    int from, to, i, ok = 0;
    size_t pl = strlen(password);

    if (!secret_range(d, user, &from, &to))
        return 0;
    for (i = from; i < to; i++) {
        const char *s = d->secrets[i];
        if (gsprov_auth_is_hash(s))
            ok |= apr_password_validate(password, s) == APR_SUCCESS;
        else
            ok |= strlen(s) == pl && CRYPTO_memcmp(s, password, pl) == 0;
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
