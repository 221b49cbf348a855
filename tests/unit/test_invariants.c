/*
 * test_invariants.c -- rules_check_invariants, run before every evaluation
 * with the run's parameter values: the indicators' max points sum to the
 * system's total (100), every max is above 0, every lin range is non-empty
 * (|from − to| > 1e-12), every ratio target is above 0 (a schedule read at
 * the assessment year). Each broken invariant is refused (ERROR_INPUT) in
 * one message, a line each, naming the rule file and line and the
 * parameter to change; a wrong sum lists each category's points.
 *
 * Starts from the shipped rules and changes their parameters as --set
 * does.
 */
#include "unit.h"

#include <stdio.h>

typedef struct fixture {
    rules *r;
    params ps;
    error e;
} fixture;

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

static int setup(void **state)
{
    fixture *f = *state;
    error_clear(&f->e);
    return params_copy(&f->ps, &f->r->params, &f->e) == ERROR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    params_free(&f->ps);
    return 0;
}

/* Sets NAME=VALUE as --set does; fails the test when it is refused. */
static void set(fixture *f, const char *assignment)
{
    error e;
    error_clear(&e);
    if (params_set_assignment(&f->ps, assignment, &e) != ERROR_OK)
        fail_msg("--set %s: %s", assignment, e.message);
}

static int check(fixture *f, int year)
{
    error_clear(&f->e);
    return rules_check_invariants(f->r, &f->ps, year, &f->e);
}

/* Fails unless the message holds `text`. */
static void assert_says(const fixture *f, const char *text)
{
    if (strstr(f->e.message, text) == NULL)
        fail_msg("the message does not say '%s':\n%s", text, f->e.message);
}

static void assert_does_not_say(const fixture *f, const char *text)
{
    if (strstr(f->e.message, text) != NULL)
        fail_msg("the message says '%s':\n%s", text, f->e.message);
}

/* "file:line: " of indicator `id`, where its problems are reported. */
static const char *where(const fixture *f, const char *id)
{
    static char text[512];
    int i = rules_find_indicator(f->r, id);
    assert_true(i >= 0);
    snprintf(text, sizeof text, "%s:%d: ", f->r->indicators[i].file, f->r->indicators[i].line);
    return text;
}

static void test_the_shipped_rules_and_profiles_hold_together_at_every_year(void **state)
{
    static const char *const profiles[] = {"rules/profiles/yichang", "rules/profiles/tieshan",
                                           "rules/profiles/chengdong"};
    fixture *f = *state;
    size_t k;
    int year;
    for (year = 2015; year <= 2035; year++)
        if (check(f, year) != ERROR_OK)
            fail_msg("%d: %s", year, f->e.message);
    for (k = 0; k < 3; k++) {
        rules *r = unit_rules_load(profiles[k]);
        for (year = 2015; year <= 2035; year++)
            if (rules_check_invariants(r, &r->params, year, &f->e) != ERROR_OK)
                fail_msg("%s, %d: %s", profiles[k], year, f->e.message);
        rules_free(r);
    }
}

static void
test_max_points_not_summing_to_the_total_are_refused_with_each_categorys_points(void **state)
{
    fixture *f = *state;
    set(f, "A01.max=4");
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    assert_says(f, "the rules no longer hold together:");
    assert_says(f, "the indicators' max points sum to 101, not 100:");
    assert_says(f, " A 队伍精良 21;");
    assert_says(f, " B 治理精细 20;");
    assert_says(f, " F 群众满意 18;");
    assert_says(f, "change another <ID>.max so the total stays the same");
}

static void test_points_moved_between_indicators_keep_the_rules_valid(void **state)
{
    fixture *f = *state;
    set(f, "A01.max=4");
    set(f, "F01.max=9");
    assert_int_equal(check(f, 2024), ERROR_OK);
}

static void
test_a_sum_off_by_a_rounding_error_is_accepted_and_a_real_difference_is_not(void **state)
{
    fixture *f = *state;
    set(f, "A01.max=3.0000000000001"); /* 1e-13 over */
    assert_int_equal(check(f, 2024), ERROR_OK);
    set(f, "A01.max=3.000001"); /* 1e-6 over */
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    assert_says(f, "max points sum to 100");
}

static void test_zero_max_points_are_refused_naming_the_parameter_and_the_rule_file(void **state)
{
    fixture *f = *state;
    char expected[600];
    set(f, "A01.max=0");
    set(f, "F01.max=13"); /* the sum stays 100 */
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    snprintf(expected, sizeof expected, "\n%sA01.max = 0: max points must be above 0",
             where(f, "A01"));
    assert_says(f, expected);
    assert_says(f, "a_team.lua");
    assert_does_not_say(f, "sum to");
}

