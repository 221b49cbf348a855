/*
** explain.h — answering "why did we lose points?" from the record.
**
** For a community, each indicator's inputs (where they come from and the
** counts or values read), its value, the scoring function with its
** thresholds and their source, the points, and how far the value is from
** the next point boundary ("再增加 5 家备案社会组织可得满分"); a status other
** than ok names the check that decided it. For a worker: the appraisal
** components, the score, rank in the group and why a flag was set. For a
** task: the entry that decided it and what failed. Text in Chinese with ids,
** or JSON.
*/
#ifndef KAOHE_EXPLAIN_H
#define KAOHE_EXPLAIN_H

#include <stdbool.h>

#include "buffer.h"
#include "eval.h"

/* One community; `indicator_id` NULL for all 33. ERROR_INPUT when the
** community or indicator does not exist (with a suggestion). */
int explain_community(const eval_run *in, const char *community_id, const char *indicator_id,
                      bool json, buffer *out, error *e);
int explain_worker(const eval_run *in, const char *worker_id, bool json, buffer *out, error *e);
int explain_task(const eval_run *in, const char *task_id, bool json, buffer *out, error *e);

#endif
