/*
** snapshot.c — opening and validating snapshots (snapshot.h).
**
** The canonical schema is engine/snapshot_schema.sql, a copy of
** ../shared/spec/snapshot.sql compiled into the binary. Column types and NOT
** NULL come from it; the allowed values, dates and ranges below come from its
** comments. Each table is checked by one generated query that returns, for
** the first rows with a problem, the row id and a message.
*/
#include "snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "hash.h"
#include "idset.h"
#include "snapshot_schema_sql.h"
#include "text.h"

/* How many problems are listed before "... and N more". */
#define PROBLEMS_SHOWN 20

const snapshot_column_rule snapshot_column_rules[] = {
    {"workers", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"workers", "birth_date", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"workers", "hire_date", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"workers", "role", SNAPSHOT_RULE_ENUM, "secretary,director,fulltime,grid", 0, 0},
    {"workers", "education", SNAPSHOT_RULE_ENUM, "postgraduate,bachelor,college,highschool,other",
     0, 0},
    {"workers", "cert_level", SNAPSHOT_RULE_ENUM, "assistant,intermediate,senior", 0, 0},
    {"workers", "cert_date", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"workers", "score_civil", SNAPSHOT_RULE_RANGE, NULL, 0, 100},
    {"workers", "score_community", SNAPSHOT_RULE_RANGE, NULL, 0, 100},
    {"workers", "score_residents", SNAPSHOT_RULE_RANGE, NULL, 0, 100},
    {"workers", "status", SNAPSHOT_RULE_ENUM, "active,left", 0, 0},
    {"workers", "left_date", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"workers", "left_reason", SNAPSHOT_RULE_ENUM, "eliminated,resigned,retired,transferred", 0, 0},
    {"organizations", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"organizations", "kind", SNAPSHOT_RULE_ENUM, "culture,charity,elderly,volunteer,sports,other",
     0, 0},
    {"organizations", "registered", SNAPSHOT_RULE_BOOLEAN, NULL, 0, 0},
    {"organizations", "evaluated", SNAPSHOT_RULE_BOOLEAN, NULL, 0, 0},
    {"organizations", "rating", SNAPSHOT_RULE_ENUM, "A,AA,AAA,AAAA,AAAAA", 0, 0},
    {"activities", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"activities", "held_on", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"activities", "kind", SNAPSHOT_RULE_ENUM,
     "co_building,culture,resident,consultation,volunteer,civility", 0, 0},
    {"visits", "worker_id", SNAPSHOT_RULE_REFERENCE, "workers.id", 0, 0},
    {"visits", "month", SNAPSHOT_RULE_MONTH, NULL, 0, 0},
    {"postings", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"postings", "posted_on", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"postings", "channel", SNAPSHOT_RULE_ENUM, "website,wechat,board", 0, 0},
    {"survey_responses", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"survey_responses", "satisfied", SNAPSHOT_RULE_BOOLEAN, NULL, 0, 0},
    {"survey_responses", "score", SNAPSHOT_RULE_RANGE, NULL, 0, 100},
    {"requests", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"requests", "received_on", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"requests", "resolved_on", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"requests", "channel", SNAPSHOT_RULE_ENUM, "wish,proposal,hotline,whistle", 0, 0},
    {"tasks", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
    {"tasks", "received_on", SNAPSHOT_RULE_DATE, NULL, 0, 0},
    {"tasks", "funded", SNAPSHOT_RULE_BOOLEAN, NULL, 0, 0},
    {"tasks", "staffed", SNAPSHOT_RULE_BOOLEAN, NULL, 0, 0},
    {"facts", "community_id", SNAPSHOT_RULE_REFERENCE, "communities.id", 0, 0},
};
const size_t snapshot_column_rule_count =
    sizeof snapshot_column_rules / sizeof snapshot_column_rules[0];

/* Row identity shown in messages, per table. */
static const char *row_identity(const char *table)
{
    if (strcmp(table, "visits") == 0)
        return "worker_id || ' ' || month";
    if (strcmp(table, "facts") == 0)
        return "community_id || ' ' || key";
    if (strcmp(table, "snapshot_meta") == 0)
        return "key";
    return "id";
}

int snapshot_date_valid(const char *text)
{
    return text_date_valid(text);
}

int snapshot_add_years(const char *date, int years, char out[11])
{
    int y, m, d;
    if (!text_date_parse(date, &y, &m, &d))
        return 0;
    y += years;
    if (y < 0 || y > 9999)
        return 0;
    if (m == 2 && d == 29 && !(((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        d = 28;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 1;
}

/* SQL add_years(date, n): NULL for NULL or an invalid date. */
static void sql_add_years(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    char out[11];
    const char *date = (const char *)sqlite3_value_text(argv[0]);
    (void)argc;
    if (date == NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL ||
        !snapshot_add_years(date, sqlite3_value_int(argv[1]), out)) {
        sqlite3_result_null(context);
        return;
    }
    sqlite3_result_text(context, out, -1, SQLITE_TRANSIENT);
}

/* SQL date_valid(x): 1 when x is a real calendar date YYYY-MM-DD. SQLite's
** own date() passes 2023-02-30 through unchanged, so it cannot say. */
static void sql_date_valid(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int(context, sqlite3_value_type(argv[0]) == SQLITE_TEXT &&
                                    snapshot_date_valid((const char *)sqlite3_value_text(argv[0])));
}

/* SQL utf8_bad(x): 1 when x is text that is not valid UTF-8. */
static void sql_utf8_bad(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_int(context, 0);
        return;
    }
    sqlite3_result_int(context, !text_utf8_valid((const char *)sqlite3_value_blob(argv[0]),
                                                 (size_t)sqlite3_value_bytes(argv[0]), NULL));
}

int snapshot_register_functions(sqlite3 *db)
{
    int rc = sqlite3_create_function(db, "add_years", 2,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     sql_add_years, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "date_valid", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     sql_date_valid, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "utf8_bad", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     sql_utf8_bad, NULL, NULL);
    return rc;
}

void snapshot_configure_connection(sqlite3 *db)
{
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    /* No memory map (PRAGMA mmap_size): scans would be faster, but the
    ** mapped file would count as the process's memory, and a snapshot cut
    ** short while mapped would kill the process with SIGBUS instead of
    ** failing with a message. */
}

int snapshot_create_temp_tables(sqlite3 *db, error *e)
{
    char *message = NULL;
    int rc = sqlite3_exec(db,
                          "CREATE TEMP TABLE IF NOT EXISTS task_decision ("
                          " task_id TEXT PRIMARY KEY, decision TEXT NOT NULL, rule_id TEXT)",
                          NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        error_set(e, ERROR_SYSTEM, "cannot create temporary tables: %s",
                  message ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        return ERROR_SYSTEM;
    }
    return ERROR_OK;
}

int snapshot_create_schema(sqlite3 *db, error *e)
{
    char *message = NULL;
    char *schema = malloc(snapshot_schema_sql_len + 1);
    int status = ERROR_OK;
    if (schema == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    memcpy(schema, snapshot_schema_sql, snapshot_schema_sql_len);
    schema[snapshot_schema_sql_len] = '\0';
    if (sqlite3_exec(db, schema, NULL, NULL, &message) != SQLITE_OK)
        status = error_set(e, ERROR_SYSTEM, "cannot create the snapshot schema: %s",
                           message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    free(schema);
    return status;
}

int snapshot_open_schema(sqlite3 **out, error *e)
{
    sqlite3 *db = NULL;
    int status = ERROR_OK;
    *out = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot open an in-memory database");
        goto done;
    }
    status = snapshot_create_schema(db, e);
    if (status != ERROR_OK)
        goto done;
    if (snapshot_register_functions(db) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot register SQL functions");
        goto done;
    }
    status = snapshot_create_temp_tables(db, e);
    if (status != ERROR_OK)
        goto done;
    *out = db;
    db = NULL;
done:
    sqlite3_close(db);
    return status;
}

/* Appends `text` to `out`, with control characters escaped, so a row id
** holding a newline cannot break the message into misleading lines. */
static void append_escaped(buffer *out, const char *text)
{
    for (; *text; text++) {
        unsigned char c = (unsigned char)*text;
        if (c == '\n')
            buffer_puts(out, "\\n");
        else if (c < 0x20 || c == 0x7f)
            buffer_printf(out, "\\x%02x", c);
        else
            buffer_append(out, text, 1);
    }
}

/* Problems found so far. */
typedef struct problem_list {
    buffer text;
    size_t count;
} problem_list;

static void problem_add(problem_list *p, const char *path, const char *table, const char *row,
                        const char *message)
{
    p->count++;
    if (p->count > PROBLEMS_SHOWN)
        return;
    buffer_printf(&p->text, "\n%s: table %s", path, table);
    if (row != NULL) {
        buffer_puts(&p->text, ", row ");
        append_escaped(&p->text, row);
    }
    buffer_puts(&p->text, ": ");
    append_escaped(&p->text, message);
}

/* Columns of `table` in `db`: fills *out (owned) with their names, types and
** flags; returns the count (0 when there is no such table), -1 when out of
** memory, -2 when SQLite cannot read the schema. */
typedef struct column_info {
    char *name;
    char *type;
    int not_null;
} column_info;

static int table_columns(sqlite3 *db, const char *schema, const char *table, column_info **out)
{
    sqlite3_stmt *statement = NULL;
    buffer sql;
    column_info *columns = NULL;
    int count = 0, rc;
    int result = -1;
    buffer_init(&sql);
    buffer_printf(&sql,
                  "SELECT name, type, \"notnull\" OR pk > 0 FROM pragma_table_info(?1, ?2) ORDER "
                  "BY cid");
    *out = NULL;
    if (buffer_failed(&sql))
        goto fail;
    if (sqlite3_prepare_v2(db, buffer_text(&sql), -1, &statement, NULL) != SQLITE_OK) {
        result = sqlite3_errcode(db) == SQLITE_NOMEM ? -1 : -2;
        goto fail;
    }
    sqlite3_bind_text(statement, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, schema, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(statement, 0);
        const char *type = (const char *)sqlite3_column_text(statement, 1);
        column_info *grown = realloc(columns, (size_t)(count + 1) * sizeof *columns);
        if (grown == NULL)
            goto fail;
        columns = grown;
        columns[count].name = name ? strdup(name) : NULL;
        columns[count].type = strdup(type ? type : "");
        columns[count].not_null = sqlite3_column_int(statement, 2);
        count++;
        /* A failed copy (or a name SQLite could not convert) is out of
        ** memory, never a missing column. */
        if (columns[count - 1].name == NULL || columns[count - 1].type == NULL)
            goto fail;
    }
    if (rc != SQLITE_DONE) {
        result = rc == SQLITE_NOMEM ? -1 : -2;
        goto fail;
    }
    sqlite3_finalize(statement);
    buffer_free(&sql);
    *out = columns;
    return count;
fail:
    sqlite3_finalize(statement);
    buffer_free(&sql);
    while (count-- > 0) {
        free(columns[count].name);
        free(columns[count].type);
    }
    free(columns);
    return result;
}

static void columns_free(column_info *columns, int count)
{
    int i;
    for (i = 0; i < count; i++) {
        free(columns[i].name);
        free(columns[i].type);
    }
    free(columns);
}

/* The reference sets, built once before the tables are checked. */
typedef struct reference_sets {
    idset communities; /* communities.id */
    idset workers;     /* workers.id */
} reference_sets;

/* One column of the canonical schema, as the row check sees it. */
typedef struct column_check {
    const char *name;
    enum { COLUMN_INTEGER, COLUMN_REAL, COLUMN_TEXT, COLUMN_OTHER } type;
    bool not_null;
    const snapshot_column_rule *rules[4];
    size_t rule_count;
    const idset *reference; /* for a SNAPSHOT_RULE_REFERENCE rule */
    const char *reference_table;
} column_check;

/* A table's data check: one plain scan of its columns; every value is
** checked in C (types, UTF-8, dates, allowed values, ranges, references).
** The first problem of a row is reported, as SQL's CASE would. */
typedef struct row_check {
    sqlite3_stmt *scan;
    sqlite3_stmt *quote; /* SELECT quote(?1), typeof(?1): for messages only */
    column_check *columns;
    int column_count;
    int identity[2]; /* columns making the row id; identity[1] < 0 for one */
    buffer message;
    bool out_of_memory; /* a value could not be read */
} row_check;

/* Appends SQL's quote(value) (or typeof(value) when `type_only`). */
static void append_quoted(row_check *c, int column, bool type_only)
{
    const char *text = NULL;
    sqlite3_reset(c->quote);
    if (sqlite3_bind_value(c->quote, 1, sqlite3_column_value(c->scan, column)) == SQLITE_OK &&
        sqlite3_step(c->quote) == SQLITE_ROW)
        text = (const char *)sqlite3_column_text(c->quote, type_only ? 1 : 0);
    buffer_puts(&c->message, text ? text : "?");
    sqlite3_reset(c->quote);
}

static bool enum_contains(const char *values, const unsigned char *text, int bytes)
{
    const char *start = values;
    while (*start) {
        const char *comma = strchr(start, ',');
        size_t length = comma ? (size_t)(comma - start) : strlen(start);
        if ((size_t)bytes == length && memcmp(start, text, length) == 0)
            return true;
        start += length + (comma ? 1 : 0);
    }
    return false;
}

/* Whether a REAL holds a whole number that fits an INTEGER, as SQLite's
** x = CAST(x AS INTEGER) says. */
static bool real_is_whole(double x)
{
    return x >= -9223372036854775808.0 && x < 9223372036854775808.0 && x == (double)(long long)x;
}

/* "column: 'value' is not ...": the value quoted when it is readable text,
** else its type. Always true (a problem). */
static bool wrong_type(row_check *c, int i, int type, const unsigned char *text, int bytes,
                       const char *what)
{
    bool readable = type == SQLITE_TEXT && text_utf8_valid((const char *)text, (size_t)bytes, NULL);
    buffer_printf(&c->message, "%s: ", c->columns[i].name);
    append_quoted(c, i, !readable);
    buffer_puts(&c->message, what);
    return true;
}

/* Checks one value of the current row; true (and c->message) on a problem. */
static bool column_problem(row_check *c, int i)
{
    const column_check *column = &c->columns[i];
    int type = sqlite3_column_type(c->scan, i);
    const unsigned char *text = NULL;
    int bytes = 0;
    size_t r;
    buffer_reset(&c->message);
    if (type == SQLITE_NULL) {
        if (!column->not_null)
            return false;
        buffer_printf(&c->message, "%s is NULL (the schema says NOT NULL or PRIMARY KEY)",
                      column->name);
        return true;
    }
    if (type == SQLITE_TEXT) {
        text = sqlite3_column_text(c->scan, i);
        bytes = sqlite3_column_bytes(c->scan, i);
        if (text == NULL) { /* SQLite could not make the text: out of memory */
            c->out_of_memory = true;
            return false;
        }
    }
    switch (column->type) {
    case COLUMN_INTEGER:
        if (type == SQLITE_INTEGER ||
            (type == SQLITE_FLOAT && real_is_whole(sqlite3_column_double(c->scan, i))))
            break;
        return wrong_type(c, i, type, text, bytes, " is not a whole number");
    case COLUMN_REAL:
        if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
            break;
        return wrong_type(c, i, type, text, bytes, " is not a number");
    case COLUMN_TEXT:
        if (type == SQLITE_BLOB) {
            buffer_printf(&c->message, "%s is binary data, not text", column->name);
            return true;
        }
        if (type == SQLITE_TEXT && !text_utf8_valid((const char *)text, (size_t)bytes, NULL)) {
            buffer_printf(&c->message, "%s is not valid UTF-8 text (save the data as UTF-8)",
                          column->name);
            return true;
        }
        break;
    case COLUMN_OTHER:
        break;
    }
    for (r = 0; r < column->rule_count; r++) {
        const snapshot_column_rule *rule = column->rules[r];
        const char *what = NULL;
        char range[96];
        switch (rule->kind) {
        case SNAPSHOT_RULE_DATE:
            if (!(type == SQLITE_TEXT && text_date_valid((const char *)text)))
                what = " is not a date YYYY-MM-DD";
            break;
        case SNAPSHOT_RULE_MONTH: {
            char day[16];
            bool ok = type == SQLITE_TEXT && bytes == 7;
            int k;
            for (k = 0; ok && k < 7; k++)
                ok = k == 4 ? text[k] == '-' : (text[k] >= '0' && text[k] <= '9');
            if (ok) {
                memcpy(day, text, 7);
                memcpy(day + 7, "-01", 4);
                ok = text_date_valid(day);
            }
            if (!ok)
                what = " is not a month YYYY-MM";
            break;
        }
        case SNAPSHOT_RULE_ENUM:
            if (!(type == SQLITE_TEXT && enum_contains(rule->values, text, bytes))) {
                snprintf(range, sizeof range, " is not one of %s (or NULL)", rule->values);
                what = range;
            }
            break;
        case SNAPSHOT_RULE_RANGE:
            if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
                double x = sqlite3_column_double(c->scan, i);
                if (x < rule->low || x > rule->high) {
                    snprintf(range, sizeof range, " is outside %g..%g", rule->low, rule->high);
                    what = range;
                }
            }
            break;
        case SNAPSHOT_RULE_BOOLEAN:
            if (!((type == SQLITE_INTEGER || type == SQLITE_FLOAT) &&
                  (sqlite3_column_double(c->scan, i) == 0 ||
                   sqlite3_column_double(c->scan, i) == 1)))
                what = " is not 0 or 1";
            break;
        case SNAPSHOT_RULE_REFERENCE:
            if (column->reference != NULL) {
                if (type != SQLITE_TEXT) {
                    /* A number in a TEXT column of a foreign schema: its
                    ** text, as the comparison with the ids would see it. */
                    text = sqlite3_column_text(c->scan, i);
                    bytes = sqlite3_column_bytes(c->scan, i);
                    type = SQLITE_TEXT;
                    if (text == NULL) {
                        c->out_of_memory = true;
                        return false;
                    }
                }
                if (!idset_contains(column->reference, text, (size_t)bytes)) {
                    snprintf(range, sizeof range, " refers to no row of %s",
                             column->reference_table);
                    what = range;
                }
            }
            break;
        }
        if (what != NULL) {
            buffer_printf(&c->message, "%s ", column->name);
            append_quoted(c, i, false);
            buffer_puts(&c->message, what);
            return true;
        }
    }
    return false;
}

/* The row id shown in messages (NULL when a part is NULL), as text owned by
** the statement until the next step. Called only after the row's checks. */
static void row_id(row_check *c, buffer *out)
{
    int k;
    buffer_reset(out);
    for (k = 0; k < 2 && c->identity[k] >= 0; k++) {
        const char *part = (const char *)sqlite3_column_text(c->scan, c->identity[k]);
        if (part == NULL) {
            buffer_reset(out);
            buffer_puts(out, "\x01"); /* marks NULL */
            return;
        }
        if (k > 0)
            buffer_puts(out, " ");
        buffer_puts(out, part);
    }
}

static const char *const identity_columns[][3] = {
    {"visits", "worker_id", "month"},
    {"facts", "community_id", "key"},
};

/* Checks the data of `table` (its columns already known to be present);
** appends at most PROBLEMS_SHOWN + 1 problems. */
static int check_rows(snapshot *s, sqlite3 *db, const char *table, const column_info *expected,
                      int expected_count, const reference_sets *references, problem_list *problems,
                      long long *rows, error *e)
{
    row_check c;
    buffer sql, id;
    size_t k, found = 0;
    int i, rc;
    int status = ERROR_OK;
    memset(&c, 0, sizeof c);
    buffer_init(&c.message);
    buffer_init(&sql);
    buffer_init(&id);
    c.identity[0] = c.identity[1] = -1;
    c.columns = calloc((size_t)expected_count + 1, sizeof *c.columns);
    if (c.columns == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    c.column_count = expected_count;
    buffer_puts(&sql, "SELECT ");
    for (i = 0; i < expected_count; i++) {
        column_check *column = &c.columns[i];
        const char *type = expected[i].type;
        column->name = expected[i].name;
        column->not_null = expected[i].not_null != 0;
        column->type = strcmp(type, "INTEGER") == 0 ? COLUMN_INTEGER
                       : strcmp(type, "REAL") == 0  ? COLUMN_REAL
                       : strcmp(type, "TEXT") == 0  ? COLUMN_TEXT
                                                    : COLUMN_OTHER;
        for (k = 0; k < snapshot_column_rule_count; k++) {
            const snapshot_column_rule *rule = &snapshot_column_rules[k];
            if (strcmp(rule->table, table) != 0 || strcmp(rule->column, column->name) != 0 ||
                column->rule_count == sizeof column->rules / sizeof column->rules[0])
                continue;
            column->rules[column->rule_count++] = rule;
            if (rule->kind == SNAPSHOT_RULE_REFERENCE) {
                column->reference_table =
                    strncmp(rule->values, "workers.", 8) == 0 ? "workers" : "communities";
                column->reference = strncmp(rule->values, "workers.", 8) == 0
                                        ? &references->workers
                                        : &references->communities;
            }
        }
        if (c.identity[0] < 0 && strcmp(column->name, "id") == 0)
            c.identity[0] = i;
        buffer_printf(&sql, "%s\"%s\"", i ? ", " : "", column->name);
    }
    for (k = 0; k < sizeof identity_columns / sizeof identity_columns[0]; k++) {
        if (strcmp(identity_columns[k][0], table) != 0)
            continue;
        for (i = 0; i < expected_count; i++) {
            if (strcmp(expected[i].name, identity_columns[k][1]) == 0)
                c.identity[0] = i;
            if (strcmp(expected[i].name, identity_columns[k][2]) == 0)
                c.identity[1] = i;
        }
    }
    buffer_printf(&sql, " FROM \"%s\"", table);
    if (buffer_failed(&sql) || buffer_failed(&c.message)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    rc = sqlite3_prepare_v2(db, buffer_text(&sql), -1, &c.scan, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT quote(?1), typeof(?1)", -1, &c.quote, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot check table %s: %s",
                           s->path, table, sqlite3_errmsg(db));
        goto done;
    }
    while (found <= PROBLEMS_SHOWN && !c.out_of_memory &&
           (rc = sqlite3_step(c.scan)) == SQLITE_ROW) {
        (*rows)++;
        for (i = 0; i < c.column_count; i++) {
            char quoted[256];
            const char *text;
            if (!column_problem(&c, i))
                continue;
            row_id(&c, &id);
            text = buffer_text(&id);
            if (c.identity[0] < 0 || strcmp(text, "\x01") == 0)
                snprintf(quoted, sizeof quoted, "(NULL id)");
            else if (text_utf8_valid(text, strlen(text), NULL))
                snprintf(quoted, sizeof quoted, "'%s'", text);
            else
                snprintf(quoted, sizeof quoted, "(id not valid UTF-8)");
            problem_add(problems, s->path, table, quoted, buffer_text(&c.message));
            found++;
            break;
        }
    }
    if (c.out_of_memory) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading table %s", s->path, table);
        goto done;
    }
    if (found <= PROBLEMS_SHOWN && rc != SQLITE_DONE) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                           "%s: table %s cannot be read: %s", s->path, table, sqlite3_errmsg(db));
        goto done;
    }
    if (buffer_failed(&c.message) || buffer_failed(&id))
        status = error_set(e, ERROR_SYSTEM, "out of memory");
done:
    sqlite3_finalize(c.scan);
    sqlite3_finalize(c.quote);
    free(c.columns);
    buffer_free(&c.message);
    buffer_free(&sql);
    buffer_free(&id);
    return status;
}

/* Reads the ids that references point to, into `references`. */
static int reference_sets_load(snapshot *s, reference_sets *references, error *e)
{
    static const char *const tables[] = {"communities", "workers"};
    size_t t;
    int status = ERROR_OK;
    for (t = 0; t < 2 && status == ERROR_OK; t++) {
        idset *set = t == 0 ? &references->communities : &references->workers;
        sqlite3_stmt *statement = NULL;
        char sql[64];
        int rc;
        snprintf(sql, sizeof sql, "SELECT id FROM %s", tables[t]);
        /* A missing table or column is reported by the table checks; being
        ** out of memory is not a missing table. */
        if (sqlite3_prepare_v2(s->db, sql, -1, &statement, NULL) != SQLITE_OK) {
            rc = sqlite3_errcode(s->db);
            sqlite3_finalize(statement);
            if (error_sqlite_status(rc, ERROR_INPUT) == ERROR_SYSTEM) {
                status = error_set(e, ERROR_SYSTEM, "%s: cannot read the ids of %s: %s", s->path,
                                   tables[t], sqlite3_errstr(rc));
                break;
            }
            continue;
        }
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            const void *id = sqlite3_column_text(statement, 0);
            if (id == NULL && sqlite3_column_type(statement, 0) != SQLITE_NULL) {
                status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading the ids of %s",
                                   s->path, tables[t]);
                break;
            }
            if (id == NULL)
                continue;
            if (idset_add(set, id, (size_t)sqlite3_column_bytes(statement, 0)) != 0) {
                status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading the ids of %s",
                                   s->path, tables[t]);
                break;
            }
        }
        if (status == ERROR_OK && rc != SQLITE_DONE)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s: table %s cannot be read: %s", s->path, tables[t],
                               sqlite3_errmsg(s->db));
        sqlite3_finalize(statement);
    }
    return status;
}

