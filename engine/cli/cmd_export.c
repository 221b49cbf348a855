/*
** cmd_export.c — kaohe export RESULTS --xlsx FILE.xlsx: a stored run as a
** workbook, one sheet per results table (output/export.c).
*/
#include "cli.h"
#include "export.h"

int cmd_export(const cli_options *o)
{
    error e;
    int status;
    if (o->xlsx == NULL)
        return cli_usage_error(o->command, "which workbook? give --xlsx FILE.xlsx");
    error_clear(&e);
    status = export_xlsx(o->results, o->run, o->xlsx, &e);
    if (status != ERROR_OK)
        cli_print_error(&e);
    else if (!o->quiet)
        printf("%s: written\n", o->xlsx);
    return status;
}
