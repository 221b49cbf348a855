/*
** sqlguard.c — the guard around rule SQL (sqlguard.h).
**
** What rule SQL may do is written as data first: the functions it may call,
** the reasons given for the ones it may not, the tables it may not read and
** the date functions whose modifiers are checked. The machinery follows:
** the authorizer, the date wrappers, the VFS, the allocator, the progress
** handler and the messages.
*/
#include "sqlguard.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- What rule SQL may do --------------------------------------------- */

/* The SQL functions rule SQL may call: SQLite's functions that give the
** same result for the same arguments, and kaohe's own. Everything else is
** refused when the statement prepares. */
static const char *const allowed_functions[] = {
    /* core scalar functions */
    "abs", "char", "coalesce", "format", "glob", "hex", "ifnull", "iif", "instr", "length", "like",
    "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif", "printf", "quote", "replace",
    "round", "rtrim", "sign", "soundex", "substr", "substring", "trim", "typeof", "unicode",
    "unlikely", "upper", "zeroblob",
    /* aggregates */
    "avg", "count", "group_concat", "sum", "total",
    /* window functions */
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
    /* date and time: 'now', 'localtime' and 'utc' are refused when they run */
    "date", "time", "datetime", "julianday", "unixepoch", "strftime",
    /* math (SQLITE_ENABLE_MATH_FUNCTIONS) */
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
    "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians",
    "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
    /* JSON (the operators -> and ->> are functions too) */
    "json", "json_array", "json_array_length", "json_extract", "json_insert", "json_object",
    "json_patch", "json_quote", "json_remove", "json_replace", "json_set", "json_type",
    "json_valid", "json_group_array", "json_group_object", "->", "->>",
    /* kaohe's own (snapshot_register_functions) */
    "add_years", "date_valid", "utf8_bad"};

/* Why some functions are not on the list, for the message. */
static const struct {
    const char *name;
    const char *why;
} refused_functions[] = {
    {"random", "a random source: its result changes on every run"},
    {"randomblob", "a random source: its result changes on every run"},
    {"current_date", "the clock: its result changes from day to day (use {as_of})"},
    {"current_time", "the clock: its result changes from day to day (use {as_of})"},
    {"current_timestamp", "the clock: its result changes from day to day (use {as_of})"},
    {"changes", "what earlier statements did, not the snapshot"},
    {"total_changes", "what earlier statements did, not the snapshot"},
    {"last_insert_rowid", "what earlier statements did, not the snapshot"},
    {"sqlite_version", "the SQLite library in use, not the snapshot"},
    {"sqlite_source_id", "the SQLite library in use, not the snapshot"},
    {"sqlite_compileoption_get", "the SQLite library in use, not the snapshot"},
    {"sqlite_compileoption_used", "the SQLite library in use, not the snapshot"},
    {"sqlite_offset", "where a row lies in the file, not what it holds"},
    {"load_extension", "code loaded from a file"},
    {"fts3_tokenizer", "code inside SQLite"},
};

/* Tables rule SQL may not read, although a SELECT can name them: SQLite's
** own tables (sqlite_master, sqlite_stat1, sqlite_stmt...), the PRAGMA
** table-valued functions and the virtual tables built into SQLite. Their
** content is not the snapshot's data (and sqlite_stmt changes while it is
** read). */
static const char *const refused_table_prefixes[] = {"sqlite_", "pragma_"};
static const char *const refused_tables[] = {"dbstat", "json_each", "json_tree"};

/* SQLite's date and time functions, with the position of their time value;
** the arguments after it are modifiers. Calls with modifiers go through
** date_call(), which refuses 'localtime' and 'utc'. */
static const struct {
    const char *name;
    int time_value;
} date_functions[] = {{"date", 0},      {"time", 0},      {"datetime", 0},
                      {"julianday", 0}, {"unixepoch", 0}, {"strftime", 1}};
#define DATE_FUNCTIONS (int)(sizeof date_functions / sizeof date_functions[0])

/* The most arguments a function call may have on a guarded connection, so
** that every call with modifiers has a wrapper (SQLite's default limit). */
#define MAX_ARGS 127

/* The progress handler runs every PROGRESS_OPS VM steps: often enough to
** stop within a millisecond, rarely enough to cost nothing. */
#define PROGRESS_OPS 1000

/* Work done inside SQL functions is not VM steps: printf('%.100000G', x)
** runs for 100 µs in one step. What a query makes costs steps too, one per
** ALLOCATED_BYTES_PER_STEP bytes SQLite allocates for it (the shipped
** queries allocate under 31 bytes per snapshot row). */
#define ALLOCATED_BYTES_PER_STEP 16

