/*
 * test_import.c -- unit tests of engine/data/import.c (CSV directory -> snapshot)
 * and of the refusals of engine/output/export.c (results -> .xlsx).
 *
 * Each test writes a few small CSV files into a fresh directory under
 * $TMPDIR, imports them, and checks the status, the "file:line: reason"
 * problems and what was (or was not) written. The contents of the workbooks
 * are checked by tests/e2e/test_import_export.sh, which can unzip them.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "import.h"
#include "snapshot.h"

/* The smallest good region: two communities and the two required keys. */
static const char META[] = "key,value\nas_of,2025-12-31\nregion,海滨市\n";
static const char COMMUNITIES[] = "id,name,district,street,population\n"
                                  "C1,新华社区,海港区,港湾街道,7496\n"
                                  "C2,枫林社区,海港区,港湾街道,6817\n";
static const char WORKERS_HEADER[] = "id,community_id,name,birth_date,hire_date,role,status\n";

/* A scratch directory with its CSV files and the output path. */
typedef struct fixture {
    char dir[256]; /* the CSV files */
    char out[300]; /* dir/../<name>.db: outside dir, so dir holds only CSV */
    import_report report;
    error e;
    int status;
} fixture;

/* Removes a flat directory and its files. */
static void remove_dir(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    char file[600];
    if (dir == NULL)
        return;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof file, "%s/%s", path, entry->d_name);
        unlink(file);
    }
    closedir(dir);
    rmdir(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    char base[256];
    if (f == NULL)
        return -1;
    snprintf(base, sizeof base, "%s/kaohe-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(base) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/csv", base);
    snprintf(f->out, sizeof f->out, "%s/out.db", base);
    if (mkdir(f->dir, 0755) != 0) {
        free(f);
        return -1;
    }
    error_clear(&f->e);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char base[256];
    char *slash;
    import_report_free(&f->report);
    remove_dir(f->dir);
    snprintf(base, sizeof base, "%s", f->dir);
    slash = strrchr(base, '/');
    if (slash != NULL)
        *slash = '\0';
    remove_dir(base);
    free(f);
    return 0;
}

/* Writes `length` bytes (or the whole string when length is 0) to dir/name. */
static void write_file(const fixture *f, const char *name, const char *data, size_t length)
{
    char path[600];
    FILE *stream;
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    stream = fopen(path, "wb");
    assert_non_null(stream);
    if (length == 0)
        length = strlen(data);
    assert_int_equal(fwrite(data, 1, length, stream), length);
    assert_int_equal(fclose(stream), 0);
}

/* Writes the minimal good region. */
static void write_base(const fixture *f)
{
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv", COMMUNITIES, 0);
}

/* Imports f->dir into f->out. */
static int run_import(fixture *f, bool skip_bad)
{
    import_options o;
    memset(&o, 0, sizeof o);
    o.directory = f->dir;
    o.out = f->out;
    o.skip_bad = skip_bad;
    import_report_free(&f->report);
    error_clear(&f->e);
    f->status = import_csv_directory(&o, &f->report, &f->e);
    return f->status;
}

/* Fails with both texts when `needle` is not in `haystack`. */
static void expect_contains(const char *haystack, const char *needle)
{
    if (haystack == NULL || strstr(haystack, needle) == NULL) {
        print_error("expected to find [%s] in:\n%s\n", needle, haystack ? haystack : "(null)");
        fail();
    }
}

/* The problems as text. */
static const char *problems(const fixture *f)
{
    return buffer_text(&f->report.problems);
}

/* The notes and warnings as text (read differently or left out). */
static const char *notes(const fixture *f)
{
    return buffer_text(&f->report.notes);
}

/* The path of dir/name, for messages: "DIR/workers.csv:4:". */
/* "DIR/csv/workers.csv:3)": where a root cause says its first dependent is. */
static const char *first(const fixture *f, const char *name, long line)
{
    static char text[700];
    snprintf(text, sizeof text, "(the first: %s/%s:%ld)", f->dir, name, line);
    return text;
}

static const char *at(const fixture *f, const char *name, long line)
{
    static char text[700];
    if (line > 0)
        snprintf(text, sizeof text, "%s/%s:%ld: ", f->dir, name, line);
    else
        snprintf(text, sizeof text, "%s/%s: ", f->dir, name);
    return text;
}

