/*
 * test_error.c -- cmocka tests of engine/base/error.c: a failure always has a
 * message. "kaohe: " with nothing after it told a user that something
 * failed and nothing else (an empty --out file, a dangling symlink); the
 * class is closed in error_setv itself, whatever the caller formats.
 */
#include "unit.h"

#include <errno.h>

#include "error.h"

static void test_an_empty_message_is_replaced_by_one_that_says_what_failed(void **state)
{
    error e;
    (void)state;
    error_clear(&e);
    assert_int_equal(error_set(&e, ERROR_INPUT, "%s", ""), ERROR_INPUT);
    assert_true(strlen(e.message) > 0);
    assert_non_null(strstr(e.message, "input"));
    assert_int_equal(error_set(&e, ERROR_SYSTEM, "%s", ""), ERROR_SYSTEM);
    assert_non_null(strstr(e.message, "machine"));
}

static void test_a_message_is_kept_as_written(void **state)
{
    error e;
    (void)state;
    error_set(&e, ERROR_INPUT, "%s: %d", "results.db", 3);
    assert_string_equal(e.message, "results.db: 3");
}

static void test_errno_zero_is_not_success(void **state)
{
    (void)state;
    assert_string_equal(error_errno_text(ENOENT), strerror(ENOENT));
    assert_true(strlen(error_errno_text(0)) > 0);
    assert_null(strstr(error_errno_text(0), "Success"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_empty_message_is_replaced_by_one_that_says_what_failed),
        cmocka_unit_test(test_a_message_is_kept_as_written),
        cmocka_unit_test(test_errno_zero_is_not_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
