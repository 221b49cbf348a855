/*
 * test_re.c -- unit tests of engine/rules/re.c, the PCRE2 layer: dialect (UTF,
 * Unicode case folding, character counting), error positions in characters,
 * UTF-8 validation, limits as "indeterminate", JIT and interpreter agreeing,
 * a 10,000-pattern set in bounded time, the caps on limits and metered
 * matching against a run budget.
 */
#include "unit.h"

#include <stdio.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "re.h"
#include "text.h"

/* Compile a NUL-terminated pattern, failing the test on error. Caller frees. */
static re_pattern *compile_ok(const char *pattern)
{
    char err[RE_ERROR_SIZE];
    re_pattern *p = NULL;

    if (re_compile(pattern, strlen(pattern), &p, err, sizeof err) != 0)
        fail_msg("pattern /%s/ did not compile: %s", pattern, err);
    return p;
}

/* Match NUL-terminated pattern and subject with a fresh matcher (JIT on or
 * off); returns the result. */
static re_result match_str(const char *pattern, const char *subject, bool jit)
{
    re_pattern *p = compile_ok(pattern);
    re_matcher *m = re_matcher_new(NULL);
    re_result r;

    assert_non_null(m);
    re_matcher_use_jit(m, jit);
    r = re_match(m, p, subject, strlen(subject));
    re_matcher_free(m);
    re_free(p);
    return r;
}

/* Assert the same answer from JIT and from the interpreter. */
static void expect(const char *pattern, const char *subject, re_result want)
{
    re_result with_jit = match_str(pattern, subject, true);
    re_result interp = match_str(pattern, subject, false);

    if (with_jit != want || interp != want)
        fail_msg("/%s/ on \"%s\": want %s, JIT gave %s, interpreter gave %s", pattern, subject,
                 re_result_name(want), re_result_name(with_jit), re_result_name(interp));
}

/* Time bounds are generous; under valgrind (which translates every piece of
 * JIT code it meets) they are stretched further. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifdef RUNNING_ON_VALGRIND
#define TIME_SCALE (RUNNING_ON_VALGRIND ? 20.0 : 1.0)
#else
#define TIME_SCALE 1.0
#endif

/* Milliseconds since an arbitrary start. */
static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_chinese_pattern_matches_chinese_text_anywhere(void **state)
{
    (void)state;
    expect("居民会议", "居民会议", RE_MATCH);
    expect("居民会议", "关于召开居民会议的通知", RE_MATCH);
    expect("居民会议", "通知：居民会议", RE_MATCH);
    expect("(居民会议|居民代表会议)", "召开居民代表会议", RE_MATCH);
    expect("居民会议", "居民代表会议", RE_NO_MATCH);
    expect("(调解|纠纷)", "邻里纠纷", RE_MATCH);
    expect("低保", "临时救助", RE_NO_MATCH);
}

static void test_ascii_letters_match_case_insensitively(void **state)
{
    (void)state;
    expect("app", "下载政务APP", RE_MATCH);
    expect("APP", "下载政务app", RE_MATCH);
    expect("APP", "App下载推广", RE_MATCH);
    expect("(APP|客户端)", "安装政务aPp", RE_MATCH);
    /* Unicode simple case folding applies beyond Latin-1: KELVIN SIGN is k. */
    expect("k", "\xe2\x84\xaa", RE_MATCH);
    /* No multi-character folding: sharp s is not "ss". */
    expect("ss", "ß", RE_NO_MATCH);
}

/*
 * What PCRE2 does with full-width Latin letters under CASELESS + UCP: they are
 * ordinary Unicode letters with their own upper/lower case pairs, so ａｐｐ and
 * ＡＰＰ fold to each other, but there is no width folding: ASCII "app" does
 * NOT match full-width "ＡＰＰ" and [a-z] does not contain ｂ. Patterns that
 * must catch both widths have to say so, e.g. (APP|ＡＰＰ). \w and \d do
 * include full-width letters and digits (UCP).
 */
static void test_fullwidth_letters_fold_case_among_themselves_but_not_to_ascii(void **state)
{
    (void)state;
    expect("ａｐｐ", "下载ＡＰＰ", RE_MATCH);
    expect("ＡＰＰ", "下载ａｐｐ", RE_MATCH);
    expect("app", "下载ＡＰＰ", RE_NO_MATCH);
    expect("ＡＰＰ", "下载APP", RE_NO_MATCH);
    expect("(APP|ＡＰＰ)", "下载ａｐｐ", RE_MATCH);
    expect("[a-z]", "ｂ", RE_NO_MATCH);
    expect("^\\w+$", "ｂ统计ＮＢＳ", RE_MATCH);
    expect("第\\d次", "第７次人口普查", RE_MATCH);
    expect("第7次", "第７次人口普查", RE_NO_MATCH);
}

