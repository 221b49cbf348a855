#!/usr/bin/env bash
# bench/whatif.sh — what-if speed: scenarios per second once the snapshot is
# loaded, against the obvious alternative measured in the same run: a full
# `kaohe eval` for every scenario.
#
#   bash bench/whatif.sh [SNAPSHOT...]     (default: the sample region, and a
#                                           10,000-community generated snapshot)
#
# For each snapshot: the time of one full eval (median of 3), and a sweep of
# 101 values of elimination.bottom_ratio and of stars.five, whose per-value
# re-scoring time the engine measures itself (monotonic clock). Results go to
# bench/results/whatif-<date>.txt and standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s kaohe fixtures/sample.db
snapshots=("$@")
if [ ${#snapshots[@]} -eq 0 ]; then
  snapshots=(fixtures/sample.db)
  gen=bench/data/gen-10000.db
  if [ ! -f "$gen" ]; then
    mkdir -p bench/data
    ./kaohe gen --communities 10000 --seed 1 --out "$gen" --quiet
  fi
  snapshots+=("$gen")
fi
out=bench/results/whatif-$(date -u +%Y%m%d).txt
now() { date +%s.%N; }
{
  echo "# kaohe what-if benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# command: bash bench/whatif.sh ${*:-}"
  printf '%-28s %12s %10s %14s %16s %16s %12s\n' snapshot communities eval_s load_ms rescore_ms/value scenarios/s speedup
  for snap in "${snapshots[@]}"; do
    n=$(sqlite3 "$snap" "SELECT count(*) FROM communities")
    times=()
    for _ in 1 2 3; do
      t0=$(now); ./kaohe eval "$snap" --quiet; t1=$(now)
      times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    eval_s=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
    for sweep in elimination.bottom_ratio=0:0.2:0.002 stars.five=80:100:0.2; do
      json=$(./kaohe whatif "$snap" --sweep "$sweep" --json)
      per=$(printf '%s' "$json" | sqlite3 :memory: "SELECT json_extract(readfile('/dev/stdin'), '\$.rescore_ms_per_value')" 2>/dev/null || true)
      if [ -z "$per" ]; then
        per=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rescore_ms_per_value"])')
      fi
      load=$(./kaohe whatif "$snap" --set "${sweep%%=*}=$(echo "${sweep#*=}" | cut -d: -f1)" --json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["summary"]["load_ms"]))')
      rate=$(echo "1000 / $per" | bc -l)
      speedup=$(echo "$eval_s * 1000 / $per" | bc -l)
      printf '%-28s %12s %10.3f %14s %16.3f %16.0f %11.0fx   (%s)\n' "$(basename "$snap")" "$n" "$eval_s" "$load" "$per" "$rate" "$speedup" "${sweep%%=*}"
    done
  done
  echo "# eval_s: one full eval (median of 3); load_ms: whatif's read + baseline score;"
  echo "# rescore_ms/value: each further scenario; speedup: eval_s over rescore time."
} | tee "$out"
