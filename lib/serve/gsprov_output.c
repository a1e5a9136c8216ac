/* The served form of a file (see gsprov_output.h). */
#include <string.h>
#include <apr_strings.h>
#include "gsprov_output.h"
#include "gsprov_crypto.h"

apr_status_t gsprov_output_xml(apr_pool_t *p, char *body, apr_size_t len,
                               const char *password,
                               const gsprov_settings_t *set,
                               const char *label, gsprov_output_t *out,
                               char **err)
{
    unsigned char *enc;
    apr_size_t elen;
    apr_status_t rv;

    if (!password || set->plain) {
        out->body = body;
        out->len = len;
        out->content_type = GSPROV_CT_XML;
        return APR_SUCCESS;
    }
    if ((rv = gsprov_crypto_encrypt(p, password, set->key_digest, body, len, &enc,
                             &elen))) {
        *err = apr_psprintf(p, "%s: encryption failed", label);
        return rv;
    }
    /* the plaintext never outlives the request pool, but wipe it */
    memset(body, 0, len);
    out->body = (const char *)enc;
    out->len = elen;
    out->encrypted = 1;
    out->content_type = GSPROV_CT_ENCRYPTED;
    return APR_SUCCESS;
}
