#!/usr/bin/env bash
# bench/run.sh — `make bench`: kaohe end to end at several sizes, against
# baselines measured in the same run.
#
#   BENCH_SIZES="1000 10000 100000" bash bench/run.sh
#
# For each size N: a generated snapshot (kaohe gen, seed 1, cached in
# bench/data/), then
#   - kaohe eval with 2 threads and with 1 (wall, CPU, peak RSS, stages);
#   - the plain-SQL baseline (bench/plain.sql in the sqlite3 shell, one core),
#     its 33 indicators checked row by row against kaohe (bench/plain_check.sh);
#   - a bare sqlite3 scan of every table (what reading the rows costs);
#   - at the largest size, the npm rules engines on the scoring stage
#     (bench/peers/run.sh, installed there by npm on first use).
# Writes bench/results/bench-<date>.txt and the table in bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_SIZES:-1000 10000 100000}
make -s kaohe
mkdir -p bench/data bench/results
stamp=$(date -u +%Y%m%d-%H%M%S)
out=bench/results/bench-$stamp.txt
timefmt=(/usr/bin/time -f '%e %U %S %M')
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"

lines=()
points=()
largest_results=""

bare_scan() { # bare_scan SNAPSHOT TABLE...: read every row of each table once
    local snap=$1 t col
    shift
    for t in "$@"; do
        col=$(sqlite3 "$snap" "SELECT name FROM pragma_table_info('$t') ORDER BY cid DESC LIMIT 1")
        sqlite3 "$snap" "SELECT count(*) FROM \"$t\" WHERE typeof(\"$col\") <> 'blob'" >/dev/null
    done
}

split_tables() { # split_tables SNAPSHOT -> "t1,t2,... t3,t4,...": two shares of about equal rows
    local snap=$1
    for t in communities workers organizations activities visits postings survey_responses requests tasks facts; do
        echo "$(sqlite3 "$snap" "SELECT count(*) FROM \"$t\"") $t"
    done | sort -rn | awk '{ if (a <= b) { a += $1; A = A (A ? "," : "") $2 } else { b += $1; B = B (B ? "," : "") $2 } } END { print A, B }'
}

measure() { # measure OUTFILE CMD... -> "wall user sys rss"
    local file=$1
    shift
    "${timefmt[@]}" -o "$file" "$@" >/dev/null 2>>"$file.err" || { cat "$file.err" >&2; return 1; }
    tail -n 1 "$file"
}

