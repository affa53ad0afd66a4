/* bapps_distances.c -- the distances of every metric over a BAPPS subset. */
#include "program.h"

#include <stdlib.h>
#include <string.h>

/* Compare states a and b with every metric into d[m * n + i]. */
static int compare(const eval_metrics *ms, void **a, void **b,
                   const int size_a[2], const int size_b[2], size_t n,
                   size_t i, double *d, eval_csv *csv, const char *pa,
                   const char *pb, const eval_bapps_set *set, double truth,
                   char err[MASO_CLI_ERRLEN])
{
    for (size_t m = 0; m < ms->count; m++) {
        const maso_eval_metric *metric = ms->metric[m];
        double v;
        int rc = metric->distance(metric, a[m], b[m], &v);
        if (rc) {
            char why[MASO_CLI_ERRLEN];
            eval_metric_failure(ms, m, rc, size_a, size_b, why, sizeof why);
            snprintf(err, MASO_CLI_ERRLEN, "%s vs %s: %s", pa, pb, why);
            return rc;
        }
        d[m * n + i] = maso_eval_metric_dissimilarity(metric, v);
        eval_csv_row(csv, pa, pb, metric->name, v,
                     set->ref ? "2afc" : "jnd", set->name, truth);
    }
    return 0;
}

int eval_bapps_distances(eval_metrics *ms, const eval_bapps_set *set,
                         eval_csv *csv, double *d0, double *d1,
                         char err[MASO_CLI_ERRLEN])
{
    maso_decoder *decoder = NULL;
    void **s = calloc(3 * (ms->count ? ms->count : 1), sizeof *s);
    int rc = s ? maso_decoder_create(&decoder) : ENOMEM;
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "cannot start: %s", maso_strerror(rc));
        free(s);
        return rc;
    }
    void **sr = s, **s0 = s + ms->count, **s1 = s + 2 * ms->count;
    int zr[2], z0[2], z1[2]; /* their sizes */
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        if (set->ref &&
            (rc = eval_metrics_load(ms, decoder, set->ref[i], sr, zr, err)))
            break;
        if ((rc = eval_metrics_load(ms, decoder, set->p0[i], s0, z0,
                                    err)) == 0 &&
            (rc = eval_metrics_load(ms, decoder, set->p1[i], s1, z1,
                                    err)) == 0) {
            if (set->ref)
                rc = compare(ms, sr, s0, zr, z0, set->n, i, d0, csv,
                             set->ref[i], set->p0[i], set, set->human[i],
                             err);
            if (rc == 0)
                rc = set->ref
                    ? compare(ms, sr, s1, zr, z1, set->n, i, d1, csv,
                              set->ref[i], set->p1[i], set, set->human[i],
                              err)
                    : compare(ms, s0, s1, z0, z1, set->n, i, d0, csv,
                              set->p0[i], set->p1[i], set, set->human[i],
                              err);
        }
        eval_metrics_release(ms, sr);
        eval_metrics_release(ms, s0);
        eval_metrics_release(ms, s1);
    }
    maso_decoder_destroy(decoder);
    free(s);
    return rc;
}