static void test_negative_max_points_are_refused(void **state)
{
    fixture *f = *state;
    unit_param_force(&f->ps, "B07.max", -2); /* out of --set's range, but not of this check */
    unit_param_force(&f->ps, "F01.max", 14);
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    assert_says(f, "B07.max = -2: max points must be above 0");
}

static void test_an_empty_lin_range_is_refused_naming_both_bounds(void **state)
{
    fixture *f = *state;
    char expected[600];
    set(f, "A01.from=17");
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    snprintf(expected, sizeof expected,
             "\n%sindicator A01: lin(17, 17) has an empty range (A01.from, A01.to)",
             where(f, "A01"));
    assert_says(f, expected);
}

static void test_a_lin_range_within_1e_12_is_empty_and_a_narrow_one_is_not(void **state)
{
    fixture *f = *state;
    set(f, "A01.from=16.9999999999999"); /* 1e-13 apart */
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    assert_says(f, "indicator A01: lin(");
    set(f, "A01.from=16.999999"); /* 1e-6 apart */
    assert_int_equal(check(f, 2024), ERROR_OK);
}

static void test_a_reversed_lin_range_is_allowed(void **state)
{
    fixture *f = *state;
    set(f, "A01.from=20");  /* lin(20 → 17) rewards small values: valid */
    set(f, "A02.from=100"); /* A02's lin(450 → 300) turned around */
    assert_int_equal(check(f, 2024), ERROR_OK);
}

static void test_a_ratio_target_of_zero_or_below_is_refused(void **state)
{
    fixture *f = *state;
    char expected[600];
    set(f, "C02.target=0");
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    snprintf(expected, sizeof expected,
             "\n%sindicator C02: ratio target 0 must be above 0 (C02.target)", where(f, "C02"));
    assert_says(f, expected);
    set(f, "C02.target=-5");
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    assert_says(f, "indicator C02: ratio target -5 must be above 0 (C02.target)");
    set(f, "C02.target=1e-9"); /* tiny, but above 0 */
    assert_int_equal(check(f, 2024), ERROR_OK);
}

static void test_a_ratio_target_from_a_schedule_is_checked_at_the_assessment_year(void **state)
{
    fixture *f = *state;
    set(f, "cert.milestones={\"2020\":0,\"2023\":0.6,\"2026\":1}");
    assert_int_equal(check(f, 2020), ERROR_INPUT); /* A03: ratio(cert.milestones) = 0 */
    assert_says(f, "indicator A03: ratio target 0 must be above 0 (cert.milestones)");
    assert_int_equal(check(f, 2019), ERROR_INPUT); /* before the first: its value */
    assert_int_equal(check(f, 2021), ERROR_OK);    /* 0.2 */
}

static void test_every_broken_invariant_is_reported_in_one_message(void **state)
{
    fixture *f = *state;
    set(f, "A01.max=0");
    set(f, "C02.target=0");
    set(f, "A02.from=300");
    assert_int_equal(check(f, 2024), ERROR_INPUT);
    assert_says(f, "A01.max = 0: max points must be above 0");
    assert_says(f, "indicator A02: lin(300, 300) has an empty range (A02.from, A02.to)");
    assert_says(f, "indicator C02: ratio target 0 must be above 0 (C02.target)");
    assert_says(f, "the indicators' max points sum to 97, not 100:");
    assert_says(f, " A 队伍精良 17;");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_the_shipped_rules_and_profiles_hold_together_at_every_year),
        T(test_max_points_not_summing_to_the_total_are_refused_with_each_categorys_points),
        T(test_points_moved_between_indicators_keep_the_rules_valid),
        T(test_a_sum_off_by_a_rounding_error_is_accepted_and_a_real_difference_is_not),
        T(test_zero_max_points_are_refused_naming_the_parameter_and_the_rule_file),
        T(test_negative_max_points_are_refused),
        T(test_an_empty_lin_range_is_refused_naming_both_bounds),
        T(test_a_lin_range_within_1e_12_is_empty_and_a_narrow_one_is_not),
        T(test_a_reversed_lin_range_is_allowed),
        T(test_a_ratio_target_of_zero_or_below_is_refused),
        T(test_a_ratio_target_from_a_schedule_is_checked_at_the_assessment_year),
        T(test_every_broken_invariant_is_reported_in_one_message),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
