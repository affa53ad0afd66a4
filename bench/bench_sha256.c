/* bench_sha256.c -- SHA-256 of the model's weights (5 MB, hashed at every
 * program start to identify the model): libmaso's portable incremental
 * code against maso_sha256_file (nettle, with the CPU's SHA extensions),
 * side by side in one run, alternating, median of N rounds.
 * usage: bench_sha256 [FILE] [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maso.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1]
        : MASO_SHARED_DIR "/models/squeezenet_v1.1/squeezenet_v1.1.bin";
    int rounds = argc > 2 ? atoi(argv[2]) : 21;
    if (rounds < 1 || rounds > 1000)
        rounds = 21;
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *data = malloc((size_t)n);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench_sha256: cannot read %s\n", path);
        return 2;
    }
    fclose(f);
    double *portable = calloc((size_t)rounds, sizeof *portable);
    double *file = calloc((size_t)rounds, sizeof *file);
    char hex[65], hex_portable[65];
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        maso_sha256 c;
        unsigned char d[32];
        maso_sha256_init(&c);
        maso_sha256_update(&c, data, (size_t)n);
        maso_sha256_final(&c, d);
        double t1 = now();
        if (maso_sha256_file(path, hex) != 0)
            return 2;
        double t2 = now();
        for (int i = 0; i < 32; i++)
            sprintf(hex_portable + 2 * i, "%02x", d[i]);
        if (strcmp(hex, hex_portable) != 0) {
            fprintf(stderr, "bench_sha256: the two digests differ\n");
            return 1;
        }
        portable[r] = t1 - t0;
        file[r] = t2 - t1; /* includes reading the (cached) file */
    }
    qsort(portable, (size_t)rounds, sizeof *portable, cmp);
    qsort(file, (size_t)rounds, sizeof *file, cmp);
    double p = portable[rounds / 2] * 1e3, q = file[rounds / 2] * 1e3;
    printf("%s, %ld bytes, median of %d rounds:\n", path, n, rounds);
    printf("  portable maso_sha256_update   %7.2f ms  (%.0f MB/s)\n", p,
           n / p / 1e3);
    printf("  maso_sha256_file (nettle)     %7.2f ms  (%.0f MB/s)  %.1fx\n",
           q, n / q / 1e3, p / q);
    free(portable);
    free(file);
    free(data);
    return 0;
}
