/*
 * test_sqlguard.c -- cmocka tests of the SQL guard (engine/base/sqlguard.c):
 * what rule SQL may call, read and run, the clock and the time zone, and
 * the limits. Rule SQL is prepared on the bare snapshot schema
 * (snapshot_open_schema()), as `kaohe check` does; the statements the rule
 * DSL can never produce (PRAGMA, ATTACH, VACUUM INTO...) are tried here
 * directly.
 */
#include "unit.h"

#include <stdio.h>
#include <unistd.h>

#include "snapshot.h"
#include "sqlguard.h"

/* The place every message must name. */
#define PLACE "rule SQL at x.lua:7 (indicator T)"

static sqlite3 *open_guarded(void)
{
    sqlite3 *db = NULL;
    error e;
    error_clear(&e);
    assert_int_equal(snapshot_open_schema(&db, &e), ERROR_OK);
    return db;
}

/* Runs `sql` as rule SQL on a snapshot of `rows` rows; returns the final
** code (SQLITE_DONE on success) and the guard's message in `e`. */
static int run_rule_sql(sqlite3 *db, const char *sql, long long rows, error *e)
{
    sqlite3_stmt *statement = NULL;
    int rc;
    error_clear(e);
    rc = sqlguard_prepare(db, sql, rows, &statement);
    if (rc == SQLITE_OK) {
        while ((rc = sqlguard_step(statement)) == SQLITE_ROW)
            ;
    }
    if (rc != SQLITE_DONE)
        sqlguard_error(db, rc, "x.lua", 7, "indicator T", e);
    sqlguard_finalize(statement);
    return rc;
}

/* `sql` is refused or stopped, with exit status 1 and every needle in the
** message, which names the place. */
static void expect_stopped(sqlite3 *db, const char *sql, const char *needle)
{
    error e;
    int rc = run_rule_sql(db, sql, 100, &e);
    if (rc == SQLITE_DONE)
        fail_msg("not refused: %s", sql);
    if (e.status != ERROR_INPUT || strstr(e.message, PLACE) == NULL ||
        strstr(e.message, needle) == NULL)
        fail_msg("%s\n  gave status %d: %s\n  expected '%s'", sql, e.status, e.message, needle);
}

static void expect_allowed(sqlite3 *db, const char *sql)
{
    error e;
    if (run_rule_sql(db, sql, 100, &e) != SQLITE_DONE)
        fail_msg("refused: %s: %s (%s)", sql, e.message, sqlite3_errmsg(db));
}

static void test_functions_the_shipped_rules_use_are_allowed(void **state)
{
    static const char *const used[] = {"add_years", "date_valid", "utf8_bad", "julianday", "substr",
                                       "coalesce",  "count",      "sum",      "total",     "max",
                                       "min",       "COUNT",      "SUM"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof used / sizeof used[0]; i++)
        if (!sqlguard_function_allowed(used[i]))
            fail_msg("%s is not allowed", used[i]);
}

static void test_functions_that_vary_between_runs_are_refused(void **state)
{
    static const char *const varying[] = {"random",
                                          "randomblob",
                                          "current_date",
                                          "current_time",
                                          "current_timestamp",
                                          "changes",
                                          "total_changes",
                                          "last_insert_rowid",
                                          "sqlite_version",
                                          "sqlite_source_id",
                                          "sqlite_compileoption_get",
                                          "load_extension",
                                          "sqlite_offset",
                                          "fts3_tokenizer",
                                          "kaohe_sqlguard",
                                          "RANDOM",
                                          NULL};
    size_t i;
    (void)state;
    for (i = 0; varying[i] != NULL; i++)
        if (sqlguard_function_allowed(varying[i]))
            fail_msg("%s is allowed", varying[i]);
    assert_false(sqlguard_function_allowed(NULL));
}

/* SQLite's own list of its functions agrees with the allow-list: every
** scalar function it does not mark deterministic is refused, and every
** allowed scalar function is marked deterministic. (Aggregates and window
** functions carry no mark: they are deterministic over the same rows.) */
static void test_allow_list_agrees_with_sqlites_determinism_flags(void **state)
{
    sqlite3 *db = open_guarded();
    sqlite3_stmt *statement = NULL;
    int checked = 0;
    (void)state;
    /* The engine's own SQL: the guard is not armed. */
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name, flags FROM pragma_function_list "
                                        "WHERE type = 's' ORDER BY name",
                                        -1, &statement, NULL),
                     SQLITE_OK);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(statement, 0);
        bool deterministic = (sqlite3_column_int(statement, 1) & SQLITE_DETERMINISTIC) != 0;
        if (!deterministic && sqlguard_function_allowed(name))
            fail_msg("%s() is not deterministic but rule SQL may call it", name);
        checked++;
    }
    sqlite3_finalize(statement);
    assert_true(checked > 50);
    sqlite3_close(db);
}

