/*
** tests/fuzz/fuzz_common.h — helpers shared by the libFuzzer harnesses.
**
** Every harness is one fuzz_<name>.c with LLVMFuzzerTestOneInput, linked
** with this module and the engine's library objects (every engine .c file but
** main.c) built with -fsanitize=fuzzer-no-link,address,undefined (see
** fuzz.mk). What lives here:
**
**   - fuzz_root(): the repository root (shipped rules, fixtures), from
**     $KAOHE_HOME or the path compiled in by fuzz.mk;
**   - fuzz_workdir(): a private scratch directory per process, removed at
**     exit; fuzz_write_file() / fuzz_read_file() / fuzz_copy_tree();
**   - a byte reader (fuzz_input) that never runs past the end (reads past
**     the end give zeros), for harnesses that decode structure from bytes;
**   - fuzz_split(): cut the input at a separator byte;
**   - FUZZ_CHECK(): an oracle that aborts with a message (libFuzzer saves
**     the input as a crash), for "wrong result" bugs that do not crash;
**   - Lua line coverage: the engine's lua_sethook calls are wrapped
**     (-Wl,--wrap=lua_sethook) so that every line event in the compiled-in
**     preludes (engine/rules/dsl.lua, engine/rules/scenario_dsl.lua) bumps a libFuzzer
**     extra counter. Without it libFuzzer sees only C coverage and the DSL's
**     own branches would be invisible to it. The sandbox's count hook keeps
**     its exact behaviour (same function, same count).
*/
#ifndef KAOHE_FUZZ_COMMON_H
#define KAOHE_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Repository root: holds indicators/, rules/ and fixtures/. */
const char *fuzz_root(void);

/* What kaohe's main does first: rule SQL runs only under the SQL guard
** (sqlguard_init). Aborts, naming `harness`, when it cannot be set up. */
void fuzz_sql_guard(const char *harness);

/* This process's scratch directory (created on first use, removed at exit). */
const char *fuzz_workdir(void);

/* Writes `length` bytes to `path` (truncating); aborts on failure. */
void fuzz_write_file(const char *path, const void *data, size_t length);

/* Reads a whole file into a malloc'd, NUL-terminated buffer; NULL on failure. */
char *fuzz_read_file(const char *path, size_t *length);

/* Copies the regular files of directory `from` into `to` (created). */
void fuzz_copy_dir(const char *from, const char *to);

/* Removes a directory tree (best effort). */
void fuzz_remove_tree(const char *path);

/* Creates a directory (and its parents); aborts on failure. */
void fuzz_mkdirs(const char *path);

/* A cursor over the fuzz input. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size;
    size_t pos;
} fuzz_input;

uint8_t fuzz_u8(fuzz_input *in);
uint16_t fuzz_u16(fuzz_input *in);
uint32_t fuzz_u32(fuzz_input *in);
/* A value in 0..n-1 (0 when n is 0). */
unsigned fuzz_pick(fuzz_input *in, unsigned n);
/* Up to `max` bytes, length chosen by the input; *length gets it. Points into
** the input (not NUL-terminated). */
const uint8_t *fuzz_bytes(fuzz_input *in, size_t max, size_t *length);
bool fuzz_done(const fuzz_input *in);

/* Cuts data at every `separator` byte into at most `max` pieces (the last one
** holds the rest). Returns the number of pieces; pieces[i]/lengths[i] point
** into data. */
size_t fuzz_split(const uint8_t *data, size_t size, uint8_t separator, const uint8_t **pieces,
                  size_t *lengths, size_t max);

/* A malloc'd NUL-terminated copy of `length` bytes. */
char *fuzz_strndup(const void *data, size_t length);

/* Oracle: aborts with "fuzz oracle: <message>" when `cond` is false. */
#define FUZZ_CHECK(cond, ...)                                                                 \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                \
    } while (0)
void fuzz_fail(const char *file, int line, const char *cond, const char *format, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#endif
