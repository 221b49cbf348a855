/*
** results.c — the results writer of results.h.
*/
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "outcome.h"
#include "results_schema.h"

const char results_engine_version[] = "kaohe 0.1.0";

/* How long a writer waits for another process's transaction. */
#define BUSY_TIMEOUT_MS 60000

void results_timestamp(char out[32])
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* Status for an SQLite failure while writing: disk and I/O are the
** machine's fault, a locked or read-only file the user's. */
static int write_failure(sqlite3 *db, const char *path, const char *what, error *e)
{
    int rc = sqlite3_errcode(db);
    int status =
        (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_NOMEM
            ? ERROR_SYSTEM
            : ERROR_INPUT;
    return error_set(e, status, "%s: cannot write %s: %s (nothing was written)", path, what,
                     sqlite3_errmsg(db));
}

static void bind_real_or_null(sqlite3_stmt *statement, int slot, double x)
{
    if (isnan(x))
        sqlite3_bind_null(statement, slot);
    else
        sqlite3_bind_double(statement, slot, x);
}

static void bind_text_or_null(sqlite3_stmt *statement, int slot, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(statement, slot);
    else
        sqlite3_bind_text(statement, slot, text, -1, SQLITE_STATIC);
}

/* Runs a prepared insert and resets it; false on failure. */
static int step_insert(sqlite3_stmt *statement)
{
    int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    return rc == SQLITE_DONE;
}

static const char *status_name(unsigned char status)
{
    return status == STATUS_OK ? "ok" : status == STATUS_MISSING ? "missing" : "invalid";
}

/* Writes one run's rows; the transaction is the caller's. */
static int write_run(sqlite3 *db, const char *path, const results_run *run, long long baseline,
                     long long *run_id, error *e)
{
    static const char *const sql[] = {
        "INSERT INTO runs (started_at, finished_at, engine_version, snapshot_sha256, "
        "rules_sha256, as_of, params, region, snapshot_path, rules_root, kind, scenario, "
        "baseline_run_id, communities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14)",
        "INSERT INTO indicator_scores (run_id, community_id, indicator_id, value, points, "
        "max_points, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO community_scores (run_id, community_id, total, stars, rank) VALUES (?1, ?2, "
        "?3, ?4, ?5)",
        "INSERT INTO category_scores (run_id, community_id, category_id, points, max_points) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        "INSERT INTO target_checks (run_id, target_id, scope, scope_id, required, actual, met) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO worker_appraisals (run_id, worker_id, community_id, score, rank, flag) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        "INSERT INTO task_decisions (run_id, task_id, decision, rule_id, reason) VALUES (?1, ?2, "
        "?3, ?4, ?5)",
        "INSERT INTO department_stats (run_id, department, tasks, admitted, rejected, review) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        "INSERT INTO run_communities (run_id, community_id, name, district, street) VALUES (?1, "
        "?2, ?3, ?4, ?5)",
        "INSERT INTO run_indicators (run_id, indicator_id, name, category_id, unit, max_points, "
        "source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO run_categories (run_id, category_id, name, max_points) VALUES (?1, ?2, ?3, "
        "?4)",
        "INSERT INTO run_targets (run_id, target_id, name, measure, unit, source) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6)",
    };
    enum {
        RUN,
        INDICATOR,
        COMMUNITY,
        CATEGORY,
        TARGET,
        WORKER,
        TASK,
        DEPARTMENT,
        RUN_COMMUNITY,
        RUN_INDICATOR,
        RUN_CATEGORY,
        RUN_TARGET,
        STATEMENTS
    };
    sqlite3_stmt *statements[STATEMENTS] = {NULL};
    const rules *r = run->rules;
    const snapshot *s = run->snapshot;
    const eval_result *scores = run->scores;
    const outcome *o = run->outcome;
    char *params_json = NULL;
    char finished[32];
    char snapshot_real[PATH_MAX], rules_real[PATH_MAX];
    size_t i, c;
    long long id;
    int status = ERROR_OK;
    for (i = 0; i < STATEMENTS; i++) {
        if (sqlite3_prepare_v2(db, sql[i], -1, &statements[i], NULL) != SQLITE_OK) {
            status = write_failure(db, path, "the results", e);
            goto done;
        }
    }
    params_json = params_to_json(run->params);
    if (params_json == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory writing parameters");
        goto done;
    }
    results_timestamp(finished);
    sqlite3_bind_text(statements[RUN], 1, run->started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 2, finished, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 3, results_engine_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 4, s->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 5, r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 6, s->as_of, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 7, params_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 8, s->region, -1, SQLITE_STATIC);
    /* Absolute paths, so `kaohe verify` finds the files from anywhere. */
    sqlite3_bind_text(statements[RUN], 9,
                      realpath(s->path, snapshot_real) ? snapshot_real : s->path, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(statements[RUN], 10, realpath(r->root, rules_real) ? rules_real : r->root, -1,
                      SQLITE_STATIC);
    bind_text_or_null(statements[RUN], 11, run->kind ? run->kind : "eval");
    bind_text_or_null(statements[RUN], 12, run->scenario);
    if (baseline > 0)
        sqlite3_bind_int64(statements[RUN], 13, baseline);
    sqlite3_bind_int64(statements[RUN], 14, (sqlite3_int64)s->community_count);
    if (!step_insert(statements[RUN])) {
        status = write_failure(db, path, "the run", e);
        goto done;
    }
    id = sqlite3_last_insert_rowid(db);
    for (c = 0; scores != NULL && c < s->community_count; c++) {
        const char *community_id = s->communities[c].id;
        for (i = 0; i < scores->indicator_count; i++) {
            const indicator_score *score = &scores->scores[c * scores->indicator_count + i];
            sqlite3_stmt *st = statements[INDICATOR];
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, community_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, r->indicators[i].id, -1, SQLITE_STATIC);
            bind_real_or_null(st, 4, score->value);
            sqlite3_bind_double(st, 5, score->points);
            sqlite3_bind_double(st, 6, score->max_points);
            sqlite3_bind_text(st, 7, status_name(score->status), -1, SQLITE_STATIC);
            if (!step_insert(st)) {
                status = write_failure(db, path, "indicator scores", e);
                goto done;
            }
        }
        sqlite3_bind_int64(statements[COMMUNITY], 1, id);
        sqlite3_bind_text(statements[COMMUNITY], 2, community_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(statements[COMMUNITY], 3, scores->totals[c]);
        sqlite3_bind_int(statements[COMMUNITY], 4, scores->stars[c]);
        sqlite3_bind_int(statements[COMMUNITY], 5, scores->ranks[c]);
        if (!step_insert(statements[COMMUNITY])) {
            status = write_failure(db, path, "community scores", e);
            goto done;
        }
        for (i = 0; i < scores->category_count; i++) {
            sqlite3_stmt *st = statements[CATEGORY];
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, community_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, r->categories[i].id, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 4, scores->category_points[c * scores->category_count + i]);
            sqlite3_bind_double(st, 5, scores->category_max[i]);
            if (!step_insert(st)) {
                status = write_failure(db, path, "category scores", e);
                goto done;
            }
        }
    }
    for (i = 0; o != NULL && i < o->check_count; i++) {
        const target_check *t = &o->checks[i];
        sqlite3_stmt *st = statements[TARGET];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, t->target_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->scope_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, t->required);
        bind_real_or_null(st, 6, t->actual);
        sqlite3_bind_int(st, 7, t->met);
        if (!step_insert(st)) {
            status = write_failure(db, path, "target checks", e);
            goto done;
        }
    }
    for (i = 0; o != NULL && i < o->appraisal_count; i++) {
        const worker_appraisal *w = &o->appraisals[i];
        sqlite3_stmt *st = statements[WORKER];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, w->worker_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w->community_id, -1, SQLITE_STATIC);
        bind_real_or_null(st, 4, w->score);
        if (w->rank > 0)
            sqlite3_bind_int(st, 5, w->rank);
        bind_text_or_null(st, 6, w->flag);
        if (!step_insert(st)) {
            status = write_failure(db, path, "worker appraisals", e);
            goto done;
        }
    }
    for (i = 0; o != NULL && i < o->decision_count; i++) {
        const task_decision *d = &o->decisions[i];
        sqlite3_stmt *st = statements[TASK];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, d->task_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, d->decision, -1, SQLITE_STATIC);
        bind_text_or_null(st, 4, d->rule_id);
        sqlite3_bind_text(st, 5, d->reason, -1, SQLITE_STATIC);
        if (!step_insert(st)) {
            status = write_failure(db, path, "task decisions", e);
            goto done;
        }
    }
    for (i = 0; o != NULL && i < o->department_count; i++) {
        const department_stat *d = &o->departments[i];
        sqlite3_stmt *st = statements[DEPARTMENT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, d->department, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, d->tasks);
        sqlite3_bind_int64(st, 4, d->admitted);
        sqlite3_bind_int64(st, 5, d->rejected);
        sqlite3_bind_int64(st, 6, d->review);
        if (!step_insert(st)) {
            status = write_failure(db, path, "department statistics", e);
            goto done;
        }
    }
    /* What the ids mean, so reports need only the results file. */
    for (c = 0; c < s->community_count; c++) {
        sqlite3_stmt *st = statements[RUN_COMMUNITY];
        const community *cm = &s->communities[c];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, cm->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, cm->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, cm->district, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, cm->street, -1, SQLITE_STATIC);
        if (!step_insert(st)) {
            status = write_failure(db, path, "communities", e);
            goto done;
        }
    }
    for (i = 0; scores != NULL && i < r->indicator_count; i++) {
        sqlite3_stmt *st = statements[RUN_INDICATOR];
        const indicator *ind = &r->indicators[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, ind->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ind->name ? ind->name : ind->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, ind->category ? ind->category : "", -1, SQLITE_STATIC);
        bind_text_or_null(st, 5, ind->unit);
        sqlite3_bind_double(st, 6, s->community_count > 0 ? scores->scores[i].max_points : 0);
        bind_text_or_null(st, 7, ind->source);
        if (!step_insert(st)) {
            status = write_failure(db, path, "indicators", e);
            goto done;
        }
    }
    for (i = 0; scores != NULL && i < r->category_count; i++) {
        sqlite3_stmt *st = statements[RUN_CATEGORY];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, r->categories[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->categories[i].name ? r->categories[i].name : "", -1,
                          SQLITE_STATIC);
        sqlite3_bind_double(st, 4, scores->category_max[i]);
        if (!step_insert(st)) {
            status = write_failure(db, path, "categories", e);
            goto done;
        }
    }
    for (i = 0; i < r->target_count; i++) {
        sqlite3_stmt *st = statements[RUN_TARGET];
        const target_rule *t = &r->targets[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->name ? t->name : t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->count ? "count" : "ratio", -1, SQLITE_STATIC);
        bind_text_or_null(st, 5, t->unit);
        bind_text_or_null(st, 6, t->source);
        if (!step_insert(st)) {
            status = write_failure(db, path, "targets", e);
            goto done;
        }
    }
    *run_id = id;
