/*
** cmd_verify.c — kaohe verify RESULTS [SNAPSHOT]: re-runs a stored run
** (check/verify.c) and says whether every row of its results is the same.
*/
#include <string.h>

#include "cli.h"
#include "verify.h"

int cmd_verify(const cli_options *o)
{
    verify_options options;
    buffer out;
    error e;
    int status;
    memset(&options, 0, sizeof options);
    options.results_path = o->results;
    options.run_id = o->run;
    options.snapshot_path = o->snapshot;
    options.rules_directory = o->rules_dir;
    options.default_root = session_root_or_placeholder(cli_default_root(o->program));
    options.limits = cli_rule_limits(o);
    buffer_init(&out);
    error_clear(&e);
    status = verify_run(&options, &out, &e);
    fwrite(buffer_text(&out), 1, out.length, stdout);
    if (status != ERROR_OK && e.status != ERROR_OK)
        cli_print_error(&e);
    buffer_free(&out);
    return status;
}
