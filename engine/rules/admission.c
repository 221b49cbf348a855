/*
 * admission.c -- apply the admission list (POLICY.md §4) to one task. See
 * admission.h for the order of the rules and the shape of the reasons.
 * Uses re.h for matching; knows nothing of Lua or SQLite; never prints.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"

/* A reason being composed into a fixed buffer. Once a piece did not fit, the
 * text is cut (at a character boundary) and later pieces are dropped, so a
 * short piece never follows a truncated one. */
typedef struct reason_buf {
    char *buf;   /* destination, always NUL-terminated */
    size_t size; /* its size in bytes, > 0 */
    size_t len;  /* bytes used, excluding the NUL */
    bool full;   /* something was cut */
} reason_buf;

/* Which subject a match was run on, for limit reasons. */
typedef enum subject_kind { SUBJECT_TITLE, SUBJECT_DETAIL, SUBJECT_DEPARTMENT } subject_kind;

/* Start an empty reason in buf[size]. */
static void reason_init(reason_buf *rb, char *buf, size_t size)
{
    rb->buf = buf;
    rb->size = size;
    rb->len = 0;
    rb->full = false;
    buf[0] = '\0';
}

/* Append text (NULL = nothing), cutting at a UTF-8 character boundary. */
static void reason_put(reason_buf *rb, const char *text)
{
    size_t n, room;

    if (text == NULL || rb->full)
        return;
    n = strlen(text);
    room = rb->size - 1 - rb->len;
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* do not split a character */
        rb->full = true;
    }
    memcpy(rb->buf + rb->len, text, n);
    rb->len += n;
    rb->buf[rb->len] = '\0';
}

/* True when text is NULL or "". */
static bool empty(const char *text)
{
    return text == NULL || text[0] == '\0';
}

/* The list name used in reasons: 负面清单, 依法履职 or 协助事项. */
static const char *entry_label(const admission_entry *e)
{
    if (e->list == ADMISSION_DENY)
        return "负面清单";
    return e->kind == ADMISSION_ASSIST ? "协助事项" : "依法履职";
}

/* "负面清单 N01" -- label and id. */
static void put_label_id(reason_buf *rb, const admission_entry *e)
{
    reason_put(rb, entry_label(e));
    reason_put(rb, " ");
    reason_put(rb, e->id);
}

/* "负面清单 N01：<reason>" (no colon when the entry has no reason). */
static void put_label_id_reason(reason_buf *rb, const admission_entry *e)
{
    put_label_id(rb, e);
    if (!empty(e->reason)) {
        reason_put(rb, "：");
        reason_put(rb, e->reason);
    }
}

/* "协助事项 X01（<reason>）：" -- the prefix of every assist outcome. */
static void put_assist_prefix(reason_buf *rb, const admission_entry *e)
{
    put_label_id(rb, e);
    if (!empty(e->reason)) {
        reason_put(rb, "（");
        reason_put(rb, e->reason);
        reason_put(rb, "）");
    }
    reason_put(rb, "：");
}

/* Fill *out with one decision; reason left empty for the caller to compose. */
static void set_decision(admission_decision *out, admission_decision_kind kind, int entry_index)
{
    out->decision = kind;
    out->entry_index = entry_index;
    out->indeterminate = false;
    out->reason[0] = '\0';
}

/*
 * The entry at index i matched nothing decisive because PCRE2 stopped: fill
 * *out with a review naming the entry, the rule file's limit message, the
 * subject and PCRE2's own message.
 */
static void set_indeterminate(admission_decision *out, const admission_entry *entries, size_t i,
                              const admission_messages *msg, const re_matcher *m,
                              subject_kind subject)
{
    static const char *const subject_names[] = {"标题", "详情", "部门"};
    reason_buf rb;

    set_decision(out, ADMISSION_REVIEW, (int)i);
    out->indeterminate = true;
    reason_init(&rb, out->reason, sizeof out->reason);
    put_label_id(&rb, &entries[i]);
    reason_put(&rb, "：");
    reason_put(&rb, msg->limit);
    reason_put(&rb, "（");
    reason_put(&rb, subject_names[subject]);
    reason_put(&rb, "，PCRE2：");
    reason_put(&rb, re_matcher_error(m));
    reason_put(&rb, "）");
}

