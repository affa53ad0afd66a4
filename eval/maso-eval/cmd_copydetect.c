/* cmd_copydetect.c -- maso-eval copydetect DIR: copy detection in the
 * style of ISC2021 (DISC21) on any photo folder (synthetic edits, no human
 * judgments).
 *
 * References: every other photo (the 1st, 3rd, ...).  Queries: every photo
 * under each of the 12 edits of maso_eval_copy_edit_apply() (deterministic from
 * --seed), so half of the queries have no original among the references.
 * Images are compared resized to --size x --size, like `distort`.  Each
 * query predicts its PREDICTIONS nearest references; per metric:
 *  - micro-AP (ISC2021): all queries' predictions pooled and sorted by
 *    score; average precision over them, with as many positives as queries
 *    whose original is a reference;
 *  - recall@1, overall and per edit: among the queries whose original is a
 *    reference, the share whose nearest reference is it (a tie with
 *    another reference counts as a miss).
 * The model metrics (vq, vq-sketch) compare the query in its eight
 * orientations (mirrors and quarter turns) and keep the nearest, as
 * maso-query does (--no-orient: as it is), and cut uniform borders
 * before coding like maso-index and maso-query (--no-trim: keep them).  Each model metric also gets a
 * "-norm" column: its distance divided by the query's mean distance to its
 * 2nd..6th nearest references (its typical non-matches), the score
 * normalisation of copy-detection systems; for recall@1 it changes
 * nothing, for the pooled micro-AP it puts all queries on one scale.
 *
 * --copies DIR also writes every original and copy there as JPEG (quality
 * 95), for trying the programs on them (maso-index, maso-query
 * --duplicates).
 *
 * --out FILE fits the vq layer weights for copy detection on DIR (every
 * photo's copies against every other photo, maso_eval_fit_logistic) and writes
 * them as a weights file: fit on one folder, report on another. */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOTE "synthetic edits, no human judgments"
#define EDITS MASO_EVAL_EDIT_COUNT
#define PREDICTIONS 10
#define ORIENTATIONS 8
/* the non-matches a normalised score is divided by: ranks 2..1+BACKGROUND */
#define BACKGROUND 5
/* --out: how sure the fit is that an original is nearer than another
 * photo */
#define FIT_CONFIDENCE 0.99


/* One prediction of one query. */
typedef struct prediction {
    double score;
    int correct;
} prediction;

typedef struct copy_run {
    const eval_options *opt;
    eval_photo_set set;        /* metrics, photos, --csv */
    size_t n_refs;
    size_t n_cols;             /* metrics, then the -norm of model metrics */
    size_t *col_metric;        /* metric of each column */
    int *col_norm;
    prediction *pred;          /* [col][query][PREDICTIONS] */
    size_t n_queries;
    size_t *hits;              /* recall@1 hits [col][edit] */
    size_t positives[EDITS];   /* queries with an original, per edit */
    /* --out: fitting the vq layer weights on every (copy, original,
     * other photo) triple; rows of x: per-layer distance to the other
     * photo minus per-layer distance to the original */
    size_t vq;                 /* index of the vq metric */
    double *x;
    size_t rows, cap;
} copy_run;

