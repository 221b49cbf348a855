/*
** cli.c — command implementations (cli.h). Each command loads what it needs
** through the library modules, prints its output on stdout and its messages
** on stderr ("kaohe: ..."), and returns an exit status.
*/
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "admit.h"
#include "eval.h"
#include "explain.h"
#include "gen.h"
#include "export.h"
#include "report.h"
#include "import.h"
#include "jsontext.h"
#include "progress.h"
#include "outcome.h"
#include "params.h"
#include "results.h"
#include "ruletest.h"
#include "scenario.h"
#include "whatif.h"
#include "rules.h"
#include "snapshot.h"
#include "text.h"
#include "verify.h"

static double elapsed_ms(const struct timespec *start);
static long peak_rss_kb(void);

static void print_error(const error *e)
{
    /* A status returned without error_set leaves the message empty. */
    fprintf(stderr, "kaohe: %s\n",
            e->message[0] != '\0' ? e->message : error_fallback_text(e->status));
}

static bool has_rule_tree(const char *directory)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/indicators", directory);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    snprintf(path, sizeof path, "%s/rules", directory);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_default_root(const char *program)
{
    static char root[PATH_MAX];
    char executable[PATH_MAX];
    const char *home = getenv("KAOHE_HOME");
    ssize_t n;
    int level;
    (void)program;
    if (home != NULL && *home != '\0')
        return home;
    n = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (n > 0) {
        executable[n] = '\0';
        for (level = 0; level < 4; level++) {
            char *slash = strrchr(executable, '/');
            if (slash == NULL)
                break;
            *slash = '\0';
            if (has_rule_tree(executable)) {
                snprintf(root, sizeof root, "%s", executable);
                return root;
            }
        }
    }
    return ".";
}

/* Loads the rule tree chosen by --rules / --profile. */
/* The rule sandbox's limits from --rule-*: one home for every command. */
static sandbox_limits rule_limits(const cli_options *o)
{
    sandbox_limits limits;
    memset(&limits, 0, sizeof limits);
    limits.memory_bytes = o->memory_mb << 20;
    limits.instructions = o->instructions;
    limits.seconds = o->rule_seconds;
    limits.print_bytes = o->rule_print_kb << 10;
    limits.text_bytes = o->rule_text_kb << 10;
    return limits;
}

static int load_rules(const cli_options *o, rules **out)
{
    rules_options options;
    error e;
    char profile_dir[PATH_MAX + 512];
    int status;
    const char *root = cli_default_root(o->program);
    error_clear(&e);
    memset(&options, 0, sizeof options);
    options.default_root = root;
    options.directory = root;
    if (o->rules_dir != NULL && o->profile != NULL) {
        fprintf(stderr, "kaohe: give --rules or --profile, not both\n");
        return ERROR_USAGE;
    }
    if (o->rules_dir != NULL)
        options.directory = o->rules_dir;
    if (o->profile != NULL) {
        snprintf(profile_dir, sizeof profile_dir, "%s/rules/profiles/%s", root, o->profile);
        if (access(profile_dir, F_OK) != 0) {
            fprintf(stderr, "kaohe: no profile '%s' (looked for %s)\n", o->profile, profile_dir);
            return ERROR_INPUT;
        }
        options.directory = profile_dir;
    }
    options.limits = rule_limits(o);
    status = rules_load(&options, out, &e);
    if (status != ERROR_OK)
        print_error(&e);
    return status;
}

static void print_problems(const rules *r)
{
    size_t i;
    for (i = 0; i < r->problem_count; i++)
        fprintf(stderr, "%s\n", r->problems[i]);
}

/* Loads the rules a command runs with; rules with problems are refused
** (printed, ERROR_INPUT), as `kaohe check` would report them. */
static int load_valid_rules(const cli_options *o, rules **out)
{
    int status = load_rules(o, out);
    if (status != ERROR_OK)
        return status;
    if ((*out)->problem_count > 0) {
        print_problems(*out);
        fprintf(stderr,
                "kaohe: the rules have %zu problem%s (run kaohe check); nothing was "
                "evaluated\n",
                (*out)->problem_count, (*out)->problem_count == 1 ? "" : "s");
        return ERROR_INPUT;
    }
    return ERROR_OK;
}

/* The parameter values for a run: the rules' values, then the scenario
** file's overrides, then --set in order. `loaded` receives the scenario
** (may be NULL when the caller does not need it). */
static int effective_params_scenario(const cli_options *o, const rules *r, params *ps,
                                     scenario *loaded)
{
    error e;
    size_t i;
    int status;
    scenario local;
    scenario *sc = loaded != NULL ? loaded : &local;
    error_clear(&e);
    memset(sc, 0, sizeof *sc);
    status = params_copy(ps, &r->params, &e);
    if (status == ERROR_OK && o->scenario != NULL) {
        sandbox_limits limits = rule_limits(o);
        status = scenario_load(o->scenario, &limits, sc, &e);
        if (status == ERROR_OK)
            status = scenario_apply(sc, ps, &e);
    }
    if (loaded == NULL)
        scenario_free(&local);
    for (i = 0; status == ERROR_OK && i < o->set_count; i++)
        status = params_set_assignment(ps, o->sets[i], &e);
    if (status != ERROR_OK)
        print_error(&e);
    return status;
}

