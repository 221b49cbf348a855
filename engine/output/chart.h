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

/* One bar of a bar chart. */
typedef struct chart_bar {
    const char *name;   /* under the bar, and in its tooltip */
    double value;       /* its height, >= 0 */
    const char *colour; /* its fill */
} chart_bar;

/* A bar chart (380 × 210) of `count` bars over a value axis of 5 ticks,
** each bar's value over it (written with `format`) and its name under it;
** `label` names the chart for screen readers, `unit` follows the value in
** a bar's tooltip. */
void chart_bars(buffer *out, const char *label, const chart_bar *bars, size_t count,
                const char *unit, chart_format format);

/* One axis of a radar chart: its name and two shares 0..1 (NAN: none). */
typedef struct chart_spoke {
    const char *name;
    double value;     /* drawn filled, and written under the name */
    double reference; /* drawn dashed */
} chart_spoke;

/* A radar chart (330 × 290) of `count` spokes (at least 3; nothing is
** drawn for fewer), rings at each quarter, the value polygon filled and
** the reference polygon dashed, with a legend naming both. Shares are
** written with `format`. */
void chart_radar(buffer *out, const char *label, const chart_spoke *spokes, size_t count,
                 const char *value_name, const char *reference_name, chart_format format);

/* A stacked bar 160 × 12 of `count` parts, `scale` pixels per unit, each
** part in its colour (a part of 0 draws nothing). */
void chart_stacked_bar(buffer *out, const double *parts, const char *const *colours, size_t count,
                       double scale);

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
