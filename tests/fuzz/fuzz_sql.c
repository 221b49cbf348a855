/*
** tests/fuzz/fuzz_sql.c — libFuzzer harness: rule SQL through the SQL guard.
**
** The input is SQL text, run as rule SQL (sqlguard_prepare() and
** sqlguard_step(), as eval does) on a guarded read-only connection to
** fixtures/small.db with the engine's temporary table, under small limits
** (2 million VM steps, 16 MB of memory, 16 MB of temporary files) so that
** every input ends within a fraction of a second.
**
** Oracles, besides no crash, leak, sanitizer report or hang:
**   - a failure is one the guard explains (ERROR_INPUT, naming the place)
**     or an ordinary SQL error; never ERROR_SYSTEM (there is no memory
**     pressure here but the guard's own limit);
**   - a query that finishes gives the same rows when run again on a second
**     connection: the guard lets nothing that varies between runs through;
**   - the snapshot keeps its bytes and no file appears in the working
**     directory: the guard lets nothing write (ATTACH, VACUUM INTO...).
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz_common.h"
#include "sha256.h"
#include "snapshot.h"
#include "sqlguard.h"

#define PLACE "rule SQL at fuzz.lua:1 (indicator FUZZ)"

static sqlite3 *first_db, *second_db;
static char snapshot_path[4096];
static char *snapshot_sha;

/* A read-only connection to the snapshot, as snapshot_open() makes them. */
static sqlite3 *open_snapshot(void)
{
    sqlite3 *db = NULL;
    error e;
    error_clear(&e);
    if (sqlite3_open_v2(snapshot_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        snapshot_register_functions(db) != SQLITE_OK) {
        fprintf(stderr, "fuzz_sql: cannot open %s\n", snapshot_path);
        abort();
    }
    snapshot_configure_connection(db);
    if (snapshot_create_temp_tables(db, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_sql: %s\n", e.message);
        abort();
    }
    return db;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sqlguard_limits limits = {2000000, 16, 16};
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_sql");
    sqlguard_set_limits(&limits);
    snprintf(snapshot_path, sizeof snapshot_path, "%s/fixtures/small.db", fuzz_root());
    snapshot_sha = sha256_file(snapshot_path);
    if (snapshot_sha == NULL) {
        fprintf(stderr, "fuzz_sql: cannot read %s (run make)\n", snapshot_path);
        abort();
    }
    first_db = open_snapshot();
    second_db = open_snapshot();
    return 0;
}

/* FNV-1a over bytes. */
static void mix(uint64_t *h, const void *data, size_t length)
{
    const unsigned char *p = data;
    size_t i;
    for (i = 0; i < length; i++) {
        *h ^= p[i];
        *h *= 1099511628211ULL;
    }
}

/* Runs `sql` as rule SQL on `db`; returns the final code, the rows' hash in
** *digest, the failure in `e` and in *guarded whether the guard explained
** it. */
static int run(sqlite3 *db, const char *sql, uint64_t *digest, error *e, bool *guarded)
{
    sqlite3_stmt *statement = NULL;
    int rc, i;
    *digest = 14695981039346656037ULL;
    error_clear(e);
    rc = sqlguard_prepare(db, sql, 1000, &statement);
    if (rc == SQLITE_OK) {
        while ((rc = sqlguard_step(statement)) == SQLITE_ROW) {
            for (i = 0; i < sqlite3_column_count(statement); i++) {
                int type = sqlite3_column_type(statement, i);
                mix(digest, &type, sizeof type);
                if (type == SQLITE_INTEGER) {
                    sqlite3_int64 n = sqlite3_column_int64(statement, i);
                    mix(digest, &n, sizeof n);
                } else if (type == SQLITE_FLOAT) {
                    double x = sqlite3_column_double(statement, i);
                    mix(digest, &x, sizeof x);
                } else if (type != SQLITE_NULL) {
                    const void *bytes = sqlite3_column_blob(statement, i);
                    mix(digest, bytes, (size_t)sqlite3_column_bytes(statement, i));
                }
            }
        }
    }
    *guarded = rc != SQLITE_DONE &&
               sqlguard_error(db, rc, "fuzz.lua", 1, "indicator FUZZ", e) != ERROR_OK;
    if (rc != SQLITE_DONE && !*guarded)
        error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s", sqlite3_errmsg(db));
    sqlguard_finalize(statement);
    return rc;
}

/* How many entries the working directory holds. */
static long entries_here(void)
{
    DIR *dir = opendir(".");
    long count = 0;
    if (dir == NULL)
        return -1;
    while (readdir(dir) != NULL)
        count++;
    closedir(dir);
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fuzz_strndup(data, size);
    uint64_t first_digest, second_digest;
    error first, second;
    int first_rc, second_rc;
    bool guarded, second_guarded;
    long entries = entries_here();
    char *sha;
    first_rc = run(first_db, sql, &first_digest, &first, &guarded);
    if (getenv("FUZZ_VERBOSE") != NULL)
        fprintf(stderr, "%d: %s\n", first_rc, first.message);
    FUZZ_CHECK(first_rc == SQLITE_DONE || first.status == ERROR_INPUT,
               "rule SQL failed with status %d: %s", first.status, first.message);
    FUZZ_CHECK(!guarded || strncmp(first.message, PLACE, strlen(PLACE)) == 0,
               "a guard message without the place: %s", first.message);
    if (first_rc == SQLITE_DONE) {
        second_rc = run(second_db, sql, &second_digest, &second, &second_guarded);
        FUZZ_CHECK(second_rc != SQLITE_DONE || second_digest == first_digest,
                   "the same rule SQL gave different rows on a second run");
    }
    FUZZ_CHECK(entries_here() == entries, "rule SQL wrote a file");
    sha = sha256_file(snapshot_path);
    FUZZ_CHECK(sha != NULL && strcmp(sha, snapshot_sha) == 0, "rule SQL changed the snapshot");
    free(sha);
    free(sql);
    return 0;
}
