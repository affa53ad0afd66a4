/*
 * bench_decode_files.c -- how long libmaso takes to decode image files, as
 * the indexer asks (a minimum size of 227x227: DCT scaling for JPEG, full
 * size for every other format), median of RUNS decodes each: CPU time of
 * the process (what other jobs on a shared machine cannot inflate; it
 * includes the worker threads libde265 and libdav1d start), of the calling
 * thread alone, and wall time.  bench/decode_formats.sh writes the same 12 MP photo in every
 * format and runs it, so the rows compare formats side by side.
 *
 * usage: bench_decode_files RUNS FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "maso.h"

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    maso_decoder *d = NULL;
    maso_decode_params p;
    int runs = argc > 1 ? atoi(argv[1]) : 0;

    if (argc < 3 || runs < 1) {
        fprintf(stderr, "usage: bench_decode_files RUNS FILE...\n");
        return 2;
    }
    if (maso_decoder_create(&d) != 0)
        return 1;
    maso_decode_params_init(&p);
    p.min_width = p.min_height = 227;
    double *cpu = malloc(sizeof *cpu * (size_t)runs);
    double *wall = malloc(sizeof *wall * (size_t)runs);
    double *proc = malloc(sizeof *proc * (size_t)runs);
    if (!cpu || !wall || !proc)
        return 1;
    printf("%-24s %11s %14s %14s %10s\n", "file", "decoded", "process cpu ms",
           "thread cpu ms", "wall ms");
    for (int f = 2; f < argc; f++) {
        maso_image img = {0, 0, NULL};
        for (int i = 0; i < runs; i++) {
            double c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
            double w0 = clock_ms(CLOCK_MONOTONIC);
            double p0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
            maso_image_free(&img);
            if (maso_decoder_load_file(d, argv[f], &p, &img) != 0) {
                fprintf(stderr, "%s\n", maso_decoder_errmsg(d));
                return 1;
            }
            cpu[i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            wall[i] = clock_ms(CLOCK_MONOTONIC) - w0;
            proc[i] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - p0;
        }
        printf("%-24s %5dx%-5d %14.1f %14.1f %10.1f\n", argv[f], img.width,
               img.height, median(proc, runs), median(cpu, runs),
               median(wall, runs));
        maso_image_free(&img);
    }
    free(cpu);
    free(wall);
    free(proc);
    maso_decoder_destroy(d);
    return 0;
}
