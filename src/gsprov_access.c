/*
 * Access control the Apache way: an authn provider and two authz
 * providers, so admins compose them with Require, <RequireAll>,
 * Require ip and mod_ssl.
 *
 *   AuthBasicProvider gsprov / AuthDigestProvider gsprov
 *       credentials from the record of the device whose file is asked for
 *   Require gsprov-device
 *       the authenticated user is that device's
 *   Require gsprov-client-cert
 *       a certificate mod_ssl verified, carrying that device's MAC
 *       (GsProvClientCertMAC says where); generic files need only the
 *       verified certificate
 */
#include <string.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "http_ssl.h"
#include "mod_auth.h"
#include "apr_strings.h"

#include "mod_gsprov.h"
#include "gsprov_request.h"
#include "gsprov_auth.h"
#include "gsprov_error.h"

APLOG_USE_MODULE(gsprov);

/* The certificate field holding the MAC (GsProvClientCertMAC). */
static const char *cert_field(const gsprov_dir_conf *c)
{
    return c->cert_mac_var ? c->cert_mac_var : "SSL_CLIENT_S_DN_CN";
}

int gsprov_cert_verified(request_rec *r)
{
    const char *v;
    if (!ap_ssl_conn_is_ssl(r->connection))
        return 0;
    v = ap_ssl_var_lookup(r->pool, r->server, r->connection, r,
                          "SSL_CLIENT_VERIFY");
    return v && strcmp(v, "SUCCESS") == 0;
}

/* A MAC written with or without separators, any case. */
static int mac_of(const char *v, char mac[GSPROV_MAC_LEN + 1])
{
    return v && gsprov_mac_parse_sep(v, strlen(v), mac);
}

const char *gsprov_cert_mac(request_rec *r, char mac[GSPROV_MAC_LEN + 1])
{
    gsprov_dir_conf *c = ap_get_module_config(r->per_dir_config,
                                              &gsprov_module);
    const char *field = cert_field(c);
    int i;

    if (!gsprov_cert_verified(r))
        return NULL;
    /* subjectAltName entries are numbered: try the first few */
    if (strstr(field, "_SAN_") && field[strlen(field) - 1] == '_') {
        for (i = 0; i < 8; i++) {
            const char *v = ap_ssl_var_lookup(r->pool, r->server,
                                              r->connection, r,
                                              apr_psprintf(r->pool, "%s%d",
                                                           field, i));
            if (v && *v && mac_of(v, mac))
                return mac;
        }
        return NULL;
    }
    return mac_of(ap_ssl_var_lookup(r->pool, r->server, r->connection, r,
                                    field), mac) ? mac : NULL;
}

/* The record of the device this request is about: the MAC in the URL,
 * else (authn only) the username when it is a MAC.  GSPROV_ENOTFOUND if
 * there is none; another error (*err says what) if it cannot be read. */
static apr_status_t request_device(request_rec *r, const char *user,
                                   gsprov_device_t **dev, char *mac,
                                   char **err)
{
    gsprov_store_t *store = gsprov_request_store(r, 1);

    *dev = NULL;
    *err = NULL;
    if (!store)
        return GSPROV_ENOTFOUND;
    if (!gsprov_request_mac(r, mac)
        && !(user && gsprov_mac_parse(user, strlen(user), mac)))
        return GSPROV_ENOTFOUND;
    /* the access log says which device a refusal was about */
    apr_table_set(r->notes, "gsprov-mac", mac);
    return gsprov_store_device(store, r->pool, mac, dev, err);
}

/* A record that exists but cannot be read is the server's failure, not
 * an unknown user or a refusal (as mod_authn_dbd answers a database
 * error): the callers answer AUTH_GENERAL_ERROR / AUTHZ_GENERAL_ERROR,
 * which httpd turns into 500. */
static void store_failed(request_rec *r, int authz, const char *mac,
                         const char *user, const char *err)
{
    const char *msgid = authz ? GSPROV_LOGNO(0406) : GSPROV_LOGNO(0405);
    const char *text = apr_psprintf(r->pool, "%s of device %s, user \"%s\": "
                                    "the record cannot be read: %s",
                                    authz ? "Require gsprov-device"
                                          : "authentication",
                                    mac, user ? user : "",
                                    err ? err : "unknown error");

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s%s", msgid, text);
    gsprov_note_error(r, msgid, text);
}

