/*
** verify.c — reproducing a stored run (verify.h).
*/
#include "verify.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval.h"
#include "jsontext.h"
#include "results.h"
#include "results_schema.h"
#include "rules.h"
#include "session.h"
#include "snapshot.h"

/* The tables compared, with the columns that identify a row. */
static const char *const compared[][2] = {
    {"indicator_scores", "community_id, indicator_id"},
    {"community_scores", "community_id"},
    {"category_scores", "community_id, category_id"},
    {"target_checks", "target_id, scope, scope_id"},
    {"worker_appraisals", "worker_id"},
    {"task_decisions", "task_id"},
    {"department_stats", "department"},
};

typedef struct recorded_run {
    long long id;
    char *snapshot_path, *snapshot_sha256, *rules_root, *rules_sha256, *params, *kind;
} recorded_run;

static void recorded_free(recorded_run *run)
{
    free(run->snapshot_path);
    free(run->snapshot_sha256);
    free(run->rules_root);
    free(run->rules_sha256);
    free(run->params);
    free(run->kind);
}

static char *column_copy(sqlite3_stmt *statement, int column)
{
    const unsigned char *text = sqlite3_column_text(statement, column);
    return text != NULL ? strdup((const char *)text) : NULL;
}

/* Opens the stored results file read-only, as every reader of a results
** file must: checked before SQLite opens it, SQLite's defenses on, its schema
** exactly kaohe's (results_schema.h). */
static int open_stored(const char *path, sqlite3 **out, error *e)
{
    sqlite3 *db = NULL;
    bool empty;
    int rc, status;
    *out = NULL;
    if (access(path, F_OK) != 0)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: no such results file",
                         path);
    status = results_schema_check_file(path, e);
    if (status != ERROR_OK)
        return status;
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot open: %s", path,
                           db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 60000);
    status = results_schema_configure(db, e);
    if (status == ERROR_OK)
        status = results_schema_check(db, "main", path, "cannot verify it", &empty, e);
    if (status == ERROR_OK && empty)
        status = error_set(e, ERROR_INPUT, "%s: no run stored (an SQLite database without tables)",
                           path);
    if (status == ERROR_OK) {
        *out = db;
        db = NULL;
    }
done:
    sqlite3_close(db);
    return status;
}

static int read_run(const char *path, long long run_id, recorded_run *run, error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    int status = ERROR_OK;
    memset(run, 0, sizeof *run);
    status = open_stored(path, &db, e);
    if (status != ERROR_OK)
        return status;
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, snapshot_path, snapshot_sha256, rules_root, "
                           "rules_sha256, params, kind FROM runs WHERE run_id = CASE WHEN ?1 > 0 "
                           "THEN ?1 ELSE (SELECT max(run_id) FROM runs) END",
                           -1, &statement, NULL) != SQLITE_OK) {
        status = error_set(e, error_sqlite_status(sqlite3_extended_errcode(db), ERROR_INPUT),
                           "%s: cannot read its runs (%s)", path, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_int64(statement, 1, run_id);
    if (sqlite3_step(statement) != SQLITE_ROW) {
        status = run_id > 0 ? error_set(e, ERROR_INPUT, "%s: no run %lld", path, run_id)
                            : error_set(e, ERROR_INPUT, "%s: no run stored", path);
        goto done;
    }
    run->id = sqlite3_column_int64(statement, 0);
    run->snapshot_path = column_copy(statement, 1);
    run->snapshot_sha256 = column_copy(statement, 2);
    run->rules_root = column_copy(statement, 3);
    run->rules_sha256 = column_copy(statement, 4);
    run->params = column_copy(statement, 5);
    run->kind = column_copy(statement, 6);
    if (run->params == NULL || run->snapshot_sha256 == NULL || run->rules_sha256 == NULL)
        status =
            error_set(e, ERROR_INPUT, "%s: run %lld lacks its hashes or parameters", path, run->id);
done:
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return status;
}

/* Sets every recorded parameter value; a name the rules no longer have is
** reported as a difference of rules. */
static int apply_recorded_params(params *ps, const char *json_text, buffer *out, error *e)
{
    json_error_t json_error;
    json_t *root = json_loads(json_text, 0, &json_error);
    const char *name;
    json_t *value;
    int status = ERROR_OK;
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return error_set(e, ERROR_INPUT, "the run's recorded parameters are not a JSON object");
    }
    json_object_foreach(root, name, value)
    {
        char *text;
        if (params_find(ps, name) < 0) {
            buffer_printf(out, "不同的规则：记录中的参数 %s 在当前规则中不存在\n", name);
            status = ERROR_INPUT;
            continue;
        }
        if (json_is_string(value))
            text = strdup(json_string_value(value));
        else
            text = jsontext_dump(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (text == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            break;
        }
        if (params_set_text(ps, name, text, e) != ERROR_OK) {
            buffer_printf(out, "不同的规则：记录中的参数值 %s=%s 不再有效（%s）\n", name, text,
                          e->message);
            status = ERROR_INPUT;
        }
        free(text);
    }
    json_decref(root);
    return status;
}

/* `path` as an SQLite URI that opens it read-only ("file:...?mode=ro"). */
static char *read_only_uri(const char *path)
{
    buffer uri;
    const unsigned char *p;
    buffer_init(&uri);
    buffer_puts(&uri, path[0] == '/' ? "file://" : "file:");
    for (p = (const unsigned char *)path; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p) != NULL)
            buffer_append(&uri, (const char *)p, 1);
        else
            buffer_printf(&uri, "%%%02X", *p);
    }
    buffer_puts(&uri, "?mode=ro");
    return buffer_take(&uri);
}

