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

#include "admission.h"
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
        return x > y - epsilon;
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
        if (query_remember(&all[members[m]].bound, ind->binds, ind->bind_count, ps) != 0) {
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

/* The parameters the decisions depend on, remembered in data->admission_bound:
** the three PCRE2 limits and the run budget. */
#define ADMISSION_BOUND 4

re_limits eval_admission_limits(const rules *r, const params *ps)
{
    re_limits limits;
    const admission_rules *a = &r->admission;
    memset(&limits, 0, sizeof limits);
    if (a->match_limit_param >= 0)
        limits.match_limit = (uint32_t)params_number(ps, a->match_limit_param);
    if (a->depth_limit_param >= 0)
        limits.depth_limit = (uint32_t)params_number(ps, a->depth_limit_param);
    if (a->heap_limit_param >= 0)
        limits.heap_limit_kib = (uint32_t)params_number(ps, a->heap_limit_param);
    return limits;
}

uint64_t eval_admission_budget(const rules *r, const params *ps)
{
    const admission_rules *a = &r->admission;
    if (a->run_budget_param < 0)
        return RE_BUDGET_MAX; /* rules without one still get the engine's bound */
    return (uint64_t)params_number(ps, a->run_budget_param);
}

/* Copies text (UTF-8) into out[size] (at least 16 bytes) on one line,
** control characters escaped so that an id or a pattern with a line break
** cannot split the message, cut with "..." after `chars` characters or when
** out is full, never inside a character. */
static void one_line(char *out, size_t size, const char *text, size_t chars)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t used = 0, seen = 0, n;
    while (*p != '\0') {
        for (n = 1; n < 4 && (p[n] & 0xC0) == 0x80; n++)
            ;
        if (seen++ == chars || used + n + 8 > size) {
            memcpy(out + used, "...", 3);
            used += 3;
            break;
        }
        if (*p == '\n')
            used += (size_t)snprintf(out + used, size - used, "\\n");
        else if (*p < 0x20 || *p == 0x7f)
            used += (size_t)snprintf(out + used, size - used, "\\x%02x", *p);
        else {
            memcpy(out + used, p, n);
            used += n;
        }
        p += n;
    }
    out[used] = '\0';
}

/* The run's match budget ran out deciding task `task_id` at entry `at`: the
** message names the entry that spent most of it (its file:line, id and
** pattern), what it spent and on how many tasks, where the budget ran out, and
** how to raise the budget. */
int eval_admission_budget_error(const rules *r, const params *ps, const admission_spend *spend,
                                int at, const char *reason, const char *task_id,
                                const char *consequence, error *e)
{
    const admission_rules *a = &r->admission;
    const uint64_t *spent = spend->steps;
    size_t top = (size_t)at, k;
    const char *subject = strrchr(reason, '(') ? strrchr(reason, '(') : ""; /* "(title)" */
    char pattern[400], id[200], where[300] = "", raise[300];
    for (k = 0; k < a->entry_count; k++)
        if (spent[k] > spent[top])
            top = k;
    one_line(pattern, sizeof pattern, a->entry_patterns[top] ? a->entry_patterns[top] : "", 80);
    one_line(id, sizeof id, task_id ? task_id : "?", 60);
    if (top != (size_t)at)
        snprintf(where, sizeof where, ", while matching entry %s (%s)", a->entries[at].id,
                 a->entry_files[at]);
    if (a->run_budget_param < 0)
        snprintf(raise, sizeof raise,
                 "the rules name no run_budget parameter, so the engine's cap of %llu applies: "
                 "fix the pattern",
                 (unsigned long long)RE_BUDGET_MAX);
    else if (params_number(ps, a->run_budget_param) >= ps->items[a->run_budget_param].max)
        snprintf(raise, sizeof raise, "%s is at its maximum: fix the pattern",
                 ps->items[a->run_budget_param].name);
    else
        snprintf(raise, sizeof raise,
                 "fix the pattern, or raise the budget: --set %s=N (at most %.0f)",
                 ps->items[a->run_budget_param].name, ps->items[a->run_budget_param].max);
    return error_set(e, ERROR_INPUT,
                     "%s: admission entry %s (pattern %s) used %llu of the run's %llu match steps "
                     "on %zu task(s); the budget ran out at task '%s' %s%s, so %s; %s",
                     a->entry_files[top], a->entries[top].id, pattern,
                     (unsigned long long)spent[top],
                     (unsigned long long)eval_admission_budget(r, ps), spend->tasks[top], id,
                     subject, where, consequence, raise);
}

