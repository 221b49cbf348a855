/*
** appraisal.c — worker appraisal and elimination flags (appraisal.h).
*/
#define _GNU_SOURCE /* qsort_r */
#include "appraisal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "sqlguard.h"

static void appraisal_rows_free(appraisal_data *d)
{
    textarena_free(&d->ids);
    free(d->worker_ids);
    free(d->community_ids);
    free(d->community);
    free(d->score);
    free(d->components);
    d->worker_ids = NULL;
    d->community_ids = NULL;
    d->community = NULL;
    d->score = d->components = NULL;
    d->count = 0;
}

int appraisal_load(sqlite3 *db, const rules *r, const snapshot *s, const params *ps,
                   appraisal_data *d, error *e)
{
    const appraisal_rule *a = &r->appraisal;
    sqlite3_stmt *statement = NULL;
    size_t capacity = 0, k, m = a->component_count;
    int rc, status = ERROR_OK;
    appraisal_rows_free(d);
    if (!a->present)
        return ERROR_OK;
    if ((rc = sqlguard_prepare(db, a->sql, s->rows_read, &statement)) != SQLITE_OK) {
        status = sqlguard_error(db, rc, a->file, a->line, "appraisal", e);
        if (status == ERROR_OK)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s:%d: appraisal: SQL does not prepare: %s", a->file, a->line,
                               sqlite3_errmsg(db));
        goto done;
    }
    if (query_bind(statement, a->binds, a->bind_count, s, ps) != SQLITE_OK) {
        status = error_set(e, ERROR_SYSTEM, "appraisal: cannot bind values");
        goto done;
    }
    while ((rc = sqlguard_step(statement)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(statement, 0);
        const char *community_id = (const char *)sqlite3_column_text(statement, 1);
        long community_index = community_id ? snapshot_find_community(s, community_id) : -1;
        size_t i = d->count;
        if (community_index < 0 || id == NULL) {
            status = error_set(e, ERROR_INPUT,
                               "%s: table workers, row '%s': community_id '%s' "
                               "refers to no community",
                               s->path, id ? id : "?", community_id ? community_id : "NULL");
            goto done;
        }
        if (d->count == capacity) {
            size_t grown = capacity ? capacity * 2 : 1024;
            const char **ids = realloc(d->worker_ids, grown * sizeof *ids);
            const char **communities;
            size_t *index;
            double *score, *components;
            if (ids != NULL)
                d->worker_ids = ids;
            communities = realloc(d->community_ids, grown * sizeof *communities);
            if (communities != NULL)
                d->community_ids = communities;
            index = realloc(d->community, grown * sizeof *index);
            if (index != NULL)
                d->community = index;
            score = realloc(d->score, grown * sizeof *score);
            if (score != NULL)
                d->score = score;
            components = realloc(d->components, (grown * m + 1) * sizeof *components);
            if (components != NULL)
                d->components = components;
            if (ids == NULL || communities == NULL || index == NULL || score == NULL ||
                components == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory loading appraisals");
                goto done;
            }
            capacity = grown;
        }
        d->worker_ids[i] = textarena_copy(&d->ids, id);
        d->community_ids[i] = s->communities[community_index].id;
        d->count++;
        if (d->worker_ids[i] == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory loading appraisals");
            goto done;
        }
        d->community[i] = (size_t)community_index;
        d->score[i] = sqlite3_column_type(statement, 2) == SQLITE_NULL
                          ? NAN
                          : sqlite3_column_double(statement, 2);
        for (k = 0; k < m; k++)
            d->components[i * m + k] = sqlite3_column_type(statement, 3 + (int)k) == SQLITE_NULL
                                           ? NAN
                                           : sqlite3_column_double(statement, 3 + (int)k);
    }
    if (rc != SQLITE_DONE) {
        status = sqlguard_error(db, rc, a->file, a->line, "appraisal", e);
        if (status == ERROR_OK)
            status = error_set(e, error_sqlite_status(rc, ERROR_INPUT),
                               "%s: appraisal (%s:%d): query failed: %s", s->path, a->file, a->line,
                               sqlite3_errmsg(db));
        goto done;
    }
    if (d->count > 0 && d->count < capacity) {
        /* Give back what the doubling left unused: up to 40% of the
        ** biggest arrays of a national run. A failed shrink keeps the
        ** larger array, which is still valid. */
        const char **ids = realloc(d->worker_ids, d->count * sizeof *ids);
        const char **communities = realloc(d->community_ids, d->count * sizeof *communities);
        size_t *index = realloc(d->community, d->count * sizeof *index);
        double *score = realloc(d->score, d->count * sizeof *score);
        double *components = realloc(d->components, (d->count * m + 1) * sizeof *components);
        if (ids != NULL)
            d->worker_ids = ids;
        if (communities != NULL)
            d->community_ids = communities;
        if (index != NULL)
            d->community = index;
        if (score != NULL)
            d->score = score;
        if (components != NULL)
            d->components = components;
    }
    if (query_remember(&d->bound, a->binds, a->bind_count, ps) != 0)
        status = error_set(e, ERROR_SYSTEM, "out of memory");
done:
    sqlguard_finalize(statement);
    return status;
}

