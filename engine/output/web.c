/*
** web.c — the workbench's page and JSON API (web.h).
*/
#include "web.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "jsontext.h"
#include "params_list.h"
#include "text.h"
#include "whatif.h"
#include "workbench_html.h"

struct web_state {
    session *run; /* borrowed: rules, parameters, snapshot, loaded data */
    web_limits limits;
    eval_result baseline; /* scored once with the rules' own parameters */
    eval_result scratch;  /* re-scored in place for each what-if */
    params scenario;      /* the last request's parameters (rebuilt per request) */
    sqlite3_stmt *worker; /* SELECT name FROM workers WHERE id = ? */
};

/* The baseline run: the rules' own parameters and their result. */
static eval_run baseline_view(const web_state *w)
{
    eval_run view = session_view(w->run);
    view.params = &w->run->rules->params;
    view.result = &w->baseline;
    return view;
}

static void reply_json(web_reply *reply, int status, json_t *value)
{
    /* NULL: jansson refused a value (out of memory, or text that is not
    ** UTF-8, which the answers check before). */
    char *text =
        value != NULL
            ? jsontext_dump(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
            : NULL;
    json_decref(value);
    reply->status = text != NULL ? status : 500;
    reply->content_type = "application/json; charset=utf-8";
    buffer_puts(&reply->body,
                text != NULL ? text : "{\"error\":\"the answer could not be written as JSON\"}");
    free(text);
}

static void reply_error(web_reply *reply, int status, const char *message)
{
    reply_json(reply, status, json_pack("{s:s}", "error", message));
}

/* A number, or null for NaN (JSON has no NaN). */
static json_t *number(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

int web_open(session *run, const web_limits *limits, web_state **out, error *e)
{
    web_state *w = calloc(1, sizeof *w);
    int status;
    *out = NULL;
    if (w == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    w->run = run;
    w->limits.max_body_bytes = WEB_MAX_BODY_DEFAULT;
    w->limits.max_sets = WEB_MAX_SETS_DEFAULT;
    w->limits.max_list_rows = WEB_MAX_LIST_DEFAULT;
    if (limits != NULL)
        w->limits = *limits;
    status = eval_rescore(&run->data, &run->params, &w->scratch, e);
    if (status == ERROR_OK)
        status = eval_result_copy(&w->baseline, &w->scratch, e);
    if (status == ERROR_OK &&
        sqlite3_prepare_v2(run->snapshot->db, "SELECT name FROM workers WHERE id = ?", -1,
                           &w->worker, NULL) != SQLITE_OK)
        status = error_set(e, ERROR_SYSTEM, "cannot read the workers' names: %s",
                           sqlite3_errmsg(run->snapshot->db));
    if (status != ERROR_OK) {
        web_free(w);
        return status;
    }
    *out = w;
    return ERROR_OK;
}

void web_free(web_state *w)
{
    if (w == NULL)
        return;
    sqlite3_finalize(w->worker);
    eval_result_free(&w->baseline);
    eval_result_free(&w->scratch);
    params_free(&w->scenario);
    free(w);
}

void web_reply_free(web_reply *reply)
{
    buffer_free(&reply->body);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool web_query_value(const char *query, const char *name, char *out, size_t size)
{
    size_t name_length = strlen(name);
    const char *p = query;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&');
        size_t length = end ? (size_t)(end - p) : strlen(p);
        if (length > name_length && strncmp(p, name, name_length) == 0 && p[name_length] == '=') {
            size_t i, n = 0;
            for (i = name_length + 1; i < length; i++) {
                char c = p[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int high = i + 2 < length ? hex_value(p[i + 1]) : -1;
                    int low = i + 2 < length ? hex_value(p[i + 2]) : -1;
                    if (high < 0 || low < 0)
                        return false;
                    c = (char)(high * 16 + low);
                    i += 2;
                }
                if (c == '\0' || n + 1 >= size)
                    return false;
                out[n++] = c;
            }
            out[n] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* The worker's name from the snapshot ("" when none). */
static const char *worker_name(web_state *w, const char *id)
{
    const unsigned char *name;
    sqlite3_reset(w->worker);
    sqlite3_bind_text(w->worker, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(w->worker) != SQLITE_ROW)
        return "";
    name = sqlite3_column_text(w->worker, 0);
    return name != NULL ? (const char *)name : "";
}

static json_t *categories_json(const rules *r)
{
    json_t *list = json_array();
    size_t i;
    for (i = 0; i < r->category_count; i++)
        json_array_append_new(list, json_pack("{s:s,s:s}", "id", r->categories[i].id, "name",
                                              r->categories[i].name ? r->categories[i].name : ""));
    return list;
}

/* The run's star grades, best first, with their names; and the name of
** a community below every grade. */
static json_t *grades_json(const rules *r)
{
    json_t *grades = json_array();
    size_t g;
    for (g = 0; g < r->star_count; g++)
        json_array_append_new(grades, json_pack("{s:i,s:s}", "stars", r->stars[g].stars, "name",
                                                r->stars[g].name ? r->stars[g].name : ""));
    return json_pack("{s:o,s:s}", "grades", grades, "unrated",
                     r->star_unrated ? r->star_unrated : "");
}

static void answer_overview(web_state *w, web_reply *reply)
{
    const session *run = w->run;
    const rules *r = run->rules;
    const snapshot *s = run->snapshot;
    const eval_result *b = &w->baseline;
    json_t *root = json_object(), *stars = json_object(), *targets = json_array();
    json_t *missing = json_array();
    long decided[3] = {0, 0, 0};
    size_t c, t, i, k;
    {
        /* Grades from the best down, each as many as have it. */
        long counts[16] = {0};
        int g;
        for (c = 0; c < b->community_count; c++)
            if (b->stars[c] >= 0 && b->stars[c] < 16)
                counts[b->stars[c]]++;
        for (g = 15; g >= 0; g--)
            if (counts[g] > 0) {
                char key[16];
                snprintf(key, sizeof key, "%d", g);
                json_object_set_new(stars, key, json_integer(counts[g]));
            }
    }
    for (t = 0; t < r->target_count; t++) {
        static const char *const scopes[] = {"region", "district", "street", "community"};
        json_t *one =
            json_pack("{s:s,s:s,s:s,s:b}", "id", r->targets[t].id, "name",
                      r->targets[t].name ? r->targets[t].name : "", "unit",
                      r->targets[t].unit ? r->targets[t].unit : "", "count", r->targets[t].count);
        for (k = 0; k < 4; k++) {
            long met = 0, of = 0;
            for (i = 0; i < b->outcome.check_count; i++) {
                const target_check *x = &b->outcome.checks[i];
                if (strcmp(x->target_id, r->targets[t].id) == 0 &&
                    strcmp(x->scope, scopes[k]) == 0) {
                    of++;
                    met += x->met != 0;
                }
            }
            if (of > 0)
                json_object_set_new(
                    one, scopes[k],
                    json_pack("{s:I,s:I}", "met", (json_int_t)met, "of", (json_int_t)of));
        }
        json_array_append_new(targets, one);
    }
    for (i = 0; i < r->indicator_count; i++) {
        long absent = 0;
        for (c = 0; c < b->community_count; c++)
            absent += b->scores[c * b->indicator_count + i].status != 0;
        if (absent > 0)
            json_array_append_new(missing,
                                  json_pack("{s:s,s:s,s:I}", "id", r->indicators[i].id, "name",
                                            r->indicators[i].name ? r->indicators[i].name : "",
                                            "communities", (json_int_t)absent));
    }
    for (i = 0; i < b->outcome.decision_count; i++) {
        const char *d = b->outcome.decisions[i].decision;
        decided[strcmp(d, "admit") == 0 ? 0 : strcmp(d, "reject") == 0 ? 1 : 2]++;
    }
    json_object_set_new(root, "system", json_string(r->system_name ? r->system_name : ""));
    json_object_set_new(root, "rules", json_string(r->root));
    json_object_set_new(root, "region", json_string(s->region));
    json_object_set_new(root, "as_of", json_string(s->as_of));
    json_object_set_new(root, "communities", json_integer((json_int_t)s->community_count));
    json_object_set_new(root, "max_total", json_real(b->max_total));
    json_object_set_new(root, "stars", stars);
    json_object_set_new(root, "star_names", grades_json(r));
    {
        /* {kind: {code: label}}: what the page calls the engine's codes. */
        json_t *labels = json_object();
        for (i = 0; i < r->label_count; i++) {
            json_t *kind = json_object_get(labels, r->labels[i].kind);
            if (kind == NULL) {
                kind = json_object();
                json_object_set_new(labels, r->labels[i].kind, kind);
            }
            json_object_set_new(kind, r->labels[i].code, json_string(r->labels[i].text));
        }
        json_object_set_new(root, "labels", labels);
    }
    json_object_set_new(root, "targets", targets);
    json_object_set_new(root, "not_ok", missing);
    json_object_set_new(root, "flagged",
                        json_pack("{s:I,s:I,s:I}", "below_floor", (json_int_t)b->outcome.flagged[0],
                                  "bottom_ratio", (json_int_t)b->outcome.flagged[1], "no_score",
                                  (json_int_t)b->outcome.flagged[2]));
    json_object_set_new(root, "decisions",
                        json_pack("{s:I,s:I,s:I}", "admit", (json_int_t)decided[0], "reject",
                                  (json_int_t)decided[1], "review", (json_int_t)decided[2]));
    reply_json(reply, 200, root);
}

static void answer_communities(web_state *w, web_reply *reply)
{
    const snapshot *s = w->run->snapshot;
    const eval_result *b = &w->baseline;
    json_t *rows = json_array();
    size_t k, g;
    for (k = 0; k < b->community_count && k < w->limits.max_list_rows; k++) {
        size_t c = b->order[k];
        json_t *points = json_array();
        for (g = 0; g < b->category_count; g++)
            json_array_append_new(points, number(b->category_points[c * b->category_count + g]));
        json_array_append_new(
            rows, json_pack("{s:s,s:s,s:s,s:s,s:o,s:i,s:i,s:o}", "id", s->communities[c].id, "name",
                            s->communities[c].name, "district", s->communities[c].district,
                            "street", s->communities[c].street, "total", number(b->totals[c]),
                            "stars", b->stars[c], "rank", b->ranks[c], "points", points));
    }
    reply_json(reply, 200,
               json_pack("{s:o,s:o,s:f}", "categories", categories_json(w->run->rules), "rows",
                         rows, "max_total", b->max_total));
}

/* The id argument of an explanation, checked: present and UTF-8 (it goes
** back in messages, and JSON text is UTF-8). NULL when refused (answered). */
static const char *id_argument(const web_request *request, const char *what, web_reply *reply)
{
    const char *id = request->argument ? request->argument(request->argument_user, "id") : NULL;
    if (id == NULL || *id == '\0') {
        char message[128];
        snprintf(message, sizeof message, "give the %s: ?id=ID", what);
        reply_error(reply, 400, message);
        return NULL;
    }
    if (!text_utf8_valid(id, strlen(id), NULL)) {
        reply_error(reply, 400, "the id is not UTF-8 text");
        return NULL;
    }
    return id;
}

enum explain_kind { EXPLAIN_WORKER, EXPLAIN_TASK };

/* A worker's flag or a task's decision, explained as kaohe explain does. */
static void answer_explain(web_state *w, const web_request *request, enum explain_kind kind,
                           web_reply *reply)
{
    const char *id = id_argument(request, kind == EXPLAIN_WORKER ? "worker" : "task", reply);
    eval_run in;
    buffer out;
    error e;
    json_t *value;
    int status;
    if (id == NULL)
        return;
    in = baseline_view(w);
    buffer_init(&out);
    error_clear(&e);
    status = kind == EXPLAIN_WORKER ? explain_worker(&in, id, true, &out, &e)
                                    : explain_task(&in, id, true, &out, &e);
    if (status != ERROR_OK)
        reply_error(reply, e.status == ERROR_INPUT ? 404 : 500, e.message);
    else if ((value = json_loads(buffer_text(&out), 0, NULL)) == NULL)
        reply_error(reply, 500, "out of memory");
    else
        reply_json(reply, 200, value);
    buffer_free(&out);
}

/* The next star grade above the community's and the points it lacks, from
** the run's own star lines (its other conditions are on the card). */
static json_t *next_star(const web_state *w, size_t c)
{
    const rules *r = w->run->rules;
    const params *ps = &w->run->rules->params;
    int have = w->baseline.stars[c], best = -1;
    double line = 0, total = w->baseline.totals[c];
    size_t g;
    for (g = 0; g < r->star_count; g++) {
        const star_grade *grade = &r->stars[g];
        double at;
        if (grade->stars <= have || grade->total_param < 0)
            continue;
        at = params_number(ps, grade->total_param);
        if (best < 0 || grade->stars < best) {
            best = grade->stars;
            line = at;
        }
    }
    if (best < 0 || isnan(total))
        return json_null();
    return json_pack("{s:i,s:f,s:f}", "stars", best, "line", line, "lacks",
                     line - total > 0 ? line - total : 0.0);
}

static void answer_community(web_state *w, const web_request *request, web_reply *reply)
{
    const char *id = id_argument(request, "community", reply);
    eval_run in;
    error e;
    buffer out;
    json_t *value;
    if (id == NULL)
        return;
    in = baseline_view(w);
    buffer_init(&out);
    error_clear(&e);
    if (explain_community(&in, id, NULL, true, &out, &e) != ERROR_OK) {
        reply_error(reply, e.status == ERROR_INPUT ? 404 : 500, e.message);
    } else if ((value = json_loads(buffer_text(&out), 0, NULL)) == NULL) {
        reply_error(reply, 500, "out of memory");
    } else {
        const snapshot *s = w->run->snapshot;
        const char *found = json_string_value(json_object_get(value, "community_id"));
        size_t c;
        for (c = 0; found != NULL && c < s->community_count; c++)
            if (strcmp(s->communities[c].id, found) == 0)
                json_object_set_new(value, "next_star", next_star(w, c));
        reply_json(reply, 200, value);
    }
    buffer_free(&out);
}

static void answer_workers(web_state *w, web_reply *reply)
{
    const outcome *o = &w->baseline.outcome;
    json_t *rows = json_array();
    size_t i;
    for (i = 0; i < o->appraisal_count && i < w->limits.max_list_rows; i++) {
        const worker_appraisal *a = &o->appraisals[i];
        json_array_append_new(rows,
                              json_pack("{s:s,s:s,s:s,s:o,s:i,s:o}", "id", a->worker_id, "name",
                                        worker_name(w, a->worker_id), "community_id",
                                        a->community_id, "score", number(a->score), "rank", a->rank,
                                        "flag", a->flag ? json_string(a->flag) : json_null()));
    }
    reply_json(reply, 200, json_pack("{s:o}", "rows", rows));
}

static void answer_decisions(web_state *w, web_reply *reply)
{
    const outcome *o = &w->baseline.outcome;
    json_t *rows = json_array();
    size_t i;
    for (i = 0; i < o->decision_count && i < w->limits.max_list_rows; i++) {
        const task_decision *d = &o->decisions[i];
        json_array_append_new(rows,
                              json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "task_id", d->task_id,
                                        "community_id", d->community_id, "department",
                                        d->department ? d->department : "", "decision", d->decision,
                                        "entry", d->rule_id ? json_string(d->rule_id) : json_null(),
                                        "reason", d->reason ? d->reason : ""));
    }
    reply_json(reply, 200, json_pack("{s:o}", "rows", rows));
}

static void answer_params(web_state *w, web_reply *reply)
{
    json_t *list = params_list_json(&w->run->params);
    if (list == NULL)
        reply_error(reply, 500, "out of memory");
    else
        reply_json(reply, 200, json_pack("{s:o}", "params", list));
}

/* {"set": {"NAME": VALUE, ...}}: the request's overrides applied to the
** rules' own values, each as --set would apply it. */
static int scenario_params(web_state *w, const char *body, size_t length, error *e)
{
    json_error_t problem;
    json_t *root, *sets, *value;
    const char *name;
    int status;
    size_t count = 0;
    params_free(&w->scenario);
    status = params_copy(&w->scenario, &w->run->rules->params, e);
    if (status != ERROR_OK)
        return status;
    root = json_loadb(body != NULL ? body : "", length, JSON_REJECT_DUPLICATES, &problem);
    if (root == NULL)
        return error_set(e, ERROR_INPUT, "the request is not JSON: %s (line %d, column %d)",
                         problem.text, problem.line, problem.column);
    sets = json_object_get(root, "set");
    if (!json_is_object(sets)) {
        json_decref(root);
        return error_set(e, ERROR_INPUT, "give the changes as {\"set\": {\"NAME\": VALUE}}");
    }
    json_object_foreach(sets, name, value)
    {
        char *text;
        if (++count > w->limits.max_sets) {
            status =
                error_set(e, ERROR_INPUT, "at most %zu changes in one request", w->limits.max_sets);
            break;
        }
        /* A number or an object (a schedule) as JSON, text as it is: the
        ** same text --set NAME=VALUE would give. */
        text = json_is_string(value)
                   ? strdup(json_string_value(value))
                   : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        if (text == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            break;
        }
        status = params_set_text(&w->scenario, name, text, e);
        free(text);
        if (status != ERROR_OK)
            break;
    }
    json_decref(root);
    if (status == ERROR_OK)
        status = rules_check_invariants(w->run->rules, &w->scenario, w->run->snapshot->year, e);
    return status;
}

/* Adds each changed worker's name, as staff know them. */
static void name_workers(web_state *w, json_t *answer)
{
    json_t *workers = json_object_get(answer, "workers"), *one;
    size_t i;
    json_array_foreach(workers, i, one)
    {
        const char *id = json_string_value(json_object_get(one, "worker_id"));
        if (id != NULL)
            json_object_set_new(one, "name", json_string(worker_name(w, id)));
    }
}

static void answer_whatif(web_state *w, const char *body, size_t length, web_reply *reply)
{
    session *run = w->run;
    whatif_diff diff;
    whatif_report report;
    buffer out;
    error e;
    size_t rerun = 0;
    json_t *answer;
    int status;
    memset(&diff, 0, sizeof diff);
    buffer_init(&out);
    error_clear(&e);
    status = scenario_params(w, body, length, &e);
    if (status != ERROR_OK) {
        reply_error(reply, status == ERROR_SYSTEM ? 500 : 400, e.message);
        return;
    }
    /* The data follows the scenario's bound values (a query re-runs only
    ** when one of its SQL parameters changed); the scratch result is
    ** re-scored in place from whatever the last request left. */
    status = eval_refresh(&run->data, &w->scenario, &run->options, &rerun, &e);
    if (status == ERROR_OK)
        status = eval_rescore(&run->data, &w->scenario, &w->scratch, &e);
    if (status == ERROR_OK)
        status = whatif_compare(run->rules, run->snapshot, &w->baseline, &w->scratch,
                                eval_epsilon(&w->scenario), &diff, &e);
    if (status != ERROR_OK) {
        reply_error(reply, status == ERROR_SYSTEM ? 500 : 400, e.message);
        whatif_diff_free(&diff);
        return;
    }
    memset(&report, 0, sizeof report);
    report.before = baseline_view(w);
    report.after = report.before;
    report.after.params = &w->scenario;
    report.after.result = &w->scratch;
    report.diff = &diff;
    report.queries_rerun = rerun;
    if (whatif_write_json(&report, &out) != ERROR_OK ||
        (answer = json_loads(buffer_text(&out), 0, NULL)) == NULL) {
        reply_error(reply, 500, "out of memory");
    } else {
        name_workers(w, answer);
        reply_json(reply, 200, answer);
    }
    buffer_free(&out);
    whatif_diff_free(&diff);
}

/* One parameter over a range (?name=N&from=A&to=B&step=S, at most
** WEB_SWEEP_MAX values): per value the stars, targets met and flags, as
** kaohe whatif --sweep gives them, and its chart. */
static void answer_sweep(web_state *w, const web_request *request, web_reply *reply)
{
    session *run = w->run;
    const char *name = request->argument ? request->argument(request->argument_user, "name") : NULL;
    const char *from_text =
        request->argument ? request->argument(request->argument_user, "from") : NULL;
    double from = 0, to = 0, step = 0;
    whatif_sweep sweep;
    buffer out, svg;
    error e;
    long count, k;
    int status = ERROR_OK;
    char *end;
    if (name == NULL || from_text == NULL || !text_utf8_valid(name, strlen(name), NULL)) {
        reply_error(reply, 400, "give ?name=PARAMETER&from=A&to=B&step=S");
        return;
    }
    from = strtod(from_text, &end);
    if (*end == '\0' && request->argument(request->argument_user, "to") != NULL)
        to = strtod(request->argument(request->argument_user, "to"), &end);
    if (*end == '\0' && request->argument(request->argument_user, "step") != NULL)
        step = strtod(request->argument(request->argument_user, "step"), &end);
    if (*end != '\0' || !(step > 0) || !(to >= from) || !isfinite(from) || !isfinite(to)) {
        reply_error(reply, 400, "a sweep needs numbers FROM <= TO and STEP > 0");
        return;
    }
    count = (long)floor((to - from) / step + 1e-9) + 1;
    if (count > WEB_SWEEP_MAX) {
        char message[96];
        snprintf(message, sizeof message, "a sweep of %ld values; at most %d", count,
                 WEB_SWEEP_MAX);
        reply_error(reply, 400, message);
        return;
    }
    memset(&sweep, 0, sizeof sweep);
    sweep.rules = run->rules;
    sweep.parameter = name;
    sweep.rows = calloc((size_t)count, sizeof *sweep.rows);
    buffer_init(&out);
    buffer_init(&svg);
    error_clear(&e);
    if (sweep.rows == NULL)
        status = error_set(&e, ERROR_SYSTEM, "out of memory");
    for (k = 0; k < count && status == ERROR_OK; k++) {
        char text[64];
        size_t rerun = 0;
        double value = from + step * (double)k;
        snprintf(text, sizeof text, "%.12g", value);
        params_free(&w->scenario);
        status = params_copy(&w->scenario, &run->rules->params, &e);
        if (status == ERROR_OK)
            status = params_set_text(&w->scenario, name, text, &e);
        if (status == ERROR_OK)
            status = rules_check_invariants(run->rules, &w->scenario, run->snapshot->year, &e);
        if (status == ERROR_OK)
            status = eval_refresh(&run->data, &w->scenario, &run->options, &rerun, &e);
        if (status == ERROR_OK)
            status = eval_rescore(&run->data, &w->scenario, &w->scratch, &e);
        if (status == ERROR_OK)
            status = whatif_sweep_row_fill(run->rules, value, &w->scratch, &sweep.rows[k], &e);
        sweep.row_count = (size_t)k + 1;
    }
    if (status != ERROR_OK) {
        reply_error(reply, status == ERROR_SYSTEM ? 500 : 400, e.message);
    } else if (whatif_write_sweep_json(&sweep, &out) != ERROR_OK ||
               whatif_write_sweep_svg(&sweep, run->snapshot, &svg) != ERROR_OK) {
        reply_error(reply, 500, "out of memory");
    } else {
        json_t *rows = json_loads(buffer_text(&out), 0, NULL);
        reply_json(reply, rows != NULL ? 200 : 500,
                   rows != NULL ? json_pack("{s:o,s:s%}", "sweep", rows, "svg", buffer_text(&svg),
                                            svg.length)
                                : json_pack("{s:s}", "error", "out of memory"));
    }
    buffer_free(&out);
    buffer_free(&svg);
    whatif_sweep_free(&sweep);
}

void web_answer(web_state *w, const web_request *request, web_reply *reply)
{
    const char *method = request->method, *path = request->path;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    memset(reply, 0, sizeof *reply);
    buffer_init(&reply->body);
    if (get && (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)) {
        reply->status = 200;
        reply->content_type = "text/html; charset=utf-8";
        buffer_append(&reply->body, (const char *)workbench_html, workbench_html_len);
    } else if (get && strcmp(path, "/api/overview") == 0) {
        answer_overview(w, reply);
    } else if (get && strcmp(path, "/api/communities") == 0) {
        answer_communities(w, reply);
    } else if (get && strcmp(path, "/api/community") == 0) {
        answer_community(w, request, reply);
    } else if (get && strcmp(path, "/api/worker") == 0) {
        answer_explain(w, request, EXPLAIN_WORKER, reply);
    } else if (get && strcmp(path, "/api/task") == 0) {
        answer_explain(w, request, EXPLAIN_TASK, reply);
    } else if (get && strcmp(path, "/api/sweep") == 0) {
        answer_sweep(w, request, reply);
    } else if (get && strcmp(path, "/api/workers") == 0) {
        answer_workers(w, reply);
    } else if (get && strcmp(path, "/api/decisions") == 0) {
        answer_decisions(w, reply);
    } else if (get && strcmp(path, "/api/params") == 0) {
        answer_params(w, reply);
    } else if (strcmp(method, "POST") == 0 && strcmp(path, "/api/whatif") == 0) {
        if (request->body_length > w->limits.max_body_bytes)
            reply_error(reply, 413, "the request is larger than the server takes");
        else
            answer_whatif(w, request->body, request->body_length, reply);
    } else if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/") == 0) {
        reply_error(reply, 405, "this address does not take that method");
    } else {
        reply_error(reply, 404, "no such page");
    }
    if (buffer_failed(&reply->body)) {
        buffer_free(&reply->body);
        buffer_init(&reply->body);
        reply->status = 500;
        reply->content_type = "application/json; charset=utf-8";
        buffer_puts(&reply->body, "{\"error\":\"out of memory\"}");
    }
}
