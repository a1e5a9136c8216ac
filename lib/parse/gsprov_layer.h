/*
 * A layer is one gs_provision file (defaults, model, group) or the
 * <config> of a device record: an ordered list of parameters.
 */
#ifndef GSPROV_LAYER_H
#define GSPROV_LAYER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>

typedef struct {
    const char *name;   /* "P271" (v1) or the item name (v2) */
    const char *part;   /* v2 compound part name, else NULL */
    const char *value;  /* raw value; may hold ${variables} */
    const char *src;    /* label of the file it came from */
    apr_uint32_t hash;  /* of name and part (gsprov_layer_key_hash), to
                         * find it in merged chains */
    int line;
    int has_vars;       /* value contains '$': needs expansion */
    /* Pre-rendered XML (gsprov_render_prepare), so that serving mostly
     * copies text: the whole line when the value has no variables, else
     * the tags around the expanded value.  NULL for v2 compound parts. */
    const char *xml, *open, *close;
    apr_size_t xml_len, open_len, close_len;
} gsprov_param_t;

typedef struct {
    const char *label;          /* e.g. "models/gxp2170.xml" */
    int version;                /* 1 or 2; 0 for a layer with no <config> */
    int prerender;              /* templates: the reader pre-renders each
                                 * parameter's XML at load (device layers,
                                 * parsed per request, render on the fly
                                 * instead) */
    apr_array_header_t *params; /* of gsprov_param_t */
    apr_hash_t *vars;           /* top-level <var name=""> of a template
                                 * (name -> value), or NULL; never rendered */
} gsprov_layer_t;

/* Parse a whole gs_provision document from memory (gsprov_xml.c). */
apr_status_t gsprov_xml_parse_layer(apr_pool_t *p, const char *buf,
                                apr_size_t len, const char *label,
                                gsprov_layer_t **out, char **err);

/* Append one parameter (the reader calls this; *err has no file:line). */
apr_status_t gsprov_layer_add(apr_pool_t *p, gsprov_layer_t *layer,
                              const char *name, const char *part,
                              const char *value, int line, char **err);

/* An empty layer (no <config>): takes no part in the version check. */
gsprov_layer_t *gsprov_layer_empty(apr_pool_t *p, const char *label);

/* The hash of a parameter's key (name, and the part of a v2 compound). */
apr_uint32_t gsprov_layer_key_hash(const char *name, const char *part);

/* v1 parameter name: 'P' and 1..GSPROV_MAX_PNUM_DIGITS digits. */
int gsprov_layer_pname_valid(const char *s);
/* v2 item/part and variable names: [A-Za-z0-9_.-], 1..128 chars. */
int gsprov_layer_ident_valid(const char *s);

#endif