void appraisal_data_free(const rules *r, appraisal_data *d)
{
    appraisal_rows_free(d);
    query_forget(d->bound, r->appraisal.bind_count);
    d->bound = NULL;
}

typedef struct order_context {
    const appraisal_data *data;
    const uint32_t *group;
    double epsilon;
} order_context;

/* Group, then score ascending, then worker id: rank 1 is the lowest.
** Scores within epsilon of each other are equal (POLICY.md §0), so
** 0.3·a + 0.3·b + 0.4·c = 60 on paper ties with 60 and the id decides. */
static int order_compare(const void *a, const void *b, void *user)
{
    const order_context *context = user;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t gx = context->group[x], gy = context->group[y];
    double sx = context->data->score[x], sy = context->data->score[y];
    if (gx != gy)
        return gx < gy ? -1 : 1;
    if (fabs(sx - sy) > context->epsilon)
        return sx < sy ? -1 : 1;
    return strcmp(context->data->worker_ids[x], context->data->worker_ids[y]);
}

int appraisal_score(const rules *r, const snapshot *s, const appraisal_data *d, const params *ps,
                    double epsilon, outcome *o, error *e)
{
    const appraisal_rule *a = &r->appraisal;
    size_t n = d->count, m = a->component_count, i, k, start;
    /* 32-bit indexes: four million workers' temporaries take half the
    ** memory, at the peak of a national run. */
    uint32_t *group = NULL, *order = NULL;
    bool *below = NULL;
    size_t scored = 0;
    double ratio;
    int status = ERROR_OK;
    o->appraisals = NULL;
    o->appraisal_count = 0;
    if (!a->present)
        return ERROR_OK;
    if (n >= UINT32_MAX)
        return error_set(e, ERROR_INPUT, "%s: more than %u workers to appraise", s->path,
                         (unsigned)UINT32_MAX - 1);
    o->appraisals = calloc(n + 1, sizeof *o->appraisals);
    group = malloc((n + 1) * sizeof *group);
    order = malloc((n + 1) * sizeof *order);
    below = calloc(n + 1, sizeof *below);
    if (o->appraisals == NULL || group == NULL || order == NULL || below == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory scoring appraisals");
        goto done;
    }
    ratio = a->bottom_ratio_param >= 0 ? params_number(ps, a->bottom_ratio_param) : 0;
    for (i = 0; i < n; i++) {
        worker_appraisal *w = &o->appraisals[i];
        size_t c = d->community[i];
        bool complete = !isnan(d->score[i]);
        for (k = 0; k < m; k++)
            complete = complete && !isnan(d->components[i * m + k]);
        w->worker_id = d->worker_ids[i];
        w->community_id = d->community_ids[i];
        switch (a->group) {
        case SCOPE_REGION:
            group[i] = 0;
            break;
        case SCOPE_DISTRICT:
            group[i] = (uint32_t)s->community_district[c];
            break;
        case SCOPE_STREET:
            group[i] = (uint32_t)s->community_street[c];
            break;
        default:
            group[i] = (uint32_t)c;
            break;
        }
        if (!complete) {
            w->score = NAN;
            w->rank = 0;
            w->flag = "no_score";
            continue;
        }
        w->score = d->score[i];
        for (k = 0; k < a->floor_count; k++) {
            const appraisal_floor *f = &a->floors[k];
            double x = f->column == 0 ? d->score[i] : d->components[i * m + (size_t)f->column - 1];
            if (f->param >= 0 && x < params_number(ps, f->param) - epsilon)
                below[i] = true;
        }
        w->flag = below[i] ? "below_floor" : NULL;
        order[scored++] = (uint32_t)i;
    }
    o->appraisal_count = n;
    {
        order_context context = {d, group, epsilon};
        qsort_r(order, scored, sizeof *order, order_compare, &context);
    }
    for (start = 0; start < scored;) {
        size_t end = start, count, cut;
        while (end < scored && group[order[end]] == group[order[start]])
            end++;
        count = end - start;
        cut = (size_t)fmax(0.0, ceil(ratio * (double)count - epsilon));
        if (cut > count)
            cut = count;
        for (k = 0; k < count; k++) {
            worker_appraisal *w = &o->appraisals[order[start + k]];
            w->rank = (int)k + 1;
            if (k < cut && !below[order[start + k]])
                w->flag = "bottom_ratio";
        }
        start = end;
    }
done:
    free(group);
    free(order);
    free(below);
    return status;
}
