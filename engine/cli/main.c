/*
** main.c — the kaohe command line: the command table, and the dispatch.
** Each command declares its arguments and the options it takes (cli.h);
** options.c parses them, refusing any other; cmd_*.c run them.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "results.h"
#include "sqlguard.h"
#include "text.h"

#define O CLI_OPTION

const cli_command cli_commands[] = {
    {"check",
     cmd_check,
     {"SNAPSHOT?"},
     "",
     "Validate the rule files, and their SQL and scoring against SNAPSHOT (default: the\n"
     "shipped sample).",
     NULL,
     CLI_RULES | O(OPT_JOBS) | CLI_COMMON},
    {"eval",
     cmd_eval,
     {"SNAPSHOT"},
     "[--out RESULTS]",
     "Assess every community and worker; print the ranked table and append one run to\n"
     "RESULTS.",
     "results database to append the run to (created if absent)",
     CLI_RULES | CLI_PARAMS | O(OPT_OUT) | O(OPT_FORMAT) | O(OPT_JSON) | O(OPT_JOBS) |
         O(OPT_TIMINGS) | O(OPT_NEAR) | CLI_COMMON},
    {"whatif",
     cmd_whatif,
     {"SNAPSHOT"},
     "--set NAME=VALUE... | --scenario FILE.lua | --sweep NAME=FROM:TO:STEP [--chart FILE.svg]",
     "Baseline against a scenario: which communities, targets and workers change; or one\n"
     "parameter over a range (stars, targets, flags per value).",
     "results database to append the baseline and scenario runs to",
     CLI_RULES | CLI_PARAMS | O(OPT_SWEEP) | O(OPT_CHART) | O(OPT_JSON) | O(OPT_OUT) | O(OPT_JOBS) |
         CLI_COMMON},
    {"explain",
     cmd_explain,
     {"SNAPSHOT"},
     "--community ID [--indicator ID] | --worker ID | --task ID [--json]",
     "Why a community got its points, a worker a flag, a task its decision.",
     NULL,
     CLI_RULES | CLI_PARAMS | O(OPT_COMMUNITY) | O(OPT_INDICATOR) | O(OPT_WORKER) | O(OPT_TASK) |
         O(OPT_JSON) | O(OPT_JOBS) | CLI_COMMON},
    {"verify",
     cmd_verify,
     {"RESULTS", "SNAPSHOT?"},
     "[--run N] [--rules DIR]",
     "Re-run a stored run and confirm its results are identical (SNAPSHOT and --rules:\n"
     "default, the ones the run records).",
     NULL,
     O(OPT_RUN) | O(OPT_RULES) | CLI_RULE_LIMITS | CLI_COMMON},
    {"report",
     cmd_report,
     {"RESULTS"},
     "[--run N] [--community ID|all] [--near MARGIN] --out FILE.html",
     "The year-end report, or community report cards, as one HTML file.",
     "the HTML file to write",
     O(OPT_RUN) | O(OPT_COMMUNITY) | O(OPT_NEAR) | O(OPT_OUT) | CLI_COMMON},
    {"import",
     cmd_import,
     {"DIR|BOOK.xlsx"},
     "--out SNAPSHOT [--skip-bad] [--max-row-mb N] [--problems FILE.csv]",
     "Build a snapshot from a folder of CSV files or an .xlsx workbook (one file or sheet\n"
     "per table, named in English or Chinese), every row checked.",
     "the snapshot to create (never overwritten)",
     O(OPT_OUT) | O(OPT_SKIP_BAD) | O(OPT_MAX_ROW_MB) | O(OPT_PROBLEMS) | CLI_RULES | CLI_COMMON},
    {"template",
     cmd_template,
     {NULL},
     "--xlsx FILE.xlsx",
     "Write the workbook to fill in: a sheet per table with Chinese headers, drop-down\n"
     "lists, a notes sheet; kaohe import reads it back.",
     NULL,
     O(OPT_XLSX) | CLI_RULES | CLI_COMMON},
    {"export",
     cmd_export,
     {"RESULTS"},
     "[--run N] --xlsx FILE.xlsx",
     "One worksheet per results table, Chinese titles, frozen header.",
     NULL,
     O(OPT_RUN) | O(OPT_XLSX) | CLI_COMMON},
    {"gen",
     cmd_gen,
     {NULL},
     "--communities N [--seed S] [--as-of DATE] [--region NAME] --out FILE",
     "Write a realistic generated snapshot (for benchmarks).",
     "the snapshot to create",
     O(OPT_COMMUNITIES) | O(OPT_SEED) | O(OPT_AS_OF) | O(OPT_REGION) | O(OPT_OUT) | CLI_COMMON},
    {"serve",
     cmd_serve,
     {"SNAPSHOT"},
     "[--port N] [--listen ADDR]",
     "The what-if workbench in the browser: the snapshot is loaded once; open the address\n"
     "it prints.",
     NULL,
     CLI_RULES | O(OPT_PORT) | O(OPT_LISTEN) | O(OPT_JOBS) | CLI_COMMON},
    {"params",
     cmd_params,
     {NULL},
     "[--json]",
     "List every policy parameter with its value, range and source.",
     NULL,
     CLI_RULES | CLI_PARAMS | O(OPT_JSON) | CLI_COMMON},
    {"profiles",
     cmd_profiles,
     {NULL},
     "",
     "List the shipped profiles (a city's own rules).",
     NULL,
     CLI_COMMON},
    {"test",
     cmd_test,
     {"DIR?", "NAME?"},
     "",
     "Run the rule tests (default: the rules' tests folder); NAME runs only the cases\n"
     "whose name contains it.",
     NULL,
     CLI_RULES | CLI_COMMON},
    {"admit",
     cmd_admit,
     {"SNAPSHOT?"},
     "| --title T [--department D] [--detail X] [--funded] [--staffed] [--approval REF]",
     "Decide one task against the admission list (--title), or report the list's coverage\n"
     "of a snapshot's tasks.",
     NULL,
     CLI_RULES | CLI_PARAMS | O(OPT_TITLE) | O(OPT_DETAIL) | O(OPT_DEPARTMENT) | O(OPT_APPROVAL) |
         O(OPT_FUNDED) | O(OPT_STAFFED) | O(OPT_JSON) | CLI_COMMON},
};
const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

static void print_usage(FILE *stream)
{
    size_t i;
    fprintf(stream, "usage: kaohe COMMAND [arguments] [options]\n\ncommands:\n");
    for (i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        const char *line, *end;
        fprintf(stream, "  %s", c->name);
        cli_print_arguments(c, stream);
        fprintf(stream, "\n");
        for (line = c->summary; line != NULL; line = end ? end + 1 : NULL) {
            end = strchr(line, '\n');
            fprintf(stream, "      %.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
        }
    }
    fprintf(stream, "\nkaohe COMMAND --help (or kaohe help COMMAND) shows a command's options.\n"
                    "kaohe --version prints the engine version.\n\n"
                    "exit status: 0 success, 1 the input or the rules are wrong (the message "
                    "says where),\n2 usage error, 3 the system failed (out of memory, disk "
                    "full, I/O error)\n");
}

static const cli_command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[sizeof cli_commands / sizeof cli_commands[0]];
    const char *guess;
    size_t i;
    for (i = 0; i < cli_command_count; i++)
        names[i] = cli_commands[i].name;
    guess = cli_closest(name, names, cli_command_count);
    if (guess != NULL)
        return cli_usage_error(NULL, "unknown command '%s'; did you mean '%s'?", name, guess);
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
    const cli_command *command;
    cli_options o;
    int status;
    text_locale_init();
    /* SQLite's memory statistics take a global mutex on every allocation,
    ** which the query threads then contend for; kaohe never reads them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* Debian's SQLite reads every file name as a URI when it starts with
    ** "file:" (SQLITE_USE_URI): --out file:x.db?mode=memory would open
    ** something other than the file kaohe checked. Names are names. */
    sqlite3_config(SQLITE_CONFIG_URI, 0);
    /* Before any other SQLite call: the guard meters SQLite's memory and
    ** temporary files for rule SQL (sqlguard.h). */
    if ((status = sqlguard_init()) != SQLITE_OK) {
        fprintf(stderr, "kaohe: cannot set up the SQL guard: %s\n", sqlite3_errstr(status));
        return ERROR_SYSTEM;
    }
    if (argc < 2) {
        print_usage(stderr);
        return ERROR_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        print_usage(stdout);
        return ERROR_OK;
    }
    if (strcmp(argv[1], "help") == 0 && argc == 3 && strcmp(argv[2], "--man") == 0) {
        cli_print_man(stdout, results_engine_version);
        return ERROR_OK;
    }
    if (strcmp(argv[1], "help") == 0 && argc == 3 && strcmp(argv[2], "--completion") == 0) {
        cli_print_completion(stdout);
        return ERROR_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        /* kaohe help eval: that command's help. */
        if (argc > 2 && (command = find_command(argv[2])) != NULL) {
            cli_print_help(command, stdout);
            return ERROR_OK;
        }
        if (argc > 2)
            return unknown_command(argv[2]);
        print_usage(stdout);
        return ERROR_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("%s\n", results_engine_version);
        return ERROR_OK;
    }
    if (argv[1][0] == '-')
        return cli_usage_error(NULL, "%s: the command comes first (kaohe COMMAND [options])",
                               argv[1]);
    command = find_command(argv[1]);
    if (command == NULL)
        return unknown_command(argv[1]);
    status = cli_parse(command, argc, argv, 2, &o);
    if (status == ERROR_OK && o.help) {
        cli_print_help(command, stdout);
    } else if (status == ERROR_OK) {
        sqlguard_limits limits = {o.sql_steps, o.sql_memory_mb, o.sql_temp_mb};
        sqlguard_set_limits(&limits);
        status = command->run(&o);
        /* Output that never reached its reader (a full disk, a closed pipe)
        ** is a failure, not a silent success; eval says more itself. */
        if ((fflush(stdout) != 0 || ferror(stdout)) && status == ERROR_OK) {
            fprintf(stderr, "kaohe: cannot write to standard output\n");
            status = ERROR_SYSTEM;
        }
    }
    cli_options_free(&o);
    return status;
}
