/*
 * lib/ never includes httpd headers; it logs through this callback.  The
 * module plugs in ap_log_error_, the CLI and tests plug in stderr or a
 * recorder.  Every message starts with its stable id, written as a literal
 * at the call site (see README "Log messages"):
 *
 *   gsprov_log(log, GSPROV_LOG_MARK, GSPROV_LOG_ERROR,
 *              GSPROV_LOGNO(0201) "templates of %s not reloaded", root);
 */
#ifndef GSPROV_LOG_H
#define GSPROV_LOG_H

/* Message tags: httpd's AH numbers belong to httpd, ours are GSPROVnnnn.
 * One id per call site, even for alike messages, so a log line leads to
 * one place in the code. */
#define GSPROV_LOGNO(n) "GSPROV" #n ": "

/* Where a message comes from, for the error log (httpd's APLOG_MARK). */
#define GSPROV_LOG_MARK __FILE__, __LINE__

typedef enum {
    GSPROV_LOG_ERROR = 3,
    GSPROV_LOG_WARN = 4,
    GSPROV_LOG_INFO = 6,
    GSPROV_LOG_DEBUG = 7
} gsprov_log_level_e;

/* msg is formatted and begins with its "GSPROVnnnn: " tag. */
typedef void gsprov_log_fn(void *baton, const char *file, int line,
                           gsprov_log_level_e level, const char *msg);

typedef struct {
    gsprov_log_fn *fn;          /* NULL: nothing is logged */
    void *baton;
    /* the most verbose level passed to fn, unless is_level says */
    gsprov_log_level_e level;
    /* whether level is enabled (httpd: LogLevel); NULL: use .level */
    int (*is_level)(void *baton, gsprov_log_level_e level);
} gsprov_logger_t;

/* Whether a message at level would be logged: callers check it before
 * building costly arguments; gsprov_log() checks it before formatting. */
int gsprov_log_is_level(const gsprov_logger_t *log, gsprov_log_level_e level);

/* Problems found while linting: one message ("file:line: what") each. */
typedef struct {
    void (*fn)(void *baton, const char *msg);
    void *baton;
} gsprov_report_t;

void gsprov_log(const gsprov_logger_t *log, const char *file, int line,
                gsprov_log_level_e level, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The number of a message tag or of a message starting with one
 * ("GSPROV0501: ..." -> 501), for counters that keep ids as numbers;
 * 0 if it has none. */
int gsprov_log_msgid(const char *msg);

#endif
