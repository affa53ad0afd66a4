/* bench_search.c -- libmaso_search on 1,000,000 synthetic sketches.
 *
 * Layout shaped like SqueezeNet v1.1's 29 coded layers (26 ReLU, 3 max-pool
 * with 3x3 windows), m = 1536 samples per layer: 26 * 192 + 3 * 768 = 7296
 * bytes per sketch.  Per-layer densities come from the golden codes.tsv
 * files.  Records are clustered: a few thousand prototypes with skewed
 * popularity (the biggest clusters hold tens of thousands of records, so
 * ranking inside a cluster matters), each record a prototype with units
 * resampled at a record-specific rate.
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

#define M 1536          /* samples per layer */
#define N_LAYERS 29
#define POOL_WORDS (1u << 16)
#define RATE_LEVELS 16

static maso_code_layer layout[N_LAYERS];
static double density[N_LAYERS];
static size_t record_bytes;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Layer kinds and densities: mean ones_or_nonzero / units over the golden
 * images. */
static int load_layout(void)
{
    static const char *images[] = { "bird", "cat", "dog", "grace_hopper" };
    size_t off = 0;
    int n_img = 0;
    for (int im = 0; im < 4; im++) {
        char path[512];
        snprintf(path, sizeof path, "%s/reference/squeezenet_v1.1/%s/codes.tsv",
                 MASO_SHARED_DIR, images[im]);
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "bench_search: cannot open %s\n", path);
            return -1;
        }
        char line[1024];
        int l = 0;
        while (fgets(line, sizeof line, f) && l < N_LAYERS) {
            char kind[16];
            long c, h, w, ones;
            if (line[0] == '#')
                continue;
            if (sscanf(line, "%15s %*s %*s %ld %ld %ld %*s %ld", kind, &c, &h,
                       &w, &ones) != 5)
                continue;
            density[l] += (double)ones / (double)(c * h * w) / 4.0;
            if (im == 0) {
                maso_code_layer *L = &layout[l];
                int relu = strcmp(kind, "relu") == 0;
                L->name = "layer";
                L->kind = relu ? MASO_LAYER_RELU : MASO_LAYER_MAXPOOL;
                L->window = relu ? 0 : 9;
                L->bits_per_unit = relu ? 1 : 4;
                L->units = M;
                L->offset = off;
                L->bytes = M * (size_t)L->bits_per_unit / 8;
                off += L->bytes;
            }
            l++;
        }
        fclose(f);
        if (l != N_LAYERS) {
            fprintf(stderr, "bench_search: %s: %d layers\n", path, l);
            return -1;
        }
        n_img++;
    }
    record_bytes = off;
    return 0;
}

/* Random word pools: value pools per layer (its density), and resample
 * masks per rate level.  A record takes words from random offsets. */
static uint64_t *value_pool[N_LAYERS];
static uint64_t *mask_pool[2][RATE_LEVELS]; /* [0] bits, [1] nibbles */

static double level_rate(int lv)
{
    return 0.02 + 0.28 * lv / (RATE_LEVELS - 1);
}

static void make_pools(void)
{
    uint64_t rng = 0x5eed;
    for (int l = 0; l < N_LAYERS; l++) {
        value_pool[l] = malloc(POOL_WORDS * 8);
        for (size_t w = 0; w < POOL_WORDS; w++) {
            uint64_t v = 0;
            if (layout[l].bits_per_unit == 1) {
                for (int b = 0; b < 64; b++)
                    v |= (uint64_t)(rng_unit(&rng) < density[l]) << b;
            } else {
                for (int b = 0; b < 16; b++)
                    if (rng_unit(&rng) < density[l])
                        v |= (uint64_t)(1 + rng_next(&rng) % 8) << (4 * b);
            }
            value_pool[l][w] = v;
        }
    }
    for (int lv = 0; lv < RATE_LEVELS; lv++)
        for (int k = 0; k < 2; k++) {
            mask_pool[k][lv] = malloc(POOL_WORDS * 8);
            for (size_t w = 0; w < POOL_WORDS; w++) {
                uint64_t v = 0;
                for (int b = 0; b < (k ? 16 : 64); b++)
                    if (rng_unit(&rng) < level_rate(lv))
                        v |= (k ? 0xFull : 1ull) << (k ? 4 * b : b);
                mask_pool[k][lv][w] = v;
            }
        }
}

