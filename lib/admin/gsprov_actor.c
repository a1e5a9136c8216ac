#include "gsprov_actor.h"
#include "gsprov_json.h"

apr_status_t gsprov_actor_audit(gsprov_txn_t *txn, const gsprov_actor_t *who,
                                const char *action, const char *mac,
                                const char *number, const char *result,
                                json_t *changes, char **err)
{
    json_t *e = gsprov_json_pool(txn->pool, json_object());

    json_object_set_new(e, "user", who->user ? json_string(who->user)
                                             : json_null());
    json_object_set_new(e, "client", json_string(who->client));
    json_object_set_new(e, "method", json_string(who->method));
    json_object_set_new(e, "action", json_string(action));
    json_object_set_new(e, "store", json_string(txn->store->label));
    if (mac)
        json_object_set_new(e, "mac", json_string(mac));
    if (number)
        json_object_set_new(e, "number", json_string(number));
    json_object_set_new(e, "result", json_string(result));
    if (changes)
        json_object_set(e, "changes", changes);
    return gsprov_store_audit(txn, e, err);
}
