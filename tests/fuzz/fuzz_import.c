/*
** tests/fuzz/fuzz_import.c — libFuzzer harness: CSV import.
**
** Input: one flags byte, then sections separated by 0x1E (ASCII record
** separator). The first byte of a section picks its file name (below); the
** rest is the file's bytes. The files are written to an empty directory and
** imported with import_csv_directory() into a new snapshot, as `kaohe import
** DIR --out SNAPSHOT [--skip-bad]` does (flags bit 0: skip_bad; bit 1: a
** row limit of 64 bytes instead of --max-row-mb's 16 MB, so that rows over
** the limit, and the rows after them, are fuzzed too).
**
** Oracles: the status is ERROR_OK or ERROR_INPUT (never ERROR_SYSTEM) with
** a message; on failure nothing is left next to the output (no snapshot, no
** temporary); on success the snapshot exists, snapshot_open() accepts it,
** rows_written + rows_skipped <= rows_read, and the problem list is empty
** unless skip_bad was asked for.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "import.h"
#include "snapshot.h"

static const char *const file_names[] = {
    "snapshot_meta.csv", "communities.csv", "workers.csv",  "organizations.csv",
    "activities.csv",    "visits.csv",      "postings.csv", "survey_responses.csv",
    "requests.csv",      "tasks.csv",       "facts.csv",    "extra.csv",
    "notes.txt",         "COMMUNITIES.CSV",
};
#define FILE_COUNT (sizeof file_names / sizeof file_names[0])

static char csv_dir[4096], out_dir[4096], out_path[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(csv_dir, sizeof csv_dir, "%s/csv", fuzz_workdir());
    snprintf(out_dir, sizeof out_dir, "%s/out", fuzz_workdir());
    snprintf(out_path, sizeof out_path, "%s/snapshot.db", out_dir);
    return 0;
}

/* Number of entries of a directory (not . and ..). */
static int entries_in(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    int n = 0;
    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            n++;
    closedir(dir);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sections[32];
    size_t lengths[32], count, i;
    import_options options;
    import_report report;
    error e;
    int status;
    if (size < 1)
        return 0;
    fuzz_remove_tree(csv_dir);
    fuzz_remove_tree(out_dir);
    fuzz_mkdirs(csv_dir);
    fuzz_mkdirs(out_dir);
    count = fuzz_split(data + 1, size - 1, 0x1E, sections, lengths, 32);
    for (i = 0; i < count; i++) {
        char path[4096];
        if (lengths[i] == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", csv_dir, file_names[sections[i][0] % FILE_COUNT]);
        fuzz_write_file(path, sections[i] + 1, lengths[i] - 1);
    }
    memset(&options, 0, sizeof options);
    options.directory = csv_dir;
    options.out = out_path;
    options.skip_bad = data[0] & 1;
    options.max_row_bytes = data[0] & 2 ? 64 : 0;
    error_clear(&e);
    status = import_csv_directory(&options, &report, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "import returned %d: %s", status,
               e.message);
    if (status != ERROR_OK) {
        FUZZ_CHECK(e.message[0] != '\0', "import refused without a message");
        FUZZ_CHECK(entries_in(out_dir) == 0, "a failed import left %d files behind",
                   entries_in(out_dir));
    } else {
        snapshot *s = NULL;
        FUZZ_CHECK(entries_in(out_dir) == 1, "a successful import left %d files",
                   entries_in(out_dir));
        FUZZ_CHECK(report.rows_written + report.rows_skipped <= report.rows_read,
                   "written %ld + skipped %ld > read %ld", report.rows_written,
                   report.rows_skipped, report.rows_read);
        FUZZ_CHECK(options.skip_bad || report.problems.length == 0,
                   "problems listed without --skip-bad: %s", buffer_text(&report.problems));
        error_clear(&e);
        FUZZ_CHECK(snapshot_open(out_path, &s, &e) == ERROR_OK,
                   "the engine refuses the imported snapshot: %s", e.message);
        snapshot_close(s);
    }
    import_report_free(&report);
    return 0;
}
