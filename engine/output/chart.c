/*
** chart.c — the SVG pieces and line charts of chart.h.
*/
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *const chart_palette[CHART_PALETTE_SIZE] = {
    "#1b7837", "#5aae61", "#a6dba0", "#fdb863", "#b2182b", "#2166ac",
    "#762a83", "#e08214", "#35978f", "#8c510a", "#666666",
};

void chart_text(buffer *out, const char *text)
{
    for (; text != NULL && *text; text++) {
        switch (*text) {
        case '<':
            buffer_puts(out, "&lt;");
            break;
        case '>':
            buffer_puts(out, "&gt;");
            break;
        case '&':
            buffer_puts(out, "&amp;");
            break;
        case '"':
            buffer_puts(out, "&quot;");
            break;
        default:
            buffer_append(out, text, 1);
        }
    }
}

void chart_value_axis(buffer *out, double left, double right, double top, double bottom, int ticks,
                      double max, chart_format format)
{
    int i;
    for (i = 0; i <= ticks; i++) {
        double y = bottom - (bottom - top) * (double)i / ticks;
        buffer_printf(out,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                      left, y, right, y, i ? "#e3e6ea" : "#555", left - 5, y + 4);
        format(out, max * (double)i / ticks);
        buffer_puts(out, "</text>\n");
    }
}

void chart_polyline(buffer *out, const double *xs, const double *ys, size_t count,
                    const char *colour, double width)
{
    size_t i;
    buffer_printf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%g\" points=\"",
                  colour, width);
    for (i = 0; i < count; i++)
        buffer_printf(out, "%s%.1f,%.1f", i ? " " : "", xs[i], ys[i]);
    buffer_puts(out, "\"/>\n");
}

void chart_legend(buffer *out, double x, double y, const char *colour, const char *name)
{
    buffer_printf(out,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\">",
                  x, y - 5, colour, x + 20, y);
    chart_text(out, name);
    buffer_puts(out, "</text>\n");
}

