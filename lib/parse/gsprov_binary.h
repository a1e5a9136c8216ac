/*
 * The legacy binary config file (cfg<mac>, cfg<mac>.bin):
 *   u32 BE  length of the whole file in 16-bit words
 *   u16 BE  checksum: makes the 16-bit word sum of the whole file 0
 *   6 bytes MAC, then 0D 0A 0D 0A
 *   body    P<n>=<value>&...&gnkey=0b82, values percent-encoded,
 *           NUL-padded to an even length
 * Grandstream's own generator (GS_CFG_GEN) writes bytes 6-11 as FF 01,
 * two random bytes and a checksum of the body (no MAC), a 16-bit length
 * in bytes 2-3, '+' for a space, and optionally encrypts the body (a
 * 64-byte header, then AES); the reader takes all of that but the
 * encryption.
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

/* What bytes 6-11 hold. */
typedef enum {
    GSPROV_BINARY_LAYOUT_MAC = 0,   /* the device's MAC */
    GSPROV_BINARY_LAYOUT_TOOL       /* FF 01, random, body checksum */
} gsprov_binary_layout_e;

typedef struct {
    gsprov_binary_layout_e layout;
    char mac[13];           /* LAYOUT_MAC: normalized; else "" */
    unsigned random;        /* LAYOUT_TOOL: bytes 8-9 */
    unsigned body_sum;      /* LAYOUT_TOOL: bytes 10-11, not checked (how
                             * the tool computes it is not public) */
    int length16;           /* the length matched only as 16 bits (bytes
                             * 2-3 of a file of 128 KiB or more) */
    int encrypted;          /* the tool's encrypted variant */
    apr_array_header_t *pvalues;    /* of gsprov_pvalue_t, values decoded
                                     * ('+' is a space) */
} gsprov_binary_file_t;

/* Read and verify a binary file (length, checksum, separator, gnkey
 * last).  APR_ENOTIMPL (out->encrypted set) for the encrypted variant of
 * Grandstream's tool, GSPROV_EPARSE for anything else wrong; *err says
 * what. */
apr_status_t gsprov_binary_read(apr_pool_t *p, const unsigned char *in,
                                apr_size_t len, gsprov_binary_file_t *out,
                                char **err);

/* gsprov_binary_read, for the MAC ("" for the tool's header) and the
 * P-values; any failure is GSPROV_EPARSE. */
apr_status_t gsprov_binary_decode(apr_pool_t *p, const unsigned char *in,
                                  apr_size_t len, char mac[13],
                                  apr_array_header_t **pvalues, char **err);

#endif
