/*
** targets.c — loading and checking targets (targets.h).
*/
#include "targets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "query.h"
#include "sqlguard.h"

int targets_load(sqlite3 *db, const rules *r, size_t index, const snapshot *s, const params *ps,
                 target_data *d, error *e)
{
    const target_rule *t = &r->targets[index];
    sqlite3_stmt *statement = NULL;
    char where[128];
    size_t row = 0;
    int rc, status = ERROR_OK;
    if (d->numerator == NULL) {
        d->numerator = malloc((s->community_count + 1) * sizeof *d->numerator);
        d->denominator = malloc((s->community_count + 1) * sizeof *d->denominator);
        if (d->numerator == NULL || d->denominator == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory loading target %s", t->id);
            goto done;
        }
    }
    snprintf(where, sizeof where, "target %s", t->id);
    if ((rc = sqlguard_prepare(db, t->sql, s->rows_read, &statement)) != SQLITE_OK) {
        status = sqlguard_error(db, rc, t->file, t->line, where, e);
        if (status == ERROR_OK)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s:%d: target %s: SQL does not prepare: %s", t->file, t->line,
                               t->id, sqlite3_errmsg(db));
        goto done;
    }
    if (query_bind(statement, t->binds, t->bind_count, s, ps) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "target %s: cannot bind values", t->id);
        goto done;
    }
    while ((rc = sqlguard_step(statement)) == SQLITE_ROW) {
        if (row >= s->community_count) {
            status = error_set(e, ERROR_INPUT, "target %s: more rows than communities", t->id);
            goto done;
        }
        d->numerator[row] = sqlite3_column_double(statement, 1);
        d->denominator[row] = sqlite3_column_double(statement, 2);
        row++;
    }
    if (rc != SQLITE_DONE) {
        status = sqlguard_error(db, rc, t->file, t->line, where, e);
        if (status == ERROR_OK)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s: target %s (%s:%d): query failed: %s", s->path, t->id, t->file,
                               t->line, sqlite3_errmsg(db));
        goto done;
    }
    if (query_remember(&d->bound, t->binds, t->bind_count, ps) != ERROR_OK)
        status = error_set(e, ERROR_SYSTEM, "out of memory");
done:
    sqlguard_finalize(statement);
    return status;
}

void targets_data_free(const rules *r, target_data *all)
{
    size_t i;
    if (all == NULL)
        return;
    for (i = 0; i < r->target_count; i++) {
        free(all[i].numerator);
        free(all[i].denominator);
        query_forget(all[i].bound, r->targets[i].bind_count);
    }
    free(all);
}

/* Whether `actual` meets `required` (POLICY.md §0: x >= t is x > t - ε). */
static int check_met(double actual, double required, double epsilon)
{
    /* >=: with compare.epsilon 0, an actual on the requirement meets it. */
    return !isnan(actual) && actual >= required - epsilon;
}

void targets_rejudge(target_check *checks, size_t count, double required, double epsilon)
{
    size_t k;
    for (k = 0; k < count; k++) {
        checks[k].required = required;
        checks[k].met = check_met(checks[k].actual, required, epsilon);
    }
}

/* Adds one check; false when out of memory. */
static bool add_check(outcome *o, size_t *capacity, const target_rule *t, const char *scope,
                      const char *scope_id, double numerator, double denominator, double required,
                      double epsilon)
{
    target_check *c;
    double actual;
    if (t->count)
        actual = numerator;
    else if (denominator > 0)
        actual = numerator / denominator;
    else if (t->skip_empty)
        return true;
    else
        actual = NAN;
    if (o->check_count == *capacity) {
        size_t grown_capacity = *capacity ? *capacity * 2 : 64;
        target_check *grown = realloc(o->checks, grown_capacity * sizeof *grown);
        if (grown == NULL)
            return false;
        o->checks = grown;
        *capacity = grown_capacity;
    }
    c = &o->checks[o->check_count++];
    c->target_id = t->id;
    c->scope = scope;
    c->scope_id = scope_id;
    c->required = required;
    c->actual = actual;
    c->numerator = numerator;
    c->denominator = denominator;
    c->met = check_met(actual, required, epsilon);
    return true;
}

int targets_score(const rules *r, const snapshot *s, const target_data *all, const params *ps,
                  double epsilon, outcome *o, error *e)
{
    size_t capacity = o->check_count, i, c, g;
    size_t groups = s->district_count > s->street_count ? s->district_count : s->street_count;
    double *num = malloc((groups + 1) * sizeof *num);
    double *den = malloc((groups + 1) * sizeof *den);
    int status = ERROR_OK;
    if (num == NULL || den == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    for (i = 0; i < r->target_count; i++) {
        const target_rule *t = &r->targets[i];
        const target_data *d = &all[i];
        double required = rules_ref_value(&t->required, ps, s->year);
        bool ok = true;
        if (t->scopes[SCOPE_REGION]) {
            double n = 0, m = 0;
            for (c = 0; c < s->community_count; c++) {
                n += d->numerator[c];
                m += d->denominator[c];
            }
            ok = ok && add_check(o, &capacity, t, "region", s->region, n, m, required, epsilon);
        }
        if (t->scopes[SCOPE_DISTRICT]) {
            memset(num, 0, s->district_count * sizeof *num);
            memset(den, 0, s->district_count * sizeof *den);
            for (c = 0; c < s->community_count; c++) {
                num[s->community_district[c]] += d->numerator[c];
                den[s->community_district[c]] += d->denominator[c];
            }
            for (g = 0; g < s->district_count; g++)
                ok = ok && add_check(o, &capacity, t, "district", s->districts[g], num[g], den[g],
                                     required, epsilon);
        }
        if (t->scopes[SCOPE_STREET]) {
            memset(num, 0, s->street_count * sizeof *num);
            memset(den, 0, s->street_count * sizeof *den);
            for (c = 0; c < s->community_count; c++) {
                num[s->community_street[c]] += d->numerator[c];
                den[s->community_street[c]] += d->denominator[c];
            }
            for (g = 0; g < s->street_count; g++)
                ok = ok && add_check(o, &capacity, t, "street", s->streets[g], num[g], den[g],
                                     required, epsilon);
        }
        if (t->scopes[SCOPE_COMMUNITY])
            for (c = 0; c < s->community_count; c++)
                ok = ok && add_check(o, &capacity, t, "community", s->communities[c].id,
                                     d->numerator[c], d->denominator[c], required, epsilon);
        if (!ok) {
            status = error_set(e, ERROR_SYSTEM, "out of memory checking targets");
            goto done;
        }
    }
done:
    free(num);
    free(den);
    return status;
}
