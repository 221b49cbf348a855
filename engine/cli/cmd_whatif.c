/*
** cmd_whatif.c — kaohe whatif SNAPSHOT: the baseline against a scenario
** (--set, --scenario), or one parameter swept over a range (--sweep). The
** snapshot is queried once; each scenario re-scores in place (eval_rescore).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "publish.h"
#include "results.h"
#include "whatif.h"

/* Parses NAME=FROM:TO:STEP. */
static int parse_sweep(const char *text, char *name, size_t size, double *from, double *to,
                       double *step)
{
    const char *equals = strchr(text, '=');
    char *end;
    if (equals == NULL || (size_t)(equals - text) >= size || equals == text)
        return 0;
    snprintf(name, size, "%.*s", (int)(equals - text), text);
    *from = strtod(equals + 1, &end);
    if (*end != ':')
        return 0;
    *to = strtod(end + 1, &end);
    if (*end != ':')
        return 0;
    *step = strtod(end + 1, &end);
    return *end == '\0' && *step > 0 && *to >= *from && isfinite(*from) && isfinite(*to);
}

int cmd_whatif(const cli_options *o)
{
    session run; /* the scenario's parameters; the data loaded once */
    params baseline = {0}, value_params = {0};
    eval_result before;
    whatif_diff diff;
    whatif_sweep sweep;
    buffer out;
    error e;
    progress line;
    struct timespec start;
    double load_ms, rescore_ms;
    size_t rerun = 0;
    char sweep_name[256];
    int status;
    if (o->set_count == 0 && o->scenario == NULL && o->sweep == NULL)
        return cli_usage_error(o->command, "what should change? give --set NAME=VALUE, "
                                           "--scenario FILE.lua or --sweep NAME=FROM:TO:STEP");
    if (o->chart != NULL && o->sweep == NULL)
        return cli_usage_error(o->command, "--chart draws a --sweep");
    memset(&before, 0, sizeof before);
    memset(&diff, 0, sizeof diff);
    memset(&sweep, 0, sizeof sweep);
    buffer_init(&out);
    error_clear(&e);
    status = cli_start(o, &run, true, true);
    if (status != ERROR_OK)
        goto done;
    status = params_copy(&baseline, &run.rules->params, &e);
    if (status != ERROR_OK)
        goto fail;
    if (o->out != NULL && o->sweep == NULL) {
        status = results_check_out(o->out, &e);
        if (status != ERROR_OK)
            goto fail;
    }
    status = session_open(&run, o->snapshot, NULL, &e);
    if (status != ERROR_OK)
        goto fail;
    /* The first load: the queries, the baseline scored into `after` (which
    ** each scenario then re-scores in place: eval_rescore) and, to compare
    ** a scenario with, a copy of it in `before`. */
    clock_gettime(CLOCK_MONOTONIC, &start);
    status = eval_load(run.rules, run.snapshot, &baseline, &run.options, &run.data, &e);
    if (status == ERROR_OK)
        status = eval_rescore(&run.data, &baseline, &run.result, &e);
    if (status == ERROR_OK && o->sweep == NULL)
        status = eval_result_copy(&before, &run.result, &e);
    if (status != ERROR_OK)
        goto fail;
    load_ms = cli_elapsed_ms(&start);
    if (o->sweep != NULL) {
        double from, to, step;
        long count, k;
        if (!parse_sweep(o->sweep, sweep_name, sizeof sweep_name, &from, &to, &step)) {
            status = cli_usage_error(o->command,
                                     "--sweep %s: write NAME=FROM:TO:STEP with FROM <= TO and "
                                     "STEP > 0, e.g. elimination.bottom_ratio=0.02:0.2:0.02",
                                     o->sweep);
            goto done;
        }
        count = (long)floor((to - from) / step + 1e-9) + 1;
        if (count > 1000) {
            status = cli_usage_error(o->command, "--sweep %s gives %ld values; at most 1000",
                                     o->sweep, count);
            goto done;
        }
        sweep.rules = run.rules;
        sweep.parameter = sweep_name;
        sweep.rows = calloc((size_t)count, sizeof *sweep.rows);
        if (sweep.rows == NULL) {
            status = error_set(&e, ERROR_SYSTEM, "out of memory");
            goto fail;
        }
        clock_gettime(CLOCK_MONOTONIC, &start);
        progress_start(&line, "参数扫描（取值）", count, o->quiet || o->json);
        for (k = 0; k < count; k++) {
            double value = from + step * (double)k;
            progress_update(&line, k);
            char text[64];
            snprintf(text, sizeof text, "%.12g", value);
            params_free(&value_params);
            status = params_copy(&value_params, &run.params, &e);
            if (status == ERROR_OK)
                status = params_set_text(&value_params, sweep_name, text, &e);
            if (status == ERROR_OK)
                status = rules_check_invariants(run.rules, &value_params, run.snapshot->year, &e);
            if (status == ERROR_OK)
                status = eval_refresh(&run.data, &value_params, &run.options, &rerun, &e);
            if (status == ERROR_OK)
                status = eval_rescore(&run.data, &value_params, &run.result, &e);
            if (status == ERROR_OK)
                status = whatif_sweep_row_fill(run.rules, value, &run.result, &sweep.rows[k], &e);
            sweep.row_count = (size_t)k + 1;
            if (status != ERROR_OK) {
                error_prefix(&e, "--sweep at %s", text);
                goto fail;
            }
        }
        progress_end(&line);
        sweep.rescore_ms = cli_elapsed_ms(&start) / (double)count;
        if ((o->json ? whatif_write_sweep_json(&sweep, &out)
                     : whatif_write_sweep_text(&sweep, &out)) != ERROR_OK) {
            status = error_set(&e, ERROR_SYSTEM, "out of memory");
            goto fail;
        }
        if (o->chart != NULL) {
            buffer svg;
            buffer_init(&svg);
            if (whatif_write_sweep_svg(&sweep, run.snapshot, &svg) != ERROR_OK)
                status = error_set(&e, ERROR_SYSTEM, "out of memory");
            else
                status =
                    publish_bytes(o->chart, buffer_text(&svg), svg.length, PUBLISH_OVERWRITE, &e);
            buffer_free(&svg);
            if (status != ERROR_OK)
                goto fail;
            if (!o->json)
                buffer_printf(&out, "图表已写入 %s\n", o->chart);
        }
    } else {
        whatif_report w;
        long long ids[2] = {0, 0};
        clock_gettime(CLOCK_MONOTONIC, &start);
        status = eval_refresh(&run.data, &run.params, &run.options, &rerun, &e);
        if (status == ERROR_OK)
            status = eval_rescore(&run.data, &run.params, &run.result, &e);
        if (status != ERROR_OK)
            goto fail;
        rescore_ms = cli_elapsed_ms(&start);
        status = whatif_compare(run.rules, run.snapshot, &before, &run.result,
                                eval_epsilon(&run.params), &diff, &e);
        if (status != ERROR_OK)
            goto fail;
        if (o->out != NULL) {
            results_run runs[2];
            char started[32];
            results_timestamp(started);
            memset(runs, 0, sizeof runs);
            runs[0].run = runs[1].run = session_view(&run);
            runs[0].run.params = &baseline;
            runs[0].run.result = &before;
            runs[0].started_at = runs[1].started_at = started;
            runs[0].kind = "whatif-baseline";
            runs[1].kind = "whatif-scenario";
            runs[0].scenario = runs[1].scenario = run.scenario.name;
            runs[1].baseline_run = -1; /* the run written just before */
            status = results_append(o->out, runs, 2, ids, &e);
            if (status != ERROR_OK)
                goto fail;
        }
        memset(&w, 0, sizeof w);
        w.after = session_view(&run);
        w.before = w.after;
        w.before.params = &baseline;
        w.before.result = &before;
        w.scenario_name = run.scenario.name;
        w.scenario_description = run.scenario.description;
        w.diff = &diff;
        w.queries_rerun = rerun;
        w.load_ms = load_ms;
        w.rescore_ms = rescore_ms;
        w.baseline_run = ids[0];
        w.scenario_run = ids[1];
        if ((o->json ? whatif_write_json(&w, &out) : whatif_write_text(&w, &out)) != ERROR_OK) {
            status = error_set(&e, ERROR_SYSTEM, "out of memory");
            goto fail;
        }
    }
    if (!o->quiet)
        fwrite(buffer_text(&out), 1, out.length, stdout);
    status = ERROR_OK;
    goto done;
fail:
    cli_print_error(&e);
done:
    buffer_free(&out);
    whatif_sweep_free(&sweep);
    whatif_diff_free(&diff);
    eval_result_free(&before);
    params_free(&baseline);
    params_free(&value_params);
    session_free(&run);
    return status;
}
