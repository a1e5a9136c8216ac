/*
 * The XML reader (libxml2 SAX2, no tree) for gs_provision layer files and
 * device records.  It implements gsprov_xml_parse_layer() (gsprov_layer.h)
 * and gsprov_xml_parse_device() (gsprov_device.h); errors are
 * "label:line: what".
 */
#ifndef GSPROV_XML_H
#define GSPROV_XML_H

#include "gsprov_layer.h"
#include "gsprov_device.h"

#endif
