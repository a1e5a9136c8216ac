/*
 * The whole pipeline for one request, shared by the module and the CLI:
 * resolved name -> layers from the store -> merge -> render -> encrypt.
 */
#ifndef GSPROV_PROVISION_H
#define GSPROV_PROVISION_H

#include "gsprov_store.h"
#include "gsprov_name.h"
#include "gsprov_crypto.h"

typedef struct {
    apr_hash_t *tenant_vars;    /* GsProvVar: name -> value; may be NULL */
    gsprov_md_e key_digest;     /* GsProvKeyDerivation */
} gsprov_settings_t;

typedef struct {
    const char *body;
    apr_size_t len;
    int encrypted;
    const char *content_type;
    const char *model;          /* device's or requested model, or NULL */
} gsprov_output_t;

#define GSPROV_CT_XML       "application/xml; charset=utf-8"
#define GSPROV_CT_ENCRYPTED "application/octet-stream"

/* Produce the file for a resolved name.  Returns APR_SUCCESS,
 * GSPROV_ENOTFOUND (unknown device or model: answer 404), or an error
 * (GSPROV_EPARSE, _EUNDEFVAR, _EMIXED, _EREF, _ETOOBIG, _EIO, _ECRYPTO)
 * with *err naming the file, line and problem, never a secret. */
apr_status_t gsprov_provision(apr_pool_t *p, gsprov_store_t *store,
                              const gsprov_templates_t *t,
                              const gsprov_name_t *name,
                              const gsprov_settings_t *set,
                              gsprov_output_t *out, char **err);

#endif
