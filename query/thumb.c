/* thumb.c -- thumbnails for the HTML page: decode with the maso decoder
 * (JPEGs are scaled in the DCT domain close to the box, so a 24-megapixel
 * photo costs little), shrink with maso_image_resize, compress with
 * TurboJPEG, encode as base64. */
#include "thumb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <turbojpeg.h>

#include "maso.h"

/* Quality of the embedded JPEGs: small files, no visible blocking at
 * thumbnail size. */
#define THUMB_QUALITY 80

struct thumbnailer {
    maso_decoder *decoder;
    tjhandle compressor;
};

int thumb_create(thumbnailer **t)
{
    *t = calloc(1, sizeof **t);
    if (!*t)
        return ENOMEM;
    int rc = maso_decoder_create(&(*t)->decoder);
    if (!rc && !((*t)->compressor = tjInitCompress()))
        rc = ENOMEM;
    if (rc) {
        thumb_destroy(*t);
        *t = NULL;
    }
    return rc;
}

void thumb_destroy(thumbnailer *t)
{
    if (!t)
        return;
    maso_decoder_destroy(t->decoder);
    if (t->compressor)
        tjDestroy(t->compressor);
    free(t);
}

/* The size that fits @p w x @p h into the box, at least 1 pixel. */
static void fit(int w, int h, int box, int *tw, int *th)
{
    if (w <= box && h <= box) {
        *tw = w;
        *th = h;
        return;
    }
    if (w >= h) {
        *tw = box;
        *th = (int)((long long)h * box / w);
    } else {
        *th = box;
        *tw = (int)((long long)w * box / h);
    }
    if (*tw < 1)
        *tw = 1;
    if (*th < 1)
        *th = 1;
}

int thumb_file(thumbnailer *t, const char *path, int box, char **b64,
               char err[MASO_CLI_ERRLEN])
{
    *b64 = NULL;
    maso_decode_params dp;
    maso_decode_params_init(&dp);
    dp.min_width = dp.min_height = box;
    maso_image img = { 0, 0, NULL }, small = { 0, 0, NULL };
    int rc = maso_decoder_load_file(t->decoder, path, &dp, &img);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_decoder_errmsg(t->decoder));
        return rc;
    }
    int tw, th;
    fit(img.width, img.height, box, &tw, &th);
    rc = maso_image_resize(&img, tw, th, &small);
    maso_image_free(&img);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: thumbnail: %s", path,
                 maso_strerror(rc));
        return rc;
    }
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    if (tjCompress2(t->compressor, small.pixels, tw, 0, th, TJPF_RGB, &jpeg,
                    &size, TJSAMP_420, THUMB_QUALITY, 0) != 0) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: thumbnail: %s", path,
                 tjGetErrorStr2(t->compressor));
        maso_image_free(&small);
        tjFree(jpeg);
        return MASO_ECORRUPT;
    }
    maso_image_free(&small);
    *b64 = base64_encode(jpeg, size);
    tjFree(jpeg);
    if (!*b64) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: thumbnail: out of memory", path);
        return ENOMEM;
    }
    return 0;
}
