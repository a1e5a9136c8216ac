/*
 * What the processes of one server share about a template directory, so
 * that every child serves the newest good template set any of them has
 * loaded (gsprov_templates_dir.c is the only user):
 *
 *   a slot            in memory shared by the processes (made before they
 *                     fork): the newest good set's generation, version
 *                     and change stamp, the stamp of the last rejected
 *                     state (so a broken edit is logged once per server),
 *                     when the files were last checked, and a lease that
 *                     lets one process at a time check them
 *   snapshot files    the exact bytes of every good set a process loaded,
 *                     written before the slot names it: a child that
 *                     missed a set loads what was validated, never what
 *                     the files hold now (perhaps a broken edit)
 *
 * The slot is read and written under a sequence lock: readers never
 * block, and the only writer is the process holding the lease.
 */
#ifndef GSPROV_TPLSHARE_H
#define GSPROV_TPLSHARE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#define GSPROV_TPLSHARE_HEX 65      /* a hex SHA-256 and its NUL */

/* What the slot says. */
typedef struct {
    apr_uint32_t gen;               /* +1 for every newer good set */
    char version[GSPROV_TPLSHARE_HEX];  /* of the newest good set */
    char stamp[GSPROV_TPLSHARE_HEX];    /* the files' stamp it came from */
    char failed[GSPROV_TPLSHARE_HEX];   /* last rejected stamp, "-" for a
                                         * store that cannot be listed,
                                         * "" if none since */
} gsprov_tplshare_state_t;

typedef struct {
    volatile apr_uint32_t seq;      /* odd while the state is written */
    gsprov_tplshare_state_t st;
    volatile apr_uint64_t last_check;   /* apr_time_t of the last check */
    volatile apr_uint64_t lease;        /* until when a process checks;
                                         * 0: nobody */
} gsprov_tplshare_slot_t;

/* One template file's bytes, by its name under the root. */
typedef struct {
    const char *rel;                /* "defaults.xml", "models/x.xml" */
    const char *data;
    apr_size_t len;
} gsprov_tplshare_file_t;

/* A consistent copy of the state: 0 if none could be had (a writer died
 * in the middle; the caller goes on with what it has). */
int gsprov_tplshare_read(gsprov_tplshare_slot_t *s,
                         gsprov_tplshare_state_t *out);
/* Only the holder of the lease writes. */
void gsprov_tplshare_write(gsprov_tplshare_slot_t *s,
                           const gsprov_tplshare_state_t *in);
/* The generation alone, without the lock (a hint: read() is the truth). */
apr_uint32_t gsprov_tplshare_gen(gsprov_tplshare_slot_t *s);

/* 1 if the files are due for a check (interval has passed since the last
 * one) and the caller got the lease to do it: it then calls release().
 * A lease whose holder died expires after GSPROV_TEMPLATES_LEASE_SECONDS. */
int gsprov_tplshare_claim(gsprov_tplshare_slot_t *s, apr_time_t now,
                          apr_interval_time_t interval);
void gsprov_tplshare_release(gsprov_tplshare_slot_t *s);

/* Snapshot files: dir/<tag>.<version>, written atomically.  files is an
 * array of gsprov_tplshare_file_t. */
apr_status_t gsprov_tplshare_save(apr_pool_t *p, const char *dir,
                                  const char *tag, const char *version,
                                  const char *stamp,
                                  const apr_array_header_t *files,
                                  char **err);
/* APR_ENOENT if there is no such file; GSPROV_ECORRUPT if it is not one
 * of ours.  Whether the bytes are the version is for the caller to check
 * (it hashes them anyway). */
apr_status_t gsprov_tplshare_load(apr_pool_t *p, const char *dir,
                                  const char *tag, const char *version,
                                  const char **stamp,
                                  apr_array_header_t **files, char **err);
void gsprov_tplshare_remove(apr_pool_t *p, const char *dir, const char *tag,
                            const char *version);

#endif
