/*
 * test_rules_contract.c -- the contract between the compiled rules (what
 * dsl.lua's finalize() returns) and the C loader (rules.c).
 *
 * Every text that C turns into a choice is looked up in a table and an
 * unknown one is refused with a problem naming the rule file and line and
 * the accepted texts, as luaL_checkoption refuses an option; nothing falls
 * back to a default. A rule file cannot write these texts (dsl.lua refuses
 * them at the user's line: tests/e2e/test_bad_rules.sh), so these tests load
 * the shipped rules, change finalize()'s result the way a dsl.lua out of step
 * with rules.c would, and hand it to rules_from_compiled().
 *
 * Run from the repository root (make unit does).
 */
#include "unit.h"

#include <lauxlib.h>

#include "rules.h"
#include "sandbox.h"

/* --- rules_option: the lookup ---------------------------------------------- */

static const char *const OPS[] = {"null", "<", "<=", ">", ">=", "=", "!="};
#define OP_COUNT (sizeof OPS / sizeof *OPS)

static void test_option_finds_every_name_at_its_index(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < OP_COUNT; i++)
        assert_int_equal(rules_option(OPS[i], OPS, OP_COUNT), (int)i);
}

static void test_option_refuses_what_it_does_not_know(void **state)
{
    /* Near misses, other spellings, case, Chinese, invalid UTF-8, empty. */
    static const char *const unknown[] = {
        "==", "=<", "<>", "~=",   "eq",       "NULL", "Null",
        " <", "< ", "≥",  "等于", "\xff\xfe", "",     "<=>",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof unknown / sizeof *unknown; i++)
        assert_int_equal(rules_option(unknown[i], OPS, OP_COUNT), -1);
    assert_int_equal(rules_option(NULL, OPS, OP_COUNT), -1);
    assert_int_equal(rules_option("<", OPS, 0), -1);
    assert_int_equal(rules_option("lin", OPS, OP_COUNT), -1);
}

/* --- rules_from_compiled: the guard ----------------------------------------- */

/* Runs the prelude and the shipped rule files, then `tamper` (a Lua chunk
** receiving finalize()'s result as `...`), and copies the result. */
static rules *load_tampered(const char *tamper)
{
    static const char *const directories[] = {"indicators", "rules"};
    sandbox_limits limits;
    sandbox *sb = NULL;
    rules *r = NULL;
    lua_State *L;
    error e;
    size_t i;
    int api;
    memset(&limits, 0, sizeof limits);
    error_clear(&e);
    if (sandbox_open(&limits, &sb, &e) != ERROR_OK || rules_run_prelude(sb, &e) != ERROR_OK)
        fail_msg("prelude: %s", e.message);
    L = sandbox_state(sb);
    api = lua_gettop(L);
    for (i = 0; i < 2; i++) {
        rules_sources sources;
        if (rules_read_sources(directories[i], &sources, &e) != ERROR_OK ||
            rules_run_sources(sb, &sources, &e) != ERROR_OK)
            fail_msg("%s: %s", directories[i], e.message);
        rules_sources_free(&sources);
    }
    lua_getfield(L, api, "finalize");
    if (sandbox_call(sb, 0, 1, &e) != ERROR_OK)
        fail_msg("finalize: %s", e.message);
    if (luaL_loadstring(L, tamper) != LUA_OK)
        fail_msg("tamper: %s", lua_tostring(L, -1));
    lua_pushvalue(L, -2); /* finalize()'s result */
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
        fail_msg("tamper: %s", lua_tostring(L, -1));
    if (rules_from_compiled(sb, &r, &e) != ERROR_OK)
        fail_msg("rules_from_compiled: %s", e.message);
    sandbox_close(sb);
    return r;
}

/* Whether a problem holds every one of the texts (NULL-ended); prints the
** problems there are when none does. */
static bool has_problem(const rules *r, const char *const texts[])
{
    size_t i, k;
    for (i = 0; i < r->problem_count; i++) {
        for (k = 0; texts[k] != NULL && strstr(r->problems[i], texts[k]) != NULL; k++)
            ;
        if (texts[k] == NULL)
            return true;
    }
    print_message("  no problem holds \"%s\"; %zu problem(s)\n", texts[1], r->problem_count);
    for (i = 0; i < r->problem_count; i++)
        print_message("  problem: %s\n", r->problems[i]);
    return false;
}

/* A change to finalize()'s result and the problem it must give. */
typedef struct contract_case {
    const char *name;
    const char *tamper;
    const char *expect[5];
} contract_case;

#define FIND_INDICATOR(id)                                                                         \
    "local out = ...; local function ind(id) for _, x in ipairs(out.indicators) do "               \
    "if x.id == id then return x end end end; local x = ind('" id "'); "

