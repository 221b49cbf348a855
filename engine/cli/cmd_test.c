/*
** cmd_test.c — kaohe test [DIR [NAME]]: the rule tests (check/ruletest.c)
** of the rules given (--rules, --profile; default: the shipped rules).
*/
#include <limits.h>
#include <string.h>

#include "cli.h"
#include "ruletest.h"

int cmd_test(const cli_options *o)
{
    session run;
    ruletest_options options;
    char directory[PATH_MAX + 64];
    int status = cli_start(o, &run, true, false);
    if (status != ERROR_OK)
        goto done;
    memset(&options, 0, sizeof options);
    if (o->directory != NULL)
        snprintf(directory, sizeof directory, "%s", o->directory);
    else if (o->rules_dir != NULL || o->profile != NULL)
        snprintf(directory, sizeof directory, "%s/tests", run.rules->root);
    else
        snprintf(directory, sizeof directory, "%s/rules/tests", run.rules->root);
    options.directory = directory;
    options.verbose = o->verbose;
    options.limits = cli_rule_limits(o);
    options.only = o->name;
    status = ruletest_run(run.rules, &options, stdout);
done:
    session_free(&run);
    return status;
}