/* Runs a query returning one text value on the written snapshot; the
** caller frees the result. NULL for SQL NULL. */
static char *query_text(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    char *result = NULL;
    assert_int_equal(sqlite3_open_v2(f->out, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &statement, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    if (sqlite3_column_type(statement, 0) != SQLITE_NULL)
        result = strdup((const char *)sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return result;
}

static long query_count(const fixture *f, const char *sql)
{
    char *text = query_text(f, sql);
    long n;
    assert_non_null(text);
    n = atol(text);
    free(text);
    return n;
}

/* Expects that nothing was written: no output, no temporary beside it. */
static void expect_nothing_written(const fixture *f)
{
    char base[300];
    char *slash;
    DIR *dir;
    struct dirent *entry;
    assert_int_equal(access(f->out, F_OK), -1);
    snprintf(base, sizeof base, "%s", f->out);
    slash = strrchr(base, '/');
    *slash = '\0';
    dir = opendir(base);
    assert_non_null(dir);
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
            strcmp(entry->d_name, "csv") == 0)
            continue;
        print_error("unexpected file left behind: %s\n", entry->d_name);
        fail();
    }
    closedir(dir);
}

/* --- format ----------------------------------------------------------------- */

static void test_minimal_region_imports_and_passes_engine_validation(void **state)
{
    fixture *f = *state;
    snapshot *s = NULL;
    error e;
    write_base(f);
    assert_int_equal(run_import(f, false), ERROR_OK);
    assert_int_equal(f->report.rows_read, 4);
    assert_int_equal(f->report.rows_written, 4);
    assert_int_equal(f->report.rows_skipped, 0);
    assert_string_equal(problems(f), "");
    /* Tables without a file are there, empty. */
    assert_int_equal(query_count(f, "SELECT count(*) FROM workers"), 0);
    assert_int_equal(query_count(f, "SELECT count(*) FROM communities"), 2);
    error_clear(&e);
    assert_int_equal(snapshot_open(f->out, &s, &e), ERROR_OK);
    assert_string_equal(s->as_of, "2025-12-31");
    assert_string_equal(s->region, "海滨市");
    assert_int_equal(s->community_count, 2);
    snapshot_close(s);
}

static void test_quoted_fields_keep_commas_quotes_and_newlines(void **state)
{
    fixture *f = *state;
    char *title;
    write_base(f);
    write_file(f, "tasks.csv",
               "id,community_id,department,title,received_on\n"
               "T1,C1,民政局,\"居民议事, \"\"三会\"\" 制度\n第二行\",2025-03-01\n"
               "T2,C2,\"卫健委\",\"\",2025-03-02\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT); /* T2's empty title is NOT NULL */
    expect_contains(problems(f), at(f, "tasks.csv", 4));
    expect_contains(problems(f), "title (事项名称) is empty");
    write_file(f, "tasks.csv",
               "id,community_id,department,title,received_on\n"
               "T1,C1,民政局,\"居民议事, \"\"三会\"\" 制度\n第二行\",2025-03-01\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_OK);
    title = query_text(f, "SELECT title FROM tasks WHERE id = 'T1'");
    assert_string_equal(title, "居民议事, \"三会\" 制度\n第二行");
    free(title);
}

static void test_crlf_line_ends_are_accepted(void **state)
{
    fixture *f = *state;
    char *name;
    write_file(f, "snapshot_meta.csv", "key,value\r\nas_of,2025-12-31\r\nregion,海滨市\r\n", 0);
    write_file(f, "communities.csv",
               "id,name,district,street\r\nC1,\"新华\r\n社区\",海港区,港湾街道\r\n"
               "C2,枫林社区,海港区,港湾街道",
               0);
    assert_int_equal(run_import(f, false), ERROR_OK);
    name = query_text(f, "SELECT name || '|' || street FROM communities WHERE id = 'C1'");
    assert_string_equal(name, "新华\r\n社区|港湾街道");
    free(name);
    assert_int_equal(query_count(f, "SELECT count(*) FROM communities"), 2);
}

static void test_utf8_bom_is_stripped_from_the_header(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", "\xEF\xBB\xBFkey,value\nas_of,2025-12-31\nregion,海滨市\n",
               0);
    write_file(f, "communities.csv",
               "\xEF\xBB\xBFid,name,district,street\nC1,新华社区,海港区,港湾街道\n", 0);
    assert_int_equal(run_import(f, false), ERROR_OK);
    assert_int_equal(query_count(f, "SELECT count(*) FROM communities WHERE id = 'C1'"), 1);
}

static void test_chinese_headers_are_accepted(void **state)
{
    fixture *f = *state;
    char *row;
    write_file(f, "snapshot_meta.csv", "键,值\nas_of,2025-12-31\nregion,海滨市\n", 0);
    /* Half-width parentheses and the "标题 name" form of kaohe's workbooks. */
    write_file(f, "communities.csv",
               "社区编号,社区名称 name,区县,街道,面积(平方公里),常住人口\n"
               "C1,新华社区,海港区,港湾街道,1.8,7496\n",
               0);
    write_file(f, "workers.csv",
               "工作者编号,所属社区编号,姓名,出生日期,入职日期,岗位,状态,培训学时\n"
               "W1,C1,谭倩,1980-02-29,2010-06-17,secretary,active,82.5\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_OK);
    row = query_text(f, "SELECT c.name || '|' || c.area_km2 || '|' || w.training_hours || '|' || "
                        "typeof(c.population) FROM communities c JOIN workers w "
                        "ON w.community_id = c.id");
    assert_string_equal(row, "新华社区|1.8|82.5|integer");
    free(row);
}

static void test_every_snapshot_column_has_one_chinese_title(void **state)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    error e;
    int columns = 0;
    (void)state;
    error_clear(&e);
    assert_int_equal(snapshot_open_schema(&db, &e), ERROR_OK);
    assert_int_equal(sqlite3_prepare_v2(
                         db,
                         "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p "
                         "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' "
                         "ORDER BY m.name, p.cid",
                         -1, &statement, NULL),
                     SQLITE_OK);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(statement, 0);
        const char *column = (const char *)sqlite3_column_text(statement, 1);
        const char *title = import_column_title(table, column);
        sqlite3_stmt *others = NULL;
        if (title == NULL) {
            print_error("%s.%s has no Chinese title\n", table, column);
            fail();
        }
        /* No two columns of a table share a title. */
        assert_int_equal(
            sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1)", -1, &others, NULL),
            SQLITE_OK);
        sqlite3_bind_text(others, 1, table, -1, SQLITE_STATIC);
        while (sqlite3_step(others) == SQLITE_ROW) {
            const char *other = (const char *)sqlite3_column_text(others, 0);
            if (strcmp(other, column) != 0 && import_column_title(table, other) != NULL)
                assert_string_not_equal(import_column_title(table, other), title);
        }
        sqlite3_finalize(others);
        columns++;
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    assert_true(columns > 60);
    assert_null(import_column_title("workers", "no_such_column"));
    assert_string_equal(import_column_title("communities", "area_km2"), "面积（平方公里）");
}

/* --- row problems ----------------------------------------------------------- */

static void test_impossible_date_is_reported_at_its_physical_line(void **state)
{
    fixture *f = *state;
    buffer text;
    write_base(f);
    buffer_init(&text);
    buffer_puts(&text, WORKERS_HEADER);
    /* Line 2 holds a name over two lines, so the bad row starts on line 4. */
    buffer_puts(&text, "W1,C1,\"谭\n倩\",1980-01-01,2010-06-17,grid,active\n");
    buffer_puts(&text, "W2,C1,毛国丽,1974-01-21,2023-02-30,grid,active\n");
    write_file(f, "workers.csv", buffer_text(&text), 0);
    buffer_free(&text);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "workers.csv", 4));
    expect_contains(problems(f), "workers row 'W2': hire_date (入职日期) '2023-02-30' is not a "
                                 "date YYYY-MM-DD (no such day)");
    /* The error message carries the same line. */
    expect_contains(f->e.message, "workers.csv:4:");
    expect_contains(f->e.message, "1 problem; nothing was written");
    expect_nothing_written(f);
}

