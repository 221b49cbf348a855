# Rule files and rule-test files are untrusted text (README "Reliability",
# threat model): none may change the DSL, the libraries or another file's
# declarations, every piece of work a rule causes is bounded, and every stop
# names the user's own file and line. Attack code is on line 3 of the file
# (write_rule's first two lines are a comment and a blank line).

SMALL_BUDGET=(--rule-instructions 20000000)
E2E_CALL_TIMEOUT=$(scaled_timeout 10)

# attack_file LUA-LINE...: tree/indicators/zz.lua in a copy of the rules.
attack_file() {
    copy_rules tree
    write_rule tree/indicators/zz.lua "-- rule trust attack ($TEST_NAME)" "" "$@"
}

# results_of RULES-DIR OUT: evaluates the sample with RULES-DIR into OUT.
eval_into() {
    run_kaohe eval "$SAMPLE_DB" --rules "$1" --out "$2" --quiet
    expect_exit 0
}

# --- 1. one file cannot change how other files compile ---------------------

test_dsl_metatables_are_locked_against_other_files() {
    attack_file 'local I = getmetatable(count("workers", "1")); I.__index = function(t, k) if k == "domain" and t.kind == "count" then return "0..2" end end'
    expect_eval_refused 1 "zz.lua:3:" -- eval "$SAMPLE_DB" --rules tree
    run_kaohe check --rules tree
    expect_exit 1
}

test_score_and_reference_metatables_are_locked() {
    attack_file 'local S = getmetatable(lin(1, 2)); S.__index = function() return 0 end' \
        'local R = getmetatable(ref "stars.five"); R.__index = function() return "x" end'
    expect_eval_refused 1 "zz.lua:3:" -- eval "$SAMPLE_DB" --rules tree
}

test_dsl_values_cannot_be_changed_after_they_are_made() {
    attack_file 'local x = count("workers", "1"); x.sql = "(SELECT 100)"'
    expect_eval_refused 1 "zz.lua:3:" "cannot be changed" -- eval "$SAMPLE_DB" --rules tree
}

# A declaration is copied when it is made: a metatable cannot fake a field,
# and changing the table afterwards changes nothing.
test_declaration_fields_cannot_be_faked_by_a_metatable() {
    copy_rules tree
    eval_into tree "$TEST_TMP/plain.db"
    local f
    f=tree/indicators/a_team.lua
    # A06's body gains an __index that answers max = 99 for a missing field,
    # and its table is changed after the declaration.
    edit_file "$f" 's/^indicator "A06" {/local body_a06 = setmetatable({/'
    python3 - "$f" <<'PY' || die "cannot edit $f"
import sys, re
p = sys.argv[1]
s = open(p).read()
i = s.index('local body_a06 = setmetatable({')
j = s.index('\n}', i)
s = s[:j] + '\n}, { __index = function(t, k) if k == "max" then return 99 end end, __pairs = function() return next, { max = 99 }, nil end })\nindicator "A06" (body_a06)\nbody_a06.max = 50\n' + s[j + 2:]
open(p, 'w').write(s)
PY
    eval_into tree "$TEST_TMP/faked.db"
    expect_eq "$(sqlite3 "$TEST_TMP/plain.db" 'SELECT group_concat(points, ",") FROM (SELECT points FROM indicator_scores WHERE indicator_id = '"'A06'"' ORDER BY community_id)')" \
        "$(sqlite3 "$TEST_TMP/faked.db" 'SELECT group_concat(points, ",") FROM (SELECT points FROM indicator_scores WHERE indicator_id = '"'A06'"' ORDER BY community_id)')" \
        "A06 points with a faking metatable"
}

test_self_referencing_declaration_is_refused_with_its_line() {
    attack_file 'local t = { name = "x" }; t.self = t; category "Z" (t)'
    expect_eval_refused 1 "zz.lua:3:" "nest more than" -- eval "$SAMPLE_DB" --rules tree
}

# --- 9. kaohe test reads test files under the same protection --------------

# write_test_file LUA-LINE...: the only test file of tree/tests (the directory
# `kaohe test --rules tree` reads).
write_test_file() {
    copy_rules tree
    rm -rf tree/tests
    write_rule tree/tests/zz_test.lua "-- rule test attack ($TEST_NAME)" "" "$@"
}

expect_no_test_leftovers() {
    local left
    left=$(find "$TEST_TMP/tmp" -maxdepth 1 -name 'kaohe-test-*' | head -3)
    [ -z "$left" ] || fail "temporary files left behind: $left"
}

