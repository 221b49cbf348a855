/*
 * re.c -- PCRE2 wrapper for kaohe: compile with fixed options and JIT fallback,
 * match under limits, report errors with character offsets. See re.h for the
 * contract. Knows nothing of Lua or SQLite; never prints.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "re.h"

/* Compile options of every kaohe pattern (see re.h for why each is there). */
#define RE_COMPILE_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C)

/* Initial JIT stack size; it grows on demand up to the matcher's maximum. */
#define RE_JIT_STACK_START (32u * 1024u)

/*
 * JIT code scans the subject with aligned vector loads that may touch up to a
 * vector's width of bytes before its start and after its end. The loads never
 * cross a page, and the extra bytes never change the answer, but memcheck
 * (valgrind) reports them as invalid or uninitialised reads of the caller's
 * buffer (a SQLite column, a Lua string). So JIT matches run on a copy kept in
 * a RE_PAD-aligned, fully initialised buffer with RE_PAD spare bytes after it.
 * The copy costs less than the UTF-8 check PCRE2 makes of every subject.
 */
#define RE_PAD 64u

struct re_pattern {
    pcre2_code *code;    /* compiled pattern, owned */
    pcre2_code *counted; /* the same with PCRE2_AUTO_CALLOUT, for metered matches, owned */
    bool jit;            /* pcre2_jit_compile() succeeded for code */
    bool counted_tried;  /* counted was given to pcre2_jit_compile() (under counted_lock) */
    bool counted_jit;    /* ... and it succeeded (under counted_lock) */
};

/* JIT-compiling a pattern with a callout before every item takes ten times
 * as long as the pattern itself (2.9 s instead of 0.3 s for 10,000 patterns),
 * and most patterns never need counting: the twin is JIT-compiled at its first
 * counted match, under this lock, since patterns are shared between threads. */
static pthread_mutex_t counted_lock = PTHREAD_MUTEX_INITIALIZER;

struct re_matcher {
    pcre2_match_data *data;        /* one ovector pair; reused by every match, owned */
    pcre2_match_context *mctx;     /* limits and JIT stack assignment, owned */
    pcre2_match_context *free_ctx; /* metered: mctx with RE_FREE_STEPS as match limit, owned */
    pcre2_jit_stack *jit_stack;    /* NULL when PCRE2 has no JIT, owned */
    unsigned char *copy;           /* RE_PAD-aligned subject copy for JIT, owned */
    size_t copy_size;              /* its size in bytes, a multiple of RE_PAD; all initialised */
    bool use_jit;                  /* false: pass PCRE2_NO_JIT to force the interpreter */
    uint32_t match_limit;          /* the match limit in mctx */
    bool metered;                  /* re_matcher_meter() was called */
    uint64_t budget_left;          /* metered: steps the budget can still pay for */
    uint64_t steps;                /* metered: steps charged so far */
    uint64_t last_steps;           /* metered: steps charged by the last re_match() */
    uint64_t allowance;            /* during a counted match: steps it may take */
    bool over_budget;              /* during a counted match: a step found no budget */
    int error_code;                /* PCRE2 code of the last RE_LIMIT/RE_BUDGET/RE_ERROR, else 0 */
    char error[256];               /* its message, "" after a successful match */
};

/*
 * Copy PCRE2's text for `code` into buf (always NUL-terminated). PCRE2
 * truncates a message that does not fit; an unknown code gets a generic text.
 */
static void error_text(int code, char *buf, size_t size)
{
    int rc;

    if (size == 0)
        return;
    rc = pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, size);
    if (rc == PCRE2_ERROR_BADDATA)
        snprintf(buf, size, "unknown PCRE2 error %d", code);
}

/*
 * Number of whole characters before byte `offset` of a UTF-8 string of
 * `length` bytes. An offset inside a character is first moved back to that
 * character's first byte (PCRE2's offsets may point inside one). The bytes
 * before the offset are assumed valid UTF-8, which holds for every offset
 * PCRE2 reports.
 */
static size_t chars_before(const unsigned char *p, size_t length, size_t *offset)
{
    size_t off = *offset;

    if (off > length)
        off = length;
    while (off > 0 && off < length && (p[off] & 0xC0) == 0x80)
        off--;
    *offset = off;
    return re_utf8_chars((const char *)p, off);
}

/*
 * Compile and try JIT; see re.h. Returns 0 or nonzero; *out owned by the
 * caller on success. On failure only *err (when given) says why.
 */
