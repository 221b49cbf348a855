/*
** snapshot.c — opening and validating snapshots (snapshot.h).
**
** The canonical schema is engine/data/snapshot_schema.sql, a copy of
** ../shared/spec/snapshot.sql compiled into the binary. Column types, NOT
** NULL and primary keys come from it; the allowed values, dates and ranges
** below come from its comments. Each table's form is compared with it first
** (a table, not a view; each column stored, with the same type affinity,
** compared BINARY; no index comparing text otherwise), then its rows are
** read by one plain scan and every value checked in C, then its key is
** checked for repeats.
*/
#include "snapshot.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "sha256.h"
#include "idset.h"
#include "snapshot_schema_sql.h"
#include "sqlitefile.h"
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

/* Appends `path` to a URI, every byte but [A-Za-z0-9/._~-] escaped as %HH
** (SQLite decodes them), so that '?', '#', '%' or a leading "file:" in a
** file's name stay part of the name and are never read as URI syntax. */
static void append_uri_path(buffer *uri, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *path; path++) {
        unsigned char c = (unsigned char)*path;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("/._~-", c) != NULL) {
            buffer_append(uri, path, 1);
        } else {
            char escaped[3] = {'%', hex[c >> 4], hex[c & 15]};
            buffer_append(uri, escaped, 3);
        }
    }
}