static int effective_params(const cli_options *o, const rules *r, params *ps)
{
    return effective_params_scenario(o, r, ps, NULL);
}

int cli_check(const cli_options *o)
{
    rules *r = NULL;
    sqlite3 *db = NULL;
    snapshot *s = NULL;
    eval_data data;
    eval_result result;
    eval_options options;
    error e;
    int status;
    size_t i;
    char fixture[PATH_MAX + 64];
    const char *lint_path = o->snapshot;
    memset(&data, 0, sizeof data);
    memset(&result, 0, sizeof result);
    memset(&options, 0, sizeof options);
    error_clear(&e);
    status = load_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    status = snapshot_open_schema(&db, &e);
    if (status != ERROR_OK) {
        print_error(&e);
        goto done;
    }
    eval_check_sql(r, db);
    if (r->problem_count == 0 && rules_check_invariants(r, &r->params, 0, &e) != ERROR_OK)
        rules_add_problem(r, "%s", e.message);
    if (r->problem_count == 0)
        rules_warn_unused_params(r);
    /* Lint against data: the snapshot given, else the shipped sample. */
    if (lint_path == NULL) {
        snprintf(fixture, sizeof fixture, "%s/fixtures/sample.db", cli_default_root(o->program));
        if (access(fixture, R_OK) == 0)
            lint_path = fixture;
    }
    if (r->problem_count == 0 && lint_path != NULL) {
        status = snapshot_open(lint_path, &s, &e);
        if (status != ERROR_OK) {
            print_error(&e);
            goto done;
        }
        eval_check_sql(r, s->db);
        if (r->problem_count == 0 &&
            (status = rules_check_invariants(r, &r->params, s->year, &e)) == ERROR_OK &&
            (status = eval_load(r, s, &r->params, &options, &data, &e)) == ERROR_OK &&
            (status = eval_score(&data, &r->params, &result, &e)) == ERROR_OK) {
            eval_lint_scoring(r, &data, &result, &r->params);
            status = admit_lint(r, &r->params, s, &e);
        }
        if (status != ERROR_OK) {
            print_error(&e);
            goto done;
        }
    }
    for (i = 0; i < r->warning_count; i++)
        fprintf(stderr, "warning: %s\n", r->warnings[i]);
    if (r->problem_count > 0) {
        print_problems(r);
        fprintf(stderr, "kaohe check: %zu problem%s in %s\n", r->problem_count,
                r->problem_count == 1 ? "" : "s", r->root);
        status = ERROR_INPUT;
        goto done;
    }
    if (!o->quiet) {
        printf("%s: rules are valid: %s, %zu categories, %zu indicators, %g points, %zu "
               "parameters, %zu files; %zu warning%s%s%s%s\n",
               r->root, r->system_name ? r->system_name : "", r->category_count, r->indicator_count,
               r->total, r->params.count, r->file_count, r->warning_count,
               r->warning_count == 1 ? "" : "s", lint_path ? " (data checks on " : "",
               lint_path ? lint_path : "", lint_path ? ")" : "");
        if (o->verbose) {
            for (i = 0; i < r->file_count; i++)
                printf("  %s\n", r->files[i]);
            for (i = 0; i < r->indicator_count; i++)
                printf("\n-- indicator %s (%s:%d)\n%s;\n", r->indicators[i].id,
                       r->indicators[i].file, r->indicators[i].line, r->indicators[i].sql);
            for (i = 0; i < r->bundle_count; i++) {
                size_t m;
                printf("\n-- bundle (what eval runs instead of these indicators' own queries):");
                for (m = 0; m < r->bundles[i].member_count; m++)
                    printf(" %s", r->indicators[r->bundles[i].members[m]].id);
                printf("\n%s;\n", r->bundles[i].sql);
            }
            for (i = 0; i < r->target_count; i++)
                printf("\n-- target %s (%s:%d)\n%s;\n", r->targets[i].id, r->targets[i].file,
                       r->targets[i].line, r->targets[i].sql);
            if (r->appraisal.present)
                printf("\n-- appraisal (%s:%d)\n%s;\n", r->appraisal.file, r->appraisal.line,
                       r->appraisal.sql);
        }
    }
    status = ERROR_OK;
done:
    eval_result_free(&result);
    eval_data_free(&data);
    sqlite3_close(db);
    snapshot_close(s);
    rules_free(r);
    return status;
}

/* eval_options.progress: the query count on the progress line. */
static void eval_progress(void *user, long done, long total)
{
    progress *line = user;
    line->total = total;
    progress_update(line, done);
}

/* eval_load's hook: the decisions go to the results writer at once. */
static void eval_decided(void *user, const eval_data *data)
{
    results_writer_feed_decisions(user, data->decisions, data->decision_count);
}

/* The report failed after the run was committed (run_id > 0): the message
** says the results are in RESULTS, or a rerun would append them twice. */
static int report_failed(error *e, const char *what, const char *results_path, long long run_id)
{
    if (run_id <= 0 || results_path == NULL)
        return error_set(e, ERROR_SYSTEM, "%s", what);
    return error_set(e, ERROR_SYSTEM,
                     "%s; the results were written as run %lld in %s (kaohe report %s --run %lld "
                     "--out FILE.html shows them)",
                     what, run_id, results_path, results_path, run_id);
}