/* Checks one table: presence, columns, then its data. */
static int check_table(snapshot *s, sqlite3 *db, sqlite3 *schema_db, const char *table,
                       const reference_sets *references, problem_list *problems, long long *rows,
                       error *e)
{
    column_info *expected = NULL, *found = NULL;
    int expected_count = table_columns(schema_db, "main", table, &expected);
    int found_count = -1;
    int i, j, rc;
    buffer sql;
    int status = ERROR_OK;
    bool columns_ok = true;
    buffer_init(&sql);
    if (expected_count < 0) {
        status = error_set(e, ERROR_SYSTEM, "out of memory reading the schema");
        goto done;
    }
    {
        /* Is it a table? A view would be evaluated but cannot be trusted
        ** to be a snapshot; refuse it clearly. */
        sqlite3_stmt *kind = NULL;
        const char *type = NULL;
        rc = sqlite3_prepare_v2(db, "SELECT type FROM sqlite_schema WHERE name = ?1", -1, &kind,
                                NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(kind, 1, table, -1, SQLITE_STATIC);
            rc = sqlite3_step(kind);
            if (rc == SQLITE_ROW)
                type = (const char *)sqlite3_column_text(kind, 0);
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            status =
                error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                          "%s: cannot read the database schema: %s", s->path, sqlite3_errmsg(db));
            sqlite3_finalize(kind);
            goto done;
        }
        if (type == NULL) {
            problem_add(problems, s->path, table, NULL,
                        "missing (every table of snapshot.sql must be present, even if empty)");
            sqlite3_finalize(kind);
            goto done;
        }
        if (strcmp(type, "table") != 0) {
            char message[128];
            snprintf(message, sizeof message, "is a %s, not a table", type);
            problem_add(problems, s->path, table, NULL, message);
            sqlite3_finalize(kind);
            goto done;
        }
        sqlite3_finalize(kind);
    }
    found_count = table_columns(db, "main", table, &found);
    if (found_count == -1) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading table %s", s->path, table);
        goto done;
    }
    if (found_count < 0) {
        status = error_set(e, ERROR_INPUT, "%s: cannot read table %s: %s", s->path, table,
                           sqlite3_errmsg(db));
        goto done;
    }
    for (i = 0; i < expected_count; i++) {
        bool present = false;
        for (j = 0; j < found_count; j++)
            if (strcmp(expected[i].name, found[j].name) == 0)
                present = true;
        if (!present) {
            char message[256];
            snprintf(message, sizeof message, "has no column %s (%s in snapshot.sql)",
                     expected[i].name, expected[i].type);
            problem_add(problems, s->path, table, NULL, message);
            columns_ok = false;
        }
    }
    if (!columns_ok || strcmp(table, "snapshot_meta") == 0)
        goto done;
    status = check_rows(s, db, table, expected, expected_count, references, problems, rows, e);
    if (status != ERROR_OK)
        goto done;
    {
        /* Without a primary key or unique index, ids may repeat. */
        sqlite3_stmt *count = NULL;
        if (strcmp(row_identity(table), "id") == 0) {
            buffer_reset(&sql);
            buffer_printf(&sql,
                          "SELECT COUNT(*) = 0 FROM pragma_index_list(?1) l WHERE l.\"unique\" AND "
                          "(SELECT group_concat(name) FROM pragma_index_info(l.name)) = 'id'");
            if (sqlite3_prepare_v2(db, buffer_text(&sql), -1, &count, NULL) == SQLITE_OK) {
                sqlite3_bind_text(count, 1, table, -1, SQLITE_STATIC);
                if (sqlite3_step(count) == SQLITE_ROW && sqlite3_column_int(count, 0)) {
                    sqlite3_stmt *dups = NULL;
                    buffer_reset(&sql);
                    buffer_printf(&sql,
                                  "SELECT id FROM \"%s\" GROUP BY id HAVING COUNT(*) > 1 LIMIT %d",
                                  table, PROBLEMS_SHOWN);
                    if (sqlite3_prepare_v2(db, buffer_text(&sql), -1, &dups, NULL) == SQLITE_OK) {
                        while (sqlite3_step(dups) == SQLITE_ROW) {
                            char quoted[256];
                            snprintf(quoted, sizeof quoted, "'%s'",
                                     (const char *)sqlite3_column_text(dups, 0));
                            problem_add(problems, s->path, table, quoted,
                                        "id appears more than once");
                        }
                    }
                    sqlite3_finalize(dups);
                }
            }
            sqlite3_finalize(count);
        }
    }
