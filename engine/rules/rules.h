/*
** rules.h — loading a rule tree into plain C structures.
**
** A rule tree is a directory holding indicators/ and rules/ (*.lua files, the
** shipped default), or a profile directory of *.lua files that begins with
** `extends "default"` and overrides or adds only what differs. Files are
** loaded text-only into a sandbox (sandbox.h) after the DSL prelude
** (engine/rules/dsl.lua); the prelude compiles the declarations and this module
** copies the result into the structs below, resolving parameter names to
** indexes. After rules_load() no Lua runs during evaluation.
**
** `problems` lists everything wrong with the rules, each "file:line: ...";
** a rule set with problems must not be evaluated (kaohe check prints them).
*/
#ifndef KAOHE_RULES_H
#define KAOHE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "admission.h"
#include "error.h"
#include "params.h"
#include "re.h"
#include "sandbox.h"

/* Something a rule uses as a number: a literal, a parameter, or a schedule
** parameter interpolated at the assessment year. */
typedef enum { REF_NUMBER, REF_PARAM, REF_SCHEDULE } rules_ref_kind;
typedef struct rules_ref {
    rules_ref_kind kind;
    double number; /* REF_NUMBER */
    int param;     /* REF_PARAM, REF_SCHEDULE: index into rules.params */
} rules_ref;

typedef enum { OP_NULL, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE } rules_op;

typedef enum { STATUS_OK = 0, STATUS_MISSING = 1, STATUS_INVALID = 2 } indicator_status;

/* A value a query binds to a ?N placeholder. */
typedef enum { BIND_AS_OF, BIND_YEAR_START, BIND_YEAR, BIND_REGION, BIND_PARAM } rules_bind_kind;
typedef struct rules_bind {
    rules_bind_kind kind;
    int param; /* BIND_PARAM */
} rules_bind;

/* One status check of an indicator, evaluated in order (POLICY.md §0). */
typedef struct indicator_check {
    indicator_status status; /* what the indicator becomes when the check fires */
    rules_op op;             /* OP_NULL: the input is NULL */
    int lhs;                 /* input index */
    enum { RHS_NUMBER, RHS_PARAM, RHS_INPUT } rhs_kind;
    double number;
    int param;
    int input;
    char *text; /* the condition as written, for explain */
} indicator_check;

typedef enum { SCORE_LIN, SCORE_RATIO } score_kind;

typedef struct indicator {
    char *id, *name, *category, *unit, *source, *description, *hint;
    char *file; /* where it is declared */
    int line;
    int category_index; /* into rules.categories */
    rules_ref max;      /* max points */
    score_kind score;
    rules_ref score_args[2]; /* lin: from, to; ratio: target */
    char *sql;               /* one row per community: id, value, inputs... */
    rules_bind *binds;
    size_t bind_count;
    char **input_names;    /* column names after value */
    char **input_describe; /* where each input comes from, for explain */
    size_t input_count;
    indicator_check *checks;
    size_t check_count;
    bool needs_decisions; /* its query reads the task decisions (dsl.lua's `needs`) */
} indicator;

/* Indicators computed together by one query (dsl.lua, compile_bundles):
** one scan of a table for all the indicators that read it the same way.
** The query returns the community id, then for each member, in order, the
** columns its own query returns (value, inputs...). */
/* A bundle whose count and sum inputs all read one table can be computed
** by a scan of that table (eval.c): `sql` is the select list giving, per
** row, the community, then each aggregate's value (kinds[i]: summed as a
** count or as SQL's TOTAL); the sums go into temp.kaohe_scan (community_id,
** a1, a2...), which `after_sql` reads in place of grouping the rows. With
** `via`, the first value is not the community but the id of a row of table
** `via` (a worker), whose community_id is the community. */
typedef enum { SCAN_COUNT, SCAN_TOTAL } scan_kind;

typedef struct bundle_scan {
    char *table, *alias; /* alias NULL when none */
    char *via;           /* NULL, or the table whose id the scan's first value is (rules.h) */
    char *sql;
    rules_bind *binds;
    size_t bind_count;
    scan_kind *kinds;
    size_t kind_count;
    char *after_sql;
    rules_bind *after_binds;
    size_t after_bind_count;
} bundle_scan;

