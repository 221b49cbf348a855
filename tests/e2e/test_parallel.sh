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

test_bundled_queries_give_the_same_scores_as_each_indicators_own_query() {
    # eval computes A01-A05 and F02 (the workers bundle), B04, C04 and
    # E01-E04 (activities), the fact indicators... in shared bundle queries; a
    # what-if re-runs only an indicator whose SQL parameter changed, with its
    # own query. A05.hours and F02.floor are the SQL parameters of two members
    # of the workers bundle: the scenario run (own queries for A05 and F02,
    # bundle values for the rest) must equal a fresh eval (bundles only).
    local sets=(--set A05.hours=30 --set F02.floor=75)
    run_kaohe eval "$SAMPLE_DB" --out eval.db -q "${sets[@]}"
    expect_exit 0
    run_kaohe whatif "$SAMPLE_DB" --out whatif.db "${sets[@]}"
    expect_exit 0
    expect_sql whatif.db "SELECT count(*) FROM runs WHERE kind = 'whatif-scenario'" "1"
    expect_sql whatif.db "ATTACH 'eval.db' AS e; SELECT (SELECT count(*) FROM (SELECT community_id, indicator_id, value, points, status FROM indicator_scores WHERE run_id = 2 EXCEPT SELECT community_id, indicator_id, value, points, status FROM e.indicator_scores)) + (SELECT count(*) FROM (SELECT community_id, indicator_id, value, points, status FROM e.indicator_scores EXCEPT SELECT community_id, indicator_id, value, points, status FROM indicator_scores WHERE run_id = 2)), (SELECT count(*) FROM indicator_scores WHERE run_id = 2)" "0|1650"
}

test_check_verbose_lists_each_bundle_and_its_members() {
    run_kaohe check -v
    expect_exit 0
    expect_stdout_contains "-- bundle (what eval runs instead of these indicators' own queries): B04 C04 E01 E02 E03 E04"
    expect_stdout_contains "-- bundle (what eval runs instead of these indicators' own queries): A01 A02 A03 A04 A05 F02"
}

# results_dump FILE: what sqlite3 .dump prints of FILE, with the run's times
# and paths blanked (rows in rowid order: insertion order counts too).
results_dump() {
    cp "$1" "$1.dump.db" || die "cp $1"
    sqlite3 -batch "$1.dump.db" "UPDATE runs SET started_at = '', finished_at = '',
        snapshot_path = '', rules_root = ''" || die "blanking $1"
    sqlite3 -batch "$1.dump.db" .dump
    rm -f "$1.dump.db"
}

# A new results file is written while the run is computed: by a thread of its
# own with --jobs 2, by the main thread between the stages with --jobs 1. An
# existing (empty) file is written in one go after the run. All three hold
# the same rows in the same order.
test_new_results_file_is_the_same_whether_written_during_or_after_the_run() {
    run_kaohe eval "$SAMPLE_DB" --out during-2.db -q --jobs 2
    expect_exit 0
    run_kaohe eval "$SAMPLE_DB" --out during-1.db -q --jobs 1
    expect_exit 0
    : >after.db
    run_kaohe eval "$SAMPLE_DB" --out after.db -q --jobs 2
    expect_exit 0
    expect_eq "$(results_dump during-1.db | sha256sum)" "$(results_dump during-2.db | sha256sum)" \
        "the dump of --jobs 1 against --jobs 2"
    expect_eq "$(results_dump after.db | sha256sum)" "$(results_dump during-2.db | sha256sum)" \
        "the dump of a run written after it was computed against one written during"
    expect_dir_holds . during-1.db during-2.db after.db
}
