/* The monitoring forms of the status page: the Prometheus exposition
 * format (families, labels and their escaping, cumulative buckets,
 * namesake tenants), the ?auto lines, and the Accept negotiation. */
#include "unit.h"
#include "gsprov_metrics.h"
#include "gsprov_version.h"

static gsprov_stats_t s1, s2, s3;

static gsprov_metrics_clock_t clock_at(void)
{
    gsprov_metrics_clock_t c;
    c.since = apr_time_from_sec(1700000000);
    c.now = apr_time_from_sec(1700000000 + 3725) + 999999;
    return c;
}

static gsprov_metrics_tenant_t tenant(gsprov_stats_t *s, const char *ver,
                                      apr_int64_t hour, apr_int64_t day)
{
    gsprov_metrics_tenant_t t;
    t.stats = s;
    t.templates_version = ver;
    t.seen_hour = hour;
    t.seen_day = day;
    return t;
}

/* The line, whole, somewhere in the page. */
#define ck_assert_line(page, line) \
    ck_assert_msg(strstr(apr_pstrcat(pool, "\n", (page), NULL), \
                         "\n" line "\n") != NULL, \
                  "missing line [%s] in:\n%s", line, (page))
#define ck_assert_no(page, text) \
    ck_assert_msg(strstr((page), text) == NULL, \
                  "unexpected [%s] in:\n%s", text, (page))

static int count_of(const char *page, const char *what)
{
    int n = 0;
    const char *p = page;
    while ((p = strstr(p, what))) {
        n++;
        p += strlen(what);
    }
    return n;
}

/* Every sample's family has its # HELP and # TYPE before it, once, and
 * a family's samples are not split by another family. */
