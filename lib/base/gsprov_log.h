/*
 * lib/ never includes httpd headers; it logs through this callback.  The
 * module plugs in ap_log_error, the CLI and tests plug in stderr.
 * msgid is the stable GSPROVnnnn number (see README "Log messages").
 */
#ifndef GSPROV_LOG_H
#define GSPROV_LOG_H

typedef enum {
    GSPROV_LOG_ERROR = 3,
    GSPROV_LOG_WARN = 4,
    GSPROV_LOG_INFO = 6,
    GSPROV_LOG_DEBUG = 7
} gsprov_log_level_e;

typedef void gsprov_log_fn(void *baton, gsprov_log_level_e level, int msgid,
                           const char *msg);

typedef struct {
    gsprov_log_fn *fn;
    void *baton;
} gsprov_logger_t;

/* Stable message ids logged by lib/ itself. */
#define GSPROV_MSG_RELOAD_FAILED  201   /* template change rejected */
#define GSPROV_MSG_RELOADED       202   /* template change picked up */
#define GSPROV_MSG_CACHE_FAILED   501   /* cache backend error: fail open */
#define GSPROV_MSG_CACHE_REJECTED 502   /* cache value did not check out */
#define GSPROV_MSG_REDIRECT_MAP_FAILED 802  /* redirect.map change rejected */

/* Problems found while linting: one message ("file:line: what") each. */
typedef struct {
    void (*fn)(void *baton, const char *msg);
    void *baton;
} gsprov_report_t;

void gsprov_log(const gsprov_logger_t *log, gsprov_log_level_e level,
                int msgid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
