/*
** progress.c — the progress line of progress.h.
*/
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void progress_start(progress *p, const char *label, long total, bool quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total;
    p->started = now_seconds();
    p->last_shown = 0;
    p->shown = false;
}

void progress_update(progress *p, long done)
{
    double now, elapsed, left;
    if (!p->enabled)
        return;
    now = now_seconds();
    if (now - p->last_shown < 0.2 && done < p->total)
        return;
    p->last_shown = now;
    elapsed = now - p->started;
    left = done > 0 ? elapsed * (double)(p->total - done) / (double)done : 0;
    fprintf(stderr, "\r\033[K%s  %ld/%ld  %3.0f%%  %s%d:%02d", p->label, done, p->total,
            p->total > 0 ? 100.0 * (double)done / (double)p->total : 100.0,
            done > 0 && done < p->total ? "剩余 " : "用时 ",
            (int)(done > 0 && done < p->total ? left : elapsed) / 60,
            (int)(done > 0 && done < p->total ? left : elapsed) % 60);
    fflush(stderr);
    p->shown = true;
}

void progress_end(progress *p)
{
    if (p->enabled && p->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->shown = false;
}
