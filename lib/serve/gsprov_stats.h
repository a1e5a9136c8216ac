/*
 * Per-tenant counters for the status page.  One gsprov_stats_t per vhost,
 * in memory shared by every httpd child (the module maps it before fork);
 * updated with APR's atomics, so no lock is taken on the request path.
 */
#ifndef GSPROV_STATS_H
#define GSPROV_STATS_H

#include <apr_pools.h>
#include <apr_time.h>
#include <apr_atomic.h>
#include "gsprov_log.h"

/* what was asked for */
typedef enum {
    GSPROV_SK_DEVICE_XML = 0,
    GSPROV_SK_DEVICE_BIN,
    GSPROV_SK_MODEL_XML,
    GSPROV_SK_GENERIC_XML,
    GSPROV_SK_FIRMWARE,
    GSPROV_SK_OTHER,            /* names that were rejected */
    GSPROV_SK_COUNT
} gsprov_stat_kind_e;

/* how it was answered */
typedef enum {
    GSPROV_SR_OK = 0,           /* 2xx, 304 */
    GSPROV_SR_NOT_FOUND,        /* 404 */
    GSPROV_SR_DENIED,           /* 401, 403 */
    GSPROV_SR_ERROR,            /* 5xx */
    GSPROV_SR_OTHER,            /* 405, 412, 416... */
    GSPROV_SR_COUNT
} gsprov_stat_result_e;

/* Render time histogram: upper bounds in microseconds; the last bucket
 * takes everything slower. */
#define GSPROV_STATS_BUCKETS \
    { 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000 }
#define GSPROV_STATS_NBUCKETS 11

/* messages logged at most once per interval, each on its own clock */
typedef enum {
    GSPROV_THROTTLE_CACHE_FAILED = 0,
    GSPROV_THROTTLE_CACHE_REJECTED,
    GSPROV_THROTTLE_DB_FAILED,      /* the database store cannot answer */
    GSPROV_THROTTLE_STATUS_FAILED,  /* a provisioning status write failed */
    GSPROV_THROTTLE_STATUS_SETTLE,  /* status files could not be settled */
    GSPROV_THROTTLE_SEEN_FAILED,    /* devices seen could not be counted */
    GSPROV_THROTTLE_COUNT
} gsprov_throttle_e;

#define GSPROV_STATS_TENANT_LEN 128
#define GSPROV_STATS_ERROR_LEN  240

typedef struct {
    char tenant[GSPROV_STATS_TENANT_LEN];   /* written before fork only */
    apr_uint64_t requests[GSPROV_SK_COUNT][GSPROV_SR_COUNT];
    apr_uint64_t cache_hits, cache_misses, cache_errors, cache_rejected;
    apr_uint64_t cache_near_hits;   /* of cache_hits, from the near cache */
    apr_uint64_t cache_stores, cache_store_errors;
    apr_uint64_t renders, render_usec;
    /* the database store: statements run, failed, requests answered 503 */
    apr_uint64_t db_queries, db_errors, db_unavailable;
    /* the provisioning status (GsProvDeviceStatus): entries recorded (a
     * device's repeat of a file kind before the next write merges into
     * its entry), requests dropped because a child's buffer was full,
     * entries written to the store, entries whose write failed */
    apr_uint64_t status_recorded, status_dropped, status_written,
                 status_failed;
    apr_uint64_t render_hist[GSPROV_STATS_NBUCKETS];
    /* throttled messages (gsprov_throttle_e): when each was last logged,
     * and how many were not logged since */
    apr_uint64_t logged_at[GSPROV_THROTTLE_COUNT];
    apr_uint64_t unlogged[GSPROV_THROTTLE_COUNT];
    /* the last error: a sequence lock around (time, id, text) */
    volatile apr_uint32_t error_seq;
    apr_uint32_t error_id;
    apr_uint64_t error_time;
    char error_text[GSPROV_STATS_ERROR_LEN];
    /* devices seen in the last hour and day (the metrics), counted at
     * most once per interval for all children: when they were last
     * counted, and the counts plus one (0: not known) */
    apr_uint64_t seen_at, seen_hour, seen_day;
} gsprov_stats_t;

/* Zero a slot and name its tenant (before the slots are shared). */
void gsprov_stats_init(gsprov_stats_t *s, const char *tenant);

