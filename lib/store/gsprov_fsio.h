/*
 * File primitives of the directory store: every read, listing and write
 * of a tenant's files goes through here, relative to the store's root
 * (GsProvRoot).
 *
 * Contained: a path is opened beneath root, so a symbolic link (or a
 * "..") that leads out of root is refused (GSPROV_EOUTSIDE) and its
 * target never read; links that stay inside root work.  Whoever can
 * write one file in one tenant's store must not reach another's.
 * Race-free: openat2(RESOLVE_BENEATH) where the kernel has it; else (and
 * for absolute links, which RESOLVE_BENEATH refuses outright) the file is
 * opened, then its realpath checked and compared by device and inode
 * with what was opened.
 *
 * Durable: record and activation writes take a lock file per record and
 * replace atomically, so concurrent writers serialize and a crash leaves
 * the old file or the new one, never a torn one.
 */
#ifndef GSPROV_FSIO_H
#define GSPROV_FSIO_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <apr_file_io.h>

/* Lock files live here, under the store root (created on demand). */
#define GSPROV_LOCK_DIR ".gsprov-locks"

typedef struct gsprov_fsio_lock gsprov_lock_t;

/* Read the whole file root/rel of at most max bytes into p
 * (NUL-terminated).  APR_ENOENT if missing, GSPROV_ETOOBIG if larger,
 * GSPROV_EOUTSIDE if it leads out of root, GSPROV_EIO otherwise (a FIFO
 * or other non-regular file is refused without blocking).  rel "" is
 * root itself.  *err names root/rel, never a link's target. */
apr_status_t gsprov_fsio_read_file(apr_pool_t *p, const char *root,
                                   const char *rel, apr_size_t max,
                                   char **buf, apr_size_t *len, char **err);

/* The names in directory root/rel (without "." and ".."), unsorted:
 * APR_ENOENT if there is none, GSPROV_EOUTSIDE, or GSPROV_EIO. */
apr_status_t gsprov_fsio_list(apr_pool_t *p, const char *root,
                              const char *rel, apr_array_header_t **names,
                              char **err);

/* Take the exclusive lock <root>/.gsprov-locks/<name>.lock, waiting for
 * its holder.  flock(2), not apr_file_lock (fcntl locks do not exclude
 * threads of one process): every caller opens its own descriptor, so
 * threads and processes alike serialize.  Released by gsprov_fsio_unlock or
 * when p is cleared.  GSPROV_EIO (or GSPROV_EOUTSIDE) with *err if the
 * lock cannot be made. */
apr_status_t gsprov_fsio_lock(apr_pool_t *p, const char *root, const char *name,
                         gsprov_lock_t **out, char **err);
/* The same lock shared: holders of a shared lock exclude only its
 * exclusive holder. */
apr_status_t gsprov_fsio_lock_shared(apr_pool_t *p, const char *root,
                                     const char *name, gsprov_lock_t **out,
                                     char **err);
/* The exclusive lock without waiting: APR_EBUSY (no *err) if someone
 * holds it. */
apr_status_t gsprov_fsio_trylock(apr_pool_t *p, const char *root,
                                 const char *name, gsprov_lock_t **out,
                                 char **err);
/* 1 if someone holds the lock <name> exclusively now (nothing is
 * created; a lock that cannot be opened is not held). */
int gsprov_fsio_lock_held(apr_pool_t *p, const char *root, const char *name);
void gsprov_fsio_unlock(gsprov_lock_t *l);

/* Replace root/dir/name with data: write ".<name>.tmp.<pid>.<tid>" in
 * dir, fsync it, rename it over name, fsync dir.  Creates dir (one
 * component) if missing.  The caller holds the record's lock.
 * GSPROV_EIO or GSPROV_EOUTSIDE with *err. */
apr_status_t gsprov_fsio_write_atomic(apr_pool_t *p, const char *root,
                                      const char *dir, const char *name,
                                      const void *data, apr_size_t len,
                                      char **err);

/* Writes that take effect together (a deferred transaction): root/dir
 * opened once (beneath root, closed with p); stage writes data beside
 * name (".<name>.tmp.<pid>.<tid>", fsynced; *tmp its name), publish
 * renames it over name (a failure removes it), unstage removes it (no
 * allocation: for pool cleanups), dir_remove removes name (missing is
 * fine), dir_sync fsyncs the directory once for them all.  GSPROV_EIO
 * with *err. */
typedef struct gsprov_fsio_dir gsprov_dir_t;
apr_status_t gsprov_fsio_dir_open(apr_pool_t *p, const char *root,
                                  const char *dir, gsprov_dir_t **out,
                                  char **err);
