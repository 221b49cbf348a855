/*
** cmd_check.c — kaohe check [SNAPSHOT]: the rule files, their SQL against
** the canonical schema, the invariants, and (on SNAPSHOT, else the shipped
** sample) the data checks a run would make: every problem listed at once.
*/
#include <limits.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "cli.h"

/* The SQL of every indicator, bundle, target and the appraisal (-v). */
static void print_sql(const rules *r)
{
    size_t i;
    for (i = 0; i < r->file_count; i++)
        printf("  %s\n", r->files[i]);
    for (i = 0; i < r->indicator_count; i++)
        printf("\n-- indicator %s (%s:%d)\n%s;\n", r->indicators[i].id, r->indicators[i].file,
               r->indicators[i].line, r->indicators[i].sql);
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

int cmd_check(const cli_options *o)
{
    session run;
    rules *r;
    sqlite3 *db = NULL;
    error e;
    int status;
    size_t i;
    char fixture[PATH_MAX + 64];
    const char *lint_path = o->snapshot;
    error_clear(&e);
    status = cli_start(o, &run, false, true);
    if (status != ERROR_OK)
        goto done;
    r = run.rules;
    status = snapshot_open_schema(&db, &e);
    if (status != ERROR_OK) {
        cli_print_error(&e);
        goto done;
    }
    eval_check_sql(r, db);
    if (r->problem_count == 0 && rules_check_invariants(r, &run.params, 0, &e) != ERROR_OK)
        rules_add_problem(r, "%s", e.message);
    if (r->problem_count == 0)
        rules_warn_unused_params(r);
    /* Lint against data: the snapshot given, else the shipped sample. */
    if (lint_path == NULL && cli_default_root(o->program) != NULL) {
        snprintf(fixture, sizeof fixture, "%s/fixtures/sample.db", cli_default_root(o->program));
        if (access(fixture, R_OK) == 0)
            lint_path = fixture;
    }
    if (r->problem_count == 0 && lint_path != NULL) {
        /* The snapshot's SQL checks come before the invariants of its year. */
        status = snapshot_open_threads(lint_path, run.options.jobs, &run.snapshot, &e);
        if (status == ERROR_OK) {
            eval_check_sql(r, run.snapshot->db);
            if (r->problem_count == 0 &&
                (status = rules_check_invariants(r, &run.params, run.snapshot->year, &e)) ==
                    ERROR_OK &&
                (status = session_evaluate(&run, &e)) == ERROR_OK) {
                eval_lint_scoring(r, &run.data, &run.result, &run.params);
                status = admit_lint(r, &run.params, run.snapshot, &e);
            }
        }
        if (status != ERROR_OK) {
            cli_print_error(&e);
            goto done;
        }
    }
    for (i = 0; i < r->warning_count; i++)
        fprintf(stderr, "warning: %s\n", r->warnings[i]);
    if (r->problem_count > 0) {
        for (i = 0; i < r->problem_count; i++)
            fprintf(stderr, "%s\n", r->problems[i]);
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
        if (o->verbose)
            print_sql(r);
    }
    status = ERROR_OK;
done:
    sqlite3_close(db);
    session_free(&run);
    return status;
}
