/*
 * admission.c -- apply the admission list (POLICY.md §4) to one task. See
 * admission.h for the order of the rules and the shape of the reasons.
 * Uses re.h for matching; knows nothing of Lua or SQLite; never prints.
 */
#include <limits.h>
#include <stdio.h>
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
 * PCRE2 stopped on entry i: a limit or bad subject makes the task a review
 * (returns 0); running out of memory decides nothing (returns
 * ADMISSION_OUT_OF_MEMORY, *out saying so).
 */
static int undecided(admission_decision *out, const admission_entry *entries, size_t i,
                     const admission_messages *msg, const re_matcher *m, subject_kind subject)
{
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
                               subject_kind *subject)
{
    re_result r;

    *subject = SUBJECT_TITLE;
    r = re_match(m, e->pattern, t->title, t->title_length);
    if (r == RE_NO_MATCH && e->list == ADMISSION_DENY && t->detail != NULL) {
        *subject = SUBJECT_DETAIL;
        r = re_match(m, e->pattern, t->detail, t->detail_length);
    }
    if (r == RE_MATCH && e->department != NULL) {
        *subject = SUBJECT_DEPARTMENT;
        r = re_match(m, e->department, t->department, t->department_length);
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

/*
 * Decide one task; see admission.h. Returns 0 with *out filled, or nonzero on
 * unusable arguments (then *out is a review carrying the error message).
 */
int admission_decide(re_matcher *matcher, const admission_entry *entries, size_t count,
                     const admission_messages *messages, const admission_task *task,
                     admission_decision *out)
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
        r = entry_applies(matcher, &entries[i], task, &subject);
        if (r == RE_MATCH) {
            set_decision(out, ADMISSION_REJECT, (int)i);
            reason_init(&rb, out->reason, sizeof out->reason);
            put_label_id_reason(&rb, &entries[i]);
            goto done;
        }
        if (r != RE_NO_MATCH) {
            rc = undecided(out, entries, i, messages, matcher, subject);
            goto done;
        }
    }

    /* 2. Admission list: first allow entry matching the title. */
    for (i = 0; i < count; i++) {
        if (entries[i].list != ADMISSION_ALLOW)
            continue;
        r = entry_applies(matcher, &entries[i], task, &subject);
        if (r == RE_MATCH) {
            hit = &entries[i];
            break;
        }
        if (r != RE_NO_MATCH) {
            rc = undecided(out, entries, i, messages, matcher, subject);
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
