/*
 * test_targets.c -- targets_score and targets_rejudge (POLICY.md §2, §3):
 * each target's per-community numerators and denominators are summed up to
 * the scopes it names (region, district, street = district/street,
 * community), the actual is the ratio (or, for measure "count", the
 * numerator), and a check is met when actual ≥ required, i.e. actual >
 * required − ε. A ratio without a denominator has no actual and is not met,
 * or gives no check at all with empty = "skip". The required value is a
 * number, a parameter, or a schedule read at the snapshot's year.
 *
 * Rules, parameters, snapshot and loaded numbers are made in C.
 *
 * Tests marked "Was a bug" failed before the fix they came with.
 */
#include "unit.h"

#include "eval.h"

enum { CERT, UNDER45, NEW_CERTIFIED, TARGETS };
#define COMMUNITIES 5
#define EPSILON     1e-9

/* Two streets named 一街, one in each district. */
static const unit_community COMMUNITY_ROWS[COMMUNITIES] = {{"c1", "东区", "一街"},
                                                           {"c2", "东区", "一街"},
                                                           {"c3", "东区", "二街"},
                                                           {"c4", "西区", "一街"},
                                                           {"c5", "西区", "三街"}};

static const schedule_point MILESTONES[] = {{2020, 0.35}, {2023, 0.60}, {2026, 1.00}};

typedef struct fixture {
    target_rule targets[TARGETS];
    rules r;
    params ps;
    snapshot *s;
    target_data data[TARGETS];
    double numbers[TARGETS][2][COMMUNITIES];
    outcome o;
} fixture;

/* cert_ratio: a ratio at every scope, required cert.milestones at the
 * year, no denominator → actual NULL; under45_certified: region and street,
 * required 1, no denominator → no check; new_certified: a count per
 * street, required new_certified.required (8). */
static fixture *make(int year)
{
    fixture *f = calloc(1, sizeof *f);
    size_t t;
    assert_non_null(f);
    unit_param_number(&f->ps, "compare.epsilon", EPSILON);
    unit_param_schedule(&f->ps, "cert.milestones", MILESTONES, 3);
    unit_param_number(&f->ps, "new_certified.required", 8);
    f->targets[CERT] =
        (target_rule){.id = "cert_ratio",
                      .scopes = {true, true, true, true},
                      .required = {REF_SCHEDULE, 0, params_find(&f->ps, "cert.milestones")}};
    f->targets[UNDER45] = (target_rule){.id = "under45_certified",
                                        .skip_empty = true,
                                        .scopes = {[SCOPE_REGION] = true, [SCOPE_STREET] = true},
                                        .required = {REF_NUMBER, 1.0, -1}};
    f->targets[NEW_CERTIFIED] =
        (target_rule){.id = "new_certified",
                      .count = true,
                      .scopes = {[SCOPE_STREET] = true},
                      .required = {REF_PARAM, 0, params_find(&f->ps, "new_certified.required")}};
    f->r.targets = f->targets;
    f->r.target_count = TARGETS;
    f->s = unit_snapshot_new(year, "本市", COMMUNITY_ROWS, COMMUNITIES);
    for (t = 0; t < TARGETS; t++) {
        f->data[t].numerator = f->numbers[t][0];
        f->data[t].denominator = f->numbers[t][1];
    }
    return f;
}

static void destroy(fixture *f)
{
    outcome_free(&f->o);
    params_free(&f->ps);
    snapshot_close(f->s);
    free(f);
}

/* Sets community `c`'s numerator and denominator of target `t`. */
static void set(fixture *f, size_t t, size_t c, double numerator, double denominator)
{
    f->numbers[t][0][c] = numerator;
    f->numbers[t][1][c] = denominator;
}

static void score(fixture *f)
{
    error e;
    error_clear(&e);
    outcome_free(&f->o);
    if (targets_score(&f->r, f->s, f->data, &f->ps, eval_epsilon(&f->ps), &f->o, &e) != ERROR_OK)
        fail_msg("targets_score: %s", e.message);
}

/* The check of `target` at `scope` `scope_id`; NULL when there is none. */
static const target_check *find(const fixture *f, const char *target, const char *scope,
                                const char *scope_id)
{
    size_t k;
    for (k = 0; k < f->o.check_count; k++) {
        const target_check *c = &f->o.checks[k];
        if (strcmp(c->target_id, target) == 0 && strcmp(c->scope, scope) == 0 &&
            strcmp(c->scope_id, scope_id) == 0)
            return c;
    }
    return NULL;
}

