/*
** tests/fuzz/fuzz_common.c — helpers shared by the harnesses (fuzz_common.h).
*/
#include "fuzz_common.h"

#include <sqlite3.h>

#include "sqlguard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lua.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KAOHE_SOURCE_ROOT
#define KAOHE_SOURCE_ROOT "."
#endif

const char *fuzz_root(void)
{
    const char *home = getenv("KAOHE_HOME");
    return home != NULL && *home != '\0' ? home : KAOHE_SOURCE_ROOT;
}

/* --- files ------------------------------------------------------------------ */

static char workdir[4096];

static void remove_workdir(void)
{
    if (workdir[0] != '\0')
        fuzz_remove_tree(workdir);
}

const char *fuzz_workdir(void)
{
    if (workdir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(workdir, sizeof workdir, "%s/kaohe-fuzz-%ld", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
        fuzz_remove_tree(workdir);
        fuzz_mkdirs(workdir);
        atexit(remove_workdir);
    }
    return workdir;
}

void fuzz_mkdirs(const char *path)
{
    char copy[4096];
    char *p;
    snprintf(copy, sizeof copy, "%s", path);
    for (p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, 0755);
            *p = '/';
        }
    }
    if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz: mkdir %s: %s\n", copy, strerror(errno));
        abort();
    }
}

void fuzz_write_file(const char *path, const void *data, size_t length)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const char *p = data;
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n <= 0) {
            fprintf(stderr, "fuzz: write %s: %s\n", path, strerror(errno));
            abort();
        }
        p += n;
        length -= (size_t)n;
    }
    close(fd);
}

char *fuzz_read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)size + 1);
        if (data != NULL && fread(data, 1, (size_t)size, f) == (size_t)size) {
            data[size] = '\0';
            if (length != NULL)
                *length = (size_t)size;
        } else {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

void fuzz_copy_dir(const char *from, const char *to)
{
    DIR *dir = opendir(from);
    struct dirent *entry;
    if (dir == NULL) {
        fprintf(stderr, "fuzz: cannot open %s: %s\n", from, strerror(errno));
        abort();
    }
    fuzz_mkdirs(to);
    while ((entry = readdir(dir)) != NULL) {
        char source[4096], target[4096];
        struct stat st;
        char *data;
        size_t length = 0;
        snprintf(source, sizeof source, "%s/%s", from, entry->d_name);
        if (stat(source, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        snprintf(target, sizeof target, "%s/%s", to, entry->d_name);
        data = fuzz_read_file(source, &length);
        if (data == NULL)
            abort();
        fuzz_write_file(target, data, length);
        free(data);
    }
    closedir(dir);
}

void fuzz_remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    if (dir == NULL) {
        unlink(path);
        return;
    }
    while ((entry = readdir(dir)) != NULL) {
        char child[4096];
        struct stat st;
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
            fuzz_remove_tree(child);
        else
            unlink(child);
    }
    closedir(dir);
    rmdir(path);
}

/* --- reading the input ----------------------------------------------------- */

uint8_t fuzz_u8(fuzz_input *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

uint16_t fuzz_u16(fuzz_input *in)
{
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)(hi << 8 | fuzz_u8(in));
}

uint32_t fuzz_u32(fuzz_input *in)
{
    uint32_t hi = fuzz_u16(in);
    return hi << 16 | fuzz_u16(in);
}

unsigned fuzz_pick(fuzz_input *in, unsigned n)
{
    if (n <= 1)
        return 0;
    if (n <= 256)
        return fuzz_u8(in) % n;
    return fuzz_u16(in) % n;
}

const uint8_t *fuzz_bytes(fuzz_input *in, size_t max, size_t *length)
{
    size_t n = max < 256 ? fuzz_u8(in) % (max + 1) : fuzz_u16(in) % (max + 1);
    const uint8_t *start = in->data + in->pos;
    if (n > in->size - in->pos)
        n = in->size - in->pos;
    in->pos += n;
    *length = n;
    return start;
}

bool fuzz_done(const fuzz_input *in)
{
    return in->pos >= in->size;
}

size_t fuzz_split(const uint8_t *data, size_t size, uint8_t separator, const uint8_t **pieces,
                  size_t *lengths, size_t max)
{
    size_t count = 0, start = 0, i;
    if (max == 0)
        return 0;
    for (i = 0; i < size && count + 1 < max; i++) {
        if (data[i] == separator) {
            pieces[count] = data + start;
            lengths[count] = i - start;
            count++;
            start = i + 1;
        }
    }
    pieces[count] = data + start;
    lengths[count] = size - start;
    return count + 1;
}

char *fuzz_strndup(const void *data, size_t length)
{
    char *copy = malloc(length + 1);
    if (copy == NULL)
        abort();
    if (length > 0)
        memcpy(copy, data, length);
    copy[length] = '\0';
    return copy;
}

void fuzz_fail(const char *file, int line, const char *cond, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "\nfuzz oracle failed at %s:%d: %s\n  ", file, line, cond);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    abort();
}

/* --- Lua line coverage as libFuzzer extra counters ---------------------------- */

#define LUA_COUNTERS 16384
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t
    lua_counters[LUA_COUNTERS];

void __real_lua_sethook(lua_State *L, lua_Hook f, int mask, int count);
void __wrap_lua_sethook(lua_State *L, lua_Hook f, int mask, int count);

static lua_Hook engine_hook; /* the sandbox's count hook (one function for every state) */
static unsigned previous_line;

/* Line events of the engine's own preludes become edges (previous line,
** line); everything else goes to the engine's hook unchanged. */
static void admit_hook(lua_State *L, lua_Debug *ar)
{
    if (ar->event == LUA_HOOKLINE) {
        if (lua_getinfo(L, "S", ar) && strncmp(ar->source, "@engine/", 8) == 0) {
            unsigned h = 2166136261u, line = (unsigned)ar->currentline;
            const char *p;
            for (p = ar->source; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
            h ^= line * 2654435761u ^ previous_line * 40503u;
            previous_line = line;
            if (lua_counters[h % LUA_COUNTERS] < 255)
                lua_counters[h % LUA_COUNTERS]++;
        }
        return;
    }
    if (engine_hook != NULL)
        engine_hook(L, ar);
}

void __wrap_lua_sethook(lua_State *L, lua_Hook f, int mask, int count)
{
    if (f == NULL || getenv("FUZZ_NO_LUA_COVERAGE") != NULL) {
        __real_lua_sethook(L, f, mask, count);
        return;
    }
    engine_hook = f;
    previous_line = 0;
    __real_lua_sethook(L, admit_hook, mask | LUA_MASKLINE, count);
}

void fuzz_sql_guard(const char *harness)
{
    if (sqlguard_init() != SQLITE_OK) {
        fprintf(stderr, "%s: cannot set up the SQL guard\n", harness);
        abort();
    }
}
