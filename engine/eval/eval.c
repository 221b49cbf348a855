/*
** eval.c — loading indicator data and scoring it (eval.h).
*/
#define _GNU_SOURCE /* qsort_r */
#include "eval.h"

#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission_tasks.h"
#include "buffer.h"
#include "query.h"
#include "re.h"
#include "sqlguard.h"

double eval_lin(double x, double from, double to)
{
    double f = (x - from) / (to - from);
    if (!(f > 0))
        return 0.0;
    return f < 1 ? f : 1.0;
}

double eval_ratio(double x, double target)
{
    double f = x / target;
    if (!(f > 0))
        return 0.0;
    return f < 1 ? f : 1.0;
}

double eval_epsilon(const params *ps)
{
    int index = params_find(ps, "compare.epsilon");
    return index >= 0 ? params_number(ps, index) : 0.0;
}

bool eval_compare(double x, rules_op op, double y, double epsilon)
{
    switch (op) {
    case OP_LT:
        return x < y - epsilon;
    case OP_LE:
        return x <= y + epsilon;
    case OP_GT:
        return x > y + epsilon;
    case OP_GE:
        return x >= y - epsilon; /* with epsilon 0, a value on the line reaches it */
    case OP_EQ:
        return fabs(x - y) <= epsilon;
    case OP_NE:
        return fabs(x - y) > epsilon;
    case OP_NULL:
        return isnan(x);
    }
    return false;
}

/* The name of bundle `index` in data->bundle_names ("?" when out of memory). */
static const char *bundle_name(const eval_data *data, size_t index)
{
    const char *name = buffer_text(&data->bundle_names);
    if (buffer_failed(&data->bundle_names))
        return "?";
    while (index-- > 0)
        name += strlen(name) + 1;
    return name;
}

/* Runs one query that returns, per community in id order, the columns of
** each of `members` (indicator indexes) in turn: its value, then its inputs.
** An indicator's own query has one member, a bundle's several. Sets
** *alone when the SQL does not prepare or the SQL guard stopped it: a bundle
** then falls back to its members' own queries, which names the indicator at
** fault (and gives each member the guard's limits of its own). */
static int load_query(sqlite3 *db, const rules *r, const char *sql, const rules_bind *binds,
                      size_t bind_count, const size_t *members, size_t member_count,
                      const snapshot *s, const params *ps, indicator_data *all, long long *rows,
                      bool *alone, error *e)
{
    const indicator *first = &r->indicators[members[0]];
    const char *what = member_count == 1 ? "indicator" : "bundle of indicator";
    char where[128];
    sqlite3_stmt *statement = NULL;
    size_t row = 0, m, k;
    int rc;
    int status = ERROR_OK;
    *alone = false;
    snprintf(where, sizeof where, "%s %s", what, first->id);
    for (m = 0; m < member_count; m++) {
        const indicator *ind = &r->indicators[members[m]];
        indicator_data *d = &all[members[m]];
        d->stride = 1 + ind->input_count;
        if (d->columns == NULL) {
            d->columns = malloc((s->community_count * d->stride + 1) * sizeof *d->columns);
            if (d->columns == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory loading indicator %s", ind->id);
                goto done;
            }
        }
    }
    rc = sqlguard_prepare(db, sql, s->rows_read, &statement);
    if (rc != SQLITE_OK) {
        *alone = true;
        status = sqlguard_error(db, rc, first->file, first->line, where, e);
        if (status == ERROR_OK)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s:%d: %s %s: SQL does not prepare: %s", first->file, first->line,
                               what, first->id, sqlite3_errmsg(db));
        goto done;
    }
    rc = query_bind(statement, binds, bind_count, s, ps);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s %s: cannot bind values: %s", what, first->id,
                           sqlite3_errstr(rc));
        goto done;
    }
    while ((rc = sqlguard_step(statement)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(statement, 0);
        int column = 1;
        if (row >= s->community_count || id == NULL || strcmp(id, s->communities[row].id) != 0) {
            status =
                error_set(e, ERROR_INPUT,
                          "%s:%d: %s %s: the query must return each community once, "
                          "in id order (row %zu is '%s')",
                          first->file, first->line, what, first->id, row + 1, id ? id : "NULL");
            goto done;
        }
        for (m = 0; m < member_count; m++) {
            indicator_data *d = &all[members[m]];
            double *out = &d->columns[row * d->stride];
            for (k = 0; k < d->stride; k++, column++)
                out[k] = sqlite3_column_type(statement, column) == SQLITE_NULL
                             ? NAN
                             : sqlite3_column_double(statement, column);
        }
        row++;
    }
    if (rc != SQLITE_DONE) {
        status = sqlguard_error(db, rc, first->file, first->line, where, e);
        *alone = status != ERROR_OK && member_count > 1;
        if (status == ERROR_OK)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s: %s %s (%s:%d): query failed: %s", s->path, what, first->id,
                               first->file, first->line, sqlite3_errmsg(db));
        goto done;
    }
    if (row != s->community_count) {
        status = error_set(e, ERROR_INPUT,
                           "%s:%d: %s %s: the query returned %zu rows for %zu communities",
                           first->file, first->line, what, first->id, row, s->community_count);
        goto done;
    }
    *rows += (long long)row * (long long)member_count;
    for (m = 0; m < member_count; m++) {
        const indicator *ind = &r->indicators[members[m]];
        if (query_remember(&all[members[m]].bound, ind->binds, ind->bind_count, ps) != ERROR_OK) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            break;
        }
    }
done:
    sqlguard_finalize(statement);
    return status;
}

/* Runs indicator `index`'s own query into all[index]. */
static int load_indicator(sqlite3 *db, const rules *r, size_t index, const snapshot *s,
                          const params *ps, indicator_data *all, long long *rows, error *e)
{
    const indicator *ind = &r->indicators[index];
    bool alone;
    return load_query(db, r, ind->sql, ind->binds, ind->bind_count, &index, 1, s, ps, all, rows,
                      &alone, e);
}

/* Runs bundle `index`'s query into its members' data (rules.h). Should it
** not prepare, or the SQL guard stop it, each member runs its own query
** instead: the results are the same, only slower. */
static int load_bundle(sqlite3 *db, const rules *r, size_t index, const snapshot *s,
                       const params *ps, indicator_data *all, long long *rows, error *e)
{
    const indicator_bundle *b = &r->bundles[index];
    bool alone;
    size_t m;
    int status = load_query(db, r, b->sql, b->binds, b->bind_count, b->members, b->member_count, s,
                            ps, all, rows, &alone, e);
    for (m = 0; alone && m < b->member_count; m++) {
        status = load_indicator(db, r, b->members[m], s, ps, all, rows, e);
        if (status != ERROR_OK)
            break;
    }
    return status;
}

/* --- scans: one read per row ---------------------------------------------- */

/* Where a scan's rows belong: a community's index from its id, or, for a
** scan through workers, from the worker's id. */
typedef struct scan_map {
    const idset *ids;         /* the communities' ids: ordinal = index */
    const snapshot *snapshot; /* non-NULL: the id is a worker's (snapshot_rows_worker_community) */
} scan_map;