static void check_families(const char *page)
{
    char *copy = apr_pstrdup(pool, page), *line, *last;
    apr_hash_t *done = apr_hash_make(pool);
    const char *current = NULL;
    int helped = 0;

    for (line = apr_strtok(copy, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char name[128];
        if (strncmp(line, "# HELP ", 7) == 0) {
            ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
            ck_assert_msg(!apr_hash_get(done, name, APR_HASH_KEY_STRING),
                          "family %s twice", name);
            current = apr_pstrdup(pool, name);
            apr_hash_set(done, current, APR_HASH_KEY_STRING, "");
            helped = 1;
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
            ck_assert_msg(helped && current && strcmp(name, current) == 0,
                          "TYPE without its HELP: %s", line);
            helped = 0;
            continue;
        }
        ck_assert_int_eq(sscanf(line, "%127[a-z_]", name), 1);
        ck_assert_msg(current && strncmp(name, current,
                                         strlen(current)) == 0,
                      "sample %s outside its family (%s)", line,
                      current ? current : "none");
    }
}

static void fill(void)
{
    gsprov_stats_init(&s1, "prov.a.example:443");
    gsprov_stats_init(&s2, "prov.b.example:443");
    /* tenant a: 3 device-xml ok, 1 denied, 2 firmware not-found */
    gsprov_stats_request(&s1, GSPROV_SK_DEVICE_XML, 200);
    gsprov_stats_request(&s1, GSPROV_SK_DEVICE_XML, 304);
    gsprov_stats_request(&s1, GSPROV_SK_DEVICE_XML, 200);
    gsprov_stats_request(&s1, GSPROV_SK_DEVICE_XML, 401);
    gsprov_stats_request(&s1, GSPROV_SK_FIRMWARE, 404);
    gsprov_stats_request(&s1, GSPROV_SK_FIRMWARE, 404);
    /* renders of 50 us, 300 us twice and 0.2 s (beyond the last bound) */
    gsprov_stats_render(&s1, 50);
    gsprov_stats_render(&s1, 300);
    gsprov_stats_render(&s1, 300);
    gsprov_stats_render(&s1, 200000);
    s1.cache_hits = 7;
    s1.cache_near_hits = 5;
    s1.cache_misses = 4;
    s1.db_queries = 11;
    s1.db_unavailable = 1;
    s1.status_recorded = 5;
    s1.status_written = 6;
    s2.status_recorded = 4;
    s2.status_failed = 3;
    /* tenant b: one generic-xml 500 */
    gsprov_stats_request(&s2, GSPROV_SK_GENERIC_XML, 500);
    gsprov_stats_render(&s2, 1000);
}

START_TEST(metrics_prometheus_one_tenant)
{
    gsprov_metrics_tenant_t t;
    gsprov_metrics_clock_t c = clock_at();
    const char *page;

    fill();
    t = tenant(&s1, "ab12", -1, -1);
    page = gsprov_metrics_prometheus(pool, &t, 1, &c);
    check_families(page);
    ck_assert_line(page, "# HELP mod_gsprov_build_info The module's "
                   "version, as a label; always 1.");
    ck_assert_line(page, "# TYPE mod_gsprov_build_info gauge");
    ck_assert_line(page, "mod_gsprov_build_info{version=\""
                   GSPROV_VERSION "\"} 1");
    ck_assert_line(page, "mod_gsprov_start_time_seconds 1700000000");
    ck_assert_line(page, "mod_gsprov_uptime_seconds 3725");
    ck_assert_line(page, "# TYPE mod_gsprov_requests_total counter");
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.a.example"
                   ":443\",kind=\"device-xml\",result=\"ok\"} 3");
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.a.example"
                   ":443\",kind=\"device-xml\",result=\"denied\"} 1");
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.a.example"
                   ":443\",kind=\"firmware\",result=\"not-found\"} 2");
    /* zeros are there too, so a rate never starts from a missing series */
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.a.example"
                   ":443\",kind=\"model-xml\",result=\"error\"} 0");
    ck_assert_int_eq(count_of(page, "\nmod_gsprov_requests_total{"),
                     GSPROV_SK_COUNT * GSPROV_SR_COUNT);
    ck_assert_line(page, "# TYPE mod_gsprov_cache_hits_total counter");
    ck_assert_line(page, "mod_gsprov_cache_hits_total{tenant=\""
                   "prov.a.example:443\"} 7");
    ck_assert_line(page, "mod_gsprov_cache_near_hits_total{tenant=\""
                   "prov.a.example:443\"} 5");
    ck_assert_line(page, "mod_gsprov_cache_misses_total{tenant=\""
                   "prov.a.example:443\"} 4");
    ck_assert_line(page, "mod_gsprov_database_queries_total{tenant=\""
                   "prov.a.example:443\"} 11");
    ck_assert_line(page, "mod_gsprov_database_unavailable_total{tenant=\""
                   "prov.a.example:443\"} 1");
    ck_assert_line(page, "# TYPE mod_gsprov_device_status_recorded_total "
                   "counter");
    ck_assert_line(page, "mod_gsprov_device_status_recorded_total{tenant=\""
                   "prov.a.example:443\"} 5");
    ck_assert_line(page, "mod_gsprov_device_status_written_total{tenant=\""
                   "prov.a.example:443\"} 6");
    /* the histogram: cumulative, in seconds, +Inf and _count the total */
    ck_assert_line(page, "# TYPE mod_gsprov_render_seconds histogram");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"0.0001\"} 1");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"0.00025\"} 1");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"0.0005\"} 3");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"0.01\"} 3");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"0.1\"} 3");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"+Inf\"} 4");
    ck_assert_line(page, "mod_gsprov_render_seconds_sum{tenant=\""
                   "prov.a.example:443\"} 0.20065");
    ck_assert_line(page, "mod_gsprov_render_seconds_count{tenant=\""
                   "prov.a.example:443\"} 4");
    ck_assert_int_eq(count_of(page, "\nmod_gsprov_render_seconds_bucket{"),
                     GSPROV_STATS_NBUCKETS);
    ck_assert_line(page, "# TYPE mod_gsprov_templates_info gauge");
    ck_assert_line(page, "mod_gsprov_templates_info{tenant=\""
                   "prov.a.example:443\",version=\"ab12\"} 1");
    /* not known: not shown (rather than a made-up 0) */
    ck_assert_no(page, "devices_seen");
    ck_assert(page[strlen(page) - 1] == '\n');
}
END_TEST

