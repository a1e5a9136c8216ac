/*
 * The template files of a store's root (GsProvRoot):
 *   defaults.xml, models/<model>.xml, groups/<group>.xml, redirect.map
 * loaded into snapshots (gsprov_templates.h) and checked for changes at
 * most once per interval by one thread at a time (the others keep
 * serving the current snapshot); a change is loaded into a new snapshot
 * and swapped in only if every file in it is valid, so a broken edit
 * never replaces the last good version.  Every store backend takes its
 * templates from here.
 */
#ifndef GSPROV_TEMPLATES_DIR_H
#define GSPROV_TEMPLATES_DIR_H

#include <apr_pools.h>
#include <apr_time.h>
#include "gsprov_templates.h"
#include "gsprov_log.h"

/* The template files of one root, reloaded when they change. */
typedef struct gsprov_templates_dir gsprov_templates_dir_t;

/* Load the templates under root (errors name file:line); reload problems
 * are logged through log (GSPROV_MSG_RELOAD_FAILED, _RELOADED,
 * _REDIRECT_MAP_FAILED).  Lives as long as pool p. */
apr_status_t gsprov_templates_dir_open(apr_pool_t *p, const char *root,
                                       const gsprov_logger_t *log,
                                       gsprov_templates_dir_t **out, char **err);

/* For `gsprov lint`: every problem is reported through report and the
 * snapshot holds whatever was valid; never reloaded.  Fails only if the
 * files cannot be listed (reported too). */
apr_status_t gsprov_templates_dir_open_lint(apr_pool_t *p, const char *root,
                                            const gsprov_report_t *report,
                                            gsprov_templates_dir_t **out);

/* The current snapshot, checked for changes at most every interval; it
 * stays valid until pool p is cleared. */
const gsprov_templates_t *gsprov_templates_dir_get(gsprov_templates_dir_t *d,
                                                   apr_pool_t *p,
                                                   apr_interval_time_t
                                                   interval);

#endif
