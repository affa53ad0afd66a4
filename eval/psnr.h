/*
 * psnr.h -- pixel-wise differences: mean squared error and PSNR.
 *
 * MSE = mean over every pixel and all three channels of (a - b)^2, with
 * 8-bit values 0..255 (the "L2" baseline of maso-eval); PSNR = 10 log10
 * (255^2 / MSE) in dB, +infinity for identical images.
 */
#ifndef MASO_EVAL_PSNR_H
#define MASO_EVAL_PSNR_H

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/** MSE of @p a and @p b (same size) into *mse.  Errors: MASO_EINVAL_ARG.
 *  Thread-safe, no allocation. */
int maso_image_mse(const maso_image *a, const maso_image *b, double *mse);

/** PSNR in dB of @p a and @p b into *psnr (+INFINITY when equal).
 *  Errors: MASO_EINVAL_ARG. */
int maso_image_psnr(const maso_image *a, const maso_image *b, double *psnr);

/** PSNR in dB for a given MSE, peak 255 (+INFINITY for 0). */
double maso_psnr_from_mse(double mse);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_PSNR_H */
