# What a rule query needs of the engine is declared by the DSL (dsl.lua's
# `needs`), not found by C in the SQL: a query that reads the task decisions
# waits for them and runs on the connection that holds them, whatever kind of
# query it is and however many threads run.

# A target over the tasks that reads the admission decisions.
write_admitted_target() {
    write_rule tree/rules/zz_admitted.lua \
        '-- 准入事项占比：读取本次运行的准入结论 (temp.task_decision)' \
        'target "admitted_share" {' \
        '  name = "准入事项占比", from = "tasks",' \
        "  numerator = \"id IN (SELECT task_id FROM task_decision WHERE decision = 'admit')\"," \
        '  denominator = "1 = 1",' \
        '  required = 0.5, scopes = { "street", "community" },' \
        '  source = "design: a test of declared needs",' \
        '}'
}

test_target_reading_the_task_decisions_gives_one_result_on_any_number_of_threads() {
    local run
    copy_rules tree
    write_admitted_target
    run_kaohe eval "$SAMPLE_DB" --rules tree --out j1.db -q --jobs 1
    expect_exit 0 || return
    expect_sql j1.db "SELECT count(*) > 0 FROM target_checks WHERE target_id = 'admitted_share' AND actual IS NOT NULL" "1"
    # Which thread takes the target varies from run to run: try a few.
    for run in 1 2 3; do
        run_kaohe eval "$SAMPLE_DB" --rules tree --out "j4.$run.db" -q --jobs 4
        expect_exit 0 || return
        expect_sql j1.db "ATTACH 'j4.$run.db' AS f; SELECT (SELECT count(*) FROM (SELECT * FROM target_checks EXCEPT SELECT * FROM f.target_checks)) + (SELECT count(*) FROM (SELECT * FROM f.target_checks EXCEPT SELECT * FROM target_checks))" "0"
    done
}
