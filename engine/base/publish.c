/*
** publish.c — a new file built under a temporary name and published whole
** (publish.h).
**
** Stale temporaries: a temporary's creator holds an flock() on it from
** creation until it is unlinked. A temporary is removed as stale only when
** its process is gone and its lock is free: not by PID alone (a PID may
** belong to another PID namespace or be reused), not by the lock alone (a
** file is created before it is locked). flock() and SQLite's fcntl() locks do
** not interfere on Linux.
*/
#include "publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The folder of `path` into `out`: "." for a bare name, "/" for "/x". */
static void folder_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* True when no process `pid` exists (in this PID namespace). */
static bool process_gone(long pid)
{
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes `name` (a temporary of process `pid`) and its journal when the
** process is gone and nobody holds its lock. */
static void remove_if_stale(const char *name, long pid)
{
    struct stat held, there;
    char journal[PATH_MAX + 64];
    int fd = open(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fstat(fd, &held) == 0 && S_ISREG(held.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
        process_gone(pid) && lstat(name, &there) == 0 && there.st_ino == held.st_ino &&
        there.st_dev == held.st_dev) {
        snprintf(journal, sizeof journal, "%s-journal", name);
        unlink(journal); /* first: a journal without its database is never hot */
        unlink(name);
    }
    close(fd);
}

void publish_clean_stale(const char *path)
{
    char directory[PATH_MAX], name[PATH_MAX + 64];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t base_length = strlen(base);
    struct dirent *entry;
    DIR *folder;
    folder_of(path, directory, sizeof directory);
    folder = opendir(directory);
    if (folder == NULL)
        return;
    while ((entry = readdir(folder)) != NULL) {
        const char *rest;
        char *end;
        long pid;
        struct stat st;
        if (strncmp(entry->d_name, base, base_length) != 0 ||
            strncmp(entry->d_name + base_length, ".tmp-", 5) != 0)
            continue;
        rest = entry->d_name + base_length + 5;
        if (*rest < '1' || *rest > '9')
            continue;
        errno = 0;
        pid = strtol(rest, &end, 10);
        if (errno != 0 || pid <= 0 || pid != (long)(pid_t)pid || pid == (long)getpid())
            continue;
        snprintf(name, sizeof name, "%s/%.*s", directory, (int)(end - entry->d_name),
                 entry->d_name);
        if (*end == '\0')
            remove_if_stale(name, pid);
        else if (strcmp(end, "-journal") == 0 && lstat(name, &st) != 0 && errno == ENOENT &&
                 process_gone(pid)) {
            /* A journal whose database is gone: nothing can use it. */
            snprintf(name, sizeof name, "%s/%s", directory, entry->d_name);
            unlink(name);
        }
    }
    closedir(folder);
}

/* Creates and locks p->temporary; p->fd keeps the lock. */
static int create_temporary(publish *p, error *e)
{
    char journal[PATH_MAX + 64], directory[PATH_MAX];
    int attempt;
    snprintf(journal, sizeof journal, "%s-journal", p->temporary);
    folder_of(p->path, directory, sizeof directory);
    for (attempt = 0; attempt < 3; attempt++) {
        struct stat mine, there;
        int fd, err;
        /* A file of this name had this PID: a dead process's, unless a
        ** process of another PID namespace (a container sharing the
        ** folder) holds its lock now. */
        fd = open(p->temporary, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            close(fd);
            return error_set(e, ERROR_INPUT,
                             "%s: another process holds the temporary file %s (one with the "
                             "same process id, in another container?); run again",
                             p->path, p->temporary);
        }
        unlink(journal);
        unlink(p->temporary);
        if (fd >= 0)
            close(fd);
        /* 0666 & ~umask, like any new file. */
        fd = open(p->temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            err = errno;
            if (err == EEXIST)
                continue;
            if (err == ENOENT || err == ENOTDIR)
                return error_set(e, ERROR_INPUT, "%s: cannot create it: there is no folder %s",
                                 p->path, directory);
            return error_set(e, error_errno_status(err, ERROR_INPUT),
                             "%s: cannot create it in folder %s: %s", p->path, directory,
                             error_errno_text(err));
        }
        if (flock(fd, LOCK_EX) != 0) {
            err = errno;
            close(fd);
            unlink(p->temporary);
            return error_set(e, ERROR_SYSTEM, "%s: cannot lock the temporary file %s: %s", p->path,
                             p->temporary, error_errno_text(err));
        }
        /* Another process may have taken the unlocked file for a killed
        ** process's and removed it before the lock: then make it again. */
        if (fstat(fd, &mine) == 0 && lstat(p->temporary, &there) == 0 &&
            mine.st_ino == there.st_ino && mine.st_dev == there.st_dev) {
            p->fd = fd;
            return ERROR_OK;
        }
        close(fd);
    }
    return error_set(e, ERROR_SYSTEM,
                     "%s: cannot create the temporary file %s: another process keeps replacing it",
                     p->path, p->temporary);
}

/* The refusal of an existing `path`. */
static int refuse_existing(publish *p, error *e)
{
    p->exists = true;
    return error_set(e, ERROR_INPUT, "%s: exists; refusing to overwrite it", p->path);
}

int publish_begin(publish *p, const char *path, int flags, error *e)
{
    size_t size;
    struct stat st;
    int status = ERROR_OK;
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->flags = flags;
    if (path == NULL || path[0] == '\0') {
        status = error_set(e, ERROR_USAGE, "no output file named");
        goto done;
    }
    size = strlen(path) + 32;
    p->path = strdup(path);
    p->temporary = malloc(size);
    if (p->path == NULL || p->temporary == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    snprintf(p->temporary, size, "%s.tmp-%ld", path, (long)getpid());
    if (!(flags & PUBLISH_OVERWRITE) && lstat(path, &st) == 0) {
        status = refuse_existing(p, e);
        goto done;
    }
    publish_clean_stale(path);
    status = create_temporary(p, e);
done:
    if (status != ERROR_OK && p->fd < 0) {
        free(p->temporary); /* nothing of ours to remove */
        p->temporary = NULL;
    }
    return status;
}

const char *publish_temporary(const publish *p)
{
    return p->temporary;
}

int publish_write(publish *p, const void *data, size_t length, error *e)
{
    const char *bytes = data;
    while (length > 0) {
        ssize_t n = write(p->fd, bytes, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return error_set(e, ERROR_SYSTEM, "%s: cannot write: %s", p->path,
                             error_errno_text(n < 0 ? errno : ENOSPC));
        bytes += n;
        length -= (size_t)n;
    }
    return ERROR_OK;
}

/* Syncs the folder of p->path so that the new name is on disk too; best
** effort: the file is complete under its name, and a folder that cannot be
** synced cannot be made to forget the name either. */
static void sync_folder(const publish *p)
{
    char directory[PATH_MAX];
    int fd;
    folder_of(p->path, directory, sizeof directory);
    fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int publish_commit(publish *p, error *e)
{
    struct stat st;
    int err;
    if (p->temporary == NULL || p->fd < 0)
        return error_set(e, ERROR_SYSTEM, "%s: nothing to publish", p->path ? p->path : "?");
    /* Written without syncs: the bytes may not be on disk yet. They must be
    ** before the name is, or a crash could leave PATH naming a file with
    ** pages missing. */
    if (fsync(p->fd) != 0)
        return error_set(e, error_errno_status(errno, ERROR_SYSTEM),
                         "%s: cannot write: %s (nothing was written)", p->path,
                         error_errno_text(errno));
    if (p->flags & PUBLISH_OVERWRITE) {
        if (rename(p->temporary, p->path) != 0)
            return error_set(e, error_errno_status(errno, ERROR_SYSTEM),
                             "%s: cannot move the new file into place: %s", p->path,
                             error_errno_text(errno));
    } else if (link(p->temporary, p->path) == 0) {
        unlink(p->temporary);
    } else {
        /* link() never replaces a file that another process made meanwhile;
        ** where the file system has no hard links, rename() after a last
        ** look. */
        err = errno;
        if (err == EEXIST)
            return refuse_existing(p, e);
        if (err != EPERM && err != ENOTSUP && err != EOPNOTSUPP && err != EMLINK)
            return error_set(e, error_errno_status(err, ERROR_SYSTEM),
                             "%s: cannot move the new file into place: %s", p->path,
                             error_errno_text(err));
        if (lstat(p->path, &st) == 0)
            return refuse_existing(p, e);
        if (rename(p->temporary, p->path) != 0)
            return error_set(e, error_errno_status(errno, ERROR_SYSTEM),
                             "%s: cannot move the new file into place: %s", p->path,
                             error_errno_text(errno));
    }
    p->published = true;
    sync_folder(p);
    return ERROR_OK;
}

void publish_free(publish *p)
{
    char journal[PATH_MAX + 64];
    if (p == NULL)
        return;
    if (p->temporary != NULL) {
        /* The journal first: a journal without its database is never hot. */
        snprintf(journal, sizeof journal, "%s-journal", p->temporary);
        unlink(journal);
        if (!p->published)
            unlink(p->temporary);
        if (p->fd >= 0)
            close(p->fd); /* after the unlink: the lock guards the name until it is gone */
    }
    free(p->temporary);
    free(p->path);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}

int publish_bytes(const char *path, const void *data, size_t length, int flags, error *e)
{
    publish p;
    int status = publish_begin(&p, path, flags, e);
    if (status == ERROR_OK)
        status = publish_write(&p, data, length, e);
    if (status == ERROR_OK)
        status = publish_commit(&p, e);
    publish_free(&p);
    return status;
}
