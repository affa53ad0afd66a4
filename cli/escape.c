/* escape.c -- file names in text meant for people and terminals: a name
 * may hold a newline (splitting a row), a tab (shifting columns) or an
 * escape sequence (driving the terminal), and bytes that are not UTF-8.
 * They are written as TSV writes them (\t, \n, \r, \\) and \xHH for every
 * other control character and for bytes that are not part of valid UTF-8,
 * so that what is printed is one line of valid UTF-8 and says exactly
 * which bytes the name has.  HTML text and attributes (the pages of
 * maso-query --html and maso-eval --html) get entities instead. */
#include "maso_cli.h"

#include <string.h>

size_t maso_cli_utf8_char(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return c ? 1 : 0;
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned v = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

int maso_cli_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = maso_cli_utf8_char(p);
        if (!n)
            return 0;
        p += n;
    }
    return 1;
}

void maso_cli_text_escaped(FILE *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = maso_cli_utf8_char(p);
        /* C1 controls (U+0080..U+009F) act like escapes on some terminals. */
        int c1 = n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
        if (n == 1 && *p >= 0x20 && *p != 0x7F && *p != '\\') {
            fputc(*p, out);
        } else if (n > 1 && !c1) {
            fwrite(p, 1, n, out);
        } else if (*p == '\\') {
            fputs("\\\\", out);
        } else if (*p == '\t') {
            fputs("\\t", out);
        } else if (*p == '\n') {
            fputs("\\n", out);
        } else if (*p == '\r') {
            fputs("\\r", out);
        } else {
            size_t k = n ? n : 1; /* a C1 character: both bytes */
            for (size_t i = 0; i < k; i++)
                fprintf(out, "\\x%c%c", hex[p[i] >> 4], hex[p[i] & 15]);
            p += k;
            continue;
        }
        p += n ? n : 1;
    }
}

void maso_cli_print_error(const char *program, const char *message)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", program);
    maso_cli_text_escaped(stderr, message);
    fputc('\n', stderr);
}

void maso_cli_html_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((unsigned char)*s < 0x20 || *s == 0x7F)
                fprintf(out, "\\x%02x", (unsigned char)*s);
            else
                fputc(*s, out);
        }
    }
}
