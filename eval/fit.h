/*
 * fit.h -- non-negative per-feature weights fitted to human judgments,
 * for calibrating the layer weights of a distance (maso-eval fit).
 *
 * Data: n rows of k features, row-major in x (n * k doubles).  Both fits
 * keep every weight >= 0 (a distance must not shrink when a layer differs
 * more) by projected gradient descent with a backtracking step, starting
 * from all ones, and stop when the loss no longer decreases (or after
 * MASO_FIT_ITERATIONS steps).  They return MASO_SUCCESS, MASO_EINVAL_ARG
 * (NULL, n < 2, k == 0, a non-finite value, a target outside its range)
 * or ENOMEM.  Thread-safe, no state.
 */
#ifndef MASO_EVAL_FIT_H
#define MASO_EVAL_FIT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MASO_FIT_ITERATIONS 5000

/**
 * Logistic regression without intercept on soft labels h[i] in [0, 1]:
 * minimise the mean cross-entropy of h against sigmoid(x_i . w) over
 * w >= 0.  For 2AFC, x_i = d0 - d1 per layer and h = judge (the fraction
 * who found p1 closer): no intercept, since swapping p0 and p1 negates x
 * and turns h into 1 - h.  @p loss, when not NULL, receives the final
 * mean cross-entropy.
 */
int maso_fit_logistic(const double *x, const double *h, size_t n, size_t k,
                      double *w, double *loss);

/**
 * Least squares with a free intercept: minimise the mean of
 * (y_i - b - x_i . w)^2 over w >= 0 and any b.  @p intercept, when not
 * NULL, receives b; @p loss the final mean squared residual.
 */
int maso_fit_least_squares(const double *x, const double *y, size_t n,
                           size_t k, double *w, double *intercept,
                           double *loss);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_FIT_H */
