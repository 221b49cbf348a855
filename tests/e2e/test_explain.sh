# Explaining scores, near-threshold lists, rule tests for staff, lint
# warnings and reproducing a run — on the hand-made fixture (numbers in
# fixtures/gen_small.py's header).

SMALL_DB=$REPO_ROOT/fixtures/small.db

test_explain_community_shows_inputs_value_scoring_source_and_gap() {
    run_kaohe explain "$SMALL_DB" --community S3 --indicator A01
    expect_exit 0
    # 12 active workers for 10,000 residents: (12−10)/(17−10)×3 = 0.857
    expect_stdout_contains "A01 每万人社区工作者数" "0.86 / 3" "workers = 12" "population = 10000" \
        "COUNT(workers" "lin(10 → 17)" "A01.from = 10" "威海" "再增加 5" "可得满分"
}

test_explain_names_the_check_behind_a_missing_indicator() {
    run_kaohe explain "$SMALL_DB" --community S2 --indicator F01
    expect_exit 0
    expect_stdout_contains "缺失" "responses = 0 < 30"
}

test_explain_all_indicators_as_json() {
    run_kaohe explain "$SMALL_DB" --community S3 --json
    expect_exit 0
    expect_sql :memory: "SELECT json_array_length(readfile('$LAST_STDOUT'), '\$.indicators'), json_extract(readfile('$LAST_STDOUT'), '\$.rank'), printf('%.6f', json_extract(readfile('$LAST_STDOUT'), '\$.total'))" "33|2|92.957143"
    expect_sql :memory: "SELECT json_extract(value, '\$.inputs.plates.value'), json_extract(value, '\$.points') FROM json_each(readfile('$LAST_STDOUT'), '\$.indicators') WHERE json_extract(value, '\$.id') = 'B06'" "4.0|1.0"
}

test_explain_worker_gives_components_rank_and_why_flagged() {
    run_kaohe explain "$SMALL_DB" --worker S3-W01
    expect_exit 0
    expect_stdout_contains "score_civil 30.00 × 0.3 = 9.00" "考核得分：52.00" "第 1 名，共 29 人" "below_floor" "低于底线 60"
    run_kaohe explain "$SMALL_DB" --worker S1-W01 --json
    expect_exit 0
    expect_sql :memory: "SELECT json_extract(readfile('$LAST_STDOUT'), '\$.rank'), json_extract(readfile('$LAST_STDOUT'), '\$.group_size'), json_extract(readfile('$LAST_STDOUT'), '\$.bottom_count'), json_type(readfile('$LAST_STDOUT'), '\$.flag')" "2|29|1|null"
}

test_explain_task_gives_entry_and_what_failed() {
    run_kaohe explain "$SMALL_DB" --task S3-T2
    expect_exit 0
    expect_stdout_contains "S3-T2" "reject" "N01" "严禁摊派安装政务APP" "rules/admission.lua"
}

test_explain_unknown_ids_are_refused() {
    run_kaohe explain "$SMALL_DB" --community NOPE
    expect_exit 1
    expect_stderr_contains "no community 'NOPE'"
    run_kaohe explain "$SMALL_DB" --community S1 --indicator A011
    expect_exit 1
    expect_stderr_contains "no indicator 'A011'" "did you mean 'A01'"
    run_kaohe explain "$SMALL_DB" --worker NOPE
    expect_exit 1
    run_kaohe explain "$SMALL_DB"
    expect_exit 2
}

test_eval_near_lists_communities_near_a_star_threshold() {
    # S3 at 92.957: within 3 points of the five-star line (90), not within 2.
    run_kaohe eval "$SMALL_DB" --near 3
    expect_exit 0
    expect_stdout_contains "临界名单" "S3 对照社区" "五星线 90"
    run_kaohe eval "$SMALL_DB" --near 2 --format json
    expect_exit 0
    expect_sql :memory: "SELECT count(*) FROM json_each(readfile('$LAST_STDOUT'), '\$.near_threshold') WHERE json_extract(value, '\$.kind') = 'stars'" "0"
}

test_eval_near_lists_streets_near_a_target() {
    # new_certified: 0 of 8 — within 8 people, not within 7.
    run_kaohe eval "$SMALL_DB" --near 8 --format json
    expect_sql :memory: "SELECT json_extract(value, '\$.scope_id') FROM json_each(readfile('$LAST_STDOUT'), '\$.near_threshold') WHERE json_extract(value, '\$.kind') = 'new_certified'" "样例区/样例街道"
}

