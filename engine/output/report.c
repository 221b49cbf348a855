/*
** report.c — the HTML report of report.h.
**
** How it works: report_write() opens the results database read-only inside one
** read transaction, loads what several sections share (the run, what its
** rules say — star grades, targets, ε, the appraisal's floors — categories,
** communities with their totals and category subtotals) into a `document`,
** then writes the sections one after the other; sections that are plain
** listings stream their rows straight from SQL into the page. Every query
** has an ORDER BY, numbers are printed with fixed decimals, and nothing
** reads the clock, so the output is a pure function of the file.
**
** No policy here: every name, threshold and requirement comes from the
** run's tables (run_rules, run_star_grades, run_targets, run_target_rules,
** run_categories; results_schema.c). A run written before those tables
** existed is reported with what it has, and the header says what is
** missing. Charts are drawn by chart.c.
*/
#include "report.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chart.h"
#include "params.h"
#include "results_schema.h"
#include "text.h"

/* How long a reader waits for a writer's transaction, in milliseconds. */
#define BUSY_TIMEOUT_MS 10000

/* Near-threshold margins of street targets: a ratio, and a count. */
#define RATIO_MARGIN 0.05
#define COUNT_MARGIN 1.0

/* One category of the indicator system (run_categories). */
typedef struct report_category {
    char *id;          /* 'A' … 'F' */
    char *name;        /* 队伍精良 … */
    double max_points; /* the category's points */
    double average;    /* region average share of max_points, 0..1; NAN when unknown */
} report_category;

/* One community of the run (run_communities + community_scores). */
typedef struct report_community {
    char *id;        /* communities.id */
    char *name;      /* 新华社区 */
    char *district;  /* 海港区 */
    char *street;    /* 港湾街道 */
    char *street_id; /* district/street, the scope_id of street target checks */
    double total;    /* NAN when the run has no score for it */
    int stars;       /* 0, 2..5 */
    int rank;        /* 1 = best; 0 when not scored */
    double *points;  /* category_count subtotals, NAN when absent */
} report_community;

/* One target of the run (run_targets and run_target_rules, or only seen in
** target_checks), in the rules' order. */
typedef struct report_target {
    char *id;               /* as the rules name it */
    char *name;             /* its label in the rules (the id when unnamed) */
    bool count;             /* measured in a count (人) rather than a ratio */
    char *unit;             /* 人, or NULL */
    char *scopes;           /* "region,district,...", or NULL when not recorded */
    char *required_kind;    /* "number", "param", "schedule", or NULL */
    char *required_param;   /* the parameter of the requirement, or NULL */
    double required;        /* the widest scope's requirement; NAN when never checked */
    schedule_point *points; /* a schedule's points by year (from runs.params) */
    size_t point_count;
} report_target;

/* One star grade of the run (run_star_grades), best first. */
typedef struct report_grade {
    int stars;        /* community_scores.stars of the grade */
    char *name;       /* its label in the rules */
    double threshold; /* the lowest total of the grade; NAN when not recorded */
    char *conditions; /* its other conditions as text, or NULL */
} report_grade;

/* Everything the sections share. */
typedef struct document {
    sqlite3 *db;        /* the results database, read-only */
    const char *path;   /* its path, for messages */
    long long run_id;   /* the run reported */
    double margin;      /* near-threshold margin in points */
    bool out_of_memory; /* a copy failed while loading */
    /* the runs row */
    char *started_at, *finished_at, *engine_version, *snapshot_sha256, *rules_sha256;
    char *as_of, *region, *kind, *scenario, *snapshot_path;
    long long baseline_run_id; /* 0 when none */
    int year;                  /* the assessment year (of as_of), 0 when unknown */
    /* what the rules of the run say (run_rules, run_star_grades) */
    bool rules_recorded;   /* false: an older kaohe wrote the run without them */
    char *system_name;     /* the indicator system, or NULL */
    double total;          /* points of the system */
    double epsilon;        /* comparison tolerance of the run (0 when not recorded) */
    char *unrated;         /* the name of "below every grade" */
    char *appraisal_scope; /* workers are ranked within it, or NULL */
    double bottom_ratio;   /* NAN when not recorded */
    char *floors;          /* "score 60 分、..." (from the JSON of run_rules), or NULL */
    char **labels;         /* kind, code, text, kind, code, text... (run_labels) */
    size_t label_count;    /* triples */
    report_grade *grades;  /* best first */
    size_t grade_count;
    size_t indicator_count;      /* of the run */
    report_category *categories; /* by id */
    size_t category_count;
    report_community *communities; /* by id (BINARY collation, as strcmp) */
    size_t community_count;
    const report_community **ranked; /* the communities by rank, then id */
    report_target *targets;          /* in the rules' order (by id when not recorded) */
    size_t target_count;
} document;

/* Colours of the star grades, best first; the last for "below every
** grade" (and grades past the fifth). */
static const char *const grade_colours[] = {"#b8860b", "#2f6fb0", "#3f9a5a",
                                            "#e08a2e", "#c77",    "#9aa0a6"};
#define GRADE_COLOURS 6

/* Colours of series in charts (districts). */
static const char *const palette[] = {"#2166ac", "#d6604d", "#1b7837", "#8073ac",
                                      "#e08214", "#35978f", "#c51b7d", "#7f6a3b"};
#define PALETTE_SIZE 8

/* The tables a kaohe results database holds (contract and engine's own);
** the tables of the run's rules (run_rules...) came later and may be
** absent: see load_rules. */
static const char *const required_tables[] = {
    "runs",           "community_scores", "indicator_scores", "target_checks",  "worker_appraisals",
    "task_decisions", "category_scores",  "run_communities",  "run_indicators", "run_categories",
    "run_targets",    "department_stats",
};

/* The style sheet: screen shows A4-like sheets, print gives A4 pages. */
static const char style_sheet[] =
    "@page{size:A4;margin:12mm 11mm 13mm}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0;background:#e9ecf0;color:#1c1f23;line-height:1.45;font-size:10pt;"
    "font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\","
    "\"Microsoft YaHei\",\"PingFang SC\",sans-serif}\n"
    ".sheet{background:#fff;width:210mm;margin:6mm auto;padding:10mm 11mm;"
    "box-shadow:0 1px 4px rgba(0,0,0,.18)}\n"
    "h1{font-size:17pt;margin:0 0 1mm;font-weight:700}\n"
    "h2{font-size:12.5pt;margin:6mm 0 2.5mm;padding-bottom:1mm;border-bottom:2px solid #2166ac;"
    "break-after:avoid;page-break-after:avoid}\n"
    "h3{font-size:10.5pt;margin:4mm 0 1.5mm;break-after:avoid;page-break-after:avoid}\n"
    "p{margin:1mm 0 2mm}\n"
    ".sub{color:#555;margin:0 0 3mm}\n"
    ".muted{color:#666}\n"
    ".note{color:#555;font-size:8.5pt}\n"
    ".bad{color:#b2182b}\n"
    ".good{color:#1b7837}\n"
    ".warn{color:#b35806}\n"
    "table{border-collapse:collapse;width:100%;font-size:8.6pt;margin:1.5mm 0 3mm}\n"
    "th,td{border:1px solid #d3d8de;padding:.8mm 1.4mm;text-align:left;vertical-align:middle}\n"
    "th{background:#eef3f9;font-weight:600}\n"
    "th.n,td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.c,th.c{text-align:center;white-space:nowrap}\n"
    "tr{break-inside:avoid;page-break-inside:avoid}\n"
    "thead{display:table-header-group}\n"
    "tfoot td{font-weight:600;background:#f6f7f9}\n"
    "tr.lost td{background:#fff3f0}\n"
    "table.ranking td{white-space:nowrap}\n"
    "table.ranking th,table.ranking td{padding:.6mm 1.1mm}\n"
    "td.total{font-weight:700}\n"
    ".s5{color:#8a6508;font-weight:700}.s4{color:#2f6fb0}.s3{color:#2f7d47}.s2{color:#b96a1a}"
    ".s0,.s1{color:#80868b}\n"
    "code{font-family:\"DejaVu Sans Mono\",monospace;font-size:8pt}\n"
    "dl.meta{display:grid;grid-template-columns:30mm 1fr;gap:.6mm 3mm;margin:0 0 2mm;"
    "font-size:9pt}\n"
    "dl.meta dt{color:#555}dl.meta dd{margin:0}\n"
    ".kpis{display:flex;gap:3mm;margin:2mm 0 3mm}\n"
    ".kpi{flex:1;border:1px solid #d3d8de;border-radius:1.5mm;padding:1.5mm 3mm;"
    "background:#f8fafc}\n"
    ".kpi span{display:block;color:#555;font-size:8.5pt}\n"
    ".kpi b{display:block;font-size:15pt;line-height:1.25}\n"
    ".row{display:flex;gap:5mm;align-items:flex-start}\n"
    ".row>*{flex:1 1 0;min-width:0}\n"
    "figure{margin:1mm 0 2mm;break-inside:avoid;page-break-inside:avoid}\n"
    "figcaption{font-size:8.5pt;color:#555}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "ul.compact{margin:1mm 0 2mm;padding-left:5mm;font-size:8.6pt}\n"
    ".chips{font-size:8.4pt;line-height:1.7}\n"
    ".chips span{display:inline-block;border:1px solid #e3c3bd;background:#fff6f4;"
    "border-radius:1mm;padding:0 1.2mm;margin:0 1mm .8mm 0;white-space:nowrap}\n"
    ".page{break-before:page;page-break-before:always}\n"
    ".card{page-break-after:always;break-after:page}\n"
    ".card:last-child{page-break-after:auto;break-after:auto}\n"
    ".card h1{font-size:16pt}\n"
    ".card table{font-size:8pt}\n"
    ".card th,.card td{padding:.3mm 1.3mm}\n"
    ".card .kpi b{font-size:13pt}\n"
    ".card .kpis{margin:1.5mm 0 2mm}\n"
    ".card .kpi{padding:1mm 3mm}\n"
    ".card h2{margin:3mm 0 1.5mm}\n"
    ".card td,.card th{line-height:1.2}\n"
    ".card .row{gap:4mm}\n"
    ".card .row>figure.radar{flex:0 0 38%;margin:0}\n"
    ".card .row table{margin:0 0 1.5mm}\n"
    ".card p.workers{font-size:8.4pt;margin:0}\n"
    "@media screen{.page{margin-top:6mm}}\n"
    "@media print{body{background:#fff;font-size:9.5pt}"
    ".sheet{width:auto;margin:0;padding:0;box-shadow:none}"
    ".page{margin-top:0}}\n";

/* --- text and numbers ------------------------------------------------------ */

/* Appends `text` HTML-escaped (& < > " '), so it is safe in element content
** and in quoted attributes; invalid UTF-8 becomes U+FFFD and control
** characters a space, so the page stays well-formed. NULL appends nothing. */
static void put_text(buffer *out, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    if (text == NULL)
        return;
    while (*p != '\0') {
        unsigned char c = *p;
        size_t length, bad, i;
        if (c < 0x80) {
            if (c == '&')
                buffer_puts(out, "&amp;");
            else if (c == '<')
                buffer_puts(out, "&lt;");
            else if (c == '>')
                buffer_puts(out, "&gt;");
            else if (c == '"')
                buffer_puts(out, "&quot;");
            else if (c == '\'')
                buffer_puts(out, "&#39;");
            else if (c < 0x20 && c != '\n' && c != '\t')
                buffer_puts(out, " ");
            else
                buffer_append(out, (const char *)p, 1);
            p++;
            continue;
        }
        length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        for (i = 1; i < length; i++)
            if (p[i] == '\0')
                break;
        if (length == 1 || i < length || !text_utf8_valid((const char *)p, length, &bad)) {
            buffer_puts(out, "\xef\xbf\xbd"); /* U+FFFD */
            p++;
            continue;
        }
        buffer_append(out, (const char *)p, length);
        p += length;
    }
}

/* Formats `x` with `decimals` decimals into text[size] and returns text;
** "—" for NaN, never "-0.00". Halves round away from zero (四舍五入) as
** SQLite's printf and round() do, not to even as the C library does with
** an exactly representable 72.125: the value is first nudged by 1e-13 of
** itself, far below any displayed digit but above the error of a sum. */
static const char *fmt_fixed(char *text, size_t size, double x, int decimals)
{
    if (isnan(x) || isinf(x)) {
        snprintf(text, size, "—");
        return text;
    }
    x += x * 1e-13;
    snprintf(text, size, "%.*f", decimals, x);
    if (text[0] == '-' && strspn(text + 1, "0.") == strlen(text + 1))
        memmove(text, text + 1, strlen(text));
    return text;
}

/* Like fmt_fixed, trailing zeros (and a trailing point) dropped: 90, 0.35. */
static const char *fmt_trim(char *text, size_t size, double x, int decimals)
{
    char *point;
    fmt_fixed(text, size, x, decimals);
    point = strchr(text, '.');
    if (point != NULL) {
        char *end = text + strlen(text) - 1;
        while (end > point && *end == '0')
            *end-- = '\0';
        if (end == point)
            *end = '\0';
    }
    return text;
}

/* A ratio as a percentage with `decimals` decimals ("54.9%"), "—" for NaN. */
static const char *fmt_percent(char *text, size_t size, double ratio, int decimals)
{
    size_t length;
    fmt_fixed(text, size, ratio * 100, decimals);
    length = strlen(text);
    if (!isnan(ratio) && length + 1 < size) {
        text[length] = '%';
        text[length + 1] = '\0';
    }
    return text;
}

/* Signed difference with `decimals` decimals: "+0.42", "−0.31", "0.00". */
static const char *fmt_signed(char *text, size_t size, double x, int decimals)
{
    char digits[48];
    fmt_fixed(digits, sizeof digits, fabs(x), decimals);
    if (isnan(x) || strspn(digits, "0.") == strlen(digits))
        snprintf(text, size, "%s", digits);
    else
        snprintf(text, size, "%s%s", x < 0 ? "−" : "+", digits);
    return text;
}

#define FIXED(b, x, d)   fmt_fixed(b, sizeof b, x, d)
#define TRIM(b, x, d)    fmt_trim(b, sizeof b, x, d)
#define PERCENT(b, x, d) fmt_percent(b, sizeof b, x, d)
#define SIGNED(b, x, d)  fmt_signed(b, sizeof b, x, d)

/* A target's value: a ratio as a percentage, a count with its unit. */
static void put_measure(buffer *out, const report_target *t, double x)
{
    char text[64];
    if (t == NULL || !t->count) {
        buffer_puts(out, PERCENT(text, x, 1));
        return;
    }
    buffer_puts(out, TRIM(text, x, 2));
    if (!isnan(x) && t->unit != NULL && t->unit[0] != '\0') {
        buffer_puts(out, " ");
        put_text(out, t->unit);
    }
}

