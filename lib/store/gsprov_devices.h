/*
 * Writing device records of a directory store (devices/<mac>.xml) for
 * the admin API: read, replace and delete under the record's lock, list
 * in MAC order.
 */
#ifndef GSPROV_DEVICES_H
#define GSPROV_DEVICES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "gsprov_fsio.h"
#include "gsprov_mac.h"

/* Read devices/<mac>.xml raw: APR_SUCCESS, GSPROV_ENOTFOUND, or an error. */
apr_status_t gsprov_devices_read(apr_pool_t *p, const char *root,
                                 const char *mac, char **bytes,
                                 apr_size_t *len, char **err);

/* Take the lock of one record (see gsprov_fsio_lock). */
apr_status_t gsprov_devices_lock(apr_pool_t *p, const char *root,
                                 const char *mac, gsprov_lock_t **out,
                                 char **err);

/* Under the caller's lock: write the record atomically, or remove it. */
apr_status_t gsprov_devices_write(apr_pool_t *p, const char *root,
                                  const char *mac, const char *bytes,
                                  apr_size_t len, char **err);
apr_status_t gsprov_devices_remove(apr_pool_t *p, const char *root,
                                   const char *mac, char **err);

/* The MACs of devices/ in order, those after `after` (or all when NULL);
 * temp files, hidden files and other names are skipped. */
apr_status_t gsprov_devices_macs(apr_pool_t *p, const char *root,
                                 const char *after, apr_array_header_t **out,
                                 char **err);

#endif
