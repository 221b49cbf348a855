/*
 * test_score.c -- eval_score turns loaded indicator values into statuses,
 * points, category points and totals (POLICY.md §0): LIN(x; a→b) and
 * RATIO(x; t) give a fraction clamped to [0, 1] times the max points, a
 * value or input that is NULL makes the indicator missing (no value, no
 * points), the status checks fire in order with the comparison tolerance,
 * and max points follow their parameter.
 *
 * The rules here are made in C (three indicators in two categories, no
 * stars, targets or appraisal) and the loaded data is written straight into
 * eval_data, so each test sets exactly the values it is about; a last test
 * does the same with the shipped rules' own A01 and C02.
 *
 * Tests marked "Was a bug" failed before the fix they came with.
 */
#include "unit.h"

#include <math.h>

#include "eval.h"

/* Indicators, in rules order. */
enum { LIN_UP, LIN_DOWN, RATIO, INDICATORS };
/* The inputs of RATIO: its responses (checked against a minimum), a share
 * (invalid above 1), and a count that must not be NULL. */
enum { RESPONSES, SHARE, COUNT, INPUTS };
#define COMMUNITIES 3

/* The parameters, in name order (params_find searches them). */
static params make_params(void)
{
    params ps = {0};
    unit_param_number(&ps, "compare.epsilon", 1e-9);
    unit_param_number(&ps, "down.max", 2);
    unit_param_number(&ps, "min_responses", 30);
    return ps;
}

typedef struct fixture {
    category categories[2];
    indicator indicators[INDICATORS];
    indicator_check checks[3];
    rules r;
    params ps;
    snapshot *s;
    indicator_data data[INDICATORS];
    double columns[INDICATORS][COMMUNITIES * (1 + INPUTS)];
    eval_data loaded;
    eval_result result;
} fixture;

static const unit_community COMMUNITY_ROWS[COMMUNITIES] = {
    {"c1", "东区", "一街"}, {"c2", "东区", "二街"}, {"c3", "西区", "一街"}};

/* LIN_UP: lin(10 → 20), 4 points, category A. LIN_DOWN: lin(6 → 2), max
 * points from parameter down.max, category A. RATIO: ratio(28), 3 points,
 * category B, with three checks in this order: missing when responses <
 * {min_responses}, invalid when share > 1, missing when count is NULL. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    size_t i, c;
    assert_non_null(f);
    f->categories[0] = (category){.id = "A", .name = "甲"};
    f->categories[1] = (category){.id = "B", .name = "乙"};
    f->ps = make_params();
    f->indicators[LIN_UP] = (indicator){.id = "U01",
                                        .category_index = 0,
                                        .max = {REF_NUMBER, 4, -1},
                                        .score = SCORE_LIN,
                                        .score_args = {{REF_NUMBER, 10, -1}, {REF_NUMBER, 20, -1}}};
    f->indicators[LIN_DOWN] = (indicator){.id = "U02",
                                          .category_index = 0,
                                          .max = {REF_PARAM, 0, params_find(&f->ps, "down.max")},
                                          .score = SCORE_LIN,
                                          .score_args = {{REF_NUMBER, 6, -1}, {REF_NUMBER, 2, -1}}};
    f->checks[0] = (indicator_check){.status = STATUS_MISSING,
                                     .op = OP_LT,
                                     .lhs = RESPONSES,
                                     .rhs_kind = RHS_PARAM,
                                     .param = params_find(&f->ps, "min_responses")};
    f->checks[1] = (indicator_check){
        .status = STATUS_INVALID, .op = OP_GT, .lhs = SHARE, .rhs_kind = RHS_NUMBER, .number = 1};
    f->checks[2] = (indicator_check){.status = STATUS_MISSING, .op = OP_NULL, .lhs = COUNT};
    f->indicators[RATIO] = (indicator){.id = "V01",
                                       .category_index = 1,
                                       .max = {REF_NUMBER, 3, -1},
                                       .score = SCORE_RATIO,
                                       .score_args = {{REF_NUMBER, 28, -1}, {REF_NUMBER, 0, -1}},
                                       .input_count = INPUTS,
                                       .checks = f->checks,
                                       .check_count = 3};
    f->r.total = 9;
    f->r.categories = f->categories;
    f->r.category_count = 2;
    f->r.indicators = f->indicators;
    f->r.indicator_count = INDICATORS;
    f->r.appraisal.bottom_ratio_param = -1;
    f->s = unit_snapshot_new(2024, "本市", COMMUNITY_ROWS, COMMUNITIES);
    /* Every community: values that score full points, inputs that pass. */
    for (i = 0; i < INDICATORS; i++) {
        f->data[i].stride = 1 + INPUTS;
        f->data[i].columns = f->columns[i];
        for (c = 0; c < COMMUNITIES; c++) {
            double *row = &f->columns[i][c * (1 + INPUTS)];
            row[0] = i == LIN_UP ? 20 : i == LIN_DOWN ? 2 : 28;
            row[1 + RESPONSES] = 100;
            row[1 + SHARE] = 0.5;
            row[1 + COUNT] = 7;
        }
    }
    f->loaded.rules = &f->r;
    f->loaded.snapshot = f->s;
    f->loaded.indicators = f->data;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    eval_result_free(&f->result);
    params_free(&f->ps);
    snapshot_close(f->s);
    free(f);
    return 0;
}

