/*
** tests/fuzz/fuzz_snapshot.c — libFuzzer harness: evaluating a random snapshot.
**
** The input bytes are decoded into a small snapshot: the canonical schema
** (snapshot_create_schema()), a few schema perturbations, and rows of every
** table whose values are mostly plausible but, as the bytes say, NULL,
** negative, huge (9.2e18, 1e308, Inf), text in number columns, invalid
** UTF-8, blobs, impossible dates (2023-02-30), quotes and newlines in ids,
** long text, duplicate ids and dangling references. Then the engine's whole
** eval path runs on it with the shipped rules (loaded once):
**
**   snapshot_open() -> rules_check_invariants() -> eval_load() -> eval_score()
**   -> summary_write() -> results_append() (into a fresh results file).
**
** Layout of the input: byte 0 = schema flags, byte 1 = more flags, byte 2 =
** as_of choice, byte 3 = the table a schema change applies to (plus one more
** byte when a trigger is added), one byte per table for its row count, then
** the rows' values, column by column (one choice byte each, sometimes one
** more), and last the table a view replaces (see build_snapshot()). Reads
** past the end give zeros, so every input decodes to something.
**
** Oracles (FUZZ_CHECK): snapshot_open() refuses with ERROR_INPUT and a
** message (never ERROR_SYSTEM), and always refuses a NULL in a column the
** canonical schema declares NOT NULL or PRIMARY KEY; an accepted snapshot evaluates without an
** ERROR_SYSTEM; every score is finite with 0 <= points <= max, status 0..2,
** totals equal the sum of points, stars in {0,2,3,4,5}, ranks in 1..n;
** every task has a decision; the results file holds exactly one run with
** 33 x communities indicator rows.
*/
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "eval.h"
#include "fuzz_common.h"
#include "sqlguard.h"
#include "summary.h"
#include "results.h"
#include "rules.h"
#include "snapshot.h"

static rules *shipped;
static char snapshot_path[4096], results_path[4096];

static void load_required_columns(void);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rules_options options;
    error e;
    (void)argc;
    (void)argv;
    fuzz_sql_guard("fuzz_snapshot");
    memset(&options, 0, sizeof options);
    options.directory = fuzz_root();
    options.default_root = fuzz_root();
    error_clear(&e);
    if (rules_load(&options, &shipped, &e) != ERROR_OK || shipped->problem_count > 0) {
        fprintf(stderr, "fuzz_snapshot: cannot load the shipped rules from %s: %s\n",
                fuzz_root(), e.message);
        abort();
    }
    snprintf(snapshot_path, sizeof snapshot_path, "%s/snapshot.db", fuzz_workdir());
    snprintf(results_path, sizeof results_path, "%s/results.db", fuzz_workdir());
    load_required_columns();
    return 0;
}

/* --- values ------------------------------------------------------------------ */

typedef enum {
    COL_ID,       /* the row's own id */
    COL_COMMUNITY, /* a reference to communities.id */
    COL_WORKER,   /* a reference to workers.id */
    COL_TEXT,     /* free text (names, titles) */
    COL_DATE,
    COL_MONTH,
    COL_ENUM,
    COL_INT,      /* a count */
    COL_REAL,     /* an amount */
    COL_SCORE,    /* 0..100 */
    COL_BOOL,
    COL_KEY,      /* a facts key */
} column_kind;

typedef struct column_def {
    const char *name;
    column_kind kind;
    const char *values; /* COL_ENUM: '|'-separated */
} column_def;

typedef struct table_def {
    const char *name;
    const char *id_prefix;
    unsigned max_rows;
    column_def columns[17];
} table_def;

