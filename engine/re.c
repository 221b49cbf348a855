/*
 * re.c -- PCRE2 wrapper for kaohe: compile with fixed options and JIT fallback,
 * match under limits, report errors with character offsets. See re.h for the
 * contract. Knows nothing of Lua or SQLite; never prints.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

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
    pcre2_code *code; /* compiled pattern, owned */
    bool jit;         /* pcre2_jit_compile() succeeded */
};

struct re_matcher {
    pcre2_match_data *data;     /* one ovector pair; reused by every match, owned */
    pcre2_match_context *mctx;  /* limits and JIT stack assignment, owned */
    pcre2_jit_stack *jit_stack; /* NULL when PCRE2 has no JIT, owned */
    unsigned char *copy;        /* RE_PAD-aligned subject copy for JIT, owned */
    size_t copy_size;           /* its size in bytes, a multiple of RE_PAD; all initialised */
    bool use_jit;               /* false: pass PCRE2_NO_JIT to force the interpreter */
    int error_code;             /* PCRE2 code of the last RE_LIMIT/RE_ERROR, else 0 */
    char error[256];            /* its message, "" after a successful match */
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
    if (p->code == NULL) {
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
    if (limits->match_limit != 0)
        pcre2_set_match_limit(m->mctx, limits->match_limit);
    if (limits->depth_limit != 0)
        pcre2_set_depth_limit(m->mctx, limits->depth_limit);
    if (limits->heap_limit_kib != 0)
        pcre2_set_heap_limit(m->mctx, limits->heap_limit_kib);

    if (re_jit_available()) {
        jit_max =
            (size_t)(limits->jit_stack_kib != 0 ? limits->jit_stack_kib : RE_JIT_STACK_KIB) * 1024u;
        m->jit_stack = pcre2_jit_stack_create(
            jit_max < RE_JIT_STACK_START ? jit_max : RE_JIT_STACK_START, jit_max, NULL);
        if (m->jit_stack == NULL)
            goto done;
        pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
    }

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
    if (matcher->use_jit && pattern->jit) {
        subject = padded_copy(matcher, subject, length);
        if (subject == NULL) {
            matcher->error_code = PCRE2_ERROR_NOMEMORY;
            error_text(PCRE2_ERROR_NOMEMORY, matcher->error, sizeof matcher->error);
            goto done;
        }
    }
    rc = pcre2_match(pattern->code, (PCRE2_SPTR)subject, length, 0, options, matcher->data,
                     matcher->mctx);
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
    }
    return "error";
}

/*
 * RFC 3629 validator; see re.h. Returns true when valid, else false with the
 * offset of the first byte of the first bad character in *bad_byte_offset.
 */
bool re_utf8_valid(const char *s, size_t length, size_t *bad_byte_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    bool ok = true;

    if (p == NULL && length != 0) {
        ok = false;
        goto done;
    }
    while (i < length) {
        unsigned c = p[i];
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        size_t need, k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2) { /* stray continuation byte, or C0/C1 (overlong ASCII) */
            ok = false;
            goto done;
        } else if (c < 0xE0) {
            need = 1;
        } else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong below U+0800 */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates U+D800..U+DFFF */
        } else if (c < 0xF5) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong below U+10000 */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            ok = false;
            goto done;
        }
        if (length - i <= need) { /* truncated at the end */
            ok = false;
            goto done;
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            ok = false;
            goto done;
        }
        for (k = 2; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                ok = false;
                goto done;
            }
        }
        i += need + 1;
    }
done:
    if (!ok && bad_byte_offset != NULL)
        *bad_byte_offset = i;
    return ok;
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