/* ---- The guard of one connection --------------------------------------- */

/* Why a query was stopped (bits of sqlguard.stops). */
enum {
    STOP_REFUSED = 1 << 0, /* the authorizer or a statement check refused it */
    STOP_CLOCK = 1 << 1,   /* it read the clock or the time zone */
    STOP_STEPS = 1 << 2,   /* it ran out of VM steps */
    STOP_MEMORY = 1 << 3,  /* its memory limit refused an allocation */
    STOP_TEMP = 1 << 4,    /* its temporary-file limit refused a write */
    STOP_ROWS = 1 << 5     /* it returned more rows than the snapshot holds */
};

typedef struct sqlguard sqlguard;

/* What a date-function wrapper needs: its guard and which function it is. */
typedef struct date_wrapper {
    sqlguard *guard;
    int function; /* index into date_functions */
} date_wrapper;

struct sqlguard {
    sqlite3 *db;      /* the guarded connection (not owned) */
    bool complete;    /* everything is in place (else rule SQL is refused) */
    bool armed;       /* a query from sqlguard_prepare() is running */
    bool compiling;   /* sqlguard_prepare() is compiling its SQL */
    long long steps;  /* VM steps of the current query, and its allocations */
    long long memory; /* bytes of SQLite memory it added (may go below 0) */
    long long temp;   /* bytes of temporary files it holds */
    long long rows;   /* rows it returned */
    long long step_limit, memory_limit, temp_limit, row_limit; /* 0 row_limit: none */
    unsigned stops;                                            /* STOP_* bits */
    char why[320]; /* refusal or clock message (first one wins) */
    date_wrapper wrappers[DATE_FUNCTIONS];
    sqlite3 *companion;    /* runs SQLite's own date functions; lazily */
    sqlite3_stmt **calls;  /* [function * (MAX_ARGS + 1) + argc] on it */
    struct sqlguard *next; /* in the registry */
};

/* The guard armed on this thread (one guarded query per thread at a time);
** the allocator and the VFS charge its query. */
static _Thread_local sqlguard *current;

/* Every attached guard, to find a connection's guard. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlguard *registry;

static sqlguard_limits configured; /* sqlguard_set_limits() */
static bool metered;               /* the allocator is installed */

