/*
 * test_gen.c -- unit tests of engine/data/gen.c, the synthetic snapshot generator:
 * determinism per seed, valid references, values inside the schema's lists
 * and date rules (checked in SQL and by the engine's own snapshot_open()),
 * no overwriting, tiny and odd options, plausible volumes and spreads, and
 * task titles that reach every entry of admission.tsv.
 *
 * Files go to a fresh directory under $TMPDIR (or /tmp), removed at the end.
 * Every generated region is small (at most 200 communities) so the whole
 * file runs in a few seconds.
 */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admission.h"
#include "gen.h"
#include "re.h"
#include "snapshot.h"

/* The temporary directory of this run. */
static char directory[4096];

/* Writes the path of `name` inside the temporary directory into out. */
static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", directory, name);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    (void)state;
    snprintf(directory, sizeof directory, "%s/kaohe-gen-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    return mkdtemp(directory) != NULL ? 0 : -1;
}

/* Removes every file of the temporary directory, then the directory. */
static int teardown(void **state)
{
    DIR *d = opendir(directory);
    struct dirent *entry;
    char path[8192];
    (void)state;
    if (d == NULL)
        return -1;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(directory);
}

/* Number of entries in the temporary directory. */
static int directory_entries(void)
{
    DIR *d = opendir(directory);
    struct dirent *entry;
    int n = 0;
    assert_non_null(d);
    while ((entry = readdir(d)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Generates `communities` communities with `seed` into the temporary
 * directory under `name` (removed first); fails the test on error. */
static void generate(const char *name, long communities, unsigned long seed, const char *as_of,
                     gen_stats *stats, char *path, size_t size)
{
    gen_options options;
    error e;
    int status;
    path_of(path, size, name);
    unlink(path);
    memset(&options, 0, sizeof options);
    options.communities = communities;
    options.seed = seed;
    options.path = path;
    options.as_of = as_of;
    error_clear(&e);
    status = gen_write(&options, stats, &e);
    if (status != ERROR_OK)
        fail_msg("gen_write(%ld, %lu): %s", communities, seed, e.message);
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* The first column of the first row of `sql` as a number. */
static double query_number(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *statement = NULL;
    double value;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    value = sqlite3_column_double(statement, 0);
    sqlite3_finalize(statement);
    return value;
}

static long long query_count(sqlite3 *db, const char *sql)
{
    return (long long)query_number(db, sql);
}

/* Fails with the query when it counts anything but 0. */
static void expect_none(sqlite3 *db, const char *sql)
{
    long long n = query_count(db, sql);
    if (n != 0)
        fail_msg("%lld rows: %s", n, sql);
}

static const char *const TABLES[] = {
    "snapshot_meta", "communities",      "workers",  "organizations", "activities", "visits",
    "postings",      "survey_responses", "requests", "tasks",         "facts",
};
#define TABLE_COUNT (sizeof TABLES / sizeof TABLES[0])

/* Rows of `table` in one file and not in the other, both ways. */
static long long table_difference(sqlite3 *db, const char *table)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM (SELECT * FROM a.%s EXCEPT SELECT * FROM b.%s)) + "
             "(SELECT count(*) FROM (SELECT * FROM b.%s EXCEPT SELECT * FROM a.%s)) + "
             "abs((SELECT count(*) FROM a.%s) - (SELECT count(*) FROM b.%s))",
             table, table, table, table, table, table);
    return query_count(db, sql);
}

/* Opens an in-memory database with files `one` and `two` attached as a, b. */
static sqlite3 *attach_pair(const char *one, const char *two)
{
    sqlite3 *db = NULL;
    char *sql;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    sql = sqlite3_mprintf("ATTACH %Q AS a; ATTACH %Q AS b", one, two);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    return db;
}

static void test_same_seed_gives_identical_content(void **state)
{
    char one[8192], two[8192];
    gen_stats s1, s2;
    sqlite3 *db;
    size_t i;
    (void)state;
    generate("same1.db", 60, 42, NULL, &s1, one, sizeof one);
    generate("same2.db", 60, 42, NULL, &s2, two, sizeof two);
    assert_int_equal(s1.rows, s2.rows);
    db = attach_pair(one, two);
    for (i = 0; i < TABLE_COUNT; i++)
        if (table_difference(db, TABLES[i]) != 0)
            fail_msg("table %s differs between two runs with the same seed", TABLES[i]);
    sqlite3_close(db);
}

static void test_different_seed_gives_different_content(void **state)
{
    char one[8192], two[8192];
    sqlite3 *db;
    (void)state;
    generate("seed1.db", 60, 42, NULL, NULL, one, sizeof one);
    generate("seed2.db", 60, 43, NULL, NULL, two, sizeof two);
    db = attach_pair(one, two);
    assert_true(table_difference(db, "workers") > 0);
    assert_true(table_difference(db, "communities") > 0);
    assert_true(table_difference(db, "facts") > 0);
    sqlite3_close(db);
}

static void test_engine_accepts_the_snapshot(void **state)
{
    char path[8192];
    snapshot *s = NULL;
    error e;
    (void)state;
    generate("accept.db", 150, 7, NULL, NULL, path, sizeof path);
    error_clear(&e);
    if (snapshot_open(path, &s, &e) != ERROR_OK)
        fail_msg("snapshot_open refused the generated file: %s", e.message);
    assert_string_equal(s->as_of, "2025-12-31");
    assert_string_equal(s->region, "生成市");
    assert_int_equal(s->community_count, 150);
    assert_int_equal(s->district_count, 1);   /* about N/200, at least 1 */
    assert_in_range(s->street_count, 10, 15); /* about N/12 */
    snapshot_close(s);
}

static void test_every_reference_is_valid(void **state)
{
    char path[8192];
    sqlite3 *db;
    static const char *const child[] = {
        "workers",          "organizations", "activities", "postings",
        "survey_responses", "requests",      "tasks",      "facts"};
    char sql[512];
    size_t i;
    (void)state;
    generate("refs.db", 120, 11, NULL, NULL, path, sizeof path);
    db = open_db(path);
    for (i = 0; i < sizeof child / sizeof child[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM %s WHERE community_id NOT IN (SELECT id FROM communities)",
                 child[i]);
        expect_none(db, sql);
        if (strcmp(child[i], "facts") != 0) { /* ids unique and prefixed by the community */
            snprintf(sql, sizeof sql, "SELECT count(*) - count(DISTINCT id) FROM %s", child[i]);
            expect_none(db, sql);
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM %s WHERE substr(id, 1, length(community_id) + 1) <> "
                     "community_id || '-'",
                     child[i]);
            expect_none(db, sql);
        }
    }
    expect_none(db, "SELECT count(*) FROM visits WHERE worker_id NOT IN (SELECT id FROM workers)");
    expect_none(db, "SELECT count(*) - count(DISTINCT id) FROM communities");
    expect_none(db, "SELECT count(*) - count(DISTINCT worker_id || month) FROM visits");
    expect_none(db, "SELECT count(*) - count(DISTINCT community_id || key) FROM facts");
    /* Every community has workers, and at most one row per fact key. */
    expect_none(db, "SELECT count(*) FROM communities WHERE id NOT IN (SELECT community_id FROM "
                    "workers)");
    expect_none(db, "SELECT count(*) FROM (SELECT community_id FROM facts GROUP BY community_id "
                    "HAVING count(*) > 15)");
    expect_none(db, "SELECT count(*) FROM facts WHERE key NOT IN ('amenity_types', "
                    "'banned_certificates_issued', 'blight_spots', 'compounds', "
                    "'compounds_managed', 'env_issues', 'env_issues_closed_7d', "
                    "'facilities_ok_ratio', 'plates', 'public_service_items', "
                    "'registered_volunteers', 'service_area_m2', 'service_windows', "
                    "'valid_complaints', 'waste_sort_accuracy')");
    sqlite3_close(db);
}

