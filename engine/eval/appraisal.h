/*
** appraisal.h — worker appraisal and bottom-ratio elimination (POLICY.md
** §3). The rule's query gives each appraised worker a score and its
** components; scoring flags no_score (a component missing), below_floor
** (under a floor) and bottom_ratio (the lowest ceil(ratio × n) of a group,
** ordered by score then worker id), and ranks workers within the group.
*/
#ifndef KAOHE_APPRAISAL_H
#define KAOHE_APPRAISAL_H

#include <sqlite3.h>

#include "error.h"
#include "idset.h"
#include "outcome.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

typedef struct appraisal_data {
    size_t count;
    const char **worker_ids; /* sorted; the texts are in `ids` */
    textarena ids;
    const char **community_ids; /* borrowed from the snapshot */
    size_t *community;          /* index into the snapshot's communities */
    double *score;              /* NaN = NULL */
    double *components;         /* [worker * component_count + k], NaN = NULL */
    param_value *bound;
    unsigned long generation; /* times eval_refresh reloaded the rows */
} appraisal_data;

int appraisal_load(sqlite3 *db, const rules *r, const snapshot *s, const params *ps,
                   appraisal_data *d, error *e);
void appraisal_data_free(const rules *r, appraisal_data *d);

/* What appraisal_rescore reuses: the scored workers in rank order, where
** each group begins, who is under a floor, and the ratio and floors they
** were judged with. */
typedef struct appraisal_memo appraisal_memo;

/* Fills o->appraisals (one per loaded worker, in worker id order). When
** `keep` is not NULL, *keep receives what appraisal_rescore reuses (free
** with appraisal_memo_free); on error *keep is NULL. */
int appraisal_score(const rules *r, const snapshot *s, const appraisal_data *d, const params *ps,
                    double epsilon, appraisal_memo **keep, outcome *o, error *e);

/* Brings o->appraisals, scored by appraisal_score (with `memo`) from the
** same data and epsilon, up to the floors and bottom ratio of `ps`: the rank
** order cannot change, so a changed ratio re-flags only the workers between
** each group's old and new cut, and a changed floor re-judges each scored
** worker's score against it (one pass, no sort) and re-flags those whose
** standing changed. The flags are then exactly what appraisal_score gives. */
void appraisal_rescore(const rules *r, const appraisal_data *d, const params *ps, double epsilon,
                       appraisal_memo *memo, outcome *o);

/* NULL-safe. */
void appraisal_memo_free(appraisal_memo *memo);

#endif
