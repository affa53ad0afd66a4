/*
 * bench_startup.c -- what every maso-index / maso-query run pays before its
 * first image: loading the model (parse, weights, sha256 of both files,
 * weight packing), drawing the store's default sketch (every layer's
 * positions, as the first maso_sketch_apply() does), creating a forward
 * context.  Thread CPU time, median of N rounds, in milliseconds.
 *
 * usage: bench_startup [ROUNDS] [MODEL_PREFIX]   (prefix without .param/.bin)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"
#define MAX_ROUNDS 99

static double cpu_ms(void)
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

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    const char *prefix = argc > 2 ? argv[2] : MODEL;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_startup [ROUNDS (1..%d)] [MODEL_PREFIX]\n",
                MAX_ROUNDS);
        return 2;
    }
    char param[4096], bin[4096];
    snprintf(param, sizeof param, "%s.param", prefix);
    snprintf(bin, sizeof bin, "%s.bin", prefix);
    double load[MAX_ROUNDS], hash[MAX_ROUNDS], sketch[MAX_ROUNDS],
        forward[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        maso_model *m = NULL;
        double t0 = cpu_ms();
        if (maso_model_create(&m) || maso_model_load(m, param, bin)) {
            fprintf(stderr, "bench_startup: %s\n", maso_model_errmsg(m));
            return 1;
        }
        double t1 = cpu_ms();
        char hex[65];
        if (maso_sha256_file(bin, hex) != 0)
            return 1;
        double t2 = cpu_ms();
        const maso_code_layer *layers;
        size_t n = maso_model_code_layers(m, &layers);
        maso_sketch_params p;
        maso_sketch_params_init(&p);
        maso_sketch *s = NULL;
        if (maso_sketch_create(layers, n, &p, &s) != 0)
            return 1;
        /* the positions are drawn at their first use: draw them all */
        for (size_t i = 0; i < n; i++)
            if (maso_sketch_positions(s, i, NULL) == NULL)
                return 1;
        double t3 = cpu_ms();
        maso_forward *f = NULL;
        if (maso_forward_create(m, &f) != 0)
            return 1;
        double t4 = cpu_ms();
        load[r] = t1 - t0;
        hash[r] = t2 - t1;
        sketch[r] = t3 - t2;
        forward[r] = t4 - t3;
        maso_forward_destroy(f);
        maso_sketch_destroy(s);
        maso_model_destroy(m);
    }
    printf("| start-up step (thread CPU, median of %d) | ms |\n| --- | ---: |\n",
           rounds);
    printf("| model load (parse, weights, sha256 of both files, packing) | %.2f |\n",
           median(load, rounds));
    printf("| of which could be the .bin's sha256 alone | %.2f |\n",
           median(hash, rounds));
    printf("| default sketch (positions of 29 layers) | %.2f |\n",
           median(sketch, rounds));
    printf("| forward context | %.2f |\n", median(forward, rounds));
    return 0;
}
