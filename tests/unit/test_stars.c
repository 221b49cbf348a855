/*
 * test_stars.c -- star grades and ranks of eval_score with the shipped
 * rules (POLICY.md §1 and §0): 五星 total ≥ 90 and F01 ≥ 0.90, 四星 ≥ 80,
 * 三星 ≥ 70, 二星 ≥ 60, else 0; "x ≥ t" means x ≥ t − ε with ε the rules'
 * compare.epsilon (1e-9), so a total a hair below a line still reaches it;
 * ranks by total descending, totals within ε share the better rank
 * (1, 2, 2, 4), and the rank order lists ties by community id.
 *
 * The shipped rules are loaded once; each test writes the indicator values
 * of a few communities straight into eval_data (every indicator at full
 * points, then chosen indicators at zero), so that a total is exactly 90,
 * 80, 70 or 60, or a given hair below it.
 *
 * Tests marked "Was a bug" failed before the fix they came with.
 */
#include "unit.h"

#include "eval.h"

#define COMMUNITIES 5
#define YEAR        2024
#define INPUTS_MAX  16

static const unit_community COMMUNITY_ROWS[COMMUNITIES] = {{"c1", "东区", "一街"},
                                                           {"c2", "东区", "一街"},
                                                           {"c3", "东区", "二街"},
                                                           {"c4", "西区", "一街"},
                                                           {"c5", "西区", "一街"}};

typedef struct fixture {
    rules *r;
    params ps;
    snapshot *s;
    indicator_data *data;
    double *safe; /* [indicator * INPUTS_MAX + k] inputs on which none of its checks fires */
    eval_data loaded;
    eval_result result;
} fixture;

/* How many checks of `ind` fire on `inputs`. */
static int checks_firing(const indicator *ind, const double *inputs, const params *ps)
{
    size_t i;
    int firing = 0;
    for (i = 0; i < ind->check_count; i++) {
        const indicator_check *c = &ind->checks[i];
        double x = inputs[c->lhs], y;
        if (c->op == OP_NULL) {
            firing += isnan(x);
            continue;
        }
        y = c->rhs_kind == RHS_PARAM   ? params_number(ps, c->param)
            : c->rhs_kind == RHS_INPUT ? inputs[c->input]
                                       : c->number;
        firing += eval_compare(x, c->op, y, eval_epsilon(ps));
    }
    return firing;
}

/* Fills `inputs` with values on which no check of `ind` fires: each input
 * in turn takes the candidate that leaves the fewest checks firing. */
static void safe_inputs(const indicator *ind, const params *ps, double *inputs)
{
    static const double candidates[] = {50, 0.5, 0, 1, 1000};
    size_t k, n, round;
    for (k = 0; k < ind->input_count; k++)
        inputs[k] = candidates[0];
    for (round = 0; round < 4 && checks_firing(ind, inputs, ps) > 0; round++)
        for (k = 0; k < ind->input_count; k++) {
            double best = inputs[k];
            int fewest = checks_firing(ind, inputs, ps);
            for (n = 0; n < sizeof candidates / sizeof candidates[0]; n++) {
                int firing;
                inputs[k] = candidates[n];
                firing = checks_firing(ind, inputs, ps);
                if (firing < fewest) {
                    fewest = firing;
                    best = candidates[n];
                }
            }
            inputs[k] = best;
        }
    if (checks_firing(ind, inputs, ps) > 0)
        fail_msg("indicator %s: no inputs found that pass its checks", ind->id);
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->r = unit_rules_load(".");
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    rules_free(f->r);
    free(f);
    return 0;
}

/* The value of indicator `i` that scores the fraction `fraction` of its
 * max points (exactly, for 0 and 1). */
static double value_for(const fixture *f, size_t i, double fraction)
{
    const indicator *ind = &f->r->indicators[i];
    double a = rules_ref_value(&ind->score_args[0], &f->ps, YEAR);
    double b = rules_ref_value(&ind->score_args[1], &f->ps, YEAR);
    if (ind->score == SCORE_RATIO)
        return fraction == 1 ? a : fraction * a;
    return fraction == 1 ? b : fraction == 0 ? a : a + fraction * (b - a);
}

static double *row(fixture *f, size_t i, size_t c)
{
    return &f->data[i].columns[c * f->data[i].stride];
}