/* The rules' name of star grade `stars`: a grade of the run, or the name of
** "below every grade" for 0. */
static const char *grade_name(const document *d, int stars)
{
    size_t g;
    for (g = 0; g < d->grade_count; g++)
        if (d->grades[g].stars == stars)
            return d->grades[g].name;
    return stars == 0 && d->unrated != NULL ? d->unrated : "★"; /* a grade the run did not name */
}

/* Place of `stars` among the grades, best first; grade_count for a
** community below every grade. */
static size_t grade_slot(const document *d, int stars)
{
    size_t g;
    for (g = 0; g < d->grade_count && d->grades[g].stars != stars;)
        g++;
    return g;
}

/* Colour of grade slot `g`. */
static const char *grade_colour(const document *d, size_t g)
{
    return g < d->grade_count && g < GRADE_COLOURS - 1 ? grade_colours[g]
                                                       : grade_colours[GRADE_COLOURS - 1];
}

/* Name of a community's star grade, or "—" for an unscored community. */
static const char *stars_name(const document *d, const report_community *c)
{
    return isnan(c->total) ? "—" : grade_name(d, c->stars);
}

/* What the rules of the run call `code` of `kind` (run_labels); the code
** itself when the run recorded no label for it (an older kaohe's file). */
static const char *label(const document *d, const char *kind, const char *code)
{
    size_t i;
    for (i = 0; i < d->label_count; i++)
        if (strcmp(d->labels[3 * i], kind) == 0 && strcmp(d->labels[3 * i + 1], code) == 0)
            return d->labels[3 * i + 2];
    return code;
}

static const char *scope_name(const document *d, const char *scope)
{
    return label(d, "scope", scope);
}

static const char *status_name(const document *d, const char *status)
{
    return label(d, "status", status);
}

static const char *flag_name(const document *d, const char *flag)
{
    return label(d, "flag", flag);
}

/* Appends a star-grade cell: <td class="c s5">五星</td>. */
static void put_stars_cell(const document *d, buffer *out, const report_community *c)
{
    buffer_printf(out, "<td class=\"c s%d\">", isnan(c->total) ? 0 : c->stars);
    put_text(out, stars_name(d, c));
    buffer_puts(out, "</td>");
}

/* Appends "<span title="FULL"><code>FIRST12…</code></span>" for a hash. */
static void put_hash(buffer *out, const char *hash)
{
    char shortened[16];
    if (hash == NULL || hash[0] == '\0') {
        buffer_puts(out, "—");
        return;
    }
    snprintf(shortened, sizeof shortened, "%.12s", hash);
    buffer_puts(out, "<span title=\"");
    put_text(out, hash);
    buffer_puts(out, "\"><code>");
    put_text(out, shortened);
    buffer_puts(out, strlen(hash) > 12 ? "…</code></span>" : "</code></span>");
}

/* --- reading the database -------------------------------------------------- */

/* Fills `e` for a failed read of `table` and returns the status: a file
** that is not a database is the user's input, I/O and memory the machine's. */
static int read_failure(const document *d, const char *table, error *e)
{
    int rc = sqlite3_extended_errcode(d->db) & 0xff;
    if (rc == SQLITE_NOTADB)
        return error_set(e, ERROR_INPUT, "%s: not an SQLite database, so not a results database",
                         d->path);
    if (rc == SQLITE_CORRUPT)
        return error_set(e, ERROR_INPUT, "%s: damaged results database (reading table %s: %s)",
                         d->path, table, sqlite3_errmsg(d->db));
    if (rc == SQLITE_NOMEM || rc == SQLITE_IOERR)
        return error_set(e, ERROR_SYSTEM, "%s: cannot read table %s: %s", d->path, table,
                         sqlite3_errmsg(d->db));
    return error_set(e, ERROR_INPUT, "%s: cannot read table %s: %s", d->path, table,
                     sqlite3_errmsg(d->db));
}

/* Prepares `sql` (reading `table`) into *statement and binds ?1 to the run
** id when the statement has parameters. Returns the status; the caller
** finalizes *statement in every case. */
static int prepare(const document *d, const char *sql, const char *table, sqlite3_stmt **statement,
                   error *e)
{
    *statement = NULL;
    if (sqlite3_prepare_v2(d->db, sql, -1, statement, NULL) != SQLITE_OK)
        return read_failure(d, table, e);
    if (sqlite3_bind_parameter_count(*statement) >= 1 &&
        sqlite3_bind_int64(*statement, 1, d->run_id) != SQLITE_OK)
        return read_failure(d, table, e);
    return ERROR_OK;
}

/* Binds text to parameter `slot`; returns the status. */
static int bind_text(const document *d, sqlite3_stmt *statement, int slot, const char *text,
                     const char *table, error *e)
{
    if (sqlite3_bind_text(statement, slot, text, -1, SQLITE_STATIC) != SQLITE_OK)
        return read_failure(d, table, e);
    return ERROR_OK;
}

/* Steps `statement`: sets *row to whether a row came. Returns the status. */
static int next_row(const document *d, sqlite3_stmt *statement, const char *table, bool *row,
                    error *e)
{
    int rc = sqlite3_step(statement);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return ERROR_OK;
    return read_failure(d, table, e);
}

/* A malloc'd copy of a text column, NULL when the column is NULL (or when
** out of memory, which is remembered in the document). The caller frees. */
static char *column_copy(document *d, sqlite3_stmt *statement, int column)
{
    const unsigned char *text;
    char *copy;
    if (sqlite3_column_type(statement, column) == SQLITE_NULL)
        return NULL;
    text = sqlite3_column_text(statement, column);
    copy = text != NULL ? strdup((const char *)text) : NULL;
    if (copy == NULL)
        d->out_of_memory = true;
    return copy;
}

/* Like column_copy, with "" for NULL. */
static char *column_copy_or_empty(document *d, sqlite3_stmt *statement, int column)
{
    char *copy = column_copy(d, statement, column);
    if (copy == NULL && !d->out_of_memory) {
        copy = strdup("");
        if (copy == NULL)
            d->out_of_memory = true;
    }
    return copy;
}

/* A real column, NAN when NULL. */
static double column_real(sqlite3_stmt *statement, int column)
{
    return sqlite3_column_type(statement, column) == SQLITE_NULL
               ? NAN
               : sqlite3_column_double(statement, column);
}

/* Frees everything the document owns and closes the database. */
static void document_free(document *d)
{
    size_t i;
    free(d->started_at);
    free(d->finished_at);
    free(d->engine_version);
    free(d->snapshot_sha256);
    free(d->rules_sha256);
    free(d->as_of);
    free(d->region);
    free(d->kind);
    free(d->scenario);
    free(d->snapshot_path);
    free(d->system_name);
    free(d->unrated);
    free(d->appraisal_scope);
    free(d->floors);
    for (i = 0; i < 3 * d->label_count; i++)
        free(d->labels[i]);
    free(d->labels);
    for (i = 0; i < d->grade_count; i++) {
        free(d->grades[i].name);
        free(d->grades[i].conditions);
    }
    free(d->grades);
    for (i = 0; i < d->category_count; i++) {
        free(d->categories[i].id);
        free(d->categories[i].name);
    }
    free(d->categories);
    for (i = 0; i < d->community_count; i++) {
        report_community *c = &d->communities[i];
        free(c->id);
        free(c->name);
        free(c->district);
        free(c->street);
        free(c->street_id);
        free(c->points);
    }
    free(d->communities);
    free(d->ranked);
    for (i = 0; i < d->target_count; i++) {
        free(d->targets[i].id);
        free(d->targets[i].name);
        free(d->targets[i].unit);
        free(d->targets[i].scopes);
        free(d->targets[i].required_kind);
        free(d->targets[i].required_param);
        free(d->targets[i].points);
    }
    free(d->targets);
    if (d->db != NULL) {
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL); /* ends the read transaction */
        sqlite3_close(d->db);
    }
    memset(d, 0, sizeof *d);
}

/* Opens the results database read-only, starts a read transaction (one
** consistent view while another process appends) and checks that it holds
** every table of a kaohe results database. Returns the status. */
static int open_results(document *d, error *e)
{
    struct stat st;
    sqlite3_stmt *statement = NULL;
    size_t i;
    int rc, status = ERROR_OK;
    if (stat(d->path, &st) != 0 && errno == ENOENT)
        return error_set(e, ERROR_INPUT, "%s: no such results database", d->path);
    if (stat(d->path, &st) != 0)
        return error_set(e, error_errno_status(errno, ERROR_INPUT), "%s: %s", d->path,
                         error_errno_text(errno));
    if (!S_ISREG(st.st_mode))
        return error_set(e, ERROR_INPUT, "%s: not a regular file, so not a results database",
                         d->path);
    rc = sqlite3_open_v2(d->path, &d->db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK)
        return error_set(e, rc == SQLITE_NOMEM ? ERROR_SYSTEM : ERROR_INPUT,
                         "%s: cannot open the results database: %s", d->path,
                         d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(d->db, 1);
    sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
    /* What the file holds must not act when it is read (results_schema.h). */
    status = results_schema_configure(d->db, e);
    if (status != ERROR_OK)
        return status;
    if (sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return read_failure(d, "runs", e);
    status = prepare(d, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?2",
                     "sqlite_schema", &statement, e);
    for (i = 0; status == ERROR_OK && i < sizeof required_tables / sizeof required_tables[0]; i++) {
        bool row;
        sqlite3_reset(statement);
        status = bind_text(d, statement, 2, required_tables[i], "sqlite_schema", e);
        if (status == ERROR_OK)
            status = next_row(d, statement, "sqlite_schema", &row, e);
        if (status == ERROR_OK && !row)
            status = error_set(e, ERROR_INPUT, "%s: not a kaohe results database (no table %s)%s",
                               d->path, required_tables[i],
                               i < 6 ? "" : "; it may come from an older kaohe: run eval again");
    }
    sqlite3_finalize(statement);
    return status;
}

/* Chooses the run: options->run_id, or the latest run of kind 'eval' (the
** latest of any kind when there is none). Returns the status. */
static int choose_run(document *d, long long wanted, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row;
    int status;
    if (wanted > 0) {
        status = prepare(d,
                         "SELECT count(*), min(run_id), max(run_id), "
                         "sum(run_id = ?1) FROM runs",
                         "runs", &statement, e);
        if (status == ERROR_OK)
            sqlite3_bind_int64(statement, 1, wanted);
        if (status == ERROR_OK)
            status = next_row(d, statement, "runs", &row, e);
        if (status == ERROR_OK && sqlite3_column_int64(statement, 3) == 0) {
            if (sqlite3_column_int64(statement, 0) == 0)
                status = error_set(e, ERROR_INPUT, "%s: no run %lld (the file holds no run)",
                                   d->path, wanted);
            else if (sqlite3_column_int64(statement, 0) == 1)
                status = error_set(e, ERROR_INPUT, "%s: no run %lld (the file holds run %lld only)",
                                   d->path, wanted, (long long)sqlite3_column_int64(statement, 1));
            else
                status = error_set(e, ERROR_INPUT,
                                   "%s: no run %lld (the file holds %lld runs, ids %lld to %lld)",
                                   d->path, wanted, (long long)sqlite3_column_int64(statement, 0),
                                   (long long)sqlite3_column_int64(statement, 1),
                                   (long long)sqlite3_column_int64(statement, 2));
        }
        if (status == ERROR_OK)
            d->run_id = wanted;
    } else {
        status = prepare(d,
                         "SELECT run_id FROM runs ORDER BY coalesce(kind = 'eval', 0) DESC, "
                         "run_id DESC LIMIT 1",
                         "runs", &statement, e);
        if (status == ERROR_OK)
            status = next_row(d, statement, "runs", &row, e);
        if (status == ERROR_OK && !row)
            status =
                error_set(e, ERROR_INPUT, "%s: no run in the results database (run eval)", d->path);
        if (status == ERROR_OK)
            d->run_id = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
    return status;
}

/* Loads the runs row. Returns the status. */
static int load_run(document *d, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row;
    int status;
    status = prepare(d,
                     "SELECT started_at, finished_at, engine_version, snapshot_sha256, "
                     "rules_sha256, as_of, region, kind, scenario, snapshot_path, "
                     "baseline_run_id, json_valid(params), "
                     "(SELECT count(*) FROM run_indicators WHERE run_id = ?1) "
                     "FROM runs WHERE run_id = ?1",
                     "runs", &statement, e);
    if (status == ERROR_OK)
        status = next_row(d, statement, "runs", &row, e);
    if (status != ERROR_OK)
        goto done;
    d->started_at = column_copy_or_empty(d, statement, 0);
    d->finished_at = column_copy_or_empty(d, statement, 1);
    d->engine_version = column_copy_or_empty(d, statement, 2);
    d->snapshot_sha256 = column_copy_or_empty(d, statement, 3);
    d->rules_sha256 = column_copy_or_empty(d, statement, 4);
    d->as_of = column_copy_or_empty(d, statement, 5);
    d->region = column_copy(d, statement, 6);
    d->kind = column_copy(d, statement, 7);
    d->scenario = column_copy(d, statement, 8);
    d->snapshot_path = column_copy(d, statement, 9);
    d->baseline_run_id = sqlite3_column_int64(statement, 10);
    d->indicator_count = (size_t)sqlite3_column_int64(statement, 12);
    if (sqlite3_column_int(statement, 11) == 0) {
        status = error_set(e, ERROR_INPUT, "%s: runs.params of run %lld is not valid JSON", d->path,
                           d->run_id);
        goto done;
    }
    if (d->as_of != NULL && strlen(d->as_of) >= 4)
        d->year = atoi(d->as_of);
done:
    sqlite3_finalize(statement);
    return status;
}

/* Whether the file has table `name` (the run's rules came in later
** versions of kaohe). Returns the status. */
static int has_table(const document *d, const char *name, bool *found, error *e)
{
    sqlite3_stmt *statement = NULL;
    int status = prepare(d, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?2",
                         "sqlite_schema", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, name, "sqlite_schema", e);
    if (status == ERROR_OK)
        status = next_row(d, statement, "sqlite_schema", found, e);
    sqlite3_finalize(statement);
    return status;
}

/* Appends a grade to the document, which takes `name` and `conditions`;
** false when out of memory. */
static bool add_grade(document *d, int stars, char *name, double threshold, char *conditions)
{
    report_grade *more =
        name != NULL ? realloc(d->grades, (d->grade_count + 1) * sizeof *more) : NULL;
    if (more == NULL) {
        free(name);
        free(conditions);
        return false;
    }
    d->grades = more;
    d->grades[d->grade_count++] = (report_grade){stars, name, threshold, conditions};
    return true;
}

/* Loads what the rules of the run say: run_rules and run_star_grades. A
** run written by an older kaohe has neither: its grades are the star
** counts the run gave (named by a mark, with no threshold), ε is 0, and the
** header says what is missing. Returns the status. */
static int load_rules(document *d, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row, found = false;
    int status = has_table(d, "run_rules", &found, e);
    if (status == ERROR_OK && found) {
        status = prepare(d,
                         "SELECT system_name, total, epsilon, unrated, appraisal_scope, "
                         "bottom_ratio, (SELECT group_concat(j.key || ' ' || j.value || ' 分', "
                         "'、') FROM json_each(CASE WHEN json_valid(floors) THEN floors END) j) "
                         "FROM run_rules WHERE run_id = ?1",
                         "run_rules", &statement, e);
        if (status == ERROR_OK)
            status = next_row(d, statement, "run_rules", &row, e);
        if (status == ERROR_OK && row) {
            d->rules_recorded = true;
            d->system_name = column_copy(d, statement, 0);
            d->total = sqlite3_column_double(statement, 1);
            d->epsilon = sqlite3_column_double(statement, 2);
            d->unrated = column_copy_or_empty(d, statement, 3);
            d->appraisal_scope = column_copy(d, statement, 4);
            d->bottom_ratio = column_real(statement, 5);
            d->floors = column_copy(d, statement, 6);
        }
        sqlite3_finalize(statement);
        statement = NULL;
    }
    if (status != ERROR_OK)
        goto done;
    if (d->rules_recorded)
        status = prepare(d,
                         "SELECT stars, name, threshold, conditions FROM run_star_grades "
                         "WHERE run_id = ?1 ORDER BY position, stars DESC",
                         "run_star_grades", &statement, e);
    else
        status = prepare(d,
                         "SELECT DISTINCT stars, NULL, NULL, NULL FROM community_scores "
                         "WHERE run_id = ?1 AND stars <> 0 ORDER BY stars DESC",
                         "community_scores", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "run_star_grades", &row, e)) == ERROR_OK && row) {
        int stars = sqlite3_column_int(statement, 0);
        char *name = NULL;
        if (d->rules_recorded) {
            name = column_copy_or_empty(d, statement, 1);
        } else {
            char mark[64];
            snprintf(mark, sizeof mark, "%d★", stars); /* no name recorded: the count */
            name = strdup(mark);
        }
        if (!add_grade(d, stars, name, column_real(statement, 2), column_copy(d, statement, 3)))
            status = error_set(e, ERROR_SYSTEM, "out of memory");
    }
    if (status == ERROR_OK && !d->rules_recorded) {
        d->total = NAN;
        d->bottom_ratio = NAN;
        d->unrated = strdup("0★");
        if (d->unrated == NULL)
            status = error_set(e, ERROR_SYSTEM, "out of memory");
    }
done:
    sqlite3_finalize(statement);
    return status;
}

/* Loads run_labels (none in a file of an older kaohe). */
static int load_labels(document *d, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row, found = false;
    int status = has_table(d, "run_labels", &found, e);
    if (status != ERROR_OK || !found)
        return status;
    status =
        prepare(d, "SELECT kind, code, text FROM run_labels WHERE run_id = ?1 ORDER BY kind, code",
                "run_labels", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "run_labels", &row, e)) == ERROR_OK && row) {
        char **more = realloc(d->labels, 3 * (d->label_count + 1) * sizeof *more);
        int k;
        if (more == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            break;
        }
        d->labels = more;
        for (k = 0; k < 3; k++)
            d->labels[3 * d->label_count + (size_t)k] = column_copy_or_empty(d, statement, k);
        d->label_count++;
        for (k = 0; k < 3; k++)
            if (d->labels[3 * (d->label_count - 1) + (size_t)k] == NULL)
                status = error_set(e, ERROR_SYSTEM, "out of memory");
    }
    sqlite3_finalize(statement);
    return status;
}

