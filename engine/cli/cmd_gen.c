/*
** cmd_gen.c — kaohe gen --communities N --out FILE: a realistic generated
** snapshot (data/gen.c), for benchmarks and trials.
*/
#include <string.h>

#include "cli.h"
#include "gen.h"
#include "progress.h"

static void gen_progress(void *user, long done, long total)
{
    progress *p = user;
    (void)total;
    progress_update(p, done);
}

int cmd_gen(const cli_options *o)
{
    gen_options options;
    gen_stats stats;
    progress line;
    error e;
    int status;
    if (o->out == NULL || o->communities <= 0)
        return cli_usage_error(o->command, "give --communities N and --out FILE");
    memset(&options, 0, sizeof options);
    options.communities = o->communities;
    options.seed = o->seed;
    options.path = o->out;
    options.as_of = o->as_of;
    options.region = o->region;
    progress_start(&line, "生成快照（社区）", o->communities, o->quiet);
    options.progress = gen_progress;
    options.user = &line;
    error_clear(&e);
    status = gen_write(&options, &stats, &e);
    progress_end(&line);
    if (status != ERROR_OK) {
        cli_print_error(&e);
        return status;
    }
    if (!o->quiet)
        printf("%s: %ld communities, %lld rows in %.1f s (seed %lu)\n", o->out, o->communities,
               stats.rows, stats.seconds, o->seed);
    return ERROR_OK;
}
