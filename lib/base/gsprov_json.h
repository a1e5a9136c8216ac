/*
 * jansson objects tied to APR pools: every json_t handed out here is
 * released (json_decref) by a cleanup of the pool it was made for, so the
 * admin code never frees by hand and never leaks on an early return.
 */
#ifndef GSPROV_JSON_H
#define GSPROV_JSON_H

#include <apr_pools.h>
#include <jansson.h>

/* Tie j (a new reference) to p; returns j (NULL stays NULL). */
json_t *gsprov_json_pool(apr_pool_t *p, json_t *j);

/* Parse len bytes of JSON (duplicate keys and a trailing NUL byte are
 * rejected); the value is tied to p.  On failure *err says where. */
apr_status_t gsprov_json_parse(apr_pool_t *p, const char *buf,
                               apr_size_t len, json_t **out, char **err);

/* Compact, key-order-preserving serialisation into p (no newline). */
const char *gsprov_json_dump(apr_pool_t *p, const json_t *j);

#endif
