#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include "gsprov_metrics.h"
#include "gsprov_version.h"

#define PREFIX "mod_gsprov_"

static const apr_uint64_t bucket_usec[GSPROV_STATS_NBUCKETS - 1] =
    GSPROV_STATS_BUCKETS;

/* The plain counters: one table for both pages, so a name is never on
 * one and missing from the other. */
static const struct counter {
    const char *prom, *key, *help;
    size_t off;                 /* of its apr_uint64_t in the snapshot */
} counters[] = {
#define OFF(f) offsetof(gsprov_stats_snap_t, f)
    { "cache_hits_total", "CacheHits",
      "Files served from the cache (memcached or the near cache).",
      OFF(hits) },
    { "cache_near_hits_total", "CacheNearHits",
      "Of the cache hits, those from the child's near cache.",
      OFF(near_hits) },
    { "cache_misses_total", "CacheMisses",
      "Files not found in the cache, rendered.", OFF(misses) },
    { "cache_errors_total", "CacheErrors",
      "Cache reads that failed (the file was rendered).", OFF(errors) },
    { "cache_rejected_total", "CacheRejected",
      "Cached values that were not stored for their key (rendered).",
      OFF(rejected) },
    { "cache_stores_total", "CacheStores",
      "Rendered files stored in the cache.", OFF(stores) },
    { "cache_store_errors_total", "CacheStoreErrors",
      "Rendered files the cache failed to store.", OFF(store_errors) },
    { "database_queries_total", "DatabaseQueries",
      "Database statements run (GsProvStore dbd).", OFF(db_queries) },
    { "database_errors_total", "DatabaseErrors",
      "Database statements that failed.", OFF(db_errors) },
    { "database_unavailable_total", "DatabaseUnavailable",
      "Requests answered 503 because the database could not answer.",
      OFF(db_unavailable) },
    { "device_status_recorded_total", "DeviceStatusRecorded",
      "Device requests recorded for the provisioning status.",
      OFF(st_recorded) },
    { "device_status_dropped_total", "DeviceStatusDropped",
      "Device requests not recorded: a child's status buffer was full.",
      OFF(st_dropped) },
    { "device_status_written_total", "DeviceStatusWritten",
      "Provisioning status entries written to the store.",
      OFF(st_written) },
    { "device_status_failed_total", "DeviceStatusFailed",
      "Provisioning status entries whose write to the store failed.",
      OFF(st_failed) },
#undef OFF
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static apr_uint64_t counter_of(const gsprov_stats_snap_t *v,
                               const struct counter *c)
{
    return *(const apr_uint64_t *)(const void *)((const char *)v + c->off);
}

/* A tenant as shown: its counters read once, added up with those of
 * other slots of the same name. */
typedef struct {
    const char *name;
    gsprov_stats_snap_t v;
    apr_array_header_t *versions;   /* distinct template versions */
    apr_int64_t seen_hour, seen_day;
} row_t;

static void snap_add(gsprov_stats_snap_t *a, const gsprov_stats_snap_t *b)
{
    size_t i;
    int k, r;
    for (k = 0; k < GSPROV_SK_COUNT; k++)
        for (r = 0; r < GSPROV_SR_COUNT; r++)
            a->req[k][r] += b->req[k][r];
    for (i = 0; i < NCOUNTERS; i++)
        *(apr_uint64_t *)(void *)((char *)a + counters[i].off) +=
            counter_of(b, &counters[i]);
    for (k = 0; k < GSPROV_STATS_NBUCKETS; k++)
        a->hist[k] += b->hist[k];
    a->renders += b->renders;
    a->usec += b->usec;
}

/* Namesakes count the same devices when they share a store or database
 * tenant (the usual reason for the same name): the larger, not the sum. */
static apr_int64_t seen_merge(apr_int64_t a, apr_int64_t b)
{
    return a > b ? a : b;
}

static apr_array_header_t *rows_of(apr_pool_t *p,
                                   const gsprov_metrics_tenant_t *t, int n)
{
    /* sized for n rows up front: row pointers stay valid while pushing */
    apr_array_header_t *rows = apr_array_make(p, n > 0 ? n : 1,
                                              sizeof(row_t));
    apr_hash_t *by_name = apr_hash_make(p);
    int i, j;

    for (i = 0; i < n; i++) {
        const char *name = t[i].stats->tenant;
        row_t *row = apr_hash_get(by_name, name, APR_HASH_KEY_STRING);
        gsprov_stats_snap_t v;

        gsprov_stats_snapshot(t[i].stats, &v);
        if (!row) {
            row = apr_array_push(rows);
            row->name = name;
            row->v = v;
            row->versions = apr_array_make(p, 1, sizeof(const char *));
            row->seen_hour = t[i].seen_hour;
            row->seen_day = t[i].seen_day;
            apr_hash_set(by_name, name, APR_HASH_KEY_STRING, row);
        }
        else {
            snap_add(&row->v, &v);
            row->seen_hour = seen_merge(row->seen_hour, t[i].seen_hour);
            row->seen_day = seen_merge(row->seen_day, t[i].seen_day);
        }
        if (!t[i].templates_version)
            continue;
        for (j = 0; j < row->versions->nelts; j++)
            if (strcmp(APR_ARRAY_IDX(row->versions, j, const char *),
                       t[i].templates_version) == 0)
                break;
        if (j == row->versions->nelts)
            APR_ARRAY_PUSH(row->versions, const char *) =
                t[i].templates_version;
    }
    return rows;
}

/* ---- output ---- */

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *pieces;     /* joined once at the end */
} out_t;

