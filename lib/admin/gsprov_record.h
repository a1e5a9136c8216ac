/*
 * Device records as JSON, for the admin API: JSON -> record XML (written
 * with libxml2's xmlTextWriter), record -> JSON (secrets left out unless
 * asked for), validation of a candidate record against the store's
 * current templates exactly the way `gsprov lint` checks files on disk,
 * and the list of fields a change touched (for the audit log).
 *
 * The JSON shape (every field optional but "mac" must match if given):
 *   { "mac": "000b82123456", "model": "gxp2170", "groups": ["sales"],
 *     "password": "...", "usernames": ["u"], "secrets": ["s", "next"],
 *     "vars": {"ext": "1001"}, "config_version": 1,
 *     "config": {"P3": "Alice ${ext}"} }
 * config_version 2: "config": {"account.1.name": "x",
 *                              "compound": {"part": "v"}}.
 */
#ifndef GSPROV_RECORD_H
#define GSPROV_RECORD_H

#include <jansson.h>
#include "gsprov_provision.h"

/* Build record XML for mac from a JSON object.  GSPROV_EINVAL with
 * *field (the JSON path, e.g. "groups[1]") and *err when the JSON does
 * not describe a valid record.  Field checks only: templates are
 * checked by gsprov_record_check. */
apr_status_t gsprov_record_from_json(apr_pool_t *p, const char *mac,
                                     const json_t *j, char **xml,
                                     apr_size_t *len, const char **field,
                                     char **err);

/* A parsed record as JSON (tied to p).  Without secrets, "password",
 * "secrets" and secret-looking vars and config values are left out and
 * listed in "redacted". */
json_t *gsprov_record_to_json(apr_pool_t *p, const gsprov_device_t *d,
                              int secrets);

/* A stored record's bytes as that JSON with secrets (what bulk imports
 * compare), or NULL if they do not parse. */
json_t *gsprov_record_bytes_to_json(apr_pool_t *p, const char *mac,
                                    const char *data, apr_size_t len);

/* Parse candidate record bytes and render them (XML, and the binary file
 * of a v1 chain) against templates t with settings set, never encrypted:
 * what `gsprov lint` does to a file on disk.  Returns the parse or
 * render status (GSPROV_EPARSE, _EREF, _EUNDEFVAR, _EMIXED, ...) with
 * *err naming the problem. */
apr_status_t gsprov_record_check(apr_pool_t *p, const gsprov_templates_t *t,
                                 const gsprov_settings_t *set,
                                 const char *mac, const char *xml,
                                 apr_size_t len, gsprov_device_t **out,
                                 char **err);

/* Field paths whose value differs between two record JSONs (either may
 * be NULL), as an object path -> new value (null when removed), secret
 * values replaced by "***".  Tied to p. */
json_t *gsprov_record_changes(apr_pool_t *p, const json_t *old_rec,
                              const json_t *new_rec);

/* 1 if a var or config name looks like it holds a secret. */
int gsprov_record_name_is_secret(const char *name);

#endif
