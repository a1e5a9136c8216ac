/*
 * The request-name resolver: turns the last path segment of a request into
 * a file kind plus its MAC or model, and rejects everything else before
 * anything touches the filesystem.
 *
 * Per-device names may carry the device's config prefix and postfix
 * (P234/P235):  <prefix>cfg<mac>[.xml|.bin]<postfix>  and
 * <prefix>cfg<mac><postfix>.xml.  One name can often be read several ways
 * ("cfg<mac>_2.xml": XML with postfix "_2", or binary with postfix
 * "_2.xml"), so the resolver lists every reading; the pipeline keeps the
 * one whose prefix and postfix equal the device's own.
 */
#ifndef GSPROV_NAME_H
#define GSPROV_NAME_H

#include <stddef.h>
#include "gsprov_mac.h"
#include "gsprov_defaults.h"

typedef enum {
    GSPROV_KIND_NONE = 0,
    GSPROV_KIND_DEVICE_XML,   /* cfg<mac>.xml */
    GSPROV_KIND_DEVICE_BIN,   /* cfg<mac>, cfg<mac>.bin (legacy binary) */
    GSPROV_KIND_MODEL_XML,    /* cfg<model>.xml */
    GSPROV_KIND_GENERIC_XML   /* cfg.xml */
} gsprov_kind_e;

#define GSPROV_NAME_MAX_READINGS 4

typedef struct {
    gsprov_kind_e kind;                       /* DEVICE_XML or DEVICE_BIN */
    char postfix[GSPROV_MAX_NAME_LEN + 1];
} gsprov_reading_t;

typedef struct {
    gsprov_kind_e kind;      /* for device names: the first reading's kind */
    char mac[GSPROV_MAC_LEN + 1];             /* device names: normalized */
    char model[GSPROV_MAX_MODEL_LEN + 1];     /* MODEL_XML: lowercase */
    char prefix[GSPROV_MAX_NAME_LEN + 1];     /* device names */
    int nreadings;
    gsprov_reading_t reading[GSPROV_NAME_MAX_READINGS];
    int any_affix;  /* set by callers (CLI): skip the P234/P235 check */
} gsprov_name_t;

/* Resolve a file name of len bytes (it need not be NUL-terminated; an
 * embedded NUL is rejected).  Returns 1 and fills out, or 0. */
int gsprov_name_resolve(const char *name, size_t len, gsprov_name_t *out);

/* "device-xml", "device-bin", "model-xml", "generic-xml": the gsprov-file
 * note. */
const char *gsprov_name_kind(gsprov_kind_e kind);

/* Validators shared with the store (names of model and group files). */
int gsprov_name_model_valid(const char *s, size_t len);
int gsprov_name_group_valid(const char *s, size_t len);

#endif
