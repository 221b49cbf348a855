/*
** results.c — the results writer of results.h.
*/
#include "results.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "outcome.h"
#include "results_schema_sql.h"

const char results_engine_version[] = "kaohe 0.1.0";

/* How long a writer waits for another process's transaction. */
#define BUSY_TIMEOUT_MS 60000

/* Tables and columns the engine adds to the contract. */
static const char extra_schema[] = "CREATE TABLE IF NOT EXISTS category_scores ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  community_id TEXT NOT NULL,"
                                   "  category_id TEXT NOT NULL,"
                                   "  points REAL NOT NULL,"
                                   "  max_points REAL NOT NULL,"
                                   "  PRIMARY KEY (run_id, community_id, category_id));"
                                   "CREATE TABLE IF NOT EXISTS run_communities ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  community_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  district TEXT NOT NULL,"
                                   "  street TEXT NOT NULL,"
                                   "  PRIMARY KEY (run_id, community_id));"
                                   "CREATE TABLE IF NOT EXISTS run_indicators ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  indicator_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  category_id TEXT NOT NULL,"
                                   "  unit TEXT,"
                                   "  max_points REAL NOT NULL,"
                                   "  source TEXT,"
                                   "  PRIMARY KEY (run_id, indicator_id));"
                                   "CREATE TABLE IF NOT EXISTS run_categories ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  category_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  max_points REAL NOT NULL,"
                                   "  PRIMARY KEY (run_id, category_id));"
                                   "CREATE TABLE IF NOT EXISTS run_targets ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  target_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  measure TEXT NOT NULL,"
                                   "  unit TEXT,"
                                   "  source TEXT,"
                                   "  PRIMARY KEY (run_id, target_id));"
                                   "CREATE TABLE IF NOT EXISTS department_stats ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  department TEXT NOT NULL,"
                                   "  tasks INTEGER NOT NULL,"
                                   "  admitted INTEGER NOT NULL,"
                                   "  rejected INTEGER NOT NULL,"
                                   "  review INTEGER NOT NULL,"
                                   "  PRIMARY KEY (run_id, department));";

static const char *const extra_run_columns[][2] = {
    {"region", "TEXT"},         {"snapshot_path", "TEXT"}, {"rules_root", "TEXT"},
    {"kind", "TEXT"},           {"scenario", "TEXT"},      {"baseline_run_id", "INTEGER"},
    {"communities", "INTEGER"},
};

void results_timestamp(char out[32])
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

static int exec(sqlite3 *db, const char *sql, const char *path, error *e)
{
    char *message = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        int status = rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_NOMEM ||
                             rc == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR
                         ? ERROR_SYSTEM
                         : ERROR_INPUT;
        error_set(e, status, "%s: %s", path, message ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        return status;
    }
    return ERROR_OK;
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

/* 1 when `sql` (with ?1 = a, ?2 = b) returns a row, 0 when it returns none,
** -1 when it cannot run (out of memory, I/O): the caller must not guess. */
static int schema_has(sqlite3 *db, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *statement = NULL;
    int rc, found = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, a, -1, SQLITE_STATIC);
        if (b != NULL)
            sqlite3_bind_text(statement, 2, b, -1, SQLITE_STATIC);
        rc = sqlite3_step(statement);
        found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(statement);
    return found;
}

static int table_exists(sqlite3 *db, const char *table)
{
    return schema_has(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", table,
                      NULL);
}

