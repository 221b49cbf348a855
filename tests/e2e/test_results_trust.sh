# A results file is input: kaohe writes into it only when what it holds is
# exactly what kaohe made, and every --out that cannot be written says why.
#
# The attacks: a results file whose schema acts on the rows kaohe writes
# (triggers, a view standing in for a table, indexes, changed tables and
# columns, virtual tables, WAL state left by another program). Each is
# refused before anything is written: exit 1, a message naming what was
# found, and the file keeps its bytes (sha256 before and after).
#
# Leftovers: new files are built as RESULTS.tmp-PID; after SIGKILLs at
# random moments of the creation, the next eval leaves no temporary file
# and no journal. A live creator's temporary file is never removed.
#
# --out that names an empty file, a dangling symlink, a symlink loop, a
# folder, a FIFO, a missing or unwritable folder, a file that is not SQLite:
# each either works (the empty file is filled) or fails with a message that
# says what was found (never "kaohe: " alone).

# The sample evaluated once into a results file: one earlier run.
trust_results() {
    local cached=$E2E_SUITE_TMP/trust-results.db
    if [ ! -f "$cached" ]; then
        run_kaohe eval "$SAMPLE_DB" --out "$cached.tmp" --quiet
        [ "$LAST_EXIT" = 0 ] || die "cannot evaluate the sample: $(head -n 3 "$LAST_STDERR")"
        mv "$cached.tmp" "$cached"
    fi
    cp "$cached" "$1" || die "cp $cached"
}

# tampered FILE SQL: FILE is the one-run results file changed by SQL.
tampered() {
    local out
    trust_results "$1"
    out=$(sqlite3 -batch "$1" "$2" 2>&1) || die "tampering with $1: $2: $out"
}

# expect_refused_untouched FILE NEEDLE...: eval into FILE fails with exit 1,
# the message names FILE and every NEEDLE, and FILE keeps its bytes, with no
# journal or temporary file beside it.
expect_refused_untouched() {
    local db=$1 sum
    shift
    sum=$(file_sha "$db")
    run_kaohe eval "$SAMPLE_DB" --out "$db" --quiet
    expect_exit 1
    expect_stderr_contains "$db" "$@"
    expect_same_bytes "$db" "$sum"
    expect_dir_holds "$(dirname "$db")" "$(basename "$db")"
}

# The earlier run's totals, for checking they survived.
totals_of_run_1() {
    sql "$1" "SELECT group_concat(community_id || '=' || total || '/' || stars, ',')
        FROM (SELECT * FROM community_scores WHERE run_id = 1 ORDER BY community_id)"
}

# --- the file's schema acts on what kaohe writes -------------------------------

test_trigger_deleting_earlier_runs_is_refused_before_writing() {
    local before
    tampered results.db "CREATE TRIGGER wipe AFTER INSERT ON runs BEGIN
        DELETE FROM indicator_scores WHERE run_id < NEW.run_id; END;"
    before=$(sql results.db "SELECT count(*) FROM indicator_scores WHERE run_id = 1")
    expect_refused_untouched results.db "trigger wipe on table runs" "kaohe did not make" \
        "refused before evaluating" "DROP TRIGGER"
    expect_sql results.db "SELECT count(*) FROM indicator_scores WHERE run_id = 1" "$before"
    # What the message says to do works: without the trigger, eval appends.
    sql results.db "DROP TRIGGER wipe" >/dev/null
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0
    expect_sql results.db "SELECT count(*) FROM runs" "2"
    expect_sql results.db "SELECT count(*) FROM indicator_scores WHERE run_id = 1" "$before"
}

# The file is checked before the snapshot is even opened (a province is
# not evaluated for minutes only to be refused), and again in the write
# transaction: a trigger added while the run is computed is refused there.
test_results_file_is_checked_before_the_snapshot_is_read() {
    tampered results.db "CREATE TRIGGER wipe AFTER INSERT ON runs BEGIN DELETE FROM runs; END;"
    run_kaohe eval no-such-snapshot.db --out results.db --quiet
    expect_exit 1
    expect_stderr_contains "trigger wipe" "refused before evaluating"
    expect_stderr_not_contains "no-such-snapshot.db"
}

