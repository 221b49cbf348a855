# eval: determinism, the results contract, --set, how RESULTS is written, and
# usage errors.

# The contract tables with a run_id column (results.sql).
RUN_TABLES=(indicator_scores community_scores target_checks worker_appraisals task_decisions)

# eval_into RESULTS [ARGS...]: a successful eval of the sample into RESULTS.
eval_into() {
    local out=$1
    shift
    run_kaohe eval "$SAMPLE_DB" --out "$out" -q "$@"
    expect_exit 0 || die "eval of the sample failed"
}

# columns_except_run_id DB TABLE: "a, b, c" (the table's columns but run_id).
columns_except_run_id() {
    sql "$1" "SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info('$2') WHERE name != 'run_id' ORDER BY cid)"
}

# param_value JSON NAME: a parameter's value in the output of
# `kaohe params --json` saved in JSON.
param_value() {
    sql :memory: "SELECT json_extract(value, '\$.value') FROM json_each(CAST(readfile('$1') AS TEXT)) WHERE json_extract(value, '\$.name') = '$2'"
}

test_eval_twice_gives_identical_rows_apart_from_run_id() {
    local table columns
    eval_into results.db
    eval_into results.db
    expect_sql results.db "SELECT group_concat(run_id) FROM (SELECT run_id FROM runs ORDER BY run_id)" "1,2"
    for table in "${RUN_TABLES[@]}"; do
        columns=$(columns_except_run_id results.db "$table")
        expect_sql results.db "SELECT (SELECT count(*) FROM $table WHERE run_id = 1) = (SELECT count(*) FROM $table WHERE run_id = 2)" "1"
        expect_sql results.db "SELECT count(*) FROM (SELECT $columns FROM $table WHERE run_id = 1 EXCEPT SELECT $columns FROM $table WHERE run_id = 2)" "0"
        expect_sql results.db "SELECT count(*) FROM (SELECT $columns FROM $table WHERE run_id = 2 EXCEPT SELECT $columns FROM $table WHERE run_id = 1)" "0"
    done
    expect_sql results.db "SELECT count(*) FROM indicator_scores WHERE run_id = 1" "$((33 * 50))"
    expect_sql results.db "SELECT count(DISTINCT snapshot_sha256) || ' ' || count(DISTINCT rules_sha256) || ' ' || count(DISTINCT params) FROM runs" "1 1 1"
}

test_eval_report_is_byte_identical_across_runs() {
    local format
    for format in table csv json; do
        run_kaohe eval "$SAMPLE_DB" --format "$format"
        expect_exit 0 || continue
        cp "$LAST_STDOUT" "$TEST_META/first.$format"
        run_kaohe eval "$SAMPLE_DB" --format "$format"
        expect_exit 0 || continue
        [ -s "$LAST_STDOUT" ] || fail "--format $format printed nothing"
        cmp -s "$TEST_META/first.$format" "$LAST_STDOUT" ||
            fail "--format $format output differs between two runs: $(diff "$TEST_META/first.$format" "$LAST_STDOUT" | head -n 4)"
    done
}

test_eval_json_output_is_valid_json() {
    run_kaohe eval "$SAMPLE_DB" --format json
    expect_exit 0
    expect_sql :memory: "SELECT json_valid(CAST(readfile('$LAST_STDOUT') AS TEXT))" "1"
}

test_eval_csv_output_starts_with_utf8_bom() {
    run_kaohe eval "$SAMPLE_DB" --format csv
    expect_exit 0
    expect_eq "$(head -c 3 "$LAST_STDOUT" | od -An -tx1 | tr -d ' \n')" "efbbbf" "first bytes of the csv"
    expect_stdout_contains "3710010101"
}

test_runs_params_is_a_json_object_of_every_parameter() {
    local count
    run_kaohe params --json
    expect_exit 0 || return
    count=$(sql :memory: "SELECT json_array_length(CAST(readfile('$LAST_STDOUT') AS TEXT))")
    eval_into results.db
    expect_sql results.db "SELECT json_valid(params), json_type(params) FROM runs" "1|object"
    expect_sql results.db "SELECT json_type(params, '\$.\"F01.max\"') IN ('integer', 'real') FROM runs" "1"
    expect_sql results.db "SELECT count(*) FROM runs, json_each(runs.params)" "$count"
}

