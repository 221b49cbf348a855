#!/usr/bin/env bash
# tests/fuzz/run.sh — runs the libFuzzer harnesses (built by `make fuzz-build`).
#
#   bash tests/fuzz/run.sh --seconds N [--jobs J] [--seed S] [HARNESS...]
#                                                    fuzz each for N s
#   bash tests/fuzz/run.sh --regress [HARNESS...]                replay once
#
# HARNESS: rules snapshot schema admission params scenario import results sql xlsx (default: all).
#
# Fuzzing reads tests/fuzz/corpus/<h> and tests/fuzz/regress/<h> and writes
# new inputs to $FUZZ_BUILD/corpus/<h> (the committed seed corpora stay
# small), crashes, leaks, timeouts and oracle failures to
# $FUZZ_BUILD/crashes/<h>/, and the log to $FUZZ_BUILD/logs/<h>.log. --jobs J
# runs J harnesses at once (default 1). --seed S (or FUZZ_SEED) fixes
# libFuzzer's random seed (default: a new one each run), so that a run from
# the same corpus makes the same mutations in the same order (only the number
# of executions in N seconds varies with the machine's speed). At the end it
# prints, per harness, the executions, the rate, the corpus size and the new
# crash files; for each crash, what the sanitizer or oracle said, the command
# that reproduces it and the input itself as base64 (a CI machine's files are
# gone once it ends), and exits 1 when any harness found one. Turn a crash
# into a regression input with
#   cp $FUZZ_BUILD/crashes/<h>/crash-... tests/fuzz/regress/<h>/<what-it-is>
#
# --regress runs every file of tests/fuzz/corpus/<h> and tests/fuzz/regress/<h>
# once (no fuzzing) and exits 1 if any of them crashes, leaks, hangs (more than
# FUZZ_REGRESS_TIMEOUT s, default 60) or trips an oracle: regression inputs of
# bugs not fixed yet fail here on purpose.
#
# Environment: FUZZ_SEED (as --seed), TMPDIR (scratch files; default
# /dev/shm when writable),
# FUZZ_BUILD (default build/fuzz), FUZZ_TIMEOUT (per input while
# fuzzing, default 30 s), FUZZ_RSS_MB (default 2048), FUZZ_EXTRA (more
# libFuzzer flags).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT" || exit 2
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
ALL=(rules snapshot schema admission params scenario import results sql xlsx)
mode=
seconds=60
jobs=1
seed=${FUZZ_SEED:-}
harnesses=()
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) mode=fuzz; seconds=$2; shift 2 ;;
    --regress) mode=regress; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h | --help) sed -n '2,33p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
    esac
done
[ -n "$mode" ] || { echo "run.sh: give --seconds N or --regress" >&2; exit 2; }
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${ALL[@]}")

# Longest input per harness (bytes).
max_len() {
    case $1 in
    rules) echo 65536 ;; import) echo 65536 ;; xlsx) echo 65536 ;; scenario) echo 16384 ;;
    snapshot) echo 8192 ;; schema) echo 16384 ;; *) echo 4096 ;;
    esac
}

# Scratch files of the harnesses (snapshots, results files written with
# fsync): in memory when /dev/shm is there.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi

# Sanitizer settings: fail on any report, leaks included.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1:malloc_context_size=12:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for h in "${harnesses[@]}"; do
    if [ ! -x "$FUZZ_BUILD/fuzz_$h" ]; then
        echo "run.sh: no $FUZZ_BUILD/fuzz_$h (run make fuzz-build)" >&2
        exit 2
    fi
done

