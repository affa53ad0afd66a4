/*
 * bench_turned.c -- CPU of the network passes maso-index runs per photo
 * with orientation sketches: maso_forward_code_file() (decode, resize,
 * the as-is pass) and maso_forward_run_turned() for each of
 * MASO_STORE_ORIENTATIONS, whole passes with codes (no sketch limit), on
 * the photos given.  Prints the thread CPU per photo of the decode + first
 * pass and of the turned passes, the best of the rounds (the minimum is
 * what a shared, noisy machine disturbs least), and a hash of the codes so
 * that two builds run side by side can be seen to agree.  Uses only the
 * public API: an older build's library can be linked to it for an A/B run.
 *
 * usage: bench_turned [--fp32] [--rounds N] PHOTO...
 */
#include "maso.h"
#include "maso_store.h"

#include <stdint.h>
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

int main(int argc, char **argv)
{
    int rounds = 5, first = 1;
    maso_model_precision precision = MASO_PRECISION_INT8;
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--fp32") == 0) {
            precision = MASO_PRECISION_FP32;
            first++;
        } else if (strcmp(argv[first], "--rounds") == 0 && first + 1 < argc) {
            rounds = atoi(argv[first + 1]);
            first += 2;
        } else {
            break;
        }
    }
    if (first >= argc || rounds < 1) {
        fprintf(stderr, "usage: bench_turned [--fp32] [--rounds N] PHOTO...\n");
        return 2;
    }
    maso_model *model = NULL;
    maso_forward *forward = NULL;
    maso_decoder *decoder = NULL;
    if (maso_model_create(&model) ||
        maso_model_set_precision(model, precision) ||
        maso_model_load(model, MODEL ".param", MODEL ".bin") ||
        maso_forward_create(model, &forward) ||
        maso_decoder_create(&decoder)) {
        fprintf(stderr, "bench_turned: %s\n",
                model ? maso_model_errmsg(model) : "out of memory");
        return 1;
    }
    const size_t bytes = maso_model_code_bytes(model);
    uint8_t *code = malloc(bytes);
    if (!code)
        return 1;
    static const int turns[MASO_STORE_ORIENTS] = MASO_STORE_ORIENTATIONS;
    double best_first = 1e30, best_turned = 1e30;
    uint64_t hash = 0;
    for (int r = 0; r < rounds; r++) {
        double t_first = 0, t_turned = 0;
        hash = 1469598103934665603ull;
        for (int i = first; i < argc; i++) {
            double t0 = thread_ms();
            if (maso_forward_code_file(forward, decoder, argv[i],
                                       MASO_CODE_TRIM_BORDER, code, NULL)) {
                fprintf(stderr, "bench_turned: %s\n",
                        maso_forward_errmsg(forward));
                return 1;
            }
            double t1 = thread_ms();
            t_first += t1 - t0;
            for (int v = 0; v < MASO_STORE_ORIENTS; v++) {
                if (maso_forward_run_turned(forward, turns[v], code, NULL)) {
                    fprintf(stderr, "bench_turned: %s\n",
                            maso_forward_errmsg(forward));
                    return 1;
                }
                /* the hash is outside the timed passes: a byte-serial
                 * FNV over the whole code was 10 % of the program's CPU */
                t_turned += thread_ms() - t1;
                for (size_t k = 0; k < bytes; k++)
                    hash = (hash ^ code[k]) * 1099511628211ull;
                t1 = thread_ms();
            }
        }
        best_first = t_first < best_first ? t_first : best_first;
        best_turned = t_turned < best_turned ? t_turned : best_turned;
    }
    const int n = argc - first;
    printf("%d photos, %s, best of %d rounds: decode + first pass %.3f ms, "
           "%d turned passes %.3f ms (%.3f ms each) per photo; codes %016llx\n",
           n, maso_precision_name(precision), rounds, best_first / n,
           MASO_STORE_ORIENTS, best_turned / n,
           best_turned / n / MASO_STORE_ORIENTS, (unsigned long long)hash);
    free(code);
    maso_decoder_destroy(decoder);
    maso_forward_destroy(forward);
    maso_model_destroy(model);
    return 0;
}
