/*
 * The legacy binary config file (cfg<mac>, cfg<mac>.bin):
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

/* What a device's binary file carries (GsProvBinary). */
typedef enum {
    GSPROV_BINARY_OFF = 0,      /* cfg<mac> answers 404 */
    GSPROV_BINARY_BOOTSTRAP,    /* only the parameters that lead to the XML */
    GSPROV_BINARY_FULL          /* every merged P-value */
} gsprov_binary_e;

/* The parameters a bootstrap binary file always carries: where the XML
 * is, how to fetch it, with which credentials, under which names. */
#define GSPROV_BINARY_BOOTSTRAP_PARAMS \
    { "P237", "P212", "P1359", "P1360", "P1361", "P234", "P235" }

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
