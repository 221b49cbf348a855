/*
** params.h — named policy parameters and their effective values.
**
** Every policy number lives in a rule file as a parameter (declared with
** `param`, or made from an indicator's max/thresholds). A `params` holds the
** definitions (name, type, range, source) and one current value each: the
** default, a profile's `set`, or a `--set NAME=VALUE` override. Values are
** looked up by index (resolved once at load) on hot paths.
*/
#ifndef KAOHE_PARAMS_H
#define KAOHE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef enum { PARAM_NUMBER, PARAM_INTEGER, PARAM_SCHEDULE, PARAM_STRING, PARAM_DATE } param_type;

/* The names of the types, in enum order (as rule files and results say
** them): "number", "integer", "schedule", "string", "date". */
extern const char *const params_type_names[];
#define PARAMS_TYPE_COUNT 5
const char *params_type_name(param_type t);

typedef struct schedule_point {
    int year;     /* milestone year */
    double value; /* value at that year */
} schedule_point;

typedef struct param_value {
    double number;          /* PARAM_NUMBER, PARAM_INTEGER */
    char *text;             /* PARAM_STRING, PARAM_DATE (owned) */
    schedule_point *points; /* PARAM_SCHEDULE, sorted by year (owned) */
    size_t point_count;
} param_value;

typedef struct param {
    char *name; /* e.g. "cert.milestones", "F01.max" */
    param_type type;
    bool has_min, has_max;
    double min, max;   /* valid range (numbers and schedule values) */
    char *source;      /* policy source of the default */
    char *description; /* what it means, for `kaohe params` */
    char *unit;        /* optional unit */
    char *file;        /* rule file and line where it is defined */
    int line;
    char *origin; /* "file:line" of a profile's set, or NULL */
    param_value default_value;
    param_value value; /* effective value */
    bool overridden;   /* value differs from the rule files (a --set) */
} param;

typedef struct params {
    param *items; /* sorted by name */
    size_t count;
} params;

void params_free(params *ps);

/* Index of `name`, or -1. */
int params_find(const params *ps, const char *name);

/* The effective number of parameter `index` (NUMBER or INTEGER). */
double params_number(const params *ps, int index);

/* Interpolates schedule parameter `index` at `year` with
** params_schedule_interpolate; 0 for a schedule with no milestones. */
double params_schedule_at(const params *ps, int index, int year);

/* The one interpolation of a schedule (certificate milestones): at `year`,
** linear between the milestones around it, the first value before the
** first, the last value after the last (POLICY.md §2). `points` are sorted
** by year, no year twice; NAN when `count` is 0. A fractional year is
** allowed (a chart's x axis). */
double params_schedule_interpolate(const schedule_point *points, size_t count, double year);

/* Parses `text` as a value for the parameter and sets it: numbers for
** number/integer, a JSON object {"year": value} for schedules, text for
** strings and dates. Refuses unknown names (with "did you mean"), wrong
** types and values out of range, naming the allowed range. For a schedule,
** NAME.YEAR sets (or adds) one year's value: cert.milestones.2023=0.5. */
int params_set_text(params *ps, const char *name, const char *text, error *e);

/* Parses "NAME=VALUE" and calls params_set_text. */
int params_set_assignment(params *ps, const char *assignment, error *e);

/* Copies every definition and value of `from` into `to` (deep). */
int params_copy(params *to, const params *from, error *e);

/* Writes the effective values as one JSON object with sorted keys; the
** caller frees the result with free(). NULL when out of memory. */
char *params_to_json(const params *ps);

/* Writes one value as text (JSON for schedules); caller frees. */
char *params_value_text(const param *p, const param_value *v);

/* True when the two values are the same. */
bool params_value_equal(const param *p, const param_value *a, const param_value *b);

#endif