/* Records the first reason a query is refused or stopped for. */
static void stop(sqlguard *g, unsigned kind, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void stop(sqlguard *g, unsigned kind, const char *format, ...)
{
    if (format != NULL && (g->stops & (STOP_REFUSED | STOP_CLOCK)) == 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(g->why, sizeof g->why, format, args);
        va_end(args);
    }
    g->stops |= kind;
}

bool sqlguard_function_allowed(const char *name)
{
    size_t i;
    for (i = 0; name != NULL && i < sizeof allowed_functions / sizeof allowed_functions[0]; i++)
        if (sqlite3_stricmp(name, allowed_functions[i]) == 0)
            return true;
    return false;
}

/* True when rule SQL may read table `table` of database `database`. A
** query that uses no column of a table (count(*)), or of a CTE, reads it
** with no database name. */
static bool table_allowed(const char *table, const char *database)
{
    size_t i;
    if (table == NULL ||
        (database != NULL && strcmp(database, "main") != 0 && strcmp(database, "temp") != 0))
        return false;
    for (i = 0; i < sizeof refused_table_prefixes / sizeof refused_table_prefixes[0]; i++)
        if (sqlite3_strnicmp(table, refused_table_prefixes[i],
                             (int)strlen(refused_table_prefixes[i])) == 0)
            return false;
    for (i = 0; i < sizeof refused_tables / sizeof refused_tables[0]; i++)
        if (sqlite3_stricmp(table, refused_tables[i]) == 0)
            return false;
    return true;
}

/* The statement an authorizer action code stands for, for messages. */
static const char *action_name(int action)
{
    switch (action) {
    case SQLITE_PRAGMA:
        return "PRAGMA";
    case SQLITE_ATTACH:
        return "ATTACH";
    case SQLITE_DETACH:
        return "DETACH";
    case SQLITE_INSERT:
        return "INSERT";
    case SQLITE_UPDATE:
        return "UPDATE";
    case SQLITE_DELETE:
        return "DELETE";
    case SQLITE_TRANSACTION:
        return "a transaction (BEGIN, COMMIT)";
    case SQLITE_SAVEPOINT:
        return "SAVEPOINT";
    case SQLITE_ANALYZE:
        return "ANALYZE";
    case SQLITE_REINDEX:
        return "REINDEX";
    case SQLITE_ALTER_TABLE:
        return "ALTER TABLE";
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
        return "a virtual table";
    default:
        return "CREATE or DROP";
    }
}

/* The authorizer (sqlite3_set_authorizer): while rule SQL compiles,
** SELECT, reading allowed tables, recursive CTEs and allowed functions.
** SQL compiled while the query runs is SQLite's own: a virtual table of the
** snapshot (fts5...) preparing statements on its shadow tables. */
static int authorize(void *user, int action, const char *a3, const char *a4, const char *database,
                     const char *inner)
{
    sqlguard *g = user;
    size_t i;
    (void)inner;
    if (!g->armed || !g->compiling)
        return SQLITE_OK; /* the engine's own SQL, or SQLite's */
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_READ:
        if (table_allowed(a3, database))
            return SQLITE_OK;
        stop(g, STOP_REFUSED,
             "reads %s, which is not the snapshot's data: rule SQL may read only the "
             "snapshot's tables",
             a3 ? a3 : "?");
        return SQLITE_DENY;
    case SQLITE_FUNCTION:
        if (sqlguard_function_allowed(a4))
            return SQLITE_OK;
        for (i = 0; i < sizeof refused_functions / sizeof refused_functions[0]; i++)
            if (a4 != NULL && sqlite3_stricmp(a4, refused_functions[i].name) == 0) {
                stop(g, STOP_REFUSED,
                     "calls %s(), which depends on %s; rule SQL must give the same result on "
                     "every run",
                     a4, refused_functions[i].why);
                return SQLITE_DENY;
            }
        stop(g, STOP_REFUSED,
             "calls %s(), which is not one of the SQL functions rule SQL may call (they give "
             "the same result on every run)",
             a4 ? a4 : "?");
        return SQLITE_DENY;
    case SQLITE_UPDATE:
        /* A table-valued function or virtual table declares itself the
        ** first time a connection uses it, as an update of sqlite_master. */
        if (a3 != NULL && sqlite3_stricmp(a3, "sqlite_master") == 0 && database != NULL &&
            strcmp(database, "main") == 0) {
            stop(g, STOP_REFUSED,
                 "uses a table-valued function or virtual table (pragma_..., json_each, "
                 "dbstat...): rule SQL may read only the snapshot's tables");
            return SQLITE_DENY;
        }
        break;
    case SQLITE_INSERT:
        /* CREATE begins as an insert into SQLite's own table. */
        if (a3 != NULL && sqlite3_strnicmp(a3, "sqlite_", 7) == 0) {
            stop(g, STOP_REFUSED,
                 "changes the schema (CREATE, ANALYZE...): rule SQL may only read the snapshot, "
                 "with one "
                 "SELECT");
            return SQLITE_DENY;
        }
        break;
    default:
        break;
    }
    stop(g, STOP_REFUSED, "runs %s%s%s: rule SQL may only read the snapshot, with one SELECT",
         action_name(action), action == SQLITE_PRAGMA && a3 ? " " : "",
         action == SQLITE_PRAGMA && a3 ? a3 : "");
    return SQLITE_DENY;
}

/* The progress handler: counts VM steps of the armed query, stops it at
** its limit or as soon as it read the clock. */
static int on_progress(void *user)
{
    sqlguard *g = user;
    if (!g->armed)
        return 0;
    if (g->stops & (STOP_CLOCK | STOP_STEPS))
        return 1;
    g->steps += PROGRESS_OPS;
    if (g->steps > g->step_limit) {
        stop(g, STOP_STEPS, NULL);
        return 1;
    }
    return 0;
}