test_trigger_added_while_evaluating_is_refused_at_the_write() {
    local big sum i
    if under_wrapper && [ "${E2E_SLOW:-0}" != 1 ]; then
        skip "2,000 communities under $KAOHE_WRAPPER: set E2E_SLOW=1 to run it"
    fi
    big=$(big_snapshot)
    trust_results results.db
    start_kaohe eval "$big" --out results.db --quiet
    # Once the snapshot is open, the early check is behind it.
    for ((i = 0; i < 2000; i++)); do
        ls -l "/proc/$BG_PID/fd" 2>/dev/null | grep -q "$(basename "$big")" && break
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.005
    done
    sql results.db "CREATE TRIGGER late AFTER INSERT ON community_scores BEGIN
        UPDATE community_scores SET total = 100.0 WHERE rowid = NEW.rowid; END;" >/dev/null
    sum=$(file_sha results.db)
    wait "$BG_PID"
    expect_eq "$?" 1 "the eval's exit status"
    grep -q "trigger late on table community_scores" "$TEST_META/bg.stderr" ||
        fail "the write did not name the trigger: $(head -c 300 "$TEST_META/bg.stderr")"
    grep -q "nothing was written" "$TEST_META/bg.stderr" ||
        fail "refused, but not at the write: $(head -c 300 "$TEST_META/bg.stderr")"
    expect_same_bytes results.db "$sum"
    expect_sql results.db "SELECT count(*) FROM runs" "1"
}

test_trigger_forcing_totals_to_100_is_refused_before_writing() {
    local before
    tampered results.db "CREATE TRIGGER five_stars AFTER INSERT ON community_scores BEGIN
        UPDATE community_scores SET total = 100.0, stars = 5 WHERE rowid = NEW.rowid; END;"
    before=$(totals_of_run_1 results.db)
    expect_refused_untouched results.db "trigger five_stars on table community_scores"
    expect_eq "$(totals_of_run_1 results.db)" "$before" "run 1's totals"
    expect_sql results.db "SELECT count(*) FROM runs" "1"
}

# A results file from an older kaohe lacks category_scores: a view of that
# name with an INSTEAD OF trigger would receive every category row.
test_view_standing_in_for_a_table_is_refused() {
    tampered results.db "DROP TABLE category_scores;
        CREATE VIEW category_scores AS SELECT run_id, community_id, 'A' AS category_id,
            0.0 AS points, 0.0 AS max_points FROM community_scores;
        CREATE TRIGGER take INSTEAD OF INSERT ON category_scores BEGIN DELETE FROM runs; END;"
    expect_refused_untouched results.db "view category_scores" "trigger take on table category_scores"
}

test_index_kaohe_did_not_make_is_refused() {
    tampered results.db "CREATE INDEX by_total ON community_scores(total)"
    expect_refused_untouched results.db "index by_total on table community_scores"
}

# A unique index with ON CONFLICT REPLACE would delete earlier rows.
test_unique_constraint_added_to_a_table_is_refused() {
    tampered results.db "CREATE UNIQUE INDEX one_per_community ON community_scores(community_id)"
    expect_refused_untouched results.db "index one_per_community"
}

# rebuild_table FILE TABLE DEFINITION: TABLE recreated with DEFINITION,
# keeping its rows (columns in the same order).
rebuild_table() {
    tampered "$1" "ALTER TABLE $2 RENAME TO old_$2; CREATE TABLE $2 ($3);
        INSERT INTO $2 SELECT * FROM old_$2; DROP TABLE old_$2;"
}

COMMUNITY_SCORES_DEF="run_id INTEGER NOT NULL REFERENCES runs(run_id), community_id TEXT NOT NULL,
    total REAL NOT NULL, stars INTEGER NOT NULL, rank INTEGER NOT NULL,
    PRIMARY KEY (run_id, community_id)"

