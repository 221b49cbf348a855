/*
 * test_sandbox.c -- cmocka tests of the rule sandbox's limits: work done in
 * C by library functions is charged to the instruction budget, one value
 * cannot take most of the memory cap, the CPU-time backstop stops work no
 * count sees, and every stop is an input error naming the chunk's line.
 */
#include "unit.h"

#include <time.h>

#include "sandbox.h"
#include "text.h"

/* Runs `code` as chunk "@rules/zz.lua" under `limits`; returns the status
** and leaves the message in *e. */
static int run(const sandbox_limits *limits, const char *code, error *e)
{
    sandbox *sb = NULL;
    int status;
    error_clear(e);
    assert_int_equal(sandbox_open(limits, &sb, e), ERROR_OK);
    status = sandbox_run_file(sb, code, strlen(code), "@rules/zz.lua", e);
    sandbox_close(sb);
    return status;
}

static double seconds_of(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_table_move_over_a_huge_range_is_charged_before_it_runs(void **state)
{
    error e;
    struct timespec t0;
    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(NULL, "table.move({}, 1, 1e15, 1, {})", &e), ERROR_INPUT);
    assert_non_null(strstr(e.message, "rules/zz.lua:1:"));
    assert_non_null(strstr(e.message, "instruction limit"));
    assert_true(seconds_of(&t0) < 1.0);
}

static void test_text_functions_are_charged_by_the_bytes_they_handle(void **state)
{
    sandbox_limits limits = {0};
    error e;
    (void)state;
    limits.instructions = 10000000; /* 40 MB of text at 4 bytes an instruction */
    assert_int_equal(
        run(&limits, "local s = ('x'):rep(1000000)\nfor i = 1, 100 do s:upper() end", &e),
        ERROR_INPUT);
    assert_non_null(strstr(e.message, "rules/zz.lua:2:"));
    /* The same loop over a short text is cheap. */
    assert_int_equal(run(&limits, "local s = 'x'\nfor i = 1, 100 do s:upper() end", &e), ERROR_OK);
}

static void test_one_value_is_limited_to_a_share_of_the_memory_cap(void **state)
{
    sandbox_limits limits = {0};
    error e;
    (void)state;
    limits.memory_bytes = (size_t)64 << 20; /* one value: at most 4 MB */
    assert_int_equal(run(&limits, "local s = ('x'):rep(3000000)", &e), ERROR_OK);
    assert_int_equal(run(&limits, "local s = ('x'):rep(5000000)", &e), ERROR_INPUT);
    assert_non_null(strstr(e.message, "rules/zz.lua:1:"));
    assert_int_equal(run(&limits, "local t = {}\nfor i = 1, 1e7 do t[i] = i end", &e), ERROR_INPUT);
    assert_non_null(strstr(e.message, "memory limit"));
}

static void test_comparing_long_strings_is_stopped_by_cpu_time(void **state)
{
    sandbox_limits limits = {0};
    error e;
    struct timespec t0;
    (void)state;
    limits.seconds = 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(&limits,
                         "local a = ('x'):rep(15000000)\nlocal b = ('x'):rep(14999999) .. 'x'\n"
                         "for i = 1, 1e12 do if a == b then end end",
                         &e),
                     ERROR_INPUT);
    assert_non_null(strstr(e.message, "rules/zz.lua:3:"));
    assert_non_null(strstr(e.message, "CPU seconds"));
    assert_true(seconds_of(&t0) < 10.0); /* wall time: the machine may be busy */
}

static void test_a_stop_cannot_be_swallowed_by_pcall(void **state)
{
    sandbox_limits limits = {0};
    error e;
    (void)state;
    limits.instructions = 1000000;
    assert_int_equal(
        run(&limits, "for i = 1, 10 do pcall(function() while true do end end) end", &e),
        ERROR_INPUT);
    assert_non_null(strstr(e.message, "instruction limit"));
}

static void test_unlisted_functions_do_not_exist(void **state)
{
    static const char *const attacks[] = {
        "io.open('/etc/passwd')", "os.exit(0)",         "load('return 1')",
        "collectgarbage()",       "string.dump(print)", "math.random()",
        "debug.getinfo(1)",       "rawset({}, 1, 1)",   NULL};
    error e;
    int i;
    (void)state;
    for (i = 0; attacks[i] != NULL; i++) {
        assert_int_equal(run(NULL, attacks[i], &e), ERROR_INPUT);
        assert_non_null(strstr(e.message, "rules/zz.lua:1:"));
    }
}

static void test_error_messages_are_cut(void **state)
{
    error e;
    (void)state;
    assert_int_equal(run(NULL, "error(('x'):rep(100000))", &e), ERROR_INPUT);
    assert_true(strlen(e.message) < SANDBOX_MESSAGE_MAX + 200);
    assert_non_null(strstr(e.message, "more bytes not shown"));
}

static void test_utf8_prefix_never_cuts_a_character(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_prefix("abc", 10), 3);
    assert_int_equal(text_utf8_prefix("abcdef", 3), 3);
    /* "测" is 3 bytes: a cut inside it goes back to its start. */
    assert_int_equal(text_utf8_prefix("a测试", 2), 1);
    assert_int_equal(text_utf8_prefix("a测试", 4), 4);
    assert_int_equal(text_utf8_prefix("a测试", 6), 4);
    assert_int_equal(text_utf8_prefix("a测试", 7), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_move_over_a_huge_range_is_charged_before_it_runs),
        cmocka_unit_test(test_text_functions_are_charged_by_the_bytes_they_handle),
        cmocka_unit_test(test_one_value_is_limited_to_a_share_of_the_memory_cap),
        cmocka_unit_test(test_comparing_long_strings_is_stopped_by_cpu_time),
        cmocka_unit_test(test_a_stop_cannot_be_swallowed_by_pcall),
        cmocka_unit_test(test_unlisted_functions_do_not_exist),
        cmocka_unit_test(test_error_messages_are_cut),
        cmocka_unit_test(test_utf8_prefix_never_cuts_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
