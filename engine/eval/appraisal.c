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
    if (query_remember(&d->bound, a->binds, a->bind_count, ps) != ERROR_OK)
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

/* See appraisal.h. 32-bit worker indexes: four million workers' arrays take
** half the memory, at the peak of a national run. */
struct appraisal_memo {
    uint32_t *order;       /* scored workers by group, score, worker id */
    size_t scored;         /* entries of order */
    size_t *start;         /* [run] where each group's run begins in order; [runs] = scored */
    size_t *cut;           /* [run] its first `cut` workers are the bottom ratio */
    size_t runs;           /* groups with a scored worker */
    uint32_t *run_of;      /* [worker] the run of a scored worker (its place: rank - 1) */
    unsigned char *judged; /* [worker] OVER or UNDER the floors, or UNSCORED */
    double *floors;        /* [floor] the values `judged` was judged with */
    double ratio;          /* the ratio `cut` was computed with */
};

/* A worker's standing against the floors. */
enum { OVER, UNDER, UNSCORED };

void appraisal_memo_free(appraisal_memo *memo)
{
    if (memo == NULL)
        return;
    free(memo->order);
    free(memo->start);
    free(memo->cut);
    free(memo->run_of);
    free(memo->judged);
    free(memo->floors);
    free(memo);
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

/* The floors' values in `ps` (0 for a floor without a parameter, which
** never applies), into floors[]. */
static void floor_values(const appraisal_rule *a, const params *ps, double *floors)
{
    size_t k;
    for (k = 0; k < a->floor_count; k++)
        floors[k] = a->floors[k].param >= 0 ? params_number(ps, a->floors[k].param) : 0.0;
}

/* Whether scored worker `i` is under one of the floors. */
static bool under_floor(const appraisal_rule *a, const appraisal_data *d, size_t i,
                        const double *floors, double epsilon)
{
    size_t k, m = a->component_count;
    for (k = 0; k < a->floor_count; k++) {
        const appraisal_floor *f = &a->floors[k];
        double x = f->column == 0 ? d->score[i] : d->components[i * m + (size_t)f->column - 1];
        if (f->param >= 0 && x < floors[k] - epsilon)
            return true;
    }
    return false;
}

/* How many of a group of `count` the bottom ratio takes. */
static size_t bottom_cut(double ratio, size_t count, double epsilon)
{
    size_t cut = (size_t)fmax(0.0, ceil(ratio * (double)count - epsilon));
    return cut > count ? count : cut;
}

/* The flags, in the order of outcome.flagged. */
enum { FLAG_BELOW_FLOOR, FLAG_BOTTOM_RATIO, FLAG_NO_SCORE };
static const char *const flag_names[] = {"below_floor", "bottom_ratio", "no_score"};

/* Sets a worker's flag (one of flag_names, or NULL) and keeps o->flagged. */
static void flag_worker(outcome *o, worker_appraisal *w, const char *flag)
{
    int k;
    if (w->flag == flag)
        return;
    for (k = 0; k < 3; k++) {
        o->flagged[k] -= w->flag == flag_names[k];
        o->flagged[k] += flag == flag_names[k];
    }
    w->flag = flag;
}

/* The flag of scored worker `i`, at `k` in its group's run `run`. */
static void set_flag(const appraisal_memo *memo, uint32_t i, size_t run, size_t k, outcome *o)
{
    bool below = memo->judged[i] == UNDER;
    flag_worker(o, &o->appraisals[i],
                k < memo->cut[run] && !below ? flag_names[FLAG_BOTTOM_RATIO]
                : below                      ? flag_names[FLAG_BELOW_FLOOR]
                                             : NULL);
}

int appraisal_score(const rules *r, const snapshot *s, const appraisal_data *d, const params *ps,
                    double epsilon, appraisal_memo **keep, outcome *o, error *e)
{
    const appraisal_rule *a = &r->appraisal;
    size_t n = d->count, m = a->component_count, i, k, run, start;
    uint32_t *group = NULL;
    appraisal_memo *memo = NULL;
    int status = ERROR_OK;
    o->appraisals = NULL;
    o->appraisal_count = 0;
    memset(o->flagged, 0, sizeof o->flagged);
    if (keep != NULL)
        *keep = NULL;
    if (!a->present)
        return ERROR_OK;
    if (n >= UINT32_MAX)
        return error_set(e, ERROR_INPUT, "%s: more than %u workers to appraise", s->path,
                         (unsigned)UINT32_MAX - 1);
    memo = calloc(1, sizeof *memo);
    o->appraisals = calloc(n + 1, sizeof *o->appraisals);
    group = malloc((n + 1) * sizeof *group);
    if (memo != NULL) {
        memo->order = malloc((n + 1) * sizeof *memo->order);
        memo->run_of = malloc((n + 1) * sizeof *memo->run_of);
        memo->judged = malloc((n + 1) * sizeof *memo->judged);
        memo->floors = malloc((a->floor_count + 1) * sizeof *memo->floors);
    }
    if (memo == NULL || o->appraisals == NULL || group == NULL || memo->order == NULL ||
        memo->run_of == NULL || memo->judged == NULL || memo->floors == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory scoring appraisals");
        goto done;
    }
    memo->ratio = a->bottom_ratio_param >= 0 ? params_number(ps, a->bottom_ratio_param) : 0;
    floor_values(a, ps, memo->floors);
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
            flag_worker(o, w, flag_names[FLAG_NO_SCORE]);
            memo->judged[i] = UNSCORED;
            continue;
        }
        w->score = d->score[i];
        memo->judged[i] = under_floor(a, d, i, memo->floors, epsilon) ? UNDER : OVER;
        memo->order[memo->scored++] = (uint32_t)i;
    }
    o->appraisal_count = n;
    {
        order_context context = {d, group, epsilon};
        qsort_r(memo->order, memo->scored, sizeof *memo->order, order_compare, &context);
    }
    for (k = 0; k < memo->scored; k++)
        if (k == 0 || group[memo->order[k]] != group[memo->order[k - 1]])
            memo->runs++;
    memo->start = malloc((memo->runs + 1) * sizeof *memo->start);
    memo->cut = malloc((memo->runs + 1) * sizeof *memo->cut);
    if (memo->start == NULL || memo->cut == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory scoring appraisals");
        goto done;
    }
    for (run = 0, start = 0; start < memo->scored; run++) {
        size_t end = start + 1;
        while (end < memo->scored && group[memo->order[end]] == group[memo->order[start]])
            end++;
        memo->start[run] = start;
        memo->cut[run] = bottom_cut(memo->ratio, end - start, epsilon);
        for (k = 0; k < end - start; k++) {
            uint32_t worker = memo->order[start + k];
            o->appraisals[worker].rank = (int)k + 1;
            memo->run_of[worker] = (uint32_t)run;
            set_flag(memo, worker, run, k, o);
        }
        start = end;
    }
    memo->start[memo->runs] = memo->scored;
