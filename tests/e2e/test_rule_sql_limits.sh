# Rule SQL attacks: an `sql [[ ]]` input of indicator C06 (in a copy of the
# shipped rules), a target's condition or the appraisal's score reads the
# clock, the time zone or a random source, reads what is not the snapshot,
# or runs away. Every attack must end with the default limits, within 5 s,
# with exit 1, a message "rule SQL at FILE:LINE (...)" naming the rule's
# declaration, and nothing written to RESULTS.

E2E_CALL_TIMEOUT=$(scaled_timeout 5)

# replace_in_file FILE OLD NEW: replaces the first OLD (literal text) by NEW;
# dies when FILE does not hold OLD (the shipped rules moved on).
replace_in_file() {
    local file=$1 old=$2 new=$3 text
    text=$(<"$file") || die "cannot read $file"
    [[ $text == *"$old"* ]] || die "$file does not hold: $old"
    printf '%s\n' "${text/"$old"/"$new"}" >"$file" || die "cannot write $file"
}

# sql_attack_tree SQL: tree/ = the shipped rules, with C06's `weeks` input
# replaced by the scalar subquery SQL.
sql_attack_tree() {
    copy_rules tree
    replace_in_file tree/indicators/c_service.lua \
        'weeks    = sql [[SELECT {weeks_in_window}]],' "weeks    = sql [[$1]],"
}

# The place every C06 attack must be reported at.
c06_place() {
    echo "rule SQL at tree/indicators/c_service.lua:$(line_of tree/indicators/c_service.lua '^indicator "C06"') (indicator C06)"
}

# sql_attack SQL NEEDLE...: eval refuses the attack, naming C06's place and
# every NEEDLE, and writes nothing.
sql_attack() {
    local sql=$1
    shift
    sql_attack_tree "$sql"
    expect_eval_refused 1 "$(c06_place)" "$@" -- eval "$SAMPLE_DB" --rules tree
}

# The issue's attacks, one test each.

test_rule_sql_refuses_random() {
    sql_attack "SELECT {weeks_in_window} + abs(random()) % 2" "calls random()" "random source"
}

test_rule_sql_refuses_order_by_randomblob() {
    sql_attack "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i FROM r ORDER BY randomblob(1000)))" \
        "calls randomblob()"
}

test_rule_sql_refuses_date_now() {
    sql_attack "SELECT {weeks_in_window} + (date('now') > '2000-01-01')" "reads the clock" "{as_of}"
}

test_rule_sql_refuses_strftime_now() {
    sql_attack "SELECT {weeks_in_window} + 0 * strftime('%Y', 'now')" "reads the clock"
}

test_rule_sql_refuses_julianday_now_with_a_modifier() {
    sql_attack "SELECT {weeks_in_window} + 0 * julianday('NOW', 'start of year')" \
        "reads the clock (julianday('NOW', ...))"
}

test_rule_sql_refuses_a_date_function_without_a_date() {
    sql_attack "SELECT {weeks_in_window} + 0 * unixepoch()" "reads the clock"
}

test_rule_sql_refuses_current_timestamp() {
    sql_attack "SELECT {weeks_in_window} + 0 * length(CURRENT_TIMESTAMP)" "current_timestamp()" "the clock"
}

test_rule_sql_refuses_current_date() {
    sql_attack "SELECT {weeks_in_window} + 0 * length(CURRENT_DATE)" "current_date()" "the clock"
}

test_rule_sql_refuses_localtime() {
    sql_attack "SELECT {weeks_in_window} + 0 * length(datetime({as_of}, 'localtime'))" \
        "the modifier 'localtime' in datetime()" "time zone"
}

test_rule_sql_refuses_utc_computed_at_run_time() {
    # Not a literal: only the running function can see it.
    sql_attack "SELECT {weeks_in_window} + 0 * length(date({as_of}, lower('U' || 'TC')))" \
        "the modifier 'utc' in date()"
}

