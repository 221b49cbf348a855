/*
** cmd_import.c — kaohe import DIR|BOOK.xlsx --out SNAPSHOT: a snapshot from
** CSV files or a workbook, one per table, every row checked (data/import.c);
** values may be written as the rules' labels say them (书记, 是).
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
    session_config config;
    session run;
    progress line;
    error e;
    int status;
    if (o->out == NULL)
        return cli_usage_error(o->command, "where should the snapshot go? give --out SNAPSHOT");
    /* The labels of the rules (rules/labels.lua): without rules the values
    ** are read as codes only, which is no reason to refuse the import. */
    error_clear(&e);
    cli_session_config(o, &config);
    session_init(&run, &config);
    if (session_rules(&run, &config, &e) != ERROR_OK) {
        if (e.status == ERROR_USAGE) {
            cli_print_error(&e);
            session_free(&run);
            return ERROR_USAGE;
        }
        fprintf(stderr, "kaohe: warning: %s; values are read as codes only (no labels)\n",
                e.message);
    }
    memset(&options, 0, sizeof options);
    memset(&report, 0, sizeof report);
    buffer_init(&report.problems);
    options.directory = o->directory;
    options.out = o->out;
    options.skip_bad = o->skip_bad;
    options.max_row_bytes = o->max_row_mb << 20;
    options.labels = run.rules;
    options.problems_path = o->problems;
    progress_start(&line, "导入", 0, o->quiet);
    options.progress = import_progress;
    options.user = &line;
    error_clear(&e);
    status = import_csv_directory(&options, &report, &e);
    progress_end(&line);
    /* What was read differently or left out, then (with --skip-bad) the
    ** rows left out; a failure's problems are in its message. */
    if (report.notes.length > 0)
        fprintf(stderr, "%s", buffer_text(&report.notes));
    if (report.problems.length > 0 && status == ERROR_OK)
        fprintf(stderr, "%s", buffer_text(&report.problems));
    if (status != ERROR_OK)
        cli_print_error(&e);
    if (o->problems != NULL && report.problems.length > 0)
        fprintf(stderr, "kaohe: every problem is listed in %s\n", o->problems);
    else if (!o->quiet)
        printf("%s: %ld rows written, %ld skipped\n", o->out, report.rows_written,
               report.rows_skipped);
    import_report_free(&report);
    session_free(&run);
    return status;
}
