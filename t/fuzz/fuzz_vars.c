/* gsprov_vars_expand against a straightforward reference implementation.
 * Input: value NUL name NUL value NUL name NUL value ...; the variables
 * are dealt out to the device, tenant and builtin levels in turn. */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "fuzz.h"
#include "gsprov_vars.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

static int name_char(char c)
{
    return apr_isalnum(c) || c == '_' || c == '.' || c == '-';
}

static apr_status_t reference(apr_pool_t *p, const char *s,
                              const gsprov_vars_t *v, const char **out,
                              const char **missing)
{
    apr_size_t cap = strlen(s) + 1, used = 0, i = 0;
    char *b = apr_palloc(p, cap);

#define PUT(src, n) do {                                                   \
        apr_size_t n_ = (n);                                               \
        if (used + n_ + 1 > cap) {                                         \
            char *nb;                                                      \
            cap = 2 * (used + n_ + 1);                                     \
            nb = apr_palloc(p, cap);                                       \
            memcpy(nb, b, used);                                           \
            b = nb;                                                        \
        }                                                                  \
        memcpy(b + used, (src), n_);                                       \
        used += n_;                                                        \
    } while (0)

    while (s[i]) {
        if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') {
            PUT("${", 2);
            i += 3;
        }
        else if (s[i] == '$' && s[i + 1] == '{') {
            apr_size_t n = 0;
            const char *val;
            while (name_char(s[i + 2 + n]))
                n++;
            if (n == 0 || n > GSPROV_MAX_VAR_NAME_LEN || s[i + 2 + n] != '}')
                return GSPROV_EPARSE;
            val = NULL;
            if (v->device)
                val = apr_hash_get(v->device, s + i + 2, (apr_ssize_t)n);
            if (!val && v->tenant)
                val = apr_hash_get(v->tenant, s + i + 2, (apr_ssize_t)n);
            if (!val && v->builtin)
                val = apr_hash_get(v->builtin, s + i + 2, (apr_ssize_t)n);
            if (!val) {
                *missing = apr_pstrmemdup(p, s + i + 2, n);
                return GSPROV_EUNDEFVAR;
            }
            PUT(val, strlen(val));
            i += 3 + n;
        }
        else {
            PUT(s + i, 1);
            i++;
        }
    }
    b[used] = '\0';
    *out = b;
    return APR_SUCCESS;
#undef PUT
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *end = (const char *)data + size, *c, *value;
    apr_hash_t *levels[3];
    gsprov_vars_t v = { NULL, NULL, NULL, NULL };
    const char *out = NULL, *rout = NULL, *missing = NULL, *rmissing = NULL;
    apr_status_t rv, rrv;
    int k = 0, ok;

    apr_pool_create(&p, fuzz_root());
    /* split into NUL-terminated copies */
    c = memchr(data, '\0', size);
    value = apr_pstrmemdup(p, (const char *)data,
                           c ? (apr_size_t)(c - (const char *)data) : size);
    levels[0] = apr_hash_make(p);
    levels[1] = apr_hash_make(p);
    levels[2] = apr_hash_make(p);
    while (c && c < end) {
        const char *n0 = c + 1, *n1, *v1;
        n1 = memchr(n0, '\0', (apr_size_t)(end - n0));
        if (!n1)
            break;
        v1 = memchr(n1 + 1, '\0', (apr_size_t)(end - n1 - 1));
        apr_hash_set(levels[k++ % 3], apr_pstrmemdup(p, n0, (apr_size_t)(n1 - n0)),
                     APR_HASH_KEY_STRING,
                     apr_pstrmemdup(p, n1 + 1, v1 ? (apr_size_t)(v1 - n1 - 1)
                                                  : (apr_size_t)(end - n1 - 1)));
        c = v1;
    }
    v.device = levels[0];
    v.tenant = levels[1];
    v.builtin = size % 2 ? levels[2] : NULL;
    if (!v.builtin)
        levels[2] = NULL;

    ok = gsprov_vars_syntax_ok(value);
    rv = gsprov_vars_expand(p, value, &v, &out, &missing);
    rrv = reference(p, value, &v, &rout, &rmissing);
    FUZZ_CHECK(rv == rrv);
    if (rv == APR_SUCCESS) {
        FUZZ_CHECK(ok);
        FUZZ_CHECK(strcmp(out, rout) == 0);
        /* nothing to expand: the input comes back as is */
        FUZZ_CHECK(strstr(value, "${") || out == value);
    }
    else if (rv == GSPROV_EUNDEFVAR)
        FUZZ_CHECK(strcmp(missing, rmissing) == 0);
    else
        FUZZ_CHECK(rv == GSPROV_EPARSE && !ok);
    apr_pool_destroy(p);
    return 0;
}