test_runs_records_sha256_of_snapshot_and_rules() {
    eval_into results.db
    expect_sql results.db "SELECT snapshot_sha256 FROM runs" "$(file_sha "$SAMPLE_DB")"
    expect_sql results.db "SELECT length(rules_sha256) = 64 AND rules_sha256 NOT GLOB '*[^0-9a-f]*' FROM runs" "1"
    expect_sql results.db "SELECT as_of, engine_version != '', started_at <= finished_at FROM runs" "2025-12-31|1|1"
}

test_rules_sha256_changes_when_a_rule_file_changes() {
    copy_rules tree
    eval_into results.db --rules tree
    echo '-- a comment changes the bytes' >>tree/rules/stars.lua
    eval_into results.db --rules tree
    expect_sql results.db "SELECT count(DISTINCT rules_sha256) FROM runs" "2"
}

test_every_community_has_one_score_per_indicator() {
    local communities
    communities=$(sql "$SAMPLE_DB" "SELECT count(*) FROM communities")
    eval_into results.db
    expect_sql results.db "SELECT count(*) FROM (SELECT community_id FROM indicator_scores GROUP BY community_id HAVING count(*) != 33 OR count(DISTINCT indicator_id) != 33)" "0"
    expect_sql results.db "SELECT count(DISTINCT community_id) FROM indicator_scores" "$communities"
    expect_sql results.db "SELECT count(*) FROM community_scores" "$communities"
    expect_sql results.db "SELECT count(DISTINCT indicator_id) FROM indicator_scores" "33"
}

test_scores_are_within_bounds_and_totals_add_up() {
    eval_into results.db
    expect_sql results.db "SELECT count(*) FROM indicator_scores WHERE points < 0 OR points > max_points + 1e-9 OR status NOT IN ('ok', 'missing', 'invalid') OR (status != 'ok' AND points != 0)" "0"
    expect_sql results.db "SELECT count(*) FROM community_scores c WHERE abs(c.total - (SELECT sum(points) FROM indicator_scores i WHERE i.run_id = c.run_id AND i.community_id = c.community_id)) > 1e-6 OR c.total < 0 OR c.total > 100 + 1e-9" "0"
    expect_sql results.db "SELECT count(*) FROM (SELECT community_id FROM indicator_scores GROUP BY community_id HAVING abs(sum(max_points) - 100) > 1e-9)" "0"
}

# The rank of every community is 1 + the number with a strictly greater
# total (beyond 1e-9): ties share the better rank.
expect_ranks_share_the_better_rank() {
    expect_sql "$1" "SELECT count(*) FROM community_scores a WHERE a.rank != 1 + (SELECT count(*) FROM community_scores b WHERE b.run_id = a.run_id AND b.total > a.total + 1e-9)" "0"
}

test_ranks_follow_totals() {
    eval_into results.db
    expect_ranks_share_the_better_rank results.db
    expect_sql results.db "SELECT min(rank) FROM community_scores" "1"
}

test_tied_communities_share_the_better_rank() {
    # A second community with the same data as 3710010101 ties with it.
    local table from=3710010101 to=3710010199 sql_text=""
    for table in workers organizations activities postings survey_responses requests tasks; do
        sql_text+="CREATE TEMP TABLE copy AS SELECT * FROM $table WHERE community_id = '$from';
                   UPDATE copy SET id = id || '-dup', community_id = '$to';
                   INSERT INTO $table SELECT * FROM copy; DROP TABLE copy;"
    done
    snapshot_variant tie.db "
        CREATE TEMP TABLE copy AS SELECT * FROM communities WHERE id = '$from';
        UPDATE copy SET id = '$to', name = name || '二';
        INSERT INTO communities SELECT * FROM copy; DROP TABLE copy;
        $sql_text
        CREATE TEMP TABLE copy AS SELECT * FROM visits WHERE worker_id IN (SELECT id FROM workers WHERE community_id = '$from');
        UPDATE copy SET worker_id = worker_id || '-dup';
        INSERT INTO visits SELECT * FROM copy; DROP TABLE copy;
        CREATE TEMP TABLE copy AS SELECT * FROM facts WHERE community_id = '$from';
        UPDATE copy SET community_id = '$to';
        INSERT INTO facts SELECT * FROM copy; DROP TABLE copy;"
    run_kaohe eval tie.db --out results.db -q
    expect_exit 0 || return
    expect_sql results.db "SELECT abs(a.total - b.total) <= 1e-9 FROM community_scores a, community_scores b WHERE a.community_id = '$from' AND b.community_id = '$to'" "1" ||
        die "the copied community does not score the same (the tie was not built)"
    expect_sql results.db "SELECT a.rank = b.rank FROM community_scores a, community_scores b WHERE a.community_id = '$from' AND b.community_id = '$to'" "1"
    expect_sql results.db "SELECT count(*) FROM community_scores WHERE rank = (SELECT rank FROM community_scores WHERE community_id = '$from')" "2"
    expect_sql results.db "SELECT count(*) FROM community_scores WHERE rank = 1 + (SELECT rank FROM community_scores WHERE community_id = '$from')" "0"
    expect_ranks_share_the_better_rank results.db
}