static void test_unknown_enum_value_is_reported(void **state)
{
    fixture *f = *state;
    char text[512];
    write_base(f);
    snprintf(text, sizeof text, "%sW1,C1,谭倩,1980-01-01,2010-06-17,directr,active\n",
             WORKERS_HEADER);
    write_file(f, "workers.csv", text, 0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "workers.csv", 2));
    expect_contains(problems(f), "role (岗位) 'directr' is not one of secretary, director, "
                                 "fulltime, grid (did you mean 'director'?)");
}

static void test_bad_integer_is_reported(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv",
               "id,name,district,street,population,households\n"
               "C1,新华社区,海港区,港湾街道,7496,2675.0\n"
               "C2,枫林社区,海港区,港湾街道,6千,2548\n"
               "C3,永宁社区,海港区,港湾街道,-5,1\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 3));
    expect_contains(problems(f), "population (常住人口) '6千' is not a whole number");
    /* A negative population is kept, as the engine keeps it: the indicators
    ** using it become invalid (POLICY.md §1 domains), the import goes on. */
    assert_null(strstr(problems(f), at(f, "communities.csv", 4)));
    /* "2675.0" is a whole number. */
    assert_null(strstr(problems(f), "communities.csv:2:"));
}

static void test_empty_not_null_cell_is_reported(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv",
               "id,name,district,street\nC1,新华社区,海港区,港湾街道\nC2, ,海港区,港湾街道\n"
               ",无编号社区,海港区,港湾街道\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 3));
    expect_contains(problems(f), "communities row 'C2': name (社区名称) is empty (the schema says "
                                 "NOT NULL)");
    expect_contains(problems(f), at(f, "communities.csv", 4));
    expect_contains(problems(f), "id (社区编号) is empty (every row needs one)");
}

