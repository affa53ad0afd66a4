/* errmsg.c -- the error messages of the eval readers (npy.c,
 * pairs_csv.c): "<file or file:line>: <cause>". */
#include "errmsg_internal.h"

#include <stdio.h>

void meval_format_error(char *buf, size_t cap, const char *where,
                        const char *fmt, va_list ap)
{
    int len = snprintf(buf, cap, "%s: ", where);
    if (len >= 0 && (size_t)len < cap)
        vsnprintf(buf + len, cap - (size_t)len, fmt, ap);
}
