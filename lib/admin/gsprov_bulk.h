/*
 * Device records in bulk: the two interchange formats of the admin API's
 * import/export and of `gsprov import|export --format`, read and written
 * as the admin API's record JSON (gsprov_record.h), so a bulk record is
 * checked exactly like one PUT /devices/<mac> body.
 *
 *   jsonl  one record JSON object per line (the shape of GET
 *          /devices/<mac>, "mac" required); blank lines are skipped
 *   csv    RFC 4180 (commas, CRLF or LF, "..." with "" inside), a header
 *          row naming the columns:
 *            mac, model, groups (names separated by spaces), password,
 *            usernames.N / secrets.N (N from 1), config_version,
 *            vars.<name>, P<digits> (a version 1 P-value; also
 *            config.P<digits>), config.<item> and config.<item>/<part>
 *            (version 2 items and compound parts), redacted
 *          An empty cell is "not set"; a quoted empty cell ("") is an
 *          empty value.  The config columns of a row keep the header's
 *          order (a record's own parameters are served in that order).
 */
#ifndef GSPROV_BULK_H
#define GSPROV_BULK_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "gsprov_mac.h"

typedef enum { GSPROV_BULK_JSONL, GSPROV_BULK_CSV } gsprov_bulk_format_e;

/* "jsonl" / "csv": 1 with *out, or 0. */
int gsprov_bulk_format_parse(const char *name, gsprov_bulk_format_e *out);

/* One record of an import, or the problem that stopped it being read. */
typedef struct {
    long line;                  /* where it starts, from 1 */
    char mac[GSPROV_MAC_LEN + 1];   /* normalized; "" if none was read */
    json_t *rec;                /* the record JSON (tied to the pool);
                                 * NULL when err is set */
    const char *field;          /* what err is about (a JSON path or a
                                 * CSV column), or NULL */
    const char *err;            /* NULL: read fine */
} gsprov_bulk_item_t;

/* Every record of an import file in order (array of gsprov_bulk_item_t).
 * A CSV header that cannot be used is one item (line 1, no mac) and the
 * rows are not read. */
apr_array_header_t *gsprov_bulk_read(apr_pool_t *p, gsprov_bulk_format_e fmt,
                                     const char *buf, apr_size_t len);

/* ---- writing ---- */

/* A record JSON as one jsonl line (with its newline). */
const char *gsprov_bulk_jsonl_line(apr_pool_t *p, const json_t *rec);

/* The columns of a CSV export: every record is added (first pass), then
 * the header and the rows are written (second pass). */
typedef struct gsprov_bulk_csv gsprov_bulk_csv_t;

gsprov_bulk_csv_t *gsprov_bulk_csv_make(apr_pool_t *p);
void gsprov_bulk_csv_add(gsprov_bulk_csv_t *c, const json_t *rec);
/* The header row, CRLF-terminated. */
const char *gsprov_bulk_csv_header(apr_pool_t *p, gsprov_bulk_csv_t *c);
/* A record's row; GSPROV_EINVAL with *err if it has a value no column
 * holds (it changed between the passes). */
apr_status_t gsprov_bulk_csv_row(apr_pool_t *p, const gsprov_bulk_csv_t *c,
                                 const json_t *rec, const char **row,
                                 char **err);

#endif
