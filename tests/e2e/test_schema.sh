# Conformance copies: the schemas compiled into the engine are byte-identical
# to the shared specification (when ../shared is there), and a results
# database the engine writes has every table and column of the contract.

require_shared_spec() {
    [ -d "$SHARED_DIR/spec" ] || skip "no $SHARED_DIR/spec next to the repository"
}

test_snapshot_schema_copy_is_identical_to_the_spec() {
    require_shared_spec
    cmp "$REPO_ROOT/engine/data/snapshot_schema.sql" "$SHARED_DIR/spec/snapshot.sql" ||
        fail "engine/data/snapshot_schema.sql differs from ../shared/spec/snapshot.sql"
}

test_results_schema_copy_is_identical_to_the_spec() {
    require_shared_spec
    cmp "$REPO_ROOT/engine/results/results_schema.sql" "$SHARED_DIR/spec/results.sql" ||
        fail "engine/results/results_schema.sql differs from ../shared/spec/results.sql"
}

test_results_database_has_every_contract_table_and_column() {
    local spec=$SHARED_DIR/spec/results.sql
    [ -f "$spec" ] || spec=$REPO_ROOT/engine/results/results_schema.sql
    sqlite3 -batch contract.db <"$spec" || die "cannot load $spec"
    run_kaohe eval "$SAMPLE_DB" --out results.db -q
    expect_exit 0 || return
    # Every (table, column, type) of the contract, missing from the output.
    expect_sql results.db "
        ATTACH 'contract.db' AS contract;
        SELECT t.name || '.' || c.name || ' ' || c.type
        FROM contract.sqlite_schema t, pragma_table_info(t.name, 'contract') c
        WHERE t.type = 'table'
          AND NOT EXISTS (SELECT 1 FROM main.sqlite_schema m, pragma_table_info(m.name, 'main') mc
                          WHERE m.type = 'table' AND m.name = t.name AND mc.name = c.name
                            AND mc.type = c.type)
        ORDER BY 1" ""
}
