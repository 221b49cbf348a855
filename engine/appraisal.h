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
} appraisal_data;

int appraisal_load(sqlite3 *db, const rules *r, const snapshot *s, const params *ps,
                   appraisal_data *d, error *e);
void appraisal_data_free(const rules *r, appraisal_data *d);

/* Fills o->appraisals (one per loaded worker, in worker id order). */
int appraisal_score(const rules *r, const snapshot *s, const appraisal_data *d, const params *ps,
                    double epsilon, outcome *o, error *e);

#endif