static const table_def tables[] = {
    {"communities", "C", 6,
     {{"id", COL_ID, NULL},
      {"name", COL_TEXT, NULL},
      {"district", COL_ENUM, "海港区|山前区|区"},
      {"street", COL_ENUM, "港湾街道|东山街道|街"},
      {"area_km2", COL_REAL, NULL},
      {"population", COL_INT, NULL},
      {"households", COL_INT, NULL},
      {"floating_population", COL_INT, NULL},
      {"minority_population", COL_INT, NULL}}},
    {"workers", "W", 10,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"name", COL_TEXT, NULL},
      {"birth_date", COL_DATE, NULL},
      {"hire_date", COL_DATE, NULL},
      {"role", COL_ENUM, "secretary|director|fulltime|grid"},
      {"education", COL_ENUM, "postgraduate|bachelor|college|highschool|other"},
      {"cert_level", COL_ENUM, "assistant|intermediate|senior"},
      {"cert_date", COL_DATE, NULL},
      {"training_hours", COL_REAL, NULL},
      {"score_civil", COL_SCORE, NULL},
      {"score_community", COL_SCORE, NULL},
      {"score_residents", COL_SCORE, NULL},
      {"status", COL_ENUM, "active|left"},
      {"left_date", COL_DATE, NULL},
      {"left_reason", COL_ENUM, "eliminated|resigned|retired|transferred"}}},
    {"organizations", "O", 6,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"name", COL_TEXT, NULL},
      {"kind", COL_ENUM, "culture|charity|elderly|volunteer|sports|other"},
      {"registered", COL_BOOL, NULL},
      {"evaluated", COL_BOOL, NULL},
      {"rating", COL_ENUM, "A|AA|AAA|AAAA|AAAAA"}}},
    {"activities", "A", 6,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"held_on", COL_DATE, NULL},
      {"kind", COL_ENUM, "co_building|culture|resident|consultation|volunteer|civility"},
      {"participants", COL_INT, NULL},
      {"partner", COL_TEXT, NULL}}},
    {"visits", NULL, 6,
     {{"worker_id", COL_WORKER, NULL},
      {"month", COL_MONTH, NULL},
      {"assigned", COL_INT, NULL},
      {"visited", COL_INT, NULL}}},
    {"postings", "P", 6,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"posted_on", COL_DATE, NULL},
      {"channel", COL_ENUM, "website|wechat|board"}}},
    {"survey_responses", "S", 8,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"satisfied", COL_BOOL, NULL},
      {"score", COL_SCORE, NULL}}},
    {"requests", "R", 6,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"received_on", COL_DATE, NULL},
      {"resolved_on", COL_DATE, NULL},
      {"channel", COL_ENUM, "wish|proposal|hotline|whistle"}}},
    {"tasks", "T", 8,
     {{"id", COL_ID, NULL},
      {"community_id", COL_COMMUNITY, NULL},
      {"department", COL_ENUM, "民政局|卫健委|残联|司法局"},
      {"title", COL_ENUM,
       "请协助安装某某APP|低保户入户调查|社区矫正对象日常走访|关注公众号|挂牌上墙|"
       "残疾人两项补贴资格复核|招商引资|调解民间纠纷"},
      {"detail", COL_TEXT, NULL},
      {"received_on", COL_DATE, NULL},
      {"approval_ref", COL_TEXT, NULL},
      {"funded", COL_BOOL, NULL},
      {"staffed", COL_BOOL, NULL}}},
    {"facts", NULL, 10,
     {{"community_id", COL_COMMUNITY, NULL},
      {"key", COL_KEY, NULL},
      {"value", COL_REAL, NULL}}},
};
#define TABLE_COUNT (sizeof tables / sizeof tables[0])

static const char *const fact_keys[] = {
    "registered_volunteers", "amenity_types", "banned_certificates_issued", "plates",
    "service_hours", "green_ratio", "garbage_sorting", "",
};

static const char *const dates[] = {
    "2025-01-01", "2025-06-15", "2025-12-31", "2024-02-29", "2020-03-01", "1970-01-01",
    "2026-01-01", "2025-02-28",
};

