# kaohe import: a row of a CSV file may hold --max-row-mb MB (default 16)
# and 16,384 fields. A longer field or row is a bad row like any other (file,
# line, field and column; exit 1, nothing written; left out and listed with
# --skip-bad), never "out of memory" (a 1 GB field was exit 3 after taking
# 1 GB), and memory stays bounded whatever the file holds: the bytes past the
# limit are read to find where the row ends, but not kept.

LIMITS_CSV=$REPO_ROOT/fixtures/sample-csv

# ./csv: the sample region as CSV files.
limits_csv() {
    [ -f "$LIMITS_CSV/communities.csv" ] || die "$LIMITS_CSV is missing"
    mkdir -p csv || die "mkdir csv"
    cp "$LIMITS_CSV"/*.csv csv/ || die "cannot copy $LIMITS_CSV"
}

# long_detail MB [FILLER]: the detail of task line 3 of csv/tasks.csv becomes
# MB megabytes of FILLER (default "长", 3 bytes), quoted; FILLER may hold
# quotes, commas and line breaks, which must not end the row early.
long_detail() {
    python3 - "$1" "${2:-长}" <<'EOF' || die "cannot write the long detail"
import sys
size = int(float(sys.argv[1]) * 1024 * 1024)
filler = sys.argv[2].encode()
lines = open('csv/tasks.csv', 'rb').read().split(b'\n')
fields = lines[2].split(b',')
value = (filler * (size // len(filler))).replace(b'"', b'""')
lines[2] = b','.join(fields[:4] + [b'"' + value + b'"'] + fields[5:])
open('csv/tasks.csv', 'wb').write(b'\n'.join(lines))
EOF
}

# The sample's number of tasks.
sample_tasks() {
    sql "$SAMPLE_DB" "SELECT count(*) FROM tasks"
}

test_field_over_the_row_limit_is_a_bad_row_naming_file_line_and_column() {
    limits_csv
    long_detail 2
    run_kaohe import csv --out snapshot.db --max-row-mb 1 --quiet
    expect_exit 1
    expect_stderr_contains "csv/tasks.csv:3:" "over 1 MB" "--max-row-mb 1" "field 5 (column detail)"
    expect_stderr_not_contains "out of memory"
    expect_file_absent snapshot.db
    expect_dir_holds . csv
}

# The default limit is 16 MB: a 17 MB field is refused without any option.
test_default_row_limit_is_16_mb() {
    limits_csv
    long_detail 17
    run_kaohe import csv --out snapshot.db --quiet
    expect_exit 1
    expect_stderr_contains "csv/tasks.csv:3:" "over 16 MB" "--max-row-mb 16"
    expect_file_absent snapshot.db
    # Under the limit it is data like any other.
    run_kaohe import csv --out snapshot.db --max-row-mb 32 --quiet
    expect_exit 0
    expect_sql snapshot.db "SELECT max(length(detail)) FROM tasks" "$((17 * 1024 * 1024 / 3))"
}

# The dropped part holds quotes, commas and line breaks: the row still ends
# where the file says, and every other row is imported.
test_long_row_is_left_out_with_skip_bad_and_reading_goes_on() {
    limits_csv
    long_detail 2 $'a,"b"\r\nc'
    run_kaohe import csv --out snapshot.db --max-row-mb 1 --skip-bad --quiet
    expect_exit 0
    expect_stderr_contains "csv/tasks.csv:3:" "column detail" "left out"
    expect_sql snapshot.db "SELECT count(*) FROM tasks" "$(($(sample_tasks) - 1))"
    expect_sql snapshot.db "SELECT count(*) FROM tasks WHERE id = '3710010101-T02'" "0"
    expect_sql snapshot.db "SELECT count(*) FROM communities" "50"
}

# A row of many fields, each short: over the limit all the same.
test_row_of_many_short_fields_over_the_limit_is_a_bad_row() {
    limits_csv
    python3 -c "
import sys
sys.stdout.write(open('csv/facts.csv').readline())
sys.stdout.write('3710010101,k,1' + (',' + 'y' * 80) * 15000 + '\n')" >csv/facts.csv.new &&
        mv csv/facts.csv.new csv/facts.csv || die "cannot write facts.csv"
    run_kaohe import csv --out snapshot.db --max-row-mb 1 --quiet
    expect_exit 1
    expect_stderr_contains "csv/facts.csv:2:" "over 1 MB"
    expect_file_absent snapshot.db
}

test_row_with_more_than_16384_fields_is_a_bad_row() {
    limits_csv
    python3 -c "
import sys
sys.stdout.write(open('csv/facts.csv').readline())
sys.stdout.write('3710010101,k,1' + ',x' * 20000 + '\n')" >csv/facts.csv.new &&
        mv csv/facts.csv.new csv/facts.csv || die "cannot write facts.csv"
    run_kaohe import csv --out snapshot.db --quiet
    expect_exit 1
    expect_stderr_contains "csv/facts.csv:2:" "more than 16384 fields"
    expect_file_absent snapshot.db
}

# A header over the limit: the file cannot be read at all, even with
# --skip-bad.
test_header_over_the_row_limit_stops_the_import() {
    limits_csv
    python3 -c "
import sys
sys.stdout.write('id,' + 'x' * (2 * 1024 * 1024) + '\n')" >csv/postings.csv || die "cannot write postings.csv"
    run_kaohe import csv --out snapshot.db --max-row-mb 1 --skip-bad --quiet
    expect_exit 1
    expect_stderr_contains "csv/postings.csv:1:" "the header is over 1 MB"
    expect_file_absent snapshot.db
}

# A 200 MB field takes memory for the limit, not for the field.
test_huge_field_is_refused_in_bounded_memory() {
    local rss limit=$((120 * 1024))
    if under_wrapper; then
        skip "200 MB under $KAOHE_WRAPPER"
    fi
    [ -x /usr/bin/time ] || skip "no /usr/bin/time to measure the peak RSS"
    case $KAOHE in */asan/*) limit=$((limit * 3)) ;; esac
    limits_csv
    long_detail 200
    KAOHE_PREFIX=(/usr/bin/time -f "%M" -o "$TEST_META/rss")
    run_kaohe import csv --out snapshot.db --quiet
    KAOHE_PREFIX=()
    expect_exit 1
    expect_stderr_contains "csv/tasks.csv:3:" "over 16 MB"
    rss=$(tail -n 1 "$TEST_META/rss")
    if [ "$rss" -gt "$limit" ]; then
        fail "peak RSS ${rss} KB for a 200 MB field, more than $limit KB"
    fi
}

test_max_row_mb_must_be_a_number_of_megabytes() {
    limits_csv
    run_kaohe import csv --out snapshot.db --max-row-mb 0
    expect_exit 2
    expect_stderr_contains "--max-row-mb 0"
    expect_file_absent snapshot.db
}
