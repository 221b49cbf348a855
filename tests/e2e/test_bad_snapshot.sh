# Bad snapshots: every one is refused with exit 1 and a message that names the
# file (and the table, row and column when the problem is in the data), and
# RESULTS is left as it was. Variants are built from fixtures/sample.db.

# Rows of the sample used below (ids are stable: fixtures/gen_sample.py).
COMMUNITY_1=3710010101
COMMUNITY_2=3710010102
WORKER_2=3710010101-W02
WORKER_3=3710010101-W03
WORKER_4=3710010101-W04
WORKER_5=3710010101-W05

# Checks the rows the tests change exist, so a changed fixture fails loudly.
require_sample_rows() {
    local n
    n=$(sql "$SAMPLE_DB" "SELECT count(*) FROM communities WHERE id IN ('$COMMUNITY_1', '$COMMUNITY_2')")
    [ "$n" = 2 ] || die "fixtures/sample.db lacks communities $COMMUNITY_1/$COMMUNITY_2"
    n=$(sql "$SAMPLE_DB" "SELECT count(*) FROM workers WHERE id IN ('$WORKER_2', '$WORKER_3', '$WORKER_4', '$WORKER_5')")
    [ "$n" = 4 ] || die "fixtures/sample.db lacks workers $WORKER_2..$WORKER_5"
}

# A fixed 64 KiB of garbage (deterministic, so a failure can be replayed).
garbage() {
    local i
    for i in $(seq 1 1024); do
        printf 'GARBAGE-%05d-%s' "$i" 'xx@@##$$%%^^&&**(())__++==--~~'
    done | head -c 65536
}

test_eval_rejects_nonexistent_snapshot_path() {
    expect_eval_refused 1 "no-such-snapshot.db" "No such file" -- eval no-such-snapshot.db
}

test_check_rejects_nonexistent_snapshot_path() {
    run_kaohe check no-such-snapshot.db
    expect_exit 1
    expect_stderr_contains "no-such-snapshot.db"
}

test_eval_rejects_a_directory_as_snapshot() {
    mkdir snapshots.d
    expect_eval_refused 1 "snapshots.d" -- eval snapshots.d
}

test_eval_rejects_text_file_as_snapshot() {
    printf 'id,name\n%s,新华社区\n' "$COMMUNITY_1" >communities.csv
    expect_eval_refused 1 "communities.csv" "not an SQLite database" -- eval communities.csv
}

test_eval_rejects_empty_file_as_snapshot() {
    : >empty.db
    local sum
    sum=$(file_sha empty.db)
    expect_eval_refused 1 "empty.db" "not an SQLite database" -- eval empty.db
    expect_same_bytes empty.db "$sum"
}

test_eval_rejects_snapshot_with_garbage_in_the_middle() {
    local size
    cp "$SAMPLE_DB" garbled.db
    size=$(stat -c %s garbled.db)
    garbage | dd of=garbled.db bs=4096 seek=$((size / 2 / 4096)) conv=notrunc status=none ||
        die "dd failed"
    expect_eval_refused 1 "garbled.db" -- eval garbled.db
    expect_stderr_matches "malformed|corrupt|not a (readable )?(SQLite )?database"
}

test_eval_rejects_snapshot_with_garbage_in_a_table_page() {
    local page
    page=$(sql "$SAMPLE_DB" "SELECT pageno FROM dbstat WHERE name = 'workers' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 1")
    [ -n "$page" ] || die "no leaf page of workers in the sample"
    cp "$SAMPLE_DB" table-page.db
    garbage | head -c 4096 | dd of=table-page.db bs=4096 seek=$((page - 1)) conv=notrunc status=none ||
        die "dd failed"
    expect_eval_refused 1 "table-page.db" -- eval table-page.db
    expect_stderr_matches "malformed|corrupt"
}

test_eval_rejects_snapshot_with_garbage_in_an_index_page() {
    local page
    page=$(sql "$SAMPLE_DB" "SELECT pageno FROM dbstat WHERE name = 'survey_community' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 1")
    [ -n "$page" ] || die "no leaf page of survey_community in the sample"
    cp "$SAMPLE_DB" index-page.db
    garbage | head -c 4096 | dd of=index-page.db bs=4096 seek=$((page - 1)) conv=notrunc status=none ||
        die "dd failed"
    expect_eval_refused 1 "index-page.db" -- eval index-page.db
    expect_stderr_matches "malformed|corrupt"
}

test_eval_rejects_truncated_snapshot() {
    local size
    size=$(stat -c %s "$SAMPLE_DB")
    head -c $((size / 2)) "$SAMPLE_DB" >half.db
    expect_eval_refused 1 "half.db" -- eval half.db
    expect_stderr_matches "malformed|corrupt|truncated|not a (readable )?(SQLite )?database"
}

test_eval_rejects_snapshot_truncated_inside_the_header() {
    head -c 60 "$SAMPLE_DB" >header-only.db
    expect_eval_refused 1 "header-only.db" -- eval header-only.db
}

test_eval_rejects_snapshot_without_a_table() {
    snapshot_variant no-tasks.db "DROP TABLE tasks"
    expect_eval_refused 1 "no-tasks.db" "table tasks" "missing" -- eval no-tasks.db
}

test_check_rejects_snapshot_without_a_table() {
    snapshot_variant no-tasks.db "DROP TABLE tasks"
    run_kaohe check no-tasks.db
    expect_exit 1
    expect_stderr_contains "no-tasks.db" "table tasks"
}

