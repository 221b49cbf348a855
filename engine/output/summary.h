/*
** summary.h — what `eval` prints: the ranked table people read (CJK text
** aligned by display width), CSV for spreadsheets (UTF-8 with a byte-order
** mark so Excel and WPS read Chinese), or one JSON document.
** Output is a pure function of its inputs: sorted by rank, then id.
*/
#ifndef KAOHE_SUMMARY_H
#define KAOHE_SUMMARY_H

#include <stdio.h>

#include "buffer.h"
#include "eval.h"
#include "outcome.h"
#include "rules.h"
#include "snapshot.h"

typedef enum { SUMMARY_TABLE, SUMMARY_CSV, SUMMARY_JSON } summary_format;

typedef struct summary_input {
    eval_run run;     /* rules, snapshot, parameters, result */
    long long run_id; /* 0 when not written */
    double near;      /* margin of the near-threshold list; 0 = no list */
    const char *results_path;
} summary_input;

/* Writes the report into `out`: ERROR_OK, or ERROR_SYSTEM out of memory. */
int summary_write(const summary_input *in, summary_format format, buffer *out);

/* One entry of the near-threshold list. */
typedef struct summary_near {
    const char *kind;  /* "stars" or a target id */
    const char *scope; /* "community" for stars, else the target's scope */
    const char *scope_id;
    double value;    /* the total or the actual */
    double boundary; /* the star threshold or the required value */
    int stars;       /* the grade whose threshold is near (stars only) */
} summary_near;

/* Communities within `margin` points of a star threshold, and target checks
** at street scope within `margin` percentage points (ratios) or `margin`
** (counts) of their required value. Caller frees *out. */
int summary_near_list(const summary_input *in, double margin, summary_near **out, size_t *count);

/* The rules' name of star grade `stars` (a grade's name, or the name of
** "below every grade" for 0). Rules that name nothing give a mark. The text
** belongs to `r`. */
const char *summary_stars_name(const rules *r, int stars);

#endif
