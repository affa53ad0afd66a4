/* stats.c -- correlation coefficients: Pearson, Spearman, Kendall tau-b. */
#include "maso_eval.h"
#include "stats_internal.h"

#include "maso.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int meval_stats_check(const double *v, size_t n, int allow_inf)
{
    if (v == NULL)
        return MASO_EINVAL_ARG;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]) || (!allow_inf && isinf(v[i])))
            return MASO_EINVAL_ARG;
    }
    return MASO_SUCCESS;
}

/* Two passes (mean first, then centred sums): the one-pass textbook formula
 * loses every digit when the values are large and close together. */
static int pearson_unchecked(const double *x, const double *y, size_t n,
                             double *r)
{
    double mx = 0.0, my = 0.0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0.0, syy = 0.0, sxy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if (!(sxx > 0.0) || !(syy > 0.0))
        return EDOM;
    double v = sxy / sqrt(sxx * syy);
    /* Rounding can push |r| a hair above 1 for perfectly linear data. */
    *r = v > 1.0 ? 1.0 : (v < -1.0 ? -1.0 : v);
    return MASO_SUCCESS;
}

int maso_eval_stats_pearson(const double *x, const double *y, size_t n,
                            double *r)
{
    int rc;
    if (r == NULL || n < 2)
        return MASO_EINVAL_ARG;
    if ((rc = meval_stats_check(x, n, 0)) != 0 ||
        (rc = meval_stats_check(y, n, 0)) != 0)
        return rc;
    return pearson_unchecked(x, y, n, r);
}

/* Sorting an index array by the values it points to: qsort has no context
 * argument, so we sort (value, index) pairs instead of using a global. */
typedef struct keyed {
    double key;
    size_t index;
} keyed;

/* Ties broken by index: a total order, so every caller gets a stable,
 * reproducible permutation. */
static int keyed_cmp(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->key < b->key) return -1;
    if (a->key > b->key) return 1;
    return (a->index > b->index) - (a->index < b->index);
}

int meval_stats_order(const double *v, size_t n, size_t *order)
{
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    if (k == NULL)
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        k[i].key = v[i];
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        order[i] = k[i].index;
    free(k);
    return MASO_SUCCESS;
}

/* Ranks 1..n, tied values sharing the mean rank of their run. */
static int average_ranks(const double *v, size_t n, double *rank)
{
    size_t *order = malloc(n * sizeof *order);
    if (order == NULL)
        return ENOMEM;
    int rc = meval_stats_order(v, n, order);
    if (rc == 0) {
        size_t i = 0;
        while (i < n) {
            size_t j = i + 1;
            while (j < n && v[order[j]] == v[order[i]])
                j++;
            /* positions i..j-1 hold ranks i+1..j: their mean */
            double mean = 0.5 * (double)(i + 1 + j);
            for (size_t t = i; t < j; t++)
                rank[order[t]] = mean;
            i = j;
        }
    }
    free(order);
    return rc;
}

int maso_eval_stats_spearman(const double *x, const double *y, size_t n,
                             double *rho)
{
    int rc;
    if (rho == NULL || n < 2)
        return MASO_EINVAL_ARG;
    if ((rc = meval_stats_check(x, n, 1)) != 0 ||
        (rc = meval_stats_check(y, n, 1)) != 0)
        return rc;
    double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
    if (rx == NULL || ry == NULL) {
        rc = ENOMEM;
    } else if ((rc = average_ranks(x, n, rx)) == 0 &&
               (rc = average_ranks(y, n, ry)) == 0) {
        rc = pearson_unchecked(rx, ry, n, rho);
    }
    free(rx);
    free(ry);
    return rc;
}

/* Sum over runs of equal values in the sorted sequence s[0..n) of
 * len*(len-1)/2: the number of tied pairs. */
static uint64_t tied_pairs(const double *s, size_t n)
{
    uint64_t pairs = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && s[j] == s[i])
            j++;
        uint64_t len = j - i;
        pairs += len * (len - 1) / 2;
        i = j;
    }
    return pairs;
}

/* Bottom-up merge sort of v[0..n) ascending, returning the number of
 * inversions (pairs i<j with v[i] > v[j]; equal values are not swaps). */
static uint64_t sort_count_swaps(double *v, double *tmp, size_t n)
{
    uint64_t swaps = 0;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) {
                if (v[b] < v[a]) {
                    /* v[b] jumps over every element left in the run */
                    swaps += mid - a;
                    tmp[o++] = v[b++];
                } else {
                    tmp[o++] = v[a++];
                }
            }
            while (a < mid)
                tmp[o++] = v[a++];
            while (b < hi)
                tmp[o++] = v[b++];
        }
        for (size_t i = 0; i < n; i++)
            v[i] = tmp[i];
    }
    return swaps;
}

/* Sort key for Kendall: x first, y second. */
typedef struct xy {
    double x, y;
} xy;

static int xy_cmp(const void *pa, const void *pb)
{
    const xy *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return 0;
}

/*
 * Knight (1966): sort the pairs by (x, y); then the discordant pairs are
 * exactly the inversions of the y sequence (pairs tied in x are already in
 * y order, so they add none), which a merge sort counts in O(n log n).
 * With n0 = n(n-1)/2, tx / ty the pairs tied in x / y and txy those tied
 * in both, the concordant minus discordant count is
 *   C - D = n0 - tx - ty + txy - 2 D.
 */
int maso_eval_stats_kendall(const double *x, const double *y, size_t n,
                            double *tau)
{
    int rc;
    if (tau == NULL || n < 2)
        return MASO_EINVAL_ARG;
    if ((rc = meval_stats_check(x, n, 1)) != 0 ||
        (rc = meval_stats_check(y, n, 1)) != 0)
        return rc;
    xy *p = malloc(n * sizeof *p);
    double *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *tmp);
    if (p == NULL || v == NULL || tmp == NULL) {
        rc = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        p[i].x = x[i];
        p[i].y = y[i];
    }
    qsort(p, n, sizeof *p, xy_cmp);

    uint64_t n0 = (uint64_t)n * (n - 1) / 2, tx = 0, txy = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && p[j].x == p[i].x)
            j++;
        uint64_t len = j - i;
        tx += len * (len - 1) / 2;
        /* within an x run y is sorted: its y ties are joint ties */
        for (size_t t = i; t < j; t++)
            v[t - i] = p[t].y;
        txy += tied_pairs(v, j - i);
        i = j;
    }
    for (size_t t = 0; t < n; t++)
        v[t] = p[t].y;
    uint64_t discordant = sort_count_swaps(v, tmp, n);
    uint64_t ty = tied_pairs(v, n);

    if (tx == n0 || ty == n0) {
        rc = EDOM; /* a constant variable: tau-b is 0/0 */
        goto out;
    }
    double diff = (double)n0 - (double)tx - (double)ty + (double)txy -
                  2.0 * (double)discordant;
    *tau = diff / sqrt(((double)n0 - (double)tx) * ((double)n0 - (double)ty));
    rc = MASO_SUCCESS;
out:
    free(p);
    free(v);
    free(tmp);
    return rc;
}
