/*
** cmd_template.c — kaohe template --xlsx FILE: the workbook a city fills in
** and kaohe import reads back (output/template.c), its lists in the labels
** of the rules (--rules, --profile; default: the shipped ones).
*/
#include "cli.h"
#include "template.h"

int cmd_template(const cli_options *o)
{
    session_config config;
    session run;
    error e;
    int status;
    if (o->xlsx == NULL)
        return cli_usage_error(o->command, "which workbook? give --xlsx FILE.xlsx");
    error_clear(&e);
    cli_session_config(o, &config);
    session_init(&run, &config);
    status = session_rules(&run, &config, &e);
    if (status != ERROR_OK) {
        cli_print_error(&e);
        session_free(&run);
        return status;
    }
    status = template_write(o->xlsx, run.rules, &e);
    if (status != ERROR_OK)
        cli_print_error(&e);
    else if (!o->quiet)
        printf("%s: written (fill one sheet per table, then kaohe import %s --out SNAPSHOT)\n",
               o->xlsx, o->xlsx);
    session_free(&run);
    return status;
}
