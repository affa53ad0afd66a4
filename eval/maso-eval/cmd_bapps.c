/* cmd_bapps.c -- maso-eval 2afc DIR and maso-eval jnd DIR on BAPPS: the
 * 2AFC score and the JND mAP of the LPIPS paper, per subset and as the
 * mean over subsets (as the paper's tables average its subsets). */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shared by 2afc and jnd: open the metrics, the benchmark and the CSV. */
static int bapps_command(const eval_options *opt, int jnd)
{
    char err[MASO_CLI_ERRLEN];
    eval_metrics ms;
    eval_bapps b;
    eval_csv *csv = NULL;
    eval_table t;
    memset(&t, 0, sizeof t);
    int status = EVAL_EXIT_ERROR;
    if (eval_bapps_open(opt->input, jnd, &b, err) != 0)
        return eval_fail("%s", err);
    if (eval_metrics_start(&ms, &csv, opt, err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    if (eval_table_init(&t, jnd ? "JND mAP (BAPPS)" : "2AFC score (BAPPS)",
                        b.n_sets + 1, ms.count) != 0) {
        eval_fail("out of memory");
        goto out;
    }
    snprintf(t.note, sizeof t.note, "%s", jnd
             ? "mean average precision of finding the pairs people judged "
               "the same, ranked by distance"
             : "fraction of human judgments the metric agrees with; "
               "humans agree with each other about 0.74 of the time");
    for (size_t m = 0; m < ms.count; m++)
        snprintf(t.col[m], sizeof t.col[m], "%s", ms.metric[m]->name);
    snprintf(t.row[b.n_sets], sizeof t.row[0], "mean of %zu subset%s",
             b.n_sets, b.n_sets == 1 ? "" : "s");
    for (size_t k = 0; k < b.n_sets; k++) {
        const eval_bapps_set *set = &b.set[k];
        snprintf(t.row[k], sizeof t.row[k], "%s (n=%zu)", set->name, set->n);
        size_t n = set->n * ms.count;
        double *d0 = malloc(n * sizeof *d0), *d1 = malloc(n * sizeof *d1);
        int rc = (!d0 || !d1) ? ENOMEM : 0;
        if (rc)
            snprintf(err, sizeof err, "out of memory");
        else
            rc = eval_bapps_distances(&ms, set, csv, d0, jnd ? NULL : d1,
                                      err);
        for (size_t m = 0; rc == 0 && m < ms.count; m++) {
            double score;
            int src =
                jnd ? maso_eval_stats_jnd_map(d0 + m * set->n, set->human,
                                              set->n, &score)
                    : maso_eval_stats_2afc(d0 + m * set->n, d1 + m * set->n,
                                           set->human, set->n, &score);
            *eval_table_at(&t, k, m) = src ? NAN : score;
        }
        free(d0);
        free(d1);
        if (rc) {
            eval_fail("%s", err);
            goto out;
        }
    }
    for (size_t m = 0; m < ms.count; m++) {
        double sum = 0.0;
        for (size_t k = 0; k < b.n_sets; k++)
            sum += *eval_table_at(&t, k, m);
        *eval_table_at(&t, b.n_sets, m) = sum / (double)b.n_sets;
    }
    if (eval_csv_close(csv, err) != 0) {
        csv = NULL;
        eval_fail("%s", err);
        goto out;
    }
    csv = NULL;
    status = eval_emit(opt, jnd ? "maso-eval jnd" : "maso-eval 2afc", "", &t,
                       1, NULL);
out:
    eval_csv_close(csv, err);
    eval_table_free(&t);
    if (ms.metric)
        eval_metrics_close(&ms);
    eval_bapps_close(&b);
    return status;
}

int eval_cmd_2afc(const eval_options *opt)
{
    return bapps_command(opt, 0);
}

int eval_cmd_jnd(const eval_options *opt)
{
    return bapps_command(opt, 1);
}
