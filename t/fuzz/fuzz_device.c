/* gsprov_xml_parse_device on arbitrary bytes: accepted records hold only
 * valid names; rejected ones say where. */
#include <string.h>
#include "fuzz.h"
#include "gsprov_device.h"
#include "gsprov_name.h"
#include "gsprov_error.h"
#include "gsprov_redirect.h"

#define LABEL "devices/000b82abcdef.xml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    gsprov_device_t *d = NULL;
    char *err = NULL;
    apr_status_t rv;
    int i;

    apr_pool_create(&p, fuzz_root());
    rv = gsprov_xml_parse_device(p, "000b82abcdef", (const char *)data, size,
                             LABEL, &d, &err);
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(rv == GSPROV_EPARSE || rv == GSPROV_EREDIRECT);
        FUZZ_CHECK(d == NULL);
        FUZZ_CHECK(err && strncmp(err, LABEL ":", sizeof(LABEL)) == 0);
        goto done;
    }
    FUZZ_CHECK(strcmp(d->mac, "000b82abcdef") == 0);
    FUZZ_CHECK(!d->model || gsprov_name_model_valid(d->model,
                                                    strlen(d->model)));
    FUZZ_CHECK(!d->password || *d->password);
    for (i = 0; i < d->groups->nelts; i++) {
        const char *g = APR_ARRAY_IDX(d->groups, i, const char *);
        FUZZ_CHECK(gsprov_name_group_valid(g, strlen(g)));
        FUZZ_CHECK(!strchr(g, '/') && !strchr(g, '.'));
    }
    FUZZ_CHECK(d->config && d->config->version >= 0
               && d->config->version <= 2);
    FUZZ_CHECK(d->config->version || d->config->params->nelts == 0);
    FUZZ_CHECK(d->bytes == (const char *)data && d->nbytes == size);
    if (d->redirect) {      /* a redirect record: valid values, nothing else */
        const gsprov_redirect_t *r = d->redirect;
        FUZZ_CHECK(r->config && !gsprov_redirect_path_check(r->config));
        FUZZ_CHECK(!r->firmware || !gsprov_redirect_path_check(r->firmware));
        FUZZ_CHECK(r->protocol >= 0 && r->protocol <= 4);
        FUZZ_CHECK(!r->password || !gsprov_redirect_value_check(r->password));
        FUZZ_CHECK(!r->secret || !gsprov_redirect_value_check(r->secret));
        FUZZ_CHECK(!d->model && !d->groups->nelts
                   && !d->config->params->nelts);
    }
done:
    apr_pool_destroy(p);
    return 0;
}