/* The statement that runs SQLite's own date function `function` with
** `argc` arguments on the guard's companion connection (opened and
** prepared on first use); NULL when out of memory. */
static sqlite3_stmt *companion_call(sqlguard *g, int function, int argc)
{
    sqlite3_stmt **slot;
    char sql[16 + MAX_ARGS * 6];
    size_t length;
    int i;
    if (g->calls == NULL) {
        g->calls = sqlite3_malloc64(sizeof *g->calls * DATE_FUNCTIONS * (MAX_ARGS + 1));
        if (g->calls == NULL)
            return NULL;
        memset(g->calls, 0, sizeof *g->calls * DATE_FUNCTIONS * (MAX_ARGS + 1));
    }
    if (g->companion == NULL &&
        sqlite3_open_v2(":memory:", &g->companion, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        sqlite3_close(g->companion);
        g->companion = NULL;
        return NULL;
    }
    slot = &g->calls[function * (MAX_ARGS + 1) + argc];
    if (*slot != NULL)
        return *slot;
    length = (size_t)snprintf(sql, sizeof sql, "SELECT %s(", date_functions[function].name);
    for (i = 1; i <= argc; i++)
        length += (size_t)snprintf(sql + length, sizeof sql - length, "%s?%d", i > 1 ? "," : "", i);
    snprintf(sql + length, sizeof sql - length, ")");
    if (sqlite3_prepare_v2(g->companion, sql, -1, slot, NULL) != SQLITE_OK) {
        sqlite3_finalize(*slot);
        *slot = NULL;
    }
    return *slot;
}

/* date(), time(), datetime(), julianday(), unixepoch() and strftime()
** with modifiers: refuses 'now', 'localtime' and 'utc', then runs SQLite's
** own function on the companion connection (SQLite offers no other way to
** call a built-in function that a connection overrides). */
static void date_call(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    const date_wrapper *w = sqlite3_user_data(context);
    sqlguard *g = w->guard;
    const char *name = date_functions[w->function].name;
    int first = date_functions[w->function].time_value;
    sqlite3_stmt *call;
    int i, rc;
    for (i = first; i < argc; i++) {
        int type = sqlite3_value_type(argv[i]);
        const char *text;
        if (type != SQLITE_TEXT && type != SQLITE_BLOB)
            continue;
        text = (const char *)sqlite3_value_text(argv[i]);
        if (text == NULL)
            continue;
        /* SQLite compares the whole text, ignoring case, as here. */
        if ((i == first && sqlite3_stricmp(text, "now") == 0) ||
            (i > first &&
             (sqlite3_stricmp(text, "localtime") == 0 || sqlite3_stricmp(text, "utc") == 0))) {
            if (i == first)
                stop(g, STOP_CLOCK,
                     "reads the clock (%s('%s', ...)): its result would change from day to day; "
                     "use the snapshot's date {as_of} instead",
                     name, text);
            else
                stop(g, STOP_CLOCK,
                     "uses the modifier '%s' in %s(): its result would depend on the machine's "
                     "time zone",
                     text, name);
            sqlite3_result_error(context, g->why, -1);
            return;
        }
    }
    call = companion_call(g, w->function, argc);
    if (call == NULL) {
        sqlite3_result_error_nomem(context);
        return;
    }
    for (i = 0; i < argc; i++)
        sqlite3_bind_value(call, i + 1, argv[i]);
    rc = sqlite3_step(call);
    if (rc == SQLITE_ROW)
        sqlite3_result_value(context, sqlite3_column_value(call, 0));
    else if ((rc & 0xff) == SQLITE_NOMEM)
        sqlite3_result_error_nomem(context);
    else
        sqlite3_result_error(context, sqlite3_errmsg(g->companion), -1);
    sqlite3_reset(call);
    sqlite3_clear_bindings(call);
}

/* ---- The VFS: the clock and temporary files ------------------------------ */

static sqlite3_vfs *base_vfs; /* the default VFS it wraps */
static sqlite3_vfs guard_vfs; /* registered as the default */

/* A temporary file: the real one follows this header in memory. */
typedef struct temp_file {
    sqlite3_file base;  /* pMethods = &temp_methods */
    sqlite3_file *real; /* the wrapped file */
    sqlite3_int64 size; /* bytes written (its high-water mark) */
} temp_file;

/* Files that hold a query's temporary data: sorter runs, materialized
** views and CTEs, the temporary database and their journals. */
#define TEMP_FILE_FLAGS                                                                            \
    (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_TRANSIENT_DB |                   \
     SQLITE_OPEN_SUBJOURNAL)

/* Releases a temporary file's bytes from the armed query. */
static void temp_release(sqlite3_int64 bytes)
{
    if (current != NULL)
        current->temp = current->temp > bytes ? current->temp - bytes : 0;
}

static int temp_close(sqlite3_file *file)
{
    temp_file *t = (temp_file *)file;
    temp_release(t->size);
    return t->real->pMethods->xClose(t->real);
}

static int temp_read(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xRead(t->real, data, amount, offset);
}

/* Writes, charging the armed query for the file's growth; SQLITE_FULL past
** its limit. */
static int temp_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    temp_file *t = (temp_file *)file;
    sqlite3_int64 end = offset + amount;
    sqlguard *g = current;
    if (end > t->size) {
        if (g != NULL) {
            if (g->temp + (end - t->size) > g->temp_limit) {
                stop(g, STOP_TEMP, NULL);
                return SQLITE_FULL;
            }
            g->temp += end - t->size;
        }
        t->size = end;
    }
    return t->real->pMethods->xWrite(t->real, data, amount, offset);
}

static int temp_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    temp_file *t = (temp_file *)file;
    if (size < t->size) {
        temp_release(t->size - size);
        t->size = size;
    }
    return t->real->pMethods->xTruncate(t->real, size);
}

static int temp_sync(sqlite3_file *file, int flags)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xSync(t->real, flags);
}

