/* Bulk exports (gsprov_export.h). */
#include <string.h>
#include <apr_strings.h>
#include "gsprov_export.h"
#include "gsprov_record.h"
#include "gsprov_error.h"
#include "gsprov_defaults.h"

typedef apr_status_t record_fn(gsprov_export_t *x, apr_pool_t *p,
                               const json_t *rec, void *ctx, char **err);

/* Every record as JSON, in MAC order, a page at a time. */
static apr_status_t walk(apr_pool_t *p, gsprov_store_t *store,
                         gsprov_export_t *x, int report, record_fn *fn,
                         void *ctx, char **err)
{
    gsprov_list_query_t q;
    char after[GSPROV_MAC_LEN + 1] = "";
    apr_pool_t *page;
    apr_status_t rv = APR_SUCCESS;
    int more = 1;

    apr_pool_create(&page, p);
    while (more && rv == APR_SUCCESS) {
        apr_array_header_t *items;
        int i;

        apr_pool_clear(page);
        memset(&q, 0, sizeof(q));
        q.after = *after ? after : NULL;
        q.limit = GSPROV_ADMIN_LIST_MAX;
        if ((rv = gsprov_store_record_list(store, page, &q, &items, &more,
                                           err))) {
            *err = apr_pstrdup(p, *err);
            break;
        }
        for (i = 0; i < items->nelts && rv == APR_SUCCESS; i++) {
            const gsprov_listed_t *it = &APR_ARRAY_IDX(items, i,
                                                       gsprov_listed_t);
            const char *why = NULL;
            apr_cpystrn(after, it->mac, sizeof(after));
            if (!it->dev)
                why = it->err ? it->err : "unreadable";
            else if (it->dev->redirect)
                why = "a redirect record (only the raw format of gsprov "
                      "export carries it)";
            if (why) {
                if (report) {
                    x->skipped++;
                    if (x->skip)
                        x->skip(x->baton, it->mac, why);
                }
                continue;
            }
            rv = fn(x, page, gsprov_record_to_json(page, it->dev,
                                                   x->secrets), ctx, err);
        }
        if (!items->nelts)
            break;
    }
    if (rv && *err)
        *err = apr_pstrdup(p, *err);
    apr_pool_destroy(page);
    return rv;
}

static apr_status_t jsonl_one(gsprov_export_t *x, apr_pool_t *p,
                              const json_t *rec, void *ctx, char **err)
{
    const char *s = gsprov_bulk_jsonl_line(p, rec);
    x->records++;
    return x->write(x->baton, s, strlen(s));
}

static apr_status_t csv_column(gsprov_export_t *x, apr_pool_t *p,
                               const json_t *rec, void *ctx, char **err)
{
    gsprov_bulk_csv_add(ctx, rec);
    return APR_SUCCESS;
}

static apr_status_t csv_one(gsprov_export_t *x, apr_pool_t *p,
                            const json_t *rec, void *ctx, char **err)
{
    const char *row;
    apr_status_t rv;

    if ((rv = gsprov_bulk_csv_row(p, ctx, rec, &row, err)))
        return rv;
    x->records++;
    return x->write(x->baton, row, strlen(row));
}

apr_status_t gsprov_export_run(apr_pool_t *p, gsprov_store_t *store,
                               gsprov_export_t *x, char **err)
{
    gsprov_bulk_csv_t *cols;
    const char *h;
    apr_status_t rv;

    *err = NULL;
    x->records = x->skipped = 0;
    if (x->format == GSPROV_BULK_JSONL)
        return walk(p, store, x, 1, jsonl_one, NULL, err);
    cols = gsprov_bulk_csv_make(p);
    if ((rv = walk(p, store, x, 0, csv_column, cols, err)))
        return rv;
    h = gsprov_bulk_csv_header(p, cols);
    if ((rv = x->write(x->baton, h, strlen(h))))
        return rv;
    return walk(p, store, x, 1, csv_one, cols, err);
}
