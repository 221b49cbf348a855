# The admission list's run budget: one pattern cannot take a whole run.
#
# The attack: a deny entry ^(\w+\s?)*$ (nested repeats: exponential
# backtracking) and 19,462 tasks titled 'a' x 50 + '!'. Before, each task
# hit the per-match limit separately: 76-82 s for one eval, and the per-match
# limit could be raised to 1e8 (about 0.9 s a match). Now identical task
# inputs are decided once, and the steps of expensive matches are counted
# against admission.run_budget: identical titles finish in well under a
# second (every task sent to review naming the entry); different titles stop
# the run with exit 1 naming the entry, its file:line and pattern, and how to
# raise the budget. Both within 5 s and 512 MB, the same with --jobs 1 and 2.

# Tasks added to the sample snapshot.
BUDGET_TASKS=19462
# Time (ms) and peak RSS (KB) allowed for one run. The time is CPU time (user
# and system) when /usr/bin/time can measure it: the suite shares the machine,
# and a loaded machine stretches the wall clock, not the work.
BUDGET_MS=5000
BUDGET_RSS_KB=$((512 * 1024))

# budget_rules DIR: a copy of the shipped rules with the backtracking deny
# entry N98 at the end of rules/admission.lua.
budget_rules() {
    copy_rules "$1"
    printf '%s\n' 'deny "N98" {' '  pattern = [[^(\w+\s?)*$]],' '  reason = "测试回溯",' '}' \
        >>"$1/rules/admission.lua" || die "cannot add N98"
}

# budget_snapshot NAME TITLE-SQL [N]: the sample snapshot plus N (default
# BUDGET_TASKS) tasks Z0000001... titled by the SQL expression TITLE-SQL of i.
budget_snapshot() {
    snapshot_variant "$1" "CREATE TEMP TABLE c AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM communities;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${3:-$BUDGET_TASKS})
        INSERT INTO tasks (id, community_id, department, title, detail, received_on,
                           approval_ref, funded, staffed)
        SELECT printf('Z%07d', i), c.id, '民政局', $2, NULL, '2025-06-01', NULL, 1, 1
        FROM n JOIN c ON c.k = n.i % 50"
}

# budget_run ARGS...: runs the engine under /usr/bin/time (when present) for
# its peak RSS, which --timings cannot give when the run stops with an error.
budget_run() {
    if [ -x /usr/bin/time ] && ! under_wrapper; then
        KAOHE_PREFIX=(/usr/bin/time -o "$TEST_META/time" -f '%M %U %S')
    fi
    run_kaohe_timeout "$(scaled_timeout 30)" "$@"
    KAOHE_PREFIX=()
}