static int temp_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xFileSize(t->real, size);
}

static int temp_lock(sqlite3_file *file, int level)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xLock(t->real, level);
}

static int temp_unlock(sqlite3_file *file, int level)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xUnlock(t->real, level);
}

static int temp_check_reserved_lock(sqlite3_file *file, int *out)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xCheckReservedLock(t->real, out);
}

static int temp_file_control(sqlite3_file *file, int op, void *argument)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xFileControl(t->real, op, argument);
}

static int temp_sector_size(sqlite3_file *file)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xSectorSize(t->real);
}

static int temp_device_characteristics(sqlite3_file *file)
{
    temp_file *t = (temp_file *)file;
    return t->real->pMethods->xDeviceCharacteristics(t->real);
}

/* Version 1: temporary files need no shared memory and no memory map. */
static const sqlite3_io_methods temp_methods = {1,
                                                temp_close,
                                                temp_read,
                                                temp_write,
                                                temp_truncate,
                                                temp_sync,
                                                temp_file_size,
                                                temp_lock,
                                                temp_unlock,
                                                temp_check_reserved_lock,
                                                temp_file_control,
                                                temp_sector_size,
                                                temp_device_characteristics,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL,
                                                NULL};

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                    int *out_flags)
{
    temp_file *t = (temp_file *)file;
    int rc;
    (void)vfs;
    if ((flags & TEMP_FILE_FLAGS) == 0)
        return base_vfs->xOpen(base_vfs, name, file, flags, out_flags); /* not metered */
    t->real = (sqlite3_file *)(t + 1);
    t->size = 0;
    rc = base_vfs->xOpen(base_vfs, name, t->real, flags, out_flags);
    /* SQLite closes a file whose pMethods is set, even when xOpen failed. */
    t->base.pMethods = t->real->pMethods != NULL ? &temp_methods : NULL;
    return rc;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_directory)
{
    (void)vfs;
    return base_vfs->xDelete(base_vfs, name, sync_directory);
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return base_vfs->xAccess(base_vfs, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    return base_vfs->xFullPathname(base_vfs, name, size, out);
}

static void *vfs_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return base_vfs->xDlOpen(base_vfs, name);
}

static void vfs_dl_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    base_vfs->xDlError(base_vfs, size, out);
}

static void (*vfs_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
    (void)vfs;
    return base_vfs->xDlSym(base_vfs, handle, symbol);
}

static void vfs_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    base_vfs->xDlClose(base_vfs, handle);
}

static int vfs_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return base_vfs->xRandomness(base_vfs, size, out);
}

static int vfs_sleep(sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return base_vfs->xSleep(base_vfs, microseconds);
}

/* True (and the armed query is stopped) when rule SQL asks for the time:
** SQLite reads the clock only through the VFS ('now', CURRENT_DATE, date
** functions without a date), so refusing it here catches every way. */
static bool clock_refused(void)
{
    sqlguard *g = current;
    if (g == NULL)
        return false;
    stop(g, STOP_CLOCK,
         "reads the clock ('now', CURRENT_DATE or a date function without a date): its result "
         "would change from day to day; use the snapshot's date {as_of} instead");
    sqlite3_interrupt(g->db);
    return true;
}

static int vfs_current_time(sqlite3_vfs *vfs, double *now)
{
    (void)vfs;
    if (clock_refused()) {
        *now = 0;
        return SQLITE_ERROR;
    }
    return base_vfs->xCurrentTime(base_vfs, now);
}

static int vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *now)
{
    double days;
    int rc;
    (void)vfs;
    if (clock_refused()) {
        *now = 0;
        return SQLITE_ERROR;
    }
    if (base_vfs->iVersion >= 2 && base_vfs->xCurrentTimeInt64 != NULL)
        return base_vfs->xCurrentTimeInt64(base_vfs, now);
    rc = base_vfs->xCurrentTime(base_vfs, &days);
    *now = (sqlite3_int64)(days * 86400000.0);
    return rc;
}

static int vfs_get_last_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return base_vfs->xGetLastError != NULL ? base_vfs->xGetLastError(base_vfs, size, out) : 0;
}

static int vfs_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr call)
{
    (void)vfs;
    return base_vfs->xSetSystemCall(base_vfs, name, call);
}

static sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return base_vfs->xGetSystemCall(base_vfs, name);
}

static const char *vfs_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return base_vfs->xNextSystemCall(base_vfs, name);
}