START_TEST(metrics_prometheus_tenants_apart)
{
    gsprov_metrics_tenant_t t[2];
    gsprov_metrics_clock_t c = clock_at();
    const char *page;

    fill();
    t[0] = tenant(&s1, NULL, 12, 30);
    t[1] = tenant(&s2, "ffee", 0, 2);
    page = gsprov_metrics_prometheus(pool, t, 2, &c);
    check_families(page);
    ck_assert_int_eq(count_of(page, "# TYPE mod_gsprov_requests_total "), 1);
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.b.example"
                   ":443\",kind=\"generic-xml\",result=\"error\"} 1");
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.b.example"
                   ":443\",kind=\"device-xml\",result=\"ok\"} 0");
    ck_assert_line(page, "mod_gsprov_render_seconds_count{tenant=\""
                   "prov.b.example:443\"} 1");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.b.example:443\",le=\"0.0005\"} 0");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.b.example:443\",le=\"0.001\"} 1");
    ck_assert_line(page, "mod_gsprov_render_seconds_sum{tenant=\""
                   "prov.b.example:443\"} 0.001");
    ck_assert_line(page, "mod_gsprov_cache_hits_total{tenant=\""
                   "prov.b.example:443\"} 0");
    /* only the tenant with templates has an _info line */
    ck_assert_int_eq(count_of(page, "\nmod_gsprov_templates_info{"), 1);
    ck_assert_line(page, "mod_gsprov_templates_info{tenant=\""
                   "prov.b.example:443\",version=\"ffee\"} 1");
    ck_assert_line(page, "# TYPE mod_gsprov_devices_seen_last_hour gauge");
    ck_assert_line(page, "mod_gsprov_devices_seen_last_hour{tenant=\""
                   "prov.a.example:443\"} 12");
    ck_assert_line(page, "mod_gsprov_devices_seen_last_hour{tenant=\""
                   "prov.b.example:443\"} 0");
    ck_assert_line(page, "mod_gsprov_devices_seen_last_day{tenant=\""
                   "prov.a.example:443\"} 30");
    ck_assert_line(page, "mod_gsprov_devices_seen_last_day{tenant=\""
                   "prov.b.example:443\"} 2");
}
END_TEST

/* Two vhosts of one name would be duplicate series, which Prometheus
 * rejects: they are one tenant, counted together. */
START_TEST(metrics_prometheus_namesakes_added)
{
    gsprov_metrics_tenant_t t[3];
    gsprov_metrics_clock_t c = clock_at();
    const char *page;

    fill();
    gsprov_stats_init(&s3, "prov.a.example:443");
    gsprov_stats_request(&s3, GSPROV_SK_DEVICE_XML, 200);
    gsprov_stats_render(&s3, 100);
    s3.cache_hits = 3;
    t[0] = tenant(&s1, "ab12", 5, 9);
    t[1] = tenant(&s2, NULL, -1, -1);
    t[2] = tenant(&s3, "ab12", 7, 8);
    page = gsprov_metrics_prometheus(pool, t, 3, &c);
    check_families(page);
    ck_assert_int_eq(count_of(page, "\nmod_gsprov_cache_hits_total{"), 2);
    ck_assert_line(page, "mod_gsprov_requests_total{tenant=\"prov.a.example"
                   ":443\",kind=\"device-xml\",result=\"ok\"} 4");
    ck_assert_line(page, "mod_gsprov_cache_hits_total{tenant=\""
                   "prov.a.example:443\"} 10");
    ck_assert_line(page, "mod_gsprov_render_seconds_bucket{tenant=\""
                   "prov.a.example:443\",le=\"0.0001\"} 2");
    ck_assert_line(page, "mod_gsprov_render_seconds_count{tenant=\""
                   "prov.a.example:443\"} 5");
    ck_assert_int_eq(count_of(page, "\nmod_gsprov_templates_info{"), 1);
    ck_assert_line(page, "mod_gsprov_devices_seen_last_hour{tenant=\""
                   "prov.a.example:443\"} 7");
    ck_assert_line(page, "mod_gsprov_devices_seen_last_day{tenant=\""
                   "prov.a.example:443\"} 9");
    ck_assert_int_eq(count_of(page, "\nmod_gsprov_devices_seen_last_day{"),
                     1);
}
END_TEST

