/*
** snapshot.h — opening and checking a snapshot (../shared/spec/snapshot.sql).
**
** snapshot_open() opens the file read-only and immutable (snapshot_connect)
** and checks that it is SQLite, in UTF-8, with nothing beside it that other
** programs would read and kaohe would not (a -wal holding changes, a hot
** -journal); that every table and column of the canonical schema (compiled
** into the binary) is there, as an ordinary table, stored, with the
** contract's type affinity and byte-by-byte (BINARY) text comparison in its
** columns and indexes; reads as_of and region from snapshot_meta; and
** validates the data the engine relies on: types, finite numbers, dates,
** allowed values, score ranges, NOT NULL columns, references to communities
** and workers, repeated keys, and UTF-8 text without NUL bytes. So the file's
** physical form (collations, declared types, indexes, WAL, encoding) cannot
** change what is read: a snapshot is read as snapshot.sql defines it, or
** refused. Problems are reported together, each naming the table, column and
** row id. Out-of-domain values that POLICY.md turns into an indicator status
** (a negative fact, visited > assigned) are not errors here.
*/
#ifndef KAOHE_SNAPSHOT_H
#define KAOHE_SNAPSHOT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct community {
    char *id;
    char *name;
    char *district;
    char *street;     /* the street's own name */
    char *street_key; /* district + '/' + street: the street scope id */
} community;

typedef struct snapshot {
    char *path;
    char *sha256;     /* of the file's bytes */
    sqlite3 *db;      /* read-only connection */
    char *as_of;      /* YYYY-MM-DD */
    char *year_start; /* YYYY-01-01 */
    int year;         /* assessment year */
    char *region;
    community *communities; /* sorted by id */
    size_t community_count;
    char **districts; /* distinct districts, sorted */
    size_t district_count;
    char **streets; /* distinct street scope ids (district/street), sorted */
    size_t street_count;
    size_t *community_district;       /* [community] index into districts */
    size_t *community_street;         /* [community] index into streets */
    long long rows_read;              /* rows validated, for throughput figures */
    long long table_rows[16];         /* of each table, in snapshot.c\'s order */
    struct snapshot_pending *pending; /* snapshot_open_later(): what is left to check */
} snapshot;

/* The constraints of snapshot.sql's comments that snapshot_open() checks:
** dates, months, allowed values, ranges, booleans and references. Shared
** with the CSV import so both check exactly the same things. */
typedef enum {
    SNAPSHOT_RULE_DATE,
    SNAPSHOT_RULE_MONTH,
    SNAPSHOT_RULE_ENUM,
    SNAPSHOT_RULE_RANGE,
    SNAPSHOT_RULE_BOOLEAN,
    SNAPSHOT_RULE_REFERENCE
} snapshot_rule_kind;

typedef struct snapshot_column_rule {
    const char *table;
    const char *column;
    snapshot_rule_kind kind;
    const char *values; /* ENUM: comma-separated; REFERENCE: "table.column" */
    double low, high;   /* RANGE */
} snapshot_column_rule;

extern const snapshot_column_rule snapshot_column_rules[];
extern const size_t snapshot_column_rule_count;

/* Opens and validates `path`. On success *out owns the snapshot.
** snapshot_open_threads() checks the tables on `threads` threads (0: one per
** core; 1: everything on the calling thread). */
int snapshot_open(const char *path, snapshot **out, error *e);
int snapshot_open_threads(const char *path, int threads, snapshot **out, error *e);
void snapshot_close(snapshot *s);

/* One read per row. snapshot_open_later() checks everything but the rows of
** the tables in `later` (NULL-terminated names; communities and
** snapshot_meta are always checked at once), which the caller reads in its
** own scans: each scan selects snapshot_rows_columns() first, in that
** order, and passes every row to snapshot_rows_check(). Should anything else
** be wrong with the snapshot, every row is checked at once instead, so the
** message is the one snapshot_open() gives. Then snapshot_finish() checks
** the tables no scan completed, waits for the file's hash, and fails with
** snapshot_open()'s message when any row has a problem; it must succeed
** before anything is computed from the snapshot is used. */
int snapshot_open_later(const char *path, int threads, const char *const *later, snapshot **out,
                        error *e);