int snapshot_connect(const char *path, sqlite3 **out)
{
    buffer uri;
    int rc;
    *out = NULL;
    buffer_init(&uri);
    /* "file:///abs/x.db" or "file:rel/x.db": "file://" + a relative name
    ** would read its first part as a host. */
    buffer_puts(&uri, path[0] == '/' ? "file://" : "file:");
    append_uri_path(&uri, path);
    buffer_puts(&uri, "?immutable=1");
    if (buffer_failed(&uri)) {
        buffer_free(&uri);
        return SQLITE_NOMEM;
    }
    rc = sqlite3_open_v2(buffer_text(&uri), out,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    buffer_free(&uri);
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

/* Columns of `table` in `db`, generated columns included: fills *out
** (owned) with their names, types and flags; returns the count (0 when there
** is no such table), -1 when out of memory, -2 when SQLite cannot read the
** schema. */
typedef struct column_info {
    char *name;
    char *type;
    int not_null; /* NOT NULL or part of the PRIMARY KEY */
    int pk;       /* position in the PRIMARY KEY (1, 2...), 0 when not in it */
    int hidden;   /* pragma table_xinfo's: 2 or 3 for a generated column */
} column_info;

static int table_columns(sqlite3 *db, const char *schema, const char *table, column_info **out)
{
    sqlite3_stmt *statement = NULL;
    buffer sql;
    column_info *columns = NULL;
    int count = 0, rc;
    int result = -1;
    buffer_init(&sql);
    buffer_printf(&sql, "SELECT name, type, \"notnull\" OR pk > 0, pk, hidden FROM "
                        "pragma_table_xinfo(?1, ?2) ORDER BY cid");
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
        columns[count].pk = sqlite3_column_int(statement, 3);
        columns[count].hidden = sqlite3_column_int(statement, 4);
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
    /* [ordinal in workers] its community: an ordinal in `communities`,
    ** then (snapshot_open_later) an index into snapshot.communities; -1 for
    ** none. NULL unless asked for. */
    long *worker_community;
} reference_sets;

static void reference_sets_free(reference_sets *references)
{
    idset_free(&references->communities);
    idset_free(&references->workers);
    free(references->worker_community);
    references->worker_community = NULL;
}

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
    if (type == SQLITE_FLOAT && !isfinite(sqlite3_column_double(c->scan, i))) {
        /* 1e309 is stored as Inf: it passed the range checks and was
        ** scored as missing. (NaN cannot be stored: SQLite reads it as
        ** NULL, everywhere alike.) */
        buffer_printf(&c->message,
                      "%s is %cInf (a number beyond the largest double, such as 1e309): a "
                      "finite number is needed",
                      column->name, sqlite3_column_double(c->scan, i) > 0 ? '+' : '-');
        return true;
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
        /* A TEXT column turns numbers into text as they are written; a
        ** number here comes from a schema edited afterwards, and SQL finds
        ** 3710010101 equal to no text '3710010101' (the C checks would). */
        if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
            buffer_printf(&c->message, "%s ", column->name);
            append_quoted(c, i, false);
            buffer_puts(&c->message, " is stored as a number, not text (snapshot.sql declares "
                                     "TEXT, and SQL finds no text equal to a number)");
            return true;
        }
        /* C reads text up to its first NUL: 'N1' || char(0) || 'x' would
        ** be the id 'N1' to the engine and another id to SQL. */
        if (type == SQLITE_TEXT && memchr(text, '\0', (size_t)bytes) != NULL) {
            buffer_printf(&c->message,
                          "%s contains a NUL character (byte 0), which would cut the text short",
                          column->name);
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
            /* References are TEXT columns: a number there was refused
            ** above, so `text` holds the value. */
            if (column->reference != NULL && type == SQLITE_TEXT) {
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

/* A table's row check in progress (snapshot.h): the columns it reads, the
** problems it found (at most PROBLEMS_SHOWN + 1) and the rows it saw. */
struct snapshot_rows {
    row_check c;
    const snapshot *s;
    const char *table;
    buffer columns; /* "\"id\", \"community_id\"...": what a scan selects first */
    buffer id;
    problem_list problems;
    size_t found;
    long long rows;
    bool owns_names; /* c.columns[].name are copies to free */
};

/* Sets up the check of `table`'s rows on `db`, with the columns `expected`
** of the canonical schema (already known to be present). */
static int rows_begin(const snapshot *s, sqlite3 *db, const char *table,
                      const column_info *expected, int expected_count,
                      const reference_sets *references, snapshot_rows **out, error *e)
{
    snapshot_rows *t = calloc(1, sizeof *t);
    row_check *c;
    size_t k;
    int i, rc;
    *out = NULL;
    if (t == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    c = &t->c;
    t->s = s;
    t->table = table;
    buffer_init(&c->message);
    buffer_init(&t->columns);
    buffer_init(&t->id);
    buffer_init(&t->problems.text);
    *out = t;
    c->identity[0] = c->identity[1] = -1;
    c->columns = calloc((size_t)expected_count + 1, sizeof *c->columns);
    if (c->columns == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    c->column_count = expected_count;
    for (i = 0; i < expected_count; i++) {
        column_check *column = &c->columns[i];
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
        if (c->identity[0] < 0 && strcmp(column->name, "id") == 0)
            c->identity[0] = i;
        buffer_printf(&t->columns, "%s\"%s\"", i ? ", " : "", column->name);
    }
    for (k = 0; k < sizeof identity_columns / sizeof identity_columns[0]; k++) {
        if (strcmp(identity_columns[k][0], table) != 0)
            continue;
        for (i = 0; i < expected_count; i++) {
            if (strcmp(expected[i].name, identity_columns[k][1]) == 0)
                c->identity[0] = i;
            if (strcmp(expected[i].name, identity_columns[k][2]) == 0)
                c->identity[1] = i;
        }
    }
    if (buffer_failed(&t->columns) || buffer_failed(&c->message))
        return error_set(e, ERROR_SYSTEM, "out of memory");
    rc = sqlite3_prepare_v2(db, "SELECT quote(?1), typeof(?1)", -1, &c->quote, NULL);
    if (rc != SQLITE_OK)
        return error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot check table %s: %s",
                         s->path, table, sqlite3_errmsg(db));
    return ERROR_OK;
}

bool snapshot_rows_check(snapshot_rows *t, sqlite3_stmt *scan)
{
    row_check *c = &t->c;
    int i;
    c->scan = scan;
    t->rows++;
    for (i = 0; i < c->column_count; i++) {
        char quoted[256];
        const char *text;
        if (!column_problem(c, i))
            continue;
        row_id(c, &t->id);
        text = buffer_text(&t->id);
        if (c->identity[0] < 0 || strcmp(text, "\x01") == 0)
            snprintf(quoted, sizeof quoted, "(NULL id)");
        else if (text_utf8_valid(text, strlen(text), NULL))
            snprintf(quoted, sizeof quoted, "'%s'", text);
        else
            snprintf(quoted, sizeof quoted, "(id not valid UTF-8)");
        problem_add(&t->problems, t->s->path, t->table, quoted, buffer_text(&c->message));
        t->found++;
        break;
    }
    return t->found <= PROBLEMS_SHOWN && !c->out_of_memory;
}

const char *snapshot_rows_columns(const snapshot_rows *t)
{
    return buffer_text(&t->columns);
}

int snapshot_rows_column_count(const snapshot_rows *t)
{
    return t->c.column_count;
}

/* Ends a row check after the scan's last step gave `rc` (SQLITE_DONE when
** every row was read): the status of the check, its problems in
** t->problems. */
static int rows_status(snapshot_rows *t, sqlite3 *db, int rc, error *e)
{
    if (t->c.out_of_memory)
        return error_set(e, ERROR_SYSTEM, "%s: out of memory reading table %s", t->s->path,
                         t->table);
    if (t->found <= PROBLEMS_SHOWN && rc != SQLITE_DONE)
        return error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: table %s cannot be read: %s",
                         t->s->path, t->table, sqlite3_errmsg(db));
    if (buffer_failed(&t->c.message) || buffer_failed(&t->id) || buffer_failed(&t->problems.text))
        return error_set(e, ERROR_SYSTEM, "out of memory");
    return ERROR_OK;
}

static void rows_free(snapshot_rows *t)
{
    int i;
    if (t == NULL)
        return;
    sqlite3_finalize(t->c.quote);
    for (i = 0; t->owns_names && t->c.columns != NULL && i < t->c.column_count; i++)
        free((char *)t->c.columns[i].name);
    free(t->c.columns);
    buffer_free(&t->c.message);
    buffer_free(&t->columns);
    buffer_free(&t->id);
    buffer_free(&t->problems.text);
    free(t);
}

/* Adds the problems of one table (`from`) to `to`, keeping the first
** PROBLEMS_SHOWN entries overall (*shown so far), in the order added. */
static void problems_keep(problem_list *to, const problem_list *from, size_t *shown)
{
    const char *text = buffer_text(&from->text);
    to->count += from->count;
    while (*text != '\0' && *shown < PROBLEMS_SHOWN) {
        const char *next = strchr(text + 1, '\n');
        size_t length = next ? (size_t)(next - text) : strlen(text);
        buffer_append(&to->text, text, length);
        text += length;
        (*shown)++;
    }
}

/* Appends the problems of `from` to `to` as problem_add did. */
static void problems_move(problem_list *to, const problem_list *from)
{
    if (from->count == 0)
        return;
    buffer_append(&to->text, buffer_text(&from->text), from->text.length);
    to->count += from->count;
}

/* Checks the data of `table` (its columns already known to be present);
** appends at most PROBLEMS_SHOWN + 1 problems. */
static int check_rows(snapshot *s, sqlite3 *db, const char *table, const column_info *expected,
                      int expected_count, const reference_sets *references, problem_list *problems,
                      long long *rows, error *e)
{
    snapshot_rows *t = NULL;
    sqlite3_stmt *scan = NULL;
    buffer sql;
    int rc = SQLITE_OK;
    int status;
    buffer_init(&sql);
    status = rows_begin(s, db, table, expected, expected_count, references, &t, e);
    if (status != ERROR_OK)
        goto done;
    buffer_printf(&sql, "SELECT %s FROM \"%s\"", snapshot_rows_columns(t), table);
    if (buffer_failed(&sql)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    rc = sqlite3_prepare_v2(db, buffer_text(&sql), -1, &scan, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot check table %s: %s",
                           s->path, table, sqlite3_errmsg(db));
        goto done;
    }
    while ((rc = sqlite3_step(scan)) == SQLITE_ROW && snapshot_rows_check(t, scan))
        ;
    status = rows_status(t, db, rc, e);
    if (status == ERROR_OK) {
        problems_move(problems, &t->problems);
        *rows += t->rows;
    }
done:
    sqlite3_finalize(scan);
    rows_free(t);
    buffer_free(&sql);
    return status;
}

/* Reads the ids that references point to, into `references`. */
static int reference_sets_load(snapshot *s, reference_sets *references, bool worker_communities,
                               error *e)
{
    static const char *const tables[] = {"communities", "workers"};
    size_t t, capacity = 0;
    int status = ERROR_OK;
    for (t = 0; t < 2 && status == ERROR_OK; t++) {
        idset *set = t == 0 ? &references->communities : &references->workers;
        sqlite3_stmt *statement = NULL;
        char sql[64];
        int rc;
        bool mapping = t == 1 && worker_communities;
        snprintf(sql, sizeof sql, "SELECT id%s FROM %s", mapping ? ", community_id" : "",
                 tables[t]);
        /* Without that column, the table checks say so; the set is still
        ** needed for the references to workers. */
        if (mapping && sqlite3_prepare_v2(s->db, sql, -1, &statement, NULL) != SQLITE_OK) {
            mapping = false;
            snprintf(sql, sizeof sql, "SELECT id FROM %s", tables[t]);
        }
        sqlite3_finalize(statement);
        statement = NULL;
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
            size_t before = set->count;
            if (idset_add(set, id, (size_t)sqlite3_column_bytes(statement, 0)) != 0) {
                status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading the ids of %s",
                                   s->path, tables[t]);
                break;
            }
            if (mapping && set->count > before) {
                const void *home = sqlite3_column_blob(statement, 1);
                if (set->count > capacity) {
                    size_t more = capacity ? 2 * capacity : 4096;
                    long *grown = realloc(references->worker_community, more * sizeof *grown);
                    if (grown == NULL) {
                        status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading workers",
                                           s->path);
                        break;
                    }
                    references->worker_community = grown;
                    capacity = more;
                }
                references->worker_community[set->count - 1] =
                    home == NULL ? -1
                                 : idset_find(&references->communities, home,
                                              (size_t)sqlite3_column_bytes(statement, 1));
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

/* How SQLite stores and compares a column's values, from its declared type
** (https://sqlite.org/datatype3.html, "Determination Of Column Affinity",
** whose rules are applied in this order). */
typedef enum {
    AFFINITY_BLOB, /* no type: values kept as written, 7 and '7' apart */
    AFFINITY_TEXT,
    AFFINITY_NUMERIC,
    AFFINITY_INTEGER,
    AFFINITY_REAL
} affinity;

static bool contains_nocase(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (; *text; text++)
        if (strncasecmp(text, word, n) == 0)
            return true;
    return false;
}

static affinity type_affinity(const char *type)
{
    if (contains_nocase(type, "INT"))
        return AFFINITY_INTEGER;
    if (contains_nocase(type, "CHAR") || contains_nocase(type, "CLOB") ||
        contains_nocase(type, "TEXT"))
        return AFFINITY_TEXT;
    if (*type == '\0' || contains_nocase(type, "BLOB"))
        return AFFINITY_BLOB;
    if (contains_nocase(type, "REAL") || contains_nocase(type, "FLOA") ||
        contains_nocase(type, "DOUB"))
        return AFFINITY_REAL;
    return AFFINITY_NUMERIC;
}

/* What a column declared with affinity `found` instead of `expected` would
** change, or NULL when nothing does (INTEGER and NUMERIC store values the
** same way; they differ only in CAST). */
static const char *affinity_change(affinity expected, affinity found)
{
    if (found == expected || (expected == AFFINITY_INTEGER && found == AFFINITY_NUMERIC))
        return NULL;
    if (found == AFFINITY_BLOB)
        return "values stay as they were written, so 7 and '7' are different values";
    switch (expected) {
    case AFFINITY_TEXT:
        return "text that looks like a number is stored as a number ('007' as 7)";
    case AFFINITY_REAL:
        return found == AFFINITY_TEXT ? "numbers are stored as text"
                                      : "whole numbers are read as integers (7 / 2 = 3 in SQL)";
    default:
        return found == AFFINITY_TEXT ? "numbers are stored as text"
                                      : "whole numbers are read as real numbers (7 / 2 = 3.5)";
    }
}

/* Checks that each column of snapshot.sql is present, stored (not
** generated), declared with the contract's type affinity and compared byte
** by byte (no COLLATE other than BINARY: with NOCASE, 'ZZ1' and 'zz1' join
** and group together, and ids sort in an order the engine's lookups do not
** expect). Appends problems; *ok becomes false when a column is unusable. */
static int check_columns(snapshot *s, sqlite3 *db, const char *table, const column_info *expected,
                         int expected_count, const column_info *found, int found_count,
                         problem_list *problems, bool *ok, error *e)
{
    int i, j;
    for (i = 0; i < expected_count; i++) {
        const column_info *column = NULL;
        const char *type = NULL, *collation = NULL, *change;
        char message[512], declared[72];
        int rc;
        for (j = 0; j < found_count && column == NULL; j++)
            if (strcmp(expected[i].name, found[j].name) == 0)
                column = &found[j];
        if (column == NULL) {
            snprintf(message, sizeof message, "has no column %s (%s in snapshot.sql)",
                     expected[i].name, expected[i].type);
            problem_add(problems, s->path, table, NULL, message);
            *ok = false;
            continue;
        }
        if (column->hidden >= 2) {
            snprintf(message, sizeof message,
                     "column %s is a generated column (GENERATED ALWAYS AS ...): snapshot.sql "
                     "stores its values; store them in an ordinary column",
                     column->name);
            problem_add(problems, s->path, table, NULL, message);
            *ok = false;
            continue;
        }
        rc = sqlite3_table_column_metadata(db, "main", table, column->name, &type, &collation, NULL,
                                           NULL, NULL);
        if (rc != SQLITE_OK)
            return error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                             "%s: cannot read column %s of table %s: %s", s->path, column->name,
                             table, sqlite3_errmsg(db));
        if (type == NULL)
            type = "";
        change = affinity_change(type_affinity(expected[i].type), type_affinity(type));
        if (change != NULL) {
            if (*type)
                snprintf(declared, sizeof declared, "declared %.60s", type);
            else
                snprintf(declared, sizeof declared, "declared without a type");
            snprintf(message, sizeof message,
                     "column %s is %s, snapshot.sql declares it %s: %s; declare it %s",
                     column->name, declared, expected[i].type, change, expected[i].type);
            problem_add(problems, s->path, table, NULL, message);
            *ok = false;
        }
        if (collation != NULL && strcasecmp(collation, "BINARY") != 0) {
            snprintf(message, sizeof message,
                     "column %s is declared COLLATE %.60s: snapshot.sql compares text byte by "
                     "byte (BINARY), where 'ZZ1', 'zz1' and 'zz1 ' are three ids; remove the "
                     "COLLATE clause",
                     column->name, collation);
            problem_add(problems, s->path, table, NULL, message);
            *ok = false;
        }
    }
    return ERROR_OK;
}

/* Refuses an index of the table that compares text other than byte by byte
** (COLLATE NOCASE, RTRIM or an unknown name): snapshot.sql has none, and
** the engine's queries must see text as the contract does. */
static int check_index_collations(snapshot *s, sqlite3 *db, const char *table,
                                  problem_list *problems, error *e)
{
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT l.name, x.name, x.coll FROM pragma_index_list(?1) l, pragma_index_xinfo(l.name) x "
        "WHERE x.key AND x.coll IS NOT NULL AND x.coll <> 'BINARY' COLLATE NOCASE ORDER BY 1, "
        "x.seqno",
        -1, &statement, NULL);
    int status = ERROR_OK;
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(statement, 1, table, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *index = (const char *)sqlite3_column_text(statement, 0);
        const char *column = (const char *)sqlite3_column_text(statement, 1);
        const char *collation = (const char *)sqlite3_column_text(statement, 2);
        const char *own = NULL;
        char message[512];
        if (index == NULL || collation == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        /* A column's own COLLATE, which its indexes inherit, is reported
        ** with the column. */
        if (column != NULL) {
            rc = sqlite3_table_column_metadata(db, "main", table, column, NULL, &own, NULL, NULL,
                                               NULL);
            if (rc != SQLITE_OK)
                break;
            if (own != NULL && strcasecmp(own, collation) == 0)
                continue;
        }
        snprintf(message, sizeof message,
                 "index %.100s compares %s%.100s with COLLATE %.60s: snapshot.sql compares text "
                 "byte by byte (BINARY); drop the index (DROP INDEX \"%.100s\")",
                 index, column ? "column " : "an expression", column ? column : "", collation,
                 index);
        problem_add(problems, s->path, table, NULL, message);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                           "%s: cannot read the indexes of table %s: %s", s->path, table,
                           sqlite3_errmsg(db));
    sqlite3_finalize(statement);
    return status;
}

/* Refuses rows sharing a PRIMARY KEY of snapshot.sql: an id, (worker_id,
** month), (community_id, key) or snapshot_meta's key. The file's own index
** settles it only when it says exactly that: UNIQUE, not partial (WHERE id =
** 'never' says nothing of the other rows), on exactly the key's columns (no
** expression), compared byte by byte. Otherwise the rows are grouped. */
static int check_unique_keys(snapshot *s, sqlite3 *db, const char *table,
                             const column_info *expected, int expected_count,
                             problem_list *problems, error *e)
{
    const char *keys[2] = {NULL, NULL};
    sqlite3_stmt *trusted = NULL, *repeated = NULL;
    buffer sql, label, row;
    int i, k, key_count = 0, rc, status = ERROR_OK;
    for (i = 0; i < expected_count; i++)
        if (expected[i].pk >= 1 && expected[i].pk <= 2) {
            keys[expected[i].pk - 1] = expected[i].name;
            key_count++;
        }
    if (key_count == 0 || keys[key_count - 1] == NULL)
        return ERROR_OK;
    buffer_init(&sql);
    buffer_init(&label);
    buffer_init(&row);
    rc = sqlite3_prepare_v2(
        db,
        "SELECT 1 FROM pragma_index_list(?1) l WHERE l.\"unique\" AND NOT l.partial"
        " AND (SELECT count(*) FROM pragma_index_xinfo(l.name) x WHERE x.key) = ?2"
        " AND (SELECT count(*) FROM pragma_index_xinfo(l.name) x WHERE x.key AND x.cid >= 0"
        "      AND x.coll = 'BINARY' COLLATE NOCASE AND x.name IN (?3, ?4)) = ?2",
        -1, &trusted, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(trusted, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_int(trusted, 2, key_count);
        sqlite3_bind_text(trusted, 3, keys[0], -1, SQLITE_STATIC);
        if (keys[1] != NULL)
            sqlite3_bind_text(trusted, 4, keys[1], -1, SQLITE_STATIC);
        rc = sqlite3_step(trusted);
    }
    if (rc == SQLITE_ROW)
        goto done; /* SQLite kept the key unique as the rows were written */
    if (rc != SQLITE_DONE)
        goto failed;
    buffer_puts(&sql, "SELECT ");
    for (k = 0; k < key_count; k++)
        buffer_printf(&sql, "%s\"%s\"", k ? ", " : "", keys[k]);
    buffer_printf(&sql, " FROM \"%s\" WHERE ", table);
    for (k = 0; k < key_count; k++)
        buffer_printf(&sql, "%s\"%s\" IS NOT NULL", k ? " AND " : "", keys[k]);
    buffer_puts(&sql, " GROUP BY ");
    for (k = 0; k < key_count; k++)
        buffer_printf(&sql, "%s\"%s\"", k ? ", " : "", keys[k]);
    buffer_printf(&sql, " HAVING count(*) > 1 LIMIT %d", PROBLEMS_SHOWN + 1);
    if (key_count == 1)
        buffer_printf(&label, "%s appears more than once", keys[0]);
    else
        buffer_printf(&label, "(%s, %s) appears more than once", keys[0], keys[1]);
    if (buffer_failed(&sql) || buffer_failed(&label)) {
        rc = SQLITE_NOMEM;
        goto failed;
    }
    rc = sqlite3_prepare_v2(db, buffer_text(&sql), -1, &repeated, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(repeated)) == SQLITE_ROW) {
        buffer_reset(&row);
        buffer_puts(&row, "'");
        for (k = 0; k < key_count; k++) {
            const char *part = (const char *)sqlite3_column_text(repeated, k);
            if (part == NULL) {
                rc = SQLITE_NOMEM;
                goto failed;
            }
            buffer_printf(&row, "%s%s", k ? " " : "", part);
        }
        buffer_puts(&row, "'");
        if (buffer_failed(&row)) {
            rc = SQLITE_NOMEM;
            goto failed;
        }
        problem_add(problems, s->path, table,
                    text_utf8_valid(buffer_text(&row), row.length, NULL) ? buffer_text(&row)
                                                                         : "(id not valid UTF-8)",
                    buffer_text(&label));
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_DONE)
        goto done;
failed:
    status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                       "%s: cannot look for repeated keys in table %s: %s", s->path, table,
                       rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
done:
    sqlite3_finalize(trusted);
    sqlite3_finalize(repeated);
    buffer_free(&sql);
    buffer_free(&label);
    buffer_free(&row);
    return status;
}

/* The number of rows of `table`, for a table whose rows the caller checks
** later: the limits of rule SQL are set by the snapshot's rows. */
static int count_rows(snapshot *s, sqlite3 *db, const char *table, long long *rows, error *e)
{
    sqlite3_stmt *statement = NULL;
    char sql[96];
    int rc;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    rc = sqlite3_prepare_v2(db, sql, -1, &statement, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(statement)) == SQLITE_ROW)
        *rows += sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW)
        return error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: table %s cannot be read: %s",
                         s->path, table, sqlite3_errmsg(db));
    return ERROR_OK;
}

/* Checks one table: that it is an ordinary table, its columns and indexes,
** then its data (unless `rows_later`) and keys. */
static int check_table(snapshot *s, sqlite3 *db, sqlite3 *schema_db, const char *table,
                       const reference_sets *references, bool rows_later, problem_list *problems,
                       long long *rows, error *e)
{
    column_info *expected = NULL, *found = NULL;
    int expected_count = table_columns(schema_db, "main", table, &expected);
    int found_count = -1;
    int rc;
    int status = ERROR_OK;
    bool columns_ok = true;
    if (expected_count < 0) {
        status = error_set(e, ERROR_SYSTEM, "out of memory reading the schema");
        goto done;
    }
    {
        /* Is it a table? A view, or a virtual table (its rows come from a
        ** module's code, not from the file), would be evaluated but cannot
        ** be trusted to be a snapshot; refuse it clearly. */
        sqlite3_stmt *kind = NULL;
        const char *type = NULL;
        bool is_virtual = false;
        rc = sqlite3_prepare_v2(db,
                                "SELECT type, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_schema "
                                "WHERE name = ?1",
                                -1, &kind, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(kind, 1, table, -1, SQLITE_STATIC);
            rc = sqlite3_step(kind);
            if (rc == SQLITE_ROW) {
                type = (const char *)sqlite3_column_text(kind, 0);
                is_virtual = sqlite3_column_int(kind, 1) != 0;
            }
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
        if (strcmp(type, "table") != 0 || is_virtual) {
            char message[128];
            snprintf(message, sizeof message, "is a %s, not a table",
                     is_virtual ? "virtual table" : type);
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
    status = check_columns(s, db, table, expected, expected_count, found, found_count, problems,
                           &columns_ok, e);
    if (status == ERROR_OK)
        status = check_index_collations(s, db, table, problems, e);
    if (status != ERROR_OK || !columns_ok)
        goto done;
    /* snapshot_meta's values are read by key (as_of, region), not row by
    ** row; its keys must still be unique. */
    if (strcmp(table, "snapshot_meta") != 0 && !rows_later)
        status = check_rows(s, db, table, expected, expected_count, references, problems, rows, e);
    else if (rows_later)
        status = count_rows(s, db, table, rows, e);
    if (status == ERROR_OK)
        status = check_unique_keys(s, db, table, expected, expected_count, problems, e);
done:
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
    const bool *later; /* tables whose rows the caller checks (snapshot_rows_*) */
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
                                        pool->later != NULL && pool->later[i], &pool->lists[i],
                                        &pool->rows[i], &pool->errors[i]);
    }
    sqlite3_close(schema_db);
}

static void *check_worker(void *argument)
{
    check_pool *pool = argument;
    sqlite3 *db = NULL;
    if (snapshot_connect(pool->s->path, &db) == SQLITE_OK &&
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
    s->sha256 = sha256_file(s->path);
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
                            const bool *later, reference_sets *keep, problem_list *problems,
                            error *e)
{
    check_pool pool;
    pthread_t helpers[16];
    size_t started = 0, i, j, k = 0, shown = 0;
    reference_sets references;
    int status = ERROR_OK;
    bool locked = false;
    memset(&pool, 0, sizeof pool);
    memset(&references, 0, sizeof references);
    pool.s = s;
    pool.tables = tables;
    pool.count = count;
    pool.references = &references;
    pool.later = later;
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
    status = reference_sets_load(s, &references, later != NULL, e);
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
        s->rows_read += pool.rows[i];
        if (i < sizeof s->table_rows / sizeof s->table_rows[0])
            s->table_rows[i] = pool.rows[i];
        if (status == ERROR_OK && pool.statuses[i] != ERROR_OK) {
            status = pool.statuses[i];
            *e = pool.errors[i];
        }
        problems_keep(problems, &pool.lists[i], &shown);
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
    if (keep != NULL && status == ERROR_OK)
        *keep = references; /* the caller's row checks need them */
    else
        reference_sets_free(&references);
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
        else if (value != NULL &&
                 strlen((const char *)value) != (size_t)sqlite3_column_bytes(statement, 0))
            status = error_set(e, ERROR_INPUT,
                               "%s: table snapshot_meta, row '%s': value contains a NUL character "
                               "(byte 0), which would cut the text short",
                               s->path, key);
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
    size_t capacity = 0, k;
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
    if (rc != SQLITE_DONE) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                           "%s: cannot read communities: %s", s->path, sqlite3_errmsg(s->db));
        goto done;
    }
    /* snapshot_find_community searches in strcmp order and every query
    ** returns communities ORDER BY id: with the checks above the two agree;
    ** this says so if some form of the file ever made them differ. */
    for (k = 1; k < s->community_count; k++)
        if (strcmp(s->communities[k - 1].id, s->communities[k].id) >= 0) {
            status = error_set(e, ERROR_INPUT,
                               "%s: table communities: ids '%s' and '%s' come out of byte order: "
                               "the file does not compare text as snapshot.sql does",
                               s->path, s->communities[k - 1].id, s->communities[k].id);
            break;
        }
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

/* Refuses a snapshot that other programs would read differently from
** kaohe: a -wal file beside it holding changes not yet copied into the file
** (SQLite's other readers apply them; kaohe's immutable connection reads the
** file alone, which is what the hash covers), or a hot -journal (a write cut
** short: the file may hold half of it, and other readers roll it back
** first). An empty -wal, a -shm, or a journal whose header was zeroed at
** commit hold nothing. Returns ERROR_OK or the error. */
static int check_beside(const char *path, error *e)
{
    static const unsigned char journal_magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
    /* SQLite names them after the file a symbolic link points to. */
    char *real = realpath(path, NULL);
    const char *base = real != NULL ? real : path;
    size_t length = strlen(base) + sizeof "-journal";
    char *name = malloc(length);
    struct stat st;
    int status = ERROR_OK;
    if (name == NULL) {
        free(real);
        return error_set(e, ERROR_SYSTEM, "out of memory");
    }
    snprintf(name, length, "%s-wal", base);
    if (stat(name, &st) == 0) {
        if (st.st_size > 0) {
            status = error_set(
                e, ERROR_INPUT,
                "%s: %s holds %lld bytes of changes not yet written into the snapshot (SQLite's "
                "write-ahead log): other programs would read them and kaohe would not. Write them "
                "into the file and leave WAL mode first: sqlite3 %s 'PRAGMA "
                "wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE'",
                path, name, (long long)st.st_size, path);
            goto done;
        }
    } else if (errno != ENOENT) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: cannot look for %s: %s",
                           path, name, strerror(errno));
        goto done;
    }
    snprintf(name, length, "%s-journal", base);
    if (stat(name, &st) == 0) {
        unsigned char header[sizeof journal_magic];
        FILE *stream = st.st_size > 0 ? fopen(name, "rb") : NULL;
        bool hot = stream != NULL && fread(header, 1, sizeof header, stream) == sizeof header &&
                   memcmp(header, journal_magic, sizeof header) == 0;
        if (stream != NULL)
            fclose(stream);
        if (hot || (st.st_size > 0 && stream == NULL)) {
            status = error_set(e, ERROR_INPUT,
                               "%s: %s is a hot journal: a write to the snapshot was cut short and "
                               "the file may hold half of it. Let SQLite roll the write back "
                               "(sqlite3 %s 'PRAGMA integrity_check') or make the snapshot again",
                               path, name, path);
            goto done;
        }
    } else if (errno != ENOENT) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: cannot look for %s: %s",
                           path, name, strerror(errno));
    }
