# What-if simulation end to end (issue: parameters, scenarios, diffs, sweeps),
# on the hand-made fixture whose numbers fixtures/gen_small.py explains:
# S1 total 100, S3 total 92.957142857 (five stars), S2 total 4; 29 appraised
# workers in one street, S3-W01 the lowest (52, below_floor), everyone else 82.

SMALL_DB=$REPO_ROOT/fixtures/small.db

json_of_last_run() {
    tr -d '\n' <"$LAST_STDOUT" | sed "s/'/''/g"
}

test_whatif_stars_threshold_flips_the_known_community() {
    # S3's 92.957 is five stars at 90 and four stars at 93.
    run_kaohe whatif "$SMALL_DB" --set stars.five=93 --json
    expect_exit 0
    local doc
    doc=$(json_of_last_run)
    expect_sql :memory: "SELECT json_extract(value, '\$.community_id'), json_extract(value, '\$.stars_before'), json_extract(value, '\$.stars_after') FROM json_each('$doc', '\$.communities')" "S3|5|4"
    expect_sql :memory: "SELECT json_extract('$doc', '\$.summary.stars_changed'), json_extract('$doc', '\$.summary.queries_rerun')" "1|0"
}

test_whatif_target_change_flips_the_known_street() {
    # new_certified: 0 newly certified in the street, 8 required; with 0 required it is met.
    run_kaohe whatif "$SMALL_DB" --set new_certified.required=0 --json
    expect_exit 0
    local doc
    doc=$(json_of_last_run)
    expect_sql :memory: "SELECT json_extract(value, '\$.target'), json_extract(value, '\$.scope_id'), json_extract(value, '\$.before.met'), json_extract(value, '\$.after.met') FROM json_each('$doc', '\$.target_checks')" "new_certified|样例区/样例街道|0|1"
}

test_whatif_bottom_ratio_flags_the_known_workers() {
    # 29 workers: ratio 0.1 → k = ceil(2.9) = 3 → S3-W01 (already below_floor),
    # then the two lowest 82s by id: S1-W01 and S1-W02 become bottom_ratio.
    run_kaohe whatif "$SMALL_DB" --set elimination.bottom_ratio=0.1 --json
    expect_exit 0
    local doc
    doc=$(json_of_last_run)
    expect_sql :memory: "SELECT group_concat(json_extract(value, '\$.worker_id') || ':' || coalesce(json_extract(value, '\$.flag_before'), '-') || '>' || json_extract(value, '\$.flag_after'), ' ') FROM json_each('$doc', '\$.workers')" "S1-W01:->bottom_ratio S1-W02:->bottom_ratio"
}

test_whatif_text_report_puts_the_summary_first() {
    run_kaohe whatif "$SMALL_DB" --set stars.five=93
    expect_exit 0
    expect_stdout_contains "摘要：1 个社区" "stars.five：90 → 93" "S3" "五星 → 四星"
    local first_summary first_detail
    first_summary=$(grep -n "摘要" "$LAST_STDOUT" | head -1 | cut -d: -f1)
    first_detail=$(grep -n "社区变化" "$LAST_STDOUT" | head -1 | cut -d: -f1)
    [ "$first_summary" -lt "$first_detail" ] || fail "the summary should come before the details"
}

test_whatif_sweep_table_is_right_value_by_value() {
    # ratio 0 → k 0 → 1 flagged (S3-W01 below_floor); 0.05 → k = ceil(1.45) = 2 → 2;
    # 0.1 → k = 3 → 3. Stars do not move: 2 five-star, 1 unrated.
    run_kaohe whatif "$SMALL_DB" --sweep elimination.bottom_ratio=0:0.1:0.05 --json
    expect_exit 0
    local doc
    doc=$(json_of_last_run)
    expect_sql :memory: "SELECT group_concat(json_extract(value, '\$.value') || ':' || json_extract(value, '\$.workers_flagged') || ':' || json_extract(value, '\$.stars.5') || ':' || json_extract(value, '\$.stars.0'), ' ') FROM json_each('$doc', '\$.rows')" "0.0:1:2:1 0.05:2:2:1 0.1:3:2:1"
}

test_whatif_sweep_writes_an_svg_chart_without_script() {
    run_kaohe whatif "$SMALL_DB" --sweep stars.five=85:100:5 --chart chart.svg
    expect_exit 0
    [ -s chart.svg ] || fail "no chart written"
    grep -q "<svg" chart.svg || fail "chart.svg is not SVG"
    grep -q "<polyline" chart.svg || fail "chart.svg draws no line"
    if grep -qi "<script" chart.svg; then fail "chart.svg needs a script"; fi
    # stars.five 95 and 100: only S1 (100) stays five-star
    run_kaohe whatif "$SMALL_DB" --sweep stars.five=85:100:5 --json
    expect_sql :memory: "SELECT group_concat(json_extract(value, '\$.stars.5'), ',') FROM json_each('$(json_of_last_run)', '\$.rows')" "2,2,1,1"
}

test_whatif_out_stores_both_runs_linked() {
    run_kaohe whatif "$SMALL_DB" --set stars.five=93 --out results.db
    expect_exit 0
    expect_sql results.db "SELECT run_id, kind, coalesce(baseline_run_id, '-') FROM runs ORDER BY run_id" "1|whatif-baseline|-
2|whatif-scenario|1"
    expect_sql results.db "SELECT json_extract(params, '\$.\"stars.five\"') + 0.0 FROM runs ORDER BY run_id" "90.0
93.0"
    expect_sql results.db "SELECT run_id, stars FROM community_scores WHERE community_id = 'S3' ORDER BY run_id" "1|5
2|4"
}

