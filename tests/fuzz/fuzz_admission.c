/*
** tests/fuzz/fuzz_admission.c — libFuzzer harness: admission matching.
**
** Input: one flags byte, then fields separated by 0x1F (ASCII unit
** separator):
**
**     flags  pattern  0x1F  department-pattern  0x1F  title  0x1F  detail
**            0x1F  department  0x1F  entry reason
**
** The pattern (and the department pattern, when not empty) is compiled with
** re_compile_ex() as the rules loader does; the title, detail and department
** are checked with text_utf8_valid() as the snapshot reader does, then the task
** is decided with admission_decide() against the fuzzed entry alone, or
** placed after or before the shipped admission list (loaded once).
**
** Flags: bits 0-1 list/kind (deny, allow duty, allow assist, deny), bit 2
** funded, bit 3 staffed, bit 4 approval present, bit 5 tiny PCRE2 limits,
** bits 6-7 where the entry goes (alone, after, before the shipped list).
**
** Oracles:
**   - a failed compile has a code, a message and offsets inside the pattern
**     (offset_chars <= characters, offset_bytes <= bytes, at a character
**     start); re_compile() with a small buffer writes a terminated message;
**   - text_utf8_valid() gives an offset inside the text when it refuses;
**   - a valid subject never gives a UTF-8 error from re_match() with a JIT
**     or an interpreter matcher, an invalid one always does; when both
**     engines answer match/no match, they give the same answer;
**   - admission_decide() returns 0 and a valid UTF-8 reason; a limit or
**     error is never an admit; an invalid title (with entries) is a review;
**   - a matcher metered against a run budget (a few thousand to a few
**     hundred thousand steps, from the input's size) never charges more than
**     the budget, says RE_BUDGET only when it is spent, and otherwise answers
**     as the unmetered matcher: the same match or no match, and a limit
**     where it hits one; admission_decide_metered() gives the same decision
**     or ADMISSION_BUDGET with the budget spent, and never charges an entry
**     that was not matched;
**   - the memo finds the task just added, with its number, and a task that
**     differs in its title does not find it.
*/
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "fuzz_common.h"
#include "re.h"
#include "rules.h"
#include "text.h"

static rules *shipped;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rules_options options;
    error e;
    (void)argc;
    (void)argv;
    memset(&options, 0, sizeof options);
    options.directory = fuzz_root();
    options.default_root = fuzz_root();
    error_clear(&e);
    if (rules_load(&options, &shipped, &e) != ERROR_OK || shipped->problem_count > 0 ||
        !shipped->admission.present) {
        fprintf(stderr, "fuzz_admission: cannot load the shipped rules from %s: %s\n",
                fuzz_root(), e.message);
        abort();
    }
    return 0;
}

static void check_compile_error(const char *pattern, size_t length, const re_compile_error *err)
{
    size_t chars;
    FUZZ_CHECK(err->code != 0, "failed compile with code 0");
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL, "message not terminated");
    FUZZ_CHECK(err->message[0] != '\0', "empty compile message (code %d)", err->code);
    FUZZ_CHECK(err->offset_bytes <= length, "offset_bytes %zu > length %zu", err->offset_bytes,
               length);
    if (text_utf8_valid(pattern, length, NULL)) {
        chars = re_utf8_chars(pattern, length);
        FUZZ_CHECK(err->offset_chars <= chars, "offset_chars %zu > %zu characters",
                   err->offset_chars, chars);
        FUZZ_CHECK(err->offset_bytes == length ||
                       ((unsigned char)pattern[err->offset_bytes] & 0xC0) != 0x80,
                   "offset_bytes %zu inside a character", err->offset_bytes);
        FUZZ_CHECK(re_utf8_chars(pattern, err->offset_bytes) == err->offset_chars,
                   "offset_chars %zu does not match offset_bytes %zu", err->offset_chars,
                   err->offset_bytes);
    }
}

/* Compiles a pattern both ways; returns the compiled pattern or NULL. */
static re_pattern *compile(const uint8_t *bytes, size_t length, uint8_t buffer_size)
{
    re_pattern *p = NULL, *q = NULL;
    re_compile_error err;
    char message[RE_ERROR_SIZE + 8];
    size_t size = 1 + buffer_size % RE_ERROR_SIZE;
    int rc = re_compile_ex((const char *)bytes, length, &p, &err);
    int rc2;
    if (rc != 0) {
        FUZZ_CHECK(p == NULL, "failed compile left a pattern");
        check_compile_error((const char *)bytes, length, &err);
    } else {
        FUZZ_CHECK(err.code == 0, "successful compile with code %d", err.code);
    }
    memset(message, 'Z', sizeof message);
    rc2 = re_compile((const char *)bytes, length, &q, message, size);
    FUZZ_CHECK((rc == 0) == (rc2 == 0), "re_compile and re_compile_ex disagree");
    if (rc2 != 0) {
        FUZZ_CHECK(memchr(message, '\0', size) != NULL, "message not terminated within %zu", size);
        FUZZ_CHECK(message[size] == 'Z', "message overran its buffer of %zu", size);
    }
    re_free(q);
    return p;
}

