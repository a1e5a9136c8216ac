/*
 * A bulk import (the admin API's POST /devices:import and `gsprov import
 * --format csv|jsonl`): every record of an import file checked like one
 * PUT /devices/<mac> body (field rules, then rendered against the
 * tenant's templates like `gsprov lint`), and then all of them written in
 * one transaction, or none:
 *
 *   gsprov_import_make(p, t, set, who)
 *   gsprov_import_check(im, items)          every problem, by line
 *   if no problem:
 *     gsprov_import_count(im, store)        dry run: what would change
 *     or begin, gsprov_import_apply(im, txn), commit
 *
 * apply locks every record in MAC order (two imports never deadlock; a
 * PUT locks one record), defers the writes (gsprov_store_defer: the
 * directory store moves them into place at commit), writes only records
 * whose bytes differ and audits each one (action device-put).
 */
#ifndef GSPROV_IMPORT_H
#define GSPROV_IMPORT_H

#include "gsprov_bulk.h"
#include "gsprov_actor.h"
#include "gsprov_provision.h"

typedef struct {
    long line;
    const char *mac;            /* NULL if none was read */
    const char *field;          /* NULL if the problem is the whole line */
    const char *error;
} gsprov_import_problem_t;

/* Progress: done of total records of a phase ("checked", "written"). */
typedef void gsprov_import_progress_fn(void *baton, const char *phase,
                                       long done, long total);

typedef struct {
    long records, created, replaced, unchanged;
    apr_array_header_t *problems;   /* gsprov_import_problem_t, by line */
    gsprov_import_progress_fn *progress;    /* optional */
    void *baton;
    /* private */
    apr_pool_t *p;
    const gsprov_templates_t *t;
    const gsprov_settings_t *set;
    const gsprov_actor_t *who;
    apr_array_header_t *ok;     /* the checked records, in MAC order */
} gsprov_import_t;

gsprov_import_t *gsprov_import_make(apr_pool_t *p,
                                    const gsprov_templates_t *t,
                                    const gsprov_settings_t *set,
                                    const gsprov_actor_t *who);

/* Check every item (gsprov_bulk_read): a record the field rules or the
 * templates reject, a MAC given twice, a line that could not be read are
 * problems.  Returns the number of problems. */
int gsprov_import_check(gsprov_import_t *im, const apr_array_header_t *items);

/* A dry run: count what apply would create, replace and leave unchanged
 * (plain reads, no locks). */
apr_status_t gsprov_import_count(gsprov_import_t *im, gsprov_store_t *store,
                                 char **err);

/* Write the checked records into txn (which the caller commits or rolls
 * back).  A record the store holds but cannot read is a problem
 * (GSPROV_ECORRUPT: roll back); any other error is the store's. */
apr_status_t gsprov_import_apply(gsprov_import_t *im, gsprov_txn_t *txn,
                                 char **err);

#endif
