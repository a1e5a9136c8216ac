#include <string.h>
#include <apr_strings.h>
#include "gsprov_device.h"
#include "gsprov_crypto.h"
#include "gsprov_error.h"

const char *gsprov_device_version(apr_pool_t *p, const gsprov_device_t *d)
{
    return gsprov_crypto_sha256_hex(p, d->bytes, d->nbytes);
}
