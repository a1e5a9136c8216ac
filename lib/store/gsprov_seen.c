/*
 * The provisioning status's shared rules (see gsprov_seen.h).
 */
#include <string.h>
#include <apr_hash.h>
#include "gsprov_seen.h"
#include "gsprov_json.h"

int gsprov_seen_serves(const gsprov_seen_t *seen)
{
    return seen->result == 200 && seen->version && seen->version[0]
           && (!strcmp(seen->kind, GSPROV_SEEN_XML)
               || !strcmp(seen->kind, GSPROV_SEEN_BIN)
               || !strcmp(seen->kind, GSPROV_SEEN_REDIRECT));
}

apr_array_header_t *gsprov_seen_by_device(apr_pool_t *p,
                                          const apr_array_header_t *batch)
{
    apr_array_header_t *out = apr_array_make(p, batch->nelts ? batch->nelts
                                             : 1, sizeof(gsprov_seen_dev_t));
    apr_hash_t *at = apr_hash_make(p);     /* mac -> gsprov_seen_dev_t * */
    int i;

    for (i = 0; i < batch->nelts; i++) {
        const gsprov_seen_t *s = &APR_ARRAY_IDX(batch, i, gsprov_seen_t);
        gsprov_seen_dev_t *d = apr_hash_get(at, s->mac, APR_HASH_KEY_STRING);

        if (!d) {
            d = apr_array_push(out);
            d->mac = s->mac;
            d->last = s;
            d->served = NULL;
            d->each = apr_array_make(p, 2, sizeof(const gsprov_seen_t *));
            apr_hash_set(at, s->mac, APR_HASH_KEY_STRING, d);
        }
        /* pointers into out stay valid: it was made with room for all */
        APR_ARRAY_PUSH(d->each, const gsprov_seen_t *) = s;
        if (s->at >= d->last->at)
            d->last = s;
        if (gsprov_seen_serves(s) && (!d->served || s->at >= d->served->at))
            d->served = s;
    }
    return out;
}

int gsprov_seen_kind_index(const char *kind)
{
    static const char *const kinds[] = GSPROV_SEEN_KINDS;
    int i;

    for (i = 0; i < GSPROV_SEEN_NKINDS; i++)
        if (!strcmp(kinds[i], kind))
            return i;
    return -1;
}

static json_t *seen_json(const gsprov_seen_t *s, int device)
{
    json_t *o = json_object();

    json_object_set_new(o, "at", json_integer(s->at));
    json_object_set_new(o, "client", json_string(s->client));
    if (device) {
        json_object_set_new(o, "kind", json_string(s->kind));
        json_object_set_new(o, "model", json_string(s->ua_model));
        json_object_set_new(o, "hardware", json_string(s->ua_hardware));
        json_object_set_new(o, "firmware", json_string(s->ua_firmware));
    }
    json_object_set_new(o, "file", json_string(s->file));
    json_object_set_new(o, "result", json_integer(s->result));
    if (!device && s->version[0])
        json_object_set_new(o, "version", json_string(s->version));
    return o;
}

json_t *gsprov_seen_json(apr_pool_t *p, const gsprov_devstatus_t *st,
                         const char *record_version)
{
    json_t *o = gsprov_json_pool(p, seen_json(&st->last, 1));
    json_t *fetch = json_object();
    int i;

    json_object_set_new(o, "served_version", json_string(st->served_version));
    json_object_set_new(o, "in_sync", json_boolean(
        record_version && st->served_version[0]
        && !strcmp(st->served_version, record_version)));
    for (i = 0; st->fetch && i < st->fetch->nelts; i++) {
        const gsprov_seen_t *s = &APR_ARRAY_IDX(st->fetch, i, gsprov_seen_t);
        json_object_set_new(fetch, s->kind, seen_json(s, 0));
    }
    json_object_set_new(o, "fetch", fetch);
    return o;
}