/* text_utf8_valid(), its offset within the text. Returns validity. */
static bool check_utf8(const char *s, size_t length)
{
    size_t bad = 0;
    bool valid = text_utf8_valid(s, length, &bad);
    if (!valid)
        FUZZ_CHECK(bad < length, "bad offset %zu (length %zu)", bad, length);
    return valid;
}

static bool is_utf8_error(int code)
{
    return code <= PCRE2_ERROR_UTF8_ERR1 && code >= PCRE2_ERROR_UTF8_ERR21;
}

/* A metered matcher's answer against the unmetered one's (`want`, with the
** same limits and engine). */
static void check_metered(re_matcher *metered, re_matcher *plain, re_result got, re_result want,
                          uint64_t budget, uint64_t steps_before)
{
    uint64_t steps = re_matcher_steps(metered);
    FUZZ_CHECK(steps <= budget, "charged %llu steps of a budget of %llu",
               (unsigned long long)steps, (unsigned long long)budget);
    FUZZ_CHECK(steps == steps_before + re_matcher_last_steps(metered),
               "steps %llu != %llu + last %llu", (unsigned long long)steps,
               (unsigned long long)steps_before, (unsigned long long)re_matcher_last_steps(metered));
    if (got == RE_BUDGET) {
        FUZZ_CHECK(steps == budget, "RE_BUDGET with %llu of %llu steps charged",
                   (unsigned long long)steps, (unsigned long long)budget);
        return;
    }
    FUZZ_CHECK(got == want, "metered %s, unmetered %s", re_result_name(got),
               re_result_name(want));
    if (got == want && (got == RE_LIMIT || got == RE_ERROR))
        FUZZ_CHECK(re_matcher_error_code(metered) == re_matcher_error_code(plain),
                   "metered code %d, unmetered %d", re_matcher_error_code(metered),
                   re_matcher_error_code(plain));
}

