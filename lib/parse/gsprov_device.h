/* Device records: devices/<mac>.xml. */
#ifndef GSPROV_DEVICE_H
#define GSPROV_DEVICE_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include "gsprov_layer.h"
#include "gsprov_mac.h"
#include "gsprov_defaults.h"

/* lib/serve/gsprov_redirect.h */
typedef struct gsprov_redirect gsprov_redirect_t;

typedef struct {
    char mac[GSPROV_MAC_LEN + 1];
    const char *label;          /* "devices/<mac>.xml" */
    const char *model;          /* NULL if not given */
    apr_array_header_t *groups; /* of const char * */
    const char *password;       /* NULL: files are served in clear */
    /* HTTP credentials (P1360/P1361): usernames[i] goes with secrets[i];
     * one username may carry two secrets (current, next) for rotation */
    const char *usernames[GSPROV_MAX_CREDENTIALS];
    const char *secrets[GSPROV_MAX_CREDENTIALS];
    int nusernames, nsecrets;
    apr_hash_t *vars;           /* name -> value */
    gsprov_layer_t *config;     /* overrides; empty layer if none */
    const gsprov_redirect_t *redirect;  /* a redirect record: NULL if not */
    const char *bytes;          /* the record as read */
    apr_size_t nbytes;
    const char *version;        /* its content version (hex SHA-256) as the
                                 * store gave it (gsprov_store_device);
                                 * NULL when parsed from elsewhere */
} gsprov_device_t;

/* Parse a record from memory (gsprov_xml.c).  mac is the normalized MAC
 * it belongs to; d->bytes points into buf. */
apr_status_t gsprov_xml_parse_device(apr_pool_t *p, const char *mac,
                                 const char *buf, apr_size_t len,
                                 const char *label, gsprov_device_t **out,
                                 char **err);

#endif
