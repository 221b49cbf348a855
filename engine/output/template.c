/*
** template.c — the workbook to fill in (template.h). The tables and columns
** come from the canonical schema, the titles and constraints from the
** import's tables (import.c, snapshot.c), the labels from the rules.
*/
#include "template.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "buffer.h"
#include "import.h"
#include "publish.h"
#include "snapshot.h"

/* Rows a drop-down list covers: every row a sheet may hold. */
#define TEMPLATE_LAST_ROW 1048575
/* Values of one list at most (Excel's list holds 255 characters). */
#define TEMPLATE_LIST_MAX 32

typedef struct template_formats {
    lxw_format *header, *text, *date, *note;
} template_formats;

/* The constraint of `table`.`column` of `kind`, or NULL. */
static const snapshot_column_rule *rule_of(const char *table, const char *column,
                                           snapshot_rule_kind kind)
{
    size_t i;
    for (i = 0; i < snapshot_column_rule_count; i++)
        if (snapshot_column_rules[i].kind == kind &&
            strcmp(snapshot_column_rules[i].table, table) == 0 &&
            strcmp(snapshot_column_rules[i].column, column) == 0)
            return &snapshot_column_rules[i];
    return NULL;
}

/* The drop-down values of an enumerated or yes/no column (labels where the
** rules give them), into `list` (NULL-terminated, texts in `arena`). */
static size_t list_values(const rules *labels, const char *table, const char *column,
                          const char *list[], buffer *arena, size_t *offsets)
{
    const snapshot_column_rule *e = rule_of(table, column, SNAPSHOT_RULE_ENUM);
    char kind[96];
    size_t n = 0, i;
    if (e != NULL) {
        const char *p = e->values;
        snprintf(kind, sizeof kind, "%s.%s", table, column);
        while (*p != '\0' && n + 1 < TEMPLATE_LIST_MAX) {
            size_t length = strcspn(p, ",");
            char code[64];
            snprintf(code, sizeof code, "%.*s", (int)length, p);
            offsets[n++] = arena->length;
            buffer_puts(arena, labels != NULL ? rules_label(labels, kind, code) : code);
            buffer_append(arena, "", 1);
            p += length + (p[length] == ',');
        }
    } else if (rule_of(table, column, SNAPSHOT_RULE_BOOLEAN) != NULL) {
        static const char *const codes[] = {"1", "0"};
        size_t k;
        for (k = 0; k < 2; k++) {
            offsets[n++] = arena->length;
            buffer_puts(arena,
                        labels != NULL ? rules_label(labels, "boolean", codes[k]) : codes[k]);
            buffer_append(arena, "", 1);
        }
    }
    if (buffer_failed(arena))
        return 0;
    for (i = 0; i < n; i++)
        list[i] = buffer_text(arena) + offsets[i];
    list[n] = NULL;
    return n;
}

/* What a person needs to know to fill the column: its format or values. */
static void column_note(const rules *labels, const char *table, const char *column,
                        const char *type, bool required, buffer *out)
{
    const snapshot_column_rule *r;
    const char *list[TEMPLATE_LIST_MAX];
    size_t offsets[TEMPLATE_LIST_MAX], n, i;
    buffer arena;
    buffer_init(&arena);
    buffer_puts(out, required ? "必填。" : "可空。");
    if (rule_of(table, column, SNAPSHOT_RULE_DATE) != NULL)
        buffer_puts(out, "日期，如 2025-03-01（也可写 2025/3/1、2025年3月1日）。");
    else if (rule_of(table, column, SNAPSHOT_RULE_MONTH) != NULL)
        buffer_puts(out, "月份，如 2025-03。");
    else if ((r = rule_of(table, column, SNAPSHOT_RULE_RANGE)) != NULL)
        buffer_printf(out, "数字，%g 到 %g。", r->low, r->high);
    else if ((r = rule_of(table, column, SNAPSHOT_RULE_REFERENCE)) != NULL)
        buffer_printf(out, "须是已填的编号（%s）。", r->values);
    else if (strcmp(type, "INTEGER") == 0)
        buffer_puts(out, "整数。");
    else if (strcmp(type, "REAL") == 0)
        buffer_puts(out, "数字。");
    n = list_values(labels, table, column, list, &arena, offsets);
    if (n > 0) {
        buffer_puts(out, "可填：");
        for (i = 0; i < n; i++)
            buffer_printf(out, "%s%s", i ? "、" : "", list[i]);
        buffer_puts(out, "（下拉选择）。");
    }
    buffer_free(&arena);
}

static int lxw_failure(error *e, lxw_error rc, const char *path, const char *what)
{
    return error_set(e, rc == LXW_ERROR_MEMORY_MALLOC_FAILED ? ERROR_SYSTEM : ERROR_INPUT,
                     "%s: cannot write %s: %s", path, what, lxw_strerror(rc));
}

