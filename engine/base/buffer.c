/*
** buffer.c — the growable buffer of buffer.h.
*/
#include "buffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buffer_init(buffer *b)
{
    b->data = NULL;
    b->length = 0;
    b->capacity = 0;
    b->failed = false;
}

void buffer_free(buffer *b)
{
    free(b->data);
    buffer_init(b);
}

void buffer_reset(buffer *b)
{
    b->length = 0;
    b->failed = false;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL; false on failure. */
static bool buffer_reserve(buffer *b, size_t extra)
{
    size_t need;
    size_t capacity;
    char *grown;
    if (b->failed)
        return false;
    if (extra > ((size_t)-1) / 2 - b->length) {
        b->failed = true;
        return false;
    }
    need = b->length + extra + 1;
    if (need <= b->capacity)
        return true;
    capacity = b->capacity ? b->capacity : 64;
    while (capacity < need)
        capacity *= 2;
    grown = realloc(b->data, capacity);
    if (grown == NULL) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->capacity = capacity;
    return true;
}

void buffer_append(buffer *b, const char *data, size_t length)
{
    if (!buffer_reserve(b, length))
        return;
    if (length > 0)
        memcpy(b->data + b->length, data, length);
    b->length += length;
    b->data[b->length] = '\0';
}

void buffer_puts(buffer *b, const char *text)
{
    buffer_append(b, text, strlen(text));
}

void buffer_printf(buffer *b, const char *format, ...)
{
    va_list args;
    int n;
    char small[256];
    va_start(args, format);
    n = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        buffer_append(b, small, (size_t)n);
        return;
    }
    if (!buffer_reserve(b, (size_t)n))
        return;
    va_start(args, format);
    vsnprintf(b->data + b->length, (size_t)n + 1, format, args);
    va_end(args);
    b->length += (size_t)n;
}

void buffer_repeat(buffer *b, char c, size_t count)
{
    if (!buffer_reserve(b, count))
        return;
    memset(b->data + b->length, c, count);
    b->length += count;
    b->data[b->length] = '\0';
}

bool buffer_failed(const buffer *b)
{
    return b->failed;
}

const char *buffer_text(const buffer *b)
{
    return b->data != NULL ? b->data : "";
}

char *buffer_take(buffer *b)
{
    char *data = b->data;
    if (b->failed) {
        /* Incomplete contents are never handed on as if whole. */
        free(data);
        buffer_init(b);
        return NULL;
    }
    if (data == NULL) {
        data = malloc(1);
        if (data != NULL)
            data[0] = '\0';
    }
    buffer_init(b);
    return data;
}
