/*
** tests/fuzz/fuzz_results.c — libFuzzer harness: a results file changed by
** arbitrary SQL, then written to.
**
** A results file holding one run of fixtures/small.db (made once) is copied,
** and the input, as SQL text, runs on the copy through a plain connection
** (no defenses; writable_schema may be turned on by the input itself):
** triggers, views, indexes, changed tables, pragmas, hand-edited schema rows.
** Then results_append() writes the same run again, as `kaohe eval --out`
** does.
**
** Oracles: results_append returns ERROR_OK or ERROR_INPUT with a message
** (never ERROR_SYSTEM: nothing here is the machine's fault). Refused: the
** file keeps its bytes and has no journal beside it. Written: the rows the
** file held before are unchanged, and the new run's rows are exactly the
** rows kaohe computed (the run of the untouched file), read back with
** triggers and views off. Either way the file can steer nothing.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval.h"
#include "fuzz_common.h"
#include "sqlguard.h"
#include "results.h"
#include "results_schema.h"
#include "rules.h"
#include "snapshot.h"

static rules *shipped;
static snapshot *small;
static params ps;
static eval_data loaded;
static eval_result result;
static char base_path[4096], results_path[4096];
static char *base_bytes;
static size_t base_length;
static char *computed; /* digest of the run kaohe computes */

/* A digest of run `run_id`'s rows (without run ids and times), read with
** triggers and views off; NULL when the file cannot be read. */
static char *run_digest(const char *path, long long run_id)
{
    static const char *const queries[] = {
        "SELECT count(*), group_concat(x, ';') FROM (SELECT community_id || ',' || indicator_id "
        "|| ',' || quote(value) || ',' || quote(points) || ',' || quote(max_points) || ',' || "
        "status AS x FROM main.indicator_scores WHERE run_id = ?1 ORDER BY community_id, "
        "indicator_id)",
        "SELECT count(*), group_concat(x, ';') FROM (SELECT community_id || ',' || quote(total) "
        "|| ',' || stars || ',' || rank AS x FROM main.community_scores WHERE run_id = ?1 ORDER "
        "BY community_id)",
        "SELECT count(*), group_concat(x, ';') FROM (SELECT target_id || ',' || scope || ',' || "
        "scope_id || ',' || quote(required) || ',' || quote(actual) || ',' || met AS x FROM "
        "main.target_checks WHERE run_id = ?1 ORDER BY target_id, scope, scope_id)",
        "SELECT count(*), group_concat(x, ';') FROM (SELECT task_id || ',' || decision || ',' || "
        "quote(rule_id) || ',' || reason AS x FROM main.task_decisions WHERE run_id = ?1 ORDER BY "
        "task_id)",
        "SELECT count(*), group_concat(x, ';') FROM (SELECT worker_id || ',' || quote(score) || "
        "',' || quote(rank) || ',' || quote(flag) AS x FROM main.worker_appraisals WHERE run_id = "
        "?1 ORDER BY worker_id)",
    };
    sqlite3 *db = NULL;
    char *digest = NULL;
    size_t i;
    error e;
    char *text = sqlite3_mprintf("");
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        results_schema_configure(db, &e) != ERROR_OK)
        goto done;
    for (i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        sqlite3_stmt *st = NULL;
        char *more;
        if (sqlite3_prepare_v2(db, queries[i], -1, &st, NULL) != SQLITE_OK) {
            more = sqlite3_mprintf("%s|unreadable: %s", text, sqlite3_errmsg(db));
        } else {
            sqlite3_bind_int64(st, 1, run_id);
            if (sqlite3_step(st) == SQLITE_ROW)
                more = sqlite3_mprintf("%s|%lld:%s", text, sqlite3_column_int64(st, 0),
                                       (const char *)sqlite3_column_text(st, 1));
            else
                more = sqlite3_mprintf("%s|unreadable: %s", text, sqlite3_errmsg(db));
        }
        sqlite3_finalize(st);
        sqlite3_free(text);
        text = more;
    }
    digest = strdup(text);
done:
    sqlite3_free(text);
    sqlite3_close(db);
    return digest;
}

