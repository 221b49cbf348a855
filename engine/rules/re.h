/*
 * re.h -- the regular-expression layer of kaohe: PCRE2 (8-bit, UTF-8) and
 * nothing else (no Lua, no SQLite).
 *
 * Every pattern kaohe runs (admission-list entries, department filters, rule
 * helpers) goes through this module, so that all of them get the same dialect
 * and the same safety net:
 *
 *   - compiled once, at load time, with PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS
 *     (UTF-8 in, Unicode properties for \w \d \b and case folding, ASCII and
 *     Unicode case-insensitive), plus PCRE2_NEVER_BACKSLASH_C (\C would split
 *     a UTF-8 character and is not supported by JIT) and newline = LF set
 *     explicitly, so "." never matches "\n" whatever PCRE2's build default;
 *   - JIT-compiled when PCRE2 has JIT and it works; otherwise the interpreter
 *     is used, silently and correctly (re_pattern_jit() says which);
 *   - compiled a second time with PCRE2_AUTO_CALLOUT, for metered matching
 *     (below); a pattern too large for that twin does not compile;
 *   - matched under limits (match, depth, heap, JIT stack). Hitting a limit is
 *     RE_LIMIT, "indeterminate": callers must never read it as "no match".
 *     Each limit has a hard cap (RE_*_MAX): a larger value, or 0, is the cap;
 *   - optionally metered against a run budget (re_matcher_meter()): the
 *     steps of every match that needs more than RE_FREE_STEPS at one start
 *     position are counted exactly, and when a run's budget is spent the
 *     match stops with RE_BUDGET, so no pattern can take a whole run.
 *
 * Usage:
 *
 *     re_pattern *p = NULL;
 *     char err[RE_ERROR_SIZE];
 *     if (re_compile(src, len, &p, err, sizeof err) != 0) ... report err ...
 *     re_matcher *m = re_matcher_new(&limits);          one per thread
 *     switch (re_match(m, p, subject, subject_len)) ...
 *     re_matcher_free(m);
 *     re_free(p);
 *
 * Threads: a compiled re_pattern is immutable and may be shared by any number
 * of threads; a re_matcher holds per-match scratch memory and a JIT stack and
 * must be used by one thread at a time.
 *
 * Subjects are expected to be valid UTF-8 (check once with text_utf8_valid()
 * when reading input). re_match() still lets PCRE2 check every subject, so
 * invalid UTF-8 is reported as RE_ERROR rather than being undefined behaviour.
 */
#ifndef KAOHE_RE_H
#define KAOHE_RE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A compiled pattern. Opaque; created by re_compile(), freed by re_free(). */
typedef struct re_pattern re_pattern;

/* Per-thread matching state (match data, match context, JIT stack). */
typedef struct re_matcher re_matcher;

/* Outcome of one re_match() call. */
typedef enum re_result {
    RE_NO_MATCH = 0, /* the pattern does not occur in the subject */
    RE_MATCH = 1,    /* the pattern occurs somewhere in the subject */
    RE_LIMIT = 2,    /* a match, depth, heap or JIT-stack limit was hit: indeterminate */
    RE_ERROR = 3,    /* any other PCRE2 failure (invalid UTF-8 subject, no memory, ...) */
    RE_BUDGET = 4    /* a metered matcher's run budget is spent: indeterminate, and
                        every later match that needs counting will say the same */
} re_result;

/* Resource limits for a matcher. 0 in a field, or more than its cap, is the cap. */
typedef struct re_limits {
    uint32_t match_limit;    /* pcre2_set_match_limit(): backtracking steps per start
                                position (also bounds JIT matching, counted differently) */
    uint32_t depth_limit;    /* pcre2_set_depth_limit(): nested backtracking depth;
                                interpreter only, ignored by JIT */
    uint32_t heap_limit_kib; /* pcre2_set_heap_limit(): KiB of backtracking memory;
                                interpreter only, ignored by JIT */
    uint32_t jit_stack_kib;  /* maximum JIT stack size in KiB; 0 = RE_JIT_STACK_KIB */
} re_limits;