START_TEST(metrics_prometheus_label_escaped)
{
    gsprov_metrics_tenant_t t;
    gsprov_metrics_clock_t c = clock_at();
    const char *page;

    gsprov_stats_init(&s1, "we\"ird\\name\nx");
    t = tenant(&s1, "v\"1", 1, 1);
    page = gsprov_metrics_prometheus(pool, &t, 1, &c);
    ck_assert_line(page, "mod_gsprov_cache_hits_total{tenant=\"we\\\"ird"
                   "\\\\name\\nx\"} 0");
    ck_assert_line(page, "mod_gsprov_templates_info{tenant=\"we\\\"ird"
                   "\\\\name\\nx\",version=\"v\\\"1\"} 1");
    /* one line per sample: the raw line feed never reaches the page */
    ck_assert_no(page, "name\nx");
}
END_TEST

START_TEST(metrics_prometheus_no_tenants)
{
    gsprov_metrics_clock_t c = clock_at();
    const char *page = gsprov_metrics_prometheus(pool, NULL, 0, &c);
    check_families(page);
    ck_assert_line(page, "mod_gsprov_build_info{version=\""
                   GSPROV_VERSION "\"} 1");
    ck_assert_no(page, "tenant=");
}
END_TEST

START_TEST(metrics_auto_exact)
{
    gsprov_metrics_tenant_t t[2];
    gsprov_metrics_clock_t c = clock_at();

    fill();
    t[0] = tenant(&s1, "ab12", 12, 30);
    t[1] = tenant(&s2, NULL, -1, -1);
    ck_assert_str_eq(gsprov_metrics_auto(pool, t, 2, &c),
        "Tenants: 2\n"
        "StartTime: 1700000000\n"
        "UptimeSeconds: 3725\n"
        "Requests: 7\n"
        "RequestsDeviceXml: 4\n"
        "RequestsDeviceBin: 0\n"
        "RequestsModelXml: 0\n"
        "RequestsGenericXml: 1\n"
        "RequestsFirmware: 2\n"
        "RequestsOther: 0\n"
        "AnsweredOk: 3\n"
        "AnsweredNotFound: 2\n"
        "AnsweredDenied: 1\n"
        "AnsweredError: 1\n"
        "AnsweredOther: 0\n"
        "CacheHits: 7\n"
        "CacheNearHits: 5\n"
        "CacheMisses: 4\n"
        "CacheErrors: 0\n"
        "CacheRejected: 0\n"
        "CacheStores: 0\n"
        "CacheStoreErrors: 0\n"
        "DatabaseQueries: 11\n"
        "DatabaseErrors: 0\n"
        "DatabaseUnavailable: 1\n"
        "DeviceStatusRecorded: 9\n"
        "DeviceStatusDropped: 0\n"
        "DeviceStatusWritten: 6\n"
        "DeviceStatusFailed: 3\n"
        "Renders: 5\n"
        "RenderUsecTotal: 201650\n"
        "RenderMeanUsec: 40330\n"
        "RenderP50Usec: 500\n"
        "RenderP90Usec: -1\n"
        "RenderP99Usec: -1\n"
        "DevicesSeenLastHour: 12\n"
        "DevicesSeenLastDay: 30\n");
    /* nothing known about devices seen: no such lines */
    t[0].seen_hour = t[0].seen_day = -1;
    ck_assert_no(gsprov_metrics_auto(pool, t, 2, &c), "DevicesSeen");
}
END_TEST

