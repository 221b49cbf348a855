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
 *   - matched under limits (match, depth, heap, JIT stack). Hitting a limit is
 *     RE_LIMIT, "indeterminate": callers must never read it as "no match".
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
 * Subjects are expected to be valid UTF-8 (check once with re_utf8_valid()
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
    RE_ERROR = 3     /* any other PCRE2 failure (invalid UTF-8 subject, no memory, ...) */
} re_result;

/* Resource limits for a matcher. 0 in any field means "PCRE2's default". */
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
 * Create a matcher with the given limits (NULL = all PCRE2 defaults).
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
 * Look for `pattern` anywhere in `length` bytes of `subject` (UTF-8; NULL is
 * allowed when length is 0).
 * Returns RE_MATCH, RE_NO_MATCH, RE_LIMIT (match/depth/heap/JIT-stack limit
 * hit: the answer is unknown) or RE_ERROR (anything else, e.g. invalid UTF-8).
 * After RE_LIMIT or RE_ERROR, re_matcher_error() gives PCRE2's message and
 * re_matcher_error_code() its code. NULL matcher or pattern gives RE_ERROR.
 */
re_result re_match(re_matcher *matcher, const re_pattern *pattern, const char *subject,
                   size_t length);

/* Message of the last RE_LIMIT/RE_ERROR of this matcher ("" when the last call
 * succeeded). Owned by the matcher; valid until its next re_match() or free. */
const char *re_matcher_error(const re_matcher *matcher);

/* PCRE2 error code of the last RE_LIMIT/RE_ERROR (e.g. PCRE2_ERROR_MATCHLIMIT),
 * 0 when the last call returned RE_MATCH or RE_NO_MATCH. */
int re_matcher_error_code(const re_matcher *matcher);

/* "no match", "match", "limit" or "error". Static string, never NULL. */
const char *re_result_name(re_result result);

/*
 * Check that `length` bytes at `s` are well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF, no
 * truncated sequence; NUL bytes are allowed). This is the same rule PCRE2
 * applies (the tests compare the two).
 * Returns true when valid. When invalid returns false and, if bad_byte_offset
 * is not NULL, stores the byte offset of the first byte of the first bad
 * character there.
 */
bool re_utf8_valid(const char *s, size_t length, size_t *bad_byte_offset);

/* Number of characters (code points) in `length` bytes of valid UTF-8: the
 * count of bytes that are not continuation bytes. */
size_t re_utf8_chars(const char *s, size_t length);

#endif /* KAOHE_RE_H */