/* The n-th value of a '|'-separated list (wrapping). */
static void enum_value(const char *values, unsigned n, char *out, size_t size)
{
    unsigned count = 1, i;
    const char *p = values, *end;
    for (end = values; *end; end++)
        if (*end == '|')
            count++;
    n %= count;
    for (i = 0; i < n; i++)
        p = strchr(p, '|') + 1;
    end = strchr(p, '|');
    snprintf(out, size, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
}

/* Binds one hostile value (choice `c`) to a slot. */
static void bind_hostile(sqlite3_stmt *st, int slot, unsigned c, fuzz_input *in)
{
    static const char bad_utf8[] = {'a', (char)0xff, (char)0xfe, 'b'};
    static const char overlong[] = {(char)0xc0, (char)0xaf};
    static const char surrogate[] = {(char)0xed, (char)0xa0, (char)0x80};
    size_t length;
    const uint8_t *bytes;
    switch (c % 24) {
    case 0: sqlite3_bind_null(st, slot); break;
    case 1: sqlite3_bind_text(st, slot, "", 0, SQLITE_STATIC); break;
    case 2: sqlite3_bind_int64(st, slot, -1); break;
    case 3: sqlite3_bind_int64(st, slot, INT64_MAX); break;
    case 4: sqlite3_bind_int64(st, slot, INT64_MIN); break;
    case 5: sqlite3_bind_double(st, slot, 1e308); break;
    case 6: sqlite3_bind_double(st, slot, -1e308); break;
    case 7: sqlite3_bind_double(st, slot, INFINITY); break;
    case 8: sqlite3_bind_double(st, slot, 0.5); break;
    case 9: sqlite3_bind_text(st, slot, "abc", -1, SQLITE_STATIC); break;
    case 10: sqlite3_bind_text(st, slot, bad_utf8, sizeof bad_utf8, SQLITE_STATIC); break;
    case 11: sqlite3_bind_text(st, slot, overlong, sizeof overlong, SQLITE_STATIC); break;
    case 12: sqlite3_bind_text(st, slot, surrogate, sizeof surrogate, SQLITE_STATIC); break;
    case 13: sqlite3_bind_blob(st, slot, "\x00\x01", 2, SQLITE_STATIC); break;
    case 14: sqlite3_bind_text(st, slot, "2023-02-30", -1, SQLITE_STATIC); break;
    case 15: sqlite3_bind_text(st, slot, "2023-13-01", -1, SQLITE_STATIC); break;
    case 16: sqlite3_bind_text(st, slot, "0000-00-00", -1, SQLITE_STATIC); break;
    case 17: sqlite3_bind_text(st, slot, " 2025-01-01", -1, SQLITE_STATIC); break;
    case 18: sqlite3_bind_text(st, slot, "it's \"q\"\n\t;--", -1, SQLITE_STATIC); break;
    case 19: sqlite3_bind_text(st, slot, "12", -1, SQLITE_STATIC); break;
    case 20: sqlite3_bind_double(st, slot, -0.0); break;
    case 21: {
        /* long text: up to 8 KiB of one byte */
        size_t n = 1 + fuzz_u8(in) * 32u;
        char *text = malloc(n);
        memset(text, 'x', n);
        sqlite3_bind_text(st, slot, text, (int)n, SQLITE_TRANSIENT);
        free(text);
        break;
    }
    case 22: sqlite3_bind_text(st, slot, "\xe7\xa4\xbe\x00\xe5\x8c\xba", 7, SQLITE_STATIC); break;
    default:
        /* raw fuzz bytes as text */
        bytes = fuzz_bytes(in, 64, &length);
        sqlite3_bind_text(st, slot, (const char *)bytes, (int)length, SQLITE_TRANSIENT);
        break;
    }
}

/* Binds a plausible value of the column's kind, or (1 in 8) a hostile one. */
static void bind_value(sqlite3_stmt *st, int slot, const table_def *t, const column_def *c,
                       unsigned row, unsigned communities, unsigned workers, fuzz_input *in)
{
    uint8_t choice = fuzz_u8(in);
    char text[128];
    if (choice >= 224) {
        bind_hostile(st, slot, choice, in);
        return;
    }
    switch (c->kind) {
    case COL_ID:
        /* usually unique; sometimes a duplicate, a quote or a newline */
        if (choice < 200)
            snprintf(text, sizeof text, "%s%02u", t->id_prefix, row);
        else if (choice < 208)
            snprintf(text, sizeof text, "%s%02u", t->id_prefix, row > 0 ? row - 1 : 0);
        else if (choice < 216)
            snprintf(text, sizeof text, "%s'%u\n\"x", t->id_prefix, row);
        else
            snprintf(text, sizeof text, "%s %u", t->id_prefix, row);
        sqlite3_bind_text(st, slot, text, -1, SQLITE_TRANSIENT);
        break;
    case COL_COMMUNITY:
        if (choice < 216 && communities > 0)
            snprintf(text, sizeof text, "C%02u", choice % communities);
        else
            snprintf(text, sizeof text, "C%02u", 90 + choice % 10); /* dangling */
        sqlite3_bind_text(st, slot, text, -1, SQLITE_TRANSIENT);
        break;
    case COL_WORKER:
        if (choice < 216 && workers > 0)
            snprintf(text, sizeof text, "W%02u", choice % workers);
        else
            snprintf(text, sizeof text, "W%02u", 90 + choice % 10);
        sqlite3_bind_text(st, slot, text, -1, SQLITE_TRANSIENT);
        break;
    case COL_TEXT:
        if (choice < 32)
            sqlite3_bind_null(st, slot);
        else {
            snprintf(text, sizeof text, "名称%u", choice);
            sqlite3_bind_text(st, slot, text, -1, SQLITE_TRANSIENT);
        }
        break;
    case COL_DATE:
        if (choice < 24)
            sqlite3_bind_null(st, slot);
        else
            sqlite3_bind_text(st, slot, dates[choice % 8], -1, SQLITE_STATIC);
        break;
    case COL_MONTH:
        snprintf(text, sizeof text, "2025-%02u", 1 + choice % 12);
        sqlite3_bind_text(st, slot, text, -1, SQLITE_TRANSIENT);
        break;
    case COL_ENUM:
        if (choice < 16)
            sqlite3_bind_null(st, slot);
        else {
            enum_value(c->values, choice, text, sizeof text);
            sqlite3_bind_text(st, slot, text, -1, SQLITE_TRANSIENT);
        }
        break;
    case COL_INT:
        if (choice < 16)
            sqlite3_bind_null(st, slot);
        else
            sqlite3_bind_int64(st, slot, (sqlite3_int64)choice * fuzz_u8(in) * 13);
        break;
    case COL_REAL:
        if (choice < 16)
            sqlite3_bind_null(st, slot);
        else
            sqlite3_bind_double(st, slot, (double)choice * fuzz_u8(in) / 17.0);
        break;
    case COL_SCORE:
        if (choice < 16)
            sqlite3_bind_null(st, slot);
        else
            sqlite3_bind_double(st, slot, (double)(choice % 101));
        break;
    case COL_BOOL:
        sqlite3_bind_int(st, slot, choice & 1);
        break;
    case COL_KEY:
        sqlite3_bind_text(st, slot, fact_keys[choice % 8], -1, SQLITE_STATIC);
        break;
    }
}

/* --- schema perturbations ------------------------------------------------------ */

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Column list "a, b, c" of a table, optionally without one column. */
static void column_list(const table_def *t, int skip, buffer *out)
{
    int i, n = 0;
    for (i = 0; t->columns[i].name != NULL; i++) {
        if (i == skip)
            continue;
        buffer_printf(out, "%s\"%s\"", n++ ? ", " : "", t->columns[i].name);
    }
}

/* Flags byte 0:
**   0x01 a table becomes a view of a renamed copy (refused: "is a view")
**   0x02 a trigger on a table (harmless: the snapshot is opened read-only)
**   0x04 a table loses its PRIMARY KEY / NOT NULL constraints (duplicates,
**        NULL ids and NULL in NOT NULL columns become possible)
**   0x08 a table loses one column
**   0x10 a table gains an extra column
**   0x20 a table is missing
**   0x40 an extra unrelated table, index and view
**   0x80 the connection uses 2 jobs */
static void perturb_schema(sqlite3 *db, uint8_t flags, fuzz_input *in)
{
    const table_def *t = &tables[fuzz_pick(in, TABLE_COUNT)];
    buffer sql;
    buffer_init(&sql);
    if (flags & 0x04) {
        /* same columns, no constraints */
        buffer_printf(&sql, "CREATE TABLE loose AS SELECT * FROM \"%s\" WHERE 0; DROP TABLE \"%s\";"
                            " ALTER TABLE loose RENAME TO \"%s\";",
                      t->name, t->name, t->name);
    } else if (flags & 0x08) {
        int skip = (int)fuzz_pick(in, 3);
        buffer_printf(&sql, "CREATE TABLE cut AS SELECT ");
        column_list(t, skip, &sql);
        buffer_printf(&sql, " FROM \"%s\"; DROP TABLE \"%s\"; ALTER TABLE cut RENAME TO \"%s\";",
                      t->name, t->name, t->name);
    } else if (flags & 0x10) {
        buffer_printf(&sql, "ALTER TABLE \"%s\" ADD COLUMN extra TEXT DEFAULT 'x';", t->name);
    }
    if (sql.length > 0)
        exec(db, buffer_text(&sql));
    buffer_reset(&sql);
    if (flags & 0x02)
        buffer_printf(&sql,
                      "CREATE TRIGGER fuzz_trigger AFTER INSERT ON \"%s\" BEGIN "
                      "DELETE FROM communities; END;",
                      tables[fuzz_pick(in, TABLE_COUNT)].name);
    if (flags & 0x40)
        buffer_printf(&sql, "CREATE TABLE other (x); CREATE INDEX other_x ON other(x);"
                            " CREATE VIEW other_v AS SELECT * FROM other;");
    if (sql.length > 0)
        exec(db, buffer_text(&sql));
    buffer_free(&sql);
}

/* After the rows are in: tables turned into views or dropped. */
static void perturb_after(sqlite3 *db, uint8_t flags, fuzz_input *in)
{
    const table_def *t = &tables[fuzz_pick(in, TABLE_COUNT)];
    buffer sql;
    buffer_init(&sql);
    if (flags & 0x01)
        buffer_printf(&sql,
                      "ALTER TABLE \"%s\" RENAME TO real_%s; CREATE VIEW \"%s\" AS SELECT * FROM "
                      "real_%s;",
                      t->name, t->name, t->name, t->name);
    else if (flags & 0x20)
        buffer_printf(&sql, "DROP TABLE \"%s\";", t->name);
    if (sql.length > 0)
        exec(db, buffer_text(&sql));
    buffer_free(&sql);
}

/* Writes the snapshot decoded from the input; returns the flags. */
static uint8_t build_snapshot(fuzz_input *in)
{
    sqlite3 *db = NULL;
    error e;
    uint8_t flags = fuzz_u8(in), more = fuzz_u8(in), as_of = fuzz_u8(in);
    unsigned counts[TABLE_COUNT];
    size_t t;
    unlink(snapshot_path);
    if (sqlite3_open(snapshot_path, &db) != SQLITE_OK)
        abort();
    error_clear(&e);
    if (snapshot_create_schema(db, &e) != ERROR_OK) {
        fprintf(stderr, "fuzz_snapshot: %s\n", e.message);
        abort();
    }
    exec(db, "BEGIN");
    perturb_schema(db, flags, in);
    {
        /* snapshot_meta: as_of and region, or not */
        static const char *const as_ofs[] = {"2025-12-31", "2025-06-30", "2023-02-30",
                                             "2024-02-29", "0000-01-01", "9999-12-31",
                                             "2025-12-31x", NULL};
        sqlite3_stmt *st = NULL;
        const char *date = as_ofs[as_of % 8];
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO snapshot_meta (key, value) VALUES (?1, ?2)",
                           -1, &st, NULL);
        if (st != NULL) {
            if (date != NULL) {
                sqlite3_bind_text(st, 1, "as_of", -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
                sqlite3_step(st);
                sqlite3_reset(st);
            }
            if (!(more & 0x01)) {
                sqlite3_bind_text(st, 1, "region", -1, SQLITE_STATIC);
                if (more & 0x02)
                    sqlite3_bind_text(st, 2, "海滨\n市'\"", -1, SQLITE_STATIC);
                else
                    sqlite3_bind_text(st, 2, "海滨市", -1, SQLITE_STATIC);
                sqlite3_step(st);
            }
            sqlite3_finalize(st);
        }
    }
    for (t = 0; t < TABLE_COUNT; t++)
        counts[t] = fuzz_pick(in, tables[t].max_rows + 1);
    for (t = 0; t < TABLE_COUNT; t++) {
        const table_def *def = &tables[t];
        buffer sql;
        sqlite3_stmt *st = NULL;
        unsigned row;
        int i, n = 0;
        buffer_init(&sql);
        buffer_printf(&sql, "INSERT OR IGNORE INTO \"%s\" (", def->name);
        column_list(def, -1, &sql);
        buffer_puts(&sql, ") VALUES (");
        for (i = 0; def->columns[i].name != NULL; i++)
            buffer_printf(&sql, "%s?%d", n++ ? ", " : "", i + 1);
        buffer_puts(&sql, ")");
        if (sqlite3_prepare_v2(db, buffer_text(&sql), -1, &st, NULL) == SQLITE_OK) {
            for (row = 0; row < counts[t]; row++) {
                for (i = 0; def->columns[i].name != NULL; i++)
                    bind_value(st, i + 1, def, &def->columns[i], row, counts[0], counts[1], in);
                sqlite3_step(st);
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
            }
        }
        sqlite3_finalize(st);
        buffer_free(&sql);
    }
    perturb_after(db, flags, in);
    exec(db, "COMMIT");
    if (sqlite3_close(db) != SQLITE_OK)
        abort();
    return flags;
}

/* --- the run ------------------------------------------------------------------ */

static void check_scores(const snapshot *s, const eval_result *result)
{
    size_t c, i, n = s->community_count, m = shipped->indicator_count;
    for (c = 0; c < n; c++) {
        double sum = 0;
        for (i = 0; i < m; i++) {
            const indicator_score *score = &result->scores[c * m + i];
            FUZZ_CHECK(score->status <= STATUS_INVALID, "status %d", score->status);
            FUZZ_CHECK(isfinite(score->points) && score->points >= 0 &&
                           score->points <= score->max_points + 1e-9,
                       "community %s indicator %s: points %g of %g (value %g)",
                       s->communities[c].id, shipped->indicators[i].id, score->points,
                       score->max_points, score->value);
            FUZZ_CHECK(score->status != STATUS_OK || !isnan(score->value),
                       "community %s indicator %s: ok with a NaN value", s->communities[c].id,
                       shipped->indicators[i].id);
            sum += score->points;
        }
        FUZZ_CHECK(fabs(sum - result->totals[c]) < 1e-6, "total %g != sum %g", result->totals[c],
                   sum);
        FUZZ_CHECK(result->stars[c] == 0 || (result->stars[c] >= 2 && result->stars[c] <= 5),
                   "stars %d", result->stars[c]);
        FUZZ_CHECK(result->ranks[c] >= 1 && (size_t)result->ranks[c] <= n, "rank %d of %zu",
                   result->ranks[c], n);
    }
}

/* One integer from the results file. */
static long long results_count(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2(results_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The canonical schema's NOT NULL and PRIMARY KEY columns, as one query per
** column ("SELECT 1 FROM t WHERE c IS NULL"), read once from an in-memory
** copy of the schema. SQLite lets a TEXT PRIMARY KEY be NULL, so the file
** itself does not prevent them. */
static char **required_queries;
static size_t required_count;

static void load_required_columns(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    error e;
    size_t capacity = 0;
    error_clear(&e);
    if (sqlite3_open(":memory:", &db) != SQLITE_OK || snapshot_create_schema(db, &e) != ERROR_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p"
                           " WHERE m.type = 'table' AND (p.\"notnull\" OR p.pk > 0)",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz_snapshot: cannot read the canonical schema: %s\n", e.message);
        abort();
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\" WHERE \"%w\" IS NULL LIMIT 1",
                                    (const char *)sqlite3_column_text(st, 0),
                                    (const char *)sqlite3_column_text(st, 1));
        if (required_count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            required_queries = realloc(required_queries, capacity * sizeof *required_queries);
        }
        if (sql == NULL || required_queries == NULL)
            abort();
        required_queries[required_count++] = sql;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The first "table.column" of the written snapshot holding a NULL where the
** canonical schema says NOT NULL or PRIMARY KEY (NULL when none; tables or
** columns that are missing count as none). */
static const char *null_in_required_column(void)
{
    static char where[256];
    sqlite3 *db = NULL;
    const char *found = NULL;
    size_t i;
    if (sqlite3_open_v2(snapshot_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
        for (i = 0; i < required_count && found == NULL; i++) {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v2(db, required_queries[i], -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW) {
                snprintf(where, sizeof where, "%s", required_queries[i]);
                found = where;
            }
            sqlite3_finalize(st);
        }
    sqlite3_close(db);
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size, 0};
    snapshot *s = NULL;
    params ps = {0};
    eval_data loaded;
    eval_result result;
    eval_options options;
    error e;
    uint8_t flags;
    int status;
    const char *null_required;
    memset(&loaded, 0, sizeof loaded);
    memset(&result, 0, sizeof result);
    flags = build_snapshot(&in);
    null_required = null_in_required_column();
    error_clear(&e);
    status = snapshot_open(snapshot_path, &s, &e);
    if (getenv("FUZZ_VERBOSE") != NULL) { /* what an input does: FUZZ_VERBOSE=1 fuzz_snapshot FILE */
        char copy[4200];
        snprintf(copy, sizeof copy, "cp %s %s.kept", snapshot_path, getenv("FUZZ_VERBOSE"));
        fprintf(stderr, "snapshot_open: %d %s (copy: %s.kept)\n", status, e.message,
                getenv("FUZZ_VERBOSE"));
        if (system(copy) != 0)
            fprintf(stderr, "cannot keep the snapshot\n");
    }
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "snapshot_open returned %d: %s",
               status, e.message);
    if (status != ERROR_OK) {
        FUZZ_CHECK(e.message[0] != '\0', "snapshot refused without a message");
        goto done;
    }
    /* Fixed in acde5ee: a NULL communities.id crashed snapshot_open()
    ** (strdup(NULL)), a NULL tasks.id was reported as out of memory. */
    FUZZ_CHECK(null_required == NULL, "accepted a snapshot with a NULL where the schema says NOT "
                                      "NULL or PRIMARY KEY (%s)",
               null_required);
    error_clear(&e);
    if (params_copy(&ps, &shipped->params, &e) != ERROR_OK)
        abort();
    status = rules_check_invariants(shipped, &ps, s->year, &e);
    FUZZ_CHECK(status == ERROR_OK, "invariants fail for year %d: %s", s->year, e.message);
    memset(&options, 0, sizeof options);
    options.jobs = flags & 0x80 ? 2 : 1;
    status = eval_load(shipped, s, &ps, &options, &loaded, &e);
    FUZZ_CHECK(status == ERROR_OK || status == ERROR_INPUT, "eval_load returned %d: %s", status,
               e.message);
    if (status != ERROR_OK)
        goto done;
    status = eval_score(&loaded, &ps, &result, &e);
    FUZZ_CHECK(status == ERROR_OK, "eval_score returned %d: %s", status, e.message);
    check_scores(s, &result);
    {
        buffer out;
        summary_input report;
        buffer_init(&out);
        memset(&report, 0, sizeof report);
        report.run.rules = shipped;
        report.run.snapshot = s;
        report.run.params = &ps;
        report.run.data = &loaded;
        report.run.result = &result;
        report.near = 1;
        FUZZ_CHECK(summary_write(&report, (summary_format)(size % 3), &out) == ERROR_OK,
                   "summary_write failed");
        buffer_free(&out);
    }
    {
        results_run run;
        long long run_id = 0;
        char count_sql[128];
        memset(&run, 0, sizeof run);
        run.run.rules = shipped;
        run.run.snapshot = s;
        run.run.params = &ps;
        run.run.result = &result;
        run.started_at = "2025-01-01T00:00:00Z";
        run.kind = "eval";
        unlink(results_path);
        status = results_append(results_path, &run, 1, &run_id, &e);
        FUZZ_CHECK(status == ERROR_OK, "results_append returned %d: %s", status, e.message);
        FUZZ_CHECK(results_count("SELECT count(*) FROM runs") == 1, "runs != 1");
        snprintf(count_sql, sizeof count_sql,
                 "SELECT count(*) = %zu FROM indicator_scores WHERE run_id = %lld",
                 s->community_count * shipped->indicator_count, run_id);
        FUZZ_CHECK(results_count(count_sql) == 1, "indicator_scores count is wrong");
        snprintf(count_sql, sizeof count_sql,
                 "SELECT count(*) = %zu FROM task_decisions WHERE run_id = %lld",
                 result.outcome.decision_count, run_id);
        FUZZ_CHECK(results_count(count_sql) == 1, "task_decisions count is wrong");
    }
done:
    eval_result_free(&result);
    eval_data_free(&loaded);
    params_free(&ps);
    snapshot_close(s);
    return 0;
}
