/*
** results_schema.c — the results schema and the checks of results_schema.h.
**
** The schema a file must have is not written down twice: an in-memory
** database is built with the very statements that create a results file
** (the contract compiled into the binary, then the engine's columns one
** ALTER at a time, then its tables), and the file's sqlite_schema is
** compared with it entry by entry. Table definitions are compared as
** normalised SQL text, which covers what the pragmas do not show (CHECK,
** ON CONFLICT, REFERENCES actions, WITHOUT ROWID, STRICT); the pragmas only
** explain a difference to the user.
*/
#include "results_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results_schema_sql.h"
#include "sqlitefile.h"

/* Entries named in a refusal before "and N more". */
#define FINDINGS_SHOWN 8
/* Bytes of a name (from the file) quoted in a message. */
#define NAME_SHOWN 80

/* Tables and columns the engine adds to the contract. */
static const char extra_schema[] = "CREATE TABLE IF NOT EXISTS category_scores ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  community_id TEXT NOT NULL,"
                                   "  category_id TEXT NOT NULL,"
                                   "  points REAL NOT NULL,"
                                   "  max_points REAL NOT NULL,"
                                   "  PRIMARY KEY (run_id, community_id, category_id));"
                                   "CREATE TABLE IF NOT EXISTS run_communities ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  community_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  district TEXT NOT NULL,"
                                   "  street TEXT NOT NULL,"
                                   "  PRIMARY KEY (run_id, community_id));"
                                   "CREATE TABLE IF NOT EXISTS run_indicators ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  indicator_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  category_id TEXT NOT NULL,"
                                   "  unit TEXT,"
                                   "  max_points REAL NOT NULL,"
                                   "  source TEXT,"
                                   "  PRIMARY KEY (run_id, indicator_id));"
                                   "CREATE TABLE IF NOT EXISTS run_categories ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  category_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  max_points REAL NOT NULL,"
                                   "  PRIMARY KEY (run_id, category_id));"
                                   "CREATE TABLE IF NOT EXISTS run_targets ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  target_id TEXT NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  measure TEXT NOT NULL,"
                                   "  unit TEXT,"
                                   "  source TEXT,"
                                   "  PRIMARY KEY (run_id, target_id));"
                                   "CREATE TABLE IF NOT EXISTS department_stats ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  department TEXT NOT NULL,"
                                   "  tasks INTEGER NOT NULL,"
                                   "  admitted INTEGER NOT NULL,"
                                   "  rejected INTEGER NOT NULL,"
                                   "  review INTEGER NOT NULL,"
                                   "  PRIMARY KEY (run_id, department));"
                                   /* What the rules of a run say, so outputs read their
                                   ** words and numbers from the file, not from C. */
                                   "CREATE TABLE IF NOT EXISTS run_rules ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  system_name TEXT,"
                                   "  total REAL NOT NULL,"
                                   "  epsilon REAL NOT NULL,"
                                   "  unrated TEXT NOT NULL,"
                                   "  appraisal_scope TEXT,"
                                   "  bottom_ratio REAL,"
                                   "  floors TEXT,"
                                   "  PRIMARY KEY (run_id));"
                                   "CREATE TABLE IF NOT EXISTS run_star_grades ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  stars INTEGER NOT NULL,"
                                   "  position INTEGER NOT NULL,"
                                   "  name TEXT NOT NULL,"
                                   "  threshold REAL,"
                                   "  threshold_param TEXT,"
                                   "  conditions TEXT,"
                                   "  PRIMARY KEY (run_id, stars));"
                                   "CREATE TABLE IF NOT EXISTS run_target_rules ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  target_id TEXT NOT NULL,"
                                   "  position INTEGER NOT NULL,"
                                   "  scopes TEXT NOT NULL,"
                                   "  required_kind TEXT NOT NULL,"
                                   "  required_param TEXT,"
                                   "  PRIMARY KEY (run_id, target_id));"
                                   "CREATE TABLE IF NOT EXISTS run_params ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  name TEXT NOT NULL,"
                                   "  type TEXT NOT NULL,"
                                   "  value TEXT,"
                                   "  description TEXT,"
                                   "  unit TEXT,"
                                   "  PRIMARY KEY (run_id, name));"
                                   "CREATE TABLE IF NOT EXISTS run_labels ("
                                   "  run_id INTEGER NOT NULL REFERENCES runs(run_id),"
                                   "  kind TEXT NOT NULL,"
                                   "  code TEXT NOT NULL,"
                                   "  text TEXT NOT NULL,"
                                   "  PRIMARY KEY (run_id, kind, code));";