int re_compile_ex(const char *pattern, size_t length, re_pattern **out, re_compile_error *err)
{
    re_compile_error local;
    re_pattern *p = NULL;
    pcre2_compile_context *cctx = NULL;
    int code = 0;
    PCRE2_SIZE erroffset = 0;
    int rc = -1;

    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof *err);
    if (out == NULL) {
        err->code = PCRE2_ERROR_NULL;
        snprintf(err->message, sizeof err->message, "no place to store the pattern");
        goto done;
    }
    *out = NULL;
    if (pattern == NULL) {
        if (length != 0) {
            err->code = PCRE2_ERROR_NULL;
            snprintf(err->message, sizeof err->message, "NULL pattern with nonzero length");
            goto done;
        }
        pattern = "";
    }

    p = calloc(1, sizeof *p);
    cctx = pcre2_compile_context_create(NULL);
    if (p == NULL || cctx == NULL) {
        err->code = PCRE2_ERROR_NOMEMORY;
        error_text(err->code, err->message, sizeof err->message);
        goto done;
    }
    /* LF is PCRE2's usual build default; set it so no build can differ. */
    pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);

    p->code =
        pcre2_compile((PCRE2_SPTR)pattern, length, RE_COMPILE_OPTIONS, &code, &erroffset, cctx);
    /* The twin that metered matches count steps with (see re_matcher_meter). */
    if (p->code != NULL)
        p->counted =
            pcre2_compile((PCRE2_SPTR)pattern, length, RE_COMPILE_OPTIONS | PCRE2_AUTO_CALLOUT,
                          &code, &erroffset, cctx);
    if (p->code == NULL || p->counted == NULL) {
        err->code = code;
        err->offset_bytes = erroffset;
        err->offset_chars =
            chars_before((const unsigned char *)pattern, length, &err->offset_bytes);
        error_text(code, err->message, sizeof err->message);
        goto done;
    }
    /* Any JIT failure (no JIT in this build, no executable memory, an
     * unsupported item) leaves the interpreter in charge, which is correct. */
    p->jit = pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE) == 0;

    *out = p;
    p = NULL; /* handed over */
    rc = 0;
done:
    pcre2_compile_context_free(cctx);
    re_free(p);
    return rc;
}

bool re_out_of_memory(int code)
{
    return code == PCRE2_ERROR_NOMEMORY || code == PCRE2_ERROR_HEAP_FAILED;
}

/*
 * Compile with a one-line message; see re.h. Returns 0 or nonzero; *out owned
 * by the caller on success.
 */
int re_compile(const char *pattern, size_t length, re_pattern **out, char *error, size_t error_size)
{
    re_compile_error err;
    int rc;

    rc = re_compile_ex(pattern, length, out, &err);
    if (error != NULL && error_size > 0) {
        if (rc == 0)
            error[0] = '\0';
        else
            snprintf(error, error_size, "%s at character %zu", err.message, err.offset_chars);
    }
    return rc;
}

/* Free a compiled pattern (JIT code included). NULL-safe. */
void re_free(re_pattern *pattern)
{
    if (pattern == NULL)
        return;
    pcre2_code_free(pattern->code);
    pcre2_code_free(pattern->counted);
    free(pattern);
}

/* True when the pattern has JIT code. NULL gives false. */
bool re_pattern_jit(const re_pattern *pattern)
{
    return pattern != NULL && pattern->jit;
}

/* True when PCRE2 was built with JIT support. */
bool re_jit_available(void)
{
    uint32_t jit = 0;

    if (pcre2_config(PCRE2_CONFIG_JIT, &jit) < 0)
        return false;
    return jit != 0;
}

/* A limit as set: 0 or more than the cap is the cap. */
static uint32_t capped(uint32_t value, uint32_t cap)
{
    return value == 0 || value > cap ? cap : value;
}

/*
 * New matcher with the given limits; see re.h. Returns the matcher (caller
 * frees with re_matcher_free()) or NULL when out of memory.
 */
