#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "gsprov_json.h"
#include "gsprov_error.h"

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *gsprov_json_pool(apr_pool_t *p, json_t *j)
{
    if (j)
        apr_pool_cleanup_register(p, j, json_release, apr_pool_cleanup_null);
    return j;
}

apr_status_t gsprov_json_parse(apr_pool_t *p, const char *buf,
                               apr_size_t len, json_t **out, char **err)
{
    json_error_t e;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);

    if (!j) {
        /* e.text may quote the document (a secret): keep its position only
         * plus jansson's fixed message, cut at the first quote */
        char *msg = apr_pstrdup(p, e.text);
        char *q = strchr(msg, '\'');
        if (q)
            *q = '\0';
        *err = apr_psprintf(p, "malformed JSON at line %d, column %d: %s",
                            e.line, e.column, msg);
        return GSPROV_EPARSE;
    }
    *out = gsprov_json_pool(p, j);
    return APR_SUCCESS;
}

const char *gsprov_json_dump(apr_pool_t *p, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    char *copy;

    if (!s)
        return "null";
    copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}