/* The value of schedule target `t`'s requirement at `year`, as
** rules_ref_value gives it (params.c, the one interpolation). */
static double required_at(const report_target *t, double year)
{
    return t->point_count == 0 ? NAN : params_schedule_interpolate(t->points, t->point_count, year);
}

/* Index of category `id`, or -1. */
static int category_index(const document *d, const char *id)
{
    size_t i;
    for (i = 0; i < d->category_count; i++)
        if (strcmp(d->categories[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* bsearch comparison of an id with a community. */
static int compare_id(const void *key, const void *element)
{
    return strcmp((const char *)key, ((const report_community *)element)->id);
}

/* The community with `id`, or NULL. */
static report_community *find_community(const document *d, const char *id)
{
    if (d->community_count == 0 || id == NULL)
        return NULL;
    return bsearch(id, d->communities, d->community_count, sizeof *d->communities, compare_id);
}

/* qsort comparison of community pointers: by rank (unscored last), then id. */
static int compare_rank(const void *a, const void *b)
{
    const report_community *x = *(const report_community *const *)a;
    const report_community *y = *(const report_community *const *)b;
    int rx = x->rank > 0 ? x->rank : 1 << 30, ry = y->rank > 0 ? y->rank : 1 << 30;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Loads categories, communities with totals and category subtotals, the
** ranking order and the region averages. Returns the status. */
static int load_communities(document *d, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row;
    size_t i, k, capacity = 0;
    double *sums = NULL;
    size_t *counts = NULL;
    int status;
    status = prepare(d,
                     "SELECT category_id, name, max_points FROM run_categories "
                     "WHERE run_id = ?1 ORDER BY category_id",
                     "run_categories", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "run_categories", &row, e)) == ERROR_OK && row) {
        report_category *more = realloc(d->categories, (d->category_count + 1) * sizeof *more);
        if (more == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        d->categories = more;
        more = &d->categories[d->category_count++];
        more->id = column_copy_or_empty(d, statement, 0);
        more->name = column_copy_or_empty(d, statement, 1);
        more->max_points = sqlite3_column_double(statement, 2);
        more->average = NAN;
    }
    if (status != ERROR_OK)
        goto done;
    sqlite3_finalize(statement);
    status = prepare(d,
                     "SELECT c.community_id, c.name, c.district, c.street, s.total, s.stars, "
                     "s.rank FROM run_communities c LEFT JOIN community_scores s "
                     "ON s.run_id = c.run_id AND s.community_id = c.community_id "
                     "WHERE c.run_id = ?1 ORDER BY c.community_id",
                     "run_communities", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "run_communities", &row, e)) == ERROR_OK && row) {
        report_community *c;
        size_t length;
        if (d->community_count == capacity) {
            size_t grown = capacity ? 2 * capacity : 64;
            report_community *more = realloc(d->communities, grown * sizeof *more);
            if (more == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                goto done;
            }
            d->communities = more;
            capacity = grown;
        }
        c = &d->communities[d->community_count++];
        memset(c, 0, sizeof *c);
        c->id = column_copy_or_empty(d, statement, 0);
        c->name = column_copy_or_empty(d, statement, 1);
        c->district = column_copy_or_empty(d, statement, 2);
        c->street = column_copy_or_empty(d, statement, 3);
        c->total = column_real(statement, 4);
        c->stars = sqlite3_column_int(statement, 5);
        c->rank = sqlite3_column_int(statement, 6);
        c->points = malloc((d->category_count + 1) * sizeof *c->points);
        if (c->district != NULL && c->street != NULL) {
            length = strlen(c->district) + strlen(c->street) + 2;
            c->street_id = malloc(length);
            if (c->street_id != NULL)
                snprintf(c->street_id, length, "%s/%s", c->district, c->street);
        }
        if (c->points == NULL || c->street_id == NULL || d->out_of_memory) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            goto done;
        }
        for (k = 0; k < d->category_count; k++)
            c->points[k] = NAN;
    }
    if (status != ERROR_OK)
        goto done;
    sqlite3_finalize(statement);
    status = prepare(d,
                     "SELECT community_id, category_id, points FROM category_scores "
                     "WHERE run_id = ?1 ORDER BY community_id, category_id",
                     "category_scores", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "category_scores", &row, e)) == ERROR_OK && row) {
        report_community *c = find_community(d, (const char *)sqlite3_column_text(statement, 0));
        const unsigned char *id = sqlite3_column_text(statement, 1);
        int index = id != NULL ? category_index(d, (const char *)id) : -1;
        if (c != NULL && index >= 0)
            c->points[index] = sqlite3_column_double(statement, 2);
    }
    if (status != ERROR_OK)
        goto done;
    /* the ranking order */
    d->ranked = malloc((d->community_count + 1) * sizeof *d->ranked);
    sums = calloc(d->category_count + 1, sizeof *sums);
    counts = calloc(d->category_count + 1, sizeof *counts);
    if (d->ranked == NULL || sums == NULL || counts == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    for (i = 0; i < d->community_count; i++)
        d->ranked[i] = &d->communities[i];
    qsort(d->ranked, d->community_count, sizeof *d->ranked, compare_rank);
    /* region averages of the category shares, summed in id order */
    for (i = 0; i < d->community_count; i++)
        for (k = 0; k < d->category_count; k++)
            if (!isnan(d->communities[i].points[k]) && d->categories[k].max_points > 0) {
                sums[k] += d->communities[i].points[k] / d->categories[k].max_points;
                counts[k]++;
            }
    for (k = 0; k < d->category_count; k++)
        d->categories[k].average = counts[k] > 0 ? sums[k] / (double)counts[k] : NAN;
done:
    sqlite3_finalize(statement);
    free(sums);
    free(counts);
    return status;
}

/* Loads the points of schedule target `t` from runs.params (its
** requirement's parameter, year → value). Returns the status. */
static int load_points(document *d, report_target *t, error *e)
{
    sqlite3_stmt *statement = NULL;
    size_t capacity = 0;
    bool row;
    int status = prepare(d,
                         "SELECT CAST(j.key AS INTEGER), j.value FROM runs, "
                         "json_each(runs.params, '$.\"' || replace(?2, '\"', '') || '\"') AS j "
                         "WHERE runs.run_id = ?1 AND j.type IN ('integer', 'real') "
                         "AND j.key GLOB '[0-9]*' ORDER BY CAST(j.key AS INTEGER)",
                         "runs", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, t->required_param, "runs", e);
    while (status == ERROR_OK && (status = next_row(d, statement, "runs", &row, e)) == ERROR_OK &&
           row) {
        if (t->point_count == capacity) {
            size_t grown = capacity ? 2 * capacity : 8;
            schedule_point *more = realloc(t->points, grown * sizeof *more);
            if (more == NULL) {
                status = error_set(e, ERROR_SYSTEM, "out of memory");
                break;
            }
            t->points = more;
            capacity = grown;
        }
        t->points[t->point_count].year = sqlite3_column_int(statement, 0);
        t->points[t->point_count].value = sqlite3_column_double(statement, 1);
        t->point_count++;
    }
    sqlite3_finalize(statement);
    return status;
}

/* The requirement of a target's check at its widest scope (then by id). */
#define WIDEST_REQUIRED                                                                            \
    "(SELECT required FROM target_checks c WHERE c.run_id = ?1 AND c.target_id = t.target_id "     \
    "ORDER BY CASE c.scope WHEN 'region' THEN 0 WHEN 'district' THEN 1 WHEN 'street' THEN 2 "      \
    "ELSE 3 END, c.scope_id LIMIT 1)"

/* Loads the targets: those named in run_targets and any other one checked,
** with their scopes and requirement (run_target_rules) when the run has
** them; in the rules' order, else by id. A target the run did not describe
** is a count when a requirement is above 1 (no ratio is). Returns the
** status. */
static int load_targets(document *d, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row, described = false;
    size_t i;
    int status = has_table(d, "run_target_rules", &described, e);
    if (status != ERROR_OK)
        return status;
    status = prepare(
        d,
        described
            ? "SELECT t.target_id, t.name, t.measure, t.unit, r.scopes, r.required_kind, "
              "r.required_param, (SELECT max(required) FROM target_checks c WHERE c.run_id = ?1 "
              "AND c.target_id = t.target_id), " WIDEST_REQUIRED
              " FROM (SELECT target_id, name, measure, unit "
              "FROM run_targets WHERE run_id = ?1 UNION ALL SELECT DISTINCT target_id, NULL, "
              "NULL, NULL FROM target_checks WHERE run_id = ?1 AND target_id NOT IN "
              "(SELECT target_id FROM run_targets WHERE run_id = ?1)) t LEFT JOIN "
              "run_target_rules r ON r.run_id = ?1 AND r.target_id = t.target_id "
              "ORDER BY r.position IS NULL, r.position, t.target_id"
            : "SELECT t.target_id, t.name, t.measure, t.unit, NULL, NULL, NULL, "
              "(SELECT max(required) FROM target_checks c WHERE c.run_id = ?1 "
              "AND c.target_id = t.target_id), " WIDEST_REQUIRED
              " FROM (SELECT target_id, name, measure, unit "
              "FROM run_targets WHERE run_id = ?1 UNION ALL SELECT DISTINCT target_id, NULL, "
              "NULL, NULL FROM target_checks WHERE run_id = ?1 AND target_id NOT IN "
              "(SELECT target_id FROM run_targets WHERE run_id = ?1)) t ORDER BY t.target_id",
        "run_targets", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "run_targets", &row, e)) == ERROR_OK && row) {
        report_target *more = realloc(d->targets, (d->target_count + 1) * sizeof *more);
        const unsigned char *measure = sqlite3_column_text(statement, 2);
        if (more == NULL) {
            status = error_set(e, ERROR_SYSTEM, "out of memory");
            break;
        }
        d->targets = more;
        more = &d->targets[d->target_count++];
        memset(more, 0, sizeof *more);
        more->id = column_copy_or_empty(d, statement, 0);
        more->name = sqlite3_column_type(statement, 1) == SQLITE_NULL
                         ? column_copy_or_empty(d, statement, 0)
                         : column_copy_or_empty(d, statement, 1);
        more->count = measure != NULL ? strcmp((const char *)measure, "count") == 0
                                      : sqlite3_column_double(statement, 7) > 1;
        more->unit = column_copy(d, statement, 3);
        more->scopes = column_copy(d, statement, 4);
        more->required_kind = column_copy(d, statement, 5);
        more->required_param = column_copy(d, statement, 6);
        more->required = column_real(statement, 8);
    }
    sqlite3_finalize(statement);
    for (i = 0; status == ERROR_OK && i < d->target_count; i++)
        if (d->targets[i].required_kind != NULL && d->targets[i].required_param != NULL &&
            strcmp(d->targets[i].required_kind, "schedule") == 0)
            status = load_points(d, &d->targets[i], e);
    return status;
}

