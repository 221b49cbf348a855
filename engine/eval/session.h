/*
** session.h — the one pipeline every command runs: rules, then the
** parameters of the run, then the snapshot (with the rules' invariants
** checked against its year), then the evaluation. check, eval, whatif,
** explain, params, admit, verify and the rule-test runner all go through
** it, so each step is set up, checked and freed in one place.
**
** Ownership: a session owns everything it loads; session_free() frees it
** all, whatever step failed. Each step returns an error.h status and says
** why in `e`; a step may be called only after the ones before it succeeded.
*/
#ifndef KAOHE_SESSION_H
#define KAOHE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "error.h"
#include "eval.h"
#include "params.h"
#include "rules.h"
#include "sandbox.h"
#include "scenario.h"
#include "snapshot.h"

/* What a run is made of, as the command line gives it. */
typedef struct session_config {
    const char *default_root;    /* the shipped rule tree (indicators/, rules/); NULL: not found */
    const char *rules_directory; /* --rules DIR; NULL: the shipped rules */
    const char *profile;         /* --profile NAME (rules/profiles/NAME); NULL: none */
    sandbox_limits limits;       /* --rule-* */
    const char *scenario_file;   /* --scenario FILE.lua; NULL: none */
    const char *const *sets;     /* --set NAME=VALUE, applied in order after the scenario */
    size_t set_count;
    int jobs; /* threads for checking the snapshot and the queries; 0: one per core */
} session_config;

typedef struct session {
    rules *rules;         /* session_rules(), or borrowed: session_borrow_rules() */
    bool rules_borrowed;  /* session_free() leaves them to their owner */
    params params;        /* session_params(): the rules', the scenario's, then --set */
    scenario scenario;    /* the --scenario file; name NULL when there is none */
    snapshot *snapshot;   /* session_open() */
    eval_options options; /* jobs from the config; callers may set the hooks */
    eval_data data;       /* session_load() */
    eval_result result;   /* session_score() */
} session;

void session_init(session *s, const session_config *config);

/* Loads the rule tree the config names (--rules, --profile or the shipped
** one). Rules with problems load (r->problems lists them; kaohe check shows
** them all); session_require_valid() then refuses them. An unknown profile
** is ERROR_INPUT with the shipped profiles listed. */
int session_rules(session *s, const session_config *config, error *e);

/* `default_root`, or when it is NULL a name that says the shipped rules were
** not found (for extends "default" in rules of one's own). */
const char *session_root_or_placeholder(const char *default_root);
int session_require_valid(const session *s, error *e);

/* Runs with rules the caller owns and keeps (the rule-test runner: one
** rule tree, one session per case). */
void session_borrow_rules(session *s, const rules *r);

/* The parameters as `from` has them (the run's, when a caller has set
** them another way: verify applies the recorded values). */
int session_params_copy(session *s, const params *from, error *e);

/* The shipped profiles under `default_root`, sorted, one per line:
** "NAME\tDESCRIPTION" (the first comment of its profile.lua, "" if none). */
void session_list_profiles(const char *default_root, buffer *out);

/* The run's parameter values: the rules', the scenario file's, --set. */
int session_params(session *s, const session_config *config, error *e);

/* Opens and checks the snapshot, then the rules' invariants for its year
** with the run's parameters. `later` (may be NULL): tables whose rows the
** evaluation's scans check (snapshot_open_later()); a problem in those rows
** is still reported before a failed invariant. */
int session_open(session *s, const char *path, const char *const *later, error *e);

/* The two halves of session_open(), for a caller that looks at the
** snapshot (its hash) before the invariants are checked. */
int session_snapshot(session *s, const char *path, const char *const *later, error *e);
int session_invariants(session *s, error *e);

/* The evaluation: task decisions and queries (session_load; the snapshot's
** remaining checks finish first, so its problems come before any failure
** of the rule queries), then scores, stars, targets and appraisal. */
int session_load(session *s, error *e);
int session_score(session *s, error *e);
int session_evaluate(session *s, error *e);

/* The tables the rules' bundles scan, for session_open(): NULL-terminated
** into `names` (room for `capacity` entries, terminator included). */
void session_scanned_tables(const session *s, const char **names, size_t capacity);

/* The session as the outputs read it (borrowed: valid while `s` is). */
eval_run session_view(const session *s);

void session_free(session *s);

#endif
