/*
** sqlguard.h — the guard around the SQL that rule files write.
**
** Rule SQL (an indicator's inputs, a bundle, a target, the appraisal) is
** untrusted text. It must give the same result on every run over the same
** snapshot, and its work must be bounded. The guard makes SQLite itself
** enforce both, on every connection that runs rule SQL:
**
**   - an authorizer (sqlite3_set_authorizer) that lets rule SQL SELECT, read
**     the snapshot's tables and call the functions of an allow-list written
**     as data at the top of sqlguard.c; everything else (PRAGMA, ATTACH,
**     writes, random(), CURRENT_DATE, sqlite_version(), sqlite_master,
**     table-valued functions...) is refused while the statement prepares;
**   - date and time functions with modifiers are wrapped: 'localtime' and
**     'utc' (the machine's time zone) are refused when the function runs;
**   - a VFS that wraps the default one: it refuses the clock to rule SQL
**     ('now', date() without a date) and meters its temporary files;
**   - an allocator for SQLite (SQLITE_CONFIG_MALLOC) that meters the memory
**     a rule query adds;
**   - a progress handler counting VM steps against a budget (what the
**     query allocates counts too: work inside SQL functions is no VM step),
**     and a cap on the rows a query returns.
**
** A query stopped by the guard fails like any SQL error (SQLITE_AUTH,
** SQLITE_INTERRUPT, SQLITE_NOMEM, SQLITE_FULL, SQLITE_ERROR); sqlguard_error()
** then says why, naming the rule's file and line, with ERROR_INPUT (the
** rules are wrong), never ERROR_SYSTEM. Real out-of-memory and I/O errors
** keep ERROR_SYSTEM.
**
** Usage:
**
**     sqlguard_init();                     at process start, before SQLite
**     sqlguard_set_limits(&limits);        from the command line
**     rc = sqlguard_prepare(db, sql, rows, &statement);
**     while ((rc = sqlguard_step(statement)) == SQLITE_ROW) ...
**     if (rc != SQLITE_DONE && sqlguard_error(db, rc, file, line, what, e)) ...
**     sqlguard_finalize(statement);        always, even when prepare failed
**
** sqlguard_prepare() puts the guard on a connection the first time it
** prepares rule SQL there, so every connection that runs rule SQL has one
** (eval's query threads, check's bare schema, kaohe test's snapshots...)
** and the others pay nothing; when the guard cannot be set up (out of
** memory, SQLite initialized before sqlguard_init()) it refuses the SQL.
** Only SQL prepared with sqlguard_prepare() is guarded: the engine's own
** queries on the same connection (snapshot checks, task decisions) run as
** before. The guard is armed from sqlguard_prepare() to sqlguard_finalize(),
** on the calling thread; one guarded query at a time per thread.
*/
#ifndef KAOHE_SQLGUARD_H
#define KAOHE_SQLGUARD_H

#include <sqlite3.h>
#include <stdbool.h>

#include "error.h"

/* Defaults of the limits (the command line's --rule-sql-* options). */
#define SQLGUARD_STEPS_PER_ROW     500      /* VM steps per snapshot row, per query */
#define SQLGUARD_STEPS_FLOOR       10000000 /* ... but never fewer than this */
#define SQLGUARD_DEFAULT_MEMORY_MB 256      /* SQLite memory one query may add */
#define SQLGUARD_DEFAULT_TEMP_MB   256      /* temporary files; or twice the snapshot */

/* Limits of one rule query; 0 in a field means its default. */
typedef struct sqlguard_limits {
    long long steps;     /* VM steps: default SQLGUARD_STEPS_PER_ROW per row of the
                            snapshot, at least SQLGUARD_STEPS_FLOOR */
    long long memory_mb; /* SQLite memory the query may add: SQLGUARD_DEFAULT_MEMORY_MB */
    long long temp_mb;   /* temporary files: twice the snapshot file's size, at least
                            SQLGUARD_DEFAULT_TEMP_MB */
} sqlguard_limits;

/* Installs the metering allocator and makes the guard's VFS SQLite's
** default. Call once, before any other SQLite call and before threads
** start. Returns SQLITE_OK, or an SQLite error code when SQLite was already
** initialized (the guard then refuses rule SQL: it cannot meter it). */
int sqlguard_init(void);

/* Sets the limits every guarded query runs with from now on (copied). */
void sqlguard_set_limits(const sqlguard_limits *limits);

/* Puts a guard on `db` (opened after sqlguard_init), unless it has one: the
** authorizer, the progress handler and the date-function wrappers. The
** guard is freed when the connection closes. Returns SQLITE_OK, or an
** SQLite error code when the guard cannot be set up; rule SQL is then
** refused on `db` (a failed guard is not tried again). sqlguard_prepare()
** calls it. */
int sqlguard_attach(sqlite3 *db);

/* Prepares rule SQL on `db` and arms the guard for it. `rows` is the
** number of rows in the snapshot (0 when none: kaohe check's bare schema),
** which scales the default limits. Returns sqlite3_prepare_v2's code, or
** SQLITE_AUTH when the SQL is not a plain SELECT, or SQLITE_MISUSE when
** `db` has no guard; *out is NULL unless SQLITE_OK. */
int sqlguard_prepare(sqlite3 *db, const char *sql, long long rows, sqlite3_stmt **out);

/* sqlite3_step() for a statement from sqlguard_prepare(): also fails
** (SQLITE_ERROR) when the query read the clock or returned more rows than
** the snapshot holds. */
int sqlguard_step(sqlite3_stmt *statement);

/* Finalizes a statement from sqlguard_prepare() (NULL allowed) and disarms
** the guard of this thread. */
void sqlguard_finalize(sqlite3_stmt *statement);

/* After a failed sqlguard_prepare() or sqlguard_step() (code `rc`) on `db`:
** when the guard refused or stopped the query, sets `e` to "rule SQL at
** FILE:LINE (WHAT) ..." saying why and what to do, and returns ERROR_INPUT;
** otherwise returns ERROR_OK and leaves `e` alone (an ordinary SQL error). */
int sqlguard_error(sqlite3 *db, int rc, const char *file, int line, const char *what, error *e);

/* True when rule SQL may call the SQL function `name` (any case). */
bool sqlguard_function_allowed(const char *name);

#endif
