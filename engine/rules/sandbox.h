/*
** sandbox.h — a Lua 5.4 state for running rule files written by staff.
**
** Rule files are untrusted text. A sandbox:
**   - opens only base, string, table, math and utf8 (as linit.c invites
**     embedders to choose), then removes dofile, loadfile, load,
**     collectgarbage, rawset, string.dump and math.random/randomseed (no
**     clock or random source reaches the rules);
**   - loads chunks as text only (mode "t"), named "@path" so messages read
**     "rules/x.lua:12: ...";
**   - gives each chunk its own environment: an empty table whose reads fall
**     through to a frozen table of allowed globals and whose writes fail, with
**     protected metatables, so one file cannot tamper with another;
**   - caps memory with a counting lua_Alloc and instructions with a count
**     hook; both stops are sticky: once a limit is hit every further hook
**     raises again, so a rule's own pcall cannot swallow the stop.
*/
#ifndef KAOHE_SANDBOX_H
#define KAOHE_SANDBOX_H

#include <lua.h>
#include <stddef.h>

#include "error.h"

typedef struct sandbox sandbox;

/* Zero fields take the defaults below. */
typedef struct sandbox_limits {
    size_t memory_bytes;    /* total bytes the state may hold */
    long long instructions; /* VM instructions per chunk load or call; work done
                            ** in C (text handled, elements moved or sorted,
                            ** pattern steps) is charged in instructions too */
    double seconds;         /* CPU seconds of all rule code in the sandbox: the
                            ** backstop for work no count can see (== on long
                            ** strings); rule code needs milliseconds */
    size_t print_bytes;     /* bytes print() may write in all; the rest is cut */
    size_t text_bytes;      /* longest text the DSL takes from a rule file */
} sandbox_limits;

/* Defaults used when the command line does not say otherwise. */
#define SANDBOX_DEFAULT_MEMORY_MB    256
#define SANDBOX_DEFAULT_INSTRUCTIONS 200000000LL
#define SANDBOX_DEFAULT_SECONDS      3.0
#define SANDBOX_DEFAULT_PRINT_KB     64
#define SANDBOX_DEFAULT_TEXT_KB      64
/* The longest message a rule's error may put in front of a user. */
#define SANDBOX_MESSAGE_MAX 1000

/* Creates a sandbox; on success *out owns it (free with sandbox_close). */
int sandbox_open(const sandbox_limits *limits, sandbox **out, error *e);
void sandbox_close(sandbox *sb);
lua_State *sandbox_state(sandbox *sb);

/* The longest text the DSL takes from a rule file (limits.text_bytes), for
** preludes: they enforce it on what rules hand them. */
size_t sandbox_text_limit(lua_State *L);

/* "file:line" of the innermost rule-file frame on L's stack (not a prelude
** under engine/), or "" when there is none. */
void sandbox_rule_where(lua_State *L, char *out, size_t size);

/* Loads `text` as chunk `chunkname` ("@file" form) in a fresh environment
** and runs it under the limits. On success leaves nothing on the stack. */
int sandbox_run_file(sandbox *sb, const char *text, size_t length, const char *chunkname, error *e);

/* Loads and runs trusted host code (a DSL prelude) with two arguments: the
** table of allowed globals, to which it may add names, and the table that
** `host` (a C function returning one table) builds; then makes the globals
** read-only. Leaves the prelude's one result (its API table) on the stack.
** Still under the limits, and protected throughout: running out of memory
** is an error in `e`, never an abort. Call once per sandbox. */
int sandbox_run_prelude(sandbox *sb, const char *text, size_t length, const char *chunkname,
                        lua_CFunction host, error *e);

/* The rule code has finished and the host now only reads the plain data it
** left. Reading can still allocate (a number shown as text), and a memory
** cap that the rules filled must not turn that into Lua's panic abort, so
** the cap is raised by SANDBOX_HOST_RESERVE_MB. */
#define SANDBOX_HOST_RESERVE_MB 16
void sandbox_rules_done(sandbox *sb);

/* Calls the function below `nargs` arguments under the limits, like
** lua_pcall, turning any failure into `e` with file:line. */
int sandbox_call(sandbox *sb, int nargs, int nresults, error *e);

#endif
