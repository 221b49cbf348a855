# Sandbox attacks: a rule file (rules/zz_attack.lua in a copy of the shipped
# rules) tries to escape or exhaust the Lua sandbox. Every attack must end
# with exit 1, a message naming the rule file and line, and nothing written
# to RESULTS. The attack code is on line 3 of the file.

# Small limits keep the stops fast (the shipped rules need far less).
SMALL_BUDGET=(--rule-instructions 20000000)
SMALL_MEMORY=(--rule-memory-mb 16)
# With those limits every attack must be stopped within seconds; a run that
# takes longer is killed (and fails) rather than holding up the suite.
E2E_CALL_TIMEOUT=$(scaled_timeout 5)

# attack_file LUA-LINE...: writes tree/rules/zz_attack.lua, code from line 3.
attack_file() {
    copy_rules tree
    write_rule tree/rules/zz_attack.lua "-- sandbox attack ($TEST_NAME)" "" "$@"
}

# attack LUA-LINE...: the attack (from line 3) is refused, naming line 3.
attack() {
    attack_file "$@"
    expect_eval_refused 1 "zz_attack.lua:3:" -- eval "$SAMPLE_DB" --rules tree "${SMALL_BUDGET[@]}"
}

test_sandbox_blocks_io_open() {
    attack "local f = io.open('$TEST_TMP/pwned', 'w') f:write('x') f:close()"
    expect_file_absent "$TEST_TMP/pwned"
}

test_sandbox_blocks_os_execute() {
    attack "os.execute('touch $TEST_TMP/pwned')"
    expect_file_absent "$TEST_TMP/pwned"
}

test_sandbox_blocks_os_exit() {
    attack "os.exit(0)"
}

test_sandbox_blocks_require() {
    attack 'local os = require "os"; os.execute("true")'
}

test_sandbox_blocks_load() {
    attack 'load("return 1")()'
}

test_sandbox_blocks_loadfile() {
    attack 'loadfile("/etc/passwd")'
}

test_sandbox_blocks_dofile() {
    attack 'dofile("/etc/passwd")'
}

test_sandbox_blocks_debug_library() {
    attack 'local info = debug.getinfo(1)'
}

test_sandbox_blocks_string_dump() {
    attack 'local code = string.dump(print)'
}

test_sandbox_blocks_collectgarbage() {
    attack 'collectgarbage("collect")'
}

test_sandbox_rejects_clearing_a_dsl_global() {
    attack '_G.indicator = nil'
}

test_sandbox_rejects_replacing_G_before_using_the_dsl() {
    attack '_G = {}' 'category "Z" { name = "攻击" }'
}

test_sandbox_rejects_setmetatable_on_G() {
    attack 'setmetatable(_G, {})'
}

test_sandbox_rejects_setmetatable_on_the_string_library() {
    attack 'setmetatable(string, {})'
}

test_sandbox_rejects_assigning_string_rep() {
    attack 'string.rep = nil'
}

test_sandbox_rejects_changing_the_string_metatable() {
    attack 'getmetatable("").__index = {}'
}

test_sandbox_blocks_rawset() {
    attack 'rawset(_G, "x", 1)'
}

test_sandbox_stops_string_rep_bomb() {
    attack 'local s = string.rep("x", 2^40)'
}

test_sandbox_stops_method_string_rep_bomb() {
    attack 'local s = ("x"):rep(2^40)'
}

test_sandbox_stops_string_rep_over_the_memory_cap_naming_the_line() {
    # 48 MB is under string.rep's own cap but over a 16 MB memory cap.
    attack_file 'local s = ("x"):rep(48 * 1024 * 1024)'
    expect_eval_refused 1 "zz_attack.lua:3:" "memory" \
        -- eval "$SAMPLE_DB" --rules tree "${SMALL_BUDGET[@]}" "${SMALL_MEMORY[@]}"
}

test_sandbox_stops_table_growth_memory_bomb() {
    attack_file 'local t = {} for i = 1, 1e9 do t[i] = i end'
    expect_eval_refused 1 "zz_attack.lua:3:" "memory" -- eval "$SAMPLE_DB" --rules tree "${SMALL_MEMORY[@]}"
}

test_sandbox_stops_endless_loop_naming_the_instruction_limit() {
    attack_file 'while true do end'
    expect_eval_refused 1 "zz_attack.lua:3:" "instruction limit" \
        -- eval "$SAMPLE_DB" --rules tree "${SMALL_BUDGET[@]}"
}

