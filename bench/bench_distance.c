/*
 * bench_distance.c -- throughput of every kernel set this CPU runs.
 *
 * For xor_popcount and nibble_diff: GB/s of input read (both operands) over
 * a pair of buffers that fits in L2 (2 x 256 KiB) and one that does not
 * (2 x 128 MiB), single thread, median of several repetitions.
 *
 * usage: bench_distance [large-MiB-per-buffer]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

typedef uint64_t (*kernel_fn)(const uint64_t *, const uint64_t *, size_t);

/* Median GB/s over @p reps timed runs of @p calls calls each. */
static double measure(kernel_fn fn, const uint64_t *a, const uint64_t *b,
                      size_t words, int calls, int reps, uint64_t *sink)
{
    double rate[15];
    if (reps > 15)
        reps = 15;
    *sink += fn(a, b, words); /* warm caches and page tables */
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            *sink += fn(a, b, words);
        double t = now() - t0;
        rate[r] = 16.0 * (double)words * calls / t / 1e9;
    }
    qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
    return rate[reps / 2];
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"avx512-vpopcntdq", "avx512bw", "avx2",
                                        "scalar"};
    size_t large_mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 128;
    size_t small_words = 256 * 1024 / 8;
    size_t large_words = large_mib * 1024 * 1024 / 8;
    uint64_t *a = aligned_alloc(64, large_words * 8);
    uint64_t *b = aligned_alloc(64, large_words * 8);
    if (a == NULL || b == NULL || large_words < small_words) {
        fprintf(stderr, "bench_distance: cannot allocate 2 x %zu MiB\n",
                large_mib);
        return 1;
    }
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < large_words; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        a[i] = x;
        b[i] = x ^ (x >> 3);
    }
    uint64_t sink = 0;
    printf("%-18s %-14s %12s %12s\n", "kernels", "function", "L2 GB/s",
           "RAM GB/s");
    printf("%-18s %-14s %12s %12s\n", "", "", "(2x256KiB)", "");
    for (size_t s = 0; s < sizeof names / sizeof names[0]; s++) {
        const maso_kernels *k = maso_kernels_get(names[s]);
        if (k == NULL) {
            printf("%-18s (not supported by this CPU)\n", names[s]);
            continue;
        }
        kernel_fn fns[2] = {k->xor_popcount, k->nibble_diff};
        const char *fn_names[2] = {"xor_popcount", "nibble_diff"};
        for (int f = 0; f < 2; f++) {
            double l2 = measure(fns[f], a, b, small_words, 2000, 7, &sink);
            double ram = measure(fns[f], a, b, large_words, 1, 5, &sink);
            printf("%-18s %-14s %12.1f %12.1f\n", k->name, fn_names[f], l2,
                   ram);
        }
    }
    printf("best: %s (checksum %llu)\n", maso_kernels_best()->name,
           (unsigned long long)sink);
    free(a);
    free(b);
    return 0;
}
