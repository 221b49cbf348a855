#!/usr/bin/env bash
# export-values.sh RESULTS OUT.json [RUN_ID]
#
# Builds the input of the peer benchmarks from a kaohe results database: one
# JSON array with a record per community of one run,
#   {"community_id": "...", "a03_target": 0.866..., "values": {"A01": x|null, ...},
#    "status": {"A01": "ok"|"missing"|"invalid", ...},
#    "kaohe": {"points": {"A01": p, ...}, "total": t, "stars": s}}
# "kaohe" holds what kaohe itself stored, so the peers can check their scores.
# a03_target is the run's required certificate ratio for the year of as_of,
# interpolated from the run's own cert.milestones parameter (POLICY.md §2).
# RUN_ID defaults to the newest plain eval run (kind 'eval', no scenario).
# Reals are printed with 17 significant digits (SQLite's JSON functions alone
# keep only 15).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 RESULTS OUT.json [RUN_ID]" >&2
    exit 2
fi
results=$1
out=$2
run=${3:-}

command -v sqlite3 >/dev/null || { echo "export-values: sqlite3 not found" >&2; exit 3; }
[ -r "$results" ] || { echo "export-values: cannot read $results" >&2; exit 1; }

if [ "$(sqlite3 -readonly "$results" "SELECT count(*) FROM sqlite_master WHERE name IN ('runs', 'indicator_scores', 'community_scores');")" != 3 ]; then
    echo "export-values: $results is not a kaohe results database (run: kaohe eval SNAPSHOT --out RESULTS)" >&2
    exit 1
fi
if [ -z "$run" ]; then
    run=$(sqlite3 -readonly "$results" \
        "SELECT max(run_id) FROM runs WHERE coalesce(kind, 'eval') = 'eval' AND scenario IS NULL;")
fi
case "$run" in
    ''|*[!0-9]*) echo "export-values: no eval run in $results (or bad RUN_ID '$run')" >&2; exit 1 ;;
esac

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT

sqlite3 -readonly -bail "$results" >"$tmp" <<SQL
.headers off
.mode list
WITH
run AS (
    SELECT run_id, params, CAST(substr(as_of, 1, 4) AS INTEGER) AS y
    FROM runs WHERE run_id = $run
),
m AS (
    SELECT CAST(key AS INTEGER) AS my, value AS mv
    FROM json_each((SELECT params FROM run), '\$."cert.milestones"')
),
lo AS (SELECT my, mv FROM m WHERE my <= (SELECT y FROM run) ORDER BY my DESC LIMIT 1),
hi AS (SELECT my, mv FROM m WHERE my >= (SELECT y FROM run) ORDER BY my ASC LIMIT 1),
target AS (
    SELECT CASE
        WHEN (SELECT my FROM lo) IS NULL THEN (SELECT mv FROM m ORDER BY my ASC LIMIT 1)
        WHEN (SELECT my FROM hi) IS NULL THEN (SELECT mv FROM m ORDER BY my DESC LIMIT 1)
        WHEN (SELECT my FROM lo) = (SELECT my FROM hi) THEN (SELECT mv FROM lo)
        ELSE (SELECT mv FROM lo)
             + ((SELECT mv FROM hi) - (SELECT mv FROM lo)) * ((SELECT y FROM run) - (SELECT my FROM lo))
               / CAST((SELECT my FROM hi) - (SELECT my FROM lo) AS REAL)
    END AS t
),
per AS (
    SELECT community_id,
           json_group_object(indicator_id,
               CASE WHEN value IS NULL THEN NULL ELSE json(printf('%!.17g', value)) END) AS vals,
           json_group_object(indicator_id, status) AS sts,
           json_group_object(indicator_id, json(printf('%!.17g', points))) AS pts
    FROM indicator_scores
    WHERE run_id = $run
    GROUP BY community_id
)
SELECT json_group_array(json_object(
           'community_id', per.community_id,
           'a03_target', json(printf('%!.17g', (SELECT t FROM target))),
           'values', json(per.vals),
           'status', json(per.sts),
           'kaohe', json_object('points', json(per.pts),
                                'total', json(printf('%!.17g', cs.total)),
                                'stars', cs.stars)))
FROM (SELECT * FROM per ORDER BY community_id) AS per
JOIN community_scores AS cs ON cs.run_id = $run AND cs.community_id = per.community_id;
SQL

n=$(node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(a.length)' "$tmp" 2>/dev/null || echo 0)
if [ "$n" = 0 ]; then
    echo "export-values: run $run of $results has no scored communities" >&2
    exit 1
fi
mv "$tmp" "$out"
trap - EXIT
echo "export-values: run $run, $n communities -> $out" >&2