/*
 * PCRE2 stopped on entry i with result r: a limit or bad subject makes the
 * task a review (returns 0); running out of memory or out of budget decides
 * nothing (returns ADMISSION_OUT_OF_MEMORY or ADMISSION_BUDGET, *out saying so).
 */
static int undecided(admission_decision *out, const admission_entry *entries, size_t i,
                     const admission_messages *msg, const re_matcher *m, subject_kind subject,
                     re_result r)
{
    static const char *const subject_names[] = {"title", "detail", "department"};

    if (r == RE_BUDGET) {
        set_decision(out, ADMISSION_REVIEW, (int)i);
        snprintf(out->reason, sizeof out->reason, "match budget spent on entry %s (%s)",
                 entries[i].id, subject_names[subject]);
        return ADMISSION_BUDGET;
    }
    if (re_out_of_memory(re_matcher_error_code(m))) {
        set_decision(out, ADMISSION_REVIEW, (int)i);
        snprintf(out->reason, sizeof out->reason, "out of memory matching entry %s", entries[i].id);
        return ADMISSION_OUT_OF_MEMORY;
    }
    set_indeterminate(out, entries, i, msg, m, subject);
    return 0;
}

/*
 * Does entry e apply to the task? For deny entries the pattern is tried on
 * the title, then on the detail; allow entries only look at the title. Then
 * the department pattern, if any, must match the department.
 * Returns RE_MATCH, RE_NO_MATCH, or RE_LIMIT/RE_ERROR with *subject saying
 * which match stopped.
 */
static re_result entry_applies(re_matcher *m, const admission_entry *e, const admission_task *t,
                               subject_kind *subject, admission_spend *spend, size_t index)
{
    uint64_t steps;
    re_result r;

    *subject = SUBJECT_TITLE;
    r = re_match(m, e->pattern, t->title, t->title_length);
    steps = re_matcher_last_steps(m);
    if (r == RE_NO_MATCH && e->list == ADMISSION_DENY && t->detail != NULL) {
        *subject = SUBJECT_DETAIL;
        r = re_match(m, e->pattern, t->detail, t->detail_length);
        steps += re_matcher_last_steps(m);
    }
    if (r == RE_MATCH && e->department != NULL) {
        *subject = SUBJECT_DEPARTMENT;
        r = re_match(m, e->department, t->department, t->department_length);
        steps += re_matcher_last_steps(m);
    }
    if (spend != NULL && steps > 0) {
        spend->steps[index] += steps;
        spend->tasks[index]++;
    }
    return r;
}

/*
 * Check entries; see admission.h. Returns 0 when usable, else nonzero with a
 * message in error; *bad (when not NULL) gets the index of the bad entry or -1.
 */
static int check_entries(const admission_entry *entries, size_t count, char *error,
                         size_t error_size, int *bad)
{
    const char *problem = NULL;
    size_t i = 0;
    int rc = 0;

    if (bad != NULL)
        *bad = -1;
    if (count > (size_t)INT_MAX) {
        rc = -1;
        if (error != NULL && error_size > 0)
            snprintf(error, error_size, "admission: %zu entries, more than %d", count, INT_MAX);
        goto done;
    }
    if (entries == NULL && count > 0) {
        rc = -1;
        if (error != NULL && error_size > 0)
            snprintf(error, error_size, "admission: %zu entries but no entry array", count);
        goto done;
    }
    for (i = 0; i < count; i++) {
        const admission_entry *e = &entries[i];

        if (e->id == NULL)
            problem = "has no id";
        else if (e->pattern == NULL)
            problem = "has no compiled pattern";
        else if (e->list != ADMISSION_DENY && e->list != ADMISSION_ALLOW)
            problem = "has a list that is neither deny nor allow";
        else if (e->list == ADMISSION_ALLOW && e->kind != ADMISSION_DUTY &&
                 e->kind != ADMISSION_ASSIST)
            problem = "is an allow entry and needs kind duty or assist";
        if (problem != NULL) {
            rc = -1;
            if (bad != NULL)
                *bad = (int)i;
            if (error != NULL && error_size > 0)
                snprintf(error, error_size, "admission: entry %zu (%s) %s", i + 1,
                         e->id != NULL ? e->id : "?", problem);
            goto done;
        }
    }
done:
    if (rc == 0 && error != NULL && error_size > 0)
        error[0] = '\0';
    return rc;
}