static void auth_failed(request_rec *r, const char *mac, const char *user,
                        const char *why)
{
    /* one line for fail2ban: id, client (in the prefix), MAC; never the
     * password */
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, GSPROV_LOGNO(0401)
                  "authentication failed for device %s, user \"%s\": %s",
                  mac[0] ? mac : "-", user ? user : "", why);
}

static authn_status authn_check_password(request_rec *r, const char *user,
                                         const char *password)
{
    char mac[GSPROV_MAC_LEN + 1] = "";
    gsprov_device_t *dev;
    char *err;
    apr_status_t rv = request_device(r, user, &dev, mac, &err);

    if (rv == GSPROV_ENOTFOUND) {
        auth_failed(r, mac, user, "no such device");
        return AUTH_USER_NOT_FOUND;
    }
    if (rv != APR_SUCCESS) {
        store_failed(r, 0, mac, user, err);
        return AUTH_GENERAL_ERROR;
    }
    if (!gsprov_auth_has_user(dev, user)) {
        auth_failed(r, mac, user, "not this device's user");
        return AUTH_USER_NOT_FOUND;
    }
    if (!gsprov_auth_check(dev, user, password)) {
        auth_failed(r, mac, user, "wrong password");
        return AUTH_DENIED;
    }
    return AUTH_GRANTED;
}

static authn_status authn_realm_hash(request_rec *r, const char *user,
                                     const char *realm, char **rethash)
{
    char mac[GSPROV_MAC_LEN + 1] = "";
    gsprov_device_t *dev;
    const char *ha1;
    char *err;
    apr_status_t rv = request_device(r, user, &dev, mac, &err);

    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND) {
        store_failed(r, 0, mac, user, err);
        return AUTH_GENERAL_ERROR;
    }
    if (rv != APR_SUCCESS
        || !(ha1 = gsprov_auth_digest_ha1(r->pool, dev, user, realm))) {
        auth_failed(r, mac, user, "no such device user with a plaintext "
                    "secret (Digest)");
        return AUTH_USER_NOT_FOUND;
    }
    *rethash = apr_pstrdup(r->pool, ha1);
    return AUTH_USER_FOUND;
}

static const authn_provider authn_gsprov = {
    authn_check_password, authn_realm_hash
};

static authz_status authz_device(request_rec *r, const char *line,
                                 const void *parsed)
{
    char mac[GSPROV_MAC_LEN + 1] = "";
    gsprov_device_t *dev;
    char *err;
    apr_status_t rv;

    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    /* as for authentication: a file without a MAC takes the user's */
    rv = request_device(r, r->user, &dev, mac, &err);
    if (rv != APR_SUCCESS && rv != GSPROV_ENOTFOUND) {
        store_failed(r, 1, mac, r->user, err);
        return AUTHZ_GENERAL_ERROR;
    }
    if (rv != APR_SUCCESS || !gsprov_auth_has_user(dev, r->user)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(0402)
                      "Require gsprov-device: user \"%s\" is not the user of "
                      "device %s", r->user, mac[0] ? mac : "-");
        return AUTHZ_DENIED;
    }
    return AUTHZ_GRANTED;
}

static authz_status authz_client_cert(request_rec *r, const char *line,
                                      const void *parsed)
{
    char want[GSPROV_MAC_LEN + 1] = "", got[GSPROV_MAC_LEN + 1];

    if (!gsprov_cert_verified(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, GSPROV_LOGNO(0403)
                      "Require gsprov-client-cert: no verified client "
                      "certificate");
        return AUTHZ_DENIED;
    }
    if (!gsprov_request_mac(r, want))
        return AUTHZ_GRANTED;       /* generic files: any device of ours */
    if (!gsprov_cert_mac(r, got) || strcmp(got, want) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, GSPROV_LOGNO(0404)
                      "Require gsprov-client-cert: certificate of %s asked "
                      "for the file of %s", gsprov_cert_mac(r, got) ? got
                      : "(no MAC)", want);
        return AUTHZ_DENIED;
    }
    return AUTHZ_GRANTED;
}

static const authz_provider authz_gsprov_device = { authz_device, NULL };
static const authz_provider authz_gsprov_cert = { authz_client_cert, NULL };

void gsprov_register_access(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "gsprov",
                              AUTHN_PROVIDER_VERSION, &authn_gsprov,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "gsprov-device",
                              AUTHZ_PROVIDER_VERSION, &authz_gsprov_device,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "gsprov-client-cert",
                              AUTHZ_PROVIDER_VERSION, &authz_gsprov_cert,
                              AP_AUTH_INTERNAL_PER_CONF);
}