static void put(out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    APR_ARRAY_PUSH(o->pieces, const char *) = apr_pvsprintf(o->p, fmt, ap);
    va_end(ap);
}

static out_t out_make(apr_pool_t *p, int n)
{
    out_t o;
    o.p = p;
    o.pieces = apr_array_make(p, 128 * (n + 1), sizeof(const char *));
    return o;
}

static const char *out_done(out_t *o)
{
    return apr_array_pstrcat(o->p, o->pieces, 0);
}

/* A label value as the format has it: backslash, double quote and line
 * feed escaped. */
static const char *label(apr_pool_t *p, const char *v)
{
    apr_size_t n = 0;
    const char *s;
    char *e, *d;

    for (s = v; *s; s++)
        n += *s == '\\' || *s == '"' || *s == '\n' ? 2 : 1;
    e = d = apr_palloc(p, n + 1);
    for (s = v; *s; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n')
            *d++ = '\\';
        *d++ = *s == '\n' ? 'n' : *s;
    }
    *d = '\0';
    return e;
}

/* Microseconds as decimal seconds, exactly (no floating point). */
static const char *seconds(apr_pool_t *p, apr_uint64_t us)
{
    char frac[16];
    int i;

    apr_snprintf(frac, sizeof(frac), "%06" APR_UINT64_T_FMT, us % 1000000);
    for (i = 5; i >= 0 && frac[i] == '0'; i--)
        frac[i] = '\0';
    return apr_psprintf(p, "%" APR_UINT64_T_FMT "%s%s", us / 1000000,
                        i < 0 ? "" : ".", i < 0 ? "" : frac);
}

static void family(out_t *o, const char *name, const char *type,
                   const char *help)
{
    put(o, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help,
        name, type);
}

/* A gauge of devices seen, for the tenants where it is known. */
static void seen_family(out_t *o, const apr_array_header_t *rows,
                        const char *name, const char *help, int day)
{
    int i, any = 0;
    for (i = 0; i < rows->nelts; i++) {
        const row_t *r = &APR_ARRAY_IDX(rows, i, row_t);
        apr_int64_t n = day ? r->seen_day : r->seen_hour;
        if (n < 0)
            continue;
        if (!any++)
            family(o, name, "gauge", help);
        put(o, PREFIX "%s{tenant=\"%s\"} %" APR_INT64_T_FMT "\n", name,
            label(o->p, r->name), n);
    }
}