/* Public form of check_entries(); see admission.h. Returns 0 or nonzero. */
int admission_entries_check(const admission_entry *entries, size_t count, char *error,
                            size_t error_size)
{
    return check_entries(entries, count, error, error_size, NULL);
}

/* Decide one task, unmetered or without per-entry counts; see admission.h. */
int admission_decide(re_matcher *matcher, const admission_entry *entries, size_t count,
                     const admission_messages *messages, const admission_task *task,
                     admission_decision *out)
{
    return admission_decide_metered(matcher, entries, count, messages, task, NULL, out);
}

/*
 * Decide one task; see admission.h. Returns 0 with *out filled, or nonzero on
 * unusable arguments (then *out is a review carrying the error message), out
 * of memory or out of budget.
 */
int admission_decide_metered(re_matcher *matcher, const admission_entry *entries, size_t count,
                             const admission_messages *messages, const admission_task *task,
                             admission_spend *spend, admission_decision *out)
{
    admission_decision scratch;
    const admission_entry *hit = NULL;
    subject_kind subject;
    reason_buf rb;
    int bad = -1;
    int rc = -1;
    size_t i;
    re_result r;

    if (out == NULL)
        out = &scratch; /* still an error below: the decision would be lost */
    set_decision(out, ADMISSION_REVIEW, -1);
    if (matcher == NULL || messages == NULL || task == NULL || task->title == NULL ||
        task->department == NULL || out == &scratch) {
        snprintf(out->reason, sizeof out->reason,
                 "admission: NULL matcher, messages, task, title, department or decision");
        goto done;
    }
    if (check_entries(entries, count, out->reason, sizeof out->reason, &bad) != 0) {
        out->entry_index = bad;
        goto done;
    }
    rc = 0;

    /* 1. Negative list: first deny entry matching title or detail. */
    for (i = 0; i < count; i++) {
        if (entries[i].list != ADMISSION_DENY)
            continue;
        r = entry_applies(matcher, &entries[i], task, &subject, spend, i);
        if (r == RE_MATCH) {
            set_decision(out, ADMISSION_REJECT, (int)i);
            reason_init(&rb, out->reason, sizeof out->reason);
            put_label_id_reason(&rb, &entries[i]);
            goto done;
        }
        if (r != RE_NO_MATCH) {
            rc = undecided(out, entries, i, messages, matcher, subject, r);
            goto done;
        }
    }

    /* 2. Admission list: first allow entry matching the title. */
    for (i = 0; i < count; i++) {
        if (entries[i].list != ADMISSION_ALLOW)
            continue;
        r = entry_applies(matcher, &entries[i], task, &subject, spend, i);
        if (r == RE_MATCH) {
            hit = &entries[i];
            break;
        }
        if (r != RE_NO_MATCH) {
            rc = undecided(out, entries, i, messages, matcher, subject, r);
            goto done;
        }
    }

    /* 3. Nothing matched. */
    if (hit == NULL) {
        set_decision(out, ADMISSION_REVIEW, -1);
        reason_init(&rb, out->reason, sizeof out->reason);
        reason_put(&rb, messages->not_listed);
        goto done;
    }

    /* The first allow entry that applies decides. */
    if (hit->kind == ADMISSION_DUTY)
        set_decision(out, ADMISSION_ADMIT, (int)i);
    else if (task->funded != 1 || task->staffed != 1)
        set_decision(out, ADMISSION_REJECT, (int)i); /* 费随事转 / 权随责走 */
    else if (task->approval_ref == NULL)
        set_decision(out, ADMISSION_REVIEW, (int)i); /* 准入审批 */
    else
        set_decision(out, ADMISSION_ADMIT, (int)i);
    reason_init(&rb, out->reason, sizeof out->reason);
    if (hit->kind == ADMISSION_DUTY) {
        put_label_id_reason(&rb, hit);
    } else if (out->decision == ADMISSION_REJECT) {
        put_assist_prefix(&rb, hit);
        if (task->funded != 1)
            reason_put(&rb, messages->unfunded);
        if (task->funded != 1 && task->staffed != 1)
            reason_put(&rb, "；");
        if (task->staffed != 1)
            reason_put(&rb, messages->unstaffed);
    } else {
        put_assist_prefix(&rb, hit);
        reason_put(&rb,
                   out->decision == ADMISSION_REVIEW ? messages->no_approval : messages->admitted);
    }
done:
    return rc;
}

