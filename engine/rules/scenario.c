/*
** scenario.c — loading and applying scenario files (scenario.h).
*/
#include "scenario.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "scenario_dsl_lua.h"

/* Copy of a text field; NULL when absent or when it holds a NUL byte (C
** strings would cut it short, so such text is refused, not truncated). */
/* Copies string field `key` of the table at `t` into *out (NULL when the
** field is absent or not text). Returns FIELD_OK, FIELD_NUL when the text
** holds a NUL byte (it would be cut short), FIELD_NO_MEMORY. */
enum { FIELD_OK, FIELD_NUL, FIELD_NO_MEMORY };

static int field_copy(lua_State *L, int t, const char *key, char **out)
{
    int result = FIELD_OK;
    size_t length;
    *out = NULL;
    if (lua_getfield(L, t, key) == LUA_TSTRING) {
        const char *text = lua_tolstring(L, -1, &length);
        if (strlen(text) != length)
            result = FIELD_NUL;
        else if ((*out = strdup(text)) == NULL)
            result = FIELD_NO_MEMORY;
    }
    lua_pop(L, 1);
    return result;
}

int scenario_load(const char *path, const sandbox_limits *limits, scenario *out, error *e)
{
    sandbox *sb = NULL;
    rules_sources sources = {0};
    rules_source one;
    lua_State *L;
    int api, t, status, copied;
    lua_Integer n, i;
    memset(out, 0, sizeof *out);
    memset(&one, 0, sizeof one);
    /* Read just this file, through the same UTF-8 checked reader as rules. */
    status = sandbox_open(limits, &sb, e);
    if (status != ERROR_OK)
        goto done;
    L = sandbox_state(sb);
    status = sandbox_run_prelude(sb, (const char *)scenario_dsl_lua, scenario_dsl_lua_len,
                                 "@engine/rules/scenario_dsl.lua", rules_host_open, e);
    if (status != ERROR_OK)
        goto done;
    api = lua_gettop(L);
    status = rules_read_source(path, &one, e);
    if (status != ERROR_OK)
        goto done;
    sources.items = &one;
    sources.count = 1;
    status = rules_run_sources(sb, &sources, e);
    if (status != ERROR_OK)
        goto done;
    if (lua_getfield(L, api, "scenario") != LUA_TTABLE) {
        status = error_set(e, ERROR_INPUT, "%s: no scenario \"...\" { ... } in the file", path);
        goto done;
    }
    t = lua_gettop(L);
    copied = field_copy(L, t, "name", &out->name);
    if (copied == FIELD_OK)
        copied = field_copy(L, t, "description", &out->description);
    if (copied == FIELD_OK)
        copied = field_copy(L, t, "file", &out->file);
    lua_getfield(L, t, "line");
    out->line = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (copied == FIELD_NO_MEMORY) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading the scenario", path);
        goto done;
    }
    if (copied == FIELD_NUL || out->name == NULL || out->name[0] == '\0') {
        status = error_set(e, ERROR_INPUT,
                           "%s:%d: the scenario's name and description must be text without NUL "
                           "bytes",
                           out->file ? out->file : path, out->line);
        goto done;
    }
    lua_getfield(L, t, "sets");
    n = (lua_Integer)lua_rawlen(L, -1);
    out->sets = calloc((size_t)n + 1, sizeof *out->sets);
    if (out->sets == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading the scenario", path);
        goto done;
    }
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        copied = field_copy(L, lua_gettop(L), "name", &out->sets[i - 1].name);
        if (copied == FIELD_OK)
            copied = field_copy(L, lua_gettop(L), "value", &out->sets[i - 1].value);
        out->set_count = (size_t)i;
        lua_pop(L, 1);
        if (copied == FIELD_NO_MEMORY) {
            status = error_set(e, ERROR_SYSTEM, "%s: out of memory reading the scenario", path);
            goto done;
        }
        if (copied == FIELD_NUL || out->sets[i - 1].name == NULL ||
            out->sets[i - 1].value == NULL) {
            status = error_set(e, ERROR_INPUT,
                               "%s:%d: scenario \"%s\": override %lld has a name or value with a "
                               "NUL byte",
                               out->file ? out->file : path, out->line, out->name, (long long)i);
            goto done;
        }
    }
done:
    free(one.path);
    free(one.display);
    free(one.text);
    sandbox_close(sb);
    if (status != ERROR_OK)
        scenario_free(out);
    return status;
}

int scenario_apply(const scenario *s, params *ps, error *e)
{
    size_t i;
    for (i = 0; i < s->set_count; i++) {
        int status = params_set_text(ps, s->sets[i].name ? s->sets[i].name : "?",
                                     s->sets[i].value ? s->sets[i].value : "", e);
        if (status != ERROR_OK) {
            error_prefix(e, "%s:%d: scenario \"%s\"", s->file ? s->file : "?", s->line, s->name);
            return status;
        }
    }
    return ERROR_OK;
}

void scenario_free(scenario *s)
{
    size_t i;
    for (i = 0; i < s->set_count; i++) {
        free(s->sets[i].name);
        free(s->sets[i].value);
    }
    free(s->sets);
    free(s->name);
    free(s->description);
    free(s->file);
    memset(s, 0, sizeof *s);
}