static void test_rule_sql_may_only_select(void **state)
{
    static const char *const statements[][2] = {
        {"PRAGMA cache_size = 1", "runs PRAGMA cache_size"},
        {"PRAGMA temp_store", "runs PRAGMA temp_store"},
        {"ATTACH ':memory:' AS other", "runs ATTACH"},
        {"DETACH temp", "runs DETACH"},
        {"INSERT INTO temp.task_decision VALUES ('t', 'admit', NULL)", "runs INSERT"},
        {"DELETE FROM temp.task_decision", "runs DELETE"},
        {"UPDATE communities SET name = 'x'", "runs UPDATE"},
        {"CREATE TEMP TABLE x (a)", "changes the schema"},
        {"CREATE INDEX i ON workers (name)", "changes the schema"},
        {"DROP TABLE communities", "runs DELETE"},
        {"DROP VIEW IF EXISTS v", "is not a SELECT"}, /* no such view: no action */
        {"BEGIN", "runs a transaction"},
        {"SAVEPOINT s", "runs SAVEPOINT"},
        {"ANALYZE", "changes the schema"},
        {"REINDEX", "runs REINDEX"},
        {"ALTER TABLE communities ADD COLUMN x", "runs ALTER TABLE"},
        {"CREATE VIRTUAL TABLE temp.v USING fts5(x)", "changes the schema"},
        {"VACUUM", "is not a SELECT"},
        {"VACUUM INTO 'sqlguard-vacuum.db'", "is not a SELECT"},
        {"EXPLAIN SELECT 1", "is not a SELECT"},
        {"EXPLAIN QUERY PLAN SELECT 1", "is not a SELECT"},
        {"", "is not a SELECT"},
        {"-- only a comment", "is not a SELECT"},
    };
    sqlite3 *db = open_guarded();
    size_t i;
    (void)state;
    for (i = 0; i < sizeof statements / sizeof statements[0]; i++)
        expect_stopped(db, statements[i][0], statements[i][1]);
    assert_int_equal(access("sqlguard-vacuum.db", F_OK), -1);
    sqlite3_close(db);
}

static void test_rule_sql_reads_only_the_snapshots_tables(void **state)
{
    sqlite3 *db = open_guarded();
    (void)state;
    expect_stopped(db, "SELECT count(*) FROM sqlite_master", "reads sqlite_master");
    expect_stopped(db, "SELECT name FROM sqlite_schema", "reads sqlite_master");
    expect_stopped(db, "SELECT name FROM temp.sqlite_temp_master", "reads sqlite_temp_master");
    expect_stopped(db, "SELECT * FROM pragma_table_info('workers')", "table-valued function");
    expect_stopped(db, "SELECT * FROM pragma_database_list", "table-valued function");
    expect_stopped(db, "SELECT * FROM json_each('[1]')", "table-valued function");
    expect_stopped(db, "SELECT * FROM dbstat", "table-valued function");
    expect_stopped(db, "SELECT * FROM sqlite_stmt", "table-valued function");
    /* Once the engine's own SQL has used a table-valued function, it reads
    ** as a table: refused by name. */
    sqlite3_exec(db, "SELECT * FROM pragma_table_info('workers'); SELECT * FROM json_each('[1]')",
                 NULL, NULL, NULL);
    expect_stopped(db, "SELECT * FROM pragma_table_info('workers')", "reads pragma_table_info");
    expect_stopped(db, "SELECT * FROM json_each('[1]')", "reads json_each");
    expect_allowed(db, "SELECT id, name FROM communities ORDER BY id");
    expect_allowed(db, "SELECT count(*) FROM workers");
    expect_allowed(db, "SELECT task_id FROM temp.task_decision");
    expect_allowed(db, "WITH c AS (SELECT id FROM communities) SELECT count(*) FROM c");
    expect_allowed(db, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < "
                       "10) SELECT count(*) FROM r");
    expect_allowed(db, "SELECT x.id FROM (SELECT id FROM workers) x WHERE x.id > ''");
    sqlite3_close(db);
}

