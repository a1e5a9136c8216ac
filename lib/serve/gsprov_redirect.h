/*
 * The redirect service: a tenant hands a device the minimal file that
 * moves it to the tenant that owns it (as Grandstream's own redirect service, GAPS, does): P237 config
 * server path, P212 protocol, P192 firmware server path, and optionally
 * P1359 (XML password) and P1360/P1361 (HTTP credentials) for the target.
 * The binary file is applied without a reboot (the vendor's guide: a binary file is
 * applied at once), so the device
 * fetches its real files from the target in the same boot.
 *
 * Redirects come from a device record's <redirect> element (gsprov_xml.c)
 * or from the store's bulk map <root>/redirect.map (parsed here, loaded
 * with the templates).  A record wins over the map.  Values are literal:
 * no ${variables}.
 */
#ifndef GSPROV_REDIRECT_H
#define GSPROV_REDIRECT_H

#include <apr_pools.h>
#include <apr_hash.h>
#include "gsprov_output.h"

struct gsprov_redirect {
    const char *config;     /* P237: host[:port][/path], no scheme */
    const char *firmware;   /* P192, or NULL: left as the device has it */
    int protocol;           /* P212: 0 TFTP, 1 HTTP, 2 HTTPS, 3 FTP, 4 FTPS */
    const char *password;   /* P1359 at the target, or NULL */
    const char *username;   /* P1360 at the target, or NULL */
    const char *secret;     /* P1361 at the target, or NULL */
    const char *src;        /* "file:line" it came from, for messages */
    int line;
};

/* Check a server path as P237/P192 take it: host[:port][/path] without a
 * scheme (devices prepend it from P212).  NULL if valid, else why not. */
const char *gsprov_redirect_path_check(const char *s);

/* "tftp", "http", "https", "ftp", "ftps" or the digit 0-4 -> P212 value;
 * -1 if s is none of these. */
int gsprov_redirect_protocol_parse(const char *s);

/* Check a credential (password, username, secret): 1 to
 * GSPROV_MAX_REDIRECT_VALUE_LEN bytes, no control characters.  NULL if
 * valid, else why not (never quoting the value). */
const char *gsprov_redirect_value_check(const char *s);

/* Parse a redirect map (label names it in messages):
 *   # comment
 *   <mac> <config-path> [<firmware-path>] [protocol=tftp|http|https|...]
 * into mac (normalized) -> const gsprov_redirect_t *.  The first problem
 * fails with GSPROV_EREDIRECT and *err = "label:line: what"; with report
 * set, every problem is reported, bad lines are skipped and the call
 * succeeds (lint). */
apr_status_t gsprov_redirect_map_parse(apr_pool_t *p, const char *buf,
                                       apr_size_t len, const char *label,
                                       const gsprov_report_t *report,
                                       apr_hash_t **out, char **err);

/* The redirect file for mac: GSPROV_KIND_DEVICE_XML (encrypted with
 * local_password when it is not NULL and set->plain is not set) or
 * GSPROV_KIND_DEVICE_BIN (GSPROV_ENOTFOUND when GsProvBinary is off). */
apr_status_t gsprov_redirect_render(apr_pool_t *p,
                                    const gsprov_redirect_t *rd,
                                    const char *mac, gsprov_kind_e kind,
                                    const char *local_password,
                                    const gsprov_settings_t *set,
                                    gsprov_output_t *out, char **err);

#endif
