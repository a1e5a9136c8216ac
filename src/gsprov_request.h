/*
 * Helpers about the request at hand that the httpd-side files share
 * (mod_gsprov.c's handlers, access control, the status counters, the
 * admin API): which handler and file it is for, which device it is
 * about, and the settings its location gives the pipeline.  They call
 * nothing but lib/ and the config (gsprov_config.c).
 */
#ifndef GSPROV_REQUEST_H
#define GSPROV_REQUEST_H

#include "httpd.h"
#include "mod_gsprov.h"
#include "gsprov_useragent.h"

/* The last segment of the URI: the requested file's name. */
const char *gsprov_request_segment(const request_rec *r);

/* The handler that SetHandler chose for this request, if any (it is only
 * applied at fixups, after map_to_storage). */
const char *gsprov_request_handler(request_rec *r);

/* The request's User-Agent parsed (gsprov_useragent_parse), once per
 * request: the handler and the status recording both read it.  *ua lives
 * as long as r->pool; returns 1 for a Grandstream device. */
int gsprov_request_ua(request_rec *r, const gsprov_ua_t **ua);

/* A firmware path: <location>/<file> or <location>/<mac>/<file>; the
 * location is the section core merged last (the <Location> holding
 * SetHandler).  Sets *name and mac ("" without a MAC segment); returns 0
 * for any other shape. */
int gsprov_request_fw_split(request_rec *r, char mac[GSPROV_MAC_LEN + 1],
                            const char **name);

/* The MAC a request is about: the name of a per-device file, or the
 * <mac> segment of a firmware path.  1 if there is one. */
int gsprov_request_mac(request_rec *r, char mac[GSPROV_MAC_LEN + 1]);

/* The store of the request's location: GsProvRoot's directory store, or
 * with GsProvStore dbd the database store over its templates; NULL
 * without GsProvRoot.  memo: records read at most once per request (the
 * device handlers and access control share one read); the admin API,
 * which writes, takes it without. */
gsprov_store_t *gsprov_request_store(request_rec *r, int memo);

/* The query string's arguments, decoded (ap_args_to_table): 1, or 0
 * when one of them would hold a NUL (%00), which C strings cut short:
 * "file=cfg<mac>.xml%00junk" must not read as "cfg<mac>.xml". */
int gsprov_request_args(request_rec *r, apr_table_t **args);

/* The handlers only answer GET (and HEAD): OK, or 405 with Allow set. */
int gsprov_request_only_get(request_rec *r);

/* The pipeline's settings from a location's config; ua is the parsed
 * User-Agent or NULL. */
void gsprov_request_settings(const gsprov_dir_conf *conf,
                             const gsprov_ua_t *ua, gsprov_settings_t *set);

#endif