done:
    buffer_free(&sql);
    columns_free(expected, expected_count);
    columns_free(found, found_count);
    return status;
}

/* Checks the tables on several threads, each with its own connection, and
** hashes the file meanwhile; problems are merged in table order so the
** message does not depend on the threads. */
typedef struct check_pool {
    snapshot *s;
    const char *const *tables;
    const size_t *order; /* biggest tables first, so the threads end together */
    size_t count;
    size_t next;
    problem_list *lists; /* one per table */
    int *statuses;
    error *errors;
    long long *rows;
    const reference_sets *references;
    pthread_mutex_t lock;
} check_pool;

static void check_tables_on(check_pool *pool, sqlite3 *db)
{
    sqlite3 *schema_db = NULL;
    error e;
    if (snapshot_open_schema(&schema_db, &e) != ERROR_OK) {
        pthread_mutex_lock(&pool->lock);
        while (pool->next < pool->count) {
            pool->statuses[pool->order[pool->next]] = e.status;
            pool->errors[pool->order[pool->next++]] = e;
        }
        pthread_mutex_unlock(&pool->lock);
        return;
    }
    for (;;) {
        size_t i;
        pthread_mutex_lock(&pool->lock);
        i = pool->next < pool->count ? pool->order[pool->next++] : pool->count;
        pthread_mutex_unlock(&pool->lock);
        if (i == pool->count)
            break;
        pool->statuses[i] = check_table(pool->s, db, schema_db, pool->tables[i], pool->references,
                                        &pool->lists[i], &pool->rows[i], &pool->errors[i]);
    }
    sqlite3_close(schema_db);
}