# Constraints that act without any trigger: triggers off would not stop
# them, only the schema check does.
test_unique_on_conflict_replace_deleting_earlier_rows_is_refused() {
    local before
    rebuild_table results.db community_scores "$COMMUNITY_SCORES_DEF, UNIQUE (community_id) ON CONFLICT REPLACE"
    before=$(totals_of_run_1 results.db)
    expect_refused_untouched results.db "table community_scores changed"
    expect_eq "$(totals_of_run_1 results.db)" "$before" "run 1's totals"
}

test_not_null_on_conflict_replace_rewriting_missing_values_is_refused() {
    tampered results.db "ALTER TABLE indicator_scores RENAME TO o;
        CREATE TABLE indicator_scores (run_id INTEGER NOT NULL REFERENCES runs(run_id),
            community_id TEXT NOT NULL, indicator_id TEXT NOT NULL,
            value REAL NOT NULL ON CONFLICT REPLACE DEFAULT 100, points REAL NOT NULL,
            max_points REAL NOT NULL, status TEXT NOT NULL,
            PRIMARY KEY (run_id, community_id, indicator_id));
        INSERT INTO indicator_scores SELECT run_id, community_id, indicator_id,
            coalesce(value, 100), points, max_points, status FROM o; DROP TABLE o;"
    expect_refused_untouched results.db "table indicator_scores changed" "column value"
}

test_column_with_a_changed_default_is_refused() {
    rebuild_table results.db community_scores "${COMMUNITY_SCORES_DEF/total REAL NOT NULL/total REAL NOT NULL DEFAULT 100}"
    expect_refused_untouched results.db "table community_scores changed" "column total" "DEFAULT 100"
}

test_column_with_a_changed_type_is_refused() {
    rebuild_table results.db community_scores "${COMMUNITY_SCORES_DEF/total REAL/total TEXT}"
    expect_refused_untouched results.db "table community_scores changed" "column total is TEXT"
}

test_column_with_a_changed_collation_is_refused() {
    rebuild_table results.db community_scores "${COMMUNITY_SCORES_DEF/community_id TEXT NOT NULL/community_id TEXT NOT NULL COLLATE NOCASE}"
    expect_refused_untouched results.db "column community_id has COLLATE NOCASE"
}

# ON CONFLICT REPLACE on the key: nothing the pragmas show, only the text.
test_changed_constraint_is_refused() {
    rebuild_table results.db community_scores "${COMMUNITY_SCORES_DEF/community_id)/community_id) ON CONFLICT REPLACE}"
    expect_refused_untouched results.db "table community_scores changed" "constraints"
}

test_generated_column_is_refused() {
    rebuild_table results.db community_scores "${COMMUNITY_SCORES_DEF/rank INTEGER NOT NULL,/rank INTEGER NOT NULL, bonus REAL GENERATED ALWAYS AS (100.0) VIRTUAL,}"
    expect_refused_untouched results.db "table community_scores changed" "bonus"
}

test_extra_column_in_runs_is_refused() {
    tampered results.db "ALTER TABLE runs ADD COLUMN approved_by TEXT DEFAULT 'nobody'"
    expect_refused_untouched results.db "table runs changed" "an extra column approved_by"
}

test_table_kaohe_did_not_make_is_refused() {
    tampered results.db "CREATE TABLE notes (x TEXT)"
    expect_refused_untouched results.db "table notes"
}

test_virtual_table_is_refused() {
    tampered results.db "CREATE VIRTUAL TABLE search USING fts5(title)"
    expect_refused_untouched results.db "virtual table search"
}

test_statistics_from_analyze_are_refused() {
    tampered results.db "ANALYZE"
    expect_refused_untouched results.db "table sqlite_stat1"
}

test_missing_contract_table_is_refused() {
    tampered results.db "DROP TABLE task_decisions"
    expect_refused_untouched results.db "without table task_decisions"
}

# Two schema entries on one b-tree: one table's rows would land in another.
test_schema_entries_sharing_a_page_are_refused() {
    trust_results results.db
    sqlite3 -batch results.db "PRAGMA writable_schema = ON;
        UPDATE sqlite_schema SET rootpage = (SELECT rootpage FROM sqlite_schema
            WHERE name = 'indicator_scores') WHERE name = 'category_scores';" ||
        die "cannot edit the schema"
    expect_refused_untouched results.db "share page"
}

