/*
** explain.c — explanations of scores, flags and decisions (explain.h).
*/
#include "explain.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "jsontext.h"
#include "summary.h"
#include "text.h"

static const char *status_label(unsigned char status)
{
    return status == STATUS_OK ? "正常" : status == STATUS_MISSING ? "缺失" : "无效";
}

static const char *status_name(unsigned char status)
{
    return status == STATUS_OK ? "ok" : status == STATUS_MISSING ? "missing" : "invalid";
}

/* Name of the parameter behind a reference, or NULL. */
static const char *ref_param_name(const rules_ref *ref, const params *ps)
{
    return ref->param >= 0 ? ps->items[ref->param].name : NULL;
}

static bool is_ratio_unit(const indicator *ind)
{
    return ind->unit != NULL && strcmp(ind->unit, "比例") == 0;
}

/* Writes a number the way the unit suggests (ratios as percentages). */
static void number_text(char *out, size_t size, double x, const indicator *ind)
{
    if (isnan(x))
        snprintf(out, size, "无");
    else if (is_ratio_unit(ind))
        snprintf(out, size, "%.1f%%", x * 100);
    else if (x == floor(x) && fabs(x) < 1e12)
        snprintf(out, size, "%.0f%s", x, ind->unit ? ind->unit : "");
    else
        snprintf(out, size, "%.2f%s", x, ind->unit ? ind->unit : "");
}

/* The check that made a status other than ok, in words, with the numbers
** it compared. */
static void status_reason(buffer *out, const indicator *ind, const double *columns,
                          const params *ps, double epsilon)
{
    size_t i;
    const double *inputs = columns + 1;
    static const char *const ops[] = {"为空", "<", "<=", ">", ">=", "=", "!="};
    for (i = 0; i < ind->check_count; i++) {
        const indicator_check *c = &ind->checks[i];
        double x = inputs[c->lhs], y;
        if (c->op == OP_NULL) {
            if (isnan(x)) {
                buffer_puts(out, c->text);
                return;
            }
            continue;
        }
        y = c->rhs_kind == RHS_PARAM   ? params_number(ps, c->param)
            : c->rhs_kind == RHS_INPUT ? inputs[c->input]
                                       : c->number;
        if (!isnan(x) && !isnan(y) && eval_compare(x, c->op, y, epsilon)) {
            buffer_printf(out, "%s（%s = %g %s %g）", c->text, ind->input_names[c->lhs], x,
                          ops[c->op], y);
            return;
        }
    }
    buffer_puts(out, "取值无法计算（分母为零）");
}

/* "再增加 5 家备案社会组织可得满分" and the like, or "" at full points.
** Returns the signed distance to full points (NaN when not ok). */
static double gap_text(const indicator *ind, const indicator_score *score, double a, double b,
                       double epsilon, char *out, size_t size)
{
    double x = score->value, full, need;
    const char *what = ind->hint != NULL ? ind->hint : (ind->unit ? ind->unit : "");
    out[0] = '\0';
    if (score->status != STATUS_OK)
        return NAN;
    if (eval_compare(score->points, OP_GE, score->max_points, epsilon)) {
        snprintf(out, size, "已得满分");
        return 0;
    }
    full = ind->score == SCORE_LIN ? b : a;
    need = full - x;
    if (is_ratio_unit(ind)) {
        snprintf(out, size, "%s %.1f 个百分点可得满分（满分需 %.1f%%）",
                 need > 0 ? "再提高" : "再降低", fabs(need) * 100, full * 100);
    } else if (full == floor(full) && x == floor(x)) {
        snprintf(out, size, "%s %.0f %s可得满分", need > 0 ? "再增加" : "再减少", fabs(need), what);
    } else {
        snprintf(out, size, "%s %.2f %s可得满分（满分需 %g）", need > 0 ? "再增加" : "再减少",
                 fabs(need), ind->unit ? ind->unit : "", full);
    }
    return need;
}