/* --- the memo ------------------------------------------------------------ */

/* What a decision depends on besides the three texts, as bits of one byte. */
enum {
    MEMO_FUNDED = 1,   /* funded == 1 */
    MEMO_STAFFED = 2,  /* staffed == 1 */
    MEMO_APPROVAL = 4, /* approval_ref != NULL */
    MEMO_DETAIL = 8    /* detail != NULL */
};

/* A remembered input: its key is at `offset` in the arena, laid out as the
 * flags byte, then title, detail and department lengths (uint32_t, unaligned),
 * then their bytes. */
typedef struct memo_slot {
    uint64_t hash; /* of the key; 0 = empty slot */
    size_t offset; /* of the key in the arena */
    size_t value;  /* the caller's number */
} memo_slot;

struct admission_memo {
    memo_slot *slots; /* open addressing, linear probing; NULL until the first add */
    size_t capacity;  /* slots, a power of two */
    size_t count;     /* slots in use */
    char *arena;      /* the keys, back to back, owned */
    size_t arena_used, arena_size;
};

#define MEMO_HEAD (1 + 3 * sizeof(uint32_t)) /* flags and three lengths */

static unsigned char memo_flags(const admission_task *t)
{
    return (unsigned char)((t->funded == 1 ? MEMO_FUNDED : 0) |
                           (t->staffed == 1 ? MEMO_STAFFED : 0) |
                           (t->approval_ref != NULL ? MEMO_APPROVAL : 0) |
                           (t->detail != NULL ? MEMO_DETAIL : 0));
}

