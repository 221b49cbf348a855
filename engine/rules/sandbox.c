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
**
** Rule code reaches exactly the functions of ALLOWED below, each wrapped to
** charge the instruction budget for the work it does in C, where the count
** hook never runs. The prelude (trusted host code) keeps the real ones.
*/
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "text.h"

/* How a library function's work in C is charged (one instruction for about
** four bytes of text, one element moved, or one pattern step). */
typedef enum {
    COST_CONSTANT, /* fixed work: math, type, next... */
    COST_TEXT,     /* bytes of text arguments before, of text results after */
    COST_LENGTH,   /* the table's length (insert, remove shift elements) */
    COST_SORT,     /* n log n of the table's length */
    COST_SPAN_2_3, /* arguments 2..3 are a range of positions (move, unpack) */
    COST_SPAN_3_4, /* arguments 3..4 are a range of positions (concat) */
    COST_PATTERN,  /* Lua patterns backtrack in C: estimated up front */
    COST_REP,      /* string.rep: the size it would build, checked first */
    COST_OWN       /* replaced by a function of this file */
} cost_kind;

typedef struct allowed_function {
    const char *library; /* NULL for the base library */
    const char *name;
    cost_kind cost;
} allowed_function;

/* Everything rule code may call; anything not listed does not exist for it
** (io, os, debug, require, load, dofile, collectgarbage, rawset,
** string.dump, math.random: no file, clock or random source). */
static const allowed_function ALLOWED[] = {{NULL, "assert", COST_TEXT},
                                           {NULL, "error", COST_CONSTANT},
                                           {NULL, "getmetatable", COST_CONSTANT},
                                           {NULL, "ipairs", COST_CONSTANT},
                                           {NULL, "next", COST_CONSTANT},
                                           {NULL, "pairs", COST_CONSTANT},
                                           {NULL, "pcall", COST_CONSTANT},
                                           {NULL, "print", COST_OWN},
                                           {NULL, "rawequal", COST_TEXT},
                                           {NULL, "rawget", COST_CONSTANT},
                                           {NULL, "rawlen", COST_CONSTANT},
                                           {NULL, "select", COST_CONSTANT},
                                           {NULL, "setmetatable", COST_OWN},
                                           {NULL, "tonumber", COST_TEXT},
                                           {NULL, "tostring", COST_TEXT},
                                           {NULL, "type", COST_CONSTANT},
                                           {NULL, "xpcall", COST_OWN},
                                           {"string", "byte", COST_TEXT},
                                           {"string", "char", COST_TEXT},
                                           {"string", "find", COST_PATTERN},
                                           {"string", "format", COST_TEXT},
                                           {"string", "gmatch", COST_PATTERN},
                                           {"string", "gsub", COST_PATTERN},
                                           {"string", "len", COST_CONSTANT},
                                           {"string", "lower", COST_TEXT},
                                           {"string", "match", COST_PATTERN},
                                           {"string", "pack", COST_TEXT},
                                           {"string", "packsize", COST_TEXT},
                                           {"string", "rep", COST_REP},
                                           {"string", "reverse", COST_TEXT},
                                           {"string", "sub", COST_TEXT},
                                           {"string", "unpack", COST_TEXT},
                                           {"string", "upper", COST_TEXT},
                                           {"table", "concat", COST_SPAN_3_4},
                                           {"table", "insert", COST_LENGTH},
                                           {"table", "move", COST_SPAN_2_3},
                                           {"table", "pack", COST_CONSTANT},
                                           {"table", "remove", COST_LENGTH},
                                           {"table", "sort", COST_SORT},
                                           {"table", "unpack", COST_SPAN_2_3},
                                           {"math", "abs", COST_CONSTANT},
                                           {"math", "acos", COST_CONSTANT},
                                           {"math", "asin", COST_CONSTANT},
                                           {"math", "atan", COST_CONSTANT},
                                           {"math", "ceil", COST_CONSTANT},
                                           {"math", "cos", COST_CONSTANT},
                                           {"math", "deg", COST_CONSTANT},
                                           {"math", "exp", COST_CONSTANT},
                                           {"math", "floor", COST_CONSTANT},
                                           {"math", "fmod", COST_CONSTANT},
                                           {"math", "log", COST_CONSTANT},
                                           {"math", "max", COST_CONSTANT},
                                           {"math", "min", COST_CONSTANT},
                                           {"math", "modf", COST_CONSTANT},
                                           {"math", "rad", COST_CONSTANT},
                                           {"math", "sin", COST_CONSTANT},
                                           {"math", "sqrt", COST_CONSTANT},
                                           {"math", "tan", COST_CONSTANT},
                                           {"math", "tointeger", COST_CONSTANT},
                                           {"math", "type", COST_CONSTANT},
                                           {"math", "ult", COST_CONSTANT},
                                           {"utf8", "char", COST_TEXT},
                                           {"utf8", "codepoint", COST_TEXT},
                                           {"utf8", "codes", COST_TEXT},
                                           {"utf8", "len", COST_TEXT},
                                           {"utf8", "offset", COST_TEXT},
                                           {NULL, NULL, COST_CONSTANT}};

