/*
** whatif.h — what-if simulation (POLICY.md §5): compare a baseline and a
** scenario evaluated on the same loaded snapshot, and sweep one parameter
** over a range.
**
** whatif_compare() finds every community whose total, stars or rank changed,
** every target check whose `met` flipped (or that appeared or disappeared),
** and every worker whose flag changed. The writers format the comparison
** and the sweep table in Chinese text or JSON, and the sweep as an SVG chart
** that a browser shows without any script.
*/
#ifndef KAOHE_WHATIF_H
#define KAOHE_WHATIF_H

#include <stddef.h>

#include "buffer.h"
#include "eval.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

typedef struct whatif_community_change {
    size_t community; /* index into the snapshot's communities */
    double total_before, total_after;
    int stars_before, stars_after;
    int rank_before, rank_after;
} whatif_community_change;

typedef struct whatif_check_change {
    const target_check *before; /* NULL: the check appeared */
    const target_check *after;  /* NULL: the check disappeared */
} whatif_check_change;

typedef struct whatif_worker_change {
    const worker_appraisal *before; /* NULL: appraised only in the scenario */
    const worker_appraisal *after;  /* NULL: appraised only in the baseline */
} whatif_worker_change;

typedef struct whatif_diff {
    whatif_community_change *communities; /* largest change of total first */
    size_t community_count;
    size_t star_changes;         /* communities whose stars changed */
    whatif_check_change *checks; /* in target, scope, scope id order */
    size_t check_count;
    whatif_worker_change *workers; /* in worker id order */
    size_t worker_count;
} whatif_diff;

int whatif_compare(const rules *r, const snapshot *s, const eval_result *before,
                   const eval_result *after, double epsilon, whatif_diff *diff, error *e);
void whatif_diff_free(whatif_diff *diff);

/* Everything the writers need. */
typedef struct whatif_report {
    eval_run before;                  /* the baseline: its parameters and result */
    eval_run after;                   /* the scenario, on the same rules and snapshot */
    const char *scenario_name;        /* may be NULL */
    const char *scenario_description; /* may be NULL */
    const whatif_diff *diff;
    size_t queries_rerun;                 /* queries the scenario ran again */
    double load_ms, rescore_ms;           /* time to load + score, and per scenario */
    long long baseline_run, scenario_run; /* ids when stored, else 0 */
} whatif_report;

/* The comparison as Chinese text or JSON, appended to `out`: ERROR_OK, or
** ERROR_SYSTEM when out of memory (as every writer below). */
int whatif_write_text(const whatif_report *w, buffer *out);
int whatif_write_json(const whatif_report *w, buffer *out);

/* One value of a sweep. */
typedef struct whatif_sweep_row {
    double value;
    int *grades;   /* [star_count + 1] communities per grade of the rules, best first;
                      the last: below every grade */
    long *met;     /* [target] scopes meeting it */
    long *checks;  /* [target] scopes checked */
    long flagged;  /* workers with a flag */
    long flags[3]; /* below_floor, bottom_ratio, no_score */
} whatif_sweep_row;

typedef struct whatif_sweep {
    const rules *rules;
    const char *parameter;
    whatif_sweep_row *rows;
    size_t row_count;
    double rescore_ms; /* average per value */
} whatif_sweep;

/* Fills a row from one scenario's result (row->met/checks are allocated:
** free with whatif_sweep_free). */
int whatif_sweep_row_fill(const rules *r, double value, const eval_result *result,
                          whatif_sweep_row *row, error *e);
void whatif_sweep_free(whatif_sweep *sweep);

int whatif_write_sweep_text(const whatif_sweep *sweep, buffer *out);
int whatif_write_sweep_json(const whatif_sweep *sweep, buffer *out);
int whatif_write_sweep_svg(const whatif_sweep *sweep, const snapshot *s, buffer *out);

#endif
