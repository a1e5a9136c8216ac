/*
 * The store: where a tenant's templates and device records come from.
 * A small vtable, so a database-backed store (mod_dbd) can follow the
 * directory store in gsprov_store_file.c.
 *
 * Templates (defaults, models, groups) are loaded and validated as a whole
 * into an immutable, reference-counted snapshot (gsprov_templates.h);
 * device records are fetched per request (a tenant may hold millions).
 */
#ifndef GSPROV_STORE_H
#define GSPROV_STORE_H

#include <apr_pools.h>
#include "gsprov_templates.h"
#include "gsprov_device.h"
#include "gsprov_log.h"

typedef struct gsprov_store gsprov_store_t;

typedef struct {
    const char *name;
    /* Current templates, checked for changes at most every `interval`;
     * the snapshot stays valid until pool p is cleared. */
    const gsprov_templates_t *(*templates)(gsprov_store_t *s, apr_pool_t *p,
                                           apr_interval_time_t interval);
    /* One device record: GSPROV_ENOTFOUND if there is none. */
    apr_status_t (*device)(gsprov_store_t *s, apr_pool_t *p, const char *mac,
                           gsprov_device_t **out, char **err);
    /* The version of a device record (what gsprov_device_version() says
     * of it) without parsing it: for cache keys.  GSPROV_ENOTFOUND if
     * there is none. */
    apr_status_t (*device_version)(gsprov_store_t *s, apr_pool_t *p,
                                   const char *mac, const char **version,
                                   char **err);
} gsprov_store_ops_t;

struct gsprov_store {
    const gsprov_store_ops_t *ops;
    const char *name;           /* for messages: the root directory */
    gsprov_logger_t log;
    void *impl;
};

/* Open a directory store and load its templates (errors name file:line).
 * The store lives as long as pool p. */
apr_status_t gsprov_store_file_open(apr_pool_t *p, const char *root,
                                    const gsprov_logger_t *log,
                                    gsprov_store_t **out, char **err);

/* A directory store for `gsprov lint`: every template problem is reported
 * through report, and the store serves whatever templates were valid
 * (never reloading).  Fails only if the directory cannot be listed. */
apr_status_t gsprov_store_file_lint(apr_pool_t *p, const char *root,
                                    const gsprov_report_t *report,
                                    gsprov_store_t **out);

/* One device record of a directory store (what the store's device()
 * does): GSPROV_ENOTFOUND if missing. */
apr_status_t gsprov_store_file_device(apr_pool_t *p, const char *root,
                                      const char *mac, gsprov_device_t **out,
                                      char **err);

static inline const gsprov_templates_t *
gsprov_store_templates(gsprov_store_t *s, apr_pool_t *p,
                       apr_interval_time_t interval)
{
    return s->ops->templates(s, p, interval);
}

static inline apr_status_t
gsprov_store_device(gsprov_store_t *s, apr_pool_t *p, const char *mac,
                    gsprov_device_t **out, char **err)
{
    return s->ops->device(s, p, mac, out, err);
}

static inline apr_status_t
gsprov_store_device_version(gsprov_store_t *s, apr_pool_t *p,
                            const char *mac, const char **version, char **err)
{
    return s->ops->device_version(s, p, mac, version, err);
}



#endif
