/*
** export.c — a run of a results database as an .xlsx workbook (export.h),
** written with libxlsxwriter in constant-memory mode (rows are streamed to
** a temporary file, so a 10,000-community run does not sit in memory).
**
** Each sheet is read twice: once to size the columns and count the rows,
** once to write them (constant-memory mode needs column widths before the
** first row). Titles of columns that the results share with the snapshot
** (community_id, name, district, ...) come from import.c's table, so there is
** one Chinese name per concept.
*/
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "buffer.h"
#include "import.h"
#include "publish.h"
#include "results_schema.h"
#include "sqlitefile.h"
#include "text.h"

/* Excel's limit on the characters of one cell. */
#define CELL_CHARS_MAX 32767
/* Column widths, in characters. */
#define WIDTH_MIN 6
#define WIDTH_MAX 60

/* How a column's numbers are shown. */
typedef enum {
    FORMAT_DEFAULT, /* by the value: whole numbers as 0, others as Excel's General */
    FORMAT_POINTS,  /* 0.00 */
    FORMAT_INTEGER, /* 0 */
    FORMAT_MEASURED /* 0.0% when the row's unit or measure is a ratio, else 0 or 0.00 */
} format_kind;

/* One results column: its Chinese title (or the snapshot column it shares
** its title with) and its number format. */
typedef struct export_column {
    const char *table;
    const char *column;
    const char *title; /* NULL: import_column_title(same_table, same_column) */
    const char *same_table;
    const char *same_column;
    format_kind format;
} export_column;

