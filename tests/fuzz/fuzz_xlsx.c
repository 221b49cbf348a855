/*
** tests/fuzz/fuzz_xlsx.c — libFuzzer harness: the .xlsx reader.
**
** Input: one flags byte, then the workbook.
**   flags bit 0 clear: the rest is sections separated by 0x1E (ASCII record
**     separator); the first byte of a section picks a part name (below), the
**     rest is the part's bytes. The parts are stored (not compressed) in a
**     zip built here, so that mutations reach the XML instead of breaking
**     the deflate stream and the CRC.
**   flags bit 0 set: the rest is the file itself (the container is fuzzed:
**     zip headers, deflate, CRCs, size claims).
**   flags bit 1: small limits (64 KB parts, 16 KB metadata, 4 KB of shared
**     strings, 256-byte cells, 1 KB rows, 50 columns, 1000 rows, depth 16,
**     4 sheets, 16 styles, 64 KB of parser memory), so that every limit is
**     reached by small inputs.
** The workbook is opened from memory with xlsx_open_memory(), and every
** sheet is read to its end or its first error, which is asked for again.
**
** Oracles: every status is ERROR_OK or ERROR_INPUT (nothing here is the
** machine's fault), an error has a message that starts with the file name;
** an error stays the answer; sheet names are UTF-8 and xlsx_sheet_find()
** finds each one; rows increase; cells increase within a row, each column
** in 1..max_columns, its reference its column letters and row number, its
** text valid UTF-8 of `length` bytes (at most max_cell_bytes, a row's at
** most max_row_bytes), its kind one of the six, a boolean TRUE or FALSE,
** a date YYYY-MM-DD (a real day but Excel's 1900-02-29) and a time HH:MM:SS.
**
** FUZZ_VERBOSE=1 prints each cell and the error, if any, to stderr.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "text.h"
#include "xlsx.h"

#define NAME "fuzz.xlsx"

static const char *const part_names[] = {
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/worksheets/_rels/sheet1.xml.rels",
    "xl/workbook.bin",
    "word/document.xml",
    "mimetype",
    "content.xml",
    "xl/Workbook.XML",
};
#define PART_COUNT (sizeof part_names / sizeof part_names[0])

static uint32_t crc_table[256];

static uint32_t crc32_of(const uint8_t *data, size_t length)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    if (crc_table[1] == 0) {
        uint32_t n, k, c;
        for (n = 0; n < 256; n++) {
            for (c = n, k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[n] = c;
        }
    }
    for (i = 0; i < length; i++)
        crc = crc_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* A growable byte string (aborts when out of memory: a harness, not the engine). */
typedef struct bytes {
    uint8_t *data;
    size_t length, capacity;
} bytes;

static void put(bytes *b, const void *data, size_t length)
{
    if (b->length + length > b->capacity) {
        b->capacity = (b->length + length) * 2 + 64;
        b->data = realloc(b->data, b->capacity);
        if (b->data == NULL)
            abort();
    }
    if (length > 0)
        memcpy(b->data + b->length, data, length);
    b->length += length;
}

static void put16(bytes *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}