static int column_exists(sqlite3 *db, const char *table, const char *column)
{
    return schema_has(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", table, column);
}

static int schema_unreadable(sqlite3 *db, const char *path, error *e)
{
    return error_set(e, error_sqlite_status(sqlite3_errcode(db), ERROR_SYSTEM),
                     "%s: cannot read its schema: %s", path, sqlite3_errmsg(db));
}

/* Creates the contract tables in a new database, or checks an existing one
** is a results database; adds the engine's own columns and tables. Runs
** inside the write transaction. */
static int ensure_schema(sqlite3 *db, const char *path, error *e)
{
    static const char *const contract[] = {"runs",
                                           "indicator_scores",
                                           "community_scores",
                                           "target_checks",
                                           "worker_appraisals",
                                           "task_decisions",
                                           NULL};
    int present = 0, other = 0;
    size_t i;
    int status;
    sqlite3_stmt *statement = NULL;
    for (i = 0; contract[i] != NULL; i++) {
        int exists = table_exists(db, contract[i]);
        if (exists < 0)
            return schema_unreadable(db, path, e);
        present += exists;
    }
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", -1,
                           &statement, NULL) != SQLITE_OK ||
        sqlite3_step(statement) != SQLITE_ROW) {
        sqlite3_finalize(statement);
        return schema_unreadable(db, path, e);
    }
    other = sqlite3_column_int(statement, 0) - present;
    sqlite3_finalize(statement);
    if (present == 0 && other > 0)
        return error_set(e, ERROR_INPUT,
                         "%s: an SQLite database that is not a kaohe results database (it has "
                         "other tables and no table runs); refusing to write into it",
                         path);
    if (present == 0) {
        char *schema = malloc(results_schema_sql_len + 1);
        if (schema == NULL)
            return error_set(e, ERROR_SYSTEM, "out of memory");
        memcpy(schema, results_schema_sql, results_schema_sql_len);
        schema[results_schema_sql_len] = '\0';
        status = exec(db, schema, path, e);
        free(schema);
        if (status != ERROR_OK)
            return status;
    } else if (present < 6) {
        for (i = 0; contract[i] != NULL; i++) {
            int exists = table_exists(db, contract[i]);
            if (exists < 0)
                return schema_unreadable(db, path, e);
            if (exists == 0)
                return error_set(e, ERROR_INPUT,
                                 "%s: a results database without table %s (damaged or from "
                                 "another tool); refusing to write into it",
                                 path, contract[i]);
        }
    }
    for (i = 0; i < sizeof extra_run_columns / sizeof extra_run_columns[0]; i++) {
        int exists = column_exists(db, "runs", extra_run_columns[i][0]);
        if (exists < 0)
            return schema_unreadable(db, path, e);
        if (!exists) {
            char sql[256];
            snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN %s %s", extra_run_columns[i][0],
                     extra_run_columns[i][1]);
            status = exec(db, sql, path, e);
            if (status != ERROR_OK)
                return status;
        }
    }
    return exec(db, extra_schema, path, e);
}

