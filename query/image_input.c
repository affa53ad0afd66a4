/* image_input.c -- where a query image comes from: a file, or "-" for
 * the image's bytes on standard input (`curl URL | maso-query DB -`). */
#include "search.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* All of standard input, malloc'ed into *data. */
static int read_stdin(unsigned char **data, size_t *size)
{
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return ENOMEM;
    for (;;) {
        if (n == cap) {
            unsigned char *grown = cap > SIZE_MAX / 2 ? NULL
                                                      : realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return ENOMEM;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int rc = errno;
            free(buf);
            return rc;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *data = buf;
    *size = n;
    return 0;
}

int query_image_load(maso_decoder *decoder, const char *path,
                     const maso_decode_params *params, maso_image *out,
                     char err[MASO_CLI_ERRLEN])
{
    if (strcmp(path, "-") != 0) {
        int rc = maso_decoder_load_file(decoder, path, params, out);
        if (rc)
            snprintf(err, MASO_CLI_ERRLEN, "%s", maso_decoder_errmsg(decoder));
        return rc;
    }
    unsigned char *data = NULL;
    size_t size = 0;
    int rc = read_stdin(&data, &size);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "standard input: %s", maso_strerror(rc));
        return rc;
    }
    rc = maso_decoder_load_memory(decoder, data, size, "standard input",
                                  params, out);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_decoder_errmsg(decoder));
    free(data);
    return rc;
}
