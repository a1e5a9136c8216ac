/* Private header of the httpd side: the config types and the functions
 * mod_gsprov.c (hooks) calls in src/.  Request helpers the src/ files
 * share are in src/gsprov_request.h. */
#ifndef MOD_GSPROV_H
#define MOD_GSPROV_H

#include "httpd.h"
#include "http_config.h"
#include "gsprov_store.h"
#include "gsprov_crypto.h"
#include "gsprov_provision.h"
#include "gsprov_firmware.h"
#include "gsprov_cache.h"
#include "gsprov_stats.h"
#include "gsprov_log.h"     /* GSPROV_LOGNO: the list is in README.md */

#define GSPROV_UNSET (-1)

/* A GsProvAuditLog file (gsprov_auditlog.c). */
typedef struct gsprov_auditlog gsprov_auditlog_t;

/* The handlers (SetHandler names). */
#define GSPROV_HANDLER         "gsprov"
#define GSPROV_FW_HANDLER      "gsprov-firmware"
#define GSPROV_STATUS_HANDLER  "gsprov-status"

/* Per-directory config; server-level directives land in the vhost's
 * default directory config, so one struct serves both contexts. */
typedef struct {
    gsprov_store_t *store;      /* GsProvRoot; NULL = unset */
    apr_hash_t *vars;           /* GsProvVar; NULL = unset, merged by name */
    int key_digest;             /* GsProvKeyDerivation; GSPROV_UNSET */
    int reload_seconds;         /* GsProvReloadInterval; GSPROV_UNSET */
    int binary;                 /* GsProvBinary mode; GSPROV_UNSET */
    apr_array_header_t *bootstrap_extra;  /* GsProvBinary P...; NULL = unset */
    int ua_policy;              /* GsProvUserAgent; GSPROV_UNSET */
    const char *fw_root;        /* GsProvFirmwareRoot (canonical); NULL */
    int fw_unknown;             /* GsProvFirmwareUnknown; GSPROV_UNSET */
    const char *cert_mac_var;   /* GsProvClientCertMAC as a mod_ssl
                                 * variable (SAN: prefix ending in _);
                                 * NULL = unset (subject CN) */
    int status_scope;           /* GsProvStatusScope; GSPROV_UNSET */
    const gsprov_auditlog_t *audit_log;  /* GsProvAuditLog; none is
                                 * gsprov_auditlog_none(); NULL = unset */
    int activation_ttl;         /* GsProvActivationTTL s; GSPROV_UNSET */
    int claim_max_failures;     /* GsProvClaimMaxFailures; GSPROV_UNSET */
    int admin_secrets;          /* GsProvAdminSecrets on|off; GSPROV_UNSET */
    int store_kind;             /* GsProvStore file|dbd; GSPROV_UNSET */
    const char *db_tenant;      /* its TENANT ("": the vhost's ServerName);
                                 * goes with store_kind */
    int device_status;          /* GsProvDeviceStatus on|off; GSPROV_UNSET */
} gsprov_dir_conf;

/* GsProvStore: where the records are (the templates are GsProvRoot's). */
typedef enum { GSPROV_STORE_FILE = 0, GSPROV_STORE_DBD } gsprov_store_kind_e;

/* Per-server (vhost) config: the cache is shared by a farm per tenant,
 * the counters are per vhost. */
typedef struct {
    const gsprov_cache_provider_t *cache_provider;  /* GsProvCache <name>;
                                                     * NULL = unset */
    const char *cache_config;   /* its options (NULL: none given) */
    int cache_timeout_ms;       /* GsProvCacheTimeout; GSPROV_UNSET */
    int cache_ttl;              /* GsProvCacheTTL; GSPROV_UNSET */
    int cache_retry;            /* GsProvCacheRetry; GSPROV_UNSET */
    apr_int64_t cache_near;     /* GsProvCacheNear bytes; GSPROV_UNSET */
    const unsigned char *cache_secret;  /* GsProvCacheSecret's bytes;
                                         * NULL = unset */
    apr_size_t cache_secret_len;
    int status_flush;           /* GsProvDeviceStatusFlush s; GSPROV_UNSET */
    int status_buffer;          /* GsProvDeviceStatusBuffer; GSPROV_UNSET */
    /* runtime, never inherited: counters from post_config, the cache
     * backend from child_init */
    gsprov_stats_t *stats;
    gsprov_cache_t *cache;
    gsprov_cache_t *near;
    /* GsProvStore dbd: the schema version was found right (post_config,
     * or this child's first connection) */
    volatile apr_uint32_t db_verified;
} gsprov_srv_conf;

extern module AP_MODULE_DECLARE_DATA gsprov_module;
extern const command_rec gsprov_cmds[];

void *gsprov_create_dir_conf(apr_pool_t *p, char *dir);
void *gsprov_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void *gsprov_create_srv_conf(apr_pool_t *p, server_rec *s);
void *gsprov_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);

