/*
** xlsx.h — a streaming reader of Excel/WPS workbooks (.xlsx, Office Open XML
** SpreadsheetML), for importing the sheets offices keep their data in.
**
** The container is read with libzip and the XML with libexpat. A sheet is
** inflated and parsed in 64 KB chunks and handed out one row at a time, so
** memory does not grow with the sheet; the shared strings (the text most
** cells point to) are kept in memory, up to a limit.
**
** Use:
**
**     xlsx_book *book = NULL;
**     xlsx_sheet *sheet = NULL;
**     const xlsx_row *row;
**     if (xlsx_open("book.xlsx", NULL, &book, &e) != ERROR_OK) goto done;
**     for (i = 0; i < xlsx_sheet_count(book); i++)
**         puts(xlsx_sheet_at(book, i)->name);            // workbook order
**     if (xlsx_sheet_open(book, 0, &sheet, &e) != ERROR_OK) goto done;
**     while ((status = xlsx_sheet_next(sheet, &row, &e)) == ERROR_OK && row)
**         for (j = 0; j < row->count; j++)
**             use(row->cells[j].ref, row->cells[j].kind, row->cells[j].text);
**   done:
**     xlsx_sheet_close(sheet);
**     xlsx_close(book);
**
** Only rows and cells that hold a value are handed out: a blank cell between
** two filled ones is left out, and every cell carries its column number and
** reference, so that a caller maps columns by the header row's columns (not
** by position in row->cells).
**
** Values: text (shared strings, inline strings <is>, formula string results;
** rich text runs joined, phonetic runs left out, _xHHHH_ escapes decoded), a
** number ("%.15g", the 15 digits Excel shows), a boolean (TRUE/FALSE), an
** error (#N/A, #DIV/0!...), or a date or time: a number whose cell style has
** a date or time number format (styles.xml cellXfs -> numFmtId: the built-in
** ids 14-22 and 45-47, the East Asian built-ins 27-36 and 50-58 that Chinese
** Excel and WPS write without defining them, and custom formats with y, m,
** d, h or s outside quotes and brackets), converted from the serial number
** (the 1900 date system with Excel's 1900-02-29, or 1904 when the workbook
** says date1904). For a formula cell, the value is the one last computed.
**
** The file is untrusted. Every size is capped by xlsx_limits (below); the
** inflated bytes are counted as they come out of the decompressor (a zip
** header's size claim is not believed); a DOCTYPE is refused, so no entity
** can expand; expat's own memory is capped. Every problem is ERROR_INPUT
** with a message naming the file and then the sheet and cell
** ("book.xlsx: 工作人员!F12: shared string 9999 does not exist"), or the part
** and its line, column and byte offset for XML that does not parse.
** Expat refuses bytes that are not UTF-8 (in a part declared UTF-8), so every
** text handed out is valid UTF-8.
**
** Not read: .xls (Excel 97-2003), .xlsb, .ods and password-protected files
** (refused, saying which it is and to save as .xlsx); chart sheets (not
** listed); formulas (only their cached values); merged cells (the value is in
** the first cell only, as in the file).
*/
#ifndef KAOHE_XLSX_H
#define KAOHE_XLSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Every size a hostile workbook could inflate. A zero field takes its
** default (xlsx_limits_default). */
typedef struct xlsx_limits {
    uint64_t max_part_bytes;  /* bytes inflated from one sheet or from the shared
                              ** strings (default 4 GiB: bounds the time) */
    uint64_t max_meta_bytes;  /* bytes inflated from workbook.xml, the .rels parts and
                              ** styles.xml (default 64 MiB) */
    size_t max_shared_bytes;  /* memory for the shared strings: their text, one NUL and
                              ** 8 bytes per string (default 512 MiB) */
    size_t max_cell_bytes;    /* UTF-8 bytes of one cell's or shared string's text
                              ** (default 131072; Excel's 32,767 characters are at
                              ** most 98,301 bytes) */
    size_t max_row_bytes;     /* text of one row's cells together (default 16 MiB, as
                              ** import's --max-row-mb) */
    uint32_t max_columns;     /* columns (default 16384, A to XFD) */
    uint32_t max_rows;        /* rows (default 1048576) */
    unsigned max_depth;       /* XML element nesting (default 64; a sheet needs 7) */
    unsigned max_sheets;      /* sheets in the workbook (default 1024) */
    size_t max_styles;        /* cell formats (cellXfs) and number formats, each
                              ** (default 65536; Excel allows 64,000) */
    size_t max_parser_memory; /* memory of one XML parser: the longest tag with its
                              ** attributes must fit (default 32 MiB) */
} xlsx_limits;

#define XLSX_MAX_PART_BYTES_DEFAULT    ((uint64_t)4 << 30)
#define XLSX_MAX_META_BYTES_DEFAULT    ((uint64_t)64 << 20)
#define XLSX_MAX_SHARED_BYTES_DEFAULT  ((size_t)512 << 20)
#define XLSX_MAX_CELL_BYTES_DEFAULT    131072
#define XLSX_MAX_ROW_BYTES_DEFAULT     ((size_t)16 << 20)
#define XLSX_MAX_COLUMNS_DEFAULT       16384
#define XLSX_MAX_ROWS_DEFAULT          1048576
#define XLSX_MAX_DEPTH_DEFAULT         64
#define XLSX_MAX_SHEETS_DEFAULT        1024
#define XLSX_MAX_STYLES_DEFAULT        65536
#define XLSX_MAX_PARSER_MEMORY_DEFAULT ((size_t)32 << 20)

