# The snapshot's physical form must not change what is read. The same rows
# can be stored many ways: columns declared with a collation or another type,
# tables without their primary key, extra or partial indexes, a write-ahead
# log beside the file, UTF-16 text, infinities, NUL characters, generated or
# virtual columns, another page size. Each form is either read exactly as
# snapshot.sql defines the data (the scores are those of the plain sample) or
# refused with exit 1 and a message that names the table and column (and row)
# and says how to fix it; and nothing is ever created beside the snapshot.
# (tests/fuzz/fuzz_schema.c tries arbitrary schemas the same way.)

# Rows of the sample used below (ids are stable: fixtures/gen_sample.py).
FORM_COMMUNITY=3710010101
FORM_COMMUNITY_2=3710010102
FORM_WORKER=3710010101-W02

# redeclare_table DB TABLE SED [SQL]: rebuilds TABLE with its CREATE TABLE
# statement edited by the sed script SED (dies when SED changes nothing),
# keeping its rows and indexes; SQL runs first in the same session (e.g.
# PRAGMA ignore_check_constraints = ON).
redeclare_table() {
    local db=$1 table=$2 edit=$3 before=${4:-} ddl rename new plain indexes columns
    ddl=$(sql "$db" "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '$table'")
    [ -n "$ddl" ] || die "no table $table in $db"
    rename="1s/^CREATE TABLE \"\{0,1\}$table\"\{0,1\} /CREATE TABLE ${table}_new /"
    new=$(printf '%s\n' "$ddl" | sed -e "$edit" -e "$rename")
    plain=$(printf '%s\n' "$ddl" | sed -e "$rename")
    [ "$new" != "$plain" ] || die "sed '$edit' changed nothing in the CREATE TABLE of $table"
    indexes=$(sql "$db" "SELECT group_concat(sql, '; ') FROM sqlite_schema
                         WHERE type = 'index' AND tbl_name = '$table' AND sql IS NOT NULL")
    sql "$db" "$new" >/dev/null
    columns=$(sql "$db" "SELECT group_concat('\"' || name || '\"', ', ')
                         FROM pragma_table_xinfo('${table}_new') WHERE hidden = 0
                             AND name IN (SELECT name FROM pragma_table_info('$table'))")
    sql "$db" "$before PRAGMA foreign_keys = OFF; BEGIN;
        INSERT INTO ${table}_new ($columns) SELECT $columns FROM \"$table\";
        DROP TABLE \"$table\"; ALTER TABLE ${table}_new RENAME TO \"$table\";
        ${indexes:+$indexes;} COMMIT;" >/dev/null
}

# add_community DB ID: a copy of community $FORM_COMMUNITY under another id.
add_community() {
    sql "$1" "INSERT INTO communities SELECT '$2', name || '$2', district, street, area_km2,
                  population, households, floating_population, minority_population
              FROM communities WHERE id = '$FORM_COMMUNITY'" >/dev/null
}

# Every result row of a results file (one run), sorted, for comparing runs.
scores_of() {
    local table
    for table in indicator_scores community_scores category_scores target_checks \
        worker_appraisals task_decisions department_stats; do
        echo "== $table"
        sql "$1" "SELECT * FROM $table" | LC_ALL=C sort
    done
}

# expect_scores_of_sample RESULTS: RESULTS holds exactly the scores of the
# plain sample (evaluated once per test into sample-results.db).
expect_scores_of_sample() {
    if [ ! -f sample-results.db ]; then
        run_kaohe eval "$SAMPLE_DB" --out sample-results.db -q
        expect_exit 0 || return 1
    fi
    if [ "$(scores_of "$1")" != "$(scores_of sample-results.db)" ]; then
        fail "$1: the scores differ from the plain sample's"
        diff <(scores_of sample-results.db) <(scores_of "$1") | head -n 10 | sed 's/^/    /' >&2
        return 1
    fi
}

# Makes $TEST_TMP reachable for the unprivileged user of run_kaohe_as_nobody.
open_to_nobody() {
    if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
        skip "running as root without setpriv: cannot make a directory read-only"
    fi
    chmod 755 "$TEST_TMP/.." "$TEST_TMP" || die "chmod"
}

# --- collations ------------------------------------------------------------------

# organizations.community_id COLLATE NOCASE: the join to communities and the
# GROUP BY ignore case, so ZZ1 would get zz1's ten organizations (A06 3
# points it never earned).
test_nocase_reference_column_is_refused_not_joined_case_blind() {
    snapshot_variant nocase.db ""
    add_community nocase.db ZZ1
    add_community nocase.db zz1
    sql nocase.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
        INSERT INTO organizations (id, community_id, name, kind, registered, evaluated, rating)
        SELECT 'zz-org-' || i, 'zz1', '组织' || i, 'culture', 1, 1, 'AAA' FROM n" >/dev/null
    redeclare_table nocase.db organizations \
        's/^  community_id TEXT NOT NULL/  community_id TEXT NOT NULL COLLATE NOCASE/'
    expect_eval_refused 1 "nocase.db" "table organizations" "community_id" "COLLATE NOCASE" \
        -- eval nocase.db
}

# communities.id COLLATE NOCASE orders a1 before B1, which byte order does
# not: the lookup of a worker's community then failed ("refers to no
# community") although the community is there.
test_nocase_id_column_is_refused_naming_the_collation() {
    snapshot_variant nocase-id.db "INSERT INTO workers SELECT id || '-a', 'a1', name, birth_date,
            hire_date, role, education, cert_level, cert_date, training_hours, score_civil,
            score_community, score_residents, status, left_date, left_reason
        FROM workers WHERE community_id = '$FORM_COMMUNITY'"
    add_community nocase-id.db a1
    add_community nocase-id.db B1
    redeclare_table nocase-id.db communities \
        's/^  id                  TEXT PRIMARY KEY/  id TEXT PRIMARY KEY COLLATE NOCASE/'
    expect_eval_refused 1 "nocase-id.db" "table communities" "id" "COLLATE NOCASE" \
        -- eval nocase-id.db
    expect_stderr_not_contains "refers to no"
}

test_collation_in_an_index_is_refused() {
    snapshot_variant index-nocase.db "CREATE INDEX workers_by_community_nocase
        ON workers(community_id COLLATE NOCASE, status COLLATE RTRIM)"
    expect_eval_refused 1 "index-nocase.db" "table workers" "workers_by_community_nocase" \
        "COLLATE NOCASE" -- eval index-nocase.db
}

# --- files beside the snapshot ---------------------------------------------------

# A snapshot whose last changes are still in its -wal (a copy taken while a
# program had it open): other programs read them, and kaohe used to score
# them too while hashing the main file alone, so a run could not be
# verified once the -wal was gone.
test_wal_with_changes_beside_the_snapshot_is_refused() {
    cp "$SAMPLE_DB" source.db
    sqlite3 -batch source.db >/dev/null <<'SQL' || die "cannot build the WAL"
PRAGMA journal_mode = WAL;
PRAGMA wal_autocheckpoint = 0;
UPDATE organizations SET registered = 1;
.shell cp source.db wal.db && cp source.db-wal wal.db-wal
SQL
    rm -f source.db source.db-wal source.db-shm
    [ -s wal.db-wal ] || die "no -wal beside wal.db"
    expect_eval_refused 1 "wal.db-wal" "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE" \
        -- eval wal.db
    expect_file_absent wal.db-shm
    # SQLite looks for the -wal beside the file a link points to.
    mkdir links && ln -s ../wal.db links/snapshot.db
    expect_eval_refused 1 "wal.db-wal" "PRAGMA wal_checkpoint(TRUNCATE)" -- eval links/snapshot.db
    # The command the message gives makes a snapshot kaohe reads, with the
    # changes that were in the -wal.
    sqlite3 -batch wal.db 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE' >/dev/null ||
        die "checkpoint failed"
    run_kaohe eval wal.db --out results.db -q
    expect_exit 0
    snapshot_variant expected.db "UPDATE organizations SET registered = 1"
    run_kaohe eval expected.db --out expected.results.db -q
    expect_exit 0
    expect_eq "$(scores_of results.db)" "$(scores_of expected.results.db)" \
        "scores after the checkpoint"
}

# A write cut short leaves a hot journal: the file may hold half of the
# write, which other programs roll back before reading.
test_hot_journal_beside_the_snapshot_is_refused() {
    cp "$SAMPLE_DB" source.db
    sqlite3 -batch source.db >/dev/null <<'SQL' || die "cannot build the journal"
PRAGMA cache_size = 2;
BEGIN;
UPDATE organizations SET registered = 1, name = name || printf('%.500c', 'x');
UPDATE facts SET value = 0;
.shell cp source.db hot.db && cp source.db-journal hot.db-journal
ROLLBACK;
SQL
    rm -f source.db source.db-journal
    [ -s hot.db-journal ] || die "no -journal beside hot.db"
    expect_eval_refused 1 "hot.db-journal" "hot journal" "PRAGMA integrity_check" -- eval hot.db
    # The command the message gives rolls the write back: the sample again.
    sqlite3 -batch hot.db 'PRAGMA integrity_check' >/dev/null || die "rollback failed"
    run_kaohe eval hot.db --out results.db -q
    expect_exit 0
    expect_scores_of_sample results.db
}

# Every command that reads a snapshot, in rollback and in WAL mode (the mode
# sqlite3 opens a -wal and -shm for, even to read): the folder holds the
# same files afterwards, and `kaohe test` leaves nothing in TMPDIR.
test_nothing_is_created_beside_the_snapshot() {
    local mode
    for mode in delete wal; do
        mkdir "$mode" "$mode-tmp"
        cp "$SAMPLE_DB" "$mode/snapshot.db"
        sql "$mode/snapshot.db" "PRAGMA journal_mode = $mode" >/dev/null
        expect_dir_holds "$mode" snapshot.db
        run_kaohe eval "$mode/snapshot.db" --out "$mode-results.db" -q
        expect_exit 0
        run_kaohe check "$mode/snapshot.db"
        expect_exit 0
        run_kaohe whatif "$mode/snapshot.db" --set elimination.bottom_ratio=0.05
        expect_exit 0
        run_kaohe explain "$mode/snapshot.db" --community "$FORM_COMMUNITY" --indicator A06
        expect_exit 0
        run_kaohe verify "$mode-results.db"
        expect_exit 0
        run_kaohe admit "$mode/snapshot.db"
        expect_exit 0
        TMPDIR=$TEST_TMP/$mode-tmp run_kaohe test "$REPO_ROOT/rules/tests" A06
        expect_exit 0
        expect_dir_holds "$mode" snapshot.db
        expect_dir_holds "$mode-tmp"
    done
}

test_snapshot_in_wal_mode_in_a_read_only_folder_is_evaluated() {
    open_to_nobody
    mkdir locked
    cp "$SAMPLE_DB" locked/snapshot.db
    sql locked/snapshot.db "PRAGMA journal_mode = WAL" >/dev/null
    chmod 644 locked/snapshot.db
    chmod 555 locked
    mkdir out && chmod 777 out
    run_kaohe_as_nobody eval locked/snapshot.db --out out/results.db -q
    expect_exit 0
    chmod 755 locked
    expect_dir_holds locked snapshot.db
    expect_scores_of_sample out/results.db
}

# SQLite reads a name starting with "file:" as a URI: kaohe hashed the file
# "file:x.db" but scored x.db.
test_snapshot_named_like_a_uri_is_read_from_that_very_file() {
    snapshot_variant x.db "UPDATE organizations SET registered = 1"
    cp "$SAMPLE_DB" "file:x.db"
    run_kaohe eval "file:x.db" --out results.db -q
    expect_exit 0
    expect_scores_of_sample results.db
    expect_sql results.db "SELECT snapshot_sha256 FROM runs" "$(file_sha "$SAMPLE_DB")"
}

# --- keys and indexes ------------------------------------------------------------

# A UNIQUE index that covers no row (WHERE id = 'never') made the duplicate
# check believe ids were unique; the run then failed writing the results.
test_partial_unique_index_does_not_switch_off_the_duplicate_id_check() {
    snapshot_variant partial.db ""
    redeclare_table partial.db communities \
        's/^  id                  TEXT PRIMARY KEY/  id TEXT NOT NULL/'
    sql partial.db "CREATE UNIQUE INDEX communities_never ON communities(id) WHERE id = 'never';
        INSERT INTO communities SELECT * FROM communities WHERE id = '$FORM_COMMUNITY'" >/dev/null
    expect_eval_refused 1 "partial.db" "table communities" "'$FORM_COMMUNITY'" "more than once" \
        -- eval partial.db
    expect_stderr_not_contains "UNIQUE constraint failed"
}

# The primary key's index built in NOCASE order, then the schema edited to
# drop the COLLATE (PRAGMA quick_check still says ok): SQL returns the ids in
# the index's order, which byte order is not.
test_index_in_another_order_than_its_column_is_refused() {
    snapshot_variant lying.db ""
    add_community lying.db a1
    add_community lying.db B1
    redeclare_table lying.db communities \
        's/^  id                  TEXT PRIMARY KEY/  id TEXT PRIMARY KEY COLLATE NOCASE/'
    sql lying.db "PRAGMA writable_schema = ON;
        UPDATE sqlite_schema SET sql = replace(sql, ' COLLATE NOCASE', '')
            WHERE name = 'communities';" >/dev/null
    expect_sql lying.db "PRAGMA quick_check" "ok"
    expect_eval_refused 1 "lying.db" "table communities" "'a1' and 'B1'" "byte order" \
        -- eval lying.db
}

# facts and visits without their PRIMARY KEY: a second row for the same
# (community, key) was read or not depending on the order rows were stored
# in, and visits were counted twice.
test_duplicate_composite_keys_without_their_primary_key_are_refused() {
    snapshot_variant facts.db "CREATE TABLE f2 AS SELECT * FROM facts WHERE 0;
        INSERT INTO f2 SELECT community_id, key, 0 FROM facts WHERE community_id = '$FORM_COMMUNITY';
        INSERT INTO f2 SELECT * FROM facts; DROP TABLE facts; ALTER TABLE f2 RENAME TO facts;"
    expect_eval_refused 1 "facts.db" "table facts" "'$FORM_COMMUNITY amenity_types'" \
        "(community_id, key) appears more than once" -- eval facts.db
    snapshot_variant visits.db "CREATE TABLE v2 AS SELECT * FROM visits;
        INSERT INTO v2 SELECT * FROM visits WHERE worker_id = '$FORM_WORKER';
        DROP TABLE visits; ALTER TABLE v2 RENAME TO visits;"
    expect_eval_refused 1 "visits.db" "table visits" "'$FORM_WORKER " \
        "(worker_id, month) appears more than once" -- eval visits.db
}

test_duplicate_snapshot_meta_keys_are_refused() {
    snapshot_variant meta.db "CREATE TABLE m2 AS SELECT * FROM snapshot_meta WHERE 0;
        INSERT INTO m2 VALUES ('as_of', '2024-12-31');
        INSERT INTO m2 SELECT * FROM snapshot_meta; DROP TABLE snapshot_meta;
        ALTER TABLE m2 RENAME TO snapshot_meta;"
    expect_eval_refused 1 "meta.db" "table snapshot_meta" "'as_of'" "more than once" -- eval meta.db
}

# --- how values are stored -------------------------------------------------------

# 1e309 is stored as +Inf: it passed the checks and was scored as missing.
test_infinite_numbers_are_refused_in_every_real_column() {
    local table column row key sign
    while IFS='|' read -r table column; do
        for sign in "" "-"; do
            case $table in
            facts) key="community_id = '$FORM_COMMUNITY' AND key = 'plates'" row="$FORM_COMMUNITY plates" ;;
            *) row=$(sql "$SAMPLE_DB" "SELECT id FROM $table ORDER BY id LIMIT 1") key="id = '$row'" ;;
            esac
            snapshot_variant inf.db "UPDATE $table SET $column = ${sign}1e309 WHERE $key"
            run_kaohe eval inf.db -q
            expect_exit 1
            expect_stderr_contains "table $table" "'$row'" "$column" "${sign:-+}Inf"
        done
    done < <(sql "$SAMPLE_DB" "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
                              WHERE m.type = 'table' AND p.type = 'REAL' ORDER BY 1, 2")
}

# A snapshot written as UTF-16 compares text in UTF-16 order, not byte order:
# '甲' sorts before '乙' there and after it in UTF-8, and the lookup of the
# worker's community failed.
test_utf16_snapshot_is_refused_with_how_to_convert_it() {
    (echo "PRAGMA encoding = 'UTF-16le';" && sqlite3 -batch "$SAMPLE_DB" .dump) |
        sqlite3 -batch utf16.db || die "cannot build utf16.db"
    add_community utf16.db 甲
    add_community utf16.db 乙
    sql utf16.db "INSERT INTO workers SELECT id || '-j', '甲', name, birth_date, hire_date, role,
            education, cert_level, cert_date, training_hours, score_civil, score_community,
            score_residents, status, left_date, left_reason
        FROM workers WHERE community_id = '$FORM_COMMUNITY'" >/dev/null
    expect_eval_refused 1 "utf16.db" "UTF-16le" ".dump" -- eval utf16.db
    expect_stderr_not_contains "refers to no"
}

# facts.value declared INTEGER stores 2.0 as the integer 2 (7 / 2 is then 3
# in rule SQL); a column without a type keeps 7 and '7' apart.
test_column_declared_with_another_type_is_refused() {
    snapshot_variant integer-value.db ""
    redeclare_table integer-value.db facts 's/^  value        REAL,/  value        INTEGER,/'
    expect_eval_refused 1 "integer-value.db" "table facts" "value" "INTEGER" "REAL" \
        -- eval integer-value.db
    snapshot_variant untyped.db ""
    redeclare_table untyped.db workers 's/^  community_id    TEXT NOT NULL/  community_id NOT NULL/'
    expect_eval_refused 1 "untyped.db" "table workers" "community_id" "TEXT" -- eval untyped.db
}

# A TEXT column holding numbers (a schema edited after the rows were
# written): community_id = 3710010101 is not '3710010101' to SQL, so the
# community's postings vanished from C06 while the reference check passed.
test_number_stored_in_a_text_column_is_refused() {
    snapshot_variant number.db ""
    redeclare_table number.db postings 's/^  community_id TEXT NOT NULL/  community_id BLOB NOT NULL/'
    sql number.db "UPDATE postings SET community_id = CAST(community_id AS INTEGER)
            WHERE community_id = '$FORM_COMMUNITY';
        PRAGMA writable_schema = ON;
        UPDATE sqlite_schema SET sql = replace(sql, 'community_id BLOB', 'community_id TEXT')
            WHERE name = 'postings';" >/dev/null
    expect_sql number.db "SELECT DISTINCT typeof(community_id) FROM postings
                          WHERE CAST(community_id AS TEXT) = '$FORM_COMMUNITY'" "integer"
    expect_eval_refused 1 "number.db" "table postings" "community_id" "$FORM_COMMUNITY" "not text" \
        -- eval number.db
}

# 'N1' || char(0) || 'evil' is another id to SQL but 'N1' to C: two
# communities 'N1', and the run failed writing the results.
test_nul_character_in_text_is_refused() {
    snapshot_variant nul.db ""
    add_community nul.db N1
    sql nul.db "INSERT INTO communities SELECT 'N1' || char(0) || 'evil', name || '乙', district,
            street, area_km2, population, households, floating_population, minority_population
        FROM communities WHERE id = '$FORM_COMMUNITY'" >/dev/null
    expect_eval_refused 1 "nul.db" "table communities" "id" "NUL" -- eval nul.db
    expect_stderr_not_contains "UNIQUE constraint failed"
    snapshot_variant nul-meta.db "UPDATE snapshot_meta SET value = value || char(0) || 'x'
        WHERE key = 'as_of'"
    expect_eval_refused 1 "nul-meta.db" "table snapshot_meta" "'as_of'" "NUL" -- eval nul-meta.db
}

test_generated_column_in_place_of_a_column_is_refused_as_generated() {
    snapshot_variant computed.db ""
    redeclare_table computed.db communities \
        's/^  population          INTEGER,/  population INTEGER GENERATED ALWAYS AS (households * 3) VIRTUAL,/'
    expect_eval_refused 1 "computed.db" "table communities" "population" "generated column" \
        -- eval computed.db
}

test_virtual_table_in_place_of_a_table_is_refused() {
    sql "$SAMPLE_DB" "SELECT 1 FROM pragma_module_list WHERE name = 'fts5'" | grep -q 1 ||
        skip "this SQLite has no fts5"
    snapshot_variant virtual.db "ALTER TABLE tasks RENAME TO tasks_real;
        CREATE VIRTUAL TABLE tasks USING fts5(id, community_id, department, title, detail,
            received_on, approval_ref, funded, staffed);
        INSERT INTO tasks SELECT * FROM tasks_real; DROP TABLE tasks_real;"
    expect_eval_refused 1 "virtual.db" "table tasks" "virtual table" -- eval virtual.db
}

# --- forms that change nothing ---------------------------------------------------

# Rows stored in reverse order, communities and workers WITHOUT ROWID, and
# descending indexes the planner may prefer: ties and scan order must not
# show in any result.
test_row_order_without_rowid_and_extra_indexes_change_nothing() {
    local table
    snapshot_variant order.db ""
    redeclare_table order.db communities '$s/^)$/) WITHOUT ROWID/'
    redeclare_table order.db workers '$s/^)$/) WITHOUT ROWID/'
    for table in organizations activities postings survey_responses requests tasks snapshot_meta; do
        sql order.db "PRAGMA foreign_keys = OFF; BEGIN;
            CREATE TABLE reversed AS SELECT * FROM $table ORDER BY rowid DESC;
            DELETE FROM $table; INSERT INTO $table SELECT * FROM reversed; DROP TABLE reversed;
            COMMIT;" >/dev/null
    done
    sql order.db "CREATE INDEX w_scores ON workers(score_civil DESC, community_id DESC);
        CREATE INDEX c_places ON communities(district DESC, street DESC, population);
        CREATE INDEX t_titles ON tasks(title DESC, id DESC);
        CREATE UNIQUE INDEX o_ids ON organizations(id DESC);" >/dev/null
    run_kaohe eval order.db --out results.db -q
    expect_exit 0
    expect_scores_of_sample results.db
}

test_page_size_reserved_bytes_and_header_fields_change_nothing() {
    cp "$SAMPLE_DB" pages.db
    printf '%s\n' 'PRAGMA page_size = 512;' 'PRAGMA auto_vacuum = FULL;' \
        '.filectrl reserve_bytes 32' 'VACUUM;' 'PRAGMA application_id = 1234;' \
        'PRAGMA user_version = 99;' | sqlite3 -batch pages.db >/dev/null || die "cannot rewrite pages.db"
    [ "$(od -An -tu1 -j20 -N1 pages.db | tr -d ' ')" = 32 ] || die "no reserved bytes in pages.db"
    run_kaohe eval pages.db --out results.db -q
    expect_exit 0
    expect_scores_of_sample results.db
}

test_check_constraints_autoincrement_and_statistics_change_nothing() {
    snapshot_variant extras.db ""
    redeclare_table extras.db organizations \
        's/^  rating       TEXT /  rating       TEXT CHECK (registered = 2) /' \
        "PRAGMA ignore_check_constraints = ON;"
    redeclare_table extras.db tasks 's/^  id           TEXT PRIMARY KEY,/  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,/'
    sql extras.db "ANALYZE; INSERT OR REPLACE INTO sqlite_stat1 VALUES ('workers', 'workers_community', '1000000 1');" >/dev/null
    run_kaohe eval extras.db --out results.db -q
    expect_exit 0
    expect_scores_of_sample results.db
}
