/* thumb.h -- small JPEG thumbnails as base64 text, for the HTML page. */
#ifndef MASO_QUERY_THUMB_H
#define MASO_QUERY_THUMB_H

#include <stddef.h>

#include "maso_cli.h"

typedef struct thumbnailer thumbnailer;

int thumb_create(thumbnailer **t);
void thumb_destroy(thumbnailer *t);

/* Decode the image file at @p path, shrink it to fit a @p box x @p box
 * square (aspect ratio kept, never enlarged), compress it as a JPEG and
 * return it base64-encoded in *b64 (NUL-terminated, malloc'ed, owned by
 * the caller).  On failure @p err names the file and the cause. */
int thumb_file(thumbnailer *t, const char *path, int box, char **b64,
               char err[MASO_CLI_ERRLEN]);

/* Base64 (RFC 4648, with padding) of @p n bytes; malloc'ed, NULL when out
 * of memory. */
char *base64_encode(const unsigned char *data, size_t n);

#endif
