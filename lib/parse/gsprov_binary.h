/*
 * The legacy binary config file (cfg<mac>, cfg<mac>.bin), spec section 15:
 *   u32 BE  length of the whole file in 16-bit words
 *   u16 BE  checksum: makes the 16-bit word sum of the whole file 0
 *   6 bytes MAC, then 0D 0A 0D 0A
 *   body    P<n>=<value>&...&gnkey=0b82, values percent-encoded,
 *           NUL-padded to an even length
 */
#ifndef GSPROV_BINARY_H
#define GSPROV_BINARY_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct {
    const char *name;    /* "P271" */
    const char *value;   /* decoded value */
} gsprov_pvalue_t;

#define GSPROV_BINARY_HEADER_LEN 16

/* Encode pvalues (array of gsprov_pvalue_t, names P<digits>) for mac
 * (normalized 12 hex digits). */
apr_status_t gsprov_binary_encode(apr_pool_t *p, const char *mac,
                                  const apr_array_header_t *pvalues,
                                  unsigned char **out, apr_size_t *len);

/* Decode and verify (length, checksum, separator, gnkey last).  Fills the
 * MAC (13 bytes) and the P-values; *err says what is wrong. */
apr_status_t gsprov_binary_decode(apr_pool_t *p, const unsigned char *in,
                                  apr_size_t len, char mac[13],
                                  apr_array_header_t **pvalues, char **err);

#endif
