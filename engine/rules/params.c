/*
** params.c — parameter values, overrides and their JSON form (params.h).
** JSON is read and written with libjansson; keys are sorted so that
** runs.params is byte-identical for identical parameters.
*/
#include "params.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "text.h"

static void params_value_free(param_value *v)
{
    free(v->text);
    free(v->points);
    v->text = NULL;
    v->points = NULL;
    v->point_count = 0;
}

const char *const params_type_names[PARAMS_TYPE_COUNT] = {"number", "integer", "schedule", "string",
                                                          "date"};

const char *params_type_name(param_type t)
{
    return (size_t)t < PARAMS_TYPE_COUNT ? params_type_names[t] : "?";
}

void params_free(params *ps)
{
    size_t i;
    if (ps == NULL)
        return;
    for (i = 0; i < ps->count; i++) {
        param *p = &ps->items[i];
        free(p->name);
        free(p->source);
        free(p->description);
        free(p->unit);
        free(p->file);
        free(p->origin);
        params_value_free(&p->default_value);
        params_value_free(&p->value);
    }
    free(ps->items);
    ps->items = NULL;
    ps->count = 0;
}

int params_find(const params *ps, const char *name)
{
    size_t low = 0, high = ps->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int c = strcmp(ps->items[middle].name, name);
        if (c == 0)
            return (int)middle;
        if (c < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return -1;
}

double params_number(const params *ps, int index)
{
    return ps->items[index].value.number;
}

double params_schedule_interpolate(const schedule_point *points, size_t count, double year)
{
    size_t i;
    if (count == 0)
        return NAN;
    if (year <= points[0].year)
        return points[0].value;
    for (i = 1; i < count; i++) {
        const schedule_point *a = &points[i - 1], *b = &points[i];
        if (year <= b->year)
            return a->value +
                   (b->value - a->value) * (year - a->year) / (double)(b->year - a->year);
    }
    return points[count - 1].value;
}

double params_schedule_at(const params *ps, int index, int year)
{
    const param_value *v = &ps->items[index].value;
    if (v->point_count == 0)
        return 0.0;
    return params_schedule_interpolate(v->points, v->point_count, year);
}

/* Range text for messages: "0..1", ">= 0", "any number". */
static void params_range_text(const param *p, char *out, size_t size)
{
    if (p->has_min && p->has_max)
        snprintf(out, size, "%g..%g", p->min, p->max);
    else if (p->has_min)
        snprintf(out, size, ">= %g", p->min);
    else if (p->has_max)
        snprintf(out, size, "<= %g", p->max);
    else
        snprintf(out, size, "any number");
}

static bool params_in_range(const param *p, double x)
{
    return !(p->has_min && x < p->min) && !(p->has_max && x > p->max);
}

static int schedule_point_compare(const void *a, const void *b)
{
    const schedule_point *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

/* Parses a schedule from JSON text; fills `out` (owned by the caller). */
static int params_parse_schedule(const param *p, const char *text, param_value *out, error *e)
{
    json_error_t json_error;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
    const char *key;
    json_t *value;
    size_t count = 0;
    int status = ERROR_OK;
    char range[64];
    if (root == NULL || !json_is_object(root)) {
        status = error_set(e, ERROR_INPUT,
                           "--set %s: a schedule is a JSON object of year: value, e.g. "
                           "'{\"2020\":0.35,\"2023\":0.6,\"2026\":1.0}'%s%s",
                           p->name, root == NULL ? " (" : "", root == NULL ? json_error.text : "");
        if (root == NULL)
            strncat(e->message, ")", sizeof e->message - strlen(e->message) - 1);
        goto done;
    }
    if (json_object_size(root) == 0) {
        status = error_set(e, ERROR_INPUT, "--set %s: the schedule is empty", p->name);
        goto done;
    }
    out->points = calloc(json_object_size(root), sizeof *out->points);
    if (out->points == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    params_range_text(p, range, sizeof range);
    json_object_foreach(root, key, value)
    {
        char *end;
        long year = strtol(key, &end, 10);
        if (*key == '\0' || *end != '\0' || year < 1900 || year > 2200) {
            status = error_set(e, ERROR_INPUT, "--set %s: '%s' is not a year", p->name, key);
            goto done;
        }
        if (!json_is_number(value) || !isfinite(json_number_value(value))) {
            status = error_set(e, ERROR_INPUT, "--set %s: the value for %s must be a number",
                               p->name, key);
            goto done;
        }
        if (!params_in_range(p, json_number_value(value))) {
            status = error_set(e, ERROR_INPUT, "--set %s: %g for %s is out of range (allowed %s)",
                               p->name, json_number_value(value), key, range);
            goto done;
        }
        out->points[count].year = (int)year;
        out->points[count].value = json_number_value(value);
        count++;
    }
    out->point_count = count;
    qsort(out->points, count, sizeof *out->points, schedule_point_compare);
done:
    json_decref(root);
    return status;
}

/* NAME.YEAR for a schedule parameter: sets (or adds) that year's value.
** Returns 1 when `name` has that form (status in *status), 0 otherwise. */
static int params_set_schedule_year(params *ps, const char *name, const char *text, int *status,
                                    error *e)
{
    const char *dot = strrchr(name, '.');
    char base[256], *end;
    long year;
    double x;
    int index;
    param *p;
    size_t i;
    schedule_point *grown;
    char range[64];
    if (dot == NULL || (size_t)(dot - name) >= sizeof base)
        return 0;
    year = strtol(dot + 1, &end, 10);
    if (dot[1] == '\0' || *end != '\0' || year < 1900 || year > 2200)
        return 0;
    snprintf(base, sizeof base, "%.*s", (int)(dot - name), name);
    index = params_find(ps, base);
    if (index < 0 || ps->items[index].type != PARAM_SCHEDULE)
        return 0;
    p = &ps->items[index];
    params_range_text(p, range, sizeof range);
    x = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !isfinite(x) || !params_in_range(p, x)) {
        *status = error_set(e, ERROR_INPUT, "--set %s=%s: the %ld value must be a number in %s",
                            name, text, year, range);
        return 1;
    }
    for (i = 0; i < p->value.point_count; i++) {
        if (p->value.points[i].year == (int)year) {
            p->value.points[i].value = x;
            p->overridden = true;
            *status = ERROR_OK;
            return 1;
        }
    }
    grown = realloc(p->value.points, (p->value.point_count + 1) * sizeof *grown);
    if (grown == NULL) {
        *status = error_set(e, ERROR_SYSTEM, "out of memory");
        return 1;
    }
    p->value.points = grown;
    p->value.points[p->value.point_count].year = (int)year;
    p->value.points[p->value.point_count].value = x;
    p->value.point_count++;
    qsort(p->value.points, p->value.point_count, sizeof *p->value.points, schedule_point_compare);
    p->overridden = true;
    *status = ERROR_OK;
    return 1;
}

int params_set_text(params *ps, const char *name, const char *text, error *e)
{
    int index = params_find(ps, name);
    param *p;
    param_value v = {0};
    char range[64];
    int status = ERROR_OK;
    if (index < 0 && params_set_schedule_year(ps, name, text, &status, e))
        return status;
    if (index < 0) {
        const char **names = malloc(ps->count * sizeof *names + 1);
        const char *best = NULL;
        size_t i;
        if (names != NULL) {
            for (i = 0; i < ps->count; i++)
                names[i] = ps->items[i].name;
            best = text_suggest(name, names, ps->count);
        }
        if (best != NULL)
            error_set(e, ERROR_INPUT, "--set: unknown parameter '%s' (did you mean '%s'?)", name,
                      best);
        else
            error_set(e, ERROR_INPUT,
                      "--set: unknown parameter '%s' (./kaohe params lists them all)", name);
        free(names);
        return ERROR_INPUT;
    }
    p = &ps->items[index];
    params_range_text(p, range, sizeof range);
    switch (p->type) {
    case PARAM_NUMBER:
    case PARAM_INTEGER: {
        char *end;
        double x = strtod(text, &end);
        /* "5%" where a ratio (0..1) is expected is 0.05, as staff write it;
        ** where the value is not a ratio a percentage is refused. */
        if (*text != '\0' && end != text && isfinite(x) &&
            (strcmp(end, "%") == 0 || strcmp(end, "\xef\xbc\x85") == 0)) {
            if (!(p->has_max && p->max <= 1)) {
                status = error_set(e, ERROR_INPUT,
                                   "--set %s=%s: a percentage is for a ratio (0..1); this value is "
                                   "a plain number (allowed %s)",
                                   name, text, range);
                goto done;
            }
            x /= 100;
            end += strlen(end);
        }
        if (*text == '\0' || *end != '\0' || !isfinite(x)) {
            status = error_set(e, ERROR_INPUT, "--set %s=%s: not a number (allowed %s)", name, text,
                               range);
            goto done;
        }
        if (p->type == PARAM_INTEGER && x != floor(x)) {
            status = error_set(e, ERROR_INPUT, "--set %s=%s: must be a whole number (allowed %s)",
                               name, text, range);
            goto done;
        }
        if (!params_in_range(p, x)) {
            status = error_set(e, ERROR_INPUT, "--set %s=%s: out of range (allowed %s)", name, text,
                               range);
            goto done;
        }
        v.number = x;
        break;
    }
    case PARAM_SCHEDULE:
        status = params_parse_schedule(p, text, &v, e);
        if (status != ERROR_OK)
            goto done;
        break;
    case PARAM_DATE:
        if (!text_date_valid(text)) {
            status = error_set(e, ERROR_INPUT, "--set %s: '%.40s' is not a date YYYY-MM-DD", name,
                               text_utf8_valid(text, strlen(text), NULL) ? text : "(not UTF-8)");
            goto done;
        }
        /* fall through */
    case PARAM_STRING:
        if (!text_utf8_valid(text, strlen(text), NULL)) {
            status = error_set(e, ERROR_INPUT, "--set %s: the value is not valid UTF-8 text", name);
            goto done;
        }
        v.text = strdup(text);
        if (v.text == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        break;
    }
    params_value_free(&p->value);
    p->value = v;
    memset(&v, 0, sizeof v);
    p->overridden = true;
done:
    params_value_free(&v);
    return status;
}

int params_set_assignment(params *ps, const char *assignment, error *e)
{
    const char *equals = strchr(assignment, '=');
    char name[256];
    size_t length;
    if (equals == NULL || equals == assignment) {
        return error_set(e, ERROR_USAGE, "--set needs NAME=VALUE, got '%s'", assignment);
    }
    length = (size_t)(equals - assignment);
    if (length >= sizeof name)
        return error_set(e, ERROR_INPUT, "--set: parameter name too long");
    memcpy(name, assignment, length);
    name[length] = '\0';
    while (length > 0 && name[length - 1] == ' ')
        name[--length] = '\0';
    return params_set_text(ps, name, equals + 1, e);
}

static int params_value_copy(param_value *to, const param_value *from)
{
    memset(to, 0, sizeof *to);
    to->number = from->number;
    if (from->text != NULL && (to->text = strdup(from->text)) == NULL)
        return -1;
    if (from->point_count > 0) {
        to->points = malloc(from->point_count * sizeof *to->points);
        if (to->points == NULL)
            return -1;
        memcpy(to->points, from->points, from->point_count * sizeof *to->points);
        to->point_count = from->point_count;
    }
    return 0;
}

static char *params_strdup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int params_copy(params *to, const params *from, error *e)
{
    size_t i;
    memset(to, 0, sizeof *to);
    to->items = calloc(from->count + 1, sizeof *to->items);
    if (to->items == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (i = 0; i < from->count; i++) {
        const param *f = &from->items[i];
        param *t = &to->items[i];
        *t = *f; /* the scalars; every pointer is replaced by a copy below */
        memset(&t->default_value, 0, sizeof t->default_value);
        memset(&t->value, 0, sizeof t->value);
        t->name = params_strdup(f->name);
        t->source = params_strdup(f->source);
        t->description = params_strdup(f->description);
        t->unit = params_strdup(f->unit);
        t->file = params_strdup(f->file);
        t->origin = params_strdup(f->origin);
        to->count = i + 1;
        /* An optional text that fails to copy is out of memory too: a
        ** parameter must never silently lose its source or origin. */
        if (params_value_copy(&t->default_value, &f->default_value) != 0 ||
            params_value_copy(&t->value, &f->value) != 0 || t->name == NULL ||
            (f->source != NULL && t->source == NULL) ||
            (f->description != NULL && t->description == NULL) ||
            (f->unit != NULL && t->unit == NULL) || (f->file != NULL && t->file == NULL) ||
            (f->origin != NULL && t->origin == NULL)) {
            params_free(to);
            return error_set(e, ERROR_SYSTEM, "out of memory");
        }
    }
    to->count = from->count;
    return ERROR_OK;
}

/* Builds the JSON value of one parameter value (new reference); NULL when
** out of memory (never a value with parts missing). */
static json_t *params_value_json(const param *p, const param_value *v)
{
    json_t *object;
    size_t i;
    switch (p->type) {
    case PARAM_INTEGER:
        return json_integer((json_int_t)v->number);
    case PARAM_NUMBER:
        return json_real(v->number);
    case PARAM_STRING:
    case PARAM_DATE:
        return json_string(v->text != NULL ? v->text : "");
    case PARAM_SCHEDULE:
        object = json_object();
        for (i = 0; object != NULL && i < v->point_count; i++) {
            char year[16];
            snprintf(year, sizeof year, "%d", v->points[i].year);
            /* json_object_set_new() takes the value even when it fails. */
            if (json_object_set_new(object, year, json_real(v->points[i].value)) != 0) {
                json_decref(object);
                object = NULL;
            }
        }
        return object;
    }
    return json_null();
}

char *params_to_json(const params *ps)
{
    json_t *root = json_object();
    char *text = NULL;
    size_t i;
    if (root == NULL)
        return NULL;
    /* Out of memory gives NULL, never runs.params with a parameter left out. */
    for (i = 0; i < ps->count; i++) {
        json_t *value = params_value_json(&ps->items[i], &ps->items[i].value);
        if (value == NULL || json_object_set_new(root, ps->items[i].name, value) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    text = jsontext_dump(root, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    return text;
}

char *params_value_text(const param *p, const param_value *v)
{
    json_t *value = params_value_json(p, v);
    char *text;
    if (value == NULL)
        return NULL;
    if (p->type == PARAM_STRING || p->type == PARAM_DATE) {
        text = strdup(v->text != NULL ? v->text : "");
    } else if (p->type == PARAM_NUMBER || p->type == PARAM_INTEGER) {
        char number[64];
        snprintf(number, sizeof number, "%.15g", v->number);
        text = strdup(number);
    } else {
        text = jsontext_dump(value, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(15));
    }
    json_decref(value);
    return text;
}

bool params_value_equal(const param *p, const param_value *a, const param_value *b)
{
    size_t i;
    switch (p->type) {
    case PARAM_NUMBER:
    case PARAM_INTEGER:
        return a->number == b->number;
    case PARAM_STRING:
    case PARAM_DATE:
        return a->text != NULL && b->text != NULL && strcmp(a->text, b->text) == 0;
    case PARAM_SCHEDULE:
        if (a->point_count != b->point_count)
            return false;
        for (i = 0; i < a->point_count; i++)
            if (a->points[i].year != b->points[i].year || a->points[i].value != b->points[i].value)
                return false;
        return true;
    }
    return false;
}