static void put32(bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

/* A zip of stored entries: local headers and data, central directory, end. */
static void build_zip(bytes *zip, const uint8_t *const *data, const size_t *lengths,
                      const char *const *names, size_t count)
{
    bytes central = {NULL, 0, 0};
    size_t i;
    for (i = 0; i < count; i++) {
        uint32_t crc = crc32_of(data[i], lengths[i]), offset = (uint32_t)zip->length;
        size_t n = strlen(names[i]);
        put32(zip, 0x04034b50);
        put16(zip, 20), put16(zip, 0x0800), put16(zip, 0); /* version, UTF-8 names, stored */
        put16(zip, 0), put16(zip, 0x21);                   /* time, date (1980-01-01) */
        put32(zip, crc), put32(zip, (uint32_t)lengths[i]), put32(zip, (uint32_t)lengths[i]);
        put16(zip, (unsigned)n), put16(zip, 0);
        put(zip, names[i], n);
        put(zip, data[i], lengths[i]);
        put32(&central, 0x02014b50);
        put16(&central, 20), put16(&central, 20), put16(&central, 0x0800), put16(&central, 0);
        put16(&central, 0), put16(&central, 0x21);
        put32(&central, crc), put32(&central, (uint32_t)lengths[i]);
        put32(&central, (uint32_t)lengths[i]);
        put16(&central, (unsigned)n), put16(&central, 0), put16(&central, 0);
        put16(&central, 0), put16(&central, 0), put32(&central, 0), put32(&central, offset);
        put(&central, names[i], n);
    }
    {
        uint32_t start = (uint32_t)zip->length;
        put(zip, central.data, central.length);
        put32(zip, 0x06054b50);
        put16(zip, 0), put16(zip, 0), put16(zip, (unsigned)count), put16(zip, (unsigned)count);
        put32(zip, (uint32_t)central.length), put32(zip, start), put16(zip, 0);
    }
    free(central.data);
}

static int verbose = -1; /* FUZZ_VERBOSE set; -1 until looked up */

static void check_error(int status, const error *e)
{
    if (verbose && status != ERROR_OK)
        fprintf(stderr, "status %d: %s\n", status, e->message);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "status %d: %s", status, e->message);
    if (status != ERROR_OK)
        FUZZ_CHECK(strncmp(e->message, NAME ": ", strlen(NAME) + 2) == 0,
                   "the message does not start with the file name: %s", e->message);
}

/* Checks one cell's value by its kind. */
static void check_cell(const xlsx_cell *c, uint32_t row, const xlsx_limits *limits)
{
    char letters[4], ref[16];
    size_t bad;
    int y, m, d;
    FUZZ_CHECK(c->column >= 1 && c->column <= limits->max_columns, "column %u", c->column);
    xlsx_column_name(c->column, letters);
    snprintf(ref, sizeof ref, "%s%u", letters, (unsigned)row);
    FUZZ_CHECK(strcmp(ref, c->ref) == 0, "ref %s for column %u row %u", c->ref, c->column, row);
    FUZZ_CHECK(strlen(c->text) == c->length, "%s: length %zu, strlen %zu", c->ref, c->length,
               strlen(c->text));
    FUZZ_CHECK(text_utf8_valid(c->text, c->length, &bad), "%s: not UTF-8 at %zu", c->ref, bad);
    FUZZ_CHECK(c->length <= limits->max_cell_bytes || c->kind == XLSX_DATE, "%s: %zu bytes", c->ref,
               c->length);
    switch (c->kind) {
    case XLSX_TEXT:
    case XLSX_NUMBER:
    case XLSX_ERROR:
        break;
    case XLSX_BOOLEAN:
        FUZZ_CHECK(strcmp(c->text, c->number ? "TRUE" : "FALSE") == 0, "%s: boolean %s", c->ref,
                   c->text);
        break;
    case XLSX_DATE: {
        char day[11];
        FUZZ_CHECK(c->length == 10 || c->length == 19, "%s: date %s", c->ref, c->text);
        memcpy(day, c->text, 10);
        day[10] = '\0';
        FUZZ_CHECK(text_date_parse(day, &y, &m, &d) || strcmp(day, "1900-02-29") == 0,
                   "%s: date %s", c->ref, c->text);
        break;
    }
    case XLSX_TIME:
        FUZZ_CHECK(c->length == 8 && c->text[2] == ':' && c->text[5] == ':', "%s: time %s", c->ref,
                   c->text);
        break;
    default:
        FUZZ_CHECK(0, "%s: kind %d", c->ref, (int)c->kind);
    }
}