/* Fills every field with its default. */
void xlsx_limits_default(xlsx_limits *limits);

typedef enum xlsx_kind {
    XLSX_TEXT,    /* a string; text as written */
    XLSX_NUMBER,  /* text "%.15g"; number the value */
    XLSX_BOOLEAN, /* text "TRUE" or "FALSE"; number 1 or 0 */
    XLSX_ERROR,   /* text the error as Excel shows it: "#N/A", "#DIV/0!"... */
    XLSX_DATE,    /* text "YYYY-MM-DD" (with " HH:MM:SS" when the format shows
                  ** the time too); number the serial */
    XLSX_TIME     /* a time-only format: text "HH:MM:SS"; number the serial */
} xlsx_kind;

typedef struct xlsx_cell {
    uint32_t column;  /* 1 = A ... 16384 = XFD */
    char ref[16];     /* "F12" */
    xlsx_kind kind;   /* what the value is */
    const char *text; /* the value as UTF-8, NUL-terminated (may hold NULs only as
                      ** the terminator); owned by the sheet, valid until the
                      ** next xlsx_sheet_next() or xlsx_sheet_close() */
    size_t length;    /* bytes of text */
    double number;    /* NUMBER, BOOLEAN, DATE, TIME: the value (a date's serial);
                      ** 0 for TEXT and ERROR */
} xlsx_cell;

typedef struct xlsx_row {
    uint32_t number;        /* 1-based, as in the sheet; strictly increasing */
    size_t count;           /* cells with a value, at least 1 */
    const xlsx_cell *cells; /* in increasing column order; owned by the sheet */
} xlsx_row;

typedef struct xlsx_sheet_info {
    const char *name; /* as the sheet tab shows it (UTF-8) */
    const char *part; /* its part in the archive, e.g. "xl/worksheets/sheet1.xml" */
    bool hidden;      /* state="hidden" or "veryHidden" */
} xlsx_sheet_info;

typedef struct xlsx_book xlsx_book;
typedef struct xlsx_sheet xlsx_sheet;

/* Opens the workbook at `path`: reads the package relationships, the sheet
** list, the styles and the date system (not the sheets, nor yet the shared
** strings). `limits` may be NULL (the defaults; copied). Returns ERROR_OK and
** a book in *out (free with xlsx_close), or ERROR_INPUT (not a zip, not a
** workbook, a damaged or hostile part: the message names `path`), or
** ERROR_SYSTEM (out of memory, a read error); *out is NULL then. */
int xlsx_open(const char *path, const xlsx_limits *limits, xlsx_book **out, error *e);

/* As xlsx_open, from `size` bytes at `data`, which are not copied: they must
** outlive the book. `name` is the file name used in messages. */
int xlsx_open_memory(const void *data, size_t size, const char *name, const xlsx_limits *limits,
                     xlsx_book **out, error *e);

/* Frees the book (NULL is allowed). Close its sheets first. */
void xlsx_close(xlsx_book *book);

/* Number of worksheets, and each one's name, part and visibility in
** workbook order (index < count; owned by the book). */
size_t xlsx_sheet_count(const xlsx_book *book);
const xlsx_sheet_info *xlsx_sheet_at(const xlsx_book *book, size_t index);

/* Index of the sheet named `name` (exactly, or ignoring ASCII case as Excel
** does), or -1. */
long xlsx_sheet_find(const xlsx_book *book, const char *name);

/* True when the workbook uses the 1904 date system. */
bool xlsx_date1904(const xlsx_book *book);

/* Starts reading sheet `index` (loading the shared strings on first use).
** Returns ERROR_OK and the sheet in *out (free with xlsx_sheet_close, before
** the book), ERROR_INPUT / ERROR_SYSTEM as xlsx_open, or ERROR_USAGE when
** index >= xlsx_sheet_count(). Several sheets of one book may be open at
** once. */
int xlsx_sheet_open(xlsx_book *book, size_t index, xlsx_sheet **out, error *e);

/* Reads the next row that holds a value. Returns ERROR_OK with *row set, or
** ERROR_OK with *row NULL at the end of the sheet; or ERROR_INPUT naming
** file, sheet and cell (or part and line), or ERROR_SYSTEM. After an error
** every later call returns the same error. *row is owned by the sheet and
** valid until the next call. */
int xlsx_sheet_next(xlsx_sheet *sheet, const xlsx_row **row, error *e);

/* Frees the sheet (NULL is allowed). */
void xlsx_sheet_close(xlsx_sheet *sheet);

/* Writes the letters of column `column` (1..16384) to out: "A", "XFD". */
void xlsx_column_name(uint32_t column, char out[4]);

/* Converts an Excel serial number to a calendar date and the seconds since
** midnight (rounded to the second). Returns false when the serial is not a
** day Excel can show (before 1900-01-01, or 1904-01-01 with date1904, or
** after 9999-12-31). Serial 60 of the 1900 system is Excel's 1900-02-29,
** given as such (it is not a real day). */
bool xlsx_serial_to_date(double serial, bool date1904, int *year, int *month, int *day,
                         int *seconds);

#endif