static void test_dot_repeat_counts_characters_not_bytes(void **state)
{
    (void)state;
    /* 10 Chinese characters (30 bytes) between the words: within .{0,10}. */
    expect("安装.{0,10}APP", "安装社区综合治理服务平台APP", RE_MATCH);
    /* 11 characters: no. */
    expect("安装.{0,10}APP", "安装社区综合治理服务平台端APP", RE_NO_MATCH);
    /* Mixed widths: 1 ASCII + 9 Chinese = 10 characters. */
    expect("安装.{0,10}APP", "安装a社区综合治理服务平APP", RE_MATCH);
    /* Full-width digits are one character each (3 bytes). */
    expect("征订.{0,6}报刊", "征订２０２５年度报刊", RE_MATCH);
    expect("征订.{0,6}报刊", "征订２０２５年全年报刊", RE_NO_MATCH);
    expect("^.{3}$", "中ａ1", RE_MATCH);
}

static void test_dot_does_not_match_newline(void **state)
{
    (void)state;
    expect("安装.{0,10}APP", "请安装\nAPP", RE_NO_MATCH);
    expect("安装.{0,10}APP", "请安装\rAPP", RE_MATCH); /* newline is LF only */
    expect("安装\\s*APP", "请安装\nAPP", RE_MATCH);
}

static void test_compile_error_gives_character_offset_after_chinese(void **state)
{
    re_pattern *p = NULL;
    re_compile_error e;
    char err[RE_ERROR_SIZE];
    const char *pat;

    (void)state;
    /* Error found at the end: 5 characters, 13 bytes. */
    pat = "居民(会议";
    assert_int_not_equal(re_compile(pat, strlen(pat), &p, err, sizeof err), 0);
    assert_null(p);
    assert_string_equal(err, "missing closing parenthesis at character 5");
    assert_int_not_equal(re_compile_ex(pat, strlen(pat), &p, &e), 0);
    assert_int_equal(e.code, PCRE2_ERROR_MISSING_CLOSING_PARENTHESIS);
    assert_int_equal(e.offset_chars, 5);
    assert_int_equal(e.offset_bytes, 13);
    assert_string_equal(e.message, "missing closing parenthesis");

    /* Error in the middle: the ")" is the 3rd character (offset 2). */
    pat = "中文)会议";
    assert_int_not_equal(re_compile(pat, strlen(pat), &p, err, sizeof err), 0);
    assert_string_equal(err, "unmatched closing parenthesis at character 2");

    /* Error inside a character class after 4 Chinese characters. */
    pat = "招商引资[z-a]";
    assert_int_not_equal(re_compile_ex(pat, strlen(pat), &p, &e), 0);
    assert_int_equal(e.code, PCRE2_ERROR_CLASS_RANGE_ORDER);
    assert_string_equal(e.message, "range out of order in character class");
    assert_int_equal(e.offset_chars, 7); /* PCRE2 points just after "z-a" */
    assert_int_equal(e.offset_bytes, 15);
    assert_int_equal(re_utf8_chars(pat, e.offset_bytes), e.offset_chars);

    /* \C is disabled (it would split a UTF-8 character and defeats JIT). */
    pat = "中\\C";
    assert_int_not_equal(re_compile(pat, strlen(pat), &p, err, sizeof err), 0);
    assert_non_null(strstr(err, "\\C"));
    assert_non_null(strstr(err, "at character 3"));
}

static void test_compile_error_message_truncates_safely(void **state)
{
    re_pattern *p = NULL;
    char err[8];

    (void)state;
    memset(err, 'x', sizeof err);
    assert_int_not_equal(re_compile("((", 2, &p, err, sizeof err), 0);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_not_equal(re_compile("((", 2, &p, NULL, 0), 0);
    assert_int_not_equal(re_compile_ex("((", 2, &p, NULL), 0);
    assert_null(p);
    /* Success clears the message. */
    assert_int_equal(re_compile("a", 1, &p, err, sizeof err), 0);
    assert_string_equal(err, "");
    re_free(p);
}

static void test_invalid_utf8_pattern_rejected_with_character_offset(void **state)
{
    re_pattern *p = NULL;
    re_compile_error e;
    char err[RE_ERROR_SIZE];
    static const char bad[] = "中文\xff会议"; /* lone 0xFF after 2 characters */
    static const char cut[] = "居民\xe4\xbc"; /* truncated 3-byte sequence */
    static const char sur[] = "ab\xed\xa0\x80"
                              "c"; /* encoded surrogate U+D800 */

    (void)state;
    assert_int_not_equal(re_compile_ex(bad, sizeof bad - 1, &p, &e), 0);
    assert_null(p);
    assert_true(e.code < 0); /* PCRE2_ERROR_UTF8_* */
    assert_int_equal(e.offset_chars, 2);
    assert_int_equal(e.offset_bytes, 6);
    assert_int_not_equal(re_compile(bad, sizeof bad - 1, &p, err, sizeof err), 0);
    assert_non_null(strstr(err, "UTF-8 error"));
    assert_non_null(strstr(err, "at character 2"));

    assert_int_not_equal(re_compile_ex(cut, sizeof cut - 1, &p, &e), 0);
    assert_int_equal(e.offset_chars, 2);
    assert_int_not_equal(re_compile_ex(sur, sizeof sur - 1, &p, &e), 0);
    assert_int_equal(e.offset_chars, 2);
}

