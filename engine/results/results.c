/*
** results.c — the results writer of results.h.
*/
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "outcome.h"
#include "publish.h"
#include "results_schema.h"

const char results_engine_version[] = "kaohe 0.1.0";

/* How long a writer waits for another process's transaction. */
#define BUSY_TIMEOUT_MS 60000

void results_timestamp(char out[32])
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* Status for an SQLite failure while writing: disk and I/O are the
** machine's fault, a locked or read-only file the user's. */
static int write_failure(sqlite3 *db, const char *path, const char *what, error *e)
{
    int rc = sqlite3_errcode(db);
    int status =
        (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_NOMEM
            ? ERROR_SYSTEM
            : ERROR_INPUT;
    return error_set(e, status, "%s: cannot write %s: %s (nothing was written)", path, what,
                     sqlite3_errmsg(db));
}

static void bind_text_or_null(sqlite3_stmt *statement, int slot, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(statement, slot);
    else
        sqlite3_bind_text(statement, slot, text, -1, SQLITE_STATIC);
}

/* Runs a prepared insert and resets it; false on failure. */
static int step_insert(sqlite3_stmt *statement)
{
    int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    return rc == SQLITE_DONE;
}

static const char *status_name(unsigned char status)
{
    return status == STATUS_OK ? "ok" : status == STATUS_MISSING ? "missing" : "invalid";
}

/* --- inserting many rows ------------------------------------------------------
**
** Inserted one statement per row, SQLite opens a table and its primary-key
** index, seeks each from the root and closes them again for every row: most
** of a run's write. Rows are therefore inserted BATCH_ROWS at a time by one
** multi-row INSERT ... VALUES (...), (...): its cursors stay open from row to
** row, and a row that comes in key order goes in where the previous one
** ended. Rows go in in the order given, so their rowids (and what sqlite3
** .dump prints) are what one statement per row gives. Bindings are kept from
** one batch to the next: every row binds every column. The statements are
** INSERT OR FAIL: a row that fails still fails the whole write (the caller
** rolls the transaction back, or throws a new file away), and SQLite need
** not journal each statement to undo just its own rows. */

/* Rows per statement: 64 rows of 7 values stay far below SQLite's limit on
** parameters (999 in old versions), and more rows gain little. */
#define BATCH_ROWS 64

/* Rows going into one table; text values are borrowed (SQLITE_STATIC)
** until the statement they are bound to has run. */
typedef struct inserter {
    sqlite3 *db;
    const char *insert;    /* "INSERT INTO t (a, b)", without VALUES */
    int columns;           /* values per row */
    size_t remaining;      /* rows not yet bound, counting the one being bound */
    sqlite3_stmt *batch;   /* BATCH_ROWS rows; NULL until needed */
    sqlite3_stmt *tail;    /* the last remaining % BATCH_ROWS rows; NULL until needed */
    sqlite3_stmt *current; /* the statement the row being bound goes to */
    int row;               /* that row's place in `current` */
    int rows;              /* rows `current` takes */
    bool out_of_memory;    /* a statement's text could not be made */
} inserter;

/* Sets `ins` up for exactly `count` rows of `columns` values each. */
static void inserter_start(inserter *ins, sqlite3 *db, const char *insert, int columns,
                           size_t count)
{
    memset(ins, 0, sizeof *ins);
    ins->db = db;
    ins->insert = insert;
    ins->columns = columns;
    ins->remaining = count;
}

/* Prepares the insert of `rows` rows into *statement; false on failure
** (inserter_failure says why). */
static bool inserter_prepare(inserter *ins, int rows, sqlite3_stmt **statement)
{
    buffer sql;
    int r, c;
    bool ok;
    buffer_init(&sql);
    buffer_puts(&sql, ins->insert);
    buffer_puts(&sql, " VALUES ");
    for (r = 0; r < rows; r++) {
        buffer_puts(&sql, r > 0 ? ", (" : "(");
        for (c = 0; c < ins->columns; c++)
            buffer_puts(&sql, c > 0 ? ", ?" : "?");
        buffer_puts(&sql, ")");
    }
    ins->out_of_memory = buffer_failed(&sql);
    ok = !ins->out_of_memory &&
         sqlite3_prepare_v2(ins->db, buffer_text(&sql), -1, statement, NULL) == SQLITE_OK;
    buffer_free(&sql);
    return ok;
}

/* Starts the next row; false when its statement cannot be prepared
** (inserter_failure says why). */
static bool inserter_row(inserter *ins)
{
    if (ins->current != NULL && ins->row < ins->rows)
        return true;
    ins->row = 0;
    if (ins->remaining >= BATCH_ROWS) {
        if (ins->batch == NULL && !inserter_prepare(ins, BATCH_ROWS, &ins->batch))
            return false;
        ins->current = ins->batch;
        ins->rows = BATCH_ROWS;
    } else {
        if (!inserter_prepare(ins, (int)ins->remaining, &ins->tail))
            return false;
        ins->current = ins->tail;
        ins->rows = (int)ins->remaining;
    }
    return true;
}

/* Slot of value `column` (1-based) of the row being bound. */
static int slot(const inserter *ins, int column)
{
    return ins->row * ins->columns + column;
}

static void put_int(inserter *ins, int column, sqlite3_int64 x)
{
    sqlite3_bind_int64(ins->current, slot(ins, column), x);
}

/* NaN is written as NULL (as sqlite3_bind_double would). */
static void put_real(inserter *ins, int column, double x)
{
    if (isnan(x))
        sqlite3_bind_null(ins->current, slot(ins, column));
    else
        sqlite3_bind_double(ins->current, slot(ins, column), x);
}

/* NULL text is written as NULL; the text is borrowed. */
static void put_text(inserter *ins, int column, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(ins->current, slot(ins, column));
    else
        sqlite3_bind_text(ins->current, slot(ins, column), text, -1, SQLITE_STATIC);
}

/* Text SQLite copies: for text that changes or is freed before the row's
** statement runs (it runs when BATCH_ROWS rows are bound). */
static void put_copy(inserter *ins, int column, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(ins->current, slot(ins, column));
    else
        sqlite3_bind_text(ins->current, slot(ins, column), text, -1, SQLITE_TRANSIENT);
}

static void put_null(inserter *ins, int column)
{
    sqlite3_bind_null(ins->current, slot(ins, column));
}

/* Ends the row; when it fills its statement, the statement runs. False when
** it fails (inserter_failure says why). */
static bool inserter_end_row(inserter *ins)
{
    int rc;
    ins->remaining--;
    if (++ins->row < ins->rows)
        return true;
    rc = sqlite3_step(ins->current);
    sqlite3_reset(ins->current);
    return rc == SQLITE_DONE;
}

/* The error for a failed row of `what` (such as "task decisions"). */
static int inserter_failure(const inserter *ins, const char *path, const char *what, error *e)
{
    if (ins->out_of_memory)
        return error_set(e, ERROR_SYSTEM,
                         "%s: cannot write %s: out of memory (nothing was written)", path, what);
    return write_failure(ins->db, path, what, e);
}

/* Frees the statements (rows bound but not run are not written). */
static void inserter_end(inserter *ins)
{
    sqlite3_finalize(ins->batch);
    sqlite3_finalize(ins->tail);
    ins->batch = ins->tail = ins->current = NULL;
}

/* --- a run's rows ---------------------------------------------------------------
**
** A run is written in four parts, each of which needs only what is known by
** then: its row in `runs` (write_run_row), what its ids mean
** (write_names), the task decisions (write_decisions) and what the scoring
** made (write_scores). The parts go in in this order whoever writes them
** (results_write at once, or a results_writer as they are ready), so the
** file comes out the same. */

/* Inserts the run's row into `runs` with `finished` as finished_at; its id
** into *run_id. */
static int write_run_row(sqlite3 *db, const char *path, const results_run *run, long long baseline,
                         const char *finished, long long *run_id, error *e)
{
    static const char sql[] =
        "INSERT INTO runs (started_at, finished_at, engine_version, snapshot_sha256, "
        "rules_sha256, as_of, params, region, snapshot_path, rules_root, kind, scenario, "
        "baseline_run_id, communities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14)";
    const rules *r = run->run.rules;
    const snapshot *s = run->run.snapshot;
    sqlite3_stmt *statement = NULL;
    char *params_json = NULL;
    char snapshot_real[PATH_MAX], rules_real[PATH_MAX];
    int status = ERROR_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
        status = write_failure(db, path, "the results", e);
        goto done;
    }
    params_json = params_to_json(run->run.params);
    if (params_json == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory writing parameters");
        goto done;
    }
    sqlite3_bind_text(statement, 1, run->started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, finished, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 3, results_engine_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 4, s->sha256 ? s->sha256 : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 5, r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 6, s->as_of, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 7, params_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 8, s->region, -1, SQLITE_STATIC);
    /* Absolute paths, so `kaohe verify` finds the files from anywhere. */
    sqlite3_bind_text(statement, 9, realpath(s->path, snapshot_real) ? snapshot_real : s->path, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(statement, 10, realpath(r->root, rules_real) ? rules_real : r->root, -1,
                      SQLITE_STATIC);
    bind_text_or_null(statement, 11, run->kind ? run->kind : "eval");
    bind_text_or_null(statement, 12, run->scenario);
    if (baseline > 0)
        sqlite3_bind_int64(statement, 13, baseline);
    sqlite3_bind_int64(statement, 14, (sqlite3_int64)s->community_count);
    if (!step_insert(statement)) {
        status = write_failure(db, path, "the run", e);
        goto done;
    }
    *run_id = sqlite3_last_insert_rowid(db);
done:
    sqlite3_finalize(statement);
    free(params_json);
    return status;
}

/* A comparison as people write it: ≥, <... */
static const char *op_text(rules_op op)
{
    static const char *const texts[] = {"为空", "<", "≤", ">", "≥", "=", "≠"};
    return (size_t)op < sizeof texts / sizeof texts[0] ? texts[op] : "?";
}

/* The name of parameter `index`, or NULL. */
static const char *param_name(const params *ps, int index)
{
    return index >= 0 && (size_t)index < ps->count ? ps->items[index].name : NULL;
}

/* The extra conditions of star grade `g` with the run's values:
** "F01 居民满意率 ≥ 0.9", "；"-separated, into `out`. */
static void star_conditions(const rules *r, const params *ps, const star_grade *g, buffer *out)
{
    size_t k;
    buffer_reset(out);
    for (k = 0; k < g->also_count; k++) {
        const star_condition *c = &g->also[k];
        const indicator *ind = c->indicator >= 0 ? &r->indicators[c->indicator] : NULL;
        buffer_printf(out, "%s%s%s%s %s %.15g", k ? "；" : "", ind ? ind->id : "?",
                      ind && ind->name ? " " : "", ind && ind->name ? ind->name : "",
                      op_text(c->op), c->param >= 0 ? params_number(ps, c->param) : NAN);
    }
}

/* The appraisal's floors with the run's values as a JSON object
** {"score": 60, ...}, into `out`. */
static void appraisal_floors(const appraisal_rule *a, const params *ps, buffer *out)
{
    size_t k;
    buffer_reset(out);
    buffer_puts(out, "{");
    for (k = 0; k < a->floor_count; k++) {
        const char *name = a->floors[k].name ? a->floors[k].name : "";
        char *item =
            sqlite3_mprintf("%s\"%w\": %.15g", k ? ", " : "", name,
                            a->floors[k].param >= 0 ? params_number(ps, a->floors[k].param) : 0.0);
        if (item == NULL)
            out->failed = true;
        else
            buffer_puts(out, item);
        sqlite3_free(item);
    }
    buffer_puts(out, "}");
}

/* What the rules of the run say, so that every output reads its words and
** numbers from the file and none from C: run_rules (epsilon, the name of
** "no grade", the appraisal's scope, floors and bottom ratio),
** run_star_grades (names, thresholds, extra conditions), run_target_rules
** (scopes and what the requirement is), run_params (every value, with its
** description), run_labels (what the outputs call each code). */
static int write_rules(sqlite3 *db, const char *path, long long id, const results_run *run,
                       error *e)
{
    static const char *const kinds[] = {"number", "param", "schedule"};
    const rules *r = run->run.rules;
    const params *ps = run->run.params;
    const appraisal_rule *a = &r->appraisal;
    const char *what = "rules";
    buffer text, scopes;
    inserter ins;
    size_t i, k;
    int status = ERROR_OK;
    buffer_init(&text);
    buffer_init(&scopes);
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_rules (run_id, system_name, total, epsilon, unrated, "
                   "appraisal_scope, bottom_ratio, floors)",
                   8, 1);
    if (a->present)
        appraisal_floors(a, ps, &text);
    if (buffer_failed(&text) || !inserter_row(&ins))
        goto failed;
    put_int(&ins, 1, id);
    put_text(&ins, 2, r->system_name);
    put_real(&ins, 3, r->total);
    put_real(&ins, 4, eval_epsilon(ps));
    put_text(&ins, 5, r->star_unrated ? r->star_unrated : "");
    put_text(&ins, 6, a->present ? rules_scope_names[a->group] : NULL);
    put_real(&ins, 7,
             a->present && a->bottom_ratio_param >= 0 ? params_number(ps, a->bottom_ratio_param)
                                                      : NAN);
    put_copy(&ins, 8, a->present ? buffer_text(&text) : NULL);
    if (!inserter_end_row(&ins))
        goto failed;
    inserter_end(&ins);
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_star_grades (run_id, stars, position, name, threshold, "
                   "threshold_param, conditions)",
                   7, r->star_count);
    what = "star grades";
    for (i = 0; i < r->star_count; i++) {
        const star_grade *g = &r->stars[i];
        star_conditions(r, ps, g, &text);
        if (buffer_failed(&text) || !inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_int(&ins, 2, g->stars);
        put_int(&ins, 3, (sqlite3_int64)i + 1);
        put_text(&ins, 4, g->name ? g->name : "");
        put_real(&ins, 5, g->total_param >= 0 ? params_number(ps, g->total_param) : NAN);
        put_text(&ins, 6, param_name(ps, g->total_param));
        put_copy(&ins, 7, g->also_count > 0 ? buffer_text(&text) : NULL);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_target_rules (run_id, target_id, position, scopes, "
                   "required_kind, required_param)",
                   6, r->target_count);
    what = "target rules";
    for (i = 0; i < r->target_count; i++) {
        const target_rule *t = &r->targets[i];
        buffer_reset(&scopes);
        for (k = 0; k < SCOPE_COUNT; k++)
            if (t->scopes[k])
                buffer_printf(&scopes, "%s%s", scopes.length ? "," : "", rules_scope_names[k]);
        if (buffer_failed(&scopes) || !inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, t->id);
        put_int(&ins, 3, (sqlite3_int64)i + 1);
        put_copy(&ins, 4, buffer_text(&scopes));
        put_text(&ins, 5, kinds[t->required.kind]);
        put_text(&ins, 6,
                 t->required.kind == REF_NUMBER ? NULL : param_name(ps, t->required.param));
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_params (run_id, name, type, value, description, unit)",
                   6, ps->count);
    what = "parameters";
    for (i = 0; i < ps->count; i++) {
        const param *p = &ps->items[i];
        char *value = params_value_text(p, &p->value);
        bool row = value != NULL && inserter_row(&ins);
        if (row) {
            put_int(&ins, 1, id);
            put_text(&ins, 2, p->name);
            put_text(&ins, 3, params_type_name(p->type));
            put_copy(&ins, 4, value);
            put_text(&ins, 5, p->description);
            put_text(&ins, 6, p->unit);
            row = inserter_end_row(&ins);
        }
        free(value);
        if (!row) {
            ins.out_of_memory = ins.out_of_memory || value == NULL;
            goto failed;
        }
    }
    inserter_end(&ins);
    inserter_start(&ins, db, "INSERT OR FAIL INTO run_labels (run_id, kind, code, text)", 4,
                   r->label_count);
    what = "labels";
    for (i = 0; i < r->label_count; i++) {
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, r->labels[i].kind);
        put_text(&ins, 3, r->labels[i].code);
        put_text(&ins, 4, r->labels[i].text);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    goto done;
failed:
    if (buffer_failed(&text) || buffer_failed(&scopes))
        ins.out_of_memory = true;
    status = inserter_failure(&ins, path, what, e);
done:
    inserter_end(&ins);
    buffer_free(&text);
    buffer_free(&scopes);
    return status;
}

/* What the community and target ids mean, so reports need only the results
** file: run_communities and run_targets. */
static int write_names(sqlite3 *db, const char *path, long long id, const results_run *run,
                       error *e)
{
    const rules *r = run->run.rules;
    const snapshot *s = run->run.snapshot;
    const char *what; /* the rows being written, for a failure */
    inserter ins;
    size_t i;
    int status = ERROR_OK;
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_communities (run_id, community_id, name, district, "
                   "street)",
                   5, s->community_count);
    what = "communities";
    for (i = 0; i < s->community_count; i++) {
        const community *cm = &s->communities[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, cm->id);
        put_text(&ins, 3, cm->name);
        put_text(&ins, 4, cm->district);
        put_text(&ins, 5, cm->street);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_targets (run_id, target_id, name, measure, unit, "
                   "source)",
                   6, r->target_count);
    what = "targets";
    for (i = 0; i < r->target_count; i++) {
        const target_rule *t = &r->targets[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, t->id);
        put_text(&ins, 3, t->name ? t->name : t->id);
        put_text(&ins, 4, t->count ? "count" : "ratio");
        put_text(&ins, 5, t->unit);
        put_text(&ins, 6, t->source);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    return write_rules(db, path, id, run, e);
failed:
    status = inserter_failure(&ins, path, what, e);
    inserter_end(&ins);
    return status;
}

/* The task decisions, in the order given: task_decisions. */
static int write_decisions(sqlite3 *db, const char *path, long long id,
                           const task_decision *decisions, size_t count, error *e)
{
    inserter ins;
    size_t i;
    int status = ERROR_OK;
    inserter_start(
        &ins, db, "INSERT OR FAIL INTO task_decisions (run_id, task_id, decision, rule_id, reason)",
        5, count);
    for (i = 0; i < count; i++) {
        const task_decision *d = &decisions[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, d->task_id);
        put_text(&ins, 3, d->decision);
        put_text(&ins, 4, d->rule_id);
        put_text(&ins, 5, d->reason);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    goto done;
failed:
    status = inserter_failure(&ins, path, "task decisions", e);
done:
    inserter_end(&ins);
    return status;
}

/* What the scoring made: indicator_scores, community_scores, category_scores,
** target_checks, worker_appraisals, department_stats, run_indicators and
** run_categories (whose maximum points the scoring sets). */
static int write_scores(sqlite3 *db, const char *path, long long id, const results_run *run,
                        error *e)
{
    const rules *r = run->run.rules;
    const snapshot *s = run->run.snapshot;
    const eval_result *scores = run->run.result;
    const outcome *o = scores != NULL ? &scores->outcome : NULL;
    size_t communities = scores != NULL ? s->community_count : 0;
    const char *what = NULL; /* the rows being written, for a failure */
    inserter ins;
    size_t i, c;
    int status = ERROR_OK;
    inserter_start(
        &ins, db,
        "INSERT OR FAIL INTO indicator_scores (run_id, community_id, indicator_id, value, points, "
        "max_points, status)",
        7, communities * (scores != NULL ? scores->indicator_count : 0));
    what = "indicator scores";
    for (c = 0; c < communities; c++) {
        for (i = 0; i < scores->indicator_count; i++) {
            const indicator_score *score = &scores->scores[c * scores->indicator_count + i];
            if (!inserter_row(&ins))
                goto failed;
            put_int(&ins, 1, id);
            put_text(&ins, 2, s->communities[c].id);
            put_text(&ins, 3, r->indicators[i].id);
            put_real(&ins, 4, score->value);
            put_real(&ins, 5, score->points);
            put_real(&ins, 6, score->max_points);
            put_text(&ins, 7, status_name(score->status));
            if (!inserter_end_row(&ins))
                goto failed;
        }
    }
    inserter_end(&ins);
    inserter_start(
        &ins, db, "INSERT OR FAIL INTO community_scores (run_id, community_id, total, stars, rank)",
        5, communities);
    what = "community scores";
    for (c = 0; c < communities; c++) {
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, s->communities[c].id);
        put_real(&ins, 3, scores->totals[c]);
        put_int(&ins, 4, scores->stars[c]);
        put_int(&ins, 5, scores->ranks[c]);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(
        &ins, db,
        "INSERT OR FAIL INTO category_scores (run_id, community_id, category_id, points, "
        "max_points)",
        5, communities * (scores != NULL ? scores->category_count : 0));
    what = "category scores";
    for (c = 0; c < communities; c++) {
        for (i = 0; i < scores->category_count; i++) {
            if (!inserter_row(&ins))
                goto failed;
            put_int(&ins, 1, id);
            put_text(&ins, 2, s->communities[c].id);
            put_text(&ins, 3, r->categories[i].id);
            put_real(&ins, 4, scores->category_points[c * scores->category_count + i]);
            put_real(&ins, 5, scores->category_max[i]);
            if (!inserter_end_row(&ins))
                goto failed;
        }
    }
    inserter_end(&ins);
    inserter_start(
        &ins, db,
        "INSERT OR FAIL INTO target_checks (run_id, target_id, scope, scope_id, required, "
        "actual, met)",
        7, o != NULL ? o->check_count : 0);
    what = "target checks";
    for (i = 0; o != NULL && i < o->check_count; i++) {
        const target_check *t = &o->checks[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, t->target_id);
        put_text(&ins, 3, t->scope);
        put_text(&ins, 4, t->scope_id);
        put_real(&ins, 5, t->required);
        put_real(&ins, 6, t->actual);
        put_int(&ins, 7, t->met);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(
        &ins, db,
        "INSERT OR FAIL INTO worker_appraisals (run_id, worker_id, community_id, score, rank, "
        "flag)",
        6, o != NULL ? o->appraisal_count : 0);
    what = "worker appraisals";
    for (i = 0; o != NULL && i < o->appraisal_count; i++) {
        const worker_appraisal *w = &o->appraisals[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, w->worker_id);
        put_text(&ins, 3, w->community_id);
        put_real(&ins, 4, w->score);
        if (w->rank > 0)
            put_int(&ins, 5, w->rank);
        else
            put_null(&ins, 5);
        put_text(&ins, 6, w->flag);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(
        &ins, db,
        "INSERT OR FAIL INTO department_stats (run_id, department, tasks, admitted, rejected, "
        "review)",
        6, o != NULL ? o->department_count : 0);
    what = "department statistics";
    for (i = 0; o != NULL && i < o->department_count; i++) {
        const department_stat *d = &o->departments[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, d->department);
        put_int(&ins, 3, d->tasks);
        put_int(&ins, 4, d->admitted);
        put_int(&ins, 5, d->rejected);
        put_int(&ins, 6, d->review);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(
        &ins, db,
        "INSERT OR FAIL INTO run_indicators (run_id, indicator_id, name, category_id, unit, "
        "max_points, source)",
        7, scores != NULL ? r->indicator_count : 0);
    what = "indicators";
    for (i = 0; scores != NULL && i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, ind->id);
        put_text(&ins, 3, ind->name ? ind->name : ind->id);
        put_text(&ins, 4, ind->category ? ind->category : "");
        put_text(&ins, 5, ind->unit);
        put_real(&ins, 6, s->community_count > 0 ? scores->scores[i].max_points : 0);
        put_text(&ins, 7, ind->source);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    inserter_end(&ins);
    inserter_start(&ins, db,
                   "INSERT OR FAIL INTO run_categories (run_id, category_id, name, max_points)", 4,
                   scores != NULL ? r->category_count : 0);
    what = "categories";
    for (i = 0; scores != NULL && i < r->category_count; i++) {
        if (!inserter_row(&ins))
            goto failed;
        put_int(&ins, 1, id);
        put_text(&ins, 2, r->categories[i].id);
        put_text(&ins, 3, r->categories[i].name ? r->categories[i].name : "");
        put_real(&ins, 4, scores->category_max[i]);
        if (!inserter_end_row(&ins))
            goto failed;
    }
    goto done;
failed:
    status = inserter_failure(&ins, path, what, e);
done:
    inserter_end(&ins);
    return status;
}

/* Writes one run's rows; the transaction is the caller's. */
static int write_run(sqlite3 *db, const char *path, const results_run *run, long long baseline,
                     long long *run_id, error *e)
{
    char finished[32];
    int status;
    results_timestamp(finished);
    status = write_run_row(db, path, run, baseline, finished, run_id, e);
    if (status == ERROR_OK)
        status = write_names(db, path, *run_id, run, e);
    if (status == ERROR_OK && run->run.result != NULL)
        status = write_decisions(db, path, *run_id, run->run.result->outcome.decisions,
                                 run->run.result->outcome.decision_count, e);
    if (status == ERROR_OK)
        status = write_scores(db, path, *run_id, run, e);
    return status;
}

/* Runs a statement that sets the connection up for writing. */
static int setup(sqlite3 *db, const char *sql, const char *path, error *e)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return write_failure(db, path, "(cannot set up the connection)", e);
    return ERROR_OK;
}

/* What keeps a write that fails or is killed from being seen. */
typedef enum {
    SAFETY_JOURNAL, /* a file others may read: a rollback journal and synchronous=FULL
                       make the transaction all or nothing, on disk at its commit */
    SAFETY_NONE     /* a new file under a temporary name, which no one reads and which
                       is thrown away whole on failure: no journal, no syncs (the
                       caller syncs the finished file before it is given its name) */
} write_safety;

/* Sets up `db` for writing, starts the write transaction and checks and
** completes the schema (nothing is written when the file's schema is not
** kaohe's). Ends with the transaction open (ERROR_OK) or rolled back. */
static int begin_write(sqlite3 *db, const char *path, write_safety safety, error *e)
{
    bool empty = false;
    int status;
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    status = results_schema_configure(db, e);
    /* Crash safety for a new file is its name: it is built under a
    ** temporary one, synced when complete, then linked into place. A
    ** rollback journal kept in memory stays empty (pages past the end of
    ** the file when the transaction began are never journaled), so
    ** ROLLBACK still works and nothing is written twice; journal_mode=OFF
    ** would do the same, but SQLITE_DBCONFIG_DEFENSIVE refuses it. No
    ** other process opens the file: the lock is taken once and kept. */
    if (status == ERROR_OK && safety == SAFETY_NONE)
        status = setup(db,
                       "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; "
                       "PRAGMA synchronous = OFF",
                       path, e);
    if (status == ERROR_OK && safety == SAFETY_JOURNAL)
        status = setup(db, "PRAGMA synchronous = FULL", path, e);
    /* A run is hundreds of thousands of rows. Into an existing file, a
    ** bigger page cache (16 MB at most, only what is used) spills fewer
    ** pages before the commit, each spill syncing the journal first. A new
    ** file spills with no journal and no sync at the same cost in the end,
    ** and is written while the queries hold their memory: 2 MB (callgrind
    ** counts the same instructions with 2 MB as with 16 MB). */
    if (status == ERROR_OK)
        status = setup(
            db, safety == SAFETY_NONE ? "PRAGMA cache_size = -2048" : "PRAGMA cache_size = -16384",
            path, e);
    if (status != ERROR_OK)
        return status;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return write_failure(db, path, "(cannot start a transaction)", e);
    /* Before anything is written: what the file holds must not act on it. */
    status = results_schema_check(db, "main", path, "nothing was written", &empty, e);
    if (status == ERROR_OK)
        status = results_schema_complete(db, path, empty, e);
    if (status != ERROR_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

/* Commits the transaction begin_write started; rolls it back when the
** commit fails. */
static int commit_write(sqlite3 *db, const char *path, error *e)
{
    int status = ERROR_OK;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        status = write_failure(db, path, "(commit failed)", e);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return status;
}

/* results_write with a choice of safety. */
static int write_runs(sqlite3 *db, const char *path, const results_run *runs, size_t count,
                      long long *run_ids, write_safety safety, error *e)
{
    size_t i;
    int status = begin_write(db, path, safety, e);
    if (status != ERROR_OK)
        return status;
    for (i = 0; status == ERROR_OK && i < count; i++) {
        long long baseline =
            runs[i].baseline_run == -1 && i > 0 ? run_ids[i - 1] : runs[i].baseline_run;
        status = write_run(db, path, &runs[i], baseline, &run_ids[i], e);
    }
    if (status == ERROR_OK)
        status = commit_write(db, path, e);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

int results_write(sqlite3 *db, const char *path, const results_run *runs, size_t count,
                  long long *run_ids, error *e)
{
    return write_runs(db, path, runs, count, run_ids, SAFETY_JOURNAL, e);
}

/* --- what --out names ------------------------------------------------------ */

/* What an --out path is, when it can be written to. */
typedef enum {
    OUT_ABSENT,  /* nothing there: a new file is built under a temporary name */
    OUT_EMPTY,   /* an empty regular file: filled in place, in one transaction */
    OUT_DATABASE /* an SQLite database kaohe may append to (schema still unchecked) */
} out_kind;

/* What a file that is not regular nor a folder is, for a message. */
static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO (named pipe)"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* Says what `path` is; ERROR_INPUT with a message naming what was found for
** anything kaohe will not write to. */
static int classify_out(const char *path, out_kind *kind, error *e)
{
    struct stat st;
    size_t length = strlen(path);
    if (length == 0)
        return error_set(e, ERROR_USAGE, "--out names no file");
    if (path[length - 1] == '/')
        return error_set(e, ERROR_INPUT,
                         "%s: names a folder; give the results file's own name (such as "
                         "%sresults.db)",
                         path, path);
    if (stat(path, &st) != 0) {
        int err = errno;
        struct stat link;
        if (err == ENOENT && lstat(path, &link) == 0 && S_ISLNK(link.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(path, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            return error_set(e, ERROR_INPUT,
                             "%s: a symbolic link to %s, which does not exist; kaohe does not "
                             "create results files through a link (the file would appear "
                             "somewhere --out does not name): give the path of the file itself, "
                             "or remove the link",
                             path, target[0] != '\0' ? target : "(unreadable)");
        }
        if (err == ENOENT) {
            *kind = OUT_ABSENT;
            return ERROR_OK;
        }
        return error_set(e, error_errno_status(err, ERROR_INPUT),
                         "%s: cannot be used as the results file: %s", path, error_errno_text(err));
    }
    if (S_ISDIR(st.st_mode))
        return error_set(e, ERROR_INPUT,
                         "%s: a folder, not a results file; give a file name inside it (such as "
                         "%s/results.db)",
                         path, path);
    if (!S_ISREG(st.st_mode))
        return error_set(e, ERROR_INPUT, "%s: %s, not a results file; results go to a regular file",
                         path, file_kind(st.st_mode));
    /* SQLite reads an empty file as an empty database: it is filled in
    ** place, as if it were new (SQLite's journal makes that one
    ** transaction, and the file keeps its owner, mode and links). */
    if (st.st_size == 0) {
        *kind = OUT_EMPTY;
        return ERROR_OK;
    }
    *kind = OUT_DATABASE;
    return results_schema_check_file(path, e);
}

/* The folder of `path` (whose last '/' is `slash`, or NULL) into `out`. */
static void folder_of(const char *path, const char *slash, char *out, size_t size)
{
    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Checks that a new file can be made in the folder of `path`. */
static int check_folder(const char *path, error *e)
{
    char directory[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct stat st;
    folder_of(path, slash, directory, sizeof directory);
    if (stat(directory, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set(e, ERROR_INPUT,
                         "%s: cannot create the results file: there is no folder %s", path,
                         directory);
    if (access(directory, W_OK | X_OK) != 0)
        return error_set(e, error_errno_status(errno, ERROR_INPUT),
                         "%s: cannot create the results file in folder %s: %s", path, directory,
                         error_errno_text(errno));
    return ERROR_OK;
}

int results_check_out(const char *path, error *e)
{
    sqlite3 *db = NULL;
    out_kind kind;
    bool empty;
    int status = classify_out(path, &kind, e);
    if (status != ERROR_OK || kind == OUT_EMPTY)
        return status;
    if (kind == OUT_ABSENT)
        return check_folder(path, e);
    /* Read-write, as the writer will open it: a journal left by a killed
    ** writer is rolled back here as it would be there. Nothing is written. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return ERROR_OK; /* the writer says why, with the run in hand */
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    status = results_schema_configure(db, e);
    if (status == ERROR_OK && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
        status = results_schema_check(db, "main", path, "refused before evaluating", &empty, e);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return status;
}

/* A new results file is built as RESULTS.tmp-PID and published whole
** (publish.h): link() never replaces a file another process made meanwhile,
** so two processes creating the same results file do not lose a run (the
** one that finds RESULTS there appends to it instead). */

/* The refusal when another process made RESULTS first, twice in a row. */
static int raced_twice(const char *path, error *e)
{
    return error_set(e, ERROR_INPUT,
                     "%s: another process created it while this run was being written, "
                     "twice in a row; run again",
                     path);
}

/* --- appending ---------------------------------------------------------------- */

/* One attempt; *raced is set when a new file was created by another
** process meanwhile (the caller then appends to that file). */
static int results_append_once(const char *path, const results_run *runs, size_t count,
                               long long *run_ids, bool *raced, error *e)
{
    sqlite3 *db = NULL;
    publish out;
    out_kind kind;
    const char *target = path;
    int status, rc;
    memset(&out, 0, sizeof out);
    status = classify_out(path, &kind, e);
    if (status != ERROR_OK)
        goto done;
    if (kind != OUT_ABSENT)
        publish_clean_stale(path);
    if (kind == OUT_ABSENT) {
        status = publish_begin(&out, path, 0, e);
        if (status != ERROR_OK)
            goto done;
        target = publish_temporary(&out);
    }
    /* Never SQLITE_OPEN_CREATE: the file exists (ours, or the user's);
    ** if it vanished meanwhile, SQLite must not make a new one in place.
    ** NOMUTEX: only this thread uses the connection, so SQLite need not
    ** lock it on each of the millions of calls a run's rows take. */
    rc = sqlite3_open_v2(target, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status =
            error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot open for writing: %s",
                      path, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }
    status = write_runs(db, path, runs, count, run_ids,
                        kind == OUT_ABSENT ? SAFETY_NONE : SAFETY_JOURNAL, e);
    if (status != ERROR_OK)
        goto done;
    rc = sqlite3_close(db);
    db = NULL;
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot close: %s", path, sqlite3_errstr(rc));
        goto done;
    }
    if (kind == OUT_ABSENT)
        status = publish_commit(&out, e);
done:
    sqlite3_close(db);
    if (out.exists) {
        *raced = true; /* RESULTS appeared after classify_out: append to it */
        status = raced_twice(path, e);
    }
    publish_free(&out);
    return status;
}

int results_append(const char *path, const results_run *runs, size_t count, long long *run_ids,
                   error *e)
{
    bool raced = false;
    int status = results_append_once(path, runs, count, run_ids, &raced, e);
    if (raced) {
        raced = false;
        error_clear(e);
        status = results_append_once(path, runs, count, run_ids, &raced, e);
    }
    return status;
}

/* --- writing while the run is computed -------------------------------------------
**
** A new file is written in the parts of write_run, each as soon as it is
** fed, by the writer's own thread (overlap) or by the feeding thread. The
** parts go in in the same order either way, so the file is the same. The
** writer's thread takes its work under `lock` and writes without it; the
** connection is its own until it is joined. */

/* The parts of a run, in the order they are written. */
typedef enum {
    PART_RUN,       /* runs (finished_at provisional), run_communities, run_targets */
    PART_DECISIONS, /* task_decisions */
    PART_SCORES,    /* the scores, finished_at; then the commit */
    PARTS
} run_part;

struct results_writer {
    char *path;                     /* --out, as given (owned) */
    out_kind kind;                  /* what --out was at begin */
    publish out;                    /* the new file when kind is OUT_ABSENT; else zeroed */
    bool overlap;                   /* the parts are written by `thread` */
    bool thread_started;            /* `thread` runs and must be joined */
    pthread_t thread;               /* writes the parts when overlap */
    pthread_mutex_t lock;           /* guards what follows, down to `failure` */
    pthread_cond_t fed;             /* signalled when a part is fed or the writer is stopped */
    results_run run;                /* what has been fed of the run (borrowed pointers) */
    const task_decision *decisions; /* borrowed */
    size_t decision_count;
    bool ready[PARTS]; /* part fed */
    bool done[PARTS];  /* part written */
    bool stop;         /* abort: stop writing as soon as possible */
    char finished[32]; /* finished_at, set when the scores are fed */
    double busy_ms;    /* time spent writing parts */
    int status;        /* the first failure, or ERROR_OK */
    error failure;     /* its message */
    sqlite3 *db;       /* the temporary file; the writing thread's */
    long long run_id;  /* the run's id, once PART_RUN is written */
};

/* Milliseconds since `start`. */
static double writer_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* SQLite's progress handler on an overlapping writer's connection: a
** stopped writer's statement ends at once (SQLITE_INTERRUPT) instead of
** writing the rest of a part no one will keep. */
static int writer_stopped(void *argument)
{
    results_writer *w = argument;
    bool stop;
    pthread_mutex_lock(&w->lock);
    stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

/* Opens the temporary file and starts its write transaction (the
** schema made); returns the status, with the message in *e. */
static int writer_open(results_writer *w, error *e)
{
    int rc = sqlite3_open_v2(publish_temporary(&w->out), &w->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot open for writing: %s",
                         w->path, w->db != NULL ? sqlite3_errmsg(w->db) : sqlite3_errstr(rc));
    if (w->overlap)
        sqlite3_progress_handler(w->db, 1000, writer_stopped, w);
    return begin_write(w->db, w->path, SAFETY_NONE, e);
}

/* Writes part `part` of `run`; `decisions` for PART_DECISIONS, `finished`
** for PART_SCORES. */
static int writer_write(results_writer *w, run_part part, const results_run *run,
                        const task_decision *decisions, size_t decision_count, const char *finished,
                        error *e)
{
    /* The snapshot's hash too: with one read per row it is computed while
    ** the run is (snapshot_open_later), known only once the run is scored. */
    static const char update[] =
        "UPDATE runs SET finished_at = ?1, snapshot_sha256 = ?3 WHERE run_id = ?2";
    sqlite3_stmt *statement = NULL;
    int status = ERROR_OK;
    switch (part) {
    case PART_RUN:
        /* finished_at is NOT NULL: the start, until the run is scored. */
        status =
            write_run_row(w->db, w->path, run, run->baseline_run, run->started_at, &w->run_id, e);
        if (status == ERROR_OK)
            status = write_names(w->db, w->path, w->run_id, run, e);
        break;
    case PART_DECISIONS:
        status = write_decisions(w->db, w->path, w->run_id, decisions, decision_count, e);
        break;
    case PART_SCORES:
        status = write_scores(w->db, w->path, w->run_id, run, e);
        if (status == ERROR_OK) {
            if (sqlite3_prepare_v2(w->db, update, -1, &statement, NULL) != SQLITE_OK) {
                status = write_failure(w->db, w->path, "the run", e);
                break;
            }
            sqlite3_bind_text(statement, 1, finished, -1, SQLITE_STATIC);
            sqlite3_bind_int64(statement, 2, w->run_id);
            sqlite3_bind_text(statement, 3,
                              run->run.snapshot->sha256 ? run->run.snapshot->sha256 : "", -1,
                              SQLITE_STATIC);
            if (!step_insert(statement))
                status = write_failure(w->db, w->path, "the run", e);
        }
        if (status == ERROR_OK)
            status = commit_write(w->db, w->path, e);
        break;
    case PARTS:
        break;
    }
    sqlite3_finalize(statement);
    return status;
}

/* Writes the parts fed so far, in order; with `wait`, waits for the next
** part until the last is written, the writer fails or is stopped. The
** caller holds no lock. */
static void writer_pump(results_writer *w, bool wait)
{
    error e;
    error_clear(&e);
    /* Opened once, by the first pump (the only one that finds it closed
    ** and no failure). */
    if (w->db == NULL && w->status == ERROR_OK) {
        int status = writer_open(w, &e);
        pthread_mutex_lock(&w->lock);
        if (status != ERROR_OK) {
            w->status = status;
            w->failure = e;
        }
        pthread_mutex_unlock(&w->lock);
    }
    pthread_mutex_lock(&w->lock);
    for (;;) {
        run_part part = PART_RUN;
        results_run run;
        const task_decision *decisions;
        size_t decision_count;
        char finished[32];
        struct timespec start;
        int status;
        while (part < PARTS && w->done[part])
            part++;
        if (part == PARTS || w->stop || w->status != ERROR_OK)
            break;
        if (!w->ready[part]) {
            if (!wait)
                break;
            pthread_cond_wait(&w->fed, &w->lock);
            continue;
        }
        /* What the part needs, copied while it cannot change. */
        run = w->run;
        decisions = w->decisions;
        decision_count = w->decision_count;
        memcpy(finished, w->finished, sizeof finished);
        pthread_mutex_unlock(&w->lock);
        clock_gettime(CLOCK_MONOTONIC, &start);
        status = writer_write(w, part, &run, decisions, decision_count, finished, &e);
        pthread_mutex_lock(&w->lock);
        w->busy_ms += writer_ms(&start);
        w->done[part] = true;
        if (status != ERROR_OK && w->status == ERROR_OK) {
            w->status = status;
            w->failure = e;
        }
    }
    pthread_mutex_unlock(&w->lock);
}

/* The overlapping writer's thread. */
static void *writer_main(void *argument)
{
    writer_pump(argument, true);
    return NULL;
}

/* Frees `w` and what it holds: its connection (rolling back what it did
** not commit) and its new file unless that was published. */
static void writer_free(results_writer *w)
{
    sqlite3_close(w->db);
    publish_free(&w->out);
    pthread_cond_destroy(&w->fed);
    pthread_mutex_destroy(&w->lock);
    free(w->path);
    free(w);
}

int results_writer_begin(const char *path, bool overlap, results_writer **writer, error *e)
{
    results_writer *w = calloc(1, sizeof *w);
    int status;
    *writer = NULL;
    if (w == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->fed, NULL);
    w->path = strdup(path);
    if (w->path == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    status = classify_out(path, &w->kind, e);
    if (status != ERROR_OK || w->kind != OUT_ABSENT)
        goto done; /* an existing file is written at finish, all at once */
    status = publish_begin(&w->out, path, 0, e);
    if (status != ERROR_OK && w->out.exists) {
        /* Made by another process since classify_out: appended to at
        ** finish, as any existing file. */
        error_clear(e);
        status = classify_out(path, &w->kind, e);
        if (status == ERROR_OK && w->kind == OUT_ABSENT)
            status = raced_twice(path, e); /* made and removed meanwhile */
        goto done;
    }
    if (status != ERROR_OK)
        goto done;
    /* Without a thread (none wanted, or none to be had), the parts are
    ** written by the thread that feeds them. */
    w->overlap = overlap;
    if (overlap && pthread_create(&w->thread, NULL, writer_main, w) == 0)
        w->thread_started = true;
    else
        w->overlap = false;
    if (!w->overlap)
        writer_pump(w, false);
done:
    if (status != ERROR_OK) {
        writer_free(w);
        return status;
    }
    *writer = w;
    return ERROR_OK;
}

void results_writer_feed_run(results_writer *w, const results_run *run)
{
    if (w->kind != OUT_ABSENT)
        return;
    pthread_mutex_lock(&w->lock);
    w->run = *run;
    w->ready[PART_RUN] = true;
    pthread_cond_signal(&w->fed);
    pthread_mutex_unlock(&w->lock);
    if (!w->overlap)
        writer_pump(w, false);
}

void results_writer_feed_decisions(results_writer *w, const task_decision *decisions, size_t count)
{
    if (w->kind != OUT_ABSENT)
        return;
    pthread_mutex_lock(&w->lock);
    w->decisions = decisions;
    w->decision_count = count;
    w->ready[PART_DECISIONS] = true;
    pthread_cond_signal(&w->fed);
    pthread_mutex_unlock(&w->lock);
    if (!w->overlap)
        writer_pump(w, false);
}

double results_writer_busy_ms(results_writer *w)
{
    double ms;
    pthread_mutex_lock(&w->lock);
    ms = w->busy_ms;
    pthread_mutex_unlock(&w->lock);
    return ms;
}

int results_writer_finish(results_writer *w, const results_run *run, long long *run_id, error *e)
{
    bool raced = false;
    int status, rc;
    if (w->kind != OUT_ABSENT) {
        status = results_append(w->path, run, 1, run_id, e);
        writer_free(w);
        return status;
    }
    pthread_mutex_lock(&w->lock);
    w->run = *run;
    if (!w->ready[PART_DECISIONS] && run->run.result != NULL) {
        w->decisions = run->run.result->outcome.decisions;
        w->decision_count = run->run.result->outcome.decision_count;
    }
    results_timestamp(w->finished);
    w->ready[PART_RUN] = w->ready[PART_DECISIONS] = w->ready[PART_SCORES] = true;
    pthread_cond_signal(&w->fed);
    pthread_mutex_unlock(&w->lock);
    if (w->thread_started) {
        pthread_join(w->thread, NULL);
        w->thread_started = false;
    } else {
        writer_pump(w, false);
    }
    /* The thread is gone: what it left is the caller's now. */
    status = w->status;
    if (status != ERROR_OK) {
        *e = w->failure;
        goto done;
    }
    rc = sqlite3_close(w->db);
    w->db = NULL;
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot close: %s", w->path, sqlite3_errstr(rc));
        goto done;
    }
    status = publish_commit(&w->out, e);
    *run_id = w->run_id;
    if (w->out.exists) {
        /* Another process made RESULTS meanwhile: this run is appended to
        ** it, written again in one transaction as if RESULTS had been
        ** there all along (and refused the same way if it is no results
        ** file). Our temporary goes first. */
        error_clear(e);
        publish_free(&w->out);
        status = results_append_once(w->path, run, 1, run_id, &raced, e);
    }
done:
    writer_free(w);
    return status;
}

void results_writer_abort(results_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->fed);
    pthread_mutex_unlock(&w->lock);
    if (w->thread_started)
        pthread_join(w->thread, NULL);
    writer_free(w);
}
