/*
** rules.c — the rule tree loader of rules.h.
**
** Steps: list the files (sorted), check each is UTF-8 text, run the DSL
** prelude, run every file in its own sandboxed environment, and, when a
** profile says `extends "..."`, start again with the base rules first and
** the profile after them. Then call the prelude's finalize() and copy its
** tables into C structures. Every Lua value read here is copied: nothing
** points into the Lua state once rules_load() returns.
*/
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "dsl_lua.h"
#include "sha256.h"
#include "text.h"

const char *const rules_scope_names[SCOPE_COUNT] = {"region", "district", "street", "community"};

#define RULE_FILE_MAX_BYTES ((size_t)16 << 20)
#define EXTENDS_MAX_DEPTH   4

typedef rules_source rule_file;
typedef rules_sources file_list;

static void file_list_free(file_list *list)
{
    size_t i;
    for (i = 0; i < list->count; i++) {
        free(list->items[i].path);
        free(list->items[i].display);
        free(list->items[i].text);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static int string_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A short name for messages: relative to the working directory when the file
** is below it, else the path as given. Caller frees. */
static char *display_name(const char *path)
{
    char cwd[PATH_MAX];
    char resolved[PATH_MAX];
    size_t length;
    if (getcwd(cwd, sizeof cwd) != NULL && realpath(path, resolved) != NULL) {
        length = strlen(cwd);
        if (strncmp(resolved, cwd, length) == 0 && resolved[length] == '/')
            return strdup(resolved + length + 1);
        return strdup(resolved);
    }
    return strdup(path);
}

/* Reads a whole file; checks size and UTF-8. */
static int read_rule_file(rule_file *f, error *e)
{
    FILE *stream = NULL;
    buffer b;
    char chunk[65536];
    size_t n;
    size_t bad;
    struct stat info;
    int status = ERROR_OK;
    /* Non-blocking, then checked: a FIFO or a device named *.lua must be
    ** refused, never read (a FIFO would wait for a writer forever). */
    int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    buffer_init(&b);
    if (fd < 0) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT),
                           "%s: cannot read rule file: %s", f->display, error_errno_text(errno));
        goto done;
    }
    if (fstat(fd, &info) != 0) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT),
                           "%s: cannot read rule file: %s", f->display, strerror(errno));
        close(fd);
        goto done;
    }
    if (!S_ISREG(info.st_mode)) {
        status = error_set(e, ERROR_INPUT,
                           "%s: not an ordinary file (a %s): rule files must be ordinary text "
                           "files; remove it or rename it so it does not end in .lua",
                           f->display,
                           S_ISFIFO(info.st_mode)   ? "named pipe"
                           : S_ISDIR(info.st_mode)  ? "directory"
                           : S_ISSOCK(info.st_mode) ? "socket"
                                                    : "device");
        close(fd);
        goto done;
    }
    if ((stream = fdopen(fd, "rb")) == NULL) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT),
                           "%s: cannot read rule file: %s", f->display, strerror(errno));
        close(fd);
        goto done;
    }
    while ((n = fread(chunk, 1, sizeof chunk, stream)) > 0) {
        buffer_append(&b, chunk, n);
        if (b.length > RULE_FILE_MAX_BYTES) {
            status = error_set(e, ERROR_INPUT, "%s: rule file larger than %zu MB", f->display,
                               RULE_FILE_MAX_BYTES >> 20);
            goto done;
        }
    }
    if (ferror(stream)) {
        status = error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: read error: %s",
                           f->display, error_errno_text(errno));
        goto done;
    }
    if (buffer_failed(&b)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory reading %s", f->display);
        goto done;
    }
    if (!text_utf8_valid(buffer_text(&b), b.length, &bad)) {
        size_t line = 1, i;
        for (i = 0; i < bad; i++)
            if (b.data[i] == '\n')
                line++;
        status =
            error_set(e, ERROR_INPUT, "%s:%zu: not valid UTF-8 (byte %zu); save the file as UTF-8",
                      f->display, line, bad);
        goto done;
    }
    f->length = b.length;
    f->text = buffer_take(&b);
done:
    if (stream != NULL)
        fclose(stream);
    buffer_free(&b);
    return status;
}

/* Appends the *.lua files of `directory` (sorted) to `list`. */
static int list_lua_files(const char *directory, file_list *list, error *e)
{
    DIR *dir = opendir(directory);
    struct dirent *entry;
    char **names = NULL;
    size_t count = 0, capacity = 0, i;
    int status = ERROR_OK;
    if (dir == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT),
                         "%s: cannot open rule directory: %s", directory, error_errno_text(errno));
    while ((entry = readdir(dir)) != NULL) {
        size_t length = strlen(entry->d_name);
        if (length < 5 || strcmp(entry->d_name + length - 4, ".lua") != 0 ||
            entry->d_name[0] == '.')
            continue;
        if (count == capacity) {
            char **grown;
            capacity = capacity ? capacity * 2 : 16;
            grown = realloc(names, capacity * sizeof *names);
            if (grown == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            names = grown;
        }
        if ((names[count] = strdup(entry->d_name)) == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        count++;
    }
    if (count > 1)
        qsort(names, count, sizeof *names, string_compare);
    for (i = 0; i < count; i++) {
        rule_file *grown = realloc(list->items, (list->count + 1) * sizeof *list->items);
        rule_file *f;
        buffer path;
        if (grown == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        list->items = grown;
        f = &list->items[list->count];
        memset(f, 0, sizeof *f);
        buffer_init(&path);
        buffer_printf(&path, "%s/%s", directory, names[i]);
        f->path = buffer_take(&path);
        list->count++;
        if (f->path == NULL || (f->display = display_name(f->path)) == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        status = read_rule_file(f, e);
        if (status != ERROR_OK)
            goto done;
    }
done:
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
    closedir(dir);
    return status;
}

/* The files of a rule tree: indicators/ then rules/, or the directory's own
** *.lua files for a profile directory. */
static int list_tree(const char *directory, file_list *list, error *e)
{
    buffer path;
    int status = ERROR_OK;
    bool tree = false;
    buffer_init(&path);
    if (!is_directory(directory)) {
        status = error_set(e, ERROR_INPUT, "%s: no such rule directory", directory);
        goto done;
    }
    buffer_printf(&path, "%s/indicators", directory);
    if (buffer_failed(&path))
        goto out_of_memory;
    if (is_directory(buffer_text(&path))) {
        tree = true;
        status = list_lua_files(buffer_text(&path), list, e);
        if (status != ERROR_OK)
            goto done;
    }
    buffer_reset(&path);
    buffer_printf(&path, "%s/rules", directory);
    if (buffer_failed(&path))
        goto out_of_memory;
    if (is_directory(buffer_text(&path))) {
        tree = true;
        status = list_lua_files(buffer_text(&path), list, e);
        if (status != ERROR_OK)
            goto done;
    }
    if (!tree)
        status = list_lua_files(directory, list, e);
    if (status == ERROR_OK && list->count == 0)
        status = error_set(e, ERROR_INPUT, "%s: no rule files (*.lua) found", directory);
    goto done;
out_of_memory:
    /* Never a rule tree with a directory silently left out. */
    status = error_set(e, ERROR_SYSTEM, "out of memory listing %s", directory);
done:
    buffer_free(&path);
    return status;
}

/* host.caller() -> file, line of the innermost rule-file frame. */
static int host_caller(lua_State *L)
{
    lua_Debug ar;
    int level;
    for (level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.source[0] == '@' &&
            strncmp(ar.source, "@engine/", 8) != 0 && ar.currentline > 0) {
            lua_pushstring(L, ar.short_src);
            lua_pushinteger(L, ar.currentline);
            return 2;
        }
    }
    lua_pushnil(L);
    lua_pushnil(L);
    return 2;
}

/* host.suggest(word, list) -> closest name or nil. */
static int host_suggest(lua_State *L)
{
    const char *word = luaL_checkstring(L, 1);
    const char *names[512];
    size_t count = 0;
    lua_Integer i, n;
    const char *best;
    luaL_checktype(L, 2, LUA_TTABLE);
    n = luaL_len(L, 2);
    for (i = 1; i <= n && count < 512; i++) {
        lua_rawgeti(L, 2, i);
        if (lua_type(L, -1) == LUA_TSTRING)
            names[count++] = lua_tostring(L, -1);
        lua_pop(L, 1); /* the string stays alive in the table */
    }
    best = text_suggest(word, names, count);
    if (best == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, best);
    return 1;
}

/*
** host.plain(value, file, line, made, strict) -> a copy of a rule's value made
** with raw reads only (lua_next, lua_rawset: never pairs, __index or any
** metamethod), so no metatable can fake a field, answer differently later or
** run code while a prelude reads it. Tables found in `made` (the prelude's
** handles) are replaced by what `made` maps them to. Texts longer than the
** sandbox's text limit, tables nested deeper than PLAIN_MAX_DEPTH and more
** than PLAIN_MAX_ENTRIES entries raise "file:line: ..."; with `strict`, so
** do values other than text, numbers, booleans and tables, and keys other
** than text and whole numbers (rule-test data).
*/
#define PLAIN_MAX_DEPTH   32
#define PLAIN_MAX_ENTRIES 1000000

typedef struct plain_copy {
    const char *file;
    lua_Integer line;
    int made;          /* stack index of the handle table */
    bool strict;       /* only plain data */
    size_t entries;    /* entries copied so far */
    size_t text_limit; /* longest text */
} plain_copy;

static int plain_fail(lua_State *L, const plain_copy *pc, const char *message)
{
    lua_pushfstring(L, "%s:%I: %s", pc->file, pc->line, message);
    return lua_error(L);
}

/* Pushes the copy of the value at `index` (absolute). */
static void plain_push(lua_State *L, plain_copy *pc, int index, int depth)
{
    int type = lua_type(L, index), out;
    if (type == LUA_TSTRING && lua_rawlen(L, index) > pc->text_limit) {
        lua_pushfstring(L,
                        "a text of %I bytes: a rule's text may be at most %I KB (--rule-text-kb)",
                        (lua_Integer)lua_rawlen(L, index), (lua_Integer)(pc->text_limit >> 10));
        plain_fail(L, pc, lua_tostring(L, -1));
    }
    if (type != LUA_TTABLE) {
        if (pc->strict && type != LUA_TSTRING && type != LUA_TNUMBER && type != LUA_TBOOLEAN) {
            lua_pushfstring(L,
                            "a %s value cannot be test data (use text, numbers, true/false or "
                            "null)",
                            lua_typename(L, type));
            plain_fail(L, pc, lua_tostring(L, -1));
        }
        lua_pushvalue(L, index);
        return;
    }
    lua_pushvalue(L, index);
    if (lua_rawget(L, pc->made) != LUA_TNIL)
        return; /* a handle: the prelude's own value */
    lua_pop(L, 1);
    if (depth > PLAIN_MAX_DEPTH) {
        lua_pushfstring(L, "tables nest more than %d levels (a table that contains itself?)",
                        PLAIN_MAX_DEPTH);
        plain_fail(L, pc, lua_tostring(L, -1));
    }
    luaL_checkstack(L, 8, "tables nest too deeply");
    lua_newtable(L);
    out = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        int key = lua_gettop(L) - 1, value = lua_gettop(L);
        if (++pc->entries > PLAIN_MAX_ENTRIES) {
            lua_pushfstring(L, "more than %d values in one declaration", PLAIN_MAX_ENTRIES);
            plain_fail(L, pc, lua_tostring(L, -1));
        }
        if (pc->strict && lua_type(L, key) != LUA_TSTRING && !lua_isinteger(L, key)) {
            lua_pushfstring(L, "keys are names or list positions, not %s values",
                            luaL_typename(L, key));
            plain_fail(L, pc, lua_tostring(L, -1));
        }
        plain_push(L, pc, key, depth + 1);
        plain_push(L, pc, value, depth + 1);
        lua_rawset(L, out);
        lua_pop(L, 1); /* the value; the key stays for lua_next */
    }
}

static int host_plain(lua_State *L)
{
    plain_copy pc;
    pc.file = luaL_checkstring(L, 2);
    pc.line = luaL_checkinteger(L, 3);
    luaL_checktype(L, 4, LUA_TTABLE);
    pc.made = 4;
    pc.strict = lua_toboolean(L, 5);
    pc.entries = 0;
    pc.text_limit = sandbox_text_limit(L);
    lua_settop(L, 5);
    plain_push(L, &pc, 1, 0);
    return 1;
}

static int run_files(sandbox *sb, const file_list *files, error *e);

int rules_host_open(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, host_caller);
    lua_setfield(L, -2, "caller");
    lua_pushcfunction(L, host_suggest);
    lua_setfield(L, -2, "suggest");
    lua_pushcfunction(L, host_plain);
    lua_setfield(L, -2, "plain");
    return 1;
}

