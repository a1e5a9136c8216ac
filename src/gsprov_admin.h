/*
 * What the admin API's request glue shares between its files
 * (gsprov_admin.c: routing, single records, activations, the claim;
 * gsprov_admin_bulk.c: bulk import and export).  Every function that
 * answers returns DONE; a step that may answer returns OK to go on.
 */
#ifndef GSPROV_ADMIN_H
#define GSPROV_ADMIN_H

#include "httpd.h"
#include "mod_gsprov.h"
#include "gsprov_actor.h"
#include "gsprov_provision.h"
#include "gsprov_store.h"

/* one request */
typedef struct {
    request_rec *r;
    gsprov_dir_conf *conf;
    gsprov_store_t *store;
    gsprov_actor_t who;         /* for the audit trail */
    apr_table_t *args;          /* query parameters */
} gsprov_adm_t;

/* gsprov_admin_reply.c */
int gsprov_admin_send_json(gsprov_adm_t *a, int status, json_t *j);
/* an error answer {"error", "field"} and a log line with the stable id
 * logno (GSPROV_LOGNO(nnnn)); messages name fields, never values */
int gsprov_admin_fail(gsprov_adm_t *a, int status, const char *logno,
                      int level, const char *field, const char *msg);
/* a 500 naming only what failed and its log id; detail goes to the log */
int gsprov_admin_internal(gsprov_adm_t *a, const char *logno,
                          const char *what, const char *detail);
/* the location has no store the admin API can work with (500) */
int gsprov_admin_unfit(gsprov_adm_t *a, const char *why);
/* the database cannot answer: 503 with Retry-After */
int gsprov_admin_unavailable(gsprov_adm_t *a, const char *err);
/* 400/404/405/413/415 answers: {"error", "field"} and an info line */
int gsprov_admin_bad_request(gsprov_adm_t *a, int status, const char *field,
                             const char *msg);
/* the request body, at most max bytes (413 beyond): OK or DONE */
int gsprov_admin_read_body(gsprov_adm_t *a, apr_size_t max, char **buf,
                           apr_size_t *len);
/* a change's transaction with its audit log: OK with *txn, or DONE */
int gsprov_admin_begin(gsprov_adm_t *a, gsprov_txn_t **txn);
/* the store could not be written (500, or 503 from a database) */
int gsprov_admin_io_error(gsprov_adm_t *a, apr_status_t rv, const char *err);
/* what the store holds could not be read */
int gsprov_admin_unreadable(gsprov_adm_t *a, apr_status_t rv,
                            const char *msg);
/* ?secrets=1 where GsProvAdminSecrets allows it: OK, or DONE (403) */
int gsprov_admin_want_secrets(gsprov_adm_t *a, int *secrets);
/* what the module would serve, never encrypted, and its templates */
void gsprov_admin_settings(gsprov_adm_t *a, gsprov_settings_t *set);
const gsprov_templates_t *gsprov_admin_templates(gsprov_adm_t *a);

/* gsprov_admin_bulk.c: POST /devices:import, GET /devices:export */
int gsprov_admin_bulk_import(gsprov_adm_t *a);
int gsprov_admin_bulk_export(gsprov_adm_t *a);

#endif
