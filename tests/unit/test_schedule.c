/*
 * test_schedule.c -- schedule parameters (POLICY.md §2): the value for
 * year Y is r = v0 + (v1 − v0) × (Y − y0) ÷ (y1 − y0) between the
 * milestones y0 ≤ Y ≤ y1 around it, the first value before the first
 * milestone and the last after the last (params_schedule_at); rules refer
 * to it with `schedule "name"` (rules_ref_value at the assessment year):
 * the shipped A03 and target cert_ratio read cert.milestones so. Milestones
 * set with --set (a JSON object, or NAME.YEAR) are kept in year order.
 */
#include "unit.h"

typedef struct fixture {
    rules *r;
    params ps;
    int milestones; /* index of cert.milestones */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    error e;
    assert_non_null(f);
    f->r = unit_rules_load(".");
    error_clear(&e);
    assert_int_equal(params_copy(&f->ps, &f->r->params, &e), ERROR_OK);
    f->milestones = unit_param(&f->ps, "cert.milestones");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    params_free(&f->ps);
    rules_free(f->r);
    free(f);
    return 0;
}

static void set(fixture *f, const char *assignment)
{
    error e;
    error_clear(&e);
    if (params_set_assignment(&f->ps, assignment, &e) != ERROR_OK)
        fail_msg("--set %s: %s", assignment, e.message);
}

static double at(const fixture *f, int year)
{
    return params_schedule_at(&f->ps, f->milestones, year);
}

/* POLICY.md §2's formula, as written. */
static double policy(int y0, double v0, int y1, double v1, int year)
{
    return v0 + (v1 - v0) * (year - y0) / (y1 - y0);
}

static void test_the_shipped_milestones_are_those_of_the_policy(void **state)
{
    fixture *f = *state;
    const param_value *v = &f->ps.items[f->milestones].value;
    assert_int_equal(v->point_count, 3);
    assert_int_equal(v->points[0].year, 2020);
    assert_near(v->points[0].value, 0.35, 0);
    assert_int_equal(v->points[1].year, 2023);
    assert_near(v->points[1].value, 0.60, 0);
    assert_int_equal(v->points[2].year, 2026);
    assert_near(v->points[2].value, 1.00, 0);
}

static void test_a_year_between_milestones_is_interpolated_linearly(void **state)
{
    fixture *f = *state;
    /* POLICY.md §2: 2021 → 0.4333…, 2022 → 0.5166…, 2024 → 0.7333…, 2025 → 0.8666… */
    assert_near(at(f, 2021), 0.35 + 0.25 / 3, 1e-15);
    assert_near(at(f, 2022), 0.35 + 0.50 / 3, 1e-15);
    assert_near(at(f, 2024), 0.60 + 0.40 / 3, 1e-15);
    assert_near(at(f, 2025), 0.60 + 0.80 / 3, 1e-15);
    /* and bit for bit the formula as the policy writes it */
    assert_near(at(f, 2021), policy(2020, 0.35, 2023, 0.60, 2021), 0);
    assert_near(at(f, 2025), policy(2023, 0.60, 2026, 1.00, 2025), 0);
}

static void test_a_milestone_year_gives_its_own_value(void **state)
{
    fixture *f = *state;
    assert_near(at(f, 2020), 0.35, 0);
    assert_near(at(f, 2023), 0.60, 0);
    assert_near(at(f, 2026), 1.00, 0);
}

static void test_before_the_first_milestone_the_first_value_holds(void **state)
{
    fixture *f = *state;
    assert_near(at(f, 2019), 0.35, 0);
    assert_near(at(f, 1990), 0.35, 0);
}

static void test_after_the_last_milestone_the_last_value_holds(void **state)
{
    fixture *f = *state;
    assert_near(at(f, 2027), 1.00, 0);
    assert_near(at(f, 2100), 1.00, 0);
}

static void test_the_yichang_profile_reads_its_own_milestones(void **state)
{
    rules *r = unit_rules_load("rules/profiles/yichang");
    int k = unit_param(&r->params, "cert.milestones");
    (void)state;
    /* 2021 → 0.30, 2022 → 0.45, 2023 → 0.60, 2026 → 1.00 */
    assert_near(params_schedule_at(&r->params, k, 2020), 0.30, 0);
    assert_near(params_schedule_at(&r->params, k, 2021), 0.30, 0);
    assert_near(params_schedule_at(&r->params, k, 2022), 0.45, 0);
    assert_near(params_schedule_at(&r->params, k, 2023), 0.60, 0);
    assert_near(params_schedule_at(&r->params, k, 2024), 0.60 + 0.40 / 3, 1e-15);
    assert_near(params_schedule_at(&r->params, k, 2030), 1.00, 0);
    rules_free(r);
}

static void test_a_single_milestone_holds_for_every_year(void **state)
{
    fixture *f = *state;
    set(f, "cert.milestones={\"2023\":0.5}");
    assert_near(at(f, 2000), 0.5, 0);
    assert_near(at(f, 2023), 0.5, 0);
    assert_near(at(f, 2050), 0.5, 0);
}