/* Matches with JIT and with the interpreter; checks they agree, and that a
** metered JIT matcher agrees with the unmetered one. */
static void check_match(re_matcher *jit, re_matcher *interp, re_matcher *metered, uint64_t budget,
                        const re_pattern *p, const char *s, size_t length, bool valid)
{
    re_result a = re_match(jit, p, s, length);
    re_result b = re_match(interp, p, s, length);
    uint64_t before = re_matcher_steps(metered);
    re_result c = re_match(metered, p, s, length);
    check_metered(metered, jit, c, a, budget, before);
    if (valid) {
        /* A runtime pattern error (e.g. a recursion loop) may be RE_ERROR;
        ** a UTF-8 error may not: the subject is valid. */
        FUZZ_CHECK(a != RE_ERROR || !is_utf8_error(re_matcher_error_code(jit)),
                   "valid subject gave a UTF-8 error (JIT): %s", re_matcher_error(jit));
        FUZZ_CHECK(b != RE_ERROR || !is_utf8_error(re_matcher_error_code(interp)),
                   "valid subject gave a UTF-8 error (interpreter): %s",
                   re_matcher_error(interp));
        if ((a == RE_MATCH || a == RE_NO_MATCH) && (b == RE_MATCH || b == RE_NO_MATCH))
            FUZZ_CHECK(a == b, "JIT says %s, interpreter says %s", re_result_name(a),
                       re_result_name(b));
    } else {
        FUZZ_CHECK(a == RE_ERROR && b == RE_ERROR && is_utf8_error(re_matcher_error_code(jit)) &&
                       is_utf8_error(re_matcher_error_code(interp)),
                   "invalid subject gave %s / %s (%s / %s)", re_result_name(a), re_result_name(b),
                   re_matcher_error(jit), re_matcher_error(interp));
    }
    if (a == RE_LIMIT || a == RE_ERROR)
        FUZZ_CHECK(re_matcher_error(jit)[0] != '\0' && re_matcher_error_code(jit) != 0,
                   "limit/error without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *field[6];
    size_t length[6], count, i;
    uint8_t flags;
    re_pattern *pattern = NULL, *department = NULL;
    re_matcher *jit = NULL, *interp = NULL, *metered = NULL;
    uint64_t budget, *all_steps = NULL;
    size_t *all_tasks = NULL;
    admission_spend spend;
    admission_decision plain_decision;
    admission_memo *memo = NULL;
    size_t value;
    int rc;
    re_limits limits;
    admission_entry *entries = NULL, fuzzed;
    admission_task task;
    admission_decision decision;
    char *title = NULL, *detail = NULL, *dept = NULL, *reason = NULL;
    bool title_ok, detail_ok, dept_ok;
    size_t entry_count = 0;
    if (size < 1)
        return 0;
    flags = data[0];
    memset(field, 0, sizeof field);
    memset(length, 0, sizeof length);
    count = fuzz_split(data + 1, size - 1, 0x1F, field, length, 6);
    (void)count;
    pattern = compile(field[0], length[0], flags);
    if (length[1] > 0)
        department = compile(field[1], length[1], (uint8_t)(flags >> 1));
    /* Subjects, as the snapshot reader would hand them over (NUL-terminated
    ** copies, explicit lengths). */
    title = fuzz_strndup(field[2], length[2]);
    detail = fuzz_strndup(field[3], length[3]);
    dept = fuzz_strndup(field[4], length[4]);
    reason = fuzz_strndup(field[5], length[5]);
    title_ok = check_utf8(title, length[2]);
    detail_ok = check_utf8(detail, length[3]);
    dept_ok = check_utf8(dept, length[4]);
    if (!check_utf8(reason, length[5]) || memchr(reason, '\0', length[5]) != NULL)
        reason[0] = '\0'; /* entry reasons come from UTF-8 checked rule files */

    memset(&limits, 0, sizeof limits);
    if (flags & 0x20) {
        limits.match_limit = 200;
        limits.depth_limit = 50;
        limits.heap_limit_kib = 100;
        limits.jit_stack_kib = 32;
    }
    jit = re_matcher_new(&limits);
    interp = re_matcher_new(&limits);
    metered = re_matcher_new(&limits);
    FUZZ_CHECK(jit != NULL && interp != NULL && metered != NULL, "re_matcher_new failed");
    re_matcher_use_jit(interp, false);
    /* Small enough that an expensive input spends it, varied by the input. */
    budget = 2000 + (uint64_t)size * 977 % 200000;
    re_matcher_meter(metered, budget);

    if (pattern != NULL) {
        check_match(jit, interp, metered, budget, pattern, title, length[2], title_ok);
        check_match(jit, interp, metered, budget, pattern, detail, length[3], detail_ok);
    }
    if (department != NULL)
        check_match(jit, interp, metered, budget, department, dept, length[4], dept_ok);

    /* The decision: the fuzzed entry alone, after or before the shipped list. */
    memset(&fuzzed, 0, sizeof fuzzed);
    fuzzed.id = "FZ1";
    fuzzed.reason = reason;
    fuzzed.list = (flags & 3) == 1 || (flags & 3) == 2 ? ADMISSION_ALLOW : ADMISSION_DENY;
    fuzzed.kind = (flags & 3) == 1 ? ADMISSION_DUTY : (flags & 3) == 2 ? ADMISSION_ASSIST
                                                                       : ADMISSION_ANY;
    fuzzed.pattern = pattern;
    fuzzed.department = department;
    entries = calloc(shipped->admission.entry_count + 2, sizeof *entries);
    if (entries == NULL)
        abort();
    if (pattern != NULL && (flags >> 6) == 2)
        entries[entry_count++] = fuzzed;
    if ((flags >> 6) != 0)
        for (i = 0; i < shipped->admission.entry_count; i++)
            entries[entry_count++] = shipped->admission.entries[i];
    if (pattern != NULL && (flags >> 6) != 2)
        entries[entry_count++] = fuzzed;

    memset(&task, 0, sizeof task);
    task.title = title;
    task.title_length = length[2];
    task.detail = (flags & 0x10) || length[3] > 0 ? detail : NULL;
    task.detail_length = length[3];
    task.department = dept;
    task.department_length = length[4];
    task.approval_ref = flags & 0x10 ? "海民准〔2025〕1号" : NULL;
    task.funded = flags & 0x04 ? 1 : (flags & 0x01 ? -1 : 0);
    task.staffed = flags & 0x08 ? 1 : 0;
    FUZZ_CHECK(admission_decide(jit, entries, entry_count, &shipped->admission.messages, &task,
                                &decision) == 0,
               "admission_decide refused: %s", decision.reason);
    FUZZ_CHECK(memchr(decision.reason, '\0', sizeof decision.reason) != NULL,
               "reason not terminated");
    FUZZ_CHECK(text_utf8_valid(decision.reason, strlen(decision.reason), NULL),
               "reason is not valid UTF-8: %s", decision.reason);
    FUZZ_CHECK(decision.entry_index >= -1 && decision.entry_index < (int)entry_count,
               "entry_index %d of %zu", decision.entry_index, entry_count);
    if (decision.indeterminate)
        FUZZ_CHECK(decision.decision == ADMISSION_REVIEW, "a limit gave %s",
                   admission_decision_name(decision.decision));
    if (!title_ok && entry_count > 0)
        FUZZ_CHECK(decision.decision == ADMISSION_REVIEW && decision.indeterminate,
                   "invalid UTF-8 title decided %s", admission_decision_name(decision.decision));
    if (decision.decision == ADMISSION_ADMIT)
        FUZZ_CHECK(decision.entry_index >= 0 &&
                       entries[decision.entry_index].list == ADMISSION_ALLOW,
                   "admitted without an allow entry");

    /* The same decision metered, unless the budget is spent; only the
    ** entries matched are charged. */
    plain_decision = decision;
    all_steps = calloc(entry_count + 1, sizeof *all_steps);
    all_tasks = calloc(entry_count + 1, sizeof *all_tasks);
    if (all_steps == NULL || all_tasks == NULL)
        abort();
    spend.steps = all_steps;
    spend.tasks = all_tasks;
    re_matcher_meter(metered, budget);
    rc = admission_decide_metered(metered, entries, entry_count, &shipped->admission.messages,
                                  &task, &spend, &decision);
    if (rc == ADMISSION_BUDGET) {
        FUZZ_CHECK(re_matcher_steps(metered) == budget, "ADMISSION_BUDGET with %llu of %llu steps",
                   (unsigned long long)re_matcher_steps(metered), (unsigned long long)budget);
        FUZZ_CHECK(decision.entry_index >= 0 && decision.entry_index < (int)entry_count,
                   "ADMISSION_BUDGET naming entry %d of %zu", decision.entry_index, entry_count);
    } else {
        uint64_t total = 0;
        FUZZ_CHECK(rc == 0, "admission_decide_metered refused: %s", decision.reason);
        FUZZ_CHECK(decision.decision == plain_decision.decision &&
                       decision.entry_index == plain_decision.entry_index &&
                       strcmp(decision.reason, plain_decision.reason) == 0,
                   "metered decision %s %d \"%s\", unmetered %s %d \"%s\"",
                   admission_decision_name(decision.decision), decision.entry_index,
                   decision.reason, admission_decision_name(plain_decision.decision),
                   plain_decision.entry_index, plain_decision.reason);
        for (i = 0; i < entry_count; i++) {
            total += all_steps[i];
            FUZZ_CHECK((all_steps[i] > 0) == (all_tasks[i] == 1), "entry %zu: %llu steps, %zu tasks",
                       i, (unsigned long long)all_steps[i], all_tasks[i]);
            /* Deny entries are all tried before allow entries; nothing after
            ** the deciding entry in its own list is tried, nor any allow
            ** entry after a deny entry decided. */
            if (decision.entry_index >= 0 && all_steps[i] > 0) {
                const admission_entry *by = &entries[decision.entry_index];
                FUZZ_CHECK(entries[i].list == ADMISSION_DENY && by->list == ADMISSION_ALLOW
                               ? true
                               : i <= (size_t)decision.entry_index &&
                                     !(by->list == ADMISSION_DENY &&
                                       entries[i].list == ADMISSION_ALLOW),
                           "entry %zu was charged, though entry %d decided", i,
                           decision.entry_index);
            }
        }
        FUZZ_CHECK(total == re_matcher_steps(metered), "entries charged %llu, matcher %llu",
                   (unsigned long long)total, (unsigned long long)re_matcher_steps(metered));
    }

    /* The memo: the task is found with its number; another title is not. */
    memo = admission_memo_new();
    if (memo == NULL)
        abort();
    FUZZ_CHECK(admission_memo_add(memo, &task, 42) == 0, "admission_memo_add failed");
    if (task.title_length + task.detail_length + task.department_length < ADMISSION_MEMO_KEY_MAX - 64)
        FUZZ_CHECK(admission_memo_find(memo, &task, &value) && value == 42,
                   "the memo does not find the task just added");
    if (task.title_length > 0) {
        task.title_length--;
    } else {
        task.title = "x";
        task.title_length = 1;
    }
    FUZZ_CHECK(!admission_memo_find(memo, &task, &value), "the memo finds a different title");
    admission_memo_free(memo);
    free(all_steps);
    free(all_tasks);

    free(entries);
    re_matcher_free(jit);
    re_matcher_free(interp);
    re_matcher_free(metered);
    re_free(pattern);
    re_free(department);
    free(title);
    free(detail);
    free(dept);
    free(reason);
    return 0;
}