typedef struct indicator_bundle {
    char *sql;
    rules_bind *binds;
    size_t bind_count;
    size_t *members; /* indexes into rules.indicators */
    size_t member_count;
    bundle_scan *scan;    /* NULL when the bundle's rows come from a join or none */
    bool needs_decisions; /* its query reads the task decisions (dsl.lua's `needs`) */
} indicator_bundle;

typedef struct category {
    char *id, *name, *source, *file;
    int line;
} category;

typedef struct star_condition {
    int indicator; /* index into rules.indicators; its value is compared */
    rules_op op;
    int param;
    char *text;
} star_condition;

typedef struct star_grade {
    int stars;
    char *name;      /* what outputs call it: 五星 (the DSL names unnamed grades) */
    int total_param; /* the total must be >= this parameter */
    star_condition *also;
    size_t also_count;
} star_grade;

/* Scopes of targets and appraisal groups, broadest first. */
typedef enum {
    SCOPE_REGION,
    SCOPE_DISTRICT,
    SCOPE_STREET,
    SCOPE_COMMUNITY,
    SCOPE_COUNT
} rules_scope;
extern const char *const rules_scope_names[SCOPE_COUNT];

typedef struct target_rule {
    char *id, *name, *source, *unit, *file;
    int line;
    bool count;      /* measure "count" (actual = numerator) instead of a ratio */
    bool skip_empty; /* no row where the denominator is 0 (else actual NULL) */
    bool scopes[SCOPE_COUNT];
    rules_ref required;
    char *sql; /* per community: id, numerator, denominator */
    rules_bind *binds;
    size_t bind_count;
    bool needs_decisions; /* its query reads the task decisions (dsl.lua's `needs`) */
} target_rule;

typedef struct appraisal_floor {
    int column; /* 0 = the score, 1.. = components */
    int param;
    char *name;
} appraisal_floor;

typedef struct appraisal_rule {
    bool present;
    char *name, *source, *file;
    int line;
    rules_scope group; /* workers are ranked within this scope */
    char **components; /* any NULL → no_score */
    size_t component_count;
    appraisal_floor *floors;
    size_t floor_count;
    int bottom_ratio_param;
    int *weight_params; /* [component] the parameter weighing it (weights = {...}), or -1 */
    char *sql;          /* worker id, community id, score, components... */
    rules_bind *binds;
    size_t bind_count;
    bool needs_decisions; /* its query reads the task decisions (dsl.lua's `needs`) */
} appraisal_rule;

typedef struct admission_rules {
    bool present;
    char *file;
    int line;
    admission_entry *entries; /* in order; patterns compiled at load (owned) */
    char **entry_files;       /* "file:line" of each entry */
    char **entry_patterns;    /* the patterns as written */
    char **entry_departments;
    size_t entry_count;
    admission_messages messages;                                /* strings owned */
    int match_limit_param, depth_limit_param, heap_limit_param; /* -1 = the engine's cap */
    int run_budget_param; /* steps all metered matches of a run may take; -1 = the cap */
} admission_rules;

/* What outputs call one of the engine's codes (labels "scope" { ... }). */
typedef struct code_label {
    char *kind; /* "scope", "flag", "decision", "status", ... */
    char *code; /* "street" */
    char *text; /* 街道 */
} code_label;

typedef struct rules {
    char *root;   /* directory the rules were loaded from */
    char *sha256; /* hex digest of every loaded file, stable order */
    char **files; /* display names of the loaded files, in load order */
    size_t file_count;
    char *system_name;
    double total; /* points the indicators must sum to */
    int expected_categories, expected_indicators;
    category *categories;
    size_t category_count;
    indicator *indicators; /* sorted by id */
    size_t indicator_count;
    indicator_bundle *bundles; /* indicators computed by one shared query */
    size_t bundle_count;
    bool copy_failed;  /* a text could not be copied (out of memory): see rules.c */
    star_grade *stars; /* best first */
    size_t star_count;
    code_label *labels; /* every label of the rules, by kind then code */
    size_t label_count;
    char *star_unrated;   /* what outputs call a community below every grade: 未评级 */
    target_rule *targets; /* in declaration order */
    size_t target_count;
    appraisal_rule appraisal;
    admission_rules admission;
    params params;   /* definitions and defaults */
    char **problems; /* "file:line: message" */
    size_t problem_count;
    char **warnings; /* valid but worth a look: "file:line: message" */
    size_t warning_count;
} rules;

