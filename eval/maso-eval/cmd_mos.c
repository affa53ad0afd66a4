/* cmd_mos.c -- maso-eval mos LIST.csv: agreement of each metric with mean
 * opinion scores (TID2013, KADID-10k, CSIQ, LIVE... converted to
 * reference,distorted,score): SRCC, KRCC, and PLCC after the logistic
 * fit.  The correlations are oriented so that a positive value means the
 * metric agrees with the scores: a larger dissimilarity goes with a lower
 * MOS (or a higher DMOS with --scores dmos). */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The states of the last reference: rows of a list are grouped by
 * reference, so one cached reference saves most decodes. */
typedef struct ref_cache {
    char *path;
    void **states;
    int size[2];
} ref_cache;

/* Metric values of every pair: v[m * n + i] as the metric reports it. */
static int measure(eval_metrics *ms, const maso_eval_pairs *pairs,
                   eval_csv *csv, double *v, char err[MASO_CLI_ERRLEN])
{
    size_t n = maso_eval_pairs_count(pairs);
    maso_decoder *decoder = NULL;
    ref_cache ref = { NULL, calloc(ms->count, sizeof(void *)),
                      { 0, 0 } };
    int dist_size[2];
    void **dist = calloc(ms->count, sizeof *dist);
    int rc = (!ref.states || !dist) ? ENOMEM : maso_decoder_create(&decoder);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "cannot start: %s", maso_strerror(rc));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const maso_eval_pair *p = maso_eval_pairs_get(pairs, i);
        if (!ref.path || strcmp(ref.path, p->reference) != 0) {
            eval_metrics_release(ms, ref.states);
            free(ref.path);
            ref.path = NULL;
            if ((rc = eval_metrics_load(ms, decoder, p->reference, ref.states,
                                        ref.size, err)))
                break;
            if (!(ref.path = strdup(p->reference))) {
                rc = ENOMEM;
                snprintf(err, MASO_CLI_ERRLEN, "out of memory");
                break;
            }
        }
        if ((rc = eval_metrics_load(ms, decoder, p->distorted, dist,
                                    dist_size, err)))
            break;
        for (size_t m = 0; rc == 0 && m < ms->count; m++) {
            const maso_eval_metric *metric = ms->metric[m];
            double *value = &v[m * n + i];
            rc = metric->distance(metric, ref.states[m], dist[m], value);
            if (rc) {
                char why[MASO_CLI_ERRLEN];
                eval_metric_failure(ms, m, rc, ref.size, dist_size, why,
                                    sizeof why);
                snprintf(err, MASO_CLI_ERRLEN, "%s vs %s (line %zu): %s",
                         p->reference, p->distorted, p->line, why);
            } else
                eval_csv_row(csv, p->reference, p->distorted, metric->name,
                             v[m * n + i], "mos", "", p->score);
        }
        eval_metrics_release(ms, dist);
    }
    if (ref.states)
        eval_metrics_release(ms, ref.states);
    free(ref.path);
    free(ref.states);
    free(dist);
    maso_decoder_destroy(decoder);
    return rc;
}

/* Fill column m of the table: SRCC, KRCC (oriented) and PLCC. */
static void correlate(const eval_options *opt, const maso_eval_metric *metric,
                      const double *v, const double *score, size_t n,
                      eval_table *t, size_t m)
{
    double *x = malloc(n * sizeof *x);
    if (!x)
        return;
    /* Orientation: dissimilarity against "badness" (-MOS, or DMOS). */
    double sign = opt->dmos ? 1.0 : -1.0, r;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        x[i] = maso_eval_metric_dissimilarity(metric, v[i]);
        finite &= isfinite(x[i]);
    }
    if (maso_eval_stats_spearman(x, score, n, &r) == 0)
        *eval_table_at(t, 0, m) = sign * r;
    if (maso_eval_stats_kendall(x, score, n, &r) == 0)
        *eval_table_at(t, 1, m) = sign * r;
    /* PLCC needs finite values: identical images give an infinite PSNR. */
    if (finite &&
        maso_eval_stats_plcc(x, score, n, opt->logistic, &r, NULL) == 0)
        *eval_table_at(t, 2, m) = r;
    free(x);
}

int eval_cmd_mos(const eval_options *opt)
{
    char err[MASO_CLI_ERRLEN];
    maso_eval_pairs *pairs = NULL;
    eval_metrics ms;
    memset(&ms, 0, sizeof ms);
    eval_csv *csv = NULL;
    eval_table t;
    memset(&t, 0, sizeof t);
    double *v = NULL, *score = NULL;
    int status = EVAL_EXIT_ERROR;
    if (maso_eval_pairs_create(&pairs) != 0)
        return eval_fail("out of memory");
    if (maso_eval_pairs_load_csv(pairs, opt->input) != 0) {
        eval_fail("%s", maso_eval_pairs_errmsg(pairs));
        goto out;
    }
    size_t n = maso_eval_pairs_count(pairs);
    if (eval_metrics_start(&ms, &csv, opt, err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    v = malloc(n * ms.count * sizeof *v);
    score = malloc(n * sizeof *score);
    if (!v || !score || eval_table_init(&t, "Agreement with human scores",
                                        3, ms.count) != 0) {
        eval_fail("out of memory");
        goto out;
    }
    if (measure(&ms, pairs, csv, v, err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        score[i] = maso_eval_pairs_get(pairs, i)->score;
    snprintf(t.note, sizeof t.note, "%zu pairs, scores read as %s; SRCC and "
             "KRCC > 0 when the metric agrees; PLCC after the %d-parameter "
             "logistic fit", n, opt->dmos ? "DMOS (higher = worse)"
                                         : "MOS (higher = better)",
             opt->logistic);
    snprintf(t.row[0], sizeof t.row[0], "SRCC");
    snprintf(t.row[1], sizeof t.row[1], "KRCC");
    snprintf(t.row[2], sizeof t.row[2], "PLCC");
    for (size_t m = 0; m < ms.count; m++) {
        snprintf(t.col[m], sizeof t.col[m], "%s", ms.metric[m]->name);
        correlate(opt, ms.metric[m], v + m * n, score, n, &t, m);
    }
    int rc = eval_csv_close(csv, err);
    csv = NULL;
    if (rc) {
        eval_fail("%s", err);
        goto out;
    }
    status = eval_emit(opt, "maso-eval mos", "", &t, 1, NULL);
out:
    eval_csv_close(csv, err);
    eval_table_free(&t);
    free(v);
    free(score);
    if (ms.metric)
        eval_metrics_close(&ms);
    maso_eval_pairs_destroy(pairs);
    return status;
}
