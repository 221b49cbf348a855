/*
** text.h — small text utilities: "did you mean" suggestions, UTF-8
** validity, and display width of UTF-8 text (CJK characters take two
** columns) through wcwidth() under a UTF-8 locale.
*/
#ifndef KAOHE_TEXT_H
#define KAOHE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* Returns the candidate closest to `word` (edit distance, at most a third of
** the word's length, at least 1), or NULL. Ties go to the first candidate.
** The result points into `candidates`. */
const char *text_suggest(const char *word, const char *const *candidates, size_t count);

/* True when `length` bytes at `text` are well-formed UTF-8 (RFC 3629: no
** overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF, no
** truncated sequence; NUL bytes are allowed): the rule PCRE2 applies to
** subjects (test_re.c compares the two). Otherwise false, with the byte
** offset of the first byte of the first bad character in *bad_offset (when
** not NULL). The one UTF-8 validator of kaohe. */
bool text_utf8_valid(const char *text, size_t length, size_t *bad_offset);

/* Parses a real calendar date YYYY-MM-DD strictly (2023-02-30 is not one);
** returns 1 and the parts, or 0. */
int text_date_parse(const char *text, int *year, int *month, int *day);
/* True when `text` is a real calendar date YYYY-MM-DD. */
bool text_date_valid(const char *text);

/* Number of UTF-8 characters in the first `byte_offset` bytes. */
size_t text_utf8_chars(const char *text, size_t byte_offset);

/* Bytes of the longest prefix of `text` (NUL-terminated) of at most `max`
** bytes that does not cut a UTF-8 sequence in two. */
size_t text_utf8_prefix(const char *text, size_t max);

/* Selects a UTF-8 LC_CTYPE (C.UTF-8 if the environment's is not UTF-8) so
** that wcwidth() knows CJK widths. Call once from main. */
void text_locale_init(void);

/* Display width in terminal columns (invalid bytes count as one column). */
size_t text_width(const char *text);

/* Appends `text` padded with spaces to `width` columns (left-aligned, or
** right-aligned when `right`); text wider than `width` is cut at a
** character boundary. */
void text_pad(buffer *out, const char *text, size_t width, bool right);

#endif