/* Decisions replaced by a re-run stay alive until eval_data_free, because
** an earlier eval_result (a what-if baseline) borrows them. */
typedef struct retired_decisions {
    task_decision *decisions;
    size_t count;
    struct retired_decisions *next;
} retired_decisions;

/* The decisions' texts stay in the data's pool and arena until
** eval_data_free. */
static void decisions_array_free(task_decision *decisions, size_t count)
{
    (void)count;
    free(decisions);
}

/* Moves the current decisions aside; false when out of memory. */
static bool decisions_retire(eval_data *data)
{
    retired_decisions *r;
    if (data->decisions == NULL)
        return true;
    r = malloc(sizeof *r);
    if (r == NULL)
        return false;
    r->decisions = data->decisions;
    r->count = data->decision_count;
    r->next = data->retired;
    data->retired = r;
    data->decisions = NULL;
    data->decision_count = 0;
    return true;
}

static void decisions_free(eval_data *data)
{
    decisions_array_free(data->decisions, data->decision_count);
    data->decisions = NULL;
    data->decision_count = 0;
}

/* The pooled copy of a text column (a million tasks share a few hundred
** departments, dates and reasons); NULL for NULL or when out of memory. */
static const char *pooled_column(strpool *pool, sqlite3_stmt *statement, int column)
{
    const unsigned char *text = sqlite3_column_text(statement, column);
    return text != NULL ? strpool_intern(pool, (const char *)text) : NULL;
}