/* Values (not functions) rule code may read. */
static const char *const ALLOWED_VALUES[][2] = {{NULL, "_VERSION"},
                                                {"math", "huge"},
                                                {"math", "maxinteger"},
                                                {"math", "mininteger"},
                                                {"math", "pi"},
                                                {"utf8", "charpattern"},
                                                {NULL, NULL}};

/* What the prelude itself must never reach either. */
static const char *const REMOVED_GLOBALS[] = {"dofile", "loadfile", "collectgarbage",
                                              "rawset", "require",  NULL};

enum { STOP_NONE = 0, STOP_INSTRUCTIONS, STOP_MEMORY, STOP_TIME };

/* The count hook runs every HOOK_STEP instructions until a limit is hit,
** then every instruction. */
#define HOOK_STEP 1000
/* No single value (a string, a table's array) may take more than this
** share of the memory cap: work on one long string (==, .., tonumber) is a
** single instruction for the count hook, so its size bounds the time one
** instruction can take. */
#define VALUE_SHARE 16
/* When the instructions between two hook calls took longer than this (long
** strings compared), the hook runs more often. */
#define SLOW_HOOK_SECONDS 0.005
/* A constant-cost call is charged this many instructions. */
#define CALL_COST 10
/* What one comparison of table.sort is charged, in instructions. */
#define SORT_COMPARE_COST 8

struct sandbox {
    lua_State *L;          /* the state; owned */
    size_t used;           /* bytes currently allocated by the state */
    size_t limit;          /* cap on `used` */
    size_t refused;        /* size of the last refused growth, while Lua's
                           ** emergency collection may still make room */
    long long budget;      /* instructions allowed per run */
    long long spent;       /* instructions used by the current run */
    double seconds;        /* CPU seconds allowed for all runs */
    double seconds_spent;  /* CPU seconds used by earlier runs */
    struct timespec armed; /* thread CPU clock when the current run began */
    double last_hook;      /* CPU seconds into the run at the last hook call */
    size_t print_limit;    /* bytes print may write, in all */
    size_t printed;        /* bytes print has written */
    size_t text_limit;     /* longest text the DSL takes from a rule */
    int stop;              /* STOP_*: why the current run must end */
    int globals_ref;       /* registry reference to the allowed globals */
    int env_meta_ref;      /* registry reference to the environment metatable */
    char where[256];       /* "file:line" of the rule last seen by the hook */
};

static sandbox *sandbox_from_state(lua_State *L)
{
    return *(sandbox **)lua_getextraspace(L);
}