/* SQL: 1 when x is a real YYYY-MM-DD date (date() normalises 02-30, so
 * comparing with it catches impossible days). */
#define IS_DATE(x)                                                                                 \
    "(" x " GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(" x ") = " x ")"
#define IS_DATE_OR_NULL(x) "(" x " IS NULL OR " IS_DATE(x) ")"

static void test_every_enum_and_date_is_valid(void **state)
{
    char path[8192];
    sqlite3 *db;
    (void)state;
    generate("enums.db", 150, 5, NULL, NULL, path, sizeof path);
    db = open_db(path);
    /* Enumerations and booleans (snapshot.sql, POLICY.md). */
    expect_none(db, "SELECT count(*) FROM workers WHERE role NOT IN ('secretary', 'director', "
                    "'fulltime', 'grid') OR status NOT IN ('active', 'left') OR (education IS NOT "
                    "NULL AND education NOT IN ('postgraduate', 'bachelor', 'college', "
                    "'highschool', 'other')) OR (cert_level IS NOT NULL AND cert_level NOT IN "
                    "('assistant', 'intermediate', 'senior')) OR (left_reason IS NOT NULL AND "
                    "left_reason NOT IN ('eliminated', 'resigned', 'retired', 'transferred'))");
    expect_none(db, "SELECT count(*) FROM organizations WHERE (kind IS NOT NULL AND kind NOT IN "
                    "('culture', 'charity', 'elderly', 'volunteer', 'sports', 'other')) OR "
                    "registered NOT IN (0, 1) OR evaluated NOT IN (0, 1) OR (rating IS NOT NULL "
                    "AND rating NOT IN ('A', 'AA', 'AAA', 'AAAA', 'AAAAA')) OR (evaluated = 1 AND "
                    "registered = 0)");
    expect_none(db, "SELECT count(*) FROM activities WHERE kind NOT IN ('co_building', "
                    "'culture', 'resident', 'consultation', 'volunteer', 'civility')");
    expect_none(db, "SELECT count(*) FROM postings WHERE channel NOT IN ('website', 'wechat', "
                    "'board')");
    expect_none(db, "SELECT count(*) FROM requests WHERE channel IS NOT NULL AND channel NOT IN "
                    "('wish', 'proposal', 'hotline', 'whistle')");
    expect_none(db, "SELECT count(*) FROM survey_responses WHERE satisfied NOT IN (0, 1)");
    expect_none(db, "SELECT count(*) FROM tasks WHERE (funded IS NOT NULL AND funded NOT IN (0, "
                    "1)) OR (staffed IS NOT NULL AND staffed NOT IN (0, 1))");
    /* Storage classes as the schema declares them. */
    expect_none(db, "SELECT count(*) FROM communities WHERE typeof(population) NOT IN "
                    "('integer', 'null') OR typeof(households) NOT IN ('integer', 'null') OR "
                    "typeof(area_km2) NOT IN ('real', 'null')");
    expect_none(db, "SELECT count(*) FROM visits WHERE typeof(assigned) <> 'integer' OR "
                    "typeof(visited) <> 'integer' OR assigned < 0 OR visited < 0");
    /* Dates and months that exist, inside the assessment year where they
     * describe it. */
    expect_none(
        db,
        "SELECT count(*) FROM workers WHERE NOT " IS_DATE("hire_date") " OR NOT " IS_DATE_OR_NULL(
            "birth_date") " OR NOT " IS_DATE_OR_NULL("cert_date") " OR NOT " IS_DATE_OR_NULL("left_"
                                                                                             "dat"
                                                                                             "e"));
    expect_none(db, "SELECT count(*) FROM workers WHERE hire_date > '2025-12-31' OR cert_date > "
                    "'2025-12-31' OR birth_date >= hire_date");
    expect_none(db, "SELECT count(*) FROM workers WHERE (status = 'left') <> (left_date IS NOT "
                    "NULL) OR (status = 'left') <> (left_reason IS NOT NULL) OR left_date NOT "
                    "BETWEEN '2025-01-01' AND '2025-12-31' OR left_date < hire_date");
    expect_none(db, "SELECT count(*) FROM activities WHERE NOT " IS_DATE(
                        "held_on") " OR held_on NOT BETWEEN '2025-01-01' AND '2025-12-31'");
    expect_none(db, "SELECT count(*) FROM postings WHERE NOT " IS_DATE(
                        "posted_on") " OR posted_on > '2025-12-31'");
    expect_none(
        db,
        "SELECT count(*) FROM requests WHERE NOT " IS_DATE(
            "received_on") " OR NOT " IS_DATE_OR_NULL("resolved_on") " OR resolved_on < "
                                                                     "received_on OR resolved_on > "
                                                                     "'2025-12-31'");
    expect_none(db, "SELECT count(*) FROM tasks WHERE NOT " IS_DATE(
                        "received_on") " OR received_on NOT BETWEEN '2025-01-01' AND '2025-12-31'");
    expect_none(db, "SELECT count(*) FROM visits WHERE month NOT GLOB "
                    "'[0-9][0-9][0-9][0-9]-[0-9][0-9]' OR date(month || '-01') IS NOT month || "
                    "'-01' OR month NOT BETWEEN '2025-01' AND '2025-12'");
    /* Ranges the engine enforces. */
    expect_none(db, "SELECT count(*) FROM workers WHERE score_civil NOT BETWEEN 0 AND 100 OR "
                    "score_community NOT BETWEEN 0 AND 100 OR score_residents NOT BETWEEN 0 AND "
                    "100 OR training_hours NOT BETWEEN 0 AND 8784");
    expect_none(db, "SELECT count(*) FROM survey_responses WHERE score NOT BETWEEN 0 AND 100");
    expect_none(db, "SELECT count(*) FROM communities WHERE population < 0 OR households < 0");
    /* Text: non-empty names, valid UTF-8 (the engine checks it on open). */
    expect_none(db, "SELECT count(*) FROM communities WHERE name = '' OR district = '' OR "
                    "street = ''");
    sqlite3_close(db);
}