/* Makes the guard's VFS the default, wrapping the current default. */
static int register_vfs(void)
{
    int rc = sqlite3_initialize(); /* its own code: out of memory, say */
    if (rc != SQLITE_OK)
        return rc;
    base_vfs = sqlite3_vfs_find(NULL);
    if (base_vfs == NULL)
        return SQLITE_ERROR;
    memset(&guard_vfs, 0, sizeof guard_vfs);
    guard_vfs.iVersion = base_vfs->iVersion >= 3 ? 3 : base_vfs->iVersion;
    guard_vfs.szOsFile = (int)sizeof(temp_file) + base_vfs->szOsFile;
    guard_vfs.mxPathname = base_vfs->mxPathname;
    guard_vfs.zName = "kaohe-sqlguard";
    guard_vfs.xOpen = vfs_open;
    guard_vfs.xDelete = vfs_delete;
    guard_vfs.xAccess = vfs_access;
    guard_vfs.xFullPathname = vfs_full_pathname;
    guard_vfs.xDlOpen = vfs_dl_open;
    guard_vfs.xDlError = vfs_dl_error;
    guard_vfs.xDlSym = vfs_dl_sym;
    guard_vfs.xDlClose = vfs_dl_close;
    guard_vfs.xRandomness = vfs_randomness;
    guard_vfs.xSleep = vfs_sleep;
    guard_vfs.xCurrentTime = vfs_current_time;
    guard_vfs.xGetLastError = vfs_get_last_error;
    if (guard_vfs.iVersion >= 2)
        guard_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
    if (guard_vfs.iVersion >= 3) {
        guard_vfs.xSetSystemCall = vfs_set_system_call;
        guard_vfs.xGetSystemCall = vfs_get_system_call;
        guard_vfs.xNextSystemCall = vfs_next_system_call;
    }
    return sqlite3_vfs_register(&guard_vfs, 1);
}

/* ---- The allocator: memory a query adds ---------------------------------- */

/* Each block starts with its size; 16 bytes keep malloc's alignment. */
#define BLOCK_HEADER 16

/* Charges `bytes` more to the armed query (memory, and steps for the work
** of making them); false past its memory limit. */
static bool memory_charge(sqlguard *g, long long bytes)
{
    if (g->memory + bytes > g->memory_limit) {
        stop(g, STOP_MEMORY, NULL);
        return false;
    }
    g->memory += bytes;
    g->steps += bytes / ALLOCATED_BYTES_PER_STEP;
    if (g->steps > g->step_limit && (g->stops & STOP_STEPS) == 0) {
        /* Between two progress calls: stop the query at its next check. */
        stop(g, STOP_STEPS, NULL);
        sqlite3_interrupt(g->db);
    }
    return true;
}

static void *memory_malloc(int size)
{
    sqlguard *g = current;
    char *block;
    if (g != NULL && !memory_charge(g, size))
        return NULL;
    block = malloc((size_t)size + BLOCK_HEADER);
    if (block == NULL) {
        if (g != NULL)
            g->memory -= size;
        return NULL;
    }
    memcpy(block, &(sqlite3_int64){size}, sizeof(sqlite3_int64));
    return block + BLOCK_HEADER;
}

static sqlite3_int64 block_size(void *pointer)
{
    sqlite3_int64 size;
    memcpy(&size, (char *)pointer - BLOCK_HEADER, sizeof size);
    return size;
}

static void memory_free(void *pointer)
{
    if (pointer == NULL)
        return;
    if (current != NULL)
        current->memory -= block_size(pointer);
    free((char *)pointer - BLOCK_HEADER);
}

static void *memory_realloc(void *pointer, int size)
{
    sqlguard *g = current;
    sqlite3_int64 old = block_size(pointer);
    char *block;
    if (g != NULL && size > old && !memory_charge(g, size - old))
        return NULL;
    block = realloc((char *)pointer - BLOCK_HEADER, (size_t)size + BLOCK_HEADER);
    if (block == NULL) {
        if (g != NULL && size > old)
            g->memory -= size - old;
        return NULL;
    }
    if (g != NULL && size < old)
        g->memory -= old - size;
    memcpy(block, &(sqlite3_int64){size}, sizeof(sqlite3_int64));
    return block + BLOCK_HEADER;
}

static int memory_size(void *pointer)
{
    return pointer != NULL ? (int)block_size(pointer) : 0;
}

static int memory_roundup(int size)
{
    return (size + 7) & ~7;
}

static int memory_init(void *data)
{
    (void)data;
    return SQLITE_OK;
}

static void memory_shutdown(void *data)
{
    (void)data;
}

/* ---- Attaching, arming and reporting ------------------------------------- */

int sqlguard_init(void)
{
    static const sqlite3_mem_methods methods = {
        memory_malloc,  memory_free, memory_realloc,  memory_size,
        memory_roundup, memory_init, memory_shutdown, NULL};
    int rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
    if (rc != SQLITE_OK)
        return rc;
    metered = true;
    return register_vfs();
}

