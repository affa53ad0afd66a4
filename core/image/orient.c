/*
 * orient.c -- turn an image stored with an EXIF orientation upright.
 *
 * Orientation names where the stored rows and columns belong on screen:
 * 1 as stored, 2 mirrored left-right, 3 rotated 180, 4 mirrored top-bottom,
 * 5 transposed, 6 needs a 90 degree clockwise turn, 7 transversed
 * (mirrored about the anti-diagonal), 8 needs a 90 degree counter-clockwise
 * turn.  5..8 swap width and height.
 */
#include "image/image_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int core_orientation_swaps(int orientation)
{
    return orientation >= 5 && orientation <= 8;
}

void core_orientation_source(int orientation, int x, int y, int W, int H,
                             int *sx, int *sy)
{
    switch (orientation) {
    case 2: *sx = W - 1 - x; *sy = y; break;
    case 3: *sx = W - 1 - x; *sy = H - 1 - y; break;
    case 4: *sx = x; *sy = H - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = H - 1 - x; break;
    case 7: *sx = W - 1 - y; *sy = H - 1 - x; break;
    case 8: *sx = W - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
    }
}

int maso_image_orient(maso_image *image, int orientation)
{
    maso_image up;
    int W = image->width, H = image->height;
    int ow, oh, rc;

    if (orientation < 2 || orientation > 8)
        return 0;
    ow = core_orientation_swaps(orientation) ? H : W;
    oh = core_orientation_swaps(orientation) ? W : H;
    rc = core_image_alloc(&up, ow, oh);
    if (rc != 0)
        return rc;
    for (int y = 0; y < oh; y++) {
        unsigned char *dst = up.pixels + (size_t)y * ow * 3;
        int sx, sy, sx1, sy1, dx, dy;

        /* The source position moves linearly along an output row: find the
         * step once instead of per pixel. */
        core_orientation_source(orientation, 0, y, W, H, &sx, &sy);
        if (ow > 1) {
            core_orientation_source(orientation, 1, y, W, H, &sx1, &sy1);
            dx = sx1 - sx;
            dy = sy1 - sy;
        } else {
            dx = dy = 0;
        }
        const ptrdiff_t step = ((ptrdiff_t)dy * W + dx) * 3;
        /* An offset, not a pointer: after the last pixel it may point
         * outside the image, which is fine for an integer. */
        ptrdiff_t off = ((ptrdiff_t)sy * W + sx) * 3;
        for (int x = 0; x < ow; x++, off += step, dst += 3) {
            const unsigned char *src = image->pixels + off;
            dst[0] = src[0];
            dst[1] = src[1];
            dst[2] = src[2];
        }
    }
    free(image->pixels);
    *image = up;
    return 0;
}