static const export_column export_columns[] = {
    {"runs", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"runs", "started_at", "开始时间", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "finished_at", "结束时间", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "engine_version", "引擎版本", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "snapshot_sha256", "快照校验值", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "rules_sha256", "规则校验值", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "as_of", "评估基准日", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "params", "参数", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "region", "地区", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "snapshot_path", "快照文件", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "rules_root", "规则目录", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "kind", "运行类型", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "scenario", "情景", NULL, NULL, FORMAT_DEFAULT},
    {"runs", "baseline_run_id", "基准运行编号", NULL, NULL, FORMAT_INTEGER},
    {"runs", "communities", "社区数", NULL, NULL, FORMAT_INTEGER},
    {"indicator_scores", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"indicator_scores", "community_id", NULL, "communities", "id", FORMAT_DEFAULT},
    {"indicator_scores", "indicator_id", "指标编号", NULL, NULL, FORMAT_DEFAULT},
    {"indicator_scores", "value", "测量值", NULL, NULL, FORMAT_MEASURED},
    {"indicator_scores", "points", "得分", NULL, NULL, FORMAT_POINTS},
    {"indicator_scores", "max_points", "满分", NULL, NULL, FORMAT_POINTS},
    {"indicator_scores", "status", "状态", NULL, NULL, FORMAT_DEFAULT},
    {"community_scores", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"community_scores", "community_id", NULL, "communities", "id", FORMAT_DEFAULT},
    {"community_scores", "total", "总分", NULL, NULL, FORMAT_POINTS},
    {"community_scores", "stars", "星级", NULL, NULL, FORMAT_INTEGER},
    {"community_scores", "rank", "排名", NULL, NULL, FORMAT_INTEGER},
    {"category_scores", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"category_scores", "community_id", NULL, "communities", "id", FORMAT_DEFAULT},
    {"category_scores", "category_id", "类别编号", NULL, NULL, FORMAT_DEFAULT},
    {"category_scores", "points", "得分", NULL, NULL, FORMAT_POINTS},
    {"category_scores", "max_points", "满分", NULL, NULL, FORMAT_POINTS},
    {"target_checks", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"target_checks", "target_id", "目标编号", NULL, NULL, FORMAT_DEFAULT},
    {"target_checks", "scope", "范围", NULL, NULL, FORMAT_DEFAULT},
    {"target_checks", "scope_id", "范围编号", NULL, NULL, FORMAT_DEFAULT},
    {"target_checks", "required", "要求值", NULL, NULL, FORMAT_MEASURED},
    {"target_checks", "actual", "实际值", NULL, NULL, FORMAT_MEASURED},
    {"target_checks", "met", "是否达标", NULL, NULL, FORMAT_INTEGER},
    {"worker_appraisals", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"worker_appraisals", "worker_id", NULL, "workers", "id", FORMAT_DEFAULT},
    {"worker_appraisals", "community_id", NULL, "communities", "id", FORMAT_DEFAULT},
    {"worker_appraisals", "score", "考核得分", NULL, NULL, FORMAT_POINTS},
    {"worker_appraisals", "rank", "街道内排名", NULL, NULL, FORMAT_INTEGER},
    {"worker_appraisals", "flag", "标记", NULL, NULL, FORMAT_DEFAULT},
    {"task_decisions", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"task_decisions", "task_id", NULL, "tasks", "id", FORMAT_DEFAULT},
    {"task_decisions", "decision", "准入结论", NULL, NULL, FORMAT_DEFAULT},
    {"task_decisions", "rule_id", "依据条目", NULL, NULL, FORMAT_DEFAULT},
    {"task_decisions", "reason", "理由", NULL, NULL, FORMAT_DEFAULT},
    {"department_stats", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"department_stats", "department", NULL, "tasks", "department", FORMAT_DEFAULT},
    {"department_stats", "tasks", "事项数", NULL, NULL, FORMAT_INTEGER},
    {"department_stats", "admitted", "准入数", NULL, NULL, FORMAT_INTEGER},
    {"department_stats", "rejected", "拒绝数", NULL, NULL, FORMAT_INTEGER},
    {"department_stats", "review", "复核数", NULL, NULL, FORMAT_INTEGER},
    {"run_communities", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_communities", "community_id", NULL, "communities", "id", FORMAT_DEFAULT},
    {"run_communities", "name", NULL, "communities", "name", FORMAT_DEFAULT},
    {"run_communities", "district", NULL, "communities", "district", FORMAT_DEFAULT},
    {"run_communities", "street", NULL, "communities", "street", FORMAT_DEFAULT},
    {"run_indicators", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_indicators", "indicator_id", "指标编号", NULL, NULL, FORMAT_DEFAULT},
    {"run_indicators", "name", "指标名称", NULL, NULL, FORMAT_DEFAULT},
    {"run_indicators", "category_id", "类别编号", NULL, NULL, FORMAT_DEFAULT},
    {"run_indicators", "unit", "单位", NULL, NULL, FORMAT_DEFAULT},
    {"run_indicators", "max_points", "满分", NULL, NULL, FORMAT_POINTS},
    {"run_indicators", "source", "政策依据", NULL, NULL, FORMAT_DEFAULT},
    {"run_categories", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_categories", "category_id", "类别编号", NULL, NULL, FORMAT_DEFAULT},
    {"run_categories", "name", "类别名称", NULL, NULL, FORMAT_DEFAULT},
    {"run_categories", "max_points", "满分", NULL, NULL, FORMAT_POINTS},
    {"run_targets", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_targets", "target_id", "目标编号", NULL, NULL, FORMAT_DEFAULT},
    {"run_targets", "name", "目标名称", NULL, NULL, FORMAT_DEFAULT},
    {"run_targets", "measure", "计量方式", NULL, NULL, FORMAT_DEFAULT},
    {"run_targets", "unit", "单位", NULL, NULL, FORMAT_DEFAULT},
    {"run_targets", "source", "政策依据", NULL, NULL, FORMAT_DEFAULT},
    {"run_target_rules", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_target_rules", "target_id", "目标编号", NULL, NULL, FORMAT_DEFAULT},
    {"run_target_rules", "position", "顺序", NULL, NULL, FORMAT_INTEGER},
    {"run_target_rules", "scopes", "检查范围", NULL, NULL, FORMAT_DEFAULT},
    {"run_target_rules", "required_kind", "要求值来源", NULL, NULL, FORMAT_DEFAULT},
    {"run_target_rules", "required_param", "要求值参数", NULL, NULL, FORMAT_DEFAULT},
    {"run_star_grades", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_star_grades", "stars", "星级", NULL, NULL, FORMAT_INTEGER},
    {"run_star_grades", "position", "顺序", NULL, NULL, FORMAT_INTEGER},
    {"run_star_grades", "name", "星级名称", NULL, NULL, FORMAT_DEFAULT},
    {"run_star_grades", "threshold", "最低总分", NULL, NULL, FORMAT_POINTS},
    {"run_star_grades", "threshold_param", "最低总分参数", NULL, NULL, FORMAT_DEFAULT},
    {"run_star_grades", "conditions", "其他条件", NULL, NULL, FORMAT_DEFAULT},
    {"run_rules", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_rules", "system_name", "指标体系", NULL, NULL, FORMAT_DEFAULT},
    {"run_rules", "total", "满分", NULL, NULL, FORMAT_POINTS},
    {"run_rules", "epsilon", "比较容差", NULL, NULL, FORMAT_DEFAULT},
    {"run_rules", "unrated", "未达任何星级的名称", NULL, NULL, FORMAT_DEFAULT},
    {"run_rules", "appraisal_scope", "考核排名范围", NULL, NULL, FORMAT_DEFAULT},
    {"run_rules", "bottom_ratio", "末位比例", NULL, NULL, FORMAT_DEFAULT},
    {"run_rules", "floors", "底线", NULL, NULL, FORMAT_DEFAULT},
    {"run_params", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_params", "name", "参数名", NULL, NULL, FORMAT_DEFAULT},
    {"run_params", "type", "类型", NULL, NULL, FORMAT_DEFAULT},
    {"run_params", "value", "取值", NULL, NULL, FORMAT_DEFAULT},
    {"run_params", "description", "说明", NULL, NULL, FORMAT_DEFAULT},
    {"run_params", "unit", "单位", NULL, NULL, FORMAT_DEFAULT},
    {"run_labels", "run_id", "运行编号", NULL, NULL, FORMAT_INTEGER},
    {"run_labels", "kind", "类别", NULL, NULL, FORMAT_DEFAULT},
    {"run_labels", "code", "代码", NULL, NULL, FORMAT_DEFAULT},
    {"run_labels", "text", "名称", NULL, NULL, FORMAT_DEFAULT},
};

#define EXPORT_COLUMN_COUNT (sizeof export_columns / sizeof export_columns[0])

/* One worksheet: the table it shows and the sheet's Chinese name. */
typedef struct export_sheet {
    const char *table;
    const char *name;  /* the sheet is "<name> <table>" (at most 31 characters) */
    const char *order; /* ORDER BY over alias t; NULL: the primary key */
} export_sheet;

static const export_sheet export_sheets[] = {
    {"runs", "运行记录", NULL},
    {"indicator_scores", "指标得分", NULL},
    {"community_scores", "社区总分", "t.\"rank\", t.community_id"},
    {"category_scores", "类别得分", NULL},
    {"target_checks", "目标达标", NULL},
    {"worker_appraisals", "工作者考核", NULL},
    {"task_decisions", "事项准入", NULL},
    {"department_stats", "部门统计", NULL},
    {"run_communities", "社区名单", NULL},
    {"run_indicators", "指标说明", NULL},
    {"run_categories", "类别说明", NULL},
    {"run_targets", "目标说明", NULL},
    {"run_target_rules", "目标规则", NULL},
    {"run_star_grades", "星级说明", NULL},
    {"run_rules", "规则要点", NULL},
    {"run_params", "参数说明", NULL},
    {"run_labels", "代码名称", NULL},
};

/* A column added next to an id: a name from one of the run's description
** tables (hidden: a helper that decides a row's number format). */
typedef struct export_lookup {
    const char *table;  /* the sheet's table */
    const char *after;  /* the id column it follows (and joins on) */
    const char *source; /* the description table */
    const char *value;  /* the column fetched from it */
    const char *header; /* header of the added column; NULL when hidden */
} export_lookup;

static const export_lookup export_lookups[] = {
    {"indicator_scores", "community_id", "run_communities", "name", "社区名称 community_name"},
    {"indicator_scores", "indicator_id", "run_indicators", "name", "指标名称 indicator_name"},
    {"indicator_scores", "indicator_id", "run_indicators", "unit", NULL},
    {"community_scores", "community_id", "run_communities", "name", "社区名称 community_name"},
    {"community_scores", "stars", "run_star_grades", "name", "星级名称 stars_name"},
    {"category_scores", "community_id", "run_communities", "name", "社区名称 community_name"},
    {"category_scores", "category_id", "run_categories", "name", "类别名称 category_name"},
    {"target_checks", "target_id", "run_targets", "name", "目标名称 target_name"},
    {"target_checks", "target_id", "run_targets", "measure", NULL},
    {"worker_appraisals", "community_id", "run_communities", "name", "社区名称 community_name"},
};

#define LOOKUP_COUNT (sizeof export_lookups / sizeof export_lookups[0])

const char *export_column_title(const char *table, const char *column)
{
    size_t i;
    if (table == NULL || column == NULL)
        return NULL;
    for (i = 0; i < EXPORT_COLUMN_COUNT; i++) {
        const export_column *c = &export_columns[i];
        if (strcmp(c->table, table) == 0 && strcmp(c->column, column) == 0)
            return c->title != NULL ? c->title : import_column_title(c->same_table, c->same_column);
    }
    return NULL;
}

/* The format of a results column (FORMAT_DEFAULT when unknown). */
static format_kind column_format(const char *table, const char *column)
{
    size_t i;
    for (i = 0; i < EXPORT_COLUMN_COUNT; i++)
        if (strcmp(export_columns[i].table, table) == 0 &&
            strcmp(export_columns[i].column, column) == 0)
            return export_columns[i].format;
    return FORMAT_DEFAULT;
}

/* One column of a sheet as selected. */
typedef struct sheet_column {
    char *header;       /* header cell text */
    format_kind format; /* number format */
    bool hidden;        /* a helper (unit or measure), not written */
    size_t width;       /* display width in characters */
} sheet_column;

/* The formats of the workbook. */
typedef struct export_formats {
    lxw_format *header;  /* bold, wrapped, shaded */
    lxw_format *points;  /* 0.00 */
    lxw_format *integer; /* 0 */
    lxw_format *ratio;   /* 0.0% */
} export_formats;

/* Display width of UTF-8 text: East Asian characters count two columns
** (without the locale, which a library should not depend on). */
static size_t display_width(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t width = 0;
    while (*s) {
        unsigned long code;
        size_t n;
        if (*s < 0x80) {
            code = *s;
            n = 1;
        } else if ((*s & 0xE0) == 0xC0) {
            code = *s & 0x1F;
            n = 2;
        } else if ((*s & 0xF0) == 0xE0) {
            code = *s & 0x0F;
            n = 3;
        } else {
            code = *s & 0x07;
            n = 4;
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[k] & 0xC0) != 0x80) {
                n = k;
                break;
            }
            code = (code << 6) | (s[k] & 0x3F);
        }
        width += (code >= 0x1100 &&
                  (code <= 0x115F || (code >= 0x2E80 && code <= 0xA4CF) ||
                   (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                   (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                   (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x20000 && code <= 0x3FFFD)))
                     ? 2
                     : 1;
        s += n;
    }
    return width;
}

/* Widest line of a header when Excel wraps it at its spaces. */
static size_t header_width(const char *header)
{
    char part[256];
    size_t widest = 0;
    while (*header) {
        const char *space = strchr(header, ' ');
        size_t n = space ? (size_t)(space - header) : strlen(header);
        size_t w;
        snprintf(part, sizeof part, "%.*s", (int)n, header);
        w = display_width(part);
        if (w > widest)
            widest = w;
        header += n + (space ? 1 : 0);
    }
    return widest;
}

/* True when a unit or measure says the numbers are ratios (0..1). */
static bool is_ratio(const char *unit)
{
    return unit != NULL && (strcmp(unit, "ratio") == 0 || strcmp(unit, "比例") == 0 ||
                            strcmp(unit, "%") == 0 || strcmp(unit, "百分比") == 0);
}

/* Copies text for a cell: invalid UTF-8 bytes and control characters (which
** XML cannot carry) become U+FFFD, and the text is cut to Excel's limit. */
static void cell_text(buffer *out, const char *text, size_t length)
{
    size_t i = 0, chars = 0;
    buffer_reset(out);
    while (i < length && chars < CELL_CHARS_MAX) {
        unsigned char c = (unsigned char)text[i];
        size_t bad;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                buffer_puts(out, "\xEF\xBF\xBD");
            else
                buffer_append(out, text + i, 1);
            i++;
        } else {
            size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
            if (i + n <= length && text_utf8_valid(text + i, n, &bad)) {
                buffer_append(out, text + i, n);
                i += n;
            } else {
                buffer_puts(out, "\xEF\xBF\xBD");
                i++;
            }
        }
        chars++;
    }
}

/* Status for a libxlsxwriter failure: memory and files are the machine's. */
static int xlsx_failure(error *e, lxw_error rc, const char *path, const char *what)
{
    return error_set(e, rc == LXW_ERROR_PARAMETER_VALIDATION ? ERROR_INPUT : ERROR_SYSTEM,
                     "%s: cannot write %s: %s", path, what, lxw_strerror(rc));
}

/* True when `table` exists in the results database. */
static bool table_exists(sqlite3 *db, const char *table)
{
    sqlite3_stmt *statement = NULL;
    bool exists = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1,
                           &statement, NULL) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, table, -1, SQLITE_STATIC);
        exists = sqlite3_step(statement) == SQLITE_ROW;
    }
    sqlite3_finalize(statement);
    return exists;
}

/* True when `table` has `column`. */
static bool column_exists(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *statement = NULL;
    bool exists = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
                           &statement, NULL) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(statement, 2, column, -1, SQLITE_STATIC);
        exists = sqlite3_step(statement) == SQLITE_ROW;
    }
    sqlite3_finalize(statement);
    return exists;
}

/* Adds a column to the sheet's list; false when out of memory. */
static bool add_column(sheet_column **columns, size_t *count, const char *header,
                       format_kind format, bool hidden)
{
    sheet_column *grown = realloc(*columns, (*count + 1) * sizeof *grown);
    if (grown == NULL)
        return false;
    *columns = grown;
    grown[*count].header = strdup(header);
    grown[*count].format = format;
    grown[*count].hidden = hidden;
    grown[*count].width = header_width(header);
    if (grown[*count].header == NULL)
        return false;
    (*count)++;
    return true;
}

/* Builds the sheet's header cells and its query (NULL query when the
** results file lacks the table: the sheet gets the header only). */
static int plan_sheet(sqlite3 *db, const export_sheet *sheet, sheet_column **columns, size_t *count,
                      buffer *sql, const char *path, error *e)
{
    sqlite3_stmt *info = NULL;
    buffer joins, header;
    char *key[8] = {NULL}; /* primary key columns in key order, for ORDER BY */
    size_t key_count = 0;
    size_t i, joined = 0;
    int status = ERROR_OK;
    int rc;
    bool exists = table_exists(db, sheet->table);
    buffer_init(&joins);
    buffer_init(&header);
    buffer_reset(sql);
    if (!exists) {
        for (i = 0; i < EXPORT_COLUMN_COUNT; i++) {
            const export_column *c = &export_columns[i];
            if (strcmp(c->table, sheet->table) != 0)
                continue;
            buffer_reset(&header);
            buffer_printf(&header, "%s %s", export_column_title(c->table, c->column), c->column);
            if (!add_column(columns, count, buffer_text(&header), c->format, false)) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
        }
        goto done;
    }
    rc = sqlite3_prepare_v2(db, "SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid", -1,
                            &info, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_INPUT, "%s: cannot read table %s: %s", path, sheet->table,
                           sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(info, 1, sheet->table, -1, SQLITE_STATIC);
    buffer_puts(sql, "SELECT ");
    {
        size_t n = 0;
        while ((rc = sqlite3_step(info)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(info, 0);
            int pk = sqlite3_column_int(info, 1);
            const char *title = export_column_title(sheet->table, name);
            buffer_reset(&header);
            if (title != NULL)
                buffer_printf(&header, "%s %s", title, name);
            else
                buffer_puts(&header, name);
            buffer_printf(sql, "%st.\"%s\"", n++ ? ", " : "", name);
            if (!add_column(columns, count, buffer_text(&header), column_format(sheet->table, name),
                            false)) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            if (pk > 0 && pk <= 8 && key[pk - 1] == NULL) {
                key[pk - 1] = strdup(name);
                if (key[pk - 1] == NULL) {
                    status = error_set(e, ERROR_SYSTEM, "out of memory");
                    goto done;
                }
                if ((size_t)pk > key_count)
                    key_count = (size_t)pk;
            }
            for (i = 0; i < LOOKUP_COUNT; i++) {
                const export_lookup *l = &export_lookups[i];
                if (strcmp(l->table, sheet->table) != 0 || strcmp(l->after, name) != 0 ||
                    !table_exists(db, l->source) || !column_exists(db, l->source, l->after) ||
                    !column_exists(db, l->source, l->value))
                    continue;
                buffer_printf(sql, ", l%zu.\"%s\"", joined, l->value);
                buffer_printf(&joins,
                              " LEFT JOIN \"%s\" AS l%zu ON l%zu.run_id = t.run_id AND "
                              "l%zu.\"%s\" = t.\"%s\"",
                              l->source, joined, joined, joined, l->after, l->after);
                joined++;
                if (!add_column(columns, count, l->header ? l->header : l->value, FORMAT_DEFAULT,
                                l->header == NULL)) {
                    status = error_set(e, ERROR_SYSTEM, "out of memory");
                    goto done;
                }
            }
        }
        if (rc != SQLITE_DONE) {
            status = error_set(e, ERROR_INPUT, "%s: cannot read table %s: %s", path, sheet->table,
                               sqlite3_errmsg(db));
            goto done;
        }
        buffer_printf(sql, " FROM \"%s\" AS t%s WHERE t.run_id = ?1 ORDER BY ", sheet->table,
                      buffer_text(&joins));
        if (sheet->order != NULL)
            buffer_puts(sql, sheet->order);
        else if (key_count == 0)
            buffer_puts(sql, "t.rowid");
        else
            for (i = 0; i < key_count; i++)
                buffer_printf(sql, "%st.\"%s\"", i ? ", " : "", key[i] ? key[i] : "run_id");
    }
    if (buffer_failed(sql) || buffer_failed(&joins))
        status = error_set(e, ERROR_SYSTEM, "out of memory");
done:
    sqlite3_finalize(info);
    for (i = 0; i < 8; i++)
        free(key[i]);
    buffer_free(&joins);
    buffer_free(&header);
    return status;
}

/* Index of the first hidden helper column, or -1. */
static long ratio_helper(const sheet_column *columns, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++)
        if (columns[i].hidden)
            return (long)i;
    return -1;
}

/* The format of one number cell. */
static lxw_format *number_format(const export_formats *f, format_kind kind, bool ratio_row,
                                 bool integer_value, double x)
{
    switch (kind) {
    case FORMAT_POINTS:
        return f->points;
    case FORMAT_INTEGER:
        return f->integer;
    case FORMAT_MEASURED:
        if (ratio_row)
            return f->ratio;
        return x == floor(x) ? f->integer : f->points;
    case FORMAT_DEFAULT:
        break;
    }
    return integer_value ? f->integer : NULL;
}

/* Width a number takes in its format. */
static size_t number_width(double x, lxw_format *format, const export_formats *f)
{
    char text[64];
    if (format == f->ratio)
        snprintf(text, sizeof text, "%.1f%%", x * 100);
    else if (format == f->points)
        snprintf(text, sizeof text, "%.2f", x);
    else if (format == f->integer)
        snprintf(text, sizeof text, "%.0f", x);
    else
        snprintf(text, sizeof text, "%.10g", x);
    return strlen(text);
}

/* Writes one table's sheet. */
static int write_sheet(lxw_workbook *workbook, sqlite3 *db, const export_sheet *sheet,
                       long long run_id, const export_formats *f, const char *results_path,
                       const char *xlsx_path, error *e)
{
    sheet_column *columns = NULL;
    size_t count = 0, i, shown;
    sqlite3_stmt *statement = NULL;
    buffer sql, text, name;
    lxw_worksheet *worksheet;
    lxw_error lrc;
    long helper;
    long long rows = 0;
    int pass;
    int status = ERROR_OK;
    int rc;
    buffer_init(&sql);
    buffer_init(&text);
    buffer_init(&name);
    buffer_printf(&name, "%s %s", sheet->name, sheet->table);
    if (buffer_failed(&name) ||
        workbook_validate_sheet_name(workbook, buffer_text(&name)) != LXW_NO_ERROR) {
        buffer_reset(&name);
        buffer_printf(&name, "%.31s", sheet->table);
    }
    worksheet = workbook_add_worksheet(workbook, buffer_text(&name));
    if (worksheet == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot add the sheet %s", xlsx_path,
                           buffer_text(&name));
        goto done;
    }
    status = plan_sheet(db, sheet, &columns, &count, &sql, results_path, e);
    if (status != ERROR_OK)
        goto done;
    helper = ratio_helper(columns, count);
    if (sql.length > 0) {
        rc = sqlite3_prepare_v2(db, buffer_text(&sql), -1, &statement, NULL);
        if (rc != SQLITE_OK) {
            status = error_set(e, ERROR_INPUT, "%s: cannot read table %s: %s", results_path,
                               sheet->table, sqlite3_errmsg(db));
            goto done;
        }
        sqlite3_bind_int64(statement, 1, run_id);
    }
    /* Pass 0 sizes the columns and counts the rows; pass 1 writes them. */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            lxw_col_t col = 0;
            if (rows + 1 > LXW_ROW_MAX) {
                status = error_set(e, ERROR_INPUT,
                                   "%s: table %s has %lld rows in run %lld, more than an Excel "
                                   "sheet holds (%d); use kaohe eval --format csv instead",
                                   results_path, sheet->table, rows, run_id, LXW_ROW_MAX - 1);
                goto done;
            }
            for (i = 0; i < count; i++) {
                double width;
                if (columns[i].hidden)
                    continue;
                width = (double)(columns[i].width + 2);
                if (width < WIDTH_MIN)
                    width = WIDTH_MIN;
                if (width > WIDTH_MAX)
                    width = WIDTH_MAX;
                lrc = worksheet_set_column(worksheet, col, col, width, NULL);
                if (lrc != LXW_NO_ERROR) {
                    status = xlsx_failure(e, lrc, xlsx_path, "column widths");
                    goto done;
                }
                lrc = worksheet_write_string(worksheet, 0, col, columns[i].header, f->header);
                if (lrc != LXW_NO_ERROR) {
                    status = xlsx_failure(e, lrc, xlsx_path, "a header");
                    goto done;
                }
                col++;
            }
            shown = col;
            lrc = worksheet_set_row(worksheet, 0, 30, NULL);
            if (lrc == LXW_NO_ERROR)
                lrc = worksheet_autofilter(worksheet, 0, 0, (lxw_row_t)rows,
                                           (lxw_col_t)(shown > 0 ? shown - 1 : 0));
            if (lrc != LXW_NO_ERROR) {
                status = xlsx_failure(e, lrc, xlsx_path, "the header row");
                goto done;
            }
            worksheet_freeze_panes(worksheet, 1, 0);
            rows = 0;
        }
        if (statement == NULL)
            continue;
        sqlite3_reset(statement);
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            bool ratio_row = false;
            lxw_col_t col = 0;
            if (helper >= 0)
                ratio_row = is_ratio((const char *)sqlite3_column_text(statement, (int)helper));
            rows++;
            for (i = 0; i < count; i++) {
                int type = sqlite3_column_type(statement, (int)i);
                if (columns[i].hidden)
                    continue;
                if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
                    double x = sqlite3_column_double(statement, (int)i);
                    lxw_format *format =
                        number_format(f, columns[i].format, ratio_row, type == SQLITE_INTEGER, x);
                    if (!isfinite(x)) {
                        cell_text(&text, x > 0 ? "inf" : x < 0 ? "-inf" : "nan", 4);
                        format = NULL;
                    }
                    if (pass == 0) {
                        size_t w = isfinite(x) ? number_width(x, format, f) : 4;
                        if (w > columns[i].width)
                            columns[i].width = w;
                    } else if (isfinite(x)) {
                        lrc = worksheet_write_number(worksheet, (lxw_row_t)rows, col, x, format);
                        if (lrc != LXW_NO_ERROR) {
                            status = xlsx_failure(e, lrc, xlsx_path, "a number");
                            goto done;
                        }
                    } else {
                        lrc = worksheet_write_string(worksheet, (lxw_row_t)rows, col,
                                                     buffer_text(&text), NULL);
                        if (lrc != LXW_NO_ERROR) {
                            status = xlsx_failure(e, lrc, xlsx_path, "a cell");
                            goto done;
                        }
                    }
                } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
                    const char *value = type == SQLITE_TEXT
                                            ? (const char *)sqlite3_column_text(statement, (int)i)
                                            : "(binary data)";
                    size_t length = type == SQLITE_TEXT
                                        ? (size_t)sqlite3_column_bytes(statement, (int)i)
                                        : strlen(value);
                    if (value == NULL) {
                        status = error_set(e, ERROR_SYSTEM, "out of memory");
                        goto done;
                    }
                    cell_text(&text, value, length);
                    if (buffer_failed(&text)) {
                        status = error_set(e, ERROR_SYSTEM, "out of memory");
                        goto done;
                    }
                    if (pass == 0) {
                        size_t w = display_width(buffer_text(&text));
                        if (w > columns[i].width)
                            columns[i].width = w;
                    } else if (text.length > 0) {
                        lrc = worksheet_write_string(worksheet, (lxw_row_t)rows, col,
                                                     buffer_text(&text), NULL);
                        if (lrc != LXW_NO_ERROR) {
                            status = xlsx_failure(e, lrc, xlsx_path, "a text cell");
                            goto done;
                        }
                    }
                }
                /* NULL: an empty cell, nothing written. */
                col++;
            }
        }
        if (rc != SQLITE_DONE) {
            status = error_set(e, ERROR_INPUT, "%s: cannot read table %s: %s", results_path,
                               sheet->table, sqlite3_errmsg(db));
            goto done;
        }
    }
