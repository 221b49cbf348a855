#!/usr/bin/env bash
# tests/fault/run.sh — out-of-memory fault injection for `kaohe eval`.
#
#   bash tests/fault/run.sh [--asan] [--persist] [--bound B] [--sample S]
#                           [--exhaustive] [--jobs J] [--threads] [--only N,N,...]
#                           [--new] [--kaohe PATH]
#
# Runs   kaohe eval fixtures/small.db --out RESULTS --jobs 1
# with build/fault/faultinject.so preloaded (tests/fault/faultinject.c) so that
# the Nth malloc/calloc/realloc made while main() runs fails, for
#   N = 1 .. B                       (every N up to the bound, default 300),
#   then S more N spread evenly over B+1 .. TOTAL with a fixed offset
#                                    (default 300; deterministic, same N each run),
# or every N = 1 .. TOTAL with --exhaustive, where TOTAL is the number of
# allocations of a normal run, counted first with the same library.
#
# RESULTS is each time a fresh copy of a results file holding one earlier run.
# Every run must:
#   - end with exit 0 (the failure was tolerated: RESULTS then holds the earlier
#     run and one complete new run), or with a non-zero exit below 128 and a
#     "kaohe..." message on stderr (RESULTS then holds only the earlier run,
#     unless the failure came after the commit and the message says "the
#     results were written as run 2": then the new run must be whole and right);
#   - never die of a signal or hang (60 s), never print a sanitizer report, a
#     leak or a Lua panic;
#   - leave RESULTS with PRAGMA integrity_check = ok, the earlier run's rows
#     unchanged, and no journal or temporary file next to it.
#   - when it exits 0, have written exactly the results of a normal run.
# The inputs are valid, so a refusal can only be the machine's failure: exit
# 1 or 2 is listed separately as a wrong exit status ("misreported", worse
# when the message blames the snapshot or the rules); it fails the run too
# unless FAULT_ALLOW_MISREPORT=1.
#
# --asan uses the ASan+UBSan build (build/fault/asan/kaohe, made by fault.mk
# with the Makefile's SANITIZE=1) so that leaks and memory errors on the
# failure paths are reported (LeakSanitizer runs at exit). Default: the plain
# ./kaohe (fastest; catches crashes, hangs, bad exits and damaged results).
# --threads: the same N again with --jobs 2 (the query threads' failure
# paths; the order of allocations then varies between runs, so a failure
# found this way may need a few tries to reproduce).
# --persist: every allocation from the Nth on fails, not just the Nth (the
# machine stays out of memory: proves that paths which survive one failure,
# such as Lua's emergency collection, still end cleanly).
# --new: RESULTS does not exist before each run (a new results file, built
# under a temporary name and written while the run is computed): a run that
# fails leaves no RESULTS and no temporary file; one that exits 0 leaves
# exactly the results of a normal run as run 1.
# --only N,...: just these N (to reproduce). --jobs J: J runs at a time
# (default: cores).
#
# Prints one line per failing N (exit, first stderr line, what is wrong, how to
# reproduce), a summary of the distinct outcomes, the counts and the time;
# exits 1 when any N failed. Work files: $FAULT_WORK (default build/fault/work;
# the directories of failing N are kept).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT" || exit 2

LIB=${FAULT_LIB:-$ROOT/build/fault/faultinject.so}
KAOHE_BIN=
asan=0
bound=${FAULT_BOUND:-300}
sample=${FAULT_SAMPLE:-300}
exhaustive=0
threads=0
only=
jobs=$(nproc 2>/dev/null || echo 2)
snapshot=$ROOT/fixtures/small.db

