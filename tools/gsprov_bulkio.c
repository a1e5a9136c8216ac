/*
 * gsprov import|export --format csv|jsonl: the formats of the admin API's
 * bulk import and export (lib/admin/gsprov_bulk.h), through the same
 * checks (gsprov_import.c): every problem by line number, and all records
 * written in one transaction or none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "gsprov_cli.h"
#include "gsprov_import.h"
#include "gsprov_export.h"
#include "gsprov_progress.h"

/* ---- export ---- */

static apr_status_t write_file(void *baton, const char *s, apr_size_t n)
{
    return fwrite(s, 1, n, baton) == n ? APR_SUCCESS : APR_EGENERAL;
}

static void skipped(void *baton, const char *mac, const char *why)
{
    fprintf(stderr, "gsprov export: %s: %s, left out\n", mac, why);
}

int gsprov_cli_bulk_export(apr_pool_t *p, gsprov_store_t *store,
                           gsprov_bulk_format_e fmt, FILE *out,
                           long *records, long *problems)
{
    gsprov_export_t x;
    char *err = NULL;
    apr_status_t rv;

    memset(&x, 0, sizeof(x));
    x.format = fmt;
    x.secrets = 1;          /* whoever can run this can read the store */
    x.write = write_file;
    x.skip = skipped;
    x.baton = out;
    rv = gsprov_export_run(p, store, &x, &err);
    if (rv && rv != APR_EGENERAL)
        fprintf(stderr, "gsprov export: %s\n", err ? err : "stopped");
    *records = x.records;
    *problems = x.skipped + (rv ? 1 : 0);
    return rv ? 1 : 0;
}

/* ---- import ---- */

static void progress(void *baton, const char *phase, long done, long total)
{
    gsprov_progress_update(baton, !strcmp(phase, "checked")
                           ? "gsprov import: checked" : "gsprov import: "
                           "written", done);
}

/* The whole input: imports are checked as a whole before anything is
 * written. */
static int slurp(apr_pool_t *p, FILE *in, char **buf, apr_size_t *len)
{
    apr_size_t cap = 1 << 16, n = 0, got;
    char *b = malloc(cap);

    while (b && (got = fread(b + n, 1, cap - n, in)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    if (!b || ferror(in)) {
        free(b);
        return 0;
    }
    *buf = apr_pstrmemdup(p, b, n);
    *len = n;
    free(b);
    return 1;
}

int gsprov_cli_bulk_import(apr_pool_t *p, const gsprov_cli_bulk_t *b,
                           FILE *in)
{
    gsprov_progress_t pr;
    gsprov_import_t *im;
    apr_array_header_t *items;
    gsprov_txn_t *txn;
    char *buf, *err = NULL;
    apr_size_t len;
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (!slurp(p, in, &buf, &len)) {
        fprintf(stderr, "gsprov import: the input cannot be read\n");
        return EXIT_FAILURE;
    }
    items = gsprov_bulk_read(p, b->format, buf, len);
    im = gsprov_import_make(p, b->t, b->set, b->who);
    gsprov_progress_init(&pr, stderr, 1);
    im->progress = progress;
    im->baton = &pr;
    gsprov_import_check(im, items);
    gsprov_progress_done(&pr);
    if (!im->problems->nelts) {
        if (b->dry_run)
            rv = gsprov_import_count(im, b->store, &err);
        else {
            if (!(rv = gsprov_store_begin(b->store, p, b->audit, &txn,
                                          &err))) {
                rv = gsprov_import_apply(im, txn, &err);
                gsprov_progress_done(&pr);
                if (rv)
                    gsprov_store_rollback(txn);
                else
                    rv = gsprov_store_commit(txn, &err);
            }
        }
    }
    for (i = 0; i < im->problems->nelts; i++) {
        const gsprov_import_problem_t *pr_ = &APR_ARRAY_IDX(
            im->problems, i, gsprov_import_problem_t);
        fprintf(stderr, "gsprov import: line %ld: %s%s%s%s%s\n", pr_->line,
                pr_->mac ? pr_->mac : "", pr_->mac ? ": " : "",
                pr_->field ? pr_->field : "", pr_->field ? ": " : "",
                pr_->error);
    }
    if (rv == GSPROV_EAUDIT)
        fprintf(stderr, "gsprov import: %s (written, not audited)\n", err);
    else if (rv && rv != GSPROV_ECORRUPT)
        fprintf(stderr, "gsprov import: %s\n", err ? err : "store error");
    if (im->problems->nelts || (rv && rv != GSPROV_EAUDIT))
        fprintf(stderr, "gsprov import: %ld records, %d problem%s: nothing "
                "written\n", im->records, im->problems->nelts,
                im->problems->nelts == 1 ? "" : "s");
    else
        fprintf(stderr, "gsprov import: %ld records, %ld created, %ld "
                "replaced, %ld unchanged%s\n", im->records, im->created,
                im->replaced, im->unchanged,
                b->dry_run ? " (dry run: nothing written)" : "");
    return rv || im->problems->nelts ? EXIT_FAILURE : EXIT_SUCCESS;
}