const char *gsprov_metrics_prometheus(apr_pool_t *p,
                                      const gsprov_metrics_tenant_t *t,
                                      int n, const gsprov_metrics_clock_t *c)
{
    apr_array_header_t *rows = rows_of(p, t, n);
    out_t o = out_make(p, rows->nelts);
    const char **tl = apr_palloc(p, sizeof(*tl) * (rows->nelts + 1));
    size_t f;
    int i, k, r;

    for (i = 0; i < rows->nelts; i++)
        tl[i] = label(p, APR_ARRAY_IDX(rows, i, row_t).name);
#define ROW(i) (&APR_ARRAY_IDX(rows, (i), row_t))

    family(&o, "build_info", "gauge",
           "The module's version, as a label; always 1.");
    put(&o, PREFIX "build_info{version=\"%s\"} 1\n", label(p, GSPROV_VERSION));
    family(&o, "start_time_seconds", "gauge", "When the counters started "
           "at zero (the last start or graceful restart), in seconds since "
           "the epoch.");
    put(&o, PREFIX "start_time_seconds %" APR_INT64_T_FMT "\n",
        (apr_int64_t)apr_time_sec(c->since));
    family(&o, "uptime_seconds", "gauge",
           "Seconds since the counters started at zero.");
    put(&o, PREFIX "uptime_seconds %" APR_INT64_T_FMT "\n",
        c->now > c->since ? (apr_int64_t)apr_time_sec(c->now - c->since)
                          : (apr_int64_t)0);

    family(&o, "requests_total", "counter", "Device requests by the kind of "
           "file asked for and how they were answered.");
    for (i = 0; i < rows->nelts; i++)
        for (k = 0; k < GSPROV_SK_COUNT; k++)
            for (r = 0; r < GSPROV_SR_COUNT; r++)
                put(&o, PREFIX "requests_total{tenant=\"%s\",kind=\"%s\","
                    "result=\"%s\"} %" APR_UINT64_T_FMT "\n", tl[i],
                    gsprov_stats_kind_name((gsprov_stat_kind_e)k),
                    gsprov_stats_result_name((gsprov_stat_result_e)r),
                    ROW(i)->v.req[k][r]);

    for (f = 0; f < NCOUNTERS; f++) {
        family(&o, counters[f].prom, "counter", counters[f].help);
        for (i = 0; i < rows->nelts; i++)
            put(&o, PREFIX "%s{tenant=\"%s\"} %" APR_UINT64_T_FMT "\n",
                counters[f].prom, tl[i], counter_of(&ROW(i)->v,
                                                    &counters[f]));
    }

    family(&o, "render_seconds", "histogram",
           "Time to render a configuration file (cache misses).");
    for (i = 0; i < rows->nelts; i++) {
        const gsprov_stats_snap_t *v = &ROW(i)->v;
        apr_uint64_t cum = 0;
        for (k = 0; k < GSPROV_STATS_NBUCKETS - 1; k++) {
            cum += v->hist[k];
            put(&o, PREFIX "render_seconds_bucket{tenant=\"%s\",le=\"%s\"} %"
                APR_UINT64_T_FMT "\n", tl[i], seconds(p, bucket_usec[k]),
                cum);
        }
        put(&o, PREFIX "render_seconds_bucket{tenant=\"%s\",le=\"+Inf\"} %"
            APR_UINT64_T_FMT "\n", tl[i], v->renders);
        put(&o, PREFIX "render_seconds_sum{tenant=\"%s\"} %s\n", tl[i],
            seconds(p, v->usec));
        put(&o, PREFIX "render_seconds_count{tenant=\"%s\"} %"
            APR_UINT64_T_FMT "\n", tl[i], v->renders);
    }

    {
        int any = 0;
        for (i = 0; i < rows->nelts; i++) {
            const apr_array_header_t *vs = ROW(i)->versions;
            int j;
            for (j = 0; j < vs->nelts; j++) {
                if (!any++)
                    family(&o, "templates_info", "gauge", "The version "
                           "(SHA-256) of the templates a tenant serves, as "
                           "a label; always 1.");
                put(&o, PREFIX "templates_info{tenant=\"%s\",version=\"%s\"}"
                    " 1\n", tl[i], label(p, APR_ARRAY_IDX(vs, j,
                                                          const char *)));
            }
        }
    }
    seen_family(&o, rows, "devices_seen_last_hour", "Devices of the tenant "
                "that made a request in the last hour.", 0);
    seen_family(&o, rows, "devices_seen_last_day", "Devices of the tenant "
                "that made a request in the last 24 hours.", 1);
#undef ROW
    return out_done(&o);
}

/* "device-xml" -> "DeviceXml" */
static const char *camel(apr_pool_t *p, const char *name)
{
    char *s = apr_pstrdup(p, name), *d = s;
    int up = 1;
    for (; *name; name++) {
        if (*name == '-') {
            up = 1;
            continue;
        }
        *d++ = up ? (char)apr_toupper(*name) : *name;
        up = 0;
    }
    *d = '\0';
    return s;
}

