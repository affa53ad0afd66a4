/*
 * metric.h -- the interface every image metric of maso-eval implements.
 *
 * A metric compares two images in two steps, so that a benchmark that
 * compares one image with many prepares it once: prepare() turns an image
 * into a state (a copy, a luma plane, a hash, a spline code...), and
 * distance() compares two states.  Built in: "l2" (MSE over RGB), "psnr",
 * "ssim" (see ssim.h) and "dhash" (see dhash.h).  To add one, fill in a
 * maso_metric with your functions; @p user carries whatever they need (a
 * model, a forward context...).
 */
#ifndef MASO_EVAL_METRIC_H
#define MASO_EVAL_METRIC_H

#include <stddef.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct maso_metric maso_metric;

struct maso_metric {
    /** Short name, e.g. "ssim"; static storage. */
    const char *name;
    /** 1 when the value grows as the images become more alike (PSNR,
     *  SSIM: similarities), 0 when it is a distance (L2, dhash). */
    int higher_is_better;
    /** Build the state of @p image into *state, owned by the caller and
     *  released with release().  Returns 0 or a maso status. */
    int (*prepare)(const maso_metric *metric, const maso_image *image,
                   void **state);
    /** Compare two states from prepare() into *value.  Returns 0 or a
     *  maso status (e.g. MASO_EINVAL_ARG when the sizes differ for a
     *  metric that needs equal sizes).  Must not modify the states, so
     *  that threads may share them. */
    int (*distance)(const maso_metric *metric, const void *a, const void *b,
                    double *value);
    /** Release a state (NULL allowed). */
    void (*release)(const maso_metric *metric, void *state);
    /** For the metric's own use; NULL for the built-in ones. */
    void *user;
};

/** The built-in metric called @p name, or NULL.  Static storage. */
const maso_metric *maso_metric_find(const char *name);

/** The @p i-th built-in metric (0, 1, ...), NULL past the last one. */
const maso_metric *maso_metric_builtin(size_t i);

/** @p value turned into a dissimilarity (larger = less alike), as 2AFC and
 *  JND scoring expect: -value for higher_is_better metrics. */
double maso_metric_dissimilarity(const maso_metric *metric, double value);

/** Convenience: prepare both images, compare, release.  Returns 0 or the
 *  first failing status. */
int maso_metric_compare(const maso_metric *metric, const maso_image *a,
                        const maso_image *b, double *value);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_METRIC_H */
