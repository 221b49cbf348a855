/*
** xlsx.c — the streaming .xlsx reader of xlsx.h.
**
** A workbook is a zip archive of XML parts. xlsx_open() follows the package
** relationships (_rels/.rels -> the workbook part; its own .rels -> each
** sheet, the shared strings and the styles), reads the sheet list and the
** styles, and keeps the zip open. xlsx_sheet_open() loads the shared strings
** once, then xlsx_sheet_next() feeds the sheet's inflated bytes to expat
** chunk by chunk and suspends the parser at the end of each row that holds a
** value, so a row is handed out while the rest of the sheet is still in the
** archive.
**
** Every part is read through one part_reader: it counts the bytes libzip
** inflates against a limit (a zip bomb is stopped by what comes out, not by
** what the header claims), gives expat a memory allocator with a budget (a
** tag with a gigabyte of attributes is stopped), counts element depth, and
** refuses a DOCTYPE (so no entity is ever declared, let alone expanded).
** Handlers report a problem by filling the reader's error and stopping the
** parser; the pump returns that error.
**
** Element names are matched by their local name (namespace processing on),
** so prefixed parts (<x:row>) and the Strict OOXML namespaces read the same.
*/
#include "xlsx.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

/* Debian's libexpat is built with XML_DTD (the billion-laughs protection
** functions are exported); expat.h declares them only when this is set. */
#ifndef XML_DTD
#define XML_DTD
#endif
#include <expat.h>

#include "buffer.h"
#include "text.h"

#define CHUNK_BYTES 65536  /* bytes inflated and parsed per step */
#define NS_SEP      '\x01' /* expat's namespace separator: not a name character */

/* Date and time parts a number format shows. */
enum { SHOWS_DATE = 1, SHOWS_TIME = 2 };

/* --- expat's memory, with a budget ------------------------------------------ */

/* Expat's allocator has no user pointer: the budget of the parser being
** created or run is set in budget_now around each expat call, and each block
** remembers its budget for realloc and free. */
typedef struct xml_budget {
    size_t used;  /* bytes allocated now */
    size_t limit; /* bytes allowed */
    bool refused; /* an allocation was refused for the limit (not by malloc) */
    bool failed;  /* malloc itself failed: whatever expat then reports, it is
                  ** the machine's failure (expat may call it "unbound prefix") */
} xml_budget;

static _Thread_local xml_budget *budget_now;

typedef union block_header {
    struct {
        size_t size;        /* bytes asked for */
        xml_budget *budget; /* charged for them */
    } h;
    max_align_t align; /* keeps the block after the header aligned */
} block_header;

static void *budget_malloc(size_t size)
{
    xml_budget *b = budget_now;
    block_header *p;
    if (b == NULL || size > b->limit - b->used) {
        if (b != NULL)
            b->refused = true;
        return NULL;
    }
    p = malloc(sizeof *p + size);
    if (p == NULL) {
        b->failed = true;
        return NULL;
    }
    p->h.size = size;
    p->h.budget = b;
    b->used += size;
    return p + 1;
}

static void budget_free(void *ptr)
{
    block_header *p;
    if (ptr == NULL)
        return;
    p = (block_header *)ptr - 1;
    p->h.budget->used -= p->h.size;
    free(p);
}

static void *budget_realloc(void *ptr, size_t size)
{
    block_header *p, *q;
    xml_budget *b;
    if (ptr == NULL)
        return budget_malloc(size);
    p = (block_header *)ptr - 1;
    b = p->h.budget;
    if (size > p->h.size && size - p->h.size > b->limit - b->used) {
        b->refused = true;
        return NULL;
    }
    q = realloc(p, sizeof *q + size);
    if (q == NULL) {
        b->failed = true;
        return NULL;
    }
    b->used = b->used - q->h.size + size;
    q->h.size = size;
    return q + 1;
}

static const XML_Memory_Handling_Suite budget_suite = {budget_malloc, budget_realloc, budget_free};

/* The status of a libzip failure: the machine's (out of memory, zlib out of
** memory, a read error) or the file's. */
static int zip_status(zip_error_t *ze)
{
    int code = zip_error_code_zip(ze);
    if (code == ZIP_ER_MEMORY || (code == ZIP_ER_ZLIB && zip_error_code_system(ze) == -4))
        return ERROR_SYSTEM; /* -4: zlib's Z_MEM_ERROR */
    if (code == ZIP_ER_READ || code == ZIP_ER_OPEN || code == ZIP_ER_SEEK || code == ZIP_ER_TELL)
        return error_errno_status(zip_error_code_system(ze), ERROR_INPUT);
    return ERROR_INPUT;
}

/* --- the book ---------------------------------------------------------------- */

typedef struct sheet_entry {
    char *name;   /* owned */
    char *rid;    /* r:id, owned; NULL once resolved */
    char *part;   /* owned; NULL until resolved */
    bool hidden;  /* state hidden or veryHidden */
    bool is_work; /* a worksheet (not a chart sheet) */
} sheet_entry;

struct xlsx_book {
    char *name;                /* the file name in messages (owned) */
    zip_t *zip;                /* the archive (owned) */
    xlsx_limits limits;        /* copied, defaults filled in */
    sheet_entry *entries;      /* every <sheet> of workbook.xml (owned) */
    size_t entry_count;        /* entries used */
    xlsx_sheet_info *infos;    /* the worksheets, pointing into entries (owned) */
    size_t sheet_count;        /* infos used */
    char *workbook_part;       /* e.g. xl/workbook.xml (owned) */
    char *shared_part;         /* xl/sharedStrings.xml or NULL (owned) */
    char *styles_part;         /* xl/styles.xml or NULL (owned) */
    bool date1904;             /* workbookPr date1904 */
    unsigned char *xf_kinds;   /* SHOWS_* per cellXfs index (owned) */
    size_t xf_count;           /* entries of xf_kinds */
    bool shared_loaded;        /* shared strings read (maybe none) */
    char *shared_text;         /* every shared string, NUL-terminated, end to end */
    size_t shared_length;      /* bytes used of shared_text */
    size_t shared_capacity;    /* bytes allocated */
    size_t *shared_offsets;    /* start of string i in shared_text */
    size_t shared_count;       /* strings */
    size_t shared_offsets_cap; /* entries allocated */
};

/* --- reading one part ------------------------------------------------------- */

typedef struct part_reader {
    xlsx_book *book;   /* borrowed */
    const char *part;  /* the part name (borrowed) */
    const char *sheet; /* the sheet name for messages, or NULL (borrowed) */
    zip_file_t *file;  /* owned */
    XML_Parser parser; /* owned */
    xml_budget budget; /* expat's memory */
    char *chunk;       /* CHUNK_BYTES of inflated data (owned) */
    uint64_t inflated; /* bytes inflated so far */
    uint64_t limit;    /* bytes allowed */
    unsigned depth;    /* elements open now */
    bool final;        /* the last chunk was given to expat */
    bool suspended;    /* the parser is suspended (a row is out) */
    bool done;         /* the part is parsed */
    int status;        /* an error raised in a handler, or ERROR_OK */
    error err;         /* its message */
} part_reader;

/* Local name of an expat name ("uri\1local" or "local"). */
static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, NS_SEP);
    return sep != NULL ? sep + 1 : name;
}

/* Value of the attribute with local name `name`, or NULL. */
static const char *attr(const char **atts, const char *name)
{
    size_t i;
    for (i = 0; atts[i] != NULL; i += 2)
        if (strcmp(local_name(atts[i]), name) == 0)
            return atts[i + 1];
    return NULL;
}

/* Records the first failure raised inside a handler and stops the parser. */
static void reader_fail(part_reader *r, int status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void reader_fail(part_reader *r, int status, const char *format, ...)
{
    va_list args;
    if (r->status != ERROR_OK)
        return;
    va_start(args, format);
    error_setv(&r->err, status, format, args);
    va_end(args);
    r->status = status;
    XML_StopParser(r->parser, XML_FALSE);
}

/* The part as messages name it: "sheet 'NAME' (PART)" or "PART". */
static void reader_where(const part_reader *r, char *out, size_t size)
{
    if (r->sheet != NULL)
        snprintf(out, size, "%s (%s)", r->sheet, r->part);
    else
        snprintf(out, size, "%s", r->part);
}

/* Enters an element: false (and the reader failed) when too deep. */
static bool reader_enter(part_reader *r)
{
    char where[1024];
    if (r->status != ERROR_OK)
        return false;
    if (++r->depth > r->book->limits.max_depth) {
        reader_where(r, where, sizeof where);
        reader_fail(r, ERROR_INPUT, "%s: %s: line %lu: elements nested more than %u deep",
                    r->book->name, where, (unsigned long)XML_GetCurrentLineNumber(r->parser),
                    r->book->limits.max_depth);
        return false;
    }
    return true;
}

static void XMLCALL refuse_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
                                   const XML_Char *pubid, int has_internal)
{
    part_reader *r = user; /* every context starts with its part_reader */
    char where[1024];
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    reader_where(r, where, sizeof where);
    reader_fail(r, ERROR_INPUT,
                "%s: %s: line %lu: a DOCTYPE is not allowed in a workbook (it could declare "
                "entities that expand without end)",
                r->book->name, where, (unsigned long)XML_GetCurrentLineNumber(r->parser));
}

