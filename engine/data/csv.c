/*
** csv.c — the streaming RFC 4180 reader of csv.h.
**
** Bytes are read in 64 KiB chunks; runs of bytes that mean nothing to the
** syntax are copied in one go (the fast path), the rest byte by byte. The
** fields of a record are kept back to back in one buffer, each
** NUL-terminated, and pointed to once the record is complete (the buffer
** may move while it grows).
*/
#include "csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

struct csv_reader {
    FILE *stream;               /* the open file (owned) */
    unsigned char chunk[65536]; /* bytes read ahead */
    size_t position;            /* next byte in chunk */
    size_t length;              /* bytes in chunk */
    long long base;             /* byte offset of chunk[0] in the file */
    bool end;                   /* the file has no more bytes */
    bool failed;                /* a read failed */
    int read_errno;             /* errno of that failure */
    csv_bom_kind bom;           /* the byte order mark found at the start */
    long line;                  /* line of the next byte, from 1 */
    buffer text;                /* the current record's fields, each NUL-terminated */
    size_t *offsets;            /* [field] start in text */
    csv_field *fields;          /* [field] length and line; text set when the record is done */
    size_t count;               /* fields in the current record */
    size_t capacity;            /* room in offsets and fields */
    csv_limits limits;          /* 0 in a limit: none */
    bool over;                  /* the current record is over a limit: its bytes are dropped */
    size_t over_field;          /* the field (from 0) where it went over */
    long over_line;             /* the line of that field's start */
    bool over_fields;           /* over max_fields rather than max_record_bytes */
    size_t field_seen;          /* bytes of the current field read so far, kept or not */
};

/* Makes sure a byte is available; false at the end of the file. */
static bool csv_fill(csv_reader *r)
{
    if (r->position < r->length)
        return true;
    if (r->end)
        return false;
    r->base += (long long)r->length;
    r->length = fread(r->chunk, 1, sizeof r->chunk, r->stream);
    r->position = 0;
    if (r->length == 0) {
        r->end = true;
        r->failed = ferror(r->stream) != 0;
        r->read_errno = r->failed ? errno : 0;
        return false;
    }
    return true;
}

/* The next byte, consumed, or -1 at the end. */
static int csv_get(csv_reader *r)
{
    return csv_fill(r) ? r->chunk[r->position++] : -1;
}

/* The next byte, not consumed, or -1 at the end. */
static int csv_peek(csv_reader *r)
{
    return csv_fill(r) ? r->chunk[r->position] : -1;
}

/* Byte offset of the next byte in the file. */
static long long csv_offset(const csv_reader *r)
{
    return r->base + (long long)r->position;
}

/* Keeps `n` bytes of the current field, unless the record is over its
** limit: then the rest of it is read (to know where it ends) but dropped,
** so a 1 GB field costs no more memory than the limit. */
static void csv_keep(csv_reader *r, const char *data, size_t n)
{
    r->field_seen += n;
    if (r->over)
        return;
    if (r->limits.max_record_bytes > 0 && r->text.length + n + 1 > r->limits.max_record_bytes) {
        r->over = true;
        r->over_field = r->count - 1;
        r->over_line = r->fields[r->count - 1].line;
        return;
    }
    buffer_append(&r->text, data, n);
}

/* Starts a new field at the end of r->text; false when out of memory. */
static bool csv_field_start(csv_reader *r)
{
    r->field_seen = 0;
    if (r->over)
        return true;
    if (r->limits.max_fields > 0 && r->count == r->limits.max_fields) {
        r->over = true;
        r->over_fields = true;
        r->over_field = r->count;
        r->over_line = r->line;
        return true;
    }
    if (r->count == r->capacity) {
        size_t capacity = r->capacity ? r->capacity * 2 : 32;
        size_t *offsets = realloc(r->offsets, capacity * sizeof *offsets);
        csv_field *fields;
        if (offsets == NULL)
            return false;
        r->offsets = offsets;
        fields = realloc(r->fields, capacity * sizeof *fields);
        if (fields == NULL)
            return false;
        r->fields = fields;
        r->capacity = capacity;
    }
    r->offsets[r->count] = r->text.length;
    r->fields[r->count].text = NULL;
    r->fields[r->count].length = 0;
    r->fields[r->count].line = r->line;
    r->count++;
    return true;
}

/* Ends the current field (NUL-terminates it). */
static void csv_field_end(csv_reader *r)
{
    size_t i = r->count - 1;
    if (r->over)
        return;
    r->fields[i].length = r->text.length - r->offsets[i];
    buffer_append(&r->text, "", 1);
}

/* Fills the record's view of a complete record; returns CSV_RECORD. */
static csv_result csv_done(csv_reader *r, csv_record *record)
{
    size_t i;
    for (i = 0; i < r->count; i++)
        r->fields[i].text = buffer_text(&r->text) + r->offsets[i];
    record->fields = r->fields;
    record->count = r->count;
    return CSV_RECORD;
}

/* Says where reading stopped, at the current byte or `line`/`offset`. */
static csv_result csv_stop(csv_record *record, csv_result result, long line, long long offset)
{
    record->error_line = line;
    record->error_offset = offset;
    return result;
}

