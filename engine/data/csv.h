/*
** csv.h — a streaming reader of RFC 4180 CSV, one record at a time.
**
** Fields are separated by commas; a field may be quoted with double quotes,
** and then holds commas, line breaks and doubled quotes (""). Records end at
** LF, CRLF or a lone CR. A quote inside an unquoted field, or after a closing
** quote, is taken literally (as Excel and Python do). A UTF-8 byte order mark
** is skipped; a UTF-16 one is reported (csv_bom) and not skipped. The bytes
** are not decoded: checking or converting the encoding is the caller's.
**
**     csv_reader *r;
**     csv_record rec;
**     status = csv_open(path, &limits, &r, e);
**     while ((rc = csv_next(r, &rec)) == CSV_RECORD)
**         ... rec.fields[i].text ...
**     csv_close(r);
**
** Memory stays bounded whatever the file holds: a record over
** limits.max_record_bytes (its fields and their NULs) or over
** limits.max_fields fields is read to its end but not kept (CSV_TOO_LONG,
** saying where it went over), and reading goes on with the next record.
** Lines count from 1; a line break inside quotes counts as a line. Byte
** offsets count from the start of the file, byte order mark included.
*/
#ifndef KAOHE_CSV_H
#define KAOHE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef enum {
    CSV_RECORD = 1,    /* a record was read */
    CSV_END = 0,       /* no more records */
    CSV_UNCLOSED = -1, /* a quoted field runs to the end of the file */
    CSV_NUL = -2,      /* a NUL byte: not a text file */
    CSV_IO = -3,       /* a read failed (errno) */
    CSV_MEMORY = -4,   /* out of memory */
    CSV_TOO_LONG = -5  /* the record was read to its end but is over a limit (none of it kept) */
} csv_result;

typedef enum {
    CSV_BOM_NONE,    /* no byte order mark */
    CSV_BOM_UTF8,    /* EF BB BF, skipped */
    CSV_BOM_UTF16LE, /* FF FE: the file is UTF-16 (Excel's "Unicode text") */
    CSV_BOM_UTF16BE  /* FE FF */
} csv_bom_kind;

typedef struct csv_limits {
    size_t max_record_bytes; /* a record's fields and their NULs at most; 0: no limit */
    size_t max_fields;       /* fields of a record at most; 0: no limit */
} csv_limits;

typedef struct csv_field {
    const char *text; /* NUL-terminated (a field holds no NUL: CSV_NUL refuses it) */
    size_t length;    /* bytes, without the NUL */
    long line;        /* line where the field starts */
} csv_field;

/* One record, or where reading stopped. Owned by the reader; valid until
** the next csv_next or csv_close. */
typedef struct csv_record {
    const csv_field *fields; /* CSV_RECORD: `count` fields, at least one */
    size_t count;
    long line;              /* the record's first line */
    long long offset;       /* byte offset of its first byte */
    long error_line;        /* CSV_UNCLOSED: the opening quote's; CSV_NUL: the NUL's; CSV_IO */
    long long error_offset; /* the same as a byte offset */
    size_t over_field;      /* CSV_TOO_LONG: the field (from 0) where it went over */
    long over_line;         /* ... the line where that field starts */
    bool over_fields;       /* ... over max_fields rather than max_record_bytes */
} csv_record;

typedef struct csv_reader csv_reader;

/* Opens `path` for reading. Returns ERROR_OK with *out (free with
** csv_close), or ERROR_INPUT / ERROR_SYSTEM with "cannot open: reason" in
** e (the caller names the file). */
int csv_open(const char *path, const csv_limits *limits, csv_reader **out, error *e);

/* The same over an open stream, which the reader then owns (and closes). */
int csv_open_stream(FILE *stream, const csv_limits *limits, csv_reader **out, error *e);

/* The byte order mark at the start of the file. */
csv_bom_kind csv_bom(const csv_reader *r);

/* Reads the next record into *record; returns a csv_result. After an error
** other than CSV_TOO_LONG, reading further is not meaningful. */
csv_result csv_next(csv_reader *r, csv_record *record);

/* True when every field of the record is empty (a blank line, or ",,,"
** left by a spreadsheet). */
bool csv_record_blank(const csv_record *record);

/* Closes the file and frees the reader. NULL-safe. */
void csv_close(csv_reader *r);

#endif