{
echo "# kaohe benchmark $stamp"
echo "# machine: $machine"
echo "# command: BENCH_SIZES=\"$sizes\" make bench"
for n in $sizes; do
    snap=bench/data/gen-$n.db
    [ -f "$snap" ] || ./kaohe gen --communities "$n" --seed 1 --out "$snap" --quiet
    rows=$(sqlite3 "$snap" "SELECT (SELECT count(*) FROM communities)+(SELECT count(*) FROM workers)+(SELECT count(*) FROM organizations)+(SELECT count(*) FROM activities)+(SELECT count(*) FROM visits)+(SELECT count(*) FROM postings)+(SELECT count(*) FROM survey_responses)+(SELECT count(*) FROM requests)+(SELECT count(*) FROM tasks)+(SELECT count(*) FROM facts)")
    results=bench/data/results-$n.db
    rm -f "$results"
    rm -f /tmp/kaohe-bench.t2.err /tmp/kaohe-bench.t1.err
    read -r w2 u2 s2 m2 < <(measure /tmp/kaohe-bench.t2 ./kaohe eval "$snap" --out "$results" --quiet --jobs 2 --timings)
    stages=$(grep '^{' /tmp/kaohe-bench.t2.err | tail -n 1)
    rm -f "$results.1"
    read -r w1 u1 s1 m1 < <(measure /tmp/kaohe-bench.t1 ./kaohe eval "$snap" --out "$results.1" --quiet --jobs 1 --timings)
    rm -f "$results.1"
    check=$(bash bench/plain_check.sh "$snap" 2>&1 || true)
    plain=$(printf '%s\n' "$check" | sed -n 's/^plain SQL: *\([0-9.]*\) s wall.*/\1/p')
    mismatches=$(printf '%s\n' "$check" | sed -n 's/^mismatches: *\([0-9]*\).*/\1/p')
    # The bare scan: every row of every table read once by the sqlite3
    # shell (the last column of each row decoded), on one core, then on two
    # (two shells at once, the tables shared out by rows, biggest first).
    scan_start=$(date +%s.%N)
    bare_scan "$snap" communities workers organizations activities visits postings survey_responses requests tasks facts
    scan=$(echo "$(date +%s.%N) - $scan_start" | bc -l)
    read -r -a halves < <(split_tables "$snap")
    scan2_start=$(date +%s.%N)
    bare_scan "$snap" ${halves[0]//,/ } &
    bare_scan "$snap" ${halves[1]//,/ }
    wait
    scan2=$(echo "$(date +%s.%N) - $scan2_start" | bc -l)
    line=$(printf '| %s | %s | %.2f | %.2f | %.2f× | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f%% | %.0f MB | %.1f | %s |' \
        "$n" "$rows" "$w2" "$w1" "$(echo "$w1 / $w2" | bc -l)" "${plain:-?}" \
        "$( [ -n "$plain" ] && printf '%.2f×' "$(echo "$w2 / $plain" | bc -l)" || echo '?')" \
        "$(echo "$n / $w2" | bc -l)" "$(echo "$rows / $w2" | bc -l)" "$(echo "$rows / $scan" | bc -l)" \
        "$(echo "$rows / $scan2" | bc -l)" "$(echo "100 * $scan2 / $w2" | bc -l)" \
        "$(echo "$m2 / 1024" | bc -l)" "$(echo "$u2 + $s2" | bc -l)" \
        "$( [ "${mismatches:-x}" = 0 ] && echo "yes (0 mismatches)" || echo "NO (${mismatches:-?})")")
    lines+=("$line")
    points+=("$n $w2 $rows $scan $plain $scan2")
    echo "$line"
    echo "#   stages (2 threads): $stages"
    echo "#   stages (1 thread): $(grep '^{' /tmp/kaohe-bench.t1.err | tail -n 1)"
    rm -f "$results.1"
    echo "#   --jobs 1 and --jobs 2: $(./kaohe eval "$snap" --out "$results.1" --quiet --jobs 1 && bash bench/same_results.sh "$results" "$results.1")"
    rm -f "$results.1"
    largest_results=$results
done
# Linearity and the national extrapolation, from the points measured above.
python3 - "${points[@]}" <<'SCALE'
import sys
pts = [tuple(float(x) if x not in ('', '?') else None for x in p.split()) for p in sys.argv[1:]]
pts = [p for p in pts if p[1] is not None]
if pts:
    print('#   scaling (2 threads): ' + '; '.join('%d communities %.2f s = %.3f ms per community' % (n, w, 1000 * w / n) for n, w, *_ in pts))
    if len(pts) >= 2:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        icpt = my - slope * mx
        ss_res = sum((y - (icpt + slope * x)) ** 2 for x, y in zip(xs, ys))
        ss_tot = sum((y - my) ** 2 for y in ys) or 1
        print('#   least-squares line: time = %.3f s + %.4f ms x communities (R^2 = %.5f)' % (icpt, slope * 1000, 1 - ss_res / ss_tot))
        print('#   extrapolated to 610000 communities: %.0f s by the line, %.0f s from the largest size alone (goal: 120 s)' % (icpt + slope * 610000, pts[-1][1] * 610000 / pts[-1][0]))
    n, w, rows, scan, plain, scan2 = pts[-1]
    if rows and scan:
        print('#   what bounds it at %d: kaohe reads %.0f rows/s end to end (2 threads); a bare sqlite3 scan of the same tables reads %.0f rows/s on one core and %.0f rows/s on two, so kaohe runs at %.0f%% of a one-core scan and %.0f%% of a two-core scan (goal: 25%%)' % (n, rows / w, rows / scan, rows / scan2, 100 * scan / w, 100 * scan2 / w))
SCALE
if [ -n "$largest_results" ]; then
    echo "# scoring stage against rules engines (bench/peers/run.sh on $largest_results):"
    score_ms=$(printf '%s' "${stages:-}" | sed -n 's/.*"score_ms":\([0-9.]*\).*/\1/p')
    last_n=$(sqlite3 "$largest_results" "SELECT count(*) FROM community_scores")
    echo "#   kaohe scoring stage: ${score_ms:-?} ms for $last_n communities = $(echo "$last_n / (${score_ms:-1} / 1000)" | bc -l | cut -d. -f1) communities/s"
    peers=$(RECORDS=${RECORDS:-20000} bash bench/peers/run.sh "$largest_results" 2>&1) || peers="$peers
(peers failed; see above)"
    printf '%s\n' "$peers" | sed 's/^/#   /'
    kaohe_cps=$(echo "$last_n / (${score_ms:-1} / 1000)" | bc -l)
    printf '%s\n' "$peers" | sed -n 's/.*"engine":"\([^"]*\)".*"variant":"\([^"]*\)".*"communities_per_second":\([0-9.]*\).*/\1|\2|\3/p' |
        while IFS='|' read -r engine variant cps; do
            printf '#   kaohe scoring vs %s (%s): %.0f / %s communities/s = %.0f× faster\n' \
                "$engine" "$variant" "$kaohe_cps" "$cps" "$(echo "$kaohe_cps / $cps" | bc -l)"
        done
fi
} | tee "$out"

# The table in bench/README.md, between its markers.
python3 - "$out" "$machine" "$sizes" <<'PY'
import re, sys
out, machine, sizes = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(out, encoding='utf-8').read()
table = [l for l in text.splitlines() if l.startswith('| ')]
notes = [l[2:] for l in text.splitlines() if l.startswith('#   ')]
block = ['<!-- bench:start -->', '', 'Measured %s on %s.' % (out.split('bench-')[1][:-4], machine), '',
         'Reproduce: `BENCH_SIZES="%s" make bench` (figures in `%s`).' % (sizes, out), '',
         '| communities | rows | kaohe 2 threads (s) | kaohe 1 thread (s) | speed-up | plain SQL (s) | kaohe ÷ plain | communities/s | rows read/s | bare scan rows/s, 1 core | bare scan rows/s, 2 cores | kaohe ÷ 2-core scan rate | peak RSS | CPU user+sys (s) | equal to plain SQL |',
         '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'] + table + ['', '```'] + notes + ['```', '', '<!-- bench:end -->']
readme = open('bench/README.md', encoding='utf-8').read()
readme = re.sub(r'<!-- bench:start -->.*<!-- bench:end -->', '\n'.join(block), readme, flags=re.S)
open('bench/README.md', 'w', encoding='utf-8').write(readme)
PY
echo "bench: wrote $out and bench/README.md"
