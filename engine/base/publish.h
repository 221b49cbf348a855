/*
** publish.h — making a new file appear whole or not at all.
**
** Every file kaohe writes for a user (a snapshot from gen or import, a new
** results file, an .xlsx workbook, an HTML report, a chart) is built under a
** temporary name next to its final one, PATH.tmp-PID, so the last step stays
** within one file system, and is published only when complete:
**
**     publish p;
**     status = publish_begin(&p, path, 0, e);        creates PATH.tmp-PID
**     ... write publish_temporary(&p) (SQLite, libxlsxwriter) or
**         publish_write(&p, bytes, n, e) ...
**     if (status == ERROR_OK)
**         status = publish_commit(&p, e);             syncs, links, syncs the folder
**     publish_free(&p);                               always: removes what is left
**
** The temporary is synced before it gets its name and the folder after, so
** a crash leaves either no PATH or a complete one. Without PUBLISH_OVERWRITE
** an existing PATH is never replaced: it is refused at publish_begin and, if
** it appears meanwhile, at publish_commit (link() fails rather than replace).
** The creator holds an flock() on the temporary while it lives; a process
** killed on the way leaves it behind, and the next publish_begin for the same
** PATH removes it once its process is gone and its lock free.
**
** Statuses, the same for every caller: ERROR_INPUT when the path is the
** user's to fix (it exists, there is no such folder, no permission);
** ERROR_SYSTEM when the machine fails (out of memory, disk full, I/O error,
** too many open files).
*/
#ifndef KAOHE_PUBLISH_H
#define KAOHE_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum {
    PUBLISH_OVERWRITE = 1 /* replace an existing PATH (rename) instead of refusing it */
};

typedef struct publish {
    char *path;      /* the final name (owned copy) */
    char *temporary; /* PATH.tmp-PID (owned); NULL when there is none */
    int fd;          /* open on the temporary, holding its lock; -1 when none */
    int flags;       /* PUBLISH_* */
    bool exists;     /* a refusal because PATH exists (at begin, or appeared before commit) */
    bool published;  /* publish_commit succeeded */
} publish;

/* Creates the empty temporary file for `path` (removing stale ones of killed
** processes first). Returns ERROR_OK, or an error with p->exists set when
** `path` exists and flags lack PUBLISH_OVERWRITE. Call publish_free(p)
** afterwards whatever the status. */
int publish_begin(publish *p, const char *path, int flags, error *e);

/* The temporary's name, for a library that opens files by name (it must
** open the existing file, not create another). Owned by `p`. */
const char *publish_temporary(const publish *p);

/* Appends `length` bytes to the temporary. Returns ERROR_OK or
** ERROR_SYSTEM (disk full, I/O error). */
int publish_write(publish *p, const void *data, size_t length, error *e);

/* Syncs the finished temporary (its writer done with it) and gives it the
** name `path`; syncs the folder. Returns ERROR_OK, ERROR_INPUT with
** p->exists set when `path` appeared meanwhile (without PUBLISH_OVERWRITE),
** or ERROR_SYSTEM. */
int publish_commit(publish *p, error *e);

/* Removes the temporary (and an SQLite -journal beside it) unless it was
** published, releases its lock and frees `p`'s memory. NULL-safe; `p` may
** be zeroed or half begun. */
void publish_free(publish *p);

/* Removes the temporaries of `path` that killed processes left behind (as
** publish_begin does); for a writer that updates an existing `path` in
** place. Best effort: what cannot be removed now is removed later. */
void publish_clean_stale(const char *path);

/* Writes `length` bytes to a new file `path` in one go (begin, write,
** commit, free). */
int publish_bytes(const char *path, const void *data, size_t length, int flags, error *e);

#endif
