#!/usr/bin/env bash
# tests/e2e/run.sh — runs the end-to-end suite.
#
#   KAOHE=/abs/path/kaohe bash tests/e2e/run.sh [PATTERN...]
#
# KAOHE defaults to ./kaohe at the repository root; KAOHE_WRAPPER (e.g.
# "valgrind -q --error-exitcode=99") prefixes every run of the binary.
# PATTERNs (extended regular expressions, or E2E_FILTER) select tests by
# name, or every test of a file whose name matches (results_trust); E2E_KEEP=1 keeps the scratch directories of failed tests.
# Works from any directory. The last line of output is
# "e2e: N passed, M failed"; the exit status is non-zero when M > 0.
set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=tests/e2e/lib.sh
source "$E2E_DIR/lib.sh"

if [ "$#" -gt 0 ]; then
    E2E_FILTER=$(
        IFS='|'
        echo "$*"
    )
fi
E2E_FILTER=${E2E_FILTER:-}

if [ ! -x "$KAOHE" ]; then
    echo "e2e: no engine binary at $KAOHE (run make, or set KAOHE)" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
fi
if ! command -v sqlite3 >/dev/null; then
    echo "e2e: the sqlite3 shell is needed" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
fi

e2e_setup
echo "e2e: $KAOHE${KAOHE_WRAPPER:+ under $KAOHE_WRAPPER}${E2E_FILTER:+ (tests matching $E2E_FILTER)}"
while IFS= read -r file; do
    [ -f "$file" ] || continue
    echo "== ${file#"$REPO_ROOT"/}"
    e2e_run_file "$file"
done < <(printf '%s\n' "$E2E_DIR"/test_*.sh | LC_ALL=C sort)
e2e_summary
