/* model_metric.c -- the metrics computed by the network: "vq", the
 * spline-code distance, and "deep", a continuous distance between the
 * ReLU outputs (the unlearned form of LPIPS), both behind maso_eval_metric. */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The "deep" metric reads the activations of the RELU layers: the layout
 * table names the blob that holds them (post-ReLU values, also for a
 * convolution with a fused ReLU). */
const char *eval_model_relu_blob(const eval_model *em, size_t i)
{
    return em->layers[i].kind == MASO_LAYER_RELU ? em->layers[i].blob : NULL;
}

int eval_model_open(eval_model *em, const eval_options *opt,
                    char err[MASO_CLI_ERRLEN])
{
    memset(em, 0, sizeof *em);
    int rc = maso_cli_model_open_precision(opt->model_dir, opt->precision,
                                           &em->model, NULL, err);
    if (rc)
        return rc;
    if ((rc = maso_forward_create(em->model, &em->forward)) != 0) {
        snprintf(err, MASO_CLI_ERRLEN, "cannot start the network: %s",
                 maso_strerror(rc));
        return rc;
    }
    em->n_layers = maso_model_code_layers(em->model, &em->layers);
    em->code_bytes = maso_model_code_bytes(em->model);
    em->weights = calloc(em->n_layers, sizeof *em->weights);
    em->code = aligned_alloc(64, (em->code_bytes + 63) & ~(size_t)63);
    if (!em->weights || !em->code) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    if (opt->weights && opt->layers) {
        snprintf(err, MASO_CLI_ERRLEN, "--weights and --layers both choose "
                 "the layer weights: give one of them");
        return MASO_EINVAL_ARG;
    }
    if (opt->weights)
        return maso_cli_weights_load(
            opt->weights, em->layers, em->n_layers,
            maso_model_param_sha256(em->model),
            maso_model_bin_sha256(em->model), em->weights, em->fitted_on,
            sizeof em->fitted_on, err);
    if (opt->layers)
        return maso_cli_layer_spec_parse(opt->layers, em->layers,
                                         em->n_layers, em->weights, err);
    for (size_t i = 0; i < em->n_layers; i++)
        em->weights[i] = 1.0;
    return 0;
}

void eval_model_close(eval_model *em)
{
    free(em->weights);
    free(em->code);
    maso_sketch_destroy(em->sketch);
    maso_forward_destroy(em->forward);
    maso_model_destroy(em->model);
    memset(em, 0, sizeof *em);
}

int eval_model_code(eval_model *em, const maso_image *image, uint8_t *code)
{
    if (!em->trim)
        return maso_forward_run_image(em->forward, image, code, NULL);
    /* as maso-index and maso-query do: uniform borders cut first */
    size_t bytes = (size_t)image->width * (size_t)image->height * 3;
    maso_image t = { image->width, image->height, malloc(bytes) };
    if (!t.pixels)
        return ENOMEM;
    memcpy(t.pixels, image->pixels, bytes);
    int rc = maso_image_trim_border(&t, MASO_TRIM_TOLERANCE, NULL);
    if (!rc)
        rc = maso_forward_run_image(em->forward, &t, code, NULL);
    maso_image_free(&t);
    return rc;
}

static uint8_t *code_alloc(const eval_model *em)
{
    return aligned_alloc(64, (em->code_bytes + 63) & ~(size_t)63);
}

/* Run the network on image into em->code unless this image's run is
 * already there (see eval_model.batch). */
static int run_once(eval_model *em, const maso_image *image)
{
    if (em->batch == image && em->batch_ran)
        return 0;
    int rc = eval_model_code(em, image, em->code);
    em->batch_ran = rc == 0 && em->batch == image;
    return rc;
}

int eval_model_layer_distances(eval_model *em, const maso_image *a,
                               const maso_image *b, double *per_layer)
{
    uint8_t *ca = code_alloc(em), *cb = code_alloc(em);
    int rc = (!ca || !cb) ? ENOMEM : 0;
    if (!rc)
        rc = eval_model_code(em, a, ca);
    if (!rc)
        rc = eval_model_code(em, b, cb);
    if (!rc)
        maso_code_distance(em->layers, em->n_layers, NULL, ca, cb, per_layer);
    free(ca);
    free(cb);
    return rc;
}

/* ---- vq: the state is the code --------------------------------------- */

static int vq_prepare(const maso_eval_metric *metric, const maso_image *image,
                      void **state)
{
    eval_model *em = metric->user;
    uint8_t *code = code_alloc(em);
    if (!code)
        return ENOMEM;
    int rc = run_once(em, image);
    if (rc) {
        free(code);
        return rc;
    }
    memcpy(code, em->code, em->code_bytes);
    *state = code;
    return 0;
}

static int vq_distance(const maso_eval_metric *metric, const void *a,
                       const void *b, double *value)
{
    const eval_model *em = metric->user;
    if (!a || !b || !value)
        return MASO_EINVAL_ARG;
    *value = maso_code_distance(em->layers, em->n_layers, em->weights, a, b,
                                NULL);
    return 0;
}

static void free_release(const maso_eval_metric *metric, void *state)
{
    (void)metric;
    free(state);
}

/* ---- vq-sketch: the state is the sketch of the code ------------------ */

