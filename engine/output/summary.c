/*
** summary.c — the eval report of summary.h. Names of star grades and
** targets come from the rules of the run.
*/
#include "summary.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "text.h"

const char *summary_stars_name(const rules *r, int stars)
{
    size_t g;
    for (g = 0; g < r->star_count; g++)
        if (r->stars[g].stars == stars && r->stars[g].name != NULL)
            return r->stars[g].name;
    if (stars == 0 && r->star_unrated != NULL)
        return r->star_unrated;
    return stars > 0 ? "★" : "—"; /* rules that name nothing: a mark, not a policy */
}

/* The name of target `id` in the rules (the id when it has none). */
static const char *target_name(const rules *r, const char *id)
{
    size_t t;
    for (t = 0; t < r->target_count; t++)
        if (strcmp(r->targets[t].id, id) == 0 && r->targets[t].name != NULL)
            return r->targets[t].name;
    return id;
}

/* Widest display width of a community field, at least `minimum`. */
static size_t column_width(const snapshot *s, size_t offset, size_t minimum, size_t maximum)
{
    size_t width = minimum, c;
    for (c = 0; c < s->community_count; c++) {
        const char *text = *(const char *const *)((const char *)&s->communities[c] + offset);
        size_t w = text_width(text);
        if (w > width)
            width = w;
    }
    return width < maximum ? width : maximum;
}

/* Which indicators lack data or hold values out of range, and in how many
** communities: the most first, then by id; at most ten of each. */
static void write_missing(const summary_input *in, buffer *out)
{
    const rules *r = in->run.rules;
    const eval_result *res = in->run.result;
    size_t m = res->indicator_count, c, i, k;
    int kind;
    size_t *counts = calloc(2 * m + 1, sizeof *counts);
    if (counts == NULL) {
        out->failed = true;
        return;
    }
    for (c = 0; c < res->community_count; c++)
        for (i = 0; i < m; i++) {
            unsigned char status = res->scores[c * m + i].status;
            if (status == STATUS_MISSING)
                counts[i]++;
            else if (status == STATUS_INVALID)
                counts[m + i]++;
        }
    for (kind = 0; kind < 2; kind++) {
        const size_t *n = counts + (size_t)kind * m;
        size_t shown = 0, listed = 0, best;
        for (i = 0; i < m; i++)
            listed += n[i] > 0;
        if (listed == 0)
            continue;
        buffer_printf(out, "  %s：", kind == 0 ? "缺少数据" : "超出值域");
        /* Selection by count, descending (ties: rules order, which is by id). */
        for (k = 0; k < listed && shown < 10; k++, shown++) {
            best = m;
            for (i = 0; i < m; i++)
                if (n[i] > 0 && (best == m || n[i] > n[best]))
                    best = i;
            buffer_printf(out, "%s%s %s %zu 个社区", shown ? "、" : "", r->indicators[best].id,
                          r->indicators[best].name ? r->indicators[best].name : "", n[best]);
            counts[(size_t)kind * m + best] = 0;
        }
        if (listed > shown)
            buffer_printf(out, " 等 %zu 项", listed);
        buffer_puts(out, "\n");
    }
    free(counts);
}