typedef struct snapshot_rows snapshot_rows;

/* The number of rows of `table` (0 when unknown). */
long long snapshot_table_rows(const snapshot *s, const char *table);

/* True when the rows of `table` are left to the caller. */
bool snapshot_rows_later(const snapshot *s, const char *table);

/* Starts the check of `table`'s rows on `db` (a connection of the thread
** that scans). Fails when they are not left to check or another scan has
** them: the caller then reads the table its usual way. Thread-safe. */
int snapshot_rows_begin(const snapshot *s, sqlite3 *db, const char *table, snapshot_rows **out,
                        error *e);

/* The columns a scan selects first ("\"id\", \"community_id\"..."), and how many. */
const char *snapshot_rows_columns(const snapshot_rows *t);
int snapshot_rows_column_count(const snapshot_rows *t);

/* Checks the row `scan` is on. False when the scan should stop: the table
** has more problems than a message shows (or memory ran out). */
bool snapshot_rows_check(snapshot_rows *t, sqlite3_stmt *scan);

/* Ends a check and frees `t`. `complete`: every row was passed, or
** snapshot_rows_check() said stop; `rc` is the scan's last step. Otherwise
** the table is left for snapshot_finish(). Returns the status of reading the
** table (its problems are kept for snapshot_finish()). */
int snapshot_rows_end(snapshot_rows *t, sqlite3 *db, int rc, bool complete, error *e);

/* The community (index into s->communities) of the worker `worker_id`, -1
** when there is no such worker or it has none; -2 when unknown (the
** snapshot was not opened with snapshot_open_later(), or its workers have
** no community_id column). Valid until snapshot_finish(). Thread-safe. */
long snapshot_rows_worker_community(const snapshot *s, const void *worker_id, size_t length);

/* True when a completed scan found a problem: the run will fail. */
bool snapshot_rows_problems(const snapshot *s);

int snapshot_finish(snapshot *s, error *e);

/* Opens a connection to an empty database holding the canonical schema
** (plus the engine's temporary tables), so rule SQL can be prepared without
** a snapshot (kaohe check). Caller closes it. */
int snapshot_open_schema(sqlite3 **out, error *e);

/* Opens a connection to the snapshot file `path`, read-only and immutable
** (a URI with immutable=1): SQLite reads the file's own bytes, the bytes
** snapshot_open() hashes, and never reads, creates or locks a -wal, -shm or
** -journal file beside it, so a read-only folder is fine and nothing is left
** behind. snapshot_open() refuses a snapshot whose -wal or -journal holds
** content other programs would read. Returns SQLite's result code; *out is
** set even on failure (as sqlite3_open_v2 does) and the caller closes it. */
int snapshot_connect(const char *path, sqlite3 **out);

/* Settings for every read-only connection to a snapshot: defensive mode,
** untrusted schema (no functions from views or triggers). */
void snapshot_configure_connection(sqlite3 *db);

/* Creates the canonical snapshot tables in `db` (an empty database). */
int snapshot_create_schema(sqlite3 *db, error *e);

/* Registers the engine's SQL functions (add_years, ...) on a connection. */
int snapshot_register_functions(sqlite3 *db);

/* Creates the temporary tables the engine fills before indicator queries
** run (task_decision). */
int snapshot_create_temp_tables(sqlite3 *db, error *e);

/* Index of a community by id (binary search), or -1. */
long snapshot_find_community(const snapshot *s, const char *id);

/* Adds `years` to an ISO date; 29 February becomes 28 February when the
** target year is not a leap year (POLICY.md §2). Writes YYYY-MM-DD into
** out[11]; false when `date` is not a valid date. */
int snapshot_add_years(const char *date, int years, char out[11]);

/* True when `text` is a valid YYYY-MM-DD calendar date. */
int snapshot_date_valid(const char *text);

#endif
