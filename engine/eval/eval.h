/*
** eval.h — evaluating a rule set over a snapshot.
**
** Two stages, so that a what-if re-scores without reading the snapshot again:
**
**   eval_load()   runs each indicator's query once (one query per indicator
**                 for all communities) and keeps the value and inputs of
**                 every community in arrays (NULL as NaN);
**   eval_score()  turns loaded data into statuses, points, totals, stars and
**                 ranks for one set of parameter values. Pure C, no SQL.
**
** eval_refresh() re-runs only the queries whose bound parameters changed;
** eval_rescore() then brings a result up to new parameter values in place,
** recomputing only what the changed values (and the reloaded queries) can
** touch, so that one more what-if scenario costs what it changes.
** Before the indicator queries, every task is decided against the admission
** list and the decisions are put in the temporary table task_decision, which
** indicator B01 reads. Comparisons follow POLICY.md §0: the tolerance is the
** rules' parameter compare.epsilon, on every threshold and tie.
*/
#ifndef KAOHE_EVAL_H
#define KAOHE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appraisal.h"
#include "buffer.h"
#include "error.h"
#include "idset.h"
#include "outcome.h"
#include "params.h"
#include "targets.h"
#include "rules.h"
#include "snapshot.h"

/* What the queries returned for one indicator. */
typedef struct indicator_data {
    size_t stride;            /* 1 + input count: doubles per community */
    double *columns;          /* [community * stride + 0] value, then inputs; NaN = NULL */
    param_value *bound;       /* the parameter values the query ran with (per bind) */
    unsigned long generation; /* times eval_refresh reloaded it */
} indicator_data;

typedef struct eval_data {
    const rules *rules;
    const snapshot *snapshot;
    indicator_data *indicators; /* one per rules->indicators */
    target_data *targets;       /* one per rules->targets */
    appraisal_data appraisal;
    task_decision *decisions; /* every task, in id order */
    strpool strings;          /* the decisions' repeated texts, stored once */
    textarena task_ids;       /* the decisions' task ids */
    size_t decision_count;
    param_value *admission_bound;      /* match limits the decisions were made with */
    struct retired_decisions *retired; /* earlier decisions that results may still borrow */
    struct retired_ids *retired_ids;   /* earlier appraisals' worker ids, borrowed likewise */
    unsigned long decide_generation;   /* times eval_refresh decided the tasks again */
    long long rows_returned;           /* rows the rule queries returned */
    int jobs;                          /* threads used for queries */
    double decide_ms;                  /* time to decide the tasks */
    unsigned long long decide_steps;   /* match steps charged to the run's budget */
    size_t decide_distinct;            /* tasks decided by matching; the rest reused a decision */
    double query_ms;                   /* time of the rule queries */
    double *job_ms;                    /* [job] time of each query, for --timings -v */
    const char **job_names;            /* [job] its indicator or target id */
    buffer bundle_names;               /* names of the bundle jobs */
    size_t job_count;
} eval_data;

typedef struct indicator_score {
    double value; /* NaN when status is not ok */
    double points;
    double max_points;
    unsigned char status; /* indicator_status */
} indicator_score;

typedef struct eval_result {
    size_t community_count, indicator_count, category_count;
    indicator_score *scores; /* [community * indicator_count + indicator] */
    double *category_points; /* [community * category_count + category] */
    double *category_max;    /* [category] */
    double *totals;
    int *stars;
    int *ranks;
    size_t *order;          /* communities by rank (then id) */
    double max_total;       /* sum of max points */
    outcome outcome;        /* targets, appraisals, decisions, departments */
    struct eval_memo *memo; /* what eval_rescore reuses (eval.c); NULL from eval_score */
} eval_result;

/* One evaluated run, as the outputs and the results writer read it: what
** was evaluated, with which parameter values, and what came out. All
** borrowed. One type for the tuple every output takes (session_view() makes
** one from a session). */
typedef struct eval_run {
    const rules *rules;
    const snapshot *snapshot;
    const params *params;
    const eval_data *data;     /* the loaded data; NULL when not at hand */
    const eval_result *result; /* NULL until scored */
} eval_run;

typedef struct eval_options {
    int jobs; /* threads for queries; 0 = number of cores */
    /* Optional: called after each query with the number done and the total,
    ** from whichever thread ran it, one call at a time. */
    void (*progress)(void *user, long done, long total);
    void *user;
    /* Optional: called once by eval_load, on the thread that made them, as
    ** soon as the task decisions are in data->decisions (they do not change
    ** afterwards), so that they can be written while the queries run. */
    void (*decided)(void *decided_user, const eval_data *data);
    void *decided_user;
} eval_options;

/* Runs every indicator query. `ps` gives the values bound to parameters in
** SQL. `data` is filled; free with eval_data_free. */
int eval_load(const rules *r, const snapshot *s, const params *ps, const eval_options *options,
              eval_data *data, error *e);

/* Re-runs the queries whose bound parameters differ from `ps`; sets
** *rerun to the number of queries run again. */
int eval_refresh(eval_data *data, const params *ps, const eval_options *options, size_t *rerun,
                 error *e);
void eval_data_free(eval_data *data);

/* Frees what the indicator queries returned, once it is scored and nothing
** more will be scored from it (eval, before the results are written). */
void eval_data_drop_columns(eval_data *data);

/* Scores loaded data with parameter values `ps`. Free with eval_result_free. */
int eval_score(const eval_data *data, const params *ps, eval_result *result, error *e);
void eval_result_free(eval_result *result);

/* Brings `result` up to parameter values `ps` in place. `result` is either
** zeroed (the first call scores everything, as eval_score does) or an
** earlier result of eval_score or eval_rescore: a result of eval_rescore on
** the same `data` keeps what it was scored with, and only what differs is
** computed again (a changed indicator parameter re-scores that indicator's
** column and the totals of the communities it moved; a star threshold only
** re-grades; a target's required value only re-judges its checks; the
** bottom ratio only re-flags the workers between the old and new cut; data
** that eval_refresh reloaded is scored again). The result is exactly what
** eval_score(data, ps) gives. `data` must be the one loaded (and refreshed)
** for every call: the memo knows it by its address and its reload counts.
** Such a result holds about 9 bytes more per community and indicator, and
** a worker's rank order, until eval_result_free. On error the result is
** freed (and zeroed). */
int eval_rescore(const eval_data *data, const params *ps, eval_result *result, error *e);

/* A deep copy of `from` into `to` (without what eval_rescore reuses: `to`
** re-scored later is scored in full once). Decisions stay borrowed. */
int eval_result_copy(eval_result *to, const eval_result *from, error *e);

/* The scoring functions, exposed for tests: fraction in [0, 1]. */
double eval_lin(double x, double from, double to);
double eval_ratio(double x, double target);

/* x op y with tolerance `epsilon` (POLICY.md §0). */
bool eval_compare(double x, rules_op op, double y, double epsilon);

/* The comparison tolerance of a parameter set (compare.epsilon, else 0). */
double eval_epsilon(const params *ps);

/* Adds warnings about indicators whose scoring, on this snapshot's values,
** never reaches full points or (for lin) never gives zero. */
void eval_lint_scoring(rules *r, const eval_data *data, const eval_result *result,
                       const params *ps);

/* Prepares every rule query against `db` (a snapshot or the bare schema);
** adds a problem per query that does not prepare. */
void eval_check_sql(rules *r, void *db);

#endif
