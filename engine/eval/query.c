/*
** query.c — binding and remembering rule query values (query.h).
*/
#include "query.h"

#include <stdlib.h>
#include <string.h>

int query_bind(sqlite3_stmt *statement, const rules_bind *binds, size_t count, const snapshot *s,
               const params *ps)
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
                                       SQLITE_TRANSIENT);
            break;
        }
        }
    }
    return rc;
}

int query_remember(param_value **bound, const rules_bind *binds, size_t count, const params *ps)
{
    size_t i;
    if (*bound == NULL) {
        *bound = calloc(count + 1, sizeof **bound);
        if (*bound == NULL)
            return ERROR_SYSTEM;
    }
    for (i = 0; i < count; i++) {
        param_value *v = &(*bound)[i];
        const param *p;
        if (binds[i].kind != BIND_PARAM)
            continue;
        p = &ps->items[binds[i].param];
        free(v->text);
        memset(v, 0, sizeof *v);
        v->number = p->value.number;
        if (p->value.text != NULL && (v->text = strdup(p->value.text)) == NULL)
            return ERROR_SYSTEM;
    }
    return ERROR_OK;
}

bool query_changed(const param_value *bound, const rules_bind *binds, size_t count,
                   const params *ps)
{
    size_t i;
    if (bound == NULL)
        return true;
    for (i = 0; i < count; i++)
        if (binds[i].kind == BIND_PARAM &&
            !params_value_equal(&ps->items[binds[i].param], &bound[i],
                                &ps->items[binds[i].param].value))
            return true;
    return false;
}

void query_forget(param_value *bound, size_t count)
{
    size_t i;
    if (bound == NULL)
        return;
    for (i = 0; i < count; i++)
        free(bound[i].text);
    free(bound);
}
