/* image_input.c -- where a query image comes from: a file, or "-" for
 * the image's bytes on standard input (`curl URL | maso-query DB -`). */
#include "search.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    char *data = NULL;
    size_t size = 0;
    int rc = maso_file_read_fd(STDIN_FILENO, SIZE_MAX, &data, &size);
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

int query_code_orientation(maso_forward *forward, const maso_sketch *sketch,
                           const maso_image *img, int o, uint8_t *code,
                           uint8_t *sketched, const char *path,
                           char err[MASO_CLI_ERRLEN])
{
    maso_image turned = *img;
    size_t bytes = (size_t)img->width * (size_t)img->height * 3;
    if (o > 1) {
        turned.pixels = malloc(bytes);
        if (!turned.pixels)
            return ENOMEM;
        memcpy(turned.pixels, img->pixels, bytes);
        int rc = maso_image_orient(&turned, o);
        if (rc) {
            maso_image_free(&turned);
            return rc;
        }
    }
    int rc = maso_forward_run_image(forward, &turned, code, NULL);
    if (o > 1)
        maso_image_free(&turned);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", path,
                 maso_forward_errmsg(forward));
        return rc;
    }
    maso_sketch_apply(sketch, code, sketched);
    return 0;
}
