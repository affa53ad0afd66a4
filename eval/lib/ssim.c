/* ssim.c -- mean SSIM over the windows wholly inside the image. */
#include "maso_eval.h"
#include "plane_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define RADIUS ((MASO_EVAL_SSIM_WINDOW - 1) / 2)

int maso_eval_luma(const maso_image *image, double **plane)
{
    if (plane == NULL || !meval_image_ok(image))
        return MASO_EINVAL_ARG;
    *plane = malloc((size_t)image->width * (size_t)image->height *
                    sizeof **plane);
    if (*plane == NULL)
        return ENOMEM;
    meval_plane_luma(image, *plane);
    return MASO_SUCCESS;
}

/* The five local statistics we filter: x, y, x*x, y*y, x*y. */
enum { MX, MY, MXX, MYY, MXY, NSTAT };

int maso_eval_ssim_planes(const double *a, const double *b, int width,
                          int height, double *ssim)
{
    if (a == NULL || b == NULL || ssim == NULL ||
        width < MASO_EVAL_SSIM_WINDOW || height < MASO_EVAL_SSIM_WINDOW)
        return MASO_EINVAL_ARG;
    double w[MASO_EVAL_SSIM_WINDOW], sum = 0.0;
    for (int k = -RADIUS; k <= RADIUS; k++) {
        w[k + RADIUS] = exp(-0.5 * k * k / (1.5 * 1.5));
        sum += w[k + RADIUS];
    }
    for (int k = 0; k < MASO_EVAL_SSIM_WINDOW; k++)
        w[k] /= sum;

    /* Horizontal pass for every row over the valid columns only; the
     * vertical pass then runs over the valid rows. */
    int vw = width - 2 * RADIUS, vh = height - 2 * RADIUS;
    size_t plane = (size_t)vw * (size_t)height;
    double *h = malloc(NSTAT * plane * sizeof *h);
    if (h == NULL)
        return ENOMEM;
    for (int y = 0; y < height; y++) {
        const double *ra = a + (size_t)y * (size_t)width;
        const double *rb = b + (size_t)y * (size_t)width;
        for (int x = 0; x < vw; x++) {
            double s[NSTAT] = {0};
            for (int k = 0; k < MASO_EVAL_SSIM_WINDOW; k++) {
                double va = ra[x + k], vb = rb[x + k];
                s[MX] += w[k] * va;
                s[MY] += w[k] * vb;
                s[MXX] += w[k] * va * va;
                s[MYY] += w[k] * vb * vb;
                s[MXY] += w[k] * va * vb;
            }
            for (int q = 0; q < NSTAT; q++)
                h[q * plane + (size_t)y * (size_t)vw + (size_t)x] = s[q];
        }
    }
    const double c1 = (0.01 * 255) * (0.01 * 255);
    const double c2 = (0.03 * 255) * (0.03 * 255);
    double total = 0.0;
    for (int y = 0; y < vh; y++) {
        for (int x = 0; x < vw; x++) {
            double s[NSTAT] = {0};
            for (int k = 0; k < MASO_EVAL_SSIM_WINDOW; k++) {
                size_t at = (size_t)(y + k) * (size_t)vw + (size_t)x;
                for (int q = 0; q < NSTAT; q++)
                    s[q] += w[k] * h[q * plane + at];
            }
            double vx = s[MXX] - s[MX] * s[MX];
            double vy = s[MYY] - s[MY] * s[MY];
            double cxy = s[MXY] - s[MX] * s[MY];
            total += ((2 * s[MX] * s[MY] + c1) * (2 * cxy + c2)) /
                     ((s[MX] * s[MX] + s[MY] * s[MY] + c1) * (vx + vy + c2));
        }
    }
    free(h);
    *ssim = total / ((double)vw * (double)vh);
    return MASO_SUCCESS;
}

int maso_eval_ssim(const maso_image *a, const maso_image *b, double *ssim)
{
    if (ssim == NULL || !meval_image_ok(a) || !meval_image_ok(b) ||
        a->width != b->width || a->height != b->height)
        return MASO_EINVAL_ARG;
    double *pa = NULL, *pb = NULL;
    int rc = maso_eval_luma(a, &pa);
    if (rc == 0)
        rc = maso_eval_luma(b, &pb);
    if (rc == 0)
        rc = maso_eval_ssim_planes(pa, pb, a->width, a->height, ssim);
    free(pa);
    free(pb);
    return rc;
}