/* Whether target `t` is checked at `scope` (unknown: true). */
static bool target_has_scope(const report_target *t, const char *scope)
{
    const char *at = t->scopes;
    size_t n = strlen(scope);
    if (at == NULL)
        return true;
    for (; (at = strstr(at, scope)) != NULL; at += n)
        if ((at == t->scopes || at[-1] == ',') && (at[n] == ',' || at[n] == '\0'))
            return true;
    return false;
}

/* The target with `id`, or NULL. */
static const report_target *find_target(const document *d, const char *id)
{
    size_t i;
    for (i = 0; id != NULL && i < d->target_count; i++)
        if (strcmp(d->targets[i].id, id) == 0)
            return &d->targets[i];
    return NULL;
}

/* The label of a target check's scope: 全市 海滨市, 区 海港区, 街道 海港区/港湾街道,
** 社区 新华社区 (3710010101). */
static void put_scope(buffer *out, const document *d, const char *scope, const char *scope_id)
{
    const report_community *c =
        strcmp(scope, "community") == 0 ? find_community(d, scope_id) : NULL;
    put_text(out, scope_name(d, scope));
    buffer_puts(out, " ");
    if (c != NULL) {
        put_text(out, c->name);
        buffer_puts(out, " <span class=\"muted\">");
        put_text(out, c->id);
        buffer_puts(out, "</span>");
    } else {
        put_text(out, scope_id);
    }
}

/* --- region report --------------------------------------------------------- */

/* The document head and the opening of the body. */
static void write_head(const document *d, buffer *out, const char *title)
{
    buffer_puts(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"");
    put_text(out, d->engine_version);
    buffer_puts(out, "\">\n<title>");
    put_text(out, d->region != NULL ? d->region : "");
    buffer_puts(out, " ");
    put_text(out, title);
    buffer_puts(out, " · ");
    put_text(out, d->as_of);
    buffer_printf(out, " · 运行 %lld</title>\n<style>\n", d->run_id);
    buffer_puts(out, style_sheet);
    buffer_puts(out, "</style>\n</head>\n<body>\n");
}

/* The report header: run identity and key parameters. */
static void write_header(const document *d, buffer *out)
{
    char a[48], b[48], c[48];
    size_t i;
    buffer_puts(out, "<header>\n<h1>");
    put_text(out, d->region != NULL ? d->region : "");
    buffer_puts(out, " 社区年度考核报告</h1>\n<p class=\"sub\">");
    put_text(out, d->system_name != NULL ? d->system_name : "");
    buffer_printf(out,
                  " %zu 项指标 · 星级评定 · 目标检查 · 社工考核 · 社区工作事项准入</p>\n"
                  "<dl class=\"meta\">\n",
                  d->indicator_count);
    buffer_puts(out, "<dt>考核截止日期</dt><dd>");
    put_text(out, d->as_of);
    buffer_printf(out, "（考核年度 %d）</dd>\n", d->year);
    buffer_printf(out, "<dt>运行</dt><dd>#%lld", d->run_id);
    if (d->kind != NULL) {
        buffer_puts(out, " · ");
        put_text(out, d->kind);
    }
    if (d->scenario != NULL) {
        buffer_puts(out, " · 情景「");
        put_text(out, d->scenario);
        buffer_puts(out, "」");
    }
    if (d->baseline_run_id > 0)
        buffer_printf(out, " · 基线运行 #%lld", d->baseline_run_id);
    buffer_puts(out, " · 开始 ");
    put_text(out, d->started_at);
    buffer_puts(out, " · 结束 ");
    put_text(out, d->finished_at);
    buffer_puts(out, "</dd>\n<dt>引擎版本</dt><dd>");
    put_text(out, d->engine_version);
    buffer_puts(out, "</dd>\n<dt>规则 SHA-256</dt><dd>");
    put_hash(out, d->rules_sha256);
    buffer_puts(out, "</dd>\n<dt>快照 SHA-256</dt><dd>");
    put_hash(out, d->snapshot_sha256);
    if (d->snapshot_path != NULL) {
        buffer_puts(out, " <span class=\"muted\">");
        put_text(out, d->snapshot_path);
        buffer_puts(out, "</span>");
    }
    buffer_puts(out, "</dd>\n<dt>星级线</dt><dd>");
    for (i = 0; i < d->grade_count; i++) {
        const report_grade *g = &d->grades[i];
        buffer_puts(out, i ? "；" : "");
        put_text(out, g->name);
        if (!isnan(g->threshold))
            buffer_printf(out, " ≥ %s 分", TRIM(a, g->threshold, 2));
        if (g->conditions != NULL) {
            buffer_puts(out, "，且 ");
            put_text(out, g->conditions);
        }
    }
    if (d->grade_count == 0)
        buffer_puts(out, "—");
    buffer_puts(out, "</dd>\n<dt>目标</dt><dd>");
    for (i = 0; i < d->target_count; i++) {
        const report_target *t = &d->targets[i];
        size_t k;
        buffer_puts(out, i ? "；<br>" : "");
        put_text(out, t->name);
        buffer_puts(out, " 要求 ");
        if (t->point_count > 0) {
            for (k = 0; k < t->point_count; k++)
                buffer_printf(out, "%s%d 年 %s", k ? "，" : "", t->points[k].year,
                              PERCENT(a, t->points[k].value, 0));
            buffer_printf(out, "（线性插值，%d 年要求 %s）", d->year,
                          PERCENT(a, required_at(t, d->year), 1));
        } else {
            put_measure(out, t, t->required);
        }
    }
    if (d->target_count == 0)
        buffer_puts(out, "—");
    buffer_puts(out, "</dd>\n<dt>社工考核</dt><dd>");
    if (d->appraisal_scope != NULL || !isnan(d->bottom_ratio)) {
        buffer_printf(out, "末位比例 %s（", PERCENT(a, d->bottom_ratio, 1));
        put_text(out, d->appraisal_scope != NULL ? scope_name(d, d->appraisal_scope) : "");
        buffer_puts(out, "内）；底线 ");
        put_text(out, d->floors != NULL ? d->floors : "—");
    } else {
        buffer_puts(out, "—");
    }
    buffer_puts(out, "</dd>\n");
    if (!d->rules_recorded)
        buffer_puts(out, "<dt>规则说明</dt><dd class=\"bad\">本运行由较早版本的 kaohe 写成，结果库"
                         "没有记录规则的星级名称、星级线、目标范围和比较容差（run_rules、"
                         "run_star_grades、run_target_rules）：星级以星数表示，不画目标轨迹。"
                         "用当前版本重新运行 eval 可得完整报告。</dd>\n");
    buffer_printf(out, "<dt>复核幅度</dt><dd>星级线 ±%s 分；目标 ±%s（比例）或 ±%s（计数）</dd>\n",
                  TRIM(a, d->margin, 2), PERCENT(b, RATIO_MARGIN, 0), TRIM(c, COUNT_MARGIN, 0));
    buffer_puts(out, "</dl>\n</header>\n");
}

/* Whole numbers, for counts on an axis. */
static void format_count(buffer *out, double value)
{
    char a[48];
    buffer_puts(out, fmt_trim(a, sizeof a, value, 1));
}

/* Percentages, for ratios on an axis. */
static void format_percent(buffer *out, double value)
{
    char a[48];
    buffer_puts(out, fmt_percent(a, sizeof a, value, 0));
}

/* Communities of `district` (NULL: all) per grade slot (grade_slot) into
** counts[grade_count + 1]; returns the scored ones, and their totals' sum
** into *sum. */
static size_t count_grades(const document *d, const char *district, size_t *counts, double *sum,
                           size_t *communities)
{
    size_t i, scored = 0;
    *sum = 0;
    *communities = 0;
    for (i = 0; i <= d->grade_count; i++)
        counts[i] = 0;
    for (i = 0; i < d->community_count; i++) {
        const report_community *c = &d->communities[i];
        if (district != NULL && strcmp(c->district, district) != 0)
            continue;
        (*communities)++;
        if (isnan(c->total))
            continue;
        scored++;
        *sum += c->total;
        counts[grade_slot(d, c->stars)]++;
    }
    return scored;
}

/* The condition of grade slot `g` as the rules of the run give it. */
static void put_grade_condition(const document *d, buffer *out, size_t g)
{
    char a[48];
    if (g < d->grade_count) {
        const report_grade *grade = &d->grades[g];
        if (!isnan(grade->threshold))
            buffer_printf(out, "总分 ≥ %s", TRIM(a, grade->threshold, 2));
        if (grade->conditions != NULL) {
            buffer_puts(out, isnan(grade->threshold) ? "" : "，");
            put_text(out, grade->conditions);
        }
    } else if (d->grade_count > 0 && !isnan(d->grades[d->grade_count - 1].threshold)) {
        buffer_printf(out, "总分 &lt; %s", TRIM(a, d->grades[d->grade_count - 1].threshold, 2));
    }
}

/* Key figures and the star distribution (inline SVG bar chart and table). */
static int write_stars(const document *d, buffer *out, error *e)
{
    size_t slots = d->grade_count + 1, *counts = calloc(slots, sizeof *counts);
    chart_bar *bars = calloc(slots, sizeof *bars);
    size_t scored, communities, g, rated;
    double sum;
    char a[48];
    if (counts == NULL || bars == NULL) {
        free(counts);
        free(bars);
        return error_set(e, ERROR_SYSTEM, "out of memory");
    }
    scored = count_grades(d, NULL, counts, &sum, &communities);
    rated = scored - counts[d->grade_count];
    buffer_puts(out, "<section id=\"overview\">\n<div class=\"kpis\">");
    buffer_printf(out, "<div class=\"kpi\"><span>参评社区</span><b>%zu</b></div>",
                  d->community_count);
    buffer_printf(out, "<div class=\"kpi\"><span>平均总分</span><b>%s</b></div>",
                  scored ? FIXED(a, sum / (double)scored, 2) : "—");
    buffer_puts(out, "<div class=\"kpi\"><span>获评星级");
    if (d->grade_count > 0) {
        buffer_puts(out, "（");
        put_text(out, d->grades[d->grade_count - 1].name);
        buffer_puts(out, "及以上）");
    }
    buffer_printf(out, "</span><b>%zu</b></div>", rated);
    if (d->grade_count > 0) {
        buffer_puts(out, "<div class=\"kpi\"><span>");
        put_text(out, d->grades[0].name);
        buffer_printf(out, "社区</span><b>%zu</b></div>", counts[0]);
    }
    buffer_puts(out, "</div>\n<h2>星级分布</h2>\n<div class=\"row\">\n<figure>\n");
    for (g = 0; g < slots; g++)
        bars[g] = (chart_bar){g < d->grade_count ? d->grades[g].name : d->unrated,
                              (double)counts[g], grade_colour(d, g)};
    chart_bars(out, "星级分布", bars, slots, "个", format_count);
    buffer_puts(out, "<figcaption>各星级社区数</figcaption>\n</figure>\n");
    buffer_puts(out, "<table>\n<thead><tr><th>星级</th><th>条件</th><th class=\"n\">社区数</th>"
                     "<th class=\"n\">占比</th></tr></thead>\n<tbody>\n");
    for (g = 0; g < slots; g++) {
        buffer_printf(out, "<tr><td class=\"s%d\">", g < d->grade_count ? d->grades[g].stars : 0);
        put_text(out, g < d->grade_count ? d->grades[g].name : d->unrated);
        buffer_puts(out, "</td><td>");
        put_grade_condition(d, out, g);
        buffer_printf(out, "</td><td class=\"n\">%zu</td><td class=\"n\">%s</td></tr>\n", counts[g],
                      scored ? PERCENT(a, (double)counts[g] / (double)scored, 1) : "—");
    }
    buffer_printf(out,
                  "</tbody>\n<tfoot><tr><td colspan=\"2\">合计</td><td class=\"n\">%zu</td>"
                  "<td class=\"n\">%s</td></tr></tfoot>\n</table>\n</div>\n",
                  scored, scored ? "100.0%" : "—");
    if (scored < d->community_count)
        buffer_printf(out, "<p class=\"note\">%zu 个社区在本次运行中没有总分。</p>\n",
                      d->community_count - scored);
    buffer_puts(out, "</section>\n");
    free(counts);
    free(bars);
    return ERROR_OK;
}

/* Header cells of the categories: name and points. */
static void put_category_headers(const document *d, buffer *out)
{
    size_t k;
    char a[48];
    for (k = 0; k < d->category_count; k++) {
        buffer_puts(out, "<th class=\"n\" title=\"");
        put_text(out, d->categories[k].id);
        buffer_puts(out, "\">");
        put_text(out, d->categories[k].name);
        buffer_printf(out, "<br><span class=\"muted\">%s</span></th>",
                      TRIM(a, d->categories[k].max_points, 2));
    }
}

/* The ranking: rank, id, name, district/street, category subtotals, total,
** stars. */
static void write_ranking(const document *d, buffer *out)
{
    size_t i, k;
    char a[48];
    buffer_puts(out, "<section id=\"ranking\">\n<h2>社区排名</h2>\n"
                     "<table class=\"ranking\">\n<thead><tr><th class=\"n\">排名</th><th>编号</th>"
                     "<th>社区</th><th>区 / 街道</th>");
    put_category_headers(d, out);
    buffer_printf(out,
                  "<th class=\"n\">总分<br><span class=\"muted\">%s</span></th>"
                  "<th class=\"c\">星级</th></tr></thead>\n<tbody>\n",
                  isnan(d->total) ? "" : TRIM(a, d->total, 2));
    for (i = 0; i < d->community_count; i++) {
        const report_community *c = d->ranked[i];
        buffer_puts(out, "<tr id=\"c-");
        put_text(out, c->id);
        buffer_puts(out, "\"><td class=\"n\">");
        if (c->rank > 0)
            buffer_printf(out, "%d", c->rank);
        else
            buffer_puts(out, "—");
        buffer_puts(out, "</td><td>");
        put_text(out, c->id);
        buffer_puts(out, "</td><td>");
        put_text(out, c->name);
        buffer_puts(out, "</td><td>");
        put_text(out, c->district);
        buffer_puts(out, " / ");
        put_text(out, c->street);
        buffer_puts(out, "</td>");
        for (k = 0; k < d->category_count; k++)
            buffer_printf(out, "<td class=\"n\">%s</td>", FIXED(a, c->points[k], 2));
        buffer_printf(out, "<td class=\"n total\">%s</td>", FIXED(a, c->total, 2));
        put_stars_cell(d, out, c);
        buffer_puts(out, "</tr>\n");
    }
    buffer_puts(out, "</tbody>\n</table>\n");
    if (d->community_count == 0)
        buffer_puts(out, "<p class=\"note\">本次运行没有社区。</p>\n");
    buffer_puts(out, "<p class=\"note\">总分相同的社区并列，取较好名次（1, 2, 2, 4）。"
                     "分项为各类指标得分之和，保留两位小数。</p>\n</section>\n");
}

