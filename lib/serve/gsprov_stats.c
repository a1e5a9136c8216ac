#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include "gsprov_stats.h"
#include "gsprov_version.h"

static const char *const kind_names[GSPROV_SK_COUNT] = {
    "device-xml", "device-bin", "model-xml", "generic-xml", "firmware",
    "other"
};
static const char *const result_names[GSPROV_SR_COUNT] = {
    "ok", "not-found", "denied", "error", "other"
};
static const apr_uint64_t bucket_usec[GSPROV_STATS_NBUCKETS - 1] =
    GSPROV_STATS_BUCKETS;

const char *gsprov_stats_kind_name(gsprov_stat_kind_e kind)
{
    return kind_names[(unsigned)kind < GSPROV_SK_COUNT ? kind
                                                       : GSPROV_SK_OTHER];
}

const char *gsprov_stats_result_name(gsprov_stat_result_e result)
{
    return result_names[(unsigned)result < GSPROV_SR_COUNT
                        ? result : GSPROV_SR_OTHER];
}

void gsprov_stats_init(gsprov_stats_t *s, const char *tenant)
{
    memset(s, 0, sizeof(*s));
    apr_cpystrn(s->tenant, tenant, sizeof(s->tenant));
}

gsprov_stat_kind_e gsprov_stats_kind(const char *name)
{
    int i;
    for (i = 0; name && i < GSPROV_SK_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0)
            return (gsprov_stat_kind_e)i;
    return GSPROV_SK_OTHER;
}

void gsprov_stats_request(gsprov_stats_t *s, gsprov_stat_kind_e kind,
                          int status)
{
    gsprov_stat_result_e r =
        (status >= 200 && status < 300) || status == 304 ? GSPROV_SR_OK
        : status == 404 ? GSPROV_SR_NOT_FOUND
        : status == 401 || status == 403 ? GSPROV_SR_DENIED
        : status >= 500 ? GSPROV_SR_ERROR : GSPROV_SR_OTHER;
    if ((unsigned)kind >= GSPROV_SK_COUNT)
        kind = GSPROV_SK_OTHER;
    apr_atomic_inc64(&s->requests[kind][r]);
}

void gsprov_stats_render(gsprov_stats_t *s, apr_interval_time_t took)
{
    apr_uint64_t us = took > 0 ? (apr_uint64_t)took : 0;
    int b = 0;
    while (b < GSPROV_STATS_NBUCKETS - 1 && us > bucket_usec[b])
        b++;
    apr_atomic_inc64(&s->renders);
    apr_atomic_add64(&s->render_usec, us);
    apr_atomic_inc64(&s->render_hist[b]);
}

/* Writers bump error_seq to odd, write, bump to even; a writer that finds
 * it odd (another one busy) drops its error: the other one is as recent. */
void gsprov_stats_error(gsprov_stats_t *s, int msgid, const char *text)
{
    apr_uint32_t seq = apr_atomic_read32(&s->error_seq);
    if ((seq & 1) || apr_atomic_cas32(&s->error_seq, seq + 1, seq) != seq)
        return;
    s->error_id = (apr_uint32_t)msgid;
    s->error_time = (apr_uint64_t)apr_time_now();
    {
        /* printable ASCII only: the text may quote a decoded URI, and the
         * status page must stay one line per item and valid JSON */
        apr_size_t i;
        for (i = 0; text && text[i] && i < sizeof(s->error_text) - 1; i++)
            s->error_text[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i]
                                                                 : '?';
        s->error_text[i] = '\0';
    }
    apr_atomic_set32(&s->error_seq, seq + 2);
}

/* 1 for the one caller per interval that moves *at to now (0 at first:
 * due at once). */
static int claim(apr_uint64_t *at, apr_interval_time_t interval)
{
    apr_uint64_t now = (apr_uint64_t)apr_time_now();
    apr_uint64_t last = apr_atomic_read64(at);

    /* signed: another thread may have claimed after we read the clock */
    if (last && (apr_int64_t)(now - last) < (apr_int64_t)interval)
        return 0;
    /* one winner per interval, even with many children racing */
    return apr_atomic_cas64(at, now, last) == last;
}

int gsprov_stats_log_due(gsprov_stats_t *s, gsprov_throttle_e which,
                         apr_interval_time_t interval,
                         apr_uint64_t *suppressed)
{
    if ((unsigned)which >= GSPROV_THROTTLE_COUNT)
        which = GSPROV_THROTTLE_CACHE_FAILED;
    if (!claim(&s->logged_at[which], interval)) {
        apr_atomic_inc64(&s->unlogged[which]);
        return 0;
    }
    *suppressed = apr_atomic_xchg64(&s->unlogged[which], 0);
    return 1;
}