static void test_refuses_an_existing_output_path(void **state)
{
    char path[8192], text[16] = {0};
    gen_options options;
    error e;
    FILE *f;
    int before;
    (void)state;
    path_of(path, sizeof path, "existing.db");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
    before = directory_entries();
    memset(&options, 0, sizeof options);
    options.communities = 3;
    options.seed = 1;
    options.path = path;
    error_clear(&e);
    assert_int_equal(gen_write(&options, NULL, &e), ERROR_INPUT); /* as every publisher */
    assert_non_null(strstr(e.message, "exists"));
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "keep");             /* untouched */
    assert_int_equal(directory_entries(), before); /* no temporary left behind */
    unlink(path);
}

static void test_bad_options_are_refused_and_leave_nothing(void **state)
{
    char path[8192];
    gen_options options;
    error e;
    struct stat st;
    int before = directory_entries();
    (void)state;
    path_of(path, sizeof path, "bad.db");
    memset(&options, 0, sizeof options);
    options.seed = 1;
    options.path = path;
    options.communities = 0;
    error_clear(&e);
    assert_int_equal(gen_write(&options, NULL, &e), ERROR_USAGE);
    options.communities = 5;
    options.as_of = "2025-02-30";
    assert_int_equal(gen_write(&options, NULL, &e), ERROR_USAGE);
    assert_non_null(strstr(e.message, "2025-02-30"));
    options.as_of = NULL;
    options.path = "/nonexistent-directory-for-kaohe/x.db";
    assert_int_equal(gen_write(&options, NULL, &e),
                     ERROR_INPUT); /* the user's path, not the machine */
    assert_int_equal(gen_write(NULL, NULL, &e), ERROR_USAGE);
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(directory_entries(), before);
}

