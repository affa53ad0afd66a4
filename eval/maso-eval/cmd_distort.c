/* cmd_distort.c -- maso-eval distort DIR: graded synthetic distortions of
 * a photo folder (synthetic, no human judgments).
 *
 * Every photo is distorted at full size by each family at levels 1..5
 * (deterministic from --seed), then originals and copies alike are
 * resized to --size x --size, so that every metric compares images of one
 * size (pixel metrics need it; portrait and landscape photos mix).  Per
 * family and metric:
 *  - Spearman's correlation between dissimilarity to the original and
 *    level, pooled over photos and levels: does the metric grow with the
 *    strength of the distortion?
 *  - copy-detection recall@1: the fraction of copies whose nearest
 *    original (among all photos) is their own; a tie with another original
 *    counts as a miss. */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOTE "synthetic, no human judgments"
#define LEVELS MASO_EVAL_DISTORT_LEVELS
#define FAMILIES MASO_EVAL_DISTORT_COUNT


typedef struct distort_run {
    const eval_options *opt;
    eval_photo_set set;   /* metrics, photos, --csv */
    /* dissimilarity to the own original: [metric][family][level][photo] */
    double *own;
    /* hits of recall@1: [metric][family] */
    size_t *hits;
} distort_run;

static double *own_at(distort_run *r, size_t m, size_t f, size_t l, size_t i)
{
    return &r->own[((m * FAMILIES + f) * LEVELS + l) * r->set.n + i];
}

/* One copy: its dissimilarity to every original, for every metric. */
static int score_copy(distort_run *r, size_t i, size_t f, int level,
                      void **states, char err[MASO_CLI_ERRLEN])
{
    char label[EVAL_PATH_MAX + 32];
    const char *family = maso_eval_distortion_name((maso_eval_distortion)f);
    snprintf(label, sizeof label, "%s#%s:%d", r->set.photo[i].path, family,
             level);
    for (size_t m = 0; m < r->set.ms.count; m++) {
        const maso_eval_metric *metric = r->set.ms.metric[m];
        double own = 0.0, best_other = INFINITY;
        for (size_t j = 0; j < r->set.n; j++) {
            double v;
            int rc = metric->distance(metric, r->set.photo[j].states[m],
                                      states[m], &v);
            if (rc) {
                snprintf(err, MASO_CLI_ERRLEN, "%s: metric %s: %s", label,
                         metric->name, maso_strerror(rc));
                return rc;
            }
            double d = maso_eval_metric_dissimilarity(metric, v);
            if (j == i) {
                own = d;
                eval_csv_row(r->set.csv, r->set.photo[i].path, label,
                             metric->name, v, "distort", family, level);
            } else if (d < best_other) {
                best_other = d;
            }
        }
        *own_at(r, m, f, (size_t)level - 1, i) = own;
        r->hits[m * FAMILIES + f] += own < best_other;
    }
    return 0;
}

static int run_all(distort_run *r, char err[MASO_CLI_ERRLEN])
{
    void **states = calloc(r->set.ms.count, sizeof *states);
    if (!states) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->set.n; i++) {
        for (size_t f = 0; rc == 0 && f < FAMILIES; f++) {
            for (int level = 1; rc == 0 && level <= LEVELS; level++) {
                maso_image copy = { 0, 0, NULL };
                rc = maso_eval_distort(&r->set.photo[i].full,
                                       (maso_eval_distortion)f, level,
                                       r->opt->seed, &copy);
                if (rc)
                    snprintf(err, MASO_CLI_ERRLEN, "%s: distortion %s: %s",
                             r->set.photo[i].path,
                             maso_eval_distortion_name((maso_eval_distortion)f),
                             maso_strerror(rc));
                else if ((rc = eval_metrics_prepare_resized(&r->set.ms, &copy,
                                                            r->opt->size, 1,
                                                            states, err)) == 0)
                    rc = score_copy(r, i, f, level, states, err);
                eval_metrics_release(&r->set.ms, states);
                maso_image_free(&copy);
            }
        }
    }
    free(states);
    return rc;
}