done:
    for (i = 0; i < STATEMENTS; i++)
        sqlite3_finalize(statements[i]);
    free(params_json);
    return status;
}

/* Runs a statement that sets the connection up for writing. */
static int setup(sqlite3 *db, const char *sql, const char *path, error *e)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return write_failure(db, path, "(cannot set up the connection)", e);
    return ERROR_OK;
}

int results_write(sqlite3 *db, const char *path, const results_run *runs, size_t count,
                  long long *run_ids, error *e)
{
    bool empty = false, in_transaction = false;
    size_t i;
    int status;
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    status = results_schema_configure(db, e);
    if (status == ERROR_OK)
        status = setup(db, "PRAGMA synchronous = FULL", path, e);
    /* A run is hundreds of thousands of rows: a bigger page cache (16 MB at
    ** most, only what is used) spills fewer pages to the file before the
    ** commit, within the memory budget of a national run. */
    if (status == ERROR_OK)
        status = setup(db, "PRAGMA cache_size = -16384", path, e);
    if (status != ERROR_OK)
        goto done;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        status = write_failure(db, path, "(cannot start a transaction)", e);
        goto done;
    }
    in_transaction = true;
    /* Before anything is written: what the file holds must not act on it. */
    status = results_schema_check(db, "main", path, "nothing was written", &empty, e);
    if (status == ERROR_OK)
        status = results_schema_complete(db, path, empty, e);
    for (i = 0; status == ERROR_OK && i < count; i++) {
        long long baseline =
            runs[i].baseline_run == -1 && i > 0 ? run_ids[i - 1] : runs[i].baseline_run;
        status = write_run(db, path, &runs[i], baseline, &run_ids[i], e);
    }
    if (status != ERROR_OK)
        goto done;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        status = write_failure(db, path, "(commit failed)", e);
        goto done;
    }
    in_transaction = false;
