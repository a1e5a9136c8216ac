#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "gsprov_activation.h"
#include "gsprov_pin.h"
#include "gsprov_record.h"
#include "gsprov_devices.h"
#include "gsprov_fsio.h"
#include "gsprov_json.h"
#include "gsprov_store.h"
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

static const char *act_dir(apr_pool_t *p, const char *root)
{
    return apr_pstrcat(p, root, "/activations", NULL);
}

static apr_status_t act_lock(apr_pool_t *p, const char *root,
                             const char *number, gsprov_lock_t **l,
                             char **err)
{
    return gsprov_fsio_lock(p, root, apr_pstrcat(p, "activation-", number, NULL),
                       l, err);
}

apr_status_t gsprov_activation_read(apr_pool_t *p, const char *root,
                                    const char *number, json_t **doc,
                                    char **err)
{
    const char *path = apr_pstrcat(p, act_dir(p, root), "/", number, ".json",
                                   NULL);
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = gsprov_fsio_read_file(p, path, GSPROV_MAX_ACTIVATION_BYTES, &buf, &len,
                          err);
    if (rv == APR_ENOENT)
        return GSPROV_ENOTFOUND;
    if (rv)
        return rv;
    if (gsprov_json_parse(p, buf, len, doc, err) != APR_SUCCESS
        || !json_is_object(*doc)
        || !json_is_string(json_object_get(*doc, "pin"))
        || !json_is_object(json_object_get(*doc, "profile"))) {
        *err = apr_psprintf(p, "%s: not a valid activation file", path);
        return GSPROV_EPARSE;
    }
    return APR_SUCCESS;
}

static apr_status_t act_write(apr_pool_t *p, const char *root,
                              const char *number, const json_t *doc,
                              char **err)
{
    const char *s = gsprov_json_dump(p, doc);
    return gsprov_fsio_write_atomic(p, act_dir(p, root),
                               apr_pstrcat(p, number, ".json", NULL), s,
                               strlen(s), err);
}

static int expired(const json_t *doc)
{
    json_t *e = json_object_get(doc, "expires");
    return !json_is_integer(e)
           || json_integer_value(e) <= (json_int_t)apr_time_sec(
                                           apr_time_now());
}

apr_status_t gsprov_activation_create(apr_pool_t *p, const char *root,
                                      const char *number, const char *pin,
                                      const json_t *profile, long ttl,
                                      json_t **doc, char **err)
{
    json_int_t now = (json_int_t)apr_time_sec(apr_time_now());
    gsprov_lock_t *l;
    const char *hash;
    json_t *old, *d;
    apr_status_t rv;

    if ((rv = gsprov_pin_hash(p, pin, GSPROV_PIN_PBKDF2_ITERATIONS, &hash))) {
        *err = apr_pstrdup(p, "cannot hash the PIN (OpenSSL)");
        return rv;
    }
    if ((rv = act_lock(p, root, number, &l, err)))
        return rv;
    rv = gsprov_activation_read(p, root, number, &old, err);
    if (rv == APR_SUCCESS && !expired(old)
        && !json_is_string(json_object_get(old, "claimed_by"))) {
        gsprov_fsio_unlock(l);
        *err = apr_psprintf(p, "activation %s exists and has not expired",
                            number);
        return GSPROV_ECONFLICT;
    }
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND && rv != GSPROV_EPARSE) {
        gsprov_fsio_unlock(l);
        return rv;
    }
    d = gsprov_json_pool(p, json_object());
    json_object_set_new(d, "number", json_string(number));
    json_object_set_new(d, "pin", json_string(hash));
    json_object_set_new(d, "created", json_integer(now));
    json_object_set_new(d, "expires", json_integer(now + ttl));
    json_object_set_new(d, "failures", json_integer(0));
    json_object_set_new(d, "claimed_by", json_null());
    json_object_set_new(d, "profile", json_deep_copy(profile));
    rv = act_write(p, root, number, d, err);
    gsprov_fsio_unlock(l);
    *doc = d;
    return rv;
}

apr_status_t gsprov_activation_remove(apr_pool_t *p, const char *root,
                                      const char *number, char **err)
{
    gsprov_lock_t *l;
    apr_status_t rv;

    if ((rv = act_lock(p, root, number, &l, err)))
        return rv;
    rv = gsprov_fsio_remove_durable(p, act_dir(p, root),
                               apr_pstrcat(p, number, ".json", NULL), err);
    gsprov_fsio_unlock(l);
    return rv == APR_ENOENT ? GSPROV_ENOTFOUND : rv;
}