/* The short target, appraisal and admission summary under the ranking. */
static void write_outcome_summary(const summary_input *in, buffer *out)
{
    const rules *r = in->run.rules;
    const outcome *o = &in->run.result->outcome;
    size_t t, i, k;
    static const char *const scopes[] = {"region", "district", "street", "community"};
    if (r->target_count > 0)
        buffer_puts(out, "\n目标检查：\n");
    for (t = 0; t < r->target_count; t++) {
        const target_rule *rule = &r->targets[t];
        bool first = true;
        buffer_printf(out, "  %s（%s）：", rule->name ? rule->name : rule->id, rule->id);
        for (k = 0; k < 4; k++) {
            size_t met = 0, total = 0;
            const target_check *region = NULL;
            for (i = 0; i < o->check_count; i++) {
                const target_check *c = &o->checks[i];
                if (c->target_id != rule->id || strcmp(c->scope, scopes[k]) != 0)
                    continue;
                total++;
                met += c->met != 0;
                region = c;
            }
            if (total == 0)
                continue;
            if (k == 0 && region != NULL) {
                char actual[32];
                if (isnan(region->actual))
                    snprintf(actual, sizeof actual, "无数据");
                else if (rule->count)
                    snprintf(actual, sizeof actual, "%g", region->actual);
                else
                    snprintf(actual, sizeof actual, "%.1f%%", region->actual * 100);
                if (rule->count)
                    buffer_printf(out, "%s%s %s，要求 %g，%s", first ? "" : "；",
                                  rules_label(in->run.rules, "scope", scopes[k]), actual,
                                  region->required, region->met ? "达标" : "未达标");
                else
                    buffer_printf(out, "%s%s %s，要求 %.1f%%，%s", first ? "" : "；",
                                  rules_label(in->run.rules, "scope", scopes[k]), actual,
                                  region->required * 100, region->met ? "达标" : "未达标");
            } else {
                buffer_printf(out, "%s%s %zu/%zu 达标", first ? "" : "；",
                              rules_label(in->run.rules, "scope", scopes[k]), met, total);
            }
            first = false;
        }
        buffer_puts(out, first ? "无结果\n" : "\n");
    }
    if (o->appraisal_count > 0) {
        size_t below = 0, bottom = 0, none = 0;
        for (i = 0; i < o->appraisal_count; i++) {
            const char *flag = o->appraisals[i].flag;
            if (flag == NULL)
                continue;
            below += strcmp(flag, "below_floor") == 0;
            bottom += strcmp(flag, "bottom_ratio") == 0;
            none += strcmp(flag, "no_score") == 0;
        }
        buffer_printf(out,
                      "\n考核：在岗社工 %zu 名，标记 %zu 名：%s %zu 名（below_floor），%s %zu 名"
                      "（bottom_ratio），%s %zu 名（no_score）\n",
                      o->appraisal_count, below + bottom + none,
                      rules_label(in->run.rules, "flag", "below_floor"), below,
                      rules_label(in->run.rules, "flag", "bottom_ratio"), bottom,
                      rules_label(in->run.rules, "flag", "no_score"), none);
    }
    if (o->decision_count > 0) {
        long admitted = 0, rejected = 0, review = 0;
        for (i = 0; i < o->department_count; i++) {
            admitted += o->departments[i].admitted;
            rejected += o->departments[i].rejected;
            review += o->departments[i].review;
        }
        buffer_printf(out, "准入：下派事项 %zu 项：%s %ld，%s %ld，%s %ld（%zu 个部门）\n",
                      o->decision_count, rules_label(in->run.rules, "decision", "admit"), admitted,
                      rules_label(in->run.rules, "decision", "reject"), rejected,
                      rules_label(in->run.rules, "decision", "review"), review,
                      o->department_count);
    }
}

int summary_near_list(const summary_input *in, double margin, summary_near **out, size_t *count)
{
    const rules *r = in->run.rules;
    const snapshot *s = in->run.snapshot;
    const eval_result *res = in->run.result;
    size_t capacity = 0, k, g, i;
    *out = NULL;
    *count = 0;
#define NEAR_ADD(...)                                                                              \
    do {                                                                                           \
        if (*count == capacity) {                                                                  \
            summary_near *grown;                                                                   \
            capacity = capacity ? capacity * 2 : 32;                                               \
            grown = realloc(*out, capacity * sizeof *grown);                                       \
            if (grown == NULL)                                                                     \
                return ERROR_SYSTEM;                                                               \
            *out = grown;                                                                          \
        }                                                                                          \
        (*out)[(*count)++] = (summary_near){__VA_ARGS__};                                          \
    } while (0)
    for (k = 0; k < s->community_count; k++) {
        size_t c = res->order[k];
        for (g = 0; g < r->star_count; g++) {
            double boundary;
            if (r->stars[g].total_param < 0)
                continue;
            boundary = params_number(in->run.params, r->stars[g].total_param);
            if (fabs(res->totals[c] - boundary) <= margin)
                NEAR_ADD("stars", "community", s->communities[c].id, res->totals[c], boundary,
                         r->stars[g].stars);
        }
    }
    for (i = 0; i < in->run.result->outcome.check_count; i++) {
        const target_check *t = &in->run.result->outcome.checks[i];
        int ti = -1;
        double allowed;
        for (g = 0; g < r->target_count; g++)
            if (strcmp(r->targets[g].id, t->target_id) == 0)
                ti = (int)g;
        if (ti < 0 || strcmp(t->scope, "street") != 0 || isnan(t->actual))
            continue;
        allowed = r->targets[ti].count ? margin : margin / 100;
        if (fabs(t->actual - t->required) <= allowed)
            NEAR_ADD(t->target_id, t->scope, t->scope_id, t->actual, t->required, 0);
    }
#undef NEAR_ADD
    return ERROR_OK;
}

