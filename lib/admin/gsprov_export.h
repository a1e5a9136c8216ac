/*
 * A bulk export (the admin API's GET /devices:export and `gsprov export
 * --format csv|jsonl`): every record of a store in MAC order, in one of
 * the formats of gsprov_bulk.h, read page by page (the store's listing),
 * so a jsonl export holds one page in memory; a CSV export reads the
 * store twice (the columns, then the rows).
 */
#ifndef GSPROV_EXPORT_H
#define GSPROV_EXPORT_H

#include "gsprov_bulk.h"
#include "gsprov_store.h"

/* Output: non-zero stops the export (it is returned as the status). */
typedef apr_status_t gsprov_export_write_fn(void *baton, const char *s,
                                            apr_size_t n);
/* A record left out: unreadable, or one the format cannot carry (a
 * redirect record). */
typedef void gsprov_export_skip_fn(void *baton, const char *mac,
                                   const char *why);

typedef struct {
    gsprov_bulk_format_e format;
    int secrets;                /* 0: redacted, as GET /devices/<mac> */
    gsprov_export_write_fn *write;
    gsprov_export_skip_fn *skip;
    void *baton;
    long records, skipped;      /* out */
} gsprov_export_t;

/* APR_SUCCESS, the store's error (err), or what write returned. */
apr_status_t gsprov_export_run(apr_pool_t *p, gsprov_store_t *store,
                               gsprov_export_t *x, char **err);

#endif