# expect_bounded: the last run ended by itself within BUDGET_MS and
# BUDGET_RSS_KB (three times more of each for a sanitizer build, not checked
# under a wrapper such as valgrind).
expect_bounded() {
    local ms=$BUDGET_MS rss_limit=$BUDGET_RSS_KB rss user sys used=$LAST_MS what=wall
    if [ "$LAST_TIMED_OUT" = 1 ]; then
        fail "killed after $(scaled_timeout 30) s"
        return 1
    fi
    under_wrapper && return 0
    case $KAOHE in */asan/*) ms=$((ms * 3)) rss_limit=$((rss_limit * 3)) ;; esac
    if [ -s "$TEST_META/time" ]; then
        read -r rss user sys < <(tail -n 1 "$TEST_META/time")
        used=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000 }')
        what=CPU
        if [ "$rss" -gt "$rss_limit" ]; then
            fail "peak RSS ${rss} KB, more than $rss_limit KB"
        fi
    fi
    if [ "$used" -gt "$ms" ]; then
        fail "took ${used} ms of $what time, more than $ms ms"
    fi
    note "${used} ms $what time (${LAST_MS} ms wall), peak RSS ${rss:-?} KB"
}

test_admission_budget_identical_backtracking_titles_are_decided_once_and_sent_to_review() {
    local jobs dump1
    budget_rules tree
    budget_snapshot same.db "printf('%.*c', 50, 'a') || '!'"
    for jobs in 1 2; do
        budget_run eval same.db --rules tree --jobs "$jobs" --out "r$jobs.db" --quiet --timings
        expect_bounded
        expect_exit 0 || continue
        expect_sql "r$jobs.db" "SELECT decision, rule_id, count(*) FROM task_decisions
                               WHERE task_id LIKE 'Z%' GROUP BY 1, 2" "review|N98|$BUDGET_TASKS"
        expect_sql "r$jobs.db" "SELECT count(*) FROM task_decisions WHERE task_id LIKE 'Z%'
                               AND instr(reason, 'N98') > 0 AND instr(reason, 'match limit') > 0" \
            "$BUDGET_TASKS"
        # One match was counted: the 19,462 copies reused its decision.
        grep -qE '"decide_steps":[1-9][0-9]{5,6},' "$LAST_STDERR" ||
            fail "decide_steps is not one match's worth: $(grep -oE '"decide_steps":[0-9]+' "$LAST_STDERR")"
    done
    [ -f r1.db ] && [ -f r2.db ] || return 1
    dump1=$(sqlite3 r1.db "SELECT task_id, decision, rule_id, reason FROM task_decisions ORDER BY 1" | sha256sum)
    expect_eq "$(sqlite3 r2.db "SELECT task_id, decision, rule_id, reason FROM task_decisions ORDER BY 1" | sha256sum)" \
        "$dump1" "task decisions with --jobs 2 against --jobs 1"
}

test_admission_budget_different_backtracking_titles_stop_the_run_naming_the_entry() {
    local line message=
    local jobs
    budget_rules tree
    line=$(line_of tree/rules/admission.lua '^deny "N98"')
    budget_snapshot diff.db "printf('%.*c', 50, 'a') || i || '!'"
    for jobs in 1 2; do
        budget_run eval diff.db --rules tree --jobs "$jobs" --quiet
        expect_bounded
        expect_exit 1
        expect_stderr_contains "tree/rules/admission.lua:$line" "admission entry N98" \
            'pattern ^(\w+\s?)*$' "admission.run_budget" "--set admission.run_budget=" \
            "at most 1000000000" "budget ran out at task 'Z00000"
        if [ -n "$message" ]; then
            expect_eq "$(cat "$LAST_STDERR")" "$message" "the message with --jobs $jobs"
        fi
        message=$(cat "$LAST_STDERR")
    done
    # Nothing is written, to a new results file or an existing one.
    expect_eval_refused 1 "admission entry N98" -- eval diff.db --rules tree --quiet
}

test_admission_budget_raised_with_set_lets_the_run_complete() {
    budget_rules tree
    # 60 different titles need about 80 million steps: more than the default
    # budget (50 million), less than the 200 million set here.
    budget_snapshot sixty.db "printf('%.*c', 50, 'a') || i || '!'" 60
    budget_run eval sixty.db --rules tree --quiet
    expect_exit 1
    expect_stderr_contains "admission entry N98" "on 3"
    budget_run eval sixty.db --rules tree --set admission.run_budget=200000000 --out r.db --quiet
    expect_bounded
    expect_exit 0
    expect_sql r.db "SELECT decision, rule_id, count(*) FROM task_decisions
                     WHERE task_id LIKE 'Z%' GROUP BY 1, 2" "review|N98|60"
    expect_sql r.db "SELECT json_extract(params, '\$.\"admission.run_budget\"') FROM runs" "200000000"
}

test_admission_budget_and_match_limit_refuse_values_past_the_engine_caps() {
    run_kaohe eval "$SAMPLE_DB" --rules "$REPO_ROOT" --set admission.match_limit=100000000 --quiet
    expect_exit 1
    expect_stderr_contains "admission.match_limit" "1e+07"
    run_kaohe eval "$SAMPLE_DB" --rules "$REPO_ROOT" --set admission.run_budget=10000000000 --quiet
    expect_exit 1
    expect_stderr_contains "admission.run_budget" "1e+09"
    # A rule file cannot raise the caps either: its declared range must lie
    # within them.
    copy_rules tree
    edit_file tree/rules/admission.lua 's/min = 100, max = 10000000,/min = 100, max = 100000000,/'
    run_kaohe check --rules tree
    expect_exit 1
    expect_stderr_contains 'param "admission.match_limit"' "max <= 10000000"
}

test_admission_budget_bounds_the_admit_report_and_the_check_lint_too() {
    local line
    budget_rules tree
    line=$(line_of tree/rules/admission.lua '^deny "N98"')
    budget_snapshot same.db "printf('%.*c', 50, 'a') || '!'"
    # The coverage report matches every entry for every task: the budget
    # stops it, naming the entry.
    budget_run admit same.db --rules tree
    expect_bounded
    expect_exit 1
    expect_stderr_contains "tree/rules/admission.lua:$line" "admission entry N98" \
        "the report cannot be made"
    # check's data lint: one warning naming the entry, and no warning drawn
    # from the counts it could not finish.
    budget_run check same.db --rules tree
    expect_bounded
    expect_exit 0
    expect_stderr_contains "tree/rules/admission.lua:$line" "admission entry N98" \
        "the admission checks stop there"
    expect_stderr_not_contains "matches no task"
}

test_admission_budget_run_without_a_budget_parameter_is_still_bounded() {
    budget_rules tree
    edit_file tree/rules/admission.lua '/^  run_budget = "admission.run_budget",$/d'
    edit_file tree/rules/admission.lua '/^param "admission.run_budget" {$/,/^}$/d'
    budget_snapshot diff.db "printf('%.*c', 50, 'a') || i || '!'" 2000
    # The engine's cap (1e9 steps, 9 to 18 s) applies: lower the per-match
    # limit so that the test stays short.
    budget_run eval diff.db --rules tree --set admission.match_limit=10000 --out r.db --quiet \
        --timings
    expect_no_crash_or_timeout
    expect_exit 0
    expect_sql r.db "SELECT decision, rule_id, count(*) FROM task_decisions
                     WHERE task_id LIKE 'Z%' GROUP BY 1, 2" "review|N98|2000"
    # Still counted, against the engine's cap.
    grep -qE '"decide_steps":[1-9][0-9]{6,},' "$LAST_STDERR" ||
        fail "no steps counted: $(grep -oE '"decide_steps":[0-9]+' "$LAST_STDERR")"
}

# expect_no_crash_or_timeout: the last run ended by itself.
expect_no_crash_or_timeout() {
    if [ "$LAST_TIMED_OUT" = 1 ] || [ "$LAST_EXIT" -ge 128 ]; then
        fail "the run was killed (exit $LAST_EXIT)"
        show_last_run
        return 1
    fi
}