done:
    free(group);
    if (status == ERROR_OK && keep != NULL) {
        *keep = memo; /* handed over */
        memo = NULL;
    }
    appraisal_memo_free(memo);
    return status;
}

void appraisal_rescore(const rules *r, const appraisal_data *d, const params *ps, double epsilon,
                       appraisal_memo *memo, outcome *o)
{
    const appraisal_rule *a = &r->appraisal;
    double ratio = a->bottom_ratio_param >= 0 ? params_number(ps, a->bottom_ratio_param) : 0;
    bool floors_changed = false;
    size_t run, k, i;
    if (!a->present || memo == NULL)
        return;
    for (k = 0; k < a->floor_count; k++) {
        double value = a->floors[k].param >= 0 ? params_number(ps, a->floors[k].param) : 0.0;
        floors_changed = floors_changed || memcmp(&value, &memo->floors[k], sizeof value) != 0;
    }
    if (floors_changed) {
        /* A floor can touch any worker: judge each again, in index order
        ** (the arrays are read straight through); a worker whose standing
        ** changed gets its flag again (with the cut it had). */
        floor_values(a, ps, memo->floors);
        for (i = 0; i < d->count; i++) {
            unsigned char now;
            if (memo->judged[i] == UNSCORED)
                continue;
            now = under_floor(a, d, i, memo->floors, epsilon) ? UNDER : OVER;
            if (now == memo->judged[i])
                continue;
            memo->judged[i] = now;
            set_flag(memo, (uint32_t)i, memo->run_of[i], (size_t)o->appraisals[i].rank - 1, o);
        }
    }
    if (memcmp(&ratio, &memo->ratio, sizeof ratio) == 0)
        return;
    /* The cut moves: only the workers between the old and the new one. */
    memo->ratio = ratio;
    for (run = 0; run < memo->runs; run++) {
        size_t count = memo->start[run + 1] - memo->start[run];
        size_t before = memo->cut[run], after = bottom_cut(ratio, count, epsilon);
        memo->cut[run] = after;
        for (k = before < after ? before : after; k < (before < after ? after : before); k++)
            set_flag(memo, memo->order[memo->start[run] + k], run, k, o);
    }
}
