/*
** export.h — one run of a results database as an Excel workbook (.xlsx),
** for the offices that publish results in Excel or WPS.
**
** `kaohe export RESULTS --xlsx FILE [--run N]` writes one worksheet per
** results table (runs, indicator_scores, community_scores, category_scores,
** target_checks, worker_appraisals, task_decisions, department_stats,
** run_communities, run_indicators, run_categories, run_targets), in that
** order, each named "<中文名> <table>" and holding that run's rows in a
** stable order. Row 1 is a header "<中文标题> <column>" frozen in view with an
** autofilter; points and totals show as 0.00, ratios as 0.0%, ranks, stars
** and counts as whole numbers; NULL is an empty cell. The score sheets carry
** the community's name (and the indicator's, category's or target's) next to
** its id, from the run's own description tables. A table that an older
** results file lacks gives a sheet with the header only.
**
** The workbook is built under a temporary name next to FILE and renamed into
** place. An existing FILE is replaced only when it is itself a workbook (a
** zip file), and never when it is the results database.
*/
#ifndef KAOHE_EXPORT_H
#define KAOHE_EXPORT_H

#include "error.h"

/* Writes run `run_id` (0 = the latest run) of the results database at
** `results_path` to the workbook `xlsx_path`. Returns ERROR_OK; ERROR_INPUT
** when the results file is missing, not a results database, has no such
** run, or a table has more rows than a worksheet holds; ERROR_SYSTEM when
** the workbook cannot be written (disk, memory). */
int export_xlsx(const char *results_path, long long run_id, const char *xlsx_path, error *e);

/* The Chinese title of a results column ("总分" for community_scores.total),
** or NULL. The string is static. */
const char *export_column_title(const char *table, const char *column);

#endif