static const contract_case CASES[] = {
    {"a comparison of an indicator's check",
     FIND_INDICATOR(
         "B02") "for _, c in ipairs(x.checks) do if c.op == '=' then c.op = '=<' end end",
     {"indicators/b_governance.lua:20: indicator \"B02\"", "unknown comparison '=<'",
      "null, <, <=, >, >=, =, !=", NULL}},
    {"a missing comparison",
     FIND_INDICATOR("B02") "x.checks[1].op = nil",
     {"indicators/b_governance.lua:20: indicator \"B02\"", "no comparison",
      "null, <, <=, >, >=, =, !=", NULL}},
    {"a comparison of a star grade",
     "local out = ...; out.stars[1].also[1].op = '≥'",
     {"rules/stars.lua:", "stars grade 1", "unknown comparison '≥'", NULL}},
    {"a parameter type",
     "local out = ...; for _, p in ipairs(out.params) do "
     "if p.name == 'stars.five' then p.type = 'float' end end",
     {"rules/stars.lua:4: param \"stars.five\"", "unknown parameter type 'float'",
      "number, integer, schedule, string, date", NULL}},
    {"a score kind",
     FIND_INDICATOR("B02") "x.score.kind = 'log'",
     {"indicators/b_governance.lua:20: indicator \"B02\"", "unknown score kind 'log'",
      "(the engine knows lin, ratio)", NULL}},
    {"a check status",
     FIND_INDICATOR("B02") "x.checks[1].status = 'broken'",
     {"indicator \"B02\"", "unknown check status 'broken'", "missing, invalid", NULL}},
    {"a check's right-hand side",
     FIND_INDICATOR("B02") "for _, c in ipairs(x.checks) do "
                           "if c.rhs_kind == 'number' then c.rhs_kind = 'column' end end",
     {"indicator \"B02\"", "unknown right-hand side kind 'column'", "number, param, input", NULL}},
    {"a reference kind",
     FIND_INDICATOR("B02") "x.max.kind = 'constant'",
     {"indicator \"B02\"", "unknown reference kind 'constant'", "param, schedule", NULL}},
    {"a need of a query",
     FIND_INDICATOR("B01") "x.needs = { 'weather' }",
     {"indicators/b_governance.lua:3: indicator \"B01\"", "unknown need 'weather'",
      "task_decisions", NULL}},
    {"a need of a target",
     "local out = ...; out.targets[1].needs = { 'task_decision' }",
     {"target \"", "unknown need 'task_decision'", "task_decisions", NULL}},
    /* The shipped target elimination_rate is declared at rules/appraisal.lua:55. */
    {"a target's measure",
     "local out = ...; out.targets[1].measure = 'share'",
     {"rules/appraisal.lua:55: target \"elimination_rate\"", "unknown measure 'share'",
      "ratio, count", NULL}},
    {"a target's empty rule",
     "local out = ...; out.targets[1].empty = 'zero'",
     {"rules/appraisal.lua:55:", "unknown empty rule 'zero'", "null, skip", NULL}},
    {"a target's scope",
     "local out = ...; out.targets[1].scopes[1] = 'city'",
     {"rules/appraisal.lua:55:", "unknown scope 'city'", "region, district, street, community",
      NULL}},
    {"the appraisal group",
     "local out = ...; out.appraisal.group = 'city'",
     {"rules/appraisal.lua:", "appraisal", "unknown scope 'city'", NULL}},
    {"an admission entry's list",
     "local out = ...; out.admission.entries[1].list = 'maybe'",
     {"rules/admission.lua:", "unknown list 'maybe'", "deny, allow", NULL}},
    {"an admission entry's kind",
     "local out = ...; out.admission.entries[1].kind = 'either'",
     {"rules/admission.lua:", "unknown entry kind 'either'", "-, duty, assist", NULL}},
    {"a scan's sum kind",
     "local out = ...; for _, b in ipairs(out.bundles) do "
     "if b.scan then b.scan.kinds[1] = 'avg' break end end",
     {"bundle of indicator", "unknown scan sum kind 'avg'", "count, total", NULL}},
};