int cli_eval(const cli_options *o)
{
    rules *r = NULL;
    snapshot *s = NULL;
    params ps = {0};
    eval_data data;
    eval_result scores;
    eval_options options;
    results_writer *writer = NULL; /* the run's results, written as they are ready */
    results_run run;
    error e;
    buffer out;
    char started[32];
    long long run_id = 0;
    struct timespec begin, stage;
    double open_ms = 0, score_ms = 0, write_ms = 0, write_early_ms = 0;
    long rss_kb[3] = {0, 0, 0}; /* peak resident memory after open, load, score */
    progress line;
    int status;
    clock_gettime(CLOCK_MONOTONIC, &begin);
    memset(&data, 0, sizeof data);
    memset(&scores, 0, sizeof scores);
    buffer_init(&out);
    error_clear(&e);
    results_timestamp(started);
    if (o->snapshot == NULL) {
        fprintf(stderr, "kaohe eval: which snapshot? usage: kaohe eval SNAPSHOT --out RESULTS\n");
        return ERROR_USAGE;
    }
    status = load_valid_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    status = effective_params(o, r, &ps);
    if (status != ERROR_OK)
        goto done;
    memset(&run, 0, sizeof run);
    if (o->out != NULL) {
        /* With threads for the queries, the write gets one of its own:
        ** --jobs 1 stays one thread. */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        bool overlap = o->jobs > 1 || (o->jobs <= 0 && cores > 1);
        status = results_check_out(o->out, &e);
        if (status == ERROR_OK)
            status = results_writer_begin(o->out, overlap, &writer, &e);
        if (status != ERROR_OK)
            goto fail;
    }
    clock_gettime(CLOCK_MONOTONIC, &stage);
    {
        /* The tables the bundles scan are checked in the same read. */
        const char *later[32];
        size_t i, n = 0;
        for (i = 0; i < r->bundle_count && n + 1 < sizeof later / sizeof later[0]; i++)
            if (r->bundles[i].scan != NULL)
                later[n++] = r->bundles[i].scan->table;
        later[n] = NULL;
        status = snapshot_open_later(o->snapshot, o->jobs, later, &s, &e);
    }
    if (status != ERROR_OK)
        goto fail;
    open_ms = elapsed_ms(&stage);
    rss_kb[0] = peak_rss_kb();
    run.rules = r;
    run.snapshot = s;
    run.params = &ps;
    run.started_at = started;
    run.kind = "eval";
    if (writer != NULL)
        results_writer_feed_run(writer, &run);
    status = rules_check_invariants(r, &ps, s->year, &e);
    if (status != ERROR_OK) {
        /* A snapshot with problems is reported first, as when every row
        ** was checked before the rules' invariants. */
        error mine;
        if (snapshot_finish(s, &mine) != ERROR_OK)
            e = mine;
        status = e.status;
        goto fail;
    }
    memset(&options, 0, sizeof options);
    options.jobs = o->jobs;
    progress_start(&line, "计算指标（查询）", 0, o->quiet);
    options.progress = eval_progress;
    options.user = &line;
    if (writer != NULL) {
        options.decided = eval_decided;
        options.decided_user = writer;
    }
    status = eval_load(r, s, &ps, &options, &data, &e);
    progress_end(&line);
    {
        /* The rows the scans left, the hash; a problem in the snapshot
        ** comes before any failure of the rule queries. */
        error mine;
        int finished = snapshot_finish(s, &mine);
        if (finished != ERROR_OK) {
            status = finished;
            e = mine;
        }
    }
    if (status != ERROR_OK)
        goto fail;
    rss_kb[1] = peak_rss_kb();
    clock_gettime(CLOCK_MONOTONIC, &stage);
    status = eval_score(&data, &ps, &scores, &e);
    if (status != ERROR_OK)
        goto fail;
    eval_data_drop_columns(&data);
    score_ms = elapsed_ms(&stage);
    rss_kb[2] = peak_rss_kb();
    clock_gettime(CLOCK_MONOTONIC, &stage);
    if (writer != NULL) {
        results_writer *finishing = writer;
        writer = NULL; /* finish frees it, whatever happens */
        run.scores = &scores;
        run.outcome = &scores.outcome;
        write_early_ms = results_writer_busy_ms(finishing);
        status = results_writer_finish(finishing, &run, &run_id, &e);
        if (status != ERROR_OK)
            goto fail;
    }
    write_ms = elapsed_ms(&stage);
    if (o->timings) {
        struct rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        fprintf(stderr,
                "{\"communities\":%zu,\"jobs\":%d,\"open_ms\":%.1f,\"decide_ms\":%.1f,"
                "\"decide_distinct\":%zu,\"decide_steps\":%llu,\"queries_ms\":%.1f,\"score_ms\":%."
                "1f,\"write_ms\":%.1f,\"write_early_ms\":%.1f,\"total_ms\":%.1f,"
                "\"rows_returned\":%lld,\"rows_validated\":%lld,\"peak_rss_kb\":%ld,"
                "\"peak_rss_kb_after_open\":%ld,\"peak_rss_kb_after_queries\":%ld,"
                "\"peak_rss_kb_after_score\":%ld,\"cpu_user_s\":%.3f,"
                "\"cpu_system_s\":%.3f}\n",
                s->community_count, data.jobs, open_ms, data.decide_ms, data.decide_distinct,
                data.decide_steps, data.query_ms, score_ms, write_ms, write_early_ms,
                elapsed_ms(&begin), data.rows_returned, s->rows_read, usage.ru_maxrss, rss_kb[0],
                rss_kb[1], rss_kb[2],
                (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6,
                (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6);
        if (o->verbose) {
            size_t j;
            for (j = 0; j < data.job_count; j++)
                fprintf(stderr, "  query %-24s %9.1f ms\n", data.job_names[j], data.job_ms[j]);
        }
    }
    if (!o->quiet) {
        summary_input in;
        memset(&in, 0, sizeof in);
        in.rules = r;
        in.snapshot = s;
        in.params = &ps;
        in.scores = &scores;
        in.outcome = &scores.outcome;
        in.run_id = run_id;
        in.results_path = o->out;
        in.near = o->near;
        if (!summary_write(&in, o->format, &out)) {
            status = report_failed(&e, "out of memory writing the report", o->out, run_id);
            goto fail;
        }
        if (o->format == SUMMARY_TABLE && o->out != NULL)
            buffer_printf(&out, "结果已写入 %s（run %lld）\n", o->out, run_id);
        /* ferror too: a write that failed inside fwrite leaves nothing for
        ** fflush to fail on. */
        if (fwrite(buffer_text(&out), 1, out.length, stdout) != out.length || fflush(stdout) != 0 ||
            ferror(stdout)) {
            status = report_failed(&e, "cannot write to standard output", o->out, run_id);
            goto fail;
        }
    }
    status = ERROR_OK;
    goto done;
fail:
    print_error(&e);
done:
    /* Before what it borrows is freed; nothing is left at a new --out. */
    results_writer_abort(writer);
    buffer_free(&out);
    eval_result_free(&scores);
    eval_data_free(&data);
    snapshot_close(s);
    params_free(&ps);
    rules_free(r);
    return status;
}

static const char *param_type_name(param_type t)
{
    switch (t) {
    case PARAM_NUMBER:
        return "number";
    case PARAM_INTEGER:
        return "integer";
    case PARAM_SCHEDULE:
        return "schedule";
    case PARAM_STRING:
        return "string";
    case PARAM_DATE:
        return "date";
    }
    return "?";
}

int cli_params(const cli_options *o)
{
    rules *r = NULL;
    params ps = {0};
    buffer out;
    size_t i, name_width = 4;
    int status;
    buffer_init(&out);
    status = load_valid_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    status = effective_params(o, r, &ps);
    if (status != ERROR_OK)
        goto done;
    if (o->json) {
        json_t *list = json_array();
        char *text;
        for (i = 0; i < ps.count; i++) {
            const param *p = &ps.items[i];
            json_t *item = json_object();
            char *value = params_value_text(p, &p->value);
            json_object_set_new(item, "name", json_string(p->name));
            json_object_set_new(item, "type", json_string(param_type_name(p->type)));
            json_object_set_new(item, "value",
                                value ? json_loads(value, JSON_DECODE_ANY, NULL) : json_null());
            if (json_object_get(item, "value") == NULL)
                json_object_set_new(item, "value", json_string(value ? value : ""));
            if (p->has_min)
                json_object_set_new(item, "min", json_real(p->min));
            if (p->has_max)
                json_object_set_new(item, "max", json_real(p->max));
            json_object_set_new(item, "source", p->source ? json_string(p->source) : json_null());
            json_object_set_new(item, "description",
                                p->description ? json_string(p->description) : json_null());
            json_object_set_new(item, "defined_at", json_sprintf("%s:%d", p->file, p->line));
            json_array_append_new(list, item);
            free(value);
        }
        text = jsontext_dump(list, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        json_decref(list);
        if (text == NULL) {
            fprintf(stderr, "kaohe: out of memory writing the parameters as JSON\n");
            status = ERROR_SYSTEM;
            goto done;
        }
        printf("%s\n", text);
        free(text);
        goto done;
    }
    for (i = 0; i < ps.count; i++)
        if (strlen(ps.items[i].name) > name_width)
            name_width = strlen(ps.items[i].name);
    for (i = 0; i < ps.count; i++) {
        const param *p = &ps.items[i];
        char *value = params_value_text(p, &p->value);
        char range[80] = "";
        if (p->has_min && p->has_max)
            snprintf(range, sizeof range, "%g..%g", p->min, p->max);
        else if (p->has_min)
            snprintf(range, sizeof range, ">=%g", p->min);
        else if (p->has_max)
            snprintf(range, sizeof range, "<=%g", p->max);
        text_pad(&out, p->name, name_width, false);
        buffer_puts(&out, "  ");
        text_pad(&out, value ? value : "?", 12, false);
        buffer_puts(&out, "  ");
        text_pad(&out, param_type_name(p->type), 8, false);
        buffer_puts(&out, "  ");
        text_pad(&out, range, 10, false);
        buffer_printf(&out, "  %s%s\n", p->source ? p->source : "(no source)",
                      p->overridden ? "  [--set]" : "");
        free(value);
    }
    fwrite(buffer_text(&out), 1, out.length, stdout);
done:
    buffer_free(&out);
    params_free(&ps);
    rules_free(r);
    return status;
}

int cli_test(const cli_options *o)
{
    rules *r = NULL;
    ruletest_options options;
    char directory[PATH_MAX + 64];
    int status = load_valid_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    memset(&options, 0, sizeof options);
    if (o->snapshot != NULL)
        snprintf(directory, sizeof directory, "%s", o->snapshot);
    else if (o->rules_dir != NULL || o->profile != NULL)
        snprintf(directory, sizeof directory, "%s/tests", r->root);
    else
        snprintf(directory, sizeof directory, "%s/rules/tests", r->root);
    options.directory = directory;
    options.verbose = o->verbose;
    options.limits = rule_limits(o);
    options.only = o->positional_count > 1 ? o->positionals[1] : NULL;
    status = ruletest_run(r, &options, stdout);
done:
    rules_free(r);
    return status;
}

int cli_admit(const cli_options *o)
{
    rules *r = NULL;
    snapshot *s = NULL;
    params ps = {0};
    buffer out;
    error e;
    int status;
    buffer_init(&out);
    error_clear(&e);
    if ((o->title == NULL) == (o->snapshot == NULL)) {
        fprintf(stderr, "kaohe admit: give --title \"...\" to try one task, or a SNAPSHOT for the "
                        "coverage report\n");
        return ERROR_USAGE;
    }
    status = load_valid_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    status = effective_params(o, r, &ps);
    if (status != ERROR_OK)
        goto done;
    if (o->title != NULL) {
        admit_task task;
        memset(&task, 0, sizeof task);
        task.title = o->title;
        task.detail = o->detail;
        task.department = o->department != NULL ? o->department : "";
        task.approval_ref = o->approval;
        task.funded = o->funded;
        task.staffed = o->staffed;
        status = admit_try(r, &ps, &task, o->json, &out, &e);
    } else {
        status = snapshot_open(o->snapshot, &s, &e);
        if (status == ERROR_OK)
            status = admit_report(r, &ps, s, o->json, &out, &e);
    }
    if (status != ERROR_OK) {
        print_error(&e);
        goto done;
    }
    fwrite(buffer_text(&out), 1, out.length, stdout);
done:
    buffer_free(&out);
    snapshot_close(s);
    params_free(&ps);
    rules_free(r);
    return status;
}

/* Peak resident memory so far, in KiB. */
static long peak_rss_kb(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
}

static double elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Parses NAME=FROM:TO:STEP. */
static int parse_sweep(const char *text, char *name, size_t size, double *from, double *to,
                       double *step)
{
    const char *equals = strchr(text, '=');
    char *end;
    if (equals == NULL || (size_t)(equals - text) >= size || equals == text)
        return 0;
    snprintf(name, size, "%.*s", (int)(equals - text), text);
    *from = strtod(equals + 1, &end);
    if (*end != ':')
        return 0;
    *to = strtod(end + 1, &end);
    if (*end != ':')
        return 0;
    *step = strtod(end + 1, &end);
    return *end == '\0' && *step > 0 && *to >= *from && isfinite(*from) && isfinite(*to);
}

/* Writes `out` to FILE (for --chart). */
static int write_file(const char *path, const buffer *out, error *e)
{
    FILE *stream = fopen(path, "wb");
    if (stream == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: cannot write: %s", path,
                         error_errno_text(errno));
    fwrite(buffer_text(out), 1, out->length, stream);
    if (fclose(stream) != 0)
        return error_set(e, ERROR_SYSTEM, "%s: cannot write: %s", path, error_errno_text(errno));
    return ERROR_OK;
}

int cli_whatif(const cli_options *o)
{
    rules *r = NULL;
    snapshot *s = NULL;
    params baseline = {0}, changed = {0}, value_params = {0};
    scenario sc;
    eval_data data;
    eval_result before, after;
    eval_options options;
    whatif_diff diff;
    whatif_sweep sweep;
    buffer out;
    error e;
    progress line;
    struct timespec start;
    double load_ms, rescore_ms;
    size_t rerun = 0;
    char sweep_name[256];
    int status;
    memset(&sc, 0, sizeof sc);
    memset(&data, 0, sizeof data);
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    memset(&diff, 0, sizeof diff);
    memset(&sweep, 0, sizeof sweep);
    memset(&options, 0, sizeof options);
    buffer_init(&out);
    error_clear(&e);
    options.jobs = o->jobs;
    if (o->snapshot == NULL) {
        fprintf(stderr, "kaohe whatif: usage: kaohe whatif SNAPSHOT --set NAME=VALUE... | "
                        "--scenario FILE.lua | --sweep NAME=FROM:TO:STEP\n");
        return ERROR_USAGE;
    }
    if (o->set_count == 0 && o->scenario == NULL && o->sweep == NULL) {
        fprintf(stderr, "kaohe whatif: what should change? give --set NAME=VALUE, --scenario "
                        "FILE.lua or --sweep NAME=FROM:TO:STEP\n");
        return ERROR_USAGE;
    }
    if (o->chart != NULL && o->sweep == NULL) {
        fprintf(stderr, "kaohe whatif: --chart draws a --sweep\n");
        return ERROR_USAGE;
    }
    status = load_valid_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    status = params_copy(&baseline, &r->params, &e);
    if (status != ERROR_OK)
        goto fail;
    status = effective_params_scenario(o, r, &changed, &sc);
    if (status != ERROR_OK)
        goto done;
    if (o->out != NULL && o->sweep == NULL) {
        status = results_check_out(o->out, &e);
        if (status != ERROR_OK)
            goto fail;
    }
    status = snapshot_open(o->snapshot, &s, &e);
    if (status != ERROR_OK)
        goto fail;
    status = rules_check_invariants(r, &changed, s->year, &e);
    if (status != ERROR_OK)
        goto fail;
    /* The first load: the queries, the baseline scored into `after` (which
    ** each scenario then re-scores in place: eval_rescore) and, to compare
    ** a scenario with, a copy of it in `before`. */
    clock_gettime(CLOCK_MONOTONIC, &start);
    status = eval_load(r, s, &baseline, &options, &data, &e);
    if (status == ERROR_OK)
        status = eval_rescore(&data, &baseline, &after, &e);
    if (status == ERROR_OK && o->sweep == NULL)
        status = eval_result_copy(&before, &after, &e);
    if (status != ERROR_OK)
        goto fail;
    load_ms = elapsed_ms(&start);
    if (o->sweep != NULL) {
        double from, to, step;
        long count, k;
        if (!parse_sweep(o->sweep, sweep_name, sizeof sweep_name, &from, &to, &step)) {
            fprintf(stderr,
                    "kaohe whatif: --sweep %s: write NAME=FROM:TO:STEP with FROM <= TO "
                    "and STEP > 0, e.g. elimination.bottom_ratio=0.02:0.2:0.02\n",
                    o->sweep);
            status = ERROR_USAGE;
            goto done;
        }
        count = (long)floor((to - from) / step + 1e-9) + 1;
        if (count > 1000) {
            fprintf(stderr, "kaohe whatif: --sweep %s gives %ld values; at most 1000\n", o->sweep,
                    count);
            status = ERROR_USAGE;
            goto done;
        }
        sweep.rules = r;
        sweep.parameter = sweep_name;
        sweep.rows = calloc((size_t)count, sizeof *sweep.rows);
        if (sweep.rows == NULL) {
            status = error_set(&e, ERROR_SYSTEM, "out of memory");
            goto fail;
        }
        clock_gettime(CLOCK_MONOTONIC, &start);
        progress_start(&line, "参数扫描（取值）", count, o->quiet || o->json);
        for (k = 0; k < count; k++) {
            double value = from + step * (double)k;
            progress_update(&line, k);
            char text[64];
            snprintf(text, sizeof text, "%.12g", value);
            params_free(&value_params);
            status = params_copy(&value_params, &changed, &e);
            if (status == ERROR_OK)
                status = params_set_text(&value_params, sweep_name, text, &e);
            if (status == ERROR_OK)
                status = rules_check_invariants(r, &value_params, s->year, &e);
            if (status == ERROR_OK)
                status = eval_refresh(&data, &value_params, &options, &rerun, &e);
            if (status == ERROR_OK)
                status = eval_rescore(&data, &value_params, &after, &e);
            if (status == ERROR_OK)
                status = whatif_sweep_row_fill(r, value, &after, &sweep.rows[k], &e);
            sweep.row_count = (size_t)k + 1;
            if (status != ERROR_OK) {
                error_prefix(&e, "--sweep at %s", text);
                goto fail;
            }
        }
        progress_end(&line);
        sweep.rescore_ms = elapsed_ms(&start) / (double)count;
        if (o->json ? !whatif_write_sweep_json(&sweep, &out)
                    : !whatif_write_sweep_text(&sweep, &out)) {
            status = error_set(&e, ERROR_SYSTEM, "out of memory");
            goto fail;
        }
        if (o->chart != NULL) {
            buffer svg;
            buffer_init(&svg);
            if (!whatif_write_sweep_svg(&sweep, s, &svg))
                status = error_set(&e, ERROR_SYSTEM, "out of memory");
            else
                status = write_file(o->chart, &svg, &e);
            buffer_free(&svg);
            if (status != ERROR_OK)
                goto fail;
            if (!o->json)
                buffer_printf(&out, "图表已写入 %s\n", o->chart);
        }
    } else {
        whatif_report w;
        long long ids[2] = {0, 0};
        clock_gettime(CLOCK_MONOTONIC, &start);
        status = eval_refresh(&data, &changed, &options, &rerun, &e);
        if (status == ERROR_OK)
            status = eval_rescore(&data, &changed, &after, &e);
        if (status != ERROR_OK)
            goto fail;
        rescore_ms = elapsed_ms(&start);
        status = whatif_compare(r, s, &before, &after, eval_epsilon(&changed), &diff, &e);
        if (status != ERROR_OK)
            goto fail;
        if (o->out != NULL) {
            results_run runs[2];
            char started[32];
            results_timestamp(started);
            memset(runs, 0, sizeof runs);
            runs[0].rules = runs[1].rules = r;
            runs[0].snapshot = runs[1].snapshot = s;
            runs[0].params = &baseline;
            runs[1].params = &changed;
            runs[0].scores = &before;
            runs[1].scores = &after;
            runs[0].outcome = &before.outcome;
            runs[1].outcome = &after.outcome;
            runs[0].started_at = runs[1].started_at = started;
            runs[0].kind = "whatif-baseline";
            runs[1].kind = "whatif-scenario";
            runs[0].scenario = runs[1].scenario = sc.name;
            runs[1].baseline_run = -1; /* the run written just before */
            status = results_append(o->out, runs, 2, ids, &e);
            if (status != ERROR_OK)
                goto fail;
        }
        memset(&w, 0, sizeof w);
        w.rules = r;
        w.snapshot = s;
        w.baseline = &baseline;
        w.scenario = &changed;
        w.scenario_name = sc.name;
        w.scenario_description = sc.description;
        w.before = &before;
        w.after = &after;
        w.diff = &diff;
        w.queries_rerun = rerun;
        w.load_ms = load_ms;
        w.rescore_ms = rescore_ms;
        w.baseline_run = ids[0];
        w.scenario_run = ids[1];
        if (o->json ? !whatif_write_json(&w, &out) : !whatif_write_text(&w, &out)) {
            status = error_set(&e, ERROR_SYSTEM, "out of memory");
            goto fail;
        }
    }
    if (!o->quiet)
        fwrite(buffer_text(&out), 1, out.length, stdout);
    status = ERROR_OK;
    goto done;
fail:
    print_error(&e);
done:
    buffer_free(&out);
    whatif_sweep_free(&sweep);
    whatif_diff_free(&diff);
    eval_result_free(&before);
    eval_result_free(&after);
    eval_data_free(&data);
    snapshot_close(s);
    scenario_free(&sc);
    params_free(&baseline);
    params_free(&changed);
    params_free(&value_params);
    rules_free(r);
    return status;
}

int cli_explain(const cli_options *o)
{
    rules *r = NULL;
    snapshot *s = NULL;
    params ps = {0};
    eval_data data;
    eval_result result;
    eval_options options;
    explain_input in;
    buffer out;
    error e;
    int asked = (o->community != NULL) + (o->worker != NULL) + (o->task != NULL);
    int status;
    memset(&data, 0, sizeof data);
    memset(&result, 0, sizeof result);
    memset(&options, 0, sizeof options);
    buffer_init(&out);
    error_clear(&e);
    if (o->snapshot == NULL || asked != 1 || (o->indicator != NULL && o->community == NULL)) {
        fprintf(stderr, "kaohe explain: usage: kaohe explain SNAPSHOT --community ID [--indicator "
                        "ID] | --worker ID | --task ID [--json]\n");
        return ERROR_USAGE;
    }
    status = load_valid_rules(o, &r);
    if (status != ERROR_OK)
        goto done;
    status = effective_params(o, r, &ps);
    if (status != ERROR_OK)
        goto done;
    options.jobs = o->jobs;
    status = snapshot_open(o->snapshot, &s, &e);
    if (status == ERROR_OK)
        status = rules_check_invariants(r, &ps, s->year, &e);
    if (status == ERROR_OK)
        status = eval_load(r, s, &ps, &options, &data, &e);
    if (status == ERROR_OK)
        status = eval_score(&data, &ps, &result, &e);
    if (status != ERROR_OK)
        goto fail;
    memset(&in, 0, sizeof in);
    in.rules = r;
    in.snapshot = s;
    in.params = &ps;
    in.data = &data;
    in.result = &result;
    if (o->community != NULL)
        status = explain_community(&in, o->community, o->indicator, o->json, &out, &e);
    else if (o->worker != NULL)
        status = explain_worker(&in, o->worker, o->json, &out, &e);
    else
        status = explain_task(&in, o->task, o->json, &out, &e);
    if (status != ERROR_OK)
        goto fail;
    fwrite(buffer_text(&out), 1, out.length, stdout);
    goto done;
fail:
    print_error(&e);
done:
    buffer_free(&out);
    eval_result_free(&result);
    eval_data_free(&data);
    snapshot_close(s);
    params_free(&ps);
    rules_free(r);
    return status;
}

int cli_verify(const cli_options *o)
{
    verify_options options;
    buffer out;
    error e;
    int status;
    if (o->snapshot == NULL) {
        fprintf(stderr, "kaohe verify: usage: kaohe verify RESULTS [--run N] [SNAPSHOT] [--rules "
                        "DIR]\n");
        return ERROR_USAGE;
    }
    memset(&options, 0, sizeof options);
    options.results_path = o->snapshot;
    options.run_id = o->run;
    options.snapshot_path = o->positional_count > 1 ? o->positionals[1] : NULL;
    options.rules_directory = o->rules_dir;
    options.default_root = cli_default_root(o->program);
    options.limits = rule_limits(o);
    buffer_init(&out);
    error_clear(&e);
    status = verify_run(&options, &out, &e);
    fwrite(buffer_text(&out), 1, out.length, stdout);
    if (status != ERROR_OK && e.status != ERROR_OK)
        print_error(&e);
    buffer_free(&out);
    return status;
}

static void gen_progress(void *user, long done, long total)
{
    progress *p = user;
    (void)total;
    progress_update(p, done);
}

int cli_gen(const cli_options *o)
{
    gen_options options;
    gen_stats stats;
    progress line;
    error e;
    int status;
    if (o->out == NULL || o->communities <= 0) {
        fprintf(stderr, "kaohe gen: usage: kaohe gen --communities N [--seed S] [--as-of DATE] "
                        "[--region NAME] --out FILE\n");
        return ERROR_USAGE;
    }
    memset(&options, 0, sizeof options);
    options.communities = o->communities;
    options.seed = o->seed;
    options.path = o->out;
    options.as_of = o->as_of;
    options.region = o->region;
    progress_start(&line, "生成快照（社区）", o->communities, o->quiet);
    options.progress = gen_progress;
    options.user = &line;
    error_clear(&e);
    status = gen_write(&options, &stats, &e);
    progress_end(&line);
    if (status != ERROR_OK) {
        print_error(&e);
        return status;
    }
    if (!o->quiet)
        printf("%s: %ld communities, %lld rows in %.1f s (seed %lu)\n", o->out, o->communities,
               stats.rows, stats.seconds, o->seed);
    return ERROR_OK;
}

/* Writes `out` to `path` through a temporary file renamed into place, so a
** failure never leaves a half-written file. */
static int write_file_atomically(const char *path, const buffer *out, error *e)
{
    char temporary[PATH_MAX + 32];
    FILE *stream;
    snprintf(temporary, sizeof temporary, "%s.tmp-%ld", path, (long)getpid());
    stream = fopen(temporary, "wb");
    if (stream == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: cannot write: %s", path,
                         error_errno_text(errno));
    if (fwrite(buffer_text(out), 1, out->length, stream) != out->length || fclose(stream) != 0) {
        unlink(temporary);
        return error_set(e, ERROR_SYSTEM, "%s: cannot write: %s", path, error_errno_text(errno));
    }
    if (rename(temporary, path) != 0) {
        unlink(temporary);
        return error_set(e, ERROR_SYSTEM, "%s: cannot write: %s", path, error_errno_text(errno));
    }
    return ERROR_OK;
}

int cli_report(const cli_options *o)
{
    report_options options;
    buffer out;
    error e;
    int status;
    if (o->snapshot == NULL || o->out == NULL) {
        fprintf(stderr, "kaohe report: usage: kaohe report RESULTS [--run N] [--community ID|all] "
                        "[--near MARGIN] --out report.html\n");
        return ERROR_USAGE;
    }
    memset(&options, 0, sizeof options);
    options.results_path = o->snapshot;
    options.run_id = o->run;
    options.community_id = o->community;
    options.margin = o->near;
    buffer_init(&out);
    error_clear(&e);
    status = report_write(&options, &out, &e);
    if (status == ERROR_OK)
        status = write_file_atomically(o->out, &out, &e);
    if (status != ERROR_OK)
        print_error(&e);
    else if (!o->quiet)
        printf("%s: %zu bytes\n", o->out, out.length);
    buffer_free(&out);
    return status;
}

/* import_options.progress: rows read so far, per file. */
static void import_progress(void *user, const char *file, long rows)
{
    progress *line = user;
    line->label = file;
    line->total = rows;
    progress_update(line, rows);
}

int cli_import(const cli_options *o)
{
    import_options options;
    import_report report;
    progress line;
    error e;
    int status;
    if (o->snapshot == NULL || o->out == NULL) {
        fprintf(stderr, "kaohe import: usage: kaohe import DIR --out SNAPSHOT [--skip-bad] "
                        "[--max-row-mb N]\n");
        return ERROR_USAGE;
    }
    memset(&options, 0, sizeof options);
    memset(&report, 0, sizeof report);
    buffer_init(&report.problems);
    options.directory = o->snapshot;
    options.out = o->out;
    options.skip_bad = o->skip_bad;
    options.max_row_bytes = o->max_row_mb << 20;
    progress_start(&line, "导入", 0, o->quiet);
    options.progress = import_progress;
    options.user = &line;
    error_clear(&e);
    status = import_csv_directory(&options, &report, &e);
    progress_end(&line);
    if (report.problems.length > 0 && status == ERROR_OK)
        fprintf(stderr, "%s", buffer_text(&report.problems));
    if (status != ERROR_OK)
        print_error(&e);
    else if (!o->quiet)
        printf("%s: %ld rows written, %ld skipped\n", o->out, report.rows_written,
               report.rows_skipped);
    import_report_free(&report);
    return status;
}

int cli_export(const cli_options *o)
{
    error e;
    int status;
    if (o->snapshot == NULL || o->xlsx == NULL) {
        fprintf(stderr, "kaohe export: usage: kaohe export RESULTS [--run N] --xlsx FILE.xlsx\n");
        return ERROR_USAGE;
    }
    error_clear(&e);
    status = export_xlsx(o->snapshot, o->run, o->xlsx, &e);
    if (status != ERROR_OK)
        print_error(&e);
    else if (!o->quiet)
        printf("%s: written\n", o->xlsx);
    return status;
}
