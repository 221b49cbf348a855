/*
 * test_csv.c -- the RFC 4180 reader (csv.h): quoting, line ends, line
 * breaks inside quotes (lines and byte offsets), the byte order mark, the
 * limits (a record over them is skipped whole and reading goes on), and
 * the errors with where they are.
 */
#include "unit.h"

#include <stdio.h>

#include "csv.h"
#include "error.h"

/* A reader over `text` (copied: fmemopen reads the caller's bytes). */
static csv_reader *reader_of(const char *text, size_t length, size_t max_bytes, size_t max_fields)
{
    csv_limits limits = {max_bytes, max_fields};
    csv_reader *r = NULL;
    error e;
    FILE *stream;
    error_clear(&e);
    stream = length > 0 ? fmemopen((void *)text, length, "rb") : fopen("/dev/null", "rb");
    assert_non_null(stream);
    assert_int_equal(csv_open_stream(stream, &limits, &r, &e), ERROR_OK);
    assert_non_null(r);
    return r;
}

static void expect_fields(const csv_record *rec, size_t count, const char *const *texts)
{
    size_t i;
    assert_int_equal(rec->count, count);
    for (i = 0; i < count; i++) {
        assert_string_equal(rec->fields[i].text, texts[i]);
        assert_int_equal(rec->fields[i].length, strlen(texts[i]));
    }
}

static void test_quotes_hold_commas_and_doubled_quotes(void **state)
{
    static const char text[] = "id,name\n1,\"Wang, \"\"Xiao\"\" 社区\"\n";
    static const char *const header[] = {"id", "name"};
    static const char *const row[] = {"1", "Wang, \"Xiao\" 社区"};
    csv_record rec;
    csv_reader *r = reader_of(text, sizeof text - 1, 0, 0);
    (void)state;
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 2, header);
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 2, row);
    assert_int_equal(rec.line, 2);
    assert_int_equal(rec.offset, 8);
    assert_int_equal(csv_next(r, &rec), CSV_END);
    csv_close(r);
}

static void test_crlf_lf_and_lone_cr_end_records(void **state)
{
    static const char text[] = "a,b\r\nc,d\ne,f\rg,h";
    static const char *const rows[4][2] = {{"a", "b"}, {"c", "d"}, {"e", "f"}, {"g", "h"}};
    csv_record rec;
    csv_reader *r = reader_of(text, sizeof text - 1, 0, 0);
    int i;
    (void)state;
    for (i = 0; i < 4; i++) {
        assert_int_equal(csv_next(r, &rec), CSV_RECORD);
        expect_fields(&rec, 2, rows[i]);
        assert_int_equal(rec.line, i + 1);
    }
    assert_int_equal(csv_next(r, &rec), CSV_END);
    csv_close(r);
}

static void test_line_breaks_inside_quotes_count_as_lines(void **state)
{
    static const char text[] = "x,\"one\r\ntwo\nthree\"\nnext,line\n";
    static const char *const first[] = {"x", "one\r\ntwo\nthree"};
    static const char *const second[] = {"next", "line"};
    csv_record rec;
    csv_reader *r = reader_of(text, sizeof text - 1, 0, 0);
    (void)state;
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 2, first);
    assert_int_equal(rec.fields[1].line, 1);
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 2, second);
    assert_int_equal(rec.line, 4); /* the quoted field took lines 1-3 */
    assert_int_equal(rec.offset, strstr(text, "next") - text);
    csv_close(r);
}

static void test_literal_quotes_and_blank_records(void **state)
{
    static const char text[] = "a\"b,\"c\"d\n,,\n\n";
    static const char *const row[] = {"a\"b", "cd"};
    csv_record rec;
    csv_reader *r = reader_of(text, sizeof text - 1, 0, 0);
    (void)state;
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 2, row);
    assert_false(csv_record_blank(&rec));
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    assert_int_equal(rec.count, 3);
    assert_true(csv_record_blank(&rec));
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    assert_true(csv_record_blank(&rec));
    assert_int_equal(csv_next(r, &rec), CSV_END);
    csv_close(r);
}

