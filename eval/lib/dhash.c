/* dhash.c -- difference hash on a 9 x 8 luma thumbnail. */
#include "maso_eval.h"
#include "plane_internal.h"

#include <errno.h>
#include <stdlib.h>

int maso_eval_dhash(const maso_image *image, uint64_t *hash)
{
    if (hash == NULL || !meval_image_ok(image))
        return MASO_EINVAL_ARG;
    double *luma = malloc((size_t)image->width * (size_t)image->height *
                          sizeof *luma);
    if (luma == NULL)
        return ENOMEM;
    meval_plane_luma(image, luma);
    double small[8][9];
    int rc = meval_plane_area_resize(luma, image->width, image->height, 1,
                                     &small[0][0], 9, 8);
    free(luma);
    if (rc != 0)
        return rc;
    uint64_t h = 0;
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++)
            if (small[r][c + 1] > small[r][c])
                h |= (uint64_t)1 << (8 * r + c);
    *hash = h;
    return MASO_SUCCESS;
}

double maso_eval_dhash_distance(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ b;
    int bits = 0;
    /* Kernighan: one iteration per set bit; portable without builtins */
    while (x) {
        x &= x - 1;
        bits++;
    }
    return bits / 64.0;
}
