/*
** cmd_eval.c — kaohe eval SNAPSHOT [--out RESULTS]: the year-end run. The
** results are written while the run computes (a writer thread fed the run,
** then the task decisions, then the scores) and committed only when all is
** right; the ranked table goes to stdout.
*/
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "results.h"

/* eval_options.progress: the query count on the progress line. */
static void eval_progress(void *user, long done, long total)
{
    progress *line = user;
    line->total = total;
    progress_update(line, done);
}

/* eval_load's hook: the decisions go to the results writer at once. */
static void eval_decided(void *user, const eval_data *data)
{
    results_writer_feed_decisions(user, data->decisions, data->decision_count);
}

/* The report failed after the run was committed (run_id > 0): the message
** says the results are in RESULTS, or a rerun would append them twice. */
static int report_failed(error *e, const char *what, const char *results_path, long long run_id)
{
    if (run_id <= 0 || results_path == NULL)
        return error_set(e, ERROR_SYSTEM, "%s", what);
    return error_set(e, ERROR_SYSTEM,
                     "%s; the results were written as run %lld in %s (kaohe report %s --run %lld "
                     "--out FILE.html shows them)",
                     what, run_id, results_path, results_path, run_id);
}

typedef struct stage_times {
    double open_ms, score_ms, write_ms, write_early_ms;
    long rss_kb[3]; /* peak resident memory after open, load, score */
} stage_times;

/* --timings: one JSON line on stderr; -v adds each query's time. */
static void print_timings(const cli_options *o, const session *run, const stage_times *t,
                          const struct timespec *begin)
{
    struct rusage usage;
    const eval_data *data = &run->data;
    getrusage(RUSAGE_SELF, &usage);
    fprintf(stderr,
            "{\"communities\":%zu,\"jobs\":%d,\"open_ms\":%.1f,\"decide_ms\":%.1f,"
            "\"decide_distinct\":%zu,\"decide_steps\":%llu,\"queries_ms\":%.1f,\"score_ms\":%."
            "1f,\"write_ms\":%.1f,\"write_early_ms\":%.1f,\"total_ms\":%.1f,"
            "\"rows_returned\":%lld,\"rows_validated\":%lld,\"peak_rss_kb\":%ld,"
            "\"peak_rss_kb_after_open\":%ld,\"peak_rss_kb_after_queries\":%ld,"
            "\"peak_rss_kb_after_score\":%ld,\"cpu_user_s\":%.3f,"
            "\"cpu_system_s\":%.3f}\n",
            run->snapshot->community_count, data->jobs, t->open_ms, data->decide_ms,
            data->decide_distinct, data->decide_steps, data->query_ms, t->score_ms, t->write_ms,
            t->write_early_ms, cli_elapsed_ms(begin), data->rows_returned, run->snapshot->rows_read,
            usage.ru_maxrss, t->rss_kb[0], t->rss_kb[1], t->rss_kb[2],
            (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6,
            (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6);
    if (o->verbose) {
        size_t j;
        for (j = 0; j < data->job_count; j++)
            fprintf(stderr, "  query %-24s %9.1f ms\n", data->job_names[j], data->job_ms[j]);
    }
}

int cmd_eval(const cli_options *o)
{
    session run;
    results_writer *writer = NULL; /* the run's results, written as they are ready */
    results_run written;
    error e;
    buffer out;
    char started[32];
    long long run_id = 0;
    struct timespec begin, stage;
    stage_times t;
    progress line;
    int status;
    clock_gettime(CLOCK_MONOTONIC, &begin);
    memset(&t, 0, sizeof t);
    memset(&written, 0, sizeof written);
    buffer_init(&out);
    error_clear(&e);
    results_timestamp(started);
    status = cli_start(o, &run, true, true);
    if (status != ERROR_OK)
        goto done;
    if (o->out != NULL) {
        /* With threads for the queries, the write gets one of its own:
        ** --jobs 1 stays one thread. */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        bool overlap = o->jobs > 1 || (o->jobs <= 0 && cores > 1);
        status = results_check_out(o->out, &e);
        if (status == ERROR_OK)
            status = results_writer_begin(o->out, overlap, &writer, &e);
        if (status != ERROR_OK)
            goto fail;
    }
    clock_gettime(CLOCK_MONOTONIC, &stage);
    {
        /* The tables the bundles scan are checked in the same read. */
        const char *later[32];
        session_scanned_tables(&run, later, sizeof later / sizeof later[0]);
        status = session_open(&run, o->snapshot, later, &e);
    }
    if (status != ERROR_OK)
        goto fail;
    t.open_ms = cli_elapsed_ms(&stage);
    t.rss_kb[0] = cli_peak_rss_kb();
    written.run.rules = run.rules;
    written.run.snapshot = run.snapshot;
    written.run.params = &run.params;
    written.started_at = started;
    written.kind = "eval";
    if (writer != NULL) {
        results_writer_feed_run(writer, &written);
        run.options.decided = eval_decided;
        run.options.decided_user = writer;
    }
    progress_start(&line, "计算指标（查询）", 0, o->quiet);
    run.options.progress = eval_progress;
    run.options.user = &line;
    status = session_load(&run, &e);
    progress_end(&line);
    if (status != ERROR_OK)
        goto fail;
    t.rss_kb[1] = cli_peak_rss_kb();
    clock_gettime(CLOCK_MONOTONIC, &stage);
    status = session_score(&run, &e);
    if (status != ERROR_OK)
        goto fail;
    eval_data_drop_columns(&run.data);
    t.score_ms = cli_elapsed_ms(&stage);
    t.rss_kb[2] = cli_peak_rss_kb();
    clock_gettime(CLOCK_MONOTONIC, &stage);
    if (writer != NULL) {
        results_writer *finishing = writer;
        writer = NULL; /* finish frees it, whatever happens */
        written.run = session_view(&run);
        t.write_early_ms = results_writer_busy_ms(finishing);
        status = results_writer_finish(finishing, &written, &run_id, &e);
        if (status != ERROR_OK)
            goto fail;
    }
    t.write_ms = cli_elapsed_ms(&stage);
    if (o->timings)
        print_timings(o, &run, &t, &begin);
    if (!o->quiet) {
        summary_input in;
        memset(&in, 0, sizeof in);
        in.run = session_view(&run);
        in.run_id = run_id;
        in.results_path = o->out;
        in.near = o->near;
        if (summary_write(&in, o->format, &out) != ERROR_OK) {
            status = report_failed(&e, "out of memory writing the report", o->out, run_id);
            goto fail;
        }
        if (o->format == SUMMARY_TABLE && o->out != NULL)
            buffer_printf(&out, "结果已写入 %s（run %lld）\n", o->out, run_id);
        if (!cli_write_stdout(&out)) {
            status = report_failed(&e, "cannot write to standard output", o->out, run_id);
            goto fail;
        }
    }
    status = ERROR_OK;
    goto done;
fail:
    cli_print_error(&e);
done:
    /* Before what it borrows is freed; nothing is left at a new --out. */
    results_writer_abort(writer);
    buffer_free(&out);
    session_free(&run);
    return status;
}
