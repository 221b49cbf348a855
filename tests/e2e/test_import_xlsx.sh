# kaohe import BOOK.xlsx (engine/data/import.c over engine/data/xlsx.c): one
# sheet per table, named in English or Chinese; every row checked as a CSV
# row is; problems name the sheet and the cell.

SAMPLE_CSV=$REPO_ROOT/fixtures/sample-csv

test_a_workbook_imports_to_the_snapshot_its_csv_files_give() {
    python3 "$E2E_DIR/csv_to_xlsx.py" "$SAMPLE_CSV" book.xlsx --chinese-sheets --serial-dates ||
        die "cannot build the workbook"
    run_kaohe import book.xlsx --out from-book.db
    expect_exit 0
    run_kaohe import "$SAMPLE_CSV" --out from-csv.db
    expect_exit 0
    local t
    for t in snapshot_meta communities workers organizations activities visits postings \
        survey_responses requests tasks facts; do
        [ "$(sqlite3 from-book.db "SELECT * FROM $t ORDER BY 1, 2" | sha256sum)" = \
            "$(sqlite3 from-csv.db "SELECT * FROM $t ORDER BY 1, 2" | sha256sum)" ] ||
            fail "table $t differs between the workbook and the CSV files"
    done
    run_kaohe eval from-book.db -q
    expect_exit 0
}

test_a_bad_cell_is_named_by_sheet_and_cell() {
    cp -R "$SAMPLE_CSV" csv
    python3 - <<'PY'
p = 'csv/workers.csv'
lines = open(p, encoding='utf-8-sig').read().split('\n')
f = lines[1].split(','); f[10] = 'abc'; lines[1] = ','.join(f)
open(p, 'w', encoding='utf-8').write('\n'.join(lines))
PY
    python3 "$E2E_DIR/csv_to_xlsx.py" csv bad.xlsx --chinese-sheets || die "cannot build the workbook"
    run_kaohe import bad.xlsx --out bad.db
    expect_exit 1
    expect_stderr_contains "工作人员!K2 score_civil (民政考核) 'abc' is not a number"
    expect_file_absent bad.db
}

test_a_sheet_of_no_table_is_named_in_a_warning() {
    python3 "$E2E_DIR/csv_to_xlsx.py" "$SAMPLE_CSV" book.xlsx || die "cannot build the workbook"
    python3 - <<'PY'
import zipfile
z = zipfile.ZipFile('book.xlsx')
parts = {n: z.read(n) for n in z.namelist()}
z.close()
wb = parts['xl/workbook.xml'].decode().replace('name="facts"', 'name="备注"')
parts['xl/workbook.xml'] = wb.encode()
z = zipfile.ZipFile('book.xlsx', 'w', zipfile.ZIP_DEFLATED)
for n, d in parts.items():
    z.writestr(n, d)
z.close()
PY
    run_kaohe import book.xlsx --out book.db
    expect_exit 0
    expect_stderr_contains "sheet '备注' is no table of the snapshot"
}

test_a_file_that_is_no_workbook_is_refused_naming_it() {
    printf 'not a workbook' >book.xlsx
    run_kaohe import book.xlsx --out book.db
    expect_exit 1
    expect_stderr_contains "book.xlsx"
    expect_file_absent book.db
}
