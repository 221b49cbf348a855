/*
 * unit.h -- common includes of every kaohe unit test (cmocka needs stdarg.h,
 * stddef.h, stdint.h and setjmp.h before cmocka.h).
 */
#ifndef KAOHE_UNIT_H
#define KAOHE_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

/*
 * Helpers for the tests of scoring, targets, appraisal, invariants and
 * schedules: the shipped rules, parameters and a snapshot made in memory.
 * Static inline, so a test that uses none of them pays nothing.
 */
#include <math.h>
#include <stdio.h>

#include "error.h"
#include "params.h"
#include "rules.h"
#include "snapshot.h"

/* Fails the test unless |got - want| <= tolerance (this cmocka has no
 * assert_double_equal); NaN is never near anything. */
#define assert_near(got, want, tolerance)                                                          \
    unit_assert_near((got), (want), (tolerance), #got, __FILE__, __LINE__)
static inline void unit_assert_near(double got, double want, double tolerance, const char *what,
                                    const char *file, int line)
{
    if (!(fabs(got - want) <= tolerance)) {
        print_error("%s is %.17g, expected %.17g (within %g)\n", what, got, want, tolerance);
        _fail(file, line);
    }
}

/* The rules of `directory` (the shipped rules: "."; a profile:
 * "rules/profiles/yichang"), loaded as kaohe does from the repository root,
 * where make unit runs; fails the test when they do not load cleanly. */
static inline rules *unit_rules_load(const char *directory)
{
    rules_options options;
    rules *r = NULL;
    error e;
    memset(&options, 0, sizeof options);
    options.directory = directory;
    options.default_root = ".";
    error_clear(&e);
    if (rules_load(&options, &r, &e) != ERROR_OK)
        fail_msg("rules_load(%s): %s", directory, e.message);
    if (r->problem_count > 0)
        fail_msg("%s: %s", directory, r->problems[0]);
    return r;
}

/* The index of parameter `name` in `ps`; fails the test when there is none. */
static inline int unit_param(const params *ps, const char *name)
{
    int index = params_find(ps, name);
    if (index < 0)
        fail_msg("no parameter '%s'", name);
    return index;
}

/* Sets parameter `name` (a number) to `value` directly, without the range
 * check of --set: what a test of the code that must cope with any value
 * needs. */
static inline void unit_param_force(params *ps, const char *name, double value)
{
    ps->items[unit_param(ps, name)].value.number = value;
}

/* Adds a parameter of `type` named `name` to `ps` (kept sorted by name) and
 * returns it; params_free frees it. */
static inline param *unit_param_add(params *ps, const char *name, param_type type)
{
    param *items = realloc(ps->items, (ps->count + 1) * sizeof *items);
    size_t at;
    assert_non_null(items);
    ps->items = items;
    for (at = ps->count; at > 0 && strcmp(items[at - 1].name, name) > 0; at--)
        items[at] = items[at - 1];
    memset(&items[at], 0, sizeof items[at]);
    items[at].name = strdup(name);
    assert_non_null(items[at].name);
    items[at].type = type;
    ps->count++;
    return &items[at];
}

/* Adds a number parameter. */
static inline void unit_param_number(params *ps, const char *name, double value)
{
    param *p = unit_param_add(ps, name, PARAM_NUMBER);
    p->default_value.number = p->value.number = value;
}

/* Adds a schedule parameter of `count` milestones (in year order). */
static inline void unit_param_schedule(params *ps, const char *name, const schedule_point *points,
                                       size_t count)
{
    param *p = unit_param_add(ps, name, PARAM_SCHEDULE);
    p->value.points = malloc((count + 1) * sizeof *p->value.points);
    assert_non_null(p->value.points);
    if (count > 0)
        memcpy(p->value.points, points, count * sizeof *points);
    p->value.point_count = count;
}

/* One community of a snapshot made in memory. */
typedef struct unit_community {
    const char *id, *district, *street;
} unit_community;

/* The index of `text` in the sorted, distinct `list` of `count`, adding it
 * in order when it is not there. */
static inline size_t unit_sorted_add(char ***list, size_t *count, const char *text)
{
    size_t at = 0, k;
    char **grown;
    while (at < *count && strcmp((*list)[at], text) < 0)
        at++;
    if (at < *count && strcmp((*list)[at], text) == 0)
        return at;
    grown = realloc(*list, (*count + 1) * sizeof *grown);
    assert_non_null(grown);
    for (k = *count; k > at; k--)
        grown[k] = grown[k - 1];
    grown[at] = strdup(text);
    assert_non_null(grown[at]);
    *list = grown;
    (*count)++;
    return at;
}

/* A snapshot of assessment year `year` in region `region` with `count`
 * communities (ids in strcmp order), as snapshot_open would give it, but
 * without a file: no database, nothing read. Free with snapshot_close. */
static inline snapshot *unit_snapshot_new(int year, const char *region, const unit_community *rows,
                                          size_t count)
{
    snapshot *s = calloc(1, sizeof *s);
    char text[64];
    size_t c;
    assert_non_null(s);
    s->path = strdup("(made in memory)");
    snprintf(text, sizeof text, "%04d-12-31", year);
    s->as_of = strdup(text);
    snprintf(text, sizeof text, "%04d-01-01", year);
    s->year_start = strdup(text);
    s->year = year;
    s->region = strdup(region);
    s->communities = calloc(count + 1, sizeof *s->communities);
    s->community_district = calloc(count + 1, sizeof *s->community_district);
    s->community_street = calloc(count + 1, sizeof *s->community_street);
    assert_true(s->path != NULL && s->as_of != NULL && s->year_start != NULL && s->region != NULL &&
                s->communities != NULL && s->community_district != NULL &&
                s->community_street != NULL);
    for (c = 0; c < count; c++) {
        community *m = &s->communities[c];
        if (c > 0)
            assert_true(strcmp(rows[c - 1].id, rows[c].id) < 0);
        snprintf(text, sizeof text, "%s/%s", rows[c].district, rows[c].street);
        m->id = strdup(rows[c].id);
        m->name = strdup(rows[c].id);
        m->district = strdup(rows[c].district);
        m->street = strdup(rows[c].street);
        m->street_key = strdup(text);
        assert_true(m->id != NULL && m->name != NULL && m->district != NULL && m->street != NULL &&
                    m->street_key != NULL);
        s->community_count = c + 1;
        unit_sorted_add(&s->districts, &s->district_count, m->district);
        unit_sorted_add(&s->streets, &s->street_count, m->street_key);
    }
    /* the indexes once every district and street is in its place */
    for (c = 0; c < count; c++) {
        s->community_district[c] =
            unit_sorted_add(&s->districts, &s->district_count, s->communities[c].district);
        s->community_street[c] =
            unit_sorted_add(&s->streets, &s->street_count, s->communities[c].street_key);
    }
    return s;
}

#endif /* KAOHE_UNIT_H */
