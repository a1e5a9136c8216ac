/*
 * PIN hashes for activations: never the PIN itself, only
 * "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>".
 */
#ifndef GSPROV_PIN_H
#define GSPROV_PIN_H

#include <apr_pools.h>

apr_status_t gsprov_pin_hash(apr_pool_t *p, const char *pin, int iterations,
                             const char **out);
/* 1 if pin matches the stored hash (constant-time compare), else 0. */
int gsprov_pin_verify(apr_pool_t *p, const char *pin, const char *stored);

#endif