/* Every community: every indicator at full points (F01 0.95). */
static int setup(void **state)
{
    fixture *f = *state;
    size_t i, c, k, m = f->r->indicator_count;
    error e;
    error_clear(&e);
    assert_int_equal(params_copy(&f->ps, &f->r->params, &e), ERROR_OK);
    f->s = unit_snapshot_new(YEAR, "本市", COMMUNITY_ROWS, COMMUNITIES);
    f->data = calloc(m, sizeof *f->data);
    f->safe = calloc(m * INPUTS_MAX, sizeof *f->safe);
    assert_true(f->data != NULL && f->safe != NULL);
    for (i = 0; i < m; i++) {
        f->data[i].stride = 1 + f->r->indicators[i].input_count;
        f->data[i].columns = malloc(COMMUNITIES * f->data[i].stride * sizeof(double));
        assert_non_null(f->data[i].columns);
        assert_true(f->r->indicators[i].input_count <= INPUTS_MAX);
        safe_inputs(&f->r->indicators[i], &f->ps, &f->safe[i * INPUTS_MAX]);
        for (c = 0; c < COMMUNITIES; c++) {
            row(f, i, c)[0] = value_for(f, i, 1);
            for (k = 1; k < f->data[i].stride; k++)
                row(f, i, c)[k] = f->safe[i * INPUTS_MAX + k - 1];
        }
    }
    memset(&f->loaded, 0, sizeof f->loaded);
    f->loaded.rules = f->r;
    f->loaded.snapshot = f->s;
    f->loaded.indicators = f->data;
    f->loaded.targets = calloc(f->r->target_count + 1, sizeof *f->loaded.targets);
    assert_non_null(f->loaded.targets);
    for (k = 0; k < f->r->target_count; k++) {
        f->loaded.targets[k].numerator = calloc(COMMUNITIES, sizeof(double));
        f->loaded.targets[k].denominator = calloc(COMMUNITIES, sizeof(double));
        assert_true(f->loaded.targets[k].numerator && f->loaded.targets[k].denominator);
    }
    memset(&f->result, 0, sizeof f->result);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    size_t i;
    eval_result_free(&f->result);
    for (i = 0; i < f->r->target_count; i++) {
        free(f->loaded.targets[i].numerator);
        free(f->loaded.targets[i].denominator);
    }
    free(f->loaded.targets);
    for (i = 0; i < f->r->indicator_count; i++)
        free(f->data[i].columns);
    free(f->data);
    free(f->safe);
    snapshot_close(f->s);
    params_free(&f->ps);
    return 0;
}

static size_t indicator_index(const fixture *f, const char *id)
{
    int i = rules_find_indicator(f->r, id);
    if (i < 0)
        fail_msg("no indicator %s", id);
    return (size_t)i;
}

/* Sets community `c`'s indicator `id` to the value scoring `fraction`. */
static void set_fraction(fixture *f, size_t c, const char *id, double fraction)
{
    size_t i = indicator_index(f, id);
    row(f, i, c)[0] = value_for(f, i, fraction);
}

/* Sets community `c`'s F01 (居民满意率) value. */
static void set_f01(fixture *f, size_t c, double value)
{
    row(f, indicator_index(f, "F01"), c)[0] = value;
}

/* Zeroes indicators of community `c` (never F01, which stars read, nor A05,
 * which the tests move by a hair), which has every other at full points,
 * so that its total is exactly `total` points (a whole number): a subset
 * of max points that sums to 100 − total. */
static void set_total(fixture *f, size_t c, int total)
{
    size_t m = f->r->indicator_count, i, f01 = indicator_index(f, "F01");
    size_t a05 = indicator_index(f, "A05");
    int drop = 100 - total, s;
    /* reach[s]: the first indicator of a subset summing to s, + 1 (0: none) */
    size_t reach[101], from[101];
    bool used[101];
    assert_true(drop >= 0 && drop <= 100);
    memset(reach, 0, sizeof reach);
    memset(used, 0, sizeof used);
    used[0] = true;
    for (i = 0; i < m; i++) {
        double max = rules_ref_value(&f->r->indicators[i].max, &f->ps, YEAR);
        int points = (int)max;
        if (i == f01 || i == a05 || points != max)
            continue;
        for (s = 100; s >= points; s--)
            if (!used[s] && used[s - points]) {
                used[s] = true;
                reach[s] = i + 1;
                from[s] = (size_t)(s - points);
            }
    }
    if (!used[drop])
        fail_msg("no indicators sum to %d points", drop);
    for (s = drop; s > 0; s = (int)from[s])
        row(f, reach[s] - 1, c)[0] = value_for(f, reach[s] - 1, 0);
}

/* Scores the fixture (again); fails on an error. */
static void score(fixture *f)
{
    error e;
    error_clear(&e);
    eval_result_free(&f->result);
    if (eval_score(&f->loaded, &f->ps, &f->result, &e) != ERROR_OK)
        fail_msg("eval_score: %s", e.message);
}

static void test_full_points_everywhere_is_a_hundred_and_five_stars(void **state)
{
    fixture *f = *state;
    score(f);
    assert_near(f->result.totals[0], 100, 0);
    assert_int_equal(f->result.stars[0], 5);
}

static void test_a_total_of_exactly_ninety_is_five_stars(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 90);
    score(f);
    assert_near(f->result.totals[0], 90, 0);
    assert_int_equal(f->result.stars[0], 5);
}

