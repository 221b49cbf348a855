# rules/labels.lua: what the outputs call the engine's codes (scopes, flags,
# decisions, statuses) comes from the rules of the run, through
# run_labels for the report; a profile may relabel any code.

test_relabeled_scopes_flags_and_decisions_reach_every_output() {
    copy_rules tree
    edit_file tree/rules/labels.lua 's/street = "街道"/street = "片区"/'
    edit_file tree/rules/labels.lua 's/bottom_ratio = "末位淘汰"/bottom_ratio = "末位调整"/'
    edit_file tree/rules/labels.lua 's/admit = "准入"/admit = "同意下派"/'
    run_kaohe eval "$SAMPLE_DB" --rules "$PWD/tree" --out results.db
    expect_exit 0
    expect_stdout_contains "片区 " "末位调整" "同意下派"
    expect_sql results.db "SELECT text FROM run_labels WHERE kind = 'scope' AND code = 'street'" 片区
    run_kaohe report results.db --out report.html
    expect_exit 0
    grep -q '片区达标' report.html || fail "the report does not use the run's scope label"
    grep -q '末位调整' report.html || fail "the report does not use the run's flag label"
    run_kaohe whatif "$SAMPLE_DB" --rules "$PWD/tree" --set cert.milestones.2025=0.1
    expect_exit 0
    expect_stdout_contains "片区"
    run_kaohe admit --rules "$PWD/tree" --title "协助开展社区矫正工作" --funded --staffed --approval 民发〔2025〕1号
    expect_stdout_contains "同意下派"
}

test_a_code_without_a_label_is_shown_as_the_code() {
    copy_rules tree
    edit_file tree/rules/labels.lua 's/, street = "街道"//'
    run_kaohe eval "$SAMPLE_DB" --rules "$PWD/tree"
    expect_exit 0
    expect_stdout_contains "street "
}

test_a_label_that_is_not_text_is_refused_at_its_line() {
    copy_rules tree
    printf 'labels "scope" { street = 3 }\n' >>tree/rules/labels.lua
    run_kaohe check --rules "$PWD/tree"
    expect_exit 1
    expect_stderr_contains 'labels.lua:' 'labels "scope": write code = "label"'
}

test_a_profile_relabels_one_code_and_keeps_the_others() {
    mkdir profile
    printf 'extends "default"\nlabels "scope" { street = "片区" }\n' >profile/profile.lua
    run_kaohe eval "$SAMPLE_DB" --rules "$PWD/profile" --out results.db -q
    expect_exit 0
    expect_sql results.db "SELECT group_concat(text, ',') FROM (SELECT text FROM run_labels WHERE kind = 'scope' ORDER BY code)" "社区,区,全市,片区"
}