void sqlguard_set_limits(const sqlguard_limits *limits)
{
    memset(&configured, 0, sizeof configured);
    if (limits != NULL)
        configured = *limits;
}

/* The guard of `db`, or NULL. */
static sqlguard *guard_of(sqlite3 *db)
{
    sqlguard *g;
    pthread_mutex_lock(&registry_lock);
    for (g = registry; g != NULL && g->db != db; g = g->next)
        ;
    pthread_mutex_unlock(&registry_lock);
    return g;
}

/* Frees a guard when its connection closes (the xDestroy of its marker
** function). */
static void guard_free(void *pointer)
{
    sqlguard *g = pointer, **link;
    int i;
    pthread_mutex_lock(&registry_lock);
    for (link = &registry; *link != NULL; link = &(*link)->next)
        if (*link == g) {
            *link = g->next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    if (current == g)
        current = NULL;
    for (i = 0; g->calls != NULL && i < DATE_FUNCTIONS * (MAX_ARGS + 1); i++)
        sqlite3_finalize(g->calls[i]);
    sqlite3_free(g->calls);
    sqlite3_close(g->companion);
    sqlite3_free(g);
}

/* The marker function that owns the guard; rule SQL may not call it. */
static void guard_marker(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_null(context);
}

int sqlguard_attach(sqlite3 *db)
{
    sqlguard *g = guard_of(db);
    sqlite3_vfs *vfs = NULL;
    int rc, k, argc;
    if (g != NULL)
        return g->complete ? SQLITE_OK : SQLITE_MISUSE; /* tried before: never twice */
    if (!metered || base_vfs == NULL)
        return SQLITE_MISUSE;
    /* Temporary files and the clock go through the connection's VFS. */
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK ||
        vfs != &guard_vfs)
        return SQLITE_MISUSE;
    g = sqlite3_malloc64(sizeof *g);
    if (g == NULL)
        return SQLITE_NOMEM;
    memset(g, 0, sizeof *g);
    g->db = db;
    /* From here the connection owns the guard (SQLite calls guard_free
    ** even when this registration fails). */
    rc = sqlite3_create_function_v2(db, "kaohe_sqlguard", 0, SQLITE_UTF8, g, guard_marker, NULL,
                                    NULL, guard_free);
    if (rc != SQLITE_OK)
        return rc;
    /* Registered before it is complete: a guard that fails half-way stays
    ** (the wrappers already made point to it) and is never tried again. */
    pthread_mutex_lock(&registry_lock);
    g->next = registry;
    registry = g;
    pthread_mutex_unlock(&registry_lock);
    if (sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, -1) > MAX_ARGS)
        sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, MAX_ARGS);
    /* Calls without modifiers keep SQLite's own functions (fast: they run
    ** per row); only calls with modifiers are wrapped. */
    for (k = 0; k < DATE_FUNCTIONS; k++) {
        g->wrappers[k].guard = g;
        g->wrappers[k].function = k;
        for (argc = date_functions[k].time_value + 2; argc <= MAX_ARGS; argc++) {
            rc = sqlite3_create_function_v2(db, date_functions[k].name, argc,
                                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                            &g->wrappers[k], date_call, NULL, NULL, NULL);
            if (rc != SQLITE_OK)
                return rc;
        }
    }
    rc = sqlite3_set_authorizer(db, authorize, g);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_progress_handler(db, PROGRESS_OPS, on_progress, g);
    g->complete = true;
    return SQLITE_OK;
}

/* Size of the main database file of `db` (0 for an in-memory one). */
static long long main_file_size(sqlite3 *db)
{
    sqlite3_file *file = NULL;
    sqlite3_int64 size = 0;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == NULL || file->pMethods == NULL ||
        file->pMethods->xFileSize(file, &size) != SQLITE_OK)
        return 0;
    return size;
}

/* Starts a query on `g`: counters to zero, limits for a snapshot of `rows`
** rows. */
static void arm(sqlguard *g, long long rows)
{
    long long floor_bytes = (long long)SQLGUARD_DEFAULT_TEMP_MB << 20;
    long long file_bytes = main_file_size(g->db);
    g->steps = g->memory = g->temp = g->rows = 0;
    g->stops = 0;
    g->why[0] = '\0';
    g->step_limit = configured.steps > 0 ? configured.steps
                    : rows > SQLGUARD_STEPS_FLOOR / SQLGUARD_STEPS_PER_ROW
                        ? rows * SQLGUARD_STEPS_PER_ROW
                        : SQLGUARD_STEPS_FLOOR;
    g->memory_limit = (configured.memory_mb > 0 ? configured.memory_mb : SQLGUARD_DEFAULT_MEMORY_MB)
                      << 20;
    g->temp_limit = configured.temp_mb > 0         ? configured.temp_mb << 20
                    : file_bytes > floor_bytes / 2 ? file_bytes * 2
                                                   : floor_bytes;
    g->row_limit = rows > 0 ? rows : 0;
    g->armed = true;
    current = g;
}

