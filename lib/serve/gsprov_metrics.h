/*
 * The status counters for monitoring systems: the Prometheus text
 * exposition format 0.0.4 (`?prometheus`, or `Accept: text/plain;
 * version=0.0.4`) and mod_status-style `Key: value` lines (`?auto`).
 * Rendering only; the status handler (src/gsprov_status.c) gathers what
 * is shown.
 */
#ifndef GSPROV_METRICS_H
#define GSPROV_METRICS_H

#include <apr_pools.h>
#include <apr_time.h>
#include "gsprov_stats.h"

/* One tenant (vhost) as the pages show it. */
typedef struct {
    gsprov_stats_t *stats;
    const char *templates_version;  /* its templates' version; NULL: none */
    /* devices seen in the last hour and day; < 0: not known */
    apr_int64_t seen_hour, seen_day;
} gsprov_metrics_tenant_t;

/* What the pages say about the server: counting started at `since` (the
 * last start or graceful restart), and it is `now`. */
typedef struct {
    apr_time_t since, now;
} gsprov_metrics_clock_t;

/* 1 if an Accept header asks for the exposition format: a media range
 * text/plain with version=0.0.4 and a q above 0, anywhere in the list. */
int gsprov_metrics_accepts(apr_pool_t *p, const char *accept);

/* The exposition format.  Tenants of the same name (vhosts that share a
 * ServerName and port) are shown as one: their counters added up. */
const char *gsprov_metrics_prometheus(apr_pool_t *p,
                                      const gsprov_metrics_tenant_t *t,
                                      int n, const gsprov_metrics_clock_t *c);

/* `Key: value` lines, numbers only: the sums over the tenants given. */
const char *gsprov_metrics_auto(apr_pool_t *p,
                                const gsprov_metrics_tenant_t *t, int n,
                                const gsprov_metrics_clock_t *c);

#endif
