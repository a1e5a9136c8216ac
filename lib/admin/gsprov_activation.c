#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "gsprov_activation.h"
#include "gsprov_record.h"
#include "gsprov_pin.h"
#include "gsprov_mac.h"
#include "gsprov_json.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

static int digits(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!apr_isdigit(s[n]) || n >= max)
            return 0;
    return n >= min;
}

int gsprov_activation_number_valid(const char *s)
{
    return digits(s, 1, GSPROV_MAX_NUMBER_LEN);
}

int gsprov_activation_pin_valid(const char *s)
{
    return digits(s, GSPROV_MIN_PIN_LEN, GSPROV_MAX_PIN_LEN);
}

apr_status_t gsprov_activation_valid(apr_pool_t *p,
                                     const gsprov_activation_t *a,
                                     char **err)
{
    char mac[GSPROV_MAC_LEN + 1];
    const char *bad = NULL;

    if (!a->number || !gsprov_activation_number_valid(a->number))
        bad = "number";
    else if (!a->pin_hash || !gsprov_pin_hash_valid(p, a->pin_hash))
        bad = "pin (not a PIN hash with an accepted iteration count)";
    else if (a->failures < 0 || a->failures > GSPROV_MAX_CLAIM_MAX_FAILURES)
        bad = apr_psprintf(p, "failures (%d, not 0 to %d)", a->failures,
                           GSPROV_MAX_CLAIM_MAX_FAILURES);
    /* (created bounded first, so the sum cannot overflow) */
    else if (a->created < 0 || a->created > (APR_INT64_C(1) << 40)
             || a->expires > a->created + GSPROV_MAX_ACTIVATION_TTL)
        bad = "expires (later than GsProvActivationTTL allows)";
    else if (a->claimed_by
             && !(strlen(a->claimed_by) == GSPROV_MAC_LEN
                  && gsprov_mac_parse(a->claimed_by, GSPROV_MAC_LEN, mac)
                  && !strcmp(mac, a->claimed_by)))
        bad = "claimed_by";
    else if (!a->profile)
        bad = "profile";
    if (!bad)
        return APR_SUCCESS;
    *err = apr_psprintf(p, "%s: not a valid activation: %s",
                        a->label ? a->label : a->number ? a->number : "?",
                        bad);
    return GSPROV_ECORRUPT;
}

int gsprov_activation_expired(const gsprov_activation_t *a)
{
    return a->expires <= (apr_int64_t)apr_time_sec(apr_time_now());
}

apr_status_t gsprov_activation_create(gsprov_txn_t *txn,
                                      const gsprov_actor_t *who,
                                      const char *number, const char *pin,
                                      const json_t *profile, long ttl,
                                      gsprov_activation_t **out, char **err)
{
    apr_pool_t *p = txn->pool;
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    gsprov_activation_t *old, *a;
    const char *hash;
    json_t *changes;
    apr_status_t rv;

    if ((rv = gsprov_pin_hash(p, pin, GSPROV_PIN_PBKDF2_ITERATIONS, &hash))) {
        *err = apr_pstrdup(p, "cannot hash the PIN (OpenSSL)");
        goto leave;
    }
    rv = gsprov_store_activation_lock(txn, number, &old, err);
    if (rv == APR_SUCCESS && !gsprov_activation_expired(old)
        && !old->claimed_by) {
        *err = apr_psprintf(p, "activation %s exists and has not expired",
                            number);
        rv = GSPROV_ECONFLICT;
        goto leave;
    }
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND && rv != GSPROV_ECORRUPT)
        goto leave;
    a = apr_pcalloc(p, sizeof(*a));
    a->number = number;
    a->pin_hash = hash;
    a->created = now;
    a->expires = now + ttl;
    a->profile = gsprov_json_dump(p, profile);
    changes = gsprov_record_changes(p, NULL, profile);
    json_object_set_new(changes, "pin", json_string("***"));
    if ((rv = gsprov_store_activation_put(txn, a, err))
        || (rv = gsprov_actor_audit(txn, who, "activation-create", NULL,
                                    number, "created", changes, err)))
        goto leave;
    *out = a;
    return gsprov_store_commit(txn, err);
leave:
    gsprov_store_rollback(txn);
    return rv;
}

apr_status_t gsprov_activation_remove(gsprov_txn_t *txn,
                                      const gsprov_actor_t *who,
                                      const char *number, char **err)
{
    gsprov_activation_t *a;
    apr_status_t rv;

    /* a corrupt one can be removed (and then made again) */
    rv = gsprov_store_activation_lock(txn, number, &a, err);
    if ((rv != APR_SUCCESS && rv != GSPROV_ECORRUPT)
        || (rv = gsprov_store_activation_delete(txn, number, err))
        || (rv = gsprov_actor_audit(txn, who, "activation-delete", NULL,
                                    number, "deleted", NULL, err))) {
        gsprov_store_rollback(txn);
        return rv;
    }
    return gsprov_store_commit(txn, err);
}

/* A change that took effect but could not be audited is still made:
 * res->unaudited says why. */