static void test_duplicate_id_is_reported_with_the_first_line(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv",
               "id,name,district,street\nC1,新华社区,海港区,港湾街道\nC2,枫林社区,海港区,港湾街道\n"
               "C1,永宁社区,海港区,港湾街道\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 4));
    expect_contains(problems(f), "communities row 'C1': id appears again (first on line 2)");
}

static void test_duplicate_visit_month_is_reported(void **state)
{
    fixture *f = *state;
    char text[512];
    write_base(f);
    snprintf(text, sizeof text, "%sW1,C1,谭倩,1980-01-01,2010-06-17,grid,active\n", WORKERS_HEADER);
    write_file(f, "workers.csv", text, 0);
    write_file(f, "visits.csv",
               "worker_id,month,assigned,visited\nW1,2025-01,10,8\nW1,2025-02,10,9\n"
               "W1,2025-01,12,12\nW1,2025-13,1,1\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "visits.csv", 4));
    expect_contains(problems(f), "visits row 'W1' '2025-01': (worker_id, month) appears again "
                                 "(first on line 2)");
    expect_contains(problems(f), at(f, "visits.csv", 5));
    expect_contains(problems(f), "month (月份) '2025-13' is not a month YYYY-MM");
}

static void test_reference_to_a_missing_community_is_reported(void **state)
{
    fixture *f = *state;
    char text[512];
    write_base(f);
    snprintf(text, sizeof text,
             "%sW1,C1,谭倩,1980-01-01,2010-06-17,grid,active\n"
             "W2,C9,毛国丽,1974-01-21,2011-01-01,grid,active\n"
             "W3,3.71001E+09,石雪欣,1974-01-21,2011-01-01,grid,active\n",
             WORKERS_HEADER);
    write_file(f, "workers.csv", text, 0);
    write_file(f, "facts.csv", "community_id,key,value\nC1,amenity_types,6\nC7,amenity_types,2\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    /* One problem per missing parent, naming the first row that needs it. */
    expect_contains(problems(f), "no communities row 'C9', yet 1 row refers to it (the first: ");
    expect_contains(problems(f), first(f, "workers.csv", 3));
    expect_contains(problems(f), first(f, "workers.csv", 4));
    expect_contains(problems(f), "the spreadsheet turned the id into a number");
    expect_contains(problems(f), "no communities row 'C7'");
    expect_contains(problems(f), first(f, "facts.csv", 3));
}

static void test_row_with_too_many_fields_is_reported(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    /* Trailing empty fields (as spreadsheets write them) are fine. */
    write_file(f, "communities.csv",
               "id,name,district,street,,\nC1,新华社区,海港区,港湾街道,,\n"
               "C2,枫林社区,海港区,港湾街道,1,000\nC3,永宁社区,海港区\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    assert_null(strstr(problems(f), "communities.csv:2:"));
    expect_contains(problems(f), at(f, "communities.csv", 3));
    expect_contains(problems(f), "6 fields where the header has 4");
    expect_contains(problems(f), at(f, "communities.csv", 4));
    expect_contains(problems(f), "3 fields where the header has 4");
}

/* --- file problems ---------------------------------------------------------- */

static void test_gbk_file_is_read_as_gbk_with_a_note(void **state)
{
    fixture *f = *state;
    /* "新华社区" in GBK is D0C2 BBAA C9E7 C7F8. */
    static const char gbk[] = "id,name,district,street\n"
                              "C1,xinhua,haigang,gangwan\n"
                              "C2,\xD0\xC2\xBB\xAA\xC9\xE7\xC7\xF8,haigang,gangwan\n";
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv", gbk, sizeof gbk - 1);
    assert_int_equal(run_import(f, false), ERROR_OK);
    expect_contains(notes(f), "communities.csv: note: read as GB18030/GBK");
    assert_int_equal(f->report.problems.length, 0);
}

static void test_bytes_in_no_known_encoding_are_reported_with_file_and_line(void **state)
{
    fixture *f = *state;
    /* 0xFF is neither UTF-8 nor GB18030. */
    static const char bad[] = "id,name,district,street\n"
                              "C1,xinhua,haigang,gangwan\n"
                              "C2,x\xFFy,haigang,gangwan\n";
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv", bad, sizeof bad - 1);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 3));
    expect_contains(problems(f), "not valid UTF-8 (byte 0xFF in field 2)");
    expect_contains(problems(f), "GBK");
    expect_contains(problems(f), "CSV UTF-8");
    expect_nothing_written(f);
    /* skip_bad does not skip an encoding problem. */
    assert_int_equal(run_import(f, true), ERROR_INPUT);
    expect_nothing_written(f);
}

static void test_utf16_file_is_recognised(void **state)
{
    fixture *f = *state;
    static const char utf16[] = "\xFF\xFEi\0d\0,\0n\0a\0m\0e\0\n\0";
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv", utf16, sizeof utf16 - 1);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 1));
    expect_contains(problems(f), "UTF-16");
}

static void test_unclosed_quote_is_reported_where_it_opens(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(
        f, "communities.csv",
        "id,name,district,street\nC1,新华社区,海港区,港湾街道\nC2,\"枫林社区,海港区,港湾街道\n"
        "C3,永宁社区,海港区,港湾街道\n",
        0);
    assert_int_equal(run_import(f, true), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 3));
    expect_contains(problems(f), "never closed");
}

static void test_a_misspelled_required_column_is_named_as_such(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv", "id,name,distrct,street\nC1,新华社区,海港区,港湾街道\n", 0);
    assert_int_equal(run_import(f, true), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 1));
    expect_contains(problems(f), "no column district (区县) in the header; it is required (column "
                                 "3 'distrct' looks like it, misspelled)");
    expect_nothing_written(f);
}

static void test_a_column_of_the_offices_own_is_ignored_with_one_warning(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv",
               "id,name,备注,district,street,联系电话\nC1,新华社区,新建,海港区,港湾街道,123\n", 0);
    assert_int_equal(run_import(f, false), ERROR_OK);
    expect_contains(notes(f), "communities.csv: warning: not columns of communities, their "
                              "values are not read: '备注', '联系电话'");
    assert_int_equal(f->report.problems.length, 0);
}

