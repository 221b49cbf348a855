#!/usr/bin/env bash
# bench/profile.sh — where an eval spends its time: per-stage and per-query
# timings (kaohe --timings -v) and the hottest functions under perf.
#
#   bash bench/profile.sh [SNAPSHOT] [KAOHE]
#
# SNAPSHOT defaults to bench/data/gen-10000.db (made by kaohe gen, seed 1,
# when missing); KAOHE to ./kaohe. One thread (--jobs 1), so the profile is
# of the work itself, not of the scheduling. Needs perf (apt-get install
# linux-perf); without it, only the timings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot=${1:-bench/data/gen-10000.db}
kaohe=${2:-./kaohe}
[ "$kaohe" != ./kaohe ] || make -s kaohe
if [ ! -f "$snapshot" ]; then
    mkdir -p "$(dirname "$snapshot")"
    ./kaohe gen --communities 10000 --seed 1 --out "$snapshot" --quiet
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "# $kaohe eval $snapshot --jobs 1 --out (fresh file) --timings -v"
"$kaohe" eval "$snapshot" --jobs 1 --out "$work/results.db" --quiet --timings -v 2>&1 >/dev/null |
    sed 's/^/  /'
if command -v perf >/dev/null && perf record -q -o "$work/perf.data" -- \
    "$kaohe" eval "$snapshot" --jobs 1 --out "$work/results2.db" --quiet >/dev/null 2>&1; then
    echo "# perf: functions with the most samples (self time)"
    perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
        grep -E '^ +[0-9]' | head -n 25
else
    echo "# perf not available or not permitted: timings only"
fi
