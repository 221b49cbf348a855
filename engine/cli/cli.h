/*
** cli.h — the kaohe command line. main.c holds the command table (each
** command's name, function, arguments and the options it takes); options.c
** parses one command's options (getopt_long) into a cli_options, refusing
** any the command does not take; each cmd_*.c is one command. A command
** returns an exit status (error.h: 0 success, 1 the input or the rules are
** wrong, 2 usage, 3 the system failed) and prints its own output on stdout
** and its messages on stderr ("kaohe: ...").
*/
#ifndef KAOHE_CLI_H
#define KAOHE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buffer.h"
#include "error.h"
#include "session.h"
#include "summary.h"

/* Every option of the command line; a command takes a set of them. */
typedef enum cli_option_id {
    OPT_OUT,
    OPT_RULES,
    OPT_PROFILE,
    OPT_SET,
    OPT_SCENARIO,
    OPT_FORMAT,
    OPT_JSON,
    OPT_JOBS,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_TIMINGS,
    OPT_RULE_MEMORY,
    OPT_RULE_INSTRUCTIONS,
    OPT_RULE_SECONDS,
    OPT_RULE_PRINT,
    OPT_RULE_TEXT,
    OPT_SQL_STEPS,
    OPT_SQL_MEMORY,
    OPT_SQL_TEMP,
    OPT_SWEEP,
    OPT_CHART,
    OPT_COMMUNITY,
    OPT_INDICATOR,
    OPT_WORKER,
    OPT_TASK,
    OPT_NEAR,
    OPT_RUN,
    OPT_COMMUNITIES,
    OPT_SEED,
    OPT_AS_OF,
    OPT_REGION,
    OPT_SKIP_BAD,
    OPT_MAX_ROW_MB,
    OPT_XLSX,
    OPT_TITLE,
    OPT_DETAIL,
    OPT_DEPARTMENT,
    OPT_APPROVAL,
    OPT_FUNDED,
    OPT_STAFFED,
    OPT_PROBLEMS,
    OPT_PORT,
    OPT_LISTEN,
    OPT_HELP,
    OPT_COUNT
} cli_option_id;

typedef uint64_t cli_option_set;
#define CLI_OPTION(id) ((cli_option_set)1 << (id))

/* Option groups the command table composes. */
#define CLI_RULE_LIMITS                                                                            \
    (CLI_OPTION(OPT_RULE_MEMORY) | CLI_OPTION(OPT_RULE_INSTRUCTIONS) |                             \
     CLI_OPTION(OPT_RULE_SECONDS) | CLI_OPTION(OPT_RULE_PRINT) | CLI_OPTION(OPT_RULE_TEXT) |       \
     CLI_OPTION(OPT_SQL_STEPS) | CLI_OPTION(OPT_SQL_MEMORY) | CLI_OPTION(OPT_SQL_TEMP))
#define CLI_RULES  (CLI_OPTION(OPT_RULES) | CLI_OPTION(OPT_PROFILE) | CLI_RULE_LIMITS)
#define CLI_PARAMS (CLI_OPTION(OPT_SET) | CLI_OPTION(OPT_SCENARIO))
#define CLI_COMMON (CLI_OPTION(OPT_QUIET) | CLI_OPTION(OPT_VERBOSE) | CLI_OPTION(OPT_HELP))

/* One command of the table (main.c). */
typedef struct cli_command cli_command;