static void test_one_community_works(void **state)
{
    char path[8192];
    gen_stats stats;
    snapshot *s = NULL;
    sqlite3 *db;
    error e;
    (void)state;
    generate("one.db", 1, 99, NULL, &stats, path, sizeof path);
    assert_int_equal(stats.rows_per_table[GEN_COMMUNITIES], 1);
    assert_int_equal(stats.rows_per_table[GEN_SNAPSHOT_META], 5);
    assert_true(stats.rows_per_table[GEN_WORKERS] >= 4);
    assert_true(stats.rows_per_table[GEN_VISITS] > 0);
    assert_in_range(stats.rows_per_table[GEN_FACTS], 10, 15);
    error_clear(&e);
    if (snapshot_open(path, &s, &e) != ERROR_OK)
        fail_msg("%s", e.message);
    assert_int_equal(s->community_count, 1);
    assert_int_equal(s->street_count, 1);
    snapshot_close(s);
    db = open_db(path);
    assert_int_equal(query_count(db, "SELECT count(*) FROM snapshot_meta WHERE (key, value) IN "
                                     "(VALUES ('as_of', '2025-12-31'), ('region', '生成市'), "
                                     "('source', 'kaohe gen'), ('seed', '99'), "
                                     "('communities', '1'))"),
                     5);
    sqlite3_close(db);
}

