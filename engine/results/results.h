/*
** results.h — appending a run to a results database.
**
** The tables of ../shared/spec/results.sql (compiled into the binary) are
** the public contract; the engine adds columns to `runs` (region, paths,
** kind, the baseline of a what-if) and tables of its own (category_scores,
** department_stats; what ids mean: run_communities, run_indicators,
** run_categories, run_targets; what the rules of the run say: run_rules,
** run_star_grades, run_target_rules, run_params), never dropping or
** renaming contract columns. Outputs read the words and numbers of a run
** from those tables, so none is written in C.
**
** A run is written in one transaction: the file holds every row of a run or
** none of it. A new results file is built under a temporary name
** (RESULTS.tmp-PID, locked by its creator) and linked into place, so a
** failure never leaves a half-made file behind; what a killed process
** leaves is removed by the next writer of RESULTS. As nothing reads it
** before it is complete, it is built with no rollback journal on disk and
** no sync per commit, then synced before the link and its folder after.
** An existing file is written with its journal and synchronous=FULL.
** Writers wait up to 60 s for another process's transaction.
**
** An existing file is written only when its schema is exactly what kaohe
** makes (results_schema.h): a trigger, view, index or changed table is
** refused before anything is written.
*/
#ifndef KAOHE_RESULTS_H
#define KAOHE_RESULTS_H

#include <sqlite3.h>
#include <stdbool.h>

#include "error.h"
#include "eval.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

/* Everything one evaluation produced; parts not computed are NULL. */
typedef struct results_run {
    eval_run run;           /* rules, snapshot, parameters; result NULL until scored */
    const char *started_at; /* ISO 8601 UTC */
    const char *kind;       /* "eval", "whatif-baseline", "whatif-scenario" */
    const char *scenario;   /* scenario name or NULL */
    long long baseline_run; /* run id of the baseline, or 0 */
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

/* --- writing while the run is computed -------------------------------------
**
** `kaohe eval` hands its run to a writer part by part, as each is known:
**
**   results_writer_begin(path)         once results_check_out passed
**   results_writer_feed_run(w, run)     the snapshot open: its run, communities, targets
**   results_writer_feed_decisions(w)    the tasks decided (from any one thread)
**   results_writer_finish(w, run)       the run scored: the rest, commit, publish
**   results_writer_abort(w)             instead, when the run fails
**
** A new file (RESULTS absent) is built under its temporary name as the
** parts are fed: with `overlap`, by a thread of the writer's own while the
** caller goes on computing; without, by the thread that feeds each part.
** The parts go in in the same order either way, and the rows are the ones
** results_append writes. Into an existing file the whole run is written at
** finish, in one transaction, exactly as results_append does: its lock and
** journal are not held while the run is computed.
**
** Ownership: begin gives the caller the writer; exactly one of finish and
** abort frees it. What is fed (the run and what it points to, the
** decisions) is borrowed until then and must not change once fed. A
** failure of the writer is reported by finish, with the message
** results_append would give; feeding never fails. */
typedef struct results_writer results_writer;

/* Starts writing a run to `path` (refused as results_append would refuse
** it). On success *writer is the caller's; on failure it is NULL and
** nothing is left at `path`. */
int results_writer_begin(const char *path, bool overlap, results_writer **writer, error *e);

/* Feeds the run's own rows: `run` needs rules, snapshot, params,
** started_at and kind (scores and outcome may be NULL yet). */
void results_writer_feed_run(results_writer *writer, const results_run *run);

/* Feeds the task decisions (eval_data's: the same ones the outcome will
** hold), `count` of them. */
void results_writer_feed_decisions(results_writer *writer, const task_decision *decisions,
                                   size_t count);

/* Milliseconds the writer has spent writing so far (before finish: the
** part of the write done while the run was computed). */
double results_writer_busy_ms(results_writer *writer);

/* Writes the rest of the complete `run` (what was fed before, plus scores
** and outcome), commits, and for a new file syncs it and links it into
** place. The run's id goes to *run_id. Frees `writer`, whatever happens;
** on failure nothing is left at a new `path` and an existing one is as it
** was. */
int results_writer_finish(results_writer *writer, const results_run *run, long long *run_id,
                          error *e);

/* Stops writing and frees `writer` (NULL is fine): nothing is left at a new
** `path`, an existing one is untouched. */
void results_writer_abort(results_writer *writer);

/* Current UTC time as YYYY-MM-DDTHH:MM:SSZ into out[32]. */
void results_timestamp(char out[32]);

/* Engine version string written to runs.engine_version. */
extern const char results_engine_version[];

#endif
