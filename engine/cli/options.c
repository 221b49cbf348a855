/*
** options.c — every option of the command line, written as data, and the
** parser that reads one command's options (cli.h). An option the command
** does not take is refused naming the option and the command; an unknown
** one gets the closest name ("did you mean"). Values are checked here, so
** a command receives only values in range.
*/
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct option_spec {
    const char *name;  /* --name */
    int short_name;    /* -x, or 0 */
    const char *value; /* what the value is ("N", "FILE"); NULL: a flag */
    const char *help;
} option_spec;

/* The options, indexed by cli_option_id; the help of --out comes from the
** command (what it writes). */
static const option_spec option_specs[OPT_COUNT] = {
    [OPT_OUT] = {"out", 'o', "FILE", NULL},
    [OPT_RULES] = {"rules", 'r', "DIR",
                   "rule tree or profile directory (default: the shipped rules)"},
    [OPT_PROFILE] = {"profile", 'p', "NAME", "a shipped profile: rules/profiles/NAME"},
    [OPT_SET] = {"set", 's', "NAME=VALUE",
                 "override a parameter for this run (repeatable); NAME.YEAR\n"
                 "changes one year of a schedule (cert.milestones.2023=0.5)"},
    [OPT_SCENARIO] = {"scenario", 0, "FILE.lua", "a named set of overrides"},
    [OPT_FORMAT] = {"format", 'f', "FORMAT", "output: table (default), csv, json"},
    [OPT_JSON] = {"json", 0, NULL, "machine-readable output"},
    [OPT_JOBS] = {"jobs", 'j', "N",
                  "threads for checking the snapshot and the queries (default: "
                  "cores)"},
    [OPT_QUIET] = {"quiet", 'q', NULL, "print nothing but errors"},
    [OPT_VERBOSE] = {"verbose", 'v', NULL, "say more"},
    [OPT_TIMINGS] = {"timings", 0, NULL, "the time of each stage, as one JSON line on stderr"},
    [OPT_RULE_MEMORY] = {"rule-memory-mb", 0, "N", "memory cap for the rule sandbox (default 256)"},
    [OPT_RULE_INSTRUCTIONS] = {"rule-instructions", 0, "N",
                               "instruction budget per rule file or call (default 200000000;\n"
                               "work in string and table functions counts too)"},
    [OPT_RULE_SECONDS] = {"rule-seconds", 0, "N",
                          "CPU seconds for all rule code of a run (default "
                          "3)"},
    [OPT_RULE_PRINT] = {"rule-print-kb", 0, "N",
                        "output print() in rule files may write (default "
                        "64)"},
    [OPT_RULE_TEXT] = {"rule-text-kb", 0, "N",
                       "longest text (SQL, condition) in a rule file "
                       "(default 64)"},
    [OPT_SQL_STEPS] = {"rule-sql-steps", 0, "N",
                       "SQLite VM steps per rule query (default 500 per snapshot row,\n"
                       "at least 10000000)"},
    [OPT_SQL_MEMORY] = {"rule-sql-memory-mb", 0, "N",
                        "SQLite memory per rule query (default "
                        "256)"},
    [OPT_SQL_TEMP] = {"rule-sql-temp-mb", 0, "N",
                      "temporary files per rule query (default twice the snapshot,\n"
                      "at least 256)"},
    [OPT_SWEEP] = {"sweep", 0, "NAME=FROM:TO:STEP", "one parameter over a range"},
    [OPT_CHART] = {"chart", 0, "FILE.svg", "draw the sweep"},
    [OPT_COMMUNITY] = {"community", 0, "ID", "one community (report: ID or all)"},
    [OPT_INDICATOR] = {"indicator", 0, "ID", "one indicator of the community"},
    [OPT_WORKER] = {"worker", 0, "ID", "one community worker"},
    [OPT_TASK] = {"task", 0, "ID", "one task"},
    [OPT_NEAR] = {"near", 0, "MARGIN",
                  "list what lies within MARGIN of a line (points,\npercentage points or people)"},
    [OPT_RUN] = {"run", 0, "N", "the run to use (default: the latest)"},
    [OPT_COMMUNITIES] = {"communities", 0, "N", "how many communities"},
    [OPT_SEED] = {"seed", 0, "S", "random seed (default 0)"},
    [OPT_AS_OF] = {"as-of", 0, "DATE", "the snapshot's date (YYYY-MM-DD)"},
    [OPT_REGION] = {"region", 0, "NAME", "the region's name"},
    [OPT_SKIP_BAD] = {"skip-bad", 0, NULL,
                      "leave out bad rows (and say which) instead of stopping"},
    [OPT_MAX_ROW_MB] = {"max-row-mb", 0, "N", "a row over N MB is a bad row (default 16)"},
    [OPT_XLSX] = {"xlsx", 0, "FILE.xlsx", "the workbook to write"},
    [OPT_TITLE] = {"title", 0, "TEXT", "the task's title"},
    [OPT_DETAIL] = {"detail", 0, "TEXT", "the task's detail"},
    [OPT_DEPARTMENT] = {"department", 0, "TEXT", "the department that assigns it"},
    [OPT_APPROVAL] = {"approval", 0, "REF", "the approval reference, when it has one"},
    [OPT_FUNDED] = {"funded", 0, NULL, "the task comes with funding"},
    [OPT_STAFFED] = {"staffed", 0, NULL, "the task comes with staff"},
    [OPT_PROBLEMS] =
        {"problems", 0, "FILE.csv",
         "write every problem to FILE.csv (for Excel), whether or not\nthe import succeeds"},
    [OPT_PORT] = {"port", 0, "N", "the port to listen on (default 8080; 0: any free port)"},
    [OPT_LISTEN] = {"listen", 0, "ADDR",
                    "the IPv4 address to listen on (default 127.0.0.1, this machine only)"},
    [OPT_HELP] = {"help", 'h', NULL, "this help"},
};

