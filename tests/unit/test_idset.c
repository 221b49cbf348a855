/*
 * test_idset.c -- unit tests of engine/base/idset.c: the id set behind the
 * snapshot's reference checks, the string pool of task decisions and the
 * text arena of worker and task ids.
 */
#include "unit.h"

#include <stdio.h>

#include "idset.h"

static void test_idset_finds_exactly_the_ids_added(void **state)
{
    idset set;
    char id[32];
    int i;
    (void)state;
    idset_init(&set);
    for (i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "W%07d", i * 2);
        assert_int_equal(idset_add(&set, id, strlen(id)), 0);
    }
    assert_int_equal(set.count, 100000);
    for (i = 0; i < 200000; i++) {
        snprintf(id, sizeof id, "W%07d", i);
        assert_int_equal(idset_contains(&set, id, strlen(id)), i % 2 == 0);
    }
    idset_free(&set);
}

static void test_idset_compares_bytes_and_lengths_not_c_strings(void **state)
{
    idset set;
    (void)state;
    idset_init(&set);
    assert_false(idset_contains(&set, "x", 1)); /* empty set */
    assert_int_equal(idset_add(&set, "a\0b", 3), 0);
    assert_int_equal(idset_add(&set, "", 0), 0);
    assert_int_equal(idset_add(&set, "a\0b", 3), 0); /* twice: one id */
    assert_int_equal(set.count, 2);
    assert_true(idset_contains(&set, "a\0b", 3));
    assert_false(idset_contains(&set, "a", 1));
    assert_false(idset_contains(&set, "a\0c", 3));
    assert_true(idset_contains(&set, "", 0));
    assert_false(idset_contains(&set, "社区", strlen("社区")));
    idset_free(&set);
}

static void test_idset_find_gives_the_order_each_id_was_first_added(void **state)
{
    idset set;
    char id[32];
    int i;
    (void)state;
    idset_init(&set);
    /* Enough ids to grow the table several times: ordinals survive it. */
    for (i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "W%07d", (i * 7919) % 5000);
        assert_int_equal(idset_add(&set, id, strlen(id)), 0);
    }
    assert_int_equal(idset_add(&set, "W0000000", 8), 0); /* again: keeps its ordinal */
    assert_int_equal((int)set.count, 5000);
    for (i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "W%07d", (i * 7919) % 5000);
        assert_int_equal(idset_find(&set, id, strlen(id)), i);
    }
    assert_int_equal(idset_find(&set, "W0000000x", 9), -1);
    assert_int_equal(idset_find(&set, "", 0), -1);
    idset_free(&set);
    assert_int_equal(idset_find(&set, "W0000000", 8), -1);
}

/* The composite keys import builds (columns joined by the unit separator
 * 0x1F), Chinese ids among them: each is its own key, and its ordinal
 * indexes what import keeps of its first row. */
static void test_idset_tells_composite_keys_apart(void **state)
{
    static const char *const keys[] = {
        "C001\x1f"
        "2025-01",
        "C001\x1f"
        "2025-1",
        "C0012025-01",
        "C001\x1f\x1f"
        "2025-01",
        "社区\x1f"
        "一",
        "社区一",
        "\x1f",
        "",
    };
    size_t n = sizeof keys / sizeof keys[0], i;
    idset set;
    (void)state;
    idset_init(&set);
    for (i = 0; i < n; i++) {
        assert_int_equal(idset_find(&set, keys[i], strlen(keys[i])), -1);
        assert_int_equal(idset_add(&set, keys[i], strlen(keys[i])), 0);
    }
    for (i = 0; i < n; i++)
        assert_int_equal(idset_find(&set, keys[i], strlen(keys[i])), (long)i);
    idset_free(&set);
}

static void test_strpool_returns_one_pointer_per_distinct_text(void **state)
{
    strpool pool;
    const char *first, *again;
    char text[32];
    int i;
    (void)state;
    strpool_init(&pool);
    first = strpool_intern(&pool, "民政局");
    for (i = 0; i < 5000; i++) { /* growing the table keeps the pointers */
        snprintf(text, sizeof text, "2025-01-01 #%d", i % 700);
        assert_non_null(strpool_intern(&pool, text));
    }
    again = strpool_intern(&pool, "民政局");
    assert_ptr_equal(first, again);
    assert_string_equal(again, "民政局");
    assert_int_equal(pool.count, 1 + 700);
    strpool_free(&pool);
}

static void test_textarena_copies_stay_valid_across_blocks(void **state)
{
    textarena arena;
    const char *copies[3000];
    char text[600];
    int i;
    (void)state;
    textarena_init(&arena);
    for (i = 0; i < 3000; i++) { /* about 1.5 MB: more than one block */
        memset(text, 'a' + i % 26, sizeof text - 1);
        text[sizeof text - 1] = '\0';
        snprintf(text, 12, "T%09d", i);
        text[10] = '-';
        copies[i] = textarena_copy(&arena, text);
        assert_non_null(copies[i]);
    }
    assert_true(arena.block_count > 1);
    for (i = 0; i < 3000; i++) {
        char head[12];
        snprintf(head, sizeof head, "T%09d", i);
        assert_memory_equal(copies[i], head, 10);
        assert_int_equal(strlen(copies[i]), sizeof text - 1);
    }
    textarena_free(&arena);
    assert_int_equal(arena.block_count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idset_finds_exactly_the_ids_added),
        cmocka_unit_test(test_idset_compares_bytes_and_lengths_not_c_strings),
        cmocka_unit_test(test_idset_find_gives_the_order_each_id_was_first_added),
        cmocka_unit_test(test_idset_tells_composite_keys_apart),
        cmocka_unit_test(test_strpool_returns_one_pointer_per_distinct_text),
        cmocka_unit_test(test_textarena_copies_stay_valid_across_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
