/*
 * A progress line on a terminal for runs that take a while (lint over a
 * million records takes over a minute): written to stderr only when it
 * is a terminal, from GSPROV_PROGRESS_AFTER seconds on (default 2), at
 * most a few times a second, on one line that is cleared at the end.
 */
#ifndef GSPROV_PROGRESS_H
#define GSPROV_PROGRESS_H

#include <stdio.h>
#include <apr_time.h>

typedef struct {
    FILE *f;                    /* NULL: off */
    apr_time_t start, last;
    apr_interval_time_t after;
    int shown;
} gsprov_progress_t;

/* off unless f is a terminal (or enabled is 0) */
void gsprov_progress_init(gsprov_progress_t *pr, FILE *f, int enabled);
/* "what: N (R per second)" when it is time to show it */
void gsprov_progress_update(gsprov_progress_t *pr, const char *what, long n);
/* clears the line if one was shown */
void gsprov_progress_done(gsprov_progress_t *pr);

#endif
