/* cmd_fit.c -- maso-eval fit: per-layer weights of the spline-code
 * distance calibrated on a benchmark's training split, like the linear
 * layer of LPIPS but over code distances.
 *
 *  - BAPPS 2AFC folder: logistic regression of the judge h (fraction who
 *    found p1 closer) on x_l = d0_l - d1_l, the per-layer distance
 *    differences:  P(p1 closer) = sigmoid(sum_l w_l x_l), no bias (the
 *    task is symmetric in p0 and p1), soft-label cross-entropy.
 *  - MOS list (.csv): least squares of the score on the per-layer
 *    distances d_l with an intercept: badness ~ b + sum_l w_l d_l, where
 *    badness is -MOS (or DMOS with --scores dmos).
 * Both keep w >= 0 (a distance must not decrease when a layer differs
 * more; see maso_eval.h), and only fit the layers selected
 * by --layers.  The weights are scaled to mean 1 over the fitted layers
 * (the code distance is a weighted mean, so the scale does not matter).
 * Evaluate the result on another split: `maso-eval 2afc --weights` warns
 * when given the folder the weights were fitted on. */
#include "program.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The data of a fit: n rows of k features (the selected layers). */
typedef struct fit_data {
    size_t n, k;
    double *x;       /* n x k */
    double *y;       /* n: judge, or oriented score */
    size_t *layer;   /* k: index in the layout table */
} fit_data;

/* Selected layers (weight > 0 in --layers, all by default). */
static int select_layers(const eval_model *em, fit_data *fd)
{
    fd->layer = malloc(em->n_layers * sizeof *fd->layer);
    if (!fd->layer)
        return ENOMEM;
    fd->k = 0;
    for (size_t l = 0; l < em->n_layers; l++)
        if (em->weights[l] > 0.0)
            fd->layer[fd->k++] = l;
    return 0;
}

static int load_code(eval_model *em, maso_decoder *decoder, const char *path,
                     uint8_t *code, char err[MASO_CLI_ERRLEN])
{
    maso_image image = { 0, 0, NULL };
    int channels, in_h, in_w; /* decoded as maso-index decodes it */
    maso_model_input_size(em->model, &channels, &in_h, &in_w);
    int rc = eval_image_load(decoder, path, in_w, in_h, &image, err);
    if (rc == 0 && (rc = eval_model_code(em, &image, code)) != 0)
        snprintf(err, MASO_CLI_ERRLEN, "%s: network: %s", path,
                 maso_forward_errmsg(em->forward));
    maso_image_free(&image);
    return rc;
}

/* Per-layer distances of two codes into the k features of row. */
static void features(const eval_model *em, const fit_data *fd,
                     const uint8_t *a, const uint8_t *b, double *row)
{
    for (size_t j = 0; j < fd->k; j++)
        row[j] = maso_layer_distance(&em->layers[fd->layer[j]], a, b);
}

/* BAPPS 2AFC: x = d0 - d1 per layer, y = judge. */
static int gather_2afc(eval_model *em, const eval_bapps *b, fit_data *fd,
                       char err[MASO_CLI_ERRLEN])
{
    size_t n = 0;
    for (size_t s = 0; s < b->n_sets; s++)
        n += b->set[s].n;
    size_t cb = (em->code_bytes + 63) & ~(size_t)63;
    uint8_t *code = aligned_alloc(64, 3 * cb);
    double *d1 = malloc(fd->k * sizeof *d1);
    fd->x = malloc(n * fd->k * sizeof *fd->x);
    fd->y = malloc(n * sizeof *fd->y);
    maso_decoder *decoder = NULL;
    int rc = (!code || !d1 || !fd->x || !fd->y) ? ENOMEM
                                                : maso_decoder_create(&decoder);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "cannot start: %s", maso_strerror(rc));
    for (size_t s = 0; rc == 0 && s < b->n_sets; s++) {
        const eval_bapps_set *set = &b->set[s];
        for (size_t i = 0; rc == 0 && i < set->n; i++) {
            if ((rc = load_code(em, decoder, set->ref[i], code, err)) ||
                (rc = load_code(em, decoder, set->p0[i], code + cb, err)) ||
                (rc = load_code(em, decoder, set->p1[i], code + 2 * cb, err)))
                break;
            double *row = fd->x + fd->n * fd->k;
            features(em, fd, code, code + cb, row);
            features(em, fd, code, code + 2 * cb, d1);
            for (size_t j = 0; j < fd->k; j++)
                row[j] -= d1[j];
            fd->y[fd->n++] = set->human[i];
        }
    }
    maso_decoder_destroy(decoder);
    free(code);
    free(d1);
    return rc;
}

/* MOS list: x = per-layer distances, y = badness. */
static int gather_mos(eval_model *em, const eval_options *opt,
                      const maso_eval_pairs *pairs, fit_data *fd,
                      char err[MASO_CLI_ERRLEN])
{
    size_t n = maso_eval_pairs_count(pairs);
    size_t cb = (em->code_bytes + 63) & ~(size_t)63;
    uint8_t *code = aligned_alloc(64, 2 * cb);
    fd->x = malloc(n * fd->k * sizeof *fd->x);
    fd->y = malloc(n * sizeof *fd->y);
    maso_decoder *decoder = NULL;
    int rc = (!code || !fd->x || !fd->y) ? ENOMEM
                                         : maso_decoder_create(&decoder);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "cannot start: %s", maso_strerror(rc));
    const char *last = NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const maso_eval_pair *p = maso_eval_pairs_get(pairs, i);
        if ((!last || strcmp(last, p->reference) != 0) &&
            (rc = load_code(em, decoder, p->reference, code, err)))
            break;
        last = p->reference;
        if ((rc = load_code(em, decoder, p->distorted, code + cb, err)))
            break;
        features(em, fd, code, code + cb, fd->x + i * fd->k);
        fd->y[i] = opt->dmos ? p->score : -p->score;
        fd->n++;
    }
    maso_decoder_destroy(decoder);
    free(code);
    return rc;
}

