/*
** sandbox.c — the Lua sandbox of sandbox.h.
**
** Layout of the state:
**   registry[globals]   the allowed globals (frozen after the prelude runs);
**   registry[env_meta]  the metatable every rule-file environment shares;
**   extra space         a pointer back to the sandbox (for the hook).
** Library tables reach rule code only as read-only proxies, and the string
** metatable's __index is that proxy, so ("x"):rep still works while
** string.rep = nil fails.
*/
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

enum { STOP_NONE = 0, STOP_INSTRUCTIONS, STOP_MEMORY };

/* The count hook runs every HOOK_STEP instructions until a limit is hit,
** then every instruction. */
#define HOOK_STEP 1000
/* Largest string string.rep may build, independently of the memory cap. */
#define REP_MAX_BYTES ((size_t)64 << 20)

struct sandbox {
    lua_State *L;     /* the state; owned */
    size_t used;      /* bytes currently allocated by the state */
    size_t limit;     /* cap on `used` */
    long long budget; /* instructions allowed per run */
    long long spent;  /* instructions used by the current run */
    int stop;         /* STOP_*: why the current run must end */
    int globals_ref;  /* registry reference to the allowed globals */
    int env_meta_ref; /* registry reference to the environment metatable */
    char where[256];  /* "file:line" last seen by the hook, for memory stops */
};

static sandbox *sandbox_from_state(lua_State *L)
{
    return *(sandbox **)lua_getextraspace(L);
}

/*
** lua_Alloc with a cap: growth past `limit` is refused (Lua then raises a
** memory error) and remembered so the hook keeps stopping the rule.
*/
static void *sandbox_alloc(void *user, void *pointer, size_t old_size, size_t new_size)
{
    sandbox *sb = user;
    void *grown;
    if (pointer == NULL)
        old_size = 0; /* old_size is a type tag for new blocks */
    if (new_size == 0) {
        free(pointer);
        sb->used -= old_size;
        return NULL;
    }
    if (new_size > old_size && sb->used - old_size + new_size > sb->limit) {
        sb->stop = STOP_MEMORY;
        return NULL;
    }
    grown = realloc(pointer, new_size);
    if (grown == NULL)
        return NULL;
    sb->used = sb->used - old_size + new_size;
    return grown;
}

/* Count hook: charges instructions; raises (stickily) once a limit is hit. */
static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
    sandbox *sb = sandbox_from_state(L);
    int line = -1;
    const char *source = "?";
    if (lua_getinfo(L, "Sl", ar)) {
        line = ar->currentline;
        source = ar->short_src;
        if (line > 0)
            snprintf(sb->where, sizeof sb->where, "%s:%d", source, line);
    }
    if (sb->stop == STOP_NONE) {
        sb->spent += HOOK_STEP;
        if (sb->spent <= sb->budget)
            return;
        sb->stop = STOP_INSTRUCTIONS;
    }
    lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 1); /* sticky: raise on every instruction */
    if (sb->stop == STOP_INSTRUCTIONS)
        lua_pushfstring(L, "%s:%d: instruction limit of %I exceeded (an endless loop?)", source,
                        line, (lua_Integer)sb->budget);
    else
        lua_pushfstring(L, "%s:%d: memory limit of %I MB exceeded", source, line,
                        (lua_Integer)(sb->limit >> 20));
    lua_error(L);
}

/*
** Charges `cost` instructions for work done in C (string functions), which
** the count hook never sees; raises (stickily) when the budget is spent.
** About 4 bytes of text handled cost one instruction, a pattern step one.
*/
static void sandbox_charge(lua_State *L, double cost)
{
    sandbox *sb = sandbox_from_state(L);
    if (sb->budget <= 0 || cost <= 0)
        return;
    sb->spent += cost > 1e15 ? (long long)1e15 : (long long)cost;
    if (sb->spent <= sb->budget)
        return;
    sb->stop = STOP_INSTRUCTIONS;
    lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 1); /* sticky */
    luaL_where(L, 1);
    lua_pushfstring(L,
                    "instruction limit of %I exceeded (text work in string functions counts "
                    "too)",
                    (lua_Integer)sb->budget);
    lua_concat(L, 2);
    lua_error(L);
}