/* Sets community `c`'s value of indicator `i`. */
static void set_value(fixture *f, size_t i, size_t c, double value)
{
    f->columns[i][c * (1 + INPUTS)] = value;
}

/* Sets an input of RATIO for community `c`. */
static void set_input(fixture *f, size_t input, size_t c, double value)
{
    f->columns[RATIO][c * (1 + INPUTS) + 1 + input] = value;
}

/* Scores the fixture (again) and returns the score of indicator `i` of
 * community `c`. */
static const indicator_score *score(fixture *f, size_t i, size_t c)
{
    error e;
    error_clear(&e);
    eval_result_free(&f->result);
    if (eval_score(&f->loaded, &f->ps, &f->result, &e) != ERROR_OK)
        fail_msg("eval_score: %s", e.message);
    return &f->result.scores[c * INDICATORS + i];
}

static void test_lin_halfway_between_its_bounds_scores_half_the_max(void **state)
{
    fixture *f = *state;
    const indicator_score *got;
    set_value(f, LIN_UP, 0, 15);
    got = score(f, LIN_UP, 0);
    assert_int_equal(got->status, STATUS_OK);
    assert_near(got->value, 15, 0);
    assert_near(got->points, 2, 1e-15);
    assert_near(got->max_points, 4, 0);
}

static void test_lin_below_its_start_scores_zero_and_past_its_end_is_capped_at_the_max(void **state)
{
    fixture *f = *state;
    set_value(f, LIN_UP, 0, 5);
    set_value(f, LIN_UP, 1, 25);
    set_value(f, LIN_UP, 2, -1e300);
    assert_near(score(f, LIN_UP, 0)->points, 0, 0);
    assert_near(score(f, LIN_UP, 1)->points, 4, 0);
    assert_near(score(f, LIN_UP, 1)->value, 25, 0); /* the value is kept as it was */
    assert_near(score(f, LIN_UP, 2)->points, 0, 0);
}

static void test_lin_from_above_to_rewards_small_values(void **state)
{
    fixture *f = *state;
    set_value(f, LIN_DOWN, 0, 4); /* lin(6 → 2): halfway */
    set_value(f, LIN_DOWN, 1, 1); /* under 2: full */
    set_value(f, LIN_DOWN, 2, 7); /* over 6: none */
    assert_near(score(f, LIN_DOWN, 0)->points, 1, 1e-15);
    assert_near(score(f, LIN_DOWN, 1)->points, 2, 0);
    assert_near(score(f, LIN_DOWN, 2)->points, 0, 0);
}

static void test_ratio_scores_the_share_of_its_target_capped_at_the_max(void **state)
{
    fixture *f = *state;
    set_value(f, RATIO, 0, 14); /* half of 28 */
    set_value(f, RATIO, 1, 56); /* twice 28: capped */
    set_value(f, RATIO, 2, -3); /* below 0: none */
    assert_near(score(f, RATIO, 0)->points, 1.5, 1e-15);
    assert_near(score(f, RATIO, 1)->points, 3, 0);
    assert_near(score(f, RATIO, 2)->points, 0, 0);
    assert_int_equal(score(f, RATIO, 2)->status, STATUS_OK);
}

