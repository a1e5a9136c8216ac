#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <apr_strings.h>
#include <apr_portable.h>
#include "gsprov_fsio.h"
#include "gsprov_error.h"

/* openat2(2) (Linux 5.6): glibc 2.36 has no wrapper, the syscall does */
#if defined(__has_include)
#if __has_include(<linux/openat2.h>) && defined(SYS_openat2)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif

struct gsprov_fsio_lock {
    apr_pool_t *pool;
    int fd;
};

/* ---- opening beneath the root ---------------------------------------- */

static const char *label_of(apr_pool_t *p, const char *root, const char *rel)
{
    return *rel ? apr_pstrcat(p, root, "/", rel, NULL) : root;
}

/* The fallback's check: fd, opened following links, is root/rel's file
 * inside root if root/rel's realpath lies under root's and is the very
 * file (device and inode) that was opened, so a link swapped between the
 * open and the check is caught. */
static int inside(const char *root, const char *rel, int fd)
{
    char rroot[PATH_MAX], rfile[PATH_MAX], path[PATH_MAX];
    struct stat a, b;
    size_t n;

    if (!realpath(root, rroot)
        || snprintf(path, sizeof(path), "%s/%s", root, rel)
           >= (int)sizeof(path)
        || !realpath(path, rfile) || stat(rfile, &a) != 0
        || fstat(fd, &b) != 0)
        return 0;
    n = strlen(rroot);
    if (n > 1 && (strncmp(rfile, rroot, n) != 0
                  || (rfile[n] != '/' && rfile[n] != '\0')))
        return 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* rel is missing: 1 if its folder leads out of root all the same, so
 * that what another tenant has (or lacks) is no answer either. */
static int parent_outside(int rootfd, const char *root, const char *rel)
{
    const char *slash = strrchr(rel, '/');
    char dir[PATH_MAX];
    int fd, out;

    if (!slash || (size_t)(slash - rel) >= sizeof(dir))
        return 0;
    memcpy(dir, rel, (size_t)(slash - rel));
    dir[slash - rel] = '\0';
    if ((fd = openat(rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return 0;
    out = !inside(root, dir, fd);
    close(fd);
    return out;
}

/* Open rel (relative, "" for root itself) beneath rootfd with flags:
 * a descriptor, or -1 with errno; *outside is set when the path leads out
 * of root (errno EXDEV). */
static int open_beneath(int rootfd, const char *root, const char *rel,
                        int flags, int *outside)
{
    const char *r = *rel ? rel : ".";
    int fd, tries;

    *outside = 0;
    flags |= O_CLOEXEC | O_NOCTTY;
#ifdef HAVE_OPENAT2
    {
        struct open_how how;
        memset(&how, 0, sizeof(how));
        how.flags = (unsigned long long)flags;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        fd = (int)syscall(SYS_openat2, rootfd, r, &how, sizeof(how));
        if (fd >= 0)
            return fd;
        /* EXDEV: out of root, or an absolute link (which may still point
         * inside: decided below); the others: no usable openat2 (old
         * kernel, seccomp) */
        if (errno != EXDEV && errno != ENOSYS && errno != EPERM
            && errno != EINVAL && errno != E2BIG)
            return -1;
    }
#endif
    /* a file replaced by rename between open and check is a mismatch
     * too: try again before calling it outside */
    for (tries = 0; tries < 3; tries++) {
        if ((fd = openat(rootfd, r, flags)) < 0) {
            int e = errno;      /* (the check below may change errno) */
            if (e == ENOENT && parent_outside(rootfd, root, r)) {
                *outside = 1;
                e = EXDEV;
            }
            errno = e;
            return -1;
        }
        if (inside(root, r, fd))
            return fd;
        close(fd);
    }
    *outside = 1;
    errno = EXDEV;
    return -1;
}

/* rel opened beneath root, or -1 with *rv and *err set (APR_ENOENT
 * without a message if it is missing, when missing_ok). */
static int open_in(apr_pool_t *p, const char *root, const char *rel,
                   int flags, int missing_ok, const char *what,
                   apr_status_t *rv, char **err)
{
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd, outside = 0, e;

    if (rootfd < 0) {
        e = errno;
        *err = apr_psprintf(p, "%s: cannot open the store: %s", root,
                            strerror(e));
        *rv = missing_ok && e == ENOENT ? APR_ENOENT : GSPROV_EIO;
        return -1;
    }
    fd = open_beneath(rootfd, root, rel, flags, &outside);
    e = errno;
    close(rootfd);
    if (fd >= 0)
        return fd;
    if (outside) {
        /* never the target: it is another tenant's business */
        *err = apr_psprintf(p, "%s: leads outside the store %s (a link out "
                            "of GsProvRoot), refused", label_of(p, root, rel),
                            root);
        *rv = GSPROV_EOUTSIDE;
    }
    else if (missing_ok && (e == ENOENT || e == ENOTDIR)) {
        *rv = APR_ENOENT;
    }
    else {
        *err = apr_psprintf(p, "%s: cannot %s: %s", label_of(p, root, rel),
                            what, strerror(e));
        *rv = GSPROV_EIO;
    }
    return -1;
}

/* ---- reads ------------------------------------------------------------ */

apr_status_t gsprov_fsio_read_file(apr_pool_t *p, const char *root,
                                   const char *rel, apr_size_t max,
                                   char **buf, apr_size_t *len, char **err)
{
    const char *label;
    apr_status_t rv;
    apr_size_t got = 0, size;
    struct stat st;
    char *b;
    int fd;

    /* non-blocking: a FIFO planted in the store must not hang a thread
     * (the type is checked before anything is read) */
    if ((fd = open_in(p, root, rel, O_RDONLY | O_NONBLOCK, 1, "open", &rv,
                      err)) < 0)
        return rv;
    label = label_of(p, root, rel);
    if (fstat(fd, &st) != 0) {
        *err = apr_psprintf(p, "%s: cannot stat: %s", label, strerror(errno));
        close(fd);
        return GSPROV_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        *err = apr_psprintf(p, "%s: not a regular file", label);
        return GSPROV_EIO;
    }
    if (st.st_size < 0 || (apr_uint64_t)st.st_size > max) {
        close(fd);
        *err = apr_psprintf(p, "%s: %" APR_OFF_T_FMT " bytes, over the limit "
                            "of %" APR_SIZE_T_FMT, label,
                            (apr_off_t)st.st_size, max);
        return GSPROV_ETOOBIG;
    }
    size = (apr_size_t)st.st_size;
    b = apr_palloc(p, size + 1);
    while (got < size) {
        ssize_t n = read(fd, b + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *err = apr_psprintf(p, "%s: read failed: %s", label,
                                n < 0 ? strerror(errno) : "file shrank");
            close(fd);
            return GSPROV_EIO;
        }
        got += (apr_size_t)n;
    }
    close(fd);
    b[got] = '\0';
    *buf = b;
    *len = got;
    return APR_SUCCESS;
}

static void list_add(void *baton, const char *name, apr_ino_t ino)
{
    apr_array_header_t *a = baton;
    APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(a->pool, name);
}

apr_status_t gsprov_fsio_list(apr_pool_t *p, const char *root,
                              const char *rel, apr_array_header_t **names,
                              char **err)
{
    apr_array_header_t *a = apr_array_make(p, 64, sizeof(const char *));
    apr_status_t rv = gsprov_fsio_scan_dir(p, root, rel, list_add, a, err);

    if (rv == APR_SUCCESS)
        *names = a;
    return rv;
}

/* ---- writes ----------------------------------------------------------- */

/* root/dir (one component, created if missing) opened for *at() calls. */
static int dir_in(apr_pool_t *p, const char *root, const char *dir,
                  apr_status_t *rv, char **err)
{
    /* a nested dir ("status/log") is made in its parent, itself opened
     * (and made) beneath root: mkdirat never walks a link out of root */
    const char *slash = strrchr(dir, '/'), *leaf = dir;
    int pfd;

    if (slash) {
        if ((pfd = dir_in(p, root, apr_pstrmemdup(p, dir, (apr_size_t)(slash
                                                                 - dir)),
                          rv, err)) < 0)
            return -1;
        leaf = slash + 1;
    }
    else
        pfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pfd >= 0) {
        /* an existing dir (or a link there) is checked by the open */
        if (mkdirat(pfd, leaf, 0750) != 0 && errno != EEXIST) {
            *err = apr_psprintf(p, "%s/%s: cannot create directory: %s "
                                "(the store must be writable by httpd's "
                                "user)", root, dir, strerror(errno));
            close(pfd);
            *rv = GSPROV_EIO;
            return -1;
        }
        close(pfd);
    }
    return open_in(p, root, dir, O_RDONLY | O_DIRECTORY, 0,
                   "open directory", rv, err);
}

static apr_status_t lock_release(void *data)
{
    gsprov_lock_t *l = data;
    if (l->fd >= 0) {
        /* closing the descriptor drops the flock */
        close(l->fd);
        l->fd = -1;
    }
    return APR_SUCCESS;
}

static apr_status_t lock_mode(apr_pool_t *p, const char *root,
                              const char *name, int op, gsprov_lock_t **out,
                              char **err)
{
    const char *file = apr_pstrcat(p, name, ".lock", NULL);
    gsprov_lock_t *l;
    apr_status_t rv;
    int dfd, fd;

    if ((dfd = dir_in(p, root, GSPROV_LOCK_DIR, &rv, err)) < 0)
        return rv;
    fd = openat(dfd, file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    close(dfd);
    if (fd < 0) {
        *err = apr_psprintf(p, "%s/" GSPROV_LOCK_DIR "/%s: cannot open lock "
                            "file: %s", root, file, strerror(errno));
        return GSPROV_EIO;
    }
    while (flock(fd, op) != 0) {
        if (errno == EWOULDBLOCK && (op & LOCK_NB)) {
            close(fd);
            return APR_EBUSY;
        }
        if (errno != EINTR) {
            *err = apr_psprintf(p, "%s/" GSPROV_LOCK_DIR "/%s: cannot lock: "
                                "%s", root, file, strerror(errno));
            close(fd);
            return GSPROV_EIO;
        }
    }
    l = apr_palloc(p, sizeof(*l));
    l->pool = p;
    l->fd = fd;
    apr_pool_cleanup_register(p, l, lock_release, apr_pool_cleanup_null);
    *out = l;
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_lock(apr_pool_t *p, const char *root, const char *name,
                         gsprov_lock_t **out, char **err)
{
    return lock_mode(p, root, name, LOCK_EX, out, err);
}

apr_status_t gsprov_fsio_lock_shared(apr_pool_t *p, const char *root,
                                     const char *name, gsprov_lock_t **out,
                                     char **err)
{
    return lock_mode(p, root, name, LOCK_SH, out, err);
}

apr_status_t gsprov_fsio_trylock(apr_pool_t *p, const char *root,
                                 const char *name, gsprov_lock_t **out,
                                 char **err)
{
    return lock_mode(p, root, name, LOCK_EX | LOCK_NB, out, err);
}

int gsprov_fsio_lock_held(apr_pool_t *p, const char *root, const char *name)
{
    const char *rel = apr_pstrcat(p, GSPROV_LOCK_DIR "/", name, ".lock",
                                  NULL);
    apr_status_t rv;
    char *err = NULL;
    int fd, held;

    /* no lock file: nobody ever held it (and nothing is created here) */
    if ((fd = open_in(p, root, rel, O_RDONLY, 1, "open lock file", &rv,
                      &err)) < 0)
        return 0;
    while ((held = flock(fd, LOCK_SH | LOCK_NB)) != 0 && errno == EINTR)
        ;
    held = held != 0 && errno == EWOULDBLOCK;
    close(fd);      /* drops the shared lock, if it was taken */
    return held;
}

void gsprov_fsio_unlock(gsprov_lock_t *l)
{
    if (l)
        apr_pool_cleanup_run(l->pool, l, lock_release);
}

static apr_status_t sync_dir(apr_pool_t *p, int dfd, const char *root,
                             const char *dir, char **err)
{
    if (fsync(dfd) != 0) {
        *err = apr_psprintf(p, "%s/%s: cannot sync directory: %s", root, dir,
                            strerror(errno));
        return GSPROV_EIO;
    }
    return APR_SUCCESS;
}

/* All of data to fd: 0, or -1 with errno. */
static int write_all(int fd, const void *data, apr_size_t len)
{
    const char *b = data;

    while (len > 0) {
        ssize_t n = write(fd, b, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        b += n;
        len -= (apr_size_t)n;
    }
    return 0;
}

/* Write data to dfd/tmp (created or truncated) and, if durable, fsync
 * it: 0, or -1 with errno (the file is removed). */
static int write_tmp(int dfd, const char *tmp, const void *data,
                     apr_size_t len, int durable)
{
    int fd, e;

    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
                | O_NOFOLLOW, 0640);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) != 0)
        goto fail;
    if (durable && fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;

fail:
    e = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    unlinkat(dfd, tmp, 0);
    errno = e;
    return -1;
}

/* pid and thread id: unique among live writers; a leftover of a crashed
 * writer with the same name is simply overwritten */
static const char *tmp_name(apr_pool_t *p, const char *name)
{
    return apr_psprintf(p, ".%s.tmp.%ld.%ld", name, (long)getpid(),
                        (long)syscall(SYS_gettid));
}

static apr_status_t write_replace(apr_pool_t *p, const char *root,
                                  const char *dir, const char *name,
                                  const void *data, apr_size_t len,
                                  int durable, char **err)
{
    const char *tmp = tmp_name(p, name);
    apr_status_t rv = APR_SUCCESS;
    int dfd;

    if ((dfd = dir_in(p, root, dir, &rv, err)) < 0)
        return rv;
    if (write_tmp(dfd, tmp, data, len, durable) != 0) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot write: %s%s", root, dir,
                            tmp, strerror(errno), errno == EACCES
                            ? " (the store must be writable by httpd's "
                              "user)" : "");
        close(dfd);
        return GSPROV_EIO;
    }
    /* renameat replaces name itself, never what a link there points to */
    if (renameat(dfd, tmp, dfd, name) != 0) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot write: %s", root, dir, tmp,
                            strerror(errno));
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return GSPROV_EIO;
    }
    if (durable)
        rv = sync_dir(p, dfd, root, dir, err);
    close(dfd);
    return rv;
}

