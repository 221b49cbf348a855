/*
** import.c — a directory of CSV files into a new snapshot (import.h).
**
** Tables, columns, types, NOT NULL and primary keys come from the canonical
** schema compiled into the binary (snapshot_create_schema() on an in-memory
** database); the Chinese titles and the constraints from snapshot.sql's
** comments are the tables below. The written file is finally opened with
** snapshot_open(), so a snapshot that the engine would refuse is never moved
** into place even if the two lists drift apart.
**
** The files are read by csv.h's reader, one record at a time.
**
** Keys seen so far (ids, and the composite keys of visits and facts) live in
** an idset per table, with the line of their first row and whether that row
** was good: it answers duplicate and reference checks
** without a query per row.
*/
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "idset.h"
#include "publish.h"
#include "rules.h"
#include "snapshot.h"
#include "text.h"
#include "xlsx.h"

/* Problems copied into the error message (all go to report->problems). */
#define PROBLEMS_IN_MESSAGE 20
/* Problem lines kept in report->problems before "... and N more". */
#define PROBLEMS_LISTED 10000
/* Rows between two calls of the progress callback. */
#define PROGRESS_EVERY 10000
/* Bytes of a value quoted in a message. */
#define VALUE_SHOWN 60

/* --- the column titles and constraints ---------------------------------- */

/* The Chinese title of one snapshot column. */
typedef struct column_title {
    const char *table;
    const char *column;
    const char *title;
} column_title;

static const column_title column_titles[] = {
    {"snapshot_meta", "key", "键"},
    {"snapshot_meta", "value", "值"},
    {"communities", "id", "社区编号"},
    {"communities", "name", "社区名称"},
    {"communities", "district", "区县"},
    {"communities", "street", "街道"},
    {"communities", "area_km2", "面积（平方公里）"},
    {"communities", "population", "常住人口"},
    {"communities", "households", "户数"},
    {"communities", "floating_population", "流动人口"},
    {"communities", "minority_population", "少数民族人口"},
    {"workers", "id", "工作者编号"},
    {"workers", "community_id", "所属社区编号"},
    {"workers", "name", "姓名"},
    {"workers", "birth_date", "出生日期"},
    {"workers", "hire_date", "入职日期"},
    {"workers", "role", "岗位"},
    {"workers", "education", "学历"},
    {"workers", "cert_level", "证书等级"},
    {"workers", "cert_date", "取证日期"},
    {"workers", "training_hours", "培训学时"},
    {"workers", "score_civil", "民政考核"},
    {"workers", "score_community", "社区考核"},
    {"workers", "score_residents", "居民评议"},
    {"workers", "status", "状态"},
    {"workers", "left_date", "离职日期"},
    {"workers", "left_reason", "离职原因"},
    {"organizations", "id", "组织编号"},
    {"organizations", "community_id", "所属社区编号"},
    {"organizations", "name", "组织名称"},
    {"organizations", "kind", "组织类别"},
    {"organizations", "registered", "是否备案"},
    {"organizations", "evaluated", "是否参评"},
    {"organizations", "rating", "评估等级"},
    {"activities", "id", "活动编号"},
    {"activities", "community_id", "所属社区编号"},
    {"activities", "held_on", "举办日期"},
    {"activities", "kind", "活动类别"},
    {"activities", "participants", "参与人数"},
    {"activities", "partner", "共建单位"},
    {"visits", "worker_id", "工作者编号"},
    {"visits", "month", "月份"},
    {"visits", "assigned", "分包户数"},
    {"visits", "visited", "走访户数"},
    {"postings", "id", "信息编号"},
    {"postings", "community_id", "所属社区编号"},
    {"postings", "posted_on", "发布日期"},
    {"postings", "channel", "发布渠道"},
    {"survey_responses", "id", "答卷编号"},
    {"survey_responses", "community_id", "所属社区编号"},
    {"survey_responses", "satisfied", "是否满意"},
    {"survey_responses", "score", "满意度评分"},
    {"requests", "id", "诉求编号"},
    {"requests", "community_id", "所属社区编号"},
    {"requests", "received_on", "受理日期"},
    {"requests", "resolved_on", "办结日期"},
    {"requests", "channel", "诉求渠道"},
    {"tasks", "id", "事项编号"},
    {"tasks", "community_id", "所属社区编号"},
    {"tasks", "department", "发文部门"},
    {"tasks", "title", "事项名称"},
    {"tasks", "detail", "事项内容"},
    {"tasks", "received_on", "收文日期"},
    {"tasks", "approval_ref", "准入审批文号"},
    {"tasks", "funded", "费随事转"},
    {"tasks", "staffed", "权随责走"},
    {"facts", "community_id", "所属社区编号"},
    {"facts", "key", "指标键"},
    {"facts", "value", "数值"},
};

/* The constraints are snapshot.c's, so import and eval check the same things. */
#define RULE_COUNT snapshot_column_rule_count

const char *import_column_title(const char *table, const char *column)
{
    size_t i;
    if (table == NULL || column == NULL)
        return NULL;
    for (i = 0; i < sizeof column_titles / sizeof column_titles[0]; i++)
        if (strcmp(column_titles[i].table, table) == 0 &&
            strcmp(column_titles[i].column, column) == 0)
            return column_titles[i].title;
    return NULL;
}

void import_report_free(import_report *report)
{
    if (report == NULL)
        return;
    buffer_free(&report->problems);
    buffer_free(&report->notes);
    report->rows_read = 0;
    report->rows_written = 0;
    report->rows_skipped = 0;
}

/* --- the keys seen ------------------------------------------------------ */

/* What is known of the first row with each key, by the key's ordinal in
** the set (idset_find). */
typedef struct key_row {
    long line; /* line of the first row with this key */
    bool good; /* that row was written (or would have been) */
} key_row;

/* The keys of one table. */
typedef struct key_set {
    idset ids;     /* the keys' bytes */
    key_row *rows; /* [ordinal] */
    size_t capacity;
} key_set;

static void key_set_free(key_set *set)
{
    idset_free(&set->ids);
    free(set->rows);
    memset(set, 0, sizeof *set);
}

/* The first row with `key`, or NULL when the set does not hold it. */
static const key_row *key_set_find(const key_set *set, const char *key, size_t length)
{
    long ordinal = idset_find(&set->ids, key, length);
    return ordinal >= 0 ? &set->rows[ordinal] : NULL;
}

/* Adds a key the set does not hold yet; false when out of memory. */
static bool key_set_add(key_set *set, const char *key, size_t length, long line, bool good)
{
    size_t ordinal = set->ids.count;
    if (ordinal == set->capacity) {
        size_t capacity = set->capacity ? set->capacity * 2 : 1024;
        key_row *rows = realloc(set->rows, capacity * sizeof *rows);
        if (rows == NULL)
            return false;
        set->rows = rows;
        set->capacity = capacity;
    }
    if (idset_add(&set->ids, key, length) != 0)
        return false;
    set->rows[ordinal].line = line;
    set->rows[ordinal].good = good;
    return true;
}

/* --- the import plan ----------------------------------------------------- */

enum { TYPE_TEXT, TYPE_INTEGER, TYPE_REAL };

/* One column of the canonical schema and where it is in the CSV file. */
typedef struct column_plan {
    char *name;                           /* English name (snapshot.sql) */
    const char *title;                    /* Chinese title, or NULL */
    int type;                             /* TYPE_* */
    bool required;                        /* NOT NULL, or part of the primary key */
    int key_position;                     /* 1.. in the primary key, 0 when not in it */
    const snapshot_column_rule *rules[4]; /* constraints on this column */
    size_t rule_count;
    struct table_plan *target; /* SNAPSHOT_RULE_REFERENCE: the table referred to */
    long field;                /* index in the CSV record, -1 when absent */
    char normal[64];           /* the current row's value as written differently (a date
                               ** 2025/3/1, a number 7,496, a label 书记), normalised */
} column_plan;

/* One table: its columns, its file and the keys seen. */
typedef struct table_plan {
    char *name;           /* table name */
    column_plan *columns; /* in schema order */
    size_t column_count;
    size_t key_columns[4]; /* indices of the primary key columns, in key order */
    size_t key_count;
    char *file;           /* the CSV file's path ("BOOK.xlsx: 工作人员" for a sheet), or NULL */
    long sheet;           /* a workbook's sheet for this table, or -1 */
    size_t header_fields; /* fields of the header, without trailing empty ones */
    bool *mapped;         /* [header field] names a column */
    key_set keys;         /* keys of the rows read */
    bool referenced;      /* a later table refers to it: keep its keys */
} table_plan;

/* A parent row that is missing, or left out as bad, and the rows of later
** files that refer to it: one root cause, reported once. */
struct orphan {
    const table_plan *parent;
    char *key;
    long parent_line; /* its line when it was left out; 0 when missing */
    long rows;        /* rows referring to it */
    const char *first_file;
    long first_line;
};

/* Everything one import works with. */
typedef struct importer {
    const import_options *o;
    import_report *report;
    table_plan *tables; /* in schema order (references point backwards) */
    size_t table_count;
    sqlite3 *db;   /* the new snapshot, under its temporary name */
    long problems; /* problem lines (rows or files) */
    long fatal;    /* problems that stop the import even under skip_bad */
    buffer head;   /* the first problems, for the error message */
    buffer row;    /* the current row's problems */
    buffer key;    /* scratch for keys */
    char *as_of;   /* snapshot_meta values seen in good rows */
    char *region;
    idset orphans_seen;     /* "table\x1fkey" of each missing or left-out parent row */
    struct orphan *orphans; /* [ordinal in orphans_seen] the rows that refer to it */
    size_t orphan_capacity;
    long orphan_rows;     /* rows held back by such a parent (they fail the import) */
    publish problems_csv; /* --problems FILE: every problem (path NULL when not asked) */
    bool problems_failed; /* writing it failed: said at the end */
    xlsx_book *book;      /* importing a workbook: one sheet per table; else NULL */
    const char *sheet;    /* the sheet being read, for cell references in messages */
    long row_number;      /* its row being read */
} importer;

