/*
 * The whole pipeline for one request, shared by the module and the CLI:
 * resolved name -> layers from the store -> merge -> prefix/postfix check
 * -> render (XML or legacy binary) -> encrypt (XML with a password).
 */
#ifndef GSPROV_PROVISION_H
#define GSPROV_PROVISION_H

#include "gsprov_store.h"
#include "gsprov_name.h"
#include "gsprov_crypto.h"
#include "gsprov_useragent.h"
#include "gsprov_merge.h"
#include "gsprov_vars.h"

typedef enum {
    GSPROV_BINARY_OFF = 0,      /* cfg<mac> answers 404 */
    GSPROV_BINARY_BOOTSTRAP,    /* only the parameters that lead to the XML */
    GSPROV_BINARY_FULL          /* every merged P-value */
} gsprov_binary_e;

typedef struct {
    apr_hash_t *tenant_vars;    /* GsProvVar: name -> value; may be NULL */
    gsprov_md_e key_digest;     /* GsProvKeyDerivation */
    gsprov_binary_e binary;     /* GsProvBinary */
    apr_array_header_t *bootstrap_extra;  /* more P names for bootstrap */
    const gsprov_ua_t *ua;      /* parsed User-Agent, or NULL */
    int plain;                  /* CLI --plain / lint: never encrypt */
} gsprov_settings_t;

typedef struct {
    const char *body;
    apr_size_t len;
    gsprov_kind_e kind;         /* what was served (device-xml/-bin...) */
    int encrypted;
    const char *content_type;
    const char *model;          /* device's or requested model, or NULL */
    const char *redirect;       /* a redirect file: the target's P237 */
    const gsprov_device_t *device;  /* the record it was made from, or
                                     * NULL (for the cache: which version) */
} gsprov_output_t;

#define GSPROV_CT_XML       "application/xml; charset=utf-8"
#define GSPROV_CT_ENCRYPTED "application/octet-stream"
#define GSPROV_CT_BINARY    "application/octet-stream"

/* The parameters a bootstrap binary file always carries: where the XML
 * is, how to fetch it, with which credentials, under which names. */
#define GSPROV_BOOTSTRAP_PARAMS \
    { "P237", "P212", "P1359", "P1360", "P1361", "P234", "P235" }

/* What a device (or, without a MAC, a model or the tenant as a whole)
 * merges to: the parameters and the variables to expand them with. */
typedef struct {
    gsprov_device_t *dev;       /* NULL when no MAC was given */
    /* the device's record is a redirect record (gsprov_context then
     * returns GSPROV_ENOTFOUND: it has no files of its own here) */
    const gsprov_redirect_t *redirect;
    const char *model;          /* the model whose template was used */
    gsprov_merged_t *m;
    gsprov_vars_t vars;         /* device > layers > tenant > built-ins */
    int fw_rollout;             /* firmware is this device's firmware.next */
} gsprov_context_t;

/* mac (normalized) selects a device record (GSPROV_ENOTFOUND if none, or
 * if it is a redirect record: ctx->dev and ctx->redirect are set then);
 * without one, model (or NULL: defaults only) a template chain. */
apr_status_t gsprov_context(apr_pool_t *p, gsprov_store_t *store,
                            const gsprov_templates_t *t, const char *mac,
                            const char *model, const gsprov_settings_t *set,
                            gsprov_context_t *ctx, char **err);

/* A merged parameter's expanded value, "" when unset. */
apr_status_t gsprov_context_value(apr_pool_t *p, const gsprov_context_t *ctx,
                                  const char *name, const char **out,
                                  char **err);

/* An XML file as it is served: encrypted with password unless it is
 * NULL or set->plain (the plaintext is then wiped), else as is; label
 * names the file whose password failed. */
apr_status_t gsprov_output_xml(apr_pool_t *p, char *body, apr_size_t len,
                               const char *password,
                               const gsprov_settings_t *set,
                               const char *label, gsprov_output_t *out,
                               char **err);

/* Produce the file for a resolved name.  Returns APR_SUCCESS,
 * GSPROV_ENOTFOUND (unknown device or model, prefix/postfix that are not
 * the device's, binary off or impossible: answer 404; *err says why), or
 * an error (GSPROV_EPARSE, _EUNDEFVAR, _EMIXED, _EREF, _ETOOBIG, _EIO,
 * _ECRYPTO) with *err naming the file, line and problem, never a secret. */
apr_status_t gsprov_provision(apr_pool_t *p, gsprov_store_t *store,
                              const gsprov_templates_t *t,
                              const gsprov_name_t *name,
                              const gsprov_settings_t *set,
                              gsprov_output_t *out, char **err);

#endif
