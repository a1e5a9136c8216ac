/*
 * The version of mod_gsprov and the gsprov tool: this line is the one
 * place it is written.  The Makefile reads it (man pages, the Debian
 * package), and tools/check-config-docs.sh checks that debian/changelog's
 * newest entry is the same version.  Releases are tagged v<version>.
 */
#ifndef GSPROV_VERSION_H
#define GSPROV_VERSION_H

#define GSPROV_VERSION "1.1.0"

/* what the error log and the status page say */
#define GSPROV_VERSION_STRING "mod_gsprov/" GSPROV_VERSION

#endif
