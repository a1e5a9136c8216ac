#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "gsprov_vars.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

static int name_char(char c)
{
    return apr_isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* Length of the name in "${name}" starting at s (just past "${"), or -1
 * if there is no valid closing brace. */
static apr_ssize_t ref_len(const char *s)
{
    apr_ssize_t n = 0;
    while (name_char(s[n]))
        n++;
    if (n == 0 || n > GSPROV_MAX_VAR_NAME_LEN || s[n] != '}')
        return -1;
    return n;
}

int gsprov_vars_syntax_ok(const char *s)
{
    for (; (s = strchr(s, '$')) != NULL; ) {
        if (s[1] == '$' && s[2] == '{')
            s += 3;
        else if (s[1] == '{') {
            apr_ssize_t n = ref_len(s + 2);
            if (n < 0)
                return 0;
            s += 2 + n + 1;
        }
        else
            s++;
    }
    return 1;
}

const char *gsprov_vars_get(const gsprov_vars_t *v, const char *name,
                            apr_size_t len)
{
    const char *val = NULL;
    if (v->device)
        val = apr_hash_get(v->device, name, (apr_ssize_t)len);
    if (!val && v->layer)
        val = apr_hash_get(v->layer, name, (apr_ssize_t)len);
    if (!val && v->tenant)
        val = apr_hash_get(v->tenant, name, (apr_ssize_t)len);
    if (!val && v->builtin)
        val = apr_hash_get(v->builtin, name, (apr_ssize_t)len);
    return val;
}

apr_status_t gsprov_vars_expand(apr_pool_t *p, const char *s,
                                const gsprov_vars_t *v, const char **out,
                                const char **missing)
{
    struct iovec parts[64];
    int nparts = 0;
    const char *start = s, *d;
    char *joined = NULL;

    /* Collect literal runs and values; flush into joined when full. */
    while ((d = strchr(s, '$')) != NULL) {
        const char *val;
        apr_size_t vlen, skip;
        if (d[1] == '$' && d[2] == '{') {
            val = "${"; vlen = 2; skip = 3;
        }
        else if (d[1] == '{') {
            apr_ssize_t n = ref_len(d + 2);
            if (n < 0)
                return GSPROV_EPARSE;
            val = gsprov_vars_get(v, d + 2, (apr_size_t)n);
            if (!val) {
                *missing = apr_pstrmemdup(p, d + 2, (apr_size_t)n);
                return GSPROV_EUNDEFVAR;
            }
            vlen = strlen(val); skip = 2 + (apr_size_t)n + 1;
        }
        else {
            s = d + 1;
            continue;
        }
        /* room for this literal and value plus one more piece (the
         * flush's literal or the final tail) */
        if (nparts + 3 > (int)(sizeof(parts) / sizeof(parts[0]))) {
            parts[nparts].iov_base = (void *)start;
            parts[nparts].iov_len = (size_t)(d - start);
            nparts++;
            joined = apr_pstrcatv(p, parts, (apr_size_t)nparts, NULL);
            nparts = 0;
            parts[nparts].iov_base = joined;
            parts[nparts].iov_len = strlen(joined);
            nparts++;
            start = d;   /* the reference itself is handled below */
        }
        parts[nparts].iov_base = (void *)start;
        parts[nparts].iov_len = (size_t)(d - start);
        nparts++;
        parts[nparts].iov_base = (void *)val;
        parts[nparts].iov_len = vlen;
        nparts++;
        s = start = d + skip;
    }
    if (nparts == 0) {
        *out = start;   /* nothing to expand: no copy */
        return APR_SUCCESS;
    }
    parts[nparts].iov_base = (void *)start;
    parts[nparts].iov_len = strlen(start);
    nparts++;
    *out = apr_pstrcatv(p, parts, (apr_size_t)nparts, NULL);
    return APR_SUCCESS;
}

apr_status_t gsprov_vars_value(apr_pool_t *p, const gsprov_vars_t *v,
                               const char *name, const char **out,
                               char **err)
{
    const char *raw = gsprov_vars_get(v, name, strlen(name));
    const char *missing = NULL;
    apr_status_t rv;

    *out = NULL;
    if (!raw)
        return APR_SUCCESS;
    rv = gsprov_vars_expand(p, raw, v, out, &missing);
    if (rv == GSPROV_EUNDEFVAR)
        *err = apr_psprintf(p, "variable %s: undefined variable ${%s}", name,
                            missing);
    else if (rv != APR_SUCCESS)
        *err = apr_psprintf(p, "variable %s: malformed ${...}", name);
    return rv;
}
