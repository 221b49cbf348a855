/*
** eval.c — loading indicator data and scoring it (eval.h).
*/
#define _GNU_SOURCE /* qsort_r */
#include "eval.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

double eval_lin(double x, double from, double to)
{
    double f = (x - from) / (to - from);
    if (!(f > 0))
        return 0.0;
    return f < 1 ? f : 1.0;
}

double eval_ratio(double x, double target)
{
    double f = x / target;
    if (!(f > 0))
        return 0.0;
    return f < 1 ? f : 1.0;
}

bool eval_compare(double x, rules_op op, double y)
{
    switch (op) {
    case OP_LT:
        return x < y - EVAL_EPSILON;
    case OP_LE:
        return x <= y + EVAL_EPSILON;
    case OP_GT:
        return x > y + EVAL_EPSILON;
    case OP_GE:
        return x > y - EVAL_EPSILON;
    case OP_EQ:
        return fabs(x - y) <= EVAL_EPSILON;
    case OP_NE:
        return fabs(x - y) > EVAL_EPSILON;
    case OP_NULL:
        return isnan(x);
    }
    return false;
}

/* Binds the query's ?N values: snapshot built-ins and parameters. */
static int bind_values(sqlite3_stmt *statement, const rules_bind *binds, size_t count,
                       const snapshot *s, const params *ps)
{
    size_t i;
    int rc = SQLITE_OK;
    for (i = 0; i < count && rc == SQLITE_OK; i++) {
        int slot = (int)i + 1;
        const rules_bind *b = &binds[i];
        switch (b->kind) {
        case BIND_AS_OF:
            rc = sqlite3_bind_text(statement, slot, s->as_of, -1, SQLITE_STATIC);
            break;
        case BIND_YEAR_START:
            rc = sqlite3_bind_text(statement, slot, s->year_start, -1, SQLITE_STATIC);
            break;
        case BIND_YEAR:
            rc = sqlite3_bind_int(statement, slot, s->year);
            break;
        case BIND_REGION:
            rc = sqlite3_bind_text(statement, slot, s->region, -1, SQLITE_STATIC);
            break;
        case BIND_PARAM: {
            const param *p = &ps->items[b->param];
            if (p->type == PARAM_INTEGER)
                rc = sqlite3_bind_int64(statement, slot, (sqlite3_int64)p->value.number);
            else if (p->type == PARAM_NUMBER)
                rc = sqlite3_bind_double(statement, slot, p->value.number);
            else
                rc = sqlite3_bind_text(statement, slot, p->value.text ? p->value.text : "", -1,
                                       SQLITE_STATIC);
            break;
        }
        }
    }
    return rc;
}

/* Remembers the values bound to parameters, to know when to re-run. */
static int remember_bound(indicator_data *d, const indicator *ind, const params *ps)
{
    size_t i;
    if (d->bound == NULL) {
        d->bound = calloc(ind->bind_count + 1, sizeof *d->bound);
        if (d->bound == NULL)
            return -1;
    }
    for (i = 0; i < ind->bind_count; i++) {
        const rules_bind *b = &ind->binds[i];
        if (b->kind != BIND_PARAM)
            continue;
        free(d->bound[i].text);
        memset(&d->bound[i], 0, sizeof d->bound[i]);
        d->bound[i].number = ps->items[b->param].value.number;
        if (ps->items[b->param].value.text != NULL &&
            (d->bound[i].text = strdup(ps->items[b->param].value.text)) == NULL)
            return -1;
    }
    return 0;
}

/* Runs one indicator's query into `d`. */
static int load_indicator(sqlite3 *db, const rules *r, size_t index, const snapshot *s,
                          const params *ps, indicator_data *d, long long *rows, error *e)
{
    const indicator *ind = &r->indicators[index];
    sqlite3_stmt *statement = NULL;
    size_t row = 0, k;
    int rc;
    int status = ERROR_OK;
    d->stride = 1 + ind->input_count;
    if (d->columns == NULL) {
        d->columns = malloc((s->community_count * d->stride + 1) * sizeof *d->columns);
        if (d->columns == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory loading indicator %s", ind->id);
            goto done;
        }
    }
    rc = sqlite3_prepare_v2(db, ind->sql, -1, &statement, NULL);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_INPUT, "%s:%d: indicator %s: SQL does not prepare: %s",
                           ind->file, ind->line, ind->id, sqlite3_errmsg(db));
        goto done;
    }
    rc = bind_values(statement, ind->binds, ind->bind_count, s, ps);
    if (rc != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "indicator %s: cannot bind values: %s", ind->id,
                           sqlite3_errstr(rc));
        goto done;
    }
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(statement, 0);
        double *out;
        if (row >= s->community_count || id == NULL ||
            strcmp(id, s->communities[row].id) != 0) {
            status = error_set(e, ERROR_INPUT,
                               "%s:%d: indicator %s: the query must return each community once, "
                               "in id order (row %zu is '%s')",
                               ind->file, ind->line, ind->id, row + 1, id ? id : "NULL");
            goto done;
        }
        out = &d->columns[row * d->stride];
        for (k = 0; k < d->stride; k++) {
            int type = sqlite3_column_type(statement, (int)k + 1);
            out[k] = type == SQLITE_NULL ? NAN : sqlite3_column_double(statement, (int)k + 1);
        }
        row++;
    }
    if (rc != SQLITE_DONE) {
        status = error_set(e, ERROR_INPUT, "%s: indicator %s (%s:%d): query failed: %s", s->path,
                           ind->id, ind->file, ind->line, sqlite3_errmsg(db));
        goto done;
    }
    if (row != s->community_count) {
        status = error_set(e, ERROR_INPUT,
                           "%s:%d: indicator %s: the query returned %zu rows for %zu communities",
                           ind->file, ind->line, ind->id, row, s->community_count);
        goto done;
    }
    *rows += (long long)row;
    if (remember_bound(d, ind, ps) != 0)
        status = error_set(e, ERROR_SYSTEM, "out of memory");
