/*
** ruletest.c — the rule test runner of ruletest.h.
*/
#include "ruletest.h"

#include <lauxlib.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "eval.h"
#include "session.h"
#include "snapshot.h"
#include "ruletest_dsl_lua.h"
#include "text.h"

/* Numbers in expectations match within this absolute tolerance. */
#define EXPECT_TOLERANCE 1e-6

/* Tables a case may fill, in an order that satisfies references. */
static const char *const case_tables[] = {
    "communities",      "workers",  "organizations", "activities", "visits", "postings",
    "survey_responses", "requests", "tasks",         "facts",      NULL};

/* Binds a Lua value (at `index`) to an insert slot. */
static void bind_lua_value(lua_State *L, int index, sqlite3_stmt *statement, int slot)
{
    switch (lua_type(L, index)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, index))
            sqlite3_bind_int64(statement, slot, (sqlite3_int64)lua_tointeger(L, index));
        else
            sqlite3_bind_double(statement, slot, lua_tonumber(L, index));
        break;
    case LUA_TBOOLEAN:
        sqlite3_bind_int(statement, slot, lua_toboolean(L, index));
        break;
    case LUA_TSTRING: {
        size_t length;
        const char *text = lua_tolstring(L, index, &length);
        sqlite3_bind_text(statement, slot, text, (int)length, SQLITE_TRANSIENT);
        break;
    }
    default:
        sqlite3_bind_null(statement, slot);
        break;
    }
}

/* Column names of `table` in `db`, NULL-terminated; caller frees. */
static char **table_column_names(sqlite3 *db, const char *table)
{
    sqlite3_stmt *statement = NULL;
    char **names = calloc(64, sizeof *names);
    size_t count = 0;
    if (names == NULL ||
        sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1,
                           &statement, NULL) != SQLITE_OK) {
        free(names);
        return NULL;
    }
    sqlite3_bind_text(statement, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(statement) == SQLITE_ROW && count < 63)
        names[count++] = strdup((const char *)sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    return names;
}

static void names_free(char **names)
{
    size_t i;
    for (i = 0; names != NULL && names[i] != NULL; i++)
        free(names[i]);
    free(names);
}

/* Inserts the rows of one table (Lua list at the top of the stack). */
static int insert_rows(lua_State *L, sqlite3 *db, const char *table, const char *where, error *e)
{
    char **columns = table_column_names(db, table);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1), i;
    int status = ERROR_OK;
    if (columns == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (i = 1; i <= n && status == ERROR_OK; i++) {
        buffer sql, values;
        sqlite3_stmt *statement = NULL;
        int slot = 0;
        lua_rawgeti(L, -1, i); /* the row */
        buffer_init(&sql);
        buffer_init(&values);
        buffer_printf(&sql, "INSERT INTO %s (", table);
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            size_t k;
            bool known = false;
            for (k = 0; key != NULL && columns[k] != NULL; k++)
                known = known || strcmp(columns[k], key) == 0;
            if (!known) {
                const char *best = key ? text_suggest(key, (const char *const *)columns, 63) : NULL;
                status = error_set(e, ERROR_INPUT, "%s: table %s has no column '%s'%s%s%s", where,
                                   table, key ? key : "?", best ? " (did you mean '" : "",
                                   best ? best : "", best ? "'?)" : "");
                lua_pop(L, 2);
                break;
            }
            buffer_printf(&sql, "%s\"%s\"", slot ? ", " : "", key);
            buffer_printf(&values, "%s?%d", slot ? ", " : "", slot + 1);
            slot++;
            lua_pop(L, 1);
        }
        if (status == ERROR_OK) {
            buffer_printf(&sql, ") VALUES (%s)", buffer_text(&values));
            if (sqlite3_prepare_v2(db, buffer_text(&sql), -1, &statement, NULL) != SQLITE_OK) {
                status =
                    error_set(e, ERROR_INPUT, "%s: table %s: %s", where, table, sqlite3_errmsg(db));
            } else {
                slot = 0;
                lua_pushnil(L);
                while (lua_next(L, -2) != 0) {
                    bind_lua_value(L, -1, statement, ++slot);
                    lua_pop(L, 1);
                }
                if (sqlite3_step(statement) != SQLITE_DONE)
                    status = error_set(e, ERROR_INPUT, "%s: table %s, row %lld: %s", where, table,
                                       (long long)i, sqlite3_errmsg(db));
            }
        }
        sqlite3_finalize(statement);
        buffer_free(&sql);
        buffer_free(&values);
        lua_pop(L, 1); /* the row */
    }
    names_free(columns);
    return status;
}

