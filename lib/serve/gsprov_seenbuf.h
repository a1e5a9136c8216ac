/*
 * The provisioning status's buffer: what devices fetched, kept in memory
 * until the flusher writes it to the store (GsProvDeviceStatus).  One per
 * child and destination store; filled by request threads, emptied by one
 * flusher thread.
 *
 * Bounded: at most `bound` distinct (MAC, kind) entries wait; a newer
 * request of the same device and kind replaces its entry, and a new one
 * beyond the bound is dropped (the caller counts it), never grown into.
 * Two generations: the flusher takes the filled one whole (a pointer swap
 * under the lock) and writes it while requests fill the other, so a slow
 * store never holds up a request.  Memory: two generations of at most
 * `bound` entries, each string cut to its column's width.
 */
#ifndef GSPROV_SEENBUF_H
#define GSPROV_SEENBUF_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "gsprov_store.h"

typedef struct gsprov_seenbuf gsprov_seenbuf_t;

/* A buffer of at most bound entries (>= 1), living as long as p; NULL
 * if APR has no threads or no mutex could be made. */
gsprov_seenbuf_t *gsprov_seenbuf_create(apr_pool_t *p, int bound);

/* Keep one observation (copied).  Returns 1 if kept as a new entry, 2 if
 * it went into the entry of the same MAC and kind (the newer one wins),
 * 0 if dropped because the buffer is full.  *waiting: the entries waiting
 * now. */
int gsprov_seenbuf_add(gsprov_seenbuf_t *b, const gsprov_seen_t *seen,
                       int *waiting);

/* The entries waiting, as an array of gsprov_seen_t in p (oldest first),
 * and an empty buffer.  Their strings stay valid until the next take: one
 * thread takes. */
apr_array_header_t *gsprov_seenbuf_take(gsprov_seenbuf_t *b, apr_pool_t *p);

/* Entries waiting now. */
int gsprov_seenbuf_waiting(gsprov_seenbuf_t *b);

#endif
