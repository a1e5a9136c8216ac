/*
 * A file as it is served: its bytes, content type and what it is, and
 * the last step every XML file takes (encryption with the device's
 * password).  Made by the pipeline (gsprov_provision.h) and the redirect
 * service (gsprov_redirect.h), kept by the cache (gsprov_cache.h).
 */
#ifndef GSPROV_OUTPUT_H
#define GSPROV_OUTPUT_H

#include "gsprov_context.h"
#include "gsprov_name.h"

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

/* An XML file as it is served: encrypted with password unless it is
 * NULL or set->plain (the plaintext is then wiped), else as is; label
 * names the file whose password failed. */
apr_status_t gsprov_output_xml(apr_pool_t *p, char *body, apr_size_t len,
                               const char *password,
                               const gsprov_settings_t *set,
                               const char *label, gsprov_output_t *out,
                               char **err);

#endif
