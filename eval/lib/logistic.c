/* logistic.c -- the VQEG logistic mapping, its Levenberg-Marquardt fit, and
 * PLCC computed through it. */
#include "maso_eval.h"
#include "stats_internal.h"

#include "maso.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1 / (1 + exp(t)) without overflow warnings: exp() of a large positive t
 * is inf (harmless), but computing from the small side keeps precision. */
static double inv_one_plus_exp(double t)
{
    if (t > 0.0) {
        double e = exp(-t);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + exp(t));
}

double maso_eval_logistic(const double b[5], double x)
{
    return b[0] * (0.5 - inv_one_plus_exp(b[1] * (x - b[2]))) + b[3] * x +
           b[4];
}

/* The fit works on standardised data u = (x - mx) / sx, v = (y - my) / sy
 * with parameters c in the same form; these are its pieces. */
typedef struct fit_data {
    const double *u, *v;
    size_t n;
    int active[5]; /* indices of the free parameters */
    int p;         /* how many there are: 4 or 5 */
} fit_data;

static double sse_of(const fit_data *d, const double c[5])
{
    double sse = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        double r = d->v[i] - maso_eval_logistic(c, d->u[i]);
        sse += r * r;
    }
    return sse;
}

/* Accumulate J^T J and J^T r (J = dg/dc over the active parameters). */
static void normal_equations(const fit_data *d, const double c[5],
                             double jtj[5][5], double jtr[5])
{
    memset(jtj, 0, 25 * sizeof(double));
    memset(jtr, 0, 5 * sizeof(double));
    for (size_t i = 0; i < d->n; i++) {
        double u = d->u[i];
        double s = inv_one_plus_exp(c[1] * (u - c[2]));
        double ss = s * (1.0 - s);
        double g[5] = {
            0.5 - s,                /* d/dc0 */
            c[0] * ss * (u - c[2]), /* d/dc1: ds/dc1 = -ss (u - c2) */
            -c[0] * ss * c[1],      /* d/dc2: ds/dc2 = ss c1 */
            u,                      /* d/dc3 */
            1.0,                    /* d/dc4 */
        };
        double r = d->v[i] - maso_eval_logistic(c, u);
        for (int a = 0; a < d->p; a++) {
            double ga = g[d->active[a]];
            jtr[a] += ga * r;
            for (int b = 0; b <= a; b++)
                jtj[a][b] += ga * g[d->active[b]];
        }
    }
    for (int a = 0; a < d->p; a++)
        for (int b = a + 1; b < d->p; b++)
            jtj[a][b] = jtj[b][a];
}

/* Solve the p x p system m x = rhs by Gaussian elimination with partial
 * pivoting (m and rhs are destroyed).  Returns 0, or -1 when singular. */
static int solve(double m[5][5], double rhs[5], int p, double x[5])
{
    for (int k = 0; k < p; k++) {
        int piv = k;
        for (int i = k + 1; i < p; i++)
            if (fabs(m[i][k]) > fabs(m[piv][k]))
                piv = i;
        if (!(fabs(m[piv][k]) > 1e-300))
            return -1;
        if (piv != k) {
            for (int j = 0; j < p; j++) {
                double t = m[k][j];
                m[k][j] = m[piv][j];
                m[piv][j] = t;
            }
            double t = rhs[k];
            rhs[k] = rhs[piv];
            rhs[piv] = t;
        }
        for (int i = k + 1; i < p; i++) {
            double f = m[i][k] / m[k][k];
            for (int j = k; j < p; j++)
                m[i][j] -= f * m[k][j];
            rhs[i] -= f * rhs[k];
        }
    }
    for (int k = p - 1; k >= 0; k--) {
        double s = rhs[k];
        for (int j = k + 1; j < p; j++)
            s -= m[k][j] * x[j];
        x[k] = s / m[k][k];
    }
    return 0;
}

/*
 * Levenberg-Marquardt from c (updated in place); returns the final SSE.
 * The damping scales the diagonal of J^T J (Marquardt's variant), so the
 * step is invariant to the scale of each parameter.  A step is kept only
 * when it lowers the SSE; otherwise the damping grows tenfold until the
 * step is a tiny gradient step, and we stop when even that fails.
 */
static double levenberg_marquardt(const fit_data *d, double c[5])
{
    double sse = sse_of(d, c);
    double lambda = 1e-3;
    for (int iter = 0; iter < 500; iter++) {
        double jtj[5][5], jtr[5];
        normal_equations(d, c, jtj, jtr);
        int improved = 0;
        double gain = 0.0;
        while (lambda < 1e16) {
            double m[5][5], rhs[5], step[5], trial[5];
            for (int a = 0; a < d->p; a++) {
                for (int b = 0; b < d->p; b++)
                    m[a][b] = jtj[a][b];
                /* the tiny absolute term keeps a flat direction solvable */
                m[a][a] += lambda * jtj[a][a] + 1e-12;
                rhs[a] = jtr[a];
            }
            memcpy(trial, c, sizeof trial);
            if (solve(m, rhs, d->p, step) == 0) {
                for (int a = 0; a < d->p; a++)
                    trial[d->active[a]] += step[a];
                double t = sse_of(d, trial);
                if (isfinite(t) && t < sse) {
                    gain = sse - t;
                    memcpy(c, trial, sizeof trial);
                    sse = t;
                    lambda = lambda * 0.1 > 1e-12 ? lambda * 0.1 : 1e-12;
                    improved = 1;
                    break;
                }
            }
            lambda *= 10.0;
        }
        if (!improved || gain <= 1e-15 * (sse + 1e-300))
            break;
    }
    return sse;
}

