/*
** report.c — the eval report of report.h.
*/
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *report_stars_name(int stars)
{
    switch (stars) {
    case 5:
        return "五星";
    case 4:
        return "四星";
    case 3:
        return "三星";
    case 2:
        return "二星";
    case 1:
        return "一星";
    default:
        return "未评级";
    }
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

static void write_table(const report_input *in, buffer *out)
{
    const rules *r = in->rules;
    const snapshot *s = in->snapshot;
    const eval_result *res = in->scores;
    size_t name_width = column_width(s, offsetof(community, name), 8, 24);
    size_t id_width = column_width(s, offsetof(community, id), 8, 24);
    size_t street_width = column_width(s, offsetof(community, street_key), 9, 32);
    size_t k, i, c;
    int star_counts[6] = {0};
    size_t missing = 0, invalid = 0;
    char number[64];

    buffer_printf(out, "%s · 评估日期 %s · %zu 个社区 · %s（%zu 项指标，满分 %g）\n",
                  s->region, s->as_of, s->community_count,
                  r->system_name ? r->system_name : "", r->indicator_count, res->max_total);
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
        buffer_printf(out, "  %s\n", report_stars_name(res->stars[c]));
        if (res->stars[c] >= 0 && res->stars[c] <= 5)
            star_counts[res->stars[c]]++;
        for (i = 0; i < res->indicator_count; i++) {
            unsigned char status = res->scores[c * res->indicator_count + i].status;
            missing += status == STATUS_MISSING;
            invalid += status == STATUS_INVALID;
        }
    }
    buffer_printf(out, "\n星级分布：五星 %d · 四星 %d · 三星 %d · 二星 %d · 未评级 %d\n",
                  star_counts[5], star_counts[4], star_counts[3], star_counts[2],
                  star_counts[0] + star_counts[1]);
    buffer_printf(out, "数据状况：%zu 项指标缺少数据（0 分），%zu 项数据超出值域（0 分）\n",
                  missing, invalid);
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

static void write_csv(const report_input *in, buffer *out)
{
    const rules *r = in->rules;
    const snapshot *s = in->snapshot;
    const eval_result *res = in->scores;
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

static int write_json(const report_input *in, buffer *out)
{
    const rules *r = in->rules;
    const snapshot *s = in->snapshot;
    const eval_result *res = in->scores;
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
    text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text == NULL)
        return 0;
    buffer_puts(out, text);
    buffer_puts(out, "\n");
    free(text);
    return 1;
}

int report_write(const report_input *in, report_format format, buffer *out)
{
    switch (format) {
    case REPORT_TABLE:
        write_table(in, out);
        break;
    case REPORT_CSV:
        write_csv(in, out);
        break;
    case REPORT_JSON:
        if (!write_json(in, out))
            return 0;
        break;
    }
    return !buffer_failed(out);
}
