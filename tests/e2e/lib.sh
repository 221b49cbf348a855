# tests/e2e/lib.sh — the end-to-end test harness (sourced by run.sh).
#
# A test file tests/e2e/test_*.sh defines functions named test_<behaviour>;
# run.sh sources each file in a subshell and runs its test_ functions in the
# order they are written, each in its own subshell with:
#
#   cwd / $TEST_TMP   an empty scratch directory, removed afterwards
#   $TEST_META        where the harness keeps captured output (not $TEST_TMP,
#                     so tests can assert exactly what a directory holds)
#
# Running the engine:
#   run_kaohe ARGS...              runs "$KAOHE" ARGS (prefixed by
#                                  $KAOHE_WRAPPER), stdin from /dev/null,
#                                  killed after $E2E_CALL_TIMEOUT or
#                                  $E2E_TIMEOUT seconds;
#                                  sets LAST_EXIT, LAST_MS, LAST_STDOUT and
#                                  LAST_STDERR (files), LAST_CMD
#   run_kaohe_timeout SECS ARGS... the same with a time limit of its own
#   run_kaohe_as_nobody ARGS...    the same as an unprivileged user (for
#                                  permission tests when the suite runs as root)
#
# Assertions record a failure and return 1; the test goes on, so one run
# reports everything that is wrong. `die` ends the test at once (setup).
#   expect_exit N
#   expect_stderr_contains TEXT... / expect_stdout_contains TEXT...
#   expect_stderr_matches ERE / expect_stderr_not_contains TEXT
#   expect_sql DB "SQL" "expected output"   (sqlite3 -batch, '|' separated)
#   expect_file_absent PATH / expect_same_bytes PATH SHA / expect_dir_holds DIR NAME...
#   expect_eq ACTUAL EXPECTED WHAT
#   expect_eval_refused EXIT NEEDLE... -- KAOHE_ARGS...
#       the run fails with EXIT, stderr holds every NEEDLE, and RESULTS is
#       untouched: tried once with --out naming an absent file (it must stay
#       absent, no temporary left behind) and once with an existing results
#       database (it must stay byte-identical).
#
# Inputs:
#   snapshot_variant NAME "SQL"    $TEST_TMP/NAME = fixtures/sample.db + SQL
#   copy_rules DIR                 DIR/indicators and DIR/rules = the shipped ones
#   edit_file FILE SED-SCRIPT      sed -i, and die if nothing changed
#   write_rule FILE LINE...        a rule file from the given lines
#
# Output: one line per test, the failures' details, and a summary whose last
# line is exactly "e2e: N passed, M failed".

# shellcheck disable=SC2034 # variables set here are for the test files

# --- locations ---------------------------------------------------------------

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd -P)
SHARED_DIR=$REPO_ROOT/../shared
KAOHE=${KAOHE:-$REPO_ROOT/kaohe}
# Tests run in their own directories: make a relative KAOHE absolute.
case $KAOHE in
/*) ;;
*/*) KAOHE=$(cd "$(dirname "$KAOHE")" 2>/dev/null && pwd -P)/$(basename "$KAOHE") ;;
esac
KAOHE_WRAPPER=${KAOHE_WRAPPER:-}
read -r -a KAOHE_WRAPPER_WORDS <<<"$KAOHE_WRAPPER"
SAMPLE_DB=$REPO_ROOT/fixtures/sample.db
SAMPLE_SQL=$REPO_ROOT/fixtures/sample.sql

# Default time limit for one engine run, in seconds; generous under a wrapper.
if [ -n "$KAOHE_WRAPPER" ]; then
    E2E_TIMEOUT=${E2E_TIMEOUT:-1200}
else
    E2E_TIMEOUT=${E2E_TIMEOUT:-60}
fi

# True when the engine runs under a wrapper such as valgrind (timings mean
# nothing then).
under_wrapper() {
    [ -n "$KAOHE_WRAPPER" ]
}

# Scales a time limit for the wrapper: valgrind is 20-50 times slower.
scaled_timeout() {
    if under_wrapper; then
        echo $(($1 * 30))
    else
        echo "$1"
    fi
}

# --- reporting -----------------------------------------------------------------

# Records a failure with a message (and what the last engine run did).
# (Printed on stderr and recorded in a file, so a failure inside $(...) or a
# pipeline still counts.)
fail() {
    TEST_FAILED=1
    : >"$TEST_META/failed"
    echo "  FAIL: $*" >&2
    return 1
}

