/*
** cmd_explain.c — kaohe explain SNAPSHOT --community ID [--indicator ID] |
** --worker ID | --task ID: why a result is what it is, from the same run
** eval makes.
*/
#include <string.h>

#include "cli.h"
#include "explain.h"

int cmd_explain(const cli_options *o)
{
    session run;
    eval_run in;
    buffer out;
    error e;
    int asked = (o->community != NULL) + (o->worker != NULL) + (o->task != NULL);
    int status;
    if (asked != 1 || (o->indicator != NULL && o->community == NULL))
        return cli_usage_error(o->command, "give one of --community ID [--indicator ID], "
                                           "--worker ID or --task ID");
    buffer_init(&out);
    error_clear(&e);
    status = cli_start(o, &run, true, true);
    if (status != ERROR_OK)
        goto done;
    status = session_open(&run, o->snapshot, NULL, &e);
    if (status == ERROR_OK)
        status = session_evaluate(&run, &e);
    if (status != ERROR_OK)
        goto fail;
    in = session_view(&run);
    if (o->community != NULL)
        status = explain_community(&in, o->community, o->indicator, o->json, &out, &e);
    else if (o->worker != NULL)
        status = explain_worker(&in, o->worker, o->json, &out, &e);
    else
        status = explain_task(&in, o->task, o->json, &out, &e);
    if (status != ERROR_OK)
        goto fail;
    fwrite(buffer_text(&out), 1, out.length, stdout);
    goto done;
fail:
    cli_print_error(&e);
done:
    buffer_free(&out);
    session_free(&run);
    return status;
}