static void test_invalid_utf8_subject_detected_with_offset(void **state)
{
    static const char subject[] = "低保\xc0\xaf核查"; /* overlong "/" after 2 characters */
    size_t bad = 999;
    re_pattern *p;
    re_matcher *m;

    (void)state;
    assert_false(text_utf8_valid(subject, sizeof subject - 1, &bad));
    assert_int_equal(bad, 6);
    assert_int_equal(re_utf8_chars(subject, bad), 2);

    /* re_match does not trust the caller: PCRE2 checks and it is an error,
     * never a silent no-match. */
    p = compile_ok("核查");
    m = re_matcher_new(NULL);
    assert_non_null(m);
    assert_int_equal(re_match(m, p, subject, sizeof subject - 1), RE_ERROR);
    assert_true(re_matcher_error_code(m) < 0);
    assert_non_null(strstr(re_matcher_error(m), "UTF-8 error"));
    assert_non_null(strstr(re_matcher_error(m), "at byte 6"));
    /* The next good match clears the error. */
    assert_int_equal(re_match(m, p, "低保核查", strlen("低保核查")), RE_MATCH);
    assert_int_equal(re_matcher_error_code(m), 0);
    assert_string_equal(re_matcher_error(m), "");
    re_matcher_free(m);
    re_free(p);
}

/* One row of the validator table. */
typedef struct utf8_case {
    const char *bytes; /* test input */
    size_t length;     /* its length in bytes */
    bool valid;        /* expected verdict */
    size_t bad;        /* expected offset when invalid */
} utf8_case;

#define U8(s, ok, off)                                                                             \
    {                                                                                              \
        s, sizeof s - 1, ok, off                                                                   \
    }

static void test_utf8_validator_rejects_overlongs_surrogates_and_beyond_u10ffff(void **state)
{
    static const utf8_case cases[] = {
        U8("", true, 0),
        U8("plain ASCII", true, 0),
        U8("社区工作事项准入清单", true, 0),
        U8("ＮＢＳ统计局📋", true, 0),
        U8("a\0b", true, 0),                             /* NUL is a character */
        U8("\xc2\x80\xdf\xbf", true, 0),                 /* U+0080, U+07FF */
        U8("\xe0\xa0\x80\xef\xbf\xbf", true, 0),         /* U+0800, U+FFFF */
        U8("\xed\x9f\xbf\xee\x80\x80", true, 0),         /* U+D7FF, U+E000 */
        U8("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", true, 0), /* U+10000, U+10FFFF */
        U8("ab\x80", false, 2),                          /* stray continuation */
        U8("\xc0\x80", false, 0),                        /* overlong NUL */
        U8("\xc1\xbf", false, 0),                        /* overlong */
        U8("x\xe0\x9f\xbf", false, 1),                   /* overlong 3-byte */
        U8("\xf0\x8f\xbf\xbf", false, 0),                /* overlong 4-byte */
        U8("中\xed\xa0\x80", false, 3),                  /* U+D800 */
        U8("中\xed\xbf\xbf", false, 3),                  /* U+DFFF */
        U8("\xf4\x90\x80\x80", false, 0),                /* U+110000 */
        U8("\xf5\x80\x80\x80", false, 0),                /* lead byte F5 */
        U8("\xf8\x88\x80\x80\x80", false, 0),            /* 5-byte form */
        U8("\xfe\xff", false, 0),
        U8("中\xe4\xb8", false, 3),   /* truncated at the end */
        U8("中\xe4\xb8x", false, 3),  /* bad continuation */
        U8("\xf0\x9f\x93", false, 0), /* truncated emoji */
    };
    size_t i, bad;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bad = 12345;
        if (text_utf8_valid(cases[i].bytes, cases[i].length, &bad) != cases[i].valid)
            fail_msg("case %zu: want %s", i, cases[i].valid ? "valid" : "invalid");
        if (!cases[i].valid && bad != cases[i].bad)
            fail_msg("case %zu: bad offset %zu, want %zu", i, bad, cases[i].bad);
    }
    assert_true(text_utf8_valid(NULL, 0, NULL));
    assert_false(text_utf8_valid("\xff", 1, NULL));
}

