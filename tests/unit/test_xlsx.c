/*
 * test_xlsx.c -- unit tests of engine/data/xlsx.c (the streaming .xlsx reader).
 *
 * Good workbooks are written here with libxlsxwriter (as Excel would store
 * them) and read back; hostile ones are assembled part by part with libzip,
 * each one attacking one limit or check, and must be refused with a message
 * that names the file and the sheet and cell (or the part and line). The
 * workbook in LibreOffice's style is fixtures/xlsx/libreoffice-style.xlsx.
 */
#include "unit.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "buffer.h"
#include "xlsx.h"

static char dir[256];  /* this run's scratch directory */
static char path[512]; /* the workbook of the current test */

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    (void)state;
    snprintf(dir, sizeof dir, "%s/kaohe-xlsx-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/book.xlsx", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

/* Fails with both texts when `needle` is not in `haystack`. */
static void expect_contains(const char *haystack, const char *needle)
{
    if (haystack == NULL || strstr(haystack, needle) == NULL) {
        print_error("expected to find [%s] in:\n%s\n", needle, haystack ? haystack : "(null)");
        fail();
    }
}

/* Appends sheet `index` as lines "REF KIND TEXT" (KIND: T text, N number,
** B boolean, E error, D date, H time) to out. Returns the status. */
static int dump_sheet(xlsx_book *book, size_t index, buffer *out, error *e)
{
    static const char kinds[] = "TNBEDH";
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    size_t i;
    int status = xlsx_sheet_open(book, index, &sheet, e);
    while (status == ERROR_OK && (status = xlsx_sheet_next(sheet, &row, e)) == ERROR_OK &&
           row != NULL) {
        for (i = 0; i < row->count; i++) {
            const xlsx_cell *c = &row->cells[i];
            assert_int_equal(strlen(c->text), c->length);
            buffer_printf(out, "%s %c %s\n", c->ref, kinds[c->kind], c->text);
        }
    }
    xlsx_sheet_close(sheet);
    return status;
}

/* Opens `file` and reads every sheet; returns the first failure (message in
** e) or ERROR_OK, and what was read in out (may be NULL). */
static int read_book(const char *file, const xlsx_limits *limits, buffer *out, error *e)
{
    xlsx_book *book = NULL;
    buffer ignored;
    size_t i;
    int status;
    buffer_init(&ignored);
    error_clear(e);
    status = xlsx_open(file, limits, &book, e);
    for (i = 0; status == ERROR_OK && i < xlsx_sheet_count(book); i++)
        status = dump_sheet(book, i, out != NULL ? out : &ignored, e);
    xlsx_close(book);
    buffer_free(&ignored);
    return status;
}

/* --- hand-made packages -------------------------------------------------- */

typedef struct part {
    const char *name;
    const char *data;
    size_t length; /* 0: strlen(data) */
} part;

static void write_zip(const char *file, const part *parts, size_t count)
{
    int err = 0;
    size_t i;
    zip_t *z = zip_open(file, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    for (i = 0; i < count; i++) {
        size_t n = parts[i].length ? parts[i].length : strlen(parts[i].data);
        zip_source_t *src = zip_source_buffer(z, parts[i].data, n, 0);
        assert_non_null(src);
        assert_true(zip_file_add(z, parts[i].name, src, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
}

#define MAIN_NS "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define REL_NS  "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

static const char PACKAGE_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_NS "/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";

static const char WORKBOOK_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_NS "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" REL_NS "/worksheet\" Target=\"worksheets/sheet2.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL_NS "/worksheet\" Target=\"worksheets/sheet3.xml\"/>"
    "<Relationship Id=\"rId8\" Type=\"" REL_NS "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId9\" Type=\"" REL_NS "/styles\" Target=\"/xl/styles.xml\"/>"
    "</Relationships>";

static const char STYLES[] = "<styleSheet " MAIN_NS ">"
                             "<numFmts count=\"1\"><numFmt numFmtId=\"164\" "
                             "formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
                             "</numFmts><cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>"
                             "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/>"
                             "<xf numFmtId=\"31\"/></cellXfs></styleSheet>";

/* A workbook whose one sheet `sheet_name` holds `sheet_data` (the inside of
** <sheetData>), with `shared` (the inside of <sst>, may be NULL) and
** workbookPr attributes `pr`. */
static void write_book(const char *sheet_name, const char *pr, const char *sheet_data,
                       const char *shared)
{
    buffer workbook, sheet, sst;
    buffer_init(&workbook);
    buffer_init(&sheet);
    buffer_init(&sst);
    buffer_printf(&workbook,
                  "<workbook " MAIN_NS " xmlns:r=\"" REL_NS "\"><workbookPr %s/>"
                  "<sheets><sheet name=\"%s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
                  pr, sheet_name);
    buffer_printf(&sheet, "<worksheet " MAIN_NS "><sheetData>%s</sheetData></worksheet>",
                  sheet_data);
    buffer_printf(&sst, "<sst " MAIN_NS ">%s</sst>", shared != NULL ? shared : "");
    {
        part parts[] = {
            {"_rels/.rels", PACKAGE_RELS, 0},
            {"xl/workbook.xml", buffer_text(&workbook), 0},
            {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
            {"xl/worksheets/sheet1.xml", buffer_text(&sheet), 0},
            {"xl/styles.xml", STYLES, 0},
            {"xl/sharedStrings.xml", buffer_text(&sst), 0},
        };
        write_zip(path, parts, shared != NULL ? 6 : 5);
    }
    buffer_free(&workbook);
    buffer_free(&sheet);
    buffer_free(&sst);
}

/* Writes a one-sheet workbook, reads it with `limits` and expects
** ERROR_INPUT with `message` in the error. */
static void expect_refused(const char *sheet_data, const char *shared, const xlsx_limits *limits,
                           const char *message)
{
    error e;
    write_book("工作人员", "", sheet_data, shared);
    if (read_book(path, limits, NULL, &e) != ERROR_INPUT) {
        print_error("accepted, expected [%s]\n", message);
        fail();
    }
    expect_contains(e.message, path);
    expect_contains(e.message, message);
}

/* --- good workbooks --------------------------------------------------------- */

static void test_reads_text_numbers_booleans_errors_and_leaves_blank_cells_out(void **state)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "communities");
    buffer out;
    error e;
    (void)state;
    worksheet_write_string(ws, 0, 0, "id", NULL);
    worksheet_write_string(ws, 0, 1, "name", NULL);
    worksheet_write_string(ws, 0, 3, "population", NULL); /* D1: C1 left blank */
    worksheet_write_string(ws, 1, 0, "C1", NULL);
    worksheet_write_string(ws, 1, 1, "新华社区 \"港湾\" <&>", NULL);
    worksheet_write_blank(ws, 1, 2, workbook_add_format(wb)); /* formatted, no value */
    worksheet_write_number(ws, 1, 3, 7496, NULL);
    worksheet_write_number(ws, 2, 3, 0.1 + 0.2, NULL);
    worksheet_write_boolean(ws, 2, 4, 1, NULL);
    worksheet_write_boolean(ws, 2, 5, 0, NULL);
    worksheet_write_formula_num(ws, 4, 0, "=D2*2", NULL, 14992);
    worksheet_write_formula_str(ws, 4, 1, "=A2&\"x\"", NULL, "C1x");
    worksheet_write_string(ws, 5, 27, "AB6", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    buffer_init(&out);
    assert_int_equal(read_book(path, NULL, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 T id\n"
                                           "B1 T name\n"
                                           "D1 T population\n"
                                           "A2 T C1\n"
                                           "B2 T 新华社区 \"港湾\" <&>\n"
                                           "D2 N 7496\n"
                                           "D3 N 0.3\n"
                                           "E3 B TRUE\n"
                                           "F3 B FALSE\n"
                                           "A5 N 14992\n"
                                           "B5 T C1x\n"
                                           "AB6 T AB6\n");
    buffer_free(&out);
}

static void test_cells_carry_their_column_and_rows_their_number(void **state)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    xlsx_book *book = NULL;
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    error e;
    (void)state;
    worksheet_write_string(ws, 0, 0, "a", NULL);
    worksheet_write_string(ws, 0, 16383, "last", NULL);
    worksheet_write_number(ws, 1048575, 2, 7, NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    assert_int_equal(xlsx_open(path, NULL, &book, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_open(book, 0, &sheet, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_OK);
    assert_non_null(row);
    assert_int_equal(row->number, 1);
    assert_int_equal(row->count, 2);
    assert_int_equal(row->cells[0].column, 1);
    assert_int_equal(row->cells[1].column, 16384);
    assert_string_equal(row->cells[1].ref, "XFD1");
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_OK);
    assert_non_null(row);
    assert_int_equal(row->number, 1048576);
    assert_string_equal(row->cells[0].ref, "C1048576");
    assert_true(row->cells[0].number == 7);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_OK);
    assert_null(row);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_OK); /* the end stays the end */
    assert_null(row);
    xlsx_sheet_close(sheet);
    xlsx_close(book);
}

static void test_dates_come_from_the_cells_number_formats(void **state)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    lxw_format *iso = workbook_add_format(wb), *chinese = workbook_add_format(wb);
    lxw_format *builtin = workbook_add_format(wb), *stamp = workbook_add_format(wb);
    lxw_format *clock = workbook_add_format(wb), *money = workbook_add_format(wb);
    lxw_format *quoted = workbook_add_format(wb), *zh31 = workbook_add_format(wb);
    lxw_datetime day = {2025, 3, 1, 0, 0, 0}, moment = {1974, 1, 21, 8, 30, 15};
    buffer out;
    error e;
    (void)state;
    format_set_num_format(iso, "yyyy-mm-dd");
    format_set_num_format(chinese, "yyyy\"年\"m\"月\"d\"日\"");
    format_set_num_format_index(builtin, 14);
    format_set_num_format(stamp, "yyyy/m/d h:mm:ss");
    format_set_num_format(clock, "[$-804]h:mm AM/PM");
    format_set_num_format(money, "#,##0.00 [$元-804];[Red]-#,##0.00");
    format_set_num_format(quoted, "0.0 \"days\"");
    format_set_num_format_index(zh31, 31); /* what Chinese Excel writes, undefined */
    worksheet_write_datetime(ws, 0, 0, &day, iso);
    worksheet_write_datetime(ws, 0, 1, &day, chinese);
    worksheet_write_datetime(ws, 0, 2, &day, builtin);
    worksheet_write_datetime(ws, 0, 3, &moment, stamp);
    worksheet_write_datetime(ws, 0, 4, &moment, clock);
    worksheet_write_number(ws, 0, 5, 45717, money);
    worksheet_write_number(ws, 0, 6, 1.5, quoted);
    worksheet_write_number(ws, 0, 7, 45717, zh31);
    worksheet_write_number(ws, 0, 8, 45717, NULL);
    worksheet_write_number(ws, 0, 9, -5, iso); /* no calendar shows it: a number */
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    buffer_init(&out);
    assert_int_equal(read_book(path, NULL, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 D 2025-03-01\n"
                                           "B1 D 2025-03-01\n"
                                           "C1 D 2025-03-01\n"
                                           "D1 D 1974-01-21 08:30:15\n"
                                           "E1 H 08:30:15\n"
                                           "F1 N 45717\n"
                                           "G1 N 1.5\n"
                                           "H1 D 2025-03-01\n"
                                           "I1 N 45717\n"
                                           "J1 N -5\n");
    buffer_free(&out);
}

static void test_a_date_keeps_its_serial_number(void **state)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    lxw_format *iso = workbook_add_format(wb);
    xlsx_book *book = NULL;
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    error e;
    (void)state;
    format_set_num_format(iso, "yyyy-mm-dd");
    worksheet_write_number(ws, 0, 0, 45717.75, iso);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    assert_int_equal(xlsx_open(path, NULL, &book, &e), ERROR_OK);
    assert_false(xlsx_date1904(book));
    assert_int_equal(xlsx_sheet_open(book, 0, &sheet, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_OK);
    assert_int_equal(row->cells[0].kind, XLSX_DATE);
    assert_string_equal(row->cells[0].text, "2025-03-01");
    assert_true(row->cells[0].number == 45717.75);
    xlsx_sheet_close(sheet);
    xlsx_close(book);
}

static void test_serial_numbers_follow_excels_calendar(void **state)
{
    int y, m, d, s;
    (void)state;
    assert_true(xlsx_serial_to_date(1, false, &y, &m, &d, &s));
    assert_true(y == 1900 && m == 1 && d == 1 && s == 0);
    assert_true(xlsx_serial_to_date(59, false, &y, &m, &d, &s));
    assert_true(y == 1900 && m == 2 && d == 28);
    assert_true(xlsx_serial_to_date(60, false, &y, &m, &d, &s)); /* Lotus's leap day */
    assert_true(y == 1900 && m == 2 && d == 29);
    assert_true(xlsx_serial_to_date(61, false, &y, &m, &d, &s));
    assert_true(y == 1900 && m == 3 && d == 1);
    assert_true(xlsx_serial_to_date(45717.5, false, &y, &m, &d, &s));
    assert_true(y == 2025 && m == 3 && d == 1 && s == 43200);
    assert_true(xlsx_serial_to_date(2958465.5, false, &y, &m, &d, &s));
    assert_true(y == 9999 && m == 12 && d == 31 && s == 43200);
    assert_false(xlsx_serial_to_date(2958465.9999999, false, &y, &m, &d, &s)); /* rounds up */
    assert_false(xlsx_serial_to_date(2958466, false, &y, &m, &d, &s));
    assert_false(xlsx_serial_to_date(0, false, &y, &m, &d, &s));
    assert_false(xlsx_serial_to_date(-1, false, &y, &m, &d, &s));
    assert_false(xlsx_serial_to_date(0.0 / 0.0, false, &y, &m, &d, &s));
    assert_true(xlsx_serial_to_date(0, true, &y, &m, &d, &s));
    assert_true(y == 1904 && m == 1 && d == 1);
    assert_true(xlsx_serial_to_date(44255, true, &y, &m, &d, &s));
    assert_true(y == 2025 && m == 3 && d == 1);
}

static void test_date1904_workbooks_shift_dates(void **state)
{
    buffer out;
    error e;
    (void)state;
    write_book("Sheet1", "date1904=\"1\"",
               "<row r=\"1\"><c r=\"A1\" s=\"1\"><v>44255</v></c></row>", NULL);
    buffer_init(&out);
    assert_int_equal(read_book(path, NULL, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 D 2025-03-01\n");
    buffer_free(&out);
}

static void test_sheets_are_listed_in_workbook_order_with_chinese_names(void **state)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *a = workbook_add_worksheet(wb, "社区");
    lxw_worksheet *b = workbook_add_worksheet(wb, "工作人员");
    lxw_worksheet *c = workbook_add_worksheet(wb, "Facts");
    xlsx_book *book = NULL;
    buffer out;
    error e;
    (void)state;
    worksheet_write_string(a, 0, 0, "社区名称", NULL);
    worksheet_write_string(b, 0, 0, "姓名", NULL);
    worksheet_write_string(b, 1, 0, "张三", NULL);
    worksheet_write_string(b, 1, 2, "书记", NULL);
    worksheet_write_string(c, 0, 0, "key", NULL);
    worksheet_hide(c);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    assert_int_equal(xlsx_open(path, NULL, &book, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_count(book), 3);
    assert_string_equal(xlsx_sheet_at(book, 0)->name, "社区");
    assert_string_equal(xlsx_sheet_at(book, 1)->name, "工作人员");
    assert_string_equal(xlsx_sheet_at(book, 2)->name, "Facts");
    assert_false(xlsx_sheet_at(book, 1)->hidden);
    assert_true(xlsx_sheet_at(book, 2)->hidden);
    assert_null(xlsx_sheet_at(book, 3));
    assert_int_equal(xlsx_sheet_find(book, "工作人员"), 1);
    assert_int_equal(xlsx_sheet_find(book, "FACTS"), 2);
    assert_int_equal(xlsx_sheet_find(book, "workers"), -1);
    buffer_init(&out);
    assert_int_equal(dump_sheet(book, 1, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 T 姓名\nA2 T 张三\nC2 T 书记\n");
    buffer_reset(&out);
    assert_int_equal(dump_sheet(book, 0, &out, &e), ERROR_OK); /* sheets in any order */
    assert_string_equal(buffer_text(&out), "A1 T 社区名称\n");
    buffer_free(&out);
    xlsx_close(book);
}

static void test_rich_text_inline_strings_and_escapes_read_as_shown(void **state)
{
    buffer out;
    error e;
    (void)state;
    write_book("Sheet1", "",
               "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
               "<c r=\"C1\" t=\"inlineStr\"><is><r><t>海</t></r><r><rPr/><t>滨</t></r></is></c>"
               "<c r=\"D1\" t=\"e\"><v>#N/A</v></c><c r=\"E1\" t=\"d\"><v>2025-03-01</v></c>"
               "</row><row><c t=\"inlineStr\"><is><t xml:space=\"preserve\"> a </t></is></c>"
               "<c><v>2</v></c><c r=\"D2\"><f>1+1</f></c></row>",
               "<si><t>line_x000D_\nnext_x005F_x</t></si>"
               "<si><r><t>东</t></r><r><t>京</t></r><rPh><t>とうきょう</t></rPh></si>");
    buffer_init(&out);
    assert_int_equal(read_book(path, NULL, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 T line\r\nnext_x\n"
                                           "B1 T 东京\n"
                                           "C1 T 海滨\n"
                                           "D1 E #N/A\n"
                                           "E1 D 2025-03-01\n"
                                           "A2 T  a \n"
                                           "B2 N 2\n");
    buffer_free(&out);
}

static void test_an_empty_first_shared_string_reads_as_empty_text(void **state)
{
    buffer out;
    error e;
    (void)state;
    write_book("Sheet1", "",
               "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
               "</row>",
               "<si/><si><t>x</t></si>");
    buffer_init(&out);
    assert_int_equal(read_book(path, NULL, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 T \nB1 T x\n");
    buffer_free(&out);
}

static void test_prefixed_element_names_read_the_same(void **state)
{
    static const char workbook[] =
        "<x:workbook xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"" REL_NS "\"><x:sheets><x:sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/>"
        "</x:sheets></x:workbook>";
    static const char sheet[] =
        "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<x:sheetData><x:row r=\"3\"><x:c r=\"B3\" t=\"inlineStr\"><x:is><x:t>ok</x:t></x:is>"
        "</x:c></x:row></x:sheetData></x:worksheet>";
    part parts[] = {
        {"xl/workbook.xml", workbook, 0}, /* and no _rels/.rels: the usual name is tried */
        {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
        {"xl/worksheets/sheet1.xml", sheet, 0},
    };
    buffer out;
    error e;
    (void)state;
    write_zip(path, parts, 3);
    buffer_init(&out);
    assert_int_equal(read_book(path, NULL, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "B3 T ok\n");
    buffer_free(&out);
}

static void test_a_large_sheet_streams_under_a_small_parser_memory_limit(void **state)
{
    buffer data;
    xlsx_limits limits;
    xlsx_book *book = NULL;
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    long rows = 0;
    error e;
    int i;
    (void)state;
    error_clear(&e);
    buffer_init(&data);
    for (i = 1; i <= 200000; i++)
        buffer_printf(&data,
                      "<row r=\"%d\"><c r=\"A%d\"><v>%d</v></c><c r=\"C%d\" t=\"s\"><v>0</v>"
                      "</c></row>",
                      i, i, i, i);
    write_book("big", "", buffer_text(&data), "<si><t>社区</t></si>");
    buffer_free(&data);
    memset(&limits, 0, sizeof limits);
    limits.max_parser_memory = 256 * 1024; /* far less than the 12 MB sheet */
    assert_int_equal(xlsx_open(path, &limits, &book, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_open(book, 0, &sheet, &e), ERROR_OK);
    while (xlsx_sheet_next(sheet, &row, &e) == ERROR_OK && row != NULL) {
        rows++;
        assert_int_equal(row->number, rows);
        assert_true(row->cells[0].number == (double)rows);
        assert_string_equal(row->cells[1].text, "社区");
    }
    assert_int_equal(e.status, ERROR_OK);
    assert_int_equal(rows, 200000);
    xlsx_sheet_close(sheet);
    xlsx_close(book);
}

static void test_libreoffice_style_workbook_reads(void **state)
{
    buffer out;
    error e;
    xlsx_book *book = NULL;
    (void)state;
    buffer_init(&out);
    assert_int_equal(xlsx_open("fixtures/xlsx/libreoffice-style.xlsx", NULL, &book, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_count(book), 2);
    assert_string_equal(xlsx_sheet_at(book, 0)->name, "社区");
    assert_string_equal(xlsx_sheet_at(book, 1)->name, "工作人员");
    assert_int_equal(dump_sheet(book, 1, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 T id\nB1 T 姓名\nC1 T 出生日期\nD1 T 岗位\n"
                                           "E1 T 在岗\n"
                                           "A2 T W1\nB2 T 张三\nC2 D 1974-01-21\nD2 T 书记\n"
                                           "E2 B TRUE\n"
                                           "A3 T W2\nB3 T 李四\nC3 D 1988-10-05\nE3 B FALSE\n");
    buffer_reset(&out);
    assert_int_equal(dump_sheet(book, 0, &out, &e), ERROR_OK);
    assert_string_equal(buffer_text(&out), "A1 T id\nB1 T 名称\nC1 T 人口\nD1 T 面积\n"
                                           "A2 T C1\nB2 T 新华社区\nC2 N 7496\nD2 N 1.25\n"
                                           "A3 T C2\nB3 T 枫林社区\nC3 N 6817\n");
    buffer_free(&out);
    xlsx_close(book);
}

static void test_two_sheets_read_side_by_side(void **state)
{
    xlsx_book *book = NULL;
    xlsx_sheet *a = NULL, *b = NULL;
    const xlsx_row *ra, *rb;
    error e;
    int i;
    (void)state;
    assert_int_equal(xlsx_open("fixtures/xlsx/libreoffice-style.xlsx", NULL, &book, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_open(book, 0, &a, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_open(book, 1, &b, &e), ERROR_OK);
    for (i = 1; i <= 3; i++) {
        assert_int_equal(xlsx_sheet_next(a, &ra, &e), ERROR_OK);
        assert_int_equal(xlsx_sheet_next(b, &rb, &e), ERROR_OK);
        assert_int_equal(ra->number, i);
        assert_int_equal(rb->number, i);
        assert_string_equal(ra->cells[0].text, i == 1 ? "id" : i == 2 ? "C1" : "C2");
        assert_string_equal(rb->cells[0].text, i == 1 ? "id" : i == 2 ? "W1" : "W2");
    }
    assert_int_equal(xlsx_sheet_next(a, &ra, &e), ERROR_OK);
    assert_null(ra);
    xlsx_sheet_close(a);
    xlsx_sheet_close(b); /* before the end: nothing leaks */
    xlsx_close(book);
}

/* --- what is refused -------------------------------------------------------- */

static void test_a_file_that_is_not_a_zip_is_refused_by_name(void **state)
{
    static const unsigned char xls[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    FILE *f;
    error e;
    xlsx_book *book = NULL;
    (void)state;
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("id,name\nC1,新华社区\n", f);
    fclose(f);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, path);
    expect_contains(e.message, "is not an .xlsx workbook (not a zip archive)");
    f = fopen(path, "wb");
    fwrite(xls, 1, sizeof xls, f);
    fclose(f);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "Excel 97-2003 workbook (.xls)");
    assert_int_equal(xlsx_open_memory("", 0, "empty.xlsx", NULL, &book, &e), ERROR_INPUT);
    assert_null(book);
    assert_string_equal(e.message, "empty.xlsx: is empty, not an .xlsx workbook");
    assert_int_equal(xlsx_open_memory("PK\3\4broken", 10, "cut.xlsx", NULL, &book, &e),
                     ERROR_INPUT);
    expect_contains(e.message, "cut.xlsx: is not an .xlsx workbook: a damaged zip archive");
    assert_int_equal(read_book("/nonexistent/book.xlsx", NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "/nonexistent/book.xlsx: cannot open: No such file");
}

static void test_a_zip_that_is_not_a_workbook_is_refused_saying_what_it_is(void **state)
{
    part other[] = {{"hello.txt", "hello", 0}};
    part docx[] = {{"word/document.xml", "<w:document/>", 0}};
    part ods[] = {{"mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0},
                  {"content.xml", "<office:document-content/>", 0}};
    error e;
    (void)state;
    write_zip(path, other, 1);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "is a zip archive, but not an .xlsx workbook");
    write_zip(path, docx, 1);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "a Word document");
    write_zip(path, ods, 2);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "an OpenDocument file");
}

static void test_a_part_that_inflates_past_the_limit_is_a_zip_bomb(void **state)
{
    buffer data;
    xlsx_limits limits;
    error e;
    (void)state;
    buffer_init(&data);
    buffer_repeat(&data, ' ', 4 << 20); /* 4 MB of blanks: a few KB compressed */
    memset(&limits, 0, sizeof limits);
    limits.max_part_bytes = 1 << 20;
    write_book("工作人员", "", buffer_text(&data), NULL);
    assert_int_equal(read_book(path, &limits, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "工作人员 (xl/worksheets/sheet1.xml): inflates to more than "
                               "1048576 bytes (the limit; a zip bomb?)");
    /* The same bytes in the workbook part, under its own (smaller) limit. */
    limits.max_part_bytes = 0;
    limits.max_meta_bytes = 1 << 20;
    {
        part parts[] = {{"xl/workbook.xml", buffer_text(&data), 0}};
        write_zip(path, parts, 1);
    }
    assert_int_equal(read_book(path, &limits, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "xl/workbook.xml: inflates to more than 1048576 bytes");
    buffer_free(&data);
}

/* Rewrites the uncompressed size that the zip headers claim for `name` (in
** the local header and the central directory) to `claim`. */
static void forge_size_claim(const char *file, const char *name, uint32_t claim)
{
    FILE *f = fopen(file, "rb");
    unsigned char *data;
    size_t size, i, n = strlen(name), patched = 0;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = (size_t)ftell(f);
    rewind(f);
    data = malloc(size);
    assert_int_equal(fread(data, 1, size, f), size);
    fclose(f);
    for (i = 0; i + 46 + n <= size; i++) {
        size_t at = 0;
        if (memcmp(data + i, "PK\3\4", 4) == 0 && memcmp(data + i + 30, name, n) == 0)
            at = i + 22; /* local header: uncompressed size */
        else if (memcmp(data + i, "PK\1\2", 4) == 0 && memcmp(data + i + 46, name, n) == 0)
            at = i + 24; /* central directory: uncompressed size */
        if (at != 0) {
            data[at] = (unsigned char)claim, data[at + 1] = (unsigned char)(claim >> 8);
            data[at + 2] = (unsigned char)(claim >> 16),
                      data[at + 3] = (unsigned char)(claim >> 24);
            patched++;
        }
    }
    assert_int_equal(patched, 2);
    f = fopen(file, "wb");
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    free(data);
}

static void test_the_inflated_bytes_count_not_the_size_the_header_claims(void **state)
{
    buffer data;
    xlsx_limits limits;
    error e;
    (void)state;
    buffer_init(&data);
    buffer_repeat(&data, ' ', 4 << 20);
    memset(&limits, 0, sizeof limits);
    limits.max_part_bytes = 1 << 20;
    write_book("工作人员", "", buffer_text(&data), NULL);
    forge_size_claim(path, "xl/worksheets/sheet1.xml", 100); /* "only 100 bytes" */
    assert_int_equal(read_book(path, &limits, NULL, &e), ERROR_INPUT);
    /* libzip inflates past the claim; the count stops it at the limit. */
    expect_contains(e.message, "工作人员 (xl/worksheets/sheet1.xml): inflates to more than "
                               "1048576 bytes");
    buffer_free(&data);
}

static void test_a_doctype_is_refused_so_no_entity_expands(void **state)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE worksheet [\n<!ENTITY a \"aaaaaaaaaa\">\n"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
        "]>\n<worksheet " MAIN_NS "><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is>"
        "<t>&c;</t></is></c></row></sheetData></worksheet>";
    part parts[] = {
        {"_rels/.rels", PACKAGE_RELS, 0},
        {"xl/workbook.xml",
         "<workbook " MAIN_NS " xmlns:r=\"" REL_NS "\"><sheets><sheet name=\"工作人员\" "
         "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
         0},
        {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
        {"xl/worksheets/sheet1.xml", bomb, 0},
    };
    error e;
    (void)state;
    write_zip(path, parts, 4);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "工作人员 (xl/worksheets/sheet1.xml): line 2: a DOCTYPE is not "
                               "allowed");
}

static void test_a_missing_shared_string_names_sheet_and_cell(void **state)
{
    char expected[700];
    error e;
    (void)state;
    write_book("工作人员", "",
               "<row r=\"12\"><c r=\"A12\" t=\"s\"><v>0</v></c>"
               "<c r=\"F12\" t=\"s\"><v>9999</v></c></row>",
               "<si><t>张三</t></si>");
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    snprintf(expected, sizeof expected,
             "%s: 工作人员!F12: shared string 9999 does not exist (the workbook has 1)", path);
    assert_string_equal(e.message, expected);
}

static void test_bad_references_and_values_are_refused(void **state)
{
    (void)state;
    expect_refused("<row r=\"1\"><c r=\"A0\"><v>1</v></c></row>", NULL, NULL,
                   "工作人员: row 1: bad cell reference 'A0'");
    expect_refused("<row r=\"1\"><c r=\"ZZZZ1\"><v>1</v></c></row>", NULL, NULL,
                   "bad cell reference 'ZZZZ1'");
    expect_refused("<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>", NULL, NULL,
                   "bad cell reference 'XFE1'");
    expect_refused("<row r=\"1\"><c r=\"1A\"><v>1</v></c></row>", NULL, NULL,
                   "bad cell reference '1A'");
    expect_refused("<row r=\"2\"><c r=\"B3\"><v>1</v></c></row>", NULL, NULL,
                   "row 2: the cell B3 is in another row");
    expect_refused("<row r=\"1\"><c r=\"C1\"><v>1</v></c><c r=\"B1\"><v>1</v></c></row>", NULL,
                   NULL, "工作人员!B1: comes after C1 (cells out of order)");
    expect_refused("<row r=\"5\"/><row r=\"4\"/>", NULL, NULL,
                   "row 4 comes after row 5 (rows out of order)");
    expect_refused("<row r=\"0\"/>", NULL, NULL, "row '0' is not a row number");
    expect_refused("<row r=\"1048577\"/>", NULL, NULL, "row 1048577 is beyond the last row");
    expect_refused("<row r=\"1\"><c r=\"A1\" t=\"x\"><v>1</v></c></row>", NULL, NULL,
                   "工作人员!A1: unknown cell type t=\"x\"");
    expect_refused("<row r=\"1\"><c r=\"A1\"><v>1e999</v></c></row>", NULL, NULL,
                   "工作人员!A1: '1e999' is not a number");
    expect_refused("<row r=\"1\"><c r=\"A1\"><v>0x10</v></c></row>", NULL, NULL,
                   "工作人员!A1: '0x10' is not a number");
    expect_refused("<row r=\"1\"><c r=\"A1\"><v> 1</v></c></row>", NULL, NULL,
                   "工作人员!A1: ' 1' is not a number");
    expect_refused("<row r=\"1\"><c r=\"A1\" t=\"b\"><v>2</v></c></row>", NULL, NULL,
                   "工作人员!A1: boolean '2' is neither 0 nor 1");
    expect_refused("<row r=\"1\"><c r=\"A1\" t=\"d\"><v>2025-02-30</v></c></row>", NULL, NULL,
                   "工作人员!A1: '2025-02-30' is not an ISO 8601 date");
    expect_refused("<c r=\"A1\"><v>1</v></c>", NULL, NULL, "line 1: a cell outside a row");
}

static void test_every_limit_is_enforced_with_a_message(void **state)
{
    xlsx_limits limits;
    buffer deep;
    int i;
    (void)state;
    memset(&limits, 0, sizeof limits);
    limits.max_rows = 5;
    expect_refused("<row r=\"6\"/>", NULL, &limits, "row 6 is beyond the last row allowed (5)");
    memset(&limits, 0, sizeof limits);
    limits.max_columns = 3;
    expect_refused("<row r=\"1\"><c r=\"D1\"><v>1</v></c></row>", NULL, &limits,
                   "工作人员!D1: beyond the last column allowed (C)");
    memset(&limits, 0, sizeof limits);
    limits.max_cell_bytes = 8;
    expect_refused("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>社区社区</t></is></c></row>",
                   NULL, &limits, "工作人员!A1: the text is longer than 8 bytes");
    expect_refused("", "<si><t>ok</t></si><si><t>社区社区</t></si>", &limits,
                   "xl/sharedStrings.xml: shared string 1 is longer than 8 bytes");
    memset(&limits, 0, sizeof limits);
    limits.max_row_bytes = 10;
    expect_refused("<row r=\"1\"><c r=\"A1\"><v>1234</v></c><c r=\"B1\"><v>5678</v></c>"
                   "<c r=\"C1\"><v>9</v></c></row>",
                   NULL, &limits, "工作人员!C1: row 1 holds more than 10 bytes of text");
    memset(&limits, 0, sizeof limits);
    limits.max_shared_bytes = 50; /* 3 x 11 bytes of text and 3 x 8 of offsets: 57 */
    expect_refused("",
                   "<si><t>0123456789</t></si><si><t>0123456789</t></si>"
                   "<si><t>0123456789</t></si>",
                   &limits, "xl/sharedStrings.xml: the shared strings need more than 50 bytes");
    memset(&limits, 0, sizeof limits);
    limits.max_parser_memory = 64 * 1024;
    {
        buffer tag;
        buffer_init(&tag);
        buffer_puts(&tag, "<row r=\"1\" x=\"");
        buffer_repeat(&tag, 'x', 256 * 1024);
        buffer_puts(&tag, "\"/>");
        expect_refused(buffer_text(&tag), NULL, &limits,
                       "line 1: parsing needs more than 65536 bytes of memory");
        buffer_free(&tag);
    }
    buffer_init(&deep);
    buffer_puts(&deep, "<row r=\"1\">");
    for (i = 0; i < 100; i++)
        buffer_puts(&deep, "<x>");
    for (i = 0; i < 100; i++)
        buffer_puts(&deep, "</x>");
    buffer_puts(&deep, "</row>");
    expect_refused(buffer_text(&deep), NULL, NULL, "elements nested more than 64 deep");
    buffer_free(&deep);
}

static void test_too_many_sheets_are_refused(void **state)
{
    lxw_workbook *wb = workbook_new(path);
    xlsx_limits limits;
    error e;
    (void)state;
    workbook_add_worksheet(wb, NULL);
    workbook_add_worksheet(wb, NULL);
    workbook_add_worksheet(wb, NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    memset(&limits, 0, sizeof limits);
    limits.max_sheets = 2;
    assert_int_equal(read_book(path, &limits, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, ": more than 2 sheets");
}

static void test_malformed_xml_names_part_line_and_column(void **state)
{
    error e;
    (void)state;
    write_book("工作人员", "", "<row r=\"1\"><c r=\"A1\"><v>1</v></row>", NULL);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "工作人员 (xl/worksheets/sheet1.xml): line 1, column ");
    expect_contains(e.message, "mismatched tag");
    write_book("工作人员", "",
               "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>\xC3\x28</t></is></c></row>", NULL);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "not well-formed (invalid token) (a byte that is not UTF-8");
}

static void test_missing_parts_are_named(void **state)
{
    part no_sheet[] = {
        {"_rels/.rels", PACKAGE_RELS, 0},
        {"xl/workbook.xml",
         "<workbook " MAIN_NS " xmlns:r=\"" REL_NS "\"><sheets><sheet name=\"S\" sheetId=\"1\" "
         "r:id=\"rId1\"/><sheet name=\"T\" sheetId=\"2\" r:id=\"rId7\"/></sheets></workbook>",
         0},
        {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
    };
    error e;
    (void)state;
    write_zip(path, no_sheet, 3);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "sheet T: its relationship rId7 is not in the workbook's .rels");
    no_sheet[1].data = "<workbook " MAIN_NS " xmlns:r=\"" REL_NS "\"><sheets><sheet name=\"S\" "
                       "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    write_zip(path, no_sheet, 3);
    assert_int_equal(read_book(path, NULL, NULL, &e), ERROR_INPUT);
    expect_contains(e.message, "the part xl/worksheets/sheet1.xml is missing from the archive "
                               "(sheet S)");
}

static void test_an_error_stays_the_answer(void **state)
{
    xlsx_book *book = NULL;
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    char first[sizeof((error *)0)->message];
    error e;
    (void)state;
    write_book("S", "",
               "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\" "
               "t=\"s\"><v>5</v></c></row><row r=\"3\"><c r=\"A3\"><v>3</v></c></row>",
               NULL);
    assert_int_equal(xlsx_open(path, NULL, &book, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_open(book, 0, &sheet, &e), ERROR_OK);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_OK);
    assert_int_equal(row->number, 1);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_INPUT);
    assert_null(row);
    expect_contains(e.message, "S!A2: shared string 5 does not exist (the workbook has 0)");
    memcpy(first, e.message, sizeof first);
    error_clear(&e);
    assert_int_equal(xlsx_sheet_next(sheet, &row, &e), ERROR_INPUT);
    assert_string_equal(e.message, first);
    xlsx_sheet_close(sheet);
    xlsx_close(book);
}

static void test_column_names_run_from_a_to_xfd(void **state)
{
    char name[4];
    (void)state;
    xlsx_column_name(1, name);
    assert_string_equal(name, "A");
    xlsx_column_name(26, name);
    assert_string_equal(name, "Z");
    xlsx_column_name(27, name);
    assert_string_equal(name, "AA");
    xlsx_column_name(702, name);
    assert_string_equal(name, "ZZ");
    xlsx_column_name(703, name);
    assert_string_equal(name, "AAA");
    xlsx_column_name(16384, name);
    assert_string_equal(name, "XFD");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_reads_text_numbers_booleans_errors_and_leaves_blank_cells_out),
        T(test_cells_carry_their_column_and_rows_their_number),
        T(test_dates_come_from_the_cells_number_formats),
        T(test_a_date_keeps_its_serial_number),
        T(test_serial_numbers_follow_excels_calendar),
        T(test_date1904_workbooks_shift_dates),
        T(test_sheets_are_listed_in_workbook_order_with_chinese_names),
        T(test_rich_text_inline_strings_and_escapes_read_as_shown),
        T(test_an_empty_first_shared_string_reads_as_empty_text),
        T(test_prefixed_element_names_read_the_same),
        T(test_a_large_sheet_streams_under_a_small_parser_memory_limit),
        T(test_libreoffice_style_workbook_reads),
        T(test_two_sheets_read_side_by_side),
        T(test_a_file_that_is_not_a_zip_is_refused_by_name),
        T(test_a_zip_that_is_not_a_workbook_is_refused_saying_what_it_is),
        T(test_a_part_that_inflates_past_the_limit_is_a_zip_bomb),
        T(test_the_inflated_bytes_count_not_the_size_the_header_claims),
        T(test_a_doctype_is_refused_so_no_entity_expands),
        T(test_a_missing_shared_string_names_sheet_and_cell),
        T(test_bad_references_and_values_are_refused),
        T(test_every_limit_is_enforced_with_a_message),
        T(test_too_many_sheets_are_refused),
        T(test_malformed_xml_names_part_line_and_column),
        T(test_missing_parts_are_named),
        T(test_an_error_stays_the_answer),
        T(test_column_names_run_from_a_to_xfd),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