typedef struct cli_options {
    const char *program;        /* argv[0] */
    const cli_command *command; /* the command being run */
    /* The positional arguments, by what the command declares them to be. */
    const char *snapshot;  /* SNAPSHOT */
    const char *results;   /* RESULTS */
    const char *directory; /* DIR: import's CSV folder, test's folder */
    const char *name;      /* NAME: test's case filter */
    /* Options. */
    const char *out;       /* --out */
    const char *rules_dir; /* --rules */
    const char *profile;   /* --profile */
    const char **sets;     /* --set NAME=VALUE, in order */
    size_t set_count;
    const char *scenario;    /* --scenario FILE.lua */
    const char *sweep;       /* --sweep NAME=FROM:TO:STEP */
    const char *chart;       /* --chart FILE.svg */
    summary_format format;   /* --format */
    bool json;               /* --json */
    bool quiet;              /* --quiet */
    bool verbose;            /* --verbose */
    bool timings;            /* --timings: stage times on stderr */
    int jobs;                /* --jobs */
    size_t memory_mb;        /* --rule-memory-mb */
    long long instructions;  /* --rule-instructions */
    double rule_seconds;     /* --rule-seconds */
    size_t rule_print_kb;    /* --rule-print-kb */
    size_t rule_text_kb;     /* --rule-text-kb */
    long long sql_steps;     /* --rule-sql-steps (0: scaled to the snapshot) */
    long long sql_memory_mb; /* --rule-sql-memory-mb */
    long long sql_temp_mb;   /* --rule-sql-temp-mb (0: scaled to the snapshot) */
    const char *community;   /* --community */
    const char *indicator;   /* --indicator */
    const char *worker;      /* --worker */
    const char *task;        /* --task */
    double near;             /* --near MARGIN (0 = off) */
    long long run;           /* --run N (0 = latest) */
    long communities;        /* --communities N */
    unsigned long seed;      /* --seed S */
    const char *as_of;       /* --as-of DATE */
    const char *region;      /* --region NAME */
    bool skip_bad;           /* --skip-bad */
    size_t max_row_mb;       /* --max-row-mb (0 = IMPORT_MAX_ROW_MB_DEFAULT) */
    const char *xlsx;        /* --xlsx FILE */
    const char *title;       /* --title */
    const char *detail;      /* --detail */
    const char *department;  /* --department */
    const char *approval;    /* --approval */
    bool funded, staffed;    /* --funded, --staffed */
    const char *problems;    /* import --problems FILE.csv */
    int port;                /* --port N */
    bool port_given;         /* --port was given (0 is a port: any free one) */
    const char *listen;      /* --listen ADDR */
    bool help;               /* --help */
} cli_options;

struct cli_command {
    const char *name;
    int (*run)(const cli_options *o);
    /* Positional arguments, in order: SNAPSHOT, RESULTS, DIR or NAME; a
    ** trailing '?' makes one optional. */
    const char *args[3];
    const char *usage;      /* the rest of the usage line, after the arguments */
    const char *summary;    /* what it does */
    const char *out_help;   /* what --out writes, when it takes --out */
    cli_option_set options; /* the options it takes */
};

/* The command table (main.c), in the order kaohe --help lists it. */
extern const cli_command cli_commands[];
extern const size_t cli_command_count;

/* options.c: parses argv[first..] for `command` into `o` (zeroed first).
** Returns ERROR_OK or ERROR_USAGE (the message printed). */
int cli_parse(const cli_command *command, int argc, char **argv, int first, cli_options *o);
void cli_options_free(cli_options *o);
/* The command's own help: usage, what it does, its options. */
void cli_print_help(const cli_command *command, FILE *stream);
/* The manual page (roff) and the bash completion script, both made from
** the command table (make install writes them). */
void cli_print_man(FILE *stream, const char *version);
void cli_print_completion(FILE *stream);
/* " SNAPSHOT [--out RESULTS]": the arguments of the usage line. */
void cli_print_arguments(const cli_command *command, FILE *stream);
/* The closest of `count` names to `word`, or NULL when none is close. */
const char *cli_closest(const char *word, const char *const *names, size_t count);
/* Usage errors: "kaohe CMD: MESSAGE" and a pointer to the help; ERROR_USAGE. */
int cli_usage_error(const cli_command *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* cli.c: what the commands share. */
void cli_print_error(const error *e);
const char *cli_default_root(const char *program);
sandbox_limits cli_rule_limits(const cli_options *o);
void cli_session_config(const cli_options *o, session_config *config);
/* Loads the rules and the parameters of the run into `s`; with `valid`,
** rules with problems are refused (listed, as kaohe check lists them).
** Prints its messages; returns the exit status. */
int cli_start(const cli_options *o, session *s, bool valid, bool with_params);
/* Writes `out` to stdout; false when it could not be written. */
bool cli_write_stdout(const buffer *out);
double cli_elapsed_ms(const struct timespec *start);
long cli_peak_rss_kb(void);

int cmd_check(const cli_options *o);
int cmd_eval(const cli_options *o);
int cmd_params(const cli_options *o);
int cmd_test(const cli_options *o);
int cmd_admit(const cli_options *o);
int cmd_whatif(const cli_options *o);
int cmd_explain(const cli_options *o);
int cmd_verify(const cli_options *o);
int cmd_gen(const cli_options *o);
int cmd_report(const cli_options *o);
int cmd_import(const cli_options *o);
int cmd_export(const cli_options *o);
int cmd_profiles(const cli_options *o);
int cmd_serve(const cli_options *o);
int cmd_template(const cli_options *o);

#endif