test_rule_sql_refuses_sqlite_version() {
    sql_attack "SELECT {weeks_in_window} + 0 * length(sqlite_version())" "calls sqlite_version()"
}

test_rule_sql_refuses_pragma_functions() {
    sql_attack "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM pragma_database_list)" \
        "table-valued function"
}

test_rule_sql_refuses_reading_sqlite_master() {
    sql_attack "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM sqlite_master)" \
        "reads sqlite_master"
}

test_rule_sql_stops_an_endless_recursive_query() {
    sql_attack "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r" \
        "exceeded the step limit of" "--rule-sql-steps"
}

test_rule_sql_stops_a_cross_join_of_everything() {
    sql_attack "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM workers a, workers b, workers c)" \
        "exceeded the step limit of"
}

test_rule_sql_stops_work_inside_functions() {
    # One VM step each, 100 µs of digits each (found by fuzz_sql): what a
    # query allocates counts as steps too.
    sql_attack "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i FROM r ORDER BY printf('%.100000G', i)))" \
        "exceeded the step limit of"
}

# The issue's ORDER BY randomblob(1000), made deterministic (randomblob is
# refused before it runs), with 100 KB rows.
TEMP_HOG="SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i FROM r ORDER BY printf('%.100000d', i)))"

test_rule_sql_stops_a_sort_of_huge_keys() {
    # On the sample the step limit comes first: making 256 MB of keys costs
    # 16 million steps (what a query allocates counts).
    sql_attack "$TEMP_HOG" "exceeded the step limit of"
}

test_rule_sql_stops_temporary_file_growth() {
    # With the step limit out of the way (as on a big snapshot), the
    # default temporary-file limit stops it.
    sql_attack_tree "$TEMP_HOG"
    expect_eval_refused 1 "$(c06_place) needed more than 256 MB of temporary files" \
        "--rule-sql-temp-mb" -- eval "$SAMPLE_DB" --rules tree --rule-sql-steps 1000000000000
}

test_rule_sql_stops_zeroblob_memory() {
    sql_attack "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM (SELECT zeroblob(999999990) a, zeroblob(999999990) b, zeroblob(999999990) c, zeroblob(999999990) d ORDER BY 1))" \
        "MB of memory" "--rule-sql-memory-mb"
}

test_rule_sql_stops_a_huge_result_value() {
    sql_attack "SELECT length(printf('%.400000000d', 1))" "MB of memory"
}

# Every kind of rule query, every command, every thread.

test_rule_sql_in_a_target_condition_names_the_target() {
    copy_rules tree
    replace_in_file tree/rules/appraisal.lua \
        "numerator   = \"left_reason = 'eliminated'" "numerator   = \"random() > 0 AND left_reason = 'eliminated'"
    expect_eval_refused 1 \
        "rule SQL at tree/rules/appraisal.lua:$(line_of tree/rules/appraisal.lua '^target "elimination_rate"') (target elimination_rate) calls random()" \
        -- eval "$SAMPLE_DB" --rules tree
}

test_rule_sql_in_the_appraisal_names_the_appraisal() {
    copy_rules tree
    replace_in_file tree/rules/appraisal.lua "score = [[MIN(" "score = [[julianday('now') + MIN("
    expect_eval_refused 1 \
        "rule SQL at tree/rules/appraisal.lua:$(line_of tree/rules/appraisal.lua '^appraisal') (appraisal) reads the clock" \
        -- eval "$SAMPLE_DB" --rules tree
}

test_rule_sql_limits_hold_on_every_query_thread() {
    sql_attack_tree "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"
    expect_eval_refused 1 "$(c06_place) exceeded the step limit" -- eval "$SAMPLE_DB" --rules tree --jobs 1
    expect_eval_refused 1 "$(c06_place) exceeded the step limit" -- eval "$SAMPLE_DB" --rules tree --jobs 4
}

