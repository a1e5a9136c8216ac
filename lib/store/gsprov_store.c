/*
 * The store calls, so callers never reach into the vtable and a backend
 * may leave out a read, or all changes, that it cannot do (APR_ENOTIMPL).
 */
#include <string.h>
#include <apr_strings.h>
#include "gsprov_store.h"
#include "gsprov_crypto.h"

static apr_status_t lacks(const gsprov_store_t *s, apr_pool_t *p,
                          const char *op, char **err)
{
    *err = apr_psprintf(p, "%s: the %s store has no %s", s->label,
                        s->ops->name, op);
    return APR_ENOTIMPL;
}

const gsprov_templates_t *gsprov_store_templates(gsprov_store_t *s,
                                                 apr_pool_t *p,
                                                 apr_interval_time_t
                                                 interval)
{
    return s->ops->templates(s, p, interval);
}

apr_status_t gsprov_store_record_get(gsprov_store_t *s, apr_pool_t *p,
                                     const char *mac, gsprov_blob_t *out,
                                     char **err)
{
    if (!s->ops->record_get)
        return lacks(s, p, "record_get", err);
    return s->ops->record_get(s, p, mac, out, err);
}

apr_status_t gsprov_store_record_version(gsprov_store_t *s, apr_pool_t *p,
                                         const char *mac,
                                         const char **version, char **err)
{
    if (!s->ops->record_version)
        return lacks(s, p, "record_version", err);
    return s->ops->record_version(s, p, mac, version, err);
}

apr_status_t gsprov_store_record_list(gsprov_store_t *s, apr_pool_t *p,
                                      const gsprov_list_query_t *q,
                                      apr_array_header_t **items, int *more,
                                      char **err)
{
    if (!s->ops->record_list)
        return lacks(s, p, "record_list", err);
    return s->ops->record_list(s, p, q, items, more, err);
}

apr_status_t gsprov_store_record_iterate(gsprov_store_t *s, apr_pool_t *p,
                                         gsprov_record_fn *fn, void *baton,
                                         char **err)
{
    if (!s->ops->record_iterate)
        return lacks(s, p, "record_iterate", err);
    return s->ops->record_iterate(s, p, fn, baton, err);
}

apr_status_t gsprov_store_activation_get(gsprov_store_t *s, apr_pool_t *p,
                                         const char *number,
                                         gsprov_activation_t **out,
                                         char **err)
{
    if (!s->ops->activation_get)
        return lacks(s, p, "activation_get", err);
    return s->ops->activation_get(s, p, number, out, err);
}

apr_status_t gsprov_store_activation_list(gsprov_store_t *s, apr_pool_t *p,
                                          const char *after, int limit,
                                          apr_array_header_t **items,
                                          int *more, char **err)
{
    if (!s->ops->activation_list)
        return lacks(s, p, "activation_list", err);
    return s->ops->activation_list(s, p, after, limit, items, more, err);
}

apr_status_t gsprov_store_status_put(gsprov_store_t *s, apr_pool_t *p,
                                     const apr_array_header_t *batch,
                                     char **err)
{
    if (!s->ops->status_put)
        return lacks(s, p, "status_put", err);
    return s->ops->status_put(s, p, batch, err);
}

apr_status_t gsprov_store_status_get(gsprov_store_t *s, apr_pool_t *p,
                                     const char *mac,
                                     gsprov_devstatus_t **out, char **err)
{
    *out = NULL;
    if (!s->ops->status_get)
        return lacks(s, p, "status_get", err);
    return s->ops->status_get(s, p, mac, out, err);
}

apr_status_t gsprov_store_status_settle(gsprov_store_t *s, apr_pool_t *p,
                                        int (*stop)(void *), void *baton,
                                        int *more, char **err)
{
    *more = 0;
    if (!s->ops->status_settle)
        return APR_SUCCESS;     /* status_put did it all */
    return s->ops->status_settle(s, p, stop, baton, more, err);
}

apr_status_t gsprov_store_status_count(gsprov_store_t *s, apr_pool_t *p,
                                       apr_int64_t since, apr_int64_t *n,
                                       char **err)
{
    *n = 0;
    if (!s->ops->status_count)
        return lacks(s, p, "status_count", err);
    return s->ops->status_count(s, p, since, n, err);
}

apr_status_t gsprov_store_begin(gsprov_store_t *s, apr_pool_t *p,
                                gsprov_audit_t *log, gsprov_txn_t **txn,
                                char **err)
{
    if (!s->ops->begin)
        return lacks(s, p, "writes", err);
    return s->ops->begin(s, p, log, txn, err);
}

/* A backend with begin has every change op: called directly. */

