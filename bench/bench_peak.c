/*
 * bench_peak.c -- the physical limit of a forward pass on this machine: the
 * network's multiply-adds per image (from the .param's weight counts and
 * the output sizes of the code layout), and the measured peak multiply-add
 * rate of one core: fp32 FMA (AVX-512 and AVX2) and int8 dot products
 * (AVX-512 VNNI vpdpbusd), each a loop of independent accumulators that
 * only multiplies and adds.  Prints the forward time each peak allows,
 * and, measured in the same run (the machine is shared: only ratios
 * within one run mean much), the forward pass with codes of each kernel
 * set (process CPU time, median of 15: AVX-512, AVX2 + FMA and plain C for
 * fp32) and its fraction of the peak.
 *
 * usage: bench_peak [MODEL_PREFIX]   (prefix without .param/.bin)
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"

#define MODEL MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1"
#define ITERS 20000000L

/* Process CPU time: counting every thread keeps a helper thread (of a
 * library) from hiding work. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sum over Convolution/InnerProduct lines of weight count (6=) x output
 * pixels (from the code layer of the same name; 1 for an inner product).
 * The 3x3 share is returned too: Winograd F(2x2,3x3) multiplies 4/9 of it. */
static double model_macs(const char *param, const maso_model *m,
                         double *macs_3x3)
{
    const maso_code_layer *layers;
    size_t n = maso_model_code_layers(m, &layers);
    FILE *f = fopen(param, "r");
    if (!f)
        return -1;
    char line[4096];
    double total = 0;
    *macs_3x3 = 0;
    while (fgets(line, sizeof line, f)) {
        char type[64], name[256];
        if (sscanf(line, "%63s %255s", type, name) != 2 ||
            (strcmp(type, "Convolution") && strcmp(type, "InnerProduct")))
            continue;
        const char *w = strstr(line, " 6=");
        const char *k = strstr(line, " 1=");
        const char *pad = strstr(line, " 4=");
        double weights = w ? atof(w + 3) : 0, pixels = 1;
        /* a padded 1x1 convolution (conv10): the border is bias alone */
        int border = k && atoi(k + 3) == 1 && pad ? 2 * atoi(pad + 3) : 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(layers[i].name, name) == 0)
                pixels = (double)(layers[i].height - border) *
                         (layers[i].width - border);
        total += weights * pixels;
        if (k && atoi(k + 3) == 3 && strcmp(name, "conv1") != 0)
            *macs_3x3 += weights * pixels;
    }
    fclose(f);
    return total;
}

/* 10 independent accumulators hide the FMA latency (4 cycles x 2 pipes). */
#define ACC 10

__attribute__((target("avx512f"))) static double peak_avx512(void)
{
    __m512 a[ACC], x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.999f);
    for (int i = 0; i < ACC; i++)
        a[i] = _mm512_set1_ps((float)i);
    double t0 = cpu_s();
    for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 10
        for (int i = 0; i < ACC; i++)
            a[i] = _mm512_fmadd_ps(a[i], x, y);
    double t = cpu_s() - t0;
    float sink = 0;
    for (int i = 0; i < ACC; i++)
        sink += _mm512_reduce_add_ps(a[i]);
    if (sink == 12345.0f)
        puts("");
    return (double)ITERS * ACC * 16 / t;
}

__attribute__((target("avx2,fma"))) static double peak_avx2(void)
{
    __m256 a[ACC], x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.999f);
    for (int i = 0; i < ACC; i++)
        a[i] = _mm256_set1_ps((float)i);
    double t0 = cpu_s();
    for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 10
        for (int i = 0; i < ACC; i++)
            a[i] = _mm256_fmadd_ps(a[i], x, y);
    double t = cpu_s() - t0;
    float sink = 0, v[8];
    for (int i = 0; i < ACC; i++) {
        _mm256_storeu_ps(v, a[i]);
        for (int j = 0; j < 8; j++)
            sink += v[j];
    }
    if (sink == 12345.0f)
        puts("");
    return (double)ITERS * ACC * 8 / t;
}

/* vpdpbusd: 16 lanes x 4 u8*s8 products each. */
__attribute__((target("avx512f,avx512vnni"))) static double peak_vnni(void)
{
    __m512i a[ACC], x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-2);
    for (int i = 0; i < ACC; i++)
        a[i] = _mm512_set1_epi32(i);
    double t0 = cpu_s();
    for (long it = 0; it < ITERS; it++)
#pragma GCC unroll 10
        for (int i = 0; i < ACC; i++)
            a[i] = _mm512_dpbusd_epi32(a[i], x, y);
    double t = cpu_s() - t0;
    long long sink = 0;
    for (int i = 0; i < ACC; i++)
        sink += _mm512_reduce_add_epi32(a[i]);
    if (sink == 12345)
        puts("");
    return (double)ITERS * ACC * 64 / t;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median thread-CPU seconds of one forward with codes, a mid-grey input. */
