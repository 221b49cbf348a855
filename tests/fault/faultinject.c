/*
** tests/fault/faultinject.c — an LD_PRELOAD library that makes the Nth
** allocation fail, to prove kaohe's out-of-memory paths.
**
** Why LD_PRELOAD and not -Wl,--wrap: --wrap only redirects the calls made by
** the objects being linked (the engine .o files). Most of kaohe's allocations happen
** inside shared libraries — SQLite (sqlite3_malloc), PCRE2, jansson, glibc's
** strdup/fopen/qsort — and a wrapped build would never fail those. A
** preloaded malloc interposes every call in the process, libraries included.
** It works with the plain build and with the ASan build (gcc links
** libasan.so dynamically: with ASAN_OPTIONS=verify_asan_link_order=0 our
** malloc is found first and forwards to ASan's; LeakSanitizer then reports
** any leak at exit). ASan intercepts a few libc functions (strdup, ...)
** inside its runtime, so those are injected only in the plain build:
** run.sh runs both.
**
** Only calls made while main() runs are counted: __libc_start_main is
** interposed to wrap main, so the loader's and the libraries' start-up
** allocations (which no program can handle) are never failed. realloc(p, 0)
** is never failed (it is a free).
**
** Environment:
**   FAULT_FAIL_AT=N      fail the Nth counted call (1-based); unset or 0: none
**   FAULT_PERSIST=1      fail every call from the Nth on (not just one)
**   FAULT_COUNT_FILE=F   write the number of counted calls to F at exit
**   FAULT_LOG=F          append "fail N <function> <size> <caller>" to F when
**                        the injected failure happens, then the stack (raw
**                        addresses with their library; addr2line or gdb
**                        turn them into file:line)
** Counting is per process (child processes start again from 0).
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static atomic_ulong calls;        /* counted calls so far */
static atomic_int armed;          /* 1 while main() runs */
static unsigned long fail_at;     /* 0 = never */
static int persist;
static const char *count_file;
static const char *log_file;

/* dlsym() may allocate before the real functions are known: serve those
** requests from a small static arena (never freed). */
static char arena[65536];
static size_t arena_used;

static void *arena_alloc(size_t size)
{
    void *p;
    size = (size + 15) & ~(size_t)15;
    if (arena_used + size > sizeof arena)
        return NULL;
    p = arena + arena_used;
    arena_used += size;
    return p;
}

static int in_arena(const void *p)
{
    return (const char *)p >= arena && (const char *)p < arena + sizeof arena;
}

static void resolve(void)
{
    static int resolving;
    if (real_malloc != NULL || resolving)
        return;
    resolving = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    resolving = 0;
}

/* Writes a line to FAULT_LOG with write(2) only (no allocation). */
static void log_failure(unsigned long n, const char *function, size_t size, void *caller)
{
    char line[160];
    int fd, length;
    if (log_file == NULL)
        return;
    void *frames[48];
    int depth;
    length = snprintf(line, sizeof line, "fail %lu %s %zu %p\n", n, function, size, caller);
    fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        if (write(fd, line, (size_t)length) < 0) {
            /* nothing to do */
        }
        depth = backtrace(frames, 48); /* primed in wrapped_main: no allocation here */
        backtrace_symbols_fd(frames, depth, fd);
        close(fd);
    }
}

/* True when this call must fail. */
static int should_fail(const char *function, size_t size, void *caller)
{
    unsigned long n;
    if (!atomic_load(&armed))
        return 0;
    n = atomic_fetch_add(&calls, 1) + 1;
    if (fail_at == 0 || n < fail_at || (n > fail_at && !persist))
        return 0;
    log_failure(n, function, size, caller);
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    resolve();
    if (real_malloc == NULL)
        return arena_alloc(size);
    if (should_fail("malloc", size, __builtin_return_address(0)))
        return NULL;
    return real_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    resolve();
    if (real_calloc == NULL) {
        void *p = count && size > (size_t)-1 / count ? NULL : arena_alloc(count * size);
        if (p != NULL)
            memset(p, 0, count * size);
        return p;
    }
    if (should_fail("calloc", count * size, __builtin_return_address(0)))
        return NULL;
    return real_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
    resolve();
    if (pointer != NULL && in_arena(pointer)) {
        size_t room = (size_t)(arena + sizeof arena - (char *)pointer);
        void *p = malloc(size);
        if (p != NULL)
            memcpy(p, pointer, size < room ? size : room);
        return p;
    }
    if (real_realloc == NULL)
        return arena_alloc(size);
    if (size != 0 && should_fail("realloc", size, __builtin_return_address(0)))
        return NULL;
    return real_realloc(pointer, size);
}

void free(void *pointer)
{
    if (pointer == NULL || in_arena(pointer))
        return;
    resolve();
    if (real_free != NULL)
        real_free(pointer);
}

/* --- counting only while main() runs --------------------------------------- */

static int (*real_main)(int, char **, char **);

static void report_count(void)
{
    char line[64];
    int fd, length;
    atomic_store(&armed, 0);
    if (count_file == NULL)
        return;
    length = snprintf(line, sizeof line, "%lu\n", atomic_load(&calls));
    fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, line, (size_t)length) < 0) {
            /* nothing to do */
        }
        close(fd);
    }
}

static int wrapped_main(int argc, char **argv, char **envp)
{
    const char *at = getenv("FAULT_FAIL_AT");
    const char *p = getenv("FAULT_PERSIST");
    int status;
    fail_at = at != NULL ? strtoul(at, NULL, 10) : 0;
    persist = p != NULL && strcmp(p, "1") == 0;
    count_file = getenv("FAULT_COUNT_FILE");
    log_file = getenv("FAULT_LOG");
    if (log_file != NULL) {
        void *frames[2];
        backtrace(frames, 2); /* loads libgcc_s now, not while failing */
    }
    atexit(report_count); /* also when main calls exit() */
    atomic_store(&armed, 1);
    status = real_main(argc, argv, envp);
    report_count();
    return status;
}

int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                      void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                      void *stack_end)
{
    int (*real_start)(int (*)(int, char **, char **), int, char **, void (*)(void),
                      void (*)(void), void (*)(void), void *);
    real_start = dlsym(RTLD_NEXT, "__libc_start_main");
    real_main = main;
    return real_start(wrapped_main, argc, argv, init, fini, rtld_fini, stack_end);
}
