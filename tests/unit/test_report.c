/*
 * test_report.c -- unit tests of engine/output/report.c, the HTML report, on
 * a small hand-made results database (three communities, three categories,
 * two runs): the page is self-contained and escapes every text, the default
 * run is the latest 'eval' one, the trajectory of a schedule target
 * interpolates its milestones (flat before the first and after the last),
 * the near-threshold list follows the margin, the report card sorts
 * indicators by points lost, errors name the file, run or community and
 * leave the output untouched, and the same database gives byte-identical
 * output. Every name, threshold and target comes from the file's tables of
 * the run's rules (the ids here are not the shipped ones); a file without
 * those tables (an older kaohe) still gives a report that says what is
 * missing.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "buffer.h"
#include "error.h"
#include "report.h"

/* The tables of a kaohe results database (contract + engine's own). */
static const char schema_sql[] =
    "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT "
    "NOT NULL, engine_version TEXT NOT NULL, snapshot_sha256 TEXT NOT NULL, rules_sha256 TEXT NOT "
    "NULL, as_of TEXT NOT NULL, params TEXT NOT NULL, region TEXT, snapshot_path TEXT, rules_root "
    "TEXT, kind TEXT, scenario TEXT, baseline_run_id INTEGER, communities INTEGER);"
    "CREATE TABLE indicator_scores (run_id INTEGER NOT NULL, community_id TEXT NOT NULL, "
    "indicator_id TEXT NOT NULL, value REAL, points REAL NOT NULL, max_points REAL NOT NULL, "
    "status TEXT NOT NULL, PRIMARY KEY (run_id, community_id, indicator_id));"
    "CREATE TABLE community_scores (run_id INTEGER NOT NULL, community_id TEXT NOT NULL, total "
    "REAL NOT NULL, stars INTEGER NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (run_id, "
    "community_id));"
    "CREATE TABLE target_checks (run_id INTEGER NOT NULL, target_id TEXT NOT NULL, scope TEXT NOT "
    "NULL, scope_id TEXT NOT NULL, required REAL NOT NULL, actual REAL, met INTEGER NOT NULL, "
    "PRIMARY KEY (run_id, target_id, scope, scope_id));"
    "CREATE TABLE worker_appraisals (run_id INTEGER NOT NULL, worker_id TEXT NOT NULL, "
    "community_id TEXT NOT NULL, score REAL, rank INTEGER, flag TEXT, PRIMARY KEY (run_id, "
    "worker_id));"
    "CREATE TABLE task_decisions (run_id INTEGER NOT NULL, task_id TEXT NOT NULL, decision TEXT "
    "NOT NULL, rule_id TEXT, reason TEXT NOT NULL, PRIMARY KEY (run_id, task_id));"
    "CREATE TABLE category_scores (run_id INTEGER NOT NULL, community_id TEXT NOT NULL, "
    "category_id TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL);"
    "CREATE TABLE run_communities (run_id INTEGER NOT NULL, community_id TEXT NOT NULL, name TEXT "
    "NOT NULL, district TEXT NOT NULL, street TEXT NOT NULL);"
    "CREATE TABLE run_indicators (run_id INTEGER NOT NULL, indicator_id TEXT NOT NULL, name TEXT "
    "NOT NULL, category_id TEXT NOT NULL, unit TEXT, max_points REAL NOT NULL, source TEXT);"
    "CREATE TABLE run_categories (run_id INTEGER NOT NULL, category_id TEXT NOT NULL, name TEXT "
    "NOT NULL, max_points REAL NOT NULL);"
    "CREATE TABLE run_targets (run_id INTEGER NOT NULL, target_id TEXT NOT NULL, name TEXT NOT "
    "NULL, measure TEXT NOT NULL, unit TEXT, source TEXT);"
    "CREATE TABLE department_stats (run_id INTEGER NOT NULL, department TEXT NOT NULL, tasks "
    "INTEGER NOT NULL, admitted INTEGER NOT NULL, rejected INTEGER NOT NULL, review INTEGER NOT "
    "NULL);";

