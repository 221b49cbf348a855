/*
** tests/fuzz/fuzz_schema.c — libFuzzer harness: hostile snapshot schemas.
**
** The input is SQL text, run statement by statement on a copy of
** fixtures/small.db: CREATE TABLE / INDEX / VIEW / TRIGGER / VIRTUAL TABLE,
** tables rebuilt with collations, other types, generated columns, WITHOUT
** ROWID, STRICT, no primary key, partial and expression indexes, rows
** changed or repeated, PRAGMA page_size, journal_mode... A statement that
** fails is skipped and the rest go on. The file is written by an ordinary,
** honest connection: defensive mode is on (no writable_schema, so no file
** whose indexes disagree with its tables: only PRAGMA integrity_check would
** see those), ATTACH and VACUUM INTO are refused, and a step budget bounds
** the work.
**
** Then kaohe reads it. snapshot_open() either refuses it (ERROR_INPUT, with a
** message) or accepts it; an accepted snapshot's rows, read through
** snapshot_connect() as kaohe reads them, are copied into the canonical schema
** (snapshot_create_schema()): the same data in snapshot.sql's own form. Both
** are evaluated with the shipped rules and must give the same results.
**
** Oracles (FUZZ_CHECK): snapshot_open() never blames the machine
** (ERROR_SYSTEM) for a file; an accepted snapshot's rows fit snapshot.sql
** (no repeated key, no NULL where it says NOT NULL), its canonical copy is
** accepted too, and the two evaluate alike: the same status, value and
** points for every community and indicator, the same target checks, worker
** appraisals and task decisions; the accepted snapshot's run is written to
** a results file without error; and no file is ever created beside the
** snapshot (-wal, -shm, -journal).
*/
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "eval.h"
#include "fuzz_common.h"
#include "sqlguard.h"
#include "results.h"
#include "rules.h"
#include "snapshot.h"

static rules *shipped;
static char *template_bytes; /* fixtures/small.db */
static size_t template_length;
static char snapshot_path[4096], canonical_path[4096], results_path[4096];

/* The tables of snapshot.sql, in the order their rows are copied. */
static const char *const contract_tables[] = {
    "snapshot_meta", "communities", "workers", "organizations",    "activities", "visits",
    "postings",      "requests",    "tasks",   "survey_responses", "facts"};
#define CONTRACT_TABLES (sizeof contract_tables / sizeof contract_tables[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rules_options options;
    error e;
    char path[4096];
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_schema");
    memset(&options, 0, sizeof options);
    options.directory = fuzz_root();
    options.default_root = fuzz_root();
    error_clear(&e);
    if (rules_load(&options, &shipped, &e) != ERROR_OK || shipped->problem_count > 0) {
        fprintf(stderr, "fuzz_schema: cannot load the shipped rules from %s: %s\n", fuzz_root(),
                e.message);
        abort();
    }
    snprintf(path, sizeof path, "%s/fixtures/small.db", fuzz_root());
    template_bytes = fuzz_read_file(path, &template_length);
    if (template_bytes == NULL) {
        fprintf(stderr, "fuzz_schema: cannot read %s (run make)\n", path);
        abort();
    }
    snprintf(snapshot_path, sizeof snapshot_path, "%s/snapshot.db", fuzz_workdir());
    snprintf(canonical_path, sizeof canonical_path, "%s/canonical.db", fuzz_workdir());
    snprintf(results_path, sizeof results_path, "%s/results.db", fuzz_workdir());
    return 0;
}

/* --- writing the hostile file ------------------------------------------------ */

/* No ATTACH (it would write other files); everything else is allowed. */
static int builder_authorizer(void *user, int action, const char *a, const char *b, const char *c,
                              const char *d)
{
    (void)user;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

/* A budget of virtual-machine steps for all the input's statements. */
static int builder_progress(void *user)
{
    long *left = user;
    return --*left < 0;
}

/* Whether a statement is VACUUM INTO (which writes a new file). */
static bool vacuum_into(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '\r')
        sql++;
    if (strncasecmp(sql, "VACUUM", 6) != 0)
        return false;
    for (; *sql; sql++)
        if (strncasecmp(sql, "INTO", 4) == 0)
            return true;
    return false;
}

