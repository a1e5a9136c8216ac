/*
 * PIN self-provisioning (the two-phase provisioning the vendor's guide describes: a generic
 * file first, the device's own once it is identified): a pending
 * activation is a device profile waiting for a MAC, keyed by a number
 * and protected by a PIN (only its hash is stored, gsprov_pin.h); the
 * IVR's claim binds a MAC to it.
 *
 * The rules live here, over the store's transactions, so they are the
 * same for every backend.  Each call works in a transaction the caller
 * has begun (gsprov_store_begin) and ends it: committed with its audit
 * entry (as who) when something changed, rolled back otherwise.
 */
#ifndef GSPROV_ACTIVATION_H
#define GSPROV_ACTIVATION_H

#include <jansson.h>
#include "gsprov_provision.h"
#include "gsprov_actor.h"

/* Digits only, 1..GSPROV_MAX_NUMBER_LEN; PINs GSPROV_MIN/MAX_PIN_LEN. */
int gsprov_activation_number_valid(const char *s);
int gsprov_activation_pin_valid(const char *s);

/* What any backend gives the claim is input: APR_SUCCESS if a is an
 * activation the module could have written (a valid number and MAC, a
 * PIN hash with an accepted iteration count, 0 to
 * GSPROV_MAX_CLAIM_MAX_FAILURES failures, expiry at most
 * GSPROV_MAX_ACTIVATION_TTL after creation), else GSPROV_ECORRUPT with *err
 * naming it and the field (never a value: the hash stays out of logs). */
apr_status_t gsprov_activation_valid(apr_pool_t *p,
                                     const gsprov_activation_t *a,
                                     char **err);

/* 1 if a has expired (by the clock now). */
int gsprov_activation_expired(const gsprov_activation_t *a);

/* Create a pending activation of profile (a record as PUT /devices takes
 * it, without "mac") for ttl seconds.  GSPROV_ECONFLICT if the number has
 * one that has neither expired nor been claimed (any other is replaced).
 * GSPROV_EAUDIT: created, but its audit entry could not be written.
 * *out is what was stored. */
apr_status_t gsprov_activation_create(gsprov_txn_t *txn,
                                      const gsprov_actor_t *who,
                                      const char *number, const char *pin,
                                      const json_t *profile, long ttl,
                                      gsprov_activation_t **out, char **err);

/* Remove one: APR_SUCCESS, GSPROV_ENOTFOUND, or GSPROV_EAUDIT (removed,
 * not audited). */
apr_status_t gsprov_activation_remove(gsprov_txn_t *txn,
                                      const gsprov_actor_t *who,
                                      const char *number, char **err);

typedef struct {
    int failures;           /* wrong PINs so far (after this claim) */
    int counted;            /* this claim's PIN was wrong and counted */
    const char *version;    /* the device record's (APR_SUCCESS) */
    const char *field;      /* GSPROV_EINVAL: the profile field at fault */
    const char *unaudited;  /* the change was made but its audit entry
                             * could not be written: why (else NULL) */
} gsprov_claim_t;

/* Bind mac to the activation of number: verify the PIN (a wrong one is
 * counted and committed before the answer, so a crash gives no free
 * guesses), create mac's record from the profile (validated against
 * t/set first), consume the activation.  The activation is locked first,
 * so of two racing claims exactly one wins.  Returns APR_SUCCESS,
 * GSPROV_ENOTFOUND (no such activation), GSPROV_ECORRUPT (it is not
 * valid), GSPROV_EEXPIRED, GSPROV_ELOCKED (max_failures wrong PINs),
 * GSPROV_EBADPIN (counted), GSPROV_ECONFLICT (mac already has a record,
 * or the activation was claimed for another MAC), GSPROV_EINVAL (the
 * profile no longer renders), GSPROV_EIO. */
apr_status_t gsprov_activation_claim(gsprov_txn_t *txn,
                                     const gsprov_actor_t *who,
                                     const gsprov_templates_t *t,
                                     const gsprov_settings_t *set,
                                     const char *number, const char *pin,
                                     const char *mac, int max_failures,
                                     gsprov_claim_t *res, char **err);

#endif