test_rule_sql_check_refuses_random_without_a_snapshot() {
    sql_attack_tree "SELECT {weeks_in_window} + abs(random()) % 2"
    # With the shipped sample out of reach, check only prepares the SQL.
    KAOHE_HOME=$TEST_TMP run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "$(c06_place) calls random()"
}

test_rule_sql_check_stops_a_runaway_query_on_the_sample() {
    sql_attack_tree "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains "$(c06_place) exceeded the step limit"
}

test_rule_sql_whatif_and_explain_stop_the_clock() {
    sql_attack_tree "SELECT {weeks_in_window} + 0 * julianday('now')"
    run_kaohe whatif "$SAMPLE_DB" --rules tree --set elimination.bottom_ratio=0.05 --out results.db
    expect_exit 1
    expect_stderr_contains "$(c06_place) reads the clock"
    expect_file_absent results.db
    run_kaohe explain "$SAMPLE_DB" --rules tree --community 3710010101 --indicator C06
    expect_exit 1
    expect_stderr_contains "$(c06_place) reads the clock"
}

test_rule_sql_kaohe_test_stops_a_runaway_query() {
    sql_attack_tree "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"
    mkdir -p staff
    write_rule staff/one_test.lua \
        '-- one case: the C06 query runs on its snapshot' \
        'case "十家组织" {' \
        '  organizations = { { count = 10, registered = 1 } },' \
        '  expect "A06" { value = 10, points = 3 },' \
        '}'
    run_kaohe test "$PWD/staff" --rules tree
    expect_exit 1
    expect_stdout_contains "$(c06_place) exceeded the step limit" "ruletests: 0 passed, 1 failed"
}

test_rule_sql_verify_runs_under_the_limits() {
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0
    run_kaohe verify results.db --rule-sql-steps 1000
    expect_exit 1
    expect_stderr_contains "exceeded the step limit of 1,000"
}

# The options.

test_rule_sql_steps_can_be_raised_for_a_big_query() {
    # A CTE that ends after millions of steps: over a limit of one million
    # (which the shipped queries stay under on the sample), well under the
    # default.
    sql_attack_tree "SELECT {weeks_in_window} + 0 * (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 300000) SELECT count(*) FROM r)"
    run_kaohe eval "$SAMPLE_DB" --rules tree --quiet --rule-sql-steps 1000000
    expect_exit 1
    expect_stderr_contains "$(c06_place) exceeded the step limit of 1,000,000"
    run_kaohe eval "$SAMPLE_DB" --rules tree --quiet
    expect_exit 0
}

test_rule_sql_memory_and_temp_limits_are_options() {
    sql_attack_tree "SELECT length(printf('%.40000000d', 1))"
    run_kaohe eval "$SAMPLE_DB" --rules tree --quiet --rule-sql-memory-mb 16
    expect_exit 1
    expect_stderr_contains "$(c06_place) needed more than 16 MB of memory"
    sql_attack_tree "SELECT {weeks_in_window} + 0 * (SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 400) SELECT i FROM r ORDER BY printf('%.100000d', i)))"
    run_kaohe eval "$SAMPLE_DB" --rules tree --quiet --rule-sql-temp-mb 8
    expect_exit 1
    expect_stderr_contains "$(c06_place) needed more than 8 MB of temporary files"
    run_kaohe eval "$SAMPLE_DB" --rules tree --quiet
    expect_exit 0
}

test_rule_sql_limit_options_are_checked() {
    run_kaohe check --rule-sql-steps 10
    expect_exit 2
    expect_stderr_contains "--rule-sql-steps 10"
    run_kaohe check --rule-sql-memory-mb 0
    expect_exit 2
    expect_stderr_contains "--rule-sql-memory-mb 0"
    run_kaohe check --rule-sql-temp-mb lots
    expect_exit 2
    expect_stderr_contains "--rule-sql-temp-mb lots"
}
