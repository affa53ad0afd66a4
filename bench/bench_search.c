/* bench_search.c -- libmaso_search on 1,000,000 synthetic sketches.
 *
 * The sketches are those of synth_codes.h: SqueezeNet v1.1-shaped (29
 * layers, the default sketch sizes: 7616 bytes), clustered around a few thousand prototypes.
 *
 * usage: bench_search [records] [queries] [--no-huge] [--kernels NAME]
 * Prints exact-scan latency and GB/s (1 and 2 threads), coarse+rerank
 * latency and recall@10 against the exact scan for several candidate counts
 * and summary sizes, near-duplicate grouping time, peak RSS.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "maso_search.h"
#include "synth_codes.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct sum_job {
    const maso_search *s;
    const uint8_t *base;
    size_t stride, from, to;
    uint8_t *out;
} sum_job;

static void *sum_worker(void *arg)
{
    sum_job *j = arg;
    size_t sb = maso_search_summary_bytes(j->s);
    for (size_t i = j->from; i < j->to; i++)
        maso_search_summarize(j->s, j->base + i * j->stride, j->out + i * sb);
    return NULL;
}

static void summarize_all(const maso_search *s, const uint8_t *base,
                          size_t stride, size_t n, uint8_t *out)
{
    pthread_t t;
    sum_job j[2] = { { s, base, stride, 0, n / 2, out },
                     { s, base, stride, n / 2, n, out } };
    pthread_create(&t, NULL, sum_worker, &j[1]);
    sum_worker(&j[0]);
    pthread_join(t, NULL);
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, dbl_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, n_queries = 100, n_protos = 4000;
    int huge = 1;
    int pos = 0;
    const char *kernels = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--no-huge") == 0)
            huge = 0;
        else if (strcmp(argv[a], "--kernels") == 0 && a + 1 < argc)
            kernels = argv[++a];
        else if (pos++ == 0)
            n = strtoull(argv[a], NULL, 10);
        else
            n_queries = strtoull(argv[a], NULL, 10);
    }
    synth_codes sc;
    if (synth_codes_load(&sc, MASO_SHARED_DIR))
        return 1;
    size_t record_bytes = sc.record_bytes;
    size_t stride = (record_bytes + 63) / 64 * 64;
    printf("layout: %d layers, %zu bytes per sketch, stride %zu\n",
           SYNTH_LAYERS, record_bytes, stride);
    if (synth_codes_prepare(&sc, n_protos))
        return 1;

    size_t map_bytes = n * stride + 64;
    uint8_t *map = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (huge)
        madvise(map, map_bytes, MADV_HUGEPAGE);
    uint8_t *base = map + 8; /* 8-byte aligned only, as the store may be */
    double t0 = now();
    synth_codes_fill(&sc, base, stride, n);
    printf("generated %zu records (%.2f GB, huge pages %s) in %.1f s\n", n,
           (double)n * (double)stride / 1e9, huge ? "advised" : "off",
           now() - t0);

    uint8_t *queries = malloc(n_queries * record_bytes);
    for (size_t q = 0; q < n_queries; q++)
        synth_codes_query(&sc, queries + q * record_bytes);

    maso_search *s;
    if (maso_search_create(sc.layout, SYNTH_LAYERS, &s)) {
        fprintf(stderr, "maso_search_create failed\n");
        return 1;
    }
    if (kernels && maso_search_set_kernels(s, kernels)) {
        fprintf(stderr, "%s\n", maso_search_errmsg(s));
        return 1;
    }
    printf("kernels: %s\n", maso_search_kernels(s));
    maso_search_segment seg = { base, stride, n, NULL, NULL };
    maso_search_params p;
    maso_search_params_init(&p);
    maso_search_hit *exact = malloc(n_queries * 10 * sizeof *exact);
    size_t nh;
    double lat[64];

    /* exact scan, 1 and 2 threads */
    for (int th = 1; th <= 2; th++) {
        maso_search_set_threads(s, th);
        int reps = n_queries < 5 ? (int)n_queries : 5; /* one per query */
        for (int r = 0; r < reps; r++) {
            double a = now();
            maso_search_query(s, &seg, 1, queries + (size_t)r * record_bytes,
                              NULL, &p, exact, &nh);
            lat[r] = now() - a;
        }
        double med = median(lat, (size_t)reps);
        printf("exact scan, %d thread(s): median %.1f ms, %.1f GB/s "
               "(%.0f Mrecords/s)\n", th, med * 1e3,
               (double)n * (double)record_bytes / med / 1e9,
               (double)n / med / 1e6);
    }
    /* reference top-10 for every query (2 threads) */
    t0 = now();
    for (size_t q = 0; q < n_queries; q++)
        maso_search_query(s, &seg, 1, queries + q * record_bytes, NULL, &p,
                          exact + q * 10, &nh);
    printf("exact top-10 of %zu queries: %.1f s\n", n_queries, now() - t0);

    static const size_t bits_list[3] = { 256, 512, 1024 };
    static const size_t cand_list[6] = { 250, 500, 1000, 2000, 4000, 8000 };
    uint8_t *sums = NULL;
    for (int b = 0; b < 3; b++) {
        maso_search_set_summary_bits(s, bits_list[b]);
        size_t sb = maso_search_summary_bytes(s);
        free(sums);
        sums = malloc(n * sb);
        t0 = now();
        summarize_all(s, base, stride, n, sums);
        printf("summaries of %zu bits: %.2f s for all records (2 threads), "
               "%zu MB\n", bits_list[b], now() - t0, n * sb >> 20);
        seg.summaries = sums;
        for (int c = 0; c < 6; c++) {
            p.candidates = cand_list[c];
            for (int th = 1; th <= 2; th++) {
                maso_search_set_threads(s, th);
                size_t found = 0;
                double *ql = malloc(n_queries * sizeof *ql);
                for (size_t q = 0; q < n_queries; q++) {
                    maso_search_hit h[10];
                    double a = now();
                    maso_search_query(s, &seg, 1, queries + q * record_bytes,
                                      NULL, &p, h, &nh);
                    ql[q] = now() - a;
                    for (size_t i = 0; i < 10; i++)
                        for (size_t k = 0; k < nh; k++)
                            found += exact[q * 10 + i].id == h[k].id;

                }
                printf("  coarse %4zu bits, C=%5zu, %d thr: recall@10 %.4f, "
                       "median %.2f ms\n", bits_list[b], cand_list[c], th,
                       (double)found / (double)(10 * n_queries),
                       median(ql, n_queries) * 1e3);
                free(ql);
            }
        }
    }
    p.candidates = 0;

    /* near-duplicates: plant 1000 pairs (a copy with 0.1% of the units
     * resampled) into the first records, group with D = 0.005 */
    maso_search_set_summary_bits(s, 512);
    size_t sb = maso_search_summary_bytes(s);
    free(sums);
    sums = malloc(n * sb);
    size_t dn = n < 200000 ? n : 200000;
    size_t planted = 0;
    for (size_t i = 0; i < 1000 && dn / 2 + i * 37 < dn && i * 97 < dn / 2;
         i++, planted++) {
        uint8_t *dst = base + (dn / 2 + i * 37) * stride;
        memcpy(dst, base + i * 97 * stride, record_bytes);
        dst[sc.layout[0].offset + i % 100] ^= 1;
    }
    summarize_all(s, base, stride, n, sums);
    seg.summaries = sums;
    maso_search_segment dseg = seg;
    dseg.count = dn;
    printf("planted %zu near-duplicate pairs in the first %zu records\n",
           planted, dn);
    for (int dd = 0; dd < 2; dd++) {
        double D = dd ? 0.005 : 0.001;
        maso_search_groups g;
        t0 = now();
        int rc = maso_search_duplicates(s, &dseg, 1, D, 0, &g);
        printf("duplicates of %zu records, D=%.3f: rc %d, %zu groups, %.2f s\n",
               dn, D, rc, g.n_groups, now() - t0);
        maso_search_groups_free(&g);
    }
    printf("peak RSS: %.0f MB\n", peak_rss_mb());
    maso_search_destroy(s);
    free(sums);
    free(exact);
    free(queries);
    synth_codes_free(&sc);
    munmap(map, map_bytes);
    return 0;
}