done:
    free(name);
    free(real);
    return status;
}

/* Whether two stat results describe the same unchanged file. */
static bool same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The error for a snapshot with problems (none: ERROR_OK). */
static int problems_report(const char *path, problem_list *problems, error *e)
{
    if (problems->count == 0)
        return ERROR_OK;
    if (problems->count > PROBLEMS_SHOWN)
        buffer_printf(&problems->text, "\n... and %zu more problems",
                      problems->count - PROBLEMS_SHOWN);
    return error_set(e, ERROR_INPUT, "%s: the snapshot has %zu problem%s:%s", path, problems->count,
                     problems->count == 1 ? "" : "s", buffer_text(&problems->text));
}

static int changed_error(const char *path, error *e)
{
    return error_set(e, ERROR_INPUT,
                     "%s: the file changed while kaohe read it (a program is writing to it): "
                     "assess a copy that nothing writes to",
                     path);
}

/* The tables, in the order problems are listed. */
static const char *const snapshot_tables[] = {
    "snapshot_meta", "communities",      "workers",  "organizations", "activities", "visits",
    "postings",      "survey_responses", "requests", "tasks",         "facts",      NULL};
#define SNAPSHOT_TABLES (sizeof snapshot_tables / sizeof snapshot_tables[0] - 1)

