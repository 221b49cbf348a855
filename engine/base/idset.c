/*
** idset.c — a set of ids (idset.h): open addressing with linear probing over
** 64-bit slots that hold part of the hash and the id's offset in one arena,
** so a set of millions of ids is two allocations.
*/
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#define OFFSET_BITS 40
#define OFFSET_MASK ((UINT64_C(1) << OFFSET_BITS) - 1)
/* An entry in the arena: its length and its ordinal (uint32_t each,
** unaligned), then its bytes. */
#define ENTRY_HEAD (2 * sizeof(uint32_t))

/* FNV-1a, 64 bits: ids are short, mostly digits. */
static uint64_t id_hash(const unsigned char *bytes, size_t length)
{
    uint64_t h = UINT64_C(14695981039346656037);
    size_t i;
    for (i = 0; i < length; i++) {
        h ^= bytes[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

void idset_init(idset *set)
{
    memset(set, 0, sizeof *set);
}

void idset_free(idset *set)
{
    free(set->slots);
    free(set->arena);
    idset_init(set);
}

static bool slot_matches(const idset *set, uint64_t slot, uint64_t tag, const void *id,
                         size_t length)
{
    uint32_t stored;
    const char *entry;
    if ((slot >> OFFSET_BITS) != tag)
        return false;
    entry = set->arena + (slot & OFFSET_MASK) - 1;
    memcpy(&stored, entry, sizeof stored);
    return stored == length && memcmp(entry + ENTRY_HEAD, id, length) == 0;
}

/* Places `slot` (an id already in the arena) in `slots`, without checks. */
static void slot_place(uint64_t *slots, size_t capacity, uint64_t slot, uint64_t hash)
{
    size_t i = (size_t)hash & (capacity - 1);
    while (slots[i] != 0)
        i = (i + 1) & (capacity - 1);
    slots[i] = slot;
}

static int grow(idset *set)
{
    size_t capacity = set->capacity ? set->capacity * 2 : 1024, i;
    uint64_t *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (i = 0; i < set->capacity; i++) {
        uint64_t slot = set->slots[i];
        uint32_t length;
        const char *entry;
        if (slot == 0)
            continue;
        entry = set->arena + (slot & OFFSET_MASK) - 1;
        memcpy(&length, entry, sizeof length);
        slot_place(slots, capacity, slot,
                   id_hash((const unsigned char *)entry + ENTRY_HEAD, length));
    }
    free(set->slots);
    set->slots = slots;
    set->capacity = capacity;
    return 0;
}

int idset_add(idset *set, const void *id, size_t length)
{
    uint64_t hash = id_hash(id, length), tag = hash >> OFFSET_BITS;
    uint32_t stored = (uint32_t)length, ordinal = (uint32_t)set->count;
    size_t need = ENTRY_HEAD + length;
    if (length > UINT32_MAX || set->count >= UINT32_MAX || idset_contains(set, id, length))
        return length > UINT32_MAX || set->count >= UINT32_MAX ? -1 : 0;
    if ((set->count + 1) * 2 > set->capacity && grow(set) != 0)
        return -1;
    if (set->arena_used + need > set->arena_size) {
        size_t size = set->arena_size ? set->arena_size * 2 : 65536;
        char *arena;
        while (size < set->arena_used + need)
            size *= 2;
        if (size - 1 > OFFSET_MASK)
            return -1;
        arena = realloc(set->arena, size);
        if (arena == NULL)
            return -1;
        set->arena = arena;
        set->arena_size = size;
    }
    memcpy(set->arena + set->arena_used, &stored, sizeof stored);
    memcpy(set->arena + set->arena_used + sizeof stored, &ordinal, sizeof ordinal);
    memcpy(set->arena + set->arena_used + ENTRY_HEAD, id, length);
    slot_place(set->slots, set->capacity, (tag << OFFSET_BITS) | (uint64_t)(set->arena_used + 1),
               hash);
    set->arena_used += need;
    set->count++;
    return 0;
}

long idset_find(const idset *set, const void *id, size_t length)
{
    uint64_t hash, tag;
    size_t i;
    if (set->capacity == 0)
        return -1;
    hash = id_hash(id, length);
    tag = hash >> OFFSET_BITS;
    for (i = (size_t)hash & (set->capacity - 1); set->slots[i] != 0;
         i = (i + 1) & (set->capacity - 1))
        if (slot_matches(set, set->slots[i], tag, id, length)) {
            uint32_t ordinal;
            memcpy(&ordinal, set->arena + (set->slots[i] & OFFSET_MASK) - 1 + sizeof(uint32_t),
                   sizeof ordinal);
            return (long)ordinal;
        }
    return -1;
}

bool idset_contains(const idset *set, const void *id, size_t length)
{
    return idset_find(set, id, length) >= 0;
}

void strpool_init(strpool *pool)
{
    memset(pool, 0, sizeof *pool);
}

void strpool_free(strpool *pool)
{
    size_t i;
    for (i = 0; i < pool->capacity; i++)
        free(pool->slots[i]);
    free(pool->slots);
    strpool_init(pool);
}

const char *strpool_intern(strpool *pool, const char *text)
{
    size_t length = strlen(text), i;
    uint64_t hash = id_hash((const unsigned char *)text, length);
    char *copy;
    if ((pool->count + 1) * 2 > pool->capacity) {
        size_t capacity = pool->capacity ? pool->capacity * 2 : 256;
        char **slots = calloc(capacity, sizeof *slots);
        if (slots == NULL)
            return NULL;
        for (i = 0; i < pool->capacity; i++) {
            size_t k;
            if (pool->slots[i] == NULL)
                continue;
            k = (size_t)id_hash((const unsigned char *)pool->slots[i], strlen(pool->slots[i])) &
                (capacity - 1);
            while (slots[k] != NULL)
                k = (k + 1) & (capacity - 1);
            slots[k] = pool->slots[i];
        }
        free(pool->slots);
        pool->slots = slots;
        pool->capacity = capacity;
    }
    for (i = (size_t)hash & (pool->capacity - 1); pool->slots[i] != NULL;
         i = (i + 1) & (pool->capacity - 1))
        if (strcmp(pool->slots[i], text) == 0)
            return pool->slots[i];
    copy = strdup(text);
    if (copy == NULL)
        return NULL;
    pool->slots[i] = copy;
    pool->count++;
    return copy;
}

void textarena_init(textarena *arena)
{
    memset(arena, 0, sizeof *arena);
}

void textarena_free(textarena *arena)
{
    size_t i;
    for (i = 0; i < arena->block_count; i++)
        free(arena->blocks[i]);
    free(arena->blocks);
    textarena_init(arena);
}

const char *textarena_copy(textarena *arena, const char *text)
{
    size_t length = strlen(text) + 1;
    char *out;
    if (arena->block_count == 0 || arena->used + length > arena->size) {
        size_t size = length > 1048576 ? length : 1048576;
        char **blocks = realloc(arena->blocks, (arena->block_count + 1) * sizeof *blocks);
        char *block;
        if (blocks == NULL)
            return NULL;
        arena->blocks = blocks;
        block = malloc(size);
        if (block == NULL)
            return NULL;
        arena->blocks[arena->block_count++] = block;
        arena->used = 0;
        arena->size = size;
    }
    out = arena->blocks[arena->block_count - 1] + arena->used;
    memcpy(out, text, length);
    arena->used += length;
    return out;
}
