/* json.c -- JSON string literals for the programs' --json output.  The
 * output is always valid UTF-8 (RFC 8259): bytes of a file name that are
 * not UTF-8 become U+FFFD; the programs add the exact bytes as base64
 * beside such names (README: "Output that cannot break"). */
#include "maso_cli.h"

void maso_cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = maso_cli_utf8_char(p);
        switch (n ? *p : 0x80) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (!n)
                fputs("\\ufffd", out); /* not UTF-8: one per byte */
            else if (*p < 0x20 || *p == 0x7F)
                fprintf(out, "\\u%04x", *p);
            else
                fwrite(p, 1, n, out);
        }
        p += n ? n : 1;
    }
    fputc('"', out);
}
