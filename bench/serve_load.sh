#!/usr/bin/env bash
# bench/serve_load.sh [N] [REQUESTS] — a bounded load test of kaohe serve on
# loopback: REQUESTS (default 200) what-if requests sent at once (each its
# own scenario: stars.five, elimination.bottom_ratio or cert milestones),
# on bench/data/gen-N.db (default 10000; made once with kaohe gen, seed 1).
# Prints each latency's p50, p95 and max (curl's time_total: the wait in the
# server's queue included, as a user would feel it) and the failures.
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
requests=${2:-200}
snap=bench/data/gen-$n.db
mkdir -p bench/data
[ -f "$snap" ] || ./kaohe gen --communities "$n" --seed 1 --out "$snap" --quiet
log=$(mktemp)
./kaohe serve "$snap" --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" /tmp/kaohe-load.$$' EXIT
started=$(date +%s.%N)
until url=$(sed -n 's/.*\(http:\/\/[0-9.]*:[0-9]*\)\/.*/\1/p' "$log") && [ -n "$url" ]; do
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
done
echo "# kaohe serve $snap: loaded in $(echo "$(date +%s.%N) - $started" | bc) s"
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
bodies=('{"set":{"stars.five":%d}}' '{"set":{"elimination.bottom_ratio":0.0%d}}'
        '{"set":{"cert.milestones.2023":0.%d}}')
seq 1 "$requests" | xargs -P "$requests" -I{} sh -c '
    i={}; k=$((i % 3)); v=$((80 + i % 10)); [ $k = 1 ] && v=$((2 + i % 7)); [ $k = 2 ] && v=$((40 + i % 20))
    case $k in 0) b="{\"set\":{\"stars.five\":$v}}";; 1) b="{\"set\":{\"elimination.bottom_ratio\":0.0$v}}";;
      2) b="{\"set\":{\"cert.milestones.2023\":0.$v}}";; esac
    curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -H "Content-Type: application/json" --data-binary "$b" "$0/api/whatif"
' "$url" >/tmp/kaohe-load.$$
python3 - /tmp/kaohe-load.$$ "$requests" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
ok = sorted(float(t) * 1000 for code, t in rows if code == "200")
bad = [code for code, t in rows if code != "200"]
pick = lambda q: ok[min(len(ok) - 1, int(q * len(ok)))] if ok else float("nan")
print(f"{sys.argv[2]} concurrent what-if requests: {len(ok)} answered 200, {len(bad)} failed {sorted(set(bad))}")
print(f"latency ms: p50 {pick(0.50):.0f}  p95 {pick(0.95):.0f}  max {ok[-1] if ok else float('nan'):.0f}")
PY