done:
    sqlite3_finalize(statement);
    return status;
}

int eval_load(const rules *r, const snapshot *s, const params *ps, const eval_options *options,
              eval_data *data, error *e)
{
    size_t i;
    int status = ERROR_OK;
    memset(data, 0, sizeof *data);
    data->rules = r;
    data->snapshot = s;
    data->jobs = options != NULL && options->jobs > 0 ? options->jobs : 1;
    data->indicators = calloc(r->indicator_count + 1, sizeof *data->indicators);
    if (data->indicators == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (i = 0; i < r->indicator_count && status == ERROR_OK; i++)
        status = load_indicator(s->db, r, i, s, ps, &data->indicators[i], &data->rows_returned, e);
    return status;
}

int eval_refresh(eval_data *data, const params *ps, const eval_options *options, size_t *rerun,
                 error *e)
{
    size_t i, k;
    int status = ERROR_OK;
    (void)options;
    *rerun = 0;
    for (i = 0; i < data->rules->indicator_count && status == ERROR_OK; i++) {
        const indicator *ind = &data->rules->indicators[i];
        indicator_data *d = &data->indicators[i];
        bool changed = false;
        for (k = 0; k < ind->bind_count; k++) {
            const rules_bind *b = &ind->binds[k];
            if (b->kind == BIND_PARAM &&
                !params_value_equal(&ps->items[b->param], &d->bound[k],
                                    &ps->items[b->param].value))
                changed = true;
        }
        if (!changed)
            continue;
        status = load_indicator(data->snapshot->db, data->rules, i, data->snapshot, ps, d,
                                &data->rows_returned, e);
        (*rerun)++;
    }
    return status;
}

void eval_data_free(eval_data *data)
{
    size_t i, k;
    if (data->indicators != NULL) {
        for (i = 0; i < data->rules->indicator_count; i++) {
            free(data->indicators[i].columns);
            if (data->indicators[i].bound != NULL)
                for (k = 0; k < data->rules->indicators[i].bind_count; k++)
                    free(data->indicators[i].bound[k].text);
            free(data->indicators[i].bound);
        }
    }
    free(data->indicators);
    memset(data, 0, sizeof *data);
}

/* Status of one community's indicator from its value and inputs. */
static indicator_status indicator_status_of(const indicator *ind, const double *columns,
                                            const params *ps)
{
    size_t i;
    const double *inputs = columns + 1;
    for (i = 0; i < ind->check_count; i++) {
        const indicator_check *c = &ind->checks[i];
        double x = inputs[c->lhs];
        double y;
        if (c->op == OP_NULL) {
            if (isnan(x))
                return c->status;
            continue;
        }
        switch (c->rhs_kind) {
        case RHS_PARAM:
            y = params_number(ps, c->param);
            break;
        case RHS_INPUT:
            y = inputs[c->input];
            break;
        default:
            y = c->number;
            break;
        }
        if (isnan(x) || isnan(y))
            continue;
        if (eval_compare(x, c->op, y))
            return c->status;
    }
    return isnan(columns[0]) || isinf(columns[0]) ? STATUS_MISSING : STATUS_OK;
}

/* What rank_compare needs (qsort_r keeps scoring reentrant). */
typedef struct rank_context {
    const double *totals;
    const snapshot *snapshot;
} rank_context;

/* Orders communities by total (descending), then id. */
static int rank_compare(const void *a, const void *b, void *user)
{
    const rank_context *context = user;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    double tx = context->totals[x], ty = context->totals[y];
    if (tx > ty)
        return -1;
    if (tx < ty)
        return 1;
    return strcmp(context->snapshot->communities[x].id, context->snapshot->communities[y].id);
}

int eval_score(const eval_data *data, const params *ps, eval_result *result, error *e)
{
    const rules *r = data->rules;
    const snapshot *s = data->snapshot;
    size_t n = s->community_count, m = r->indicator_count, nc = r->category_count;
    size_t c, i, g, k;
    double *max_points = NULL, *arg0 = NULL, *arg1 = NULL;
    int status = ERROR_OK;
    memset(result, 0, sizeof *result);
    result->community_count = n;
    result->indicator_count = m;
    result->category_count = nc;
    result->scores = malloc((n * m + 1) * sizeof *result->scores);
    result->category_points = calloc(n * nc + 1, sizeof *result->category_points);
    result->category_max = calloc(nc + 1, sizeof *result->category_max);
    result->totals = calloc(n + 1, sizeof *result->totals);
    result->stars = calloc(n + 1, sizeof *result->stars);
    result->ranks = calloc(n + 1, sizeof *result->ranks);
    result->order = malloc((n + 1) * sizeof *result->order);
    max_points = malloc((m + 1) * sizeof *max_points);
    arg0 = malloc((m + 1) * sizeof *arg0);
    arg1 = malloc((m + 1) * sizeof *arg1);
    if (result->scores == NULL || result->category_points == NULL ||
        result->category_max == NULL || result->totals == NULL || result->stars == NULL ||
        result->ranks == NULL || result->order == NULL || max_points == NULL || arg0 == NULL ||
        arg1 == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory scoring");
        goto done;
    }
    /* Scoring arguments are resolved once per run, not per community. */
    for (i = 0; i < m; i++) {
        const indicator *ind = &r->indicators[i];
        max_points[i] = rules_ref_value(&ind->max, ps, s->year);
        arg0[i] = rules_ref_value(&ind->score_args[0], ps, s->year);
        arg1[i] = rules_ref_value(&ind->score_args[1], ps, s->year);
        result->max_total += max_points[i];
        if (ind->category_index >= 0)
            result->category_max[ind->category_index] += max_points[i];
    }
    for (c = 0; c < n; c++) {
        double total = 0;
        for (i = 0; i < m; i++) {
            const indicator *ind = &r->indicators[i];
            const indicator_data *d = &data->indicators[i];
            const double *columns = &d->columns[c * d->stride];
            indicator_score *score = &result->scores[c * m + i];
            score->max_points = max_points[i];
            score->status = (unsigned char)indicator_status_of(ind, columns, ps);
            if (score->status != STATUS_OK) {
                score->value = NAN;
                score->points = 0;
            } else {
                double f = ind->score == SCORE_LIN ? eval_lin(columns[0], arg0[i], arg1[i])
                                                   : eval_ratio(columns[0], arg0[i]);
                score->value = columns[0];
                score->points = f * max_points[i];
            }
            total += score->points;
            if (ind->category_index >= 0)
                result->category_points[c * nc + (size_t)ind->category_index] += score->points;
        }
        result->totals[c] = total;
        result->stars[c] = 0;
        for (g = 0; g < r->star_count; g++) {
            const star_grade *grade = &r->stars[g];
            bool ok = grade->total_param >= 0 &&
                      eval_compare(total, OP_GE, params_number(ps, grade->total_param));
            for (k = 0; ok && k < grade->also_count; k++) {
                const star_condition *cond = &grade->also[k];
                double value = cond->indicator >= 0
                                   ? result->scores[c * m + (size_t)cond->indicator].value
                                   : NAN;
                ok = !isnan(value) && cond->param >= 0 &&
                     eval_compare(value, cond->op, params_number(ps, cond->param));
            }
            if (ok) {
                result->stars[c] = grade->stars;
                break;
            }
        }
        result->order[c] = c;
    }
    {
        rank_context context = {result->totals, s};
        qsort_r(result->order, n, sizeof *result->order, rank_compare, &context);
    }
    for (k = 0; k < n; k++) {
        size_t here = result->order[k];
        if (k > 0 && fabs(result->totals[here] - result->totals[result->order[k - 1]]) <=
                         EVAL_EPSILON)
            result->ranks[here] = result->ranks[result->order[k - 1]];
        else
            result->ranks[here] = (int)k + 1;
    }
done:
    free(max_points);
    free(arg0);
    free(arg1);
    if (status != ERROR_OK)
        eval_result_free(result);
    return status;
}

void eval_result_free(eval_result *result)
{
    free(result->scores);
    free(result->category_points);
    free(result->category_max);
    free(result->totals);
    free(result->stars);
    free(result->ranks);
    free(result->order);
    memset(result, 0, sizeof *result);
}

void eval_check_sql(rules *r, void *db_pointer)
{
    sqlite3 *db = db_pointer;
    size_t i;
    for (i = 0; i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        sqlite3_stmt *statement = NULL;
        if (ind->sql == NULL)
            continue;
        if (sqlite3_prepare_v2(db, ind->sql, -1, &statement, NULL) != SQLITE_OK) {
            rules_add_problem(r, "%s:%d: indicator %s: its SQL does not prepare against the "
                                 "snapshot schema: %s",
                              ind->file, ind->line, ind->id, sqlite3_errmsg(db));
        } else if ((size_t)sqlite3_column_count(statement) != 2 + ind->input_count) {
            rules_add_problem(r, "%s:%d: indicator %s: its query returns %d columns, expected %zu",
                              ind->file, ind->line, ind->id, sqlite3_column_count(statement),
                              2 + ind->input_count);
        }
        sqlite3_finalize(statement);
    }
}