# Prints the last engine run: command, exit status, captured output.
show_last_run() {
    show_last_run_to_stdout >&2
}

show_last_run_to_stdout() {
    [ -n "${LAST_CMD:-}" ] || return 0
    [ "${E2E_SHOWN_RUN:-}" != "$E2E_RUN_COUNT" ] || return 0 # once per run
    E2E_SHOWN_RUN=$E2E_RUN_COUNT
    echo "    command: $LAST_CMD"
    echo "    exit: $LAST_EXIT$([ "${LAST_TIMED_OUT:-0}" = 1 ] && echo " (killed after the time limit)") in ${LAST_MS}ms"
    if [ -s "$LAST_STDERR" ]; then
        echo "    stderr:"
        head -n 12 "$LAST_STDERR" | cut -c1-300 | sed 's/^/      | /'
        [ "$(wc -l <"$LAST_STDERR")" -le 12 ] || echo "      | ... ($(wc -l <"$LAST_STDERR") lines)"
    else
        echo "    stderr: (empty)"
    fi
    if [ -s "$LAST_STDOUT" ]; then
        echo "    stdout:"
        head -n 5 "$LAST_STDOUT" | cut -c1-300 | sed 's/^/      | /'
        [ "$(wc -l <"$LAST_STDOUT")" -le 5 ] || echo "      | ... ($(wc -l <"$LAST_STDOUT") lines)"
    fi
}

# Ends the test now: a setup step failed.
die() {
    TEST_FAILED=1
    : >"$TEST_META/failed"
    echo "  FAIL (setup): $*" >&2
    exit 1
}

# Marks the test skipped with a reason and ends it.
skip() {
    echo "$*" >"$TEST_META/skipped"
    exit 0
}

# Prints a note in the test's log (shown when the test fails).
note() {
    echo "  note: $*"
}

# --- running the engine --------------------------------------------------------

LAST_CMD=
LAST_EXIT=
LAST_MS=0
LAST_TIMED_OUT=0
LAST_STDOUT=/dev/null
LAST_STDERR=/dev/null
E2E_RUN_COUNT=0
KAOHE_PREFIX=()

# run_kaohe_timeout SECS ARGS...: runs the engine with a time limit.
run_kaohe_timeout() {
    local limit=$1 start end
    shift
    E2E_RUN_COUNT=$((E2E_RUN_COUNT + 1))
    LAST_STDOUT=$TEST_META/stdout.$E2E_RUN_COUNT
    LAST_STDERR=$TEST_META/stderr.$E2E_RUN_COUNT
    LAST_CMD="${KAOHE_PREFIX[*]:+${KAOHE_PREFIX[*]} }${KAOHE_WRAPPER:+$KAOHE_WRAPPER }kaohe $*"
    start=$(date +%s%N)
    timeout -k 5 "$limit" ${KAOHE_PREFIX[@]+"${KAOHE_PREFIX[@]}"} \
        ${KAOHE_WRAPPER_WORDS[@]+"${KAOHE_WRAPPER_WORDS[@]}"} "$KAOHE" "$@" \
        >"$LAST_STDOUT" 2>"$LAST_STDERR" </dev/null
    LAST_EXIT=$?
    end=$(date +%s%N)
    LAST_MS=$(((end - start) / 1000000))
    LAST_TIMED_OUT=0
    if [ "$LAST_EXIT" = 124 ] || [ "$LAST_EXIT" = 137 ]; then
        LAST_TIMED_OUT=1
    fi
    return 0
}

# run_kaohe ARGS...: runs the engine with the default time limit, or
# E2E_CALL_TIMEOUT when a caller sets it (e.g. `local E2E_CALL_TIMEOUT=5`).
run_kaohe() {
    run_kaohe_timeout "${E2E_CALL_TIMEOUT:-$E2E_TIMEOUT}" "$@"
}

# run_kaohe_as_nobody ARGS...: runs the engine as an unprivileged user when
# the suite runs as root (root ignores directory permissions).
run_kaohe_as_nobody() {
    if [ "$(id -u)" = 0 ]; then
        KAOHE_PREFIX=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    run_kaohe "$@"
    KAOHE_PREFIX=()
}

# --- assertions ----------------------------------------------------------------

expect_exit() {
    if [ "$LAST_EXIT" != "$1" ]; then
        fail "expected exit status $1, got $LAST_EXIT"
        show_last_run
        return 1
    fi
}