/* Added to `runs` one ALTER at a time, in this order (new ones go last:
** a file made by an older kaohe has a prefix of them). */
static const char *const extra_run_columns[][2] = {
    {"region", "TEXT"},         {"snapshot_path", "TEXT"}, {"rules_root", "TEXT"},
    {"kind", "TEXT"},           {"scenario", "TEXT"},      {"baseline_run_id", "INTEGER"},
    {"communities", "INTEGER"},
};
#define EXTRA_RUN_COLUMNS (sizeof extra_run_columns / sizeof extra_run_columns[0])
/* Columns of `runs` in the contract itself. */
#define CONTRACT_RUN_COLUMNS 8

/* The tables of ../shared/spec/results.sql. */
static const char *const contract_tables[] = {
    "runs",          "indicator_scores",  "community_scores",
    "target_checks", "worker_appraisals", "task_decisions",
};
#define CONTRACT_TABLES (sizeof contract_tables / sizeof contract_tables[0])

/* Status of a failed SQLite call on a results file: the machine's failures
** (memory, I/O, a full disk) are exit 3; anything else (a damaged or
** foreign file, a lock held past the timeout) is the file's. */
static int failure_status(int rc)
{
    return error_sqlite_status(rc, ERROR_INPUT);
}

/* Runs `sql` on `db`; a failure names `path` and SQLite's reason. */
static int exec(sqlite3 *db, const char *sql, const char *path, error *e)
{
    char *message = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
    int status = ERROR_OK;
    if (rc != SQLITE_OK)
        status = error_set(e, failure_status(sqlite3_extended_errcode(db)), "%s: %s", path,
                           message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return status;
}

/* The error for a schema SQLite cannot read (damaged file, out of memory). */
static int schema_unreadable(sqlite3 *db, const char *path, error *e)
{
    return error_set(e, failure_status(sqlite3_extended_errcode(db)),
                     "%s: cannot read its schema: %s", path, sqlite3_errmsg(db));
}

/* Prepares `format` (its one %w is the schema's name) into *statement. */
static int prepare_schema_query(sqlite3 *db, const char *schema, const char *path,
                                const char *format, sqlite3_stmt **statement, error *e)
{
    char *sql = sqlite3_mprintf(format, schema);
    int status = ERROR_OK;
    if (sql == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    if (sqlite3_prepare_v2(db, sql, -1, statement, NULL) != SQLITE_OK)
        status = schema_unreadable(db, path, e);
    sqlite3_free(sql);
    return status;
}

/* --- the connection ------------------------------------------------------ */

int results_schema_configure(sqlite3 *db, error *e)
{
    /* SQLite 3.31 or later has every one of these. */
    static const struct {
        int option;
        int value;
        const char *name;
    } settings[] = {
        {SQLITE_DBCONFIG_DEFENSIVE, 1, "SQLITE_DBCONFIG_DEFENSIVE"},
        {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "SQLITE_DBCONFIG_TRUSTED_SCHEMA"},
        {SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, "SQLITE_DBCONFIG_ENABLE_TRIGGER"},
        {SQLITE_DBCONFIG_ENABLE_VIEW, 0, "SQLITE_DBCONFIG_ENABLE_VIEW"},
        {SQLITE_DBCONFIG_ENABLE_FKEY, 0, "SQLITE_DBCONFIG_ENABLE_FKEY"},
        {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, "SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION"},
        {SQLITE_DBCONFIG_WRITABLE_SCHEMA, 0, "SQLITE_DBCONFIG_WRITABLE_SCHEMA"},
    };
    size_t i;
    for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        int now = -1;
        int rc = sqlite3_db_config(db, settings[i].option, settings[i].value, &now);
        if (rc != SQLITE_OK || now != settings[i].value)
            return error_set(e, ERROR_SYSTEM,
                             "SQLite %s cannot apply %s=%d, which kaohe needs to open results "
                             "files safely",
                             sqlite3_libversion(), settings[i].name, settings[i].value);
    }
    return ERROR_OK;
}

/* --- the file, before SQLite opens it ------------------------------------ */

int results_schema_check_file(const char *path, error *e)
{
    sqlitefile_info file;
    struct stat st;
    char wal[PATH_MAX + 8], real[PATH_MAX];
    int status = sqlitefile_probe(path, &file, e);
    if (status != ERROR_OK)
        return status;
    if (file.kind == SQLITEFILE_NOT_REGULAR)
        return error_set(e, ERROR_INPUT, "%s: not a regular file, so not a results database", path);
    if (file.kind == SQLITEFILE_EMPTY)
        return error_set(e, ERROR_INPUT,
                         "%s: an empty file, not a results database (no run stored)", path);
    if (file.kind != SQLITEFILE_DATABASE)
        return error_set(e, ERROR_INPUT,
                         "%s: not an SQLite database, so not a kaohe results file; kaohe never "
                         "overwrites it",
                         path);
    /* Bytes 18 and 19: 1 in rollback-journal mode, 2 in WAL mode. */
    if (file.write_version == 2 || file.read_version == 2)
        return error_set(e, ERROR_INPUT,
                         "%s: in WAL mode (PRAGMA journal_mode=WAL), which kaohe never sets: "
                         "another program changed it, and the latest changes may be in %s-wal; "
                         "let that program finish, then turn it back with sqlite3 %s "
                         "'PRAGMA journal_mode=DELETE' (or give --out a new file)",
                         path, path, path);
    if (file.write_version != 1 || file.read_version != 1)
        return error_set(e, ERROR_INPUT,
                         "%s: an SQLite file format kaohe does not write (header bytes 18-19 are "
                         "%d and %d)",
                         path, file.write_version, file.read_version);
    /* SQLite looks for the -wal beside the file a symbolic link names. */
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (lstat(wal, &st) != 0 && realpath(path, real) != NULL)
        snprintf(wal, sizeof wal, "%s-wal", real);
    if (lstat(wal, &st) == 0)
        return error_set(e, ERROR_INPUT,
                         "%s: a file %s lies beside it: SQLite would read it as part of the "
                         "database, but kaohe never writes in WAL mode, so another program "
                         "left it; open the database once with that program (or sqlite3 %s "
                         "'PRAGMA journal_mode=DELETE') so it folds the changes in, or remove "
                         "%s if it does not belong to this file",
                         path, wal, path, wal);
    return ERROR_OK;
}

/* --- normalised SQL ------------------------------------------------------ */

/* True for a byte of a bare word (SQLite's identifier characters). */
static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c >= 0x80;
}

