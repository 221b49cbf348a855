/*
** results_schema.h — the schema of a results database, and trusting one.
**
** A results file is input like any other: it may come from another office,
** a backup or a hand. SQLite runs what a database file holds whenever the
** file is written or read: a trigger deletes earlier runs as a new one is
** inserted, a view or a generated column stands in for a table, a DEFAULT
** or a COLLATE changes what a row says, a `-wal` file beside it replaces
** pages. So every connection to a results file is made with SQLite's
** defensive settings (results_schema_configure), and a file is used only
** when its schema is exactly the one kaohe makes (results_schema_check):
** the contract tables of ../shared/spec/results.sql, the engine's columns
** of `runs` and its own tables, nothing else.
**
** Usage, for a writer:
**
**   results_schema_check_file(path)       before SQLite opens the file
**   sqlite3_open_v2(path) ... results_schema_configure(db)
**   BEGIN IMMEDIATE
**   results_schema_check(db, "main", ...) refuses before anything is written
**   results_schema_complete(db, ...)      creates or completes the schema
**
** A reader (verify) does the same without the last step.
*/
#ifndef KAOHE_RESULTS_SCHEMA_H
#define KAOHE_RESULTS_SCHEMA_H

#include <sqlite3.h>
#include <stdbool.h>

#include "buffer.h"
#include "error.h"

/* Turns on SQLite's defenses for a connection to a results file: defensive
** mode, an untrusted schema, no triggers, no views, no foreign key actions,
** no extensions, no writable schema. Each setting is read back: a SQLite
** that cannot apply one is ERROR_SYSTEM, never a connection without it. */
int results_schema_configure(sqlite3 *db, error *e);

/* Checks, before SQLite opens it, that the existing file `path` can be a
** results database kaohe made: an SQLite database (not empty, not another
** kind of file), in rollback-journal mode (kaohe never uses WAL), with no
** `-wal` file beside it. Returns ERROR_OK or ERROR_INPUT with a message
** saying what was found and what to do (ERROR_SYSTEM when reading fails
** for the machine's reasons). */
int results_schema_check_file(const char *path, error *e);

/* Compares the schema of database `schema` ("main", or an attached name)
** of `db` with the one kaohe makes: every table, index, view and trigger,
** each table's definition (columns, types, defaults, collations,
** constraints, options: comments and spacing aside), pages shared between
** entries and the text encoding. `runs` may lack engine columns added
** later, and the engine's own tables may be missing (an older kaohe made
** the file); results_schema_complete adds them. *empty is set when the file
** has no tables at all (a new database). Returns ERROR_INPUT with a message
** "PATH: REFUSAL: ..." listing what kaohe did not make and what to do;
** nothing is written. */
int results_schema_check(sqlite3 *db, const char *schema, const char *path, const char *refusal,
                         bool *empty, error *e);

/* Creates the schema in an empty database, or adds the engine's columns and
** tables a file from an older kaohe lacks. Only after results_schema_check,
** inside the write transaction. */
int results_schema_complete(sqlite3 *db, const char *path, bool empty, error *e);

/* Appends the tokens of SQL text `sql` to `out`, one space apart: comments
** and white space dropped, bare words in ASCII lower case, quoted
** identifiers and literals as written. Two CREATE statements with the same
** normal text define the same thing. */
void results_schema_normalise(const char *sql, buffer *out);

#endif
