/*
 * The template files of a store's root (GsProvRoot):
 *   defaults.xml, models/<model>.xml, groups/<group>.xml, redirect.map
 * loaded into snapshots (gsprov_templates.h) and checked for changes at
 * most once per interval by one thread at a time (the others keep
 * serving the current snapshot); a change is loaded into a new snapshot
 * and swapped in only if every file in it is valid, so a broken edit
 * never replaces the last good version.  Every store backend takes its
 * templates from here.
 *
 * Shared by the processes of a server (gsprov_templates_dir_share, before
 * they fork), the check is one per interval for all of them, and a set
 * one process loaded is what every other one serves from its next
 * request on: it takes the bytes that process validated (a snapshot
 * file), so a broken edit made since never sends it back to an older
 * set, and a broken edit is logged once, not once per process.
 */
#ifndef GSPROV_TEMPLATES_DIR_H
#define GSPROV_TEMPLATES_DIR_H

#include <apr_pools.h>
#include <apr_time.h>
#include "gsprov_templates.h"
#include "gsprov_log.h"
#include "gsprov_tplshare.h"

/* The template files of one root, reloaded when they change. */
typedef struct gsprov_templates_dir gsprov_templates_dir_t;

/* Load the templates under root (errors name file:line); reloads are
 * logged through log (GSPROV0201, 0202, 0204-0206, 0802).  Lives as long
 * as pool p. */
apr_status_t gsprov_templates_dir_open(apr_pool_t *p, const char *root,
                                       const gsprov_logger_t *log,
                                       gsprov_templates_dir_t **out, char **err);

/* Every dir gsprov_templates_dir_open opened with pool p (the server's
 * configuration pool: one per GsProvRoot), or NULL. */
const apr_array_header_t *gsprov_templates_dir_list(apr_pool_t *p);

/* Share d with every process that will map slot (memory shared by them,
 * made before they fork; this call seeds it with what d has loaded) and
 * can write snapdir (its snapshot files are snapdir/<tag>.<version>).
 * Called once, before the fork. */
void gsprov_templates_dir_share(gsprov_templates_dir_t *d,
                                gsprov_tplshare_slot_t *slot,
                                const char *snapdir, const char *tag);

/* For `gsprov lint`: every problem is reported through report and the
 * snapshot holds whatever was valid; never reloaded.  Fails only if the
 * files cannot be listed (reported too). */
apr_status_t gsprov_templates_dir_open_lint(apr_pool_t *p, const char *root,
                                            const gsprov_report_t *report,
                                            gsprov_templates_dir_t **out);

/* The current snapshot: the newest good set any process sharing d has
 * loaded, the files checked for changes if interval has passed since any
 * of them last did; it stays valid until pool p is cleared. */
const gsprov_templates_t *gsprov_templates_dir_get(gsprov_templates_dir_t *d,
                                                   apr_pool_t *p,
                                                   apr_interval_time_t
                                                   interval);

#endif