void results_schema_normalise(const char *sql, buffer *out)
{
    const unsigned char *p = (const unsigned char *)sql;
    while (*p != '\0') {
        const unsigned char *start = p;
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
            p++;
            continue;
        }
        if (p[0] == '-' && p[1] == '-') {
            while (*p != '\0' && *p != '\n')
                p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            p += 2;
            while (*p != '\0' && !(p[0] == '*' && p[1] == '/'))
                p++;
            if (*p != '\0')
                p += 2;
            continue;
        }
        if (out->length > 0)
            buffer_append(out, " ", 1);
        if (*p == '\'' || *p == '"' || *p == '`') {
            /* Kept as written: "run_id" is not the bare word run_id to
            ** SQLite everywhere (in a type name it is part of the type). */
            unsigned char quote = *p++;
            while (*p != '\0') {
                if (*p == quote && p[1] == quote) {
                    p += 2;
                } else if (*p++ == quote) {
                    break;
                }
            }
            buffer_append(out, (const char *)start, (size_t)(p - start));
        } else if (*p == '[') {
            while (*p != '\0' && *p != ']')
                p++;
            if (*p != '\0')
                p++;
            buffer_append(out, (const char *)start, (size_t)(p - start));
        } else if (word_byte(*p)) {
            for (; word_byte(*p); p++) {
                char c = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
                buffer_append(out, &c, 1);
            }
        } else {
            buffer_append(out, (const char *)p, 1);
            p++;
        }
    }
}

