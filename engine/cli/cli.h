/*
** cli.h — the commands of the kaohe command line. main.c parses the
** arguments into a cli_options and calls one of these; each returns an exit
** status (0 success, 1 input or rules wrong, 2 usage, 3 system failure) and
** prints its own output and messages.
*/
#ifndef KAOHE_CLI_H
#define KAOHE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "summary.h"

typedef struct cli_options {
    const char *program;   /* argv[0] */
    const char *snapshot;  /* first positional argument, when the command takes one */
    const char *out;       /* --out */
    const char *rules_dir; /* --rules */
    const char *profile;   /* --profile */
    const char **sets;     /* --set NAME=VALUE, in order */
    size_t set_count;
    const char *scenario;     /* --scenario FILE.lua */
    const char *sweep;        /* --sweep NAME=FROM:TO:STEP */
    const char *chart;        /* --chart FILE.svg */
    summary_format format;    /* --format */
    bool json;                /* --json */
    bool quiet;               /* --quiet */
    bool verbose;             /* --verbose */
    bool timings;             /* --timings: stage times on stderr */
    int jobs;                 /* --jobs */
    size_t memory_mb;         /* --rule-memory-mb */
    long long instructions;   /* --rule-instructions */
    double rule_seconds;      /* --rule-seconds */
    size_t rule_print_kb;     /* --rule-print-kb */
    size_t rule_text_kb;      /* --rule-text-kb */
    long long sql_steps;      /* --rule-sql-steps (0: scaled to the snapshot) */
    long long sql_memory_mb;  /* --rule-sql-memory-mb */
    long long sql_temp_mb;    /* --rule-sql-temp-mb (0: scaled to the snapshot) */
    const char *community;    /* explain --community */
    const char *indicator;    /* explain --indicator */
    const char *worker;       /* explain --worker */
    const char *task;         /* explain --task */
    double near;              /* eval --near MARGIN (0 = off) */
    long long run;            /* verify --run N (0 = latest) */
    long communities;         /* gen --communities N */
    unsigned long seed;       /* gen --seed S */
    const char *as_of;        /* gen --as-of DATE */
    const char *region;       /* gen --region NAME */
    bool skip_bad;            /* import --skip-bad */
    size_t max_row_mb;        /* import --max-row-mb (0 = IMPORT_MAX_ROW_MB_DEFAULT) */
    const char *xlsx;         /* export --xlsx FILE */
    const char *title;        /* admit --title */
    const char *detail;       /* admit --detail */
    const char *department;   /* admit --department */
    const char *approval;     /* admit --approval */
    bool funded, staffed;     /* admit --funded, --staffed */
    const char **positionals; /* remaining arguments */
    size_t positional_count;
} cli_options;

int cli_check(const cli_options *o);
int cli_eval(const cli_options *o);
int cli_params(const cli_options *o);
int cli_test(const cli_options *o);
int cli_admit(const cli_options *o);
int cli_whatif(const cli_options *o);
int cli_explain(const cli_options *o);
int cli_verify(const cli_options *o);
int cli_gen(const cli_options *o);
int cli_report(const cli_options *o);
int cli_import(const cli_options *o);
int cli_export(const cli_options *o);

/* The directory holding the shipped rules (indicators/ and rules/): the
** executable's directory or one of its parents, or $KAOHE_HOME. */
const char *cli_default_root(const char *program);

#endif
