/*
** admission_tasks.h — a run's admission step: every task of the snapshot
** decided against the rules' admission list (POLICY.md §4) before the rule
** queries, on the main connection.
**
** admission.h (rules layer) decides one task; this module runs it over the
** tasks table: each decision goes to eval_data's decisions (for the results)
** and to the temporary table task_decision, which the queries whose rules
** declare the need "task_decisions" read (rules.h, needs_decisions). Tasks
** whose inputs equal an earlier task's reuse its decision. Matching is
** metered against the run's budget (admission.run_budget). The decisions,
** their texts and what they were made with live in eval_data (eval.h) and
** are freed by admission_tasks_free (eval_data_free calls it).
*/
#ifndef KAOHE_ADMISSION_TASKS_H
#define KAOHE_ADMISSION_TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "admission.h"
#include "error.h"
#include "params.h"
#include "re.h"
#include "rules.h"
#include "snapshot.h"

typedef struct eval_data eval_data; /* eval.h */

/* PCRE2 limits for the admission list from its parameters. */
re_limits admission_tasks_limits(const rules *r, const params *ps);

/* The steps a run's admission matching may charge (admission.run_budget, or
** RE_BUDGET_MAX when the rules name no such parameter). */
uint64_t admission_tasks_budget(const rules *r, const params *ps);

/* Sets *e (ERROR_INPUT, returned) to say that the admission match budget ran
** out at entry `at` while matching task `task_id` (`reason`: the decision's
** reason, which ends with the subject in parentheses): it names the entry
** that spent most of the budget (file:line, id, pattern), its steps and
** tasks, where the budget ran out, `consequence` ("nothing is written"), and
** how to raise the budget. */
int admission_tasks_budget_error(const rules *r, const params *ps, const admission_spend *spend,
                                 int at, const char *reason, const char *task_id,
                                 const char *consequence, error *e);

/* Decides every task of `s` (in id order) into data->decisions and the
** main connection's temp.task_decision, replacing what was there; remembers
** the limits used (admission_tasks_changed). Without an admission list the
** table is left empty. A spent budget stops the run (ERROR_INPUT, naming the
** entry that spent it): sending the remaining tasks to review would lower
** B01 for whichever communities come last in id order. */
int admission_tasks_decide(const rules *r, const snapshot *s, const params *ps, eval_data *data,
                           error *e);

/* Whether the admission limits in `ps` differ from those the decisions were
** made with (true when nothing was decided yet and there is a list). */
bool admission_tasks_changed(const eval_data *data, const params *ps);

/* Moves the current decisions aside, alive until admission_tasks_free,
** because an earlier eval_result (a what-if baseline) borrows them; false
** when out of memory. */
bool admission_tasks_retire(eval_data *data);

/* Frees the decisions, the retired ones, their texts and the remembered
** limits. */
void admission_tasks_free(eval_data *data);

#endif