run_rule_tests() {
    mkdir -p "$TEST_TMP/tmp"
    TMPDIR=$TEST_TMP/tmp run_kaohe test --rules tree "${SMALL_BUDGET[@]}"
}

test_rule_test_expect_with_looping_index_does_not_hang() {
    write_test_file 'case "loop" { expect "A01" (setmetatable({ value = 1 }, { __index = function() while true do end end })) }'
    run_rule_tests
    [ "$LAST_TIMED_OUT" = 0 ] || fail "kaohe test hung"
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
    expect_no_test_leftovers
}

test_rule_test_expect_with_raising_index_is_a_failure_not_an_abort() {
    write_test_file 'case "raise" { expect "A01" (setmetatable({}, { __index = function() error("boom") end })) }'
    run_rule_tests
    expect_exit 1
    expect_stderr_not_contains "PANIC"
    expect_stdout_contains "zz_test.lua:3:"
    expect_no_test_leftovers
}

test_rule_test_values_must_be_plain() {
    write_test_file 'case "odd value" { params = { [1] = 5 }, expect "A01" { value = 1 } }'
    run_rule_tests
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
    write_test_file 'case "function value" { expect "A01" { value = print } }'
    run_rule_tests
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
    expect_no_test_leftovers
}

test_rule_test_null_cannot_be_changed() {
    write_test_file 'getmetatable(null).__tostring = function() while true do end end'
    run_rule_tests
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
}

# expect_stderr_under BYTES: the last run's messages were cut to size.
expect_stderr_under() {
    local size
    size=$(stat -c %s "$LAST_STDERR")
    [ "$size" -lt "$1" ] || fail "stderr took $size bytes (at most $1 expected)"
}

# --- 4. work done in C inside Lua is charged ---------------------------------
# Each attack runs with the default limits and must stop, naming the rule's
# line, within the call's time limit; none may be killed by the time limit.

work_attack() {
    attack_file "$@"
    run_kaohe check --rules tree
    [ "$LAST_TIMED_OUT" = 0 ] || fail "not stopped within ${E2E_CALL_TIMEOUT}s"
    expect_exit 1
    expect_stderr_contains "zz.lua:3:"
}

test_table_move_over_a_huge_range_is_refused_before_it_starts() {
    work_attack 'table.move({}, 1, 1e15, 1, {})'
    expect_stderr_contains "instruction limit"
}

test_loop_over_utf8_len_of_a_long_text_is_stopped() {
    work_attack 'local s = ("x"):rep(10 * 1024 * 1024) for i = 1, 1e9 do utf8.len(s) end'
}

test_loop_over_a_huge_string_pack_is_stopped() {
    work_attack 'for i = 1, 1e9 do local x = string.pack("c60000000", "") end'
}

test_sorting_millions_is_refused() {
    work_attack 'local t = {} for i = 1, 3e6 do t[i] = 3e6 - i end for i = 1, 1e9 do table.sort(t) end'
}

test_loop_of_tonumber_on_a_long_text_is_stopped() {
    work_attack 'local s = ("1"):rep(15 * 1000 * 1000) for i = 1, 1e9 do tonumber(s) end'
}

test_one_value_may_not_take_most_of_the_memory_cap() {
    work_attack 'local s = ("x"):rep(60 * 1000 * 1000)'
    expect_stderr_contains "one value may take at most"
}

# == on long strings is one VM instruction: the CPU-time backstop stops it.
test_loop_comparing_long_strings_is_stopped_by_the_time_limit() {
    work_attack 'local a = ("x"):rep(15000000) local b = ("x"):rep(14999999) .. "x" for i = 1, 1e12 do if a == b then end end'
    expect_stderr_contains "CPU seconds"
}

test_balanced_match_pattern_counts_as_repetition() {
    work_attack 'string.find(("("):rep(200000), "%b()")'
    expect_stderr_contains "too much work"
}

test_print_output_is_capped() {
    attack_file 'for i = 1, 1e5 do print(("x"):rep(300)) end'
    run_kaohe check --rules tree
    expect_stderr_contains "zz.lua:3: xxx" "the rest is not shown"
    expect_stderr_under 100000
}