int cli_usage_error(const cli_command *command, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "kaohe%s%s: ", command ? " " : "", command ? command->name : "");
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    if (command != NULL)
        fprintf(stderr, "\n(kaohe %s --help lists its arguments and options)\n", command->name);
    else
        fprintf(stderr, "\n(kaohe --help lists the commands)\n");
    return ERROR_USAGE;
}

/* Levenshtein distance, capped: names are short. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, row[64], previous, saved;
    if (la >= 63 || lb >= 63)
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        previous = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t best = previous + (a[i - 1] != b[j - 1]);
            saved = row[j];
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            previous = saved;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *cli_closest(const char *word, const char *const *names, size_t count)
{
    const char *best = NULL;
    size_t best_distance = 99, i, limit = strlen(word) <= 4 ? 1 : 2;
    for (i = 0; i < count; i++) {
        size_t d;
        if (names[i] == NULL)
            continue;
        d = distance(word, names[i]);
        /* A prefix is a good guess too ("--comm" for --community). */
        if (strncmp(names[i], word, strlen(word)) == 0 && strlen(word) >= 3)
            d = d < 1 ? d : 1;
        if (d < best_distance) {
            best_distance = d;
            best = names[i];
        }
    }
    return best_distance <= limit ? best : NULL;
}

/* "--name" of an argument such as "--name=value" or "-x", for messages. */
static void option_word(const char *argument, char *word, size_t size)
{
    size_t n = strcspn(argument, "=");
    snprintf(word, size, "%.*s", (int)n, argument);
}

/* The commands that take option `id`, for the refusal's hint. */
static void commands_taking(cli_option_id id, char *out, size_t size)
{
    size_t i, used = 0;
    out[0] = '\0';
    for (i = 0; i < cli_command_count && used + 1 < size; i++)
        if (cli_commands[i].options & CLI_OPTION(id))
            used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "",
                                     cli_commands[i].name);
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

