# Bad rule files: `kaohe check` exits 1 and names the file and line of each
# problem; `kaohe eval` with the same rules exits 1 and writes nothing. Each
# test edits a private copy of the shipped indicators/ and rules/.

# check_refused NEEDLE...: `kaohe check --rules tree` fails with exit 1 and
# stderr holds every NEEDLE.
check_refused() {
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "$@"
}

# The line of indicator "ID" in FILE.
indicator_line() {
    line_of "$1" "^indicator \"$2\""
}

test_check_accepts_an_unchanged_copy_of_the_shipped_rules() {
    copy_rules tree
    run_kaohe check --rules tree
    expect_exit 0
    expect_stdout_contains "rules are valid"
}

test_syntax_error_names_file_and_line() {
    copy_rules tree
    edit_file tree/indicators/a_team.lua '3i local broken = = 1'
    check_refused "a_team.lua:3:"
    expect_eval_refused 1 "a_team.lua:3:" -- eval "$SAMPLE_DB" --rules tree
}

test_runtime_error_in_rule_file_names_file_and_line() {
    copy_rules tree
    write_rule tree/rules/zz_runtime.lua \
        '-- a rule file that fails while it runs' \
        '' \
        'local limits = { five = 90 }' \
        'if limits.five then error("boom") end'
    check_refused "zz_runtime.lua:4:" "boom"
    expect_eval_refused 1 "zz_runtime.lua:4:" "boom" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_indicator_field_is_refused_with_suggestion() {
    local line
    copy_rules tree
    line=$(indicator_line tree/indicators/a_team.lua A01)
    edit_file tree/indicators/a_team.lua '/^indicator "A01"/,/^}/ s/ unit = / unnit = /'
    check_refused "a_team.lua:$line:" "unnit" "did you mean 'unit'"
    expect_eval_refused 1 "a_team.lua:$line:" "unnit" -- eval "$SAMPLE_DB" --rules tree
}

test_lin_with_equal_bounds_is_refused() {
    local line
    copy_rules tree
    line=$(indicator_line tree/indicators/a_team.lua A01)
    edit_file tree/indicators/a_team.lua '/^indicator "A01"/,/^}/ s/score = lin([^)]*)/score = lin(5, 5)/'
    check_refused "a_team.lua:$line:" "A01" "lin(5, 5)"
    expect_eval_refused 1 "a_team.lua:$line:" "lin(5, 5)" -- eval "$SAMPLE_DB" --rules tree
}

test_duplicate_indicator_names_both_locations() {
    local first
    copy_rules tree
    first=$(indicator_line tree/indicators/a_team.lua A01)
    # The A01 block again, at line 3 of a new file.
    {
        echo '-- a second A01'
        echo ''
        sed -n '/^indicator "A01"/,/^}/p' tree/indicators/a_team.lua
    } >tree/rules/zz_duplicate.lua
    grep -q '^indicator "A01"' tree/rules/zz_duplicate.lua || die "could not copy the A01 block"
    check_refused "A01" "zz_duplicate.lua:3" "a_team.lua:$first"
    expect_eval_refused 1 "zz_duplicate.lua:3" "a_team.lua:$first" -- eval "$SAMPLE_DB" --rules tree
}

test_points_not_summing_to_100_are_refused() {
    copy_rules tree
    # A01 is worth 3 points; 4 makes the system sum to 101.
    edit_file tree/indicators/a_team.lua '/^indicator "A01"/,/^}/ s/^  max = 3,/  max = 4,/'
    check_refused "101"
    expect_eval_refused 1 "101" -- eval "$SAMPLE_DB" --rules tree
}

test_missing_category_declaration_is_refused() {
    local line
    copy_rules tree
    edit_file tree/indicators/system.lua '/^category "F"/d'
    line=$(indicator_line tree/indicators/f_satisfaction.lua F01)
    check_refused "f_satisfaction.lua:$line:" "category 'F'"
    expect_eval_refused 1 "f_satisfaction.lua:$line:" -- eval "$SAMPLE_DB" --rules tree
}

test_indicator_without_category_is_refused() {
    local line
    copy_rules tree
    line=$(indicator_line tree/indicators/a_team.lua A01)
    edit_file tree/indicators/a_team.lua '/^indicator "A01"/,/^}/ s/ category = "A",//'
    check_refused "a_team.lua:$line:" "A01" "category"
    expect_eval_refused 1 "a_team.lua:$line:" -- eval "$SAMPLE_DB" --rules tree
}

test_sql_that_does_not_prepare_names_the_indicator() {
    local line
    copy_rules tree
    line=$(indicator_line tree/indicators/a_team.lua A01)
    edit_file tree/indicators/a_team.lua \
        '/^indicator "A01"/,/^}/ s/community("population"/community("populaton"/'
    # Without a snapshot: checked against the built-in schema.
    check_refused "a_team.lua:$line:" "A01" "populaton"
    # Against a snapshot.
    run_kaohe check "$SAMPLE_DB" --rules tree
    expect_exit 1
    expect_stderr_contains "a_team.lua:$line:" "A01" "populaton"
    expect_eval_refused 1 "a_team.lua:$line:" "A01" -- eval "$SAMPLE_DB" --rules tree
}

test_rule_file_that_is_not_utf8_is_refused() {
    copy_rules tree
    # 社区 in GBK on line 2: a file saved in the wrong encoding.
    printf -- '-- encoding test\n-- \xc9\xe7\xc7\xf8\nlocal x = 1\n' >tree/rules/zz_gbk.lua
    check_refused "zz_gbk.lua:2:" "UTF-8"
    expect_eval_refused 1 "zz_gbk.lua:2:" "UTF-8" -- eval "$SAMPLE_DB" --rules tree
}

test_empty_rules_directory_is_refused() {
    mkdir empty
    run_kaohe check --rules empty
    expect_exit 1
    expect_stderr_contains "empty"
    expect_eval_refused 1 "empty" -- eval "$SAMPLE_DB" --rules empty
}

test_rule_tree_with_empty_subdirectories_is_refused() {
    mkdir -p hollow/indicators hollow/rules
    run_kaohe check --rules hollow
    expect_exit 1
    expect_stderr_contains "hollow"
    expect_eval_refused 1 "hollow" -- eval "$SAMPLE_DB" --rules hollow
}

test_nonexistent_rules_directory_is_refused() {
    run_kaohe check --rules no-such-rules
    expect_exit 1
    expect_stderr_contains "no-such-rules"
    expect_eval_refused 1 "no-such-rules" -- eval "$SAMPLE_DB" --rules no-such-rules
}

test_eval_with_broken_rules_leaves_existing_results_untouched() {
    # A results file the engine wrote itself, then a run with broken rules.
    local sum
    copy_rules tree
    run_kaohe eval "$SAMPLE_DB" --out results.db -q
    expect_exit 0 || return
    sum=$(file_sha results.db)
    echo 'indicator "Z01" {' >>tree/rules/stars.lua
    run_kaohe eval "$SAMPLE_DB" --rules tree --out results.db
    expect_exit 1
    expect_stderr_contains "stars.lua:"
    expect_same_bytes results.db "$sum"
    expect_sql results.db "SELECT count(*) FROM runs" "1"
    expect_dir_holds . results.db tree
}
