/*
 * PIN hashes for activations: never the PIN itself, only
 * "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>".
 */
#ifndef GSPROV_PIN_H
#define GSPROV_PIN_H

#include <apr_pools.h>

apr_status_t gsprov_pin_hash(apr_pool_t *p, const char *pin, int iterations,
                             const char **out);
/* 1 if stored is a hash in gsprov_pin_hash's scheme with an iteration
 * count from GSPROV_PIN_PBKDF2_MIN_ITERATIONS to _MAX, else 0 (nothing
 * is computed). */
int gsprov_pin_hash_valid(apr_pool_t *p, const char *stored);
/* 1 if pin matches the stored hash (constant-time compare), else 0: also
 * for a hash gsprov_pin_hash_valid refuses. */
int gsprov_pin_verify(apr_pool_t *p, const char *pin, const char *stored);

#endif