static void test_a_falling_schedule_interpolates_downwards(void **state)
{
    fixture *f = *state;
    set(f, "cert.milestones={\"2020\":0.8,\"2024\":0.4}");
    assert_near(at(f, 2021), 0.7, 1e-15);
    assert_near(at(f, 2023), 0.5, 1e-15);
    assert_near(at(f, 2025), 0.4, 0);
}

static void test_milestones_set_in_any_key_order_are_interpolated_in_year_order(void **state)
{
    fixture *f = *state;
    set(f, "cert.milestones={\"2026\":1,\"2020\":0.35,\"2023\":0.6}");
    assert_near(at(f, 2019), 0.35, 0);
    assert_near(at(f, 2021), 0.35 + 0.25 / 3, 1e-15);
    assert_near(at(f, 2024), 0.60 + 0.40 / 3, 1e-15);
    assert_near(at(f, 2030), 1.00, 0);
}

static void test_setting_one_year_adds_a_milestone_between_the_others(void **state)
{
    fixture *f = *state;
    set(f, "cert.milestones.2024=0.9");
    assert_near(at(f, 2023), 0.60, 0);
    assert_near(at(f, 2024), 0.90, 0);
    assert_near(at(f, 2025), 0.95, 1e-15);
    assert_near(at(f, 2022), 0.35 + 0.50 / 3, 1e-15); /* the years before it unchanged */
    set(f, "cert.milestones.2018=0.1");               /* before the first */
    assert_near(at(f, 2017), 0.1, 0);
    assert_near(at(f, 2019), 0.1 + 0.25 / 2, 1e-15);
}

static void test_setting_one_year_replaces_its_milestone(void **state)
{
    fixture *f = *state;
    set(f, "cert.milestones.2023=0.5");
    assert_int_equal(f->ps.items[f->milestones].value.point_count, 3);
    assert_near(at(f, 2023), 0.5, 0);
    assert_near(at(f, 2024), 0.5 + 0.5 / 3, 1e-15);
}

static void test_a_schedule_without_milestones_gives_zero(void **state)
{
    params ps = {0};
    (void)state;
    unit_param_schedule(&ps, "empty", NULL, 0);
    assert_near(params_schedule_at(&ps, 0, 2024), 0, 0);
    params_free(&ps);
}

static void test_a_schedule_reference_reads_the_schedule_at_the_given_year(void **state)
{
    fixture *f = *state;
    rules_ref schedule = {REF_SCHEDULE, 0, f->milestones};
    rules_ref number = {REF_NUMBER, 0.25, -1};
    rules_ref parameter = {REF_PARAM, 0, unit_param(&f->ps, "stars.five")};
    int year;
    for (year = 2018; year <= 2028; year++)
        assert_near(rules_ref_value(&schedule, &f->ps, year), at(f, year), 0);
    assert_near(rules_ref_value(&number, &f->ps, 2024), 0.25, 0);
    assert_near(rules_ref_value(&parameter, &f->ps, 2024), 90, 0);
}

static void test_a03_and_cert_ratio_require_the_schedule_of_the_year(void **state)
{
    fixture *f = *state;
    int a03 = rules_find_indicator(f->r, "A03");
    size_t t;
    const target_rule *cert = NULL;
    assert_true(a03 >= 0);
    for (t = 0; t < f->r->target_count; t++)
        if (strcmp(f->r->targets[t].id, "cert_ratio") == 0)
            cert = &f->r->targets[t];
    assert_non_null(cert);
    assert_int_equal(f->r->indicators[a03].score, SCORE_RATIO);
    assert_int_equal(f->r->indicators[a03].score_args[0].kind, REF_SCHEDULE);
    assert_int_equal(cert->required.kind, REF_SCHEDULE);
    set(f, "cert.milestones.2024=0.9");
    assert_near(rules_ref_value(&f->r->indicators[a03].score_args[0], &f->ps, 2024), 0.9, 0);
    assert_near(rules_ref_value(&cert->required, &f->ps, 2025), 0.95, 1e-15);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_the_shipped_milestones_are_those_of_the_policy),
        T(test_a_year_between_milestones_is_interpolated_linearly),
        T(test_a_milestone_year_gives_its_own_value),
        T(test_before_the_first_milestone_the_first_value_holds),
        T(test_after_the_last_milestone_the_last_value_holds),
        T(test_the_yichang_profile_reads_its_own_milestones),
        T(test_a_single_milestone_holds_for_every_year),
        T(test_a_falling_schedule_interpolates_downwards),
        T(test_milestones_set_in_any_key_order_are_interpolated_in_year_order),
        T(test_setting_one_year_adds_a_milestone_between_the_others),
        T(test_setting_one_year_replaces_its_milestone),
        T(test_a_schedule_without_milestones_gives_zero),
        T(test_a_schedule_reference_reads_the_schedule_at_the_given_year),
        T(test_a03_and_cert_ratio_require_the_schedule_of_the_year),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
