#!/usr/bin/env bash
# bench/plain_check.sh — checks the plain-SQL baseline (bench/plain.sql)
# against kaohe on one snapshot, and times both.
#
#   bash bench/plain_check.sh SNAPSHOT.db
#
# 1. make; ./kaohe eval SNAPSHOT --out R.db -q (a fresh results file, timed);
# 2. OUT.db gets task_decision(task_id, decision) from R.db's task_decisions
#    of that run (B01 needs admission decisions; plain SQL does not redo the
#    PCRE2 matching, see the header of plain.sql);
# 3. sqlite3 SNAPSHOT -cmd "ATTACH 'OUT.db' AS out" < bench/plain.sql (timed);
# 4. every (community_id, indicator_id) of plain_scores and of kaohe's
#    indicator_scores must agree: same status, value within 1e-6 (NULL only
#    with NULL), points and max_points within 1e-6, no row on one side only.
# Prints rows compared, mismatches (the first 10 in detail) and the times.
# Exit 0 only when there is no mismatch.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 SNAPSHOT.db" >&2
  exit 2
fi
snapshot=$(realpath "$1")
[ -f "$snapshot" ] || { echo "$0: no such snapshot: $1" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
plain_sql="$root/bench/plain.sql"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results="$tmp/R.db"
out="$tmp/out.db"

# Wall time, user and system CPU time (seconds) and peak RSS (KiB) of a
# command, with /usr/bin/time (apt-get install time) when present.
timed() {   # timed FILE cmd...   (writes "wall user sys kib" to FILE)
  local file=$1
  shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %U %S %M' -o "$file" "$@"
  else
    local t0 t1
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') ? ? ?" >"$file"
  fi
}

cd "$root"
if ! make -s kaohe; then
  if [ -x ./kaohe ]; then
    echo "$0: warning: make failed; checking against the existing ./kaohe" >&2
  else
    echo "$0: make failed and there is no ./kaohe to check against" >&2
    exit 1
  fi
fi

# 1. kaohe (with its own stage times when this build has --timings)
kaohe_args=(eval "$snapshot" --out "$results" -q)
if ./kaohe --help 2>&1 | grep -q -- '--timings'; then
  kaohe_args+=(--timings)
fi
if ! timed "$tmp/kaohe.time" ./kaohe "${kaohe_args[@]}" 2>"$tmp/kaohe.err"; then
  cat "$tmp/kaohe.err" >&2
  echo "$0: kaohe eval failed on $snapshot" >&2
  exit 1
fi

# 2. decisions of that run
sqlite3 "$out" <<SQL
.bail on
ATTACH '$results' AS r;
CREATE TABLE task_decision (task_id TEXT PRIMARY KEY, decision TEXT NOT NULL);
INSERT INTO task_decision (task_id, decision)
  SELECT task_id, decision FROM r.task_decisions
  WHERE run_id = (SELECT max(run_id) FROM r.runs);
SQL

# 3. plain SQL
timed "$tmp/plain.time" sqlite3 "$snapshot" -cmd "ATTACH '$out' AS out" <"$plain_sql"

# 4. compare
report=$(sqlite3 -separator ' | ' "$out" <<SQL
.bail on
ATTACH '$results' AS r;
CREATE TEMP TABLE k AS
  SELECT community_id, indicator_id, value, points, max_points, status
  FROM r.indicator_scores WHERE run_id = (SELECT max(run_id) FROM r.runs);
CREATE TEMP TABLE cmp AS
  SELECT coalesce(k.community_id, p.community_id) AS community_id,
         coalesce(k.indicator_id, p.indicator_id) AS indicator_id,
         k.status AS k_status, p.status AS p_status,
         k.value AS k_value, p.value AS p_value,
         k.points AS k_points, p.points AS p_points,
         k.max_points AS k_max, p.max_points AS p_max,
         CASE
           WHEN k.community_id IS NULL THEN 'only in plain_scores'
           WHEN p.community_id IS NULL THEN 'only in kaohe'
           WHEN k.status IS NOT p.status THEN 'status'
           WHEN (k.value IS NULL) <> (p.value IS NULL)
                OR abs(k.value - p.value) > 1e-6 THEN 'value'
           WHEN abs(k.points - p.points) > 1e-6 THEN 'points'
           WHEN abs(k.max_points - p.max_points) > 1e-6 THEN 'max_points'
         END AS what
  FROM temp.k FULL JOIN main.plain_scores p
    ON p.community_id = k.community_id AND p.indicator_id = k.indicator_id;
SELECT 'communities', count(DISTINCT community_id) FROM cmp;
SELECT 'rows', count(*) FROM cmp;
SELECT 'mismatches', count(*) FROM cmp WHERE what IS NOT NULL;
SELECT 'mismatch', community_id, indicator_id, what,
       'kaohe: ' || coalesce(k_status, '-') || ' value=' || coalesce(k_value, 'NULL') ||
         ' points=' || coalesce(k_points, '-') || '/' || coalesce(k_max, '-'),
       'plain: ' || coalesce(p_status, '-') || ' value=' || coalesce(p_value, 'NULL') ||
         ' points=' || coalesce(p_points, '-') || '/' || coalesce(p_max, '-')
FROM cmp WHERE what IS NOT NULL ORDER BY indicator_id, community_id LIMIT 10;
SQL
)
communities=$(awk -F' \\| ' '$1 == "communities" {print $2}' <<<"$report")
rows=$(awk -F' \\| ' '$1 == "rows" {print $2}' <<<"$report")
mismatches=$(awk -F' \\| ' '$1 == "mismatches" {print $2}' <<<"$report")
read -r k_sec k_user k_sys k_kib <"$tmp/kaohe.time"
read -r p_sec p_user p_sys p_kib <"$tmp/plain.time"

echo "snapshot:    $snapshot (as_of $(sqlite3 "$snapshot" "SELECT value FROM snapshot_meta WHERE key = 'as_of'"), $communities communities)"
echo "compared:    $rows rows (community × indicator)"
echo "mismatches:  $mismatches"
if [ "$mismatches" != 0 ]; then
  grep '^mismatch |' <<<"$report" | sed 's/^mismatch | /  /'
fi
echo "plain SQL:   ${p_sec} s wall (${p_user} s user, ${p_sys} s sys), ${p_kib} KiB peak RSS" \
     "(sqlite3 $(sqlite3 --version | cut -d' ' -f1), bench/plain.sql: the 33 indicators only)"
echo "kaohe eval:  ${k_sec} s wall (${k_user} s user, ${k_sys} s sys), ${k_kib} KiB peak RSS" \
     "(everything: snapshot validation, admission, indicators, targets, appraisal, results file)"
if grep -q '^{' "$tmp/kaohe.err"; then
  echo "kaohe stages (ms): $(grep -m1 '^{' "$tmp/kaohe.err")"
fi
echo "machine:     $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$mismatches" = 0 ]