static int is_model_metric(const maso_eval_metric *m)
{
    return !strcmp(m->name, "vq") || !strcmp(m->name, "vq-sketch");
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The query's dissimilarity to every reference for metric m, the minimum
 * over its orientations for model metrics (states[o][m]). */
static int distances(copy_run *r, size_t m, void ***states, size_t n_orient,
                     double *d, char err[MASO_CLI_ERRLEN])
{
    const maso_eval_metric *metric = r->set.ms.metric[m];
    size_t orients = is_model_metric(metric) ? n_orient : 1;
    for (size_t j = 0; j < r->n_refs; j++) {
        d[j] = INFINITY;
        for (size_t o = 0; o < orients; o++) {
            double v;
            int rc = metric->distance(metric, r->set.photo[2 * j].states[m],
                                      states[o][m], &v);
            if (rc) {
                snprintf(err, MASO_CLI_ERRLEN, "metric %s: %s", metric->name,
                         maso_strerror(rc));
                return rc;
            }
            v = maso_eval_metric_dissimilarity(metric, v);
            d[j] = v < d[j] ? v : d[j];
        }
    }
    return 0;
}

/* Score one query (photo i under edit e) in every column. */
static void score_query(copy_run *r, size_t i, size_t e, size_t q,
                        const double *dist, double *sorted)
{
    int has = i % 2 == 0;
    for (size_t c = 0; c < r->n_cols; c++) {
        const double *d = dist + r->col_metric[c] * r->n_refs;
        double norm = 1;
        memcpy(sorted, d, r->n_refs * sizeof *sorted);
        qsort(sorted, r->n_refs, sizeof *sorted, dbl_cmp);
        if (r->col_norm[c] && r->n_refs > 1) {
            double sum = 0;
            size_t k = 0;
            for (size_t j = 1; j < r->n_refs && j <= BACKGROUND; j++, k++)
                sum += sorted[j];
            norm = sum / (double)k > 0 ? sum / (double)k : 1;
        }
        /* the PREDICTIONS nearest references, in order */
        prediction *p = r->pred + (c * r->n_queries + q) * PREDICTIONS;
        size_t taken = 0;
        int used[PREDICTIONS];
        for (size_t k = 0; k < PREDICTIONS; k++) {
            p[k] = (prediction){ INFINITY, 0 };
            used[k] = -1;
        }
        for (size_t k = 0; k < PREDICTIONS && k < r->n_refs; k++) {
            size_t best = SIZE_MAX;
            for (size_t j = 0; j < r->n_refs; j++) {
                int seen = 0;
                for (size_t u = 0; u < taken; u++)
                    seen |= used[u] == (int)j;
                if (!seen && (best == SIZE_MAX || d[j] < d[best]))
                    best = j;
            }
            used[taken++] = (int)best;
            p[k] = (prediction){ d[best] / norm, has && 2 * best == i };
        }
        if (has) {
            /* recall@1: the own original strictly nearest */
            double own = d[i / 2];
            int hit = 1;
            for (size_t j = 0; j < r->n_refs; j++)
                if (j != i / 2 && d[j] <= own)
                    hit = 0;
            r->hits[c * EDITS + e] += (size_t)hit;
        }
    }
}

/* Per-layer distances of the query (nearest orientation by the mean) to
 * photo j's code, into pl. */
static void nearest_layers(copy_run *r, void ***states, size_t n_orient,
                           size_t j, double *pl, double *tmp)
{
    const eval_model *em = &r->set.ms.model;
    double best = INFINITY;
    for (size_t o = 0; o < n_orient; o++) {
        double d = maso_code_distance(em->layers, em->n_layers, NULL,
                                      r->set.photo[j].states[r->vq],
                                      states[o][r->vq], tmp);
        if (d < best) {
            best = d;
            memcpy(pl, tmp, em->n_layers * sizeof *pl);
        }
    }
}

/* The fitting rows of one query (photo i): one per other photo. */
static int fit_rows(copy_run *r, size_t i, void ***states, size_t n_orient)
{
    size_t L = r->set.ms.model.n_layers;
    if (r->rows + r->set.n > r->cap) {
        size_t cap = (r->rows + r->set.n) * 2;
        double *x = realloc(r->x, cap * L * sizeof *x);
        if (!x)
            return ENOMEM;
        r->x = x;
        r->cap = cap;
    }
    double *own = malloc(3 * L * sizeof *own);
    if (!own)
        return ENOMEM;
    double *other = own + L, *tmp = own + 2 * L;
    nearest_layers(r, states, n_orient, i, own, tmp);
    for (size_t j = 0; j < r->set.n; j++) {
        if (j == i)
            continue;
        nearest_layers(r, states, n_orient, j, other, tmp);
        double *row = r->x + r->rows++ * L;
        for (size_t l = 0; l < L; l++)
            row[l] = other[l] - own[l];
    }
    free(own);
    return 0;
}

/* Fit and write the weights (--out). */
static int fit_write(copy_run *r, char err[MASO_CLI_ERRLEN])
{
    const eval_model *em = &r->set.ms.model;
    size_t L = em->n_layers;
    double *w = malloc(L * sizeof *w), *h = malloc(r->rows * sizeof *h);
    if (!w || !h) {
        free(w);
        free(h);
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    /* soft labels: the original nearer than another photo with
     * probability FIT_CONFIDENCE (1 would let the weights grow without
     * bound) */
    for (size_t k = 0; k < r->rows; k++)
        h[k] = FIT_CONFIDENCE;
    double loss = 0;
    int rc = maso_eval_fit_logistic(r->x, h, r->rows, L, w, &loss);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "fit: %s", maso_strerror(rc));
    double sum = 0;
    for (size_t l = 0; !rc && l < L; l++)
        sum += w[l];
    if (!rc && !(sum > 0)) {
        snprintf(err, MASO_CLI_ERRLEN, "fit: every weight is 0");
        rc = MASO_EDATA;
    }
    for (size_t l = 0; !rc && l < L; l++)
        w[l] *= (double)L / sum; /* mean 1 */
    char comment[256];
    snprintf(comment, sizeof comment, "maso-eval copydetect --out: %zu "
             "(copy, original, other photo) triples, logistic loss %.4f",
             r->rows, loss);
    if (!rc)
        rc = maso_cli_weights_save(r->opt->out, em->layers, L, w,
                                   maso_model_param_sha256(em->model),
                                   maso_model_bin_sha256(em->model),
                                   r->opt->input, comment, err);
    free(w);
    free(h);
    return rc;
}

/* --copies DIR: the copy as DIR/NAME_EDIT.jpg (and the original as
 * DIR/NAME.jpg with the first edit), JPEG quality 95. */
static int write_copy(copy_run *r, size_t i, const char *edit,
                      const maso_image *copy, char err[MASO_CLI_ERRLEN])
{
    const char *base = strrchr(r->set.photo[i].path, '/');
    base = base ? base + 1 : r->set.photo[i].path;
    char name[EVAL_PATH_MAX], path[2 * EVAL_PATH_MAX];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot)
        *dot = 0;
    int rc = 0;
    if (!strcmp(edit, maso_eval_copy_edit_name((maso_eval_copy_edit)0))) {
        snprintf(path, sizeof path, "%s/%s.jpg", r->opt->copies, name);
        rc = maso_eval_write_jpeg(&r->set.photo[i].full, path, 95);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/%s_%s.jpg", r->opt->copies, name,
                 edit);
        rc = maso_eval_write_jpeg(copy, path, 95);
    }
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", path, maso_strerror(rc));
    return rc;
}