int rules_read_source(const char *path, rules_source *out, error *e)
{
    int status;
    memset(out, 0, sizeof *out);
    out->path = strdup(path);
    out->display = display_name(path);
    if (out->path == NULL || out->display == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
    } else {
        status = read_rule_file(out, e);
    }
    if (status != ERROR_OK) {
        free(out->path);
        free(out->display);
        free(out->text);
        memset(out, 0, sizeof *out);
    }
    return status;
}

int rules_read_sources(const char *directory, rules_sources *out, error *e)
{
    memset(out, 0, sizeof *out);
    return list_lua_files(directory, out, e);
}

void rules_sources_free(rules_sources *sources)
{
    file_list_free(sources);
}

int rules_run_sources(sandbox *sb, const rules_sources *sources, error *e)
{
    return run_files(sb, sources, e);
}

int rules_run_prelude(sandbox *sb, error *e)
{
    return sandbox_run_prelude(sb, (const char *)dsl_lua, dsl_lua_len, "@engine/rules/dsl.lua",
                               rules_host_open, e);
}

static int run_files(sandbox *sb, const file_list *files, error *e)
{
    size_t i;
    for (i = 0; i < files->count; i++) {
        buffer name;
        int status;
        buffer_init(&name);
        buffer_printf(&name, "@%s", files->items[i].display);
        status = sandbox_run_file(sb, files->items[i].text, files->items[i].length,
                                  buffer_text(&name), e);
        buffer_free(&name);
        if (status != ERROR_OK)
            return status;
    }
    return ERROR_OK;
}

/* --- copying the compiled tables --------------------------------------- */

/* Copy of string field `key` of the table at `t`, or NULL when there is no
** such field. A copy that fails for lack of memory also gives NULL and sets
** r->copy_failed, which copy_compiled() turns into an out-of-memory error:
** an optional field must never be silently dropped (a missing "kind" would
** score a ratio indicator as lin). */
static char *field_string(rules *r, lua_State *L, int t, const char *key)
{
    char *copy = NULL;
    if (lua_getfield(L, t, key) == LUA_TSTRING && (copy = strdup(lua_tostring(L, -1))) == NULL)
        r->copy_failed = true;
    lua_pop(L, 1);
    return copy;
}

static double field_number(lua_State *L, int t, const char *key, double fallback, bool *present)
{
    double x = fallback;
    if (present != NULL)
        *present = false;
    if (lua_getfield(L, t, key) == LUA_TNUMBER) {
        x = lua_tonumber(L, -1);
        if (present != NULL)
            *present = true;
    }
    lua_pop(L, 1);
    return x;
}

static lua_Integer field_length(lua_State *L, int t, const char *key)
{
    lua_Integer n = 0;
    if (lua_getfield(L, t, key) == LUA_TTABLE)
        n = (lua_Integer)lua_rawlen(L, -1);
    lua_pop(L, 1);
    return n;
}

/* --- the contract: texts of the compiled rules that C turns into choices ---
**
** Wherever the compiled rules hold a text that C turns into an enum or a
** choice, the texts C accepts are a table below (in enum order) and
** field_option() looks the text up: an unknown or missing text is a problem
** naming the declaration's file and line and the accepted texts, as
** luaL_checkoption refuses an option it does not know. dsl.lua refuses what
** the user wrote at the user's own line; these checks guard the contract
** should dsl.lua and this file ever disagree (a new kind written there and
** not here would otherwise be read as the first kind). */

static const char *const op_names[] = {"null", "<", "<=", ">", ">=", "=", "!="}; /* rules_op */
static const char *const score_names[] = {"lin", "ratio"};                       /* score_kind */
static const char *const status_names[] = {"missing", "invalid"};                /* check status */
static const char *const rhs_names[] = {"number", "param", "input"};             /* RHS_* */
static const char *const ref_names[] = {"param", "schedule"};                    /* REF_PARAM.. */
static const char *const measure_names[] = {"ratio", "count"};         /* target measure */
static const char *const empty_names[] = {"null", "skip"};             /* target empty */
static const char *const list_names[] = {"deny", "allow"};             /* admission_list_kind */
static const char *const entry_kind_names[] = {"-", "duty", "assist"}; /* admission_entry_kind */
static const char *const scan_kind_names[] = {"count", "total"};       /* scan_kind */
enum { NEED_TASK_DECISIONS };                                          /* need_names */
static const char *const need_names[] = {"task_decisions"};            /* what a query needs */
/* A bind is one of these values of the run (rules_bind_kind), else a parameter's name. */
static const char *const bind_names[] = {"as_of", "year_start", "year", "region"};

#define OPTIONS(names) (names), (sizeof(names) / sizeof *(names))

int rules_option(const char *text, const char *const names[], size_t count)
{
    size_t i;
    for (i = 0; text != NULL && i < count; i++)
        if (strcmp(names[i], text) == 0)
            return (int)i;
    return -1;
}

/* Whether a problem already names the place `where` begins with ("file:line:
** "): dsl.lua refused the text there, so the guard's message would only
** repeat it. */
static bool already_reported(const rules *r, const char *where)
{
    const char *end = strstr(where, ": ");
    size_t length = end != NULL ? (size_t)(end - where) + 2 : strlen(where), i;
    for (i = 0; i < r->problem_count; i++)
        if (strncmp(r->problems[i], where, length) == 0)
            return true;
    return false;
}