/* Decides every task against the admission list and fills the temporary
** table task_decision that indicator B01 reads. Tasks whose inputs equal an
** earlier task's (admission_memo) reuse its decision: a snapshot of 20,000
** copies of one title costs one match. Matching is metered against the run's
** budget (admission.run_budget); when it runs out the run stops, naming the
** entry that spent it (eval_admission_budget_error), because sending the
** remaining tasks to review would lower B01 for whichever communities come
** last in id order. */
static int decide_tasks(const rules *r, const snapshot *s, const params *ps, eval_data *data,
                        error *e)
{
    const admission_rules *a = &r->admission;
    sqlite3 *db = s->db;
    sqlite3_stmt *select = NULL, *insert = NULL;
    re_matcher *matcher = NULL;
    re_limits limits = eval_admission_limits(r, ps);
    admission_memo *memo = NULL;
    admission_spend spend = {NULL, NULL};
    size_t capacity = 0, same;
    bool in_transaction = false;
    int rc, status = ERROR_OK;
    decisions_free(data);
    data->decide_steps = 0;
    data->decide_distinct = 0;
    if (sqlite3_exec(db, "BEGIN; DELETE FROM temp.task_decision", NULL, NULL, NULL) != SQLITE_OK) {
        status =
            error_set(e, ERROR_SYSTEM, "cannot prepare task decisions: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_transaction = true;
    if (!a->present)
        goto commit;
    matcher = re_matcher_new(&limits);
    memo = admission_memo_new();
    spend.steps = calloc(a->entry_count + 1, sizeof *spend.steps);
    spend.tasks = calloc(a->entry_count + 1, sizeof *spend.tasks);
    if (matcher == NULL || memo == NULL || spend.steps == NULL || spend.tasks == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory creating the pattern matcher");
        goto done;
    }
    re_matcher_meter(matcher, eval_admission_budget(r, ps));
    if (sqlite3_prepare_v2(db,
                           "SELECT id, community_id, department, title, detail, approval_ref, "
                           "funded, staffed, received_on FROM tasks ORDER BY id",
                           -1, &select, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO temp.task_decision (task_id, decision, rule_id) VALUES "
                           "(?1, ?2, ?3)",
                           -1, &insert, NULL) != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(sqlite3_errcode(db), ERROR_INPUT),
                           "%s: cannot read tasks: %s", s->path, sqlite3_errmsg(db));
        goto done;
    }
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        admission_task task;
        admission_decision decision;
        task_decision *d;
        if (data->decision_count == capacity) {
            size_t grown_capacity = capacity ? capacity * 2 : 1024;
            task_decision *grown = realloc(data->decisions, grown_capacity * sizeof *grown);
            if (grown == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory deciding tasks");
                goto done;
            }
            data->decisions = grown;
            capacity = grown_capacity;
        }
        memset(&task, 0, sizeof task);
        task.title = (const char *)sqlite3_column_text(select, 3);
        task.title_length = (size_t)sqlite3_column_bytes(select, 3);
        task.detail = (const char *)sqlite3_column_text(select, 4);
        task.detail_length = (size_t)sqlite3_column_bytes(select, 4);
        task.department = (const char *)sqlite3_column_text(select, 2);
        task.department_length = (size_t)sqlite3_column_bytes(select, 2);
        task.approval_ref = (const char *)sqlite3_column_text(select, 5);
        task.funded =
            sqlite3_column_type(select, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(select, 6);
        task.staffed =
            sqlite3_column_type(select, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(select, 7);
        if (task.title == NULL)
            task.title = "";
        if (task.department == NULL)
            task.department = "";
        d = &data->decisions[data->decision_count];
        memset(d, 0, sizeof *d);
        if (admission_memo_find(memo, &task, &same)) {
            const task_decision *first = &data->decisions[same];
            d->reason = first->reason;
            d->decision = first->decision;
            d->entry = first->entry;
            d->rule_id = first->rule_id;
            d->limit_hit = first->limit_hit;
        } else {
            rc = admission_decide_metered(matcher, a->entries, a->entry_count, &a->messages, &task,
                                          &spend, &decision);
            if (rc == ADMISSION_BUDGET) {
                status = eval_admission_budget_error(
                    r, ps, &spend, decision.entry_index, decision.reason,
                    (const char *)sqlite3_column_text(select, 0),
                    "the tasks cannot all be decided and nothing is written", e);
                goto done;
            }
            if (rc != 0) {
                status = error_set(e, rc == ADMISSION_OUT_OF_MEMORY ? ERROR_SYSTEM : ERROR_INPUT,
                                   "table tasks, row '%s': %s",
                                   (const char *)sqlite3_column_text(select, 0), decision.reason);
                goto done;
            }
            d->reason = strpool_intern(&data->strings, decision.reason);
            d->decision = admission_decision_name(decision.decision);
            d->entry = decision.entry_index;
            d->rule_id = decision.entry_index >= 0 ? a->entries[decision.entry_index].id : NULL;
            d->limit_hit = decision.indeterminate;
            data->decide_distinct++;
            if (admission_memo_add(memo, &task, data->decision_count) != 0) {
                status = error_set(e, ERROR_SYSTEM, "out of memory deciding tasks");
                goto done;
            }
        }
        data->decision_count++;
        d->task_id =
            sqlite3_column_text(select, 0) != NULL
                ? textarena_copy(&data->task_ids, (const char *)sqlite3_column_text(select, 0))
                : NULL;
        d->community_id = pooled_column(&data->strings, select, 1);
        d->department = pooled_column(&data->strings, select, 2);
        d->received_on = pooled_column(&data->strings, select, 8);
        if (d->task_id == NULL || d->community_id == NULL || d->department == NULL ||
            d->reason == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory deciding tasks");
            goto done;
        }
        sqlite3_bind_text(insert, 1, d->task_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 2, d->decision, -1, SQLITE_STATIC);
        if (d->rule_id != NULL)
            sqlite3_bind_text(insert, 3, d->rule_id, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(insert, 3);
        rc = sqlite3_step(insert);
        sqlite3_reset(insert);
        sqlite3_clear_bindings(insert);
        if (rc != SQLITE_DONE) {
            status =
                error_set(e, ERROR_SYSTEM, "cannot store task decisions: %s", sqlite3_errmsg(db));
            goto done;
        }
    }
    if (rc != SQLITE_DONE) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot read tasks: %s",
                           s->path, sqlite3_errmsg(db));
        goto done;
    }
commit:
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot store task decisions: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_transaction = false;
    {
        /* Remember the limits as parameter values, like a query's binds. */
        rules_bind binds[ADMISSION_BOUND];
        size_t count = 0;
        int indexes[ADMISSION_BOUND] = {a->match_limit_param, a->depth_limit_param,
                                        a->heap_limit_param, a->run_budget_param};
        size_t k;
        for (k = 0; k < ADMISSION_BOUND; k++) {
            binds[k].kind = BIND_PARAM;
            binds[k].param = indexes[k];
            if (indexes[k] >= 0)
                count = k + 1;
        }
        for (k = 0; k < count; k++)
            if (binds[k].param < 0)
                binds[k].kind = BIND_AS_OF;
        if (query_remember(&data->admission_bound, binds, count, ps) != 0)
            status = error_set(e, ERROR_SYSTEM, "out of memory");
    }
done:
    if (in_transaction)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(select);
    sqlite3_finalize(insert);
    data->decide_steps = re_matcher_steps(matcher);
    re_matcher_free(matcher);
    admission_memo_free(memo);
    free(spend.steps);
    free(spend.tasks);
    return status;
}

/* Whether the admission limits changed since the decisions were made. */
static bool admission_changed(const eval_data *data, const params *ps)
{
    const admission_rules *a = &data->rules->admission;
    int indexes[ADMISSION_BOUND] = {a->match_limit_param, a->depth_limit_param, a->heap_limit_param,
                                    a->run_budget_param};
    size_t k;
    if (data->admission_bound == NULL)
        return a->present;
    for (k = 0; k < ADMISSION_BOUND; k++)
        if (indexes[k] >= 0 && params_number(ps, indexes[k]) != data->admission_bound[k].number)
            return true;
    return false;
}

/* One query of the load stage. */
typedef struct load_job {
    enum { JOB_DECIDE, JOB_INDICATOR, JOB_BUNDLE, JOB_TARGET, JOB_APPRAISAL } kind;
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
        status = decide_tasks(data->rules, data->snapshot, pool->ps, data, e);
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
    /* The task decisions first, on the main thread: the queries that read
    ** them (B01) come after them in the same (main-only) order. */
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
        const char *sql = r->indicators[i].sql;
        if (!bundled[i] && sql != NULL && strstr(sql, "task_decision") == NULL) {
            pool.jobs[n++] = (load_job){JOB_INDICATOR, i, false};
            bundled[i] = true; /* placed */
        }
    }
    {
        size_t members;
        for (members = r->indicator_count; members > 0; members--)
            for (i = 0; i < r->bundle_count; i++)
                if (r->bundles[i].member_count == members)
                    pool.jobs[n++] = (load_job){JOB_BUNDLE, i, false};
    }
    for (i = 0; i < r->indicator_count; i++)
        if (!bundled[i]) /* the queries that read the task decisions */
            pool.jobs[n++] = (load_job){JOB_INDICATOR, i, true};
    for (i = 0; i < r->target_count; i++)
        pool.jobs[n++] = (load_job){JOB_TARGET, i, false};
    if (r->appraisal.present)
        pool.jobs[n++] = (load_job){JOB_APPRAISAL, 0, false};
    pool.job_count = n;
    data->job_ms = calloc(n + 1, sizeof *data->job_ms);
    data->job_names = calloc(n + 1, sizeof *data->job_names);
    buffer_init(&data->bundle_names);
    for (i = 0; i < r->bundle_count; i++) {
        /* "A01+A02+A03": for --timings -v, NUL-separated in one buffer. */
        size_t m;
        for (m = 0; m < r->bundles[i].member_count; m++)
            buffer_printf(&data->bundle_names, "%s%s", m ? "+" : "",
                          r->indicators[r->bundles[i].members[m]].id);
        buffer_append(&data->bundle_names, "", 1);
    }
    for (i = 0; data->job_names != NULL && i < n; i++)
        data->job_names[i] =
            pool.jobs[i].kind == JOB_DECIDE      ? "admission decisions"
            : pool.jobs[i].kind == JOB_BUNDLE    ? bundle_name(data, pool.jobs[i].index)
            : pool.jobs[i].kind == JOB_APPRAISAL ? "appraisal"
            : pool.jobs[i].kind == JOB_TARGET    ? r->targets[pool.jobs[i].index].id
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
    if (admission_changed(data, ps)) {
        if (!decisions_retire(data))
            return error_set(e, ERROR_SYSTEM, "out of memory");
        status = decide_tasks(r, s, ps, data, e);
        data->rows_returned += (long long)data->decision_count;
        decided = true;
        (*rerun)++;
    }
    for (i = 0; i < r->indicator_count && status == ERROR_OK; i++) {
        const indicator *ind = &r->indicators[i];
        indicator_data *d = &data->indicators[i];
        bool uses_decisions = ind->sql != NULL && strstr(ind->sql, "task_decision") != NULL;
        if (!query_changed(d->bound, ind->binds, ind->bind_count, ps) &&
            !(decided && uses_decisions))
            continue;
        status = load_indicator(s->db, r, i, s, ps, data->indicators, &data->rows_returned, e);
        (*rerun)++;
    }
    for (i = 0; i < r->target_count && status == ERROR_OK; i++) {
        if (!query_changed(data->targets[i].bound, r->targets[i].binds, r->targets[i].bind_count,
                           ps))
            continue;
        status = targets_load(s->db, r, i, s, ps, &data->targets[i], e);
        (*rerun)++;
    }
    if (status == ERROR_OK && r->appraisal.present &&
        query_changed(data->appraisal.bound, r->appraisal.binds, r->appraisal.bind_count, ps)) {
        status = appraisal_load(s->db, r, s, ps, &data->appraisal, e);
        (*rerun)++;
    }
    return status;
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
    decisions_free(data);
    while (data->retired != NULL) {
        retired_decisions *next = data->retired->next;
        decisions_array_free(data->retired->decisions, data->retired->count);
        free(data->retired);
        data->retired = next;
    }
    strpool_free(&data->strings);
    textarena_free(&data->task_ids);
    query_forget(data->admission_bound, ADMISSION_BOUND);
    free(data->job_ms);
    free(data->job_names);
    buffer_free(&data->bundle_names);
    memset(data, 0, sizeof *data);
}