/* qsort comparison of strings (pointers to const char *). */
static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct districts of the run, sorted, into a malloc'd array of
** pointers into the communities (*count of them); NULL when out of memory
** (or when there is no community). The caller frees the array. */
static const char **distinct_districts(const document *d, size_t *count)
{
    const char **names = malloc((d->community_count + 1) * sizeof *names);
    size_t i, n = 0;
    *count = 0;
    if (names == NULL)
        return NULL;
    for (i = 0; i < d->community_count; i++)
        names[i] = d->communities[i].district;
    qsort(names, d->community_count, sizeof *names, compare_strings);
    for (i = 0; i < d->community_count; i++)
        if (n == 0 || strcmp(names[n - 1], names[i]) != 0)
            names[n++] = names[i];
    *count = n;
    return names;
}

/* A light green background growing with a share 0..1 (heat map cells). */
static void put_shade(buffer *out, double share)
{
    if (isnan(share))
        return;
    if (share < 0)
        share = 0;
    if (share > 1)
        share = 1;
    buffer_printf(out, " style=\"background:rgba(27,120,55,%.2f)\"", 0.04 + 0.30 * share);
}

/* One row of the district comparison (district NULL = the whole region). */
static int write_district_row(const document *d, buffer *out, const char *district, error *e)
{
    size_t i, k, g, n, scored, *counts = calloc(d->grade_count + 1, sizeof *counts);
    double sum;
    char a[48];
    if (counts == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    buffer_puts(out, district ? "<tr><td>" : "<tr><td>全市 ");
    put_text(out, district ? district : d->region);
    buffer_puts(out, "</td>");
    scored = count_grades(d, district, counts, &sum, &n);
    buffer_printf(out, "<td class=\"n\">%zu</td><td class=\"n total\">%s</td>", n,
                  scored ? FIXED(a, sum / (double)scored, 2) : "—");
    for (g = 0; g <= d->grade_count; g++)
        buffer_printf(out, "<td class=\"n\">%zu</td>", counts[g]);
    free(counts);
    for (k = 0; k < d->category_count; k++) {
        double points = 0, share;
        size_t m = 0;
        for (i = 0; i < d->community_count; i++) {
            const report_community *c = &d->communities[i];
            if ((district != NULL && strcmp(c->district, district) != 0) || isnan(c->points[k]))
                continue;
            points += c->points[k];
            m++;
        }
        share = m && d->categories[k].max_points > 0
                    ? points / (double)m / d->categories[k].max_points
                    : NAN;
        buffer_puts(out, "<td class=\"n\"");
        put_shade(out, share);
        buffer_printf(out, ">%s</td>", m ? FIXED(a, points / (double)m, 2) : "—");
    }
    buffer_puts(out, "</tr>\n");
    return ERROR_OK;
}

/* District comparison: communities, average total, stars, category means. */
static int write_districts(const document *d, buffer *out, error *e)
{
    size_t n, i, g;
    int status = ERROR_OK;
    const char **districts = distinct_districts(d, &n);
    if (districts == NULL && d->community_count > 0)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    buffer_puts(out, "<section id=\"districts\" class=\"page\">\n<h2>各区对比</h2>\n"
                     "<table>\n<thead><tr><th>区</th><th class=\"n\">社区</th>"
                     "<th class=\"n\">平均总分</th>");
    for (g = 0; g <= d->grade_count; g++) {
        buffer_printf(out, "<th class=\"n s%d\">", g < d->grade_count ? d->grades[g].stars : 0);
        put_text(out, g < d->grade_count ? d->grades[g].name : d->unrated);
        buffer_puts(out, "</th>");
    }
    put_category_headers(d, out);
    buffer_puts(out, "</tr></thead>\n<tbody>\n");
    for (i = 0; status == ERROR_OK && i < n; i++)
        status = write_district_row(d, out, districts[i], e);
    buffer_puts(out, "</tbody>\n<tfoot>\n");
    if (status == ERROR_OK)
        status = write_district_row(d, out, NULL, e);
    buffer_puts(out, "</tfoot>\n</table>\n<p class=\"note\">分项为该区社区的平均得分；"
                     "底色越深，平均得分占该类满分的比例越高。</p>\n</section>\n");
    free(districts);
    return status;
}

/* x of a year on the trajectory chart. */
static double year_x(double year, double first, double last, double left, double plot_w)
{
    return left + plot_w * (year - first) / (last - first);
}

/* The trajectory chart of schedule target `t`'s requirement, with each
** district's actual value (and the region's) as a point at the as-of year. */
static int write_trajectory_chart(const document *d, const report_target *t, buffer *out, error *e)
{
    static const double spread[] = {-16, -8, 8, 16}; /* districts around the as-of year */
    const double width = 660, left = 46, right = 190, top = 30, bottom = 46;
    double height = 310, plot_w = width - left - right, plot_h = 310 - top - bottom;
    double first, last, y_top = 1.0, x_asof;
    sqlite3_stmt *statement = NULL;
    bool row;
    int status = ERROR_OK, year, step, series = 0;
    size_t i, n;
    double *xs = NULL, *ys = NULL;
    char a[48], b[48];
    if (t->point_count == 0) {
        buffer_puts(out, "<p class=\"note\">本次运行的参数中没有该目标的里程碑，不绘制目标轨迹。"
                         "</p>\n");
        return ERROR_OK;
    }
    first = t->points[0].year;
    last = t->points[t->point_count - 1].year;
    if (d->year > 0 && d->year < first)
        first = d->year;
    if (d->year > last)
        last = d->year;
    if (last <= first)
        last = first + 1;
    for (i = 0; i < t->point_count; i++)
        if (t->points[i].value > y_top)
            y_top = ceil(t->points[i].value * 10) / 10;
    /* the legend lists every district: grow the chart when they are many */
    status = prepare(d,
                     "SELECT count(*) FROM target_checks WHERE run_id = ?1 AND target_id = ?2 "
                     "AND scope IN ('region', 'district') AND actual IS NOT NULL",
                     "target_checks", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, t->id, "target_checks", e);
    if (status == ERROR_OK)
        status = next_row(d, statement, "target_checks", &row, e);
    if (status != ERROR_OK)
        goto done;
    if (height < top + 60 + 18.0 * (double)sqlite3_column_int(statement, 0))
        height = top + 60 + 18.0 * (double)sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    statement = NULL;
    buffer_printf(out,
                  "<figure>\n<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
                  "role=\"img\" aria-label=\"",
                  width, height, width, height);
    put_text(out, t->name);
    buffer_puts(out, "目标轨迹\" font-size=\"11\">\n");
    chart_value_axis(out, left, left + plot_w, top, top + plot_h, 5, y_top, format_percent);
    step = last - first > 12 ? (int)ceil((last - first) / 12) : 1;
    for (year = (int)first; year <= (int)last; year += step) {
        double x = year_x(year, first, last, left, plot_w);
        buffer_printf(out,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n",
                      x, top + plot_h, x, top + plot_h + 4, x, top + plot_h + 17, year);
    }
    /* the required ratio: flat before the first milestone, linear between
    ** milestones, flat after the last */
    xs = malloc((t->point_count + 2) * sizeof *xs);
    ys = malloc((t->point_count + 2) * sizeof *ys);
    if (xs == NULL || ys == NULL) {
        status = error_set(e, ERROR_SYSTEM, "out of memory");
        goto done;
    }
    xs[0] = left;
    ys[0] = top + plot_h - plot_h * required_at(t, first) / y_top;
    for (i = 0, n = 1; i < t->point_count; i++)
        if (t->points[i].year > first && t->points[i].year < last) {
            xs[n] = year_x(t->points[i].year, first, last, left, plot_w);
            ys[n++] = top + plot_h - plot_h * t->points[i].value / y_top;
        }
    xs[n] = left + plot_w;
    ys[n++] = top + plot_h - plot_h * required_at(t, last) / y_top;
    chart_polyline(out, xs, ys, n, "#2166ac", 2.5);
    for (year = (int)first; year <= (int)last; year++) {
        double r = required_at(t, year);
        bool is_milestone = false;
        for (i = 0; i < t->point_count; i++)
            is_milestone = is_milestone || t->points[i].year == year;
        buffer_printf(out,
                      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" stroke=\"#2166ac\">"
                      "<title>%d 年要求 %s</title></circle>\n",
                      year_x(year, first, last, left, plot_w), top + plot_h - plot_h * r / y_top,
                      is_milestone ? "4" : "2.5", is_milestone ? "#2166ac" : "#fff", year,
                      PERCENT(a, r, 1));
        if (is_milestone) {
            /* below right of the point (the trajectory rises to the right),
            ** above left at the right edge */
            double x = year_x(year, first, last, left, plot_w);
            double y = top + plot_h - plot_h * r / y_top;
            bool edge = x > left + plot_w - 70;
            buffer_printf(out,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#2166ac\">"
                          "%d年 %s</text>\n",
                          edge ? x - 7 : x + 7, edge ? y - 8 : y + 16, edge ? "end" : "start", year,
                          PERCENT(b, r, 0));
        }
    }
    if (d->year <= 0)
        goto close; /* no as-of year: the trajectory alone */
    x_asof = year_x(d->year, first, last, left, plot_w);
    buffer_printf(out,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
                  "stroke-dasharray=\"3 3\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                  "fill=\"#555\" font-size=\"10\">截至 ",
                  x_asof, top, x_asof, top + plot_h, x_asof, top + plot_h + 31);
    put_text(out, d->as_of);
    buffer_puts(out, "</text>\n");
    buffer_printf(out,
                  "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"700\">%d 年要求 %s</text>\n"
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2166ac\" "
                  "stroke-width=\"2.5\"/>\n",
                  left + plot_w + 16, top + 10, d->year, PERCENT(a, required_at(t, d->year), 1),
                  left + plot_w + 16, top + 24, left + plot_w + 36, top + 24);
    buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\">目标轨迹</text>\n", left + plot_w + 42,
                  top + 28);
    status = prepare(d,
                     "SELECT scope, scope_id, actual, met FROM target_checks WHERE run_id = ?1 "
                     "AND target_id = ?2 AND scope IN ('region', 'district') "
                     "AND actual IS NOT NULL ORDER BY scope = 'region', scope_id",
                     "target_checks", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, t->id, "target_checks", e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "target_checks", &row, e)) == ERROR_OK && row) {
        bool region = strcmp((const char *)sqlite3_column_text(statement, 0), "region") == 0;
        double actual = sqlite3_column_double(statement, 2);
        const char *colour = region ? "#222" : palette[series % PALETTE_SIZE];
        double x = x_asof + (region ? 0 : spread[series % 4]); /* apart a little */
        double y = top + plot_h - plot_h * actual / y_top, ly = top + 48 + 18.0 * series;
        if (region)
            buffer_printf(out, "<path d=\"M%.1f %.1fl6 6-6 6-6-6z\" fill=\"%s\"><title>", x, y - 6,
                          colour);
        else
            buffer_printf(out,
                          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" "
                          "stroke=\"#fff\"><title>",
                          x, y, colour);
        put_text(out, (const char *)sqlite3_column_text(statement, 1));
        buffer_printf(out, " 实际 %s</title>%s\n", PERCENT(a, actual, 1),
                      region ? "</path>" : "</circle>");
        if (region)
            buffer_printf(out, "<path d=\"M%.1f %.1fl5 5-5 5-5-5z\" fill=\"%s\"/>",
                          left + plot_w + 26, ly - 9, colour);
        else
            buffer_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>",
                          left + plot_w + 26, ly - 4, colour);
        buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\">%s", left + plot_w + 42, ly,
                      region ? "全市 " : "");
        put_text(out, (const char *)sqlite3_column_text(statement, 1));
        buffer_printf(out, " %s%s</text>\n", PERCENT(a, actual, 1),
                      sqlite3_column_int(statement, 3) ? " ✓" : "");
        series++;
    }
    if (status != ERROR_OK)
        goto done;
close:
    buffer_puts(out, "</svg>\n<figcaption>");
    put_text(out, t->name);
    buffer_puts(out, "要求的轨迹（");
    put_text(out, t->required_param);
    buffer_puts(out,
                " 线性插值，首个里程碑前和最后一个之后保持不变）与全市、各区截至考核日的实际值。"
                "</figcaption>\n</figure>\n");
done:
    sqlite3_finalize(statement);
    free(xs);
    free(ys);
    return status;
}

/* One table of target checks of `target_id` at the given scopes (an SQL
** list such as "'region', 'district'"): scope, actual, required, gap, met.
** Only failing checks when `failing_only`. Returns the status; *rows gets
** the number of rows written. */
static int write_check_table(const document *d, buffer *out, const char *target_id,
                             const char *scopes, bool failing_only, size_t *rows, error *e)
{
    sqlite3_stmt *statement = NULL;
    const report_target *t = find_target(d, target_id);
    char sql[640], a[48];
    bool row;
    int status;
    *rows = 0;
    snprintf(sql, sizeof sql,
             "SELECT scope, scope_id, required, actual, met FROM target_checks "
             "WHERE run_id = ?1 AND target_id = ?2 AND scope IN (%s) %s "
             "ORDER BY CASE scope WHEN 'region' THEN 0 WHEN 'district' THEN 1 WHEN 'street' "
             "THEN 2 ELSE 3 END, scope_id",
             scopes, failing_only ? "AND met = 0" : "");
    status = prepare(d, sql, "target_checks", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, target_id, "target_checks", e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "target_checks", &row, e)) == ERROR_OK && row) {
        double required = sqlite3_column_double(statement, 2);
        double actual = column_real(statement, 3);
        bool met = sqlite3_column_int(statement, 4) != 0;
        if (*rows == 0)
            buffer_puts(out, "<table>\n<thead><tr><th>范围</th><th class=\"n\">实际</th>"
                             "<th class=\"n\">要求</th><th class=\"n\">差距</th>"
                             "<th class=\"c\">结果</th></tr></thead>\n<tbody>\n");
        (*rows)++;
        buffer_puts(out, "<tr><td>");
        put_scope(out, d, (const char *)sqlite3_column_text(statement, 0),
                  (const char *)sqlite3_column_text(statement, 1));
        buffer_puts(out, "</td><td class=\"n\">");
        put_measure(out, t, actual);
        buffer_puts(out, "</td><td class=\"n\">");
        put_measure(out, t, required);
        buffer_puts(out, "</td><td class=\"n\">");
        if (t != NULL && t->count)
            buffer_puts(out, SIGNED(a, actual - required, 2));
        else if (!isnan(actual))
            buffer_printf(out, "%s 个百分点", SIGNED(a, (actual - required) * 100, 1));
        else
            buffer_puts(out, "—");
        buffer_printf(out, "</td><td class=\"c %s\">%s</td></tr>\n", met ? "good" : "bad",
                      met             ? "达标"
                      : isnan(actual) ? "无法计算"
                                      : "未达标");
    }
    sqlite3_finalize(statement);
    if (status == ERROR_OK && *rows > 0)
        buffer_puts(out, "</tbody>\n</table>\n");
    return status;
}

