/*
 * Status codes shared by lib/: APR statuses plus our own, in APR's user
 * error range.  Functions that fail also return a message (file:line: what)
 * allocated from the caller's pool; the caller decides how to log it.
 */
#ifndef GSPROV_ERROR_H
#define GSPROV_ERROR_H

#include <apr_errno.h>

#define GSPROV_ENOTFOUND  (APR_OS_START_USERERR + 1) /* no such device/model */
#define GSPROV_EPARSE     (APR_OS_START_USERERR + 2) /* malformed file */
#define GSPROV_EUNDEFVAR  (APR_OS_START_USERERR + 3) /* undefined ${variable} */
#define GSPROV_EMIXED     (APR_OS_START_USERERR + 4) /* v1 and v2 in one chain */
#define GSPROV_EREF       (APR_OS_START_USERERR + 5) /* unknown model/group */
#define GSPROV_ETOOBIG    (APR_OS_START_USERERR + 6) /* file over the limit */
#define GSPROV_EIO        (APR_OS_START_USERERR + 7) /* unreadable file */
#define GSPROV_ECRYPTO    (APR_OS_START_USERERR + 8) /* OpenSSL failure */
#define GSPROV_EBADNAME   (APR_OS_START_USERERR + 9) /* request name rejected */
#define GSPROV_EREDIRECT  (APR_OS_START_USERERR + 10) /* bad <redirect> or map */
#define GSPROV_ECORRUPT   (APR_OS_START_USERERR + 11) /* stored data invalid */
#define GSPROV_EAUDIT     (APR_OS_START_USERERR + 12) /* done, not audited */
#define GSPROV_EUNAVAIL   (APR_OS_START_USERERR + 13) /* database down or slow:
                                                      * 503, nothing done */
#define GSPROV_EOUTSIDE   (APR_OS_START_USERERR + 14) /* a link out of the
                                                     * store's root */

/* Admin API and PIN claim (numbered after its GSPROV07xx message ids, so
 * other additions above do not collide). */
#define GSPROV_EINVAL     (APR_OS_START_USERERR + 70) /* invalid record/request */
#define GSPROV_ECONFLICT  (APR_OS_START_USERERR + 72) /* exists/already claimed */
#define GSPROV_ELOCKED    (APR_OS_START_USERERR + 73) /* too many wrong PINs */
#define GSPROV_EEXPIRED   (APR_OS_START_USERERR + 74) /* activation expired */
#define GSPROV_EBADPIN    (APR_OS_START_USERERR + 75) /* wrong PIN */

#endif
