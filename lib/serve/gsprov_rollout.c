/* Staged firmware rollouts (see gsprov_rollout.h). */
#include <stdlib.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "gsprov_rollout.h"
#include "gsprov_error.h"

double gsprov_rollout_bucket(const char *mac, const char *version)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char buf[256];
    unsigned long v;
    int len = apr_snprintf(buf, sizeof(buf), "%s:%s", mac, version);

    if (EVP_Digest(buf, (size_t)len, md, &n, EVP_sha256(), NULL) != 1)
        return 100.0;   /* never in a rollout */
    v = (unsigned long)md[0] << 24 | (unsigned long)md[1] << 16
        | (unsigned long)md[2] << 8 | md[3];
    return (double)(v % 10000) / 100.0;
}

apr_status_t gsprov_rollout_apply(apr_pool_t *p, const gsprov_device_t *dev,
                                  gsprov_vars_t *vars, int *applied,
                                  char **err)
{
    const char *next, *pct;
    apr_hash_t *over;
    apr_status_t rv;
    double want;
    char *end;

    if (!dev)
        return APR_SUCCESS;     /* unknown devices never take part */
    if ((rv = gsprov_vars_value(p, vars, "firmware.next", &next, err))
        || (rv = gsprov_vars_value(p, vars, "firmware.next.percent", &pct,
                                   err)))
        return rv;
    if (!next || !pct)
        return APR_SUCCESS;
    want = strtod(pct, &end);
    if (*end || end == pct || !(want >= 0 && want <= 100)) {   /* NaN too */
        *err = apr_psprintf(p, "%s: firmware.next.percent '%s' is not a "
                            "number from 0 to 100", dev->label, pct);
        return GSPROV_EPARSE;
    }
    if (gsprov_rollout_bucket(dev->mac, next) >= want)
        return APR_SUCCESS;
    /* the offered version beats every level, the device's own included */
    over = apr_hash_make(p);
    apr_hash_set(over, "firmware", APR_HASH_KEY_STRING, next);
    vars->device = vars->device ? apr_hash_overlay(p, over, vars->device)
                                : over;
    *applied = 1;
    return APR_SUCCESS;
}