apr_status_t gsprov_fsio_stage(apr_pool_t *p, gsprov_dir_t *d,
                               const char *name, const void *data,
                               apr_size_t len, const char **tmp, char **err);
apr_status_t gsprov_fsio_publish(apr_pool_t *p, gsprov_dir_t *d,
                                 const char *tmp, const char *name,
                                 char **err);
void gsprov_fsio_unstage(gsprov_dir_t *d, const char *tmp);
apr_status_t gsprov_fsio_dir_remove(apr_pool_t *p, gsprov_dir_t *d,
                                    const char *name, char **err);
apr_status_t gsprov_fsio_dir_sync(apr_pool_t *p, gsprov_dir_t *d, char **err);
/* In a directory opened so, for what may lose its last seconds in a
 * crash (the provisioning status), no fsync: dir_append appends data to name (created if
 * missing) in one write; dir_rename renames from to to (APR_ENOENT if
 * from is missing); dir_read_open opens name for buffered reading, closed
 * with p (APR_ENOENT if missing).  Names are single components, links not
 * followed.  GSPROV_EIO with *err. */
apr_status_t gsprov_fsio_dir_append(apr_pool_t *p, gsprov_dir_t *d,
                                    const char *name, const void *data,
                                    apr_size_t len, char **err);
apr_status_t gsprov_fsio_dir_rename(apr_pool_t *p, gsprov_dir_t *d,
                                    const char *from, const char *to,
                                    char **err);
/* Rewrite name in place (a small file one writer owns, read while it is
 * being written only by readers that retry a torn read): rw_open opens
 * it (created if missing; refused if it is not a plain file or has
 * another hard link) and reads it whole (at most max bytes, else
 * GSPROV_ETOOBIG) into *buf; rw_commit writes data over it in one
 * pwrite, padded with spaces to the old length (nothing is truncated),
 * sets its mtime unless mtime < 0, and closes it.  GSPROV_EIO with *err.
 * A quarter of a replace's cost: ext4 flushes the data of a file renamed
 * over another (auto_da_alloc), which a reboot storm's hundred thousand
 * files would wait for. */
typedef struct gsprov_fsio_rw gsprov_rw_t;
apr_status_t gsprov_fsio_dir_rw_open(apr_pool_t *p, gsprov_dir_t *d,
                                     const char *name, apr_size_t max,
                                     gsprov_rw_t **out, char **buf,
                                     apr_size_t *len, char **err);
apr_status_t gsprov_fsio_rw_commit(apr_pool_t *p, gsprov_rw_t *h,
                                   const char *data, apr_size_t len,
                                   apr_time_t mtime, char **err);
apr_status_t gsprov_fsio_dir_read_open(apr_pool_t *p, gsprov_dir_t *d,
                                       const char *name, apr_file_t **out,
                                       char **err);

/* The same without either fsync: atomic (old or new, never torn) but
 * not durable, for what may lose its last seconds in a crash (the
 * provisioning status).  GSPROV_EIO or GSPROV_EOUTSIDE with *err. */
apr_status_t gsprov_fsio_write_replace(apr_pool_t *p, const char *root,
                                       const char *dir, const char *name,
                                       const void *data, apr_size_t len,
                                       char **err);

/* Remove root/dir/name and fsync dir: APR_SUCCESS, APR_ENOENT, or
 * GSPROV_EIO / GSPROV_EOUTSIDE. */
apr_status_t gsprov_fsio_remove_durable(apr_pool_t *p, const char *root,
                                        const char *dir, const char *name,
                                        char **err);

/* Remove the temporary files of writers that died mid-write
 * (".<name>.tmp.*" in root/dir) last modified more than age ago; younger
 * ones may be a live writer's (another node of a farm).  Returns how many
 * were removed. */
int gsprov_fsio_clean_temps(apr_pool_t *p, const char *root, const char *dir,
                            apr_interval_time_t age);

/* Every name in root/rel (but "." and ".."), with its inode number, to
 * fn, the directory opened beneath root like any file.  readdir(3)
 * itself: apr_dir_read copies each name into the directory's pool, a
 * million names for a million records.  APR_ENOENT if there is no such
 * directory, GSPROV_EOUTSIDE or GSPROV_EIO with *err. */
apr_status_t gsprov_fsio_scan_dir(apr_pool_t *p, const char *root,
                                  const char *rel,
                                  void (*fn)(void *baton, const char *name,
                                             apr_ino_t ino),
                                  void *baton, char **err);

/* Ask the kernel to start reading path into the page cache (a walk over
 * many small files has the next ones read while it works on this one);
 * nothing happens if it cannot. */
void gsprov_fsio_prefetch(const char *path);

#endif
