/*
** buffer.h — a growable byte buffer for building text (SQL, reports, JSON
** lines). Out of memory is remembered in the buffer and reported once, by
** buffer_failed(), so callers can append freely and check at the end.
*/
#ifndef KAOHE_BUFFER_H
#define KAOHE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct buffer {
    char *data;      /* NUL-terminated contents (NULL until the first append) */
    size_t length;   /* bytes used, not counting the terminating NUL */
    size_t capacity; /* bytes allocated */
    bool failed;     /* an allocation failed: contents are incomplete */
} buffer;

void buffer_init(buffer *b);
void buffer_free(buffer *b);
void buffer_reset(buffer *b); /* length 0, keeps the allocation */
void buffer_append(buffer *b, const char *data, size_t length);
void buffer_puts(buffer *b, const char *text);
void buffer_printf(buffer *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Appends `count` copies of byte `c`. */
void buffer_repeat(buffer *b, char c, size_t count);
/* True when an allocation failed since the last init/reset. */
bool buffer_failed(const buffer *b);
/* Returns the contents ("" when empty); owned by the buffer. */
const char *buffer_text(const buffer *b);
/* Hands the contents to the caller (free() it) and re-initialises `b`; NULL
** when an allocation failed (the contents would be incomplete). */
char *buffer_take(buffer *b);

#endif
