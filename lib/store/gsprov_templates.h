/*
 * Templates: a store's defaults, models, groups and redirect map, loaded
 * and validated as a whole into an immutable, reference-counted snapshot
 * (a tenant has few of them; device records are read per request).
 *
 * Templates always come from files under the store's root (GsProvRoot),
 * whatever backend holds the records, so every store takes its snapshots
 * from the loader here:
 *   defaults.xml, models/<model>.xml, groups/<group>.xml, redirect.map
 * checked for changes at most once per interval by one thread at a time
 * (the others keep serving the current snapshot); a change is loaded into
 * a new snapshot and swapped in only if every file in it is valid, so a
 * broken edit never replaces the last good version.
 */
#ifndef GSPROV_TEMPLATES_H
#define GSPROV_TEMPLATES_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_time.h>
#include <apr_thread_mutex.h>
#include "gsprov_layer.h"
#include "gsprov_log.h"

typedef struct gsprov_templates {
    apr_pool_t *pool;           /* owns everything in the snapshot */
    gsprov_layer_t *defaults;   /* empty layer if the store has none */
    apr_hash_t *models;         /* model name -> gsprov_layer_t * */
    apr_hash_t *groups;         /* group name -> gsprov_layer_t * */
    apr_hash_t *redirects;      /* redirect.map: MAC (12 chars) ->
                                 * const gsprov_redirect_t *, or NULL */
    const char *version;        /* SHA-256 over all template bytes
                                 * (and the redirect map's) */
    const char *stamp;          /* change-detection token */
    volatile apr_uint32_t refs;
    /* Merged template chains, "model\ngroup\n..." -> gsprov_merged_t,
     * filled by gsprov_provision under memo_lock (in this pool). */
    apr_thread_mutex_t *memo_lock;
    apr_hash_t *memo;
} gsprov_templates_t;

/* The template files of one root, reloaded when they change. */
typedef struct gsprov_templates_dir gsprov_templates_dir_t;

/* Load the templates under root (errors name file:line); reload problems
 * are logged through log (GSPROV_MSG_RELOAD_FAILED, _RELOADED,
 * _REDIRECT_MAP_FAILED).  Lives as long as pool p. */
apr_status_t gsprov_templates_open(apr_pool_t *p, const char *root,
                                   const gsprov_logger_t *log,
                                   gsprov_templates_dir_t **out, char **err);

/* For `gsprov lint`: every problem is reported through report and the
 * snapshot holds whatever was valid; never reloaded.  Fails only if the
 * files cannot be listed (reported too). */
apr_status_t gsprov_templates_open_lint(apr_pool_t *p, const char *root,
                                        const gsprov_report_t *report,
                                        gsprov_templates_dir_t **out);

/* The current snapshot, checked for changes at most every interval; it
 * stays valid until pool p is cleared. */
const gsprov_templates_t *gsprov_templates_get(gsprov_templates_dir_t *d,
                                               apr_pool_t *p,
                                               apr_interval_time_t interval);

#endif