# Every argument must appear (as a fixed string) in the last run's stderr.
expect_stderr_contains() {
    local needle status=0
    for needle in "$@"; do
        if ! grep -qF -- "$needle" "$LAST_STDERR"; then
            fail "stderr does not contain: $needle"
            status=1
        fi
    done
    [ "$status" = 0 ] || show_last_run
    return "$status"
}

expect_stderr_not_contains() {
    if grep -qF -- "$1" "$LAST_STDERR"; then
        fail "stderr contains: $1"
        show_last_run
        return 1
    fi
}

expect_stderr_matches() {
    if ! grep -qE -- "$1" "$LAST_STDERR"; then
        fail "stderr does not match: $1"
        show_last_run
        return 1
    fi
}

expect_stdout_contains() {
    local needle status=0
    for needle in "$@"; do
        if ! grep -qF -- "$needle" "$LAST_STDOUT"; then
            fail "stdout does not contain: $needle"
            status=1
        fi
    done
    [ "$status" = 0 ] || show_last_run
    return "$status"
}

expect_eq() {
    if [ "$1" != "$2" ]; then
        fail "$3: expected '$2', got '$1'"
        return 1
    fi
}

# expect_sql DB SQL EXPECTED: the query's output (rows on lines, columns
# separated by '|') equals EXPECTED.
expect_sql() {
    local db=$1 sql=$2 expected=$3 actual
    if ! actual=$(sqlite3 -batch -noheader "$db" "$sql" 2>&1); then
        fail "sqlite3 failed on $db: $sql: $actual"
        return 1
    fi
    if [ "$actual" != "$expected" ]; then
        fail "SQL on $(basename "$db"): $sql"
        echo "    expected: $(printf '%s' "$expected" | head -c 600)" >&2
        echo "    actual:   $(printf '%s' "$actual" | head -c 600)" >&2
        return 1
    fi
}

# sql DB SQL: prints a query's output (dies if sqlite3 fails).
sql() {
    local out
    out=$(sqlite3 -batch -noheader "$1" "$2" 2>&1) || die "sqlite3 $1: $2: $out"
    printf '%s\n' "$out"
}

expect_file_absent() {
    if [ -e "$1" ]; then
        fail "$1 exists but should not"
        return 1
    fi
}

# sha256 of a file's bytes.
file_sha() {
    sha256sum "$1" | cut -d' ' -f1
}

expect_same_bytes() {
    if [ ! -f "$1" ]; then
        fail "$1 has disappeared"
        return 1
    fi
    if [ "$(file_sha "$1")" != "$2" ]; then
        fail "$1 was modified"
        return 1
    fi
}

# expect_dir_holds DIR NAME...: DIR holds exactly these entries (none when
# no NAME is given), hidden ones included.
expect_dir_holds() {
    local dir=$1 actual expected
    shift
    actual=$(cd "$dir" && LC_ALL=C ls -A | tr '\n' ' ')
    expected=$(printf '%s\n' "$@" | LC_ALL=C sort | grep -v '^$' | tr '\n' ' ')
    if [ "$actual" != "$expected" ]; then
        fail "$dir holds [${actual% }], expected [${expected% }]"
        return 1
    fi
}

# expect_eval_refused EXIT NEEDLE... -- ARGS...
expect_eval_refused() {
    local code=$1 needles=() args=() seen=0 arg dir sum status=0
    shift
    for arg in "$@"; do
        if [ "$seen" = 0 ] && [ "$arg" = "--" ]; then
            seen=1
        elif [ "$seen" = 0 ]; then
            needles+=("$arg")
        else
            args+=("$arg")
        fi
    done
    [ "$seen" = 1 ] || die "expect_eval_refused: no -- before the engine arguments"
    E2E_REFUSED_SEQ=$((${E2E_REFUSED_SEQ:-0} + 1))

    # 1. RESULTS does not exist: it must still not exist afterwards.
    dir=$TEST_TMP/out-absent-$E2E_REFUSED_SEQ
    mkdir -p "$dir" || die "mkdir $dir"
    run_kaohe "${args[@]}" --out "$dir/results.db"
    expect_exit "$code" || status=1
    if [ "${#needles[@]}" -gt 0 ]; then
        expect_stderr_contains "${needles[@]}" || status=1
    fi
    expect_dir_holds "$dir" || status=1

    # 2. RESULTS is an existing results database: it must keep its bytes.
    dir=$TEST_TMP/out-existing-$E2E_REFUSED_SEQ
    mkdir -p "$dir" || die "mkdir $dir"
    cp "$E2E_RESULTS_FIXTURE" "$dir/results.db" || die "cannot copy the results fixture"
    sum=$(file_sha "$dir/results.db")
    run_kaohe "${args[@]}" --out "$dir/results.db"
    expect_exit "$code" || status=1
    if [ "${#needles[@]}" -gt 0 ]; then
        expect_stderr_contains "${needles[@]}" || status=1
    fi
    expect_same_bytes "$dir/results.db" "$sum" || status=1
    expect_dir_holds "$dir" results.db || status=1
    return "$status"
}

