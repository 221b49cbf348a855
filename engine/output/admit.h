/*
** admit.h — how the admission list meets real tasks (`kaohe admit`).
**
** admit_try() decides one task typed on the command line, so staff can
** try the list without a snapshot. admit_report() runs every task of a
** snapshot against every entry and reports: decisions per entry, entries that
** matched nothing (dead entries), titles that fell through to review because
** nothing matched, and titles matched by both a deny and an allow entry.
*/
#ifndef KAOHE_ADMIT_H
#define KAOHE_ADMIT_H

#include <stdbool.h>

#include "buffer.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

typedef struct admit_task {
    const char *title;
    const char *detail;       /* NULL = none */
    const char *department;   /* "" = none given */
    const char *approval_ref; /* NULL = none */
    int funded, staffed;      /* 1 yes, 0 no */
} admit_task;

/* Decides one task; writes the decision, the entry and why into `out`
** (JSON when `json`). Returns an exit status. */
int admit_try(const rules *r, const params *ps, const admit_task *task, bool json, buffer *out,
              error *e);

/* The coverage report over every task of `s`. */
int admit_report(const rules *r, const params *ps, const snapshot *s, bool json, buffer *out,
                 error *e);

/* Adds warnings to `r` about the list against a snapshot's tasks: entries
** that match no task, entries never reached because an earlier entry always
** decides first, allow entries overlapping an earlier allow entry, and
** entries with the same pattern. */
int admit_lint(rules *r, const params *ps, const snapshot *s, error *e);

#endif