static void test_the_scoring_functions_clamp_to_zero_and_one_and_give_zero_for_nan(void **state)
{
    (void)state;
    assert_near(eval_lin(12.5, 10, 20), 0.25, 1e-15);
    assert_near(eval_lin(20, 10, 20), 1, 0);
    assert_near(eval_lin(9, 10, 20), 0, 0);
    assert_near(eval_lin(450, 450, 300), 0, 0);
    assert_near(eval_lin(300, 450, 300), 1, 0);
    assert_near(eval_lin(NAN, 10, 20), 0, 0);
    assert_near(eval_ratio(0.3, 0.6), 0.5, 1e-15);
    assert_near(eval_ratio(0.61, 0.6), 1, 0);
    assert_near(eval_ratio(NAN, 0.6), 0, 0);
}

static void test_every_comparison_gives_way_by_epsilon_as_the_policy_says(void **state)
{
    const double eps = 1e-9;
    (void)state;
    /* x ≥ t is x ≥ t − ε; x < t is x < t − ε; equal is |x − t| ≤ ε */
    assert_true(eval_compare(60 - 1e-12, OP_GE, 60, eps));
    assert_false(eval_compare(60 - 1e-6, OP_GE, 60, eps));
    assert_false(eval_compare(60 - 1e-12, OP_LT, 60, eps));
    assert_true(eval_compare(60 - 1e-6, OP_LT, 60, eps));
    assert_true(eval_compare(60 + 1e-12, OP_LE, 60, eps));
    assert_false(eval_compare(60 + 1e-6, OP_LE, 60, eps));
    assert_false(eval_compare(60 + 1e-12, OP_GT, 60, eps));
    assert_true(eval_compare(60 + 1e-6, OP_GT, 60, eps));
    assert_true(eval_compare(60 + 1e-12, OP_EQ, 60, eps));
    assert_false(eval_compare(60 + 1e-6, OP_EQ, 60, eps));
    assert_false(eval_compare(60 - 1e-12, OP_NE, 60, eps));
    assert_true(eval_compare(60 - 1e-6, OP_NE, 60, eps));
    assert_true(eval_compare(NAN, OP_NULL, 0, eps));
    assert_false(eval_compare(0, OP_NULL, 0, eps));
    /* with no tolerance, a hair is a difference */
    assert_false(eval_compare(60 - 1e-12, OP_GE, 60, 0));
    assert_true(eval_compare(60 + 1e-12, OP_GE, 60, 0));
    assert_true(eval_compare(60, OP_LE, 60, 0));
    assert_true(eval_compare(60, OP_EQ, 60, 0));
}

/* Was a bug (fixed with this test): "x ≥ t" was computed as
 * x > t − ε, so with compare.epsilon = 0 (its declared minimum) it is
 * x > t: a value exactly on a threshold does not reach it. A total of
 * exactly 90 is then four stars, a count target met exactly (8 of 8) is not
 * met (targets.c check_met), and the rules' at_least define does the same
 * in SQL (F02's "≥ 60"). */
static void test_a_value_exactly_on_a_threshold_reaches_it_with_no_tolerance(void **state)
{
    (void)state;
    assert_true(eval_compare(60, OP_GE, 60, 0));
}

static void test_a_null_value_is_missing_with_no_value_and_no_points(void **state)
{
    fixture *f = *state;
    const indicator_score *got;
    set_value(f, LIN_UP, 1, NAN);
    got = score(f, LIN_UP, 1);
    assert_int_equal(got->status, STATUS_MISSING);
    assert_true(isnan(got->value));
    assert_near(got->points, 0, 0);
    assert_near(got->max_points, 4, 0); /* still counted in what could be had */
    assert_near(f->result.totals[1], 2 + 3, 0);
}

static void test_an_infinite_value_is_missing(void **state)
{
    fixture *f = *state;
    set_value(f, RATIO, 0, INFINITY);
    assert_int_equal(score(f, RATIO, 0)->status, STATUS_MISSING);
    assert_near(score(f, RATIO, 0)->points, 0, 0);
}

static void test_a_missing_if_check_makes_a_valued_indicator_missing(void **state)
{
    fixture *f = *state;
    const indicator_score *got;
    set_input(f, RESPONSES, 2, 29); /* fewer than min_responses = 30 */
    got = score(f, RATIO, 2);
    assert_int_equal(got->status, STATUS_MISSING);
    assert_true(isnan(got->value));
    assert_near(got->points, 0, 0);
}

