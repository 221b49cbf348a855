/*
** import.h — building a snapshot from a directory of CSV files, one per table.
**
** Policy offices keep their data in spreadsheets; `kaohe import DIR --out
** SNAPSHOT` turns DIR/communities.csv, DIR/workers.csv, ... (one file per
** table of ../shared/spec/snapshot.sql, named after the table) into a new
** snapshot file that the engine accepts.
**
** The files: UTF-8 with or without a byte order mark (Excel's "CSV UTF-8"),
** RFC 4180 quoting (commas, double quotes and line breaks inside "..."), CRLF
** or LF line ends. The first line names the columns, either by their English
** names (snapshot.sql) or by their Chinese titles (import_column_title), in
** any order; a nullable column may be left out. An empty cell is NULL.
** communities.csv and snapshot_meta.csv must be present; a missing file of
** another table gives an empty table. Other *.csv files are reported.
**
** A row longer than o->max_row_bytes (with line breaks inside quotes), or
** with more than IMPORT_MAX_FIELDS fields, is a bad row like any other: its
** bytes past the limit are read but not kept, so memory stays bounded
** whatever the file holds.
**
** Every row is checked as the engine would check it (types, YYYY-MM-DD dates
** and YYYY-MM months, allowed values, ranges, NOT NULL, references from
** workers, visits and every community_id, duplicate keys). A row with a
** problem is reported as "FILE:LINE: reason" (lines of the file, the header
** being line 1, a line break inside quotes counting as a line). Nothing is
** written unless every row is good; with skip_bad the bad rows, and the rows
** that refer to them, are left out and listed instead. Problems with a whole
** file (not UTF-8, a broken header, a missing required file) always stop the
** import.
**
** The snapshot is written in one transaction to a temporary file next to
** `out`, checked with the engine's own validation (snapshot_open) and moved
** into place; an existing `out` is never overwritten.
*/
#ifndef KAOHE_IMPORT_H
#define KAOHE_IMPORT_H

#include <stdbool.h>

#include "buffer.h"
#include "error.h"

/* One row of a CSV file (its fields, with line breaks inside quotes) may
** hold this many MB by default (`kaohe import --max-row-mb N`): a spreadsheet
** cell holds at most 32,767 characters, so a row of 30 full cells of Chinese
** text is under 3 MB. A longer row, or one field longer than that, is a bad
** row (file, line, field, column), never "out of memory". */
#define IMPORT_MAX_ROW_MB_DEFAULT 16
/* A row may have this many fields (Excel's and WPS's column limit); more is
** a bad row. */
#define IMPORT_MAX_FIELDS 16384

typedef struct import_options {
    const char *directory; /* the CSV files */
    const char *out;       /* the snapshot to create; must not exist */
    bool skip_bad;         /* leave bad rows out (listed) instead of failing */
    size_t max_row_bytes;  /* bytes of one row at most; 0: IMPORT_MAX_ROW_MB_DEFAULT MB */
    /* The rules whose labels (rules/labels.lua: "workers.role" 书记 =
    ** secretary, "boolean" 是 = 1) a value may be written as; may be NULL. */
    const struct rules *labels;
    /* Every problem, as CSV (UTF-8 with a byte order mark, for Excel/WPS:
    ** 文件, 行, 问题), written to this file whether or not the import
    ** succeeds; NULL: only the first ones, in the report. */
    const char *problems_path;
    /* Called every 10,000 rows and once at the end of each file with the
    ** rows read so far from `file` (a path); may be NULL. */
    void (*progress)(void *user, const char *file, long rows);
    void *user; /* passed to progress */
} import_options;

typedef struct import_report {
    long rows_read;    /* data rows read from the files (not headers or blank lines) */
    long rows_written; /* rows written to the snapshot (0 when nothing was written) */
    long rows_skipped; /* bad rows left out under skip_bad */
    buffer problems;   /* "file:line: reason" lines, each ending in '\n' */
    buffer notes;      /* "file: warning: ..." and "file: note: ..." lines: what was
                       ** read differently or left out, not problems */
} import_report;

/* Imports o->directory into the new snapshot o->out. Returns ERROR_OK when
** the snapshot was written (with skip_bad, report->problems lists the rows
** left out); ERROR_INPUT when the files have problems (nothing is written;
** e->message holds the first problems and report->problems all of them, up
** to 10,000 lines), when `out` exists or the directory cannot be read;
** ERROR_SYSTEM when the disk or memory fails. *report is overwritten (not
** freed first): call import_report_free() afterwards, whatever the status. */
int import_csv_directory(const import_options *o, import_report *report, error *e);

/* Frees the report's problem list and zeroes it. */
void import_report_free(import_report *report);

/* The Chinese title of a snapshot column ("社区名称" for communities.name),
** accepted in CSV headers instead of the English name; NULL for an unknown
** table or column. The string is static. */
const char *import_column_title(const char *table, const char *column);

/* The Chinese name of a snapshot table ("工作人员" for workers), which a
** workbook's sheet may bear instead of the English one; NULL if unknown. */
const char *import_table_title(const char *table);

/* The sheet of a workbook that import passes over in silence: the notes
** of kaohe template. */
#define IMPORT_NOTES_SHEET "说明"

#endif