test_long_rule_text_is_refused_before_the_dsl_reads_it() {
    work_attack 'indicator "Z01" { name = "z", category = "A", max = 1, inputs = { n = count("workers", "1") }, value = "n", score = lin(0, 1), missing_if = "n" .. (" "):rep(100000) .. "=" }'
    expect_stderr_contains "at most 64 KB"
}

test_unclosed_brace_in_long_sql_is_read_in_linear_time() {
    work_attack 'indicator "Z02" { name = "z", category = "A", max = 1, inputs = { n = sql("SELECT {" .. ("a"):rep(60000) .. " FROM workers") }, value = "n", score = lin(0, 1) }'
    expect_stderr_contains "unbalanced { }"
}

test_long_condition_with_spaces_is_read_in_linear_time() {
    work_attack 'indicator "Z03" { name = "z", category = "A", max = 1, inputs = { n = count("workers", "1") }, value = "n", score = lin(0, 1), missing_if = "n = 0" .. (" "):rep(60000) .. "x" }'
}

# --- 11. stops name the rule's line, even inside the DSL ---------------------

test_instruction_stop_inside_the_dsl_names_the_rule_line() {
    work_attack 'for i = 1, 1e9 do category("Z" .. i) { name = "x" } end'
    expect_stderr_contains "instruction limit"
    expect_stderr_not_contains "engine/rules/dsl.lua"
}

test_memory_stop_inside_the_dsl_names_the_rule_line() {
    attack_file 'local t = {} for i = 1, 1e9 do t[i] = count("workers", "1") end'
    run_kaohe check --rules tree --rule-memory-mb 16 --rule-instructions 10000000000
    expect_exit 1
    expect_stderr_contains "zz.lua:3:" "memory limit"
    expect_stderr_not_contains "engine/rules/dsl.lua"
}

# --- 10. rule files that are not files ----------------------------------------

test_named_pipe_as_rule_file_is_refused_without_waiting() {
    copy_rules tree
    mkfifo tree/indicators/zz.lua || die "mkfifo"
    run_kaohe check --rules tree
    [ "$LAST_TIMED_OUT" = 0 ] || fail "check waited on a named pipe"
    expect_exit 1
    expect_stderr_contains "zz.lua: not an ordinary file (a named pipe)"
}

test_directory_named_like_a_rule_file_is_refused() {
    copy_rules tree
    mkdir tree/indicators/zz.lua || die "mkdir"
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua: not an ordinary file (a directory)"
}

test_named_pipe_as_rule_test_file_is_refused() {
    copy_rules tree
    mkdir -p tree/tests && mkfifo tree/tests/zz_test.lua || die "mkfifo"
    run_rule_tests
    [ "$LAST_TIMED_OUT" = 0 ] || fail "kaohe test waited on a named pipe"
    expect_exit 1
    expect_stdout_contains "not an ordinary file"
}

# --- 11. messages a person can act on ------------------------------------------

test_byte_order_mark_is_accepted() {
    copy_rules tree
    printf '\xEF\xBB\xBF' | cat - tree/indicators/a_team.lua >"$TEST_TMP/bom.lua" || die "bom"
    mv "$TEST_TMP/bom.lua" tree/indicators/a_team.lua
    run_kaohe check --rules tree
    expect_exit 0
}

test_full_width_comma_is_named_with_what_to_type() {
    attack_file 'category "Z" { name = "测试"， source = "x" }'
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua:3: full-width '，' (U+FF0C) where Lua expects ','"
    expect_stderr_not_contains '<\239>'
}

test_full_width_parenthesis_is_named_with_what_to_type() {
    attack_file 'local x = count（"workers", "1")'
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua:3: full-width '（' (U+FF08) where Lua expects '('"
}

test_deep_nesting_names_the_file_and_line() {
    attack_file "local t = $(printf '{%.0s' $(seq 1 100000))"
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua:3: brackets nest too deeply"
}

test_error_object_with_huge_tostring_is_not_printed() {
    attack_file 'error(setmetatable({}, { __tostring = function() return ("x"):rep(15000000) end }))'
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua:3: error with a table value"
    expect_stderr_under 2000
}

test_long_error_message_is_cut() {
    attack_file 'error(("x"):rep(10000000))'
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua:3:" "more bytes not shown"
    expect_stderr_under 2000
}

test_long_unknown_field_is_cut_in_the_problem_list() {
    attack_file 'category "Z" { name = "z", [("k"):rep(60000)] = 1 }'
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "zz.lua:3:" "more bytes not shown"
    expect_stderr_under 10000
}