# --- inputs --------------------------------------------------------------------

# snapshot_variant NAME SQL: $TEST_TMP/NAME is a copy of the sample snapshot
# changed by SQL.
snapshot_variant() {
    local out
    [ -f "$SAMPLE_DB" ] || die "$SAMPLE_DB is missing (run make)"
    cp "$SAMPLE_DB" "$TEST_TMP/$1" || die "cannot copy $SAMPLE_DB"
    out=$(sqlite3 -batch "$TEST_TMP/$1" "$2" 2>&1) || die "building $1: $2: $out"
}

# copy_rules DIR: a private copy of the shipped rule tree.
copy_rules() {
    mkdir -p "$1" || die "mkdir $1"
    cp -R "$REPO_ROOT/indicators" "$REPO_ROOT/rules" "$1/" || die "cannot copy the rules"
}

# edit_file FILE SED-SCRIPT: edits a copy; dies when the script changed
# nothing (the shipped rules moved on and the test needs updating).
edit_file() {
    local before
    before=$(file_sha "$1") || die "no file $1"
    sed -i -e "$2" "$1" || die "sed failed on $1"
    [ "$(file_sha "$1")" != "$before" ] || die "sed '$2' changed nothing in $1"
}

# write_rule FILE LINE...: writes a rule file, one argument per line.
write_rule() {
    local file=$1
    shift
    mkdir -p "$(dirname "$file")" || die "mkdir for $file"
    printf '%s\n' "$@" >"$file" || die "cannot write $file"
}

# line_of FILE ERE: number of the first line matching ERE (dies if none).
line_of() {
    local n
    n=$(grep -nE -m1 -- "$2" "$1" | cut -d: -f1)
    [ -n "$n" ] || die "no line matching '$2' in $1"
    echo "$n"
}

# The generated snapshot of 2,000 communities, made once per suite run.
big_snapshot() {
    local f=$E2E_SUITE_TMP/gen-2000-seed1.db
    if [ ! -f "$f" ]; then
        run_kaohe_timeout "$(scaled_timeout 120)" gen --communities 2000 --seed 1 --out "$f.tmp" --quiet
        [ "$LAST_EXIT" = 0 ] || die "kaohe gen failed: $(head -n 3 "$LAST_STDERR")"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# start_kaohe ARGS...: the engine in the background; sets BG_PID.
start_kaohe() {
    ${KAOHE_WRAPPER_WORDS[@]+"${KAOHE_WRAPPER_WORDS[@]}"} "$KAOHE" "$@" \
        >"$TEST_META/bg.stdout" 2>"$TEST_META/bg.stderr" </dev/null &
    BG_PID=$!
}

# --- the runner ----------------------------------------------------------------

# Creates the suite's scratch area and shared fixtures.
e2e_setup() {
    E2E_SUITE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kaohe-e2e.XXXXXX") || {
        echo "e2e: cannot create a temporary directory" >&2
        exit 3
    }
    chmod 755 "$E2E_SUITE_TMP"
    E2E_RESULTS_FILE=$E2E_SUITE_TMP/results.txt
    : >"$E2E_RESULTS_FILE"
    # An existing results database, made without the engine, for the
    # "RESULTS is left untouched" checks.
    E2E_RESULTS_FIXTURE=$E2E_SUITE_TMP/existing-results.db
    local schema=$REPO_ROOT/engine/results/results_schema.sql
    [ -f "$schema" ] || schema=$SHARED_DIR/spec/results.sql
    if ! sqlite3 -batch "$E2E_RESULTS_FIXTURE" <"$schema" ||
        ! sqlite3 -batch "$E2E_RESULTS_FIXTURE" \
            "INSERT INTO runs VALUES (1, '2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z', 'fixture',
               '$(printf '0%.0s' {1..64})', '$(printf 'f%.0s' {1..64})', '2025-12-31', '{}');
             INSERT INTO community_scores VALUES (1, '3710010101', 50.5, 0, 1);"; then
        echo "e2e: cannot build the results fixture from $schema" >&2
        exit 3
    fi
    export E2E_SUITE_TMP E2E_RESULTS_FILE E2E_RESULTS_FIXTURE
    trap e2e_cleanup EXIT
}