/* --- the schema kaohe makes ---------------------------------------------- */

/* Creates the contract's tables (results_schema.sql, compiled in) in `db`;
** `path` names it in messages. */
static int create_contract(sqlite3 *db, const char *path, error *e)
{
    int status;
    char *schema = malloc(results_schema_sql_len + 1);
    if (schema == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    memcpy(schema, results_schema_sql, results_schema_sql_len);
    schema[results_schema_sql_len] = '\0';
    status = exec(db, schema, path, e);
    free(schema);
    return status;
}

/* Adds the engine's column extra_run_columns[i] to `runs`. */
static int add_run_column(sqlite3 *db, size_t i, const char *path, error *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER TABLE runs ADD COLUMN %s %s", extra_run_columns[i][0],
             extra_run_columns[i][1]);
    return exec(db, sql, path, e);
}

/* The schema kaohe makes, to compare a file with. */
typedef struct reference {
    sqlite3 *db;                        /* in memory: every table kaohe makes */
    buffer runs[EXTRA_RUN_COLUMNS + 1]; /* runs, normalised, after 0..N added columns */
} reference;

/* Frees what reference_open made (also after it failed part-way). */
static void reference_close(reference *ref)
{
    size_t k;
    sqlite3_close(ref->db);
    for (k = 0; k <= EXTRA_RUN_COLUMNS; k++)
        buffer_free(&ref->runs[k]);
}

/* Copies column 0 of the first row of `sql` (with ?1 = a) into `out` as
** normalised SQL; returns 1 for a row, 0 for none, -1 when it cannot run. */
static int normalised_row(sqlite3 *db, const char *sql, const char *a, buffer *out)
{
    sqlite3_stmt *statement = NULL;
    int found = -1, rc;
    buffer_reset(out);
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, a, -1, SQLITE_STATIC);
        rc = sqlite3_step(statement);
        found = rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? 1 : -1;
        if (found == 1 && sqlite3_column_text(statement, 0) != NULL)
            results_schema_normalise((const char *)sqlite3_column_text(statement, 0), out);
        else if (found == 1 && sqlite3_column_type(statement, 0) != SQLITE_NULL)
            found = -1; /* not NULL, yet no text: out of memory */
    }
    sqlite3_finalize(statement);
    if (buffer_failed(out))
        found = -1;
    return found;
}