int gsprov_stats_seen_due(gsprov_stats_t *s, apr_interval_time_t interval)
{
    return claim(&s->seen_at, interval);
}

void gsprov_stats_seen_set(gsprov_stats_t *s, apr_int64_t hour,
                           apr_int64_t day)
{
    apr_atomic_set64(&s->seen_hour, hour < 0 ? 0 : (apr_uint64_t)hour + 1);
    apr_atomic_set64(&s->seen_day, day < 0 ? 0 : (apr_uint64_t)day + 1);
}

void gsprov_stats_seen_get(gsprov_stats_t *s, apr_int64_t *hour,
                           apr_int64_t *day)
{
    *hour = (apr_int64_t)apr_atomic_read64(&s->seen_hour) - 1;
    *day = (apr_int64_t)apr_atomic_read64(&s->seen_day) - 1;
}

void gsprov_stats_complain(gsprov_stats_t *s, const gsprov_logger_t *log,
                           const char *file, int line,
                           gsprov_log_level_e level, gsprov_throttle_e which,
                           apr_interval_time_t interval, const char *msgid,
                           const char *tenant, const char *what,
                           const char *noun)
{
    apr_uint64_t more = 0;
    char buf[GSPROV_STATS_ERROR_LEN];

    if (s) {
        gsprov_stats_error(s, gsprov_log_msgid(msgid), what);
        if (!gsprov_stats_log_due(s, which, interval, &more))
            return;
    }
    if (!gsprov_log_is_level(log, level))
        return;
    if (more)
        apr_snprintf(buf, sizeof(buf), " (%" APR_UINT64_T_FMT " more %s "
                     "since the last message)", more, noun);
    else
        buf[0] = '\0';
    gsprov_log(log, file, line, level, "%s%s: %s%s", msgid,
               tenant ? tenant : "", what, buf);
}

/* A consistent copy of the last error; 0 if there was none. */
static int last_error(gsprov_stats_t *s, apr_uint32_t *id, apr_time_t *when,
                      char text[GSPROV_STATS_ERROR_LEN])
{
    int tries;
    for (tries = 0; tries < 100; tries++) {
        apr_uint32_t seq = apr_atomic_read32(&s->error_seq);
        if (seq & 1)
            continue;
        *id = s->error_id;
        *when = (apr_time_t)s->error_time;
        memcpy(text, s->error_text, GSPROV_STATS_ERROR_LEN);
        text[GSPROV_STATS_ERROR_LEN - 1] = '\0';
        if (apr_atomic_read32(&s->error_seq) == seq)
            return seq != 0;
    }
    return 0;
}

long long gsprov_stats_percentile(const apr_uint64_t *h, apr_uint64_t n,
                                  double q)
{
    apr_uint64_t want = (apr_uint64_t)((double)n * q + 0.999999), seen = 0;
    int b;
    if (!n)
        return 0;
    for (b = 0; b < GSPROV_STATS_NBUCKETS; b++) {
        seen += h[b];
        if (seen >= want)
            return b < GSPROV_STATS_NBUCKETS - 1
                   ? (long long)bucket_usec[b] : -1;
    }
    return -1;
}

void gsprov_stats_snapshot(gsprov_stats_t *s, gsprov_stats_snap_t *v)
{
    apr_uint64_t n = 0;
    int k, r;
    for (k = 0; k < GSPROV_SK_COUNT; k++)
        for (r = 0; r < GSPROV_SR_COUNT; r++)
            v->req[k][r] = apr_atomic_read64(&s->requests[k][r]);
    v->hits = apr_atomic_read64(&s->cache_hits);
    v->near_hits = apr_atomic_read64(&s->cache_near_hits);
    v->misses = apr_atomic_read64(&s->cache_misses);
    v->errors = apr_atomic_read64(&s->cache_errors);
    v->rejected = apr_atomic_read64(&s->cache_rejected);
    v->stores = apr_atomic_read64(&s->cache_stores);
    v->store_errors = apr_atomic_read64(&s->cache_store_errors);
    v->usec = apr_atomic_read64(&s->render_usec);
    v->db_queries = apr_atomic_read64(&s->db_queries);
    v->db_errors = apr_atomic_read64(&s->db_errors);
    v->db_unavailable = apr_atomic_read64(&s->db_unavailable);
    v->st_recorded = apr_atomic_read64(&s->status_recorded);
    v->st_dropped = apr_atomic_read64(&s->status_dropped);
    v->st_written = apr_atomic_read64(&s->status_written);
    v->st_failed = apr_atomic_read64(&s->status_failed);
    for (k = 0; k < GSPROV_STATS_NBUCKETS; k++)
        n += v->hist[k] = apr_atomic_read64(&s->render_hist[k]);
    /* writers count renders first: take the histogram's own total */
    v->renders = n;
    v->has_error = last_error(s, &v->error_id, &v->error_time,
                              v->error_text);
}

