/*
 * Per-device HTTP credentials (the device's P1360/P1361), checked for
 * mod_auth_basic and mod_auth_digest through the module's authn provider.
 *
 * A record holds <username> and <secret> elements: usernames[i] goes with
 * secrets[i], and a single username goes with every secret, so a record
 * may carry the current and the next secret while a new P1361 is pushed.
 * A secret is plaintext or an htpasswd hash ($apr1$, $2y$, {SHA}, $5$,
 * $6$); hashes only serve Basic (Digest needs MD5(user:realm:secret)).
 */
#ifndef GSPROV_AUTH_H
#define GSPROV_AUTH_H

#include "gsprov_device.h"

/* 1 if d has username user. */
int gsprov_auth_has_user(const gsprov_device_t *d, const char *user);

/* 1 if user/password matches one of d's credentials (constant-time for
 * plaintext secrets; apr_password_validate for hashes). */
int gsprov_auth_check(const gsprov_device_t *d, const char *user,
                      const char *password);

/* For Digest: the lowercase hex MD5 of "user:realm:secret" of the first
 * plaintext secret that goes with user, or NULL. */
const char *gsprov_auth_digest_ha1(apr_pool_t *p, const gsprov_device_t *d,
                                   const char *user, const char *realm);

/* 1 if a stored secret is an htpasswd hash rather than plaintext. */
int gsprov_auth_is_hash(const char *secret);

#endif
