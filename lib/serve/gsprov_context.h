/*
 * A request's context: what a device (or, without a MAC, a model or the
 * tenant as a whole) merges to, the parameters and the variables to
 * expand them with, under the settings of the request's location.  The
 * pipeline (gsprov_provision.h) and the firmware handler
 * (gsprov_firmware.h) both start from it.
 */
#ifndef GSPROV_CONTEXT_H
#define GSPROV_CONTEXT_H

#include "gsprov_store.h"
#include "gsprov_crypto.h"
#include "gsprov_binary.h"
#include "gsprov_useragent.h"
#include "gsprov_merge.h"
#include "gsprov_vars.h"

typedef struct {
    apr_hash_t *tenant_vars;    /* GsProvVar: name -> value; may be NULL */
    gsprov_md_e key_digest;     /* GsProvKeyDerivation */
    gsprov_binary_e binary;     /* GsProvBinary */
    apr_array_header_t *bootstrap_extra;  /* more P names for bootstrap */
    const gsprov_ua_t *ua;      /* parsed User-Agent, or NULL */
    int plain;                  /* CLI --plain / lint: never encrypt */
} gsprov_settings_t;

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
 * without one, model (or NULL: defaults only) a template chain.  A
 * device's staged firmware rollout is applied (gsprov_rollout.h). */
apr_status_t gsprov_context(apr_pool_t *p, gsprov_store_t *store,
                            const gsprov_templates_t *t, const char *mac,
                            const char *model, const gsprov_settings_t *set,
                            gsprov_context_t *ctx, char **err);

/* A merged parameter's expanded value, "" when unset. */
apr_status_t gsprov_context_value(apr_pool_t *p, const gsprov_context_t *ctx,
                                  const char *name, const char **out,
                                  char **err);

#endif
