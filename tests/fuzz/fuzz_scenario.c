/*
** tests/fuzz/fuzz_scenario.c — libFuzzer harness: scenario files.
**
** Input: the text of a scenario file (--scenario FILE.lua). It is written to
** a file and loaded with scenario_load() under small sandbox limits (16 MB,
** 3 million instructions), then applied with scenario_apply() to a copy of
** the shipped rules' parameters, and the result is written as JSON.
**
** Oracles: scenario_load() and scenario_apply() return ERROR_OK or
** ERROR_INPUT (never ERROR_SYSTEM) with a message; a loaded scenario has a
** name and every override a name and a value; a failed apply names the
** scenario file; params_to_json() succeeds.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "params.h"
#include "rules.h"
#include "scenario.h"

static rules *shipped;
static char scenario_path[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rules_options options;
    error e;
    (void)argc;
    (void)argv;
    memset(&options, 0, sizeof options);
    options.directory = fuzz_root();
    options.default_root = fuzz_root();
    error_clear(&e);
    if (rules_load(&options, &shipped, &e) != ERROR_OK || shipped->problem_count > 0) {
        fprintf(stderr, "fuzz_scenario: cannot load the shipped rules: %s\n", e.message);
        abort();
    }
    snprintf(scenario_path, sizeof scenario_path, "%s/scenario.lua", fuzz_workdir());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sandbox_limits limits;
    scenario sc;
    params ps = {0};
    error e;
    int status;
    size_t i;
    char *json;
    fuzz_write_file(scenario_path, data, size);
    limits.memory_bytes = (size_t)16 << 20;
    limits.instructions = 3000000;
    error_clear(&e);
    status = scenario_load(scenario_path, &limits, &sc, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "scenario_load returned %d: %s",
               status, e.message);
    if (status != ERROR_OK) {
        FUZZ_CHECK(e.message[0] != '\0', "refused without a message");
        return 0;
    }
    /* Fixed in 7a8bb9f: a name made of NUL bytes passed the prelude's
    ** name ~= "" check and became "" once copied to C. */
    FUZZ_CHECK(sc.name != NULL && sc.name[0] != '\0', "a scenario without a name");
    for (i = 0; i < sc.set_count; i++)
        FUZZ_CHECK(sc.sets[i].name != NULL && sc.sets[i].value != NULL,
                   "override %zu has no name or value", i);
    if (params_copy(&ps, &shipped->params, &e) != ERROR_OK)
        abort();
    error_clear(&e);
    status = scenario_apply(&sc, &ps, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT || status == ERROR_USAGE,
               "scenario_apply returned %d: %s", status, e.message);
    if (status != ERROR_OK)
        FUZZ_CHECK(strstr(e.message, "scenario") != NULL, "apply error does not name the scenario: %s",
                   e.message);
    json = params_to_json(&ps);
    FUZZ_CHECK(json != NULL, "params_to_json failed");
    free(json);
    params_free(&ps);
    scenario_free(&sc);
    return 0;
}