/* The tables of the run's rules (results_schema.c), which older files lack. */
static const char rules_schema_sql[] =
    "CREATE TABLE run_rules (run_id INTEGER NOT NULL, system_name TEXT, total REAL NOT NULL, "
    "epsilon REAL NOT NULL, unrated TEXT NOT NULL, appraisal_scope TEXT, bottom_ratio REAL, "
    "floors TEXT, PRIMARY KEY (run_id));"
    "CREATE TABLE run_star_grades (run_id INTEGER NOT NULL, stars INTEGER NOT NULL, position "
    "INTEGER NOT NULL, name TEXT NOT NULL, threshold REAL, threshold_param TEXT, conditions TEXT, "
    "PRIMARY KEY (run_id, stars));"
    "CREATE TABLE run_target_rules (run_id INTEGER NOT NULL, target_id TEXT NOT NULL, position "
    "INTEGER NOT NULL, scopes TEXT NOT NULL, required_kind TEXT NOT NULL, required_param TEXT, "
    "PRIMARY KEY (run_id, target_id));"
    "CREATE TABLE run_params (run_id INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, "
    "value TEXT, description TEXT, unit TEXT, PRIMARY KEY (run_id, name));"
    "CREATE TABLE run_labels (run_id INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, "
    "text TEXT NOT NULL, PRIMARY KEY (run_id, kind, code));";

/* The rules of runs 1 and 2: grades named 五星 … 二星 (run 2's top line is
 * 95), the schedule target 'share' (持证率目标, cert.plan) and the count
 * target 'fresh' (新增持证人数). */
static const char rules_sql[] =
    "INSERT INTO run_rules VALUES (1, '测试体系', 100, 1e-9, '未评级', 'street', 0.02, "
    "'{\"score\": 60, \"score_residents\": 60}'), (2, '测试体系', 100, 1e-9, '未评级', "
    "'street', 0.02, '{\"score\": 60}');"
    "INSERT INTO run_star_grades SELECT r, s, p, n, CASE WHEN r = 2 AND s = 5 THEN 95 ELSE t END, "
    "NULL, c FROM (SELECT 1 AS r UNION SELECT 2), (SELECT 5 AS s, 1 AS p, '五星' AS n, 90 AS t, "
    "'F01 居民满意率 ≥ 0.9' AS c UNION ALL SELECT 4, 2, '四星', 80, NULL UNION ALL "
    "SELECT 3, 3, '三星', 70, NULL UNION ALL SELECT 2, 4, '二星', 60, NULL);"
    "INSERT INTO run_target_rules VALUES (1, 'share', 1, 'region,district,street,community', "
    "'schedule', 'cert.plan'), (1, 'fresh', 2, 'street', 'param', 'fresh.required'), "
    "(2, 'share', 1, 'region,district', 'schedule', 'cert.plan');"
    "INSERT INTO run_targets VALUES (2, 'share', '持证率目标', 'ratio', NULL, 's');"
    "INSERT INTO run_labels SELECT r, k, c, t FROM (SELECT 1 AS r UNION SELECT 2), "
    "(SELECT 'status' AS k, 'ok' AS c, '正常' AS t UNION ALL SELECT 'status', 'missing', '缺失' "
    "UNION ALL SELECT 'status', 'invalid', '无效' UNION ALL SELECT 'scope', 'street', '街道' "
    "UNION ALL SELECT 'flag', 'bottom_ratio', '末位淘汰');";

/* Run 1 (eval) and run 2 (a what-if scenario written later). Community C2's
 * name is hostile HTML; C2's total 79.6 is 0.4 below the four-star line. */
