/*
 * The whole pipeline for one request, shared by the module and the CLI:
 * resolved name -> layers from the store -> merge -> prefix/postfix check
 * -> render (XML or legacy binary) -> encrypt (XML with a password).
 * The context it starts from is gsprov_context.h, what it makes
 * gsprov_output.h.
 */
#ifndef GSPROV_PROVISION_H
#define GSPROV_PROVISION_H

#include "gsprov_store.h"
#include "gsprov_name.h"
#include "gsprov_context.h"
#include "gsprov_output.h"

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
