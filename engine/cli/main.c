/*
** main.c — the kaohe command line: parses arguments with getopt_long and
** dispatches to cli.c. Nothing else happens here.
*/
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "results.h"
#include "sqlguard.h"
#include "text.h"

static const char usage_text[] =
    "usage: kaohe COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  check [SNAPSHOT]          validate the rule files (and their SQL against SNAPSHOT)\n"
    "  eval SNAPSHOT [--out RESULTS]\n"
    "                            assess every community; append one run to RESULTS\n"
    "  whatif SNAPSHOT --set NAME=VALUE... | --scenario FILE.lua [--json] [--out RESULTS]\n"
    "                            baseline against scenario: who changes outcome\n"
    "  whatif SNAPSHOT --sweep NAME=FROM:TO:STEP [--chart FILE.svg]\n"
    "                            one parameter over a range: stars, targets, flags per value\n"
    "  explain SNAPSHOT --community ID [--indicator ID] | --worker ID | --task ID [--json]\n"
    "                            why a community got its points, a worker a flag, a task its\n"
    "                            decision\n"
    "  verify RESULTS [--run N] [SNAPSHOT]\n"
    "                            re-run a stored run and confirm its results are identical\n"
    "  report RESULTS [--run N] [--community ID|all] [--near MARGIN] --out FILE.html\n"
    "                            the year-end report, or community report cards, as one HTML file\n"
    "  import DIR --out SNAPSHOT [--skip-bad] [--max-row-mb N]\n"
    "                            build a snapshot from CSV files (one per table), every row "
    "checked;\n"
    "                            a row over N MB (default 16) is a bad row\n"
    "  export RESULTS [--run N] --xlsx FILE.xlsx\n"
    "                            one worksheet per results table, Chinese titles, frozen header\n"
    "  gen --communities N [--seed S] [--as-of DATE] [--region NAME] --out FILE\n"
    "                            write a realistic generated snapshot (for benchmarks)\n"
    "  params                    list every policy parameter with its value and source\n"
    "  test [DIR [NAME]]         run the rule tests (default rules/tests); NAME filters cases\n"
    "  admit --title T [--department D] [--detail X] [--funded] [--staffed] [--approval REF]\n"
    "                            decide one task against the admission list\n"
    "  admit SNAPSHOT            coverage report of the admission list over a snapshot's tasks\n"
    "\n"
    "options:\n"
    "  -o, --out RESULTS         results database to append to (created if absent)\n"
    "  -r, --rules DIR           rule tree or profile directory (default: the shipped rules)\n"
    "  -p, --profile NAME        a shipped profile: rules/profiles/NAME (yichang, tieshan, ...)\n"
    "  -s, --set NAME=VALUE      override a parameter for this run (repeatable);\n"
    "                            NAME.YEAR changes one year of a schedule "
    "(cert.milestones.2023=0.5)\n"
    "      --scenario FILE.lua   a named set of overrides (eval and whatif)\n"
    "  -f, --format FORMAT       eval output: table (default), csv, json\n"
    "      --json                machine-readable output (same as --format json)\n"
    "  -j, --jobs N              threads for the snapshot queries (default: cores)\n"
    "  -q, --quiet               print nothing but errors\n"
    "      --timings             eval: time of each stage, as one JSON line on stderr\n"
    "  -v, --verbose             say more\n"
    "      --rule-memory-mb N    memory cap for the rule sandbox (default 256)\n"
    "      --rule-instructions N instruction budget per rule file or call (default 200000000;\n"
    "                            work in string and table functions counts too)\n"
    "      --rule-seconds N      CPU seconds for all rule code of a run (default 3)\n"
    "      --rule-print-kb N     output print() in rule files may write (default 64)\n"
    "      --rule-text-kb N      longest text (SQL, condition) in a rule file (default 64)\n"
    "      --rule-sql-steps N    SQLite VM steps per rule query (default 500 per snapshot\n"
    "                            row, at least 10000000)\n"
    "      --rule-sql-memory-mb N  SQLite memory per rule query (default 256)\n"
    "      --rule-sql-temp-mb N  temporary files per rule query (default twice the\n"
    "                            snapshot, at least 256)\n"
    "  -h, --help                this help\n"
    "      --version             engine version\n"
    "\n"
    "exit status: 0 success, 1 the input or the rules are wrong (the message says where),\n"
    "2 usage error, 3 the system failed (out of memory, disk full, I/O error)\n";