/* Names of parameters, indicators and categories are choices too: a name
** that is not there was read as "none" (a threshold of 0, a star grade never
** reached, a floor of 0, the engine's cap). */
static const contract_case NAME_CASES[] = {
    {"a star grade's total",
     "local out = ...; out.stars[1].total.name = 'stars.six'",
     {"rules/stars.lua:", "stars grade 1: the total: unknown parameter 'stars.six'", NULL}},
    {"a star condition's indicator",
     "local out = ...; out.stars[1].also[1].indicator = 'Z99'",
     {"rules/stars.lua:", "stars grade 1: unknown indicator 'Z99'", NULL}},
    {"a star condition's parameter",
     "local out = ...; out.stars[1].also[1].param = 'nope'",
     {"rules/stars.lua:", "a condition: unknown parameter 'nope'", NULL}},
    {"the appraisal's bottom ratio",
     "local out = ...; out.appraisal.bottom_ratio = 'nope'",
     {"rules/appraisal.lua:", "bottom_ratio: unknown parameter 'nope'", NULL}},
    {"an appraisal floor",
     "local out = ...; out.appraisal.floors[1].param = nil",
     {"rules/appraisal.lua:", "no parameter for a floor", NULL}},
    {"an admission limit",
     "local out = ...; out.admission.match_limit = 'nope'",
     {"rules/admission.lua:", "admission: match_limit: unknown parameter 'nope'", NULL}},
    {"an admission message",
     "local out = ...; out.admission.messages.limit = nil",
     {"rules/admission.lua:", "admission: no message limit", NULL}},
    {"an indicator's category",
     FIND_INDICATOR("B02") "x.category = 'Z'",
     {"indicators/b_governance.lua:20: indicator \"B02\"", "unknown category 'Z'", NULL}},
    /* dsl.lua's own constructs: these were "out of memory copying the rules". */
    {"a bundle's member",
     "local out = ...; out.bundles[1].members[1] = 999",
     {"(rules): compiled bundle 1:", "member 1 is 999, not an indicator", NULL}},
    {"a bundle without members",
     "local out = ...; out.bundles[1].members = {}",
     {"(rules): compiled bundle 1", "has no member indicator", NULL}},
    {"a bundle without SQL",
     "local out = ...; out.bundles[1].sql = nil",
     {"bundle of indicator", "no SQL", NULL}},
    {"a scan without its after query",
     "local out = ...; for _, b in ipairs(out.bundles) do "
     "if b.scan then b.scan.after = nil break end end",
     {"bundle of indicator", "a scan without the query that reads its sums", NULL}},
};

static void test_each_unknown_name_is_refused_naming_file_and_line(void **state)
{
    size_t i, missed = 0;
    (void)state;
    for (i = 0; i < sizeof NAME_CASES / sizeof *NAME_CASES; i++) {
        rules *r = load_tampered(NAME_CASES[i].tamper);
        if (!has_problem(r, NAME_CASES[i].expect)) {
            print_message("not refused: %s\n", NAME_CASES[i].name);
            missed++;
        }
        rules_free(r);
    }
    if (missed > 0)
        fail_msg("%zu of %zu unknown names were not refused", missed,
                 sizeof NAME_CASES / sizeof *NAME_CASES);
}

static void test_each_unknown_text_is_refused_naming_file_and_line(void **state)
{
    size_t i, missed = 0;
    (void)state;
    for (i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        rules *r = load_tampered(CASES[i].tamper);
        if (!has_problem(r, CASES[i].expect)) {
            print_message("not refused: %s\n", CASES[i].name);
            missed++;
        }
        rules_free(r);
    }
    if (missed > 0)
        fail_msg("%zu of %zu unknown texts were not refused", missed, sizeof CASES / sizeof *CASES);
}

static void test_untouched_rules_copy_without_problems(void **state)
{
    rules *r = load_tampered("");
    size_t i;
    (void)state;
    for (i = 0; i < r->problem_count; i++)
        print_message("problem: %s\n", r->problems[i]);
    assert_int_equal(r->problem_count, 0);
    rules_free(r);
}

/* Only B01 reads the task decisions, and says so; no bundle holds it. */
static void test_needs_are_read_from_the_declaration(void **state)
{
    rules *r = load_tampered("");
    size_t i;
    (void)state;
    for (i = 0; i < r->indicator_count; i++)
        assert_int_equal(r->indicators[i].needs_decisions, strcmp(r->indicators[i].id, "B01") == 0);
    for (i = 0; i < r->bundle_count; i++)
        assert_false(r->bundles[i].needs_decisions);
    for (i = 0; i < r->target_count; i++)
        assert_false(r->targets[i].needs_decisions);
    assert_false(r->appraisal.needs_decisions);
    rules_free(r);
    /* What C reads is the declaration, not the SQL. */
    r = load_tampered(FIND_INDICATOR("B02") "x.needs = { 'task_decisions' }");
    assert_true(r->indicators[rules_find_indicator(r, "B02")].needs_decisions);
    assert_int_equal(r->problem_count, 0);
    rules_free(r);
    r = load_tampered("local out = ...; out.targets[1].needs = { 'task_decisions' }; "
                      "out.appraisal.needs = { 'task_decisions' }");
    assert_true(r->targets[0].needs_decisions);
    assert_true(r->appraisal.needs_decisions);
    rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_finds_every_name_at_its_index),
        cmocka_unit_test(test_option_refuses_what_it_does_not_know),
        cmocka_unit_test(test_untouched_rules_copy_without_problems),
        cmocka_unit_test(test_each_unknown_text_is_refused_naming_file_and_line),
        cmocka_unit_test(test_each_unknown_name_is_refused_naming_file_and_line),
        cmocka_unit_test(test_needs_are_read_from_the_declaration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