done:
    sqlite3_finalize(statement);
    for (i = 0; i < count; i++)
        free(columns[i].header);
    free(columns);
    buffer_free(&sql);
    buffer_free(&text);
    buffer_free(&name);
    return status;
}

/* Opens the results database read-only and picks the run. */
static int open_results(const char *path, long long *run_id, sqlite3 **out, error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    sqlitefile_info file;
    int status = ERROR_OK;
    int rc;
    *out = NULL;
    status = sqlitefile_probe(path, &file, e);
    if (status != ERROR_OK)
        goto done;
    if (file.kind == SQLITEFILE_NOT_REGULAR) {
        status = error_set(e, ERROR_INPUT, "%s: not a regular file", path);
        goto done;
    }
    if (file.kind != SQLITEFILE_DATABASE) {
        status = error_set(e, ERROR_INPUT,
                           "%s: not an SQLite database (export reads the results "
                           "database that kaohe eval --out writes)",
                           path);
        goto done;
    }
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_INPUT, "%s: cannot open: %s", path,
                           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 60000);
    /* What the file holds must not act when it is read (results_schema.h). */
    status = results_schema_configure(db, e);
    if (status != ERROR_OK)
        goto done;
    if (!table_exists(db, "runs")) {
        status =
            error_set(e, ERROR_INPUT, "%s: not a kaohe results database (no table runs)", path);
        goto done;
    }
    rc = sqlite3_prepare_v2(db,
                            "SELECT min(run_id), max(run_id), "
                            "(SELECT count(*) FROM runs WHERE run_id = ?1) FROM runs",
                            -1, &statement, NULL);
    if (rc != SQLITE_OK ||
        (sqlite3_bind_int64(statement, 1, *run_id), (rc = sqlite3_step(statement)) != SQLITE_ROW)) {
        status =
            error_set(e, ERROR_INPUT, "%s: cannot read the runs: %s", path, sqlite3_errmsg(db));
        goto done;
    }
    if (sqlite3_column_type(statement, 1) == SQLITE_NULL) {
        status = error_set(e, ERROR_INPUT, "%s: holds no run yet (kaohe eval SNAPSHOT --out %s)",
                           path, path);
        goto done;
    }
    if (*run_id == 0) {
        *run_id = sqlite3_column_int64(statement, 1);
    } else if (sqlite3_column_int(statement, 2) == 0) {
        status =
            error_set(e, ERROR_INPUT, "%s: no run %lld (its runs are %lld..%lld)", path, *run_id,
                      sqlite3_column_int64(statement, 0), sqlite3_column_int64(statement, 1));
        goto done;
    }
    *out = db;
    db = NULL;
