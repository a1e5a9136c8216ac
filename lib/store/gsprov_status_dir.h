/*
 * The provisioning status in a directory store: <root>/status/<mac>.json,
 * one JSON object per device:
 *   {"mac", "at", "client", "ua_model", "ua_hardware", "ua_firmware",
 *    "kind", "file", "result",              its latest request of any kind
 *    "served_version", "served_at",         its record last served (200)
 *    "fetch": {"<kind>": {"at", "client", "file", "result", "version"}}}
 *
 * Written in two steps, because a reboot storm must not pay a file write
 * per device while it is served:
 *   put     a flusher appends its batch, one JSON line per observation, to
 *           status/log/open.jsonl: one write under the lock "status-log",
 *           about a microsecond per device
 *   settle  one child at a time (the lock "status-settle", not waited
 *           for) seals open.jsonl (renames it to log-<time>-<pid>.jsonl)
 *           and merges the sealed files into the devices' files, one
 *           read-modify-write per device per 10,000 lines (whichever
 *           children logged them), then removes them; httpd runs it in an
 *           idle-priority thread, so a device's file lags its requests by
 *           a flush interval plus the time the CPUs are busy serving
 * A status file is written in place (gsprov_fsio_rw_commit: one pwrite,
 * padded, no rename: ext4 flushes a file renamed over another, ~4x the
 * cost), its mtime set to "at", so counting the devices seen since a time
 * is a stat per device, no parse; a reader that meets a half-written one
 * reads again.  No fsync anywhere: status is best-effort, a crash of the
 * machine loses what the page cache held; a killed httpd loses at most
 * its unflushed buffer (the log is written, and a settler killed midway
 * leaves its sealed file to the next, which applies it again: a newer
 * observation always wins, so twice is harmless).
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
/* Settle the log into the devices' files (above).  stop(baton), asked
 * between devices, ends it early (*more = 1, what is left stays); *more =
 * 1 too if another settler holds the lock.  An error (a status file that
 * cannot be written, lines that could not be read) is reported after the
 * rest was applied. */
apr_status_t gsprov_status_dir_settle(apr_pool_t *p, const char *root,
                                      int (*stop)(void *), void *baton,
                                      int *more, char **err);
apr_status_t gsprov_status_dir_count(apr_pool_t *p, const char *root,
                                     apr_int64_t since, apr_int64_t *n,
                                     char **err);

#endif