static double cpu_seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
** lua_Alloc with a cap. Growth past `limit` is refused; Lua then collects
** garbage in an emergency and asks again for the same size. Only when that
** second request fails too is the rule stopped (stickily, so its own pcall
** cannot swallow the stop): a rule is not blamed for garbage.
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
    if (new_size > old_size &&
        (sb->used - old_size + new_size > sb->limit || new_size > sb->limit / VALUE_SHARE)) {
        if (sb->refused == new_size)
            sb->stop = STOP_MEMORY; /* refused again after the emergency collection */
        sb->refused = new_size;
        /* Lua raises a memory error without calling any handler: remember
        ** the rule's line now (reading the stack allocates nothing). */
        if (sb->L != NULL)
            sandbox_rule_where(sb->L, sb->where, sizeof sb->where);
        return NULL;
    }
    grown = realloc(pointer, new_size);
    if (grown == NULL)
        return NULL;
    if (new_size == sb->refused)
        sb->refused = 0; /* the emergency collection made room */
    sb->used = sb->used - old_size + new_size;
    return grown;
}

void sandbox_rule_where(lua_State *L, char *out, size_t size)
{
    lua_Debug ar;
    int level;
    out[0] = '\0';
    for (level = 0; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && ar.source[0] == '@' &&
            strncmp(ar.source, "@engine/", 8) != 0) {
            snprintf(out, size, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

static void sandbox_hook(lua_State *L, lua_Debug *ar);

/* Raises the current stop at the rule's line, and makes it sticky: the
** hook raises again on every instruction until the run ends, so a rule's
** own pcall cannot swallow it. */
static int sandbox_raise_stop(lua_State *L, sandbox *sb)
{
    char where[256];
    sandbox_rule_where(L, where, sizeof where);
    if (where[0] != '\0')
        memcpy(sb->where, where, sizeof where);
    switch (sb->stop) {
    case STOP_INSTRUCTIONS:
        lua_pushfstring(L,
                        "%s: instruction limit of %I exceeded (an endless loop, or too much "
                        "text or table work; --rule-instructions raises it)",
                        sb->where, (lua_Integer)sb->budget);
        break;
    case STOP_TIME:
        lua_pushfstring(L,
                        "%s: rule code ran for more than %f CPU seconds (rule files need "
                        "milliseconds; --rule-seconds raises it)",
                        sb->where, sb->seconds);
        break;
    default:
        lua_pushfstring(L,
                        "%s: memory limit of %I MB exceeded, or one value larger than %I MB (a "
                        "rule builds too much data; --rule-memory-mb raises both)",
                        sb->where, (lua_Integer)(sb->limit >> 20),
                        (lua_Integer)((sb->limit / VALUE_SHARE) >> 20));
        break;
    }
    lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 1);
    return lua_error(L);
}

/* Count hook: charges instructions and CPU time; raises once a limit is
** hit. Remembers the rule's line for memory stops, which Lua raises
** without calling any handler. */
static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
    sandbox *sb = sandbox_from_state(L);
    (void)ar;
    if (sb->stop == STOP_NONE) {
        sandbox_rule_where(L, sb->where, sizeof sb->where);
        double run_seconds = cpu_seconds_since(&sb->armed);
        sb->spent += HOOK_STEP;
        if (run_seconds - sb->last_hook > SLOW_HOOK_SECONDS)
            lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 10); /* slow instructions */
        sb->last_hook = run_seconds;
        if (sb->spent > sb->budget)
            sb->stop = STOP_INSTRUCTIONS;
        else if (sb->seconds_spent + run_seconds > sb->seconds)
            sb->stop = STOP_TIME;
        else
            return;
    }
    sandbox_raise_stop(L, sb);
}

/* Charges `cost` instructions for work done in C; raises when the budget
** is spent (before the work, when charged up front). */
static void sandbox_charge(lua_State *L, double cost)
{
    sandbox *sb = sandbox_from_state(L);
    if (sb->budget <= 0 || cost <= 0)
        return;
    sb->spent += cost > 1e15 ? (long long)1e15 : (long long)cost;
    if (sb->spent <= sb->budget)
        return;
    sb->stop = STOP_INSTRUCTIONS;
    sandbox_raise_stop(L, sb);
}