/* The q-quantile (nearest rank) of the ascending array sorted[0..n). */
static double quantile(const double *sorted, size_t n, double q)
{
    return sorted[(size_t)(q * (double)(n - 1) + 0.5)];
}

int maso_eval_logistic_fit(const double *x, const double *y, size_t n,
                           int n_params, double b[5])
{
    int rc;
    if (b == NULL || (n_params != 4 && n_params != 5) ||
        n < (size_t)n_params)
        return MASO_EINVAL_ARG;
    if ((rc = meval_stats_check(x, n, 0)) != 0 ||
        (rc = meval_stats_check(y, n, 0)) != 0)
        return rc;

    double mx = 0, my = 0, sx = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        sx += (x[i] - mx) * (x[i] - mx);
        sy += (y[i] - my) * (y[i] - my);
    }
    sx = sqrt(sx / (double)n);
    sy = sqrt(sy / (double)n);
    if (!(sx > 0.0) || !(sy > 0.0))
        return EDOM;

    double *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v);
    double *us = malloc(n * sizeof *us);
    if (u == NULL || v == NULL || us == NULL) {
        rc = ENOMEM;
        goto out;
    }
    double vmin = INFINITY, vmax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        u[i] = (x[i] - mx) / sx;
        v[i] = (y[i] - my) / sy;
        vmin = v[i] < vmin ? v[i] : vmin;
        vmax = v[i] > vmax ? v[i] : vmax;
    }
    /* The direction of the sigmoid: increasing when y rises with x. */
    double rho;
    if ((rc = maso_eval_stats_spearman(u, v, n, &rho)) != 0 && rc != EDOM)
        goto out;
    double sign = (rc == 0 && rho < 0.0) ? -1.0 : 1.0;
    size_t *order = malloc(n * sizeof *order);
    if (order == NULL || (rc = meval_stats_order(u, n, order)) != 0) {
        free(order);
        rc = rc ? rc : ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        us[i] = u[order[i]];
    free(order);

    fit_data d = { .u = u, .v = v, .n = n, .active = {0, 1, 2, 4, 3},
                   .p = n_params };
    /* Starts: the sigmoid spans the range of v, centred at the median or
     * a quartile of u, with a gentle or a steep slope (unit = 1 sd). */
    static const double centres[3] = {0.5, 0.25, 0.75};
    static const double slopes[2] = {1.0, 4.0};
    double best[5] = {0}, best_sse = INFINITY;
    for (int ci = 0; ci < 3; ci++) {
        for (int si = 0; si < 2; si++) {
            double c[5] = { sign * (vmax - vmin), slopes[si],
                            quantile(us, n, centres[ci]), 0.0,
                            0.5 * (vmax + vmin) };
            double sse = levenberg_marquardt(&d, c);
            if (sse < best_sse) {
                best_sse = sse;
                memcpy(best, c, sizeof best);
            }
        }
    }
    if (!isfinite(best_sse)) {
        rc = EDOM;
        goto out;
    }
    /* (c0, c1) and (-c0, -c1) give the same curve: report c1 >= 0. */
    if (best[1] < 0.0) {
        best[0] = -best[0];
        best[1] = -best[1];
    }
    /* Back to data units: y = my + sy * g((x - mx) / sx). */
    b[0] = sy * best[0];
    b[1] = best[1] / sx;
    b[2] = mx + sx * best[2];
    b[3] = sy * best[3] / sx;
    b[4] = my + sy * (best[4] - best[3] * mx / sx);
    rc = MASO_SUCCESS;
out:
    free(u);
    free(v);
    free(us);
    return rc;
}

int maso_eval_stats_plcc(const double *x, const double *y, size_t n,
                         int n_params, double *plcc, double b[5])
{
    double fitted[5];
    if (plcc == NULL)
        return MASO_EINVAL_ARG;
    int rc = maso_eval_logistic_fit(x, y, n, n_params, fitted);
    if (rc != 0)
        return rc;
    double *f = malloc(n * sizeof *f);
    if (f == NULL)
        return ENOMEM;
    for (size_t i = 0; i < n; i++)
        f[i] = maso_eval_logistic(fitted, x[i]);
    rc = maso_eval_stats_pearson(f, y, n, plcc);
    free(f);
    if (rc == 0 && b != NULL)
        memcpy(b, fitted, sizeof fitted);
    return rc;
}