void gsprov_stats_request(gsprov_stats_t *s, gsprov_stat_kind_e kind,
                          int http_status);
void gsprov_stats_render(gsprov_stats_t *s, apr_interval_time_t took);
/* Remember the last error (the text is what was logged: no secrets). */
void gsprov_stats_error(gsprov_stats_t *s, int msgid, const char *text);

/* 1 if a throttled message should be logged now (then *suppressed is how
 * many were not logged since the last one), 0 to stay quiet.  At most one
 * caller per interval gets 1, across threads and processes. */
int gsprov_stats_log_due(gsprov_stats_t *s, gsprov_throttle_e which,
                         apr_interval_time_t interval,
                         apr_uint64_t *suppressed);

/* 1 if the devices seen should be counted now (then the caller counts
 * and calls gsprov_stats_seen_set), 0 if they were counted less than
 * interval ago or another caller is counting them.  At most one caller
 * per interval gets 1, across threads and processes. */
int gsprov_stats_seen_due(gsprov_stats_t *s, apr_interval_time_t interval);
/* The counts (< 0: not known). */
void gsprov_stats_seen_set(gsprov_stats_t *s, apr_int64_t hour,
                           apr_int64_t day);
void gsprov_stats_seen_get(gsprov_stats_t *s, apr_int64_t *hour,
                           apr_int64_t *day);

/* A problem that may come with every request (a dead memcached or
 * database in a reboot storm): remembered as the tenant's last error, and
 * logged at level at most once per interval per tenant and kind `which`
 * across the whole server, with how many were held back since ("... (N
 * more <noun> since the last message)").  msgid is its GSPROV_LOGNO tag;
 * file and line its GSPROV_LOG_MARK.  s may be NULL (always logged). */
void gsprov_stats_complain(gsprov_stats_t *s, const gsprov_logger_t *log,
                           const char *file, int line,
                           gsprov_log_level_e level, gsprov_throttle_e which,
                           apr_interval_time_t interval, const char *msgid,
                           const char *tenant, const char *what,
                           const char *noun);

/* Map a kind name as in the "gsprov-file" note to its index. */
gsprov_stat_kind_e gsprov_stats_kind(const char *name);

/* A consistent-enough copy of one slot's counters, read once per page
 * (each field atomically; renders is the histogram's own total, so the
 * buckets always add up to it). */
typedef struct {
    apr_uint64_t req[GSPROV_SK_COUNT][GSPROV_SR_COUNT];
    apr_uint64_t hits, near_hits, misses, errors, rejected, stores;
    apr_uint64_t store_errors;
    apr_uint64_t renders, usec, hist[GSPROV_STATS_NBUCKETS];
    apr_uint64_t db_queries, db_errors, db_unavailable;
    apr_uint64_t st_recorded, st_dropped, st_written, st_failed;
    int has_error;
    apr_uint32_t error_id;
    apr_time_t error_time;
    char error_text[GSPROV_STATS_ERROR_LEN];
} gsprov_stats_snap_t;

void gsprov_stats_snapshot(gsprov_stats_t *s, gsprov_stats_snap_t *v);

/* Render time percentile q (0..1) of histogram h with n renders, as the
 * upper bound of its bucket in microseconds; 0 without renders, -1 for
 * "slower than the last bound". */
long long gsprov_stats_percentile(const apr_uint64_t *h, apr_uint64_t n,
                                  double q);

/* The names of kinds and results on the status pages ("device-xml",
 * "not-found"). */
const char *gsprov_stats_kind_name(gsprov_stat_kind_e kind);
const char *gsprov_stats_result_name(gsprov_stat_result_e result);

/* GsProvStatusScope: whose counters a status page shows, its own vhost's
 * tenant or every vhost's of the server. */
typedef enum { GSPROV_STATUS_VHOST = 0, GSPROV_STATUS_SERVER }
    gsprov_status_scope_e;

/* The status page.  since: when counting started; templates: each
 * tenant's template set version (NULL, or NULL entries: none). */
const char *gsprov_stats_text(apr_pool_t *p, gsprov_stats_t *const *slots,
                              const char *const *templates, int n,
                              apr_time_t since);
const char *gsprov_stats_json(apr_pool_t *p, gsprov_stats_t *const *slots,
                              const char *const *templates, int n,
                              apr_time_t since);

#endif
