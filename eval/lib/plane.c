/* plane.c -- luma and area resampling of float64 planes. */
#include "plane_internal.h"

#include <errno.h>
#include <stdlib.h>

int meval_image_ok(const maso_image *image)
{
    return image != NULL && image->pixels != NULL && image->width > 0 &&
           image->height > 0;
}

void meval_plane_luma(const maso_image *image, double *out)
{
    size_t n = (size_t)image->width * (size_t)image->height;
    const unsigned char *p = image->pixels;
    for (size_t i = 0; i < n; i++, p += 3)
        out[i] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* The source span [i*n/nn, (i+1)*n/nn) of output sample i, as first
 * index and the weights of the pixels it overlaps (sum 1). */
typedef struct span {
    int first, count;
    double *weight;
} span;

/* Spans of the nn outputs over n inputs; weights stored in pool. */
static int make_spans(int n, int nn, span **out, double **pool)
{
    double scale = (double)n / nn;
    /* each span covers at most ceil(scale) + 1 pixels */
    int most = (int)scale + 2;
    span *s = malloc((size_t)nn * sizeof *s);
    double *w = malloc((size_t)nn * (size_t)most * sizeof *w);
    if (s == NULL || w == NULL) {
        free(s);
        free(w);
        return ENOMEM;
    }
    for (int i = 0; i < nn; i++) {
        double a = i * scale, b = (i + 1) * scale;
        int first = (int)a, last = (int)b;
        if (last >= n || (double)last == b)
            last--; /* b is an exclusive end */
        if (last < first)
            last = first;
        s[i].first = first;
        s[i].count = last - first + 1;
        s[i].weight = w + (size_t)i * (size_t)most;
        for (int k = first; k <= last; k++) {
            double lo = k > a ? k : a, hi = k + 1 < b ? k + 1 : b;
            s[i].weight[k - first] = (hi - lo) / scale;
        }
    }
    *out = s;
    *pool = w;
    return 0;
}

int meval_plane_area_resize(const double *src, int w, int h, int c,
                            double *dst, int nw, int nh)
{
    span *sx = NULL, *sy = NULL;
    double *px = NULL, *py = NULL, *row = NULL;
    int rc = make_spans(w, nw, &sx, &px);
    if (rc == 0)
        rc = make_spans(h, nh, &sy, &py);
    /* one horizontally resampled row per source row, then combine rows */
    if (rc == 0 && (row = malloc((size_t)nw * (size_t)c * (size_t)h *
                                 sizeof *row)) == NULL)
        rc = ENOMEM;
    if (rc == 0) {
        for (int y = 0; y < h; y++) {
            const double *s = src + (size_t)y * (size_t)w * (size_t)c;
            double *o = row + (size_t)y * (size_t)nw * (size_t)c;
            for (int x = 0; x < nw; x++)
                for (int ch = 0; ch < c; ch++) {
                    double acc = 0.0;
                    for (int k = 0; k < sx[x].count; k++)
                        acc += sx[x].weight[k] *
                               s[(size_t)(sx[x].first + k) * (size_t)c + ch];
                    o[(size_t)x * (size_t)c + ch] = acc;
                }
        }
        size_t stride = (size_t)nw * (size_t)c;
        for (int y = 0; y < nh; y++)
            for (size_t i = 0; i < stride; i++) {
                double acc = 0.0;
                for (int k = 0; k < sy[y].count; k++)
                    acc += sy[y].weight[k] *
                           row[(size_t)(sy[y].first + k) * stride + i];
                dst[(size_t)y * stride + i] = acc;
            }
    }
    free(sx);
    free(sy);
    free(px);
    free(py);
    free(row);
    return rc;
}
