/*
** tests/fuzz/fuzz_params.c — libFuzzer harness: --set NAME=VALUE parsing.
**
** Input: up to 16 lines, each one --set argument ("NAME=VALUE", as the shell
** would pass it). They are applied in order with params_set_assignment() to
** a copy of the shipped rules' parameters, as `kaohe eval --set` does. Then,
** when every assignment was accepted:
**
**   - params_to_json() and params_value_text() of every parameter;
**   - a round trip: each overridden value's text, set again on a fresh copy,
**     gives the same value (numbers to 1e-12 relative, as text keeps 15-17
**     digits);
**   - rules_check_invariants() for the snapshot's year; if the parameters
**     are accepted, the fixtures/small.db data (loaded once) is re-scored
**     with them (eval_load() again only when a parameter bound into SQL
**     changed) and every score is checked: finite, 0 <= points <= max,
**     status 0..2, ranks 1..n;
**   - one result re-scored in place with eval_rescore from input to input
**     (when no query changed), as a what-if session does, equals that
**     fresh eval_score bit for bit: a random chain of scenarios.
**
** Oracles: statuses are ERROR_OK, ERROR_INPUT or ERROR_USAGE with a message;
** never ERROR_SYSTEM; an accepted date parameter is a real YYYY-MM-DD date
** and an accepted text parameter valid UTF-8;
** the JSON parses and names every parameter; the checks above.
*/
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "fuzz_common.h"
#include "sqlguard.h"
#include "params.h"
#include "query.h"
#include "rules.h"
#include "snapshot.h"
#include "text.h"

static rules *shipped;
static snapshot *small;
static eval_data baseline;
static eval_result rescored; /* re-scored in place, input after input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rules_options options;
    eval_options eo;
    char path[4096];
    error e;
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_params");
    memset(&options, 0, sizeof options);
    options.directory = fuzz_root();
    options.default_root = fuzz_root();
    error_clear(&e);
    if (rules_load(&options, &shipped, &e) != ERROR_OK || shipped->problem_count > 0) {
        fprintf(stderr, "fuzz_params: cannot load the shipped rules: %s\n", e.message);
        abort();
    }
    snprintf(path, sizeof path, "%s/fixtures/small.db", fuzz_root());
    memset(&eo, 0, sizeof eo);
    eo.jobs = 1;
    if (snapshot_open(path, &small, &e) != ERROR_OK ||
        eval_load(shipped, small, &shipped->params, &eo, &baseline, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_params: %s (run make to build the fixtures)\n", e.message);
        abort();
    }
    return 0;
}

static bool close_enough(double a, double b)
{
    return a == b || fabs(a - b) <= 1e-12 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static bool values_close(const param *p, const param_value *a, const param_value *b)
{
    size_t i;
    switch (p->type) {
    case PARAM_NUMBER:
    case PARAM_INTEGER:
        return close_enough(a->number, b->number);
    case PARAM_SCHEDULE:
        if (a->point_count != b->point_count)
            return false;
        for (i = 0; i < a->point_count; i++)
            if (a->points[i].year != b->points[i].year ||
                !close_enough(a->points[i].value, b->points[i].value))
                return false;
        return true;
    default:
        return params_value_equal(p, a, b);
    }
}

/* Whether any query's bound parameters differ from `ps`. */
static bool queries_changed(const params *ps)
{
    size_t i;
    const admission_rules *a = &shipped->admission;
    int limits[3] = {a->match_limit_param, a->depth_limit_param, a->heap_limit_param};
    for (i = 0; i < shipped->indicator_count; i++)
        if (query_changed(baseline.indicators[i].bound, shipped->indicators[i].binds,
                          shipped->indicators[i].bind_count, ps))
            return true;
    for (i = 0; i < shipped->target_count; i++)
        if (query_changed(baseline.targets[i].bound, shipped->targets[i].binds,
                          shipped->targets[i].bind_count, ps))
            return true;
    if (shipped->appraisal.present &&
        query_changed(baseline.appraisal.bound, shipped->appraisal.binds,
                      shipped->appraisal.bind_count, ps))
        return true;
    for (i = 0; i < 3; i++)
        if (limits[i] >= 0 &&
            params_number(ps, limits[i]) != params_number(&shipped->params, limits[i]))
            return true;
    return false;
}

