/*
 * The XML reader (libxml2 SAX2, no tree) for gs_provision layer files and
 * device records.  It implements gsprov_layer_parse() (gsprov_layer.h)
 * and gsprov_device_parse() (gsprov_device.h); errors are
 * "label:line: what".
 */
#ifndef GSPROV_XML_H
#define GSPROV_XML_H

#include "gsprov_layer.h"
#include "gsprov_device.h"

#endif
