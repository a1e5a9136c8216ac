#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "gsprov_audit.h"
#include "gsprov_json.h"
#include "gsprov_error.h"

struct gsprov_audit {
    const char *path;
    int fd;
};

static apr_status_t audit_close(void *data)
{
    gsprov_audit_t *a = data;
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    return APR_SUCCESS;
}

apr_status_t gsprov_audit_open(apr_pool_t *p, const char *path,
                               gsprov_audit_t **out, char **err)
{
    gsprov_audit_t *a = apr_palloc(p, sizeof(*a));

    a->path = path;
    a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (a->fd < 0) {
        *err = apr_psprintf(p, "%s: cannot open the audit log: %s", path,
                            strerror(errno));
        return GSPROV_EIO;
    }
    apr_pool_cleanup_register(p, a, audit_close, apr_pool_cleanup_null);
    *out = a;
    return APR_SUCCESS;
}

const char *gsprov_audit_line(apr_pool_t *p, json_t *entry)
{
    json_t *line = gsprov_json_pool(p, json_object());
    apr_time_exp_t tm;
    apr_size_t n;
    char ts[32];

    apr_time_exp_gmt(&tm, apr_time_now());
    apr_strftime(ts, &n, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(line, "time", json_string(ts));
    json_object_update(line, entry);
    return gsprov_json_dump(p, line);
}

apr_status_t gsprov_audit_append(apr_pool_t *p, gsprov_audit_t *a,
                                 const char *line, char **err)
{
    const char *s = apr_pstrcat(p, line, "\n", NULL);
    apr_size_t n = strlen(s);
    ssize_t w;

    /* one write: O_APPEND makes it atomic with respect to other appenders
     * on local filesystems */
    do
        w = write(a->fd, s, n);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)n) {
        *err = apr_psprintf(p, "%s: cannot append to the audit log: %s",
                            a->path, w < 0 ? strerror(errno) : "short write");
        return GSPROV_EIO;
    }
    return APR_SUCCESS;
}

apr_status_t gsprov_audit_write(apr_pool_t *p, gsprov_audit_t *a,
                                json_t *entry, char **err)
{
    return gsprov_audit_append(p, a, gsprov_audit_line(p, entry), err);
}
