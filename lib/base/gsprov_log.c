#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gsprov_log.h"

int gsprov_log_is_level(const gsprov_logger_t *log, gsprov_log_level_e level)
{
    if (!log || !log->fn)
        return 0;
    return log->is_level ? log->is_level(log->baton, level)
                         : level <= log->level;
}

void gsprov_log(const gsprov_logger_t *log, const char *file, int line,
                gsprov_log_level_e level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    /* a disabled level costs no formatting */
    if (!gsprov_log_is_level(log, level))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log->fn(log->baton, file, line, level, buf);
}

int gsprov_log_msgid(const char *msg)
{
    static const char tag[] = "GSPROV";
    int n = 0, i;

    if (!msg || strncmp(msg, tag, sizeof(tag) - 1) != 0)
        return 0;
    msg += sizeof(tag) - 1;
    for (i = 0; i < 4; i++) {
        if (msg[i] < '0' || msg[i] > '9')
            return 0;
        n = n * 10 + (msg[i] - '0');
    }
    return msg[4] == ':' ? n : 0;
}
