/*
** jsontext.c — JSON values as text through a checked buffer (see
** jsontext.h for why json_dumps itself is not enough).
*/
#include "jsontext.h"

#include "buffer.h"

/* json_dump_callback's writer. A failure is also remembered in the buffer,
** so it counts even where jansson does not check this return value. */
static int append_text(const char *text, size_t length, void *data)
{
    buffer *out = data;
    buffer_append(out, text, length);
    return buffer_failed(out) ? -1 : 0;
}

char *jsontext_dump(const json_t *value, size_t flags)
{
    buffer out;
    buffer_init(&out);
    if (json_dump_callback(value, append_text, &out, flags) != 0) {
        buffer_free(&out);
        return NULL;
    }
    return buffer_take(&out); /* NULL when any append failed */
}
