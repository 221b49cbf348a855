/*
 * test_rescore.c -- eval_rescore, the incremental scoring of what-if, cannot
 * drift from a fresh eval: after every scenario of a chain (indicator score
 * bounds and max points, a check parameter, star thresholds and conditions,
 * certificate schedules and targets, the bottom ratio up and down, floors,
 * parameters bound into indicator, target and appraisal SQL, admission match
 * limits, the comparison tolerance, nothing at all, and back to the
 * defaults), the result re-scored in place is, bit for bit, what loading the
 * snapshot afresh and eval_score give with the same parameter values: every
 * status, value, point, total, category, star, rank and order position,
 * every target check, worker score, rank and flag, and the department
 * counts. Run on a generated region (ties, gaps, invalid values) with the
 * default rules and the Yichang profile, and on the hand-made sample.
 *
 * Runs from the repository root (make unit); the generated snapshot goes to
 * a fresh directory under $TMPDIR (or /tmp), removed at the end.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "eval.h"
#include "gen.h"
#include "rules.h"
#include "snapshot.h"
#include "sqlguard.h"

/* The temporary directory of this run and the generated snapshot in it. */
static char directory[4096];
static char generated[4200];

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    gen_options options;
    gen_stats stats;
    error e;
    (void)state;
    if (sqlguard_init() != SQLITE_OK) /* before SQLite starts, as main() does */
        return -1;
    snprintf(directory, sizeof directory, "%s/kaohe-rescore-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(directory) == NULL)
        return -1;
    snprintf(generated, sizeof generated, "%s/region.db", directory);
    memset(&options, 0, sizeof options);
    options.communities = 120;
    options.seed = 11;
    options.path = generated;
    error_clear(&e);
    if (gen_write(&options, &stats, &e) != ERROR_OK) {
        fprintf(stderr, "gen_write: %s\n", e.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(generated);
    return rmdir(directory);
}

/* One scenario of a chain: assignments applied on top of the one before. */
typedef enum {
    MOVES,      /* the result must change */
    STAYS,      /* may not change (the nothing scenario, limits no task reaches) */
    NEAR_TOTAL, /* sets stars.three just above the total of the community ranked
                   in the middle, so that the comparison tolerance decides it */
    DEFAULTS    /* back to the rules' values */
} step_kind;

typedef struct scenario_step {
    const char *what;
    step_kind kind;
    const char *assignments[4];
} scenario_step;

static const scenario_step CHAIN[] = {
    {"a star threshold", MOVES, {"stars.five=85"}},
    {"a star condition", MOVES, {"stars.five_f01=0.97"}},
    {"an indicator's lin bound", MOVES, {"A01.from=12"}},
    {"the other bound of a lin, past the values", MOVES, {"F03.to=0.5"}},
    {"max points, moved between indicators", MOVES, {"A01.max=4", "F01.max=9"}},
    {"a check parameter (missing_if)", MOVES, {"satisfaction.min_responses=45"}},
    {"a ratio target", MOVES, {"C02.target=20"}},
    {"the certificate schedule (A03 and cert_ratio)",
     MOVES,
     {"cert.milestones={\"2020\":0.4,\"2023\":0.7,\"2026\":1}"}},
    {"one year of the schedule", MOVES, {"cert.milestones.2026=0.9"}},
    {"a count target", MOVES, {"new_certified.required=3"}},
    {"the bottom ratio up", MOVES, {"elimination.bottom_ratio=0.15"}},
    {"the bottom ratio down", MOVES, {"elimination.bottom_ratio=0.05"}},
    {"the bottom ratio to zero", MOVES, {"elimination.bottom_ratio=0"}},
    {"the appraisal floor", MOVES, {"elimination.floor=75"}},
    {"the floor and the ratio together",
     MOVES,
     {"elimination.floor=55", "elimination.bottom_ratio=0.3"}},
    {"nothing", STAYS, {NULL}},
    {"a parameter in an indicator's SQL", MOVES, {"F02.floor=70"}},
    {"a parameter in a target's SQL", MOVES, {"under45.age=40"}},
    {"parameters in the appraisal SQL",
     MOVES,
     {"appraisal.weight.civil=0.4", "appraisal.weight.residents=0.3"}},
    {"a star threshold and an indicator bound after reloads",
     MOVES,
     {"stars.four=75", "B05.from=0.6"}},
    {"a star threshold 0.0005 above a total", NEAR_TOTAL, {NULL}},
    {"the comparison tolerance, past that 0.0005", MOVES, {"compare.epsilon=0.001"}},
    {"admission match limits (tasks decided again)",
     STAYS,
     {"admission.match_limit=100", "admission.depth_limit=100"}},
    {"back to every default", DEFAULTS, {NULL}},
    {"a star threshold again, after all that", MOVES, {"stars.three=65"}},
};
#define CHAIN_LENGTH (sizeof CHAIN / sizeof CHAIN[0])

/* Whether two doubles are the same bits (NaN equal to NaN). */
static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Writes a difference to `out`; returns true (there is one). */
static bool say(char *out, size_t size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(out, size, format, arguments);
    va_end(arguments);
    return true;
}

/* Whether `got` differs from `want` in anything; the first difference is
 * written to `out`. */
static bool differ(const eval_result *got, const eval_result *want, char *out, size_t size)
{
    const outcome *g = &got->outcome, *w = &want->outcome;
    size_t n = want->community_count, m = want->indicator_count, nc = want->category_count, k;
    if (got->community_count != n || got->indicator_count != m || got->category_count != nc)
        return say(out, size, "the result's shape differs");
    if (!same_bits(got->max_total, want->max_total))
        return say(out, size, "max_total %.17g, expected %.17g", got->max_total, want->max_total);
    for (k = 0; k < nc; k++)
        if (!same_bits(got->category_max[k], want->category_max[k]))
            return say(out, size, "category %zu max %.17g, expected %.17g", k, got->category_max[k],
                       want->category_max[k]);
    for (k = 0; k < n * m; k++) {
        const indicator_score *a = &got->scores[k], *b = &want->scores[k];
        if (a->status != b->status || !same_bits(a->value, b->value) ||
            !same_bits(a->points, b->points) || !same_bits(a->max_points, b->max_points))
            return say(out, size,
                       "community %zu indicator %zu: status %d value %.17g points %.17g max "
                       "%.17g, expected %d %.17g %.17g %.17g",
                       k / m, k % m, a->status, a->value, a->points, a->max_points, b->status,
                       b->value, b->points, b->max_points);
    }
    for (k = 0; k < n * nc; k++)
        if (!same_bits(got->category_points[k], want->category_points[k]))
            return say(out, size, "community %zu category %zu: %.17g, expected %.17g", k / nc,
                       k % nc, got->category_points[k], want->category_points[k]);
    for (k = 0; k < n; k++) {
        if (!same_bits(got->totals[k], want->totals[k]))
            return say(out, size, "community %zu total %.17g, expected %.17g", k, got->totals[k],
                       want->totals[k]);
        if (got->stars[k] != want->stars[k] || got->ranks[k] != want->ranks[k])
            return say(out, size, "community %zu stars %d rank %d, expected %d %d", k,
                       got->stars[k], got->ranks[k], want->stars[k], want->ranks[k]);
        if (got->order[k] != want->order[k])
            return say(out, size, "rank order position %zu: community %zu, expected %zu", k,
                       got->order[k], want->order[k]);
    }
    if (g->check_count != w->check_count)
        return say(out, size, "%zu target checks, expected %zu", g->check_count, w->check_count);
    for (k = 0; k < w->check_count; k++) {
        const target_check *a = &g->checks[k], *b = &w->checks[k];
        if (!same_text(a->target_id, b->target_id) || !same_text(a->scope, b->scope) ||
            !same_text(a->scope_id, b->scope_id) || !same_bits(a->required, b->required) ||
            !same_bits(a->actual, b->actual) || !same_bits(a->numerator, b->numerator) ||
            !same_bits(a->denominator, b->denominator) || a->met != b->met)
            return say(out, size,
                       "check %zu (%s %s %s): required %.17g actual %.17g met %d, expected %s %s "
                       "%s %.17g %.17g %d",
                       k, a->target_id, a->scope, a->scope_id, a->required, a->actual, a->met,
                       b->target_id, b->scope, b->scope_id, b->required, b->actual, b->met);
    }
    if (g->appraisal_count != w->appraisal_count)
        return say(out, size, "%zu appraisals, expected %zu", g->appraisal_count,
                   w->appraisal_count);
    for (k = 0; k < w->appraisal_count; k++) {
        const worker_appraisal *a = &g->appraisals[k], *b = &w->appraisals[k];
        if (!same_text(a->worker_id, b->worker_id) ||
            !same_text(a->community_id, b->community_id) || !same_bits(a->score, b->score) ||
            a->rank != b->rank || !same_text(a->flag, b->flag))
            return say(out, size, "worker %s: score %.17g rank %d flag %s, expected %s %.17g %d %s",
                       a->worker_id, a->score, a->rank, a->flag ? a->flag : "-", b->worker_id,
                       b->score, b->rank, b->flag ? b->flag : "-");
    }
    for (k = 0; k < 3; k++)
        if (g->flagged[k] != w->flagged[k])
            return say(out, size, "%ld workers with flag %zu, expected %ld", g->flagged[k], k,
                       w->flagged[k]);
    if (g->decision_count != w->decision_count || g->department_count != w->department_count)
        return say(out, size, "%zu decisions in %zu departments, expected %zu in %zu",
                   g->decision_count, g->department_count, w->decision_count, w->department_count);
    for (k = 0; k < w->decision_count; k++)
        if (!same_text(g->decisions[k].task_id, w->decisions[k].task_id) ||
            !same_text(g->decisions[k].decision, w->decisions[k].decision))
            return say(out, size, "task %s decided %s, expected %s", g->decisions[k].task_id,
                       g->decisions[k].decision, w->decisions[k].decision);
    for (k = 0; k < w->department_count; k++) {
        const department_stat *a = &g->departments[k], *b = &w->departments[k];
        if (!same_text(a->department, b->department) || a->tasks != b->tasks ||
            a->admitted != b->admitted || a->rejected != b->rejected || a->review != b->review)
            return say(out, size,
                       "department %s: %ld tasks (%ld/%ld/%ld), expected %s %ld (%ld/%ld/%ld)",
                       a->department, a->tasks, a->admitted, a->rejected, a->review, b->department,
                       b->tasks, b->admitted, b->rejected, b->review);
    }
    return false;
}

/* Runs CHAIN on `snapshot_path` with the rules of `directory_path`: one
 * loaded data set refreshed and one result re-scored in place, against a
 * fresh load and eval_score per scenario; also checks eval_result_copy. */
static void run_chain(const char *directory_path, const char *snapshot_path)
{
    rules_options options;
    rules *r = NULL;
    snapshot *s = NULL;
    params ps = {0};
    eval_data data;
    eval_result working, previous, copy;
    eval_options eo;
    error e;
    size_t step, k, rerun;
    char difference[512];
    memset(&options, 0, sizeof options);
    memset(&data, 0, sizeof data);
    memset(&working, 0, sizeof working);
    memset(&eo, 0, sizeof eo);
    eo.jobs = 1;
    options.directory = directory_path;
    options.default_root = ".";
    error_clear(&e);
    if (rules_load(&options, &r, &e) != ERROR_OK)
        fail_msg("rules_load(%s): %s", directory_path, e.message);
    if (r->problem_count > 0)
        fail_msg("%s: %s", directory_path, r->problems[0]);
    if (snapshot_open(snapshot_path, &s, &e) != ERROR_OK)
        fail_msg("snapshot_open(%s): %s", snapshot_path, e.message);
    if (params_copy(&ps, &r->params, &e) != ERROR_OK ||
        eval_load(r, s, &ps, &eo, &data, &e) != ERROR_OK ||
        eval_rescore(&data, &ps, &working, &e) != ERROR_OK ||
        eval_result_copy(&previous, &working, &e) != ERROR_OK)
        fail_msg("baseline: %s", e.message);
    for (step = 0; step < CHAIN_LENGTH; step++) {
        const scenario_step *c = &CHAIN[step];
        eval_data fresh_data;
        eval_result fresh;
        char what[256];
        snprintf(what, sizeof what, "%s: scenario %zu (%s)", snapshot_path, step + 1, c->what);
        memset(&fresh_data, 0, sizeof fresh_data);
        if (c->kind == DEFAULTS) {
            params_free(&ps);
            if (params_copy(&ps, &r->params, &e) != ERROR_OK)
                fail_msg("%s: %s", what, e.message);
        }
        if (c->kind == NEAR_TOTAL) {
            char text[64];
            snprintf(text, sizeof text, "%.17g",
                     working.totals[working.order[working.community_count / 2]] + 0.0005);
            if (params_set_text(&ps, "stars.three", text, &e) != ERROR_OK)
                fail_msg("%s: %s", what, e.message);
        }
        for (k = 0; k < 4 && c->assignments[k] != NULL; k++)
            if (params_set_assignment(&ps, c->assignments[k], &e) != ERROR_OK)
                fail_msg("%s: %s", what, e.message);
        if (rules_check_invariants(r, &ps, s->year, &e) != ERROR_OK)
            fail_msg("%s: %s", what, e.message);
        if (eval_refresh(&data, &ps, &eo, &rerun, &e) != ERROR_OK ||
            eval_rescore(&data, &ps, &working, &e) != ERROR_OK)
            fail_msg("%s: re-scoring: %s", what, e.message);
        if (eval_load(r, s, &ps, &eo, &fresh_data, &e) != ERROR_OK ||
            eval_score(&fresh_data, &ps, &fresh, &e) != ERROR_OK)
            fail_msg("%s: fresh eval: %s", what, e.message);
        if (differ(&working, &fresh, difference, sizeof difference))
            fail_msg("%s: re-scored in place and fresh differ: %s", what, difference);
        /* and the scenario moved something, or the chain would prove little */
        if ((c->kind == MOVES || c->kind == NEAR_TOTAL) &&
            !differ(&working, &previous, difference, sizeof difference))
            fail_msg("%s: changes nothing", what);
        eval_result_free(&previous);
        if (eval_result_copy(&previous, &working, &e) != ERROR_OK)
            fail_msg("%s: %s", what, e.message);
        eval_result_free(&fresh); /* before its data, which it borrows from */
        eval_data_free(&fresh_data);
    }
    if (eval_result_copy(&copy, &working, &e) != ERROR_OK)
        fail_msg("eval_result_copy: %s", e.message);
    if (differ(&copy, &working, difference, sizeof difference))
        fail_msg("a copy differs: %s", difference);
    assert_null(copy.memo);
    eval_result_free(&copy);
    eval_result_free(&previous);
    eval_result_free(&working);
    eval_data_free(&data);
    params_free(&ps);
    snapshot_close(s);
    rules_free(r);
}

static void rescore_after_each_scenario_equals_a_fresh_eval_on_a_generated_region(void **state)
{
    (void)state;
    run_chain(".", generated);
}

static void rescore_after_each_scenario_equals_a_fresh_eval_with_a_profile(void **state)
{
    (void)state;
    run_chain("rules/profiles/yichang", generated);
}

static void rescore_after_each_scenario_equals_a_fresh_eval_on_the_sample(void **state)
{
    (void)state;
    run_chain(".", "fixtures/sample.db");
}

/* eval_score's result re-scored (no memo) and an empty result both score
 * everything, and equal eval_score's. */
static void rescore_of_an_unremembered_result_scores_everything(void **state)
{
    rules_options options;
    rules *r = NULL;
    snapshot *s = NULL;
    eval_data data;
    eval_result scored, rescored;
    eval_options eo;
    error e;
    (void)state;
    memset(&options, 0, sizeof options);
    memset(&data, 0, sizeof data);
    memset(&eo, 0, sizeof eo);
    eo.jobs = 1;
    options.directory = ".";
    options.default_root = ".";
    error_clear(&e);
    assert_int_equal(rules_load(&options, &r, &e), ERROR_OK);
    assert_int_equal(snapshot_open("fixtures/sample.db", &s, &e), ERROR_OK);
    assert_int_equal(eval_load(r, s, &r->params, &eo, &data, &e), ERROR_OK);
    assert_int_equal(eval_score(&data, &r->params, &scored, &e), ERROR_OK);
    assert_null(scored.memo);
    assert_int_equal(eval_result_copy(&rescored, &scored, &e), ERROR_OK);
    assert_int_equal(eval_rescore(&data, &r->params, &rescored, &e), ERROR_OK);
    assert_non_null(rescored.memo);
    {
        char difference[512];
        if (differ(&rescored, &scored, difference, sizeof difference))
            fail_msg("eval_score's result re-scored differs: %s", difference);
    }
    eval_result_free(&rescored);
    eval_result_free(&scored);
    eval_data_free(&data);
    snapshot_close(s);
    rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rescore_after_each_scenario_equals_a_fresh_eval_on_a_generated_region),
        cmocka_unit_test(rescore_after_each_scenario_equals_a_fresh_eval_with_a_profile),
        cmocka_unit_test(rescore_after_each_scenario_equals_a_fresh_eval_on_the_sample),
        cmocka_unit_test(rescore_of_an_unremembered_result_scores_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