/* Sums a scan's per-row values per community (rules.h bundle_scan) while
** the snapshot checks the same rows. Sets *fallback, with nothing computed,
** when the scan cannot compute the bundle (its SQL does not prepare, the SQL
** guard stops it, a run-time error; or, for a scan `via` another table,
** whose rows come in another order than the bundle's query reads them, a
** sum that is not of whole numbers, whose rounding would depend on the
** order): the bundle is then computed by its own query, whose message names
** the indicator. The table's check is left to snapshot_finish() unless the
** scan read every row. */
static int scan_rows(sqlite3 *db, const bundle_scan *scan, const snapshot *s, const params *ps,
                     const scan_map *map, double *sums, bool *fallback, error *e)
{
    snapshot_rows *check = NULL;
    sqlite3_stmt *statement = NULL;
    buffer sql;
    size_t k = scan->kind_count, j;
    char last[64]; /* the previous row's id (when short), and its index */
    int last_bytes = -1, first, rc;
    long last_index = -1;
    int status;
    bool stopped = false, inexact = false;
    error ignored;
    *fallback = false;
    buffer_init(&sql);
    if (snapshot_rows_begin(s, db, scan->table, &check, &ignored) != ERROR_OK) {
        *fallback = true;
        return ERROR_OK;
    }
    first = snapshot_rows_column_count(check);
    buffer_printf(&sql, "SELECT %s, %s FROM \"%s\"", snapshot_rows_columns(check), scan->sql,
                  scan->table);
    if (scan->alias != NULL)
        buffer_printf(&sql, " AS \"%s\"", scan->alias);
    if (buffer_failed(&sql)) {
        snapshot_rows_end(check, db, SQLITE_NOMEM, false, NULL);
        buffer_free(&sql);
        return error_set(e, ERROR_SYSTEM, "out of memory");
    }
    rc = sqlguard_prepare(db, buffer_text(&sql), s->rows_read, &statement);
    if (rc == SQLITE_OK)
        rc = query_bind(statement, scan->binds, scan->bind_count, s, ps);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        const void *id;
        int bytes;
        long c;
        rc = sqlguard_step(statement);
        if (rc != SQLITE_ROW)
            break;
        if (!snapshot_rows_check(check, statement)) {
            stopped = true;
            break;
        }
        id = sqlite3_column_blob(statement, first);
        bytes = sqlite3_column_bytes(statement, first);
        if (id == NULL)
            continue; /* NULL groups with no community, as GROUP BY's NULL group */
        /* Rows usually come community by community: look up only a change. */
        if (bytes == last_bytes && memcmp(id, last, (size_t)bytes) == 0) {
            c = last_index;
        } else {
            c = map->snapshot != NULL
                    ? snapshot_rows_worker_community(map->snapshot, id, (size_t)bytes)
                    : idset_find(map->ids, id, (size_t)bytes);
            last_index = c;
            last_bytes = (size_t)bytes <= sizeof last ? bytes : -1;
            if (last_bytes >= 0)
                memcpy(last, id, (size_t)bytes);
        }
        if (c < 0)
            continue; /* no such community: no row of the join */
        for (j = 0; j < k; j++) {
            int column = first + 1 + (int)j;
            double *sum = &sums[(size_t)c * k + j];
            int type = sqlite3_column_type(statement, column);
            /* As SUM(0/1) for a count, as TOTAL() for a sum: NULL skipped,
            ** every other value added as a double, in row order. */
            if (scan->kinds[j] == SCAN_COUNT)
                *sum += (double)sqlite3_column_int64(statement, column);
            else if (type != SQLITE_NULL)
                *sum += sqlite3_column_double(statement, column);
            inexact = inexact || (type != SQLITE_INTEGER && type != SQLITE_NULL) ||
                      fabs(*sum) > 9007199254740992.0; /* 2^53: whole sums stay exact */
        }
    }
    if (stopped || rc == SQLITE_DONE) {
        status = snapshot_rows_end(check, db, stopped ? SQLITE_ROW : rc, true, e);
        *fallback = scan->via != NULL && inexact;
    } else {
        snapshot_rows_end(check, db, rc, false, NULL);
        *fallback = true;
        status = ERROR_OK;
    }
    sqlguard_finalize(statement);
    buffer_free(&sql);
    return status;
}

/* Puts a scan's sums into temp.kaohe_scan (community_id, a1, a2...), one
** row per community in id order, as its members' query reads them. */
static int scan_table_fill(sqlite3 *db, const bundle_scan *scan, const snapshot *s,
                           const double *sums, error *e)
{
    sqlite3_stmt *insert = NULL;
    buffer sql;
    size_t k = scan->kind_count, c, j;
    int rc;
    buffer_init(&sql);
    buffer_puts(&sql, "CREATE TEMP TABLE kaohe_scan (community_id TEXT PRIMARY KEY");
    for (j = 0; j < k; j++)
        buffer_printf(&sql, ", a%zu", j + 1);
    buffer_puts(&sql, "); INSERT INTO temp.kaohe_scan VALUES (?");
    for (j = 0; j < k; j++)
        buffer_puts(&sql, ", ?");
    buffer_puts(&sql, ")");
    if (buffer_failed(&sql)) {
        buffer_free(&sql);
        return error_set(e, ERROR_SYSTEM, "out of memory");
    }
    {
        const char *insert_sql = strstr(buffer_text(&sql), "INSERT");
        char *create = strndup(buffer_text(&sql), (size_t)(insert_sql - buffer_text(&sql)));
        rc = create == NULL ? SQLITE_NOMEM : sqlite3_exec(db, create, NULL, NULL, NULL);
        free(create);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(db, insert_sql, -1, &insert, NULL);
    }
    for (c = 0; rc == SQLITE_OK && c < s->community_count; c++) {
        sqlite3_bind_text(insert, 1, s->communities[c].id, -1, SQLITE_STATIC);
        for (j = 0; j < k; j++) {
            double x = sums[c * k + j];
            if (scan->kinds[j] == SCAN_COUNT)
                sqlite3_bind_int64(insert, (int)j + 2, (sqlite3_int64)x);
            else
                sqlite3_bind_double(insert, (int)j + 2, x);
        }
        rc = sqlite3_step(insert);
        rc = rc == SQLITE_DONE ? sqlite3_reset(insert) : rc;
    }
    sqlite3_finalize(insert);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    buffer_free(&sql);
    if (rc != SQLITE_OK) {
        int status =
            error_set(e, error_sqlite_status(rc, ERROR_SYSTEM),
                      "cannot keep a table's sums for the indicators: %s", sqlite3_errstr(rc));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_exec(db, "DROP TABLE IF EXISTS temp.kaohe_scan", NULL, NULL, NULL);
        return status;
    }
    return ERROR_OK;
}