static void test_missing_required_column_is_reported(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv", "id;name;district;street\nC1;新华社区;海港区;港湾街道\n", 0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "communities.csv", 1));
    expect_contains(problems(f), "separated by semicolons or tabs, not commas");
    write_file(f, "communities.csv", "id,district,street\nC1,海港区,港湾街道\n", 0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), "no column name (社区名称) in the header; it is required");
}

static void test_unknown_and_missing_files_are_reported(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "worker.csv", WORKERS_HEADER, 0);
    write_file(f, "README.txt", "not a table", 0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(problems(f), at(f, "worker.csv", 0));
    expect_contains(problems(f), "not a table of the snapshot (did you mean workers.csv?)");
    expect_contains(problems(f), at(f, "communities.csv", 0));
    expect_contains(problems(f), "missing (communities.csv and snapshot_meta.csv are required)");
    assert_null(strstr(problems(f), "README"));
    expect_nothing_written(f);
}

static void test_missing_as_of_is_reported(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", "key,value\nas_of,2025-02-30\nregion,海滨市\n", 0);
    write_file(f, "communities.csv", COMMUNITIES, 0);
    assert_int_equal(run_import(f, true), ERROR_INPUT);
    expect_contains(problems(f), at(f, "snapshot_meta.csv", 2));
    expect_contains(problems(f), "as_of '2025-02-30' is not a date YYYY-MM-DD");
    expect_contains(problems(f), "no row with key as_of");
    expect_nothing_written(f);
}

