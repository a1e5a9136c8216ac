/*
 * The file kinds a device request is recorded under (the provisioning
 * status: GsProvDeviceStatus, GET /devices/<mac>'s "status", the listing
 * filters and the metrics).  Short, stable strings: they are stored in the
 * database (gsprov_device_fetch.kind, VARCHAR(16)) and in the directory
 * store's status files, so they never change once released.
 */
#ifndef GSPROV_KINDS_H
#define GSPROV_KINDS_H

#define GSPROV_SEEN_XML        "xml"       /* cfg<mac>.xml */
#define GSPROV_SEEN_BIN        "bin"       /* cfg<mac>, cfg<mac>.bin */
#define GSPROV_SEEN_MODEL      "model"     /* cfg<model>.xml */
#define GSPROV_SEEN_GENERIC    "generic"   /* cfg.xml */
#define GSPROV_SEEN_FIRMWARE   "firmware"  /* a firmware file */
#define GSPROV_SEEN_REDIRECT   "redirect"  /* a redirect record's file */

/* Every kind, in this order, for loops and validation. */
#define GSPROV_SEEN_KINDS { GSPROV_SEEN_XML, GSPROV_SEEN_BIN, \
        GSPROV_SEEN_MODEL, GSPROV_SEEN_GENERIC, GSPROV_SEEN_FIRMWARE, \
        GSPROV_SEEN_REDIRECT }
#define GSPROV_SEEN_NKINDS     6

/* The longest kind (the column's width). */
#define GSPROV_MAX_SEEN_KIND_LEN 16

#endif
