/*
 * test_session.c -- cmocka tests of engine/eval/session.c, the one pipeline
 * every command runs: rules, parameters, snapshot and invariants, evaluation;
 * and that session_free() frees whatever step failed (ASan in make
 * test-asan finds a leak).
 */
#include "unit.h"

#include <sqlite3.h>

#include "session.h"
#include "sqlguard.h"

static session_config shipped(void)
{
    session_config c;
    memset(&c, 0, sizeof c);
    c.default_root = "."; /* the tests run at the repository root */
    c.jobs = 1;
    return c;
}

static void test_the_pipeline_scores_every_community_of_the_sample(void **state)
{
    session_config c = shipped();
    session s;
    error e;
    (void)state;
    error_clear(&e);
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_OK);
    assert_int_equal(session_require_valid(&s, &e), ERROR_OK);
    assert_int_equal(session_params(&s, &c, &e), ERROR_OK);
    assert_int_equal(session_open(&s, "fixtures/sample.db", NULL, &e), ERROR_OK);
    assert_int_equal(session_evaluate(&s, &e), ERROR_OK);
    assert_true(s.snapshot->community_count > 0);
    assert_int_equal(s.result.community_count, s.snapshot->community_count);
    session_free(&s);
}

static void test_set_overrides_apply_in_order_after_the_rules(void **state)
{
    const char *sets[] = {"stars.five=95", "stars.five=91"};
    session_config c = shipped();
    session s;
    error e;
    int index;
    (void)state;
    c.sets = sets;
    c.set_count = 2;
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_OK);
    assert_int_equal(session_params(&s, &c, &e), ERROR_OK);
    index = params_find(&s.params, "stars.five");
    assert_true(index >= 0);
    assert_true(params_number(&s.params, index) == 91);
    session_free(&s);
}

static void test_an_unknown_profile_lists_the_shipped_ones(void **state)
{
    session_config c = shipped();
    session s;
    error e;
    (void)state;
    c.profile = "nowhere";
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_INPUT);
    assert_non_null(strstr(e.message, "no profile 'nowhere'"));
    assert_non_null(strstr(e.message, "yichang"));
    session_free(&s);
}

static void test_a_profile_name_cannot_leave_the_profiles_folder(void **state)
{
    session_config c = shipped();
    session s;
    error e;
    (void)state;
    c.profile = "../../rules";
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_INPUT);
    session_free(&s);
}

static void test_rules_and_profile_together_are_a_usage_error(void **state)
{
    session_config c = shipped();
    session s;
    error e;
    (void)state;
    c.profile = "yichang";
    c.rules_directory = ".";
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_USAGE);
    session_free(&s);
}

static void test_a_failed_step_leaves_nothing_to_leak(void **state)
{
    const char *bad[] = {"no.such.parameter=1"};
    session_config c = shipped();
    session s;
    error e;
    (void)state;
    /* A bad --set after the rules loaded. */
    c.sets = bad;
    c.set_count = 1;
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_OK);
    assert_int_not_equal(session_params(&s, &c, &e), ERROR_OK);
    session_free(&s);
    /* A missing snapshot after the parameters. */
    c.set_count = 0;
    session_init(&s, &c);
    assert_int_equal(session_rules(&s, &c, &e), ERROR_OK);
    assert_int_equal(session_params(&s, &c, &e), ERROR_OK);
    assert_int_not_equal(session_open(&s, "fixtures/no-such-snapshot.db", NULL, &e), ERROR_OK);
    session_free(&s);
    /* Invariants broken by a parameter (the points no longer sum to 100):
    ** refused at open, after the snapshot. */
    {
        const char *lines[] = {"F01.max=12"};
        c.sets = lines;
        c.set_count = 1;
        session_init(&s, &c);
        assert_int_equal(session_rules(&s, &c, &e), ERROR_OK);
        assert_int_equal(session_params(&s, &c, &e), ERROR_OK);
        assert_int_equal(session_open(&s, "fixtures/sample.db", NULL, &e), ERROR_INPUT);
        assert_non_null(strstr(e.message, "sum to 102"));
        session_free(&s);
    }
}

static void test_borrowed_rules_outlive_the_session(void **state)
{
    session_config c = shipped();
    session owner, borrower;
    error e;
    (void)state;
    session_init(&owner, &c);
    assert_int_equal(session_rules(&owner, &c, &e), ERROR_OK);
    session_init(&borrower, &c);
    session_borrow_rules(&borrower, owner.rules);
    assert_int_equal(session_params_copy(&borrower, &owner.rules->params, &e), ERROR_OK);
    assert_int_equal(session_open(&borrower, "fixtures/sample.db", NULL, &e), ERROR_OK);
    assert_int_equal(session_evaluate(&borrower, &e), ERROR_OK);
    session_free(&borrower);
    /* Still whole: ASan reports a use after free otherwise. */
    assert_true(owner.rules->indicator_count > 0);
    session_free(&owner);
}

static int setup(void **state)
{
    (void)state;
    return sqlguard_init() == SQLITE_OK ? 0 : -1; /* before SQLite starts, as main() does */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_pipeline_scores_every_community_of_the_sample),
        cmocka_unit_test(test_set_overrides_apply_in_order_after_the_rules),
        cmocka_unit_test(test_an_unknown_profile_lists_the_shipped_ones),
        cmocka_unit_test(test_a_profile_name_cannot_leave_the_profiles_folder),
        cmocka_unit_test(test_rules_and_profile_together_are_a_usage_error),
        cmocka_unit_test(test_a_failed_step_leaves_nothing_to_leak),
        cmocka_unit_test(test_borrowed_rules_outlive_the_session),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
