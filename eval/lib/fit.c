/* fit.c -- non-negative logistic regression and least squares by
 * projected gradient descent (see maso_eval.h). */
#include "maso_eval.h"

#include "maso.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct problem {
    const double *x, *y;
    size_t n, k;
} problem;

typedef double (*loss_fn)(const problem *, const double *, double *);

/* Mean soft-label cross-entropy; gradient into g when not NULL.  The
 * softplus form log(1 + e^-|z|) + max(z, 0) stays finite for any z. */
static double logistic_loss(const problem *p, const double *w, double *g)
{
    double loss = 0.0;
    if (g)
        memset(g, 0, p->k * sizeof *g);
    for (size_t i = 0; i < p->n; i++) {
        const double *xi = p->x + i * p->k;
        double z = 0.0;
        for (size_t j = 0; j < p->k; j++)
            z += w[j] * xi[j];
        loss += log1p(exp(-fabs(z))) + (z > 0 ? z : 0.0) - p->y[i] * z;
        if (g) {
            double s = z >= 0 ? 1.0 / (1.0 + exp(-z))
                              : exp(z) / (1.0 + exp(z));
            for (size_t j = 0; j < p->k; j++)
                g[j] += (s - p->y[i]) * xi[j] / (double)p->n;
        }
    }
    return loss / (double)p->n;
}

/* Mean squared residual of centred data (x and y have zero mean, so the
 * best intercept is 0); gradient into g when not NULL. */
static double squares_loss(const problem *p, const double *w, double *g)
{
    double loss = 0.0;
    if (g)
        memset(g, 0, p->k * sizeof *g);
    for (size_t i = 0; i < p->n; i++) {
        const double *xi = p->x + i * p->k;
        double r = -p->y[i];
        for (size_t j = 0; j < p->k; j++)
            r += w[j] * xi[j];
        loss += r * r;
        if (g)
            for (size_t j = 0; j < p->k; j++)
                g[j] += 2.0 * r * xi[j] / (double)p->n;
    }
    return loss / (double)p->n;
}

static int descend(const problem *p, loss_fn loss, double *w, double *final)
{
    double *g = malloc(p->k * sizeof *g), *trial = malloc(p->k * sizeof *g);
    if (!g || !trial) {
        free(g);
        free(trial);
        return ENOMEM;
    }
    for (size_t j = 0; j < p->k; j++)
        w[j] = 1.0;
    double step = 1.0, f = loss(p, w, g);
    for (int it = 0; it < MASO_EVAL_FIT_ITERATIONS; it++) {
        double ft = f;
        int moved = 0;
        for (int tries = 0; tries < 80; tries++) {
            moved = 0;
            for (size_t j = 0; j < p->k; j++) {
                double t = w[j] - step * g[j];
                trial[j] = t > 0.0 ? t : 0.0;
                moved |= trial[j] != w[j];
            }
            ft = loss(p, trial, NULL);
            if (ft <= f)
                break;
            step *= 0.5;
        }
        /* Converged: the projected step no longer moves or gains. */
        if (!moved || !(ft <= f) || f - ft <= 1e-16 * (1.0 + fabs(f)))
            break;
        memcpy(w, trial, p->k * sizeof *w);
        f = loss(p, w, g);
        step *= 2.0;
    }
    if (final)
        *final = f;
    free(g);
    free(trial);
    return 0;
}

static int check(const double *x, const double *y, size_t n, size_t k,
                 const double *w, int fractions)
{
    if (!x || !y || !w || n < 2 || k == 0)
        return MASO_EINVAL_ARG;
    for (size_t i = 0; i < n * k; i++)
        if (!isfinite(x[i]))
            return MASO_EINVAL_ARG;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]) || (fractions && !(y[i] >= 0 && y[i] <= 1)))
            return MASO_EINVAL_ARG;
    return 0;
}

int maso_eval_fit_logistic(const double *x, const double *h, size_t n, size_t k,
                           double *w, double *loss)
{
    int rc = check(x, h, n, k, w, 1);
    if (rc)
        return rc;
    problem p = { x, h, n, k };
    return descend(&p, logistic_loss, w, loss);
}

int maso_eval_fit_least_squares(const double *x, const double *y, size_t n,
                                size_t k, double *w, double *intercept,
                                double *loss)
{
    int rc = check(x, y, n, k, w, 0);
    if (rc)
        return rc;
    double *xc = malloc(n * k * sizeof *xc), *yc = malloc(n * sizeof *yc);
    double *mx = calloc(k, sizeof *mx);
    if (!xc || !yc || !mx) {
        rc = ENOMEM;
        goto out;
    }
    double my = 0.0;
    for (size_t i = 0; i < n; i++) {
        my += y[i] / (double)n;
        for (size_t j = 0; j < k; j++)
            mx[j] += x[i * k + j] / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        yc[i] = y[i] - my;
        for (size_t j = 0; j < k; j++)
            xc[i * k + j] = x[i * k + j] - mx[j];
    }
    problem p = { xc, yc, n, k };
    if ((rc = descend(&p, squares_loss, w, loss)) == 0 && intercept) {
        double b = my;
        for (size_t j = 0; j < k; j++)
            b -= w[j] * mx[j];
        *intercept = b;
    }
out:
    free(xc);
    free(yc);
    free(mx);
    return rc;
}