apr_status_t gsprov_fsio_write_atomic(apr_pool_t *p, const char *root,
                                      const char *dir, const char *name,
                                      const void *data, apr_size_t len,
                                      char **err)
{
    return write_replace(p, root, dir, name, data, len, 1, err);
}

apr_status_t gsprov_fsio_write_replace(apr_pool_t *p, const char *root,
                                       const char *dir, const char *name,
                                       const void *data, apr_size_t len,
                                       char **err)
{
    return write_replace(p, root, dir, name, data, len, 0, err);
}

/* ---- staged writes -------------------------------------------------- */

struct gsprov_fsio_dir {
    int fd;
    const char *root, *dir;     /* for messages */
};

static apr_status_t dir_release(void *data)
{
    gsprov_dir_t *d = data;
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_dir_open(apr_pool_t *p, const char *root,
                                  const char *dir, gsprov_dir_t **out,
                                  char **err)
{
    gsprov_dir_t *d = apr_palloc(p, sizeof(*d));
    apr_status_t rv;

    if ((d->fd = dir_in(p, root, dir, &rv, err)) < 0)
        return rv;
    d->root = apr_pstrdup(p, root);
    d->dir = apr_pstrdup(p, dir);
    apr_pool_cleanup_register(p, d, dir_release, apr_pool_cleanup_null);
    *out = d;
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_stage(apr_pool_t *p, gsprov_dir_t *d,
                               const char *name, const void *data,
                               apr_size_t len, const char **tmp, char **err)
{
    const char *t = tmp_name(p, name);

    if (write_tmp(d->fd, t, data, len, 1) != 0) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot write: %s", d->root, d->dir,
                            t, strerror(errno));
        return GSPROV_EIO;
    }
    *tmp = t;
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_publish(apr_pool_t *p, gsprov_dir_t *d,
                                 const char *tmp, const char *name,
                                 char **err)
{
    if (renameat(d->fd, tmp, d->fd, name) != 0) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot rename to %s: %s", d->root,
                            d->dir, tmp, name, strerror(errno));
        unlinkat(d->fd, tmp, 0);
        return GSPROV_EIO;
    }
    return APR_SUCCESS;
}

