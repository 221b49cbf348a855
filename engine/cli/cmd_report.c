/*
** cmd_report.c — kaohe report RESULTS --out FILE.html: the year-end report
** or community report cards of a stored run (output/report.c).
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

/* Writes `out` to `path` through a temporary file renamed into place, so a
** failure never leaves a half-written file. */
static int write_file_atomically(const char *path, const buffer *out, error *e)
{
    char temporary[PATH_MAX + 32];
    FILE *stream;
    snprintf(temporary, sizeof temporary, "%s.tmp-%ld", path, (long)getpid());
    stream = fopen(temporary, "wb");
    if (stream == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: cannot write: %s", path,
                         error_errno_text(errno));
    if (fwrite(buffer_text(out), 1, out->length, stream) != out->length || fclose(stream) != 0) {
        unlink(temporary);
        return error_set(e, ERROR_SYSTEM, "%s: cannot write: %s", path, error_errno_text(errno));
    }
    if (rename(temporary, path) != 0) {
        unlink(temporary);
        return error_set(e, ERROR_SYSTEM, "%s: cannot write: %s", path, error_errno_text(errno));
    }
    return ERROR_OK;
}

int cmd_report(const cli_options *o)
{
    report_options options;
    buffer out;
    error e;
    int status;
    if (o->out == NULL)
        return cli_usage_error(o->command, "where should the report go? give --out FILE.html");
    memset(&options, 0, sizeof options);
    options.results_path = o->results;
    options.run_id = o->run;
    options.community_id = o->community;
    options.margin = o->near;
    buffer_init(&out);
    error_clear(&e);
    status = report_write(&options, &out, &e);
    if (status == ERROR_OK)
        status = write_file_atomically(o->out, &out, &e);
    if (status != ERROR_OK)
        cli_print_error(&e);
    else if (!o->quiet)
        printf("%s: %zu bytes\n", o->out, out.length);
    buffer_free(&out);
    return status;
}
