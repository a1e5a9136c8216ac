/*
 * Who makes a change, and the audit entry that records it.  The admin
 * glue fills the actor from the request; lib/admin code that makes
 * changes of its own (the claim) audits them the same way, inside its
 * transaction, so every entry has the same shape:
 *   {"user", "client", "method", "action", "store", ["mac"], ["number"],
 *    "result", ["changes"]}      ("time" is added by the audit sink)
 */
#ifndef GSPROV_ACTOR_H
#define GSPROV_ACTOR_H

#include <jansson.h>
#include "gsprov_store.h"

typedef struct {
    const char *user;           /* the authenticated user, NULL if none */
    const char *client;         /* the client's address */
    const char *method;         /* the request method */
} gsprov_actor_t;

/* Add the entry of a change to mac's record or to the activation of
 * number (either may be NULL) to txn; "store" is the store's label.
 * changes (see gsprov_record_changes) is referenced, not copied. */
apr_status_t gsprov_actor_audit(gsprov_txn_t *txn, const gsprov_actor_t *who,
                                const char *action, const char *mac,
                                const char *number, const char *result,
                                json_t *changes, char **err);

#endif