/* What snapshot_open_later() left for the caller's scans and
** snapshot_finish(): rows still to check, the problems found meanwhile, the
** hash still being computed. */
struct snapshot_pending {
    pthread_mutex_t lock;
    reference_sets references;
    bool later[SNAPSHOT_TABLES];   /* rows checked by the caller's scans */
    bool claimed[SNAPSHOT_TABLES]; /* a scan is checking them now, or did */
    bool done[SNAPSHOT_TABLES];    /* checked: problems in lists[] */
    problem_list lists[SNAPSHOT_TABLES];
    pthread_t hasher;
    bool hashing;
    struct stat opened; /* the file as it was opened */
};

static int open_checked(const char *path, int threads, const char *const *later, snapshot **out,
                        error *e);

int snapshot_open(const char *path, snapshot **out, error *e)
{
    return open_checked(path, 0, NULL, out, e);
}

int snapshot_open_threads(const char *path, int threads, snapshot **out, error *e)
{
    return open_checked(path, threads, NULL, out, e);
}

int snapshot_open_later(const char *path, int threads, const char *const *later, snapshot **out,
                        error *e)
{
    return open_checked(path, threads, later, out, e);
}

static size_t table_index(const char *table)
{
    size_t i;
    for (i = 0; i < SNAPSHOT_TABLES && strcmp(snapshot_tables[i], table) != 0; i++)
        ;
    return i;
}

