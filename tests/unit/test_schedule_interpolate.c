/*
 * test_schedule_interpolate.c -- the one interpolation of a schedule
 * (params_schedule_interpolate, behind params_schedule_at and the report's
 * certificate chart): flat before the first milestone, linear between two,
 * flat after the last, exact at each.
 */
#include "unit.h"

#include <math.h>

#include "params.h"

/* cert.milestones of the default rules (POLICY.md §2). */
static const schedule_point milestones[] = {{2020, 0.35}, {2023, 0.5}, {2025, 0.6}};
#define MILESTONES (sizeof milestones / sizeof milestones[0])

static void test_schedule_is_exact_at_milestones_and_linear_between(void **state)
{
    static const struct {
        double year, value;
    } cases[] = {
        {2020, 0.35},    {2023, 0.5},     {2025, 0.6},               /* at the milestones */
        {2021, 0.40},    {2022, 0.45},    {2024, 0.55},              /* between two */
        {2020.5, 0.375}, {2024.5, 0.575},                            /* a chart's x axis */
        {1999, 0.35},    {2019, 0.35},    {2026, 0.6},  {2100, 0.6}, /* flat outside */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got = params_schedule_interpolate(milestones, MILESTONES, cases[i].year);
        if (fabs(got - cases[i].value) > 1e-12)
            fail_msg("year %g: %.17g, not %g", cases[i].year, got, cases[i].value);
    }
}

static void test_schedule_of_one_or_no_milestone(void **state)
{
    static const schedule_point one[] = {{2024, 0.42}};
    (void)state;
    assert_true(params_schedule_interpolate(one, 1, 2000) == 0.42);
    assert_true(params_schedule_interpolate(one, 1, 2024) == 0.42);
    assert_true(params_schedule_interpolate(one, 1, 2030) == 0.42);
    assert_true(isnan(params_schedule_interpolate(NULL, 0, 2024)));
}

/* A value falling between milestones falls linearly too. */
static void test_schedule_that_falls(void **state)
{
    static const schedule_point falling[] = {{2020, 1.0}, {2030, 0.0}};
    (void)state;
    assert_true(fabs(params_schedule_interpolate(falling, 2, 2025) - 0.5) < 1e-12);
    assert_true(fabs(params_schedule_interpolate(falling, 2, 2028) - 0.2) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_is_exact_at_milestones_and_linear_between),
        cmocka_unit_test(test_schedule_of_one_or_no_milestone),
        cmocka_unit_test(test_schedule_that_falls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
