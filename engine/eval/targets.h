/*
** targets.h — target checks (POLICY.md §2, §3): each target's query gives
** every community a numerator and a denominator; scoring sums them up to the
** scopes the target names (region, district, street, community) and compares
** the actual ratio or count with the required value.
*/
#ifndef KAOHE_TARGETS_H
#define KAOHE_TARGETS_H

#include <sqlite3.h>

#include "error.h"
#include "outcome.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

typedef struct target_data {
    double *numerator;        /* [community] */
    double *denominator;      /* [community] */
    param_value *bound;       /* parameter values the query ran with */
    unsigned long generation; /* times eval_refresh reloaded it */
} target_data;

/* Runs target `index`'s query into `d` (allocated on first use). */
int targets_load(sqlite3 *db, const rules *r, size_t index, const snapshot *s, const params *ps,
                 target_data *d, error *e);
void targets_data_free(const rules *r, target_data *all);

/* Appends the checks of every target to o->checks, in target order, scopes
** broadest first, scope ids sorted. */
int targets_score(const rules *r, const snapshot *s, const target_data *all, const params *ps,
                  double epsilon, outcome *o, error *e);

/* Sets `required` and `met` of a target's `count` checks (scored by
** targets_score) for a new required value: what targets_score gives, when
** only the required value changed. */
void targets_rejudge(target_check *checks, size_t count, double required, double epsilon);

#endif
