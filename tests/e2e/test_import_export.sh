# Spreadsheet import and export (engine/data/import.c, engine/output/export.c):
#   kaohe import DIR --out SNAPSHOT [--skip-bad]
#   kaohe export RESULTS --xlsx FILE [--run N]
# The sample region as CSV (fixtures/sample-csv, made by its make.py) must
# import to exactly the rows of fixtures/sample.db; bad files are refused
# with FILE:LINE and nothing written, or skipped and listed with --skip-bad;
# the workbook has one sheet per results table with a frozen header row of
# Chinese titles. Workbooks are read with python3's zipfile and xml.etree.

SAMPLE_CSV=$REPO_ROOT/fixtures/sample-csv
SNAPSHOT_TABLES="snapshot_meta communities workers organizations activities visits postings
survey_responses requests tasks facts"
RESULTS_TABLES="runs indicator_scores community_scores category_scores target_checks
worker_appraisals task_decisions department_stats run_communities run_indicators run_categories
run_targets run_target_rules run_star_grades run_rules run_params run_labels"

# A private copy of the sample CSV files in ./csv.
copy_sample_csv() {
    [ -f "$SAMPLE_CSV/communities.csv" ] || die "$SAMPLE_CSV is missing (python3 $SAMPLE_CSV/make.py)"
    mkdir -p csv || die "mkdir csv"
    cp "$SAMPLE_CSV"/*.csv csv/ || die "cannot copy $SAMPLE_CSV"
}

# expect_same_rows DB TABLE: DB's TABLE has the rows of fixtures/sample.db,
# value for value and type for type (EXCEPT both ways).
expect_same_rows() {
    local db=$1 table=$2 columns
    columns=$(sql "$SAMPLE_DB" "SELECT group_concat('\"' || name || '\", typeof(\"' || name || '\")', ', ')
                                FROM pragma_table_info('$table')")
    expect_sql "$db" "ATTACH '$SAMPLE_DB' AS f;
        SELECT (SELECT count(*) FROM (SELECT $columns FROM main.\"$table\"
                                      EXCEPT SELECT $columns FROM f.\"$table\"))
            || ' ' ||
               (SELECT count(*) FROM (SELECT $columns FROM f.\"$table\"
                                      EXCEPT SELECT $columns FROM main.\"$table\"))
            || ' ' || ((SELECT count(*) FROM main.\"$table\") - (SELECT count(*) FROM f.\"$table\"))" \
        "0 0 0" || fail "table $table differs from fixtures/sample.db"
}

# xlsx_summary FILE: one line per sheet, "NAME|ROWS|FROZEN|FILTER|HEADER1;HEADER2;...",
# from the workbook's XML (inline or shared strings).
xlsx_summary() {
    python3 - "$1" <<'EOF'
import sys, zipfile, xml.etree.ElementTree as ET
M = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
R = '{http://schemas.openxmlformats.org/officeDocument/2006/relationships}'
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
shared = []
if 'xl/sharedStrings.xml' in z.namelist():
    for si in ET.fromstring(z.read('xl/sharedStrings.xml')).iter(M + 'si'):
        shared.append(''.join(t.text or '' for t in si.iter(M + 't')))
rels = {r.get('Id'): r.get('Target') for r in
        ET.fromstring(z.read('xl/_rels/workbook.xml.rels'))}
for sheet in ET.fromstring(z.read('xl/workbook.xml')).iter(M + 'sheet'):
    root = ET.fromstring(z.read('xl/' + rels[sheet.get(R + 'id')].lstrip('/').replace('xl/', '', 1)))
    rows = root.findall(f'{M}sheetData/{M}row')
    pane = root.find(f'.//{M}pane')
    frozen = pane is not None and pane.get('state') == 'frozen' and pane.get('ySplit') == '1'
    headers = []
    for c in rows[0].findall(M + 'c') if rows else []:
        if c.get('t') == 's':
            headers.append(shared[int(c.find(M + 'v').text)])
        else:
            headers.append(''.join(t.text or '' for t in c.iter(M + 't')))
    print('%s|%d|%s|%s|%s' % (sheet.get('name'), len(rows) - 1, 'frozen' if frozen else 'no-pane',
                              'filter' if root.find(M + 'autoFilter') is not None else 'no-filter',
                              ';'.join(headers)))
EOF
}

# xlsx_cell FILE SHEET-INDEX CELL: "STYLE-FORMAT|VALUE" of one cell (e.g. D2).
xlsx_cell() {
    python3 - "$1" "$2" "$3" <<'EOF'
import sys, zipfile, xml.etree.ElementTree as ET
M = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
z = zipfile.ZipFile(sys.argv[1])
styles = ET.fromstring(z.read('xl/styles.xml'))
codes = {f.get('numFmtId'): f.get('formatCode') for f in styles.iter(M + 'numFmt')}
xfs = styles.find(M + 'cellXfs').findall(M + 'xf')
root = ET.fromstring(z.read('xl/worksheets/sheet%s.xml' % sys.argv[2]))
for c in root.iter(M + 'c'):
    if c.get('r') == sys.argv[3]:
        fmt = codes.get(xfs[int(c.get('s', '0'))].get('numFmtId'), 'General')
        v = c.find(M + 'v')
        text = v.text if v is not None else ''.join(t.text or '' for t in c.iter(M + 't'))
        print('%s|%s' % (fmt, text))
EOF
}

test_import_of_sample_csv_gives_the_sample_snapshot() {
    local table
    run_kaohe import "$SAMPLE_CSV" --out x.db
    expect_exit 0 || return
    for table in $SNAPSHOT_TABLES; do
        expect_same_rows x.db "$table"
    done
    expect_dir_holds . x.db
    # The engine accepts what import wrote.
    run_kaohe eval x.db --out results.db
    expect_exit 0
}

test_import_reports_a_bad_row_as_file_and_line_and_writes_nothing() {
    local line
    copy_sample_csv
    line=$(line_of csv/workers.csv '^3710010101-W02,')
    edit_file csv/workers.csv "${line}s/,2006-12-11,/,2023-02-30,/"
    run_kaohe import csv --out x.db
    expect_exit 1
    expect_stderr_contains "csv/workers.csv:$line:" "2023-02-30" "入职日期" "nothing was written"
    expect_dir_holds . csv
}

test_import_skip_bad_lists_the_bad_rows_and_writes_the_rest() {
    local line visits
    copy_sample_csv
    line=$(line_of csv/workers.csv '^3710010101-W02,')
    edit_file csv/workers.csv "${line}s/,director,/,manager,/"
    run_kaohe import csv --out x.db --skip-bad
    expect_exit 0 || return
    expect_stderr_contains "csv/workers.csv:$line:" "'manager' is not one of"
    # The worker's visits went with it: said once, with how many.
    expect_stderr_contains "workers row '3710010101-W02' was left out (line $line), so" \
        "rows referring to it were left out too (the first: csv/visits.csv:"
    [ "$(grep -c "csv/visits.csv:" "$LAST_STDERR")" -le 1 ] || fail "one message per visit"
    visits=$(sql "$SAMPLE_DB" "SELECT count(*) FROM visits WHERE worker_id <> '3710010101-W02'")
    expect_sql x.db "SELECT count(*) FROM workers WHERE id = '3710010101-W02'" 0
    expect_sql x.db "SELECT count(*) FROM workers" 780
    expect_sql x.db "SELECT count(*) FROM visits" "$visits"
    run_kaohe eval x.db
    expect_exit 0
}

test_import_refuses_to_overwrite_an_existing_snapshot() {
    local sum
    cp "$SAMPLE_DB" x.db || die "cp"
    sum=$(file_sha x.db)
    run_kaohe import "$SAMPLE_CSV" --out x.db
    expect_exit 1
    expect_stderr_contains "x.db" "refusing to overwrite"
    expect_same_bytes x.db "$sum"
    expect_dir_holds . x.db
}

test_import_reads_a_gbk_file_with_a_one_line_note() {
    command -v iconv >/dev/null || skip "iconv is not installed"
    copy_sample_csv
    # As an old Excel saves it: GBK, no byte order mark.
    tail -c +4 "$SAMPLE_CSV/communities.csv" | iconv -f UTF-8 -t GBK >csv/communities.csv ||
        die "iconv failed"
    tail -c +4 "$SAMPLE_CSV/workers.csv" | iconv -f UTF-8 -t GB18030 >csv/workers.csv ||
        die "iconv failed"
    run_kaohe import csv --out gbk.db
    expect_exit 0
    expect_stderr_contains "communities.csv: note: read as GB18030/GBK" "workers.csv: note: read as GB18030/GBK"
    run_kaohe import "$SAMPLE_CSV" --out utf8.db
    expect_exit 0
    local t
    for t in communities workers; do
        [ "$(sqlite3 gbk.db "SELECT * FROM $t ORDER BY 1" | sha256sum)" = \
            "$(sqlite3 utf8.db "SELECT * FROM $t ORDER BY 1" | sha256sum)" ] ||
            fail "table $t read from GBK differs from the UTF-8 file"
    done
}

test_import_names_a_file_in_no_known_encoding_and_its_line() {
    copy_sample_csv
    # A byte that is neither UTF-8 nor GB18030 (0xFF) in the second line.
    { head -n 1 "$SAMPLE_CSV/communities.csv"; printf 'x\377y,1\n'; } >csv/communities.csv
    run_kaohe import csv --out x.db
    expect_exit 1
    expect_stderr_contains "csv/communities.csv:2:" "not valid UTF-8" "CSV UTF-8"
    expect_dir_holds . csv
}

test_export_writes_one_sheet_per_results_table() {
    local summary table name rows count expected=0 shown
    run_kaohe eval "$SAMPLE_DB" --out results.db
    expect_exit 0 || return
    run_kaohe export results.db --xlsx out.xlsx
    expect_exit 0 || return
    if command -v unzip >/dev/null; then
        unzip -l out.xlsx | grep -q 'xl/worksheets/sheet12.xml' || fail "unzip -l: no sheet12.xml"
        # Rows are streamed, so the titles are inline strings in the sheet XML.
        unzip -p out.xlsx xl/worksheets/sheet3.xml | grep -q '<pane [^>]*state="frozen"' ||
            fail "sheet3.xml has no frozen pane"
        unzip -p out.xlsx xl/worksheets/sheet3.xml | grep -qF '总分 total' ||
            fail "sheet3.xml lacks the title 总分 total"
    fi
    summary=$(xlsx_summary out.xlsx) || {
        fail "out.xlsx is not a readable workbook"
        return
    }
    note "$summary"
    expect_eq "$(printf '%s\n' "$summary" | wc -l)" 17 "number of sheets"
    for table in $RESULTS_TABLES; do
        expected=$((expected + 1))
        shown=$(printf '%s\n' "$summary" | sed -n "${expected}p")
        name=${shown%%|*}
        case $name in
        *" $table") ;;
        *) fail "sheet $expected is '$name', expected one named after $table" ;;
        esac
        rows=$(echo "$shown" | cut -d'|' -f2)
        count=$(sql results.db "SELECT count(*) FROM $table WHERE run_id = 1")
        expect_eq "$rows" "$count" "rows of sheet $name"
        expect_eq "$(echo "$shown" | cut -d'|' -f3,4)" "frozen|filter" "header of sheet $name"
    done
    # Chinese titles with the column id, and the community name beside its id.
    printf '%s\n' "$summary" | grep -q '^社区总分 community_scores|50|frozen|filter|运行编号 run_id;社区编号 community_id;社区名称 community_name;总分 total;星级 stars;星级名称 stars_name;排名 rank$' ||
        fail "community_scores header: $(printf '%s\n' "$summary" | grep community_scores)"
    printf '%s\n' "$summary" | grep -q '^指标得分 indicator_scores|.*;测量值 value;得分 points;满分 max_points;状态 status$' ||
        fail "indicator_scores header: $(printf '%s\n' "$summary" | grep indicator_scores)"
    # Sheet 3 is community_scores, ordered by rank: points as 0.00, stars as 0.
    expect_eq "$(xlsx_cell out.xlsx 3 D2)" "0.00|$(sql results.db "SELECT printf('%.16g', total) FROM community_scores WHERE run_id = 1 ORDER BY rank, community_id LIMIT 1")" "community_scores D2"
    expect_eq "$(xlsx_cell out.xlsx 3 C2 | cut -d'|' -f2)" "$(sql results.db "SELECT name FROM run_communities r JOIN community_scores s USING (run_id, community_id) WHERE run_id = 1 ORDER BY s.rank, s.community_id LIMIT 1")" "community name in C2"
    expect_eq "$(xlsx_cell out.xlsx 3 E2 | cut -d'|' -f1)" "0" "stars format"
    # Sheet 5 is target_checks: a ratio target shows as a percentage.
    expect_eq "$(xlsx_cell out.xlsx 5 F2 | cut -d'|' -f1)" "0.0%" "target_checks required format"
}

test_export_picks_a_run_and_refuses_a_missing_one() {
    run_kaohe eval "$SAMPLE_DB" --out results.db
    expect_exit 0 || return
    run_kaohe eval "$SAMPLE_DB" --out results.db
    expect_exit 0 || return
    run_kaohe export results.db --xlsx one.xlsx --run 1
    expect_exit 0
    [ "$(xlsx_cell one.xlsx 1 A2 | cut -d'|' -f2)" = 1 ] || fail "--run 1 did not export run 1"
    run_kaohe export results.db --xlsx latest.xlsx
    expect_exit 0
    [ "$(xlsx_cell latest.xlsx 1 A2 | cut -d'|' -f2)" = 2 ] || fail "the default is not the latest run"
    run_kaohe export results.db --xlsx missing.xlsx --run 9
    expect_exit 1
    expect_stderr_contains "no run 9"
    expect_file_absent missing.xlsx
    expect_dir_holds . latest.xlsx one.xlsx results.db
}

test_import_reads_values_as_offices_write_them() {
    copy_sample_csv
    # Chinese labels (rules/labels.lua), 是/否, dates as 2010/6/17 and
    # 1968年10月11日, and a thousands separator: the same snapshot.
    python3 - <<'PY'
import csv
def rewrite(p, change):
    rows = list(csv.reader(open(p, encoding='utf-8-sig')))
    for r in rows[1:]:
        change(rows[0], r)
    csv.writer(open(p, 'w', encoding='utf-8', newline='')).writerows(rows)
zh = {'secretary': '书记', 'director': '主任', 'fulltime': '专职', 'grid': '网格员'}
def workers(h, r):
    r[5] = zh.get(r[5], r[5])
    if r[4]: y, m, d = r[4].split('-'); r[4] = f"{y}/{int(m)}/{int(d)}"
    if r[3]: y, m, d = r[3].split('-'); r[3] = f"{y}年{int(m)}月{int(d)}日"
    if r[8]: y, m, d = r[8].split('-'); r[8] = f"{y}.{int(m)}.{int(d)}"
def communities(h, r):
    if r[5] and int(float(r[5])) >= 1000: r[5] = f"{int(float(r[5])):,}"
def tasks(h, r):
    for i in (7, 8):
        if r[i] in ('0', '1'): r[i] = {'1': '是', '0': '否'}[r[i]]
rewrite('csv/workers.csv', workers)
rewrite('csv/communities.csv', communities)
rewrite('csv/tasks.csv', tasks)
PY
    grep -q '书记' csv/workers.csv && grep -q '"7,496"' csv/communities.csv || die "the rewrite changed nothing"
    run_kaohe import csv --out office.db
    expect_exit 0
    run_kaohe import "$SAMPLE_CSV" --out plain.db
    expect_exit 0
    local t
    for t in communities workers tasks; do
        [ "$(sqlite3 office.db "SELECT * FROM $t ORDER BY 1" | sha256sum)" = \
            "$(sqlite3 plain.db "SELECT * FROM $t ORDER BY 1" | sha256sum)" ] ||
            fail "table $t differs when written as offices write it"
    done
}

test_an_unknown_label_lists_the_codes_with_their_labels() {
    copy_sample_csv
    sed -i '2s/,secretary,/,书计,/' csv/workers.csv
    run_kaohe import csv --out x.db
    expect_exit 1
    expect_stderr_contains "'书计' is not one of secretary (书记), director (主任), fulltime (专职), grid (网格员)"
    expect_stderr_not_contains "(or empty)"
}

test_a_notes_column_is_ignored_with_one_warning() {
    copy_sample_csv
    python3 - <<'PY'
import csv
p = 'csv/workers.csv'
rows = list(csv.reader(open(p, encoding='utf-8-sig')))
rows[0].append('备注')
for r in rows[1:]:
    r.append('已核实')
csv.writer(open(p, 'w', encoding='utf-8', newline='')).writerows(rows)
PY
    run_kaohe import csv --out notes.db
    expect_exit 0
    expect_stderr_contains "workers.csv: warning: not columns of workers, their values are not read: '备注'"
    [ "$(grep -c 'warning: not columns' "$LAST_STDERR")" = 1 ] || fail "more than one warning"
}

test_problems_file_lists_every_problem_for_excel() {
    copy_sample_csv
    # 40 bad scores: the message shows the first 20, the file all 40.
    python3 - <<'PY'
import csv
p = 'csv/workers.csv'
rows = list(csv.reader(open(p, encoding='utf-8-sig')))
for r in rows[1:41]:
    r[10] = 'abc'
csv.writer(open(p, 'w', encoding='utf-8', newline='')).writerows(rows)
PY
    run_kaohe import csv --out x.db --problems problems.csv
    expect_exit 1
    expect_stderr_contains "every problem is listed in problems.csv"
    expect_file_absent x.db
    [ "$(head -c 3 problems.csv | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "no byte order mark"
    python3 - <<'PY' || fail "problems.csv does not hold the 40 problems"
import csv
rows = list(csv.reader(open('problems.csv', encoding='utf-8-sig')))
assert rows[0] == ['文件 file', '行 line', '问题 problem'], rows[0]
assert len(rows) == 41 and all("'abc' is not a number" in r[2] for r in rows[1:]), len(rows)
PY
}

test_a_missing_parent_is_one_problem_with_its_dependent_rows() {
    copy_sample_csv
    local line dependents
    line=$(line_of csv/communities.csv '^3710010101,')
    edit_file csv/communities.csv "${line}d"
    dependents=$(python3 - <<'PY'
import csv, os
n = 0
for f in os.listdir('csv'):
    if f.endswith('.csv') and f != 'communities.csv':
        rows = list(csv.reader(open('csv/' + f, encoding='utf-8-sig')))
        for h in (i for i, t in enumerate(rows[0]) if t in ('community_id', '所属社区编号', '社区编号') and f != 'communities.csv'):
            n += sum(1 for r in rows[1:] if len(r) > h and r[h] == '3710010101')
print(n)
PY
)
    run_kaohe import csv --out x.db
    expect_exit 1
    expect_stderr_contains "1 problem;" "no communities row '3710010101', yet"
    [ "$dependents" -gt 100 ] || die "the sample changed: $dependents dependent rows"
    expect_file_absent x.db
}