/* PCRE2's verdict on a subject: true when valid, else false and *bad set. */
static bool pcre2_says_valid(pcre2_code *empty, pcre2_match_data *md, const unsigned char *s,
                             size_t n, size_t *bad)
{
    int rc = pcre2_match(empty, s, n, 0, PCRE2_NO_JIT, md, NULL);

    if (rc >= 0)
        return true;
    *bad = pcre2_get_startchar(md);
    return false;
}

/* Compare text_utf8_valid() with PCRE2 on one buffer; fail with the bytes. */
static void compare_with_pcre2(pcre2_code *empty, pcre2_match_data *md, const unsigned char *s,
                               size_t n)
{
    size_t mine_bad = 0, theirs_bad = 0;
    bool mine = text_utf8_valid((const char *)s, n, &mine_bad);
    bool theirs = pcre2_says_valid(empty, md, s, n, &theirs_bad);

    if (mine != theirs || (!mine && mine_bad != theirs_bad))
        fail_msg("%zu bytes %02x %02x %02x %02x %02x: re %d@%zu, PCRE2 %d@%zu", n, s[0], s[1], s[2],
                 s[3], s[4], mine, mine_bad, theirs, theirs_bad);
}

static void test_utf8_validator_agrees_with_pcre2(void **state)
{
    /* Continuation-byte candidates at and around every boundary. */
    static const unsigned char edge[] = {0x00, 0x41, 0x7f, 0x80, 0x81, 0x8f, 0x90,
                                         0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xff};
    const size_t ne = sizeof edge;
    unsigned char s[8];
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *empty = pcre2_compile((PCRE2_SPTR) "", 0, PCRE2_UTF, &code, &off, NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    unsigned a, b;
    size_t i, j, k;

    (void)state;
    assert_non_null(empty);
    assert_non_null(md);
    /* Every 1- and 2-byte string, with a prefix so offsets are not all 0. */
    for (a = 0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            s[0] = 'x';
            s[1] = (unsigned char)a;
            s[2] = (unsigned char)b;
            s[3] = s[4] = 0;
            compare_with_pcre2(empty, md, s, 2);
            compare_with_pcre2(empty, md, s, 3);
        }
    }
    /* Every lead byte 0x80..0xFF followed by boundary continuation bytes. */
    for (a = 0x80; a < 256; a++) {
        for (i = 0; i < ne; i++) {
            for (j = 0; j < ne; j++) {
                for (k = 0; k < ne; k++) {
                    s[0] = (unsigned char)a;
                    s[1] = edge[i];
                    s[2] = edge[j];
                    s[3] = edge[k];
                    s[4] = 0x80;
                    compare_with_pcre2(empty, md, s, 3);
                    compare_with_pcre2(empty, md, s, 4);
                    compare_with_pcre2(empty, md, s, 5);
                }
            }
        }
    }
    pcre2_match_data_free(md);
    pcre2_code_free(empty);
}

static void test_catastrophic_pattern_hits_match_limit_quickly_with_jit(void **state)
{
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    re_limits limits = {.match_limit = 10000};
    re_pattern *p = compile_ok("(a+)+$");
    re_matcher *m = re_matcher_new(&limits);
    double t0, ms;
    re_result r;

    (void)state;
    assert_non_null(m);
    if (!re_pattern_jit(p))
        print_message("JIT not in use here; this runs the interpreter\n");
    t0 = now_ms();
    r = re_match(m, p, subject, strlen(subject));
    ms = now_ms() - t0;
    print_message("(a+)+$ with match_limit 10000, JIT %s: %s in %.3f ms\n",
                  re_pattern_jit(p) ? "on" : "off", re_result_name(r), ms);
    assert_int_equal(r, RE_LIMIT);
    assert_int_equal(re_matcher_error_code(m), PCRE2_ERROR_MATCHLIMIT);
    assert_string_equal(re_matcher_error(m), "match limit exceeded");
    assert_true(ms < 1000.0 * TIME_SCALE);
    re_matcher_free(m);
    re_free(p);
}

static void test_catastrophic_pattern_hits_match_limit_quickly_without_jit(void **state)
{
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    re_limits limits = {.match_limit = 10000};
    re_pattern *p = compile_ok("(a+)+$");
    re_matcher *m = re_matcher_new(&limits);
    double t0, ms;
    re_result r;

    (void)state;
    assert_non_null(m);
    re_matcher_use_jit(m, false);
    t0 = now_ms();
    r = re_match(m, p, subject, strlen(subject));
    ms = now_ms() - t0;
    print_message("(a+)+$ with match_limit 10000, interpreter: %s in %.3f ms\n", re_result_name(r),
                  ms);
    assert_int_equal(r, RE_LIMIT);
    assert_int_equal(re_matcher_error_code(m), PCRE2_ERROR_MATCHLIMIT);
    assert_true(ms < 1000.0 * TIME_SCALE);
    /* A limit is "indeterminate", never "no match"; the same matcher still
     * answers ordinary questions afterwards. */
    assert_int_equal(re_match(m, p, "aaa", 3), RE_MATCH);
    assert_int_equal(re_match(m, p, "aa!", 3), RE_NO_MATCH);
    re_matcher_free(m);
    re_free(p);
}