/* Builds the schema kaohe makes in memory, and the text of `runs` after
** each of its added columns. Only the machine can make it fail (ERROR_SYSTEM);
** reference_close() whatever it returns. */
static int reference_open(reference *ref, error *e)
{
    static const char runs_sql[] =
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1";
    const char *label = "building the results schema in memory";
    size_t k;
    int status = ERROR_OK;
    memset(ref, 0, sizeof *ref);
    for (k = 0; k <= EXTRA_RUN_COLUMNS; k++)
        buffer_init(&ref->runs[k]);
    if (sqlite3_open_v2(":memory:", &ref->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return error_set(e, ERROR_SYSTEM, "cannot open an in-memory database: out of memory");
    status = create_contract(ref->db, label, e);
    for (k = 0; status == ERROR_OK && k <= EXTRA_RUN_COLUMNS; k++) {
        if (normalised_row(ref->db, runs_sql, "runs", &ref->runs[k]) != 1)
            status = error_set(e, ERROR_SYSTEM, "%s: out of memory", label);
        else if (k < EXTRA_RUN_COLUMNS)
            status = add_run_column(ref->db, k, label, e);
    }
    if (status == ERROR_OK)
        status = exec(ref->db, extra_schema, label, e);
    /* Only the machine can fail here: the statements are the binary's own. */
    if (status != ERROR_OK)
        e->status = ERROR_SYSTEM;
    return status;
}

/* --- comparing a file with it -------------------------------------------- */

/* Appends a name read from the file: control characters escaped, cut after
** NAME_SHOWN bytes at a character boundary. */
static void append_name(buffer *out, const char *name)
{
    size_t i, n = strlen(name);
    size_t shown = n;
    if (shown > NAME_SHOWN) {
        shown = NAME_SHOWN;
        while (shown > 0 && ((unsigned char)name[shown] & 0xC0) == 0x80)
            shown--;
    }
    for (i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            buffer_printf(out, "\\x%02x", c);
        else
            buffer_append(out, name + i, 1);
    }
    if (shown < n)
        buffer_puts(out, "...");
}

/* The findings so far: what the file holds that kaohe did not make. */
typedef struct findings {
    buffer text;  /* "; "-separated, the first FINDINGS_SHOWN */
    size_t count; /* all of them */
} findings;

/* Starts a finding; returns the buffer to describe it in, or NULL when
** enough are shown (the caller still counts it). */
static buffer *finding(findings *f)
{
    f->count++;
    if (f->count > FINDINGS_SHOWN)
        return NULL;
    if (f->text.length > 0)
        buffer_puts(&f->text, "; ");
    return &f->text;
}

/* Column `column` of the current row as text ("" for NULL, or when SQLite
** runs out of memory converting it: only messages use it unchecked). */
static const char *column_text(sqlite3_stmt *statement, int column)
{
    const unsigned char *text = sqlite3_column_text(statement, column);
    return text != NULL ? (const char *)text : "";
}

/* A column as the pragmas show it: "REAL NOT NULL DEFAULT 100". */
static void describe_column(buffer *out, sqlite3_stmt *xinfo)
{
    const unsigned char *type = sqlite3_column_text(xinfo, 1);
    const unsigned char *dflt = sqlite3_column_text(xinfo, 3);
    int hidden = sqlite3_column_int(xinfo, 5);
    buffer_puts(out, type != NULL && type[0] != '\0' ? (const char *)type : "(no type)");
    if (sqlite3_column_int(xinfo, 2))
        buffer_puts(out, " NOT NULL");
    if (dflt != NULL) {
        buffer_puts(out, " DEFAULT ");
        append_name(out, (const char *)dflt);
    }
    if (sqlite3_column_int(xinfo, 4))
        buffer_puts(out, " in the primary key");
    if (hidden == 2 || hidden == 3)
        buffer_puts(out, " GENERATED (computed, not stored as written)");
}

/* True when column `column` of the two rows holds the same text (ASCII case
** aside) or is NULL in both. */
static bool same_text(sqlite3_stmt *a, sqlite3_stmt *b, int column)
{
    const unsigned char *x = sqlite3_column_text(a, column);
    const unsigned char *y = sqlite3_column_text(b, column);
    if (x == NULL || y == NULL)
        return x == y;
    return sqlite3_stricmp((const char *)x, (const char *)y) == 0;
}

/* Says how table `table` of the file differs from kaohe's (whose definitions
** differ as text): the first column that differs, or the constraints. */
static void describe_change(sqlite3 *db, const char *schema, const char *table, sqlite3 *ref,
                            const char *ref_table, buffer *out)
{
    static const char sql[] = "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
                              "FROM pragma_table_xinfo(?1, ?2) ORDER BY cid";
    sqlite3_stmt *mine = NULL, *theirs = NULL;
    bool told = false;
    int column;
    if (sqlite3_prepare_v2(db, sql, -1, &mine, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ref, sql, -1, &theirs, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_text(mine, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(mine, 2, schema, -1, SQLITE_STATIC);
    sqlite3_bind_text(theirs, 1, ref_table, -1, SQLITE_STATIC);
    sqlite3_bind_text(theirs, 2, "main", -1, SQLITE_STATIC);
    for (column = 0; !told; column++) {
        bool a = sqlite3_step(mine) == SQLITE_ROW, b = sqlite3_step(theirs) == SQLITE_ROW;
        const char *name, *collation = NULL, *ref_collation = NULL;
        if (!a && !b)
            break;
        if (a && !b) {
            buffer_puts(out, "an extra column ");
            append_name(out, column_text(mine, 0));
            told = true;
        } else if (!a) {
            /* runs may lack the engine's columns: they are added */
            if (strcmp(ref_table, "runs") == 0 && column >= CONTRACT_RUN_COLUMNS)
                break;
            buffer_printf(out, "no column %s", column_text(theirs, 0));
            told = true;
        } else if (!same_text(mine, theirs, 0) || !same_text(mine, theirs, 1) ||
                   !same_text(mine, theirs, 3) ||
                   sqlite3_column_int(mine, 2) != sqlite3_column_int(theirs, 2) ||
                   sqlite3_column_int(mine, 4) != sqlite3_column_int(theirs, 4) ||
                   sqlite3_column_int(mine, 5) != sqlite3_column_int(theirs, 5)) {
            buffer_puts(out, "column ");
            append_name(out, column_text(mine, 0));
            buffer_puts(out, " is ");
            describe_column(out, mine);
            buffer_printf(out, " where kaohe makes %s ", column_text(theirs, 0));
            describe_column(out, theirs);
            told = true;
        } else {
            name = column_text(mine, 0);
            if (sqlite3_table_column_metadata(db, schema, table, name, NULL, &collation, NULL, NULL,
                                              NULL) == SQLITE_OK &&
                sqlite3_table_column_metadata(ref, "main", ref_table, name, NULL, &ref_collation,
                                              NULL, NULL, NULL) == SQLITE_OK &&
                collation != NULL && ref_collation != NULL &&
                sqlite3_stricmp(collation, ref_collation) != 0) {
                buffer_puts(out, "column ");
                append_name(out, name);
                buffer_puts(out, " has COLLATE ");
                append_name(out, collation);
                buffer_printf(out, " where kaohe makes COLLATE %s", ref_collation);
                told = true;
            }
        }
    }
    if (!told)
        buffer_puts(out, "its constraints or options differ from kaohe's (CHECK, UNIQUE, ON "
                         "CONFLICT, REFERENCES, WITHOUT ROWID, STRICT...)");
done:
    sqlite3_finalize(mine);
    sqlite3_finalize(theirs);
}

/* Index of `name` among the contract tables, or -1. */
static int contract_index(const char *name)
{
    size_t i;
    for (i = 0; i < CONTRACT_TABLES; i++)
        if (sqlite3_stricmp(name, contract_tables[i]) == 0)
            return (int)i;
    return -1;
}

/* Checks one table entry of the file; adds a finding when it is not kaohe's.
** Returns false when it cannot tell (out of memory). */
static bool check_table(sqlite3 *db, const char *schema, reference *ref, const char *name,
                        const char *sql, findings *f, bool *kaohe_table)
{
    static const char ref_sql[] =
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE";
    buffer mine, theirs;
    buffer *out;
    bool ok = true, same = false;
    int known;
    size_t k;
    buffer_init(&mine);
    buffer_init(&theirs);
    *kaohe_table = false;
    if (sql != NULL)
        results_schema_normalise(sql, &mine);
    if (sql != NULL && strncmp(buffer_text(&mine), "create virtual table", 20) == 0) {
        if ((out = finding(f)) != NULL) {
            buffer_puts(out, "virtual table ");
            append_name(out, name);
        }
        goto done;
    }
    known = normalised_row(ref->db, ref_sql, name, &theirs);
    if (known < 0) {
        ok = false;
        goto done;
    }
    if (known == 0) {
        if ((out = finding(f)) != NULL) {
            buffer_puts(out, "table ");
            append_name(out, name);
            if (sqlite3_strnicmp(name, "sqlite_stat", 11) == 0)
                buffer_puts(out, " (statistics written by ANALYZE)");
        }
        goto done;
    }
    if (sqlite3_stricmp(name, "runs") == 0) {
        for (k = 0; k <= EXTRA_RUN_COLUMNS && !same; k++)
            same = strcmp(buffer_text(&mine), buffer_text(&ref->runs[k])) == 0;
    } else {
        same = strcmp(buffer_text(&mine), buffer_text(&theirs)) == 0;
    }
    if (same) {
        *kaohe_table = true;
    } else if ((out = finding(f)) != NULL) {
        char ref_name[64];
        snprintf(ref_name, sizeof ref_name, "%s", name);
        for (k = 0; ref_name[k] != '\0'; k++)
            if (ref_name[k] >= 'A' && ref_name[k] <= 'Z')
                ref_name[k] = (char)(ref_name[k] - 'A' + 'a');
        buffer_puts(out, "table ");
        append_name(out, name);
        buffer_puts(out, " changed: ");
        describe_change(db, schema, name, ref->db, ref_name, out);
    }
done:
    if (buffer_failed(&mine) || buffer_failed(&theirs))
        ok = false;
    buffer_free(&mine);
    buffer_free(&theirs);
    return ok;
}

/* True when the reference has the automatic index `name` of table `table`. */
static int reference_has_index(reference *ref, const char *name, const char *table)
{
    sqlite3_stmt *statement = NULL;
    int found = -1, rc;
    if (sqlite3_prepare_v2(ref->db,
                           "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND sql IS NULL AND "
                           "name = ?1 COLLATE NOCASE AND tbl_name = ?2 COLLATE NOCASE",
                           -1, &statement, NULL) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(statement, 2, table, -1, SQLITE_STATIC);
        rc = sqlite3_step(statement);
        found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(statement);
    return found;
}

int results_schema_check(sqlite3 *db, const char *schema, const char *path, const char *refusal,
                         bool *empty, error *e)
{
    reference ref;
    findings f;
    sqlite3_stmt *statement = NULL;
    bool present[CONTRACT_TABLES] = {false};
    size_t tables = 0, i;
    buffer *out;
    int rc, status;
    *empty = false;
    buffer_init(&f.text);
    f.count = 0;
    status = reference_open(&ref, e);
    if (status != ERROR_OK)
        goto done;
    /* Text is compared and written as UTF-8; another encoding means another
    ** program made the file. */
    if (sqlite3_prepare_v2(db, "PRAGMA encoding", -1, &statement, NULL) != SQLITE_OK ||
        sqlite3_step(statement) != SQLITE_ROW) {
        status = schema_unreadable(db, path, e);
        goto done;
    }
    if (sqlite3_column_type(statement, 0) != SQLITE_NULL &&
        sqlite3_column_text(statement, 0) == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory checking %s", path);
        goto done;
    }
    if (strcmp(column_text(statement, 0), "UTF-8") != 0 && (out = finding(&f)) != NULL)
        buffer_printf(out, "text stored as %s (kaohe writes UTF-8)", column_text(statement, 0));
    sqlite3_finalize(statement);
    statement = NULL;
    status = prepare_schema_query(
        db, schema, path,
        "SELECT type, name, tbl_name, sql FROM \"%w\".sqlite_schema ORDER BY rowid", &statement, e);
    if (status != ERROR_OK)
        goto done;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *type = column_text(statement, 0);
        const char *name = column_text(statement, 1);
        const char *table = column_text(statement, 2);
        const char *text = (const char *)sqlite3_column_text(statement, 3);
        int column;
        /* A value that is not NULL but reads as NULL: SQLite ran out of
        ** memory converting it, which is no finding about the file. */
        for (column = 0; column < 4; column++)
            if (sqlite3_column_type(statement, column) != SQLITE_NULL &&
                sqlite3_column_text(statement, column) == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory checking %s", path);
                goto done;
            }
        if (strcmp(type, "table") == 0) {
            bool kaohe_table;
            tables++;
            if (!check_table(db, schema, &ref, name, text, &f, &kaohe_table)) {
                status = error_set(e, ERROR_SYSTEM, "out of memory checking %s", path);
                goto done;
            }
            if (kaohe_table) {
                int c = contract_index(name);
                if (c >= 0)
                    present[c] = true;
            }
        } else if (strcmp(type, "index") == 0) {
            int known = text == NULL ? reference_has_index(&ref, name, table) : 0;
            if (known < 0) {
                status = error_set(e, ERROR_SYSTEM, "out of memory checking %s", path);
                goto done;
            }
            if (known == 0 && (out = finding(&f)) != NULL) {
                buffer_puts(out, "index ");
                append_name(out, name);
                buffer_puts(out, " on table ");
                append_name(out, table);
            }
        } else if ((out = finding(&f)) != NULL) {
            buffer_puts(out, strcmp(type, "trigger") == 0 || strcmp(type, "view") == 0
                                 ? type
                                 : "schema entry of type ");
            if (strcmp(type, "trigger") != 0 && strcmp(type, "view") != 0)
                append_name(out, type);
            buffer_puts(out, " ");
            append_name(out, name);
            if (strcmp(type, "trigger") == 0) {
                buffer_puts(out, " on table ");
                append_name(out, table);
            }
        }
    }
    if (rc != SQLITE_DONE) {
        status = schema_unreadable(db, path, e);
        goto done;
    }
    sqlite3_finalize(statement);
    statement = NULL;
    /* Two entries on one page: SQLite would write one table's rows into
    ** another's b-tree. Only a hand-edited schema does that. */
    status = prepare_schema_query(db, schema, path,
                                  "SELECT rootpage, group_concat(name, ' and ') FROM "
                                  "\"%w\".sqlite_schema WHERE type IN ('table', 'index') AND "
                                  "rootpage > 0 GROUP BY rootpage HAVING count(*) > 1",
                                  &statement, e);
    if (status != ERROR_OK)
        goto done;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
        if ((out = finding(&f)) != NULL) {
            append_name(out, column_text(statement, 1));
            buffer_printf(out, " share page %lld (the schema was edited by hand)",
                          (long long)sqlite3_column_int64(statement, 0));
        }
    if (rc != SQLITE_DONE) {
        status = schema_unreadable(db, path, e);
        goto done;
    }
    if (buffer_failed(&f.text)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory checking %s", path);
        goto done;
    }
    if (f.count > 0) {
        char more[64] = "";
        if (f.count > FINDINGS_SHOWN)
            snprintf(more, sizeof more, "; and %zu more", f.count - FINDINGS_SHOWN);
        status = error_set(
            e, ERROR_INPUT,
            "%s: %s: it holds what kaohe did not make: %s%s. Triggers, views, indexes and "
            "changed tables act on the rows kaohe writes and reads (they can delete earlier runs "
            "or alter new results), so kaohe uses only results files whose schema is exactly its "
            "own. If you added these for your own queries, keep them in a database of your own "
            "that ATTACHes this one; if you did not, the file was tampered with: keep a copy, "
            "remove them with sqlite3 (DROP TRIGGER, DROP VIEW, DROP INDEX...) and check the "
            "earlier runs with kaohe verify; or give --out a new file",
            path, refusal, buffer_text(&f.text), more);
        goto done;
    }
    if (tables == 0) {
        *empty = true;
        goto done;
    }
    for (i = 0; i < CONTRACT_TABLES; i++)
        if (!present[i]) {
            status = error_set(e, ERROR_INPUT,
                               "%s: %s: a results database without table %s (damaged, or "
                               "another program removed it)",
                               path, refusal, contract_tables[i]);
            goto done;
        }
done:
    sqlite3_finalize(statement);
    buffer_free(&f.text);
    reference_close(&ref);
    return status;
}

/* --- completing the schema ----------------------------------------------- */

int results_schema_complete(sqlite3 *db, const char *path, bool empty, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool has[EXTRA_RUN_COLUMNS] = {false};
    size_t i;
    int rc, status = ERROR_OK;
    if (empty) {
        status = create_contract(db, path, e);
        if (status != ERROR_OK)
            return status;
    }
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('runs')", -1, &statement,
                           NULL) != SQLITE_OK)
        return schema_unreadable(db, path, e);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (sqlite3_column_text(statement, 0) == NULL) {
            sqlite3_finalize(statement);
            return error_set(e, ERROR_SYSTEM, "out of memory reading the schema of %s", path);
        }
        for (i = 0; i < EXTRA_RUN_COLUMNS; i++)
            if (sqlite3_stricmp(column_text(statement, 0), extra_run_columns[i][0]) == 0)
                has[i] = true;
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE)
        return schema_unreadable(db, path, e);
    for (i = 0; status == ERROR_OK && i < EXTRA_RUN_COLUMNS; i++)
        if (!has[i])
            status = add_run_column(db, i, path, e);
    if (status == ERROR_OK)
        status = exec(db, extra_schema, path, e);
    return status;
}
