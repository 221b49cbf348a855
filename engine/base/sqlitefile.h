/*
** sqlitefile.h — is this file an SQLite database? One look at its header.
**
** Snapshots, results files and the results that export reads are all
** SQLite files; before SQLite opens one (which would make a -journal, or
** read a -wal, beside a file that is no database) kaohe reads its first 100
** bytes: the magic "SQLite format 3\0" and the journal mode in bytes 18-19.
** The caller words the message, since only it knows what the file was meant
** to be ("a snapshot", "a results file").
*/
#ifndef KAOHE_SQLITEFILE_H
#define KAOHE_SQLITEFILE_H

#include <sys/stat.h>

#include "error.h"

typedef enum {
    SQLITEFILE_DATABASE,   /* starts with SQLite's header */
    SQLITEFILE_EMPTY,      /* a regular file of 0 bytes */
    SQLITEFILE_OTHER,      /* a regular file that is no SQLite database */
    SQLITEFILE_NOT_REGULAR /* a folder, a FIFO, a device... (not read) */
} sqlitefile_kind;

typedef struct sqlitefile_info {
    sqlitefile_kind kind;
    unsigned char write_version; /* header byte 18: 1 rollback journal, 2 WAL (DATABASE only) */
    unsigned char read_version;  /* header byte 19: the same */
    struct stat st;              /* the file as it was probed (to notice a change later) */
} sqlitefile_info;

/* Looks at `path` (following symbolic links, never blocking on a FIFO).
** Returns ERROR_OK with *info filled, or, when the file cannot be opened
** or read, ERROR_INPUT or ERROR_SYSTEM (error_errno_status) with the message
** "PATH: reason". */
int sqlitefile_probe(const char *path, sqlitefile_info *info, error *e);

#endif