static void test_depth_and_heap_limits_are_limits_in_the_interpreter(void **state)
{
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    re_limits depth = {.depth_limit = 5};
    re_limits heap = {.heap_limit_kib = 1};
    re_pattern *p = compile_ok("(a+)+$");
    re_matcher *m = re_matcher_new(&depth);

    (void)state;
    assert_non_null(m);
    re_matcher_use_jit(m, false);
    assert_int_equal(re_match(m, p, subject, strlen(subject)), RE_LIMIT);
    assert_int_equal(re_matcher_error_code(m), PCRE2_ERROR_DEPTHLIMIT);
    re_matcher_free(m);

    m = re_matcher_new(&heap);
    assert_non_null(m);
    re_matcher_use_jit(m, false);
    assert_int_equal(re_match(m, p, subject, strlen(subject)), RE_LIMIT);
    assert_int_equal(re_matcher_error_code(m), PCRE2_ERROR_HEAPLIMIT);
    re_matcher_free(m);
    re_free(p);
}

static void test_jit_stack_exhaustion_is_a_limit(void **state)
{
    enum { N = 20000 };
    re_limits small = {.jit_stack_kib = 32};
    re_pattern *p = compile_ok("^(?:(a)|\\1b)*$");
    re_matcher *m = re_matcher_new(&small);
    re_matcher *big = re_matcher_new(NULL);
    char *subject = malloc(N);

    (void)state;
    assert_non_null(m);
    assert_non_null(big);
    assert_non_null(subject);
    memset(subject, 'a', N);
    if (re_pattern_jit(p)) {
        assert_int_equal(re_match(m, p, subject, N), RE_LIMIT);
        assert_int_equal(re_matcher_error_code(m), PCRE2_ERROR_JIT_STACKLIMIT);
    } else {
        print_message("JIT not in use here; JIT stack limit not exercised\n");
    }
    /* The default 1 MiB JIT stack and the interpreter both get the answer. */
    assert_int_equal(re_match(big, p, subject, N), RE_MATCH);
    re_matcher_use_jit(m, false);
    assert_int_equal(re_match(m, p, subject, N), RE_MATCH);
    free(subject);
    re_matcher_free(big);
    re_matcher_free(m);
    re_free(p);
}

static void test_jit_is_used_when_available_and_results_agree(void **state)
{
    re_pattern *p = compile_ok("(低保|临时救助|特困)");

    (void)state;
    print_message("PCRE2 JIT available: %s; pattern JIT-compiled: %s\n",
                  re_jit_available() ? "yes" : "no", re_pattern_jit(p) ? "yes" : "no");
    if (re_jit_available())
        assert_true(re_pattern_jit(p));
    re_free(p);
    expect("(低保|临时救助|特困)", "特困人员供养", RE_MATCH);
    expect("(低保|临时救助|特困)", "困难群众", RE_NO_MATCH);
    expect("\\b统计\\b", "统计", RE_MATCH);
    expect("(?<!区)统计局", "区统计局", RE_NO_MATCH);
    expect("(?<!区)统计局", "市统计局", RE_MATCH);
}

static void test_explicit_length_allows_nul_and_is_not_nul_terminated(void **state)
{
    re_pattern *p = NULL;
    re_matcher *m = re_matcher_new(NULL);

    (void)state;
    assert_non_null(m);
    assert_int_equal(re_compile("a\0b", 3, &p, NULL, 0), 0);
    assert_int_equal(re_match(m, p, "xa\0by", 5), RE_MATCH);
    assert_int_equal(re_match(m, p, "ab", 2), RE_NO_MATCH);
    re_free(p);
    p = NULL;
    /* Only the first 6 bytes (居民) are the pattern. */
    assert_int_equal(re_compile("居民会议", 6, &p, NULL, 0), 0);
    assert_int_equal(re_match(m, p, "居民代表", strlen("居民代表")), RE_MATCH);
    /* Only the first 3 bytes of the subject are looked at. */
    assert_int_equal(re_match(m, p, "居民", 3), RE_NO_MATCH);
    re_free(p);
    re_matcher_free(m);
}

/*
 * JIT code reads aligned blocks around the subject; re_match() hands it a
 * padded copy so that the caller's exact-size heap buffers (SQLite columns,
 * Lua strings) are never read out of bounds. Under valgrind this test fails
 * loudly if that ever regresses; normally it checks the answers.
 */
