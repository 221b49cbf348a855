/*
** ruletest.h — `kaohe test`: rule tests written in Lua next to the rules.
**
** Each test file declares cases (engine/check/ruletest_dsl.lua): a small snapshot
** described inline and expectations about indicator values, points,
** statuses, totals, stars, ranks, target checks, worker flags and task
** decisions. Every case is built into a temporary SQLite snapshot and run
** through the real engine (snapshot checks, queries, scoring), so a passing
** test says the shipped rules do what the policy text says.
*/
#ifndef KAOHE_RULETEST_H
#define KAOHE_RULETEST_H

#include <stdbool.h>
#include <stdio.h>

#include "rules.h"

typedef struct ruletest_options {
    const char *directory; /* test files (*.lua) */
    bool verbose;          /* print passing cases too */
    sandbox_limits limits;
    const char *only; /* run only cases whose name contains this, or NULL */
} ruletest_options;

/* Runs every case; prints failures (expected vs actual, with the file:line
** of the expectation) and a closing "ruletests: N passed, M failed" line on
** `out`. Returns ERROR_OK when all pass, ERROR_INPUT when a case fails or a
** test file is wrong. */
int ruletest_run(const rules *r, const ruletest_options *options, FILE *out);

#endif