/* Stores one option's value; ERROR_USAGE (printed) when it is out of range. */
static int store(const cli_command *c, cli_option_id id, const char *value, cli_options *o)
{
    long long n = 0;
    switch (id) {
    case OPT_OUT:
        o->out = value;
        break;
    case OPT_RULES:
        o->rules_dir = value;
        break;
    case OPT_PROFILE:
        o->profile = value;
        break;
    case OPT_SET:
        o->sets[o->set_count++] = value;
        break;
    case OPT_SCENARIO:
        o->scenario = value;
        break;
    case OPT_FORMAT:
        if (strcmp(value, "table") == 0)
            o->format = SUMMARY_TABLE;
        else if (strcmp(value, "csv") == 0)
            o->format = SUMMARY_CSV;
        else if (strcmp(value, "json") == 0)
            o->format = SUMMARY_JSON;
        else
            return cli_usage_error(c, "--format %s: use table, csv or json", value);
        break;
    case OPT_JSON:
        o->json = true;
        o->format = SUMMARY_JSON;
        break;
    case OPT_JOBS:
        if (!parse_number(value, 1, 256, &n))
            return cli_usage_error(c, "--jobs %s: a whole number from 1 to 256", value);
        o->jobs = (int)n;
        break;
    case OPT_QUIET:
        o->quiet = true;
        break;
    case OPT_VERBOSE:
        o->verbose = true;
        break;
    case OPT_TIMINGS:
        o->timings = true;
        break;
    case OPT_RULE_MEMORY:
        if (!parse_number(value, 1, 65536, &n))
            return cli_usage_error(c, "--rule-memory-mb %s: a whole number of MB (1..65536)",
                                   value);
        o->memory_mb = (size_t)n;
        break;
    case OPT_RULE_INSTRUCTIONS:
        if (!parse_number(value, 1000, 1000000000000LL, &n))
            return cli_usage_error(c, "--rule-instructions %s: a whole number (at least 1000)",
                                   value);
        o->instructions = n;
        break;
    case OPT_RULE_SECONDS:
        if (!parse_number(value, 1, 3600, &n))
            return cli_usage_error(c, "--rule-seconds %s: a whole number of seconds (1..3600)",
                                   value);
        o->rule_seconds = (double)n;
        break;
    case OPT_RULE_PRINT:
        if (!parse_number(value, 1, 1048576, &n))
            return cli_usage_error(c, "--rule-print-kb %s: a whole number of KB (1..1048576)",
                                   value);
        o->rule_print_kb = (size_t)n;
        break;
    case OPT_RULE_TEXT:
        if (!parse_number(value, 1, 65536, &n))
            return cli_usage_error(c, "--rule-text-kb %s: a whole number of KB (1..65536)", value);
        o->rule_text_kb = (size_t)n;
        break;
    case OPT_SQL_STEPS:
        if (!parse_number(value, 1000, 1000000000000000LL, &n))
            return cli_usage_error(c, "--rule-sql-steps %s: a whole number (at least 1000)", value);
        o->sql_steps = n;
        break;
    case OPT_SQL_MEMORY:
        if (!parse_number(value, 1, 65536, &n))
            return cli_usage_error(c, "--rule-sql-memory-mb %s: a whole number of MB (1..65536)",
                                   value);
        o->sql_memory_mb = n;
        break;
    case OPT_SQL_TEMP:
        if (!parse_number(value, 1, 16777216, &n))
            return cli_usage_error(c, "--rule-sql-temp-mb %s: a whole number of MB (1..16777216)",
                                   value);
        o->sql_temp_mb = n;
        break;
    case OPT_SWEEP:
        o->sweep = value;
        break;
    case OPT_CHART:
        o->chart = value;
        break;
    case OPT_COMMUNITY:
        o->community = value;
        break;
    case OPT_INDICATOR:
        o->indicator = value;
        break;
    case OPT_WORKER:
        o->worker = value;
        break;
    case OPT_TASK:
        o->task = value;
        break;
    case OPT_NEAR: {
        char *end;
        o->near = strtod(value, &end);
        if (*value == '\0' || *end != '\0' || !(o->near > 0) || o->near > 100)
            return cli_usage_error(
                c, "--near %s: a margin above 0 (points, percentage points or people)", value);
        break;
    }
    case OPT_RUN:
        if (!parse_number(value, 1, 1000000000000LL, &n))
            return cli_usage_error(c, "--run %s: a run id (1, 2, ...)", value);
        o->run = n;
        break;
    case OPT_COMMUNITIES:
        if (!parse_number(value, 1, 10000000, &n))
            return cli_usage_error(c, "--communities %s: a whole number from 1 to 10000000", value);
        o->communities = (long)n;
        break;
    case OPT_SEED:
        if (!parse_number(value, 0, 4294967295LL, &n))
            return cli_usage_error(c, "--seed %s: a whole number", value);
        o->seed = (unsigned long)n;
        break;
    case OPT_AS_OF:
        o->as_of = value;
        break;
    case OPT_REGION:
        o->region = value;
        break;
    case OPT_SKIP_BAD:
        o->skip_bad = true;
        break;
    case OPT_MAX_ROW_MB:
        if (!parse_number(value, 1, 4096, &n))
            return cli_usage_error(c, "--max-row-mb %s: a whole number of MB (1..4096)", value);
        o->max_row_mb = (size_t)n;
        break;
    case OPT_XLSX:
        o->xlsx = value;
        break;
    case OPT_TITLE:
        o->title = value;
        break;
    case OPT_DETAIL:
        o->detail = value;
        break;
    case OPT_DEPARTMENT:
        o->department = value;
        break;
    case OPT_APPROVAL:
        o->approval = value;
        break;
    case OPT_FUNDED:
        o->funded = true;
        break;
    case OPT_STAFFED:
        o->staffed = true;
        break;
    case OPT_PROBLEMS:
        o->problems = value;
        break;
    case OPT_PORT:
        if (!parse_number(value, 0, 65535, &n))
            return cli_usage_error(c, "--port %s: a port number from 1 to 65535 (0: any free one)",
                                   value);
        o->port = (int)n;
        o->port_given = true;
        break;
    case OPT_LISTEN:
        o->listen = value;
        break;
    case OPT_HELP:
        o->help = true;
        break;
    case OPT_COUNT:
        break;
    }
    return ERROR_OK;
}

