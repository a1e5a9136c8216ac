/*
 * Templates: a store's defaults, models, groups and redirect map, loaded
 * and validated as a whole into an immutable, reference-counted snapshot
 * (a tenant has few of them; device records are read per request).  The
 * snapshots come from the files under GsProvRoot, whatever backend holds
 * the records (gsprov_templates_dir.h).
 */
#ifndef GSPROV_TEMPLATES_H
#define GSPROV_TEMPLATES_H

#include <apr_pools.h>
#include <apr_hash.h>
#include "gsprov_layer.h"
#include "gsprov_merge.h"

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
    /* defaults < model, merged when the snapshot is made (in httpd's
     * parent, before the children fork: never copied per child); a
     * request lays the device's groups and record over them.  A model
     * whose layers mix versions 1 and 2 has no chain (the request says
     * why). */
    const gsprov_merged_t *base;    /* defaults alone */
    apr_hash_t *chains;             /* model name -> const gsprov_merged_t * */
} gsprov_templates_t;

#endif