test_stars_follow_totals_and_satisfaction() {
    eval_into results.db
    # Thresholds from the run's own parameters; x >= t means x > t - 1e-9.
    expect_sql results.db "
        SELECT count(*) FROM community_scores c
        JOIN runs r ON r.run_id = c.run_id
        JOIN indicator_scores f ON f.run_id = c.run_id AND f.community_id = c.community_id AND f.indicator_id = 'F01'
        WHERE c.stars != CASE
            WHEN c.total > json_extract(r.params, '\$.\"stars.five\"') - 1e-9
             AND f.value > json_extract(r.params, '\$.\"stars.five_f01\"') - 1e-9 THEN 5
            WHEN c.total > json_extract(r.params, '\$.\"stars.four\"') - 1e-9 THEN 4
            WHEN c.total > json_extract(r.params, '\$.\"stars.three\"') - 1e-9 THEN 3
            WHEN c.total > json_extract(r.params, '\$.\"stars.two\"') - 1e-9 THEN 2
            ELSE 0 END" "0"
    expect_sql results.db "SELECT count(*) FROM community_scores WHERE (stars = 5 AND total < 90 - 1e-9) OR (stars = 4 AND total < 80 - 1e-9) OR (stars = 3 AND total < 70 - 1e-9) OR (stars = 2 AND total < 60 - 1e-9) OR stars NOT IN (0, 2, 3, 4, 5)" "0"
}

test_set_overrides_are_applied_and_stored_in_params() {
    local f01 a01
    run_kaohe params --json
    expect_exit 0 || return
    f01=$(param_value "$LAST_STDOUT" F01.max)
    a01=$(param_value "$LAST_STDOUT" A01.max)
    [ "$(sql :memory: "SELECT $f01 + $a01 = 13")" = 1 ] ||
        die "the test assumes F01.max + A01.max = 13 (they are $f01 and $a01)"
    eval_into results.db --set F01.max=12 --set A01.max=1
    expect_sql results.db "SELECT json_extract(params, '\$.\"F01.max\"') = 12, json_extract(params, '\$.\"A01.max\"') = 1 FROM runs" "1|1"
    expect_sql results.db "SELECT count(*) FROM indicator_scores WHERE (indicator_id = 'F01' AND max_points != 12) OR (indicator_id = 'A01' AND max_points != 1)" "0"
    expect_sql results.db "SELECT count(*) FROM (SELECT community_id FROM indicator_scores GROUP BY community_id HAVING abs(sum(max_points) - 100) > 1e-9)" "0"
}

test_set_that_breaks_the_point_total_is_refused() {
    local f01
    run_kaohe params --json
    expect_exit 0 || return
    f01=$(param_value "$LAST_STDOUT" F01.max)
    # The points then sum to 100 - F01.max + 13 (103 with F01.max = 10).
    expect_eval_refused 1 "$(printf '%g' "$(sql :memory: "SELECT 100 - $f01 + 13")")" "100" \
        -- eval "$SAMPLE_DB" --set F01.max=13
}

test_set_unknown_parameter_is_refused() {
    expect_eval_refused 1 "nosuch.param" -- eval "$SAMPLE_DB" --set nosuch.param=1
}

test_set_misspelled_parameter_suggests_the_right_one() {
    expect_eval_refused 1 "F01.mx" "did you mean 'F01.max'" -- eval "$SAMPLE_DB" --set F01.mx=3
}

test_set_non_numeric_value_is_refused() {
    expect_eval_refused 1 "F01.max" "abc" -- eval "$SAMPLE_DB" --set F01.max=abc
}

test_set_value_out_of_range_is_refused() {
    expect_eval_refused 1 "stars.five" -- eval "$SAMPLE_DB" --set stars.five=101
}

test_set_without_a_value_is_a_usage_error() {
    expect_eval_refused 2 "F01.max" -- eval "$SAMPLE_DB" --set F01.max
}

