/*
 * ssim.h -- the structural similarity index (Wang, Bovik, Sheikh and
 * Simoncelli, IEEE TIP 2004).
 *
 * Definition, chosen to equal scikit-image's
 *   structural_similarity(Y1, Y2, gaussian_weights=True, sigma=1.5,
 *                         use_sample_covariance=False, data_range=255)
 * on float64 luma planes:
 *  - Y = 0.299 R + 0.587 G + 0.114 B, unrounded, in 0..255 (L = 255);
 *  - local statistics with an 11 x 11 Gaussian window, sigma 1.5 (the
 *    1-D weights exp(-k^2 / (2 sigma^2)), k = -5..5, normalised to sum 1;
 *    scipy's gaussian_filter with truncate 3.5 has this radius of 5);
 *  - population (co)variances: var = E[x^2] - E[x]^2;
 *  - C1 = (0.01 L)^2, C2 = (0.03 L)^2;
 *  - SSIM map = (2 mx my + C1)(2 cxy + C2) / ((mx^2 + my^2 + C1)(vx + vy + C2));
 *  - the mean over the map cropped by (11 - 1) / 2 = 5 pixels on every
 *    side.  scikit-image filters with 'reflect' borders but then crops
 *    exactly the pixels whose window reaches the border, so only windows
 *    lying wholly inside the image count: we compute just those.
 * Both images must have the same size, at least 11 x 11.
 */
#ifndef MASO_EVAL_SSIM_H
#define MASO_EVAL_SSIM_H

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Side of the SSIM window: images must be at least this large. */
#define MASO_SSIM_WINDOW 11

/**
 * Mean SSIM of the luma of @p a and @p b into *ssim (1 for identical
 * images, lower when they differ).  Errors: MASO_EINVAL_ARG (NULL, sizes
 * differ or below 11 x 11), ENOMEM.  Thread-safe.
 */
int maso_image_ssim(const maso_image *a, const maso_image *b, double *ssim);

/**
 * The same on two luma planes of @p width x @p height values (e.g. from
 * maso_image_luma()), for callers that keep planes around.
 */
int maso_ssim_planes(const double *a, const double *b, int width, int height,
                     double *ssim);

/**
 * The luma plane of @p image, as SSIM uses it: a malloc'ed array of
 * width * height doubles into *plane, owned by the caller (free()).
 * Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_image_luma(const maso_image *image, double **plane);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_SSIM_H */