done:
    if (in_transaction)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

/* --- what --out names ------------------------------------------------------ */

/* What an --out path is, when it can be written to. */
typedef enum {
    OUT_ABSENT,  /* nothing there: a new file is built under a temporary name */
    OUT_EMPTY,   /* an empty regular file: filled in place, in one transaction */
    OUT_DATABASE /* an SQLite database kaohe may append to (schema still unchecked) */
} out_kind;

/* What a file that is not regular nor a folder is, for a message. */
static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO (named pipe)"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* Says what `path` is; ERROR_INPUT with a message naming what was found for
** anything kaohe will not write to. */
static int classify_out(const char *path, out_kind *kind, error *e)
{
    struct stat st;
    size_t length = strlen(path);
    if (length == 0)
        return error_set(e, ERROR_USAGE, "--out names no file");
    if (path[length - 1] == '/')
        return error_set(e, ERROR_INPUT,
                         "%s: names a folder; give the results file's own name (such as "
                         "%sresults.db)",
                         path, path);
    if (stat(path, &st) != 0) {
        int err = errno;
        struct stat link;
        if (err == ENOENT && lstat(path, &link) == 0 && S_ISLNK(link.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(path, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            return error_set(e, ERROR_INPUT,
                             "%s: a symbolic link to %s, which does not exist; kaohe does not "
                             "create results files through a link (the file would appear "
                             "somewhere --out does not name): give the path of the file itself, "
                             "or remove the link",
                             path, target[0] != '\0' ? target : "(unreadable)");
        }
        if (err == ENOENT) {
            *kind = OUT_ABSENT;
            return ERROR_OK;
        }
        return error_set(e, error_errno_status(err, ERROR_INPUT),
                         "%s: cannot be used as the results file: %s", path, error_errno_text(err));
    }
    if (S_ISDIR(st.st_mode))
        return error_set(e, ERROR_INPUT,
                         "%s: a folder, not a results file; give a file name inside it (such as "
                         "%s/results.db)",
                         path, path);
    if (!S_ISREG(st.st_mode))
        return error_set(e, ERROR_INPUT, "%s: %s, not a results file; results go to a regular file",
                         path, file_kind(st.st_mode));
    /* SQLite reads an empty file as an empty database: it is filled in
    ** place, as if it were new (SQLite's journal makes that one
    ** transaction, and the file keeps its owner, mode and links). */
    if (st.st_size == 0) {
        *kind = OUT_EMPTY;
        return ERROR_OK;
    }
    *kind = OUT_DATABASE;
    return results_schema_check_file(path, e);
}

/* The folder of `path` (whose last '/' is `slash`, or NULL) into `out`. */
static void folder_of(const char *path, const char *slash, char *out, size_t size)
{
    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Checks that a new file can be made in the folder of `path`. */
static int check_folder(const char *path, error *e)
{
    char directory[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct stat st;
    folder_of(path, slash, directory, sizeof directory);
    if (stat(directory, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set(e, ERROR_INPUT,
                         "%s: cannot create the results file: there is no folder %s", path,
                         directory);
    if (access(directory, W_OK | X_OK) != 0)
        return error_set(e, error_errno_status(errno, ERROR_INPUT),
                         "%s: cannot create the results file in folder %s: %s", path, directory,
                         error_errno_text(errno));
    return ERROR_OK;
}

int results_check_out(const char *path, error *e)
{
    sqlite3 *db = NULL;
    out_kind kind;
    bool empty;
    int status = classify_out(path, &kind, e);
    if (status != ERROR_OK || kind == OUT_EMPTY)
        return status;
    if (kind == OUT_ABSENT)
        return check_folder(path, e);
    /* Read-write, as the writer will open it: a journal left by a killed
    ** writer is rolled back here as it would be there. Nothing is written. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return ERROR_OK; /* the writer says why, with the run in hand */
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    status = results_schema_configure(db, e);
    if (status == ERROR_OK && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
        status = results_schema_check(db, "main", path, "refused before evaluating", &empty, e);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return status;
}

/* --- temporary files ---------------------------------------------------------
**
** A new results file is built as RESULTS.tmp-PID and published with link(),
** which never replaces a file another process made meanwhile. Its creator
** holds an flock() on it from creation until it is unlinked; a process
** killed on the way leaves it (and its -journal) behind. Each writer of
** RESULTS removes the temporaries of RESULTS whose process is gone and
** whose lock is free, so a live creator is never disturbed: not by PID
** alone (a PID may belong to another PID namespace or be reused), not by the
** lock alone (a file is created before it is locked). flock() and SQLite's
** fcntl() locks do not interfere on Linux. */

/* True when no process `pid` exists (in this PID namespace). */
static bool process_gone(long pid)
{
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes `name` (a temporary of a process `pid`) and its journal when the
** process is gone and nobody holds its lock. */
static void remove_if_stale(const char *name, long pid)
{
    struct stat held, there;
    char journal[PATH_MAX + 64];
    int fd = open(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fstat(fd, &held) == 0 && S_ISREG(held.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        process_gone(pid) && lstat(name, &there) == 0 && there.st_ino == held.st_ino &&
        there.st_dev == held.st_dev) {
        snprintf(journal, sizeof journal, "%s-journal", name);
        unlink(journal); /* first: a journal without its database is never hot */
        unlink(name);
    }
    close(fd);
}

/* Removes what killed creators of `path` left behind; best effort (a file
** that cannot be removed now is removed by a later run). */
static void clean_stale_temporaries(const char *path)
{
    char directory[PATH_MAX], name[PATH_MAX + 64];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t base_length = strlen(base);
    struct dirent *entry;
    DIR *folder;
    folder_of(path, slash, directory, sizeof directory);
    folder = opendir(directory);
    if (folder == NULL)
        return;
    while ((entry = readdir(folder)) != NULL) {
        const char *rest;
        char *end;
        long pid;
        struct stat st;
        if (strncmp(entry->d_name, base, base_length) != 0 ||
            strncmp(entry->d_name + base_length, ".tmp-", 5) != 0)
            continue;
        rest = entry->d_name + base_length + 5;
        if (*rest < '1' || *rest > '9')
            continue;
        errno = 0;
        pid = strtol(rest, &end, 10);
        if (errno != 0 || pid <= 0 || pid != (long)(pid_t)pid || pid == (long)getpid())
            continue;
        snprintf(name, sizeof name, "%s/%.*s", directory, (int)(end - entry->d_name),
                 entry->d_name);
        if (*end == '\0')
            remove_if_stale(name, pid);
        else if (strcmp(end, "-journal") == 0 && lstat(name, &st) != 0 && errno == ENOENT &&
                 process_gone(pid)) {
            /* A journal whose database is gone: nothing can use it. */
            snprintf(name, sizeof name, "%s/%s", directory, entry->d_name);
            unlink(name);
        }
    }
    closedir(folder);
}

/* Creates the empty file `temporary` for `path` and locks it; *lock_fd keeps
** the lock until it is closed. */
static int create_temporary(const char *path, const char *temporary, int *lock_fd, error *e)
{
    char journal[PATH_MAX + 64];
    int attempt;
    snprintf(journal, sizeof journal, "%s-journal", temporary);
    for (attempt = 0; attempt < 3; attempt++) {
        struct stat mine, there;
        int fd, err;
        /* A file of this name had this PID: a dead process's, unless a
        ** process of another PID namespace (a container sharing the
        ** folder) holds its lock now. */
        fd = open(temporary, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            close(fd);
            return error_set(e, ERROR_INPUT,
                             "%s: another process holds the temporary file %s (one with the "
                             "same process id, in another container?); run again",
                             path, temporary);
        }
        unlink(journal);
        unlink(temporary);
        if (fd >= 0)
            close(fd);
        fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            char directory[PATH_MAX];
            const char *slash = strrchr(path, '/');
            err = errno;
            if (err == EEXIST)
                continue;
            snprintf(directory, sizeof directory, "%.*s", slash != NULL ? (int)(slash - path) : 1,
                     slash != NULL ? path : ".");
            if (err == ENOENT || err == ENOTDIR)
                return error_set(e, ERROR_INPUT,
                                 "%s: cannot create the results file: there is no folder %s", path,
                                 directory[0] != '\0' ? directory : "/");
            return error_set(e, error_errno_status(err, ERROR_INPUT),
                             "%s: cannot create the results file in folder %s: %s", path,
                             directory[0] != '\0' ? directory : "/", error_errno_text(err));
        }
        if (flock(fd, LOCK_EX) != 0) {
            err = errno;
            close(fd);
            unlink(temporary);
            return error_set(e, ERROR_SYSTEM, "%s: cannot lock the temporary file %s: %s", path,
                             temporary, error_errno_text(err));
        }
        /* Another writer may have taken the unlocked file for a killed
        ** process's and removed it before the lock: then make it again. */
        if (fstat(fd, &mine) == 0 && lstat(temporary, &there) == 0 && mine.st_ino == there.st_ino &&
            mine.st_dev == there.st_dev) {
            *lock_fd = fd;
            return ERROR_OK;
        }
        close(fd);
    }
    return error_set(e, ERROR_SYSTEM,
                     "%s: cannot create the temporary file %s: another process keeps replacing it",
                     path, temporary);
}

/* --- appending ---------------------------------------------------------------- */

/* One attempt; *raced is set when a new file was created by another
** process meanwhile (the caller then appends to that file). */
static int results_append_once(const char *path, const results_run *runs, size_t count,
                               long long *run_ids, bool *raced, error *e)
{
    sqlite3 *db = NULL;
    buffer temporary;
    out_kind kind;
    const char *target = path;
    int lock_fd = -1;
    int status, rc;
    buffer_init(&temporary);
    status = classify_out(path, &kind, e);
    if (status != ERROR_OK)
        goto done;
    clean_stale_temporaries(path);
    if (kind == OUT_ABSENT) {
        buffer_printf(&temporary, "%s.tmp-%ld", path, (long)getpid());
        if (buffer_failed(&temporary)) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        target = buffer_text(&temporary);
        status = create_temporary(path, target, &lock_fd, e);
        if (status != ERROR_OK) {
            temporary.length = 0; /* nothing of ours to remove */
            goto done;
        }
    }
    /* Never SQLITE_OPEN_CREATE: the file exists (ours, or the user's);
    ** if it vanished meanwhile, SQLite must not make a new one in place. */
    rc = sqlite3_open_v2(target, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        status =
            error_set(e, error_sqlite_status(rc, ERROR_INPUT), "%s: cannot open for writing: %s",
                      path, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }
    status = results_write(db, path, runs, count, run_ids, e);
    if (status != ERROR_OK)
        goto done;
    rc = sqlite3_close(db);
    db = NULL;
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "%s: cannot close: %s", path, sqlite3_errstr(rc));
        goto done;
    }
    /* link() publishes the new file only if none appeared meanwhile: two
    ** processes creating the same results file must not lose a run. */
    if (kind == OUT_ABSENT && link(target, path) != 0) {
        if (errno == EEXIST) {
            *raced = true;
            status = error_set(e, ERROR_INPUT,
                               "%s: another process created it while this run was being "
                               "written, twice in a row; run again",
                               path);
        } else {
            status = error_set(e, error_errno_status(errno, ERROR_SYSTEM),
                               "%s: cannot move the new results file into place: %s", path,
                               error_errno_text(errno));
        }
        goto done;
    }
done:
    sqlite3_close(db);
    /* Whether published or not, the temporary name goes, then its lock. */
    if (temporary.length > 0) {
        buffer journal;
        buffer_init(&journal);
        buffer_printf(&journal, "%s-journal", buffer_text(&temporary));
        if (!buffer_failed(&journal))
            unlink(buffer_text(&journal));
        unlink(buffer_text(&temporary));
        buffer_free(&journal);
    }
    if (lock_fd >= 0)
        close(lock_fd);
    buffer_free(&temporary);
    return status;
}

int results_append(const char *path, const results_run *runs, size_t count, long long *run_ids,
                   error *e)
{
    bool raced = false;
    int status = results_append_once(path, runs, count, run_ids, &raced, e);
    if (raced) {
        raced = false;
        error_clear(e);
        status = results_append_once(path, runs, count, run_ids, &raced, e);
    }
    return status;
}