static const char *usec_label(apr_pool_t *p, long long us)
{
    /* (apr_psprintf knows APR's 64-bit formats, not %lld) */
    return us < 0 ? apr_psprintf(p, ">%" APR_UINT64_T_FMT,
                                 bucket_usec[GSPROV_STATS_NBUCKETS - 2])
                  : apr_psprintf(p, "<=%" APR_INT64_T_FMT, (apr_int64_t)us);
}

const char *gsprov_stats_text(apr_pool_t *p, gsprov_stats_t *const *slots,
                              const char *const *templates, int n,
                              apr_time_t since)
{
    /* pieces joined once at the end: no copy of the page per line */
    apr_array_header_t *a = apr_array_make(p, 64 * (n + 1), sizeof(char *));
    char date[APR_RFC822_DATE_LEN];
    int i, k, r;
#define LINE(...) (*(const char **)apr_array_push(a) = apr_psprintf(p, __VA_ARGS__))

    apr_rfc822_date(date, since);
    LINE("Version: %s\nSince: %s\nTenants: %d\n", GSPROV_VERSION_STRING,
         date, n);
    for (i = 0; i < n; i++) {
        gsprov_stats_snap_t v;
        gsprov_stats_snapshot(slots[i], &v);
        LINE("\nTenant: %s\n", slots[i]->tenant);
        if (templates && templates[i])
            LINE("Templates: %s\n", templates[i]);
        for (k = 0; k < GSPROV_SK_COUNT; k++)
            for (r = 0; r < GSPROV_SR_COUNT; r++)
                if (v.req[k][r])
                    LINE("Requests %s %s: %" APR_UINT64_T_FMT "\n",
                         kind_names[k], result_names[r], v.req[k][r]);
        LINE("CacheHits: %" APR_UINT64_T_FMT "\nCacheNearHits: %"
             APR_UINT64_T_FMT "\nCacheMisses: %" APR_UINT64_T_FMT
             "\nCacheErrors: %" APR_UINT64_T_FMT "\nCacheRejected: %"
             APR_UINT64_T_FMT "\nCacheStores: %" APR_UINT64_T_FMT
             "\nCacheStoreErrors: %" APR_UINT64_T_FMT "\n", v.hits,
             v.near_hits, v.misses, v.errors, v.rejected, v.stores,
             v.store_errors);
        LINE("Renders: %" APR_UINT64_T_FMT "\nRenderMeanUsec: %"
             APR_UINT64_T_FMT "\nRenderP50Usec: %s\nRenderP90Usec: %s"
             "\nRenderP99Usec: %s\n", v.renders,
             v.renders ? v.usec / v.renders : 0,
             usec_label(p, gsprov_stats_percentile(v.hist, v.renders, 0.5)),
             usec_label(p, gsprov_stats_percentile(v.hist, v.renders, 0.9)),
             usec_label(p, gsprov_stats_percentile(v.hist, v.renders, 0.99)));
        for (k = 0; k < GSPROV_STATS_NBUCKETS; k++)
            LINE("RenderHistogram %s: %" APR_UINT64_T_FMT "\n",
                 usec_label(p, k < GSPROV_STATS_NBUCKETS - 1
                               ? (long long)bucket_usec[k] : -1),
                 v.hist[k]);
        LINE("DatabaseQueries: %" APR_UINT64_T_FMT "\nDatabaseErrors: %"
             APR_UINT64_T_FMT "\nDatabaseUnavailable: %" APR_UINT64_T_FMT
             "\n", v.db_queries, v.db_errors, v.db_unavailable);
        LINE("DeviceStatusRecorded: %" APR_UINT64_T_FMT
             "\nDeviceStatusDropped: %" APR_UINT64_T_FMT
             "\nDeviceStatusWritten: %" APR_UINT64_T_FMT
             "\nDeviceStatusFailed: %" APR_UINT64_T_FMT "\n", v.st_recorded,
             v.st_dropped, v.st_written, v.st_failed);
        if (v.has_error) {
            apr_rfc822_date(date, v.error_time);
            LINE("LastError: %s GSPROV%04u: %s\n", date,
                 (unsigned)v.error_id, v.error_text);
        }
    }
#undef LINE
    return apr_array_pstrcat(p, a, 0);
}