static results_run the_run(void)
{
    results_run run;
    memset(&run, 0, sizeof run);
    run.run.rules = shipped;
    run.run.snapshot = small;
    run.run.params = &ps;
    run.run.result = &result;
    run.started_at = "2025-01-01T00:00:00Z";
    run.kind = "eval";
    return run;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rules_options options;
    eval_options eo;
    results_run run;
    char path[4200];
    long long id;
    error e;
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_results");
    memset(&options, 0, sizeof options);
    memset(&eo, 0, sizeof eo);
    options.directory = fuzz_root();
    options.default_root = fuzz_root();
    error_clear(&e);
    snprintf(path, sizeof path, "%s/fixtures/small.db", fuzz_root());
    if (rules_load(&options, &shipped, &e) != ERROR_OK || shipped->problem_count > 0 ||
        snapshot_open(path, &small, &e) != ERROR_OK ||
        params_copy(&ps, &shipped->params, &e) != ERROR_OK ||
        eval_load(shipped, small, &ps, &eo, &loaded, &e) != ERROR_OK ||
        eval_score(&loaded, &ps, &result, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_results: cannot evaluate %s: %s\n", path, e.message);
        abort();
    }
    snprintf(base_path, sizeof base_path, "%s/base.db", fuzz_workdir());
    snprintf(results_path, sizeof results_path, "%s/results.db", fuzz_workdir());
    run = the_run();
    if (results_append(base_path, &run, 1, &id, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_results: cannot write %s: %s\n", base_path, e.message);
        abort();
    }
    base_bytes = fuzz_read_file(base_path, &base_length);
    computed = run_digest(base_path, id);
    if (base_bytes == NULL || computed == NULL)
        abort();
    return 0;
}

static int steps;

/* Progress handler: ends the input's SQL after a few million VM steps. */
static int stop_after(void *count)
{
    return ++*(int *)count > 2000;
}

/* Removes the results file and whatever SQLite may have left beside it. */
static void remove_results(void)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    char path[4200];
    size_t i;
    for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", results_path, suffixes[i]);
        unlink(path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sqlite3 *db = NULL;
    char *sql, *before_run = NULL, *after = NULL, *after_run = NULL, *bytes;
    char journal[4200];
    size_t length;
    long long run_id = 0;
    results_run run;
    error e;
    int status;
    if (size > 4096)
        return 0;
    remove_results();
    fuzz_write_file(results_path, base_bytes, base_length);
    sql = fuzz_strndup(data, size);
    if (sqlite3_open(results_path, &db) == SQLITE_OK) {
        /* Small and fast: a recursive INSERT must not fill the disk. */
        sqlite3_progress_handler(db, 1000, stop_after, &steps);
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
        steps = 0;
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_close(db);
    free(sql);
    /* What the file holds now, and run 1 as it reads without triggers. */
    bytes = fuzz_read_file(results_path, &length);
    if (bytes == NULL)
        return 0; /* the SQL removed nothing: a file it cannot delete; never NULL */
    before_run = run_digest(results_path, 1);
    run = the_run();
    error_clear(&e);
    status = results_append(results_path, &run, 1, &run_id, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "results_append returned %d: %s",
               status, e.message);
    FUZZ_CHECK(e.message[0] != '\0' || status == ERROR_OK, "refused without a message");
    snprintf(journal, sizeof journal, "%s-journal", results_path);
    if (status != ERROR_OK) {
        after = fuzz_read_file(results_path, &length);
        FUZZ_CHECK(after != NULL && memcmp(after, bytes, length) == 0,
                   "a refused write changed the file (%s)", e.message);
        FUZZ_CHECK(access(journal, F_OK) != 0, "a refused write left a journal");
    } else {
        after_run = run_digest(results_path, 1);
        FUZZ_CHECK(before_run != NULL && after_run != NULL && strcmp(before_run, after_run) == 0,
                   "writing run %lld changed run 1", run_id);
        free(after_run);
        after_run = run_digest(results_path, run_id);
        FUZZ_CHECK(after_run != NULL && strcmp(after_run, computed) == 0,
                   "run %lld differs from what kaohe computed", run_id);
    }
    free(before_run);
    free(after);
    free(after_run);
    free(bytes);
    return 0;
}