static void *check_worker(void *argument)
{
    check_pool *pool = argument;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(pool->s->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
            SQLITE_OK &&
        snapshot_register_functions(db) == SQLITE_OK) {
        snapshot_configure_connection(db);
        check_tables_on(pool, db);
    }
    sqlite3_close(db);
    return NULL;
}

static void *hash_worker(void *argument)
{
    snapshot *s = argument;
    s->sha256 = hash_file(s->path);
    return NULL;
}

/* Typical share of a snapshot's rows, biggest first (a guess is enough). */
static const char *const tables_by_size[] = {"visits",      "activities",    "survey_responses",
                                             "postings",    "requests",      "facts",
                                             "workers",     "organizations", "tasks",
                                             "communities", "snapshot_meta"};

/* Runs every table check on `threads` threads; returns the first error
** status (its message in `e`) or ERROR_OK, with the problems appended to
** `problems`. */
static int check_all_tables(snapshot *s, const char *const *tables, size_t count, int threads,
                            problem_list *problems, error *e)
{
    check_pool pool;
    pthread_t helpers[16];
    size_t started = 0, i, j, k = 0, shown = 0;
    reference_sets references;
    int status = ERROR_OK;
    bool locked = false;
    memset(&pool, 0, sizeof pool);
    idset_init(&references.communities);
    idset_init(&references.workers);
    pool.s = s;
    pool.tables = tables;
    pool.count = count;
    pool.references = &references;
    pool.lists = calloc(count, sizeof *pool.lists);
    pool.statuses = calloc(count, sizeof *pool.statuses);
    pool.errors = calloc(count, sizeof *pool.errors);
    pool.rows = calloc(count, sizeof *pool.rows);
    pool.order = calloc(count, sizeof *pool.order);
    if (pool.lists == NULL || pool.statuses == NULL || pool.errors == NULL || pool.rows == NULL ||
        pool.order == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    {
        size_t *order = (size_t *)pool.order;
        bool *placed = calloc(count, sizeof *placed);
        if (placed == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        for (j = 0; j < sizeof tables_by_size / sizeof tables_by_size[0]; j++)
            for (i = 0; i < count; i++)
                if (!placed[i] && strcmp(tables[i], tables_by_size[j]) == 0) {
                    order[k++] = i;
                    placed[i] = true;
                }
        for (i = 0; i < count; i++)
            if (!placed[i])
                order[k++] = i;
        free(placed);
    }
    for (i = 0; i < count; i++)
        buffer_init(&pool.lists[i].text);
    status = reference_sets_load(s, &references, e);
    if (status != ERROR_OK)
        goto done;
    pthread_mutex_init(&pool.lock, NULL);
    locked = true;
    for (i = 1; i < (size_t)threads && started < sizeof helpers / sizeof helpers[0]; i++) {
        if (pthread_create(&helpers[started], NULL, check_worker, &pool) != 0)
            break; /* fewer threads: this one does the rest */
        started++;
    }
    check_tables_on(&pool, s->db);
    for (i = 0; i < started; i++)
        pthread_join(helpers[i], NULL);
    for (i = 0; i < count; i++) {
        const char *text = buffer_text(&pool.lists[i].text);
        s->rows_read += pool.rows[i];
        if (status == ERROR_OK && pool.statuses[i] != ERROR_OK) {
            status = pool.statuses[i];
            *e = pool.errors[i];
        }
        problems->count += pool.lists[i].count;
        /* Keep the first PROBLEMS_SHOWN entries overall, in table order. */
        while (*text != '\0' && shown < PROBLEMS_SHOWN) {
            const char *next = strchr(text + 1, '\n');
            size_t length = next ? (size_t)(next - text) : strlen(text);
            buffer_append(&problems->text, text, length);
            text += length;
            shown++;
        }
    }
done:
    if (locked)
        pthread_mutex_destroy(&pool.lock);
    for (i = 0; pool.lists != NULL && i < count; i++)
        buffer_free(&pool.lists[i].text);
    free(pool.lists);
    free(pool.statuses);
    free(pool.errors);
    free(pool.rows);
    free((size_t *)pool.order);
    idset_free(&references.communities);
    idset_free(&references.workers);
    return status;
}

/* Reads one snapshot_meta value (copy) or NULL. */
/* Reads snapshot_meta's value for `key` into *out (a copy the caller frees),
** or NULL when there is no such key or its value is NULL. A failure to read
** (out of memory, a damaged file) is an error, never "no such key": it must
** not be reported as a problem of the snapshot. */
static int meta_value(snapshot *s, const char *key, char **out, error *e)
{
    sqlite3_stmt *statement = NULL;
    int rc, status = ERROR_OK;
    *out = NULL;
    rc = sqlite3_prepare_v2(s->db, "SELECT value FROM snapshot_meta WHERE key = ?1", -1, &statement,
                            NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        const unsigned char *value = sqlite3_column_text(statement, 0);
        if (value == NULL && sqlite3_errcode(s->db) == SQLITE_NOMEM)
            rc = SQLITE_NOMEM;
        else if (value != NULL && (*out = strdup((const char *)value)) == NULL)
            status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading snapshot_meta", s->path);
        else
            rc = SQLITE_DONE;
    }
    if (rc != SQLITE_DONE && status == ERROR_OK)
        status =
            error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                      "%s: cannot read snapshot_meta '%s': %s", s->path, key, sqlite3_errstr(rc));
    sqlite3_finalize(statement);
    return status;
}

static int load_communities(snapshot *s, error *e)
{
    sqlite3_stmt *statement = NULL;
    size_t capacity = 0;
    int rc;
    int status = ERROR_OK;
    rc = sqlite3_prepare_v2(s->db, "SELECT id, name, district, street FROM communities ORDER BY id",
                            -1, &statement, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                           "%s: cannot read communities: %s", s->path, sqlite3_errmsg(s->db));
        goto done;
    }
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        community *c;
        buffer key;
        if (s->community_count == capacity) {
            community *grown;
            capacity = capacity ? capacity * 2 : 256;
            grown = realloc(s->communities, capacity * sizeof *grown);
            if (grown == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory reading communities");
                goto done;
            }
            s->communities = grown;
        }
        c = &s->communities[s->community_count];
        memset(c, 0, sizeof *c);
        s->community_count++;
        c->id = strdup((const char *)sqlite3_column_text(statement, 0));
        c->name = strdup((const char *)sqlite3_column_text(statement, 1));
        c->district = strdup((const char *)sqlite3_column_text(statement, 2));
        c->street = strdup((const char *)sqlite3_column_text(statement, 3));
        buffer_init(&key);
        buffer_printf(&key, "%s/%s", c->district ? c->district : "", c->street ? c->street : "");
        c->street_key = buffer_take(&key);
        if (c->id == NULL || c->name == NULL || c->district == NULL || c->street == NULL ||
            c->street_key == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory reading communities");
            goto done;
        }
    }
    if (rc != SQLITE_DONE)
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                           "%s: cannot read communities: %s", s->path, sqlite3_errmsg(s->db));
done:
    sqlite3_finalize(statement);
    return status;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted distinct values of one community field, and each community's
