/*
 * Every child serves the newest good template set: after the
 * configuration is read, each store's template directory (one per
 * GsProvRoot, gsprov_templates_dir_list) gets a slot in shared memory and
 * a directory for the snapshot files of the sets the children load
 * (lib/store/gsprov_tplshare.h), made before the children fork.  The
 * directory is DefaultRuntimeDir/gsprov-templates.<pid>.<generation>,
 * writable by the children's user only; it and the memory go with the
 * configuration pool, so a graceful restart starts again from its own
 * fresh load (and old children finishing their requests never write
 * into the new generation's directory).
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "unixd.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "mod_gsprov.h"
#include "gsprov_templates_dir.h"

APLOG_USE_MODULE(gsprov);

typedef struct {
    const char *path;
    pid_t pid;                  /* the process that made it */
} snapdir_t;

/* Empty and remove the directory.  Children inherit the cleanup with the
 * configuration pool: only its maker removes it. */
static apr_status_t snapdir_remove(void *data)
{
    const snapdir_t *sd = data;
    struct dirent *e;
    DIR *dir;

    if (getpid() != sd->pid || !(dir = opendir(sd->path)))
        return APR_SUCCESS;
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, "..")))
            unlinkat(dirfd(dir), e->d_name, 0);
    closedir(dir);
    rmdir(sd->path);
    return APR_SUCCESS;
}

static int converge_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    const apr_array_header_t *dirs = gsprov_templates_dir_list(pconf);
    gsprov_tplshare_slot_t *slots;
    apr_shm_t *shm;
    snapdir_t *sd;
    const char *why;
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (!dirs || !dirs->nelts)
        return OK;
    sd = apr_pcalloc(pconf, sizeof(*sd));
    sd->pid = getpid();
    sd->path = ap_runtime_dir_relative(pconf, apr_psprintf(pconf,
                                       "gsprov-templates.%" APR_PID_T_FMT
                                       ".%d", sd->pid,
                                       ap_state_query(AP_SQ_CONFIG_GEN)));
    if (!sd->path) {
        why = "DefaultRuntimeDir: invalid path";
        goto unshared;
    }
    snapdir_remove(sd);         /* left by a crashed server of that pid */
    if (mkdir(sd->path, 0700) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        why = apr_psprintf(ptemp, "cannot create %s", sd->path);
        goto unshared;
    }
    apr_pool_cleanup_register(pconf, sd, snapdir_remove,
                              apr_pool_cleanup_null);
    /* the children write it, as User */
    if (geteuid() == 0 && chown(sd->path, ap_unixd_config.user_id,
                                ap_unixd_config.group_id) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        why = apr_psprintf(ptemp, "cannot give %s to User", sd->path);
        goto unshared;
    }
    if ((rv = apr_shm_create(&shm, sizeof(*slots) * (apr_size_t)dirs->nelts,
                             NULL, pconf))) {
        why = "no anonymous shared memory";
        goto unshared;
    }
    slots = apr_shm_baseaddr_get(shm);
    for (i = 0; i < dirs->nelts; i++)
        gsprov_templates_dir_share(APR_ARRAY_IDX(dirs, i,
                                                 gsprov_templates_dir_t *),
                                   &slots[i], sd->path,
                                   apr_psprintf(pconf, "%d", i));
    return OK;

unshared:
    ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, GSPROV_LOGNO(0207)
                 "templates are not shared between the children (%s): each "
                 "child reloads them on its own, and after a broken edit "
                 "children may serve different versions", why);
    return OK;
}

void gsprov_register_converge(apr_pool_t *p)
{
    ap_hook_post_config(converge_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