static void pending_free(struct snapshot_pending *p, snapshot *s)
{
    size_t i;
    if (p == NULL)
        return;
    if (p->hashing)
        pthread_join(p->hasher, NULL);
    pthread_mutex_destroy(&p->lock);
    reference_sets_free(&p->references);
    for (i = 0; i < SNAPSHOT_TABLES; i++)
        buffer_free(&p->lists[i].text);
    free(p);
    s->pending = NULL;
}

long snapshot_rows_worker_community(const snapshot *s, const void *worker_id, size_t length)
{
    const reference_sets *refs = s->pending != NULL ? &s->pending->references : NULL;
    long ordinal;
    if (refs == NULL || refs->worker_community == NULL)
        return -2;
    ordinal = idset_find(&refs->workers, worker_id, length);
    return ordinal < 0 ? -1 : refs->worker_community[ordinal];
}

long long snapshot_table_rows(const snapshot *s, const char *table)
{
    size_t i = table_index(table);
    return i < SNAPSHOT_TABLES && i < sizeof s->table_rows / sizeof s->table_rows[0]
               ? s->table_rows[i]
               : 0;
}

bool snapshot_rows_later(const snapshot *s, const char *table)
{
    size_t i = table_index(table);
    return s->pending != NULL && i < SNAPSHOT_TABLES && s->pending->later[i];
}

