# --jobs: the snapshot's queries run on several threads, each with its own
# connection; the results must not depend on how many.

test_parallel_and_sequential_runs_give_identical_results() {
    local t
    run_kaohe eval "$SAMPLE_DB" --out one.db -q --jobs 1
    expect_exit 0
    run_kaohe eval "$SAMPLE_DB" --out four.db -q --jobs 4
    expect_exit 0
    for t in indicator_scores community_scores category_scores target_checks worker_appraisals task_decisions department_stats; do
        expect_sql one.db "ATTACH 'four.db' AS f; SELECT (SELECT count(*) FROM (SELECT * FROM $t EXCEPT SELECT * FROM f.$t)) + (SELECT count(*) FROM (SELECT * FROM f.$t EXCEPT SELECT * FROM $t))" "0"
    done
}

test_jobs_out_of_range_is_a_usage_error() {
    run_kaohe eval "$SAMPLE_DB" --jobs 0
    expect_exit 2
    run_kaohe eval "$SAMPLE_DB" --jobs many
    expect_exit 2
}