/* Effective values, falling back to the defaults in gsprov_defaults.h. */
gsprov_md_e gsprov_conf_key_digest(const gsprov_dir_conf *c);
apr_interval_time_t gsprov_conf_reload(const gsprov_dir_conf *c);
int gsprov_conf_binary(const gsprov_dir_conf *c);
gsprov_ua_policy_e gsprov_conf_ua_policy(const gsprov_dir_conf *c);
gsprov_fw_unknown_e gsprov_conf_fw_unknown(const gsprov_dir_conf *c);
gsprov_status_scope_e gsprov_conf_status_scope(const gsprov_dir_conf *c);
/* the cache options of a vhost: its backend, sized for threads, and
 * its near cache */
void gsprov_conf_cache(const gsprov_srv_conf *c, apr_uint32_t threads,
                       gsprov_cache_opts_t *o);

/* gsprov_access.c: providers, and the client certificate's MAC. */
void gsprov_register_access(apr_pool_t *p);
int gsprov_cert_verified(request_rec *r);
const char *gsprov_cert_mac(request_rec *r, char mac[GSPROV_MAC_LEN + 1]);

/* gsprov_status.c: counters in shared memory and the status handler. */
void gsprov_register_status(apr_pool_t *p);
/* The tenant's counters for r (NULL before post_config). */
gsprov_stats_t *gsprov_stats_of(request_rec *r);
/* Remember a logged error as the tenant's last one; msgid is its
 * GSPROV_LOGNO(nnnn) tag. */
void gsprov_note_error(request_rec *r, const char *msgid, const char *text);
/* gsprov_admin.c: SetHandler gsprov-admin (device admin API, PIN claim). */
#define GSPROV_ADMIN_HANDLER "gsprov-admin"
void gsprov_register_admin(apr_pool_t *p);
long gsprov_conf_activation_ttl(const gsprov_dir_conf *c);
int gsprov_conf_claim_max_failures(const gsprov_dir_conf *c);
int gsprov_conf_admin_secrets(const gsprov_dir_conf *c);

/* gsprov_auditlog.c: GsProvAuditLog files, opened by the parent in
 * open_logs (as root, like CustomLog), at every start and restart. */
void gsprov_register_auditlog(apr_pool_t *p);
/* The entry for path in this configuration cycle (one per path). */
const gsprov_auditlog_t *gsprov_auditlog_add(apr_pool_t *pconf,
                                             const char *path);
/* "GsProvAuditLog none" */
const gsprov_auditlog_t *gsprov_auditlog_none(void);
/* The opened log; NULL for none, unset, or before open_logs. */
gsprov_audit_t *gsprov_auditlog_get(const gsprov_auditlog_t *l);

/* gsprov_check.c: whole-configuration checks at startup and at
 * apachectl -t (handlers without their store, tenants whose generic files
 * do not render). */
void gsprov_register_check(apr_pool_t *p);

/* gsprov_dbd.c: GsProvStore dbd on mod_dbd. */
void gsprov_register_dbd(apr_pool_t *p);
/* The GsProvStore dbd line's part: NULL, or why it cannot be used. */
const char *gsprov_dbd_configure(cmd_parms *cmd);
/* The database store for r under conf (built per request). */
gsprov_store_t *gsprov_dbd_store(request_rec *r, const gsprov_dir_conf *conf);
/* A request the database cannot answer: counted, logged at most once per
 * interval per tenant (msgid: its GSPROV_LOGNO), Retry-After set; returns
 * HTTP_SERVICE_UNAVAILABLE. */
int gsprov_dbd_unavailable(request_rec *r, const char *msgid,
                           const char *err);
gsprov_store_kind_e gsprov_conf_store_kind(const gsprov_dir_conf *c);

/* gsprov_devstatus.c: the provisioning status, recorded when a device
 * request is logged, written to the store by a flusher thread per child. */
void gsprov_register_devstatus(apr_pool_t *p);
int gsprov_conf_device_status(const gsprov_dir_conf *c);
apr_interval_time_t gsprov_conf_status_flush(const gsprov_srv_conf *c);
int gsprov_conf_status_buffer(const gsprov_srv_conf *c);
/* gsprov_dbd.c: the database store of server s for a thread outside any
 * request (the status flusher): connections from ap_dbd_open, given back
 * when p is cleared. */
gsprov_store_t *gsprov_dbd_store_thread(apr_pool_t *p, server_rec *s,
                                        gsprov_store_t *templates,
                                        const char *tenant);
/* The tenant a GsProvStore dbd location's rows belong to. */
const char *gsprov_dbd_tenant(server_rec *s, const gsprov_dir_conf *conf);

/* gsprov_logger.c: a lib/ logger writing to s's error log at its
 * LogLevel. */
void gsprov_logger_for(server_rec *s, gsprov_logger_t *log);

#endif