/* The scoring function in words, e.g. "lin(5 → 10)：…（A06.from = 5，A06.to = 10）". */
static void score_text(buffer *out, const indicator *ind, const params *ps, int year, double a,
                       double b)
{
    const char *pa = ref_param_name(&ind->score_args[0], ps);
    const char *pb = ref_param_name(&ind->score_args[1], ps);
    char ta[64], tb[64];
    number_text(ta, sizeof ta, a, ind);
    number_text(tb, sizeof tb, b, ind);
    (void)year;
    if (ind->score == SCORE_LIN) {
        if (a < b)
            buffer_printf(out, "lin(%g → %g)：%s 及以下 0 分，%s 及以上满分，之间按比例", a, b, ta,
                          tb);
        else
            buffer_printf(out, "lin(%g → %g)：越少越好，%s 及以上 0 分，%s 及以下满分，之间按比例",
                          a, b, ta, tb);
        buffer_printf(out, "（%s = %g，%s = %g）", pa ? pa : "from", a, pb ? pb : "to", b);
    } else if (ind->score_args[0].kind == REF_SCHEDULE) {
        buffer_printf(out, "ratio(%g)：达到当年要求 %s 满分，不足按比例（%s 插值）", a, ta,
                      pa ? pa : "schedule");
    } else {
        buffer_printf(out, "ratio(%g)：达到 %s 满分，不足按比例（%s = %g）", a, ta,
                      pa ? pa : "target", a);
    }
}

