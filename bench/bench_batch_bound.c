/*
 * bench_batch_bound.c -- what batching several images per pass could save
 * at most.  Batching keeps a layer's weights in cache from one image to the
 * next; so the most it can save is the difference between a forward pass
 * with warm caches (the same image again: weights and activations cached)
 * and one after a 64 MB stream has evicted every cache level (weights and
 * activations reloaded from memory).  The difference over-estimates
 * batching's gain (a batch would still reload its activations) and is
 * printed per precision: thread CPU ms, median of 21 runs each, the warm
 * and cold runs interleaved.
 *
 * usage: bench_batch_bound [MODEL_PREFIX]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"
#define RUNS 21
#define EVICT_BYTES (64u << 20)

static double thread_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median warm and cold forward of @p precision into @p warm, @p cold. */
static int measure(const char *prefix, maso_model_precision precision,
                   unsigned char *evict, double *warm, double *cold)
{
    char param[4096], bin[4096];
    snprintf(param, sizeof param, "%s.param", prefix);
    snprintf(bin, sizeof bin, "%s.bin", prefix);
    maso_model *m = NULL;
    maso_forward *f = NULL;
    if (maso_model_create(&m) || maso_model_set_precision(m, precision) ||
        maso_model_load(m, param, bin) || maso_forward_create(m, &f)) {
        fprintf(stderr, "bench_batch_bound: %s\n", maso_model_errmsg(m));
        return -1;
    }
    int c, h, w;
    maso_model_input_size(m, &c, &h, &w);
    size_t n = (size_t)c * h * w;
    float *in = malloc(n * sizeof *in);
    uint8_t *code = malloc(maso_model_code_bytes(m));
    double tw[RUNS], tc[RUNS];
    if (!in || !code)
        return -1;
    for (size_t i = 0; i < n; i++)
        in[i] = (float)((i * 2654435761u) % 255) - 128.0f;
    maso_forward_run(f, in, code, NULL);
    for (int r = 0; r < RUNS; r++) {
        double t0 = thread_ms();
        maso_forward_run(f, in, code, NULL);
        tw[r] = thread_ms() - t0;
        for (size_t i = 0; i < EVICT_BYTES; i += 64)
            evict[i]++;
        t0 = thread_ms();
        maso_forward_run(f, in, code, NULL);
        tc[r] = thread_ms() - t0;
    }
    qsort(tw, RUNS, sizeof *tw, by_value);
    qsort(tc, RUNS, sizeof *tc, by_value);
    *warm = tw[RUNS / 2];
    *cold = tc[RUNS / 2];
    free(in);
    free(code);
    maso_forward_destroy(f);
    maso_model_destroy(m);
    return 0;
}

int main(int argc, char **argv)
{
    const char *prefix = argc > 1 ? argv[1] : MODEL;
    unsigned char *evict = calloc(EVICT_BYTES, 1);
    if (!evict)
        return 1;
    printf("| precision | warm caches (ms) | caches evicted (ms) | at most saved by batching |\n");
    printf("| --- | ---: | ---: | ---: |\n");
    for (int p = 0; p < 2; p++) {
        double warm = 0, cold = 0;
        maso_model_precision precision = p ? MASO_PRECISION_INT8
                                           : MASO_PRECISION_FP32;
        if (measure(prefix, precision, evict, &warm, &cold))
            return 1;
        printf("| %s | %.2f | %.2f | %.1f %% |\n",
               maso_precision_name(precision), warm, cold,
               100.0 * (cold - warm) / cold);
    }
    free(evict);
    return 0;
}
