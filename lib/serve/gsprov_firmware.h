/*
 * Firmware: which image a device is offered (the firmware server path P192, the
 * pre/postfix P232/P233, and the version in the User-Agent).
 *
 * The version is the variable `firmware`, layered like parameters (device
 * record > groups > model > defaults > GsProvVar); a staged rollout
 * (gsprov_rollout.h) has already replaced it in the device's context.
 * The module then hands the file to httpd's core, which serves it like
 * any static file (sendfile, Range, ETag, conditional requests).
 */
#ifndef GSPROV_FIRMWARE_H
#define GSPROV_FIRMWARE_H

#include "gsprov_context.h"

/* GsProvFirmwareUnknown: what a device that cannot be identified is
 * offered: the tenant's default firmware, or nothing (404). */
typedef enum { GSPROV_FW_UNKNOWN_DEFAULT = 0, GSPROV_FW_UNKNOWN_DENY }
    gsprov_fw_unknown_e;

typedef struct {
    const char *version;     /* offered version */
    const char *file;        /* basic file name (prefix/postfix removed) */
    const char *path;        /* <root>/<version>/<file>, checked */
    int rollout;             /* 1 if the version came from firmware.next */
} gsprov_fw_t;

/* Firmware file names: [A-Za-z0-9._~-]{1,128}, not starting with '.'. */
int gsprov_firmware_name_valid(const char *s, size_t len);

/* Decide and locate the file for name under root (a canonical path, as
 * realpath() gives it).  ctx is the device's context (or
 * an unknown device's: ctx->dev NULL; then no rollout).  Returns
 * APR_SUCCESS, GSPROV_ENOTFOUND (no version, bad version, no such file,
 * a link out of root: *err says which), or an error (undefined variable). */
apr_status_t gsprov_firmware_resolve(apr_pool_t *p, const gsprov_context_t *ctx,
                               const char *root, const char *name,
                               gsprov_fw_t *out, char **err);

#endif