static void test_row_counts_are_plausible(void **state)
{
    char path[8192];
    gen_stats stats;
    sqlite3 *db;
    long long total = 0;
    double n = 200.0;
    int i;
    (void)state;
    generate("counts.db", 200, 2025, NULL, &stats, path, sizeof path);
    for (i = 0; i < GEN_TABLES; i++)
        total += stats.rows_per_table[i];
    assert_int_equal(total, stats.rows);
    assert_true(stats.seconds >= 0.0);
    assert_in_range(stats.rows / 200, 400, 600); /* about 500 rows per community */
    assert_in_range(stats.rows_per_table[GEN_WORKERS] / n, 10, 25);
    assert_in_range(stats.rows_per_table[GEN_ORGANIZATIONS] / n, 5, 15);
    assert_in_range(stats.rows_per_table[GEN_ACTIVITIES] / n, 55, 95);
    assert_in_range(stats.rows_per_table[GEN_POSTINGS] / n, 30, 80);
    assert_in_range(stats.rows_per_table[GEN_SURVEY_RESPONSES] / n, 30, 100);
    assert_in_range(stats.rows_per_table[GEN_REQUESTS] / n, 20, 60);
    assert_in_range(stats.rows_per_table[GEN_TASKS] / n, 5, 15);
    assert_in_range(stats.rows_per_table[GEN_FACTS] / n, 14, 15);
    db = open_db(path);
    /* The counts in the file are the counts reported. */
    assert_int_equal(query_count(db, "SELECT count(*) FROM visits"),
                     stats.rows_per_table[GEN_VISITS]);
    /* One visits row per worker and month on the staff: at most 12. */
    expect_none(db, "SELECT count(*) FROM (SELECT worker_id FROM visits GROUP BY worker_id "
                    "HAVING count(*) > 12)");
    assert_true(query_number(db, "SELECT count(*) * 1.0 / (SELECT count(*) FROM workers) FROM "
                                 "visits") > 10.0);
    /* Some workers left in the year, some of them eliminated (末位淘汰). */
    assert_true(query_count(db, "SELECT count(*) FROM workers WHERE status = 'left'") > 20);
    assert_true(query_count(db, "SELECT count(*) FROM workers WHERE left_reason = "
                                "'eliminated'") > 5);
    /* Staff about 17 per 10,000 residents, population 4,000 to 15,000. */
    assert_in_range(query_number(db, "SELECT 10000.0 * (SELECT count(*) FROM workers WHERE "
                                     "status = 'active') / sum(population) FROM communities"),
                    12, 20);
    expect_none(db, "SELECT count(*) FROM communities WHERE population NOT BETWEEN 4000 AND "
                    "15000 AND population <> 0");
    /* Streets: about N/12, their names unique within the district, and the
     * layout of streets in districts. */
    assert_in_range(query_count(db, "SELECT count(DISTINCT district || '/' || street) FROM "
                                    "communities"),
                    14, 20);
    assert_int_equal(query_count(db, "SELECT count(DISTINCT district) FROM communities"), 1);
    sqlite3_close(db);
}

