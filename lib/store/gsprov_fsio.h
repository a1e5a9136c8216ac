/*
 * Durable file updates for the writable parts of a directory store
 * (device records, activations): a lock file per record and an atomic
 * replace, so concurrent writers serialize and a crash leaves the old
 * file or the new one, never a torn one.
 */
#ifndef GSPROV_FSIO_H
#define GSPROV_FSIO_H

#include <apr_pools.h>

/* Lock files live here, under the store root (created on demand). */
#define GSPROV_LOCK_DIR ".gsprov-locks"

typedef struct gsprov_fsio_lock gsprov_lock_t;

/* Take the exclusive lock <root>/.gsprov-locks/<name>.lock, waiting for
 * its holder.  flock(2), not apr_file_lock (fcntl locks do not exclude
 * threads of one process): every caller opens its own descriptor, so
 * threads and processes alike serialize.  Released by gsprov_fsio_unlock or
 * when p is cleared.  GSPROV_EIO with *err if the lock cannot be made. */
apr_status_t gsprov_fsio_lock(apr_pool_t *p, const char *root, const char *name,
                         gsprov_lock_t **out, char **err);
void gsprov_fsio_unlock(gsprov_lock_t *l);

/* Replace dir/name with data: write ".<name>.tmp.<pid>.<tid>" in dir,
 * fsync it, rename it over name, fsync dir.  Creates dir if missing.
 * The caller holds the record's lock.  GSPROV_EIO with *err. */
apr_status_t gsprov_fsio_write_atomic(apr_pool_t *p, const char *dir,
                                 const char *name, const void *data,
                                 apr_size_t len, char **err);

/* The same without either fsync: atomic (old or new, never torn) but
 * not durable, for what may lose its last seconds in a crash (the
 * provisioning status).  GSPROV_EIO with *err. */
apr_status_t gsprov_fsio_write_replace(apr_pool_t *p, const char *dir,
                                       const char *name, const void *data,
                                       apr_size_t len, char **err);

/* Remove dir/name and fsync dir: APR_SUCCESS, APR_ENOENT, or GSPROV_EIO. */
apr_status_t gsprov_fsio_remove_durable(apr_pool_t *p, const char *dir,
                                   const char *name, char **err);

/* Read a whole file of at most max bytes into p (NUL-terminated).
 * APR_ENOENT if missing, GSPROV_ETOOBIG if larger, GSPROV_EIO otherwise. */
apr_status_t gsprov_fsio_read_file(apr_pool_t *p, const char *path,
                              apr_size_t max, char **buf, apr_size_t *len,
                              char **err);

#endif
