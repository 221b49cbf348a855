# kaohe template --xlsx FILE (engine/output/template.c): the workbook a city
# fills in; filled (by tests/e2e/fill_template.py, as a person would: dates
# typed into date columns, 书记 and 是/否 from the drop-down lists) it
# imports without edits to the snapshot its CSV files give.

SAMPLE_CSV=$REPO_ROOT/fixtures/sample-csv

test_a_filled_template_imports_without_edits() {
    run_kaohe template --xlsx template.xlsx
    expect_exit 0
    python3 "$E2E_DIR/fill_template.py" template.xlsx "$SAMPLE_CSV" filled.xlsx ||
        die "cannot fill the template"
    run_kaohe import filled.xlsx --out filled.db
    expect_exit 0
    expect_stderr_not_contains "warning"
    run_kaohe import "$SAMPLE_CSV" --out csv.db
    expect_exit 0
    local t
    for t in snapshot_meta communities workers organizations activities visits postings \
        survey_responses requests tasks facts; do
        [ "$(sqlite3 filled.db "SELECT * FROM $t ORDER BY 1, 2" | sha256sum)" = \
            "$(sqlite3 csv.db "SELECT * FROM $t ORDER BY 1, 2" | sha256sum)" ] ||
            fail "table $t of the filled template differs from the CSV files'"
    done
    run_kaohe eval filled.db -q
    expect_exit 0
}

test_the_template_has_notes_lists_and_formats() {
    run_kaohe template --xlsx template.xlsx
    expect_exit 0
    python3 - <<'PY' || fail "the template lacks its notes, lists or formats"
import re, zipfile
z = zipfile.ZipFile('template.xlsx')
book = z.read('xl/workbook.xml').decode()
shared = z.read('xl/sharedStrings.xml').decode()
sheets = re.findall(r'<sheet name="([^"]+)"', book)
assert sheets[0] == '说明' and '工作人员' in sheets and '下派事项' in sheets, sheets
assert '岗位 role' in shared and '书记' in shared and '必填' in shared, 'headers, labels, notes'
workers = z.read('xl/worksheets/sheet%d.xml' % (sheets.index('工作人员') + 1)).decode()
assert 'type="list"' in workers and 'state="frozen"' in workers
styles = z.read('xl/styles.xml').decode()
assert 'yyyy-mm-dd' in styles
PY
}

test_the_template_never_overwrites_a_file() {
    printf 'my data' >book.xlsx
    run_kaohe template --xlsx book.xlsx
    expect_exit 1
    expect_stderr_contains "book.xlsx: exists; refusing to overwrite it"
    [ "$(cat book.xlsx)" = "my data" ] || fail "the file was changed"
}