int snapshot_rows_begin(const snapshot *s, sqlite3 *db, const char *table, snapshot_rows **out,
                        error *e)
{
    struct snapshot_pending *p = s->pending;
    size_t i = table_index(table);
    sqlite3 *schema_db = NULL;
    column_info *expected = NULL;
    int count = 0;
    int status;
    bool mine = false;
    *out = NULL;
    if (p != NULL && i < SNAPSHOT_TABLES) {
        pthread_mutex_lock(&p->lock);
        mine = p->later[i] && !p->claimed[i];
        p->claimed[i] = p->claimed[i] || mine;
        pthread_mutex_unlock(&p->lock);
    }
    if (!mine)
        return error_set(e, ERROR_SYSTEM, "%s: the rows of table %s are not left to check", s->path,
                         table);
    status = snapshot_open_schema(&schema_db, e);
    if (status == ERROR_OK) {
        count = table_columns(schema_db, "main", table, &expected);
        if (count <= 0)
            status = error_set(e, ERROR_SYSTEM, "out of memory reading the schema");
    }
    if (status == ERROR_OK)
        status = rows_begin(s, db, table, expected, count, &p->references, out, e);
    /* The check owns copies of nothing in `expected` but its column names. */
    if (status == ERROR_OK) {
        size_t k;
        for (k = 0; k < (size_t)count; k++) {
            (*out)->c.columns[k].name = expected[k].name;
            expected[k].name = NULL;
        }
        (*out)->owns_names = true;
    }
    columns_free(expected, count > 0 ? count : 0);
    sqlite3_close(schema_db);
    if (status != ERROR_OK) {
        snapshot_rows_end(*out, db, SQLITE_ERROR, false, NULL);
        *out = NULL;
        pthread_mutex_lock(&p->lock);
        p->claimed[i] = false;
        pthread_mutex_unlock(&p->lock);
    }
    return status;
}