/* The failing checks of a target at `scope` as a compact list of chips:
** "港湾街道 54.2%". Returns the status; *rows gets their number. */
static int write_failing_chips(const document *d, buffer *out, const char *target_id,
                               const char *scope, size_t *rows, error *e)
{
    sqlite3_stmt *statement = NULL;
    const report_target *t = find_target(d, target_id);
    bool row;
    int status;
    *rows = 0;
    status = prepare(d,
                     "SELECT scope_id, actual FROM target_checks WHERE run_id = ?1 AND "
                     "target_id = ?2 AND scope = ?3 AND met = 0 ORDER BY scope_id",
                     "target_checks", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, target_id, "target_checks", e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 3, scope, "target_checks", e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "target_checks", &row, e)) == ERROR_OK && row) {
        const char *id = (const char *)sqlite3_column_text(statement, 0);
        const report_community *c = strcmp(scope, "community") == 0 ? find_community(d, id) : NULL;
        if (*rows == 0)
            buffer_puts(out, "<div class=\"chips\">");
        (*rows)++;
        buffer_puts(out, "<span>");
        put_text(out, c != NULL ? c->name : id);
        buffer_puts(out, " ");
        put_measure(out, t, column_real(statement, 1));
        buffer_puts(out, "</span>");
    }
    sqlite3_finalize(statement);
    if (status == ERROR_OK && *rows > 0)
        buffer_puts(out, "</div>\n");
    return status;
}

/* Whether target `t` has a requirement that changes by year (a schedule),
** drawn as a trajectory. */
static bool has_trajectory(const report_target *t)
{
    return t->point_count > 0;
}

/* For each target whose requirement is a schedule: its checks at the
** region and districts against the requirement, the trajectory chart, and
** the streets that miss it. Nothing when no target has a schedule. */
static int write_trajectories(const document *d, buffer *out, error *e)
{
    size_t rows, i, shown = 0;
    int status = ERROR_OK;
    for (i = 0; status == ERROR_OK && i < d->target_count; i++) {
        const report_target *t = &d->targets[i];
        if (!has_trajectory(t))
            continue;
        buffer_puts(out, shown++ == 0 ? "<section id=\"trajectories\">\n<h2>" : "<h2>");
        put_text(out, t->name);
        buffer_puts(out, "：全市与各区对照要求</h2>\n");
        status = write_check_table(d, out, t->id, "'region', 'district'", false, &rows, e);
        if (status != ERROR_OK)
            break;
        if (rows == 0) {
            buffer_puts(out, "<p class=\"note\">本次运行没有全市或区一级的");
            put_text(out, t->name);
            buffer_puts(out, "检查。</p>\n");
        }
        status = write_trajectory_chart(d, t, out, e);
        if (status != ERROR_OK || !target_has_scope(t, "street"))
            continue;
        buffer_puts(out, "<h3>未达标的街道</h3>\n");
        status = write_failing_chips(d, out, t->id, "street", &rows, e);
        if (status == ERROR_OK && rows == 0)
            buffer_puts(out, "<p>所有街道均达标。</p>\n");
    }
    if (shown > 0)
        buffer_puts(out, "</section>\n");
    return status;
}

/* Targets: scopes meeting each target per scope level, then for each target
** without a trajectory (write_trajectories) the failing scopes. */
static int write_targets(const document *d, buffer *out, error *e)
{
    static const char *const levels[] = {"region", "district", "street", "community"};
    sqlite3_stmt *statement = NULL;
    size_t i, k, rows;
    bool row;
    int status = ERROR_OK;
    buffer_puts(out, "<section id=\"targets\">\n<h2>目标达成</h2>\n");
    if (d->target_count == 0) {
        buffer_puts(out, "<p>本次运行没有目标检查。</p>\n</section>\n");
        goto done;
    }
    buffer_puts(out, "<table>\n<thead><tr><th>目标</th><th>要求</th>");
    for (k = 0; k < 4; k++)
        buffer_printf(out, "<th class=\"n\">%s达标</th>", scope_name(d, levels[k]));
    buffer_puts(out, "</tr></thead>\n<tbody>\n");
    status = prepare(d,
                     "SELECT count(*), coalesce(sum(met), 0), (SELECT required FROM target_checks "
                     "WHERE run_id = ?1 AND target_id = ?2 ORDER BY CASE scope WHEN 'region' "
                     "THEN 0 WHEN 'district' THEN 1 WHEN 'street' THEN 2 ELSE 3 END, scope_id "
                     "LIMIT 1) FROM target_checks WHERE run_id = ?1 AND target_id = ?2 AND "
                     "scope = ?3",
                     "target_checks", &statement, e);
    for (i = 0; status == ERROR_OK && i < d->target_count; i++) {
        const report_target *t = &d->targets[i];
        buffer_puts(out, "<tr><td>");
        put_text(out, t->name);
        buffer_puts(out, " <span class=\"muted\">");
        put_text(out, t->id);
        buffer_puts(out, "</span></td>");
        for (k = 0; status == ERROR_OK && k < 4; k++) {
            long long count, met;
            sqlite3_reset(statement);
            status = bind_text(d, statement, 2, t->id, "target_checks", e);
            if (status == ERROR_OK)
                status = bind_text(d, statement, 3, levels[k], "target_checks", e);
            if (status == ERROR_OK)
                status = next_row(d, statement, "target_checks", &row, e);
            if (status != ERROR_OK)
                break;
            count = sqlite3_column_int64(statement, 0);
            met = sqlite3_column_int64(statement, 1);
            if (k == 0) {
                /* the requirement: the region's, else the widest scope's */
                buffer_puts(out, "<td class=\"n\">");
                put_measure(out, t, column_real(statement, 2));
                buffer_puts(out, "</td>");
            }
            if (count == 0)
                buffer_puts(out, "<td class=\"n muted\">—</td>");
            else
                buffer_printf(out, "<td class=\"n %s\">%lld / %lld</td>",
                              met == count ? "good"
                              : met == 0   ? "bad"
                                           : "",
                              met, count);
        }
        buffer_puts(out, "</tr>\n");
    }
    if (status != ERROR_OK)
        goto done;
    buffer_puts(out, "</tbody>\n</table>\n");
    for (i = 0; i < d->target_count; i++) {
        const report_target *t = &d->targets[i];
        size_t chips;
        if (has_trajectory(t))
            continue;
        buffer_puts(out, "<h3>");
        put_text(out, t->name);
        buffer_puts(out, " <span class=\"muted\">");
        put_text(out, t->id);
        buffer_puts(out, "</span>：未达标</h3>\n");
        status = write_check_table(d, out, t->id, "'region', 'district', 'street'", true, &rows, e);
        if (status != ERROR_OK)
            goto done;
        status = write_failing_chips(d, out, t->id, "community", &chips, e);
        if (status != ERROR_OK)
            goto done;
        if (chips > 0)
            buffer_printf(out, "<p class=\"note\">以上为未达标的 %zu 个社区。</p>\n", chips);
        if (rows == 0 && chips == 0)
            buffer_puts(out, "<p class=\"good\">所有范围均达标（或没有检查）。</p>\n");
    }
    buffer_puts(out, "</section>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* Flagged workers: counts per street and reason, then the list (worker ids
** only, no names). */
static int write_workers(const document *d, buffer *out, error *e)
{
    static const char *const flags[] = {"below_floor", "bottom_ratio", "no_score"};
    sqlite3_stmt *statement = NULL;
    bool row;
    size_t k, listed = 0;
    long long totals[5] = {0};
    char a[48];
    int status;
    buffer_puts(out, "<section id=\"workers\" class=\"page\">\n<h2>社工考核标记</h2>\n"
                     "<p class=\"note\">低于底线：低于");
    put_text(out, d->floors != NULL ? d->floors : "规则的底线");
    buffer_puts(out, "中的一项；末位比例：");
    put_text(out, d->appraisal_scope != NULL ? scope_name(d, d->appraisal_scope) : "");
    buffer_printf(out,
                  "内按考核分从低到高的前 %s；缺少评分：考核有一项分数缺失。只列工号，不列姓名。"
                  "</p>\n",
                  PERCENT(a, d->bottom_ratio, 1));
    status = prepare(d,
                     "SELECT coalesce(c.district || '/' || c.street, '（未知街道）'), "
                     "sum(w.flag = 'below_floor'), sum(w.flag = 'bottom_ratio'), "
                     "sum(w.flag = 'no_score'), sum(w.flag IS NOT NULL), count(*) "
                     "FROM worker_appraisals w LEFT JOIN run_communities c "
                     "ON c.run_id = w.run_id AND c.community_id = w.community_id "
                     "WHERE w.run_id = ?1 GROUP BY 1 ORDER BY 1",
                     "worker_appraisals", &statement, e);
    buffer_puts(out, "<table>\n<thead><tr><th>街道</th>");
    for (k = 0; k < 3; k++)
        buffer_printf(out, "<th class=\"n\">%s</th>", flag_name(d, flags[k]));
    buffer_puts(out, "<th class=\"n\">标记合计</th><th class=\"n\">参评社工</th></tr></thead>\n"
                     "<tbody>\n");
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "worker_appraisals", &row, e)) == ERROR_OK && row) {
        buffer_puts(out, "<tr><td>");
        put_text(out, (const char *)sqlite3_column_text(statement, 0));
        buffer_puts(out, "</td>");
        for (k = 0; k < 5; k++) {
            long long v = sqlite3_column_int64(statement, (int)k + 1);
            totals[k] += v;
            buffer_printf(out, "<td class=\"n%s\">%lld</td>", k < 4 && v > 0 ? " bad" : "", v);
        }
        buffer_puts(out, "</tr>\n");
    }
    if (status != ERROR_OK)
        goto done;
    sqlite3_finalize(statement);
    statement = NULL;
    buffer_puts(out, "</tbody>\n<tfoot><tr><td>合计</td>");
    for (k = 0; k < 5; k++)
        buffer_printf(out, "<td class=\"n\">%lld</td>", totals[k]);
    buffer_puts(out, "</tr></tfoot>\n</table>\n");
    status = prepare(d,
                     "SELECT w.flag, w.worker_id, w.community_id, c.name, "
                     "coalesce(c.district || '/' || c.street, ''), w.score, w.rank "
                     "FROM worker_appraisals w LEFT JOIN run_communities c "
                     "ON c.run_id = w.run_id AND c.community_id = w.community_id "
                     "WHERE w.run_id = ?1 AND w.flag IS NOT NULL "
                     "ORDER BY CASE w.flag WHEN 'below_floor' THEN 0 WHEN 'bottom_ratio' THEN 1 "
                     "WHEN 'no_score' THEN 2 ELSE 3 END, w.flag, 5, w.rank, w.worker_id",
                     "worker_appraisals", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "worker_appraisals", &row, e)) == ERROR_OK && row) {
        if (listed == 0) {
            /* ranks are within the appraisal's scope, as the rules of the run say */
            buffer_puts(out, "<h3>标记名单</h3>\n<table>\n<thead><tr><th>原因</th><th>工号</th>"
                             "<th>社区</th><th>街道</th><th class=\"n\">考核分</th>"
                             "<th class=\"n\">");
            if (d->appraisal_scope != NULL) {
                put_text(out, scope_name(d, d->appraisal_scope));
                buffer_puts(out, "内");
            }
            buffer_puts(out, "名次<br><span class=\"muted\">1 = 最低</span></th></tr></thead>\n"
                             "<tbody>\n");
        }
        listed++;
        buffer_printf(out, "<tr><td class=\"bad\">%s</td><td><code>",
                      flag_name(d, (const char *)sqlite3_column_text(statement, 0)));
        put_text(out, (const char *)sqlite3_column_text(statement, 1));
        buffer_puts(out, "</code></td><td>");
        put_text(out, sqlite3_column_type(statement, 3) != SQLITE_NULL
                          ? (const char *)sqlite3_column_text(statement, 3)
                          : (const char *)sqlite3_column_text(statement, 2));
        buffer_puts(out, "</td><td>");
        put_text(out, (const char *)sqlite3_column_text(statement, 4));
        buffer_printf(out, "</td><td class=\"n\">%s</td><td class=\"n\">",
                      FIXED(a, column_real(statement, 5), 2));
        if (sqlite3_column_type(statement, 6) == SQLITE_NULL)
            buffer_puts(out, "—");
        else
            buffer_printf(out, "%d", sqlite3_column_int(statement, 6));
        buffer_puts(out, "</td></tr>\n");
    }
    if (status != ERROR_OK)
        goto done;
    if (listed > 0)
        buffer_puts(out, "</tbody>\n</table>\n");
    else
        buffer_puts(out, "<p class=\"good\">没有社工被标记。</p>\n");
    buffer_puts(out, "</section>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* A stacked bar of admitted / rejected / review counts, `scale` px a task. */
static void put_decision_bar(buffer *out, long long admitted, long long rejected, long long review,
                             double scale)
{
    static const char *const colours[] = {"#4c9a62", "#c8553d", "#e0a526"};
    double parts[3];
    parts[0] = (double)admitted;
    parts[1] = (double)rejected;
    parts[2] = (double)review;
    chart_stacked_bar(out, parts, colours, 3, scale);
}

/* Admission decisions by department (department_stats) and by entry
** (task_decisions by rule_id and decision). */
static int write_admission(const document *d, buffer *out, error *e)
{
    sqlite3_stmt *statement = NULL;
    bool row;
    long long totals[4] = {0}, max = 1;
    size_t rows = 0, k;
    char a[48];
    int status;
    buffer_puts(out, "<section id=\"admission\" class=\"page\">\n<h2>社区工作事项准入</h2>\n"
                     "<h3>按发文部门</h3>\n");
    status = prepare(d, "SELECT max(tasks) FROM department_stats WHERE run_id = ?1",
                     "department_stats", &statement, e);
    if (status == ERROR_OK)
        status = next_row(d, statement, "department_stats", &row, e);
    if (status == ERROR_OK && sqlite3_column_int64(statement, 0) > 0)
        max = sqlite3_column_int64(statement, 0);
    if (status != ERROR_OK)
        goto done;
    sqlite3_finalize(statement);
    statement = NULL;
    status = prepare(d,
                     "SELECT department, tasks, admitted, rejected, review FROM department_stats "
                     "WHERE run_id = ?1 ORDER BY tasks DESC, department",
                     "department_stats", &statement, e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "department_stats", &row, e)) == ERROR_OK && row) {
        long long v[4];
        if (rows++ == 0)
            buffer_puts(out, "<table>\n<thead><tr><th>部门</th><th class=\"n\">事项</th>"
                             "<th class=\"n\">准入</th><th class=\"n\">拒绝</th>"
                             "<th class=\"n\">待审核</th><th class=\"n\">未准入占比</th>"
                             "<th><span class=\"good\">■</span> 准入 <span class=\"bad\">■</span>"
                             " 拒绝 <span class=\"warn\">■</span> 待审核</th></tr></thead>\n"
                             "<tbody>\n");
        for (k = 0; k < 4; k++) {
            v[k] = sqlite3_column_int64(statement, (int)k + 1);
            totals[k] += v[k];
        }
        buffer_puts(out, "<tr><td>");
        put_text(out, (const char *)sqlite3_column_text(statement, 0));
        buffer_printf(out,
                      "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                      "<td class=\"n%s\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%s</td>"
                      "<td>",
                      v[0], v[1], v[2] > 0 ? " bad" : "", v[2], v[3],
                      v[0] > 0 ? PERCENT(a, (double)(v[0] - v[1]) / (double)v[0], 0) : "—");
        put_decision_bar(out, v[1], v[2], v[3], 160.0 / (double)max);
        buffer_puts(out, "</td></tr>\n");
    }
    if (status != ERROR_OK)
        goto done;
    sqlite3_finalize(statement);
    statement = NULL;
    if (rows > 0)
        buffer_printf(out,
                      "</tbody>\n<tfoot><tr><td>合计</td><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%s</td><td></td></tr></tfoot>\n</table>\n",
                      totals[0], totals[1], totals[2], totals[3],
                      totals[0] > 0
                          ? PERCENT(a, (double)(totals[0] - totals[1]) / (double)totals[0], 0)
                          : "—");
    else
        buffer_puts(out, "<p>本次运行没有部门派发的事项。</p>\n");
    buffer_puts(out, "<h3>按准入清单条目</h3>\n");
    status = prepare(
        d,
        "SELECT t.rule_id, sum(t.decision = 'admit'), sum(t.decision = 'reject'), "
        "sum(t.decision = 'review'), count(*), "
        "(SELECT r.reason FROM task_decisions r WHERE r.run_id = ?1 AND r.rule_id IS t.rule_id "
        "GROUP BY r.reason ORDER BY count(*) DESC, r.reason LIMIT 1) "
        "FROM task_decisions t WHERE t.run_id = ?1 GROUP BY t.rule_id "
        "ORDER BY t.rule_id IS NULL, CASE substr(t.rule_id, 1, 1) WHEN 'N' THEN 0 WHEN 'L' THEN 1 "
        "WHEN 'X' THEN 2 ELSE 3 END, t.rule_id",
        "task_decisions", &statement, e);
    rows = 0;
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "task_decisions", &row, e)) == ERROR_OK && row) {
        if (rows++ == 0)
            buffer_puts(out, "<table>\n<thead><tr><th>条目</th><th class=\"n\">准入</th>"
                             "<th class=\"n\">拒绝</th><th class=\"n\">待审核</th>"
                             "<th class=\"n\">合计</th><th>最常见的理由</th></tr></thead>\n"
                             "<tbody>\n");
        buffer_puts(out, "<tr><td>");
        if (sqlite3_column_type(statement, 0) == SQLITE_NULL)
            buffer_puts(out, "（未匹配任何条目）");
        else {
            buffer_puts(out, "<code>");
            put_text(out, (const char *)sqlite3_column_text(statement, 0));
            buffer_puts(out, "</code>");
        }
        buffer_printf(out,
                      "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>",
                      (long long)sqlite3_column_int64(statement, 1),
                      (long long)sqlite3_column_int64(statement, 2),
                      (long long)sqlite3_column_int64(statement, 3),
                      (long long)sqlite3_column_int64(statement, 4));
        put_text(out, (const char *)sqlite3_column_text(statement, 5));
        buffer_puts(out, "</td></tr>\n");
    }
    if (status != ERROR_OK)
        goto done;
    if (rows > 0)
        buffer_puts(out, "</tbody>\n</table>\n<p class=\"note\">条目：N 负面清单，L 依法履职，"
                         "X 协助政府；理由为该条目下出现最多的一条。</p>\n");
    else
        buffer_puts(out, "<p>本次运行没有事项决定。</p>\n");
    buffer_puts(out, "</section>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* One street check of target `t` (a row of `statement`: target, street,
** required, actual, met) in the near-target table, opening the table when
** `first`. Returns 1 when it was near enough to be listed, else 0. */
static int write_review_street(const document *d, const report_target *t, sqlite3_stmt *statement,
                               bool first, buffer *out)
{
    double required = sqlite3_column_double(statement, 2);
    double actual = sqlite3_column_double(statement, 3);
    bool met = sqlite3_column_int(statement, 4) != 0;
    double margin = t->count ? COUNT_MARGIN : RATIO_MARGIN, gap = actual - required;
    char a[48];
    if (met ? gap > margin + d->epsilon : gap < -margin - d->epsilon)
        return 0;
    if (first)
        buffer_puts(out, "<table>\n<thead><tr><th>目标</th><th>街道</th>"
                         "<th class=\"n\">实际</th><th class=\"n\">要求</th>"
                         "<th class=\"n\">差距</th><th class=\"c\">结果</th></tr></thead>\n"
                         "<tbody>\n");
    buffer_puts(out, "<tr><td>");
    put_text(out, t->name);
    buffer_puts(out, "</td><td>");
    put_text(out, (const char *)sqlite3_column_text(statement, 1));
    buffer_puts(out, "</td><td class=\"n\">");
    put_measure(out, t, actual);
    buffer_puts(out, "</td><td class=\"n\">");
    put_measure(out, t, required);
    buffer_printf(out, "</td><td class=\"n\">%s</td><td class=\"c %s\">%s</td></tr>\n",
                  t->count ? SIGNED(a, gap, 2) : SIGNED(a, gap * 100, 1), met ? "warn" : "bad",
                  met ? "刚达标" : "差一点");
    return 1;
}