static void read_sheet(xlsx_book *book, size_t index, const xlsx_limits *limits)
{
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    uint32_t last_row = 0;
    error e;
    int status;
    error_clear(&e);
    status = xlsx_sheet_open(book, index, &sheet, &e);
    check_error(status, &e);
    if (status != ERROR_OK)
        return;
    while ((status = xlsx_sheet_next(sheet, &row, &e)) == ERROR_OK && row != NULL) {
        uint32_t last_col = 0;
        size_t i, text = 0;
        FUZZ_CHECK(row->number > last_row && row->number <= limits->max_rows, "row %u after %u",
                   row->number, last_row);
        FUZZ_CHECK(row->count >= 1, "row %u has no cells", row->number);
        last_row = row->number;
        for (i = 0; i < row->count; i++) {
            FUZZ_CHECK(row->cells[i].column > last_col, "row %u: column %u after %u", row->number,
                       row->cells[i].column, last_col);
            last_col = row->cells[i].column;
            check_cell(&row->cells[i], row->number, limits);
            if (verbose)
                fprintf(stderr, "%s %d %s\n", row->cells[i].ref, (int)row->cells[i].kind,
                        row->cells[i].text);
            text += row->cells[i].length + 1;
        }
        FUZZ_CHECK(text <= limits->max_row_bytes, "row %u: %zu bytes", row->number, text);
    }
    check_error(status, &e);
    if (status != ERROR_OK) {
        error again;
        char first[sizeof e.message];
        memcpy(first, e.message, sizeof first);
        error_clear(&again);
        FUZZ_CHECK(xlsx_sheet_next(sheet, &row, &again) == status && row == NULL &&
                       strcmp(again.message, first) == 0,
                   "a second call after an error says something else: %s", again.message);
    }
    xlsx_sheet_close(sheet);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sections[32], *contents[32];
    const char *names[32];
    size_t lengths[32], content_lengths[32], count, i, used = 0;
    bytes zip = {NULL, 0, 0};
    xlsx_limits limits;
    xlsx_book *book = NULL;
    error e;
    int status;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (size < 1)
        return 0;
    memset(&limits, 0, sizeof limits);
    if (data[0] & 2) {
        limits.max_part_bytes = 64 << 10;
        limits.max_meta_bytes = 16 << 10;
        limits.max_shared_bytes = 4 << 10;
        limits.max_cell_bytes = 256;
        limits.max_row_bytes = 1024;
        limits.max_columns = 50;
        limits.max_rows = 1000;
        limits.max_depth = 16;
        limits.max_sheets = 4;
        limits.max_styles = 16;
        limits.max_parser_memory = 64 << 10;
    }
    if (data[0] & 1) {
        put(&zip, data + 1, size - 1);
    } else {
        count = fuzz_split(data + 1, size - 1, 0x1E, sections, lengths, 32);
        for (i = 0; i < count; i++) {
            if (lengths[i] == 0)
                continue;
            names[used] = part_names[sections[i][0] % PART_COUNT];
            contents[used] = sections[i] + 1;
            content_lengths[used] = lengths[i] - 1;
            used++;
        }
        build_zip(&zip, contents, content_lengths, names, used);
    }
    {
        xlsx_limits filled;
        error_clear(&e);
        status = xlsx_open_memory(zip.data, zip.length, NAME, &limits, &book, &e);
        check_error(status, &e);
        if (status == ERROR_OK) {
            /* The limits as the reader fills them, for the oracles. */
            xlsx_limits_default(&filled);
#define FILL(f)                                                                                    \
    if (limits.f != 0)                                                                             \
    filled.f = limits.f
            FILL(max_cell_bytes);
            FILL(max_row_bytes);
            FILL(max_columns);
            FILL(max_rows);
#undef FILL
            FUZZ_CHECK(xlsx_sheet_count(book) <= (limits.max_sheets ? limits.max_sheets : 1024),
                       "%zu sheets", xlsx_sheet_count(book));
            for (i = 0; i < xlsx_sheet_count(book); i++) {
                const xlsx_sheet_info *info = xlsx_sheet_at(book, i);
                size_t bad;
                FUZZ_CHECK(text_utf8_valid(info->name, strlen(info->name), &bad),
                           "sheet name not UTF-8");
                FUZZ_CHECK(xlsx_sheet_find(book, info->name) == (long)i, "sheet %s not found",
                           info->name);
                read_sheet(book, i, &filled);
            }
        }
    }
    xlsx_close(book);
    free(zip.data);
    return 0;
}
