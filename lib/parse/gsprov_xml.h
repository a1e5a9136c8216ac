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

/* What to change, for the two ways vendor templates commonly break the
 * rules (a "--" in a comment, such as a nested "<!--"; text outside any
 * element of ours), given the reader's error message; NULL for any other
 * message.  The reader keeps refusing them: devices' own parsers are no
 * measure of what a template may hold. */
const char *gsprov_xml_hint(const char *err);

#endif