/* The near-threshold list under the ranking (eval --near MARGIN). */
static void write_near(const summary_input *in, buffer *out)
{
    summary_near *list = NULL;
    size_t count = 0, i;
    if (summary_near_list(in, in->near, &list, &count) != ERROR_OK) {
        out->failed = true;
        return;
    }
    buffer_printf(out,
                  "\n临界名单（距星级线 %g 分以内的社区，距目标 %g 个百分点或 %g "
                  "人以内的街道），发布前复核：\n",
                  in->near, in->near, in->near);
    if (count == 0)
        buffer_puts(out, "  无\n");
    for (i = 0; i < count; i++) {
        const summary_near *n = &list[i];
        if (strcmp(n->kind, "stars") == 0) {
            long c = snapshot_find_community(in->run.snapshot, n->scope_id);
            buffer_printf(out, "  社区 %s %s：总分 %.2f，%s线 %g（%+.2f）\n", n->scope_id,
                          c >= 0 ? in->run.snapshot->communities[c].name : "", n->value,
                          summary_stars_name(in->run.rules, n->stars), n->boundary,
                          n->value - n->boundary);
        } else {
            bool count_target = false;
            size_t t;
            for (t = 0; t < in->run.rules->target_count; t++)
                if (strcmp(in->run.rules->targets[t].id, n->kind) == 0)
                    count_target = in->run.rules->targets[t].count;
            if (count_target)
                buffer_printf(out, "  街道 %s %s（%s）：实际 %g，要求 %g（%+g）\n", n->scope_id,
                              target_name(in->run.rules, n->kind), n->kind, n->value, n->boundary,
                              n->value - n->boundary);
            else
                buffer_printf(out,
                              "  街道 %s %s（%s）：实际 %.1f%%，要求 %.1f%%（%+.1f 个百分点）\n",
                              n->scope_id, target_name(in->run.rules, n->kind), n->kind,
                              n->value * 100, n->boundary * 100, (n->value - n->boundary) * 100);
        }
    }
    free(list);
}

static void write_table(const summary_input *in, buffer *out)
{
    const rules *r = in->run.rules;
    const snapshot *s = in->run.snapshot;
    const eval_result *res = in->run.result;
    size_t name_width = column_width(s, offsetof(community, name), 8, 24);
    size_t id_width = column_width(s, offsetof(community, id), 8, 24);
    size_t street_width = column_width(s, offsetof(community, street_key), 9, 32);
    size_t k, i, c;
    size_t *star_counts = calloc(r->star_count + 1, sizeof *star_counts); /* last: unrated */
    size_t missing = 0, invalid = 0;
    char number[64];

    buffer_printf(out, "%s · 评估日期 %s · %zu 个社区 · %s（%zu 项指标，满分 %g）\n", s->region,
                  s->as_of, s->community_count, r->system_name ? r->system_name : "",
                  r->indicator_count, res->max_total);
    buffer_puts(out, "分类：");
    for (i = 0; i < r->category_count; i++)
        buffer_printf(out, "%s%s %s（%g分）", i ? "  " : "", r->categories[i].id,
                      r->categories[i].name ? r->categories[i].name : "", res->category_max[i]);
    buffer_puts(out, "\n\n");
    text_pad(out, "排名", 4, true);
    buffer_puts(out, "  ");
    text_pad(out, "社区编号", id_width, false);
    buffer_puts(out, "  ");
    text_pad(out, "社区名称", name_width, false);
    buffer_puts(out, "  ");
    text_pad(out, "区/街道", street_width, false);
    for (i = 0; i < r->category_count; i++) {
        buffer_puts(out, " ");
        text_pad(out, r->categories[i].id, 5, true);
    }
    buffer_puts(out, "  ");
    text_pad(out, "总分", 6, true);
    buffer_puts(out, "  星级\n");
    for (k = 0; k < s->community_count; k++) {
        c = res->order[k];
        snprintf(number, sizeof number, "%d", res->ranks[c]);
        text_pad(out, number, 4, true);
        buffer_puts(out, "  ");
        text_pad(out, s->communities[c].id, id_width, false);
        buffer_puts(out, "  ");
        text_pad(out, s->communities[c].name, name_width, false);
        buffer_puts(out, "  ");
        text_pad(out, s->communities[c].street_key, street_width, false);
        for (i = 0; i < r->category_count; i++) {
            snprintf(number, sizeof number, "%.1f",
                     res->category_points[c * res->category_count + i]);
            buffer_puts(out, " ");
            text_pad(out, number, 5, true);
        }
        snprintf(number, sizeof number, "%.2f", res->totals[c]);
        buffer_puts(out, "  ");
        text_pad(out, number, 6, true);
        buffer_printf(out, "  %s\n", summary_stars_name(r, res->stars[c]));
        for (i = 0; star_counts != NULL && i < r->star_count; i++)
            if (r->stars[i].stars == res->stars[c])
                break;
        if (star_counts != NULL)
            star_counts[i]++; /* i == star_count: below every grade */
        for (i = 0; i < res->indicator_count; i++) {
            unsigned char status = res->scores[c * res->indicator_count + i].status;
            missing += status == STATUS_MISSING;
            invalid += status == STATUS_INVALID;
        }
    }
    if (star_counts == NULL) {
        out->failed = true;
        return;
    }
    buffer_puts(out, "\n星级分布：");
    for (i = 0; i <= r->star_count; i++)
        buffer_printf(out, "%s%s %zu", i ? " · " : "",
                      i < r->star_count ? summary_stars_name(r, r->stars[i].stars)
                                        : summary_stars_name(r, 0),
                      star_counts[i]);
    buffer_puts(out, "\n");
    free(star_counts);
    buffer_printf(out, "数据状况：%zu 项指标缺少数据（0 分），%zu 项数据超出值域（0 分）\n",
                  missing, invalid);
    if (missing + invalid > 0)
        write_missing(in, out);
    write_outcome_summary(in, out);
    if (in->near > 0)
        write_near(in, out);
}

