/* psnr.c -- mean squared error and PSNR over RGB. */
#include "maso_eval.h"
#include "plane_internal.h"

#include <math.h>
#include <stdint.h>

int maso_eval_mse(const maso_image *a, const maso_image *b, double *mse)
{
    if (mse == NULL || !meval_image_ok(a) || !meval_image_ok(b) ||
        a->width != b->width || a->height != b->height)
        return MASO_EINVAL_ARG;
    size_t n = (size_t)a->width * (size_t)a->height * 3;
    /* Exact integer sum: 255^2 * n fits in 64 bits for any image we could
     * hold in memory, so the result is independent of summation order. */
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = (int)a->pixels[i] - (int)b->pixels[i];
        sum += (uint64_t)(d * d);
    }
    *mse = (double)sum / (double)n;
    return MASO_SUCCESS;
}

double maso_eval_psnr_from_mse(double mse)
{
    return mse > 0.0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
}

int maso_eval_psnr(const maso_image *a, const maso_image *b, double *psnr)
{
    double mse;
    if (psnr == NULL)
        return MASO_EINVAL_ARG;
    int rc = maso_eval_mse(a, b, &mse);
    if (rc == 0)
        *psnr = maso_eval_psnr_from_mse(mse);
    return rc;
}