static void test_byte_order_marks(void **state)
{
    static const char utf8[] = "\xEF\xBB\xBFid\n";
    static const char utf16[] = "\xFF\xFEi\0d\0";
    static const char *const id[] = {"id"};
    csv_record rec;
    csv_reader *r = reader_of(utf8, sizeof utf8 - 1, 0, 0);
    (void)state;
    assert_int_equal(csv_bom(r), CSV_BOM_UTF8);
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 1, id);
    assert_int_equal(rec.offset, 3);
    csv_close(r);
    r = reader_of(utf16, sizeof utf16 - 1, 0, 0);
    assert_int_equal(csv_bom(r), CSV_BOM_UTF16LE);
    csv_close(r);
    r = reader_of("", 0, 0, 0);
    assert_int_equal(csv_bom(r), CSV_BOM_NONE);
    assert_int_equal(csv_next(r, &rec), CSV_END);
    csv_close(r);
}

static void test_record_over_the_byte_limit_is_skipped_whole(void **state)
{
    static const char text[] = "a,b\nshort,\"a long\nvalue over the limit\"\nc,d\n";
    static const char *const last[] = {"c", "d"};
    csv_record rec;
    csv_reader *r = reader_of(text, sizeof text - 1, 16, 0);
    (void)state;
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    assert_int_equal(csv_next(r, &rec), CSV_TOO_LONG);
    assert_int_equal(rec.line, 2);
    assert_int_equal(rec.over_field, 1);
    assert_int_equal(rec.over_line, 2);
    assert_false(rec.over_fields);
    assert_int_equal(csv_next(r, &rec), CSV_RECORD); /* reading goes on */
    expect_fields(&rec, 2, last);
    assert_int_equal(rec.line, 4);
    csv_close(r);
}

static void test_record_over_the_field_limit_is_skipped_whole(void **state)
{
    static const char text[] = "1,2,3,4\n5,6\n";
    static const char *const next[] = {"5", "6"};
    csv_record rec;
    csv_reader *r = reader_of(text, sizeof text - 1, 0, 3);
    (void)state;
    assert_int_equal(csv_next(r, &rec), CSV_TOO_LONG);
    assert_true(rec.over_fields);
    assert_int_equal(rec.over_field, 3);
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    expect_fields(&rec, 2, next);
    csv_close(r);
}

static void test_errors_say_where(void **state)
{
    static const char nul[] = "a,b\nc,d\0e\n";
    static const char unclosed[] = "a,b\nc,\"never\nclosed\n";
    csv_record rec;
    csv_reader *r = reader_of(nul, sizeof nul - 1, 0, 0);
    (void)state;
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    assert_int_equal(csv_next(r, &rec), CSV_NUL);
    assert_int_equal(rec.error_line, 2);
    assert_int_equal(rec.error_offset, 7);
    csv_close(r);
    r = reader_of(unclosed, sizeof unclosed - 1, 0, 0);
    assert_int_equal(csv_next(r, &rec), CSV_RECORD);
    assert_int_equal(csv_next(r, &rec), CSV_UNCLOSED);
    assert_int_equal(rec.error_line, 2);
    assert_int_equal(rec.error_offset, 6);
    csv_close(r);
}

static void test_missing_file_is_an_input_error(void **state)
{
    csv_reader *r = (csv_reader *)1;
    error e;
    (void)state;
    error_clear(&e);
    assert_int_equal(csv_open("/nonexistent-for-kaohe/x.csv", NULL, &r, &e), ERROR_INPUT);
    assert_null(r);
    assert_non_null(strstr(e.message, "cannot open"));
    csv_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_hold_commas_and_doubled_quotes),
        cmocka_unit_test(test_crlf_lf_and_lone_cr_end_records),
        cmocka_unit_test(test_line_breaks_inside_quotes_count_as_lines),
        cmocka_unit_test(test_literal_quotes_and_blank_records),
        cmocka_unit_test(test_byte_order_marks),
        cmocka_unit_test(test_record_over_the_byte_limit_is_skipped_whole),
        cmocka_unit_test(test_record_over_the_field_limit_is_skipped_whole),
        cmocka_unit_test(test_errors_say_where),
        cmocka_unit_test(test_missing_file_is_an_input_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