e2e_cleanup() {
    if [ -n "${E2E_SUITE_TMP:-}" ] && [ -d "$E2E_SUITE_TMP" ]; then
        if [ "${E2E_KEEP:-0}" = 1 ]; then
            echo "e2e: kept $E2E_SUITE_TMP"
        else
            chmod -R u+rwX "$E2E_SUITE_TMP" 2>/dev/null
            rm -rf "$E2E_SUITE_TMP"
        fi
    fi
}

# The test_ functions defined by FILE, in the order they are written.
e2e_tests_of() {
    local file=$1 name line source
    shopt -s extdebug
    while read -r _ _ name; do
        case $name in test_*) ;; *) continue ;; esac
        read -r _ line source < <(declare -F "$name")
        [ "$source" = "$file" ] && echo "$line $name"
    done < <(declare -F)
    shopt -u extdebug
}

# Runs one test function in a subshell with its own scratch directory.
e2e_run_test() {
    local name=$1 file=$2 dir status start end ms verdict
    dir=$(mktemp -d "$E2E_SUITE_TMP/t.XXXXXX") || return 1
    mkdir "$dir/work" "$dir/meta"
    start=$(date +%s%N)
    (
        TEST_NAME=$name
        TEST_FILE=$file
        TEST_TMP=$dir/work
        TEST_META=$dir/meta
        TEST_FAILED=0
        cd "$TEST_TMP" || exit 1
        "$name"
        exit "$TEST_FAILED"
    ) >"$dir/meta/log" 2>&1
    status=$?
    [ ! -f "$dir/meta/failed" ] || status=1
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    if [ -f "$dir/meta/skipped" ] && [ "$status" = 0 ]; then
        verdict=skip
        printf 'skip %s: %s\n' "$name" "$(cat "$dir/meta/skipped")"
    elif [ "$status" = 0 ]; then
        verdict=pass
        printf 'ok   %s (%d.%01ds)\n' "$name" $((ms / 1000)) $((ms % 1000 / 100))
    else
        verdict=fail
        printf 'FAIL %s (%d.%01ds) [%s]\n' "$name" $((ms / 1000)) $((ms % 1000 / 100)) \
            "${file#"$REPO_ROOT"/}"
        if [ -s "$dir/meta/log" ]; then
            sed 's/^/  /' "$dir/meta/log"
        else
            echo "    (the test ended with status $status and printed nothing)"
        fi
    fi
    echo "$verdict $name" >>"$E2E_RESULTS_FILE"
    if [ "$verdict" != fail ] || [ "${E2E_KEEP:-0}" != 1 ]; then
        chmod -R u+rwX "$dir" 2>/dev/null
        rm -rf "$dir"
    fi
}

# Sources FILE in a subshell and runs its tests that match E2E_FILTER (all of
# them when the file's own name matches).
e2e_run_file() {
    local file=$1
    (
        # shellcheck source=/dev/null
        if ! source "$file"; then
            echo "FAIL $(basename "$file"): cannot be sourced"
            echo "fail $(basename "$file")" >>"$E2E_RESULTS_FILE"
            exit 0
        fi
        local line name base
        base=$(basename "$file" .sh)
        while read -r line name; do
            if [ -n "${E2E_FILTER:-}" ] && ! [[ $name =~ $E2E_FILTER ]] &&
                ! [[ $base =~ $E2E_FILTER ]]; then
                continue
            fi
            e2e_run_test "$name" "$file"
        done < <(e2e_tests_of "$file" | sort -n)
    )
}

# Prints the summary; its last line is "e2e: N passed, M failed".
e2e_summary() {
    local passed failed skipped
    passed=$(grep -c '^pass ' "$E2E_RESULTS_FILE")
    failed=$(grep -c '^fail ' "$E2E_RESULTS_FILE")
    skipped=$(grep -c '^skip ' "$E2E_RESULTS_FILE")
    echo
    if [ "$failed" -gt 0 ]; then
        echo "failed:"
        grep '^fail ' "$E2E_RESULTS_FILE" | sed 's/^fail /  /'
    fi
    if [ "$skipped" -gt 0 ]; then
        echo "e2e: $skipped skipped: $(grep '^skip ' "$E2E_RESULTS_FILE" | cut -d' ' -f2 | tr '\n' ' ')"
    fi
    echo "e2e: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}
