/* bench_layers.c -- where a forward pass spends its time, layer by layer:
 * thread CPU from each convolution to the next (the convolution and the
 * pools, concatenations and activations after it), medians over passes,
 * for the pass maso-index runs (limited to the default sketch: conv10 only
 * at the sampled units), on one photo.
 *
 * usage: bench_layers [--int8] [--portable] [--passes N] PHOTO
 *
 * Each pass's times come from core_forward_run_hooked()'s call before
 * every convolution; the first pass is not counted (caches, page faults).
 * Run it beside another build's bench_layers on the same photo, rounds
 * alternating: the machine is shared and noisy. */
#define _POSIX_C_SOURCE 200809L
#include "maso.h"
#include "net/network_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MASO_SHARED_DIR
#define MASO_SHARED_DIR "../shared"
#endif
#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"

static double thread_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The pass being timed: per layer, the time since its convolution began. */
typedef struct timer {
    double *pass; /* per layer, this pass */
    int layer;    /* the convolution running, or -1 */
    double since;
} timer;

static const float *at_conv(void *ctx, int layer, int blob, const float *src,
                            size_t n)
{
    (void)blob;
    (void)n;
    timer *t = ctx;
    const double now = thread_ms();
    if (t->layer >= 0)
        t->pass[t->layer] += now - t->since;
    t->layer = layer;
    t->since = now;
    return src;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    maso_model_precision precision = MASO_PRECISION_FP32;
    maso_model_kernels kernels = MASO_MODEL_KERNELS_BEST;
    int passes = 100, a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (strcmp(argv[a], "--int8") == 0)
            precision = MASO_PRECISION_INT8;
        else if (strcmp(argv[a], "--portable") == 0)
            kernels = MASO_MODEL_KERNELS_PORTABLE;
        else if (strcmp(argv[a], "--passes") == 0 && a + 1 < argc)
            passes = atoi(argv[++a]);
        else
            break;
    }
    if (a + 1 != argc || passes < 1) {
        fprintf(stderr, "usage: bench_layers [--int8] [--portable] "
                        "[--passes N] PHOTO\n");
        return 2;
    }
    maso_model *model = NULL;
    maso_forward *forward = NULL;
    maso_decoder *decoder = NULL;
    maso_sketch *sketch = NULL;
    const maso_code_layer *layers;
    maso_sketch_params sp;
    maso_sketch_params_init(&sp);
    if (maso_model_create(&model) || maso_model_set_kernels(model, kernels) ||
        maso_model_set_precision(model, precision) ||
        maso_model_load(model, MODEL ".param", MODEL ".bin")) {
        fprintf(stderr, "bench_layers: %s\n",
                model ? maso_model_errmsg(model) : "out of memory");
        return 1;
    }
    size_t n_code = maso_model_code_layers(model, &layers);
    if (maso_forward_create(model, &forward) ||
        maso_decoder_create(&decoder) ||
        maso_sketch_create(layers, n_code, &sp, &sketch) ||
        maso_forward_limit_to_sketch(forward, sketch)) {
        fprintf(stderr, "bench_layers: out of memory\n");
        return 1;
    }
    uint8_t *code = malloc(maso_model_code_bytes(model));
    const int n_layers = forward->model->n_layers;
    double *times = calloc((size_t)n_layers * (size_t)(passes + 1),
                           sizeof *times);
    double *total = calloc((size_t)passes, sizeof *total);
    double *column = calloc((size_t)passes, sizeof *column);
    if (!code || !times || !total || !column)
        return 1;
    /* the photo resized into the input blob, as maso-index codes it */
    if (maso_forward_code_file(forward, decoder, argv[a],
                               MASO_CODE_TRIM_BORDER, code, NULL)) {
        fprintf(stderr, "bench_layers: %s\n", maso_forward_errmsg(forward));
        return 1;
    }
    /* row 0 of times: the pass not counted */
    for (int r = -1; r < passes; r++) {
        timer t = {times + (size_t)(r + 1) * n_layers, -1, 0.0};
        const double t0 = thread_ms();
        core_forward_run_hooked(forward, code, NULL, at_conv, &t);
        const double t1 = thread_ms();
        if (t.layer >= 0)
            t.pass[t.layer] += t1 - t.since;
        if (r >= 0)
            total[r] = t1 - t0;
    }
    printf("%s, %s kernels, %d passes limited to the sketch, thread CPU "
           "medians, ms (each convolution with the layers up to the next):\n",
           maso_precision_name(precision),
           kernels == MASO_MODEL_KERNELS_BEST ? "best" : "portable", passes);
    for (int i = 0; i < n_layers; i++) {
        const core_layer *l = &forward->model->layers[i];
        if (l->op != CORE_OP_CONV && l->op != CORE_OP_INNERPRODUCT)
            continue;
        for (int r = 0; r < passes; r++)
            column[r] = times[(size_t)(r + 1) * n_layers + i];
        printf("  %-22s %8.3f\n", l->name, median(column, passes));
    }
    printf("  %-22s %8.3f\n", "whole pass", median(total, passes));
    free(code);
    free(times);
    free(total);
    free(column);
    maso_sketch_destroy(sketch);
    maso_decoder_destroy(decoder);
    maso_forward_destroy(forward);
    maso_model_destroy(model);
    return 0;
}
