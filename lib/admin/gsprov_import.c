/*
 * Bulk imports (gsprov_import.h): check everything, then write everything
 * in one transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include "gsprov_import.h"
#include "gsprov_record.h"
#include "gsprov_error.h"

typedef struct {
    long line;
    const char *mac;
    const char *xml;
    apr_size_t len;
    const char *version;
} checked_t;

gsprov_import_t *gsprov_import_make(apr_pool_t *p,
                                    const gsprov_templates_t *t,
                                    const gsprov_settings_t *set,
                                    const gsprov_actor_t *who)
{
    gsprov_import_t *im = apr_pcalloc(p, sizeof(*im));

    im->p = p;
    im->t = t;
    im->set = set;
    im->who = who;
    im->problems = apr_array_make(p, 8, sizeof(gsprov_import_problem_t));
    im->ok = apr_array_make(p, 64, sizeof(checked_t));
    return im;
}

static void problem(gsprov_import_t *im, long line, const char *mac,
                    const char *field, const char *error)
{
    gsprov_import_problem_t *pr = &APR_ARRAY_PUSH(im->problems,
                                                  gsprov_import_problem_t);
    pr->line = line;
    pr->mac = mac && *mac ? apr_pstrdup(im->p, mac) : NULL;
    pr->field = field && *field ? apr_pstrdup(im->p, field) : NULL;
    pr->error = apr_pstrdup(im->p, error ? error : "invalid record");
}

static int by_mac(const void *a, const void *b)
{
    return strcmp(((const checked_t *)a)->mac, ((const checked_t *)b)->mac);
}

static void progress(gsprov_import_t *im, const char *phase, long done,
                     long total)
{
    if (im->progress)
        im->progress(im->baton, phase, done, total);
}

int gsprov_import_check(gsprov_import_t *im, const apr_array_header_t *items)
{
    apr_hash_t *seen = apr_hash_make(im->p);
    apr_pool_t *sub;
    int i;

    apr_pool_create(&sub, im->p);
    for (i = 0; i < items->nelts; i++) {
        const gsprov_bulk_item_t *it = &APR_ARRAY_IDX(items, i,
                                                      gsprov_bulk_item_t);
        const long *first;
        const char *field = NULL;
        char *xml, *err = NULL;
        apr_size_t len;
        checked_t *ok;
        long *at;

        im->records++;
        progress(im, "checked", i + 1, items->nelts);
        if (it->err) {
            problem(im, it->line, it->mac, it->field, it->err);
            continue;
        }
        if ((first = apr_hash_get(seen, it->mac, APR_HASH_KEY_STRING))) {
            problem(im, it->line, it->mac, "mac", apr_psprintf(
                    im->p, "mac %s is also on line %ld", it->mac, *first));
            continue;
        }
        at = apr_palloc(im->p, sizeof(*at));
        *at = it->line;
        apr_hash_set(seen, apr_pstrdup(im->p, it->mac), APR_HASH_KEY_STRING,
                     at);
        apr_pool_clear(sub);
        if (gsprov_record_from_json(sub, it->mac, it->rec, &xml, &len, &field,
                                    &err)
            || gsprov_record_check(sub, im->t, im->set, it->mac, xml, len,
                                   NULL, &err)) {
            problem(im, it->line, it->mac, field, err);
            continue;
        }
        ok = &APR_ARRAY_PUSH(im->ok, checked_t);
        ok->line = it->line;
        ok->mac = apr_pstrdup(im->p, it->mac);
        ok->xml = apr_pstrmemdup(im->p, xml, len);
        ok->len = len;
        ok->version = gsprov_store_version(im->p, xml, len);
    }
    apr_pool_destroy(sub);
    qsort(im->ok->elts, (size_t)im->ok->nelts, sizeof(checked_t), by_mac);
    return im->problems->nelts;
}

apr_status_t gsprov_import_count(gsprov_import_t *im, gsprov_store_t *store,
                                 char **err)
{
    apr_pool_t *sub;
    apr_status_t rv = APR_SUCCESS;
    int i;

    apr_pool_create(&sub, im->p);
    for (i = 0; i < im->ok->nelts; i++) {
        const checked_t *ok = &APR_ARRAY_IDX(im->ok, i, checked_t);
        const char *version;

        apr_pool_clear(sub);
        rv = gsprov_store_record_version(store, sub, ok->mac, &version, err);
        if (rv == GSPROV_ENOTFOUND)
            im->created++;
        else if (rv != APR_SUCCESS) {
            *err = apr_pstrdup(im->p, *err);
            break;
        }
        else if (!strcmp(version, ok->version))
            im->unchanged++;
        else
            im->replaced++;
        rv = APR_SUCCESS;
    }
    apr_pool_destroy(sub);
    return rv;
}

apr_status_t gsprov_import_apply(gsprov_import_t *im, gsprov_txn_t *txn,
                                 char **err)
{
    apr_pool_t *sub;
    apr_status_t rv;
    int i, corrupt = 0;

    if ((rv = gsprov_store_defer(txn, err)))
        return rv;
    apr_pool_create(&sub, im->p);
    for (i = 0; i < im->ok->nelts; i++) {
        const checked_t *ok = &APR_ARRAY_IDX(im->ok, i, checked_t);
        json_t *before, *after;
        gsprov_blob_t cur;

        progress(im, "written", i + 1, im->ok->nelts);
        memset(&cur, 0, sizeof(cur));
        rv = gsprov_store_record_lock(txn, ok->mac, &cur, err);
        if (rv == GSPROV_ECORRUPT) {
            problem(im, ok->line, ok->mac, NULL, apr_pstrcat(
                    im->p, "the stored record cannot be read: ", *err, NULL));
            corrupt = 1;
            continue;
        }
        if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
            break;
        if (rv == APR_SUCCESS && !strcmp(cur.version, ok->version)) {
            im->unchanged++;
            continue;
        }
        apr_pool_clear(sub);
        before = cur.data ? gsprov_record_bytes_to_json(sub, ok->mac,
                                                        cur.data, cur.len)
                          : NULL;
        after = gsprov_record_bytes_to_json(sub, ok->mac, ok->xml, ok->len);
        if ((rv = gsprov_store_record_put(txn, ok->mac, ok->xml, ok->len,
                                          err))
            || (rv = gsprov_actor_audit(txn, im->who, "device-put", ok->mac,
                                        NULL, cur.data ? "replaced"
                                                       : "created",
                                        gsprov_record_changes(sub, before,
                                                              after),
                                        err)))
            break;
        if (cur.data)
            im->replaced++;
        else
            im->created++;
    }
    apr_pool_destroy(sub);
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND)
        return rv;
    return corrupt ? GSPROV_ECORRUPT : APR_SUCCESS;
}