int explain_community(const eval_run *in, const char *community_id, const char *indicator_id,
                      bool json, buffer *out, error *e)
{
    const rules *r = in->rules;
    const snapshot *s = in->snapshot;
    const eval_result *res = in->result;
    double epsilon = eval_epsilon(in->params);
    long c = snapshot_find_community(s, community_id);
    int only = -1;
    size_t i, k;
    json_t *root = NULL, *list = NULL;
    if (c < 0) {
        /* Staff know communities by name: a name that is one community's
        ** is as good as its id; one that is several lists them. */
        size_t found = 0;
        buffer which;
        buffer_init(&which);
        for (i = 0; i < s->community_count; i++)
            if (strcmp(s->communities[i].name, community_id) == 0) {
                buffer_printf(&which, "%s%s（%s %s）", found ? "、" : "", s->communities[i].id,
                              s->communities[i].district, s->communities[i].street);
                c = found++ == 0 ? (long)i : c;
            }
        if (found > 1) {
            int status =
                error_set(e, ERROR_INPUT, "%s: %zu communities are named '%s': %s; give the id",
                          s->path, found, community_id, buffer_text(&which));
            buffer_free(&which);
            return status;
        }
        buffer_free(&which);
    }
    if (c < 0)
        return error_set(e, ERROR_INPUT,
                         "%s: no community '%s' in table communities (an id, or "
                         "a community's name)",
                         s->path, community_id);
    if (indicator_id != NULL) {
        only = rules_find_indicator(r, indicator_id);
        if (only < 0) {
            const char *names[256];
            const char *best;
            for (i = 0; i < r->indicator_count && i < 256; i++)
                names[i] = r->indicators[i].id;
            best = text_suggest(indicator_id, names, i);
            return error_set(e, ERROR_INPUT, "no indicator '%s'%s%s%s", indicator_id,
                             best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
        }
    }
    if (json) {
        root = json_object();
        list = json_array();
        json_object_set_new(root, "community_id", json_string(s->communities[c].id));
        json_object_set_new(root, "name", json_string(s->communities[c].name));
        json_object_set_new(root, "district", json_string(s->communities[c].district));
        json_object_set_new(root, "street", json_string(s->communities[c].street));
        json_object_set_new(root, "total", json_real(res->totals[c]));
        json_object_set_new(root, "stars", json_integer(res->stars[c]));
        json_object_set_new(root, "rank", json_integer(res->ranks[c]));
    } else {
        buffer_printf(out, "%s %s（%s）：总分 %.2f / %g，%s，排名 %d / %zu\n", s->communities[c].id,
                      s->communities[c].name, s->communities[c].street_key, res->totals[c],
                      res->max_total, summary_stars_name(r, res->stars[c]), res->ranks[c],
                      s->community_count);
    }
    for (i = 0; i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        const indicator_score *score = &res->scores[(size_t)c * res->indicator_count + i];
        const indicator_data *d = &in->data->indicators[i];
        const double *columns = &d->columns[(size_t)c * d->stride];
        double a = rules_ref_value(&ind->score_args[0], in->params, s->year);
        double b = rules_ref_value(&ind->score_args[1], in->params, s->year);
        char value[64], gap[256];
        buffer score_line;
        if (only >= 0 && (int)i != only)
            continue;
        number_text(value, sizeof value, score->value, ind);
        gap_text(ind, score, a, b, epsilon, gap, sizeof gap);
        buffer_init(&score_line);
        score_text(&score_line, ind, in->params, s->year, a, b);
        if (json) {
            json_t *one = json_object(), *inputs = json_object();
            for (k = 0; k < ind->input_count; k++)
                json_object_set_new(
                    inputs, ind->input_names[k],
                    json_pack("{s:o,s:s}", "value",
                              isnan(columns[1 + k]) ? json_null() : json_real(columns[1 + k]),
                              "from", ind->input_describe[k] ? ind->input_describe[k] : ""));
            json_object_set_new(one, "id", json_string(ind->id));
            json_object_set_new(one, "name", json_string(ind->name ? ind->name : ""));
            json_object_set_new(one, "category", json_string(ind->category ? ind->category : ""));
            json_object_set_new(one, "status", json_string(status_name(score->status)));
            json_object_set_new(one, "value",
                                isnan(score->value) ? json_null() : json_real(score->value));
            json_object_set_new(one, "points", json_real(score->points));
            json_object_set_new(one, "max_points", json_real(score->max_points));
            json_object_set_new(one, "inputs", inputs);
            json_object_set_new(one, "scoring", json_string(buffer_text(&score_line)));
            json_object_set_new(one, "source",
                                ind->source ? json_string(ind->source) : json_null());
            if (score->status != STATUS_OK) {
                buffer reason;
                buffer_init(&reason);
                status_reason(&reason, ind, columns, in->params, epsilon);
                json_object_set_new(one, "reason", json_string(buffer_text(&reason)));
                buffer_free(&reason);
            } else
                json_object_set_new(one, "gap", json_string(gap));
            json_object_set_new(one, "defined_at", json_sprintf("%s:%d", ind->file, ind->line));
            json_array_append_new(list, one);
        } else {
            buffer_printf(out, "\n%s %s（%s）  %.2f / %g 分  %s\n", ind->id, ind->name,
                          ind->category_index >= 0 ? r->categories[ind->category_index].name : "",
                          score->points, score->max_points, status_label(score->status));
            buffer_puts(out, "  输入：");
            for (k = 0; k < ind->input_count; k++) {
                char input[64];
                if (isnan(columns[1 + k]))
                    snprintf(input, sizeof input, "空（未填报）");
                else
                    snprintf(input, sizeof input, "%g", columns[1 + k]);
                buffer_printf(out, "%s%s = %s  ← %s\n", k ? "        " : "", ind->input_names[k],
                              input, ind->input_describe[k] ? ind->input_describe[k] : "");
            }
            if (score->status == STATUS_OK)
                buffer_printf(out, "  取值：%s\n", value);
            else {
                buffer_printf(out, "  取值：无（%s：", status_label(score->status));
                status_reason(out, ind, columns, in->params, epsilon);
                buffer_puts(out, " → 0 分）\n");
            }
            buffer_printf(out, "  评分：%s\n", buffer_text(&score_line));
            buffer_printf(out, "  出处：%s（%s:%d）\n", ind->source ? ind->source : "（未注明）",
                          ind->file, ind->line);
            if (gap[0] != '\0')
                buffer_printf(out, "  差距：%s\n", gap);
        }
        buffer_free(&score_line);
    }
    if (json) {
        char *text;
        json_object_set_new(root, "indicators", list);
        text = jsontext_dump(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        json_decref(root);
        if (text == NULL)
            return error_set(e, ERROR_SYSTEM, "out of memory");
        buffer_printf(out, "%s\n", text);
        free(text);
    }
    return buffer_failed(out) ? error_set(e, ERROR_SYSTEM, "out of memory") : ERROR_OK;
}

int explain_worker(const eval_run *in, const char *worker_id, bool json, buffer *out, error *e)
{
    const rules *r = in->rules;
    const snapshot *s = in->snapshot;
    const appraisal_rule *a = &r->appraisal;
    const appraisal_data *d = &in->data->appraisal;
    const outcome *o = &in->result->outcome;
    double epsilon = eval_epsilon(in->params);
    const worker_appraisal *w = NULL;
    size_t i, k, m = a->component_count, group_size = 0, index = 0;
    long c;
    double ratio, weighted = 0;
    long cut;
    bool weights_known = true;
    buffer why;
    char group_label[512];
    for (i = 0; i < o->appraisal_count; i++)
        if (strcmp(o->appraisals[i].worker_id, worker_id) == 0) {
            w = &o->appraisals[i];
            index = i;
        }
    if (w == NULL)
        return error_set(e, ERROR_INPUT,
                         "%s: no appraised worker '%s' (only active workers are appraised)",
                         s->path, worker_id);
    c = snapshot_find_community(s, w->community_id);
    for (i = 0; i < o->appraisal_count; i++) {
        long ci = snapshot_find_community(s, o->appraisals[i].community_id);
        bool same = a->group == SCOPE_REGION ? true
                    : a->group == SCOPE_DISTRICT
                        ? s->community_district[ci] == s->community_district[c]
                    : a->group == SCOPE_STREET ? s->community_street[ci] == s->community_street[c]
                                               : ci == c;
        if (same && !isnan(o->appraisals[i].score))
            group_size++;
    }
    snprintf(group_label, sizeof group_label, "%s",
             a->group == SCOPE_REGION     ? s->region
             : a->group == SCOPE_DISTRICT ? s->communities[c].district
             : a->group == SCOPE_STREET   ? s->communities[c].street_key
                                          : s->communities[c].id);
    ratio = a->bottom_ratio_param >= 0 ? params_number(in->params, a->bottom_ratio_param) : 0;
    cut = (long)fmax(0, ceil(ratio * (double)group_size - epsilon));
    buffer_init(&why);
    if (w->flag == NULL) {
        buffer_printf(&why, "未标记：不低于底线，排名 %d 在末位 %ld 名之外", w->rank, cut);
    } else if (strcmp(w->flag, "no_score") == 0) {
        buffer_puts(&why, "缺少考核分数：");
        for (k = 0; k < m; k++)
            if (isnan(d->components[index * m + k]))
                buffer_printf(&why, "%s 为空 ", a->components[k]);
        buffer_puts(&why, "（任一为空则不计分，不参加排名）");
    } else {
        bool any = false;
        for (k = 0; k < a->floor_count; k++) {
            const appraisal_floor *f = &a->floors[k];
            double x =
                f->column == 0 ? d->score[index] : d->components[index * m + (size_t)f->column - 1];
            double floor_value = f->param >= 0 ? params_number(in->params, f->param) : 0;
            if (x < floor_value - epsilon) {
                buffer_printf(&why, "%s%s %.2f 低于底线 %g（%s）", any ? "；" : "",
                              f->column == 0 ? "考核得分" : f->name, x, floor_value,
                              f->param >= 0 ? in->params->items[f->param].name : "");
                any = true;
            }
        }
        if (strcmp(w->flag, "bottom_ratio") == 0)
            buffer_printf(&why,
                          "%s在%s内得分由低到高排第 %d 名，共 %zu 人，末位比例 %g → 末 %ld "
                          "名（ceil(%g × %zu)）",
                          any ? "；" : "", group_label, w->rank, group_size, ratio, cut, ratio,
                          group_size);
    }
    if (json) {
        json_t *root = json_object(), *components = json_object();
        char *text;
        for (k = 0; k < m; k++)
            json_object_set_new(components, a->components[k],
                                isnan(d->components[index * m + k])
                                    ? json_null()
                                    : json_real(d->components[index * m + k]));
        json_object_set_new(root, "worker_id", json_string(w->worker_id));
        json_object_set_new(root, "community_id", json_string(w->community_id));
        json_object_set_new(root, "group", json_string(group_label));
        json_object_set_new(root, "components", components);
        json_object_set_new(root, "score", isnan(w->score) ? json_null() : json_real(w->score));
        json_object_set_new(root, "rank", w->rank > 0 ? json_integer(w->rank) : json_null());
        json_object_set_new(root, "group_size", json_integer((json_int_t)group_size));
        json_object_set_new(root, "bottom_count", json_integer(cut));
        json_object_set_new(root, "flag", w->flag ? json_string(w->flag) : json_null());
        json_object_set_new(root, "why", json_string(buffer_text(&why)));
        text = jsontext_dump(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        json_decref(root);
        if (text != NULL) {
            buffer_printf(out, "%s\n", text);
            free(text);
        }
    } else {
        buffer_printf(out, "社工 %s（社区 %s %s，%s）\n", w->worker_id, w->community_id,
                      s->communities[c].name, group_label);
        buffer_puts(out, "  考核分项：");
        for (k = 0; k < m; k++) {
            double x = d->components[index * m + k];
            /* The rules say which parameter weighs it (appraisal weights). */
            int weight = a->weight_params != NULL ? a->weight_params[k] : -1;
            if (isnan(x))
                buffer_printf(out, "%s%s 空", k ? "；" : "", a->components[k]);
            else if (weight >= 0) {
                double wv = params_number(in->params, weight);
                buffer_printf(out, "%s%s %.2f × %g = %.2f", k ? "；" : "", a->components[k], x, wv,
                              x * wv);
                weighted += x * wv;
            } else {
                buffer_printf(out, "%s%s %.2f", k ? "；" : "", a->components[k], x);
                weights_known = false;
            }
        }
        buffer_puts(out, "\n");
        if (!isnan(w->score)) {
            buffer_printf(out, "  考核得分：%.2f", w->score);
            if (weights_known && fabs(w->score - weighted) > epsilon)
                buffer_printf(out, "（加权 %.2f，持证加分或封顶 %+.2f）", weighted,
                              w->score - weighted);
            buffer_printf(out, "\n  排名：%s内由低到高第 %d 名，共 %zu 人\n", group_label, w->rank,
                          group_size);
        } else {
            buffer_puts(out, "  考核得分：无\n");
        }
        buffer_printf(out, "  标记：%s\n  原因：%s\n", w->flag ? w->flag : "无", buffer_text(&why));
    }
    buffer_free(&why);
    return buffer_failed(out) ? error_set(e, ERROR_SYSTEM, "out of memory") : ERROR_OK;
}

int explain_task(const eval_run *in, const char *task_id, bool json, buffer *out, error *e)
{
    const snapshot *s = in->snapshot;
    sqlite3_stmt *select = NULL;
    admit_task task;
    int status;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT title, detail, department, approval_ref, funded, staffed, "
                           "community_id, received_on FROM tasks WHERE id = ?1",
                           -1, &select, NULL) != SQLITE_OK)
        return error_set(e, ERROR_INPUT, "%s: cannot read tasks: %s", s->path,
                         sqlite3_errmsg(s->db));
    sqlite3_bind_text(select, 1, task_id, -1, SQLITE_STATIC);
    if (sqlite3_step(select) != SQLITE_ROW) {
        sqlite3_finalize(select);
        return error_set(e, ERROR_INPUT, "%s: no task '%s' in table tasks", s->path, task_id);
    }
    memset(&task, 0, sizeof task);
    task.title = (const char *)sqlite3_column_text(select, 0);
    task.detail = (const char *)sqlite3_column_text(select, 1);
    task.department = (const char *)sqlite3_column_text(select, 2);
    task.approval_ref = (const char *)sqlite3_column_text(select, 3);
    task.funded =
        sqlite3_column_type(select, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(select, 4);
    task.staffed =
        sqlite3_column_type(select, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(select, 5);
    if (!json)
        buffer_printf(out,
                      "事项 %s（社区 %s，%s，%s 收到）\n标题：%s\n详情：%s\n经费：%s；人员：%s；"
                      "审批文号：%s\n",
                      task_id, (const char *)sqlite3_column_text(select, 6), task.department,
                      (const char *)sqlite3_column_text(select, 7), task.title,
                      task.detail ? task.detail : "（无）",
                      task.funded == 1   ? "随附"
                      : task.funded == 0 ? "未随附"
                                         : "未填报",
                      task.staffed == 1   ? "随附"
                      : task.staffed == 0 ? "未随附"
                                          : "未填报",
                      task.approval_ref ? task.approval_ref : "（无）");
    status = admit_try(in->rules, in->params, &task, json, out, e);
    sqlite3_finalize(select);
    return status;
}