/* Resets the per-run budget before a chunk or call. */
static void sandbox_arm(sandbox *sb)
{
    sb->spent = 0;
    sb->stop = STOP_NONE;
    lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, HOOK_STEP);
}

static void sandbox_disarm(sandbox *sb)
{
    lua_sethook(sb->L, NULL, 0, 0);
}

/*
** Message handler: makes sure the message is a string that starts with the
** rule file and line. Errors raised inside the prelude on behalf of a rule
** already carry the rule's position (error(msg, level)).
*/
static int sandbox_message_handler(lua_State *L)
{
    const char *message = lua_tostring(L, 1);
    lua_Debug ar;
    int level;
    if (message == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        message = lua_tostring(L, -1);
    }
    if (strstr(message, ".lua:") != NULL)
        return 1;
    for (level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && ar.source[0] == '@' &&
            strncmp(ar.source, "@engine/", 8) != 0) {
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, message);
            return 1;
        }
    }
    return 1;
}

/* Runs the function under `nargs` arguments with the message handler and the
** limits; converts failures into `e`. */
static int sandbox_protected_call(sandbox *sb, int nargs, int nresults, error *e)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs; /* function index */
    int status, result;
    lua_pushcfunction(L, sandbox_message_handler);
    lua_insert(L, base); /* put the handler under function and args */
    sandbox_arm(sb);
    status = lua_pcall(L, nargs, nresults, base);
    sandbox_disarm(sb);
    lua_remove(L, base); /* remove the handler */
    if (status == LUA_OK && sb->stop == STOP_NONE)
        return ERROR_OK;
    if (status == LUA_OK) {
        /* The rule swallowed the stop with pcall and returned: still a stop. */
        lua_pop(L, nresults == LUA_MULTRET ? 0 : nresults);
        status = LUA_ERRRUN;
        lua_pushstring(L, sb->stop == STOP_MEMORY ? "memory limit exceeded"
                                                  : "instruction limit exceeded");
    }
    if (status == LUA_ERRMEM && sb->stop != STOP_MEMORY) {
        /* Not the cap (sandbox_alloc sets STOP_MEMORY when it refuses): the
        ** machine's allocator failed, even after Lua's emergency collection. */
        result =
            error_set(e, ERROR_SYSTEM, "%s%sout of memory", sb->where, sb->where[0] ? ": " : "");
    } else if (status == LUA_ERRMEM || (sb->stop == STOP_MEMORY && status != LUA_OK)) {
        result = error_set(e, ERROR_INPUT,
                           "%s%smemory limit of %zu MB exceeded (a rule builds too much data)",
                           sb->where, sb->where[0] ? ": " : "", sb->limit >> 20);
    } else {
        const char *message = lua_tostring(L, -1);
        result =
            error_set(e, ERROR_INPUT, "%s", message != NULL ? message : "error without a message");
    }
    lua_pop(L, 1);
    sb->stop = STOP_NONE;
    return result;
}

