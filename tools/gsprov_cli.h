/*
 * What the gsprov tool's files share (tools/gsprov.c, tools/gsprov_db.c):
 * where the records come from (a directory store, or a database through
 * apr_dbd: --driver/--params/--tenant, templates still from --root), and
 * the database subcommands.
 */
#ifndef GSPROV_CLI_H
#define GSPROV_CLI_H

#include <stdio.h>
#include <getopt.h>
#include "gsprov_store_dbd.h"
#include "gsprov_bulk.h"
#include "gsprov_actor.h"
#include "gsprov_provision.h"

/* --driver, --params, --tenant */
typedef struct {
    const char *driver;
    const char *params;
    const char *tenant;
} gsprov_cli_db_t;

/* getopt_long entries for the three options (ids 'D', 'P', 'T'), and
 * their parsing: 1 if opt was one of them. */
#define GSPROV_CLI_DB_OPTIONS \
    { "driver", required_argument, NULL, 'D' }, \
    { "params", required_argument, NULL, 'P' }, \
    { "tenant", required_argument, NULL, 'T' }
int gsprov_cli_db_option(gsprov_cli_db_t *db, int opt, const char *arg);

/* NULL if db is complete or absent, else what is missing. */
const char *gsprov_cli_db_check(const gsprov_cli_db_t *db);

/* The store of the records: the database when db->driver is set (its
 * templates those of tpl, the directory store of --root, which may be
 * NULL for commands that need none), else tpl itself. */
apr_status_t gsprov_cli_records(apr_pool_t *p, const gsprov_cli_db_t *db,
                                gsprov_store_t *tpl,
                                const gsprov_logger_t *log,
                                gsprov_store_t **out, char **err);

/* --format csv|jsonl of import and export (gsprov_bulkio.c) */
typedef struct {
    gsprov_bulk_format_e format;
    gsprov_store_t *store;          /* where the records go */
    const gsprov_templates_t *t;
    const gsprov_settings_t *set;
    gsprov_audit_t *audit;
    const gsprov_actor_t *who;
    int dry_run;
} gsprov_cli_bulk_t;
int gsprov_cli_bulk_import(apr_pool_t *p, const gsprov_cli_bulk_t *b,
                           FILE *in);
/* exit status 0 or 1; *problems counts records left out */
int gsprov_cli_bulk_export(apr_pool_t *p, gsprov_store_t *store,
                           gsprov_bulk_format_e fmt, FILE *out,
                           long *records, long *problems);

int gsprov_cli_db(apr_pool_t *p, int argc, char **argv);
int gsprov_cli_import(apr_pool_t *p, int argc, char **argv);
int gsprov_cli_export(apr_pool_t *p, int argc, char **argv);
extern const char gsprov_cli_db_usage[], gsprov_cli_import_usage[],
    gsprov_cli_export_usage[];

#endif