static const char data_sql[] =
    "INSERT INTO runs VALUES (1, '2025-01-02T03:04:05Z', '2025-01-02T03:04:06Z', 'kaohe test', "
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', "
    "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '2025-12-31', "
    "'{\"stars.five\":90,\"stars.four\":80,\"stars.three\":70,\"stars.two\":60,"
    "\"stars.five_f01\":0.9,\"elimination.bottom_ratio\":0.02,\"elimination.floor\":60,"
    "\"cert.plan\":{\"2020\":0.35,\"2023\":0.6,\"2026\":1.0}}', "
    "'测试市', 'snap.db', '/rules', 'eval', NULL, NULL, 3);"
    "INSERT INTO runs VALUES (2, '2025-01-03T00:00:00Z', '2025-01-03T00:00:01Z', 'kaohe test', "
    "'aa', 'bb', '2019-06-30', '{\"stars.five\":95,\"cert.plan\":{\"2020\":0.35,"
    "\"2023\":0.6,\"2026\":1.0}}', '测试市', 'snap.db', '/rules', 'whatif-scenario', 'x', 1, 3);"
    "INSERT INTO run_categories VALUES (1, 'A', '队伍精良', 40), (1, 'B', '治理精细', 30), "
    "(1, 'C', '服务精准', 30), (2, 'A', '队伍精良', 40), (2, 'B', '治理精细', 30), "
    "(2, 'C', '服务精准', 30);"
    "INSERT INTO run_communities SELECT r, id, name, district, street FROM (SELECT 1 AS r UNION "
    "SELECT 2), (SELECT 'C1' AS id, '甲社区' AS name, '东区' AS district, '一街道' AS street "
    "UNION ALL SELECT 'C2', '<script>alert(1)</script>&乙', '东区', '一街道' UNION ALL "
    "SELECT 'C3', '丙社区', '西区', '二街道');"
    "INSERT INTO community_scores VALUES (1, 'C1', 91.25, 5, 1), (1, 'C2', 79.6, 3, 2), "
    "(1, 'C3', 45, 0, 3), (2, 'C1', 91.25, 4, 1), (2, 'C2', 79.6, 3, 2), (2, 'C3', 45, 0, 3);"
    "INSERT INTO category_scores VALUES (1, 'C1', 'A', 38, 40), (1, 'C1', 'B', 26.25, 30), "
    "(1, 'C1', 'C', 27, 30), (1, 'C2', 'A', 20, 40), (1, 'C2', 'B', 30, 30), "
    "(1, 'C2', 'C', 29.6, 30), (1, 'C3', 'A', 10, 40), (1, 'C3', 'B', 20, 30), "
    "(1, 'C3', 'C', 15, 30);"
    "INSERT INTO run_indicators VALUES (1, 'A01', '持证率', 'A', '比例', 40, 's'), "
    "(1, 'B01', '未准入摊派事项数', 'B', '项', 30, 's'), "
    "(1, 'C01', '每百户服务用房面积', 'C', '平方米/百户', 30, 's');"
    "INSERT INTO indicator_scores VALUES (1, 'C2', 'A01', 0.5, 20, 40, 'ok'), "
    "(1, 'C2', 'B01', NULL, 0, 30, 'missing'), (1, 'C2', 'C01', 25.5, 29.6, 30, 'ok'), "
    "(1, 'C1', 'A01', 0.95, 38, 40, 'ok'), (1, 'C1', 'B01', 1, 26.25, 30, 'ok'), "
    "(1, 'C1', 'C01', 27, 27, 30, 'invalid');"
    "INSERT INTO run_targets VALUES (1, 'share', '持证率目标', 'ratio', NULL, 's'), "
    "(1, 'fresh', '新增持证人数', 'count', '人', 's');"
    "INSERT INTO target_checks VALUES (1, 'share', 'region', '测试市', 0.8667, 0.5, 0), "
    "(1, 'share', 'district', '东区', 0.8667, 0.9, 1), "
    "(1, 'share', 'district', '西区', 0.8667, 0.4, 0), "
    "(1, 'share', 'street', '东区/一街道', 0.8667, 0.9, 1), "
    "(1, 'share', 'community', 'C2', 0.8667, 0.5, 0), "
    "(1, 'fresh', 'street', '东区/一街道', 8, 7, 0), "
    "(1, 'fresh', 'street', '西区/二街道', 8, 2, 0);"
    "INSERT INTO worker_appraisals VALUES (1, 'W1', 'C2', 52, 1, 'below_floor'), "
    "(1, 'W2', 'C1', 80, 2, NULL), (1, 'W3', 'C3', NULL, NULL, 'no_score');"
    "INSERT INTO task_decisions VALUES (1, 'T1', 'admit', 'L01', '依法履职'), "
    "(1, 'T2', 'reject', 'N01', '负面清单'), (1, 'T3', 'review', NULL, '不在准入清单内');"
    "INSERT INTO department_stats VALUES (1, '民政局', 2, 1, 1, 0), (1, '城管局', 1, 0, 0, 1);";