START_TEST(metrics_accept_negotiation)
{
    static const char *const yes[] = {
        "text/plain; version=0.0.4",
        "text/plain;version=0.0.4",
        "TEXT/Plain; Version=0.0.4; charset=utf-8",
        "text/plain; version=\"0.0.4\"",
        /* what Prometheus 2.x sends */
        "application/openmetrics-text;version=1.0.0,application/"
        "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
        "q=0.5,*/*;q=0.1",
        "application/json, text/plain; version=0.0.4; q=0.2",
    };
    static const char *const no[] = {
        "", "text/plain", "text/plain; charset=utf-8", "*/*",
        "text/plain; version=0.0.5", "text/plain; version=0.0.4x",
        "text/html; version=0.0.4", "application/json",
        "text/plain; version=0.0.4; q=0", "text/plain; version=0.0.4;q=0.0",
        "application/openmetrics-text; version=1.0.0",
        "text/plain; v=0.0.4", "text/plainx; version=0.0.4",
    };
    apr_size_t i;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ck_assert_msg(gsprov_metrics_accepts(pool, yes[i]), "[%s]", yes[i]);
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ck_assert_msg(!gsprov_metrics_accepts(pool, no[i]), "[%s]", no[i]);
    ck_assert(!gsprov_metrics_accepts(pool, NULL));
}
END_TEST

/* The devices-seen counts: not known until set, one counter per
 * interval, the counts as set (0 is a count, not "unknown"). */
START_TEST(metrics_seen_counted_once_per_interval)
{
    apr_int64_t hour, day;

    gsprov_stats_init(&s1, "t");
    gsprov_stats_seen_get(&s1, &hour, &day);
    ck_assert_int_eq(hour, -1);
    ck_assert_int_eq(day, -1);
    ck_assert_int_eq(gsprov_stats_seen_due(&s1, apr_time_from_sec(60)), 1);
    /* the next callers within the interval use the counts */
    ck_assert_int_eq(gsprov_stats_seen_due(&s1, apr_time_from_sec(60)), 0);
    ck_assert_int_eq(gsprov_stats_seen_due(&s1, apr_time_from_sec(60)), 0);
    gsprov_stats_seen_set(&s1, 0, 41);
    gsprov_stats_seen_get(&s1, &hour, &day);
    ck_assert_int_eq(hour, 0);
    ck_assert_int_eq(day, 41);
    /* a count that failed: not known again */
    gsprov_stats_seen_set(&s1, -1, -1);
    gsprov_stats_seen_get(&s1, &hour, &day);
    ck_assert_int_eq(hour, -1);
    ck_assert_int_eq(day, -1);
    /* a zero interval: due every time */
    ck_assert_int_eq(gsprov_stats_seen_due(&s1, 0), 1);
    ck_assert_int_eq(gsprov_stats_seen_due(&s1, 0), 1);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = unit_tcase("metrics");
    tcase_add_test(tc, metrics_prometheus_one_tenant);
    tcase_add_test(tc, metrics_prometheus_tenants_apart);
    tcase_add_test(tc, metrics_prometheus_namesakes_added);
    tcase_add_test(tc, metrics_prometheus_label_escaped);
    tcase_add_test(tc, metrics_prometheus_no_tenants);
    tcase_add_test(tc, metrics_auto_exact);
    tcase_add_test(tc, metrics_accept_negotiation);
    tcase_add_test(tc, metrics_seen_counted_once_per_interval);
    suite_add_tcase(s, tc);
    return s;
}
