/*
** jsontext.h — JSON values as text, never cut short.
**
** jansson's json_dumps() can return text with an object key missing when an
** allocation fails part-way (its dumper ignores the failure of writing a
** key: akheron/jansson#655, still so in Debian's 2.14), and results must
** never hold a damaged params or report. jsontext_dump writes through a
** buffer whose failure is remembered, so such text is never returned.
*/
#ifndef KAOHE_JSONTEXT_H
#define KAOHE_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>

/* Like json_dumps(value, flags): the whole text (free() it), or NULL when
** out of memory (or the value cannot be dumped with these flags). */
char *jsontext_dump(const json_t *value, size_t flags);

#endif
