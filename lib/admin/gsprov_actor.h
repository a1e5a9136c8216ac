/*
 * Who makes a change, and the audit entry that records it.  The admin
 * glue fills the actor from the request; lib/admin code that makes
 * changes of its own (the claim) builds its entries with it inside the
 * transaction, so every entry has the same shape:
 *   {"user", "client", "method", "action", "store", ["mac"], ["number"],
 *    "result", ["changes"]}      ("time" is added by the audit sink)
 */
#ifndef GSPROV_ACTOR_H
#define GSPROV_ACTOR_H

#include <apr_pools.h>
#include <jansson.h>

typedef struct {
    const char *user;           /* the authenticated user, NULL if none */
    const char *client;         /* the client's address */
    const char *method;         /* the request method */
} gsprov_actor_t;

/* The entry (tied to p) for a change to mac's record or to the
 * activation of number (either may be NULL) of the store labelled store;
 * changes (see gsprov_record_changes) is referenced, not copied. */
json_t *gsprov_actor_entry(apr_pool_t *p, const gsprov_actor_t *who,
                           const char *store, const char *action,
                           const char *mac, const char *number,
                           const char *result, json_t *changes);

#endif