done:
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return status;
}

/* Checks that `xlsx_path` may be written: not the results file, and
** either absent or itself a workbook (a zip file). */
static int check_target(const char *results_path, const char *xlsx_path, error *e)
{
    struct stat target, results;
    char magic[4] = {0};
    FILE *stream;
    if (stat(xlsx_path, &target) != 0)
        return errno == ENOENT ? ERROR_OK
                               : error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s",
                                           xlsx_path, error_errno_text(errno));
    if (stat(results_path, &results) == 0 && results.st_dev == target.st_dev &&
        results.st_ino == target.st_ino)
        return error_set(e, ERROR_INPUT,
                         "%s: is the results database itself; refusing to "
                         "overwrite it",
                         xlsx_path);
    if (!S_ISREG(target.st_mode))
        return error_set(e, ERROR_INPUT, "%s: exists and is not a regular file", xlsx_path);
    stream = fopen(xlsx_path, "rb");
    if (stream == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", xlsx_path,
                         error_errno_text(errno));
    if (target.st_size > 0 &&
        (fread(magic, 1, sizeof magic, stream) != sizeof magic || memcmp(magic, "PK\x03\x04", 4))) {
        fclose(stream);
        return error_set(e, ERROR_INPUT,
                         "%s: exists and is not an .xlsx workbook; refusing to "
                         "overwrite it",
                         xlsx_path);
    }
    fclose(stream);
    return ERROR_OK;
}

