/*
** cmd_report.c — kaohe report RESULTS --out FILE.html: the year-end report
** or community report cards of a stored run (output/report.c).
*/
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "publish.h"
#include "report.h"

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
        status = publish_bytes(o->out, buffer_text(&out), out.length, PUBLISH_OVERWRITE, &e);
    if (status != ERROR_OK)
        cli_print_error(&e);
    else if (!o->quiet)
        printf("%s: %zu bytes\n", o->out, out.length);
    buffer_free(&out);
    return status;
}
