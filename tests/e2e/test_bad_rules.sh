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

# --- unknown words: refused where the user wrote them, naming the accepted ones
# (the compiled rules are checked again in C: tests/unit/test_rules_contract.c)

test_unknown_comparison_in_a_condition_is_refused() {
    local line
    copy_rules tree
    line=$(indicator_line tree/indicators/a_team.lua A01)
    edit_file tree/indicators/a_team.lua '/^indicator "A01"/,/^}/ s/"workers = 0"/"workers =< 0"/'
    check_refused "a_team.lua:$line:" "A01" "cannot read condition 'workers =< 0'"
    expect_eval_refused 1 "a_team.lua:$line:" "workers =< 0" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_comparison_in_a_star_grade_is_refused() {
    local line
    copy_rules tree
    line=$(line_of tree/rules/stars.lua '^stars')
    edit_file tree/rules/stars.lua 's/"F01 >= {stars.five_f01}"/"F01 => {stars.five_f01}"/'
    check_refused "stars.lua:$line:" "cannot read 'F01 => {stars.five_f01}'"
    expect_eval_refused 1 "stars.lua:$line:" "F01 =>" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_parameter_type_is_refused() {
    local line
    copy_rules tree
    line=$(line_of tree/rules/stars.lua '^param "stars.five" ')
    edit_file tree/rules/stars.lua 's/^param "stars.five"  { default = 90,/&  type = "float",/'
    check_refused "stars.lua:$line:" "param \"stars.five\": unknown type 'float'" \
        "number, integer, schedule, string, date"
    expect_eval_refused 1 "stars.lua:$line:" "'float'" -- eval "$SAMPLE_DB" --rules tree
}

test_score_other_than_lin_or_ratio_is_refused() {
    local line
    copy_rules tree
    line=$(indicator_line tree/indicators/b_governance.lua B01)
    # A text where a scoring function belongs.
    edit_file tree/indicators/b_governance.lua '/^indicator "B01"/,/^}/ s/score = lin(10, 0)/score = "log"/'
    check_refused "b_governance.lua:$line:" "B01" "score = lin(from, to) or ratio(target)"
    expect_eval_refused 1 "b_governance.lua:$line:" "B01" -- eval "$SAMPLE_DB" --rules tree
}

test_scoring_function_the_dsl_does_not_have_is_refused() {
    local line
    copy_rules tree
    line=$(line_of tree/indicators/b_governance.lua 'score = lin\(10, 0\)')
    edit_file tree/indicators/b_governance.lua 's/score = lin(10, 0)/score = log(10, 0)/'
    check_refused "b_governance.lua:$line:" "log"
    expect_eval_refused 1 "b_governance.lua:$line:" "log" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_target_measure_and_empty_are_refused_by_name() {
    local line
    copy_rules tree
    line=$(line_of tree/rules/certificates.lua '^target "under45_certified"')
    edit_file tree/rules/certificates.lua '/^target "under45_certified"/,/^}/ s/empty = "skip"/empty = "zero", measure = "share"/'
    check_refused "certificates.lua:$line:" "unknown measure 'share'" "unknown empty 'zero'"
    expect_eval_refused 1 "certificates.lua:$line:" "'share'" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_target_scope_is_refused() {
    local line
    copy_rules tree
    line=$(line_of tree/rules/certificates.lua '^target "cert_ratio"')
    edit_file tree/rules/certificates.lua '/^target "cert_ratio"/,/^}/ s/"street", "community" }/"street", "city" }/'
    check_refused "certificates.lua:$line:" "unknown scope 'city'"
    expect_eval_refused 1 "certificates.lua:$line:" "'city'" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_appraisal_group_is_refused_by_name() {
    local line
    copy_rules tree
    line=$(line_of tree/rules/appraisal.lua '^appraisal')
    edit_file tree/rules/appraisal.lua 's/group = "street",/group = "city",/'
    check_refused "appraisal.lua:$line:" "unknown group 'city'" "region, district, street or community"
    expect_eval_refused 1 "appraisal.lua:$line:" "'city'" -- eval "$SAMPLE_DB" --rules tree
}

test_unknown_admission_kind_is_refused_by_name() {
    local line
    copy_rules tree
    line=$(line_of tree/rules/admission.lua '^allow "L01"')
    edit_file tree/rules/admission.lua '/^allow "L01"/,/^}/ s/kind = "duty"/kind = "dutty"/'
    check_refused "admission.lua:$line:" "unknown kind 'dutty'" '"duty"' '"assist"'
    expect_eval_refused 1 "admission.lua:$line:" "'dutty'" -- eval "$SAMPLE_DB" --rules tree
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
