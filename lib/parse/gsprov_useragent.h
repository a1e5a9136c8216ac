/*
 * Grandstream User-Agent strings (as devices send them):
 *   current: Grandstream Model HW <MODEL>[ <HWREV>] SW <fw> DevId <mac>
 *            (the DevId with or without colons)
 *   legacy:  Grandstream <MODEL> (<file>:<fw>/<file>:<ver>)[ DevId <mac>]
 *            Grandstream <MODEL> [<HWREV>] <fw> [<mac>] [...]
 *            Grandstream <GXW42xx> (DevId <mac>[ / <mac>])
 * A dash in a legacy model is dropped (HT-503: ht503); Grandstream Wave,
 * a softphone, names no model.
 */
#ifndef GSPROV_USERAGENT_H
#define GSPROV_USERAGENT_H

#include "gsprov_mac.h"
#include "gsprov_defaults.h"

typedef struct {
    char model[GSPROV_MAX_MODEL_LEN + 1];  /* lowercase; "" if unusable */
    char hwrev[24];                        /* "V2.2A" or "" */
    char fw[40];                           /* "1.0.1.33" or "" */
    char mac[GSPROV_MAC_LEN + 1];          /* normalized DevId or "" */
} gsprov_ua_t;

/* GsProvUserAgent: off, required (a Grandstream User-Agent), match (and
 * its DevId must be the MAC of the requested per-device file). */
typedef enum { GSPROV_UA_OFF = 0, GSPROV_UA_REQUIRED, GSPROV_UA_MATCH }
    gsprov_ua_policy_e;

/* Parse ua; returns 1 if it is a Grandstream User-Agent (then at least the
 * model or the firmware is known), 0 otherwise.  Never allocates. */
int gsprov_useragent_parse(const char *ua, gsprov_ua_t *out);

#endif