enum {
    OPTION_JSON = 256,
    OPTION_MEMORY,
    OPTION_INSTRUCTIONS,
    OPTION_RULE_SECONDS,
    OPTION_RULE_PRINT,
    OPTION_RULE_TEXT,
    OPTION_SQL_STEPS,
    OPTION_SQL_MEMORY,
    OPTION_SQL_TEMP,
    OPTION_VERSION,
    OPTION_SCENARIO,
    OPTION_TITLE,
    OPTION_DETAIL,
    OPTION_DEPARTMENT,
    OPTION_APPROVAL,
    OPTION_FUNDED,
    OPTION_STAFFED,
    OPTION_SWEEP,
    OPTION_CHART,
    OPTION_COMMUNITY,
    OPTION_INDICATOR,
    OPTION_WORKER,
    OPTION_TASK,
    OPTION_NEAR,
    OPTION_RUN,
    OPTION_TIMINGS,
    OPTION_COMMUNITIES,
    OPTION_SEED,
    OPTION_AS_OF,
    OPTION_REGION,
    OPTION_SKIP_BAD,
    OPTION_MAX_ROW_MB,
    OPTION_XLSX
};

static int usage_error(const char *format, const char *argument)
{
    fprintf(stderr, "kaohe: ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(kaohe --help lists the commands and options)\n");
    return ERROR_USAGE;
}