re_matcher *re_matcher_new(const re_limits *limits)
{
    re_limits none = {0, 0, 0, 0};
    re_matcher *m = NULL;
    re_matcher *result = NULL;
    size_t jit_max;

    if (limits == NULL)
        limits = &none;
    m = calloc(1, sizeof *m);
    if (m == NULL)
        goto done;
    m->use_jit = true;
    m->data = pcre2_match_data_create(1, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    if (m->data == NULL || m->mctx == NULL)
        goto done;
    m->match_limit = capped(limits->match_limit, RE_MATCH_LIMIT_MAX);
    pcre2_set_match_limit(m->mctx, m->match_limit);
    pcre2_set_depth_limit(m->mctx, capped(limits->depth_limit, RE_DEPTH_LIMIT_MAX));
    pcre2_set_heap_limit(m->mctx, capped(limits->heap_limit_kib, RE_HEAP_LIMIT_KIB_MAX));

    if (re_jit_available()) {
        jit_max =
            (size_t)(limits->jit_stack_kib != 0 ? limits->jit_stack_kib : RE_JIT_STACK_KIB) * 1024u;
        m->jit_stack = pcre2_jit_stack_create(
            jit_max < RE_JIT_STACK_START ? jit_max : RE_JIT_STACK_START, jit_max, NULL);
        if (m->jit_stack == NULL)
            goto done;
        pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
    }
    /* The uncounted first try of a metered match: same stack and limits but
     * the match limit, and never a callout. */
    m->free_ctx = pcre2_match_context_copy(m->mctx);
    if (m->free_ctx == NULL)
        goto done;
    pcre2_set_match_limit(m->free_ctx,
                          m->match_limit < RE_FREE_STEPS ? m->match_limit : RE_FREE_STEPS);

    result = m;
    m = NULL; /* handed over */
done:
    re_matcher_free(m);
    return result;
}

/* Free a matcher and everything it owns. NULL-safe. */
void re_matcher_free(re_matcher *matcher)
{
    if (matcher == NULL)
        return;
    pcre2_match_data_free(matcher->data);
    pcre2_match_context_free(matcher->mctx);
    pcre2_match_context_free(matcher->free_ctx);
    pcre2_jit_stack_free(matcher->jit_stack);
    free(matcher->copy);
    free(matcher);
}

/* Choose JIT (default) or the interpreter for later matches. NULL-safe. */
void re_matcher_use_jit(re_matcher *matcher, bool use_jit)
{
    if (matcher != NULL)
        matcher->use_jit = use_jit;
}

/* Start metering; see re.h. */
void re_matcher_meter(re_matcher *matcher, uint64_t budget)
{
    if (matcher == NULL)
        return;
    matcher->metered = true;
    matcher->budget_left = budget < RE_BUDGET_MAX ? budget : RE_BUDGET_MAX;
    matcher->steps = 0;
    matcher->last_steps = 0;
}

/* Steps charged so far. NULL gives 0. */
uint64_t re_matcher_steps(const re_matcher *matcher)
{
    return matcher != NULL ? matcher->steps : 0;
}

/* Steps charged by the last match. NULL gives 0. */
uint64_t re_matcher_last_steps(const re_matcher *matcher)
{
    return matcher != NULL ? matcher->last_steps : 0;
}

/* Whether the counted twin has JIT code, JIT-compiling it the first time
 * (see counted_lock); the interpreter runs it otherwise. */
static bool counted_jit(const re_pattern *pattern)
{
    re_pattern *p = (re_pattern *)pattern; /* allocated mutable by re_compile_ex */
    bool jit;

    pthread_mutex_lock(&counted_lock);
    if (!p->counted_tried) {
        p->counted_jit = p->jit && pcre2_jit_compile(p->counted, PCRE2_JIT_COMPLETE) == 0;
        p->counted_tried = true;
    }
    jit = p->counted_jit;
    pthread_mutex_unlock(&counted_lock);
    return jit;
}

/*
 * PCRE2's callout in a counted match: one step. Returns 0 to go on, or
 * PCRE2_ERROR_CALLOUT (which PCRE2 never returns itself) to stop the match
 * when the step is beyond the allowance.
 */
static int count_step(pcre2_callout_block *block, void *data)
{
    re_matcher *m = data;

    (void)block;
    if (m->last_steps >= m->allowance) {
        m->over_budget = true;
        return PCRE2_ERROR_CALLOUT;
    }
    m->last_steps++;
    return 0;
}

/*
 * Copy length bytes of subject into the matcher's padded buffer (see RE_PAD),
 * growing it when needed. Returns the copy, owned by the matcher, or NULL
 * when out of memory.
 */
static const char *padded_copy(re_matcher *m, const char *subject, size_t length)
{
    const char *result = NULL;
    unsigned char *grown = NULL;
    size_t need;

    if (length > SIZE_MAX - 2 * RE_PAD)
        goto done;
    need = (length + 2 * RE_PAD - 1) / RE_PAD * RE_PAD; /* >= length + RE_PAD */
    if (need > m->copy_size) {
        if (need < 4 * RE_PAD)
            need = 4 * RE_PAD;
        if (m->copy_size <= SIZE_MAX / 2 && need < 2 * m->copy_size)
            need = 2 * m->copy_size; /* grow geometrically */
        grown = aligned_alloc(RE_PAD, need);
        if (grown == NULL)
            goto done;
        memset(grown, 0, need); /* every byte JIT may touch is defined */
        free(m->copy);
        m->copy = grown;
        m->copy_size = need;
    }
    if (length > 0)
        memcpy(m->copy, subject, length);
    result = (const char *)m->copy;
done:
    return result;
}

/*
 * Unanchored search of pattern in subject; see re.h. Returns an re_result;
 * on RE_LIMIT/RE_ERROR the matcher keeps the PCRE2 code and message.
 */
re_result re_match(re_matcher *matcher, const re_pattern *pattern, const char *subject,
                   size_t length)
{
    re_result result = RE_ERROR;
    uint32_t options;
    int rc;

    if (matcher == NULL)
        goto done;
    matcher->error_code = 0;
    matcher->error[0] = '\0';
    if (pattern == NULL || (subject == NULL && length != 0)) {
        matcher->error_code = PCRE2_ERROR_NULL;
        snprintf(matcher->error, sizeof matcher->error, "NULL pattern or subject");
        goto done;
    }
    if (subject == NULL)
        subject = "";

    options = matcher->use_jit ? 0 : PCRE2_NO_JIT;
    matcher->last_steps = 0;
    if (matcher->use_jit && pattern->jit) {
        subject = padded_copy(matcher, subject, length);
        if (subject == NULL) {
            matcher->error_code = PCRE2_ERROR_NOMEMORY;
            error_text(PCRE2_ERROR_NOMEMORY, matcher->error, sizeof matcher->error);
            goto done;
        }
    }
    if (!matcher->metered) {
        rc = pcre2_match(pattern->code, (PCRE2_SPTR)subject, length, 0, options, matcher->data,
                         matcher->mctx);
    } else {
        /* Uncounted first, with few steps; counted again only if they did not
         * suffice (and the match limit allows more). */
        rc = pcre2_match(pattern->code, (PCRE2_SPTR)subject, length, 0, options, matcher->data,
                         matcher->free_ctx);
        if (rc == PCRE2_ERROR_MATCHLIMIT && matcher->match_limit > RE_FREE_STEPS) {
            matcher->allowance = matcher->budget_left;
            matcher->over_budget = false;
            if (matcher->allowance == 0) {
                matcher->over_budget = true;
            } else {
                if (matcher->use_jit)
                    (void)counted_jit(pattern); /* JIT code when the first try had it */
                pcre2_set_callout(matcher->mctx, count_step, matcher);
                rc = pcre2_match(pattern->counted, (PCRE2_SPTR)subject, length, 0, options,
                                 matcher->data, matcher->mctx);
                pcre2_set_callout(matcher->mctx, NULL, NULL);
            }
            matcher->budget_left -= matcher->last_steps;
            matcher->steps += matcher->last_steps;
            if (matcher->over_budget) {
                matcher->error_code = PCRE2_ERROR_CALLOUT;
                snprintf(matcher->error, sizeof matcher->error,
                         "match budget spent (%llu steps in all)",
                         (unsigned long long)matcher->steps);
                result = RE_BUDGET;
                goto done;
            }
        }
    }
    if (rc >= 0) {
        result = RE_MATCH;
        goto done;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        result = RE_NO_MATCH;
        goto done;
    }

    matcher->error_code = rc;
    error_text(rc, matcher->error, sizeof matcher->error);
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT:
        result = RE_LIMIT;
        break;
    default:
        if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
            size_t used = strlen(matcher->error);
            snprintf(matcher->error + used, sizeof matcher->error - used, " at byte %zu",
                     (size_t)pcre2_get_startchar(matcher->data));
        }
        result = RE_ERROR;
        break;
    }
done:
    return result;
}

/* Last error message of the matcher; "" when none. NULL matcher gives "". */
const char *re_matcher_error(const re_matcher *matcher)
{
    return matcher != NULL ? matcher->error : "";
}

/* Last PCRE2 error code of the matcher; 0 when none. */
int re_matcher_error_code(const re_matcher *matcher)
{
    return matcher != NULL ? matcher->error_code : 0;
}

/* Static name of a result. */
const char *re_result_name(re_result result)
{
    switch (result) {
    case RE_NO_MATCH:
        return "no match";
    case RE_MATCH:
        return "match";
    case RE_LIMIT:
        return "limit";
    case RE_ERROR:
        return "error";
    case RE_BUDGET:
        return "budget";
    }
    return "error";
}

/* Count of non-continuation bytes, i.e. characters of valid UTF-8. */
size_t re_utf8_chars(const char *s, size_t length)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0, i;

    for (i = 0; i < length; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}