/* Resets the per-run budget before a chunk or call. */
static void sandbox_arm(sandbox *sb)
{
    sb->spent = 0;
    sb->stop = STOP_NONE;
    sb->refused = 0;
    sb->last_hook = 0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &sb->armed);
    lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, HOOK_STEP);
}

static void sandbox_disarm(sandbox *sb)
{
    lua_sethook(sb->L, NULL, 0, 0);
    sb->seconds_spent += cpu_seconds_since(&sb->armed);
}

/*
** Message handler: makes sure the message is a short string that starts
** with the rule file and line. An error object's __tostring is not called
** (it is rule code, and handlers run without the instruction hook).
*/
static int sandbox_message_handler(lua_State *L)
{
    size_t length;
    const char *message = lua_tolstring(L, 1, &length);
    char where[256];
    if (message == NULL) {
        lua_pushfstring(L, "error with a %s value instead of a message", luaL_typename(L, 1));
        message = lua_tolstring(L, -1, &length);
    }
    if (length > SANDBOX_MESSAGE_MAX) {
        lua_pushlstring(L, message, text_utf8_prefix(message, SANDBOX_MESSAGE_MAX));
        lua_pushfstring(L, "... (%I more bytes not shown)",
                        (lua_Integer)(length - text_utf8_prefix(message, SANDBOX_MESSAGE_MAX)));
        lua_concat(L, 2);
        message = lua_tostring(L, -1);
    }
    if (strstr(message, ".lua:") != NULL)
        return 1;
    sandbox_rule_where(L, where, sizeof where);
    if (where[0] != '\0')
        lua_pushfstring(L, "%s: %s", where, message);
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
                                                  : "instruction or time limit exceeded");
    }
    /* A refusal not followed by a granted allocation means the cap ended the
    ** run, whether Lua raised it as a memory error or (lauxlib's buffers) as
    ** "not enough memory". */
    if (sb->refused != 0 && status != LUA_OK)
        sb->stop = STOP_MEMORY;
    if (status == LUA_ERRMEM && sb->stop != STOP_MEMORY) {
        /* Not the cap (sandbox_alloc sets STOP_MEMORY when it refuses): the
        ** machine's allocator failed, even after Lua's emergency collection. */
        result =
            error_set(e, ERROR_SYSTEM, "%s%sout of memory", sb->where, sb->where[0] ? ": " : "");
    } else if (status == LUA_ERRMEM || (sb->stop == STOP_MEMORY && status != LUA_OK)) {
        result = error_set(e, ERROR_INPUT,
                           "%s%smemory limit of %zu MB exceeded, or one value larger than %zu MB "
                           "(a rule builds too much data; --rule-memory-mb raises both)",
                           sb->where, sb->where[0] ? ": " : "", sb->limit >> 20,
                           (sb->limit / VALUE_SHARE) >> 20);
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
    lua_Integer count;
    luaL_checklstring(L, 1, &length);
    count = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &separator_length);
    if (count > 0) {
        sandbox *sb = sandbox_from_state(L);
        double total = (double)count * (double)(length + separator_length);
        if (total > (double)(sb->limit / VALUE_SHARE))
            return luaL_error(L,
                              "string.rep would build %f bytes: one value may take at most %d MB "
                              "(1/%d of --rule-memory-mb)",
                              total, (int)((sb->limit / VALUE_SHARE) >> 20), VALUE_SHARE);
        if (total > (double)(sb->limit - sb->used))
            return luaL_error(L, "string.rep would build %f bytes: memory limit of %d MB exceeded",
                              total, (int)(sb->limit >> 20));
        sandbox_charge(L, total / 4);
    }
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original string.rep */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Bytes of the text values among the stack's values. */
static double text_bytes(lua_State *L)
{
    int n = lua_gettop(L), i;
    double bytes = 0;
    for (i = 1; i <= n; i++)
        if (lua_type(L, i) == LUA_TSTRING)
            bytes += (double)lua_rawlen(L, i);
    return bytes;
}