/* string.rep with a size cap checked before anything is allocated. */
static int sandbox_string_rep(lua_State *L)
{
    size_t length, separator_length = 0;
    const char *text = luaL_checklstring(L, 1, &length);
    lua_Integer count = luaL_checkinteger(L, 2);
    const char *separator = luaL_optlstring(L, 3, "", &separator_length);
    (void)text;
    (void)separator;
    if (count > 0) {
        sandbox *sb = sandbox_from_state(L);
        double total = (double)count * (double)(length + separator_length);
        if (total > (double)REP_MAX_BYTES)
            return luaL_error(L, "string.rep would build %f bytes (more than %d MB)", total,
                              (int)(REP_MAX_BYTES >> 20));
        if (total > (double)(sb->limit - sb->used))
            return luaL_error(L, "string.rep would build %f bytes: memory limit of %d MB exceeded",
                              total, (int)(sb->limit >> 20));
    }
    if (count > 0)
        sandbox_charge(L, (double)count * (double)(length + separator_length) / 4);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original string.rep */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* A string or table function whose work grows with its text: the bytes of
** its arguments and results are charged to the budget. Upvalue 1: the
** original function. */
static int sandbox_metered(lua_State *L)
{
    int n = lua_gettop(L), i, results;
    double bytes = 0;
    for (i = 1; i <= n; i++)
        if (lua_type(L, i) == LUA_TSTRING)
            bytes += (double)lua_rawlen(L, i);
    sandbox_charge(L, bytes / 4);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    results = lua_gettop(L);
    bytes = 0;
    for (i = 1; i <= results; i++)
        if (lua_type(L, i) == LUA_TSTRING)
            bytes += (double)lua_rawlen(L, i);
    sandbox_charge(L, bytes / 4);
    return results;
}

/*
** xpcall(f, handler, ...) for rules: f runs under pcall and the handler is
** called afterwards, with the error, in ordinary code. Lua runs a message
** handler with hooks disabled when the error came from the instruction
** hook, so a handler that loops could never be stopped otherwise.
*/
static int sandbox_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    int status;
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1); /* f */
    lua_rotate(L, 3, 1); /* put f under the extra arguments */
    status = lua_pcall(L, n - 2, LUA_MULTRET, 0);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_replace(L, 2); /* true where the handler was */
        return lua_gettop(L) - 1;
    }
    lua_pushvalue(L, 2); /* handler */
    lua_insert(L, -2);   /* under the error */
    lua_call(L, 1, 1);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* setmetatable for rules: no __gc. Finalizers run during garbage collection
** and at close, outside the instruction budget. */
static int sandbox_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "rule files cannot use __gc (finalizers run outside the rule's "
                                 "limits)");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original setmetatable */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/*
** string.find/match/gmatch/gsub for rules. Lua patterns backtrack in C,
** where the instruction hook never runs, so the work is estimated up front:
** about n^(q+1) steps for a text of n bytes and a pattern with q
** repetitions (*, +, -, ?), n^q when anchored with ^. Work beyond
** PATTERN_MAX_STEPS is refused.
*/
#define PATTERN_MAX_STEPS 1e9