/* An option getopt_long did not know: the closest of the command's own. */
static int unknown_option(const cli_command *c, const char *argument)
{
    char word[128];
    const char *names[OPT_COUNT];
    const char *guess;
    size_t i, n = 0;
    option_word(argument, word, sizeof word);
    for (i = 0; i < OPT_COUNT; i++)
        if (c->options & CLI_OPTION(i))
            names[n++] = option_specs[i].name;
    guess = strncmp(word, "--", 2) == 0 ? cli_closest(word + 2, names, n) : NULL;
    if (guess != NULL)
        return cli_usage_error(c, "unknown option %s; did you mean --%s?", word, guess);
    return cli_usage_error(c, "unknown option %s", word);
}

static bool positional_optional(const char *declared)
{
    return declared[strlen(declared) - 1] == '?';
}

/* Stores the positional `value` as what the command declares it to be. */
static void store_positional(const char *declared, const char *value, cli_options *o)
{
    if (strncmp(declared, "SNAPSHOT", 8) == 0)
        o->snapshot = value;
    else if (strncmp(declared, "RESULTS", 7) == 0)
        o->results = value;
    else if (strncmp(declared, "DIR", 3) == 0)
        o->directory = value;
    else
        o->name = value;
}

int cli_parse(const cli_command *c, int argc, char **argv, int first, cli_options *o)
{
    struct option long_options[OPT_COUNT + 1];
    char short_options[3 * OPT_COUNT + 2];
    size_t i, used = 0, declared = 0, required = 0;
    int ch, index;
    memset(o, 0, sizeof *o);
    o->program = argv[0];
    o->command = c;
    o->format = SUMMARY_TABLE;
    o->sets = calloc((size_t)argc + 1, sizeof *o->sets);
    if (o->sets == NULL) {
        fprintf(stderr, "kaohe: out of memory\n");
        return ERROR_SYSTEM;
    }
    /* Every option is known to getopt_long, so one a command does not take
    ** is told apart from one that does not exist. */
    short_options[used++] = ':';
    for (i = 0; i < OPT_COUNT; i++) {
        long_options[i].name = option_specs[i].name;
        long_options[i].has_arg = option_specs[i].value ? required_argument : no_argument;
        long_options[i].flag = NULL;
        long_options[i].val = 1000 + (int)i;
        if (option_specs[i].short_name != 0) {
            short_options[used++] = (char)option_specs[i].short_name;
            if (option_specs[i].value != NULL)
                short_options[used++] = ':';
        }
    }
    memset(&long_options[OPT_COUNT], 0, sizeof long_options[OPT_COUNT]);
    short_options[used] = '\0';
    optind = first;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, short_options, long_options, &index)) != -1) {
        cli_option_id id = OPT_COUNT;
        int status;
        if (ch == ':')
            return cli_usage_error(c, "option %s needs a value", argv[optind - 1]);
        if (ch == '?')
            return unknown_option(c, argv[optind - 1]);
        if (ch >= 1000)
            id = (cli_option_id)(ch - 1000);
        else
            for (i = 0; i < OPT_COUNT; i++)
                if (option_specs[i].short_name == ch)
                    id = (cli_option_id)i;
        if (id == OPT_COUNT)
            return unknown_option(c, argv[optind - 1]);
        if (!(c->options & CLI_OPTION(id))) {
            char takers[512];
            commands_taking(id, takers, sizeof takers);
            return cli_usage_error(
                c, "--%s is not an option of kaohe %s%s%s%s", option_specs[id].name, c->name,
                takers[0] ? " (it belongs to " : "", takers, takers[0] ? ")" : "");
        }
        if ((status = store(c, id, optarg, o)) != ERROR_OK)
            return status;
    }
    if (o->help)
        return ERROR_OK;
    for (declared = 0; declared < 3 && c->args[declared] != NULL; declared++)
        if (!positional_optional(c->args[declared]))
            required++;
    for (i = 0; optind < argc; i++, optind++) {
        if (i >= declared)
            return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
        store_positional(c->args[i], argv[optind], o);
    }
    if (i < required) {
        char what[32];
        snprintf(what, sizeof what, "%s", c->args[i]);
        return cli_usage_error(c, "which %s? usage: kaohe %s %s%s%s", what, c->name, c->args[0],
                               c->usage[0] ? " " : "", c->usage);
    }
    return ERROR_OK;
}