apr_status_t gsprov_store_record_lock(gsprov_txn_t *txn, const char *mac,
                                      gsprov_blob_t *cur, char **err)
{
    return txn->store->ops->record_lock(txn, mac, cur, err);
}

apr_status_t gsprov_store_record_put(gsprov_txn_t *txn, const char *mac,
                                     const char *data, apr_size_t len,
                                     char **err)
{
    return txn->store->ops->record_put(txn, mac, data, len, err);
}

apr_status_t gsprov_store_record_delete(gsprov_txn_t *txn, const char *mac,
                                        char **err)
{
    return txn->store->ops->record_delete(txn, mac, err);
}

apr_status_t gsprov_store_activation_lock(gsprov_txn_t *txn,
                                          const char *number,
                                          gsprov_activation_t **cur,
                                          char **err)
{
    return txn->store->ops->activation_lock(txn, number, cur, err);
}

apr_status_t gsprov_store_activation_put(gsprov_txn_t *txn,
                                         const gsprov_activation_t *a,
                                         char **err)
{
    return txn->store->ops->activation_put(txn, a, err);
}

apr_status_t gsprov_store_activation_delete(gsprov_txn_t *txn,
                                            const char *number, char **err)
{
    return txn->store->ops->activation_delete(txn, number, err);
}

apr_status_t gsprov_store_defer(gsprov_txn_t *txn, char **err)
{
    return txn->store->ops->defer ? txn->store->ops->defer(txn, err)
                                  : APR_SUCCESS;
}

apr_status_t gsprov_store_audit(gsprov_txn_t *txn, json_t *entry,
                                char **err)
{
    return txn->store->ops->audit(txn, entry, err);
}

apr_status_t gsprov_store_commit(gsprov_txn_t *txn, char **err)
{
    return txn->store->ops->commit(txn, err);
}

void gsprov_store_rollback(gsprov_txn_t *txn)
{
    txn->store->ops->rollback(txn);
}

const char *gsprov_store_version(apr_pool_t *p, const char *data,
                                 apr_size_t len)
{
    return gsprov_crypto_sha256_hex(p, data, len);
}

apr_status_t gsprov_store_device(gsprov_store_t *s, apr_pool_t *p,
                                 const char *mac, gsprov_device_t **out,
                                 char **err)
{
    gsprov_blob_t b;
    apr_status_t rv;

    if ((rv = gsprov_store_record_get(s, p, mac, &b, err))
        || (rv = gsprov_xml_parse_device(p, mac, b.data, b.len, b.label, out,
                                         err)))
        return rv;
    (*out)->version = b.version;
    return APR_SUCCESS;
}

int gsprov_store_list_filtered(const gsprov_list_query_t *q)
{
    return q->group || q->model || (q->vars && q->vars->nelts);
}

int gsprov_store_list_match(const gsprov_list_query_t *q,
                            const gsprov_device_t *d)
{
    int i;

    if (q->model && (!d->model || strcmp(d->model, q->model)))
        return 0;
    if (q->group) {
        for (i = 0; i < d->groups->nelts; i++)
            if (!strcmp(APR_ARRAY_IDX(d->groups, i, const char *), q->group))
                break;
        if (i == d->groups->nelts)
            return 0;
    }
    for (i = 0; q->vars && i < q->vars->nelts; i++) {
        const gsprov_list_var_t *v = &APR_ARRAY_IDX(q->vars, i,
                                                    gsprov_list_var_t);
        const char *have = apr_hash_get(d->vars, v->name,
                                        APR_HASH_KEY_STRING);
        if (!have || strcmp(have, v->value))
            return 0;
    }
    return 1;
}

void gsprov_store_list_init(gsprov_list_query_t *q, int limit)
{
    memset(q, 0, sizeof(*q));
    q->limit = limit;
}

int gsprov_store_list_status(const gsprov_list_query_t *q)
{
    return q->seen_after || q->seen_before || q->firmware || q->in_sync
           || q->never_seen || q->want_status;
}

int gsprov_store_list_status_match(const gsprov_list_query_t *q,
                                   const gsprov_devstatus_t *st,
                                   const char *version)
{
    if (!st)
        return q->never_seen >= 0 && !q->seen_after && !q->seen_before
               && !q->firmware && !q->in_sync;
    if (q->never_seen == 1)
        return 0;
    if (q->seen_after && st->last.at < q->seen_after)
        return 0;
    if (q->seen_before && st->last.at >= q->seen_before)
        return 0;
    if (q->firmware && strcmp(st->last.ua_firmware, q->firmware))
        return 0;
    if (q->in_sync
        && (q->in_sync > 0) != !strcmp(st->served_version,
                                       version ? version : ""))
        return 0;
    return 1;
}