static void plan_free(importer *imp)
{
    size_t t, c;
    for (t = 0; t < imp->table_count; t++) {
        table_plan *tp = &imp->tables[t];
        for (c = 0; c < tp->column_count; c++)
            free(tp->columns[c].name);
        free(tp->columns);
        free(tp->name);
        free(tp->file);
        free(tp->mapped);
        key_set_free(&tp->keys);
    }
    free(imp->tables);
    imp->tables = NULL;
    imp->table_count = 0;
}

static table_plan *plan_find(importer *imp, const char *name)
{
    size_t t;
    for (t = 0; t < imp->table_count; t++)
        if (strcmp(imp->tables[t].name, name) == 0)
            return &imp->tables[t];
    return NULL;
}

/* Reads one table's columns from the canonical schema in `schema`. */
static int plan_columns(importer *imp, sqlite3 *schema, table_plan *tp, error *e)
{
    sqlite3_stmt *statement = NULL;
    int status = ERROR_OK;
    int rc;
    size_t i;
    rc = sqlite3_prepare_v2(schema,
                            "SELECT name, upper(type), \"notnull\", pk FROM pragma_table_info(?1) "
                            "ORDER BY cid",
                            -1, &statement, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot read the snapshot schema: %s",
                           sqlite3_errmsg(schema));
        goto done;
    }
    sqlite3_bind_text(statement, 1, tp->name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(statement, 1);
        column_plan *grown = realloc(tp->columns, (tp->column_count + 1) * sizeof *grown);
        column_plan *c;
        if (grown == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        tp->columns = grown;
        c = &tp->columns[tp->column_count];
        memset(c, 0, sizeof *c);
        tp->column_count++;
        c->name = strdup((const char *)sqlite3_column_text(statement, 0));
        if (c->name == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        c->title = import_column_title(tp->name, c->name);
        c->type = type != NULL && strcmp(type, "INTEGER") == 0 ? TYPE_INTEGER
                  : type != NULL && strcmp(type, "REAL") == 0  ? TYPE_REAL
                                                               : TYPE_TEXT;
        c->key_position = sqlite3_column_int(statement, 3);
        c->required = sqlite3_column_int(statement, 2) != 0 || c->key_position > 0;
        c->field = -1;
        if (c->key_position > 0) {
            if (c->key_position > 4) {
                status = error_set(e, ERROR_SYSTEM, "table %s: primary key too wide", tp->name);
                goto done;
            }
            tp->key_columns[c->key_position - 1] = tp->column_count - 1;
            if ((size_t)c->key_position > tp->key_count)
                tp->key_count = (size_t)c->key_position;
        }
        for (i = 0; i < RULE_COUNT; i++) {
            const snapshot_column_rule *rule = &snapshot_column_rules[i];
            if (strcmp(rule->table, tp->name) != 0 || strcmp(rule->column, c->name) != 0)
                continue;
            if (c->rule_count == sizeof c->rules / sizeof c->rules[0]) {
                status = error_set(e, ERROR_SYSTEM, "%s.%s: too many rules", tp->name, c->name);
                goto done;
            }
            c->rules[c->rule_count++] = rule;
            if (rule->kind == SNAPSHOT_RULE_REFERENCE) {
                char target[64];
                const char *dot = strchr(rule->values, '.');
                snprintf(target, sizeof target, "%.*s", (int)(dot - rule->values), rule->values);
                c->target = plan_find(imp, target);
                /* References point to tables earlier in snapshot.sql. */
                if (c->target == NULL || c->target >= tp || strcmp(dot + 1, "id") != 0) {
                    status = error_set(e, ERROR_SYSTEM,
                                       "%s.%s refers to %s, which is not an earlier table",
                                       tp->name, c->name, rule->values);
                    goto done;
                }
                c->target->referenced = true;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        status = error_set(e, ERROR_SYSTEM, "cannot read the snapshot schema: %s",
                           sqlite3_errmsg(schema));
        goto done;
    }
done:
    sqlite3_finalize(statement);
    return status;
}

/* Builds the plan from the canonical schema: every table, in the order of
** snapshot.sql, with its columns and rules. */
static int plan_build(importer *imp, error *e)
{
    sqlite3 *schema = NULL;
    sqlite3_stmt *statement = NULL;
    size_t t;
    int status;
    int rc;
    status = snapshot_open_schema(&schema, e);
    if (status != ERROR_OK)
        goto done;
    rc = sqlite3_prepare_v2(schema,
                            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                            "'sqlite%' ORDER BY rowid",
                            -1, &statement, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot read the snapshot schema: %s",
                           sqlite3_errmsg(schema));
        goto done;
    }
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        table_plan *grown = realloc(imp->tables, (imp->table_count + 1) * sizeof *grown);
        table_plan *tp;
        if (grown == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        imp->tables = grown;
        tp = &imp->tables[imp->table_count];
        memset(tp, 0, sizeof *tp);
        imp->table_count++;
        tp->name = strdup((const char *)sqlite3_column_text(statement, 0));
        if (tp->name == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
    }
    if (rc != SQLITE_DONE) {
        status = error_set(e, ERROR_SYSTEM, "cannot read the snapshot schema: %s",
                           sqlite3_errmsg(schema));
        goto done;
    }
    /* Columns once the table array no longer moves (references point into it). */
    for (t = 0; t < imp->table_count; t++) {
        status = plan_columns(imp, schema, &imp->tables[t], e);
        if (status != ERROR_OK)
            goto done;
    }
done:
    sqlite3_finalize(statement);
    sqlite3_close(schema);
    return status;
}

/* --- problems ------------------------------------------------------------ */

/* Records one problem line "FILE:LINE: text" (or "FILE: text" when line is
** 0). A fatal problem stops the import even under skip_bad. */
/* Appends one CSV field to `out`, quoted. */
static void csv_quoted(buffer *out, const char *text)
{
    buffer_puts(out, "\"");
    for (; *text != '\0'; text++) {
        if (*text == '"')
            buffer_puts(out, "\"");
        buffer_append(out, text, 1);
    }
    buffer_puts(out, "\"");
}

static void problem_add(importer *imp, bool fatal, const char *file, long line, const char *text)
{
    buffer *out = &imp->report->problems;
    imp->problems++;
    if (imp->problems_csv.path != NULL && !imp->problems_failed) {
        buffer row;
        error ignored;
        buffer_init(&row);
        csv_quoted(&row, file);
        if (line > 0)
            buffer_printf(&row, ",%ld,", line);
        else
            buffer_puts(&row, ",,");
        csv_quoted(&row, text);
        buffer_puts(&row, "\r\n");
        if (buffer_failed(&row) ||
            publish_write(&imp->problems_csv, buffer_text(&row), row.length, &ignored) != ERROR_OK)
            imp->problems_failed = true;
        buffer_free(&row);
    }
    if (fatal)
        imp->fatal++;
    if (imp->problems <= PROBLEMS_IN_MESSAGE) {
        if (line > 0 && imp->book != NULL)
            buffer_printf(&imp->head, "\n%s row %ld: %s", file, line, text);
        else if (line > 0)
            buffer_printf(&imp->head, "\n%s:%ld: %s", file, line, text);
        else
            buffer_printf(&imp->head, "\n%s: %s", file, text);
    }
    if (imp->problems <= PROBLEMS_LISTED) {
        if (line > 0 && imp->book != NULL)
            buffer_printf(out, "%s row %ld: %s\n", file, line, text);
        else if (line > 0)
            buffer_printf(out, "%s:%ld: %s\n", file, line, text);
        else
            buffer_printf(out, "%s: %s\n", file, text);
    }
}

/* Appends a value for a message: quoted, control characters escaped, cut
** after VALUE_SHOWN bytes at a character boundary. */
static void append_value(buffer *out, const char *value)
{
    size_t i, length = strlen(value);
    size_t shown = length;
    if (shown > VALUE_SHOWN) {
        shown = VALUE_SHOWN;
        while (shown > 0 && ((unsigned char)value[shown] & 0xC0) == 0x80)
            shown--;
    }
    buffer_puts(out, "'");
    for (i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '\n')
            buffer_puts(out, "\\n");
        else if (c == '\r')
            buffer_puts(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            buffer_printf(out, "\\x%02x", c);
        else
            buffer_append(out, value + i, 1);
    }
    buffer_puts(out, shown < length ? "...'" : "'");
}

/* Starts the description of one problem of the current row:
** "; column (标题) ". */
static void row_problem(importer *imp, const column_plan *c)
{
    if (imp->row.length > 0)
        buffer_puts(&imp->row, "; ");
    if (imp->book != NULL && imp->sheet != NULL && c->field >= 0) {
        /* In a workbook the cell says where: 工作人员!F12. */
        char column[8];
        xlsx_column_name((uint32_t)c->field + 1, column);
        buffer_printf(&imp->row, "%s!%s%ld ", imp->sheet, column, imp->row_number);
    }
    if (c->title != NULL)
        buffer_printf(&imp->row, "%s (%s) ", c->name, c->title);
    else
        buffer_printf(&imp->row, "%s ", c->name);
}

/* --- values -------------------------------------------------------------- */

/* True when `text` has only the characters of a decimal number. */
static bool number_characters(const char *text)
{
    for (; *text; text++)
        if (!((*text >= '0' && *text <= '9') || *text == '.' || *text == '-' || *text == '+' ||
              *text == 'e' || *text == 'E'))
            return false;
    return true;
}

/* Parses a decimal number (no hex, inf or nan). */
static bool parse_real(const char *text, double *out)
{
    char *end;
    double x;
    if (*text == '\0' || !number_characters(text))
        return false;
    errno = 0;
    x = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(x))
        return false;
    *out = x;
    return true;
}

/* Parses a whole number; "12.0" and "1e3" are accepted when whole. */
static bool parse_integer(const char *text, long long *out)
{
    char *end;
    long long n;
    double x;
    if (*text == '\0' || !number_characters(text))
        return false;
    errno = 0;
    n = strtoll(text, &end, 10);
    if (*end == '\0' && errno == 0) {
        *out = n;
        return true;
    }
    if (!parse_real(text, &x) || x != floor(x) || x < -9.2e18 || x > 9.2e18)
        return false;
    *out = (long long)x;
    return true;
}

/* True when `text` looks like an id that a spreadsheet turned into a number
** ("3.71001E+09"). */
static bool looks_like_scientific(const char *text)
{
    const char *e = strpbrk(text, "eE");
    return e != NULL && e > text && (e[1] == '+' || e[1] == '-') && number_characters(text);
}

/* True when `value` is one of the comma-separated `values`. */
static bool enum_has(const char *values, const char *value)
{
    size_t length = strlen(value);
    const char *start = values;
    while (*start) {
        const char *comma = strchr(start, ',');
        size_t n = comma ? (size_t)(comma - start) : strlen(start);
        if (n == length && strncmp(start, value, n) == 0)
            return true;
        start += n + (comma ? 1 : 0);
    }
    return false;
}

/* Appends " (did you mean 'x'?)" when one allowed value is close. */
static void enum_suggest(buffer *out, const char *values, const char *value)
{
    char words[8][32];
    const char *candidates[8];
    size_t count = 0;
    const char *start = values;
    const char *best;
    while (*start && count < 8) {
        const char *comma = strchr(start, ',');
        size_t n = comma ? (size_t)(comma - start) : strlen(start);
        snprintf(words[count], sizeof words[count], "%.*s", (int)n, start);
        candidates[count] = words[count];
        count++;
        start += n + (comma ? 1 : 0);
    }
    best = text_suggest(value, candidates, count);
    if (best != NULL)
        buffer_printf(out, " (did you mean '%s'?)", best);
}

/* Replaces the commas of an enum list by ", " for a message. */
/* "secretary (书记), director (主任), ...": the codes of an enumerated
** column, each with its label of `kind` when the rules give one. */
static void append_values(buffer *out, const char *values, const rules *labels, const char *kind)
{
    while (*values != '\0') {
        size_t n = strcspn(values, ",");
        char code[64];
        const char *label;
        snprintf(code, sizeof code, "%.*s", (int)n, values);
        buffer_puts(out, code);
        label = labels != NULL ? rules_label(labels, kind, code) : code;
        if (strcmp(label, code) != 0)
            buffer_printf(out, " (%s)", label);
        values += n;
        if (*values == ',') {
            buffer_puts(out, ", ");
            values++;
        }
    }
}

/* One cell of a row, parsed. */
typedef struct value {
    bool null;         /* empty cell */
    long long integer; /* TYPE_INTEGER */
    double real;       /* TYPE_REAL */
    const char *text;  /* the cell's text (trimmed unless free text) */
} value;

/* Checks a parsed value against the column's rules (not references);
** problems are appended to imp->row. */
static void check_rules(importer *imp, const column_plan *c, const value *v)
{
    size_t i;
    for (i = 0; i < c->rule_count && !v->null; i++) {
        const snapshot_column_rule *rule = c->rules[i];
        switch (rule->kind) {
        case SNAPSHOT_RULE_DATE:
            if (!snapshot_date_valid(v->text)) {
                row_problem(imp, c);
                append_value(&imp->row, v->text);
                buffer_puts(&imp->row, " is not a date YYYY-MM-DD");
                if (strchr(v->text, '/') != NULL || strchr(v->text, '.') != NULL ||
                    strstr(v->text, "年") != NULL)
                    buffer_puts(&imp->row, " (format the column as text in the spreadsheet and "
                                           "write dates as 2025-03-01)");
                else if (strlen(v->text) == 10 && v->text[4] == '-' && v->text[7] == '-')
                    buffer_puts(&imp->row, " (no such day)");
            }
            break;
        case SNAPSHOT_RULE_MONTH: {
            char day[16];
            size_t n = strlen(v->text);
            bool ok = n == 7 && v->text[4] == '-';
            if (ok) {
                snprintf(day, sizeof day, "%s-01", v->text);
                ok = snapshot_date_valid(day);
            }
            if (!ok) {
                row_problem(imp, c);
                append_value(&imp->row, v->text);
                buffer_puts(&imp->row, " is not a month YYYY-MM");
            }
            break;
        }
        case SNAPSHOT_RULE_ENUM:
            if (!enum_has(rule->values, v->text)) {
                row_problem(imp, c);
                append_value(&imp->row, v->text);
                buffer_puts(&imp->row, " is not one of ");
                {
                    char kind[96];
                    snprintf(kind, sizeof kind, "%s.%s", rule->table, rule->column);
                    append_values(&imp->row, rule->values, imp->o->labels, kind);
                }
                if (!c->required)
                    buffer_puts(&imp->row, " (or empty)");
                enum_suggest(&imp->row, rule->values, v->text);
            }
            break;
        case SNAPSHOT_RULE_RANGE: {
            double x = c->type == TYPE_INTEGER ? (double)v->integer : v->real;
            if (x < rule->low || x > rule->high) {
                row_problem(imp, c);
                buffer_printf(&imp->row, "%s is outside %g..%g", v->text, rule->low, rule->high);
            }
            break;
        }
        case SNAPSHOT_RULE_BOOLEAN:
            if (v->integer != 0 && v->integer != 1) {
                row_problem(imp, c);
                buffer_printf(&imp->row, "%s is not 0 or 1 (1 = 是, 0 = 否)", v->text);
            }
            break;
        case SNAPSHOT_RULE_REFERENCE:
            /* Checked with the keys, in import_row(). */
            break;
        }
    }
}

/* Parses one cell into *v according to the column; problems go to
** imp->row. `raw` is the field as read. */
/* A date as offices write it (2025/3/1, 2025.3.1, 2025-3-1, 2025年3月1日;
** `month`: 2025/3, 2025年3月) as YYYY-MM-DD (YYYY-MM) into `out`; false
** when it is none of these. Whether the day exists is checked after. */
static bool normal_date(const char *text, bool month, char *out, size_t size)
{
    int y = 0, m = 0, d = 1, used = 0, more = 0;
    char sep[2], again[2];
    if (sscanf(text, "%4d年%2d月%n", &y, &m, &used) == 2 && used > 0) {
        if (!month && (sscanf(text + used, "%2d日%n", &d, &more) != 1 || more == 0))
            return false;
    } else if (sscanf(text, "%4d%1[-/.]%2d%n", &y, sep, &m, &used) == 3 && used > 0) {
        if (!month &&
            (sscanf(text + used, "%1[-/.]%2d%n", again, &d, &more) != 2 || again[0] != sep[0]))
            return false;
    } else {
        return false;
    }
    if (text[used + more] != '\0' || y < 1000 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    if (month)
        snprintf(out, size, "%04d-%02d", y, m);
    else
        snprintf(out, size, "%04d-%02d-%02d", y, m, d);
    return true;
}

/* 7,496 or 1,234,567.5 (commas between groups of three) without the
** commas into `out`; false when the text is not such a number. */
static bool normal_number(const char *text, char *out, size_t size)
{
    size_t n = 0, digits = 0;
    bool grouped = false, point = false;
    const char *p = text;
    if (*p == '-')
        out[n++] = *p++;
    for (; *p != '\0' && n + 1 < size; p++) {
        if (*p >= '0' && *p <= '9') {
            out[n++] = *p;
            digits++;
        } else if (*p == ',' && !point && digits > 0 && (!grouped || digits == 3) &&
                   (grouped || digits <= 3)) {
            grouped = true;
            digits = 0;
        } else if (*p == '.' && !point && (!grouped || digits == 3)) {
            point = true;
            out[n++] = *p;
        } else {
            return false;
        }
    }
    out[n] = '\0';
    return *p == '\0' && grouped && (point || digits == 3);
}

/* The value a cell means when it is written as staff write it: a date in
** another form, a grouped number, a label of an enumerated value or a
** boolean (是/否). NULL when it is to be read as written. */
static const char *normal_value(importer *imp, const table_plan *tp, column_plan *c,
                                const char *text)
{
    size_t i;
    for (i = 0; i < c->rule_count; i++) {
        const snapshot_column_rule *rule = c->rules[i];
        char kind[96];
        const char *code;
        switch (rule->kind) {
        case SNAPSHOT_RULE_DATE:
        case SNAPSHOT_RULE_MONTH:
            /* Most cells are written as the schema wants them: no parse. */
            if (strlen(text) == (rule->kind == SNAPSHOT_RULE_MONTH ? 7u : 10u) && text[4] == '-')
                return NULL;
            if (normal_date(text, rule->kind == SNAPSHOT_RULE_MONTH, c->normal, sizeof c->normal))
                return strcmp(c->normal, text) != 0 ? c->normal : NULL;
            break;
        case SNAPSHOT_RULE_ENUM:
            if (enum_has(rule->values, text))
                return NULL;
            snprintf(kind, sizeof kind, "%s.%s", tp->name, c->name);
            code = rules_label_code(imp->o->labels, kind, text);
            if (code != NULL) {
                snprintf(c->normal, sizeof c->normal, "%s", code);
                return c->normal;
            }
            break;
        case SNAPSHOT_RULE_BOOLEAN:
            code = rules_label_code(imp->o->labels, "boolean", text);
            if (code != NULL) {
                snprintf(c->normal, sizeof c->normal, "%s", code);
                return c->normal;
            }
            break;
        default:
            break;
        }
    }
    if ((c->type == TYPE_INTEGER || c->type == TYPE_REAL) && strchr(text, ',') != NULL &&
        normal_number(text, c->normal, sizeof c->normal))
        return c->normal;
    return NULL;
}

static void parse_cell(importer *imp, const table_plan *tp, column_plan *c, char *raw, value *v)
{
    const char *normal;
    char *start = raw;
    char *end = raw + strlen(raw);
    memset(v, 0, sizeof *v);
    while (*start == ' ' || *start == '\t')
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (start == end) {
        v->null = true;
        if (c->required) {
            row_problem(imp, c);
            buffer_puts(&imp->row, c->key_position > 0 ? "is empty (every row needs one)"
                                                       : "is empty (the schema says NOT NULL)");
        }
        return;
    }
    /* Free text keeps its spaces; ids, codes, dates and numbers do not. */
    if (c->type == TYPE_TEXT && c->rule_count == 0 && c->key_position == 0) {
        v->text = raw;
        return;
    }
    *end = '\0';
    v->text = start;
    if ((normal = normal_value(imp, tp, c, start)) != NULL)
        v->text = start = (char *)normal;
    if (c->type == TYPE_INTEGER && !parse_integer(start, &v->integer)) {
        row_problem(imp, c);
        append_value(&imp->row, start);
        buffer_puts(&imp->row, " is not a whole number");
        return;
    }
    if (c->type == TYPE_REAL && !parse_real(start, &v->real)) {
        row_problem(imp, c);
        append_value(&imp->row, start);
        buffer_puts(&imp->row, " is not a number");
        return;
    }
    check_rules(imp, c, v);
}

/* --- one file ------------------------------------------------------------ */

/* True when two headers name the same thing: equal, ignoring ASCII case
** and the difference between full-width （） and ASCII (). */
static bool header_equal(const char *a, const char *b)
{
    while (*a && *b) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        size_t na = 1, nb = 1;
        if (strncmp(a, "（", 3) == 0) {
            ca = '(';
            na = 3;
        } else if (strncmp(a, "）", 3) == 0) {
            ca = ')';
            na = 3;
        }
        if (strncmp(b, "（", 3) == 0) {
            cb = '(';
            nb = 3;
        } else if (strncmp(b, "）", 3) == 0) {
            cb = ')';
            nb = 3;
        }
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb)
            return false;
        a += na;
        b += nb;
    }
    return *a == '\0' && *b == '\0';
}

/* The column a header cell names: its English name, its Chinese title, or
** both separated by a space ("社区名称 name", as kaohe's workbooks write
** them). Returns the column index or -1. */
static long header_column(const table_plan *tp, const char *header)
{
    size_t i;
    const char *space;
    for (i = 0; i < tp->column_count; i++) {
        const column_plan *c = &tp->columns[i];
        if (header_equal(header, c->name) || (c->title != NULL && header_equal(header, c->title)))
            return (long)i;
    }
    space = strrchr(header, ' ');
    if (space != NULL) {
        char first[256];
        snprintf(first, sizeof first, "%.*s", (int)(space - header), header);
        for (i = 0; i < tp->column_count; i++) {
            const column_plan *c = &tp->columns[i];
            if (header_equal(space + 1, c->name) && c->title != NULL &&
                header_equal(first, c->title))
                return (long)i;
        }
    }
    return -1;
}

/* Reads the header record: maps each column to its field. Problems are
** fatal. Returns ERROR_OK (problems recorded) or an error. */
static int read_header(importer *imp, table_plan *tp, const csv_record *r, long line)
{
    const char *names[64];
    size_t i, name_count = 0;
    buffer text, ignored;
    bool ok = true;
    /* Unknown headers near a column's name: "distrct" for district. */
    const char *near_name[64];
    size_t near_field[64], near_count = 0;
    buffer_init(&text);
    buffer_init(&ignored);
    for (i = 0; i < tp->column_count && name_count < 64; i++)
        names[name_count++] = tp->columns[i].name;
    if (r->count == 1 &&
        (strchr(r->fields[0].text, ';') != NULL || strchr(r->fields[0].text, '\t') != NULL)) {
        problem_add(imp, true, tp->file, line,
                    "the header is one field: the file seems separated by semicolons or tabs, "
                    "not commas (save it as \"CSV UTF-8 (逗号分隔)\")");
        buffer_free(&text);
        return ERROR_OK;
    }
    tp->header_fields = r->count;
    while (tp->header_fields > 0 && r->fields[tp->header_fields - 1].length == 0)
        tp->header_fields--;
    tp->mapped = calloc(tp->header_fields + 1, sizeof *tp->mapped);
    if (tp->mapped == NULL) {
        buffer_free(&text);
        return ERROR_SYSTEM;
    }
    for (i = 0; i < tp->header_fields; i++) {
        char header[512];
        char *start = header, *end;
        long column;
        snprintf(header, sizeof header, "%s", r->fields[i].text);
        while (*start == ' ' || *start == '\t')
            start++;
        end = start + strlen(start);
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *end = '\0';
        if (*start == '\0') {
            /* An empty header over empty cells is a spreadsheet artefact;
            ** a value under it is reported row by row. */
            continue;
        }
        column = header_column(tp, start);
        buffer_reset(&text);
        if (column < 0) {
            /* A column of the office's own (备注, 联系电话) is left out with
            ** one warning naming them all; a near miss says so. */
            const char *suggestion = text_suggest(start, names, name_count);
            buffer_printf(&ignored, "%s", ignored.length > 0 ? ", " : "");
            append_value(&ignored, start);
            if (suggestion != NULL)
                buffer_printf(&ignored, " (did you mean '%s'?)", suggestion);
            if (suggestion != NULL && near_count < 64) {
                near_name[near_count] = suggestion;
                near_field[near_count++] = i;
            }
            tp->mapped[i] = true; /* its values are not read */
            continue;
        }
        if (tp->columns[column].field >= 0) {
            buffer_printf(&text, "column %zu: ", i + 1);
            append_value(&text, start);
            buffer_printf(&text, " names %s again (already column %ld)", tp->columns[column].name,
                          tp->columns[column].field + 1);
            problem_add(imp, true, tp->file, line, buffer_text(&text));
            ok = false;
            continue;
        }
        tp->columns[column].field = (long)i;
        tp->mapped[i] = true;
    }
    for (i = 0; ok && i < tp->column_count; i++) {
        const column_plan *c = &tp->columns[i];
        if (c->field >= 0 || !c->required)
            continue;
        buffer_reset(&text);
        buffer_printf(&text, "no column %s", c->name);
        if (c->title != NULL)
            buffer_printf(&text, " (%s)", c->title);
        buffer_puts(&text, " in the header; it is required");
        {
            size_t k;
            for (k = 0; k < near_count; k++)
                if (strcmp(near_name[k], c->name) == 0) {
                    buffer_printf(&text, " (column %zu ", near_field[k] + 1);
                    append_value(&text, r->fields[near_field[k]].text);
                    buffer_puts(&text, " looks like it, misspelled)");
                }
        }
        problem_add(imp, true, tp->file, line, buffer_text(&text));
    }
    if (ignored.length > 0) {
        buffer_printf(&imp->report->notes,
                      "%s: warning: not columns of %s, their values are not read: %s (its "
                      "columns are",
                      tp->file, tp->name, buffer_text(&ignored));
        for (i = 0; i < tp->column_count; i++) {
            const column_plan *c = &tp->columns[i];
            buffer_printf(&imp->report->notes, "%s %s", i > 0 ? "," : "", c->name);
            if (c->title != NULL)
                buffer_printf(&imp->report->notes, " (%s)", c->title);
        }
        buffer_puts(&imp->report->notes, ")\n");
    }
    i = buffer_failed(&text) || buffer_failed(&ignored);
    buffer_free(&text);
    buffer_free(&ignored);
    return i ? ERROR_SYSTEM : ERROR_OK;
}

/* Appends the key of the row (primary key values joined by 0x1f) to
** imp->key; false when a key column is NULL. */
static bool row_key(importer *imp, const table_plan *tp, const value *values)
{
    size_t k;
    buffer_reset(&imp->key);
    for (k = 0; k < tp->key_count; k++) {
        const value *v = &values[tp->key_columns[k]];
        if (v->null)
            return false;
        if (k > 0)
            buffer_append(&imp->key, "\x1f", 1);
        buffer_puts(&imp->key, v->text);
    }
    return tp->key_count > 0;
}

/* Appends the row's identity for messages: "workers row 'W01'". */
static void append_identity(buffer *out, const table_plan *tp, const value *values)
{
    size_t k;
    bool any = false;
    for (k = 0; k < tp->key_count; k++)
        if (!values[tp->key_columns[k]].null)
            any = true;
    if (!any)
        return;
    buffer_printf(out, "%s row ", tp->name);
    for (k = 0; k < tp->key_count; k++) {
        const value *v = &values[tp->key_columns[k]];
        if (k > 0)
            buffer_puts(out, " ");
        append_value(out, v->null ? "" : v->text);
    }
    buffer_puts(out, ": ");
}

/* Checks one data row and writes it when good (or reports it). */
/* Counts a row that refers to `key` of `parent`, a row missing or left
** out; false when out of memory. */
static bool orphan_add(importer *imp, const table_plan *parent, const char *key, long parent_line,
                       const char *file, long line)
{
    buffer id;
    long at;
    struct orphan *o;
    buffer_init(&id);
    buffer_printf(&id, "%s%c%s", parent->name, 0x1f, key);
    if (buffer_failed(&id))
        return false;
    at = idset_find(&imp->orphans_seen, buffer_text(&id), id.length);
    if (at < 0) {
        if (imp->orphans_seen.count == imp->orphan_capacity) {
            size_t capacity = imp->orphan_capacity ? 2 * imp->orphan_capacity : 64;
            struct orphan *more = realloc(imp->orphans, capacity * sizeof *more);
            if (more == NULL) {
                buffer_free(&id);
                return false;
            }
            imp->orphans = more;
            imp->orphan_capacity = capacity;
        }
        at = (long)imp->orphans_seen.count;
        o = &imp->orphans[at];
        memset(o, 0, sizeof *o);
        o->key = strdup(key);
        if (o->key == NULL || idset_add(&imp->orphans_seen, buffer_text(&id), id.length) != 0) {
            free(o->key);
            buffer_free(&id);
            return false;
        }
        o->parent = parent;
        o->parent_line = parent_line;
        o->first_file = file;
        o->first_line = line;
    }
    imp->orphans[at].rows++;
    buffer_free(&id);
    return true;
}

/* One problem per missing or left-out parent row, with the rows it held
** back; ordered as the parents were first referred to. */
static void orphans_report(importer *imp)
{
    size_t i;
    for (i = 0; i < imp->orphans_seen.count; i++) {
        const struct orphan *o = &imp->orphans[i];
        buffer text;
        buffer_init(&text);
        if (o->parent_line > 0)
            buffer_printf(&text,
                          "%s row '%s' was left out (line %ld), so %ld row%s referring to it "
                          "%s left out too (the first: %s:%ld)",
                          o->parent->name, o->key, o->parent_line, o->rows, o->rows == 1 ? "" : "s",
                          o->rows == 1 ? "was" : "were", o->first_file, o->first_line);
        else
            buffer_printf(&text,
                          "no %s row '%s', yet %ld row%s refer%s to it (the first: %s:%ld)%s",
                          o->parent->name, o->key, o->rows, o->rows == 1 ? "" : "s",
                          o->rows == 1 ? "s" : "", o->first_file, o->first_line,
                          o->parent->file == NULL ? " (its file is missing)"
                          : looks_like_scientific(o->key)
                              ? " (the spreadsheet turned the id into a number: format the column "
                                "as text)"
                              : "");
        if (!buffer_failed(&text))
            problem_add(imp, false, o->parent->file != NULL ? o->parent->file : o->parent->name, 0,
                        buffer_text(&text));
        buffer_free(&text);
    }
}

static int import_row(importer *imp, table_plan *tp, const csv_record *r, long line,
                      sqlite3_stmt *insert, value *values, error *e)
{
    size_t i;
    bool good, orphan = false;
    bool duplicate = false;
    bool has_key = false;
    buffer message;
    int status = ERROR_OK;
    buffer_init(&message);
    buffer_reset(&imp->row);
    imp->report->rows_read++;
    /* Field count: extra empty fields are a spreadsheet artefact; a value
    ** under no column name is not. */
    {
        size_t used = r->count;
        while (used > 0 && r->fields[used - 1].length == 0)
            used--;
        for (i = 0; i < tp->column_count; i++)
            values[i].null = true;
        if (r->count < tp->header_fields || used > tp->header_fields) {
            buffer_printf(&imp->row,
                          "%zu fields where the header has %zu (a value with a comma needs "
                          "double quotes around it)",
                          used > tp->header_fields ? used : r->count, tp->header_fields);
            goto report;
        }
        for (i = 0; i < used; i++)
            if (!tp->mapped[i] && r->fields[i].length > 0) {
                buffer_printf(&imp->row, "field %zu holds ", i + 1);
                append_value(&imp->row, r->fields[i].text);
                buffer_puts(&imp->row, " but the header names no column there");
                goto report;
            }
    }
    for (i = 0; i < tp->column_count; i++) {
        column_plan *c = &tp->columns[i];
        if (c->field < 0) {
            memset(&values[i], 0, sizeof values[i]);
            values[i].null = true;
            continue;
        }
        parse_cell(imp, tp, c, (char *)r->fields[(size_t)c->field].text, &values[i]);
    }
    /* snapshot_meta: the assessment date must be a date. */
    if (strcmp(tp->name, "snapshot_meta") == 0 && !values[0].null && !values[1].null &&
        strcmp(values[0].text, "as_of") == 0 && !snapshot_date_valid(values[1].text)) {
        row_problem(imp, &tp->columns[1]);
        buffer_puts(&imp->row, "as_of ");
        append_value(&imp->row, values[1].text);
        buffer_puts(&imp->row, " is not a date YYYY-MM-DD");
    }
    /* References, to rows of earlier files. */
    for (i = 0; i < tp->column_count; i++) {
        const column_plan *c = &tp->columns[i];
        const key_row *found;
        if (c->target == NULL || values[i].null)
            continue;
        found = key_set_find(&c->target->keys, values[i].text, strlen(values[i].text));
        if (found == NULL || (!found->good && imp->o->skip_bad)) {
            /* The cause is the parent row, not this one: counted there. */
            if (!orphan_add(imp, c->target, values[i].text, found ? found->line : 0, tp->file,
                            line)) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            orphan = true;
        }
    }
    /* Duplicate keys, against every earlier row of the file. */
    has_key = row_key(imp, tp, values);
    if (buffer_failed(&imp->key)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    if (has_key) {
        const key_row *found = key_set_find(&tp->keys, buffer_text(&imp->key), imp->key.length);
        if (found != NULL) {
            duplicate = true;
            if (imp->row.length > 0)
                buffer_puts(&imp->row, "; ");
            if (tp->key_count == 1)
                buffer_printf(&imp->row, "%s ", tp->columns[tp->key_columns[0]].name);
            else {
                buffer_puts(&imp->row, "(");
                for (i = 0; i < tp->key_count; i++)
                    buffer_printf(&imp->row, "%s%s", i ? ", " : "",
                                  tp->columns[tp->key_columns[i]].name);
                buffer_puts(&imp->row, ") ");
            }
            buffer_printf(&imp->row, "appears again (first on line %ld)", found->line);
        }
    }
report:
    good = imp->row.length == 0 && !orphan;
    if (imp->row.length > 0) {
        append_identity(&message, tp, values);
        buffer_puts(&message, buffer_text(&imp->row));
        problem_add(imp, false, tp->file, line, buffer_text(&message));
    } else if (orphan) {
        imp->orphan_rows++;
    }
    if (!good && imp->o->skip_bad)
        imp->report->rows_skipped++;
    if (has_key && !duplicate &&
        !key_set_add(&tp->keys, buffer_text(&imp->key), imp->key.length, line, good)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    if (!good)
        goto done;
    if (strcmp(tp->name, "snapshot_meta") == 0) {
        char **slot = strcmp(values[0].text, "as_of") == 0    ? &imp->as_of
                      : strcmp(values[0].text, "region") == 0 ? &imp->region
                                                              : NULL;
        if (slot != NULL && *slot == NULL) {
            *slot = strdup(values[1].text);
            if (*slot == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
        }
    }
    /* Nothing is written once a problem is certain to stop the import. */
    if (imp->fatal > 0 || ((imp->problems > 0 || imp->orphan_rows > 0) && !imp->o->skip_bad))
        goto done;
    for (i = 0; i < tp->column_count; i++) {
        const value *v = &values[i];
        int slot = (int)i + 1;
        int rc;
        if (v->null)
            rc = sqlite3_bind_null(insert, slot);
        else if (tp->columns[i].type == TYPE_INTEGER)
            rc = sqlite3_bind_int64(insert, slot, v->integer);
        else if (tp->columns[i].type == TYPE_REAL)
            rc = sqlite3_bind_double(insert, slot, v->real);
        else
            rc = sqlite3_bind_text(insert, slot, v->text, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK) {
            status = error_set(e, ERROR_SYSTEM, "%s:%ld: cannot bind %s: %s", tp->file, line,
                               tp->columns[i].name, sqlite3_errmsg(imp->db));
            goto done;
        }
    }
    if (sqlite3_step(insert) != SQLITE_DONE) {
        int rc = sqlite3_extended_errcode(imp->db);
        status = error_set(e, (rc & 0xff) == SQLITE_CONSTRAINT ? ERROR_INPUT : ERROR_SYSTEM,
                           "%s:%ld: cannot write the row to table %s: %s", tp->file, line, tp->name,
                           sqlite3_errmsg(imp->db));
        sqlite3_reset(insert);
        goto done;
    }
    sqlite3_reset(insert);
    imp->report->rows_written++;
done:
    if (status == ERROR_OK && (buffer_failed(&imp->row) || buffer_failed(&message)))
        status = error_set(e, ERROR_SYSTEM, "out of memory");
    buffer_free(&message);
    return status;
}

/* The bytes of one row at most (--max-row-mb). */
static size_t row_limit(const importer *imp)
{
    return imp->o->max_row_bytes > 0 ? imp->o->max_row_bytes
                                     : (size_t)IMPORT_MAX_ROW_MB_DEFAULT << 20;
}

/* Opens a CSV file (csv.h), refusing UTF-16. Returns the reader, or NULL
** with a problem recorded or *status set. */
/* True when the file at `path` is valid UTF-8 throughout (read in chunks;
** a sequence cut by a chunk's end is carried to the next). False too when
** it cannot be read: csv_open then says why. */
static bool file_is_utf8(const char *path)
{
    char chunk[65536 + 4];
    size_t carried = 0, n, bad;
    bool ok = true;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return true;
    while (ok && (n = fread(chunk + carried, 1, sizeof chunk - 4 - carried, f)) > 0) {
        size_t length = carried + n;
        carried = 0;
        if (!text_utf8_valid(chunk, length, &bad)) {
            /* Only a sequence cut at the chunk's end may yet be whole. */
            if (length - bad < 4 && !feof(f)) {
                carried = length - bad;
                memmove(chunk, chunk + bad, carried);
            } else {
                ok = false;
            }
        }
    }
    if (ferror(f) || carried > 0)
        ok = false;
    fclose(f);
    return ok;
}

/* The file converted from GB18030 (which includes GBK, the encoding of
** Excel's and WPS's CSV on Chinese Windows) to UTF-8, in an anonymous
** temporary file (gone when closed); NULL when it is not GB18030 either
** (the UTF-8 check then names the first bad byte) or on a failure. Line
** breaks are the same bytes in both, so every line number stays right. */
static FILE *gb18030_to_utf8(const char *path)
{
    char in[65536], out[4 * 65536];
    size_t carried = 0, n;
    bool ok = true;
    FILE *f = fopen(path, "rb"), *tmp = f != NULL ? tmpfile() : NULL;
    iconv_t cd = tmp != NULL ? iconv_open("UTF-8", "GB18030") : (iconv_t)-1;
    if (cd == (iconv_t)-1) {
        if (tmp != NULL)
            fclose(tmp);
        if (f != NULL)
            fclose(f);
        return NULL;
    }
    while (ok && (n = fread(in + carried, 1, sizeof in - carried, f)) > 0) {
        char *from = in, *to = out;
        size_t left = carried + n, room = sizeof out;
        if (iconv(cd, &from, &left, &to, &room) == (size_t)-1 && errno != EINVAL)
            ok = false; /* EILSEQ: not GB18030; EINVAL: a character cut by the chunk's end */
        if (ok && fwrite(out, 1, (size_t)(to - out), tmp) != (size_t)(to - out))
            ok = false;
        carried = left;
        memmove(in, from, carried);
    }
    if (ferror(f) || carried > 0 || fflush(tmp) != 0)
        ok = false;
    iconv_close(cd);
    fclose(f);
    if (!ok) {
        fclose(tmp);
        return NULL;
    }
    rewind(tmp);
    return tmp;
}

static csv_reader *open_csv(importer *imp, const char *path, int *status, error *e)
{
    csv_limits limits = {row_limit(imp), IMPORT_MAX_FIELDS};
    csv_reader *r = NULL;
    error why;
    int opened;
    FILE *converted = NULL;
    *status = ERROR_OK;
    error_clear(&why);
    if (!file_is_utf8(path) && (converted = gb18030_to_utf8(path)) != NULL) {
        /* One line, not a problem: the file is read, converted. */
        const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
        buffer_printf(&imp->report->notes,
                      "%s: note: read as GB18030/GBK (Excel's CSV on Chinese Windows), converted "
                      "to UTF-8\n",
                      name);
    }
    opened = converted != NULL ? csv_open_stream(converted, &limits, &r, &why)
                               : csv_open(path, &limits, &r, &why);
    if (opened == ERROR_SYSTEM) /* the machine's failure (memory, open files): no problem row */
        *status = error_set(e, ERROR_SYSTEM, "%s: %s", path, why.message);
    else if (opened != ERROR_OK)
        problem_add(imp, true, path, 0, why.message);
    if (opened != ERROR_OK)
        return NULL;
    if (csv_bom(r) == CSV_BOM_UTF16LE || csv_bom(r) == CSV_BOM_UTF16BE) {
        problem_add(imp, true, path, 1,
                    "the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8 "
                    "(逗号分隔)\"");
        csv_close(r);
        return NULL;
    }
    return r;
}

/* Checks that every field of the record is UTF-8; records a fatal problem
** naming the line and returns false otherwise. */
static bool record_utf8(importer *imp, const table_plan *tp, const csv_record *r)
{
    size_t i, bad, k;
    for (i = 0; i < r->count; i++) {
        const char *field = r->fields[i].text;
        long line;
        char text[512];
        if (text_utf8_valid(field, r->fields[i].length, &bad))
            continue;
        line = r->fields[i].line;
        for (k = 0; k < bad; k++)
            if (field[k] == '\n')
                line++;
        snprintf(text, sizeof text,
                 "not valid UTF-8 (byte 0x%02X in field %zu): the file seems to be in another "
                 "encoding, such as GBK from an older Excel or WPS; save it as \"CSV UTF-8 "
                 "(逗号分隔)\" (or convert it: iconv -f GBK -t UTF-8)",
                 (unsigned char)field[bad], i + 1);
        problem_add(imp, true, tp->file, line, text);
        return false;
    }
    return true;
}

/* Reports a record over the row limits: a bad row (left out under
** skip_bad), or a fatal problem when it is the header. */
static void too_long(importer *imp, const table_plan *tp, const csv_record *r, long line,
                     bool header_done)
{
    char text[512];
    char column[160] = "";
    size_t i;
    for (i = 0; header_done && i < tp->column_count; i++)
        if (tp->columns[i].field == (long)r->over_field)
            snprintf(column, sizeof column, " (column %s)", tp->columns[i].name);
    if (r->over_fields)
        snprintf(text, sizeof text,
                 "%s has more than %d fields, more than a spreadsheet row can have: not "
                 "spreadsheet data; %s",
                 header_done ? "the row" : "the header", IMPORT_MAX_FIELDS,
                 header_done ? "the row is left out with --skip-bad" : "check the file");
    else
        snprintf(text, sizeof text,
                 "%s is over %zu MB, the limit of one row (--max-row-mb %zu): it passes the "
                 "limit in field %zu%s, which starts on line %ld; a value this long is not "
                 "spreadsheet data%s",
                 header_done ? "the row" : "the header", row_limit(imp) >> 20, row_limit(imp) >> 20,
                 r->over_field + 1, column, r->over_line,
                 header_done ? " (the row is left out with --skip-bad)" : "");
    if (header_done) {
        imp->report->rows_read++;
        if (imp->o->skip_bad)
            imp->report->rows_skipped++;
    }
    problem_add(imp, !header_done, tp->file, line, text);
}

/* --- a workbook ------------------------------------------------------------ */

/* The Chinese name of each snapshot table, as a sheet may be named. */
static const char *const table_titles[][2] = {
    {"snapshot_meta", "快照信息"}, {"communities", "社区"},
    {"workers", "工作人员"},       {"organizations", "社会组织"},
    {"activities", "活动"},        {"visits", "走访"},
    {"postings", "公示"},          {"survey_responses", "满意度调查"},
    {"requests", "居民诉求"},      {"tasks", "下派事项"},
    {"facts", "其他数据"},
};

const char *import_table_title(const char *table)
{
    size_t i;
    for (i = 0; i < sizeof table_titles / sizeof table_titles[0]; i++)
        if (strcmp(table_titles[i][0], table) == 0)
            return table_titles[i][1];
    return NULL;
}

/* The text import reads from a cell: a date (with a time) as its date, a
** boolean as 1 or 0, anything else as the workbook shows it. */
static const char *cell_text(const xlsx_cell *cell, char *scratch, size_t size)
{
    if (cell->kind == XLSX_DATE && cell->length > 10) {
        snprintf(scratch, size, "%.10s", cell->text);
        return scratch;
    }
    if (cell->kind == XLSX_BOOLEAN)
        return cell->number != 0 ? "1" : "0";
    return cell->text;
}

/* Reads a table from its sheet: each row becomes the record a CSV line
** would (one field per column from A, blank cells empty), so the header,
** every check and every message are the CSV import's; problems name the
** sheet and cell. */
static int import_sheet(importer *imp, table_plan *tp, sqlite3_stmt *insert, value *values,
                        error *e)
{
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    csv_field *fields = NULL;
    char(*scratch)[32] = NULL;
    size_t capacity = 0, i;
    bool header_done = false;
    long rows = 0;
    int status = xlsx_sheet_open(imp->book, (size_t)tp->sheet, &sheet, e);
    imp->sheet = status == ERROR_OK ? xlsx_sheet_at(imp->book, (size_t)tp->sheet)->name : NULL;
    while (status == ERROR_OK && (status = xlsx_sheet_next(sheet, &row, e)) == ERROR_OK &&
           row != NULL) {
        csv_record record;
        size_t width = row->cells[row->count - 1].column;
        /* A workbook keeps no trailing blank cells: the row is as wide as
        ** the header. */
        if (header_done && width < tp->header_fields)
            width = tp->header_fields;
        if (width > capacity) {
            csv_field *more = realloc(fields, width * sizeof *fields);
            char(*more_scratch)[32] =
                more != NULL ? realloc(scratch, width * sizeof *scratch) : NULL;
            if (more != NULL)
                fields = more;
            if (more_scratch != NULL)
                scratch = more_scratch;
            if (more == NULL || more_scratch == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                break;
            }
            capacity = width;
        }
        for (i = 0; i < width; i++) {
            fields[i].text = "";
            fields[i].length = 0;
            fields[i].line = (long)row->number;
        }
        for (i = 0; i < row->count; i++) {
            const xlsx_cell *cell = &row->cells[i];
            size_t at = cell->column - 1;
            fields[at].text = cell_text(cell, scratch[at], sizeof scratch[at]);
            fields[at].length = strlen(fields[at].text);
        }
        memset(&record, 0, sizeof record);
        record.fields = fields;
        record.count = width;
        record.line = (long)row->number;
        imp->row_number = (long)row->number;
        if (csv_record_blank(&record))
            continue;
        if (!header_done) {
            long before = imp->fatal;
            header_done = true;
            status = read_header(imp, tp, &record, record.line);
            if (status != ERROR_OK) {
                status = error_set(e, status, "out of memory");
                break;
            }
            if (imp->fatal > before)
                break;
            continue;
        }
        status = import_row(imp, tp, &record, record.line, insert, values, e);
        rows++;
        if (status == ERROR_OK && imp->o->progress != NULL && rows % PROGRESS_EVERY == 0)
            imp->o->progress(imp->o->user, tp->file, rows);
    }
    if (status == ERROR_INPUT) {
        /* The reader's message names the file, sheet and cell (or part and
        ** line): a problem of this table's rows, as a CSV reading error is. */
        problem_add(imp, true, tp->file, 0, e->message);
        error_clear(e);
        status = ERROR_OK;
    } else if (status == ERROR_OK && !header_done) {
        problem_add(imp, true, tp->file, 0, "empty: not even a header row with the column names");
    }
    if (status == ERROR_OK && imp->o->progress != NULL)
        imp->o->progress(imp->o->user, tp->file, rows);
    imp->sheet = NULL;
    xlsx_sheet_close(sheet);
    free(fields);
    free(scratch);
    return status;
}

/* Finds each table's sheet, by its English or Chinese name; a sheet that is
** no table's is named in a warning (it is not read). */
static int plan_sheets(importer *imp, const char *path, error *e)
{
    size_t t, s, count = xlsx_sheet_count(imp->book);
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    for (t = 0; t < imp->table_count; t++) {
        table_plan *tp = &imp->tables[t];
        const char *title = import_table_title(tp->name);
        buffer name;
        tp->sheet = xlsx_sheet_find(imp->book, tp->name);
        if (tp->sheet < 0 && title != NULL)
            tp->sheet = xlsx_sheet_find(imp->book, title);
        if (tp->sheet < 0)
            continue;
        buffer_init(&name);
        buffer_printf(&name, "%s: %s", base, xlsx_sheet_at(imp->book, (size_t)tp->sheet)->name);
        if (buffer_failed(&name)) {
            buffer_free(&name);
            return error_set(e, ERROR_SYSTEM, "out of memory");
        }
        tp->file = buffer_take(&name);
    }
    for (s = 0; s < count; s++) {
        /* The template's notes sheet (kaohe template) is for people. */
        bool used = strcmp(xlsx_sheet_at(imp->book, s)->name, IMPORT_NOTES_SHEET) == 0;
        for (t = 0; t < imp->table_count; t++)
            used = used || imp->tables[t].sheet == (long)s;
        if (!used)
            buffer_printf(&imp->report->notes,
                          "%s: warning: sheet '%s' is no table of the snapshot (named by the "
                          "table's English or Chinese name); it is not read\n",
                          base, xlsx_sheet_at(imp->book, s)->name);
    }
    return ERROR_OK;
}

/* Reads one table's file into the snapshot. */
static int import_file(importer *imp, table_plan *tp, error *e)
{
    csv_reader *r = NULL;
    csv_record record;
    sqlite3_stmt *insert = NULL;
    value *values = NULL;
    buffer sql;
    bool header_done = false;
    long rows = 0;
    int status = ERROR_OK;
    int rc;
    size_t i;
    buffer_init(&sql);
    if (tp->file == NULL)
        goto done;
    if (imp->book == NULL) {
        r = open_csv(imp, tp->file, &status, e);
        if (r == NULL)
            goto done;
    }
    values = calloc(tp->column_count, sizeof *values);
    buffer_printf(&sql, "INSERT INTO \"%s\" (", tp->name);
    for (i = 0; i < tp->column_count; i++)
        buffer_printf(&sql, "%s\"%s\"", i ? ", " : "", tp->columns[i].name);
    buffer_puts(&sql, ") VALUES (");
    for (i = 0; i < tp->column_count; i++)
        buffer_printf(&sql, "%s?%zu", i ? ", " : "", i + 1);
    buffer_puts(&sql, ")");
    if (values == NULL || buffer_failed(&sql)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    rc = sqlite3_prepare_v2(imp->db, buffer_text(&sql), -1, &insert, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot prepare the insert into %s: %s",
                           imp->o->out, tp->name, sqlite3_errmsg(imp->db));
        goto done;
    }
    if (imp->book != NULL) {
        status = import_sheet(imp, tp, insert, values, e);
        goto finished;
    }
    for (;;) {
        rc = csv_next(r, &record);
        if (rc == CSV_END)
            break;
        if (rc == CSV_MEMORY) {
            status = error_set(e, ERROR_SYSTEM, "%s: out of memory", tp->file);
            goto done;
        }
        if (rc == CSV_IO) {
            char text[256];
            snprintf(text, sizeof text, "cannot read: %s", error_errno_text(errno));
            problem_add(imp, true, tp->file, record.error_line, text);
            goto done;
        }
        if (rc == CSV_NUL) {
            problem_add(imp, true, tp->file, record.error_line,
                        "a NUL byte: this is not a CSV text file (save it as \"CSV UTF-8 "
                        "(逗号分隔)\")");
            goto done;
        }
        if (rc == CSV_UNCLOSED) {
            problem_add(imp, true, tp->file, record.error_line,
                        "a double quote opens a value here that is never closed");
            goto done;
        }
        if (rc == CSV_TOO_LONG) {
            too_long(imp, tp, &record, record.line, header_done);
            if (!header_done)
                goto done;
            rows++;
            continue;
        }
        if (!record_utf8(imp, tp, &record))
            goto done;
        if (csv_record_blank(&record))
            continue;
        if (!header_done) {
            long before = imp->fatal;
            header_done = true;
            status = read_header(imp, tp, &record, record.line);
            if (status != ERROR_OK) {
                error_set(e, status, "out of memory");
                goto done;
            }
            if (imp->fatal > before)
                goto done;
            continue;
        }
        status = import_row(imp, tp, &record, record.line, insert, values, e);
        if (status != ERROR_OK)
            goto done;
        rows++;
        if (imp->o->progress != NULL && rows % PROGRESS_EVERY == 0)
            imp->o->progress(imp->o->user, tp->file, rows);
    }
    if (!header_done)
        problem_add(imp, true, tp->file, 0, "empty: not even a header line with the column names");
done:
    if (status == ERROR_OK && tp->file != NULL && imp->o->progress != NULL)
        imp->o->progress(imp->o->user, tp->file, rows);
finished:
    sqlite3_finalize(insert);
    csv_close(r);
    free(values);
    buffer_free(&sql);
    return status;
}

/* --- the directory ------------------------------------------------------- */

/* Joins a directory and a file name. */
static char *join_path(const char *directory, const char *name)
{
    buffer path;
    size_t n = strlen(directory);
    buffer_init(&path);
    buffer_puts(&path, directory);
    if (n > 0 && directory[n - 1] != '/')
        buffer_puts(&path, "/");
    buffer_puts(&path, name);
    if (buffer_failed(&path)) {
        buffer_free(&path);
        return NULL;
    }
    return buffer_take(&path);
}

/* True when `name` ends with `suffix`, ignoring ASCII case. */
static bool ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcasecmp(name + n - s, suffix) == 0;
}

/* Lists the directory: assigns each table its file, reports files that
** are not tables (sorted by name, so the report is stable). */
static int scan_directory(importer *imp, error *e)
{
    DIR *dir = opendir(imp->o->directory);
    struct dirent *entry;
    char **names = NULL;
    size_t count = 0, i, t;
    int status = ERROR_OK;
    const char *table_names[32];
    size_t table_name_count = 0;
    if (dir == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", imp->o->directory,
                         error_errno_text(errno));
    while ((entry = readdir(dir)) != NULL) {
        char **grown;
        if (entry->d_name[0] == '.')
            continue;
        grown = realloc(names, (count + 1) * sizeof *names);
        if (grown == NULL || (grown[count] = strdup(entry->d_name)) == NULL) {
            if (grown != NULL)
                names = grown;
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        names = grown;
        count++;
    }
    for (i = 1; i < count; i++) {
        char *name = names[i];
        size_t j = i;
        for (; j > 0 && strcmp(names[j - 1], name) > 0; j--)
            names[j] = names[j - 1];
        names[j] = name;
    }
    for (t = 0; t < imp->table_count && table_name_count < 32; t++)
        table_names[table_name_count++] = imp->tables[t].name;
    for (i = 0; i < count; i++) {
        char *path;
        bool known = false;
        if (ends_with(names[i], ".xlsx") || ends_with(names[i], ".xls") ||
            ends_with(names[i], ".et")) {
            path = join_path(imp->o->directory, names[i]);
            if (path == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            problem_add(imp, !imp->o->skip_bad, path, 0,
                        "a workbook, not a CSV file: save each sheet as \"CSV UTF-8 (逗号分隔)\" "
                        "named after its table (communities.csv, workers.csv, ...)");
            free(path);
            continue;
        }
        if (!ends_with(names[i], ".csv"))
            continue;
        path = join_path(imp->o->directory, names[i]);
        if (path == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        for (t = 0; t < imp->table_count; t++) {
            table_plan *tp = &imp->tables[t];
            size_t n = strlen(tp->name);
            if (strlen(names[i]) != n + 4 || strncasecmp(names[i], tp->name, n) != 0)
                continue;
            known = true;
            if (tp->file != NULL) {
                char text[256];
                snprintf(text, sizeof text, "a second file for table %s (with %s)", tp->name,
                         tp->file);
                problem_add(imp, true, path, 0, text);
            } else {
                tp->file = path;
                path = NULL;
            }
            break;
        }
        if (!known) {
            char stem[256];
            const char *suggestion;
            buffer text;
            buffer_init(&text);
            snprintf(stem, sizeof stem, "%.*s", (int)(strlen(names[i]) - 4), names[i]);
            suggestion = text_suggest(stem, table_names, table_name_count);
            buffer_puts(&text, "not a table of the snapshot");
            if (suggestion != NULL)
                buffer_printf(&text, " (did you mean %s.csv?)", suggestion);
            buffer_puts(&text, "; the files are");
            for (t = 0; t < imp->table_count; t++)
                buffer_printf(&text, "%s %s.csv", t ? "," : "", imp->tables[t].name);
            problem_add(imp, !imp->o->skip_bad, path, 0, buffer_text(&text));
            buffer_free(&text);
        }
        free(path);
    }
    for (t = 0; t < imp->table_count; t++) {
        table_plan *tp = &imp->tables[t];
        if (tp->file == NULL &&
            (strcmp(tp->name, "communities") == 0 || strcmp(tp->name, "snapshot_meta") == 0)) {
            char *path;
            char name[128];
            snprintf(name, sizeof name, "%s.csv", tp->name);
            path = join_path(imp->o->directory, name);
            if (path == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            problem_add(imp, true, path, 0,
                        "missing (communities.csv and snapshot_meta.csv are required)");
            free(path);
        }
    }
done:
    closedir(dir);
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return status;
}

/* Runs one SQL statement on the new snapshot. */
static int exec_out(importer *imp, const char *sql, error *e)
{
    char *message = NULL;
    int rc = sqlite3_exec(imp->db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        error_set(e, ERROR_SYSTEM, "%s: %s: %s", imp->o->out, sql,
                  message ? message : sqlite3_errmsg(imp->db));
        sqlite3_free(message);
        return ERROR_SYSTEM;
    }
    return ERROR_OK;
}

int import_csv_directory(const import_options *o, import_report *report, error *e)
{
    importer imp;
    publish out;
    struct stat st;
    snapshot *check = NULL;
    bool in_transaction = false;
    size_t t;
    int status = ERROR_OK;
    int rc;
    memset(&imp, 0, sizeof imp);
    idset_init(&imp.orphans_seen);
    memset(report, 0, sizeof *report);
    buffer_init(&report->problems);
    buffer_init(&report->notes);
    buffer_init(&imp.head);
    buffer_init(&imp.row);
    buffer_init(&imp.key);
    memset(&out, 0, sizeof out);
    imp.o = o;
    imp.report = report;
    if (o->directory == NULL || o->out == NULL) {
        status = error_set(e, ERROR_USAGE, "import: a directory and an output file are needed");
        goto done;
    }
    if (stat(o->directory, &st) != 0) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", o->directory,
                           error_errno_text(errno));
        goto done;
    }
    if (S_ISREG(st.st_mode)) {
        /* A workbook: one sheet per table (xlsx.c says what is not one). */
        xlsx_limits limits;
        xlsx_limits_default(&limits);
        limits.max_row_bytes = row_limit(&imp);
        status = xlsx_open(o->directory, &limits, &imp.book, e);
        if (status != ERROR_OK)
            goto done;
    } else if (!S_ISDIR(st.st_mode)) {
        status = error_set(e, ERROR_INPUT,
                           "%s: neither a directory of CSV files (one per table) nor an .xlsx "
                           "workbook (one sheet per table)",
                           o->directory);
        goto done;
    }
    /* Before the work: an existing file is refused at once. */
    status = publish_begin(&out, o->out, 0, e);
    if (status != ERROR_OK) {
        if (out.exists)
            error_set(e, ERROR_INPUT,
                      "%s: exists; refusing to overwrite it (import writes a new snapshot)",
                      o->out);
        goto done;
    }
    if (o->problems_path != NULL) {
        /* Excel opens UTF-8 CSV right with a byte order mark. */
        static const char head[] = "\xEF\xBB\xBF文件 file,行 line,问题 problem\r\n";
        status = publish_begin(&imp.problems_csv, o->problems_path, PUBLISH_OVERWRITE, e);
        if (status == ERROR_OK)
            status = publish_write(&imp.problems_csv, head, sizeof head - 1, e);
        if (status != ERROR_OK)
            goto done;
    }
    status = plan_build(&imp, e);
    if (status != ERROR_OK)
        goto done;
    status = imp.book != NULL ? plan_sheets(&imp, o->directory, e) : scan_directory(&imp, e);
    if (status != ERROR_OK)
        goto done;
    rc = sqlite3_open_v2(publish_temporary(&out), &imp.db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot create: %s", o->out,
                           imp.db ? sqlite3_errmsg(imp.db) : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_extended_result_codes(imp.db, 1);
    /* The file is private until it is moved into place and thrown away on
    ** failure, so no rollback journal; it is synced before the move. */
    status = exec_out(&imp, "PRAGMA journal_mode = OFF", e);
    if (status == ERROR_OK)
        status = exec_out(&imp, "PRAGMA synchronous = OFF", e);
    if (status == ERROR_OK) /* 64 MiB: the indexes of a large region stay in memory */
        status = exec_out(&imp, "PRAGMA cache_size = -65536", e);
    if (status == ERROR_OK)
        status = exec_out(&imp, "BEGIN", e);
    if (status != ERROR_OK)
        goto done;
    in_transaction = true;
    status = snapshot_create_schema(imp.db, e);
    if (status != ERROR_OK)
        goto done;
    for (t = 0; t < imp.table_count; t++) {
        status = import_file(&imp, &imp.tables[t], e);
        if (status != ERROR_OK)
            goto done;
        /* Keys of a table nothing refers to are no longer needed. */
        if (!imp.tables[t].referenced)
            key_set_free(&imp.tables[t].keys);
    }
    orphans_report(&imp);
    {
        table_plan *meta = plan_find(&imp, "snapshot_meta");
        if (meta != NULL && meta->file != NULL && imp.fatal == 0) {
            if (imp.as_of == NULL)
                problem_add(&imp, true, meta->file, 0,
                            "no row with key as_of (the assessment date, YYYY-MM-DD)");
            if (imp.region == NULL)
                problem_add(&imp, true, meta->file, 0,
                            "no row with key region (the region's name)");
        }
    }
    if (imp.fatal > 0 || (imp.problems > 0 && !o->skip_bad)) {
        report->rows_written = 0;
        if (imp.fatal > 0 && o->skip_bad)
            report->rows_skipped = 0;
        status =
            error_set(e, ERROR_INPUT, "%s: %ld problem%s; nothing was written:%s%s", o->directory,
                      imp.problems, imp.problems == 1 ? "" : "s", buffer_text(&imp.head),
                      imp.problems > PROBLEMS_IN_MESSAGE ? "\n..." : "");
        goto done;
    }
    status = exec_out(&imp, "COMMIT", e);
    if (status != ERROR_OK)
        goto done;
    in_transaction = false;
    if (sqlite3_close(imp.db) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot close: %s", o->out, sqlite3_errmsg(imp.db));
        imp.db = NULL;
        goto done;
    }
    imp.db = NULL;
    /* The engine's own validation, before anyone can see the file. */
    status = snapshot_open(publish_temporary(&out), &check, e);
    if (status != ERROR_OK) {
        error_prefix(e,
                     "%s: the imported snapshot does not pass the engine's checks (nothing "
                     "was written)",
                     o->out);
        goto done;
    }
    snapshot_close(check);
    check = NULL;
    status = publish_commit(&out, e);
done:
    if (imp.db != NULL) {
        if (in_transaction)
            sqlite3_exec(imp.db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(imp.db);
    }
    if (status != ERROR_OK)
        report->rows_written = 0;
    publish_free(&out);
    if (status == ERROR_OK && (buffer_failed(&report->problems) || buffer_failed(&report->notes)))
        status = error_set(e, ERROR_SYSTEM, "out of memory");
    if (imp.problems > PROBLEMS_LISTED)
        buffer_printf(&report->problems, "... and %ld more problems\n",
                      imp.problems - PROBLEMS_LISTED);
    snapshot_close(check);
    if (imp.problems_csv.path != NULL) {
        /* The list is the answer when the import failed: it is published
        ** either way. */
        error mine;
        error_clear(&mine);
        if (imp.problems_failed || publish_commit(&imp.problems_csv, &mine) != ERROR_OK)
            buffer_printf(&report->notes, "%s: cannot write the list of problems%s%s\n",
                          o->problems_path, mine.message[0] ? ": " : "", mine.message);
    }
    publish_free(&imp.problems_csv);
    for (t = 0; t < imp.orphans_seen.count; t++)
        free(imp.orphans[t].key);
    free(imp.orphans);
    idset_free(&imp.orphans_seen);
    xlsx_close(imp.book);
    plan_free(&imp);
    free(imp.as_of);
    free(imp.region);
    buffer_free(&imp.head);
    buffer_free(&imp.row);
    buffer_free(&imp.key);
    return status;
}