/* Compares the stored run with the new one in `db` (main), table by table;
** the stored file is attached read-only as "stored" and checked again (it
** may have changed since read_run). */
static int compare_tables(sqlite3 *db, const char *stored_path, long long stored_run, buffer *out,
                          long *differences, long *rows, error *e)
{
    size_t t;
    bool empty;
    int status = ERROR_OK;
    *differences = 0;
    *rows = 0;
    {
        char *uri = read_only_uri(stored_path);
        char *sql = uri != NULL ? sqlite3_mprintf("ATTACH %Q AS stored", uri) : NULL;
        int rc = sql != NULL ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
        sqlite3_free(sql);
        free(uri);
        if (rc != SQLITE_OK)
            return error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot attach: %s",
                             stored_path,
                             rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
    }
    status = results_schema_check(db, "stored", stored_path, "cannot verify it", &empty, e);
    if (status != ERROR_OK)
        return status;
    for (t = 0; t < sizeof compared / sizeof compared[0]; t++) {
        const char *table = compared[t][0];
        sqlite3_stmt *statement = NULL;
        char *columns_sql, *sql;
        char columns[1024] = "";
        long shown = 0, count = 0;
        /* the columns of the table, without run_id */
        columns_sql =
            sqlite3_mprintf("SELECT group_concat(printf('\"%%w\"', name), ', ') FROM (SELECT name "
                            "FROM pragma_table_info(%Q) WHERE name <> 'run_id' ORDER BY "
                            "cid)",
                            table);
        if (sqlite3_prepare_v2(db, columns_sql, -1, &statement, NULL) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != NULL)
            snprintf(columns, sizeof columns, "%s",
                     (const char *)sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
        sqlite3_free(columns_sql);
        statement = NULL;
        if (columns[0] == '\0')
            continue;
        sql = sqlite3_mprintf(
            "SELECT 'only in the stored run', %s FROM (SELECT %s FROM stored.%s WHERE run_id = "
            "%lld EXCEPT SELECT %s FROM main.%s) UNION ALL SELECT 'only in the new run', %s FROM "
            "(SELECT %s FROM main.%s EXCEPT SELECT %s FROM stored.%s WHERE run_id = %lld) "
            "ORDER BY 2, 1",
            columns, columns, table, stored_run, columns, table, columns, columns, table, columns,
            table, stored_run);
        if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
            buffer_printf(out, "表 %s 无法比较：%s\n", table, sqlite3_errmsg(db));
            (*differences)++;
            sqlite3_free(sql);
            continue;
        }
        while (sqlite3_step(statement) == SQLITE_ROW) {
            int k, n = sqlite3_column_count(statement);
            count++;
            if (shown++ >= 5)
                continue;
            buffer_printf(out, "  %s %s:", table, (const char *)sqlite3_column_text(statement, 0));
            for (k = 1; k < n; k++) {
                const unsigned char *v = sqlite3_column_text(statement, k);
                buffer_printf(out, " %s=%s", sqlite3_column_name(statement, k),
                              v ? (const char *)v : "NULL");
            }
            buffer_puts(out, "\n");
        }
        if (count > 5)
            buffer_printf(out, "  %s: ... 另有 %ld 行不同\n", table, count - 5);
        *differences += count;
        sqlite3_finalize(statement);
        sqlite3_free(sql);
        sql = sqlite3_mprintf("SELECT count(*) FROM main.%s", table);
        if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW)
            *rows += sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
        sqlite3_free(sql);
    }
    return status;
}

