/*
** tests/fuzz/fuzz_rules.c — libFuzzer harness: loading a rule file.
**
** The input is one rule file, as staff would write it, loaded through
** rules_load() exactly as `kaohe check` does. The first byte chooses where
** the file goes, the second (mode 2 only) which shipped file it replaces;
** the rest is the file's text:
**
**   mode 0  alone in a profile directory (it may say `extends "default"`,
**           which loads the shipped rules first, then this file);
**   mode 1  added to a copy of the shipped tree, as rules/zz_fuzz.lua;
**   mode 2  in place of one shipped file (byte 2 picks it): a staff member's
**           edit of a real rule file. The seeds are the shipped files, so
**           mutations start from real rules.
**
** Small sandbox limits (16 MB, 3 million instructions per chunk) stop a
** runaway rule quickly. When the rules load without problems, their SQL is
** prepared against the bare snapshot schema (kaohe check does the same) and
** the invariants are checked with the default parameters.
**
** Oracles: the loader returns ERROR_OK or ERROR_INPUT (never ERROR_SYSTEM,
** there is no memory pressure here) with a non-empty message; every problem
** and warning is a non-empty line.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "fuzz_common.h"
#include "sqlguard.h"
#include "rules.h"
#include "snapshot.h"

static const char *const shipped[] = {
    "indicators/a_team.lua",       "indicators/b_governance.lua", "indicators/c_service.lua",
    "indicators/d_environment.lua", "indicators/e_culture.lua",   "indicators/f_satisfaction.lua",
    "indicators/system.lua",       "rules/admission.lua",         "rules/appraisal.lua",
    "rules/certificates.lua",      "rules/conventions.lua",       "rules/stars.lua",
};
#define SHIPPED_COUNT (sizeof shipped / sizeof shipped[0])

static char solo_dir[4096], tree_dir[4096], edit_dir[4096];
static char *originals[SHIPPED_COUNT];
static size_t original_lengths[SHIPPED_COUNT];
static sqlite3 *schema_db;

static void copy_tree(const char *to)
{
    char from[4096], target[4096];
    snprintf(from, sizeof from, "%s/indicators", fuzz_root());
    snprintf(target, sizeof target, "%s/indicators", to);
    fuzz_copy_dir(from, target);
    snprintf(from, sizeof from, "%s/rules", fuzz_root());
    snprintf(target, sizeof target, "%s/rules", to);
    fuzz_copy_dir(from, target);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;
    error e;
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_rules");
    snprintf(solo_dir, sizeof solo_dir, "%s/solo", fuzz_workdir());
    snprintf(tree_dir, sizeof tree_dir, "%s/tree", fuzz_workdir());
    snprintf(edit_dir, sizeof edit_dir, "%s/edit", fuzz_workdir());
    fuzz_mkdirs(solo_dir);
    copy_tree(tree_dir);
    copy_tree(edit_dir);
    for (i = 0; i < SHIPPED_COUNT; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", fuzz_root(), shipped[i]);
        originals[i] = fuzz_read_file(path, &original_lengths[i]);
        if (originals[i] == NULL) {
            fprintf(stderr, "fuzz_rules: cannot read %s (set KAOHE_HOME)\n", path);
            abort();
        }
    }
    error_clear(&e);
    if (snapshot_open_schema(&schema_db, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_rules: %s\n", e.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rules_options options;
    rules *r = NULL;
    error e;
    char path[4096];
    int mode, status;
    size_t replaced = SHIPPED_COUNT, i;
    if (size < 2)
        return 0;
    mode = data[0] % 3;
    memset(&options, 0, sizeof options);
    options.default_root = fuzz_root();
    options.limits.memory_bytes = (size_t)16 << 20;
    options.limits.instructions = 3000000;
    options.limits.seconds = 1;
    if (mode == 0) {
        snprintf(path, sizeof path, "%s/fuzz.lua", solo_dir);
        fuzz_write_file(path, data + 1, size - 1);
        options.directory = solo_dir;
    } else if (mode == 1) {
        snprintf(path, sizeof path, "%s/rules/zz_fuzz.lua", tree_dir);
        fuzz_write_file(path, data + 1, size - 1);
        options.directory = tree_dir;
    } else {
        replaced = data[1] % SHIPPED_COUNT;
        snprintf(path, sizeof path, "%s/%s", edit_dir, shipped[replaced]);
        fuzz_write_file(path, data + 2, size - 2);
        options.directory = edit_dir;
    }
    error_clear(&e);
    status = rules_load(&options, &r, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "rules_load returned %d: %s", status,
               e.message);
    if (getenv("FUZZ_VERBOSE") != NULL) /* what a seed does: FUZZ_VERBOSE=1 fuzz_rules FILE */
        fprintf(stderr, "mode %d: status %d: %s (%zu problems%s%s)\n", mode, status, e.message,
                r ? r->problem_count : 0, r && r->problem_count ? "; first: " : "",
                r && r->problem_count ? r->problems[0] : "");
    if (status != ERROR_OK) {
        FUZZ_CHECK(e.message[0] != '\0', "rules_load failed without a message");
        FUZZ_CHECK(r == NULL, "rules_load failed but returned rules");
    } else {
        FUZZ_CHECK(r != NULL, "rules_load succeeded without rules");
        for (i = 0; i < r->problem_count; i++)
            FUZZ_CHECK(r->problems[i] != NULL && r->problems[i][0] != '\0', "empty problem %zu",
                       i);
        for (i = 0; i < r->problem_count; i++) /* messages quote rule text: cut */
            FUZZ_CHECK(strlen(r->problems[i]) < 1200, "problem %zu of %zu bytes", i,
                       strlen(r->problems[i]));
        if (r->problem_count == 0) {
            eval_check_sql(r, schema_db);
            rules_warn_unused_params(r);
            error_clear(&e);
            status = rules_check_invariants(r, &r->params, 2025, &e);
            FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT,
                       "rules_check_invariants returned %d: %s", status, e.message);
        }
        for (i = 0; i < r->warning_count; i++)
            FUZZ_CHECK(r->warnings[i] != NULL, "NULL warning %zu", i);
    }
    rules_free(r);
    if (replaced < SHIPPED_COUNT) {
        snprintf(path, sizeof path, "%s/%s", edit_dir, shipped[replaced]);
        fuzz_write_file(path, originals[replaced], original_lengths[replaced]);
    }
    return 0;
}
