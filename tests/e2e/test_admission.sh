# The admission list end to end: check's pattern errors, match limits,
# invalid UTF-8 task text, `kaohe admit` and the department statistics.

# A profile on top of the shipped rules with one extra deny entry.
profile_with_entry() {
    local pattern=$1
    write_rule profile/profile.lua \
        'extends "default"' \
        "deny \"N99\" { pattern = [[$pattern]], reason = \"测试条目\" }"
}

test_check_reports_bad_pattern_with_entry_file_line_and_character_offset() {
    # the error is at the 5th character ("(" opened after 测试中文 never closes)
    profile_with_entry '测试中文(abc'
    run_kaohe check --rules "$PWD/profile"
    expect_exit 1
    expect_stderr_contains "N99" "profile.lua:2" "character"
    expect_stderr_matches 'at character [0-9]+'
}

test_eval_refuses_rules_with_a_bad_pattern_and_writes_nothing() {
    profile_with_entry '(unclosed'
    expect_eval_refused 1 "N99" -- eval "$SAMPLE_DB" --rules "$PWD/profile"
}

test_match_limit_sends_the_task_to_review_naming_the_entry() {
    # (a+)+$ against a long run of a's followed by ! backtracks without end.
    profile_with_entry '(a+)+$'
    snapshot_variant limit.db "INSERT INTO tasks VALUES('ZZ-T1','3710010101','民政局','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!',NULL,'2025-05-01',NULL,1,1)"
    run_kaohe_timeout 30 eval limit.db --rules "$PWD/profile" --set admission.match_limit=1000 --out results.db -q
    expect_exit 0
    expect_sql results.db "SELECT decision, rule_id, instr(reason, 'N99') > 0 FROM task_decisions WHERE task_id = 'ZZ-T1'" "review|N99|1"
    expect_sql results.db "SELECT count(*) FROM task_decisions WHERE decision = 'admit' AND rule_id = 'N99'" "0"
}

test_eval_rejects_task_title_that_is_not_utf8_naming_the_task() {
    snapshot_variant badutf.db "UPDATE tasks SET title = CAST(x'e8afb7ff' AS TEXT) WHERE id = (SELECT min(id) FROM tasks)"
    local id
    id=$(sql badutf.db "SELECT min(id) FROM tasks")
    expect_eval_refused 1 "table tasks" "$id" "title" "UTF-8" -- eval badutf.db
}

test_admit_title_reports_decision_and_entry() {
    run_kaohe admit --title "请协助安装某某APP"
    expect_exit 0
    expect_stdout_contains "reject" "N01" "rules/admission.lua"
    run_kaohe admit --title "低保户入户调查" --department 民政局 --funded --staffed
    expect_exit 0
    expect_stdout_contains "review" "X01" "准入审批"
    run_kaohe admit --title "低保户入户调查" --department 民政局 --funded --staffed --approval "民准〔2025〕1号"
    expect_exit 0
    expect_stdout_contains "admit" "X01"
    run_kaohe admit --title "低保户入户调查" --department 民政局 --staffed
    expect_exit 0
    expect_stdout_contains "reject" "费随事转"
}

test_admit_department_pattern_decides_x08() {
    run_kaohe admit --title "人口普查入户登记" --department 统计局 --funded --staffed --approval "统准1号" --json
    expect_exit 0
    expect_sql :memory: "SELECT json_extract('$(tr -d '\n' <"$LAST_STDOUT")', '\$.decision'), json_extract('$(tr -d '\n' <"$LAST_STDOUT")', '\$.rule_id')" "admit|X08"
    run_kaohe admit --title "人口普查入户登记" --department 民政局 --funded --staffed --approval "统准1号" --json
    expect_exit 0
    expect_sql :memory: "SELECT json_extract('$(tr -d '\n' <"$LAST_STDOUT")', '\$.decision'), json_extract('$(tr -d '\n' <"$LAST_STDOUT")', '\$.rule_id') IS NULL" "review|1"
}

test_admit_without_title_or_snapshot_is_a_usage_error() {
    run_kaohe admit
    expect_exit 2
}

test_admit_coverage_report_finds_dead_entries_and_overlaps() {
    profile_with_entry '永远不会出现的标题'
    run_kaohe admit "$SAMPLE_DB" --rules "$PWD/profile"
    expect_exit 0
    expect_stdout_contains "失效条目" "N99" "同时命中负面清单和准入清单" "转待审"
    run_kaohe admit "$SAMPLE_DB" --rules "$PWD/profile" --json
    expect_exit 0
    expect_sql :memory: "SELECT json_extract(CAST(readfile('$LAST_STDOUT') AS TEXT), '\$.dead_entries')" '["N99"]'
    expect_sql "$SAMPLE_DB" "SELECT count(*) FROM tasks" "$(sql :memory: "SELECT json_extract(CAST(readfile('$LAST_STDOUT') AS TEXT), '\$.tasks')")"
}

test_department_stats_add_up_to_the_task_decisions() {
    run_kaohe eval "$SAMPLE_DB" --out results.db -q
    expect_exit 0
    expect_sql results.db "SELECT (SELECT sum(tasks) FROM department_stats) = (SELECT count(*) FROM task_decisions), (SELECT sum(admitted) FROM department_stats) = (SELECT count(*) FROM task_decisions WHERE decision = 'admit'), (SELECT sum(review) FROM department_stats) = (SELECT count(*) FROM task_decisions WHERE decision = 'review')" "1|1|1"
}

test_b01_counts_the_non_admitted_tasks_of_the_year() {
    run_kaohe eval "$SAMPLE_DB" --out results.db -q
    expect_exit 0
    expect_sql results.db "ATTACH '$SAMPLE_DB' AS s; SELECT count(*) FROM indicator_scores i WHERE i.indicator_id = 'B01' AND i.value <> (SELECT count(*) FROM s.tasks t JOIN task_decisions d ON d.task_id = t.id AND d.run_id = i.run_id WHERE t.community_id = i.community_id AND d.decision <> 'admit' AND t.received_on BETWEEN '2025-01-01' AND '2025-12-31')" "0"
}
