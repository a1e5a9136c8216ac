/*
 * The provisioning status's rules, shared by both stores and the admin
 * API: which requests count as the device having been served its
 * config, one device's observations of a batch together, and a status as
 * the API shows it.
 */
#ifndef GSPROV_SEEN_H
#define GSPROV_SEEN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "gsprov_store.h"

/* 1 if seen is its record served: a device file (xml, bin) or redirect
 * answered 200 with the record's version. */
int gsprov_seen_serves(const gsprov_seen_t *seen);

/* One device's share of a batch. */
typedef struct {
    const char *mac;
    const gsprov_seen_t *last;      /* its newest observation */
    const gsprov_seen_t *served;    /* its newest that serves (above), or
                                     * NULL */
    apr_array_header_t *each;       /* const gsprov_seen_t *, batch order */
} gsprov_seen_dev_t;

/* The batch (gsprov_seen_t) by device: an array of gsprov_seen_dev_t in
 * the order each MAC first appears. */
apr_array_header_t *gsprov_seen_by_device(apr_pool_t *p,
                                          const apr_array_header_t *batch);

/* A kind's index in GSPROV_SEEN_KINDS, or -1. */
int gsprov_seen_kind_index(const char *kind);

/* st as GET /devices/<mac> shows it ("status"); in_sync compares its
 * served_version with record_version (the record's current version). */
json_t *gsprov_seen_json(apr_pool_t *p, const gsprov_devstatus_t *st,
                         const char *record_version);

#endif