/* Index of `text` in names[0..count); otherwise adds the problem "WHERE:
** unknown WHAT 'TEXT' (the engine knows a, b, c)" ("no WHAT" for NULL) and
** returns -1. `where` is "file:line: declaration". */
static int check_option(rules *r, const char *where, const char *what, const char *text,
                        const char *const names[], size_t count)
{
    char known[256];
    size_t used = 0, i;
    int index = rules_option(text, names, count);
    if (index >= 0 || already_reported(r, where))
        return index;
    known[0] = '\0';
    for (i = 0; i < count && used < sizeof known; i++)
        used +=
            (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", names[i]);
    if (!(text != NULL
              ? rules_add_problem(r, "%s: unknown %s '%s' (the engine knows %s)", where, what, text,
                                  known)
              : rules_add_problem(r, "%s: no %s (the engine knows %s)", where, what, known)))
        r->copy_failed = true;
    return -1;
}

/* check_option() on string field `key` of the table at `t` (a value of
** another type counts as none). */
static int field_option(rules *r, lua_State *L, int t, const char *key, const char *where,
                        const char *what, const char *const names[], size_t count)
{
    const char *text = lua_getfield(L, t, key) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int index = check_option(r, where, what, text, names, count);
    lua_pop(L, 1);
    return index;
}

/* Whether list field `key` of the table at `t` (what a query reads, from
** dsl.lua) names `need`; every name must be known. */
static bool field_needs(rules *r, lua_State *L, int t, const char *key, const char *where, int need)
{
    lua_Integer n, i;
    bool found = false;
    if (lua_getfield(L, t, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return false;
    }
    n = (lua_Integer)lua_rawlen(L, -1);
    for (i = 1; i <= n; i++) {
        const char *text;
        lua_rawgeti(L, -1, i);
        text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        found = check_option(r, where, "need", text, OPTIONS(need_names)) == need || found;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return found;
}

/* A problem "WHERE: MESSAGE" unless dsl.lua already reported that place. */
static void guard_problem(rules *r, const char *where, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The parameter named by string field `key` of the table at `t` (the
** parameter giving `what`): its index, or -1 when there is none, with a
** problem when the name is not one of the rules' parameters or, when
** `required`, is missing. A name is a choice among the parameters: read as
** "none" it would make a threshold 0 without a word. */
static int field_param(rules *r, lua_State *L, int t, const char *key, const char *where,
                       const char *what, bool required)
{
    const char *name = lua_getfield(L, t, key) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int index = name != NULL ? params_find(&r->params, name) : -1;
    if (index < 0 && name != NULL)
        guard_problem(r, where, "%s: unknown parameter '%s'", what, name);
    else if (index < 0 && required)
        guard_problem(r, where, "no parameter for %s", what);
    lua_pop(L, 1);
    return index;
}

/* Appends one formatted line to a list of strings; false when out of memory. */
static bool add_line(char ***lines, size_t *count, const char *format, va_list args)
{
    char line[2048];
    char **grown;
    vsnprintf(line, sizeof line, format, args);
    grown = realloc(*lines, (*count + 1) * sizeof **lines);
    if (grown == NULL)
        return false;
    *lines = grown;
    if (((*lines)[*count] = strdup(line)) == NULL)
        return false;
    (*count)++;
    return true;
}

bool rules_add_problem(rules *r, const char *format, ...)
{
    va_list args;
    bool added;
    va_start(args, format);
    added = add_line(&r->problems, &r->problem_count, format, args);
    va_end(args);
    return added;
}

static void guard_problem(rules *r, const char *where, const char *format, ...)
{
    char message[1024];
    va_list args;
    if (already_reported(r, where))
        return;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (!rules_add_problem(r, "%s: %s", where, message))
        r->copy_failed = true;
}

bool rules_add_warning(rules *r, const char *format, ...)
{
    va_list args;
    bool added;
    va_start(args, format);
    added = add_line(&r->warnings, &r->warning_count, format, args);
    va_end(args);
    return added;
}

static void mark_ref(bool *used, const rules_ref *ref)
{
    if (ref->kind != REF_NUMBER && ref->param >= 0)
        used[ref->param] = true;
}

static void mark_binds(bool *used, const rules_bind *binds, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++)
        if (binds[i].kind == BIND_PARAM && binds[i].param >= 0)
            used[binds[i].param] = true;
}

void rules_warn_unused_params(rules *r)
{
    bool *used = calloc(r->params.count + 1, sizeof *used);
    size_t i, k;
    int engine_param;
    if (used == NULL)
        return;
    for (i = 0; i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        mark_ref(used, &ind->max);
        mark_ref(used, &ind->score_args[0]);
        mark_ref(used, &ind->score_args[1]);
        mark_binds(used, ind->binds, ind->bind_count);
        for (k = 0; k < ind->check_count; k++)
            if (ind->checks[k].rhs_kind == RHS_PARAM && ind->checks[k].param >= 0)
                used[ind->checks[k].param] = true;
    }
    for (i = 0; i < r->star_count; i++) {
        if (r->stars[i].total_param >= 0)
            used[r->stars[i].total_param] = true;
        for (k = 0; k < r->stars[i].also_count; k++)
            if (r->stars[i].also[k].param >= 0)
                used[r->stars[i].also[k].param] = true;
    }
    for (i = 0; i < r->target_count; i++) {
        mark_ref(used, &r->targets[i].required);
        mark_binds(used, r->targets[i].binds, r->targets[i].bind_count);
    }
    if (r->appraisal.present) {
        mark_binds(used, r->appraisal.binds, r->appraisal.bind_count);
        for (k = 0; k < r->appraisal.floor_count; k++)
            if (r->appraisal.floors[k].param >= 0)
                used[r->appraisal.floors[k].param] = true;
        if (r->appraisal.bottom_ratio_param >= 0)
            used[r->appraisal.bottom_ratio_param] = true;
    }
    if (r->admission.match_limit_param >= 0)
        used[r->admission.match_limit_param] = true;
    if (r->admission.depth_limit_param >= 0)
        used[r->admission.depth_limit_param] = true;
    if (r->admission.heap_limit_param >= 0)
        used[r->admission.heap_limit_param] = true;
    if (r->admission.run_budget_param >= 0)
        used[r->admission.run_budget_param] = true;
    /* Read by the engine itself (POLICY.md §0's tolerance). */
    engine_param = params_find(&r->params, "compare.epsilon");
    if (engine_param >= 0)
        used[engine_param] = true;
    for (i = 0; i < r->params.count; i++)
        if (!used[i])
            rules_add_warning(r, "%s:%d: param \"%s\" is defined but no rule uses it",
                              r->params.items[i].file ? r->params.items[i].file : "?",
                              r->params.items[i].line, r->params.items[i].name);
    free(used);
}

/* Reads the default of the param table at `t` into `v`. */
static int copy_param_value(lua_State *L, int t, param *p, param_value *v)
{
    int type = lua_getfield(L, t, "default");
    int status = 0;
    memset(v, 0, sizeof *v);
    if (p->type == PARAM_SCHEDULE && type == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1), i;
        v->points = calloc((size_t)n + 1, sizeof *v->points);
        if (v->points == NULL)
            status = -1;
        for (i = 1; status == 0 && i <= n; i++) {
            lua_rawgeti(L, -1, i);
            v->points[i - 1].year = (int)field_number(L, lua_gettop(L), "year", 0, NULL);
            v->points[i - 1].value = field_number(L, lua_gettop(L), "value", 0, NULL);
            lua_pop(L, 1);
            v->point_count = (size_t)i;
        }
    } else if ((p->type == PARAM_STRING || p->type == PARAM_DATE) && type == LUA_TSTRING) {
        if ((v->text = strdup(lua_tostring(L, -1))) == NULL)
            status = -1;
    } else if (type == LUA_TNUMBER) {
        v->number = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return status;
}

static int copy_params(lua_State *L, int out, rules *r, error *e)
{
    lua_Integer n, i;
    lua_getfield(L, out, "params");
    n = (lua_Integer)lua_rawlen(L, -1);
    r->params.items = calloc((size_t)n + 1, sizeof *r->params.items);
    if (r->params.items == NULL)
        goto oom;
    for (i = 1; i <= n; i++) {
        param *p = &r->params.items[i - 1];
        int t, type;
        char where[512];
        lua_rawgeti(L, -1, i);
        t = lua_gettop(L);
        r->params.count = (size_t)i;
        p->name = field_string(r, L, t, "name");
        p->file = field_string(r, L, t, "file");
        p->line = (int)field_number(L, t, "line", 0, NULL);
        snprintf(where, sizeof where, "%s:%d: param \"%s\"", p->file ? p->file : "?", p->line,
                 p->name ? p->name : "?");
        type = field_option(r, L, t, "type", where, "parameter type", params_type_names,
                            PARAMS_TYPE_COUNT);
        p->type = type >= 0 ? (param_type)type : PARAM_NUMBER; /* refused above: never evaluated */
        p->min = field_number(L, t, "min", 0, &p->has_min);
        p->max = field_number(L, t, "max", 0, &p->has_max);
        p->source = field_string(r, L, t, "source");
        p->description = field_string(r, L, t, "description");
        p->unit = field_string(r, L, t, "unit");
        p->origin = field_string(r, L, t, "origin");
        if (p->name == NULL || copy_param_value(L, t, p, &p->default_value) != 0 ||
            copy_param_value(L, t, p, &p->value) != 0)
            goto oom;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ERROR_OK;
oom:
    return error_set(e, ERROR_SYSTEM, "out of memory copying parameters");
}

/* Reads a reference table {kind=, name=} at the top of the stack. */
static void copy_ref(lua_State *L, rules *r, rules_ref *ref, const char *where)
{
    int t = lua_gettop(L);
    char *name = field_string(r, L, t, "name");
    int kind = field_option(r, L, t, "kind", where, "reference kind", OPTIONS(ref_names));
    ref->kind = REF_NUMBER;
    ref->number = 0;
    ref->param = -1;
    if (kind >= 0 && name != NULL) {
        ref->param = params_find(&r->params, name);
        ref->kind = kind == 1 ? REF_SCHEDULE : REF_PARAM;
        if (ref->param < 0)
            rules_add_problem(r, "%s: unknown parameter '%s'", where, name);
        else if (ref->kind == REF_SCHEDULE && r->params.items[ref->param].type != PARAM_SCHEDULE)
            rules_add_problem(r, "%s: schedule \"%s\" is not a schedule parameter", where, name);
        else if (ref->kind == REF_PARAM && r->params.items[ref->param].type != PARAM_NUMBER &&
                 r->params.items[ref->param].type != PARAM_INTEGER)
            rules_add_problem(r, "%s: parameter '%s' is not a number", where, name);
    }
    free(name);
}

/* The comparison in field "op" of the table at `t`; OP_NULL (with a
** problem) when it is not one the engine knows. */
static rules_op field_op(rules *r, lua_State *L, int t, const char *where)
{
    int op = field_option(r, L, t, "op", where, "comparison", OPTIONS(op_names));
    return op >= 0 ? (rules_op)op : OP_NULL;
}

static int copy_binds(lua_State *L, int t, rules *r, rules_bind **binds, size_t *count,
                      const char *where)
{
    lua_Integer n = field_length(L, t, "binds"), i;
    *binds = calloc((size_t)n + 1, sizeof **binds);
    if (*binds == NULL)
        return -1;
    lua_getfield(L, t, "binds");
    for (i = 1; i <= n; i++) {
        const char *name;
        rules_bind *b = &(*binds)[i - 1];
        lua_rawgeti(L, -1, i);
        name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        b->param = -1;
        b->kind = BIND_AS_OF;
        if (name == NULL) {
            guard_problem(r, where, "bind %lld of its SQL names nothing", (long long)i);
        } else if (rules_option(name, OPTIONS(bind_names)) >= 0) {
            b->kind = (rules_bind_kind)rules_option(name, OPTIONS(bind_names));
        } else { /* any other name is a parameter's */
            b->kind = BIND_PARAM;
            b->param = params_find(&r->params, name);
            if (b->param < 0)
                rules_add_problem(r, "%s: unknown parameter {%s} in SQL", where, name);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    *count = (size_t)n;
    return 0;
}

/* A bundle's scan (rules.h) from the table at `t`; `where` names the bundle. */
static int copy_scan(lua_State *L, int t, rules *r, indicator_bundle *b, const char *where)
{
    bundle_scan *scan = calloc(1, sizeof *scan);
    lua_Integer n, i;
    int after;
    if (scan == NULL)
        return -1;
    b->scan = scan;
    scan->table = field_string(r, L, t, "table");
    scan->alias = field_string(r, L, t, "alias");
    scan->via = field_string(r, L, t, "via");
    scan->sql = field_string(r, L, t, "sql");
    if ((scan->table == NULL || scan->sql == NULL) && !r->copy_failed)
        guard_problem(r, where, "a scan without its table or SQL");
    if (r->copy_failed || copy_binds(L, t, r, &scan->binds, &scan->bind_count, where) != 0)
        return -1;
    n = field_length(L, t, "kinds");
    scan->kinds = calloc((size_t)n + 1, sizeof *scan->kinds);
    if (scan->kinds == NULL)
        return -1;
    lua_getfield(L, t, "kinds");
    for (i = 1; i <= n; i++) {
        int kind;
        lua_rawgeti(L, -1, i);
        kind = check_option(r, where, "scan sum kind",
                            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL,
                            OPTIONS(scan_kind_names));
        lua_pop(L, 1);
        scan->kinds[scan->kind_count++] = kind >= 0 ? (scan_kind)kind : SCAN_COUNT;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, t, "after") != LUA_TTABLE) {
        guard_problem(r, where, "a scan without the query that reads its sums");
        lua_pop(L, 1);
        return 0;
    }
    after = lua_gettop(L);
    scan->after_sql = field_string(r, L, after, "sql");
    if (scan->after_sql == NULL && !r->copy_failed)
        guard_problem(r, where, "a scan without the query that reads its sums");
    if (r->copy_failed ||
        copy_binds(L, after, r, &scan->after_binds, &scan->after_bind_count, where) != 0)
        return -1;
    lua_pop(L, 1);
    return 0;
}

/* out.bundles: their SQL, binds and member indicators. */
static int copy_bundles(lua_State *L, int out, rules *r)
{
    lua_Integer n = field_length(L, out, "bundles"), i, k;
    r->bundles = calloc((size_t)n + 1, sizeof *r->bundles);
    if (r->bundles == NULL)
        return -1;
    lua_getfield(L, out, "bundles");
    for (i = 1; i <= n; i++) {
        indicator_bundle *b = &r->bundles[i - 1];
        const indicator *first;
        int t;
        lua_Integer members;
        char where[512];
        lua_rawgeti(L, -1, i);
        t = lua_gettop(L);
        r->bundle_count = (size_t)i;
        members = field_length(L, t, "members");
        b->members = calloc((size_t)members + 1, sizeof *b->members);
        if (b->members == NULL)
            return -1;
        lua_getfield(L, t, "members");
        for (k = 1; k <= members; k++) {
            lua_Integer index;
            lua_rawgeti(L, -1, k);
            index = lua_tointeger(L, -1);
            lua_pop(L, 1);
            if (index >= 1 && (size_t)index <= r->indicator_count)
                b->members[b->member_count++] = (size_t)index - 1;
            else if (!rules_add_problem(r,
                                        "(rules): compiled bundle %lld: member %lld is %lld, "
                                        "not an indicator",
                                        (long long)i, (long long)k, (long long)index))
                return -1;
        }
        lua_pop(L, 1);
        if (b->member_count == 0) { /* dsl.lua never writes one: nothing to name */
            if (!rules_add_problem(r, "(rules): compiled bundle %lld has no member indicator",
                                   (long long)i))
                return -1;
            lua_pop(L, 1);
            continue;
        }
        first = &r->indicators[b->members[0]];
        snprintf(where, sizeof where, "%s:%d: bundle of indicator \"%s\"",
                 first->file ? first->file : "?", first->line, first->id);
        b->sql = field_string(r, L, t, "sql");
        if (b->sql == NULL && !r->copy_failed)
            guard_problem(r, where, "no SQL");
        if (r->copy_failed || copy_binds(L, t, r, &b->binds, &b->bind_count, where) != 0)
            return -1;
        b->needs_decisions = field_needs(r, L, t, "needs", where, NEED_TASK_DECISIONS);
        if (lua_getfield(L, t, "scan") == LUA_TTABLE &&
            copy_scan(L, lua_gettop(L), r, b, where) != 0)
            return -1;
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return 0;
}

static int copy_indicator(lua_State *L, int t, rules *r, indicator *ind)
{
    char where[512];
    lua_Integer n, i;
    ind->id = field_string(r, L, t, "id");
    ind->name = field_string(r, L, t, "name");
    ind->category = field_string(r, L, t, "category");
    ind->unit = field_string(r, L, t, "unit");
    ind->source = field_string(r, L, t, "source");
    ind->description = field_string(r, L, t, "description");
    ind->hint = field_string(r, L, t, "hint");
    ind->file = field_string(r, L, t, "file");
    ind->line = (int)field_number(L, t, "line", 0, NULL);
    ind->sql = field_string(r, L, t, "sql");
    ind->category_index = -1;
    if (ind->id == NULL)
        return -1;
    snprintf(where, sizeof where, "%s:%d: indicator \"%s\"", ind->file ? ind->file : "?", ind->line,
             ind->id);
    if (lua_getfield(L, t, "max") == LUA_TTABLE)
        copy_ref(L, r, &ind->max, where);
    else
        ind->max.param = -1;
    lua_pop(L, 1);
    /* No score table: dsl.lua said why ("needs score = ..."); the rules are
    ** refused and the kind below is never used. */
    ind->score = SCORE_LIN;
    if (lua_getfield(L, t, "score") == LUA_TTABLE) {
        int s = lua_gettop(L);
        int kind = field_option(r, L, s, "kind", where, "score kind", OPTIONS(score_names));
        ind->score = kind >= 0 ? (score_kind)kind : SCORE_LIN;
        lua_getfield(L, s, "args");
        for (i = 1; i <= 2 && i <= (lua_Integer)lua_rawlen(L, -1); i++) {
            lua_rawgeti(L, -1, i);
            copy_ref(L, r, &ind->score_args[i - 1], where);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (copy_binds(L, t, r, &ind->binds, &ind->bind_count, where) != 0)
        return -1;
    ind->needs_decisions = field_needs(r, L, t, "needs", where, NEED_TASK_DECISIONS);
    n = field_length(L, t, "inputs");
    ind->input_names = calloc((size_t)n + 1, sizeof *ind->input_names);
    ind->input_describe = calloc((size_t)n + 1, sizeof *ind->input_describe);
    if (ind->input_names == NULL || ind->input_describe == NULL)
        return -1;
    lua_getfield(L, t, "inputs");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        ind->input_names[i - 1] = field_string(r, L, lua_gettop(L), "name");
        ind->input_describe[i - 1] = field_string(r, L, lua_gettop(L), "describe");
        ind->input_count = (size_t)i;
        lua_pop(L, 1);
        if (ind->input_names[i - 1] == NULL)
            return -1;
    }
    lua_pop(L, 1);
    n = field_length(L, t, "checks");
    ind->checks = calloc((size_t)n + 1, sizeof *ind->checks);
    if (ind->checks == NULL)
        return -1;
    lua_getfield(L, t, "checks");
    for (i = 1; i <= n; i++) {
        indicator_check *c = &ind->checks[i - 1];
        int ct, status, rhs_kind;
        char *rhs_name;
        lua_rawgeti(L, -1, i);
        ct = lua_gettop(L);
        status = field_option(r, L, ct, "status", where, "check status", OPTIONS(status_names));
        c->status = status == 1 ? STATUS_INVALID : STATUS_MISSING;
        c->op = field_op(r, L, ct, where);
        c->lhs = (int)field_number(L, ct, "lhs", 1, NULL) - 1;
        c->text = field_string(r, L, ct, "text");
        c->param = -1;
        c->input = -1;
        c->rhs_kind = RHS_NUMBER;
        /* The null test has no right-hand side; every comparison has one. */
        rhs_kind = c->op == OP_NULL ? RHS_NUMBER
                                    : field_option(r, L, ct, "rhs_kind", where,
                                                   "right-hand side kind", OPTIONS(rhs_names));
        if (rhs_kind == RHS_PARAM) {
            rhs_name = field_string(r, L, ct, "rhs");
            c->rhs_kind = RHS_PARAM;
            c->param = rhs_name != NULL ? params_find(&r->params, rhs_name) : -1;
            if (c->param < 0)
                rules_add_problem(r, "%s: unknown parameter in condition", where);
            free(rhs_name);
        } else if (rhs_kind == RHS_INPUT) {
            c->rhs_kind = RHS_INPUT;
            c->input = (int)field_number(L, ct, "rhs", 1, NULL) - 1;
        } else {
            c->number = field_number(L, ct, "rhs", 0, NULL);
        }
        ind->check_count = (size_t)i;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* The labels, as dsl.lua sorted them (kind, then code). */
static int copy_labels(lua_State *L, int out, rules *r)
{
    lua_Integer n = field_length(L, out, "labels"), i;
    r->labels = calloc((size_t)n + 1, sizeof *r->labels);
    if (r->labels == NULL)
        return -1;
    lua_getfield(L, out, "labels");
    for (i = 1; i <= n; i++) {
        code_label *l = &r->labels[i - 1];
        lua_rawgeti(L, -1, i);
        r->label_count = (size_t)i;
        l->kind = field_string(r, L, lua_gettop(L), "kind");
        l->code = field_string(r, L, lua_gettop(L), "code");
        l->text = field_string(r, L, lua_gettop(L), "text");
        lua_pop(L, 1);
        if (l->kind == NULL || l->code == NULL || l->text == NULL) {
            lua_pop(L, 1);
            return -1;
        }
    }
    lua_pop(L, 1);
    return 0;
}

const char *rules_label(const rules *r, const char *kind, const char *code)
{
    size_t low = 0, high = r->label_count;
    if (code == NULL)
        return "";
    /* Sorted by kind, then code (strcmp order, as Lua's sort of the keys). */
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const code_label *l = &r->labels[middle];
        int c = strcmp(l->kind, kind);
        if (c == 0)
            c = strcmp(l->code, code);
        if (c == 0)
            return l->text;
        if (c < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return code;
}

const char *rules_label_code(const rules *r, const char *kind, const char *text)
{
    size_t i;
    for (i = 0; r != NULL && i < r->label_count; i++)
        if (strcmp(r->labels[i].kind, kind) == 0 && strcmp(r->labels[i].text, text) == 0)
            return r->labels[i].code;
    return NULL;
}

static int copy_stars(lua_State *L, int out, rules *r)
{
    lua_Integer n = field_length(L, out, "stars"), i, j;
    r->stars = calloc((size_t)n + 1, sizeof *r->stars);
    if (r->stars == NULL)
        return -1;
    r->star_unrated = field_string(r, L, out, "star_unrated");
    lua_getfield(L, out, "stars");
    for (i = 1; i <= n; i++) {
        star_grade *g = &r->stars[i - 1];
        int t;
        lua_Integer m;
        char where[512], *file;
        lua_rawgeti(L, -1, i);
        t = lua_gettop(L);
        r->star_count = (size_t)i;
        file = field_string(r, L, t, "file");
        snprintf(where, sizeof where, "%s:%d: stars grade %lld", file ? file : "?",
                 (int)field_number(L, t, "line", 0, NULL), (long long)i);
        free(file);
        g->stars = (int)field_number(L, t, "stars", 0, NULL);
        g->name = field_string(r, L, t, "name");
        g->total_param = -1;
        if (lua_getfield(L, t, "total") == LUA_TTABLE)
            g->total_param = field_param(r, L, lua_gettop(L), "name", where, "the total", true);
        else
            guard_problem(r, where, "no total");
        lua_pop(L, 1);
        m = field_length(L, t, "also");
        g->also = calloc((size_t)m + 1, sizeof *g->also);
        if (g->also == NULL)
            return -1;
        lua_getfield(L, t, "also");
        for (j = 1; j <= m; j++) {
            star_condition *c = &g->also[j - 1];
            char *ind;
            int ct;
            lua_rawgeti(L, -1, j);
            ct = lua_gettop(L);
            ind = field_string(r, L, ct, "indicator");
            c->text = field_string(r, L, ct, "text");
            c->indicator = ind != NULL ? rules_find_indicator(r, ind) : -1;
            if (c->indicator < 0)
                guard_problem(r, where, "unknown indicator '%s'", ind ? ind : "(none)");
            c->op = field_op(r, L, ct, where);
            c->param = field_param(r, L, ct, "param", where, "a condition", true);
            g->also_count = (size_t)j;
            free(ind);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return 0;
}

/* The scope named by the string at the top of the stack (or field `key`
** of the table at `t` when key is not NULL); -1 (with a problem) when it is
** not one the engine knows. */
static int scope_at(rules *r, lua_State *L, int t, const char *key, const char *where)
{
    if (key != NULL)
        return field_option(r, L, t, key, where, "scope", rules_scope_names, SCOPE_COUNT);
    return check_option(r, where, "scope",
                        lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL,
                        rules_scope_names, SCOPE_COUNT);
}

static int copy_targets(lua_State *L, int out, rules *r)
{
    lua_Integer n = field_length(L, out, "targets"), i, k;
    r->targets = calloc((size_t)n + 1, sizeof *r->targets);
    if (r->targets == NULL)
        return -1;
    lua_getfield(L, out, "targets");
    for (i = 1; i <= n; i++) {
        target_rule *t = &r->targets[i - 1];
        int tt;
        char where[512];
        lua_rawgeti(L, -1, i);
        tt = lua_gettop(L);
        r->target_count = (size_t)i;
        t->id = field_string(r, L, tt, "id");
        t->name = field_string(r, L, tt, "name");
        t->source = field_string(r, L, tt, "source");
        t->unit = field_string(r, L, tt, "unit");
        t->file = field_string(r, L, tt, "file");
        t->line = (int)field_number(L, tt, "line", 0, NULL);
        t->sql = field_string(r, L, tt, "sql");
        if (t->id == NULL)
            return -1;
        snprintf(where, sizeof where, "%s:%d: target \"%s\"", t->file ? t->file : "?", t->line,
                 t->id);
        t->count = field_option(r, L, tt, "measure", where, "measure", OPTIONS(measure_names)) == 1;
        t->skip_empty =
            field_option(r, L, tt, "empty", where, "empty rule", OPTIONS(empty_names)) == 1;
        t->required.param = -1;
        if (lua_getfield(L, tt, "required") == LUA_TTABLE)
            copy_ref(L, r, &t->required, where);
        lua_pop(L, 1);
        lua_getfield(L, tt, "scopes");
        for (k = 1; k <= (lua_Integer)lua_rawlen(L, -1); k++) {
            int scope;
            lua_rawgeti(L, -1, k);
            scope = scope_at(r, L, 0, NULL, where);
            if (scope >= 0)
                t->scopes[scope] = true;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (copy_binds(L, tt, r, &t->binds, &t->bind_count, where) != 0)
            return -1;
        t->needs_decisions = field_needs(r, L, tt, "needs", where, NEED_TASK_DECISIONS);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

static int copy_appraisal(lua_State *L, int out, rules *r)
{
    appraisal_rule *a = &r->appraisal;
    int t;
    lua_Integer n, i;
    int group;
    char where[512];
    a->bottom_ratio_param = -1;
    if (lua_getfield(L, out, "appraisal") != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    t = lua_gettop(L);
    a->present = true;
    a->name = field_string(r, L, t, "name");
    a->source = field_string(r, L, t, "source");
    a->file = field_string(r, L, t, "file");
    a->line = (int)field_number(L, t, "line", 0, NULL);
    a->sql = field_string(r, L, t, "sql");
    snprintf(where, sizeof where, "%s:%d: appraisal", a->file ? a->file : "?", a->line);
    group = scope_at(r, L, t, "group", where);
    a->group = group >= 0 ? (rules_scope)group : SCOPE_STREET; /* refused: never evaluated */
    a->bottom_ratio_param = field_param(r, L, t, "bottom_ratio", where, "bottom_ratio", true);
    n = field_length(L, t, "components");
    a->components = calloc((size_t)n + 1, sizeof *a->components);
    if (a->components == NULL)
        return -1;
    lua_getfield(L, t, "components");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        a->components[i - 1] = strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        a->component_count = (size_t)i;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    n = field_length(L, t, "floors");
    a->floors = calloc((size_t)n + 1, sizeof *a->floors);
    if (a->floors == NULL)
        return -1;
    lua_getfield(L, t, "floors");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        a->floors[i - 1].column = (int)field_number(L, lua_gettop(L), "column", 0, NULL);
        a->floors[i - 1].name = field_string(r, L, lua_gettop(L), "name");
        a->floors[i - 1].param = field_param(r, L, lua_gettop(L), "param", where, "a floor", true);
        a->floor_count = (size_t)i;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    a->weight_params = malloc(((size_t)a->component_count + 1) * sizeof *a->weight_params);
    if (a->weight_params == NULL)
        return -1;
    for (i = 0; i < (lua_Integer)a->component_count; i++)
        a->weight_params[i] = -1;
    n = field_length(L, t, "weights");
    lua_getfield(L, t, "weights");
    for (i = 1; i <= n; i++) {
        int column;
        lua_rawgeti(L, -1, i);
        column = (int)field_number(L, lua_gettop(L), "column", 0, NULL);
        /* dsl.lua made column a component (1..count); anything else breaks the contract. */
        if (column >= 1 && (size_t)column <= a->component_count)
            a->weight_params[column - 1] =
                field_param(r, L, lua_gettop(L), "param", where, "a weight", true);
        else
            rules_add_problem(r, "%s: weight %lld names no component", where, (long long)i);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (copy_binds(L, t, r, &a->binds, &a->bind_count, where) != 0)
        return -1;
    a->needs_decisions = field_needs(r, L, t, "needs", where, NEED_TASK_DECISIONS);
    lua_pop(L, 1);
    return 0;
}

/* Compiles one pattern; a failure becomes a problem naming the entry, the
** file:line and the character offset. PCRE2 running out of memory is not
** the pattern's fault: it sets r->copy_failed (an out-of-memory error). */
static re_pattern *compile_entry_pattern(rules *r, const char *where, const char *id,
                                         const char *what, const char *pattern)
{
    re_pattern *compiled = NULL;
    re_compile_error failure;
    if (pattern == NULL)
        return NULL;
    if (re_compile_ex(pattern, strlen(pattern), &compiled, &failure) != 0) {
        if (re_out_of_memory(failure.code))
            r->copy_failed = true;
        else
            rules_add_problem(r, "%s: entry %s: %s pattern error at character %zu: %s", where, id,
                              what, failure.offset_chars, failure.message);
        return NULL;
    }
    return compiled;
}

/*
 * A parameter that sets a PCRE2 limit or the run budget (admission `field`)
 * must be an integer whose declared range lies within the engine's bounds
 * [floor, cap] (re.h): then neither the rule file nor --set can let one match,
 * or the matching of a whole run, take longer than the engine allows. Adds a
 * problem naming the parameter otherwise. Returns false when out of memory.
 */
static bool check_admission_param(rules *r, const char *field, int index, double floor, double cap,
                                  const char *what)
{
    const param *p;

    if (index < 0)
        return true;
    p = &r->params.items[index];
    if (p->type != PARAM_INTEGER)
        return rules_add_problem(r, "%s:%d: param \"%s\" (admission %s) must be type = \"integer\"",
                                 p->file ? p->file : "?", p->line, p->name, field);
    if (!p->has_min || !p->has_max || p->min < floor || p->max > cap)
        return rules_add_problem(r,
                                 "%s:%d: param \"%s\" (admission %s) must declare min >= %.0f and "
                                 "max <= %.0f: %s",
                                 p->file ? p->file : "?", p->line, p->name, field, floor, cap,
                                 what);
    return true;
}

static int copy_admission(lua_State *L, int out, rules *r)
{
    admission_rules *a = &r->admission;
    int t;
    lua_Integer n, i;
    char place[512]; /* "file:line: admission" */
    static const char *const message_names[] = {"unfunded",   "unstaffed", "no_approval",
                                                "not_listed", "limit",     "admitted"};
    const char **messages[] = {&a->messages.unfunded,    &a->messages.unstaffed,
                               &a->messages.no_approval, &a->messages.not_listed,
                               &a->messages.limit,       &a->messages.admitted};
    a->match_limit_param = a->depth_limit_param = a->heap_limit_param = -1;
    a->run_budget_param = -1;
    if (lua_getfield(L, out, "admission") != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    t = lua_gettop(L);
    a->present = true;
    a->file = field_string(r, L, t, "file");
    a->line = (int)field_number(L, t, "line", 0, NULL);
    snprintf(place, sizeof place, "%s:%d: admission", a->file ? a->file : "?", a->line);
    /* Optional: without one the engine's cap applies (re.h). */
    a->match_limit_param = field_param(r, L, t, "match_limit", place, "match_limit", false);
    a->depth_limit_param = field_param(r, L, t, "depth_limit", place, "depth_limit", false);
    a->heap_limit_param = field_param(r, L, t, "heap_limit", place, "heap_limit", false);
    a->run_budget_param = field_param(r, L, t, "run_budget", place, "run_budget", false);
    if (!check_admission_param(r, "match_limit", a->match_limit_param, 1, RE_MATCH_LIMIT_MAX,
                               "one match that long takes 0.05 to 0.3 s") ||
        !check_admission_param(r, "depth_limit", a->depth_limit_param, 1, RE_DEPTH_LIMIT_MAX,
                               "no match goes deeper than its steps") ||
        !check_admission_param(r, "heap_limit", a->heap_limit_param, 1, RE_HEAP_LIMIT_KIB_MAX,
                               "256 MiB for one match") ||
        !check_admission_param(r, "run_budget", a->run_budget_param, 0, (double)RE_BUDGET_MAX,
                               "the counted matching of a run takes 9 to 18 s at most"))
        return -1;
    lua_getfield(L, t, "messages");
    for (i = 0; i < 6; i++) {
        char *m = lua_istable(L, -1) ? field_string(r, L, lua_gettop(L), message_names[i]) : NULL;
        if (m == NULL)
            guard_problem(r, place, "no message %s", message_names[i]);
        *messages[i] = m != NULL ? m : strdup("");
    }
    lua_pop(L, 1);
    n = field_length(L, t, "entries");
    a->entries = calloc((size_t)n + 1, sizeof *a->entries);
    a->entry_files = calloc((size_t)n + 1, sizeof *a->entry_files);
    a->entry_patterns = calloc((size_t)n + 1, sizeof *a->entry_patterns);
    a->entry_departments = calloc((size_t)n + 1, sizeof *a->entry_departments);
    if (a->entries == NULL || a->entry_files == NULL || a->entry_patterns == NULL ||
        a->entry_departments == NULL)
        return -1;
    lua_getfield(L, t, "entries");
    for (i = 1; i <= n; i++) {
        admission_entry *entry = &a->entries[i - 1];
        int et, list, kind;
        char *file;
        char where[512], entry_where[600];
        lua_rawgeti(L, -1, i);
        et = lua_gettop(L);
        a->entry_count = (size_t)i;
        entry->id = field_string(r, L, et, "id");
        entry->reason = field_string(r, L, et, "reason");
        file = field_string(r, L, et, "file");
        snprintf(where, sizeof where, "%s:%d", file ? file : "?",
                 (int)field_number(L, et, "line", 0, NULL));
        free(file);
        a->entry_files[i - 1] = strdup(where);
        a->entry_patterns[i - 1] = field_string(r, L, et, "pattern");
        a->entry_departments[i - 1] = field_string(r, L, et, "department");
        if (entry->id == NULL)
            return -1;
        snprintf(entry_where, sizeof entry_where, "%s: entry %s", where, entry->id);
        list = field_option(r, L, et, "list", entry_where, "list", OPTIONS(list_names));
        kind = field_option(r, L, et, "kind", entry_where, "entry kind", OPTIONS(entry_kind_names));
        /* Refused texts leave the rules unusable; these only keep the entry whole. */
        entry->list = list >= 0 ? (admission_list_kind)list : ADMISSION_DENY;
        entry->kind = kind >= 0 ? (admission_entry_kind)kind : ADMISSION_ANY;
        entry->pattern = compile_entry_pattern(r, where, entry->id, "", a->entry_patterns[i - 1]);
        if (a->entry_departments[i - 1] != NULL)
            entry->department = compile_entry_pattern(r, where, entry->id, "department",
                                                      a->entry_departments[i - 1]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pop(L, 1);
    return 0;
}

/* Copies finalize()'s result (at `out`) into `r`. */
static int copy_compiled(lua_State *L, int out, rules *r, error *e)
{
    lua_Integer n, i;
    size_t k;
    int status;
    /* dsl.lua's problems first: a text it refused at the user's line is not
    ** reported again by the contract's checks (already_reported). */
    n = field_length(L, out, "problems");
    lua_getfield(L, out, "problems");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        if (!rules_add_problem(r, "%s", lua_tostring(L, -1)))
            goto oom;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    status = copy_params(L, out, r, e);
    if (status != ERROR_OK)
        return status;
    if (lua_getfield(L, out, "system") == LUA_TTABLE) {
        int t = lua_gettop(L);
        r->system_name = field_string(r, L, t, "name");
        r->total = field_number(L, t, "total", 100, NULL);
        r->expected_categories = (int)field_number(L, t, "categories", 0, NULL);
        r->expected_indicators = (int)field_number(L, t, "indicators", 0, NULL);
    }
    lua_pop(L, 1);
    n = field_length(L, out, "categories");
    r->categories = calloc((size_t)n + 1, sizeof *r->categories);
    if (r->categories == NULL)
        goto oom;
    lua_getfield(L, out, "categories");
    for (i = 1; i <= n; i++) {
        category *c = &r->categories[i - 1];
        lua_rawgeti(L, -1, i);
        c->id = field_string(r, L, lua_gettop(L), "id");
        c->name = field_string(r, L, lua_gettop(L), "name");
        c->source = field_string(r, L, lua_gettop(L), "source");
        c->file = field_string(r, L, lua_gettop(L), "file");
        c->line = (int)field_number(L, lua_gettop(L), "line", 0, NULL);
        r->category_count = (size_t)i;
        lua_pop(L, 1);
        if (c->id == NULL)
            goto oom;
    }
    lua_pop(L, 1);
    n = field_length(L, out, "indicators");
    r->indicators = calloc((size_t)n + 1, sizeof *r->indicators);
    if (r->indicators == NULL)
        goto oom;
    lua_getfield(L, out, "indicators");
    for (i = 1; i <= n; i++) {
        indicator *ind = &r->indicators[i - 1];
        lua_rawgeti(L, -1, i);
        r->indicator_count = (size_t)i;
        if (copy_indicator(L, lua_gettop(L), r, ind) != 0)
            goto oom;
        for (k = 0; k < r->category_count; k++)
            if (ind->category != NULL && strcmp(ind->category, r->categories[k].id) == 0)
                ind->category_index = (int)k;
        if (ind->category_index < 0) {
            char where[512];
            snprintf(where, sizeof where, "%s:%d: indicator \"%s\"", ind->file ? ind->file : "?",
                     ind->line, ind->id);
            guard_problem(r, where, "unknown category '%s'",
                          ind->category ? ind->category : "(none)");
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (copy_labels(L, out, r) != 0 || copy_bundles(L, out, r) != 0 || copy_stars(L, out, r) != 0 ||
        copy_targets(L, out, r) != 0 || copy_appraisal(L, out, r) != 0 ||
        copy_admission(L, out, r) != 0)
        goto oom;
    n = field_length(L, out, "warnings");
    lua_getfield(L, out, "warnings");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        if (!rules_add_warning(r, "%s", lua_tostring(L, -1)))
            goto oom;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (r->copy_failed)
        goto oom;
    return ERROR_OK;
oom:
    return error_set(e, ERROR_SYSTEM, "out of memory copying the rules");
}

/* copy_compiled run as a lua_CFunction, so that a Lua API call that
** allocates (interning a key, converting a value) and runs out of memory
** raises an error into sandbox_call instead of Lua's panic abort.
** Arguments: the copy_job (light userdata), finalize()'s result. */
typedef struct {
    rules *r;
    error *e;
    int status;
} copy_job;

static int copy_compiled_protected(lua_State *L)
{
    copy_job *job = lua_touserdata(L, 1);
    job->status = copy_compiled(L, 2, job->r, job->e);
    return 0;
}

/* Copies finalize()'s result, at the top of sb's stack (left there), into `r`. */
static int copy_into(sandbox *sb, rules *r, error *e)
{
    lua_State *L = sandbox_state(sb);
    copy_job job = {r, e, ERROR_OK};
    int status;
    lua_pushcfunction(L, copy_compiled_protected);
    lua_pushlightuserdata(L, &job);
    lua_pushvalue(L, -3); /* finalize()'s result */
    status = sandbox_call(sb, 2, 0, e);
    return status == ERROR_OK ? job.status : status;
}

int rules_from_compiled(sandbox *sb, rules **out, error *e)
{
    rules *r = calloc(1, sizeof *r);
    int status;
    *out = NULL;
    if (r == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    status = copy_into(sb, r, e);
    if (status == ERROR_OK)
        *out = r;
    else
        rules_free(r);
    return status;
}

/* SHA-256 over each file's name and bytes, in load order. */
static char *hash_files(const file_list *files)
{
    sha256_ctx *h = sha256_begin();
    size_t i;
    if (h == NULL)
        return NULL;
    for (i = 0; i < files->count; i++) {
        const char *name = strrchr(files->items[i].path, '/');
        name = name != NULL ? name + 1 : files->items[i].path;
        sha256_update(h, name, strlen(name) + 1);
        sha256_update(h, files->items[i].text, files->items[i].length);
        sha256_update(h, "", 1);
    }
    return sha256_end(h);
}

/* Resolves an extends name to a directory: "default" is the shipped rule
** tree; anything else is a path relative to the profile directory. */
static char *extends_directory(const char *name, const char *profile, const char *default_root)
{
    buffer path;
    buffer_init(&path);
    if (strcmp(name, "default") == 0)
        buffer_puts(&path, default_root);
    else if (name[0] == '/')
        buffer_puts(&path, name);
    else
        buffer_printf(&path, "%s/%s", profile, name);
    return buffer_take(&path);
}

/* Reads the extends declaration left by the files just run; returns a copy
** of its name or NULL. */
static char *pending_extends(rules *r, lua_State *L, int api)
{
    char *name = NULL;
    lua_getfield(L, api, "extends");
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) { /* only out of memory can fail here */
        r->copy_failed = true;
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) == LUA_TTABLE)
        name = field_string(r, L, lua_gettop(L), "name");
    lua_pop(L, 1);
    return name;
}

int rules_load(const rules_options *options, rules **out, error *e)
{
    sandbox *sb = NULL;
    rules *r = NULL;
    file_list chain[EXTENDS_MAX_DEPTH + 1];
    file_list all = {0};
    size_t depth = 0, i, j;
    char *directory = NULL;
    int status;
    lua_State *L;
    int api;
    memset(chain, 0, sizeof chain);
    *out = NULL;
    status = sandbox_open(&options->limits, &sb, e);
    if (status != ERROR_OK)
        goto done;
    L = sandbox_state(sb);
    status = rules_run_prelude(sb, e);
    if (status != ERROR_OK)
        goto done;
    api = lua_gettop(L);
    r = calloc(1, sizeof *r);
    directory = strdup(options->directory);
    if (r == NULL || directory == NULL || (r->root = strdup(options->directory)) == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    /* Walk the extends chain: profile, its base, the base's base... */
    for (;;) {
        char *base;
        status = list_tree(directory, &chain[depth], e);
        if (status != ERROR_OK)
            goto done;
        status = run_files(sb, &chain[depth], e);
        if (status != ERROR_OK)
            goto done;
        base = pending_extends(r, L, api);
        if (r->copy_failed) {
            status =
                error_set(e, ERROR_SYSTEM, "out of memory reading the extends of %s", directory);
            goto done;
        }
        if (base == NULL)
            break;
        if (depth == EXTENDS_MAX_DEPTH) {
            free(base);
            status = error_set(e, ERROR_INPUT, "%s: extends nests more than %d levels", directory,
                               EXTENDS_MAX_DEPTH);
            goto done;
        }
        free(directory);
        directory = extends_directory(base, options->directory, options->default_root);
        free(base);
        depth++;
        if (directory == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        lua_getfield(L, api, "reset");
        status = sandbox_call(sb, 0, 0, e);
        if (status != ERROR_OK)
            goto done;
    }
    /* Run again from the deepest base up, so profiles override their base. */
    if (depth > 0) {
        lua_getfield(L, api, "reset");
        status = sandbox_call(sb, 0, 0, e);
        if (status != ERROR_OK)
            goto done;
        for (i = depth + 1; i-- > 0;) {
            status = run_files(sb, &chain[i], e);
            if (status != ERROR_OK)
                goto done;
        }
    }
    for (i = depth + 1; i-- > 0;) {
        for (j = 0; j < chain[i].count; j++) {
            rule_file *grown = realloc(all.items, (all.count + 1) * sizeof *all.items);
            if (grown == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            all.items = grown;
            all.items[all.count++] = chain[i].items[j];
            memset(&chain[i].items[j], 0, sizeof chain[i].items[j]);
        }
    }
    r->files = calloc(all.count + 1, sizeof *r->files);
    if (r->files == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    for (i = 0; i < all.count; i++) {
        r->files[i] = strdup(all.items[i].display);
        r->file_count = i + 1;
    }
    r->sha256 = hash_files(&all);
    lua_getfield(L, api, "finalize");
    status = sandbox_call(sb, 0, 1, e);
    if (status != ERROR_OK)
        goto done;
    status = copy_into(sb, r, e);
    lua_pop(L, 1);
    if (status != ERROR_OK)
        goto done;
    if (r->sha256 == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    *out = r;
    r = NULL;
done:
    for (i = 0; i <= EXTENDS_MAX_DEPTH; i++)
        file_list_free(&chain[i]);
    file_list_free(&all);
    free(directory);
    rules_free(r);
    sandbox_close(sb);
    return status;
}

static void indicator_free(indicator *ind)
{
    size_t i;
    free(ind->id);
    free(ind->name);
    free(ind->category);
    free(ind->unit);
    free(ind->source);
    free(ind->description);
    free(ind->hint);
    free(ind->file);
    free(ind->sql);
    free(ind->binds);
    for (i = 0; i < ind->input_count; i++) {
        free(ind->input_names[i]);
        free(ind->input_describe[i]);
    }
    free(ind->input_names);
    free(ind->input_describe);
    for (i = 0; i < ind->check_count; i++)
        free(ind->checks[i].text);
    free(ind->checks);
}

void rules_free(rules *r)
{
    size_t i, j;
    if (r == NULL)
        return;
    free(r->root);
    free(r->sha256);
    for (i = 0; i < r->file_count; i++)
        free(r->files[i]);
    free(r->files);
    free(r->system_name);
    for (i = 0; i < r->category_count; i++) {
        free(r->categories[i].id);
        free(r->categories[i].name);
        free(r->categories[i].source);
        free(r->categories[i].file);
    }
    free(r->categories);
    for (i = 0; i < r->indicator_count; i++)
        indicator_free(&r->indicators[i]);
    free(r->indicators);
    for (i = 0; i < r->bundle_count; i++) {
        free(r->bundles[i].sql);
        free(r->bundles[i].binds);
        free(r->bundles[i].members);
        if (r->bundles[i].scan != NULL) {
            bundle_scan *scan = r->bundles[i].scan;
            free(scan->table);
            free(scan->alias);
            free(scan->via);
            free(scan->sql);
            free(scan->binds);
            free(scan->kinds);
            free(scan->after_sql);
            free(scan->after_binds);
            free(scan);
        }
    }
    free(r->bundles);
    for (i = 0; i < r->star_count; i++) {
        for (j = 0; j < r->stars[i].also_count; j++)
            free(r->stars[i].also[j].text);
        free(r->stars[i].also);
        free(r->stars[i].name);
    }
    free(r->stars);
    free(r->star_unrated);
    for (i = 0; r->labels != NULL && i < r->label_count; i++) {
        free(r->labels[i].kind);
        free(r->labels[i].code);
        free(r->labels[i].text);
    }
    free(r->labels);
    for (i = 0; i < r->target_count; i++) {
        target_rule *t = &r->targets[i];
        free(t->id);
        free(t->name);
        free(t->source);
        free(t->unit);
        free(t->file);
        free(t->sql);
        free(t->binds);
    }
    free(r->targets);
    {
        appraisal_rule *a = &r->appraisal;
        free(a->name);
        free(a->source);
        free(a->file);
        free(a->sql);
        free(a->binds);
        for (i = 0; i < a->component_count; i++)
            free(a->components[i]);
        free(a->components);
        free(a->weight_params);
        for (i = 0; i < a->floor_count; i++)
            free(a->floors[i].name);
        free(a->floors);
    }
    {
        admission_rules *a = &r->admission;
        for (i = 0; i < a->entry_count; i++) {
            free((char *)a->entries[i].id);
            free((char *)a->entries[i].reason);
            re_free((re_pattern *)a->entries[i].pattern);
            re_free((re_pattern *)a->entries[i].department);
            free(a->entry_files[i]);
            free(a->entry_patterns[i]);
            free(a->entry_departments[i]);
        }
        free(a->entries);
        free(a->entry_files);
        free(a->entry_patterns);
        free(a->entry_departments);
        free(a->file);
        free((char *)a->messages.unfunded);
        free((char *)a->messages.unstaffed);
        free((char *)a->messages.no_approval);
        free((char *)a->messages.not_listed);
        free((char *)a->messages.limit);
        free((char *)a->messages.admitted);
    }
    params_free(&r->params);
    for (i = 0; i < r->problem_count; i++)
        free(r->problems[i]);
    free(r->problems);
    for (i = 0; i < r->warning_count; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r);
}

double rules_ref_value(const rules_ref *ref, const params *ps, int year)
{
    switch (ref->kind) {
    case REF_NUMBER:
        return ref->number;
    case REF_PARAM:
        return ref->param >= 0 ? params_number(ps, ref->param) : 0.0;
    case REF_SCHEDULE:
        return ref->param >= 0 ? params_schedule_at(ps, ref->param, year) : 0.0;
    }
    return 0.0;
}

int rules_find_indicator(const rules *r, const char *id)
{
    size_t i;
    for (i = 0; i < r->indicator_count; i++)
        if (strcmp(r->indicators[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Name of the parameter behind a reference, for messages. */
static const char *ref_name(const rules_ref *ref, const params *ps)
{
    return ref->param >= 0 ? ps->items[ref->param].name : "(a number)";
}

int rules_check_invariants(const rules *r, const params *ps, int year, error *e)
{
    double sum = 0;
    size_t i;
    buffer message;
    int status = ERROR_OK;
    buffer_init(&message);
    for (i = 0; i < r->indicator_count; i++) {
        const indicator *ind = &r->indicators[i];
        double max = rules_ref_value(&ind->max, ps, year);
        double a = rules_ref_value(&ind->score_args[0], ps, year);
        double b = rules_ref_value(&ind->score_args[1], ps, year);
        sum += max;
        if (!(max > 0))
            buffer_printf(&message, "\n%s:%d: %s = %g: max points must be above 0", ind->file,
                          ind->line, ref_name(&ind->max, ps), max);
        if (ind->score == SCORE_LIN && fabs(a - b) <= 1e-12)
            buffer_printf(&message,
                          "\n%s:%d: indicator %s: lin(%g, %g) has an empty range (%s, %s)",
                          ind->file, ind->line, ind->id, a, b, ref_name(&ind->score_args[0], ps),
                          ref_name(&ind->score_args[1], ps));
        if (ind->score == SCORE_RATIO && !(a > 0))
            buffer_printf(&message, "\n%s:%d: indicator %s: ratio target %g must be above 0 (%s)",
                          ind->file, ind->line, ind->id, a, ref_name(&ind->score_args[0], ps));
    }
    if (fabs(sum - r->total) > 1e-9) {
        buffer_printf(&message, "\nthe indicators' max points sum to %g, not %g:", sum, r->total);
        for (i = 0; i < r->category_count; i++) {
            double category_sum = 0;
            size_t k;
            for (k = 0; k < r->indicator_count; k++)
                if (r->indicators[k].category_index == (int)i)
                    category_sum += rules_ref_value(&r->indicators[k].max, ps, year);
            buffer_printf(&message, " %s %s %g;", r->categories[i].id,
                          r->categories[i].name ? r->categories[i].name : "", category_sum);
        }
        buffer_puts(&message, " change another <ID>.max so the total stays the same");
    }
    if (message.length > 0)
        status = error_set(e, ERROR_INPUT, "the rules no longer hold together:%s",
                           buffer_text(&message));
    buffer_free(&message);
    return status;
}
