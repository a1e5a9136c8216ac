/*
 * GET /devices and GET /activations: their query strings read into a
 * store query (gsprov_list_query_t) and the columns to answer with.
 * Every parameter is known or refused: a filter the server does not
 * know would otherwise list every device, which is the one answer a
 * caller filtering for a few must never get.
 */
#ifndef GSPROV_LIST_H
#define GSPROV_LIST_H

#include <apr_tables.h>
#include <jansson.h>
#include "gsprov_store.h"

/* The columns of a listed device (fields=; mac is always there). */
enum {
    GSPROV_LIST_MODEL  = 1 << 0,
    GSPROV_LIST_GROUPS = 1 << 1,
    GSPROV_LIST_VARS   = 1 << 2,
    GSPROV_LIST_STATUS = 1 << 3,    /* the latest request (no per kind) */
    GSPROV_LIST_IN_SYNC = 1 << 4
};
/* without fields=: what the listing has always answered */
#define GSPROV_LIST_DEFAULT_FIELDS (GSPROV_LIST_MODEL | GSPROV_LIST_GROUPS)

/* The query string of GET /devices (args: decoded, as httpd's
 * ap_args_to_table gives them) into q and *fields.  secrets_ok: var
 * filters may name secret variables (GsProvAdminSecrets on), which would
 * otherwise let a caller guess their values.  GSPROV_EINVAL with *param
 * (the parameter at fault) and *err (what is wrong, naming it); anything
 * from p. */
apr_status_t gsprov_list_devices_args(apr_pool_t *p, const apr_table_t *args,
                                      int secrets_ok, gsprov_list_query_t *q,
                                      unsigned *fields, const char **param,
                                      char **err);

/* A device's latest request as a listing shows it: {"at", "client",
 * "model", "hardware", "firmware", "kind", "file", "result"} (a new
 * reference). */
json_t *gsprov_list_status_json(const gsprov_seen_t *last);

/* GET /activations: limit= and after= (an activation number). */
apr_status_t gsprov_list_activations_args(apr_pool_t *p,
                                          const apr_table_t *args,
                                          const char **after, int *limit,
                                          const char **param, char **err);

#endif
