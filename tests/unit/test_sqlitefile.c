/*
 * test_sqlitefile.c -- recognising an SQLite database by its header
 * (sqlitefile.h): a database, its journal mode, an empty file, another
 * file, a folder, a FIFO (never waited on) and a missing file.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "sqlitefile.h"

static char directory[4096];

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    (void)state;
    snprintf(directory, sizeof directory, "%s/kaohe-sqlitefile-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    return mkdtemp(directory) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    static const char *const names[] = {"db",     "db-journal", "db-wal",     "db-shm",
                                        "wal.db", "wal.db-wal", "wal.db-shm", "empty",
                                        "text",   "short",      "fifo"};
    char path[8192];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/folder", directory);
    rmdir(path);
    return rmdir(directory);
}

static void make_database(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void write_bytes(const char *path, const void *bytes, size_t length)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, length, f), length);
    assert_int_equal(fclose(f), 0);
}

/* Probes `name` in the folder; returns the status, *info filled. */
static int probe(const char *name, sqlitefile_info *info, error *e)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    error_clear(e);
    return sqlitefile_probe(path, info, e);
}

static void test_database_is_recognised_with_its_journal_mode(void **state)
{
    char path[8192];
    sqlitefile_info info;
    error e;
    (void)state;
    snprintf(path, sizeof path, "%s/db", directory);
    make_database(path, "CREATE TABLE t(x)");
    assert_int_equal(probe("db", &info, &e), ERROR_OK);
    assert_int_equal(info.kind, SQLITEFILE_DATABASE);
    assert_int_equal(info.write_version, 1);
    assert_int_equal(info.read_version, 1);
    assert_true(info.st.st_size > 0);
    snprintf(path, sizeof path, "%s/wal.db", directory);
    make_database(path, "PRAGMA journal_mode=WAL; CREATE TABLE t(x)");
    assert_int_equal(probe("wal.db", &info, &e), ERROR_OK);
    assert_int_equal(info.kind, SQLITEFILE_DATABASE);
    assert_int_equal(info.write_version, 2);
}

static void test_other_files_are_told_apart(void **state)
{
    char path[8192], header[100];
    sqlitefile_info info;
    error e;
    (void)state;
    snprintf(path, sizeof path, "%s/empty", directory);
    write_bytes(path, "", 0);
    assert_int_equal(probe("empty", &info, &e), ERROR_OK);
    assert_int_equal(info.kind, SQLITEFILE_EMPTY);
    snprintf(path, sizeof path, "%s/text", directory);
    write_bytes(path, "id,name\n1,社区\n", strlen("id,name\n1,社区\n"));
    assert_int_equal(probe("text", &info, &e), ERROR_OK);
    assert_int_equal(info.kind, SQLITEFILE_OTHER);
    /* The magic alone, cut before the header ends, is no database. */
    memset(header, 0, sizeof header);
    memcpy(header, "SQLite format 3", 16);
    snprintf(path, sizeof path, "%s/short", directory);
    write_bytes(path, header, 50);
    assert_int_equal(probe("short", &info, &e), ERROR_OK);
    assert_int_equal(info.kind, SQLITEFILE_OTHER);
}

static void test_folder_and_fifo_are_not_regular_and_never_block(void **state)
{
    char path[8192];
    sqlitefile_info info;
    error e;
    (void)state;
    snprintf(path, sizeof path, "%s/folder", directory);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(probe("folder", &info, &e), ERROR_OK);
    assert_int_equal(info.kind, SQLITEFILE_NOT_REGULAR);
    snprintf(path, sizeof path, "%s/fifo", directory);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(probe("fifo", &info, &e), ERROR_OK); /* returns: no writer waited for */
    assert_int_equal(info.kind, SQLITEFILE_NOT_REGULAR);
}

static void test_missing_file_is_an_input_error_naming_it(void **state)
{
    sqlitefile_info info;
    error e;
    (void)state;
    assert_int_equal(probe("nothing-here.db", &info, &e), ERROR_INPUT);
    assert_non_null(strstr(e.message, "nothing-here.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_database_is_recognised_with_its_journal_mode),
        cmocka_unit_test(test_other_files_are_told_apart),
        cmocka_unit_test(test_folder_and_fifo_are_not_regular_and_never_block),
        cmocka_unit_test(test_missing_file_is_an_input_error_naming_it),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