static void XMLCALL refuse_entity(void *user, const XML_Char *name, int is_parameter,
                                  const XML_Char *value, int length, const XML_Char *base,
                                  const XML_Char *sysid, const XML_Char *pubid,
                                  const XML_Char *notation)
{
    (void)name, (void)is_parameter, (void)value, (void)length, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    refuse_doctype(user, NULL, NULL, NULL, 0);
}

/* Index of the entry named `name`, or -1. Part names are case-insensitive
** (OPC), but libzip finds an exact name through its hash table and a
** case-insensitive one by scanning every entry: exact first. */
static zip_int64_t part_locate(zip_t *zip, const char *name)
{
    zip_int64_t index = zip_name_locate(zip, name, 0);
    return index >= 0 ? index : zip_name_locate(zip, name, ZIP_FL_NOCASE);
}

/* Opens `part` of the book for parsing with the handlers; `user` must start
** with `r`. Returns ERROR_OK, or an error (a missing part is ERROR_INPUT);
** reader_close() is needed either way. */
static int reader_open(part_reader *r, xlsx_book *b, const char *part, const char *sheet,
                       uint64_t limit, void *user, XML_StartElementHandler start,
                       XML_EndElementHandler end, XML_CharacterDataHandler chars, error *e)
{
    zip_int64_t index;
    memset(r, 0, sizeof *r);
    r->book = b;
    r->part = part;
    r->sheet = sheet;
    r->limit = limit;
    r->budget.limit = b->limits.max_parser_memory;
    index = part_locate(b->zip, part);
    if (index < 0)
        return error_set(e, ERROR_INPUT, "%s: the part %s is missing from the archive%s%s%s",
                         b->name, part, sheet != NULL ? " (sheet " : "", sheet != NULL ? sheet : "",
                         sheet != NULL ? ")" : "");
    r->file = zip_fopen_index(b->zip, (zip_uint64_t)index, 0);
    if (r->file == NULL) {
        zip_error_t *ze = zip_get_error(b->zip);
        int code = zip_error_code_zip(ze);
        return error_set(e, zip_status(ze), "%s: %s: cannot be read: %s%s", b->name, part,
                         zip_error_strerror(ze),
                         code == ZIP_ER_NOPASSWD ? " (the workbook is password-protected: save "
                                                   "it again without a password)"
                                                 : "");
    }
    r->chunk = malloc(CHUNK_BYTES);
    budget_now = &r->budget;
    r->parser = XML_ParserCreate_MM(NULL, &budget_suite, "\x01");
    budget_now = NULL;
    if (r->chunk == NULL || r->parser == NULL)
        return error_set(e, ERROR_SYSTEM, "%s: %s: out of memory", b->name, part);
    XML_SetUserData(r->parser, user);
    XML_SetElementHandler(r->parser, start, end);
    XML_SetCharacterDataHandler(r->parser, chars);
    XML_SetStartDoctypeDeclHandler(r->parser, refuse_doctype);
    XML_SetEntityDeclHandler(r->parser, refuse_entity);
    XML_SetParamEntityParsing(r->parser, XML_PARAM_ENTITY_PARSING_NEVER);
    /* Never reached (a DOCTYPE is refused first); a second wall all the same. */
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(r->parser, 10.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(r->parser, 1 << 20);
    return ERROR_OK;
}

static void reader_close(part_reader *r)
{
    if (r->parser != NULL) {
        budget_now = &r->budget;
        XML_ParserFree(r->parser);
        budget_now = NULL;
        r->parser = NULL;
    }
    if (r->file != NULL)
        zip_fclose(r->file);
    r->file = NULL;
    free(r->chunk);
    r->chunk = NULL;
}

/* The error of a failed XML_Parse/XML_ResumeParser. */
static int reader_xml_error(part_reader *r, error *e)
{
    enum XML_Error code = XML_GetErrorCode(r->parser);
    char where[1024];
    reader_where(r, where, sizeof where);
    if (r->status != ERROR_OK) {
        error_set(e, r->status, "%s", r->err.message);
        return r->status;
    }
    if (code == XML_ERROR_NO_MEMORY && r->budget.refused)
        return error_set(e, ERROR_INPUT,
                         "%s: %s: line %lu: parsing needs more than %zu bytes of memory (a tag "
                         "or its attributes are too long)",
                         r->book->name, where, (unsigned long)XML_GetCurrentLineNumber(r->parser),
                         r->budget.limit);
    if (code == XML_ERROR_NO_MEMORY || r->budget.failed)
        return error_set(e, ERROR_SYSTEM, "%s: %s: out of memory", r->book->name, where);
    return error_set(e, ERROR_INPUT, "%s: %s: line %lu, column %lu (byte %lld): %s%s",
                     r->book->name, where, (unsigned long)XML_GetCurrentLineNumber(r->parser),
                     (unsigned long)XML_GetCurrentColumnNumber(r->parser),
                     (long long)XML_GetCurrentByteIndex(r->parser), XML_ErrorString(code),
                     code == XML_ERROR_INVALID_TOKEN
                         ? " (a byte that is not UTF-8, or a character XML does not allow)"
                         : "");
}

/* Feeds the parser until the part ends (r->done) or a handler suspends it.
** Returns ERROR_OK or the error. */
static int reader_pump(part_reader *r, error *e)
{
    char where[1024];
    for (;;) {
        enum XML_Status status;
        budget_now = &r->budget;
        if (r->suspended) {
            status = XML_ResumeParser(r->parser);
        } else {
            zip_int64_t n = zip_fread(r->file, r->chunk, CHUNK_BYTES);
            if (n < 0) {
                zip_error_t *ze = zip_file_get_error(r->file);
                int status_of = zip_status(ze);
                budget_now = NULL;
                reader_where(r, where, sizeof where);
                return error_set(e, status_of, "%s: %s: %s: %s", r->book->name, where,
                                 status_of == ERROR_SYSTEM ? "cannot be read"
                                                           : "the archive is damaged",
                                 zip_error_strerror(ze));
            }
            r->inflated += (uint64_t)n;
            if (r->inflated > r->limit) {
                budget_now = NULL;
                reader_where(r, where, sizeof where);
                return error_set(e, ERROR_INPUT,
                                 "%s: %s: inflates to more than %llu bytes (the limit; a zip "
                                 "bomb?)",
                                 r->book->name, where, (unsigned long long)r->limit);
            }
            r->final = n == 0;
            status = XML_Parse(r->parser, r->chunk, (int)n, r->final);
        }
        budget_now = NULL;
        if (status == XML_STATUS_ERROR)
            return reader_xml_error(r, e);
        if (status == XML_STATUS_SUSPENDED) {
            r->suspended = true;
            return ERROR_OK;
        }
        r->suspended = false;
        if (r->final) {
            r->done = true;
            return ERROR_OK;
        }
    }
}

/* Parses a whole part with the handlers (which never suspend). */
static int parse_whole(part_reader *r, xlsx_book *b, const char *part, uint64_t limit, void *user,
                       XML_StartElementHandler start, XML_EndElementHandler end,
                       XML_CharacterDataHandler chars, error *e)
{
    int status = reader_open(r, b, part, NULL, limit, user, start, end, chars, e);
    while (status == ERROR_OK && !r->done)
        status = reader_pump(r, e);
    reader_close(r);
    return status;
}

static void XMLCALL end_depth(void *user, const XML_Char *name)
{
    part_reader *r = user;
    (void)name;
    r->depth--;
}

/* --- relationships ----------------------------------------------------------- */

typedef struct rel {
    char *id;     /* Id (owned) */
    char *type;   /* Type, a URI (owned) */
    char *target; /* Target, resolved to a part name (owned) */
} rel;

typedef struct rels_ctx {
    part_reader r;    /* first: handlers get this struct */
    const char *base; /* directory of the source part, "" or "xl/" */
    rel *items;       /* owned */
    size_t count;     /* items used */
    size_t capacity;  /* items allocated */
    size_t max;       /* items allowed */
} rels_ctx;

/* Resolves a relationship target against the source part's directory:
** "worksheets/sheet1.xml" from "xl/" is "xl/worksheets/sheet1.xml",
** "/xl/styles.xml" is "xl/styles.xml", ".." steps up. Returns a malloc'd
** part name, or NULL (out of memory, or it climbs above the root: *bad). */
static char *resolve_target(const char *base, const char *target, bool *bad)
{
    size_t cap = strlen(base) + strlen(target) + 1, length = 0;
    char *out = malloc(cap);
    const char *p;
    *bad = false;
    if (out == NULL)
        return NULL;
    if (target[0] == '/') {
        target++;
    } else {
        memcpy(out, base, strlen(base));
        length = strlen(base);
    }
    p = target;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* nothing: "//" or "./" */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (length == 0) {
                *bad = true;
                free(out);
                return NULL;
            }
            length--; /* drop the trailing '/', then the last segment */
            while (length > 0 && out[length - 1] != '/')
                length--;
        } else {
            memcpy(out + length, p, n);
            length += n;
            if (slash != NULL)
                out[length++] = '/';
        }
        p += n;
        if (*p == '/')
            p++;
    }
    out[length] = '\0';
    return out;
}