/* Writes one CSV field, quoted when needed. */
static void csv_field(buffer *out, const char *text, bool last)
{
    if (strpbrk(text, ",\"\r\n") != NULL) {
        buffer_puts(out, "\"");
        for (; *text; text++) {
            if (*text == '"')
                buffer_puts(out, "\"\"");
            else
                buffer_append(out, text, 1);
        }
        buffer_puts(out, "\"");
    } else {
        buffer_puts(out, text);
    }
    buffer_puts(out, last ? "\r\n" : ",");
}

static void write_csv(const summary_input *in, buffer *out)
{
    const rules *r = in->run.rules;
    const snapshot *s = in->run.snapshot;
    const eval_result *res = in->run.result;
    size_t k, i;
    char number[64];
    buffer_puts(out, "\xEF\xBB\xBF"); /* byte-order mark for Excel and WPS */
    buffer_puts(out, "rank,community_id,name,district,street");
    for (i = 0; i < r->category_count; i++)
        buffer_printf(out, ",%s_%s", r->categories[i].id,
                      r->categories[i].name ? r->categories[i].name : "");
    for (i = 0; i < r->indicator_count; i++)
        buffer_printf(out, ",%s", r->indicators[i].id);
    buffer_puts(out, ",total,stars\r\n");
    for (k = 0; k < s->community_count; k++) {
        size_t c = res->order[k];
        snprintf(number, sizeof number, "%d", res->ranks[c]);
        csv_field(out, number, false);
        csv_field(out, s->communities[c].id, false);
        csv_field(out, s->communities[c].name, false);
        csv_field(out, s->communities[c].district, false);
        csv_field(out, s->communities[c].street, false);
        for (i = 0; i < r->category_count; i++) {
            snprintf(number, sizeof number, "%.6f",
                     res->category_points[c * res->category_count + i]);
            csv_field(out, number, false);
        }
        for (i = 0; i < r->indicator_count; i++) {
            snprintf(number, sizeof number, "%.6f",
                     res->scores[c * res->indicator_count + i].points);
            csv_field(out, number, false);
        }
        snprintf(number, sizeof number, "%.6f", res->totals[c]);
        csv_field(out, number, false);
        snprintf(number, sizeof number, "%d", res->stars[c]);
        csv_field(out, number, true);
    }
}