/* Status of one community's indicator from its value and inputs. */
static indicator_status indicator_status_of(const indicator *ind, const double *columns,
                                            const params *ps, double epsilon)
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
            y = params_number(ps, c->param);
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
    size_t i, k, count = 0;
    department_stat *stats = calloc(data->decision_count + 1, sizeof *stats);
    o->decisions = data->decisions;
    o->decision_count = data->decision_count;
    if (stats == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (i = 0; i < data->decision_count; i++) {
        const task_decision *d = &data->decisions[i];
        department_stat key, *found;
        key.department = d->department;
        found = count > 0 ? bsearch(&key, stats, count, sizeof *stats, department_compare) : NULL;
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

int eval_score(const eval_data *data, const params *ps, eval_result *result, error *e)
{
    const rules *r = data->rules;
    const snapshot *s = data->snapshot;
    size_t n = s->community_count, m = r->indicator_count, nc = r->category_count;
    size_t c, i, g, k;
    double *max_points = NULL, *arg0 = NULL, *arg1 = NULL;
    double epsilon = eval_epsilon(ps);
    int status = ERROR_OK;
    memset(result, 0, sizeof *result);
    result->community_count = n;
    result->indicator_count = m;
    result->category_count = nc;
    result->scores = malloc((n * m + 1) * sizeof *result->scores);
    result->category_points = calloc(n * nc + 1, sizeof *result->category_points);
    result->category_max = calloc(nc + 1, sizeof *result->category_max);
    result->totals = calloc(n + 1, sizeof *result->totals);
    result->stars = calloc(n + 1, sizeof *result->stars);
    result->ranks = calloc(n + 1, sizeof *result->ranks);
    result->order = malloc((n + 1) * sizeof *result->order);
    max_points = malloc((m + 1) * sizeof *max_points);
    arg0 = malloc((m + 1) * sizeof *arg0);
    arg1 = malloc((m + 1) * sizeof *arg1);
    if (result->scores == NULL || result->category_points == NULL || result->category_max == NULL ||
        result->totals == NULL || result->stars == NULL || result->ranks == NULL ||
        result->order == NULL || max_points == NULL || arg0 == NULL || arg1 == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory scoring");
        goto done;
    }
    /* Scoring arguments are resolved once per run, not per community. */
    for (i = 0; i < m; i++) {
        const indicator *ind = &r->indicators[i];
        max_points[i] = rules_ref_value(&ind->max, ps, s->year);
        arg0[i] = rules_ref_value(&ind->score_args[0], ps, s->year);
        arg1[i] = rules_ref_value(&ind->score_args[1], ps, s->year);
        result->max_total += max_points[i];
        if (ind->category_index >= 0)
            result->category_max[ind->category_index] += max_points[i];
    }
    for (c = 0; c < n; c++) {
        double total = 0;
        for (i = 0; i < m; i++) {
            const indicator *ind = &r->indicators[i];
            const indicator_data *d = &data->indicators[i];
            const double *columns = &d->columns[c * d->stride];
            indicator_score *score = &result->scores[c * m + i];
            score->max_points = max_points[i];
            score->status = (unsigned char)indicator_status_of(ind, columns, ps, epsilon);
            if (score->status != STATUS_OK) {
                score->value = NAN;
                score->points = 0;
            } else {
                double f = ind->score == SCORE_LIN ? eval_lin(columns[0], arg0[i], arg1[i])
                                                   : eval_ratio(columns[0], arg0[i]);
                score->value = columns[0];
                score->points = f * max_points[i];
            }
            total += score->points;
            if (ind->category_index >= 0)
                result->category_points[c * nc + (size_t)ind->category_index] += score->points;
        }
        result->totals[c] = total;
        result->stars[c] = 0;
        for (g = 0; g < r->star_count; g++) {
            const star_grade *grade = &r->stars[g];
            bool ok = grade->total_param >= 0 &&
                      eval_compare(total, OP_GE, params_number(ps, grade->total_param), epsilon);
            for (k = 0; ok && k < grade->also_count; k++) {
                const star_condition *cond = &grade->also[k];
                double value = cond->indicator >= 0
                                   ? result->scores[c * m + (size_t)cond->indicator].value
                                   : NAN;
                ok = !isnan(value) && cond->param >= 0 &&
                     eval_compare(value, cond->op, params_number(ps, cond->param), epsilon);
            }
            if (ok) {
                result->stars[c] = grade->stars;
                break;
            }
        }
        result->order[c] = c;
    }
    {
        rank_context context = {result->totals, s};
        qsort_r(result->order, n, sizeof *result->order, rank_compare, &context);
    }
    status = targets_score(r, s, data->targets, ps, epsilon, &result->outcome, e);
    if (status == ERROR_OK)
        status = appraisal_score(r, s, &data->appraisal, ps, epsilon, &result->outcome, e);
    if (status == ERROR_OK)
        status = department_stats(data, &result->outcome, e);
    for (k = 0; k < n; k++) {
        size_t here = result->order[k];
        if (k > 0 && fabs(result->totals[here] - result->totals[result->order[k - 1]]) <= epsilon)
            result->ranks[here] = result->ranks[result->order[k - 1]];
        else
            result->ranks[here] = (int)k + 1;
    }
done:
    free(max_points);
    free(arg0);
    free(arg1);
    if (status != ERROR_OK)
        eval_result_free(result);
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
    memset(result, 0, sizeof *result);
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