test_whatif_reruns_only_the_query_whose_parameter_changed() {
    run_kaohe whatif "$SMALL_DB" --set A05.hours=90 --json
    expect_exit 0
    expect_sql :memory: "SELECT json_extract('$(json_of_last_run)', '\$.summary.queries_rerun')" "1"
    # every worker has 80 hours: below 90 none is trained → A05 drops for S1 and S3
    expect_sql :memory: "SELECT json_extract('$(json_of_last_run)', '\$.summary.communities_changed')" "2"
}

test_whatif_scenario_file_names_the_scenario() {
    write_rule scenario.lua \
        'scenario "五星门槛提高" {' \
        '  description = "五星要求 93 分，末位比例 10%",' \
        '  set = { ["stars.five"] = 93, ["elimination.bottom_ratio"] = 0.1 },' \
        '}'
    run_kaohe whatif "$SMALL_DB" --scenario scenario.lua
    expect_exit 0
    expect_stdout_contains "场景：五星门槛提高" "stars.five：90 → 93" "elimination.bottom_ratio：0.02 → 0.1"
    run_kaohe eval "$SMALL_DB" --scenario scenario.lua --out results.db -q
    expect_exit 0
    expect_sql results.db "SELECT json_extract(params, '\$.\"stars.five\"') + 0.0, json_extract(params, '\$.\"elimination.bottom_ratio\"') FROM runs" "93.0|0.1"
}

test_whatif_milestone_year_override() {
    run_kaohe params --set cert.milestones.2023=0.5 --json
    expect_exit 0
    expect_sql :memory: "SELECT json_extract(value, '\$.value') FROM json_each(CAST(readfile('$LAST_STDOUT') AS TEXT)) WHERE json_extract(value, '\$.name') = 'cert.milestones'" '{"2020":0.35,"2023":0.5,"2026":1.0}'
}

test_whatif_refuses_unknown_parameter_with_suggestion() {
    run_kaohe whatif "$SMALL_DB" --set elimination.bottom_ratoi=0.1
    expect_exit 1
    expect_stderr_contains "unknown parameter" "did you mean 'elimination.bottom_ratio'"
}

test_whatif_refuses_wrong_type_and_out_of_range_naming_the_range() {
    run_kaohe whatif "$SMALL_DB" --set elimination.bottom_ratio=abc
    expect_exit 1
    expect_stderr_contains "not a number" "0..1"
    run_kaohe whatif "$SMALL_DB" --set elimination.bottom_ratio=2
    expect_exit 1
    expect_stderr_contains "out of range" "0..1"
    run_kaohe whatif "$SMALL_DB" --set satisfaction.min_responses=2.5
    expect_exit 1
    expect_stderr_contains "whole number"
    run_kaohe whatif "$SMALL_DB" --set 'cert.milestones={"2020":1.5}'
    expect_exit 1
    expect_stderr_contains "out of range" "0..1"
}

test_whatif_refuses_a_change_that_breaks_the_points_total() {
    run_kaohe whatif "$SMALL_DB" --set F01.max=12
    expect_exit 1
    expect_stderr_contains "sum to 102" "not 100"
}

test_whatif_refuses_a_bad_scenario_file_naming_file_and_line() {
    write_rule bad.lua 'scenario "x" {' '  set = { ["stars.fiv"] = 93 },' '}'
    run_kaohe whatif "$SMALL_DB" --scenario bad.lua
    expect_exit 1
    expect_stderr_contains "bad.lua:1" "did you mean 'stars.five'"
    write_rule broken.lua 'scenario "x" {' '  set = { ["stars.five"] = 93 ' '}'
    run_kaohe whatif "$SMALL_DB" --scenario broken.lua
    expect_exit 1
    expect_stderr_contains "broken.lua:"
}

test_whatif_without_a_change_is_a_usage_error() {
    run_kaohe whatif "$SMALL_DB"
    expect_exit 2
    run_kaohe whatif "$SMALL_DB" --sweep stars.five=95:90:1
    expect_exit 2
}

test_whatif_appraisal_weights_rerun_the_query_and_compare_every_worker() {
    # Only the residents' score counts: S3-W01's residents' score is above the
    # floor, so it is no longer below_floor, and all 29 tie at 82: ratio 0.02
    # → k = ceil(0.58) = 1 → the first by id, S1-W01. The appraisal query runs
    # again; the baseline's worker ids must outlive it (they are compared).
    run_kaohe whatif "$SMALL_DB" --set appraisal.weight.civil=0 --set appraisal.weight.community=0 --set appraisal.weight.residents=1 --json
    expect_exit 0
    local doc
    doc=$(json_of_last_run)
    expect_sql :memory: "SELECT json_extract('$doc', '\$.summary.queries_rerun')" "1"
    expect_sql :memory: "SELECT group_concat(json_extract(value, '\$.worker_id') || ':' || coalesce(json_extract(value, '\$.flag_before'), '-') || '>' || coalesce(json_extract(value, '\$.flag_after'), '-'), ' ') FROM json_each('$doc', '\$.workers')" "S1-W01:->bottom_ratio S3-W01:below_floor>-"
}
