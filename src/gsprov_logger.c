/*
 * The lib/ log callback for httpd: lib/ messages reach the error log with
 * the lib/ file and line they come from, and a level LogLevel disables is
 * neither formatted nor passed on.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "mod_gsprov.h"

APLOG_USE_MODULE(gsprov);

/* GSPROV_LOG_* are syslog's numbers, as APLOG_* are. */
static void log_to_httpd(void *baton, const char *file, int line,
                         gsprov_log_level_e level, const char *msg)
{
    ap_log_error_(file, line, APLOG_MODULE_INDEX, (int)level, 0,
                  (const server_rec *)baton, "%s", msg);
}

static int httpd_is_level(void *baton, gsprov_log_level_e level)
{
    const server_rec *s = baton;
    return APLOG_IS_LEVEL(s, (int)level);
}

void gsprov_logger_for(server_rec *s, gsprov_logger_t *log)
{
    log->fn = log_to_httpd;
    log->baton = s;
    log->level = GSPROV_LOG_DEBUG;      /* unused: is_level decides */
    log->is_level = httpd_is_level;
}
