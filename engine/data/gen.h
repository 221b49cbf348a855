/*
** gen.h — a generator of synthetic snapshots (../shared/spec/snapshot.sql) at
** any scale, for benchmarks, load tests and demonstrations (`kaohe gen`).
**
** gen_write() writes a complete snapshot of N communities: districts (about
** N/200) and streets (about N/12, names repeating across districts), a year
** of data per community (about 500 rows: workers including some who left,
** organizations, activities, one visits row per worker and month, postings,
** survey answers, requests, tasks pushed down by departments, and one facts
** row per fact key of POLICY.md §1), all inside the schema's allowed values,
** so that `kaohe eval` accepts the file.
**
** The data is realistic rather than uniform: each community has a hidden
** quality level that pulls its values up or down, so that every indicator of
** POLICY.md §1 falls below its lower threshold for some communities, inside
** its range for most and above the upper one for some. Gaps occur at
** realistic rates (about 1-2% of facts NULL or absent, a few communities with
** fewer than 30 survey answers, some NULL training hours, education, scores
** and participant counts), and about 0.2% of the facts are out of their
** POLICY.md domain (a negative count, a ratio above 1, visited > assigned), so
** that indicators with status 'missing' and 'invalid' occur. Task titles hit
** every entry of admission.tsv (deny and allow lists, assistance tasks with
** and without funding, staff and approval, 统计局 tasks for the department
** pattern of X08) and some titles match no entry.
**
** Deterministic: the same seed, N, as_of and region give the same rows, byte
** for byte, on every run and machine (a private xoshiro256** generator, no
** clock, no libm transcendental functions, ties broken explicitly). Each
** community draws from its own streams, seeded from (seed, table, community
** number); the region layout and the round-robin over admission entries
** depend on N as well.
**
** The file is built under a temporary name next to `path` (path.gen-PID-N.tmp),
** in one transaction with journaling off, and linked into place only when
** complete; on any failure it is removed and `path` is left absent. An
** existing `path` is never overwritten. The file is not fsync'ed (a generated
** file can be generated again). About 86 bytes and 1.3 µs of CPU per row:
** 100,000 communities are 46 million rows, 3.9 GB, about a minute.
*/
#ifndef KAOHE_GEN_H
#define KAOHE_GEN_H

#include "error.h"

/* Tables of the snapshot, in the order of gen_stats.rows_per_table. */
enum {
    GEN_SNAPSHOT_META,
    GEN_COMMUNITIES,
    GEN_WORKERS,
    GEN_ORGANIZATIONS,
    GEN_ACTIVITIES,
    GEN_VISITS,
    GEN_POSTINGS,
    GEN_SURVEY_RESPONSES,
    GEN_REQUESTS,
    GEN_TASKS,
    GEN_FACTS,
    GEN_TABLES /* number of tables */
};

/* The largest number of communities gen_write() accepts. */
#define GEN_MAX_COMMUNITIES 10000000L

typedef struct gen_options {
    long communities;   /* N, 1 .. GEN_MAX_COMMUNITIES */
    unsigned long seed; /* same seed (and N, as_of, region) -> identical rows */
    const char *path;   /* output file; must not exist yet (never overwritten) */
    const char *as_of;  /* assessment date YYYY-MM-DD; NULL = "2025-12-31" */
    const char *region; /* snapshot_meta.region, non-empty UTF-8; NULL = "生成市" */
    /* Optional: called with the number of communities written so far, about
    ** every 1% of them and once at the end (done == total), on the calling
    ** thread. NULL = no progress reports. */
    void (*progress)(void *user, long done, long total);
    void *user; /* passed to progress */
} gen_options;

typedef struct gen_stats {
    long long rows;                       /* rows written, all tables */
    long long rows_per_table[GEN_TABLES]; /* indexed by GEN_SNAPSHOT_META .. GEN_FACTS */
    double seconds;                       /* wall-clock time of gen_write() */
} gen_stats;

/*
** Writes a snapshot of options->communities communities to options->path.
** Returns ERROR_OK and fills *stats (when not NULL). Otherwise returns
** ERROR_USAGE (no path, communities out of range, as_of not a date, region
** empty or not UTF-8, or path exists already) or ERROR_SYSTEM (cannot create,
** write or link the file: out of memory, disk full, I/O), with the message in
** *e; nothing is left at path and the temporary file is removed. The options
** are only read. Allocates nothing that the caller frees.
*/
int gen_write(const gen_options *options, gen_stats *stats, error *e);

/* Name of table `table` (GEN_SNAPSHOT_META .. GEN_FACTS), or NULL. Static. */
const char *gen_table_name(int table);

#endif