/* --- what is written -------------------------------------------------------- */

static void test_nothing_is_written_when_any_row_is_bad(void **state)
{
    fixture *f = *state;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv",
               "id,name,district,street,population\nC1,新华社区,海港区,港湾街道,1\n"
               "C2,枫林社区,海港区,港湾街道,x\n",
               0);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    assert_int_equal(f->report.rows_read, 4);
    assert_int_equal(f->report.rows_written, 0);
    assert_int_equal(f->report.rows_skipped, 0);
    expect_nothing_written(f);
}

static void test_skip_bad_writes_the_good_rows_and_lists_the_bad_ones(void **state)
{
    fixture *f = *state;
    char text[1024];
    snapshot *s = NULL;
    error e;
    write_file(f, "snapshot_meta.csv", META, 0);
    write_file(f, "communities.csv",
               "id,name,district,street,population\nC1,新华社区,海港区,港湾街道,1\n"
               "C2,枫林社区,海港区,港湾街道,x\nC3,永宁社区,海港区,港湾街道,3\n",
               0);
    /* W2 belongs to the skipped C2, and V2 to W2: both are skipped too. */
    snprintf(text, sizeof text,
             "%sW1,C1,谭倩,1980-01-01,2010-06-17,grid,active\n"
             "W2,C2,毛国丽,1974-01-21,2011-01-01,grid,active\n"
             "W3,C3,石雪欣,1974-01-21,2011-01-01,boss,active\n",
             WORKERS_HEADER);
    write_file(f, "workers.csv", text, 0);
    write_file(f, "visits.csv",
               "worker_id,month,assigned,visited\nW1,2025-01,10,8\nW2,2025-01,5,5\n", 0);
    assert_int_equal(run_import(f, true), ERROR_OK);
    expect_contains(problems(f), at(f, "communities.csv", 3));
    expect_contains(problems(f), "population (常住人口) 'x' is not a whole number");
    expect_contains(problems(f), first(f, "workers.csv", 3));
    expect_contains(problems(f), "communities row 'C2'");
    /* The rows that went with a left-out row: said once, at their parent. */
    expect_contains(problems(f), "communities row 'C2' was left out (line 3), so 1 row referring "
                                 "to it was left out too (the first: ");
    expect_contains(problems(f), at(f, "workers.csv", 4));
    expect_contains(problems(f), "workers row 'W2' was left out (line 3), so 1 row referring to "
                                 "it was left out too (the first: ");
    expect_contains(problems(f), first(f, "visits.csv", 3));
    assert_int_equal(f->report.rows_read, 2 + 3 + 3 + 2);
    assert_int_equal(f->report.rows_skipped, 4);
    assert_int_equal(f->report.rows_written, 2 + 2 + 1 + 1);
    assert_int_equal(query_count(f, "SELECT count(*) FROM communities"), 2);
    assert_int_equal(query_count(f, "SELECT count(*) FROM workers"), 1);
    assert_int_equal(query_count(f, "SELECT count(*) FROM visits"), 1);
    error_clear(&e);
    assert_int_equal(snapshot_open(f->out, &s, &e), ERROR_OK);
    snapshot_close(s);
}

static void test_existing_output_is_refused_and_kept(void **state)
{
    fixture *f = *state;
    FILE *stream;
    char content[32] = {0};
    write_base(f);
    stream = fopen(f->out, "wb");
    assert_non_null(stream);
    fputs("keep me", stream);
    fclose(stream);
    assert_int_equal(run_import(f, false), ERROR_INPUT);
    expect_contains(f->e.message, f->out);
    expect_contains(f->e.message, "exists; refusing to overwrite it");
    stream = fopen(f->out, "rb");
    assert_non_null(stream);
    assert_int_equal(fread(content, 1, sizeof content - 1, stream), 7);
    fclose(stream);
    assert_string_equal(content, "keep me");
    unlink(f->out);
}

