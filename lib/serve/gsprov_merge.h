/*
 * Merging layers: defaults < model < groups in order < device overrides.
 * A later layer replaces a parameter's value in place, so the output keeps
 * the order in which parameters first appear along the chain.
 */
#ifndef GSPROV_MERGE_H
#define GSPROV_MERGE_H

#include "gsprov_layer.h"
#include <apr_hash.h>

typedef struct {
    int version;                 /* 1 or 2 (1 when every layer is empty) */
    const char *version_src;     /* label of the first versioned layer */
    apr_array_header_t *params;  /* of const gsprov_param_t * */
    apr_hash_t *index;           /* key -> index+1 into params */
    apr_hash_t *extra;           /* overlay keys not in index, or NULL */
    apr_hash_t *vars;            /* layers' <var>s, later layers win */
} gsprov_merged_t;

/* Merge n layers (NULL entries are skipped).  Mixing version 1 and 2
 * layers fails with GSPROV_EMIXED and names both files. */
apr_status_t gsprov_merge(apr_pool_t *p, const gsprov_layer_t *const *layers,
                          int n, gsprov_merged_t **out, char **err);

/* base < layer, without touching base (which may be shared between
 * threads: a template chain merged once per snapshot).  Costs a copy of
 * the parameter pointers plus one lookup per parameter of layer. */
apr_status_t gsprov_merge_overlay(apr_pool_t *p, const gsprov_merged_t *base,
                                  const gsprov_layer_t *layer,
                                  gsprov_merged_t **out, char **err);

/* base without the plain parameters named in names[0..n-1], without
 * touching base.  Rebuilds the index: one hash insertion per parameter,
 * so it is for the rare request that needs it. */
gsprov_merged_t *gsprov_merge_without(apr_pool_t *p,
                                      const gsprov_merged_t *base,
                                      const char *const *names, int n);

/* base with its plain parameter of prm's name replaced by prm, in place,
 * without touching base; NULL if base has no such parameter.  (An
 * overlay would lose what base itself overlaid.) */
gsprov_merged_t *gsprov_merge_replace(apr_pool_t *p,
                                      const gsprov_merged_t *base,
                                      const gsprov_param_t *prm);

/* Value of a plain parameter (v1 "P234", or a v2 item without parts). */
const gsprov_param_t *gsprov_merge_get(const gsprov_merged_t *m,
                                        const char *name);

#endif