static void check_scores(const eval_result *result)
{
    size_t c, i, n = result->community_count, m = result->indicator_count;
    for (c = 0; c < n; c++) {
        for (i = 0; i < m; i++) {
            const indicator_score *s = &result->scores[c * m + i];
            FUZZ_CHECK(s->status <= STATUS_INVALID, "status %d", s->status);
            FUZZ_CHECK(isfinite(s->max_points) && s->max_points > 0, "indicator %s max %g",
                       shipped->indicators[i].id, s->max_points);
            FUZZ_CHECK(isfinite(s->points) && s->points >= 0 && s->points <= s->max_points + 1e-9,
                       "indicator %s points %g of %g", shipped->indicators[i].id, s->points,
                       s->max_points);
        }
        FUZZ_CHECK(isfinite(result->totals[c]), "total %g", result->totals[c]);
        FUZZ_CHECK(result->ranks[c] >= 1 && (size_t)result->ranks[c] <= n, "rank %d",
                   result->ranks[c]);
    }
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Aborts unless `got`, re-scored in place, is exactly the fresh `want`. */
static void check_same_result(const eval_result *got, const eval_result *want)
{
    size_t n = want->community_count, m = want->indicator_count, nc = want->category_count, k;
    const outcome *g = &got->outcome, *w = &want->outcome;
    FUZZ_CHECK(same_bits(got->max_total, want->max_total), "re-scored max_total %.17g, fresh %.17g",
               got->max_total, want->max_total);
    for (k = 0; k < n * m; k++) {
        const indicator_score *a = &got->scores[k], *b = &want->scores[k];
        FUZZ_CHECK(a->status == b->status && same_bits(a->value, b->value) &&
                       same_bits(a->points, b->points) && same_bits(a->max_points, b->max_points),
                   "community %zu indicator %s: re-scored %d %.17g %.17g, fresh %d %.17g %.17g",
                   k / m, shipped->indicators[k % m].id, a->status, a->value, a->points, b->status,
                   b->value, b->points);
    }
    for (k = 0; k < n * nc; k++)
        FUZZ_CHECK(same_bits(got->category_points[k], want->category_points[k]),
                   "community %zu category %zu: re-scored %.17g, fresh %.17g", k / nc, k % nc,
                   got->category_points[k], want->category_points[k]);
    for (k = 0; k < n; k++)
        FUZZ_CHECK(same_bits(got->totals[k], want->totals[k]) && got->stars[k] == want->stars[k] &&
                       got->ranks[k] == want->ranks[k] && got->order[k] == want->order[k],
                   "community %zu: re-scored total %.17g stars %d rank %d, fresh %.17g %d %d", k,
                   got->totals[k], got->stars[k], got->ranks[k], want->totals[k], want->stars[k],
                   want->ranks[k]);
    FUZZ_CHECK(g->check_count == w->check_count, "re-scored %zu checks, fresh %zu", g->check_count,
               w->check_count);
    for (k = 0; k < w->check_count; k++)
        FUZZ_CHECK(strcmp(g->checks[k].target_id, w->checks[k].target_id) == 0 &&
                       strcmp(g->checks[k].scope_id, w->checks[k].scope_id) == 0 &&
                       same_bits(g->checks[k].required, w->checks[k].required) &&
                       same_bits(g->checks[k].actual, w->checks[k].actual) &&
                       g->checks[k].met == w->checks[k].met,
                   "check %s %s: re-scored required %.17g met %d, fresh %.17g %d",
                   w->checks[k].target_id, w->checks[k].scope_id, g->checks[k].required,
                   g->checks[k].met, w->checks[k].required, w->checks[k].met);
    FUZZ_CHECK(g->appraisal_count == w->appraisal_count, "re-scored %zu appraisals, fresh %zu",
               g->appraisal_count, w->appraisal_count);
    for (k = 0; k < w->appraisal_count; k++) {
        const worker_appraisal *a = &g->appraisals[k], *b = &w->appraisals[k];
        FUZZ_CHECK(strcmp(a->worker_id, b->worker_id) == 0 && same_bits(a->score, b->score) &&
                       a->rank == b->rank &&
                       (a->flag == b->flag ||
                        (a->flag != NULL && b->flag != NULL && strcmp(a->flag, b->flag) == 0)),
                   "worker %s: re-scored rank %d flag %s, fresh %d %s", b->worker_id, a->rank,
                   a->flag ? a->flag : "-", b->rank, b->flag ? b->flag : "-");
    }
    for (k = 0; k < 3; k++)
        FUZZ_CHECK(g->flagged[k] == w->flagged[k], "flag %zu: re-scored %ld workers, fresh %ld", k,
                   g->flagged[k], w->flagged[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *lines[16];
    size_t lengths[16], count, i;
    params ps = {0};
    error e;
    int status = ERROR_OK;
    char *json;
    if (memchr(data, '\0', size) != NULL)
        return 0; /* arguments cannot hold NUL */
    count = fuzz_split(data, size, '\n', lines, lengths, 16);
    error_clear(&e);
    if (params_copy(&ps, &shipped->params, &e) != ERROR_OK)
        abort();
    for (i = 0; i < count && status == ERROR_OK; i++) {
        char *assignment = fuzz_strndup(lines[i], lengths[i]);
        error_clear(&e);
        status = params_set_assignment(&ps, assignment, &e);
        FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT || status == ERROR_USAGE,
                   "params_set_assignment(%s) returned %d: %s", assignment, status, e.message);
        if (status != ERROR_OK)
            FUZZ_CHECK(e.message[0] != '\0', "refused without a message");
        free(assignment);
    }
    if (status != ERROR_OK)
        goto done;
    for (i = 0; i < ps.count; i++) {
        const param *p = &ps.items[i];
        if ((p->type != PARAM_DATE && p->type != PARAM_STRING) || !p->overridden)
            continue;
        /* Fixed in 7a8bb9f: a date parameter took any 10 bytes with dashes at
        ** 4 and 7 ("2023-02-30", "abcd-ef-gh"), text any bytes. */
        FUZZ_CHECK(p->value.text != NULL &&
                       text_utf8_valid(p->value.text, strlen(p->value.text), NULL),
                   "text parameter %s accepted a value that is not UTF-8", p->name);
        if (p->type == PARAM_DATE)
            FUZZ_CHECK(snapshot_date_valid(p->value.text), "date parameter %s accepted '%s'",
                       p->name, p->value.text);
    }
    json = params_to_json(&ps);
    FUZZ_CHECK(json != NULL, "params_to_json failed");
    {
        json_error_t err;
        json_t *parsed = json_loads(json, 0, &err);
        FUZZ_CHECK(parsed != NULL, "params_to_json wrote bad JSON: %s", err.text);
        FUZZ_CHECK(json_object_size(parsed) == ps.count,
                   "runs.params JSON has %zu of %zu parameters", json_object_size(parsed),
                   ps.count);
        json_decref(parsed);
    }
    free(json);
    for (i = 0; i < ps.count; i++) {
        param *p = &ps.items[i];
        char *text = params_value_text(p, &p->value);
        FUZZ_CHECK(text != NULL, "params_value_text(%s) failed", p->name);
        if (p->overridden) {
            params fresh = {0};
            int again;
            if (params_copy(&fresh, &shipped->params, &e) != ERROR_OK)
                abort();
            error_clear(&e);
            again = params_set_text(&fresh, p->name, text, &e);
            FUZZ_CHECK(again == ERROR_OK, "%s=%s does not set again: %s", p->name, text, e.message);
            FUZZ_CHECK(values_close(p, &p->value, &fresh.items[i].value),
                       "%s: the value's text %s gives another value", p->name, text);
            params_free(&fresh);
        }
        free(text);
    }
    error_clear(&e);
    status = rules_check_invariants(shipped, &ps, small->year, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "invariants returned %d: %s", status,
               e.message);
    if (status == ERROR_OK) {
        eval_data fresh_data;
        const eval_data *data = &baseline;
        eval_result result;
        memset(&fresh_data, 0, sizeof fresh_data);
        if (queries_changed(&ps)) {
            eval_options eo;
            memset(&eo, 0, sizeof eo);
            eo.jobs = 1;
            status = eval_load(shipped, small, &ps, &eo, &fresh_data, &e);
            FUZZ_CHECK(status == ERROR_OK, "eval_load with accepted parameters: %s", e.message);
            data = &fresh_data;
        }
        status = eval_score(data, &ps, &result, &e);
        FUZZ_CHECK(status == ERROR_OK, "eval_score with accepted parameters: %s", e.message);
        check_scores(&result);
        if (data == &baseline) {
            status = eval_rescore(&baseline, &ps, &rescored, &e);
            FUZZ_CHECK(status == ERROR_OK, "eval_rescore with accepted parameters: %s", e.message);
            check_same_result(&rescored, &result);
        }
        eval_result_free(&result);
        eval_data_free(&fresh_data);
    }
done:
    params_free(&ps);
    return 0;
}
