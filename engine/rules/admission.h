/*
 * admission.h -- the admission-list decision (社区工作事项准入清单, POLICY.md §4):
 * one task in, one decision out. Plain data only: no Lua, no SQLite. The
 * entries (patterns compiled with re.h, reasons, messages) come from the rule
 * files; this module only applies them, in this order:
 *
 *   1. Negative list (负面清单): the first `deny` entry, in entry order, whose
 *      pattern matches the title OR the detail (and whose department pattern,
 *      if any, matches the department) -> reject, with the entry's reason.
 *   2. Admission list: the first `allow` entry, in entry order, whose pattern
 *      matches the TITLE (the detail is not used for allow entries) and whose
 *      department pattern, if any, matches the department:
 *        duty   (依法履职) -> admit;
 *        assist (协助政府) -> reject when funded != 1 (费随事转) and/or
 *                             staffed != 1 (权随责走), both named when both fail;
 *                             else review when approval_ref is NULL (准入审批);
 *                             else admit.
 *   3. Nothing matched -> review, no entry ("not on the admission list").
 *
 * If a match returns RE_LIMIT (or RE_ERROR), matching stops at once and the
 * task goes to review naming that entry: a limit is never a no-match and can
 * never lead to admit. If it returns RE_BUDGET (a metered matcher whose run
 * budget is spent), nothing is decided: the caller stops the run.
 *
 * Approval: only a NULL approval_ref counts as "no approval". An empty or
 * blank string is an approval reference as far as this module is concerned:
 * POLICY.md §4 says "approval_ref is NULL", and the conformance kit expects
 * approval_ref = '' to be admitted (edge case assist_empty_approval). A
 * loader that wants to treat blanks as missing must pass NULL.
 *
 * Subjects (title, detail, department) must be valid UTF-8, checked once by
 * the caller when the snapshot is read (text_utf8_valid()). If one is not,
 * PCRE2's own check makes the match RE_ERROR and the task goes to review.
 *
 * Reasons are composed deterministically from the entry id, the entry reason
 * and the messages of the rule file, e.g.
 *     负面清单 N01：严禁摊派安装政务APP
 *     依法履职 L03：调解民间纠纷
 *     协助事项 X01（社会救助入户调查）：协助事项未随附经费（费随事转）；<unstaffed>
 *     协助事项 X01（社会救助入户调查）：<no_approval>
 *     协助事项 X01（社会救助入户调查）：<admitted>
 *     <not_listed>
 *     负面清单 N01：<limit>（标题，PCRE2：match limit exceeded）
 * and cut at a character boundary if longer than the reason buffer.
 */
#ifndef KAOHE_ADMISSION_H
#define KAOHE_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "re.h"

/* The `list` column of an entry. */
typedef enum admission_list_kind {
    ADMISSION_DENY, /* "deny": negative list */
    ADMISSION_ALLOW /* "allow": admission list */
} admission_list_kind;

/* The `kind` column of an entry ("-" = any; allow entries need duty or assist). */
typedef enum admission_entry_kind {
    ADMISSION_ANY,   /* "-": used by deny entries, whose kind is ignored */
    ADMISSION_DUTY,  /* "duty": 依法履职 */
    ADMISSION_ASSIST /* "assist": 协助政府 */
} admission_entry_kind;

/* The decision; admission_decision_name() gives the results-table spelling. */
typedef enum admission_decision_kind {
    ADMISSION_ADMIT,  /* "admit" */
    ADMISSION_REJECT, /* "reject" */
    ADMISSION_REVIEW  /* "review" */
} admission_decision_kind;

/* Reason texts written in the rule file (Chinese), not C constants. A NULL
 * field is treated as an empty text. Borrowed, never freed here. */
typedef struct admission_messages {
    const char *unfunded; /* 费随事转 failed, e.g. "协助事项未随附经费（费随事转）" */
    const char *unstaffed;   /* 权随责走 failed */
    const char *no_approval; /* 准入审批 missing: sent to review */
    const char *not_listed;  /* nothing matched: sent to review */
    const char *limit;       /* a match limit (or PCRE2 error) was hit: sent to review */
    const char *admitted;    /* an assist entry with funding, staff and approval */
} admission_messages;

/* One row of the admission list. All pointers are borrowed from the caller. */
typedef struct admission_entry {
    const char *id;               /* e.g. "N01"; required */
    const char *reason;           /* e.g. "严禁摊派安装政务APP"; NULL = "" */
    admission_list_kind list;     /* deny or allow */
    admission_entry_kind kind;    /* duty or assist for allow entries; ignored for deny */
    const re_pattern *pattern;    /* required; owned by the caller */
    const re_pattern *department; /* NULL = any department; owned by the caller */
} admission_entry;

/* The task being decided. Strings are UTF-8 with explicit lengths (need not be
 * NUL-terminated), except approval_ref which is only tested for NULL. */
typedef struct admission_task {
    const char *title; /* required (NOT NULL in the snapshot) */
    size_t title_length;
    const char *detail; /* NULL = no detail */
    size_t detail_length;
    const char *department; /* required (NOT NULL in the snapshot) */
    size_t department_length;
    const char *approval_ref; /* NULL = none; any other value, "" included, is an approval */
    int funded;               /* 1 yes, 0 no, -1 NULL; anything but 1 fails 费随事转 */
    int staffed;              /* 1 yes, 0 no, -1 NULL; anything but 1 fails 权随责走 */
} admission_task;