** index into them. */
static int index_scope(snapshot *s, size_t offset, char ***names, size_t *count, size_t **index)
{
    size_t n = s->community_count, c, k = 0;
    char **all = malloc((n + 1) * sizeof *all);
    if (all == NULL || (*index = malloc((n + 1) * sizeof **index)) == NULL) {
        free(all);
        return -1;
    }
    for (c = 0; c < n; c++)
        all[c] = *(char **)((char *)&s->communities[c] + offset);
    qsort(all, n, sizeof *all, compare_strings);
    for (c = 0; c < n; c++)
        if (k == 0 || strcmp(all[k - 1], all[c]) != 0)
            all[k++] = all[c];
    *names = malloc((k + 1) * sizeof **names);
    if (*names == NULL) {
        free(all);
        return -1;
    }
    for (c = 0; c < k; c++) {
        (*names)[c] = strdup(all[c]);
        if ((*names)[c] == NULL) {
            *count = c;
            free(all);
            return -1;
        }
    }
    *count = k;
    for (c = 0; c < n; c++) {
        const char *key = *(char **)((char *)&s->communities[c] + offset);
        char **found = bsearch(&key, *names, k, sizeof **names, compare_strings);
        (*index)[c] = (size_t)(found - *names);
    }
    free(all);
    return 0;
}

