#include <string.h>
#include <apr_strings.h>
#include <apr_escape.h>
#include <apr_lib.h>
#include "gsprov_binary.h"
#include "gsprov_mac.h"
#include "gsprov_layer.h"
#include "gsprov_error.h"

static const char gnkey[] = "gnkey=0b82";

/* Percent-encode everything outside [A-Za-z0-9._-]: a space is %20 and
 * '+' is %2B, so the file reads the same whether '+' means a space or not
 * (it does to devices: Grandstream's own generator writes spaces so).
 * APR's encoders keep '&' and '=' or write '+', so this one is ours. */
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

/* The body is P-value text, or (GS_CFG_GEN's encrypted variant) binary:
 * a byte below 0x20 before the NUL padding. */
static int binary_body(const unsigned char *b, apr_size_t n)
{
    apr_size_t i;
    while (n && b[n - 1] == '\0')
        n--;
    for (i = 0; i < n; i++)
        if (b[i] < 0x20)
            return 1;
    return 0;
}

apr_status_t gsprov_binary_read(apr_pool_t *p, const unsigned char *in,
                                apr_size_t len, gsprov_binary_file_t *out,
                                char **err)
{
    static const char hexd[] = "0123456789abcdef";
    apr_uint32_t words;
    apr_size_t blen;
    char *body, *tok, *state = NULL;
    apr_array_header_t *arr;
    int i, saw_gnkey = 0;

    memset(out, 0, sizeof(*out));
    if (len < GSPROV_BINARY_HEADER_LEN || len % 2) {
        *err = apr_psprintf(p, "file is %" APR_SIZE_T_FMT " bytes: too short "
                            "or odd", len);
        return GSPROV_EPARSE;
    }
    /* 32 bits as this module and most encoders write it, or 16 bits in
     * bytes 2-3 (bytes 0-1 zero) as Grandstream's tool and older encoders
     * do: the same below 128 KiB, the 16 bits wrapped above */
    words = (apr_uint32_t)in[0] << 24 | (apr_uint32_t)in[1] << 16
            | (apr_uint32_t)in[2] << 8 | in[3];
    if ((apr_size_t)words * 2 != len) {
        if (in[0] || in[1] || words != ((len / 2) & 0xFFFF)) {
            *err = apr_psprintf(p, "length field says %lu words, file has %"
                                APR_SIZE_T_FMT, (unsigned long)words,
                                len / 2);
            return GSPROV_EPARSE;
        }
        out->length16 = 1;
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
    /* FF 01 can be no device's MAC (its first byte is odd: multicast) */
    if (in[6] == 0xFF && in[7] == 0x01) {
        out->layout = GSPROV_BINARY_LAYOUT_TOOL;
        out->random = (unsigned)(in[8] << 8 | in[9]);
        out->body_sum = (unsigned)(in[10] << 8 | in[11]);
    }
    else
        for (i = 0; i < 6; i++) {
            out->mac[2 * i] = hexd[in[6 + i] >> 4];
            out->mac[2 * i + 1] = hexd[in[6 + i] & 15];
        }

    blen = len - GSPROV_BINARY_HEADER_LEN;
    if (out->layout == GSPROV_BINARY_LAYOUT_TOOL
        && binary_body(in + GSPROV_BINARY_HEADER_LEN, blen)) {
        out->encrypted = 1;
        *err = apr_pstrdup(p, "the body is not P-value text but, after "
                           "Grandstream's tool header, ciphertext (a 64-byte "
                           "header, then AES): Grandstream has not published "
                           "how to decrypt it");
        return APR_ENOTIMPL;
    }
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
        /* '+' is a space: Grandstream's own tool and urlencode-based
         * encoders write it so (this module writes %20, and %2B for '+') */
        pv->value = apr_punescape_url(p, eq + 1, NULL, NULL, 1);
        if (!pv->value) {
            *err = apr_psprintf(p, "%s: bad percent-encoding", tok);
            return GSPROV_EPARSE;
        }
    }
    if (!saw_gnkey) {
        *err = apr_pstrdup(p, "no gnkey=0b82 at the end of the body");
        return GSPROV_EPARSE;
    }
    out->pvalues = arr;
    return APR_SUCCESS;
}

apr_status_t gsprov_binary_decode(apr_pool_t *p, const unsigned char *in,
                                  apr_size_t len, char mac[13],
                                  apr_array_header_t **pvalues, char **err)
{
    gsprov_binary_file_t f;
    apr_status_t rv = gsprov_binary_read(p, in, len, &f, err);

    if (rv != APR_SUCCESS)
        return rv == APR_ENOTIMPL ? GSPROV_EPARSE : rv;
    memcpy(mac, f.mac, sizeof(f.mac));
    *pvalues = f.pvalues;
    return APR_SUCCESS;
}
