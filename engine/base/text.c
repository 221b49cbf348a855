/*
** text.c — the text utilities of text.h.
*/
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "text.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Levenshtein distance over bytes; enough for ASCII identifiers. */
static size_t text_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[128];
    size_t i, j;
    if (lb >= sizeof row / sizeof row[0] || la >= 128)
        return (size_t)-1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diagonal + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

const char *text_suggest(const char *word, const char *const *candidates, size_t count)
{
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    size_t allowed = strlen(word) / 3;
    size_t i;
    if (allowed < 1)
        allowed = 1;
    for (i = 0; i < count; i++) {
        size_t d;
        if (candidates[i] == NULL)
            continue;
        d = text_distance(word, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    return best_distance <= allowed && best_distance > 0 ? best : NULL;
}

/* RFC 3629 by byte ranges (no code point is built): the allowed range of
** the second byte excludes overlong forms, surrogates and values above
** U+10FFFF, as PCRE2's own check does. */
bool text_utf8_valid(const char *text, size_t length, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    bool ok = true;
    if (p == NULL && length != 0) {
        ok = false;
        goto done;
    }
    while (i < length) {
        unsigned c = p[i];
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        size_t need, k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2) { /* stray continuation byte, or C0/C1 (overlong ASCII) */
            ok = false;
            goto done;
        } else if (c < 0xE0) {
            need = 1;
        } else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong below U+0800 */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates U+D800..U+DFFF */
        } else if (c < 0xF5) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong below U+10000 */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            ok = false;
            goto done;
        }
        if (length - i <= need) { /* truncated at the end */
            ok = false;
            goto done;
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            ok = false;
            goto done;
        }
        for (k = 2; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                ok = false;
                goto done;
            }
        }
        i += need + 1;
    }
done:
    if (!ok && bad_offset != NULL)
        *bad_offset = i;
    return ok;
}

size_t text_utf8_chars(const char *text, size_t byte_offset)
{
    size_t chars = 0;
    size_t i;
    for (i = 0; i < byte_offset && text[i] != '\0'; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            chars++;
    return chars;
}

void text_locale_init(void)
{
    const char *current = setlocale(LC_CTYPE, "");
    if (current == NULL || (strstr(current, "UTF-8") == NULL && strstr(current, "utf8") == NULL &&
                            strstr(current, "UTF8") == NULL && strstr(current, "utf-8") == NULL))
        setlocale(LC_CTYPE, "C.UTF-8");
}

/* Width of the next character at `text`; *length receives its byte length. */
static size_t text_char_width(const char *text, size_t available, size_t *length)
{
    mbstate_t state;
    wchar_t wide;
    size_t n;
    int width;
    memset(&state, 0, sizeof state);
    n = mbrtowc(&wide, text, available, &state);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        *length = 1;
        return 1;
    }
    *length = n;
    width = wcwidth(wide);
    return width < 0 ? 1 : (size_t)width;
}

size_t text_width(const char *text)
{
    size_t width = 0;
    size_t remaining = strlen(text);
    while (remaining > 0) {
        size_t length;
        width += text_char_width(text, remaining, &length);
        text += length;
        remaining -= length;
    }
    return width;
}

void text_pad(buffer *out, const char *text, size_t width, bool right)
{
    size_t used = 0;
    size_t remaining = strlen(text);
    size_t cut = 0;
    while (cut < remaining) {
        size_t length;
        size_t w = text_char_width(text + cut, remaining - cut, &length);
        if (used + w > width)
            break;
        used += w;
        cut += length;
    }
    if (right)
        buffer_repeat(out, ' ', width - used);
    buffer_append(out, text, cut);
    if (!right)
        buffer_repeat(out, ' ', width - used);
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int text_date_parse(const char *text, int *year, int *month, int *day)
{
    int i;
    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return 0;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return 0;
    /* Digits checked above; atoi() would cost more than the whole check. */
    *year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    *month = (text[5] - '0') * 10 + (text[6] - '0');
    *day = (text[8] - '0') * 10 + (text[9] - '0');
    return *month >= 1 && *month <= 12 && *day >= 1 && *day <= days_in_month(*year, *month);
}

bool text_date_valid(const char *text)
{
    int y, m, d;
    return text_date_parse(text, &y, &m, &d) != 0;
}

size_t text_utf8_prefix(const char *text, size_t max)
{
    size_t length = strnlen(text, max + 1);
    if (length <= max)
        return length;
    length = max;
    while (length > 0 && ((unsigned char)text[length] & 0xC0) == 0x80)
        length--; /* text[length] continues a sequence: cut before it starts */
    return length;
}
