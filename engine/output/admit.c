/*
** admit.c — trying and auditing the admission list (admit.h).
*/
#include "admit.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "admission_tasks.h"
#include "eval.h"
#include "jsontext.h"
#include "re.h"
#include "text.h"

/* How many example titles each list of the report shows. */
#define EXAMPLES_SHOWN 15

static admission_task task_of(const admit_task *t)
{
    admission_task task;
    memset(&task, 0, sizeof task);
    task.title = t->title;
    task.title_length = strlen(t->title);
    task.detail = t->detail;
    task.detail_length = t->detail ? strlen(t->detail) : 0;
    task.department = t->department ? t->department : "";
    task.department_length = strlen(task.department);
    task.approval_ref = t->approval_ref;
    task.funded = t->funded;
    task.staffed = t->staffed;
    return task;
}

/* Does entry `k` match the task on its own (title, or detail for a deny
** entry, and the department pattern)? With `spend`, what the matches cost is
** added to entry k's counts, and *subject (when not NULL) says which match
** ran last, "(title)", "(detail)" or "(department)", for a budget message. */
static re_result entry_matches(re_matcher *m, const admission_entry *entry,
                               const admission_task *task, admission_spend *spend, size_t k,
                               const char **subject)
{
    const char *last = "(title)";
    uint64_t steps;
    re_result hit = re_match(m, entry->pattern, task->title, task->title_length);
    steps = re_matcher_last_steps(m);
    if (hit == RE_NO_MATCH && entry->list == ADMISSION_DENY && task->detail != NULL) {
        last = "(detail)";
        hit = re_match(m, entry->pattern, task->detail, task->detail_length);
        steps += re_matcher_last_steps(m);
    }
    if (hit == RE_MATCH && entry->department != NULL) {
        last = "(department)";
        hit = re_match(m, entry->department, task->department, task->department_length);
        steps += re_matcher_last_steps(m);
    }
    if (spend != NULL && steps > 0) {
        spend->steps[k] += steps;
        spend->tasks[k]++;
    }
    if (subject != NULL)
        *subject = last;
    return hit;
}

/* Meters m against the run's budget and makes zeroed per-entry counts in
** *spend (freed with spend_free). Returns false when out of memory. */
static bool spend_start(const rules *r, const params *ps, re_matcher *m, admission_spend *spend)
{
    spend->steps = calloc(r->admission.entry_count + 1, sizeof *spend->steps);
    spend->tasks = calloc(r->admission.entry_count + 1, sizeof *spend->tasks);
    re_matcher_meter(m, admission_tasks_budget(r, ps));
    return spend->steps != NULL && spend->tasks != NULL;
}

static void spend_free(admission_spend *spend)
{
    free(spend->steps);
    free(spend->tasks);
}

