/*
 * Conditional writes (RFC 9110 13.1) for the admin API: a record's ETag
 * is its content version, quoted, so every node and every backend agree
 * on it; If-Match / If-None-Match are checked against the version the
 * write's transaction has locked.
 */
#ifndef GSPROV_PRECOND_H
#define GSPROV_PRECOND_H

#include <apr_pools.h>

/* The ETag of a record with this version (hex SHA-256): "\"<version>\"". */
const char *gsprov_precond_etag(apr_pool_t *p, const char *version);

/* if_match is the If-Match header ("*" or a list of ETags) or NULL;
 * if_none_match likewise. */
typedef struct {
    const char *if_match;
    const char *if_none_match;
} gsprov_precond_t;

/* 1 if the preconditions hold for the current etag (NULL: no record). */
int gsprov_precond_ok(const gsprov_precond_t *pc, const char *etag);

#endif