static void test_jit_matches_exact_size_heap_subjects_at_every_alignment(void **state)
{
    static const char *const subjects[] = {"关于任务4321乙下沉到的社区的通知", "低保对象入户核查",
                                           "x", "请安装\nAPP", "下载政务APP"};
    static const re_result want[] = {RE_NO_MATCH, RE_NO_MATCH, RE_NO_MATCH, RE_NO_MATCH, RE_MATCH};
    re_pattern *p = compile_ok("(安装|下载|注册).{0,10}(APP|客户端|小程序)");
    re_matcher *m = re_matcher_new(NULL);
    size_t i, off, n;
    char *big;

    (void)state;
    assert_non_null(m);
    for (i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        for (off = 0; off < 64; off++) {
            char *buf;

            n = strlen(subjects[i]);
            buf = malloc(off + n);
            assert_non_null(buf);
            memset(buf, '#', off);
            memcpy(buf + off, subjects[i], n); /* no NUL, nothing after it */
            assert_int_equal(re_match(m, p, buf + off, n), want[i]);
            free(buf);
        }
    }
    /* A long subject grows the copy; a short one after it still works. */
    n = 300000;
    big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    memcpy(big + n - strlen("下载APP"), "下载APP", strlen("下载APP"));
    assert_int_equal(re_match(m, p, big, n), RE_MATCH);
    assert_int_equal(re_match(m, p, big, n - 1), RE_NO_MATCH);
    assert_int_equal(re_match(m, p, "下载APP", strlen("下载APP")), RE_MATCH);
    free(big);
    re_matcher_free(m);
    re_free(p);
}

static void test_null_arguments_are_safe(void **state)
{
    re_pattern *p = NULL;
    re_matcher *m = re_matcher_new(NULL);

    (void)state;
    assert_non_null(m);
    re_free(NULL);
    re_matcher_free(NULL);
    re_matcher_use_jit(NULL, false);
    assert_false(re_pattern_jit(NULL));
    assert_int_equal(re_match(NULL, NULL, "x", 1), RE_ERROR);
    assert_int_equal(re_match(m, NULL, "x", 1), RE_ERROR);
    assert_string_not_equal(re_matcher_error(m), "");
    assert_string_equal(re_matcher_error(NULL), "");
    assert_int_equal(re_matcher_error_code(NULL), 0);
    assert_int_not_equal(re_compile(NULL, 1, &p, NULL, 0), 0);
    assert_int_not_equal(re_compile("a", 1, NULL, NULL, 0), 0);
    /* An empty pattern (NULL, 0) matches everything, even an empty subject. */
    assert_int_equal(re_compile(NULL, 0, &p, NULL, 0), 0);
    assert_int_equal(re_match(m, p, NULL, 0), RE_MATCH);
    assert_int_equal(re_match(m, p, NULL, 1), RE_ERROR);
    re_free(p);
    re_matcher_free(m);
    assert_string_equal(re_result_name(RE_LIMIT), "limit");
    assert_string_equal(re_result_name(RE_NO_MATCH), "no match");
}

static void test_ten_thousand_patterns_compile_and_match_in_bounded_time(void **state)
{
    enum { N = 10000 };
    re_pattern **set = calloc(N, sizeof *set);
    re_matcher *m = re_matcher_new(NULL);
    char pat[128], subject[128]; /* tail left uninitialised on purpose */
    double t0, t1, t2;
    size_t i, jit = 0, hits = 0;

    (void)state;
    assert_non_null(set);
    assert_non_null(m);
    t0 = now_ms();
    for (i = 0; i < N; i++) {
        snprintf(pat, sizeof pat, "(第%zu号事项|任务%zu(甲|乙).{0,4}社区)", i, i);
        if (re_compile(pat, strlen(pat), &set[i], NULL, 0) != 0)
            fail_msg("pattern %zu did not compile", i);
        jit += re_pattern_jit(set[i]);
    }
    t1 = now_ms();
    /* Each pattern against the subject naming task 4321: only pattern 4321
     * matches ("任务4321乙" is followed by 4 characters then 社区). */
    snprintf(subject, sizeof subject, "关于任务%d乙下沉到的社区的通知", 4321);
    for (i = 0; i < N; i++) {
        re_result r = re_match(m, set[i], subject, strlen(subject));
        assert_true(r == RE_MATCH || r == RE_NO_MATCH);
        if (r == RE_MATCH) {
            assert_int_equal(i, 4321);
            hits++;
        }
    }
    t2 = now_ms();
    assert_int_equal(hits, 1);
    print_message("10000 patterns: compiled in %.1f ms (%zu JIT), matched in %.1f ms\n", t1 - t0,
                  jit, t2 - t1);
    assert_true(t2 - t0 < 10000.0 * TIME_SCALE);
    for (i = 0; i < N; i++)
        re_free(set[i]);
    free(set);
    re_matcher_free(m);
}

/* Cases for metered matching: cheap, expensive but within the limit, and
 * past the limit, with the answer an unmetered matcher gives. */
typedef struct metered_case {
    const char *pattern;
    const char *subject;
} metered_case;

