/*
 * The request-name resolver: turns the last path segment of a request into
 * a file kind plus its MAC or model, and rejects everything else before
 * anything touches the filesystem.
 */
#ifndef GSPROV_NAME_H
#define GSPROV_NAME_H

#include <stddef.h>
#include "gsprov_mac.h"
#include "gsprov_defaults.h"

typedef enum {
    GSPROV_KIND_NONE = 0,
    GSPROV_KIND_DEVICE_XML,   /* cfg<mac>.xml */
    GSPROV_KIND_MODEL_XML,    /* cfg<model>.xml */
    GSPROV_KIND_GENERIC_XML   /* cfg.xml */
} gsprov_kind_e;

typedef struct {
    gsprov_kind_e kind;
    char mac[GSPROV_MAC_LEN + 1];             /* DEVICE_*: normalized MAC */
    char model[GSPROV_MAX_MODEL_LEN + 1];     /* MODEL_*: lowercase model */
} gsprov_name_t;

/* Resolve a file name of len bytes (it need not be NUL-terminated; an
 * embedded NUL is rejected).  Returns 1 and fills out, or 0. */
int gsprov_name_resolve(const char *name, size_t len, gsprov_name_t *out);

/* "device-xml", "model-xml", "generic-xml": the gsprov-file note. */
const char *gsprov_kind_name(gsprov_kind_e kind);

/* Validators shared with the store (names of model and group files). */
int gsprov_model_name_valid(const char *s, size_t len);
int gsprov_group_name_valid(const char *s, size_t len);

#endif