static void remove_beside(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char name[4200];
    size_t i;
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

/* Runs the input's statements on a fresh copy of small.db. */
static void build_snapshot(const uint8_t *data, size_t size)
{
    sqlite3 *db = NULL;
    char *text = fuzz_strndup(data, size);
    buffer statement;
    const char *p;
    long budget = 2000000;
    remove_beside(snapshot_path);
    fuzz_write_file(snapshot_path, template_bytes, template_length);
    if (text == NULL || sqlite3_open(snapshot_path, &db) != SQLITE_OK)
        abort();
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_set_authorizer(db, builder_authorizer, NULL);
    sqlite3_progress_handler(db, 100, builder_progress, &budget);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1000000);
    buffer_init(&statement);
    /* Statements end where sqlite3_complete() says (a ';' inside a string
    ** or a trigger body does not end one), as the sqlite3 shell does. */
    for (p = text; *p != '\0' && budget > 0; p++) {
        buffer_append(&statement, p, 1);
        if (*p == ';' && sqlite3_complete(buffer_text(&statement))) {
            if (!vacuum_into(buffer_text(&statement)))
                sqlite3_exec(db, buffer_text(&statement), NULL, NULL, NULL);
            buffer_reset(&statement);
        }
    }
    if (statement.length > 0 && budget > 0 && !vacuum_into(buffer_text(&statement)))
        sqlite3_exec(db, buffer_text(&statement), NULL, NULL, NULL);
    /* A transaction the input left open is rolled back by the close. */
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (buffer_failed(&statement) || sqlite3_close(db) != SQLITE_OK)
        abort();
    buffer_free(&statement);
    free(text);
}

/* --- the canonical copy ------------------------------------------------------ */

