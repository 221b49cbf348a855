/*
** cmd_params.c — kaohe params [--json]: every policy parameter of the run
** (the rules', the scenario's, --set) with its value, range and source.
*/
#include <jansson.h>
#include <string.h>

#include "cli.h"
#include "jsontext.h"
#include "params_list.h"
#include "text.h"

int cmd_params(const cli_options *o)
{
    session run;
    const params *ps = &run.params;
    buffer out;
    size_t i, name_width = 4;
    int status;
    buffer_init(&out);
    status = cli_start(o, &run, true, true);
    if (status != ERROR_OK)
        goto done;
    if (o->json) {
        json_t *list = params_list_json(ps);
        char *text;
        if (list == NULL) {
            fprintf(stderr, "kaohe: out of memory writing the parameters as JSON\n");
            status = ERROR_SYSTEM;
            goto done;
        }
        text = jsontext_dump(list, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        json_decref(list);
        if (text == NULL) {
            fprintf(stderr, "kaohe: out of memory writing the parameters as JSON\n");
            status = ERROR_SYSTEM;
            goto done;
        }
        printf("%s\n", text);
        free(text);
        goto done;
    }
    for (i = 0; i < ps->count; i++)
        if (strlen(ps->items[i].name) > name_width)
            name_width = strlen(ps->items[i].name);
    for (i = 0; i < ps->count; i++) {
        const param *p = &ps->items[i];
        char *value = params_value_text(p, &p->value);
        char range[80] = "";
        if (p->has_min && p->has_max)
            snprintf(range, sizeof range, "%g..%g", p->min, p->max);
        else if (p->has_min)
            snprintf(range, sizeof range, ">=%g", p->min);
        else if (p->has_max)
            snprintf(range, sizeof range, "<=%g", p->max);
        text_pad(&out, p->name, name_width, false);
        buffer_puts(&out, "  ");
        text_pad(&out, value ? value : "?", 12, false);
        buffer_puts(&out, "  ");
        text_pad(&out, params_type_name(p->type), 8, false);
        buffer_puts(&out, "  ");
        text_pad(&out, range, 10, false);
        buffer_printf(&out, "  %s%s\n", p->source ? p->source : "(no source)",
                      p->overridden ? "  [--set]" : "");
        free(value);
    }
    fwrite(buffer_text(&out), 1, out.length, stdout);
done:
    buffer_free(&out);
    session_free(&run);
    return status;
}
