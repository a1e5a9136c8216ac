/*
 * The audit log file (GsProvAuditLog): one JSON object per line per
 * change, what the directory store appends a transaction's entries to
 * when it commits (the database store keeps the same lines in a table,
 * and may copy them here).  Lines are appended with a single write() on
 * an O_APPEND descriptor, so lines of concurrent threads and processes
 * never interleave.  Secrets never go in (entries carry gsprov_record_changes
 * output, masked).
 */
#ifndef GSPROV_AUDIT_H
#define GSPROV_AUDIT_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct gsprov_audit gsprov_audit_t;

/* Open (create, mode 0640) the log for appending; closed with p.  Opened
 * before a change is made, so a log that cannot be written refuses the
 * change instead of losing its record. */
apr_status_t gsprov_audit_open(apr_pool_t *p, const char *path,
                               gsprov_audit_t **out, char **err);

/* An entry as the line the trail keeps: "time" (UTC, ISO 8601) first,
 * then the entry's members (from p). */
const char *gsprov_audit_line(apr_pool_t *p, json_t *entry);

/* Append a line made by gsprov_audit_line. */
apr_status_t gsprov_audit_append(apr_pool_t *p, gsprov_audit_t *a,
                                 const char *line, char **err);

/* Append entry with "time" (UTC, ISO 8601) set first. */
apr_status_t gsprov_audit_write(apr_pool_t *p, gsprov_audit_t *a,
                                json_t *entry, char **err);

#endif
