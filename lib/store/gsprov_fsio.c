#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include "gsprov_fsio.h"
#include "gsprov_error.h"

struct gsprov_fsio_lock {
    apr_pool_t *pool;
    int fd;
};

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

static int mkdir_p1(const char *path)
{
    return mkdir(path, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

apr_status_t gsprov_fsio_lock(apr_pool_t *p, const char *root, const char *name,
                         gsprov_lock_t **out, char **err)
{
    const char *dir = apr_pstrcat(p, root, "/" GSPROV_LOCK_DIR, NULL);
    const char *path = apr_pstrcat(p, dir, "/", name, ".lock", NULL);
    gsprov_lock_t *l;
    int fd;

    if (mkdir_p1(dir) != 0) {
        *err = apr_psprintf(p, "%s: cannot create lock directory: %s "
                            "(the store must be writable by httpd's user)",
                            dir, strerror(errno));
        return GSPROV_EIO;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        *err = apr_psprintf(p, "%s: cannot open lock file: %s", path,
                            strerror(errno));
        return GSPROV_EIO;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            *err = apr_psprintf(p, "%s: cannot lock: %s", path,
                                strerror(errno));
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

void gsprov_fsio_unlock(gsprov_lock_t *l)
{
    if (l)
        apr_pool_cleanup_run(l->pool, l, lock_release);
}

static apr_status_t sync_dir(apr_pool_t *p, const char *dir, char **err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        *err = apr_psprintf(p, "%s: cannot sync directory: %s", dir,
                            strerror(errno));
        if (fd >= 0)
            close(fd);
        return GSPROV_EIO;
    }
    close(fd);
    return APR_SUCCESS;
}

static apr_status_t write_replace(apr_pool_t *p, const char *dir,
                                  const char *name, const void *data,
                                  apr_size_t len, int durable, char **err)
{
    /* pid and thread id: unique among live writers; a leftover of a
     * crashed writer with the same name is simply overwritten */
    const char *tmp = apr_psprintf(p, "%s/.%s.tmp.%ld.%ld", dir, name,
                                   (long)getpid(), (long)syscall(SYS_gettid));
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    const char *b = data;
    int fd;

    if (mkdir_p1(dir) != 0) {
        *err = apr_psprintf(p, "%s: cannot create directory: %s", dir,
                            strerror(errno));
        return GSPROV_EIO;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
              0640);
    if (fd < 0) {
        *err = apr_psprintf(p, "%s: cannot create: %s (the store must be "
                            "writable by httpd's user)", tmp, strerror(errno));
        return GSPROV_EIO;
    }
    while (len > 0) {
        ssize_t n = write(fd, b, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        b += n;
        len -= (apr_size_t)n;
    }
    if (durable && fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    return durable ? sync_dir(p, dir, err) : APR_SUCCESS;

fail:
    *err = apr_psprintf(p, "%s: cannot write: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return GSPROV_EIO;
}

apr_status_t gsprov_fsio_write_atomic(apr_pool_t *p, const char *dir,
                                 const char *name, const void *data,
                                 apr_size_t len, char **err)
{
    return write_replace(p, dir, name, data, len, 1, err);
}

apr_status_t gsprov_fsio_write_replace(apr_pool_t *p, const char *dir,
                                       const char *name, const void *data,
                                       apr_size_t len, char **err)
{
    return write_replace(p, dir, name, data, len, 0, err);
}

apr_status_t gsprov_fsio_remove_durable(apr_pool_t *p, const char *dir,
                                   const char *name, char **err)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);

    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return APR_ENOENT;
        *err = apr_psprintf(p, "%s: cannot remove: %s", path,
                            strerror(errno));
        return GSPROV_EIO;
    }
    return sync_dir(p, dir, err);
}

apr_status_t gsprov_fsio_read_file(apr_pool_t *p, const char *path,
                              apr_size_t max, char **buf, apr_size_t *len,
                              char **err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t got = 0;
    char *b;

    /* non-blocking: a FIFO planted in the store must not hang a thread
     * (the type is checked before anything is read) */
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_NONBLOCK,
                       APR_FPROT_OS_DEFAULT, p);
    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv))
        return APR_ENOENT;
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: cannot open: %pm", path, &rv);
        return GSPROV_EIO;
    }
    if ((rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f))) {
        apr_file_close(f);
        *err = apr_psprintf(p, "%s: cannot stat: %pm", path, &rv);
        return GSPROV_EIO;
    }
    if (fi.filetype != APR_REG) {
        apr_file_close(f);
        *err = apr_psprintf(p, "%s: not a regular file", path);
        return GSPROV_EIO;
    }
    if (fi.size < 0 || (apr_uint64_t)fi.size > max) {
        apr_file_close(f);
        *err = apr_psprintf(p, "%s: %" APR_OFF_T_FMT " bytes, over the limit "
                            "of %" APR_SIZE_T_FMT, path, fi.size, max);
        return GSPROV_ETOOBIG;
    }
    b = apr_palloc(p, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, b, (apr_size_t)fi.size, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(APR_STATUS_IS_EOF(rv) && got == 0
                               && fi.size == 0)) {
        *err = apr_psprintf(p, "%s: read failed: %pm", path, &rv);
        return GSPROV_EIO;
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    return APR_SUCCESS;
}