int export_xlsx(const char *results_path, long long run_id, const char *xlsx_path, error *e)
{
    sqlite3 *db = NULL;
    lxw_workbook *workbook = NULL;
    lxw_workbook_options options = {
        .constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    lxw_doc_properties properties;
    export_formats formats;
    buffer title;
    publish out;
    size_t i;
    int status = ERROR_OK;
    lxw_error lrc;
    memset(&out, 0, sizeof out);
    buffer_init(&title);
    if (run_id < 0) {
        status =
            error_set(e, ERROR_USAGE, "export: run %lld: a run id is a positive number", run_id);
        goto done;
    }
    status = open_results(results_path, &run_id, &db, e);
    if (status != ERROR_OK)
        goto done;
    status = check_target(results_path, xlsx_path, e);
    if (status != ERROR_OK)
        goto done;
    /* Creating the file first tells a bad directory apart from a library
    ** failure, and keeps libxlsxwriter from printing its own message. An
    ** existing workbook is replaced (check_target made sure it is one). */
    status = publish_begin(&out, xlsx_path, PUBLISH_OVERWRITE, e);
    if (status != ERROR_OK)
        goto done;
    workbook = workbook_new_opt(publish_temporary(&out), &options);
    if (workbook == NULL) {
        status =
            error_set(e, ERROR_SYSTEM, "%s: cannot start the workbook (out of memory)", xlsx_path);
        goto done;
    }
    formats.header = workbook_add_format(workbook);
    formats.points = workbook_add_format(workbook);
    formats.integer = workbook_add_format(workbook);
    formats.ratio = workbook_add_format(workbook);
    if (formats.header == NULL || formats.points == NULL || formats.integer == NULL ||
        formats.ratio == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    format_set_bold(formats.header);
    format_set_text_wrap(formats.header);
    format_set_align(formats.header, LXW_ALIGN_VERTICAL_CENTER);
    format_set_bg_color(formats.header, 0xDDEBF7);
    format_set_bottom(formats.header, LXW_BORDER_THIN);
    format_set_num_format(formats.points, "0.00");
    format_set_num_format(formats.integer, "0");
    format_set_num_format(formats.ratio, "0.0%");
    buffer_printf(&title, "社区考核结果（运行 %lld）", run_id);
    memset(&properties, 0, sizeof properties);
    properties.title = (char *)buffer_text(&title);
    properties.author = "kaohe";
    lrc = workbook_set_properties(workbook, &properties);
    if (lrc != LXW_NO_ERROR) {
        status = xlsx_failure(e, lrc, xlsx_path, "the document properties");
        goto done;
    }
    for (i = 0; i < sizeof export_sheets / sizeof export_sheets[0]; i++) {
        status = write_sheet(workbook, db, &export_sheets[i], run_id, &formats, results_path,
                             xlsx_path, e);
        if (status != ERROR_OK)
            goto done;
    }
    lrc = workbook_close(workbook);
    workbook = NULL;
    if (lrc != LXW_NO_ERROR) {
        status = xlsx_failure(e, lrc, xlsx_path, "the workbook");
        goto done;
    }
    status = publish_commit(&out, e);
done:
    /* Closing writes the file; on failure it is written and removed, which
    ** is also how the library frees its memory. */
    if (workbook != NULL)
        workbook_close(workbook);
    publish_free(&out);
    sqlite3_close(db);
    buffer_free(&title);
    return status;
}