# --- regress ----------------------------------------------------------------------
if [ "$mode" = regress ]; then
    status=0
    for h in "${harnesses[@]}"; do
        mapfile -t files < <(find "tests/fuzz/corpus/$h" "tests/fuzz/regress/$h" -type f \
            ! -name '*.md' ! -name '.*' 2>/dev/null | LC_ALL=C sort)
        [ ${#files[@]} -gt 0 ] || { echo "fuzz-regress $h: no inputs"; continue; }
        log=$(mktemp)
        start=$(date +%s%N)
        failed=()
        # All inputs in one process (fast); when that fails, one process per
        # input, so that a crash in one does not hide the others.
        if "$FUZZ_BUILD/fuzz_$h" -timeout="${FUZZ_REGRESS_TIMEOUT:-60}" \
            -rss_limit_mb="${FUZZ_RSS_MB:-2048}" "${files[@]}" >"$log" 2>&1; then
            files_to_retry=()
        else
            files_to_retry=("${files[@]}")
        fi
        for f in ${files_to_retry[@]+"${files_to_retry[@]}"}; do
            if ! "$FUZZ_BUILD/fuzz_$h" -timeout="${FUZZ_REGRESS_TIMEOUT:-60}" \
                -rss_limit_mb="${FUZZ_RSS_MB:-2048}" "$f" >"$log" 2>&1; then
                failed+=("$f")
                echo "---- fuzz_$h $f" >&2
                grep -E 'ERROR|SUMMARY|oracle|runtime error|#[0-9]+ 0x' "$log" | head -25 >&2
            fi
        done
        ms=$((($(date +%s%N) - start) / 1000000))
        rm -f "$log"
        if [ ${#failed[@]} -gt 0 ]; then
            status=1
            printf 'fuzz-regress %-10s %4d inputs, %d FAILED (%d.%ds): %s\n' "$h" ${#files[@]} \
                ${#failed[@]} $((ms / 1000)) $((ms % 1000 / 100)) "${failed[*]}"
        else
            printf 'fuzz-regress %-10s %4d inputs ok (%d.%ds)\n' "$h" ${#files[@]} \
                $((ms / 1000)) $((ms % 1000 / 100))
        fi
    done
    exit $status
fi

# --- fuzz -------------------------------------------------------------------------
mkdir -p "$FUZZ_BUILD/logs"
seed_flag=()
[ -n "$seed" ] && seed_flag=(-seed="$seed")
fuzz_one() {
    local h=$1 dict=() start
    mkdir -p "$FUZZ_BUILD/corpus/$h" "$FUZZ_BUILD/crashes/$h" "tests/fuzz/regress/$h"
    [ -f "tests/fuzz/dict/$h.dict" ] && dict=(-dict="tests/fuzz/dict/$h.dict")
    # Crash files newer than this marker are this run's (libFuzzer names them
    # by content, so a crash found again rewrites the same file).
    touch "$FUZZ_BUILD/logs/$h.start"
    start=$(date +%s%N)
    # shellcheck disable=SC2086 # FUZZ_EXTRA is a list of flags
    "$FUZZ_BUILD/fuzz_$h" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-30}" \
        -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -max_len="$(max_len "$h")" "${dict[@]}" \
        -artifact_prefix="$FUZZ_BUILD/crashes/$h/" -print_final_stats=1 -close_fd_mask=1 \
        ${seed_flag[@]+"${seed_flag[@]}"} ${FUZZ_EXTRA:-} \
        "$FUZZ_BUILD/corpus/$h" "tests/fuzz/corpus/$h" "tests/fuzz/regress/$h" \
        >"$FUZZ_BUILD/logs/$h.log" 2>&1
    echo $? >"$FUZZ_BUILD/logs/$h.status"
    echo $((($(date +%s%N) - start) / 1000000)) >"$FUZZ_BUILD/logs/$h.ms"
}

running=0
for h in "${harnesses[@]}"; do
    echo "fuzz: $h for ${seconds}s${seed:+ (seed $seed)} (log: $FUZZ_BUILD/logs/$h.log)"
    fuzz_one "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

status=0
failed=()
total_execs=0
total_ms=0
echo
printf '%-10s %12s %10s %8s %8s %s\n' harness executions exec/s seconds corpus result
for h in "${harnesses[@]}"; do
    log=$FUZZ_BUILD/logs/$h.log
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    ms=$(cat "$FUZZ_BUILD/logs/$h.ms")
    corpus=$(find "$FUZZ_BUILD/corpus/$h" -type f | wc -l)
    new=$(find "$FUZZ_BUILD/crashes/$h" -type f -newer "$FUZZ_BUILD/logs/$h.start" | wc -l)
    total_execs=$((total_execs + ${execs:-0}))
    total_ms=$((total_ms + ms))
    result=ok
    if [ "$new" -gt 0 ] || [ "$(cat "$FUZZ_BUILD/logs/$h.status")" != 0 ]; then
        result="FOUND $new (exit $(cat "$FUZZ_BUILD/logs/$h.status"))"
        status=1
        failed+=("$h")
    fi
    printf '%-10s %12s %10s %8s %8s %s\n' "$h" "${execs:-?}" "${rate:-?}" \
        "$((ms / 1000)).$((ms % 1000 / 100))" "$corpus" "$result"
done
printf '%-10s %12s %10s %8s\n' total "$total_execs" "" "$((total_ms / 1000)).$((total_ms % 1000 / 100))"

# Each crash: what was reported, how to reproduce it, and the input itself.
for h in ${failed[@]+"${failed[@]}"}; do
    log=$FUZZ_BUILD/logs/$h.log
    echo
    echo "==== fuzz_$h FAILED (log: $log)"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|fuzz oracle|runtime error|^ +#[0-9]+ 0x|^  |deadly signal|Timeout|out-of-memory|leak' \
        "$log" | head -40
    while IFS= read -r f; do
        echo
        echo "---- $f ($(stat -c %s "$f") bytes)"
        echo "reproduce: $FUZZ_BUILD/fuzz_$h $f    (make fuzz-build first; FUZZ_VERBOSE=1 for rules, snapshot, schema, xlsx)"
        echo "keep it:   cp $f tests/fuzz/regress/$h/<what-it-is>"
        if [ "$(stat -c %s "$f")" -le 65536 ]; then
            echo "the input, to recreate it elsewhere: base64 -d > $(basename "$f") <<'EOF'"
            base64 "$f"
            echo "EOF"
        fi
    done < <(find "$FUZZ_BUILD/crashes/$h" -type f -newer "$FUZZ_BUILD/logs/$h.start" | LC_ALL=C sort)
    echo "the run: bash tests/fuzz/run.sh --seconds $seconds${seed:+ --seed $seed} $h"
done
exit $status