int verify_run(const verify_options *o, buffer *out, error *e)
{
    recorded_run run;
    session again; /* the same pipeline eval ran, on what the run records */
    session_config config;
    sqlite3 *fresh = NULL;
    char started[32];
    const char *snapshot_path, *rules_directory;
    long differences = 0, rows = 0;
    long long new_run = 0;
    int status, mismatch = 0;
    memset(&config, 0, sizeof config);
    session_init(&again, &config);
    status = read_run(o->results_path, o->run_id, &run, e);
    if (status != ERROR_OK)
        return status;
    snapshot_path = o->snapshot_path ? o->snapshot_path : run.snapshot_path;
    rules_directory = o->rules_directory ? o->rules_directory : run.rules_root;
    buffer_printf(out, "核对 %s 的 run %lld（%s）\n", o->results_path, run.id,
                  run.kind ? run.kind : "eval");
    if (snapshot_path == NULL || rules_directory == NULL) {
        status = error_set(e, ERROR_INPUT,
                           "run %lld does not record its snapshot or rules; give "
                           "them with SNAPSHOT and --rules",
                           run.id);
        goto done;
    }
    status = session_snapshot(&again, snapshot_path, NULL, e);
    if (status != ERROR_OK)
        goto done;
    if (strcmp(again.snapshot->sha256, run.snapshot_sha256) != 0) {
        buffer_printf(out, "不同的快照：%s 的 SHA-256 是 %s，记录的是 %s\n", snapshot_path,
                      again.snapshot->sha256, run.snapshot_sha256);
        mismatch = 1;
    }
    config.default_root = o->default_root;
    config.rules_directory = rules_directory;
    config.limits = o->limits;
    status = session_rules(&again, &config, e);
    if (status != ERROR_OK)
        goto done;
    if (again.rules->problem_count > 0) {
        status = error_set(e, ERROR_INPUT, "%s: the rules have problems now (%s); run kaohe check",
                           rules_directory, again.rules->problems[0]);
        goto done;
    }
    if (strcmp(again.rules->sha256, run.rules_sha256) != 0) {
        buffer_printf(out, "不同的规则：%s 的 SHA-256 是 %s，记录的是 %s\n", rules_directory,
                      again.rules->sha256, run.rules_sha256);
        mismatch = 1;
    }
    if (mismatch) {
        buffer_puts(out, "无法核对：输入与记录的不是同一份文件。\n");
        status = ERROR_INPUT;
        goto done;
    }
    status = session_params_copy(&again, &again.rules->params, e);
    if (status == ERROR_OK)
        status = apply_recorded_params(&again.params, run.params, out, e);
    if (status == ERROR_OK)
        status = session_invariants(&again, e);
    if (status == ERROR_OK)
        status = session_evaluate(&again, e);
    if (status != ERROR_OK)
        goto done;
    /* The recomputed run goes into a private temporary database: SQLite
    ** removes its file as soon as it is opened, so no process, killed or
    ** not, leaves it behind. */
    if (sqlite3_open_v2("", &fresh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot open a temporary database: %s",
                           fresh != NULL ? sqlite3_errmsg(fresh) : "out of memory");
        goto done;
    }
    {
        results_run recomputed;
        memset(&recomputed, 0, sizeof recomputed);
        results_timestamp(started);
        recomputed.run = session_view(&again);
        recomputed.started_at = started;
        recomputed.kind = "verify";
        status = results_write(fresh, "the recomputed run", &recomputed, 1, &new_run, e);
    }
    if (status == ERROR_OK)
        status = compare_tables(fresh, o->results_path, run.id, out, &differences, &rows, e);
    if (status != ERROR_OK)
        goto done;
    if (differences > 0) {
        buffer_printf(out, "结果不同：%ld 行与记录不一致（见上）。\n", differences);
        status = ERROR_INPUT;
    } else {
        buffer_printf(out, "一致：快照、规则与参数相同，重新计算的 %ld 行结果与记录完全一致。\n",
                      rows);
    }
done:
    sqlite3_close(fresh);
    session_free(&again);
    recorded_free(&run);
    return status;
}
