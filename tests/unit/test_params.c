/*
 * test_params.c -- cmocka tests of params_copy: the run's parameters are a
 * deep copy of the rules' own, and a copy that runs out of memory part-way
 * gives up cleanly without touching (or freeing) anything of the source.
 *
 * strdup is replaced here so that each test can make the Kth copy of a text
 * fail (the fault-injection run found a double free on that path: a failed
 * copy freed texts it still shared with the source).
 */
#include "unit.h"

#include "params.h"

static int strdup_fail_from = -1; /* calls from this one on fail; -1: never */
static int strdup_calls;

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy;
    if (strdup_fail_from >= 0 && strdup_calls++ >= strdup_fail_from)
        return NULL;
    copy = malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

static char *text(const char *s)
{
    char *copy = strdup(s);
    assert_non_null(copy);
    return copy;
}

/* Two parameters: a number with every optional text, and a date whose
** default and effective values are both texts (the shared-pointer case). */
static void make_source(params *ps)
{
    ps->items = calloc(2, sizeof *ps->items);
    assert_non_null(ps->items);
    ps->count = 2;
    ps->items[0].name = text("cert.target");
    ps->items[0].type = PARAM_NUMBER;
    ps->items[0].source = text("宜昌 2021");
    ps->items[0].description = text("certificate ratio");
    ps->items[0].unit = text("%");
    ps->items[0].file = text("certificates.lua");
    ps->items[0].origin = text("profile.lua:3");
    ps->items[0].default_value.number = 0.35;
    ps->items[0].value.number = 0.6;
    ps->items[1].name = text("year.start");
    ps->items[1].type = PARAM_DATE;
    ps->items[1].default_value.text = text("2023-01-01");
    ps->items[1].value.text = text("2024-01-01");
}

static void assert_source_intact(const params *ps)
{
    assert_int_equal(ps->count, 2);
    assert_string_equal(ps->items[0].name, "cert.target");
    assert_string_equal(ps->items[0].origin, "profile.lua:3");
    assert_string_equal(ps->items[1].default_value.text, "2023-01-01");
    assert_string_equal(ps->items[1].value.text, "2024-01-01");
}

static void test_params_copy_is_deep(void **state)
{
    params from = {0}, to = {0};
    error e;
    (void)state;
    error_clear(&e);
    make_source(&from);
    assert_int_equal(params_copy(&to, &from, &e), ERROR_OK);
    assert_int_equal(to.count, 2);
    assert_string_equal(to.items[0].source, "宜昌 2021");
    assert_ptr_not_equal(to.items[0].source, from.items[0].source);
    assert_true(to.items[0].value.number == 0.6);
    assert_string_equal(to.items[1].value.text, "2024-01-01");
    assert_ptr_not_equal(to.items[1].value.text, from.items[1].value.text);
    assert_ptr_not_equal(to.items[1].default_value.text, from.items[1].default_value.text);
    params_free(&to);
    assert_source_intact(&from);
    params_free(&from);
}

static void test_params_copy_out_of_memory_at_every_text_frees_only_its_own(void **state)
{
    int k, failed = 0;
    (void)state;
    /* The source has 9 texts (7 in the first parameter, 2 in the second):
    ** failing the copy of each in turn, then none. */
    for (k = 0; k <= 9; k++) {
        params from = {0}, to = {0};
        error e;
        int status;
        error_clear(&e);
        make_source(&from);
        strdup_calls = 0;
        strdup_fail_from = k;
        status = params_copy(&to, &from, &e);
        strdup_fail_from = -1;
        if (status != ERROR_OK) {
            failed++;
            assert_int_equal(status, ERROR_SYSTEM);
            assert_int_equal(to.count, 0);
            assert_null(to.items);
        }
        params_free(&to);
        assert_source_intact(&from); /* never freed through the copy */
        params_free(&from);
    }
    assert_int_equal(failed, 9); /* every one of the 9 texts' failures was noticed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_copy_is_deep),
        cmocka_unit_test(test_params_copy_out_of_memory_at_every_text_frees_only_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