test_sandbox_default_limits_stop_endless_loop_within_10s() {
    attack_file 'while true do end'
    run_kaohe_timeout "$(scaled_timeout 30)" eval "$SAMPLE_DB" --rules tree --out results.db
    expect_exit 1
    expect_stderr_contains "zz_attack.lua:3:" "instruction limit"
    expect_file_absent results.db
    if under_wrapper; then
        note "took ${LAST_MS}ms under $KAOHE_WRAPPER (not timed)"
    elif [ "$LAST_MS" -gt 10000 ]; then
        fail "the default limits took ${LAST_MS}ms to stop an endless loop (more than 10 s)"
    fi
}

test_sandbox_stops_endless_loop_swallowed_by_pcall() {
    attack_file 'while true do pcall(function() while true do end end) end'
    expect_eval_refused 1 "zz_attack.lua:3:" "instruction limit" \
        -- eval "$SAMPLE_DB" --rules tree "${SMALL_BUDGET[@]}"
}

test_sandbox_stops_endless_loop_in_an_xpcall_message_handler() {
    # Lua calls the handler of an error raised by the count hook with hooks
    # off, so the handler's own loop is not counted.
    attack_file 'while true do xpcall(function() while true do end end, function() while true do end end) end'
    run_kaohe eval "$SAMPLE_DB" --rules tree --out results.db "${SMALL_BUDGET[@]}"
    expect_exit 1
    expect_stderr_contains "zz_attack.lua:3:"
    expect_file_absent results.db
}

test_sandbox_stops_deep_recursion() {
    attack 'local function f() return 1 + f() end f()'
}

test_sandbox_rule_error_names_file_and_line() {
    attack_file 'error("boom")'
    expect_eval_refused 1 "zz_attack.lua:3: boom" -- eval "$SAMPLE_DB" --rules tree
}

test_sandbox_stops_endless_loop_in_a_gc_finalizer() {
    # Lua runs __gc finalizers with hooks off, so the instruction limit does
    # not see them; the engine must refuse or stop such a rule.
    attack_file 'setmetatable({}, { __gc = function() while true do end end })'
    run_kaohe eval "$SAMPLE_DB" --rules tree --out results.db \
        "${SMALL_BUDGET[@]}"
    expect_exit 1
    expect_stderr_contains "zz_attack.lua:"
    expect_file_absent results.db
}

test_sandbox_stops_pattern_matching_bomb() {
    # string.find backtracks in C, where the instruction hook never runs.
    attack_file 'local s = ("a"):rep(20000)' \
        'local found = string.find(s, ("a-"):rep(12) .. "b")'
    run_kaohe eval "$SAMPLE_DB" --rules tree --out results.db \
        "${SMALL_BUDGET[@]}"
    expect_exit 1
    expect_stderr_contains "zz_attack.lua:"
    expect_file_absent results.db
}

# expect_default_limits_stop_within_10s: runs the attack file with the
# default limits; it must end with exit 1 naming the file, within 10 s.
expect_default_limits_stop_within_10s() {
    local limit=12
    under_wrapper && limit=120
    run_kaohe_timeout "$limit" eval "$SAMPLE_DB" --rules tree --out results.db
    expect_exit 1
    expect_stderr_contains "zz_attack.lua:"
    expect_file_absent results.db
    if ! under_wrapper && [ "$LAST_MS" -gt 10000 ]; then
        fail "the default limits took ${LAST_MS}ms to stop the rule (more than 10 s)"
    fi
}

test_sandbox_stops_loop_of_expensive_string_calls() {
    # Each call works on 1 MB in C, unseen by the count hook: a million calls
    # are a few million instructions but take many minutes.
    attack_file 'local s = ("x"):rep(2^20)' 'for i = 1, 1e6 do local u = s:upper() end'
    expect_default_limits_stop_within_10s
}

test_sandbox_stops_loop_of_backtracking_pattern_searches() {
    # One search is allowed (20000^2 steps, a few seconds); a loop of them
    # must still be charged to the rule's budget.
    attack_file 'local s = ("a"):rep(20000)' 'for i = 1, 1000 do local x = s:find(".-b") end'
    expect_default_limits_stop_within_10s
}

test_sandbox_print_goes_to_stderr_not_the_report() {
    attack_file 'print("hello from a rule")'
    run_kaohe eval "$SAMPLE_DB" --rules tree --format csv
    expect_exit 0
    expect_stderr_contains "hello from a rule"
    if grep -qF "hello from a rule" "$LAST_STDOUT"; then
        fail "print() in a rule file reached the report on stdout"
    fi
}
