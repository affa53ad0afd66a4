/* readfile.c -- read a whole file into memory. */
#include "readfile_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int meval_read_file(const char *path, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno ? errno : EIO;
    int rc = 0;
    char *buf = NULL;
    size_t used = 0, cap = 0;
    /* Grow as we go instead of trusting ftell(): works for pipes too. */
    for (;;) {
        if (cap - used < 4096) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf = realloc(buf, ncap + 1);
            if (nbuf == NULL) {
                rc = ENOMEM;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0) {
            if (ferror(f))
                rc = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[used] = '\0';
    *data = buf;
    *size = used;
    return 0;
}

void meval_format_error(char *buf, size_t cap, const char *where,
                        const char *fmt, va_list ap)
{
    int len = snprintf(buf, cap, "%s: ", where);
    if (len >= 0 && (size_t)len < cap)
        vsnprintf(buf + len, cap - (size_t)len, fmt, ap);
}
