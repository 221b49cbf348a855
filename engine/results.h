/*
** results.h — appending a run to a results database.
**
** The tables of ../shared/spec/results.sql (compiled into the binary) are
** the public contract; the engine adds columns to `runs` (region, paths,
** kind, the baseline of a what-if) and tables of its own (category_scores,
** department_stats), never dropping or renaming contract columns.
**
** A run is written in one transaction: the file holds every row of a run or
** none of it. A new results file is built under a temporary name
** (RESULTS.tmp-PID, locked by its creator) and linked into place, so a
** failure never leaves a half-made file behind; what a killed process
** leaves is removed by the next writer of RESULTS. Writers wait up to 60 s
** for another process's transaction.
**
** An existing file is written only when its schema is exactly what kaohe
** makes (results_schema.h): a trigger, view, index or changed table is
** refused before anything is written.
*/
#ifndef KAOHE_RESULTS_H
#define KAOHE_RESULTS_H

#include <sqlite3.h>

#include "error.h"
#include "eval.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

/* Everything one evaluation produced; parts not computed are NULL. */
typedef struct results_run {
    const rules *rules;
    const snapshot *snapshot;
    const params *params;
    const eval_result *scores;
    const struct outcome *outcome; /* targets, appraisals, decisions (outcome.h) */
    const char *started_at;        /* ISO 8601 UTC */
    const char *kind;              /* "eval", "whatif-baseline", "whatif-scenario" */
    const char *scenario;          /* scenario name or NULL */
    long long baseline_run;        /* run id of the baseline, or 0 */
} results_run;

/* Appends each run of `runs` (in order, one transaction for all) to the
** database at `path`, creating it if absent. Run ids are written to
** run_ids[]. A baseline_run of -1 in runs[i] means "the run written just
** before this one". */
int results_append(const char *path, const results_run *runs, size_t count, long long *run_ids,
                   error *e);

/* Checks, before a run is evaluated, what results_append will check when
** it writes: that `path` can be a results file (absent in a folder that can
** take it, empty, or a database whose schema is exactly kaohe's). An eval
** of a whole province is not computed for minutes only to be refused at
** the end. Nothing is written. Returns ERROR_OK, or the refusal
** results_append would give. */
int results_check_out(const char *path, error *e);

/* Writes `runs` into the open database `db` as results_append does (one
** transaction, the schema checked first and completed), for a database the
** caller opened: a private temporary one (verify). `path` names it in
** messages. The connection is configured (results_schema_configure). */
int results_write(sqlite3 *db, const char *path, const results_run *runs, size_t count,
                  long long *run_ids, error *e);

/* Current UTC time as YYYY-MM-DDTHH:MM:SSZ into out[32]. */
void results_timestamp(char out[32]);

/* Engine version string written to runs.engine_version. */
extern const char results_engine_version[];

#endif