test_eval_rejects_snapshot_without_a_column() {
    # Rebuild workers without cert_level (the other columns as they were).
    local columns
    columns=$(sql "$SAMPLE_DB" "SELECT group_concat(name, ', ') FROM pragma_table_info('workers') WHERE name != 'cert_level'")
    snapshot_variant no-cert.db "
        CREATE TABLE workers_new AS SELECT $columns FROM workers;
        DROP TABLE workers;
        ALTER TABLE workers_new RENAME TO workers;"
    expect_eval_refused 1 "no-cert.db" "table workers" "cert_level" -- eval no-cert.db
}

test_eval_rejects_text_in_an_integer_column() {
    require_sample_rows
    snapshot_variant text-population.db \
        "UPDATE communities SET population = 'many' WHERE id = '$COMMUNITY_1'"
    expect_eval_refused 1 "text-population.db" "table communities" "$COMMUNITY_1" "population" \
        -- eval text-population.db
}

test_eval_rejects_blob_in_a_real_column() {
    require_sample_rows
    snapshot_variant blob-area.db \
        "UPDATE communities SET area_km2 = x'00ff10' WHERE id = '$COMMUNITY_2'"
    expect_eval_refused 1 "blob-area.db" "table communities" "$COMMUNITY_2" "area_km2" \
        -- eval blob-area.db
}

test_eval_rejects_blob_in_a_text_column() {
    require_sample_rows
    snapshot_variant blob-role.db \
        "UPDATE workers SET role = x'736563726574617279' WHERE id = '$WORKER_2'"
    expect_eval_refused 1 "blob-role.db" "table workers" "$WORKER_2" "role" -- eval blob-role.db
}

test_eval_rejects_snapshot_without_as_of() {
    snapshot_variant no-as-of.db "DELETE FROM snapshot_meta WHERE key = 'as_of'"
    expect_eval_refused 1 "no-as-of.db" "snapshot_meta" "as_of" -- eval no-as-of.db
}

test_eval_rejects_as_of_that_is_not_a_date() {
    snapshot_variant as-of-text.db "UPDATE snapshot_meta SET value = '31/12/2025' WHERE key = 'as_of'"
    expect_eval_refused 1 "as-of-text.db" "snapshot_meta" "as_of" "31/12/2025" -- eval as-of-text.db
}

test_eval_rejects_as_of_on_a_day_that_does_not_exist() {
    snapshot_variant as-of-feb30.db "UPDATE snapshot_meta SET value = '2025-02-30' WHERE key = 'as_of'"
    expect_eval_refused 1 "as-of-feb30.db" "as_of" "2025-02-30" -- eval as-of-feb30.db
}

test_eval_rejects_non_utf8_text_naming_table_and_row() {
    require_sample_rows
    snapshot_variant latin.db \
        "UPDATE communities SET name = CAST(x'e4bdff' AS TEXT) WHERE id = '$COMMUNITY_2'"
    expect_eval_refused 1 "latin.db" "table communities" "$COMMUNITY_2" "name" "UTF-8" \
        -- eval latin.db
}

test_eval_rejects_unknown_cert_level_naming_the_worker() {
    require_sample_rows
    snapshot_variant expert.db "UPDATE workers SET cert_level = 'expert' WHERE id = '$WORKER_2'"
    expect_eval_refused 1 "expert.db" "table workers" "$WORKER_2" "cert_level" "expert" \
        -- eval expert.db
}

test_eval_rejects_hire_date_that_does_not_exist() {
    require_sample_rows
    snapshot_variant feb30.db "UPDATE workers SET hire_date = '2023-02-30' WHERE id = '$WORKER_3'"
    expect_eval_refused 1 "feb30.db" "table workers" "$WORKER_3" "hire_date" "2023-02-30" \
        -- eval feb30.db
}

test_eval_rejects_hire_date_in_a_month_that_does_not_exist() {
    require_sample_rows
    snapshot_variant month13.db "UPDATE workers SET hire_date = '2023-13-01' WHERE id = '$WORKER_3'"
    expect_eval_refused 1 "month13.db" "table workers" "$WORKER_3" "hire_date" -- eval month13.db
}

test_eval_rejects_score_above_100_naming_the_worker() {
    require_sample_rows
    snapshot_variant score101.db "UPDATE workers SET score_civil = 101 WHERE id = '$WORKER_4'"
    expect_eval_refused 1 "score101.db" "table workers" "$WORKER_4" "score_civil" -- eval score101.db
}

test_eval_rejects_negative_score_naming_the_worker() {
    require_sample_rows
    snapshot_variant score-neg.db "UPDATE workers SET score_residents = -0.5 WHERE id = '$WORKER_4'"
    expect_eval_refused 1 "score-neg.db" "table workers" "$WORKER_4" "score_residents" \
        -- eval score-neg.db
}

test_eval_rejects_worker_of_a_community_that_does_not_exist() {
    require_sample_rows
    snapshot_variant orphan.db "UPDATE workers SET community_id = '9999999999' WHERE id = '$WORKER_5'"
    expect_eval_refused 1 "orphan.db" "table workers" "$WORKER_5" "community_id" "9999999999" \
        -- eval orphan.db
}

test_eval_never_modifies_the_snapshot() {
    cp "$SAMPLE_DB" snapshot.db
    local sum
    sum=$(file_sha snapshot.db)
    run_kaohe eval snapshot.db --out results.db -q
    expect_exit 0
    expect_same_bytes snapshot.db "$sum"
    expect_dir_holds . results.db snapshot.db
}