# --- one run (called back through xargs) ---------------------------------------
if [ "${1:-}" = --one ]; then
    n=$2 jobs_flag=$3
    work=$FAULT_WORK/n$n-j$jobs_flag
    rm -rf "$work"
    mkdir -p "$work"
    [ "$FAULT_RUN" = 1 ] || cp "$FAULT_WORK/base.db" "$work/results.db"
    start=$(date +%s%N)
    (
        cd "$work" || exit 99
        FAULT_FAIL_AT=$n FAULT_LOG=$work/fault.log LD_PRELOAD=$LIB \
            timeout -k 5 60 "$FAULT_KAOHE" eval "$FAULT_SNAPSHOT" --out results.db \
            --jobs "$jobs_flag" >stdout 2>stderr </dev/null
    )
    code=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    problems=()
    first=$(grep -v '^faultinject:' "$work/stderr" | grep -m1 . | cut -c1-200)
    if [ "$code" -ge 124 ]; then
        case $code in
        124 | 137) problems+=("hung (killed after 60 s)") ;;
        *) problems+=("died of signal $((code - 128))") ;;
        esac
    fi
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|PANIC|Assertion|double free|corrupted' "$work/stderr"; then
        problems+=("$(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|LeakSanitizer: detected memory leaks|runtime error:.{0,80}|PANIC.{0,80}|Assertion.{0,80}' "$work/stderr")")
    fi
    if [ "$code" -gt 0 ] && [ "$code" -lt 124 ] && ! grep -q '^kaohe' "$work/stderr"; then
        problems+=("exit $code without a kaohe: message")
    fi
    # RESULTS: integrity, the earlier run unchanged, the new run whole or absent
    # (with --new, RESULTS itself absent).
    if [ "$FAULT_RUN" = 1 ] && [ ! -e "$work/results.db" ]; then
        [ "$code" != 0 ] || problems+=("exit 0 but no results file")
        ! grep -q 'the results were written as run' "$work/stderr" ||
            problems+=("says the run was written but there is no results file")
    else
        integrity=$(sqlite3 -batch "$work/results.db" 'PRAGMA integrity_check' 2>&1)
        [ "$integrity" = ok ] || problems+=("integrity_check: $integrity")
        if [ "$FAULT_RUN" = 2 ]; then
            earlier=$(sqlite3 -batch "$work/results.db" "$FAULT_EARLIER_SQL" 2>&1 | sha256sum | cut -c1-16)
            [ "$earlier" = "$FAULT_EARLIER_SUM" ] || problems+=("the earlier run's rows changed")
        fi
        runs=$(sqlite3 -batch "$work/results.db" 'SELECT count(*) FROM runs' 2>&1)
        if [ "$code" = 0 ]; then
            whole=$(sqlite3 -batch "$work/results.db" \
                "SELECT (SELECT count(*) FROM indicator_scores WHERE run_id = $FAULT_RUN) =
                        (SELECT communities FROM runs WHERE run_id = $FAULT_RUN) * $FAULT_INDICATORS" 2>&1)
            [ "$runs" = "$FAULT_RUN" ] && [ "$whole" = 1 ] || problems+=("exit 0 but runs=$runs, new run whole=$whole")
            # A tolerated failure must not change a single result.
            same=$(sqlite3 -batch "$work/results.db" "$FAULT_NEW_SQL" 2>&1 | sha256sum | cut -c1-16)
            [ "$same" = "$FAULT_NEW_SUM" ] || problems+=("exit 0 but the new run's results differ from a normal run's")
        elif [ "$code" -lt 124 ] && grep -q "the results were written as run $FAULT_RUN" "$work/stderr"; then
            # Failed after the commit (printing the report): the run must be whole
            # and right, and the message says it was written.
            same=$(sqlite3 -batch "$work/results.db" "$FAULT_NEW_SQL" 2>&1 | sha256sum | cut -c1-16)
            [ "$runs" = "$FAULT_RUN" ] && [ "$same" = "$FAULT_NEW_SUM" ] ||
                problems+=("says run $FAULT_RUN was written but runs=$runs, same as a normal run: $([ "$same" = "$FAULT_NEW_SUM" ] && echo yes || echo no)")
        elif [ "$code" -lt 124 ] && [ "$FAULT_RUN" = 1 ]; then
            problems+=("failed (exit $code) but left a results file (runs=$runs)")
        elif [ "$code" -lt 124 ]; then
            [ "$runs" = 1 ] || problems+=("failed (exit $code) but runs=$runs")
        fi
    fi
    leftovers=$(cd "$work" && ls -A | grep -vxE 'results.db|stdout|stderr|fault.log' | tr '\n' ' ')
    [ -z "$leftovers" ] || problems+=("left behind: $leftovers")
    # The inputs are valid: a refusal can only be the machine's failure, exit 3.
    # Exit 1 or 2 is a wrong status; worse when the message blames the input.
    misreported=
    if [ "$code" = 1 ] || [ "$code" = 2 ]; then
        if grep -qiE 'out of memory|memory limit|not enough memory|nomem|allocate' "$work/stderr"; then
            misreported="exit $code for out of memory"
        else
            misreported="exit $code, blames the input"
        fi
    fi
    outcome="exit $code: $(printf '%s' "$first" | sed -E 's/[0-9]+/N/g; s/\/[^ :]*\///g' | cut -c1-110)"
    if [ ${#problems[@]} -gt 0 ]; then
        printf 'FAIL\t%s\t%s\t%s\t%s\t%s\n' "$n" "$jobs_flag" "$code" "$(IFS=';'; echo "${problems[*]}")" "$first"
    elif [ -n "$misreported" ]; then
        printf 'MISREPORT\t%s\t%s\t%s\t%s\t%s\n' "$n" "$jobs_flag" "$code" "$misreported" "$first"
        rm -rf "$work"
    else
        printf 'ok\t%s\t%s\t%s\t%s\t%s\n' "$n" "$jobs_flag" "$code" "$ms" "$outcome"
        rm -rf "$work"
    fi
    exit 0
fi

while [ $# -gt 0 ]; do
    case $1 in
    --asan) asan=1; shift ;;
    --bound) bound=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --exhaustive) exhaustive=1; shift ;;
    --threads) threads=1; shift ;;
    --persist) export FAULT_PERSIST=1; shift ;;
    --only) only=$2; shift 2 ;;
    --new) export FAULT_RUN=1; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --kaohe) KAOHE_BIN=$2; shift 2 ;;
    --snapshot) snapshot=$2; shift 2 ;;
    -h | --help) sed -n '2,45p' "$0"; exit 0 ;;
    *) echo "fault: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$KAOHE_BIN" ]; then
    if [ "$asan" = 1 ]; then KAOHE_BIN=$ROOT/build/fault/asan/kaohe; else KAOHE_BIN=$ROOT/kaohe; fi