const char *gsprov_metrics_auto(apr_pool_t *p,
                                const gsprov_metrics_tenant_t *t, int n,
                                const gsprov_metrics_clock_t *c)
{
    apr_array_header_t *rows = rows_of(p, t, n);
    out_t o = out_make(p, 1);
    gsprov_stats_snap_t sum;
    apr_uint64_t all = 0, by_kind[GSPROV_SK_COUNT] = { 0 },
                 by_result[GSPROV_SR_COUNT] = { 0 };
    apr_int64_t hour = -1, day = -1;
    size_t f;
    int i, k, r;

    memset(&sum, 0, sizeof(sum));
    for (i = 0; i < rows->nelts; i++) {
        const row_t *row = &APR_ARRAY_IDX(rows, i, row_t);
        snap_add(&sum, &row->v);
        /* a tenant that is not known counts for nothing, not for all */
        if (row->seen_hour >= 0)
            hour = (hour < 0 ? 0 : hour) + row->seen_hour;
        if (row->seen_day >= 0)
            day = (day < 0 ? 0 : day) + row->seen_day;
    }
    for (k = 0; k < GSPROV_SK_COUNT; k++)
        for (r = 0; r < GSPROV_SR_COUNT; r++) {
            by_kind[k] += sum.req[k][r];
            by_result[r] += sum.req[k][r];
            all += sum.req[k][r];
        }

    put(&o, "Tenants: %d\n", rows->nelts);
    put(&o, "StartTime: %" APR_INT64_T_FMT "\n",
        (apr_int64_t)apr_time_sec(c->since));
    put(&o, "UptimeSeconds: %" APR_INT64_T_FMT "\n",
        c->now > c->since ? (apr_int64_t)apr_time_sec(c->now - c->since)
                          : (apr_int64_t)0);
    put(&o, "Requests: %" APR_UINT64_T_FMT "\n", all);
    for (k = 0; k < GSPROV_SK_COUNT; k++)
        put(&o, "Requests%s: %" APR_UINT64_T_FMT "\n", camel(p,
            gsprov_stats_kind_name((gsprov_stat_kind_e)k)), by_kind[k]);
    for (r = 0; r < GSPROV_SR_COUNT; r++)
        put(&o, "Answered%s: %" APR_UINT64_T_FMT "\n", camel(p,
            gsprov_stats_result_name((gsprov_stat_result_e)r)),
            by_result[r]);
    for (f = 0; f < NCOUNTERS; f++)
        put(&o, "%s: %" APR_UINT64_T_FMT "\n", counters[f].key,
            counter_of(&sum, &counters[f]));
    put(&o, "Renders: %" APR_UINT64_T_FMT "\nRenderUsecTotal: %"
        APR_UINT64_T_FMT "\nRenderMeanUsec: %" APR_UINT64_T_FMT "\n",
        sum.renders, sum.usec, sum.renders ? sum.usec / sum.renders : 0);
    put(&o, "RenderP50Usec: %" APR_INT64_T_FMT "\nRenderP90Usec: %"
        APR_INT64_T_FMT "\nRenderP99Usec: %" APR_INT64_T_FMT "\n",
        (apr_int64_t)gsprov_stats_percentile(sum.hist, sum.renders, 0.5),
        (apr_int64_t)gsprov_stats_percentile(sum.hist, sum.renders, 0.9),
        (apr_int64_t)gsprov_stats_percentile(sum.hist, sum.renders, 0.99));
    if (hour >= 0)
        put(&o, "DevicesSeenLastHour: %" APR_INT64_T_FMT "\n", hour);
    if (day >= 0)
        put(&o, "DevicesSeenLastDay: %" APR_INT64_T_FMT "\n", day);
    return out_done(&o);
}

int gsprov_metrics_accepts(apr_pool_t *p, const char *accept)
{
    char *list, *range, *last_range;

    if (!accept)
        return 0;
    list = apr_pstrdup(p, accept);
    for (range = apr_strtok(list, ",", &last_range); range;
         range = apr_strtok(NULL, ",", &last_range)) {
        char *param, *last_param, *type;
        int version = 0, q_zero = 0;

        /* (apr_collapse_spaces returns the end of the string) */
        type = apr_strtok(range, ";", &last_param);
        if (!type)
            continue;
        apr_collapse_spaces(type, type);
        if (strcasecmp(type, "text/plain") != 0)
            continue;
        while ((param = apr_strtok(NULL, ";", &last_param))) {
            char *eq = strchr(param, '='), *name = param, *value;
            apr_size_t len;
            if (!eq)
                continue;
            *eq = '\0';
            value = eq + 1;
            apr_collapse_spaces(name, name);
            apr_collapse_spaces(value, value);
            len = strlen(value);
            /* a quoted-string value */
            if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
                value[len - 1] = '\0';
                value++;
            }
            if (strcasecmp(name, "version") == 0)
                version = strcmp(value, "0.0.4") == 0;
            else if (strcasecmp(name, "q") == 0)
                q_zero = strtod(value, NULL) <= 0.0;
        }
        if (version && !q_zero)
            return 1;
    }
    return 0;
}
