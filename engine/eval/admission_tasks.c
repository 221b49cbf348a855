/*
** admission_tasks.c — a run's admission step (admission_tasks.h): every task
** of the snapshot decided against the admission list (rules/admission.c
** decides one task), the decisions kept for the results and put in the main
** connection's temporary table task_decision for the queries that need them.
*/
#include "admission_tasks.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "query.h"

/* The parameters the decisions depend on, remembered in data->admission_bound:
** the three PCRE2 limits and the run budget. */
#define ADMISSION_BOUND 4

re_limits admission_tasks_limits(const rules *r, const params *ps)
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

uint64_t admission_tasks_budget(const rules *r, const params *ps)
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
int admission_tasks_budget_error(const rules *r, const params *ps, const admission_spend *spend,
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
                     (unsigned long long)admission_tasks_budget(r, ps), spend->tasks[top], id,
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
bool admission_tasks_retire(eval_data *data)
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
** entry that spent it (admission_tasks_budget_error), because sending the
** remaining tasks to review would lower B01 for whichever communities come
** last in id order. */
int admission_tasks_decide(const rules *r, const snapshot *s, const params *ps, eval_data *data,
                           error *e)
{
    const admission_rules *a = &r->admission;
    sqlite3 *db = s->db;
    sqlite3_stmt *select = NULL, *insert = NULL;
    re_matcher *matcher = NULL;
    re_limits limits = admission_tasks_limits(r, ps);
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
    re_matcher_meter(matcher, admission_tasks_budget(r, ps));
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
                status = admission_tasks_budget_error(
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
        if (query_remember(&data->admission_bound, binds, count, ps) != ERROR_OK)
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
bool admission_tasks_changed(const eval_data *data, const params *ps)
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

void admission_tasks_free(eval_data *data)
{
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
    data->admission_bound = NULL;
}