static apr_status_t json_release(void *j)
{
    json_decref(j);
    return APR_SUCCESS;
}

static apr_status_t dump_release(void *s)
{
    free(s);   /* json_dumps() allocates with malloc */
    return APR_SUCCESS;
}

#define JU(v) json_integer((json_int_t)(v))
#define PCT(q) gsprov_stats_percentile(v.hist, v.renders, (q))

const char *gsprov_stats_json(apr_pool_t *p, gsprov_stats_t *const *slots,
                              const char *const *templates, int n,
                              apr_time_t since)
{
    json_t *root = json_object(), *tenants = json_array();
    char *dump;
    int i, k, r;

    apr_pool_cleanup_register(p, root, json_release, apr_pool_cleanup_null);
    json_object_set_new(root, "version", json_string(GSPROV_VERSION));
    json_object_set_new(root, "since", JU(apr_time_sec(since)));
    json_object_set_new(root, "tenants", tenants);
    for (i = 0; i < n; i++) {
        json_t *t = json_object(), *req = json_object(), *cache, *render,
               *hist = json_array();
        gsprov_stats_snap_t v;
        gsprov_stats_snapshot(slots[i], &v);
        json_array_append_new(tenants, t);
        json_object_set_new(t, "tenant", json_string(slots[i]->tenant));
        json_object_set_new(t, "templates", templates && templates[i]
                            ? json_string(templates[i]) : json_null());
        for (k = 0; k < GSPROV_SK_COUNT; k++) {
            json_t *byres = json_object();
            for (r = 0; r < GSPROV_SR_COUNT; r++)
                json_object_set_new(byres, result_names[r], JU(v.req[k][r]));
            json_object_set_new(req, kind_names[k], byres);
        }
        json_object_set_new(t, "requests", req);
        cache = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                          "hits", (json_int_t)v.hits,
                          "near_hits", (json_int_t)v.near_hits,
                          "misses", (json_int_t)v.misses,
                          "errors", (json_int_t)v.errors,
                          "rejected", (json_int_t)v.rejected,
                          "stores", (json_int_t)v.stores,
                          "store_errors", (json_int_t)v.store_errors);
        json_object_set_new(t, "cache", cache);
        for (k = 0; k < GSPROV_STATS_NBUCKETS; k++)
            json_array_append_new(hist, json_pack("{s:I,s:I}", "le_usec",
                (json_int_t)(k < GSPROV_STATS_NBUCKETS - 1
                             ? (long long)bucket_usec[k] : -1),
                "count", (json_int_t)v.hist[k]));
        render = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}",
                           "count", (json_int_t)v.renders,
                           "mean_usec", (json_int_t)(v.renders
                                        ? v.usec / v.renders : 0),
                           "p50_usec", (json_int_t)PCT(0.5),
                           "p90_usec", (json_int_t)PCT(0.9),
                           "p99_usec", (json_int_t)PCT(0.99),
                           "histogram", hist);
        json_object_set_new(t, "render", render);
        json_object_set_new(t, "database", json_pack("{s:I,s:I,s:I}",
                            "queries", (json_int_t)v.db_queries,
                            "errors", (json_int_t)v.db_errors,
                            "unavailable", (json_int_t)v.db_unavailable));
        json_object_set_new(t, "device_status", json_pack(
                            "{s:I,s:I,s:I,s:I}",
                            "recorded", (json_int_t)v.st_recorded,
                            "dropped", (json_int_t)v.st_dropped,
                            "written", (json_int_t)v.st_written,
                            "failed", (json_int_t)v.st_failed));
        json_object_set_new(t, "last_error", v.has_error
            ? json_pack("{s:I,s:s,s:s}", "time",
                        (json_int_t)apr_time_sec(v.error_time), "id",
                        apr_psprintf(p, "GSPROV%04u", (unsigned)v.error_id),
                        "message", v.error_text)
            : json_null());
    }
    dump = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII);
    if (!dump)
        return "{}\n";
    apr_pool_cleanup_register(p, dump, dump_release, apr_pool_cleanup_null);
    return apr_pstrcat(p, dump, "\n", NULL);
}
