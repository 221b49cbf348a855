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
    char *arena; /* each id: its length (uint32_t, unaligned) then its bytes */
    size_t arena_used, arena_size;
} idset;

void idset_init(idset *set);
void idset_free(idset *set);

/* Adds `id` (`length` bytes). Returns 0, or -1 when out of memory (the set is
** then unchanged). Adding an id already present does nothing. */
int idset_add(idset *set, const void *id, size_t length);

bool idset_contains(const idset *set, const void *id, size_t length);

#endif