/* An integer argument, or `otherwise` when absent or not a number (the
** function itself then raises its own error). */
static double number_argument(lua_State *L, int index, double otherwise)
{
    return lua_type(L, index) == LUA_TNUMBER ? (double)lua_tonumber(L, index) : otherwise;
}

/* The length of the table argument 1 (its __len runs under the hook). */
static double table_length(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TTABLE)
        return 0;
    return (double)luaL_len(L, 1);
}

/*
** A library function for rules. Upvalue 1: the original function; upvalue
** 2: its cost_kind. Charges the work up front where it can be known from
** the arguments, and the text it made afterwards.
*/
static int sandbox_metered(lua_State *L)
{
    cost_kind kind = (cost_kind)lua_tointeger(L, lua_upvalueindex(2));
    double cost = CALL_COST, first, last, n;
    int results;
    switch (kind) {
    case COST_TEXT:
        cost += text_bytes(L) / 4;
        break;
    case COST_LENGTH:
        cost += table_length(L);
        break;
    case COST_SORT:
        n = table_length(L);
        /* A comparison costs several instructions' time (a call into
        ** lua_lessthan each). */
        cost += n > 1 ? SORT_COMPARE_COST * n * log2(n) : 0;
        break;
    case COST_SPAN_2_3:
    case COST_SPAN_3_4: {
        int at = kind == COST_SPAN_2_3 ? 2 : 3;
        first = number_argument(L, at, 1);
        last = lua_isnoneornil(L, at + 1) ? table_length(L) : number_argument(L, at + 1, 0);
        cost += text_bytes(L) / 4 + (last >= first ? last - first + 1 : 0);
        break;
    }
    default:
        break;
    }
    sandbox_charge(L, cost);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    results = lua_gettop(L);
    if (kind != COST_CONSTANT)
        sandbox_charge(L, text_bytes(L) / 4);
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
** repetitions (*, +, -, ?, and %b, %f and back-references %1-%9, which
** scan the text too), n^q when anchored with ^. Work beyond
** PATTERN_MAX_STEPS is refused; the rest is charged.
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
    if (lua_toboolean(L, lua_upvalueindex(2)) && lua_toboolean(L, 4)) {
        /* find(s, p, init, true): a plain search, no pattern. */
    } else {
        for (i = 0; i < length; i++) {
            if (pattern[i] == '%') {
                i++;
                if (i < length && (pattern[i] == 'b' || pattern[i] == 'f' ||
                                   (pattern[i] >= '1' && pattern[i] <= '9')))
                    repetitions++;
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
    sandbox_charge(L, CALL_COST + (repetitions > 0 ? steps : (double)(n + length)));
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original function */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    sandbox_charge(L, text_bytes(L) / 4);
    return lua_gettop(L);
}

/* print() in a rule writes to stderr, prefixed with the rule's line, never
** to the report; past the print limit the rest is dropped, said once. */
static int sandbox_print(lua_State *L)
{
    sandbox *sb = sandbox_from_state(L);
    int n = lua_gettop(L);
    int i;
    char where[256];
    buffer line;
    sandbox_charge(L, CALL_COST + text_bytes(L) / 4);
    if (sb->printed > sb->print_limit)
        return 0;
    buffer_init(&line);
    sandbox_rule_where(L, where, sizeof where);
    buffer_printf(&line, "%s: ", where[0] ? where : "rule");
    for (i = 1; i <= n; i++) {
        size_t length;
        const char *text = luaL_tolstring(L, i, &length);
        if (i > 1)
            buffer_append(&line, "\t", 1);
        buffer_append(&line, text, length);
        lua_pop(L, 1);
    }
    buffer_append(&line, "\n", 1);
    if (buffer_failed(&line)) {
        buffer_free(&line);
        return luaL_error(L, "out of memory in print");
    }
    if (sb->printed + line.length > sb->print_limit) {
        size_t room = sb->print_limit - sb->printed;
        fwrite(line.data, 1, text_utf8_prefix(line.data, room), stderr);
        fprintf(stderr,
                "\n(rule files printed more than %zu KB: the rest is not shown; "
                "--rule-print-kb raises it)\n",
                sb->print_limit >> 10);
        sb->printed = sb->print_limit + 1;
    } else {
        fwrite(line.data, 1, line.length, stderr);
        sb->printed += line.length;
    }
    buffer_free(&line);
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
    if (lua_rawlen(L, 2) > 64)
        return luaL_error(L, "unknown name of %d bytes", (int)lua_rawlen(L, 2));
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

/* Pushes the rules' version of `f` (at the top of the stack, replaced):
** the function of ALLOWED wrapped for its cost. */
static void wrap_allowed(lua_State *L, const allowed_function *f)
{
    switch (f->cost) {
    case COST_OWN:
        if (strcmp(f->name, "print") == 0) {
            lua_pop(L, 1);
            lua_pushcfunction(L, sandbox_print);
        } else if (strcmp(f->name, "xpcall") == 0) {
            lua_pop(L, 1);
            lua_pushcfunction(L, sandbox_xpcall);
        } else {
            lua_pushcclosure(L, sandbox_setmetatable, 1);
        }
        break;
    case COST_REP:
        lua_pushcclosure(L, sandbox_string_rep, 1);
        break;
    case COST_PATTERN:
        lua_pushboolean(L, strcmp(f->name, "find") == 0); /* has a plain flag */
        lua_pushfstring(L, "string.%s", f->name);
        lua_pushcclosure(L, sandbox_pattern, 3);
        break;
    default:
        lua_pushinteger(L, f->cost);
        lua_pushcclosure(L, sandbox_metered, 2);
        break;
    }
}

/* Pushes the table of library `name` for rules (created on first use in
** `globals`, at index `globals`). */
static void rules_library(lua_State *L, int globals, const char *name)
{
    if (lua_getfield(L, globals, name) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, globals, name);
}

/* Builds the allowed globals from ALLOWED and ALLOWED_VALUES. Library tables
** are then replaced by read-only proxies, and the string metatable's __index
** by the proxy of the rules' string table. */
static void sandbox_build_globals(sandbox *sb)
{
    static const char *const libraries[] = {"string", "table", "math", "utf8", NULL};
    lua_State *L = sb->L;
    int globals, i;
    lua_newtable(L); /* allowed globals */
    globals = lua_gettop(L);
    for (i = 0; ALLOWED[i].name != NULL; i++) {
        const allowed_function *f = &ALLOWED[i];
        if (f->library == NULL) {
            lua_getglobal(L, f->name);
            wrap_allowed(L, f);
            lua_setfield(L, globals, f->name);
        } else {
            rules_library(L, globals, f->library);
            lua_getglobal(L, f->library);
            lua_getfield(L, -1, f->name);
            lua_remove(L, -2);
            wrap_allowed(L, f);
            lua_setfield(L, -2, f->name);
            lua_pop(L, 1);
        }
    }
    for (i = 0; ALLOWED_VALUES[i][1] != NULL; i++) {
        const char *library = ALLOWED_VALUES[i][0], *name = ALLOWED_VALUES[i][1];
        if (library == NULL) {
            lua_getglobal(L, name);
            lua_setfield(L, globals, name);
        } else {
            rules_library(L, globals, library);
            lua_getglobal(L, library);
            lua_getfield(L, -1, name);
            lua_setfield(L, -3, name);
            lua_pop(L, 2);
        }
    }
    for (i = 0; libraries[i] != NULL; i++) {
        lua_getfield(L, globals, libraries[i]);
        sandbox_push_proxy(L, -1);
        lua_setfield(L, globals, libraries[i]);
        if (strcmp(libraries[i], "string") == 0) {
            /* ("x"):upper() goes through the same proxy; getmetatable("") is
            ** locked. */
            lua_pushliteral(L, "");
            if (lua_getmetatable(L, -1)) {
                sandbox_push_proxy(L, -3);
                lua_setfield(L, -2, "__index");
                lua_pushliteral(L, "locked");
                lua_setfield(L, -2, "__metatable");
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
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

    /* The prelude keeps the real libraries, less what nobody may reach. */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getglobal(L, "math");
    lua_pushnil(L);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    for (i = 0; REMOVED_GLOBALS[i] != NULL; i++) {
        lua_pushnil(L);
        lua_setglobal(L, REMOVED_GLOBALS[i]);
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
    sb->seconds = limits != NULL && limits->seconds > 0 ? limits->seconds : SANDBOX_DEFAULT_SECONDS;
    sb->print_limit = limits != NULL && limits->print_bytes > 0
                          ? limits->print_bytes
                          : (size_t)SANDBOX_DEFAULT_PRINT_KB << 10;
    sb->text_limit = limits != NULL && limits->text_bytes > 0
                         ? limits->text_bytes
                         : (size_t)SANDBOX_DEFAULT_TEXT_KB << 10;
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

size_t sandbox_text_limit(lua_State *L)
{
    return sandbox_from_state(L)->text_limit;
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

/* Characters an input method in Chinese mode types in place of Lua's
** punctuation, and what Lua expects instead. U+FF01..U+FF5E map to ASCII
** by subtracting 0xFEE0. */
static const struct {
    unsigned long code;
    const char *ascii;
} LOOKALIKES[] = {{0x3000, " "},  {0x3001, ","},  {0x3002, "."},   {0x2018, "'"}, {0x2019, "'"},
                  {0x201C, "\""}, {0x201D, "\""}, {0x3010, "["},   {0x3011, "]"}, {0x300A, "<"},
                  {0x300B, ">"},  {0x2014, "-"},  {0x2026, "..."}, {0x00A0, " "}, {0, NULL}};

/* Decodes the UTF-8 sequence at `s` (valid: rule files are checked). */
static unsigned long utf8_decode(const unsigned char *s, size_t *length)
{
    if (s[0] < 0x80) {
        *length = 1;
        return s[0];
    }
    if (s[0] < 0xE0) {
        *length = 2;
        return ((unsigned long)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (s[0] < 0xF0) {
        *length = 3;
        return ((unsigned long)(s[0] & 0x0F) << 12) | ((unsigned long)(s[1] & 0x3F) << 6) |
               (s[2] & 0x3F);
    }
    *length = 4;
    return ((unsigned long)(s[0] & 0x07) << 18) | ((unsigned long)(s[1] & 0x3F) << 12) |
           ((unsigned long)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Where line `line` (1-based) of `text` starts, or NULL. */
static const char *line_start(const char *text, size_t length, long line)
{
    const char *p = text, *end = text + length;
    while (line > 1 && p < end) {
        const char *next = memchr(p, '\n', (size_t)(end - p));
        if (next == NULL)
            return NULL;
        p = next + 1;
        line--;
    }
    return p < end ? p : NULL;
}

/*
** A syntax error "near '<\239>'" means a byte that is not Lua outside any
** quotes: almost always full-width punctuation typed in Chinese input mode.
** Says which character it is and what to type instead.
*/
static bool explain_stray_character(const char *text, size_t length, const char *file, long line,
                                    error *e)
{
    const char *p = line_start(text, length, line), *end;
    char quote = 0;
    if (p == NULL)
        return false;
    end = memchr(p, '\n', (size_t)(text + length - p));
    if (end == NULL)
        end = text + length;
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (quote != 0) {
            if (c == '\\' && p + 1 < end)
                p++;
            else if (c == (unsigned char)quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = (char)c;
        } else if (c == '-' && p + 1 < end && p[1] == '-') {
            return false; /* a comment: the character is elsewhere */
        } else if (c >= 0x80) {
            size_t n, i;
            unsigned long code = utf8_decode((const unsigned char *)p, &n);
            char ascii[4] = {0};
            if (code >= 0xFF01 && code <= 0xFF5E)
                ascii[0] = (char)(code - 0xFEE0);
            for (i = 0; ascii[0] == 0 && LOOKALIKES[i].ascii != NULL; i++)
                if (LOOKALIKES[i].code == code)
                    snprintf(ascii, sizeof ascii, "%s", LOOKALIKES[i].ascii);
            if (ascii[0] != 0)
                error_set(e, ERROR_INPUT,
                          "%s:%ld: full-width '%.*s' (U+%04lX) where Lua expects '%s': switch the "
                          "input method to English (half-width) punctuation and type it again",
                          file, line, (int)n, p, code, ascii);
            else
                error_set(e, ERROR_INPUT,
                          "%s:%ld: '%.*s' (U+%04lX) outside quotes: Chinese text goes inside "
                          "\"...\", and names of ids are written in English letters",
                          file, line, (int)n, p, code);
            return true;
        }
    }
    return false;
}

/* Line of the first place where (, { and [ nest deeper than `depth`
** (strings and comments are not skipped: a guess for the message). */
static long deep_nesting_line(const char *text, size_t length, int depth)
{
    long line = 1;
    int open = 0;
    size_t i;
    for (i = 0; i < length; i++) {
        if (text[i] == '\n')
            line++;
        else if (text[i] == '(' || text[i] == '{' || text[i] == '[')
            open++;
        else if ((text[i] == ')' || text[i] == '}' || text[i] == ']') && open > 0)
            open--;
        if (open > depth)
            return line;
    }
    return 0;
}

/* Turns Lua's load error into a message for the person who wrote the file. */
static int load_error(const char *text, size_t length, const char *file, const char *message,
                      error *e)
{
    size_t file_length = strlen(file);
    const char *near = strstr(message, "near '<\\");
    if (strncmp(message, file, file_length) == 0 && message[file_length] == ':') {
        long line = strtol(message + file_length + 1, NULL, 10);
        if (near != NULL && explain_stray_character(text, length, file, line, e))
            return ERROR_INPUT;
        return error_set(e, ERROR_INPUT, "%.*s", SANDBOX_MESSAGE_MAX, message);
    }
    /* Messages without a position: the parser ran out of C stack. */
    {
        long line = deep_nesting_line(text, length, 150);
        if (line > 0)
            return error_set(e, ERROR_INPUT,
                             "%s:%ld: brackets nest too deeply (%.200s): split the table or "
                             "expression",
                             file, line, message);
        return error_set(e, ERROR_INPUT, "%s: %.*s", file, SANDBOX_MESSAGE_MAX, message);
    }
}

/* Loads a text chunk; on success the function is on the stack. A UTF-8
** byte-order mark (Windows Notepad writes one) is skipped. */
static int sandbox_load(sandbox *sb, const char *text, size_t length, const char *chunkname,
                        error *e)
{
    int status;
    sb->stop = STOP_NONE;
    sb->refused = 0;
    if (length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        length -= 3;
    }
    status = luaL_loadbufferx(sb->L, text, length, chunkname, "t");
    if (status == LUA_OK)
        return ERROR_OK;
    if (status == LUA_ERRMEM && sb->stop != STOP_MEMORY && sb->refused == 0)
        status = /* the machine, not the cap */
            error_set(e, ERROR_SYSTEM, "%s: out of memory while loading", chunk_file(chunkname));
    else if (status == LUA_ERRMEM)
        status = error_set(e, ERROR_INPUT,
                           "%s: memory limit exceeded while loading (--rule-memory-mb raises it)",
                           chunk_file(chunkname));
    else
        status = load_error(text, length, chunk_file(chunkname),
                            lua_tostring(sb->L, -1) ? lua_tostring(sb->L, -1) : "cannot load", e);
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
