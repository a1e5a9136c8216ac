#include <string.h>
#include <apr_strings.h>
#include <apr_escape.h>
#include <apr_lib.h>
#include "gsprov_binary.h"
#include "gsprov_mac.h"
#include "gsprov_layer.h"
#include "gsprov_error.h"

static const char gnkey[] = "gnkey=0b82";

/* Percent-encode everything outside [A-Za-z0-9._-] (space is %20, never
 * '+', which some encoders use for a space).  APR's
 * encoders keep '&' and '=' or write '+', so this one is ours. */
static apr_size_t pct_len(const char *s)
{
    apr_size_t n = 0;
    for (; *s; s++)
        n += (apr_isalnum(*s) || *s == '.' || *s == '_' || *s == '-') ? 1 : 3;
    return n;
}

static char *pct_put(char *d, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (apr_isalnum(c) || c == '.' || c == '_' || c == '-')
            *d++ = (char)c;
        else {
            *d++ = '%';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
        }
    }
    return d;
}

static unsigned word_sum(const unsigned char *b, apr_size_t len)
{
    unsigned long sum = 0;
    apr_size_t i;
    for (i = 0; i + 1 < len; i += 2)
        sum += (unsigned long)(b[i] << 8 | b[i + 1]);
    return (unsigned)(sum & 0xFFFF);
}

apr_status_t gsprov_binary_encode(apr_pool_t *p, const char *mac,
                                  const apr_array_header_t *pvalues,
                                  unsigned char **out, apr_size_t *len)
{
    apr_size_t body = sizeof(gnkey) - 1, total, words;
    unsigned char *buf;
    char *d;
    unsigned sum;
    int i;

    for (i = 0; i < pvalues->nelts; i++) {
        const gsprov_pvalue_t *pv = &APR_ARRAY_IDX(pvalues, i, gsprov_pvalue_t);
        if (!gsprov_layer_pname_valid(pv->name))
            return GSPROV_EPARSE;
        body += strlen(pv->name) + 1 + pct_len(pv->value) + 1;
    }
    total = GSPROV_BINARY_HEADER_LEN + body + (body & 1);
    words = total / 2;
    if (words > 0xFFFFFFFFu)
        return GSPROV_ETOOBIG;
    buf = apr_pcalloc(p, total);
    buf[0] = (unsigned char)(words >> 24);
    buf[1] = (unsigned char)(words >> 16);
    buf[2] = (unsigned char)(words >> 8);
    buf[3] = (unsigned char)words;
    gsprov_mac_to_bytes(mac, buf + 6);
    memcpy(buf + 12, "\r\n\r\n", 4);
    d = (char *)buf + GSPROV_BINARY_HEADER_LEN;
    for (i = 0; i < pvalues->nelts; i++) {
        const gsprov_pvalue_t *pv = &APR_ARRAY_IDX(pvalues, i, gsprov_pvalue_t);
        apr_size_t n = strlen(pv->name);
        memcpy(d, pv->name, n);
        d += n;
        *d++ = '=';
        d = pct_put(d, pv->value);
        *d++ = '&';
    }
    memcpy(d, gnkey, sizeof(gnkey) - 1);   /* gnkey must come last */
    sum = word_sum(buf, total);            /* checksum field is still 0 */
    sum = (0x10000u - sum) & 0xFFFFu;
    buf[4] = (unsigned char)(sum >> 8);
    buf[5] = (unsigned char)sum;
    *out = buf;
    *len = total;
    return APR_SUCCESS;
}

apr_status_t gsprov_binary_decode(apr_pool_t *p, const unsigned char *in,
                                  apr_size_t len, char mac[13],
                                  apr_array_header_t **pvalues, char **err)
{
    static const char hexd[] = "0123456789abcdef";
    apr_uint32_t words;
    apr_size_t blen;
    char *body, *tok, *state = NULL;
    apr_array_header_t *arr;
    int i, saw_gnkey = 0;

    if (len < GSPROV_BINARY_HEADER_LEN || len % 2) {
        *err = apr_psprintf(p, "file is %" APR_SIZE_T_FMT " bytes: too short "
                            "or odd", len);
        return GSPROV_EPARSE;
    }
    words = (apr_uint32_t)in[0] << 24 | (apr_uint32_t)in[1] << 16
            | (apr_uint32_t)in[2] << 8 | in[3];
    if ((apr_size_t)words * 2 != len) {
        *err = apr_psprintf(p, "length field says %lu words, file has %"
                            APR_SIZE_T_FMT, (unsigned long)words, len / 2);
        return GSPROV_EPARSE;
    }
    if (word_sum(in, len) != 0) {
        *err = apr_psprintf(p, "checksum mismatch (word sum 0x%04x, "
                            "expected 0)", word_sum(in, len));
        return GSPROV_EPARSE;
    }
    if (memcmp(in + 12, "\r\n\r\n", 4) != 0) {
        *err = apr_pstrdup(p, "no CR LF CR LF after the MAC");
        return GSPROV_EPARSE;
    }
    for (i = 0; i < 6; i++) {
        mac[2 * i] = hexd[in[6 + i] >> 4];
        mac[2 * i + 1] = hexd[in[6 + i] & 15];
    }
    mac[12] = '\0';

    blen = len - GSPROV_BINARY_HEADER_LEN;
    while (blen && in[GSPROV_BINARY_HEADER_LEN + blen - 1] == '\0')
        blen--;
    if (memchr(in + GSPROV_BINARY_HEADER_LEN, '\0', blen)) {
        *err = apr_pstrdup(p, "NUL byte inside the body");
        return GSPROV_EPARSE;
    }
    body = apr_pstrmemdup(p, (const char *)in + GSPROV_BINARY_HEADER_LEN,
                          blen);
    arr = apr_array_make(p, 64, sizeof(gsprov_pvalue_t));
    for (tok = apr_strtok(body, "&", &state); tok;
         tok = apr_strtok(NULL, "&", &state)) {
        char *eq = strchr(tok, '=');
        gsprov_pvalue_t *pv;
        if (saw_gnkey) {
            *err = apr_pstrdup(p, "gnkey=0b82 is not the last parameter");
            return GSPROV_EPARSE;
        }
        if (strcmp(tok, gnkey) == 0) {
            saw_gnkey = 1;
            continue;
        }
        if (!eq) {
            *err = apr_psprintf(p, "body item without '=' at offset %ld",
                                (long)(tok - body));
            return GSPROV_EPARSE;
        }
        *eq = '\0';
        if (!gsprov_layer_pname_valid(tok)) {
            *err = apr_psprintf(p, "'%.32s' is not a P-value name", tok);
            return GSPROV_EPARSE;
        }
        pv = apr_array_push(arr);
        pv->name = tok;
        pv->value = apr_punescape_url(p, eq + 1, NULL, NULL, 0);
        if (!pv->value) {
            *err = apr_psprintf(p, "%s: bad percent-encoding", tok);
            return GSPROV_EPARSE;
        }
    }
    if (!saw_gnkey) {
        *err = apr_pstrdup(p, "no gnkey=0b82 at the end of the body");
        return GSPROV_EPARSE;
    }
    *pvalues = arr;
    return APR_SUCCESS;
}
