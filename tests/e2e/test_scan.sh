# One read per row: eval checks the rows of the tables its bundles scan in
# the same read that computes the bundles (eval.c, load_scan). kaohe verify
# and kaohe whatif still read every row first and then run each bundle's
# query; these tests hold eval's answers and messages to theirs.

test_eval_in_one_read_gives_what_verify_recomputes_with_queries() {
    run_kaohe eval "$SAMPLE_DB" --out results.db -q --jobs 2
    expect_exit 0
    run_kaohe verify results.db
    expect_exit 0
    expect_stdout_contains "一致"
}

# B05 counts visits by the worker's community: the scan reads visits in
# (worker_id, month) order, the query worker by worker in the workers'
# row order. Worker '0000' (smallest id, added last) comes first in one and
# last in the other: 1 + 1 + 1e16 = 1e16 + 2, but 1e16 + 1 + 1 = 1e16 in
# doubles. A sum of other than whole numbers must be left to the query.
test_sum_of_fractions_through_a_join_is_the_one_the_query_gives() {
    local c
    c=$(sqlite3 "$SAMPLE_DB" "SELECT min(id) FROM communities")
    snapshot_variant fractions.db "
        UPDATE visits SET visited = 0, assigned = 40000000000000000
          WHERE worker_id IN (SELECT id FROM workers WHERE community_id = '$c');
        UPDATE visits SET visited = 10000000000000000
          WHERE worker_id = (SELECT min(id) FROM workers WHERE community_id = '$c')
            AND month = (SELECT min(month) FROM visits WHERE month LIKE (SELECT substr(value, 1, 4) FROM snapshot_meta WHERE key = 'as_of') || '-%');
        INSERT INTO workers (id, community_id, name, hire_date, role, status)
          VALUES ('0000', '$c', '测试', '2020-01-01', 'grid', 'active');
        INSERT INTO visits (worker_id, month, assigned, visited)
          SELECT '0000', substr(value, 1, 4) || '-01', 40000000000000000, 1 FROM snapshot_meta WHERE key = 'as_of'
          UNION ALL
          SELECT '0000', substr(value, 1, 4) || '-02', 40000000000000000, 1 FROM snapshot_meta WHERE key = 'as_of';"
    copy_rules rules
    edit_file rules/indicators/b_governance.lua 's/from = VISITS, expr = "v.visited",/from = VISITS, expr = "v.visited * 1.0",/'
    edit_file rules/indicators/b_governance.lua 's|value = "visited / assigned",|value = "visited",|'
    run_kaohe eval fractions.db --rules "$PWD/rules" --out results.db -q --jobs 2
    expect_exit 0
    expect_sql results.db "SELECT printf('%.1f', value) FROM indicator_scores WHERE community_id = '$c' AND indicator_id = 'B05'" "10000000000000000.0"
    run_kaohe verify results.db
    expect_exit 0
    expect_stdout_contains "一致"
}

# The same sum over one table is read in the same order as the query reads
# it (row order within each community), so the scan keeps it.
test_sum_of_fractions_over_one_table_is_the_one_the_query_gives() {
    copy_rules rules
    edit_file rules/indicators/e_culture.lua 's|sum("activities", "participants",|sum("activities", "participants * 0.1",|'
    run_kaohe eval "$SAMPLE_DB" --rules "$PWD/rules" --out results.db -q
    expect_exit 0
    run_kaohe verify results.db
    expect_exit 0
    expect_stdout_contains "一致"
}

# A problem in a table that is checked while it is scanned is reported as a
# full check reports it: every problem, in table order, with the same count.
test_problems_found_while_scanning_read_as_a_full_check_gives() {
    snapshot_variant bad.db "
        UPDATE activities SET kind = 'bogus' WHERE rowid IN (3, 7);
        UPDATE facts SET value = 'x' WHERE community_id = (SELECT min(community_id) FROM facts)
          AND key = (SELECT min(key) FROM facts);
        UPDATE workers SET role = 'boss' WHERE rowid = 5;
        UPDATE visits SET assigned = 1.5 WHERE worker_id = (SELECT min(worker_id) FROM visits);"
    run_kaohe whatif bad.db --set stars.five=88
    expect_exit 1
    cp "$LAST_STDERR" full.txt
    expect_eval_refused 1 "the snapshot has" "table activities" "table workers" "table visits" "table facts" -- eval bad.db
    expect_eq "$(cat "$LAST_STDERR")" "$(cat full.txt)" "eval's message (one read) and whatif's (full check first)"
}
