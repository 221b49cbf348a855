# The hand-made snapshot fixtures/small.sql: every expected number below is
# computed by hand in fixtures/gen_small.py's header, not copied from a run.

SMALL_DB=$REPO_ROOT/fixtures/small.db

small_eval() {
    run_kaohe eval "$SMALL_DB" --out results.db -q
    expect_exit 0 || die "eval of the small fixture failed: $(cat "$LAST_STDERR")"
}

# round(x, 6) keeps the comparisons exact in text.
test_small_totals_stars_and_ranks_are_the_hand_computed_ones() {
    small_eval
    expect_sql results.db "SELECT community_id, printf('%.6f', total), stars, rank FROM community_scores ORDER BY community_id" \
"S1|100.000000|5|1
S2|4.000000|0|3
S3|92.957143|5|2"
}

test_small_perfect_community_scores_every_indicator_in_full() {
    small_eval
    expect_sql results.db "SELECT count(*), sum(abs(points - max_points) < 1e-9), sum(status = 'ok') FROM indicator_scores WHERE community_id = 'S1'" "33|33|33"
}

test_small_control_community_loses_exactly_five_indicators() {
    small_eval
    expect_sql results.db "SELECT indicator_id, printf('%.6f', value), printf('%.9f', points) FROM indicator_scores WHERE community_id = 'S3' AND points < max_points - 1e-9 ORDER BY indicator_id" \
"A01|12.000000|0.857142857
B01|1.000000|3.600000000
B06|4.000000|1.000000000
D03|0.750000|1.000000000
F01|0.900000|7.500000000"
}

test_small_empty_community_is_missing_except_zero_row_counts() {
    small_eval
    expect_sql results.db "SELECT group_concat(indicator_id || ':' || status || ':' || coalesce(value, 'NULL') || ':' || points, ' ') FROM (SELECT * FROM indicator_scores WHERE community_id = 'S2' AND status = 'ok' ORDER BY indicator_id)" \
"A06:ok:0.0:0.0 B01:ok:0.0:4.0 B04:ok:0.0:0.0 C04:ok:0.0:0.0 E01:ok:0.0:0.0 E02:ok:0.0:0.0 E03:ok:0.0:0.0"
    expect_sql results.db "SELECT count(*) FROM indicator_scores WHERE community_id = 'S2' AND status = 'missing' AND value IS NULL AND points = 0" "26"
}

test_small_appraisal_flags_the_hand_computed_worker() {
    small_eval
    expect_sql results.db "SELECT worker_id, printf('%.6f', score), rank, coalesce(flag, '-') FROM worker_appraisals WHERE worker_id IN ('S3-W01', 'S1-W01', 'S3-W12') ORDER BY worker_id" \
"S1-W01|82.000000|2|-
S3-W01|52.000000|1|below_floor
S3-W12|82.000000|29|-"
    expect_sql results.db "SELECT count(*), sum(flag IS NOT NULL) FROM worker_appraisals" "29|1"
}

test_small_task_decisions_and_targets() {
    small_eval
    expect_sql results.db "SELECT task_id, decision, coalesce(rule_id, '-') FROM task_decisions ORDER BY task_id" \
"S1-T1|admit|L01
S2-T1|reject|N07
S3-T1|admit|L02
S3-T2|reject|N01"
    expect_sql results.db "SELECT target_id, scope, printf('%.6f', actual), met FROM target_checks WHERE scope = 'street' ORDER BY target_id" \
"cert_ratio|street|1.000000|1
elimination_rate|street|0.000000|0
new_certified|street|0.000000|0
under45_certified|street|1.000000|1"
    expect_sql results.db "SELECT department, tasks, admitted, rejected, review FROM department_stats ORDER BY department" \
"城管局|1|0|1|0
工信局|1|0|1|0
民政局|2|2|0|0"
}
