/*
 * The tenant's settings the way httpd has them, for gsprov lint and
 * render: GsProvVar lines from a file of its own, or GsProvRoot and
 * GsProvVar from the Apache configuration of a vhost.
 *
 * The reader follows httpd's syntax where it matters here: arguments as
 * ap_getword_conf splits them (quotes, backslashes), continuation lines,
 * comments, sections, Include and IncludeOptional (relative to
 * ServerRoot; Debian's /etc/apache2 unless the files set one).  <If...>
 * sections (IfModule, IfDefine, ...) are read as if true; Define
 * variables (${NAME}) are not expanded.
 */
#ifndef GSPROV_APCONF_H
#define GSPROV_APCONF_H

#include <apr_pools.h>
#include <apr_hash.h>

/* A file of "GsProvVar NAME VALUE" lines (and comments, blank lines),
 * into vars.  Anything else is an error naming the file and line. */
apr_status_t gsprov_apconf_vars_file(apr_pool_t *p, const char *path,
                                     apr_hash_t *vars, char **err);

/* What applies to the SetHandler gsprov location of the <VirtualHost>
 * whose ServerName or ServerAlias is vhost, in the Apache configuration
 * file path (and the files it includes): GsProvRoot into *root (NULL if
 * none), and GsProvVar lines into vars, merged as httpd merges them
 * (main server, then the vhost, then that location: the later wins). */
apr_status_t gsprov_apconf_vhost(apr_pool_t *p, const char *path,
                                 const char *vhost, const char **root,
                                 apr_hash_t *vars, char **err);

#endif