/* Copies one table's rows, column by column as kaohe reads them, into the
** canonical schema. Returns NULL, or why a row did not fit (static text). */
static const char *copy_table(sqlite3 *from, sqlite3 *to, const char *table)
{
    static char why[512];
    sqlite3_stmt *columns = NULL, *select = NULL, *insert = NULL;
    buffer names, marks, sql;
    int count = 0, i, rc;
    const char *failure = NULL;
    buffer_init(&names);
    buffer_init(&marks);
    buffer_init(&sql);
    if (sqlite3_prepare_v2(to, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &columns,
                           NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_text(columns, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(columns) == SQLITE_ROW) {
        buffer_printf(&names, "%s\"%s\"", count ? ", " : "", sqlite3_column_text(columns, 0));
        buffer_printf(&marks, "%s?%d", count ? ", " : "", count + 1);
        count++;
    }
    buffer_printf(&sql, "SELECT %s FROM main.\"%s\"", buffer_text(&names), table);
    if (sqlite3_prepare_v2(from, buffer_text(&sql), -1, &select, NULL) != SQLITE_OK) {
        snprintf(why, sizeof why, "%s cannot be read: %s", table, sqlite3_errmsg(from));
        failure = why;
        goto done;
    }
    buffer_reset(&sql);
    buffer_printf(&sql, "INSERT INTO \"%s\" (%s) VALUES (%s)", table, buffer_text(&names),
                  buffer_text(&marks));
    if (sqlite3_prepare_v2(to, buffer_text(&sql), -1, &insert, NULL) != SQLITE_OK)
        abort();
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        for (i = 0; i < count; i++)
            sqlite3_bind_value(insert, i + 1, sqlite3_column_value(select, i));
        if (sqlite3_step(insert) != SQLITE_DONE) {
            snprintf(why, sizeof why, "a row of %s does not fit snapshot.sql: %s", table,
                     sqlite3_errmsg(to));
            failure = why;
            goto done;
        }
        sqlite3_reset(insert);
    }
    if (rc != SQLITE_DONE) {
        snprintf(why, sizeof why, "%s cannot be read: %s", table, sqlite3_errmsg(from));
        failure = why;
    }
done:
    sqlite3_finalize(columns);
    sqlite3_finalize(select);
    sqlite3_finalize(insert);
    buffer_free(&names);
    buffer_free(&marks);
    buffer_free(&sql);
    return failure;
}

/* Writes canonical.db from the accepted snapshot; NULL or why it failed. */
static const char *build_canonical(void)
{
    sqlite3 *from = NULL, *to = NULL;
    const char *failure = NULL;
    error e;
    size_t t;
    unlink(canonical_path);
    remove_beside(canonical_path);
    error_clear(&e);
    if (snapshot_connect(snapshot_path, &from) != SQLITE_OK ||
        sqlite3_open(canonical_path, &to) != SQLITE_OK ||
        snapshot_create_schema(to, &e) != ERROR_OK)
        abort();
    sqlite3_exec(to, "BEGIN", NULL, NULL, NULL);
    for (t = 0; t < CONTRACT_TABLES && failure == NULL; t++)
        failure = copy_table(from, to, contract_tables[t]);
    if (sqlite3_exec(to, "COMMIT", NULL, NULL, NULL) != SQLITE_OK && failure == NULL)
        failure = sqlite3_errmsg(to);
    sqlite3_close(from);
    sqlite3_close(to);
    return failure;
}

/* --- evaluating and comparing ------------------------------------------------ */

typedef struct run {
    snapshot *s;
    params ps;
    eval_data data;
    eval_result result;
    int status;
    error e;
} run;

static void run_eval(run *r, const char *path, bool two_jobs)
{
    eval_options options;
    memset(r, 0, sizeof *r);
    error_clear(&r->e);
    r->status = snapshot_open_threads(path, 1, &r->s, &r->e);
    if (r->status != ERROR_OK)
        return;
    if (params_copy(&r->ps, &shipped->params, &r->e) != ERROR_OK)
        abort();
    memset(&options, 0, sizeof options);
    options.jobs = two_jobs ? 2 : 1;
    r->status = eval_load(shipped, r->s, &r->ps, &options, &r->data, &r->e);
    if (r->status == ERROR_OK)
        r->status = eval_score(&r->data, &r->ps, &r->result, &r->e);
}

static void run_free(run *r)
{
    eval_result_free(&r->result);
    eval_data_free(&r->data);
    params_free(&r->ps);
    snapshot_close(r->s);
}

static bool same_number(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * (1 + fabs(a));
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The hostile snapshot's results against its canonical copy's. */
static void compare(const run *x, const run *y)
{
    const eval_result *a = &x->result, *b = &y->result;
    const outcome *p = &a->outcome, *q = &b->outcome;
    size_t c, i, n = x->s->community_count, m = shipped->indicator_count;
    FUZZ_CHECK(n == y->s->community_count, "%zu communities, %zu in the canonical copy", n,
               y->s->community_count);
    for (c = 0; c < n; c++) {
        FUZZ_CHECK(strcmp(x->s->communities[c].id, y->s->communities[c].id) == 0,
                   "community %zu is '%s', '%s' in the canonical copy", c, x->s->communities[c].id,
                   y->s->communities[c].id);
        for (i = 0; i < m; i++) {
            const indicator_score *u = &a->scores[c * m + i], *v = &b->scores[c * m + i];
            FUZZ_CHECK(u->status == v->status && same_number(u->value, v->value) &&
                           same_number(u->points, v->points),
                       "community %s indicator %s: status %d value %.17g points %.17g, "
                       "canonical copy: status %d value %.17g points %.17g",
                       x->s->communities[c].id, shipped->indicators[i].id, u->status, u->value,
                       u->points, v->status, v->value, v->points);
        }
    }
    FUZZ_CHECK(p->check_count == q->check_count, "%zu target checks, %zu in the canonical copy",
               p->check_count, q->check_count);
    for (i = 0; i < p->check_count; i++)
        FUZZ_CHECK(same_text(p->checks[i].target_id, q->checks[i].target_id) &&
                       same_text(p->checks[i].scope_id, q->checks[i].scope_id) &&
                       p->checks[i].met == q->checks[i].met &&
                       same_number(p->checks[i].actual, q->checks[i].actual),
                   "target %s %s: met %d actual %.17g, canonical copy: %s %s met %d actual %.17g",
                   p->checks[i].target_id, p->checks[i].scope_id, p->checks[i].met,
                   p->checks[i].actual, q->checks[i].target_id, q->checks[i].scope_id,
                   q->checks[i].met, q->checks[i].actual);
    FUZZ_CHECK(p->appraisal_count == q->appraisal_count,
               "%zu appraisals, %zu in the canonical copy", p->appraisal_count, q->appraisal_count);
    for (i = 0; i < p->appraisal_count; i++)
        FUZZ_CHECK(same_text(p->appraisals[i].worker_id, q->appraisals[i].worker_id) &&
                       same_text(p->appraisals[i].flag, q->appraisals[i].flag) &&
                       p->appraisals[i].rank == q->appraisals[i].rank &&
                       same_number(p->appraisals[i].score, q->appraisals[i].score),
                   "worker %s: flag %s rank %d, canonical copy: %s flag %s rank %d",
                   p->appraisals[i].worker_id, p->appraisals[i].flag ? p->appraisals[i].flag : "-",
                   p->appraisals[i].rank, q->appraisals[i].worker_id,
                   q->appraisals[i].flag ? q->appraisals[i].flag : "-", q->appraisals[i].rank);
    FUZZ_CHECK(p->decision_count == q->decision_count, "%zu decisions, %zu in the canonical copy",
               p->decision_count, q->decision_count);
    for (i = 0; i < p->decision_count; i++)
        FUZZ_CHECK(same_text(p->decisions[i].task_id, q->decisions[i].task_id) &&
                       same_text(p->decisions[i].decision, q->decisions[i].decision) &&
                       same_text(p->decisions[i].rule_id, q->decisions[i].rule_id),
                   "task %s: %s, canonical copy: %s %s", p->decisions[i].task_id,
                   p->decisions[i].decision, q->decisions[i].task_id, q->decisions[i].decision);
}

/* Whether anything exists beside `path` (-wal, -shm or -journal). */
static const char *created_beside(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    static char name[4200];
    struct stat st;
    size_t i;
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        if (stat(name, &st) == 0)
            return name;
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run hostile, canonical;
    const char *failure;
    bool verbose = getenv("FUZZ_VERBOSE") != NULL;
    build_snapshot(data, size);
    /* The builder's own files are gone once it closed; kaohe adds none. */
    FUZZ_CHECK(created_beside(snapshot_path) == NULL, "%s exists before kaohe ran",
               created_beside(snapshot_path));
    run_eval(&hostile, snapshot_path, size % 2 == 1);
    if (verbose) {
        char copy[8500];
        snprintf(copy, sizeof copy, "cp %s %s.kept", snapshot_path, getenv("FUZZ_VERBOSE"));
        fprintf(stderr, "hostile snapshot: status %d %s (copy: %s.kept)\n", hostile.status,
                hostile.e.message, getenv("FUZZ_VERBOSE"));
        fflush(stderr);
        if (system(copy) != 0)
            fprintf(stderr, "cannot keep the snapshot\n");
    }
    FUZZ_CHECK(created_beside(snapshot_path) == NULL, "kaohe created %s",
               created_beside(snapshot_path));
    FUZZ_CHECK(hostile.status == ERROR_OK || hostile.status == ERROR_INPUT,
               "the hostile snapshot gave status %d: %s", hostile.status, hostile.e.message);
    FUZZ_CHECK(hostile.status == ERROR_OK || hostile.e.message[0] != '\0',
               "refused without a message");
    if (hostile.s == NULL) { /* refused when opened: nothing more to compare */
        run_free(&hostile);
        return 0;
    }
    failure = build_canonical();
    FUZZ_CHECK(failure == NULL, "accepted, but %s", failure);
    run_eval(&canonical, canonical_path, false);
    FUZZ_CHECK(canonical.s != NULL, "accepted, but its canonical copy is refused: %s",
               canonical.e.message);
    /* The same rows in snapshot.sql's own form: a refusal or a result that
    ** the form alone changed is the bug this harness looks for. */
    FUZZ_CHECK(hostile.status == canonical.status, "status %d (%s), canonical copy status %d (%s)",
               hostile.status, hostile.e.message, canonical.status, canonical.e.message);
    if (hostile.status == ERROR_OK) {
        results_run written;
        long long run_id = 0;
        error e;
        compare(&hostile, &canonical);
        memset(&written, 0, sizeof written);
        written.run.rules = shipped;
        written.run.snapshot = hostile.s;
        written.run.params = &hostile.ps;
        written.run.result = &hostile.result;
        written.started_at = "2025-01-01T00:00:00Z";
        written.kind = "eval";
        unlink(results_path);
        error_clear(&e);
        FUZZ_CHECK(results_append(results_path, &written, 1, &run_id, &e) == ERROR_OK,
                   "results_append: %s", e.message);
    }
    run_free(&hostile);
    run_free(&canonical);
    return 0;
}
