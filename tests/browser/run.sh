#!/usr/bin/env bash
# tests/browser/run.sh — the workbench in a real browser: starts
# `kaohe serve` on the sample on a free loopback port, then runs
# workbench.test.mjs (node's test runner, playwright-core driving Debian's
# headless Chromium). Screenshots go to $KAOHE_SHOTS (default build/shots).
#
#   KAOHE=./kaohe bash tests/browser/run.sh
#
# Skips (exit 0, with a message) when node, npm or chromium is missing,
# unless BROWSER_REQUIRED=1 (CI), when that is a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
kaohe=${KAOHE:-$root/kaohe}
chromium=${CHROMIUM:-/usr/bin/chromium}
missing=
command -v node >/dev/null || missing="node"
command -v npm >/dev/null || missing="$missing npm"
[ -x "$chromium" ] || missing="$missing chromium"
if [ -n "$missing" ]; then
    echo "browser: SKIPPED: no$missing (apt-get install chromium nodejs npm)"
    [ "${BROWSER_REQUIRED:-0}" != 1 ]
    exit
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --silent) || { echo "browser: npm ci failed"; exit 1; }
fi
export KAOHE_SHOTS=${KAOHE_SHOTS:-$root/build/shots}
mkdir -p "$KAOHE_SHOTS"
log=$(mktemp)
"$kaohe" serve "$root/fixtures/sample.db" --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    url=$(sed -n 's/.*\(http:\/\/[0-9.]*:[0-9]*\/\).*/\1/p' "$log")
    [ -n "$url" ] && break
    kill -0 $pid 2>/dev/null || { cat "$log"; echo "browser: kaohe serve did not start"; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "browser: kaohe serve printed no address"; exit 1; }
KAOHE_SERVE_URL=${url%/} CHROMIUM=$chromium node --test --test-reporter=spec "$here/workbench.test.mjs"