/* The outcome for one task. */
typedef struct admission_decision {
    admission_decision_kind decision; /* admit, reject or review */
    int entry_index;                  /* index into entries of the entry that decided; -1 when
                                         no entry matched (rule_id NULL) */
    bool indeterminate;               /* a match hit a PCRE2 limit or error: review */
    char reason[512];                 /* composed Chinese reason, NUL-terminated */
} admission_decision;

/*
 * Decide one task against `count` entries (entries may be NULL when count is
 * 0). The matcher must belong to the calling thread; its limits apply.
 * Returns 0 and fills *out with the decision. Returns nonzero when the
 * arguments are unusable (NULL matcher, messages, task, title, department or out;
 * an entry without id or pattern; an allow entry whose kind is not duty or
 * assist; more than INT_MAX entries); then *out, when out is not NULL, is a
 * review with entry_index -1 (or the bad entry) and reason holding the error
 * message. Returns ADMISSION_OUT_OF_MEMORY when PCRE2 ran out of memory
 * while matching: the task cannot be decided (a review would be a decision
 * the data did not ask for). Nothing is allocated; nothing needs freeing.
 */
#define ADMISSION_OUT_OF_MEMORY 2
int admission_decide(re_matcher *matcher, const admission_entry *entries, size_t count,
                     const admission_messages *messages, const admission_task *task,
                     admission_decision *out);

/* What each entry's matches cost a metered matcher, for naming the entry
 * that used a run's budget. Both arrays have one element per entry and are
 * the caller's; admission_decide_metered() only adds to them. */
typedef struct admission_spend {
    uint64_t *steps; /* steps charged while matching the entry's patterns */
    size_t *tasks;   /* tasks on which the entry was charged any step */
} admission_spend;

/*
 * As admission_decide(), for a matcher metered against a run budget
 * (re_matcher_meter()). When spend is not NULL, its counts grow by what this
 * task's matches of each entry cost. Returns ADMISSION_BUDGET when the budget
 * ran out while matching an entry: the task is not decided (a review would be
 * a decision the data did not ask for); out->entry_index is that entry and
 * out->reason says which subject. admission_decide() is this with spend NULL.
 */
#define ADMISSION_BUDGET 3
int admission_decide_metered(re_matcher *matcher, const admission_entry *entries, size_t count,
                             const admission_messages *messages, const admission_task *task,
                             admission_spend *spend, admission_decision *out);

/*
 * Decisions remembered by their inputs, so that identical tasks are decided
 * once. admission_decide() reads only the title, the detail (NULL and ""
 * differ: a pattern can match ""), the department, whether funded and staffed
 * are 1 and whether approval_ref is NULL; tasks equal in those get the same
 * decision, and the memo maps them to a number of the caller's (such as the
 * index of the first such task's decision).
 *
 * Bounded, so that hostile snapshots cannot make it the problem: inputs of
 * more than ADMISSION_MEMO_KEY_MAX bytes are never remembered, nothing more is
 * remembered once the memo uses ADMISSION_MEMO_BYTES, and a lookup probes at
 * most ADMISSION_MEMO_PROBES slots (crafted colliding titles cost a bounded
 * time each). What is not remembered is decided again, with the same result:
 * the memo saves work, it never changes a decision.
 */
#define ADMISSION_MEMO_KEY_MAX 65536u
#define ADMISSION_MEMO_BYTES   (32u * 1024u * 1024u)
#define ADMISSION_MEMO_PROBES  64u
typedef struct admission_memo admission_memo;

/* A new, empty memo; NULL when out of memory. Free with admission_memo_free(). */
admission_memo *admission_memo_new(void);

/* Free a memo. NULL-safe. */
void admission_memo_free(admission_memo *memo);

/* True, with the remembered number in *value, when inputs equal to the
 * task's were added; false otherwise (also for a NULL memo or task). */
bool admission_memo_find(const admission_memo *memo, const admission_task *task, size_t *value);

/* Remember `value` for the task's inputs (which should not be there yet).
 * Returns 0, also when the bounds above leave the inputs unremembered; -1
 * when out of memory (the memo is unchanged and still usable). */
int admission_memo_add(admission_memo *memo, const admission_task *task, size_t value);

/* How many inputs are remembered. NULL gives 0. */
size_t admission_memo_count(const admission_memo *memo);

/*
 * Check entries the way admission_decide() does, once, at load time.
 * Returns 0 when all are usable; otherwise nonzero with a message such as
 * "entry 12 (L01): an allow entry needs kind duty or assist" in error (when
 * not NULL and error_size > 0; truncated to fit).
 */
int admission_entries_check(const admission_entry *entries, size_t count, char *error,
                            size_t error_size);

/* "admit", "reject" or "review" (the task_decisions.decision values). Static. */
const char *admission_decision_name(admission_decision_kind decision);

/* "deny" / "allow", and "-" / "duty" / "assist": the admission.tsv spellings. */
const char *admission_list_name(admission_list_kind list);
const char *admission_kind_name(admission_entry_kind kind);

/* Parse the admission.tsv spellings above (exact, case-sensitive). Return 0 and
 * set *out, or nonzero for any other text (including NULL). */
int admission_list_parse(const char *name, admission_list_kind *out);
int admission_kind_parse(const char *name, admission_entry_kind *out);

#endif /* KAOHE_ADMISSION_H */