/* 2AFC score of the weights w on the fit data (for the summary). */
static double train_2afc(const fit_data *fd, const double *w)
{
    double sum = 0.0;
    for (size_t i = 0; i < fd->n; i++) {
        double z = 0.0;
        for (size_t j = 0; j < fd->k; j++)
            z += w[j] * fd->x[i * fd->k + j];
        /* z > 0: p0 farther, the metric picks p1 */
        sum += z > 0 ? fd->y[i] : z < 0 ? 1.0 - fd->y[i] : 0.5;
    }
    return sum / (double)fd->n;
}

int eval_cmd_fit(const eval_options *opt)
{
    char err[MASO_CLI_ERRLEN], real[PATH_MAX];
    if (!opt->out)
        return eval_fail("fit: --out FILE is required (where to write the "
                         "weights)");
    if (opt->weights)
        return eval_fail("fit: --weights is an output here; use --out");
    eval_model em;
    fit_data fd;
    memset(&fd, 0, sizeof fd);
    eval_bapps b;
    memset(&b, 0, sizeof b);
    maso_eval_pairs *pairs = NULL;
    double *w = NULL, *all = NULL;
    int status = EVAL_EXIT_ERROR, mos = eval_is_file(opt->input), rc;
    if (!realpath(opt->input, real))
        return eval_fail("%s: %s", opt->input, strerror(errno));
    if (mos) {
        if ((rc = maso_eval_pairs_create(&pairs)) == 0 &&
            (rc = maso_eval_pairs_load_csv(pairs, opt->input)) != 0)
            eval_fail("%s", maso_eval_pairs_errmsg(pairs));
    } else if ((rc = eval_bapps_open(opt->input, 0, &b, err)) != 0) {
        eval_fail("%s", err);
    }
    if (rc) {
        maso_eval_pairs_destroy(pairs);
        return EVAL_EXIT_ERROR;
    }
    if (eval_model_open(&em, opt, err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    if (select_layers(&em, &fd) != 0) {
        eval_fail("out of memory");
        goto out;
    }
    rc = mos ? gather_mos(&em, opt, pairs, &fd, err)
             : gather_2afc(&em, &b, &fd, err);
    w = malloc(fd.k * sizeof *w);
    all = calloc(em.n_layers, sizeof *all);
    if (rc || !w || !all) {
        eval_fail("%s", rc ? err : "out of memory");
        goto out;
    }
    if (fd.n < 2) {
        eval_fail("%s: at least 2 items are needed to fit", opt->input);
        goto out;
    }
    if (mos)
        rc = maso_eval_fit_least_squares(fd.x, fd.y, fd.n, fd.k, w, NULL, NULL);
    else
        rc = maso_eval_fit_logistic(fd.x, fd.y, fd.n, fd.k, w, NULL);
    if (rc) {
        eval_fail("%s: the fit failed: %s", opt->input, maso_strerror(rc));
        goto out;
    }
    double total = 0.0;
    for (size_t j = 0; j < fd.k; j++)
        total += w[j];
    if (!(total > 0.0)) {
        eval_fail("%s: no layer weight is positive after the fit: the layer "
                  "distances do not follow the human judgments", opt->input);
        goto out;
    }
    for (size_t j = 0; j < fd.k; j++)
        all[fd.layer[j]] = w[j] * (double)fd.k / total;
    char comment[512];
    snprintf(comment, sizeof comment, "maso-eval fit: %s on %zu %s\n"
             "evaluate on data not used for fitting",
             mos ? "least squares of the scores" : "logistic regression of "
             "the 2AFC judgments", fd.n, mos ? "pairs" : "triplets");
    if (maso_cli_weights_save(opt->out, em.layers, em.n_layers, all,
                              maso_model_param_sha256(em.model),
                              maso_model_bin_sha256(em.model), real, comment,
                              err) != 0) {
        eval_fail("%s", err);
        goto out;
    }
    printf("fitted %zu layer weights on %zu %s of %s -> %s\n", fd.k, fd.n,
           mos ? "pairs" : "triplets", opt->input, opt->out);
    if (!mos) {
        double *ones = malloc(fd.k * sizeof *ones);
        if (ones) {
            for (size_t j = 0; j < fd.k; j++)
                ones[j] = 1.0;
            printf("training-split 2AFC: equal weights %.4f, fitted %.4f "
                   "(optimistic: evaluate on another split)\n",
                   train_2afc(&fd, ones), train_2afc(&fd, w));
            free(ones);
        }
    }
    for (size_t j = 0; j < fd.k; j++)
        printf("  %-24s %.4f\n", em.layers[fd.layer[j]].name,
               all[fd.layer[j]]);
    status = EVAL_EXIT_OK;
out:
    free(w);
    free(all);
    free(fd.x);
    free(fd.y);
    free(fd.layer);
    eval_model_close(&em);
    eval_bapps_close(&b);
    maso_eval_pairs_destroy(pairs);
    return status;
}