static char directory[64];
static char results_path[128];
static char older_path[128]; /* the same runs without the tables of their rules */

/* Creates the results database in a fresh temporary directory. */
static int setup(void **state)
{
    sqlite3 *db = NULL;
    (void)state;
    snprintf(directory, sizeof directory, "/tmp/kaohe-html-XXXXXX");
    if (mkdtemp(directory) == NULL)
        return -1;
    snprintf(results_path, sizeof results_path, "%s/results.db", directory);
    snprintf(older_path, sizeof older_path, "%s/older.db", directory);
    if (sqlite3_open(results_path, &db) != SQLITE_OK ||
        sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, data_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, rules_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, rules_sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(db);
    db = NULL;
    if (sqlite3_open(older_path, &db) != SQLITE_OK ||
        sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, data_sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(db);
    return 0;
}

/* Removes the temporary files. */
static int teardown(void **state)
{
    char path[160];
    (void)state;
    unlink(results_path);
    unlink(older_path);
    snprintf(path, sizeof path, "%s/other.db", directory);
    unlink(path);
    rmdir(directory);
    return 0;
}

/* Runs report_write and returns the page (caller frees); fails the test on
 * error. */
static char *report_of(const char *path, long long run_id, const char *community_id, double margin)
{
    report_options options = {path, run_id, community_id, margin};
    buffer out;
    error e;
    int status;
    buffer_init(&out);
    error_clear(&e);
    status = report_write(&options, &out, &e);
    if (status != ERROR_OK)
        fail_msg("report_write failed (%d): %s", status, e.message);
    assert_false(buffer_failed(&out));
    return buffer_take(&out);
}

/* The report of the results file with the rules' tables. */
static char *report(long long run_id, const char *community_id, double margin)
{
    return report_of(results_path, run_id, community_id, margin);
}

/* The part of `page` from the element with id="ID" to its </section>, in a
 * static buffer ("" when absent). */
static const char *section(const char *page, const char *id)
{
    static char text[65536];
    char needle[64];
    const char *start, *end;
    snprintf(needle, sizeof needle, "id=\"%s\"", id);
    start = strstr(page, needle);
    text[0] = '\0';
    if (start == NULL)
        return text;
    end = strstr(start, "</section>");
    if (end == NULL)
        end = start + strlen(start);
    snprintf(text, sizeof text, "%.*s", (int)(end - start), start);
    return text;
}

static void test_region_report_is_self_contained_and_escaped(void **state)
{
    char *page = report(0, NULL, 0);
    (void)state;
    assert_non_null(strstr(page, "<!DOCTYPE html>"));
    assert_null(strstr(page, "http:"));
    assert_null(strstr(page, "https:"));
    assert_null(strstr(page, "src="));
    assert_null(strstr(page, "<link"));
    assert_null(strstr(page, "<script"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;乙"));
    assert_non_null(strstr(page, "@page{size:A4"));
    assert_non_null(strstr(page, "Noto Sans CJK SC"));
    assert_non_null(strstr(page, "<svg"));
    free(page);
}

static void test_default_run_is_the_latest_eval_run(void **state)
{
    char *page = report(0, NULL, 0);
    char *scenario = report(2, NULL, 0);
    (void)state;
    assert_non_null(strstr(page, "<dd>#1 · eval"));
    assert_non_null(strstr(scenario, "<dd>#2 · whatif-scenario"));
    assert_non_null(strstr(scenario, "基线运行 #1"));
    assert_non_null(strstr(scenario, "五星 ≥ 95 分"));
    assert_non_null(strstr(page, "五星 ≥ 90 分，且 F01 居民满意率 ≥ 0.9"));
    free(page);
    free(scenario);
}

static void test_header_shortens_hashes_with_the_full_value_in_title(void **state)
{
    char *page = report(1, NULL, 0);
    (void)state;
    assert_non_null(strstr(page,
                           "<span title=\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                           "bbbbbbbbbbbb\"><code>bbbbbbbbbbbb…</code></span>"));
    assert_non_null(strstr(page, "持证率目标 要求 2020 年 35%，2023 年 60%，2026 年 100%"));
    assert_non_null(strstr(page, "新增持证人数 要求 8 人"));
    assert_non_null(strstr(page, "测试体系 3 项指标"));
    assert_null(strstr(page, "较早版本")); /* the rules are recorded */
    free(page);
}

static void test_ranking_lists_communities_by_rank_with_categories(void **state)
{
    char *page = report(1, NULL, 0);
    const char *ranking;
    const char *c1, *c2, *c3;
    (void)state;
    ranking = section(page, "ranking");
    c1 = strstr(ranking, "<tr id=\"c-C1\">");
    c2 = strstr(ranking, "<tr id=\"c-C2\">");
    c3 = strstr(ranking, "<tr id=\"c-C3\">");
    assert_non_null(c1);
    assert_non_null(c2);
    assert_non_null(c3);
    assert_true(c1 < c2 && c2 < c3);
    assert_non_null(strstr(c1, "<td class=\"n\">38.00</td><td class=\"n\">26.25</td>"
                               "<td class=\"n\">27.00</td><td class=\"n total\">91.25</td>"
                               "<td class=\"c s5\">五星</td>"));
    assert_non_null(strstr(c3, "<td class=\"n total\">45.00</td><td class=\"c s0\">未评级</td>"));
    free(page);
}

static void test_cert_trajectory_interpolates_and_is_flat_outside(void **state)
{
    char *page = report(1, NULL, 0);
    char *early = report(2, NULL, 0);
    (void)state;
    assert_non_null(strstr(page, "<title>2021 年要求 43.3%</title>"));
    assert_non_null(strstr(page, "<title>2024 年要求 73.3%</title>"));
    assert_non_null(strstr(page, "<title>2025 年要求 86.7%</title>"));
    assert_non_null(strstr(page, "<title>2026 年要求 100.0%</title>"));
    assert_null(strstr(page, "<title>2027 年"));
    /* as of 2019: the chart starts there, at the first milestone's ratio */
    assert_non_null(strstr(early, "<title>2019 年要求 35.0%</title>"));
    /* each district's actual ratio is a point with its value */
    assert_non_null(strstr(page, "东区 实际 90.0%"));
    assert_non_null(strstr(page, "西区 实际 40.0%"));
    free(page);
    free(early);
}

static void test_near_threshold_list_follows_the_margin(void **state)
{
    char *page = report(1, NULL, 0);
    char *narrow = report(1, NULL, 0.3);
    char *wide = report(1, NULL, 1.5);
    const char *review;
    (void)state;
    review = section(page, "review");
    assert_non_null(strstr(review, "四星线 80"));
    assert_non_null(strstr(review, "五星还要求 F01 居民满意率 ≥ 0.9"));
    assert_non_null(strstr(review, "−0.40"));
    assert_null(strstr(review, "五星线 90")); /* C1 is 1.25 above: not within 1 */
    assert_null(strstr(review, "+1.25"));
    /* streets: 7 of 8 new certificates is within 1; 2 of 8 is not */
    assert_non_null(strstr(review, "东区/一街道"));
    assert_null(strstr(review, "西区/二街道"));
    assert_null(strstr(section(narrow, "review"), "−0.40"));
    assert_non_null(strstr(section(wide, "review"), "+1.25"));
    free(page);
    free(narrow);
    free(wide);
}

static void test_workers_admission_and_targets_sections(void **state)
{
    char *page = report(1, NULL, 0);
    const char *workers, *admission, *targets;
    (void)state;
    workers = section(page, "workers");
    assert_non_null(strstr(workers, "<code>W1</code>"));
    assert_non_null(strstr(workers, "<code>W3</code>"));
    assert_null(strstr(workers, "<code>W2</code>")); /* not flagged */
    assert_non_null(strstr(workers, "低于底线"));
    assert_non_null(strstr(workers, "缺少评分"));
    admission = section(page, "admission");
    assert_non_null(strstr(admission, "民政局"));
    assert_non_null(strstr(admission, "（未匹配任何条目）"));
    assert_true(strstr(admission, "<code>N01</code>") < strstr(admission, "<code>L01</code>"));
    targets = section(page, "targets");
    assert_non_null(strstr(targets, "新增持证人数"));
    assert_non_null(strstr(targets, "7 人"));
    assert_non_null(strstr(targets, "8 人"));
    free(page);
}

static void test_trajectory_is_drawn_for_the_schedule_target_of_the_rules(void **state)
{
    char *page = report(1, NULL, 0);
    const char *trajectories;
    (void)state;
    trajectories = section(page, "trajectories");
    assert_non_null(strstr(trajectories, "<h2>持证率目标：全市与各区对照要求</h2>"));
    assert_non_null(strstr(trajectories, "cert.plan 线性插值"));
    /* the count target is listed with the others, not drawn */
    assert_null(strstr(trajectories, "新增持证人数"));
    assert_non_null(strstr(section(page, "targets"), "新增持证人数"));
    free(page);
}

static void test_older_file_without_the_rules_tables_says_what_is_missing(void **state)
{
    char *page = report_of(older_path, 1, NULL, 0);
    const char *ranking;
    (void)state;
    assert_non_null(strstr(page, "较早版本的 kaohe"));
    assert_non_null(strstr(page, "run_star_grades"));
    ranking = section(page, "ranking");
    /* grades are the star counts the run gave, with no names in C */
    assert_non_null(strstr(ranking, "<td class=\"c s5\">5★</td>"));
    assert_null(strstr(page, "五星"));
    assert_null(strstr(page, "<section id=\"trajectories\""));
    /* targets are still listed, the count one by its requirement above 1 */
    assert_non_null(strstr(section(page, "targets"), "8 人"));
    free(page);
}

static void test_card_sorts_indicators_by_points_lost(void **state)
{
    char *page = report(1, "C2", 0);
    const char *b01, *a01, *c01;
    (void)state;
    assert_non_null(strstr(page, "社区体检单 · &lt;script&gt;"));
    assert_null(strstr(page, "<script"));
    b01 = strstr(page, "<tr class=\"lost\"><td>B01</td>");
    a01 = strstr(page, "<tr class=\"lost\"><td>A01</td>");
    c01 = strstr(page, "<tr class=\"lost\"><td>C01</td>");
    assert_non_null(b01);
    assert_non_null(a01);
    assert_non_null(c01);
    assert_true(b01 < a01 && a01 < c01);
    assert_non_null(strstr(b01, "<td class=\"c bad\">缺失</td>"));
    assert_non_null(strstr(a01, "50.0%"));
    assert_non_null(strstr(c01, "25.5 <span class=\"muted\">平方米/百户</span>"));
    assert_non_null(strstr(page, "<b>2 / 3</b>"));
    assert_non_null(strstr(page, "aria-label=\"各类得分率雷达图\""));
    assert_non_null(strstr(page, "<code>W1</code>"));
    free(page);
}

static void test_all_cards_one_section_each(void **state)
{
    char *page = report(1, "all", 0);
    const char *p = page;
    int cards = 0;
    (void)state;
    while ((p = strstr(p, "<section class=\"card sheet\"")) != NULL) {
        cards++;
        p++;
    }
    assert_int_equal(cards, 3);
    assert_non_null(strstr(page, "page-break-after:always"));
    free(page);
}

static void test_same_results_give_identical_bytes(void **state)
{
    char *a = report(0, NULL, 0), *b = report(0, NULL, 0);
    char *c = report(1, "all", 0), *d = report(1, "all", 0);
    (void)state;
    assert_string_equal(a, b);
    assert_string_equal(c, d);
    free(a);
    free(b);
    free(c);
    free(d);
}

/* report_write must fail with `status`, a message holding `needle`, and leave
 * the output buffer as it was. */
static void expect_failure(const char *path, long long run_id, const char *community_id,
                           double margin, int status, const char *needle)
{
    report_options options = {path, run_id, community_id, margin};
    buffer out;
    error e;
    buffer_init(&out);
    buffer_puts(&out, "before");
    error_clear(&e);
    assert_int_equal(report_write(&options, &out, &e), status);
    if (strstr(e.message, needle) == NULL)
        fail_msg("message \"%s\" does not contain \"%s\"", e.message, needle);
    assert_string_equal(buffer_text(&out), "before");
    buffer_free(&out);
}

static void test_errors_name_the_file_run_or_community(void **state)
{
    char other[160];
    sqlite3 *db = NULL;
    (void)state;
    expect_failure(results_path, 9, NULL, 0, ERROR_INPUT, "no run 9");
    expect_failure(results_path, 1, "C9", 0, ERROR_INPUT, "no community C9");
    expect_failure(results_path, 1, "甲社区", 0, ERROR_INPUT, "community C1");
    expect_failure(results_path, 1, NULL, -1, ERROR_USAGE, "margin");
    expect_failure("/nonexistent/results.db", 0, NULL, 0, ERROR_INPUT, "/nonexistent/results.db");
    snprintf(other, sizeof other, "%s/other.db", directory);
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE communities (id TEXT)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_failure(other, 0, NULL, 0, ERROR_INPUT, "not a kaohe results database (no table runs)");
    unlink(other);
    db = NULL;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, schema_sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO runs (run_id, started_at, finished_at, "
                                  "engine_version, snapshot_sha256, rules_sha256, as_of, params) "
                                  "VALUES (1, '', '', '', '', '', '2025-12-31', '{oops')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_failure(other, 0, NULL, 0, ERROR_INPUT, "runs.params of run 1 is not valid JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_report_is_self_contained_and_escaped),
        cmocka_unit_test(test_default_run_is_the_latest_eval_run),
        cmocka_unit_test(test_header_shortens_hashes_with_the_full_value_in_title),
        cmocka_unit_test(test_ranking_lists_communities_by_rank_with_categories),
        cmocka_unit_test(test_cert_trajectory_interpolates_and_is_flat_outside),
        cmocka_unit_test(test_near_threshold_list_follows_the_margin),
        cmocka_unit_test(test_workers_admission_and_targets_sections),
        cmocka_unit_test(test_trajectory_is_drawn_for_the_schedule_target_of_the_rules),
        cmocka_unit_test(test_older_file_without_the_rules_tables_says_what_is_missing),
        cmocka_unit_test(test_card_sorts_indicators_by_points_lost),
        cmocka_unit_test(test_all_cards_one_section_each),
        cmocka_unit_test(test_same_results_give_identical_bytes),
        cmocka_unit_test(test_errors_name_the_file_run_or_community),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
