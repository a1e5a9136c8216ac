/* MAC addresses as devices put them in file names: 12 hex digits. */
#ifndef GSPROV_MAC_H
#define GSPROV_MAC_H

#include <stddef.h>

#define GSPROV_MAC_LEN 12

/* Normalize exactly 12 hex digits (any case, no separators) into out
 * (13 bytes, lowercase, NUL-terminated).  Returns 1 on success, 0 if s is
 * anything else; out is untouched then. */
int gsprov_mac_parse(const char *s, size_t len, char out[GSPROV_MAC_LEN + 1]);

/* The same, with separators (':', '-', '.', ' ') anywhere skipped:
 * "EC:74:D7:89:1A:76", "000b.8212.3456", as certificates and some
 * User-Agents write a MAC. */
int gsprov_mac_parse_sep(const char *s, size_t len,
                         char out[GSPROV_MAC_LEN + 1]);

/* Raw 6 bytes of a normalized MAC (for the binary format). */
void gsprov_mac_to_bytes(const char *mac, unsigned char out[6]);

#endif