void cli_options_free(cli_options *o)
{
    free(o->sets);
    o->sets = NULL;
}

void cli_print_arguments(const cli_command *c, FILE *stream)
{
    size_t i;
    for (i = 0; i < 3 && c->args[i] != NULL; i++) {
        if (positional_optional(c->args[i]))
            fprintf(stream, " [%.*s]", (int)strlen(c->args[i]) - 1, c->args[i]);
        else
            fprintf(stream, " %s", c->args[i]);
    }
    fprintf(stream, "%s%s", c->usage[0] ? " " : "", c->usage);
}

void cli_print_help(const cli_command *c, FILE *stream)
{
    size_t i;
    fprintf(stream, "usage: kaohe %s", c->name);
    cli_print_arguments(c, stream);
    fprintf(stream, "\n\n%s\n\noptions:\n", c->summary);
    for (i = 0; i < OPT_COUNT; i++) {
        const option_spec *spec = &option_specs[i];
        const char *help = i == OPT_OUT && c->out_help ? c->out_help : spec->help;
        char left[64];
        const char *line, *next;
        if (!(c->options & CLI_OPTION(i)))
            continue;
        if (spec->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", spec->short_name, spec->name,
                     spec->value ? " " : "", spec->value ? spec->value : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", spec->name, spec->value ? " " : "",
                     spec->value ? spec->value : "");
        /* Long help lines continue under the first, aligned. */
        for (line = help ? help : ""; line != NULL; line = next) {
            next = strchr(line, '\n');
            fprintf(stream, "  %-30s %.*s\n", line == help ? left : "",
                    next ? (int)(next - line) : (int)strlen(line), line);
            if (next != NULL)
                next++;
        }
    }
    fprintf(stream, "\nexit status: 0 success, 1 the input or the rules are wrong (the message "
                    "says where),\n2 usage error, 3 the system failed (out of memory, disk "
                    "full, I/O error)\n");
}

/* Text for roff: a leading '.' or '\'' would be a request, '-' a hyphen. */
static void roff_text(FILE *stream, const char *text, size_t length)
{
    size_t i;
    for (i = 0; i < length; i++) {
        char ch = text[i];
        if ((i == 0 || text[i - 1] == '\n') && (ch == '.' || ch == '\''))
            fputs("\\&", stream);
        if (ch == '-' || ch == '\\')
            fputc('\\', stream);
        fputc(ch == '\n' ? ' ' : ch, stream);
    }
}

static void roff_string(FILE *stream, const char *text)
{
    roff_text(stream, text, strlen(text));
}

