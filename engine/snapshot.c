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

/* Columns of `table` in `db`: fills names[] (owned) and flags; returns count
** or -1 when the table does not exist. */
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
    int count = 0;
    buffer_init(&sql);
    buffer_printf(&sql,
                  "SELECT name, type, \"notnull\" OR pk > 0 FROM pragma_table_info(?1, ?2) ORDER "
                  "BY cid");
    *out = NULL;
    if (sqlite3_prepare_v2(db, buffer_text(&sql), -1, &statement, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(statement, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, schema, -1, SQLITE_STATIC);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        column_info *grown = realloc(columns, (size_t)(count + 1) * sizeof *columns);
        if (grown == NULL)
            goto fail;
        columns = grown;
        columns[count].name = strdup((const char *)sqlite3_column_text(statement, 0));
        columns[count].type = strdup(sqlite3_column_text(statement, 1)
                                         ? (const char *)sqlite3_column_text(statement, 1)
                                         : "");
        columns[count].not_null = sqlite3_column_int(statement, 2);
        count++;
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
    return -1;
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

/* Escapes a single-quoted SQL string literal into `out`. */
static void append_literal(buffer *out, const char *text)
{
    buffer_puts(out, "'");
    for (; *text; text++) {
        if (*text == '\'')
            buffer_puts(out, "''");
        else
            buffer_append(out, text, 1);
    }
    buffer_puts(out, "'");
}

/* Adds one WHEN clause: WHEN <condition> THEN <message expression>. */
static void add_case(buffer *sql, const char *condition, const char *message_sql)
{
    buffer_printf(sql, " WHEN %s THEN %s", condition, message_sql);
}

/* Builds the CASE conditions for one column of the canonical schema. */
static void column_conditions(buffer *sql, const char *table, const column_info *column)
{
    buffer condition, message;
    const char *name = column->name;
    size_t i;
    buffer_init(&condition);
    buffer_init(&message);
    if (column->not_null) {
        buffer_printf(&condition, "\"%s\" IS NULL", name);
        buffer_printf(&message, "'%s is NULL (the schema says NOT NULL or PRIMARY KEY)'", name);
        add_case(sql, buffer_text(&condition), buffer_text(&message));
    }
    buffer_reset(&condition);
    buffer_reset(&message);
    if (strcmp(column->type, "INTEGER") == 0) {
        buffer_printf(&condition,
                      "\"%s\" IS NOT NULL AND NOT (typeof(\"%s\") = 'integer' OR "
                      "(typeof(\"%s\") = 'real' AND \"%s\" = CAST(\"%s\" AS INTEGER)))",
                      name, name, name, name, name);
        buffer_printf(&message,
                      "'%s: ' || CASE WHEN typeof(\"%s\") = 'text' AND NOT utf8_bad(\"%s\") THEN "
                      "quote(\"%s\") ELSE typeof(\"%s\") END || ' is not a whole number'",
                      name, name, name, name, name);
    } else if (strcmp(column->type, "REAL") == 0) {
        buffer_printf(&condition,
                      "\"%s\" IS NOT NULL AND typeof(\"%s\") NOT IN ('integer', 'real')", name,
                      name);
        buffer_printf(&message,
                      "'%s: ' || CASE WHEN typeof(\"%s\") = 'text' AND NOT utf8_bad(\"%s\") THEN "
                      "quote(\"%s\") ELSE typeof(\"%s\") END || ' is not a number'",
                      name, name, name, name, name);
    } else if (strcmp(column->type, "TEXT") == 0) {
        buffer_printf(&condition, "typeof(\"%s\") = 'blob'", name);
        buffer_printf(&message, "'%s is binary data, not text'", name);
        add_case(sql, buffer_text(&condition), buffer_text(&message));
        buffer_reset(&condition);
        buffer_reset(&message);
        buffer_printf(&condition, "utf8_bad(\"%s\")", name);
        buffer_printf(&message, "'%s is not valid UTF-8 text (save the data as UTF-8)'", name);
    }
    if (condition.length > 0)
        add_case(sql, buffer_text(&condition), buffer_text(&message));
    for (i = 0; i < snapshot_column_rule_count; i++) {
        const snapshot_column_rule *rule = &snapshot_column_rules[i];
        if (strcmp(rule->table, table) != 0 || strcmp(rule->column, name) != 0)
            continue;
        buffer_reset(&condition);
        buffer_reset(&message);
        switch (rule->kind) {
        case SNAPSHOT_RULE_DATE:
            buffer_printf(&condition, "\"%s\" IS NOT NULL AND NOT date_valid(\"%s\")", name, name);
            buffer_printf(&message, "'%s ' || quote(\"%s\") || ' is not a date YYYY-MM-DD'", name,
                          name);
            break;
        case SNAPSHOT_RULE_MONTH:
            buffer_printf(&condition,
                          "\"%s\" IS NOT NULL AND (\"%s\" NOT GLOB "
                          "'[0-9][0-9][0-9][0-9]-[0-9][0-9]' OR NOT date_valid(\"%s\" || '-01'))",
                          name, name, name);
            buffer_printf(&message, "'%s ' || quote(\"%s\") || ' is not a month YYYY-MM'", name,
                          name);
            break;
        case SNAPSHOT_RULE_ENUM: {
            const char *start = rule->values;
            buffer_printf(&condition, "\"%s\" IS NOT NULL AND \"%s\" NOT IN (", name, name);
            while (*start) {
                const char *comma = strchr(start, ',');
                size_t length = comma ? (size_t)(comma - start) : strlen(start);
                char value[64];
                snprintf(value, sizeof value, "%.*s", (int)length, start);
                if (start != rule->values)
                    buffer_puts(&condition, ", ");
                append_literal(&condition, value);
                start += length + (comma ? 1 : 0);
            }
            buffer_puts(&condition, ")");
            buffer_printf(&message, "'%s ' || quote(\"%s\") || ' is not one of %s (or NULL)'", name,
                          name, rule->values);
            break;
        }
        case SNAPSHOT_RULE_RANGE:
            buffer_printf(&condition,
                          "typeof(\"%s\") IN ('integer', 'real') AND (\"%s\" < %.17g OR \"%s\" > "
                          "%.17g)",
                          name, name, rule->low, name, rule->high);
            buffer_printf(&message, "'%s ' || \"%s\" || ' is outside %g..%g'", name, name,
                          rule->low, rule->high);
            break;
        case SNAPSHOT_RULE_BOOLEAN:
            buffer_printf(&condition, "\"%s\" IS NOT NULL AND \"%s\" NOT IN (0, 1)", name, name);
            buffer_printf(&message, "'%s ' || quote(\"%s\") || ' is not 0 or 1'", name, name);
            break;
        case SNAPSHOT_RULE_REFERENCE: {
            char target[64];
            const char *dot = strchr(rule->values, '.');
            snprintf(target, sizeof target, "%.*s", (int)(dot - rule->values), rule->values);
            buffer_printf(&condition, "\"%s\" IS NOT NULL AND \"%s\" NOT IN (SELECT %s FROM %s)",
                          name, name, dot + 1, target);
            buffer_printf(&message, "'%s ' || quote(\"%s\") || ' refers to no row of %s'", name,
                          name, target);
            break;
        }
        }
        add_case(sql, buffer_text(&condition), buffer_text(&message));
    }
    buffer_free(&condition);
    buffer_free(&message);
}

/* Checks one table: presence, columns, then its data. */
static int check_table(snapshot *s, sqlite3 *db, sqlite3 *schema_db, const char *table,
                       problem_list *problems, error *e)
{
    column_info *expected = NULL, *found = NULL;
    int expected_count = table_columns(schema_db, "main", table, &expected);
    int found_count = -1;
    int i, j, rc;
    buffer sql;
    sqlite3_stmt *statement = NULL;
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
            status = error_set(e, ERROR_INPUT, "%s: cannot read the database schema: %s", s->path,
                               sqlite3_errmsg(db));
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
    buffer_printf(&sql, "SELECT * FROM (SELECT %s AS row_id, CASE", row_identity(table));
    for (i = 0; i < expected_count; i++)
        column_conditions(&sql, table, &expected[i]);
    buffer_printf(&sql, " END AS problem FROM \"%s\") WHERE problem IS NOT NULL LIMIT %d", table,
                  PROBLEMS_SHOWN + 1);
    if (buffer_failed(&sql)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    rc = sqlite3_prepare_v2(db, buffer_text(&sql), -1, &statement, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_INPUT, "%s: cannot check table %s: %s", s->path, table,
                           sqlite3_errmsg(db));
        goto done;
    }
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *row = (const char *)sqlite3_column_text(statement, 0);
        char quoted[256];
        if (row != NULL && text_utf8_valid(row, strlen(row), NULL))
            snprintf(quoted, sizeof quoted, "'%s'", row);
        else
            snprintf(quoted, sizeof quoted, "%s", row ? "(id not valid UTF-8)" : "(NULL id)");
        problem_add(problems, s->path, table, quoted,
                    (const char *)sqlite3_column_text(statement, 1));
    }
    if (rc != SQLITE_DONE) {
        status = error_set(e, ERROR_INPUT, "%s: table %s cannot be read: %s", s->path, table,
                           sqlite3_errmsg(db));
        goto done;
    }
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
    sqlite3_finalize(statement);
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
    size_t count;
    size_t next;
    problem_list *lists; /* one per table */
    int *statuses;
    error *errors;
    pthread_mutex_t lock;
} check_pool;

static void check_tables_on(check_pool *pool, sqlite3 *db)
{
    sqlite3 *schema_db = NULL;
    error e;
    if (snapshot_open_schema(&schema_db, &e) != ERROR_OK) {
        pthread_mutex_lock(&pool->lock);
        while (pool->next < pool->count) {
            pool->statuses[pool->next] = e.status;
            pool->errors[pool->next++] = e;
        }
        pthread_mutex_unlock(&pool->lock);
        return;
    }
    for (;;) {
        size_t i;
        pthread_mutex_lock(&pool->lock);
        i = pool->next < pool->count ? pool->next++ : pool->count;
        pthread_mutex_unlock(&pool->lock);
        if (i == pool->count)
            break;
        pool->statuses[i] =
            check_table(pool->s, db, schema_db, pool->tables[i], &pool->lists[i], &pool->errors[i]);
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
        sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
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

/* Runs every table check; returns the first error status (its message in
** `e`) or ERROR_OK, with the problems appended to `problems`. */
static int check_all_tables(snapshot *s, const char *const *tables, size_t count,
                            problem_list *problems, error *e)
{
    check_pool pool;
    pthread_t helper;
    bool helper_started;
    size_t i, shown = 0;
    int status = ERROR_OK;
    memset(&pool, 0, sizeof pool);
    pool.s = s;
    pool.tables = tables;
    pool.count = count;
    pool.lists = calloc(count, sizeof *pool.lists);
    pool.statuses = calloc(count, sizeof *pool.statuses);
    pool.errors = calloc(count, sizeof *pool.errors);
    if (pool.lists == NULL || pool.statuses == NULL || pool.errors == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    for (i = 0; i < count; i++)
        buffer_init(&pool.lists[i].text);
    pthread_mutex_init(&pool.lock, NULL);
    helper_started = sysconf(_SC_NPROCESSORS_ONLN) > 1 &&
                     pthread_create(&helper, NULL, check_worker, &pool) == 0;
    check_tables_on(&pool, s->db);
    if (helper_started)
        pthread_join(helper, NULL);
    pthread_mutex_destroy(&pool.lock);
    for (i = 0; i < count; i++) {
        const char *text = buffer_text(&pool.lists[i].text);
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
    for (i = 0; pool.lists != NULL && i < count; i++)
        buffer_free(&pool.lists[i].text);
    free(pool.lists);
    free(pool.statuses);
    free(pool.errors);
    return status;
}

/* Reads one snapshot_meta value (copy) or NULL. */
static char *meta_value(snapshot *s, const char *key)
{
    sqlite3_stmt *statement = NULL;
    char *value = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM snapshot_meta WHERE key = ?1", -1, &statement,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != NULL)
            value = strdup((const char *)sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return value;
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
        status = error_set(e, ERROR_INPUT, "%s: cannot read communities: %s", s->path,
                           sqlite3_errmsg(s->db));
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
        status = error_set(e, ERROR_INPUT, "%s: cannot read communities: %s", s->path,
                           sqlite3_errmsg(s->db));
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
        status = error_set(e, ERROR_INPUT, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        status = error_set(e, ERROR_INPUT, "%s: not a regular file", path);
        goto done;
    }
    stream = fopen(path, "rb");
    if (stream == NULL) {
        status = error_set(e, ERROR_INPUT, "%s: %s", path, strerror(errno));
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
    rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_INPUT, "%s: cannot open: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_extended_result_codes(s->db, 1);
    if (snapshot_register_functions(s->db) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot register SQL functions");
        goto done;
    }
    /* A corrupt file fails here or in the checks below with SQLITE_CORRUPT
    ** or SQLITE_NOTADB; the message names the file. */
    rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_INPUT, "%s: not a readable SQLite database: %s", path,
                           sqlite3_errmsg(s->db));
        goto done;
    }
    hashing = pthread_create(&hasher, NULL, hash_worker, s) == 0;
    for (i = 0; tables[i] != NULL; i++)
        ;
    status = check_all_tables(s, tables, i, &problems, e);
    if (hashing) {
        pthread_join(hasher, NULL);
        hashing = false;
    } else {
        s->sha256 = hash_file(path);
    }
    if (status != ERROR_OK)
        goto done;
    if (problems.count == 0) {
        s->as_of = meta_value(s, "as_of");
        s->region = meta_value(s, "region");
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
