/*
** cmd_import.c — kaohe import DIR --out SNAPSHOT: a snapshot from CSV files,
** one per table, every row checked (data/import.c).
*/
#include <string.h>

#include "cli.h"
#include "import.h"
#include "progress.h"

/* import_options.progress: rows read so far, per file. */
static void import_progress(void *user, const char *file, long rows)
{
    progress *line = user;
    line->label = file;
    line->total = rows;
    progress_update(line, rows);
}

int cmd_import(const cli_options *o)
{
    import_options options;
    import_report report;
    progress line;
    error e;
    int status;
    if (o->out == NULL)
        return cli_usage_error(o->command, "where should the snapshot go? give --out SNAPSHOT");
    memset(&options, 0, sizeof options);
    memset(&report, 0, sizeof report);
    buffer_init(&report.problems);
    options.directory = o->directory;
    options.out = o->out;
    options.skip_bad = o->skip_bad;
    options.max_row_bytes = o->max_row_mb << 20;
    progress_start(&line, "导入", 0, o->quiet);
    options.progress = import_progress;
    options.user = &line;
    error_clear(&e);
    status = import_csv_directory(&options, &report, &e);
    progress_end(&line);
    if (report.problems.length > 0 && status == ERROR_OK)
        fprintf(stderr, "%s", buffer_text(&report.problems));
    if (status != ERROR_OK)
        cli_print_error(&e);
    else if (!o->quiet)
        printf("%s: %ld rows written, %ld skipped\n", o->out, report.rows_written,
               report.rows_skipped);
    import_report_free(&report);
    return status;
}
