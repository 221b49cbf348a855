/*
** outcome.h — what an evaluation decides beyond indicator points: target
** checks, worker appraisals, task decisions and per-department counts.
** Strings are borrowed from the snapshot or the loaded data (eval.h), which
** outlive the outcome; the arrays are owned (outcome_free).
*/
#ifndef KAOHE_OUTCOME_H
#define KAOHE_OUTCOME_H

#include <stddef.h>

typedef struct target_check {
    const char *target_id; /* from the rules */
    const char *scope;     /* "region" | "district" | "street" | "community" */
    const char *scope_id;  /* region name, district, district/street or community id */
    double required;
    double actual;    /* NaN when it cannot be computed */
    double numerator; /* what the actual is made of, for reports */
    double denominator;
    int met;
} target_check;

typedef struct worker_appraisal {
    const char *worker_id;
    const char *community_id;
    double score;     /* NaN when a component is missing */
    int rank;         /* within the group, 1 = lowest; 0 = none (no score) */
    const char *flag; /* NULL | "below_floor" | "bottom_ratio" | "no_score" */
} worker_appraisal;

typedef struct task_decision {
    const char *task_id;      /* in the loaded data's text arena */
    const char *community_id; /* these four: in the loaded data's string pool */
    const char *department;
    const char *received_on;
    const char *decision; /* "admit" | "reject" | "review" */
    const char *rule_id;  /* entry id (from the rules) or NULL */
    const char *reason;
    int entry;     /* index of the deciding entry, -1 none */
    int limit_hit; /* a PCRE2 limit sent it to review */
} task_decision;

typedef struct department_stat {
    const char *department;
    long tasks, admitted, rejected, review;
} department_stat;

typedef struct outcome {
    target_check *checks;
    size_t check_count;
    worker_appraisal *appraisals;
    size_t appraisal_count;
    long flagged[3];                /* appraisals flagged below_floor, bottom_ratio, no_score */
    const task_decision *decisions; /* borrowed */
    size_t decision_count;
    department_stat *departments;
    size_t department_count;
} outcome;

/* Frees the owned arrays (not the borrowed strings). */
void outcome_free(outcome *o);

#endif