static void test_gaps_and_out_of_domain_values_occur(void **state)
{
    char path[8192];
    sqlite3 *db;
    (void)state;
    generate("gaps.db", 200, 2025, NULL, NULL, path, sizeof path);
    db = open_db(path);
    /* Missing data at realistic rates. */
    assert_in_range(query_count(db, "SELECT count(*) FROM facts WHERE value IS NULL"), 10, 100);
    assert_in_range(query_count(db, "SELECT 200 * 15 - count(*) FROM facts"), 5, 60);
    assert_in_range(query_count(db, "SELECT count(*) FROM (SELECT community_id FROM "
                                    "survey_responses GROUP BY community_id HAVING count(*) < "
                                    "30)"),
                    1, 15);
    assert_true(query_count(db, "SELECT count(*) FROM workers WHERE training_hours IS NULL") > 0);
    assert_true(query_count(db, "SELECT count(*) FROM workers WHERE education IS NULL") > 0);
    assert_true(query_count(db, "SELECT count(*) FROM workers WHERE score_civil IS NULL OR "
                                "score_community IS NULL OR score_residents IS NULL") > 0);
    assert_true(query_count(db, "SELECT count(*) FROM activities WHERE participants IS NULL") > 0);
    /* A few facts outside their POLICY.md domain, so 'invalid' occurs. */
    assert_in_range(query_count(db, "SELECT count(*) FROM facts WHERE value < 0 OR (key GLOB "
                                    "'*_ratio' OR key GLOB '*_accuracy') AND value > 1 OR key = "
                                    "'amenity_types' AND value > 8"),
                    1, 30);
    /* Spreads: indicator inputs below, inside and above their ranges. */
    assert_true(query_count(db, "SELECT count(*) FROM facts WHERE key = 'plates' AND value > 6") >
                0);
    assert_true(query_count(db, "SELECT count(*) FROM facts WHERE key = 'plates' AND value <= "
                                "2") > 0);
    assert_true(query_count(db, "SELECT count(*) FROM (SELECT community_id, avg(satisfied) r "
                                "FROM survey_responses GROUP BY 1) WHERE r < 0.75") > 0);
    assert_true(query_count(db, "SELECT count(*) FROM (SELECT community_id, avg(satisfied) r "
                                "FROM survey_responses GROUP BY 1) WHERE r > 0.95") > 0);
    sqlite3_close(db);
}

static void test_other_as_of_keeps_dates_before_it(void **state)
{
    char path[8192];
    snapshot *s = NULL;
    sqlite3 *db;
    error e;
    (void)state;
    generate("mid.db", 40, 3, "2024-02-29", NULL, path, sizeof path);
    error_clear(&e);
    if (snapshot_open(path, &s, &e) != ERROR_OK)
        fail_msg("%s", e.message);
    snapshot_close(s);
    db = open_db(path);
    expect_none(db, "SELECT count(*) FROM visits WHERE month NOT IN ('2024-01', '2024-02')");
    expect_none(db, "SELECT count(*) FROM activities WHERE held_on NOT BETWEEN '2024-01-01' AND "
                    "'2024-02-29'");
    expect_none(db, "SELECT count(*) FROM workers WHERE hire_date > '2024-02-29' OR left_date > "
                    "'2024-02-29' OR cert_date > '2024-02-29'");
    expect_none(db, "SELECT count(*) FROM requests WHERE resolved_on > '2024-02-29'");
    assert_true(query_count(db, "SELECT count(*) FROM postings WHERE posted_on >= '2024-01-01'") >
                0);
    sqlite3_close(db);
}