static void test_missing_directory_is_reported(void **state)
{
    fixture *f = *state;
    import_options o;
    memset(&o, 0, sizeof o);
    o.directory = "/nonexistent/kaohe-csv";
    o.out = f->out;
    assert_int_equal(import_csv_directory(&o, &f->report, &f->e), ERROR_INPUT);
    expect_contains(f->e.message, "/nonexistent/kaohe-csv: No such file or directory");
}

/* Counts progress calls. */
static void count_progress(void *user, const char *file, long rows)
{
    long *calls = user;
    (void)file;
    (void)rows;
    (*calls)++;
}

static void test_progress_is_reported_once_per_file(void **state)
{
    fixture *f = *state;
    import_options o;
    long calls = 0;
    write_base(f);
    memset(&o, 0, sizeof o);
    o.directory = f->dir;
    o.out = f->out;
    o.progress = count_progress;
    o.user = &calls;
    assert_int_equal(import_csv_directory(&o, &f->report, &f->e), ERROR_OK);
    assert_int_equal(calls, 2);
}

/* --- export refusals -------------------------------------------------------- */

/* A results database with one run and one score, built by hand. */
static void write_results(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, started_at TEXT, as_of TEXT);"
                     "CREATE TABLE community_scores (run_id INTEGER, community_id TEXT, total "
                     "REAL, stars INTEGER, rank INTEGER, PRIMARY KEY (run_id, community_id));"
                     "INSERT INTO runs VALUES (4, '2025-01-01T00:00:00Z', '2025-12-31');"
                     "INSERT INTO community_scores VALUES (4, 'C1', 88.5, 4, 1);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

static void test_export_writes_a_workbook_and_refuses_bad_targets(void **state)
{
    fixture *f = *state;
    char results[700], xlsx[700], text[700];
    char magic[4] = {0};
    FILE *stream;
    snprintf(results, sizeof results, "%s/results.db", f->dir);
    snprintf(xlsx, sizeof xlsx, "%s/out.xlsx", f->dir);
    snprintf(text, sizeof text, "%s/notes.txt", f->dir);
    write_results(results);
    assert_int_equal(export_xlsx(results, 0, xlsx, &f->e), ERROR_OK);
    stream = fopen(xlsx, "rb");
    assert_non_null(stream);
    assert_int_equal(fread(magic, 1, 4, stream), 4);
    fclose(stream);
    assert_memory_equal(magic, "PK\x03\x04", 4);
    /* A workbook may be replaced; the results file and other files not. */
    assert_int_equal(export_xlsx(results, 4, xlsx, &f->e), ERROR_OK);
    assert_int_equal(export_xlsx(results, 4, results, &f->e), ERROR_INPUT);
    expect_contains(f->e.message, "is the results database itself");
    write_file(f, "notes.txt", "keep me", 0);
    assert_int_equal(export_xlsx(results, 4, text, &f->e), ERROR_INPUT);
    expect_contains(f->e.message, "is not an .xlsx workbook");
    assert_int_equal(export_xlsx(results, 9, xlsx, &f->e), ERROR_INPUT);
    expect_contains(f->e.message, "no run 9 (its runs are 4..4)");
    assert_int_equal(export_xlsx(text, 0, xlsx, &f->e), ERROR_INPUT);
    expect_contains(f->e.message, "not an SQLite database");
    assert_string_equal(export_column_title("community_scores", "total"), "总分");
    assert_string_equal(export_column_title("run_communities", "name"), "社区名称");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_minimal_region_imports_and_passes_engine_validation,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_fields_keep_commas_quotes_and_newlines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_crlf_line_ends_are_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_bom_is_stripped_from_the_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chinese_headers_are_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_snapshot_column_has_one_chinese_title, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_impossible_date_is_reported_at_its_physical_line,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_enum_value_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_integer_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_not_null_cell_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_id_is_reported_with_the_first_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_visit_month_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_to_a_missing_community_is_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_row_with_too_many_fields_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gbk_file_is_read_as_gbk_with_a_note, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bytes_in_no_known_encoding_are_reported_with_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf16_file_is_recognised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unclosed_quote_is_reported_where_it_opens, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_misspelled_required_column_is_named_as_such, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_column_of_the_offices_own_is_ignored_with_one_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_required_column_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_missing_files_are_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_as_of_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_is_written_when_any_row_is_bad, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_skip_bad_writes_the_good_rows_and_lists_the_bad_ones,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_output_is_refused_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_is_reported_once_per_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_writes_a_workbook_and_refuses_bad_targets,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
