/*
 * ${variable} expansion.  Lookup order: device <var>, then the <var>s of
 * the template layers (groups > model > defaults), then tenant GsProvVar,
 * then built-ins (mac, model, group).  "$${" writes a literal
 * "${".  A single pass: values substituted in are not expanded again.
 */
#ifndef GSPROV_VARS_H
#define GSPROV_VARS_H

#include <apr_pools.h>
#include <apr_hash.h>

typedef struct {
    apr_hash_t *device;   /* may be NULL */
    apr_hash_t *layer;    /* merged template <var>s; may be NULL */
    apr_hash_t *tenant;   /* may be NULL */
    apr_hash_t *builtin;  /* may be NULL */
} gsprov_vars_t;

/* 1 if every "${" in s is closed by "}" around a valid name. */
int gsprov_vars_syntax_ok(const char *s);

/* Expand s into *out.  On an undefined variable returns GSPROV_EUNDEFVAR
 * with *missing set to its name; on bad syntax GSPROV_EPARSE. */
apr_status_t gsprov_vars_expand(apr_pool_t *p, const char *s,
                                const gsprov_vars_t *v, const char **out,
                                const char **missing);

/* Look a name up through the three levels; NULL if undefined. */
const char *gsprov_vars_get(const gsprov_vars_t *v, const char *name,
                            apr_size_t len);

/* A variable's value, expanded, into *out (NULL if it is undefined); a
 * failed expansion sets *err ("variable <name>: ...") and returns
 * GSPROV_EUNDEFVAR or GSPROV_EPARSE. */
apr_status_t gsprov_vars_value(apr_pool_t *p, const gsprov_vars_t *v,
                               const char *name, const char **out,
                               char **err);

#endif
