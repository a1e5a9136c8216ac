#include <stdarg.h>
#include <stdio.h>
#include "gsprov_log.h"

void gsprov_log(const gsprov_logger_t *log, gsprov_log_level_e level,
                int msgid, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!log || !log->fn)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log->fn(log->baton, level, msgid, buf);
}