void gsprov_fsio_unstage(gsprov_dir_t *d, const char *tmp)
{
    if (d->fd >= 0)
        unlinkat(d->fd, tmp, 0);
}

apr_status_t gsprov_fsio_dir_remove(apr_pool_t *p, gsprov_dir_t *d,
                                    const char *name, char **err)
{
    if (unlinkat(d->fd, name, 0) != 0 && errno != ENOENT) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot remove: %s", d->root,
                            d->dir, name, strerror(errno));
        return GSPROV_EIO;
    }
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_dir_append(apr_pool_t *p, gsprov_dir_t *d,
                                    const char *name, const void *data,
                                    apr_size_t len, char **err)
{
    int fd = openat(d->fd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC
                    | O_NOFOLLOW, 0640);

    if (fd < 0)
        goto fail;
    if (write_all(fd, data, len) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return APR_SUCCESS;

fail:
    *err = apr_psprintf(p, "%s/%s/%s: cannot append: %s", d->root, d->dir,
                        name, strerror(errno ? errno : EIO));
    if (fd >= 0)
        close(fd);
    return GSPROV_EIO;
}

apr_status_t gsprov_fsio_dir_rename(apr_pool_t *p, gsprov_dir_t *d,
                                    const char *from, const char *to,
                                    char **err)
{
    if (renameat(d->fd, from, d->fd, to) == 0)
        return APR_SUCCESS;
    if (errno == ENOENT)
        return APR_ENOENT;
    *err = apr_psprintf(p, "%s/%s/%s: cannot rename to %s: %s", d->root,
                        d->dir, from, to, strerror(errno));
    return GSPROV_EIO;
}

struct gsprov_fsio_rw {
    int fd;
    apr_size_t size;            /* what the file held */
};

static apr_status_t rw_release(void *data)
{
    gsprov_rw_t *h = data;
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_dir_rw_open(apr_pool_t *p, gsprov_dir_t *d,
                                     const char *name, apr_size_t max,
                                     gsprov_rw_t **out, char **buf,
                                     apr_size_t *len, char **err)
{
    gsprov_rw_t *h = apr_palloc(p, sizeof(*h));
    struct stat st;
    ssize_t n;

    h->fd = openat(d->fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY
                   | O_NONBLOCK | O_CLOEXEC, 0640);
    if (h->fd < 0) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot open: %s", d->root, d->dir,
                            name, strerror(errno));
        return GSPROV_EIO;
    }
    apr_pool_cleanup_register(p, h, rw_release, apr_pool_cleanup_null);
    /* written in place: never a FIFO, never an inode another name (in
     * another tenant's store) shares */
    if (fstat(h->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
        *err = apr_psprintf(p, "%s/%s/%s: not a plain file of its own (a "
                            "hard link or special file), not written",
                            d->root, d->dir, name);
        apr_pool_cleanup_run(p, h, rw_release);
        return GSPROV_EIO;
    }
    if ((apr_size_t)st.st_size > max) {
        *err = apr_psprintf(p, "%s/%s/%s: larger than %" APR_SIZE_T_FMT
                            " bytes", d->root, d->dir, name, max);
        apr_pool_cleanup_run(p, h, rw_release);
        return GSPROV_ETOOBIG;
    }
    *buf = apr_palloc(p, (apr_size_t)st.st_size + 1);
    while ((n = pread(h->fd, *buf, (size_t)st.st_size, 0)) < 0
           && errno == EINTR)
        ;
    if (n < 0) {
        *err = apr_psprintf(p, "%s/%s/%s: cannot read: %s", d->root, d->dir,
                            name, strerror(errno));
        apr_pool_cleanup_run(p, h, rw_release);
        return GSPROV_EIO;
    }
    (*buf)[n] = '\0';
    *len = h->size = (apr_size_t)n;
    *out = h;
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_rw_commit(apr_pool_t *p, gsprov_rw_t *h,
                                   const char *data, apr_size_t len,
                                   apr_time_t mtime, char **err)
{
    const char *b = data;
    apr_size_t left = len;
    apr_off_t at = 0;
    struct timespec ts[2];
    apr_status_t rv = APR_SUCCESS;

    if (len < h->size) {
        /* padded with spaces to what was there: one pwrite, no truncate
         * (a killed writer leaves old or new, and JSON ends in spaces) */
        char *pad = apr_palloc(p, h->size);
        memcpy(pad, data, len);
        memset(pad + len, ' ', h->size - len);
        b = pad;
        left = h->size;
    }
    while (left > 0) {
        ssize_t n = pwrite(h->fd, b, left, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *err = apr_psprintf(p, "cannot write: %s", strerror(errno
                                                               ? errno : EIO));
            rv = GSPROV_EIO;
            break;
        }
        b += n;
        at += n;
        left -= (apr_size_t)n;
    }
    if (rv == APR_SUCCESS && mtime >= 0) {
        ts[0].tv_nsec = UTIME_OMIT;
        ts[0].tv_sec = 0;
        ts[1].tv_sec = (time_t)apr_time_sec(mtime);
        ts[1].tv_nsec = (long)apr_time_usec(mtime) * 1000;
        futimens(h->fd, ts);
    }
    apr_pool_cleanup_run(p, h, rw_release);
    return rv;
}

static apr_status_t file_release(void *data)
{
    return apr_file_close(data);
}

apr_status_t gsprov_fsio_dir_read_open(apr_pool_t *p, gsprov_dir_t *d,
                                       const char *name, apr_file_t **out,
                                       char **err)
{
    apr_os_file_t fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY
                              | O_NONBLOCK | O_CLOEXEC);
    apr_status_t rv;

    if (fd < 0) {
        if (errno == ENOENT)
            return APR_ENOENT;
        *err = apr_psprintf(p, "%s/%s/%s: cannot open: %s", d->root, d->dir,
                            name, strerror(errno));
        return GSPROV_EIO;
    }
    if ((rv = apr_os_file_put(out, &fd, APR_FOPEN_READ | APR_FOPEN_BUFFERED,
                              p))) {
        close(fd);
        *err = apr_psprintf(p, "%s/%s/%s: cannot open: %pm", d->root, d->dir,
                            name, &rv);
        return GSPROV_EIO;
    }
    apr_pool_cleanup_register(p, *out, file_release, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

apr_status_t gsprov_fsio_dir_sync(apr_pool_t *p, gsprov_dir_t *d, char **err)
{
    return sync_dir(p, d->fd, d->root, d->dir, err);
}

apr_status_t gsprov_fsio_remove_durable(apr_pool_t *p, const char *root,
                                        const char *dir, const char *name,
                                        char **err)
{
    apr_status_t rv;
    int dfd;

    if ((dfd = open_in(p, root, dir, O_RDONLY | O_DIRECTORY, 1,
                       "open directory", &rv, err)) < 0)
        return rv;
    if (unlinkat(dfd, name, 0) != 0) {
        rv = errno == ENOENT ? APR_ENOENT : GSPROV_EIO;
        if (rv != APR_ENOENT)
            *err = apr_psprintf(p, "%s/%s/%s: cannot remove: %s", root, dir,
                                name, strerror(errno));
        close(dfd);
        return rv;
    }
    rv = sync_dir(p, dfd, root, dir, err);
    close(dfd);
    return rv;
}

int gsprov_fsio_clean_temps(apr_pool_t *p, const char *root, const char *dir,
                            apr_interval_time_t age)
{
    time_t before = (time_t)apr_time_sec(apr_time_now() - age);
    apr_array_header_t *names;
    apr_status_t rv;
    char *err = NULL;
    int dfd, i, n = 0;

    if (gsprov_fsio_list(p, root, dir, &names, &err) != APR_SUCCESS
        || (dfd = open_in(p, root, dir, O_RDONLY | O_DIRECTORY, 1,
                          "open directory", &rv, &err)) < 0)
        return 0;
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        struct stat st;

        /* what write_atomic names its temporary files */
        if (name[0] != '.' || !strstr(name, ".tmp.")
            || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
            || st.st_mtime >= before)
            continue;
        if (unlinkat(dfd, name, 0) == 0)
            n++;
    }
    close(dfd);
    return n;
}

apr_status_t gsprov_fsio_scan_dir(apr_pool_t *p, const char *root,
                                  const char *rel,
                                  void (*fn)(void *baton, const char *name,
                                             apr_ino_t ino),
                                  void *baton, char **err)
{
    struct dirent *e;
    apr_status_t rv;
    DIR *d;
    int fd;

    if ((fd = open_in(p, root, rel, O_RDONLY | O_DIRECTORY, 1,
                      "open directory", &rv, err)) < 0)
        return rv;
    if (!(d = fdopendir(fd))) {
        *err = apr_psprintf(p, "%s: cannot open directory: %s",
                            label_of(p, root, rel), strerror(errno));
        close(fd);
        return GSPROV_EIO;
    }
    errno = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            fn(baton, e->d_name, (apr_ino_t)e->d_ino);
        errno = 0;
    }
    if (errno) {
        *err = apr_psprintf(p, "%s: cannot read directory: %s",
                            label_of(p, root, rel), strerror(errno));
        closedir(d);
        return GSPROV_EIO;
    }
    closedir(d);
    return APR_SUCCESS;
}

void gsprov_fsio_prefetch(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

    if (fd >= 0) {
        /* the reads it starts go on after the close */
        posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
        close(fd);
    }
}