/* Default maximum JIT stack (PCRE2's pcre2jit page: 512 KiB..1 MiB is plenty). */
#define RE_JIT_STACK_KIB 1024u

/*
 * Caps on the limits: mechanism bounds, not policy. A rule file may set
 * lower limits, never higher ones. Measured (CPU time) on the 2-core build
 * machine with ^(\w+\s?)*$ against 'a'x50 + '!': a match that hits
 * RE_MATCH_LIMIT_MAX takes 0.05 s with JIT and 0.19 s in the interpreter, and
 * 0.12 s and 0.29 s when metered, so one match stays a fraction of a second.
 * Depth never exceeds the steps taken; the heap cap keeps one interpreter
 * match to 256 MiB. A metered step costs 9 ns (JIT) to 18 ns (interpreter),
 * so RE_BUDGET_MAX steps take 9 to 18 s.
 */
#define RE_MATCH_LIMIT_MAX    10000000u
#define RE_DEPTH_LIMIT_MAX    10000000u
#define RE_HEAP_LIMIT_KIB_MAX 262144u
#define RE_BUDGET_MAX         UINT64_C(1000000000)

/*
 * A metered matcher first tries every match with this many steps per start
 * position, uncounted. The shipped patterns need at most 13 (JIT) or 174
 * (interpreter) on every title and detail of the fixtures, the conformance
 * kit and `kaohe gen`, so ordinary matching is never counted and runs at full
 * speed; what a match does within this allowance is bounded by it times the
 * subject's characters.
 */
#define RE_FREE_STEPS 1000u

/* A buffer of this many bytes always holds a whole re_compile() message. */
#define RE_ERROR_SIZE 320

/* Details of a failed compilation (re_compile_ex()). */
typedef struct re_compile_error {
    int code;            /* PCRE2 error code: positive for a pattern error, a negative
                            PCRE2_ERROR_UTF8_* code for invalid UTF-8; 0 = no error */
    size_t offset_chars; /* characters (code points) before the error position */
    size_t offset_bytes; /* bytes before the error position (PCRE2's erroroffset,
                            moved back to the start of a character if inside one) */
    char message[256];   /* PCRE2's own message, without any position */
} re_compile_error;

/*
 * Compile `length` bytes of `pattern` (UTF-8; need not be NUL-terminated and
 * may contain NUL; NULL is allowed when length is 0) with the options above,
 * then try to JIT-compile it.
 *
 * Returns 0 and sets *out to a new pattern (the caller frees it with
 * re_free()) on success. On failure returns nonzero, leaves *out NULL and,
 * when error is not NULL and error_size > 0, writes a NUL-terminated message
 * of PCRE2's text and the character offset, truncated to error_size bytes:
 *     "missing closing parenthesis at character 7"
 * A pattern that is not valid UTF-8 fails the same way, with the character
 * offset of the first bad byte ("UTF-8 error: ... at character 3").
 */
int re_compile(const char *pattern, size_t length, re_pattern **out, char *error,
               size_t error_size);

/*
 * As re_compile(), but on failure fills *err (when not NULL) with the parts
 * separately, so that a caller can print
 *     "rules/admission.lua:12: entry N01: pattern error at character 7: <message>".
 * On success *err is cleared (code 0). Returns 0 on success, nonzero on error.
 */
int re_compile_ex(const char *pattern, size_t length, re_pattern **out, re_compile_error *err);

/* True when a PCRE2 error code (re_compile_error.code or
** re_matcher_error_code()) says PCRE2 ran out of memory: the machine's
** failure, not the pattern's or the subject's. */
bool re_out_of_memory(int code);

/* Free a compiled pattern. NULL-safe. */
void re_free(re_pattern *pattern);

/* True when the pattern was JIT-compiled (and re_match() will use JIT unless the
 * matcher disables it); false when matching uses the interpreter. */
