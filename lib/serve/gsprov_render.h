/* Rendering a merged parameter set as gs_provision XML. */
#ifndef GSPROV_RENDER_H
#define GSPROV_RENDER_H

#include "gsprov_merge.h"
#include "gsprov_vars.h"

/* Render m with variables expanded and values XML-escaped (libxml2).
 * mac (normalized) adds the <mac> header; NULL for generic/model files.
 * An undefined variable fails with GSPROV_EUNDEFVAR and *err names the
 * variable and the file and line it was used in. */
apr_status_t gsprov_render_xml(apr_pool_t *p, const gsprov_merged_t *m,
                               const char *mac, const gsprov_vars_t *vars,
                               char **body, apr_size_t *len, char **err);

/* Expand one parameter's value, with the same error reporting. */
apr_status_t gsprov_render_value(apr_pool_t *p, const gsprov_param_t *prm,
                                 const gsprov_vars_t *vars, const char **out,
                                 char **err);

/* Fill prm's pre-rendered line or tags for a config of this version
 * (called when a layer is parsed). */
apr_status_t gsprov_render_prepare(apr_pool_t *p, gsprov_param_t *prm,
                                   int version, char **err);

#endif