static int sandbox_pattern(lua_State *L)
{
    size_t n, length, i;
    const char *pattern;
    double steps;
    int repetitions = 0;
    luaL_checklstring(L, 1, &n);
    pattern = luaL_checklstring(L, 2, &length);
    if (lua_type(L, lua_upvalueindex(2)) == LUA_TBOOLEAN && lua_toboolean(L, 4)) {
        /* find(s, p, init, true): a plain search, no pattern. */
    } else {
        for (i = 0; i < length; i++) {
            if (pattern[i] == '%') {
                i++;
                continue;
            }
            if (pattern[i] == '*' || pattern[i] == '+' || pattern[i] == '-' || pattern[i] == '?')
                repetitions++;
        }
    }
    steps = pow((double)n + 1, repetitions + (length > 0 && pattern[0] == '^' ? 0 : 1));
    if (repetitions > 0 && steps > PATTERN_MAX_STEPS)
        return luaL_error(L,
                          "%s: the pattern has %d repetitions and the text %d bytes: too much "
                          "work for a rule (simplify the pattern or shorten the text)",
                          lua_tostring(L, lua_upvalueindex(3)), repetitions, (int)n);
    sandbox_charge(L, repetitions > 0 ? steps : (double)n / 4);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original function */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* print() in a rule writes to stderr, prefixed, never to the report. */
static int sandbox_print(lua_State *L)
{
    int n = lua_gettop(L);
    int i;
    luaL_where(L, 1);
    fprintf(stderr, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    for (i = 1; i <= n; i++) {
        const char *text = luaL_tolstring(L, i, NULL);
        fprintf(stderr, "%s%s", i > 1 ? "\t" : "", text);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

/* __index of the read-only proxies and of a frozen table. */
static int sandbox_readonly_newindex(lua_State *L)
{
    return luaL_error(L, "cannot change '%s': library tables are read-only in rule files",
                      luaL_tolstring(L, 2, NULL));
}

/* Pushes a read-only proxy of the table at `index`. Stack: [-0, +1]. */
static void sandbox_push_proxy(lua_State *L, int index)
{
    index = lua_absindex(L, index);
    lua_newtable(L); /* the proxy */
    lua_newtable(L); /* its metatable */
    lua_pushvalue(L, index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, sandbox_readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* Environment __index: allowed globals, `_G` as the environment itself,
** anything else is an error with a suggestion. */
static int sandbox_env_index(lua_State *L)
{
    sandbox *sb = sandbox_from_state(L);
    const char *name;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->globals_ref);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL)
        return 1;
    name = lua_tostring(L, 2);
    if (name != NULL && strcmp(name, "_G") == 0) {
        lua_pushvalue(L, 1);
        return 1;
    }
    if (name == NULL)
        return luaL_error(L, "unknown global (a %s key)", luaL_typename(L, 2));
    {
        /* Collect the allowed names for "did you mean". */
        const char *names[256];
        size_t count = 0;
        const char *best;
        lua_pushnil(L);
        while (lua_next(L, -3) != 0 && count < 256) {
            if (lua_type(L, -2) == LUA_TSTRING)
                names[count++] = lua_tostring(L, -2);
            lua_pop(L, 1);
        }
        best = text_suggest(name, names, count);
        if (best != NULL)
            return luaL_error(L, "unknown name '%s' (did you mean '%s'?)", name, best);
        return luaL_error(L,
                          "unknown name '%s': rule files may use only the rule DSL and the "
                          "base, string, table, math and utf8 libraries",
                          name);
    }
}

static int sandbox_env_newindex(lua_State *L)
{
    return luaL_error(L, "rule files cannot set the global '%s' (declare it with 'local')",
                      luaL_tolstring(L, 2, NULL));
}

/* Builds the allowed globals from the opened libraries. */
static void sandbox_build_globals(sandbox *sb)
{
    static const char *const base_names[] = {
        "assert", "error",    "ipairs",       "next",         "pairs",    "pcall",
        "select", "tonumber", "tostring",     "type",         "xpcall",   "rawequal",
        "rawlen", "rawget",   "setmetatable", "getmetatable", "_VERSION", NULL};
    static const char *const libraries[] = {"table", "math", "utf8", NULL};
    lua_State *L = sb->L;
    int i;
    lua_newtable(L); /* allowed globals */
    for (i = 0; base_names[i] != NULL; i++) {
        lua_getglobal(L, base_names[i]);
        lua_setfield(L, -2, base_names[i]);
    }
    lua_pushcfunction(L, sandbox_print);
    lua_setfield(L, -2, "print");
    lua_pushcfunction(L, sandbox_xpcall);
    lua_setfield(L, -2, "xpcall");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, sandbox_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    /* The real string table loses dump (nobody needs it). Rule code sees a
    ** copy whose rep and pattern functions are guarded; the prelude keeps
    ** the real ones. */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_newtable(L); /* the rules' string table */
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, -4);
    }
    lua_getfield(L, -1, "rep");
    lua_pushcclosure(L, sandbox_string_rep, 1);
    lua_setfield(L, -2, "rep");
    {
        static const char *const pattern_functions[] = {"find", "match", "gmatch", "gsub", NULL};
        for (i = 0; pattern_functions[i] != NULL; i++) {
            lua_getfield(L, -1, pattern_functions[i]);
            lua_pushboolean(L, strcmp(pattern_functions[i], "find") == 0); /* has a plain flag */
            lua_pushfstring(L, "string.%s", pattern_functions[i]);
            lua_pushcclosure(L, sandbox_pattern, 3);
            lua_setfield(L, -2, pattern_functions[i]);
        }
    }
    {
        static const char *const metered[] = {"upper",  "lower", "reverse", "sub",
                                              "format", "byte",  "char",    NULL};
        for (i = 0; metered[i] != NULL; i++) {
            lua_getfield(L, -1, metered[i]);
            lua_pushcclosure(L, sandbox_metered, 1);
            lua_setfield(L, -2, metered[i]);
        }
    }
    sandbox_push_proxy(L, -1);
    lua_setfield(L, -4, "string"); /* globals.string = proxy of the rules' table */
    /* ("x"):upper() goes through the same proxy; getmetatable("") is locked. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        sandbox_push_proxy(L, -3);
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "locked");
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 3); /* "", rules' string table, real string table */
    lua_getglobal(L, "math");
    lua_pushnil(L);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    for (i = 0; libraries[i] != NULL; i++) {
        lua_getglobal(L, libraries[i]);
        lua_newtable(L); /* the rules' copy */
        lua_pushnil(L);
        while (lua_next(L, -3) != 0) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, -4);
        }
        if (strcmp(libraries[i], "table") == 0) {
            lua_getfield(L, -1, "concat");
            lua_pushcclosure(L, sandbox_metered, 1);
            lua_setfield(L, -2, "concat");
        }
        sandbox_push_proxy(L, -1);
        lua_setfield(L, -4, libraries[i]);
        lua_pop(L, 2);
    }
    sb->globals_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_newtable(L); /* metatable of every rule-file environment */
    lua_pushcfunction(L, sandbox_env_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, sandbox_env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    sb->env_meta_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    /* Remove what must never be reachable, even by the prelude. */
    static const char *const removed[] = {"dofile", "loadfile", "collectgarbage",
                                          "rawset", "require",  NULL};
    for (i = 0; removed[i] != NULL; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
}

/* Opens the allowed libraries and builds the sandbox's globals (run with
** lua_pcall by sandbox_open). */
static int open_libraries(lua_State *L)
{
    static const luaL_Reg libraries[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    const luaL_Reg *library;
    for (library = libraries; library->func != NULL; library++) {
        luaL_requiref(L, library->name, library->func, 1);
        lua_pop(L, 1);
    }
    sandbox_build_globals(*(sandbox **)lua_getextraspace(L));
    return 0;
}

int sandbox_open(const sandbox_limits *limits, sandbox **out, error *e)
{
    sandbox *sb = NULL;
    int status = ERROR_OK;
    *out = NULL;
    sb = calloc(1, sizeof *sb);
    if (sb == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory creating the rule sandbox");
        goto done;
    }
    sb->limit = limits != NULL && limits->memory_bytes > 0
                    ? limits->memory_bytes
                    : (size_t)SANDBOX_DEFAULT_MEMORY_MB << 20;
    sb->budget = limits != NULL && limits->instructions > 0 ? limits->instructions
                                                            : SANDBOX_DEFAULT_INSTRUCTIONS;
    sb->L = lua_newstate(sandbox_alloc, sb);
    if (sb->L == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory creating the Lua state");
        goto done;
    }
    *(sandbox **)lua_getextraspace(sb->L) = sb;
    /* Protected: opening the libraries allocates, and a failure outside a
    ** protected call would abort the process from Lua's panic handler. */
    lua_pushcfunction(sb->L, open_libraries);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        status = error_set(e, ERROR_SYSTEM, "cannot create the rule sandbox: %s",
                           lua_tostring(sb->L, -1) ? lua_tostring(sb->L, -1) : "out of memory");
        goto done;
    }
    *out = sb;
    sb = NULL;
done:
    sandbox_close(sb);
    return status;
}

void sandbox_close(sandbox *sb)
{
    if (sb == NULL)
        return;
    if (sb->L != NULL)
        lua_close(sb->L);
    free(sb);
}

lua_State *sandbox_state(sandbox *sb)
{
    return sb->L;
}

/* Makes the globals table read-only (run with lua_pcall by
** sandbox_run_prelude: it allocates). The globals table is reached only
** through sandbox_env_index (rawget) and is never handed to rule code, so
** freezing it means protecting its metatable against the prelude's later
** mistakes as well. */
static int freeze_globals(lua_State *L)
{
    sandbox *sb = sandbox_from_state(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->globals_ref);
    lua_newtable(L);
    lua_pushcfunction(L, sandbox_readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    return 0;
}

/* The file name in a chunk name ("@file" form) for messages. */
static const char *chunk_file(const char *chunkname)
{
    return chunkname[0] == '@' ? chunkname + 1 : chunkname;
}

/* Loads a text chunk; on success the function is on the stack. */
static int sandbox_load(sandbox *sb, const char *text, size_t length, const char *chunkname,
                        error *e)
{
    int status;
    sb->stop = STOP_NONE;
    status = luaL_loadbufferx(sb->L, text, length, chunkname, "t");
    if (status == LUA_OK)
        return ERROR_OK;
    if (status == LUA_ERRMEM && sb->stop != STOP_MEMORY) /* the machine, not the cap */
        status =
            error_set(e, ERROR_SYSTEM, "%s: out of memory while loading", chunk_file(chunkname));
    else if (status == LUA_ERRMEM)
        status = error_set(e, ERROR_INPUT, "%s: memory limit exceeded while loading",
                           chunk_file(chunkname));
    else
        status = error_set(e, ERROR_INPUT, "%s", lua_tostring(sb->L, -1));
    lua_pop(sb->L, 1);
    sb->stop = STOP_NONE;
    return status;
}

/* Gives the chunk (argument 1) its own environment table, whose lookups go
** to the sandbox's globals. Run protected: it allocates, and out of memory
** outside a protected call would be Lua's panic abort. */
static int set_file_environment(lua_State *L)
{
    sandbox *sb = sandbox_from_state(L);
    lua_newtable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->env_meta_ref);
    lua_setmetatable(L, -2);
    if (lua_setupvalue(L, 1, 1) == NULL) /* _ENV of the main chunk */
        lua_pop(L, 1);
    return 0;
}

int sandbox_run_file(sandbox *sb, const char *text, size_t length, const char *chunkname, error *e)
{
    lua_State *L = sb->L;
    int top = lua_gettop(L);
    int status = sandbox_load(sb, text, length, chunkname, e);
    if (status != ERROR_OK)
        goto done;
    snprintf(sb->where, sizeof sb->where, "%s", chunk_file(chunkname));
    lua_pushcfunction(L, set_file_environment);
    lua_pushvalue(L, -2); /* the chunk */
    status = sandbox_protected_call(sb, 1, 0, e);
    if (status == ERROR_OK)
        status = sandbox_protected_call(sb, 0, 0, e);
done:
    lua_settop(L, top);
    return status;
}

int sandbox_run_prelude(sandbox *sb, const char *text, size_t length, const char *chunkname,
                        lua_CFunction host, error *e)
{
    lua_State *L = sb->L;
    int top = lua_gettop(L);
    int status = sandbox_load(sb, text, length, chunkname, e);
    if (status != ERROR_OK)
        goto done;
    snprintf(sb->where, sizeof sb->where, "%s", chunk_file(chunkname));
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->globals_ref); /* argument 1 */
    /* Every step that allocates runs protected: out of memory here is an
    ** error to report, never Lua's panic (which aborts the process). */
    lua_pushcfunction(L, host);
    status = sandbox_protected_call(sb, 0, 1, e); /* argument 2 */
    if (status != ERROR_OK)
        goto done;
    status = sandbox_protected_call(sb, 2, 1, e);
    if (status != ERROR_OK)
        goto done;
    lua_pushcfunction(L, freeze_globals);
    status = sandbox_protected_call(sb, 0, 0, e);
done:
    if (status != ERROR_OK)
        lua_settop(L, top);
    return status;
}

void sandbox_rules_done(sandbox *sb)
{
    sb->limit += (size_t)SANDBOX_HOST_RESERVE_MB << 20;
}

int sandbox_call(sandbox *sb, int nargs, int nresults, error *e)
{
    return sandbox_protected_call(sb, nargs, nresults, e);
}
