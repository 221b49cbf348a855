/*
 * test_jsontext.c -- cmocka tests of jsontext_dump: JSON text is whole or
 * not at all.
 *
 * jansson's allocator is replaced (json_set_alloc_funcs) so that its Kth
 * allocation fails. With json_dumps itself some K give text with an object
 * key missing (akheron/jansson#655: the fault-injection run found results
 * whose runs.params read {"A01.max":3.0,:17.0,...}); jsontext_dump must give
 * either exactly the normal text or NULL, for every K.
 */
#include "unit.h"

#include "jsontext.h"

static long allocations;
static long fail_at = -1; /* the allocation that fails (1-based); -1: none */

static void *counting_malloc(size_t size)
{
    allocations++;
    if (allocations == fail_at)
        return NULL;
    return malloc(size);
}

static void plain_free(void *pointer)
{
    free(pointer);
}

/* The shape of runs.params: many keys, numbers, a nested schedule. */
static json_t *make_params(void)
{
    json_t *root = json_object(), *schedule = json_object();
    char name[32];
    int i;
    assert_non_null(root);
    assert_non_null(schedule);
    for (i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "A%02d.max", i);
        assert_int_equal(json_object_set_new(root, name, json_real(i + 0.5)), 0);
    }
    assert_int_equal(json_object_set_new(schedule, "2023", json_real(0.35)), 0);
    assert_int_equal(json_object_set_new(schedule, "2025", json_real(0.6)), 0);
    assert_int_equal(json_object_set_new(root, "cert.milestones", schedule), 0);
    assert_int_equal(json_object_set_new(root, "region", json_string("海滨市")), 0);
    return root;
}

static void test_jsontext_dump_equals_json_dumps(void **state)
{
    json_t *root = make_params();
    char *ours = jsontext_dump(root, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    char *theirs = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    (void)state;
    assert_non_null(ours);
    assert_non_null(theirs);
    assert_string_equal(ours, theirs);
    free(ours);
    free(theirs);
    json_decref(root);
}

static void test_jsontext_dump_is_whole_or_null_when_any_allocation_fails(void **state)
{
    const size_t flags[] = {JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17),
                            JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)};
    size_t f;
    (void)state;
    for (f = 0; f < sizeof flags / sizeof flags[0]; f++) {
        json_t *root = make_params();
        char *normal = json_dumps(root, flags[f]);
        long k, total, refused = 0;
        assert_non_null(normal);
        /* Count the allocations of one dump, then fail each in turn. */
        json_set_alloc_funcs(counting_malloc, plain_free);
        allocations = 0;
        fail_at = -1;
        free(jsontext_dump(root, flags[f]));
        total = allocations;
        for (k = 1; k <= total; k++) {
            char *text;
            allocations = 0;
            fail_at = k;
            text = jsontext_dump(root, flags[f]);
            fail_at = -1;
            if (text == NULL)
                refused++;
            else
                assert_string_equal(text, normal);
            free(text);
        }
        json_set_alloc_funcs(malloc, free);
        assert_true(refused > 0 || total == 0);
        free(normal);
        json_decref(root);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsontext_dump_equals_json_dumps),
        cmocka_unit_test(test_jsontext_dump_is_whole_or_null_when_any_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