bool re_pattern_jit(const re_pattern *pattern);

/* True when this PCRE2 library was built with JIT support (JIT compilation can
 * still fail at run time, e.g. when executable memory is forbidden). */
bool re_jit_available(void);

/*
 * Create a matcher with the given limits (NULL = all at their caps), unmetered.
 * Returns a new matcher, freed by the caller with re_matcher_free(), or NULL
 * when memory (or the JIT stack mapping) could not be allocated.
 */
re_matcher *re_matcher_new(const re_limits *limits);

/* Free a matcher. NULL-safe. */
void re_matcher_free(re_matcher *matcher);

/* Let this matcher use JIT code (the default) or force PCRE2's interpreter
 * (PCRE2_NO_JIT) for every later match: for tests and for comparing engines. */
void re_matcher_use_jit(re_matcher *matcher, bool use_jit);

/*
 * Meter every later match of this matcher against a budget of `budget` steps
 * (more than RE_BUDGET_MAX is RE_BUDGET_MAX), for one run. A match first runs
 * uncounted with at most RE_FREE_STEPS steps per start position (or the match
 * limit, if lower); almost every match ends there, and its answer is final.
 * Only when that limit is hit does the match run again, under the full limits,
 * with a twin of the pattern compiled with PCRE2_AUTO_CALLOUT: each callout
 * (PCRE2 about to try one item of the pattern) is one step, counted across all
 * start positions and charged to the budget. When the budget cannot pay for a
 * step, the match stops and re_match() returns RE_BUDGET.
 *
 * The answers are those of an unmetered matcher with the same limits (a match
 * that ends within fewer steps ends the same way with more), except RE_BUDGET.
 * Step counts are deterministic for one PCRE2 build and engine: JIT and the
 * interpreter count a little differently. NULL-safe.
 */
void re_matcher_meter(re_matcher *matcher, uint64_t budget);

/* Steps charged to the budget so far, and by the last re_match() call alone
 * (0 when it ended within the free steps). 0 for an unmetered matcher. */
uint64_t re_matcher_steps(const re_matcher *matcher);
uint64_t re_matcher_last_steps(const re_matcher *matcher);

/*
 * Look for `pattern` anywhere in `length` bytes of `subject` (UTF-8; NULL is
 * allowed when length is 0).
 * Returns RE_MATCH, RE_NO_MATCH, RE_LIMIT (match/depth/heap/JIT-stack limit
 * hit: the answer is unknown), RE_BUDGET (metered matchers: the run budget is
 * spent, the answer is unknown) or RE_ERROR (anything else, e.g. invalid
 * UTF-8). After RE_LIMIT, RE_BUDGET or RE_ERROR, re_matcher_error() gives a
 * message and re_matcher_error_code() PCRE2's code (PCRE2_ERROR_CALLOUT for
 * RE_BUDGET). NULL matcher or pattern gives RE_ERROR.
 */
re_result re_match(re_matcher *matcher, const re_pattern *pattern, const char *subject,
                   size_t length);

/* Message of the last RE_LIMIT/RE_BUDGET/RE_ERROR of this matcher ("" when the last call
 * succeeded). Owned by the matcher; valid until its next re_match() or free. */
const char *re_matcher_error(const re_matcher *matcher);

/* PCRE2 error code of the last RE_LIMIT/RE_BUDGET/RE_ERROR (e.g. PCRE2_ERROR_MATCHLIMIT),
 * 0 when the last call returned RE_MATCH or RE_NO_MATCH. */
int re_matcher_error_code(const re_matcher *matcher);

/* "no match", "match", "limit", "error" or "budget". Static string, never NULL. */
const char *re_result_name(re_result result);

/* Number of characters (code points) in `length` bytes of valid UTF-8: the
 * count of bytes that are not continuation bytes. */
size_t re_utf8_chars(const char *s, size_t length);

#endif /* KAOHE_RE_H */