static const target_check *get(const fixture *f, const char *target, const char *scope,
                               const char *scope_id)
{
    const target_check *c = find(f, target, scope, scope_id);
    if (c == NULL)
        fail_msg("no check of %s at %s %s", target, scope, scope_id);
    return c;
}

/* How many checks of `target` there are. */
static size_t count(const fixture *f, const char *target)
{
    size_t k, n = 0;
    for (k = 0; k < f->o.check_count; k++)
        n += strcmp(f->o.checks[k].target_id, target) == 0;
    return n;
}

static void test_a_ratio_target_sums_numerators_and_denominators_up_to_each_scope(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, CERT, 0, 1, 10); /* 东区/一街 */
    set(f, CERT, 1, 9, 10); /* 东区/一街 */
    set(f, CERT, 2, 3, 4);  /* 东区/二街 */
    set(f, CERT, 3, 0, 2);  /* 西区/一街 */
    set(f, CERT, 4, 2, 4);  /* 西区/三街 */
    score(f);
    /* a sum of counts, not a mean of ratios */
    assert_near(get(f, "cert_ratio", "region", "本市")->actual, 15.0 / 30, 1e-15);
    assert_near(get(f, "cert_ratio", "region", "本市")->numerator, 15, 0);
    assert_near(get(f, "cert_ratio", "region", "本市")->denominator, 30, 0);
    assert_near(get(f, "cert_ratio", "district", "东区")->actual, 13.0 / 24, 1e-15);
    assert_near(get(f, "cert_ratio", "district", "西区")->actual, 2.0 / 6, 1e-15);
    assert_near(get(f, "cert_ratio", "street", "东区/一街")->actual, 10.0 / 20, 1e-15);
    assert_near(get(f, "cert_ratio", "street", "东区/二街")->actual, 0.75, 1e-15);
    assert_near(get(f, "cert_ratio", "community", "c1")->actual, 0.1, 1e-15);
    assert_near(get(f, "cert_ratio", "community", "c3")->actual, 0.75, 1e-15);
    assert_int_equal(get(f, "cert_ratio", "street", "东区/二街")->met, 1); /* 0.75 ≥ 0.60 */
    assert_int_equal(get(f, "cert_ratio", "street", "东区/一街")->met, 0); /* 0.50 < 0.60 */
    assert_int_equal(count(f, "cert_ratio"), 1 + 2 + 4 + 5);
    destroy(f);
}

static void test_streets_of_the_same_name_in_two_districts_are_checked_apart(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, CERT, 0, 4, 4);
    set(f, CERT, 1, 4, 4);
    set(f, CERT, 3, 0, 5);
    score(f);
    assert_near(get(f, "cert_ratio", "street", "东区/一街")->actual, 1, 0);
    assert_near(get(f, "cert_ratio", "street", "西区/一街")->actual, 0, 0);
    assert_null(find(f, "cert_ratio", "street", "一街"));
    destroy(f);
}

static void test_checks_come_target_by_target_broadest_scope_first_ids_sorted(void **state)
{
    fixture *f = make(2023);
    static const char *const scopes[] = {"region", "district", "street", "community"};
    size_t k, rank_before = 0;
    (void)state;
    for (k = 0; k < COMMUNITIES; k++)
        set(f, CERT, k, 1, 2);
    set(f, UNDER45, 0, 1, 1);
    score(f);
    for (k = 0; k < 12; k++) {
        const target_check *c = &f->o.checks[k];
        size_t rank = 0;
        assert_string_equal(c->target_id, "cert_ratio");
        while (strcmp(scopes[rank], c->scope) != 0)
            rank++;
        assert_true(rank >= rank_before);
        if (k > 0 && rank == rank_before)
            assert_true(strcmp(f->o.checks[k - 1].scope_id, c->scope_id) < 0);
        rank_before = rank;
    }
    assert_string_equal(f->o.checks[12].target_id, "under45_certified");
    assert_string_equal(f->o.checks[12].scope, "region");
    assert_string_equal(f->o.checks[14].target_id, "new_certified");
    destroy(f);
}

