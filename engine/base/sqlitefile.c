/*
** sqlitefile.c — recognising an SQLite database by its header
** (sqlitefile.h).
*/
#include "sqlitefile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The size of SQLite's database header (fileformat2.html §1.3). */
#define HEADER_BYTES 100

int sqlitefile_probe(const char *path, sqlitefile_info *info, error *e)
{
    unsigned char header[HEADER_BYTES];
    size_t got = 0;
    int status = ERROR_OK, err;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    memset(info, 0, sizeof *info);
    if (fd < 0) {
        err = errno;
        status = error_set(e, error_errno_status(err, ERROR_INPUT), "%s: %s", path,
                           error_errno_text(err));
        goto done;
    }
    if (fstat(fd, &info->st) != 0) {
        err = errno;
        status = error_set(e, error_errno_status(err, ERROR_SYSTEM), "%s: %s", path,
                           error_errno_text(err));
        goto done;
    }
    if (!S_ISREG(info->st.st_mode)) {
        info->kind = SQLITEFILE_NOT_REGULAR;
        goto done;
    }
    while (got < sizeof header) {
        ssize_t n = read(fd, header + got, sizeof header - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            status = error_set(e, error_errno_status(err, ERROR_SYSTEM), "%s: cannot read: %s",
                               path, error_errno_text(err));
            goto done;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got == 0)
        info->kind = SQLITEFILE_EMPTY;
    else if (got < sizeof header || memcmp(header, "SQLite format 3", 16) != 0)
        info->kind = SQLITEFILE_OTHER;
    else {
        info->kind = SQLITEFILE_DATABASE;
        info->write_version = header[18];
        info->read_version = header[19];
    }
done:
    if (fd >= 0)
        close(fd);
    return status;
}