static void test_total_a_hair_below_the_five_star_line_is_five_stars(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 90);
    set_fraction(f, 0, "A05", 1 - 1e-13); /* lin(0 → 1), 3 points: 3e-13 short */
    score(f);
    assert_true(f->result.totals[0] < 90);
    assert_true(f->result.totals[0] > 90 - 1e-9);
    assert_int_equal(f->result.stars[0], 5);
}

static void test_total_more_than_epsilon_below_the_five_star_line_is_four_stars(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 90);
    set_fraction(f, 0, "A05", 1 - 1e-6); /* 3e-6 short */
    score(f);
    assert_near(f->result.totals[0], 90 - 3e-6, 1e-12);
    assert_int_equal(f->result.stars[0], 4);
}

static void test_the_tolerance_is_the_compare_epsilon_parameter(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 90);
    set_fraction(f, 0, "A05", 1 - 1e-6); /* 3e-6 short of 90 */
    unit_param_force(&f->ps, "compare.epsilon", 1e-5);
    score(f);
    assert_int_equal(f->result.stars[0], 5);
    unit_param_force(&f->ps, "compare.epsilon", 0);
    set_total(f, 1, 90);
    set_fraction(f, 1, "A05", 1 - 1e-13); /* a hair short, and no tolerance */
    score(f);
    assert_int_equal(f->result.stars[1], 4);
}

static void test_f01_below_ninety_percent_keeps_a_high_total_from_five_stars(void **state)
{
    fixture *f = *state;
    set_f01(f, 0, 0.89); /* 7 of 10 points: total 97 */
    score(f);
    assert_near(f->result.totals[0], 97, 1e-12);
    assert_int_equal(f->result.stars[0], 4);
}

static void test_f01_at_or_a_hair_below_ninety_percent_is_enough_for_five_stars(void **state)
{
    fixture *f = *state;
    set_f01(f, 0, 0.90);
    set_f01(f, 1, 0.90 - 1e-12);
    set_f01(f, 2, 0.90 - 1e-6);
    score(f);
    assert_int_equal(f->result.stars[0], 5);
    assert_int_equal(f->result.stars[1], 5);
    assert_int_equal(f->result.stars[2], 4);
}

static void test_a_missing_f01_keeps_five_stars_away(void **state)
{
    fixture *f = *state;
    set_f01(f, 0, NAN); /* missing: 0 points, and no value to compare */
    score(f);
    assert_int_equal(f->result.scores[indicator_index(f, "F01")].status, STATUS_MISSING);
    assert_near(f->result.totals[0], 90, 0);
    assert_int_equal(f->result.stars[0], 4);
}

static void test_each_lower_star_line_at_its_exact_total_gives_its_grade(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 80);
    set_total(f, 1, 70);
    set_total(f, 2, 60);
    set_total(f, 3, 59);
    score(f);
    assert_near(f->result.totals[0], 80, 0);
    assert_near(f->result.totals[1], 70, 0);
    assert_near(f->result.totals[2], 60, 0);
    assert_near(f->result.totals[3], 59, 0);
    assert_int_equal(f->result.stars[0], 4);
    assert_int_equal(f->result.stars[1], 3);
    assert_int_equal(f->result.stars[2], 2);
    assert_int_equal(f->result.stars[3], 0);
}

static void test_a_hair_below_a_lower_line_keeps_it_and_more_than_epsilon_loses_it(void **state)
{
    fixture *f = *state;
    static const int lines[] = {80, 70, 60}, grade[] = {4, 3, 2}, below[] = {3, 2, 0};
    size_t k;
    for (k = 0; k < 3; k++) {
        set_total(f, 0, lines[k]);
        set_fraction(f, 0, "A05", 1 - 1e-13);
        set_total(f, 1, lines[k]);
        set_fraction(f, 1, "A05", 1 - 1e-6);
        score(f);
        assert_true(f->result.totals[0] < lines[k]);
        assert_int_equal(f->result.stars[0], grade[k]);
        assert_int_equal(f->result.stars[1], below[k]);
        teardown(state);
        setup(state);
    }
}

static void test_star_lines_follow_their_parameters(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 80);
    score(f);
    assert_int_equal(f->result.stars[0], 4);
    unit_param_force(&f->ps, "stars.four", 85);
    score(f);
    assert_int_equal(f->result.stars[0], 3);
    unit_param_force(&f->ps, "stars.five", 80);
    unit_param_force(&f->ps, "stars.five_f01", 0.96); /* F01 0.95 is now short */
    score(f);
    assert_int_equal(f->result.stars[0], 3);
    unit_param_force(&f->ps, "stars.five_f01", 0.95);
    score(f);
    assert_int_equal(f->result.stars[0], 5);
}