static json_t *json_number_or_null(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static int write_json(const summary_input *in, buffer *out)
{
    const rules *r = in->run.rules;
    const snapshot *s = in->run.snapshot;
    const eval_result *res = in->run.result;
    json_t *root = json_object(), *list = json_array();
    const char *status_names[] = {"ok", "missing", "invalid"};
    char *text;
    size_t k, i;
    if (root == NULL || list == NULL) {
        json_decref(root);
        json_decref(list);
        return 0;
    }
    json_object_set_new(root, "region", json_string(s->region));
    json_object_set_new(root, "as_of", json_string(s->as_of));
    json_object_set_new(root, "snapshot_sha256", json_string(s->sha256));
    json_object_set_new(root, "rules_sha256", json_string(r->sha256));
    if (in->run_id > 0)
        json_object_set_new(root, "run_id", json_integer(in->run_id));
    for (k = 0; k < s->community_count; k++) {
        size_t c = res->order[k];
        json_t *item = json_object(), *categories = json_object(), *indicators = json_object();
        for (i = 0; i < r->category_count; i++)
            json_object_set_new(categories, r->categories[i].id,
                                json_real(res->category_points[c * res->category_count + i]));
        for (i = 0; i < r->indicator_count; i++) {
            const indicator_score *score = &res->scores[c * res->indicator_count + i];
            json_t *one = json_object();
            json_object_set_new(one, "value", json_number_or_null(score->value));
            json_object_set_new(one, "points", json_real(score->points));
            json_object_set_new(one, "max_points", json_real(score->max_points));
            json_object_set_new(one, "status", json_string(status_names[score->status]));
            json_object_set_new(indicators, r->indicators[i].id, one);
        }
        json_object_set_new(item, "rank", json_integer(res->ranks[c]));
        json_object_set_new(item, "community_id", json_string(s->communities[c].id));
        json_object_set_new(item, "name", json_string(s->communities[c].name));
        json_object_set_new(item, "district", json_string(s->communities[c].district));
        json_object_set_new(item, "street", json_string(s->communities[c].street));
        json_object_set_new(item, "total", json_real(res->totals[c]));
        json_object_set_new(item, "stars", json_integer(res->stars[c]));
        json_object_set_new(item, "categories", categories);
        json_object_set_new(item, "indicators", indicators);
        json_array_append_new(list, item);
    }
    json_object_set_new(root, "communities", list);
    {
        const outcome *o = &in->run.result->outcome;
        json_t *checks = json_array(), *flags = json_object(), *departments = json_array();
        for (k = 0; k < o->check_count; k++) {
            const target_check *c = &o->checks[k];
            json_t *one = json_object();
            json_object_set_new(one, "target", json_string(c->target_id));
            json_object_set_new(one, "scope", json_string(c->scope));
            json_object_set_new(one, "scope_id", json_string(c->scope_id));
            json_object_set_new(one, "required", json_real(c->required));
            json_object_set_new(one, "actual", json_number_or_null(c->actual));
            json_object_set_new(one, "met", json_boolean(c->met));
            json_array_append_new(checks, one);
        }
        for (k = 0; k < o->appraisal_count; k++) {
            const char *flag = o->appraisals[k].flag;
            if (flag != NULL)
                json_object_set_new(
                    flags, flag,
                    json_integer(json_integer_value(json_object_get(flags, flag)) + 1));
        }
        for (k = 0; k < o->department_count; k++) {
            const department_stat *d = &o->departments[k];
            json_t *one = json_object();
            json_object_set_new(one, "department", json_string(d->department));
            json_object_set_new(one, "tasks", json_integer(d->tasks));
            json_object_set_new(one, "admitted", json_integer(d->admitted));
            json_object_set_new(one, "rejected", json_integer(d->rejected));
            json_object_set_new(one, "review", json_integer(d->review));
            json_array_append_new(departments, one);
        }
        json_object_set_new(root, "target_checks", checks);
        json_object_set_new(root, "worker_flags", flags);
        json_object_set_new(root, "workers_appraised",
                            json_integer((json_int_t)o->appraisal_count));
        json_object_set_new(root, "departments", departments);
    }
    if (in->near > 0) {
        summary_near *near_list = NULL;
        size_t near_count = 0;
        json_t *near = json_array();
        if (summary_near_list(in, in->near, &near_list, &near_count) != ERROR_OK) {
            json_decref(near);
            json_decref(root);
            return 0;
        }
        for (k = 0; k < near_count; k++)
            json_array_append_new(
                near, json_pack("{s:s,s:s,s:s,s:f,s:f}", "kind", near_list[k].kind, "scope",
                                near_list[k].scope, "scope_id", near_list[k].scope_id, "value",
                                near_list[k].value, "boundary", near_list[k].boundary));
        free(near_list);
        json_object_set_new(root, "near_threshold", near);
    }
    text = jsontext_dump(root, JSON_INDENT(1) | JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text == NULL)
        return 0;
    buffer_puts(out, text);
    buffer_puts(out, "\n");
    free(text);
    return 1;
}

int summary_write(const summary_input *in, summary_format format, buffer *out)
{
    switch (format) {
    case SUMMARY_TABLE:
        write_table(in, out);
        break;
    case SUMMARY_CSV:
        write_csv(in, out);
        break;
    case SUMMARY_JSON:
        if (!write_json(in, out))
            return ERROR_SYSTEM;
        break;
    }
    return buffer_failed(out) ? ERROR_SYSTEM : ERROR_OK;
}