typedef struct rules_options {
    const char *directory;    /* rule tree or profile directory */
    const char *default_root; /* the shipped rules, for extends "default" */
    sandbox_limits limits;
} rules_options;

/* The *.lua files of one directory, read and checked as UTF-8 text. */
typedef struct rules_source {
    char *path;    /* path as opened */
    char *display; /* name used in messages and chunk names */
    char *text;
    size_t length;
} rules_source;
typedef struct rules_sources {
    rules_source *items; /* sorted by file name */
    size_t count;
} rules_sources;

/* Reads one file (size and UTF-8 checked); the caller frees its fields or
** puts it in a rules_sources freed with rules_sources_free. */
int rules_read_source(const char *path, rules_source *out, error *e);

/* Reads every *.lua file of `directory` (not below it). */
int rules_read_sources(const char *directory, rules_sources *out, error *e);
void rules_sources_free(rules_sources *sources);

/* Runs each source as a sandboxed chunk named "@display". */
int rules_run_sources(sandbox *sb, const rules_sources *sources, error *e);

/* lua_CFunction returning the `host` table preludes receive (pass it to
** sandbox_run_prelude): caller() gives the rule file and line of the
** current DSL call, suggest(word, list) a "did you mean". */
int rules_host_open(lua_State *L);

/* Index of `text` in names[0..count), or -1 when it is NULL or not there:
** the lookup of luaL_checkoption, without raising. rules.c keeps a table of
** the texts it accepts wherever the compiled rules make a choice (a
** comparison, a parameter type, a score kind...) and refuses any other text
** with a problem naming the rule file, line and the accepted texts. */
int rules_option(const char *text, const char *const names[], size_t count);

/* Runs the DSL prelude (dsl.lua) in `sb`; leaves its API table (finalize,
** reset) at the top of the stack. */
int rules_run_prelude(sandbox *sb, error *e);

/* Copies what the prelude's finalize() returned (at the top of sb's stack,
** left there) into a new rule set *out, checking every text C turns into a
** choice (rules_option); ERROR_OK with problems as rules_load. Free with
** rules_free. For rules_load, and for tests that hand C what dsl.lua would
** never write. */
int rules_from_compiled(sandbox *sb, rules **out, error *e);

/* Loads and compiles a rule tree. Returns ERROR_OK with *out set even when
** the rules have problems (see rules->problems); an error status only when
** the rules cannot be read at all (no directory, unreadable file, a rule
** file that fails to run). Free with rules_free. */
int rules_load(const rules_options *options, rules **out, error *e);
void rules_free(rules *r);

/* Adds a problem line (printf-style); false when out of memory. */
bool rules_add_problem(rules *r, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Adds a warning line (printf-style); false when out of memory. */
bool rules_add_warning(rules *r, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Warns about parameters no rule uses. */
void rules_warn_unused_params(rules *r);

/* Value of a reference with the given parameter values and year. */
double rules_ref_value(const rules_ref *ref, const params *ps, int year);

/* What the rules call `code` of `kind` (labels "scope" { street = "街道" }),
** or the code itself when they give it no label. */
const char *rules_label(const rules *r, const char *kind, const char *code);

/* The code whose label of `kind` is `text` (the import's reading of 书记 as
** secretary), or NULL when no label of that kind says it. */
const char *rules_label_code(const rules *r, const char *kind, const char *text);

/* Checks the invariants that must hold for any parameter values: the
** indicators' max points sum to the system total, every max > 0, lin
** ranges non-empty, ratio targets > 0. Messages name the parameters. */
int rules_check_invariants(const rules *r, const params *ps, int year, error *e);

/* Index of an indicator by id, or -1. */
int rules_find_indicator(const rules *r, const char *id);

#endif
