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

# test_file LUA-LINE...: the only test file of tree/tests (the directory
# `kaohe test --rules tree` reads).
test_file() {
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
    test_file 'case "loop" { expect "A01" (setmetatable({ value = 1 }, { __index = function() while true do end end })) }'
    run_rule_tests
    [ "$LAST_TIMED_OUT" = 0 ] || fail "kaohe test hung"
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
    expect_no_test_leftovers
}

test_rule_test_expect_with_raising_index_is_a_failure_not_an_abort() {
    test_file 'case "raise" { expect "A01" (setmetatable({}, { __index = function() error("boom") end })) }'
    run_rule_tests
    expect_exit 1
    expect_stderr_not_contains "PANIC"
    expect_stdout_contains "zz_test.lua:3:"
    expect_no_test_leftovers
}

test_rule_test_values_must_be_plain() {
    test_file 'case "odd value" { params = { [1] = 5 }, expect "A01" { value = 1 } }'
    run_rule_tests
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
    test_file 'case "function value" { expect "A01" { value = print } }'
    run_rule_tests
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
    expect_no_test_leftovers
}

test_rule_test_null_cannot_be_changed() {
    test_file 'getmetatable(null).__tostring = function() while true do end end'
    run_rule_tests
    expect_exit 1
    expect_stdout_contains "zz_test.lua:3:"
}
