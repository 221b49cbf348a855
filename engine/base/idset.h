/*
** idset.h — a set of ids (byte strings), for checking references.
**
** The snapshot's references (workers.community_id, visits.worker_id, ...)
** are checked row by row against the ids of the table they point to; a
** national snapshot has millions of them, so the check is one hash lookup
** rather than a search in an SQL subquery's index. Ids are copied into the
** set; the set owns its memory (idset_free).
*/
#ifndef KAOHE_IDSET_H
#define KAOHE_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct idset {
    uint64_t *slots; /* 0 = empty; else (hash top bits << 40) | (offset + 1) */
    size_t capacity; /* a power of two */
    size_t count;
    char *arena; /* each id: its length and ordinal (uint32_t, unaligned), then its bytes */
    size_t arena_used, arena_size;
} idset;

void idset_init(idset *set);
void idset_free(idset *set);

/* Adds `id` (`length` bytes). Returns 0, or -1 when out of memory (the set is
** then unchanged). Adding an id already present does nothing. */
int idset_add(idset *set, const void *id, size_t length);

bool idset_contains(const idset *set, const void *id, size_t length);

/* The ordinal of `id` (0 for the first id added, 1 for the next...), or -1
** when it is not in the set: an index from ids to rows of an array. */
long idset_find(const idset *set, const void *id, size_t length);

/* A pool of interned strings: each distinct text is stored once and the
** same pointer returned for it, valid until strpool_free. For the values
** that repeat across millions of rows (departments, dates, reasons). */
typedef struct strpool {
    char **slots; /* NULL = empty */
    size_t capacity, count;
} strpool;

void strpool_init(strpool *pool);
void strpool_free(strpool *pool);

/* The pooled copy of `text`, or NULL when out of memory. */
const char *strpool_intern(strpool *pool, const char *text);

/* Many small strings (millions of worker and task ids) copied into large
** blocks: no per-string allocation overhead, and pointers stay valid until
** textarena_free. */
typedef struct textarena {
    char **blocks;
    size_t block_count;
    size_t used; /* bytes used in the last block */
    size_t size; /* size of the last block */
} textarena;

void textarena_init(textarena *arena);
void textarena_free(textarena *arena);

/* A NUL-terminated copy of `text` in the arena, or NULL when out of memory. */
const char *textarena_copy(textarena *arena, const char *text);
#endif