test_eval_creates_results_without_leaving_temporary_files() {
    mkdir out
    eval_into out/results.db
    expect_dir_holds out results.db
    eval_into out/results.db
    expect_dir_holds out results.db
    expect_sql out/results.db "SELECT count(*) FROM runs" "2"
    expect_sql out/results.db "PRAGMA integrity_check" "ok"
}

test_eval_refuses_existing_results_file_that_is_not_sqlite() {
    local sum
    printf '社区,总分\n新华社区,90\n' >notes.db
    sum=$(file_sha notes.db)
    run_kaohe eval "$SAMPLE_DB" --out notes.db
    expect_exit 1
    expect_stderr_contains "notes.db"
    expect_same_bytes notes.db "$sum"
    expect_dir_holds . notes.db
}

test_eval_refuses_to_write_results_into_a_snapshot() {
    local sum
    cp "$SAMPLE_DB" other.db
    sum=$(file_sha other.db)
    run_kaohe eval "$SAMPLE_DB" --out other.db
    expect_exit 1
    expect_stderr_contains "other.db"
    expect_same_bytes other.db "$sum"
    expect_dir_holds . other.db
}

# Makes $TEST_TMP reachable for the unprivileged user of run_kaohe_as_nobody.
open_test_dir_to_nobody() {
    if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
        skip "running as root without setpriv: cannot make a directory read-only"
    fi
    chmod 755 "$TEST_TMP/.." "$TEST_TMP" || die "chmod"
}

test_eval_into_read_only_directory_fails_cleanly() {
    open_test_dir_to_nobody
    mkdir locked
    chmod 555 locked
    run_kaohe_as_nobody eval "$SAMPLE_DB" --out locked/results.db -q
    if [ "$LAST_EXIT" = 0 ]; then
        fail "eval into a read-only directory succeeded"
        show_last_run
    fi
    expect_stderr_contains "locked/results.db"
    expect_dir_holds locked
}

test_eval_appending_in_read_only_directory_leaves_results_untouched() {
    local sum
    open_test_dir_to_nobody
    mkdir locked
    cp "$E2E_RESULTS_FIXTURE" locked/results.db
    chmod 666 locked/results.db
    chmod 555 locked
    sum=$(file_sha locked/results.db)
    run_kaohe_as_nobody eval "$SAMPLE_DB" --out locked/results.db -q
    if [ "$LAST_EXIT" = 0 ]; then
        fail "eval appending in a read-only directory succeeded"
        show_last_run
    fi
    expect_stderr_contains "locked/results.db"
    expect_same_bytes locked/results.db "$sum"
    expect_dir_holds locked results.db
}

test_usage_without_command_exits_2() {
    run_kaohe
    expect_exit 2
    expect_stderr_contains "usage"
}

test_usage_unknown_command_exits_2() {
    run_kaohe frobnicate "$SAMPLE_DB"
    expect_exit 2
    expect_stderr_contains "frobnicate"
}

test_usage_unknown_option_exits_2() {
    expect_eval_refused 2 "--frobnicate" -- eval "$SAMPLE_DB" --frobnicate
}

test_usage_eval_without_snapshot_exits_2() {
    run_kaohe eval --out results.db
    expect_exit 2
    expect_stderr_contains "eval"
    expect_file_absent results.db
}

test_usage_unknown_format_exits_2() {
    expect_eval_refused 2 "xml" -- eval "$SAMPLE_DB" --format xml
}

test_usage_option_without_value_exits_2() {
    run_kaohe eval "$SAMPLE_DB" --out
    expect_exit 2
    expect_stderr_contains "--out"
}

test_help_lists_the_commands() {
    run_kaohe --help
    expect_exit 0
    expect_stdout_contains "check" "eval" "params"
}

test_a_percentage_is_accepted_where_a_ratio_is_expected() {
    run_kaohe eval "$SAMPLE_DB" --set elimination.bottom_ratio=5% --format json
    expect_exit 0
    cp "$LAST_STDOUT" percent.json
    run_kaohe eval "$SAMPLE_DB" --set elimination.bottom_ratio=0.05 --format json
    cmp -s "$LAST_STDOUT" percent.json || fail "5% and 0.05 give different results"
    run_kaohe eval "$SAMPLE_DB" --set stars.five=88%
    expect_exit 1
    expect_stderr_contains "--set stars.five=88%: a percentage is for a ratio (0..1)"
}

test_eval_names_the_indicators_that_lack_data() {
    run_kaohe eval "$SAMPLE_DB"
    expect_exit 0
    expect_stdout_contains "数据状况：6 项指标缺少数据" "  缺少数据：F01 居民满意率 2 个社区、C01 "
}
