/*
 * resize.c -- maso_image_resize(): separable antialiasing triangle filter.
 *
 * Output pixel i of an axis is centred at source coordinate
 * c = (i + 0.5) * scale - 0.5 (scale = src / dst, pixel centres at
 * integers).  Its weights are the triangle tri(t) = max(0, 1 - |t|) at
 * t = (j - c) / f for source pixels j, with f = max(scale, 1): when
 * shrinking the triangle widens with the reduction so every source pixel
 * contributes (no aliasing); when enlarging it is plain bilinear
 * interpolation.  Taps outside the image are dropped and the remaining
 * weights renormalised, which at the border is the same as clamping.
 *
 * The weights depend only on the axis sizes, so they are computed once per
 * axis (and kept by a core_resizer while the sizes repeat); the image is filtered horizontally into a float buffer, then
 * vertically, accumulating whole rows at a time (a loop compilers
 * vectorise).
 */
#include "image/image_internal.h"
#include "image/resize_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef core_resize_axis axis;

static void axis_free(axis *a)
{
    free(a->start);
    free(a->count);
    free(a->w);
    memset(a, 0, sizeof *a);
}

static int axis_build(axis *a, int src, int dst)
{
    double scale = (double)src / dst;
    double f = scale > 1.0 ? scale : 1.0;

    axis_free(a);
    a->taps = (int)ceil(f) * 2 + 2;
    a->start = malloc(sizeof *a->start * (size_t)dst);
    a->count = malloc(sizeof *a->count * (size_t)dst);
    a->w = calloc((size_t)dst * (size_t)a->taps, sizeof *a->w);
    if (a->start == NULL || a->count == NULL || a->w == NULL) {
        axis_free(a);
        return ENOMEM;
    }
    for (int i = 0; i < dst; i++) {
        double c = (i + 0.5) * scale - 0.5;
        int lo = (int)floor(c - f), hi = (int)ceil(c + f);
        float *w = a->w + (size_t)i * a->taps;
        double sum = 0.0;
        int n = 0;

        if (lo < 0)
            lo = 0;
        if (hi > src - 1)
            hi = src - 1;
        /* Skip zero-weight taps at both ends (|t| >= 1). */
        while (lo < hi && fabs((lo - c) / f) >= 1.0)
            lo++;
        while (hi > lo && fabs((hi - c) / f) >= 1.0)
            hi--;
        for (int j = lo; j <= hi; j++) {
            double t = 1.0 - fabs((j - c) / f);
            double v = t > 0.0 ? t : 0.0;
            w[n++] = (float)v;
            sum += v;
        }
        if (sum <= 0.0) { /* cannot happen for sane sizes; stay defined */
            w[0] = 1.0f;
            n = 1;
            sum = 1.0;
        }
        for (int k = 0; k < n; k++)
            w[k] = (float)(w[k] / sum);
        a->start[i] = lo;
        a->count[i] = n;
    }
    a->src = src;
    a->dst = dst;
    return 0;
}

/* Grow @p buf to at least @p floats floats. */
static int grow(float **buf, size_t *cap, size_t floats)
{
    if (*cap >= floats)
        return 0;
    float *p = malloc(sizeof *p * floats);
    if (p == NULL)
        return ENOMEM;
    free(*buf);
    *buf = p;
    *cap = floats;
    return 0;
}

/* Filter each source row along x: src (sw x rows, uint8 RGB) into tmp
 * (dw x rows, float RGB). */
static void pass_x(const maso_image *src, const axis *ax, int dw, float *tmp)
{
    for (int y = 0; y < src->height; y++) {
        const unsigned char *row = src->pixels + (size_t)y * src->width * 3;
        float *out = tmp + (size_t)y * dw * 3;

        for (int i = 0; i < dw; i++) {
            const float *w = ax->w + (size_t)i * ax->taps;
            const unsigned char *p = row + (size_t)ax->start[i] * 3;
            float r = 0.0f, g = 0.0f, b = 0.0f;

            for (int k = 0; k < ax->count[i]; k++, p += 3) {
                r += w[k] * p[0];
                g += w[k] * p[1];
                b += w[k] * p[2];
            }
            out[3 * i] = r;
            out[3 * i + 1] = g;
            out[3 * i + 2] = b;
        }
    }
}

/* Filter along y: tmp rows into the uint8 output, rounding and clamping. */
static void pass_y(const float *tmp, const axis *ay, maso_image *dst,
                   float *acc)
{
    size_t n = (size_t)dst->width * 3;

    for (int y = 0; y < dst->height; y++) {
        const float *w = ay->w + (size_t)y * ay->taps;
        unsigned char *out = dst->pixels + (size_t)y * n;

        memset(acc, 0, n * sizeof *acc);
        for (int k = 0; k < ay->count[y]; k++) {
            const float *row = tmp + (size_t)(ay->start[y] + k) * n;
            float wk = w[k];
            for (size_t x = 0; x < n; x++)
                acc[x] += wk * row[x];
        }
        for (size_t x = 0; x < n; x++) {
            float v = acc[x] + 0.5f;
            out[x] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)v;
        }
    }
}

int core_resizer_run(core_resizer *r, const maso_image *src,
                     maso_image *dst)
{
    if (r == NULL || src == NULL || dst == NULL || src->pixels == NULL ||
        dst->pixels == NULL || src->width <= 0 || src->height <= 0 ||
        dst->width <= 0 || dst->height <= 0)
        return MASO_EINVAL_ARG;
    const int width = dst->width, height = dst->height;
    if ((r->x.src != src->width || r->x.dst != width) &&
        axis_build(&r->x, src->width, width) != 0)
        return ENOMEM;
    if ((r->y.src != src->height || r->y.dst != height) &&
        axis_build(&r->y, src->height, height) != 0)
        return ENOMEM;
    if (grow(&r->rows, &r->rows_floats,
             (size_t)width * 3 * (size_t)src->height) != 0 ||
        grow(&r->acc, &r->acc_floats, (size_t)width * 3) != 0)
        return ENOMEM;
    pass_x(src, &r->x, width, r->rows);
    pass_y(r->rows, &r->y, dst, r->acc);
    return 0;
}

void core_resizer_free(core_resizer *r)
{
    if (r == NULL)
        return;
    axis_free(&r->x);
    axis_free(&r->y);
    free(r->rows);
    free(r->acc);
    memset(r, 0, sizeof *r);
}

int maso_image_resize(const maso_image *src, int width, int height,
                      maso_image *dst)
{
    if (dst != NULL) {
        dst->width = 0;
        dst->height = 0;
        dst->pixels = NULL;
    }
    if (src == NULL || dst == NULL || src->pixels == NULL ||
        src->width <= 0 || src->height <= 0 || width <= 0 || height <= 0)
        return MASO_EINVAL_ARG;
    maso_image img;
    int rc = core_image_alloc(&img, width, height);
    if (rc != 0)
        return rc;
    core_resizer r = {0};
    rc = core_resizer_run(&r, src, &img);
    core_resizer_free(&r);
    if (rc != 0) {
        maso_image_free(&img);
        return rc;
    }
    *dst = img;
    return 0;
}
