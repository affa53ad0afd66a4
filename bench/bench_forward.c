/* bench_forward.c -- speed of the forward pass with codes on SqueezeNet
 * v1.1: median milliseconds per forward on one thread, and images per
 * second with two threads (two contexts sharing one model).
 *
 * usage: bench_forward [runs] [param bin input.f32]
 * Parallelism comes from contexts, one thread each. */
#include "maso.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MASO_SHARED_DIR
#define MASO_SHARED_DIR "../shared"
#endif

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct job {
    const maso_model *model;
    const float *input;
    int runs;
    int rc;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    maso_forward *fw = NULL;
    uint8_t *code = malloc(maso_model_code_bytes(j->model));
    float *out = malloc(maso_model_output_size(j->model) * sizeof(float));
    j->rc = code && out ? maso_forward_create(j->model, &fw) : 1;
    for (int i = 0; i < j->runs && j->rc == 0; i++)
        j->rc = maso_forward_run(fw, j->input, code, out);
    maso_forward_destroy(fw);
    free(code);
    free(out);
    return NULL;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    const char *param = argc > 4 ? argv[2]
        : MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1.param";
    const char *bin = argc > 4 ? argv[3]
        : MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1.bin";
    const char *inpath = argc > 4 ? argv[4]
        : MASO_SHARED_DIR "/reference/squeezenet_v1.1/cat/input.f32";
    if (runs < 1)
        runs = 50;
    maso_model *m = NULL;
    int rc = maso_model_create(&m);
    if (rc == 0)
        rc = maso_model_load(m, param, bin);
    if (rc) {
        fprintf(stderr, "bench_forward: %s\n", m ? maso_model_errmsg(m) : maso_strerror(rc));
        return 1;
    }
    int c, h, w;
    maso_model_input_size(m, &c, &h, &w);
    size_t n = (size_t)c * h * w;
    float *input = calloc(n, sizeof(float));
    FILE *f = fopen(inpath, "rb");
    if (!f || fread(input, sizeof(float), n, f) != n) {
        fprintf(stderr, "bench_forward: cannot read %s\n", inpath);
        return 1;
    }
    fclose(f);

    maso_forward *fw = NULL;
    uint8_t *code = malloc(maso_model_code_bytes(m));
    float *out = malloc(maso_model_output_size(m) * sizeof(float));
    double *t = malloc(sizeof(double) * (size_t)runs);
    if (maso_forward_create(m, &fw) || !code || !out || !t)
        return 1;
    for (int i = 0; i < 5; i++) /* warm up the caches */
        maso_forward_run(fw, input, code, out);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        maso_forward_run(fw, input, code, out);
        t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("1 thread : median %.3f ms per forward with codes (min %.3f, %d runs)\n",
           t[runs / 2], t[0], runs);
    maso_forward_destroy(fw);

    job jobs[2];
    pthread_t th[2];
    double t0 = now_ms();
    for (int i = 0; i < 2; i++) {
        jobs[i] = (job){m, input, runs, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    double el = now_ms() - t0;
    printf("2 threads: %.1f images/s (%.3f ms per image, 2 contexts)\n",
           2.0 * runs / (el / 1e3), el / (2.0 * runs));
    free(code);
    free(out);
    free(t);
    free(input);
    maso_model_destroy(m);
    return jobs[0].rc || jobs[1].rc;
}