csv_result csv_next(csv_reader *r, csv_record *record)
{
    bool in_quotes = false, quoted = false;
    long quote_line = 0;
    long long quote_offset = 0;
    int c;
    memset(record, 0, sizeof *record);
    buffer_reset(&r->text);
    r->count = 0;
    r->over = false;
    r->over_fields = false;
    if (csv_peek(r) < 0) {
        if (r->failed) {
            errno = r->read_errno;
            return csv_stop(record, CSV_IO, r->line, csv_offset(r));
        }
        return CSV_END;
    }
    record->line = r->line;
    record->offset = csv_offset(r);
    if (!csv_field_start(r))
        return CSV_MEMORY;
    for (;;) {
        /* Fast path: a run of bytes with no meaning to the syntax. */
        size_t start = r->position;
        if (in_quotes)
            while (r->position < r->length && r->chunk[r->position] != '"' &&
                   r->chunk[r->position] != '\n' && r->chunk[r->position] != '\r' &&
                   r->chunk[r->position] != 0)
                r->position++;
        else
            while (r->position < r->length && r->chunk[r->position] != ',' &&
                   r->chunk[r->position] != '"' && r->chunk[r->position] != '\n' &&
                   r->chunk[r->position] != '\r' && r->chunk[r->position] != 0)
                r->position++;
        if (r->position > start) {
            csv_keep(r, (const char *)r->chunk + start, r->position - start);
            continue;
        }
        c = csv_get(r);
        if (c < 0) {
            if (r->failed) {
                errno = r->read_errno;
                return csv_stop(record, CSV_IO, r->line, csv_offset(r));
            }
            if (in_quotes)
                return csv_stop(record, CSV_UNCLOSED, quote_line, quote_offset);
            break;
        }
        if (c == 0)
            return csv_stop(record, CSV_NUL, r->line, csv_offset(r) - 1);
        if (in_quotes) {
            if (c == '"') {
                if (csv_peek(r) == '"') {
                    csv_get(r);
                    csv_keep(r, "\"", 1);
                } else {
                    in_quotes = false;
                }
                continue;
            }
            if (c == '\n' || (c == '\r' && csv_peek(r) != '\n'))
                r->line++;
            csv_keep(r, (const char *)&r->chunk[r->position - 1], 1);
            continue;
        }
        if (c == '"' && !quoted && r->field_seen == 0) {
            in_quotes = true;
            quoted = true;
            quote_line = r->line;
            quote_offset = csv_offset(r) - 1;
            continue;
        }
        if (c == ',') {
            csv_field_end(r);
            if (!csv_field_start(r))
                return CSV_MEMORY;
            quoted = false;
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (c == '\r' && csv_peek(r) == '\n')
                csv_get(r);
            r->line++;
            break;
        }
        /* Anything else, including a quote inside an unquoted field or after
        ** a closing quote, is taken literally (as Excel and Python do). */
        csv_keep(r, (const char *)&r->chunk[r->position - 1], 1);
    }
    csv_field_end(r);
    if (buffer_failed(&r->text))
        return CSV_MEMORY;
    if (r->over) {
        record->over_field = r->over_field;
        record->over_line = r->over_line;
        record->over_fields = r->over_fields;
        return CSV_TOO_LONG;
    }
    return csv_done(r, record);
}

bool csv_record_blank(const csv_record *record)
{
    size_t i;
    for (i = 0; i < record->count; i++)
        if (record->fields[i].length > 0)
            return false;
    return true;
}

int csv_open_stream(FILE *stream, const csv_limits *limits, csv_reader **out, error *e)
{
    csv_reader *r = calloc(1, sizeof *r);
    *out = NULL;
    if (r == NULL) {
        if (stream != NULL)
            fclose(stream);
        return error_set(e, ERROR_SYSTEM, "out of memory");
    }
    buffer_init(&r->text);
    r->stream = stream;
    r->line = 1;
    if (limits != NULL)
        r->limits = *limits;
    if (csv_fill(r)) {
        if (r->length >= 3 && memcmp(r->chunk, "\xEF\xBB\xBF", 3) == 0) {
            r->bom = CSV_BOM_UTF8;
            r->position = 3;
        } else if (r->length >= 2 && memcmp(r->chunk, "\xFF\xFE", 2) == 0) {
            r->bom = CSV_BOM_UTF16LE;
        } else if (r->length >= 2 && memcmp(r->chunk, "\xFE\xFF", 2) == 0) {
            r->bom = CSV_BOM_UTF16BE;
        }
    }
    *out = r;
    return ERROR_OK;
}

int csv_open(const char *path, const csv_limits *limits, csv_reader **out, error *e)
{
    FILE *stream = fopen(path, "rb");
    *out = NULL;
    if (stream == NULL)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "cannot open: %s",
                         error_errno_text(errno));
    return csv_open_stream(stream, limits, out, e);
}

csv_bom_kind csv_bom(const csv_reader *r)
{
    return r->bom;
}

void csv_close(csv_reader *r)
{
    if (r == NULL)
        return;
    if (r->stream != NULL)
        fclose(r->stream);
    buffer_free(&r->text);
    free(r->offsets);
    free(r->fields);
    free(r);
}
