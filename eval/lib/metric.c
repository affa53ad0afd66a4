/* metric.c -- the built-in metrics behind the maso_eval_metric interface. */
#include "maso_eval.h"
#include "plane_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- l2 and psnr: the state is a copy of the image ------------------- */

static int copy_prepare(const maso_eval_metric *metric, const maso_image *image,
                        void **state)
{
    (void)metric;
    if (state == NULL || !meval_image_ok(image))
        return MASO_EINVAL_ARG;
    size_t bytes = (size_t)image->width * (size_t)image->height * 3;
    maso_image *copy = malloc(sizeof *copy);
    unsigned char *pixels = malloc(bytes);
    if (copy == NULL || pixels == NULL) {
        free(copy);
        free(pixels);
        return ENOMEM;
    }
    memcpy(pixels, image->pixels, bytes);
    copy->width = image->width;
    copy->height = image->height;
    copy->pixels = pixels;
    *state = copy;
    return MASO_SUCCESS;
}

static void copy_release(const maso_eval_metric *metric, void *state)
{
    (void)metric;
    if (state != NULL) {
        free(((maso_image *)state)->pixels);
        free(state);
    }
}

static int l2_distance(const maso_eval_metric *metric, const void *a,
                       const void *b, double *value)
{
    (void)metric;
    return maso_eval_mse(a, b, value);
}

static int psnr_distance(const maso_eval_metric *metric, const void *a,
                         const void *b, double *value)
{
    (void)metric;
    return maso_eval_psnr(a, b, value);
}

/* ---- ssim: the state is the luma plane ------------------------------- */

typedef struct luma_state {
    int width, height;
    double *plane;
} luma_state;

static int ssim_prepare(const maso_eval_metric *metric, const maso_image *image,
                        void **state)
{
    (void)metric;
    if (state == NULL || !meval_image_ok(image))
        return MASO_EINVAL_ARG;
    luma_state *s = malloc(sizeof *s);
    if (s == NULL)
        return ENOMEM;
    int rc = maso_eval_luma(image, &s->plane);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->width = image->width;
    s->height = image->height;
    *state = s;
    return MASO_SUCCESS;
}

static void ssim_release(const maso_eval_metric *metric, void *state)
{
    (void)metric;
    if (state != NULL) {
        free(((luma_state *)state)->plane);
        free(state);
    }
}

static int ssim_distance(const maso_eval_metric *metric, const void *a,
                         const void *b, double *value)
{
    (void)metric;
    const luma_state *x = a, *y = b;
    if (x == NULL || y == NULL || x->width != y->width ||
        x->height != y->height)
        return MASO_EINVAL_ARG;
    return maso_eval_ssim_planes(x->plane, y->plane, x->width, x->height,
                                 value);
}

/* ---- dhash: the state is the 64-bit hash ----------------------------- */

static int dhash_prepare(const maso_eval_metric *metric,
                         const maso_image *image, void **state)
{
    (void)metric;
    if (state == NULL)
        return MASO_EINVAL_ARG;
    uint64_t *h = malloc(sizeof *h);
    if (h == NULL)
        return ENOMEM;
    int rc = maso_eval_dhash(image, h);
    if (rc != 0) {
        free(h);
        return rc;
    }
    *state = h;
    return MASO_SUCCESS;
}

static void plain_release(const maso_eval_metric *metric, void *state)
{
    (void)metric;
    free(state);
}

static int dhash_distance_cb(const maso_eval_metric *metric, const void *a,
                             const void *b, double *value)
{
    (void)metric;
    if (a == NULL || b == NULL || value == NULL)
        return MASO_EINVAL_ARG;
    const uint64_t *ha = a, *hb = b;
    *value = maso_eval_dhash_distance(*ha, *hb);
    return MASO_SUCCESS;
}

/* ---- the table ------------------------------------------------------- */

static const maso_eval_metric builtins[] = {
    { "l2", 0, copy_prepare, l2_distance, copy_release, NULL },
    { "psnr", 1, copy_prepare, psnr_distance, copy_release, NULL },
    { "ssim", 1, ssim_prepare, ssim_distance, ssim_release, NULL },
    { "dhash", 0, dhash_prepare, dhash_distance_cb, plain_release, NULL },
};

const maso_eval_metric *maso_eval_metric_builtin(size_t i)
{
    return i < sizeof builtins / sizeof builtins[0] ? &builtins[i] : NULL;
}

const maso_eval_metric *maso_eval_metric_find(const char *name)
{
    const maso_eval_metric *m;
    for (size_t i = 0; name != NULL && (m = maso_eval_metric_builtin(i)); i++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

double maso_eval_metric_dissimilarity(const maso_eval_metric *metric,
                                      double value)
{
    return metric->higher_is_better ? -value : value;
}

int maso_eval_metric_compare(const maso_eval_metric *metric,
                             const maso_image *a, const maso_image *b,
                             double *value)
{
    if (metric == NULL || value == NULL)
        return MASO_EINVAL_ARG;
    void *sa = NULL, *sb = NULL;
    int rc = metric->prepare(metric, a, &sa);
    if (rc == 0)
        rc = metric->prepare(metric, b, &sb);
    if (rc == 0)
        rc = metric->distance(metric, sa, sb, value);
    metric->release(metric, sa);
    metric->release(metric, sb);
    return rc;
}