static int sketch_prepare(const maso_eval_metric *metric,
                          const maso_image *image, void **state)
{
    eval_model *em = metric->user;
    uint8_t *sketch = aligned_alloc(64, maso_sketch_bytes(em->sketch));
    int rc = !sketch ? ENOMEM : run_once(em, image);
    if (rc == 0)
        maso_sketch_apply(em->sketch, em->code, sketch);
    if (rc) {
        free(sketch);
        return rc;
    }
    *state = sketch;
    return 0;
}

static int sketch_distance(const maso_eval_metric *metric, const void *a,
                           const void *b, double *value)
{
    const eval_model *em = metric->user;
    if (!a || !b || !value)
        return MASO_EINVAL_ARG;
    /* The sketch table has one entry per code layer, in the same order:
     * the layer weights apply unchanged. */
    const maso_code_layer *layers;
    size_t n = maso_sketch_layers(em->sketch, &layers);
    *value = maso_code_distance(layers, n, em->weights, a, b, NULL);
    return 0;
}

/* ---- deep: per RELU layer, unit-normalised channel vectors ------------ */

/* The state is one float array: for every RELU layer with a weight, its
 * C x H x W output with each position's channel vector scaled to unit
 * length (HWC order, so that a position's channels are adjacent). */
static size_t deep_floats(const eval_model *em)
{
    size_t n = 0;
    for (size_t i = 0; i < em->n_layers; i++)
        if (eval_model_relu_blob(em, i) && em->weights[i] > 0.0)
            n += em->layers[i].units;
    return n;
}

static void normalise_positions(const float *chw, int c, int hw, float *hwc)
{
    for (int p = 0; p < hw; p++) {
        double sum = 0.0;
        for (int k = 0; k < c; k++)
            sum += (double)chw[(size_t)k * hw + p] * chw[(size_t)k * hw + p];
        /* LPIPS adds a small epsilon so that a silent position stays 0. */
        double inv = 1.0 / (sqrt(sum) + 1e-10);
        for (int k = 0; k < c; k++)
            hwc[(size_t)p * c + k] = (float)(chw[(size_t)k * hw + p] * inv);
    }
}

static int deep_prepare(const maso_eval_metric *metric, const maso_image *image,
                        void **state)
{
    eval_model *em = metric->user;
    size_t n = deep_floats(em);
    if (n == 0)
        return MASO_EINVAL_ARG;
    float *feat = malloc(n * sizeof *feat);
    if (!feat)
        return ENOMEM;
    int rc = run_once(em, image);
    float *dst = feat;
    for (size_t i = 0; rc == 0 && i < em->n_layers; i++) {
        if (!eval_model_relu_blob(em, i) || !(em->weights[i] > 0.0))
            continue;
        int c, h, w;
        const float *src = maso_forward_blob(em->forward, em->layers[i].blob,
                                             &c, &h, &w);
        if (!src) {
            rc = MASO_ENOTFOUND;
            break;
        }
        normalise_positions(src, c, h * w, dst);
        dst += (size_t)c * h * w;
    }
    if (rc) {
        free(feat);
        return rc;
    }
    *state = feat;
    return 0;
}

static int deep_distance(const maso_eval_metric *metric, const void *a,
                         const void *b, double *value)
{
    const eval_model *em = metric->user;
    const float *x = a, *y = b;
    if (!x || !y || !value)
        return MASO_EINVAL_ARG;
    double total = 0.0, wsum = 0.0;
    for (size_t i = 0; i < em->n_layers; i++) {
        if (!eval_model_relu_blob(em, i) || !(em->weights[i] > 0.0))
            continue;
        const maso_code_layer *l = &em->layers[i];
        double sum = 0.0;
        for (size_t k = 0; k < l->units; k++) {
            double d = (double)x[k] - y[k];
            sum += d * d;
        }
        /* mean over positions of the squared distance of unit vectors */
        total += em->weights[i] * sum / ((double)l->height * l->width);
        wsum += em->weights[i];
        x += l->units;
        y += l->units;
    }
    *value = wsum > 0.0 ? total / wsum : 0.0;
    return 0;
}

static maso_eval_metric *metric_new(const char *name, eval_model *em)
{
    maso_eval_metric *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->name = name;
    m->higher_is_better = 0;
    m->release = free_release;
    m->user = em;
    return m;
}

maso_eval_metric *eval_metric_vq(eval_model *em)
{
    maso_eval_metric *m = metric_new("vq", em);
    if (m) {
        m->prepare = vq_prepare;
        m->distance = vq_distance;
    }
    return m;
}

maso_eval_metric *eval_metric_vq_sketch(eval_model *em)
{
    maso_sketch_params params;
    maso_sketch_params_init(&params); /* what maso-index stores */
    if (!em->sketch &&
        maso_sketch_create(em->layers, em->n_layers, &params, &em->sketch))
        return NULL;
    maso_eval_metric *m = metric_new("vq-sketch", em);
    if (m) {
        m->prepare = sketch_prepare;
        m->distance = sketch_distance;
    }
    return m;
}

maso_eval_metric *eval_metric_deep(eval_model *em)
{
    maso_eval_metric *m = metric_new("deep", em);
    if (m) {
        m->prepare = deep_prepare;
        m->distance = deep_distance;
    }
    return m;
}