static void bind_real_or_null(sqlite3_stmt *statement, int slot, double x)
{
    if (isnan(x))
        sqlite3_bind_null(statement, slot);
    else
        sqlite3_bind_double(statement, slot, x);
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

/* Writes one run's rows; the transaction is the caller's. */
static int write_run(sqlite3 *db, const char *path, const results_run *run, long long baseline,
                     long long *run_id, error *e)
{
    static const char *const sql[] = {
        "INSERT INTO runs (started_at, finished_at, engine_version, snapshot_sha256, "
        "rules_sha256, as_of, params, region, snapshot_path, rules_root, kind, scenario, "
        "baseline_run_id, communities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14)",
        "INSERT INTO indicator_scores (run_id, community_id, indicator_id, value, points, "
        "max_points, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO community_scores (run_id, community_id, total, stars, rank) VALUES (?1, ?2, "
        "?3, ?4, ?5)",
        "INSERT INTO category_scores (run_id, community_id, category_id, points, max_points) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        "INSERT INTO target_checks (run_id, target_id, scope, scope_id, required, actual, met) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO worker_appraisals (run_id, worker_id, community_id, score, rank, flag) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        "INSERT INTO task_decisions (run_id, task_id, decision, rule_id, reason) VALUES (?1, ?2, "
        "?3, ?4, ?5)",
        "INSERT INTO department_stats (run_id, department, tasks, admitted, rejected, review) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        "INSERT INTO run_communities (run_id, community_id, name, district, street) VALUES (?1, "
        "?2, ?3, ?4, ?5)",
        "INSERT INTO run_indicators (run_id, indicator_id, name, category_id, unit, max_points, "
        "source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO run_categories (run_id, category_id, name, max_points) VALUES (?1, ?2, ?3, "
        "?4)",
        "INSERT INTO run_targets (run_id, target_id, name, measure, unit, source) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6)",
    };
    enum {
        RUN,
        INDICATOR,
        COMMUNITY,
        CATEGORY,
        TARGET,
        WORKER,
        TASK,
        DEPARTMENT,
        RUN_COMMUNITY,
        RUN_INDICATOR,
        RUN_CATEGORY,
        RUN_TARGET,
        STATEMENTS
    };
    sqlite3_stmt *statements[STATEMENTS] = {NULL};
    const rules *r = run->rules;
    const snapshot *s = run->snapshot;
    const eval_result *scores = run->scores;
    const outcome *o = run->outcome;
    char *params_json = NULL;
    char finished[32];
    char snapshot_real[PATH_MAX], rules_real[PATH_MAX];
    size_t i, c;
    long long id;
    int status = ERROR_OK;
    for (i = 0; i < STATEMENTS; i++) {
        if (sqlite3_prepare_v2(db, sql[i], -1, &statements[i], NULL) != SQLITE_OK) {
            status = write_failure(db, path, "the results", e);
            goto done;
        }
    }
    params_json = params_to_json(run->params);
    if (params_json == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory writing parameters");
        goto done;
    }
    results_timestamp(finished);
    sqlite3_bind_text(statements[RUN], 1, run->started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 2, finished, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 3, results_engine_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 4, s->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 5, r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 6, s->as_of, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 7, params_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 8, s->region, -1, SQLITE_STATIC);
    /* Absolute paths, so `kaohe verify` finds the files from anywhere. */
    sqlite3_bind_text(statements[RUN], 9,
                      realpath(s->path, snapshot_real) ? snapshot_real : s->path, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 10, realpath(r->root, rules_real) ? rules_real : r->root, -1,
                      SQLITE_STATIC);
    bind_text_or_null(statements[RUN], 11, run->kind ? run->kind : "eval");
    bind_text_or_null(statements[RUN], 12, run->scenario);
    if (baseline > 0)
        sqlite3_bind_int64(statements[RUN], 13, baseline);
    sqlite3_bind_int64(statements[RUN], 14, (sqlite3_int64)s->community_count);
    if (!step_insert(statements[RUN])) {
        status = write_failure(db, path, "the run", e);
        goto done;
    }
    id = sqlite3_last_insert_rowid(db);
    for (c = 0; scores != NULL && c < s->community_count; c++) {
        const char *community_id = s->communities[c].id;
        for (i = 0; i < scores->indicator_count; i++) {
            const indicator_score *score = &scores->scores[c * scores->indicator_count + i];
            sqlite3_stmt *st = statements[INDICATOR];
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, community_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, r->indicators[i].id, -1, SQLITE_STATIC);
            bind_real_or_null(st, 4, score->value);
            sqlite3_bind_double(st, 5, score->points);
            sqlite3_bind_double(st, 6, score->max_points);
            sqlite3_bind_text(st, 7, status_name(score->status), -1, SQLITE_STATIC);
            if (!step_insert(st)) {
                status = write_failure(db, path, "indicator scores", e);
                goto done;
            }
        }
        sqlite3_bind_int64(statements[COMMUNITY], 1, id);
        sqlite3_bind_text(statements[COMMUNITY], 2, community_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(statements[COMMUNITY], 3, scores->totals[c]);
        sqlite3_bind_int(statements[COMMUNITY], 4, scores->stars[c]);
        sqlite3_bind_int(statements[COMMUNITY], 5, scores->ranks[c]);
        if (!step_insert(statements[COMMUNITY])) {
            status = write_failure(db, path, "community scores", e);
            goto done;
        }
        for (i = 0; i < scores->category_count; i++) {
            sqlite3_stmt *st = statements[CATEGORY];
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, community_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, r->categories[i].id, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 4, scores->category_points[c * scores->category_count + i]);
            sqlite3_bind_double(st, 5, scores->category_max[i]);
            if (!step_insert(st)) {
                status = write_failure(db, path, "category scores", e);
                goto done;
            }
        }
    }
    for (i = 0; o != NULL && i < o->check_count; i++) {
        const target_check *t = &o->checks[i];
        sqlite3_stmt *st = statements[TARGET];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, t->target_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->scope_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, t->required);
        bind_real_or_null(st, 6, t->actual);
        sqlite3_bind_int(st, 7, t->met);
        if (!step_insert(st)) {
            status = write_failure(db, path, "target checks", e);
            goto done;
        }
    }
    for (i = 0; o != NULL && i < o->appraisal_count; i++) {
        const worker_appraisal *w = &o->appraisals[i];
        sqlite3_stmt *st = statements[WORKER];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, w->worker_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w->community_id, -1, SQLITE_STATIC);
        bind_real_or_null(st, 4, w->score);
        if (w->rank > 0)
            sqlite3_bind_int(st, 5, w->rank);
        bind_text_or_null(st, 6, w->flag);
        if (!step_insert(st)) {
            status = write_failure(db, path, "worker appraisals", e);
            goto done;
        }
    }
    for (i = 0; o != NULL && i < o->decision_count; i++) {
        const task_decision *d = &o->decisions[i];
        sqlite3_stmt *st = statements[TASK];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, d->task_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, d->decision, -1, SQLITE_STATIC);
        bind_text_or_null(st, 4, d->rule_id);
        sqlite3_bind_text(st, 5, d->reason, -1, SQLITE_STATIC);
        if (!step_insert(st)) {
            status = write_failure(db, path, "task decisions", e);
            goto done;
        }
    }
    for (i = 0; o != NULL && i < o->department_count; i++) {
        const department_stat *d = &o->departments[i];
        sqlite3_stmt *st = statements[DEPARTMENT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, d->department, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, d->tasks);
        sqlite3_bind_int64(st, 4, d->admitted);
        sqlite3_bind_int64(st, 5, d->rejected);
        sqlite3_bind_int64(st, 6, d->review);
        if (!step_insert(st)) {
            status = write_failure(db, path, "department statistics", e);
            goto done;
        }
    }
    /* What the ids mean, so reports need only the results file. */
    for (c = 0; c < s->community_count; c++) {
        sqlite3_stmt *st = statements[RUN_COMMUNITY];
        const community *cm = &s->communities[c];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, cm->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, cm->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, cm->district, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, cm->street, -1, SQLITE_STATIC);
        if (!step_insert(st)) {
            status = write_failure(db, path, "communities", e);
            goto done;
        }
    }
    for (i = 0; scores != NULL && i < r->indicator_count; i++) {
        sqlite3_stmt *st = statements[RUN_INDICATOR];
        const indicator *ind = &r->indicators[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, ind->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ind->name ? ind->name : ind->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, ind->category ? ind->category : "", -1, SQLITE_STATIC);
        bind_text_or_null(st, 5, ind->unit);
        sqlite3_bind_double(st, 6, s->community_count > 0 ? scores->scores[i].max_points : 0);
        bind_text_or_null(st, 7, ind->source);
        if (!step_insert(st)) {
            status = write_failure(db, path, "indicators", e);
            goto done;
        }
    }
    for (i = 0; scores != NULL && i < r->category_count; i++) {
        sqlite3_stmt *st = statements[RUN_CATEGORY];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, r->categories[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->categories[i].name ? r->categories[i].name : "", -1,
                          SQLITE_STATIC);
        sqlite3_bind_double(st, 4, scores->category_max[i]);
        if (!step_insert(st)) {
            status = write_failure(db, path, "categories", e);
            goto done;
        }
    }
    for (i = 0; i < r->target_count; i++) {
        sqlite3_stmt *st = statements[RUN_TARGET];
        const target_rule *t = &r->targets[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->name ? t->name : t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->count ? "count" : "ratio", -1, SQLITE_STATIC);
        bind_text_or_null(st, 5, t->unit);
        bind_text_or_null(st, 6, t->source);
        if (!step_insert(st)) {
            status = write_failure(db, path, "targets", e);
            goto done;
        }
    }
    *run_id = id;