void chart_bars(buffer *out, const char *label, const chart_bar *bars, size_t count,
                const char *unit, chart_format format)
{
    const double width = 380, height = 210, left = 36, right = 10, top = 16, bottom = 32;
    double plot_w = width - left - right, plot_h = height - top - bottom, slot, y_max, max = 1;
    size_t i;
    for (i = 0; i < count; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    y_max = 5 * ceil(max / 5);
    slot = plot_w / (double)(count ? count : 1);
    buffer_printf(out,
                  "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                  "aria-label=\"",
                  width, height, width, height);
    chart_text(out, label);
    buffer_puts(out, "\" font-size=\"11\">\n");
    chart_value_axis(out, left, width - right, top, top + plot_h, 5, y_max, format);
    for (i = 0; i < count; i++) {
        double h = plot_h * bars[i].value / y_max, x = left + slot * (double)i + slot * 0.18;
        buffer_printf(out,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                      "<title>",
                      x, top + plot_h - h, slot * 0.64, h, bars[i].colour);
        chart_text(out, bars[i].name);
        buffer_puts(out, " ");
        format(out, bars[i].value);
        buffer_puts(out, " ");
        chart_text(out, unit);
        buffer_printf(out,
                      "</title></rect>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                      "font-weight=\"700\">",
                      x + slot * 0.32, top + plot_h - h - 4);
        format(out, bars[i].value);
        buffer_printf(out, "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                      x + slot * 0.32, top + plot_h + 16);
        chart_text(out, bars[i].name);
        buffer_puts(out, "</text>\n");
    }
    buffer_puts(out, "</svg>\n");
}

/* A share clamped to 0..1 (NAN: 0), for a radar polygon. */
static double clamp_share(double share)
{
    return isnan(share) || share < 0 ? 0 : share > 1 ? 1 : share;
}

void chart_radar(buffer *out, const char *label, const chart_spoke *spokes, size_t count,
                 const char *value_name, const char *reference_name, chart_format format)
{
    const double width = 330, height = 290, cx = 165, cy = 140, radius = 88;
    size_t k, ring;
    int pass;
    if (count < 3)
        return;
    buffer_printf(out,
                  "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                  "aria-label=\"",
                  width, height, width, height);
    chart_text(out, label);
    buffer_puts(out, "\" font-size=\"12.5\">\n");
    for (ring = 1; ring <= 4; ring++) {
        buffer_puts(out, "<polygon fill=\"none\" stroke=\"#d5dae0\" points=\"");
        for (k = 0; k < count; k++) {
            double angle = -M_PI / 2 + 2 * M_PI * (double)k / (double)count;
            buffer_printf(out, "%s%.1f,%.1f", k ? " " : "",
                          cx + radius * (double)ring / 4 * cos(angle),
                          cy + radius * (double)ring / 4 * sin(angle));
        }
        buffer_puts(out, "\"/>\n");
    }
    for (k = 0; k < count; k++) {
        double angle = -M_PI / 2 + 2 * M_PI * (double)k / (double)count;
        double x = cx + (radius + 14) * cos(angle), y = cy + (radius + 14) * sin(angle);
        const char *anchor = fabs(cos(angle)) < 0.2 ? "middle" : cos(angle) > 0 ? "start" : "end";
        buffer_printf(
            out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d5dae0\"/>\n", cx,
            cy, cx + radius * cos(angle), cy + radius * sin(angle));
        if (sin(angle) < -0.9)
            y -= 12;
        else if (sin(angle) > 0.9)
            y += 4;
        buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
        chart_text(out, spokes[k].name);
        buffer_printf(out, "<tspan x=\"%.1f\" dy=\"15\" font-weight=\"700\" fill=\"#2166ac\">", x);
        format(out, spokes[k].value);
        buffer_puts(out, "</tspan></text>\n");
    }
    buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"8.5\" fill=\"#888\">", cx + 3,
                  cy - radius / 2 - 2);
    format(out, 0.5);
    buffer_puts(out, "</text>\n");
    for (pass = 0; pass < 2; pass++) {
        buffer_puts(out, pass == 0 ? "<polygon fill=\"none\" stroke=\"#e08214\" stroke-width=\"2\" "
                                     "stroke-dasharray=\"5 3\" points=\""
                                   : "<polygon fill=\"rgba(33,102,172,0.22)\" stroke=\"#2166ac\" "
                                     "stroke-width=\"2\" points=\"");
        for (k = 0; k < count; k++) {
            double angle = -M_PI / 2 + 2 * M_PI * (double)k / (double)count;
            double share = clamp_share(pass == 0 ? spokes[k].reference : spokes[k].value);
            buffer_printf(out, "%s%.1f,%.1f", k ? " " : "", cx + radius * share * cos(angle),
                          cy + radius * share * sin(angle));
        }
        buffer_puts(out, "\"/>\n");
    }
    buffer_printf(out,
                  "<rect x=\"10\" y=\"%.0f\" width=\"14\" height=\"10\" "
                  "fill=\"rgba(33,102,172,0.22)\" stroke=\"#2166ac\"/><text x=\"29\" y=\"%.0f\">",
                  height - 16, height - 7);
    chart_text(out, value_name);
    buffer_printf(out,
                  "</text><line x1=\"90\" y1=\"%.0f\" x2=\"110\" y2=\"%.0f\" stroke=\"#e08214\" "
                  "stroke-width=\"2\" stroke-dasharray=\"5 3\"/><text x=\"115\" y=\"%.0f\">",
                  height - 11, height - 11, height - 7);
    chart_text(out, reference_name);
    buffer_puts(out, "</text>\n</svg>\n");
}

void chart_stacked_bar(buffer *out, const double *parts, const char *const *colours, size_t count,
                       double scale)
{
    double x = 0;
    size_t k;
    buffer_puts(out, "<svg viewBox=\"0 0 160 12\" width=\"160\" height=\"12\">");
    for (k = 0; k < count; k++) {
        double w = scale * parts[k];
        if (parts[k] > 0)
            buffer_printf(out,
                          "<rect x=\"%.1f\" y=\"1\" width=\"%.1f\" height=\"10\" fill=\"%s\"/>", x,
                          w, colours[k]);
        x += w;
    }
    buffer_puts(out, "</svg>");
}

/* Whole numbers, for counts. */
static void format_count(buffer *out, double value)
{
    buffer_printf(out, "%.0f", value);
}

void chart_lines(buffer *out, const char *title, const char *x_label, const double *xs,
                 size_t count, const chart_panel *panels, size_t panel_count)
{
    const double width = 900, panel_h = 260, left = 70, right = 220, top = 60, gap = 70;
    double height = top + (double)panel_count * (panel_h + gap) - gap + 50;
    double x0 = count ? xs[0] : 0, x1 = count ? xs[count - 1] : 1;
    double *px = malloc((count + 1) * sizeof *px), *py = malloc((count + 1) * sizeof *py);
    size_t p, k, i;
    if (px == NULL || py == NULL) {
        out->failed = true;
        goto done;
    }
    if (x1 == x0)
        x1 = x0 + 1;
    for (i = 0; i < count; i++)
        px[i] = left + (width - left - right) * (xs[i] - x0) / (x1 - x0);
    buffer_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                  "viewBox=\"0 0 %.0f %.0f\" font-family=\"'Noto Sans CJK SC','Source Han Sans SC',"
                  "'WenQuanYi Micro Hei','Microsoft YaHei',sans-serif\" font-size=\"13\">\n",
                  width, height, width, height);
    buffer_puts(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                     "<text x=\"20\" y=\"28\" font-size=\"17\">");
    chart_text(out, title);
    buffer_puts(out, "</text>\n");
    for (p = 0; p < panel_count; p++) {
        const chart_panel *panel = &panels[p];
        double y_top = top + (double)p * (panel_h + gap), y_bottom = y_top + panel_h, max = 1;
        for (k = 0; k < panel->series_count; k++)
            for (i = 0; i < count; i++)
                if (panel->series[k].y[i] > max)
                    max = panel->series[k].y[i];
        max = 4 * ceil(max / 4); /* whole-number ticks */
        buffer_printf(out, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"14\">", left, y_top - 10);
        chart_text(out, panel->title);
        buffer_printf(out,
                      "</text>\n<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
                      "stroke=\"black\"/>\n",
                      left, y_top, left, y_bottom);
        chart_value_axis(out, left, width - right, y_top, y_bottom, 4, max, format_count);
        for (i = 0; i < count; i++)
            buffer_printf(out, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n",
                          px[i], y_bottom + 18, xs[i]);
        for (k = 0; k < panel->series_count; k++) {
            const char *colour = chart_palette[k % CHART_PALETTE_SIZE];
            for (i = 0; i < count; i++)
                py[i] = y_bottom - panel_h * panel->series[k].y[i] / max;
            chart_polyline(out, px, py, count, colour, 2);
            chart_legend(out, width - right + 15, y_top + 19 + 20 * (double)k, colour,
                         panel->series[k].name);
        }
    }
    buffer_printf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">",
                  (left + width - right) / 2, height - 10);
    chart_text(out, x_label);
    buffer_puts(out, "</text>\n</svg>\n");
done:
    free(px);
    free(py);
}