static void XMLCALL rels_start(void *user, const XML_Char *name, const XML_Char **atts)
{
    rels_ctx *c = user;
    const char *id, *type, *target, *mode;
    rel item = {NULL, NULL, NULL};
    bool bad;
    if (!reader_enter(&c->r) || strcmp(local_name(name), "Relationship") != 0)
        return;
    id = attr(atts, "Id");
    type = attr(atts, "Type");
    target = attr(atts, "Target");
    mode = attr(atts, "TargetMode");
    if (id == NULL || type == NULL || target == NULL ||
        (mode != NULL && strcmp(mode, "External") == 0))
        return; /* not a part of this archive: nothing to follow */
    if (c->count == c->max) {
        reader_fail(&c->r, ERROR_INPUT, "%s: %s: more than %zu relationships", c->r.book->name,
                    c->r.part, c->max);
        return;
    }
    if (c->count == c->capacity) {
        size_t cap = c->capacity ? c->capacity * 2 : 16;
        rel *grown = realloc(c->items, cap * sizeof *grown);
        if (grown == NULL) {
            reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", c->r.book->name);
            return;
        }
        c->items = grown;
        c->capacity = cap;
    }
    item.id = strdup(id);
    item.type = strdup(type);
    item.target = resolve_target(c->base, target, &bad);
    if (item.id == NULL || item.type == NULL || item.target == NULL) {
        free(item.id);
        free(item.type);
        free(item.target);
        if (bad && item.id != NULL && item.type != NULL)
            return; /* a target outside the archive: as if absent */
        reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", c->r.book->name);
        return;
    }
    c->items[c->count++] = item;
}

static void rels_free(rels_ctx *c)
{
    size_t i;
    for (i = 0; i < c->count; i++) {
        free(c->items[i].id);
        free(c->items[i].type);
        free(c->items[i].target);
    }
    free(c->items);
    c->items = NULL;
    c->count = c->capacity = 0;
}

/* Reads the relationships of `source` (a part name, "" for the package):
** its .rels part is DIR/_rels/NAME.rels. A missing .rels part gives none. */
static int rels_read(xlsx_book *b, const char *source, rels_ctx *c, error *e)
{
    const char *slash = strrchr(source, '/');
    size_t dir = slash != NULL ? (size_t)(slash - source) + 1 : 0;
    char *base = NULL, *part = NULL;
    int status = ERROR_OK;
    memset(c, 0, sizeof *c);
    c->max = 4 * (size_t)b->limits.max_sheets + 1024;
    base = strndup(source, dir);
    part = malloc(strlen(source) + 16);
    if (base == NULL || part == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
        goto done;
    }
    sprintf(part, "%.*s_rels/%s.rels", (int)dir, source, source + dir);
    c->base = base;
    if (part_locate(b->zip, part) < 0)
        goto done;
    status =
        parse_whole(&c->r, b, part, b->limits.max_meta_bytes, c, rels_start, end_depth, NULL, e);
done:
    c->base = NULL;
    free(base);
    free(part);
    return status;
}

/* The target of the first relationship whose Type ends in `suffix`, or NULL. */
static const char *rels_by_type(const rels_ctx *c, const char *suffix)
{
    size_t i, n = strlen(suffix);
    for (i = 0; i < c->count; i++) {
        size_t m = strlen(c->items[i].type);
        if (m >= n && strcmp(c->items[i].type + m - n, suffix) == 0)
            return c->items[i].target;
    }
    return NULL;
}

/* --- workbook.xml ------------------------------------------------------------ */

typedef struct workbook_ctx {
    part_reader r;   /* first: handlers get this struct */
    size_t capacity; /* entries allocated in r.book->entries */
} workbook_ctx;

static void XMLCALL workbook_start(void *user, const XML_Char *name, const XML_Char **atts)
{
    workbook_ctx *c = user;
    xlsx_book *b = c->r.book;
    const char *ln = local_name(name), *v;
    if (!reader_enter(&c->r))
        return;
    if (strcmp(ln, "workbookPr") == 0) {
        v = attr(atts, "date1904");
        b->date1904 = v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
    } else if (strcmp(ln, "sheet") == 0 && c->r.depth == 3) {
        sheet_entry entry = {NULL, NULL, NULL, false, false};
        const char *sheet_name = attr(atts, "name"), *rid = attr(atts, "id");
        if (sheet_name == NULL || rid == NULL) {
            reader_fail(&c->r, ERROR_INPUT, "%s: %s: line %lu: a sheet without a name or r:id",
                        b->name, c->r.part, (unsigned long)XML_GetCurrentLineNumber(c->r.parser));
            return;
        }
        if (b->entry_count == b->limits.max_sheets) {
            reader_fail(&c->r, ERROR_INPUT, "%s: more than %u sheets", b->name,
                        b->limits.max_sheets);
            return;
        }
        if (b->entry_count == c->capacity) {
            size_t cap = c->capacity ? c->capacity * 2 : 8;
            sheet_entry *grown = realloc(b->entries, cap * sizeof *grown);
            if (grown == NULL) {
                reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", b->name);
                return;
            }
            b->entries = grown;
            c->capacity = cap;
        }
        v = attr(atts, "state");
        entry.hidden = v != NULL && strcmp(v, "visible") != 0;
        entry.name = strdup(sheet_name);
        entry.rid = strdup(rid);
        if (entry.name == NULL || entry.rid == NULL) {
            free(entry.name);
            free(entry.rid);
            reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", b->name);
            return;
        }
        b->entries[b->entry_count++] = entry;
    }
}

/* --- styles.xml: which cell formats show dates ------------------------------- */

typedef struct num_fmt {
    uint32_t id;        /* numFmtId */
    unsigned char kind; /* SHOWS_* */
} num_fmt;

typedef struct styles_ctx {
    part_reader r;       /* first: handlers get this struct */
    bool in_numfmts;     /* inside <numFmts> */
    bool in_cellxfs;     /* inside <cellXfs> */
    num_fmt *fmts;       /* custom formats (owned) */
    size_t fmt_count;    /* used */
    size_t fmt_capacity; /* allocated */
    uint32_t *xf_fmt;    /* numFmtId of each cellXfs entry (owned) */
    size_t xf_count;     /* used */
    size_t xf_capacity;  /* allocated */
} styles_ctx;

/* What the built-in number format `id` shows (ECMA-376 18.8.30, and the East
** Asian ids Chinese Excel and WPS use without defining them: 27-36, 50-58). */
static unsigned builtin_kind(uint32_t id)
{
    if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || id == 36 || (id >= 50 && id <= 54) ||
        id == 57 || id == 58)
        return SHOWS_DATE;
    if (id == 22)
        return SHOWS_DATE | SHOWS_TIME;
    if ((id >= 18 && id <= 21) || (id >= 32 && id <= 35) || (id >= 45 && id <= 47) || id == 55 ||
        id == 56)
        return SHOWS_TIME;
    return 0;
}