int snapshot_open(const char *path, snapshot **out, error *e)
{
    return snapshot_open_threads(path, 0, out, e);
}

int snapshot_open_threads(const char *path, int threads, snapshot **out, error *e)
{
    static const char *const tables[] = {
        "snapshot_meta", "communities",      "workers",  "organizations", "activities", "visits",
        "postings",      "survey_responses", "requests", "tasks",         "facts",      NULL};
    snapshot *s = NULL;
    problem_list problems;
    pthread_t hasher;
    bool hashing = false;
    struct stat st;
    char header[16];
    FILE *stream;
    size_t i;
    int status = ERROR_OK;
    int rc;
    *out = NULL;
    buffer_init(&problems.text);
    problems.count = 0;
    if (stat(path, &st) != 0) {
        status =
            error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        status = error_set(e, ERROR_INPUT, "%s: not a regular file", path);
        goto done;
    }
    stream = fopen(path, "rb");
    if (stream == NULL) {
        status =
            error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", path, strerror(errno));
        goto done;
    }
    memset(header, 0, sizeof header);
    if (fread(header, 1, sizeof header, stream) != sizeof header ||
        memcmp(header, "SQLite format 3", 16) != 0) {
        fclose(stream);
        status = error_set(e, ERROR_INPUT,
                           "%s: not an SQLite database (a snapshot is an SQLite "
                           "file following snapshot.sql)",
                           path);
        goto done;
    }
    fclose(stream);
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    /* NOMUTEX: this connection is only ever used by one thread at a time
    ** (other threads open their own), so SQLite need not lock each call. */
    rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot open: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto done;
    }
    snapshot_configure_connection(s->db);
    sqlite3_extended_result_codes(s->db, 1);
    if (snapshot_register_functions(s->db) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot register SQL functions");
        goto done;
    }
    /* A corrupt file fails here or in the checks below with SQLITE_CORRUPT
    ** or SQLITE_NOTADB; the message names the file. */
    rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                           "%s: not a readable SQLite database: %s", path, sqlite3_errmsg(s->db));
        goto done;
    }
    if (threads <= 0)
        threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    /* With more than one thread, the file is hashed while it is checked. */
    hashing = threads > 1 && pthread_create(&hasher, NULL, hash_worker, s) == 0;
    for (i = 0; tables[i] != NULL; i++)
        ;
    status = check_all_tables(s, tables, i, threads, &problems, e);
    if (hashing) {
        pthread_join(hasher, NULL);
        hashing = false;
    } else {
        s->sha256 = hash_file(path);
    }
    if (status != ERROR_OK)
        goto done;
    if (problems.count == 0) {
        status = meta_value(s, "as_of", &s->as_of, e);
        if (status == ERROR_OK)
            status = meta_value(s, "region", &s->region, e);
        if (status != ERROR_OK)
            goto done;
        if (s->as_of == NULL)
            problem_add(&problems, path, "snapshot_meta", NULL,
                        "no 'as_of' (the assessment date, YYYY-MM-DD)");
        else if (!snapshot_date_valid(s->as_of)) {
            char message[128];
            snprintf(message, sizeof message, "as_of '%.40s' is not a date YYYY-MM-DD", s->as_of);
            problem_add(&problems, path, "snapshot_meta", NULL, message);
        }
        if (s->region == NULL)
            problem_add(&problems, path, "snapshot_meta", NULL, "no 'region' (the region's name)");
    }
    if (problems.count > 0 && buffer_failed(&problems.text)) {
        status =
            error_set(e, ERROR_SYSTEM, "%s: out of memory listing the snapshot's problems", path);
        goto done;
    }
    if (problems.count > 0) {
        if (problems.count > PROBLEMS_SHOWN)
            buffer_printf(&problems.text, "\n... and %zu more problems",
                          problems.count - PROBLEMS_SHOWN);
        status =
            error_set(e, ERROR_INPUT, "%s: the snapshot has %zu problem%s:%s", path, problems.count,
                      problems.count == 1 ? "" : "s", buffer_text(&problems.text));
        goto done;
    }
    s->year = atoi(s->as_of);
    {
        char start[16];
        snprintf(start, sizeof start, "%04d-01-01", s->year);
        s->year_start = strdup(start);
    }
    status = snapshot_create_temp_tables(s->db, e);
    if (status != ERROR_OK)
        goto done;
    status = load_communities(s, e);
    if (status != ERROR_OK)
        goto done;
    if (index_scope(s, offsetof(community, district), &s->districts, &s->district_count,
                    &s->community_district) != 0 ||
        index_scope(s, offsetof(community, street_key), &s->streets, &s->street_count,
                    &s->community_street) != 0) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    if (s->sha256 == NULL || s->year_start == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot hash the file: %s", path, strerror(errno));
        goto done;
    }
    *out = s;
    s = NULL;
done:
    if (hashing)
        pthread_join(hasher, NULL);
    buffer_free(&problems.text);
    snapshot_close(s);
    return status;
}

void snapshot_close(snapshot *s)
{
    size_t i;
    if (s == NULL)
        return;
    for (i = 0; i < s->community_count; i++) {
        free(s->communities[i].id);
        free(s->communities[i].name);
        free(s->communities[i].district);
        free(s->communities[i].street);
        free(s->communities[i].street_key);
    }
    free(s->communities);
    for (i = 0; i < s->district_count; i++)
        free(s->districts[i]);
    free(s->districts);
    for (i = 0; i < s->street_count; i++)
        free(s->streets[i]);
    free(s->streets);
    free(s->community_district);
    free(s->community_street);
    sqlite3_close(s->db);
    free(s->path);
    free(s->sha256);
    free(s->as_of);
    free(s->year_start);
    free(s->region);
    free(s);
}

long snapshot_find_community(const snapshot *s, const char *id)
{
    size_t low = 0, high = s->community_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int c = strcmp(s->communities[middle].id, id);
        if (c == 0)
            return (long)middle;
        if (c < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return -1;
}