int snapshot_rows_end(snapshot_rows *t, sqlite3 *db, int rc, bool complete, error *e)
{
    struct snapshot_pending *p;
    size_t i;
    int status = ERROR_OK;
    error ignored;
    if (t == NULL)
        return ERROR_OK;
    p = t->s->pending;
    i = table_index(t->table);
    if (complete)
        status = rows_status(t, db, rc, e != NULL ? e : &ignored);
    pthread_mutex_lock(&p->lock);
    if (complete && status == ERROR_OK) {
        problems_move(&p->lists[i], &t->problems);
        p->done[i] = !buffer_failed(&p->lists[i].text);
    }
    if (!p->done[i])
        p->claimed[i] = false; /* snapshot_finish() checks it */
    pthread_mutex_unlock(&p->lock);
    rows_free(t);
    return status;
}

bool snapshot_rows_problems(const snapshot *s)
{
    struct snapshot_pending *p = s->pending;
    size_t i;
    bool any = false;
    if (p == NULL)
        return false;
    pthread_mutex_lock(&p->lock);
    for (i = 0; i < SNAPSHOT_TABLES; i++)
        any = any || (p->done[i] && p->lists[i].count > 0);
    pthread_mutex_unlock(&p->lock);
    return any;
}

int snapshot_finish(snapshot *s, error *e)
{
    struct snapshot_pending *p = s->pending;
    problem_list problems;
    sqlite3 *schema_db = NULL;
    size_t i, shown = 0;
    int status = ERROR_OK;
    if (p == NULL)
        return ERROR_OK;
    buffer_init(&problems.text);
    problems.count = 0;
    for (i = 0; i < SNAPSHOT_TABLES && status == ERROR_OK; i++) {
        column_info *expected = NULL;
        int count;
        long long ignored = 0;
        if (!p->later[i] || p->done[i])
            continue;
        if (schema_db == NULL && (status = snapshot_open_schema(&schema_db, e)) != ERROR_OK)
            break;
        count = table_columns(schema_db, "main", snapshot_tables[i], &expected);
        if (count <= 0)
            status = error_set(e, ERROR_SYSTEM, "out of memory reading the schema");
        else
            status = check_rows(s, s->db, snapshot_tables[i], expected, count, &p->references,
                                &p->lists[i], &ignored, e);
        columns_free(expected, count > 0 ? count : 0);
    }
    sqlite3_close(schema_db);
    if (p->hashing) {
        pthread_join(p->hasher, NULL);
        p->hashing = false;
    } else if (status == ERROR_OK && s->sha256 == NULL) {
        s->sha256 = sha256_file(s->path); /* one thread: after the rows */
    }
    if (status != ERROR_OK)
        goto done;
    {
        /* As snapshot_open: a file that changed meanwhile comes first. */
        struct stat after;
        if (stat(s->path, &after) != 0 || !same_file_state(&p->opened, &after)) {
            status = changed_error(s->path, e);
            goto done;
        }
    }
    for (i = 0; i < SNAPSHOT_TABLES; i++)
        problems_keep(&problems, &p->lists[i], &shown);
    if (problems.count > 0 && buffer_failed(&problems.text)) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory listing the snapshot's problems",
                           s->path);
        goto done;
    }
    status = problems_report(s->path, &problems, e);
    if (status != ERROR_OK)
        goto done;
    if (s->sha256 == NULL)
        status = error_set(e, ERROR_SYSTEM, "%s: cannot hash the file: %s", s->path,
                           error_errno_text(errno));
done:
    buffer_free(&problems.text);
    pending_free(p, s);
    return status;
}

