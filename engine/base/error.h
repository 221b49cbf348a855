/*
** error.h — one error value carried through every layer of kaohe.
**
** Library code never prints: a failing function fills an `error` and returns
** its status; main.c prints the message and maps the status to an exit code.
** Messages name what a user can act on: the rule file and line, the table,
** column and row id, or the pattern and character offset.
*/
#ifndef KAOHE_ERROR_H
#define KAOHE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* Exit statuses of the command-line contract (../shared/spec/README.md). */
enum {
    ERROR_OK = 0,    /* success */
    ERROR_INPUT = 1, /* the snapshot, the rules or the parameters are wrong */
    ERROR_USAGE = 2, /* the command line is wrong */
    ERROR_SYSTEM = 3 /* the machine failed us: out of memory, disk full, I/O */
};

typedef struct error {
    int status;         /* one of the ERROR_* values; ERROR_OK when no error */
    char message[4096]; /* one or more lines, no trailing newline */
} error;

/* Resets `e` to "no error". */
void error_clear(error *e);

/* Sets status and message (printf-style); returns `status` so callers can
** write `return error_set(e, ERROR_INPUT, "...")`. A NULL `e` is allowed. */
int error_set(error *e, int status, const char *format, ...) __attribute__((format(printf, 3, 4)));
int error_setv(error *e, int status, const char *format, va_list args);

/* The status of a failed SQLite call: ERROR_SYSTEM when SQLite's result code
** `rc` (primary or extended) is the machine's failure (out of memory, I/O
** error, disk full, no lock), else `otherwise` (the input's fault: bad SQL in
** a rule, a damaged snapshot...). */
int error_sqlite_status(int rc, int otherwise);

/* The status of a failed system call from its errno: ERROR_SYSTEM for out of
** memory, I/O errors, a full disk and too many open files, else `otherwise`. */
int error_errno_status(int err, int otherwise);

/* The text of a failure that has no message of its own (by status): never
** empty, so "kaohe: " is never printed alone. Static. */
const char *error_fallback_text(int status);

/* strerror(err), or a text saying the system gave no reason when err is 0
** (a failure noticed after a call that does not set errno). Static. */
const char *error_errno_text(int err);

/* Prepends "prefix: " to the current message (e.g. a file name). */
void error_prefix(error *e, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