/* What a format code shows: its first section's y, m, d, h, s tokens outside
** "quotes", [brackets] and \-escapes; m is minutes after h or before s. */
static unsigned format_code_kind(const char *code)
{
    char tokens[64];
    size_t n = 0, i;
    unsigned kind = 0;
    const char *p;
    for (p = code; *p != '\0' && *p != ';'; p++) {
        char c = *p;
        if (c == '"') {
            while (p[1] != '\0' && p[1] != '"')
                p++;
            if (p[1] == '"')
                p++;
        } else if (c == '[') {
            while (p[1] != '\0' && p[1] != ']')
                p++;
            if (p[1] == ']')
                p++;
        } else if (c == '\\' || c == '_' || c == '*') {
            if (p[1] != '\0')
                p++; /* the next character is literal or padding */
        } else if (strncasecmp(p, "AM/PM", 5) == 0) {
            kind |= SHOWS_TIME;
            p += 4;
        } else if (strncasecmp(p, "A/P", 3) == 0) {
            kind |= SHOWS_TIME;
            p += 2;
        } else {
            char lower = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (strchr("ymdhs", lower) != NULL && lower != '\0' &&
                (n == 0 || tokens[n - 1] != lower) && n < sizeof tokens)
                tokens[n++] = lower;
        }
    }
    for (i = 0; i < n; i++) {
        if (tokens[i] == 'y' || tokens[i] == 'd')
            kind |= SHOWS_DATE;
        else if (tokens[i] == 'h' || tokens[i] == 's')
            kind |= SHOWS_TIME;
        else if ((i > 0 && tokens[i - 1] == 'h') || (i + 1 < n && tokens[i + 1] == 's'))
            kind |= SHOWS_TIME; /* m as minutes */
        else
            kind |= SHOWS_DATE;
    }
    return kind;
}