test_wal_mode_is_refused_before_sqlite_opens_the_file() {
    tampered results.db "PRAGMA journal_mode = WAL"
    expect_refused_untouched results.db "WAL mode" "PRAGMA journal_mode=DELETE"
}

# A -wal file beside a rollback-journal database: SQLite would read it.
test_wal_file_beside_the_results_is_refused() {
    local sum
    trust_results results.db
    cp results.db other.db
    sqlite3 -batch other.db "PRAGMA journal_mode = WAL; CREATE TABLE x (y);" >/dev/null ||
        die "cannot make a WAL file"
    printf 'not a log\n' >results.db-wal
    rm -f other.db*
    sum=$(file_sha results.db)
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 1
    expect_stderr_contains "results.db-wal" "never writes in WAL mode"
    expect_same_bytes results.db "$sum"
    expect_dir_holds . results.db results.db-wal
}

# A file made by an older kaohe (the contract only) is still appended to.
test_results_file_from_an_older_kaohe_is_still_appended_to() {
    cp "$E2E_RESULTS_FIXTURE" results.db
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0
    expect_sql results.db "SELECT count(*) FROM runs" "2"
    expect_sql results.db "SELECT total FROM community_scores WHERE run_id = 1" "50.5"
    expect_sql results.db "PRAGMA integrity_check" "ok"
}

test_whatif_out_is_refused_the_same_way() {
    tampered results.db "CREATE TRIGGER wipe AFTER INSERT ON runs BEGIN DELETE FROM runs; END;"
    local sum
    sum=$(file_sha results.db)
    run_kaohe whatif "$SAMPLE_DB" --set stars.five=85 --out results.db --quiet
    expect_exit 1
    expect_stderr_contains "trigger wipe"
    expect_same_bytes results.db "$sum"
}

test_verify_refuses_a_results_file_kaohe_did_not_make() {
    tampered results.db "CREATE INDEX by_total ON community_scores(total)"
    run_kaohe verify results.db
    expect_exit 1
    expect_stderr_contains "results.db" "cannot verify it" "index by_total"
}

# verify's own run goes into a temporary database that SQLite unlinks as it
# opens it: verify killed while writing it leaves nothing. (It was
# /tmp/kaohe-verify-XXXXXX, built as /tmp/kaohe-verify-XXXXXX.tmp-PID.)
test_verify_killed_while_writing_leaves_no_temporary_file() {
    local big private ticks=0
    if under_wrapper && [ "${E2E_SLOW:-0}" != 1 ]; then
        skip "2,000 communities under $KAOHE_WRAPPER: set E2E_SLOW=1 to run it"
    fi
    big=$(big_snapshot)
    run_kaohe_timeout "$(scaled_timeout 120)" eval "$big" --out results.db --quiet
    expect_exit 0 || return 1
    private=$TEST_TMP/tmp
    mkdir "$private"
    TMPDIR=$private SQLITE_TMPDIR=$private start_kaohe verify results.db
    # Killed as soon as a temporary results file shows, or late in the run
    # (2.5 s: the write comes last).
    while kill -0 "$BG_PID" 2>/dev/null && [ "$ticks" -lt 250 ]; do
        compgen -G "/tmp/kaohe-verify-*.tmp-$BG_PID*" >/dev/null && break
        sleep 0.01
        ticks=$((ticks + 1))
    done
    kill -KILL "$BG_PID" 2>/dev/null
    wait "$BG_PID" 2>/dev/null
    if compgen -G "/tmp/kaohe-verify-*.tmp-$BG_PID*" >/dev/null; then
        fail "verify killed left $(ls /tmp/kaohe-verify-*.tmp-"$BG_PID"* | tr '\n' ' ')"
        rm -f /tmp/kaohe-verify-*.tmp-"$BG_PID"*
    fi
    expect_dir_holds "$private"
    expect_dir_holds . results.db tmp
}