static double forward_s(const char *param, const char *bin,
                        maso_model_kernels kernels,
                        maso_model_precision precision)
{
    enum { RUNS = 15 };
    maso_model *m = NULL;
    maso_forward *f = NULL;
    if (maso_model_create(&m) || maso_model_set_kernels(m, kernels) ||
        maso_model_set_precision(m, precision) ||
        maso_model_load(m, param, bin) || maso_forward_create(m, &f))
        return -1;
    int c, h, w;
    maso_model_input_size(m, &c, &h, &w);
    size_t n = (size_t)c * h * w;
    float *in = malloc(n * sizeof *in);
    uint8_t *code = malloc(maso_model_code_bytes(m));
    double t[RUNS];
    for (size_t i = 0; in && i < n; i++)
        in[i] = (float)((i * 2654435761u) % 255) - 128.0f;
    for (int r = -1; in && code && r < RUNS; r++) {
        double t0 = cpu_s();
        maso_forward_run(f, in, code, NULL);
        if (r >= 0)
            t[r] = cpu_s() - t0;
    }
    free(in);
    free(code);
    maso_forward_destroy(f);
    maso_model_destroy(m);
    qsort(t, RUNS, sizeof *t, by_value);
    return t[RUNS / 2];
}

int main(int argc, char **argv)
{
    const char *prefix = argc > 1 ? argv[1] : MODEL;
    char param[4096], bin[4096];
    snprintf(param, sizeof param, "%s.param", prefix);
    snprintf(bin, sizeof bin, "%s.bin", prefix);
    maso_model *m = NULL;
    if (maso_model_create(&m) || maso_model_load(m, param, bin)) {
        fprintf(stderr, "bench_peak: %s\n", maso_model_errmsg(m));
        return 1;
    }
    double macs3 = 0, macs = model_macs(param, m, &macs3);
    maso_model_destroy(m);
    if (macs <= 0) {
        fprintf(stderr, "bench_peak: cannot read %s\n", param);
        return 1;
    }
    double wino = macs - macs3 + macs3 * 4.0 / 9.0;
    printf("multiply-adds per image: %.1f M direct, %.1f M with Winograd "
           "F(2x2,3x3) on the 3x3 layers after conv1 (%.1f M of them)\n",
           macs / 1e6, wino / 1e6, macs3 / 1e6);
    printf("| path | measured peak, 1 core (G multiply-adds/s) | forward at peak (ms) |\n");
    printf("| --- | ---: | ---: |\n");
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        double p = peak_avx512();
        printf("| fp32 AVX-512 FMA, direct | %.1f | %.2f |\n", p / 1e9, macs / p * 1e3);
        printf("| fp32 AVX-512 FMA, Winograd | %.1f | %.2f |\n", p / 1e9, wino / p * 1e3);
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        double p = peak_avx2();
        printf("| fp32 AVX2 FMA, direct | %.1f | %.2f |\n", p / 1e9, macs / p * 1e3);
    }
    double fma = 0;
    if (__builtin_cpu_supports("avx512vnni")) {
        double p = peak_vnni();
        printf("| int8 AVX-512 VNNI, direct | %.1f | %.2f |\n", p / 1e9, macs / p * 1e3);
    }
    double fma2 = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        fma = fma2 = peak_avx2();
    if (__builtin_cpu_supports("avx512f"))
        fma = peak_avx512();
    double vnni = __builtin_cpu_supports("avx512vnni") ? peak_vnni() : 0;
    /* one interleaved round per path, best of 3 rounds: the paths see the
     * same machine load */
    double best = 1e9, portable = 1e9, plain = 1e9, best8 = 1e9,
           portable8 = 1e9;
    for (int round = 0; round < 3; round++) {
        const maso_model_kernels B = MASO_MODEL_KERNELS_BEST,
                                 P = MASO_MODEL_KERNELS_PORTABLE,
                                 S = MASO_MODEL_KERNELS_SCALAR;
        double t;
        if ((t = forward_s(param, bin, B, MASO_PRECISION_FP32)) < best)
            best = t;
        if ((t = forward_s(param, bin, P, MASO_PRECISION_FP32)) < portable)
            portable = t;
        if ((t = forward_s(param, bin, S, MASO_PRECISION_FP32)) < plain)
            plain = t;
        if ((t = forward_s(param, bin, B, MASO_PRECISION_INT8)) < best8)
            best8 = t;
        if ((t = forward_s(param, bin, P, MASO_PRECISION_INT8)) < portable8)
            portable8 = t;
    }
    printf("\n| forward with codes | ms | vs fp32 best | multiply-adds/s | of the peak |\n");
    printf("| --- | ---: | ---: | ---: | ---: |\n");
    printf("| fp32, best kernels (Winograd on 3x3) | %.2f | 1.00 | %.1f G | %.0f %% of fp32 (counting Winograd's multiplies) |\n",
           best * 1e3, wino / best / 1e9, fma > 0 ? wino / best / fma * 100 : 0);
    printf("| fp32, portable kernels (AVX2 + FMA, Winograd on 3x3) | %.2f | %.2f | %.1f G | %.0f %% of AVX2 fp32 (counting Winograd's multiplies) |\n",
           portable * 1e3, portable / best, wino / portable / 1e9,
           fma2 > 0 ? wino / portable / fma2 * 100 : 0);
    printf("| fp32, scalar kernels (plain C, Winograd on 3x3) | %.2f | %.2f | %.1f G | |\n",
           plain * 1e3, plain / best, wino / plain / 1e9);
    printf("| int8, best kernels (AVX-512 VNNI) | %.2f | %.2f | %.1f G | %.0f %% of int8 |\n",
           best8 * 1e3, best8 / best, macs / best8 / 1e9,
           vnni > 0 ? macs / best8 / vnni * 100 : 0);
    printf("| int8, portable kernels (AVX2 vpmaddwd) | %.2f | %.2f | %.1f G | |\n",
           portable8 * 1e3, portable8 / best, macs / portable8 / 1e9);
    return 0;
}
