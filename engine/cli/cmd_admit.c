/*
** cmd_admit.c — kaohe admit: one task decided against the admission list
** (--title ...), or the list's coverage of a snapshot's tasks (SNAPSHOT).
*/
#include <string.h>

#include "admit.h"
#include "cli.h"

int cmd_admit(const cli_options *o)
{
    session run;
    buffer out;
    error e;
    int status;
    if ((o->title == NULL) == (o->snapshot == NULL))
        return cli_usage_error(o->command, "give --title \"...\" to try one task, or a SNAPSHOT "
                                           "for the coverage report");
    buffer_init(&out);
    error_clear(&e);
    status = cli_start(o, &run, true, true);
    if (status != ERROR_OK)
        goto done;
    if (o->title != NULL) {
        admit_task task;
        memset(&task, 0, sizeof task);
        task.title = o->title;
        task.detail = o->detail;
        task.department = o->department != NULL ? o->department : "";
        task.approval_ref = o->approval;
        task.funded = o->funded;
        task.staffed = o->staffed;
        status = admit_try(run.rules, &run.params, &task, o->json, &out, &e);
    } else {
        status = snapshot_open_threads(o->snapshot, run.options.jobs, &run.snapshot, &e);
        if (status == ERROR_OK)
            status = admit_report(run.rules, &run.params, run.snapshot, o->json, &out, &e);
    }
    if (status != ERROR_OK) {
        cli_print_error(&e);
        goto done;
    }
    fwrite(buffer_text(&out), 1, out.length, stdout);
done:
    buffer_free(&out);
    session_free(&run);
    return status;
}