static int open_checked(const char *path, int threads, const char *const *later, snapshot **out,
                        error *e)
{
    const char *const *tables = snapshot_tables;
    snapshot *s = NULL;
    bool later_flags[SNAPSHOT_TABLES];
    bool deferring = false;
    reference_sets kept;
    problem_list problems;
    pthread_t hasher;
    bool hashing = false;
    sqlitefile_info file;
    size_t i;
    int status = ERROR_OK;
    int rc;
    *out = NULL;
    buffer_init(&problems.text);
    problems.count = 0;
    status = sqlitefile_probe(path, &file, e);
    if (status != ERROR_OK)
        goto done;
    if (file.kind == SQLITEFILE_NOT_REGULAR) {
        status = error_set(e, ERROR_INPUT, "%s: not a regular file", path);
        goto done;
    }
    if (file.kind != SQLITEFILE_DATABASE) {
        status = error_set(e, ERROR_INPUT,
                           "%s: not an SQLite database (a snapshot is an SQLite "
                           "file following snapshot.sql)",
                           path);
        goto done;
    }
    status = check_beside(path, e);
    if (status != ERROR_OK)
        goto done;
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    /* Only ever used by one thread at a time (other threads open their
    ** own), so snapshot_connect's NOMUTEX is right. */
    rc = snapshot_connect(path, &s->db);
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
    {
        /* Text is compared byte by byte (BINARY): in a UTF-16 file that is
        ** UTF-16 order, not the byte order of the UTF-8 ids the engine sorts
        ** and looks up, so '甲' and '乙' would swap places. */
        sqlite3_stmt *statement = NULL;
        const char *encoding = NULL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA encoding", -1, &statement, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(statement)) == SQLITE_ROW &&
            (encoding = (const char *)sqlite3_column_text(statement, 0)) == NULL)
            rc = SQLITE_NOMEM;
        if (encoding == NULL)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s: cannot read the text encoding: %s", path, sqlite3_errstr(rc));
        else if (strcmp(encoding, "UTF-8") != 0)
            status = error_set(e, ERROR_INPUT,
                               "%s: the file's text is %s, a snapshot's is UTF-8 (SQLite compares "
                               "text byte by byte, and %s puts ids in another order). Convert "
                               "it: sqlite3 %s .dump | sqlite3 NEW.db",
                               path, encoding, encoding, path);
        sqlite3_finalize(statement);
        if (status != ERROR_OK)
            goto done;
    }
    if (threads <= 0)
        threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    for (i = 0; i < SNAPSHOT_TABLES; i++) {
        size_t k;
        later_flags[i] = false;
        /* communities are read whole below; snapshot_meta is read by key */
        for (k = 0; later != NULL && later[k] != NULL && i >= 2; k++)
            later_flags[i] = later_flags[i] || strcmp(later[k], tables[i]) == 0;
        deferring = deferring || later_flags[i];
    }
    /* With more than one thread, the file is hashed while it is checked
    ** (and, when rows are left to the caller, while the caller reads them). */
    hashing = threads > 1 && pthread_create(&hasher, NULL, hash_worker, s) == 0;
    memset(&kept, 0, sizeof kept);
    for (;;) {
        status =
            check_all_tables(s, tables, SNAPSHOT_TABLES, threads, deferring ? later_flags : NULL,
                             deferring ? &kept : NULL, &problems, e);
        if (status != ERROR_OK)
            break;
        if (problems.count == 0) {
            status = meta_value(s, "as_of", &s->as_of, e);
            if (status == ERROR_OK)
                status = meta_value(s, "region", &s->region, e);
            if (status != ERROR_OK)
                break;
            if (s->as_of == NULL)
                problem_add(&problems, path, "snapshot_meta", NULL,
                            "no 'as_of' (the assessment date, YYYY-MM-DD)");
            else if (!snapshot_date_valid(s->as_of)) {
                char message[128];
                snprintf(message, sizeof message, "as_of '%.40s' is not a date YYYY-MM-DD",
                         s->as_of);
                problem_add(&problems, path, "snapshot_meta", NULL, message);
            }
            if (s->region == NULL)
                problem_add(&problems, path, "snapshot_meta", NULL,
                            "no 'region' (the region's name)");
        }
        if (!deferring || problems.count == 0)
            break;
        /* Something is wrong: check every row now, so the message is the one
        ** a full check gives (row problems first, the meta data's only without). */
        reference_sets_free(&kept);
        buffer_reset(&problems.text);
        problems.count = 0;
        s->rows_read = 0;
        free(s->as_of);
        free(s->region);
        s->as_of = s->region = NULL;
        deferring = false;
    }
    if (deferring && status == ERROR_OK) {
        s->pending = calloc(1, sizeof *s->pending);
        if (s->pending == NULL) {
            reference_sets_free(&kept);
            status = error_set(e, ERROR_SYSTEM, "out of memory");
        } else {
            pthread_mutex_init(&s->pending->lock, NULL);
            s->pending->references = kept;
            memcpy(s->pending->later, later_flags, sizeof later_flags);
            for (i = 0; i < SNAPSHOT_TABLES; i++)
                buffer_init(&s->pending->lists[i].text);
            s->pending->opened = file.st;
            s->pending->hasher = hasher;
            s->pending->hashing = hashing;
            hashing = false; /* snapshot_finish() waits for it */
        }
    } else if (deferring) {
        reference_sets_free(&kept);
    }
    if (hashing) {
        pthread_join(hasher, NULL);
        hashing = false;
    } else if (s->pending == NULL) {
        s->sha256 = sha256_file(path);
    }
    if (status != ERROR_OK)
        goto done;
    if (s->pending == NULL) {
        /* The file was read and hashed as it was when it was opened; a
        ** writer meanwhile would make the two disagree. */
        struct stat after;
        if (stat(path, &after) != 0 || !same_file_state(&file.st, &after)) {
            status = changed_error(path, e);
            goto done;
        }
    }
    if (problems.count > 0 && buffer_failed(&problems.text)) {
        status =
            error_set(e, ERROR_SYSTEM, "%s: out of memory listing the snapshot's problems", path);
        goto done;
    }
    status = problems_report(path, &problems, e);
    if (status != ERROR_OK)
        goto done;
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
    if (s->pending != NULL && s->pending->references.worker_community != NULL) {
        /* Each worker's community as an index into s->communities. */
        reference_sets *refs = &s->pending->references;
        long *sorted = malloc((refs->communities.count + 1) * sizeof *sorted);
        if (sorted == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        for (i = 0; i < refs->communities.count; i++)
            sorted[i] = -1;
        for (i = 0; i < s->community_count; i++) {
            long ordinal =
                idset_find(&refs->communities, s->communities[i].id, strlen(s->communities[i].id));
            if (ordinal >= 0)
                sorted[ordinal] = (long)i;
        }
        for (i = 0; i < refs->workers.count; i++)
            if (refs->worker_community[i] >= 0)
                refs->worker_community[i] = sorted[refs->worker_community[i]];
        free(sorted);
    }
    if (index_scope(s, offsetof(community, district), &s->districts, &s->district_count,
                    &s->community_district) != 0 ||
        index_scope(s, offsetof(community, street_key), &s->streets, &s->street_count,
                    &s->community_street) != 0) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    if ((s->sha256 == NULL && s->pending == NULL) || s->year_start == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot hash the file: %s", path,
                           error_errno_text(errno));
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
    pending_free(s->pending, s);
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