/* Bytes of the task's key, or 0 when too long to remember (or unusable). */
static size_t memo_key_size(const admission_task *t)
{
    size_t detail = t->detail != NULL ? t->detail_length : 0;

    if (t->title == NULL || t->department == NULL || t->title_length > ADMISSION_MEMO_KEY_MAX ||
        detail > ADMISSION_MEMO_KEY_MAX || t->department_length > ADMISSION_MEMO_KEY_MAX)
        return 0;
    if (MEMO_HEAD + t->title_length + detail + t->department_length > ADMISSION_MEMO_KEY_MAX)
        return 0;
    return MEMO_HEAD + t->title_length + detail + t->department_length;
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *bytes, size_t length)
{
    const unsigned char *p = bytes;
    size_t i;

    for (i = 0; i < length; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* The key's hash, never 0 (0 marks an empty slot); the final mix spreads
 * FNV's weak low bits, which pick the slot. */
static uint64_t memo_hash(const admission_task *t)
{
    unsigned char flags = memo_flags(t);
    uint32_t lengths[3];
    uint64_t h = UINT64_C(14695981039346656037);

    lengths[0] = (uint32_t)t->title_length;
    lengths[1] = (uint32_t)(t->detail != NULL ? t->detail_length : 0);
    lengths[2] = (uint32_t)t->department_length;
    h = fnv(h, &flags, 1);
    h = fnv(h, lengths, sizeof lengths);
    h = fnv(h, t->title, t->title_length);
    if (t->detail != NULL)
        h = fnv(h, t->detail, t->detail_length);
    h = fnv(h, t->department, t->department_length);
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h != 0 ? h : 1;
}

/* Whether the key at `offset` is the task's. */
static bool memo_key_equal(const admission_memo *memo, size_t offset, const admission_task *t)
{
    const char *key = memo->arena + offset;
    uint32_t lengths[3];
    size_t detail = t->detail != NULL ? t->detail_length : 0;

    memcpy(lengths, key + 1, sizeof lengths);
    if ((unsigned char)key[0] != memo_flags(t) || lengths[0] != t->title_length ||
        lengths[1] != detail || lengths[2] != t->department_length)
        return false;
    key += MEMO_HEAD;
    if (memcmp(key, t->title, t->title_length) != 0)
        return false;
    key += t->title_length;
    if (detail > 0 && memcmp(key, t->detail, detail) != 0)
        return false;
    key += detail;
    return memcmp(key, t->department, t->department_length) == 0;
}

admission_memo *admission_memo_new(void)
{
    return calloc(1, sizeof(admission_memo));
}

void admission_memo_free(admission_memo *memo)
{
    if (memo == NULL)
        return;
    free(memo->slots);
    free(memo->arena);
    free(memo);
}

size_t admission_memo_count(const admission_memo *memo)
{
    return memo != NULL ? memo->count : 0;
}

/* Looks the task up; true with *value when found. */
bool admission_memo_find(const admission_memo *memo, const admission_task *task, size_t *value)
{
    uint64_t hash;
    size_t i, probes;

    if (memo == NULL || task == NULL || memo->capacity == 0 || memo_key_size(task) == 0)
        return false;
    hash = memo_hash(task);
    for (i = (size_t)hash & (memo->capacity - 1), probes = 0;
         memo->slots[i].hash != 0 && probes < ADMISSION_MEMO_PROBES;
         i = (i + 1) & (memo->capacity - 1), probes++) {
        if (memo->slots[i].hash == hash && memo_key_equal(memo, memo->slots[i].offset, task)) {
            if (value != NULL)
                *value = memo->slots[i].value;
            return true;
        }
    }
    return false;
}

/* Doubles the slot table. Returns 0, or -1 when out of memory (unchanged). */
static int memo_grow(admission_memo *memo)
{
    size_t capacity = memo->capacity ? memo->capacity * 2 : 1024, i, k;
    memo_slot *slots = calloc(capacity, sizeof *slots);

    if (slots == NULL)
        return -1;
    for (i = 0; i < memo->capacity; i++) {
        if (memo->slots[i].hash == 0)
            continue;
        for (k = (size_t)memo->slots[i].hash & (capacity - 1); slots[k].hash != 0;
             k = (k + 1) & (capacity - 1))
            ;
        slots[k] = memo->slots[i];
    }
    free(memo->slots);
    memo->slots = slots;
    memo->capacity = capacity;
    return 0;
}

/* Remembers the task's inputs; see admission.h. Returns 0 or -1 (out of memory). */
int admission_memo_add(admission_memo *memo, const admission_task *task, size_t value)
{
    size_t size, i, probes, arena_size, slots_bytes;
    uint64_t hash;
    unsigned char flags;
    uint32_t lengths[3];
    char *key;

    if (memo == NULL || task == NULL || (size = memo_key_size(task)) == 0)
        return 0;
    /* The table and the arena as they will be after this key must fit in
     * ADMISSION_MEMO_BYTES; past that the memo stays as it is. */
    slots_bytes = memo->capacity;
    if ((memo->count + 1) * 2 > memo->capacity)
        slots_bytes = memo->capacity ? memo->capacity * 2 : 1024;
    slots_bytes *= sizeof(memo_slot);
    arena_size = memo->arena_size;
    if (memo->arena_used + size > arena_size) {
        arena_size = arena_size ? arena_size * 2 : 65536;
        while (arena_size < memo->arena_used + size)
            arena_size *= 2;
        if (slots_bytes < ADMISSION_MEMO_BYTES && arena_size > ADMISSION_MEMO_BYTES - slots_bytes)
            arena_size = ADMISSION_MEMO_BYTES - slots_bytes; /* the last block fills the bound */
    }
    if (arena_size < memo->arena_used + size || slots_bytes + arena_size > ADMISSION_MEMO_BYTES)
        return 0;
    if ((memo->count + 1) * 2 > memo->capacity && memo_grow(memo) != 0)
        return -1;
    hash = memo_hash(task);
    for (i = (size_t)hash & (memo->capacity - 1), probes = 0; memo->slots[i].hash != 0;
         i = (i + 1) & (memo->capacity - 1), probes++)
        if (probes + 1 >= ADMISSION_MEMO_PROBES)
            return 0; /* a crowded neighbourhood: lookups would not reach it */
    if (arena_size > memo->arena_size) {
        char *grown = realloc(memo->arena, arena_size);

        if (grown == NULL)
            return -1;
        memo->arena = grown;
        memo->arena_size = arena_size;
    }
    key = memo->arena + memo->arena_used;
    flags = memo_flags(task);
    lengths[0] = (uint32_t)task->title_length;
    lengths[1] = (uint32_t)(task->detail != NULL ? task->detail_length : 0);
    lengths[2] = (uint32_t)task->department_length;
    key[0] = (char)flags;
    memcpy(key + 1, lengths, sizeof lengths);
    key += MEMO_HEAD;
    memcpy(key, task->title, task->title_length);
    key += task->title_length;
    if (lengths[1] > 0)
        memcpy(key, task->detail, lengths[1]);
    key += lengths[1];
    memcpy(key, task->department, task->department_length);
    memo->slots[i].hash = hash;
    memo->slots[i].offset = memo->arena_used;
    memo->slots[i].value = value;
    memo->arena_used += size;
    memo->count++;
    return 0;
}

/* Static spelling of a decision. */
const char *admission_decision_name(admission_decision_kind decision)
{
    switch (decision) {
    case ADMISSION_ADMIT:
        return "admit";
    case ADMISSION_REJECT:
        return "reject";
    case ADMISSION_REVIEW:
        return "review";
    }
    return "review";
}

/* Static spelling of a list. */
const char *admission_list_name(admission_list_kind list)
{
    return list == ADMISSION_DENY ? "deny" : "allow";
}

/* Static spelling of a kind. */
const char *admission_kind_name(admission_entry_kind kind)
{
    switch (kind) {
    case ADMISSION_ANY:
        return "-";
    case ADMISSION_DUTY:
        return "duty";
    case ADMISSION_ASSIST:
        return "assist";
    }
    return "-";
}

/* Parse "deny"/"allow". Returns 0 and sets *out, or -1. */
int admission_list_parse(const char *name, admission_list_kind *out)
{
    int rc = -1;

    if (name == NULL || out == NULL)
        goto done;
    if (strcmp(name, "deny") == 0) {
        *out = ADMISSION_DENY;
        rc = 0;
    } else if (strcmp(name, "allow") == 0) {
        *out = ADMISSION_ALLOW;
        rc = 0;
    }
done:
    return rc;
}

/* Parse "-"/"duty"/"assist". Returns 0 and sets *out, or -1. */
int admission_kind_parse(const char *name, admission_entry_kind *out)
{
    int rc = -1;

    if (name == NULL || out == NULL)
        goto done;
    if (strcmp(name, "-") == 0) {
        *out = ADMISSION_ANY;
        rc = 0;
    } else if (strcmp(name, "duty") == 0) {
        *out = ADMISSION_DUTY;
        rc = 0;
    } else if (strcmp(name, "assist") == 0) {
        *out = ADMISSION_ASSIST;
        rc = 0;
    }
done:
    return rc;
}
