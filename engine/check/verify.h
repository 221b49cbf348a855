/*
** verify.h — reproducing a stored run (`kaohe verify RESULTS [--run N]`).
**
** Reads the run's recorded snapshot path and SHA-256, rules directory and
** SHA-256, and effective parameters; checks that the files are the same;
** evaluates again with exactly those parameters into a temporary results
** file; and compares every results table row by row. The report says
** "identical", or exactly what differs: the snapshot, the rules, or the rows
** (table, key and values).
*/
#ifndef KAOHE_VERIFY_H
#define KAOHE_VERIFY_H

#include "buffer.h"
#include "error.h"
#include "sandbox.h"

typedef struct verify_options {
    const char *results_path;
    long long run_id;            /* 0 = the latest run */
    const char *snapshot_path;   /* NULL = the path recorded in the run */
    const char *rules_directory; /* NULL = the directory recorded in the run */
    const char *default_root;    /* the shipped rules, for extends "default" */
    sandbox_limits limits;
} verify_options;

/* Returns ERROR_OK when the run is reproduced exactly, ERROR_INPUT when it
** is not (the report in `out` says why), another status on failure. */
int verify_run(const verify_options *options, buffer *out, error *e);

#endif