# --- leftovers of killed creators ------------------------------------------------

# wait_for_glob PATTERN SECONDS: polls until a file matches; false when the
# engine ended first or after SECONDS.
wait_for_glob() {
    local i
    for ((i = 0; i < $2 * 200; i++)); do
        compgen -G "$1" >/dev/null && return 0
        kill -0 "$BG_PID" 2>/dev/null || return 1
        sleep 0.005
    done
    return 1
}

# Kills eval with SIGKILL at random moments while it creates out/results.db
# (the sample from its start; the 2,000-community snapshot once its
# temporary file exists), leaving out/ as the kills left it. Sets KILLED and
# LEFT (temporary files and journals seen after the kills).
kill_while_creating() {
    local big=$1 i delay
    KILLED=0
    RANDOM=20261207 # the same moments on every run
    for ((i = 0; i < 10; i++)); do
        if [ "$i" -lt 6 ]; then
            start_kaohe eval "$SAMPLE_DB" --out out/results.db --quiet --jobs 1
            delay=$(printf '0.%03d' $((RANDOM % 60)))
            sleep "$delay"
        else
            start_kaohe eval "$big" --out out/results.db --quiet
            wait_for_glob "out/results.db.tmp-*" "$(scaled_timeout 60)" || true
            delay=$(printf '0.%03d' $((RANDOM % 400)))
            sleep "$delay"
        fi
        kill -KILL "$BG_PID" 2>/dev/null
        wait "$BG_PID" 2>/dev/null
        [ "$?" = 137 ] && KILLED=$((KILLED + 1))
        # A run that finished first made the file: the next one creates again.
        [ -f out/results.db ] && mv out/results.db "finished-$i.db"
    done
    LEFT=$(cd out && ls -A | grep -c -- '-journal$\|\.tmp-' || true)
}

test_sigkill_while_creating_leaves_nothing_after_the_next_eval() {
    local big digest
    if under_wrapper && [ "${E2E_SLOW:-0}" != 1 ]; then
        skip "2,000 communities under $KAOHE_WRAPPER: set E2E_SLOW=1 to run it"
    fi
    big=$(big_snapshot)
    mkdir out
    kill_while_creating "$big"
    note "$KILLED of 10 runs killed; $LEFT temporary files and journals left: $(cd out && ls -A | tr '\n' ' ')"
    [ "$KILLED" -gt 0 ] || fail "no run was killed"
    # The next eval appends to an existing file with an earlier run.
    trust_results out/results.db
    digest=$(totals_of_run_1 out/results.db)
    run_kaohe eval "$SAMPLE_DB" --out out/results.db --quiet
    expect_exit 0
    expect_dir_holds out results.db
    expect_eq "$(totals_of_run_1 out/results.db)" "$digest" "the earlier run's totals"
    expect_sql out/results.db "SELECT count(*) FROM runs" "2"
    expect_sql out/results.db "PRAGMA integrity_check" "ok"
    # And one that creates the file anew also leaves nothing.
    rm -f out/results.db
    kill_while_creating "$big"
    run_kaohe eval "$SAMPLE_DB" --out out/results.db --quiet
    expect_exit 0
    expect_dir_holds out results.db
    expect_sql out/results.db "SELECT count(*) FROM runs" "1"
}

# A temporary file whose process is alive is not a leftover, even when it is
# not locked (PID 1 is always alive): left alone.
test_temporary_file_of_a_live_process_is_left_alone() {
    printf 'in the making\n' >results.db.tmp-1
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0
    expect_dir_holds . results.db results.db.tmp-1
}

# A temporary file that another process holds locked is left alone, whatever
# its PID says.
test_locked_temporary_file_is_left_alone() {
    local dead=999999 holder
    while kill -0 "$dead" 2>/dev/null; do dead=$((dead - 1)); done
    printf 'in the making\n' >"results.db.tmp-$dead"
    flock "results.db.tmp-$dead" sleep 5 &
    holder=$!
    sleep 0.3
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    expect_exit 0
    expect_dir_holds . results.db "results.db.tmp-$dead"
}