fi
case $KAOHE_BIN in /*) ;; *) KAOHE_BIN=$ROOT/$KAOHE_BIN ;; esac
for f in "$LIB" "$KAOHE_BIN" "$snapshot"; do
    [ -e "$f" ] || { echo "fault: $f is missing (make fault-build, make)" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "fault: the sqlite3 shell is needed" >&2; exit 2; }

export FAULT_WORK=${FAULT_WORK:-$ROOT/build/fault/work}
# The run each eval writes: 2 after the earlier run, 1 with --new.
export FAULT_RUN=${FAULT_RUN:-2}
export FAULT_SNAPSHOT=$snapshot LIB
# ASan with a preloaded malloc: the link-order check would refuse to start;
# leaks make the run fail; a Lua panic's abort() is reported, not a core.
export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1:abort_on_error=0:exitcode=86:symbolize=1}
# Leaks inside glibc's and OpenSSL's own failure paths (see lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/fault/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export KAOHE_HOME=$ROOT
rm -rf "$FAULT_WORK"
mkdir -p "$FAULT_WORK"
# A private copy of the binary: a rebuild during the sweep must not change it.
cp "$KAOHE_BIN" "$FAULT_WORK/kaohe" || exit 2
export FAULT_KAOHE=$FAULT_WORK/kaohe
KAOHE_BIN=$FAULT_KAOHE

# The earlier run: one normal eval into a new results file.
if ! (cd "$FAULT_WORK" && "$KAOHE_BIN" eval "$snapshot" --out base.db --jobs 1 --quiet); then
    echo "fault: a normal run fails; nothing to test" >&2
    exit 1
fi
export FAULT_INDICATORS
FAULT_INDICATORS=$(sqlite3 -batch "$FAULT_WORK/base.db" 'SELECT count(DISTINCT indicator_id) FROM indicator_scores')
export FAULT_EARLIER_SQL="SELECT * FROM runs WHERE run_id = 1;
  SELECT * FROM indicator_scores WHERE run_id = 1 ORDER BY community_id, indicator_id;
  SELECT * FROM community_scores WHERE run_id = 1 ORDER BY community_id;
  SELECT * FROM target_checks WHERE run_id = 1 ORDER BY target_id, scope, scope_id;
  SELECT * FROM worker_appraisals WHERE run_id = 1 ORDER BY worker_id;
  SELECT * FROM task_decisions WHERE run_id = 1 ORDER BY task_id;
  SELECT * FROM category_scores WHERE run_id = 1 ORDER BY community_id, category_id;"
export FAULT_EARLIER_SUM
FAULT_EARLIER_SUM=$(sqlite3 -batch "$FAULT_WORK/base.db" "$FAULT_EARLIER_SQL" | sha256sum | cut -c1-16)

# Count the allocations of a normal run (same command, same kind of RESULTS).
[ "$FAULT_RUN" = 1 ] || cp "$FAULT_WORK/base.db" "$FAULT_WORK/count.db"
(cd "$FAULT_WORK" && FAULT_COUNT_FILE=$FAULT_WORK/count LD_PRELOAD=$LIB \
    "$KAOHE_BIN" eval "$snapshot" --out count.db --jobs 1 >/dev/null 2>&1)
total=$(cat "$FAULT_WORK/count" 2>/dev/null)
[ -n "$total" ] && [ "$total" -gt 0 ] || { echo "fault: counting failed (is $LIB loading?)" >&2; exit 1; }
# What a normal run writes (run $FAULT_RUN of count.db), without its times: a
# run that tolerated a failure must write exactly this.
export FAULT_NEW_SQL="SELECT engine_version, snapshot_sha256, rules_sha256, as_of, params, region,
    snapshot_path, rules_root, kind, scenario, baseline_run_id, communities FROM runs WHERE run_id = $FAULT_RUN;"
for t in indicator_scores community_scores category_scores target_checks worker_appraisals \
    task_decisions department_stats run_communities run_indicators run_categories run_targets; do
    FAULT_NEW_SQL="$FAULT_NEW_SQL SELECT * FROM $t WHERE run_id = $FAULT_RUN ORDER BY 2, 3, 4;"
done
export FAULT_NEW_SUM
FAULT_NEW_SUM=$(sqlite3 -batch "$FAULT_WORK/count.db" "$FAULT_NEW_SQL" | sha256sum | cut -c1-16)

# The N to try.
list=$FAULT_WORK/list
if [ -n "$only" ]; then
    tr ',' '\n' <<<"$only" >"$list"
elif [ "$exhaustive" = 1 ]; then
    seq 1 "$total" >"$list"
else
    {
        seq 1 $((bound < total ? bound : total))
        if [ "$total" -gt "$bound" ] && [ "$sample" -gt 0 ]; then
            # S values spread evenly over (bound, total], offset by a fixed 7.
            awk -v b="$bound" -v t="$total" -v s="$sample" 'BEGIN {
                step = (t - b) / s; for (i = 0; i < s; i++) { n = int(b + 1 + i * step + 7);
                if (n > t) n = t; print n } }'
        fi
    } | sort -nu >"$list"
fi
count=$(wc -l <"$list")
echo "fault: $(basename "$KAOHE_BIN")$([ "$asan" = 1 ] && echo ' (ASan+UBSan+LSan)')$([ "${FAULT_PERSIST:-0}" = 1 ] && echo ', every allocation from the Nth on fails') eval $(basename "$snapshot")$([ "$FAULT_RUN" = 1 ] && echo " into a new results file"): $total allocations in a normal run; trying $count values of N with $jobs at a time"
start=$(date +%s)
out=$FAULT_WORK/outcomes
{
    sed 's/$/ 1/' "$list"
    [ "$threads" = 1 ] && sed 's/$/ 2/' "$list"
} | xargs -P "$jobs" -n 2 bash "$0" --one >"$out"
elapsed=$(($(date +%s) - start))

tried=$(wc -l <"$out")
failed=$(grep -c '^FAIL' "$out")
misreported=$(grep -c '^MISREPORT' "$out")
tolerated=$(awk -F'\t' '$1 == "ok" && $4 == 0' "$out" | wc -l)
refused=$(awk -F'\t' '$1 == "ok" && $4 != 0' "$out" | wc -l)
echo
echo "distinct outcomes (how many N):"
awk -F'\t' '$1 == "ok" { print $6 }' "$out" | sort | uniq -c | sort -rn | head -30 | sed 's/^/  /'
if [ "$misreported" -gt 0 ]; then
    echo
    echo "wrong exit status ($misreported N): an allocation failure must exit 3 (or 0), not 1:"
    awk -F'\t' '$1 == "MISREPORT" { m = $6; gsub(/[0-9]+/, "N", m); gsub(/\/[^ :]*\//, "", m); print $5 ": " m }' "$out" |
        sort | uniq -c | sort -rn | head -30 | sed 's/^/  /'
fi
if [ "$failed" -gt 0 ]; then
    echo
    echo "FAILURES ($failed):"
    sort -t$'\t' -k2,2n "$out" | awk -F'\t' '$1 == "FAIL" { printf "  N=%s jobs=%s exit=%s: %s\n      stderr: %s\n", $2, $3, $4, $5, $6 }' | head -80
    first=$(awk -F'\t' '$1 == "FAIL" { print $2; exit }' "$out")
    echo
    echo "reproduce: cd $FAULT_WORK && $([ "$FAULT_RUN" = 1 ] && echo 'rm -f r.db' || echo 'cp base.db r.db') && FAULT_FAIL_AT=$first $([ "${FAULT_PERSIST:-0}" = 1 ] && echo 'FAULT_PERSIST=1 ')FAULT_LOG=/dev/stderr LD_PRELOAD=$LIB $KAOHE_BIN eval $snapshot --out r.db --jobs 1"
    echo "(the engine checks tables and hashes the snapshot in threads, so the Nth allocation"
    echo " is not always the same one: a failure may need a few tries, or a nearby N)"
    echo "(work directories of the failing N are kept in $FAULT_WORK/nN-jJ)"
fi
echo
echo "fault: $tried runs (N up to $total), $tolerated tolerated (exit 0), $refused refused cleanly, $misreported wrong exit status, $failed FAILED, ${elapsed}s"
[ "$failed" = 0 ] && { [ "$misreported" = 0 ] || [ "${FAULT_ALLOW_MISREPORT:-0}" = 1 ]; }