static int parse_number(const char *text, long long low, long long high, long long *out)
{
    char *end;
    long long value = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value < low || value > high)
        return 0;
    *out = value;
    return 1;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"out", required_argument, NULL, 'o'},
        {"rules", required_argument, NULL, 'r'},
        {"profile", required_argument, NULL, 'p'},
        {"set", required_argument, NULL, 's'},
        {"scenario", required_argument, NULL, OPTION_SCENARIO},
        {"format", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, OPTION_JSON},
        {"jobs", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"rule-memory-mb", required_argument, NULL, OPTION_MEMORY},
        {"rule-instructions", required_argument, NULL, OPTION_INSTRUCTIONS},
        {"rule-seconds", required_argument, NULL, OPTION_RULE_SECONDS},
        {"rule-print-kb", required_argument, NULL, OPTION_RULE_PRINT},
        {"rule-text-kb", required_argument, NULL, OPTION_RULE_TEXT},
        {"rule-sql-steps", required_argument, NULL, OPTION_SQL_STEPS},
        {"rule-sql-memory-mb", required_argument, NULL, OPTION_SQL_MEMORY},
        {"rule-sql-temp-mb", required_argument, NULL, OPTION_SQL_TEMP},
        {"sweep", required_argument, NULL, OPTION_SWEEP},
        {"community", required_argument, NULL, OPTION_COMMUNITY},
        {"indicator", required_argument, NULL, OPTION_INDICATOR},
        {"worker", required_argument, NULL, OPTION_WORKER},
        {"task", required_argument, NULL, OPTION_TASK},
        {"near", required_argument, NULL, OPTION_NEAR},
        {"run", required_argument, NULL, OPTION_RUN},
        {"timings", no_argument, NULL, OPTION_TIMINGS},
        {"communities", required_argument, NULL, OPTION_COMMUNITIES},
        {"seed", required_argument, NULL, OPTION_SEED},
        {"as-of", required_argument, NULL, OPTION_AS_OF},
        {"region", required_argument, NULL, OPTION_REGION},
        {"skip-bad", no_argument, NULL, OPTION_SKIP_BAD},
        {"max-row-mb", required_argument, NULL, OPTION_MAX_ROW_MB},
        {"xlsx", required_argument, NULL, OPTION_XLSX},
        {"chart", required_argument, NULL, OPTION_CHART},
        {"title", required_argument, NULL, OPTION_TITLE},
        {"detail", required_argument, NULL, OPTION_DETAIL},
        {"department", required_argument, NULL, OPTION_DEPARTMENT},
        {"approval", required_argument, NULL, OPTION_APPROVAL},
        {"funded", no_argument, NULL, OPTION_FUNDED},
        {"staffed", no_argument, NULL, OPTION_STAFFED},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPTION_VERSION},
        {NULL, 0, NULL, 0}};
    cli_options o;
    const char *command;
    long long number;
    int c, status;
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
    memset(&o, 0, sizeof o);
    o.program = argv[0];
    o.format = SUMMARY_TABLE;
    if (argc < 2) {
        fputs(usage_text, stderr);
        return ERROR_USAGE;
    }
    command = argv[1];
    if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(usage_text, stdout);
        return ERROR_OK;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        printf("%s\n", results_engine_version);
        return ERROR_OK;
    }
    o.sets = calloc((size_t)argc, sizeof *o.sets);
    o.positionals = calloc((size_t)argc, sizeof *o.positionals);
    if (o.sets == NULL || o.positionals == NULL) {
        free(o.sets);
        free(o.positionals);
        fprintf(stderr, "kaohe: out of memory\n");
        return ERROR_SYSTEM;
    }
    optind = 2;
    opterr = 0;
    status = ERROR_OK;
    while (status == ERROR_OK &&
           (c = getopt_long(argc, argv, ":o:r:p:s:f:j:qvh", long_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            o.out = optarg;
            break;
        case 'r':
            o.rules_dir = optarg;
            break;
        case 'p':
            o.profile = optarg;
            break;
        case 's':
            o.sets[o.set_count++] = optarg;
            break;
        case OPTION_SCENARIO:
            o.scenario = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0)
                o.format = SUMMARY_TABLE;
            else if (strcmp(optarg, "csv") == 0)
                o.format = SUMMARY_CSV;
            else if (strcmp(optarg, "json") == 0)
                o.format = SUMMARY_JSON;
            else
                status = usage_error("--format %s: use table, csv or json", optarg);
            break;
        case OPTION_JSON:
            o.json = true;
            o.format = SUMMARY_JSON;
            break;
        case 'j':
            if (!parse_number(optarg, 1, 256, &number))
                status = usage_error("--jobs %s: a whole number from 1 to 256", optarg);
            o.jobs = (int)number;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'v':
            o.verbose = true;
            break;
        case OPTION_MEMORY:
            if (!parse_number(optarg, 1, 65536, &number))
                status =
                    usage_error("--rule-memory-mb %s: a whole number of MB (1..65536)", optarg);
            o.memory_mb = (size_t)number;
            break;
        case OPTION_INSTRUCTIONS:
            if (!parse_number(optarg, 1000, 1000000000000LL, &number))
                status =
                    usage_error("--rule-instructions %s: a whole number (at least 1000)", optarg);
            o.instructions = number;
            break;
        case OPTION_RULE_SECONDS:
            if (!parse_number(optarg, 1, 3600, &number))
                status =
                    usage_error("--rule-seconds %s: a whole number of seconds (1..3600)", optarg);
            o.rule_seconds = (double)number;
            break;
        case OPTION_RULE_PRINT:
            if (!parse_number(optarg, 1, 1048576, &number))
                status =
                    usage_error("--rule-print-kb %s: a whole number of KB (1..1048576)", optarg);
            o.rule_print_kb = (size_t)number;
            break;
        case OPTION_RULE_TEXT:
            if (!parse_number(optarg, 1, 65536, &number))
                status = usage_error("--rule-text-kb %s: a whole number of KB (1..65536)", optarg);
            o.rule_text_kb = (size_t)number;
            break;
        case OPTION_SQL_STEPS:
            if (!parse_number(optarg, 1000, 1000000000000000LL, &number))
                status = usage_error("--rule-sql-steps %s: a whole number (at least 1000)", optarg);
            o.sql_steps = number;
            break;
        case OPTION_SQL_MEMORY:
            if (!parse_number(optarg, 1, 65536, &number))
                status =
                    usage_error("--rule-sql-memory-mb %s: a whole number of MB (1..65536)", optarg);
            o.sql_memory_mb = number;
            break;
        case OPTION_SQL_TEMP:
            if (!parse_number(optarg, 1, 16777216, &number))
                status = usage_error("--rule-sql-temp-mb %s: a whole number of MB (1..16777216)",
                                     optarg);
            o.sql_temp_mb = number;
            break;
        case OPTION_COMMUNITY:
            o.community = optarg;
            break;
        case OPTION_INDICATOR:
            o.indicator = optarg;
            break;
        case OPTION_WORKER:
            o.worker = optarg;
            break;
        case OPTION_TASK:
            o.task = optarg;
            break;
        case OPTION_NEAR: {
            char *end;
            o.near = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(o.near > 0) || o.near > 100)
                status = usage_error("--near %s: a margin above 0 (points, percentage points or "
                                     "people)",
                                     optarg);
            break;
        }
        case OPTION_COMMUNITIES:
            if (!parse_number(optarg, 1, 10000000, &number))
                status = usage_error("--communities %s: a whole number from 1 to 10000000", optarg);
            o.communities = (long)number;
            break;
        case OPTION_SEED:
            if (!parse_number(optarg, 0, 4294967295LL, &number))
                status = usage_error("--seed %s: a whole number", optarg);
            o.seed = (unsigned long)number;
            break;
        case OPTION_AS_OF:
            o.as_of = optarg;
            break;
        case OPTION_REGION:
            o.region = optarg;
            break;
        case OPTION_SKIP_BAD:
            o.skip_bad = true;
            break;
        case OPTION_MAX_ROW_MB:
            if (!parse_number(optarg, 1, 4096, &number))
                status = usage_error("--max-row-mb %s: a whole number of MB (1..4096)", optarg);
            o.max_row_mb = (size_t)number;
            break;
        case OPTION_XLSX:
            o.xlsx = optarg;
            break;
        case OPTION_TIMINGS:
            o.timings = true;
            break;
        case OPTION_RUN:
            if (!parse_number(optarg, 1, 1000000000000LL, &number))
                status = usage_error("--run %s: a run id (1, 2, ...)", optarg);
            o.run = number;
            break;
        case OPTION_SWEEP:
            o.sweep = optarg;
            break;
        case OPTION_CHART:
            o.chart = optarg;
            break;
        case OPTION_TITLE:
            o.title = optarg;
            break;
        case OPTION_DETAIL:
            o.detail = optarg;
            break;
        case OPTION_DEPARTMENT:
            o.department = optarg;
            break;
        case OPTION_APPROVAL:
            o.approval = optarg;
            break;
        case OPTION_FUNDED:
            o.funded = true;
            break;
        case OPTION_STAFFED:
            o.staffed = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            goto done;
        case OPTION_VERSION:
            printf("%s\n", results_engine_version);
            goto done;
        case ':':
            status = usage_error("option %s needs a value", argv[optind - 1]);
            break;
        default:
            status = usage_error("unknown option %s", argv[optind - 1]);
            break;
        }
    }
    if (status != ERROR_OK)
        goto done;
    while (optind < argc)
        o.positionals[o.positional_count++] = argv[optind++];
    if (o.positional_count > 0)
        o.snapshot = o.positionals[0];
    {
        sqlguard_limits limits = {o.sql_steps, o.sql_memory_mb, o.sql_temp_mb};
        sqlguard_set_limits(&limits);
    }
    if (strcmp(command, "check") == 0)
        status = cli_check(&o);
    else if (strcmp(command, "eval") == 0)
        status = cli_eval(&o);
    else if (strcmp(command, "params") == 0)
        status = cli_params(&o);
    else if (strcmp(command, "test") == 0)
        status = cli_test(&o);
    else if (strcmp(command, "admit") == 0)
        status = cli_admit(&o);
    else if (strcmp(command, "whatif") == 0)
        status = cli_whatif(&o);
    else if (strcmp(command, "explain") == 0)
        status = cli_explain(&o);
    else if (strcmp(command, "verify") == 0)
        status = cli_verify(&o);
    else if (strcmp(command, "gen") == 0)
        status = cli_gen(&o);
    else if (strcmp(command, "report") == 0)
        status = cli_report(&o);
    else if (strcmp(command, "import") == 0)
        status = cli_import(&o);
    else if (strcmp(command, "export") == 0)
        status = cli_export(&o);
    else
        status = usage_error("unknown command '%s'", command);
    /* Output that never reached its reader (a full disk, a closed pipe) is
    ** a failure, not a silent success; eval says more itself (its run). */
    if ((fflush(stdout) != 0 || ferror(stdout)) && status == ERROR_OK) {
        fprintf(stderr, "kaohe: cannot write to standard output\n");
        status = ERROR_SYSTEM;
    }
done:
    free(o.sets);
    free(o.positionals);
    return status;
}
