/*
** scenario.h — scenario files (--scenario FILE.lua): a named what-if with a
** description and parameter overrides, loaded text-only in a sandbox
** (engine/rules/scenario_dsl.lua) and applied like --set, with the same checks.
*/
#ifndef KAOHE_SCENARIO_H
#define KAOHE_SCENARIO_H

#include <stddef.h>

#include "error.h"
#include "params.h"
#include "sandbox.h"

typedef struct scenario_set {
    char *name;  /* parameter */
    char *value; /* as --set would give it (JSON for schedules) */
} scenario_set;

typedef struct scenario {
    char *name;
    char *description; /* may be NULL */
    char *file;        /* where it is declared */
    int line;
    scenario_set *sets;
    size_t set_count;
} scenario;

/* Loads a scenario file into *out (free with scenario_free). */
int scenario_load(const char *path, const sandbox_limits *limits, scenario *out, error *e);

/* Applies the overrides in order; an error names the scenario file and line. */
int scenario_apply(const scenario *s, params *ps, error *e);

void scenario_free(scenario *s);

#endif
