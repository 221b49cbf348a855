/*
** whatif.c — comparing scenarios and sweeping parameters (whatif.h).
*/
#define _GNU_SOURCE /* qsort_r */
#include "whatif.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "jsontext.h"
#include "summary.h"
#include "text.h"

static int scope_rank(const char *scope)
{
    if (strcmp(scope, "region") == 0)
        return 0;
    if (strcmp(scope, "district") == 0)
        return 1;
    if (strcmp(scope, "street") == 0)
        return 2;
    return 3;
}

static int target_index(const rules *r, const char *id)
{
    size_t i;
    for (i = 0; i < r->target_count; i++)
        if (r->targets[i].id == id || strcmp(r->targets[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Order of target checks as targets_score() writes them. */
static int check_order(const rules *r, const target_check *a, const target_check *b)
{
    int ta = target_index(r, a->target_id), tb = target_index(r, b->target_id);
    int sa = scope_rank(a->scope), sb = scope_rank(b->scope);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    return strcmp(a->scope_id, b->scope_id);
}

static int change_compare(const void *x, const void *y, void *user)
{
    const whatif_community_change *a = x, *b = y;
    const snapshot *s = user;
    double da = fabs(a->total_after - a->total_before), db = fabs(b->total_after - b->total_before);
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(s->communities[a->community].id, s->communities[b->community].id);
}

static bool same_flag(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int whatif_compare(const rules *r, const snapshot *s, const eval_result *before,
                   const eval_result *after, double epsilon, whatif_diff *diff, error *e)
{
    size_t c, i, j;
    const outcome *ob = &before->outcome, *oa = &after->outcome;
    memset(diff, 0, sizeof *diff);
    diff->communities = calloc(s->community_count + 1, sizeof *diff->communities);
    diff->checks = calloc(ob->check_count + oa->check_count + 1, sizeof *diff->checks);
    diff->workers = calloc(ob->appraisal_count + oa->appraisal_count + 1, sizeof *diff->workers);
    if (diff->communities == NULL || diff->checks == NULL || diff->workers == NULL) {
        whatif_diff_free(diff);
        return error_set(e, ERROR_SYSTEM, "out of memory comparing scenarios");
    }
    for (c = 0; c < s->community_count; c++) {
        bool changed = fabs(after->totals[c] - before->totals[c]) > epsilon ||
                       after->stars[c] != before->stars[c] || after->ranks[c] != before->ranks[c];
        if (!changed)
            continue;
        whatif_community_change *x = &diff->communities[diff->community_count++];
        x->community = c;
        x->total_before = before->totals[c];
        x->total_after = after->totals[c];
        x->stars_before = before->stars[c];
        x->stars_after = after->stars[c];
        x->rank_before = before->ranks[c];
        x->rank_after = after->ranks[c];
        diff->star_changes += x->stars_before != x->stars_after;
    }
    qsort_r(diff->communities, diff->community_count, sizeof *diff->communities, change_compare,
            (void *)s);
    for (i = 0, j = 0; i < ob->check_count || j < oa->check_count;) {
        int order = i == ob->check_count   ? 1
                    : j == oa->check_count ? -1
                                           : check_order(r, &ob->checks[i], &oa->checks[j]);
        whatif_check_change *x;
        if (order == 0 && ob->checks[i].met == oa->checks[j].met) {
            i++;
            j++;
            continue;
        }
        x = &diff->checks[diff->check_count++];
        x->before = order <= 0 ? &ob->checks[i++] : NULL;
        x->after = order >= 0 ? &oa->checks[j++] : NULL;
    }
    for (i = 0, j = 0; i < ob->appraisal_count || j < oa->appraisal_count;) {
        int order = i == ob->appraisal_count ? 1
                    : j == oa->appraisal_count
                        ? -1
                        : strcmp(ob->appraisals[i].worker_id, oa->appraisals[j].worker_id);
        whatif_worker_change *x;
        if (order == 0 && same_flag(ob->appraisals[i].flag, oa->appraisals[j].flag)) {
            i++;
            j++;
            continue;
        }
        x = &diff->workers[diff->worker_count++];
        x->before = order <= 0 ? &ob->appraisals[i++] : NULL;
        x->after = order >= 0 ? &oa->appraisals[j++] : NULL;
    }
    return ERROR_OK;
}

void whatif_diff_free(whatif_diff *diff)
{
    free(diff->communities);
    free(diff->checks);
    free(diff->workers);
    memset(diff, 0, sizeof *diff);
}

/* Scopes of target `t` meeting it, per scope kind. */
static void met_counts(const outcome *o, const char *target_id, long met[4], long total[4])
{
    size_t i;
    memset(met, 0, 4 * sizeof *met);
    memset(total, 0, 4 * sizeof *total);
    for (i = 0; i < o->check_count; i++) {
        const target_check *c = &o->checks[i];
        int k;
        if (strcmp(c->target_id, target_id) != 0)
            continue;
        k = scope_rank(c->scope);
        total[k]++;
        met[k] += c->met != 0;
    }
}

static const char *flag_label(const char *flag)
{
    if (flag == NULL)
        return "无";
    if (strcmp(flag, "below_floor") == 0)
        return "低于底线";
    if (strcmp(flag, "bottom_ratio") == 0)
        return "末位淘汰";
    if (strcmp(flag, "no_score") == 0)
        return "缺少分数";
    return flag;
}

static void write_value(buffer *out, double x, bool ratio)
{
    if (isnan(x))
        buffer_puts(out, "无数据");
    else if (ratio)
        buffer_printf(out, "%.1f%%", x * 100);
    else
        buffer_printf(out, "%g", x);
}

/* The parameters whose values differ, "name: before → after" lines. */
static void write_changed_params(const whatif_report *w, buffer *out)
{
    size_t i;
    for (i = 0; i < w->after.params->count; i++) {
        const param *a = &w->before.params->items[i], *b = &w->after.params->items[i];
        char *before, *after;
        if (params_value_equal(a, &a->value, &b->value))
            continue;
        before = params_value_text(a, &a->value);
        after = params_value_text(b, &b->value);
        buffer_printf(out, "  %s：%s → %s\n", b->name, before ? before : "?", after ? after : "?");
        free(before);
        free(after);
    }
}

int whatif_write_text(const whatif_report *w, buffer *out)
{
    const rules *r = w->after.rules;
    const snapshot *s = w->after.snapshot;
    const whatif_diff *d = w->diff;
    size_t i, t;
    int k;
    long before_met[4], before_total[4], after_met[4], after_total[4];
    buffer_printf(out, "假设分析：%s · 评估日期 %s · %zu 个社区\n", s->region, s->as_of,
                  s->community_count);
    if (w->scenario_name != NULL)
        buffer_printf(out, "场景：%s%s%s\n", w->scenario_name, w->scenario_description ? " — " : "",
                      w->scenario_description ? w->scenario_description : "");
    buffer_puts(out, "改变的参数：\n");
    write_changed_params(w, out);
    buffer_printf(out,
                  "计算：读取与基准评分 %.0f ms；场景重新评分 %.1f ms（重新执行 %zu "
                  "个查询，其余只重新计分）\n",
                  w->load_ms, w->rescore_ms, w->queries_rerun);
    buffer_printf(out,
                  "\n摘要：%zu 个社区总分、星级或排名变化（其中星级变化 %zu 个）；%zu "
                  "项目标检查达标情况变化；%zu 名社工标记变化\n",
                  d->community_count, d->star_changes, d->check_count, d->worker_count);
    if (r->target_count > 0)
        buffer_puts(out, "\n目标达标（之前 → 之后）：\n");
    for (t = 0; t < r->target_count; t++) {
        bool first = true;
        met_counts(&w->before.result->outcome, r->targets[t].id, before_met, before_total);
        met_counts(&w->after.result->outcome, r->targets[t].id, after_met, after_total);
        buffer_printf(out, "  %s（%s）：", r->targets[t].name ? r->targets[t].name : "",
                      r->targets[t].id);
        for (k = 0; k < 4; k++) {
            static const char *const scopes[] = {"region", "district", "street", "community"};
            if (before_total[k] == 0 && after_total[k] == 0)
                continue;
            buffer_printf(out, "%s%s %ld/%ld → %ld/%ld", first ? "" : "；",
                          rules_label(r, "scope", scopes[k]), before_met[k], before_total[k],
                          after_met[k], after_total[k]);
            first = false;
        }
        buffer_puts(out, first ? "无结果\n" : "\n");
    }
    if (d->community_count > 0) {
        buffer_puts(out, "\n社区变化（按总分变化大小排序）：\n");
        for (i = 0; i < d->community_count; i++) {
            const whatif_community_change *x = &d->communities[i];
            const community *c = &s->communities[x->community];
            buffer_puts(out, "  ");
            text_pad(out, c->id, 12, false);
            buffer_puts(out, " ");
            text_pad(out, c->name, 10, false);
            buffer_printf(out, "  总分 %6.2f → %6.2f（%+.2f）  星级 %s → %s  排名 %d → %d\n",
                          x->total_before, x->total_after, x->total_after - x->total_before,
                          summary_stars_name(r, x->stars_before),
                          summary_stars_name(r, x->stars_after), x->rank_before, x->rank_after);
        }
    }
    if (d->check_count > 0) {
        buffer_puts(out, "\n目标检查变化：\n");
        for (i = 0; i < d->check_count; i++) {
            const target_check *b = d->checks[i].before, *a = d->checks[i].after;
            const target_check *any = b != NULL ? b : a;
            int ti = target_index(r, any->target_id);
            bool ratio = ti >= 0 && !r->targets[ti].count;
            buffer_printf(out, "  %s %s %s：", any->target_id, rules_label(r, "scope", any->scope),
                          any->scope_id);
            if (b != NULL) {
                write_value(out, b->actual, ratio);
                buffer_puts(out, " / 要求 ");
                write_value(out, b->required, ratio);
                buffer_printf(out, " %s", b->met ? "达标" : "未达标");
            } else {
                buffer_puts(out, "（无此检查）");
            }
            buffer_puts(out, " → ");
            if (a != NULL) {
                write_value(out, a->actual, ratio);
                buffer_puts(out, " / 要求 ");
                write_value(out, a->required, ratio);
                buffer_printf(out, " %s\n", a->met ? "达标" : "未达标");
            } else {
                buffer_puts(out, "（无此检查）\n");
            }
        }
    }
    if (d->worker_count > 0) {
        buffer_puts(out, "\n社工标记变化：\n");
        for (i = 0; i < d->worker_count; i++) {
            const worker_appraisal *b = d->workers[i].before, *a = d->workers[i].after;
            const worker_appraisal *any = b != NULL ? b : a;
            buffer_printf(out, "  %s（社区 %s）：%s → %s", any->worker_id, any->community_id,
                          b ? flag_label(b->flag) : "（未考核）",
                          a ? flag_label(a->flag) : "（未考核）");
            if (a != NULL && !isnan(a->score))
                buffer_printf(out, "  得分 %.2f，街道内排名 %d", a->score, a->rank);
            buffer_puts(out, "\n");
        }
    }
    if (w->scenario_run > 0)
        buffer_printf(out, "\n已写入结果库：基准 run %lld，场景 run %lld\n", w->baseline_run,
                      w->scenario_run);
    return buffer_failed(out) ? ERROR_SYSTEM : ERROR_OK;
}

static json_t *number_or_null(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static json_t *check_json(const target_check *c)
{
    if (c == NULL)
        return json_null();
    return json_pack("{s:o,s:f,s:b}", "actual", number_or_null(c->actual), "required", c->required,
                     "met", c->met);
}

int whatif_write_json(const whatif_report *w, buffer *out)
{
    const rules *r = w->after.rules;
    const snapshot *s = w->after.snapshot;
    const whatif_diff *d = w->diff;
    json_t *root = json_object(), *changed = json_array(), *targets = json_array();
    json_t *communities = json_array(), *checks = json_array(), *workers = json_array();
    char *text;
    size_t i, t;
    int k;
    for (i = 0; i < w->after.params->count; i++) {
        const param *a = &w->before.params->items[i], *b = &w->after.params->items[i];
        char *before, *after;
        if (params_value_equal(a, &a->value, &b->value))
            continue;
        before = params_value_text(a, &a->value);
        after = params_value_text(b, &b->value);
        json_array_append_new(changed,
                              json_pack("{s:s,s:s,s:s}", "name", b->name, "before",
                                        before ? before : "", "after", after ? after : ""));
        free(before);
        free(after);
    }
    json_object_set_new(root, "region", json_string(s->region));
    json_object_set_new(root, "as_of", json_string(s->as_of));
    if (w->scenario_name != NULL)
        json_object_set_new(root, "scenario", json_string(w->scenario_name));
    json_object_set_new(root, "changed_parameters", changed);
    json_object_set_new(
        root, "summary",
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "communities_changed",
                  (json_int_t)d->community_count, "stars_changed", (json_int_t)d->star_changes,
                  "checks_flipped", (json_int_t)d->check_count, "workers_changed",
                  (json_int_t)d->worker_count, "queries_rerun", (json_int_t)w->queries_rerun,
                  "load_ms", w->load_ms, "rescore_ms", w->rescore_ms));
    for (t = 0; t < r->target_count; t++) {
        long bm[4], bt[4], am[4], at[4];
        static const char *const scopes[] = {"region", "district", "street", "community"};
        json_t *one = json_object();
        met_counts(&w->before.result->outcome, r->targets[t].id, bm, bt);
        met_counts(&w->after.result->outcome, r->targets[t].id, am, at);
        json_object_set_new(one, "target", json_string(r->targets[t].id));
        for (k = 0; k < 4; k++)
            if (bt[k] > 0 || at[k] > 0)
                json_object_set_new(one, scopes[k],
                                    json_pack("{s:I,s:I,s:I,s:I}", "met_before", (json_int_t)bm[k],
                                              "of_before", (json_int_t)bt[k], "met_after",
                                              (json_int_t)am[k], "of_after", (json_int_t)at[k]));
        json_array_append_new(targets, one);
    }
    json_object_set_new(root, "targets", targets);
    for (i = 0; i < d->community_count; i++) {
        const whatif_community_change *x = &d->communities[i];
        json_array_append_new(
            communities,
            json_pack("{s:s,s:s,s:f,s:f,s:i,s:i,s:i,s:i}", "community_id",
                      s->communities[x->community].id, "name", s->communities[x->community].name,
                      "total_before", x->total_before, "total_after", x->total_after,
                      "stars_before", x->stars_before, "stars_after", x->stars_after, "rank_before",
                      x->rank_before, "rank_after", x->rank_after));
    }
    json_object_set_new(root, "communities", communities);
    for (i = 0; i < d->check_count; i++) {
        const target_check *any = d->checks[i].before ? d->checks[i].before : d->checks[i].after;
        json_array_append_new(checks, json_pack("{s:s,s:s,s:s,s:o,s:o}", "target", any->target_id,
                                                "scope", any->scope, "scope_id", any->scope_id,
                                                "before", check_json(d->checks[i].before), "after",
                                                check_json(d->checks[i].after)));
    }
    json_object_set_new(root, "target_checks", checks);
    for (i = 0; i < d->worker_count; i++) {
        const worker_appraisal *b = d->workers[i].before, *a = d->workers[i].after;
        const worker_appraisal *any = b ? b : a;
        json_array_append_new(
            workers, json_pack("{s:s,s:s,s:o,s:o,s:o}", "worker_id", any->worker_id, "community_id",
                               any->community_id, "flag_before",
                               b && b->flag ? json_string(b->flag) : json_null(), "flag_after",
                               a && a->flag ? json_string(a->flag) : json_null(), "score_after",
                               a ? number_or_null(a->score) : json_null()));
    }
    json_object_set_new(root, "workers", workers);
    if (w->scenario_run > 0) {
        json_object_set_new(root, "baseline_run", json_integer(w->baseline_run));
        json_object_set_new(root, "scenario_run", json_integer(w->scenario_run));
    }
    text = jsontext_dump(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(root);
    if (text == NULL)
        return ERROR_SYSTEM;
    buffer_printf(out, "%s\n", text);
    free(text);
    return buffer_failed(out) ? ERROR_SYSTEM : ERROR_OK;
}

int whatif_sweep_row_fill(const rules *r, double value, const eval_result *result,
                          whatif_sweep_row *row, error *e)
{
    size_t c, t, i;
    const outcome *o = &result->outcome;
    memset(row, 0, sizeof *row);
    row->value = value;
    row->met = calloc(r->target_count + 1, sizeof *row->met);
    row->checks = calloc(r->target_count + 1, sizeof *row->checks);
    row->grades = calloc(r->star_count + 1, sizeof *row->grades);
    if (row->met == NULL || row->checks == NULL || row->grades == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (c = 0; c < result->community_count; c++) {
        for (i = 0; i < r->star_count && r->stars[i].stars != result->stars[c];)
            i++;
        row->grades[i]++; /* i == star_count: below every grade */
    }
    /* The checks come target by target, in target order (targets_score). */
    for (i = 0, t = 0; i < o->check_count; i++) {
        const char *id = o->checks[i].target_id;
        if (t == r->target_count || id != r->targets[t].id)
            for (t = 0; t < r->target_count && strcmp(id, r->targets[t].id) != 0;)
                t++;
        if (t == r->target_count)
            continue;
        row->checks[t]++;
        row->met[t] += o->checks[i].met != 0;
    }
    for (i = 0; i < 3; i++) {
        row->flags[i] = o->flagged[i];
        row->flagged += o->flagged[i];
    }
    return ERROR_OK;
}

void whatif_sweep_free(whatif_sweep *sweep)
{
    size_t i;
    for (i = 0; i < sweep->row_count; i++) {
        free(sweep->rows[i].met);
        free(sweep->rows[i].checks);
        free(sweep->rows[i].grades);
    }
    free(sweep->rows);
    sweep->rows = NULL;
    sweep->row_count = 0;
}

/* Targets whose met counts vary over the sweep (all when none vary). */
static bool target_affected(const whatif_sweep *sweep, size_t t)
{
    size_t i, any = 0;
    for (i = 1; i < sweep->row_count; i++)
        if (sweep->rows[i].met[t] != sweep->rows[0].met[t])
            return true;
    for (i = 0; i < sweep->rules->target_count; i++) {
        size_t k;
        for (k = 1; k < sweep->row_count; k++)
            any += sweep->rows[k].met[i] != sweep->rows[0].met[i];
    }
    return any == 0;
}

/* Name of the sweep's grade column `g` (star_count: below every grade). */
static const char *grade_label(const rules *r, size_t g)
{
    return summary_stars_name(r, g < r->star_count ? r->stars[g].stars : 0);
}

/* Display width of grade column `g`: its name, at least 4. */
static size_t grade_width(const rules *r, size_t g)
{
    size_t width = text_width(grade_label(r, g));
    return width > 4 ? width : 4;
}

int whatif_write_sweep_text(const whatif_sweep *sweep, buffer *out)
{
    const rules *r = sweep->rules;
    size_t i, t, g;
    char cell[64];
    buffer_printf(out, "参数扫描：%s（%zu 个取值，每个取值重新评分平均 %.1f ms）\n\n",
                  sweep->parameter, sweep->row_count, sweep->rescore_ms);
    text_pad(out, "取值", 10, true);
    for (g = 0; g <= r->star_count; g++) {
        buffer_puts(out, "  ");
        text_pad(out, grade_label(r, g), grade_width(r, g), true);
    }
    for (t = 0; t < r->target_count; t++)
        if (target_affected(sweep, t)) {
            buffer_puts(out, "  ");
            text_pad(out, r->targets[t].id, 18, true);
        }
    buffer_puts(out, "  标记社工\n");
    for (i = 0; i < sweep->row_count; i++) {
        const whatif_sweep_row *row = &sweep->rows[i];
        snprintf(cell, sizeof cell, "%g", row->value);
        text_pad(out, cell, 10, true);
        for (g = 0; g <= r->star_count; g++) {
            snprintf(cell, sizeof cell, "%d", row->grades[g]);
            buffer_puts(out, "  ");
            text_pad(out, cell, grade_width(r, g), true);
        }
        for (t = 0; t < r->target_count; t++)
            if (target_affected(sweep, t)) {
                snprintf(cell, sizeof cell, "%ld/%ld", row->met[t], row->checks[t]);
                buffer_puts(out, "  ");
                text_pad(out, cell, 18, true);
            }
        buffer_printf(out, "  %8ld\n", row->flagged);
    }
    buffer_puts(out, "\n目标列为达标的检查数 / 检查总数（全市、区、街道、社区合计）。\n");
    return buffer_failed(out) ? ERROR_SYSTEM : ERROR_OK;
}

int whatif_write_sweep_json(const whatif_sweep *sweep, buffer *out)
{
    const rules *r = sweep->rules;
    json_t *root = json_object(), *rows = json_array();
    char *text;
    size_t i, t, g;
    for (i = 0; i < sweep->row_count; i++) {
        const whatif_sweep_row *row = &sweep->rows[i];
        json_t *targets = json_object(), *grades = json_object();
        char key[16];
        for (g = 0; g <= r->star_count; g++) {
            snprintf(key, sizeof key, "%d", g < r->star_count ? r->stars[g].stars : 0);
            json_object_set_new(grades, key, json_integer(row->grades[g]));
        }
        for (t = 0; t < r->target_count; t++)
            json_object_set_new(targets, r->targets[t].id,
                                json_pack("{s:I,s:I}", "met", (json_int_t)row->met[t], "checks",
                                          (json_int_t)row->checks[t]));
        json_array_append_new(
            rows, json_pack("{s:f,s:o,s:o,s:I,s:{s:I,s:I,s:I}}", "value", row->value, "stars",
                            grades, "targets", targets, "workers_flagged", (json_int_t)row->flagged,
                            "flags", "below_floor", (json_int_t)row->flags[0], "bottom_ratio",
                            (json_int_t)row->flags[1], "no_score", (json_int_t)row->flags[2]));
    }
    json_object_set_new(root, "parameter", json_string(sweep->parameter));
    json_object_set_new(root, "rescore_ms_per_value", json_real(sweep->rescore_ms));
    json_object_set_new(root, "rows", rows);
    text = jsontext_dump(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(root);
    if (text == NULL)
        return ERROR_SYSTEM;
    buffer_printf(out, "%s\n", text);
    free(text);
    return buffer_failed(out) ? ERROR_SYSTEM : ERROR_OK;
}

int whatif_write_sweep_svg(const whatif_sweep *sweep, const snapshot *s, buffer *out)
{
    /* Two panels sharing the x axis: communities per star grade, and the
    ** number of scopes meeting each affected target plus flagged workers. */
    const rules *r = sweep->rules;
    size_t n = sweep->row_count, grades = r->star_count + 1, i, t, k, lines = 0;
    double *xs = malloc((n + 1) * sizeof *xs);
    double *ys = malloc(((grades + r->target_count + 1) * n + 1) * sizeof *ys);
    chart_series *series = malloc((grades + r->target_count + 1) * sizeof *series);
    chart_panel panels[2];
    buffer title;
    int ok = 0;
    buffer_init(&title);
    if (xs == NULL || ys == NULL || series == NULL)
        goto done;
    for (i = 0; i < n; i++)
        xs[i] = sweep->rows[i].value;
    for (k = 0; k < grades; k++, lines++) {
        series[lines].name = grade_label(r, k);
        series[lines].y = ys + lines * n;
        for (i = 0; i < n; i++)
            ys[lines * n + i] = sweep->rows[i].grades[k];
    }
    for (t = 0; t <= r->target_count; t++) {
        if (t < r->target_count && !target_affected(sweep, t))
            continue;
        /* t == target_count: the flagged workers */
        series[lines].name = t < r->target_count ? r->targets[t].id : "标记社工";
        series[lines].y = ys + lines * n;
        for (i = 0; i < n; i++)
            ys[lines * n + i] = t < r->target_count ? (double)sweep->rows[i].met[t]
                                                    : (double)sweep->rows[i].flagged;
        lines++;
    }
    panels[0] = (chart_panel){"各星级社区数", series, grades};
    panels[1] = (chart_panel){"达标检查数与标记社工数", series + grades, lines - grades};
    buffer_printf(&title, "参数扫描：%s（%s %s，%zu 个社区）", sweep->parameter, s->region,
                  s->as_of, s->community_count);
    if (buffer_failed(&title))
        goto done;
    chart_lines(out, buffer_text(&title), sweep->parameter, xs, n, panels, 2);
    ok = !buffer_failed(out);
done:
    buffer_free(&title);
    free(xs);
    free(ys);
    free(series);
    return ok ? ERROR_OK : ERROR_SYSTEM;
}