static void test_only_the_scopes_a_target_names_are_checked(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, UNDER45, 0, 1, 1);
    set(f, NEW_CERTIFIED, 0, 1, 0);
    score(f);
    assert_non_null(find(f, "under45_certified", "region", "本市"));
    assert_null(find(f, "under45_certified", "district", "东区"));
    assert_null(find(f, "under45_certified", "community", "c1"));
    assert_null(find(f, "new_certified", "region", "本市"));
    assert_int_equal(count(f, "new_certified"), f->s->street_count);
    destroy(f);
}

static void test_an_actual_equal_to_the_required_ratio_is_met(void **state)
{
    fixture *f = make(2023); /* required 0.60, a milestone */
    (void)state;
    set(f, CERT, 2, 3, 5);
    score(f);
    assert_near(get(f, "cert_ratio", "community", "c3")->required, 0.6, 0);
    assert_int_equal(get(f, "cert_ratio", "community", "c3")->met, 1);
    destroy(f);
}

static void test_an_actual_a_hair_below_the_required_is_met_and_further_below_is_not(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, CERT, 0, 0.6 - 1e-12, 1); /* within ε: equal */
    set(f, CERT, 1, 0.6 - 1e-6, 1);  /* below */
    set(f, CERT, 2, 0.6 + 1e-12, 1);
    score(f);
    assert_int_equal(get(f, "cert_ratio", "community", "c1")->met, 1);
    assert_int_equal(get(f, "cert_ratio", "community", "c2")->met, 0);
    assert_int_equal(get(f, "cert_ratio", "community", "c3")->met, 1);
    destroy(f);
}

static void test_the_required_ratio_is_the_schedule_at_the_snapshot_year(void **state)
{
    static const int years[] = {2019, 2020, 2021, 2024, 2025, 2026, 2030};
    static const double required[] = {0.35, 0.35, 0.35 + 0.25 / 3, 0.6 + 0.4 / 3, 0.6 + 0.8 / 3,
                                      1.0,  1.0};
    size_t k;
    (void)state;
    for (k = 0; k < 7; k++) {
        fixture *f = make(years[k]);
        /* 13 of 30 in 2021 is 0.43333333333333335, the requirement
         * 0.4333333333333333 computed: met */
        set(f, CERT, 0, 13, 30);
        score(f);
        assert_near(get(f, "cert_ratio", "region", "本市")->required, required[k], 1e-15);
        assert_int_equal(get(f, "cert_ratio", "region", "本市")->met, years[k] <= 2021);
        destroy(f);
    }
}

static void test_a_region_without_a_denominator_has_no_actual_and_is_not_met(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, CERT, 4, 0, 4); /* only 西区/三街 has workers */
    score(f);
    assert_true(isnan(get(f, "cert_ratio", "community", "c1")->actual));
    assert_int_equal(get(f, "cert_ratio", "community", "c1")->met, 0);
    assert_true(isnan(get(f, "cert_ratio", "district", "东区")->actual));
    assert_int_equal(get(f, "cert_ratio", "district", "东区")->met, 0);
    assert_near(get(f, "cert_ratio", "district", "西区")->actual, 0, 0);
    destroy(f);
}

static void test_a_skip_empty_target_gives_no_check_where_the_denominator_is_zero(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, UNDER45, 2, 1, 1); /* only 东区/二街 has such workers */
    score(f);
    assert_int_equal(count(f, "under45_certified"), 1 + 1);
    assert_int_equal(get(f, "under45_certified", "street", "东区/二街")->met, 1);
    assert_int_equal(get(f, "under45_certified", "region", "本市")->met, 1);
    assert_null(find(f, "under45_certified", "street", "东区/一街"));
    destroy(f);
}