void cli_print_man(FILE *stream, const char *version)
{
    size_t i, k;
    fprintf(stream, ".TH KAOHE 1 \"\" \"kaohe %s\" \"User Commands\"\n", version);
    fprintf(stream, ".SH NAME\nkaohe \\- assess communities and community workers: policy in "
                    "Lua rule files, data in an SQLite snapshot\n");
    fprintf(stream, ".SH SYNOPSIS\n.B kaohe\n.I COMMAND\n[arguments] [options]\n");
    fprintf(stream, ".SH DESCRIPTION\nkaohe runs the rule files (the indicators, stars, "
                    "targets, worker appraisal and admission list) over a snapshot and writes "
                    "the results database, reports and what\\-if answers.\n");
    fprintf(stream, ".SH COMMANDS\n");
    for (i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        fprintf(stream, ".TP\n.B kaohe %s", c->name);
        for (k = 0; k < 3 && c->args[k] != NULL; k++) {
            fputc(' ', stream);
            if (positional_optional(c->args[k])) {
                fputc('[', stream);
                roff_text(stream, c->args[k], strlen(c->args[k]) - 1);
                fputc(']', stream);
            } else
                roff_string(stream, c->args[k]);
        }
        fputc(' ', stream);
        roff_string(stream, c->usage);
        fputc('\n', stream);
        roff_string(stream, c->summary);
        fprintf(stream, "\n.br\nOptions:");
        for (k = 0; k < OPT_COUNT; k++)
            if (c->options & CLI_OPTION(k)) {
                fputs(" \\-\\-", stream);
                roff_string(stream, option_specs[k].name);
            }
        fputc('\n', stream);
    }
    fprintf(stream, ".SH OPTIONS\nEach command takes only the options it lists; any other is "
                    "refused (exit status 2).\n");
    for (i = 0; i < OPT_COUNT; i++) {
        const option_spec *spec = &option_specs[i];
        fprintf(stream, ".TP\n.B ");
        if (spec->short_name)
            fprintf(stream, "\\-%c, ", spec->short_name);
        fputs("\\-\\-", stream);
        roff_string(stream, spec->name);
        if (spec->value) {
            fputs(" \\fI", stream);
            roff_string(stream, spec->value);
            fputs("\\fR", stream);
        }
        fputc('\n', stream);
        roff_string(stream, spec->help ? spec->help : "where to write (see each command)");
        fputc('\n', stream);
    }
    fprintf(stream, ".SH EXIT STATUS\n0 success; 1 the input or the rules are wrong (the message "
                    "says where); 2 usage error; 3 the system failed (out of memory, disk full, "
                    "I/O error).\n");
    fprintf(stream, ".SH ENVIRONMENT\n.TP\n.B KAOHE_HOME\nThe folder holding the shipped rules "
                    "(indicators/, rules/); by default the folder of the program or "
                    "PREFIX/share/kaohe.\n");
    fprintf(stream, ".SH FILES\n.TP\n.I PREFIX/share/kaohe/\nThe shipped rules, profiles "
                    "(rules/profiles/), rule tests, the sample snapshot and the editor "
                    "files.\n");
}

void cli_print_completion(FILE *stream)
{
    size_t i, k;
    fprintf(stream, "# bash completion for kaohe (made by kaohe help --completion)\n"
                    "_kaohe() {\n"
                    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} "
                    "options=\n"
                    "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
                    "        COMPREPLY=($(compgen -W \"");
    for (i = 0; i < cli_command_count; i++)
        fprintf(stream, "%s%s", i ? " " : "", cli_commands[i].name);
    fprintf(stream, " help\" -- \"$cur\"))\n        return\n    fi\n"
                    "    case $prev in\n"
                    "    --profile|-p)\n"
                    "        COMPREPLY=($(compgen -W \"$(kaohe profiles 2>/dev/null | "
                    "sed -n 's/^\\([a-z0-9_-]*\\)$/\\1/p')\" -- \"$cur\"))\n"
                    "        return ;;\n"
                    "    --format|-f)\n"
                    "        COMPREPLY=($(compgen -W \"table csv json\" -- \"$cur\"))\n"
                    "        return ;;\n"
                    "    esac\n"
                    "    case ${COMP_WORDS[1]} in\n");
    for (i = 0; i < cli_command_count; i++) {
        fprintf(stream, "    %s) options=\"", cli_commands[i].name);
        for (k = 0; k < OPT_COUNT; k++)
            if (cli_commands[i].options & CLI_OPTION(k))
                fprintf(stream, " --%s", option_specs[k].name);
        fprintf(stream, "\" ;;\n");
    }
    fprintf(stream, "    esac\n"
                    "    if [[ $cur == -* ]]; then\n"
                    "        COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n"
                    "    else\n"
                    "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                    "    fi\n"
                    "}\n"
                    "complete -o filenames -F _kaohe kaohe\n");
}