int admit_try(const rules *r, const params *ps, const admit_task *t, bool json, buffer *out,
              error *e)
{
    const admission_rules *a = &r->admission;
    re_limits limits = admission_tasks_limits(r, ps);
    re_matcher *m = NULL;
    admission_spend spend = {NULL, NULL};
    admission_task task = task_of(t);
    admission_decision decision;
    bool *hits = NULL;
    size_t bad, k;
    int rc, status = ERROR_OK;
    if (!a->present)
        return error_set(e, ERROR_INPUT, "the rules have no admission list");
    if (!text_utf8_valid(t->title, strlen(t->title), &bad))
        return error_set(e, ERROR_INPUT, "--title is not valid UTF-8 (byte %zu)", bad);
    if (t->detail != NULL && !text_utf8_valid(t->detail, strlen(t->detail), &bad))
        return error_set(e, ERROR_INPUT, "--detail is not valid UTF-8 (byte %zu)", bad);
    if (!text_utf8_valid(task.department, task.department_length, &bad))
        return error_set(e, ERROR_INPUT, "--department is not valid UTF-8 (byte %zu)", bad);
    m = re_matcher_new(&limits);
    hits = calloc(a->entry_count + 1, sizeof *hits);
    if (m == NULL || hits == NULL || !spend_start(r, ps, m, &spend)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    rc = admission_decide_metered(m, a->entries, a->entry_count, &a->messages, &task, &spend,
                                  &decision);
    if (rc == ADMISSION_BUDGET) {
        status = admission_tasks_budget_error(r, ps, &spend, decision.entry_index, decision.reason,
                                              "--title", "the task cannot be decided", e);
        goto done;
    }
    if (rc != 0) {
        status = error_set(e, ERROR_INPUT, "%s", decision.reason);
        goto done;
    }
    /* Every entry that matches on its own, for the list below. */
    for (k = 0; k < a->entry_count; k++) {
        const char *subject;
        re_result hit = entry_matches(m, &a->entries[k], &task, &spend, k, &subject);
        if (hit == RE_BUDGET) {
            status = admission_tasks_budget_error(r, ps, &spend, (int)k, subject, "--title",
                                                  "the matching entries cannot be listed", e);
            goto done;
        }
        hits[k] = hit == RE_MATCH;
    }
    if (json) {
        json_t *root = json_object(), *also = json_array();
        char *text;
        json_object_set_new(root, "decision",
                            json_string(admission_decision_name(decision.decision)));
        json_object_set_new(root, "rule_id",
                            decision.entry_index >= 0
                                ? json_string(a->entries[decision.entry_index].id)
                                : json_null());
        json_object_set_new(root, "reason", json_string(decision.reason));
        if (decision.entry_index >= 0)
            json_object_set_new(root, "defined_at",
                                json_string(a->entry_files[decision.entry_index]));
        for (k = 0; k < a->entry_count; k++)
            if (hits[k])
                json_array_append_new(also, json_string(a->entries[k].id));
        json_object_set_new(root, "matching_entries", also);
        text = jsontext_dump(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (text != NULL) {
            buffer_printf(out, "%s\n", text);
            free(text);
        }
        goto done;
    }
    buffer_printf(out, "决定：%s（%s）\n", admission_decision_name(decision.decision),
                  rules_label(r, "decision", admission_decision_name(decision.decision)));
    if (decision.entry_index >= 0) {
        const admission_entry *entry = &a->entries[decision.entry_index];
        buffer_printf(out, "条目：%s %s（%s，%s）\n", entry->id, entry->reason ? entry->reason : "",
                      admission_list_name(entry->list), a->entry_files[decision.entry_index]);
        buffer_printf(out, "模式：%s\n", a->entry_patterns[decision.entry_index]);
    } else {
        buffer_puts(out, "条目：无（没有条目命中）\n");
    }
    buffer_printf(out, "理由：%s\n", decision.reason);
    buffer_puts(out, "命中的全部条目：");
    {
        bool any = false;
        for (k = 0; k < a->entry_count; k++)
            if (hits[k]) {
                buffer_printf(out, "%s%s", any ? " " : "", a->entries[k].id);
                any = true;
            }
        buffer_puts(out, any ? "\n" : "无\n");
    }
done:
    re_matcher_free(m);
    spend_free(&spend);
    free(hits);
    return status;
}

/* Per-entry counts of the coverage report. */
typedef struct entry_count {
    long matched;    /* tasks the pattern matches (on its own) */
    long decided[3]; /* admit, reject, review decided by this entry */
} entry_count;

int admit_report(const rules *r, const params *ps, const snapshot *s, bool json, buffer *out,
                 error *e)
{
    const admission_rules *a = &r->admission;
    re_limits limits = admission_tasks_limits(r, ps);
    re_matcher *m = NULL;
    admission_spend spend = {NULL, NULL};
    sqlite3_stmt *select = NULL;
    entry_count *counts = NULL;
    buffer fell, both;
    long tasks = 0, fell_count = 0, both_count = 0, totals[3] = {0, 0, 0};
    size_t k;
    int rc, status = ERROR_OK;
    json_t *root = NULL, *fell_list = NULL, *both_list = NULL;
    buffer_init(&fell);
    buffer_init(&both);
    if (!a->present)
        return error_set(e, ERROR_INPUT, "the rules have no admission list");
    m = re_matcher_new(&limits);
    counts = calloc(a->entry_count + 1, sizeof *counts);
    if (m == NULL || counts == NULL || !spend_start(r, ps, m, &spend)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    if (json) {
        root = json_object();
        fell_list = json_array();
        both_list = json_array();
    }
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, title, detail, department, approval_ref, funded, staffed "
                           "FROM tasks ORDER BY id",
                           -1, &select, NULL) != SQLITE_OK) {
        status =
            error_set(e, ERROR_INPUT, "%s: cannot read tasks: %s", s->path, sqlite3_errmsg(s->db));
        goto done;
    }
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        admit_task t;
        admission_task task;
        admission_decision decision;
        bool deny = false, allow = false;
        const char *id = (const char *)sqlite3_column_text(select, 0);
        buffer entries;
        memset(&t, 0, sizeof t);
        t.title = (const char *)sqlite3_column_text(select, 1);
        t.detail = (const char *)sqlite3_column_text(select, 2);
        t.department = (const char *)sqlite3_column_text(select, 3);
        t.approval_ref = (const char *)sqlite3_column_text(select, 4);
        t.funded =
            sqlite3_column_type(select, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(select, 5);
        t.staffed =
            sqlite3_column_type(select, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(select, 6);
        if (t.title == NULL)
            t.title = "";
        task = task_of(&t);
        tasks++;
        rc = admission_decide_metered(m, a->entries, a->entry_count, &a->messages, &task, &spend,
                                      &decision);
        if (rc == ADMISSION_BUDGET) {
            status =
                admission_tasks_budget_error(r, ps, &spend, decision.entry_index, decision.reason,
                                             id, "the report cannot be made", e);
            goto done;
        }
        if (rc != 0) {
            status = error_set(e, ERROR_INPUT, "table tasks, row '%s': %s", id, decision.reason);
            goto done;
        }
        totals[decision.decision]++;
        if (decision.entry_index >= 0)
            counts[decision.entry_index].decided[decision.decision]++;
        buffer_init(&entries);
        for (k = 0; k < a->entry_count; k++) {
            const char *subject;
            re_result hit = entry_matches(m, &a->entries[k], &task, &spend, k, &subject);
            if (hit == RE_BUDGET) {
                status = admission_tasks_budget_error(r, ps, &spend, (int)k, subject, id,
                                                      "the report cannot be made", e);
                buffer_free(&entries);
                goto done;
            }
            if (hit != RE_MATCH)
                continue;
            counts[k].matched++;
            deny = deny || a->entries[k].list == ADMISSION_DENY;
            allow = allow || a->entries[k].list == ADMISSION_ALLOW;
            buffer_printf(&entries, "%s%s", entries.length ? " " : "", a->entries[k].id);
        }
        if (decision.entry_index < 0) {
            fell_count++;
            if (fell_list != NULL)
                json_array_append_new(fell_list,
                                      json_pack("{s:s,s:s}", "task_id", id, "title", t.title));
            else if (fell_count <= EXAMPLES_SHOWN)
                buffer_printf(&fell, "    %s  %s\n", id, t.title);
        }
        if (deny && allow) {
            both_count++;
            if (both_list != NULL)
                json_array_append_new(both_list,
                                      json_pack("{s:s,s:s,s:s}", "task_id", id, "title", t.title,
                                                "entries", buffer_text(&entries)));
            else if (both_count <= EXAMPLES_SHOWN)
                buffer_printf(&both, "    %s  %s  [%s]\n", id, t.title, buffer_text(&entries));
        }
        buffer_free(&entries);
    }
    if (rc != SQLITE_DONE) {
        status =
            error_set(e, ERROR_INPUT, "%s: cannot read tasks: %s", s->path, sqlite3_errmsg(s->db));
        goto done;
    }
    if (json) {
        json_t *entries = json_array(), *dead = json_array();
        char *text;
        for (k = 0; k < a->entry_count; k++) {
            json_t *one = json_object();
            json_object_set_new(one, "id", json_string(a->entries[k].id));
            json_object_set_new(one, "matched", json_integer(counts[k].matched));
            json_object_set_new(one, "admit", json_integer(counts[k].decided[ADMISSION_ADMIT]));
            json_object_set_new(one, "reject", json_integer(counts[k].decided[ADMISSION_REJECT]));
            json_object_set_new(one, "review", json_integer(counts[k].decided[ADMISSION_REVIEW]));
            json_array_append_new(entries, one);
            if (counts[k].matched == 0)
                json_array_append_new(dead, json_string(a->entries[k].id));
        }
        json_object_set_new(root, "tasks", json_integer(tasks));
        json_object_set_new(root, "admit", json_integer(totals[ADMISSION_ADMIT]));
        json_object_set_new(root, "reject", json_integer(totals[ADMISSION_REJECT]));
        json_object_set_new(root, "review", json_integer(totals[ADMISSION_REVIEW]));
        json_object_set_new(root, "entries", entries);
        json_object_set_new(root, "dead_entries", dead);
        json_object_set_new(root, "not_listed", fell_list);
        json_object_set_new(root, "deny_and_allow", both_list);
        fell_list = both_list = NULL;
        text = jsontext_dump(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (text != NULL) {
            buffer_printf(out, "%s\n", text);
            free(text);
        }
        goto done;
    }
    buffer_printf(out, "%s：%ld 项下派事项：准入 %ld，拒绝 %ld，待审 %ld\n\n", s->path, tasks,
                  totals[ADMISSION_ADMIT], totals[ADMISSION_REJECT], totals[ADMISSION_REVIEW]);
    buffer_puts(out, "条目    命中   决定：准入  拒绝  待审  理由\n");
    for (k = 0; k < a->entry_count; k++) {
        const entry_count *c = &counts[k];
        buffer_printf(out, "%-6s %5ld        %5ld %5ld %5ld  %s\n", a->entries[k].id, c->matched,
                      c->decided[ADMISSION_ADMIT], c->decided[ADMISSION_REJECT],
                      c->decided[ADMISSION_REVIEW],
                      a->entries[k].reason ? a->entries[k].reason : "");
    }
    buffer_puts(out, "\n没有命中任何事项的条目（失效条目）：");
    {
        bool any = false;
        for (k = 0; k < a->entry_count; k++)
            if (counts[k].matched == 0) {
                buffer_printf(out, "%s%s（%s）", any ? "、" : "", a->entries[k].id,
                              a->entry_files[k]);
                any = true;
            }
        buffer_puts(out, any ? "\n" : "无\n");
    }
    buffer_printf(out, "\n未命中任何条目、转待审的事项：%ld 项\n%s", fell_count,
                  buffer_text(&fell));
    if (fell_count > EXAMPLES_SHOWN)
        buffer_printf(out, "    ……另有 %ld 项（--json 列出全部）\n", fell_count - EXAMPLES_SHOWN);
    buffer_printf(out, "\n同时命中负面清单和准入清单的事项：%ld 项\n%s", both_count,
                  buffer_text(&both));
    if (both_count > EXAMPLES_SHOWN)
        buffer_printf(out, "    ……另有 %ld 项（--json 列出全部）\n", both_count - EXAMPLES_SHOWN);
done:
    json_decref(root);
    json_decref(fell_list);
    json_decref(both_list);
    sqlite3_finalize(select);
    re_matcher_free(m);
    spend_free(&spend);
    free(counts);
    buffer_free(&fell);
    buffer_free(&both);
    return status;
}

int admit_lint(rules *r, const params *ps, const snapshot *s, error *e)
{
    const admission_rules *a = &r->admission;
    re_limits limits = admission_tasks_limits(r, ps);
    re_matcher *m = NULL;
    admission_spend spend = {NULL, NULL};
    error spent;
    bool stopped = false;
    sqlite3_stmt *select = NULL;
    long *matched = NULL, *decided = NULL, *overlap = NULL, *preempted_by = NULL;
    size_t n = a->entry_count, i, k;
    int rc, status = ERROR_OK;
    if (!a->present || n == 0)
        return ERROR_OK;
    for (i = 0; i < n; i++)
        for (k = 0; k < i; k++)
            if (a->entry_patterns[i] && a->entry_patterns[k] &&
                strcmp(a->entry_patterns[i], a->entry_patterns[k]) == 0)
                rules_add_warning(r, "%s: entry %s has the same pattern as %s (%s)",
                                  a->entry_files[i], a->entries[i].id, a->entries[k].id,
                                  a->entry_files[k]);
    m = re_matcher_new(&limits);
    matched = calloc(n, sizeof *matched);
    decided = calloc(n, sizeof *decided);
    overlap = calloc(n * n, sizeof *overlap);
    preempted_by = calloc(n * n, sizeof *preempted_by);
    if (m == NULL || matched == NULL || decided == NULL || overlap == NULL ||
        preempted_by == NULL || !spend_start(r, ps, m, &spend)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    if (sqlite3_prepare_v2(s->db,
                           "SELECT title, detail, department, approval_ref, funded, staffed, id "
                           "FROM tasks ORDER BY id",
                           -1, &select, NULL) != SQLITE_OK) {
        status =
            error_set(e, ERROR_INPUT, "%s: cannot read tasks: %s", s->path, sqlite3_errmsg(s->db));
        goto done;
    }
    error_clear(&spent);
    while (!stopped && (rc = sqlite3_step(select)) == SQLITE_ROW) {
        admit_task t;
        admission_task task;
        admission_decision decision;
        size_t first_allow = n;
        const char *id = (const char *)sqlite3_column_text(select, 6);
        memset(&t, 0, sizeof t);
        t.title = (const char *)sqlite3_column_text(select, 0);
        t.detail = (const char *)sqlite3_column_text(select, 1);
        t.department = (const char *)sqlite3_column_text(select, 2);
        t.approval_ref = (const char *)sqlite3_column_text(select, 3);
        t.funded = sqlite3_column_int(select, 4);
        t.staffed = sqlite3_column_int(select, 5);
        if (t.title == NULL)
            t.title = "";
        task = task_of(&t);
        rc = admission_decide_metered(m, a->entries, n, &a->messages, &task, &spend, &decision);
        if (rc == ADMISSION_BUDGET) {
            admission_tasks_budget_error(r, ps, &spend, decision.entry_index, decision.reason, id,
                                         "the admission checks stop there", &spent);
            stopped = true;
            break;
        }
        if (rc != 0)
            continue;
        if (decision.entry_index >= 0)
            decided[decision.entry_index]++;
        for (i = 0; i < n && !stopped; i++) {
            const char *subject;
            re_result hit = entry_matches(m, &a->entries[i], &task, &spend, i, &subject);
            if (hit == RE_BUDGET) {
                admission_tasks_budget_error(r, ps, &spend, (int)i, subject, id,
                                             "the admission checks stop there", &spent);
                stopped = true;
            }
            if (hit != RE_MATCH)
                continue;
            matched[i]++;
            if (decision.entry_index >= 0 && (size_t)decision.entry_index != i)
                preempted_by[i * n + (size_t)decision.entry_index]++;
            if (a->entries[i].list == ADMISSION_ALLOW) {
                if (first_allow < n)
                    overlap[first_allow * n + i]++;
                else
                    first_allow = i;
            }
        }
    }
    if (stopped) {
        /* The counts cover only the tasks before: no warning from them. */
        if (!rules_add_warning(r, "%s", spent.message))
            status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        if (matched[i] == 0) {
            rules_add_warning(r, "%s: entry %s matches no task of %s", a->entry_files[i],
                              a->entries[i].id, s->path);
        } else if (decided[i] == 0) {
            size_t best = 0;
            for (k = 1; k < n; k++)
                if (preempted_by[i * n + k] > preempted_by[i * n + best])
                    best = k;
            rules_add_warning(r,
                              "%s: entry %s is never reached on %s: the %ld tasks it matches are "
                              "decided earlier (mostly by %s)",
                              a->entry_files[i], a->entries[i].id, s->path, matched[i],
                              a->entries[best].id);
        }
        for (k = 0; k < n; k++)
            if (overlap[i * n + k] > 0)
                rules_add_warning(r,
                                  "%s: allow entries %s and %s both match %ld task(s) of %s; %s "
                                  "decides them",
                                  a->entry_files[k], a->entries[i].id, a->entries[k].id,
                                  overlap[i * n + k], s->path, a->entries[i].id);
    }
done:
    sqlite3_finalize(select);
    re_matcher_free(m);
    spend_free(&spend);
    free(matched);
    free(decided);
    free(overlap);
    free(preempted_by);
    return status;
}