static int run_all(copy_run *r, char err[MASO_CLI_ERRLEN])
{
    size_t n_orient = r->opt->no_orient ? 1 : ORIENTATIONS;
    void **states[ORIENTATIONS];
    double *dist = malloc(r->set.ms.count * r->n_refs * sizeof *dist);
    double *sorted = malloc(r->n_refs * sizeof *sorted);
    int rc = dist && sorted ? 0 : ENOMEM;
    for (size_t o = 0; o < ORIENTATIONS; o++)
        if (!(states[o] = calloc(r->set.ms.count, sizeof **states)))
            rc = ENOMEM;
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
    size_t q = 0;
    for (size_t i = 0; rc == 0 && i < r->set.n; i++) {
        for (size_t e = 0; rc == 0 && e < EDITS; e++, q++) {
            maso_image copy = {0, 0, NULL};
            const char *edit = maso_eval_copy_edit_name((maso_eval_copy_edit)e);
            rc = maso_eval_copy_edit_apply(&r->set.photo[i].full,
                                           (maso_eval_copy_edit)e, r->opt->seed,
                                           &copy);
            if (rc)
                snprintf(err, MASO_CLI_ERRLEN, "%s: edit %s: %s",
                         r->set.photo[i].path, edit, maso_strerror(rc));
            if (rc == 0 && r->opt->copies)
                rc = write_copy(r, i, edit, &copy, err);
            for (size_t o = 0; rc == 0 && o < n_orient; o++)
                rc = eval_metrics_prepare_resized(&r->set.ms, &copy,
                                                  r->opt->size, (int)o + 1,
                                                  states[o], err);
            for (size_t m = 0; rc == 0 && m < r->set.ms.count; m++)
                rc = distances(r, m, states, n_orient,
                               dist + m * r->n_refs, err);
            if (rc == 0 && r->opt->out &&
                (rc = fit_rows(r, i, states, n_orient)) != 0)
                snprintf(err, MASO_CLI_ERRLEN, "out of memory");
            if (rc == 0) {
                r->positives[e] += i % 2 == 0;
                score_query(r, i, e, q, dist, sorted);
                char label[EVAL_PATH_MAX + 32];
                snprintf(label, sizeof label, "%s#%s", r->set.photo[i].path,
                         edit);
                for (size_t m = 0; m < r->set.ms.count; m++)
                    for (size_t j = 0; j < r->n_refs; j++)
                        eval_csv_row(r->set.csv, r->set.photo[2 * j].path,
                                     label, r->set.ms.metric[m]->name,
                                     dist[m * r->n_refs + j], "copydetect",
                                     edit, 2 * j == i);
            }
            for (size_t o = 0; o < n_orient; o++)
                eval_metrics_release(&r->set.ms, states[o]);
            maso_image_free(&copy);
        }
    }
    for (size_t o = 0; o < ORIENTATIONS; o++)
        free(states[o]);
    free(dist);
    free(sorted);
    return rc;
}

static int pred_cmp(const void *a, const void *b)
{
    const prediction *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return y->correct - x->correct; /* ties: ISC scores them favourably */
}

/* ISC2021 micro-AP of column c: pooled predictions by score. */
static double micro_ap(copy_run *r, size_t c, size_t positives)
{
    size_t n = r->n_queries * PREDICTIONS;
    prediction *p = malloc(n * sizeof *p);
    if (!p)
        return NAN;
    memcpy(p, r->pred + c * n, n * sizeof *p);
    qsort(p, n, sizeof *p, pred_cmp);
    double ap = 0;
    size_t tp = 0;
    for (size_t k = 0; k < n && isfinite(p[k].score); k++)
        if (p[k].correct) {
            tp++;
            ap += (double)tp / (double)(k + 1);
        }
    free(p);
    return positives ? ap / (double)positives : NAN;
}

