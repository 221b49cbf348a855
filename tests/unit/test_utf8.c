/*
 * test_utf8.c -- kaohe's one UTF-8 validator (text_utf8_valid): a table of
 * valid and invalid byte strings, Chinese text among them, with the offset
 * of the first bad character.
 */
#include "unit.h"

#include "text.h"

typedef struct utf8_case {
    const char *bytes;
    size_t length;
    bool valid;
    size_t bad; /* offset of the first bad character when not valid */
} utf8_case;

#define CASE(literal, valid, bad)                                                                  \
    {                                                                                              \
        literal, sizeof literal - 1, valid, bad                                                    \
    }

static void test_utf8_validity_and_first_bad_offset(void **state)
{
    static const utf8_case cases[] = {
        CASE("", true, 0),
        CASE("plain ASCII", true, 0),
        CASE("社区工作者", true, 0),
        CASE("a\0b", true, 0),              /* NUL is a character */
        CASE("\xF0\x9F\x98\x80", true, 0),  /* U+1F600, four bytes */
        CASE("\xF4\x8F\xBF\xBF", true, 0),  /* U+10FFFF, the last */
        CASE("\xED\x9F\xBF", true, 0),      /* U+D7FF, below the surrogates */
        CASE("社区\xB0", false, 6),         /* a stray continuation byte */
        CASE("ok\xC0\xAF", false, 2),       /* overlong '/' */
        CASE("\xE0\x80\xAF", false, 0),     /* overlong, three bytes */
        CASE("\xF0\x8F\xBF\xBF", false, 0), /* overlong, four bytes */
        CASE("x\xED\xA0\x80", false, 1),    /* U+D800, a surrogate */
        CASE("\xF4\x90\x80\x80", false, 0), /* above U+10FFFF */
        CASE("\xF5\x80\x80\x80", false, 0), /* no such lead byte */
        CASE("社\xE5\x8C", false, 3),       /* cut at the end */
        CASE("\xE5\x8C"
             "a",
             false, 0),                         /* cut before ASCII */
        CASE("GBK \xC9\xE7\xC7\xF8", false, 4), /* 社区 in GBK */
    };
    size_t i, bad;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bad = (size_t)-1;
        if (text_utf8_valid(cases[i].bytes, cases[i].length, &bad) != cases[i].valid)
            fail_msg("case %zu: validity is not %d", i, cases[i].valid);
        if (!cases[i].valid && bad != cases[i].bad)
            fail_msg("case %zu: first bad byte at %zu, not %zu", i, bad, cases[i].bad);
    }
    assert_true(text_utf8_valid(NULL, 0, NULL));
    assert_false(text_utf8_valid(NULL, 1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_validity_and_first_bad_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