/* Parses a whole unsigned decimal number (at most 4294967295); false if not one. */
static bool parse_u32(const char *text, uint32_t *out)
{
    uint64_t v = 0;
    if (text == NULL || *text == '\0')
        return false;
    for (; *text != '\0'; text++) {
        if (*text < '0' || *text > '9')
            return false;
        v = v * 10 + (uint64_t)(*text - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

static void XMLCALL styles_start(void *user, const XML_Char *name, const XML_Char **atts)
{
    styles_ctx *c = user;
    xlsx_book *b = c->r.book;
    const char *ln = local_name(name);
    uint32_t id;
    if (!reader_enter(&c->r))
        return;
    if (c->r.depth == 2) {
        c->in_numfmts = strcmp(ln, "numFmts") == 0;
        c->in_cellxfs = strcmp(ln, "cellXfs") == 0;
        return;
    }
    if (c->r.depth != 3)
        return;
    if (c->in_numfmts && strcmp(ln, "numFmt") == 0) {
        const char *code = attr(atts, "formatCode");
        if (!parse_u32(attr(atts, "numFmtId"), &id) || code == NULL)
            return; /* a format no cell can name: ignored */
        if (c->fmt_count == b->limits.max_styles) {
            reader_fail(&c->r, ERROR_INPUT, "%s: %s: more than %zu number formats", b->name,
                        c->r.part, b->limits.max_styles);
            return;
        }
        if (c->fmt_count == c->fmt_capacity) {
            size_t cap = c->fmt_capacity ? c->fmt_capacity * 2 : 16;
            num_fmt *grown = realloc(c->fmts, cap * sizeof *grown);
            if (grown == NULL) {
                reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", b->name);
                return;
            }
            c->fmts = grown;
            c->fmt_capacity = cap;
        }
        c->fmts[c->fmt_count].id = id;
        c->fmts[c->fmt_count].kind = (unsigned char)format_code_kind(code);
        c->fmt_count++;
    } else if (c->in_cellxfs && strcmp(ln, "xf") == 0) {
        if (!parse_u32(attr(atts, "numFmtId"), &id))
            id = 0; /* General */
        if (c->xf_count == b->limits.max_styles) {
            reader_fail(&c->r, ERROR_INPUT, "%s: %s: more than %zu cell formats", b->name,
                        c->r.part, b->limits.max_styles);
            return;
        }
        if (c->xf_count == c->xf_capacity) {
            size_t cap = c->xf_capacity ? c->xf_capacity * 2 : 16;
            uint32_t *grown = realloc(c->xf_fmt, cap * sizeof *grown);
            if (grown == NULL) {
                reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", b->name);
                return;
            }
            c->xf_fmt = grown;
            c->xf_capacity = cap;
        }
        c->xf_fmt[c->xf_count++] = id;
    }
}

static int num_fmt_compare(const void *a, const void *b)
{
    uint32_t x = ((const num_fmt *)a)->id, y = ((const num_fmt *)b)->id;
    return x < y ? -1 : x > y;
}

/* Reads styles.xml into b->xf_kinds. */
static int styles_read(xlsx_book *b, error *e)
{
    styles_ctx c;
    size_t i;
    int status;
    memset(&c, 0, sizeof c);
    status = parse_whole(&c.r, b, b->styles_part, b->limits.max_meta_bytes, &c, styles_start,
                         end_depth, NULL, e);
    if (status != ERROR_OK)
        goto done;
    /* A custom format with a built-in id replaces it; the last one wins. */
    if (c.fmt_count > 0)
        qsort(c.fmts, c.fmt_count, sizeof *c.fmts, num_fmt_compare);
    b->xf_kinds = calloc(c.xf_count ? c.xf_count : 1, 1);
    if (b->xf_kinds == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
        goto done;
    }
    b->xf_count = c.xf_count;
    for (i = 0; i < c.xf_count; i++) {
        num_fmt key = {c.xf_fmt[i], 0};
        num_fmt *found = c.fmt_count
                             ? bsearch(&key, c.fmts, c.fmt_count, sizeof *c.fmts, num_fmt_compare)
                             : NULL;
        b->xf_kinds[i] = (unsigned char)(found != NULL ? found->kind : builtin_kind(key.id));
    }
done:
    free(c.fmts);
    free(c.xf_fmt);
    return status;
}

/* --- shared strings ---------------------------------------------------------- */

typedef struct shared_ctx {
    part_reader r;   /* first: handlers get this struct */
    bool in_si;      /* inside <si> */
    unsigned in_t;   /* inside <t> (of si or of a run) */
    unsigned in_rph; /* inside <rPh> (phonetic text: left out) */
    size_t start;    /* where the current string starts in shared_text */
} shared_ctx;

/* Decodes the _xHHHH_ escapes of OOXML strings (how Excel writes control
** characters: _x000D_ is a carriage return) in place; returns the new
** length. A surrogate or NUL stays as written (it would not be UTF-8). */
static size_t decode_escapes(char *s, size_t n)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (s[i] == '_' && i + 6 < n && s[i + 1] == 'x' && s[i + 6] == '_') {
            unsigned u = 0;
            int k;
            for (k = 2; k < 6; k++) {
                char c = s[i + k];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                               : -1;
                if (d < 0)
                    break;
                u = u * 16 + (unsigned)d;
            }
            if (k == 6 && u != 0 && (u < 0xD800 || u > 0xDFFF)) {
                /* 7 bytes in, at most 3 out: o stays behind i */
                if (u < 0x80) {
                    s[o++] = (char)u;
                } else if (u < 0x800) {
                    s[o++] = (char)(0xC0 | (u >> 6));
                    s[o++] = (char)(0x80 | (u & 0x3F));
                } else {
                    s[o++] = (char)(0xE0 | (u >> 12));
                    s[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
                    s[o++] = (char)(0x80 | (u & 0x3F));
                }
                i += 7;
                continue;
            }
        }
        s[o++] = s[i++];
    }
    return o;
}

/* Memory the shared strings take, as max_shared_bytes counts it. */
static size_t shared_cost(const xlsx_book *b, size_t extra_bytes, size_t extra_strings)
{
    return b->shared_length + extra_bytes + (b->shared_count + extra_strings) * (sizeof(size_t));
}

/* Grows shared_text to hold `more` bytes; false and the reader failed when
** over the limit or out of memory. */
static bool shared_reserve(shared_ctx *c, size_t more)
{
    xlsx_book *b = c->r.book;
    size_t limit = b->limits.max_shared_bytes;
    if (shared_cost(b, more, 1) > limit) {
        reader_fail(&c->r, ERROR_INPUT, "%s: %s: the shared strings need more than %zu bytes",
                    b->name, c->r.part, limit);
        return false;
    }
    if (b->shared_length + more > b->shared_capacity) {
        size_t cap = b->shared_capacity ? b->shared_capacity * 2 : 65536;
        char *grown;
        while (cap < b->shared_length + more)
            cap *= 2;
        if (cap > limit + 1)
            cap = limit + 1; /* never allocate past the limit for doubling's sake */
        grown = realloc(b->shared_text, cap);
        if (grown == NULL) {
            reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", b->name);
            return false;
        }
        b->shared_text = grown;
        b->shared_capacity = cap;
    }
    return true;
}

static void XMLCALL shared_start(void *user, const XML_Char *name, const XML_Char **atts)
{
    shared_ctx *c = user;
    const char *ln = local_name(name);
    (void)atts;
    if (!reader_enter(&c->r))
        return;
    if (c->r.depth == 2 && strcmp(ln, "si") == 0) {
        c->in_si = true;
        c->start = c->r.book->shared_length;
    } else if (c->in_si && strcmp(ln, "rPh") == 0) {
        c->in_rph++;
    } else if (c->in_si && strcmp(ln, "t") == 0) {
        c->in_t++;
    }
}

static void XMLCALL shared_end(void *user, const XML_Char *name)
{
    shared_ctx *c = user;
    xlsx_book *b = c->r.book;
    const char *ln = local_name(name);
    unsigned depth = c->r.depth--;
    if (c->r.status != ERROR_OK || !c->in_si)
        return;
    if (strcmp(ln, "rPh") == 0 && c->in_rph > 0) {
        c->in_rph--;
    } else if (strcmp(ln, "t") == 0 && c->in_t > 0) {
        c->in_t--;
    } else if (depth == 2) {
        /* An empty first string leaves shared_text NULL: no arithmetic on it. */
        size_t n = b->shared_length > c->start
                       ? decode_escapes(b->shared_text + c->start, b->shared_length - c->start)
                       : 0;
        c->in_si = false;
        b->shared_length = c->start + n;
        if (!shared_reserve(c, 1))
            return;
        b->shared_text[b->shared_length++] = '\0';
        if (b->shared_count == b->shared_offsets_cap) {
            size_t cap = b->shared_offsets_cap ? b->shared_offsets_cap * 2 : 1024;
            size_t *grown = realloc(b->shared_offsets, cap * sizeof *grown);
            if (grown == NULL) {
                reader_fail(&c->r, ERROR_SYSTEM, "%s: out of memory", b->name);
                return;
            }
            b->shared_offsets = grown;
            b->shared_offsets_cap = cap;
        }
        b->shared_offsets[b->shared_count++] = c->start;
    }
}

static void XMLCALL shared_chars(void *user, const XML_Char *text, int length)
{
    shared_ctx *c = user;
    xlsx_book *b = c->r.book;
    if (c->r.status != ERROR_OK || !c->in_si || c->in_t == 0 || c->in_rph > 0)
        return;
    if (b->shared_length - c->start + (size_t)length > b->limits.max_cell_bytes) {
        reader_fail(&c->r, ERROR_INPUT, "%s: %s: shared string %zu is longer than %zu bytes",
                    b->name, c->r.part, b->shared_count, b->limits.max_cell_bytes);
        return;
    }
    if (!shared_reserve(c, (size_t)length + 1))
        return;
    memcpy(b->shared_text + b->shared_length, text, (size_t)length);
    b->shared_length += (size_t)length;
}

/* Loads the shared strings once (none when the workbook has no such part). */
static int shared_load(xlsx_book *b, error *e)
{
    shared_ctx c;
    int status;
    if (b->shared_loaded)
        return ERROR_OK;
    b->shared_loaded = true;
    if (b->shared_part == NULL)
        return ERROR_OK;
    memset(&c, 0, sizeof c);
    status = parse_whole(&c.r, b, b->shared_part, b->limits.max_part_bytes, &c, shared_start,
                         shared_end, shared_chars, e);
    if (status != ERROR_OK) {
        /* Not half a table: the next sheet opened tries again (and fails the same). */
        b->shared_loaded = false;
        b->shared_count = b->shared_length = 0;
    }
    return status;
}

/* --- opening ------------------------------------------------------------------ */

void xlsx_limits_default(xlsx_limits *l)
{
    l->max_part_bytes = XLSX_MAX_PART_BYTES_DEFAULT;
    l->max_meta_bytes = XLSX_MAX_META_BYTES_DEFAULT;
    l->max_shared_bytes = XLSX_MAX_SHARED_BYTES_DEFAULT;
    l->max_cell_bytes = XLSX_MAX_CELL_BYTES_DEFAULT;
    l->max_row_bytes = XLSX_MAX_ROW_BYTES_DEFAULT;
    l->max_columns = XLSX_MAX_COLUMNS_DEFAULT;
    l->max_rows = XLSX_MAX_ROWS_DEFAULT;
    l->max_depth = XLSX_MAX_DEPTH_DEFAULT;
    l->max_sheets = XLSX_MAX_SHEETS_DEFAULT;
    l->max_styles = XLSX_MAX_STYLES_DEFAULT;
    l->max_parser_memory = XLSX_MAX_PARSER_MEMORY_DEFAULT;
}

/* Copies `given` (may be NULL), zero fields taking their defaults. */
static void limits_fill(xlsx_limits *out, const xlsx_limits *given)
{
    xlsx_limits d;
    xlsx_limits_default(&d);
    *out = given != NULL ? *given : d;
#define DEFAULT(field)                                                                             \
    if (out->field == 0)                                                                           \
    out->field = d.field
    DEFAULT(max_part_bytes);
    DEFAULT(max_meta_bytes);
    DEFAULT(max_shared_bytes);
    DEFAULT(max_cell_bytes);
    DEFAULT(max_row_bytes);
    DEFAULT(max_columns);
    DEFAULT(max_rows);
    DEFAULT(max_depth);
    DEFAULT(max_sheets);
    DEFAULT(max_styles);
    DEFAULT(max_parser_memory);
#undef DEFAULT
    if (out->max_columns > XLSX_MAX_COLUMNS_DEFAULT)
        out->max_columns = XLSX_MAX_COLUMNS_DEFAULT; /* references stop at XFD */
}

/* What a file that is not a zip archive is, from its first bytes. */
static const char *not_zip_reason(const unsigned char *head, size_t n)
{
    static const unsigned char cfb[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (n == 0)
        return "is empty, not an .xlsx workbook";
    if (n >= 8 && memcmp(head, cfb, 8) == 0)
        return "is an Excel 97-2003 workbook (.xls) or a password-protected one, not an .xlsx: "
               "open it in Excel or WPS and save it as .xlsx (Excel Workbook), without a password";
    return "is not an .xlsx workbook (not a zip archive): save it from Excel or WPS as .xlsx "
           "(Excel Workbook)";
}

/* A zip that holds no workbook part: say what it is instead. */
static int not_workbook(xlsx_book *b, error *e)
{
    const char *what = "a zip archive, but not an .xlsx workbook (it has no xl/workbook.xml)";
    if (part_locate(b->zip, "xl/workbook.bin") >= 0)
        what = "an Excel binary workbook (.xlsb), which kaohe does not read: save it as .xlsx";
    else if (zip_name_locate(b->zip, "content.xml", 0) >= 0 &&
             zip_name_locate(b->zip, "mimetype", 0) >= 0)
        what = "an OpenDocument file (.ods?), not an .xlsx workbook: save it as .xlsx";
    else if (part_locate(b->zip, "word/document.xml") >= 0)
        what = "a Word document (.docx), not an .xlsx workbook";
    else if (part_locate(b->zip, "ppt/presentation.xml") >= 0)
        what = "a PowerPoint file (.pptx), not an .xlsx workbook";
    return error_set(e, ERROR_INPUT, "%s: is %s", b->name, what);
}

/* Reads the package: relationships, sheet list, styles. */
static int book_load(xlsx_book *b, error *e)
{
    rels_ctx package, workbook_rels;
    workbook_ctx wc;
    const char *target;
    size_t i, j;
    int status;
    memset(&package, 0, sizeof package);
    memset(&workbook_rels, 0, sizeof workbook_rels);
    status = rels_read(b, "", &package, e);
    if (status != ERROR_OK)
        goto done;
    target = rels_by_type(&package, "/officeDocument");
    if (target == NULL || part_locate(b->zip, target) < 0)
        target = "xl/workbook.xml"; /* a writer that skipped _rels/.rels */
    if (part_locate(b->zip, target) < 0 ||
        (strlen(target) > 4 && strcasecmp(target + strlen(target) - 4, ".bin") == 0)) {
        status = not_workbook(b, e);
        goto done;
    }
    b->workbook_part = strdup(target);
    if (b->workbook_part == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
        goto done;
    }
    memset(&wc, 0, sizeof wc);
    status = parse_whole(&wc.r, b, b->workbook_part, b->limits.max_meta_bytes, &wc, workbook_start,
                         end_depth, NULL, e);
    if (status != ERROR_OK)
        goto done;
    status = rels_read(b, b->workbook_part, &workbook_rels, e);
    if (status != ERROR_OK)
        goto done;
    b->infos = calloc(b->entry_count ? b->entry_count : 1, sizeof *b->infos);
    if (b->infos == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
        goto done;
    }
    for (i = 0; i < b->entry_count; i++) {
        sheet_entry *s = &b->entries[i];
        rel *found = NULL;
        for (j = 0; j < workbook_rels.count && found == NULL; j++)
            if (strcmp(workbook_rels.items[j].id, s->rid) == 0)
                found = &workbook_rels.items[j];
        if (found == NULL) {
            status = error_set(e, ERROR_INPUT,
                               "%s: sheet %s: its relationship %s is not in the workbook's "
                               ".rels part",
                               b->name, s->name, s->rid);
            goto done;
        }
        for (j = 0; j < i; j++)
            if (strcmp(b->entries[j].name, s->name) == 0) {
                status = error_set(e, ERROR_INPUT, "%s: two sheets are named %s", b->name, s->name);
                goto done;
            }
        s->part = found->target;
        found->target = NULL; /* handed over to the entry */
        {
            size_t m = strlen(found->type);
            s->is_work = m >= 10 && strcmp(found->type + m - 10, "/worksheet") == 0;
        }
        if (s->is_work) {
            b->infos[b->sheet_count].name = s->name;
            b->infos[b->sheet_count].part = s->part;
            b->infos[b->sheet_count].hidden = s->hidden;
            b->sheet_count++;
        }
    }
    /* Missing relationships: the parts' usual names. A part named but absent
    ** is as if not named (no shared strings: a cell that uses one is refused;
    ** no styles: no dates). */
    target = rels_by_type(&workbook_rels, "/sharedStrings");
    if (target == NULL)
        target = "xl/sharedStrings.xml";
    if (part_locate(b->zip, target) < 0)
        target = NULL;
    if (target != NULL && (b->shared_part = strdup(target)) == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
        goto done;
    }
    target = rels_by_type(&workbook_rels, "/styles");
    if (target == NULL)
        target = "xl/styles.xml";
    if (part_locate(b->zip, target) < 0)
        target = NULL;
    if (target != NULL) {
        b->styles_part = strdup(target);
        if (b->styles_part == NULL) {
            status = error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
            goto done;
        }
        status = styles_read(b, e);
    }
done:
    rels_free(&package);
    rels_free(&workbook_rels); /* the targets handed over are NULL */
    return status;
}

/* Opens the archive (from `path`, or from memory when data is not NULL). */
static int book_open(const char *path, const void *data, size_t size, const char *name,
                     const xlsx_limits *limits, xlsx_book **out, error *e)
{
    xlsx_book *b = NULL;
    unsigned char head[8];
    size_t head_length = 0;
    int status = ERROR_OK;
    zip_error_t ze;
    zip_error_init(&ze);
    *out = NULL;
    b = calloc(1, sizeof *b);
    if (b == NULL || (b->name = strdup(name)) == NULL) {
        status = error_set(e, ERROR_SYSTEM, "%s: out of memory", name);
        goto done;
    }
    limits_fill(&b->limits, limits);
    if (data == NULL) {
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            int err = errno;
            status = error_set(e, error_errno_status(err, ERROR_INPUT), "%s: cannot open: %s", name,
                               error_errno_text(err));
            goto done;
        }
        head_length = fread(head, 1, sizeof head, f);
        fclose(f);
    } else {
        head_length = size < sizeof head ? size : sizeof head;
        if (head_length > 0)
            memcpy(head, data, head_length);
    }
    if (head_length < 4 || memcmp(head, "PK", 2) != 0) {
        status = error_set(e, ERROR_INPUT, "%s: %s", name, not_zip_reason(head, head_length));
        goto done;
    }
    if (data == NULL) {
        int code = 0;
        b->zip = zip_open(path, ZIP_RDONLY, &code);
        zip_error_init_with_code(&ze, code);
    } else {
        zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
        if (src != NULL) {
            b->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
            if (b->zip == NULL)
                zip_source_free(src);
        }
    }
    if (b->zip == NULL) {
        int code = zip_error_code_zip(&ze);
        status = error_set(e, zip_status(&ze), "%s: %s%s", name,
                           code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS
                               ? "is not an .xlsx workbook: a damaged zip archive: "
                               : "cannot be opened: ",
                           zip_error_strerror(&ze));
        goto done;
    }
    status = book_load(b, e);
done:
    zip_error_fini(&ze);
    if (status != ERROR_OK)
        xlsx_close(b);
    else
        *out = b;
    return status;
}

int xlsx_open(const char *path, const xlsx_limits *limits, xlsx_book **out, error *e)
{
    return book_open(path, NULL, 0, path, limits, out, e);
}

int xlsx_open_memory(const void *data, size_t size, const char *name, const xlsx_limits *limits,
                     xlsx_book **out, error *e)
{
    static const char nothing[1] = {0};
    return book_open(NULL, data != NULL ? data : nothing, data != NULL ? size : 0, name, limits,
                     out, e);
}

void xlsx_close(xlsx_book *b)
{
    size_t i;
    if (b == NULL)
        return;
    if (b->zip != NULL)
        zip_discard(b->zip); /* read-only: nothing to write back */
    for (i = 0; i < b->entry_count; i++) {
        free(b->entries[i].name);
        free(b->entries[i].rid);
        free(b->entries[i].part);
    }
    free(b->entries);
    free(b->infos);
    free(b->workbook_part);
    free(b->shared_part);
    free(b->styles_part);
    free(b->xf_kinds);
    free(b->shared_text);
    free(b->shared_offsets);
    free(b->name);
    free(b);
}

size_t xlsx_sheet_count(const xlsx_book *b)
{
    return b->sheet_count;
}

const xlsx_sheet_info *xlsx_sheet_at(const xlsx_book *b, size_t index)
{
    return index < b->sheet_count ? &b->infos[index] : NULL;
}

long xlsx_sheet_find(const xlsx_book *b, const char *name)
{
    size_t i;
    for (i = 0; i < b->sheet_count; i++)
        if (strcmp(b->infos[i].name, name) == 0)
            return (long)i;
    for (i = 0; i < b->sheet_count; i++)
        if (strcasecmp(b->infos[i].name, name) == 0)
            return (long)i;
    return -1;
}

bool xlsx_date1904(const xlsx_book *b)
{
    return b->date1904;
}

/* --- dates --------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
** days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *year, int *month, int *day)
{
    long era, doe, yoe, y, doy, mp, d, m;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp + (mp < 10 ? 3 : -9);
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

bool xlsx_serial_to_date(double serial, bool date1904, int *year, int *month, int *day,
                         int *seconds)
{
    long long total;
    long days;
    if (!(serial >= 0) || serial > 2958466.0)
        return false; /* also NaN */
    total = llround(serial * 86400.0);
    days = (long)(total / 86400);
    *seconds = (int)(total % 86400);
    if (date1904) {
        days += 1462; /* 1904-01-01 is 1462 days after 1899-12-30 */
    } else if (days == 60) {
        *year = 1900, *month = 2, *day = 29; /* Excel's day that never was */
        return true;
    } else if (days < 1) {
        return false; /* Excel shows serial 0 as 1900-01-00 */
    } else if (days < 60) {
        days += 1; /* before the phantom day, serials count from 1899-12-31 */
    }
    civil_from_days(days + days_from_civil(1899, 12, 30), year, month, day);
    return *year <= 9999;
}

/* --- sheets --------------------------------------------------------------------- */

enum cell_type { T_NUMBER, T_SHARED, T_INLINE, T_STRING, T_BOOLEAN, T_ERROR, T_DATE };

struct xlsx_sheet {
    part_reader r;       /* first: handlers get this struct */
    xlsx_book *book;     /* borrowed */
    const char *name;    /* the sheet's name (the book's) */
    bool in_data;        /* inside <sheetData> */
    bool in_row;         /* inside <row> */
    bool in_cell;        /* inside <c> */
    bool in_v;           /* inside <v> */
    bool in_is;          /* inside <is> */
    unsigned in_t;       /* inside <t> of <is> */
    unsigned in_rph;     /* inside <rPh> of <is> */
    bool has_value;      /* the cell has <v> or <is> */
    unsigned row_depth;  /* depth of <row> */
    unsigned cell_depth; /* depth of <c> */
    uint32_t row;        /* number of the row being read */
    uint32_t last_row;   /* the previous row's number (0 before the first) */
    uint32_t column;     /* column of the cell being read */
    uint32_t last_col;   /* the previous cell's column in this row (0: none) */
    enum cell_type type; /* t attribute of the cell */
    uint32_t style;      /* s attribute of the cell */
    char ref[16];        /* the cell's reference */
    buffer value;        /* text of <v> or of <is>'s <t> */
    buffer arena;        /* texts of the row's cells, NUL-terminated */
    xlsx_cell *cells;    /* the row's cells (owned) */
    size_t *offsets;     /* where each cell's text starts in arena (owned) */
    size_t count;        /* cells used */
    size_t capacity;     /* cells allocated */
    xlsx_row out;        /* the row handed out */
    bool row_ready;      /* a row is complete (the parser is suspended) */
    int status;          /* sticky error of xlsx_sheet_next */
    error err;           /* its message */
};

/* Fails naming the current cell: "FILE: SHEET!REF: ...". */
static void cell_fail(xlsx_sheet *s, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void cell_fail(xlsx_sheet *s, const char *format, ...)
{
    char reason[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    reader_fail(&s->r, ERROR_INPUT, "%s: %s!%s: %s", s->book->name, s->name, s->ref, reason);
}

/* A reference as text that is safe to quote in a message. */
static void quote_ref(const char *ref, char *out, size_t size)
{
    size_t n = text_utf8_prefix(ref, 24);
    snprintf(out, size, "%.*s%s", (int)n, ref, ref[n] != '\0' ? "..." : "");
}

void xlsx_column_name(uint32_t column, char out[4])
{
    char tmp[4];
    size_t n = 0, i;
    if (column < 1 || column > XLSX_MAX_COLUMNS_DEFAULT)
        column = 1;
    while (column > 0 && n < 3) {
        column--;
        tmp[n++] = (char)('A' + column % 26);
        column /= 26;
    }
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* Parses a cell reference "F12": 1 to 3 capital letters (at most XFD), then a
** row number without leading zeros. False when it is not one. */
static bool parse_ref(const char *ref, uint32_t *column, uint32_t *row)
{
    uint32_t c = 0, r = 0;
    size_t letters = 0, digits = 0;
    while (*ref >= 'A' && *ref <= 'Z') {
        if (++letters > 3)
            return false;
        c = c * 26 + (uint32_t)(*ref++ - 'A' + 1);
    }
    if (letters == 0 || c > XLSX_MAX_COLUMNS_DEFAULT || *ref == '0')
        return false;
    while (*ref >= '0' && *ref <= '9') {
        if (++digits > 7)
            return false;
        r = r * 10 + (uint32_t)(*ref++ - '0');
    }
    if (digits == 0 || *ref != '\0')
        return false;
    *column = c;
    *row = r;
    return true;
}

static void set_ref(xlsx_sheet *s)
{
    char letters[4];
    xlsx_column_name(s->column, letters);
    snprintf(s->ref, sizeof s->ref, "%s%u", letters, (unsigned)s->row);
}

static void row_start(xlsx_sheet *s, const char **atts)
{
    const char *r = attr(atts, "r");
    uint32_t number;
    char quoted[64];
    if (r != NULL) {
        if (!parse_u32(r, &number) || number == 0) {
            quote_ref(r, quoted, sizeof quoted);
            reader_fail(&s->r, ERROR_INPUT, "%s: %s: row '%s' is not a row number", s->book->name,
                        s->name, quoted);
            return;
        }
    } else {
        number = s->last_row + 1; /* r is optional: the row after the last */
    }
    if (number > s->book->limits.max_rows) {
        reader_fail(&s->r, ERROR_INPUT, "%s: %s: row %u is beyond the last row allowed (%u)",
                    s->book->name, s->name, (unsigned)number, (unsigned)s->book->limits.max_rows);
        return;
    }
    if (number <= s->last_row) {
        reader_fail(&s->r, ERROR_INPUT, "%s: %s: row %u comes after row %u (rows out of order)",
                    s->book->name, s->name, (unsigned)number, (unsigned)s->last_row);
        return;
    }
    s->row = s->last_row = number;
    s->last_col = 0;
    s->in_row = true;
    s->row_depth = s->r.depth;
}

static void cell_start(xlsx_sheet *s, const char **atts)
{
    const char *r = attr(atts, "r"), *t = attr(atts, "t"), *style = attr(atts, "s");
    uint32_t column, row;
    char quoted[64], last[4];
    if (r != NULL) {
        if (!parse_ref(r, &column, &row)) {
            quote_ref(r, quoted, sizeof quoted);
            reader_fail(&s->r, ERROR_INPUT,
                        "%s: %s: row %u: bad cell reference '%s' (a column from A to XFD and "
                        "a row number)",
                        s->book->name, s->name, (unsigned)s->row, quoted);
            return;
        }
        if (row != s->row) {
            reader_fail(&s->r, ERROR_INPUT, "%s: %s: row %u: the cell %s is in another row",
                        s->book->name, s->name, (unsigned)s->row, r);
            return;
        }
    } else {
        column = s->last_col + 1; /* r is optional: the cell after the last */
    }
    s->column = column;
    set_ref(s);
    if (column > s->book->limits.max_columns) {
        xlsx_column_name(s->book->limits.max_columns, last);
        cell_fail(s, "beyond the last column allowed (%s)", last);
        return;
    }
    if (column <= s->last_col) {
        xlsx_column_name(s->last_col, last);
        cell_fail(s, "comes after %s%u (cells out of order)", last, (unsigned)s->row);
        return;
    }
    s->last_col = column;
    if (t == NULL || strcmp(t, "n") == 0)
        s->type = T_NUMBER;
    else if (strcmp(t, "s") == 0)
        s->type = T_SHARED;
    else if (strcmp(t, "inlineStr") == 0)
        s->type = T_INLINE;
    else if (strcmp(t, "str") == 0)
        s->type = T_STRING;
    else if (strcmp(t, "b") == 0)
        s->type = T_BOOLEAN;
    else if (strcmp(t, "e") == 0)
        s->type = T_ERROR;
    else if (strcmp(t, "d") == 0)
        s->type = T_DATE;
    else {
        quote_ref(t, quoted, sizeof quoted);
        cell_fail(s, "unknown cell type t=\"%s\"", quoted);
        return;
    }
    if (style == NULL || !parse_u32(style, &s->style))
        s->style = 0;
    s->in_cell = true;
    s->cell_depth = s->r.depth;
    s->has_value = false;
    s->in_v = s->in_is = false;
    s->in_t = s->in_rph = 0;
    buffer_reset(&s->value);
}

/* Adds a finished cell to the row. */
static void row_add(xlsx_sheet *s, xlsx_kind kind, const char *text, size_t length, double number)
{
    xlsx_cell *cell;
    if (s->arena.length + length + 1 > s->book->limits.max_row_bytes) {
        cell_fail(s, "row %u holds more than %zu bytes of text", (unsigned)s->row,
                  s->book->limits.max_row_bytes);
        return;
    }
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 32;
        xlsx_cell *cells = realloc(s->cells, cap * sizeof *cells);
        size_t *offsets;
        if (cells != NULL)
            s->cells = cells;
        offsets = cells != NULL ? realloc(s->offsets, cap * sizeof *offsets) : NULL;
        if (offsets == NULL) {
            reader_fail(&s->r, ERROR_SYSTEM, "%s: out of memory", s->book->name);
            return;
        }
        s->offsets = offsets;
        s->capacity = cap;
    }
    s->offsets[s->count] = s->arena.length;
    buffer_append(&s->arena, text, length);
    buffer_append(&s->arena, "", 1);
    if (buffer_failed(&s->arena)) {
        reader_fail(&s->r, ERROR_SYSTEM, "%s: out of memory", s->book->name);
        return;
    }
    cell = &s->cells[s->count++];
    cell->column = s->column;
    memcpy(cell->ref, s->ref, sizeof cell->ref);
    cell->kind = kind;
    cell->text = NULL; /* set when the row is complete (the arena may move) */
    cell->length = length;
    cell->number = number;
}

/* Adds a number cell, as a date or time when its style's format shows one. */
static void add_number(xlsx_sheet *s, double x)
{
    unsigned shows = s->style < s->book->xf_count ? s->book->xf_kinds[s->style] : 0;
    char text[64];
    int y, m, d, sec;
    if (shows != 0 && xlsx_serial_to_date(x, s->book->date1904, &y, &m, &d, &sec)) {
        if (shows == SHOWS_TIME) {
            snprintf(text, sizeof text, "%02d:%02d:%02d", sec / 3600, sec / 60 % 60, sec % 60);
            row_add(s, XLSX_TIME, text, strlen(text), x);
        } else {
            snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
            if (shows & SHOWS_TIME)
                snprintf(text + 10, sizeof text - 10, " %02d:%02d:%02d", sec / 3600, sec / 60 % 60,
                         sec % 60);
            row_add(s, XLSX_DATE, text, strlen(text), x);
        }
        return;
    }
    /* A date format on a number no calendar shows (negative, too large):
    ** Excel shows ####; the number itself is the honest value. */
    snprintf(text, sizeof text, "%.15g", x);
    row_add(s, XLSX_NUMBER, text, strlen(text), x);
}

/* Turns the collected value of the cell into a row cell. */
static void cell_end(xlsx_sheet *s)
{
    const char *v = buffer_text(&s->value);
    size_t n = s->value.length;
    char *end = NULL;
    char quoted[64];
    uint32_t index;
    double x;
    int y, m, d;
    if (buffer_failed(&s->value)) {
        reader_fail(&s->r, ERROR_SYSTEM, "%s: out of memory", s->book->name);
        return;
    }
    if (!s->has_value || (n == 0 && s->type != T_INLINE))
        return; /* a blank (perhaps formatted) cell */
    quote_ref(v, quoted, sizeof quoted);
    switch (s->type) {
    case T_SHARED:
        if (!parse_u32(v, &index)) {
            cell_fail(s, "shared string index '%s' is not a number", quoted);
            return;
        }
        if (index >= s->book->shared_count) {
            cell_fail(s, "shared string %u does not exist (the workbook has %zu)", (unsigned)index,
                      s->book->shared_count);
            return;
        }
        {
            const char *text = s->book->shared_text + s->book->shared_offsets[index];
            row_add(s, XLSX_TEXT, text, strlen(text), 0);
        }
        return;
    case T_INLINE:
    case T_STRING:
        if (n > 0)
            n = decode_escapes(s->value.data, n);
        row_add(s, XLSX_TEXT, v, n, 0);
        return;
    case T_BOOLEAN:
        if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
            row_add(s, XLSX_BOOLEAN, "TRUE", 4, 1);
        else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
            row_add(s, XLSX_BOOLEAN, "FALSE", 5, 0);
        else
            cell_fail(s, "boolean '%s' is neither 0 nor 1", quoted);
        return;
    case T_ERROR:
        row_add(s, XLSX_ERROR, v, n, 0);
        return;
    case T_DATE: {
        char day[11];
        memcpy(day, v, n < 10 ? n : 10);
        day[n < 10 ? n : 10] = '\0';
        if (!text_date_parse(day, &y, &m, &d) || (n > 10 && v[10] != 'T')) {
            cell_fail(s, "'%s' is not an ISO 8601 date", quoted);
            return;
        }
        x = (double)(days_from_civil(y, m, d) - days_from_civil(1899, 12, 30));
        if (s->book->date1904)
            x -= 1462;
        else if (x < 61)
            x -= 1; /* serials before 1900-03-01 count from 1899-12-31 */
        row_add(s, XLSX_DATE, day, 10, x);
        return;
    }
    case T_NUMBER:
        /* strtod alone would also take hex, "inf" and leading blanks. */
        x = v[strspn(v, "0123456789.eE+-")] == '\0' ? strtod(v, &end) : 0;
        if (end == NULL || end == v || *end != '\0' || !isfinite(x)) {
            cell_fail(s, "'%s' is not a number", quoted);
            return;
        }
        add_number(s, x);
        return;
    }
}

/* A row is complete: hand it out by suspending the parser. */
static void row_end(xlsx_sheet *s)
{
    size_t i;
    s->in_row = false;
    if (s->count == 0)
        return;
    for (i = 0; i < s->count; i++)
        s->cells[i].text = s->arena.data + s->offsets[i];
    s->out.number = s->row;
    s->out.count = s->count;
    s->out.cells = s->cells;
    s->row_ready = true;
    XML_StopParser(s->r.parser, XML_TRUE);
}

static void XMLCALL sheet_start(void *user, const XML_Char *name, const XML_Char **atts)
{
    xlsx_sheet *s = user;
    const char *ln = local_name(name);
    if (!reader_enter(&s->r))
        return;
    if (!s->in_data) {
        if (s->r.depth == 2 && strcmp(ln, "sheetData") == 0)
            s->in_data = true;
    } else if (!s->in_row) {
        if (strcmp(ln, "row") == 0)
            row_start(s, atts);
        else if (strcmp(ln, "c") == 0)
            reader_fail(&s->r, ERROR_INPUT, "%s: %s: line %lu: a cell outside a row", s->book->name,
                        s->name, (unsigned long)XML_GetCurrentLineNumber(s->r.parser));
    } else if (!s->in_cell) {
        if (strcmp(ln, "c") == 0 && s->r.depth == s->row_depth + 1)
            cell_start(s, atts);
    } else if (s->r.depth == s->cell_depth + 1 && strcmp(ln, "v") == 0 && s->type != T_INLINE) {
        s->in_v = true;
        s->has_value = true;
    } else if (s->r.depth == s->cell_depth + 1 && strcmp(ln, "is") == 0 && s->type == T_INLINE) {
        s->in_is = true;
        s->has_value = true;
    } else if (s->in_is && strcmp(ln, "rPh") == 0) {
        s->in_rph++;
    } else if (s->in_is && strcmp(ln, "t") == 0) {
        s->in_t++;
    }
}

static void XMLCALL sheet_end(void *user, const XML_Char *name)
{
    xlsx_sheet *s = user;
    const char *ln = local_name(name);
    unsigned depth = s->r.depth--;
    if (s->r.status != ERROR_OK)
        return;
    if (s->in_cell) {
        if (depth == s->cell_depth) {
            s->in_cell = false;
            cell_end(s);
        } else if (s->in_v && strcmp(ln, "v") == 0) {
            s->in_v = false;
        } else if (s->in_is && depth == s->cell_depth + 1) {
            s->in_is = false;
        } else if (s->in_is && strcmp(ln, "rPh") == 0 && s->in_rph > 0) {
            s->in_rph--;
        } else if (s->in_is && strcmp(ln, "t") == 0 && s->in_t > 0) {
            s->in_t--;
        }
    } else if (s->in_row && depth == s->row_depth) {
        row_end(s);
    } else if (s->in_data && depth == 2) {
        s->in_data = false;
    }
}

static void XMLCALL sheet_chars(void *user, const XML_Char *text, int length)
{
    xlsx_sheet *s = user;
    if (s->r.status != ERROR_OK || !(s->in_v || (s->in_t > 0 && s->in_rph == 0)))
        return;
    if (s->value.length + (size_t)length > s->book->limits.max_cell_bytes) {
        cell_fail(s, "the text is longer than %zu bytes", s->book->limits.max_cell_bytes);
        return;
    }
    buffer_append(&s->value, text, (size_t)length);
}

int xlsx_sheet_open(xlsx_book *b, size_t index, xlsx_sheet **out, error *e)
{
    xlsx_sheet *s = NULL;
    int status;
    *out = NULL;
    if (index >= b->sheet_count)
        return error_set(e, ERROR_USAGE, "%s: there is no sheet %zu (the workbook has %zu)",
                         b->name, index + 1, b->sheet_count);
    status = shared_load(b, e);
    if (status != ERROR_OK)
        return status;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return error_set(e, ERROR_SYSTEM, "%s: out of memory", b->name);
    s->book = b;
    s->name = b->infos[index].name;
    buffer_init(&s->value);
    buffer_init(&s->arena);
    status = reader_open(&s->r, b, b->infos[index].part, s->name, b->limits.max_part_bytes, s,
                         sheet_start, sheet_end, sheet_chars, e);
    if (status != ERROR_OK) {
        xlsx_sheet_close(s);
        return status;
    }
    *out = s;
    return ERROR_OK;
}

int xlsx_sheet_next(xlsx_sheet *s, const xlsx_row **row, error *e)
{
    *row = NULL;
    if (s->status != ERROR_OK)
        return error_set(e, s->status, "%s", s->err.message);
    buffer_reset(&s->arena);
    s->count = 0;
    s->row_ready = false;
    while (!s->row_ready && !s->r.done) {
        int status = reader_pump(&s->r, e);
        if (status != ERROR_OK) {
            s->status = status;
            error_set(&s->err, status, "%s", e->message);
            return status;
        }
    }
    if (s->row_ready)
        *row = &s->out;
    return ERROR_OK;
}

void xlsx_sheet_close(xlsx_sheet *s)
{
    if (s == NULL)
        return;
    reader_close(&s->r);
    buffer_free(&s->value);
    buffer_free(&s->arena);
    free(s->cells);
    free(s->offsets);
    free(s);
}
