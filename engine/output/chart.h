/*
** chart.h — inline SVG charts, one home for the HTML report (report.c) and
** the what-if sweep chart (whatif.c).
**
** Pieces a chart is drawn from (escaped text, a value axis with grid lines,
** a polyline of points, a legend entry) and whole line charts: panels of
** series over one shared x axis. Everything is appended to a buffer;
** numbers are printed with fixed decimals, so the same input gives the same
** bytes. Nothing here knows what is drawn: names and values are the
** caller's.
*/
#ifndef KAOHE_CHART_H
#define KAOHE_CHART_H

#include <stddef.h>

#include "buffer.h"

/* Colours of series, used in turn. */
extern const char *const chart_palette[];
#define CHART_PALETTE_SIZE 11

/* Appends `text` escaped for SVG and HTML (<, >, &, "). */
void chart_text(buffer *out, const char *text);

/* Writes the label of an axis value (a number, a percentage...). */
typedef void (*chart_format)(buffer *out, double value);

/* A value axis: `ticks` + 1 horizontal grid lines from `bottom` (value 0)
** up to `top` (value `max`) between x = left and x = right, each labelled
** with `format` right-aligned left of `left`. The line at 0 is darker. */
void chart_value_axis(buffer *out, double left, double right, double top, double bottom, int ticks,
                      double max, chart_format format);

/* A line through `count` points (xs[i], ys[i]) in `colour`, `width` wide. */
void chart_polyline(buffer *out, const double *xs, const double *ys, size_t count,
                    const char *colour, double width);

/* A legend entry at (x, y): a short bar of `colour`, then `name`. */
void chart_legend(buffer *out, double x, double y, const char *colour, const char *name);

/* One series of a line chart. */
typedef struct chart_series {
    const char *name; /* legend text */
    const double *y;  /* one value per x of the chart */
} chart_series;

/* One panel of a line chart: a title and its series. */
typedef struct chart_panel {
    const char *title;
    const chart_series *series;
    size_t series_count;
} chart_panel;

/* A whole SVG document: panels of lines one above the other, sharing the
** `count` x values `xs` (ascending), with the title on top and `x_label`
** under the last panel. Each panel scales to its largest value (whole-
** number ticks). */
void chart_lines(buffer *out, const char *title, const char *x_label, const double *xs,
                 size_t count, const chart_panel *panels, size_t panel_count);

#endif
