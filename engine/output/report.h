/*
** report.h — the year-end report as one self-contained HTML file, read from a
** results database alone (`kaohe report RESULTS --out report.html`).
**
** Two documents:
**   - the region report: header (region, as-of date, run, engine version,
**     rule and snapshot SHA-256, the run's star lines and the requirement
**     of each target), star distribution, the ranking with the category
**     subtotals, district comparison, for each target whose requirement
**     is a schedule its checks by district against the trajectory, the
**     other targets, flagged workers, admission decisions by department and
**     by entry, and the near-threshold list to review before publication;
**   - the community report card (社区体检单): one A4 page per community with
**     its indicators sorted by points lost, a radar chart of its categories
**     against the region's average, and its own and its street's targets.
**
** Names, star lines, targets and ε are the run's own, read from the tables
** eval writes beside the contract's (results_schema.c); nothing about the
** policy is written in C.
**
** The HTML has inline CSS and inline SVG only (no script, no external asset),
** prints on A4, escapes every text, and is a pure function of the results:
** the same database gives byte-identical output (no clock, every list sorted).
*/
#ifndef KAOHE_REPORT_H
#define KAOHE_REPORT_H

#include "buffer.h"
#include "error.h"

typedef struct report_options {
    const char *results_path; /* the results database (opened read-only) */
    long long run_id;         /* 0 = the latest run of kind 'eval' (or any kind if none) */
    const char *community_id; /* NULL = the region report; "all" = every community's card;
                                 else the report card of that community */
    double margin;            /* near-threshold margin in points (default 1.0 when 0) */
} report_options;

/* Appends the report described by `options` to `out`. Returns ERROR_OK;
** ERROR_INPUT when the file, the run or the community does not exist or the
** file is not a kaohe results database (the message names it); ERROR_USAGE
** for a negative margin; ERROR_SYSTEM when out of memory or the file cannot
** be read. On failure `out` is left as it was. The caller owns `out`. */
int report_write(const report_options *options, buffer *out, error *e);

#endif