int sqlguard_prepare(sqlite3 *db, const char *sql, long long rows, sqlite3_stmt **out)
{
    sqlguard *g;
    int rc;
    *out = NULL;
    if (sqlguard_attach(db) != SQLITE_OK)
        return SQLITE_MISUSE; /* no guard, no rule SQL */
    g = guard_of(db);
    arm(g, rows);
    g->compiling = true;
    rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);
    g->compiling = false;
    if (rc != SQLITE_OK)
        return rc;
    /* No authorizer action stands for VACUUM, EXPLAIN or an empty text. */
    if (*out == NULL || !sqlite3_stmt_readonly(*out) || sqlite3_stmt_isexplain(*out)) {
        stop(g, STOP_REFUSED,
             "is not a SELECT (it is empty, writes or is an EXPLAIN): rule SQL may only read the "
             "snapshot, with one SELECT");
        sqlite3_finalize(*out);
        *out = NULL;
        return SQLITE_AUTH;
    }
    return SQLITE_OK;
}

int sqlguard_step(sqlite3_stmt *statement)
{
    sqlguard *g = current;
    int rc = sqlite3_step(statement);
    if (g == NULL)
        return rc;
    /* A refused clock gives NULL, not an error: fail the query here. */
    if (g->stops & STOP_CLOCK)
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    if (rc == SQLITE_ROW && g->row_limit > 0 && ++g->rows > g->row_limit) {
        stop(g, STOP_ROWS, NULL);
        return SQLITE_ERROR;
    }
    return rc;
}

void sqlguard_finalize(sqlite3_stmt *statement)
{
    sqlite3_finalize(statement);
    if (current != NULL) {
        current->armed = false;
        current = NULL;
    }
}

/* Writes `n` with thousands separators ("100,000,000"). */
static void format_count(char *out, size_t size, long long n)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%lld", n), i;
    size_t k = 0;
    for (i = 0; i < length && k + 2 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
}

int sqlguard_error(sqlite3 *db, int rc, const char *file, int line, const char *what, error *e)
{
    sqlguard *g = current != NULL && current->db == db ? current : guard_of(db);
    char why[512], count[40];
    int primary = rc & 0xff;
    file = file != NULL ? file : "?";
    if (g == NULL || !g->complete) {
        if (rc != SQLITE_MISUSE)
            return ERROR_OK;
        return error_set(e, ERROR_SYSTEM,
                         "rule SQL at %s:%d (%s) cannot run: the connection has no SQL guard "
                         "(out of memory?)",
                         file, line, what);
    }
    if (g->stops & STOP_CLOCK)
        snprintf(why, sizeof why, "%s", g->why);
    else if ((g->stops & STOP_REFUSED) && (primary == SQLITE_AUTH || primary == SQLITE_ERROR))
        snprintf(why, sizeof why, "%s", g->why);
    else if (primary == SQLITE_INTERRUPT && (g->stops & STOP_STEPS)) {
        format_count(count, sizeof count, g->step_limit);
        snprintf(why, sizeof why,
                 "exceeded the step limit of %s (an endless recursive query?) — raise "
                 "--rule-sql-steps if the snapshot is really that large",
                 count);
    } else if (primary == SQLITE_NOMEM && (g->stops & STOP_MEMORY)) {
        format_count(count, sizeof count, g->memory_limit >> 20);
        snprintf(why, sizeof why,
                 "needed more than %s MB of memory (a huge value or join?) — raise "
                 "--rule-sql-memory-mb if the snapshot is really that large",
                 count);
    } else if (primary == SQLITE_FULL && (g->stops & STOP_TEMP)) {
        format_count(count, sizeof count, g->temp_limit >> 20);
        snprintf(why, sizeof why,
                 "needed more than %s MB of temporary files (a huge sort?) — raise "
                 "--rule-sql-temp-mb if the snapshot is really that large",
                 count);
    } else if (g->stops & STOP_ROWS) {
        format_count(count, sizeof count, g->row_limit);
        snprintf(why, sizeof why,
                 "returned more than %s rows, more than the snapshot holds (an endless "
                 "recursive query?)",
                 count);
    } else
        return ERROR_OK;
    return error_set(e, ERROR_INPUT, "rule SQL at %s:%d (%s) %s", file, line, what, why);
}