/* The near-threshold list: communities within the margin of a star line,
** and streets within a margin of a target they miss or barely meet. */
static int write_review(const document *d, buffer *out, error *e)
{
    sqlite3_stmt *statement = NULL;
    size_t i, k, line, rows = 0;
    bool row;
    char a[48], b[48];
    int status;
    buffer_printf(out,
                  "<section id=\"review\" class=\"page\">\n<h2>发布前复核：临界名单</h2>\n"
                  "<h3>总分在星级线 ±%s 分以内的社区</h3>\n",
                  TRIM(a, d->margin, 2));
    for (line = 0; line < d->grade_count; line++) {
        const report_grade *g = &d->grades[line];
        if (isnan(g->threshold))
            continue;
        for (i = 0; i < d->community_count; i++) {
            const report_community *c = d->ranked[i];
            double gap = c->total - g->threshold;
            if (isnan(c->total) || fabs(gap) > d->margin + d->epsilon)
                continue;
            if (rows++ == 0)
                buffer_puts(out, "<table>\n<thead><tr><th>星级线</th><th>社区</th>"
                                 "<th>区 / 街道</th><th class=\"n\">总分</th>"
                                 "<th class=\"n\">距线</th><th class=\"c\">现星级</th>"
                                 "</tr></thead>\n<tbody>\n");
            buffer_puts(out, "<tr><td>");
            put_text(out, g->name);
            buffer_printf(out, "线 %s</td><td>", TRIM(a, g->threshold, 2));
            put_text(out, c->name);
            buffer_puts(out, " <span class=\"muted\">");
            put_text(out, c->id);
            buffer_puts(out, "</span></td><td>");
            put_text(out, c->district);
            buffer_puts(out, " / ");
            put_text(out, c->street);
            buffer_printf(out, "</td><td class=\"n total\">%s</td><td class=\"n %s\">%s</td>",
                          FIXED(a, c->total, 2), gap < -d->epsilon ? "bad" : "good",
                          SIGNED(b, gap, 2));
            put_stars_cell(d, out, c);
            buffer_puts(out, "</tr>\n");
        }
    }
    if (rows > 0)
        buffer_puts(out, "</tbody>\n</table>\n");
    for (line = 0; rows > 0 && line < d->grade_count; line++) {
        const report_grade *g = &d->grades[line];
        if (g->conditions == NULL)
            continue;
        buffer_puts(out, "<p class=\"note\">");
        put_text(out, g->name);
        buffer_puts(out, "还要求 ");
        put_text(out, g->conditions);
        buffer_puts(out, "：总分高于");
        put_text(out, g->name);
        buffer_puts(out, "线而未获");
        put_text(out, g->name);
        buffer_puts(out, "的社区即因此未获。</p>\n");
    }
    if (rows == 0)
        buffer_puts(out, "<p>没有社区在星级线附近。</p>\n");
    buffer_printf(out, "<h3>在目标附近的街道（比例 ±%s，计数 ±%s）</h3>\n",
                  PERCENT(a, RATIO_MARGIN, 0), TRIM(b, COUNT_MARGIN, 0));
    status = prepare(d,
                     "SELECT target_id, scope_id, required, actual, met FROM target_checks "
                     "WHERE run_id = ?1 AND target_id = ?2 AND scope = 'street' "
                     "AND actual IS NOT NULL ORDER BY scope_id",
                     "target_checks", &statement, e);
    rows = 0;
    /* target by target, in the rules' order */
    for (k = 0; status == ERROR_OK && k < d->target_count; k++) {
        sqlite3_reset(statement);
        status = bind_text(d, statement, 2, d->targets[k].id, "target_checks", e);
        while (status == ERROR_OK &&
               (status = next_row(d, statement, "target_checks", &row, e)) == ERROR_OK && row)
            rows += write_review_street(d, &d->targets[k], statement, rows == 0, out);
    }
    if (status != ERROR_OK)
        goto done;
    if (rows > 0)
        buffer_puts(out, "</tbody>\n</table>\n<p class=\"note\">比例目标的差距以百分点计。</p>\n");
    else
        buffer_puts(out, "<p>没有街道在目标附近。</p>\n");
    buffer_puts(out, "</section>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* The whole region report. */
static int write_region(const document *d, buffer *out, error *e)
{
    int status;
    write_head(d, out, "社区年度考核报告");
    buffer_puts(out, "<main class=\"sheet\">\n");
    write_header(d, out);
    status = write_stars(d, out, e);
    if (status == ERROR_OK)
        write_ranking(d, out);
    if (status == ERROR_OK)
        status = write_districts(d, out, e);
    if (status == ERROR_OK)
        status = write_trajectories(d, out, e);
    if (status == ERROR_OK)
        status = write_targets(d, out, e);
    if (status == ERROR_OK)
        status = write_workers(d, out, e);
    if (status == ERROR_OK)
        status = write_admission(d, out, e);
    if (status == ERROR_OK)
        status = write_review(d, out, e);
    buffer_puts(out, "<footer class=\"note\"><p>");
    put_text(out, d->engine_version);
    buffer_printf(out,
                  " 根据结果库运行 #%lld 生成；分数未经取整保存，报告显示两位小数。</p>"
                  "</footer>\n</main>\n</body>\n</html>\n",
                  d->run_id);
    return status;
}

/* --- community report card ------------------------------------------------- */

/* A radar chart of the community's category shares against the region's
** average (needs at least three categories). */
static int write_radar(const document *d, const report_community *c, buffer *out, error *e)
{
    chart_spoke *spokes = calloc(d->category_count + 1, sizeof *spokes);
    size_t k;
    if (spokes == NULL)
        return error_set(e, ERROR_SYSTEM, "out of memory");
    for (k = 0; k < d->category_count; k++) {
        const report_category *cat = &d->categories[k];
        spokes[k] = (chart_spoke){
            cat->name, cat->max_points > 0 ? c->points[k] / cat->max_points : NAN, cat->average};
    }
    chart_radar(out, "各类得分率雷达图", spokes, d->category_count, "本社区", "全市平均",
                format_percent);
    free(spokes);
    return ERROR_OK;
}

/* A measured value with its unit: a ratio (unit 比例) as a percentage. */
static void put_value(buffer *out, double value, const char *unit)
{
    char a[48];
    if (isnan(value)) {
        buffer_puts(out, "—");
        return;
    }
    if (unit != NULL && strcmp(unit, "比例") == 0) {
        buffer_puts(out, PERCENT(a, value, 1));
        return;
    }
    buffer_puts(out, TRIM(a, value, 2));
    if (unit != NULL && unit[0] != '\0') {
        buffer_puts(out, " <span class=\"muted\">");
        put_text(out, unit);
        buffer_puts(out, "</span>");
    }
}

/* The card's category table: points, max, share, region average. */
static void write_card_categories(const document *d, const report_community *c, buffer *out)
{
    size_t k;
    char a[48], b[48];
    buffer_puts(out, "<table>\n<thead><tr><th>类别</th><th class=\"n\">得分</th>"
                     "<th class=\"n\">满分</th><th class=\"n\">得分率</th><th class=\"n\">全市平均"
                     "</th></tr></thead>\n<tbody>\n");
    for (k = 0; k < d->category_count; k++) {
        const report_category *cat = &d->categories[k];
        double share = cat->max_points > 0 ? c->points[k] / cat->max_points : NAN;
        buffer_puts(out, "<tr><td>");
        put_text(out, cat->id);
        buffer_puts(out, " ");
        put_text(out, cat->name);
        buffer_printf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
                      FIXED(a, c->points[k], 2), TRIM(b, cat->max_points, 2));
        buffer_printf(out, "<td class=\"n%s\">%s</td>",
                      !isnan(share) && share < cat->average - d->epsilon ? " bad" : "",
                      PERCENT(a, share, 1));
        buffer_printf(out, "<td class=\"n\">%s</td></tr>\n", PERCENT(a, cat->average, 1));
    }
    buffer_puts(out, "</tbody>\n</table>\n");
}

/* The card's targets: the community's checks, then its street's. */
static int write_card_targets(const document *d, const report_community *c, buffer *out, error *e)
{
    sqlite3_stmt *statement = NULL;
    size_t rows = 0, k, level;
    bool row;
    int status;
    status = prepare(d,
                     "SELECT scope, scope_id, target_id, required, actual, met FROM target_checks "
                     "WHERE run_id = ?1 AND target_id = ?4 AND ((?5 = 0 AND scope = 'community' "
                     "AND scope_id = ?2) OR (?5 = 1 AND scope = 'street' AND scope_id = ?3))",
                     "target_checks", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, c->id, "target_checks", e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 3, c->street_id, "target_checks", e);
    /* the community's checks, then its street's; each in the rules' order */
    for (level = 0; level < 2; level++)
        for (k = 0; status == ERROR_OK && k < d->target_count; k++) {
            sqlite3_reset(statement);
            sqlite3_bind_int(statement, 5, (int)level);
            status = bind_text(d, statement, 4, d->targets[k].id, "target_checks", e);
            while (status == ERROR_OK &&
                   (status = next_row(d, statement, "target_checks", &row, e)) == ERROR_OK && row) {
                const report_target *t =
                    find_target(d, (const char *)sqlite3_column_text(statement, 2));
                double actual = column_real(statement, 4);
                bool met = sqlite3_column_int(statement, 5) != 0;
                bool street =
                    strcmp((const char *)sqlite3_column_text(statement, 0), "street") == 0;
                if (rows++ == 0)
                    buffer_puts(out,
                                "<table class=\"targets\">\n<thead><tr><th>范围</th><th>目标</th>"
                                "<th class=\"n\">实际</th><th class=\"n\">要求</th>"
                                "<th class=\"c\">结果</th></tr></thead>\n<tbody>\n");
                buffer_printf(out, "<tr><td class=\"c\">%s</td><td>", street ? "街道" : "社区");
                put_text(out,
                         t != NULL ? t->name : (const char *)sqlite3_column_text(statement, 2));
                buffer_puts(out, "</td><td class=\"n\">");
                put_measure(out, t, actual);
                buffer_puts(out, "</td><td class=\"n\">");
                put_measure(out, t, sqlite3_column_double(statement, 3));
                buffer_printf(out, "</td><td class=\"c %s\">%s</td></tr>\n", met ? "good" : "bad",
                              met             ? "达标"
                              : isnan(actual) ? "无法计算"
                                              : "未达标");
            }
        }
    if (status != ERROR_OK)
        goto done;
    if (rows > 0)
        buffer_puts(out, "</tbody>\n</table>\n");
    else
        buffer_puts(out, "<p class=\"note\">没有该社区或其街道的目标检查。</p>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* The card's flagged workers (ids only, no names). */
static int write_card_workers(const document *d, const report_community *c, buffer *out, error *e)
{
    sqlite3_stmt *statement = NULL;
    size_t rows = 0;
    bool row;
    char a[48];
    int status;
    status = prepare(d,
                     "SELECT worker_id, score, rank, flag FROM worker_appraisals "
                     "WHERE run_id = ?1 AND community_id = ?2 AND flag IS NOT NULL "
                     "ORDER BY worker_id",
                     "worker_appraisals", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, c->id, "worker_appraisals", e);
    buffer_puts(out, "<p class=\"workers\"><b>标记社工：</b>");
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "worker_appraisals", &row, e)) == ERROR_OK && row) {
        buffer_puts(out, rows++ ? "；<code>" : "<code>");
        put_text(out, (const char *)sqlite3_column_text(statement, 0));
        buffer_printf(out, "</code>（%s，%s",
                      flag_name(d, (const char *)sqlite3_column_text(statement, 3)),
                      FIXED(a, column_real(statement, 1), 2));
        if (sqlite3_column_type(statement, 2) != SQLITE_NULL)
            buffer_printf(out, "，街道内第 %d 低", sqlite3_column_int(statement, 2));
        buffer_puts(out, "）");
    }
    if (status != ERROR_OK)
        goto done;
    buffer_puts(out, rows ? "</p>\n" : "无</p>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* The card's indicators sorted by points lost (then id); rows that lost
** points have class "lost". Sets *lost_total to the points lost. */
static int write_card_indicators(const document *d, const report_community *c, buffer *out,
                                 double *lost_total, error *e)
{
    sqlite3_stmt *statement = NULL;
    size_t rows = 0;
    bool row;
    char a[48], b[48];
    int status;
    *lost_total = 0;
    status = prepare(d,
                     "SELECT s.indicator_id, coalesce(i.name, s.indicator_id), i.unit, s.value, "
                     "s.status, s.points, s.max_points, s.max_points - s.points "
                     "FROM indicator_scores s LEFT JOIN run_indicators i "
                     "ON i.run_id = s.run_id AND i.indicator_id = s.indicator_id "
                     "WHERE s.run_id = ?1 AND s.community_id = ?2 "
                     "ORDER BY round(s.max_points - s.points, 6) DESC, s.indicator_id",
                     "indicator_scores", &statement, e);
    if (status == ERROR_OK)
        status = bind_text(d, statement, 2, c->id, "indicator_scores", e);
    while (status == ERROR_OK &&
           (status = next_row(d, statement, "indicator_scores", &row, e)) == ERROR_OK && row) {
        const char *state = (const char *)sqlite3_column_text(statement, 4);
        double lost = sqlite3_column_double(statement, 7);
        *lost_total += lost;
        if (rows++ == 0)
            buffer_puts(out, "<table class=\"indicators\">\n"
                             "<thead><tr><th>编号</th><th>指标</th><th class=\"n\">数值</th>"
                             "<th class=\"c\">状态</th><th class=\"n\">得分</th>"
                             "<th class=\"n\">满分</th><th class=\"n\">失分</th></tr></thead>\n"
                             "<tbody>\n");
        buffer_printf(out, "<tr%s><td>", lost > d->epsilon ? " class=\"lost\"" : "");
        put_text(out, (const char *)sqlite3_column_text(statement, 0));
        buffer_puts(out, "</td><td>");
        put_text(out, (const char *)sqlite3_column_text(statement, 1));
        buffer_puts(out, "</td><td class=\"n\">");
        put_value(out, column_real(statement, 3), (const char *)sqlite3_column_text(statement, 2));
        buffer_printf(out, "</td><td class=\"c%s\">",
                      state != NULL && strcmp(state, "ok") != 0 ? " bad" : "");
        put_text(out, status_name(d, state != NULL ? state : ""));
        buffer_printf(out, "</td><td class=\"n\">%s</td>",
                      FIXED(a, sqlite3_column_double(statement, 5), 2));
        buffer_printf(out, "<td class=\"n\">%s</td><td class=\"n%s\">%s</td></tr>\n",
                      TRIM(a, sqlite3_column_double(statement, 6), 2),
                      lost > d->epsilon ? " bad" : "", FIXED(b, lost, 2));
    }
    if (status != ERROR_OK)
        goto done;
    if (rows > 0)
        buffer_puts(out, "</tbody>\n</table>\n");
    else
        buffer_puts(out, "<p>本次运行没有该社区的指标得分。</p>\n");
done:
    sqlite3_finalize(statement);
    return status;
}

/* One community's report card (社区体检单): header and key figures, the
** radar beside the category table and its targets, the indicators, then its
** flagged workers. The indicators are written first into a side buffer, so
** the key figures can show the points lost. */
static int write_card(const document *d, const report_community *c, buffer *out, error *e)
{
    buffer indicators;
    size_t k, scored = 0;
    char a[48], b[48];
    double lost_total = 0;
    int status;
    buffer_init(&indicators);
    for (k = 0; k < d->community_count; k++)
        scored += !isnan(d->communities[k].total);
    status = write_card_indicators(d, c, &indicators, &lost_total, e);
    if (status != ERROR_OK)
        goto done;
    buffer_puts(out, "<section class=\"card sheet\" id=\"card-");
    put_text(out, c->id);
    buffer_puts(out, "\">\n<h1>社区体检单 · ");
    put_text(out, c->name);
    buffer_puts(out, "</h1>\n<p class=\"sub\">");
    put_text(out, d->region);
    buffer_puts(out, " · ");
    put_text(out, c->district);
    buffer_puts(out, " / ");
    put_text(out, c->street);
    buffer_puts(out, " · 编号 ");
    put_text(out, c->id);
    buffer_puts(out, " · 截至 ");
    put_text(out, d->as_of);
    buffer_printf(out, " · 运行 #%lld</p>\n<div class=\"kpis\">", d->run_id);
    if (isnan(d->total))
        buffer_puts(out, "<div class=\"kpi\"><span>总分</span>");
    else
        buffer_printf(out, "<div class=\"kpi\"><span>总分（满分 %s）</span>", TRIM(b, d->total, 2));
    buffer_printf(out, "<b class=\"total\">%s</b></div>", FIXED(a, c->total, 2));
    buffer_printf(out, "<div class=\"kpi\"><span>星级</span><b class=\"s%d\">",
                  isnan(c->total) ? 0 : c->stars);
    put_text(out, stars_name(d, c));
    buffer_puts(out, "</b></div>");
    if (c->rank > 0)
        buffer_printf(out, "<div class=\"kpi\"><span>全市排名</span><b>%d / %zu</b></div>", c->rank,
                      scored);
    else
        buffer_puts(out, "<div class=\"kpi\"><span>全市排名</span><b>—</b></div>");
    buffer_printf(out, "<div class=\"kpi\"><span>失分合计</span><b>%s</b></div></div>\n",
                  FIXED(a, lost_total, 2));
    buffer_puts(out, "<div class=\"row\">\n<figure class=\"radar\">\n");
    status = write_radar(d, c, out, e);
    if (status != ERROR_OK)
        goto done;
    buffer_puts(out, "</figure>\n<div>\n");
    write_card_categories(d, c, out);
    status = write_card_targets(d, c, out, e);
    if (status != ERROR_OK)
        goto done;
    buffer_puts(out, "</div>\n</div>\n<h2>指标明细（按失分从多到少）</h2>\n");
    buffer_append(out, buffer_text(&indicators), indicators.length);
    if (buffer_failed(&indicators)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory writing the report");
        goto done;
    }
    status = write_card_workers(d, c, out, e);
    if (status != ERROR_OK)
        goto done;
    buffer_puts(out, "<p class=\"note\">得分率低于全市平均的类别标为红色；状态为缺失或无效的指标得 "
                     "0 分。</p>\n</section>\n");
done:
    buffer_free(&indicators);
    return status;
}

/* The report card of one community, or of every community ("all"). */
static int write_cards(const document *d, const report_community *only, buffer *out, error *e)
{
    size_t i;
    int status = ERROR_OK;
    write_head(d, out, only != NULL ? only->name : "社区体检单");
    if (only != NULL)
        status = write_card(d, only, out, e);
    for (i = 0; only == NULL && status == ERROR_OK && i < d->community_count; i++)
        status = write_card(d, &d->communities[i], out, e);
    if (only == NULL && d->community_count == 0)
        buffer_puts(out, "<main class=\"sheet\"><p>本次运行没有社区。</p></main>\n");
    buffer_puts(out, "</body>\n</html>\n");
    return status;
}

/* --- entry point ----------------------------------------------------------- */

/* Fills `e` for a community id the run does not have, suggesting a close id
** or the id of a community of that name. */
static int unknown_community(const document *d, const char *id, error *e)
{
    const char **ids = malloc((d->community_count + 1) * sizeof *ids);
    const char *best = NULL;
    size_t i;
    int status;
    for (i = 0; i < d->community_count; i++) {
        if (strcmp(d->communities[i].name, id) == 0) {
            status = error_set(e, ERROR_INPUT,
                               "%s: run %lld has no community %s (%s is the name of community %s: "
                               "give its id)",
                               d->path, d->run_id, id, id, d->communities[i].id);
            goto done;
        }
        if (ids != NULL)
            ids[i] = d->communities[i].id;
    }
    if (ids != NULL)
        best = text_suggest(id, ids, d->community_count);
    if (best != NULL)
        status = error_set(e, ERROR_INPUT, "%s: run %lld has no community %s (did you mean %s?)",
                           d->path, d->run_id, id, best);
    else
        status = error_set(e, ERROR_INPUT, "%s: run %lld has no community %s (%zu communities)",
                           d->path, d->run_id, id, d->community_count);
done:
    free(ids);
    return status;
}

/* report.h. Checks the options, loads the document, writes the page into a
** buffer of its own and appends it to `out` only when everything succeeded. */
int report_write(const report_options *options, buffer *out, error *e)
{
    document d;
    buffer page;
    const report_community *only = NULL;
    int status = ERROR_OK;
    memset(&d, 0, sizeof d);
    buffer_init(&page);
    if (options == NULL || options->results_path == NULL) {
        status = error_set(e, ERROR_USAGE, "report: no results database given");
        goto done;
    }
    if (isnan(options->margin) || options->margin < 0) {
        status = error_set(e, ERROR_USAGE, "report: the margin must be a number of points >= 0");
        goto done;
    }
    if (options->run_id < 0) {
        status =
            error_set(e, ERROR_USAGE, "report: run ids are positive (got %lld)", options->run_id);
        goto done;
    }
    d.path = options->results_path;
    d.margin = options->margin > 0 ? options->margin : 1.0;
    status = open_results(&d, e);
    if (status == ERROR_OK)
        status = choose_run(&d, options->run_id, e);
    if (status == ERROR_OK)
        status = load_run(&d, e);
    if (status == ERROR_OK)
        status = load_rules(&d, e);
    if (status == ERROR_OK)
        status = load_labels(&d, e);
    if (status == ERROR_OK)
        status = load_communities(&d, e);
    if (status == ERROR_OK)
        status = load_targets(&d, e);
    if (status == ERROR_OK && d.out_of_memory)
        status = error_set(e, ERROR_SYSTEM, "out of memory");
    if (status != ERROR_OK)
        goto done;
    if (options->community_id == NULL) {
        status = write_region(&d, &page, e);
    } else {
        if (strcmp(options->community_id, "all") != 0) {
            only = find_community(&d, options->community_id);
            if (only == NULL) {
                status = unknown_community(&d, options->community_id, e);
                goto done;
            }
        }
        status = write_cards(&d, only, &page, e);
    }
    if (status != ERROR_OK)
        goto done;
    if (buffer_failed(&page)) {
        status = error_set(e, ERROR_SYSTEM, "out of memory writing the report");
        goto done;
    }
    buffer_append(out, buffer_text(&page), page.length);
    if (buffer_failed(out))
        status = error_set(e, ERROR_SYSTEM, "out of memory writing the report");
done:
    buffer_free(&page);
    document_free(&d);
    return status;
}