/* rec = proto with units resampled at rate level lv (lv < 0: fresh). */
static void make_record(uint8_t *rec, const uint8_t *proto, int lv,
                        uint64_t *rng)
{
    for (int l = 0; l < N_LAYERS; l++) {
        const maso_code_layer *L = &layout[l];
        size_t words = L->bytes / 8;
        const uint64_t *val = value_pool[l] + rng_next(rng) % (POOL_WORDS - words);
        uint64_t *out = (uint64_t *)(void *)(rec + L->offset);
        if (lv < 0) {
            memcpy(out, val, L->bytes);
            continue;
        }
        const uint64_t *pm = mask_pool[L->bits_per_unit == 4][lv] +
                             rng_next(rng) % (POOL_WORDS - words);
        const uint64_t *p = (const uint64_t *)(const void *)(proto + L->offset);
        for (size_t w = 0; w < words; w++)
            out[w] = (p[w] & ~pm[w]) | (val[w] & pm[w]);
    }
}

typedef struct gen_job {
    uint8_t *base;
    size_t stride, from, to;
    const uint8_t *protos;
    size_t n_protos;
    uint64_t seed;
} gen_job;

static size_t pick_proto(size_t n_protos, uint64_t *rng)
{
    double u = rng_unit(rng);
    return (size_t)((double)n_protos * u * u * u); /* skewed popularity */
}

static void *gen_worker(void *arg)
{
    gen_job *j = arg;
    uint64_t rng = j->seed;
    for (size_t i = j->from; i < j->to; i++) {
        size_t p = pick_proto(j->n_protos, &rng);
        int lv = (int)(rng_next(&rng) % RATE_LEVELS);
        make_record(j->base + i * j->stride, j->protos + p * record_bytes, lv,
                    &rng);
    }
    return NULL;
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
    if (load_layout())
        return 1;
    size_t stride = (record_bytes + 63) / 64 * 64;
    printf("layout: %d layers, %zu bytes per sketch, stride %zu\n", N_LAYERS,
           record_bytes, stride);
    make_pools();

    /* prototypes: fresh draws */
    uint64_t rng = 12345;
    uint8_t *protos = aligned_alloc(64, n_protos * record_bytes);
    for (size_t p = 0; p < n_protos; p++)
        make_record(protos + p * record_bytes, NULL, -1, &rng);

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
    {
        pthread_t t;
        gen_job j[2] = { { base, stride, 0, n / 2, protos, n_protos, 1 },
                         { base, stride, n / 2, n, protos, n_protos, 2 } };
        pthread_create(&t, NULL, gen_worker, &j[1]);
        gen_worker(&j[0]);
        pthread_join(t, NULL);
    }
    printf("generated %zu records (%.2f GB, huge pages %s) in %.1f s\n", n,
           (double)n * (double)stride / 1e9, huge ? "advised" : "off",
           now() - t0);

    uint8_t *queries = malloc(n_queries * record_bytes);
    for (size_t q = 0; q < n_queries; q++)
        make_record(queries + q * record_bytes,
                    protos + pick_proto(n_protos, &rng) * record_bytes, 2,
                    &rng);

    maso_search *s;
    if (maso_search_create(&s, layout, N_LAYERS)) {
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
        int reps = 5;
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
        dst[layout[0].offset + i % 100] ^= 1;
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
    free(protos);
    munmap(map, map_bytes);
    return 0;
}