apr_status_t gsprov_activation_claim(apr_pool_t *p, const char *root,
                                     const gsprov_templates_t *t,
                                     const gsprov_settings_t *set,
                                     const char *number, const char *pin,
                                     const char *mac, int max_failures,
                                     gsprov_claim_t *res, char **err)
{
    gsprov_lock_t *al = NULL, *dl = NULL;
    json_t *doc, *claimed;
    char *xml, *old;
    apr_size_t len, oldlen;
    int failures;
    apr_status_t rv;

    memset(res, 0, sizeof(*res));
    /* lock order: activation, then device (PUT takes only the device's) */
    if ((rv = act_lock(p, root, number, &al, err)))
        return rv;
    if ((rv = gsprov_activation_read(p, root, number, &doc, err))) {
        if (rv == GSPROV_ENOTFOUND)
            *err = apr_psprintf(p, "no pending activation for number %s",
                                number);
        goto leave;
    }
    failures = (int)json_integer_value(json_object_get(doc, "failures"));
    res->failures = failures;
    claimed = json_object_get(doc, "claimed_by");
    if (json_is_string(claimed) && strcmp(json_string_value(claimed), mac)) {
        *err = apr_psprintf(p, "activation %s was claimed by another device",
                            number);
        rv = GSPROV_ECONFLICT;
        goto leave;
    }
    if (!json_is_string(claimed) && expired(doc)) {
        *err = apr_psprintf(p, "activation %s has expired", number);
        rv = GSPROV_EEXPIRED;
        goto leave;
    }
    if (failures >= max_failures) {
        *err = apr_psprintf(p, "activation %s is locked after %d wrong PINs",
                            number, failures);
        rv = GSPROV_ELOCKED;
        goto leave;
    }
    if (!gsprov_pin_verify(p, pin, json_string_value(json_object_get(doc,
                                                                     "pin")))) {
        /* counted durably before answering, so a crash cannot give an
         * attacker free guesses */
        res->failures = ++failures;
        res->counted = 1;
        json_object_set_new(doc, "failures", json_integer(failures));
        if ((rv = act_write(p, root, number, doc, err)))
            goto leave;
        *err = apr_psprintf(p, "wrong PIN for activation %s (%d of %d)",
                            number, failures, max_failures);
        rv = failures >= max_failures ? GSPROV_ELOCKED : GSPROV_EBADPIN;
        goto leave;
    }

    if ((rv = gsprov_devices_lock(p, root, mac, &dl, err)))
        goto leave;
    rv = gsprov_devices_read(p, root, mac, &old, &oldlen, err);
    if (rv == APR_SUCCESS && json_is_string(claimed)) {
        /* a claim of this MAC that crashed after writing the record:
         * finish it */
        res->xml = old;
        res->len = oldlen;
        res->profile = json_object_get(doc, "profile");
        goto consume;
    }
    if (rv == APR_SUCCESS) {
        *err = apr_psprintf(p, "device %s already has a record", mac);
        rv = GSPROV_ECONFLICT;
        goto leave;
    }
    if (rv != GSPROV_ENOTFOUND)
        goto leave;
    res->profile = json_object_get(doc, "profile");
    if ((rv = gsprov_record_from_json(p, mac, res->profile, &xml, &len,
                                      &res->field, err))
        || (rv = gsprov_record_check(p, t, set, mac, xml, len, NULL, err))) {
        if (rv != GSPROV_EINVAL && rv != GSPROV_EIO)
            rv = GSPROV_EINVAL;
        goto leave;
    }
    /* claimed first: if we crash before the record is written, the PIN
     * can only ever finish this MAC's claim */
    json_object_set_new(doc, "claimed_by", json_string(mac));
    if ((rv = act_write(p, root, number, doc, err))
        || (rv = gsprov_devices_write(p, root, mac, xml, len, err)))
        goto leave;
    res->xml = xml;
    res->len = len;
consume:
    rv = gsprov_fsio_remove_durable(p, act_dir(p, root),
                               apr_pstrcat(p, number, ".json", NULL), err);
    if (rv == APR_ENOENT)
        rv = APR_SUCCESS;
leave:
    gsprov_fsio_unlock(dl);
    gsprov_fsio_unlock(al);
    return rv;
}