/* Writes the case at the top of the stack into a new SQLite file. */
static int build_snapshot(lua_State *L, const char *path, const char *where, error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *meta = NULL;
    int c = lua_gettop(L);
    size_t i;
    int status = ERROR_OK;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot create a test snapshot", path);
        goto done;
    }
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        snapshot_create_schema(db, e) != ERROR_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO snapshot_meta (key, value) VALUES (?1, ?2)", -1, &meta,
                           NULL) != SQLITE_OK) {
        status =
            error_set(e, ERROR_SYSTEM, "cannot create a test snapshot: %s", sqlite3_errmsg(db));
        goto done;
    }
    {
        static const char *const keys[] = {"as_of", "region"};
        for (i = 0; i < 2; i++) {
            lua_getfield(L, c, keys[i]);
            sqlite3_bind_text(meta, 1, keys[i], -1, SQLITE_STATIC);
            bind_lua_value(L, -1, meta, 2);
            sqlite3_step(meta);
            sqlite3_reset(meta);
            lua_pop(L, 1);
        }
    }
    lua_getfield(L, c, "tables");
    for (i = 0; case_tables[i] != NULL && status == ERROR_OK; i++) {
        if (lua_getfield(L, -1, case_tables[i]) == LUA_TTABLE)
            status = insert_rows(L, db, case_tables[i], where, e);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (status == ERROR_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        status = error_set(e, ERROR_SYSTEM, "cannot write a test snapshot: %s", sqlite3_errmsg(db));
done:
    sqlite3_finalize(meta);
    sqlite3_close(db);
    return status;
}

/* Applies the case's params = { name = value } overrides. */
static int apply_case_params(lua_State *L, int c, params *ps, const char *where, error *e)
{
    int status = ERROR_OK;
    lua_getfield(L, c, "params");
    lua_pushnil(L);
    while (status == ERROR_OK && lua_next(L, -2) != 0) {
        const char *name = lua_tostring(L, -2);
        buffer value;
        buffer_init(&value);
        if (lua_type(L, -1) == LUA_TTABLE) {
            /* a schedule: { [2020] = 0.35, ... } → {"2020":0.35,...} */
            bool first = true;
            buffer_puts(&value, "{");
            lua_pushnil(L);
            while (lua_next(L, -2) != 0) {
                buffer_printf(&value, "%s\"%lld\":%.17g", first ? "" : ",",
                              (long long)lua_tointeger(L, -2), lua_tonumber(L, -1));
                first = false;
                lua_pop(L, 1);
            }
            buffer_puts(&value, "}");
        } else if (lua_type(L, -1) == LUA_TNUMBER) {
            buffer_printf(&value, "%.17g", lua_tonumber(L, -1));
        } else {
            buffer_puts(&value, lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        }
        status = params_set_text(ps, name ? name : "?", buffer_text(&value), e);
        if (status != ERROR_OK)
            error_prefix(e, "%s", where);
        buffer_free(&value);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return status;
}

/* A failure report collected while checking one case. */
typedef struct case_report {
    buffer text;
    int failures;
} case_report;

static void report_number(case_report *report, const char *where, const char *subject,
                          const char *field, double expected, bool expect_null, double actual)
{
    bool ok;
    if (expect_null)
        ok = isnan(actual);
    else
        ok = !isnan(actual) && fabs(expected - actual) <= EXPECT_TOLERANCE;
    if (ok)
        return;
    report->failures++;
    buffer_printf(&report->text, "  %s: %s %s: expected ", where, subject, field);
    if (expect_null)
        buffer_puts(&report->text, "null");
    else
        buffer_printf(&report->text, "%.10g", expected);
    if (isnan(actual))
        buffer_puts(&report->text, ", got null\n");
    else
        buffer_printf(&report->text, ", got %.10g\n", actual);
}

static void report_text(case_report *report, const char *where, const char *subject,
                        const char *field, const char *expected, const char *actual, bool substring)
{
    bool ok;
    if (expected == NULL)
        ok = actual == NULL;
    else if (actual == NULL)
        ok = false;
    else
        ok = substring ? strstr(actual, expected) != NULL : strcmp(expected, actual) == 0;
    if (ok)
        return;
    report->failures++;
    buffer_printf(&report->text, "  %s: %s %s: expected %s%s%s%s, got %s%s%s\n", where, subject,
                  field, substring ? "text containing " : "", expected ? "\"" : "",
                  expected ? expected : "null", expected ? "\"" : "", actual ? "\"" : "",
                  actual ? actual : "null", actual ? "\"" : "");
}

/* Reads field `name` of the expectation's table (at `f`): number, null or
** absent. Returns false when absent. */
static bool expected_number(lua_State *L, int f, const char *name, int null_ref, double *value,
                            bool *is_null)
{
    int type = lua_getfield(L, f, name);
    bool present = type != LUA_TNIL;
    *is_null = false;
    *value = 0;
    if (type == LUA_TNUMBER) {
        *value = lua_tonumber(L, -1);
    } else if (type == LUA_TBOOLEAN) {
        *value = lua_toboolean(L, -1);
    } else if (present) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, null_ref);
        *is_null = lua_rawequal(L, -1, -2);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return present;
}

/* Reads a text field: returns 1 with *text (pointing into a copy the caller
** frees), 1 with NULL for null, 0 when absent. */
static int expected_text(lua_State *L, int f, const char *name, int null_ref, char **text)
{
    int type = lua_getfield(L, f, name);
    *text = NULL;
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (type == LUA_TSTRING)
        *text = strdup(lua_tostring(L, -1));
    (void)null_ref;
    lua_pop(L, 1);
    return 1;
}

static long find_worker(const eval_result *res, const char *id)
{
    size_t i;
    for (i = 0; i < res->outcome.appraisal_count; i++)
        if (strcmp(res->outcome.appraisals[i].worker_id, id) == 0)
            return (long)i;
    return -1;
}

static long find_task(const eval_result *res, const char *id)
{
    size_t i;
    for (i = 0; i < res->outcome.decision_count; i++)
        if (strcmp(res->outcome.decisions[i].task_id, id) == 0)
            return (long)i;
    return -1;
}

/* Checks one expectation (a table at `x`: subject, fields, file, line). */
static void check_expectation(lua_State *L, int x, const rules *r, const snapshot *s,
                              const eval_result *res, const char *default_community, int null_ref,
                              case_report *report)
{
    char where[512];
    const char *subject;
    int f;
    double number;
    bool is_null;
    char *text = NULL;
    lua_getfield(L, x, "file");
    lua_getfield(L, x, "line");
    snprintf(where, sizeof where, "%s:%lld", lua_tostring(L, -2), (long long)lua_tointeger(L, -1));
    lua_pop(L, 2);
    lua_getfield(L, x, "subject");
    subject = lua_tostring(L, -1);
    lua_getfield(L, x, "fields");
    f = lua_gettop(L);
    if (strcmp(subject, "community") == 0 || strncmp(subject, "community ", 10) == 0) {
        const char *id = subject[9] == ' ' ? subject + 10 : default_community;
        long c = snapshot_find_community(s, id);
        if (c < 0) {
            report->failures++;
            buffer_printf(&report->text, "  %s: no community '%s' in the case\n", where, id);
        } else {
            if (expected_number(L, f, "total", null_ref, &number, &is_null))
                report_number(report, where, subject, "total", number, is_null, res->totals[c]);
            if (expected_number(L, f, "stars", null_ref, &number, &is_null))
                report_number(report, where, subject, "stars", number, is_null, res->stars[c]);
            if (expected_number(L, f, "rank", null_ref, &number, &is_null))
                report_number(report, where, subject, "rank", number, is_null, res->ranks[c]);
        }
    } else if (strncmp(subject, "worker ", 7) == 0) {
        long w = find_worker(res, subject + 7);
        bool present = w >= 0;
        if (expected_number(L, f, "present", null_ref, &number, &is_null))
            report_number(report, where, subject, "present", number, false, present);
        else if (!present) {
            report->failures++;
            buffer_printf(&report->text, "  %s: %s: no appraisal row\n", where, subject);
        }
        if (present) {
            const worker_appraisal *a = &res->outcome.appraisals[w];
            if (expected_number(L, f, "score", null_ref, &number, &is_null))
                report_number(report, where, subject, "score", number, is_null, a->score);
            if (expected_number(L, f, "rank", null_ref, &number, &is_null))
                report_number(report, where, subject, "rank", number, is_null,
                              a->rank > 0 ? a->rank : NAN);
            if (expected_text(L, f, "flag", null_ref, &text))
                report_text(report, where, subject, "flag", text, a->flag, false);
            free(text);
            text = NULL;
        }
    } else if (strncmp(subject, "task ", 5) == 0) {
        long t = find_task(res, subject + 5);
        if (t < 0) {
            report->failures++;
            buffer_printf(&report->text, "  %s: %s: no such task in the case\n", where, subject);
        } else {
            const task_decision *d = &res->outcome.decisions[t];
            if (expected_text(L, f, "decision", null_ref, &text))
                report_text(report, where, subject, "decision", text, d->decision, false);
            free(text);
            if (expected_text(L, f, "rule", null_ref, &text))
                report_text(report, where, subject, "rule", text, d->rule_id, false);
            free(text);
            if (expected_text(L, f, "reason", null_ref, &text))
                report_text(report, where, subject, "reason", text, d->reason, true);
            free(text);
            text = NULL;
        }
    } else if (strcmp(subject, "target") == 0) {
        char *id = NULL, *scope = NULL, *scope_id = NULL;
        const target_check *found = NULL;
        long c = snapshot_find_community(s, default_community);
        size_t i;
        expected_text(L, f, "id", null_ref, &id);
        expected_text(L, f, "scope", null_ref, &scope);
        expected_text(L, f, "scope_id", null_ref, &scope_id);
        if (scope == NULL)
            scope = strdup("region");
        if (scope_id == NULL && c >= 0) {
            if (strcmp(scope, "region") == 0)
                scope_id = strdup(s->region);
            else if (strcmp(scope, "district") == 0)
                scope_id = strdup(s->communities[c].district);
            else if (strcmp(scope, "street") == 0)
                scope_id = strdup(s->communities[c].street_key);
            else
                scope_id = strdup(s->communities[c].id);
        }
        for (i = 0; id != NULL && scope_id != NULL && i < res->outcome.check_count; i++) {
            const target_check *t = &res->outcome.checks[i];
            if (strcmp(t->target_id, id) == 0 && strcmp(t->scope, scope) == 0 &&
                strcmp(t->scope_id, scope_id) == 0)
                found = t;
        }
        char label[512];
        snprintf(label, sizeof label, "target %s %s %s", id ? id : "?", scope,
                 scope_id ? scope_id : "?");
        if (expected_number(L, f, "present", null_ref, &number, &is_null)) {
            report_number(report, where, label, "present", number, false, found != NULL);
        } else if (found == NULL) {
            report->failures++;
            buffer_printf(&report->text, "  %s: %s: no such target check\n", where, label);
        }
        if (found != NULL) {
            if (expected_number(L, f, "actual", null_ref, &number, &is_null))
                report_number(report, where, label, "actual", number, is_null, found->actual);
            if (expected_number(L, f, "required", null_ref, &number, &is_null))
                report_number(report, where, label, "required", number, is_null, found->required);
            if (expected_number(L, f, "met", null_ref, &number, &is_null))
                report_number(report, where, label, "met", number, is_null, found->met);
        }
        free(id);
        free(scope);
        free(scope_id);
    } else {
        /* An indicator id, optionally "A01@C2" for another community. */
        char id[64];
        const char *at = strchr(subject, '@');
        const char *community_id = at ? at + 1 : default_community;
        long c;
        int i;
        snprintf(id, sizeof id, "%.*s", at ? (int)(at - subject) : (int)strlen(subject), subject);
        i = rules_find_indicator(r, id);
        c = snapshot_find_community(s, community_id);
        if (i < 0 || c < 0) {
            report->failures++;
            buffer_printf(&report->text, "  %s: '%s' is not an indicator of community %s\n", where,
                          subject, community_id);
        } else {
            const indicator_score *score =
                &res->scores[(size_t)c * res->indicator_count + (size_t)i];
            static const char *const names[] = {"ok", "missing", "invalid"};
            if (expected_number(L, f, "value", null_ref, &number, &is_null))
                report_number(report, where, subject, "value", number, is_null, score->value);
            if (expected_number(L, f, "points", null_ref, &number, &is_null))
                report_number(report, where, subject, "points", number, is_null, score->points);
            if (expected_number(L, f, "max", null_ref, &number, &is_null))
                report_number(report, where, subject, "max", number, is_null, score->max_points);
            if (expected_text(L, f, "status", null_ref, &text))
                report_text(report, where, subject, "status", text, names[score->status], false);
            free(text);
        }
    }
    lua_pop(L, 2);
}

/* Runs one case (at the top of the stack). Returns ERROR_OK when it ran
** (passed or failed: see report), an error when it could not run. */
static int run_case(lua_State *L, const rules *r, case_report *report, int null_ref, error *e)
{
    int c = lua_gettop(L);
    char path[] = "/tmp/kaohe-test-XXXXXX";
    char where[512];
    const char *tmpdir = getenv("TMPDIR");
    char template_path[4096];
    session run; /* the pipeline eval runs, on the case's snapshot */
    int fd, status;
    lua_Integer n, i;
    session_init(&run, NULL);
    session_borrow_rules(&run, r);
    lua_getfield(L, c, "file");
    lua_getfield(L, c, "line");
    snprintf(where, sizeof where, "%s:%lld", lua_tostring(L, -2), (long long)lua_tointeger(L, -1));
    lua_pop(L, 2);
    snprintf(template_path, sizeof template_path, "%s/kaohe-test-XXXXXX",
             tmpdir != NULL && *tmpdir ? tmpdir : "/tmp");
    fd = mkstemp(template_path);
    if (fd < 0) {
        fd = mkstemp(path);
        if (fd < 0)
            return error_set(e, ERROR_SYSTEM, "cannot create a temporary file");
        snprintf(template_path, sizeof template_path, "%s", path);
    }
    close(fd);
    status = build_snapshot(L, template_path, where, e);
    if (status != ERROR_OK)
        goto done;
    status = session_snapshot(&run, template_path, NULL, e);
    if (status != ERROR_OK) {
        error_prefix(e, "%s: the case's snapshot", where);
        goto done;
    }
    status = session_params_copy(&run, &r->params, e);
    if (status == ERROR_OK)
        status = apply_case_params(L, c, &run.params, where, e);
    /* No session_invariants(): a case may change one indicator's points
    ** (F01.max = 12) to test it alone; kaohe check holds the whole system
    ** to its invariants. */
    if (status == ERROR_OK)
        status = session_evaluate(&run, e);
    if (status != ERROR_OK)
        goto done;
    lua_getfield(L, c, "subject");
    lua_getfield(L, c, "expects");
    n = (lua_Integer)lua_rawlen(L, -1);
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        check_expectation(L, lua_gettop(L), r, run.snapshot, &run.result, lua_tostring(L, -3),
                          null_ref, report);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
done:
    session_free(&run);
    unlink(template_path);
    return status;
}

int ruletest_run(const rules *r, const ruletest_options *options, FILE *out)
{
    sandbox *sb = NULL;
    rules_sources sources = {0};
    lua_State *L;
    error e;
    int api, null_ref;
    int status;
    long passed = 0, failed = 0;
    lua_Integer n, i;
    error_clear(&e);
    status = rules_read_sources(options->directory, &sources, &e);
    if (status != ERROR_OK)
        goto fail;
    status = sandbox_open(&options->limits, &sb, &e);
    if (status != ERROR_OK)
        goto fail;
    L = sandbox_state(sb);
    status = sandbox_run_prelude(sb, (const char *)ruletest_dsl_lua, ruletest_dsl_lua_len,
                                 "@engine/check/ruletest_dsl.lua", rules_host_open, &e);
    if (status != ERROR_OK)
        goto fail;
    api = lua_gettop(L);
    lua_getfield(L, api, "NULL");
    null_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    status = rules_run_sources(sb, &sources, &e);
    if (status != ERROR_OK)
        goto fail;
    /* From here on only plain data the prelude copied and checked is read
    ** (ruletest_dsl.lua): no metamethod can run, and no read can hit the cap. */
    sandbox_rules_done(sb);
    lua_getfield(L, api, "cases");
    n = (lua_Integer)lua_rawlen(L, -1);
    for (i = 1; i <= n; i++) {
        case_report report;
        const char *name;
        char where[512];
        lua_rawgeti(L, -1, i);
        lua_getfield(L, -1, "name");
        name = lua_tostring(L, -1);
        lua_pop(L, 1);
        if (options->only != NULL && strstr(name, options->only) == NULL) {
            lua_pop(L, 1);
            continue;
        }
        lua_getfield(L, -1, "file");
        lua_getfield(L, -2, "line");
        snprintf(where, sizeof where, "%s:%lld", lua_tostring(L, -2),
                 (long long)lua_tointeger(L, -1));
        lua_pop(L, 2);
        buffer_init(&report.text);
        report.failures = 0;
        status = run_case(L, r, &report, null_ref, &e);
        if (status != ERROR_OK) {
            failed++;
            fprintf(out, "FAIL %s: %s\n  %s\n", where, name, e.message);
        } else if (report.failures > 0) {
            failed++;
            fprintf(out, "FAIL %s: %s\n%s", where, name, buffer_text(&report.text));
        } else {
            passed++;
            if (options->verbose)
                fprintf(out, "ok   %s: %s\n", where, name);
        }
        buffer_free(&report.text);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    fprintf(out, "ruletests: %ld passed, %ld failed\n", passed, failed);
    status = failed > 0 ? ERROR_INPUT : ERROR_OK;
    goto done;
fail:
    fprintf(out, "kaohe test: %s\n", e.message);
done:
    rules_sources_free(&sources);
    sandbox_close(sb);
    return status;
}