static int summarise(copy_run *r, eval_table *t)
{
    if (eval_table_init(t, "Copy detection (ISC2021 style)", EDITS + 2,
                        r->n_cols))
        return ENOMEM;
    size_t positives = 0;
    for (size_t e = 0; e < EDITS; e++)
        positives += r->positives[e];
    snprintf(t->note, sizeof t->note, NOTE "; %zu references (every other "
             "photo), %zu queries (12 edits of all %zu photos), %zu with "
             "their original; micro-AP over the top %d of each query",
             r->n_refs, r->n_queries, r->set.n, positives, PREDICTIONS);
    t->digits = 3;
    snprintf(t->row[0], sizeof t->row[0], "micro-AP");
    snprintf(t->row[1], sizeof t->row[1], "recall@1");
    for (size_t e = 0; e < EDITS; e++)
        snprintf(t->row[e + 2], sizeof t->row[0], "recall@1 %s",
                 maso_eval_copy_edit_name((maso_eval_copy_edit)e));
    for (size_t c = 0; c < r->n_cols; c++) {
        snprintf(t->col[c], sizeof t->col[c], "%s%s",
                 r->set.ms.metric[r->col_metric[c]]->name,
                 r->col_norm[c] ? "-norm" : "");
        size_t hits = 0;
        for (size_t e = 0; e < EDITS; e++) {
            hits += r->hits[c * EDITS + e];
            *eval_table_at(t, e + 2, c) =
                r->positives[e] ? (double)r->hits[c * EDITS + e] /
                                      (double)r->positives[e] : NAN;
        }
        *eval_table_at(t, 0, c) = micro_ap(r, c, positives);
        *eval_table_at(t, 1, c) = positives ? (double)hits / (double)positives
                                            : NAN;
    }
    return 0;
}

static void free_run(copy_run *r)
{
    eval_photo_set_close(&r->set);
    free(r->pred);
    free(r->hits);
    free(r->col_metric);
    free(r->col_norm);
    free(r->x);
}

int eval_cmd_copydetect(const eval_options *opt)
{
    char err[MASO_CLI_ERRLEN];
    copy_run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    eval_table t;
    memset(&t, 0, sizeof t);
    int status = EVAL_EXIT_ERROR;
    /* vq codes the photos as maso-index and maso-query do: borders cut;
     * the references are the 1st, 3rd... photo; --out fits on all */
    if (eval_photo_set_open(&r.set, opt, !opt->out, !opt->no_trim,
                            err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    r.n_refs = (r.set.n + 1) / 2;
    size_t nm = r.set.ms.count;
    r.col_metric = calloc(2 * nm, sizeof *r.col_metric);
    r.col_norm = calloc(2 * nm, sizeof *r.col_norm);
    r.n_queries = r.set.n * EDITS;
    if (!r.col_metric || !r.col_norm) {
        eval_fail("out of memory");
        goto out;
    }
    r.vq = SIZE_MAX;
    for (size_t m = 0; m < nm; m++) {
        if (!strcmp(r.set.ms.metric[m]->name, "vq"))
            r.vq = m;
        r.col_metric[r.n_cols++] = m;
        if (is_model_metric(r.set.ms.metric[m])) {
            r.col_metric[r.n_cols] = m;
            r.col_norm[r.n_cols++] = 1;
        }
    }
    r.pred = malloc(r.n_cols * r.n_queries * PREDICTIONS * sizeof *r.pred);
    r.hits = calloc(r.n_cols * EDITS, sizeof *r.hits);
    if (!r.pred || !r.hits) {
        eval_fail("out of memory");
        goto out;
    }
    if (opt->out && r.vq == SIZE_MAX) {
        eval_fail("--out fits the weights of vq: add it to --metric");
        goto out;
    }
    if (run_all(&r, err) != 0 || (opt->out && fit_write(&r, err) != 0)) {
        eval_fail("%s", err);
        goto out;
    }
    if (summarise(&r, &t) != 0) {
        eval_fail("out of memory");
        goto out;
    }
    int rc = eval_csv_close(r.set.csv, err);
    r.set.csv = NULL;
    if (rc) {
        eval_fail("%s", err);
        goto out;
    }
    char title[EVAL_PATH_MAX + 128];
    snprintf(title, sizeof title, "maso-eval copydetect %s (seed %llu, "
             "%dx%d%s%s)", opt->input, opt->seed, opt->size, opt->size,
             opt->no_orient ? ", no orientations" : "",
             opt->no_trim ? ", borders kept" : "");
    status = eval_emit(opt, title, "Copy detection: " NOTE ".", &t, 1, NULL);
out:
    eval_table_free(&t);
    free_run(&r);
    return status;
}