static apr_status_t claim_commit(gsprov_txn_t *txn, gsprov_claim_t *res,
                                 char **err)
{
    char *why = NULL;
    apr_status_t rv = gsprov_store_commit(txn, &why);

    if (rv == GSPROV_EAUDIT) {
        res->unaudited = why;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS)
        *err = why;
    return rv;
}

/* A wrong PIN: counted and committed before the answer. */
static apr_status_t count_failure(gsprov_txn_t *txn,
                                  const gsprov_actor_t *who,
                                  gsprov_activation_t *a, const char *mac,
                                  int max_failures, gsprov_claim_t *res,
                                  char **err)
{
    apr_status_t rv;
    int locked;

    res->failures = ++a->failures;
    res->counted = 1;
    locked = a->failures >= max_failures;
    if ((rv = gsprov_store_activation_put(txn, a, err))
        || (rv = gsprov_actor_audit(txn, who, "claim", mac, a->number,
                                    locked ? "wrong-pin-locked"
                                           : "wrong-pin", NULL, err))
        || (rv = claim_commit(txn, res, err)))
        return rv;
    *err = apr_psprintf(txn->pool, "wrong PIN for activation %s (%d of %d)",
                        a->number, a->failures, max_failures);
    return locked ? GSPROV_ELOCKED : GSPROV_EBADPIN;
}

apr_status_t gsprov_activation_claim(gsprov_txn_t *txn,
                                     const gsprov_actor_t *who,
                                     const gsprov_templates_t *t,
                                     const gsprov_settings_t *set,
                                     const char *number, const char *pin,
                                     const char *mac, int max_failures,
                                     gsprov_claim_t *res, char **err)
{
    apr_pool_t *p = txn->pool;
    gsprov_activation_t *a;
    gsprov_blob_t cur;
    json_t *profile;
    char *xml;
    apr_size_t len;
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    /* lock order: activation, then device (PUT takes only the device's) */
    if ((rv = gsprov_store_activation_lock(txn, number, &a, err))) {
        if (rv == GSPROV_ENOTFOUND)
            *err = apr_psprintf(p, "no pending activation for number %s",
                                number);
        goto leave;
    }
    /* whatever backend holds it, it decides how much work a claim is */
    if ((rv = gsprov_activation_valid(p, a, err)))
        goto leave;
    res->failures = a->failures;
    if (a->claimed_by && strcmp(a->claimed_by, mac)) {
        *err = apr_psprintf(p, "activation %s was claimed by another device",
                            number);
        rv = GSPROV_ECONFLICT;
        goto leave;
    }
    if (!a->claimed_by && gsprov_activation_expired(a)) {
        *err = apr_psprintf(p, "activation %s has expired", number);
        rv = GSPROV_EEXPIRED;
        goto leave;
    }
    if (a->failures >= max_failures) {
        *err = apr_psprintf(p, "activation %s is locked after %d wrong PINs",
                            number, a->failures);
        rv = GSPROV_ELOCKED;
        goto leave;
    }
    if (!gsprov_pin_verify(p, pin, a->pin_hash)) {
        if ((rv = count_failure(txn, who, a, mac, max_failures, res, err))
            == GSPROV_EBADPIN || rv == GSPROV_ELOCKED)
            return rv;
        goto leave;
    }
    if ((rv = gsprov_json_parse(p, a->profile, strlen(a->profile), &profile,
                                err))) {
        rv = GSPROV_ECORRUPT;
        goto leave;
    }

    rv = gsprov_store_record_lock(txn, mac, &cur, err);
    if (rv == APR_SUCCESS && a->claimed_by) {
        /* a claim of this MAC that crashed after writing the record:
         * finish it */
        res->version = cur.version;
        goto consume;
    }
    if (rv == APR_SUCCESS) {
        *err = apr_psprintf(p, "device %s already has a record", mac);
        rv = GSPROV_ECONFLICT;
        goto leave;
    }
    if (rv != GSPROV_ENOTFOUND) {
        rv = GSPROV_EIO;    /* a record we cannot read, or no lock */
        goto leave;
    }
    if ((rv = gsprov_record_from_json(p, mac, profile, &xml, &len,
                                      &res->field, err))
        || (rv = gsprov_record_check(p, t, set, mac, xml, len, NULL, err))) {
        if (rv != GSPROV_EINVAL && rv != GSPROV_EIO)
            rv = GSPROV_EINVAL;
        goto leave;
    }
    /* claimed first: if we crash before the record is written, the PIN
     * can only ever finish this MAC's claim */
    a->claimed_by = mac;
    if ((rv = gsprov_store_activation_put(txn, a, err))
        || (rv = gsprov_store_record_put(txn, mac, xml, len, err)))
        goto leave;
    res->version = gsprov_store_version(p, xml, len);
consume:
    rv = gsprov_store_activation_delete(txn, number, err);
    if ((rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
        || (rv = gsprov_actor_audit(txn, who, "claim", mac, number,
                                    "created", gsprov_record_changes(
                                        p, NULL, profile), err)))
        goto leave;
    return claim_commit(txn, res, err);
leave:
    gsprov_store_rollback(txn);
    return rv;
}
