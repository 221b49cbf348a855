#!/usr/bin/env bash
# bench/same_results.sh — do two results files hold the same run?
#
#   bash bench/same_results.sh A.db B.db
#
# Compares, table by table, every row of the last run of each file apart
# from what differs by nature (run_id, started_at/finished_at, paths): the
# results contract (../shared/spec/results.sql) and the engine's own tables.
# Prints "same rows (N)" and exits 0, or names the tables that differ.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 A.db B.db" >&2; exit 2; }
differ=()
total=0
rows_of() { # rows_of DB TABLE COLUMNS: the last run's rows, in a stable order
    sqlite3 -batch "$1" "SELECT $3 FROM $2 WHERE run_id = (SELECT max(run_id) FROM runs) ORDER BY 1, 2, 3"
}
for t in indicator_scores community_scores category_scores target_checks worker_appraisals \
         task_decisions department_stats run_communities run_indicators run_categories run_targets; do
    cols=$(sqlite3 -batch "$1" "SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info('$t') WHERE name <> 'run_id' ORDER BY cid)")
    [ -n "$cols" ] || continue
    a=$(rows_of "$1" "$t" "$cols" | sha256sum)
    b=$(rows_of "$2" "$t" "$cols" | sha256sum)
    [ "$a" = "$b" ] || differ+=("$t")
    total=$((total + $(rows_of "$1" "$t" "$cols" | wc -l)))
done
for f in snapshot_sha256 rules_sha256 as_of params; do
    [ "$(sqlite3 "$1" "SELECT $f FROM runs ORDER BY run_id DESC LIMIT 1")" = "$(sqlite3 "$2" "SELECT $f FROM runs ORDER BY run_id DESC LIMIT 1")" ] || differ+=("runs.$f")
done
if [ ${#differ[@]} -eq 0 ]; then
    echo "same rows ($total)"
else
    echo "DIFFERENT: ${differ[*]}"
    exit 1
fi