/* Spearman and recall tables, and the mean curves for the report. */
static int summarise(distort_run *r, eval_table t[2], double *curve)
{
    size_t nm = r->set.ms.count, cnt = LEVELS * r->set.n;
    if (eval_table_init(&t[0], "Spearman correlation of distance with "
                        "distortion level", FAMILIES + 1, nm) ||
        eval_table_init(&t[1], "Copy-detection recall@1 among all originals",
                        FAMILIES + 1, nm))
        return ENOMEM;
    double *level = malloc(cnt * sizeof *level), *d = malloc(cnt * sizeof *d);
    if (!level || !d) {
        free(level);
        free(d);
        return ENOMEM;
    }
    snprintf(t[0].note, sizeof t[0].note, NOTE "; %zu photos x 5 levels per "
             "family, pooled; 0 when the distance does not change", r->set.n);
    snprintf(t[1].note, sizeof t[1].note,
             NOTE "; %zu photos x 5 levels per "
                  "family; nearest of %zu originals is the copy's own",
             r->set.n, r->set.n);
    for (size_t m = 0; m < nm; m++) {
        snprintf(t[0].col[m], sizeof t[0].col[m], "%s",
                 r->set.ms.metric[m]->name);
        snprintf(t[1].col[m], sizeof t[1].col[m], "%s",
                 r->set.ms.metric[m]->name);
        double sum_s = 0.0, sum_r = 0.0;
        for (size_t f = 0; f < FAMILIES; f++) {
            for (size_t l = 0; l < LEVELS; l++) {
                double mean = 0.0;
                for (size_t i = 0; i < r->set.n; i++) {
                    level[l * r->set.n + i] = (double)(l + 1);
                    d[l * r->set.n + i] = *own_at(r, m, f, l, i);
                    mean += d[l * r->set.n + i] / (double)r->set.n;
                }
                curve[(f * nm + m) * LEVELS + l] = mean;
            }
            /* A distance that does not change at all (dhash under a colour
             * cast) has no rank correlation: it does not follow the
             * level, which scores as 0. */
            double rho;
            int src = maso_eval_stats_spearman(level, d, cnt, &rho);
            if (src == EDOM)
                rho = 0.0;
            else if (src != 0)
                rho = NAN;
            double recall = (double)r->hits[m * FAMILIES + f] / (double)cnt;
            *eval_table_at(&t[0], f, m) = rho;
            *eval_table_at(&t[1], f, m) = recall;
            sum_s += rho;
            sum_r += recall;
        }
        *eval_table_at(&t[0], FAMILIES, m) = sum_s / FAMILIES;
        *eval_table_at(&t[1], FAMILIES, m) = sum_r / FAMILIES;
        /* Curves: the metrics have different units (PSNR in dB...) and
         * ranges, so each is scaled to [0, 1] over its five levels within
         * a family: the plot shows how it grows with the level. */
        for (size_t f = 0; f < FAMILIES; f++) {
            double *c = &curve[(f * nm + m) * LEVELS];
            double lo = INFINITY, hi = -INFINITY;
            for (size_t l = 0; l < LEVELS; l++)
                if (isfinite(c[l])) {
                    lo = c[l] < lo ? c[l] : lo;
                    hi = c[l] > hi ? c[l] : hi;
                }
            for (size_t l = 0; l < LEVELS; l++)
                c[l] = hi > lo ? (c[l] - lo) / (hi - lo) : NAN;
        }
    }
    for (size_t f = 0; f < FAMILIES; f++) {
        const char *name = maso_eval_distortion_name((maso_eval_distortion)f);
        snprintf(t[0].row[f], sizeof t[0].row[f], "%s", name);
        snprintf(t[1].row[f], sizeof t[1].row[f], "%s", name);
    }
    snprintf(t[0].row[FAMILIES], sizeof t[0].row[0], "mean");
    snprintf(t[1].row[FAMILIES], sizeof t[1].row[0], "mean");
    free(level);
    free(d);
    return 0;
}

static void free_run(distort_run *r)
{
    eval_photo_set_close(&r->set);
    free(r->own);
    free(r->hits);
}

int eval_cmd_distort(const eval_options *opt)
{
    char err[MASO_CLI_ERRLEN];
    distort_run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    eval_table t[2];
    memset(t, 0, sizeof t);
    double *curve = NULL;
    int status = EVAL_EXIT_ERROR;
    if (eval_photo_set_open(&r.set, opt, 0, 0, err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    size_t nm = r.set.ms.count;
    r.own = malloc(nm * FAMILIES * LEVELS * r.set.n * sizeof *r.own);
    r.hits = calloc(nm * FAMILIES, sizeof *r.hits);
    curve = malloc(FAMILIES * nm * LEVELS * sizeof *curve);
    if (!r.own || !r.hits || !curve) {
        eval_fail("out of memory");
        goto out;
    }
    if (run_all(&r, err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    if (summarise(&r, t, curve) != 0) {
        eval_fail("out of memory");
        goto out;
    }
    int rc = eval_csv_close(r.set.csv, err);
    r.set.csv = NULL;
    if (rc) {
        eval_fail("%s", err);
        goto out;
    }
    const char *groups[FAMILIES], *series[64];
    for (size_t f = 0; f < FAMILIES; f++)
        groups[f] = maso_eval_distortion_name((maso_eval_distortion)f);
    for (size_t m = 0; m < nm && m < 64; m++)
        series[m] = r.set.ms.metric[m]->name;
    eval_curves cv = { "distortion level", "Distance against distortion "
                       "level (mean over photos; each metric scaled to "
                       "[0, 1] within each family)", FAMILIES, nm < 64 ? nm : 64, LEVELS,
                       groups, series, curve };
    char title[EVAL_PATH_MAX + 64];
    snprintf(title, sizeof title, "maso-eval distort %s (seed %llu, %dx%d)",
             opt->input, opt->seed, opt->size, opt->size);
    status = eval_emit(opt, title, "Synthetic distortions: " NOTE ".", t, 2,
                       &cv);
out:
    eval_table_free(&t[0]);
    eval_table_free(&t[1]);
    free(curve);
    free_run(&r);
    return status;
}
