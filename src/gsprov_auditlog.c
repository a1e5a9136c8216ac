/*
 * GsProvAuditLog files, opened by httpd's parent in the open_logs hook,
 * as mod_log_config opens CustomLog files: as root, at startup and again
 * at every restart (graceful too, so a log logrotate moved away is
 * created anew).  The children write through the descriptor they
 * inherit: the file and its directory need not be writable by httpd's
 * User (Debian's /var/log/apache2 is root:adm 0750).
 *
 * Each configuration cycle has its own list, kept in the config pool's
 * userdata (cleared with it at a restart); a path named by several
 * vhosts or locations is opened once.
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"

#include "mod_gsprov.h"

APLOG_USE_MODULE(gsprov);

#define AUDITLOGS_KEY "gsprov-auditlogs"

struct gsprov_auditlog {
    const char *path;           /* NULL: "GsProvAuditLog none" */
    gsprov_audit_t *audit;      /* NULL until open_logs */
};

/* "none": one shared, never-opened entry */
static const gsprov_auditlog_t none_log = { NULL, NULL };

const gsprov_auditlog_t *gsprov_auditlog_none(void)
{
    return &none_log;
}

static apr_hash_t *auditlogs(apr_pool_t *pconf, int create)
{
    apr_hash_t *h = NULL;

    apr_pool_userdata_get((void **)&h, AUDITLOGS_KEY, pconf);
    if (!h && create) {
        h = apr_hash_make(pconf);
        apr_pool_userdata_set(h, AUDITLOGS_KEY, apr_pool_cleanup_null, pconf);
    }
    return h;
}

const gsprov_auditlog_t *gsprov_auditlog_add(apr_pool_t *pconf,
                                             const char *path)
{
    apr_hash_t *h = auditlogs(pconf, 1);
    gsprov_auditlog_t *l = apr_hash_get(h, path, APR_HASH_KEY_STRING);

    if (!l) {
        l = apr_pcalloc(pconf, sizeof(*l));
        l->path = apr_pstrdup(pconf, path);
        apr_hash_set(h, l->path, APR_HASH_KEY_STRING, l);
    }
    return l;
}

gsprov_audit_t *gsprov_auditlog_get(const gsprov_auditlog_t *l)
{
    return l ? l->audit : NULL;
}

/* Every file of this cycle, or the server does not start: a log that
 * cannot be opened is a configuration error, named with its path here
 * (the admin API's answers never show a path). */
static int auditlog_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *h = auditlogs(pconf, 0);
    apr_hash_index_t *hi;

    for (hi = h ? apr_hash_first(ptemp, h) : NULL; hi;
         hi = apr_hash_next(hi)) {
        gsprov_auditlog_t *l = apr_hash_this_val(hi);
        char *err = NULL;

        if (gsprov_audit_open(pconf, l->path, &l->audit, &err)
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         GSPROV_LOGNO(0902) "GsProvAuditLog: %s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

void gsprov_register_auditlog(apr_pool_t *p)
{
    /* with CustomLog's files (mod_log_config opens them at MIDDLE) */
    ap_hook_open_logs(auditlog_open_logs, NULL, NULL, APR_HOOK_MIDDLE);
}