done:
    for (i = 0; i < STATEMENTS; i++)
        sqlite3_finalize(statements[i]);
    free(params_json);
    return status;
}

/* One attempt; *raced is set when a new file was created by another
** process meanwhile (the caller then appends to that file). */
static int results_append_once(const char *path, const results_run *runs, size_t count,
                               long long *run_ids, bool *raced, error *e)
{
    sqlite3 *db = NULL;
    buffer temporary;
    struct stat st;
    bool fresh;
    bool in_transaction = false;
    const char *target;
    size_t i;
    int status = ERROR_OK;
    int rc;
    buffer_init(&temporary);
    fresh = stat(path, &st) != 0 || (S_ISREG(st.st_mode) && st.st_size == 0);
    if (!fresh && !S_ISREG(st.st_mode)) {
        status = error_set(e, ERROR_INPUT, "%s: not a regular file", path);
        goto done;
    }
    if (fresh) {
        buffer_printf(&temporary, "%s.tmp-%ld", path, (long)getpid());
        unlink(buffer_text(&temporary));
        target = buffer_text(&temporary);
    } else {
        FILE *stream = fopen(path, "rb");
        char header[16] = {0};
        if (stream == NULL) {
            status = error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", path,
                               error_errno_text(errno));
            goto done;
        }
        if (fread(header, 1, sizeof header, stream) != sizeof header ||
            memcmp(header, "SQLite format 3", 16) != 0) {
            fclose(stream);
            status = error_set(e, ERROR_INPUT,
                               "%s: exists and is not an SQLite database; refusing to overwrite it",
                               path);
            goto done;
        }
        fclose(stream);
        target = path;
    }
    rc = sqlite3_open_v2(target, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        status =
            error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot open for writing: %s",
                      path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    status = exec(db, "PRAGMA synchronous = FULL", path, e);
    /* A run is hundreds of thousands of rows: a bigger page cache (16 MB at
    ** most, only what is used) spills fewer pages to the file before the
    ** commit, within the memory budget of a national run. */
    if (status == ERROR_OK)
        status = exec(db, "PRAGMA cache_size = -16384", path, e);
    if (status != ERROR_OK)
        goto done;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        status = write_failure(db, path, "(cannot start a transaction)", e);
        goto done;
    }
    in_transaction = true;
    status = ensure_schema(db, path, e);
    if (status != ERROR_OK)
        goto done;
    for (i = 0; i < count; i++) {
        long long baseline =
            runs[i].baseline_run == -1 && i > 0 ? run_ids[i - 1] : runs[i].baseline_run;
        status = write_run(db, path, &runs[i], baseline, &run_ids[i], e);
        if (status != ERROR_OK)
            goto done;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        status = write_failure(db, path, "(commit failed)", e);
        goto done;
    }
    in_transaction = false;
    if (sqlite3_close(db) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot close: %s", path, sqlite3_errmsg(db));
        db = NULL;
        goto done;
    }
    db = NULL;
    /* link() publishes the new file only if none appeared meanwhile: two
    ** processes creating the same results file must not lose a run. */
    if (fresh && link(buffer_text(&temporary), path) != 0) {
        if (errno == EEXIST) {
            *raced = true;
            status = ERROR_INPUT;
        } else {
            status =
                error_set(e, ERROR_SYSTEM, "%s: cannot move the new results file into place: %s",
                          path, error_errno_text(errno));
        }
        goto done;
    }
    if (fresh)
        unlink(buffer_text(&temporary));
done:
    if (db != NULL) {
        if (in_transaction)
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    if (fresh && (status != ERROR_OK || *raced) && temporary.length > 0) {
        char journal[4096];
        unlink(buffer_text(&temporary));
        snprintf(journal, sizeof journal, "%s-journal", buffer_text(&temporary));
        unlink(journal);
    }
    buffer_free(&temporary);
    return status;
}

int results_append(const char *path, const results_run *runs, size_t count, long long *run_ids,
                   error *e)
{
    bool raced = false;
    int status = results_append_once(path, runs, count, run_ids, &raced, e);
    if (raced) {
        raced = false;
        status = results_append_once(path, runs, count, run_ids, &raced, e);
    }
    return status;
}
