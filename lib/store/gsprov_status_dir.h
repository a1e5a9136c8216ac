/*
 * The provisioning status in a directory store: <root>/status/<mac>.json,
 * one JSON object per device:
 *   {"mac", "at", "client", "ua_model", "ua_hardware", "ua_firmware",
 *    "kind", "file", "result",              its latest request of any kind
 *    "served_version", "served_at",         its record last served (200)
 *    "fetch": {"<kind>": {"at", "client", "file", "result", "version"}}}
 * Written by the status flusher under the lock "status-<mac>" (a lock
 * file of gsprov_fsio, not the record's: a status write never waits for
 * an admin write) with an atomic replace and no fsync: status is
 * best-effort, a crash loses at most what was not flushed.  The file's
 * mtime is set to "at", so counting the devices seen since a time is a
 * stat per device, no parse.
 */
#ifndef GSPROV_STATUS_DIR_H
#define GSPROV_STATUS_DIR_H

#include "gsprov_store.h"

/* The store ops (gsprov_store.h) for the store rooted at root. */
apr_status_t gsprov_status_dir_put(apr_pool_t *p, const char *root,
                                   const apr_array_header_t *batch,
                                   char **err);
apr_status_t gsprov_status_dir_get(apr_pool_t *p, const char *root,
                                   const char *mac, gsprov_devstatus_t **out,
                                   char **err);
apr_status_t gsprov_status_dir_count(apr_pool_t *p, const char *root,
                                     apr_int64_t since, apr_int64_t *n,
                                     char **err);

#endif