static const metered_case METERED_CASES[] = {
    {"(安装|下载|注册).{0,10}(APP|客户端|小程序)", "请协助安装某某APP"},
    {"(安装|下载|注册).{0,10}(APP|客户端|小程序)", "社区矫正对象日常走访"},
    {"(出具|开具).{0,12}(亲属关系|婚姻状况|无犯罪)", "为辖区居民开具婚姻状况证明"},
    {"^(\\w+\\s?)*$", "aaaaaaaaaaaa!"},             /* ~8,000 steps */
    {"(\\w+\\s?)*$", "aaaaaaaaaaaa!aaaaaaaaaaaa!"}, /* many start positions */
    {"^(\\w+\\s?)*$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"}, /* past the limit */
    {"(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"},
    {"^(?:a|b(?C1))*$", "abababab"}, /* a callout of the pattern's own */
    {"", ""},
};

/* A metered matcher gives the answers of an unmetered one (with JIT and
 * without), and only matches that need more than RE_FREE_STEPS per start
 * position are charged. */
static void
test_metered_matcher_answers_as_unmetered_and_charges_only_expensive_matches(void **state)
{
    re_limits limits = {.match_limit = 100000};
    size_t i;
    int jit;

    (void)state;
    for (jit = 0; jit < 2; jit++) {
        for (i = 0; i < sizeof METERED_CASES / sizeof METERED_CASES[0]; i++) {
            const metered_case *c = &METERED_CASES[i];
            re_pattern *p = compile_ok(c->pattern);
            re_matcher *plain = re_matcher_new(&limits);
            re_matcher *metered = re_matcher_new(&limits);
            re_result want, got;

            assert_non_null(plain);
            assert_non_null(metered);
            re_matcher_use_jit(plain, jit);
            re_matcher_use_jit(metered, jit);
            re_matcher_meter(metered, RE_BUDGET_MAX);
            want = re_match(plain, p, c->subject, strlen(c->subject));
            got = re_match(metered, p, c->subject, strlen(c->subject));
            print_message("%s /%s/ on %s: %s, %llu steps\n", jit ? "JIT   " : "interp", c->pattern,
                          c->subject, re_result_name(got),
                          (unsigned long long)re_matcher_last_steps(metered));
            if (want != got)
                fail_msg("/%s/ on %s: unmetered %s, metered %s", c->pattern, c->subject,
                         re_result_name(want), re_result_name(got));
            assert_int_equal(re_matcher_error_code(plain), re_matcher_error_code(metered));
            assert_string_equal(re_matcher_error(plain), re_matcher_error(metered));
            if (i < 3 || i >= 7) /* the cheap ones */
                assert_int_equal(re_matcher_steps(metered), 0);
            else
                assert_true(re_matcher_steps(metered) > RE_FREE_STEPS);
            assert_int_equal(re_matcher_steps(metered), re_matcher_last_steps(metered));
            assert_int_equal(re_matcher_steps(plain), 0);
            re_matcher_free(plain);
            re_matcher_free(metered);
            re_free(p);
        }
    }
}

/* Steps are counted over every start position, and the same match always
 * costs the same. */
static void test_metered_steps_are_deterministic_and_count_every_start_position(void **state)
{
    re_pattern *p = compile_ok("(\\w+\\s?)*$");
    re_matcher *m = re_matcher_new(NULL);
    const char *one = "aaaaaaaaaaaa!", *two = "aaaaaaaaaaaa!aaaaaaaaaaaa!";
    uint64_t a, b, c;

    (void)state;
    assert_non_null(m);
    re_matcher_meter(m, RE_BUDGET_MAX);
    assert_int_equal(re_match(m, p, one, strlen(one)), RE_MATCH);
    a = re_matcher_last_steps(m);
    assert_int_equal(re_match(m, p, one, strlen(one)), RE_MATCH);
    b = re_matcher_last_steps(m);
    assert_int_equal(re_match(m, p, two, strlen(two)), RE_MATCH);
    c = re_matcher_last_steps(m);
    print_message("%llu, %llu, then %llu steps\n", (unsigned long long)a, (unsigned long long)b,
                  (unsigned long long)c);
    assert_true(a > RE_FREE_STEPS);
    assert_int_equal(a, b);
    assert_true(c > a + a / 2); /* the second block backtracks as much again */
    assert_int_equal(re_matcher_steps(m), a + b + c);
    re_matcher_free(m);
    re_free(p);
}

/* When the budget cannot pay for a match it is RE_BUDGET, the whole budget is
 * spent, later expensive matches are RE_BUDGET at once, and cheap matches
 * still answer. */
