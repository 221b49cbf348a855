/*
** error.c — the error value of error.h.
*/
#include "error.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

void error_clear(error *e)
{
    if (e == NULL)
        return;
    e->status = ERROR_OK;
    e->message[0] = '\0';
}

int error_setv(error *e, int status, const char *format, va_list args)
{
    if (e == NULL)
        return status;
    e->status = status;
    vsnprintf(e->message, sizeof e->message, format, args);
    /* A failure the user cannot read about is worse than a vague one: an
    ** empty text (a "%s" of an empty string) still says that something
    ** failed and how badly. */
    if (e->message[0] == '\0' && status != ERROR_OK)
        snprintf(e->message, sizeof e->message, "%s", error_fallback_text(status));
    return status;
}

const char *error_fallback_text(int status)
{
    switch (status) {
    case ERROR_INPUT:
        return "the input was refused, but no reason was recorded (a kaohe bug: please report "
               "the command line)";
    case ERROR_USAGE:
        return "the command line was refused, but no reason was recorded (a kaohe bug: please "
               "report it)";
    default:
        return "the machine failed, but no reason was recorded (a kaohe bug: please report the "
               "command line)";
    }
}

const char *error_errno_text(int err)
{
    /* strerror(0) is "Success": a failure blamed on it would read as
    ** "cannot write: Success". */
    return err != 0 ? strerror(err) : "the system gave no reason";
}

int error_set(error *e, int status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    error_setv(e, status, format, args);
    va_end(args);
    return status;
}

void error_prefix(error *e, const char *format, ...)
{
    char prefix[1024];
    char old[sizeof e->message];
    va_list args;
    if (e == NULL)
        return;
    va_start(args, format);
    vsnprintf(prefix, sizeof prefix, format, args);
    va_end(args);
    memcpy(old, e->message, sizeof old);
    snprintf(e->message, sizeof e->message, "%s: %s", prefix, old);
}

int error_sqlite_status(int rc, int otherwise)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOLFS:
        return ERROR_SYSTEM;
    default:
        return otherwise;
    }
}

int error_errno_status(int err, int otherwise)
{
    switch (err) {
    case ENOMEM:
    case EIO:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
        return ERROR_SYSTEM;
    default:
        return otherwise;
    }
}