/* Records the calls of the progress callback. */
typedef struct progress_log {
    long calls, last_done, last_total;
    int decreasing;
} progress_log;

static void record_progress(void *user, long done, long total)
{
    progress_log *log = user;
    if (done < log->last_done)
        log->decreasing = 1;
    log->calls++;
    log->last_done = done;
    log->last_total = total;
}

static void test_progress_is_reported_about_every_percent(void **state)
{
    char path[8192];
    gen_options options;
    progress_log log = {0, 0, 0, 0};
    error e;
    (void)state;
    path_of(path, sizeof path, "progress.db");
    memset(&options, 0, sizeof options);
    options.communities = 200;
    options.seed = 4;
    options.path = path;
    options.progress = record_progress;
    options.user = &log;
    error_clear(&e);
    assert_int_equal(gen_write(&options, NULL, &e), ERROR_OK);
    assert_in_range(log.calls, 90, 110);
    assert_int_equal(log.last_done, 200);
    assert_int_equal(log.last_total, 200);
    assert_false(log.decreasing);
    unlink(path);
}

/* admission.tsv, parsed: ids and compiled patterns. */
typedef struct tsv_entries {
    admission_entry entries[64];
    char *strings[64][3]; /* id, reason, kind text */
    re_pattern *patterns[64][2];
    size_t count;
} tsv_entries;

/* Loads ../shared/spec/admission.tsv (or $KAOHE_ADMISSION_TSV); false when
 * the file is absent. */
static bool load_admission(tsv_entries *t)
{
    const char *path = getenv("KAOHE_ADMISSION_TSV");
    char line[4096];
    FILE *f;
    int lineno = 0;
    memset(t, 0, sizeof *t);
    f = fopen(path != NULL ? path : "../shared/spec/admission.tsv", "r");
    if (f == NULL)
        return false;
    while (fgets(line, sizeof line, f) != NULL && t->count < 64) {
        char *field[6], *p = line;
        char message[RE_ERROR_SIZE];
        admission_entry *entry = &t->entries[t->count];
        int k;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno++ == 0 || line[0] == '\0')
            continue;
        for (k = 0; k < 6; k++) {
            field[k] = p;
            p = p != NULL ? strchr(p, '\t') : NULL;
            if (p != NULL)
                *p++ = '\0';
        }
        assert_non_null(field[5]);
        t->strings[t->count][0] = strdup(field[0]);
        t->strings[t->count][1] = strdup(field[5]);
        entry->id = t->strings[t->count][0];
        entry->reason = t->strings[t->count][1];
        assert_int_equal(admission_list_parse(field[1], &entry->list), 0);
        assert_int_equal(admission_kind_parse(field[2], &entry->kind), 0);
        if (re_compile(field[3], strlen(field[3]), &t->patterns[t->count][0], message,
                       sizeof message) != 0)
            fail_msg("%s: %s", field[0], message);
        entry->pattern = t->patterns[t->count][0];
        if (field[4][0] != '\0') {
            assert_int_equal(re_compile(field[4], strlen(field[4]), &t->patterns[t->count][1],
                                        message, sizeof message),
                             0);
            entry->department = t->patterns[t->count][1];
        }
        t->count++;
    }
    fclose(f);
    return true;
}

static void free_admission(tsv_entries *t)
{
    size_t i;
    for (i = 0; i < t->count; i++) {
        free(t->strings[i][0]);
        free(t->strings[i][1]);
        re_free(t->patterns[i][0]);
        re_free(t->patterns[i][1]);
    }
}