static void test_engine_sql_is_not_guarded(void **state)
{
    sqlite3 *db = open_guarded();
    (void)state;
    expect_stopped(db, "SELECT random()", "calls random()"); /* the guard is there */
    assert_int_equal(
        sqlite3_exec(db, "SELECT random(), date('now'), sqlite_version()", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

static void test_the_clock_is_refused_when_it_is_read(void **state)
{
    sqlite3 *db = open_guarded();
    (void)state;
    expect_stopped(db, "SELECT date('now')", "reads the clock");
    expect_stopped(db, "SELECT julianday('NoW')", "reads the clock");
    expect_stopped(db, "SELECT date()", "reads the clock");
    expect_stopped(db, "SELECT unixepoch()", "reads the clock");
    expect_stopped(db, "SELECT strftime('%Y', 'now')", "reads the clock");
    expect_stopped(db, "SELECT date('now', 'start of year')", "reads the clock (date('now', ...))");
    expect_stopped(db, "SELECT strftime('%s', 'now', '+1 day')", "reads the clock");
    expect_stopped(db, "SELECT CURRENT_DATE", "calls current_date()");
    expect_stopped(db, "SELECT CURRENT_TIME", "calls current_time()");
    expect_stopped(db, "SELECT CURRENT_TIMESTAMP", "calls current_timestamp()");
    /* Per row, from the data, inside an aggregate. */
    expect_stopped(db,
                   "WITH v(x) AS (VALUES ('2024-01-01'), ('now')) SELECT max(julianday(x)) FROM v",
                   "reads the clock");
    sqlite3_close(db);
}

static void test_the_time_zone_is_refused(void **state)
{
    sqlite3 *db = open_guarded();
    (void)state;
    expect_stopped(db, "SELECT datetime('2024-01-01', 'localtime')", "'localtime' in datetime()");
    expect_stopped(db, "SELECT date('2024-01-01', 'UTC')", "'UTC' in date()");
    expect_stopped(db, "SELECT strftime('%H', '2024-01-01', '+1 day', 'LocalTime')",
                   "'LocalTime' in strftime()");
    expect_stopped(db, "SELECT time('12:00', lower('LOCAL' || 'TIME'))", "'localtime' in time()");
    expect_stopped(db, "SELECT unixepoch('2024-01-01', 'utc')", "'utc' in unixepoch()");
    expect_stopped(db, "SELECT julianday('2024-01-01', 'localtime')", "'localtime'");
    sqlite3_close(db);
}

/* The wrappers give exactly SQLite's own answers. */
static void test_date_functions_with_fixed_dates_give_sqlites_answers(void **state)
{
    static const char *const expressions[] = {
        "date('2024-02-29', '+1 year')",
        "date('2023-12-31', 'start of year', '+1 month', '-1 day')",
        "datetime('2024-03-10 12:34:56', '+90 minutes', 'start of day')",
        "time('12:00:00', '+30 seconds')",
        "julianday('2024-01-01', '+0.5 days')",
        "unixepoch('2024-01-01', '+1 day')",
        "strftime('%Y-%W-%j %H:%M', '2024-06-30', 'weekday 1')",
        "strftime('%s', 2460000.5, 'julianday')",
        "date(1700000000, 'unixepoch')",
        "date(NULL, '+1 day')",
        "date('2023-02-30', '+1 day')",
        "date('not a date', '+1 day')",
        "date('2024-01-01', 'nonsense')",
        "julianday('2024-01-01')",
        "strftime('%Y', '2024-05-05')",
    };
    sqlite3 *guarded = open_guarded(), *plain = NULL;
    size_t i;
    (void)state;
    assert_int_equal(sqlite3_open(":memory:", &plain), SQLITE_OK);
    for (i = 0; i < sizeof expressions / sizeof expressions[0]; i++) {
        char sql[256], theirs[128] = "", ours[128] = "";
        sqlite3_stmt *statement = NULL;
        snprintf(sql, sizeof sql, "SELECT quote(%s)", expressions[i]);
        assert_int_equal(sqlite3_prepare_v2(plain, sql, -1, &statement, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
        snprintf(theirs, sizeof theirs, "%s", sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
        assert_int_equal(sqlguard_prepare(guarded, sql, 10, &statement), SQLITE_OK);
        assert_int_equal(sqlguard_step(statement), SQLITE_ROW);
        snprintf(ours, sizeof ours, "%s", sqlite3_column_text(statement, 0));
        sqlguard_finalize(statement);
        if (strcmp(ours, theirs) != 0)
            fail_msg("%s: guarded %s, SQLite %s", expressions[i], ours, theirs);
    }
    sqlite3_close(plain);
    sqlite3_close(guarded);
}

static void test_limits_stop_runaway_queries(void **state)
{
    sqlite3 *db = open_guarded();
    sqlguard_limits limits = {100000, 4, 2};
    (void)state;
    sqlguard_set_limits(&limits);
    expect_stopped(db,
                   "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
                   "SELECT count(*) FROM r",
                   "exceeded the step limit of 100,000 (an endless recursive query?)");
    expect_stopped(db, "SELECT length(zeroblob(5000000) || 'x')",
                   "needed more than 4 MB of memory");
    /* One step each, but 100 µs of work each: what a query allocates
    ** counts as steps (one per 16 bytes). */
    expect_stopped(db,
                   "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 20) "
                   "SELECT count(*) FROM r WHERE printf('%.100000G', i) > ''",
                   "exceeded the step limit of 100,000");
    limits.steps = 1000000000000LL; /* only the temporary files can stop it */
    sqlguard_set_limits(&limits);
    expect_stopped(db,
                   "SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                   "FROM r WHERE i < 90) SELECT i FROM r ORDER BY printf('%.100000d', i))",
                   "needed more than 2 MB of temporary files");
    limits.steps = 100000;
    sqlguard_set_limits(&limits);
    /* The same queries, smaller, pass: the limits are per query. */
    expect_allowed(db, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < "
                       "100) SELECT count(*) FROM r");
    expect_allowed(db, "SELECT length(zeroblob(400000) || 'x')");
    sqlguard_set_limits(NULL);
    sqlite3_close(db);
}

static void test_result_rows_are_bounded_by_the_snapshots_rows(void **state)
{
    sqlite3 *db = open_guarded();
    error e;
    (void)state;
    assert_int_equal(run_rule_sql(db, "VALUES (1), (2), (3)", 3, &e), SQLITE_DONE);
    assert_int_not_equal(run_rule_sql(db, "VALUES (1), (2), (3), (4)", 3, &e), SQLITE_DONE);
    assert_int_equal(e.status, ERROR_INPUT);
    assert_non_null(strstr(e.message, PLACE " returned more than 3 rows"));
    sqlite3_close(db);
}

static void test_any_connection_gets_a_guard_for_rule_sql(void **state)
{
    sqlite3 *db = NULL;
    (void)state;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    expect_stopped(db, "SELECT random()", "calls random()");
    expect_stopped(db, "SELECT date('now')", "reads the clock");
    expect_allowed(db, "SELECT date('2024-01-01', '+1 day')");
    sqlite3_close(db);
}

static void test_a_connection_the_guard_cannot_meter_runs_no_rule_sql(void **state)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    error e;
    (void)state;
    error_clear(&e);
    /* Not through the guard's VFS: its clock and temporary files are not
    ** watched. */
    assert_int_equal(
        sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix"),
        SQLITE_OK);
    assert_int_equal(sqlguard_prepare(db, "SELECT 1", 1, &statement), SQLITE_MISUSE);
    assert_null(statement);
    assert_int_equal(sqlguard_error(db, SQLITE_MISUSE, "x.lua", 7, "indicator T", &e),
                     ERROR_SYSTEM);
    assert_non_null(strstr(e.message, PLACE " cannot run"));
    sqlguard_finalize(statement);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_functions_the_shipped_rules_use_are_allowed),
        cmocka_unit_test(test_functions_that_vary_between_runs_are_refused),
        cmocka_unit_test(test_allow_list_agrees_with_sqlites_determinism_flags),
        cmocka_unit_test(test_rule_sql_may_only_select),
        cmocka_unit_test(test_rule_sql_reads_only_the_snapshots_tables),
        cmocka_unit_test(test_engine_sql_is_not_guarded),
        cmocka_unit_test(test_the_clock_is_refused_when_it_is_read),
        cmocka_unit_test(test_the_time_zone_is_refused),
        cmocka_unit_test(test_date_functions_with_fixed_dates_give_sqlites_answers),
        cmocka_unit_test(test_limits_stop_runaway_queries),
        cmocka_unit_test(test_result_rows_are_bounded_by_the_snapshots_rows),
        cmocka_unit_test(test_any_connection_gets_a_guard_for_rule_sql),
        cmocka_unit_test(test_a_connection_the_guard_cannot_meter_runs_no_rule_sql),
    };
    /* As kaohe's main: before any other SQLite call. */
    if (sqlguard_init() != SQLITE_OK) {
        fprintf(stderr, "cannot set up the SQL guard\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
