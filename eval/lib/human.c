/* human.c -- agreement with human judgments as the LPIPS paper scores it:
 * 2AFC (which of two distortions is closer) and JND (same or different). */
#include "maso_eval.h"
#include "stats_internal.h"

#include "maso.h"

#include <errno.h>
#include <stdlib.h>

/* MASO_EINVAL_ARG unless every v[i] is a fraction in [0, 1]. */
static int check_fractions(const double *v, size_t n)
{
    if (v == NULL)
        return MASO_EINVAL_ARG;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] >= 0.0 && v[i] <= 1.0)) /* also rejects NaN */
            return MASO_EINVAL_ARG;
    return MASO_SUCCESS;
}

int maso_eval_stats_2afc(const double *d0, const double *d1,
                         const double *judge, size_t n, double *score)
{
    int rc;
    if (score == NULL || n == 0)
        return MASO_EINVAL_ARG;
    if ((rc = meval_stats_check(d0, n, 1)) != 0 ||
        (rc = meval_stats_check(d1, n, 1)) != 0 ||
        (rc = check_fractions(judge, n)) != 0)
        return rc;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (d0[i] < d1[i])
            sum += 1.0 - judge[i]; /* picks p0: credited by p0's fans */
        else if (d1[i] < d0[i])
            sum += judge[i];
        else
            sum += 0.5;
    }
    *score = sum / (double)n;
    return MASO_SUCCESS;
}

int maso_eval_stats_jnd_map(const double *d, const double *same, size_t n,
                            double *map)
{
    int rc;
    if (map == NULL || n == 0)
        return MASO_EINVAL_ARG;
    if ((rc = meval_stats_check(d, n, 1)) != 0 ||
        (rc = check_fractions(same, n)) != 0)
        return rc;
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += same[i];
    if (!(total > 0.0))
        return EDOM; /* no positives: recall is 0/0 */

    size_t *order = malloc(n * sizeof *order);
    double *prec = malloc(n * sizeof *prec), *rec = malloc(n * sizeof *rec);
    if (order == NULL || prec == NULL || rec == NULL) {
        rc = ENOMEM;
        goto out;
    }
    if ((rc = meval_stats_order(d, n, order)) != 0)
        goto out;
    double tp = 0.0, fp = 0.0;
    for (size_t k = 0; k < n; k++) {
        tp += same[order[k]];
        fp += 1.0 - same[order[k]];
        prec[k] = tp / (tp + fp);
        rec[k] = tp / total;
    }
    /* Precision envelope: the best precision at this or any later point
     * (the curve's right end is the sentinel precision 0). */
    for (size_t k = n - 1; k-- > 0;)
        if (prec[k + 1] > prec[k])
            prec[k] = prec[k + 1];
    /* Area: each rise of recall, starting from recall 0, times the
     * envelope precision where it lands.  The sentinel point (recall 1,
     * precision 0) adds nothing. */
    double ap = 0.0, last = 0.0;
    for (size_t k = 0; k < n; k++) {
        if (rec[k] != last) {
            ap += (rec[k] - last) * prec[k];
            last = rec[k];
        }
    }
    *map = ap;
    rc = MASO_SUCCESS;
out:
    free(order);
    free(prec);
    free(rec);
    return rc;
}