# Another eval creating the same file while a slow one is writing: neither
# removes the other's temporary file, both runs are kept.
test_live_creator_is_never_disturbed() {
    local big
    if under_wrapper && [ "${E2E_SLOW:-0}" != 1 ]; then
        skip "2,000 communities under $KAOHE_WRAPPER: set E2E_SLOW=1 to run it"
    fi
    big=$(big_snapshot)
    start_kaohe eval "$big" --out new.db --quiet
    wait_for_glob "new.db.tmp-*" "$(scaled_timeout 60)" || fail "the slow eval never made its temporary file"
    run_kaohe eval "$SAMPLE_DB" --out new.db --quiet
    expect_exit 0
    wait "$BG_PID"
    expect_eq "$?" 0 "the slow eval's exit status"
    expect_sql new.db "SELECT count(*) FROM runs" "2"
    expect_dir_holds . new.db
}

# --- --out names something that cannot be a results file ---------------------------

# expect_message_saying TEXT...: exit 1, and stderr says more than "kaohe: ".
expect_message_saying() {
    expect_exit 1
    if grep -qx 'kaohe: *' "$LAST_STDERR"; then
        fail "the message is empty"
        show_last_run
    fi
    expect_stderr_contains "$@"
}

# An empty file is an empty SQLite database: filled, in place.
test_out_empty_file_is_filled() {
    : >results.db
    chmod 640 results.db
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_exit 0
    expect_sql results.db "SELECT count(*) FROM runs" "1"
    expect_sql results.db "PRAGMA integrity_check" "ok"
    expect_eq "$(stat -c %a results.db)" 640 "the file's mode"
    expect_dir_holds . results.db
}

test_out_dangling_symlink_says_where_it_points() {
    ln -s missing/results.db link.db
    run_kaohe eval "$SAMPLE_DB" --out link.db --quiet
    expect_message_saying "link.db" "symbolic link to missing/results.db" "does not exist"
    expect_dir_holds . link.db
}

test_out_symlink_loop_says_so() {
    ln -s b.db a.db
    ln -s a.db b.db
    run_kaohe eval "$SAMPLE_DB" --out a.db --quiet
    expect_message_saying "a.db" "symbolic links"
    expect_dir_holds . a.db b.db
}

test_out_folder_says_it_is_a_folder() {
    mkdir results
    run_kaohe eval "$SAMPLE_DB" --out results --quiet
    expect_message_saying "results: a folder" "results/results.db"
    expect_dir_holds results
}

test_out_fifo_says_it_is_a_fifo() {
    mkfifo pipe
    run_kaohe eval "$SAMPLE_DB" --out pipe --quiet
    expect_message_saying "pipe" "FIFO"
}

test_out_in_a_missing_folder_names_the_folder() {
    run_kaohe eval "$SAMPLE_DB" --out nowhere/results.db --quiet
    expect_message_saying "nowhere/results.db" "no folder nowhere"
    expect_dir_holds .
}

test_out_in_an_unwritable_folder_says_permission_denied() {
    if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
        skip "running as root without setpriv: root ignores permissions"
    fi
    chmod 755 "$TEST_TMP/.." "$TEST_TMP" || die "chmod"
    mkdir locked
    chmod 555 locked
    run_kaohe_as_nobody eval "$SAMPLE_DB" --out locked/results.db --quiet
    expect_message_saying "locked/results.db" "folder locked" "Permission denied"
    expect_dir_holds locked
}

test_out_file_that_is_not_sqlite_is_never_overwritten() {
    local sum
    printf 'minutes of the meeting\n' >results.db
    sum=$(file_sha results.db)
    run_kaohe eval "$SAMPLE_DB" --out results.db --quiet
    expect_message_saying "results.db" "not an SQLite database"
    expect_same_bytes results.db "$sum"
}

test_out_file_uri_is_a_file_name() {
    run_kaohe eval "$SAMPLE_DB" --out 'file:x.db?mode=memory' --quiet
    expect_exit 0
    expect_dir_holds . 'file:x.db?mode=memory'
}