static void test_tasks_reach_every_admission_entry(void **state)
{
    static const admission_messages messages = {"unfunded",   "unstaffed", "no approval",
                                                "not listed", "limit",     "admitted"};
    char path[8192];
    tsv_entries *t = calloc(1, sizeof *t);
    long decided[64][3];
    long unmatched = 0, statistics_assist = 0;
    re_matcher *matcher = NULL;
    sqlite3 *db;
    sqlite3_stmt *statement = NULL;
    size_t i;
    (void)state;
    assert_non_null(t);
    if (!load_admission(t)) {
        free(t);
        print_message("../shared/spec/admission.tsv not found (run from the repository root or "
                      "set KAOHE_ADMISSION_TSV); skipped\n");
        skip();
    }
    memset(decided, 0, sizeof decided);
    generate("tasks.db", 60, 8, NULL, NULL, path, sizeof path);
    db = open_db(path);
    matcher = re_matcher_new(NULL);
    assert_non_null(matcher);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT title, detail, department, approval_ref, "
                                        "ifnull(funded, -1), ifnull(staffed, -1) FROM tasks "
                                        "ORDER BY id",
                                        -1, &statement, NULL),
                     SQLITE_OK);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        admission_task task;
        admission_decision d;
        memset(&task, 0, sizeof task);
        task.title = (const char *)sqlite3_column_text(statement, 0);
        task.title_length = strlen(task.title);
        task.detail = (const char *)sqlite3_column_text(statement, 1);
        task.detail_length = task.detail != NULL ? strlen(task.detail) : 0;
        task.department = (const char *)sqlite3_column_text(statement, 2);
        task.department_length = strlen(task.department);
        task.approval_ref = (const char *)sqlite3_column_text(statement, 3);
        task.funded = sqlite3_column_int(statement, 4);
        task.staffed = sqlite3_column_int(statement, 5);
        assert_int_equal(admission_decide(matcher, t->entries, t->count, &messages, &task, &d), 0);
        assert_false(d.indeterminate);
        if (d.entry_index < 0) {
            unmatched++;
            continue;
        }
        decided[d.entry_index][d.decision]++;
        if (strcmp(t->entries[d.entry_index].id, "X08") == 0)
            statistics_assist++;
    }
    sqlite3_finalize(statement);
    for (i = 0; i < t->count; i++) {
        long sum = decided[i][ADMISSION_ADMIT] + decided[i][ADMISSION_REJECT] +
                   decided[i][ADMISSION_REVIEW];
        if (sum == 0)
            fail_msg("no task is decided by admission entry %s", t->entries[i].id);
        if (t->entries[i].list == ADMISSION_ALLOW && t->entries[i].kind == ADMISSION_ASSIST &&
            (decided[i][ADMISSION_ADMIT] == 0 || decided[i][ADMISSION_REJECT] == 0))
            fail_msg("assistance entry %s should both admit and reject", t->entries[i].id);
    }
    assert_true(unmatched > 0); /* titles on no list */
    assert_true(statistics_assist > 0);
    /* Assistance without approval goes to review somewhere. */
    {
        long review = 0;
        for (i = 0; i < t->count; i++)
            if (t->entries[i].kind == ADMISSION_ASSIST)
                review += decided[i][ADMISSION_REVIEW];
        assert_true(review > 0);
    }
    re_matcher_free(matcher);
    sqlite3_close(db);
    free_admission(t);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_identical_content),
        cmocka_unit_test(test_different_seed_gives_different_content),
        cmocka_unit_test(test_engine_accepts_the_snapshot),
        cmocka_unit_test(test_every_reference_is_valid),
        cmocka_unit_test(test_every_enum_and_date_is_valid),
        cmocka_unit_test(test_refuses_an_existing_output_path),
        cmocka_unit_test(test_bad_options_are_refused_and_leave_nothing),
        cmocka_unit_test(test_one_community_works),
        cmocka_unit_test(test_row_counts_are_plausible),
        cmocka_unit_test(test_gaps_and_out_of_domain_values_occur),
        cmocka_unit_test(test_other_as_of_keeps_dates_before_it),
        cmocka_unit_test(test_progress_is_reported_about_every_percent),
        cmocka_unit_test(test_tasks_reach_every_admission_entry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