static void test_a_check_at_its_limit_within_epsilon_does_not_fire(void **state)
{
    fixture *f = *state;
    set_input(f, RESPONSES, 0, 30);         /* not < 30 */
    set_input(f, RESPONSES, 1, 30 - 1e-12); /* < 30, but within ε: not below */
    set_input(f, RESPONSES, 2, 30 - 1e-6);  /* below by more than ε */
    assert_int_equal(score(f, RATIO, 0)->status, STATUS_OK);
    assert_int_equal(score(f, RATIO, 1)->status, STATUS_OK);
    assert_int_equal(score(f, RATIO, 2)->status, STATUS_MISSING);
}

static void test_a_check_follows_its_parameter(void **state)
{
    fixture *f = *state;
    set_input(f, RESPONSES, 0, 40);
    assert_int_equal(score(f, RATIO, 0)->status, STATUS_OK);
    unit_param_force(&f->ps, "min_responses", 45);
    assert_int_equal(score(f, RATIO, 0)->status, STATUS_MISSING);
}

static void test_an_input_outside_its_domain_makes_the_indicator_invalid(void **state)
{
    fixture *f = *state;
    const indicator_score *got;
    set_input(f, SHARE, 1, 1.5);
    got = score(f, RATIO, 1);
    assert_int_equal(got->status, STATUS_INVALID);
    assert_true(isnan(got->value));
    assert_near(got->points, 0, 0);
    set_input(f, SHARE, 1, 1 + 1e-12); /* within ε of the bound: still inside */
    assert_int_equal(score(f, RATIO, 1)->status, STATUS_OK);
}

static void test_a_null_input_makes_the_indicator_missing(void **state)
{
    fixture *f = *state;
    set_input(f, COUNT, 0, NAN);
    assert_int_equal(score(f, RATIO, 0)->status, STATUS_MISSING);
}

static void test_the_first_check_that_fires_decides_the_status(void **state)
{
    fixture *f = *state;
    /* community 0: too few responses (missing, first) and a share above 1
     * (invalid, second); community 1: the share only */
    set_input(f, RESPONSES, 0, 3);
    set_input(f, SHARE, 0, 2);
    set_input(f, SHARE, 1, 2);
    assert_int_equal(score(f, RATIO, 0)->status, STATUS_MISSING);
    assert_int_equal(score(f, RATIO, 1)->status, STATUS_INVALID);
}

static void test_a_comparison_with_a_null_input_does_not_fire(void **state)
{
    fixture *f = *state;
    /* NULL is told by the null checks, not by comparisons: a NULL share is
     * neither above nor below 1 */
    set_input(f, SHARE, 2, NAN);
    assert_int_equal(score(f, RATIO, 2)->status, STATUS_OK);
}

static void test_category_points_and_the_total_sum_the_points_of_each_indicator(void **state)
{
    fixture *f = *state;
    const double *cp;
    set_value(f, LIN_UP, 1, 15);  /* 2 of 4 */
    set_value(f, LIN_DOWN, 1, 4); /* 1 of 2 */
    set_value(f, RATIO, 1, 7);    /* 0.75 of 3 */
    score(f, LIN_UP, 1);
    cp = &f->result.category_points[1 * 2];
    assert_near(cp[0], 3, 1e-15);
    assert_near(cp[1], 0.75, 1e-15);
    assert_near(f->result.totals[1], 3.75, 1e-15);
    assert_near(f->result.totals[0], 9, 0); /* the others full */
    assert_near(f->result.category_max[0], 6, 0);
    assert_near(f->result.category_max[1], 3, 0);
    assert_near(f->result.max_total, 9, 0);
}

static void test_max_points_follow_their_parameter(void **state)
{
    fixture *f = *state;
    set_value(f, LIN_DOWN, 0, 4); /* halfway */
    unit_param_force(&f->ps, "down.max", 5);
    assert_near(score(f, LIN_DOWN, 0)->points, 2.5, 1e-15);
    assert_near(score(f, LIN_DOWN, 0)->max_points, 5, 0);
    assert_near(f->result.category_max[0], 9, 0);
    assert_near(f->result.max_total, 12, 0);
    assert_near(f->result.totals[1], 12, 0);
}

/* The shipped rules' A01 (每万人社区工作者数, LIN(10→17), 3 points) and C02
 * (下沉公共服务事项数, RATIO(28), 3 points), scored from values written
 * into their columns: POLICY.md §1's functions with the rules' numbers. */
