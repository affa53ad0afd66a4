/*
 * trim.c -- cut uniform borders (letterbox bars, a screenshot's window
 * frame, a passe-partout) off an image before it is coded: a copy with a
 * frame and its original then show the network the same picture.
 *
 * A border row (or column) is one whose every pixel is within the
 * tolerance, in each channel, of the outermost row's first pixel: the
 * side's border colour.  Each side is trimmed independently (a letterbox
 * has bars on two sides only, a frame may differ per side), by at most
 * MASO_TRIM_MAX_SHARE of the image's size, so that a photo of a plain
 * wall keeps its middle.
 */
#include "image/image_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int near_colour(const unsigned char *p, const unsigned char *ref,
                       int tolerance)
{
    for (int c = 0; c < 3; c++) {
        int d = (int)p[c] - (int)ref[c];
        if (d > tolerance || d < -tolerance)
            return 0;
    }
    return 1;
}

/* Uniform run of rows (dy = +-1) or columns (dx) from an edge, at most
 * @p max lines.  Line i starts at (x0 + i*dx, y0 + i*dy) and runs
 * @p len pixels along (sx, sy). */
static int uniform_lines(const maso_image *im, int x0, int y0, int dx, int dy,
                         int sx, int sy, int len, int max, int tolerance)
{
    const unsigned char *ref =
        im->pixels + ((size_t)y0 * (size_t)im->width + (size_t)x0) * 3;
    int n = 0;
    for (; n < max; n++) {
        int x = x0 + n * dx, y = y0 + n * dy;
        for (int i = 0; i < len; i++) {
            const unsigned char *p =
                im->pixels + ((size_t)(y + i * sy) * (size_t)im->width +
                              (size_t)(x + i * sx)) * 3;
            if (!near_colour(p, ref, tolerance))
                return n;
        }
    }
    return n;
}

int maso_image_trim_border(maso_image *image, int tolerance, int *trimmed)
{
    if (trimmed)
        *trimmed = 0;
    if (!image || !image->pixels || image->width < 8 || image->height < 8)
        return image && image->pixels ? 0 : MASO_EINVAL_ARG;
    int W = image->width, H = image->height;
    int mx = (int)(W * MASO_TRIM_MAX_SHARE), my = (int)(H * MASO_TRIM_MAX_SHARE);
    int top = 0, bottom = 0, left = 0, right = 0;
    /* Rows within the columns kept so far, then columns within the rows
     * kept, twice: a window's title bar spans the whole width while its
     * sides start below it (or the other way round). */
    for (int pass = 0; pass < 2; pass++) {
        int w = W - left - right;
        top += uniform_lines(image, left, top, 0, 1, 1, 0, w, my - top,
                             tolerance);
        bottom += uniform_lines(image, left, H - 1 - bottom, 0, -1, 1, 0, w,
                                my - bottom, tolerance);
        int h = H - top - bottom;
        left += uniform_lines(image, left, top, 1, 0, 0, 1, h, mx - left,
                              tolerance);
        right += uniform_lines(image, W - 1 - right, top, -1, 0, 0, 1, h,
                               mx - right, tolerance);
    }
    if (top + bottom + left + right == 0)
        return 0;
    int w = W - left - right, h = H - top - bottom;
    maso_image out;
    int rc = core_image_alloc(&out, w, h);
    if (rc)
        return rc;
    for (int y = 0; y < h; y++)
        memcpy(out.pixels + (size_t)y * (size_t)w * 3,
               image->pixels + ((size_t)(y + top) * (size_t)W + (size_t)left) * 3,
               (size_t)w * 3);
    free(image->pixels);
    *image = out;
    if (trimmed)
        *trimmed = 1;
    return 0;
}
