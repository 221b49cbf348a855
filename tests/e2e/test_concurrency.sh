# Several `kaohe eval` processes writing to one RESULTS at the same time.
# Each either completes (a writer waits up to 60 s for another's
# transaction) or fails with exit 1 or 3 and a "kaohe:" message; no run is
# half-written: every run has 33 indicator rows per community, run ids are
# distinct, PRAGMA integrity_check is ok, and a run is in RESULTS exactly
# when its process said it succeeded (no run is lost).

CONCURRENT=3

# start_eval I ARGS...: the engine in the background, output in $TEST_META.
start_eval() {
    local i=$1
    shift
    ${KAOHE_WRAPPER_WORDS[@]+"${KAOHE_WRAPPER_WORDS[@]}"} "$KAOHE" "$@" \
        >"$TEST_META/p$i.stdout" 2>"$TEST_META/p$i.stderr" </dev/null &
    PIDS[i]=$!
}

# wait_all: waits for every started process; sets CODES[i] and SUCCEEDED.
wait_all() {
    local i
    SUCCEEDED=0
    for i in "${!PIDS[@]}"; do
        wait "${PIDS[i]}"
        CODES[i]=$?
        if [ "${CODES[i]}" = 0 ]; then
            SUCCEEDED=$((SUCCEEDED + 1))
        elif [ "${CODES[i]}" -ge 124 ]; then
            fail "process $i died of a signal or hung (exit ${CODES[i]})"
            sed 's/^/    | /' "$TEST_META/p$i.stderr" | head -n 10 >&2
        elif ! grep -q '^kaohe' "$TEST_META/p$i.stderr"; then
            fail "process $i failed (exit ${CODES[i]}) without a kaohe: message"
        else
            note "process $i failed cleanly (exit ${CODES[i]}): $(head -n 1 "$TEST_META/p$i.stderr")"
        fi
    done
}

# expect_whole_runs DB N: N runs, distinct ids, each complete, integrity ok.
expect_whole_runs() {
    local db=$1 n=$2
    expect_sql "$db" "PRAGMA integrity_check" "ok"
    expect_sql "$db" "SELECT count(*), count(DISTINCT run_id) FROM runs" "$n|$n"
    expect_sql "$db" "SELECT count(*) FROM runs r WHERE r.communities IS NULL OR
        (SELECT count(*) FROM indicator_scores s WHERE s.run_id = r.run_id) != r.communities * 33
        OR (SELECT count(*) FROM community_scores s WHERE s.run_id = r.run_id) != r.communities" "0"
    expect_sql "$db" "SELECT count(*) FROM indicator_scores WHERE run_id NOT IN (SELECT run_id FROM runs)" "0"
}

test_concurrent_evals_append_whole_runs_to_existing_results() {
    local i
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0 || return 1
    for ((i = 0; i < CONCURRENT; i++)); do
        start_eval "$i" eval "$SAMPLE_DB" --out results.db --quiet
    done
    wait_all
    [ "$SUCCEEDED" -gt 0 ] || fail "no concurrent eval succeeded"
    expect_whole_runs results.db $((1 + SUCCEEDED))
}

# A new RESULTS created by several processes at once: each builds it under a
# temporary name and renames it into place; a run that reported success must
# not be replaced by another process's file.
test_concurrent_evals_creating_results_lose_no_run() {
    local i
    for ((i = 0; i < CONCURRENT; i++)); do
        start_eval "$i" eval "$SAMPLE_DB" --out new.db --quiet
    done
    wait_all
    [ -f new.db ] || { fail "no new.db after $SUCCEEDED successful runs"; return 1; }
    if [ "$(sql new.db "SELECT count(*) FROM runs")" != "$SUCCEEDED" ]; then
        fail "$SUCCEEDED processes reported success but new.db holds $(sql new.db "SELECT count(*) FROM runs") runs: runs were lost"
    fi
    expect_whole_runs new.db "$(sql new.db "SELECT count(*) FROM runs")"
    expect_dir_holds . new.db
}

# While another connection holds the write lock, eval waits (busy timeout)
# and appends once the lock is released.
test_eval_waits_for_a_locked_results_file() {
    local start waited
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0 || return 1
    # Hold a write transaction for 3 seconds from the sqlite3 shell.
    sqlite3 -batch results.db "BEGIN IMMEDIATE; INSERT INTO runs (run_id, started_at, finished_at,
        engine_version, snapshot_sha256, rules_sha256, as_of, params)
        VALUES (1000, 'x', 'x', 'lock', 'x', 'x', 'x', '{}');" ".shell sleep 3" "ROLLBACK;" &
    local holder=$!
    sleep 0.5
    start=$(date +%s%N)
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    waited=$((($(date +%s%N) - start) / 1000000))
    wait "$holder"
    expect_exit 0
    if [ "$LAST_EXIT" = 0 ] && [ "$waited" -lt 1500 ] && ! under_wrapper; then
        fail "eval finished in ${waited} ms while the file was locked for 3 s (did it wait?)"
    fi
    expect_whole_runs results.db 2
    expect_sql results.db "SELECT count(*) FROM runs WHERE run_id = 1000" "0"
}

# Readers (report, export) while an eval writes: they see the old or the new
# state, never a broken one.
test_report_while_eval_writes_sees_whole_runs() {
    local i
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0 || return 1
    start_eval 0 eval "$SAMPLE_DB" --out results.db --quiet
    for ((i = 1; i <= 3; i++)); do
        run_kaohe report results.db --out "report$i.html"
        if [ "$LAST_EXIT" != 0 ]; then
            expect_no_crash_here || break
            grep -q '^kaohe' "$LAST_STDERR" || fail "report failed without a message"
        fi
    done
    PIDS=([0]=${PIDS[0]})
    wait_all
    expect_whole_runs results.db $((1 + SUCCEEDED))
}

expect_no_crash_here() {
    if [ "$LAST_EXIT" -ge 124 ]; then
        fail "died of a signal or hung (exit $LAST_EXIT)"
        show_last_run
        return 1
    fi
}