static void test_shipped_a01_and_c02_score_as_the_policy_table_says(void **state)
{
    rules *r = unit_rules_load(".");
    snapshot *s = unit_snapshot_new(2024, "本市", COMMUNITY_ROWS, 2);
    indicator_data *data = calloc(r->indicator_count, sizeof *data);
    eval_data loaded;
    eval_result result;
    int a01 = rules_find_indicator(r, "A01"), c02 = rules_find_indicator(r, "C02");
    size_t i, k, m = r->indicator_count;
    error e;
    (void)state;
    assert_non_null(data);
    assert_true(a01 >= 0 && c02 >= 0);
    /* Every input 50 (no check of A01 or C02 fires on it), every value NULL:
     * the other indicators are missing. */
    for (i = 0; i < m; i++) {
        data[i].stride = 1 + r->indicators[i].input_count;
        data[i].columns = malloc(2 * data[i].stride * sizeof *data[i].columns);
        assert_non_null(data[i].columns);
        for (k = 0; k < 2 * data[i].stride; k++)
            data[i].columns[k] = k % data[i].stride == 0 ? NAN : 50;
    }
    data[a01].columns[0] = 13.5;              /* halfway from 10 to 17 */
    data[a01].columns[data[a01].stride] = 17; /* at 17: full */
    data[c02].columns[0] = 7;                 /* a quarter of 28 */
    data[c02].columns[data[c02].stride] = 30; /* past 28: full, capped */
    memset(&loaded, 0, sizeof loaded);
    loaded.rules = r;
    loaded.snapshot = s;
    loaded.indicators = data;
    loaded.targets = calloc(r->target_count + 1, sizeof *loaded.targets);
    assert_non_null(loaded.targets);
    for (i = 0; i < r->target_count; i++) {
        loaded.targets[i].numerator = calloc(2, sizeof(double));
        loaded.targets[i].denominator = calloc(2, sizeof(double));
    }
    error_clear(&e);
    if (eval_score(&loaded, &r->params, &result, &e) != ERROR_OK)
        fail_msg("eval_score: %s", e.message);
    assert_int_equal(result.scores[(size_t)a01].status, STATUS_OK);
    assert_near(result.scores[(size_t)a01].points, 1.5, 1e-15);
    assert_near(result.scores[m + (size_t)a01].points, 3, 0);
    assert_near(result.scores[(size_t)c02].points, 0.75, 1e-15);
    assert_near(result.scores[m + (size_t)c02].points, 3, 0);
    assert_near(result.scores[m + (size_t)c02].value, 30, 0);
    assert_near(result.totals[0], 2.25, 1e-15);
    assert_near(result.max_total, 100, 1e-12);
    eval_result_free(&result);
    for (i = 0; i < r->target_count; i++) {
        free(loaded.targets[i].numerator);
        free(loaded.targets[i].denominator);
    }
    free(loaded.targets);
    for (i = 0; i < m; i++)
        free(data[i].columns);
    free(data);
    snapshot_close(s);
    rules_free(r);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_lin_halfway_between_its_bounds_scores_half_the_max),
        T(test_lin_below_its_start_scores_zero_and_past_its_end_is_capped_at_the_max),
        T(test_lin_from_above_to_rewards_small_values),
        T(test_ratio_scores_the_share_of_its_target_capped_at_the_max),
        T(test_the_scoring_functions_clamp_to_zero_and_one_and_give_zero_for_nan),
        T(test_every_comparison_gives_way_by_epsilon_as_the_policy_says),
        T(test_a_value_exactly_on_a_threshold_reaches_it_with_no_tolerance),
        T(test_a_null_value_is_missing_with_no_value_and_no_points),
        T(test_an_infinite_value_is_missing),
        T(test_a_missing_if_check_makes_a_valued_indicator_missing),
        T(test_a_check_at_its_limit_within_epsilon_does_not_fire),
        T(test_a_check_follows_its_parameter),
        T(test_an_input_outside_its_domain_makes_the_indicator_invalid),
        T(test_a_null_input_makes_the_indicator_missing),
        T(test_the_first_check_that_fires_decides_the_status),
        T(test_a_comparison_with_a_null_input_does_not_fire),
        T(test_category_points_and_the_total_sum_the_points_of_each_indicator),
        T(test_max_points_follow_their_parameter),
        cmocka_unit_test(test_shipped_a01_and_c02_score_as_the_policy_table_says),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