/* Computes bundle `index` (with a scan) from one read of its table, which
** also checks the table's rows. Sets *scanned false when it could not
** (see scan_rows): the caller then runs the bundle's own query. */
static int load_scan(sqlite3 *db, const rules *r, size_t index, const snapshot *s, const params *ps,
                     const scan_map *map, indicator_data *all, long long *rows, bool *scanned,
                     error *e)
{
    const indicator_bundle *b = &r->bundles[index];
    const bundle_scan *scan = b->scan;
    double *sums = calloc(s->community_count * scan->kind_count + 1, sizeof *sums);
    bool fallback = false, alone = false;
    size_t m;
    int status;
    *scanned = false;
    if (sums == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    status = scan_rows(db, scan, s, ps, map, sums, &fallback, e);
    if (status != ERROR_OK || fallback || snapshot_rows_problems(s)) {
        /* A snapshot with problems fails at snapshot_finish(): compute nothing. */
        *scanned = status != ERROR_OK || (!fallback && snapshot_rows_problems(s));
        free(sums);
        return status;
    }
    *scanned = true;
    status = scan_table_fill(db, scan, s, sums, e);
    free(sums);
    if (status != ERROR_OK)
        return status;
    status = load_query(db, r, scan->after_sql, scan->after_binds, scan->after_bind_count,
                        b->members, b->member_count, s, ps, all, rows, &alone, e);
    sqlite3_exec(db, "DROP TABLE temp.kaohe_scan", NULL, NULL, NULL);
    for (m = 0; alone && m < b->member_count; m++) {
        status = load_indicator(db, r, b->members[m], s, ps, all, rows, e);
        if (status != ERROR_OK)
            break;
    }
    return status;
}

/* Worker ids of an appraisal replaced by a re-run that returned other
** workers: an earlier eval_result (a what-if baseline) borrows them, so they
** stay until eval_data_free. */
typedef struct retired_ids {
    textarena ids;
    struct retired_ids *next;
} retired_ids;

/* Runs the appraisal query again. The worker id texts that results borrow
** stay valid: when the query returns the same workers (a changed weight or
** bonus), the new rows point at the texts already there and the copies are
** dropped; otherwise the old texts are retired, not freed. */
static int reload_appraisal(eval_data *data, const params *ps, error *e)
{
    appraisal_data *d = &data->appraisal;
    retired_ids *old = malloc(sizeof *old);
    const char **old_ids = d->worker_ids;
    size_t old_count = d->count, i;
    int status;
    if (old == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    old->ids = d->ids; /* handed over, with old_ids */
    textarena_init(&d->ids);
    d->worker_ids = NULL;
    status = appraisal_load(data->snapshot->db, data->rules, data->snapshot, ps, d, e);
    for (i = 0; status == ERROR_OK && i < old_count && d->count == old_count; i++)
        if (strcmp(d->worker_ids[i], old_ids[i]) != 0)
            break;
    if (status == ERROR_OK && d->count == old_count && i == old_count) {
        if (old_count > 0)
            memcpy(d->worker_ids, old_ids, old_count * sizeof *old_ids);
        textarena_free(&d->ids);
        d->ids = old->ids;
        free(old);
    } else {
        old->next = data->retired_ids;
        data->retired_ids = old;
    }
    free(old_ids);
    return status;
}

/* One query of the load stage. */
typedef struct load_job {
    enum { JOB_DECIDE, JOB_INDICATOR, JOB_BUNDLE, JOB_SCAN, JOB_TARGET, JOB_APPRAISAL } kind;
    size_t index;
    bool main_only; /* reads the temporary task_decision table of the main connection */
} load_job;

/* The work queue shared by the load threads. */
typedef struct load_pool {
    eval_data *data;
    const params *ps;
    load_job *jobs;
    size_t job_count;
    size_t next; /* next shared job */
    size_t done; /* jobs finished, for progress */
    const eval_options *options;
    idset communities; /* the communities' ids, for JOB_SCAN */
    pthread_mutex_t lock;
    int status; /* first failure */
    error failure;
} load_pool;

static int run_job(sqlite3 *db, load_pool *pool, const load_job *job, long long *rows, error *e)
{
    eval_data *data = pool->data;
    switch (job->kind) {
    case JOB_DECIDE: {
        /* On the main connection (the decisions go to its temporary
        ** table), while the other threads run queries that do not need them. */
        struct timespec t0, t1;
        int status;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        status = admission_tasks_decide(data->rules, data->snapshot, pool->ps, data, e);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        data->decide_ms =
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        *rows += (long long)data->decision_count;
        if (status == ERROR_OK && pool->options != NULL && pool->options->decided != NULL)
            pool->options->decided(pool->options->decided_user, data);
        return status;
    }
    case JOB_INDICATOR:
        return load_indicator(db, data->rules, job->index, data->snapshot, pool->ps,
                              data->indicators, rows, e);
    case JOB_SCAN: {
        bool scanned;
        scan_map map;
        int status;
        map.ids = &pool->communities;
        map.snapshot = data->rules->bundles[job->index].scan->via ? data->snapshot : NULL;
        status = load_scan(db, data->rules, job->index, data->snapshot, pool->ps, &map,
                           data->indicators, rows, &scanned, e);
        if (status != ERROR_OK || scanned)
            return status;
        return load_bundle(db, data->rules, job->index, data->snapshot, pool->ps, data->indicators,
                           rows, e);
    }
    case JOB_BUNDLE:
        return load_bundle(db, data->rules, job->index, data->snapshot, pool->ps, data->indicators,
                           rows, e);
    case JOB_TARGET:
        return targets_load(db, data->rules, job->index, data->snapshot, pool->ps,
                            &data->targets[job->index], e);
    case JOB_APPRAISAL:
        return appraisal_load(db, data->rules, data->snapshot, pool->ps, &data->appraisal, e);
    }
    return ERROR_OK;
}

/* Takes the next job a thread may run; NULL when none is left or another
** thread failed. The main thread first runs the jobs only it can run. */
static const load_job *take_job(load_pool *pool, bool main_thread, size_t *main_next)
{
    const load_job *job = NULL;
    if (main_thread) {
        while (*main_next < pool->job_count && !pool->jobs[*main_next].main_only)
            (*main_next)++;
        if (*main_next < pool->job_count)
            return &pool->jobs[(*main_next)++];
    }
    pthread_mutex_lock(&pool->lock);
    while (pool->status == ERROR_OK && pool->next < pool->job_count &&
           pool->jobs[pool->next].main_only)
        pool->next++;
    if (pool->status == ERROR_OK && pool->next < pool->job_count)
        job = &pool->jobs[pool->next++];
    pthread_mutex_unlock(&pool->lock);
    return job;
}

/* Runs jobs on `db` until none is left; records the first failure. */
static void work(load_pool *pool, sqlite3 *db, bool main_thread)
{
    size_t main_next = 0;
    const load_job *job;
    long long rows = 0;
    error e;
    error_clear(&e);
    while ((job = take_job(pool, main_thread, &main_next)) != NULL) {
        struct timespec t0, t1;
        int status;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        status = run_job(db, pool, job, &rows, &e);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (pool->data->job_ms != NULL)
            pool->data->job_ms[job - pool->jobs] =
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (status != ERROR_OK) {
            pthread_mutex_lock(&pool->lock);
            if (pool->status == ERROR_OK) {
                pool->status = status;
                pool->failure = e;
            }
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        if (pool->options != NULL && pool->options->progress != NULL) {
            pthread_mutex_lock(&pool->lock);
            pool->done++;
            pool->options->progress(pool->options->user, (long)pool->done, (long)pool->job_count);
            pthread_mutex_unlock(&pool->lock);
        }
    }
    pthread_mutex_lock(&pool->lock);
    pool->data->rows_returned += rows;
    pthread_mutex_unlock(&pool->lock);
}

/* A helper thread: its own read-only connection to the snapshot. */
static void *worker_main(void *argument)
{
    load_pool *pool = argument;
    sqlite3 *db = NULL;
    const snapshot *s = pool->data->snapshot;
    if (snapshot_connect(s->path, &db) != SQLITE_OK ||
        snapshot_register_functions(db) != SQLITE_OK) {
        pthread_mutex_lock(&pool->lock);
        if (pool->status == ERROR_OK)
            pool->status =
                error_set(&pool->failure, ERROR_SYSTEM, "%s: cannot open a second connection: %s",
                          s->path, db ? sqlite3_errmsg(db) : "out of memory");
        pthread_mutex_unlock(&pool->lock);
    } else {
        snapshot_configure_connection(db);
        work(pool, db, false);
    }
    sqlite3_close(db);
    return NULL;
}

int eval_load(const rules *r, const snapshot *s, const params *ps, const eval_options *options,
              eval_data *data, error *e)
{
    load_pool pool;
    pthread_t threads[64];
    struct timespec t0, t1;
    size_t started = 0, i, n = 0;
    int jobs;
    int status = ERROR_OK;
    bool *bundled = NULL; /* indicators computed by a bundle */
    memset(data, 0, sizeof *data);
    memset(&pool, 0, sizeof pool);
    data->rules = r;
    data->snapshot = s;
    jobs =
        options != NULL && options->jobs > 0 ? options->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    if (jobs > 64)
        jobs = 64;
    data->jobs = jobs;
    data->indicators = calloc(r->indicator_count + 1, sizeof *data->indicators);
    data->targets = calloc(r->target_count + 1, sizeof *data->targets);
    pool.jobs =
        calloc(r->indicator_count + r->bundle_count + r->target_count + 3, sizeof *pool.jobs);
    bundled = calloc(r->indicator_count + 1, sizeof *bundled);
    if (data->indicators == NULL || data->targets == NULL || pool.jobs == NULL || bundled == NULL) {
        free(pool.jobs);
        free(bundled);
        return error_set(e, ERROR_SYSTEM, "out of memory");
    }
    /* The task decisions first, on the main thread: the queries that need
    ** them (their rules say so: B01) come after them in the same (main-only)
    ** order. */
    pool.jobs[n++] = (load_job){JOB_DECIDE, 0, true};
    /* Then the longest queries first, so that no thread is left with a
    ** long one at the end. Costs are not known in advance; this order follows
    ** what --timings -v shows on generated snapshots: the indicators in no
    ** bundle (B05 joins visits to workers), the bundles (most members
    ** first), then the targets and the appraisal. */
    for (i = 0; i < r->bundle_count; i++) {
        size_t m;
        for (m = 0; m < r->bundles[i].member_count; m++)
            bundled[r->bundles[i].members[m]] = true;
    }
    for (i = 0; i < r->indicator_count; i++) {
        if (!bundled[i] && r->indicators[i].sql != NULL && !r->indicators[i].needs_decisions) {
            pool.jobs[n++] = (load_job){JOB_INDICATOR, i, false};
            bundled[i] = true; /* placed */
        }
    }
    {
        /* A table left to check (snapshot_open_later) is read once, by the
        ** first bundle that scans it; the other bundles run their queries. */
        size_t members, j;
        bool *scans = calloc(2 * (r->bundle_count + 1), sizeof *scans);
        bool *placed = scans + r->bundle_count + 1;
        if (scans == NULL) {
            free(pool.jobs);
            free(bundled);
            return error_set(e, ERROR_SYSTEM, "out of memory");
        }
        for (i = 0; i < r->bundle_count && status == ERROR_OK; i++)
            if (r->bundles[i].scan != NULL && snapshot_rows_later(s, r->bundles[i].scan->table) &&
                pool.communities.count == 0) {
                size_t c;
                for (c = 0; c < s->community_count && status == ERROR_OK; c++)
                    if (idset_add(&pool.communities, s->communities[c].id,
                                  strlen(s->communities[c].id)) != 0)
                        status = error_set(e, ERROR_SYSTEM, "out of memory");
            }
        for (i = 0; i < r->bundle_count && status == ERROR_OK; i++) {
            const bundle_scan *scan = r->bundles[i].scan;
            scans[i] = scan != NULL && snapshot_rows_later(s, scan->table);
            for (j = 0; scans[i] && j < i; j++)
                scans[i] = !(scans[j] && strcmp(r->bundles[j].scan->table, scan->table) == 0);
            /* Through workers only: the snapshot knows each one's community. */
            if (scans[i] && scan->via != NULL)
                scans[i] = strcmp(scan->via, "workers") == 0 &&
                           snapshot_rows_worker_community(s, "", 0) != -2;
        }
        /* The scans first, biggest table first: they are the longest jobs. */
        for (;;) {
            size_t best = r->bundle_count;
            for (i = 0; i < r->bundle_count; i++)
                if (scans[i] && (best == r->bundle_count ||
                                 snapshot_table_rows(s, r->bundles[i].scan->table) >
                                     snapshot_table_rows(s, r->bundles[best].scan->table)))
                    best = i;
            if (best == r->bundle_count)
                break;
            pool.jobs[n++] = (load_job){JOB_SCAN, best, r->bundles[best].needs_decisions};
            scans[best] = false;
            placed[best] = true;
        }
        for (members = r->indicator_count; members > 0; members--)
            for (i = 0; i < r->bundle_count; i++)
                if (r->bundles[i].member_count == members && !placed[i])
                    pool.jobs[n++] = (load_job){JOB_BUNDLE, i, r->bundles[i].needs_decisions};
        free(scans);
        if (status != ERROR_OK) {
            idset_free(&pool.communities);
            free(pool.jobs);
            free(bundled);
            return status;
        }
    }
    for (i = 0; i < r->indicator_count; i++)
        if (!bundled[i]) /* the queries that read the task decisions */
            pool.jobs[n++] = (load_job){JOB_INDICATOR, i, true};
    for (i = 0; i < r->target_count; i++)
        pool.jobs[n++] = (load_job){JOB_TARGET, i, r->targets[i].needs_decisions};
    if (r->appraisal.present)
        pool.jobs[n++] = (load_job){JOB_APPRAISAL, 0, r->appraisal.needs_decisions};
    pool.job_count = n;
    data->job_ms = calloc(n + 1, sizeof *data->job_ms);
    data->job_names = calloc(n + 1, sizeof *data->job_names);
    buffer_init(&data->bundle_names);
    for (i = 0; i < r->bundle_count; i++) {
        /* "A01+A02+A03": for --timings -v, NUL-separated in one buffer;
        ** "(scan of workers)" when that bundle checks and reads the table. */
        size_t m, j;
        for (m = 0; m < r->bundles[i].member_count; m++)
            buffer_printf(&data->bundle_names, "%s%s", m ? "+" : "",
                          r->indicators[r->bundles[i].members[m]].id);
        for (j = 0; j < n; j++)
            if (pool.jobs[j].kind == JOB_SCAN && pool.jobs[j].index == i)
                buffer_printf(&data->bundle_names, " (scan of %s)", r->bundles[i].scan->table);
        buffer_append(&data->bundle_names, "", 1);
    }
    for (i = 0; data->job_names != NULL && i < n; i++)
        data->job_names[i] = pool.jobs[i].kind == JOB_DECIDE ? "admission decisions"
                             : pool.jobs[i].kind == JOB_BUNDLE || pool.jobs[i].kind == JOB_SCAN
                                 ? bundle_name(data, pool.jobs[i].index)
                             : pool.jobs[i].kind == JOB_APPRAISAL ? "appraisal"
                             : pool.jobs[i].kind == JOB_TARGET
                                 ? r->targets[pool.jobs[i].index].id
                                 : r->indicators[pool.jobs[i].index].id;
    data->job_count = n;
    pool.data = data;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pool.ps = ps;
    pool.options = options;
    pthread_mutex_init(&pool.lock, NULL);
    for (i = 1; i < (size_t)jobs; i++) {
        if (pthread_create(&threads[started], NULL, worker_main, &pool) != 0)
            break; /* fewer threads: the main thread does the rest */
        started++;
    }
    work(&pool, s->db, true);
    for (i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    /* The query threads' sorters and page caches are freed by now, but
    ** glibc keeps the memory in their arenas; give it back before scoring
    ** allocates the results (a national run would otherwise hold both). */
    malloc_trim(0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    data->query_ms =
        (double)(t0.tv_sec - t1.tv_sec) * 1e3 + (double)(t0.tv_nsec - t1.tv_nsec) / 1e6;
    pthread_mutex_destroy(&pool.lock);
    if (pool.status != ERROR_OK) {
        *e = pool.failure;
        status = pool.status;
    }
    idset_free(&pool.communities);
    free(pool.jobs);
    free(bundled);
    return status;
}

int eval_refresh(eval_data *data, const params *ps, const eval_options *options, size_t *rerun,
                 error *e)
{
    const rules *r = data->rules;
    const snapshot *s = data->snapshot;
    size_t i;
    int status = ERROR_OK;
    bool decided = false;
    (void)options;
    *rerun = 0;
    if (admission_tasks_changed(data, ps)) {
        if (!admission_tasks_retire(data))
            return error_set(e, ERROR_SYSTEM, "out of memory");
        status = admission_tasks_decide(r, s, ps, data, e);
        data->rows_returned += (long long)data->decision_count;
        data->decide_generation++;
        decided = true;
        (*rerun)++;
    }
    for (i = 0; i < r->indicator_count && status == ERROR_OK; i++) {
        const indicator *ind = &r->indicators[i];
        indicator_data *d = &data->indicators[i];
        if (!query_changed(d->bound, ind->binds, ind->bind_count, ps) &&
            !(decided && ind->needs_decisions))
            continue;
        status = load_indicator(s->db, r, i, s, ps, data->indicators, &data->rows_returned, e);
        d->generation++;
        (*rerun)++;
    }
    for (i = 0; i < r->target_count && status == ERROR_OK; i++) {
        if (!query_changed(data->targets[i].bound, r->targets[i].binds, r->targets[i].bind_count,
                           ps) &&
            !(decided && r->targets[i].needs_decisions))
            continue;
        status = targets_load(s->db, r, i, s, ps, &data->targets[i], e);
        data->targets[i].generation++;
        (*rerun)++;
    }
    if (status == ERROR_OK && r->appraisal.present &&
        (query_changed(data->appraisal.bound, r->appraisal.binds, r->appraisal.bind_count, ps) ||
         (decided && r->appraisal.needs_decisions))) {
        status = reload_appraisal(data, ps, e);
        data->appraisal.generation++;
        (*rerun)++;
    }
    return status;
}

void eval_data_drop_columns(eval_data *data)
{
    size_t i;
    for (i = 0; data->indicators != NULL && i < data->rules->indicator_count; i++) {
        free(data->indicators[i].columns);
        data->indicators[i].columns = NULL;
    }
    malloc_trim(0); /* before the results are written: a national run holds both otherwise */
}

void eval_data_free(eval_data *data)
{
    size_t i;
    if (data->rules == NULL)
        return;
    if (data->indicators != NULL) {
        for (i = 0; i < data->rules->indicator_count; i++) {
            free(data->indicators[i].columns);
            query_forget(data->indicators[i].bound, data->rules->indicators[i].bind_count);
        }
    }
    free(data->indicators);
    targets_data_free(data->rules, data->targets);
    appraisal_data_free(data->rules, &data->appraisal);
    admission_tasks_free(data);
    while (data->retired_ids != NULL) {
        retired_ids *next = data->retired_ids->next;
        textarena_free(&data->retired_ids->ids);
        free(data->retired_ids);
        data->retired_ids = next;
    }
    free(data->job_ms);
    free(data->job_names);
    buffer_free(&data->bundle_names);
    memset(data, 0, sizeof *data);
}

/* Status of one community's indicator from its value and inputs. `limits`
** holds the value of each check's parameter (eval_memo), resolved once per
** scenario. */
static indicator_status indicator_status_of(const indicator *ind, const double *columns,
                                            const double *limits, double epsilon)
{
    size_t i;
    const double *inputs = columns + 1;
    for (i = 0; i < ind->check_count; i++) {
        const indicator_check *c = &ind->checks[i];
        double x = inputs[c->lhs];
        double y;
        if (c->op == OP_NULL) {
            if (isnan(x))
                return c->status;
            continue;
        }
        switch (c->rhs_kind) {
        case RHS_PARAM:
            y = limits[i];
            break;
        case RHS_INPUT:
            y = inputs[c->input];
            break;
        default:
            y = c->number;
            break;
        }
        if (isnan(x) || isnan(y))
            continue;
        if (eval_compare(x, c->op, y, epsilon))
            return c->status;
    }
    return isnan(columns[0]) || isinf(columns[0]) ? STATUS_MISSING : STATUS_OK;
}

static int department_compare(const void *a, const void *b)
{
    return strcmp(((const department_stat *)a)->department,
                  ((const department_stat *)b)->department);
}

/* Tasks per department and how they were decided (以下评上), sorted by
** department. Also hands the decisions to the outcome (borrowed). */
static int department_stats(const eval_data *data, outcome *o, error *e)
{
    size_t i, k, count = 0, capacity = 16;
    department_stat *stats = calloc(capacity, sizeof *stats);
    o->decisions = data->decisions;
    o->decision_count = data->decision_count;
    if (stats == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (i = 0; i < data->decision_count; i++) {
        const task_decision *d = &data->decisions[i];
        department_stat key, *found;
        key.department = d->department;
        found = count > 0 ? bsearch(&key, stats, count, sizeof *stats, department_compare) : NULL;
        if (found == NULL && count == capacity) {
            /* Departments are few: grow as they come, not one per task. */
            department_stat *grown = realloc(stats, 2 * capacity * sizeof *stats);
            if (grown == NULL) {
                free(stats);
                return error_set(e, ERROR_SYSTEM, "out of memory");
            }
            stats = grown;
            capacity *= 2;
        }
        if (found == NULL) {
            /* insert in order: departments are few, a shifting insert is fine */
            for (k = count; k > 0 && strcmp(stats[k - 1].department, d->department) > 0; k--)
                stats[k] = stats[k - 1];
            memset(&stats[k], 0, sizeof stats[k]);
            stats[k].department = d->department;
            found = &stats[k];
            count++;
        }
        found->tasks++;
        if (strcmp(d->decision, "admit") == 0)
            found->admitted++;
        else if (strcmp(d->decision, "reject") == 0)
            found->rejected++;
        else
            found->review++;
    }
    o->departments = stats;
    o->department_count = count;
    return ERROR_OK;
}

void outcome_free(outcome *o)
{
    free(o->checks);
    free(o->appraisals);
    free(o->departments);
    memset(o, 0, sizeof *o);
}

/* What rank_compare needs (qsort_r keeps scoring reentrant). */
typedef struct rank_context {
    const double *totals;
    const snapshot *snapshot;
} rank_context;

/* Orders communities by total (descending), then id. */
static int rank_compare(const void *a, const void *b, void *user)
{
    const rank_context *context = user;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    double tx = context->totals[x], ty = context->totals[y];
    if (tx > ty)
        return -1;
    if (tx < ty)
        return 1;
    return strcmp(context->snapshot->communities[x].id, context->snapshot->communities[y].id);
}

/* What eval_rescore keeps between scenarios (eval.h). Every parameter value
** scoring uses is resolved into a set of doubles: [0] compare.epsilon; then
** per indicator its max points [1 + i], lin/ratio arguments [1 + m + i] and
** [1 + 2m + i], and its checks' parameters [check_at[i] + k]; per star grade
** its total threshold [grade_at[g]] and its conditions' [grade_at[g] + 1 + k];
** per target its required value [target_at + t]. A scenario resolves the next
** set and compares it bit for bit with the set the result was scored with:
** what did not change, and reads no reloaded data, is not computed again. */
typedef struct eval_memo eval_memo;

/* A community in the rank order being sorted. */
typedef struct rank_key {
    double total;
    size_t community;
} rank_key;

struct eval_memo {
    const eval_data *data;     /* the data the result was scored from */
    size_t value_count;        /* doubles per set of values */
    size_t *check_at;          /* [indicator] where its checks' values begin */
    size_t *grade_at;          /* [grade] where its values begin; [grades] = target_at */
    size_t target_at;          /* where the targets' required values begin */
    double *values;            /* the values the result was scored with */
    double *next;              /* the values being scored */
    unsigned long *generation; /* data seen: [indicator], [m + target], appraisal, decisions */
    int *category_of;          /* [indicator] its category, -1 none */
    size_t *dirty;             /* [indicator] scratch: the indicators to score again */
    bool *rewrite;             /* [indicator] scratch: its data or max points changed */
    double *points;            /* [community * m + indicator] the points again, and */
    unsigned char *status;     /* the statuses: a changed score is told, and a row summed,
                               ** from 4 cache lines, not 17; NULL when the result will not
                               ** be re-scored (eval_score) */
    bool ids_sorted;           /* the communities are in strcmp order of their ids */
    rank_key *keys;            /* [community] scratch: the rank order being sorted */
    rank_key *spare;           /* [community] scratch: the other half of the merges */
    size_t *check_start;       /* [target + 1] each target's checks in outcome.checks */
    bool checks_grouped;       /* the checks come target by target (check_start holds) */
    appraisal_memo *appraisal; /* the workers' rank order, cuts and floors */
};

/* Frees a memo and what it owns; NULL-safe. */
static void memo_free(eval_memo *memo)
{
    if (memo == NULL)
        return;
    free(memo->check_at);
    free(memo->grade_at);
    free(memo->values);
    free(memo->next);
    free(memo->generation);
    free(memo->category_of);
    free(memo->dirty);
    free(memo->rewrite);
    free(memo->points);
    free(memo->status);
    free(memo->keys);
    free(memo->spare);
    free(memo->check_start);
    appraisal_memo_free(memo->appraisal);
    free(memo);
}

/* A memo for results scored from `data`, its value layout set, with the
** points kept when `keep` (the result will be re-scored); NULL when out of
** memory. */
static eval_memo *memo_new(const eval_data *data, bool keep)
{
    const rules *r = data->rules;
    size_t n = data->snapshot->community_count, m = r->indicator_count, at, i, g;
    eval_memo *memo = calloc(1, sizeof *memo);
    if (memo == NULL)
        return NULL;
    memo->data = data;
    memo->check_at = malloc((m + 1) * sizeof *memo->check_at);
    memo->grade_at = malloc((r->star_count + 1) * sizeof *memo->grade_at);
    if (memo->check_at == NULL || memo->grade_at == NULL) {
        memo_free(memo);
        return NULL;
    }
    at = 1 + 3 * m;
    for (i = 0; i < m; i++) {
        memo->check_at[i] = at;
        at += r->indicators[i].check_count;
    }
    for (g = 0; g < r->star_count; g++) {
        memo->grade_at[g] = at;
        at += 1 + r->stars[g].also_count;
    }
    memo->grade_at[r->star_count] = at;
    memo->target_at = at;
    memo->value_count = at + r->target_count;
    memo->values = calloc(memo->value_count, sizeof *memo->values);
    memo->next = calloc(memo->value_count, sizeof *memo->next);
    memo->generation = calloc(m + r->target_count + 2, sizeof *memo->generation);
    memo->category_of = malloc((m + 1) * sizeof *memo->category_of);
    memo->dirty = malloc((m + 1) * sizeof *memo->dirty);
    memo->rewrite = malloc((m + 1) * sizeof *memo->rewrite);
    memo->points = keep ? calloc(n * m + 1, sizeof *memo->points) : NULL;
    memo->status = keep ? calloc(n * m + 1, sizeof *memo->status) : NULL;
    memo->keys = malloc((n + 1) * sizeof *memo->keys);
    memo->spare = malloc((n + 1) * sizeof *memo->spare);
    memo->check_start = malloc((r->target_count + 1) * sizeof *memo->check_start);
    if (memo->values == NULL || memo->next == NULL || memo->generation == NULL ||
        memo->category_of == NULL || memo->dirty == NULL || memo->rewrite == NULL ||
        (keep && (memo->points == NULL || memo->status == NULL)) || memo->keys == NULL ||
        memo->spare == NULL || memo->check_start == NULL) {
        memo_free(memo);
        return NULL;
    }
    for (i = 0; i < m; i++)
        memo->category_of[i] = r->indicators[i].category_index;
    memo->ids_sorted = true;
    for (i = 1; i < n && memo->ids_sorted; i++)
        memo->ids_sorted =
            strcmp(data->snapshot->communities[i - 1].id, data->snapshot->communities[i].id) < 0;
    return memo;
}

/* Resolves every parameter value scoring uses into `v` (layout: eval_memo). */
static void resolve_values(const eval_memo *memo, const rules *r, const params *ps, int year,
                           double *v)
{
    size_t m = r->indicator_count, i, k, g, t;
    v[0] = eval_epsilon(ps);
    for (i = 0; i < m; i++) {
        const indicator *ind = &r->indicators[i];
        v[1 + i] = rules_ref_value(&ind->max, ps, year);
        v[1 + m + i] = rules_ref_value(&ind->score_args[0], ps, year);
        v[1 + 2 * m + i] = rules_ref_value(&ind->score_args[1], ps, year);
        for (k = 0; k < ind->check_count; k++) {
            const indicator_check *c = &ind->checks[k];
            v[memo->check_at[i] + k] =
                c->op != OP_NULL && c->rhs_kind == RHS_PARAM ? params_number(ps, c->param) : 0.0;
        }
    }
    for (g = 0; g < r->star_count; g++) {
        const star_grade *grade = &r->stars[g];
        double *at = &v[memo->grade_at[g]];
        at[0] = grade->total_param >= 0 ? params_number(ps, grade->total_param) : 0.0;
        for (k = 0; k < grade->also_count; k++)
            at[1 + k] = grade->also[k].param >= 0 ? params_number(ps, grade->also[k].param) : 0.0;
    }
    for (t = 0; t < r->target_count; t++)
        v[memo->target_at + t] = rules_ref_value(&r->targets[t].required, ps, year);
}

/* Whether `count` doubles are the same bit for bit (NaN included, and 0
** told from -0: what is the same gives the same result). */
static bool same_values(const double *a, const double *b, size_t count)
{
    return memcmp(a, b, count * sizeof *a) == 0;
}

/* Whether two scores are the same, bit for bit. */
static bool same_score(const indicator_score *a, const indicator_score *b)
{
    return a->status == b->status && same_values(&a->value, &b->value, 1) &&
           same_values(&a->points, &b->points, 1) && same_values(&a->max_points, &b->max_points, 1);
}

/* Scores indicator `i` of community `c` into result->scores with the
** values `v`; returns whether the score changed (always, with `rewrite`). */
static bool score_one(const eval_data *data, const eval_memo *memo, const double *v, size_t i,
                      size_t c, bool rewrite, eval_result *result)
{
    const indicator *ind = &data->rules->indicators[i];
    const indicator_data *d = &data->indicators[i];
    const double *columns = &d->columns[c * d->stride];
    size_t m = result->indicator_count;
    indicator_score now, *score = &result->scores[c * m + i];
    now.max_points = v[1 + i];
    now.status = (unsigned char)indicator_status_of(ind, columns, &v[memo->check_at[i]], v[0]);
    if (now.status != STATUS_OK) {
        now.value = NAN;
        now.points = 0;
    } else {
        double f = ind->score == SCORE_LIN ? eval_lin(columns[0], v[1 + m + i], v[1 + 2 * m + i])
                                           : eval_ratio(columns[0], v[1 + m + i]);
        now.value = columns[0];
        now.points = f * now.max_points;
    }
    if (!rewrite && memo->points != NULL) {
        /* The same data and max points: the value follows from the status. */
        if (memo->status[c * m + i] == now.status &&
            same_values(&memo->points[c * m + i], &now.points, 1))
            return false;
    } else if (!rewrite && same_score(score, &now)) {
        return false;
    }
    *score = now;
    if (memo->points != NULL) {
        memo->points[c * m + i] = now.points;
        memo->status[c * m + i] = now.status;
    }
    return true;
}

/* Sums community `c`'s points into its total and category points, in
** indicator order. Returns whether the total changed. */
static bool sum_community(const eval_memo *memo, size_t c, eval_result *result)
{
    size_t m = result->indicator_count, nc = result->category_count, i;
    const indicator_score *scores = &result->scores[c * m];
    const double *points = memo->points != NULL ? &memo->points[c * m] : NULL;
    double *categories = &result->category_points[c * nc];
    double total = 0;
    bool changed;
    memset(categories, 0, nc * sizeof *categories);
    for (i = 0; i < m; i++) {
        double p = points != NULL ? points[i] : scores[i].points;
        total += p;
        if (memo->category_of[i] >= 0)
            categories[memo->category_of[i]] += p;
    }
    changed = !same_values(&total, &result->totals[c], 1);
    result->totals[c] = total;
    return changed;
}

/* The stars of community `c` with the values `v`: the best grade whose
** total threshold and conditions it meets, else 0. */
static int grade_community(const rules *r, const eval_memo *memo, const double *v, size_t c,
                           const eval_result *result)
{
    size_t m = result->indicator_count, g, k;
    double total = result->totals[c], epsilon = v[0];
    for (g = 0; g < r->star_count; g++) {
        const star_grade *grade = &r->stars[g];
        const double *at = &v[memo->grade_at[g]];
        bool ok = grade->total_param >= 0 && eval_compare(total, OP_GE, at[0], epsilon);
        for (k = 0; ok && k < grade->also_count; k++) {
            const star_condition *cond = &grade->also[k];
            double value =
                cond->indicator >= 0 ? result->scores[c * m + (size_t)cond->indicator].value : NAN;
            ok = !isnan(value) && cond->param >= 0 &&
                 eval_compare(value, cond->op, at[1 + k], epsilon);
        }
        if (ok)
            return grade->stars;
    }
    return 0;
}

/* Whether `a` ranks before `b`: a higher total, or the same and a lower
** index (with the communities in id order, the lower id: rank_compare). */
static bool key_before(const rank_key *a, const rank_key *b)
{
    return a->total > b->total || (a->total == b->total && a->community < b->community);
}

/* The end of the run of keys in rank order that begins at `start`. */
static size_t run_end(const rank_key *keys, size_t start, size_t n)
{
    size_t k = start + 1;
    while (k < n && key_before(&keys[k - 1], &keys[k]))
        k++;
    return k;
}

/* Sorts keys[0..n) by key_before (`spare` holds n more) and returns the
** array that holds them. An order that barely changed (a step of a sweep) is
** sorted by insertion, while that takes at most a few moves per key; past
** that, by merging the runs already in order two by two (log2 of the runs
** passes). */
static rank_key *sort_keys(rank_key *keys, rank_key *spare, size_t n)
{
    size_t moves = 0, k, j;
    for (k = 1; k < n && moves <= 4 * n; k++) {
        rank_key key = keys[k];
        for (j = k; j > 0 && key_before(&key, &keys[j - 1]); j--) {
            keys[j] = keys[j - 1];
            moves++;
        }
        keys[j] = key;
    }
    if (moves <= 4 * n)
        return keys;
    for (;;) {
        size_t start = 0, runs = 0;
        rank_key *swap;
        while (start < n) {
            size_t middle = run_end(keys, start, n);
            size_t end = middle < n ? run_end(keys, middle, n) : n;
            size_t a = start, b = middle, out = start;
            while (a < middle && b < end)
                spare[out++] = key_before(&keys[b], &keys[a]) ? keys[b++] : keys[a++];
            while (a < middle)
                spare[out++] = keys[a++];
            while (b < end)
                spare[out++] = keys[b++];
            runs++;
            start = end;
        }
        swap = keys; /* the merged runs are in spare */
        keys = spare;
        spare = swap;
        if (runs <= 1)
            return keys;
    }
}

/* Puts result->order in rank order (total descending, then id), sorting
** from the previous order unless `all`: what a full sort gives, as the order
** is strict. A NaN total, or ids not in order, take qsort_r from the
** identity, as eval_score always did. */
static void rank_order(const snapshot *s, eval_memo *memo, bool all, eval_result *result)
{
    size_t n = result->community_count, k;
    bool any_nan = false;
    rank_key *sorted;
    for (k = 0; k < n && !any_nan; k++)
        any_nan = isnan(result->totals[k]);
    if (any_nan || !memo->ids_sorted) {
        rank_context context = {result->totals, s};
        for (k = 0; k < n; k++)
            result->order[k] = k;
        qsort_r(result->order, n, sizeof *result->order, rank_compare, &context);
        return;
    }
    for (k = 0; k < n; k++) {
        size_t c = all ? k : result->order[k];
        memo->keys[k].total = result->totals[c];
        memo->keys[k].community = c;
    }
    sorted = sort_keys(memo->keys, memo->spare, n);
    for (k = 0; k < n; k++)
        result->order[k] = sorted[k].community;
}

/* Ranks from the order: within epsilon of the one before, the same rank.
** Communities that share a rank are then listed by id (eval.h: the order
** is by rank, then id), not by totals that differ only by less than
** epsilon; such runs are short, so an insertion sort does. */
static void rank_communities(const snapshot *s, eval_result *result, double epsilon)
{
    size_t k, start;
    for (k = 0; k < result->community_count; k++) {
        size_t here = result->order[k];
        if (k > 0 && fabs(result->totals[here] - result->totals[result->order[k - 1]]) <= epsilon)
            result->ranks[here] = result->ranks[result->order[k - 1]];
        else
            result->ranks[here] = (int)k + 1;
    }
    for (start = 0; start < result->community_count; start = k) {
        size_t i;
        for (k = start + 1; k < result->community_count &&
                            result->ranks[result->order[k]] == result->ranks[result->order[start]];
             k++)
            ;
        for (i = start + 1; i < k; i++) {
            size_t moving = result->order[i], j = i;
            while (j > start &&
                   strcmp(s->communities[result->order[j - 1]].id, s->communities[moving].id) > 0) {
                result->order[j] = result->order[j - 1];
                j--;
            }
            result->order[j] = moving;
        }
    }
}

/* The first place in the rank order whose total is below `bound` (at or
** below, with `or_equal`): the order is by total, descending. */
static size_t first_below(const eval_result *result, double bound, bool or_equal)
{
    size_t low = 0, high = result->community_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        double total = result->totals[result->order[middle]];
        if (or_equal ? total <= bound : total < bound)
            high = middle;
        else
            low = middle + 1;
    }
    return low;
}

/* Grades again the communities that a star grade whose values changed can
** move: for a changed total threshold, those whose total lies between the
** old and the new one; for a changed condition, every one whose total
** reaches the threshold. The order is current, so each band is a run of it;
** everything is graded again when a total or a threshold is NaN. The bands
** are widened by the tolerance and a margin: grading one more community
** again changes nothing. */
static void regrade(const rules *r, const eval_memo *memo, eval_result *result)
{
    const double *v = memo->next, *was = memo->values;
    double margin = 2 * v[0] + 1e-7;
    size_t n = result->community_count, g, k;
    bool any_nan = false;
    for (g = 0; g < r->star_count; g++) {
        const size_t at = memo->grade_at[g];
        bool threshold = !same_values(&v[at], &was[at], 1);
        bool conditions = !same_values(&v[at + 1], &was[at + 1], r->stars[g].also_count);
        double low, high;
        size_t from, to;
        if (!threshold && !conditions)
            continue;
        for (k = 0; k < n && !any_nan; k++)
            any_nan = isnan(result->totals[k]);
        if (any_nan || isnan(v[at]) || isnan(was[at])) {
            for (k = 0; k < n; k++)
                result->stars[k] = grade_community(r, memo, v, k, result);
            return;
        }
        low = fmin(v[at], was[at]) - margin;
        high = conditions ? INFINITY : fmax(v[at], was[at]) + margin;
        from = first_below(result, high, true);
        to = first_below(result, low, false);
        for (k = from; k < to; k++)
            result->stars[result->order[k]] = grade_community(r, memo, v, result->order[k], result);
    }
}

/* Statuses, points, totals, stars and ranks of every community for the
** values memo->next, computing again only what `all` or a changed value
** or generation asks for. */
static void score_communities(const eval_data *data, eval_memo *memo, bool all, eval_result *result)
{
    const rules *r = data->rules;
    const double *v = memo->next, *was = memo->values;
    size_t n = result->community_count, m = result->indicator_count, i, k, c, dirty = 0, moved = 0;
    if (all || !same_values(&v[1], &was[1], m)) {
        memset(result->category_max, 0, result->category_count * sizeof *result->category_max);
        result->max_total = 0;
        for (i = 0; i < m; i++) {
            result->max_total += v[1 + i];
            if (r->indicators[i].category_index >= 0)
                result->category_max[r->indicators[i].category_index] += v[1 + i];
        }
    }
    for (i = 0; i < m; i++) {
        const size_t at = memo->check_at[i], checks = r->indicators[i].check_count;
        bool rewrite = all || data->indicators[i].generation != memo->generation[i] ||
                       !same_values(&v[1 + i], &was[1 + i], 1);
        memo->rewrite[i] = rewrite;
        if (rewrite || !same_values(&v[1 + m + i], &was[1 + m + i], 1) ||
            !same_values(&v[1 + 2 * m + i], &was[1 + 2 * m + i], 1) ||
            !same_values(&v[at], &was[at], checks))
            memo->dirty[dirty++] = i;
        memo->generation[i] = data->indicators[i].generation;
    }
    /* Community by community, so that its row is summed while in cache. */
    for (c = 0; c < n && dirty > 0; c++) {
        bool changed = false;
        for (k = 0; k < dirty; k++) {
            size_t which = memo->dirty[k];
            changed = score_one(data, memo, v, which, c, memo->rewrite[which], result) || changed;
        }
        if (!changed && !all)
            continue;
        moved += sum_community(memo, c, result);
        result->stars[c] = grade_community(r, memo, v, c, result);
    }
    if (all || moved > 0) {
        rank_order(data->snapshot, memo, all, result);
        rank_communities(data->snapshot, result, v[0]);
    }
    if (!all)
        regrade(r, memo, result);
}

/* The target checks for memo->next: each target's checks judged again when
** only its required value changed, all of them built again when `all` or
** a target's data was reloaded. */
static int score_targets(const eval_data *data, const params *ps, eval_memo *memo, bool all,
                         outcome *o, error *e)
{
    const rules *r = data->rules;
    size_t m = r->indicator_count, t, k;
    bool rebuild = all || !memo->checks_grouped;
    int status = ERROR_OK;
    for (t = 0; t < r->target_count; t++) {
        rebuild = rebuild || data->targets[t].generation != memo->generation[m + t];
        memo->generation[m + t] = data->targets[t].generation;
    }
    if (!rebuild) {
        for (t = 0; t < r->target_count; t++)
            if (!same_values(&memo->next[memo->target_at + t], &memo->values[memo->target_at + t],
                             1))
                targets_rejudge(&o->checks[memo->check_start[t]],
                                memo->check_start[t + 1] - memo->check_start[t],
                                memo->next[memo->target_at + t], memo->next[0]);
        return ERROR_OK;
    }
    free(o->checks);
    o->checks = NULL;
    o->check_count = 0;
    status = targets_score(r, data->snapshot, data->targets, ps, memo->next[0], o, e);
    for (t = 0, k = 0; status == ERROR_OK && t < r->target_count; t++) {
        memo->check_start[t] = k;
        while (k < o->check_count && o->checks[k].target_id == r->targets[t].id)
            k++;
    }
    memo->check_start[r->target_count] = k;
    memo->checks_grouped = status == ERROR_OK && k == o->check_count;
    return status;
}

/* The arrays of a result for `data`, and its memo (`keep`: memo_new). */
static int result_new(const eval_data *data, bool keep, eval_result *result, error *e)
{
    const rules *r = data->rules;
    size_t n = data->snapshot->community_count, m = r->indicator_count, nc = r->category_count;
    memset(result, 0, sizeof *result);
    result->community_count = n;
    result->indicator_count = m;
    result->category_count = nc;
    result->scores = calloc(n * m + 1, sizeof *result->scores); /* compared before written */
    result->category_points = calloc(n * nc + 1, sizeof *result->category_points);
    result->category_max = calloc(nc + 1, sizeof *result->category_max);
    result->totals = calloc(n + 1, sizeof *result->totals);
    result->stars = calloc(n + 1, sizeof *result->stars);
    result->ranks = calloc(n + 1, sizeof *result->ranks);
    result->order = malloc((n + 1) * sizeof *result->order);
    result->memo = memo_new(data, keep);
    if (result->scores == NULL || result->category_points == NULL || result->category_max == NULL ||
        result->totals == NULL || result->stars == NULL || result->ranks == NULL ||
        result->order == NULL || result->memo == NULL) {
        eval_result_free(result);
        return error_set(e, ERROR_SYSTEM, "out of memory scoring");
    }
    return ERROR_OK;
}

/* eval_rescore; `keep`: the result will be re-scored (memo_new). */
static int rescore(const eval_data *data, const params *ps, bool keep, eval_result *result,
                   error *e)
{
    const rules *r = data->rules;
    size_t m = r->indicator_count;
    eval_memo *memo = result->memo;
    outcome *o = &result->outcome;
    bool all = memo == NULL || memo->data != data;
    double *swap;
    int status = ERROR_OK;
    if (all) {
        eval_result_free(result);
        status = result_new(data, keep, result, e);
        if (status != ERROR_OK)
            return status;
        memo = result->memo;
    }
    resolve_values(memo, r, ps, data->snapshot->year, memo->next);
    /* the tolerance takes part in every comparison and tie */
    all = all || !same_values(&memo->next[0], &memo->values[0], 1);
    score_communities(data, memo, all, result);
    status = score_targets(data, ps, memo, all, o, e);
    if (status == ERROR_OK) {
        if (all || data->appraisal.generation != memo->generation[m + r->target_count]) {
            free(o->appraisals);
            appraisal_memo_free(memo->appraisal);
            memo->appraisal = NULL;
            status = appraisal_score(r, data->snapshot, &data->appraisal, ps, memo->next[0],
                                     &memo->appraisal, o, e);
        } else {
            appraisal_rescore(r, &data->appraisal, ps, memo->next[0], memo->appraisal, o);
        }
        memo->generation[m + r->target_count] = data->appraisal.generation;
    }
    if (status == ERROR_OK &&
        (all || data->decide_generation != memo->generation[m + r->target_count + 1])) {
        free(o->departments);
        o->departments = NULL;
        o->department_count = 0;
        status = department_stats(data, o, e);
        memo->generation[m + r->target_count + 1] = data->decide_generation;
    }
    if (status != ERROR_OK) {
        eval_result_free(result);
        return status;
    }
    swap = memo->values; /* the next values are now the result's */
    memo->values = memo->next;
    memo->next = swap;
    return ERROR_OK;
}

int eval_rescore(const eval_data *data, const params *ps, eval_result *result, error *e)
{
    return rescore(data, ps, true, result, e);
}

int eval_score(const eval_data *data, const params *ps, eval_result *result, error *e)
{
    int status;
    memset(result, 0, sizeof *result);
    status = rescore(data, ps, false, result, e);
    memo_free(result->memo); /* nothing will re-score it */
    result->memo = NULL;
    return status;
}

void eval_result_free(eval_result *result)
{
    outcome_free(&result->outcome);
    free(result->scores);
    free(result->category_points);
    free(result->category_max);
    free(result->totals);
    free(result->stars);
    free(result->ranks);
    free(result->order);
    memo_free(result->memo);
    memset(result, 0, sizeof *result);
}

/* A malloc'd copy of `size` bytes at `p`; NULL for a NULL `p` or when out
** of memory. */
static void *copy_of(const void *p, size_t size)
{
    void *q = p != NULL ? malloc(size + 1) : NULL;
    if (q != NULL)
        memcpy(q, p, size);
    return q;
}

int eval_result_copy(eval_result *to, const eval_result *from, error *e)
{
    size_t n = from->community_count, m = from->indicator_count, nc = from->category_count;
    const outcome *o = &from->outcome;
    memset(to, 0, sizeof *to);
    to->community_count = n;
    to->indicator_count = m;
    to->category_count = nc;
    to->max_total = from->max_total;
    to->scores = copy_of(from->scores, n * m * sizeof *to->scores);
    to->category_points = copy_of(from->category_points, n * nc * sizeof *to->category_points);
    to->category_max = copy_of(from->category_max, nc * sizeof *to->category_max);
    to->totals = copy_of(from->totals, n * sizeof *to->totals);
    to->stars = copy_of(from->stars, n * sizeof *to->stars);
    to->ranks = copy_of(from->ranks, n * sizeof *to->ranks);
    to->order = copy_of(from->order, n * sizeof *to->order);
    to->outcome.checks = copy_of(o->checks, o->check_count * sizeof *o->checks);
    to->outcome.check_count = o->check_count;
    to->outcome.appraisals = copy_of(o->appraisals, o->appraisal_count * sizeof *o->appraisals);
    to->outcome.appraisal_count = o->appraisal_count;
    memcpy(to->outcome.flagged, o->flagged, sizeof o->flagged);
    to->outcome.decisions = o->decisions;
    to->outcome.decision_count = o->decision_count;
    to->outcome.departments = copy_of(o->departments, o->department_count * sizeof *o->departments);
    to->outcome.department_count = o->department_count;
    if ((to->scores == NULL) != (from->scores == NULL) ||
        (to->category_points == NULL) != (from->category_points == NULL) ||
        (to->category_max == NULL) != (from->category_max == NULL) ||
        (to->totals == NULL) != (from->totals == NULL) ||
        (to->stars == NULL) != (from->stars == NULL) ||
        (to->ranks == NULL) != (from->ranks == NULL) ||
        (to->order == NULL) != (from->order == NULL) ||
        (to->outcome.checks == NULL) != (o->checks == NULL) ||
        (to->outcome.appraisals == NULL) != (o->appraisals == NULL) ||
        (to->outcome.departments == NULL) != (o->departments == NULL)) {
        eval_result_free(to);
        return error_set(e, ERROR_SYSTEM, "out of memory copying a result");
    }
    return ERROR_OK;
}

/* Prepares one rule query (under the SQL guard, which refuses what rule SQL
** may not do); a failure becomes a problem naming its place. */
static void check_one_query(rules *r, sqlite3 *db, const char *sql, const char *file, int line,
                            const char *what, int columns)
{
    sqlite3_stmt *statement = NULL;
    error e;
    int rc;
    if (sql == NULL)
        return;
    error_clear(&e);
    rc = sqlguard_prepare(db, sql, 0, &statement);
    if (rc != SQLITE_OK && sqlguard_error(db, rc, file, line, what, &e) != ERROR_OK)
        rules_add_problem(r, "%s", e.message);
    else if (rc != SQLITE_OK)
        rules_add_problem(r, "%s:%d: %s: its SQL does not prepare against the snapshot schema: %s",
                          file ? file : "?", line, what, sqlite3_errmsg(db));
    else if (columns > 0 && sqlite3_column_count(statement) != columns)
        rules_add_problem(r, "%s:%d: %s: its query returns %d columns, expected %d",
                          file ? file : "?", line, what, sqlite3_column_count(statement), columns);
    sqlguard_finalize(statement);
}

void eval_check_sql(rules *r, void *db_pointer)
{
    sqlite3 *db = db_pointer;
    char what[256];
    size_t i;
    for (i = 0; i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        snprintf(what, sizeof what, "indicator %s", ind->id);
        check_one_query(r, db, ind->sql, ind->file, ind->line, what, 2 + (int)ind->input_count);
    }
    for (i = 0; i < r->target_count; i++) {
        const target_rule *t = &r->targets[i];
        snprintf(what, sizeof what, "target %s", t->id);
        check_one_query(r, db, t->sql, t->file, t->line, what, 3);
    }
    if (r->appraisal.present)
        check_one_query(r, db, r->appraisal.sql, r->appraisal.file, r->appraisal.line, "appraisal",
                        3 + (int)r->appraisal.component_count);
}

void eval_lint_scoring(rules *r, const eval_data *data, const eval_result *result, const params *ps)
{
    const snapshot *s = data->snapshot;
    size_t i, c;
    for (i = 0; i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        double low = INFINITY, high = -INFINITY, best = 0, worst = INFINITY;
        size_t ok = 0;
        for (c = 0; c < s->community_count; c++) {
            const indicator_score *score = &result->scores[c * result->indicator_count + i];
            if (score->status != STATUS_OK)
                continue;
            ok++;
            low = fmin(low, score->value);
            high = fmax(high, score->value);
            best = fmax(best, score->points / score->max_points);
            worst = fmin(worst, score->points / score->max_points);
        }
        if (ok < 2)
            continue;
        if (best < 1 - 1e-9)
            rules_add_warning(r,
                              "%s:%d: indicator %s never reaches full points on %s (values %g..%g, "
                              "full at %g): check its thresholds",
                              ind->file, ind->line, ind->id, s->path, low, high,
                              ind->score == SCORE_LIN
                                  ? rules_ref_value(&ind->score_args[1], ps, s->year)
                                  : rules_ref_value(&ind->score_args[0], ps, s->year));
        if (ind->score == SCORE_LIN && worst > 1e-9)
            rules_add_warning(r,
                              "%s:%d: indicator %s never gives zero on %s (values %g..%g, zero at "
                              "%g): every community scores",
                              ind->file, ind->line, ind->id, s->path, low, high,
                              rules_ref_value(&ind->score_args[0], ps, s->year));
    }
}