/* One sheet: the header and the column formats and lists; a row of the
** notes sheet per column. */
static int write_table(lxw_workbook *book, lxw_worksheet *notes, lxw_row_t *note_row,
                       sqlite3 *schema, const char *table, const rules *labels,
                       const template_formats *f, const char *path, error *e)
{
    const char *title = import_table_title(table);
    lxw_worksheet *sheet = workbook_add_worksheet(book, title != NULL ? title : table);
    sqlite3_stmt *columns = NULL;
    buffer text;
    lxw_col_t col = 0;
    int status = ERROR_OK;
    char sql[128];
    if (sheet == NULL)
        return error_set(e, ERROR_SYSTEM, "%s: cannot add the sheet of %s", path, table);
    buffer_init(&text);
    snprintf(sql, sizeof sql,
             "SELECT name, type, \"notnull\" OR pk > 0 FROM pragma_table_info('%s')", table);
    if (sqlite3_prepare_v2(schema, sql, -1, &columns, NULL) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot read the schema of %s", table);
        goto done;
    }
    while (status == ERROR_OK && sqlite3_step(columns) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(columns, 0);
        const char *type = (const char *)sqlite3_column_text(columns, 1);
        bool required = sqlite3_column_int(columns, 2) != 0;
        const char *column_title = import_column_title(table, name);
        const char *list[TEMPLATE_LIST_MAX];
        size_t offsets[TEMPLATE_LIST_MAX];
        buffer arena;
        lxw_format *format = NULL;
        lxw_error rc;
        buffer_reset(&text);
        if (column_title != NULL)
            buffer_printf(&text, "%s %s", column_title, name);
        else
            buffer_puts(&text, name);
        if (buffer_failed(&text)) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            break;
        }
        rc = worksheet_write_string(sheet, 0, col, buffer_text(&text), f->header);
        /* Dates as dates (import reads the format); ids, codes and text as
        ** text, so a spreadsheet never turns an id into a number. */
        if (rule_of(table, name, SNAPSHOT_RULE_DATE) != NULL)
            format = f->date;
        else if (strcmp(type, "TEXT") == 0)
            format = f->text;
        if (rc == LXW_NO_ERROR)
            rc = worksheet_set_column(sheet, col, col, 16, format);
        buffer_init(&arena);
        if (rc == LXW_NO_ERROR && list_values(labels, table, name, list, &arena, offsets) > 0) {
            lxw_data_validation v;
            memset(&v, 0, sizeof v);
            v.validate = LXW_VALIDATION_TYPE_LIST;
            v.value_list = (char **)list;
            /* A warning, not a refusal: a code instead of a label imports too. */
            v.error_type = LXW_VALIDATION_ERROR_TYPE_WARNING;
            rc = worksheet_data_validation_range(sheet, 1, col, TEMPLATE_LAST_ROW, col, &v);
        }
        buffer_free(&arena);
        buffer_reset(&text);
        column_note(labels, table, name, type, required, &text);
        if (rc == LXW_NO_ERROR)
            rc = worksheet_write_string(notes, *note_row, 0, title != NULL ? title : table, NULL);
        if (rc == LXW_NO_ERROR)
            rc = worksheet_write_string(notes, *note_row, 1,
                                        column_title != NULL ? column_title : name, NULL);
        if (rc == LXW_NO_ERROR)
            rc = worksheet_write_string(notes, *note_row, 2, name, NULL);
        if (rc == LXW_NO_ERROR)
            rc = worksheet_write_string(notes, *note_row, 3, buffer_text(&text), f->note);
        if (rc != LXW_NO_ERROR)
            status = lxw_failure(e, rc, path, table);
        (*note_row)++;
        col++;
    }
    if (status == ERROR_OK)
        worksheet_freeze_panes(sheet, 1, 0);
done:
    sqlite3_finalize(columns);
    buffer_free(&text);
    return status;
}

int template_write(const char *path, const rules *labels, error *e)
{
    static const char *const note_titles[] = {"表（工作表）", "列", "英文列名", "填写说明"};
    lxw_workbook_options options = {
        .constant_memory = LXW_FALSE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    lxw_workbook *book = NULL;
    lxw_worksheet *notes;
    sqlite3 *schema = NULL;
    sqlite3_stmt *tables = NULL;
    template_formats f;
    publish out;
    lxw_row_t note_row = 1;
    lxw_error rc;
    size_t i;
    int status;
    memset(&out, 0, sizeof out);
    status = snapshot_open_schema(&schema, e);
    if (status == ERROR_OK)
        status = publish_begin(&out, path, 0, e);
    if (status != ERROR_OK) {
        if (out.exists)
            error_set(e, ERROR_INPUT, "%s: exists; refusing to overwrite it", path);
        goto done;
    }
    book = workbook_new_opt(publish_temporary(&out), &options);
    if (book == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot start the workbook", path);
        goto done;
    }
    f.header = workbook_add_format(book);
    f.text = workbook_add_format(book);
    f.date = workbook_add_format(book);
    f.note = workbook_add_format(book);
    notes = workbook_add_worksheet(book, IMPORT_NOTES_SHEET);
    if (f.header == NULL || f.text == NULL || f.date == NULL || f.note == NULL || notes == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    format_set_bold(f.header);
    format_set_bg_color(f.header, 0xDDEBF7);
    format_set_num_format(f.text, "@");
    format_set_num_format(f.date, "yyyy-mm-dd");
    format_set_text_wrap(f.note);
    worksheet_set_column(notes, 0, 2, 16, NULL);
    worksheet_set_column(notes, 3, 3, 80, f.note);
    for (i = 0; i < 4; i++)
        worksheet_write_string(notes, 0, (lxw_col_t)i, note_titles[i], f.header);
    /* Tables in the schema's order: a table refers only to earlier ones. */
    if (sqlite3_prepare_v2(schema,
                           "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT "
                           "LIKE 'sqlite_%' ORDER BY rowid",
                           -1, &tables, NULL) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot read the schema");
        goto done;
    }
    while (status == ERROR_OK && sqlite3_step(tables) == SQLITE_ROW)
        status = write_table(book, notes, &note_row, schema,
                             (const char *)sqlite3_column_text(tables, 0), labels, &f, path, e);
    if (status != ERROR_OK)
        goto done;
    rc = workbook_close(book);
    book = NULL;
    if (rc != LXW_NO_ERROR) {
        status = lxw_failure(e, rc, path, "the workbook");
        goto done;
    }
    status = publish_commit(&out, e);
done:
    if (book != NULL)
        workbook_close(book);
    publish_free(&out);
    sqlite3_finalize(tables);
    sqlite3_close(schema);
    return status;
}
