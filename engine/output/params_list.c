/*
** params_list.c — the parameters of a run as JSON (params_list.h).
*/
#include "params_list.h"

#include <stdlib.h>

json_t *params_list_json(const params *ps)
{
    json_t *list = json_array();
    size_t i;
    if (list == NULL)
        return NULL;
    for (i = 0; i < ps->count; i++) {
        const param *p = &ps->items[i];
        json_t *item = json_object();
        char *value = params_value_text(p, &p->value);
        json_t *parsed = value ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
        if (item == NULL) {
            free(value);
            json_decref(list);
            return NULL;
        }
        json_object_set_new(item, "name", json_string(p->name));
        json_object_set_new(item, "type", json_string(params_type_name(p->type)));
        /* Text values are not JSON: kept as strings. */
        json_object_set_new(item, "value", parsed ? parsed : json_string(value ? value : ""));
        if (p->has_min)
            json_object_set_new(item, "min", json_real(p->min));
        if (p->has_max)
            json_object_set_new(item, "max", json_real(p->max));
        if (p->unit)
            json_object_set_new(item, "unit", json_string(p->unit));
        json_object_set_new(item, "source", p->source ? json_string(p->source) : json_null());
        json_object_set_new(item, "description",
                            p->description ? json_string(p->description) : json_null());
        json_object_set_new(item, "defined_at", json_sprintf("%s:%d", p->file, p->line));
        json_object_set_new(item, "overridden", json_boolean(p->overridden));
        json_array_append_new(list, item);
        free(value);
    }
    return list;
}
