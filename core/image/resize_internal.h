/*
 * resize_internal.h -- a resizer that keeps its filter weights and scratch
 * rows between calls: the antialiasing filter of maso_image_resize(), for
 * callers that resize image after image (a forward context resizes every
 * photo to the network's input, mostly from a handful of camera sizes).
 * Internal to libmaso.
 */
#ifndef CORE_RESIZE_INTERNAL_H
#define CORE_RESIZE_INTERNAL_H

#include "maso.h"

#include <stddef.h>

/* The taps of one axis, for one (src, dst) pair of sizes. */
typedef struct core_resize_axis {
    int src, dst;  /* the sizes the taps are for; 0 when none built */
    int *start;    /* first source pixel of output i */
    int *count;    /* number of taps of output i */
    float *w;      /* taps * dst weights, row i at w + i * taps */
    int taps;      /* the most taps any output needs */
} core_resize_axis;

/* Zero-initialise (`core_resizer r = {0}`) before the first call. */
typedef struct core_resizer {
    core_resize_axis x, y;
    float *rows;        /* the horizontally filtered image */
    size_t rows_floats;
    float *acc;         /* one output row being accumulated */
    size_t acc_floats;
} core_resizer;

/* Resize @p src into @p dst, whose width, height and pixels (width *
 * height * 3 bytes, owned by the caller) are set: the same pixels as
 * maso_image_resize().  Weights are rebuilt only when a size changes,
 * buffers only grow.  Errors: MASO_EINVAL_ARG, ENOMEM (the resizer stays
 * usable). */
int core_resizer_run(core_resizer *resizer, const maso_image *src,
                     maso_image *dst);

/* Release what @p resizer holds and zero it. */
void core_resizer_free(core_resizer *resizer);

#endif /* CORE_RESIZE_INTERNAL_H */