static void test_ranks_go_by_total_and_equal_totals_share_the_better_rank(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 80);
    set_total(f, 1, 90);
    set_total(f, 2, 90);
    set_total(f, 3, 100 - 30);
    set_total(f, 4, 100);
    score(f);
    assert_int_equal(f->result.ranks[4], 1); /* 100 */
    assert_int_equal(f->result.ranks[1], 2); /* 90 */
    assert_int_equal(f->result.ranks[2], 2); /* 90: the same rank */
    assert_int_equal(f->result.ranks[0], 4); /* 80: after two at rank 2 */
    assert_int_equal(f->result.ranks[3], 5); /* 70 */
}

static void test_tied_communities_are_listed_in_id_order(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 60);
    set_total(f, 1, 90);
    set_total(f, 2, 60);
    set_total(f, 3, 90);
    set_total(f, 4, 90);
    score(f);
    assert_int_equal(f->result.order[0], 1);
    assert_int_equal(f->result.order[1], 3);
    assert_int_equal(f->result.order[2], 4);
    assert_int_equal(f->result.order[3], 0);
    assert_int_equal(f->result.order[4], 2);
    assert_int_equal(f->result.ranks[3], 1);
    assert_int_equal(f->result.ranks[0], 4);
    assert_int_equal(f->result.ranks[2], 4);
}

static void test_totals_within_epsilon_share_a_rank_and_further_apart_do_not(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 95);
    set_total(f, 1, 90);
    set_total(f, 2, 90);
    set_fraction(f, 2, "A05", 1 - 1e-13); /* 90 − 3e-13: equal to 90 */
    set_total(f, 3, 90);
    set_fraction(f, 3, "A05", 1 - 1e-6); /* 90 − 3e-6: below */
    set_total(f, 4, 50);
    score(f);
    assert_int_equal(f->result.ranks[0], 1);
    assert_int_equal(f->result.ranks[1], 2);
    assert_int_equal(f->result.ranks[2], 2);
    assert_int_equal(f->result.ranks[3], 4);
    assert_int_equal(f->result.ranks[4], 5);
}

/* Was a bug (fixed with this test): eval.h says the rank
 * order is "by rank (then id)", and totals within ε are equal (POLICY.md
 * §0) and share a rank, but rank_order sorted by the exact total, so of two
 * communities at rank 1 the one 3e-13 points higher is listed first
 * whatever its id (the terminal summary lists them in this order). */
static void test_totals_within_epsilon_are_listed_in_id_order(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 50);
    set_total(f, 1, 90);
    set_fraction(f, 1, "A05", 1 - 1e-13); /* c2: 90 − 3e-13 */
    set_total(f, 2, 90);                  /* c3: 90 */
    set_total(f, 3, 50);
    set_total(f, 4, 50);
    score(f);
    assert_int_equal(f->result.ranks[1], 1);
    assert_int_equal(f->result.ranks[2], 1);
    assert_int_equal(f->result.order[0], 1); /* c2 before c3: the same rank, then id */
    assert_int_equal(f->result.order[1], 2);
}

/* Was a bug (the same, through eval_score): with compare.epsilon = 0, a
 * total of exactly 90 (F01 0.95) is four stars, not five. */
static void test_a_total_exactly_on_the_five_star_line_is_five_stars_with_no_tolerance(void **state)
{
    fixture *f = *state;
    set_total(f, 0, 90);
    unit_param_force(&f->ps, "compare.epsilon", 0);
    score(f);
    assert_near(f->result.totals[0], 90, 0);
    assert_int_equal(f->result.stars[0], 5);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_full_points_everywhere_is_a_hundred_and_five_stars),
        T(test_a_total_of_exactly_ninety_is_five_stars),
        T(test_total_a_hair_below_the_five_star_line_is_five_stars),
        T(test_total_more_than_epsilon_below_the_five_star_line_is_four_stars),
        T(test_the_tolerance_is_the_compare_epsilon_parameter),
        T(test_f01_below_ninety_percent_keeps_a_high_total_from_five_stars),
        T(test_f01_at_or_a_hair_below_ninety_percent_is_enough_for_five_stars),
        T(test_a_missing_f01_keeps_five_stars_away),
        T(test_each_lower_star_line_at_its_exact_total_gives_its_grade),
        T(test_a_hair_below_a_lower_line_keeps_it_and_more_than_epsilon_loses_it),
        T(test_star_lines_follow_their_parameters),
        T(test_ranks_go_by_total_and_equal_totals_share_the_better_rank),
        T(test_tied_communities_are_listed_in_id_order),
        T(test_totals_within_epsilon_share_a_rank_and_further_apart_do_not),
        T(test_totals_within_epsilon_are_listed_in_id_order),
        T(test_a_total_exactly_on_the_five_star_line_is_five_stars_with_no_tolerance),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