test_failing_staff_test_prints_expected_actual_and_the_line() {
    mkdir -p staff
    write_rule staff/mine_test.lua \
        '-- a staff test that is wrong on purpose' \
        'case "十家组织" {' \
        '  organizations = { { count = 10 } },' \
        '  expect "A06" { value = 10, points = 2 },' \
        '}'
    run_kaohe test "$PWD/staff"
    expect_exit 1
    expect_stdout_contains "FAIL" "mine_test.lua:2: 十家组织" "mine_test.lua:4: A06 points: expected 2, got 3" "ruletests: 0 passed, 1 failed"
}

test_check_warns_about_unused_parameters_and_missing_sources() {
    copy_rules tree
    write_rule tree/rules/zz_extra.lua \
        'param "unused.threshold" { default = 5, min = 0, max = 10 }'
    run_kaohe check --rules tree
    expect_exit 0
    expect_stderr_contains "warning:" "zz_extra.lua:1" "unused.threshold" "no source" "no rule uses it"
}

test_check_warns_when_scoring_never_reaches_full_points_on_the_data() {
    copy_rules tree
    edit_file tree/indicators/a_team.lua 's/score = lin(5, 10),/score = lin(5, 100),/'
    run_kaohe check --rules tree "$SAMPLE_DB"
    expect_exit 0
    expect_stderr_contains "indicator A06 never reaches full points"
}

test_check_warns_about_an_entry_that_is_never_reached() {
    write_rule profile/profile.lua 'extends "default"' \
        'allow "X99" { kind = "duty", pattern = [[(居民会议|居民代表会议)]], reason = "重复" }'
    run_kaohe check --rules "$PWD/profile" "$SAMPLE_DB"
    expect_exit 0
    expect_stderr_contains "X99" "same pattern as L01" "never reached"
}

test_verify_confirms_an_unchanged_run() {
    run_kaohe eval "$SMALL_DB" --out results.db -q --set stars.five=93
    expect_exit 0
    run_kaohe verify results.db
    expect_exit 0
    expect_stdout_contains "一致"
}

test_verify_says_exactly_which_rows_differ() {
    run_kaohe eval "$SMALL_DB" --out results.db -q
    sqlite3 results.db "UPDATE community_scores SET total = total + 1 WHERE community_id = 'S3'"
    run_kaohe verify results.db --run 1
    expect_exit 1
    expect_stdout_contains "community_scores" "community_id=S3" "结果不同：2 行"
}

test_verify_reports_a_different_snapshot() {
    cp "$SMALL_DB" copy.db
    run_kaohe eval copy.db --out results.db -q
    sqlite3 copy.db "UPDATE facts SET value = 5 WHERE community_id = 'S3' AND key = 'plates'"
    run_kaohe verify results.db
    expect_exit 1
    expect_stdout_contains "不同的快照"
}

test_verify_reports_different_rules() {
    copy_rules tree
    run_kaohe eval "$SMALL_DB" --rules tree --out results.db -q
    edit_file tree/indicators/a_team.lua 's/score = lin(5, 10),/score = lin(5, 12),/'
    run_kaohe verify results.db
    expect_exit 1
    expect_stdout_contains "不同的规则"
}

test_explain_worker_reads_the_weights_the_rules_declare() {
    # Weights under other names: explain finds them through the appraisal's
    # weights = {...}, not by guessing a parameter name.
    copy_rules tree
    sed -i 's/appraisal\.weight\.civil/weight.of_civil/g' tree/rules/appraisal.lua
    run_kaohe explain "$SAMPLE_DB" --rules "$PWD/tree" --worker 3710010101-W01
    expect_exit 0
    expect_stdout_contains "score_civil 87.70 × 0.3 = 26.31"
}

test_appraisal_weights_must_name_a_component_and_a_parameter() {
    copy_rules tree
    edit_file tree/rules/appraisal.lua 's/weights = { score_civil/weights = { score_civl/'
    run_kaohe check --rules "$PWD/tree"
    expect_exit 1
    expect_stderr_contains "appraisal: weights: 'score_civl' is not a component"
}

test_explain_takes_a_communitys_name() {
    run_kaohe explain "$SAMPLE_DB" --community 新华社区
    expect_exit 0
    expect_stdout_contains "3710010101 新华社区"
}

test_explain_lists_the_communities_a_shared_name_could_mean() {
    cp "$SAMPLE_DB" twins.db
    sqlite3 twins.db "UPDATE communities SET name = '新华社区' WHERE id = '3710010102'"
    run_kaohe explain twins.db --community 新华社区
    expect_exit 1
    expect_stderr_contains "2 communities are named '新华社区'" "3710010101（" "3710010102（" "give the id"
}
