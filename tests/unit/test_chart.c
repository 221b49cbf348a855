/*
 * test_chart.c -- unit tests of engine/output/chart.c, the SVG charts of the
 * report and the what-if sweep: every text is escaped, the same input gives
 * the same bytes, a missing value never prints "nan", a radar needs three
 * spokes, and a line chart draws one polyline and one legend entry per
 * series, named as the caller names it.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include "buffer.h"
#include "chart.h"

/* Whole numbers, as the callers label counts. */
static void format_number(buffer *out, double value)
{
    buffer_printf(out, "%.0f", value);
}

/* Percentages, "—" for NaN, as the report labels shares. */
static void format_share(buffer *out, double value)
{
    if (isnan(value))
        buffer_puts(out, "—");
    else
        buffer_printf(out, "%.0f%%", value * 100);
}

/* Occurrences of `needle` in `text`. */
static int count(const char *text, const char *needle)
{
    int n = 0;
    for (; (text = strstr(text, needle)) != NULL; text++)
        n++;
    return n;
}

static void test_chart_text_escapes_markup(void **state)
{
    buffer out;
    (void)state;
    buffer_init(&out);
    chart_text(&out, "<script>\"a\" & 乙</script>");
    assert_string_equal(buffer_text(&out), "&lt;script&gt;&quot;a&quot; &amp; 乙&lt;/script&gt;");
    buffer_free(&out);
}

static void test_bars_name_each_bar_and_escape_the_names(void **state)
{
    const chart_bar bars[] = {
        {"金<牌>", 3, "#b8860b"}, {"银牌", 0, "#2f6fb0"}, {"待提升", 12, "#999"}};
    buffer out;
    const char *svg;
    (void)state;
    buffer_init(&out);
    chart_bars(&out, "星级分布", bars, 3, "个", format_number);
    svg = buffer_text(&out);
    assert_int_equal(count(svg, "<rect "), 3);
    assert_non_null(strstr(svg, "aria-label=\"星级分布\""));
    assert_non_null(strstr(svg, "<title>金&lt;牌&gt; 3 个</title>"));
    assert_non_null(strstr(svg, ">待提升</text>"));
    assert_null(strstr(svg, "金<牌>"));
    assert_null(strstr(svg, "nan"));
    assert_false(buffer_failed(&out));
    buffer_free(&out);
}

static void test_radar_needs_three_spokes_and_survives_missing_shares(void **state)
{
    const chart_spoke spokes[] = {{"A", 0.5, 0.6}, {"B", NAN, 0.2}, {"C", 1.4, NAN}};
    buffer out;
    const char *svg;
    (void)state;
    buffer_init(&out);
    chart_radar(&out, "雷达", spokes, 2, "本社区", "全市平均", format_share);
    assert_int_equal(out.length, 0); /* two spokes: nothing drawn */
    chart_radar(&out, "雷达", spokes, 3, "本社区", "全市平均", format_share);
    svg = buffer_text(&out);
    assert_non_null(strstr(svg, "<svg "));
    assert_non_null(strstr(svg, ">—</tspan>")); /* B's missing share */
    assert_non_null(strstr(svg, ">本社区</text>"));
    assert_non_null(strstr(svg, ">全市平均</text>"));
    assert_null(strstr(svg, "nan"));
    buffer_free(&out);
}

static void test_lines_draw_one_polyline_and_legend_per_series(void **state)
{
    const double xs[] = {85, 90, 95};
    const double a[] = {2, 2, 1}, b[] = {0, 0, 1}, c[] = {5, 4, 4};
    const chart_series first[] = {{"五星", a}, {"四星", b}};
    const chart_series second[] = {{"cert<ratio>", c}};
    const chart_panel panels[] = {{"各星级社区数", first, 2}, {"达标检查数", second, 1}};
    buffer one, two;
    (void)state;
    buffer_init(&one);
    buffer_init(&two);
    chart_lines(&one, "参数扫描：stars.five", "stars.five", xs, 3, panels, 2);
    chart_lines(&two, "参数扫描：stars.five", "stars.five", xs, 3, panels, 2);
    assert_string_equal(buffer_text(&one), buffer_text(&two));
    assert_int_equal(count(buffer_text(&one), "<polyline "), 3);
    assert_non_null(strstr(buffer_text(&one), ">五星</text>"));
    assert_non_null(strstr(buffer_text(&one), ">cert&lt;ratio&gt;</text>"));
    assert_null(strstr(buffer_text(&one), "<script"));
    buffer_free(&one);
    buffer_free(&two);
}

static void test_stacked_bar_skips_empty_parts(void **state)
{
    static const char *const colours[] = {"#1", "#2", "#3"};
    const double parts[] = {2, 0, 1};
    buffer out;
    (void)state;
    buffer_init(&out);
    chart_stacked_bar(&out, parts, colours, 3, 10);
    assert_int_equal(count(buffer_text(&out), "<rect "), 2);
    assert_non_null(strstr(buffer_text(&out), "x=\"20.0\" y=\"1\" width=\"10.0\""));
    buffer_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chart_text_escapes_markup),
        cmocka_unit_test(test_bars_name_each_bar_and_escape_the_names),
        cmocka_unit_test(test_radar_needs_three_spokes_and_survives_missing_shares),
        cmocka_unit_test(test_lines_draw_one_polyline_and_legend_per_series),
        cmocka_unit_test(test_stacked_bar_skips_empty_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
