#!/usr/bin/env bash
# bench/national.sh — the whole country, measured: one eval of a generated
# 610,000-community snapshot (about 25 GB; not part of CI or `make bench`).
#
#   bash bench/national.sh [COMMUNITIES]     (default 610000)
#
# Generates bench/data/gen-N.db once (kaohe gen, seed 1), then runs
#   kaohe eval bench/data/gen-N.db --out (a fresh file) --quiet --jobs 2 --timings
# under /usr/bin/time and prints wall, CPU, peak resident memory and the
# stages, against the goal (under 120 s wall and 1.5 GB on 2 cores). The
# page cache is whatever the machine holds: the first line says how much of
# the file it held before the run (fincore, when util-linux has it).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-610000}
make -s kaohe
mkdir -p bench/data bench/results
snap=bench/data/gen-$n.db
[ -f "$snap" ] || ./kaohe gen --communities "$n" --seed 1 --out "$snap" --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
stamp=$(date -u +%Y%m%d-%H%M%S)
log=bench/results/national-$stamp.txt
{
    echo "# kaohe national run $stamp: $n communities, $(stat -c %s "$snap") bytes"
    echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
    if command -v fincore >/dev/null; then
        echo "# page cache before: $(fincore --bytes --noheadings --output RES "$snap" 2>/dev/null || echo '?') bytes of the file"
    fi
    echo "# command: ./kaohe eval $snap --out RESULTS --quiet --jobs 2 --timings"
    /usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KB' \
        ./kaohe eval "$snap" --out "$out/results.db" --quiet --jobs 2 --timings 2>&1
    echo "# rows written: $(sqlite3 "$out/results.db" "SELECT (SELECT count(*) FROM indicator_scores) + (SELECT count(*) FROM community_scores) + (SELECT count(*) FROM category_scores) + (SELECT count(*) FROM worker_appraisals) + (SELECT count(*) FROM task_decisions) + (SELECT count(*) FROM target_checks)")"
    echo "# goal: under 120 s wall and 1.5 GB peak on 2 cores"
} | tee "$log"
echo "bench: wrote $log"
