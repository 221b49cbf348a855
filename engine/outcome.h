/*
** outcome.h — what an evaluation decides beyond indicator points: target
** checks, worker appraisals and task decisions. Filled by targets.c,
** appraisal.c and the admission step of eval; written by results.c.
*/
#ifndef KAOHE_OUTCOME_H
#define KAOHE_OUTCOME_H

#include <stddef.h>

typedef struct target_check {
    const char *target_id; /* points into the rules */
    const char *scope;     /* "region" | "district" | "street" | "community" */
    char *scope_id;        /* owned */
    double required;
    double actual;         /* NaN when it cannot be computed */
    int met;
} target_check;

typedef struct worker_appraisal {
    char *worker_id;    /* owned */
    char *community_id; /* owned */
    double score;       /* NaN when a component is missing */
    int rank;           /* within the group; 0 = none (no score) */
    const char *flag;   /* NULL | "below_floor" | "bottom_ratio" | "no_score" */
} worker_appraisal;

typedef struct task_decision {
    char *task_id;     /* owned */
    char *community_id;
    char *department;
    const char *decision; /* "admit" | "reject" | "review" */
    const char *rule_id;  /* entry id or NULL */
    char *reason;         /* owned */
} task_decision;

typedef struct outcome {
    target_check *checks;
    size_t check_count;
    worker_appraisal *appraisals;
    size_t appraisal_count;
    task_decision *decisions;
    size_t decision_count;
} outcome;

void outcome_free(outcome *o);

#endif