static void test_a_count_target_compares_the_numerator_with_the_required_count(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, NEW_CERTIFIED, 0, 5, 0); /* 东区/一街: 5 + 3 = 8, no denominator needed */
    set(f, NEW_CERTIFIED, 1, 3, 0);
    set(f, NEW_CERTIFIED, 2, 7, 0);  /* 东区/二街: 7 */
    set(f, NEW_CERTIFIED, 4, 20, 2); /* 西区/三街: 20, whatever the denominator */
    score(f);
    assert_near(get(f, "new_certified", "street", "东区/一街")->actual, 8, 0);
    assert_near(get(f, "new_certified", "street", "东区/一街")->required, 8, 0);
    assert_int_equal(get(f, "new_certified", "street", "东区/一街")->met, 1);
    assert_int_equal(get(f, "new_certified", "street", "东区/二街")->met, 0);
    assert_near(get(f, "new_certified", "street", "西区/三街")->actual, 20, 0);
    assert_near(get(f, "new_certified", "street", "西区/一街")->actual, 0, 0); /* a check */
    assert_int_equal(get(f, "new_certified", "street", "西区/一街")->met, 0);
    destroy(f);
}

static void test_a_required_count_follows_its_parameter(void **state)
{
    fixture *f = make(2023);
    (void)state;
    set(f, NEW_CERTIFIED, 2, 7, 0);
    unit_param_force(&f->ps, "new_certified.required", 7);
    score(f);
    assert_int_equal(get(f, "new_certified", "street", "东区/二街")->met, 1);
    destroy(f);
}

static void test_rejudging_with_a_new_required_value_gives_what_scoring_gives(void **state)
{
    fixture *f = make(2023);
    target_check *copy;
    size_t k, n;
    (void)state;
    for (k = 0; k < COMMUNITIES; k++)
        set(f, NEW_CERTIFIED, k, (double)(2 * k + 3), 0);
    score(f);
    n = f->o.check_count;
    copy = malloc(n * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, f->o.checks, n * sizeof *copy);
    unit_param_force(&f->ps, "new_certified.required", 5 - 1e-12);
    score(f);
    for (k = 0; k < n; k++)
        if (strcmp(copy[k].target_id, "new_certified") == 0)
            targets_rejudge(&copy[k], 1, 5 - 1e-12, EPSILON);
    for (k = 0; k < n; k++) {
        assert_near(copy[k].required, f->o.checks[k].required, 0);
        assert_int_equal(copy[k].met, f->o.checks[k].met);
    }
    /* and the new requirement moved something: 东区/二街 has 7, 西区/一街 9 */
    assert_int_equal(get(f, "new_certified", "street", "东区/二街")->met, 1);
    free(copy);
    destroy(f);
}

/* Was a bug (fixed with this test): check_met computed
 * actual ≥ required as actual > required − ε, so with compare.epsilon = 0
 * (its declared minimum) a street with exactly 8 new certificates does not
 * meet "≥ 8", nor 3 of 5 certified "≥ 0.60". */
static void test_an_actual_exactly_on_the_requirement_is_met_with_no_tolerance(void **state)
{
    fixture *f = make(2023);
    (void)state;
    unit_param_force(&f->ps, "compare.epsilon", 0);
    set(f, NEW_CERTIFIED, 2, 8, 0);
    set(f, CERT, 2, 3, 5);
    score(f);
    assert_int_equal(get(f, "new_certified", "street", "东区/二街")->met, 1);
    assert_int_equal(get(f, "cert_ratio", "community", "c3")->met, 1);
    destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_ratio_target_sums_numerators_and_denominators_up_to_each_scope),
        cmocka_unit_test(test_streets_of_the_same_name_in_two_districts_are_checked_apart),
        cmocka_unit_test(test_checks_come_target_by_target_broadest_scope_first_ids_sorted),
        cmocka_unit_test(test_only_the_scopes_a_target_names_are_checked),
        cmocka_unit_test(test_an_actual_equal_to_the_required_ratio_is_met),
        cmocka_unit_test(test_an_actual_a_hair_below_the_required_is_met_and_further_below_is_not),
        cmocka_unit_test(test_the_required_ratio_is_the_schedule_at_the_snapshot_year),
        cmocka_unit_test(test_a_region_without_a_denominator_has_no_actual_and_is_not_met),
        cmocka_unit_test(test_a_skip_empty_target_gives_no_check_where_the_denominator_is_zero),
        cmocka_unit_test(test_a_count_target_compares_the_numerator_with_the_required_count),
        cmocka_unit_test(test_a_required_count_follows_its_parameter),
        cmocka_unit_test(test_rejudging_with_a_new_required_value_gives_what_scoring_gives),
        cmocka_unit_test(test_an_actual_exactly_on_the_requirement_is_met_with_no_tolerance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
