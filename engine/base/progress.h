/*
** progress.h — a progress line for long commands (eval, whatif sweeps,
** import, gen): "label  done/total  12%  0:42 left" rewritten in place on
** standard error when it is a terminal; nothing at all otherwise, or when
** the user asked for --quiet. Updates are rate-limited to a few per second.
*/
#ifndef KAOHE_PROGRESS_H
#define KAOHE_PROGRESS_H

#include <stdbool.h>

typedef struct progress {
    bool enabled; /* stderr is a terminal and not --quiet */
    const char *label;
    long total;
    double started;    /* monotonic seconds */
    double last_shown; /* monotonic seconds of the last update */
    bool shown;        /* something is on the line */
} progress;

void progress_start(progress *p, const char *label, long total, bool quiet);
void progress_update(progress *p, long done);
/* Clears the line. */
void progress_end(progress *p);

#endif
