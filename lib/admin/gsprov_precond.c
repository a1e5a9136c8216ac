#include <string.h>
#include <apr_strings.h>
#include "gsprov_precond.h"

const char *gsprov_precond_etag(apr_pool_t *p, const char *version)
{
    return apr_pstrcat(p, "\"", version, "\"", NULL);
}

/* Does a comma-separated list of entity tags hold etag (strong match;
 * a weak W/ tag never matches, as If-Match requires)? */
static int list_has(const char *list, const char *etag)
{
    size_t n = strlen(etag);
    const char *s = list;

    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (!strncmp(s, etag, n)) {
            const char *e = s + n;
            while (*e == ' ' || *e == '\t')
                e++;
            if (!*e || *e == ',')
                return 1;
        }
        while (*s && *s != ',')
            s++;
    }
    return 0;
}

int gsprov_precond_ok(const gsprov_precond_t *pc, const char *etag)
{
    if (pc->if_match) {
        if (!etag)
            return 0;
        if (strcmp(pc->if_match, "*") && !list_has(pc->if_match, etag))
            return 0;
    }
    if (pc->if_none_match && etag
        && (!strcmp(pc->if_none_match, "*")
            || list_has(pc->if_none_match, etag)))
        return 0;
    return 1;
}
