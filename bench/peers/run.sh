#!/usr/bin/env bash
# run.sh RESULTS [RUN_ID]
#
# Peer baselines for kaohe's scoring stage: the same 33 scoring rules in
# json-rules-engine and @gorules/zen-engine over the per-community values of
# one run in the kaohe results database RESULTS. Installs the pinned npm
# packages into bench/peers/node_modules (npm ci, only when the lockfile
# changed), exports the values, runs every engine variant and prints one JSON
# line per variant on stdout. Exit status 1 when any engine disagrees with
# kaohe's points, totals or stars (beyond 1e-6).
#
# Environment: RECORDS (community records per pass, default 100000; the
# distinct communities are repeated to reach it), MIN_SECONDS (default 2),
# ZEN_CONCURRENCY (evaluations in flight for the second zen line, default 8),
# ENGINES (space-separated subset of: jre jre-simple zen zen-concurrent).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 RESULTS [RUN_ID]" >&2
    exit 2
fi
results=$1
run=${2:-}
records=${RECORDS:-100000}
min_seconds=${MIN_SECONDS:-2}
zen_concurrency=${ZEN_CONCURRENCY:-8}
engines=${ENGINES:-jre jre-simple zen zen-concurrent}

for e in $engines; do
    case "$e" in
        jre|jre-simple|zen|zen-concurrent) ;;
        *) echo "run.sh: unknown engine '$e' in ENGINES (jre jre-simple zen zen-concurrent)" >&2; exit 2 ;;
    esac
done

command -v node >/dev/null || { echo "run.sh: node not found (apt-get install nodejs npm)" >&2; exit 3; }
command -v npm >/dev/null || { echo "run.sh: npm not found (apt-get install npm)" >&2; exit 3; }

# Install from the lockfile, skipped when node_modules was installed from this
# very lockfile. npm ci first; when it refuses the lockfile because the other
# platforms' zen-engine binaries (darwin, arm64, win32, wasm) are not recorded
# in it (the registry this lockfile was made from serves only the linux-x64
# ones), npm install --no-save installs the same locked versions and leaves
# package.json and package-lock.json untouched.
stamp="$here/node_modules/.kaohe-lock-sha256"
want=$( (cat "$here/package.json" "$here/package-lock.json"; uname -sm) | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "run.sh: installing peer engines into $here/node_modules" >&2
    npmlog=$(mktemp)
    if ! npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >"$npmlog" 2>&1; then
        if ! npm install --prefix "$here" --no-save --no-audit --no-fund --loglevel=error >>"$npmlog" 2>&1; then
            cat "$npmlog" >&2
            rm -f "$npmlog"
            echo "run.sh: npm could not install the peer engines" >&2
            exit 3
        fi
    fi
    rm -f "$npmlog"
    node -e 'require(process.argv[1] + "/node_modules/@gorules/zen-engine"); require(process.argv[1] + "/node_modules/json-rules-engine")' "$here" \
        || { echo "run.sh: the installed peer engines do not load" >&2; exit 3; }
    echo "$want" >"$stamp"
fi

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
values="$tmpdir/values.json"
"$here/export-values.sh" "$results" "$values" $run

common=(--records "$records" --min-seconds "$min_seconds")
status=0
for e in $engines; do
    case "$e" in
        jre)            cmd=(node "$here/score-json-rules-engine.js" "$values" "${common[@]}") ;;
        jre-simple)     cmd=(node "$here/score-json-rules-engine.js" "$values" "${common[@]}" --path-resolver simple) ;;
        zen)            cmd=(node "$here/score-zen-engine.js" "$values" "${common[@]}") ;;
        zen-concurrent) cmd=(node "$here/score-zen-engine.js" "$values" "${common[@]}" --concurrency "$zen_concurrency") ;;
        *) echo "run.sh: unknown engine '$e' in ENGINES" >&2; exit 2 ;;
    esac
    rc=0
    "${cmd[@]}" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "run.sh: $e exited with status $rc" >&2
        [ "$rc" -gt "$status" ] && status=$rc
    fi
done
exit "$status"
