/*
 * PIN self-provisioning (spec 2, two-phase provisioning): a pending
 * activation is a device profile waiting for a MAC, keyed by a number
 * and protected by a PIN; the IVR's claim binds a MAC to it.
 *
 * Stored as <root>/activations/<number>.json (atomic writes, one lock per
 * number):  {"number", "pin" (PBKDF2-HMAC-SHA256, never the PIN),
 * "created", "expires" (seconds since the epoch), "failures",
 * "claimed_by" (a MAC once a claim has started), "profile" (a record
 * JSON as PUT /devices takes it, without "mac")}.
 */
#ifndef GSPROV_ACTIVATION_H
#define GSPROV_ACTIVATION_H

#include <jansson.h>
#include "gsprov_provision.h"

/* Digits only, 1..GSPROV_MAX_NUMBER_LEN; PINs GSPROV_MIN/MAX_PIN_LEN. */
int gsprov_activation_number_valid(const char *s);
int gsprov_activation_pin_valid(const char *s);

/* Create a pending activation.  GSPROV_ECONFLICT if the number has one
 * that has not expired (an expired one is replaced).  *doc is what was
 * stored (tied to p). */
apr_status_t gsprov_activation_create(apr_pool_t *p, const char *root,
                                      const char *number, const char *pin,
                                      const json_t *profile, long ttl,
                                      json_t **doc, char **err);

/* Read one (GSPROV_ENOTFOUND if none); tied to p. */
apr_status_t gsprov_activation_read(apr_pool_t *p, const char *root,
                                    const char *number, json_t **doc,
                                    char **err);

/* Remove one under its lock: APR_SUCCESS or GSPROV_ENOTFOUND. */
apr_status_t gsprov_activation_remove(apr_pool_t *p, const char *root,
                                      const char *number, char **err);

typedef struct {
    int failures;           /* wrong PINs so far (after this claim) */
    int counted;            /* this claim's PIN was wrong and counted */
    const char *xml;        /* the device record written */
    apr_size_t len;
    json_t *profile;        /* the profile it was made from */
    const char *field;      /* GSPROV_EINVAL: the profile field at fault */
} gsprov_claim_t;

/* Bind mac to the activation of number: verify the PIN, create
 * devices/<mac>.xml from the profile (validated against t/set first),
 * consume the activation.  Serialized per number, so of two racing
 * claims exactly one wins.  Returns APR_SUCCESS, GSPROV_ENOTFOUND (no
 * such activation), GSPROV_EEXPIRED, GSPROV_ELOCKED (max_failures wrong
 * PINs), GSPROV_EBADPIN (counted), GSPROV_ECONFLICT (mac already has a
 * record, or the activation was claimed for another MAC), GSPROV_EINVAL
 * (the profile no longer renders), GSPROV_EIO. */
apr_status_t gsprov_activation_claim(apr_pool_t *p, const char *root,
                                     const gsprov_templates_t *t,
                                     const gsprov_settings_t *set,
                                     const char *number, const char *pin,
                                     const char *mac, int max_failures,
                                     gsprov_claim_t *res, char **err);

#endif
