/* gsprov_bulk_read over both formats (the first byte chooses): every item
 * is a record or a problem, lines only grow, a record has its MAC, and
 * every record read from CSV writes back as a CSV row that reads back to
 * the same record. */
#include <string.h>
#include <apr_strings.h>
#include "fuzz.h"
#include "gsprov_bulk.h"
#include "gsprov_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gsprov_bulk_format_e fmt;
    apr_array_header_t *items, *again;
    gsprov_bulk_csv_t *cols;
    apr_pool_t *p;
    long line = 0;
    int i, n = 0;

    if (!size)
        return 0;
    apr_pool_create(&p, fuzz_root());
    fmt = data[0] & 1 ? GSPROV_BULK_CSV : GSPROV_BULK_JSONL;
    items = gsprov_bulk_read(p, fmt, (const char *)data + 1, size - 1);
    cols = gsprov_bulk_csv_make(p);
    for (i = 0; i < items->nelts; i++) {
        const gsprov_bulk_item_t *it = &APR_ARRAY_IDX(items, i,
                                                      gsprov_bulk_item_t);
        FUZZ_CHECK(!it->rec != !it->err);
        FUZZ_CHECK(it->line > line);
        line = it->line;
        if (it->rec) {
            FUZZ_CHECK(strlen(it->mac) == 12);
            gsprov_bulk_csv_add(cols, it->rec);
            n++;
        }
    }
    if (fmt == GSPROV_BULK_CSV && n) {
        const char *all = gsprov_bulk_csv_header(p, cols), *row;
        char *err = NULL;
        int k = 0;
        for (i = 0; i < items->nelts; i++) {
            const gsprov_bulk_item_t *it = &APR_ARRAY_IDX(items, i,
                                                          gsprov_bulk_item_t);
            if (!it->rec)
                continue;
            FUZZ_CHECK(gsprov_bulk_csv_row(p, cols, it->rec, &row, &err)
                       == APR_SUCCESS);
            all = apr_pstrcat(p, all, row, NULL);
        }
        again = gsprov_bulk_read(p, GSPROV_BULK_CSV, all, strlen(all));
        FUZZ_CHECK(again->nelts == n);
        for (i = 0; i < items->nelts; i++) {
            const gsprov_bulk_item_t *it = &APR_ARRAY_IDX(items, i,
                                                          gsprov_bulk_item_t);
            const gsprov_bulk_item_t *b;
            if (!it->rec)
                continue;
            b = &APR_ARRAY_IDX(again, k++, gsprov_bulk_item_t);
            FUZZ_CHECK(b->rec && !strcmp(b->mac, it->mac));
        }
    }
    apr_pool_destroy(p);
    return 0;
}
