/*
 * The parameters a device record owns.  P1359 (the XML config file
 * password) and P1360/P1361 (the config server's HTTP user and password;
 * in config version 2 provisioning.config.filePassword, .username and
 * .password) decide whether a device can still fetch and open its files,
 * so what is served must agree with the record, whatever a layer says:
 *   - a record with <password>: P1359, wherever a layer sets it, is that
 *     password (its files are encrypted with it);
 *   - a record with <username>/<secret>: a layer's empty P1360/P1361 is
 *     not served (it would clear what the device logs in with).
 * Vendor templates carry these elements, often empty; lint and the admin
 * API warn about every layer that sets them.
 */
#ifndef GSPROV_GUARD_H
#define GSPROV_GUARD_H

#include "gsprov_merge.h"
#include "gsprov_vars.h"
#include "gsprov_device.h"
#include "gsprov_templates.h"

/* A layer's parameter that the record owns. */
typedef struct {
    const char *src;    /* the layer's label (file) */
    int line;
    const char *name;   /* "P1359", or the v2 alias */
    const char *msg;    /* what it does to devices; never the value */
} gsprov_guard_warning_t;

/* Apply the record's ownership to m, the device's merged chain (which is
 * not touched: *m is replaced by a copy when something changes).  Values
 * are expanded with vars to see whether they are empty; a value that
 * does not expand is left for the renderer to report. */
void gsprov_guard_apply(apr_pool_t *p, const gsprov_device_t *dev,
                        const gsprov_vars_t *vars, gsprov_merged_t **m);

/* Append to warnings (of gsprov_guard_warning_t) one entry per parameter
 * of layer that the record owns. */
void gsprov_guard_layer(apr_pool_t *p, const gsprov_layer_t *layer,
                        apr_array_header_t *warnings);

/* The same for every template of t: defaults, then models and groups in
 * name order. */
void gsprov_guard_templates(apr_pool_t *p, const gsprov_templates_t *t,
                            apr_array_header_t *warnings);

/* The same for the chain of one device: defaults, its model (if t has
 * it), its groups in order, its own <config>. */
void gsprov_guard_chain(apr_pool_t *p, const gsprov_templates_t *t,
                        const gsprov_device_t *dev,
                        apr_array_header_t *warnings);

#endif