static void test_spent_budget_stops_expensive_matches_only(void **state)
{
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    re_pattern *p = compile_ok("^(\\w+\\s?)*$");
    re_pattern *cheap = compile_ok("安装.{0,10}APP");
    re_matcher *m = re_matcher_new(NULL);
    double t0, ms;

    (void)state;
    assert_non_null(m);
    re_matcher_meter(m, 50000);
    t0 = now_ms();
    assert_int_equal(re_match(m, p, subject, strlen(subject)), RE_BUDGET);
    ms = now_ms() - t0;
    assert_int_equal(re_matcher_error_code(m), PCRE2_ERROR_CALLOUT);
    assert_non_null(strstr(re_matcher_error(m), "budget"));
    assert_int_equal(re_matcher_steps(m), 50000);
    assert_int_equal(re_matcher_last_steps(m), 50000);
    assert_true(ms < 1000.0 * TIME_SCALE);
    assert_int_equal(re_match(m, p, subject, strlen(subject)), RE_BUDGET);
    assert_int_equal(re_matcher_last_steps(m), 0);
    assert_int_equal(re_matcher_steps(m), 50000);
    assert_int_equal(re_match(m, cheap, "请安装某某APP", strlen("请安装某某APP")), RE_MATCH);
    assert_int_equal(re_match(m, cheap, "日常走访", strlen("日常走访")), RE_NO_MATCH);
    assert_int_equal(re_match(m, p, "aaa", 3), RE_MATCH);
    /* A budget of 0 counts nothing: the first expensive match stops. */
    re_matcher_meter(m, 0);
    assert_int_equal(re_match(m, p, subject, strlen(subject)), RE_BUDGET);
    assert_int_equal(re_matcher_steps(m), 0);
    re_matcher_free(m);
    re_free(p);
    re_free(cheap);
}

/* Limits above the caps (or 0) are the caps: a match limit of 2^32-1 still
 * stops the catastrophic match within a fraction of a second. */
static void test_limits_above_the_caps_are_capped(void **state)
{
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    re_limits huge = {
        .match_limit = UINT32_MAX, .depth_limit = UINT32_MAX, .heap_limit_kib = UINT32_MAX};
    re_pattern *p = compile_ok("^(\\w+\\s?)*$");
    re_matcher *m = re_matcher_new(&huge);
    double t0, ms;
    int jit;

    (void)state;
    assert_non_null(m);
    for (jit = 1; jit >= 0; jit--) {
        re_matcher_use_jit(m, jit);
        t0 = now_ms();
        assert_int_equal(re_match(m, p, subject, strlen(subject)), RE_LIMIT);
        ms = now_ms() - t0;
        print_message("%s: match limit %u stopped after %.1f ms\n", jit ? "JIT" : "interpreter",
                      RE_MATCH_LIMIT_MAX, ms);
        assert_true(ms < 2000.0 * TIME_SCALE);
    }
    re_matcher_free(m);
    re_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chinese_pattern_matches_chinese_text_anywhere),
        cmocka_unit_test(test_ascii_letters_match_case_insensitively),
        cmocka_unit_test(test_fullwidth_letters_fold_case_among_themselves_but_not_to_ascii),
        cmocka_unit_test(test_dot_repeat_counts_characters_not_bytes),
        cmocka_unit_test(test_dot_does_not_match_newline),
        cmocka_unit_test(test_compile_error_gives_character_offset_after_chinese),
        cmocka_unit_test(test_compile_error_message_truncates_safely),
        cmocka_unit_test(test_invalid_utf8_pattern_rejected_with_character_offset),
        cmocka_unit_test(test_invalid_utf8_subject_detected_with_offset),
        cmocka_unit_test(test_utf8_validator_rejects_overlongs_surrogates_and_beyond_u10ffff),
        cmocka_unit_test(test_utf8_validator_agrees_with_pcre2),
        cmocka_unit_test(test_catastrophic_pattern_hits_match_limit_quickly_with_jit),
        cmocka_unit_test(test_catastrophic_pattern_hits_match_limit_quickly_without_jit),
        cmocka_unit_test(test_depth_and_heap_limits_are_limits_in_the_interpreter),
        cmocka_unit_test(test_jit_stack_exhaustion_is_a_limit),
        cmocka_unit_test(test_jit_is_used_when_available_and_results_agree),
        cmocka_unit_test(test_explicit_length_allows_nul_and_is_not_nul_terminated),
        cmocka_unit_test(test_jit_matches_exact_size_heap_subjects_at_every_alignment),
        cmocka_unit_test(test_null_arguments_are_safe),
        cmocka_unit_test(test_ten_thousand_patterns_compile_and_match_in_bounded_time),
        cmocka_unit_test(
            test_metered_matcher_answers_as_unmetered_and_charges_only_expensive_matches),
        cmocka_unit_test(test_metered_steps_are_deterministic_and_count_every_start_position),
        cmocka_unit_test(test_spent_budget_stops_expensive_matches_only),
        cmocka_unit_test(test_limits_above_the_caps_are_capped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
