/* A progress line on a terminal (see gsprov_progress.h). */
#include <stdlib.h>
#include <unistd.h>
#include "gsprov_progress.h"

#define PROGRESS_AFTER_SECONDS 2
#define PROGRESS_EVERY apr_time_from_msec(250)

void gsprov_progress_init(gsprov_progress_t *pr, FILE *f, int enabled)
{
    const char *after = getenv("GSPROV_PROGRESS_AFTER");

    pr->f = enabled && f && isatty(fileno(f)) ? f : NULL;
    pr->start = pr->last = apr_time_now();
    pr->after = apr_time_from_sec(after && *after ? atoi(after)
                                                  : PROGRESS_AFTER_SECONDS);
    pr->shown = 0;
}

void gsprov_progress_update(gsprov_progress_t *pr, const char *what, long n)
{
    apr_time_t now;
    double secs;

    if (!pr->f)
        return;
    now = apr_time_now();
    if (now - pr->start < pr->after
        || (pr->shown && now - pr->last < PROGRESS_EVERY))
        return;
    secs = (double)(now - pr->start) / APR_USEC_PER_SEC;
    /* \r and erase to the end of the line: one line, rewritten */
    fprintf(pr->f, "\r%s: %ld (%.0f/s, %.0f s)\033[K", what, n,
            secs > 0 ? n / secs : 0.0, secs);
    fflush(pr->f);
    pr->last = now;
    pr->shown = 1;
}

void gsprov_progress_done(gsprov_progress_t *pr)
{
    if (pr->f && pr->shown) {
        fputs("\r\033[K", pr->f);
        fflush(pr->f);
    }
    pr->shown = 0;
}
